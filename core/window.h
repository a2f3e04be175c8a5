/* window.h: geometry of a 2-D sliding window (Conv, MaxPool, AveragePool) after
 * auto_pad and ceil_mode are applied. Shared by shape functions and kernels so
 * both always agree on pads and output sizes. */
#ifndef DN_WINDOW_H
#define DN_WINDOW_H

#include "graph.h"

struct dn_window_geom {
    int64_t kernel[2], stride[2], dilation[2];
    int64_t pad_begin[2], pad_end[2];
    int64_t in[2], out[2];
};

/* in: input H, W; kernel: window H, W; pool: apply ceil_mode. Fails when the
 * window does not fit (DN_ERR_SHAPE) or the parameters are absurd (DN_ERR_INVALID). */
enum dn_status dn_window_resolve(const struct dn_window *w, const int64_t in[2],
                                 const int64_t kernel[2], int pool, struct dn_window_geom *g);

#endif
