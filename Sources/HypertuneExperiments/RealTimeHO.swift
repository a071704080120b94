import Autograd
import Datasets
import Foundation
import Hypergradients
import Hypertune

/// The real-time hyperparameter optimisation experiment of Franceschi et al. (2017, §5.2, their
/// second table), on Fashion-MNIST instead of TIMIT (which is not freely available), with the same
/// structure:
///
/// - a ReLU network (784–256–256–10 by default) trained by heavy-ball momentum SGD on
///   minibatches, `v ← μv + ∇J`, `w ← w − ηv`;
/// - a secondary target, as the paper's phonetic embedding of each phone: a fixed
///   low-dimensional embedding of each example's class (the leading principal components of the
///   class-mean training images), regressed from the last hidden layer by an extra linear head;
///   training loss `J = CE + ρ·MSE`;
/// - four methods, each a row of the table: **Vanilla** (ρ = 0, η = 0.075, μ = 0.5), **RS**
///   (random search over ρ ~ U(0, 4), η ~ Exponential(scale 0.1), μ ~ U(0, 1), each configuration
///   trained fully and chosen on validation, for at least twice RTHO's time), **RTHO** (from
///   Vanilla's η and μ and ρ = 1.6, forward-mode hypergradients of the validation loss with
///   respect to (η, μ, ρ), λ updated by Adam every Δ steps during one training run, projected
///   onto η ≥ 0, 0 ≤ μ ≤ μ_max, ρ ≥ 0) and **RTHO-NT** (the same from η = μ = ρ = 0).
///
/// Accuracies are on the official test set; the validation set (drawn from the training set)
/// is used only by the hyperparameter methods.
public struct RealTimeHOConfiguration: Codable, Sendable, Equatable {
    /// Learning rate, momentum and secondary-task weight.
    public struct Lambda: Codable, Sendable, Equatable {
        public var eta: Double, mu: Double, rho: Double
        public init(eta: Double, mu: Double, rho: Double) {
            self.eta = eta
            self.mu = mu
            self.rho = rho
        }
    }

    public var hidden = [256, 256]
    /// Dimensions of the class embedding regressed by the secondary head.
    public var embeddingDimensions = 4
    public var batchSize = 128
    /// Epochs of every training run (RTHO's single run included).
    public var epochs = 5
    /// Examples moved from the training set to the validation set.
    public var validationCount = 5000
    /// The validation minibatch of each hyper-update.
    public var validationBatchSize = 1000
    /// Δ: training steps between hyper-updates.
    public var updateInterval = 10
    /// Adam's step on λ, multiplied for each hyperparameter by its scale (``stepScales``).
    public var hyperLearningRate = 0.005
    /// Per-hyperparameter step multipliers (1: Adam's plain step for all three).
    public var stepScales: [String: Double] = ["eta": 1, "mu": 1, "rho": 1]
    /// The projection's upper bound on μ.
    public var maximumMomentum = 0.99
    public var vanilla = Lambda(eta: 0.075, mu: 0.5, rho: 0)
    public var rthoStart = Lambda(eta: 0.075, mu: 0.5, rho: 1.6)
    public var nullTeacherStart = Lambda(eta: 0, mu: 0, rho: 0)
    /// Random search runs until it has used this many times RTHO's time (of the same seed).
    public var randomSearchTimeFactor = 2.0
    /// Training examples used (nil: all that are not validation); for quick runs and tests.
    public var trainCount: Int?

    public init() {}

    /// Steps per epoch and in all.
    func steps(trainCount: Int) -> (perEpoch: Int, total: Int) {
        let perEpoch = trainCount / batchSize
        return (perEpoch, perEpoch * epochs)
    }
}

/// The data of the experiment: training, validation and test sets, and the class embedding the
/// secondary head regresses.
public struct RealTimeHOData: Sendable {
    public var train: ImageClassificationData
    public var validation: ImageClassificationData
    public var test: ImageClassificationData
    /// `[classes, d]`: the embedding of each class.
    public var embedding: Tensor<Float>
    public var description: String

    /// The sets with their pixels standardised by the training set's mean and standard deviation
    /// (one pair for all pixels), which keeps a learning rate such as Vanilla's 0.075 stable.
    public init(train: ImageClassificationData, validation: ImageClassificationData, test: ImageClassificationData,
                embeddingDimensions: Int, description: String) {
        let pixels = train.images.withUnsafeBufferPointer { Array($0) }
        let mean = pixels.reduce(0.0) { $0 + Double($1) } / Double(max(1, pixels.count))
        let variance = pixels.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(max(1, pixels.count))
        let scale = Float(1 / max(variance.squareRoot(), 1e-12)), shift = Float(mean)
        func standardised(_ d: ImageClassificationData) -> ImageClassificationData {
            var copy = d
            copy.images = (d.images - shift) * scale
            return copy
        }
        self.train = standardised(train)
        self.validation = standardised(validation)
        self.test = standardised(test)
        self.embedding = Self.classEmbedding(train, dimensions: embeddingDimensions)
        self.description = description
    }

    /// Fashion-MNIST (or another MNIST-family set): `validationCount` examples of the training set
    /// (a seeded permutation) for validation, the rest for training (or `trainCount` of them), the
    /// official test set for accuracy.
    public static func load(_ family: MNISTFamily, directory: String?, configuration c: RealTimeHOConfiguration, seed: UInt64) throws(DatasetError) -> RealTimeHOData {
        let dir = try family.directory(explicit: directory)
        let (all, test) = try family.load(from: dir)
        let trainCount = min(c.trainCount ?? (all.count - c.validationCount), all.count - c.validationCount)
        let parts = all.split(sizes: [c.validationCount, trainCount], seed: seed)
        return RealTimeHOData(
            train: parts[1], validation: parts[0], test: test, embeddingDimensions: c.embeddingDimensions,
            description: "\(family.rawValue) (\(dir.path)): \(trainCount) train, \(c.validationCount) validation, \(test.count) test")
    }

    /// Each class embedded by the leading `dimensions` principal components of the class-mean
    /// images: with `M` the centred `classes × features` matrix of class means and
    /// `M Mᵀ = U Λ Uᵀ`, class c's embedding is `(U √Λ)_c` on the top components, scaled so that
    /// the embeddings have unit mean squared norm (so ρ weighs a target of a fixed size).
    public static func classEmbedding(_ data: ImageClassificationData, dimensions: Int) -> Tensor<Float> {
        let k = data.classes, f = data.images.shape[1]
        precondition(dimensions >= 1 && dimensions <= k - 1, "classEmbedding: dimensions must be in 1…\(k - 1), got \(dimensions)")
        var means = [Double](repeating: 0, count: k * f), counts = [Double](repeating: 0, count: k)
        data.images.withUnsafeBufferPointer { x in
            for (i, label) in data.labels.enumerated() {
                counts[label] += 1
                for j in 0..<f { means[label * f + j] += Double(x[i * f + j]) }
            }
        }
        for c in 0..<k where counts[c] > 0 { for j in 0..<f { means[c * f + j] /= counts[c] } }
        for j in 0..<f {
            let centre = (0..<k).reduce(0) { $0 + means[$1 * f + j] } / Double(k)
            for c in 0..<k { means[c * f + j] -= centre }
        }
        var gram = [Double](repeating: 0, count: k * k)
        for a in 0..<k { for b in a..<k {
            var s = 0.0
            for j in 0..<f { s += means[a * f + j] * means[b * f + j] }
            gram[a * k + b] = s
            gram[b * k + a] = s
        } }
        let (values, vectors) = SymmetricEigen.decompose(gram, n: k)
        // Eigenvalues ascend: the leading components are the last columns.
        var embedding = [Float](repeating: 0, count: k * dimensions)
        for d in 0..<dimensions {
            let column = k - 1 - d, scale = values[column].squareRoot()
            for c in 0..<k { embedding[c * dimensions + d] = Float(vectors[c * k + column] * scale) }
        }
        let meanSquare = embedding.reduce(0) { $0 + $1 * $1 } / Float(k)
        let normalised = embedding.map { $0 / max(meanSquare.squareRoot(), 1e-12) }
        return Tensor(shape: [k, dimensions], scalars: normalised)
    }
}

/// The network and its losses: `[W₁, b₁, …, W_L, b_L, W_out, b_out, H, c]` — ReLU layers, the
/// class logits, and the secondary head `(h_L/√n_L) H + c` from the last hidden layer.
///
/// The head reads the hidden layer scaled by `1/√n_L` (with `H` drawn from N(0, 1)): the squared
/// error's curvature in `H` is then about `2‖h‖²/(n_L d) ≈ 2/d` instead of `2‖h‖²/d`, which at
/// n_L = 256 made any ρ > 0 diverge at Vanilla's learning rate.
enum AuxiliaryTaskNetwork {
    static func initialWeights(inputs: Int, hidden: [Int], classes: Int, embedding: Int, seed: UInt64) -> [Tensor<Float>] {
        var generator = SeededGenerator(seed: seed)
        var weights: [Tensor<Float>] = []
        var fanIn = inputs
        for width in hidden {
            weights += [Initializer.heNormal.weight(fanIn: fanIn, fanOut: width, generator: &generator), Tensor(zeros: [width])]
            fanIn = width
        }
        weights += [Initializer.xavierUniform.weight(fanIn: fanIn, fanOut: classes, generator: &generator), Tensor(zeros: [classes])]
        weights += [Tensor(randomNormal: [fanIn, embedding], generator: &generator), Tensor(zeros: [embedding])]
        return weights
    }

    /// The logits and the secondary head's prediction for the rows of `x`.
    static func forward(_ w: [Tensor<Float>], _ x: Tensor<Float>) -> (logits: Tensor<Float>, embedding: Tensor<Float>) {
        let layers = (w.count - 4) / 2
        var h = x
        for l in 0..<layers { h = relu(matmul(h, w[2 * l]) + w[2 * l + 1]) }
        let scale = Float(1 / Double(h.shape[1]).squareRoot())
        return (matmul(h, w[2 * layers]) + w[2 * layers + 1], scale * matmul(h, w[2 * layers + 2]) + w[2 * layers + 3])
    }

    /// `CE + ρ·MSE` on a batch (ρ from λ; 0 without it).
    static func trainingLoss(_ w: [Tensor<Float>], rho: Tensor<Float>?, x: Tensor<Float>, labels: [Int], targets: Tensor<Float>) -> Tensor<Float> {
        let (logits, predicted) = forward(w, x)
        let ce = crossEntropy(logits: logits, labels: labels)
        guard let rho else { return ce }
        return ce + rho * meanSquaredError(predicted: predicted, target: targets)
    }

    /// Accuracy on `data`, evaluated in chunks.
    static func accuracy(_ w: [Tensor<Float>], _ data: ImageClassificationData, chunk: Int = 2000) -> Double {
        let weights = w.map(\.detached)
        var correct = 0
        for start in stride(from: 0, to: data.count, by: chunk) {
            let rows = Array(start..<min(start + chunk, data.count))
            let logits = forward(weights, data.images.gathering(rows)).logits
            logits.withUnsafeBufferPointer { p in
                let k = logits.shape[1]
                for (i, row) in rows.enumerated() {
                    var best = 0
                    for j in 1..<k where p[i * k + j] > p[i * k + best] { best = j }
                    if best == data.labels[row] { correct += 1 }
                }
            }
        }
        return Double(correct) / Double(max(1, data.count))
    }

    /// Mean cross-entropy on `data` (to rank configurations and watch training).
    static func loss(_ w: [Tensor<Float>], _ data: ImageClassificationData, rows: [Int]) -> Double {
        Double(crossEntropy(logits: forward(w.map(\.detached), data.images.gathering(rows)).logits, labels: rows.map { data.labels[$0] }).scalar)
    }
}

/// What the experiment reports (BENCHMARKS.md §7): per method, the mean and spread over seeds of
/// the test accuracy, the mean seconds, and the final hyperparameters; each run besides.
public struct RealTimeHOResult: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var method: String
        public var accuracy: Double
        public var accuracy_std: Double
        public var seconds: Double
        /// Means over seeds.
        public var final_hyperparameters: [String: Double]
    }

    /// One method on one seed.
    public struct Run: Codable, Sendable {
        public var method: String
        public var seed: UInt64
        public var accuracy: Double
        public var validation_accuracy: Double
        public var seconds: Double
        public var final_hyperparameters: [String: Double]
        /// Random search: the configurations trained.
        public var trials: Int?
        /// RTHO: the hyper-updates, λ after each.
        public var trajectory: [[String: Double]]?
    }

    public var benchmark = "rtho"
    public var dataset: String
    public var seeds: [UInt64]
    public var rows: [Row]
    public var runs: [Run]
    public var configuration: RealTimeHOConfiguration
    /// Steps per epoch, the state size (weights and velocities) and the number of weights.
    public var steps_per_epoch: Int, state_size: Int
    public var seconds: Double

    /// The methods in the table's order; "Fixed start" is an ablation: RTHO's starting λ kept
    /// fixed for the whole run (what RTHO's hyper-updates add).
    public static let methods = ["Vanilla", "RS", "RTHO", "RTHO-NT", "Fixed start"]

    static func rows(_ runs: [Run]) -> [Row] {
        methods.compactMap { method in
            let mine = runs.filter { $0.method == method }
            guard !mine.isEmpty else { return nil }
            let n = Double(mine.count), accuracies = mine.map(\.accuracy)
            let mean = accuracies.reduce(0, +) / n
            let variance = mine.count > 1 ? accuracies.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
            var hyperparameters: [String: Double] = [:]
            for key in ["eta", "mu", "rho"] { hyperparameters[key] = mine.compactMap { $0.final_hyperparameters[key] }.reduce(0, +) / n }
            return Row(method: method, accuracy: mean, accuracy_std: variance.squareRoot(), seconds: mine.map(\.seconds).reduce(0, +) / n,
                       final_hyperparameters: hyperparameters)
        }
    }
}

/// Runs the four methods of the experiment (see ``RealTimeHOConfiguration``) on each seed.
public struct RealTimeHOExperiment: Sendable {
    public typealias Lambda = RealTimeHOConfiguration.Lambda
    public var configuration: RealTimeHOConfiguration

    public init(configuration: RealTimeHOConfiguration) { self.configuration = configuration }

    /// Progress of a run, for the command line.
    public enum Event: Sendable {
        /// A hyper-update of RTHO (or RTHO-NT): the validation minibatch's loss, the hypergradient
        /// norm and λ after the update.
        case update(method: String, seed: UInt64, index: Int, step: Int, of: Int, validationLoss: Double, hypergradientNorm: Double, lambda: Lambda)
        /// A configuration random search trained.
        case searched(seed: UInt64, trial: Int, lambda: Lambda, validationAccuracy: Double, elapsed: Double, budget: Double)
        /// A method finished on a seed.
        case finished(RealTimeHOResult.Run)
    }

    /// The training dynamics of a seed: heavy-ball SGD whose η and μ (and the loss's ρ) come from λ;
    /// minibatch `t` is the `t`-th of a seeded permutation of the training set per epoch.
    func problem(_ data: RealTimeHOData, seed: UInt64) -> BilevelProblem<HeavyBall<Float>> {
        let c = configuration
        let (perEpoch, total) = c.steps(trainCount: data.train.count)
        var batches: [[Int]] = []
        var generator = SeededGenerator(seed: seed &+ 0x5EED)
        for _ in 0..<c.epochs {
            var order = Array(0..<data.train.count)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
            for b in 0..<perEpoch { batches.append(Array(order[(b * c.batchSize)..<((b + 1) * c.batchSize)])) }
        }
        let train = data.train, embedding = data.embedding, steps = batches
        let weights = AuxiliaryTaskNetwork.initialWeights(inputs: train.images.shape[1], hidden: c.hidden, classes: train.classes,
                                                          embedding: embedding.shape[1], seed: seed)
        let validation = data.validation
        return BilevelProblem(
            initialWeights: weights, steps: total, optimizer: HeavyBall(learningRate: .hyperparameter("eta"), momentum: .hyperparameter("mu")),
            innerLoss: { w, lambda, t in
                let rows = steps[t - 1], labels = rows.map { train.labels[$0] }
                return AuxiliaryTaskNetwork.trainingLoss(w, rho: lambda["rho"], x: train.images.gathering(rows), labels: labels,
                                                         targets: embedding.gathering(labels))
            },
            outerLoss: { w, _ in
                crossEntropy(logits: AuxiliaryTaskNetwork.forward(w, validation.images).logits, labels: validation.labels)
            })
    }

    static func hyperparameters(_ l: Lambda) -> Hyperparameters<Float> {
        Hyperparameters(["eta": Tensor(Float(l.eta)), "mu": Tensor(Float(l.mu)), "rho": Tensor(Float(l.rho))])
    }

    static func lambda(_ h: Hyperparameters<Float>) -> Lambda {
        Lambda(eta: Double(h["eta"].scalar), mu: Double(h["mu"].scalar), rho: Double(h["rho"].scalar))
    }

    /// Trains with λ fixed; returns the final weights and the seconds it took.
    func train(_ problem: BilevelProblem<HeavyBall<Float>>, _ lambda: Lambda) -> (weights: [Tensor<Float>], seconds: Double) {
        let clock = ContinuousClock(), start = clock.now
        let state = problem.train(Self.hyperparameters(lambda))
        return (problem.weights(of: state), Self.seconds(clock.now - start))
    }

    /// One RTHO run from `start`: λ updated every Δ steps by Adam on forward-mode hypergradients of
    /// the validation loss on a minibatch (the validation set in turn), projected onto
    /// η ≥ 0, 0 ≤ μ ≤ μ_max, ρ ≥ 0.
    func rtho(_ problem: BilevelProblem<HeavyBall<Float>>, _ data: RealTimeHOData, method: String, seed: UInt64, from start: Lambda,
              onEvent: @Sendable (Event) -> Void) throws -> (weights: [Tensor<Float>], lambda: Lambda, seconds: Double, trajectory: [[String: Double]]) {
        let c = configuration, validation = data.validation
        let batch = min(c.validationBatchSize, validation.count), batchesPerPass = max(1, validation.count / batch)
        let hyper = RealTimeHO(problem: problem, updateInterval: c.updateInterval) { w, _, k in
            let first = (k % batchesPerPass) * batch
            let rows = Array(first..<(first + batch))
            return crossEntropy(logits: AuxiliaryTaskNetwork.forward(w, validation.images.gathering(rows)).logits, labels: rows.map { validation.labels[$0] })
        }
        let outer = OuterOptimizer<Float>(.adam(learningRate: Float(c.hyperLearningRate)), constraints: [
            "eta": .atLeast(0), "mu": .box(lower: 0, upper: Float(c.maximumMomentum)), "rho": .atLeast(0),
        ], stepScales: c.stepScales.mapValues(Float.init))
        let clock = ContinuousClock(), started = clock.now
        var trajectory: [[String: Double]] = [], index = 0
        let (final, weights) = try hyper.run(from: Self.hyperparameters(start), outerOptimizer: outer) { update in
            let l = Self.lambda(update.hyperparameters)
            trajectory.append(["step": Double(update.step), "validation_loss": Double(update.validationLoss), "eta": l.eta, "mu": l.mu, "rho": l.rho])
            onEvent(.update(method: method, seed: seed, index: index, step: update.step, of: problem.steps, validationLoss: Double(update.validationLoss),
                            hypergradientNorm: Double(update.hypergradient.norm), lambda: l))
            index += 1
        }
        return (weights, Self.lambda(final), Self.seconds(clock.now - started), trajectory)
    }

    /// The four methods on each seed. RS's trials are recorded in `randomSearch(seed)`'s study
    /// (its sampler drives the search); RTHO's hyper-updates are reported through `onEvent`.
    public func run(_ data: RealTimeHOData, seeds: [UInt64], randomSearch study: @Sendable (UInt64) async throws -> Study,
                    onEvent: @escaping @Sendable (Event) -> Void) async throws -> RealTimeHOResult {
        let c = configuration, clock = ContinuousClock(), started = clock.now
        var runs: [RealTimeHOResult.Run] = []
        func finish(_ run: RealTimeHOResult.Run) {
            runs.append(run)
            onEvent(.finished(run))
        }
        for seed in seeds {
            let problem = self.problem(data, seed: seed)
            let vanilla = train(problem, c.vanilla)
            finish(run("Vanilla", seed, vanilla.weights, data, vanilla.seconds, c.vanilla))
            let fixed = train(problem, c.rthoStart)
            finish(run("Fixed start", seed, fixed.weights, data, fixed.seconds, c.rthoStart))

            var rthoSeconds = 0.0
            for (method, start) in [("RTHO", c.rthoStart), ("RTHO-NT", c.nullTeacherStart)] {
                let r = try rtho(problem, data, method: method, seed: seed, from: start, onEvent: onEvent)
                if method == "RTHO" { rthoSeconds = r.seconds }
                var record = run(method, seed, r.weights, data, r.seconds, r.lambda)
                record.trajectory = r.trajectory
                finish(record)
            }

            finish(try await randomSearch(problem, data, seed: seed, budget: c.randomSearchTimeFactor * rthoSeconds, study: try await study(seed), onEvent: onEvent))
        }
        let (perEpoch, _) = c.steps(trainCount: data.train.count)
        let stateSize = 2 * problem(data, seed: 0).initialWeights.reduce(0) { $0 + $1.scalarCount }
        return RealTimeHOResult(dataset: data.description, seeds: seeds, rows: RealTimeHOResult.rows(runs), runs: runs, configuration: c,
                                steps_per_epoch: perEpoch, state_size: stateSize, seconds: Self.seconds(clock.now - started))
    }

    /// Random search: configurations drawn by the study's sampler — ρ ~ U(0, 4), μ ~ U(0, 1), and
    /// η ~ Exponential(scale 0.1) through its quantile `q ~ U(0, 1)`, `η = −0.1 ln(1 − q)` — each
    /// trained fully, until `budget` seconds are spent (and at least one trained); the one with the
    /// best validation accuracy is reported.
    func randomSearch(_ problem: BilevelProblem<HeavyBall<Float>>, _ data: RealTimeHOData, seed: UInt64, budget: Double, study: Study,
                      onEvent: @Sendable (Event) -> Void) async throws -> RealTimeHOResult.Run {
        let clock = ContinuousClock(), started = clock.now
        var best: (validation: Double, run: RealTimeHOResult.Run)?
        var count = 0
        repeat {
            let trial = try await study.ask()
            let rho = try await trial.suggestFloat("rho", 0, 4)
            let mu = try await trial.suggestFloat("mu", 0, 1)
            let q = try await trial.suggestFloat("eta_quantile", 0, 0.999)
            let lambda = Lambda(eta: -0.1 * log(1 - q), mu: mu, rho: rho)
            try await trial.setUserAttribute("eta", .number(lambda.eta))
            let trained = train(problem, lambda)
            let validation = AuxiliaryTaskNetwork.accuracy(trained.weights, data.validation)
            let test = AuxiliaryTaskNetwork.accuracy(trained.weights, data.test)
            try await trial.setUserAttribute("test_accuracy", .number(test))
            try await study.tell(trial, validation)
            count += 1
            let elapsed = Self.seconds(clock.now - started)
            onEvent(.searched(seed: seed, trial: count, lambda: lambda, validationAccuracy: validation, elapsed: elapsed, budget: budget))
            if best.map({ validation > $0.validation }) ?? true {
                best = (validation, RealTimeHOResult.Run(method: "RS", seed: seed, accuracy: test, validation_accuracy: validation, seconds: 0,
                                                         final_hyperparameters: ["eta": lambda.eta, "mu": lambda.mu, "rho": lambda.rho]))
            }
        } while Self.seconds(clock.now - started) < budget
        var run = best!.run
        run.seconds = Self.seconds(clock.now - started)
        run.trials = count
        return run
    }

    func run(_ method: String, _ seed: UInt64, _ weights: [Tensor<Float>], _ data: RealTimeHOData, _ seconds: Double, _ l: Lambda) -> RealTimeHOResult.Run {
        RealTimeHOResult.Run(method: method, seed: seed, accuracy: AuxiliaryTaskNetwork.accuracy(weights, data.test),
                             validation_accuracy: AuxiliaryTaskNetwork.accuracy(weights, data.validation), seconds: seconds,
                             final_hyperparameters: ["eta": l.eta, "mu": l.mu, "rho": l.rho])
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
}

/// The paper-style table of a real-time HO run.
public enum RealTimeHOReport {
    /// Test accuracy (mean ± standard deviation over seeds), seconds and final λ per method, and
    /// the paper's figures beside.
    public static func table(_ r: RealTimeHOResult) -> String {
        let paper = ["Vanilla": "59.81 (12 min)", "RS": "60.36 (300 min)", "RTHO": "61.97 (164 min)", "RTHO-NT": "61.38 (289 min)", "Fixed start": "—"]
        var lines = ["method        test accuracy (%)      seconds     η        μ       ρ      paper, TIMIT"]
        for row in r.rows {
            let h = row.final_hyperparameters
            lines.append(row.method.padding(toLength: 13, withPad: " ", startingAt: 0)
                + String(format: " %6.2f ± %-5.2f   %10.1f  %7.4f  %6.3f  %6.3f   ", 100 * row.accuracy, 100 * row.accuracy_std, row.seconds,
                         h["eta"] ?? .nan, h["mu"] ?? .nan, h["rho"] ?? .nan) + (paper[row.method] ?? ""))
        }
        lines.append(String(format: "%d seeds, %.1f s in all.", r.seeds.count, r.seconds))
        return lines.joined(separator: "\n")
    }
}
