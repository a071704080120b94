#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Dense symmetric positive definite solves through LAPACK (OpenBLAS's, or Accelerate's):
/// the Cholesky factorisation `A = L Lᵀ` (`dpotrf`) and triangular solves with its factor.
/// Matrices are row-major; for a symmetric matrix that is also column-major, so LAPACK's upper
/// factor of the column-major view is the row-major lower factor.
public enum Cholesky {
    /// The lower factor `L` of the symmetric positive definite `n × n` matrix `a` (row-major,
    /// zeros above the diagonal); nil when `a` is not positive definite.
    /// - Complexity: O(n³ / 3).
    public static func factor(_ a: [Double], n: Int) -> [Double]? {
        precondition(a.count == n * n, "Cholesky.factor: \(a.count) entries for a \(n)×\(n) matrix")
        guard n > 0 else { return [] }
        var m = a
        var info: Int32 = 0
        #if canImport(Accelerate)
        var uplo = CChar(UInt8(ascii: "U")), size = __CLPK_integer(n), lda = __CLPK_integer(n), status = __CLPK_integer(0)
        _ = dpotrf_(&uplo, &size, &m, &lda, &status)
        info = Int32(status)
        #else
        var size = Int32(n), lda = Int32(n)
        dpotrf_("U", &size, &m, &lda, &info, 1)
        #endif
        guard info == 0 else { return nil }
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { m[i * n + j] = 0 } }
        return m
    }

    /// `L⁻¹ b` for a lower factor `L` (forward substitution).
    public static func solveLower(_ l: [Double], n: Int, _ b: [Double]) -> [Double] {
        var x = b
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, Int32(n), l, Int32(n), &x, 1)
        return x
    }

    /// `(L Lᵀ)⁻¹ b`: forward then backward substitution.
    public static func solve(_ l: [Double], n: Int, _ b: [Double]) -> [Double] {
        var x = solveLower(l, n: n, b)
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, Int32(n), l, Int32(n), &x, 1)
        return x
    }
}
