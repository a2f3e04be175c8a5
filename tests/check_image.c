/* tests/check_image.c - Check suite for cli/image.c and cli/preprocess.c.
 *
 * Fixtures come from $srcdir/tests/fixtures/images/ (srcdir defaults to
 * "."), made by make_fixtures.py there. Expected pixels are what
 * PIL.Image.open(f).convert("RGB") gives (Pillow 9.4); PNG ones are small
 * enough to check by hand, JPEG ones were read from Pillow (same
 * libjpeg-turbo). Resize expectations are worked by hand from Pillow's
 * Resample.c (and agree with Image.resize). Owned with cli/image.c.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/image.h"
#include "../cli/preprocess.h"

static const char *fixture(const char *name)
{
    static char path[4096];
    const char *srcdir = getenv("srcdir");

    snprintf(path, sizeof path, "%s/tests/fixtures/images/%s",
             srcdir && *srcdir ? srcdir : ".", name);
    return path;
}

/* Read and decode a fixture; returns cli_image_decode's result. */
static int load(const char *name, size_t max_pixels, struct cli_image *img,
                char *err, size_t errlen)
{
    unsigned char *data;
    size_t size;
    int rc;

    ck_assert_msg(cli_file_read_all(fixture(name), &data, &size, err,
                                   errlen) == 0, "%s: %s", name, err);
    rc = cli_image_decode(data, size, max_pixels, img, err, errlen);
    free(data);
    return rc;
}

static void assert_pixels(const char *name, const struct cli_image *img,
                          int w, int h, const unsigned char *expect)
{
    int i;

    ck_assert_msg(img->width == w && img->height == h && img->channels == 3,
                  "%s: got %dx%dx%d", name, img->width, img->height,
                  img->channels);
    for (i = 0; i < w * h * 3; i++)
        ck_assert_msg(img->pixels[i] == expect[i],
                      "%s: byte %d is %d, expected %d", name, i,
                      img->pixels[i], expect[i]);
}

/* ---- decoding -------------------------------------------------------- */

#define G(a, b, c, d, e, f) a, a, a, b, b, b, c, c, c, d, d, d, e, e, e, f, f, f
#define RGB8 255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 250, 128, 64, 255, 255, 255

static const struct {
    const char *name;
    unsigned char rgb[18];
} png_cases[] = {
    {"gray1.png", {G(0, 255, 0, 255, 255, 0)}},
    {"gray2.png", {G(0, 85, 170, 255, 170, 85)}},   /* L;2: x 85 */
    {"gray4.png", {G(0, 85, 170, 255, 17, 238)}},   /* L;4: x 17 */
    {"gray8.png", {G(0, 64, 128, 192, 255, 7)}},
    /* 0x0000 0x00ff 0x0100 / 0x1234 0xffff 0x0080: mode I, clamped */
    {"gray16.png", {G(0, 255, 255, 255, 255, 128)}},
    {"ga8.png", {G(10, 20, 30, 40, 50, 60)}},        /* alpha dropped */
    {"ga16.png", {G(10, 20, 30, 40, 50, 60)}},       /* high byte */
    {"rgb8.png", {RGB8}},
    {"rgb16.png", {RGB8}},                           /* high byte */
    {"rgba8.png", {RGB8}},                           /* no compositing */
    {"rgba16.png", {RGB8}},
    /* like Pillow, nothing after the last row is needed or checked */
    {"rgb8_noiend.png", {RGB8}},                     /* no IEND */
    {"rgb8_badcrc.png", {RGB8}},                     /* bad IDAT CRC */
    /* PLTE red, dark green, blue, (10,20,30); indices 0 1 2 / 3 2 1 */
    {"pal8_trns.png", {255, 0, 0, 0, 128, 0, 0, 0, 255,
                       10, 20, 30, 0, 0, 255, 0, 128, 0}},
    /* 2-entry PLTE; indices 2 and 3 fall on Pillow's gray ramp */
    {"pal2_short.png", {200, 100, 50, 5, 6, 7, 2, 2, 2,
                        3, 3, 3, 200, 100, 50, 5, 6, 7}},
    /* libjpeg-turbo ISLOW, fancy upsampling; values from Pillow */
    {"rgb.jpg", {104, 76, 0, 182, 154, 71, 15, 14, 144,
                 29, 1, 0, 185, 157, 74, 238, 237, 255}},
    {"gray.jpg", {G(75, 153, 29, 0, 156, 252)}},
    {"cmyk.jpg", {254, 1, 0, 3, 255, 1, 0, 0, 254,
                  5, 2, 4, 246, 125, 61, 255, 255, 253}},   /* Adobe, inverted */
    {"ycck.jpg", {0, 0, 0, 5, 4, 2, 32, 8, 15,
                  22, 20, 13, 45, 42, 32, 113, 52, 71}},
};

START_TEST(test_decode_3x2)
{
    struct cli_image img;
    char err[256] = "";

    ck_assert_msg(load(png_cases[_i].name, 0, &img, err, sizeof err) == 0,
                  "%s: %s", png_cases[_i].name, err);
    assert_pixels(png_cases[_i].name, &img, 3, 2, png_cases[_i].rgb);
    cli_image_free(&img);
    ck_assert_ptr_null(img.pixels);
}
END_TEST

START_TEST(test_decode_interlaced)
{
    struct cli_image img;
    char err[256] = "";
    int x, y;

    ck_assert_msg(load("rgb8_adam7.png", 0, &img, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(img.width, 9);
    ck_assert_int_eq(img.height, 9);
    for (y = 0; y < 9; y++) {
        for (x = 0; x < 9; x++) {
            const unsigned char *p = img.pixels + (y * 9 + x) * 3;

            ck_assert_msg(p[0] == x * 28 && p[1] == y * 28 &&
                          p[2] == (x + y) * 14, "pixel %d,%d", x, y);
        }
    }
    cli_image_free(&img);
}
END_TEST

static const struct {
    const char *name, *msg;
} bad_cases[] = {
    {"truncated.jpg", "invalid jpeg: premature end of jpeg file"},
    {"noeoi.jpg", "invalid jpeg: premature end of jpeg file"},
    {"corrupt.png", "invalid png: "},
    {"truncated.png", "invalid png: unexpected end of data"},
    {"badcrc_text.png", "invalid png: text: crc error"}, /* pre-IDAT CRC */
};

START_TEST(test_decode_corrupt)
{
    struct cli_image img;
    char err[256] = "";

    ck_assert_int_eq(load(bad_cases[_i].name, 0, &img, err, sizeof err), -1);
    ck_assert_msg(strncmp(err, bad_cases[_i].msg, strlen(bad_cases[_i].msg))
                  == 0, "%s: message '%s'", bad_cases[_i].name, err);
    ck_assert_ptr_null(img.pixels);
    ck_assert_int_eq(img.width, 0);
}
END_TEST

START_TEST(test_decode_not_an_image)
{
    struct cli_image img;
    char err[256] = "";
    const unsigned char text[] = "hello, world", sig[] = {0xff, 0xd8, 0xff};

    ck_assert_int_eq(cli_image_decode(text, sizeof text, 0, &img, err,
                                     sizeof err), -1);
    ck_assert_str_eq(err, "unrecognized image format (expected jpeg or png)");
    ck_assert_int_eq(cli_image_decode(text, 0, 0, &img, err, sizeof err), -1);
    ck_assert_str_eq(err, "empty image data");
    ck_assert_int_eq(cli_image_decode(sig, sizeof sig, 0, &img, err,
                                     sizeof err), -1);
    ck_assert_ptr_null(img.pixels);
    /* a NULL error buffer is allowed */
    ck_assert_int_eq(cli_image_decode(text, sizeof text, 0, &img, NULL, 0), -1);
}
END_TEST

START_TEST(test_decode_max_pixels)
{
    struct cli_image img;
    char err[256] = "";

    ck_assert_int_eq(load("rgb8.png", 5, &img, err, sizeof err), -1);
    ck_assert_str_eq(err, "image too large: 3x2 exceeds 5 pixels");
    ck_assert_int_eq(load("big.jpg", 767, &img, err, sizeof err), -1);
    ck_assert_str_eq(err, "image too large: 32x24 exceeds 767 pixels");
    ck_assert_int_eq(load("rgb8.png", 6, &img, err, sizeof err), 0);
    cli_image_free(&img);
    ck_assert_int_eq(load("big.jpg", 768, &img, err, sizeof err), 0);
    cli_image_free(&img);
}
END_TEST

START_TEST(test_file_read_missing)
{
    unsigned char *data = (unsigned char *)"x";
    size_t size = 1;
    char err[256] = "";

    ck_assert_int_eq(cli_file_read_all(fixture("missing.png"), &data, &size,
                                      err, sizeof err), -1);
    ck_assert_ptr_null(data);
    /* the caller prefixes the file name; the message is the reason alone */
    ck_assert_msg(strcmp(err, strerror(ENOENT)) == 0, "message '%s'", err);
    cli_image_free(NULL);
}
END_TEST

/* ---- preprocessing --------------------------------------------------- */

/* Run with mean 0, std 1 and compare with pixel / 255 (8-bit values). */
static void run_u8(const struct cli_image *img, const char *resize,
                   const char *crop, int gray, int ec, int eh, int ew,
                   const unsigned char *expect)
{
    struct cli_preprocess_opts o;
    char err[256] = "";
    float out[64];
    int c, h, w, i;

    cli_preprocess_opts_default(&o);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "resize", resize, err,
                                            sizeof err), 0);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "crop", crop, err,
                                            sizeof err), 0);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "mean", "0", err,
                                            sizeof err), 0);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "std", "1", err,
                                            sizeof err), 0);
    o.gray = gray;
    cli_preprocess_dims(&o, img->width, img->height, &c, &h, &w);
    ck_assert_msg(c == ec && h == eh && w == ew, "dims %dx%dx%d", c, h, w);
    ck_assert_int_le(c * h * w, 64);
    ck_assert_msg(cli_preprocess_run(img, &o, out, err, sizeof err) == 0,
                  "%s", err);
    for (i = 0; i < c * h * w; i++)
        ck_assert_msg(out[i] == (float)expect[i] / 255.0f,
                      "resize %s crop %s: value %d is %g (%g), expected %d",
                      resize, crop, i, out[i], out[i] * 255.0f, expect[i]);
}

START_TEST(test_resize_down)
{
    /* 4x2 -> resize 1 -> 2x1. Horizontal 4 -> 2: scale 2, support 2,
     * weights 3/7 3/7 1/7 and 1/7 3/7 3/7 (22-bit fixed point):
     * row 0 -> 50 160, row 1 -> 60 170. Vertical 2 -> 1: 1/2 1/2, with
     * the +0.5 bias: (50 + 60 + 1) / 2 = 55, (160 + 170 + 1) / 2 = 165. */
    unsigned char px[] = {0, 70, 140, 210, 10, 80, 150, 220};
    struct cli_image img = {4, 2, 1, px};
    const unsigned char expect[] = {55, 165};

    run_u8(&img, "1", "none", 1, 1, 1, 2, expect);
}
END_TEST

START_TEST(test_resize_up)
{
    /* 2x2 -> resize 4: centers 0.25 0.75 1.25 1.75, support 1 ->
     * outputs 0, 0.75a+0.25b = 25, 0.25a+0.75b = 75, 100 per row. */
    unsigned char px[] = {0, 100, 0, 100};
    struct cli_image img = {2, 2, 1, px};
    const unsigned char full[] = {0, 25, 75, 100, 0, 25, 75, 100,
                                  0, 25, 75, 100, 0, 25, 75, 100};
    const unsigned char center[] = {25, 75, 25, 75};

    run_u8(&img, "4", "none", 1, 1, 4, 4, full);
    run_u8(&img, "4", "2", 1, 1, 2, 2, center);
}
END_TEST

START_TEST(test_crop_offsets)
{
    /* left = int(round((5 - cw) / 2.0)), Python rounds half to even;
     * larger crops pad (cw - 5) // 2 zeros before, the rest after */
    unsigned char px[] = {10, 20, 30, 40, 50};
    struct cli_image img = {5, 1, 1, px};
    const unsigned char c2[] = {30, 40};               /* round(1.5) = 2 */
    const unsigned char c3[] = {20, 30, 40};           /* round(1.0) = 1 */
    const unsigned char c4[] = {10, 20, 30, 40};       /* round(0.5) = 0 */
    const unsigned char c8[] = {0, 10, 20, 30, 40, 50, 0, 0};
    const unsigned char c3x1[] = {0, 30, 0};           /* round(2.0) = 2 */
    const unsigned char c2x2[] = {30, 40, 0, 0};       /* pad 0 top, 1 below */

    run_u8(&img, "none", "1x2", 1, 1, 1, 2, c2);
    run_u8(&img, "none", "1x3", 1, 1, 1, 3, c3);
    run_u8(&img, "none", "1x4", 1, 1, 1, 4, c4);
    run_u8(&img, "none", "1x8", 1, 1, 1, 8, c8);
    run_u8(&img, "none", "3x1", 1, 1, 3, 1, c3x1);
    run_u8(&img, "none", "2", 1, 1, 2, 2, c2x2);
}
END_TEST

START_TEST(test_gray_and_channels)
{
    /* Pillow rgb2l: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 */
    unsigned char rgb[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3};
    struct cli_image img = {4, 1, 3, rgb};
    const unsigned char l[] = {76, 150, 29, 2};
    unsigned char g[] = {7, 9};
    struct cli_image gimg = {2, 1, 1, g};
    const unsigned char g3[] = {7, 9, 7, 9, 7, 9};     /* replicated, CHW */

    run_u8(&img, "none", "none", 1, 1, 1, 4, l);
    run_u8(&gimg, "none", "none", 0, 3, 1, 2, g3);
}
END_TEST

START_TEST(test_normalize_matches_torch)
{
    /* torchvision ToTensor + Normalize(ImageNet) of RGB (255, 0, 128) */
    unsigned char px[] = {255, 0, 128};
    struct cli_image img = {1, 1, 3, px};
    const float expect[] = {0x1.1fdc3ap+1f, -0x1.049248p+1f, 0x1.b4ba78p-2f};
    struct cli_preprocess_opts o;
    char err[256];
    float out[3];
    int i;

    cli_preprocess_opts_default(&o);
    o.resize = o.crop_h = o.crop_w = 0;
    ck_assert_int_eq(cli_preprocess_run(&img, &o, out, err, sizeof err), 0);
    for (i = 0; i < 3; i++)
        ck_assert_msg(out[i] == expect[i], "channel %d: %a", i, out[i]);
    o.std[1] = 0.0f;
    ck_assert_int_eq(cli_preprocess_run(&img, &o, out, err, sizeof err), -1);
    ck_assert_str_eq(err, "std must not be zero");
    ck_assert_int_eq(cli_preprocess_run(NULL, &o, out, err, sizeof err), -1);
}
END_TEST

START_TEST(test_dims)
{
    struct cli_preprocess_opts o;
    int c, h, w;

    cli_preprocess_opts_default(&o);
    ck_assert_int_eq(o.resize, 256);
    ck_assert(o.mean[0] == (float)0.485 && o.std[2] == (float)0.225);
    cli_preprocess_dims(&o, 640, 480, &c, &h, &w);
    ck_assert(c == 3 && h == 224 && w == 224);
    o.crop_h = o.crop_w = 0;
    cli_preprocess_dims(&o, 640, 480, &c, &h, &w); /* int(256 * 640 / 480) */
    ck_assert(c == 3 && h == 256 && w == 341);
    o.gray = 1;
    cli_preprocess_dims(&o, 480, 640, &c, &h, &w);
    ck_assert(c == 1 && h == 341 && w == 256);
    o.resize = 0;
    cli_preprocess_dims(&o, 17, 5, &c, &h, &w);
    ck_assert(c == 1 && h == 5 && w == 17);
}
END_TEST

START_TEST(test_opts_set)
{
    static const char *bad[][2] = {
        {"resize", "abc"}, {"resize", "0"}, {"resize", "-5"}, {"resize", ""},
        {"resize", "12x"}, {"resize", " 12"}, {"resize", "99999"},
        {"crop", "0x5"}, {"crop", "5x"}, {"crop", "x5"}, {"crop", "5x5x5"},
        {"crop", "5y5"}, {"mean", "1,2"}, {"mean", "a"}, {"mean", ""},
        {"mean", "1,2,3,4"}, {"mean", "nan"}, {"mean", "1e99"},
        {"std", "0"}, {"std", "0.2,0,0.2"}, {"std", "1e-50"},
        {"gray", "yes"}, {"gray", ""}, {"size", "1"},
    };
    struct cli_preprocess_opts o, before;
    char err[256];
    size_t i;

    cli_preprocess_opts_default(&o);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        before = o;
        err[0] = '\0';
        ck_assert_msg(cli_preprocess_opts_set(&o, bad[i][0], bad[i][1], err,
                                             sizeof err) == -1,
                      "%s=%s accepted", bad[i][0], bad[i][1]);
        ck_assert_msg(err[0] >= 'a' && err[0] <= 'z', "message '%s'", err);
        ck_assert(memcmp(&o, &before, sizeof o) == 0);
    }
    cli_preprocess_opts_set(&o, "std", "0", err, sizeof err);
    ck_assert_str_eq(err, "invalid std '0': must not be zero");

    ck_assert_int_eq(cli_preprocess_opts_set(&o, "crop", "3x4", err,
                                            sizeof err), 0);
    ck_assert(o.crop_h == 3 && o.crop_w == 4);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "crop", "7", err,
                                            sizeof err), 0);
    ck_assert(o.crop_h == 7 && o.crop_w == 7);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "crop", "none", err,
                                            sizeof err), 0);
    ck_assert(o.crop_h == 0 && o.crop_w == 0);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "resize", "none", err,
                                            sizeof err), 0);
    ck_assert_int_eq(o.resize, 0);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "resize", "320", err,
                                            sizeof err), 0);
    ck_assert_int_eq(o.resize, 320);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "mean", "0.5", err,
                                            sizeof err), 0);
    ck_assert(o.mean[0] == 0.5f && o.mean[1] == 0.5f && o.mean[2] == 0.5f);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "std", "0.1, 0.2 ,0.3", err,
                                            sizeof err), 0);
    ck_assert(o.std[0] == (float)0.1 && o.std[1] == (float)0.2 &&
              o.std[2] == (float)0.3);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "gray", "true", err,
                                            sizeof err), 0);
    ck_assert_int_eq(o.gray, 1);
    ck_assert_int_eq(cli_preprocess_opts_set(&o, "gray", "0", err,
                                            sizeof err), 0);
    ck_assert_int_eq(o.gray, 0);
}
END_TEST

static Suite *image_suite(void)
{
    Suite *s = suite_create("image");
    TCase *dec = tcase_create("decode"), *pre = tcase_create("preprocess");
    int npng = sizeof png_cases / sizeof png_cases[0];
    int nbad = sizeof bad_cases / sizeof bad_cases[0];

    tcase_add_loop_test(dec, test_decode_3x2, 0, npng);
    tcase_add_test(dec, test_decode_interlaced);
    tcase_add_loop_test(dec, test_decode_corrupt, 0, nbad);
    tcase_add_test(dec, test_decode_not_an_image);
    tcase_add_test(dec, test_decode_max_pixels);
    tcase_add_test(dec, test_file_read_missing);
    suite_add_tcase(s, dec);
    tcase_add_test(pre, test_resize_down);
    tcase_add_test(pre, test_resize_up);
    tcase_add_test(pre, test_crop_offsets);
    tcase_add_test(pre, test_gray_and_channels);
    tcase_add_test(pre, test_normalize_matches_torch);
    tcase_add_test(pre, test_dims);
    tcase_add_test(pre, test_opts_set);
    suite_add_tcase(s, pre);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(image_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
