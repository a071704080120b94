import Autograd

/// RTHO, real-time hyperparameter optimization (Franceschi et al. 2017, §3.2): forward-mode
/// hypergradients computed online while training runs, with λ updated every `Δ` steps and
/// training continuing from where it is — one training run instead of one per hyper-iteration.
///
/// Every step carries the tangents `Z_t = ds_t/dλ_j` (as ``ForwardHG``); every `Δ` steps the
/// hypergradient of the validation loss at the current weights, `∇_w E(w_t) Z_t + ∂E/∂λ`, is
/// handed to the outer optimizer. By default the tangents are kept across updates (λ is assumed to
/// change slowly, as in the paper); with `resetTangents` they restart from zero after each update,
/// so the hypergradient looks only at the last `Δ` steps.
public struct RealTimeHO<Optimizer: DifferentiableOptimizer>: Sendable {
    public typealias Scalar = Optimizer.Scalar
    /// `E_k(w, λ)`: the validation loss used at the `k`-th update (pick its minibatch here).
    public typealias ValidationLoss = @Sendable ([Tensor<Scalar>], Hyperparameters<Scalar>, Int) -> Tensor<Scalar>

    public var problem: BilevelProblem<Optimizer>
    public var updateInterval: Int
    public var validationLoss: ValidationLoss
    public var resetTangents: Bool

    /// - Parameters:
    ///   - problem: the training dynamics (its `steps` is the length of the run).
    ///   - updateInterval: `Δ`, training steps between hyper-updates.
    ///   - validationLoss: the loss differentiated at each update; defaults to the problem's
    ///     outer loss.
    public init(
        problem: BilevelProblem<Optimizer>, updateInterval: Int, resetTangents: Bool = false,
        validationLoss: ValidationLoss? = nil
    ) {
        precondition(updateInterval >= 1, "RealTimeHO: update interval must be at least 1, got \(updateInterval)")
        self.problem = problem
        self.updateInterval = updateInterval
        self.resetTangents = resetTangents
        let outer = problem.outerLoss
        self.validationLoss = validationLoss ?? { w, lambda, _ in outer(w, lambda) }
    }

    /// One hyper-update of the run.
    public struct Update: Sendable {
        public var step: Int
        public var validationLoss: Scalar
        public var hypergradient: Hyperparameters<Scalar>
        /// λ after the update and projection.
        public var hyperparameters: Hyperparameters<Scalar>

        @inlinable
        public init(step: Int, validationLoss: Scalar, hypergradient: Hyperparameters<Scalar>, hyperparameters: Hyperparameters<Scalar>) {
            self.step = step
            self.validationLoss = validationLoss
            self.hypergradient = hypergradient
            self.hyperparameters = hyperparameters
        }
    }

    /// Trains for `problem.steps` steps from `initial` λ, updating λ every `updateInterval`
    /// steps with `outerOptimizer`; returns the final λ and weights.
    @inlinable
    public func run(
        from initial: Hyperparameters<Scalar>, outerOptimizer: OuterOptimizer<Scalar>,
        onUpdate: (Update) -> Void = { _ in }
    ) throws -> (hyperparameters: Hyperparameters<Scalar>, weights: [Tensor<Scalar>]) {
        try outerOptimizer.validate(for: initial)
        var outer = outerOptimizer
        var lambda = outer.project(initial.with(values: initial.values.map(\.detached)))
        var sensitivities = ForwardSensitivities(problem: problem, hyperparameters: lambda, names: nil)
        var updates = 0
        for t in stride(from: 1, through: problem.steps, by: 1) {
            sensitivities.advance(problem, lambda, iteration: t)
            guard t % updateInterval == 0 else { continue }
            let k = updates
            let (value, components) = sensitivities.hypergradient(lambda) { w, l in validationLoss(w, l, k) }
            let gradient = lambda.with(values: components)
            outer.update(&lambda, along: gradient)
            updates += 1
            if resetTangents { sensitivities.resetTangents() }
            onUpdate(Update(step: t, validationLoss: value, hypergradient: gradient, hyperparameters: lambda))
        }
        return (lambda, problem.weights(of: sensitivities.state))
    }
}
