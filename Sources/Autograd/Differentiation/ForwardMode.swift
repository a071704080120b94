/// Evaluates `f` at `inputs` and its Jacobian–vector product along `tangents`:
/// `(f(x), J_f(x) · v)`, in one evaluation that carries tangents through every operation.
///
/// Forward mode costs about one extra evaluation per tangent direction and stores nothing, so it
/// suits functions with few inputs and many outputs (and forward hypergradients). Nested calls
/// are kept apart by their levels; inside a reverse-mode scope the tangents are differentiable
/// (reverse-over-forward), and around one they flow through the reverse sweep
/// (forward-over-reverse, see ``hessianVectorProduct(at:along:method:of:)``).
/// - Precondition: one tangent per input, of the input's shape.
/// - Complexity: about 2–3 evaluations of `f`.
@inlinable
public func jvp<Scalar: TensorScalar>(
    at inputs: [Tensor<Scalar>], along tangents: [Tensor<Scalar>],
    of f: ([Tensor<Scalar>]) throws -> [Tensor<Scalar>]
) rethrows -> (value: [Tensor<Scalar>], tangent: [Tensor<Scalar>]) {
    let (values, tangents) = try jvp(at: inputs, alongDirections: [tangents], of: f)
    return (values, tangents[0])
}

/// Evaluates `f` at `inputs` and its Jacobian–vector products along several directions at
/// once: `(f(x), [J_f(x) · v₁, …, J_f(x) · v_k])`, evaluating `f` itself only once.
///
/// `directions[d][i]` is the tangent of input `i` in direction `d`; the result's
/// `tangents[d][j]` is the tangent of output `j` in direction `d`. Each operation's tangent rule
/// runs once per direction, and operations with a fused rule handle all directions together (a
/// matrix product with a constant operand multiplies it once by all directions side by side).
/// This is the Jacobian–matrix product forward-mode hypergradients need for several
/// hyperparameters.
/// - Precondition: at least one direction; each has one tangent per input, of its shape.
/// - Complexity: one evaluation of `f` plus about one per direction.
@inlinable
public func jvp<Scalar: TensorScalar>(
    at inputs: [Tensor<Scalar>], alongDirections directions: [[Tensor<Scalar>]],
    of f: ([Tensor<Scalar>]) throws -> [Tensor<Scalar>]
) rethrows -> (value: [Tensor<Scalar>], tangents: [[Tensor<Scalar>]]) {
    precondition(!directions.isEmpty, "jvp: no directions")
    for direction in directions {
        precondition(inputs.count == direction.count, "jvp: \(direction.count) tangents for \(inputs.count) inputs")
    }
    let level = DifferentiationContext.newLevel()
    let duals = inputs.indices.map { i in inputs[i].addingTangents(directions.map { $0[i] }, atLevel: level) }
    let outputs = try f(duals)
    let values = outputs.map { $0.removingTangent(atLevel: level) }
    let tangents = directions.indices.map { d in
        outputs.map { $0.tangents(atLevel: level)?[d] ?? Tensor(zeros: $0.shape) }
    }
    return (values, tangents)
}

/// Evaluates `f` at `x` and its directional derivative along `v`.
@inlinable
public func jvp<Scalar: TensorScalar>(
    at x: Tensor<Scalar>, along v: Tensor<Scalar>, of f: (Tensor<Scalar>) throws -> Tensor<Scalar>
) rethrows -> (value: Tensor<Scalar>, tangent: Tensor<Scalar>) {
    let (y, t) = try jvp(at: [x], along: [v]) { [try f($0[0])] }
    return (y[0], t[0])
}

/// How ``hessianVectorProduct(at:along:method:of:)`` differentiates twice.
public enum HessianVectorProductMethod: Sendable {
    /// The JVP of the gradient: one forward sweep carrying a tangent and one reverse sweep carrying
    /// it too. Cheapest and the default.
    case forwardOverReverse
    /// The gradient of `⟨∇f, v⟩`: the reverse sweep is recorded and swept again.
    case reverseOverReverse
}

/// The Hessian–vector product `∇²f(x) · v` of a scalar-valued `f`, without forming the Hessian.
/// - Complexity: a small constant times one evaluation of `f` (about 4–5 for forward-over-reverse).
@inlinable
public func hessianVectorProduct<Scalar: TensorScalar>(
    at inputs: [Tensor<Scalar>], along directions: [Tensor<Scalar>],
    method: HessianVectorProductMethod = .forwardOverReverse,
    of f: ([Tensor<Scalar>]) throws -> Tensor<Scalar>
) rethrows -> [Tensor<Scalar>] {
    switch method {
    case .forwardOverReverse:
        return try jvp(at: inputs, along: directions) { xs in try gradient(at: xs, of: f) }.tangent
    case .reverseOverReverse:
        return try gradient(at: inputs) { xs in
            let g = try gradient(at: xs, of: f)
            var total = (g[0] * directions[0]).sum()
            for i in 1..<g.count { total = total + (g[i] * directions[i]).sum() }
            return total
        }
    }
}

/// The Hessian–vector product of a scalar-valued function of one tensor.
@inlinable
public func hessianVectorProduct<Scalar: TensorScalar>(
    at x: Tensor<Scalar>, along v: Tensor<Scalar>,
    method: HessianVectorProductMethod = .forwardOverReverse,
    of f: (Tensor<Scalar>) throws -> Tensor<Scalar>
) rethrows -> Tensor<Scalar> {
    try hessianVectorProduct(at: [x], along: [v], method: method) { try f($0[0]) }[0]
}
