import RealModule

/// A plain tensor of `f(x)` elementwise: a mask or a factor computed from values only, which
/// derivative rules treat as a constant (it is piecewise constant, or its derivative is written
/// out explicitly).
@inlinable
func constantMap<S: TensorScalar>(_ x: Tensor<S>, _ f: (S) -> S) -> Tensor<S> {
    ElementwiseKernels.map(x.detached, f)
}

/// `eˣ` elementwise. Derivative: `eˣ` (pullback ḡ·y, tangent ẋ·y).
@inlinable
public func exp<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive(
        "exp",
        value: { ElementwiseKernels.exp($0[0]) },
        pullback: { g, _, y, _ in [g * y] },
        tangent: { t, _, y in t[0]! * y }
    ).apply([x])
}

/// Natural logarithm elementwise. Derivative: `1/x`.
@inlinable
public func log<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive(
        "log",
        value: { ElementwiseKernels.map($0[0]) { S.log($0) } },
        pullback: { g, x, _, _ in [g / x[0]] },
        tangent: { t, x, _ in t[0]! / x[0] }
    ).apply([x])
}

/// Square root elementwise. Derivative: `1/(2√x)`.
@inlinable
public func sqrt<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive(
        "sqrt",
        value: { ElementwiseKernels.map($0[0]) { $0.squareRoot() } },
        pullback: { g, _, y, _ in [g / (y * 2)] },
        tangent: { t, _, y in t[0]! / (y * 2) }
    ).apply([x])
}

/// Absolute value elementwise. Derivative: `sign(x)`, taken as 0 at 0.
@inlinable
public func abs<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive(
        "abs",
        value: { ElementwiseKernels.map($0[0]) { Swift.abs($0) } },
        pullback: { g, x, _, _ in [g * constantMap(x[0]) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }] },
        tangent: { t, x, _ in t[0]! * constantMap(x[0]) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }
    ).apply([x])
}

/// Hyperbolic tangent elementwise. Derivative: `1 − tanh²(x)`.
@inlinable
public func tanh<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive(
        "tanh",
        value: { ElementwiseKernels.map($0[0]) { S.tanh($0) } },
        pullback: { g, _, y, _ in [g * (1 - y * y)] },
        tangent: { t, _, y in t[0]! * (1 - y * y) }
    ).apply([x])
}

/// The logistic function `1/(1 + e⁻ˣ)` elementwise, evaluated without overflow.
/// Derivative: `σ(x)(1 − σ(x))`.
@inlinable
public func sigmoid<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive(
        "sigmoid",
        value: {
            ElementwiseKernels.map($0[0]) { v in
                v >= 0 ? 1 / (1 + S.exp(-v)) : S.exp(v) / (1 + S.exp(v))
            }
        },
        pullback: { g, _, y, _ in [g * y * (1 - y)] },
        tangent: { t, _, y in t[0]! * y * (1 - y) }
    ).apply([x])
}

/// `max(x, 0)` elementwise. Derivative: 1 where `x > 0`, else 0 (0 at 0).
@inlinable
public func relu<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive(
        "relu",
        value: { ElementwiseKernels.map($0[0]) { $0 > 0 ? $0 : 0 } },
        pullback: { g, x, _, _ in [g * constantMap(x[0]) { $0 > 0 ? 1 : 0 }] },
        tangent: { t, x, _ in t[0]! * constantMap(x[0]) { $0 > 0 ? 1 : 0 } }
    ).apply([x])
}

/// `log(1 + eˣ)` elementwise, computed as `max(x, 0) + log1p(e^−|x|)` (no overflow, no loss of
/// precision for large |x|). Derivative: `σ(x)`.
@inlinable
public func softplus<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive(
        "softplus",
        value: { ElementwiseKernels.map($0[0]) { v in Swift.max(v, 0) + S.log(onePlus: S.exp(-Swift.abs(v))) } },
        pullback: { g, x, _, _ in [g * sigmoid(x[0])] },
        tangent: { t, x, _ in t[0]! * sigmoid(x[0]) }
    ).apply([x])
}

/// `xᵖ` elementwise for a constant exponent. Derivative: `p·xᵖ⁻¹` (0 for p = 0).
@inlinable
public func pow<S: TensorScalar>(_ x: Tensor<S>, _ p: S) -> Tensor<S> {
    Primitive(
        "pow",
        value: { x in
            if p == 2 { return ElementwiseKernels.map(x[0]) { $0 * $0 } }
            if p == p.rounded(), Swift.abs(p) <= S(1 << 30) {
                // Integral exponents are defined for negative bases too.
                let n = Int(p)
                return ElementwiseKernels.map(x[0]) { S.pow($0, n) }
            }
            return ElementwiseKernels.map(x[0]) { S.pow($0, p) }
        },
        pullback: { g, x, _, _ in [p == 0 ? Tensor(zeros: x[0].shape) : g * (pow(x[0], p - 1) * p)] },
        tangent: { t, x, _ in p == 0 ? Tensor(zeros: x[0].shape) : t[0]! * (pow(x[0], p - 1) * p) }
    ).apply([x])
}

/// `xʸ` elementwise with broadcasting, for `x > 0` (or integral `y`).
/// Derivatives: `∂/∂x = y·xʸ⁻¹`, `∂/∂y = xʸ·log x`.
@inlinable
public func pow<S: TensorScalar>(_ x: Tensor<S>, _ y: Tensor<S>) -> Tensor<S> {
    Primitive(
        "pow",
        value: { ElementwiseKernels.zip($0[0], $0[1], operation: "pow") { S.pow($0, $1) } },
        pullback: { g, x, z, needs in
            [
                needs[0] ? (g * x[1] * pow(x[0], x[1] - 1)).sum(toShape: x[0].shape) : nil,
                needs[1] ? (g * z * log(x[0])).sum(toShape: x[1].shape) : nil,
            ]
        },
        tangent: { t, x, z in
            sumOfTangents(
                t[0].map { $0 * x[1] * pow(x[0], x[1] - 1) }, t[1].map { $0 * z * log(x[0]) },
                shape: z.shape)
        }
    ).apply([x, y])
}

/// `x` limited to `[lower, upper]` elementwise. Derivative: 1 inside the interval (boundaries
/// included), 0 outside.
@inlinable
public func clamp<S: TensorScalar>(_ x: Tensor<S>, min lower: S, max upper: S) -> Tensor<S> {
    precondition(lower <= upper, "clamp: lower bound \(lower) exceeds upper bound \(upper)")
    return Primitive(
        "clamp",
        value: { ElementwiseKernels.map($0[0]) { Swift.min(Swift.max($0, lower), upper) } },
        pullback: { g, x, _, _ in [g * constantMap(x[0]) { $0 >= lower && $0 <= upper ? 1 : 0 }] },
        tangent: { t, x, _ in t[0]! * constantMap(x[0]) { $0 >= lower && $0 <= upper ? 1 : 0 } }
    ).apply([x])
}

/// Elementwise choice: `a` where `condition` is true, else `b`; `a` and `b` broadcast to
/// `shape`, which `condition` fills in row-major order. Derivative: the cotangent flows to the
/// chosen operand only (an infinite value in the operand not chosen does not leak into it).
@inlinable
public func select<S: TensorScalar>(_ condition: [Bool], shape: Shape, _ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    precondition(
        condition.count == shape.elementCount,
        "select: \(condition.count) conditions for shape \(shape)")
    let mask = Tensor<S>(shape: shape, scalars: condition.map { $0 ? 1 : 0 })
    return Primitive(
        "select",
        value: { x in
            let a = ElementwiseKernels.broadcast(x[0], to: shape)
            let b = ElementwiseKernels.broadcast(x[1], to: shape)
            var i = 0
            return ElementwiseKernels.map2(a, b) { u, v in
                defer { i += 1 }
                return condition[i] ? u : v
            }
        },
        pullback: { g, x, _, needs in
            [
                needs[0] ? (g * mask).sum(toShape: x[0].shape) : nil,
                needs[1] ? (g * (1 - mask)).sum(toShape: x[1].shape) : nil,
            ]
        },
        tangent: { t, x, _ in
            select(condition, shape: shape, t[0] ?? Tensor(zeros: x[0].shape), t[1] ?? Tensor(zeros: x[1].shape))
        }
    ).apply([a, b])
}

extension Tensor {
    /// Elementwise comparison mask (1 where `predicate` holds, else 0); a constant.
    @inlinable
    public func mask(where predicate: (Scalar) -> Bool) -> Tensor {
        constantMap(self) { predicate($0) ? 1 : 0 }
    }
}
