/// The protocol buffers wire format, written by hand for the few messages TensorBoard reads
/// (https://protobuf.dev/programming-guides/encoding/).
///
/// A field is a key — `(field number << 3) | wire type` as a varint — then its value: a varint
/// (wire type 0: integers, booleans, enums; negative `int64` as its two's complement, ten bytes),
/// 8 little-endian bytes (1: `double`), a varint length then the bytes (2: strings, bytes,
/// embedded messages, packed repeated scalars) or 4 little-endian bytes (5: `float`).
///
/// The methods write a field unconditionally. Messages follow proto3's rules themselves: a plain
/// scalar field equal to its default (0, "", false) is left out, while a member of a `oneof`
/// and a set message field are written even when they hold a default — exactly what the
/// reference implementations emit, field by field in field number order.
struct ProtobufWriter {
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    private(set) var buffer: [UInt8] = []

    init() {}

    /// The bytes of a message written by `body`.
    static func message(_ body: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var w = ProtobufWriter()
        body(&w)
        return w.buffer
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: WireType) {
        precondition(field >= 1 && field < 1 << 29, "ProtobufWriter: field number \(field) out of range")
        varint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// An `int64`, `int32` or enum field (negative values as ten bytes, as protobuf does for both).
    mutating func int64(_ field: Int, _ value: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        key(field, .varint)
        varint(value ? 1 : 0)
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        let bits = value.bitPattern
        for i in 0..<8 { buffer.append(UInt8(truncatingIfNeeded: bits >> (8 * i))) }
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        let bits = value.bitPattern
        for i in 0..<4 { buffer.append(UInt8(truncatingIfNeeded: bits >> (8 * i))) }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        buffer += value
    }

    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// An embedded message written by `body`.
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        bytes(field, Self.message(body))
    }

    // proto3 implicit presence: fields left out when they hold their default.

    mutating func int64IfNonzero(_ field: Int, _ value: Int64) { if value != 0 { int64(field, value) } }
    mutating func doubleIfNonzero(_ field: Int, _ value: Double) {
        // -0.0 has a non-zero bit pattern, and protobuf writes it.
        if value.bitPattern != 0 { double(field, value) }
    }
    mutating func stringIfNonempty(_ field: Int, _ value: String) { if !value.isEmpty { string(field, value) } }
    mutating func bytesIfNonempty(_ field: Int, _ value: [UInt8]) { if !value.isEmpty { bytes(field, value) } }
}
