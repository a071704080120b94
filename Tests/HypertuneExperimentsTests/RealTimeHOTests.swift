import Autograd
import Datasets
import Foundation
import Hypergradients
import Hypertune
@testable import HypertuneExperiments
import Testing

@Suite("Real-time HO experiment")
struct RealTimeHOTests {
    /// Four classes of 20-pixel "images" whose label depends on the first two pixels.
    static func synthetic(_ n: Int, seed: UInt64) -> ImageClassificationData {
        var g = SeededGenerator(seed: seed)
        let x = Tensor<Float>(randomUniform: [n, 20], generator: &g)
        let labels = x.withUnsafeBufferPointer { p -> [Int] in
            (0..<n).map { (i: Int) -> Int in
                let a = Int(p[i * 20] * 2), b = Int(p[i * 20 + 1] * 2)
                return 2 * a + b
            }
        }
        return ImageClassificationData(images: x, labels: labels, classes: 4)
    }

    static func tiny() -> (RealTimeHOConfiguration, RealTimeHOData) {
        var c = RealTimeHOConfiguration()
        c.hidden = [16]
        c.embeddingDimensions = 2
        c.batchSize = 16
        c.epochs = 2
        c.updateInterval = 5
        c.validationBatchSize = 40
        c.randomSearchTimeFactor = 1.5
        let data = RealTimeHOData(train: synthetic(160, seed: 1), validation: synthetic(80, seed: 2), test: synthetic(100, seed: 3),
                                  embeddingDimensions: 2, description: "synthetic")
        return (c, data)
    }

    @Test("the class embedding keeps the geometry of the class means: with k − 1 components, distances between classes scale by one factor")
    func embedding() {
        let data = Self.synthetic(400, seed: 9)
        let e = RealTimeHOData.classEmbedding(data, dimensions: 3).withUnsafeBufferPointer { Array($0) }
        var means = [[Double]](repeating: [Double](repeating: 0, count: 20), count: 4), counts = [Double](repeating: 0, count: 4)
        data.images.withUnsafeBufferPointer { p in
            for (i, l) in data.labels.enumerated() {
                counts[l] += 1
                for j in 0..<20 { means[l][j] += Double(p[i * 20 + j]) }
            }
        }
        for c in 0..<4 { for j in 0..<20 { means[c][j] /= counts[c] } }
        var ratios: [Double] = []
        for a in 0..<4 { for b in (a + 1)..<4 {
            let de = (0..<3).reduce(0.0) { $0 + pow(Double(e[a * 3 + $1] - e[b * 3 + $1]), 2) }.squareRoot()
            let dm = (0..<20).reduce(0.0) { $0 + pow(means[a][$1] - means[b][$1], 2) }.squareRoot()
            ratios.append(de / dm)
        } }
        #expect(ratios.max()! - ratios.min()! < 1e-3 * ratios.max()!, "\(ratios)")
        // Unit mean squared norm.
        let meanSquare = e.reduce(0) { $0 + Double($1 * $1) } / 4
        #expect(abs(meanSquare - 1) < 1e-5)
    }

    @Test("the hypergradient RTHO follows is the derivative of the validation loss with respect to (η, μ, ρ), as finite differences give it")
    func hypergradient() throws {
        let (c, data) = Self.tiny()
        let experiment = RealTimeHOExperiment(configuration: c)
        let problem = experiment.problem(data, seed: 0)
        let start = RealTimeHOConfiguration.Lambda(eta: 0.1, mu: 0.5, rho: 0.8)
        let validation = data.validation, rows = Array(0..<40)
        let loss: @Sendable ([Tensor<Float>]) -> Tensor<Float> = { w in
            crossEntropy(logits: AuxiliaryTaskNetwork.forward(w, validation.images.gathering(rows)).logits, labels: rows.map { validation.labels[$0] })
        }
        var first: Hyperparameters<Float>?
        let hyper = RealTimeHO(problem: problem, updateInterval: c.updateInterval) { w, _, _ in loss(w) }
        _ = try hyper.run(from: RealTimeHOExperiment.hyperparameters(start), outerOptimizer: OuterOptimizer(.sgd(learningRate: 1e-9))) { update in
            if first == nil { first = update.hypergradient }
        }
        let gradient = try #require(first)
        // f(λ) = loss after Δ steps with λ fixed.
        var shortened = problem
        shortened.steps = c.updateInterval
        func f(_ l: RealTimeHOConfiguration.Lambda) -> Double {
            Double(loss(shortened.weights(of: shortened.train(RealTimeHOExperiment.hyperparameters(l)))).scalar)
        }
        // Central differences at three step sizes, their median: a ReLU kink crossed by one step
        // size throws that one off.
        for name in ["eta", "mu", "rho"] {
            let estimates = [0.002, 0.005, 0.01].map { h -> Double in
                var plus = start, minus = start
                switch name {
                case "eta": plus.eta += h; minus.eta -= h
                case "mu": plus.mu += h; minus.mu -= h
                default: plus.rho += h; minus.rho -= h
                }
                return (f(plus) - f(minus)) / (2 * h)
            }.sorted()
            let numeric = estimates[1], analytic = Double(gradient[name].scalar)
            #expect(abs(numeric - analytic) <= 0.02 * max(abs(numeric), 1e-2), "\(name): forward mode \(analytic), finite differences \(estimates)")
        }
    }

    @Test("the four methods on two seeds: the table's rows, projected trajectories, random search recorded and given its time")
    func protocolOnTinyData() async throws {
        let (c, data) = Self.tiny()
        let storage = InMemoryStorage()
        let events = EventLog()
        let result = try await RealTimeHOExperiment(configuration: c).run(data, seeds: [0, 1], randomSearch: { seed in
            try await Study.create(name: "rs", storage: storage, direction: .maximize, sampler: RandomSampler(seed: seed), faultTolerance: .none)
        }, onEvent: { events.append($0) })
        #expect(result.rows.map(\.method) == ["Vanilla", "RS", "RTHO", "RTHO-NT", "Fixed start"])
        #expect(result.runs.count == 10 && result.seeds == [0, 1])
        for row in result.rows {
            #expect((0...1).contains(row.accuracy) && row.accuracy_std >= 0 && row.seconds > 0)
            #expect(Set(row.final_hyperparameters.keys) == ["eta", "mu", "rho"])
        }
        let vanilla = try #require(result.rows.first { $0.method == "Vanilla" })
        #expect(vanilla.final_hyperparameters == ["eta": 0.075, "mu": 0.5, "rho": 0])
        let updatesPerRun = c.steps(trainCount: data.train.count).total / c.updateInterval
        for run in result.runs where run.method.hasPrefix("RTHO") {
            let trajectory = try #require(run.trajectory)
            #expect(trajectory.count == updatesPerRun)
            #expect(trajectory.allSatisfy { $0["eta"]! >= 0 && $0["rho"]! >= 0 && (0...c.maximumMomentum + 1e-6).contains($0["mu"]!) })
        }
        // RTHO-NT starts from zero: its first update raises the learning rate.
        let nullRun = try #require(result.runs.first { $0.method == "RTHO-NT" })
        #expect(nullRun.trajectory![0]["eta"]! > 0)
        for seed in [UInt64(0), 1] {
            let rs = try #require(result.runs.first { $0.method == "RS" && $0.seed == seed })
            let rtho = try #require(result.runs.first { $0.method == "RTHO" && $0.seed == seed })
            #expect(rs.seconds >= c.randomSearchTimeFactor * rtho.seconds && (rs.trials ?? 0) >= 1)
        }
        let rsTrials = try await storage.trials(studyID: try #require(try await storage.study(named: "rs")).id, states: nil)
        #expect(rsTrials.count == result.runs.compactMap(\.trials).reduce(0, +))
        #expect(rsTrials.allSatisfy { $0.parameters.keys.sorted() == ["eta_quantile", "mu", "rho"] && $0.userAttributes["eta"] != nil })
        #expect(events.updates == 4 * updatesPerRun)
        // The JSON of BENCHMARKS.md §7.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as? [String: Any]
        #expect(json?["benchmark"] as? String == "rtho" && json?["dataset"] as? String == "synthetic")
        let rows = try #require(json?["rows"] as? [[String: Any]])
        #expect(rows.allSatisfy { Set($0.keys).isSuperset(of: ["method", "accuracy", "accuracy_std", "seconds", "final_hyperparameters"]) })
    }
}

/// Counts the events a run reports.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func append(_ event: RealTimeHOExperiment.Event) {
        if case .update = event { lock.withLock { count += 1 } }
    }
    var updates: Int { lock.withLock { count } }
}
