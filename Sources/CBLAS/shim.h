// System-library shim: OpenBLAS's CBLAS and LAPACKE-free LAPACK entry points (Debian: libopenblas-dev).
#ifndef HYPERTUNE_CBLAS_SHIM_H
#define HYPERTUNE_CBLAS_SHIM_H
#include <cblas.h>
#include <stddef.h>

// LAPACK (Fortran calling convention: every argument by reference, character lengths last).
// Cholesky factorisation of a symmetric positive definite matrix, and solving with it.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
             const int *ldb, int *info, size_t uplo_len);
// The inverse of a symmetric positive definite matrix from its Cholesky factor.
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
#endif
