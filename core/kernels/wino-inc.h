/* wino-inc.h: the Winograd F(4x4, 3x3) input and output transforms, included
 * once by each ISA's kernel file after it defines NR, so GCC vectorizes them
 * with that file's flags. Defines static functions the including file names
 * in its table (wino_in, wino_out). Not a public header.
 *
 * Lanes are tiles: a work unit holds up to NR 4x4 output tiles (6x6 input
 * patches, stride 4), described by runs of tiles that share an image and a
 * tile row (struct dn_wino_run in kernels.h). Every loop over lanes runs a
 * fixed NR times; lanes past the unit's last tile hold finite junk that the
 * caller never stores. Each lane's arithmetic depends only on its own tile.
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
 * floats, from the compiler's target macros) so the result does not hinge
 * on the auto-vectorizer or the -O level; NR must be a multiple of WINO_VL.
 * Strided tile access goes through fixed shuffles (even/odd, zip); partial
 * vectors at a run's end use masked loads (the includer has immintrin.h). */

#if defined(__AVX512F__)
#define WINO_VL 16
#define WINO_EVEN {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30}
#define WINO_ODD {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31}
#define WINO_NEXT {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
#define WINO_ZIPLO {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23}
#define WINO_ZIPHI {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}
#elif defined(__AVX__)
#define WINO_VL 8
#define WINO_EVEN {0, 2, 4, 6, 8, 10, 12, 14}
#define WINO_ODD {1, 3, 5, 7, 9, 11, 13, 15}
#define WINO_NEXT {1, 2, 3, 4, 5, 6, 7, 8}
#define WINO_ZIPLO {0, 8, 1, 9, 2, 10, 3, 11}
#define WINO_ZIPHI {4, 12, 5, 13, 6, 14, 7, 15}
#else
#define WINO_VL 4
#define WINO_EVEN {0, 2, 4, 6}
#define WINO_ODD {1, 3, 5, 7}
#define WINO_NEXT {1, 2, 3, 4}
#define WINO_ZIPLO {0, 4, 1, 5}
#define WINO_ZIPHI {2, 6, 3, 7}
#endif
#define WINO_NV (NR / WINO_VL)
#define WINO_UW (4 * NR + 2 * WINO_VL)  /* u row: 4 NR columns, room for a spill */

typedef float wino_v __attribute__((vector_size(WINO_VL * 4)));
typedef float wino_vu __attribute__((vector_size(WINO_VL * 4), aligned(4)));
typedef int wino_vi __attribute__((vector_size(WINO_VL * 4)));

static const float wino_zero[WINO_UW + WINO_VL];

static inline wino_v wino_ld(const float *p)
{
    return *(const wino_vu *)p;
}

static inline void wino_st(float *p, wino_v v)
{
    *(wino_vu *)p = v;
}

/* the first n (0 <= n <= WINO_VL) floats of p, the rest zero; reads nothing
 * past p + n (masked loads on AVX2 / AVX-512) */
static inline wino_v wino_ld_part(const float *p, int n)
{
#if defined(__AVX512F__)
    return (wino_v)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
#elif defined(__AVX2__)
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return (wino_v)_mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane));
#else
    float t[WINO_VL] __attribute__((aligned(16))) = {0};
    for (int i = 0; i < n; i++)
        t[i] = p[i];
    return *(const wino_v *)t;
#endif
}

/* B^T applied to 6 values: o[k] = sum_r B^T[k][r] d[r] */
#define WINO_BT(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5)         \
    {                                                                   \
        wino_v a_ = d4 - 4.0f * d2, b_ = d3 - 4.0f * d1;                \
        wino_v e_ = d4 - d2, g_ = 2.0f * (d3 - d1);                     \
        o0 = 4.0f * d0 - 5.0f * d2 + d4;                                \
        o1 = a_ + b_;                                                   \
        o2 = a_ - b_;                                                   \
        o3 = e_ + g_;                                                   \
        o4 = e_ - g_;                                                   \
        o5 = 4.0f * d1 - 5.0f * d3 + d5;                                \
    }

/* v[f * vs + j] = (B^T d_j B)[f] for the 6x6 patch d_j of lane j in the plane x
 * (leading dimension ldx); rows and columns past a run's in_rows / in_cols
 * read as zero. */
static void wino_in(const float *x, int64_t ldx, const struct dn_wino_run *runs, int nruns,
                    float *restrict v, int64_t vs)
{
    float u[6][WINO_UW] __attribute__((aligned(64)));
    float q[6][6][NR] __attribute__((aligned(64)));
    float ex[NR][6][2];
    const wino_vi even = WINO_EVEN, odd = WINO_ODD, next = WINO_NEXT;
    const int n = runs[nruns - 1].j0 + runs[nruns - 1].len;

    /* down the columns: u[k][4 j0 + c] = sum_r B^T[k][r] d[r][c], per run;
     * columns from in_cols on read as zero, and a run's last vector may
     * spill into the next run's columns, which that run then rewrites */
    for (int r = 0; r < nruns; r++) {
        const struct dn_wino_run *ru = &runs[r];
        const float *d[6];
        for (int i = 0; i < 6; i++)
            d[i] = i < ru->in_rows ? x + ru->in_off + i * ldx : wino_zero;
        const int X = ru->in_cols, W = 4 * ru->len + 2, o = 4 * ru->j0;
        for (int c = 0; c < W; c += WINO_VL) {
            wino_v d0, d1, d2, d3, d4, d5, u0, u1, u2, u3, u4, u5;
            if (c + WINO_VL <= X) {
                d0 = wino_ld(d[0] + c), d1 = wino_ld(d[1] + c), d2 = wino_ld(d[2] + c);
                d3 = wino_ld(d[3] + c), d4 = wino_ld(d[4] + c), d5 = wino_ld(d[5] + c);
            } else {
                int m = X - c > 0 ? X - c : 0;
                d0 = wino_ld_part(d[0] + c, m), d1 = wino_ld_part(d[1] + c, m);
                d2 = wino_ld_part(d[2] + c, m), d3 = wino_ld_part(d[3] + c, m);
                d4 = wino_ld_part(d[4] + c, m), d5 = wino_ld_part(d[5] + c, m);
            }
            WINO_BT(d0, d1, d2, d3, d4, d5, u0, u1, u2, u3, u4, u5);
            wino_st(u[0] + o + c, u0), wino_st(u[1] + o + c, u1), wino_st(u[2] + o + c, u2);
            wino_st(u[3] + o + c, u3), wino_st(u[4] + o + c, u4), wino_st(u[5] + o + c, u5);
        }
        /* the run's last patch reaches 2 columns into the next run's space */
        for (int k = 0; k < 6; k++) {
            ex[r][k][0] = u[k][o + 4 * ru->len];
            ex[r][k][1] = u[k][o + 4 * ru->len + 1];
        }
    }
    if (n < NR)
        for (int k = 0; k < 6; k++)
            for (int c = 4 * n; c < 4 * NR + WINO_VL; c++)
                u[k][c] = 0.0f;

    /* phases: q[k][p][j] = u[k][4 j + p]; p 4 and 5 are the next lane's 0 and 1
     * except at a run's last lane */
    for (int k = 0; k < 6; k++) {
        for (int jv = 0; jv < WINO_NV; jv++) {
            const float *s = u[k] + 4 * WINO_VL * jv;
            wino_v a = wino_ld(s), b = wino_ld(s + WINO_VL);
            wino_v c = wino_ld(s + 2 * WINO_VL), e = wino_ld(s + 3 * WINO_VL);
            wino_v e1 = __builtin_shuffle(a, b, even), o1 = __builtin_shuffle(a, b, odd);
            wino_v e2 = __builtin_shuffle(c, e, even), o2 = __builtin_shuffle(c, e, odd);
            wino_st(q[k][0] + jv * WINO_VL, __builtin_shuffle(e1, e2, even));
            wino_st(q[k][2] + jv * WINO_VL, __builtin_shuffle(e1, e2, odd));
            wino_st(q[k][1] + jv * WINO_VL, __builtin_shuffle(o1, o2, even));
            wino_st(q[k][3] + jv * WINO_VL, __builtin_shuffle(o1, o2, odd));
        }
        for (int jv = 0; jv < WINO_NV; jv++) {
            wino_v z = {0};
            wino_v a0 = wino_ld(q[k][0] + jv * WINO_VL), a1 = wino_ld(q[k][1] + jv * WINO_VL);
            wino_v b0 = jv + 1 < WINO_NV ? wino_ld(q[k][0] + (jv + 1) * WINO_VL) : z;
            wino_v b1 = jv + 1 < WINO_NV ? wino_ld(q[k][1] + (jv + 1) * WINO_VL) : z;
            wino_st(q[k][4] + jv * WINO_VL, __builtin_shuffle(a0, b0, next));
            wino_st(q[k][5] + jv * WINO_VL, __builtin_shuffle(a1, b1, next));
        }
        for (int r = 0; r < nruns; r++) {
            int jl = runs[r].j0 + runs[r].len - 1;
            q[k][4][jl] = ex[r][k][0];
            q[k][5][jl] = ex[r][k][1];
        }
    }

    /* across the rows: v[6 k + l] = sum_c B^T[l][c] q[k][c] */
    for (int k = 0; k < 6; k++)
        for (int jv = 0; jv < WINO_NV; jv++) {
            const int j = jv * WINO_VL;
            wino_v c0 = wino_ld(q[k][0] + j), c1 = wino_ld(q[k][1] + j), c2 = wino_ld(q[k][2] + j);
            wino_v c3 = wino_ld(q[k][3] + j), c4 = wino_ld(q[k][4] + j), c5 = wino_ld(q[k][5] + j);
            wino_v v0, v1, v2, v3, v4, v5;
            WINO_BT(c0, c1, c2, c3, c4, c5, v0, v1, v2, v3, v4, v5);
            float *o = v + 6 * k * vs + j;
            wino_st(o, v0), wino_st(o + vs, v1), wino_st(o + 2 * vs, v2);
            wino_st(o + 3 * vs, v3), wino_st(o + 4 * vs, v4), wino_st(o + 5 * vs, v5);
        }
}

/* A^T applied to 6 values: o[a] = sum_k A^T[a][k] m[k] */
#define WINO_AT(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3)                 \
    {                                                                   \
        wino_v p12_ = m1 + m2, d12_ = m1 - m2, p34_ = m3 + m4, d34_ = m3 - m4; \
        o0 = m0 + p12_ + p34_;                                          \
        o1 = d12_ + 2.0f * d34_;                                        \
        o2 = p12_ + 4.0f * p34_;                                        \
        o3 = d12_ + 8.0f * d34_ + m5;                                   \
    }

/* Stores A^T m_j A + bias (clamped at 0 when relu) for every lane j, with
 * m_j[f] = mf[f * ms + j], into y at each run's out_off (leading dimension
 * ldy), out_rows x out_cols per run. */
static void wino_out(const float *restrict mf, int64_t ms, const struct dn_wino_run *runs,
                     int nruns, float bias, int relu, float *restrict y, int64_t ldy)
{
    float o[4][4 * NR] __attribute__((aligned(64)));
    const wino_vi zlo = WINO_ZIPLO, zhi = WINO_ZIPHI;
    const wino_v zero = {0};
    for (int jv = 0; jv < WINO_NV; jv++) {
        const int j = jv * WINO_VL;
        wino_v s[6][4], t[4][4];
        /* across: s[k][c] = sum_l A^T[c][l] m[6 k + l] */
        for (int k = 0; k < 6; k++) {
            const float *m = mf + 6 * k * ms + j;
            wino_v m0 = wino_ld(m), m1 = wino_ld(m + ms), m2 = wino_ld(m + 2 * ms);
            wino_v m3 = wino_ld(m + 3 * ms), m4 = wino_ld(m + 4 * ms), m5 = wino_ld(m + 5 * ms);
            WINO_AT(m0, m1, m2, m3, m4, m5, s[k][0], s[k][1], s[k][2], s[k][3]);
        }
        /* down: t[a][c] = sum_k A^T[a][k] s[k][c] + bias */
        for (int c = 0; c < 4; c++) {
            WINO_AT(s[0][c], s[1][c], s[2][c], s[3][c], s[4][c], s[5][c], t[0][c], t[1][c], t[2][c],
                    t[3][c]);
            for (int a = 0; a < 4; a++) {
                t[a][c] += bias;
                if (relu)
                    t[a][c] = (wino_v)((wino_vi)t[a][c] & (t[a][c] > zero));
            }
        }
        /* interleave: o[a][4 j + c] = t[a][c][j] */
        for (int a = 0; a < 4; a++) {
            wino_v l0 = __builtin_shuffle(t[a][0], t[a][2], zlo), h0 = __builtin_shuffle(t[a][0], t[a][2], zhi);
            wino_v l1 = __builtin_shuffle(t[a][1], t[a][3], zlo), h1 = __builtin_shuffle(t[a][1], t[a][3], zhi);
            float *d = o[a] + 4 * j;
            wino_st(d, __builtin_shuffle(l0, l1, zlo));
            wino_st(d + WINO_VL, __builtin_shuffle(l0, l1, zhi));
            wino_st(d + 2 * WINO_VL, __builtin_shuffle(h0, h1, zlo));
            wino_st(d + 3 * WINO_VL, __builtin_shuffle(h0, h1, zhi));
        }
    }
    for (int r = 0; r < nruns; r++) {
        const struct dn_wino_run *ru = &runs[r];
        for (int a = 0; a < ru->out_rows; a++)
            __builtin_memcpy(y + ru->out_off + a * ldy, o[a] + 4 * ru->j0,
                             sizeof(float) * (size_t)ru->out_cols);
    }
}
