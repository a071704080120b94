import Autograd
import RealModule
import Testing

/// Every operation's reverse rule and forward rule against finite differences in Double, on
/// several random shapes, including broadcasting cases.
@Suite("Operation derivatives against finite differences")
struct OperationDerivativeTests {
    typealias T = Tensor<Double>

    /// A random shape of rank 1...3 with dimensions 1...4.
    static func randomShape(_ g: inout SeededGenerator, rank: Int? = nil) -> Shape {
        let r = rank ?? Int(g.next() % 3) + 1
        return Shape((0..<r).map { _ in Int(g.next() % 4) + 1 })
    }

    /// A shape that broadcasts to `shape`: leading dimensions dropped and some set to 1.
    static func broadcastPartner(of shape: Shape, _ g: inout SeededGenerator) -> Shape {
        let drop = Int(g.next() % UInt64(shape.rank + 1))
        return Shape(shape.dimensions.dropFirst(drop).map { g.next() % 2 == 0 ? 1 : $0 })
    }

    static let seeds: [UInt64] = [1, 2, 3, 4, 5]

    @Test("binary arithmetic with broadcasting", arguments: seeds)
    func binaryArithmetic(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let s = Self.randomShape(&g)
        let a = GradientCheck.randomTensor(s, &g)
        for partner in [s, Self.broadcastPartner(of: s, &g), Shape([])] {
            let b = GradientCheck.randomTensor(partner, &g, lower: 0.5, upper: 1.5)
            GradientCheck.check([a, b]) { $0[0] + $0[1] }
            GradientCheck.check([a, b]) { $0[0] - $0[1] }
            GradientCheck.check([a, b]) { $0[0] * $0[1] }
            GradientCheck.check([a, b]) { $0[0] / $0[1] }
            // The broadcast operand on the left too.
            GradientCheck.check([b, a]) { $0[0] * $0[1] }
            GradientCheck.check([a, b]) { $0[1] / ($0[0] * $0[0] + 1) }
        }
    }

    @Test("scalar operands and negation", arguments: seeds)
    func scalarOperands(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let a = GradientCheck.randomTensor(Self.randomShape(&g), &g)
        GradientCheck.check([a]) { -$0[0] }
        GradientCheck.check([a]) { $0[0] * 3 + 2 }
        GradientCheck.check([a]) { 2 - $0[0] / 4 }
        GradientCheck.check([a]) { 1 / ($0[0] * $0[0] + 2) }
    }

    @Test("elementary functions", arguments: seeds)
    func elementaryFunctions(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let s = Self.randomShape(&g)
        let x = GradientCheck.randomTensor(s, &g, lower: -2, upper: 2)
        let positive = GradientCheck.randomTensor(s, &g, lower: 0.5, upper: 2)
        // Keep away from the kinks of abs/relu/clamp, where finite differences are meaningless.
        let awayFromZero = x + x.mask { $0 >= 0 } * 0.1 - x.mask { $0 < 0 } * 0.1
        GradientCheck.check([x]) { exp($0[0]) }
        GradientCheck.check([positive]) { log($0[0]) }
        GradientCheck.check([positive]) { sqrt($0[0]) }
        GradientCheck.check([awayFromZero]) { abs($0[0]) }
        GradientCheck.check([x]) { tanh($0[0]) }
        GradientCheck.check([x]) { sigmoid($0[0]) }
        GradientCheck.check([awayFromZero]) { relu($0[0]) }
        GradientCheck.check([x]) { softplus($0[0]) }
        GradientCheck.check([positive]) { pow($0[0], 2.5) }
        GradientCheck.check([x]) { pow($0[0], 2) }
        GradientCheck.check([x]) { pow($0[0], 3) }
        GradientCheck.check([awayFromZero]) { clamp($0[0], min: -0.05, max: 0.05) + clamp($0[0], min: -3, max: 3) }
    }

    @Test("pow with a tensor exponent", arguments: seeds)
    func tensorPow(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let s = Self.randomShape(&g)
        let base = GradientCheck.randomTensor(s, &g, lower: 0.5, upper: 2)
        let exponent = GradientCheck.randomTensor(Self.broadcastPartner(of: s, &g), &g, lower: -2, upper: 2)
        GradientCheck.check([base, exponent]) { pow($0[0], $0[1]) }
    }

    @Test("reductions over all and given axes", arguments: seeds)
    func reductions(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let s = Self.randomShape(&g, rank: 3)
        let x = GradientCheck.randomTensor(s, &g, lower: -2, upper: 2)
        for axes: [Int]? in [nil, [0], [1], [2], [0, 2], [-1], [0, 1]] {
            for keep in [false, true] {
                GradientCheck.check([x]) { $0[0].sum(alongAxes: axes, keepingDimensions: keep) }
                GradientCheck.check([x]) { $0[0].mean(alongAxes: axes, keepingDimensions: keep) }
                GradientCheck.check([x]) { $0[0].max(alongAxes: axes, keepingDimensions: keep) }
                GradientCheck.check([x]) { $0[0].logSumExp(alongAxes: axes, keepingDimensions: keep) }
            }
        }
    }

    @Test("softmax, log-softmax, cross-entropy and MSE", arguments: seeds)
    func lossFunctions(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let n = Int(g.next() % 4) + 2, c = Int(g.next() % 4) + 2
        let z = GradientCheck.randomTensor([n, c], &g, lower: -3, upper: 3)
        let labels = (0..<n).map { _ in Int(g.next() % UInt64(c)) }
        let w = GradientCheck.randomTensor([n], &g, lower: 0, upper: 1)
        GradientCheck.check([z]) { softmax($0[0]) }
        GradientCheck.check([z]) { softmax($0[0], alongAxis: 0) }
        GradientCheck.check([z]) { logSoftmax($0[0]) }
        GradientCheck.check([z]) { logSoftmax($0[0], alongAxis: 0) }
        for reduction in [LossReduction.none, .sum, .mean] {
            GradientCheck.check([z]) { crossEntropy(logits: $0[0], labels: labels, reduction: reduction) }
            GradientCheck.check([z, w]) { crossEntropy(logits: $0[0], labels: labels, weights: $0[1], reduction: reduction) }
        }
        let t = GradientCheck.randomTensor([n, c], &g)
        GradientCheck.check([z, t]) { meanSquaredError(predicted: $0[0], target: $0[1]) }
        // The logit cotangent of cross-entropy: fused kernels for value, tangent and pullback…
        GradientCheck.check([z, w]) { softmaxCrossEntropyCotangent(logits: $0[0], scale: $0[1], labels: labels) }
        // …and its composite rules, used when the rules themselves are differentiated: the
        // gradient (and the JVP) of a directional derivative.
        let vz = GradientCheck.randomTensor([n, c], &g), vw = GradientCheck.randomTensor([n], &g)
        GradientCheck.check([z, w]) { x in
            jvp(at: x, along: [vz, vw]) { [softmaxCrossEntropyCotangent(logits: $0[0], scale: $0[1], labels: labels)] }.tangent[0]
        }
    }

    @Test("matrix products with transposes and batches", arguments: seeds)
    func matrixProducts(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let m = Int(g.next() % 4) + 1, k = Int(g.next() % 4) + 1, n = Int(g.next() % 4) + 1
        let a = GradientCheck.randomTensor([m, k], &g), b = GradientCheck.randomTensor([k, n], &g)
        GradientCheck.check([a, b]) { matmul($0[0], $0[1]) }
        GradientCheck.check([a.T, b]) { matmul($0[0], $0[1], transposeA: true) }
        GradientCheck.check([a, b.T]) { matmul($0[0], $0[1], transposeB: true) }
        GradientCheck.check([a.T, b.T]) { matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        // One operand constant: the fused product-and-tangent path.
        for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
            let ca = tA ? a.T : a, cb = tB ? b.T : b
            GradientCheck.check([cb]) { matmul(ca, $0[0], transposeA: tA, transposeB: tB) }
            GradientCheck.check([ca]) { matmul($0[0], cb, transposeA: tA, transposeB: tB) }
        }
        let batch = Int(g.next() % 3) + 1
        let ab = GradientCheck.randomTensor([batch, m, k], &g), bb = GradientCheck.randomTensor([batch, k, n], &g)
        GradientCheck.check([ab, bb]) { matmul($0[0], $0[1]) }
        GradientCheck.check([ab, b]) { matmul($0[0], $0[1]) }
        let v = GradientCheck.randomTensor([m * k], &g), w = GradientCheck.randomTensor([m * k], &g)
        GradientCheck.check([v, w]) { dot($0[0], $0[1]) }
    }

    @Test("shape operations", arguments: seeds)
    func shapeOperations(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let x = GradientCheck.randomTensor([2, 3, 4], &g)
        GradientCheck.check([x]) { $0[0].reshaped(to: [6, 4]) }
        GradientCheck.check([x]) { $0[0].reshaped(to: [-1]) }
        GradientCheck.check([x]) { $0[0].transposed() }
        GradientCheck.check([x]) { $0[0].permuted([2, 0, 1]) }
        GradientCheck.check([x]) { $0[0].slice(alongAxis: 1, 1..<3) }
        GradientCheck.check([x]) { $0[0].slice(alongAxis: -1, 0..<1) }
        GradientCheck.check([x]) { $0[0].padded(alongAxis: 0, to: 5, at: 2) }
        let indices = (0..<5).map { _ in Int(g.next() % 3) }
        GradientCheck.check([x]) { $0[0].gathering(indices, alongAxis: 1) }
        GradientCheck.check([x]) { $0[0].gathering([3, 0, 0], alongAxis: 2) }
        let y = GradientCheck.randomTensor([2, 1, 4], &g)
        GradientCheck.check([x, y]) { concatenate([$0[0], $0[1], $0[0]], alongAxis: 1) }
        GradientCheck.check([x]) { $0[0].broadcast(to: [3, 2, 3, 4]) }
        GradientCheck.check([x]) { $0[0].sum(toShape: [3, 1]) }
        let condition = (0..<24).map { _ in g.next() % 2 == 0 }
        let b = GradientCheck.randomTensor([4], &g)
        GradientCheck.check([x, b]) { select(condition, shape: [2, 3, 4], $0[0], $0[1]) }
    }

    @Test("composite model: a two-layer MLP with cross-entropy")
    func compositeModel() {
        var g = SeededGenerator(seed: 9)
        let x = GradientCheck.randomTensor([5, 3], &g)
        let labels = [0, 2, 1, 1, 0]
        let model = MLP<Double>(sizes: [3, 4, 3], activation: .tanh, generator: &g)
        GradientCheck.check(model.parameters) { ps in
            crossEntropy(logits: model.with(parameters: ps)(x), labels: labels)
        }
    }
}
