import ArgumentParser
import Autograd
import Foundation
import Hypertune
import HypertuneDashboard
import HypertuneSQLite

/// `hypertune bench dashboard`: the server time of a study page with many trials. Builds a study
/// in an SQLite store (through `Storage` directly: five parameters including a log-scale float
/// and a categorical, intermediate values, pruned and failed trials with stderr tails), starts
/// the real server on 127.0.0.1 with an ephemeral port, and times every request the study page
/// makes — the HTML, the script and style sheet, the summary, the first table page sorted by
/// value and each chart — cold (a new server and store connection, nothing cached) and warm,
/// and after one more trial (what a live page fetches when the study changes). Server time is
/// read from each response's `Server-Timing` header.
struct DashboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Server time of each request of a study page with many trials, cold and warm.")

    @Option(help: "Write the results as JSON to this file ('-' for standard output).")
    var json: String = "-"

    @Option(help: "Trials in the study.")
    var trials: Int = 50_000

    @Option(help: "Timed repetitions of the warm page load (the median is reported).")
    var repetitions: Int = 5

    @Option(help: "Cold page loads, each on a new server and store connection (the median is reported).")
    var coldRepetitions: Int = 3

    @Option(help: ArgumentHelp("Keep the study in this SQLite file (default: a temporary file, removed afterwards); an existing study of the same name there is reused. The timing after a new trial adds --repetitions trials to it.", valueName: "path.db"))
    var store: String?

    @Option(help: "The study's name.")
    var study: String = "bench-dashboard"

    @Option(help: "Seed of the generated trials.")
    var seed: UInt64 = 0

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be positive, got \(trials)") }
        guard repetitions >= 1, coldRepetitions >= 1 else { throw ValidationError("--repetitions and --cold-repetitions must be positive") }
    }

    struct Timing: Codable {
        var server_ms: Double
        var client_ms: Double
        var bytes: Int
        var status: Int
        /// The response's `Server-Timing` header: the parts of the server's work (`read` the
        /// store, `version`, `snapshot`, `sort`, `encode`, `render`) and `app`, the whole.
        var server_timing: String
    }

    struct Load: Codable {
        /// Per request: the median over the repetitions.
        var requests: [String: Timing]
        /// The sum of the requests' server times (the server's work for the page).
        var total_server_ms: Double
        var total_client_ms: Double
    }

    struct Output: Codable {
        var benchmark = "dashboard"
        var n_trials: Int
        var states: [String: Int]
        var build_seconds: Double
        var store_megabytes: Double
        var request_order: [String]
        var paths: [String: String]
        var cold: Load
        var warm: Load
        var after_new_trial: Load
        /// Wall time of a cold page load with the page's requests after the HTML made
        /// concurrently (as a browser makes them).
        var cold_concurrent_wall_ms: Double
    }

    func run() async throws {
        var err = FileHandle.standardError
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-bench-dashboard-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = store ?? directory.appendingPathComponent("dashboard.db").path

        let clock = ContinuousClock(), buildStart = clock.now
        let writer = try SQLiteStorage(path: path)
        let record = try await StudyGenerator.build(storage: writer, name: study, trials: trials, seed: seed) { done in
            print("  \(done) trials written", to: &err)
        }
        let buildSeconds = Format.seconds(clock.now - buildStart)
        let all = try await writer.trials(studyID: record.id, states: nil)
        let states = Dictionary(grouping: all, by: \.state.rawValue).mapValues(\.count)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
        let megabytes = Double(bytes) / 1_048_576
        print(String(format: "study '%@': %d trials in %.1f s (%.1f MB)", record.name, all.count, buildSeconds, megabytes), to: &err)

        // The page's requests, in the order it makes them.
        let encoded = record.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? record.name
        var requests: [(String, String)] = [
            ("html", "/studies/\(encoded)"), ("script", "/static/dashboard.js"), ("style", "/static/dashboard.css"),
            ("summary", "/api/studies/\(encoded)"), ("table", "/api/studies/\(encoded)/trials?offset=0&limit=50&sort=value"),
        ]
        // The chart sizes the page asks for in a window 1400 pixels wide (half-width and
        // full-width cards).
        let sizes = [("history", "600", "372", 5000), ("intermediate", "600", "372", 2000), ("parallel-coordinates", "1320", "554", 2000),
                     ("importance", "600", "240", 2000), ("contour", "600", "372", 3000), ("slice", "1320", "300", 2000)]
        for (kind, width, height, points) in sizes {
            requests.append((kind, "/api/studies/\(encoded)/charts/\(kind).svg?width=\(width)&height=\(height)&max_points=\(points)"))
        }

        var coldRuns: [[String: Timing]] = [], warmRuns: [[String: Timing]] = [], updateRuns: [[String: Timing]] = []
        let pageRequests = requests, repetitions = self.repetitions, seed = self.seed
        for i in 0..<coldRepetitions {
            // A new store connection (its trial cache empty) and a new server: nothing cached.
            let (cold, warm, update) = try await serve(path: path) { port in
                let cold = try await Self.load(pageRequests, port: port)
                var warm: [[String: Timing]] = [], update: [[String: Timing]] = []
                if i == 0 {
                    for _ in 0..<repetitions { warm.append(try await Self.load(pageRequests, port: port)) }
                    for k in 0..<repetitions {
                        try await StudyGenerator.addTrial(storage: writer, study: record, index: 1_000_000 + k, seed: seed)
                        update.append(try await Self.load(pageRequests.filter { $0.0 != "script" && $0.0 != "style" }, port: port))
                    }
                }
                return (cold, warm, update)
            }
            coldRuns.append(cold)
            warmRuns += warm
            updateRuns += update
            print("cold load \(i + 1): \(String(format: "%.0f", cold.values.map(\.server_ms).reduce(0, +))) ms of server time", to: &err)
        }
        var concurrentWall: [Double] = []
        for _ in 0..<coldRepetitions {
            let wall = try await serve(path: path) { port in
                let clock = ContinuousClock(), start = clock.now
                _ = try await Self.load([pageRequests[0]], port: port)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for r in pageRequests.dropFirst() { group.addTask { _ = try await Self.get(port: port, path: r.1) } }
                    try await group.waitForAll()
                }
                return Format.seconds(clock.now - start) * 1e3
            }
            concurrentWall.append(wall)
        }

        let output = Output(
            n_trials: all.count, states: states, build_seconds: buildSeconds, store_megabytes: megabytes,
            request_order: requests.map(\.0), paths: Dictionary(uniqueKeysWithValues: requests),
            cold: summarize(coldRuns), warm: summarize(warmRuns), after_new_trial: summarize(updateRuns),
            cold_concurrent_wall_ms: BenchmarkSupport.median(concurrentWall))
        report(output, order: requests.map(\.0), to: &err)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(output)
        if json == "-" { print(String(decoding: data, as: UTF8.self)) } else { try data.write(to: URL(fileURLWithPath: json)) }
    }

    /// Runs a dashboard on a new connection to the store at `path`, on 127.0.0.1 and a port the
    /// system chooses, for the duration of `body`.
    func serve<T: Sendable>(path: String, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> T {
        let storage = try SQLiteStorage(path: path)
        // No preloading: the first request pays for the store's first full read.
        return try await Dashboard(storage: storage, configuration: DashboardConfiguration(port: 0, preload: false)).serving(body)
    }

    /// A request from a thread of its own: the probe blocks, and the server's tasks need every
    /// thread of Swift's cooperative pool (two on a 2-core machine) — and on Linux that pool is
    /// libdispatch's, so a blocked `DispatchQueue.global()` worker starves it too.
    static func get(port: Int, path: String) async throws -> HTTPProbe.Response {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try HTTPProbe.get(port: port, path: path) })
            }
            thread.start()
        }
    }

    /// One page load: each request in turn.
    static func load(_ requests: [(String, String)], port: Int) async throws -> [String: Timing] {
        var out: [String: Timing] = [:]
        let clock = ContinuousClock()
        for (name, path) in requests {
            let start = clock.now
            let r = try await get(port: port, path: path)
            let client = Format.seconds(clock.now - start) * 1e3
            guard let server = r.serverMilliseconds else { throw CLIError("no Server-Timing header on \(path)") }
            out[name] = Timing(server_ms: server, client_ms: client, bytes: r.body.count, status: r.status, server_timing: r.headers["server-timing"] ?? "")
        }
        return out
    }

    func summarize(_ runs: [[String: Timing]]) -> Load {
        var requests: [String: Timing] = [:]
        for name in runs.first?.keys.sorted() ?? [] {
            let rows = runs.compactMap { $0[name] }
            requests[name] = Timing(server_ms: BenchmarkSupport.median(rows.map(\.server_ms)), client_ms: BenchmarkSupport.median(rows.map(\.client_ms)),
                                    bytes: rows.last!.bytes, status: rows.last!.status, server_timing: rows.last!.server_timing)
        }
        let totals = runs.map { $0.values.map(\.server_ms).reduce(0, +) }, clientTotals = runs.map { $0.values.map(\.client_ms).reduce(0, +) }
        return Load(requests: requests, total_server_ms: BenchmarkSupport.median(totals), total_client_ms: BenchmarkSupport.median(clientTotals))
    }

    func report(_ o: Output, order: [String], to err: inout FileHandle) {
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            s.count >= n ? s : left ? s + String(repeating: " ", count: n - s.count) : String(repeating: " ", count: n - s.count) + s
        }
        func ms(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "—" }
        print("\n" + pad("server ms", 22, left: true) + pad("cold", 10) + pad("warm", 10) + pad("new trial", 11) + pad("KB", 9), to: &err)
        for name in order {
            let c = o.cold.requests[name], w = o.warm.requests[name], u = o.after_new_trial.requests[name]
            print(pad(name, 22, left: true) + pad(ms(c?.server_ms), 10) + pad(ms(w?.server_ms), 10) + pad(ms(u?.server_ms), 11)
                  + pad(String(format: "%.1f", Double(c?.bytes ?? 0) / 1024), 9), to: &err)
        }
        print(pad("total (server)", 22, left: true) + pad(ms(o.cold.total_server_ms), 10) + pad(ms(o.warm.total_server_ms), 10) + pad(ms(o.after_new_trial.total_server_ms), 11), to: &err)
        print(pad("total (client)", 22, left: true) + pad(ms(o.cold.total_client_ms), 10) + pad(ms(o.warm.total_client_ms), 10) + pad(ms(o.after_new_trial.total_client_ms), 11), to: &err)
        print(String(format: "cold page load, the page's requests after the HTML made concurrently: %.0f ms wall", o.cold_concurrent_wall_ms), to: &err)
        print("cold, in parts (Server-Timing):", to: &err)
        for name in order { if let t = o.cold.requests[name] { print("  " + pad(name, 20, left: true) + t.server_timing, to: &err) } }
    }
}

/// A synthetic study for the dashboard: trials with a log-scale learning rate, an integer
/// width, a dropout rate, a categorical optimizer and a log-scale batch size; of every 20
/// consecutive trials, 15 complete (10 intermediate values each), 4 pruned (fewer) and 1 failed
/// (with a reason and a stderr tail), written through `Storage` directly.
enum StudyGenerator {
    static let distributions: [(String, Distribution)] = [
        ("lr", .float(low: 1e-5, high: 1, log: true)),
        ("width", .int(low: 8, high: 512)),
        ("dropout", .float(low: 0, high: 0.5)),
        ("optimizer", .categorical(["sgd", "adam", "rmsprop"])),
        ("batch_size", .int(low: 16, high: 1024, log: true)),
    ]

    /// Creates the study (or finds it) and adds trials until it has `trials`.
    static func build(storage: any Storage, name: String, trials: Int, seed: UInt64, progress: (Int) -> Void) async throws -> StudyRecord {
        let record = try await storage.createStudy(name: name, directions: [.minimize], loadIfExists: true)
        try await storage.setStudyAttribute(studyID: record.id, key: Study.samplerKey, value: .string("TPESampler"), system: true)
        try await storage.setStudyAttribute(studyID: record.id, key: Study.prunerKey, value: .string("MedianPruner"), system: true)
        let existing = try await storage.trials(studyID: record.id, states: nil).count
        for i in existing..<max(existing, trials) {
            try await addTrial(storage: storage, study: record, index: i, seed: seed)
            if (i + 1) % 10_000 == 0 { progress(i + 1) }
        }
        return try await storage.study(named: name) ?? record
    }

    /// The `index`-th trial, finished; its parameters drawn from `seed` and `index`.
    static func addTrial(storage: any Storage, study: StudyRecord, index: Int, seed: UInt64) async throws {
        var rng = SamplerRandom.generator(seed: seed, trial: index)
        guard let trial = try await storage.startTrial(studyID: study.id, limit: nil, worker: "bench") else { return }
        var x: [String: ParameterValue] = [:]
        for (name, d) in distributions {
            let value = d.toExternal(SamplerRandom.uniform(d, &rng))
            x[name] = value
            try await storage.setParameter(trialID: trial.id, name: name, value: value, distribution: d)
        }
        let lr = x["lr"]!.doubleValue!, width = Double(x["width"]!.intValue!), dropout = x["dropout"]!.doubleValue!
        let optimizerBonus = x["optimizer"] == .string("adam") ? 0.0 : x["optimizer"] == .string("rmsprop") ? 0.03 : 0.08
        let final = 0.05 + 0.12 * pow(log10(lr) + 2.5, 2) / 6 + 0.1 * abs(dropout - 0.2) + 0.04 * abs(log2(width / 128)) / 4
            + optimizerBonus + 0.02 * rng.nextUnit(Double.self)
        // 7 is prime to 20: each block of 20 trials has each outcome slot once.
        let slot = index * 7 % 20
        let steps = slot < 15 ? 10 : slot < 19 ? 2 + Int(rng.nextUnit(Double.self) * 5) : Int(rng.nextUnit(Double.self) * 4)
        for step in 0..<steps {
            try await storage.reportIntermediateValue(trialID: trial.id, step: step, value: final * (1 + 2.5 * exp(-Double(step) / 2.5)))
        }
        if slot < 15 {
            try await storage.finishTrial(id: trial.id, state: .complete, values: [final], failReason: nil)
        } else if slot < 19 {
            try await storage.finishTrial(id: trial.id, state: .pruned, values: nil, failReason: nil)
        } else {
            let tail = (0..<12).map { "epoch \($0): loss \(String(format: "%.4f", final * Double(12 - $0)))" }.joined(separator: "\n")
                + "\nTraceback (most recent call last):\n  File \"train.py\", line 42, in <module>\nRuntimeError: CUDA out of memory (batch \(x["batch_size"]!))\n"
            try await storage.setTrialAttribute(trialID: trial.id, key: "stderr_tail", value: .string(tail), system: true)
            try await storage.finishTrial(id: trial.id, state: .failed, values: nil, failReason: "exit status 1: RuntimeError: CUDA out of memory")
        }
    }
}
