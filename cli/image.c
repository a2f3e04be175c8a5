/* cli/image.c - file loading and JPEG/PNG decoding to 8-bit RGB.
 *
 * Reproduces PIL.Image.open(f).convert("RGB") of Pillow 9.4 (Debian 12):
 *  - JPEG: libjpeg-turbo with Pillow's settings (JDCT_ISLOW, fancy
 *    upsampling, no scaling); 1 component -> replicated gray, 3 -> RGB,
 *    4 -> CMYK read as Adobe-inverted ("CMYK;I") and converted with
 *    Pillow's cmyk2rgb. Libjpeg warnings are ignored like Pillow does,
 *    except "premature end of file", which is the truncation Pillow
 *    reports as an error.
 *  - PNG: libpng without transformations other than unpacking sub-byte
 *    samples; samples are mapped to RGB by hand with Pillow's rawmodes
 *    (16-bit takes the high byte, except 16-bit gray which Pillow opens as
 *    mode "I" and clamps to 255 on convert; palette entries missing from
 *    PLTE are Pillow's gray ramp; alpha and tRNS are dropped).
 * Corrupt input yields -1 and a message, never a crash or stderr output.
 * Ownership: decoded pixels belong to the caller's struct dn_image.
 */
#include "image.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#ifdef __GNUC__
__attribute__((format(printf, 3, 4)))
#endif
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void lowercase(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

int dn_file_read_all(const char *path, unsigned char **data, size_t *size,
                     char *err, size_t errlen)
{
    FILE *f = NULL;
    unsigned char *buf = NULL, *tmp;
    size_t len = 0, cap = 1 << 16, n;
    int is_stdin;

    if (data)
        *data = NULL;
    if (size)
        *size = 0;
    if (!path || !data || !size) {
        set_err(err, errlen, "missing path or output buffer");
        return -1;
    }
    is_stdin = strcmp(path, "-") == 0;
    f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!(buf = malloc(cap))) {
        set_err(err, errlen, "out of memory reading %s", path);
        goto fail;
    }
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len < cap)
            continue;
        if (cap > SIZE_MAX / 2 || !(tmp = realloc(buf, cap * 2))) {
            set_err(err, errlen, "out of memory reading %s", path);
            goto fail;
        }
        buf = tmp;
        cap *= 2;
    }
    if (ferror(f)) {
        set_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!is_stdin)
        fclose(f);
    *data = buf;
    *size = len;
    return 0;
fail:
    if (f && !is_stdin)
        fclose(f);
    free(buf);
    return -1;
}

void dn_image_free(struct dn_image *img)
{
    if (!img)
        return;
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

/* Refuse sizes that do not fit the API or exceed max_pixels, before any
 * pixel memory is allocated. */
static int check_size(unsigned long w, unsigned long h, size_t max_pixels,
                      char *err, size_t errlen)
{
    if (w == 0 || h == 0 || w > INT_MAX || h > INT_MAX ||
        (size_t)w > SIZE_MAX / 3 / h) {
        set_err(err, errlen, "unsupported image size %lux%lu", w, h);
        return -1;
    }
    if (max_pixels && (size_t)w * h > max_pixels) {
        set_err(err, errlen, "image too large: %lux%lu exceeds %zu pixels",
                w, h, max_pixels);
        return -1;
    }
    return 0;
}

/* ---- JPEG ---------------------------------------------------------- */

struct jpeg_fail {
    struct jpeg_error_mgr pub; /* first member: cinfo->err points here */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
};

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_fail *fail = (struct jpeg_fail *)cinfo->err;

    cinfo->err->format_message(cinfo, fail->msg);
    longjmp(fail->jump, 1);
}

/* Pillow silences libjpeg and detects truncation by suspension; with an
 * in-memory source truncation is the JWRN_JPEG_EOF warning (libjpeg would
 * go on with a gray-filled image), so that one is fatal. Other warnings
 * (corrupt but decodable data) are ignored, as in Pillow. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF)
        jpeg_on_error(cinfo);
}

/* Pillow's cmyk2rgb applied to Adobe-inverted samples ("CMYK;I"). */
static unsigned char cmyk_channel(int inverted, int k)
{
    int c = 255 - inverted, t = c * k + 128, v = k - (((t >> 8) + t) >> 8);

    return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static void jpeg_row_to_rgb(const unsigned char *in, unsigned char *out,
                            int w, int n)
{
    int x;

    for (x = 0; x < w; x++, out += 3, in += n) {
        if (n == 1) {
            out[0] = out[1] = out[2] = in[0];
        } else if (n == 3) {
            memcpy(out, in, 3);
        } else {
            out[0] = cmyk_channel(in[0], in[3]);
            out[1] = cmyk_channel(in[1], in[3]);
            out[2] = cmyk_channel(in[2], in[3]);
        }
    }
}

static int jpeg_decode(const unsigned char *data, size_t size,
                       size_t max_pixels, struct dn_image *img, char *err,
                       size_t errlen)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_fail fail;
    unsigned char *volatile pixels = NULL;
    JSAMPARRAY row;
    int n, w, h, y;

    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&fail.pub);
    fail.pub.error_exit = jpeg_on_error;
    fail.pub.emit_message = jpeg_on_message;
    if (setjmp(fail.jump)) {
        lowercase(fail.msg);
        set_err(err, errlen, "invalid jpeg: %s", fail.msg);
        goto fail;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    while (jpeg_read_header(&cinfo, FALSE) == JPEG_HEADER_TABLES_ONLY)
        ; /* as Pillow: skip tables-only datastreams */

    n = cinfo.num_components;
    if (n == 1) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (n == 3) {
        cinfo.out_color_space = JCS_RGB;
    } else if (n == 4) {
        cinfo.out_color_space = JCS_CMYK; /* from CMYK or YCCK */
    } else {
        set_err(err, errlen, "unsupported jpeg with %d components", n);
        goto fail;
    }
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    cinfo.scale_num = cinfo.scale_denom = 1;
    if (check_size(cinfo.image_width, cinfo.image_height, max_pixels, err,
                   errlen))
        goto fail;

    jpeg_start_decompress(&cinfo);
    w = (int)cinfo.output_width;
    h = (int)cinfo.output_height;
    if (cinfo.output_components != n || w != (int)cinfo.image_width ||
        h != (int)cinfo.image_height) {
        set_err(err, errlen, "unexpected jpeg decoder output");
        goto fail;
    }
    if (!(pixels = malloc((size_t)w * h * 3))) {
        set_err(err, errlen, "out of memory decoding %dx%d jpeg", w, h);
        goto fail;
    }
    row = cinfo.mem->alloc_sarray((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                  (JDIMENSION)w * n, 1);
    for (y = 0; y < h; y++) {
        if (jpeg_read_scanlines(&cinfo, row, 1) != 1) {
            set_err(err, errlen, "invalid jpeg: decoder stalled");
            goto fail;
        }
        jpeg_row_to_rgb(row[0], pixels + (size_t)y * w * 3, w, n);
    }
    /* No jpeg_finish_decompress(): like Pillow, stop once every scanline
     * is out and ignore whatever follows (even a missing EOI). */
    jpeg_destroy_decompress(&cinfo);
    img->width = w;
    img->height = h;
    img->channels = 3;
    img->pixels = pixels;
    return 0;
fail:
    jpeg_destroy_decompress(&cinfo);
    free(pixels);
    return -1;
}

/* ---- PNG ----------------------------------------------------------- */

struct png_src {
    const unsigned char *data;
    size_t size, pos;
    char msg[200];
};

static void png_on_read(png_structp png, png_bytep out, size_t n)
{
    struct png_src *src = png_get_io_ptr(png);

    if (n > src->size - src->pos)
        png_error(png, "unexpected end of data");
    memcpy(out, src->data + src->pos, n);
    src->pos += n;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
    struct png_src *src = png_get_error_ptr(png);

    snprintf(src->msg, sizeof src->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png; /* ignored, as Pillow does */
    (void)msg;
}

/* One unpacked libpng row (sub-byte samples expanded to one byte each,
 * 16-bit big-endian) to RGB, following Pillow's PNG rawmodes and
 * convert("RGB"). */
static void png_row_to_rgb(const unsigned char *in, unsigned char *out,
                           int w, int ctype, int depth,
                           const unsigned char *palette)
{
    static const unsigned char gray_scale[9] = {0, 255, 85, 0, 17, 0, 0, 0, 1};
    int x, s = depth == 16 ? 2 : 1, v;

    for (x = 0; x < w; x++, out += 3) {
        switch (ctype) {
        case PNG_COLOR_TYPE_GRAY:
            if (depth == 16) { /* mode "I"; I -> RGB clamps to 0..255 */
                v = in[0] << 8 | in[1];
                v = v > 255 ? 255 : v;
            } else {           /* "1", "L;2", "L;4", "L" */
                v = in[0] * gray_scale[depth];
            }
            out[0] = out[1] = out[2] = (unsigned char)v;
            in += s;
            break;
        case PNG_COLOR_TYPE_GRAY_ALPHA:
            out[0] = out[1] = out[2] = in[0];
            in += 2 * s;
            break;
        case PNG_COLOR_TYPE_PALETTE:
            memcpy(out, palette + 3 * in[0], 3);
            in += 1;
            break;
        default: /* RGB, RGBA */
            out[0] = in[0];
            out[1] = in[s];
            out[2] = in[2 * s];
            in += (ctype == PNG_COLOR_TYPE_RGB ? 3 : 4) * s;
            break;
        }
    }
}

static int png_decode(const unsigned char *data, size_t size,
                      size_t max_pixels, struct dn_image *img, char *err,
                      size_t errlen)
{
    struct png_src src = {data, size, 0, ""};
    png_structp png;
    png_infop info = NULL;
    unsigned char *volatile pixels = NULL, *volatile raw = NULL;
    unsigned char palette[256 * 3];
    png_colorp plte;
    png_uint_32 w, h, y;
    size_t rowbytes;
    int depth, ctype, interlace, passes, pass, nplte, i;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error,
                                 png_on_warning);
    if (!png || !(info = png_create_info_struct(png))) {
        set_err(err, errlen, "out of memory decoding png");
        goto fail;
    }
    if (setjmp(png_jmpbuf(png))) {
        lowercase(src.msg);
        set_err(err, errlen, "invalid png: %s", src.msg);
        goto fail;
    }
    png_set_read_fn(png, &src, png_on_read);
    png_read_info(png, info);
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    if (check_size(w, h, max_pixels, err, errlen))
        goto fail;
    if (depth < 8)
        png_set_packing(png);
    passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    rowbytes = png_get_rowbytes(png, info);

    for (i = 0; i < 256 * 3; i++) /* Pillow's palette starts as a ramp */
        palette[i] = (unsigned char)(i / 3);
    if (ctype == PNG_COLOR_TYPE_PALETTE &&
        png_get_PLTE(png, info, &plte, &nplte)) {
        for (i = 0; i < nplte && i < 256; i++) {
            palette[3 * i + 0] = plte[i].red;
            palette[3 * i + 1] = plte[i].green;
            palette[3 * i + 2] = plte[i].blue;
        }
    }

    /* interlaced images need every row kept between passes */
    if (rowbytes == 0 || rowbytes > SIZE_MAX / (passes > 1 ? h : 1) ||
        !(raw = malloc(rowbytes * (passes > 1 ? h : 1))) ||
        !(pixels = malloc((size_t)w * h * 3))) {
        set_err(err, errlen, "out of memory decoding %lux%lu png",
                (unsigned long)w, (unsigned long)h);
        goto fail;
    }
    for (pass = 0; pass < passes; pass++) {
        for (y = 0; y < h; y++) {
            unsigned char *row = raw + (passes > 1 ? y * rowbytes : 0);

            png_read_row(png, row, NULL);
            if (pass == passes - 1)
                png_row_to_rgb(row, pixels + (size_t)y * w * 3, (int)w,
                               ctype, depth, palette);
        }
    }
    /* No png_read_end(): like Pillow, ignore what follows the image data. */
    png_destroy_read_struct(&png, &info, NULL);
    free(raw);
    img->width = (int)w;
    img->height = (int)h;
    img->channels = 3;
    img->pixels = pixels;
    return 0;
fail:
    if (png)
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    free(raw);
    free(pixels);
    return -1;
}

int dn_image_decode(const unsigned char *data, size_t size, size_t max_pixels,
                    struct dn_image *img, char *err, size_t errlen)
{
    static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G',
                                               '\r', '\n', 0x1a, '\n'};

    if (!img) {
        set_err(err, errlen, "missing image output");
        return -1;
    }
    memset(img, 0, sizeof *img);
    if (!data || size == 0) {
        set_err(err, errlen, "empty image data");
        return -1;
    }
    if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return jpeg_decode(data, size, max_pixels, img, err, errlen);
    if (size >= 8 && memcmp(data, png_magic, 8) == 0)
        return png_decode(data, size, max_pixels, img, err, errlen);
    set_err(err, errlen, "unrecognized image format (expected jpeg or png)");
    return -1;
}
