/* cli/image.c - file loading and JPEG/PNG decoding to 8-bit RGB.
 *
 * Reproduces PIL.Image.open(f).convert("RGB") of Pillow 9.4 (Debian 12),
 * pixels and success alike:
 *  - JPEG: libjpeg-turbo with Pillow's settings (JDCT_ISLOW, fancy
 *    upsampling, no scaling); 1 component -> replicated gray, 3 -> RGB,
 *    4 -> CMYK read as Adobe-inverted ("CMYK;I") and converted with
 *    Pillow's cmyk2rgb. Libjpeg warnings are ignored as in Pillow, except
 *    running out of data before the last scanline (truncation).
 *  - PNG: libpng's push reader, no transformation but unpacking sub-byte
 *    samples; samples are mapped to RGB by hand with Pillow's rawmodes
 *    (16-bit takes the high byte, except 16-bit gray which Pillow opens as
 *    mode "I" and clamps to 255 on convert; palette entries missing from
 *    PLTE are Pillow's gray ramp; alpha and tRNS are dropped).
 * Corrupt input yields -1 and a message, never a crash or stderr output.
 * Ownership: decoded pixels belong to the caller's struct cli_image.
 */
#include "image.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

void cli_set_err(char *err, size_t errlen, const char *fmt, ...)
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

int cli_file_read_all(const char *path, unsigned char **data, size_t *size,
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
        cli_set_err(err, errlen, "missing path or output buffer");
        return -1;
    }
    is_stdin = strcmp(path, "-") == 0;
    f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        cli_set_err(err, errlen, "%s", strerror(errno)); /* the caller names the file */
        goto fail;
    }
    if (!(buf = malloc(cap))) {
        cli_set_err(err, errlen, "out of memory reading the file");
        goto fail;
    }
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len < cap)
            continue;
        if (cap > SIZE_MAX / 2 || !(tmp = realloc(buf, cap * 2))) {
            cli_set_err(err, errlen, "out of memory reading the file");
            goto fail;
        }
        buf = tmp;
        cap *= 2;
    }
    if (ferror(f)) {
        cli_set_err(err, errlen, "read error: %s", strerror(errno));
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

void cli_image_free(struct cli_image *img)
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
        cli_set_err(err, errlen, "unsupported image size %lux%lu", w, h);
        return -1;
    }
    if (max_pixels && (size_t)w * h > max_pixels) {
        cli_set_err(err, errlen, "image too large: %lux%lu exceeds %zu pixels",
                w, h, max_pixels);
        return -1;
    }
    return 0;
}

/* Refuse an image whose decoder buffers (decoder_bytes) plus what the
 * caller needs for it afterwards exceed lim->max_bytes, before they are
 * allocated. w and h have passed check_size. */
static int check_memory(const struct cli_image_limits *lim, unsigned long w,
                        unsigned long h, double decoder_bytes, char *err,
                        size_t errlen)
{
    double need = decoder_bytes;

    if (!lim->max_bytes)
        return 0;
    if (lim->extra)
        need += (double)lim->extra(lim->user, (int)w, (int)h);
    if (need > (double)lim->max_bytes) {
        cli_set_err(err, errlen, "a %lux%lu image needs %.0f MiB to decode, "
                    "preprocess and batch, more than --max-memory %.0f MiB",
                    w, h, ceil(need / 1048576.0),
                    floor((double)lim->max_bytes / 1048576.0));
        return -1;
    }
    return 0;
}

/* ---- JPEG ---------------------------------------------------------- */

/* Decoder state, owned by jpeg_decode() so that it survives longjmp()
 * (nothing lives in jpeg_run()'s own frame). */
struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first member: cinfo.err points here */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    struct jpeg_decompress_struct cinfo;
    unsigned char *pixels;
    int finishing; /* in jpeg_finish_decompress(): end of data is fine */
};

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->err;

    cinfo->err->format_message(cinfo, c->msg);
    longjmp(c->jump, 1);
}

/* Pillow silences libjpeg and detects truncation by suspension; with an
 * in-memory source truncation is the JWRN_JPEG_EOF warning (libjpeg would
 * go on with a gray-filled image), so that one is fatal while scanlines
 * are decoded. Other warnings (corrupt but decodable data) are ignored,
 * as in Pillow. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->err;

    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF && !c->finishing)
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

static int jpeg_run(struct jpeg_ctx *c, const unsigned char *data,
                    size_t size, const struct cli_image_limits *lim, char *err,
                    size_t errlen)
{
    struct jpeg_decompress_struct *ci = &c->cinfo;
    JSAMPARRAY row;
    size_t used, fed;
    int n, w, h, y;

    if (setjmp(c->jump)) {
        lowercase(c->msg);
        cli_set_err(err, errlen, "invalid jpeg: %s", c->msg);
        return -1;
    }
    jpeg_create_decompress(ci);
    jpeg_mem_src(ci, data, (unsigned long)size);
    while (jpeg_read_header(ci, FALSE) == JPEG_HEADER_TABLES_ONLY)
        ; /* as Pillow: skip tables-only datastreams */

    n = ci->num_components;
    if (n == 1) {
        ci->out_color_space = JCS_GRAYSCALE;
    } else if (n == 3) {
        ci->out_color_space = JCS_RGB;
    } else if (n == 4) {
        ci->out_color_space = JCS_CMYK; /* from CMYK or YCCK */
    } else {
        cli_set_err(err, errlen, "unsupported jpeg with %d components", n);
        return -1;
    }
    ci->dct_method = JDCT_ISLOW;
    ci->do_fancy_upsampling = TRUE;
    ci->scale_num = ci->scale_denom = 1;
    if (check_size(ci->image_width, ci->image_height, lim->max_pixels, err,
                   errlen))
        return -1;
    /* RGB pixels; a progressive or multi-scan file also keeps every
     * component's coefficients (2 bytes each) until the end */
    if (check_memory(lim, ci->image_width, ci->image_height,
                     (double)ci->image_width * ci->image_height *
                         (3 + (jpeg_has_multiple_scans(ci) ? 2.0 * n : 0)),
                     err, errlen))
        return -1;

    jpeg_start_decompress(ci);
    w = (int)ci->output_width;
    h = (int)ci->output_height;
    if (ci->output_components != n || w != (int)ci->image_width ||
        h != (int)ci->image_height) {
        cli_set_err(err, errlen, "unexpected jpeg decoder output");
        return -1;
    }
    if (!(c->pixels = malloc((size_t)w * h * 3))) {
        cli_set_err(err, errlen, "out of memory decoding %dx%d jpeg", w, h);
        return -1;
    }
    row = ci->mem->alloc_sarray((j_common_ptr)ci, JPOOL_IMAGE,
                                (JDIMENSION)w * n, 1);
    for (y = 0; y < h; y++) {
        if (jpeg_read_scanlines(ci, row, 1) != 1) {
            cli_set_err(err, errlen, "invalid jpeg: decoder stalled");
            return -1;
        }
        jpeg_row_to_rgb(row[0], c->pixels + (size_t)y * w * 3, w, n);
    }
    /* Pillow then finishes on the data fed so far (whole 64 KiB blocks
     * from the start): a bad marker there fails, running out does not. */
    used = size - ci->src->bytes_in_buffer;
    fed = (used / 65536 + (used % 65536 != 0)) * 65536;
    if (fed < size)
        ci->src->bytes_in_buffer = fed - used;
    c->finishing = 1;
    jpeg_finish_decompress(ci);
    return 0;
}

static int jpeg_decode(const unsigned char *data, size_t size,
                       const struct cli_image_limits *lim, struct cli_image *img, char *err,
                       size_t errlen)
{
    struct jpeg_ctx c;

    memset(&c, 0, sizeof c);
    c.cinfo.err = jpeg_std_error(&c.pub);
    c.pub.error_exit = jpeg_on_error;
    c.pub.emit_message = jpeg_on_message;
    if (jpeg_run(&c, data, size, lim, err, errlen))
        goto fail;
    jpeg_destroy_decompress(&c.cinfo);
    img->width = (int)c.cinfo.image_width;
    img->height = (int)c.cinfo.image_height;
    img->channels = 3;
    img->pixels = c.pixels;
    return 0;
fail:
    jpeg_destroy_decompress(&c.cinfo); /* no-op if never created */
    free(c.pixels);
    return -1;
}

/* ---- PNG ----------------------------------------------------------- */

/* Decoder state, owned by png_decode() so that it survives longjmp(). */
struct png_ctx {
    png_structp png;
    png_infop info;
    const struct cli_image_limits *lim;
    char *err;
    size_t errlen;
    int err_set;             /* err already holds the message */
    png_uint_32 w, h;
    int depth, ctype, passes;
    size_t rowbytes;
    unsigned long rows_left; /* rows libpng has still to decode */
    unsigned char palette[256 * 3];
    unsigned char *raw, *pixels;
    char msg[200];
};

static void png_on_error(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);

    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png; /* ignored, as Pillow does */
    (void)msg;
}

/* Called once per decoded (sub-image) row, as a user transform that
 * changes nothing: counts down to the end of the image data. */
static void png_on_transform(png_structp png, png_row_infop info,
                             png_bytep row)
{
    struct png_ctx *c = png_get_progressive_ptr(png);

    (void)info;
    (void)row;
    if (c->rows_left)
        c->rows_left--;
}

/* Header done, image data next: check the size, set up the reading. */
static void png_on_info(png_structp png, png_infop info)
{
    struct png_ctx *c = png_get_progressive_ptr(png);
    png_colorp plte;
    int pass, nplte, i;

    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    png_get_IHDR(png, info, &c->w, &c->h, &c->depth, &c->ctype, NULL, NULL,
                 NULL);
    if (check_size(c->w, c->h, c->lim->max_pixels, c->err, c->errlen)) {
        c->err_set = 1;
        png_error(png, "size");
    }
    if (c->depth < 8)
        png_set_packing(png);
    c->passes = png_set_interlace_handling(png);
    png_set_read_user_transform_fn(png, png_on_transform);
    png_read_update_info(png, info);
    c->rowbytes = png_get_rowbytes(png, info);
    c->rows_left = c->passes == 1 ? c->h : 0;
    for (pass = 0; c->passes > 1 && pass < 7; pass++) /* non-empty passes */
        if (PNG_PASS_COLS(c->w, pass))
            c->rows_left += PNG_PASS_ROWS(c->h, pass);

    for (i = 0; i < 256 * 3; i++) /* Pillow's palette starts as a ramp */
        c->palette[i] = (unsigned char)(i / 3);
    if (c->ctype == PNG_COLOR_TYPE_PALETTE &&
        png_get_PLTE(png, info, &plte, &nplte)) {
        for (i = 0; i < nplte && i < 256; i++) {
            c->palette[3 * i + 0] = plte[i].red;
            c->palette[3 * i + 1] = plte[i].green;
            c->palette[3 * i + 2] = plte[i].blue;
        }
    }
    if (check_memory(c->lim, c->w, c->h,
                     (double)c->rowbytes * c->h + (double)c->w * c->h * 3,
                     c->err, c->errlen)) {
        c->err_set = 1;
        png_error(png, "memory limit");
    }
    if (c->rowbytes == 0 || c->rowbytes > SIZE_MAX / c->h ||
        !(c->raw = calloc(c->h, c->rowbytes)) ||
        !(c->pixels = malloc((size_t)c->w * c->h * 3))) {
        cli_set_err(c->err, c->errlen, "out of memory decoding %lux%lu png",
                (unsigned long)c->w, (unsigned long)c->h);
        c->err_set = 1;
        png_error(png, "memory");
    }
}

static void png_on_row(png_structp png, png_bytep row, png_uint_32 y,
                       int pass)
{
    struct png_ctx *c = png_get_progressive_ptr(png);

    (void)pass;
    if (row && y < c->h) /* merges interlaced passes, copies others */
        png_progressive_combine_row(png, c->raw + y * c->rowbytes, row);
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

/* Pillow parity: chunks before the image data must have valid CRCs,
 * image data CRCs are not checked, and decoding succeeds once every row
 * is decoded, whatever follows or is missing (zlib trailer, IEND). The
 * push reader is used because, like Pillow, it decodes all rows present
 * in a truncated file. */
static int png_run(struct png_ctx *c, const unsigned char *data,
                   size_t size)
{
    if (setjmp(png_jmpbuf(c->png)))
        return c->rows_left == 0 && c->pixels ? 0 : -1;
    c->rows_left = 1;
    png_set_crc_action(c->png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
    png_set_progressive_read_fn(c->png, c, png_on_info, png_on_row, NULL);
    /* libpng only reads the buffer despite the non-const prototype */
    png_process_data(c->png, c->info, (png_bytep)data, size);
    if (c->rows_left == 0 && c->pixels)
        return 0;
    snprintf(c->msg, sizeof c->msg, "unexpected end of data");
    return -1;
}

static int png_decode(const unsigned char *data, size_t size,
                      const struct cli_image_limits *lim,
                      struct cli_image *img, char *err, size_t errlen)
{
    struct png_ctx c;
    png_uint_32 y;

    memset(&c, 0, sizeof c);
    c.lim = lim;
    c.err = err;
    c.errlen = errlen;
    c.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, png_on_error,
                                   png_on_warning);
    if (!c.png || !(c.info = png_create_info_struct(c.png))) {
        cli_set_err(err, errlen, "out of memory decoding png");
        goto fail;
    }
    if (png_run(&c, data, size)) {
        if (!c.err_set) {
            lowercase(c.msg);
            cli_set_err(err, errlen, "invalid png: %s", c.msg);
        }
        goto fail;
    }
    for (y = 0; y < c.h; y++)
        png_row_to_rgb(c.raw + y * c.rowbytes, c.pixels + (size_t)y * c.w * 3,
                       (int)c.w, c.ctype, c.depth, c.palette);
    png_destroy_read_struct(&c.png, &c.info, NULL);
    free(c.raw);
    img->width = (int)c.w;
    img->height = (int)c.h;
    img->channels = 3;
    img->pixels = c.pixels;
    return 0;
fail:
    if (c.png)
        png_destroy_read_struct(&c.png, c.info ? &c.info : NULL, NULL);
    free(c.raw);
    free(c.pixels);
    return -1;
}

int cli_image_decode(const unsigned char *data, size_t size, size_t max_pixels,
                    struct cli_image *img, char *err, size_t errlen)
{
    struct cli_image_limits lim = {max_pixels, 0, NULL, NULL};

    return cli_image_decode_within(data, size, &lim, img, err, errlen);
}

int cli_image_decode_within(const unsigned char *data, size_t size,
                           const struct cli_image_limits *lim,
                           struct cli_image *img, char *err, size_t errlen)
{
    static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G',
                                               '\r', '\n', 0x1a, '\n'};

    if (!img || !lim) {
        cli_set_err(err, errlen, "missing image output");
        return -1;
    }
    memset(img, 0, sizeof *img);
    if (!data || size == 0) {
        cli_set_err(err, errlen, "empty image data");
        return -1;
    }
    if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return jpeg_decode(data, size, lim, img, err, errlen);
    if (size >= 8 && memcmp(data, png_magic, 8) == 0)
        return png_decode(data, size, lim, img, err, errlen);
    cli_set_err(err, errlen, "unrecognized image format (expected jpeg or png)");
    return -1;
}
