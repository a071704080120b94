import Foundation

/// An array read from an IDX file, the format of the MNIST family: a 4-byte magic number
/// (two zero bytes, a type code — 0x08 for unsigned bytes — and the number of dimensions), the
/// dimensions as big-endian 32-bit integers, then the values in row-major order.
public struct IDXArray: Sendable, Equatable {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    public init(dimensions: [Int], bytes: [UInt8]) {
        precondition(dimensions.reduce(1, *) == bytes.count, "IDXArray: \(bytes.count) values for dimensions \(dimensions)")
        self.dimensions = dimensions
        self.bytes = bytes
    }

    /// Reads an IDX file of unsigned bytes, gzip-compressed or not.
    /// - Throws: ``DatasetError`` naming the file: missing, unreadable, corrupt compression, not
    ///   IDX (magic number), unsupported element type, or truncated.
    public static func read(_ url: URL) throws(DatasetError) -> IDXArray {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw DatasetError(.fileNotFound, "\(path): no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError(.unreadable, "\(path): cannot be read")
        }
        var raw = [UInt8](data)
        if GZip.isCompressed(raw) {
            do {
                raw = try GZip.decompress(raw)
            } catch {
                throw DatasetError(.corruptCompression, "\(path): the gzip data is corrupt (\(error.message))")
            }
        }
        return try parse(raw, path: path)
    }

    /// Parses the bytes of an (uncompressed) IDX file; `path` names it in errors.
    public static func parse(_ raw: [UInt8], path: String) throws(DatasetError) -> IDXArray {
        guard raw.count >= 4 else {
            throw DatasetError(.truncated, "\(path): truncated: \(raw.count) bytes, shorter than the 4-byte IDX header")
        }
        guard raw[0] == 0, raw[1] == 0, raw[3] >= 1 else {
            let magic = raw[0..<4].map { String(format: "%02x", $0) }.joined()
            throw DatasetError(.notIDX, "\(path): not an IDX file (magic number 0x\(magic))")
        }
        guard raw[2] == 0x08 else {
            throw DatasetError(.notIDX, "\(path): IDX element type 0x\(String(format: "%02x", raw[2])) is not supported (only unsigned bytes, 0x08)")
        }
        let rank = Int(raw[3])
        let headerSize = 4 + 4 * rank
        guard raw.count >= headerSize else {
            throw DatasetError(.truncated, "\(path): truncated: the header needs \(headerSize) bytes for \(rank) dimensions, the file has \(raw.count)")
        }
        var dimensions: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dimensions.append(Int(raw[o]) << 24 | Int(raw[o + 1]) << 16 | Int(raw[o + 2]) << 8 | Int(raw[o + 3]))
        }
        let count = dimensions.reduce(1, *)
        guard raw.count - headerSize >= count else {
            throw DatasetError(.truncated, "\(path): truncated: dimensions \(dimensions) need \(count) bytes of data, the file has \(raw.count - headerSize)")
        }
        return IDXArray(dimensions: dimensions, bytes: Array(raw[headerSize..<(headerSize + count)]))
    }

    /// The bytes of an uncompressed IDX file holding this array.
    public var encoded: [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { out += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return out + bytes
    }
}
