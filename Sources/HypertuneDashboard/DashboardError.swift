import Foundation
import HTTPTypes
import Hummingbird
import Hypertune

/// A request the dashboard cannot answer, with its status and a one-line message: JSON
/// (`{"error": "…", "code": "…"}`) for the API, a small page for the rest.
struct DashboardError: Error, CustomStringConvertible, Sendable {
    var status: HTTPResponse.Status
    var description: String
    /// A machine-readable reason (a ``ChartError`` code), if any.
    var code: String?

    static func badRequest(_ message: String) -> DashboardError { DashboardError(status: .badRequest, description: message) }
    static func notFound(_ message: String) -> DashboardError { DashboardError(status: .notFound, description: message) }

    static func noStudy(_ name: String) -> DashboardError { .notFound("no study named '\(name)'") }

    /// The response: JSON under `/api/`, else HTML.
    func response(forPath path: String) -> Response {
        if path.hasPrefix("/api/") || path == "/api" {
            var o: [String: JSONValue] = ["error": .string(description), "status": .number(Double(status.code))]
            if let code { o["code"] = .string(code) }
            return Responses.json(.object(o), status: status)
        }
        return Responses.html(Pages.errorPage(status: status, message: description), status: status)
    }
}

/// Response builders.
enum Responses {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, etag: String? = nil) -> Response {
        text(JSONText.string(value) + "\n", contentType: "application/json; charset=utf-8", status: status, etag: etag)
    }

    static func html(_ markup: String, status: HTTPResponse.Status = .ok) -> Response {
        var r = text(markup, contentType: "text/html; charset=utf-8", status: status)
        r.headers[.cacheControl] = "no-store"
        return r
    }

    static func text(_ body: String, contentType: String, status: HTTPResponse.Status = .ok, etag: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let etag {
            headers[.eTag] = etag
            headers[.cacheControl] = "no-cache"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// 304 when the request's `If-None-Match` names `etag`.
    static func notModified(_ request: Request, etag: String) -> Response? {
        guard let match = request.headers[.ifNoneMatch] else { return nil }
        let tags = match.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard tags.contains(etag) || tags.contains("W/" + etag) || tags.contains("*") else { return nil }
        return Response(status: .notModified, headers: [.eTag: etag, .cacheControl: "no-cache"])
    }
}
