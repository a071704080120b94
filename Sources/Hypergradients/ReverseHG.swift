import Autograd

/// REVERSE-HG (Franceschi et al. 2017, Algorithm 1): the hypergradient by reverse-mode
/// differentiation through training.
///
/// Training runs forward storing the states `s_0 … s_{T−1}`; then, from `α_T = ∇_s E(s_T)`, a
/// backward sweep recomputes each step's local graph and applies its vector–Jacobian product:
/// `g ← g + α_t B_t`, `α_{t−1} = α_t A_t`, with `A_t = ∂Φ_t/∂s` and `B_t = ∂Φ_t/∂λ` (the
/// products involve Hessian–vector products of the inner loss, obtained by differentiating
/// through the inner gradient). The direct term `∂E/∂λ` is included.
///
/// - Memory: `(T+1)·|s|` states; with ``checkpointInterval`` `k`, about `(T/k + k)·|s|`
///   (`k ≈ √T` gives `2√T·|s|`), at the price of recomputing each segment once. The result is
///   bit-identical to the full sweep: the recomputed states are the same computations.
/// - ``truncation`` `K` back-propagates through the last `K` steps only (Shaban et al., AISTATS
///   2019): the earlier terms of the sum are dropped. `K = T` is the full hypergradient.
/// - Complexity: about 3× the training time (one forward, one recomputation and one
///   vector–Jacobian product of each step, the last costing about two gradient evaluations).
public struct ReverseHG: HypergradientMethod {
    /// Store every `k`-th state and recompute the others; `nil` stores all.
    public var checkpointInterval: Int?
    /// Back-propagate through the last `K` steps only; `nil` through all.
    public var truncation: Int?

    public init(checkpointInterval: Int? = nil, truncation: Int? = nil) {
        if let k = checkpointInterval { precondition(k >= 1, "ReverseHG: checkpoint interval must be at least 1, got \(k)") }
        if let k = truncation { precondition(k >= 0, "ReverseHG: negative truncation \(k)") }
        self.checkpointInterval = checkpointInterval
        self.truncation = truncation
    }

    @inlinable
    public func hypergradient<Optimizer: DifferentiableOptimizer>(
        of problem: BilevelProblem<Optimizer>, at hyperparameters: Hyperparameters<Optimizer.Scalar>
    ) -> Hypergradient<Optimizer.Scalar> {
        typealias S = Optimizer.Scalar
        let T = problem.steps
        let lambda = hyperparameters.with(values: hyperparameters.values.map(\.detached))
        let b = T - min(truncation ?? T, T)  // the sweep needs the states s_b … s_{T−1}
        let k = checkpointInterval ?? 1

        // Forward, keeping the checkpoints s_b, s_{b+k}, s_{b+2k}, … below T.
        var checkpoints: [Int: [Tensor<S>]] = [:]
        var state = problem.initialState
        for t in 0..<T {
            if t >= b && (t - b) % k == 0 { checkpoints[t] = state }
            state = problem.step(state, lambda, iteration: t + 1)
        }
        var peak = checkpoints.count + 1

        // The outer loss and its gradients at s_T.
        let outer = problem.outerValueAndGradients(state, lambda)
        var alpha = outer.state
        var g = outer.hyperparameters
        let finalWeights = problem.weights(of: state)

        // Backward over the segments of steps c+1 … c+k, the latest first: recompute the states
        // of the segment from its checkpoint, then apply each step's vector–Jacobian product.
        if T > b {
            var c = b + (T - 1 - b) / k * k
            while c >= b {
                let end = min(T - 1, c + k - 1)
                var states = [checkpoints[c]!]
                for t in c..<end { states.append(problem.step(states[states.count - 1], lambda, iteration: t + 1)) }
                peak = max(peak, checkpoints.count + states.count)
                for t in stride(from: end, through: c, by: -1) {
                    let previous = states[t - c]
                    let (_, pullback) = valueWithPullback(at: previous + lambda.values) { x in
                        problem.step(
                            Array(x[0..<previous.count]), lambda.with(values: Array(x[previous.count...])),
                            iteration: t + 1)
                    }
                    let cotangents = pullback(alpha)
                    alpha = Array(cotangents[0..<previous.count])
                    for i in g.indices { g[i] = g[i] + cotangents[previous.count + i] }
                }
                checkpoints[c] = nil
                c -= k
            }
        }
        return Hypergradient(
            value: outer.value, gradient: lambda.with(values: g), finalWeights: finalWeights,
            storedStates: peak)
    }
}
