/* exec.c: steps of the optimized executor and the loop that runs them.
 *
 * Kinds of step:
 *   conv   Conv (group 1) as packed GEMM: weights packed once into mr-row
 *          tiles; the input packed per panel of nr output pixels, straight
 *          from the activation for 1x1 convs (BatchNorm+ReLU applied as it
 *          packs), or from a staged copy (prologue, 2x2 pooling and zero
 *          padding applied once) for the rest. Bias and ReLU on store.
 *          Most 3x3 stride-1 convs instead run by Winograd F(4x4, 3x3)
 *          (winograd.h), which reads the activation itself: no staging.
 *   pool   MaxPool / AveragePool over channel slices.
 *   gap    GlobalAveragePool with an optional BatchNorm+ReLU prologue.
 *   fc     Gemm / 2-D MatMul with a constant right-hand side packed once.
 *   ref    anything else: the node's reference kernel on thread 0.
 * conv and pool read and write NCHW tensors with a batch stride, so a
 * dense block's layers write straight into the block's buffer.
 *
 * Threads split a step's output into fixed slices (by panel, plane or row
 * tile) that do not depend on how many threads there are, and every output
 * element is summed in one fixed order: results are bit-identical for every
 * thread count. Steps are separated by the pool's barrier.
 */
#include "exec.h"
#include "kernels/kernels.h"
#include "pool.h"
#include "winograd.h"
#include "window.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KC_MAX 256
#define DN_ALIGN 64

enum step_kind { STEP_REF, STEP_CONV, STEP_POOL, STEP_GAP, STEP_FC };

struct step {
    enum step_kind kind;
    int node;
    char impl[80];
    int n_phases;
    int64_t macs;
    double time_ms;
    /* bound at dn_exec_bind */
    const float *x;
    float *y;
    int64_t x_bs, y_bs;            /* batch strides, in elements */
    int x_one, y_one;              /* x, y planned for one image (dn_value.one_image) */
    /* geometry */
    int64_t N, C, H, W;            /* input as read (C: channels of the slice) */
    int64_t M, OH, OW;             /* output */
    struct dn_window_geom geom;    /* conv/pool window on the (pooled) input */
    int64_t K;                     /* GEMM depth */
    /* conv */
    const struct dn_fusion *fx;
    const float *bias;
    float *wpack;                  /* owned: packed A (conv) or B (fc) */
    size_t wpack_bytes;
    int direct;                    /* 1x1/1 pad 0 without pooling: pack from x */
    int pooled1x1;                 /* 1x1/1 pad 0 after pooling: pack staged rows */
    int wino;                      /* 3x3/1 by Winograd F(4x4, 3x3): its dn_wino_mode, or 0 */
    int pixrows;                   /* small maps: pixels as GEMM rows, channels as columns */
    int staged;                    /* a first phase stages the input (conv_stage) */
    int64_t HS, WS;                /* staged input dims (pooled + padded) */
    /* fc; a classifier tail also runs the GlobalAveragePool node gnode first */
    int gnode;                     /* -1: none */
    const float *gx;
    float *gy;
    int64_t gx_bs, gN, gC, gS;
    const struct dn_fusion *gfx;
    int trans_b;
    int64_t J;
    const float *wsrc;
    const float *pf;               /* the next Winograd conv's packed weights (prefetched) */
    size_t pf_bytes;
    /* bound at dn_exec_bind: the shared buffers; a step copy narrowed to one
     * image (run_all) points at that image's slice of them */
    float *stage;                  /* staged input */
    float *apack;                  /* pixrows: packed pixel tiles */
    int slot;                      /* per-thread scratch slot; -1: the calling thread's */
};

struct dn_exec {
    struct dn_graph *g;
    const struct dn_kernels *k;
    enum dn_isa isa;
    struct step *steps;
    int n_steps;
    struct dn_pool *pool;
    int profile;
    float *stage;                  /* shared staging buffer */
    size_t stage_floats;
    float *apack;                  /* shared: every pixel tile of a pixrows step, packed */
    size_t apack_floats;
    float *scratch;                /* per thread: scratch_floats each */
    size_t scratch_floats;
    struct dn_tensor *tin, *tout;  /* reference steps */
    int max_io;
    enum dn_status st;             /* first failure of a reference step */
    int no_wino;                   /* im2col for every 3x3 (DENSENET_NO_WINOGRAD, for comparisons) */
    int no_pixrows;                /* pixel panels on every map (DENSENET_NO_PIXROWS, likewise) */
    int split;                     /* steps [0, split) run image by image (batch > 1) */
    int split_wide;                /* ... and [0, split_wide) of them on all threads at once */
    int no_image_parallel;         /* ... never one image per thread (DENSENET_NO_IMAGE_PARALLEL) */
};

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* [lo, hi) of n items for thread ith of nth */
static void slice(int64_t n, int ith, int nth, int64_t *lo, int64_t *hi)
{
    *lo = n * ith / nth;
    *hi = n * (ith + 1) / nth;
}

static float *aligned_floats(size_t n)
{
    size_t bytes = (n * sizeof(float) + DN_ALIGN - 1) / DN_ALIGN * DN_ALIGN;
    return aligned_alloc(DN_ALIGN, bytes ? bytes : DN_ALIGN);
}

/* the calling thread's scratch (or the slot a step copy names) */
static float *thread_scratch(const struct dn_exec *e, const struct step *s, int ith)
{
    return e->scratch + (size_t)(s->slot >= 0 ? s->slot : ith) * e->scratch_floats;
}

/* ---- conv ---------------------------------------------------------------- */

/* Packs the rows x K matrix w (row-major) as panels of `width` rows, each
 * stored k-major: dst[(t * K + k) * width + i] = w[(t * width + i) * K + k],
 * zero past the last row. Blocks of 16 columns keep reads and writes within
 * a few cache lines. */
static void pack_panels(const float *w, int64_t rows, int64_t K, int width, float *dst)
{
    int64_t panels = cdiv(rows, width);
    for (int64_t t = 0; t < panels; t++) {
        float *d = dst + t * K * width;
        for (int64_t k0 = 0; k0 < K; k0 += 16) {
            int64_t k1 = k0 + 16 < K ? k0 + 16 : K;
            for (int i = 0; i < width; i++) {
                int64_t r = t * width + i;
                const float *src = w + r * K;
                for (int64_t k = k0; k < k1; k++)
                    d[k * width + i] = r < rows ? src[k] : 0.0f;
            }
        }
    }
}


static int64_t kc_of(int64_t K)
{
    int64_t blocks = cdiv(K, KC_MAX);
    return cdiv(K, blocks);
}

/* Staging: the conv's input as the GEMM reads it, per (image, channel) plane:
 * prologue applied, 2x2-pooled when asked, surrounded by zero padding. */
static void conv_stage(const struct dn_exec *e, const struct step *s, int ith, int nth)
{
    const struct dn_fusion *fx = s->fx;
    int64_t lo, hi;
    slice(s->N * s->C, ith, nth, &lo, &hi);
    for (int64_t p = lo; p < hi; p++) {
        int64_t b = p / s->C, c = p % s->C;
        e->k->stage_plane(s->x + b * s->x_bs + c * s->H * s->W, s->H, s->W,
                          fx->pre_scale ? fx->pre_scale[c] : 1.0f, fx->pre_scale ? fx->pre_shift[c] : 0.0f,
                          fx->pre_scale != NULL, fx->pre_relu, fx->pre_pool, s->geom.pad_begin[0],
                          s->geom.pad_begin[1], s->HS, s->WS, s->stage + p * s->HS * s->WS);
    }
}

/* Packs rows k0..k0+kc of the B panel for output pixels n0..n0+n of image b;
 * ic describes the panel's runs (filled by conv_runs) when not direct. */
static void conv_pack(const struct dn_exec *e, const struct step *s, int64_t b, int64_t n0, int n,
                      int64_t k0, int64_t kc, const struct dn_im2col *ic, float *dst)
{
    const int nr = e->k->nr;
    const struct dn_fusion *fx = s->fx;
    if (s->direct) {
        const float *x = s->x + b * s->x_bs + n0 + k0 * s->H * s->W;
        e->k->pack_rows(x, s->H * s->W, kc, n, nr, fx->pre_scale ? fx->pre_scale + k0 : NULL,
                        fx->pre_scale ? fx->pre_shift + k0 : NULL, fx->pre_relu, dst);
    } else if (s->pooled1x1) {
        /* pooled 1x1: the staged planes are the rows */
        const float *stage = s->stage + b * s->C * s->HS * s->WS + n0 + k0 * s->HS * s->WS;
        e->k->pack_rows(stage, s->HS * s->WS, kc, n, nr, NULL, NULL, 0, dst);
    } else
        e->k->pack_im2col(ic, k0, kc, n, nr, dst);
}

/* the panel's pixels n0..n0+n of image b, grouped by output row */
static void conv_runs(const struct dn_exec *e, const struct step *s, int64_t b, int64_t n0, int n,
                      struct dn_im2col *ic)
{
    const struct dn_window_geom *g = &s->geom;
    ic->stage = s->stage + b * s->C * s->HS * s->WS;
    ic->plane = s->HS * s->WS;
    ic->ws = s->WS;
    ic->sw = g->stride[1];
    ic->dh = g->dilation[0];
    ic->dw = g->dilation[1];
    ic->kh = (int)g->kernel[0];
    ic->kw = (int)g->kernel[1];
    ic->nruns = 0;
    for (int j = 0; j < n;) {
        int64_t p = n0 + j, oh = p / s->OW, ow = p % s->OW;
        int64_t len = s->OW - ow < n - j ? s->OW - ow : n - j;
        ic->run_j[ic->nruns] = j;
        ic->run_off[ic->nruns] = oh * g->stride[0] * s->WS + ow * g->stride[1];
        ic->run_len[ic->nruns] = len;
        ic->nruns++;
        j += (int)len;
    }
}

/* Work units of a conv: panels of nr output pixels, each split into mg
 * groups of row tiles when there are few panels (small maps), so threads
 * stay busy. Which unit computes an element never changes its arithmetic. */
static int64_t conv_groups(const struct step *s, int mr, int nr)
{
    int64_t panels = s->N * cdiv(s->OH * s->OW, nr), mt = cdiv(s->M, mr);
    int64_t mg = cdiv(16, panels);
    return mg < 1 ? 1 : mg > mt ? mt : mg;
}

static void conv_gemm(const struct dn_exec *e, const struct step *s, int ith, int nth)
{
    const int mr = e->k->mr, nr = e->k->nr;
    const int64_t OHW = s->OH * s->OW, np = cdiv(OHW, nr), K = s->K, kc_max = kc_of(K);
    const int64_t mt = cdiv(s->M, mr), mg = conv_groups(s, mr, nr);
    float *bpack = thread_scratch(e, s, ith);
    struct dn_im2col ic;
    int64_t lo, hi;
    slice(s->N * np * mg, ith, nth, &lo, &hi);
    for (int64_t u = lo; u < hi; u++) {
        int64_t p = u / mg, grp = u % mg, t0 = grp * mt / mg, t1 = (grp + 1) * mt / mg;
        int64_t b = p / np, n0 = (p % np) * nr;
        int n = (int)(OHW - n0 < nr ? OHW - n0 : nr);
        float *y = s->y + b * s->y_bs + n0;
        if (!s->direct && !s->pooled1x1)
            conv_runs(e, s, b, n0, n, &ic);
        for (int64_t k0 = 0; k0 < K; k0 += kc_max) {
            int64_t kc = K - k0 < kc_max ? K - k0 : kc_max;
            conv_pack(e, s, b, n0, n, k0, kc, &ic, bpack);
            for (int64_t t = t0; t < t1; t++) {
                int m = (int)(s->M - t * mr < mr ? s->M - t * mr : mr);
                struct dn_gemm_params gp = {
                    .row_bias = s->bias ? s->bias + t * mr : NULL,
                    .col_bias = NULL,
                    .load_c = k0 > 0,
                    .relu = s->fx->relu && k0 + kc == K,
                };
                e->k->gemm(m, n, kc, s->wpack + t * mr * K + k0 * mr, bpack, y + t * mr * OHW, OHW, &gp);
            }
        }
    }
}

/* Small maps: C^T = X^T W^T, with tiles of mr output pixels as the GEMM's
 * rows and panels of nr output channels as its columns (weights packed once),
 * each tile stored transposed into the NCHW output. Panels of pixels would
 * be largely empty on a 7x7 or 14x14 map; tiles of mr pixels are not.
 * Phase one packs every pixel tile of every image once (all of K, in the
 * shared buffer); phase two runs units of (channel panel, group of tiles),
 * k-block outer, so each block of a weight panel stays in L1 while the
 * group's tiles stream past it. */
static void conv_pixrows_pack(const struct dn_exec *e, const struct step *s, int ith, int nth)
{
    const int mr = e->k->mr;
    const int64_t OHW = s->OH * s->OW, K = s->K, nt = cdiv(OHW, mr);
    const struct dn_fusion *fx = s->fx;
    struct dn_im2col ic;
    int64_t lo, hi;
    slice(s->N * nt, ith, nth, &lo, &hi);
    for (int64_t t = lo; t < hi; t++) {
        int64_t b = t / nt, px0 = (t % nt) * mr;
        int m = (int)(OHW - px0 < mr ? OHW - px0 : mr);
        float *dst = s->apack + t * K * mr;
        if (s->direct && mr == 8 && e->k->pack_rows_pair && t + 1 < hi && (t + 1) % nt != 0) {
            /* this tile and the next of the same image from one 16-wide load per row */
            int m2 = (int)(OHW - px0 < 2 * mr ? OHW - px0 : 2 * mr);
            e->k->pack_rows_pair(s->x + b * s->x_bs + px0, OHW, K, m2, fx->pre_scale, fx->pre_shift,
                                 fx->pre_relu, dst, dst + K * mr);
            t++;
            continue;
        }
        if (s->direct)
            e->k->pack_rows(s->x + b * s->x_bs + px0, OHW, K, m, mr, fx->pre_scale, fx->pre_shift,
                            fx->pre_relu, dst);
        else if (s->pooled1x1)
            e->k->pack_rows(s->stage + b * s->C * s->HS * s->WS + px0, s->HS * s->WS, K, m, mr, NULL,
                            NULL, 0, dst);
        else {
            conv_runs(e, s, b, px0, m, &ic);
            e->k->pack_im2col(&ic, 0, K, m, mr, dst);
        }
    }
}

/* groups of tiles per channel panel: enough units for the threads, at most
 * PIX_GROUP tiles each (their C tiles live in the thread's scratch) */
#define PIX_GROUP 32

static int64_t pixrows_groups(int64_t tiles, int64_t np)
{
    int64_t g = cdiv(16, np);
    if (g < cdiv(tiles, PIX_GROUP))
        g = cdiv(tiles, PIX_GROUP);
    return g > tiles ? tiles : g;
}

static void conv_pixrows(const struct dn_exec *e, const struct step *s, int ith, int nth)
{
    const int mr = e->k->mr, nr = e->k->nr;
    const int64_t OHW = s->OH * s->OW, K = s->K, kc_max = kc_of(K);
    const int64_t nt = cdiv(OHW, mr), tiles = s->N * nt, np = cdiv(s->M, nr);
    const int64_t groups = pixrows_groups(tiles, np);
    float *ct = thread_scratch(e, s, ith);
    const struct dn_fusion *fx = s->fx;
    int64_t lo, hi;
    slice(np * groups, ith, nth, &lo, &hi);
    for (int64_t u = lo; u < hi; u++) {
        int64_t p = u / groups, grp = u % groups;
        int64_t t0 = grp * tiles / groups, t1 = (grp + 1) * tiles / groups;
        int n = (int)(s->M - p * nr < nr ? s->M - p * nr : nr);
        for (int64_t k0 = 0; k0 < K; k0 += kc_max) {
            int64_t kc = K - k0 < kc_max ? K - k0 : kc_max;
            struct dn_gemm_params gp = {
                .row_bias = NULL,
                .col_bias = s->bias ? s->bias + p * nr : NULL,
                .load_c = k0 > 0,
                .relu = fx->relu && k0 + kc == K,
            };
            for (int64_t t = t0; t < t1; t++) {
                int64_t px0 = (t % nt) * mr;
                int m = (int)(OHW - px0 < mr ? OHW - px0 : mr);
                e->k->gemm(m, n, kc, s->apack + t * K * mr + k0 * mr, s->wpack + (p * K + k0) * nr,
                           ct + (t - t0) * mr * nr, nr, &gp);
            }
        }
        for (int64_t t = t0; t < t1; t++) {
            int64_t b = t / nt, px0 = (t % nt) * mr;
            int m = (int)(OHW - px0 < mr ? OHW - px0 : mr);
            const float *c = ct + (t - t0) * mr * nr;
            float *y = s->y + b * s->y_bs + p * nr * OHW + px0;
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++)
                    y[j * OHW + i] = c[i * nr + j];
        }
    }
}

/* Winograd reads the activation itself, prologue and padding applied as it
 * reads: one phase, no staged copy */
static void conv_wino(const struct dn_exec *e, const struct step *s, int ith, int nth)
{
    const struct dn_fusion *fx = s->fx;
    struct dn_wino_conv cv = {
        .mode = (enum dn_wino_mode)s->wino,
        .packed = s->wpack,
        .x = s->x,
        .x_bs = s->x_bs,
        .N = s->N,
        .C = s->C,
        .H = s->H,
        .W = s->W,
        .pt = s->geom.pad_begin[0],
        .pl = s->geom.pad_begin[1],
        .pre_scale = fx->pre_scale,
        .pre_shift = fx->pre_shift,
        .pre_relu = fx->pre_relu,
        .M = s->M,
        .OH = s->OH,
        .OW = s->OW,
        .bias = s->bias,
        .relu = fx->relu,
        .y = s->y,
        .y_bs = s->y_bs,
    };
    /* the next Winograd conv's weights come in while this one computes */
    cv.pf = s->pf;
    cv.pf_bytes = s->pf_bytes;
    int64_t lo, hi;
    slice(dn_wino_units(e->k, cv.mode, s->N, s->OH, s->OW), ith, nth, &lo, &hi);
    if (lo < hi)
        dn_wino_run(e->k, &cv, lo, hi, thread_scratch(e, s, ith));
}

static enum dn_status conv_select(struct dn_exec *e, struct step *s, const struct dn_node *n,
                                  const struct dn_fusion *fx)
{
    const struct dn_graph *g = e->g;
    const struct dn_value *x = &g->values[n->in[0]], *w = &g->values[n->in[1]];
    const int mr = e->k->mr, nr = e->k->nr;
    s->kind = STEP_CONV;
    s->fx = fx;
    s->N = x->shape.d[0];
    s->C = x->shape.d[1];
    s->H = x->shape.d[2];
    s->W = x->shape.d[3];
    int64_t in[2] = {fx->pre_pool ? s->H / 2 : s->H, fx->pre_pool ? s->W / 2 : s->W};
    enum dn_status st = dn_window_resolve(&n->p.win, in, &w->shape.d[2], 0, &s->geom);
    if (st != DN_OK)
        return st;
    s->M = w->shape.d[0];
    s->OH = s->geom.out[0];
    s->OW = s->geom.out[1];
    s->K = s->C * s->geom.kernel[0] * s->geom.kernel[1];
    s->bias = n->n_in > 2 && n->in[2] >= 0 ? g->values[n->in[2]].data : NULL;
    s->direct = !fx->pre_pool && s->geom.kernel[0] == 1 && s->geom.kernel[1] == 1 &&
                s->geom.stride[0] == 1 && s->geom.stride[1] == 1 && s->geom.pad_begin[0] == 0 &&
                s->geom.pad_begin[1] == 0 && s->geom.pad_end[0] == 0 && s->geom.pad_end[1] == 0;
    s->pooled1x1 = fx->pre_pool && s->geom.kernel[0] == 1 && s->geom.kernel[1] == 1 &&
                   s->geom.stride[0] == 1 && s->geom.stride[1] == 1 && s->geom.pad_begin[0] == 0 &&
                   s->geom.pad_begin[1] == 0 && s->geom.pad_end[0] == 0 && s->geom.pad_end[1] == 0;
    s->HS = in[0] + s->geom.pad_begin[0] + s->geom.pad_end[0];
    s->WS = in[1] + s->geom.pad_begin[1] + s->geom.pad_end[1];
    s->staged = !s->direct;
    s->n_phases = s->staged + 1;
    s->macs = s->N * s->M * s->OH * s->OW * s->K;
    const struct dn_window_geom *gm = &s->geom;
    /* 3x3 stride 1 without pooling: Winograd F(4x4, 3x3), tiles as the
     * GEMM's rows or columns, or im2col, by padded GEMM volumes
     * (dn_wino_choose has the rule and the measurements; docs/BENCHMARKS.md
     * "3x3 kernel choice"). DenseNets at batch 1: rows on every map. Maps
     * over 16x16 run image by image in a batch (run_all): chosen for one. */
    s->wino = 0;
    if (!fx->pre_pool && gm->kernel[0] == 3 && gm->kernel[1] == 3 && gm->stride[0] == 1 &&
        gm->stride[1] == 1 && gm->dilation[0] == 1 && gm->dilation[1] == 1 && !e->no_wino)
        s->wino = dn_wino_choose(e->k, s->H * s->W > 256 ? 1 : s->N, s->M, s->OH, s->OW,
                                 s->OH * s->OW <= 256 && !e->no_pixrows);
    if (s->wino) {
        const enum dn_wino_mode mode = (enum dn_wino_mode)s->wino;
        size_t floats = dn_wino_weight_floats(e->k, mode, s->M, s->C);
        s->wpack = aligned_floats(floats);
        if (!s->wpack) {
            dn_log("out of memory packing the weights of '%s'", n->name);
            return DN_ERR_NOMEM;
        }
        s->wpack_bytes = floats * sizeof(float);
        dn_wino_pack(e->k, mode, w->data, s->M, s->C, s->wpack);
        s->staged = 0; /* the input transform applies prologue and padding */
        s->n_phases = 1;
        snprintf(s->impl, sizeof s->impl, "conv3x3_wino4x4_%s_%s%s%s",
                 mode == DN_WINO_ROWS ? "rows" : "cols", e->k->gemm_name,
                 fx->pre_scale ? (fx->pre_relu ? "+bnrelu" : "+bn") : "", fx->relu ? "+relu" : "");
        return DN_OK;
    }
    /* maps of at most 16x16 outputs: pixels as rows (see conv_pixrows), the
     * weights in panels of nr output channels (the GEMM's columns); else
     * pixel panels, the weights in tiles of mr output channels (its rows) */
    s->pixrows = s->OH * s->OW <= 256 && !e->no_pixrows;
    if (s->pixrows)
        s->n_phases = s->staged + 2; /* [stage,] pack every tile, GEMM */
    const int width = s->pixrows ? nr : mr;
    size_t floats = (size_t)(cdiv(s->M, width) * width * s->K);
    s->wpack = aligned_floats(floats);
    if (!s->wpack) {
        dn_log("out of memory packing the weights of '%s'", n->name);
        return DN_ERR_NOMEM;
    }
    s->wpack_bytes = floats * sizeof(float);
    pack_panels(w->data, s->M, s->K, width, s->wpack);
    snprintf(s->impl, sizeof s->impl, "conv%lldx%lld%s%s_%s%s%s%s", (long long)gm->kernel[0],
             (long long)gm->kernel[1], s->direct ? "" : "_im2col", s->pixrows ? "_pixrows" : "",
             e->k->gemm_name, fx->pre_scale ? (fx->pre_relu ? "+bnrelu" : "+bn") : "",
             fx->pre_pool ? "+avgpool" : "", fx->relu ? "+relu" : "");
    return DN_OK;
}

/* ---- pooling -------------------------------------------------------------- */

static void pool_run(const struct dn_exec *e, const struct step *s, int ith, int nth)
{
    const struct dn_node *n = &e->g->nodes[s->node];
    const struct dn_window_geom *g = &s->geom;
    const int is_max = n->op == DN_OP_MAXPOOL, cip = n->p.win.count_include_pad;
    const int64_t H = s->H, W = s->W, OH = s->OH, OW = s->OW;
    float *tmp = thread_scratch(e, s, ith);
    int64_t lo, hi;
    slice(s->N * s->C, ith, nth, &lo, &hi);
    for (int64_t p = lo; p < hi; p++) {
        int64_t b = p / s->C, c = p % s->C;
        const float *xp = s->x + b * s->x_bs + c * H * W;
        float *yp = s->y + b * s->y_bs + c * OH * OW;
        if (is_max) {
            e->k->maxpool_plane(xp, H, W, g->kernel, g->stride, g->dilation, g->pad_begin, OH, OW, tmp,
                                yp);
            continue;
        }
        /* AveragePool: the reference's order and counts */
        for (int64_t oh = 0; oh < OH; oh++) {
            int64_t h0 = oh * g->stride[0] - g->pad_begin[0];
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t w0 = ow * g->stride[1] - g->pad_begin[1];
                float acc = 0.0f;
                int64_t count = 0;
                for (int64_t kh = 0; kh < g->kernel[0]; kh++) {
                    int64_t ih = h0 + kh * g->dilation[0];
                    if (ih < 0 || ih >= H)
                        continue;
                    for (int64_t kw = 0; kw < g->kernel[1]; kw++) {
                        int64_t iw = w0 + kw * g->dilation[1];
                        if (iw < 0 || iw >= W)
                            continue;
                        acc += xp[ih * W + iw];
                        count++;
                    }
                }
                if (cip) {
                    int64_t nh = (H + g->pad_end[0] - h0 + g->dilation[0] - 1) / g->dilation[0];
                    int64_t nw = (W + g->pad_end[1] - w0 + g->dilation[1] - 1) / g->dilation[1];
                    count = (nh < g->kernel[0] ? nh : g->kernel[0]) * (nw < g->kernel[1] ? nw : g->kernel[1]);
                }
                yp[oh * OW + ow] = count > 0 ? acc / (float)count : 0.0f;
            }
        }
    }
}

static enum dn_status pool_select(struct dn_exec *e, struct step *s, const struct dn_node *n)
{
    const struct dn_value *x = &e->g->values[n->in[0]], *y = &e->g->values[n->out[0]];
    s->kind = STEP_POOL;
    s->N = x->shape.d[0];
    s->C = x->shape.d[1];
    s->H = x->shape.d[2];
    s->W = x->shape.d[3];
    s->M = s->C;
    s->OH = y->shape.d[2];
    s->OW = y->shape.d[3];
    s->n_phases = 1;
    snprintf(s->impl, sizeof s->impl, "%s_direct", n->op == DN_OP_MAXPOOL ? "maxpool" : "avgpool");
    const int64_t in[2] = {s->H, s->W};
    return dn_window_resolve(&n->p.win, in, n->p.win.kernel, 1, &s->geom);
}

/* ---- global average pooling ---------------------------------------------- */

/* GlobalAveragePool of planes [lo, hi) of N x C planes of S elements, with
 * the optional BatchNorm+ReLU prologue, summed in order as the reference does */
static void gap_planes(const float *x, int64_t x_bs, int64_t C, int64_t S, const struct dn_fusion *fx,
                       float *y, int64_t lo, int64_t hi)
{
    for (int64_t p = lo; p < hi; p++) {
        int64_t b = p / C, c = p % C;
        const float *xp = x + b * x_bs + c * S;
        float acc = 0.0f;
        if (fx->pre_scale) {
            const float a = fx->pre_scale[c], sh = fx->pre_shift[c];
            for (int64_t i = 0; i < S; i++) {
                float u = xp[i] * a + sh;
                acc += fx->pre_relu && !(u > 0.0f) ? 0.0f : u;
            }
        } else
            for (int64_t i = 0; i < S; i++)
                acc += xp[i];
        y[b * C + c] = acc / (float)S;
    }
}

static void gap_run(const struct dn_exec *e, const struct step *s, int ith, int nth)
{
    (void)e;
    int64_t lo, hi;
    slice(s->N * s->C, ith, nth, &lo, &hi);
    gap_planes(s->x, s->x_bs, s->C, s->H * s->W, s->fx, s->y, lo, hi);
}

/* the classifier tail's first phase: the pooling it absorbed (gap-fc) */
static void tail_gap_run(const struct dn_exec *e, const struct step *s, int ith, int nth)
{
    (void)e;
    int64_t lo, hi;
    slice(s->gN * s->gC, ith, nth, &lo, &hi);
    gap_planes(s->gx, s->gx_bs, s->gC, s->gS, s->gfx, s->gy, lo, hi);
}

/* ---- fully connected ------------------------------------------------------ */

static int fc_ok(const struct dn_graph *g, const struct dn_node *n)
{
    const struct dn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]];
    if (a->shape.ndim != 2 || b->shape.ndim != 2 || b->kind != DN_VALUE_CONST ||
        a->dtype != DN_DTYPE_F32 || b->dtype != DN_DTYPE_F32)
        return 0;
    if (n->op == DN_OP_MATMUL)
        return 1;
    if (n->op != DN_OP_GEMM || n->p.gemm.trans_a || n->p.gemm.alpha != 1.0f)
        return 0;
    if (n->n_in > 2 && n->in[2] >= 0) {
        const struct dn_value *c = &g->values[n->in[2]];
        int64_t J = n->p.gemm.trans_b ? b->shape.d[0] : b->shape.d[1];
        if (c->kind != DN_VALUE_CONST || c->dtype != DN_DTYPE_F32 || n->p.gemm.beta != 1.0f ||
            dn_shape_numel(&c->shape) != J || (c->shape.ndim == 2 && c->shape.d[0] != 1) || c->shape.ndim > 2)
            return 0;
    }
    return 1;
}

static enum dn_status fc_select(struct dn_exec *e, struct step *s, const struct dn_node *n)
{
    const struct dn_graph *g = e->g;
    const struct dn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]];
    const int nr = e->k->nr;
    int tb = n->op == DN_OP_GEMM && n->p.gemm.trans_b;
    s->kind = STEP_FC;
    s->N = a->shape.d[0];
    s->K = a->shape.d[1];
    s->J = tb ? b->shape.d[0] : b->shape.d[1];
    s->bias = n->op == DN_OP_GEMM && n->n_in > 2 && n->in[2] >= 0 ? g->values[n->in[2]].data : NULL;
    s->n_phases = 1;
    s->macs = s->N * s->K * s->J;
    int64_t np = cdiv(s->J, nr);
    size_t floats = (size_t)(np * nr * s->K);
    s->wpack = aligned_floats(floats);
    if (!s->wpack) {
        dn_log("out of memory packing the weights of '%s'", n->name);
        return DN_ERR_NOMEM;
    }
    s->wpack_bytes = floats * sizeof(float);
    const float *w = b->data;
    if (tb)
        pack_panels(w, s->J, s->K, nr, s->wpack);
    else
        for (int64_t p = 0; p < np; p++)
            for (int64_t k = 0; k < s->K; k++)
                for (int j = 0; j < nr; j++) {
                    int64_t jj = p * nr + j;
                    s->wpack[(p * s->K + k) * nr + j] = jj < s->J ? w[k * s->J + jj] : 0.0f;
                }
    snprintf(s->impl, sizeof s->impl, "fc_%s", e->k->gemm_name);
    return DN_OK;
}

static void fc_run(const struct dn_exec *e, const struct step *s, int ith, int nth)
{
    const int mr = e->k->mr, nr = e->k->nr;
    const int64_t np = cdiv(s->J, nr), K = s->K;
    float *apack = thread_scratch(e, s, ith);
    int64_t lo, hi;
    slice(np, ith, nth, &lo, &hi);
    if (lo >= hi)
        return;
    for (int64_t r0 = 0; r0 < s->N; r0 += mr) {
        int m = (int)(s->N - r0 < mr ? s->N - r0 : mr);
        for (int64_t k = 0; k < K; k++)
            for (int i = 0; i < mr; i++)
                apack[k * mr + i] = i < m ? s->x[(r0 + i) * K + k] : 0.0f;
        for (int64_t p = lo; p < hi; p++) {
            int n = (int)(s->J - p * nr < nr ? s->J - p * nr : nr);
            struct dn_gemm_params gp = {NULL, s->bias ? s->bias + p * nr : NULL, 0, 0};
            e->k->gemm(m, n, K, apack, s->wpack + p * nr * K, s->y + r0 * s->J + p * nr, s->J, &gp);
        }
    }
}

/* ---- reference fallback ---------------------------------------------------- */

static void ref_run(struct dn_exec *e, const struct step *s, int ith)
{
    if (ith != 0)
        return;
    const struct dn_graph *g = e->g;
    const struct dn_node *n = &g->nodes[s->node];
    for (int j = 0; j < e->max_io; j++) {
        const struct dn_value *v = j < n->n_in && n->in[j] >= 0 ? &g->values[n->in[j]] : NULL;
        e->tin[j] = v ? (struct dn_tensor){v->dtype, v->shape, v->data}
                      : (struct dn_tensor){DN_DTYPE_F32, {0, {0}}, NULL};
    }
    for (int j = 0; j < n->n_out; j++) {
        const struct dn_value *v = &g->values[n->out[j]];
        e->tout[j] = (struct dn_tensor){v->dtype, v->shape, v->data};
    }
    enum dn_status st = dn_op_get(n->op)->kernel(n, e->tin, e->tout);
    if (st != DN_OK && e->st == DN_OK)
        e->st = st;
}

/* ---- init, bind, run ----------------------------------------------------- */

enum dn_status dn_exec_init(struct dn_exec **out, struct dn_graph *g, const struct dn_fusion *fx,
                            const int *order, int n_order, const int64_t *node_macs,
                            enum dn_isa isa, int threads, int profile, int release)
{
    struct dn_exec *e = calloc(1, sizeof *e);
    unsigned char *skip = NULL;
    int *reads = NULL;
    enum dn_status st = DN_OK;
    *out = NULL;
    if (!e)
        goto nomem;
    e->g = g;
    e->isa = isa;
    e->profile = profile;
    e->k = dn_kernels_for(isa);
    e->no_wino = getenv("DENSENET_NO_WINOGRAD") != NULL;
    e->no_pixrows = getenv("DENSENET_NO_PIXROWS") != NULL;
    e->no_image_parallel = getenv("DENSENET_NO_IMAGE_PARALLEL") != NULL;
    e->steps = calloc((size_t)n_order + 1, sizeof *e->steps);
    e->max_io = 4;
    for (int i = 0; i < n_order; i++) {
        const struct dn_node *n = &g->nodes[order[i]];
        e->max_io = n->n_in > e->max_io ? n->n_in : e->max_io;
        e->max_io = n->n_out > e->max_io ? n->n_out : e->max_io;
    }
    e->tin = calloc((size_t)e->max_io, sizeof *e->tin);
    e->tout = calloc((size_t)e->max_io, sizeof *e->tout);
    if (!e->steps || !e->tin || !e->tout)
        goto nomem;
    size_t stage = 0, scratch = 0, apack = 0;
    /* nodes that need no step of their own: a pooling a classifier tail runs,
     * and views (reshape-views placed their output on their input's bytes) */
    skip = calloc((size_t)g->n_nodes + 1, 1);
    if (!skip)
        goto nomem;
    if (release) {
        reads = calloc((size_t)g->n_values + 1, sizeof *reads);
        if (!reads)
            goto nomem;
        for (int i = 0; i < n_order; i++)
            for (int j = 0; j < g->nodes[order[i]].n_in; j++)
                if (g->nodes[order[i]].in[j] >= 0)
                    reads[g->nodes[order[i]].in[j]]++;
    }
    for (int i = 0; i < n_order && e->k; i++) {
        const struct dn_node *n = &g->nodes[order[i]];
        if (fx[order[i]].tail_gap)
            skip[fx[order[i]].tail_gap - 1] = 1;
        if ((n->op == DN_OP_FLATTEN || n->op == DN_OP_RESHAPE || n->op == DN_OP_SQUEEZE ||
             n->op == DN_OP_UNSQUEEZE || n->op == DN_OP_IDENTITY || n->op == DN_OP_DROPOUT) &&
            n->n_out == 1 && g->values[n->out[0]].alias_of == n->in[0])
            skip[order[i]] = 1;
    }
    for (int i = 0; i < n_order; i++) {
        int ni = order[i];
        const struct dn_node *n = &g->nodes[ni];
        if (skip[ni])
            continue;
        struct step *s = &e->steps[e->n_steps++];
        s->gnode = -1;
        s->node = ni;
        s->fx = &fx[ni];
        s->n_phases = 1;
        if (e->k && dn_exec_conv_ok(g, n)) {
            st = conv_select(e, s, n, &fx[ni]);
            if (st != DN_OK)
                goto fail;
            if (s->staged) {
                size_t need = (size_t)(s->N * s->C * s->HS * s->WS);
                stage = need > stage ? need : stage;
            }
            if (s->pixrows) {
                size_t need = (size_t)(s->N * cdiv(s->OH * s->OW, e->k->mr) * s->K * e->k->mr);
                apack = need > apack ? need : apack;
            }
            size_t need = s->wino ? dn_wino_scratch_floats(e->k, (enum dn_wino_mode)s->wino, s->M, s->C)
                          : s->pixrows ? (size_t)(PIX_GROUP * e->k->mr * e->k->nr)
                                       : (size_t)(kc_of(s->K) * e->k->nr);
            scratch = need > scratch ? need : scratch;
        } else if (e->k && dn_exec_pool_ok(g, n)) {
            st = pool_select(e, s, n);
            if (st != DN_OK)
                goto fail;
            /* the row of maxima, with 64 floats of margin each side */
            scratch = (size_t)s->W + 192 > scratch ? (size_t)s->W + 192 : scratch;
        } else if (e->k && n->op == DN_OP_GLOBALAVGPOOL && g->values[n->in[0]].shape.ndim == 4 &&
                   g->values[n->in[0]].dtype == DN_DTYPE_F32) {
            const struct dn_shape *xs = &g->values[n->in[0]].shape;
            s->kind = STEP_GAP;
            s->N = xs->d[0];
            s->C = xs->d[1];
            s->H = xs->d[2];
            s->W = xs->d[3];
            snprintf(s->impl, sizeof s->impl, "gap_direct%s",
                     fx[ni].pre_scale ? (fx[ni].pre_relu ? "+bnrelu" : "+bn") : "");
        } else if (e->k && (n->op == DN_OP_GEMM || n->op == DN_OP_MATMUL) && fc_ok(g, n)) {
            st = fc_select(e, s, n);
            if (st != DN_OK)
                goto fail;
            if (fx[ni].tail_gap) {
                const struct dn_node *gn = &g->nodes[fx[ni].tail_gap - 1];
                const struct dn_shape *gs = &g->values[gn->in[0]].shape;
                s->gnode = fx[ni].tail_gap - 1;
                s->gfx = &fx[s->gnode];
                s->gN = gs->d[0];
                s->gC = gs->d[1];
                s->gS = gs->d[2] * gs->d[3];
                s->n_phases = 2;
                snprintf(s->impl, sizeof s->impl, "gap%s+fc_%s",
                         s->gfx->pre_scale ? (s->gfx->pre_relu ? "+bnrelu" : "+bn") : "", e->k->gemm_name);
            }
            size_t need = (size_t)(s->K * e->k->mr);
            scratch = need > scratch ? need : scratch;
        } else {
            s->kind = STEP_REF;
            s->macs = node_macs[ni];
            snprintf(s->impl, sizeof s->impl, "reference");
            /* fusions are only ever recorded for nodes the fast steps take */
            if (fx[ni].pre_scale || fx[ni].pre_pool || fx[ni].relu) {
                dn_log("internal error: fusion recorded on node '%s' that runs as reference", n->name);
                st = DN_ERR_UNSUPPORTED;
                goto fail;
            }
        }
        /* a packed weight that nothing else reads: free it now (consume) */
        if (release && (s->kind == STEP_CONV || s->kind == STEP_FC)) {
            struct dn_value *wv = &g->values[n->in[1]];
            if (reads[n->in[1]] == 1 && wv->kind == DN_VALUE_CONST && !wv->borrowed && wv->data) {
                free(wv->data);
                wv->data = NULL;
            }
        }
    }
    free(skip);
    skip = NULL;
    free(reads);
    reads = NULL;
    e->stage_floats = stage;
    e->scratch_floats = (scratch + 15) / 16 * 16;
    if (threads < 1)
        threads = 1;
    if (!e->k)
        threads = 1;
    e->apack_floats = apack;
    /* each step prefetches the next Winograd conv's weights */
    for (int i = e->n_steps - 1, next = -1; i >= 0; i--) {
        struct step *s = &e->steps[i];
        if (next >= 0) {
            s->pf = e->steps[next].wpack;
            s->pf_bytes = e->steps[next].wpack_bytes;
        }
        if (s->kind == STEP_CONV && s->wino)
            next = i;
    }
    /* In a batch, the leading convs and pools on large maps run image by
     * image, so one image's activations stay in cache through them; the
     * rest, on small maps, runs on the whole batch at once, whose pixel
     * tiles fill the GEMMs better. Each image's arithmetic is that of a
     * batch of one either way. */
    if (!getenv("DENSENET_BATCH_LAYERWISE"))
        while (e->split < e->n_steps && e->steps[e->split].N > 1 &&
               (e->steps[e->split].kind == STEP_CONV || e->steps[e->split].kind == STEP_POOL) &&
               e->steps[e->split].H * e->steps[e->split].W > 256)
            e->split++;
    /* Of those, the ones on maps over 32x32 (DenseNet-121 at 224: the stem
     * and the first block) run on all threads together, image after
     * image: two images at once there contend for the shared cache and
     * memory (measured 8% slower); the ones after, one image per thread
     * (measured 7% faster than sharing each image). */
    while (e->split_wide < e->split && e->steps[e->split_wide].H * e->steps[e->split_wide].W > 1024)
        e->split_wide++;
    st = dn_pool_init(&e->pool, threads);
    if (st != DN_OK)
        goto fail;
    *out = e;
    return DN_OK;
nomem:
    dn_log("out of memory creating the executor");
    st = DN_ERR_NOMEM;
fail:
    free(skip);
    free(reads);
    dn_exec_free(e);
    return st;
}

size_t dn_exec_buffer_bytes(const struct dn_exec *e)
{
    return (e->stage_floats + e->apack_floats + e->scratch_floats * (size_t)dn_pool_size(e->pool)) *
           sizeof(float);
}

enum dn_status dn_exec_alloc(struct dn_exec *e)
{
    e->stage = e->stage_floats ? aligned_floats(e->stage_floats) : NULL;
    e->apack = e->apack_floats ? aligned_floats(e->apack_floats) : NULL;
    e->scratch = e->scratch_floats ? aligned_floats(e->scratch_floats * (size_t)dn_pool_size(e->pool)) : NULL;
    if ((e->stage_floats && !e->stage) || (e->apack_floats && !e->apack) || (e->scratch_floats && !e->scratch)) {
        dn_log("out of memory allocating %zu bytes of executor buffers", dn_exec_buffer_bytes(e));
        return DN_ERR_NOMEM;
    }
    return DN_OK;
}

/* elements between batch items of value v as it lies in its buffer */
static int64_t batch_stride(const struct dn_graph *g, int v)
{
    const struct dn_value *val = &g->values[v];
    int r = v;
    while (g->values[r].alias_of >= 0)
        r = g->values[r].alias_of;
    const struct dn_shape *rs = &g->values[r].shape;
    if (r != v && rs->ndim == val->shape.ndim && rs->ndim >= 2)
        return dn_shape_numel(rs) / rs->d[0];
    return val->shape.d[0] > 0 ? dn_shape_numel(&val->shape) / val->shape.d[0] : 0;
}

void dn_exec_bind(struct dn_exec *e)
{
    const struct dn_graph *g = e->g;
    for (int i = 0; i < e->n_steps; i++) {
        struct step *s = &e->steps[i];
        const struct dn_node *n = &g->nodes[s->node];
        s->stage = e->stage;
        s->apack = e->apack;
        s->slot = -1;
        if (s->kind == STEP_REF)
            continue;
        s->x = g->values[n->in[0]].data;
        s->y = g->values[n->out[0]].data;
        s->x_bs = batch_stride(g, n->in[0]);
        s->y_bs = batch_stride(g, n->out[0]);
        s->x_one = g->values[n->in[0]].one_image;
        s->y_one = g->values[n->out[0]].one_image;
        if (s->gnode >= 0) {
            const struct dn_node *gn = &g->nodes[s->gnode];
            s->gx = g->values[gn->in[0]].data;
            s->gy = g->values[gn->out[0]].data;
            s->gx_bs = batch_stride(g, gn->in[0]);
        }
    }
}

static void run_step(struct dn_exec *e, const struct step *s, int ith, int nth)
{
    for (int ph = 0; ph < s->n_phases; ph++) {
        switch (s->kind) {
        case STEP_REF:
            ref_run(e, s, ith);
            break;
        case STEP_CONV:
            if (s->staged && ph == 0)
                conv_stage(e, s, ith, nth);
            else if (s->wino)
                conv_wino(e, s, ith, nth);
            else if (s->pixrows && ph == s->staged)
                conv_pixrows_pack(e, s, ith, nth);
            else if (s->pixrows)
                conv_pixrows(e, s, ith, nth);
            else
                conv_gemm(e, s, ith, nth);
            break;
        case STEP_POOL:
            pool_run(e, s, ith, nth);
            break;
        case STEP_GAP:
            gap_run(e, s, ith, nth);
            break;
        case STEP_FC:
            if (s->n_phases == 2 && ph == 0)
                tail_gap_run(e, s, ith, nth);
            else
                fc_run(e, s, ith, nth);
            break;
        }
        if (nth > 1)
            dn_pool_barrier(e->pool);
    }
}

/* Steps [i0, i1) for image b alone, with threads ith of nth: each a copy
 * narrowed to the image (its slices of input and output) using scratch slot
 * `slot` (-1: the thread's own) and the staging and packing buffers' slice
 * `slot` (-1: the first, warm from the image before). */
static void run_image(struct dn_exec *e, int i0, int i1, int64_t b, int ith, int nth, int slot, int prof)
{
    const int64_t sb = slot >= 0 ? slot : 0;
    for (int i = i0; i < i1; i++) {
        struct step t = e->steps[i];
        double t0 = prof ? now_ms() : 0.0;
        t.N = 1;
        t.x += t.x_one ? 0 : b * t.x_bs; /* a one-image buffer: the same bytes */
        t.y += t.y_one ? 0 : b * t.y_bs;
        if (t.staged)
            t.stage += sb * t.C * t.HS * t.WS;
        if (t.pixrows)
            t.apack += sb * cdiv(t.OH * t.OW, e->k->mr) * t.K * e->k->mr;
        t.slot = slot;
        run_step(e, &t, ith, nth);
        if (prof)
            e->steps[i].time_ms += now_ms() - t0;
    }
}

static void run_all(void *arg, int ith, int nth)
{
    struct dn_exec *e = arg;
    const int prof = e->profile && ith == 0;
    if (prof)
        for (int i = 0; i < e->n_steps; i++)
            e->steps[i].time_ms = 0.0;
    /* a batch's steps [0, split) image by image: those before split_wide
     * one image at a time on every thread; the rest in rounds of nth
     * images, one image per thread, each thread alone (no barriers;
     * profiles show thread 0's images), then the images left over one at
     * a time on every thread */
    const int64_t nb = e->split > 0 ? e->steps[0].N : 0;
    const int64_t rounds = nth > 1 && !e->no_image_parallel ? nb / nth : 0;
    for (int64_t b = 0; b < nb; b++)
        run_image(e, 0, e->split_wide, b, ith, nth, -1, prof);
    for (int64_t r = 0; r < rounds; r++)
        run_image(e, e->split_wide, e->split, r * nth + ith, 0, 1, ith, prof);
    if (rounds > 0)
        dn_pool_barrier(e->pool);
    for (int64_t b = rounds * nth; b < nb; b++)
        run_image(e, e->split_wide, e->split, b, ith, nth, -1, prof);
    for (int i = e->split; i < e->n_steps; i++) {
        double t0 = prof ? now_ms() : 0.0;
        run_step(e, &e->steps[i], ith, nth);
        if (prof)
            e->steps[i].time_ms = now_ms() - t0;
    }
}

enum dn_status dn_exec_run(struct dn_exec *e)
{
    e->st = DN_OK;
    dn_pool_run(e->pool, run_all, e);
    return e->st;
}

void dn_exec_free(struct dn_exec *e)
{
    if (!e)
        return;
    dn_pool_free(e->pool);
    for (int i = 0; i < e->n_steps; i++)
        free(e->steps[i].wpack);
    free(e->steps);
    free(e->stage);
    free(e->apack);
    free(e->scratch);
    free(e->tin);
    free(e->tout);
    free(e);
}

int dn_exec_step_count(const struct dn_exec *e)
{
    return e->n_steps;
}

void dn_exec_step_info(const struct dn_exec *e, int i, struct dn_node_info *info)
{
    const struct step *s = &e->steps[i];
    const struct dn_graph *g = e->g;
    const struct dn_node *n = &g->nodes[s->node];
    info->name = n->name;
    info->op = dn_op_get(n->op)->name;
    info->impl = s->impl;
    info->shape = g->values[n->out[0]].shape;
    info->macs = s->macs;
    info->params = 0;
    for (int j = 0; j < n->n_in; j++)
        if (n->in[j] >= 0 && g->values[n->in[j]].initializer)
            info->params += dn_shape_numel(&g->values[n->in[j]].shape);
    info->time_ms = s->time_ms;
}

int dn_exec_split_node(const struct dn_exec *e)
{
    return e->split > 0 ? e->steps[e->split - 1].node : -1;
}

int dn_exec_wide_node(const struct dn_exec *e)
{
    return e->split_wide > 0 ? e->steps[e->split_wide - 1].node : -1;
}

size_t dn_exec_weight_bytes(const struct dn_exec *e)
{
    size_t t = 0;
    for (int i = 0; i < e->n_steps; i++)
        t += e->steps[i].wpack_bytes;
    return t;
}


int dn_exec_threads(const struct dn_exec *e)
{
    return dn_pool_size(e->pool);
}
