/* tests/check_exec.c - Check suite for the optimized executor of one kernel set
 * against the reference executor (the oracle).
 *
 * Usage: check_exec ISA   (generic, avx2 or avx512). Exits 77 (skip) when this
 * CPU or build cannot run ISA, so a missing ISA is reported as skipped, never
 * as passed.
 *
 * - the GEMM microkernel against a double-precision product over every tile
 *   size m <= mr, n <= nr, several depths, with and without bias, ReLU, and
 *   accumulation onto C;
 * - Conv over a sweep of shapes with remainders (kernels 1, 3, 7; strides 1,
 *   2; padding; dilation; odd sizes; batch 1 and 3), alone and with the
 *   BatchNorm+ReLU before it and the Relu after it that the passes fuse;
 *   MaxPool/AveragePool, Gemm and GlobalAveragePool;
 * - the built-in DenseNet-121 (every pass: fused BatchNorm+ReLU, transitions
 *   pooled first, concatenation in place) at batch 1 and 2, with each pass
 *   switched off in turn;
 * - keep_features on the built-in DenseNet-121: logits bit-identical to a
 *   plain session, features, pooled features and CAMs bit-identical at 1 and
 *   2 threads and close to the reference executor's, mean(cam) + bias and
 *   weight . pooled + bias equal to the logits;
 * and in every case the outputs for 1, 2 and 3 threads are bit-identical;
 * and sessions over their memory limit fail before they allocate.
 * Fast and reference outputs agree within 1e-4 * max|ref| + 1e-5.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/densenet.h"
#include "core/graph.h"
#include "core/kernels/kernels.h"

static enum dn_isa isa;

/* ---- data ------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static float frand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng >> 40) & 0xffffff) / (float)0x1000000 * 2.0f - 1.0f;
}

static float *rand_floats(int64_t n)
{
    float *p = malloc(sizeof(float) * (size_t)(n ? n : 1));
    ck_assert_ptr_nonnull(p);
    for (int64_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

/* ---- microkernel ------------------------------------------------------ */

START_TEST(test_gemm_microkernel)
{
    const struct dn_kernels *k = dn_kernels_for(isa);
    ck_assert_ptr_nonnull(k);
    const int64_t depths[] = {1, 2, 7, 64, 257};
    for (size_t di = 0; di < sizeof depths / sizeof *depths; di++) {
        int64_t kc = depths[di];
        /* aligned_alloc wants a multiple of the alignment */
        float *a = aligned_alloc(64, sizeof(float) * (size_t)((kc * k->mr + 31) / 16 * 16));
        float *b = aligned_alloc(64, sizeof(float) * (size_t)((kc * k->nr + 31) / 16 * 16));
        for (int64_t i = 0; i < kc * k->mr; i++)
            a[i] = frand();
        for (int64_t i = 0; i < kc * k->nr; i++)
            b[i] = frand();
        float rb[64], cb[64], c[64 * 80], c0[64 * 80];
        for (int i = 0; i < 64; i++)
            rb[i] = frand(), cb[i] = frand();
        const int64_t ldc = k->nr + 3;
        for (int m = 1; m <= k->mr; m++)
            for (int n = 1; n <= k->nr; n++)
                for (int mode = 0; mode < 8; mode++) {
                    struct dn_gemm_params p = {mode & 1 ? rb : NULL, mode & 2 ? cb : NULL, mode & 4 ? 1 : 0,
                                               (m + n) & 1};
                    for (int i = 0; i < k->mr * ldc; i++)
                        c[i] = c0[i] = frand();
                    k->gemm(m, n, kc, a, b, c, ldc, &p);
                    for (int i = 0; i < k->mr; i++)
                        for (int j = 0; j < ldc; j++) {
                            float got = c[i * ldc + j];
                            if (i >= m || j >= n) {
                                ck_assert_msg(got == c0[i * ldc + j], "m=%d n=%d wrote outside the tile", m, n);
                                continue;
                            }
                            double want = p.load_c ? c0[i * ldc + j]
                                                   : (p.row_bias ? rb[i] : 0.0) + (p.col_bias ? cb[j] : 0.0);
                            double mag = fabs(want);
                            for (int64_t q = 0; q < kc; q++) {
                                want += (double)a[q * k->mr + i] * b[q * k->nr + j];
                                mag += fabs((double)a[q * k->mr + i] * b[q * k->nr + j]);
                            }
                            if (p.relu && want < 0)
                                want = 0;
                            ck_assert_msg(fabs(got - want) <= 1e-6 * mag + 1e-7,
                                          "m=%d n=%d kc=%lld mode=%d: %g vs %g", m, n, (long long)kc, mode,
                                          got, want);
                        }
                }
        free(a);
        free(b);
    }
}
END_TEST

/* ---- graphs ----------------------------------------------------------- */

struct g {
    struct dn_graph *g;
    int n;
};

static int val(struct g *t)
{
    char name[32];
    snprintf(name, sizeof name, "v%d", t->n++);
    int v = dn_graph_add_value(t->g, name);
    ck_assert_int_ge(v, 0);
    return v;
}

static int konst(struct g *t, struct dn_shape s, float lo, float hi)
{
    int v = val(t);
    int64_t n = dn_shape_numel(&s);
    float *d = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++)
        d[i] = lo + (frand() + 1.0f) * 0.5f * (hi - lo);
    t->g->values[v].kind = DN_VALUE_CONST;
    t->g->values[v].shape = s;
    t->g->values[v].data = d;
    t->g->values[v].initializer = 1;
    return v;
}

static int node(struct g *t, enum dn_op op, union dn_params p, int n_in, const int *in)
{
    int out = val(t);
    char name[32];
    snprintf(name, sizeof name, "n%d", t->n);
    int k = dn_graph_add_node(t->g, op, name, 13, n_in, in, 1, &out);
    ck_assert_int_ge(k, 0);
    t->g->nodes[k].p = p;
    return out;
}

static int batchnorm(struct g *t, int x, int64_t c)
{
    struct dn_shape s = {1, {c}};
    int in[5] = {x, konst(t, s, 0.5f, 1.5f), konst(t, s, -0.1f, 0.1f), konst(t, s, -0.1f, 0.1f),
                 konst(t, s, 0.5f, 1.5f)};
    union dn_params p = {.bn = {1e-5f}};
    return node(t, DN_OP_BATCHNORM, p, 5, in);
}

static int relu(struct g *t, int x)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    return node(t, DN_OP_RELU, p, 1, &x);
}

static union dn_params win(int64_t k, int64_t s, int64_t pad, int64_t d)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.win.kernel[0] = p.win.kernel[1] = k;
    p.win.stride[0] = p.win.stride[1] = s;
    p.win.pads[0] = p.win.pads[1] = p.win.pads[2] = p.win.pads[3] = pad;
    p.win.dilation[0] = p.win.dilation[1] = d;
    p.win.group = 1;
    p.win.has_kernel = 1;
    return p;
}

static int conv(struct g *t, int x, int64_t c, int64_t m, int64_t k, int64_t s, int64_t pad, int64_t d,
                int bias)
{
    float scale = 1.0f / sqrtf((float)(c * k * k));
    struct dn_shape ws = {4, {m, c, k, k}}, bs = {1, {m}};
    int in[3] = {x, konst(t, ws, -scale, scale), bias ? konst(t, bs, -0.1f, 0.1f) : -1};
    return node(t, DN_OP_CONV, win(k, s, pad, d), bias ? 3 : 2, in);
}

/* Runs g on input x (shape s) with opts; returns a malloc'ed copy of output 0. */
static float *run(const struct dn_graph *g, struct dn_shape s, const float *x, enum dn_isa which,
                  int threads, const char *no_opt, int64_t *n_out)
{
    struct dn_session_opts o;
    dn_session_opts_default(&o);
    o.isa = which;
    o.threads = threads;
    o.no_opt = no_opt;
    struct dn_session *ss;
    ck_assert_int_eq(dn_session_init_opts(&ss, g, 1, &s, &o), DN_OK);
    const float *in[1] = {x};
    ck_assert_int_eq(dn_session_run(ss, in), DN_OK);
    struct dn_tensor y = dn_session_output(ss, 0);
    *n_out = dn_shape_numel(&y.shape);
    float *copy = malloc(sizeof(float) * (size_t)*n_out);
    memcpy(copy, y.data, sizeof(float) * (size_t)*n_out);
    dn_session_free(ss);
    return copy;
}

/* fast vs reference within tolerance; 1, 2, 3 threads bit-identical */
static void check_graph(const struct dn_graph *g, struct dn_shape s, const char *no_opt, const char *what)
{
    float *x = rand_floats(dn_shape_numel(&s));
    int64_t nr, nf;
    float *ref = run(g, s, x, DN_ISA_REFERENCE, 1, NULL, &nr);
    float *fast1 = run(g, s, x, isa, 1, no_opt, &nf);
    ck_assert_int_eq(nr, nf);
    double maxref = 0, maxdiff = 0;
    for (int64_t i = 0; i < nr; i++) {
        maxref = fmax(maxref, fabs(ref[i]));
        maxdiff = fmax(maxdiff, fabs((double)ref[i] - fast1[i]));
    }
    ck_assert_msg(maxdiff <= 1e-4 * maxref + 1e-5, "%s: max|diff| %g with max|ref| %g", what, maxdiff, maxref);
    for (int th = 2; th <= 3; th++) {
        float *fast = run(g, s, x, isa, th, no_opt, &nf);
        ck_assert_msg(memcmp(fast, fast1, sizeof(float) * (size_t)nf) == 0,
                      "%s: %d threads differ from 1 thread", what, th);
        free(fast);
    }
    free(x);
    free(ref);
    free(fast1);
}

static struct g start(struct dn_shape s, int *x)
{
    struct g t = {0};
    ck_assert_int_eq(dn_graph_init(&t.g), DN_OK);
    *x = val(&t);
    t.g->values[*x].shape = s;
    ck_assert_int_eq(dn_graph_add_input(t.g, *x), DN_OK);
    return t;
}

static void finish(struct g *t, int y, struct dn_shape s, const char *no_opt, const char *what)
{
    ck_assert_int_eq(dn_graph_add_output(t->g, y), DN_OK);
    ck_assert_int_eq(dn_graph_finish(t->g), DN_OK);
    check_graph(t->g, s, no_opt, what);
    dn_graph_free(t->g);
}

START_TEST(test_conv_sweep)
{
    /* C, M, H, W, k, stride, pad, dilation, batch */
    static const int64_t cases[][9] = {
        {1, 1, 1, 1, 1, 1, 0, 1, 1},    {3, 5, 7, 9, 1, 1, 0, 1, 1},    {17, 33, 5, 11, 1, 1, 0, 1, 3},
        {64, 128, 14, 14, 1, 1, 0, 1, 1}, {128, 32, 7, 7, 3, 1, 1, 1, 2}, {20, 13, 15, 6, 3, 1, 1, 1, 1},
        {3, 16, 23, 19, 7, 2, 3, 1, 1}, {5, 7, 9, 9, 3, 2, 0, 1, 3},    {4, 6, 10, 12, 3, 1, 2, 2, 1},
        {9, 40, 1, 33, 1, 1, 0, 1, 2},  {2, 3, 6, 5, 5, 1, 2, 1, 1},    {300, 12, 4, 4, 3, 1, 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const int64_t *c = cases[i];
        for (int variant = 0; variant < 3; variant++) {
            struct dn_shape s = {4, {c[8], c[0], c[2], c[3]}};
            int x;
            struct g t = start(s, &x);
            int h = x;
            if (variant >= 1)
                h = relu(&t, batchnorm(&t, h, c[0]));
            int y = conv(&t, h, c[0], c[1], c[4], c[5], c[6], c[7], variant != 1);
            if (variant == 2)
                y = relu(&t, y);
            char what[96];
            snprintf(what, sizeof what, "conv case %zu variant %d", i, variant);
            finish(&t, y, s, NULL, what);
        }
    }
}
END_TEST

START_TEST(test_pools_fc)
{
    for (int k = 0; k < 4; k++) {
        struct dn_shape s = {4, {2, 5, 13, 11}};
        int x;
        struct g t = start(s, &x);
        union dn_params p = win(3, 2, 1, 1);
        if (k & 1)
            p.win.ceil_mode = 1;
        if (k & 2)
            p.win.count_include_pad = 1;
        int y = node(&t, k < 2 ? DN_OP_MAXPOOL : DN_OP_AVGPOOL, p, 1, &x);
        finish(&t, y, s, NULL, "pool");
    }
    {
        /* BN -> Relu -> GlobalAveragePool -> Flatten -> Gemm(transB) */
        struct dn_shape s = {4, {3, 40, 5, 3}};
        int x;
        struct g t = start(s, &x);
        union dn_params p;
        memset(&p, 0, sizeof p);
        int y = node(&t, DN_OP_GLOBALAVGPOOL, p, 1, (int[]){relu(&t, batchnorm(&t, x, 40))});
        p.axis.axis = 1;
        y = node(&t, DN_OP_FLATTEN, p, 1, &y);
        union dn_params gp = {.gemm = {1.0f, 1.0f, 0, 1}};
        struct dn_shape ws = {2, {37, 40}}, bs = {1, {37}};
        int in[3] = {y, konst(&t, ws, -0.2f, 0.2f), konst(&t, bs, -0.1f, 0.1f)};
        y = node(&t, DN_OP_GEMM, gp, 3, in);
        finish(&t, y, s, NULL, "gap+gemm");
    }
}
END_TEST

static void densenet(int64_t batch, int64_t size, const char *no_opt)
{
    struct dn_graph *g;
    ck_assert_int_eq(dn_graph_densenet(&g, "densenet121", batch, size, 7), DN_OK);
    struct dn_shape s = {4, {batch, 3, size, size}};
    char what[96];
    snprintf(what, sizeof what, "densenet121 %lldx%lld no-opt=%s", (long long)batch, (long long)size,
             no_opt ? no_opt : "");
    check_graph(g, s, no_opt, what);
    dn_graph_free(g);
}

START_TEST(test_densenet)
{
    densenet(1, 64, NULL);
    densenet(2, 45, NULL);
    /* maps over 16x16 through the first transition, which a batch runs image
     * by image: one image per thread in rounds, then the one left over */
    densenet(3, 96, NULL);
}
END_TEST

START_TEST(test_densenet_each_pass_off)
{
    for (int i = 0; i < dn_pass_count(); i++)
        densenet(2, 32, dn_pass_name(i, NULL));
    densenet(1, 32, "all");
}
END_TEST

/* A keep_features session of the built-in DenseNet-121: its logits are the
 * ones of a plain session, bit for bit; its features, pooled features and
 * CAMs are bit-identical at 1 and 2 threads and agree with the reference
 * executor's; mean(cam) + bias is the logit and weight . pooled + bias too. */
struct kept {
    float *logits, *feat, *pooled, *cam;
    int64_t n_logits, n_feat, n_pooled, n_cam;
};

static struct kept run_kept(const struct dn_graph *g, struct dn_shape s, const float *x, enum dn_isa which,
                            int threads, struct dn_tensor *w, struct dn_tensor *b)
{
    struct dn_session_opts o;
    dn_session_opts_default(&o);
    o.isa = which;
    o.threads = threads;
    o.keep_features = 1;
    struct dn_session *ss;
    struct kept k;
    ck_assert_int_eq(dn_session_init_opts(&ss, g, 1, &s, &o), DN_OK);
    const float *in[1] = {x};
    ck_assert_int_eq(dn_session_run(ss, in), DN_OK);
    struct dn_tensor y = dn_session_output(ss, 0), f = dn_session_features(ss), cw, cb;
    ck_assert_int_eq(dn_session_classifier(ss, &cw, &cb), DN_OK);
    ck_assert_int_eq(f.shape.ndim, 4);
    ck_assert_int_eq(f.shape.d[0], s.d[0]);
    ck_assert_int_eq(f.shape.d[1], 1024);
    ck_assert_int_eq(cw.shape.d[0], 1000);
    ck_assert_int_eq(cw.shape.d[1], 1024);
    const int64_t N = f.shape.d[0], K = f.shape.d[1], S = f.shape.d[2] * f.shape.d[3];
    k.n_logits = dn_shape_numel(&y.shape);
    k.n_feat = dn_shape_numel(&f.shape);
    k.n_pooled = N * K;
    k.n_cam = N * 3 * S;
    k.logits = malloc(sizeof(float) * (size_t)k.n_logits);
    k.feat = malloc(sizeof(float) * (size_t)k.n_feat);
    k.pooled = malloc(sizeof(float) * (size_t)k.n_pooled);
    k.cam = malloc(sizeof(float) * (size_t)k.n_cam);
    memcpy(k.logits, y.data, sizeof(float) * (size_t)k.n_logits);
    memcpy(k.feat, f.data, sizeof(float) * (size_t)k.n_feat);
    ck_assert_int_eq(dn_session_pooled(ss, k.pooled), DN_OK);
    const int64_t classes[3] = {0, 417, 999};
    for (int64_t i = 0; i < N; i++)
        for (int c = 0; c < 3; c++)
            ck_assert_int_eq(dn_session_cam(ss, i, classes[c], k.cam + (i * 3 + c) * S), DN_OK);
    ck_assert_int_eq(dn_session_cam(ss, N, 0, k.cam), DN_ERR_ARG);
    ck_assert_int_eq(dn_session_cam(ss, 0, 1000, k.cam), DN_ERR_ARG);
    if (w) { /* copies of the classifier for the caller */
        *w = cw;
        *b = cb;
        w->data = malloc(sizeof(float) * 1000 * 1024);
        b->data = malloc(sizeof(float) * 1000);
        memcpy(w->data, cw.data, sizeof(float) * 1000 * 1024);
        memcpy(b->data, cb.data, sizeof(float) * 1000);
    }
    dn_session_free(ss);
    return k;
}

static void kept_free(struct kept *k)
{
    free(k->logits);
    free(k->feat);
    free(k->pooled);
    free(k->cam);
}

static double max_abs(const float *a, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

static void ck_close(const float *got, const float *want, int64_t n, const char *what)
{
    double d = 0;
    for (int64_t i = 0; i < n; i++)
        d = fmax(d, fabs((double)got[i] - want[i]));
    ck_assert_msg(d <= 1e-4 * max_abs(want, n) + 1e-5, "%s: max|diff| %g, max|want| %g", what, d,
                  max_abs(want, n));
}

START_TEST(test_keep_features)
{
    struct dn_graph *g;
    const int64_t N = 2, size = 64;
    ck_assert_int_eq(dn_graph_densenet(&g, "densenet121", N, size, 7), DN_OK);
    struct dn_shape s = {4, {N, 3, size, size}};
    float *x = rand_floats(dn_shape_numel(&s));
    int64_t n_plain;
    float *plain = run(g, s, x, isa, 1, NULL, &n_plain);
    struct dn_tensor w, b;
    struct kept k1 = run_kept(g, s, x, isa, 1, &w, &b);
    struct kept k2 = run_kept(g, s, x, isa, 2, NULL, NULL);
    struct kept kr = run_kept(g, s, x, DN_ISA_REFERENCE, 1, NULL, NULL);
    ck_assert_int_eq(n_plain, k1.n_logits);
    ck_assert_msg(memcmp(plain, k1.logits, sizeof(float) * (size_t)n_plain) == 0,
                  "keep_features changes the logits");
    ck_assert(memcmp(k1.feat, k2.feat, sizeof(float) * (size_t)k1.n_feat) == 0);
    ck_assert(memcmp(k1.pooled, k2.pooled, sizeof(float) * (size_t)k1.n_pooled) == 0);
    ck_assert(memcmp(k1.cam, k2.cam, sizeof(float) * (size_t)k1.n_cam) == 0);
    ck_close(k1.feat, kr.feat, kr.n_feat, "features vs reference");
    ck_close(k1.pooled, kr.pooled, kr.n_pooled, "pooled vs reference");
    ck_close(k1.cam, kr.cam, kr.n_cam, "cam vs reference");
    /* weight . pooled + bias and mean(cam) + bias against the logits */
    const int64_t K = 1024, S = k1.n_feat / (N * K);
    const float *W = w.data, *B = b.data;
    float *lin = malloc(sizeof(float) * (size_t)(N * 1000)), *fromcam = malloc(sizeof(float) * (size_t)(N * 3));
    float want3[6];
    const int64_t classes[3] = {0, 417, 999};
    for (int64_t i = 0; i < N; i++) {
        for (int64_t c = 0; c < 1000; c++) {
            double acc = B[c];
            for (int64_t kk = 0; kk < K; kk++)
                acc += (double)W[c * K + kk] * k1.pooled[i * K + kk];
            lin[i * 1000 + c] = (float)acc;
        }
        for (int c = 0; c < 3; c++) {
            double acc = 0;
            for (int64_t p = 0; p < S; p++)
                acc += k1.cam[(i * 3 + c) * S + p];
            fromcam[i * 3 + c] = (float)(acc / (double)S + B[classes[c]]);
            want3[i * 3 + c] = k1.logits[i * 1000 + classes[c]];
        }
    }
    ck_close(lin, k1.logits, N * 1000, "weight . pooled + bias vs logits");
    ck_close(fromcam, want3, N * 3, "mean(cam) + bias vs logits");
    /* a plain session keeps nothing */
    struct dn_session *ss;
    struct dn_session_opts o;
    dn_session_opts_default(&o);
    o.isa = isa;
    ck_assert_int_eq(dn_session_init_opts(&ss, g, 1, &s, &o), DN_OK);
    ck_assert_ptr_null(dn_session_features(ss).data);
    ck_assert_int_eq(dn_session_cam(ss, 0, 0, lin), DN_ERR_ARG);
    ck_assert_int_eq(dn_session_classifier(ss, &w, &b), DN_ERR_ARG);
    dn_session_free(ss);
    free(lin);
    free(fromcam);
    free(plain);
    free(x);
    kept_free(&k1);
    kept_free(&k2);
    kept_free(&kr);
    dn_graph_free(g);
}
END_TEST

START_TEST(test_nan_maxpool)
{
    struct dn_shape s = {4, {1, 2, 6, 6}};
    int x;
    struct g t = start(s, &x);
    int y = node(&t, DN_OP_MAXPOOL, win(3, 2, 1, 1), 1, &x);
    ck_assert_int_eq(dn_graph_add_output(t.g, y), DN_OK);
    ck_assert_int_eq(dn_graph_finish(t.g), DN_OK);
    float in[72];
    for (int i = 0; i < 72; i++)
        in[i] = (float)(i % 7) - 3.0f;
    in[14] = NAN;
    int64_t n1, n2;
    float *ref = run(t.g, s, in, DN_ISA_REFERENCE, 1, NULL, &n1);
    float *fast = run(t.g, s, in, isa, 1, NULL, &n2);
    for (int64_t i = 0; i < n1; i++)
        ck_assert_msg(isnan(ref[i]) ? isnan(fast[i]) : ref[i] == fast[i], "element %lld", (long long)i);
    free(ref);
    free(fast);
    dn_graph_free(t.g);
}
END_TEST

static int log_lines;

static void count_log(void *user, const char *msg)
{
    (void)user;
    (void)msg;
    log_lines++;
}

/* A session over its memory limit fails before allocating, with one line: a
 * Pad to 40001x40001 (6.4 GB of activations) under a 1 GiB limit, and a small
 * conv under a 4 KiB one; the default limit takes the small conv. */
START_TEST(test_memory_limit)
{
    struct dn_shape s = {4, {1, 1, 1, 1}};
    int x;
    struct g t = start(s, &x);
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.pad.n = 8;
    p.pad.pads[2] = p.pad.pads[3] = p.pad.pads[6] = p.pad.pads[7] = 20000;
    int y = node(&t, DN_OP_PAD, p, 1, &x);
    y = node(&t, DN_OP_RELU, p, 1, &y);
    ck_assert_int_eq(dn_graph_add_output(t.g, y), DN_OK);
    ck_assert_int_eq(dn_graph_finish(t.g), DN_OK);
    struct dn_session_opts o = {.isa = isa, .max_memory = (size_t)1 << 30};
    struct dn_session *ss = NULL;
    log_lines = 0;
    dn_log_set(count_log, NULL);
    ck_assert_int_eq(dn_session_init_opts(&ss, t.g, 1, &s, &o), DN_ERR_NOMEM);
    ck_assert_int_eq(log_lines, 1);
    dn_graph_free(t.g);

    struct dn_shape s2 = {4, {1, 8, 16, 16}};
    t = start(s2, &x);
    y = conv(&t, x, 8, 8, 3, 1, 1, 1, 1);
    ck_assert_int_eq(dn_graph_add_output(t.g, y), DN_OK);
    ck_assert_int_eq(dn_graph_finish(t.g), DN_OK);
    o.max_memory = 4096;
    log_lines = 0;
    ck_assert_int_eq(dn_session_init_opts(&ss, t.g, 1, &s2, &o), DN_ERR_NOMEM);
    ck_assert_int_eq(log_lines, 1);
    o.max_memory = 0; /* the default fits */
    ck_assert_int_eq(dn_session_init_opts(&ss, t.g, 1, &s2, &o), DN_OK);
    dn_log_set(NULL, NULL);
    dn_session_free(ss);
    dn_graph_free(t.g);
}
END_TEST

/* A graph far above the greedy planner's size goes through the time-ordered
 * one, and its copies through one forwarding sweep: a chain of 20,000 Relu
 * and Identity nodes must plan into two buffers and compute relu(x). */
START_TEST(test_long_chain)
{
    struct dn_shape s = {2, {1, 5}};
    int x;
    struct g t = start(s, &x);
    union dn_params p;
    memset(&p, 0, sizeof p);
    int y = x;
    for (int i = 0; i < 20000; i++)
        y = node(&t, i % 3 == 1 ? DN_OP_IDENTITY : DN_OP_RELU, p, 1, &y);
    ck_assert_int_eq(dn_graph_add_output(t.g, y), DN_OK);
    ck_assert_int_eq(dn_graph_finish(t.g), DN_OK);
    struct dn_session_opts o = {.isa = isa, .threads = 2};
    struct dn_session *ss;
    ck_assert_int_eq(dn_session_init_opts(&ss, t.g, 1, &s, &o), DN_OK);
    ck_assert_int_le(dn_session_activation_bytes(ss), 2 * 64);
    const float in[5] = {-2, -0.5f, 0, 0.5f, 3};
    const float *ins[1] = {in};
    ck_assert_int_eq(dn_session_run(ss, ins), DN_OK);
    const float *out = dn_session_output(ss, 0).data;
    for (int i = 0; i < 5; i++)
        ck_assert_msg(out[i] == (in[i] > 0 ? in[i] : 0.0f), "element %d", i);
    dn_session_free(ss);
    dn_graph_free(t.g);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc != 2 || dn_isa_parse(argv[1], &isa) != 0 || isa == DN_ISA_AUTO || isa == DN_ISA_REFERENCE) {
        fprintf(stderr, "usage: check_exec generic|avx2|avx512\n");
        return 2;
    }
    if (!dn_isa_supported(isa)) {
        printf("check_exec: SKIP: this CPU or build cannot run the %s kernels\n", argv[1]);
        return 77;
    }
    Suite *s = suite_create("exec");
    TCase *tc = tcase_create(argv[1]);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_gemm_microkernel);
    tcase_add_test(tc, test_conv_sweep);
    tcase_add_test(tc, test_pools_fc);
    tcase_add_test(tc, test_nan_maxpool);
    tcase_add_test(tc, test_memory_limit);
    tcase_add_test(tc, test_long_chain);
    tcase_add_test(tc, test_densenet);
    tcase_add_test(tc, test_densenet_each_pass_off);
    tcase_add_test(tc, test_keep_features);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
