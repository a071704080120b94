import Foundation
import HypertuneDashboard
import HypertuneTestSupport
import Testing

/// Headless Chromium (`apt-get install chromium`), or nil. `HYPERTUNE_CHROMIUM` names another
/// binary.
enum Browser {
    static let executable: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["HYPERTUNE_CHROMIUM"], FileManager.default.isExecutableFile(atPath: path) { return path }
        let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            for directory in directories {
                let path = directory + "/" + name
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }()

    /// `HYPERTUNE_REQUIRE_CHROMIUM=1`: a missing browser fails the browser tests instead of
    /// skipping them.
    static let required = ProcessInfo.processInfo.environment["HYPERTUNE_REQUIRE_CHROMIUM"] == "1"

    static var runs: Bool { executable != nil || required }

    /// The DOM after the page's scripts ran (10 s of virtual time), or a screenshot.
    static func run(_ arguments: [String], profile: URL) throws -> String {
        let chromium = try #require(executable, "chromium is not installed (apt-get install -y chromium); HYPERTUNE_REQUIRE_CHROMIUM=1 makes this a failure")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                             "--user-data-dir=" + profile.path, "--virtual-time-budget=10000"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // A browser that hangs is killed (its test then fails on the empty output), never
        // left to hold the test run.
        let deadline = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: deadline)
        defer { deadline.cancel() }
        nonisolated(unsafe) var data = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { _ = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.wait()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func dom(_ url: String, profile: URL) throws -> String { try run(["--dump-dom", url], profile: profile) }

    static func screenshot(_ url: String, to file: URL, profile: URL, size: String = "1400,1000") throws {
        _ = try run(["--screenshot=" + file.path, "--window-size=" + size, url], profile: profile)
    }
}

/// The built `hypertune` executable (beside the test bundle), run as a user runs it.
enum HypertuneBinary {
    static var url: URL { get throws { try BuiltExecutable.hypertune } }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try url
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        nonisolated(unsafe) var o = Data(), e = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { o = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { e = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A running `hypertune dashboard`, and the URL it printed.
    final class Server {
        let process: Process
        let url: String
        let port: Int

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            process = Process()
            process.executableURL = try HypertuneBinary.url
            process.arguments = ["dashboard"] + arguments
            var env = ProcessInfo.processInfo.environment
            env["HYPERTUNE_DASHBOARD_TOKEN"] = nil
            for (k, v) in environment { env[k] = v }
            process.environment = env
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // The first line names the URL once the server listens.
            var text = ""
            let deadline = Date().addingTimeInterval(60)
            while !text.contains("\n"), Date() < deadline, process.isRunning {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            guard let range = text.range(of: #"http://[^ \n]+"#, options: .regularExpression) else {
                process.terminate()
                throw TestFailure("hypertune dashboard printed no URL: \(text)")
            }
            url = String(text[range])
            let portText = url.split(separator: ":")[2].prefix { $0.isNumber }
            port = Int(portText) ?? 0
        }

        /// The server's root, without any `?token=`.
        var base: String { "http://127.0.0.1:\(port)" }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// The page's DOM after its scripts ran, read with plain string search.
struct DOM {
    let html: String

    /// The markup of the `<figure>` of a chart.
    func chart(_ kind: String) -> String? {
        guard let start = html.range(of: "data-chart=\"\(kind)\"") else { return nil }
        let rest = html[start.lowerBound...]
        guard let end = rest.range(of: "</figure>") else { return nil }
        return String(rest[..<end.lowerBound])
    }

    /// The rows of the trial table.
    var trialRows: [String] {
        guard let table = html.range(of: "id=\"trial-table\""), let tbody = html[table.upperBound...].range(of: "<tbody>"),
              let end = html[tbody.upperBound...].range(of: "</tbody>") else { return [] }
        return Array(html[tbody.upperBound..<end.lowerBound].components(separatedBy: "<tr ").dropFirst())
    }

    func attribute(_ name: String, ofElementWith marker: String) -> String? {
        guard let at = html.range(of: marker) else { return nil }
        let tagStart = html[..<at.lowerBound].lastIndex(of: "<") ?? html.startIndex
        let tag = html[tagStart...].prefix { $0 != ">" }
        guard let a = tag.range(of: " \(name)=\"") else { return nil }
        return String(tag[a.upperBound...].prefix { $0 != "\"" })
    }
}

@Suite(.serialized, .enabled(if: Browser.runs, "chromium is not installed: set HYPERTUNE_REQUIRE_CHROMIUM=1 to make that a failure"))
struct BrowserTests {
    /// Where screenshots go: `HYPERTUNE_SCREENSHOT_DIR`, else the test's scratch directory.
    let scratch: URL
    let screenshots: URL

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-dashboard-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        screenshots = ProcessInfo.processInfo.environment["HYPERTUNE_SCREENSHOT_DIR"].map { URL(fileURLWithPath: $0) } ?? scratch
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
    }

    static let studyName = "e2e <b>study</b> & \"quotes\""
    /// The study `makeStore` leaves: the benchmark's 40 trials (30 complete, 8 pruned, 2
    /// failed) and the one it adds to time a page after a new trial (complete).
    static let complete = 31, pruned = 8, failed = 2, total = 41

    /// A store with the study above (the dashboard benchmark's generator, through the real
    /// binary): pruned trials with intermediate values, failed ones with a stderr tail.
    func makeStore() throws -> String {
        let path = scratch.appendingPathComponent("e2e.db").path
        let result = try HypertuneBinary.run(["bench", "dashboard", "--trials", "40", "--store", path, "--study", Self.studyName,
                                              "--repetitions", "1", "--cold-repetitions", "1", "--json", scratch.appendingPathComponent("bench.json").path])
        try #require(result.status == 0, "bench dashboard failed: \(result.stderr)")
        let bench = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.appendingPathComponent("bench.json"))) as? [String: Any]
        #expect(bench?["states"] as? [String: Int] == ["COMPLETE": 30, "PRUNED": 8, "FAILED": 2])
        let cold = (bench?["cold"] as? [String: Any])?["requests"] as? [String: [String: Any]]
        #expect(cold?.values.allSatisfy { $0["status"] as? Int == 200 } == true, "\(cold ?? [:])")
        #expect(cold?.count == 11)
        return "sqlite:///" + path
    }

    @Test func studyListAndStudyPageRenderInTheBrowser() throws {
        defer { try? FileManager.default.removeItem(at: scratch) }
        let store = try makeStore()
        let server = try HypertuneBinary.Server([store, "--port", "0", "--refresh", "0.5"])
        defer { server.stop() }
        #expect(server.url.hasPrefix("http://127.0.0.1:"), "the default bind address is the loopback interface: \(server.url)")
        let profile = scratch.appendingPathComponent("profile")
        let escapedName = "e2e &lt;b&gt;study&lt;/b&gt; &amp; \"quotes\""

        // The study list, after its script refreshed it from /api/studies.
        let list = DOM(html: try Browser.dom(server.base + "/", profile: profile))
        #expect(list.html.contains("data-page=\"studies\""))
        #expect(list.html.contains("data-loaded=\"true\""), "the list's script did not run")
        #expect(list.html.contains("<tr data-study=\"e2e &lt;b&gt;study&lt;/b&gt; &amp; &quot;quotes&quot;\">"), "no study row")
        #expect(list.html.contains(">\(escapedName)</a>"))
        #expect(!list.html.contains("<b>study</b>"))
        #expect(list.html.contains("<b>\(Self.complete)</b> complete"))
        #expect(list.html.contains("<b>8</b> pruned"))
        #expect(list.html.contains("<b>2</b> failed"))
        #expect(list.html.contains("TPESampler"))

        // The study page: charts with a point or line per trial, the table, the summary.
        let path = "/studies/" + encodedName
        let page = DOM(html: try Browser.dom(server.base + path, profile: profile))
        #expect(page.html.contains("data-loaded=\"true\""), "the study page's script did not finish")
        let history = try #require(page.chart("history"))
        #expect(history.occurrences(of: "class=\"trial-point complete") == Self.complete)
        #expect(history.occurrences(of: "class=\"trial-point pruned") == 8)
        let parallel = try #require(page.chart("parallel-coordinates"))
        #expect(parallel.occurrences(of: "class=\"trial-line") == Self.complete)
        let slice = try #require(page.chart("slice"))
        #expect(slice.occurrences(of: "class=\"trial-point") == Self.complete * 5)
        let intermediate = try #require(page.chart("intermediate"))
        #expect(intermediate.occurrences(of: "class=\"trial-line complete") == Self.complete)
        #expect(intermediate.occurrences(of: "class=\"trial-line pruned") == 8)
        let contour = try #require(page.chart("contour"))
        #expect(contour.occurrences(of: "class=\"trial-point") == Self.complete)
        let importance = try #require(page.chart("importance"))
        #expect(importance.contains("<svg"))
        for kind in ["history", "parallel-coordinates", "slice", "intermediate", "contour", "importance"] {
            #expect(page.chart(kind)?.contains("class=\"chart-message") == false, "\(kind) shows an error")
            #expect(page.chart(kind)?.contains("loading…") == false, "\(kind) never loaded")
        }
        // The same points as the API's SVG (the page inserted the server's chart whole).
        let served = try HTTPProbe.get(port: server.port, path: "/api/studies/\(encodedName)/charts/history.svg")
        #expect(served.text.occurrences(of: "data-trial=") == history.occurrences(of: "data-trial="))

        // The table: every trial on the first page, best first.
        let rows = page.trialRows
        #expect(rows.count == Self.total)
        let table = try JSONSerialization.jsonObject(with: HTTPProbe.get(port: server.port, path: "/api/studies/\(encodedName)/trials?sort=value&limit=1").body) as? [String: Any]
        let best = ((table?["trials"] as? [[String: Any]])?.first?["number"] as? Int) ?? -1
        #expect(rows.first?.hasPrefix("data-trial=\"\(best)\"") == true, "first row: \(rows.first?.prefix(80) ?? "none")")
        #expect(rows.filter { $0.contains("class=\"chip failed\"") }.count == 2)
        #expect(page.html.contains("1–\(Self.total) of \(Self.total)"))
        #expect(page.html.contains("<h1 id=\"study-name\">\(escapedName)</h1>"))
        #expect(!page.html.contains("<b>study</b>"))
        #expect(page.attribute("data-version", ofElementWith: "data-page=\"study\"")?.count == 16)

        // A failed trial's detail view: parameters, failure, stderr tail.
        let failed = try #require(rows.first { $0.contains("class=\"chip failed\"") })
        let number = String(failed.dropFirst("data-trial=\"".count).prefix { $0 != "\"" })
        let detail = DOM(html: try Browser.dom(server.base + path + "#trial=" + number, profile: profile))
        #expect(detail.html.contains("<aside class=\"detail\" id=\"detail\" aria-live=\"polite\" data-trial=\"\(number)\">"), "the detail view did not open")
        #expect(detail.html.contains("<pre class=\"stderr\">"))
        #expect(detail.html.contains("RuntimeError: CUDA out of memory"))
        #expect(detail.html.contains("<pre class=\"fail-reason\">exit status 1: RuntimeError: CUDA out of memory</pre>"))
        #expect(detail.html.contains("optimizer"))

        try Browser.screenshot(server.base + "/", to: screenshots.appendingPathComponent("studies.png"), profile: profile, size: "1400,700")
        try Browser.screenshot(server.base + path, to: screenshots.appendingPathComponent("study.png"), profile: profile, size: "1400,2600")
        try Browser.screenshot(server.base + path + "#trial=" + number, to: screenshots.appendingPathComponent("detail.png"), profile: profile)
        for name in ["studies.png", "study.png", "detail.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: screenshots.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name): \(size) bytes")
        }
    }

    var encodedName: String { Self.studyName.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

    @Test func aStudyThatGrowsIsShownWithoutReload() throws {
        defer { try? FileManager.default.removeItem(at: scratch) }
        let store = try makeStore()
        let server = try HypertuneBinary.Server([store, "--port", "0", "--refresh", "0.25"])
        defer { server.stop() }
        let profile = scratch.appendingPathComponent("profile-live")
        func version() throws -> String {
            let r = try HTTPProbe.get(port: server.port, path: "/api/studies/\(encodedName)")
            return (try JSONSerialization.jsonObject(with: r.body) as? [String: Any])?["version"] as? String ?? ""
        }
        let before = try version()

        // Another process adds trials while the page is open; the page polls and redraws.
        let adder = Process()
        adder.executableURL = URL(fileURLWithPath: "/bin/sh")
        let binary = try HypertuneBinary.url.path
        let space = #"{"lr": {"type": "float", "low": 1e-5, "high": 1, "log": true}}"#
        adder.arguments = ["-c", """
            i=0; while [ $i -lt 6 ]; do
              n=$('\(binary)' ask --study "$STUDY" --space '\(space)' --sampler random --storage '\(store)' | sed -e 's/.*"number": *\\([0-9]*\\).*/\\1/')
              '\(binary)' tell "$STUDY" --trial "$n" --value 0.000001 --storage '\(store)' >/dev/null
              i=$((i+1)); sleep 0.3
            done
            """]
        adder.environment = ["STUDY": Self.studyName, "PATH": "/usr/bin:/bin"]
        try adder.run()
        // Virtual time runs while the adder works: 30 s of it are many polls.
        let page = DOM(html: try Browser.run(["--virtual-time-budget=30000", "--dump-dom", server.base + "/studies/" + encodedName], profile: profile))
        adder.waitUntilExit()
        #expect(adder.terminationStatus == 0)

        // Through the API: six more trials, a new version.
        let after = try version()
        #expect(after != before)
        let summary = try JSONSerialization.jsonObject(with: HTTPProbe.get(port: server.port, path: "/api/studies/\(encodedName)").body) as? [String: Any]
        #expect((summary?["study"] as? [String: Any])?["total"] as? Int == Self.total + 6)

        // In the page: if it saw the study change while open, it redrew without a reload.
        let updates = Int(page.attribute("data-live-updates", ofElementWith: "data-page=\"study\"") ?? "0") ?? 0
        let shownVersion = page.attribute("data-version", ofElementWith: "data-page=\"study\"")
        if updates > 0 {
            #expect(shownVersion != before)
            let rows = page.trialRows.count
            #expect(rows > Self.total, "the table was not refreshed: \(rows) rows")
        } else {
            // The browser's run ended before another trial arrived: record it, do not fail.
            withKnownIssue("the page saw no change while open (timing of the headless run)", isIntermittent: true) {
                #expect(updates > 0)
            }
        }
        // And a fresh load shows all of them.
        let reloaded = DOM(html: try Browser.dom(server.base + "/studies/" + encodedName, profile: profile))
        #expect(reloaded.trialRows.count == Self.total + 6)
        #expect(reloaded.attribute("data-version", ofElementWith: "data-page=\"study\"") == after)
    }

    @Test func aTokenProtectsThePagesAndTheBrowserKeepsItInACookie() throws {
        defer { try? FileManager.default.removeItem(at: scratch) }
        let store = try makeStore()
        let token = "t0k3n-\(UUID().uuidString)"
        let server = try HypertuneBinary.Server([store, "--port", "0"], environment: ["HYPERTUNE_DASHBOARD_TOKEN": token])
        defer { server.stop() }
        #expect(server.url.hasSuffix("/?token=" + token.replacingOccurrences(of: "-", with: "%2D")))
        #expect(try HTTPProbe.get(port: server.port, path: "/api/studies").status == 401)
        #expect(try HTTPProbe.get(port: server.port, path: "/api/studies", headers: ["Authorization": "Bearer " + token]).status == 200)

        let denied = try Browser.dom(server.base + "/", profile: scratch.appendingPathComponent("profile-denied"))
        #expect(denied.contains("401"))
        #expect(!denied.contains("data-study="))

        // ?token= once: the cookie then carries it for the page and every request its script makes.
        let profile = scratch.appendingPathComponent("profile-token")
        let list = DOM(html: try Browser.dom(server.base + "/?token=" + token, profile: profile))
        #expect(list.html.contains("data-loaded=\"true\""))
        #expect(list.html.contains("<tr data-study="))
        let page = DOM(html: try Browser.dom(server.base + "/studies/" + encodedName + "?token=" + token, profile: profile))
        #expect(page.html.contains("data-loaded=\"true\""))
        #expect(page.chart("history")?.occurrences(of: "class=\"trial-point complete") == Self.complete)
        #expect(page.trialRows.count == Self.total)
    }
}
