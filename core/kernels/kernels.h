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
 * A run is up to nr consecutive 4x4 output tiles of one image and tile row,
 * lanes j0..j0+len of a work unit. Offsets are in floats: in_off from the
 * staged channel plane of image 0 to the run's first 6x6 patch (stage rows
 * and columns readable from there: in_rows <= 6, in_cols <= 4 len + 2),
 * out_off from output channel 0 of image 0 to its first output pixel
 * (out_rows <= 4 rows of out_cols <= 4 len pixels stored). */
struct dn_wino_run {
    int64_t in_off, out_off;
    int j0, len, in_rows, in_cols, out_rows, out_cols;
};
/* v[f * vs + j] = (B^T d_j B)[f], f < 36, j < nr, for the patches in plane x. */
typedef void (*dn_f32_wino_in_fn)(const float *x, int64_t ldx, const struct dn_wino_run *runs,
                                  int nruns, float *v, int64_t vs);
/* y tiles = A^T m_j A + bias (then ReLU), m_j[f] = mf[f * ms + j]. */
typedef void (*dn_f32_wino_out_fn)(const float *mf, int64_t ms, const struct dn_wino_run *runs,
                                   int nruns, float bias, int relu, float *y, int64_t ldy);

struct dn_kernels {
    enum dn_isa isa;
    const char *gemm_name;  /* "f32_gemm_8x32__avx512" */
    int mr, nr;
    dn_f32_gemm_fn gemm;
    dn_f32_pack_rows_fn pack_rows;
    dn_f32_pack_im2col_fn pack_im2col;
    dn_f32_stage_plane_fn stage_plane;      /* see plane-inc.h */
    dn_f32_maxpool_plane_fn maxpool_plane;
    dn_f32_wino_in_fn wino_in;              /* see wino-inc.h */
    dn_f32_wino_out_fn wino_out;
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
