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

/* ---- shared by the CLI and the image helper API (cli/image_api.c) ---- */

#define CLI_DEFAULT_MAX_PIXELS ((size_t)100 * 1000 * 1000)

struct dn_graph;
/* Settles o for model g as classify does without flags: the preset
 * (cli_preprocess_opts_default), then g's declared input (another fixed
 * size crops to it, resizing by torchvision's 256/224; one channel means
 * gray), then its densenet.* metadata. g NULL: the preset. Returns 0, or -1
 * with "metadata KEY: reason" in err. */
int cli_preprocess_opts_for_model(struct cli_preprocess_opts *o, const struct dn_graph *g,
                                  char *err, size_t errlen);
/* Decodes data (JPEG/PNG, within lim) and preprocesses it with o into a
 * malloc'ed CHW tensor *out of c x h x w floats. Returns 0, or -1 with the
 * reason in err (then *out is NULL). */
int cli_image_to_tensor(const unsigned char *data, size_t size, const struct cli_preprocess_opts *o,
                        const struct cli_image_limits *lim, float **out, int *c, int *h, int *w, char *err, size_t errlen);
/* Softmax of v[0..n-1] in place (sums in double, max subtracted). */
void cli_softmax(float *v, int n);
/* The k (<= n) best indices of scores, best first; ties go to the lower
 * index and NaN ranks last. */
void cli_top_k(const float *scores, int n, int k, int *top);
/* Label lists (a file, model metadata, the ImageNet list) hold one label
 * per line: sets *len to the length of the line at p without its trailing
 * CR and spaces, and returns the next line, or NULL after the last. */
const char *cli_label_line(const char *p, size_t *len);

#endif
