extension Tensor {
    /// The tensor repeated along broadcast dimensions to `shape` (NumPy rules).
    ///
    /// Derivative: the pullback sums the cotangent back over the broadcast dimensions
    /// (``sum(toShape:)``); the tangent is broadcast likewise.
    @inlinable
    public func broadcast(to shape: Shape) -> Tensor {
        if self.shape == shape { return self }
        let inputShape = self.shape
        return Primitive(
            "broadcast",
            value: { ElementwiseKernels.broadcast($0[0], to: shape) },
            pullback: { g, _, _, _ in [g.sum(toShape: inputShape)] },
            tangent: { t, _, _ in t[0]!.broadcast(to: shape) }
        ).apply([self])
    }

    /// The sum over the dimensions along which `shape` was broadcast to this tensor's shape:
    /// the adjoint of ``broadcast(to:)``.
    ///
    /// Derivative: the pullback broadcasts the cotangent back; the tangent is summed likewise.
    @inlinable
    public func sum(toShape shape: Shape) -> Tensor {
        if self.shape == shape { return self }
        precondition(
            Shape.broadcast(shape, self.shape) == self.shape,
            "sum(toShape:): shape \(shape) does not broadcast to \(self.shape)")
        let inputShape = self.shape
        let lead = inputShape.rank - shape.rank
        let axes = Array(0..<lead) + (0..<shape.rank).filter { shape[$0] == 1 && inputShape[lead + $0] != 1 }.map { lead + $0 }
        return Primitive(
            "sumToShape",
            value: { x in
                var r = ReductionKernels.sum(x[0], axes: axes, keepingDimensions: false)
                r.reshapeInPlace(shape)
                return r
            },
            pullback: { g, _, _, _ in [g.broadcast(to: inputShape)] },
            tangent: { t, _, _ in t[0]!.sum(toShape: shape) }
        ).apply([self])
    }
}
