/* tests/check_wino.c - Check suite for the Winograd F(4x4, 3x3) convolution
 * (core/winograd.c and each kernel set's wino-inc.h transforms), in both
 * modes (DN_WINO_COLS: tiles as GEMM columns, DN_WINO_ROWS: tiles as rows).
 *
 * Every case draws random inputs in [-1, 1] (a batch stride wider than the
 * image), runs dn_wino_run with or without a prologue (scale and shift,
 * ReLU) and with pad 1 or other paddings, and compares with a direct 3x3
 * conv summed in double: max abs error <= 1e-4 * max|y| + 1e-5. The same case is rerun with the units split
 * into 2 and 3 ranges and one unit at a time, and must match bit for bit; an
 * output batch stride wider than M * OH * OW must leave the gap untouched.
 * Each test runs once per ISA and mode; an ISA the CPU lacks is skipped.
 *
 * `check_wino --bench [isa|all [C M [N [size...]]]]` instead times C -> M
 * channels (128 -> 32 by default) on square maps (56, 28, 14 and 7 by
 * default) for N images (1) on one thread,
 * with a BatchNorm+ReLU prologue: staging + im2col + packed GEMM as
 * core/exec.c runs it (pixel panels, or pixels as rows on maps of at most
 * 256 pixels) against both Winograd modes.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/densenet.h"
#include "core/kernels/kernels.h"
#include "core/winograd.h"

static const enum dn_isa isas[] = {DN_ISA_GENERIC, DN_ISA_AVX2, DN_ISA_AVX512};
#define N_ISAS ((int)(sizeof isas / sizeof isas[0]))

/* ---- helpers -------------------------------------------------------------- */

static uint64_t rng_state;

static float frand(void) /* uniform in [-1, 1] */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng_state >> 40) / (double)(1ull << 23) - 1.0);
}

static float *falloc(size_t n)
{
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64 + 64);
    if (!p) {
        fprintf(stderr, "check_wino: out of memory\n");
        exit(EXIT_FAILURE);
    }
    return p;
}

struct wcase {
    int64_t N, C, M, H, W;
    int bias, relu;
    int pre;                 /* prologue: 0 none, 1 x * scale + shift, 2 that then ReLU, 3 ReLU */
    int64_t pt, pl, pb, pr;  /* padding (all 0: pad 1 each side) */
};

/* y[b][m] = bias + sum over c, ky, kx of w * f(x) (f the prologue, padding
 * 0), in double; x has batch stride x_bs */
static void direct_conv(const struct wcase *tc, const float *x, int64_t x_bs, const float *scale,
                        const float *shift, const float *w, const float *bias, int64_t OH,
                        int64_t OW, double *y)
{
    const int64_t C = tc->C, H = tc->H, W = tc->W;
    for (int64_t b = 0; b < tc->N; b++)
        for (int64_t m = 0; m < tc->M; m++)
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++) {
                    double acc = bias ? bias[m] : 0.0;
                    for (int64_t c = 0; c < C; c++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int64_t ih = oh + ky - tc->pt, iw = ow + kx - tc->pl;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                                    continue;
                                float v = x[b * x_bs + (c * H + ih) * W + iw];
                                if (tc->pre == 1 || tc->pre == 2)
                                    v = v * scale[c] + shift[c];
                                if (tc->pre >= 2 && !(v > 0.0f))
                                    v = 0.0f;
                                acc += (double)w[((m * C + c) * 3 + ky) * 3 + kx] * v;
                            }
                    y[((b * tc->M + m) * OH + oh) * OW + ow] = tc->relu && acc < 0 ? 0.0 : acc;
                }
}

static const char *mode_name(enum dn_wino_mode mode)
{
    return mode == DN_WINO_ROWS ? "rows" : "cols";
}

/* Runs one case on kernel table k in the given mode; the input batch stride
 * is wider than C * H * W. Tracks the worst error relative to max|y|. */
static void run_case(const struct dn_kernels *k, enum dn_wino_mode mode, struct wcase tc,
                     double *worst_rel)
{
    if (!tc.pt && !tc.pl && !tc.pb && !tc.pr)
        tc.pt = tc.pl = tc.pb = tc.pr = 1;
    const int64_t N = tc.N, C = tc.C, M = tc.M, H = tc.H, W = tc.W;
    const int64_t OH = H + tc.pt + tc.pb - 2, OW = W + tc.pl + tc.pr - 2;
    const int64_t OHW = OH * OW, y_bs = M * OHW + 5, x_bs = C * H * W + 3;
    const float sentinel = 12345.0f;
    float *x = falloc((size_t)(N * x_bs)), *w = falloc((size_t)(M * C * 9));
    float *bias = falloc((size_t)M), *scale = falloc((size_t)C), *shift = falloc((size_t)C);
    float *packed = falloc(dn_wino_weight_floats(k, mode, M, C));
    float *scratch = falloc(dn_wino_scratch_floats(k, mode, M, C));
    float *y[4];
    double *ref = malloc(sizeof(double) * (size_t)(N * M * OHW));
    ck_assert_ptr_nonnull(ref);
    rng_state = (uint64_t)(N * 1000003 + C * 10007 + M * 101 + H * 13 + W + tc.pre * 7 + tc.pt) *
                    2654435761u + 1;
    for (int64_t i = 0; i < N * x_bs; i++)
        x[i] = frand();
    const float ws = sqrtf(6.0f / (float)(9 * C)); /* Kaiming uniform: std sqrt(2 / fan_in) */
    for (int64_t i = 0; i < M * C * 9; i++)
        w[i] = ws * frand();
    for (int64_t i = 0; i < M; i++)
        bias[i] = 0.5f * frand();
    for (int64_t i = 0; i < C; i++) {
        scale[i] = 0.5f + frand() * 0.4f;
        shift[i] = 0.3f * frand();
    }
    const float *bp = tc.bias ? bias : NULL;
    dn_wino_pack(k, mode, w, M, C, packed);
    direct_conv(&tc, x, x_bs, scale, shift, w, bp, OH, OW, ref);

    /* 1, 2 and 3 ranges of units, then every unit alone, last unit first */
    const int64_t units = dn_wino_units(k, mode, N, OH, OW);
    for (int v = 0; v < 4; v++) {
        const int64_t split = v < 3 ? v + 1 : units;
        y[v] = falloc((size_t)(N * y_bs));
        for (int64_t i = 0; i < N * y_bs; i++)
            y[v][i] = sentinel;
        const struct dn_wino_conv cv = {
            .mode = mode, .packed = packed, .x = x, .x_bs = x_bs, .N = N, .C = C, .H = H, .W = W,
            .pt = tc.pt, .pl = tc.pl,
            .pre_scale = tc.pre == 1 || tc.pre == 2 ? scale : NULL,
            .pre_shift = tc.pre == 1 || tc.pre == 2 ? shift : NULL, .pre_relu = tc.pre >= 2,
            .M = M, .OH = OH, .OW = OW, .bias = bp, .relu = tc.relu, .y = y[v], .y_bs = y_bs,
        };
        for (int64_t s = split - 1; s >= 0; s--)
            dn_wino_run(k, &cv, units * s / split, units * (s + 1) / split, scratch);
    }
    double ymax = 0.0, err = 0.0;
    for (int64_t i = 0; i < N * M * OHW; i++)
        ymax = fmax(ymax, fabs(ref[i]));
    for (int64_t b = 0; b < N; b++) {
        for (int64_t i = 0; i < M * OHW; i++) {
            float v = y[0][b * y_bs + i];
            double e = fabs((double)v - ref[b * M * OHW + i]);
            if (!(e <= err))
                err = e; /* NaN sticks */
            if (tc.relu)
                ck_assert_msg(v >= 0.0f, "relu output %g < 0", v);
        }
        for (int64_t i = M * OHW; i < y_bs; i++)
            ck_assert_msg(y[0][b * y_bs + i] == sentinel, "wrote past M*OH*OW in the batch gap");
    }
    double bound = 1e-4 * ymax + 1e-5;
    ck_assert_msg(err <= bound,
                  "%s %s N=%lld C=%lld M=%lld %lldx%lld pad %lld,%lld,%lld,%lld pre=%d bias=%d "
                  "relu=%d: err %g > %g",
                  dn_isa_name(k->isa), mode_name(mode), (long long)N, (long long)C, (long long)M,
                  (long long)H, (long long)W, (long long)tc.pt, (long long)tc.pl, (long long)tc.pb,
                  (long long)tc.pr, tc.pre, tc.bias, tc.relu, err, bound);
    if (ymax > 0 && err / ymax > *worst_rel)
        *worst_rel = err / ymax;
    for (int v = 1; v < 4; v++)
        ck_assert_msg(memcmp(y[0], y[v], sizeof(float) * (size_t)(N * y_bs)) == 0,
                      "%s %s: splitting the units (%d) changed the output", dn_isa_name(k->isa),
                      mode_name(mode), v);
    for (int v = 0; v < 4; v++)
        free(y[v]);
    free(x);
    free(w);
    free(bias);
    free(scale);
    free(shift);
    free(packed);
    free(scratch);
    free(ref);
}

static const struct dn_kernels *kernels_or_skip(int i, enum dn_wino_mode *mode)
{
    *mode = i % 2 ? DN_WINO_ROWS : DN_WINO_COLS;
    if (!dn_isa_supported(isas[i / 2]) || !dn_kernels_for(isas[i / 2])) {
        printf("check_wino: %s not supported here: skipped\n", dn_isa_name(isas[i / 2]));
        return NULL;
    }
    return dn_kernels_for(isas[i / 2]);
}

/* ---- tests -------------------------------------------------------------- */

/* small shapes with remainders in every dimension */
START_TEST(test_shapes_small)
{
    enum dn_wino_mode mode;
    const struct dn_kernels *k = kernels_or_skip(_i, &mode);
    if (!k)
        return;
    static const int64_t cs[] = {1, 3, 17}, ms[] = {1, 7, 32, 33};
    static const int64_t hw[][2] = {{1, 1}, {2, 2}, {5, 5}, {7, 7}, {1, 15}, {15, 2},
                                    {5, 14}, {14, 7}, {15, 15}, {7, 28}};
    double worst = 0.0;
    int count = 0;
    for (size_t ci = 0; ci < 3; ci++)
        for (size_t mi = 0; mi < 4; mi++)
            for (size_t si = 0; si < sizeof hw / sizeof hw[0]; si++) {
                if ((ci + mi + si) % 2)
                    continue;
                struct wcase tc = {1 + (int64_t)((ci + si) % 2), cs[ci], ms[mi], hw[si][0], hw[si][1],
                                   (int)((mi + si) % 2), (int)(si % 3 == 0), (int)((ci + mi + si) % 4),
                                   0, 0, 0, 0};
                run_case(k, mode, tc, &worst);
                count++;
            }
    printf("check_wino: %s %s: %d small cases, worst error / max|y| = %.2e\n", dn_isa_name(k->isa),
           mode_name(mode), count, worst);
}
END_TEST

/* the DenseNet shapes: 128 -> 32 at 56, 28, 14, 7, batch 1 and 2 */
START_TEST(test_shapes_densenet)
{
    enum dn_wino_mode mode;
    const struct dn_kernels *k = kernels_or_skip(_i, &mode);
    if (!k)
        return;
    static const struct wcase cases[] = {
        {1, 128, 32, 56, 56, 1, 1, 2, 0, 0, 0, 0}, {2, 128, 32, 28, 28, 0, 0, 2, 0, 0, 0, 0},
        {1, 128, 32, 14, 14, 1, 0, 2, 0, 0, 0, 0}, {2, 128, 32, 7, 7, 0, 1, 2, 0, 0, 0, 0},
        {1, 128, 33, 15, 28, 1, 1, 1, 0, 0, 0, 0}, {2, 128, 7, 28, 15, 1, 0, 3, 0, 0, 0, 0},
        {3, 64, 48, 14, 14, 1, 1, 2, 0, 0, 0, 0},  {1, 300, 32, 9, 9, 1, 1, 2, 0, 0, 0, 0},
        {1, 32, 16, 58, 61, 0, 1, 0, 0, 0, 0, 0},  {2, 40, 24, 13, 17, 1, 1, 2, 2, 0, 1, 2},
        {1, 24, 40, 20, 9, 1, 0, 1, 0, 2, 2, 0},   {1, 16, 8, 3, 3, 1, 1, 2, 0, 0, 0, 1},
    };
    double worst = 0.0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(k, mode, cases[i], &worst);
    printf("check_wino: %s %s: densenet shapes, worst error / max|y| = %.2e\n",
           dn_isa_name(k->isa), mode_name(mode), worst);
}
END_TEST

static Suite *wino_suite(void)
{
    Suite *s = suite_create("wino");
    TCase *tc = tcase_create("wino");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_shapes_small, 0, 2 * N_ISAS);
    tcase_add_loop_test(tc, test_shapes_densenet, 0, 2 * N_ISAS);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- micro-benchmark ------------------------------------------------------ */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* the runs of pixels n0..n0+n of an OW-wide output, for im2col */
static void im2col_runs(struct dn_im2col *ic, int64_t OW, int64_t WS, int64_t n0, int n)
{
    ic->nruns = 0;
    for (int j = 0; j < n;) {
        int64_t q = n0 + j, oh = q / OW, ow = q % OW, len = OW - ow < n - j ? OW - ow : n - j;
        ic->run_j[ic->nruns] = j;
        ic->run_off[ic->nruns] = oh * WS + ow;
        ic->run_len[ic->nruns++] = len;
        j += (int)len;
    }
}

/* im2col + packed GEMM over staged planes (H+2 x W+2), the way core/exec.c
 * runs a 3x3 conv without Winograd: panels of nr pixels as the GEMM's
 * columns (wpack: tiles of mr output channels), or on maps of at most 256
 * pixels tiles of mr pixels as its rows (wpack: panels of nr channels) */
static void gemm_conv(const struct dn_kernels *k, const float *wpack, const float *st, int64_t C,
                      int64_t HS, int64_t WS, int64_t M, const float *bias, float *y, float *buf)
{
    const int mr = k->mr, nr = k->nr;
    const int64_t OH = HS - 2, OW = WS - 2, OHW = OH * OW, K = C * 9;
    const int64_t blocks = (K + 255) / 256, kc_max = (K + blocks - 1) / blocks;
    struct dn_im2col ic = {.stage = st, .plane = HS * WS, .ws = WS, .sw = 1, .dh = 1, .dw = 1,
                           .kh = 3, .kw = 3};
    if (OHW <= 256) {
        const int64_t nt = (OHW + mr - 1) / mr, np = (M + nr - 1) / nr;
        float *ct = buf + kc_max * mr;
        for (int64_t t = 0; t < nt; t++) {
            const int64_t px0 = t * mr;
            const int m = (int)(OHW - px0 < mr ? OHW - px0 : mr);
            im2col_runs(&ic, OW, WS, px0, m);
            for (int64_t k0 = 0; k0 < K; k0 += kc_max) {
                int64_t kc = K - k0 < kc_max ? K - k0 : kc_max;
                k->pack_im2col(&ic, k0, kc, m, mr, buf);
                for (int64_t p = 0; p < np; p++) {
                    int n = (int)(M - p * nr < nr ? M - p * nr : nr);
                    struct dn_gemm_params gp = {NULL, bias + p * nr, k0 > 0, k0 + kc == K};
                    k->gemm(m, n, kc, buf, wpack + (p * K + k0) * nr, ct + p * mr * nr, nr, &gp);
                }
            }
            for (int64_t mm = 0; mm < M; mm++)
                for (int i = 0; i < m; i++)
                    y[mm * OHW + px0 + i] = ct[(mm / nr) * mr * nr + i * nr + mm % nr];
        }
        return;
    }
    const int64_t np = (OHW + nr - 1) / nr, mt = (M + mr - 1) / mr;
    for (int64_t p = 0; p < np; p++) {
        int64_t n0 = p * nr;
        int n = (int)(OHW - n0 < nr ? OHW - n0 : nr);
        im2col_runs(&ic, OW, WS, n0, n);
        for (int64_t k0 = 0; k0 < K; k0 += kc_max) {
            int64_t kc = K - k0 < kc_max ? K - k0 : kc_max;
            k->pack_im2col(&ic, k0, kc, n, nr, buf);
            for (int64_t t = 0; t < mt; t++) {
                int m = (int)(M - t * mr < mr ? M - t * mr : mr);
                struct dn_gemm_params gp = {bias + t * mr, NULL, k0 > 0, k0 + kc == K};
                k->gemm(m, n, kc, wpack + t * mr * K + k0 * mr, buf, y + n0 + t * mr * OHW, OHW, &gp);
            }
        }
    }
}

static void bench(const struct dn_kernels *k, int64_t C, int64_t M, int64_t N, const int64_t *sizes,
                  int nsizes)
{
    const int64_t layers[] = {6, 12, 24, 16};
    const enum dn_wino_mode modes[2] = {DN_WINO_COLS, DN_WINO_ROWS};
    double tot_g = 0, tot_w[2] = {0, 0}, tot_best = 0;
    printf("%s (mr %d, nr %d), one thread, N=%lld, %lld -> %lld, 3x3 pad 1, BatchNorm+ReLU before, "
           "microseconds (GMAC/s as direct):\n", dn_isa_name(k->isa), k->mr, k->nr, (long long)N,
           (long long)C, (long long)M);
    for (int s = 0; s < nsizes; s++) {
        const int64_t H = sizes[s], HS = H + 2, OHW = H * H, K = C * 9;
        const int64_t mt = (M + k->mr - 1) / k->mr, np = (M + k->nr - 1) / k->nr;
        const int pixrows = OHW <= 256;
        float *st = falloc((size_t)(C * HS * HS)), *scale = falloc((size_t)C), *shift = falloc((size_t)C);
        float *x = falloc((size_t)(N * C * OHW)), *w = falloc((size_t)(M * C * 9));
        float *bias = falloc((size_t)(np * k->nr));
        float *wpack = falloc((size_t)((mt * k->mr + np * k->nr) * K));
        float *buf = falloc((size_t)(256 * k->nr + np * k->mr * k->nr));
        float *y = falloc((size_t)(N * M * OHW));
        for (int64_t i = 0; i < N * C * OHW; i++)
            x[i] = frand();
        for (int64_t i = 0; i < M * C * 9; i++)
            w[i] = 0.04f * frand();
        for (int64_t i = 0; i < np * k->nr; i++)
            bias[i] = i < M ? frand() : 0.0f;
        for (int64_t c = 0; c < C; c++) {
            scale[c] = 0.5f + 0.4f * frand();
            shift[c] = 0.3f * frand();
        }
        if (pixrows)
            for (int64_t p = 0; p < np; p++)
                for (int64_t kk = 0; kk < K; kk++)
                    for (int j = 0; j < k->nr; j++) {
                        int64_t m = p * k->nr + j;
                        wpack[(p * K + kk) * k->nr + j] = m < M ? w[m * K + kk] : 0.0f;
                    }
        else
            for (int64_t t = 0; t < mt; t++)
                for (int64_t kk = 0; kk < K; kk++)
                    for (int i = 0; i < k->mr; i++) {
                        int64_t m = t * k->mr + i;
                        wpack[(t * K + kk) * k->mr + i] = m < M ? w[m * K + kk] : 0.0f;
                    }
        float *packed[2], *scratch[2];
        int64_t units[2];
        for (int md = 0; md < 2; md++) {
            packed[md] = falloc(dn_wino_weight_floats(k, modes[md], M, C));
            scratch[md] = falloc(dn_wino_scratch_floats(k, modes[md], M, C));
            dn_wino_pack(k, modes[md], w, M, C, packed[md]);
            units[md] = dn_wino_units(k, modes[md], N, H, H);
        }
        double best_g = 1e30, best_w[2] = {1e30, 1e30};
        int reps = (int)(200000 / (N * OHW)) + 3;
        for (int r = 0; r < 7; r++) {
            double t0 = now_ms();
            for (int i = 0; i < reps; i++)
                for (int64_t b = 0; b < N; b++) {
                    for (int64_t c = 0; c < C; c++)
                        k->stage_plane(x + (b * C + c) * OHW, H, H, scale[c], shift[c], 1, 1, 0, 1, 1,
                                       HS, HS, st + c * HS * HS);
                    gemm_conv(k, wpack, st, C, HS, HS, M, bias, y + b * M * OHW, buf);
                }
            best_g = fmin(best_g, (now_ms() - t0) / reps);
            for (int md = 0; md < 2; md++) {
                const struct dn_wino_conv cv = {
                    .mode = modes[md], .packed = packed[md], .x = x, .x_bs = C * OHW, .N = N, .C = C,
                    .H = H, .W = H, .pt = 1, .pl = 1, .pre_scale = scale, .pre_shift = shift,
                    .pre_relu = 1, .M = M, .OH = H, .OW = H, .bias = bias, .relu = 1, .y = y,
                    .y_bs = M * OHW,
                };
                t0 = now_ms();
                for (int i = 0; i < reps; i++)
                    dn_wino_run(k, &cv, 0, units[md], scratch[md]);
                best_w[md] = fmin(best_w[md], (now_ms() - t0) / reps);
            }
        }
        double macs = (double)(N * M * C * 9 * OHW);
        printf("  %2lldx%-2lld  %s %8.1f (%5.1f)  wino cols %8.1f (%5.1f)  wino rows %8.1f (%5.1f)\n",
               (long long)H, (long long)H, pixrows ? "im2col pixrows" : "im2col panels ", best_g * 1e3,
               macs / best_g * 1e-6, best_w[0] * 1e3, macs / best_w[0] * 1e-6, best_w[1] * 1e3,
               macs / best_w[1] * 1e-6);
        if (s < 4) {
            tot_g += layers[s] * best_g;
            tot_w[0] += layers[s] * best_w[0];
            tot_w[1] += layers[s] * best_w[1];
            tot_best += layers[s] * fmin(best_g, fmin(best_w[0], best_w[1]));
        }
        for (int md = 0; md < 2; md++)
            free(packed[md]), free(scratch[md]);
        free(st), free(scale), free(shift), free(x), free(w), free(bias), free(wpack), free(buf), free(y);
    }
    if (sizes[0] == 56 && nsizes == 4)
        printf("  as DenseNet-121's 3x3 convs (6/12/24/16 layers): im2col %.2f ms, cols %.2f ms, rows "
               "%.2f ms, best of three per map %.2f ms\n", tot_g, tot_w[0], tot_w[1], tot_best);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
        /* --bench [isa|all [C M [N [size...]]]] */
        const int64_t C = argc > 4 ? atoll(argv[3]) : 128, M = argc > 4 ? atoll(argv[4]) : 32;
        const int64_t N = argc > 5 ? atoll(argv[5]) : 1;
        int64_t sizes[16] = {56, 28, 14, 7};
        int nsizes = 4;
        if (argc > 6)
            for (nsizes = 0; nsizes < 16 && 6 + nsizes < argc; nsizes++)
                sizes[nsizes] = atoll(argv[6 + nsizes]);
        int ok = C >= 1 && M >= 1 && N >= 1;
        for (int i = 0; i < nsizes; i++)
            ok &= sizes[i] >= 1;
        if (!ok) {
            fprintf(stderr, "usage: check_wino --bench [isa|all [C M [N [size...]]]]\n");
            return EXIT_FAILURE;
        }
        for (int i = 0; i < N_ISAS; i++) {
            if (argc > 2 && strcmp(argv[2], "all") != 0 && strcmp(argv[2], dn_isa_name(isas[i])) != 0)
                continue;
            if (dn_isa_supported(isas[i]) && dn_kernels_for(isas[i]))
                bench(dn_kernels_for(isas[i]), C, M, N, sizes, nsizes);
        }
        return EXIT_SUCCESS;
    }
    SRunner *sr = srunner_create(wino_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
