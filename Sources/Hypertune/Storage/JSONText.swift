/// JSON text of a ``JSONValue``: valid JSON (RFC 8259) for every value — what the storage keeps
/// in its columns (``StoredJSON``), exports write and the command line prints.
///
/// - Members of an object in sorted key order — numeric order when every key is a canonical
///   integer (the steps of `intermediate`: `"2"` before `"10"`), else `String` order — so the
///   same value always gives the same text.
/// - Numbers in the shortest form that reads back as the same `Double`; integral values of
///   magnitude below 2⁵³ without a fraction (`3`, not `3.0`; `-0` keeps its sign), so integers
///   such as trial numbers and integer parameters read back as integers in any language.
/// - Non-finite numbers, which JSON cannot hold, as the strings `"NaN"`, `"Infinity"` and
///   `"-Infinity"` — the convention of the storage's own JSON (`StoredJSON`) and of
///   `JSONEncoder`'s `convertToString`, and lossless, unlike `null`.
/// - Strings with `"`, `\` and control characters escaped, and U+2028 / U+2029 as `\u2028` /
///   `\u2029` (valid JSON either way, but they end a line in older JavaScript).
public enum JSONText {
    /// The text of `value`: one line, or with `pretty` two-space indents and `": "`.
    ///
    /// - Complexity: O(*n* log *n*) in the size of `value` (keys are sorted).
    public static func string(_ value: JSONValue, pretty: Bool = false) -> String {
        var out = ""
        write(value, pretty: pretty, indent: 0, to: &out)
        return out
    }

    /// The text of one number under the rules above.
    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "\"NaN\"" : x > 0 ? "\"Infinity\"" : "\"-Infinity\"" }
        if x == x.rounded(), abs(x) < 9_007_199_254_740_992 {
            return x == 0 ? (x.sign == .minus ? "-0" : "0") : String(Int64(x))
        }
        // Swift's description is the shortest round-trip form, and always JSON grammar for
        // finite values ("1e-05", "1.5e+300", "0.1").
        return "\(x)"
    }

    static func write(_ value: JSONValue, pretty: Bool, indent: Int, to out: inout String) {
        switch value {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(x): out += number(x)
        case let .string(s): writeString(s, to: &out)
        case let .array(items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(pretty, indent + 1, &out)
                write(item, pretty: pretty, indent: indent + 1, to: &out)
            }
            newline(pretty, indent, &out)
            out += "]"
        case let .object(members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{"
            for (i, key) in sortedKeys(members.keys).enumerated() {
                if i > 0 { out += "," }
                newline(pretty, indent + 1, &out)
                writeString(key, to: &out)
                out += pretty ? ": " : ":"
                write(members[key]!, pretty: pretty, indent: indent + 1, to: &out)
            }
            newline(pretty, indent, &out)
            out += "}"
        }
    }

    /// Keys in numeric order when all are canonical integers (no sign other than `-`, no leading
    /// zeros), else in `String` order.
    static func sortedKeys(_ keys: Dictionary<String, JSONValue>.Keys) -> [String] {
        let numbers = keys.compactMap { k -> (Int, String)? in
            guard let n = Int(k), String(n) == k else { return nil }
            return (n, k)
        }
        if numbers.count == keys.count { return numbers.sorted { $0.0 < $1.0 }.map(\.1) }
        return keys.sorted()
    }

    static func newline(_ pretty: Bool, _ indent: Int, _ out: inout String) {
        guard pretty else { return }
        out += "\n"
        out += String(repeating: "  ", count: indent)
    }

    /// A string literal: quotes, backslashes, control characters and U+2028/U+2029 escaped,
    /// everything else copied in runs.
    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        var plainStart = s.unicodeScalars.startIndex
        var i = plainStart
        while i != s.unicodeScalars.endIndex {
            let scalar = s.unicodeScalars[i]
            let escape: String? = switch scalar {
            case "\"": "\\\""
            case "\\": "\\\\"
            case "\n": "\\n"
            case "\r": "\\r"
            case "\t": "\\t"
            case "\u{08}": "\\b"
            case "\u{0C}": "\\f"
            case "\u{2028}": "\\u2028"
            case "\u{2029}": "\\u2029"
            default: scalar.value < 0x20 || scalar.value == 0x7F ? "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16) : nil
            }
            if let escape {
                out.unicodeScalars.append(contentsOf: s.unicodeScalars[plainStart..<i])
                out += escape
                plainStart = s.unicodeScalars.index(after: i)
            }
            i = s.unicodeScalars.index(after: i)
        }
        out.unicodeScalars.append(contentsOf: s.unicodeScalars[plainStart...])
        out += "\""
    }
}
