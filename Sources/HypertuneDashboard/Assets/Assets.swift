import Foundation
import Hummingbird

/// The static files, compiled into the binary (nothing is fetched from anywhere else):
/// `dashboard.js`, `dashboard.css` and `favicon.svg`, each with an ETag of its content.
enum Assets {
    static let favicon = """
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20"><rect width="20" height="20" rx="4" fill="#101828"/>\
    <path d="M10 2 18 10 10 18 2 10Z" fill="#6ea8fe"/><path d="M10 6 14 10 10 14 6 10Z" fill="#fff"/></svg>
    """

    struct File: Sendable {
        let body: String
        let contentType: String
        let etag: String
    }

    static let files: [String: File] = {
        func file(_ body: String, _ type: String) -> File { File(body: body, contentType: type, etag: "\"a-\(Dashboard.hash(body))\"") }
        return [
            "dashboard.js": file(script, "text/javascript; charset=utf-8"),
            "dashboard.css": file(style, "text/css; charset=utf-8"),
            "favicon.svg": file(favicon, "image/svg+xml"),
        ]
    }()

    /// A short hash of all the files, appended to their URLs in the pages so a new binary's
    /// files are never taken from an old cache.
    static let version: String = String(Dashboard.hash(script + style).prefix(10))

    static func response(_ name: String, request: Request) throws -> Response {
        guard let file = files[name] else { throw DashboardError.notFound("no static file '\(name)'") }
        if let unchanged = Responses.notModified(request, etag: file.etag) { return unchanged }
        return Responses.text(file.body, contentType: file.contentType, etag: file.etag)
    }
}
