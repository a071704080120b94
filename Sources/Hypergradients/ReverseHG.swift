import Autograd

/// REVERSE-HG (Franceschi et al. 2017, Algorithm 1): the hypergradient by reverse-mode
/// differentiation through training.
///
/// From `α_T = ∇_s E(s_T)` a backward sweep applies each step's vector–Jacobian product:
/// `g ← g + α_t B_t`, `α_{t−1} = α_t A_t`, with `A_t = ∂Φ_t/∂s` and `B_t = ∂Φ_t/∂λ` (products that
/// involve Hessian–vector products of the inner loss, obtained by differentiating through the
/// inner gradient). The direct term `∂E/∂λ` is included. What the forward pass keeps for the
/// sweep is the ``Storage`` policy:
///
/// | storage | memory | time (× training) |
/// |---|---|---|
/// | ``Storage/states`` | `(T+1)·|s|` + one step graph | ≈ 3: each step is recomputed once, recorded, in the sweep |
/// | ``Storage/checkpoints(every:)`` `k` | `(T/k + k)·|s|` + one step graph | ≈ 4: segments are also recomputed plainly |
/// | ``Storage/stepGraphs`` | `T` step graphs | ≈ 2: nothing is recomputed |
///
/// A step graph holds what the step's derivative needs (for softmax regression, the logits and
/// probabilities of the batch), usually more than the state. All policies give bit-identical
/// results: recomputed and recorded steps run the same kernels as plain training.
///
/// ``truncation`` `K` back-propagates through the last `K` steps only (Shaban et al., AISTATS
/// 2019), dropping the earlier terms of the sum; `K = T` is the full hypergradient.
public struct ReverseHG: HypergradientMethod {
    public enum Storage: Sendable, Equatable {
        /// Keep the states `s_0 … s_{T−1}`; recompute each step's graph in the sweep.
        case states
        /// Keep every `k`-th state; recompute each segment of `k` steps from its checkpoint before
        /// sweeping it. `k ≈ √T` minimises memory (about `2√T` states).
        case checkpoints(every: Int)
        /// Record every step's graph while training; sweep back without recomputation.
        case stepGraphs
    }

    public var storage: Storage
    /// Back-propagate through the last `K` steps only; `nil` through all.
    public var truncation: Int?

    @inlinable
    public init(storage: Storage = .states, truncation: Int? = nil) {
        if case let .checkpoints(k) = storage {
            precondition(k >= 1, "ReverseHG: checkpoint interval must be at least 1, got \(k)")
        }
        if let k = truncation { precondition(k >= 0, "ReverseHG: negative truncation \(k)") }
        self.storage = storage
        self.truncation = truncation
    }

    @inlinable
    public func hypergradient<Optimizer: DifferentiableOptimizer>(
        of problem: BilevelProblem<Optimizer>, at hyperparameters: Hyperparameters<Optimizer.Scalar>
    ) -> Hypergradient<Optimizer.Scalar> {
        typealias S = Optimizer.Scalar
        let T = problem.steps
        let lambda = hyperparameters.with(values: hyperparameters.values.map(\.detached))
        let b = T - min(truncation ?? T, T)  // the sweep covers steps b+1 … T
        var interval = 1
        if case let .checkpoints(k) = storage { interval = k }

        /// Step t+1 from `state`, recorded: the next state and the step's pullback.
        func recordedStep(_ state: [Tensor<S>], _ t: Int) -> ([Tensor<S>], Pullback<S>) {
            let n = state.count
            let (next, pullback) = valueWithPullback(at: state + lambda.values) { x in
                problem.step(Array(x[0..<n]), lambda.with(values: Array(x[n...])), iteration: t + 1)
            }
            return (next, pullback)
        }

        // Forward: plain steps, keeping checkpoints s_b, s_{b+k}, …; or recorded steps.
        var checkpoints: [Int: [Tensor<S>]] = [:]
        var graphs: [Pullback<S>] = []
        var state = problem.initialState
        for t in 0..<T {
            if storage == .stepGraphs && t >= b {
                let (next, pullback) = recordedStep(state, t)
                graphs.append(pullback)
                state = next
            } else {
                if storage != .stepGraphs && t >= b && (t - b) % interval == 0 { checkpoints[t] = state }
                state = problem.step(state, lambda, iteration: t + 1)
            }
        }
        var peak = checkpoints.count + graphs.count + 1

        let outer = problem.outerValueAndGradients(state, lambda)
        var alpha = outer.state
        var g = outer.hyperparameters
        let finalWeights = problem.weights(of: state)
        let stateCount = state.count

        /// α ← α A_t, g ← g + α B_t for one step's pullback.
        func sweep(_ pullback: Pullback<S>) {
            let cotangents = pullback(alpha)
            alpha = Array(cotangents[0..<stateCount])
            for i in g.indices { g[i] = g[i] + cotangents[stateCount + i] }
        }

        if storage == .stepGraphs {
            while let pullback = graphs.popLast() { sweep(pullback) }
        } else if T > b {
            // Segments of steps c+1 … c+k, the latest first: recompute the segment's states from
            // its checkpoint, then record and sweep back one step at a time (one step graph alive).
            var c = b + (T - 1 - b) / interval * interval
            while c >= b {
                let end = min(T - 1, c + interval - 1)
                var states = [checkpoints.removeValue(forKey: c)!]
                for t in c..<end { states.append(problem.step(states[states.count - 1], lambda, iteration: t + 1)) }
                peak = max(peak, checkpoints.count + states.count + 1)
                for t in stride(from: end, through: c, by: -1) {
                    sweep(recordedStep(states.removeLast(), t).1)
                }
                c -= interval
            }
        }
        return Hypergradient(
            value: outer.value, gradient: lambda.with(values: g), finalWeights: finalWeights,
            storedStates: peak)
    }
}
