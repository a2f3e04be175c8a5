/* wino-inc.h: the Winograd F(4x4, 3x3) input and output transforms, included
 * once by each ISA's kernel file so GCC compiles them with that file's flags.
 * Defines static functions the including file names in its table (wino_in,
 * wino_out_cols, wino_out_rows; contracts in kernels.h). Not a public header.
 *
 * Input (wino_in): one lane per tile. A unit's tiles go in slots of
 * WINO_VL / 4 consecutive tiles, and four slots (of one or more channels)
 * fill the lanes of a vector, a chunk. Per patch row, each slot's vector
 * holds columns 0..3 of its tiles' patches straight from the activation (so
 * 16 floats of one row when the slot lies in one run), another columns
 * 4..7; the prologue (BatchNorm, ReLU) is applied as they are loaded and
 * padding lanes are cleared. Two rounds of even/odd shuffles over the four
 * slots put column p of every tile's patch in one vector, then the rows are
 * transformed across and down in registers and the chunk's 36 vectors
 * stored whole. Output, tiles as lanes (wino_out_cols): A^T both ways, then
 * zip shuffles interleave the 4 columns of each tile into whole output rows.
 * Output, channels as lanes (wino_out_rows): A^T both ways, then 4x4
 * transposes within groups of 4 lanes give each channel's output row,
 * stored with a lane mask. Each lane's arithmetic depends only on its own
 * tile (or channel), so how tiles are grouped never changes a result; lanes
 * without a tile compute zeros or junk that is never stored.
 *
 * Matrices (Lavin & Gray 2015, points 0, 1, -1, 2, -2, inf):
 *   B^T = [4  0 -5  0 1 0]    A^T = [1 1  1 1  1 0]
 *         [0 -4 -4  1 1 0]          [0 1 -1 2 -2 0]
 *         [0  4 -4 -1 1 0]          [0 1  1 4  4 0]
 *         [0 -2 -1  2 1 0]          [0 1 -1 8 -8 1]
 *         [0  2 -1 -2 1 0]
 *         [0  4  0 -5 0 1]
 * Frequency f = 6 * k + l: row k of B^T applied down the patch, row l across.
 *
 * Written with GCC vector extensions at the ISA's native width (WINO_VL
 * floats, from the compiler's target macros), so the code is vector code at
 * any -O level (fixed loops are unrolled and helpers inlined by force, as
 * the build's -O2 would not); partial loads and stores use masks on AVX2 /
 * AVX-512 (the includer has immintrin.h) and element loops otherwise; FMA
 * where the ISA has it. */

#if defined(__AVX512F__)
#define WINO_VL 16
#define WINO_LANES {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
#elif defined(__AVX__)
#define WINO_VL 8
#define WINO_LANES {0, 1, 2, 3, 4, 5, 6, 7}
#else
#define WINO_VL 4
#define WINO_LANES {0, 1, 2, 3}
#endif

/* the build compiles at -O2, which neither unrolls the fixed loops below
 * nor inlines big helpers: both are forced, so vector arrays stay in registers */
#define WINO_INLINE static inline __attribute__((always_inline))
#define WINO_UNROLL _Pragma("GCC unroll 36")
/* p += n floats, hidden from the optimizer: strided walks over the 36
 * frequencies otherwise become 36 loop-invariant offsets, which do not fit
 * in registers and are reloaded from the stack on every use */
#define WINO_STEP(p, n)                                                 \
    do {                                                                \
        (p) += (n);                                                     \
        __asm__("" : "+r"(p));                                          \
    } while (0)

typedef float wino_v __attribute__((vector_size(WINO_VL * 4)));
typedef float wino_vu __attribute__((vector_size(WINO_VL * 4), aligned(4)));
typedef int wino_vi __attribute__((vector_size(WINO_VL * 4)));

WINO_INLINE wino_v wino_ld(const float *p)
{
    return *(const wino_vu *)p;
}

WINO_INLINE void wino_st(float *p, wino_v v)
{
    *(wino_vu *)p = v;
}

/* the first n (0 <= n <= WINO_VL) floats of p, the rest zero; reads only p[0..n) */
WINO_INLINE wino_v wino_ld_n(const float *p, int n)
{
#if defined(__AVX512F__)
    return (wino_v)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
#elif defined(__AVX2__)
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return (wino_v)_mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane));
#else
    wino_v v = {0};
    for (int i = 0; i < n; i++)
        v[i] = p[i];
    return v;
#endif
}

/* p[i] = v[lo + i] for i < n (lo + n <= WINO_VL); writes only p[0..n) */
WINO_INLINE void wino_st_lanes(float *p, wino_v v, int lo, int n)
{
#if defined(__AVX512F__)
    _mm512_mask_storeu_ps(p - lo, (__mmask16)(((1u << n) - 1) << lo), (__m512)v);
#elif defined(__AVX2__)
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i m = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), lane),
                                    _mm256_cmpgt_epi32(_mm256_set1_epi32(lo + n), lane));
    _mm256_maskstore_ps(p - lo, m, (__m256)v);
#else
    for (int i = 0; i < n; i++)
        p[i] = v[lo + i];
#endif
}

/* p[0..4) = lanes 4 g .. 4 g + 3 of v (g a constant) */
WINO_INLINE void wino_st4(float *p, wino_v v, int g)
{
#if defined(__AVX512F__)
    if (g == 0)
        _mm_storeu_ps(p, _mm512_castps512_ps128((__m512)v));
    else if (g == 1)
        _mm_storeu_ps(p, _mm512_extractf32x4_ps((__m512)v, 1));
    else if (g == 2)
        _mm_storeu_ps(p, _mm512_extractf32x4_ps((__m512)v, 2));
    else
        _mm_storeu_ps(p, _mm512_extractf32x4_ps((__m512)v, 3));
#elif defined(__AVX__)
    if (g == 0)
        _mm_storeu_ps(p, _mm256_castps256_ps128((__m256)v));
    else
        _mm_storeu_ps(p, _mm256_extractf128_ps((__m256)v, 1));
#else
    for (int i = 0; i < 4; i++)
        p[i] = v[4 * g + i];
#endif
}

/* p[0..n) = lanes 0..n-1 of v, a plain store when n is the whole vector */
WINO_INLINE void wino_st_n(float *p, wino_v v, int n)
{
    if (n == WINO_VL)
        wino_st(p, v);
    else if (n > 0)
        wino_st_lanes(p, v, 0, n);
}

/* a * b + c, fused where the ISA has FMA (the build keeps the compiler from
 * contracting on its own) */
WINO_INLINE wino_v wino_fma(wino_v a, wino_v b, wino_v c)
{
#if defined(__AVX512F__)
    return (wino_v)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__FMA__)
    return (wino_v)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#else
    return a * b + c;
#endif
}

#define WINO_K(x) ((wino_v){0} + (x))

/* B^T applied to 6 values: o[k] = sum_r B^T[k][r] d[r] (12 operations) */
#define WINO_BT(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5)         \
    {                                                                   \
        wino_v a_ = wino_fma(WINO_K(-4.0f), d2, d4);                    \
        wino_v b_ = wino_fma(WINO_K(-4.0f), d1, d3);                    \
        wino_v e_ = d4 - d2, g_ = d3 - d1;                              \
        o0 = wino_fma(WINO_K(4.0f), d0, wino_fma(WINO_K(-5.0f), d2, d4)); \
        o1 = a_ + b_;                                                   \
        o2 = a_ - b_;                                                   \
        o3 = wino_fma(WINO_K(2.0f), g_, e_);                            \
        o4 = wino_fma(WINO_K(-2.0f), g_, e_);                           \
        o5 = wino_fma(WINO_K(4.0f), d1, wino_fma(WINO_K(-5.0f), d3, d5)); \
    }

/* A^T applied to 6 values: o[a] = sum_k A^T[a][k] m[k] (10 operations) */
#define WINO_AT(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3)                 \
    {                                                                   \
        wino_v p12_ = m1 + m2, d12_ = m1 - m2, p34_ = m3 + m4, d34_ = m3 - m4; \
        o0 = m0 + p12_ + p34_;                                          \
        o1 = wino_fma(WINO_K(2.0f), d34_, d12_);                        \
        o2 = wino_fma(WINO_K(4.0f), p34_, p12_);                        \
        o3 = wino_fma(WINO_K(8.0f), d34_, d12_) + m5;                   \
    }

/* tiles per slot: WINO_VL / 4 tiles x 4 patch columns fill one vector */
#define WINO_SLOT (WINO_VL / 4)
#define WINO_MAXS (64 / WINO_SLOT)       /* slots per unit: lanes (<= 64) / WINO_SLOT */

/* a set of lanes, as the ISA's masked loads take it */
#if defined(__AVX512F__)
typedef __mmask16 wino_lm;
#elif defined(__AVX2__)
typedef __m256i wino_lm;
#else
typedef wino_vi wino_lm;
#endif

/* lanes [lo, hi) */
WINO_INLINE wino_lm wino_lm_range(int lo, int hi)
{
#if defined(__AVX512F__)
    return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
#elif defined(__AVX2__)
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), lane),
                               _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), lane));
#else
    const wino_vi lane = WINO_LANES;
    return (lane >= lo) & (lane < hi);
#endif
}

WINO_INLINE wino_lm wino_lm_or(wino_lm a, wino_lm b)
{
#if defined(__AVX2__) && !defined(__AVX512F__)
    return _mm256_or_si256(a, b);
#else
    return a | b;
#endif
}

/* v with the lanes of m replaced by those of p; reads nothing else */
WINO_INLINE wino_v wino_ld_merge(wino_v v, const float *p, wino_lm m)
{
#if defined(__AVX512F__)
    return (wino_v)_mm512_mask_loadu_ps((__m512)v, m, p);
#elif defined(__AVX2__)
    return (wino_v)_mm256_blendv_ps((__m256)v, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
#else
    for (int i = 0; i < WINO_VL; i++)
        if (m[i])
            v[i] = p[i];
    return v;
#endif
}

/* the lanes of m from p, the rest zero; reads nothing else */
WINO_INLINE wino_v wino_ld_z(const float *p, wino_lm m)
{
#if defined(__AVX512F__)
    return (wino_v)_mm512_maskz_loadu_ps(m, p);
#elif defined(__AVX2__)
    return (wino_v)_mm256_maskload_ps(p, m);
#else
    return wino_ld_merge((wino_v){0}, p, m);
#endif
}

/* the prologue on lanes m: v * a + b (when aff), then max(0, .) (when relu;
 * NaN to 0); lanes outside m come out 0 (they hold 0 on entry) */
WINO_INLINE wino_v wino_pro(wino_v v, wino_v a, wino_v b, wino_lm m, int aff, int relu)
{
#if defined(__AVX512F__)
    if (aff)
        v = (wino_v)_mm512_maskz_fmadd_ps(m, (__m512)v, (__m512)a, (__m512)b);
    if (relu)
        v = (wino_v)_mm512_max_ps((__m512)v, _mm512_setzero_ps());
#elif defined(__AVX2__)
    if (aff)
        v = (wino_v)_mm256_and_ps((__m256)wino_fma(v, a, b), _mm256_castsi256_ps(m));
    if (relu)
        v = (wino_v)_mm256_max_ps((__m256)v, _mm256_setzero_ps());
#else
    if (aff)
        v = (wino_v)((wino_vi)(v * a + b) & m);
    if (relu)
        v = (wino_v)((wino_vi)v & (v > (wino_v){0}));
#endif
    return v;
}

/* One load of a slot's vector for one patch row: lanes m from the row at
 * plane + off (off: from the channel's plane to the slot's lane 0) */
struct wino_ld {
    int64_t off;
    wino_lm m, m4;       /* lanes of columns 0..3 of each tile (A), of 4..7 at off + 4 (B) */
};

/* Per slot and patch row: its loads (n, at least one: a row of padding
 * loads no lanes) and the lanes they cover, m (A) and m4 (B), as masks and
 * as vectors k, k4, where the prologue applies; other lanes (padding) stay
 * 0. For whole-vector reads: off, the first load's offset (for a row of
 * padding, one of the slot's other rows'), and off2, bm, bm4: the second
 * load's offset and lanes (off and none when there is one), as vectors. */
struct wino_slotrow {
    int n, l1;                           /* l1: the second load's first lane */
    int64_t off, off2;
    wino_lm m, m4;
    wino_vi k, k4, bm, bm4;
    struct wino_ld ld[WINO_SLOT > 1 ? WINO_SLOT : 2];
};

/* a with the lanes of m (a lane mask vector) taken from b; one bitwise
 * select (a memory operand, where a mask register would need loading) */
WINO_INLINE wino_v wino_blend(wino_v a, wino_v b, wino_vi m)
{
    return (wino_v)(((wino_vi)b & m) | ((wino_vi)a & ~m));
}

/* the prologue on lanes k, 0 elsewhere (any values there on entry) */
WINO_INLINE wino_v wino_pro_k(wino_v v, wino_v a, wino_v b, wino_vi k, int aff, int relu)
{
    if (aff)
        v = wino_fma(v, a, b);
    v = (wino_v)((wino_vi)v & k);
    return relu ? wino_pro(v, a, b, wino_lm_range(0, WINO_VL), 0, 1) : v;
}

/* The transform of a chunk: four slots, the tiles' patches as rows of the
 * channel planes xg[g] with prologue ag[g] x + bg[g]; stores the 36 vectors
 * at o + f * vf. When plain (a constant, 1 or 2), every slot
 * spans at most plain runs and whole vectors around its rows may be read:
 * A and B are one whole load each (two, blended, for a slot over two runs),
 * padding lanes cleared with k; else masked loads per piece. B is A of the
 * next slot shifted by 4 lanes when that continues the same run (cg[g]). */
WINO_INLINE void wino_in_chunk(const float *const xg[4], const struct wino_slotrow *const rg[4],
                               const wino_v ag[4], const wino_v bg[4], const int cg[4], int aff,
                               int relu, int plain, float *o, int64_t vf)
{
    const wino_vi lane = WINO_LANES, even = 2 * lane, odd = 2 * lane + 1, shift4 = lane + 4;
    wino_v h[6][6];                      /* h[r][l]: patch row r transformed across */
    WINO_UNROLL
    for (int r = 0; r < 6; r++) {
        wino_v A[4], B[4];
        WINO_UNROLL
        for (int g = 0; g < 4; g++) {
            const struct wino_slotrow *q = &rg[g][r];
            if (plain) {
                wino_v t = wino_ld(xg[g] + q->off);
                if (plain == 2)
                    t = wino_blend(t, wino_ld(xg[g] + q->off2), q->bm);
                A[g] = wino_pro_k(t, ag[g], bg[g], q->k, aff, relu);
            } else {
                A[g] = wino_ld_z(xg[g] + q->ld[0].off, q->ld[0].m);
                for (int i = 1; i < q->n; i++)
                    A[g] = wino_ld_merge(A[g], xg[g] + q->ld[i].off, q->ld[i].m);
                A[g] = wino_pro(A[g], ag[g], bg[g], q->m, aff, relu);
            }
        }
        WINO_UNROLL
        for (int g = 0; g < 4; g++) {
            const struct wino_slotrow *q = &rg[g][r];
            if (g < 3 && cg[g])
                B[g] = __builtin_shuffle(A[g], A[g + 1], shift4);
            else if (plain) {
                wino_v t = wino_ld(xg[g] + q->off + 4);
                if (plain == 2)
                    t = wino_blend(t, wino_ld(xg[g] + q->off2 + 4), q->bm4);
                B[g] = wino_pro_k(t, ag[g], bg[g], q->k4, aff, relu);
            } else {
                B[g] = wino_ld_z(xg[g] + q->ld[0].off + 4, q->ld[0].m4);
                for (int i = 1; i < q->n; i++)
                    B[g] = wino_ld_merge(B[g], xg[g] + q->ld[i].off + 4, q->ld[i].m4);
                B[g] = wino_pro(B[g], ag[g], bg[g], q->m4, aff, relu);
            }
        }
        wino_v e1 = __builtin_shuffle(A[0], A[1], even), o1 = __builtin_shuffle(A[0], A[1], odd);
        wino_v e2 = __builtin_shuffle(A[2], A[3], even), o2 = __builtin_shuffle(A[2], A[3], odd);
        wino_v f1 = __builtin_shuffle(B[0], B[1], even), g1 = __builtin_shuffle(B[0], B[1], odd);
        wino_v f2 = __builtin_shuffle(B[2], B[3], even), g2 = __builtin_shuffle(B[2], B[3], odd);
        wino_v q0 = __builtin_shuffle(e1, e2, even), q1 = __builtin_shuffle(o1, o2, even);
        wino_v q2 = __builtin_shuffle(e1, e2, odd), q3 = __builtin_shuffle(o1, o2, odd);
        wino_v q4 = __builtin_shuffle(f1, f2, even), q5 = __builtin_shuffle(g1, g2, even);
        WINO_BT(q0, q1, q2, q3, q4, q5, h[r][0], h[r][1], h[r][2], h[r][3], h[r][4], h[r][5]);
    }
    WINO_UNROLL
    for (int l = 0; l < 6; l++) {
        wino_v d[6];
        WINO_BT(h[0][l], h[1][l], h[2][l], h[3][l], h[4][l], h[5][l], d[0], d[1], d[2], d[3], d[4],
                d[5]);
        float *p = o;                    /* frequency 6 k + l */
        WINO_UNROLL
        for (int k = 0; k < 6; k++) {
            wino_st(p, d[k]);            /* past the channels: zeros, into vf's slack */
            WINO_STEP(p, 6 * vf);
        }
        WINO_STEP(o, vf);
    }
}

/* see dn_f32_wino_in_fn in kernels.h. The unit's lanes go in slots of
 * WINO_SLOT tiles, and the lanes of V over channels and slots are filled
 * four slots (one vector) at a time. Per patch row r, a slot's vector A
 * holds columns 0..3 of its tiles' patches and B columns 4..7, put through
 * the prologue with padding left at zero. Even/odd shuffles twice over the
 * four A vectors give columns 0..3 of all the tiles, one lane per tile, and
 * over the B vectors columns 4 and 5. Each row is transformed across, then
 * the six rows down, and the 36 vectors stored whole (wino_in_chunk). Lanes
 * no tile covers come out zero. */
static void wino_in(const struct dn_wino_in *in, int64_t nc, const struct dn_wino_run *runs,
                    int nruns, int lanes, float *v, int64_t vf)
{
    const wino_vi lane = WINO_LANES;
    const int used = runs[nruns - 1].j0 + runs[nruns - 1].len, S = lanes / WINO_SLOT;
    const int64_t W = in->W, H = in->H;
    struct wino_slotrow sr[WINO_MAXS + 1][6];
    int chain[WINO_MAXS + 1];            /* slot s + 1 continues slot s's run */
    int runs_in[WINO_MAXS + 1];          /* runs slot s spans */
    int64_t lo[WINO_MAXS + 1], hi[WINO_MAXS + 1];  /* offsets its whole loads span */
    for (int s = 0, r = 0; s <= S; s++) {
        for (int y = 0; y < 6; y++) {
            sr[s][y].n = 0;
            sr[s][y].m = sr[s][y].m4 = wino_lm_range(0, 0);
            sr[s][y].k = sr[s][y].k4 = (wino_vi){0};
        }
        chain[s] = 0;
        runs_in[s] = 0;
        lo[s] = INT64_MAX;
        hi[s] = INT64_MIN;
        for (int j = s * WINO_SLOT; s < S && j < (s + 1) * WINO_SLOT && j < used;) {
            while (j >= runs[r].j0 + runs[r].len)
                r++;
            const struct dn_wino_run *ru = &runs[r];
            const int i0 = j - s * WINO_SLOT, t = j - ru->j0;
            int cnt = ru->j0 + ru->len - j;
            cnt = cnt < WINO_SLOT - i0 ? cnt : WINO_SLOT - i0;
            /* lane q of the slot vector: column c0 + q of the run's rows */
            const int64_t c0 = ru->col0 + 4 * t - 4 * i0;
            int l0 = 4 * i0, h0 = 4 * (i0 + cnt), l4 = l0, h4 = h0;
            l0 = -c0 > l0 ? (int)(-c0 < h0 ? -c0 : h0) : l0;
            h0 = W - c0 < h0 ? (int)(W - c0 > l0 ? W - c0 : l0) : h0;
            l4 = -c0 - 4 > l4 ? (int)(-c0 - 4 < h4 ? -c0 - 4 : h4) : l4;
            h4 = W - c0 - 4 < h4 ? (int)(W - c0 - 4 > l4 ? W - c0 - 4 : l4) : h4;
            for (int y = 0; y < 6; y++) {
                struct wino_slotrow *q = &sr[s][y];
                const int64_t row = ru->row0 + y;
                if (row < 0 || row >= H || h0 <= l0)
                    continue;
                const int64_t off = ru->x_off + row * W + c0;
                const wino_lm m = wino_lm_range(l0, h0), m4 = wino_lm_range(l4, h4);
                if (q->n == 1)
                    q->l1 = 4 * i0;
                q->ld[q->n++] = (struct wino_ld){off, m, m4};
                q->m = wino_lm_or(q->m, m);
                q->m4 = wino_lm_or(q->m4, m4);
                q->k |= (lane >= l0) & (lane < h0);
                q->k4 |= (lane >= l4) & (lane < h4);
                lo[s] = off < lo[s] ? off : lo[s];
                hi[s] = off + 4 + WINO_VL > hi[s] ? off + 4 + WINO_VL : hi[s];
            }
            runs_in[s]++;
            /* the slot is this run's alone, and the next slot starts with the
             * run's next tile */
            chain[s] = cnt == WINO_SLOT && t + cnt < ru->len && s + 1 < S;
            j += cnt;
        }
        if (lo[s] > hi[s]) {             /* an empty slot reads (and clears) x[0..] */
            lo[s] = 0;
            hi[s] = 4 + WINO_VL;
        }
        for (int y = 0; y < 6; y++) {
            struct wino_slotrow *q = &sr[s][y];
            if (q->n == 0)
                q->ld[q->n++] = (struct wino_ld){lo[s], wino_lm_range(0, 0), wino_lm_range(0, 0)};
            q->off = q->ld[0].off;       /* padding rows read (and clear) row lo[s] */
            q->off2 = q->n > 1 ? q->ld[1].off : q->off;
            q->bm = q->bm4 = (wino_vi){0};
            if (q->n > 1) {
                /* the second run's lanes: from its first lane on */
                const wino_vi from = (wino_vi){0} + q->l1;
                q->bm = q->bm4 = lane >= from;
            }
        }
    }
    const int64_t total = nc * S;        /* slots over all channels */
    const int aff = in->scale != NULL, relu = in->relu;
    int64_t c = 0;
    int s = 0;                           /* the chunk's first slot: channel c, slot s */
    for (int64_t z0 = 0; z0 < total; z0 += 4) {
        const float *xg[4];
        const struct wino_slotrow *rg[4];
        wino_v ag[4], bg[4];
        int cg[4], plain = 1;            /* 0: masked loads, else runs per slot at most */
        WINO_UNROLL
        for (int g = 0; g < 4; g++) {
            const int ok = z0 + g < total, sg = ok ? s : S;
            xg[g] = in->x + c * in->plane;
            rg[g] = sr[sg];
            ag[g] = (wino_v){0} + (aff && ok ? in->scale[c] : 0.0f);
            bg[g] = (wino_v){0} + (aff && ok ? in->shift[c] : 0.0f);
            cg[g] = g < 3 && chain[s];
            if (!ok)
                xg[g] = in->x;
            if (runs_in[sg] > 2 || xg[g] + lo[sg] < in->lo || xg[g] + hi[sg] > in->hi)
                plain = 0;
            else if (plain && runs_in[sg] == 2)
                plain = 2;
            if (++s == S) {
                s = 0;
                c++;
            }
        }
        /* constant arguments for the common cases (BatchNorm+ReLU, the
         * densenets' prologue), so the inlined copies carry no tests */
        float *o = v + z0 * WINO_SLOT;
        if (plain == 1 && aff && relu)
            wino_in_chunk(xg, rg, ag, bg, cg, 1, 1, 1, o, vf);
        else if (plain == 2 && aff && relu)
            wino_in_chunk(xg, rg, ag, bg, cg, 1, 1, 2, o, vf);
        else if (plain == 1)
            wino_in_chunk(xg, rg, ag, bg, cg, aff, relu, 1, o, vf);
        else if (plain == 2)
            wino_in_chunk(xg, rg, ag, bg, cg, aff, relu, 2, o, vf);
        else
            wino_in_chunk(xg, rg, ag, bg, cg, aff, relu, 0, o, vf);
    }
}

/* t[a][c] = (A^T m A)[a][c] + bias, clamped at 0 when relu, from the 36
 * vectors m[f] */
WINO_INLINE void wino_out_core(const wino_v m[36], wino_v bias, int relu, wino_v t[4][4])
{
    wino_v s[6][4];
    WINO_UNROLL
    for (int k = 0; k < 6; k++)
        WINO_AT(m[6 * k], m[6 * k + 1], m[6 * k + 2], m[6 * k + 3], m[6 * k + 4], m[6 * k + 5],
                s[k][0], s[k][1], s[k][2], s[k][3]);
    WINO_UNROLL
    for (int c = 0; c < 4; c++) {
        WINO_AT(s[0][c], s[1][c], s[2][c], s[3][c], s[4][c], s[5][c], t[0][c], t[1][c], t[2][c],
                t[3][c]);
        WINO_UNROLL
        for (int a = 0; a < 4; a++) {
            t[a][c] += bias;
            if (relu)
                t[a][c] = (wino_v)((wino_vi)t[a][c] & (t[a][c] > (wino_v){0}));
        }
    }
}

/* see dn_f32_wino_out_fn in kernels.h: tiles as lanes, per output channel
 * and group of up to WINO_VL tiles of a run */
static void wino_out_cols(const float *mf, int64_t mf_f, int64_t mf_m, int64_t nm,
                          const struct dn_wino_run *runs, int nruns, const float *bias, int relu,
                          float *y, int64_t ym, int64_t ldy)
{
    const wino_vi lane = WINO_LANES;
    const wino_vi zlo = (lane >> 1) + (lane & 1) * WINO_VL;
    const wino_vi zhi = zlo + WINO_VL / 2;
    for (int64_t m = 0; m < nm; m++) {
        const wino_v b = (wino_v){0} + (bias ? bias[m] : 0.0f);
        for (int r = 0; r < nruns; r++) {
            const struct dn_wino_run *ru = &runs[r];
            for (int t = 0; t < ru->len; t += WINO_VL) {
                const float *src = mf + m * mf_m + ru->j0 + t;
                wino_v mv[36], o[4][4];
                const float *p = src;
                WINO_UNROLL
                for (int f = 0; f < 36; f++) {
                    mv[f] = wino_ld(p);
                    WINO_STEP(p, mf_f);
                }
                wino_out_core(mv, b, relu, o);
                /* o[a][c][j] goes to column 4 j + c of row a */
                float *dst = y + m * ym + ru->out_off + 4 * t;
                const int cols = ru->out_cols - 4 * t;
                WINO_UNROLL
                for (int a = 0; a < 4; a++) {
                    if (a >= ru->out_rows)
                        break;
                    wino_v l0 = __builtin_shuffle(o[a][0], o[a][2], zlo);
                    wino_v h0 = __builtin_shuffle(o[a][0], o[a][2], zhi);
                    wino_v l1 = __builtin_shuffle(o[a][1], o[a][3], zlo);
                    wino_v h1 = __builtin_shuffle(o[a][1], o[a][3], zhi);
                    wino_v z[4] = {__builtin_shuffle(l0, l1, zlo), __builtin_shuffle(l0, l1, zhi),
                                   __builtin_shuffle(h0, h1, zlo), __builtin_shuffle(h0, h1, zhi)};
                    WINO_UNROLL
                    for (int i = 0; i < 4; i++) {
                        int n = cols - i * WINO_VL;
                        wino_st_n(dst + a * ldy + i * WINO_VL, z[i], n < WINO_VL ? n : WINO_VL);
                    }
                }
            }
        }
    }
}

/* see dn_f32_wino_out_fn in kernels.h: output channels as lanes, per tile
 * and group of WINO_VL channels */
static void wino_out_rows(const float *mf, int64_t mf_f, int64_t mf_j, int64_t nm,
                          const struct dn_wino_run *runs, int nruns, const float *bias, int relu,
                          float *y, int64_t ym, int64_t ldy)
{
    const wino_vi lane = WINO_LANES;
    const wino_vi g4 = lane & ~3, w = lane & 3;
    /* 4x4 transposes inside each group of 4 lanes, in two steps of pairs */
    const wino_vi unlo = g4 + (w >> 1) + (w & 1) * WINO_VL, unhi = unlo + 2;
    const wino_vi lh = g4 + (w & 1) + (w >> 1) * WINO_VL, hl = lh + 2;
    for (int r = 0; r < nruns; r++) {
        const struct dn_wino_run *ru = &runs[r];
        for (int t = 0; t < ru->len; t++) {
            const int cols = ru->out_cols - 4 * t < 4 ? ru->out_cols - 4 * t : 4;
            const float *src = mf + (ru->j0 + t) * mf_j;
            float *dst = y + ru->out_off + 4 * t;
            for (int64_t m0 = 0; m0 < nm; m0 += WINO_VL) {
                const int nv = nm - m0 < WINO_VL ? (int)(nm - m0) : WINO_VL;
                wino_v mv[36], o[4][4];
                const float *p = src + m0;
                WINO_UNROLL
                for (int f = 0; f < 36; f++) {
                    mv[f] = wino_ld(p);
                    WINO_STEP(p, mf_f);
                }
                wino_v b = {0};
                if (bias)
                    b = nv == WINO_VL ? wino_ld(bias + m0) : wino_ld_n(bias + m0, nv);
                wino_out_core(mv, b, relu, o);
                WINO_UNROLL
                for (int a = 0; a < 4; a++) {
                    if (a >= ru->out_rows)
                        break;
                    /* R[i][4 g + c] = o[a][c][4 g + i]: channel m0 + 4 g + i, column c */
                    wino_v t0 = __builtin_shuffle(o[a][0], o[a][1], unlo);
                    wino_v t1 = __builtin_shuffle(o[a][0], o[a][1], unhi);
                    wino_v t2 = __builtin_shuffle(o[a][2], o[a][3], unlo);
                    wino_v t3 = __builtin_shuffle(o[a][2], o[a][3], unhi);
                    wino_v R[4] = {__builtin_shuffle(t0, t2, lh), __builtin_shuffle(t0, t2, hl),
                                   __builtin_shuffle(t1, t3, lh), __builtin_shuffle(t1, t3, hl)};
                    float *d = dst + m0 * ym + a * ldy;  /* channel m0 + 4 g + i */
                    if (cols == 4 && nv == WINO_VL) {
                        WINO_UNROLL
                        for (int g = 0; g < WINO_VL / 4; g++)
                            WINO_UNROLL
                            for (int i = 0; i < 4; i++) {
                                wino_st4(d, R[i], g);
                                WINO_STEP(d, ym);
                            }
                        continue;
                    }
                    WINO_UNROLL
                    for (int g = 0; g < WINO_VL / 4; g++)
                        WINO_UNROLL
                        for (int i = 0; i < 4; i++) {
                            if (4 * g + i < nv)
                                wino_st_lanes(d, R[i], 4 * g, cols);
                            WINO_STEP(d, ym);
                        }
                }
            }
        }
    }
}
