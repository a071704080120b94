import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal blocking HTTP/1.1 client for a server on this machine — what `hypertune bench
/// dashboard` and the end-to-end tests use to time a running dashboard from outside. One
/// request per connection (`Connection: close`); bodies by `Content-Length`, chunked, or up to
/// the end of the stream.
public enum HTTPProbe {
    public struct Response: Sendable {
        public var status: Int
        /// Header names in lower case; repeated headers joined with ", ".
        public var headers: [String: String]
        public var body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The `dur` of the `app` entry of `Server-Timing`, in milliseconds.
        public var serverMilliseconds: Double? { Self.timing(headers["server-timing"], entry: "app") }

        /// The `dur` of an entry of a `Server-Timing` header.
        public static func timing(_ header: String?, entry: String) -> Double? {
            guard let header else { return nil }
            for item in header.split(separator: ",") {
                let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.first == entry else { continue }
                for p in parts.dropFirst() where p.hasPrefix("dur=") { return Double(p.dropFirst(4)) }
            }
            return nil
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `GET path` (with its query) from `host:port`.
    public static func get(host: String = "127.0.0.1", port: Int, path: String, headers: [String: String] = [:], timeout: Double = 60) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Failure(description: "not an IPv4 address: \(host)") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(errno)))") }
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nAccept: */*\r\n"
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var contentLength: Int?
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { throw Failure(description: "recv: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if headerEnd == nil, let r = data.range(of: Data("\r\n\r\n".utf8)) {
                headerEnd = r.upperBound
                let head = String(decoding: data[..<r.lowerBound], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces))
                }
            }
            if let headerEnd, let contentLength, data.count - headerEnd >= contentLength { break }
        }
        guard let headerEnd else { throw Failure(description: "no response header from \(host):\(port)") }
        let head = String(decoding: data[data.startIndex..<(headerEnd - 4)], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "malformed status line") }
        var fields: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased(), value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[name] = fields[name].map { $0 + ", " + value } ?? value
        }
        var body = Data(data[headerEnd...])
        if let contentLength { body = body.prefix(contentLength) } else if fields["transfer-encoding"]?.lowercased().contains("chunked") == true { body = dechunk(body) }
        return Response(status: status, headers: fields, body: body)
    }

    static func dechunk(_ data: Data) -> Data {
        var out = Data(), i = data.startIndex
        while i < data.endIndex {
            guard let lineEnd = data[i...].range(of: Data("\r\n".utf8)) else { break }
            let sizeText = String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound, end = min(data.endIndex, start + size)
            out.append(data[start..<end])
            i = min(data.endIndex, end + 2)
        }
        return out
    }
}
