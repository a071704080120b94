/// The value of one hyperparameter: a number, a string or a boolean.
///
/// Encoded as the plain JSON value (`0.1`, `32`, `"adam"`, `true`), so configurations, storage
/// and exports read naturally.
public enum ParameterValue: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByFloatLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral
{
    case double(Double)
    case int(Int)
    case string(String)
    case bool(Bool)

    public init(floatLiteral value: Double) { self = .double(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else {
            throw DecodingError.typeMismatch(ParameterValue.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a number, a string or a boolean"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .double(v): try c.encode(v)
        case let .int(v): try c.encode(v)
        case let .string(v): try c.encode(v)
        case let .bool(v): try c.encode(v)
        }
    }

    /// The value as JSON (integers become numbers).
    public var json: JSONValue {
        switch self {
        case let .double(v): return .number(v)
        case let .int(v): return .number(Double(v))
        case let .string(s): return .string(s)
        case let .bool(b): return .bool(b)
        }
    }

    /// The value of a JSON scalar (integral numbers of safe size become integers), or nil for
    /// null, arrays and objects.
    public init?(json: JSONValue) {
        switch json {
        case let .number(d): self = d == d.rounded() && abs(d) < 9e15 ? .int(Int(d)) : .double(d)
        case let .string(s): self = .string(s)
        case let .bool(b): self = .bool(b)
        default: return nil
        }
    }

    /// The value as a `Double` (integers converted), or nil for strings and booleans.
    public var doubleValue: Double? {
        switch self {
        case let .double(v): return v
        case let .int(v): return Double(v)
        default: return nil
        }
    }

    /// The value as an `Int` (doubles only when integral), or nil.
    public var intValue: Int? {
        switch self {
        case let .int(v): return v
        case let .double(v) where v == v.rounded() && abs(v) < 9e15: return Int(v)
        default: return nil
        }
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// The value as it would appear on a command line (`0.001`, `32`, `adam`, `true`).
    public var description: String {
        switch self {
        case let .double(v): return "\(v)"
        case let .int(v): return String(v)
        case let .string(s): return s
        case let .bool(b): return b ? "true" : "false"
        }
    }
}

/// An arbitrary JSON value, for user and system attributes of studies and trials.
public indirect enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .number(d): try c.encode(d)
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }
}
