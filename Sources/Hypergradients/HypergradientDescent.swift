import Autograd
import RealModule

/// Training optimizers that adapt their learning rate online by hypergradient descent (Baydin et
/// al., "Online Learning Rate Adaptation with Hypergradient Descent", ICLR 2018): SGD-HD,
/// SGDN-HD and Adam-HD, in the additive and the multiplicative variant.
///
/// With `g_t = ∇f(θ_{t−1})` and `d_{t−1} = ∇_α u_{t−1}` the derivative of the previous update with
/// respect to the learning rate, the hypergradient is `h_t = g_t · d_{t−1}` and
/// - additive: `α_t = α_{t−1} − β h_t`;
/// - multiplicative: `α_t = α_{t−1} (1 − β h_t / (‖g_t‖ ‖d_{t−1}‖))`;
///
/// then `θ_t = θ_{t−1} + α_t d_t`, where `d_t` is `−g_t` (SGD), `−(g_t + μ v_t)` with
/// `v_t = μ v_{t−1} + g_t` (SGD with Nesterov momentum), or `−m̂_t / (√v̂_t + ε)` (Adam).
/// The learning rate never falls below ``minimumLearningRate`` (the additive rule can otherwise
/// drive it negative). The paper recommends `β = 0.001` for SGD-HD and SGDN-HD with `α₀ = 0.001`,
/// and `β = 1e-7` (logistic regression, MLP) to `1e-8` (VGG) for Adam-HD.
public struct HypergradientDescent<Scalar: TensorScalar>: Sendable {
    public enum Base: Sendable, Equatable {
        case sgd
        case sgdNesterov(momentum: Scalar)
        case adam(beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8)
    }

    public enum Variant: Sendable, Equatable { case additive, multiplicative }

    public let base: Base
    public let variant: Variant
    /// `β`, the learning rate of the learning rate.
    public let hypergradientLearningRate: Scalar
    public let minimumLearningRate: Scalar
    /// `α_t`, the current learning rate.
    public private(set) var learningRate: Scalar
    /// Steps taken so far.
    public private(set) var iteration = 0
    var direction: [Tensor<Scalar>] = []  // d_{t−1}
    var velocity: [Tensor<Scalar>] = []
    var first: [Tensor<Scalar>] = []
    var second: [Tensor<Scalar>] = []

    public init(
        _ base: Base, learningRate: Scalar, hypergradientLearningRate: Scalar,
        variant: Variant = .additive, minimumLearningRate: Scalar = 1e-10
    ) {
        precondition(learningRate > 0, "HypergradientDescent: initial learning rate must be positive, got \(learningRate)")
        precondition(hypergradientLearningRate >= 0, "HypergradientDescent: negative hypergradient learning rate \(hypergradientLearningRate)")
        precondition(minimumLearningRate > 0, "HypergradientDescent: the learning-rate floor must be positive, got \(minimumLearningRate)")
        self.base = base
        self.variant = variant
        self.learningRate = learningRate
        self.hypergradientLearningRate = hypergradientLearningRate
        self.minimumLearningRate = minimumLearningRate
    }

    /// One step on `parameters` given `gradients` at the current parameters: adapt the learning
    /// rate, then update.
    /// - Complexity: O(number of parameters).
    public mutating func update(_ parameters: inout [Tensor<Scalar>], along gradients: [Tensor<Scalar>]) {
        precondition(parameters.count == gradients.count, "HypergradientDescent: \(gradients.count) gradients for \(parameters.count) parameters")
        let g = gradients.map(\.detached)
        iteration += 1
        if !direction.isEmpty {
            let h = TensorList.dot(g, direction).scalar
            switch variant {
            case .additive:
                learningRate -= hypergradientLearningRate * h
            case .multiplicative:
                let norms = (TensorList.dot(g, g).scalar * TensorList.dot(direction, direction).scalar).squareRoot()
                if norms > 0 { learningRate *= 1 - hypergradientLearningRate * h / norms }
            }
            learningRate = Swift.max(learningRate, minimumLearningRate)
        }
        switch base {
        case .sgd:
            direction = g.map { -$0 }
        case let .sgdNesterov(mu):
            if velocity.isEmpty { velocity = g.map { Tensor(zeros: $0.shape) } }
            velocity = zip(velocity, g).map { $0 * mu + $1 }
            direction = zip(g, velocity).map { -($0 + $1 * mu) }
        case let .adam(b1, b2, eps):
            if first.isEmpty {
                first = g.map { Tensor(zeros: $0.shape) }
                second = first
            }
            let t = Scalar(iteration)
            first = zip(first, g).map { $0 * b1 + $1 * (1 - b1) }
            second = zip(second, g).map { $0 * b2 + $1 * $1 * (1 - b2) }
            let c1 = 1 - Scalar.pow(b1, t), c2 = 1 - Scalar.pow(b2, t)
            direction = zip(first, second).map { m, v in -(m / c1) / (sqrt(v / c2) + eps) }
        }
        for i in parameters.indices { parameters[i] = parameters[i].detached + direction[i] * learningRate }
    }
}
