// Hand-written SIMD kernels used by the Autograd module where BLAS is slow:
// skinny matrix products (one output dimension small, the reduction or row dimension large)
// and vectorised elementwise transcendental functions.
//
// All matrices are row-major with explicit leading dimensions. Every kernel is compiled for
// AVX-512, AVX2+FMA and baseline SIMD on x86-64 (NEON/baseline elsewhere) and chooses the best
// at run time. Kernels are single-threaded and reentrant; callers split work across threads.
#ifndef AUTOGRAD_KERNELS_H
#define AUTOGRAD_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// C[m,n] = A[m,k] · B[k,n]   (beta = 0)  or  C += A·B  (accumulate != 0).
/// Fast when n is small (n <= 32) and k is large; any shape is correct.
void ag_sgemm_nn_skinny(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                        float *C, int ldc, int accumulate);
void ag_dgemm_nn_skinny(int m, int n, int k, const double *A, int lda, const double *B, int ldb,
                        double *C, int ldc, int accumulate);

/// C[m,n] = A[k,m]^T · B[k,n]  (reduction over the k rows of A and B)  or  C += ...
/// Fast when n is small (n <= 32) and k (rows) is large; any shape is correct.
void ag_sgemm_tn_skinny(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                        float *C, int ldc, int accumulate);
void ag_dgemm_tn_skinny(int m, int n, int k, const double *A, int lda, const double *B, int ldb,
                        double *C, int ldc, int accumulate);

/// y[i] = exp(x[i]) for i < n. Max error <= 2 ulp against a correctly rounded exp;
/// exp(-inf) = 0, exp(+inf) = +inf, NaN propagates, overflow gives +inf, underflow 0 / subnormals.
void ag_vexpf(size_t n, const float *x, float *y);
void ag_vexp(size_t n, const double *x, double *y);

/// Name of the instruction set the kernels dispatch to ("avx512", "avx2", "baseline", "neon").
const char *ag_kernels_isa(void);

/// Testing aid: make every kernel use the named instruction set ("avx512", "avx2", "baseline",
/// "neon"), or the best supported one when name is NULL. Returns 0 (and changes nothing) when
/// the name is unknown or the CPU cannot run it. Setting the environment variable
/// AG_KERNELS_ISA to one of those names before the first kernel call has the same effect.
/// Not meant to be called while other threads are inside a kernel.
int ag_kernels_force_isa(const char *name);

#ifdef __cplusplus
}
#endif
#endif
