/* cli/preprocess.c - image to input tensor, bit-exact with torchvision.
 *
 * Port of the pieces torchvision 0.14 + Pillow 9.4 run for
 * Resize(N) / CenterCrop / ToTensor / Normalize on a PIL image:
 *  - size rule of torchvision's _compute_resized_output_size;
 *  - Pillow's ImagingResample with the BILINEAR filter (Resample.c):
 *    double coefficients normalized per output pixel, 22-bit fixed point,
 *    horizontal pass first into an 8-bit image, then vertical; a pass is
 *    skipped when its dimension is unchanged;
 *  - CenterCrop offsets int(round((size - crop) / 2.0)) (round half to
 *    even) and zero padding when the crop is larger;
 *  - float32 x / 255, then (x - mean) / std, as torch computes them.
 * Only the pixels inside the crop window are resampled; every output
 * pixel depends only on its own coefficients, so this changes nothing.
 * Gray is Pillow's RGB -> L: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16.
 * Ownership: all buffers are internal and freed before returning.
 */
#include "preprocess.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRECISION_BITS (32 - 8 - 2) /* as Pillow's Resample.c */


void cli_preprocess_opts_default(struct cli_preprocess_opts *o)
{
    /* double constants rounded to float, as torch.as_tensor(float32) */
    static const double mean[3] = {0.485, 0.456, 0.406};
    static const double std[3] = {0.229, 0.224, 0.225};
    int i;

    if (!o)
        return;
    o->resize = 256;
    o->crop_h = o->crop_w = 224;
    for (i = 0; i < 3; i++) {
        o->mean[i] = (float)mean[i];
        o->std[i] = (float)std[i];
    }
    o->gray = 0;
}

/* A whole decimal integer in 1..CLI_PREPROCESS_MAX_SIZE; *end gets the
 * first character after it. */
static int parse_size(const char *s, int *v, const char **end)
{
    char *e;
    long n;

    if (!isdigit((unsigned char)*s))
        return -1;
    n = strtol(s, &e, 10);
    if (n < 1 || n > CLI_PREPROCESS_MAX_SIZE)
        return -1;
    *v = (int)n;
    *end = e;
    return 0;
}

/* "N" or "HxW"; N means NxN. */
static int parse_crop(const char *s, int *h, int *w)
{
    if (parse_size(s, h, &s))
        return -1;
    if (*s == '\0') {
        *w = *h;
        return 0;
    }
    if ((*s != 'x' && *s != 'X') || parse_size(s + 1, w, &s) || *s)
        return -1;
    return 0;
}

/* One or three comma separated finite numbers (spaces allowed), each
 * rounded to float through double as Python floats are. */
static int parse_triple(const char *s, float v[3])
{
    int n = 0;
    char *e;
    double d;

    for (;;) {
        if (n == 3)
            return -1;
        d = strtod(s, &e);
        if (e == s || !isfinite((float)d))
            return -1;
        v[n++] = (float)d;
        while (isspace((unsigned char)*e))
            e++;
        if (*e == '\0')
            break;
        if (*e != ',')
            return -1;
        s = e + 1;
    }
    if (n == 2)
        return -1;
    if (n == 1)
        v[1] = v[2] = v[0];
    return 0;
}

int cli_preprocess_opts_set(struct cli_preprocess_opts *o, const char *key,
                           const char *value, char *err, size_t errlen)
{
    const char *end;
    float v[3];
    int a, b, i;

    if (!o || !key || !value) {
        cli_set_err(err, errlen, "missing preprocessing option or value");
        return -1;
    }
    if (strcmp(key, "resize") == 0) {
        if (strcmp(value, "none") == 0) {
            a = 0;
        } else if (parse_size(value, &a, &end) || *end) {
            cli_set_err(err, errlen, "invalid resize '%s': expected an integer "
                    "in 1..%d or none", value, CLI_PREPROCESS_MAX_SIZE);
            return -1;
        }
        o->resize = a;
    } else if (strcmp(key, "crop") == 0) {
        if (strcmp(value, "none") == 0) {
            a = b = 0;
        } else if (parse_crop(value, &a, &b)) {
            cli_set_err(err, errlen, "invalid crop '%s': expected N or HxW with "
                    "integers in 1..%d, or none", value,
                    CLI_PREPROCESS_MAX_SIZE);
            return -1;
        }
        o->crop_h = a;
        o->crop_w = b;
    } else if (strcmp(key, "mean") == 0 || strcmp(key, "std") == 0) {
        int is_std = key[0] == 's';

        if (parse_triple(value, v)) {
            cli_set_err(err, errlen, "invalid %s '%s': expected one or three "
                    "comma-separated numbers", key, value);
            return -1;
        }
        for (i = 0; is_std && i < 3; i++) {
            if (v[i] == 0.0f) {
                cli_set_err(err, errlen, "invalid std '%s': must not be zero",
                        value);
                return -1;
            }
        }
        memcpy(is_std ? o->std : o->mean, v, sizeof v);
    } else if (strcmp(key, "gray") == 0) {
        if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0) {
            o->gray = 1;
        } else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0) {
            o->gray = 0;
        } else {
            cli_set_err(err, errlen, "invalid gray '%s': expected 0, 1, true or "
                    "false", value);
            return -1;
        }
    } else {
        cli_set_err(err, errlen, "unknown preprocessing option '%s'", key);
        return -1;
    }
    return 0;
}

/* torchvision _compute_resized_output_size for an int size:
 * short side = N, long side = int(N * long / short). */
static int resized_dims(const struct cli_preprocess_opts *o, int w, int h,
                        int *rw, int *rh)
{
    int shrt = w <= h ? w : h, lng = w <= h ? h : w;
    double new_long;

    *rw = w;
    *rh = h;
    if (o->resize <= 0)
        return 0;
    new_long = (double)((long long)o->resize * lng) / shrt;
    if (!(new_long < INT_MAX))
        return -1;
    *rw = w <= h ? o->resize : (int)new_long;
    *rh = w <= h ? (int)new_long : o->resize;
    return 0;
}

void cli_preprocess_dims(const struct cli_preprocess_opts *o, int img_w,
                        int img_h, int *c, int *h, int *w)
{
    int rw = 0, rh = 0, ok;

    ok = o && img_w > 0 && img_h > 0 &&
         resized_dims(o, img_w, img_h, &rw, &rh) == 0;
    *c = ok ? (o->gray ? 1 : 3) : 0;
    *h = ok ? (o->crop_h > 0 ? o->crop_h : rh) : 0;
    *w = ok ? (o->crop_w > 0 ? o->crop_w : rw) : 0;
}

/* The filter taps per output of a resize from in_size to out_size
 * (coeffs_init's ksize). */
static double taps(int in_size, int out_size)
{
    double scale = (double)in_size / out_size;

    return ceil(scale > 1.0 ? scale : 1.0) * 2 + 1;
}

size_t cli_preprocess_bytes(const struct cli_preprocess_opts *o, int img_w,
                           int img_h)
{
    int rw, rh;
    double nc, oh, ow, vh, vw, need;

    if (!o || img_w <= 0 || img_h <= 0 ||
        resized_dims(o, img_w, img_h, &rw, &rh) || rw <= 0 || rh <= 0)
        return SIZE_MAX;
    nc = o->gray ? 1 : 3;
    oh = o->crop_h > 0 ? o->crop_h : rh;
    ow = o->crop_w > 0 ? o->crop_w : rw;
    vh = oh < rh ? oh : rh; /* the crop window clipped to the resized image */
    vw = ow < rw ? ow : rw;
    need = o->gray ? (double)img_w * img_h : 0;          /* converted pixels */
    need += (rh != img_h ? img_h : vh) * vw * nc;         /* horizontal pass */
    if (rh != img_h)                                      /* vertical pass */
        need += vh * vw * nc + vh * (8 + 4 * taps(img_h, rh));
    if (rw != img_w)
        need += vw * (8 + 4 * taps(img_w, rw));
    need += nc * oh * ow * sizeof(float);                 /* the tensor */
    return need < (double)SIZE_MAX / 2 ? (size_t)need : SIZE_MAX;
}

/* CenterCrop offset of the crop inside an axis of length size; negative
 * when torchvision pads ((crop - size) // 2 zeros before). */
static int crop_offset(int size, int crop)
{
    int d = size - crop, k;

    if (d < 0)
        return -(-d / 2);
    k = d / 2; /* int(round(d / 2.0)), Python rounds half to even */
    if (d % 2 && k % 2)
        k++;
    return k;
}

/* Pillow's precompute_coeffs + normalize_coeffs_8bpc for BILINEAR with
 * box (0, 0, in_size), restricted to outputs first .. first+count-1. */
struct coeffs {
    int ksize;
    int *bounds;   /* per output: first input index, number of inputs */
    int32_t *k;    /* per output: ksize fixed-point weights */
};

static double bilinear_filter(double x)
{
    if (x < 0.0)
        x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static int coeffs_init(struct coeffs *c, int in_size, int out_size,
                       int first, int count)
{
    double scale, filterscale, support, center, ww, ss, *pre = NULL;
    int i, x, xmin, xmax;

    /* Pillow passes the box as floats: (double)(in1 - in0) / outSize */
    filterscale = scale = (double)(float)in_size / out_size;
    if (filterscale < 1.0)
        filterscale = 1.0;
    support = 1.0 * filterscale;
    c->ksize = (int)ceil(support) * 2 + 1;
    c->bounds = malloc(2 * (size_t)count * sizeof *c->bounds);
    c->k = (size_t)c->ksize > SIZE_MAX / sizeof *c->k / (size_t)count
               ? NULL : malloc((size_t)count * c->ksize * sizeof *c->k);
    pre = malloc((size_t)c->ksize * sizeof *pre);
    if (!c->bounds || !c->k || !pre)
        goto fail;
    for (i = 0; i < count; i++) {
        int32_t *k = c->k + (size_t)i * c->ksize;

        center = (first + i + 0.5) * scale;
        ww = 0.0;
        ss = 1.0 / filterscale;
        xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        xmax = (int)(center + support + 0.5);
        if (xmax > in_size)
            xmax = in_size;
        xmax -= xmin;
        if (xmax > c->ksize) /* cannot happen; keeps indexing safe */
            xmax = c->ksize;
        for (x = 0; x < xmax; x++) {
            pre[x] = bilinear_filter((x + xmin - center + 0.5) * ss);
            ww += pre[x];
        }
        for (x = 0; x < c->ksize; x++) {
            double kx = x < xmax ? (ww != 0.0 ? pre[x] / ww : pre[x]) : 0.0;

            k[x] = kx < 0 ? (int32_t)(-0.5 + kx * (1 << PRECISION_BITS))
                          : (int32_t)(0.5 + kx * (1 << PRECISION_BITS));
        }
        c->bounds[2 * i] = xmin;
        c->bounds[2 * i + 1] = xmax;
    }
    free(pre);
    return 0;
fail:
    free(pre);
    free(c->bounds);
    free(c->k);
    c->bounds = NULL;
    c->k = NULL;
    return -1;
}

static void coeffs_free(struct coeffs *c)
{
    free(c->bounds);
    free(c->k);
}

static unsigned char clip8(int32_t ss)
{
    ss >>= PRECISION_BITS;
    return (unsigned char)(ss < 0 ? 0 : ss > 255 ? 255 : ss);
}

/* One output sample: sum of n inputs spaced stride bytes apart. */
static unsigned char convolve(const unsigned char *in, size_t stride, int n,
                              const int32_t *k)
{
    int32_t ss = 1 << (PRECISION_BITS - 1);
    int i;

    for (i = 0; i < n; i++)
        ss += in[i * stride] * k[i];
    return clip8(ss);
}

/* Gray conversion (Pillow rgb2l) or gray replication (l2rgb) to nc. */
static unsigned char *convert_channels(const struct cli_image *img, int nc)
{
    size_t i, n = (size_t)img->width * img->height;
    const unsigned char *p = img->pixels;
    unsigned char *out = malloc(n * nc);

    if (!out)
        return NULL;
    for (i = 0; i < n; i++) {
        if (nc == 1)
            out[i] = (unsigned char)((p[3 * i] * 19595 + p[3 * i + 1] * 38470 +
                                      p[3 * i + 2] * 7471 + 0x8000) >> 16);
        else
            memset(out + 3 * i, p[i], 3);
    }
    return out;
}

int cli_preprocess_run(const struct cli_image *img,
                      const struct cli_preprocess_opts *o, float *out,
                      char *err, size_t errlen)
{
    struct coeffs ch = {0, NULL, NULL}, cv = {0, NULL, NULL};
    unsigned char *conv = NULL, *tmp = NULL, *res = NULL;
    const unsigned char *src;
    int nc, w, h, rw, rh, oh, ow, top, left, x0, x1, y0, y1, vw, vh;
    int r0, r1, c, x, y, i, ret = -1;
    float table[3][256];

    if (!img || !o || !out || !img->pixels || img->width < 1 ||
        img->height < 1 || (img->channels != 1 && img->channels != 3)) {
        cli_set_err(err, errlen, "invalid image or preprocessing arguments");
        return -1;
    }
    for (c = 0; c < (o->gray ? 1 : 3); c++) {
        if (o->std[c] == 0.0f) {
            cli_set_err(err, errlen, "std must not be zero");
            return -1;
        }
    }
    w = img->width;
    h = img->height;
    nc = o->gray ? 1 : 3;
    if (resized_dims(o, w, h, &rw, &rh)) {
        cli_set_err(err, errlen, "resized image too large for %dx%d input", w, h);
        return -1;
    }
    src = img->pixels;
    if (img->channels != nc && !(src = conv = convert_channels(img, nc)))
        goto fail;

    /* crop window in resized coordinates, clipped to the resized image */
    oh = o->crop_h > 0 ? o->crop_h : rh;
    ow = o->crop_w > 0 ? o->crop_w : rw;
    top = crop_offset(rh, oh);
    left = crop_offset(rw, ow);
    y0 = top > 0 ? top : 0;
    y1 = top + oh < rh ? top + oh : rh;
    x0 = left > 0 ? left : 0;
    x1 = left + ow < rw ? left + ow : rw;
    vh = y1 - y0;
    vw = x1 - x0;

    /* source rows [r0, r1) feeding the window; vertical pass if needed */
    r0 = y0;
    r1 = y1;
    if (rh != h) {
        if (coeffs_init(&cv, h, rh, y0, vh))
            goto fail;
        r0 = cv.bounds[0];
        r1 = 0;
        for (i = 0; i < vh; i++) {
            r0 = cv.bounds[2 * i] < r0 ? cv.bounds[2 * i] : r0;
            if (cv.bounds[2 * i] + cv.bounds[2 * i + 1] > r1)
                r1 = cv.bounds[2 * i] + cv.bounds[2 * i + 1];
        }
    }

    /* horizontal pass (or plain column copy) into 8-bit tmp */
    if (!(tmp = malloc((size_t)(r1 - r0 > 0 ? r1 - r0 : 1) * vw * nc)))
        goto fail;
    if (rw != w && coeffs_init(&ch, w, rw, x0, vw))
        goto fail;
    for (y = r0; y < r1; y++) {
        const unsigned char *row = src + (size_t)y * w * nc;
        unsigned char *dst = tmp + (size_t)(y - r0) * vw * nc;

        if (rw == w) {
            memcpy(dst, row + (size_t)x0 * nc, (size_t)vw * nc);
            continue;
        }
        for (x = 0; x < vw; x++)
            for (c = 0; c < nc; c++)
                dst[x * nc + c] = convolve(
                    row + (size_t)ch.bounds[2 * x] * nc + c, nc,
                    ch.bounds[2 * x + 1], ch.k + (size_t)x * ch.ksize);
    }

    /* vertical pass into res (vh x vw x nc) */
    res = tmp;
    if (rh != h) {
        size_t stride = (size_t)vw * nc;

        if (!(res = malloc((size_t)vh * stride)))
            goto fail;
        for (y = 0; y < vh; y++)
            for (x = 0; x < vw * nc; x++)
                res[y * stride + x] = convolve(
                    tmp + (size_t)(cv.bounds[2 * y] - r0) * stride + x,
                    stride, cv.bounds[2 * y + 1],
                    cv.k + (size_t)y * cv.ksize);
    }

    /* ToTensor + Normalize, in float32 like torch; padding is pixel 0 */
    for (c = 0; c < nc; c++) {
        for (i = 0; i < 256; i++) {
            float v = (float)i / 255.0f;

            table[c][i] = (v - o->mean[c]) / o->std[c];
        }
    }
    for (c = 0; c < nc; c++) {
        for (y = 0; y < oh; y++) {
            int ry = top + y;
            float *dst = out + ((size_t)c * oh + y) * ow;

            for (x = 0; x < ow; x++) {
                int rx = left + x;

                dst[x] = ry >= y0 && ry < y1 && rx >= x0 && rx < x1
                    ? table[c][res[((size_t)(ry - y0) * vw + (rx - x0)) *
                                   nc + c]]
                    : table[c][0];
            }
        }
    }

    ret = 0;
fail: /* past the argument checks only allocations can fail */
    if (ret)
        cli_set_err(err, errlen, "out of memory preprocessing %dx%d image", w, h);
    coeffs_free(&ch);
    coeffs_free(&cv);
    if (res != tmp)
        free(res);
    free(tmp);
    free(conv);
    return ret;
}
