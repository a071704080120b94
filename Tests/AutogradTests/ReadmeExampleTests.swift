import Autograd
import Testing

/// The README's library example, verbatim, with checks of what it computes.
@Test("the README example runs and its results are consistent")
func readmeExample() {
    // --- as in README.md ---
    var generator = SeededGenerator(seed: 0)
    let x = Tensor<Double>(randomUniform: [100, 5], generator: &generator)
    let labels = (0..<100).map { $0 % 3 }
    let weights = Tensor<Double>(ones: [100])
    let w = Tensor<Double>(zeros: [5, 3]), b = Tensor<Double>(zeros: [3])

    func loss(_ p: [Tensor<Double>]) -> Tensor<Double> {
        crossEntropy(logits: matmul(x, p[0]) + p[1], labels: labels, weights: weights)
    }

    let (value, grads) = valueWithGradient(at: [w, b], of: loss)
    let (_, directional) = jvp(at: w, along: Tensor(ones: [5, 3])) { w in loss([w, b]) }
    let hv = hessianVectorProduct(at: [w, b], along: grads, of: loss)
    let (outputs, pullback) = valueWithPullback(at: [w, b]) { p in [matmul(x, p[0]) + p[1]] }
    let cotangents = pullback([Tensor(ones: outputs[0].shape)])
    // --- checks ---
    // At zero weights every class is equally likely: the loss is log 3.
    #expect(Swift.abs(value.scalar - 1.0986122886681098) < 1e-12)
    // The directional derivative along all-ones equals ⟨∇_W, 1⟩.
    #expect(Swift.abs(directional.scalar - grads[0].sum().scalar) < 1e-12)
    let rr = hessianVectorProduct(at: [w, b], along: grads, method: .reverseOverReverse, of: loss)
    #expect(GradientCheck.relativeError(hv.flatMap(\.scalars), rr.flatMap(\.scalars)) < 1e-12)
    // The pullback of Σ(XW + b) is (Xᵀ1, n·1).
    #expect(GradientCheck.relativeError(cotangents[0].scalars, matmul(x, Tensor(ones: [100, 3]), transposeA: true).scalars) < 1e-14)
    #expect(cotangents[1].scalars == [100, 100, 100])
}
