import Autograd
import RealModule

/// The optimizer of the outer problem: updates λ along the hypergradient, then projects each
/// hyperparameter onto its constraint.
public struct OuterOptimizer<Scalar: TensorScalar>: Sendable {
    public enum Rule: Sendable, Equatable {
        /// `λ ← λ − η ∇f`.
        case sgd(learningRate: Scalar)
        /// Adam (Kingma & Ba 2015) with bias correction: `λ ← λ − η m̂ / (√v̂ + ε)`.
        case adam(learningRate: Scalar, beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8)
    }

    public let rule: Rule
    /// Constraints by hyperparameter name; names not listed are unconstrained.
    public let constraints: [String: Constraint<Scalar>]
    /// Step multipliers by hyperparameter name (1 for names not listed): per-hyperparameter
    /// learning rates, for hyperparameters of different magnitudes (a learning rate near 0.05
    /// beside a loss weight near 1, say), whose Adam steps would otherwise all be about the
    /// learning rate in size.
    public let stepScales: [String: Scalar]
    var first: [Tensor<Scalar>] = []
    var second: [Tensor<Scalar>] = []
    var iteration = 0

    public init(_ rule: Rule, constraints: [String: Constraint<Scalar>] = [:], stepScales: [String: Scalar] = [:]) {
        self.rule = rule
        self.constraints = constraints
        self.stepScales = stepScales
    }

    /// Checks that every constrained name exists and every constraint is feasible for its shape.
    public func validate(for hyperparameters: Hyperparameters<Scalar>) throws(ConstraintError) {
        for (name, constraint) in constraints.sorted(by: { $0.key < $1.key }) {
            guard hyperparameters.contains(name) else {
                throw ConstraintError(description: "constraint on '\(name)', but the problem's hyperparameters are \(hyperparameters.names)")
            }
            try constraint.validate(count: hyperparameters[name].scalarCount)
        }
        for (name, scale) in stepScales.sorted(by: { $0.key < $1.key }) {
            guard hyperparameters.contains(name) else {
                throw ConstraintError(description: "step scale for '\(name)', but the problem's hyperparameters are \(hyperparameters.names)")
            }
            guard scale > 0, scale.isFinite else { throw ConstraintError(description: "the step scale of '\(name)' must be positive, got \(scale)") }
        }
        switch rule {
        case let .sgd(eta), let .adam(eta, _, _, _):
            guard eta > 0, eta.isFinite else { throw ConstraintError(description: "outer learning rate must be positive, got \(eta)") }
        }
    }

    /// `λ` projected onto the constraints.
    public func project(_ hyperparameters: Hyperparameters<Scalar>) -> Hyperparameters<Scalar> {
        hyperparameters.with(values: zip(hyperparameters.names, hyperparameters.values).map { name, v in
            constraints[name]?.project(v) ?? v
        })
    }

    /// One step along `gradient`, then the projection.
    /// - Complexity: O(|λ|), plus O(|λ| log |λ|) for constraints with a sum.
    public mutating func update(_ hyperparameters: inout Hyperparameters<Scalar>, along gradient: Hyperparameters<Scalar>) {
        precondition(gradient.names == hyperparameters.names, "OuterOptimizer: gradient names \(gradient.names) differ from \(hyperparameters.names)")
        iteration += 1
        var values = hyperparameters.values
        switch rule {
        case let .sgd(eta):
            for i in values.indices { values[i] = values[i] - eta * scale(i, hyperparameters) * gradient.values[i] }
        case let .adam(eta, b1, b2, eps):
            if first.isEmpty {
                first = values.map { Tensor(zeros: $0.shape) }
                second = first
            }
            let t = Scalar(iteration)
            let c1 = 1 - Scalar.pow(b1, t), c2 = 1 - Scalar.pow(b2, t)
            for i in values.indices {
                let g = gradient.values[i]
                first[i] = first[i] * b1 + g * (1 - b1)
                second[i] = second[i] * b2 + g * g * (1 - b2)
                values[i] = values[i] - eta * scale(i, hyperparameters) * (first[i] / c1) / (sqrt(second[i] / c2) + eps)
            }
        }
        hyperparameters = project(hyperparameters.with(values: values))
    }

    func scale(_ i: Int, _ hyperparameters: Hyperparameters<Scalar>) -> Scalar {
        stepScales[hyperparameters.names[i]] ?? 1
    }
}
