/// CRC-32C (Castagnoli): the checksum of TFRecord files, iSCSI (RFC 3720) and SSE 4.2's `crc32`.
///
/// Reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF; the check value is
/// `checksum("123456789") == 0xE3069283`. Computed eight bytes at a time with eight 256-entry
/// tables ("slicing-by-8", Kounavis and Berry, Intel 2005): table *k* holds the CRC of a byte
/// followed by *k* zero bytes, so the CRC of eight bytes is the XOR of eight look-ups.
public enum CRC32C {
    /// The reflected Castagnoli polynomial.
    public static let polynomial: UInt32 = 0x82F6_3B78

    /// `tables[k][b]`: the CRC register after byte `b` then `k` zero bytes (no pre/post XOR).
    static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for b in 0..<256 {
            var crc = UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            tables[0][b] = crc
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = tables[k - 1][b]
                tables[k][b] = (previous >> 8) ^ tables[0][Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The CRC-32C of `bytes`.
    ///
    /// - Complexity: O(*n*).
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(0xFFFF_FFFF, UnsafeRawBufferPointer($0)) }) {
            return ~result
        }
        return ~Array(bytes).withUnsafeBytes { update(0xFFFF_FFFF, $0) }
    }

    /// The CRC register after `bytes`, from `crc`.
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc
        var i = 0
        let n = bytes.count
        tables.withUnsafeBufferPointer { t in
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            while n - i >= 8 {
                // Little-endian loads: the reflected CRC consumes the low byte first.
                let lo = crc ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                let hi = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
                crc = t7[Int(lo & 0xFF)] ^ t6[Int((lo >> 8) & 0xFF)] ^ t5[Int((lo >> 16) & 0xFF)] ^ t4[Int(lo >> 24)]
                    ^ t3[Int(hi & 0xFF)] ^ t2[Int((hi >> 8) & 0xFF)] ^ t1[Int((hi >> 16) & 0xFF)] ^ t0[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                crc = (crc >> 8) ^ t0[Int((crc ^ UInt32(bytes[i])) & 0xFF)]
                i += 1
            }
        }
        return crc
    }

    /// The bitwise definition, one bit at a time: slow, and independent of the tables (tests
    /// compare the two).
    static func bitwise(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
        }
        return ~crc
    }

    /// The masked CRC that TFRecord stores: `((crc >> 15) | (crc << 17)) &+ 0xA282EAD8` — a CRC
    /// of data that itself holds CRCs is otherwise prone to accidental matches.
    public static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// The inverse of ``mask(_:)``.
    public static func unmask(_ masked: UInt32) -> UInt32 {
        let rotated = masked &- 0xA282_EAD8
        return (rotated >> 17) | (rotated << 15)
    }
}
