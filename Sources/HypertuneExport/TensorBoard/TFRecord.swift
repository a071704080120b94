/// TFRecord framing, the container of TensorBoard event files: each record is
///
/// | bytes | content |
/// | --- | --- |
/// | 8 | the data's length, uint64 little-endian |
/// | 4 | ``CRC32C/mask(_:)`` of the CRC-32C of those 8 bytes, uint32 little-endian |
/// | *n* | the data |
/// | 4 | the masked CRC-32C of the data, uint32 little-endian |
public enum TFRecord {
    /// `data` framed as one record.
    ///
    /// - Complexity: O(*n*).
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        append(data, to: &out)
        return out
    }

    /// Appends `data` framed as one record to `out`.
    public static func append(_ data: [UInt8], to out: inout [UInt8]) {
        let length = littleEndian(UInt64(data.count))
        out += length
        out += littleEndian(CRC32C.mask(CRC32C.checksum(length)))
        out += data
        out += littleEndian(CRC32C.mask(CRC32C.checksum(data)))
    }

    /// The records of `bytes`, every length and checksum verified; nil if any is wrong or the
    /// bytes end inside a record.
    public static func records(_ bytes: [UInt8]) -> [[UInt8]]? {
        var records: [[UInt8]] = []
        var i = 0
        func word<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, at j: Int) -> T {
            (0..<MemoryLayout<T>.size).reduce(T(0)) { $0 | T(bytes[j + $1]) << (8 * $1) }
        }
        while i < bytes.count {
            guard bytes.count - i >= 16 else { return nil }
            let length = word(UInt64.self, at: i)
            guard CRC32C.mask(CRC32C.checksum(bytes[i..<(i + 8)])) == word(UInt32.self, at: i + 8),
                  length <= UInt64(bytes.count - i - 16) else { return nil }
            let start = i + 12, end = start + Int(length)
            guard CRC32C.mask(CRC32C.checksum(bytes[start..<end])) == word(UInt32.self, at: end) else { return nil }
            records.append(Array(bytes[start..<end]))
            i = end + 4
        }
        return records
    }

    static func littleEndian<T: FixedWidthInteger>(_ x: T) -> [UInt8] {
        (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: x >> (8 * $0)) }
    }
}
