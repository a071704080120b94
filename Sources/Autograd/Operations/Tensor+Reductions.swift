import RealModule

extension Tensor {
    /// The shape this tensor has after reducing `axes` with dimensions kept as 1.
    @inlinable
    func keptShape(_ axes: [Int]) -> Shape {
        ReductionKernels.reducedShape(shape, axes: axes, keepingDimensions: true)
    }

    /// Sum over `axes` (all axes when nil); reduced dimensions are removed unless
    /// `keepingDimensions`. Derivative: the pullback broadcasts ḡ back over the reduced axes; the
    /// tangent is the sum of ẋ.
    /// - Complexity: O(n).
    @inlinable
    public func sum(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let axes = ReductionKernels.normalizedAxes(axes, shape: shape, operation: "sum")
        let inputShape = shape, kept = keptShape(axes)
        return Primitive(
            "sum",
            value: { ReductionKernels.sum($0[0], axes: axes, keepingDimensions: keepingDimensions) },
            pullback: { g, _, _, _ in [g.reshaped(to: kept).broadcast(to: inputShape)] },
            tangent: { t, _, _ in t[0]!.sum(alongAxes: axes, keepingDimensions: keepingDimensions) }
        ).apply([self])
    }

    /// Sum over one axis.
    @inlinable
    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// Arithmetic mean over `axes` (all when nil). Derivative: that of the sum divided by the
    /// number of reduced elements.
    @inlinable
    public func mean(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let normalized = ReductionKernels.normalizedAxes(axes, shape: shape, operation: "mean")
        let count = normalized.reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: normalized, keepingDimensions: keepingDimensions) / Scalar(count)
    }

    /// Mean over one axis.
    @inlinable
    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// Maximum over `axes` (all when nil). Derivative: the cotangent is shared equally among the
    /// positions attaining the maximum (a subgradient; the usual gradient where it is unique);
    /// the tangent is the mean of ẋ over those positions.
    /// - Complexity: O(n).
    @inlinable
    public func max(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let axes = ReductionKernels.normalizedAxes(axes, shape: shape, operation: "max")
        let inputShape = shape, kept = keptShape(axes)
        // Weights 1/(number of maxima) at the maxima, 0 elsewhere: a constant of the values.
        @Sendable func argmaxWeights(_ x: Tensor, _ y: Tensor) -> Tensor {
            let yKept = ElementwiseKernels.broadcast(y.detached.reshaped(to: kept), to: inputShape)
            let hits = ElementwiseKernels.zip(x.detached, yKept, operation: "max") { $0 == $1 ? 1 : 0 }
            let counts = ReductionKernels.sum(hits, axes: axes, keepingDimensions: true)
            return ElementwiseKernels.zip(hits, counts, operation: "max") { $0 / $1 }
        }
        return Primitive(
            "max",
            value: { ReductionKernels.max($0[0], axes: axes, keepingDimensions: keepingDimensions) },
            pullback: { g, x, y, _ in
                [g.reshaped(to: kept).broadcast(to: inputShape) * argmaxWeights(x[0], y)]
            },
            tangent: { t, x, y in
                (t[0]! * argmaxWeights(x[0], y)).sum(alongAxes: axes, keepingDimensions: keepingDimensions)
            }
        ).apply([self])
    }

    /// Maximum over one axis.
    @inlinable
    public func max(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        max(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// `log Σ exp(x)` over `axes` (all when nil), computed stably by shifting by the maximum.
    /// Derivative: `softmax(x)` over the axes (pullback ḡ·e^{x−y}, tangent Σ ẋ·e^{x−y}).
    /// - Complexity: O(n), one `exp` per element.
    @inlinable
    public func logSumExp(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let axes = ReductionKernels.normalizedAxes(axes, shape: shape, operation: "logSumExp")
        let inputShape = shape, kept = keptShape(axes)
        return Primitive(
            "logSumExp",
            value: { x in
                let x = x[0]
                let m = ReductionKernels.max(x, axes: axes, keepingDimensions: true)
                let finiteM = ElementwiseKernels.map(m) { $0.isFinite ? $0 : 0 }
                let shifted = ElementwiseKernels.zip(x, finiteM, operation: "logSumExp", -)
                let s = ReductionKernels.sum(ElementwiseKernels.exp(shifted), axes: axes, keepingDimensions: true)
                var y = ElementwiseKernels.zip(s, finiteM, operation: "logSumExp") { Scalar.log($0) + $1 }
                y.reshapeInPlace(ReductionKernels.reducedShape(inputShape, axes: axes, keepingDimensions: keepingDimensions))
                return y
            },
            pullback: { g, x, y, _ in
                [g.reshaped(to: kept) * exp(x[0] - y.reshaped(to: kept))]
            },
            tangent: { t, x, y in
                (t[0]! * exp(x[0] - y.reshaped(to: kept))).sum(alongAxes: axes, keepingDimensions: keepingDimensions)
            }
        ).apply([self])
    }

    /// `log Σ exp(x)` over one axis.
    @inlinable
    public func logSumExp(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        logSumExp(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }
}

/// The inner product of two tensors of the same shape, `Σ aᵢbᵢ`, as a scalar.
/// Derivative: pullback `(ḡ·b, ḡ·a)`, tangent `⟨ȧ, b⟩ + ⟨a, ḃ⟩`.
/// - Complexity: O(n).
@inlinable
public func dot<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    precondition(a.shape == b.shape, "dot: shapes \(a.shape) and \(b.shape) differ")
    return Primitive(
        "dot",
        value: { x in
            x[0].withUnsafeBufferPointer { p in
                x[1].withUnsafeBufferPointer { q in
                    guard let pa = p.baseAddress, let pb = q.baseAddress else { return Tensor(S(0)) }
                    return Tensor(ReductionKernels.relaxedDot(pa, pb, count: p.count))
                }
            }
        },
        pullback: { g, x, _, needs in [needs[0] ? g * x[1] : nil, needs[1] ? g * x[0] : nil] },
        tangent: { t, x, _ in
            sumOfTangents(t[0].map { dot($0, x[1]) }, t[1].map { dot(x[0], $0) }, shape: [])
        }
    ).apply([a, b])
}
