import Autograd

/// An inner optimizer written with differentiable operations, so that one training step
/// `s_t = Φ_t(s_{t−1}, λ)` can be differentiated with respect to the state (weights and the
/// optimizer's slots: velocities, moments) and to the hyperparameters, including the
/// optimizer's own (learning rate, momentum, β₁, β₂).
///
/// The state is `weights ++ slots`, with ``slotsPerWeight`` slot tensors per weight tensor,
/// slot `j` of weight `i` at index `j · weights.count + i` of the slots.
public protocol DifferentiableOptimizer<Scalar>: Sendable {
    associatedtype Scalar: TensorScalar

    /// How many state tensors the optimizer keeps per weight tensor (0 for gradient descent).
    var slotsPerWeight: Int { get }

    /// One step from `weights` and `slots` given `gradients` of the inner loss at `weights`,
    /// at `iteration` (1-based, for bias corrections and schedules).
    func step(
        weights: [Tensor<Scalar>], slots: [Tensor<Scalar>], gradients: [Tensor<Scalar>],
        hyperparameters: Hyperparameters<Scalar>, iteration: Int
    ) -> (weights: [Tensor<Scalar>], slots: [Tensor<Scalar>])
}

extension DifferentiableOptimizer {
    /// Zero slots for `weights`.
    @inlinable
    public func initialSlots(for weights: [Tensor<Scalar>]) -> [Tensor<Scalar>] {
        (0..<slotsPerWeight).flatMap { _ in weights.map { Tensor<Scalar>(zeros: $0.shape) } }
    }
}

/// Gradient descent: `w ← w − η ∇J`.
public struct GradientDescent<Scalar: TensorScalar>: DifferentiableOptimizer {
    public var learningRate: OptimizerSetting<Scalar>

    public init(learningRate: OptimizerSetting<Scalar>) { self.learningRate = learningRate }

    @inlinable

    public var slotsPerWeight: Int { 0 }

    @inlinable

    public func step(
        weights: [Tensor<Scalar>], slots: [Tensor<Scalar>], gradients: [Tensor<Scalar>],
        hyperparameters: Hyperparameters<Scalar>, iteration: Int
    ) -> (weights: [Tensor<Scalar>], slots: [Tensor<Scalar>]) {
        let eta = learningRate.value(hyperparameters)
        return (zip(weights, gradients).map { $0 - eta * $1 }, [])
    }
}

/// Momentum SGD: heavy ball, the "GDM" of Franceschi et al. (2017), `v ← μ v + ∇J`,
/// `w ← w − η v`; or, with `nesterov`, Nesterov momentum in the form of Sutskever et al. (2013)
/// as implemented by PyTorch, `v ← μ v + ∇J`, `w ← w − η (∇J + μ v)`.
public struct HeavyBall<Scalar: TensorScalar>: DifferentiableOptimizer {
    public var learningRate: OptimizerSetting<Scalar>
    public var momentum: OptimizerSetting<Scalar>
    public var nesterov: Bool

    public init(learningRate: OptimizerSetting<Scalar>, momentum: OptimizerSetting<Scalar>, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
    }

    @inlinable
    public var slotsPerWeight: Int { 1 }

    @inlinable
    public func step(
        weights: [Tensor<Scalar>], slots: [Tensor<Scalar>], gradients: [Tensor<Scalar>],
        hyperparameters: Hyperparameters<Scalar>, iteration: Int
    ) -> (weights: [Tensor<Scalar>], slots: [Tensor<Scalar>]) {
        let eta = learningRate.value(hyperparameters), mu = momentum.value(hyperparameters)
        let velocities = zip(slots, gradients).map { mu * $0 + $1 }
        let updated = weights.indices.map { i in
            weights[i] - eta * (nesterov ? gradients[i] + mu * velocities[i] : velocities[i])
        }
        return (updated, velocities)
    }
}

/// Adam (Kingma & Ba 2015) with bias correction, written to be differentiable at zero second
/// moment:
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `w ← w − η m̂ / √(v̂ + ε)` with
/// `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)`.
///
/// ε sits inside the square root: `√v̂` has an infinite derivative at `v̂ = 0` (every weight
/// whose gradient has been zero so far), `√(v̂ + ε)` does not. With the default `ε = 1e-8` the
/// update differs from the `√v̂ + ε` form only where `v̂ ≲ 1e-8`.
public struct Adam<Scalar: TensorScalar>: DifferentiableOptimizer {
    public var learningRate: OptimizerSetting<Scalar>
    public var beta1: OptimizerSetting<Scalar>
    public var beta2: OptimizerSetting<Scalar>
    public var epsilon: Scalar

    public init(
        learningRate: OptimizerSetting<Scalar>, beta1: OptimizerSetting<Scalar> = 0.9,
        beta2: OptimizerSetting<Scalar> = 0.999, epsilon: Scalar = 1e-8
    ) {
        precondition(epsilon > 0, "Adam: epsilon must be positive, got \(epsilon)")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    @inlinable

    public var slotsPerWeight: Int { 2 }

    @inlinable

    public func step(
        weights: [Tensor<Scalar>], slots: [Tensor<Scalar>], gradients: [Tensor<Scalar>],
        hyperparameters: Hyperparameters<Scalar>, iteration: Int
    ) -> (weights: [Tensor<Scalar>], slots: [Tensor<Scalar>]) {
        let n = weights.count
        let eta = learningRate.value(hyperparameters)
        let b1 = beta1.value(hyperparameters), b2 = beta2.value(hyperparameters)
        let t = Scalar(iteration)
        let correction1 = 1 - pow(b1, t), correction2 = 1 - pow(b2, t)
        var first: [Tensor<Scalar>] = [], second: [Tensor<Scalar>] = [], updated: [Tensor<Scalar>] = []
        for i in 0..<n {
            let g = gradients[i]
            let m = b1 * slots[i] + (1 - b1) * g
            let v = b2 * slots[n + i] + (1 - b2) * (g * g)
            updated.append(weights[i] - eta * (m / correction1) / sqrt(v / correction2 + epsilon))
            first.append(m)
            second.append(v)
        }
        return (updated, first + second)
    }
}
