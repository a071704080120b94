import Autograd

/// The hypergradient by implicit differentiation at an (approximate) inner optimum (Pedregosa
/// 2016, "HOAG"; Lorraine et al. 2020).
///
/// If `∇_w J(w*, λ) = 0` then `dw*/dλ = −H⁻¹ ∂²J/∂w∂λ` with `H = ∂²J/∂w²`, so
/// `∇f = ∂E/∂λ − (∂²J/∂λ∂w) q` where `H q = ∂E/∂w`. The system is solved without forming `H`:
/// by conjugate gradient on Hessian–vector products, or approximately by the Neumann series
/// `q ≈ α Σ_{j=0}^{K} (I − αH)^j ∂E/∂w`. The weights are those `T` training steps reach, and `J`
/// is the inner loss at step `lossIteration` (use a full-batch loss there).
///
/// Only hyperparameters that act through the inner loss get a hypergradient this way; those of
/// the optimizer (learning rate, momentum) do not affect the optimum and get zero.
/// - Complexity: training, plus one Hessian–vector product per CG iteration or Neumann term, plus
///   one mixed second derivative.
public struct ImplicitHG: HypergradientMethod {
    public enum Solver: Sendable, Equatable {
        /// Conjugate gradient, stopping after `iterations` or when the residual norm falls below
        /// `relativeTolerance` times that of the right-hand side. `H` must be positive definite.
        case conjugateGradient(iterations: Int, relativeTolerance: Double = 1e-10)
        /// `K` terms of the Neumann series with step `α` (converges when `0 < α < 2/λ_max(H)`).
        case neumann(terms: Int, stepSize: Double)
    }

    public var solver: Solver
    /// The step whose inner loss defines the optimum (default: the last).
    public var lossIteration: Int?

    public init(solver: Solver = .conjugateGradient(iterations: 100), lossIteration: Int? = nil) {
        self.solver = solver
        self.lossIteration = lossIteration
    }

    @inlinable
    public func hypergradient<Optimizer: DifferentiableOptimizer>(
        of problem: BilevelProblem<Optimizer>, at hyperparameters: Hyperparameters<Optimizer.Scalar>
    ) -> Hypergradient<Optimizer.Scalar> {
        typealias S = Optimizer.Scalar
        let lambda = hyperparameters.with(values: hyperparameters.values.map(\.detached))
        let w = problem.weights(of: problem.train(lambda))
        let iteration = lossIteration ?? max(1, problem.steps)
        let inner: ([Tensor<S>], Hyperparameters<S>) -> Tensor<S> = { w, l in problem.innerLoss(w, l, iteration) }

        let (value, outerGradient) = valueWithGradient(at: w + lambda.values) { x in
            problem.outerLoss(Array(x[0..<w.count]), lambda.with(values: Array(x[w.count...])))
        }
        let dEdw = Array(outerGradient[0..<w.count]), dEdl = Array(outerGradient[w.count...])
        let hvp: ([Tensor<S>]) -> [Tensor<S>] = { v in
            hessianVectorProduct(at: w, along: v) { w in inner(w, lambda) }
        }
        let q = solve(hvp, dEdw)
        // (∂²J/∂λ∂w) q = ∇_λ ⟨q, ∇_w J(w, λ)⟩.
        let mixed = gradient(at: lambda.values) { l in
            let g = gradient(at: w) { w in inner(w, lambda.with(values: l)) }
            return TensorList.dot(g, q)
        }
        let result = zip(dEdl, mixed).map { $0 - $1 }
        return Hypergradient(value: value.scalar, gradient: lambda.with(values: result), finalWeights: w, storedStates: 1)
    }

    /// `q` with `H q ≈ b`.
    @inlinable
    func solve<S: TensorScalar>(_ hvp: ([Tensor<S>]) -> [Tensor<S>], _ b: [Tensor<S>]) -> [Tensor<S>] {
        switch solver {
        case let .conjugateGradient(iterations, relativeTolerance):
            var x = b.map { Tensor<S>(zeros: $0.shape) }
            var r = b, p = b
            var rr = TensorList.dot(r, r).scalar
            let stop = S(relativeTolerance) * S(relativeTolerance) * rr
            for _ in 0..<iterations where rr > stop && rr > 0 {
                let hp = hvp(p)
                let alpha = rr / TensorList.dot(p, hp).scalar
                x = TensorList.axpy(alpha, p, x)
                r = TensorList.axpy(-alpha, hp, r)
                let next = TensorList.dot(r, r).scalar
                p = TensorList.axpy(next / rr, p, r)
                rr = next
            }
            return x
        case let .neumann(terms, stepSize):
            // q = α Σ_j (I − αH)^j b, accumulated as v_{j+1} = v_j − α H v_j.
            let alpha = S(stepSize)
            var v = b, total = b
            for _ in 0..<terms {
                v = TensorList.axpy(-alpha, hvp(v), v)
                total = zip(total, v).map { $0 + $1 }
            }
            return total.map { $0 * alpha }
        }
    }
}

/// Vector-space operations on lists of tensors (the weights of a model as one vector).
@usableFromInline
enum TensorList {
    /// `Σᵢ ⟨aᵢ, bᵢ⟩` as a (differentiable) scalar tensor.
    @inlinable
    static func dot<S: TensorScalar>(_ a: [Tensor<S>], _ b: [Tensor<S>]) -> Tensor<S> {
        precondition(a.count == b.count, "internal: dot of \(a.count) and \(b.count) tensors")
        var total = Autograd.dot(a[0], b[0])
        for i in 1..<a.count { total = total + Autograd.dot(a[i], b[i]) }
        return total
    }

    /// `α x + y`.
    @inlinable
    static func axpy<S: TensorScalar>(_ alpha: S, _ x: [Tensor<S>], _ y: [Tensor<S>]) -> [Tensor<S>] {
        zip(x, y).map { $0 * alpha + $1 }
    }
}
