import Autograd

/// A bilevel optimization problem: hyperparameters λ are chosen to minimise an outer loss of the
/// weights that T steps of a differentiable optimizer reach on an inner loss.
///
/// Training is the dynamical system `s_t = Φ_t(s_{t−1}, λ)`, `t = 1…T`, with state `s` = weights
/// and the optimizer's slots, and `Φ_t(s, λ) = step(w, slots, ∇_w J_t(w, λ), λ)`. The objective is
/// `f(λ) = E(w_T, λ)` (Franceschi et al., "Forward and Reverse Gradient-Based Hyperparameter
/// Optimization", ICML 2017, §2).
public struct BilevelProblem<Optimizer: DifferentiableOptimizer>: Sendable {
    public typealias Scalar = Optimizer.Scalar
    /// `J_t(w, λ)`: the training loss at step `t` (1-based; pick the step's minibatch here).
    public typealias InnerLoss = @Sendable ([Tensor<Scalar>], Hyperparameters<Scalar>, Int) -> Tensor<Scalar>
    /// `E(w, λ)`: the validation loss of the final weights.
    public typealias OuterLoss = @Sendable ([Tensor<Scalar>], Hyperparameters<Scalar>) -> Tensor<Scalar>

    public var initialWeights: [Tensor<Scalar>]
    public var steps: Int
    public var optimizer: Optimizer
    public var innerLoss: InnerLoss
    public var outerLoss: OuterLoss

    public init(
        initialWeights: [Tensor<Scalar>], steps: Int, optimizer: Optimizer,
        innerLoss: @escaping InnerLoss, outerLoss: @escaping OuterLoss
    ) {
        precondition(steps >= 0, "BilevelProblem: negative number of steps \(steps)")
        precondition(!initialWeights.isEmpty, "BilevelProblem: no weights")
        self.initialWeights = initialWeights.map(\.detached)
        self.steps = steps
        self.optimizer = optimizer
        self.innerLoss = innerLoss
        self.outerLoss = outerLoss
    }

    /// The number of weight tensors; the state is these followed by the optimizer's slots.
    @inlinable
    public var weightCount: Int { initialWeights.count }

    /// `s_0`: the initial weights and zero slots.
    @inlinable
    public var initialState: [Tensor<Scalar>] {
        initialWeights + optimizer.initialSlots(for: initialWeights)
    }

    /// The weights part of a state.
    @inlinable
    public func weights(of state: [Tensor<Scalar>]) -> [Tensor<Scalar>] {
        Array(state[0..<weightCount])
    }

    /// One training step `Φ_t(s, λ)`. Differentiable in `state` and `hyperparameters`: the
    /// inner gradient is itself computed by the engine, so differentiating a step differentiates
    /// through a gradient (Hessian–vector products of J).
    @inlinable
    public func step(_ state: [Tensor<Scalar>], _ hyperparameters: Hyperparameters<Scalar>, iteration t: Int) -> [Tensor<Scalar>] {
        let w = weights(of: state)
        let slots = Array(state[weightCount...])
        let g = gradient(at: w) { w in innerLoss(w, hyperparameters, t) }
        let next = optimizer.step(weights: w, slots: slots, gradients: g, hyperparameters: hyperparameters, iteration: t)
        return next.weights + next.slots
    }

    /// Trains from `s_0` for all steps with λ fixed and returns the final state (no derivatives).
    @inlinable
    public func train(_ hyperparameters: Hyperparameters<Scalar>) -> [Tensor<Scalar>] {
        var s = initialState
        for t in 1...Swift.max(1, steps) where t <= steps {
            s = step(s, hyperparameters, iteration: t)
        }
        return s
    }

    /// `f(λ)`: the outer loss after training.
    @inlinable
    public func objective(_ hyperparameters: Hyperparameters<Scalar>) -> Scalar {
        outerLoss(weights(of: train(hyperparameters)), hyperparameters).scalar
    }
}

/// The result of a hypergradient computation.
public struct Hypergradient<Scalar: TensorScalar>: Sendable {
    /// `f(λ)`, the outer loss at the final weights.
    public var value: Scalar
    /// `∇f(λ)`, with the names and shapes of λ.
    public var gradient: Hyperparameters<Scalar>
    /// The weights training reached (`w_T`).
    public var finalWeights: [Tensor<Scalar>]
    /// The largest number of states held at once (memory ≈ this × |s|).
    public var storedStates: Int

    @inlinable
    public init(value: Scalar, gradient: Hyperparameters<Scalar>, finalWeights: [Tensor<Scalar>], storedStates: Int) {
        self.value = value
        self.gradient = gradient
        self.finalWeights = finalWeights
        self.storedStates = storedStates
    }
}

/// A way of computing `∇f(λ)` for a bilevel problem.
public protocol HypergradientMethod: Sendable {
    func hypergradient<Optimizer: DifferentiableOptimizer>(
        of problem: BilevelProblem<Optimizer>, at hyperparameters: Hyperparameters<Optimizer.Scalar>
    ) -> Hypergradient<Optimizer.Scalar>
}

extension BilevelProblem {
    /// `E(w_T, λ)` and its gradients with respect to the final state (weights; zero for the
    /// slots) and, directly, to λ.
    @inlinable
    func outerValueAndGradients(_ state: [Tensor<Scalar>], _ hyperparameters: Hyperparameters<Scalar>)
        -> (value: Scalar, state: [Tensor<Scalar>], hyperparameters: [Tensor<Scalar>])
    {
        let w = weights(of: state)
        let (e, g) = valueWithGradient(at: w + hyperparameters.values) { x in
            outerLoss(Array(x[0..<weightCount]), hyperparameters.with(values: Array(x[weightCount...])))
        }
        let slotZeros = state[weightCount...].map { Tensor<Scalar>(zeros: $0.shape) }
        return (e.scalar, Array(g[0..<weightCount]) + slotZeros, Array(g[weightCount...]))
    }
}
