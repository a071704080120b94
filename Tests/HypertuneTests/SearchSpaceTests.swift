import Foundation
@testable import Hypertune
import Testing

// MARK: Fixtures

private typealias Branch = SearchSpace.Branch

/// A three-level conditional space, in the JSON syntax of ``SearchSpace``'s documentation: the
/// optimizer's choices as a map (with a `null` branch), the schedule's as a list with a
/// `{"value", "space"}` entry.
private let nestedJSON = #"""
{
  "lr":         {"type": "float", "low": 1e-5, "high": 0.1, "log": true},
  "layers":     {"type": "int", "low": 1, "high": 4},
  "units":      {"type": "int", "low": 16, "high": 256, "step": 16, "log": false},
  "dropout":    {"type": "float", "low": 0, "high": 0.5, "step": 0.1},
  "width":      {"type": "int", "low": 2, "high": 512, "log": true},
  "activation": {"type": "categorical", "choices": ["relu", "tanh"]},
  "epochs":     20,
  "optimizer":  {"type": "categorical", "choices": {
      "sgd":  {"momentum": {"type": "float", "low": 0, "high": 0.99},
               "schedule": {"type": "categorical", "choices": [
                   {"value": "cosine", "space": {"warmup": {"type": "int", "low": 0, "high": 10}}},
                   "constant"]}},
      "adam": {"beta1": {"type": "float", "low": 0.8, "high": 0.999}},
      "none": null}}
}
"""#

/// `nestedJSON`, written out by hand.
private let nestedSpace: SearchSpace = [
    "lr": .distribution(.float(low: 1e-5, high: 0.1, log: true)),
    "layers": .distribution(.int(low: 1, high: 4)),
    "units": .distribution(.int(low: 16, high: 256, step: 16)),
    "dropout": .distribution(.float(low: 0, high: 0.5, step: 0.1)),
    "width": .distribution(.int(low: 2, high: 512, log: true)),
    "activation": .distribution(.categorical(["relu", "tanh"])),
    "epochs": .fixed(20),
    // Map keys in order: adam, none, sgd.
    "optimizer": .choice([
        Branch("adam", ["beta1": .distribution(.float(low: 0.8, high: 0.999))]),
        Branch("none"),
        Branch("sgd", [
            "momentum": .distribution(.float(low: 0, high: 0.99)),
            "schedule": .choice([
                Branch("cosine", ["warmup": .distribution(.int(low: 0, high: 10))]),
                Branch("constant"),
            ]),
        ]),
    ]),
]

private func decode(_ json: String) throws -> SearchSpace {
    try JSONDecoder().decode(SearchSpace.self, from: Data(json.utf8))
}

private func encode(_ space: SearchSpace) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return try encoder.encode(space)
}

/// Where and why decoding failed: the coding path (array indices as `[i]`, a missing key
/// appended), and the message.
private struct Failure {
    let path: String
    let message: String
}

private func failure(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> Failure? {
    let error = #expect(throws: DecodingError.self, sourceLocation: sourceLocation) { try decode(json) }
    func render(_ path: [any CodingKey]) -> String {
        path.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }.joined(separator: "/")
    }
    switch error {
    case let .dataCorrupted(context)?:
        return Failure(path: render(context.codingPath), message: context.debugDescription)
    case let .keyNotFound(key, context)?:
        return Failure(path: render(context.codingPath + [key]), message: context.debugDescription)
    case let .typeMismatch(_, context)?, let .valueNotFound(_, context)?:
        return Failure(path: render(context.codingPath), message: context.debugDescription)
    default:
        return nil
    }
}

/// A space of one parameter `name` defined by `parameterJSON`, at the top level or nested in the
/// `sgd` branch of `optimizer` (choices as a list, or as a map) or in the bare-list form.
enum SpacePlacement: String, CaseIterable, CustomStringConvertible {
    case top, nestedList, nestedMap, nestedBareList
    var description: String { rawValue }

    func json(_ name: String, _ parameterJSON: String) -> String {
        switch self {
        case .top:
            return #"{"\#(name)": \#(parameterJSON), "other": 1}"#
        case .nestedList:
            return #"{"optimizer": {"type": "categorical", "choices": [{"value": "sgd", "space": {"\#(name)": \#(parameterJSON)}}, "adam"]}}"#
        case .nestedMap:
            return #"{"optimizer": {"type": "categorical", "choices": {"sgd": {"\#(name)": \#(parameterJSON)}, "adam": null}}}"#
        case .nestedBareList:
            return #"{"optimizer": [{"value": "sgd", "space": {"\#(name)": \#(parameterJSON)}}, "adam"]}"#
        }
    }

    /// The coding path of the space that holds the parameter.
    var spacePath: String {
        switch self {
        case .top: return ""
        case .nestedList: return "optimizer/choices/[0]/space"
        case .nestedMap: return "optimizer/choices/sgd"
        case .nestedBareList: return "optimizer/[0]/space"
        }
    }

    /// The coding path of the parameter `name`.
    func path(_ name: String) -> String { spacePath.isEmpty ? name : spacePath + "/" + name }
}

/// The invalid parameters the decoder must reject: (JSON, offending field or nil when the
/// parameter as a whole is invalid, words the message must contain).
private let invalidParameters: [(label: String, json: String, field: String?, words: String)] = [
    ("unknown field", #"{"type": "float", "low": 0, "high": 1, "lgo": true}"#, "lgo", "unknown field 'lgo'"),
    ("unknown field of a choice", #"{"type": "categorical", "choices": [{"value": "a", "spaces": {}}]}"#, "choices/[0]/spaces", "unknown field 'spaces'"),
    ("missing type", #"{"low": 0, "high": 1}"#, "type", "needs 'type'"),
    ("low > high", #"{"type": "float", "low": 2, "high": 1}"#, nil, "low 2.0 is greater than high 1.0"),
    ("int low > high", #"{"type": "int", "low": 5, "high": 1}"#, nil, "low 5 is greater than high 1"),
    ("log float with low = 0", #"{"type": "float", "low": 0, "high": 1, "log": true}"#, nil, "needs low > 0"),
    ("log float with low < 0", #"{"type": "float", "low": -1, "high": 1, "log": true}"#, nil, "needs low > 0"),
    ("log int with low = 0", #"{"type": "int", "low": 0, "high": 8, "log": true}"#, nil, "needs low ≥ 1"),
    ("empty categorical", #"{"type": "categorical", "choices": []}"#, nil, "at least one choice"),
    ("empty bare list", #"[]"#, nil, "at least one choice"),
    ("float step not dividing the range", #"{"type": "float", "low": 0, "high": 1, "step": 0.3}"#, nil, "does not divide"),
    ("int step not dividing the range", #"{"type": "int", "low": 0, "high": 10, "step": 3}"#, nil, "does not divide"),
]

// MARK: Tests

@Suite("Search spaces")
struct SearchSpaceTests {
    @Test("a nested conditional space decodes as written by hand, and encode/decode round-trips it")
    func roundTrip() throws {
        let decoded = try decode(nestedJSON)
        #expect(decoded == nestedSpace)
        #expect(throws: Never.self) { try nestedSpace.validate() }

        let data = try encode(decoded)
        let again = try JSONDecoder().decode(SearchSpace.self, from: data)
        #expect(again == nestedSpace)
        // Encoding is a fixed point too.
        #expect(try encode(again) == data)

        // The branch with a subspace is written as {"value", "space"}; bare choices as values.
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let optimizer = try #require(object["optimizer"] as? [String: Any])
        #expect(optimizer["type"] as? String == "categorical")
        let choices = try #require(optimizer["choices"] as? [Any])
        #expect(choices.count == 3)
        #expect(choices[1] as? String == "none")
        #expect((choices[0] as? [String: Any])?["value"] as? String == "adam")
        #expect(object["epochs"] as? Int == 20)
    }

    @Test("the list and map forms of conditional choices decode to the same space")
    func listAndMapForms() throws {
        let list = try decode(#"""
            {"optimizer": {"type": "categorical", "choices": [
                {"value": "adam", "space": {"beta1": {"type": "float", "low": 0.8, "high": 0.999}}},
                "none",
                {"value": "sgd", "space": {"momentum": {"type": "float", "low": 0, "high": 0.99},
                    "schedule": {"type": "categorical", "choices": {"constant": {}, "cosine": {"warmup": {"type": "int", "low": 0, "high": 10}}}}}}]}}
            """#)
        let expected: SearchSpace = [
            "optimizer": nestedSpace.parameters["optimizer"]!.replacingSchedule(
                // The map form orders the schedule's choices by key.
                .choice([Branch("constant"), Branch("cosine", ["warmup": .distribution(.int(low: 0, high: 10))])]))
        ]
        #expect(list == expected)
    }

    @Test("a bare list is the same categorical as {type: categorical, choices: […]}")
    func bareList() throws {
        let bare = try decode(#"{"activation": ["relu", "tanh"]}"#)
        let keyed = try decode(#"{"activation": {"type": "categorical", "choices": ["relu", "tanh"]}}"#)
        #expect(try decode(String(decoding: try encode(keyed), as: UTF8.self)) == keyed)
        // Both sample as the categorical ["relu", "tanh"] and have a grid of 2.
        #expect(try bare.gridCount() == 2 && keyed.gridCount() == 2)
        let bareAgain = try decode(String(decoding: try encode(bare), as: UTF8.self))
        #expect(bare == keyed)
        #expect(bareAgain == bare)
    }

    @Test("decoding errors name the path of the offending field", arguments: SpacePlacement.allCases)
    func decodingErrorPaths(placement: SpacePlacement) throws {
        for (label, parameterJSON, field, words) in invalidParameters {
            let json = placement.json("p", parameterJSON)
            guard let failure = failure(json) else {
                Issue.record("\(label): no decoding error for \(json)")
                continue
            }
            #expect(failure.message.contains(words), "\(label): \(failure.message)")
            if let field {
                #expect(failure.path == placement.path("p") + "/" + field, "\(label)")
            } else {
                // An invalid range: reported by the space that holds the parameter, naming it.
                #expect(failure.path == placement.spacePath, "\(label)")
                #expect(failure.message.contains("parameter 'p'"), "\(label): \(failure.message)")
            }
        }
    }

    @Test("conditional choices decode in map form and bare-list form", arguments: [SpacePlacement.nestedMap, .nestedBareList])
    func conditionalChoiceForms(placement: SpacePlacement) throws {
        let valid = try decode(placement.json("p", #"{"type": "float", "low": 0, "high": 1}"#))
        let sgd = Branch("sgd", ["p": .distribution(.float(low: 0, high: 1))])
        // A map's choices are in key order; a list's as written.
        #expect(valid.parameters["optimizer"] == .choice(placement == .nestedMap ? [Branch("adam"), sgd] : [sgd, Branch("adam")]))
    }

    @Test("a name may recur only in different branches of one categorical")
    func repeatedNames() throws {
        func lr(_ low: Double = 0) -> SearchSpace.Parameter { .distribution(.float(low: low, high: 1)) }

        // Allowed: exclusive branches, at any depth, even with different distributions.
        let allowed: [SearchSpace] = [
            ["optimizer": .choice([Branch("sgd", ["lr": lr()]), Branch("adam", ["lr": lr(0.5)])])],
            ["optimizer": .choice([
                Branch("sgd", ["schedule": .choice([Branch("cosine", ["warmup": lr()]), Branch("step", ["warmup": lr(0.1)])])]),
                Branch("adam", ["warmup": .fixed(3)]),
            ])],
        ]
        for space in allowed { #expect(throws: Never.self) { try space.validate() } }

        // Refused: two places that can be active together.
        let refused: [(label: String, space: SearchSpace, places: [String])] = [
            ("top level and in a branch", ["lr": lr(), "optimizer": .choice([Branch("sgd", ["lr": lr()]), Branch("adam")])], ["optimizer"]),
            ("branches of two different categoricals", [
                "optimizer": .choice([Branch("sgd", ["lr": lr()]), Branch("adam")]),
                "schedule": .choice([Branch("cosine", ["lr": lr()]), Branch("constant")]),
            ], ["optimizer", "schedule"]),
            ("a branch and a branch nested in it", [
                "optimizer": .choice([
                    Branch("sgd", ["lr": lr(), "schedule": .choice([Branch("cosine", ["lr": lr()]), Branch("constant")])]),
                    Branch("adam"),
                ]),
            ], ["optimizer", "schedule"]),
        ]
        for (label, space, places) in refused {
            let error = #expect(throws: SearchSpaceError.self, "\(label)") { try space.validate() }
            #expect(error?.parameter == "lr", "\(label)")
            #expect(error?.message.contains("active together") == true, "\(label): \(error?.message ?? "")")
            // The message locates both places by the categoricals above them.
            for place in places { #expect(error?.message.contains(place) == true, "\(label): \(error?.message ?? "") names \(place)") }
            // Decoding refuses it too.
            let json = String(decoding: try encode(space), as: UTF8.self)
            let decoded = failure(json)
            #expect(decoded?.message.contains("'lr'") == true && decoded?.message.contains("active together") == true, "\(label)")
        }
    }

    @Test("validate() names an invalid parameter in a branch by its path")
    func nestedValidationPath() throws {
        let space: SearchSpace = [
            "optimizer": .choice([
                Branch("adam"),
                Branch("sgd", ["schedule": .choice([Branch("cosine", ["warmup": .distribution(.int(low: 3, high: 1))])])]),
            ]),
        ]
        let error = #expect(throws: SearchSpaceError.self) { try space.validate() }
        let path = try #require(error?.parameter)
        // The categoricals on the way down, outermost first, then the name.
        #expect(path.hasPrefix("optimizer") && path.hasSuffix("/warmup"), "\(path)")
        let optimizer = try #require(path.range(of: "optimizer")), schedule = try #require(path.range(of: "schedule"))
        #expect(optimizer.upperBound <= schedule.lowerBound, "\(path)")
        #expect(error?.message.contains("low 3 is greater than high 1") == true)
    }
}

// MARK: Sampling

/// A space nested three levels deep: optimizer → schedule → restarts.
private let samplingSpace: SearchSpace = [
    "lr": .distribution(.float(low: 1e-4, high: 1, log: true)),
    "epochs": .fixed(20),
    "optimizer": .choice([
        Branch("sgd", [
            "momentum": .distribution(.float(low: 0, high: 0.9)),
            "schedule": .choice([
                Branch("cosine", [
                    "warmup": .distribution(.int(low: 0, high: 10)),
                    "restarts": .choice([Branch("yes", ["period": .distribution(.int(low: 1, high: 5))]), Branch("no")]),
                ]),
                Branch("constant"),
            ]),
        ]),
        Branch("adam", ["beta1": .distribution(.float(low: 0.8, high: 0.999)), "amsgrad": .distribution(.categorical([true, false]))]),
        Branch("none"),
    ]),
]

/// The names that must be active for the branch choices in `p`, written out by hand.
private func activeNames(_ p: [String: ParameterValue]) -> Set<String> {
    var names: Set<String> = ["lr", "epochs", "optimizer"]
    switch p["optimizer"] {
    case .string("sgd")?:
        names.formUnion(["momentum", "schedule"])
        if p["schedule"] == "cosine" {
            names.formUnion(["warmup", "restarts"])
            if p["restarts"] == "yes" { names.insert("period") }
        }
    case .string("adam")?:
        names.formUnion(["beta1", "amsgrad"])
    default:
        break
    }
    return names
}

/// The leaf branch a configuration took.
private func leaf(_ p: [String: ParameterValue]) -> String {
    [p["optimizer"], p["schedule"], p["restarts"]].compactMap { $0?.description }.joined(separator: "/")
}

/// The distribution of each name of `samplingSpace`, for checking values.
private let samplingDistributions: [String: Distribution] = [
    "lr": .float(low: 1e-4, high: 1, log: true), "epochs": .categorical([20]),
    "optimizer": .categorical(["sgd", "adam", "none"]), "momentum": .float(low: 0, high: 0.9),
    "schedule": .categorical(["cosine", "constant"]), "warmup": .int(low: 0, high: 10),
    "restarts": .categorical(["yes", "no"]), "period": .int(low: 1, high: 5),
    "beta1": .float(low: 0.8, high: 0.999), "amsgrad": .categorical([true, false]),
]

extension SearchSpaceTests {
    @Test("sampling yields exactly the active parameters of the chosen branches, at every level", arguments: ["random", "tpe"])
    func sampling(samplerName: String) async throws {
        var tpe = TPESampler.Configuration()
        tpe.startupTrials = 10
        let sampler: any Sampler = samplerName == "random" ? RandomSampler(seed: 11) : TPESampler(seed: 11, configuration: tpe)
        let study = try await Study.create(name: "sample", direction: .minimize, sampler: sampler)
        let count = samplerName == "random" ? 300 : 120
        var leaves: [String: Int] = [:]
        var returnedMatches = true
        for _ in 0..<count {
            let trial = try await study.ask()
            let returned = try await samplingSpace.sample(trial)
            let stored = try await study.storage.trial(id: trial.id)
            let p = stored.parameters
            #expect(Set(p.keys) == activeNames(p), "trial \(trial.number): \(p)")
            for (name, value) in p {
                #expect(stored.distributions[name] == samplingDistributions[name], "\(name)")
                #expect(samplingDistributions[name]?.toInternal(value) != nil, "\(name) = \(value)")
            }
            #expect(p["epochs"] == 20)
            // Every returned value is the stored one.
            for (name, value) in returned { #expect(p[name] == value, "\(name)") }
            if returned != p { returnedMatches = false }
            leaves[leaf(p), default: 0] += 1
            // A value that prefers one corner, so that TPE has something to model.
            let lr = p["lr"]!.doubleValue!
            try await study.tell(trial, log10(lr) + (p["optimizer"] == "adam" ? 0 : 1))
        }
        // Every leaf of the tree was reached.
        #expect(Set(leaves.keys) == ["sgd/cosine/yes", "sgd/cosine/no", "sgd/constant", "adam", "none"], "\(leaves)")
        #expect(returnedMatches)
    }
}

private extension SearchSpace.Parameter {
    /// The optimizer choice of `nestedSpace` with the sgd branch's schedule replaced.
    func replacingSchedule(_ schedule: SearchSpace.Parameter) -> SearchSpace.Parameter {
        guard case let .choice(branches) = self else { return self }
        return .choice(branches.map { b in
            guard b.value == "sgd" else { return b }
            var s = b.subspace
            s.parameters["schedule"] = schedule
            return Branch(b.value, s)
        })
    }
}
