import ArgumentParser
import Autograd
import Foundation
import RealModule

/// `hypertune demo`: trains a small neural network on a synthetic three-arm spiral with gradients
/// from the engine, printing the loss as it falls and the final accuracy.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a small MLP with the autodiff engine and print its loss falling.")

    @Option(help: "Training steps (full-batch SGD with momentum).")
    var steps: Int = 400

    @Option(help: "Examples per spiral arm.")
    var pointsPerClass: Int = 100

    @Option(help: "Hidden units per layer.")
    var hidden: Int = 32

    @Option(help: "Learning rate.")
    var learningRate: Double = 0.1

    @Option(help: "Random seed for data and initialisation.")
    var seed: UInt64 = 0

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard pointsPerClass > 0 else { throw ValidationError("--points-per-class must be positive, got \(pointsPerClass)") }
        guard hidden > 0 else { throw ValidationError("--hidden must be positive, got \(hidden)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw ValidationError("--learning-rate must be a positive number, got \(learningRate)")
        }
    }

    /// Three interleaved spiral arms with Gaussian noise: not linearly separable.
    static func spirals(perClass: Int, generator g: inout SeededGenerator) -> (Tensor<Float>, [Int]) {
        var xs: [Float] = [], labels: [Int] = []
        for c in 0..<3 {
            for i in 0..<perClass {
                let r = Double(i) / Double(perClass)
                let t = Double(c) * 4 + 4 * r + 0.2 * g.nextNormal()
                xs += [Float(r * Double.sin(t)), Float(r * Double.cos(t))]
                labels.append(c)
            }
        }
        return (Tensor(shape: [3 * perClass, 2], scalars: xs), labels)
    }

    func run() throws {
        var g = SeededGenerator(seed: seed)
        let (x, labels) = Self.spirals(perClass: pointsPerClass, generator: &g)
        var model = MLP<Float>(sizes: [2, hidden, hidden, 3], activation: .relu, generator: &g)
        var optimizer = SGD<Float>(learningRate: Float(learningRate), momentum: 0.9)
        print("Training an MLP \([2, hidden, hidden, 3]) (\(model.parameterCount) parameters) on \(labels.count) spiral points")
        print("step   loss      accuracy")
        let start = ContinuousClock.now
        var firstLoss: Float = 0, lastLoss: Float = 0
        for step in 0...steps {
            let (loss, grads) = valueWithGradient(at: model.parameters) { ps in
                crossEntropy(logits: model.with(parameters: ps)(x), labels: labels)
            }
            if step == 0 { firstLoss = loss.scalar }
            lastLoss = loss.scalar
            guard lastLoss.isFinite else {
                throw ValidationError("training diverged at step \(step) (loss \(lastLoss)); try a smaller --learning-rate")
            }
            if step % max(1, steps / 10) == 0 || step == steps {
                let accuracy = Self.accuracy(model(x), labels)
                print(String(format: "%4d   %.4f    %5.1f%%", step, lastLoss, 100 * accuracy))
            }
            if step < steps { optimizer.update(&model.parameters, along: grads) }
        }
        let elapsed = ContinuousClock.now - start
        print(String(format: "loss %.4f -> %.4f in %d steps (%.2f s)", firstLoss, lastLoss, steps,
                     Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
    }

    static func accuracy(_ logits: Tensor<Float>, _ labels: [Int]) -> Double {
        let c = logits.shape[1], s = logits.scalars
        var right = 0
        for (i, l) in labels.enumerated() {
            let row = s[(i * c)..<((i + 1) * c)]
            if row.firstIndex(of: row.max()!)! - i * c == l { right += 1 }
        }
        return Double(right) / Double(labels.count)
    }
}
