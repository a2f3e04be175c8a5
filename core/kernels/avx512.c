/* avx512.c: the AVX-512F kernel set, compiled with -mavx512f -mfma.
 * Only called after cpu.c found AVX-512F with OS support for its state.
 *
 * dn_f32_gemm_8x32__avx512 keeps an 8x32 tile of C in 16 zmm accumulators;
 * per k it loads two vectors of the B panel and broadcasts 8 values of the
 * A tile straight from memory into the multiply-adds. Partial tiles use
 * masks on columns and skip rows on load and store. */
#include "config.h"
#include "kernels.h"

#include <immintrin.h>

#define MR 8
#define NR 32

static void dn_f32_gemm_8x32__avx512(int m, int n, int64_t kc, const float *restrict a,
                                     const float *restrict b, float *restrict c, int64_t ldc,
                                     const struct dn_gemm_params *p)
{
    const __mmask16 k0 = n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1);
    const __mmask16 k1 = n >= 32 ? 0xffff : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
    __m512 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
    if (p->load_c) {
#define LD(i, x0, x1)                                                   \
    if (i < m) {                                                        \
        x0 = _mm512_maskz_loadu_ps(k0, c + (i) * ldc);                  \
        x1 = _mm512_maskz_loadu_ps(k1, c + (i) * ldc + 16);             \
    } else                                                              \
        x0 = x1 = _mm512_setzero_ps();
        LD(0, c00, c01) LD(1, c10, c11) LD(2, c20, c21) LD(3, c30, c31)
        LD(4, c40, c41) LD(5, c50, c51) LD(6, c60, c61) LD(7, c70, c71)
#undef LD
    } else {
        __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
        if (p->col_bias) {
            b0 = _mm512_maskz_loadu_ps(k0, p->col_bias);
            b1 = _mm512_maskz_loadu_ps(k1, p->col_bias + 16);
        }
#define BI(i, x0, x1)                                                   \
    {                                                                   \
        __m512 r = _mm512_set1_ps(p->row_bias && i < m ? p->row_bias[i] : 0.0f); \
        x0 = _mm512_add_ps(b0, r);                                      \
        x1 = _mm512_add_ps(b1, r);                                      \
    }
        BI(0, c00, c01) BI(1, c10, c11) BI(2, c20, c21) BI(3, c30, c31)
        BI(4, c40, c41) BI(5, c50, c51) BI(6, c60, c61) BI(7, c70, c71)
#undef BI
    }
    for (int64_t k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#define FM(i, x0, x1)                                                   \
    {                                                                   \
        const __m512 ai = _mm512_set1_ps(a[i]);                         \
        x0 = _mm512_fmadd_ps(ai, b0, x0);                               \
        x1 = _mm512_fmadd_ps(ai, b1, x1);                               \
    }
        FM(0, c00, c01) FM(1, c10, c11) FM(2, c20, c21) FM(3, c30, c31)
        FM(4, c40, c41) FM(5, c50, c51) FM(6, c60, c61) FM(7, c70, c71)
#undef FM
        a += MR;
        b += NR;
    }
    if (p->relu) {
        const __m512 z = _mm512_setzero_ps();
        c00 = _mm512_max_ps(c00, z); c01 = _mm512_max_ps(c01, z);
        c10 = _mm512_max_ps(c10, z); c11 = _mm512_max_ps(c11, z);
        c20 = _mm512_max_ps(c20, z); c21 = _mm512_max_ps(c21, z);
        c30 = _mm512_max_ps(c30, z); c31 = _mm512_max_ps(c31, z);
        c40 = _mm512_max_ps(c40, z); c41 = _mm512_max_ps(c41, z);
        c50 = _mm512_max_ps(c50, z); c51 = _mm512_max_ps(c51, z);
        c60 = _mm512_max_ps(c60, z); c61 = _mm512_max_ps(c61, z);
        c70 = _mm512_max_ps(c70, z); c71 = _mm512_max_ps(c71, z);
    }
#define ST(i, x0, x1)                                                   \
    if (i < m) {                                                        \
        _mm512_mask_storeu_ps(c + (i) * ldc, k0, x0);                   \
        _mm512_mask_storeu_ps(c + (i) * ldc + 16, k1, x1);              \
    }
    ST(0, c00, c01) ST(1, c10, c11) ST(2, c20, c21) ST(3, c30, c31)
    ST(4, c40, c41) ST(5, c50, c51) ST(6, c60, c61) ST(7, c70, c71)
#undef ST
}

static int64_t fma_loop_avx512(int64_t iters)
{
    __m512 x[12];
    const __m512 s = _mm512_set1_ps(0.999999f), t = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++)
        x[i] = _mm512_set1_ps((float)i);
    for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            x[i] = _mm512_fmadd_ps(x[i], s, t);
    }
    __m512 r = x[0];
    for (int i = 1; i < 12; i++)
        r = _mm512_add_ps(r, x[i]);
    volatile float sink = _mm512_reduce_add_ps(r);
    (void)sink;
    return iters * 12 * 16 * 2;
}

static inline __mmask16 lo_mask(int64_t n)
{
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
}

/* pack_rows for nr <= 32: masked loads, the affine part as a separate multiply
 * and add (as the reference rounds it), ReLU as max with zero */
static void pack_rows_avx512(const float *restrict src, int64_t stride, int64_t kc, int n, int nr,
                             const float *scale, const float *shift, int relu, float *restrict dst)
{
    const __mmask16 k0 = lo_mask(n), k1 = lo_mask(n - 16);
    const __mmask16 s0 = lo_mask(nr), s1 = lo_mask(nr - 16);
    const __m512 z = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; k++, src += stride, dst += nr) {
        __m512 v0 = _mm512_maskz_loadu_ps(k0, src), v1 = _mm512_maskz_loadu_ps(k1, src + 16);
        if (scale) {
            const __m512 a = _mm512_set1_ps(scale[k]), b = _mm512_set1_ps(shift[k]);
            v0 = _mm512_maskz_add_ps(k0, _mm512_mul_ps(v0, a), b);
            v1 = _mm512_maskz_add_ps(k1, _mm512_mul_ps(v1, a), b);
        }
        if (relu) {
            v0 = _mm512_max_ps(v0, z);
            v1 = _mm512_max_ps(v1, z);
        }
        _mm512_mask_storeu_ps(dst, s0, v0);
        _mm512_mask_storeu_ps(dst + 16, s1, v1);
    }
}

static void pack_rows_pair_avx512(const float *restrict src, int64_t stride, int64_t kc, int n,
                                  const float *scale, const float *shift, int relu, float *restrict dst0,
                                  float *restrict dst1)
{
    const __mmask16 m = lo_mask(n);
    const __m512 z = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; k++, src += stride, dst0 += 8, dst1 += 8) {
        __m512 v = _mm512_maskz_loadu_ps(m, src);
        if (scale)
            v = _mm512_maskz_add_ps(m, _mm512_mul_ps(v, _mm512_set1_ps(scale[k])), _mm512_set1_ps(shift[k]));
        if (relu)
            v = _mm512_max_ps(v, z);
        _mm512_mask_storeu_ps(dst0, 0x00ff, v);
        _mm512_mask_storeu_ps(dst1 - 8, 0xff00, v); /* lanes 8..15 land on dst1[0..7] */
    }
}

static void pack_im2col_avx512(const struct dn_im2col *p, int64_t k0, int64_t kc, int n, int nr,
                               float *restrict dst)
{
    const int64_t taps = (int64_t)p->kh * p->kw;
    const __m512 z = _mm512_setzero_ps();
    const __m512i even_idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    __mmask16 m0[64], m1[64];
    const __mmask16 s0 = lo_mask(nr), s1 = lo_mask(nr - 16);
    (void)n;
    for (int r = 0; r < p->nruns; r++) {
        m0[r] = lo_mask(p->run_len[r]);
        m1[r] = lo_mask(p->run_len[r] - 16);
    }
    int64_t c = k0 / taps, t = k0 % taps;
    for (int64_t k = 0; k < kc; k++, dst += nr) {
        int64_t ky = t / p->kw, kx = t % p->kw;
        const float *base = p->stage + c * p->plane + ky * p->dh * p->ws + kx * p->dw;
        _mm512_mask_storeu_ps(dst, s0, z);
        _mm512_mask_storeu_ps(dst + 16, s1, z);
        for (int r = 0; r < p->nruns; r++) {
            const float *src = base + p->run_off[r];
            float *d = dst + p->run_j[r];
            if (p->sw == 1) {
                _mm512_mask_storeu_ps(d, m0[r], _mm512_maskz_loadu_ps(m0[r], src));
                if (m1[r])
                    _mm512_mask_storeu_ps(d + 16, m1[r], _mm512_maskz_loadu_ps(m1[r], src + 16));
            } else if (p->sw == 2) {
                /* even elements of up to 64 consecutive floats */
                int64_t len = p->run_len[r];
                for (int64_t q = 0; q < len; q += 16) {
                    int64_t left = 2 * (len - q) - 1; /* floats needed from src + 2q */
                    __m512 lo = _mm512_maskz_loadu_ps(lo_mask(left), src + 2 * q);
                    __m512 hi = _mm512_maskz_loadu_ps(lo_mask(left - 16), src + 2 * q + 16);
                    __m512 ev = _mm512_permutex2var_ps(lo, even_idx, hi);
                    _mm512_mask_storeu_ps(d + q, lo_mask(len - q), ev);
                }
            } else {
                for (int64_t q = 0; q < p->run_len[r]; q++)
                    d[q] = src[q * p->sw];
            }
        }
        if (++t == taps) {
            t = 0;
            c++;
        }
    }
}


static inline __m512 act16(__m512 v, __m512 a, __m512 b, int aff, int relu)
{
    if (aff)
        v = _mm512_add_ps(_mm512_mul_ps(v, a), b);
    return relu ? _mm512_max_ps(v, _mm512_setzero_ps()) : v;
}

static void zero_floats(float *d, int64_t n)
{
    const __m512 z = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(d + i, z);
    if (i < n)
        _mm512_mask_storeu_ps(d + i, lo_mask(n - i), z);
}

/* stage_plane (see plane-inc.h) with 16 lanes; pooling takes the even and
 * odd columns of two rows apart with permutes */
static void stage_plane_avx512(const float *restrict x, int64_t H, int64_t W, float a, float b, int aff,
                               int relu, int pool, int64_t pt, int64_t pl, int64_t HS, int64_t WS,
                               float *restrict d)
{
    const int64_t IH = pool ? H / 2 : H, IW = pool ? W / 2 : W;
    const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b), quarter = _mm512_set1_ps(0.25f);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    zero_floats(d, pt * WS);
    for (int64_t r = 0; r < IH; r++) {
        float *restrict dr = d + (pt + r) * WS;
        zero_floats(dr, pl);
        if (pool) {
            const float *x0 = x + 2 * r * W, *x1 = x0 + W;
            for (int64_t q = 0; q < IW; q += 16) {
                int64_t need = 2 * (IW - q); /* inputs left in this row pair */
                __mmask16 mlo = lo_mask(need), mhi = lo_mask(need - 16);
                __m512 l0 = act16(_mm512_maskz_loadu_ps(mlo, x0 + 2 * q), va, vb, aff, relu);
                __m512 h0 = act16(_mm512_maskz_loadu_ps(mhi, x0 + 2 * q + 16), va, vb, aff, relu);
                __m512 l1 = act16(_mm512_maskz_loadu_ps(mlo, x1 + 2 * q), va, vb, aff, relu);
                __m512 h1 = act16(_mm512_maskz_loadu_ps(mhi, x1 + 2 * q + 16), va, vb, aff, relu);
                __m512 sum = _mm512_add_ps(_mm512_permutex2var_ps(l0, even, h0), _mm512_permutex2var_ps(l0, odd, h0));
                sum = _mm512_add_ps(sum, _mm512_permutex2var_ps(l1, even, h1));
                sum = _mm512_add_ps(sum, _mm512_permutex2var_ps(l1, odd, h1));
                _mm512_mask_storeu_ps(dr + pl + q, lo_mask(IW - q), _mm512_mul_ps(sum, quarter));
            }
        } else {
            const float *xr = x + r * W;
            for (int64_t q = 0; q < IW; q += 16) {
                __mmask16 m = lo_mask(IW - q);
                _mm512_mask_storeu_ps(dr + pl + q, m, act16(_mm512_maskz_loadu_ps(m, xr + q), va, vb, aff, relu));
            }
        }
        zero_floats(dr + pl + IW, WS - pl - IW);
    }
    zero_floats(d + (pt + IH) * WS, (HS - pt - IH) * WS);
}

#include "plane-inc.h"
#include "wino-inc.h"

/* maxpool_plane (see plane-inc.h) for stride-2 windows without dilation
 * across columns, the common pooling: rows reduced 16 lanes wide, then the
 * even columns of each tap taken with a permute. tmp has 64 floats of
 * margin on both sides, filled with -inf, so windows can run off the edges.
 * Other windows, and planes holding a NaN, go to the portable code. */
static void maxpool_plane_avx512(const float *restrict x, int64_t H, int64_t W, const int64_t kernel[2],
                                 const int64_t stride[2], const int64_t dilation[2], const int64_t pad[2],
                                 int64_t OH, int64_t OW, float *restrict tmp, float *restrict y)
{
    __mmask16 nan = 0;
    for (int64_t i = 0; i < H * W; i += 16) {
        __m512 v = _mm512_maskz_loadu_ps(lo_mask(H * W - i), x + i);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    if (nan || stride[1] != 2 || dilation[1] != 1 || pad[1] > 32 || kernel[1] > 32) {
        maxpool_plane(x, H, W, kernel, stride, dilation, pad, OH, OW, tmp, y);
        return;
    }
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    float *t = tmp + 64;
    for (int64_t i = -64; i < 0; i++)
        t[i] = -INFINITY;
    for (int64_t oh = 0; oh < OH; oh++) {
        int64_t h0 = oh * stride[0] - pad[0];
        for (int64_t w = 0; w < W + 64; w += 16)
            _mm512_storeu_ps(t + w, ninf);
        for (int64_t kh = 0; kh < kernel[0]; kh++) {
            int64_t ih = h0 + kh * dilation[0];
            if (ih < 0 || ih >= H)
                continue;
            const float *xr = x + ih * W;
            for (int64_t w = 0; w < W; w += 16) {
                __mmask16 m = lo_mask(W - w);
                __m512 v = _mm512_maskz_loadu_ps(m, xr + w), acc = _mm512_loadu_ps(t + w);
                _mm512_mask_storeu_ps(t + w, m, _mm512_max_ps(v, acc));
            }
        }
        float *yr = y + oh * OW;
        for (int64_t q = 0; q < OW; q += 16) {
            const float *base = t + 2 * q - pad[1];
            __m512 acc = ninf;
            for (int64_t kw = 0; kw < kernel[1]; kw++) {
                __m512 v = _mm512_permutex2var_ps(_mm512_loadu_ps(base + kw), even, _mm512_loadu_ps(base + kw + 16));
                acc = _mm512_max_ps(v, acc);
            }
            _mm512_mask_storeu_ps(yr + q, lo_mask(OW - q), acc);
        }
    }
}

const struct dn_kernels dn_kernels_avx512 = {
    .isa = DN_ISA_AVX512,
    .gemm_name = "f32_gemm_8x32__avx512",
    .mr = MR,
    .nr = NR,
    .gemm = dn_f32_gemm_8x32__avx512,
    .pack_rows = pack_rows_avx512,
    .pack_rows_pair = pack_rows_pair_avx512,
    .pack_im2col = pack_im2col_avx512,
    .stage_plane = stage_plane_avx512,
    .maxpool_plane = maxpool_plane_avx512,
    .wino_in = wino_in,
    .wino_out_cols = wino_out_cols,
    .wino_out_rows = wino_out_rows,
    .fma_loop = fma_loop_avx512,
};
