/* winograd.c: Winograd F(4x4, 3x3) convolution (see winograd.h). Per unit
 * of L tiles (nr in COLS mode, mr in ROWS mode) and block of input channels:
 * k->wino_in reads each channel's patches (prologue and padding applied)
 * and transforms them into V[f][c][L], then 36 GEMMs on k's microkernel
 * accumulate, per frequency f, Mf[f] = U[f] V[f] (COLS: [M][L], weights as
 * A) or V[f] U[f] (ROWS: [L][M], weights as B) over the blocks; last,
 * k->wino_out_cols / wino_out_rows turn Mf back into pixels with bias and
 * ReLU. Every GEMM call is a full mr x nr tile (padded channels have zero
 * weights, lanes past a unit's last tile hold zeros), so each output's sums
 * run in the same order whatever the unit holds. Meanwhile the GEMMs'
 * calls prefetch cv->pf (the next conv's weights). Also the choice of mode
 * (dn_wino_choose) and the weight transform (dn_wino_pack).
 */
#include "winograd.h"

#include <string.h>

#define WINO_CB_COLS 64    /* input channels per block: V[36][64][nr] stays in L2 */
#define WINO_CB_ROWS 256   /* likewise V[36][256][mr] */
#define WINO_SLACK 64      /* floats after Mf: wino_out_cols reads past a row's last tile */
#define WINO_SKEW 16       /* floats between frequencies of V and Mf, so their 36 rows of
                            * one channel (tile) fall in different L1 sets, not all in one */
#define WINO_PF_LOCALITY 2 /* cv->pf goes to L2 (prefetcht1): measured better than L3 or L1 */

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int lanes_of(const struct dn_kernels *k, enum dn_wino_mode mode)
{
    return mode == DN_WINO_ROWS ? k->mr : k->nr;
}

/* output channels rounded up to the weights' tile (COLS) or panel (ROWS) */
static int64_t mpad(const struct dn_kernels *k, enum dn_wino_mode mode, int64_t M)
{
    int g = mode == DN_WINO_ROWS ? k->nr : k->mr;
    return cdiv(M, g) * g;
}

static int64_t cb_max(enum dn_wino_mode mode, int64_t C)
{
    int64_t cb = mode == DN_WINO_ROWS ? WINO_CB_ROWS : WINO_CB_COLS;
    return C < cb ? C : cb;
}

/* The GEMMs dominate, and each mode pads: ROWS pads the tiles to mr and the
 * output channels to nr, COLS the tiles to nr and the channels to mr, so
 * the rule compares padded GEMM volumes: the mode with the smaller one
 * (ROWS on a tie), unless it is over twice im2col's (9 taps x pixels x
 * channels, padded the same way), which only happens on maps of a few
 * pixels. Measured on one thread of an AMD EPYC (Zen 5) with AVX-512,
 * microseconds per conv with a BatchNorm+ReLU prologue, hot caches, as
 * im2col / cols / rows (tests/check_wino --bench avx512 C M N sizes...;
 * the table in docs/BENCHMARKS.md, "3x3 kernel choice"):
 *   128 -> 32, N=1   56x56: 1420 / 440 / 398   28x28: 374 / 129 / 113
 *                    14x14: 161 / 58.2 / 29.8  7x7: 49.4 / 60.6 / 15.6
 *                    4x4: 16.6 / 54.3 / 13.3   3x3: 15.6 / 55.2 / 13.5
 *                    2x2: 8.4 / 56.1 / 13.5    1x1: 6.7 / 55.9 / 13.6
 *   128 -> 32, N=8   56x56: 12692 / 3501 / 3326  7x7: 398 / 75.7 / 67.7
 *   192 -> 48, N=1   56x56: 2771 / 858 / 958   28x28: 749 / 255 / 272
 *                    14x14: 336 / 118 / 73.7
 *   128 -> 8, N=1    56x56: 751 / 231 / 405    14x14: 158 / 27.3 / 28.4
 *                    7x7: 49.9 / 29.8 / 15.4
 * AVX2 (mr 6, nr 16) agrees: 128 -> 32 at 2x2 11.5 / 59.9 / 20.4 (im2col),
 * 7x7 83.0 / 62.0 / 21.3, 14x14 281 / 62.9 / 65.1 (equal volumes: rows).
 * On the DenseNets' maps at batch 1 this picks ROWS everywhere. */
int dn_wino_choose(const struct dn_kernels *k, int64_t N, int64_t M, int64_t OH, int64_t OW,
                   int pixrows)
{
    const int64_t mr = k->mr, nr = k->nr, T = N * cdiv(OH, 4) * cdiv(OW, 4);
    const int64_t rows = 36 * cdiv(T, mr) * mr * cdiv(M, nr) * nr;
    const int64_t cols = 36 * cdiv(T, nr) * nr * cdiv(M, mr) * mr;
    const int64_t im2col = pixrows ? 9 * N * cdiv(OH * OW, mr) * mr * cdiv(M, nr) * nr
                                   : 9 * N * cdiv(OH * OW, nr) * nr * cdiv(M, mr) * mr;
    const int64_t best = rows <= cols ? rows : cols;
    if (best > 2 * im2col)
        return 0;
    return rows <= cols ? DN_WINO_ROWS : DN_WINO_COLS;
}

size_t dn_wino_weight_floats(const struct dn_kernels *k, enum dn_wino_mode mode, int64_t M,
                             int64_t C)
{
    return (size_t)(36 * mpad(k, mode, M) * C);
}

void dn_wino_pack(const struct dn_kernels *k, enum dn_wino_mode mode, const float *w, int64_t M,
                  int64_t C, float *packed)
{
    static const double G[6][3] = {
        {1.0 / 4, 0, 0},
        {-1.0 / 6, -1.0 / 6, -1.0 / 6},
        {-1.0 / 6, 1.0 / 6, -1.0 / 6},
        {1.0 / 24, 1.0 / 12, 1.0 / 6},
        {1.0 / 24, -1.0 / 12, 1.0 / 6},
        {0, 0, 1},
    };
    const int g = mode == DN_WINO_ROWS ? k->nr : k->mr;
    const int64_t Mp = mpad(k, mode, M), ng = Mp / g, fs = ng * C * g;
    /* per tile or panel t and input channel c, its g output channels: the
     * 36 frequencies' rows of g floats are built in u and then copied whole
     * (rows 36 apart in packed share L1 sets: storing them float by float
     * thrashes); g <= 64, as every table's mr and nr are */
    float u[36][64];
    for (int64_t t = 0; t < ng; t++)
        for (int64_t c = 0; c < C; c++) {
            for (int i = 0; i < g; i++) {
                const int64_t m = t * g + i;
                if (m >= M) {
                    for (int f = 0; f < 36; f++)
                        u[f][i] = 0.0f;
                    continue;
                }
                const float *wk = w + (m * C + c) * 9;
                double h[6][3];
                for (int a = 0; a < 6; a++)
                    for (int j = 0; j < 3; j++)
                        h[a][j] = G[a][0] * wk[j] + G[a][1] * wk[3 + j] + G[a][2] * wk[6 + j];
                for (int a = 0; a < 6; a++)
                    for (int b = 0; b < 6; b++)
                        u[6 * a + b][i] =
                            (float)(h[a][0] * G[b][0] + h[a][1] * G[b][1] + h[a][2] * G[b][2]);
            }
            for (int f = 0; f < 36; f++)
                memcpy(packed + f * fs + (t * C + c) * g, u[f], sizeof(float) * (size_t)g);
        }
}

int64_t dn_wino_units(const struct dn_kernels *k, enum dn_wino_mode mode, int64_t N, int64_t OH,
                      int64_t OW)
{
    return cdiv(N * cdiv(OH, 4) * cdiv(OW, 4), lanes_of(k, mode));
}

size_t dn_wino_scratch_floats(const struct dn_kernels *k, enum dn_wino_mode mode, int64_t M,
                              int64_t C)
{
    const int64_t L = lanes_of(k, mode);
    return (size_t)(36 * (cb_max(mode, C) * L + WINO_SKEW) + 36 * (mpad(k, mode, M) * L + WINO_SKEW) +
                    WINO_SLACK);
}

void dn_wino_run(const struct dn_kernels *k, const struct dn_wino_conv *cv, int64_t unit_lo,
                 int64_t unit_hi, float *scratch)
{
    const enum dn_wino_mode mode = cv->mode;
    const int mr = k->mr, nr = k->nr, L = lanes_of(k, mode), rows = mode == DN_WINO_ROWS;
    const int64_t C = cv->C, M = cv->M, OH = cv->OH, OW = cv->OW;
    const int64_t TW = cdiv(OW, 4), T = cdiv(OH, 4) * TW, total = cv->N * T, plane = cv->H * cv->W;
    const int64_t Mp = mpad(k, mode, M), ng = Mp / (rows ? nr : mr), cbm = cb_max(mode, C);
    const int64_t mfs = Mp * L + WINO_SKEW;  /* Mf: [36][Mp][L] (COLS) or [36][L][Mp] (ROWS) */
    float *V = scratch, *Mf = scratch + 36 * (cbm * L + WINO_SKEW);
    struct dn_wino_run runs[64];             /* L <= 64 tiles: every table's mr, nr are */
    memset(Mf + 36 * mfs, 0, sizeof(float) * WINO_SLACK);
    /* this call's share of cv->pf (by its units), spread evenly over its
     * GEMM calls: they leave memory idle, and a layer's weights cost a small
     * map more time to fetch than to use */
    const int64_t units = cdiv(total, L), pf_lines = (int64_t)(cv->pf_bytes + 63) / 64;
    const char *pf = cv->pf ? (const char *)cv->pf + 64 * (pf_lines * unit_lo / units) : NULL;
    const char *pf_end = cv->pf ? (const char *)cv->pf + 64 * (pf_lines * unit_hi / units) : NULL;
    const int64_t calls = (unit_hi - unit_lo) * cdiv(C, cbm) * 36 * ng;
    const int64_t pf_step = pf && calls > 0 ? (pf_end - pf + 64 * calls - 1) / (64 * calls) : 0;
    for (int64_t unit = unit_lo; unit < unit_hi; unit++) {
        const int64_t g0 = unit * L;
        const int n = (int)(total - g0 < L ? total - g0 : L);
        int nruns = 0;
        for (int j = 0; j < n;) {
            int64_t gi = g0 + j, b = gi / T, th = gi % T / TW, tw = gi % T % TW;
            int len = (int)(TW - tw < n - j ? TW - tw : n - j);
            struct dn_wino_run *r = &runs[nruns++];
            r->x_off = b * cv->x_bs;
            r->out_off = b * cv->y_bs + 4 * th * OW + 4 * tw;
            r->row0 = (int)(4 * th - cv->pt);
            r->col0 = (int)(4 * tw - cv->pl);
            r->j0 = j;
            r->len = len;
            r->out_rows = (int)(OH - 4 * th < 4 ? OH - 4 * th : 4);
            r->out_cols = (int)(OW - 4 * tw < 4 * len ? OW - 4 * tw : 4 * len);
            j += len;
        }
        for (int64_t c0 = 0; c0 < C; c0 += cbm) {
            const int64_t cb = C - c0 < cbm ? C - c0 : cbm, vs = cb * L + WINO_SKEW;
            const struct dn_gemm_params gp = {NULL, NULL, c0 > 0, 0};
            const struct dn_wino_in in = {
                cv->x + c0 * plane, plane, cv->H, cv->W, cv->pre_scale ? cv->pre_scale + c0 : NULL,
                cv->pre_scale ? cv->pre_shift + c0 : NULL, cv->pre_relu,
                cv->x, cv->x + (cv->N - 1) * cv->x_bs + C * plane,
            };
            k->wino_in(&in, cb, runs, nruns, L, V, vs);
            for (int f = 0; f < 36; f++)
                for (int64_t t = 0; t < ng; t++) {
                    for (int64_t i = 0; i < pf_step && pf < pf_end; i++, pf += 64)
                        __builtin_prefetch(pf, 0, WINO_PF_LOCALITY);
                    const float *w = cv->packed + ((f * ng + t) * C + c0) * (rows ? nr : mr);
                    if (rows)
                        k->gemm(mr, nr, cb, V + f * vs, w, Mf + f * mfs + t * nr, Mp, &gp);
                    else
                        k->gemm(mr, nr, cb, w, V + f * vs, Mf + f * mfs + t * mr * nr, nr, &gp);
                }
        }
        if (rows)
            k->wino_out_rows(Mf, mfs, Mp, M, runs, nruns, cv->bias, cv->relu, cv->y, OH * OW, OW);
        else
            k->wino_out_cols(Mf, mfs, L, M, runs, nruns, cv->bias, cv->relu, cv->y, OH * OW, OW);
    }
}
