/// A primitive operation of the engine: its value, its reverse-mode rule and its forward-mode
/// rule, written side by side.
///
/// ``value(_:)`` computes on plain tensors (no derivative information) with the fast kernels. The
/// two derivative rules are written with differentiable tensor operations, so that derivatives
/// of derivatives follow: when a rule runs inside an enclosing differentiation, its own
/// operations are recorded or carry tangents like any other code. Conform a type to this protocol
/// to add an operation with a hand-written derivative; call it with ``apply(_:)``.
///
/// The engine takes care of everything else: skipping all bookkeeping when no input is tracked,
/// peeling forward-mode levels, recording the reverse-mode node and — when the pullback itself
/// is being differentiated — handing the rule a graph-connected output.
public protocol DifferentiableOperation: Sendable {
    associatedtype Scalar: TensorScalar

    /// The operation's name, used in error messages and graph dumps.
    var name: String { get }

    /// The output for plain inputs.
    func value(_ inputs: [Tensor<Scalar>]) -> Tensor<Scalar>

    /// Reverse-mode rule (vector–Jacobian product): the cotangent of each input whose entry in
    /// `needs` is `true`, given the output's `cotangent`. `output` is the operation's output.
    /// Each returned cotangent has its input's shape; entries not needed may be `nil`.
    func pullback(
        _ cotangent: Tensor<Scalar>, inputs: [Tensor<Scalar>], output: Tensor<Scalar>, needs: [Bool]
    ) -> [Tensor<Scalar>?]

    /// Forward-mode rule (Jacobian–vector product): the output's tangent given the inputs'
    /// tangents (`nil` stands for a zero tangent; at least one is non-`nil`).
    func tangent(
        _ tangents: [Tensor<Scalar>?], inputs: [Tensor<Scalar>], output: Tensor<Scalar>
    ) -> Tensor<Scalar>

    /// Optionally, the output and its tangent computed together from plain inputs and plain
    /// tangents (`nil` = zero), when that is cheaper than ``value(_:)`` followed by
    /// ``tangent(_:inputs:output:)`` — for example one pass over a large constant operand instead
    /// of two. Return `nil` to use the separate rules. Used only where the tangent need not be
    /// recorded.
    func valueAndTangent(
        _ inputs: [Tensor<Scalar>], tangents: [Tensor<Scalar>?]
    ) -> (value: Tensor<Scalar>, tangent: Tensor<Scalar>)?
}

extension DifferentiableOperation {
    @inlinable
    public func valueAndTangent(
        _ inputs: [Tensor<Scalar>], tangents: [Tensor<Scalar>?]
    ) -> (value: Tensor<Scalar>, tangent: Tensor<Scalar>)? {
        nil
    }
}

extension DifferentiableOperation {
    /// Applies the operation to `inputs`, propagating derivative information.
    /// - Complexity: that of ``value(_:)`` for plain inputs; with tracked inputs, one node and
    ///   one closure per operation and, per forward level, one evaluation of the tangent rule.
    @inlinable
    public func apply(_ inputs: [Tensor<Scalar>]) -> Tensor<Scalar> {
        for x in inputs where x.derivatives != nil {
            return applyTracked(inputs, recordNode: true)
        }
        return value(inputs)
    }

    @inlinable
    func applyTracked(_ inputs: [Tensor<Scalar>], recordNode: Bool) -> Tensor<Scalar> {
        var level = 0
        for x in inputs { level = Swift.max(level, x.topTangentLevel) }
        var output: Tensor<Scalar>
        if level > 0 {
            // Forward mode: evaluate on the primals (one level down), then the tangent rule.
            let primals = inputs.map { $0.removingTangent(atLevel: level) }
            let tangents = inputs.map { $0.tangent(atLevel: level) }
            var context = DifferentiationContext.current
            context.isRecording = context.recordsTangents(ofLevel: level)
            if !context.isRecording, !primals.contains(where: { $0.topTangentLevel > 0 }),
                let fused = valueAndTangent(primals.map(\.detached), tangents: tangents.map { $0?.detached })
            {
                output = fused.value.addingTangent(fused.tangent, atLevel: level)
                return recordNode ? recorded(output, inputs: inputs) : output
            }
            let primalOutput =
                primals.contains(where: { $0.topTangentLevel > 0 })
                ? applyTracked(primals, recordNode: false)
                : value(primals.map(\.detached))
            let tangent = DifferentiationContext.with(context) {
                // A recorded tangent rule needs an output connected to the inputs in the graph.
                let out = context.isRecording ? self.apply(primals) : primalOutput
                return self.tangent(tangents, inputs: primals, output: out)
            }
            output = primalOutput.addingTangent(tangent, atLevel: level)
        } else {
            output = value(inputs.map(\.detached))
        }
        return recordNode ? recorded(output, inputs: inputs) : output
    }

    /// `output` with a graph node for this operation when recording is on and an input is in
    /// the graph.
    @inlinable
    func recorded(_ output: Tensor<Scalar>, inputs: [Tensor<Scalar>]) -> Tensor<Scalar> {
        guard DifferentiationContext.current.isRecording, inputs.contains(where: { $0.node != nil })
        else { return output }
        let saved = output
        let node = Node<Scalar>(
            parents: inputs.map(\.node), shape: output.shape, operation: name
        ) { cotangent, needs in
            // When the reverse pass is itself recorded, the rule must see an output that is
            // connected to the inputs in the graph: recompute it.
            let out = DifferentiationContext.current.isRecording ? self.apply(inputs) : saved
            return self.pullback(cotangent, inputs: inputs, output: out, needs: needs)
        }
        return output.settingNode(node)
    }
}
