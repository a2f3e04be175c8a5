/* densenet-image.h: libdensenet's image helper, for programs that just want
 * labels: JPEG/PNG decoding and preprocessing exactly as torchvision does
 * (PIL's convert("RGB"), Resize, CenterCrop, ToTensor, Normalize), a session
 * kept for the image shape, and the top-k classes. Installed beside
 * <densenet.h>; the implementation is the densenet CLI's own image code
 * (cli/image.c, cli/preprocess.c, cli/image_api.c).
 *
 * Preprocessing is settled as `densenet classify` settles it without flags:
 * torchvision's ImageNet preset (resize 256, crop 224, ImageNet mean and
 * std), then the model's declared input (another fixed size crops to it, one
 * channel means gray), then its densenet.* metadata keys. Labels come from
 * the model's densenet.labels metadata, else the ImageNet-1k list (built in)
 * for 1000 classes, else the class index as text. Scores are softmax
 * probabilities, or the outputs as they are when the model ends in Softmax.
 *
 * Ownership: a dn_classifier borrows its graph (free the classifier first)
 * and owns its session; label strings in results live as long as the
 * classifier. A classifier is used by one thread at a time; several threads
 * may each have one on the same graph. Errors as in densenet.h: a status,
 * and the reason through the log hook and dn_last_error.
 */
#ifndef DENSENET_IMAGE_H
#define DENSENET_IMAGE_H

#include "densenet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes an image (format from its magic bytes) and preprocesses it for the
 * one-input NCHW model g into a malloc'ed 1xCxHxW float32 tensor that the
 * caller frees with free(); *shape receives its shape. DN_ERR_IO: the file
 * cannot be read; DN_ERR_INVALID: not a JPEG/PNG the decoder can read, or
 * the model's preprocessing metadata is unusable; DN_ERR_ARG: g is not a
 * one-input NCHW model. path "-" reads standard input. */
DN_API enum dn_status dn_image_tensor_buffer(const struct dn_graph *g, const void *data, size_t len,
                                             float **out, struct dn_shape *shape);
DN_API enum dn_status dn_image_tensor_file(const struct dn_graph *g, const char *path,
                                           float **out, struct dn_shape *shape);

struct dn_classifier;

/* One class of a result: its output index, label and score. */
struct dn_class {
    int index;
    const char *label;  /* owned by the classifier */
    float prob;         /* probability (softmax, or the model's own Softmax) */
};

/* Makes a classifier of g with session options opts (NULL: defaults). */
DN_API enum dn_status dn_classifier_init(struct dn_classifier **out, const struct dn_graph *g,
                                         const struct dn_session_opts *opts);
/* Classifies one image: the k best classes, best first (ties: lower index),
 * into top[0..*n-1]; *n = min(k, classes). */
DN_API enum dn_status dn_classifier_run_buffer(struct dn_classifier *c, const void *data, size_t len,
                                               int k, struct dn_class *top, int *n);
DN_API enum dn_status dn_classifier_run_file(struct dn_classifier *c, const char *path,
                                             int k, struct dn_class *top, int *n);
DN_API void dn_classifier_free(struct dn_classifier *c);

#ifdef __cplusplus
}
#endif
#endif
