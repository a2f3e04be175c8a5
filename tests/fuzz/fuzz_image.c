/* fuzz_image.c: libFuzzer target: JPEG/PNG decoding (magic-byte dispatch)
 * and torchvision-exact preprocessing to a small tensor (resize 40, crop
 * 32), for any bytes. Images over 2^20 pixels are refused by the decoder's
 * limit, as --max-pixels would. Built by `make fuzz`. */
#include "cli/image.h"
#include "cli/preprocess.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cli_image img = {0};
    struct cli_preprocess_opts o;
    char err[256];
    int c, h, w;
    if (cli_image_decode(data, size, (size_t)1 << 20, &img, err, sizeof err))
        return 0;
    cli_preprocess_opts_default(&o);
    cli_preprocess_opts_set(&o, "resize", "40", err, sizeof err);
    cli_preprocess_opts_set(&o, "crop", "32", err, sizeof err);
    if (size % 2)
        cli_preprocess_opts_set(&o, "gray", "1", err, sizeof err);
    cli_preprocess_dims(&o, img.width, img.height, &c, &h, &w);
    float *t = malloc(sizeof(float) * (size_t)c * (size_t)h * (size_t)w);
    if (t)
        cli_preprocess_run(&img, &o, t, err, sizeof err);
    free(t);
    cli_image_free(&img);
    return 0;
}
