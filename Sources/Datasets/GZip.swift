import CZlib

/// gzip (RFC 1952) decompression and compression through the system zlib.
public enum GZip {
    /// Whether `bytes` start with the gzip magic number.
    @inlinable
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// The decompressed contents of a gzip stream (several concatenated members are accepted).
    /// - Throws: a message from zlib when the data is corrupt or ends early.
    /// - Complexity: O(compressed + decompressed size).
    public static func decompress(_ input: [UInt8]) throws(GZipError) -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: a 32 KiB window and automatic gzip/zlib header detection.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GZipError(message: "zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { (source) throws(GZipError) in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return out.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END && stream.avail_in > 0 {
                    // Another gzip member follows.
                    guard inflateReset(&stream) == Z_OK else { throw GZipError(message: "cannot continue after a gzip member") }
                    status = Z_OK
                }
                if status != Z_OK && status != Z_STREAM_END {
                    let text = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw GZipError(message: text)
                }
                if status == Z_OK && produced == 0 && stream.avail_in == 0 {
                    throw GZipError(message: "the compressed data ends early")
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    /// `input` compressed as a single gzip member.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: a 32 KiB window with a gzip header.
        precondition(deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK, "zlib could not be initialised")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "gzip compression failed (zlib status \(status))")
            }
        }
        return Array(output[0..<Int(stream.total_out)])
    }
}

/// A zlib error message.
public struct GZipError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
