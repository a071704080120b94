import Foundation
import Hummingbird
import HummingbirdTesting
import Hypertune
@testable import HypertuneDashboard
import Testing

/// Bind address, access token, escaping and security headers.
@Suite struct SecurityTests {
    @Test func bindsTheLoopbackInterfaceByDefault() {
        let configuration = DashboardConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(DashboardConfiguration.defaultHost == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.token == nil)
        #expect(!configuration.isExposed)
        #expect(DashboardConfiguration(host: "0.0.0.0").isExposed)
        #expect(!DashboardConfiguration(host: "localhost").isExposed)
        #expect(DashboardConfiguration(token: "").token == nil)
    }

    @Test func everyResponseHasTheSecurityHeadersAndServerTiming() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            for uri in ["/", "/studies/demo", "/static/dashboard.js", "/static/dashboard.css", "/api/studies", "/api/studies/demo",
                        "/api/studies/demo/trials", "/api/studies/demo/charts/history.svg", "/api/studies/nope", "/nowhere"] {
                try await client.execute(uri: uri, method: .get) { r in
                    let csp = r.header("Content-Security-Policy") ?? ""
                    #expect(csp.contains("default-src 'none'"), "\(uri)")
                    #expect(csp.contains("script-src 'self'"), "\(uri)")
                    #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "\(uri)")
                    #expect(csp.contains("frame-ancestors 'none'"), "\(uri)")
                    #expect(r.header("X-Content-Type-Options") == "nosniff", "\(uri)")
                    #expect(r.header("Referrer-Policy") == "no-referrer", "\(uri)")
                    #expect(r.header("X-Frame-Options") == "DENY", "\(uri)")
                    let timing = r.header("Server-Timing") ?? ""
                    #expect(HTTPProbe.Response.timing(timing, entry: "app") != nil, "\(uri): \(timing)")
                }
            }
        }
    }

    @Test func pagesLoadOnlyTheDashboardsOwnFiles() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        try await Fixtures.app(storage).test(.router) { client in
            for uri in ["/", "/studies/demo"] {
                let html = try await client.execute(uri: uri, method: .get) { $0.text }
                // No inline script and no script, style sheet or font from elsewhere.
                #expect(html.occurrences(of: "<script") == 1)
                #expect(html.contains("<script src=\"/static/dashboard.js?v="))
                #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("src=\"//"))
                #expect(!html.contains("style=\""))
                #expect(!html.contains("onclick") && !html.contains("onload"))
            }
            let script = try await client.execute(uri: "/static/dashboard.js", method: .get) { $0 }
            #expect(script.status == .ok)
            #expect(script.header("Content-Type") == "text/javascript; charset=utf-8")
            #expect(!script.text.contains("innerHTML"))
            #expect(!script.text.contains("eval("))
            try await client.execute(uri: "/static/evil.js", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func hostileNamesAreEscapedInPages() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.hostile(storage)
        try await Fixtures.app(storage).test(.router) { client in
            let list = try await client.execute(uri: "/", method: .get) { $0.text }
            let page = try await client.execute(uri: "/studies/" + encoded(Fixtures.hostileStudy), method: .get) { r in
                #expect(r.status == .ok)
                return r.text
            }
            for html in [list, page] {
                #expect(!html.contains("<script>alert"))
                #expect(!html.contains("<img src=x"))
                #expect(!html.contains("<i>Sampler"))
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;q&#39;"))
                #expect(html.contains("&lt;i&gt;Sampler&lt;/i&gt;"))
                // The only script element is the dashboard's own.
                #expect(html.occurrences(of: "<script") == 1)
            }
            #expect(list.contains("href=\"/studies/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%20%26%20%27q%27\""))
            #expect(page.contains("<title>&lt;script&gt;alert(1)"))
        }
    }

    @Test func hostileValuesAreExactInJSONAndEscapedInCharts() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.hostile(storage)
        let base = "/api/studies/" + encoded(Fixtures.hostileStudy)
        try await Fixtures.app(storage).test(.router) { client in
            try await client.execute(uri: base, method: .get) { r in
                #expect(r.header("Content-Type") == "application/json; charset=utf-8")
                let json = r.json
                #expect((json["study"] as? [String: Any])?["name"] as? String == Fixtures.hostileStudy)
                #expect((json["parameters"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.contains(Fixtures.hostileParameter) == true)
            }
            try await client.execute(uri: base + "/trials/3", method: .get) { r in
                let t = r.json
                #expect(t["fail_reason"] as? String == Fixtures.hostileReason)
                #expect((t["system_attrs"] as? [String: Any])?["stderr_tail"] as? String == Fixtures.hostileStderr)
                #expect((t["user_attrs"] as? [String: Any])?["note"] as? String == "<u>user</u>")
            }
            try await client.execute(uri: base + "/trials/0", method: .get) { r in
                #expect((r.json["params"] as? [String: Any])?["choice"] as? String == Fixtures.hostileChoice)
            }
            for kind in ["history", "parallel-coordinates", "slice"] {
                try await client.execute(uri: base + "/charts/\(kind).svg", method: .get) { r in
                    #expect(r.status == .ok, "\(kind)")
                    #expect(!r.text.contains("<script>"), "\(kind)")
                    #expect(!r.text.contains("<img"), "\(kind)")
                    #expect(!r.text.contains("<b>bold"), "\(kind)")
                }
            }
        }
    }

    @Test func withATokenEveryRouteNeedsIt() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        let token = "s3cret token/+="
        try await Fixtures.app(storage, token: token).test(.router) { client in
            for uri in ["/", "/studies/demo", "/static/dashboard.js", "/favicon.ico", "/api/studies", "/api/studies/demo/trials", "/api/studies/demo/charts/history.svg"] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .unauthorized, "\(uri)")
                    #expect(!r.text.contains("demo") || uri == "/studies/demo", "\(uri) leaks the study")
                    #expect(r.header("Content-Security-Policy") != nil)
                }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer wrong"]) { r in
                    #expect(r.status == .unauthorized, "\(uri)")
                }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer " + token]) { r in
                    #expect(r.status == .ok, "\(uri)")
                }
            }
            try await client.execute(uri: "/api/studies", method: .get) { r in
                #expect(r.json["error"] as? String != nil)
            }
            try await client.execute(uri: "/api/studies", method: .get, headers: [.authorization: "Basic " + token]) { r in
                #expect(r.status == .unauthorized)
            }
        }
    }

    @Test func aTokenInTheURLSetsACookieAndRedirects() async throws {
        let storage = InMemoryStorage()
        _ = try await Fixtures.demo(storage)
        let token = "s3cret token/+="
        let query = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        try await Fixtures.app(storage, token: token).test(.router) { client in
            let cookie = try await client.execute(uri: "/studies/demo?token=\(query)&x=1", method: .get) { r in
                #expect(r.status == .seeOther)
                #expect(r.header("Location") == "/studies/demo?x=1")
                let setCookie = try #require(r.header("Set-Cookie"))
                #expect(setCookie.contains("HttpOnly"))
                #expect(setCookie.contains("SameSite=Strict"))
                #expect(setCookie.contains("Path=/"))
                return String(setCookie.split(separator: ";")[0])
            }
            #expect(cookie.hasPrefix(DashboardConfiguration.tokenCookie + "="))
            try await client.execute(uri: "/?token=\(query)", method: .get) { r in
                #expect(r.header("Location") == "/")
            }
            try await client.execute(uri: "//evil.example?token=\(query)", method: .get) { r in
                #expect(r.header("Location") == "/evil.example")
            }
            try await client.execute(uri: "/studies/demo?token=nope", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(r.header("Set-Cookie") == nil)
            }
            // The cookie then opens everything.
            for uri in ["/studies/demo", "/api/studies/demo", "/static/dashboard.css"] {
                try await client.execute(uri: uri, method: .get, headers: [.cookie: "other=1; " + cookie]) { r in
                    #expect(r.status == .ok, "\(uri)")
                }
            }
            try await client.execute(uri: "/api/studies", method: .get, headers: [.cookie: DashboardConfiguration.tokenCookie + "=wrong"]) { r in
                #expect(r.status == .unauthorized)
            }
        }
    }

    @Test func tokensAreComparedWholly() {
        #expect(TokenMiddleware<BasicRequestContext>.equal("abc", "abc"))
        #expect(!TokenMiddleware<BasicRequestContext>.equal("abc", "abd"))
        #expect(!TokenMiddleware<BasicRequestContext>.equal("abc", "abcd"))
        #expect(!TokenMiddleware<BasicRequestContext>.equal("", "a"))
        #expect(!TokenMiddleware<BasicRequestContext>.equal("abcd", "abc"))
    }
}
