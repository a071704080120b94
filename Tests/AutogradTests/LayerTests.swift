import Autograd
import RealModule
import Testing

@Suite("Layers and training")
struct LayerTests {
    /// Three Gaussian blobs in 2-D.
    static func blobs(_ n: Int, _ g: inout SeededGenerator) -> (Tensor<Double>, [Int]) {
        let centers: [(Double, Double)] = [(2, 0), (-1, 1.7), (-1, -1.7)]
        var xs: [Double] = [], labels: [Int] = []
        for i in 0..<n {
            let c = i % 3
            xs += [centers[c].0 + 0.5 * g.nextNormal(), centers[c].1 + 0.5 * g.nextNormal()]
            labels.append(c)
        }
        return (Tensor(shape: [n, 2], scalars: xs), labels)
    }

    static func accuracy(_ logits: Tensor<Double>, _ labels: [Int]) -> Double {
        let c = logits.shape[1]
        let s = logits.scalars
        var right = 0
        for (i, l) in labels.enumerated() {
            let row = s[(i * c)..<((i + 1) * c)]
            if row.firstIndex(of: row.max()!)! - i * c == l { right += 1 }
        }
        return Double(right) / Double(labels.count)
    }

    @Test("softmax regression trained by SGD fits separable data")
    func softmaxRegression() {
        var g = SeededGenerator(seed: 1)
        let (x, labels) = Self.blobs(150, &g)
        var model = Linear<Double>(inputSize: 2, outputSize: 3, initializer: .zeros, generator: &g)
        var sgd = SGD<Double>(learningRate: 0.5)
        var losses: [Double] = []
        for _ in 0..<100 {
            let (loss, grads) = valueWithGradient(at: model.parameters) { ps in
                crossEntropy(logits: model.with(parameters: ps)(x), labels: labels)
            }
            losses.append(loss.scalar)
            sgd.update(&model.parameters, along: grads)
        }
        #expect(losses.last! < 0.2 * losses.first!)
        #expect(Self.accuracy(model(x), labels) > 0.95)
    }

    @Test("an MLP with momentum learns XOR, which no linear model can")
    func mlpXor() {
        var g = SeededGenerator(seed: 3)
        let x = Tensor<Double>(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
        let labels = [0, 1, 1, 0]
        var model = MLP<Double>(sizes: [2, 8, 2], activation: .tanh, generator: &g)
        var sgd = SGD<Double>(learningRate: 0.2, momentum: 0.9)
        for _ in 0..<300 {
            let grads = gradient(at: model.parameters) { ps in
                crossEntropy(logits: model.with(parameters: ps)(x), labels: labels)
            }
            sgd.update(&model.parameters, along: grads)
        }
        #expect(Self.accuracy(model(x), labels) == 1)
    }

    @Test("initialisers have the variances their papers specify")
    func initializerVariance() {
        var g = SeededGenerator(seed: 4)
        let fanIn = 400, fanOut = 200
        func variance(_ t: Tensor<Double>) -> Double {
            let m = t.mean().scalar
            return ((t - m) * (t - m)).mean().scalar
        }
        let cases: [(Initializer, Double)] = [
            (.xavierUniform, 2.0 / Double(fanIn + fanOut)), (.xavierNormal, 2.0 / Double(fanIn + fanOut)),
            (.heUniform, 2.0 / Double(fanIn)), (.heNormal, 2.0 / Double(fanIn)),
        ]
        for (initializer, expected) in cases {
            let w: Tensor<Double> = initializer.weight(fanIn: fanIn, fanOut: fanOut, generator: &g)
            #expect(Swift.abs(variance(w) / expected - 1) < 0.05, "\(initializer)")
        }
    }
}
