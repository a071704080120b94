// Skinny matrix-product kernels: one body, compiled once per (instruction set, element type).
//
// This file is included by skinny_gemm.c with these macros defined:
//   AG_ISA      token naming the instruction set (avx512, avx2, sse2, generic)
//   AG_ATTR     function attribute selecting that instruction set (may be empty)
//   AG_VBYTES   vector register width in bytes (64, 32, 16)
//   AG_FMA      1 if the target has fused multiply-add
//   AG_T, AG_P, AG_ESIZE   element type, its BLAS prefix letter (s or d), and sizeof(AG_T)
//   AG_NN_R, AG_NN_NC      NN register tile: rows of A by columns of C
//   AG_TN_WV, AG_TN_NC     TN register tile: vectors along m by columns of C
//   AG_TN_RB    rows of A and B reduced per block in the TN kernel
//
// Notation: VL is the number of elements per vector register.
//
// ---------------------------------------------------------------------------------------------
// NN:  C[m,n] (=|+=) A[m,k] · B[k,n]          (n small, k large)
//
// Every output element is a dot product of a row of A with a column of B. Because n is tiny,
// vectorising along n would waste most lanes, so we vectorise along k instead: B is packed
// once per call into a column-major, zero-padded panel ("B transposed", VL elements of one
// column per vector, the NC columns of one register tile interleaved per k-step so the tile
// reads a single contiguous stream). The register tile holds R rows of A times NC columns of
// B as R*NC vector accumulators; each k-step loads R vectors of A and NC vectors of the panel
// and issues R*NC FMAs, so loads per FMA are (R+NC)/(R*NC) and each B vector is loaded once
// for R rows. With 32 AVX-512 registers the tile is 2 rows x 10 columns (20 accumulators, 2
// A registers, 1-2 B temporaries): 12 loads per 20 FMAs, the loop is FMA-bound rather than
// load-bound, and 20 independent accumulation chains hide the FMA latency. Each lane of an
// accumulator sums only k/VL products, and the final horizontal reduction is a tree, so the
// summation error is far smaller than one serial chain over k.
//
// The horizontal reductions are done with a "transpose-and-add" tree: pairs of accumulators
// are combined by taking the low halves of both and the high halves of both and adding,
// which halves the lane count per source and doubles the number of sources per vector. After
// log2(VL) levels lane c holds the full sum for column c, so one row of C is produced with
// about NC shuffles pairs instead of NC separate reductions.
//
// Rows are visited in order, the register tile walks the whole of k for R rows, then moves
// on. A is therefore read exactly once, as R sequential streams, and software-prefetched one
// row block ahead so the next rows are in flight while the current ones are multiplied. When
// n is larger than NC the column tiles of one row block are processed back to back, so the R
// rows of A are re-read from L1/L2, never from memory.
//
// ---------------------------------------------------------------------------------------------
// TN:  C[m,n] (=|+=) A[k,m]^T · B[k,n]        (reduction over the k rows; m moderate, n small)
//
// Here the rows of A are contiguous along m, the output dimension, so we vectorise along m
// and broadcast single elements of B: the register tile covers WV vectors of m (WV*VL output
// rows of C) times NC columns; for each row r of A it loads WV vectors of A[r, i..], broadcasts
// NC scalars B[r, j..] and issues WV*NC FMAs. With AVX-512 the tile is 2 vectors x 10 columns
// (12 loads per 20 FMAs, no B re-use problem since B's row is 40 bytes).
//
// The accumulators are transposed relative to C (lanes run along m, but C is row-major with n
// contiguous), so partial sums live in a small buffer Ct[c][i] on the stack and are transposed
// into C once at the end. The reduction over k is cut into blocks of AG_TN_RB rows: for each
// block the tile starts from zero, sums RB products per lane, and adds the block result into
// Ct. This (a) turns a 5000-term serial float sum into RB-term block sums plus a k/RB-term sum
// of blocks, which improves accuracy by about two orders of magnitude, and (b) bounds the
// amount of A touched between two visits of the same columns to RB rows, a few hundred KB that
// stays in L2 when several column tiles must read the same rows (n > NC). Inside a block the
// tile reads A with a stride of lda; a software prefetch a few rows ahead keeps those loads
// from waiting on memory. The m dimension is processed in chunks small enough for the Ct
// buffer (at most 32 KB), so no heap allocation is needed.
// ---------------------------------------------------------------------------------------------

#define VL (AG_VBYTES / AG_ESIZE)
#define F(name) AG_CAT3(name, AG_P, AG_ISA)
#define V F(agv)
#define VU F(agvu)
#define INLINE static inline __attribute__((always_inline)) AG_ATTR

typedef AG_T V __attribute__((vector_size(AG_VBYTES)));
// Unaligned, aliasing-safe view used for every load and store from caller memory.
typedef AG_T VU __attribute__((vector_size(AG_VBYTES), aligned(AG_ESIZE), may_alias));

INLINE V F(ld)(const AG_T *p) { return *(const VU *)p; }
INLINE void F(st)(AG_T *p, V v) { *(VU *)p = v; }
INLINE V F(zero)(void) {
    V v = {0};
    return v;
}
// x - 0 == x for every x (including -0), so the compiler folds this to a plain broadcast;
// 0 + x would not fold (0 + -0 == +0) and costs an extra add per splat.
INLINE V F(splat)(AG_T x) { return x - F(zero)(); }
// Load the first cnt (< VL) elements, zero the rest; never touches memory past p[cnt-1].
INLINE V F(ld_part)(const AG_T *p, int cnt) {
    V v = F(zero)();
    for (int i = 0; i < cnt; i++) v[i] = p[i];
    return v;
}
INLINE V F(fma)(V a, V b, V c) {
#if AG_FMA && defined(AG_HAVE_ELEMENTWISE_FMA)
    return __builtin_elementwise_fma(a, b, c);
#else
    return a * b + c; // contracted to an FMA by the compiler where the target has one
#endif
}

// ---- transpose-and-add reduction tree -------------------------------------------------------
// combG(a, b): a and b each hold several sources in groups of 2G lanes; the result holds the
// same sources (a's then b's) in groups of G lanes, each lane the sum of two.
#if VL == 16
INLINE V F(comb8)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
           __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30,
                                   31);
}
INLINE V F(comb4)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) +
           __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30,
                                   31);
}
INLINE V F(comb2)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) +
           __builtin_shufflevector(a, b, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30,
                                   31);
}
INLINE V F(comb1)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                   30) +
           __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}
#elif VL == 8
INLINE V F(comb4)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11) +
           __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15);
}
INLINE V F(comb2)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 1, 4, 5, 8, 9, 12, 13) +
           __builtin_shufflevector(a, b, 2, 3, 6, 7, 10, 11, 14, 15);
}
INLINE V F(comb1)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14) +
           __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
}
#elif VL == 4
INLINE V F(comb2)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 1, 4, 5) + __builtin_shufflevector(a, b, 2, 3, 6, 7);
}
INLINE V F(comb1)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 2, 4, 6) + __builtin_shufflevector(a, b, 1, 3, 5, 7);
}
#elif VL == 2
INLINE V F(comb1)(V a, V b) {
    return __builtin_shufflevector(a, b, 0, 2) + __builtin_shufflevector(a, b, 1, 3);
}
#else
#error "unsupported vector length"
#endif

// Reduce the NC accumulators of one row of C and write the NC results to crow[0..NC-1],
// overwriting (beta == 0) or adding (beta != 0). NC is a compile-time constant after inlining.
INLINE void F(reduce_row)(const V *acc, const int NC, AG_T *crow, int beta) {
    AG_UNROLL
    for (int g0 = 0; g0 < NC; g0 += VL) {
        const int ns = NC - g0 < VL ? NC - g0 : VL;
        V v[VL];
        AG_UNROLL
        for (int s = 0; s < VL; s++) v[s] = s < ns ? acc[g0 + s] : F(zero)();
#if VL >= 16
        AG_UNROLL
        for (int q = 0; q < VL / 2; q++) v[q] = F(comb8)(v[2 * q], v[2 * q + 1]);
#endif
#if VL >= 8
        AG_UNROLL
        for (int q = 0; q < 4; q++) v[q] = F(comb4)(v[2 * q], v[2 * q + 1]);
#endif
#if VL >= 4
        AG_UNROLL
        for (int q = 0; q < 2; q++) v[q] = F(comb2)(v[2 * q], v[2 * q + 1]);
#endif
        v[0] = F(comb1)(v[0], v[1]);
        if (beta)
            for (int s = 0; s < ns; s++) crow[g0 + s] += v[0][s];
        else
            for (int s = 0; s < ns; s++) crow[g0 + s] = v[0][s];
    }
}

// Split `total` columns into the fewest tiles of at most `maxw` columns, of near-equal width
// (e.g. 20 -> 10+10, 13 -> 7+6), which avoids a badly shaped remainder tile.
INLINE int F(tile_count)(int total, int maxw) { return (total + maxw - 1) / maxw; }
INLINE int F(tile_width)(int total, int tiles, int t) {
    return total / tiles + (t < total % tiles ? 1 : 0);
}

// Write zeros to (or leave alone, when accumulating) an m x n block of C: the k == 0 case.
INLINE void F(zero_c)(int m, int n, AG_T *C, int ldc, int accumulate) {
    if (accumulate) return;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) C[(size_t)i * ldc + j] = 0;
}

// ============================================================================================
// NN
// ============================================================================================

// Limits on one packed B panel: at most AG_NN_GROUP columns and AG_NN_KC rows, so the panel
// (and its heap buffer, when it does not fit the stack one) is bounded.
#define AG_NN_GROUP 32
#ifndef AG_NN_PANEL_BYTES
#define AG_NN_PANEL_BYTES 16384
#endif
#ifndef AG_NN_PF_LOC
#define AG_NN_PF_LOC 3
#endif
#define AG_NN_STACK_BYTES 16384

// Pack columns [0, w) of B (k rows, leading dimension ldb) into dst, vector-interleaved:
// dst[(p * w + c) * VL + l] = B[p * VL + l, c], zero where p * VL + l >= k.
INLINE void F(nn_pack)(AG_T *dst, const AG_T *B, int ldb, int k, int kvec, int w) {
    for (int p = 0; p < kvec; p++) {
        AG_T *blk = dst + (size_t)p * w * VL;
        for (int l = 0; l < VL; l++) {
            const int kk = p * VL + l;
            if (kk < k) {
                const AG_T *brow = B + (size_t)kk * ldb;
                for (int c = 0; c < w; c++) blk[c * VL + l] = brow[c];
            } else {
                for (int c = 0; c < w; c++) blk[c * VL + l] = 0;
            }
        }
    }
}

// The register tile: R rows of A (starting at a, leading dimension lda) times NC packed
// columns (bp), over kfull full vectors plus krem trailing elements. pf points at rows to
// prefetch (the next row block), c at C[row 0, first column of the tile].
INLINE void F(nn_tile)(const int R, const int NC, const AG_T *a, size_t lda, const AG_T *bp,
                       int kfull, int krem, const AG_T *pf, AG_T *c, size_t ldc, int beta) {
    V acc[AG_NN_R][AG_NN_NC];
    AG_UNROLL
    for (int r = 0; r < R; r++)
        AG_UNROLL
        for (int j = 0; j < NC; j++) acc[r][j] = F(zero)();
    for (int p = 0; p < kfull; p++) {
        V av[AG_NN_R];
        AG_UNROLL
        for (int r = 0; r < R; r++) {
            av[r] = F(ld)(a + r * lda + (size_t)p * VL);
            __builtin_prefetch(pf + r * lda + (size_t)p * VL, 0, AG_NN_PF_LOC);
        }
        const AG_T *bq = bp + (size_t)p * NC * VL;
        AG_UNROLL
        for (int j = 0; j < NC; j++) {
            const V b = F(ld)(bq + j * VL);
            AG_UNROLL
            for (int r = 0; r < R; r++) acc[r][j] = F(fma)(av[r], b, acc[r][j]);
        }
    }
    if (krem) {
        V av[AG_NN_R];
        AG_UNROLL
        for (int r = 0; r < R; r++) av[r] = F(ld_part)(a + r * lda + (size_t)kfull * VL, krem);
        const AG_T *bq = bp + (size_t)kfull * NC * VL; // zero-padded by the packing
        AG_UNROLL
        for (int j = 0; j < NC; j++) {
            const V b = F(ld)(bq + j * VL);
            AG_UNROLL
            for (int r = 0; r < R; r++) acc[r][j] = F(fma)(av[r], b, acc[r][j]);
        }
    }
    AG_UNROLL
    for (int r = 0; r < R; r++) F(reduce_row)(acc[r], NC, c + r * ldc, beta);
}

// One row block against one column tile of width w: dispatch to a tile specialised for w.
#define AG_NN_CASE(R, W)                                                                           \
    case W:                                                                                        \
        if ((W) <= AG_NN_NC) F(nn_tile)(R, (W) <= AG_NN_NC ? (W) : 1, a, lda, bp, kfull, krem, pf, \
                                        c, ldc, beta);                                             \
        break;
#define AG_NN_SWITCH(R)                                                                            \
    switch (w) {                                                                                   \
        AG_NN_CASE(R, 1) AG_NN_CASE(R, 2) AG_NN_CASE(R, 3) AG_NN_CASE(R, 4) AG_NN_CASE(R, 5)       \
        AG_NN_CASE(R, 6) AG_NN_CASE(R, 7) AG_NN_CASE(R, 8) AG_NN_CASE(R, 9) AG_NN_CASE(R, 10)      \
        AG_NN_CASE(R, 11) AG_NN_CASE(R, 12) AG_NN_CASE(R, 13) AG_NN_CASE(R, 14)                    \
        AG_NN_CASE(R, 15) AG_NN_CASE(R, 16)                                                        \
    default: break;                                                                                \
    }

INLINE void F(nn_block_full)(int w, const AG_T *a, size_t lda, const AG_T *bp, int kfull,
                             int krem, const AG_T *pf, AG_T *c, size_t ldc, int beta) {
    AG_NN_SWITCH(AG_NN_R)
}
INLINE void F(nn_block_one)(int w, const AG_T *a, size_t lda, const AG_T *bp, int kfull,
                            int krem, const AG_T *pf, AG_T *c, size_t ldc, int beta) {
    AG_NN_SWITCH(1)
}

AG_ATTR void AG_CAT3(ag, AG_PASTE(AG_P, gemm_nn_skinny), AG_ISA)(int m, int n, int k,
                                                                const AG_T *A, int lda,
                                                                const AG_T *B, int ldb, AG_T *C,
                                                                int ldc, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        F(zero_c)(m, n, C, ldc, accumulate);
        return;
    }
    const size_t ldA = (size_t)lda, ldC = (size_t)ldc;
    // Packing buffer: on the stack when small, otherwise one bounded heap block per call.
    _Alignas(64) AG_T stackbuf[AG_NN_STACK_BYTES / AG_ESIZE];
    const int ngmax = n < AG_NN_GROUP ? n : AG_NN_GROUP;
    // k panel: near-equal panels of whole vectors whose packed size is about PANEL_BYTES.
    int kc_target = AG_NN_PANEL_BYTES / (ngmax * AG_ESIZE) / VL * VL;
    if (kc_target < 4 * VL) kc_target = 4 * VL;
    const int npanels = (k + kc_target - 1) / kc_target;
    int kc_max = ((k + npanels - 1) / npanels + VL - 1) / VL * VL;
    size_t need = (size_t)ngmax * (size_t)kc_max;
    AG_T *buf = stackbuf;
    void *heap = 0;
    if (need > sizeof stackbuf / sizeof stackbuf[0]) {
        heap = malloc(need * sizeof(AG_T) + 64);
        if (heap) {
            buf = (AG_T *)(((uintptr_t)heap + 63) & ~(uintptr_t)63);
        } else { // out of memory: fall back to k panels that fit the stack buffer
            kc_max = (int)((sizeof stackbuf / sizeof stackbuf[0]) / (size_t)ngmax) / VL * VL;
        }
    }

    for (int j0 = 0; j0 < n; j0 += AG_NN_GROUP) {
        const int ng = n - j0 < AG_NN_GROUP ? n - j0 : AG_NN_GROUP;
        const int ntiles = F(tile_count)(ng, AG_NN_NC);
        for (int k0 = 0; k0 < k; k0 += kc_max) {
            const int kc = k - k0 < kc_max ? k - k0 : kc_max;
            const int kfull = kc / VL, krem = kc % VL, kvec = kfull + (krem ? 1 : 0);
            const int beta = accumulate || k0 > 0;
            // Pack every column tile of the group; tile t starts at column offset jt.
            for (int t = 0, jt = 0; t < ntiles; t++) {
                const int w = F(tile_width)(ng, ntiles, t);
                F(nn_pack)(buf + (size_t)jt * kvec * VL, B + (size_t)k0 * ldb + j0 + jt, ldb, kc,
                           kvec, w);
                jt += w;
            }
            const AG_T *Ak = A + k0;
            int i = 0;
            for (; i + AG_NN_R <= m; i += AG_NN_R) {
                // Prefetch the matching rows of the next row block (clamped to the last block).
                const int ipf = i + AG_NN_R + AG_NN_R <= m ? i + AG_NN_R : i;
                const AG_T *a = Ak + (size_t)i * ldA, *pf = Ak + (size_t)ipf * ldA;
                for (int t = 0, jt = 0; t < ntiles; t++) {
                    const int w = F(tile_width)(ng, ntiles, t);
                    F(nn_block_full)(w, a, ldA, buf + (size_t)jt * kvec * VL, kfull, krem, pf,
                                     C + (size_t)i * ldC + j0 + jt, ldC, beta);
                    jt += w;
                }
            }
            for (; i < m; i++) {
                const AG_T *a = Ak + (size_t)i * ldA;
                for (int t = 0, jt = 0; t < ntiles; t++) {
                    const int w = F(tile_width)(ng, ntiles, t);
                    F(nn_block_one)(w, a, ldA, buf + (size_t)jt * kvec * VL, kfull, krem, a,
                                    C + (size_t)i * ldC + j0 + jt, ldC, beta);
                    jt += w;
                }
            }
        }
    }
    free(heap);
}

// ============================================================================================
// TN
// ============================================================================================

#define AG_TN_CT_BYTES 32768
#define AG_TN_GROUP 32
#ifndef AG_TN_PF_LOC
#define AG_TN_PF_LOC 3
#endif

// One row of the TN register tile: acc[w][j] += A[r, i + w*VL ..] * B[r, j]; pp is the address
// to prefetch for this step.
INLINE void F(tn_row)(const int WV, const int NC, const int PART, int part,
                      V acc[AG_TN_WV][AG_TN_NC], const AG_T *ar, const AG_T *br, const AG_T *pp) {
    // The tile's WV*VL elements span up to WV + 1 cache lines when A is not aligned.
    AG_UNROLL
    for (int l = 0; l < WV * VL * AG_ESIZE; l += 64)
        __builtin_prefetch((const char *)pp + l, 0, AG_TN_PF_LOC);
    __builtin_prefetch((const char *)pp + WV * VL * AG_ESIZE - 1, 0, AG_TN_PF_LOC);
    V av[AG_TN_WV];
    AG_UNROLL
    for (int w = 0; w < WV; w++)
        av[w] = (PART && w == WV - 1) ? F(ld_part)(ar + w * VL, part) : F(ld)(ar + w * VL);
    AG_UNROLL
    for (int j = 0; j < NC; j++) {
        const V bj = F(splat)(br[j]);
        AG_UNROLL
        for (int w = 0; w < WV; w++) acc[w][j] = F(fma)(av[w], bj, acc[w][j]);
    }
}

// Register tile: WV vectors along m (PART: the last vector holds only `part` valid elements)
// times NC columns, summed over `rows` rows. a = &A[r0, i], b = &B[r0, j], ct = &Ct[0][i].
// first: this is the first row block, so Ct is written instead of accumulated.
// Prefetching follows the traversal order: AG_TN_PFD rows ahead in this tile, and past the
// last row into the tile visited next (pfn, which has pfn_rows rows).
INLINE void F(tn_tile)(const int WV, const int NC, const int PART, int part, const AG_T *a,
                       size_t lda, const AG_T *b, size_t ldb, int rows, const AG_T *pfn,
                       int pfn_rows, AG_T *ct, size_t ctld, int first) {
    V acc[AG_TN_WV][AG_TN_NC];
    AG_UNROLL
    for (int w = 0; w < WV; w++)
        AG_UNROLL
        for (int j = 0; j < NC; j++) acc[w][j] = F(zero)();
    int r = 0;
    const AG_T *ar = a, *br = b;
    for (; r < rows - AG_TN_PFD; r++, ar += lda, br += ldb)
        F(tn_row)(WV, NC, PART, part, acc, ar, br, ar + AG_TN_PFD * lda);
    for (; r < rows; r++, ar += lda, br += ldb) {
        const int rn = r + AG_TN_PFD - rows < pfn_rows ? r + AG_TN_PFD - rows : pfn_rows - 1;
        F(tn_row)(WV, NC, PART, part, acc, ar, br, pfn + rn * lda);
    }
    AG_UNROLL
    for (int j = 0; j < NC; j++)
        AG_UNROLL
        for (int w = 0; w < WV; w++) {
            AG_T *p = ct + j * ctld + w * VL;
            F(st)(p, first ? acc[w][j] : F(ld)(p) + acc[w][j]);
        }
}

#define AG_TN_CASE(WV, PART, W)                                                                    \
    case W:                                                                                        \
        if ((W) <= AG_TN_NC)                                                                       \
            F(tn_tile)(WV, (W) <= AG_TN_NC ? (W) : 1, PART, part, a, lda, b, ldb, rows, pfn,       \
                       pfn_rows, ct, ctld, first);                                                 \
        break;
#define AG_TN_SWITCH(WV, PART)                                                                     \
    switch (w) {                                                                                   \
        AG_TN_CASE(WV, PART, 1) AG_TN_CASE(WV, PART, 2) AG_TN_CASE(WV, PART, 3)                    \
        AG_TN_CASE(WV, PART, 4) AG_TN_CASE(WV, PART, 5) AG_TN_CASE(WV, PART, 6)                    \
        AG_TN_CASE(WV, PART, 7) AG_TN_CASE(WV, PART, 8) AG_TN_CASE(WV, PART, 9)                    \
        AG_TN_CASE(WV, PART, 10) AG_TN_CASE(WV, PART, 11) AG_TN_CASE(WV, PART, 12)                 \
        AG_TN_CASE(WV, PART, 13) AG_TN_CASE(WV, PART, 14) AG_TN_CASE(WV, PART, 15)                 \
        AG_TN_CASE(WV, PART, 16)                                                                   \
    default: break;                                                                                \
    }

INLINE void F(tn_full)(int w, int part, const AG_T *a, size_t lda, const AG_T *b, size_t ldb,
                       int rows, const AG_T *pfn, int pfn_rows, AG_T *ct, size_t ctld,
                       int first) {
    AG_TN_SWITCH(AG_TN_WV, 0)
}
INLINE void F(tn_one)(int w, int part, const AG_T *a, size_t lda, const AG_T *b, size_t ldb,
                      int rows, const AG_T *pfn, int pfn_rows, AG_T *ct, size_t ctld,
                       int first) {
    AG_TN_SWITCH(1, 0)
}
INLINE void F(tn_part)(int w, int part, const AG_T *a, size_t lda, const AG_T *b, size_t ldb,
                       int rows, const AG_T *pfn, int pfn_rows, AG_T *ct, size_t ctld,
                       int first) {
    AG_TN_SWITCH(1, 1)
}

AG_ATTR void AG_CAT3(ag, AG_PASTE(AG_P, gemm_tn_skinny), AG_ISA)(int m, int n, int k,
                                                                const AG_T *A, int lda,
                                                                const AG_T *B, int ldb, AG_T *C,
                                                                int ldc, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        F(zero_c)(m, n, C, ldc, accumulate);
        return;
    }
    const size_t ldA = (size_t)lda, ldB = (size_t)ldb, ldC = (size_t)ldc;
    _Alignas(64) AG_T ct[AG_TN_CT_BYTES / AG_ESIZE];
    const int cap = AG_TN_CT_BYTES / AG_ESIZE;

    for (int j0 = 0; j0 < n; j0 += AG_TN_GROUP) {
        const int nj = n - j0 < AG_TN_GROUP ? n - j0 : AG_TN_GROUP;
        const int ntiles = F(tile_count)(nj, AG_TN_NC);
        // Chunk of m whose partial sums (nj x mc_max, padded to whole vectors) fit in ct.
        const int mc_max = cap / nj / VL * VL;
        for (int i0 = 0; i0 < m; i0 += mc_max) {
            const int mc = m - i0 < mc_max ? m - i0 : mc_max;
            const int mfull = mc / VL, mrem = mc % VL;
            const size_t ctld = (size_t)(mfull + (mrem ? 1 : 0)) * VL;
            for (int r0 = 0; r0 < k; r0 += AG_TN_RB) {
                const int rows = k - r0 < AG_TN_RB ? k - r0 : AG_TN_RB;
                const int first = r0 == 0;
                const AG_T *ablk = A + (size_t)r0 * ldA + i0;
                // The tile visited after the last one of this block: the first tile of the next
                // row block (or this block's first tile at the very end).
                const int more = r0 + rows < k;
                const AG_T *nblk = more ? ablk + (size_t)rows * ldA : ablk;
                const int nrows = more ? (k - r0 - rows < AG_TN_RB ? k - r0 - rows : AG_TN_RB)
                                       : rows;
                const int nvec = mfull + (mrem ? 1 : 0);
                for (int t = 0, jt = 0; t < ntiles; t++) {
                    const int w = F(tile_width)(nj, ntiles, t);
                    const int lastt = t == ntiles - 1;
                    const AG_T *b = B + (size_t)r0 * ldB + j0 + jt;
                    AG_T *ctt = ct + (size_t)jt * ctld;
                    int v = 0;
#define AG_TN_NEXT(step)                                                                           \
    (v + (step) < nvec ? ablk + (v + (step)) * VL : lastt ? nblk : ablk),                          \
        (v + (step) < nvec || !lastt ? rows : nrows)
                    for (; v + AG_TN_WV <= mfull; v += AG_TN_WV)
                        F(tn_full)(w, 0, ablk + v * VL, ldA, b, ldB, rows, AG_TN_NEXT(AG_TN_WV),
                                   ctt + v * VL, ctld, first);
                    for (; v < mfull; v++)
                        F(tn_one)(w, 0, ablk + v * VL, ldA, b, ldB, rows, AG_TN_NEXT(1),
                                  ctt + v * VL, ctld, first);
                    if (mrem)
                        F(tn_part)(w, mrem, ablk + v * VL, ldA, b, ldB, rows, AG_TN_NEXT(1),
                                   ctt + v * VL, ctld, first);
#undef AG_TN_NEXT
                    jt += w;
                }
            }
            // Transpose the chunk's sums into C.
            for (int i = 0; i < mc; i++) {
                AG_T *crow = C + (size_t)(i0 + i) * ldC + j0;
                if (accumulate)
                    for (int c = 0; c < nj; c++) crow[c] += ct[(size_t)c * ctld + i];
                else
                    for (int c = 0; c < nj; c++) crow[c] = ct[(size_t)c * ctld + i];
            }
        }
    }
}

#undef VL
#undef F
#undef V
#undef VU
#undef INLINE
#undef AG_NN_CASE
#undef AG_NN_SWITCH
#undef AG_TN_CASE
#undef AG_TN_SWITCH
#undef AG_NN_GROUP
#undef AG_NN_KC
#undef AG_NN_STACK_BYTES
#undef AG_TN_CT_BYTES
#undef AG_TN_GROUP
