/* plane-inc.h: per-plane helpers in portable C, included by every ISA's kernel
 * file (compiled there at -O3 with its flags and -ffp-contract=off) and
 * named in its table. Not a public header. */
#include <math.h>

/* One staged plane for a conv: the input plane x (H x W) with the prologue
 * applied (x * a + b when aff, then max(0, .) when relu), 2x2-average-pooled
 * when pool (the plane is then H/2 x W/2), placed at (pt, pl) inside a zeroed
 * HS x WS plane d. */
static inline void stage_plane(const float *restrict x, int64_t H, int64_t W, float a, float b, int aff,
                        int relu, int pool, int64_t pt, int64_t pl, int64_t HS, int64_t WS,
                        float *restrict d)
{
    const int64_t IH = pool ? H / 2 : H, IW = pool ? W / 2 : W;
    for (int64_t i = 0; i < pt * WS; i++)
        d[i] = 0.0f;
    for (int64_t r = 0; r < IH; r++) {
        float *restrict dr = d + (pt + r) * WS;
        for (int64_t q = 0; q < pl; q++)
            dr[q] = 0.0f;
        if (pool) {
            const float *x0 = x + 2 * r * W, *x1 = x0 + W;
            for (int64_t q = 0; q < IW; q++) {
                float u0 = x0[2 * q], u1 = x0[2 * q + 1], u2 = x1[2 * q], u3 = x1[2 * q + 1];
                if (aff) {
                    u0 = u0 * a + b;
                    u1 = u1 * a + b;
                    u2 = u2 * a + b;
                    u3 = u3 * a + b;
                }
                if (relu) {
                    u0 = u0 > 0.0f ? u0 : 0.0f;
                    u1 = u1 > 0.0f ? u1 : 0.0f;
                    u2 = u2 > 0.0f ? u2 : 0.0f;
                    u3 = u3 > 0.0f ? u3 : 0.0f;
                }
                dr[pl + q] = (((0.0f + u0) + u1) + u2 + u3) / 4.0f;
            }
        } else {
            const float *restrict xr = x + r * W;
            if (aff && relu)
                for (int64_t q = 0; q < IW; q++) {
                    float u = xr[q] * a + b;
                    dr[pl + q] = u > 0.0f ? u : 0.0f;
                }
            else if (aff)
                for (int64_t q = 0; q < IW; q++)
                    dr[pl + q] = xr[q] * a + b;
            else if (relu)
                for (int64_t q = 0; q < IW; q++)
                    dr[pl + q] = xr[q] > 0.0f ? xr[q] : 0.0f;
            else
                for (int64_t q = 0; q < IW; q++)
                    dr[pl + q] = xr[q];
        }
        for (int64_t q = pl + IW; q < WS; q++)
            dr[q] = 0.0f;
    }
    for (int64_t i = (pt + IH) * WS; i < HS * WS; i++)
        d[i] = 0.0f;
}

/* the reference MaxPool's comparison: NaN wins, ties keep the first */
static inline float max_ref(float acc, float v)
{
    return v > acc || v != v ? v : acc;
}

/* MaxPool of one plane, separably: for each output row, the window's rows
 * are reduced into tmp (W floats), then each output takes the max of its
 * window's columns of tmp. Windows reaching only padding give -inf, as the
 * reference does. The fast loops use a plain maximum (ties keep the earlier
 * value, as the reference does); a plane holding a NaN is redone with the
 * reference's NaN-propagating comparison. */
static void maxpool_plane(const float *restrict x, int64_t H, int64_t W, const int64_t kernel[2],
                          const int64_t stride[2], const int64_t dilation[2], const int64_t pad[2],
                          int64_t OH, int64_t OW, float *restrict tmp, float *restrict y)
{
    int nan = 0;
    for (int64_t i = 0; i < H * W; i++)
        nan |= x[i] != x[i];
    for (int64_t oh = 0; oh < OH; oh++) {
        int64_t h0 = oh * stride[0] - pad[0];
        for (int64_t w = 0; w < W; w++)
            tmp[w] = -INFINITY;
        for (int64_t kh = 0; kh < kernel[0]; kh++) {
            int64_t ih = h0 + kh * dilation[0];
            if (ih < 0 || ih >= H)
                continue;
            const float *restrict xr = x + ih * W;
            if (nan)
                for (int64_t w = 0; w < W; w++)
                    tmp[w] = max_ref(tmp[w], xr[w]);
            else
                for (int64_t w = 0; w < W; w++)
                    tmp[w] = xr[w] > tmp[w] ? xr[w] : tmp[w];
        }
        float *restrict yr = y + oh * OW;
        for (int64_t ow = 0; ow < OW; ow++) {
            int64_t w0 = ow * stride[1] - pad[1];
            float acc = -INFINITY;
            for (int64_t kw = 0; kw < kernel[1]; kw++) {
                int64_t iw = w0 + kw * dilation[1];
                if (iw >= 0 && iw < W)
                    acc = nan ? max_ref(acc, tmp[iw]) : tmp[iw] > acc ? tmp[iw] : acc;
            }
            yr[ow] = acc;
        }
    }
}
