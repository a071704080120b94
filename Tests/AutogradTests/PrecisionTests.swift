import Autograd
import RealModule
import Testing

/// Float results agree with Double within Float's precision.
@Suite("Float agrees with Double")
struct PrecisionTests {
    func loss<S: TensorScalar>(_ p: [Tensor<S>], _ x: Tensor<S>, _ labels: [Int]) -> Tensor<S> {
        let h = tanh(matmul(x, p[0]) + p[1])
        return crossEntropy(logits: matmul(h, p[2]) + p[3], labels: labels) + (p[0] * p[0]).sum() * 0.01
    }

    @Test("gradients and Hessian–vector products of an MLP loss")
    func mlpDerivatives() {
        var g = SeededGenerator(seed: 21)
        let x = Tensor<Double>(randomUniform: [32, 20], lower: -1, upper: 1, generator: &g)
        let labels = (0..<32).map { _ in Int(g.next() % 5) }
        let shapes: [Shape] = [[20, 16], [16], [16, 5], [5]]
        let p = shapes.map { Tensor<Double>(randomNormal: $0, standardDeviation: 0.3, generator: &g) }
        let v = shapes.map { Tensor<Double>(randomNormal: $0, generator: &g) }
        let xf = Tensor<Float>(converting: x)
        let pf = p.map(Tensor<Float>.init(converting:)), vf = v.map(Tensor<Float>.init(converting:))

        let (valueD, gradD) = valueWithGradient(at: p) { loss($0, x, labels) }
        let (valueF, gradF) = valueWithGradient(at: pf) { loss($0, xf, labels) }
        #expect(Double(valueF.scalar).isApproximatelyEqual(to: valueD.scalar, relativeTolerance: 1e-5))
        let gd = gradD.flatMap(\.scalars), gf = gradF.flatMap(\.scalars).map(Double.init)
        #expect(GradientCheck.relativeError(gf, gd) < 1e-5)

        let hvD = hessianVectorProduct(at: p, along: v) { loss($0, x, labels) }.flatMap(\.scalars)
        let hvF = hessianVectorProduct(at: pf, along: vf) { loss($0, xf, labels) }.flatMap(\.scalars).map(Double.init)
        #expect(GradientCheck.relativeError(hvF, hvD) < 1e-4)
    }

    @Test("elementwise functions")
    func elementwise() {
        var g = SeededGenerator(seed: 2)
        // Both precisions see exactly the same (Float-representable) inputs.
        let xf = Tensor<Float>(randomUniform: [1000], lower: -20, upper: 20, generator: &g)
        let x = Tensor<Double>(converting: xf)
        let positive = abs(xf) + 1e-3
        func agree(_ name: String, _ d: Tensor<Double>, _ f: Tensor<Float>, _ tol: Double = 3e-7) {
            for (a, b) in zip(d.scalars, f.scalars) {
                let ok = Double(b).isApproximatelyEqual(to: a, absoluteTolerance: 1e-30, relativeTolerance: tol)
                #expect(ok, "\(name): \(b) vs \(a)")
                if !ok { return }
            }
        }
        agree("exp", exp(x), exp(xf))
        agree("tanh", tanh(x), tanh(xf))
        agree("sigmoid", sigmoid(x), sigmoid(xf))
        agree("softplus", softplus(x), softplus(xf))
        agree("log", log(Tensor<Double>(converting: positive)), log(positive))
        // Softmax divides by a sum of ~100 terms and subtracts a shift of size ~20: a few ulps of
        // the shift become relative error in the smallest outputs.
        agree("softmax", softmax(x.reshaped(to: [10, 100])), softmax(xf.reshaped(to: [10, 100])), 4e-6)
    }
}
