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
        exit(0)
    }

    @Test func avx512() async { await #expect(processExitsWith: .success) { KernelInstructionSetTests.checkKernels(isa: "avx512") } }
    @Test func avx2() async { await #expect(processExitsWith: .success) { KernelInstructionSetTests.checkKernels(isa: "avx2") } }
    @Test func baseline() async { await #expect(processExitsWith: .success) { KernelInstructionSetTests.checkKernels(isa: "baseline") } }
    @Test func neon() async { await #expect(processExitsWith: .success) { KernelInstructionSetTests.checkKernels(isa: "neon") } }
}
