import Foundation

/// A declarative search space: named parameters, some of which exist only under one choice of a
/// categorical parameter (conditional spaces, nested to any depth — Hyperopt's nested choices).
///
/// It is Codable so configuration files can hold it. In JSON (YAML maps the same way):
///
/// ```json
/// {
///   "lr":         {"type": "float", "low": 1e-5, "high": 0.1, "log": true},
///   "layers":     {"type": "int", "low": 1, "high": 4},
///   "activation": ["relu", "tanh"],
///   "epochs":     20,
///   "optimizer":  {"type": "categorical", "choices": {
///       "sgd":  {"momentum": {"type": "float", "low": 0, "high": 0.99}},
///       "adam": {"beta1": {"type": "float", "low": 0.8, "high": 0.999}}}}
/// }
/// ```
///
/// A parameter is an object with `type` (`float`, `int` or `categorical`) and its fields
/// (`low`, `high`, `log`, `step`; `choices`), a list (a categorical), or a bare value (fixed).
/// `choices` is a list of values, where an entry `{"value": v, "space": {…}}` opens a subspace
/// under `v`, or a map from string choices to their subspaces (`{}` or `null` for none; the
/// choices are then in key order). Unknown fields are errors, so a misspelt `lgo` is not ignored.
///
/// ``sample(_:)`` draws a configuration through a ``Trial`` in name order, depth first: the same
/// path as define-by-run, so every sampler works on declarative spaces too.
public struct SearchSpace: Sendable, Hashable, Codable, ExpressibleByDictionaryLiteral {
    /// One parameter of a space.
    public enum Parameter: Sendable, Hashable, Codable {
        /// Drawn from a distribution.
        case distribution(Distribution)
        /// Always this value (recorded with the trial as a one-choice categorical).
        case fixed(ParameterValue)
        /// A categorical whose choices may each open a subspace.
        case choice([Branch])
    }

    /// A choice of a conditional categorical and the parameters that exist under it.
    public struct Branch: Sendable, Hashable {
        public var value: ParameterValue
        public var subspace: SearchSpace

        public init(_ value: ParameterValue, _ subspace: SearchSpace = [:]) {
            self.value = value
            self.subspace = subspace
        }
    }

    public var parameters: [String: Parameter]

    public init(_ parameters: [String: Parameter]) {
        self.parameters = parameters
    }

    public typealias Key = String
    public typealias Value = Parameter

    public init(dictionaryLiteral elements: (String, Parameter)...) {
        self.parameters = Dictionary(elements, uniquingKeysWith: { _, b in b })
    }

    /// The parameters in the order they are sampled.
    public var sortedParameters: [(name: String, parameter: Parameter)] {
        parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    // MARK: Validation

    /// Checks every distribution and that no two parameters of one name can be active together
    /// (a name may recur only in different branches of one categorical).
    /// - Throws: ``SearchSpaceError`` naming the parameter by its path (`optimizer=sgd/momentum`).
    public func validate() throws(SearchSpaceError) {
        var occurrences: [String: [[BranchStep]]] = [:]
        try collect(prefix: [], into: &occurrences)
        for (name, paths) in occurrences.sorted(by: { $0.key < $1.key }) where paths.count > 1 {
            for i in 0..<paths.count {
                for j in (i + 1)..<paths.count where !Self.exclusive(paths[i], paths[j]) {
                    throw .invalid(name, "appears at \(Self.describe(paths[i], name)) and \(Self.describe(paths[j], name)), which can be active together")
                }
            }
        }
    }

    /// A step down a conditional space: the categorical's name and the branch taken (its index,
    /// and its value for messages).
    struct BranchStep: Hashable {
        let name: String, branch: Int, value: String
    }

    func collect(prefix: [BranchStep], into occurrences: inout [String: [[BranchStep]]]) throws(SearchSpaceError) {
        for (name, parameter) in sortedParameters {
            let path = Self.describe(prefix, name)
            occurrences[name, default: []].append(prefix)
            switch parameter {
            case let .distribution(d):
                do { try d.validate(name: path) } catch { throw error }
            case .fixed:
                break
            case let .choice(branches):
                guard !branches.isEmpty else { throw .invalid(path, "a categorical needs at least one choice") }
                guard Set(branches.map(\.value)).count == branches.count else {
                    throw .invalid(path, "repeated choices in \(branches.map(\.value.description))")
                }
                for (i, b) in branches.enumerated() {
                    try b.subspace.collect(prefix: prefix + [BranchStep(name: name, branch: i, value: b.value.description)], into: &occurrences)
                }
            }
        }
    }

    /// Whether two places can never be active in one configuration: their paths part in different
    /// branches of one categorical.
    static func exclusive(_ a: [BranchStep], _ b: [BranchStep]) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            return x.name == y.name
        }
        return false
    }

    static func describe(_ prefix: [BranchStep], _ name: String) -> String {
        prefix.isEmpty ? name : prefix.map { "\($0.name)=\($0.value)" }.joined(separator: "/") + "/" + name
    }

    // MARK: Sampling

    /// Draws one configuration through `trial` (each parameter suggested from its distribution,
    /// then the subspace of each chosen branch) and returns the active parameters.
    public func sample(_ trial: Trial) async throws -> [String: ParameterValue] {
        var result: [String: ParameterValue] = [:]
        try await sample(trial, into: &result)
        return result
    }

    func sample(_ trial: Trial, into result: inout [String: ParameterValue]) async throws {
        for (name, parameter) in sortedParameters {
            switch parameter {
            case let .distribution(d):
                result[name] = try await trial.suggest(name, d)
            case let .fixed(v):
                result[name] = try await trial.suggest(name, .categorical([v]))
            case let .choice(branches):
                let v = try await trial.suggest(name, .categorical(branches.map(\.value)))
                result[name] = v
                guard let branch = branches.first(where: { $0.value == v }) else {
                    preconditionFailure("internal: suggested choice \(v) is not a branch of '\(name)'")
                }
                try await branch.subspace.sample(trial, into: &result)
            }
        }
    }

    // MARK: Grid

    /// The number of configurations on the grid of this space: the product over parameters of
    /// their value counts, a conditional categorical counting the grids of all its branches.
    /// `continuousPoints` values stand for each continuous float (none: such a space has no grid).
    /// - Throws: ``SearchSpaceError`` for a continuous float without `continuousPoints`.
    public func gridCount(continuousPoints: Int? = nil) throws(SearchSpaceError) -> Int {
        var total = 1
        for (name, parameter) in sortedParameters {
            let count: Int
            switch parameter {
            case let .distribution(d):
                guard let c = d.gridCount ?? continuousPoints else {
                    throw .invalid(name, "a continuous float has no grid; give it a step, or points per continuous parameter")
                }
                count = c
            case .fixed:
                count = 1
            case let .choice(branches):
                var sum = 0
                for b in branches { sum += try b.subspace.gridCount(continuousPoints: continuousPoints) }
                count = sum
            }
            let (product, overflow) = total.multipliedReportingOverflow(by: count)
            guard !overflow else { throw .invalid(name, "the grid has more than \(Int.max) points") }
            total = product
        }
        return total
    }

    /// The grid configuration with this index (`0..<gridCount`), in mixed radix over the
    /// parameters in name order (the last name varying fastest).
    public func gridPoint(_ index: Int, continuousPoints: Int? = nil) throws(SearchSpaceError) -> [String: ParameterValue] {
        var result: [String: ParameterValue] = [:]
        try gridPoint(index, continuousPoints: continuousPoints, into: &result)
        return result
    }

    func gridPoint(_ index: Int, continuousPoints: Int?, into result: inout [String: ParameterValue]) throws(SearchSpaceError) {
        var rest = index
        for (name, parameter) in sortedParameters.reversed() {
            switch parameter {
            case let .distribution(d):
                guard let count = d.gridCount ?? continuousPoints else {
                    throw .invalid(name, "a continuous float has no grid; give it a step, or points per continuous parameter")
                }
                result[name] = d.gridValue(rest % count, of: count)
                rest /= count
            case let .fixed(v):
                result[name] = v
            case let .choice(branches):
                let counts = try branches.map { b throws(SearchSpaceError) in try b.subspace.gridCount(continuousPoints: continuousPoints) }
                var digit = rest % counts.reduce(0, +)
                rest /= counts.reduce(0, +)
                for (b, c) in zip(branches, counts) {
                    if digit < c {
                        result[name] = b.value
                        try b.subspace.gridPoint(digit, continuousPoints: continuousPoints, into: &result)
                        break
                    }
                    digit -= c
                }
            }
        }
    }

    // MARK: Coding

    struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FieldKey.self)
        var parameters: [String: Parameter] = [:]
        for key in container.allKeys {
            parameters[key.stringValue] = try container.decode(Parameter.self, forKey: key)
        }
        self.parameters = parameters
        do {
            try validate()
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        for (name, parameter) in sortedParameters { try container.encode(parameter, forKey: FieldKey(name)) }
    }
}

extension SearchSpace.Parameter {
    static let fields: [String: Set<String>] = [
        "float": ["type", "low", "high", "log", "step"],
        "int": ["type", "low", "high", "log", "step"],
        "categorical": ["type", "choices"],
    ]

    public init(from decoder: any Decoder) throws {
        typealias FieldKey = SearchSpace.FieldKey
        if (try? decoder.unkeyedContainer()) != nil {
            // A list: the choices of a categorical (errors inside an entry surface with its path).
            self = Self.choices(try decoder.singleValueContainer().decode([ChoiceEntry].self))
            return
        }
        if (try? decoder.container(keyedBy: FieldKey.self)) == nil {
            self = .fixed(try decoder.singleValueContainer().decode(ParameterValue.self))
            return
        }
        let c = try decoder.container(keyedBy: FieldKey.self)
        guard c.contains(FieldKey("type")) else {
            throw DecodingError.keyNotFound(FieldKey("type"), .init(codingPath: decoder.codingPath,
                debugDescription: "a parameter needs 'type' (float, int or categorical), or is a list of choices or a fixed value"))
        }
        let type = try c.decode(String.self, forKey: FieldKey("type"))
        guard let allowed = Self.fields[type] else {
            throw DecodingError.dataCorruptedError(forKey: FieldKey("type"), in: c, debugDescription: "unknown type '\(type)'; expected float, int or categorical")
        }
        for key in c.allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(forKey: key, in: c,
                debugDescription: "unknown field '\(key.stringValue)' for a \(type) parameter; expected \(allowed.sorted().joined(separator: ", "))")
        }
        switch type {
        case "float":
            self = .distribution(.float(low: try c.decode(Double.self, forKey: FieldKey("low")), high: try c.decode(Double.self, forKey: FieldKey("high")),
                                        log: try c.decodeIfPresent(Bool.self, forKey: FieldKey("log")) ?? false,
                                        step: try c.decodeIfPresent(Double.self, forKey: FieldKey("step"))))
        case "int":
            self = .distribution(.int(low: try c.decode(Int.self, forKey: FieldKey("low")), high: try c.decode(Int.self, forKey: FieldKey("high")),
                                      log: try c.decodeIfPresent(Bool.self, forKey: FieldKey("log")) ?? false,
                                      step: try c.decodeIfPresent(Int.self, forKey: FieldKey("step")) ?? 1))
        default:
            // A list of entries, or a map from choices to subspaces: told apart by shape, so an
            // error inside either is reported where it is.
            if (try? c.nestedUnkeyedContainer(forKey: FieldKey("choices"))) != nil {
                self = Self.choices(try c.decode([ChoiceEntry].self, forKey: FieldKey("choices")))
            } else {
                let map = try c.decode([String: SearchSpace?].self, forKey: FieldKey("choices"))
                self = Self.choices(map.sorted { $0.key < $1.key }.map { ChoiceEntry(SearchSpace.Branch(.string($0.key), $0.value ?? [:])) })
            }
        }
    }

    /// A categorical from its entries: a plain distribution when no choice opens a subspace.
    static func choices(_ entries: [ChoiceEntry]) -> Self {
        let branches = entries.map(\.branch)
        if branches.allSatisfy({ $0.subspace.parameters.isEmpty }) { return .distribution(.categorical(branches.map(\.value))) }
        return .choice(branches)
    }

    public func encode(to encoder: any Encoder) throws {
        typealias FieldKey = SearchSpace.FieldKey
        switch self {
        case let .fixed(v):
            var c = encoder.singleValueContainer()
            try c.encode(v)
        case let .distribution(.float(low, high, log, step)):
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.encode("float", forKey: FieldKey("type"))
            try c.encode(low, forKey: FieldKey("low"))
            try c.encode(high, forKey: FieldKey("high"))
            if log { try c.encode(true, forKey: FieldKey("log")) }
            try c.encodeIfPresent(step, forKey: FieldKey("step"))
        case let .distribution(.int(low, high, log, step)):
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.encode("int", forKey: FieldKey("type"))
            try c.encode(low, forKey: FieldKey("low"))
            try c.encode(high, forKey: FieldKey("high"))
            if log { try c.encode(true, forKey: FieldKey("log")) }
            if step != 1 { try c.encode(step, forKey: FieldKey("step")) }
        case let .distribution(.categorical(choices)):
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.encode("categorical", forKey: FieldKey("type"))
            try c.encode(choices, forKey: FieldKey("choices"))
        case let .choice(branches):
            var c = encoder.container(keyedBy: FieldKey.self)
            try c.encode("categorical", forKey: FieldKey("type"))
            try c.encode(branches.map(ChoiceEntry.init), forKey: FieldKey("choices"))
        }
    }
}

/// One entry of a `choices` list: a value, or `{"value": v, "space": {…}}`.
struct ChoiceEntry: Codable {
    let branch: SearchSpace.Branch

    init(_ branch: SearchSpace.Branch) { self.branch = branch }

    init(from decoder: any Decoder) throws {
        if let v = try? decoder.singleValueContainer().decode(ParameterValue.self) {
            branch = SearchSpace.Branch(v)
            return
        }
        typealias FieldKey = SearchSpace.FieldKey
        let c = try decoder.container(keyedBy: FieldKey.self)
        for key in c.allKeys where key.stringValue != "value" && key.stringValue != "space" {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "unknown field '\(key.stringValue)' in a choice; expected value, space")
        }
        branch = SearchSpace.Branch(try c.decode(ParameterValue.self, forKey: FieldKey("value")),
                                    try c.decodeIfPresent(SearchSpace.self, forKey: FieldKey("space")) ?? [:])
    }

    func encode(to encoder: any Encoder) throws {
        if branch.subspace.parameters.isEmpty {
            var c = encoder.singleValueContainer()
            try c.encode(branch.value)
        } else {
            var c = encoder.container(keyedBy: SearchSpace.FieldKey.self)
            try c.encode(branch.value, forKey: SearchSpace.FieldKey("value"))
            try c.encode(branch.subspace, forKey: SearchSpace.FieldKey("space"))
        }
    }
}

extension Distribution {
    /// The `k`-th of `count` grid values: the grid itself for integers, stepped floats and
    /// categoricals; evenly spaced points (geometrically on a log scale) for a continuous float.
    public func gridValue(_ k: Int, of count: Int) -> ParameterValue {
        switch self {
        case let .float(low, high, log, step):
            if let step { return .double(min(high, low + Double(k) * step)) }
            guard count > 1 else { return .double(log ? Foundation.sqrt(low * high) : (low + high) / 2) }
            let t = Double(k) / Double(count - 1)
            return .double(log ? Foundation.exp(Foundation.log(low) + t * (Foundation.log(high) - Foundation.log(low))) : low + t * (high - low))
        case let .int(low, _, _, step):
            return .int(low + k * step)
        case let .categorical(choices):
            return choices[k]
        }
    }
}
