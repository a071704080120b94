import CAutogradKernels

/// Facts about the running engine, for benchmark reports and diagnostics.
public enum EngineInfo {
    /// The instruction set the SIMD kernels dispatched to ("avx512", "avx2", "baseline", "neon").
    public static var kernelInstructionSet: String { String(cString: ag_kernels_isa()) }

    /// The BLAS library matrix products go through.
    public static var blasLibrary: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        return "OpenBLAS"
        #endif
    }
}
