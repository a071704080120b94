#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Dense symmetric positive definite algebra through LAPACK (OpenBLAS's, or Accelerate's): the
/// Cholesky factorisation `A = L Lᵀ` (`dpotrf`), solves with it (`dpotrs`, triangular solves) and
/// the inverse (`dpotri`).
///
/// Matrices are row-major and only their lower triangle is read. The row-major lower triangle of
/// a symmetric matrix is the upper triangle of its column-major view, so LAPACK is called with
/// `uplo = "U"`: its upper factor `U = Lᵀ` of the column-major view is our row-major `L`.
public enum Cholesky {
    /// The lower factor `L` of the symmetric positive definite `n × n` matrix `a` (row-major,
    /// zeros above the diagonal); nil when `a` is not positive definite.
    /// - Complexity: O(n³ / 3).
    public static func factor(_ a: [Double], n: Int) -> [Double]? {
        precondition(a.count == n * n, "Cholesky.factor: \(a.count) entries for a \(n)×\(n) matrix")
        guard n > 0 else { return [] }
        var m = a
        guard m.withUnsafeMutableBufferPointer({ factorInPlace($0.baseAddress!, n: n) }) else { return nil }
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { m[i * n + j] = 0 } }
        return m
    }

    /// Overwrites the lower triangle of the row-major `n × n` matrix at `a` with its Cholesky
    /// factor; the strict upper triangle is neither read nor written. False when the matrix is not
    /// positive definite (the triangle is then partly overwritten).
    /// - Complexity: O(n³ / 3).
    public static func factorInPlace(_ a: UnsafeMutablePointer<Double>, n: Int) -> Bool {
        guard n > 0 else { return true }
        #if canImport(Accelerate)
        var uplo = CChar(UInt8(ascii: "U")), size = __CLPK_integer(n), lda = __CLPK_integer(n), status = __CLPK_integer(0)
        _ = dpotrf_(&uplo, &size, a, &lda, &status)
        return status == 0
        #else
        var size = Int32(n), lda = Int32(n), info: Int32 = 0
        dpotrf_("U", &size, a, &lda, &info, 1)
        return info == 0
        #endif
    }

    /// Overwrites the lower factor at `l` (as ``factorInPlace(_:n:)`` leaves it) with the lower
    /// triangle of `(L Lᵀ)⁻¹`.
    /// - Complexity: O(2n³ / 3).
    public static func invertInPlace(_ l: UnsafeMutablePointer<Double>, n: Int) {
        guard n > 0 else { return }
        #if canImport(Accelerate)
        var uplo = CChar(UInt8(ascii: "U")), size = __CLPK_integer(n), lda = __CLPK_integer(n), status = __CLPK_integer(0)
        _ = dpotri_(&uplo, &size, l, &lda, &status)
        #else
        var size = Int32(n), lda = Int32(n), info: Int32 = 0
        dpotri_("U", &size, l, &lda, &info, 1)
        let status = info
        #endif
        precondition(status == 0, "Cholesky.invertInPlace: the factor is singular")
    }

    /// Overwrites the `n` entries at `b` with `(L Lᵀ)⁻¹ b`.
    /// - Complexity: O(2n²).
    public static func solveInPlace(_ l: UnsafePointer<Double>, n: Int, _ b: UnsafeMutablePointer<Double>) {
        forwardInPlace(l, n: n, b)
        backwardInPlace(l, n: n, b)
    }

    /// Overwrites the `n` entries at `b` with `L⁻¹ b` (forward substitution).
    /// - Complexity: O(n²).
    public static func forwardInPlace(_ l: UnsafePointer<Double>, n: Int, _ b: UnsafeMutablePointer<Double>) {
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, Int32(n), l, Int32(n), b, 1)
    }

    /// Overwrites the `n` entries at `b` with `L⁻ᵀ b` (backward substitution).
    /// - Complexity: O(n²).
    public static func backwardInPlace(_ l: UnsafePointer<Double>, n: Int, _ b: UnsafeMutablePointer<Double>) {
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, Int32(n), l, Int32(n), b, 1)
    }

    /// Overwrites each of the `m` rows of the row-major `m × n` matrix at `rows` with
    /// `(L⁻¹ row)ᵀ`: solves `X Lᵀ = B` (one triangular solve with many right-hand sides).
    /// - Complexity: O(m n²).
    public static func solveLowerRows(_ l: UnsafePointer<Double>, n: Int, _ rows: UnsafeMutablePointer<Double>, count m: Int) {
        guard m > 0, n > 0 else { return }
        cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, Int32(m), Int32(n), 1, l, Int32(n), rows, Int32(n))
    }

    /// `L⁻¹ b` for a lower factor `L` (forward substitution).
    public static func solveLower(_ l: [Double], n: Int, _ b: [Double]) -> [Double] {
        var x = b
        x.withUnsafeMutableBufferPointer { forwardInPlace(l, n: n, $0.baseAddress!) }
        return x
    }

    /// `(L Lᵀ)⁻¹ b`: forward then backward substitution.
    public static func solve(_ l: [Double], n: Int, _ b: [Double]) -> [Double] {
        var x = b
        x.withUnsafeMutableBufferPointer { solveInPlace(l, n: n, $0.baseAddress!) }
        return x
    }
}
