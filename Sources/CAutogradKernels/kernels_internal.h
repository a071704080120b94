// Internal declarations shared by the kernel translation units (not part of the public API).
//
// Every kernel is written once, in a "body" header (skinny_gemm_body.h, vexp_body.h), and that
// body is compiled several times with different macro settings: once per instruction set and
// element type. Each compilation produces functions named  ag_<kernel>_<isa>  (for example
// ag_sgemm_nn_skinny_avx512). dispatch.c picks one set at run time.
//
// The bodies use only GCC/Clang vector extensions (vector_size), so the same source becomes
// AVX-512, AVX2, SSE2 or NEON code depending on the vector width and the `target` attribute
// the body is compiled with. Only scalars and pointers cross the boundary between functions
// of different instruction sets, so there is no vector-ABI mismatch between them.
#ifndef AG_KERNELS_INTERNAL_H
#define AG_KERNELS_INTERNAL_H

#include <stddef.h>

#define AG_DECLARE_ISA(isa)                                                                        \
    void ag_sgemm_nn_skinny_##isa(int m, int n, int k, const float *A, int lda, const float *B,   \
                                  int ldb, float *C, int ldc, int accumulate);                    \
    void ag_dgemm_nn_skinny_##isa(int m, int n, int k, const double *A, int lda, const double *B, \
                                  int ldb, double *C, int ldc, int accumulate);                   \
    void ag_sgemm_tn_skinny_##isa(int m, int n, int k, const float *A, int lda, const float *B,   \
                                  int ldb, float *C, int ldc, int accumulate);                    \
    void ag_dgemm_tn_skinny_##isa(int m, int n, int k, const double *A, int lda, const double *B, \
                                  int ldb, double *C, int ldc, int accumulate);                   \
    void ag_vexpf_##isa(size_t n, const float *x, float *y);                                      \
    void ag_vexp_##isa(size_t n, const double *x, double *y);                                     \
    void ag_dquadratic_terms_##isa(size_t K, size_t C, const double *base, const double *mu,      \
                                   const double *curv, size_t ld, const double *y, double *t);    \
    void ag_dquadratic_terms_batch_##isa(size_t K, size_t C, const double *base, const double *mu, \
                                         const double *curv, size_t ld, size_t P, const double *y, \
                                         double *t, size_t ldt);                                  \
    double ag_dlogsumexp_##isa(size_t K, const double *t, const double *w, double cutoff);      \
    void ag_dmixture_logdensity_##isa(size_t K, size_t C, const double *base, const double *mu,   \
                                      const double *curv, size_t ld, const double *w,             \
                                      double cutoff, size_t P, const double *y, double *scratch,  \
                                      double *out);                                               \
    void ag_smixture_logdensity_##isa(size_t K, size_t C, const float *base, const float *mu,     \
                                      const float *curv, size_t ld, const float *w, float cutoff, \
                                      size_t P, const float *y, float *scratch, double *out);

#if defined(__x86_64__)
AG_DECLARE_ISA(avx512)
AG_DECLARE_ISA(avx2)
AG_DECLARE_ISA(sse2)
#else
AG_DECLARE_ISA(generic)
#endif

// Token pasting helpers used by the bodies to give every instantiation its own names.
#define AG_PASTE_(a, b) a##b
#define AG_PASTE(a, b) AG_PASTE_(a, b)
#define AG_CAT2_(a, b) a##_##b
#define AG_CAT2(a, b) AG_CAT2_(a, b)
#define AG_CAT3_(a, b, c) a##_##b##_##c
#define AG_CAT3(a, b, c) AG_CAT3_(a, b, c)

// Fused multiply-add on vector-extension types. With an FMA-capable target we ask for the fused
// operation explicitly; otherwise (SSE2 baseline) a separate multiply and add is used. The
// numerical code never relies on whether the operation is fused.
#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_fma)
#define AG_HAVE_ELEMENTWISE_FMA 1
#endif
#endif

// Full unrolling of the short constant-trip loops inside the register tiles. Without it a
// compiler may keep the accumulator array in memory (any loop it leaves rolled indexes the
// array with a variable), which turns every FMA into a load/store round trip.
#if defined(__clang__)
#define AG_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define AG_UNROLL _Pragma("GCC unroll 32")
#else
#define AG_UNROLL
#endif

#endif
