/// A JSON document parsed once into a tree, which typed decoding then walks without reading text
/// again: how storage backends read the JSON in their columns.
///
/// Foundation's `JSONDecoder` spends most of a stored trial's read on its general machinery
/// (about 150 µs for a trial of six parameters, against a few µs of parsing). This reader parses
/// strict JSON (RFC 8259) by hand and decodes through a lean `Decoder` over the tree, with the
/// same results as `JSONDecoder` configured as ``StoredJSON`` configures it — a test compares the
/// two on every type the backends store:
/// - an integer is read from any number literal that names one exactly (`3`, `3.0`, `1e2`), and
///   an integer literal keeps all its digits (not rounded through `Double`);
/// - the strings `"NaN"`, `"Infinity"` and `"-Infinity"` read as those floating-point values.
///
/// - Complexity: O(n) in the length of the text.
enum JSONTree: Sendable {
    case null
    case bool(Bool)
    /// A number; an integer literal (digits only) also as the exact `Int` it names, nil when it
    /// does not fit.
    case number(Double, integerLiteral: Int??)
    case string(String)
    case array([JSONTree])
    case object([String: JSONTree])

    /// Parses `text`.
    /// - Throws: ``JSONTreeError`` with the byte offset of the first error.
    init(parsing text: String) throws(JSONTreeError) {
        var text = text
        let result = text.withUTF8 { bytes in Result { () throws(JSONTreeError) in try JSONTree(parsing: bytes) } }
        self = try result.get()
    }

    /// Parses UTF-8 `bytes` (invalid UTF-8 in strings is repaired, as `String(decoding:as:)` does).
    /// - Throws: ``JSONTreeError`` with the byte offset of the first error.
    init(parsing bytes: UnsafeBufferPointer<UInt8>) throws(JSONTreeError) {
        var parser = JSONTreeParser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        self = value
    }

    /// The members of the text in `bytes` when it is an object whose values are all scalars (no
    /// object or array), in the order written, without building a dictionary of them; nil when
    /// it is not.
    /// The stored columns read most (parameters, reports, attributes) have this shape.
    /// - Throws: ``JSONTreeError`` for invalid JSON.
    static func flatMembers(parsing bytes: UnsafeBufferPointer<UInt8>) throws(JSONTreeError) -> [(key: String, value: JSONTree)]? {
        var parser = JSONTreeParser(bytes: bytes)
        guard let members = try parser.flatObject() else { return nil }
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return members
    }

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value as a `Double`: a number, or one of the strings standing for non-finite values.
    var double: Double? {
        switch self {
        case let .number(x, _): x
        case .string("NaN"): .nan
        case .string("Infinity"): .infinity
        case .string("-Infinity"): -.infinity
        default: nil
        }
    }

    /// The value as an `Int`: a number that names an integer exactly.
    var int: Int? {
        guard case let .number(x, literal) = self else { return nil }
        if let literal { return literal }
        return Int(exactly: x)
    }
}

/// Invalid JSON text, with the byte offset where it goes wrong.
struct JSONTreeError: Error, CustomStringConvertible {
    let offset: Int
    let message: String
    var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// A recursive-descent parser over UTF-8 bytes.
private struct JSONTreeParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Deeper nesting than this is refused rather than risking the stack.
    static let maximumDepth = 512

    func error(_ message: String) -> JSONTreeError { JSONTreeError(offset: index, message: message) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(JSONTreeError) -> JSONTree {
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character '\(Character(Unicode.Scalar(bytes[index])))'")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONTreeError) {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw error("unexpected end of text") }
        for k in 0..<n where bytes[index + k] != word.utf8Start[k] { throw error("invalid literal") }
        index += n
    }

    mutating func object(depth: Int) throws(JSONTreeError) -> JSONTree {
        guard depth <= Self.maximumDepth else { throw error("nested too deeply") }
        index += 1
        var members: [String: JSONTree] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            let key = try memberName()
            members[key] = try value(depth: depth)
            guard try nextMember() else { return .object(members) }
        }
    }

    /// An object of scalar values as its members in text order; nil, at no cost beyond the
    /// bytes read so far, at the first object or array (or when the text is not an object).
    mutating func flatObject() throws(JSONTreeError) -> [(key: String, value: JSONTree)]? {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var members: [(key: String, value: JSONTree)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return members
        }
        members.reserveCapacity(8)
        while true {
            let key = try memberName()
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of text") }
            if bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "[") { return nil }
            members.append((key, try value(depth: 1)))
            guard try nextMember() else { return members }
        }
    }

    /// A member's name and the ':' after it.
    mutating func memberName() throws(JSONTreeError) -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
        let key = try string()
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
        index += 1
        return key
    }

    /// After a member's value: true at ',' (another member follows), false at the object's '}'.
    mutating func nextMember() throws(JSONTreeError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of text") }
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            return true
        }
        guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
        index += 1
        return false
    }

    mutating func array(depth: Int) throws(JSONTreeError) -> JSONTree {
        guard depth <= Self.maximumDepth else { throw error("nested too deeply") }
        index += 1
        var elements: [JSONTree] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try value(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of text") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
            index += 1
            return .array(elements)
        }
    }

    /// A string literal; the text between the quotes is taken as it is when it has no escapes.
    mutating func string() throws(JSONTreeError) -> String {
        index += 1
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                defer { index += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") { return try escapedString(from: start) }
            guard b >= 0x20 else { throw error("control character in a string") }
            index += 1
        }
        throw error("unterminated string")
    }

    mutating func escapedString(from start: Int) throws(JSONTreeError) -> String {
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw error("unterminated string") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("unpaired surrogate")
                    }
                    utf8.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    throw error("invalid escape")
                }
            default:
                guard b >= 0x20 else { throw error("control character in a string") }
                utf8.append(b)
            }
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws(JSONTreeError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unexpected end of text") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | UInt32(digit)
            index += 1
        }
        return v
    }

    /// A number literal (JSON's grammar: no leading zeros, no '+', no bare '.'), converted by the
    /// standard library's correctly rounded parser; integer literals also exactly.
    mutating func number() throws(JSONTreeError) -> JSONTree {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        func digits(_ p: inout JSONTreeParser) -> Int {
            let s = p.index
            while p.index < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.index]) { p.index += 1 }
            return p.index - s
        }
        let integerStart = index
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw error("expected a digit") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw JSONTreeError(offset: integerStart, message: "leading zero in a number") }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard digits(&self) > 0 else { throw error("expected a digit after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw error("expected a digit in the exponent") }
        }
        var literal: Int??
        if isInteger && integerDigits <= 18 {
            var v = 0
            for k in integerStart..<index { v = v * 10 + Int(bytes[k] - UInt8(ascii: "0")) }
            if negative { v = -v }
            // Up to 2⁵³ the conversion to Double is exact ("-0" is the double −0).
            if integerDigits <= 15 { return .number(negative && v == 0 ? -0.0 : Double(v), integerLiteral: .some(v)) }
            literal = .some(v)
        } else if isInteger {
            literal = .some(Int(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)))
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let x = Double(text), x.isFinite else { throw JSONTreeError(offset: start, message: "number \(text) is out of range") }
        return .number(x, integerLiteral: literal)
    }
}

// MARK: - Decoding

/// A `Decoder` over a ``JSONTree``, with `JSONDecoder`'s results for the values storage keeps
/// (see ``JSONTree``).
struct JSONTreeDecoder: Decoder {
    let tree: JSONTree
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ tree: JSONTree, codingPath: [any CodingKey] = []) {
        self.tree = tree
        self.codingPath = codingPath
    }

    /// Decodes `type` from `tree`: primitives directly, anything else through its `Decodable`
    /// conformance.
    static func decode<T: Decodable>(_ type: T.Type, from tree: JSONTree, codingPath: [any CodingKey]) throws -> T {
        func mismatch() -> DecodingError {
            .typeMismatch(T.self, .init(codingPath: codingPath, debugDescription: "expected \(T.self), found \(tree.kind)"))
        }
        switch type {
        case is Double.Type:
            guard let x = tree.double else { throw mismatch() }
            return x as! T
        case is Int.Type:
            guard let i = tree.int else { throw mismatch() }
            return i as! T
        case is String.Type:
            guard case let .string(s) = tree else { throw mismatch() }
            return s as! T
        case is Bool.Type:
            guard case let .bool(b) = tree else { throw mismatch() }
            return b as! T
        case is Float.Type:
            guard let x = tree.double else { throw mismatch() }
            return Float(x) as! T
        default:
            return try T(from: JSONTreeDecoder(tree, codingPath: codingPath))
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case let .object(members) = tree else {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "expected an object, found \(tree.kind)"))
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case let .array(elements) = tree else {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "expected an array, found \(tree.kind)"))
        }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(tree: tree, codingPath: codingPath) }

    struct SingleValue: SingleValueDecodingContainer {
        let tree: JSONTree
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool {
            if case .null = tree { return true }
            return false
        }

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONTreeDecoder.decode(type, from: tree, codingPath: codingPath) }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONTree]
        let codingPath: [any CodingKey]

        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        func member(_ key: Key) throws -> JSONTree {
            guard let m = members[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no member '\(key.stringValue)'"))
            }
            return m
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            if case .null = try member(key) { return true }
            return false
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try JSONTreeDecoder.decode(type, from: try member(key), codingPath: codingPath + [key])
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            guard let m = members[key.stringValue] else { return nil }
            if case .null = m { return nil }
            return try JSONTreeDecoder.decode(type, from: m, codingPath: codingPath + [key])
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try JSONTreeDecoder(try member(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try JSONTreeDecoder(try member(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { JSONTreeDecoder(members["super"] ?? .null, codingPath: codingPath) }

        func superDecoder(forKey key: Key) throws -> any Decoder { JSONTreeDecoder(members[key.stringValue] ?? .null, codingPath: codingPath + [key]) }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [JSONTree]
        let codingPath: [any CodingKey]
        var currentIndex = 0

        init(elements: [JSONTree], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        mutating func next<T>(_ type: T.Type) throws -> JSONTree {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "the array has no more elements"))
            }
            defer { currentIndex += 1 }
            return elements[currentIndex]
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, case .null = elements[currentIndex] else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let index = currentIndex
            return try JSONTreeDecoder.decode(type, from: try next(type), codingPath: codingPath + [IndexKey(index)])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try JSONTreeDecoder(try next([String: Any].self), codingPath: codingPath).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try JSONTreeDecoder(try next([Any].self), codingPath: codingPath).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder { JSONTreeDecoder(try next(Any.self), codingPath: codingPath) }
    }

    struct IndexKey: CodingKey {
        let intValue: Int?
        var stringValue: String { "\(intValue!)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }
}

// MARK: - The stored shapes, read directly

extension ParameterValue {
    /// The value `init(from:)` decodes from `tree`: a boolean, an integer when the number names
    /// one exactly, else a double, else a string.
    init?(storedTree tree: JSONTree) {
        switch tree {
        case let .bool(b): self = .bool(b)
        case .number: self = tree.int.map(ParameterValue.int) ?? .double(tree.double!)
        case let .string(s): self = tree.double.map(ParameterValue.double) ?? .string(s)
        default: return nil
        }
    }
}

extension JSONValue {
    /// The value `init(from:)` decodes from `tree`.
    init(storedTree tree: JSONTree) {
        switch tree {
        case .null: self = .null
        case let .bool(b): self = .bool(b)
        case let .string(s): self = tree.double.map(JSONValue.number) ?? .string(s)
        case .number: self = .number(tree.double!)
        case let .array(a): self = .array(a.map(JSONValue.init(storedTree:)))
        case let .object(o): self = .object(o.mapValues(JSONValue.init(storedTree:)))
        }
    }
}
