import Autograd

/// The outer loop of gradient-based hyperparameter optimization: at each hyper-iteration compute
/// `∇f(λ)` with a ``HypergradientMethod``, take an ``OuterOptimizer`` step and project λ onto its
/// constraints.
///
/// Each hyper-iteration is reported (outer loss, hypergradient norm, λ and its summary, time), so
/// that callers can log it or record it as a trial of a study.
public struct HyperOptimizer<Optimizer: DifferentiableOptimizer, Method: HypergradientMethod>: Sendable {
    public typealias Scalar = Optimizer.Scalar

    public var problem: BilevelProblem<Optimizer>
    public var method: Method
    public var outerOptimizer: OuterOptimizer<Scalar>

    public init(problem: BilevelProblem<Optimizer>, method: Method, outerOptimizer: OuterOptimizer<Scalar>) {
        self.problem = problem
        self.method = method
        self.outerOptimizer = outerOptimizer
    }

    /// One hyper-iteration.
    public struct Iteration: Sendable {
        /// 1-based.
        public var index: Int
        /// `f(λ)` before the step.
        public var outerLoss: Scalar
        /// `‖∇f(λ)‖` before the step.
        public var hypergradientNorm: Scalar
        /// `∇f(λ)` before the step.
        public var hypergradient: Hyperparameters<Scalar>
        /// λ after the step and projection.
        public var hyperparameters: Hyperparameters<Scalar>
        /// Wall time of the iteration.
        public var seconds: Double

        @inlinable
        public init(index: Int, outerLoss: Scalar, hypergradientNorm: Scalar, hypergradient: Hyperparameters<Scalar>, hyperparameters: Hyperparameters<Scalar>, seconds: Double) {
            self.index = index
            self.outerLoss = outerLoss
            self.hypergradientNorm = hypergradientNorm
            self.hypergradient = hypergradient
            self.hyperparameters = hyperparameters
            self.seconds = seconds
        }
    }

    /// Runs `iterations` hyper-iterations from `initial` (projected first), calling `onIteration`
    /// after each; returns the final λ.
    /// - Throws: ``ConstraintError`` when a constraint names a missing hyperparameter or is
    ///   infeasible, or ``HyperOptimizationError`` when the outer loss or the hypergradient is not
    ///   finite (λ is then left at its last finite value).
    @inlinable
    public func run(
        from initial: Hyperparameters<Scalar>, iterations: Int,
        onIteration: (Iteration) -> Void = { _ in }
    ) throws -> Hyperparameters<Scalar> {
        precondition(iterations >= 0, "HyperOptimizer: negative number of iterations \(iterations)")
        try outerOptimizer.validate(for: initial)
        var outer = outerOptimizer
        var lambda = outer.project(initial.with(values: initial.values.map(\.detached)))
        let clock = ContinuousClock()
        for index in stride(from: 1, through: iterations, by: 1) {
            let start = clock.now
            let result = method.hypergradient(of: problem, at: lambda)
            let norm = result.gradient.norm
            guard result.value.isFinite, norm.isFinite else {
                throw HyperOptimizationError(
                    description: "hyper-iteration \(index): outer loss \(result.value), hypergradient norm \(norm) at \(lambda)")
            }
            outer.update(&lambda, along: result.gradient)
            let elapsed = clock.now - start
            onIteration(Iteration(
                index: index, outerLoss: result.value, hypergradientNorm: norm, hypergradient: result.gradient,
                hyperparameters: lambda,
                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
        }
        return lambda
    }
}

/// A hyper-optimization that cannot continue, with the reason.
public struct HyperOptimizationError: Error, CustomStringConvertible {
    public let description: String

    @inlinable
    public init(description: String) { self.description = description }
}
