import Autograd
import Hypergradients
import RealModule
import Testing

/// The README's hypergradient example, verbatim (smaller data), with checks.
@Test("the README hypergradient example runs and lowers the validation loss")
func readmeHypergradientExample() throws {
    // --- as in README.md ---
    var g = SeededGenerator(seed: 0)
    let x = Tensor<Float>(randomUniform: [200, 20], generator: &g), y = (0..<200).map { $0 % 4 }
    let xv = Tensor<Float>(randomUniform: [100, 20], generator: &g), yv = (0..<100).map { $0 % 4 }

    // Weighted softmax regression trained by 50 heavy-ball steps; λ = one weight per training
    // example and the log learning rate.
    let problem = BilevelProblem(
        initialWeights: [Tensor<Float>(zeros: [20, 4]), Tensor<Float>(zeros: [4])], steps: 50,
        optimizer: HeavyBall(learningRate: .exponential("logLearningRate"), momentum: 0.9),
        innerLoss: { w, λ, _ in crossEntropy(logits: matmul(x, w[0]) + w[1], labels: y, weights: λ["exampleWeights"]) },
        outerLoss: { w, _ in crossEntropy(logits: matmul(xv, w[0]) + w[1], labels: yv) })
    let λ = Hyperparameters<Float>(["exampleWeights": Tensor(ones: [200]), "logLearningRate": Tensor(Float.log(0.1))])

    let reverse = ReverseHG().hypergradient(of: problem, at: λ)  // ∇f(λ) for all 201 hyperparameters
    let forward = ForwardHG(names: ["logLearningRate"]).hypergradient(of: problem, at: λ)

    let tuner = HyperOptimizer(
        problem: problem, method: ReverseHG(),
        outerOptimizer: OuterOptimizer(.adam(learningRate: 0.05), constraints: ["exampleWeights": .box(lower: 0, upper: 1)]))
    var history: [Float] = []
    let tuned = try tuner.run(from: λ, iterations: 20) { history.append($0.outerLoss) }
    // --- checks ---
    let a = reverse.gradient["logLearningRate"].scalar, b = forward.gradient["logLearningRate"].scalar
    #expect(abs(a - b) <= 1e-4 * abs(a), "\(a) vs \(b)")
    #expect(forward.gradient["exampleWeights"].scalars.allSatisfy { $0 == 0 })
    #expect(history.last! < history.first!)
    #expect(problem.objective(tuned) < problem.objective(λ))
}
