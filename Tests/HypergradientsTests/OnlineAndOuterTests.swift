import Autograd
@testable import Hypergradients
import RealModule
import Testing

@Suite("Real-time HO and the outer loop")
struct OnlineAndOuterTests {
    typealias T = Tensor<Double>

    @Test("one RTHO update after T steps equals FORWARD-HG's hypergradient")
    func rthoMatchesForward() throws {
        let problem = TestProblems.problem(HeavyBall(learningRate: .exponential("logLearningRate"), momentum: .hyperparameter("momentum")), steps: 6)
        let lambda = TestProblems.hyperparameters(optimizerHyperparameters: ["logLearningRate": Double.log(0.3), "momentum": 0.6])
        let forward = ForwardHG().hypergradient(of: problem, at: lambda)
        var updates: [RealTimeHO<HeavyBall<Double>>.Update] = []
        _ = try RealTimeHO(problem: problem, updateInterval: 6)
            .run(from: lambda, outerOptimizer: OuterOptimizer(.sgd(learningRate: 0.1))) { updates.append($0) }
        #expect(updates.count == 1)
        #expect(updates[0].validationLoss == forward.value)
        #expect(updates[0].hypergradient.values.flatMap(\.scalars) == forward.gradient.values.flatMap(\.scalars))
    }

    @Test("RTHO raises a learning rate that starts far too small, and the validation loss falls")
    func rthoImproves() throws {
        let problem = TestProblems.problem(GradientDescent(learningRate: .exponential("logLearningRate")), steps: 120)
        let lambda = TestProblems.hyperparameters(optimizerHyperparameters: ["logLearningRate": Double.log(0.01)])
        var updates: [RealTimeHO<GradientDescent<Double>>.Update] = []
        let (final, _) = try RealTimeHO(problem: problem, updateInterval: 10)
            .run(from: lambda, outerOptimizer: OuterOptimizer(.adam(learningRate: 0.1))) { updates.append($0) }
        #expect(updates.count == 12)
        // Adam moves λ by at most about its step (0.1) per update: 12 updates can raise log η by
        // about 1.2; a consistent hypergradient sign uses most of that.
        #expect(final["logLearningRate"].scalar > Double.log(0.01) + 0.8)
        #expect(updates.last!.validationLoss < updates.first!.validationLoss)
    }

    @Test("the hyper-optimizer decreases the outer loss and respects constraints")
    func outerLoop() throws {
        let problem = TestProblems.problem(GradientDescent(learningRate: 0.5), steps: 10)
        let lambda = TestProblems.hyperparameters()
        let optimizer = HyperOptimizer(
            problem: problem, method: ReverseHG(),
            outerOptimizer: OuterOptimizer(.adam(learningRate: 0.05), constraints: ["exampleWeights": .box(lower: 0, upper: 1)]))
        var losses: [Double] = []
        let final = try optimizer.run(from: lambda, iterations: 15) { losses.append($0.outerLoss) }
        #expect(losses.count == 15)
        #expect(losses.last! < losses.first!)
        #expect(Constraint<Double>.box(lower: 0, upper: 1).contains(final["exampleWeights"]))
    }

    @Test("a non-finite outer loss stops the loop with a clear error")
    func nonFinite() {
        var problem = TestProblems.problem(GradientDescent(learningRate: 0.5), steps: 3)
        problem.outerLoss = { _, lambda in log(lambda["logL2"] - 100) }  // log of a negative number
        let optimizer = HyperOptimizer(problem: problem, method: ReverseHG(), outerOptimizer: OuterOptimizer(.sgd(learningRate: 0.1)))
        #expect(throws: HyperOptimizationError.self) { try optimizer.run(from: TestProblems.hyperparameters(), iterations: 2) }
    }

    @Test("per-hyperparameter step scales: SGD and Adam move each hyperparameter by its scale times the step; bad scales are refused")
    func stepScales() throws {
        var lambda = Hyperparameters<Double>(["a": Tensor(1.0), "b": Tensor(1.0), "c": Tensor(1.0)])
        let gradient = Hyperparameters<Double>(["a": Tensor(2.0), "b": Tensor(2.0), "c": Tensor(-4.0)])
        var sgd = OuterOptimizer<Double>(.sgd(learningRate: 0.1), stepScales: ["a": 0.5, "c": 2])
        try sgd.validate(for: lambda)
        sgd.update(&lambda, along: gradient)
        #expect(lambda["a"].scalar.isApproximatelyEqual(to: 1 - 0.1 * 0.5 * 2) && lambda["b"].scalar.isApproximatelyEqual(to: 1 - 0.1 * 2))
        #expect(lambda["c"].scalar.isApproximatelyEqual(to: 1 + 0.1 * 2 * 4))
        // Adam's first step is the learning rate in size, whatever the gradient's: times the scale.
        lambda = Hyperparameters(["a": Tensor(1.0), "b": Tensor(1.0), "c": Tensor(1.0)])
        var adam = OuterOptimizer<Double>(.adam(learningRate: 0.1), stepScales: ["a": 0.25])
        adam.update(&lambda, along: gradient)
        #expect(lambda["a"].scalar.isApproximatelyEqual(to: 1 - 0.025, relativeTolerance: 1e-6))
        #expect(lambda["b"].scalar.isApproximatelyEqual(to: 0.9, relativeTolerance: 1e-6) && lambda["c"].scalar.isApproximatelyEqual(to: 1.1, relativeTolerance: 1e-6))
        #expect(throws: ConstraintError.self) { try OuterOptimizer<Double>(.sgd(learningRate: 0.1), stepScales: ["z": 1]).validate(for: lambda) }
        #expect(throws: ConstraintError.self) { try OuterOptimizer<Double>(.sgd(learningRate: 0.1), stepScales: ["a": 0]).validate(for: lambda) }
    }
}
