/* cli/image.h - file loading and JPEG/PNG decoding to 8-bit RGB.
 *
 * Decoding reproduces PIL.Image.open(f).convert("RGB") of Debian's Pillow
 * 9.4 (same libjpeg-turbo settings, same mode conversions), so that
 * preprocess.c can match torchvision bit for bit.
 * Invariant: a decoded image has width, height >= 1, channels 3 and
 * width * height * 3 bytes of pixels; on error *img is left zeroed.
 * Ownership: the caller owns struct cli_image and frees it with
 * cli_image_free(); buffers from cli_file_read_all() are freed with free().
 */
#ifndef CLI_IMAGE_H
#define CLI_IMAGE_H

#include <stddef.h>

struct cli_image {
    int width, height;
    int channels;          /* 1 (gray) or 3 (RGB) */
    unsigned char *pixels; /* row-major, interleaved, 8-bit */
};

/* Formats a message into a caller's error buffer (NULL or size 0: no-op). */
void cli_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Read a whole file into memory; path "-" means stdin.
 * Caller frees *data with free(). */
int cli_file_read_all(const char *path, unsigned char **data, size_t *size,
                     char *err, size_t errlen);

/* Decode JPEG or PNG chosen by magic bytes (not the file name).
 * max_pixels: refuse images with width * height > max_pixels (0 = no
 * limit) before allocating pixel memory. Output is always 3-channel RGB,
 * as PIL's Image.convert("RGB"). */
int cli_image_decode(const unsigned char *data, size_t size, size_t max_pixels,
                    struct cli_image *img, char *err, size_t errlen);

/* What one decode may take, checked once the header gives the size and
 * before any pixel memory: max_pixels as above; max_bytes (0 = no limit)
 * bounds the decoder's buffers plus extra(user, width, height), the bytes
 * the caller will need for the image afterwards (preprocessing). */
struct cli_image_limits {
    size_t max_pixels;
    size_t max_bytes;
    size_t (*extra)(const void *user, int width, int height); /* NULL: 0 */
    const void *user;
};
int cli_image_decode_within(const unsigned char *data, size_t size,
                           const struct cli_image_limits *lim,
                           struct cli_image *img, char *err, size_t errlen);

/* Free the pixels and zero the struct; accepts NULL. */
void cli_image_free(struct cli_image *img);

#endif
