/// The pullback (vector–Jacobian product) of a function at a point: maps cotangents of the
/// function's outputs to cotangents of its inputs, `(ū₁…ūₘ) ↦ Σⱼ ūⱼ · ∂yⱼ/∂xᵢ`.
///
/// A pullback keeps the graph of the function's evaluation alive and can be called any number
/// of times. Called inside another differentiation, its result is differentiable in turn
/// (reverse-over-reverse, or forward-over-reverse when its inputs carry tangents).
public struct Pullback<Scalar: TensorScalar>: Sendable {
    @usableFromInline let outputNodes: [Node<Scalar>?]
    @usableFromInline let outputShapes: [Shape]
    @usableFromInline let targets: [Node<Scalar>]
    @usableFromInline let inputShapes: [Shape]

    @usableFromInline
    init(outputNodes: [Node<Scalar>?], outputShapes: [Shape], targets: [Node<Scalar>], inputShapes: [Shape]) {
        self.outputNodes = outputNodes
        self.outputShapes = outputShapes
        self.targets = targets
        self.inputShapes = inputShapes
    }

    /// The input cotangents for the given output cotangents (one per output, of its shape).
    /// - Complexity: the cost of the recorded operations' pullbacks, typically a small multiple
    ///   of the forward evaluation.
    @inlinable
    public func callAsFunction(_ cotangents: [Tensor<Scalar>]) -> [Tensor<Scalar>] {
        precondition(
            cotangents.count == outputShapes.count,
            "pullback: \(cotangents.count) cotangents for \(outputShapes.count) outputs")
        var roots: [(node: Node<Scalar>, cotangent: Tensor<Scalar>)] = []
        for (i, c) in cotangents.enumerated() {
            precondition(
                c.shape == outputShapes[i],
                "pullback: cotangent \(i) has shape \(c.shape), output has shape \(outputShapes[i])")
            if let node = outputNodes[i] { roots.append((node, c)) }
        }
        var context = DifferentiationContext.current
        context.isRecording = context.recordsDerivatives
        let results = DifferentiationContext.with(context) {
            Backpropagation.run(roots: roots, targets: targets)
        }
        return zip(results, inputShapes).map { r, shape in r ?? Tensor(zeros: shape) }
    }

    /// The input cotangents for a single output.
    @inlinable
    public func callAsFunction(_ cotangent: Tensor<Scalar>) -> [Tensor<Scalar>] {
        self([cotangent])
    }
}

/// Evaluates `f` at `inputs` and returns its outputs with the pullback at that point.
///
/// The inputs are wrapped in fresh graph nodes, so `f` may close over other tensors that are
/// themselves being differentiated by an enclosing scope: their derivatives stay separate.
/// - Complexity: one evaluation of `f` with graph recording.
@inlinable
public func valueWithPullback<Scalar: TensorScalar>(
    at inputs: [Tensor<Scalar>], of f: ([Tensor<Scalar>]) throws -> [Tensor<Scalar>]
) rethrows -> (value: [Tensor<Scalar>], pullback: Pullback<Scalar>) {
    let outer = DifferentiationContext.current
    var inner = outer
    inner.reverseLevels.append(DifferentiationContext.newLevel())
    inner.isRecording = true
    let leaves = inputs.map { x in
        x.settingNode(Node<Scalar>(parents: [x.node], shape: x.shape, operation: "input") { g, _, _ in [g] })
    }
    let outputs = try DifferentiationContext.with(inner) { try f(leaves) }
    let pullback = Pullback(
        outputNodes: outputs.map(\.node), outputShapes: outputs.map(\.shape),
        targets: leaves.map { $0.node! }, inputShapes: inputs.map(\.shape))
    // Outside any reverse scope nobody can differentiate the values again: return them without
    // their graph so that holding a value does not hold the graph.
    let values = outer.recordsDerivatives ? outputs : outputs.map { $0.settingNode(nil) }
    return (values, pullback)
}

/// Evaluates `f` at `input` and returns its output with the pullback at that point.
@inlinable
public func valueWithPullback<Scalar: TensorScalar>(
    at input: Tensor<Scalar>, of f: (Tensor<Scalar>) throws -> Tensor<Scalar>
) rethrows -> (value: Tensor<Scalar>, pullback: @Sendable (Tensor<Scalar>) -> Tensor<Scalar>) {
    let (values, pullback) = try valueWithPullback(at: [input]) { [try f($0[0])] }
    return (values[0], { pullback([$0])[0] })
}

/// The value of a scalar-valued `f` at `inputs` and its gradient with respect to each input.
/// - Precondition: `f` returns a tensor with exactly one element.
/// - Complexity: one evaluation of `f` and one reverse sweep.
@inlinable
public func valueWithGradient<Scalar: TensorScalar>(
    at inputs: [Tensor<Scalar>], of f: ([Tensor<Scalar>]) throws -> Tensor<Scalar>
) rethrows -> (value: Tensor<Scalar>, gradient: [Tensor<Scalar>]) {
    let (values, pullback) = try valueWithPullback(at: inputs) { [try f($0)] }
    let y = values[0]
    precondition(
        y.scalarCount == 1,
        "gradient: the function must return a single scalar, but returned shape \(y.shape)")
    return (y, pullback([Tensor(ones: y.shape)]))
}

/// The value of a scalar-valued `f` at `x` and its gradient.
@inlinable
public func valueWithGradient<Scalar: TensorScalar>(
    at x: Tensor<Scalar>, of f: (Tensor<Scalar>) throws -> Tensor<Scalar>
) rethrows -> (value: Tensor<Scalar>, gradient: Tensor<Scalar>) {
    let (y, g) = try valueWithGradient(at: [x]) { try f($0[0]) }
    return (y, g[0])
}

/// The value of a scalar-valued `f` at `(x, y)` and its gradient with respect to both.
@inlinable
public func valueWithGradient<Scalar: TensorScalar>(
    at x: Tensor<Scalar>, _ y: Tensor<Scalar>,
    of f: (Tensor<Scalar>, Tensor<Scalar>) throws -> Tensor<Scalar>
) rethrows -> (value: Tensor<Scalar>, gradient: (Tensor<Scalar>, Tensor<Scalar>)) {
    let (v, g) = try valueWithGradient(at: [x, y]) { try f($0[0], $0[1]) }
    return (v, (g[0], g[1]))
}

/// The value of a scalar-valued `f` at `(x, y, z)` and its gradient with respect to all three.
@inlinable
public func valueWithGradient<Scalar: TensorScalar>(
    at x: Tensor<Scalar>, _ y: Tensor<Scalar>, _ z: Tensor<Scalar>,
    of f: (Tensor<Scalar>, Tensor<Scalar>, Tensor<Scalar>) throws -> Tensor<Scalar>
) rethrows -> (value: Tensor<Scalar>, gradient: (Tensor<Scalar>, Tensor<Scalar>, Tensor<Scalar>)) {
    let (v, g) = try valueWithGradient(at: [x, y, z]) { try f($0[0], $0[1], $0[2]) }
    return (v, (g[0], g[1], g[2]))
}

/// The gradient of a scalar-valued `f` with respect to each of `inputs`.
@inlinable
public func gradient<Scalar: TensorScalar>(
    at inputs: [Tensor<Scalar>], of f: ([Tensor<Scalar>]) throws -> Tensor<Scalar>
) rethrows -> [Tensor<Scalar>] {
    try valueWithGradient(at: inputs, of: f).gradient
}

/// The gradient of a scalar-valued `f` at `x`.
@inlinable
public func gradient<Scalar: TensorScalar>(
    at x: Tensor<Scalar>, of f: (Tensor<Scalar>) throws -> Tensor<Scalar>
) rethrows -> Tensor<Scalar> {
    try valueWithGradient(at: x, of: f).gradient
}

/// The gradient of a scalar-valued `f` at `(x, y)`.
@inlinable
public func gradient<Scalar: TensorScalar>(
    at x: Tensor<Scalar>, _ y: Tensor<Scalar>,
    of f: (Tensor<Scalar>, Tensor<Scalar>) throws -> Tensor<Scalar>
) rethrows -> (Tensor<Scalar>, Tensor<Scalar>) {
    try valueWithGradient(at: x, y, of: f).gradient
}
