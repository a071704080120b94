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

    /// Optionally, the output and its tangents along several directions computed together from
    /// plain inputs and plain tangents (`tangents[i]` holds input `i`'s tangent for every
    /// direction, or is `nil` for zero), when that is cheaper than ``value(_:)`` followed by
    /// ``tangent(_:inputs:output:)`` per direction — for example one pass over a large constant
    /// operand instead of one per direction. Return `nil` to use the separate rules. Used only
    /// where the tangents need not be recorded.
    func valueAndTangents(
        _ inputs: [Tensor<Scalar>], tangents: [[Tensor<Scalar>]?]
    ) -> (value: Tensor<Scalar>, tangents: [Tensor<Scalar>])?
}

extension DifferentiableOperation {
    @inlinable
    public func valueAndTangents(
        _ inputs: [Tensor<Scalar>], tangents: [[Tensor<Scalar>]?]
    ) -> (value: Tensor<Scalar>, tangents: [Tensor<Scalar>])? {
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
            let tangents = inputs.map { $0.tangents(atLevel: level) }
            let directions = tangents.lazy.compactMap { $0?.count }.max() ?? 0
            for t in tangents {
                precondition(t == nil || t!.count == directions, "\(name): inputs carry different numbers of tangent directions")
            }
            var context = DifferentiationContext.current
            context.isRecording = context.recordsTangents(ofLevel: level)
            if !context.isRecording, !primals.contains(where: { $0.topTangentLevel > 0 }),
                let fused = valueAndTangents(primals.map(\.detached), tangents: tangents.map { $0?.map(\.detached) })
            {
                output = fused.value.addingTangents(fused.tangents, atLevel: level)
                return recordNode ? recorded(output, inputs: inputs) : output
            }
            // A recorded tangent rule needs a primal output connected to the inputs in the graph:
            // record a node for it (at the primal level) in that case.
            let primalOutput =
                context.isRecording || primals.contains(where: { $0.topTangentLevel > 0 })
                ? applyTracked(primals, recordNode: context.isRecording)
                : value(primals.map(\.detached))
            let outputTangents = DifferentiationContext.with(context) {
                (0..<directions).map { d in
                    self.tangent(tangents.map { $0?[d] }, inputs: primals, output: primalOutput)
                }
            }
            output = primalOutput.settingNode(nil).addingTangents(outputTangents, atLevel: level)
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
        ) { cotangent, needs, node in
            // When the reverse pass is itself recorded, the rule must see the output connected to
            // the graph: reattach this node to the saved value (no recomputation, and no
            // reference from the node to itself).
            let out = DifferentiationContext.current.isRecording ? saved.settingNode(node) : saved
            return self.pullback(cotangent, inputs: inputs, output: out, needs: needs)
        }
        return output.settingNode(node)
    }
}
