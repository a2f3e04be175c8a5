/* cli/preprocess.h - image to input tensor, bit-exact with torchvision.
 *
 * cli_preprocess_run() equals torchvision 0.14's
 *   Compose([Resize(resize), CenterCrop((crop_h, crop_w)), ToTensor(),
 *            Normalize(mean, std)])
 * applied to a PIL image (convert("L") first when gray), including
 * Pillow 9.4's fixed-point antialiased BILINEAR resampling and
 * CenterCrop's zero padding when the crop exceeds the image.
 * Invariants: set options have resize/crop in 0..CLI_PREPROCESS_MAX_SIZE
 * (0 = off) and finite mean/std with std != 0.
 * Ownership: the caller allocates the output, sized with
 * cli_preprocess_dims(); nothing here keeps pointers.
 */
#ifndef CLI_PREPROCESS_H
#define CLI_PREPROCESS_H

#include <stddef.h>

#include "image.h"

#define CLI_PREPROCESS_MAX_SIZE 16384 /* largest resize / crop side */

struct cli_preprocess_opts {
    int resize;         /* shorter side target, 0 = no resize */
    int crop_h, crop_w; /* 0 = no crop */
    float mean[3], std[3];
    int gray;           /* 1: output 1 channel (PIL convert("L")) */
};

/* torchvision ImageNet preset: resize 256, crop 224x224,
 * mean 0.485,0.456,0.406, std 0.229,0.224,0.225, gray 0 */
void cli_preprocess_opts_default(struct cli_preprocess_opts *o);

/* Set one option from text; key is one of "resize" ("N" or "none"),
 * "crop" ("N", "HxW" or "none"), "mean", "std" (one value or three,
 * comma separated), "gray" ("0"/"1"/"true"/"false"). Used for CLI flags
 * and model metadata keys (densenet.resize etc). On error *o is unchanged. */
int cli_preprocess_opts_set(struct cli_preprocess_opts *o, const char *key,
                           const char *value, char *err, size_t errlen);

/* Output tensor dims for an image: channels (1 or 3), height, width.
 * Sets all to 0 if the resized image would not fit in an int. */
void cli_preprocess_dims(const struct cli_preprocess_opts *o, int img_w,
                        int img_h, int *c, int *h, int *w);

/* Upper bound of the bytes cli_preprocess_run() and its output tensor need
 * for an img_w x img_h image: channel conversion, resize buffers and
 * coefficients, the C*H*W float output. SIZE_MAX when too large to say. */
size_t cli_preprocess_bytes(const struct cli_preprocess_opts *o, int img_w,
                           int img_h);

/* Full pipeline into out (C*H*W floats, CHW planar, dims as above): gray
 * conversion if o->gray, resize, center crop, /255, normalize. */
int cli_preprocess_run(const struct cli_image *img,
                      const struct cli_preprocess_opts *o, float *out,
                      char *err, size_t errlen);

#endif
