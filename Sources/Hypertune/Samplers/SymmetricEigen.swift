import Foundation

/// Eigendecomposition of a real symmetric matrix by the cyclic Jacobi method: plane rotations
/// zero the off-diagonal entries one by one until they are negligible. Accurate to a few ulps of
/// the largest eigenvalue, and unconditionally convergent (quadratically once the off-diagonal
/// part is small).
/// - Complexity: O(n³) per sweep; a handful of sweeps. For the small matrices of samplers
///   (CMA-ES's covariance over tens of parameters).
public enum SymmetricEigen {
    /// The eigenvalues (ascending) and, column by column, orthonormal eigenvectors of the
    /// symmetric `n × n` matrix `a` (row-major; only the upper triangle is read).
    public static func decompose(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(a.count == n * n, "SymmetricEigen: \(a.count) entries for a \(n)×\(n) matrix")
        var m = a
        for i in 0..<n { for j in 0..<i { m[i * n + j] = m[j * n + i] } }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0, scale = 0.0
            for i in 0..<n {
                scale += m[i * n + i] * m[i * n + i]
                for j in (i + 1)..<max(n, i + 1) { off += m[i * n + j] * m[i * n + j] }
            }
            if off <= 1e-30 * max(scale, .leastNormalMagnitude) { break }
            for p in 0..<n {
                for q in (p + 1)..<max(n, p + 1) {
                    let apq = m[p * n + q]
                    guard apq != 0 else { continue }
                    // The rotation that zeroes (p, q): t = tan θ from θ's cotangent, the smaller root.
                    let theta = (m[q * n + q] - m[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let mkp = m[k * n + p], mkq = m[k * n + q]
                        m[k * n + p] = c * mkp - s * mkq
                        m[k * n + q] = s * mkp + c * mkq
                    }
                    for k in 0..<n {
                        let mpk = m[p * n + k], mqk = m[q * n + k]
                        m[p * n + k] = c * mpk - s * mqk
                        m[q * n + k] = s * mpk + c * mqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { m[$0 * n + $0] < m[$1 * n + $1] }
        let values = order.map { m[$0 * n + $0] }
        var vectors = [Double](repeating: 0, count: n * n)
        for (column, k) in order.enumerated() { for i in 0..<n { vectors[i * n + column] = v[i * n + k] } }
        return (values, vectors)
    }
}
