import Autograd
import Datasets
import Foundation
import Hypergradients

/// Data hyper-cleaning (Franceschi et al. 2017, §5.1): learn one weight λᵢ ∈ [0, 1] per training
/// example, with `Σλᵢ ≤ R`, so that training on noisy labels behaves as if the corrupted
/// examples were removed; examples whose weight falls to (about) zero are flagged as corrupted.
///
/// Inner problem: softmax regression from zero weights, `T` full-batch gradient-descent steps on
/// `Σ λᵢ CEᵢ / n`. Outer problem: mean validation cross-entropy, minimised over λ by REVERSE-HG
/// hypergradients, Adam steps and exact projections onto `{0 ≤ λ ≤ 1, Σλ ≤ R}`. The settings
/// follow the authors' code where the paper is silent: the inner learning rate is normalised by
/// the budget (`η·n/R`, since λ starts at `R/n` and scales the gradient), λ is optimised by
/// Adam, and an example is flagged when `λᵢ < 10⁻³`.
public struct HyperCleaningConfiguration: Codable, Sendable, Equatable {
    /// Budgets R (`Σλ ≤ R`).
    public var budgets: [Int] = [1000, 1500, 2000, 2500]
    /// Inner gradient-descent steps T.
    public var innerSteps = 100
    /// The inner learning rate for weights summing to n; used as `η·n/R`.
    public var innerLearningRate = 0.1
    /// Hyper-iterations per budget.
    public var hyperIterations = 100
    /// Adam's step on λ as a fraction of the starting value `R/n` (so every budget moves at the
    /// same relative speed).
    public var outerStepFraction = 0.05
    /// λᵢ below this flags example i as corrupted.
    public var flagThreshold = 1e-3
    /// Gradient-descent steps and learning rate of the final models (Oracle, Baseline, DH-R),
    /// trained on train ∪ validation.
    public var finalSteps = 1000
    public var finalLearningRate = 0.1
    /// Seed of the split and the corruption.
    public var seed: UInt64 = 0

    public init() {}
}

/// The data of one run: noisy training set with its corruption mask, clean validation and test.
public struct HyperCleaningData: Sendable {
    public var train: ImageClassificationData
    public var corrupted: [Bool]
    public var validation: ImageClassificationData
    public var test: ImageClassificationData
    public var description: String

    public init(train: ImageClassificationData, corrupted: [Bool], validation: ImageClassificationData, test: ImageClassificationData, description: String) {
        precondition(corrupted.count == train.count, "HyperCleaningData: \(corrupted.count) flags for \(train.count) examples")
        self.train = train
        self.corrupted = corrupted
        self.validation = validation
        self.test = test
        self.description = description
    }

    /// The paper's protocol on an MNIST-family dataset: a seeded permutation of the training set
    /// gives `trainCount` training and `validationCount` validation examples; `corruptedCount`
    /// training labels are replaced by a random different class; the test set is the dataset's.
    public static func load(
        _ family: MNISTFamily, directory: String?, seed: UInt64,
        trainCount: Int = 5000, validationCount: Int = 5000, corruptedCount: Int = 2500
    ) throws(DatasetError) -> HyperCleaningData {
        let dir = try family.directory(explicit: directory)
        let (all, test) = try family.load(from: dir)
        let parts = all.split(sizes: [trainCount, validationCount], seed: seed)
        let (noisy, mask) = parts[0].corruptingLabels(count: corruptedCount, seed: seed &+ 1)
        var train = parts[0]
        train.labels = noisy
        return HyperCleaningData(
            train: train, corrupted: mask, validation: parts[1], test: test,
            description: "\(family.rawValue) (\(dir.path)): \(trainCount) train with \(corruptedCount) corrupted labels, \(validationCount) validation, \(test.count) test")
    }
}

/// Flagging quality: corrupted examples are the positives.
public struct FlaggingScore: Codable, Sendable, Equatable {
    public var f1: Double, precision: Double, recall: Double
    public var flagged: Int, flaggedCorrupted: Int, keptCorrupted: Int

    public init(weights: [Float], corrupted: [Bool], threshold: Double) {
        var tp = 0, fp = 0, fn = 0
        for (w, c) in zip(weights, corrupted) {
            let flag = Double(w) < threshold
            if flag && c { tp += 1 } else if flag { fp += 1 } else if c { fn += 1 }
        }
        precision = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0
        recall = tp + fn > 0 ? Double(tp) / Double(tp + fn) : 0
        f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        flagged = tp + fp
        flaggedCorrupted = tp
        keptCorrupted = fn
    }
}

/// The results, in the JSON schema of the benchmark suite (accuracies and F1 as fractions) with
/// the configuration and the per-iteration history added.
public struct HyperCleaningResult: Codable, Sendable {
    public struct Accuracy: Codable, Sendable { public var accuracy: Double }
    public struct Iteration: Codable, Sendable, Equatable {
        public var iteration: Int
        public var validation_loss: Double
        public var hypergradient_norm: Double
        public var f1: Double
        public var flagged: Int
        /// Summary of λ after the step.
        public var lambda_mean: Double, lambda_min: Double, lambda_max: Double
    }
    public struct Budget: Codable, Sendable {
        public var R: Int
        public var accuracy: Double
        public var f1: Double
        public var precision: Double
        public var recall: Double
        public var flagged: Int
        public var kept_corrupted: Int
        public var seconds: Double
        public var history: [Iteration]
        /// Final λ of every training example.
        public var weights: [Float]
    }

    public var benchmark = "hyper-cleaning"
    public var dataset: String
    public var oracle: Accuracy
    public var baseline: Accuracy
    public var dh: [Budget]
    public var seconds: Double
    public var configuration: HyperCleaningConfiguration
    /// Which training examples were corrupted (for charts and re-analysis).
    public var corrupted: [Bool]
}

/// What the experiment reports while it runs.
public enum HyperCleaningProgress: Sendable {
    /// One hyper-iteration of budget `budget` done (`of` per budget).
    case hyperIteration(budget: Int, of: Int, record: HyperCleaningResult.Iteration, score: FlaggingScore)
    case finalModel(String)
}

public struct HyperCleaningExperiment: Sendable {
    public var configuration: HyperCleaningConfiguration

    public init(configuration: HyperCleaningConfiguration = HyperCleaningConfiguration()) {
        self.configuration = configuration
    }

    /// Runs every budget, then trains and tests the final models.
    public func run(_ data: HyperCleaningData, progress: (HyperCleaningProgress) -> Void = { _ in }) throws -> HyperCleaningResult {
        let c = configuration
        let clock = ContinuousClock(), start = clock.now
        let n = data.train.count
        let x = data.train.images, y = data.train.labels
        let xv = data.validation.images, yv = data.validation.labels
        let classes = data.train.classes, features = x.shape[1]
        var budgets: [HyperCleaningResult.Budget] = []
        for R in c.budgets {
            let budgetStart = clock.now
            let problem = BilevelProblem(
                initialWeights: [Tensor<Float>(zeros: [features, classes]), Tensor<Float>(zeros: [classes])],
                steps: c.innerSteps,
                optimizer: GradientDescent<Float>(learningRate: .constant(Float(c.innerLearningRate * Double(n) / Double(R)))),
                innerLoss: { w, lambda, _ in
                    crossEntropy(logits: matmul(x, w[0]) + w[1], labels: y, weights: lambda["exampleWeights"])
                },
                outerLoss: { w, _ in crossEntropy(logits: matmul(xv, w[0]) + w[1], labels: yv) })
            let start = Float(R) / Float(n)
            let tuner = HyperOptimizer(
                problem: problem, method: ReverseHG(storage: .stepGraphs),
                outerOptimizer: OuterOptimizer(
                    .adam(learningRate: Float(c.outerStepFraction) * start),
                    constraints: ["exampleWeights": .boxWithSumBound(lower: 0, upper: 1, maximumSum: Float(R))]))
            var history: [HyperCleaningResult.Iteration] = []
            let lambda = try tuner.run(
                from: Hyperparameters(["exampleWeights": Tensor(repeating: start, shape: [n])]), iterations: c.hyperIterations
            ) { it in
                let lambda = it.hyperparameters["exampleWeights"].scalars
                let score = FlaggingScore(weights: lambda, corrupted: data.corrupted, threshold: c.flagThreshold)
                let record = HyperCleaningResult.Iteration(
                    iteration: it.index, validation_loss: Double(it.outerLoss), hypergradient_norm: Double(it.hypergradientNorm),
                    f1: score.f1, flagged: score.flagged, lambda_mean: Double(lambda.reduce(0, +)) / Double(lambda.count),
                    lambda_min: Double(lambda.min() ?? 0), lambda_max: Double(lambda.max() ?? 0))
                history.append(record)
                progress(.hyperIteration(budget: R, of: c.hyperIterations, record: record, score: score))
            }
            let weights = lambda["exampleWeights"].scalars
            let score = FlaggingScore(weights: weights, corrupted: data.corrupted, threshold: c.flagThreshold)
            let seconds = Self.seconds(clock.now - budgetStart)
            progress(.finalModel("DH-\(R)"))
            let kept = weights.indices.filter { Double(weights[$0]) >= c.flagThreshold }
            let accuracy = finalAccuracy(train: data.train.subset(kept), data)
            budgets.append(.init(
                R: R, accuracy: accuracy, f1: score.f1, precision: score.precision, recall: score.recall,
                flagged: score.flagged, kept_corrupted: score.keptCorrupted, seconds: seconds, history: history,
                weights: weights))
        }
        progress(.finalModel("Oracle"))
        let oracle = finalAccuracy(train: data.train.subset(data.corrupted.indices.filter { !data.corrupted[$0] }), data)
        progress(.finalModel("Baseline"))
        let baseline = finalAccuracy(train: data.train, data)
        return HyperCleaningResult(
            dataset: data.description, oracle: .init(accuracy: oracle), baseline: .init(accuracy: baseline), dh: budgets,
            seconds: Self.seconds(clock.now - start), configuration: c, corrupted: data.corrupted)
    }

    /// Test accuracy of softmax regression trained by full-batch gradient descent on `train` ∪
    /// validation.
    func finalAccuracy(train: ImageClassificationData, _ data: HyperCleaningData) -> Double {
        let x = concatenate([train.images, data.validation.images])
        let y = train.labels + data.validation.labels
        var unused = SeededGenerator(seed: 0)  // zero initialisation draws nothing
        var model = Linear<Float>(inputSize: x.shape[1], outputSize: data.train.classes, initializer: .zeros, generator: &unused)
        var sgd = SGD<Float>(learningRate: Float(configuration.finalLearningRate))
        for _ in 0..<configuration.finalSteps {
            let grads = gradient(at: model.parameters) { p in crossEntropy(logits: model.with(parameters: p)(x), labels: y) }
            sgd.update(&model.parameters, along: grads)
        }
        return Self.accuracy(logits: model(data.test.images), labels: data.test.labels)
    }

    /// The fraction of rows whose largest logit is at the label.
    public static func accuracy(logits: Tensor<Float>, labels: [Int]) -> Double {
        let c = logits.shape[1], s = logits.scalars
        var right = 0
        for (i, label) in labels.enumerated() {
            var best = 0
            for j in 1..<c where s[i * c + j] > s[i * c + best] { best = j }
            if best == label { right += 1 }
        }
        return Double(right) / Double(max(1, labels.count))
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
}
