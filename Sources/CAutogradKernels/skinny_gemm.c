// Instantiates the skinny GEMM kernels (skinny_gemm_body.h) once per instruction set and
// element type. See the body for the blocking scheme; the tile sizes chosen here follow from
// the register count of each instruction set:
//
//   AVX-512 (32 vector registers): NN 2 rows x 10 columns, TN 2 vectors x 10 columns.
//     20 accumulators + 2 A vectors + B temporaries = 23-24 registers, no spills.
//   AVX2+FMA (16 registers):       NN 2 x 6, TN 2 x 6 (12 accumulators + 3-4 temporaries).
//   SSE2 (16 registers, no FMA):   NN 2 x 5, TN 2 x 5 (a multiply needs a temporary).
//   other targets (arm64 NEON has 32 registers and FMA): same shapes as AVX-512 on 16-byte
//     vectors.
//
// AG_TN_RB (rows per TN reduction block) and AG_TN_PFD (TN prefetch distance in rows) were
// tuned on an AMD Zen 4 core; they are not critical within a factor of two.
#include <stdint.h>
#include <stdlib.h>

#include "kernels_internal.h"

#ifndef AG_TN_RB
#define AG_TN_RB 128
#endif
#ifndef AG_TN_PFD
#define AG_TN_PFD 32
#endif

#if defined(__x86_64__)

// ---- AVX-512 -------------------------------------------------------------------------------
#define AG_ISA avx512
#define AG_ATTR __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define AG_VBYTES 64
#define AG_FMA 1
#define AG_NN_R 2
#define AG_NN_NC 10
#define AG_TN_WV 2
#define AG_TN_NC 10
#define AG_T float
#define AG_P s
#define AG_ESIZE 4
#include "skinny_gemm_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#define AG_T double
#define AG_P d
#define AG_ESIZE 8
#include "skinny_gemm_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA
#undef AG_NN_R
#undef AG_NN_NC
#undef AG_TN_WV
#undef AG_TN_NC

// ---- AVX2 + FMA ----------------------------------------------------------------------------
#define AG_ISA avx2
#define AG_ATTR __attribute__((target("avx2,fma")))
#define AG_VBYTES 32
#define AG_FMA 1
#define AG_NN_R 2
#define AG_NN_NC 6
#define AG_TN_WV 2
#define AG_TN_NC 6
#define AG_T float
#define AG_P s
#define AG_ESIZE 4
#include "skinny_gemm_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#define AG_T double
#define AG_P d
#define AG_ESIZE 8
#include "skinny_gemm_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA
#undef AG_NN_R
#undef AG_NN_NC
#undef AG_TN_WV
#undef AG_TN_NC

// ---- SSE2 baseline -------------------------------------------------------------------------
#define AG_ISA sse2
#define AG_ATTR
#define AG_VBYTES 16
#define AG_FMA 0
#define AG_NN_R 2
#define AG_NN_NC 5
#define AG_TN_WV 2
#define AG_TN_NC 5
#define AG_T float
#define AG_P s
#define AG_ESIZE 4
#include "skinny_gemm_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#define AG_T double
#define AG_P d
#define AG_ESIZE 8
#include "skinny_gemm_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA
#undef AG_NN_R
#undef AG_NN_NC
#undef AG_TN_WV
#undef AG_TN_NC

#else // not x86-64: one generic build on 16-byte vectors (NEON on arm64)

#define AG_ISA generic
#define AG_ATTR
#define AG_VBYTES 16
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
#define AG_FMA 1
#else
#define AG_FMA 0
#endif
#define AG_NN_R 2
#define AG_NN_NC 10
#define AG_TN_WV 2
#define AG_TN_NC 10
#define AG_T float
#define AG_P s
#define AG_ESIZE 4
#include "skinny_gemm_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#define AG_T double
#define AG_P d
#define AG_ESIZE 8
#include "skinny_gemm_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE

#endif
