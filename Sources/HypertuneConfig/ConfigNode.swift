import Foundation
import Hypertune
import Yams

/// A configuration document (YAML, or JSON — which YAML reads too) as a tree whose every node
/// knows where it was written, so that errors name the file, line and key.
///
/// Plain scalars are typed by YAML 1.2's core schema: `null`/`~`/empty, `true`/`false`,
/// integers, floats (`1e-5` and `.5` included, unlike YAML 1.1), everything else a string; quoted
/// scalars are always strings. A mapping may not repeat a key.
public struct ConfigNode: Sendable {
    public enum Value: Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case sequence([ConfigNode])
        case mapping([Entry])
    }

    public struct Entry: Sendable {
        public let key: String
        public let keyNode: ConfigNode
        public let value: ConfigNode
    }

    public let value: Value
    /// 1-based line and column.
    public let line: Int, column: Int
    /// The keys (and `[index]`es) leading here from the root, for messages: `space.lr.low`.
    public let path: [String]
    /// The document's name in messages (its file path).
    public let file: String

    /// Parses a document.
    /// - Throws: ``ConfigError`` with the position of a syntax error, a repeated key or an
    ///   unsupported construct (a non-scalar key).
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
            throw ConfigError.duplicate(duplicates.sorted().first ?? "?", in: text, mapping: context.mark, file: file)
        } catch let error as YamlError {
            throw ConfigError.syntax(error, file: file)
        } catch {
            throw ConfigError(file: file, line: nil, column: nil, path: [], message: "cannot read the document: \(error)")
        }
        guard let node else { throw ConfigError(file: file, line: 1, column: 1, path: [], message: "the document is empty") }
        return try convert(node, path: [], file: file)
    }

    static func convert(_ node: Node, path: [String], file: String) throws(ConfigError) -> ConfigNode {
        let line = node.mark?.line ?? 0, column = node.mark?.column ?? 0
        switch node {
        case let .scalar(scalar):
            return ConfigNode(value: resolve(scalar), line: line, column: column, path: path, file: file)
        case let .sequence(sequence):
            var elements: [ConfigNode] = []
            for (i, element) in sequence.enumerated() {
                elements.append(try convert(element, path: path + ["[\(i)]"], file: file))
            }
            return ConfigNode(value: .sequence(elements), line: line, column: column, path: path, file: file)
        case let .mapping(mapping):
            var entries: [Entry] = [], seen: [String: Int] = [:]
            for (keyNode, valueNode) in mapping {
                guard case let .scalar(keyScalar) = keyNode else {
                    throw ConfigError(file: file, line: keyNode.mark?.line, column: keyNode.mark?.column, path: path, message: "a key must be a plain name, not a list or a mapping")
                }
                let key = keyScalar.string
                let keyLine = keyNode.mark?.line ?? line
                if let first = seen[key] {
                    throw ConfigError(file: file, line: keyLine, column: keyNode.mark?.column, path: path + [key],
                                      message: "'\(key)' is given twice (first on line \(first))")
                }
                seen[key] = keyLine
                let keyConfig = ConfigNode(value: .string(key), line: keyLine, column: keyNode.mark?.column ?? column, path: path + [key], file: file)
                entries.append(Entry(key: key, keyNode: keyConfig, value: try convert(valueNode, path: path + [key], file: file)))
            }
            return ConfigNode(value: .mapping(entries), line: line, column: column, path: path, file: file)
        case let .alias(alias):
            throw ConfigError(file: file, line: alias.mark?.line, column: alias.mark?.column, path: path, message: "YAML aliases (*name) are not supported here")
        }
    }

    /// YAML 1.2 core schema resolution of a scalar.
    static func resolve(_ scalar: Node.Scalar) -> Value {
        let text = scalar.string
        guard scalar.style == .plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        if text.wholeMatch(of: /[-+]?[0-9]+/) != nil {
            if let i = Int(text.hasPrefix("+") ? String(text.dropFirst()) : text) { return .int(i) }
            return Double(text).map(Value.double) ?? .string(text)
        }
        if let hex = text.wholeMatch(of: /0x([0-9a-fA-F]+)/), let i = Int(hex.1, radix: 16) { return .int(i) }
        if let octal = text.wholeMatch(of: /0o([0-7]+)/), let i = Int(octal.1, radix: 8) { return .int(i) }
        if text.wholeMatch(of: /[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?/) != nil, let x = Double(text) { return .double(x) }
        return .string(text)
    }

    // MARK: Reading

    /// What kind of value this is, for messages.
    public var kind: String {
        switch value {
        case .null: "nothing"
        case let .bool(b): "\(b)"
        case let .int(i): "\(i)"
        case let .double(x): "\(x)"
        case let .string(s): "'\(s)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }

    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, column: column, path: path, message: message)
    }

    public var entries: [Entry]? {
        if case let .mapping(e) = value { return e }
        return nil
    }

    public func mapping() throws(ConfigError) -> [Entry] {
        guard let entries else { throw error("expected a mapping of keys to values, got \(kind)") }
        return entries
    }

    public func string() throws(ConfigError) -> String {
        switch value {
        case let .string(s): return s
        case let .int(i): return String(i)
        case let .double(x): return "\(x)"
        case let .bool(b): return "\(b)"
        default: throw error("expected a string, got \(kind)")
        }
    }

    public func int(atLeast minimum: Int? = nil) throws(ConfigError) -> Int {
        let i: Int
        switch value {
        case let .int(v): i = v
        case let .double(x) where x == x.rounded() && abs(x) < 9e15: i = Int(x)
        default: throw error("expected a whole number, got \(kind)")
        }
        if let minimum, i < minimum { throw error("must be at least \(minimum), got \(i)") }
        return i
    }

    public func double(in range: ClosedRange<Double>? = nil) throws(ConfigError) -> Double {
        let x: Double
        switch value {
        case let .int(i): x = Double(i)
        case let .double(d): x = d
        default: throw error("expected a number, got \(kind)")
        }
        guard x.isFinite else { throw error("expected a finite number, got \(x)") }
        if let range, !range.contains(x) { throw error("must be in [\(range.lowerBound), \(range.upperBound)], got \(x)") }
        return x
    }

    public func bool() throws(ConfigError) -> Bool {
        guard case let .bool(b) = value else { throw error("expected true or false, got \(kind)") }
        return b
    }

    public func strings() throws(ConfigError) -> [String] {
        guard case let .sequence(elements) = value else { throw error("expected a list, got \(kind)") }
        var out: [String] = []
        for e in elements {
            guard case .string = e.value else {
                switch e.value {
                case .int, .double, .bool: out.append(try e.string())
                default: throw e.error("expected a string, got \(e.kind)")
                }
                continue
            }
            out.append(try e.string())
        }
        return out
    }

    /// A duration: a number of seconds, or text such as `90s`, `10m`, `1h30m`, `500ms`, `2d`.
    public func duration() throws(ConfigError) -> Duration {
        switch value {
        case let .int(i) where i > 0: return .seconds(i)
        case let .double(x) where x > 0 && x.isFinite: return .milliseconds(Int64((x * 1000).rounded()))
        case let .string(s):
            guard let d = Self.parseDuration(s) else { throw error("expected a duration such as 90s, 10m, 1h30m or 500ms, got '\(s)'") }
            return d
        default: throw error("expected a positive duration such as 90s, 10m or 1h30m, got \(kind)")
        }
    }

    /// `1h30m`, `90s`, `500ms`, `2d`, `1.5h`: a sum of numbers with units (d, h, m, s, ms).
    public static func parseDuration(_ text: String) -> Duration? {
        let parts = text.replacingOccurrences(of: " ", with: "").matches(of: /([0-9]+(?:\.[0-9]+)?)(ms|d|h|m|s)/)
        guard !parts.isEmpty, parts.map({ String($0.0) }).joined() == text.replacingOccurrences(of: " ", with: "") else { return nil }
        var milliseconds = 0.0
        for part in parts {
            guard let n = Double(part.1) else { return nil }
            let unit: Double = switch part.2 { case "ms": 0.001; case "s": 1; case "m": 60; case "h": 3600; default: 86400 }
            milliseconds += n * unit * 1000
        }
        guard milliseconds > 0 else { return nil }
        return .milliseconds(Int64(milliseconds.rounded()))
    }

    /// The value as plain JSON-compatible objects (for `Decodable` types such as the search space),
    /// non-finite numbers as strings.
    var plain: Any {
        switch value {
        case .null: NSNull()
        case let .bool(b): b
        case let .int(i): i
        case let .double(x): x.isFinite ? x as Any : "\(x)"
        case let .string(s): s
        case let .sequence(e): e.map(\.plain)
        case let .mapping(e): Dictionary(e.map { ($0.key, $0.value.plain) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Decodes a `Decodable` value from this node; a decoding error becomes a ``ConfigError`` at the
    /// node it concerns.
    public func decode<T: Decodable>(_ type: T.Type) throws(ConfigError) -> T {
        do {
            let data = try JSONSerialization.data(withJSONObject: plain, options: [.fragmentsAllowed])
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw locate(error)
        } catch {
            throw self.error("\(error)")
        }
    }

    /// The node at a coding path below this one (as deep as it exists).
    func descendant(_ codingPath: some Collection<any CodingKey>) -> ConfigNode {
        var node = self
        for key in codingPath {
            switch node.value {
            case let .mapping(entries):
                guard let next = entries.first(where: { $0.key == key.stringValue }) else { return node }
                node = next.value
            case let .sequence(elements):
                guard let i = key.intValue, elements.indices.contains(i) else { return node }
                node = elements[i]
            default:
                return node
            }
        }
        return node
    }

    /// The first key named `name` in this subtree, depth first.
    func firstKey(named name: String) -> ConfigNode? {
        switch value {
        case let .mapping(entries):
            for e in entries {
                if e.key == name { return e.keyNode }
                if let found = e.value.firstKey(named: name) { return found }
            }
        case let .sequence(elements):
            for e in elements { if let found = e.firstKey(named: name) { return found } }
        default: break
        }
        return nil
    }

    func locate(_ error: DecodingError) -> ConfigError {
        switch error {
        case let .keyNotFound(key, context):
            return descendant(context.codingPath).error("missing '\(key.stringValue)'" + (context.debugDescription.hasPrefix("No value") ? "" : ": \(context.debugDescription)"))
        case let .typeMismatch(type, context):
            let node = descendant(context.codingPath)
            return node.error("expected \(Self.describe(type)), got \(node.kind)")
        case let .valueNotFound(type, context):
            return descendant(context.codingPath).error("expected \(Self.describe(type)), got nothing")
        case let .dataCorrupted(context):
            var node = descendant(context.codingPath)
            let message = context.debugDescription
            // An unknown field: point at its key rather than its value.
            if message.hasPrefix("unknown field"), let last = context.codingPath.last,
               case let .mapping(entries) = descendant(context.codingPath.dropLast()).value,
               let entry = entries.first(where: { $0.key == last.stringValue }) {
                node = entry.keyNode
            }
            // A search-space error names the parameter by its path (`optimizer=sgd/momentum`):
            // point at that parameter's key.
            if let match = message.firstMatch(of: /^parameter '([^']+)'/),
               let name = match.1.split(separator: "/").last, let key = node.firstKey(named: String(name)) {
                node = key
            }
            return node.error(ConfigError.withSuggestion(message))
        @unknown default:
            return self.error("\(error)")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        default: "\(type)"
        }
    }
}

/// A configuration that cannot be used, with where and why: `study.yaml:12:5: space.lr.low:
/// expected a number, got 'abc'`.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int?, column: Int?
    public let path: [String]
    public let message: String

    public init(file: String, line: Int?, column: Int?, path: [String], message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var key: String { path.reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 } }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" + (column.map { ":\($0)" } ?? "") }
        return key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }

    static func syntax(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column, path: [], message: "not valid YAML or JSON: \(problem)")
        case let .reader(problem, _, _, _):
            return ConfigError(file: file, line: nil, column: nil, path: [], message: "cannot read the text: \(problem)")
        default:
            return ConfigError(file: file, line: nil, column: nil, path: [], message: "not valid YAML or JSON: \(error)")
        }
    }

    /// A key given twice in one mapping: where it is repeated, and where it came first (found in
    /// the text from the mapping's start, as the parser reports only the mapping).
    static func duplicate(_ key: String, in text: String, mapping: Mark, file: String) -> ConfigError {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let pattern = "(^|[{,\\s])[\"']?" + NSRegularExpression.escapedPattern(for: key) + "[\"']?\\s*:"
        let expression = try? NSRegularExpression(pattern: pattern)
        var found: [Int] = []
        for (i, line) in lines.enumerated() where i + 1 >= mapping.line {
            let s = String(line)
            if let expression, expression.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil { found.append(i + 1) }
            if found.count == 2 { break }
        }
        guard found.count == 2 else {
            return ConfigError(file: file, line: mapping.line, column: mapping.column, path: [key], message: "'\(key)' is given twice in this mapping")
        }
        let column = (lines[found[1] - 1].firstIndex { !$0.isWhitespace }).map { lines[found[1] - 1].distance(from: lines[found[1] - 1].startIndex, to: $0) + 1 }
        return ConfigError(file: file, line: found[1], column: column, path: [key], message: "'\(key)' is given twice (first on line \(found[0]))")
    }

    /// `name` if it is close to one of `known` (a likely misspelling), for "did you mean …?".
    public static func suggestion(for name: String, among known: some Sequence<String>) -> String? {
        let scored = known.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }.filter { $0.1 <= min(2, max(1, $0.0.count / 3)) }
        return scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0
    }

    /// "unknown field 'lgo' …; expected high, log, low" messages gain "did you mean 'log'?".
    static func withSuggestion(_ message: String) -> String {
        guard let unknown = message.firstMatch(of: /unknown field '([^']+)'/), let expected = message.firstMatch(of: /expected ([a-z_, ]+)$/) else { return message }
        let known = expected.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let guess = suggestion(for: String(unknown.1), among: known) else { return message }
        return message + " (did you mean '\(guess)'?)"
    }

    /// The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
    /// neighbouring letters (`lgo` → `log` is one edit).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
