import ArgumentParser
import Foundation
import Hypertune

/// `hypertune bench pareto`: multi-objective samplers on ZDT1 and ZDT2 (30 variables, two
/// objectives): the hypervolume of the Pareto front found in a budget of evaluations, per seed, as
/// JSON lines `{function, optimizer, seed, hypervolume, reference, n_evals, wall_s}`.
struct ParetoBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto",
        abstract: "Hypervolume of multi-objective samplers' fronts on ZDT1 and ZDT2 (JSON lines).")

    @Option(help: "Write JSON lines to this file ('-' for standard output).")
    var json: String = "-"

    @Option(help: "Samplers, comma-separated: nsga2, random.")
    var samplers: String = "nsga2,random"

    @Option(help: "Seeds 0..<N.")
    var seeds: Int = 10

    @Option(help: "Evaluations per run.")
    var evaluations: Int = 200

    @Option(help: "Peer rows (JSON lines in the same schema) to summarise beside ours.")
    var peer: [String] = []

    @Option(help: ArgumentHelp("The hypervolume's reference point, 'f1,f2'.", discussion: """
        The customary (1.1, 1.1) counts only points near the true front, which 200 evaluations over 30 \
        variables do not reach (every sampler scores 0 there); f₂ ≤ g ≤ 10 on ZDT, so (1.1, 11) bounds \
        every point and ranks fronts at any stage.
        """))
    var reference: String = "1.1,11"

    struct Row: Codable {
        var function: String
        var optimizer: String
        var seed: Int
        var hypervolume: Double
        var reference: [Double]
        var n_evals: Int
        var wall_s: Double
    }

    var referencePoint: (Double, Double)? {
        let parts = reference.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        return parts.count == 2 && parts.allSatisfy(\.isFinite) ? (parts[0], parts[1]) : nil
    }

    func validate() throws {
        guard seeds > 0, evaluations > 0 else { throw ValidationError("--seeds and --evaluations must be positive") }
        guard referencePoint != nil else { throw ValidationError("--reference must be two numbers 'f1,f2', got '\(reference)'") }
        for name in samplers.split(separator: ",") where Self.makeSampler(String(name), seed: 0) == nil {
            throw ValidationError("unknown sampler '\(name)' (nsga2, random)")
        }
    }

    static func makeSampler(_ name: String, seed: UInt64) -> (any Sampler)? {
        switch name {
        case "nsga2": return NSGAIISampler(seed: seed)
        case "random": return RandomSampler(seed: seed)
        default: return nil
        }
    }

    func run() async throws {
        var rows: [Row] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var out = json == "-" ? nil : FileHandle(forWritingAtPath: { _ = FileManager.default.createFile(atPath: json, contents: nil); return json }())
        for function in MultiObjectiveFunction.suite {
            for name in samplers.split(separator: ",").map(String.init) {
                for seed in 0..<seeds {
                    let start = ContinuousClock.now
                    let study = try await Study.create(name: "\(function.name)-\(name)-\(seed)", directions: [.minimize, .minimize],
                                                       sampler: Self.makeSampler(name, seed: UInt64(seed))!)
                    try await study.optimize(trials: evaluations) { trial in
                        var p: [String: ParameterValue] = [:]
                        for (n, d) in function.space { p[n] = try await trial.suggest(n, d) }
                        return function(p)
                    }
                    let front = try await study.bestTrials().map { $0.values! }
                    let d = ContinuousClock.now - start
                    let row = Row(function: function.name, optimizer: "hypertune_" + name, seed: seed,
                                  hypervolume: NSGAIISampler.hypervolume2D(front, reference: referencePoint!),
                                  reference: [referencePoint!.0, referencePoint!.1], n_evals: evaluations,
                                  wall_s: Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
                    rows.append(row)
                    let line = String(decoding: try encoder.encode(row), as: UTF8.self) + "\n"
                    if let out { out.write(Data(line.utf8)) } else { print(line, terminator: "") }
                }
            }
        }
        try? out?.close()
        out = nil
        var table: [String: [String: [Double]]] = [:]
        for r in rows { table[r.function, default: [:]][r.optimizer, default: []].append(r.hypervolume) }
        for path in peer {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("cannot read peer rows in \(path)") }
            for line in text.split(separator: "\n") {
                guard let r = try? JSONDecoder().decode(Row.self, from: Data(line.utf8)) else { continue }
                table[r.function, default: [:]][r.optimizer, default: []].append(r.hypervolume)
            }
        }
        let optimizers = Set(table.values.flatMap(\.keys)).sorted()
        var err = FileHandle.standardError
        let optimal = MultiObjectiveFunction.suite.map { "\($0.name) \(String(format: "%.4f", $0.optimalHypervolume(reference: referencePoint!)))" }
        print("median hypervolume, reference (\(referencePoint!.0), \(referencePoint!.1)); the true fronts': \(optimal.joined(separator: ", "))", to: &err)
        print(([""] + optimizers).map { $0.padding(toLength: 22, withPad: " ", startingAt: 0) }.joined(), to: &err)
        for function in table.keys.sorted() {
            let cells = optimizers.map { o in table[function]?[o].map { String(format: "%.4f", BenchmarkSupport.median($0)) } ?? "-" }
            print(([function] + cells).map { $0.padding(toLength: 22, withPad: " ", startingAt: 0) }.joined(), to: &err)
        }
    }
}
