import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging

extension HTTPField.Name {
    static let serverTiming = HTTPField.Name("Server-Timing")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
    static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
}

/// The outermost layer: turns every error into a response (JSON under `/api/`, a page
/// elsewhere), adds the security headers to every response, and the server time spent on it as
/// `Server-Timing: app;dur=<milliseconds>` (after any finer entries a handler added).
struct ResponseHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Only the dashboard's own scripts, styles and requests; no frames, no plug-ins, no forms
    /// elsewhere. Charts are inline SVG (presentation attributes, no `style` attributes).
    static var contentSecurityPolicy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock(), start = clock.now
        let timing = ServerTiming()
        var response: Response
        do {
            response = try await ServerTiming.$current.withValue(timing) { try await next(request, context) }
        } catch let error as DashboardError {
            response = error.response(forPath: request.uri.path)
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "no such page: \(request.uri.path)" : (error.body ?? "\(error.status.code) \(error.status.reasonPhrase)")
            response = DashboardError(status: error.status, description: message).response(forPath: request.uri.path)
        } catch {
            context.logger.error("request \(request.uri.path) failed: \(error)")
            response = DashboardError(status: .internalServerError, description: "internal error: \(error)").response(forPath: request.uri.path)
        }
        let h = response.headers
        var headers = h
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        headers[.xFrameOptions] = "DENY"
        headers[.crossOriginOpenerPolicy] = "same-origin"
        headers[.crossOriginResourcePolicy] = "same-origin"
        headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=()"
        let d = clock.now - start
        let ms = Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15
        let parts = timing.header
        if !parts.isEmpty { headers.append(HTTPField(name: .serverTiming, value: parts)) }
        headers.append(HTTPField(name: .serverTiming, value: String(format: "app;dur=%.3f", ms)))
        response.headers = headers
        return response
    }
}

/// With a token configured, lets a request through only when it carries the token:
/// `Authorization: Bearer <token>`, the cookie ``DashboardConfiguration/tokenCookie``, or
/// `?token=<token>` — which answers with a redirect to the same URL without it, setting the
/// cookie (HttpOnly, SameSite=Strict) so that the browser need not carry the token in URLs.
/// Tokens are compared in constant time.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.queryParameters["token"] {
            guard Self.equal(String(query), token) else { throw unauthorized(request, "wrong access token") }
            var response = Response(status: .seeOther, headers: [.location: Self.withoutToken(request.uri), .cacheControl: "no-store"])
            response.headers.append(HTTPField(name: .setCookie, value: Self.cookie(token)))
            return response
        }
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", Self.equal(String(parts[1]).trimmingCharacters(in: .whitespaces), token) else {
                throw unauthorized(request, "wrong access token")
            }
            return try await next(request, context)
        }
        if let cookie = Self.cookieValue(request.headers[values: .cookie]) {
            guard Self.equal(cookie, token) else { throw unauthorized(request, "wrong access token (cookie)") }
            return try await next(request, context)
        }
        throw unauthorized(request, "this dashboard needs its access token: send 'Authorization: Bearer <token>', or open a URL with ?token=<token> once in the browser")
    }

    private func unauthorized(_ request: Request, _ message: String) -> DashboardError {
        DashboardError(status: .unauthorized, description: message)
    }

    /// Whether `a` equals `b`, in time that depends only on their lengths.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt64(x.count ^ y.count)
        for i in 0..<max(x.count, y.count) {
            let p = i < x.count ? x[i] : 0, q = i < y.count ? y[i] : 0
            difference |= UInt64(p ^ q)
        }
        return difference == 0
    }

    /// The `Set-Cookie` value carrying the token (percent-encoded, so any token is a valid
    /// cookie value).
    static func cookie(_ token: String) -> String {
        "\(DashboardConfiguration.tokenCookie)=\(HTML.pathSegment(token)); Path=/; HttpOnly; SameSite=Strict"
    }

    /// The token cookie's value among `Cookie` headers, decoded.
    static func cookieValue(_ headers: [String]) -> String? {
        for header in headers {
            for pair in header.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == DashboardConfiguration.tokenCookie else { continue }
                return String(kv[1]).trimmingCharacters(in: .whitespaces).removingPercentEncoding
            }
        }
        return nil
    }

    /// The request's path and query without `token`.
    static func withoutToken(_ uri: URI) -> String {
        // Never `//host…` or `/\host…`, which a browser would read as another site.
        var path = uri.path
        while path.hasPrefix("//") || path.hasPrefix("/\\") { path.removeFirst() }
        guard let query = uri.query else { return path }
        let kept = query.split(separator: "&").filter { !($0 == "token" || $0.hasPrefix("token=")) }
        return kept.isEmpty ? path : path + "?" + kept.joined(separator: "&")
    }
}

/// The finer entries of a response's `Server-Timing` header: the parts of the work that a
/// request did (reading the store, building a snapshot, rendering a chart), recorded by
/// whatever code did them while the request's task runs.
final class ServerTiming: @unchecked Sendable {
    @TaskLocal static var current: ServerTiming?

    private let lock = NSLock()
    private var entries: [String] = []

    /// Runs `body`, and records its duration as `name` on the current request, if any.
    static func measure<T>(_ name: String, description: String? = nil, _ body: () async throws -> T) async rethrows -> T {
        let clock = ContinuousClock(), start = clock.now
        let value = try await body()
        record(name, clock.now - start, description: description)
        return value
    }

    static func record(_ name: String, _ d: Duration, description: String? = nil) {
        guard let current else { return }
        let ms = Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15
        let entry = String(format: "%@;dur=%.3f", name, ms) + (description.map { ";desc=\"\($0)\"" } ?? "")
        current.lock.withLock { current.entries.append(entry) }
    }

    var header: String { lock.withLock { entries.joined(separator: ", ") } }
}
