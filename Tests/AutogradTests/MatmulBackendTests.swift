@testable import Autograd
import Testing

/// BLAS, the SIMD skinny kernels and the plain-Swift reference compute the same products.
@Suite("Matrix-product backends agree")
struct MatmulBackendTests {
    static let shapes: [(m: Int, k: Int, n: Int)] = [
        (1, 1, 1), (3, 5, 2), (17, 33, 10), (64, 784, 10), (200, 97, 20), (5, 64, 33), (130, 7, 1),
        (0, 4, 3), (4, 0, 3),
    ]

    func product<S: TensorScalar>(
        _ a: Tensor<S>, _ b: Tensor<S>, _ tA: Bool, _ tB: Bool, backend: MatrixMultiplicationBackend
    ) -> [S] {
        MatrixMultiplicationBackend.$current.withValue(backend) {
            matmul(a, b, transposeA: tA, transposeB: tB).scalars
        }
    }

    func check<S: TensorScalar>(_: S.Type, tolerance: S) {
        var g = SeededGenerator(seed: 5)
        for (m, k, n) in Self.shapes {
            for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = Tensor<S>(randomUniform: tA ? [k, m] : [m, k], lower: -1, upper: 1, generator: &g)
                let b = Tensor<S>(randomUniform: tB ? [n, k] : [k, n], lower: -1, upper: 1, generator: &g)
                let reference = product(a, b, tA, tB, backend: .reference)
                // An independent double-precision triple loop as ground truth.
                var exact = [Double](repeating: 0, count: m * n)
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k {
                            let x = Double(tA ? a[scalarAt: p, i] : a[scalarAt: i, p])
                            let y = Double(tB ? b[scalarAt: j, p] : b[scalarAt: p, j])
                            s += x * y
                        }
                        exact[i * n + j] = s
                    }
                }
                let scale = S(max(1, k))
                for backend in MatrixMultiplicationBackend.allCases {
                    let c = product(a, b, tA, tB, backend: backend)
                    #expect(c.count == m * n)
                    for i in 0..<c.count {
                        let err = Swift.abs(c[i] - S(exact[i]))
                        #expect(err <= tolerance * scale, "\(S.typeName) \(backend) m=\(m) k=\(k) n=\(n) tA=\(tA) tB=\(tB): \(c[i]) vs \(exact[i])")
                        if err > tolerance * scale { return }
                    }
                    _ = reference
                }
            }
        }
    }

    @Test func doublePrecision() { check(Double.self, tolerance: 1e-14) }
    @Test func singlePrecision() { check(Float.self, tolerance: 2e-6) }

    @Test("a large skinny product split across threads equals the single-threaded one")
    func threadedSkinnyProduct() {
        var g = SeededGenerator(seed: 8)
        let a = Tensor<Float>(randomUniform: [3000, 400], generator: &g)
        let b = Tensor<Float>(randomUniform: [400, 10], generator: &g)
        let r = Tensor<Float>(randomUniform: [3000, 10], generator: &g)
        func products() -> ([Float], [Float]) {
            MatrixMultiplicationBackend.$current.withValue(.skinny) {
                (matmul(a, b).scalars, matmul(a, r, transposeA: true).scalars)
            }
        }
        let saved = ComputeThreads.count
        defer { ComputeThreads.count = saved }
        ComputeThreads.count = 1
        let (one, oneT) = products()
        ComputeThreads.count = 2
        let (two, twoT) = products()
        // Each thread computes whole output rows in the same order: identical results.
        #expect(one == two)
        #expect(oneT == twoT)
    }
}
