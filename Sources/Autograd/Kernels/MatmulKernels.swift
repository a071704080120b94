import RealModule

/// Which implementation computes matrix products.
public enum MatrixMultiplicationBackend: Sendable, CaseIterable {
    /// BLAS, except the skinny shapes where the SIMD kernels are faster.
    case automatic
    /// Always BLAS (OpenBLAS on Linux, Accelerate on Apple platforms).
    case blas
    /// Always the engine's SIMD kernels (skinny-product kernels, any shape).
    case skinny
    /// A plain Swift loop nest: slow, but independent of BLAS; the reference in tests.
    case reference

    /// The backend used by matrix products on the current task.
    @TaskLocal public static var current: MatrixMultiplicationBackend = .automatic
}

/// Row-major matrix products `C = op(A) · op(B)` on raw storage, dispatched to BLAS, the SIMD
/// skinny kernels or the plain-Swift reference.
@usableFromInline
enum MatmulKernels {
    /// Output columns up to which the skinny kernels beat BLAS (measured on 5000×784 operands:
    /// 0.88 vs 3.56 ms at 10 columns, 4.4 vs 5.5 ms at 40, 6.3 vs 6.6 ms at 64, even at 100).
    @usableFromInline static let skinnyColumnLimit = 64
    /// Columns the skinny kernels produce in one pass over the large operand.
    @usableFromInline static let skinnyPassColumns = 32
    /// Operands up to this size are assumed to stay in the last-level cache between products.
    @usableFromInline static let cacheResidentBytes = 32 << 20

    /// `C[m,n] = op(A) · op(B)` where `op(A)` is `m×k` and `op(B)` is `k×n`; `A` is stored as
    /// `m×k` (or `k×m` when transposed) with leading dimension `lda`, likewise `B`.
    /// - Complexity: O(m·n·k).
    @inlinable
    static func gemm<S: TensorScalar>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
        c: UnsafeMutablePointer<S>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
            return
        }
        var backend = MatrixMultiplicationBackend.current
        if backend == .automatic {
            let skinny = n <= skinnyColumnLimit && !(transposeA && transposeB) && m * k >= 1 << 14
            backend = skinny ? .skinny : .blas
        }
        switch backend {
        case .automatic, .blas:
            S.blasGEMM(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
        case .skinny:
            skinny(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
        case .reference:
            reference(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
        }
    }

    /// The SIMD kernels: `A·B` and `A·Bᵀ` by the row-streaming kernel (rows of `A` and `C`
    /// split across threads), `Aᵀ·B` by the reduction kernel (columns of `A`, which are rows of
    /// `C`, split across threads at multiples of 16 so that each thread owns whole vectors of
    /// its output), `Aᵀ·Bᵀ` through an explicit transpose of `B`.
    @inlinable
    static func skinny<S: TensorScalar>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
        c: UnsafeMutablePointer<S>, ldc: Int
    ) {
        var bPtr = b, bLd = ldb
        var packed: UnsafeMutablePointer<S>? = nil
        defer { packed?.deallocate() }
        if transposeB {
            // op(B) = Bᵀ with B stored n×k: pack it as k×n.
            let p = UnsafeMutablePointer<S>.allocate(capacity: k * n)
            for j in 0..<n { for q in 0..<k { p[q * n + j] = b[j * ldb + q] } }
            packed = p
            bPtr = UnsafePointer(p)
            bLd = n
        }
        let chunks = ComputeThreads.chunks(forWork: m * n * k)
        let box = UncheckedSendableBox((a, bPtr, c))
        if !transposeA {
            let rows = (m + chunks - 1) / chunks
            ComputeThreads.forEachChunk(chunks) { chunk, _ in
                let lo = chunk * rows, hi = Swift.min(m, lo + rows)
                guard lo < hi else { return }
                let (a, b, c) = box.value
                S.skinnyGEMMNN(
                    m: hi - lo, n: n, k: k, a: a + lo * lda, lda: lda, b: b, ldb: bLd,
                    c: c + lo * ldc, ldc: ldc, accumulate: false)
            }
        } else {
            let width = ((m + chunks - 1) / chunks + 15) / 16 * 16
            ComputeThreads.forEachChunk(chunks) { chunk, _ in
                let lo = chunk * width, hi = Swift.min(m, lo + width)
                guard lo < hi else { return }
                let (a, b, c) = box.value
                S.skinnyGEMMTN(
                    m: hi - lo, n: n, k: k, a: a + lo, lda: lda, b: b, ldb: bLd,
                    c: c + lo * ldc, ldc: ldc, accumulate: false)
            }
        }
    }

    /// The plain-Swift reference: an i-p-j loop nest with fused multiply–adds.
    @inlinable
    static func reference<S: TensorScalar>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
        c: UnsafeMutablePointer<S>, ldc: Int
    ) {
        for i in 0..<m {
            let row = c + i * ldc
            row.update(repeating: 0, count: n)
            for p in 0..<k {
                let aip = transposeA ? a[p * lda + i] : a[i * lda + p]
                if transposeB {
                    for j in 0..<n { row[j] = Relaxed.multiplyAdd(aip, b[j * ldb + p], row[j]) }
                } else {
                    let brow = b + p * ldb
                    for j in 0..<n { row[j] = Relaxed.multiplyAdd(aip, brow[j], row[j]) }
                }
            }
        }
    }
}
