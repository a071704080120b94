/// A ``DifferentiableOperation`` given by three closures: its value and its two derivative rules.
///
/// Every built-in operation is written as a `Primitive`, so the value, the reverse rule and the
/// forward rule of an operation read together in one place.
public struct Primitive<Scalar: TensorScalar>: DifferentiableOperation {
    public typealias ValueRule = @Sendable ([Tensor<Scalar>]) -> Tensor<Scalar>
    public typealias PullbackRule =
        @Sendable (Tensor<Scalar>, [Tensor<Scalar>], Tensor<Scalar>, [Bool]) -> [Tensor<Scalar>?]
    public typealias TangentRule = @Sendable ([Tensor<Scalar>?], [Tensor<Scalar>], Tensor<Scalar>) -> Tensor<Scalar>
    public typealias FusedRule = @Sendable ([Tensor<Scalar>], [[Tensor<Scalar>]?]) -> (value: Tensor<Scalar>, tangents: [Tensor<Scalar>])?

    public let name: String
    @usableFromInline let valueRule: ValueRule
    @usableFromInline let pullbackRule: PullbackRule
    @usableFromInline let tangentRule: TangentRule
    @usableFromInline let fusedRule: FusedRule?

    /// - Parameters:
    ///   - name: the operation's name for messages.
    ///   - value: the output for plain inputs.
    ///   - pullback: `(cotangent, inputs, output, needs) -> input cotangents`.
    ///   - tangent: `(input tangents or nil, inputs, output) -> output tangent`.
    ///   - valueAndTangents: optionally, the value and the tangents of all directions at once
    ///     from plain inputs and tangents (see
    ///     ``DifferentiableOperation/valueAndTangents(_:tangents:)``).
    @inlinable
    public init(
        _ name: String, value: @escaping ValueRule, pullback: @escaping PullbackRule,
        tangent: @escaping TangentRule, valueAndTangents: FusedRule? = nil
    ) {
        self.name = name
        self.valueRule = value
        self.pullbackRule = pullback
        self.tangentRule = tangent
        self.fusedRule = valueAndTangents
    }

    @inlinable
    public func valueAndTangents(
        _ inputs: [Tensor<Scalar>], tangents: [[Tensor<Scalar>]?]
    ) -> (value: Tensor<Scalar>, tangents: [Tensor<Scalar>])? {
        fusedRule?(inputs, tangents)
    }

    @inlinable public func value(_ inputs: [Tensor<Scalar>]) -> Tensor<Scalar> { valueRule(inputs) }

    @inlinable
    public func pullback(
        _ cotangent: Tensor<Scalar>, inputs: [Tensor<Scalar>], output: Tensor<Scalar>, needs: [Bool]
    ) -> [Tensor<Scalar>?] {
        pullbackRule(cotangent, inputs, output, needs)
    }

    @inlinable
    public func tangent(
        _ tangents: [Tensor<Scalar>?], inputs: [Tensor<Scalar>], output: Tensor<Scalar>
    ) -> Tensor<Scalar> {
        tangentRule(tangents, inputs, output)
    }
}

/// The sum of optional tangents (nil = zero), broadcast to `shape`.
@inlinable
func sumOfTangents<S: TensorScalar>(_ terms: Tensor<S>?..., shape: Shape) -> Tensor<S> {
    var total: Tensor<S>? = nil
    for case let t? in terms { total = total.map { $0 + t } ?? t }
    guard let total else { return Tensor(zeros: shape) }
    return total.shape == shape ? total : total.broadcast(to: shape)
}
