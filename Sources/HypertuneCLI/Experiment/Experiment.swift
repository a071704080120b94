import ArgumentParser
import Autograd
import Datasets
import Foundation
import Hypertune
import HypertuneExperiments

/// `hypertune experiment …`: reproductions of the paper's experiments.
struct Experiment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reproduce the experiments of Franceschi et al. (2017).",
        subcommands: [HyperCleaningCommand.self, RealTimeHOCommand.self])
}

/// `hypertune experiment hyper-cleaning`: the data hyper-cleaning table.
struct HyperCleaningCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hyper-cleaning",
        abstract: "Learn one weight per training example to find corrupted labels (data hyper-cleaning).",
        discussion: """
            5000 training examples with 2500 labels replaced by a random other class, 5000 clean \
            validation examples, the test set; softmax regression; REVERSE-HG on the 5000 weights, \
            Adam steps projected onto {0 ≤ λ ≤ 1, Σλ ≤ R}; final models trained on train ∪ validation.
            """)





    @Option(help: "Budgets R, comma-separated.")
    var budgets: String = "1000,1500,2000,2500"

    @Option(help: "Hyper-iterations per budget.")
    var hyperIterations: Int = 100

    @Option(help: "Inner gradient-descent steps T.")
    var innerSteps: Int = 100

    @Option(help: "Steps of the final models.")
    var finalSteps: Int = 1000

    @Option(help: "Seed of the split and the label corruption.")
    var seed: UInt64 = 0


    @Option(help: "Name of the study that records the run (one trial per hyper-iteration; a new study, default hyper-cleaning-<date-time>).")
    var study: String?

    @OptionGroup var storage: StorageOption

    @OptionGroup var experimentOptions: ExperimentOptions

    @Option(help: "Write the study's trials as CSV to this file (default: the JSON path with .trials.csv).")
    var trials: String?

    func validate() throws {
        guard let values = parsedBudgets, !values.isEmpty, values.allSatisfy({ $0 > 0 && $0 <= 5000 }) else {
            throw ValidationError("--budgets must be comma-separated integers in 1…5000, got \(budgets)")
        }
        guard hyperIterations > 0, innerSteps > 0, finalSteps > 0 else {
            throw ValidationError("--hyper-iterations, --inner-steps and --final-steps must be positive")
        }
    }

    var parsedBudgets: [Int]? {
        let parts = budgets.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return parts.contains(where: { $0 == nil }) ? nil : parts.compactMap { $0 }
    }

    func run() async throws {
        experimentOptions.applyThreads()
        var err = FileHandle.standardError
        let data: HyperCleaningData
        do {
            data = try HyperCleaningData.load(experimentOptions.family, directory: experimentOptions.dataDir, seed: seed)
        } catch {
            throw CLIError(error.description)
        }
        var configuration = HyperCleaningConfiguration()
        configuration.budgets = parsedBudgets!
        configuration.hyperIterations = hyperIterations
        configuration.innerSteps = innerSteps
        configuration.finalSteps = finalSteps
        configuration.seed = seed
        print("Data hyper-cleaning on \(data.description)", to: &err)
        print(String(format: "T = %d inner steps at %.2f·n/R, %d hyper-iterations of Adam (step %.2f·R/n) per budget, flag λ < %g, final models %d steps at %.2f",
                     innerSteps, configuration.innerLearningRate, hyperIterations, configuration.outerStepFraction,
                     configuration.flagThreshold, finalSteps, configuration.finalLearningRate), to: &err)
        // Hyper-iterations reach the study through a stream while the experiment computes.
        let study = self.study ?? ExperimentOptions.timestampedName("hyper-cleaning")
        let store = try await storage.open()
        if try await store.study(named: study) != nil {
            throw CLIError("a study named '\(study)' already exists in \(storage.url): choose another --study, or `hypertune delete \(study)`")
        }
        let recording = try await HyperIterationStudy.create(name: study, storage: store)
        let (iterations, sink) = AsyncStream.makeStream(of: (budget: Int, record: HyperCleaningResult.Iteration).self)
        let recorder = Task {
            for await (budget, record) in iterations { try await HyperIterationStudy.record(record, budget: budget, in: recording) }
        }
        let experiment = HyperCleaningExperiment(configuration: configuration)
        let computation = Task.detached {
            defer { sink.finish() }
            return try experiment.run(data) { event in
                switch event {
                case let .hyperIteration(budget, total, record, score):
                    sink.yield((budget, record))
                    let line = String(format: "\rR=%d  hyper-iteration %d/%d  validation loss %.4f  F1 %.3f  flagged %d   ",
                                      budget, record.iteration, total, record.validation_loss, score.f1, score.flagged)
                    FileHandle.standardError.write(Data(line.utf8))
                    if record.iteration == total { FileHandle.standardError.write(Data("\n".utf8)) }
                case let .finalModel(name):
                    FileHandle.standardError.write(Data("training the final \(name) model\n".utf8))
                }
            }
        }
        let result = try await computation.value
        try await recorder.value
        try BenchmarkSupport.writeJSON(result, to: experimentOptions.json)
        let svgPath = experimentOptions.svgPath
        do {
            try HyperCleaningReport.chart(result).write(toFile: svgPath, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError("cannot write the chart to \(svgPath): \(error.localizedDescription)")
        }
        let trialsPath = trials ?? experimentOptions.besideJSON(".trials.csv")
        let table = try await recording.table()
        do {
            try table.csv.write(toFile: trialsPath, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError("cannot write the trials to \(trialsPath): \(error.localizedDescription)")
        }
        print(HyperCleaningReport.table(result))
        print("JSON: \(experimentOptions.json)   chart: \(svgPath)   study '\(study)' in \(storage.url): \(table.rows.count) trials (also in \(trialsPath))")
    }
}
