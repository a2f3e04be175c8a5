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

/* One row of a B panel from contiguous source elements: dst[j] = f(src[j])
 * for j < n, 0 for n <= j < nr, f = max(0, x * scale + shift) with the
 * affine part when scale != NULL and the clamp when relu. */
typedef void (*dn_f32_pack_row_fn)(const float *src, int n, int nr, const float *scale,
                                   const float *shift, int relu, float *dst);

struct dn_kernels {
    enum dn_isa isa;
    const char *gemm_name;  /* "f32_gemm_8x32__avx512" */
    int mr, nr;
    dn_f32_gemm_fn gemm;
    dn_f32_pack_row_fn pack_row;
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
