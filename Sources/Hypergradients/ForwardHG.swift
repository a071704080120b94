import Autograd

/// FORWARD-HG (Franceschi et al. 2017, Algorithm 2): the hypergradient by forward-mode
/// differentiation alongside training.
///
/// For each scalar hyperparameter direction `e_j` the tangent `Z_t = ds_t/dλ_j` is carried with
/// the state: `Z_t = A_t Z_{t−1} + B_t e_j`, a Jacobian–vector product of one step. At the end
/// `∂f/∂λ_j = ∇_s E(s_T) Z_T + ∂E/∂λ_j`.
///
/// - Memory: `m·|s|` for `m` scalar hyperparameters, independent of `T`.
/// - Complexity: about `m` times the training time (each step's JVP costs about one training
///   step, since a matrix product and its tangent share one pass over the data). Forward mode
///   suits few hyperparameters (a learning rate, a momentum, a regularisation strength); for
///   many (one per example) use ``ReverseHG``.
public struct ForwardHG: HypergradientMethod {
    /// The hyperparameters to differentiate (`nil`: all). The others get a zero hypergradient.
    public var names: [String]?

    public init(names: [String]? = nil) { self.names = names }

    @inlinable
    public func hypergradient<Optimizer: DifferentiableOptimizer>(
        of problem: BilevelProblem<Optimizer>, at hyperparameters: Hyperparameters<Optimizer.Scalar>
    ) -> Hypergradient<Optimizer.Scalar> {
        let lambda = hyperparameters.with(values: hyperparameters.values.map(\.detached))
        var sensitivities = ForwardSensitivities(problem: problem, hyperparameters: lambda, names: names)
        for t in stride(from: 1, through: problem.steps, by: 1) {
            sensitivities.advance(problem, lambda, iteration: t)
        }
        let (value, gradient) = sensitivities.hypergradient(lambda) { w, l in problem.outerLoss(w, l) }
        return Hypergradient(
            value: value, gradient: lambda.with(values: gradient),
            finalWeights: problem.weights(of: sensitivities.state),
            storedStates: 1 + sensitivities.directions.count)
    }
}

/// The state of training together with its tangents `Z = ds/dλ_j` along the basis directions of
/// the selected hyperparameters — the shared engine of ``ForwardHG`` and ``RealTimeHO``.
@usableFromInline
struct ForwardSensitivities<Optimizer: DifferentiableOptimizer> {
    @usableFromInline typealias S = Optimizer.Scalar
    @usableFromInline let weightCount: Int
    /// Which hyperparameters are differentiated (`nil`: all).
    @usableFromInline let names: [String]?
    /// The basis directions `e_j`: one per selected scalar hyperparameter.
    @usableFromInline let directions: [[Tensor<S>]]
    @usableFromInline var state: [Tensor<S>]
    @usableFromInline var tangents: [[Tensor<S>]]

    @inlinable
    init(problem: BilevelProblem<Optimizer>, hyperparameters lambda: Hyperparameters<S>, names: [String]?) {
        if let names {
            for name in names {
                precondition(lambda.contains(name), "forward hypergradient: no hyperparameter named '\(name)'; the problem has \(lambda.names)")
            }
        }
        var directions: [[Tensor<S>]] = []
        for (i, v) in lambda.values.enumerated() where names?.contains(lambda.names[i]) ?? true {
            for j in 0..<v.scalarCount {
                var e = Tensor<S>(zeros: v.shape)
                e.withUnsafeMutableBufferPointer { $0[j] = 1 }
                directions.append(lambda.values.indices.map { $0 == i ? e : Tensor<S>(zeros: lambda.values[$0].shape) })
            }
        }
        self.weightCount = problem.weightCount
        self.names = names
        self.directions = directions
        self.state = problem.initialState
        self.tangents = []
        resetTangents()
    }

    /// Restarts the tangents from zero (the state itself is kept).
    @inlinable
    mutating func resetTangents() {
        tangents = directions.map { _ in state.map { Tensor<S>(zeros: $0.shape) } }
    }

    /// One training step `s_t = Φ_t(s_{t−1}, λ)` with `Z_t = A_t Z_{t−1} + B_t e_j` for every j.
    /// - Complexity: one evaluation of the step plus one tangent evaluation per direction, in a
    ///   single forward-mode pass.
    @inlinable
    mutating func advance(_ problem: BilevelProblem<Optimizer>, _ lambda: Hyperparameters<S>, iteration t: Int) {
        let n = state.count
        guard !directions.isEmpty else {
            state = problem.step(state, lambda, iteration: t)
            return
        }
        let (values, z) = jvp(at: state + lambda.values, alongDirections: directions.indices.map { tangents[$0] + directions[$0] }) { x in
            problem.step(Array(x[0..<n]), lambda.with(values: Array(x[n...])), iteration: t)
        }
        state = values
        tangents = z
    }

    /// `loss(w, λ)` at the current weights and its hypergradient `∇_w loss · Z_w + ∂loss/∂λ`,
    /// in one forward-mode pass over all directions, as tensors of λ's shapes (zero for
    /// hyperparameters not selected).
    @inlinable
    func hypergradient(_ lambda: Hyperparameters<S>, loss: ([Tensor<S>], Hyperparameters<S>) -> Tensor<S>) -> (value: S, gradient: [Tensor<S>]) {
        let w = Array(state[0..<weightCount])
        var gradient = lambda.values.map { Tensor<S>(zeros: $0.shape) }
        guard !directions.isEmpty else { return (loss(w, lambda).scalar, gradient) }
        let (value, tangent) = jvp(at: w + lambda.values, alongDirections: directions.indices.map { Array(tangents[$0][0..<w.count]) + directions[$0] }) { x in
            [loss(Array(x[0..<w.count]), lambda.with(values: Array(x[w.count...])))]
        }
        let components = tangent.map { $0[0].scalar }
        var next = 0
        for (i, v) in lambda.values.enumerated() where names?.contains(lambda.names[i]) ?? true {
            gradient[i].withUnsafeMutableBufferPointer { p in
                for j in 0..<v.scalarCount { p[j] = components[next + j] }
            }
            next += v.scalarCount
        }
        return (value[0].scalar, gradient)
}
}
