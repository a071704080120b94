import Autograd
import Benchmark

/// Engine micro-benchmarks. Wall-clock figures are for local comparison against a baseline
/// recorded on the same machine; the allocation counts are deterministic and are what a
/// threshold check should gate on.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 200
    )

    var g = SeededGenerator(seed: 0)
    let n = 5000, d = 784, k = 10
    let x = Tensor<Float>(randomUniform: [n, d], generator: &g)
    let labels = (0..<n).map { _ in Int(g.next() % UInt64(k)) }
    let lambda = Tensor<Float>(randomUniform: [n], generator: &g)
    let w = Tensor<Float>(randomNormal: [d, k], standardDeviation: 0.01, generator: &g)
    let b = Tensor<Float>(zeros: [k])
    let vw = Tensor<Float>(randomNormal: [d, k], generator: &g)
    let vb = Tensor<Float>(ones: [k])
    @Sendable func loss(_ p: [Tensor<Float>]) -> Tensor<Float> {
        crossEntropy(logits: matmul(x, p[0]) + p[1], labels: labels, weights: lambda)
    }

    Benchmark("softreg loss (5000x784, 10 classes)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(loss([w, b])) }
    }
    Benchmark("softreg loss + gradient") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(valueWithGradient(at: [w, b], of: loss)) }
    }
    Benchmark("softreg Hessian-vector product (forward-over-reverse)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(hessianVectorProduct(at: [w, b], along: [vw, vb], of: loss))
        }
    }
    Benchmark("softreg Hessian-vector product (reverse-over-reverse)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(hessianVectorProduct(at: [w, b], along: [vw, vb], method: .reverseOverReverse, of: loss))
        }
    }

    let a512 = Tensor<Float>(randomUniform: [512, 512], generator: &g)
    let b512 = Tensor<Float>(randomUniform: [512, 512], generator: &g)
    Benchmark("matmul 512x512 (Float)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(matmul(a512, b512)) }
    }
    Benchmark("skinny matmul 5000x784 * 784x10") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(matmul(x, w)) }
    }
    Benchmark("skinny matmul 784x5000 * 5000x10 (transposed left)") { benchmark in
        let r = Tensor<Float>(randomUniform: [n, k], generator: &g)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(matmul(x, r, transposeA: true)) }
    }

    // Bookkeeping per operation on tiny tensors: 1000 recorded operations and their reverse sweep.
    let small = Tensor<Float>(randomUniform: [8], generator: &g)
    @Sendable func chain(_ v: Tensor<Float>) -> Tensor<Float> {
        var y = v
        for _ in 0..<500 { y = y * small + small }
        return y.sum()
    }
    Benchmark("1000 tiny operations, plain") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(chain(small)) }
    }
    Benchmark("1000 tiny operations, recorded + reverse sweep") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(gradient(at: small, of: chain)) }
    }
}
