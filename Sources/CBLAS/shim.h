// System-library shim: OpenBLAS's CBLAS and LAPACKE-free LAPACK entry points (Debian: libopenblas-dev).
#ifndef HYPERTUNE_CBLAS_SHIM_H
#define HYPERTUNE_CBLAS_SHIM_H
#include <cblas.h>
#endif
