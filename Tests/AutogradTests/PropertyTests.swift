import Autograd
import PropertyBased
import Testing

/// Algebraic properties that must hold for every shape: reverse and forward mode are adjoint,
/// and each shape operation is the adjoint of its pullback partner.
@Suite("Properties over random shapes")
struct PropertyTests {
    typealias T = Tensor<Double>

    /// Shapes of rank 1…3 with dimensions 1…4, and a seed for the tensors' values.
    static let shapes = Gen.int(in: 1...4).array(of: 1...3)
    static let seeds = Gen.int(in: 0...1_000_000)

    static func tensor(_ dims: [Int], _ g: inout SeededGenerator) -> T {
        T(randomUniform: Shape(dims), lower: -1, upper: 1, generator: &g)
    }

    static func inner(_ a: T, _ b: T) -> Double { dot(a, b).scalar }

    @Test("⟨u, J v⟩ = ⟨Jᵀ u, v⟩ for a composite function with broadcasting")
    func forwardAndReverseAreAdjoint() async {
        await propertyCheck(count: 60, input: Self.shapes, Self.seeds) { dims, seed in
            var g = SeededGenerator(seed: UInt64(seed))
            // The second operand broadcasts: its leading dimension dropped, its last set to 1.
            let partner = Array(dims.dropFirst()) + (dims.count > 1 ? [] : [1])
            let a = Self.tensor(dims, &g)
            let b = Self.tensor(partner.isEmpty ? [1] : partner.map { _ in 1 }, &g)
            let f: ([T]) -> [T] = { x in [tanh(x[0] * x[1] + exp(-(x[1] * x[1]))) * softplus(x[0])] }
            let va = Self.tensor(dims, &g), vb = Self.tensor(b.shape.dimensions, &g)
            let (y, jv) = jvp(at: [a, b], along: [va, vb], of: f)
            let u = Self.tensor(y[0].shape.dimensions, &g)
            let (_, pullback) = valueWithPullback(at: [a, b], of: f)
            let jtu = pullback([u])
            let lhs = Self.inner(u, jv[0])
            let rhs = Self.inner(jtu[0], va) + Self.inner(jtu[1], vb)
            #expect(Swift.abs(lhs - rhs) <= 1e-12 * Swift.max(1, Swift.abs(lhs)))
        }
    }

    @Test("broadcast and sum-to-shape are adjoint")
    func broadcastAdjoint() async {
        await propertyCheck(count: 60, input: Self.shapes, Self.seeds) { dims, seed in
            var g = SeededGenerator(seed: UInt64(seed))
            let small = dims.enumerated().map { $0.offset % 2 == 0 ? 1 : $0.element }
            let x = Self.tensor(small, &g), y = Self.tensor([2] + dims, &g)
            let lhs = Self.inner(x.broadcast(to: y.shape), y)
            let rhs = Self.inner(x, y.sum(toShape: x.shape))
            #expect(Swift.abs(lhs - rhs) <= 1e-12 * Swift.max(1, Swift.abs(lhs)))
        }
    }

    @Test("gather and scatter-add are adjoint; slice and pad are adjoint")
    func selectionAdjoints() async {
        await propertyCheck(count: 60, input: Self.shapes, Self.seeds) { dims, seed in
            var g = SeededGenerator(seed: UInt64(seed))
            let x = Self.tensor(dims, &g)
            let axis = Int(g.next() % UInt64(dims.count))
            let indices = (0..<5).map { _ in Int(g.next() % UInt64(dims[axis])) }
            let gathered = x.gathering(indices, alongAxis: axis)
            let y = Self.tensor(gathered.shape.dimensions, &g)
            let lhs = Self.inner(gathered, y)
            let rhs = Self.inner(x, y.scatteringAdd(indices, alongAxis: axis, length: dims[axis]))
            #expect(Swift.abs(lhs - rhs) <= 1e-12 * Swift.max(1, Swift.abs(lhs)))

            let lower = Int(g.next() % UInt64(dims[axis]))
            let sliced = x.slice(alongAxis: axis, lower..<dims[axis])
            let z = Self.tensor(sliced.shape.dimensions, &g)
            let lhs2 = Self.inner(sliced, z)
            let rhs2 = Self.inner(x, z.padded(alongAxis: axis, to: dims[axis], at: lower))
            #expect(Swift.abs(lhs2 - rhs2) <= 1e-12 * Swift.max(1, Swift.abs(lhs2)))
        }
    }

    @Test("a permutation followed by its inverse is the identity")
    func permutationRoundTrip() async {
        await propertyCheck(count: 60, input: Self.shapes, Self.seeds) { dims, seed in
            var g = SeededGenerator(seed: UInt64(seed))
            let x = Self.tensor(dims, &g)
            var p = Array(0..<dims.count)
            p.shuffle(using: &g)
            var inverse = p
            for (i, q) in p.enumerated() { inverse[q] = i }
            let y = x.permuted(p)
            #expect(y.shape.dimensions == p.map { dims[$0] })
            #expect(y.permuted(inverse).hasSameValues(as: x))
        }
    }

    @Test("pullbacks are linear in the cotangent")
    func pullbackLinearity() async {
        await propertyCheck(count: 40, input: Self.shapes, Self.seeds) { dims, seed in
            var g = SeededGenerator(seed: UInt64(seed))
            let x = Self.tensor(dims, &g)
            let (y, pullback) = valueWithPullback(at: [x]) { x in [logSoftmax(x[0]) * sigmoid(x[0])] }
            let u = Self.tensor(y[0].shape.dimensions, &g), w = Self.tensor(y[0].shape.dimensions, &g)
            let combined = pullback([u * 2 - w * 3])[0]
            let separate = pullback([u])[0] * 2 - pullback([w])[0] * 3
            #expect(GradientCheck.relativeError(combined.scalars, separate.scalars) < 1e-13)
        }
    }
}
