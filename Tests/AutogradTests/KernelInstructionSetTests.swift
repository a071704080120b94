import Autograd
import CAutogradKernels
import Foundation
import RealModule
import Testing

/// The SIMD kernels are compiled once per instruction set and chosen at run time; each path is
/// checked here against the plain-Swift reference, in a child process (the choice is
/// process-wide). A path the CPU cannot run is skipped (the child exits successfully at once).
@Suite("Kernels on every instruction set")
struct KernelInstructionSetTests {
    /// Runs in the child: compares skinny products with the reference and vectorised exp with
    /// libm; exits with status 1 on the first disagreement.
    static func checkKernels(isa: String) {
        guard ag_kernels_force_isa(isa) == 1 else { exit(0) }
        precondition(EngineInfo.kernelInstructionSet == isa, "kernels did not switch to \(isa)")
        var g = SeededGenerator(seed: 3)
        func compare<S: TensorScalar>(_: S.Type, tolerance: S) {
            for (m, k, n) in [(37, 300, 10), (5, 17, 3), (64, 784, 20), (130, 1000, 1), (3, 2, 33)] {
                for tA in [false, true] {
                    let a = Tensor<S>(randomUniform: tA ? [k, m] : [m, k], lower: -1, upper: 1, generator: &g)
                    let b = Tensor<S>(randomUniform: [k, n], lower: -1, upper: 1, generator: &g)
                    let fast = MatrixMultiplicationBackend.$current.withValue(.skinny) { matmul(a, b, transposeA: tA).scalars }
                    let slow = MatrixMultiplicationBackend.$current.withValue(.reference) { matmul(a, b, transposeA: tA).scalars }
                    for (x, y) in zip(fast, slow) where Swift.abs(x - y) > tolerance * S(k) {
                        print("\(isa) \(S.typeName) m=\(m) k=\(k) n=\(n) tA=\(tA): \(x) vs \(y)")
                        exit(1)
                    }
                }
            }
        }
        compare(Float.self, tolerance: 1e-6)
        compare(Double.self, tolerance: 1e-15)
        // exp within 2 ulp of the correctly rounded value (computed in Double) over [-100, 88].
        let x = Tensor<Float>(randomUniform: [20000], lower: -100, upper: 88, generator: &g)
        for (v, e) in zip(x.scalars, exp(x).scalars) {
            let exact = Float(Double.exp(Double(v)))
            if Swift.abs(e - exact) > 2 * exact.ulp {
                print("\(isa) exp(\(v)) = \(e), expected \(exact)")
                exit(1)
            }
        }
        if let problem = checkMixtureKernels(&g) {
            print("\(isa) \(problem)")
            exit(1)
        }
        exit(0)
    }

    /// The mixture kernels (`ag_dquadratic_terms`, its batch form, `ag_dlogsumexp`,
    /// `ag_dmixture_logdensity`, `ag_smixture_logdensity`) against
    /// plain loops in Double: shapes with tails, a base or none, weights or none, the cutoff, and
    /// the special values. Returns the first disagreement.
    static func checkMixtureKernels(_ g: inout SeededGenerator) -> String? {
        for (K, C) in [(1, 1), (7, 3), (8, 6), (37, 2), (1000, 6), (129, 10)] {
            let ld = K + 3
            func random(_ n: Int, _ lo: Double, _ hi: Double) -> [Double] { (0..<n).map { _ in lo + (hi - lo) * g.nextUnit() } }
            let mu = random(C * ld, -1, 1), curv = random(C * ld, -50, -0.1), base = random(K, -3, 0)
            for P in [1, 3, 4, 9] {
                let y = random(P * C, -1, 1)
                for useBase in [false, true] {
                    var expected = [Double](repeating: 0, count: P * K)
                    for p in 0..<P {
                        for k in 0..<K {
                            var acc = useBase ? base[k] : 0
                            for c in 0..<C {
                                let u = y[p * C + c] - mu[c * ld + k]
                                acc += curv[c * ld + k] * u * u
                            }
                            expected[p * K + k] = acc
                        }
                    }
                    // The fused density: the log-sum-exp of each point's terms, weighted or not.
                    var scratch = [Double](repeating: .nan, count: 4 * K), fused = [Double](repeating: .nan, count: P)
                    let weights = random(K, 0.5, 2)
                    for weighted in [false, true] {
                        let cutoff = 40 + Foundation.log(4 * Double(K))
                        ag_dmixture_logdensity(K, C, useBase ? base : nil, mu, curv, ld, weighted ? weights : nil, cutoff, P, y, &scratch, &fused)
                        for p in 0..<P {
                            let terms = expected[(p * K)..<(p * K + K)], m = terms.max()!
                            let sum = zip(terms, weights).reduce(0.0) { $0 + (weighted ? $1.1 : 1) * Foundation.exp($1.0 - m) }
                            let e = m + Foundation.log(sum)
                            if Swift.abs(fused[p] - e) > 1e-12 * (1 + Swift.abs(e)) {
                                return "mixture density K=\(K) C=\(C) P=\(P) p=\(p) base=\(useBase) weighted=\(weighted): \(fused[p]) vs \(e)"
                            }
                        }
                    }
                    // The same in single precision, against a double-precision sum over the same
                    // (rounded) inputs; curvatures as steep as TPE's narrowest kernels in [0, 1].
                    let muF = mu.map { Float(($0 + 1) / 2) }, curvF = curv.map { Float($0 * 10) }, baseF = base.map(Float.init)
                    let yF = y.map { Float(($0 + 1) / 2) }, weightsF = weights.map(Float.init)
                    var scratchF = [Float](repeating: .nan, count: 8 * K)
                    for weighted in [false, true] {
                        let cutoff = Float(20 + Foundation.log(4 * Double(K)))
                        ag_smixture_logdensity(K, C, useBase ? baseF : nil, muF, curvF, ld, weighted ? weightsF : nil, cutoff, P, yF, &scratchF, &fused)
                        for p in 0..<P {
                            let terms = (0..<K).map { k in
                                (useBase ? Double(baseF[k]) : 0) + (0..<C).reduce(0.0) { acc, c in
                                    let u = Double(yF[p * C + c]) - Double(muF[c * ld + k])
                                    return acc + Double(curvF[c * ld + k]) * u * u
                                }
                            }
                            let m = terms.max()!
                            let e = m + Foundation.log(zip(terms, weightsF).reduce(0.0) { $0 + (weighted ? Double($1.1) : 1) * Foundation.exp($1.0 - m) })
                            if Swift.abs(fused[p] - e) > 1e-4 * (1 + Swift.abs(e)) {
                                return "single-precision mixture K=\(K) C=\(C) P=\(P) p=\(p) base=\(useBase) weighted=\(weighted): \(fused[p]) vs \(e)"
                            }
                        }
                    }
                    var batch = [Double](repeating: .nan, count: P * K), single = [Double](repeating: .nan, count: K)
                    ag_dquadratic_terms_batch(K, C, useBase ? base : nil, mu, curv, ld, P, y, &batch, K)
                    for p in 0..<P {
                        y.withUnsafeBufferPointer { yp in ag_dquadratic_terms(K, C, useBase ? base : nil, mu, curv, ld, yp.baseAddress! + p * C, &single) }
                        for k in 0..<K {
                            let e = expected[p * K + k], tolerance = 1e-13 * (1 + Swift.abs(e))
                            if Swift.abs(single[k] - e) > tolerance || Swift.abs(batch[p * K + k] - e) > tolerance {
                                return "quadratic K=\(K) C=\(C) P=\(P) k=\(k): \(single[k]), \(batch[p * K + k]) vs \(e)"
                            }
                        }
                    }
                }
            }
            // log-sum-exp over the terms of one point, with and without weights and cutoff; terms
            // spread wide (most below the cutoff) and narrow (all kept, more than one buffer-full).
            for t in [random(K, -300, 5), random(K, -10, 5)] {
            let w = random(K, 0.01, 3)
            for weighted in [false, true] {
                let m = t.max()!
                let exact = m + Foundation.log(zip(t, w).reduce(0) { $0 + (weighted ? $1.1 : 1) * Foundation.exp($1.0 - m) })
                let spread = weighted ? Foundation.log(w.max()! / w.min()!) : 0
                for cutoff in [Double.infinity, 40 + Foundation.log(Double(K)) + spread] {
                    let got = ag_dlogsumexp(K, t, weighted ? w : nil, cutoff)
                    if Swift.abs(got - exact) > 1e-13 * (1 + Swift.abs(exact)) { return "logsumexp K=\(K) weighted=\(weighted) cutoff=\(cutoff): \(got) vs \(exact)" }
                }
            }
            }
        }
        // Special values: an empty sum, all −∞, a +∞ term, a NaN term (also below the cutoff).
        let cases: [([Double], Double)] = [([], -.infinity), ([-.infinity, -.infinity], -.infinity), ([0, .infinity, 1], .infinity)]
        for (t, expected) in cases where ag_dlogsumexp(t.count, t, nil, .infinity) != expected {
            return "logsumexp of \(t) is \(ag_dlogsumexp(t.count, t, nil, .infinity)), expected \(expected)"
        }
        for t in [[0, .nan, 1], [Double](repeating: 0, count: 11) + [.nan], [.nan, -.infinity]] where !ag_dlogsumexp(t.count, t, nil, 1).isNaN {
            return "logsumexp of \(t) is not NaN"
        }
        return nil
    }

    @Test func avx512() async { await #expect(processExitsWith: .success) { KernelInstructionSetTests.checkKernels(isa: "avx512") } }
    @Test func avx2() async { await #expect(processExitsWith: .success) { KernelInstructionSetTests.checkKernels(isa: "avx2") } }
    @Test func baseline() async { await #expect(processExitsWith: .success) { KernelInstructionSetTests.checkKernels(isa: "baseline") } }
    @Test func neon() async { await #expect(processExitsWith: .success) { KernelInstructionSetTests.checkKernels(isa: "neon") } }
}
