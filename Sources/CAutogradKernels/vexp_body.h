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

#if AG_ESIZE == 8
// t[k] = base[k] + sum_c curv[c*ld + k] * (y[c] - mu[c*ld + k])^2 for k < K (base = NULL: 0):
// the exponents of a mixture of products of Gaussians at one point. One pass over K per point,
// all C dimensions accumulated in registers.
AG_ATTR void AG_CAT2(ag_dquadratic_terms, AG_ISA)(size_t K, size_t C, const double *base,
                                                  const double *mu, const double *curv, size_t ld,
                                                  const double *y, double *t) {
    size_t k = 0;
    for (; k + VL <= K; k += VL) {
        V acc = base ? *(const VU *)(base + k) : F(xsplat)(0);
        for (size_t c = 0; c < C; c++) {
            const V u = F(xsplat)(y[c]) - *(const VU *)(mu + c * ld + k);
            acc = F(xfma)(*(const VU *)(curv + c * ld + k) * u, u, acc);
        }
        *(VU *)(t + k) = acc;
    }
    for (; k < K; k++) {
        double acc = base ? base[k] : 0;
        for (size_t c = 0; c < C; c++) {
            const double u = y[c] - mu[c * ld + k];
            acc += curv[c * ld + k] * u * u;
        }
        t[k] = acc;
    }
}

// The same for P points at once (y row-major P x C, t row-major P x ldt): the means and
// curvatures are loaded once per vector of kernels for up to four points, so a mixture larger
// than the L1 cache streams through it a quarter as often.
AG_ATTR void AG_CAT2(ag_dquadratic_terms_batch, AG_ISA)(size_t K, size_t C, const double *base,
                                                        const double *mu, const double *curv,
                                                        size_t ld, size_t P, const double *y,
                                                        double *t, size_t ldt) {
    size_t p = 0;
    for (; p + 4 <= P; p += 4) {
        const double *y0 = y + p * C, *y1 = y0 + C, *y2 = y1 + C, *y3 = y2 + C;
        double *t0 = t + p * ldt, *t1 = t0 + ldt, *t2 = t1 + ldt, *t3 = t2 + ldt;
        size_t k = 0;
        for (; k + VL <= K; k += VL) {
            const V b = base ? *(const VU *)(base + k) : F(xsplat)(0);
            V a0 = b, a1 = b, a2 = b, a3 = b;
            for (size_t c = 0; c < C; c++) {
                const V m = *(const VU *)(mu + c * ld + k), q = *(const VU *)(curv + c * ld + k);
                const V u0 = F(xsplat)(y0[c]) - m, u1 = F(xsplat)(y1[c]) - m;
                const V u2 = F(xsplat)(y2[c]) - m, u3 = F(xsplat)(y3[c]) - m;
                a0 = F(xfma)(q * u0, u0, a0);
                a1 = F(xfma)(q * u1, u1, a1);
                a2 = F(xfma)(q * u2, u2, a2);
                a3 = F(xfma)(q * u3, u3, a3);
            }
            *(VU *)(t0 + k) = a0;
            *(VU *)(t1 + k) = a1;
            *(VU *)(t2 + k) = a2;
            *(VU *)(t3 + k) = a3;
        }
        if (k < K) {
            for (size_t j = 0; j < 4; j++) {
                const double *yj = y + (p + j) * C;
                double *tj = t + (p + j) * ldt;
                for (size_t kk = k; kk < K; kk++) {
                    double acc = base ? base[kk] : 0;
                    for (size_t c = 0; c < C; c++) {
                        const double u = yj[c] - mu[c * ld + kk];
                        acc += curv[c * ld + kk] * u * u;
                    }
                    tj[kk] = acc;
                }
            }
        }
    }
    for (; p < P; p++) AG_CAT2(ag_dquadratic_terms, AG_ISA)(K, C, base, mu, curv, ld, y + p * C, t + p * ldt);
}

// log sum_k w[k] exp(t[k]) for k < K (w = NULL: all ones), shifted by the maximum m of t so
// nothing overflows; -inf for K = 0 or when every term is -inf, NaN when one is NaN (the sum
// carries it). Terms with t[k] < m - cutoff are left out, and with them their exponentials: the
// caller picks cutoff so that they cannot matter (see autograd_kernels.h). t and w are read only.
// The kept terms are packed into a small buffer before their exponentials are taken, so the
// cost is one exponential per kept term (a vector's worth at a time), however they are spread.
#endif

// The sum of ag_dlogsumexp once the maximum m of t (finite) is known.
INLINE double F(xlse_given_max)(size_t K, const AG_T *t, const AG_T *w, AG_T m, AG_T cutoff) {
    enum { CAP = 16 * VL };
    AG_T dk[CAP + VL] __attribute__((aligned(64))), wk[CAP + VL] __attribute__((aligned(64)));
    size_t n = 0, k = 0;
    V sv = F(xsplat)(0);
    const V mm = F(xsplat)(m), low = F(xsplat)(-cutoff);
    // Exponentials of the packed terms, weighted into sv; the buffer's tail is padded with
    // -inf terms (weight 0), which add exactly nothing.
#define AG_LSE_FLUSH()                                                                             \
    do {                                                                                           \
        for (size_t j = n; j % VL != 0; j++) { dk[j] = -(AG_T)__builtin_inf(); wk[j] = 0; }              \
        for (size_t j = 0; j < n; j += VL) {                                                       \
            const V e = F(xexp)(*(const VU *)(dk + j));                                            \
            sv = F(xfma)(*(const VU *)(wk + j), e, sv);                                            \
        }                                                                                          \
        n = 0;                                                                                     \
    } while (0)
    for (; k + VL <= K; k += VL) {
        const V d = *(const VU *)(t + k) - mm;
#if AG_VBYTES == 64 && defined(__x86_64__)
        // AVX-512: pack the kept lanes (NaN is kept, so it reaches the sum) with the compress
        // instruction, without a branch: which vectors hold kept terms is unpredictable.
        // (Compressing in registers and storing whole vectors: compressing stores to memory
        // are microcoded and slow on some processors.)
#if AG_ESIZE == 8
        const unsigned char bits = (unsigned char)__builtin_ia32_cmppd512_mask(d, low, 13 /* _CMP_GE_OS */, 0xff, 4) |
                                   (unsigned char)__builtin_ia32_cmppd512_mask(d, d, 3 /* _CMP_UNORD_Q */, 0xff, 4);
        *(VU *)(dk + n) = __builtin_ia32_compressdf512_mask(d, F(xsplat)(0), bits);
        *(VU *)(wk + n) = __builtin_ia32_compressdf512_mask(w ? *(const VU *)(w + k) : F(xsplat)(1), F(xsplat)(0), bits);
#else
        const unsigned short bits = (unsigned short)__builtin_ia32_cmpps512_mask(d, low, 13 /* _CMP_GE_OS */, 0xffff, 4) |
                                    (unsigned short)__builtin_ia32_cmpps512_mask(d, d, 3 /* _CMP_UNORD_Q */, 0xffff, 4);
        *(VU *)(dk + n) = __builtin_ia32_compresssf512_mask(d, F(xsplat)(0), bits);
        *(VU *)(wk + n) = __builtin_ia32_compresssf512_mask(w ? *(const VU *)(w + k) : F(xsplat)(1), F(xsplat)(0), bits);
#endif
        n += (size_t)__builtin_popcount(bits);
#else
        const IV keep = ~(d < low); // NaN is kept, so it reaches the sum
#if defined(__has_builtin) && __has_builtin(__builtin_reduce_or)
        if (!__builtin_reduce_or(keep)) continue;
#else
        AG_IT any = 0;
        for (size_t j = 0; j < VL; j++) any |= keep[j];
        if (!any) continue;
#endif
        // Branch-free packing: every lane is written, and the next slot advances past kept ones.
        for (size_t j = 0; j < VL; j++) {
            dk[n] = d[j];
            wk[n] = w ? w[k + j] : 1;
            n += keep[j] & 1;
        }
#endif
        if (n >= CAP) AG_LSE_FLUSH();
    }
    for (; k < K; k++) {
        const AG_T d = t[k] - m;
        if (d < -cutoff) continue;
        dk[n] = d;
        wk[n] = w ? w[k] : 1;
        n++;
    }
    AG_LSE_FLUSH();
#undef AG_LSE_FLUSH
    double s = 0;
    for (size_t j = 0; j < VL; j++) s += (double)sv[j];
    return (double)m + __builtin_log(s);
}

// ag_dlogsumexp once the maximum m of t is known: the special cases of an infinite or missing
// maximum, else the sum.
INLINE double F(xlse_with_max)(size_t K, const AG_T *t, const AG_T *w, AG_T m, AG_T cutoff) {
    if (!(m > -(AG_T)__builtin_inf())) { // every term -inf (or NaN, which the maximum skipped)
        for (size_t j = 0; j < K; j++)
            if (t[j] != t[j]) return t[j];
        return m;
    }
    if (m == (AG_T)__builtin_inf()) return m;
    return F(xlse_given_max)(K, t, w, m, cutoff);
}

// NP points of ag_dmixture_logdensity (NP <= 8, a constant after inlining): their terms into
// the rows of scratch with their maxima in the same pass over the kernels, then each sum.
INLINE void F(xmixture_group)(size_t NP, size_t K, size_t C, const AG_T *base, const AG_T *mu,
                              const AG_T *curv, size_t ld, const AG_T *w, AG_T cutoff,
                              const AG_T *y, AG_T *scratch, double *out) {
    V mx[8];
    for (size_t j = 0; j < NP; j++) mx[j] = F(xsplat)(-(AG_T)__builtin_inf());
    V ys[C * NP]; // the points' coordinates, splatted once
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < NP; j++) ys[c * NP + j] = F(xsplat)(y[j * C + c]);
    size_t k = 0;
    for (; k + VL <= K; k += VL) {
        V a[8];
        const V b = base ? *(const VU *)(base + k) : F(xsplat)(0);
        for (size_t j = 0; j < NP; j++) a[j] = b;
        for (size_t c = 0; c < C; c++) {
            const V m = *(const VU *)(mu + c * ld + k), q = *(const VU *)(curv + c * ld + k);
            for (size_t j = 0; j < NP; j++) {
                const V u = ys[c * NP + j] - m;
                a[j] = F(xfma)(q * u, u, a[j]);
            }
        }
        for (size_t j = 0; j < NP; j++) {
            *(VU *)(scratch + j * K + k) = a[j];
            mx[j] = F(xselect)(a[j] > mx[j], a[j], mx[j]);
        }
    }
    for (size_t j = 0; j < NP; j++) {
        AG_T m = -(AG_T)__builtin_inf();
        for (size_t l = 0; l < VL; l++) m = mx[j][l] > m ? mx[j][l] : m;
        for (size_t kk = k; kk < K; kk++) {
            AG_T acc = base ? base[kk] : 0;
            for (size_t c = 0; c < C; c++) {
                const AG_T u = y[j * C + c] - mu[c * ld + kk];
                acc += curv[c * ld + kk] * u * u;
            }
            scratch[j * K + kk] = acc;
            m = acc > m ? acc : m;
        }
        out[j] = F(xlse_with_max)(K, scratch + j * K, w, m, cutoff);
    }
}

#if AG_ESIZE == 8
// log sum_k w[k] exp(t[k]) for k < K (w = NULL: all ones), shifted by the maximum m of t so
// nothing overflows; -inf for K = 0 or when every term is -inf, NaN when one is NaN (the sum
// carries it). Terms with t[k] < m - cutoff are left out, and with them their exponentials: the
// caller picks cutoff so that they cannot matter (see autograd_kernels.h). t and w are read only.
// The kept terms are packed into a small buffer before their exponentials are taken, so the
// cost is one exponential per kept term (a vector's worth at a time), however they are spread.
AG_ATTR double AG_CAT2(ag_dlogsumexp, AG_ISA)(size_t K, const double *t, const double *w, double cutoff) {
    double m = -__builtin_inf();
    size_t k = 0;
    V mv = F(xsplat)(-__builtin_inf());
    for (; k + VL <= K; k += VL) {
        const V v = *(const VU *)(t + k);
        mv = F(xselect)(v > mv, v, mv);
    }
    for (size_t j = 0; j < VL; j++) m = mv[j] > m ? mv[j] : m;
    for (; k < K; k++) m = t[k] > m ? t[k] : m;
    return F(xlse_with_max)(K, t, w, m, cutoff);
}

// out[p] = log sum_k w[k] exp(t_p[k]) with t_p the ag_dquadratic_terms of point p: the log
// density of a mixture of product Gaussians at P points. Per group of four points, one pass over
// the kernels computes their terms and maxima, and one pass over each point's terms (still in
// the cache) sums the kept ones; scratch holds 4 K doubles.
AG_ATTR void AG_CAT2(ag_dmixture_logdensity, AG_ISA)(size_t K, size_t C, const double *base,
                                                     const double *mu, const double *curv, size_t ld,
                                                     const double *w, double cutoff, size_t P,
                                                     const double *y, double *scratch, double *out) {
    size_t p = 0;
    for (; p + 4 <= P; p += 4)
        F(xmixture_group)(4, K, C, base, mu, curv, ld, w, cutoff, y + p * C, scratch, out + p);
    for (; p < P; p++)
        F(xmixture_group)(1, K, C, base, mu, curv, ld, w, cutoff, y + p * C, scratch, out + p);
}
#endif

#if AG_ESIZE == 4
// ag_dmixture_logdensity in single precision (the sums and the result in double): twice the
// lanes per instruction, and eight points per pass over the kernels (scratch holds 8 K floats).
// The caller keeps the coordinates and widths well scaled (see autograd_kernels.h).
AG_ATTR void AG_CAT2(ag_smixture_logdensity, AG_ISA)(size_t K, size_t C, const float *base,
                                                     const float *mu, const float *curv, size_t ld,
                                                     const float *w, float cutoff, size_t P,
                                                     const float *y, float *scratch, double *out) {
    size_t p = 0;
    for (; p + 8 <= P; p += 8)
        F(xmixture_group)(8, K, C, base, mu, curv, ld, w, cutoff, y + p * C, scratch, out + p);
    for (; p + 4 <= P; p += 4)
        F(xmixture_group)(4, K, C, base, mu, curv, ld, w, cutoff, y + p * C, scratch, out + p);
    for (; p < P; p++)
        F(xmixture_group)(1, K, C, base, mu, curv, ld, w, cutoff, y + p * C, scratch, out + p);
}
#endif

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
