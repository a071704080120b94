@testable import HypertuneExport
import Testing

private func bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...($0 + 1)]), radix: 16)! }
}

@Suite("CRC-32C and TFRecord framing")
struct RecordTests {
    /// Published check values: "123456789" is the standard check string; the 32-byte vectors are
    /// RFC 3720 (iSCSI), appendix B.4; "a" and the pangram from independent implementations.
    static let vectors: [(String, [UInt8], UInt32)] = [
        ("check string", Array("123456789".utf8), 0xE306_9283),
        ("empty", [], 0),
        ("a", Array("a".utf8), 0xC1D0_4330),
        ("32 zeros", [UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ("32 × 0xFF", [UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ("0 … 31", (0..<32).map { UInt8($0) }, 0x46DD_794E),
        ("31 … 0", (0..<32).reversed().map { UInt8($0) }, 0x113F_DB5C),
        ("pangram", Array("The quick brown fox jumps over the lazy dog".utf8), 0x2262_0404),
    ]

    @Test("CRC-32C of the published vectors, by the tables and bit by bit")
    func knownVectors() {
        for (name, input, expected) in Self.vectors {
            #expect(CRC32C.checksum(input) == expected, "\(name)")
            #expect(CRC32C.bitwise(input) == expected, "\(name), bitwise")
            #expect(CRC32C.checksum(input[...]) == expected, "\(name), from a slice")
        }
    }

    @Test("slicing-by-8 agrees with the bitwise definition at every length and alignment")
    func tablesAgreeWithBitwise() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let data = (0..<300).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 7) {
                #expect(CRC32C.checksum(data[start..<end]) == CRC32C.bitwise(data[start..<end]), "\(start)..<\(end)")
            }
        }
    }

    @Test("masking rotates right by 15 and adds 0xA282EAD8; unmask inverts it")
    func masking() {
        #expect(CRC32C.mask(0) == 0xA282_EAD8)
        // By hand: 0xE3069283 >> 15 = 0x0001C60D; (0xE3069283 << 17) mod 2³² = 0x25060000;
        // OR = 0x2507C60D; + 0xA282EAD8 = 0xC78AB0E5.
        #expect(CRC32C.mask(0xE306_9283) == 0xC78A_B0E5)
        // Wrapping addition: 0xFFFFFFFF rotated is 0xFFFFFFFF, + 0xA282EAD8 = 0xA282EAD7 (mod 2³²).
        #expect(CRC32C.mask(0xFFFF_FFFF) == 0xA282_EAD7)
        for x: UInt32 in [0, 1, 0xE306_9283, 0xFFFF_FFFF, 0x8000_0000, 0x1234_5678] {
            #expect(CRC32C.unmask(CRC32C.mask(x)) == x)
        }
    }

    @Test("a framed record, byte by byte")
    func framedRecord() {
        // "hello": length 5 as uint64 LE; masked CRC of those 8 bytes; the data; masked CRC of it.
        // CRC-32C(05 00 00 00 00 00 00 00) = 0xE4094DC0 → masked 0x3E04B2EA;
        // CRC-32C("hello") = 0x9A71BB4C → masked 0x191C1FBB (from an independent implementation).
        let expected = bytes("05 00 00 00 00 00 00 00  EA B2 04 3E  68 65 6C 6C 6F  BB 1F 1C 19")
        #expect(TFRecord.frame(Array("hello".utf8)) == expected)
        #expect(CRC32C.checksum(expected[0..<8]) == 0xE409_4DC0)
        #expect(CRC32C.checksum(Array("hello".utf8)) == 0x9A71_BB4C)
        // An empty record: length 0, and the masked CRC of nothing (0 → 0xA282EAD8).
        let empty = TFRecord.frame([])
        #expect(empty.count == 16)
        #expect(Array(empty[12..<16]) == [0xD8, 0xEA, 0x82, 0xA2])
    }

    @Test("records read back; a flipped bit or a cut file is refused")
    func readBack() {
        var file: [UInt8] = []
        let payloads: [[UInt8]] = [Array("brain.Event:2".utf8), [], Array(repeating: 7, count: 300)]
        for p in payloads { TFRecord.append(p, to: &file) }
        #expect(TFRecord.records(file) == payloads)
        for i in [0, 9, 13, 20, file.count - 1] {
            var corrupt = file
            corrupt[i] ^= 0x10
            #expect(TFRecord.records(corrupt) == nil, "bit flipped at \(i)")
        }
        #expect(TFRecord.records(Array(file.dropLast())) == nil)
        #expect(TFRecord.records(Array(file.prefix(10))) == nil)
    }
}
