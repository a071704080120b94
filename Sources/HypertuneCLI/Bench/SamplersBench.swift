import ArgumentParser
import Foundation
import Hypertune

/// `hypertune bench samplers`: BENCHMARKS.md §4 — best value after 100 evaluations of the
/// synthetic suite, per sampler and seed, as JSON lines in the peer script's schema
/// (`function, optimizer, seed, best, regret, wall_s, n_evals`).
struct SamplersBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samplers",
        abstract: "Compare samplers' final regret on the synthetic suite (JSON lines).")

    @Option(help: "Write JSON lines to this file ('-' for standard output).")
    var json: String = "-"

    @Option(help: "Samplers, comma-separated: random, sobol, tpe, tpe-univariate, tpe-scott, tpe-hyperopt, cmaes, cmaes-sep, gp, ga (a genetic algorithm, population 10).")
    var samplers: String = "random,tpe,tpe-univariate"

    @Option(help: "Functions, comma-separated (default: the whole suite).")
    var functions: String = SyntheticFunction.suite.map(\.name).joined(separator: ",")

    @Option(help: "Seeds 0..<N.")
    var seeds: Int = 10

    @Option(help: "First seed.")
    var seedOffset: Int = 0

    @Option(help: "Evaluations per run.")
    var evaluations: Int = 100

    @Option(help: "Peer rows (JSON lines from bb_bench.py) to summarise beside ours.")
    var peer: [String] = []

    @Option(help: "Candidates per TPE proposal, instead of the default (to tune it).")
    var tpeCandidates: Int?

    func validate() throws {
        guard seeds > 0, evaluations > 0 else { throw ValidationError("--seeds and --evaluations must be positive") }
        if let tpeCandidates, tpeCandidates < 1 { throw ValidationError("--tpe-candidates must be positive, got \(tpeCandidates)") }
        for name in functions.split(separator: ",") where !SyntheticFunction.suite.contains(where: { $0.name == name }) {
            throw ValidationError("unknown function '\(name)'; the suite has \(SyntheticFunction.suite.map(\.name).joined(separator: ", "))")
        }
        for name in samplers.split(separator: ",") where SamplersBench.makeSampler(String(name), seed: 0) == nil {
            throw ValidationError("unknown sampler '\(name)'")
        }
    }

    /// The sampler a benchmark name stands for; `tpeCandidates` overrides the candidate count of
    /// the TPE presets.
    static func makeSampler(_ name: String, seed: UInt64, tpeCandidates: Int? = nil) -> (any Sampler)? {
        var c = TPESampler.Configuration()
        switch name {
        case "random": return RandomSampler(seed: seed)
        case "sobol": return QuasiRandomSampler(kind: .sobol, seed: seed)
        case "cmaes": return CMAESSampler(seed: seed)
        case "gp": return GPSampler(seed: seed)
        case "ga":
            // Ten generations of ten in the suite's 100 evaluations (the default population, 50,
            // would leave two).
            var configuration = NSGAIISampler.Configuration()
            configuration.populationSize = 10
            return NSGAIISampler(seed: seed, configuration: configuration)
        case "cmaes-sep":
            var configuration = CMAESSampler.Configuration()
            configuration.separable = true
            return CMAESSampler(seed: seed, configuration: configuration)
        case "tpe": break
        case "tpe-scott": c.bandwidth = .scott
        case "tpe-univariate": c.multivariate = false
        case "tpe-hyperopt":
            // Hyperopt's defaults: 20 random trials, γ = ⌈¼√n⌉ good ones, 24 candidates,
            // univariate, the prior among the neighbours.
            c.multivariate = false
            c.candidates = 24
            c.startupTrials = 20
            c.bandwidth = .neighbourGapsWithPrior
            c.gamma = { min(Int((0.25 * Double($0).squareRoot()).rounded(.up)), 25) }
        default: return nil
        }
        if let tpeCandidates { c.candidates = tpeCandidates }
        return TPESampler(seed: seed, configuration: c)
    }

    /// The name of a sampler's rows: `hypertune_<name>`, with `_c<N>` when the candidate count
    /// was overridden.
    static func rowName(_ name: String, tpeCandidates: Int?) -> String {
        let base = "hypertune_" + name.replacingOccurrences(of: "-", with: "_")
        guard let tpeCandidates, name.hasPrefix("tpe") else { return base }
        return base + "_c\(tpeCandidates)"
    }

    struct Row: Codable {
        var function: String
        var optimizer: String
        var seed: Int
        var best: Double
        var regret: Double
        var wall_s: Double
        var n_evals: Int
    }

    func run() async throws {
        var rows: [Row] = []
        let chosen = functions.split(separator: ",").map { name in SyntheticFunction.suite.first { $0.name == name }! }
        let out: FileHandle? = json == "-" ? nil : (FileManager.default.createFile(atPath: json, contents: nil) ? FileHandle(forWritingAtPath: json) : nil)
        if json != "-" && out == nil { throw CLIError("cannot write \(json)") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for function in chosen {
            for samplerName in samplers.split(separator: ",").map(String.init) {
                for seed in seedOffset..<(seedOffset + seeds) {
                    let sampler = Self.makeSampler(samplerName, seed: UInt64(seed), tpeCandidates: tpeCandidates)!
                    let clock = ContinuousClock(), start = clock.now
                    let study = try await Study.create(name: "\(function.name)-\(samplerName)-\(seed)", sampler: sampler)
                    let space = function.space
                    try await study.optimize(trials: evaluations) { trial in
                        var p: [String: ParameterValue] = [:]
                        for (name, d) in space { p[name] = try await trial.suggest(name, d) }
                        return function(p)
                    }
                    let elapsed = clock.now - start
                    let best = try await study.bestTrial()!.value!
                    let row = Row(function: function.name, optimizer: Self.rowName(samplerName, tpeCandidates: tpeCandidates),
                                  seed: seed, best: best, regret: function.regret(best),
                                  wall_s: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                                  n_evals: evaluations)
                    rows.append(row)
                    let line = String(decoding: try encoder.encode(row), as: UTF8.self) + "\n"
                    if let out { out.write(Data(line.utf8)) } else { FileHandle.standardOutput.write(Data(line.utf8)) }
                }
            }
        }
        try out?.close()
        var all = rows.map { ($0.function, $0.optimizer, $0.regret, $0.wall_s) }
        for path in peer {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("cannot read \(path)") }
            for line in text.split(separator: "\n") {
                if let r = try? JSONDecoder().decode(Row.self, from: Data(line.utf8)) { all.append((r.function, r.optimizer, r.regret, r.wall_s)) }
            }
        }
        printSummary(all, functions: chosen.map(\.name))
    }

    /// Median regret (and median wall time) per function and optimizer.
    func printSummary(_ rows: [(String, String, Double, Double)], functions: [String]) {
        var err = FileHandle.standardError
        let optimizers = Array(Set(rows.map(\.1))).sorted()
        func median(_ v: [Double]) -> Double {
            let s = v.sorted()
            return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
        }
        let width = max(22, (optimizers.map(\.count).max() ?? 0) + 2)
        print("median regret".padding(toLength: 20, withPad: " ", startingAt: 0) + optimizers.map { $0.padding(toLength: width, withPad: " ", startingAt: 0) }.joined(), to: &err)
        for f in functions {
            var line = f.padding(toLength: 20, withPad: " ", startingAt: 0)
            for o in optimizers {
                let r = rows.filter { $0.0 == f && $0.1 == o }
                let cell = r.isEmpty ? "-" : String(format: "%.4g (%.2fs)", median(r.map(\.2)), median(r.map(\.3)))
                line += cell.padding(toLength: width, withPad: " ", startingAt: 0)
            }
            print(line, to: &err)
        }
    }
}
