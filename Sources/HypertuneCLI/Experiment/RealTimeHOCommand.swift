import ArgumentParser
import Autograd
import Datasets
import Foundation
import Hypertune
import HypertuneCharts
import HypertuneExperiments

/// `hypertune experiment rtho`: the paper's real-time hyperparameter optimisation table
/// (Vanilla, RS, RTHO, RTHO-NT), on Fashion-MNIST.
struct RealTimeHOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtho",
        abstract: "Tune learning rate, momentum and an auxiliary-task weight while training runs (RTHO), against random search.",
        discussion: """
            An MLP on Fashion-MNIST with a secondary head regressing a class embedding (loss CE + ρ·MSE), \
            trained by heavy-ball SGD. Vanilla: η = 0.075, μ = 0.5, ρ = 0. RS: ρ ~ U(0, 4), η ~ Exp(0.1), \
            μ ~ U(0, 1), for twice RTHO's time. RTHO: from Vanilla's η, μ and ρ = 1.6, λ updated by Adam \
            on forward-mode hypergradients every Δ steps of one training run. RTHO-NT: from η = μ = ρ = 0.
            """)





    @Option(help: "Seeds, comma-separated (each its own split, initialisation and minibatch order).")
    var seeds: String = "0,1,2"

    @Option(help: "Epochs of each training run.")
    var epochs: Int = 5

    @Option(help: "Hidden layer widths, comma-separated.")
    var hidden: String = "256,256"

    @Option(help: "Minibatch size.")
    var batchSize: Int = 128

    @Option(help: "Δ: training steps between hyper-updates.")
    var updateInterval: Int = RealTimeHOConfiguration().updateInterval

    @Option(help: "Adam's step on (η, μ, ρ), before the step scales.")
    var hyperLearningRate: Double = RealTimeHOConfiguration().hyperLearningRate

    @Option(help: "Step scales of η, μ and ρ, comma-separated (per-hyperparameter learning rates: Adam's step times each).")
    var stepScales: String = "1,1,1"

    @Option(help: "Examples of each hyper-update's validation minibatch.")
    var validationBatch: Int = 1000

    @Option(help: "Random search's time as a multiple of RTHO's.")
    var searchTimeFactor: Double = 2

    @Option(help: "Use only this many training examples (default: all but the validation set).")
    var trainCount: Int?

    @Option(help: "Name prefix of the studies that record the run: <prefix>-rtho (RTHO's hyper-updates) and <prefix>-rs (random search); default rtho-<date-time>.")
    var study: String?

    @OptionGroup var storage: StorageOption

    @OptionGroup var experimentOptions: ExperimentOptions


    var parsedSeeds: [UInt64] { seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) } }
    var parsedHidden: [Int] { hidden.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !parsedSeeds.isEmpty, parsedSeeds.count == seeds.split(separator: ",").count else { throw ValidationError("--seeds: comma-separated non-negative integers, got '\(seeds)'") }
        guard !parsedHidden.isEmpty, parsedHidden.allSatisfy({ $0 > 0 }), parsedHidden.count == hidden.split(separator: ",").count else {
            throw ValidationError("--hidden: comma-separated positive widths, got '\(hidden)'")
        }
        guard epochs > 0, batchSize > 0, updateInterval > 0, validationBatch > 0, hyperLearningRate > 0, searchTimeFactor > 0 else {
            throw ValidationError("--epochs, --batch-size, --update-interval, --validation-batch, --hyper-learning-rate and --search-time-factor must be positive")
        }
        if let trainCount, trainCount < batchSize { throw ValidationError("--train-count must be at least the batch size") }
    }

    func run() async throws {
        experimentOptions.applyThreads()
        var c = RealTimeHOConfiguration()
        c.hidden = parsedHidden
        c.epochs = epochs
        c.batchSize = batchSize
        c.updateInterval = updateInterval
        c.hyperLearningRate = hyperLearningRate
        let scales = stepScales.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard scales.count == 3, scales.allSatisfy({ $0 > 0 }) else { throw ValidationError("--step-scales: three positive numbers (η, μ, ρ), got '\(stepScales)'") }
        c.stepScales = ["eta": scales[0], "mu": scales[1], "rho": scales[2]]
        c.validationBatchSize = validationBatch
        c.randomSearchTimeFactor = searchTimeFactor
        c.trainCount = trainCount
        let data: RealTimeHOData
        do {
            data = try RealTimeHOData.load(experimentOptions.family, directory: experimentOptions.dataDir, configuration: c, seed: 0)
        } catch {
            throw CLIError(error.description)
        }
        let prefix = study ?? ExperimentOptions.timestampedName("rtho")
        let store = try await storage.open()
        for name in ["\(prefix)-rtho", "\(prefix)-rs"] where try await store.study(named: name) != nil {
            throw CLIError("a study named '\(name)' already exists in \(storage.url): choose another --study, or `hypertune delete \(name)`")
        }
        var err = FileHandle.standardError
        let perEpoch = data.train.count / c.batchSize
        print("Real-time HO on \(data.description)", to: &err)
        print("MLP 784–\(c.hidden.map(String.init).joined(separator: "–"))–10 + a \(c.embeddingDimensions)-d class-embedding head; \(c.epochs) epochs × \(perEpoch) steps of \(c.batchSize); Δ = \(c.updateInterval), Adam \(c.hyperLearningRate) × (\(c.stepScales["eta"]!), \(c.stepScales["mu"]!), \(c.stepScales["rho"]!)) on (η, μ, ρ); seeds \(parsedSeeds)", to: &err)

        // Hyper-updates reach the study through a stream while the experiment computes.
        let recording = try await Study.create(name: "\(prefix)-rtho", storage: store, direction: .minimize, sampler: RandomSampler(), faultTolerance: .none)
        let (events, sink) = AsyncStream.makeStream(of: RealTimeHOExperiment.Event.self)
        let recorder = Task {
            for await event in events {
                switch event {
                case let .update(method, seed, index, step, of, loss, norm, l):
                    try await HypergradientRecording.record(
                        iteration: index, run: "\(method) seed \(seed)", outerLoss: loss, hypergradientNorm: norm,
                        lambda: ["eta": .scalar(l.eta), "mu": .scalar(l.mu), "rho": .scalar(l.rho)], attributes: ["step": .number(Double(step))],
                        in: recording)
                    let line = String(format: "\r%@ seed %llu  step %d/%d  validation loss %.4f  η %.4f  μ %.3f  ρ %.3f   ", method, seed, step, of, loss, l.eta, l.mu, l.rho)
                    FileHandle.standardError.write(Data(line.utf8))
                case let .searched(seed, trial, l, accuracy, elapsed, budget):
                    let line = String(format: "\rRS seed %llu  trial %d  η %.4f  μ %.3f  ρ %.3f  validation accuracy %.4f  %.0f/%.0f s   ", seed, trial, l.eta, l.mu, l.rho, accuracy, elapsed, budget)
                    FileHandle.standardError.write(Data(line.utf8))
                case let .finished(run):
                    let line = String(format: "\r\u{1B}[2K%@ seed %llu: test accuracy %.2f%% (validation %.2f%%) in %.1f s%@\n", run.method, run.seed, 100 * run.accuracy,
                                      100 * run.validation_accuracy, run.seconds, run.trials.map { ", \($0) configurations" } ?? "")
                    FileHandle.standardError.write(Data(line.utf8))
                }
            }
        }
        let experiment = RealTimeHOExperiment(configuration: c)
        let seeds = parsedSeeds
        let result: RealTimeHOResult
        do {
            result = try await experiment.run(data, seeds: seeds, randomSearch: { seed in
                try await Study.create(name: "\(prefix)-rs", storage: store, direction: .maximize, sampler: RandomSampler(seed: seed), faultTolerance: .none)
            }, onEvent: { sink.yield($0) })
        } catch {
            sink.finish()
            throw error
        }
        sink.finish()
        try await recorder.value
        try BenchmarkSupport.writeJSON(result, to: experimentOptions.json)
        let svgPath = experimentOptions.svgPath
        let history = StudyHistory(directions: [.minimize], trials: try await recording.trials())
        do {
            var options = StudyChartOptions()
            options.width = 1100
            options.height = 760
            try StudyCharts.render(.hypergradient, history: history, studyName: "\(prefix)-rtho", options: options).write(toFile: svgPath, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError("cannot write the chart to \(svgPath): \(error)")
        }
        print(RealTimeHOReport.table(result))
        print("JSON: \(experimentOptions.json)   chart: \(svgPath)   studies '\(prefix)-rtho' (hyper-updates) and '\(prefix)-rs' (random search) in \(storage.url)")
    }
}
