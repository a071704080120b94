// Instantiates the vectorised exp (vexp_body.h) once per instruction set and element type.
#include <stddef.h>
#include <stdint.h>

#include "kernels_internal.h"

#if defined(__x86_64__)

#define AG_ISA avx512
#define AG_ATTR __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define AG_VBYTES 64
#define AG_FMA 1
#define AG_T float
#define AG_P s
#define AG_ESIZE 4
#define AG_IT int32_t
#define AG_UT uint32_t
#define AG_EXPNAME vexpf
#include "vexp_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_IT
#undef AG_UT
#undef AG_EXPNAME
#define AG_T double
#define AG_P d
#define AG_ESIZE 8
#define AG_IT int64_t
#define AG_UT uint64_t
#define AG_EXPNAME vexp
#include "vexp_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_IT
#undef AG_UT
#undef AG_EXPNAME
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA

#define AG_ISA avx2
#define AG_ATTR __attribute__((target("avx2,fma")))
#define AG_VBYTES 32
#define AG_FMA 1
#define AG_T float
#define AG_P s
#define AG_ESIZE 4
#define AG_IT int32_t
#define AG_UT uint32_t
#define AG_EXPNAME vexpf
#include "vexp_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_IT
#undef AG_UT
#undef AG_EXPNAME
#define AG_T double
#define AG_P d
#define AG_ESIZE 8
#define AG_IT int64_t
#define AG_UT uint64_t
#define AG_EXPNAME vexp
#include "vexp_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_IT
#undef AG_UT
#undef AG_EXPNAME
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA

#define AG_ISA sse2
#define AG_ATTR
#define AG_VBYTES 16
#define AG_FMA 0
#define AG_T float
#define AG_P s
#define AG_ESIZE 4
#define AG_IT int32_t
#define AG_UT uint32_t
#define AG_EXPNAME vexpf
#include "vexp_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_IT
#undef AG_UT
#undef AG_EXPNAME
#define AG_T double
#define AG_P d
#define AG_ESIZE 8
#define AG_IT int64_t
#define AG_UT uint64_t
#define AG_EXPNAME vexp
#include "vexp_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_IT
#undef AG_UT
#undef AG_EXPNAME
#undef AG_ISA
#undef AG_ATTR
#undef AG_VBYTES
#undef AG_FMA

#else

#define AG_ISA generic
#define AG_ATTR
#define AG_VBYTES 16
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
#define AG_FMA 1
#else
#define AG_FMA 0
#endif
#define AG_T float
#define AG_P s
#define AG_ESIZE 4
#define AG_IT int32_t
#define AG_UT uint32_t
#define AG_EXPNAME vexpf
#include "vexp_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_IT
#undef AG_UT
#undef AG_EXPNAME
#define AG_T double
#define AG_P d
#define AG_ESIZE 8
#define AG_IT int64_t
#define AG_UT uint64_t
#define AG_EXPNAME vexp
#include "vexp_body.h"
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_IT
#undef AG_UT
#undef AG_EXPNAME

#endif
