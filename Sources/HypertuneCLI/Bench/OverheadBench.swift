import ArgumentParser
import Foundation
import Hypertune

/// `hypertune bench overhead`: BENCHMARKS.md §5 — the cost of one trial's bookkeeping (ask, six
/// suggestions, the Hartmann-6 evaluation, tell) as a study grows, per window of trials, in the
/// peer script's terms; with `--peer`, the ratio to the peer's figure for the same window.
struct OverheadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overhead",
        abstract: "Time per trial (ask + suggest + tell) as a study grows, on Hartmann-6.")

    @Option(help: "Write the results as JSON to this file ('-' for standard output).")
    var json: String = "-"

    @Option(help: "Samplers, comma-separated: tpe, tpe-univariate, random, gp.")
    var samplers: String = "tpe,tpe-univariate,random"

    @Option(help: "Trials per study.")
    var trials: Int = 2000

    @Option(help: "Trials per GP study (the peer script runs 300).")
    var gpTrials: Int = 300

    @Option(help: "The peer's results (overhead_bench.py's overhead.json) to compare with.")
    var peer: String?

    @Option(help: "Candidates per TPE proposal, instead of the default.")
    var tpeCandidates: Int?

    func validate() throws {
        guard trials >= 100 else { throw ValidationError("--trials must be at least 100, got \(trials)") }
        guard gpTrials >= 50 else { throw ValidationError("--gp-trials must be at least 50, got \(gpTrials)") }
        if let tpeCandidates, tpeCandidates < 1 { throw ValidationError("--tpe-candidates must be positive, got \(tpeCandidates)") }
        for name in samplers.split(separator: ",") where SamplersBench.makeSampler(String(name), seed: 0) == nil {
            throw ValidationError("unknown sampler '\(name)'")
        }
    }

    struct Row: Codable {
        var sampler: String
        var storage: String
        var window: String
        var median_ms: Double
        var mean_ms: Double
    }

    struct Output: Codable {
        var benchmark = "overhead"
        var function = "hartmann6"
        var seed = 0
        var n_trials: Int
        var gp_trials: Int?
        var rows: [Row]
    }

    /// The trials of a sampler's study and its 1-based inclusive windows, as the peer script
    /// reports them (GP studies are shorter: each proposal costs more).
    func windows(_ sampler: String) -> (trials: Int, windows: [(Int, Int)]) {
        if sampler == "gp" { return (gpTrials, [(1, 50), (250, 300)].filter { $0.1 <= gpTrials }) }
        return (trials, [(1, 100), (900, 1000), (1900, 2000)].filter { $0.1 <= trials })
    }

    func run() async throws {
        let hartmann = SyntheticFunction.hartmann6
        var rows: [Row] = []
        for name in samplers.split(separator: ",").map(String.init) {
            let study = try await Study.create(name: "overhead-\(name)", sampler: SamplersBench.makeSampler(name, seed: 0, tpeCandidates: tpeCandidates)!)
            let clock = ContinuousClock()
            let (trials, windows) = windows(name)
            var times: [Double] = []
            times.reserveCapacity(trials)
            for _ in 0..<trials {
                let start = clock.now
                let trial = try await study.ask()
                var x: [String: ParameterValue] = [:]
                for (p, d) in hartmann.space { x[p] = try await trial.suggest(p, d) }
                try await study.tell(trial, hartmann(x))
                let d = clock.now - start
                times.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
            }
            for (a, b) in windows {
                let window = Array(times[(a - 1)..<b])
                rows.append(Row(sampler: SamplersBench.rowName(name, tpeCandidates: tpeCandidates), storage: "memory", window: "\(a)-\(b)",
                                median_ms: BenchmarkSupport.median(window) * 1e3, mean_ms: window.reduce(0, +) / Double(window.count) * 1e3))
            }
            FileHandle.standardError.write(Data("\(name): \(rows.suffix(windows.count).map { "\($0.window) \(String(format: "%.4f", $0.median_ms)) ms" }.joined(separator: ", "))\n".utf8))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Output(n_trials: trials, gp_trials: samplers.split(separator: ",").contains("gp") ? gpTrials : nil, rows: rows))
        if json == "-" { print(String(decoding: data, as: UTF8.self)) } else { try data.write(to: URL(fileURLWithPath: json)) }
        if let peer { try compare(rows, peerPath: peer) }
    }

    /// Prints each of our rows beside the peer configurations of the same method and window.
    func compare(_ rows: [Row], peerPath: String) throws {
        guard let data = FileManager.default.contents(atPath: peerPath),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = object["results"] as? [String: [String: Any]]
        else { throw CLIError("cannot read the peer results in \(peerPath) (expected overhead_bench.py's JSON)") }
        var err = FileHandle.standardError
        for (peerName, result) in results.sorted(by: { $0.key < $1.key }) {
            guard let windows = result["per_trial"] as? [String: [String: Any]] else { continue }
            // Like with like: TPE beside the peers' TPE, random beside their random search, GP
            // beside their GP.
            guard let family = ["tpe", "random", "gp"].first(where: { peerName.contains($0) }) else { continue }
            for row in rows where row.sampler.contains(family) {
                guard let w = windows[row.window], let peerMedian = w["median_ms"] as? Double else { continue }
                print(String(format: "%@ %@ vs %@: %.4f ms vs %.3f ms (%.0f× faster)", row.window, row.sampler, peerName,
                             row.median_ms, peerMedian, peerMedian / row.median_ms), to: &err)
            }
        }
    }
}
