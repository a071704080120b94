// Instantiates the skinny GEMM kernels (skinny_gemm_body.h, which explains the blocking) once
// per instruction set and element type. The register tiles follow from the register count:
//
//   AVX-512 (32 vector registers): NN 2 rows x 10 columns, TN 2 vectors x 10 columns:
//     20 accumulators + 2 A vectors + 1-2 temporaries, no spills.
//   AVX2+FMA (16 registers):       NN 2 x 6, TN 2 x 6 (12 accumulators + 3-4 temporaries).
//   SSE2 (16 registers, no FMA):   NN 2 x 5, TN 2 x 5 (each multiply needs a temporary).
//   other targets (arm64: NEON, 32 registers, FMA): the AVX-512 shapes on 16-byte vectors.
//
// AG_TN_PFD (how many rows ahead the TN kernel prefetches A) was tuned on an AMD Zen 4 core;
// it is larger for the narrower vector units because they finish a row sooner.
#include <stdint.h>

#include "kernels_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define AG_BODY "skinny_gemm_body.h"
#ifndef AG_TN_RB
#define AG_TN_RB 128 // rows per TN reduction block
#endif

#if defined(__x86_64__)

#define AG_ISA avx512
#define AG_ATTR __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define AG_VBYTES 64
#define AG_FMA 1
#define AG_NN_R 2
#define AG_NN_NC 10
#define AG_TN_WV 2
#define AG_TN_NC 10
#define AG_TN_PFD 64
#define AG_MASKLOAD 512
#include "instantiate_types.h"
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA
#undef AG_NN_R
#undef AG_NN_NC
#undef AG_TN_WV
#undef AG_TN_NC
#undef AG_TN_PFD
#undef AG_MASKLOAD

#define AG_ISA avx2
#define AG_ATTR __attribute__((target("avx2,fma")))
#define AG_VBYTES 32
#define AG_FMA 1
#define AG_NN_R 2
#define AG_NN_NC 6
#define AG_TN_WV 2
#define AG_TN_NC 6
#define AG_TN_PFD 128
#define AG_MASKLOAD 256
#include "instantiate_types.h"
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA
#undef AG_NN_R
#undef AG_NN_NC
#undef AG_TN_WV
#undef AG_TN_NC
#undef AG_TN_PFD
#undef AG_MASKLOAD

#define AG_ISA sse2
#define AG_ATTR
#define AG_VBYTES 16
#define AG_FMA 0
#define AG_NN_R 2
#define AG_NN_NC 5
#define AG_TN_WV 2
#define AG_TN_NC 5
#define AG_TN_PFD 128
#define AG_MASKLOAD 0
#include "instantiate_types.h"

#else // every other architecture: one build on 16-byte vectors (NEON on arm64)

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
#define AG_TN_PFD 128
#define AG_MASKLOAD 0
#include "instantiate_types.h"

#endif
