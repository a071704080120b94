import Foundation
import Autograd
import Datasets
import Hypergradients

/// The data and bilevel problems of the hypergradient benchmark (BENCHMARKS.md §2).
struct HypergradientBenchmarkData: Sendable, CustomStringConvertible {
    let xTrain: Tensor<Float>, yTrain: [Int]
    let xValidation: Tensor<Float>, yValidation: [Int]
    let description: String
    var trainCount: Int { yTrain.count }

    /// Fashion-MNIST-shaped synthetic data: 5000 + 5000 examples of 784 features in [0, 1) and
    /// 10 classes, labels from a random linear teacher so the problem is learnable.
    static func synthetic(seed: UInt64) -> HypergradientBenchmarkData {
        var g = SeededGenerator(seed: seed)
        let teacher = Tensor<Float>(randomNormal: [784, 10], generator: &g)
        func split(_ n: Int) -> (Tensor<Float>, [Int]) {
            let x = Tensor<Float>(randomUniform: [n, 784], generator: &g)
            let scores = matmul(x - 0.5, teacher).scalars
            let labels = (0..<n).map { i in (0..<10).max { scores[i * 10 + $0] < scores[i * 10 + $1] }! }
            return (x, labels)
        }
        let (xt, yt) = split(5000), (xv, yv) = split(5000)
        return HypergradientBenchmarkData(
            xTrain: xt, yTrain: yt, xValidation: xv, yValidation: yv,
            description: "synthetic: 5000 train + 5000 validation examples, 784 features, 10 classes")
    }

    /// Fashion-MNIST (or MNIST) as in the hyper-cleaning protocol: a seeded permutation of the
    /// training set gives 5000 training and 5000 validation examples; 2500 training labels are
    /// replaced by a random different class (`yTrain` holds the noisy labels, `yClean` the
    /// originals).
    static func mnistFamily(_ family: MNISTFamily, directory: String?, seed: UInt64) throws -> (HypergradientBenchmarkData, cleanLabels: [Int]) {
        let dir = try family.directory(explicit: directory)
        let (train, _) = try family.load(from: dir)
        let parts = train.split(sizes: [5000, 5000], seed: seed)
        let (noisy, _) = parts[0].corruptingLabels(count: 2500, seed: seed &+ 1)
        let data = HypergradientBenchmarkData(
            xTrain: parts[0].images, yTrain: noisy, xValidation: parts[1].images, yValidation: parts[1].labels,
            description: "\(family.rawValue) from \(dir.path): 5000 train (2500 labels corrupted) + 5000 validation")
        return (data, parts[0].labels)
    }

    /// The same data with other training labels.
    func withTrainingLabels(_ labels: [Int], description: String) -> HypergradientBenchmarkData {
        HypergradientBenchmarkData(xTrain: xTrain, yTrain: labels, xValidation: xValidation, yValidation: yValidation, description: description)
    }

    /// Softmax regression from zero weights, full-batch gradient descent at 0.1 on `Σ λᵢ CEᵢ / n`,
    /// outer loss the mean validation cross-entropy.
    func cleaningProblem(steps: Int) -> BilevelProblem<GradientDescent<Float>> {
        let (x, y, xv, yv) = (xTrain, yTrain, xValidation, yValidation)
        return BilevelProblem(
            initialWeights: [Tensor(zeros: [784, 10]), Tensor(zeros: [10])], steps: steps,
            optimizer: GradientDescent(learningRate: 0.1),
            innerLoss: { w, lambda, _ in
                crossEntropy(logits: matmul(x, w[0]) + w[1], labels: y, weights: lambda["exampleWeights"])
            },
            outerLoss: { w, _ in crossEntropy(logits: matmul(xv, w[0]) + w[1], labels: yv) })
    }

    /// Heavy-ball training with hyperparameters (log learning rate, momentum, L2 coefficient) on
    /// `mean CE + ½ c ‖W‖²`.
    func heavyBallProblem(steps: Int) -> BilevelProblem<HeavyBall<Float>> {
        let (x, y, xv, yv) = (xTrain, yTrain, xValidation, yValidation)
        return BilevelProblem(
            initialWeights: [Tensor(zeros: [784, 10]), Tensor(zeros: [10])], steps: steps,
            optimizer: HeavyBall(learningRate: .exponential("logLearningRate"), momentum: .hyperparameter("momentum")),
            innerLoss: { w, lambda, _ in
                crossEntropy(logits: matmul(x, w[0]) + w[1], labels: y) + lambda["l2"] * (w[0] * w[0]).sum() * 0.5
            },
            outerLoss: { w, _ in crossEntropy(logits: matmul(xv, w[0]) + w[1], labels: yv) })
    }
}
