#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import CAutogradKernels
import RealModule

/// The element types a ``Tensor`` can hold: `Float` and `Double`.
///
/// The protocol gathers the few type-specific entry points the kernels need (BLAS, the hand-written
/// SIMD kernels, vectorised `exp`), so that every other piece of the engine is written once,
/// generically, and specialised by the compiler.
public protocol TensorScalar: BinaryFloatingPoint, Real, SIMDScalar, Sendable, Codable,
    CustomStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// Row-major general matrix product through BLAS:
    /// `C[m,n] = α · op(A) · op(B) + β · C`, with `op` the transpose when the flag is set.
    static func blasGEMM(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int, beta: Self,
        c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `C[m,n] (+)= A[m,k] · B[k,n]` by the skinny-product SIMD kernel (fast for small `n`).
    static func skinnyGEMMNN(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        c: UnsafeMutablePointer<Self>, ldc: Int, accumulate: Bool)

    /// `C[m,n] (+)= A[k,m]ᵀ · B[k,n]` by the skinny-product SIMD kernel (fast for small `n`).
    static func skinnyGEMMTN(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        c: UnsafeMutablePointer<Self>, ldc: Int, accumulate: Bool)

    /// `y[i] = exp(x[i])`, vectorised, within 2 ulp of the correctly rounded result.
    static func vectorExp(count: Int, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>)

    /// A short name of the type for messages and benchmark output ("Float", "Double").
    static var typeName: String { get }
}

/// The integer type of BLAS dimension arguments (LP64 interfaces: 32-bit).
typealias BLASInt = Int32

@inline(__always)
private func cblasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE {
    t ? CblasTrans : CblasNoTrans
}

extension Float: TensorScalar {
    @inlinable public static var typeName: String { "Float" }

    public static func blasGEMM(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
            BLASInt(m), BLASInt(n), BLASInt(k), alpha, a, BLASInt(lda), b, BLASInt(ldb), beta, c,
            BLASInt(ldc))
    }

    public static func skinnyGEMMNN(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
        ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        ag_sgemm_nn_skinny(
            Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc),
            accumulate ? 1 : 0)
    }

    public static func skinnyGEMMTN(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
        ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        ag_sgemm_tn_skinny(
            Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc),
            accumulate ? 1 : 0)
    }

    public static func vectorExp(count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        ag_vexpf(count, x, y)
    }
}

extension Double: TensorScalar {
    @inlinable public static var typeName: String { "Double" }

    public static func blasGEMM(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int, beta: Double,
        c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
            BLASInt(m), BLASInt(n), BLASInt(k), alpha, a, BLASInt(lda), b, BLASInt(ldb), beta, c,
            BLASInt(ldc))
    }

    public static func skinnyGEMMNN(
        m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>,
        ldb: Int, c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool
    ) {
        ag_dgemm_nn_skinny(
            Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc),
            accumulate ? 1 : 0)
    }

    public static func skinnyGEMMTN(
        m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>,
        ldb: Int, c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool
    ) {
        ag_dgemm_tn_skinny(
            Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc),
            accumulate ? 1 : 0)
    }

    public static func vectorExp(count: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
        ag_vexp(count, x, y)
    }
}
