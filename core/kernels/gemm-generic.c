/* gemm-generic.c: the portable C kernel set (no ISA flags beyond the
 * compiler's baseline). Always built; the fallback on CPUs without AVX2 and
 * the path DENSENET_ISA=generic forces. Also the dispatch table lookup. */
#include "config.h"
#include "kernels.h"

#include <string.h>

#define MR 4
#define NR 16

static void dn_f32_gemm_4x16__generic(int m, int n, int64_t kc, const float *restrict a,
                                      const float *restrict b, float *restrict c, int64_t ldc,
                                      const struct dn_gemm_params *p)
{
    float acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) {
            if (p->load_c)
                acc[i][j] = i < m && j < n ? c[i * ldc + j] : 0.0f;
            else
                acc[i][j] = (p->row_bias && i < m ? p->row_bias[i] : 0.0f) +
                            (p->col_bias && j < n ? p->col_bias[j] : 0.0f);
        }
    for (int64_t k = 0; k < kc; k++) {
        const float *ak = a + k * MR, *bk = b + k * NR;
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                acc[i][j] += ak[i] * bk[j];
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float v = acc[i][j];
            c[i * ldc + j] = p->relu && v < 0.0f ? 0.0f : v;
        }
}

static int64_t fma_loop_generic(int64_t iters)
{
    float x[8] = {1, 1, 1, 1, 1, 1, 1, 1}, y[8] = {0};
    const float s = 0.999999f, t = 1e-7f;
    for (int64_t it = 0; it < iters; it++)
        for (int i = 0; i < 8; i++)
            y[i] = y[i] * s + x[i] * t;
    volatile float sink = y[0] + y[7];
    (void)sink;
    return iters * 8 * 4;
}

#include "pack-inc.h"

#include "plane-inc.h"
#include "wino-inc.h"

const struct dn_kernels dn_kernels_generic = {
    .isa = DN_ISA_GENERIC,
    .gemm_name = "f32_gemm_4x16__generic",
    .mr = MR,
    .nr = NR,
    .gemm = dn_f32_gemm_4x16__generic,
    .pack_rows = pack_rows,
    .pack_im2col = pack_im2col,
    .stage_plane = stage_plane,
    .maxpool_plane = maxpool_plane,
    .wino_in = wino_in,
    .wino_out_cols = wino_out_cols,
    .wino_out_rows = wino_out_rows,
    .fma_loop = fma_loop_generic,
};

const struct dn_kernels *dn_kernels_for(enum dn_isa isa)
{
    switch (isa) {
    case DN_ISA_GENERIC:
        return &dn_kernels_generic;
#ifdef HAVE_AVX2_KERNELS
    case DN_ISA_AVX2:
        return &dn_kernels_avx2;
#endif
#ifdef HAVE_AVX512_KERNELS
    case DN_ISA_AVX512:
        return &dn_kernels_avx512;
#endif
    default:
        return NULL;
    }
}
