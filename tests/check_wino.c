/* tests/check_wino.c - Check suite for the Winograd F(4x4, 3x3) convolution
 * (core/winograd.c and each kernel set's wino-inc.h transforms).
 *
 * Every case stages random inputs in [-1, 1] the way the executor does (zero
 * padding 1 each side), runs dn_wino_run and compares with a direct 3x3 conv
 * summed in double: max abs error <= 1e-4 * max|y| + 1e-5. The same case is
 * rerun with the units split into 2 and 3 ranges and must match bit for bit;
 * an output batch stride wider than M * OH * OW must leave the gap untouched.
 * Each test runs once per ISA; one the CPU lacks is reported as skipped.
 *
 * `check_wino --bench [isa]` instead times 128 -> 32 channels at 56, 28, 14
 * and 7 on one thread against im2col + packed GEMM as core/exec.c does it.
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

/* the executor's staging: per (image, channel), H+2 x W+2 with a zero border */
static void stage_input(const float *x, int64_t N, int64_t C, int64_t H, int64_t W, float *st)
{
    const int64_t HS = H + 2, WS = W + 2;
    memset(st, 0, sizeof(float) * (size_t)(N * C * HS * WS));
    for (int64_t p = 0; p < N * C; p++)
        for (int64_t r = 0; r < H; r++)
            memcpy(st + p * HS * WS + (r + 1) * WS + 1, x + (p * H + r) * W, sizeof(float) * (size_t)W);
}

/* y[b][m] = bias + sum over c, ky, kx of w * x (pad 1), in double */
static void direct_conv(const float *x, const float *w, const float *bias, int relu, int64_t N,
                        int64_t C, int64_t H, int64_t W, int64_t M, double *y)
{
    for (int64_t b = 0; b < N; b++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t oh = 0; oh < H; oh++)
                for (int64_t ow = 0; ow < W; ow++) {
                    double acc = bias ? bias[m] : 0.0;
                    for (int64_t c = 0; c < C; c++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int64_t ih = oh + ky - 1, iw = ow + kx - 1;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                                    continue;
                                acc += (double)w[((m * C + c) * 3 + ky) * 3 + kx] *
                                       x[((b * C + c) * H + ih) * W + iw];
                            }
                    y[((b * M + m) * H + oh) * W + ow] = relu && acc < 0 ? 0.0 : acc;
                }
}

struct wcase {
    int64_t N, C, M, H, W;
    int bias, relu;
};

/* Runs one case on kernel table k; returns the error bound's headroom */
static void run_case(const struct dn_kernels *k, const struct wcase *tc, double *worst_rel)
{
    const int64_t N = tc->N, C = tc->C, M = tc->M, H = tc->H, W = tc->W;
    const int64_t HS = H + 2, WS = W + 2, OHW = H * W, y_bs = M * OHW + 5;
    const float sentinel = 12345.0f;
    float *x = falloc((size_t)(N * C * H * W)), *w = falloc((size_t)(M * C * 9));
    float *bias = falloc((size_t)M), *st = falloc((size_t)(N * C * HS * WS));
    float *packed = falloc(dn_wino_weight_floats(k, M, C));
    float *scratch = falloc(dn_wino_scratch_floats(k, M, C));
    float *y[3];
    double *ref = malloc(sizeof(double) * (size_t)(N * M * OHW));
    ck_assert_ptr_nonnull(ref);
    rng_state = (uint64_t)(N * 1000003 + C * 10007 + M * 101 + H * 13 + W) * 2654435761u + 1;
    for (int64_t i = 0; i < N * C * H * W; i++)
        x[i] = frand();
    const float ws = sqrtf(6.0f / (float)(9 * C)); /* Kaiming uniform: std sqrt(2 / fan_in) */
    for (int64_t i = 0; i < M * C * 9; i++)
        w[i] = ws * frand();
    for (int64_t i = 0; i < M; i++)
        bias[i] = 0.5f * frand();
    const float *bp = tc->bias ? bias : NULL;
    stage_input(x, N, C, H, W, st);
    dn_wino_pack(k, w, M, C, packed);
    direct_conv(x, w, bp, tc->relu, N, C, H, W, M, ref);

    const int64_t units = dn_wino_units(k, N, H, W);
    for (int split = 1; split <= 3; split++) {
        y[split - 1] = falloc((size_t)(N * y_bs));
        for (int64_t i = 0; i < N * y_bs; i++)
            y[split - 1][i] = sentinel;
        for (int s = 0; s < split; s++)
            dn_wino_run(k, packed, st, N, C, HS, WS, M, bp, tc->relu, y[split - 1], y_bs,
                        units * s / split, units * (s + 1) / split, scratch);
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
            if (tc->relu)
                ck_assert_msg(v >= 0.0f, "relu output %g < 0", v);
        }
        for (int64_t i = M * OHW; i < y_bs; i++)
            ck_assert_msg(y[0][b * y_bs + i] == sentinel, "wrote past M*OH*OW in the batch gap");
    }
    double bound = 1e-4 * ymax + 1e-5;
    ck_assert_msg(err <= bound, "%s N=%lld C=%lld M=%lld %lldx%lld bias=%d relu=%d: err %g > %g",
                  dn_isa_name(k->isa), (long long)N, (long long)C, (long long)M, (long long)H,
                  (long long)W, tc->bias, tc->relu, err, bound);
    if (ymax > 0 && err / ymax > *worst_rel)
        *worst_rel = err / ymax;
    for (int s = 1; s < 3; s++)
        ck_assert_msg(memcmp(y[0], y[s], sizeof(float) * (size_t)(N * y_bs)) == 0,
                      "split into %d ranges changed the output", s + 1);
    for (int s = 0; s < 3; s++)
        free(y[s]);
    free(x);
    free(w);
    free(bias);
    free(st);
    free(packed);
    free(scratch);
    free(ref);
}

static const struct dn_kernels *kernels_or_skip(int i)
{
    if (!dn_isa_supported(isas[i]) || !dn_kernels_for(isas[i])) {
        printf("check_wino: %s not supported here: skipped\n", dn_isa_name(isas[i]));
        return NULL;
    }
    return dn_kernels_for(isas[i]);
}

/* ---- tests -------------------------------------------------------------- */

/* small shapes with remainders in every dimension */
START_TEST(test_shapes_small)
{
    const struct dn_kernels *k = kernels_or_skip(_i);
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
                                   (int)((mi + si) % 2), (int)(si % 3 == 0)};
                run_case(k, &tc, &worst);
                count++;
            }
    printf("check_wino: %s: %d small cases, worst error / max|y| = %.2e\n", dn_isa_name(k->isa),
           count, worst);
}
END_TEST

/* the DenseNet shapes: 128 -> 32 at 56, 28, 14, 7, batch 1 and 2 */
START_TEST(test_shapes_densenet)
{
    const struct dn_kernels *k = kernels_or_skip(_i);
    if (!k)
        return;
    static const struct wcase cases[] = {
        {1, 128, 32, 56, 56, 1, 1}, {2, 128, 32, 28, 28, 0, 0}, {1, 128, 32, 14, 14, 1, 0},
        {2, 128, 32, 7, 7, 0, 1},   {1, 128, 33, 15, 28, 1, 1}, {2, 128, 7, 28, 15, 1, 0},
    };
    double worst = 0.0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(k, &cases[i], &worst);
    printf("check_wino: %s: densenet shapes, worst error / max|y| = %.2e\n", dn_isa_name(k->isa),
           worst);
}
END_TEST

static Suite *wino_suite(void)
{
    Suite *s = suite_create("wino");
    TCase *tc = tcase_create("wino");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_shapes_small, 0, N_ISAS);
    tcase_add_loop_test(tc, test_shapes_densenet, 0, N_ISAS);
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

/* im2col + packed GEMM over staged planes, the way core/exec.c runs a conv */
static void gemm_conv(const struct dn_kernels *k, const float *wpack, const float *st, int64_t C,
                      int64_t HS, int64_t WS, int64_t M, const float *bias, float *y, float *bpack)
{
    const int mr = k->mr, nr = k->nr;
    const int64_t OH = HS - 2, OW = WS - 2, OHW = OH * OW, np = (OHW + nr - 1) / nr;
    const int64_t K = C * 9, blocks = (K + 511) / 512, kc_max = (K + blocks - 1) / blocks;
    const int64_t mt = (M + mr - 1) / mr;
    struct dn_im2col ic = {.stage = st, .plane = HS * WS, .ws = WS, .sw = 1, .dh = 1, .dw = 1,
                           .kh = 3, .kw = 3};
    for (int64_t p = 0; p < np; p++) {
        int64_t n0 = p * nr;
        int n = (int)(OHW - n0 < nr ? OHW - n0 : nr);
        ic.nruns = 0;
        for (int j = 0; j < n;) {
            int64_t q = n0 + j, oh = q / OW, ow = q % OW, len = OW - ow < n - j ? OW - ow : n - j;
            ic.run_j[ic.nruns] = j;
            ic.run_off[ic.nruns] = oh * WS + ow;
            ic.run_len[ic.nruns++] = len;
            j += (int)len;
        }
        for (int64_t k0 = 0; k0 < K; k0 += kc_max) {
            int64_t kc = K - k0 < kc_max ? K - k0 : kc_max;
            k->pack_im2col(&ic, k0, kc, n, nr, bpack);
            for (int64_t t = 0; t < mt; t++) {
                int m = (int)(M - t * mr < mr ? M - t * mr : mr);
                struct dn_gemm_params gp = {bias + t * mr, NULL, k0 > 0, k0 + kc == K};
                k->gemm(m, n, kc, wpack + t * mr * K + k0 * mr, bpack, y + n0 + t * mr * OHW, OHW, &gp);
            }
        }
    }
}

static void bench(const struct dn_kernels *k)
{
    const int64_t C = 128, M = 32, sizes[] = {56, 28, 14, 7}, layers[] = {6, 12, 24, 16};
    double tot_g = 0, tot_w = 0;
    printf("%s (mr %d, nr %d), one thread, N=1, 128 -> 32, 3x3 pad 1:\n", dn_isa_name(k->isa), k->mr,
           k->nr);
    for (int s = 0; s < 4; s++) {
        const int64_t H = sizes[s], HS = H + 2, OHW = H * H, mt = (M + k->mr - 1) / k->mr;
        float *st = falloc((size_t)(C * HS * HS)), *x = falloc((size_t)(C * OHW));
        float *w = falloc((size_t)(M * C * 9)), *bias = falloc((size_t)M);
        float *wpack = falloc((size_t)(mt * k->mr * C * 9)), *bpack = falloc((size_t)(512 * k->nr));
        float *packed = falloc(dn_wino_weight_floats(k, M, C));
        float *scratch = falloc(dn_wino_scratch_floats(k, M, C)), *y = falloc((size_t)(M * OHW));
        for (int64_t i = 0; i < C * OHW; i++)
            x[i] = frand();
        for (int64_t i = 0; i < M * C * 9; i++)
            w[i] = 0.04f * frand();
        for (int64_t i = 0; i < M; i++)
            bias[i] = frand();
        stage_input(x, 1, C, H, H, st);
        for (int64_t t = 0; t < mt; t++)
            for (int64_t kk = 0; kk < C * 9; kk++)
                for (int i = 0; i < k->mr; i++)
                    wpack[(t * C * 9 + kk) * k->mr + i] = t * k->mr + i < M ? w[(t * k->mr + i) * C * 9 + kk] : 0.0f;
        dn_wino_pack(k, w, M, C, packed);
        const int64_t units = dn_wino_units(k, 1, H, H);
        double best_g = 1e30, best_w = 1e30;
        int reps = (int)(200000 / OHW) + 3;
        for (int r = 0; r < 5; r++) {
            double t0 = now_ms();
            for (int i = 0; i < reps; i++)
                gemm_conv(k, wpack, st, C, HS, HS, M, bias, y, bpack);
            double t1 = now_ms();
            for (int i = 0; i < reps; i++)
                dn_wino_run(k, packed, st, 1, C, HS, HS, M, bias, 1, y, M * OHW, 0, units, scratch);
            double t2 = now_ms();
            best_g = fmin(best_g, (t1 - t0) / reps);
            best_w = fmin(best_w, (t2 - t1) / reps);
        }
        double macs = (double)(M * C * 9 * OHW);
        printf("  %2lldx%-2lld  im2col+gemm %8.1f us (%5.1f GMAC/s)  winograd %8.1f us (%5.1f eff. GMAC/s)  speedup %.2fx\n",
               (long long)H, (long long)H, best_g * 1e3, macs / best_g * 1e-6, best_w * 1e3,
               macs / best_w * 1e-6, best_g / best_w);
        tot_g += layers[s] * best_g;
        tot_w += layers[s] * best_w;
        free(st), free(x), free(w), free(bias), free(wpack), free(bpack), free(packed), free(scratch), free(y);
    }
    printf("  DenseNet-121 3x3 convs (6/12/24/16 layers): %.2f ms -> %.2f ms, %.2fx\n", tot_g, tot_w,
           tot_g / tot_w);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
        for (int i = 0; i < N_ISAS; i++) {
            if (argc > 2 && strcmp(argv[2], dn_isa_name(isas[i])) != 0)
                continue;
            if (dn_isa_supported(isas[i]) && dn_kernels_for(isas[i]))
                bench(dn_kernels_for(isas[i]));
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
