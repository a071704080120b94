import ArgumentParser
import Autograd
import Datasets
import Foundation
import Hypergradients
import RealModule

/// `hypertune bench hypergradients`: BENCHMARKS.md §2 — hypergradients of a validation loss
/// through T = 100 steps of training softmax regression on 5000 examples of 784 features.
///
/// - reverse: REVERSE-HG with respect to one weight per training example (the data
///   hyper-cleaning problem: inner loss `Σ λᵢ CEᵢ / n`, full-batch gradient descent at 0.1);
/// - reverse_checkpointed: the same with √T checkpoints;
/// - forward: FORWARD-HG with respect to (log learning rate, momentum, L2 coefficient) through
///   heavy-ball training on `mean CE + ½ c ‖W‖²` (as the peer's forward-mode benchmark);
/// - train_only: the training runs alone, for the ratios.
struct HypergradientsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypergradients",
        abstract: "Benchmark forward and reverse hypergradients against plain training.")

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "Training steps T.")
    var steps: Int = 100

    @Option(help: "Directory of Fashion-MNIST's IDX files (default: FASHION_MNIST_DIR, then the Debian package's directory); synthetic data of the same shape when absent.")
    var dataDir: String?

    @Flag(help: "Use synthetic data even when Fashion-MNIST is installed.")
    var synthetic = false

    @Option(help: .hidden)
    var memoryProbe: String?

    @Option(help: "Peer result of `hg_jax.py --part timing` to compare against.")
    var peerTiming: String?

    @Option(help: "Peer result of `hg_jax.py --part fwd` to compare against.")
    var peerForward: String?

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
    }

    struct Row: Codable {
        var method: String
        var T: Int
        var n_hyper: Int
        var seconds: Double
        /// Peak resident memory of a process running the case once, counted from after loading the data.
        var peak_rss_mb: Double
        /// The part of it above the resident memory after loading the data.
        var peak_rss_over_data_mb: Double?
        var ratio_to_training: Double?
        var stored_states: Int?
        var state_mb: Double?
        var peer_seconds: Double?
        var ratio_to_peer: Double?
    }

    struct Report: Codable {
        var benchmark = "hypergradients"
        var data: String
        var rows: [Row]
        var checks: [String: Double]
        var env: [String: String]
    }

    func run() throws {
        options.apply()
        // Real data when available (noisy labels for the cleaning problem, clean ones for forward
        // mode, as the peer does); otherwise synthetic data of the same shape.
        var problemData = HypergradientBenchmarkData.synthetic(seed: 0)
        var forwardData = problemData
        if !synthetic {
            do {
                let (data, clean) = try HypergradientBenchmarkData.mnistFamily(.fashionMNIST, directory: dataDir, seed: 0)
                problemData = data
                forwardData = data.withTrainingLabels(clean, description: data.description)
            } catch let error as DatasetError {
                if dataDir != nil { throw CLIError(error.description) }
                FileHandle.standardError.write(Data("Fashion-MNIST not found (\(error.description)); using synthetic data\n".utf8))
            }
        }
        if let memoryProbe {
            // Child process: load the data, note the resident memory, run one case once.
            // The high-water mark restarts here, so loading the data does not count.
            BenchmarkSupport.resetPeakResident()
            let baseline = BenchmarkSupport.residentMegabytes
            try runCase(memoryProbe, problemData: problemData, forwardData: forwardData)
            print("\(baseline) \(BenchmarkSupport.peakResidentMegabytes)")
            return
        }
        let peerTimingResults = try peerTiming.map { try PeerResults.load($0, part: "timing") }
        let peerForwardResults = try peerForward.map { try PeerResults.load($0, part: "fwd") }
        var rows: [Row] = []
        var checks: [String: Double] = [:]
        let T = steps
        let stateMB = Double((784 * 10 + 10) * MemoryLayout<Float>.size) / 1_048_576

        // Data hyper-cleaning problem: one λ per example, gradient descent at 0.1.
        let cleaning = problemData.cleaningProblem(steps: T)
        let lambda = Hyperparameters<Float>(["exampleWeights": Tensor(ones: [problemData.trainCount])])
        let (tTrain, rssTrain, rssTrainOver) = try measure("train_only") { _ = cleaning.train(lambda) }
        rows.append(Row(method: "train_only", T: T, n_hyper: 0, seconds: tTrain, peak_rss_mb: rssTrain, peak_rss_over_data_mb: rssTrainOver,
                        peer_seconds: peerTimingResults?.trainSeconds,
                        ratio_to_peer: peerTimingResults.map { tTrain / $0.trainSeconds }))
        var reverseResult: Hypergradient<Float>? = nil
        let (tReverse, rssReverse, rssReverseOver) = try measure("reverse") { reverseResult = ReverseHG().hypergradient(of: cleaning, at: lambda) }
        rows.append(Row(method: "reverse", T: T, n_hyper: problemData.trainCount, seconds: tReverse, peak_rss_mb: rssReverse, peak_rss_over_data_mb: rssReverseOver,
                        ratio_to_training: tReverse / tTrain, stored_states: reverseResult?.storedStates,
                        state_mb: reverseResult.map { Double($0.storedStates) * stateMB },
                        peer_seconds: peerTimingResults?.hypergradientSeconds,
                        ratio_to_peer: peerTimingResults.map { tReverse / $0.hypergradientSeconds }))
        let interval = max(1, Int(Double(T).squareRoot().rounded()))
        var checkpointed: Hypergradient<Float>? = nil
        let (tCheck, rssCheck, rssCheckOver) = try measure("reverse_checkpointed") { checkpointed = ReverseHG(storage: .checkpoints(every: interval)).hypergradient(of: cleaning, at: lambda) }
        rows.append(Row(method: "reverse_checkpointed", T: T, n_hyper: problemData.trainCount, seconds: tCheck, peak_rss_mb: rssCheck, peak_rss_over_data_mb: rssCheckOver,
                        ratio_to_training: tCheck / tTrain, stored_states: checkpointed?.storedStates,
                        state_mb: checkpointed.map { Double($0.storedStates) * stateMB }))
        var graphs: Hypergradient<Float>? = nil
        let (tGraphs, rssGraphs, rssGraphsOver) = try measure("reverse_step_graphs") { graphs = ReverseHG(storage: .stepGraphs).hypergradient(of: cleaning, at: lambda) }
        rows.append(Row(method: "reverse_step_graphs", T: T, n_hyper: problemData.trainCount, seconds: tGraphs, peak_rss_mb: rssGraphs, peak_rss_over_data_mb: rssGraphsOver,
                        ratio_to_training: tGraphs / tTrain, stored_states: graphs?.storedStates,
                        peer_seconds: peerTimingResults?.hypergradientSeconds,
                        ratio_to_peer: peerTimingResults.map { tGraphs / $0.hypergradientSeconds }))
        if let a = reverseResult, let b = checkpointed, let c = graphs {
            checks["checkpointed_equals_full"] = a.gradient.values[0].scalars == b.gradient.values[0].scalars ? 1 : 0
            checks["step_graphs_equals_full"] = a.gradient.values[0].scalars == c.gradient.values[0].scalars ? 1 : 0
        }
        checks["state_mb"] = stateMB
        checks["model_full_mb"] = Double(T + 1) * stateMB
        checks["model_checkpointed_mb"] = 2 * Double(T).squareRoot() * stateMB

        // Forward mode: (log η, μ, c) through heavy-ball training.
        let heavyBall = forwardData.heavyBallProblem(steps: T)
        let h0 = Hyperparameters<Float>(["logLearningRate": Tensor(Float.log(0.1)), "momentum": Tensor(0.5), "l2": Tensor(1e-3)])
        let (tTrainHB, rssTrainHB, rssTrainHBOver) = try measure("train_only_heavy_ball") { _ = heavyBall.train(h0) }
        rows.append(Row(method: "train_only_heavy_ball", T: T, n_hyper: 0, seconds: tTrainHB, peak_rss_mb: rssTrainHB, peak_rss_over_data_mb: rssTrainHBOver))
        var forward: Hypergradient<Float>? = nil
        let (tForward, rssForward, rssForwardOver) = try measure("forward") { forward = ForwardHG().hypergradient(of: heavyBall, at: h0) }
        rows.append(Row(method: "forward", T: T, n_hyper: 3, seconds: tForward, peak_rss_mb: rssForward, peak_rss_over_data_mb: rssForwardOver,
                        ratio_to_training: tForward / tTrainHB, stored_states: forward?.storedStates,
                        peer_seconds: peerForwardResults?.forwardSeconds,
                        ratio_to_peer: peerForwardResults.map { tForward / $0.forwardSeconds }))
        var reverseHB: Hypergradient<Float>? = nil
        let (tReverseHB, rssReverseHB, rssReverseHBOver) = try measure("reverse_heavy_ball") { reverseHB = ReverseHG().hypergradient(of: heavyBall, at: h0) }
        rows.append(Row(method: "reverse_heavy_ball", T: T, n_hyper: 3, seconds: tReverseHB, peak_rss_mb: rssReverseHB, peak_rss_over_data_mb: rssReverseHBOver,
                        ratio_to_training: tReverseHB / tTrainHB, stored_states: reverseHB?.storedStates,
                        peer_seconds: peerForwardResults?.reverseSeconds,
                        ratio_to_peer: peerForwardResults.map { tReverseHB / $0.reverseSeconds }))
        if let f = forward, let r = reverseHB {
            let a = f.gradient.values.map(\.scalar), b = r.gradient.values.map(\.scalar)
            let num = zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let den = b.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            checks["forward_vs_reverse_relative_error"] = Double(num / den)
            for (name, v) in zip(f.gradient.names, a) { checks["hypergradient_\(name)"] = Double(v) }
        }
        let report = Report(data: problemData.description, rows: rows, checks: checks,
                            env: BenchmarkSupport.environment(threads: ComputeThreads.count))
        try BenchmarkSupport.writeJSON(report, to: options.json)
        var err = FileHandle.standardError
        func cell(_ v: Double?, _ format: String) -> String { v.map { String(format: format, $0) } ?? "-" }
        print("method                   seconds  ×training  peak RSS MB (over data)  stored  peer s  ×peer", to: &err)
        for r in rows {
            let columns = [
                r.method.padding(toLength: 22, withPad: " ", startingAt: 0), String(format: "%9.4f", r.seconds),
                cell(r.ratio_to_training, "%9.2f").leftPadded(9), String(format: "%11.1f", r.peak_rss_mb), cell(r.peak_rss_over_data_mb, "(%6.1f)").leftPadded(11),
                (r.stored_states.map(String.init) ?? "-").leftPadded(6), cell(r.peer_seconds, "%6.3f").leftPadded(6),
                cell(r.ratio_to_peer, "%5.2f").leftPadded(5),
            ]
            print(columns.joined(separator: "  "), to: &err)
        }
        for (k, v) in checks.sorted(by: { $0.key < $1.key }) { print("\(k): \(v)", to: &err) }
    }

    /// Median seconds over the repetitions (after a warm-up run), and the peak resident memory
    /// (MiB, in total and above the data) of a fresh process running the case once.
    func measure(_ name: String, _ body: () -> Void) throws -> (Double, Double, Double) {
        body()  // warm-up
        let seconds = BenchmarkSupport.medianSeconds(repetitions: options.repetitions, warmup: 0, body)
        var arguments = ["bench", "hypergradients", "--memory-probe", name, "--steps", String(steps), "--json", "/dev/null"]
        if let dataDir { arguments += ["--data-dir", dataDir] }
        if synthetic { arguments.append("--synthetic") }
        if let threads = options.threads { arguments += ["--threads", String(threads)] }
        let fields = try BenchmarkSupport.runSelf(arguments).split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard fields.count == 2 else { throw CLIError("memory probe for \(name) printed no figures") }
        return (seconds, fields[1], fields[1] - fields[0])
    }

    /// Runs one case once (in the memory-probe process).
    func runCase(_ name: String, problemData: HypergradientBenchmarkData, forwardData: HypergradientBenchmarkData) throws {
        let cleaning = problemData.cleaningProblem(steps: steps)
        let lambda = Hyperparameters<Float>(["exampleWeights": Tensor(ones: [problemData.trainCount])])
        let heavyBall = forwardData.heavyBallProblem(steps: steps)
        let h0 = Hyperparameters<Float>(["logLearningRate": Tensor(Float.log(0.1)), "momentum": Tensor(0.5), "l2": Tensor(1e-3)])
        let interval = max(1, Int(Double(steps).squareRoot().rounded()))
        switch name {
        case "train_only": _ = cleaning.train(lambda)
        case "reverse": _ = ReverseHG().hypergradient(of: cleaning, at: lambda)
        case "reverse_checkpointed": _ = ReverseHG(storage: .checkpoints(every: interval)).hypergradient(of: cleaning, at: lambda)
        case "reverse_step_graphs": _ = ReverseHG(storage: .stepGraphs).hypergradient(of: cleaning, at: lambda)
        case "train_only_heavy_ball": _ = heavyBall.train(h0)
        case "forward": _ = ForwardHG().hypergradient(of: heavyBall, at: h0)
        case "reverse_heavy_ball": _ = ReverseHG().hypergradient(of: heavyBall, at: h0)
        default: throw CLIError("unknown case \(name)")
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// The figures read from a peer's result file.
struct PeerResults {
    var trainSeconds = 0.0, hypergradientSeconds = 0.0, forwardSeconds = 0.0, reverseSeconds = 0.0

    static func load(_ path: String, part: String) throws -> PeerResults {
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let results = object["results"] as? [String: Any]
        else { throw CLIError("\(path) is not a peer result file with a \"results\" object") }
        var p = PeerResults()
        func number(_ keys: [String]) throws -> Double {
            var v: Any? = results
            for k in keys { v = (v as? [String: Any])?[k] }
            guard let d = v as? Double else {
                throw CLIError("\(path): no number at results.\(keys.joined(separator: ".")) (is it the '\(part)' part?)")
            }
            return d
        }
        switch part {
        case "timing":
            p.trainSeconds = try number(["forward_only_median_s"])
            p.hypergradientSeconds = try number(["hypergrad_median_s"])
        default:
            p.forwardSeconds = try number(["jvp_x3_jacfwd", "median_s"])
            p.reverseSeconds = try number(["grad_reverse_timing", "median_s"])
        }
        return p
    }
}
