// Instantiates the vectorised exp (vexp_body.h, which explains the method) once per
// instruction set and element type.
#include <stddef.h>
#include <stdint.h>

#include "kernels_internal.h"

#define AG_BODY "vexp_body.h"

#if defined(__x86_64__)

#define AG_ISA avx512
#define AG_ATTR __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define AG_VBYTES 64
#define AG_FMA 1
#include "instantiate_types.h"
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA

#define AG_ISA avx2
#define AG_ATTR __attribute__((target("avx2,fma")))
#define AG_VBYTES 32
#define AG_FMA 1
#include "instantiate_types.h"
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA

#define AG_ISA sse2
#define AG_ATTR
#define AG_VBYTES 16
#define AG_FMA 0
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
#include "instantiate_types.h"

#endif
