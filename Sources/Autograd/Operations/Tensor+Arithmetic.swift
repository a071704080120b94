/// Elementwise arithmetic with NumPy broadcasting.
///
/// | operation | pullback (ā, b̄) | tangent |
/// |---|---|---|
/// | a + b | (ḡ, ḡ) | ȧ + ḃ |
/// | a − b | (ḡ, −ḡ) | ȧ − ḃ |
/// | a · b | (ḡ·b, ḡ·a) | ȧ·b + a·ḃ |
/// | a / b | (ḡ/b, −ḡ·y/b) | (ȧ − y·ḃ)/b |
///
/// where `y` is the output and each cotangent is summed back to its operand's shape.
extension Tensor {
    @inlinable
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        Primitive(
            "add",
            value: { ElementwiseKernels.zip($0[0], $0[1], operation: "add", +) },
            pullback: { g, x, _, needs in
                [needs[0] ? g.sum(toShape: x[0].shape) : nil, needs[1] ? g.sum(toShape: x[1].shape) : nil]
            },
            tangent: { t, _, y in sumOfTangents(t[0], t[1], shape: y.shape) }
        ).apply([lhs, rhs])
    }

    @inlinable
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        Primitive(
            "subtract",
            value: { ElementwiseKernels.zip($0[0], $0[1], operation: "subtract", -) },
            pullback: { g, x, _, needs in
                [needs[0] ? g.sum(toShape: x[0].shape) : nil, needs[1] ? (-g).sum(toShape: x[1].shape) : nil]
            },
            tangent: { t, _, y in sumOfTangents(t[0], t[1].map { -$0 }, shape: y.shape) }
        ).apply([lhs, rhs])
    }

    @inlinable
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        Primitive(
            "multiply",
            value: { ElementwiseKernels.zip($0[0], $0[1], operation: "multiply", *) },
            pullback: { g, x, _, needs in
                [
                    needs[0] ? (g * x[1]).sum(toShape: x[0].shape) : nil,
                    needs[1] ? (g * x[0]).sum(toShape: x[1].shape) : nil,
                ]
            },
            tangent: { t, x, y in sumOfTangents(t[0].map { $0 * x[1] }, t[1].map { x[0] * $0 }, shape: y.shape) }
        ).apply([lhs, rhs])
    }

    @inlinable
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        Primitive(
            "divide",
            value: { ElementwiseKernels.zip($0[0], $0[1], operation: "divide", /) },
            pullback: { g, x, y, needs in
                [
                    needs[0] ? (g / x[1]).sum(toShape: x[0].shape) : nil,
                    needs[1] ? (-(g * y) / x[1]).sum(toShape: x[1].shape) : nil,
                ]
            },
            tangent: { t, x, y in
                sumOfTangents(t[0], t[1].map { -(y * $0) }, shape: y.shape) / x[1]
            }
        ).apply([lhs, rhs])
    }

    /// Elementwise negation. Pullback −ḡ; tangent −ẋ.
    @inlinable
    public static prefix func - (x: Tensor) -> Tensor {
        Primitive(
            "negate",
            value: { ElementwiseKernels.map($0[0]) { -$0 } },
            pullback: { g, _, _, _ in [-g] },
            tangent: { t, _, _ in -t[0]! }
        ).apply([x])
    }

    @inlinable
    public static func + (lhs: Tensor, rhs: Scalar) -> Tensor { lhs + Tensor(rhs) }
    @inlinable
    public static func + (lhs: Scalar, rhs: Tensor) -> Tensor { Tensor(lhs) + rhs }
    @inlinable
    public static func - (lhs: Tensor, rhs: Scalar) -> Tensor { lhs - Tensor(rhs) }
    @inlinable
    public static func - (lhs: Scalar, rhs: Tensor) -> Tensor { Tensor(lhs) - rhs }
    @inlinable
    public static func * (lhs: Tensor, rhs: Scalar) -> Tensor { lhs * Tensor(rhs) }
    @inlinable
    public static func * (lhs: Scalar, rhs: Tensor) -> Tensor { Tensor(lhs) * rhs }
    @inlinable
    public static func / (lhs: Tensor, rhs: Scalar) -> Tensor { lhs / Tensor(rhs) }
    @inlinable
    public static func / (lhs: Scalar, rhs: Tensor) -> Tensor { Tensor(lhs) / rhs }

    @inlinable
    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs = lhs + rhs }
    @inlinable
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs - rhs }
    @inlinable
    public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs * rhs }
    @inlinable
    public static func /= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs / rhs }
    @inlinable
    public static func += (lhs: inout Tensor, rhs: Scalar) { lhs = lhs + rhs }
    @inlinable
    public static func -= (lhs: inout Tensor, rhs: Scalar) { lhs = lhs - rhs }
    @inlinable
    public static func *= (lhs: inout Tensor, rhs: Scalar) { lhs = lhs * rhs }
    @inlinable
    public static func /= (lhs: inout Tensor, rhs: Scalar) { lhs = lhs / rhs }
}
