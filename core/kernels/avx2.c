/* avx2.c: the AVX2+FMA kernel set, compiled with -mavx2 -mfma.
 * Only called after cpu.c found AVX2 and FMA with OS support for ymm state.
 *
 * dn_f32_gemm_6x16__avx2 keeps a 6x16 tile of C in 12 ymm accumulators (two
 * vectors of B loaded and one A value broadcast per row and k). Partial tiles
 * go through a full tile on the stack, copied in and out. */
#include "config.h"
#include "kernels.h"

#include <immintrin.h>

#define MR 6
#define NR 16

static void tile_6x16(int64_t kc, const float *restrict a, const float *restrict b, float *restrict c,
                      int64_t ldc, const struct dn_gemm_params *p)
{
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (p->load_c) {
#define LD(i, x0, x1)                                                   \
    x0 = _mm256_loadu_ps(c + (i) * ldc);                                \
    x1 = _mm256_loadu_ps(c + (i) * ldc + 8);
        LD(0, c00, c01) LD(1, c10, c11) LD(2, c20, c21)
        LD(3, c30, c31) LD(4, c40, c41) LD(5, c50, c51)
#undef LD
    } else {
        __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
        if (p->col_bias) {
            b0 = _mm256_loadu_ps(p->col_bias);
            b1 = _mm256_loadu_ps(p->col_bias + 8);
        }
#define BI(i, x0, x1)                                                   \
    {                                                                   \
        __m256 r = _mm256_set1_ps(p->row_bias ? p->row_bias[i] : 0.0f); \
        x0 = _mm256_add_ps(b0, r);                                      \
        x1 = _mm256_add_ps(b1, r);                                      \
    }
        BI(0, c00, c01) BI(1, c10, c11) BI(2, c20, c21)
        BI(3, c30, c31) BI(4, c40, c41) BI(5, c50, c51)
#undef BI
    }
    for (int64_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#define FM(i, x0, x1)                                                   \
    {                                                                   \
        const __m256 ai = _mm256_broadcast_ss(a + i);                   \
        x0 = _mm256_fmadd_ps(ai, b0, x0);                               \
        x1 = _mm256_fmadd_ps(ai, b1, x1);                               \
    }
        FM(0, c00, c01) FM(1, c10, c11) FM(2, c20, c21)
        FM(3, c30, c31) FM(4, c40, c41) FM(5, c50, c51)
#undef FM
        a += MR;
        b += NR;
    }
    if (p->relu) {
        const __m256 z = _mm256_setzero_ps();
        c00 = _mm256_max_ps(c00, z); c01 = _mm256_max_ps(c01, z);
        c10 = _mm256_max_ps(c10, z); c11 = _mm256_max_ps(c11, z);
        c20 = _mm256_max_ps(c20, z); c21 = _mm256_max_ps(c21, z);
        c30 = _mm256_max_ps(c30, z); c31 = _mm256_max_ps(c31, z);
        c40 = _mm256_max_ps(c40, z); c41 = _mm256_max_ps(c41, z);
        c50 = _mm256_max_ps(c50, z); c51 = _mm256_max_ps(c51, z);
    }
#define ST(i, x0, x1)                                                   \
    _mm256_storeu_ps(c + (i) * ldc, x0);                                \
    _mm256_storeu_ps(c + (i) * ldc + 8, x1);
    ST(0, c00, c01) ST(1, c10, c11) ST(2, c20, c21)
    ST(3, c30, c31) ST(4, c40, c41) ST(5, c50, c51)
#undef ST
}

static void dn_f32_gemm_6x16__avx2(int m, int n, int64_t kc, const float *restrict a,
                                   const float *restrict b, float *restrict c, int64_t ldc,
                                   const struct dn_gemm_params *p)
{
    if (m == MR && n == NR) {
        tile_6x16(kc, a, b, c, ldc, p);
        return;
    }
    float t[MR * NR] __attribute__((aligned(32)));
    float rb[MR] = {0}, cb[NR] = {0};
    struct dn_gemm_params q = *p;
    if (p->load_c) {
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                t[i * NR + j] = i < m && j < n ? c[i * ldc + j] : 0.0f;
    } else {
        for (int i = 0; i < m && p->row_bias; i++)
            rb[i] = p->row_bias[i];
        for (int j = 0; j < n && p->col_bias; j++)
            cb[j] = p->col_bias[j];
        q.row_bias = rb;
        q.col_bias = cb;
    }
    tile_6x16(kc, a, b, t, NR, &q);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
            c[i * ldc + j] = t[i * NR + j];
}

static int64_t fma_loop_avx2(int64_t iters)
{
    __m256 x[10];
    const __m256 s = _mm256_set1_ps(0.999999f), t = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 10; i++)
        x[i] = _mm256_set1_ps((float)i);
    for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 10
        for (int i = 0; i < 10; i++)
            x[i] = _mm256_fmadd_ps(x[i], s, t);
    }
    __m256 r = x[0];
    for (int i = 1; i < 10; i++)
        r = _mm256_add_ps(r, x[i]);
    float out[8];
    _mm256_storeu_ps(out, r);
    volatile float sink = out[0] + out[7];
    (void)sink;
    return iters * 10 * 8 * 2;
}

#include "pack-inc.h"

#include "plane-inc.h"
#include "wino-inc.h"

const struct dn_kernels dn_kernels_avx2 = {
    .isa = DN_ISA_AVX2,
    .gemm_name = "f32_gemm_6x16__avx2",
    .mr = MR,
    .nr = NR,
    .gemm = dn_f32_gemm_6x16__avx2,
    .pack_rows = pack_rows,
    .pack_im2col = pack_im2col,
    .stage_plane = stage_plane,
    .maxpool_plane = maxpool_plane,
    .wino_in = wino_in,
    .wino_out_cols = wino_out_cols,
    .wino_out_rows = wino_out_rows,
    .fma_loop = fma_loop_avx2,
};
