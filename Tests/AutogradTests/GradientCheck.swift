import Autograd
import RealModule
import Testing

/// Finite-difference checks of the engine's derivatives, in Double.
///
/// For `f: [Tensor] -> Tensor` and random directions, the reverse-mode pullback of a random
/// cotangent `u` and the forward-mode tangent along a random `v` are compared with a fourth-order
/// central difference `(−φ(x+2h) + 8φ(x+h) − 8φ(x−h) + φ(x−2h)) / 12h`, whose truncation error is
/// O(h⁴): with h = 1e-3 relative differences of 1e-9 are typical for smooth functions.
enum GradientCheck {
    static func randomTensor(_ shape: Shape, _ g: inout SeededGenerator, lower: Double = -1, upper: Double = 1) -> Tensor<Double> {
        Tensor(randomUniform: shape, lower: lower, upper: upper, generator: &g)
    }

    /// ‖a − b‖ / max(‖b‖, floor)
    static func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-8) -> Double {
        precondition(a.count == b.count)
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) {
            num += (x - y) * (x - y)
            den += y * y
        }
        return num.squareRoot() / max(den.squareRoot(), floor)
    }

    static func fourPoint(_ h: Double, _ phi: (Double) -> [Double]) -> [Double] {
        let p2 = phi(2 * h), p1 = phi(h), m1 = phi(-h), m2 = phi(-2 * h)
        return (0..<p1.count).map { (-p2[$0] + 8 * p1[$0] - 8 * m1[$0] + m2[$0]) / (12 * h) }
    }

    static func shifted(_ inputs: [Tensor<Double>], _ directions: [Tensor<Double>], by t: Double) -> [Tensor<Double>] {
        zip(inputs, directions).map { x, v in x + v * t }
    }

    /// Checks the reverse-mode pullback and the forward-mode JVP of `f` at `inputs` against
    /// finite differences. Returns (reverse error, forward error).
    @discardableResult
    static func check(
        _ inputs: [Tensor<Double>], seed: UInt64 = 1, h: Double = 1e-3, tolerance: Double = 1e-6,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ f: @escaping ([Tensor<Double>]) -> Tensor<Double>
    ) -> (reverse: Double, forward: Double) {
        var g = SeededGenerator(seed: seed)
        let y = f(inputs)
        let u = randomTensor(y.shape, &g)
        // Reverse: ⟨u, J v⟩ for basis-free check — compare the full gradient of φ(x) = ⟨u, f(x)⟩
        // element by element with finite differences.
        let (_, pullback) = valueWithPullback(at: inputs) { [f($0)] }
        let reverse = pullback([u])
        var reverseErrors: [Double] = []
        for (i, x) in inputs.enumerated() {
            var fd = [Double](repeating: 0, count: x.scalarCount)
            for j in 0..<x.scalarCount {
                var e = [Double](repeating: 0, count: x.scalarCount)
                e[j] = 1
                let basis = inputs.indices.map { k in k == i ? Tensor(shape: x.shape, scalars: e) : Tensor<Double>(zeros: inputs[k].shape) }
                fd[j] = fourPoint(h) { t in [dot(f(shifted(inputs, basis, by: t)), u).scalar] }[0]
            }
            reverseErrors.append(relativeError(reverse[i].scalars, fd))
        }
        // Forward: J v against the directional difference, for a random direction v.
        let v = inputs.map { randomTensor($0.shape, &g) }
        let (value, tangent) = jvp(at: inputs, along: v) { [f($0)] }
        // The primal is unchanged by carrying tangents, up to rounding (when f is itself a
        // derivative, fused and composite rules may order operations differently).
        #expect(relativeError(value[0].scalars, y.scalars, floor: 1e-300) <= 1e-12, "jvp changed the primal value", sourceLocation: sourceLocation)
        let fdTangent = fourPoint(h) { t in f(shifted(inputs, v, by: t)).scalars }
        let forwardError = relativeError(tangent[0].scalars, fdTangent)
        let reverseError = reverseErrors.max() ?? 0
        #expect(reverseError <= tolerance, "reverse-mode relative error \(reverseError)", sourceLocation: sourceLocation)
        #expect(forwardError <= tolerance, "forward-mode relative error \(forwardError)", sourceLocation: sourceLocation)
        return (reverseError, forwardError)
    }
}
