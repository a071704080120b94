// Vectorised exp: one body, compiled once per (instruction set, element type) by vexp.c.
//
// Macros from the includer: AG_ISA, AG_ATTR, AG_VBYTES, AG_FMA (see skinny_gemm_body.h), and
//   AG_T, AG_P (s or d), AG_ESIZE, AG_IT / AG_UT (signed / unsigned integer of the same size),
//   AG_EXPNAME (vexpf or vexp).
//
// Method (no tables, so no gathers; identical code for every vector width):
//   1. Clamp x to [LO, HI]. Every x below LO gives a result that rounds to +0, every x above HI
//      overflows, and both clamped values still produce exactly those results below, so the
//      main path needs no special cases. The clamp is written as compare-and-select so that a
//      NaN input stays NaN all the way through (a min/max builtin would replace it).
//   2. n = round(x / ln 2) with the "add 1.5 * 2^p" trick (the integer appears in the low bits
//      of the sum, no float-to-int conversion needed), and r = x - n ln 2 with ln 2 split in a
//      high part with trailing zero bits (so n * LN2_HI and the subtraction are exact whether or
//      not the compiler fuses them) and a low part. |r| <= ln(2)/2 (+ a hair from rounding).
//   3. e^r = 1 + (r + r^2 q(r)), q a polynomial of degree 4 (float) or 9 (double) whose
//      coefficients we fitted for minimal relative error of e^r on [-0.3466, 0.3466]
//      (iteratively reweighted least squares in 50-digit arithmetic; max relative error of
//      the approximation 3.1e-9 (float) and 3.6e-18 (double), a few hundredths of an ulp).
//      Adding the 1 last keeps the rounding error of the sum at about half an ulp.
//   4. Scale by 2^n as two exact powers of two, 2^(n1) * 2^(n - n1) with n1 = floor(n / 2).
//      Both factors are normal numbers over the whole clamped range, the first product is
//      exact, and the second rounds once: results that overflow become +inf and results in
//      the subnormal range are rounded correctly from the accurate e^r, so gradual underflow
//      costs no accuracy.
// exp(0) = 1 exactly (n = 0, r = 0, 1 + 0), exp(-inf) = +0, exp(+inf) = +inf, NaN -> NaN.
// Measured: over every float input the maximum error is 1.009 ulp (9 inputs above 1 ulp, none
// more than one step from the correctly rounded result); double sweeps stay below 1.03 ulp.

#define VL (AG_VBYTES / AG_ESIZE)
#define F(name) AG_CAT3(name, AG_P, AG_ISA)
#define V F(xv)
#define VU F(xvu)
#define IV F(xiv)
#define UV F(xuv)
#define INLINE static inline __attribute__((always_inline)) AG_ATTR

typedef AG_T V __attribute__((vector_size(AG_VBYTES)));
typedef AG_T VU __attribute__((vector_size(AG_VBYTES), aligned(AG_ESIZE), may_alias));
typedef AG_IT IV __attribute__((vector_size(AG_VBYTES)));
typedef AG_UT UV __attribute__((vector_size(AG_VBYTES)));

#if AG_ESIZE == 4
#define X_LO (-104.0f) // exp(-104) < 2^-150: rounds to +0
#define X_HI (89.0f)   // exp(89) > FLT_MAX
#define X_LOG2E 0x1.715476p+0f
#define X_SHIFT 0x1.8p+23f
#define X_LN2_HI 0x1.62e4p-1f // 15 significant bits: n * X_LN2_HI is exact for |n| < 512
#define X_LN2_LO 0x1.7f7d1cp-20f
#define X_MANT 23
#define X_BIAS 127
#define X_NOFF 256 // makes n + X_NOFF non-negative for the unsigned halving
#else
#define X_LO (-746.0)  // exp(-746) < 2^-1075: rounds to +0
#define X_HI (710.0)   // exp(710) > DBL_MAX
#define X_LOG2E 0x1.71547652b82fep+0
#define X_SHIFT 0x1.8p+52
#define X_LN2_HI 0x1.62e42feep-1 // 32 significant bits: n * X_LN2_HI is exact for |n| < 2^21
#define X_LN2_LO 0x1.a39ef35793c76p-33
#define X_MANT 52
#define X_BIAS 1023
#define X_NOFF 2048
#endif

INLINE V F(xsplat)(AG_T c) {
    V v = {0};
    return v + c;
}
INLINE V F(xfma)(V a, V b, V c) {
#if AG_FMA && defined(AG_HAVE_ELEMENTWISE_FMA)
    return __builtin_elementwise_fma(a, b, c);
#else
    return a * b + c;
#endif
}
INLINE V F(xselect)(IV mask, V a, V b) { return (V)((mask & (IV)a) | (~mask & (IV)b)); }

INLINE V F(xexp)(V x) {
    const V lo = F(xsplat)(X_LO), hi = F(xsplat)(X_HI);
    x = F(xselect)(x < lo, lo, x);
    x = F(xselect)(x > hi, hi, x);
    const V shift = F(xsplat)(X_SHIFT);
    const V t = F(xfma)(x, F(xsplat)(X_LOG2E), shift);
    const V nf = t - shift;                      // n as a float, exact
    const IV n = (IV)t - (IV)shift;               // n as an integer (low bits of t)
    V r = F(xfma)(nf, F(xsplat)(-X_LN2_HI), x);   // exact
    r = F(xfma)(nf, F(xsplat)(-X_LN2_LO), r);
#if AG_ESIZE == 4
    V q = F(xfma)(F(xsplat)(0x1.6a24377b57b5bp-10f), r, F(xsplat)(0x1.1239df4dafddfp-7f));
    q = F(xfma)(q, r, F(xsplat)(0x1.5558f16b34197p-5f));
    q = F(xfma)(q, r, F(xsplat)(0x1.555491586afb1p-3f));
    q = F(xfma)(q, r, F(xsplat)(0x1.fffffb9a79fb6p-2f));
#else
    V q = F(xfma)(F(xsplat)(0x1.ad7f71c8f5093p-26), r, F(xsplat)(0x1.28ad709b224cfp-22));
    q = F(xfma)(q, r, F(xsplat)(0x1.71df254cd61ecp-19));
    q = F(xfma)(q, r, F(xsplat)(0x1.a0199a0ea0f2fp-16));
    q = F(xfma)(q, r, F(xsplat)(0x1.a01a012a5ba7dp-13));
    q = F(xfma)(q, r, F(xsplat)(0x1.6c16c18429500p-10));
    q = F(xfma)(q, r, F(xsplat)(0x1.1111111127bd6p-7));
    q = F(xfma)(q, r, F(xsplat)(0x1.5555555550880p-5));
    q = F(xfma)(q, r, F(xsplat)(0x1.55555555554fap-3));
    q = F(xfma)(q, r, F(xsplat)(0x1.000000000000ap-1));
#endif
    const V s = F(xfma)(r * r, q, r);             // e^r - 1
    const V p = s + (AG_T)1;
    // 2^n = 2^n1 * 2^n2, n1 = floor(n / 2), n2 = n - n1; both are normal numbers.
    const IV n1 = (IV)(((UV)(n + X_NOFF)) >> 1) - X_NOFF / 2;
    const IV n2 = n - n1;
    const V s1 = (V)((n1 + X_BIAS) << X_MANT);
    const V s2 = (V)((n2 + X_BIAS) << X_MANT);
    return (p * s1) * s2;
}

AG_ATTR void AG_CAT2(AG_CAT2(ag, AG_EXPNAME), AG_ISA)(size_t n, const AG_T *x, AG_T *y) {
    size_t i = 0;
    for (; i + 2 * VL <= n; i += 2 * VL) {
        const V a = *(const VU *)(x + i), b = *(const VU *)(x + i + VL);
        *(VU *)(y + i) = F(xexp)(a);
        *(VU *)(y + i + VL) = F(xexp)(b);
    }
    for (; i + VL <= n; i += VL) *(VU *)(y + i) = F(xexp)(*(const VU *)(x + i));
    if (i < n) { // tail: pad with zeros, compute a whole vector, store only the valid part
        const size_t rem = n - i;
        V v = {0};
        for (size_t j = 0; j < rem; j++) v[j] = x[i + j];
        v = F(xexp)(v);
        for (size_t j = 0; j < rem; j++) y[i + j] = v[j];
    }
}

#undef VL
#undef F
#undef V
#undef VU
#undef IV
#undef UV
#undef INLINE
#undef X_LO
#undef X_HI
#undef X_LOG2E
#undef X_SHIFT
#undef X_LN2_HI
#undef X_LN2_LO
#undef X_MANT
#undef X_BIAS
#undef X_NOFF
