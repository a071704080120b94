import Autograd
import Foundation
@testable import Hypertune
import Testing

/// The storage's own JSON reader and writer against Foundation's `JSONDecoder`/`JSONEncoder`,
/// configured as the backends configured them before: same values both ways, on random values of
/// every shape a backend stores.
@Suite("Stored JSON")
struct StoredJSONTests {
    static let foundationDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }()

    static let foundationEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }()

    /// A canonical text for comparing decoded values (NaN is not equal to itself).
    static func canonical<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try foundationEncoder.encode(value), as: UTF8.self)
    }

    /// Checks, for `value`: our reader on Foundation's text, Foundation's reader on our text, and
    /// our reader on our text all give what Foundation's reader gives on Foundation's text.
    static func check<T: Codable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let theirText = try canonical(value)
        let ourText = try StoredJSON.string(value)
        let reference = try canonical(try foundationDecoder.decode(T.self, from: Data(theirText.utf8)))
        #expect(try canonical(try StoredJSON.decode(T.self, theirText)) == reference, "reading \(theirText)", sourceLocation: sourceLocation)
        #expect(try canonical(try foundationDecoder.decode(T.self, from: Data(ourText.utf8))) == reference, "Foundation reading our \(ourText)", sourceLocation: sourceLocation)
        #expect(try canonical(try StoredJSON.decode(T.self, ourText)) == reference, "reading our \(ourText)", sourceLocation: sourceLocation)
    }

    struct Values {
        var generator: SeededGenerator

        mutating func double() -> Double {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0: return [0, -0.0, 1, 3, -7, 1e16, 1e300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1].randomElement(using: &generator)!
            case 1: return [.nan, .infinity, -.infinity].randomElement(using: &generator)!
            case 2: return Double(Int.random(in: -1_000_000...1_000_000, using: &generator))
            case 3: return Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            default: return Double.random(in: -1...1, using: &generator) * pow(10, Double.random(in: -12...12, using: &generator))
            }
        }

        mutating func int() -> Int {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return [0, -1, Int.max, Int.min, 1 << 53 + 1, -(1 << 60) - 3].randomElement(using: &generator)!
            default: return Int.random(in: -1_000_000...1_000_000, using: &generator)
            }
        }

        mutating func string() -> String {
            let pieces = ["a", "lr", "é", "😀", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1F}", " ", "NaN", "Infinity", "x.y", "$"]
            return (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
        }

        mutating func parameter() -> ParameterValue {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return .double(double())
            case 1: return .int(int())
            case 2: return .string(string())
            default: return .bool(Bool.random(using: &generator))
            }
        }

        mutating func distribution() -> Distribution {
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: return .float(low: double(), high: double(), log: Bool.random(using: &generator), step: Bool.random(using: &generator) ? double() : nil)
            case 1: return .int(low: int(), high: int(), log: Bool.random(using: &generator), step: Int.random(in: 1...9, using: &generator))
            default: return .categorical((0..<Int.random(in: 1...4, using: &generator)).map { _ in parameter() })
            }
        }

        mutating func json(depth: Int = 0) -> JSONValue {
            switch Int.random(in: 0..<(depth < 3 ? 7 : 5), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .number(double())
            case 3, 4: return .string(string())
            case 5: return .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in json(depth: depth + 1) })
            default: return .object(dictionary { $0.json(depth: depth + 1) })
            }
        }

        mutating func dictionary<V>(_ value: (inout Values) -> V) -> [String: V] {
            var d: [String: V] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &generator) { d[string()] = value(&self) }
            return d
        }
    }

    @Test("a trial's columns read and write as Foundation reads them, on 500 random values of each shape")
    func parity() throws {
        var values = Values(generator: SeededGenerator(seed: 7))
        for _ in 0..<500 {
            try Self.check(values.dictionary { $0.parameter() })
            try Self.check(values.dictionary { $0.distribution() })
            try Self.check(values.dictionary { $0.json() })
            try Self.check(values.json())
            try Self.check(values.parameter())
            try Self.check(values.distribution())
            try Self.check((0..<Int.random(in: 0...4, using: &values.generator)).map { _ in values.double() })
            try Self.check(Dictionary((0..<Int.random(in: 0...10, using: &values.generator)).map { _ in (values.int(), values.double()) }) { a, _ in a })
        }
        try Self.check([StudyDirection.minimize, .maximize])
    }

    @Test("numbers: integers from any literal naming one exactly, big integer literals exact, non-finite strings")
    func numbers() throws {
        let read = { (text: String) in try StoredJSON.decode([String: ParameterValue].self, "{\"p\": \(text)}")["p"]! }
        #expect(try read("3") == .int(3))
        #expect(try read("3.0") == .int(3))
        #expect(try read("1e2") == .int(100))
        #expect(try read("-0") == .int(0))
        #expect(try read("0.5") == .double(0.5))
        #expect(try read("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try read("-9223372036854775808") == .int(.min))
        #expect(try read("9223372036854775808") == .double(9.223372036854775808e18))
        #expect(try read("-9223372036854775809") == .double(-9.223372036854775809e18))
        #expect(throws: StorageError.self) { try read("1e400") }
        #expect(try read("\"Infinity\"") == .double(.infinity))
        #expect(try read("\"inf\"") == .string("inf"))
        #expect(try StoredJSON.decode([Int: Double].self, "{\"2\": 0.25, \"10\": \"NaN\"}")[10]!.isNaN)
    }

    @Test("strings: escapes, surrogate pairs and raw UTF-8 read as written")
    func strings() throws {
        let text = #"{"k": "a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00 é😀"}"#
        #expect(try StoredJSON.decode([String: JSONValue].self, text)["k"] == .string("a\"b\\c/d\u{8}\u{C}\n\r\té😀 é😀"))
        #expect(try StoredJSON.decode([String: JSONValue].self, " {\n\t\"\" : [ ] , \"x\":{}}\r\n") == ["": .array([]), "x": .object([:])])
    }

    @Test("invalid JSON is an error naming the byte where it goes wrong, as Foundation rejects it too",
          arguments: ["", "{", "01", "1.", ".5", "+1", "-", "1e", "tru", "nul", "\"abc", "\"\\x\"", "\"\u{1}\"",
                      "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u12\"", "1 2", "{\"a\" 1}", "{1: 2}", "[1 2]", "{\"a\":}", "NaN"])
    func invalid(_ text: String) throws {
        #expect(throws: JSONTreeError.self) { try JSONTree(parsing: text) }
        #expect(throws: (any Error).self) { try Self.foundationDecoder.decode(JSONValue.self, from: Data(text.utf8)) }
        #expect(throws: StorageError.self) { try StoredJSON.decode([String: JSONValue].self, text) }
    }

    @Test("trailing commas, which Foundation lets through, are errors", arguments: ["{\"a\":1,}", "[1,]"])
    func trailingCommas(_ text: String) {
        #expect(throws: JSONTreeError.self) { try JSONTree(parsing: text) }
    }

    @Test("the error names the offset, and nesting beyond 512 levels is refused without exhausting the stack")
    func errors() throws {
        do {
            _ = try JSONTree(parsing: "{\"a\": [1, 2, x]}")
            Issue.record("parsed")
        } catch {
            #expect(error.offset == 13)
            #expect(error.description.contains("byte 13"))
        }
        #expect(throws: JSONTreeError.self) { try JSONTree(parsing: String(repeating: "[", count: 100_000)) }
        _ = try JSONTree(parsing: String(repeating: "[", count: 500) + String(repeating: "]", count: 500))
    }

    @Test("a column of the wrong shape is a storage error naming the type")
    func wrongShape() {
        for (text, type) in [("[1]", "Dictionary<String, ParameterValue>"), ("{\"a\": [1]}", "Dictionary<String, ParameterValue>")] {
            do {
                _ = try StoredJSON.decode([String: ParameterValue].self, text)
                Issue.record("decoded \(text)")
            } catch let error as StorageError {
                #expect(error.kind == .backend && error.description.contains(type))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(throws: StorageError.self) { try StoredJSON.decode([Int: Double].self, "{\"x\": 1}") }
        #expect(throws: StorageError.self) { try StoredJSON.decode([String: Distribution].self, "{\"x\": {\"float\": {\"low\": 0}}}") }
    }
}
