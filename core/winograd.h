/* winograd.h: 3x3 stride-1 dilation-1 convolution by Winograd F(4x4, 3x3).
 *
 * The input is read straight from the activation (NCHW planes with a batch
 * stride) through an optional per-channel prologue x * scale + shift, then
 * ReLU, with the zero padding applied as it is read: no staged copy. Output
 * channel m of image b is the plane y + b * y_bs + m * OH * OW.
 *
 * Two modes split the work into GEMMs on k's microkernel, per frequency:
 *   DN_WINO_COLS  4x4 tiles as the GEMM's columns (units of nr tiles, weights
 *                 as packed-A tiles of mr output channels): maps with many
 *                 tiles.
 *   DN_WINO_ROWS  tiles as its rows (units of mr tiles, weights as packed-B
 *                 panels of nr output channels): small maps, whose few tiles
 *                 would leave a panel of nr tiles mostly empty.
 * Units are numbered over all images' tiles (dn_wino_units); each output
 * element belongs to exactly one unit and is computed the same way however
 * units are split among threads, so results are bit-identical for any split.
 * The weights are packed once (dn_wino_pack) for one kernel table and mode
 * and used only with those. Nothing here allocates or keeps state: buffers
 * belong to the caller.
 */
#ifndef DN_WINOGRAD_H
#define DN_WINOGRAD_H

#include "kernels/kernels.h"

#include <stddef.h>
#include <stdint.h>

enum dn_wino_mode { DN_WINO_COLS = 1, DN_WINO_ROWS = 2 };

/* One conv: y = relu?(conv3x3(pad(f(x)), w) + bias), f(v) = relu?(v * pre_scale
 * + pre_shift) per input channel (pre_scale NULL: f(v) = v, or max(0, v)
 * when pre_relu). The padded input has pt rows above and pl columns left of
 * x's H x W planes and zeros as far as the output needs: OH, OW >= 1 are
 * the output's size (H + pt + pad_bottom - 2 and the like). */
struct dn_wino_conv {
    enum dn_wino_mode mode;
    const float *packed;            /* dn_wino_pack's output for this mode and table */
    const float *x;                 /* image 0, channel 0 */
    int64_t x_bs;                   /* floats between images of x */
    int64_t N, C, H, W, pt, pl;
    const float *pre_scale, *pre_shift;
    int pre_relu;
    int64_t M, OH, OW;
    const float *bias;              /* per output channel, or NULL */
    int relu;
    float *y;
    int64_t y_bs;                   /* floats between images of y */
    /* optional: bytes to bring into the caches while the GEMMs run (the
     * next conv's packed weights, which would otherwise come from memory
     * when it starts); each call prefetches its units' share */
    const void *pf;
    size_t pf_bytes;
};

/* The way to run a 3x3 stride-1 conv of N images, M output channels, OH x
 * OW outputs on k: DN_WINO_ROWS, DN_WINO_COLS, or 0 for im2col + GEMM (as
 * pixel tiles of mr, i.e. core/exec.c's pixrows, when pixrows, else as
 * panels of nr pixels). The rule and the measurements behind it are at
 * its definition. */
int dn_wino_choose(const struct dn_kernels *k, int64_t N, int64_t M, int64_t OH, int64_t OW,
                   int pixrows);

/* floats of the packed (transformed) weights of an M x C x 3 x 3 filter */
size_t dn_wino_weight_floats(const struct dn_kernels *k, enum dn_wino_mode mode, int64_t M,
                             int64_t C);

/* packed = G w G^T per output/input channel pair (computed in double), per
 * frequency f < 36 as k's packed A [M x C] (COLS: tiles of mr output
 * channels, packed[((f * ceil(M / mr) + t) * C + c) * mr + i]) or packed B
 * [C x M] (ROWS: panels of nr, packed[((f * ceil(M / nr) + p) * C + c) * nr + j]);
 * output channels past M are zero. */
void dn_wino_pack(const struct dn_kernels *k, enum dn_wino_mode mode, const float *w, int64_t M,
                  int64_t C, float *packed);

/* number of work units for N images of OH x OW outputs */
int64_t dn_wino_units(const struct dn_kernels *k, enum dn_wino_mode mode, int64_t N, int64_t OH,
                      int64_t OW);

/* floats of per-thread scratch dn_wino_run needs (pass 64-byte aligned) */
size_t dn_wino_scratch_floats(const struct dn_kernels *k, enum dn_wino_mode mode, int64_t M,
                              int64_t C);

/* Computes units [unit_lo, unit_hi) of cv. scratch: dn_wino_scratch_floats
 * floats, 64-byte aligned, owned by the calling thread. */
void dn_wino_run(const struct dn_kernels *k, const struct dn_wino_conv *cv, int64_t unit_lo,
                 int64_t unit_hi, float *scratch);

#endif
