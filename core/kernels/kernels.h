/* kernels.h: the table of optimized kernels one ISA provides.
 *
 * Each ISA's kernels live in their own file (gemm-generic.c, avx2.c, avx512.c),
 * compiled with their own flags into their own convenience library; the
 * executor picks a table once per session with dn_kernels_for and calls
 * through it. Kernels are pure functions of their arguments: they own nothing
 * and touch no globals, so any thread may call them on disjoint outputs.
 *
 * Packed layouts (mr, nr from the table):
 *   A: per tile of mr rows, for each k, mr consecutive floats (rows past the
 *      end of the matrix are zero): a[k * mr + i].
 *   B: per panel of nr columns, for each k, nr consecutive floats (columns
 *      past the end are zero): b[k * nr + j].
 *   C: row-major with leading dimension ldc; only m x n is written.
 */
#ifndef DN_KERNELS_H
#define DN_KERNELS_H

#include "../densenet.h"

struct dn_gemm_params {
    const float *row_bias;  /* per row of C, or NULL (used when !load_c) */
    const float *col_bias;  /* per column of C, or NULL (used when !load_c) */
    int load_c;             /* 1: C += A*B; 0: C = bias + A*B */
    int relu;               /* clamp the stored result at 0 */
};

/* C[m x n] (+)= A[m x kc] * B[kc x n], 1 <= m <= mr, 1 <= n <= nr. */
typedef void (*dn_f32_gemm_fn)(int m, int n, int64_t kc, const float *a, const float *b,
                               float *c, int64_t ldc, const struct dn_gemm_params *p);

/* kc rows of a B panel from rows src + k * stride: dst[k * nr + j] =
 * f_k(src[k * stride + j]) for j < n, 0 for n <= j < nr, where
 * f_k(x) = x * scale[k] + shift[k] when scale != NULL, then max(0, .) when relu. */
typedef void (*dn_f32_pack_rows_fn)(const float *src, int64_t stride, int64_t kc, int n, int nr,
                                    const float *scale, const float *shift, int relu, float *dst);

/* Two 8-wide B panels (or pixel tiles) from 16 consecutive source columns:
 * columns 0..7 into dst0 and 8..15 into dst1, each k-major with 8 floats per
 * k, f_k as for pack_rows; columns at or past n are zero. NULL where the set
 * has no such kernel (two pack_rows calls do the same). */
typedef void (*dn_f32_pack_rows_pair_fn)(const float *src, int64_t stride, int64_t kc, int n,
                                         const float *scale, const float *shift, int relu,
                                         float *dst0, float *dst1);

/* im2col from staged (already padded) planes: row k = (c, ky, kx) of the
 * panel takes, for each run r of consecutive output pixels in one output row,
 * run_len[r] elements at stride sw from
 * stage + c * plane + run_off[r] + ky * dh * ws + kx * dw, into columns
 * run_j[r]..; columns n..nr are zero. */
struct dn_im2col {
    const float *stage;
    int64_t plane, ws, sw, dh, dw;
    int kh, kw, nruns;
    int64_t run_j[64], run_off[64], run_len[64];
};
typedef void (*dn_f32_pack_im2col_fn)(const struct dn_im2col *p, int64_t k0, int64_t kc, int n,
                                      int nr, float *dst);

typedef void (*dn_f32_stage_plane_fn)(const float *x, int64_t H, int64_t W, float a, float b,
                                      int aff, int relu, int pool, int64_t pt, int64_t pl,
                                      int64_t HS, int64_t WS, float *d);
/* tmp: W + 192 floats */
typedef void (*dn_f32_maxpool_plane_fn)(const float *x, int64_t H, int64_t W, const int64_t kernel[2],
                                        const int64_t stride[2], const int64_t dilation[2],
                                        const int64_t pad[2], int64_t OH, int64_t OW, float *tmp,
                                        float *y);

/* Winograd F(4x4, 3x3) transforms (wino-inc.h, used by core/winograd.c).
 * A run is consecutive 4x4 output tiles of one image and tile row, lanes
 * j0..j0+len of a work unit. Its first tile's 6x6 input patch starts at row
 * row0, column col0 of image x_off's planes (negative or past the plane:
 * reads as zero, the conv's padding), its output at y + out_off (out_rows
 * <= 4 rows of out_cols <= 4 len pixels are stored). Offsets in floats. */
struct dn_wino_run {
    int64_t x_off, out_off;
    int row0, col0;
    int j0, len, out_rows, out_cols;
};
/* the input of the input transform: channel c's H x W plane at
 * x + c * plane, read through the prologue f(v) = v * scale[c] + shift[c]
 * (when scale is not NULL), then max(0, .) (when relu); padding stays 0.
 * Floats in [lo, hi) may be read (and discarded) besides the planes'. */
struct dn_wino_in {
    const float *x;
    int64_t plane, H, W;
    const float *scale, *shift;
    int relu;
    const float *lo, *hi;
};
/* For channel c < nc and each tile j of the runs:
 * v[f * vf + c * lanes + j] = (B^T d_j B)[f], f < 36, where d_j is the tile's
 * 6x6 patch; lanes of each channel past the last run's end are set to 0.
 * lanes <= 64, a multiple of the ISA's vector length / 4; vf >= nc * lanes
 * + 16: each row's last 16 floats may be overwritten. */
typedef void (*dn_f32_wino_in_fn)(const struct dn_wino_in *in, int64_t nc,
                                  const struct dn_wino_run *runs, int nruns, int lanes, float *v,
                                  int64_t vf);
/* For output channel m < nm and each tile j of the runs, the 4x4 tile of
 * y + m * ym (rows ldy apart) = A^T M A + bias[m] (bias may be NULL), then
 * ReLU when relu, where M[f] = mf[f * mf_f + m * mf_x + j] (wino_out_cols:
 * tiles as lanes; reads up to the ISA's vector length - 1 floats past the
 * last tile's) or M[f] = mf[f * mf_f + j * mf_x + m] (wino_out_rows:
 * channels as lanes; mf, mf_f and mf_x aligned to the vector length, reads
 * channels up to nm rounded up to it). */
typedef void (*dn_f32_wino_out_fn)(const float *mf, int64_t mf_f, int64_t mf_x, int64_t nm,
                                   const struct dn_wino_run *runs, int nruns, const float *bias,
                                   int relu, float *y, int64_t ym, int64_t ldy);

struct dn_kernels {
    enum dn_isa isa;
    const char *gemm_name;  /* "f32_gemm_8x32__avx512" */
    int mr, nr;
    dn_f32_gemm_fn gemm;
    dn_f32_pack_rows_fn pack_rows;
    dn_f32_pack_rows_pair_fn pack_rows_pair;
    dn_f32_pack_im2col_fn pack_im2col;
    dn_f32_stage_plane_fn stage_plane;      /* see plane-inc.h */
    dn_f32_maxpool_plane_fn maxpool_plane;
    dn_f32_wino_in_fn wino_in;              /* see wino-inc.h */
    dn_f32_wino_out_fn wino_out_cols;
    dn_f32_wino_out_fn wino_out_rows;
    /* A loop of independent multiply-adds on registers; returns the FLOPs done. */
    int64_t (*fma_loop)(int64_t iters);
};

/* The table for isa (REFERENCE and AUTO: NULL), or NULL when not built. */
const struct dn_kernels *dn_kernels_for(enum dn_isa isa);

extern const struct dn_kernels dn_kernels_generic;
#ifdef HAVE_AVX2_KERNELS
extern const struct dn_kernels dn_kernels_avx2;
#endif
#ifdef HAVE_AVX512_KERNELS
extern const struct dn_kernels dn_kernels_avx512;
#endif

#endif
