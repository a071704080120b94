import Foundation
import Hypertune
import HypertuneCharts
import Testing

/// Every chart of a realistic study: TPE on a training-like objective with a log-scale learning
/// rate, a categorical optimizer whose choice opens a conditional branch, an integer, and a
/// median pruner stopping curves early; plus a hypergradient run of two budgets. The charts must
/// be well-formed; with `HYPERTUNE_CHART_GALLERY=/some/dir` in the environment they are also
/// written there, to be looked at.
@Suite("Chart gallery")
struct GalleryTests {
    static let directory = ProcessInfo.processInfo.environment["HYPERTUNE_CHART_GALLERY"]

    /// A study of 120 trials with reports at 12 steps.
    static func trainingStudy() async throws -> StudyHistory {
        let study = try await Study.create(name: "resnet-cifar", direction: .minimize, sampler: TPESampler(seed: 3),
                                           pruner: MedianPruner(startupTrials: 8, warmupSteps: 3))
        try await study.optimize(trials: 120) { trial in
            let lr = try await trial.suggestFloat("learning_rate", 1e-5, 1, log: true)
            let optimizer = try await trial.suggestCategorical("optimizer", ["sgd", "adam", "rmsprop"])
            let layers = try await trial.suggestInt("layers", 1, 8)
            let dropout = try await trial.suggestFloat("dropout", 0, 0.5, step: 0.05)
            var penalty = 0.0
            switch optimizer {
            case "sgd":
                let momentum = try await trial.suggestFloat("momentum", 0, 0.99)
                penalty = 0.3 * (momentum - 0.9) * (momentum - 0.9) + 0.05
            case "adam":
                let beta1 = try await trial.suggestFloat("beta1", 0.8, 0.999)
                penalty = 4 * (beta1 - 0.9) * (beta1 - 0.9)
            default:
                penalty = 0.12
            }
            let u = log10(lr) + 2.7
            let final = 0.08 + 0.05 * u * u + penalty + 0.02 * Double(abs(layers - 5)) + 0.3 * (dropout - 0.2) * (dropout - 0.2)
                + 0.01 * sin(Double(trial.number))
            let start = 2.3
            for step in 1...12 {
                let value = final + (start - final) * exp(-Double(step) / (2 + 3 * abs(u)))
                try await trial.report(value, step: step)
                if try await trial.shouldPrune() { throw TrialPruned() }
            }
            return final
        }
        return try await study.history()
    }

    /// Two hyper-cleaning-like runs: outer loss, norm, a scalar learning rate and per-example
    /// weights summarised.
    static func hypergradientStudy() async throws -> StudyHistory {
        let study = try await Study.create(name: "hyper-cleaning", direction: .minimize)
        for (run, budget) in [("T=50", 50.0), ("T=200", 200.0)] {
            for i in 0..<80 {
                let t = Double(i)
                let loss = 0.35 + 0.9 * exp(-t / (budget / 8)) + 0.01 * sin(t)
                let lr = 0.1 * exp(-t / (budget / 2)) + 0.02
                let spread = min(0.5, t / budget)
                try await HypergradientRecording.record(
                    iteration: i, run: run, outerLoss: loss, hypergradientNorm: 3 * exp(-t / (budget / 5)) + 0.01,
                    lambda: ["learning_rate": .scalar(lr), "example_weights": .summary(mean: 0.5 + 0.3 * spread, min: 0.5 - spread, max: 0.5 + 0.6 * spread),
                             "weight_decay": .scalar(1e-4 * (1 + t / budget))],
                    in: study)
            }
        }
        return try await study.history()
    }

    @Test("every chart of a realistic study is well-formed (and written out when asked)")
    func gallery() async throws {
        let training = try await Self.trainingStudy()
        #expect(training.trials.contains { $0.state == .pruned }, "the pruner should stop some trials")
        let hypergradient = try await Self.hypergradientStudy()
        for chart in StudyChart.allCases {
            let history = chart == .hypergradient ? hypergradient : training
            let name = chart == .hypergradient ? "hyper-cleaning" : "resnet-cifar"
            let options = StudyChartOptions(contourParameters: chart == .contour ? ("learning_rate", "dropout") : nil)
            let svg = try StudyCharts.render(chart, history: history, studyName: name, options: options)
            let parsed = ParsedSVG(svg)
            #expect(parsed.wellFormed, "\(chart): \(parsed.parseError ?? "")")
            if let directory = Self.directory {
                try svg.write(toFile: "\(directory)/\(chart.rawValue).svg", atomically: true, encoding: .utf8)
            }
        }
    }
}
