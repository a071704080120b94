import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Hypertune
import HypertuneCharts
import HypertuneExport
import Logging
import ServiceLifecycle

/// The web dashboard over any ``Storage``: a study list, a page per study (charts, a trial
/// table, trial details, live updates) and the JSON API those pages use.
///
/// ```swift
/// let dashboard = Dashboard(storage: try SQLiteStorage(url: "sqlite:///hypertune.db"))
/// try await dashboard.application().runService()      // http://127.0.0.1:8080/
/// ```
///
/// Routes (all `GET`; with a token configured, every one of them asks for it):
///
/// | path | answer |
/// | --- | --- |
/// | `/` | the study list (HTML) |
/// | `/studies/{name}` | a study's page (HTML) |
/// | `/static/{file}` | the page's script, style sheet and icon |
/// | `/api/studies` | `{"studies": [summary, …]}` |
/// | `/api/studies/{name}` | `{"study": summary, "version", "hypergradient", "parameters", "charts"}` |
/// | `/api/studies/{name}/trials` | a page of trials: `offset`, `limit`, `state`, `sort`, `order` |
/// | `/api/studies/{name}/trials/{number}` | one trial (``TrialJSON``) |
/// | `/api/studies/{name}/charts/{kind}.svg` | a chart (`StudyCharts`), options as query parameters |
///
/// Study names in paths are percent-encoded. Every response carries `Server-Timing:
/// app;dur=<ms>` and the security headers (Content-Security-Policy, `X-Content-Type-Options:
/// nosniff`, `Referrer-Policy: no-referrer`, …).
public struct Dashboard: Sendable {
    public let storage: any Storage
    public let configuration: DashboardConfiguration
    let snapshots: StudySnapshots

    public init(storage: any Storage, configuration: DashboardConfiguration = .init()) {
        self.storage = storage
        self.configuration = configuration
        snapshots = StudySnapshots(storage: storage)
    }

    /// The most trials a page of the trial table holds.
    public static let maximumPageSize = 1000

    /// The router: pages, static files and the API, behind the response-header and token
    /// middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ResponseHeadersMiddleware())
        if let token = configuration.token { router.add(middleware: TokenMiddleware(token: token)) }

        router.get("/") { _, _ in try await studyListPage() }
        router.get("/studies/:name") { _, context in try await studyPage(try studyName(context)) }
        router.get("/static/:file") { request, context in try Assets.response(context.parameters.get("file") ?? "", request: request) }
        router.get("/favicon.ico") { request, _ in try Assets.response("favicon.svg", request: request) }

        router.get("/api/studies") { _, _ in try await listStudies() }
        router.get("/api/studies/:name") { request, context in try await studyJSON(try studyName(context), request: request) }
        router.get("/api/studies/:name/trials") { request, context in try await trialsJSON(try studyName(context), request: request) }
        router.get("/api/studies/:name/trials/:number") { _, context in
            let text = context.parameters.get("number") ?? ""
            guard let number = Int(text), number >= 0 else { throw DashboardError.badRequest("trial number must be an integer ≥ 0, got '\(text)'") }
            return try await trialJSON(try studyName(context), number: number)
        }
        router.get("/api/studies/:name/charts/:file") { request, context in
            try await chart(try studyName(context), file: context.parameters.get("file") ?? "", request: request)
        }
        return router
    }

    /// The application serving ``router()`` on the configured host and port; `onServerRunning`
    /// is told the port it listens on (the one chosen by the system when the port is 0). The
    /// logger defaults to warnings and errors only (`LOG_LEVEL` sets another level).
    public func application(logger: Logger? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let port = configuration.port
        let logger = logger ?? {
            var l = Logger(label: "hypertune.dashboard")
            l.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
            return l
        }()
        return Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: port), serverName: nil),
            onServerRunning: { [self] channel in
                if configuration.preload { Task { await preload() } }
                await onServerRunning(channel.localAddress?.port ?? port)
            },
            logger: logger)
    }

    /// Serves until the process gets SIGINT or SIGTERM (then shuts down gracefully);
    /// `onServerRunning` is told the port once the server listens.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onServerRunning: onServerRunning).runService()
    }

    /// Serves on the configured address while `body` runs (told the port, which the system
    /// chooses when the configured one is 0), then shuts the server down gracefully.
    public func serving<T: Sendable>(_ body: @escaping @Sendable (_ port: Int) async throws -> T) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = application { continuation.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "hypertune.dashboard")))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                defer { continuation.finish() }
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                // The server stopped before it listened: its error says why.
                _ = try await tasks.next()
                throw DashboardError(status: .internalServerError, description: "the dashboard stopped before it listened")
            }
            do {
                let value = try await body(port)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }

    // MARK: Reading studies

    /// Reads every study into its snapshot (errors are left for the requests to report).
    func preload() async {
        guard let records = try? await storage.allStudies() else { return }
        for record in records { _ = try? await snapshots.snapshot(of: record) }
    }

    private func studyName(_ context: BasicRequestContext) throws -> String {
        let raw = context.parameters.get("name") ?? ""
        guard let name = raw.removingPercentEncoding, !name.isEmpty else { throw DashboardError.badRequest("malformed study name in the path: '\(raw)'") }
        return name
    }

    private func snapshot(_ name: String) async throws -> StudySnapshot {
        guard let s = try await snapshots.snapshot(named: name) else { throw DashboardError.noStudy(name) }
        return s
    }

    private func allSnapshots() async throws -> [StudySnapshot] {
        var out: [StudySnapshot] = []
        for record in try await storage.allStudies() { out.append(try await snapshots.snapshot(of: record)) }
        return out
    }

    /// The charts a study's page shows: a hypergradient run's trajectories and history; else
    /// the history, and the parameter charts when trials have parameters (the contour with two
    /// numeric ones), and intermediate values when trials reported any.
    func chartKinds(_ s: StudySnapshot) -> [StudyChart] {
        if s.isHypergradient { return [.hypergradient, .history] }
        var kinds: [StudyChart] = [.history]
        if s.trials.contains(where: { !$0.intermediateValues.isEmpty }) { kinds.append(.intermediate) }
        if !s.parameters.isEmpty {
            kinds += [.parallelCoordinates, .importance]
            if s.parameters.filter(\.isNumeric).count >= 2 { kinds.append(.contour) }
            kinds.append(.slice)
        }
        return kinds
    }

    // MARK: Pages

    private func studyListPage() async throws -> Response {
        Responses.html(Pages.studyList(try await allSnapshots(), configuration: configuration))
    }

    private func studyPage(_ name: String) async throws -> Response {
        let s = try await snapshot(name)
        return Responses.html(Pages.studyPage(s, charts: chartKinds(s), configuration: configuration))
    }

    // MARK: API

    private func listStudies() async throws -> Response {
        let all = try await allSnapshots()
        return Responses.json(.object(["studies": .array(all.map(APIJSON.summary))]))
    }

    private func studyJSON(_ name: String, request: Request) async throws -> Response {
        let s = try await snapshot(name)
        let etag = "\"s-\(s.version)\""
        if let unchanged = Responses.notModified(request, etag: etag) { return unchanged }
        return Responses.json(APIJSON.study(s, charts: chartKinds(s)), etag: etag)
    }

    private func trialJSON(_ name: String, number: Int) async throws -> Response {
        let s = try await snapshot(name)
        guard let trial = s.trial(number: number) else { throw DashboardError.notFound("study '\(name)' has no trial \(number)") }
        return Responses.json(TrialJSON.object(trial, directions: s.record.directions))
    }

    private func trialsJSON(_ name: String, request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        try Self.allowOnly(["offset", "limit", "state", "sort", "order", "v"], in: query)
        let offset = try Self.integer(query, "offset", default: 0, in: 0...Int.max)
        let limit = try Self.integer(query, "limit", default: 50, in: 1...Self.maximumPageSize)
        var states: Set<TrialState>?
        let stateTexts = query[values: "state"].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        if !stateTexts.isEmpty {
            var chosen = Set<TrialState>()
            for text in stateTexts where !text.isEmpty {
                guard let state = TrialState(rawValue: text.uppercased()) else {
                    throw DashboardError.badRequest("unknown state '\(text)': expected \(TrialState.allCases.map(\.rawValue).joined(separator: ", ")), comma-separated")
                }
                chosen.insert(state)
            }
            states = chosen
        }
        let s = try await snapshot(name)
        let sort = try TrialSort.parse(sort: query["sort"].map(String.init), order: query["order"].map(String.init), directions: s.record.directions)
        let order = s.order(sort, states: states)
        let page = order.dropFirst(offset).prefix(limit).map { s.trials[Int($0)] }
        let clock = ContinuousClock(), start = clock.now
        defer { ServerTiming.record("encode", clock.now - start) }
        return Responses.json(.object([
            "study": .string(s.record.name),
            "version": .string(s.version),
            "total": .number(Double(s.trials.count)),
            "count": .number(Double(order.count)),
            "offset": .number(Double(offset)),
            "limit": .number(Double(limit)),
            "sort": .string(sort.name),
            "order": .string(sort.descending ? "desc" : "asc"),
            "states": states.map { set in .array(TrialState.allCases.filter(set.contains).map { .string($0.rawValue) }) } ?? .null,
            "trials": TrialJSON.array(Array(page), directions: s.record.directions),
        ]))
    }

    private func chart(_ name: String, file: String, request: Request) async throws -> Response {
        guard file.hasSuffix(".svg") else { throw DashboardError.notFound("charts are SVG: /api/studies/{name}/charts/{kind}.svg") }
        let kindName = String(file.dropLast(4))
        guard let kind = StudyChart(rawValue: kindName) else {
            throw DashboardError.badRequest("unknown chart '\(kindName)': expected \(StudyChart.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let (options, key) = try Self.chartOptions(kind, request.uri.queryParameters)
        let s = try await snapshot(name)
        let etag = "\"c-\(s.version)-\(Self.hash(key))\""
        if let unchanged = Responses.notModified(request, etag: etag) { return unchanged }
        let clock = ContinuousClock(), start = clock.now
        let (result, cached) = s.chart(kind, options: options, key: key)
        ServerTiming.record("render", clock.now - start, description: cached ? "cached" : "rendered")
        switch result {
        case let .success(svg):
            return Responses.text(svg, contentType: "image/svg+xml; charset=utf-8", etag: etag)
        case let .failure(error):
            let clientMistake: Set<ChartError.Code> = [.unknownParameter, .invalidOption, .objectiveIndexOutOfRange]
            var e = DashboardError(status: clientMistake.contains(error.code) ? .badRequest : .unprocessableContent, description: error.description)
            e.code = error.code.description
            throw e
        }
    }

    // MARK: Query parameters

    static func allowOnly(_ keys: Set<String>, in query: FlatDictionary<Substring, Substring>) throws(DashboardError) {
        for (key, _) in query where !keys.contains(String(key)) && key != "token" {
            throw .badRequest("unknown query parameter '\(key)': expected \(keys.filter { $0 != "v" }.sorted().joined(separator: ", "))")
        }
    }

    static func integer(_ query: FlatDictionary<Substring, Substring>, _ key: String, default value: Int, in range: ClosedRange<Int>) throws(DashboardError) -> Int {
        guard let text = query[key[...]] else { return value }
        guard let n = Int(text), range.contains(n) else {
            let bound = range.upperBound == Int.max ? "≥ \(range.lowerBound)" : "in \(range.lowerBound)…\(range.upperBound)"
            throw .badRequest("\(key) must be an integer \(bound), got '\(text)'")
        }
        return n
    }

    static func number(_ query: FlatDictionary<Substring, Substring>, _ key: String, in range: ClosedRange<Double>) throws(DashboardError) -> Double? {
        guard let text = query[key[...]] else { return nil }
        guard let x = Double(text), range.contains(x) else {
            throw .badRequest("\(key) must be a number in \(SVGNumber(range.lowerBound))…\(SVGNumber(range.upperBound)), got '\(text)'")
        }
        return x
    }

    static func boolean(_ query: FlatDictionary<Substring, Substring>, _ key: String) throws(DashboardError) -> Bool? {
        guard let text = query[key[...]] else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        case "auto", "": return nil
        default: throw .badRequest("\(key) must be true, false or auto, got '\(text)'")
        }
    }

    private static func SVGNumber(_ x: Double) -> String { SVGDocument.number(x) }

    /// The chart options of a query, and a key naming them for the chart cache.
    static func chartOptions(_ kind: StudyChart, _ query: FlatDictionary<Substring, Substring>) throws(DashboardError) -> (StudyChartOptions, String) {
        try allowOnly(["objective", "log_y", "max_points", "width", "height", "params", "param", "x", "y", "show_pruned", "v"], in: query)
        var options = StudyChartOptions()
        options.objectiveIndex = try integer(query, "objective", default: 0, in: 0...1000)
        options.logY = try boolean(query, "log_y")
        options.maxPoints = try integer(query, "max_points", default: options.maxPoints, in: 1...200_000)
        options.width = try number(query, "width", in: 240...4000) ?? options.width
        options.height = try number(query, "height", in: 180...4000) ?? options.height
        options.showPruned = try boolean(query, "show_pruned") ?? true
        var names = query[values: "params"].flatMap { $0.split(separator: ",") }.map { String($0) }
        names += query[values: "param"].map(String.init)
        names = names.filter { !$0.isEmpty }
        if !names.isEmpty { options.parameters = names }
        let x = query["x"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }, y = query["y"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        switch (x, y) {
        case let (x?, y?): options.contourParameters = (x, y)
        case (nil, nil): break
        default: throw .badRequest("give both x and y (the contour's parameters), or neither")
        }
        let key = [kind.rawValue, String(options.objectiveIndex), options.logY.map { "\($0)" } ?? "auto", String(options.maxPoints),
                   "\(options.width)x\(options.height)", names.joined(separator: "\u{1F}"), x ?? "", y ?? "", "\(options.showPruned)"]
            .joined(separator: "\u{1E}")
        return (options, key)
    }

    static func hash(_ s: String) -> String {
        var h = Fingerprint.Hasher64()
        h.mix(s)
        return h.hex
    }
}
