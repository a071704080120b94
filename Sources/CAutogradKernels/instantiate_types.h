// Compiles the kernel body named by AG_BODY twice, for float and for double, with the
// instruction-set macros the includer has set (see skinny_gemm.c / vexp.c).
#define AG_T float
#define AG_P s
#define AG_ESIZE 4
#define AG_IT int32_t
#define AG_UT uint32_t
#define AG_EXPNAME vexpf
#include AG_BODY
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
#include AG_BODY
#undef AG_T
#undef AG_P
#undef AG_ESIZE
#undef AG_IT
#undef AG_UT
#undef AG_EXPNAME
