/* winograd.h: 3x3 stride-1 dilation-1 convolution by Winograd F(4x4, 3x3).
 *
 * The input is the executor's staged copy: per (image, channel) plane HS x WS
 * floats with the zero padding (1 each side) already applied, planes of one
 * image consecutive, so the output is OH = HS - 2 by OW = WS - 2. Output
 * channel m of image b is the plane y + b * y_bs + m * OH * OW.
 *
 * Work is split into units (dn_wino_units) of up to nr 4x4 output tiles,
 * numbered over all images; each output element belongs to exactly one unit
 * and is computed the same way however units are split among threads, so
 * results are bit-identical for any split. The weights are packed once
 * (dn_wino_pack) for one kernel table and used only with that table.
 * Nothing here allocates or keeps state: buffers belong to the caller.
 */
#ifndef DN_WINOGRAD_H
#define DN_WINOGRAD_H

#include "kernels/kernels.h"

#include <stddef.h>
#include <stdint.h>

/* floats of the packed (transformed) weights of an M x C x 3 x 3 filter */
size_t dn_wino_weight_floats(const struct dn_kernels *k, int64_t M, int64_t C);

/* packed = G w G^T per output/input channel pair (computed in double), laid
 * out per frequency f < 36 as k's packed-A matrix [M x C]: tiles of mr output
 * channels, each C rows of mr floats (channels past M zero):
 * packed[((f * ceil(M / mr) + t) * C + c) * mr + i]. */
void dn_wino_pack(const struct dn_kernels *k, const float *w, int64_t M, int64_t C, float *packed);

/* number of work units for N images of OH x OW outputs */
int64_t dn_wino_units(const struct dn_kernels *k, int64_t N, int64_t OH, int64_t OW);

/* floats of per-thread scratch dn_wino_run needs (pass 64-byte aligned) */
size_t dn_wino_scratch_floats(const struct dn_kernels *k, int64_t M, int64_t C);

/* Computes units [unit_lo, unit_hi) of y = relu?(conv3x3(stage, w) + bias)
 * (bias may be NULL, relu != 0 clamps at 0). scratch: dn_wino_scratch_floats
 * floats, 64-byte aligned, owned by the calling thread. */
void dn_wino_run(const struct dn_kernels *k, const float *packed, const float *stage, int64_t N,
                 int64_t C, int64_t HS, int64_t WS, int64_t M, const float *bias, int relu,
                 float *y, int64_t y_bs, int64_t unit_lo, int64_t unit_hi, float *scratch);

#endif
