/* head.h: the "global pooling + linear classifier" head of a model, found
 * for class activation maps and pooled features (dn_session_opts.keep_features).
 *
 * dn_head_find looks, in a session's graph after shape inference and constant
 * folding and before the passes, for a GlobalAveragePool (or an AveragePool
 * whose window covers the whole map) whose output reaches a classifier through
 * views only (Flatten, Reshape, Squeeze, Identity, Dropout), the classifier
 * being a Gemm, a MatMul with an optional Add of a constant bias, or a 1x1
 * Conv (the ONNX model zoo's Caffe2-born DenseNets). It records the value the
 * pooling reads (N x K x h x w) and copies the classifier's weights into rows
 * of K per class and its bias, so they survive the passes and the release of
 * packed weights. The head owns those two arrays; dn_head_free frees them.
 */
#ifndef DN_HEAD_H
#define DN_HEAD_H

#include "graph.h"

struct dn_head {
    int feature;        /* value the pooling reads: N x K x h x w, or -1 */
    int pool;           /* the pooling node */
    int64_t K, J;       /* feature channels, classes */
    float *weight;      /* owned: J x K, row c weights the K maps for class c */
    float *bias;        /* owned: J (zeros when the classifier has none) */
};

/* Fills h from g; DN_ERR_UNSUPPORTED, after logging what is missing, when g
 * has no such head; DN_ERR_NOMEM. On failure h holds nothing to free. */
enum dn_status dn_head_find(const struct dn_graph *g, struct dn_head *h);
void dn_head_free(struct dn_head *h);
/* f: the head's feature value after a run (N x K x h x w, contiguous).
 * Pooled features, N x K: each map's mean, as the pooling computes it. */
void dn_head_pooled(const struct dn_tensor *f, float *out);
/* Class activation map of image for class cls, h x w:
 * out(y, x) = sum_k weight[cls, k] * f[image, k, y, x], summed in double. */
void dn_head_cam(const struct dn_head *h, const struct dn_tensor *f, int64_t image, int64_t cls, float *out);

#endif
