/* pack-inc.h: portable packing code, included once by each ISA's kernel file
 * that has no hand-written packing, so the compiler vectorizes it with that
 * file's flags. Defines static functions the including file names in its
 * table. Not a public header. Contraction is off in these files
 * (-ffp-contract=off) so x * scale + shift rounds exactly as the reference
 * BatchNormalization does. */
#include <string.h>

static void pack_rows(const float *restrict src, int64_t stride, int64_t kc, int n, int nr,
                      const float *scale, const float *shift, int relu, float *restrict dst)
{
    for (int64_t k = 0; k < kc; k++, src += stride, dst += nr) {
        int j = 0;
        if (scale) {
            const float a = scale[k], b = shift[k];
            if (relu)
                for (; j < n; j++) {
                    float v = src[j] * a + b;
                    dst[j] = v > 0.0f ? v : 0.0f;
                }
            else
                for (; j < n; j++)
                    dst[j] = src[j] * a + b;
        } else if (relu) {
            for (; j < n; j++)
                dst[j] = src[j] > 0.0f ? src[j] : 0.0f;
        } else {
            memcpy(dst, src, sizeof(float) * (size_t)n);
            j = n;
        }
        for (; j < nr; j++)
            dst[j] = 0.0f;
    }
}

static void pack_im2col(const struct dn_im2col *p, int64_t k0, int64_t kc, int n, int nr,
                        float *restrict dst)
{
    const int64_t taps = (int64_t)p->kh * p->kw;
    for (int64_t k = 0; k < kc; k++, dst += nr) {
        int64_t kk = k0 + k, c = kk / taps, t = kk % taps, ky = t / p->kw, kx = t % p->kw;
        const float *base = p->stage + c * p->plane + ky * p->dh * p->ws + kx * p->dw;
        for (int r = 0; r < p->nruns; r++) {
            const float *restrict src = base + p->run_off[r];
            float *restrict d = dst + p->run_j[r];
            const int64_t len = p->run_len[r];
            if (p->sw == 1)
                for (int64_t q = 0; q < len; q++)
                    d[q] = src[q];
            else
                for (int64_t q = 0; q < len; q++)
                    d[q] = src[q * p->sw];
        }
        for (int j = n; j < nr; j++)
            dst[j] = 0.0f;
    }
}
