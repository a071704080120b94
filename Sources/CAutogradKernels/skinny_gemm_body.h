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
//   AG_TN_PFD   how many rows ahead the TN kernel prefetches A
//   AG_MASKLOAD 512 or 256 to use AVX-512 / AVX2 masked loads for partial vectors, else 0
//
// Notation: VL is the number of elements per vector register. "Peak" below means one 512-bit
// FMA per cycle, which is what an AMD Zen 4 core sustains (its two FMA pipes are 256 bits
// wide); the numbers quoted were measured there.
//
// ---------------------------------------------------------------------------------------------
// NN:  C[m,n] (=|+=) A[m,k] · B[k,n]          (n small, k large)
//
// Every output element is the dot product of a row of A with a column of B. Because n is tiny,
// vectorising along n would waste most lanes, so we vectorise along k instead. B is packed into
// a zero-padded panel holding, for each k-vector, the VL consecutive k-elements of every column
// (in effect B transposed, with the columns of a register tile interleaved so the tile reads one
// contiguous stream). The register tile holds R rows of A times NC columns as R*NC vector
// accumulators; a k-step loads R vectors of A and NC vectors of the panel and issues R*NC FMAs,
// so each B vector serves R rows and each A vector serves NC columns. With 32 AVX-512 registers
// the tile is 2 x 10 (20 accumulators, 2 A registers, one B temporary): 12 loads per 20 FMAs, so
// the loop is bound by the FMA unit, not by loads, and 20 independent accumulation chains hide
// the FMA latency. Each accumulator lane sums only about k/VL products and the horizontal
// reduction is a tree, so the summation error stays far below that of one serial chain over k.
//
// Horizontal reductions use a transpose-and-add tree: two accumulators are combined by adding
// (low half of a, low half of b) to (high half of a, high half of b), which halves the lanes per
// source and doubles the sources per vector. After log2(VL) levels lane c holds the sum for
// column c, so a row of C costs about NC shuffle pairs instead of NC separate reductions.
//
// L1 capacity decides the k blocking. For n = 10 floats and k = 784 the packed panel is 31 KB,
// as large as Zen 4's 32 KB L1D; streaming A through L1 then evicts the panel on every row and
// the kernel ran at about 70% of peak (57% at k = 1024). So k is cut into near-equal panels of
// at most AG_NN_PANEL_BYTES (24 KB) of packed B, here 2 panels of 392; each panel is swept over
// all rows (adding into C after the first), which costs one more horizontal reduction per row
// per panel and brings the kernel to about 90% of peak. The panel lives on the stack: no heap
// allocation at all.
//
// A is read exactly once per panel, as R row segments at a time, in row order. It is prefetched
// AG_NN_PFB row blocks ahead with prefetcht1 (to L2): on Zen 4 the L1 prefetch (prefetcht0) is
// limited by the few outstanding L1 misses and could not keep up with DRAM once A no longer fit
// in L3 (double: 2.0 ms instead of 1.55 ms for 5000 x 784 x 10). Both the first and the last
// element of each vector are prefetched, since an unaligned vector spans two cache lines.
// When n > NC the column tiles of one row block run back to back, re-reading those rows of A
// from L1.
//
// Alignment: if all rows of A start at the same offset within a vector (lda * size a multiple
// of the vector size), the k axis is shifted by a few "virtual" padding positions so that the
// first vector of each row is a partial (masked) load and every other vector is aligned. The
// packed panel carries the same padding as zeros.
//
// ---------------------------------------------------------------------------------------------
// TN:  C[m,n] (=|+=) A[k,m]^T · B[k,n]        (reduction over the k rows; m moderate, n small)
//
// Here the rows of A are contiguous along m, the output dimension, so we vectorise along m and
// broadcast single elements of B: the register tile covers WV vectors of m times NC columns; for
// each row r of A it loads WV vectors of A[r, i..], broadcasts NC scalars B[r, j..] and issues
// WV*NC FMAs. With AVX-512 the tile is 2 vectors x 10 columns (12 loads per 20 FMAs).
//
// The accumulators are transposed relative to C (lanes run along m, C is row-major with n
// contiguous), so partial sums live in a buffer Ct[c][i] on the stack (32 KB at most) and are
// transposed into C once per chunk of m. The reduction over k is cut into blocks of AG_TN_RB
// rows: per block each tile starts from zero, sums RB products per lane, and adds the block
// result into Ct. This turns a 5000-term serial float sum into 128-term block sums plus a
// 40-term sum of blocks (much more accurate), and bounds the rows of A touched between two
// visits of the same columns, which then stay in L2 when several column tiles (n > NC) read
// the same rows.
//
// Inside a block a tile walks down the rows with a stride of lda, touching two cache lines per
// row, which no hardware prefetcher follows well; the kernel ran at 57% of peak for k = 5000
// rows but 86% for k = 2000 (A in L3). A software prefetch (prefetcht1) AG_TN_PFD rows ahead,
// continuing into the tile visited next once the current one runs out of rows, brings it to
// about 95% of peak; a distance of 8-16 rows was too short.
//
// Alignment: the first columns of each chunk up to the next vector boundary of A form a
// partial head vector (stored shifted in Ct), so all other tiles load aligned vectors; without
// this the double kernel lost 20-30% to cache-line-split loads when A streams from DRAM.
// Chunks of m are near-equal so that no thin remainder chunk costs a pass over all k rows.
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
// Load p[0 .. hi-lo) into lanes [lo, hi) and zero the other lanes; never touches memory
// outside those hi - lo elements.
// Masked loads on AVX-512 / AVX2 (masked-off lanes are not accessed and cannot fault); an
// element loop elsewhere.
INLINE V F(ld_range)(const AG_T *p, int lo, int hi) {
    const uintptr_t base = (uintptr_t)p - (uintptr_t)lo * AG_ESIZE; // address of lane 0
#if AG_MASKLOAD == 512 && AG_ESIZE == 4
    const __mmask16 mask = (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
    return (V)_mm512_maskz_loadu_ps(mask, (const void *)base);
#elif AG_MASKLOAD == 512 && AG_ESIZE == 8
    const __mmask8 mask = (__mmask8)(((1u << hi) - 1) & ~((1u << lo) - 1));
    return (V)_mm512_maskz_loadu_pd(mask, (const void *)base);
#elif AG_MASKLOAD == 256 && AG_ESIZE == 4
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_and_si256(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(lo - 1)),
                                          _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), idx));
    return (V)_mm256_maskload_ps((const float *)base, mask);
#elif AG_MASKLOAD == 256 && AG_ESIZE == 8
    const __m256i idx = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i mask = _mm256_and_si256(_mm256_cmpgt_epi64(idx, _mm256_set1_epi64x(lo - 1)),
                                          _mm256_cmpgt_epi64(_mm256_set1_epi64x(hi), idx));
    return (V)_mm256_maskload_pd((const double *)base, mask);
#else
    (void)base;
    V v = F(zero)();
    for (int i = lo; i < hi; i++) v[i] = p[i - lo];
    return v;
#endif
}
// Number of elements from p to the next vector-size boundary, when every row (stride ld) has
// the same alignment; 0 when p is aligned already or rows are aligned differently.
INLINE int F(align_head)(const AG_T *p, size_t ld) {
    const uintptr_t a = (uintptr_t)p;
    if (a % AG_ESIZE != 0 || (ld * AG_ESIZE) % AG_VBYTES != 0) return 0;
    return (int)(((AG_VBYTES - a % AG_VBYTES) % AG_VBYTES) / AG_ESIZE);
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

// A packed B panel holds at most AG_NN_GROUP columns and AG_NN_PANEL_BYTES bytes.
#define AG_NN_GROUP 32
#ifndef AG_NN_PANEL_BYTES
#define AG_NN_PANEL_BYTES 24576
#endif
// Tuning knobs (may be overridden with -D for experiments): prefetch distance in row blocks,
// and prefetch locality (2 = prefetcht1 on x86, into L2; see the discussion at the top).
#ifndef AG_NN_PFB
#define AG_NN_PFB 2
#endif
#ifndef AG_NN_PF_LOC
#define AG_NN_PF_LOC 2
#endif

// Pack columns [0, w) of one k panel of B into dst, vector-interleaved. The panel is described
// in "virtual" positions 0 .. vc-1, of which the first `head` are padding (see the NN driver):
// dst[(p * w + c) * VL + l] = B[p * VL + l - head, c] for head <= p * VL + l < vc, else 0.
INLINE void F(nn_pack)(AG_T *dst, const AG_T *B, size_t ldb, int head, int vc, int w) {
    const int nvec = (vc + VL - 1) / VL;
    for (int p = 0; p < nvec; p++) {
        AG_T *blk = dst + (size_t)p * w * VL;
        for (int l = 0; l < VL; l++) {
            const int v = p * VL + l;
            if (v >= head && v < vc) {
                const AG_T *brow = B + (size_t)(v - head) * ldb;
                for (int c = 0; c < w; c++) blk[c * VL + l] = brow[c];
            } else {
                for (int c = 0; c < w; c++) blk[c * VL + l] = 0;
            }
        }
    }
}

// acc[r][j] += v[r] * (packed vector j of bq), for the R rows and NC columns of the tile.
INLINE void F(nn_step)(const int R, const int NC, V acc[AG_NN_R][AG_NN_NC], const V *av,
                       const AG_T *bq) {
    AG_UNROLL
    for (int j = 0; j < NC; j++) {
        const V b = F(ld)(bq + j * VL);
        AG_UNROLL
        for (int r = 0; r < R; r++) acc[r][j] = F(fma)(av[r], b, acc[r][j]);
    }
}

// The register tile: R rows of A times NC packed columns over one k panel. a points at the
// first element of the panel in row 0 (leading dimension lda); the panel has vc virtual
// positions of which the first `head` are padding, so vector p of the panel holds A elements
// a[p * VL - head ...]. Only the first and the last vector can be partial; every other vector
// is a full, aligned load when the driver chose `head` to align A. pf points at the rows to
// prefetch (a later row block), c at C[row 0, first column of the tile].
INLINE void F(nn_tile)(const int R, const int NC, const AG_T *a, size_t lda, const AG_T *bp,
                       int head, int vc, const AG_T *pf, AG_T *c, size_t ldc, int beta) {
    V acc[AG_NN_R][AG_NN_NC];
    AG_UNROLL
    for (int r = 0; r < R; r++)
        AG_UNROLL
        for (int j = 0; j < NC; j++) acc[r][j] = F(zero)();
    const int pend = vc / VL; // vectors [p0, pend) are full
    int p0 = 0;
    if (head) { // leading partial vector: lanes [head, min(VL, vc))
        const int hi = vc < VL ? vc : VL;
        V av[AG_NN_R];
        AG_UNROLL
        for (int r = 0; r < R; r++) av[r] = F(ld_range)(a + r * lda, head, hi);
        F(nn_step)(R, NC, acc, av, bp);
        p0 = 1;
    }
    for (int p = p0; p < pend; p++) {
        const size_t off = (size_t)p * VL - head; // vector p starts at a + off
        V av[AG_NN_R];
        AG_UNROLL
        for (int r = 0; r < R; r++) {
            av[r] = F(ld)(a + r * lda + off);
            // First and last element: when A is not aligned a vector spans two cache lines.
            __builtin_prefetch(pf + r * lda + off, 0, AG_NN_PF_LOC);
            __builtin_prefetch(pf + r * lda + off + VL - 1, 0, AG_NN_PF_LOC);
        }
        F(nn_step)(R, NC, acc, av, bp + (size_t)p * NC * VL);
    }
    if (vc % VL && pend >= p0) { // trailing partial vector: lanes [0, vc % VL)
        V av[AG_NN_R];
        AG_UNROLL
        for (int r = 0; r < R; r++)
            av[r] = F(ld_range)(a + r * lda + ((size_t)pend * VL - head), 0, vc % VL);
        F(nn_step)(R, NC, acc, av, bp + (size_t)pend * NC * VL);
    }
    AG_UNROLL
    for (int r = 0; r < R; r++) F(reduce_row)(acc[r], NC, c + r * ldc, beta);
}

// One row block against one column tile of width w: dispatch to a tile specialised for w.
#define AG_NN_CASE(R, W)                                                                           \
    case W:                                                                                        \
        if ((W) <= AG_NN_NC)                                                                       \
            F(nn_tile)(R, (W) <= AG_NN_NC ? (W) : 1, a, lda, bp, head, vc, pf, c, ldc, beta);      \
        break;
#define AG_NN_SWITCH(R)                                                                            \
    switch (w) {                                                                                   \
        AG_NN_CASE(R, 1) AG_NN_CASE(R, 2) AG_NN_CASE(R, 3) AG_NN_CASE(R, 4) AG_NN_CASE(R, 5)       \
        AG_NN_CASE(R, 6) AG_NN_CASE(R, 7) AG_NN_CASE(R, 8) AG_NN_CASE(R, 9) AG_NN_CASE(R, 10)      \
        AG_NN_CASE(R, 11) AG_NN_CASE(R, 12) AG_NN_CASE(R, 13) AG_NN_CASE(R, 14)                    \
        AG_NN_CASE(R, 15) AG_NN_CASE(R, 16)                                                        \
    default: break;                                                                                \
    }

INLINE void F(nn_block_full)(int w, const AG_T *a, size_t lda, const AG_T *bp, int head, int vc,
                             const AG_T *pf, AG_T *c, size_t ldc, int beta) {
    AG_NN_SWITCH(AG_NN_R)
}
INLINE void F(nn_block_one)(int w, const AG_T *a, size_t lda, const AG_T *bp, int head, int vc,
                            const AG_T *pf, AG_T *c, size_t ldc, int beta) {
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
    const size_t ldA = (size_t)lda, ldB = (size_t)ldb, ldC = (size_t)ldc;
    // Alignment: if every row of A starts at the same offset within a vector, shift the k axis
    // by `shift` virtual positions so that all vectors but the first are aligned loads (the
    // first vector of each row is then partial). Virtual position v holds k index v - shift.
    const int ah = F(align_head)(A, ldA);
    const int shift = ah ? VL - ah : 0;
    const int kv = k + shift;
    // Packing buffer for one panel of B, on the stack (24 KB; no heap allocation at all).
    // k is cut into near-equal panels of whole vectors such that the packed panel of a column
    // group (what one row block streams through, all its column tiles) fills the buffer: small
    // enough to stay in L1 next to the rows of A. With at most AG_NN_GROUP columns a panel is
    // never shorter than one vector, so any k works.
    enum { cap = AG_NN_PANEL_BYTES / AG_ESIZE };
    _Alignas(64) AG_T buf[cap];
    const int ngmax = n < AG_NN_GROUP ? n : AG_NN_GROUP;
    const int kc_target = cap / ngmax / VL * VL;
    const int npanels = (kv + kc_target - 1) / kc_target;
    const int kc_max = ((kv + npanels - 1) / npanels + VL - 1) / VL * VL;

    for (int j0 = 0; j0 < n; j0 += AG_NN_GROUP) {
        const int ng = n - j0 < AG_NN_GROUP ? n - j0 : AG_NN_GROUP;
        const int ntiles = F(tile_count)(ng, AG_NN_NC);
        for (int v0 = 0; v0 < kv; v0 += kc_max) {
            const int vc = kv - v0 < kc_max ? kv - v0 : kc_max; // virtual length of the panel
            const int head = v0 == 0 ? shift : 0;               // padding positions in it
            const int k0 = v0 + head - shift;                    // first k index of the panel
            const int kvec = (vc + VL - 1) / VL;
            const int beta = accumulate || v0 > 0;
            // Pack every column tile of the group; tile t starts at column offset jt.
            for (int t = 0, jt = 0; t < ntiles; t++) {
                const int w = F(tile_width)(ng, ntiles, t);
                F(nn_pack)(buf + (size_t)jt * kvec * VL, B + (size_t)k0 * ldB + j0 + jt, ldB, head,
                           vc, w);
                jt += w;
            }
            const AG_T *Ak = A + k0;
            int i = 0;
            for (; i + AG_NN_R <= m; i += AG_NN_R) {
                // Prefetch the matching rows AG_NN_PFB row blocks ahead (clamped inside A).
                const int ipf = i + AG_NN_R * (AG_NN_PFB + 1) <= m ? i + AG_NN_R * AG_NN_PFB : i;
                const AG_T *a = Ak + (size_t)i * ldA, *pf = Ak + (size_t)ipf * ldA;
                for (int t = 0, jt = 0; t < ntiles; t++) {
                    const int w = F(tile_width)(ng, ntiles, t);
                    F(nn_block_full)(w, a, ldA, buf + (size_t)jt * kvec * VL, head, vc, pf,
                                     C + (size_t)i * ldC + j0 + jt, ldC, beta);
                    jt += w;
                }
            }
            for (; i < m; i++) {
                const AG_T *a = Ak + (size_t)i * ldA;
                for (int t = 0, jt = 0; t < ntiles; t++) {
                    const int w = F(tile_width)(ng, ntiles, t);
                    F(nn_block_one)(w, a, ldA, buf + (size_t)jt * kvec * VL, head, vc, a,
                                    C + (size_t)i * ldC + j0 + jt, ldC, beta);
                    jt += w;
                }
            }
        }
    }
}

// ============================================================================================
// TN
// ============================================================================================

// Ct buffer size (stack), columns of C per group, prefetch locality (2 = prefetcht1, L2).
#define AG_TN_CT_BYTES 32768
#define AG_TN_GROUP 32
#ifndef AG_TN_PF_LOC
#define AG_TN_PF_LOC 2
#endif

// One row of the TN register tile: acc[w][j] += A[r, i + w*VL ..] * B[r, j]. With PART the last
// vector is partial: lanes [lo, hi) hold ar[(WV-1)*VL .. + hi-lo). pp is the address to prefetch.
INLINE void F(tn_row)(const int WV, const int NC, const int PART, int lo, int hi,
                      V acc[AG_TN_WV][AG_TN_NC], const AG_T *ar, const AG_T *br, const AG_T *pp) {
    // The tile's WV*VL elements span up to WV + 1 cache lines when A is not aligned.
    AG_UNROLL
    for (int l = 0; l < WV * VL * AG_ESIZE; l += 64)
        __builtin_prefetch((const char *)pp + l, 0, AG_TN_PF_LOC);
    __builtin_prefetch((const char *)pp + WV * VL * AG_ESIZE - 1, 0, AG_TN_PF_LOC);
    V av[AG_TN_WV];
    AG_UNROLL
    for (int w = 0; w < WV; w++)
        av[w] = (PART && w == WV - 1) ? F(ld_range)(ar + w * VL, lo, hi) : F(ld)(ar + w * VL);
    AG_UNROLL
    for (int j = 0; j < NC; j++) {
        const V bj = F(splat)(br[j]);
        AG_UNROLL
        for (int w = 0; w < WV; w++) acc[w][j] = F(fma)(av[w], bj, acc[w][j]);
    }
}

// Register tile: WV vectors along m times NC columns, summed over `rows` rows. a = &A[r0, i],
// b = &B[r0, j], ct = the tile's place in the Ct buffer (vector w of column j at
// ct + j*ctld + w*VL). PART: the last vector is partial, lanes [lo, hi) (see tn_row).
// first: this is the first row block, so Ct is written instead of accumulated.
// Prefetching follows the traversal order: AG_TN_PFD rows ahead in this tile, and past the
// last row into the tile visited next (pfn, which has pfn_rows rows).
INLINE void F(tn_tile)(const int WV, const int NC, const int PART, int lo, int hi, const AG_T *a,
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
        F(tn_row)(WV, NC, PART, lo, hi, acc, ar, br, ar + AG_TN_PFD * lda);
    for (; r < rows; r++, ar += lda, br += ldb) {
        const int rn = r + AG_TN_PFD - rows < pfn_rows ? r + AG_TN_PFD - rows : pfn_rows - 1;
        F(tn_row)(WV, NC, PART, lo, hi, acc, ar, br, pfn + rn * lda);
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
            F(tn_tile)(WV, (W) <= AG_TN_NC ? (W) : 1, PART, lo, hi, a, lda, b, ldb, rows, pfn,     \
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

#define AG_TN_ARGS                                                                                 \
    int w, int lo, int hi, const AG_T *a, size_t lda, const AG_T *b, size_t ldb, int rows,         \
        const AG_T *pfn, int pfn_rows, AG_T *ct, size_t ctld, int first
INLINE void F(tn_full)(AG_TN_ARGS) { AG_TN_SWITCH(AG_TN_WV, 0) }
INLINE void F(tn_one)(AG_TN_ARGS) { AG_TN_SWITCH(1, 0) }
INLINE void F(tn_part)(AG_TN_ARGS) { AG_TN_SWITCH(1, 1) }
INLINE void F(tn_full_part)(AG_TN_ARGS) { AG_TN_SWITCH(AG_TN_WV, 1) }
#undef AG_TN_ARGS

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
    enum { cap = AG_TN_CT_BYTES / AG_ESIZE };
    _Alignas(64) AG_T ct[cap];

    for (int j0 = 0; j0 < n; j0 += AG_TN_GROUP) {
        const int nj = n - j0 < AG_TN_GROUP ? n - j0 : AG_TN_GROUP;
        const int ntiles = F(tile_count)(nj, AG_TN_NC);
        // Chunks of m whose partial sums (nj rows of Ct, each padded to whole vectors plus one
        // vector for the alignment shift) fit in ct; near-equal, so none is a thin remainder.
        const int mc_cap = (cap / nj / VL - 1) * VL;
        const int nchunks = (m + mc_cap - 1) / mc_cap;
        int mc_max = ((m + nchunks - 1) / nchunks + VL - 1) / VL * VL;
        if (mc_max > mc_cap) mc_max = mc_cap;
        for (int i0 = 0; i0 < m; i0 += mc_max) {
            const int mc = m - i0 < mc_max ? m - i0 : mc_max;
            // Alignment: the first h columns (up to the next vector boundary of A, if all rows
            // share it) form a partial "head" vector, so every other tile loads aligned
            // vectors. In Ct, column i of the chunk lives at position i + sh.
            int h = F(align_head)(A + i0, ldA);
            if (h >= mc) h = 0;
            const int sh = h ? VL - h : 0;
            const int mfull = (mc - h) / VL, mrem = (mc - h) % VL;
            const int nvec = mfull + (mrem ? 1 : 0); // vectors after the head
            const size_t ctld = (size_t)(1 + nvec) * VL;
            for (int r0 = 0; r0 < k; r0 += AG_TN_RB) {
                const int rows = k - r0 < AG_TN_RB ? k - r0 : AG_TN_RB;
                const int first = r0 == 0;
                const AG_T *ablk = A + (size_t)r0 * ldA + i0; // row r0, column i0
                const AG_T *amain = ablk + h;                  // first aligned column
                // The tile visited after the last one of this block: the first tile of the next
                // row block (or this block's first tile at the very end).
                const int more = r0 + rows < k;
                const AG_T *nblk = more ? ablk + (size_t)rows * ldA : ablk;
                const int nrows = more ? (k - r0 - rows < AG_TN_RB ? k - r0 - rows : AG_TN_RB)
                                       : rows;
                for (int t = 0, jt = 0; t < ntiles; t++) {
                    const int w = F(tile_width)(nj, ntiles, t);
                    const int lastt = t == ntiles - 1;
                    const AG_T *b = B + (size_t)r0 * ldB + j0 + jt;
                    AG_T *ctt = ct + (size_t)jt * ctld;
                    AG_T *ctm = ctt + (h ? VL : 0); // Ct position of column h
                    int v = 0;
#define AG_TN_NEXT(step)                                                                           \
    (v + (step) < nvec ? amain + (v + (step)) * VL : lastt ? nblk : ablk),                         \
        (v + (step) < nvec || !lastt ? rows : nrows)
                    if (h) // head: columns [0, h) into lanes [sh, VL) of Ct's first vector
                        F(tn_part)(w, sh, VL, ablk, ldA, b, ldB, rows, amain, rows, ctt, ctld,
                                   first);
                    for (; v + AG_TN_WV <= mfull; v += AG_TN_WV)
                        F(tn_full)(w, 0, VL, amain + v * VL, ldA, b, ldB, rows,
                                   AG_TN_NEXT(AG_TN_WV), ctm + v * VL, ctld, first);
                    if (AG_TN_WV == 2 && mfull - v == 1 && mrem) {
                        // one full and one partial vector left: a single tile of two
                        F(tn_full_part)(w, 0, mrem, amain + v * VL, ldA, b, ldB, rows,
                                        AG_TN_NEXT(2), ctm + v * VL, ctld, first);
                    } else {
                        for (; v < mfull; v++)
                            F(tn_one)(w, 0, VL, amain + v * VL, ldA, b, ldB, rows, AG_TN_NEXT(1),
                                      ctm + v * VL, ctld, first);
                        if (mrem)
                            F(tn_part)(w, 0, mrem, amain + v * VL, ldA, b, ldB, rows,
                                       AG_TN_NEXT(1), ctm + v * VL, ctld, first);
                    }
#undef AG_TN_NEXT
                    jt += w;
                }
            }
            // Transpose the chunk's sums into C.
            for (int i = 0; i < mc; i++) {
                AG_T *crow = C + (size_t)(i0 + i) * ldC + j0;
                const AG_T *src = ct + sh + i;
                if (accumulate)
                    for (int c = 0; c < nj; c++) crow[c] += src[(size_t)c * ctld];
                else
                    for (int c = 0; c < nj; c++) crow[c] = src[(size_t)c * ctld];
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
#undef AG_TN_CT_BYTES
#undef AG_TN_GROUP
