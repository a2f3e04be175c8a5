/* winograd.c: Winograd F(4x4, 3x3) convolution over staged planes (see
 * winograd.h). Per unit of up to nr tiles: the input transform of each
 * channel (k->wino_in) fills V[f][c][nr] for a block of channels, 36 GEMMs
 * on k's microkernel accumulate Mf[f][m][nr] += U[f][m][c] V[f][c][nr] over
 * the channel blocks, then k->wino_out turns each output channel's Mf back
 * into pixels. Every GEMM call is a full mr x nr tile (padded channels have
 * zero weights, unused lanes hold junk never stored), so each column's sums
 * run in the same order whatever the unit holds.
 */
#include "winograd.h"

#define WINO_CB 64   /* input channels per block: V stays in L2 */

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

size_t dn_wino_weight_floats(const struct dn_kernels *k, int64_t M, int64_t C)
{
    return (size_t)(36 * cdiv(M, k->mr) * k->mr * C);
}

void dn_wino_pack(const struct dn_kernels *k, const float *w, int64_t M, int64_t C, float *packed)
{
    static const double G[6][3] = {
        {1.0 / 4, 0, 0},
        {-1.0 / 6, -1.0 / 6, -1.0 / 6},
        {-1.0 / 6, 1.0 / 6, -1.0 / 6},
        {1.0 / 24, 1.0 / 12, 1.0 / 6},
        {1.0 / 24, -1.0 / 12, 1.0 / 6},
        {0, 0, 1},
    };
    const int mr = k->mr;
    const int64_t mt = cdiv(M, mr);
    for (int64_t t = 0; t < mt; t++)
        for (int i = 0; i < mr; i++) {
            int64_t m = t * mr + i;
            for (int64_t c = 0; c < C; c++) {
                double u[6][6] = {{0}};
                if (m < M) {
                    const float *g = w + (m * C + c) * 9;
                    double h[6][3];
                    for (int a = 0; a < 6; a++)
                        for (int j = 0; j < 3; j++)
                            h[a][j] = G[a][0] * g[j] + G[a][1] * g[3 + j] + G[a][2] * g[6 + j];
                    for (int a = 0; a < 6; a++)
                        for (int b = 0; b < 6; b++)
                            u[a][b] = h[a][0] * G[b][0] + h[a][1] * G[b][1] + h[a][2] * G[b][2];
                }
                for (int f = 0; f < 36; f++)
                    packed[((f * mt + t) * C + c) * mr + i] = (float)u[f / 6][f % 6];
            }
        }
}

int64_t dn_wino_units(const struct dn_kernels *k, int64_t N, int64_t OH, int64_t OW)
{
    return cdiv(N * cdiv(OH, 4) * cdiv(OW, 4), k->nr);
}

size_t dn_wino_scratch_floats(const struct dn_kernels *k, int64_t M, int64_t C)
{
    int64_t cb = C < WINO_CB ? C : WINO_CB;
    return (size_t)(36 * cb * k->nr + 36 * cdiv(M, k->mr) * k->mr * k->nr);
}

void dn_wino_run(const struct dn_kernels *k, const float *packed, const float *stage, int64_t N,
                 int64_t C, int64_t HS, int64_t WS, int64_t M, const float *bias, int relu,
                 float *y, int64_t y_bs, int64_t unit_lo, int64_t unit_hi, float *scratch)
{
    const int mr = k->mr, nr = k->nr;
    const int64_t OH = HS - 2, OW = WS - 2, TH = cdiv(OH, 4), TW = cdiv(OW, 4), T = TH * TW;
    const int64_t total = N * T, mt = cdiv(M, mr), Mp = mt * mr;
    const int64_t cbmax = C < WINO_CB ? C : WINO_CB;
    float *V = scratch, *Mf = scratch + 36 * cbmax * nr;
    struct dn_wino_run runs[64];
    for (int64_t unit = unit_lo; unit < unit_hi; unit++) {
        const int64_t g0 = unit * nr;
        const int n = (int)(total - g0 < nr ? total - g0 : nr);
        int nruns = 0;
        for (int j = 0; j < n;) {
            int64_t gi = g0 + j, b = gi / T, th = gi % T / TW, tw = gi % T % TW;
            int len = (int)(TW - tw < n - j ? TW - tw : n - j);
            struct dn_wino_run *r = &runs[nruns++];
            r->in_off = b * C * HS * WS + 4 * th * WS + 4 * tw;
            r->out_off = b * y_bs + 4 * th * OW + 4 * tw;
            r->j0 = j;
            r->len = len;
            r->in_rows = (int)(HS - 4 * th < 6 ? HS - 4 * th : 6);
            r->in_cols = (int)(WS - 4 * tw < 4 * len + 2 ? WS - 4 * tw : 4 * len + 2);
            r->out_rows = (int)(OH - 4 * th < 4 ? OH - 4 * th : 4);
            r->out_cols = (int)(OW - 4 * tw < 4 * len ? OW - 4 * tw : 4 * len);
            j += len;
        }
        for (int64_t c0 = 0; c0 < C; c0 += cbmax) {
            const int64_t cb = C - c0 < cbmax ? C - c0 : cbmax;
            for (int64_t c = 0; c < cb; c++)
                k->wino_in(stage + (c0 + c) * HS * WS, WS, runs, nruns, V + c * nr, cb * nr);
            const struct dn_gemm_params gp = {NULL, NULL, c0 > 0, 0};
            for (int f = 0; f < 36; f++)
                for (int64_t t = 0; t < mt; t++)
                    k->gemm(mr, nr, cb, packed + ((f * mt + t) * C + c0) * mr, V + f * cb * nr,
                            Mf + (f * Mp + t * mr) * nr, nr, &gp);
        }
        for (int64_t m = 0; m < M; m++)
            k->wino_out(Mf + m * nr, Mp * nr, runs, nruns, bias ? bias[m] : 0.0f, relu,
                        y + m * OH * OW, OW);
    }
}
