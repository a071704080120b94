import Autograd
import RealModule
import Testing

/// Hessian–vector products and nested differentiation.
@Suite("Second-order derivatives")
struct SecondOrderTests {
    typealias T = Tensor<Double>

    /// Softmax regression with per-example weights: `Σᵢ λᵢ CEᵢ(XW + b) / n`.
    static func softmaxRegressionLoss(_ x: T, _ labels: [Int], _ lambda: T) -> ([T]) -> T {
        { p in crossEntropy(logits: matmul(x, p[0]) + p[1], labels: labels, weights: lambda) }
    }

    /// A two-layer tanh MLP with a cross-entropy loss.
    static func mlpLoss(_ x: T, _ labels: [Int]) -> ([T]) -> T {
        { p in crossEntropy(logits: matmul(tanh(matmul(x, p[0]) + p[1]), p[2]) + p[3], labels: labels) }
    }

    /// `H v` by a fourth-order central difference of gradients.
    static func finiteDifferenceHVP(_ f: @escaping ([T]) -> T, at x: [T], along v: [T], h: Double = 1e-3) -> [Double] {
        GradientCheck.fourPoint(h) { t in
            gradient(at: GradientCheck.shifted(x, v, by: t), of: f).flatMap(\.scalars)
        }
    }

    static func problems() -> [(name: String, f: ([T]) -> T, x: [T], v: [T])] {
        var g = SeededGenerator(seed: 42)
        let n = 6, d = 4, c = 3, hidden = 5
        let x = GradientCheck.randomTensor([n, d], &g)
        let labels = (0..<n).map { _ in Int(g.next() % UInt64(c)) }
        let lambda = GradientCheck.randomTensor([n], &g, lower: 0, upper: 1)
        let softreg = [GradientCheck.randomTensor([d, c], &g), GradientCheck.randomTensor([c], &g)]
        let softregV = softreg.map { GradientCheck.randomTensor($0.shape, &g) }
        let mlp = [
            GradientCheck.randomTensor([d, hidden], &g), GradientCheck.randomTensor([hidden], &g),
            GradientCheck.randomTensor([hidden, c], &g), GradientCheck.randomTensor([c], &g),
        ]
        let mlpV = mlp.map { GradientCheck.randomTensor($0.shape, &g) }
        return [
            ("softmax regression", softmaxRegressionLoss(x, labels, lambda), softreg, softregV),
            ("two-layer MLP", mlpLoss(x, labels), mlp, mlpV),
        ]
    }

    @Test("Hessian–vector products against finite differences of gradients")
    func hvpAgainstFiniteDifferences() {
        for p in Self.problems() {
            let reference = Self.finiteDifferenceHVP(p.f, at: p.x, along: p.v)
            for method in [HessianVectorProductMethod.forwardOverReverse, .reverseOverReverse] {
                let hv = hessianVectorProduct(at: p.x, along: p.v, method: method, of: p.f).flatMap(\.scalars)
                let err = GradientCheck.relativeError(hv, reference)
                #expect(err < 1e-7, "\(p.name), \(method): relative error \(err)")
            }
        }
    }

    @Test("reverse-over-reverse equals forward-over-reverse")
    func reverseOverReverseEqualsForwardOverReverse() {
        for p in Self.problems() {
            let a = hessianVectorProduct(at: p.x, along: p.v, method: .forwardOverReverse, of: p.f).flatMap(\.scalars)
            let b = hessianVectorProduct(at: p.x, along: p.v, method: .reverseOverReverse, of: p.f).flatMap(\.scalars)
            #expect(GradientCheck.relativeError(a, b) < 1e-12, "\(p.name)")
        }
    }

    @Test("the Hessian of a quadratic form is A + Aᵀ, exactly")
    func quadraticForm() {
        var g = SeededGenerator(seed: 3)
        let a = GradientCheck.randomTensor([4, 4], &g), x = GradientCheck.randomTensor([4, 1], &g)
        let v = GradientCheck.randomTensor([4, 1], &g)
        let f: (T) -> T = { x in matmul(matmul(x, a, transposeA: true), x).sum() }
        let expected = matmul(a + a.T, v).scalars
        for method in [HessianVectorProductMethod.forwardOverReverse, .reverseOverReverse] {
            let hv = hessianVectorProduct(at: x, along: v, method: method, of: f).scalars
            #expect(GradientCheck.relativeError(hv, expected) < 1e-14)
        }
    }

    @Test("second derivatives of elementary functions")
    func scalarSecondDerivatives() {
        let x = T([0.3, -1.2, 2.0])
        // d²/dx² of exp, sin-free closed forms: exp'' = exp, tanh'' = −2 tanh (1 − tanh²),
        // sigmoid'' = σ(1−σ)(1−2σ), log'' = −1/x².
        let ones = T(ones: [3])
        func second(_ f: @escaping (T) -> T) -> [Double] {
            hessianVectorProduct(at: x, along: ones) { f($0).sum() }.scalars
        }
        let xs = x.scalars
        let e = xs.map { Double.exp($0) }
        let t = xs.map { Double.tanh($0) }
        let s = xs.map { 1 / (1 + Double.exp(-$0)) }
        #expect(GradientCheck.relativeError(second { exp($0) }, e) < 1e-15)
        #expect(GradientCheck.relativeError(second { tanh($0) }, t.map { -2 * $0 * (1 - $0 * $0) }) < 1e-14)
        #expect(GradientCheck.relativeError(second { sigmoid($0) }, s.map { $0 * (1 - $0) * (1 - 2 * $0) }) < 1e-14)
        let positive = T([0.5, 1.5, 3.0])
        let logSecond = hessianVectorProduct(at: positive, along: ones) { log($0).sum() }.scalars
        #expect(GradientCheck.relativeError(logSecond, positive.scalars.map { -1 / ($0 * $0) }) < 1e-15)
    }

    @Test("several tangent directions at once equal one direction at a time")
    func multipleDirections() {
        for p in Self.problems() {
            var g = SeededGenerator(seed: 17)
            let directions = (0..<4).map { _ in p.x.map { GradientCheck.randomTensor($0.shape, &g) } }
            // The function's value and, through a gradient (forward-over-reverse), its HVPs.
            let f: ([T]) -> [T] = { x in [p.f(x)] + gradient(at: x, of: p.f) }
            let (value, together) = jvp(at: p.x, alongDirections: directions, of: f)
            #expect(value[0].scalar == p.f(p.x).scalar)
            for (d, direction) in directions.enumerated() {
                let (_, alone) = jvp(at: p.x, along: direction, of: f)
                let err = GradientCheck.relativeError(together[d].flatMap(\.scalars), alone.flatMap(\.scalars))
                #expect(err < 1e-13, "\(p.name), direction \(d): \(err)")
            }
        }
    }

    @Test("nested derivatives do not confuse their perturbations")
    func perturbationConfusion() {
        // d/dx [ x · d/dy (x + y) ]  at x = 1 is 1 (the inner derivative is the constant 1);
        // confusing the two perturbations would give 2.
        let one = T(1.0)
        let reverse = gradient(at: one) { x in x * gradient(at: one) { y in x + y } }
        #expect(reverse.scalar == 1)
        let forward = jvp(at: one, along: one) { x in x * jvp(at: one, along: one) { y in x + y }.tangent }.tangent
        #expect(forward.scalar == 1)
        // d/dx [ d/dy (x·y) ]  = d/dx [x] = 1, with the inner variable the same value as x.
        let x0 = T(3.0)
        let mixed = gradient(at: x0) { x in gradient(at: x) { y in x * y } }
        #expect(mixed.scalar == 1)
        let mixedForward = jvp(at: x0, along: one) { x in gradient(at: x) { y in x * y } }.tangent
        #expect(mixedForward.scalar == 1)
    }

    @Test("reverse-over-forward: the gradient of a directional derivative")
    func reverseOverForward() {
        var g = SeededGenerator(seed: 11)
        let x = GradientCheck.randomTensor([3], &g), v = GradientCheck.randomTensor([3], &g)
        let f: (T) -> T = { x in (exp(x) * x).sum() }
        // ∇ₓ ⟨∇f(x), v⟩ = H v, here diagonal: (x + 2) eˣ ⊙ v.
        let hv = gradient(at: x) { x in jvp(at: x, along: v, of: f).tangent }
        let expected = zip(x.scalars, v.scalars).map { (x, v) in (x + 2) * Double.exp(x) * v }
        #expect(GradientCheck.relativeError(hv.scalars, expected) < 1e-14)
    }

    @Test("third derivative by nesting three levels")
    func thirdDerivative() {
        let x = T([0.7])
        let one = T([1.0])
        // d³/dx³ x⁴ = 24x
        let third = gradient(at: x) { x in
            jvp(at: x, along: one) { x in gradient(at: x) { pow($0, 4).sum() } }.tangent.sum()
        }
        #expect(abs(third.scalars[0] - 24 * 0.7) < 1e-12)
    }
}
