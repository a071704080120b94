// Hand-written SIMD kernels used by the Autograd module where BLAS is slow:
// skinny matrix products (one output dimension small, the reduction or row dimension large)
// and vectorised elementwise transcendental functions.
//
// All matrices are row-major with explicit leading dimensions. Every kernel is compiled for
// AVX-512, AVX2+FMA and baseline SIMD on x86-64 (NEON/baseline elsewhere) and chooses the best
// at run time. Kernels are single-threaded and reentrant; callers split work across threads.
//
// Contract shared by the matrix kernels:
//  - m, n, k >= 0; any of them may be 0 (k == 0 gives C = 0, or leaves C alone when
//    accumulating). lda, ldb, ldc are at least the row length (>= 1).
//  - No alignment is required. Matrices whose rows all share one alignment (lda * element size a
//    multiple of 64 bytes, e.g. k = 784) are handled with aligned loads internally whatever the
//    base address; a 64-byte aligned A is still marginally the best case.
//  - With accumulate == 0 the previous contents of C are never read (they may be uninitialised
//    or NaN); elements of C outside the m x n block (the ldc padding) are never touched.
//  - C must not overlap A or B. Inputs are only read.
//  - No heap allocation; each call uses up to 33 KB of stack.
//  - n <= 32 is the fast range. Larger n is correct, but A is streamed from memory once per
//    group of 32 columns of C; prefer BLAS there.
//  - Summation is blocked (NN: vector lanes of about k/16 terms plus a tree; TN: blocks of 128
//    rows), so the error is far below that of one serial loop: in the test harness it stays
//    within about one rounding of sum |a*b| even for k = 5000.
//  - Splitting over threads: NN: give each thread a contiguous range of rows of A and C. TN:
//    give each thread a range of the m columns of A (= rows of C), cut at a multiple of 16
//    elements; outputs are disjoint, so no reduction buffer is needed. (Splitting the k rows
//    of the TN reduction works as well but needs a second C and a final add.) On a 2-core Zen 4
//    VM two threads (started per call) gave 1.4-1.5x for the 0.7 ms float n = 10 products and
//    1.7-1.9x for the larger ones.
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

/// y[i] = exp(x[i]) for i < n. Max error <= 2 ulp against a correctly rounded exp (measured:
/// below 1.03 ulp, never more than one representable step from the correctly rounded result);
/// exp(-inf) = 0, exp(+inf) = +inf, NaN propagates, overflow gives +inf, underflow 0 / subnormals,
/// exp(+-0) = 1 exactly. y may be the same array as x (in place); otherwise they must not overlap.
void ag_vexpf(size_t n, const float *x, float *y);
void ag_vexp(size_t n, const double *x, double *y);

/// t[k] = base[k] + sum_{c<C} curv[c*ld + k] * (y[c] - mu[c*ld + k])^2 for k < K (base may be
/// NULL: zeros): the exponents of a mixture of K product Gaussians (mean mu, curvature
/// -1/(2 sigma^2), log constant base) at the point y, one fused multiply-add per kernel and
/// dimension. t must not overlap the inputs.
void ag_dquadratic_terms(size_t K, size_t C, const double *base, const double *mu,
                         const double *curv, size_t ld, const double *y, double *t);

/// ag_dquadratic_terms for P points at once: y is P x C row-major, t is P rows of ldt >= K. Faster
/// than P separate calls when the mixture does not fit the L1 cache (its parameters are read
/// once per four points).
void ag_dquadratic_terms_batch(size_t K, size_t C, const double *base, const double *mu,
                               const double *curv, size_t ld, size_t P, const double *y, double *t,
                               size_t ldt);

/// log(sum_{k<K} w[k] exp(t[k])) with non-negative weights w (NULL: all ones), shifted by the
/// maximum m of t so that no term overflows (vectorised exp as ag_vexp). -inf when K = 0 or every
/// term is -inf; +inf if one is +inf; NaN if one is NaN.
/// Terms with t[k] < m - cutoff are skipped (with their exponentials, the costly part): together
/// they are less than K (max w / min w) e^-cutoff of the sum, so cutoff >= 40 + log(K) +
/// log(max w / min w) keeps their share below e^-40 (4e-18, a thirtieth of an ulp); pass INFINITY
/// to keep every term. Only the kept terms' exponentials are computed.
double ag_dlogsumexp(size_t K, const double *t, const double *w, double cutoff);

/// out[p] = ag_dlogsumexp(K, t_p, w, cutoff) with t_p = ag_dquadratic_terms(K, C, base, mu, curv,
/// ld, y + p C): the log density of a mixture of K product Gaussians (weights w · exp(base)) at
/// P points, y row-major P x C. Fused: one pass over the kernels computes four points' terms and
/// their maxima, so the terms are read once more while still in the cache. scratch holds 4 K
/// doubles.
void ag_dmixture_logdensity(size_t K, size_t C, const double *base, const double *mu,
                            const double *curv, size_t ld, const double *w, double cutoff, size_t P,
                            const double *y, double *scratch, double *out);

/// ag_dmixture_logdensity in single precision (sums and results in double), with twice the lanes
/// per instruction. Rounding the coordinates to float moves each term by about
/// 2 |y - mu| / sigma * ulp(|y| + |mu|) / sigma: the caller scales the coordinates (for example to
/// [0, 1]) and keeps the widths well above the rounding (TPE: above a thousandth of the range),
/// and uses a cutoff for float, 20 + log(2K). Points go eight at a time (scratch holds 8 K floats).
void ag_smixture_logdensity(size_t K, size_t C, const float *base, const float *mu,
                            const float *curv, size_t ld, const float *w, float cutoff, size_t P,
                            const float *y, float *scratch, double *out);

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
