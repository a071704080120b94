import ArgumentParser
import Foundation
import Hypertune
import HypertunePostgres
import HypertuneSQLite

/// `hypertune bench storage`: BENCHMARKS.md §6 — the bookkeeping of one trial (start it, six
/// suggestions, ten intermediate reports, finish it, with the sampler's read of the history) as
/// a study grows, per storage and sampler, at trials 900–1000; with `--peer`, the ratio to
/// `overhead_bench.py`'s Optuna TPE on SQLite (ask, six suggestions, tell) in the same window.
struct StorageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Per-trial bookkeeping time on each storage backend as a study grows.")

    @Option(help: "Write the results as JSON to this file ('-' for standard output).")
    var json: String = "-"

    @Option(help: "Storages, comma-separated: memory, sqlite, postgresql (with --postgres).")
    var storages: String = "memory,sqlite"

    @Option(help: "A PostgreSQL server's URL (postgresql://user:password@host:port/database): adds the postgresql rows and the throughput of 1, 2, 4 and 8 worker processes.")
    var postgres: String?

    @Option(help: "Trials of each throughput study (shared by its workers).")
    var throughputTrials: Int = 400

    @Option(help: "Samplers, comma-separated: random, tpe.")
    var samplers: String = "random,tpe"

    @Option(help: "Trials per study (the window is the last hundred up to trial 1000).")
    var trials: Int = 1000

    @Option(help: "The peer's results (overhead_bench.py's JSON with its sqlite_tpe part) to compare with.")
    var peer: String?

    func validate() throws {
        guard trials >= 100 else { throw ValidationError("--trials must be at least 100, got \(trials)") }
        for s in storages.split(separator: ",") where !["memory", "sqlite", "postgresql"].contains(s) { throw ValidationError("unknown storage '\(s)' (memory, sqlite, postgresql)") }
        if storages.split(separator: ",").contains("postgresql") && postgres == nil { throw ValidationError("the postgresql storage needs --postgres URL") }
        for s in samplers.split(separator: ",") where !["random", "tpe"].contains(s) { throw ValidationError("unknown sampler '\(s)' (random, tpe)") }
    }

    struct Row: Codable {
        var storage: String
        var sampler: String?
        var window: String?
        var median_ms: Double?
        var mean_ms: Double?
        var workers: Int?
        var trials_per_s: Double?
        /// Median milliseconds of each part of a trial in the window: `ask` (the history read,
        /// the sampler and the trial's start), `suggest` (six), `report` (ten), `tell` (its end).
        var phases_ms: [String: Double]?
    }

    struct Output: Codable {
        var benchmark = "storage"
        var n_trials: Int
        var rows: [Row]
    }

    func run() async throws {
        let window = (max(1, min(trials, 1000) - 100), min(trials, 1000))  // 900–1000, as the peer script counts
        var rows: [Row] = []
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-bench-storage-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var storageNames = storages.split(separator: ",").map(String.init)
        if postgres != nil && !storageNames.contains("postgresql") { storageNames.append("postgresql") }
        let runID = UUID().uuidString.prefix(8)
        for storageName in storageNames {
            for samplerName in samplers.split(separator: ",").map(String.init) {
                let storage: any Storage = switch storageName {
                case "memory": InMemoryStorage()
                case "sqlite": try SQLiteStorage(path: directory.appendingPathComponent("\(samplerName).db").path)
                default: try await PostgresStorage(url: postgres!)
                }
                let sampler: any Sampler = samplerName == "tpe" ? TPESampler(seed: 0) : RandomSampler(seed: 0)
                let study = try await Study.create(name: "bench-\(samplerName)-\(runID)", storage: storage, sampler: sampler)
                let hartmann = SyntheticFunction.hartmann6, clock = ContinuousClock()
                var times: [Double] = [], phases: [String: [Double]] = [:]
                func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
                for _ in 0..<trials {
                    let start = clock.now
                    let trial = try await study.ask()
                    let asked = clock.now
                    var x: [String: ParameterValue] = [:]
                    for (p, d) in hartmann.space { x[p] = try await trial.suggest(p, d) }
                    let suggested = clock.now
                    let value = hartmann(x)
                    for step in 1...10 { try await trial.report(value + 1 / Double(step), step: step) }
                    let reported = clock.now
                    try await study.tell(trial, value)
                    let end = clock.now
                    times.append(seconds(end - start))
                    for (name, d) in [("ask", asked - start), ("suggest", suggested - asked), ("report", reported - suggested), ("tell", end - reported)] {
                        phases[name, default: []].append(seconds(d))
                    }
                }
                let slice = Array(times[(window.0 - 1)..<window.1])
                rows.append(Row(storage: storageName, sampler: samplerName, window: "\(window.0)-\(window.1)",
                                median_ms: BenchmarkSupport.median(slice) * 1e3, mean_ms: slice.reduce(0, +) / Double(slice.count) * 1e3,
                                phases_ms: phases.mapValues { BenchmarkSupport.median(Array($0[(window.0 - 1)..<window.1])) * 1e3 }))
                FileHandle.standardError.write(Data(String(format: "%@ %@: %@ %.4f ms\n", storageName, samplerName, rows.last!.window!, rows.last!.median_ms!).utf8))
            }
        }
        if let postgres {
            for workers in [1, 2, 4, 8] {
                let rate = try await throughput(url: postgres, workers: workers, study: "throughput-\(runID)-\(workers)")
                rows.append(Row(storage: "postgresql", workers: workers, trials_per_s: rate))
                FileHandle.standardError.write(Data(String(format: "postgresql, %d worker processes: %.1f trials/s\n", workers, rate).utf8))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Output(n_trials: trials, rows: rows))
        if json == "-" { print(String(decoding: data, as: UTF8.self)) } else { try data.write(to: URL(fileURLWithPath: json)) }
        if let peer { try compare(rows, peerPath: peer) }
    }

    /// Trials per second of `workers` processes (`hypertune worker`, random sampler, Hartmann-6)
    /// sharing one study of `throughputTrials` trials, from their start to the last one's exit.
    func throughput(url: String, workers: Int, study: String) async throws -> Double {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let clock = ContinuousClock(), start = clock.now
        let processes = try (0..<workers).map { _ -> Process in
            let p = Process()
            p.executableURL = executable
            p.arguments = ["worker", "--storage", url, "--study", study, "--total-trials", String(throughputTrials)]
            try p.run()
            return p
        }
        for p in processes {
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw CLIError("a worker process failed (status \(p.terminationStatus))") }
        }
        let d = clock.now - start
        return Double(throughputTrials) / (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }

    /// Prints our rows beside Optuna's TPE on SQLite in the same window.
    func compare(_ rows: [Row], peerPath: String) throws {
        guard let data = FileManager.default.contents(atPath: peerPath),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = object["results"] as? [String: [String: Any]],
              let sqlite = results["optuna_tpe_default_sqlite"], let windows = sqlite["per_trial"] as? [String: [String: Any]]
        else { throw CLIError("cannot read Optuna's SQLite figures in \(peerPath) (expected overhead_bench.py's JSON with --parts sqlite_tpe)") }
        var err = FileHandle.standardError
        for row in rows {
            guard let window = row.window, let median = row.median_ms, let sampler = row.sampler,
                  let w = windows[window], let peerMedian = w["median_ms"] as? Double else { continue }
            print(String(format: "%@ %@ %@ vs Optuna TPE on SQLite: %.4f ms vs %.3f ms (%.0f× less)", window, row.storage, sampler,
                         median, peerMedian, peerMedian / median), to: &err)
        }
    }
}
