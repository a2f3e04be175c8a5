/* ops.c: the op registry: per op a shape function and a portable reference kernel.
 *
 * Shape functions check what they read (ranks, channel counts, constant
 * operands) and fail with one line naming the node; kernels then trust the
 * shapes the session inferred. The kernels are plain C written for clarity and
 * exactness: they are the oracle that every optimized kernel is tested
 * against, so they must stay simple. Layout is NCHW, float32, contiguous;
 * int64 tensors occur only in shape arithmetic, which the session folds.
 */
#include "graph.h"
#include "window.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

static enum dn_status node_fail(const struct dn_node *n, enum dn_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum dn_status node_fail(const struct dn_node *n, enum dn_status st, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dn_log("node '%s' (%s, opset %d): %s", n->name ? n->name : "", dn_op_get(n->op)->name,
           n->opset, msg);
    return st;
}

static const char *sstr(const struct dn_shape *s, char *buf)
{
    return dn_shape_str(s, buf, 96);
}

static int64_t norm_axis(int64_t axis, int rank)
{
    return axis < 0 ? axis + rank : axis;
}

/* Elements of s, or -1 when a dim is negative or the count (or its size in
 * bytes) would pass DN_MAX_NUMEL: every product of dims goes through here. */
#define DN_MAX_NUMEL ((int64_t)1 << 32) /* as the .npy reader and declared inputs */
static int64_t numel_checked(const struct dn_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++) {
        if (s->d[i] < 0 || (s->d[i] > 0 && n > DN_MAX_NUMEL / s->d[i]))
            return -1;
        n *= s->d[i];
    }
    return n;
}

/* Sets out's dtype and shape once the shape is known to be sane. */
static enum dn_status set_out(const struct dn_node *n, struct dn_value *o, enum dn_dtype t,
                              const struct dn_shape *s)
{
    char b1[96];
    if (numel_checked(s) < 0)
        return node_fail(n, DN_ERR_SHAPE, "output shape %s is negative or has more than %lld elements",
                         sstr(s, b1), (long long)DN_MAX_NUMEL);
    o->dtype = t;
    o->shape = *s;
    return DN_OK;
}

/* Inputs marked in mask (bit i: input i), when present, must be float32. */
static enum dn_status need_f32(const struct dn_node *n, struct dn_value *const *in, unsigned mask)
{
    for (int i = 0; i < n->n_in && i < 8; i++)
        if ((mask >> i & 1) && in[i] && in[i]->dtype != DN_DTYPE_F32)
            return node_fail(n, DN_ERR_INVALID, "input %d '%s' is int64; float32 is expected", i,
                             in[i]->name);
    return DN_OK;
}

/* Input i, when present, must be one float32 element (Clip bounds, Pad value). */
static enum dn_status need_scalar(const struct dn_node *n, struct dn_value *const *in, int i)
{
    if (i >= n->n_in || !in[i])
        return DN_OK;
    if (in[i]->dtype != DN_DTYPE_F32 || numel_checked(&in[i]->shape) != 1)
        return node_fail(n, DN_ERR_INVALID, "input %d '%s' must be one float32 value", i, in[i]->name);
    return DN_OK;
}

/* Reads a constant int64 vector operand (rank <= 1) into dst; returns its
 * length, or -1 when it is not that (float, not constant, too long). */
static int const_ints(const struct dn_value *v, int64_t *dst, int max)
{
    if (!v || !v->data || v->shape.ndim > 1)
        return -1;
    int64_t n = dn_shape_numel(&v->shape);
    if (n > max)
        return -1;
    if (v->dtype != DN_DTYPE_I64) /* ONNX: shapes, pads and axes are int64 */
        return -1;
    for (int64_t i = 0; i < n; i++)
        dst[i] = ((const int64_t *)v->data)[i];
    return (int)n;
}

static int64_t prod(const struct dn_shape *s, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= s->d[i];
    return p;
}

/* ---- window geometry (Conv, pools) ------------------------------------ */

enum dn_status dn_window_resolve(const struct dn_window *w, const int64_t in[2],
                                 const int64_t kernel[2], int pool, struct dn_window_geom *g)
{
    for (int i = 0; i < 2; i++) {
        int64_t k = kernel[i], s = w->stride[i], d = w->dilation[i];
        int64_t pb = w->pads[i], pe = w->pads[i + 2], o, dk, padded;
        if (k < 1 || s < 1 || d < 1 || pb < 0 || pe < 0 || in[i] < 1)
            return DN_ERR_INVALID;
        /* every sum and product below is checked: attributes may be anything
         * up to INT64_MAX */
        if (__builtin_mul_overflow(k - 1, d, &dk) || __builtin_add_overflow(dk, 1, &dk))
            return DN_ERR_SHAPE;
        if (w->auto_pad == DN_PAD_SAME_UPPER || w->auto_pad == DN_PAD_SAME_LOWER) {
            o = in[i] / s + (in[i] % s != 0);
            int64_t total;
            if (__builtin_mul_overflow(o - 1, s, &total) || __builtin_add_overflow(total, dk, &total))
                return DN_ERR_SHAPE;
            total -= in[i];
            if (total < 0)
                total = 0;
            pb = w->auto_pad == DN_PAD_SAME_UPPER ? total / 2 : total - total / 2;
            pe = total - pb;
        } else if (w->auto_pad == DN_PAD_VALID) {
            pb = pe = 0;
            o = in[i] >= dk ? (in[i] - dk) / s + 1 : 0;
        } else {
            if (__builtin_add_overflow(in[i], pb, &padded) || __builtin_add_overflow(padded, pe, &padded))
                return DN_ERR_SHAPE;
            int64_t span = padded - dk;
            if (span < 0)
                o = 0;
            else if (pool && w->ceil_mode) {
                o = span / s + (span % s != 0) + 1;
                /* PyTorch (and ONNX Runtime): the last window must start inside
                 * the input or the begin padding */
                int64_t x = in[i] + pb; /* (o - 1) * s >= x, without overflow */
                if (o - 1 >= x / s + (x % s != 0))
                    o--;
            } else
                o = span / s + 1;
        }
        /* the window must fit the padded input; a pool's padding must be
         * smaller than its window (as in ONNX Runtime), so no pool window
         * lies wholly in the padding */
        if (o < 1 || (pool && (pb >= dk || pe >= dk)))
            return DN_ERR_SHAPE;
        g->kernel[i] = k;
        g->stride[i] = s;
        g->dilation[i] = d;
        g->pad_begin[i] = pb;
        g->pad_end[i] = pe;
        g->in[i] = in[i];
        g->out[i] = o;
    }
    return DN_OK;
}

/* ---- shape functions -------------------------------------------------- */

static enum dn_status shape_same(const struct dn_node *n, struct dn_value *const *in,
                                 struct dn_value *const *out)
{
    (void)n;
    return set_out(n, out[0], in[0]->dtype, &in[0]->shape);
}

static enum dn_status shape_float_same(const struct dn_node *n, struct dn_value *const *in,
                                       struct dn_value *const *out)
{
    if (in[0]->dtype != DN_DTYPE_F32)
        return node_fail(n, DN_ERR_UNSUPPORTED, "input '%s' is not float32", in[0]->name);
    return shape_same(n, in, out);
}

static enum dn_status shape_conv(const struct dn_node *n, struct dn_value *const *in,
                                 struct dn_value *const *out)
{
    const struct dn_shape *x = &in[0]->shape, *w = &in[1]->shape;
    char b1[96], b2[96];
    enum dn_status st = need_f32(n, in, 0x7);
    if (st != DN_OK)
        return st;
    if (x->ndim != 4 || w->ndim != 4)
        return node_fail(n, DN_ERR_UNSUPPORTED, "only 2-D convolution is supported (input %s, weights %s)",
                         sstr(x, b1), sstr(w, b2));
    int64_t group = n->p.win.group;
    if (group < 1 || x->d[1] != w->d[1] * group || w->d[0] % group != 0)
        return node_fail(n, DN_ERR_SHAPE, "input %s does not fit weights %s with group %lld",
                         sstr(x, b1), sstr(w, b2), (long long)group);
    if (n->p.win.has_kernel && (n->p.win.kernel[0] != w->d[2] || n->p.win.kernel[1] != w->d[3]))
        return node_fail(n, DN_ERR_INVALID, "kernel_shape does not match weights %s", sstr(w, b2));
    if (in[2] && (in[2]->shape.ndim != 1 || in[2]->shape.d[0] != w->d[0]))
        return node_fail(n, DN_ERR_SHAPE, "bias %s does not match %lld output channels",
                         sstr(&in[2]->shape, b1), (long long)w->d[0]);
    struct dn_window_geom geom;
    if (dn_window_resolve(&n->p.win, &x->d[2], &w->d[2], 0, &geom) != DN_OK)
        return node_fail(n, DN_ERR_SHAPE, "window %lldx%lld does not fit input %s",
                         (long long)w->d[2], (long long)w->d[3], sstr(x, b1));
    struct dn_shape s = {4, {x->d[0], w->d[0], geom.out[0], geom.out[1]}};
    return set_out(n, out[0], DN_DTYPE_F32, &s);
}

static enum dn_status shape_pool(const struct dn_node *n, struct dn_value *const *in,
                                 struct dn_value *const *out)
{
    const struct dn_shape *x = &in[0]->shape;
    char b1[96];
    if (need_f32(n, in, 0x1) != DN_OK)
        return DN_ERR_INVALID;
    if (x->ndim != 4)
        return node_fail(n, DN_ERR_UNSUPPORTED, "only 2-D pooling is supported (input %s)", sstr(x, b1));
    struct dn_window_geom geom;
    if (dn_window_resolve(&n->p.win, &x->d[2], n->p.win.kernel, 1, &geom) != DN_OK)
        return node_fail(n, DN_ERR_SHAPE, "window %lldx%lld does not fit input %s",
                         (long long)n->p.win.kernel[0], (long long)n->p.win.kernel[1], sstr(x, b1));
    struct dn_shape s = {4, {x->d[0], x->d[1], geom.out[0], geom.out[1]}};
    return set_out(n, out[0], DN_DTYPE_F32, &s);
}

static enum dn_status shape_gap(const struct dn_node *n, struct dn_value *const *in,
                                struct dn_value *const *out)
{
    struct dn_shape s = in[0]->shape;
    char b1[96];
    if (need_f32(n, in, 0x1) != DN_OK)
        return DN_ERR_INVALID;
    if (s.ndim < 3)
        return node_fail(n, DN_ERR_SHAPE, "input %s has no spatial dimensions", sstr(&s, b1));
    for (int i = 2; i < s.ndim; i++)
        s.d[i] = 1;
    return set_out(n, out[0], DN_DTYPE_F32, &s);
}

static enum dn_status shape_bn(const struct dn_node *n, struct dn_value *const *in,
                               struct dn_value *const *out)
{
    const struct dn_shape *x = &in[0]->shape;
    char b1[96], b2[96];
    if (x->ndim < 2)
        return node_fail(n, DN_ERR_SHAPE, "input %s has no channel dimension", sstr(x, b1));
    if (n->n_out > 1)
        return node_fail(n, DN_ERR_UNSUPPORTED, "training-mode outputs are not computed");
    if (need_f32(n, in, 0x1f) != DN_OK)
        return DN_ERR_INVALID;
    for (int i = 1; i < 5; i++)
        if (in[i]->shape.ndim != 1 || in[i]->shape.d[0] != x->d[1])
            return node_fail(n, DN_ERR_SHAPE, "parameter '%s' %s does not match input %s",
                             in[i]->name, sstr(&in[i]->shape, b2), sstr(x, b1));
    return set_out(n, out[0], DN_DTYPE_F32, x);
}

static enum dn_status shape_concat(const struct dn_node *n, struct dn_value *const *in,
                                   struct dn_value *const *out)
{
    struct dn_shape s = in[0]->shape;
    char b1[96], b2[96];
    int64_t axis = norm_axis(n->p.axis.axis, s.ndim);
    if (axis < 0 || axis >= s.ndim)
        return node_fail(n, DN_ERR_INVALID, "axis %lld is out of range for rank %d",
                         (long long)n->p.axis.axis, s.ndim);
    s.d[axis] = 0;
    for (int i = 0; i < n->n_in; i++) {
        const struct dn_shape *t = &in[i]->shape;
        if (in[i]->dtype != in[0]->dtype)
            return node_fail(n, DN_ERR_INVALID, "input '%s' is %s but '%s' is %s", in[i]->name,
                             in[i]->dtype == DN_DTYPE_F32 ? "float32" : "int64", in[0]->name,
                             in[0]->dtype == DN_DTYPE_F32 ? "float32" : "int64");
        int ok = t->ndim == s.ndim;
        for (int k = 0; ok && k < s.ndim; k++)
            ok = k == axis || t->d[k] == s.d[k];
        if (!ok)
            return node_fail(n, DN_ERR_SHAPE, "input '%s' %s does not fit '%s' %s on axis %lld",
                             in[i]->name, sstr(t, b1), in[0]->name, sstr(&in[0]->shape, b2),
                             (long long)axis);
        if (__builtin_add_overflow(s.d[axis], t->d[axis], &s.d[axis]))
            return node_fail(n, DN_ERR_SHAPE, "the concatenated dim overflows");
    }
    return set_out(n, out[0], in[0]->dtype, &s);
}

static enum dn_status shape_flatten(const struct dn_node *n, struct dn_value *const *in,
                                    struct dn_value *const *out)
{
    const struct dn_shape *x = &in[0]->shape;
    int64_t axis = norm_axis(n->p.axis.axis, x->ndim);
    if (axis < 0 || axis > x->ndim)
        return node_fail(n, DN_ERR_INVALID, "axis %lld is out of range for rank %d",
                         (long long)n->p.axis.axis, x->ndim);
    struct dn_shape s = {2, {prod(x, 0, (int)axis), prod(x, (int)axis, x->ndim)}};
    return set_out(n, out[0], in[0]->dtype, &s);
}

static enum dn_status shape_gemm(const struct dn_node *n, struct dn_value *const *in,
                                 struct dn_value *const *out)
{
    const struct dn_shape *a = &in[0]->shape, *b = &in[1]->shape;
    char b1[96], b2[96];
    if (need_f32(n, in, 0x7) != DN_OK)
        return DN_ERR_INVALID;
    if (a->ndim != 2 || b->ndim != 2)
        return node_fail(n, DN_ERR_SHAPE, "inputs must be 2-D (A %s, B %s)", sstr(a, b1), sstr(b, b2));
    int64_t m = n->p.gemm.trans_a ? a->d[1] : a->d[0];
    int64_t ka = n->p.gemm.trans_a ? a->d[0] : a->d[1];
    int64_t kb = n->p.gemm.trans_b ? b->d[1] : b->d[0];
    int64_t nn = n->p.gemm.trans_b ? b->d[0] : b->d[1];
    if (ka != kb)
        return node_fail(n, DN_ERR_SHAPE, "A %s and B %s do not share an inner dimension",
                         sstr(a, b1), sstr(b, b2));
    if (in[2]) {
        const struct dn_shape *c = &in[2]->shape;
        int ok = c->ndim <= 2;
        if (ok && c->ndim == 2)
            ok = (c->d[0] == m || c->d[0] == 1) && (c->d[1] == nn || c->d[1] == 1);
        if (ok && c->ndim == 1)
            ok = c->d[0] == nn || c->d[0] == 1;
        if (!ok)
            return node_fail(n, DN_ERR_SHAPE, "C %s does not broadcast to %lldx%lld",
                             sstr(c, b1), (long long)m, (long long)nn);
    }
    struct dn_shape s = {2, {m, nn}};
    return set_out(n, out[0], DN_DTYPE_F32, &s);
}

/* numpy broadcasting of a and b into s; returns 0 if they do not broadcast */
static int broadcast(const struct dn_shape *a, const struct dn_shape *b, struct dn_shape *s)
{
    int r = a->ndim > b->ndim ? a->ndim : b->ndim;
    s->ndim = r;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->ndim), ib = i - (r - b->ndim);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return 0;
        s->d[i] = da == 1 ? db : da;
    }
    return 1;
}

static enum dn_status shape_binary(const struct dn_node *n, struct dn_value *const *in,
                                   struct dn_value *const *out)
{
    struct dn_shape s;
    char b1[96], b2[96];
    if (in[0]->dtype != in[1]->dtype)
        return node_fail(n, DN_ERR_UNSUPPORTED, "inputs '%s' and '%s' have different types",
                         in[0]->name, in[1]->name);
    if (!broadcast(&in[0]->shape, &in[1]->shape, &s))
        return node_fail(n, DN_ERR_SHAPE, "shapes %s and %s do not broadcast",
                         sstr(&in[0]->shape, b1), sstr(&in[1]->shape, b2));
    return set_out(n, out[0], in[0]->dtype, &s);
}

static enum dn_status shape_matmul(const struct dn_node *n, struct dn_value *const *in,
                                   struct dn_value *const *out)
{
    struct dn_shape a = in[0]->shape, b = in[1]->shape, s;
    char b1[96], b2[96];
    int a1 = a.ndim == 1, b1d = b.ndim == 1;
    if (need_f32(n, in, 0x3) != DN_OK)
        return DN_ERR_INVALID;
    if (a.ndim == 0 || b.ndim == 0)
        return node_fail(n, DN_ERR_SHAPE, "MatMul needs inputs of rank 1 or more");
    if (a1) {
        a.ndim = 2;
        a.d[1] = a.d[0];
        a.d[0] = 1;
    }
    if (b1d) {
        b.ndim = 2;
        b.d[1] = 1;
    }
    if (a.d[a.ndim - 1] != b.d[b.ndim - 2])
        return node_fail(n, DN_ERR_SHAPE, "shapes %s and %s do not multiply",
                         sstr(&in[0]->shape, b1), sstr(&in[1]->shape, b2));
    struct dn_shape ba = a, bb = b;
    ba.ndim -= 2;
    bb.ndim -= 2;
    if (!broadcast(&ba, &bb, &s))
        return node_fail(n, DN_ERR_SHAPE, "batch dims of %s and %s do not broadcast",
                         sstr(&in[0]->shape, b1), sstr(&in[1]->shape, b2));
    if (!a1)
        s.d[s.ndim++] = a.d[a.ndim - 2];
    if (!b1d)
        s.d[s.ndim++] = b.d[b.ndim - 1];
    return set_out(n, out[0], DN_DTYPE_F32, &s);
}

static enum dn_status shape_reshape(const struct dn_node *n, struct dn_value *const *in,
                                    struct dn_value *const *out)
{
    int64_t want[DN_MAX_DIMS];
    char b1[96];
    int r = const_ints(in[1], want, DN_MAX_DIMS);
    if (r < 0)
        return node_fail(n, DN_ERR_UNSUPPORTED, "the target shape '%s' must be a constant of at most %d dims",
                         in[1]->name, DN_MAX_DIMS);
    struct dn_shape s = {r, {0}};
    int64_t known = 1, numel = dn_shape_numel(&in[0]->shape);
    int infer = -1;
    for (int i = 0; i < r; i++) {
        int64_t d = want[i];
        if (d == 0 && !n->p.reshape.allowzero) {
            if (i >= in[0]->shape.ndim)
                return node_fail(n, DN_ERR_SHAPE, "0 at dim %d copies a dim that input %s lacks",
                                 i, sstr(&in[0]->shape, b1));
            d = in[0]->shape.d[i];
        }
        if (d == -1) {
            if (infer >= 0)
                return node_fail(n, DN_ERR_INVALID, "more than one -1 in the target shape");
            infer = i;
            d = 1;
        } else if (d < 0)
            return node_fail(n, DN_ERR_INVALID, "negative dim %lld in the target shape", (long long)d);
        s.d[i] = d;
        if (__builtin_mul_overflow(known, d, &known))
            return node_fail(n, DN_ERR_SHAPE, "the target shape has too many elements");
    }
    if (infer >= 0) {
        if (known == 0 || numel % known)
            return node_fail(n, DN_ERR_SHAPE, "cannot infer the -1 dim for input %s", sstr(&in[0]->shape, b1));
        s.d[infer] = numel / known;
    }
    if (dn_shape_numel(&s) != numel)
        return node_fail(n, DN_ERR_SHAPE, "input %s has %lld elements, target shape wants %lld",
                         sstr(&in[0]->shape, b1), (long long)numel, (long long)dn_shape_numel(&s));
    return set_out(n, out[0], in[0]->dtype, &s);
}

static enum dn_status pad_amounts(const struct dn_node *n, struct dn_value *const *in, int64_t *pads)
{
    int r = in[0]->shape.ndim;
    if (!n->p.pad.from_input) {
        if (n->p.pad.n != 2 * r)
            return node_fail(n, DN_ERR_INVALID, "pads has %d values for rank %d", n->p.pad.n, r);
        memcpy(pads, n->p.pad.pads, sizeof(int64_t) * 2 * (size_t)r);
        return DN_OK;
    }
    if (const_ints(in[1], pads, 2 * DN_MAX_DIMS) != 2 * r)
        return node_fail(n, DN_ERR_UNSUPPORTED, "pads must be a constant with %d values", 2 * r);
    return DN_OK;
}

static enum dn_status shape_pad(const struct dn_node *n, struct dn_value *const *in,
                                struct dn_value *const *out)
{
    int64_t pads[2 * DN_MAX_DIMS];
    enum dn_status st = pad_amounts(n, in, pads);
    if (st != DN_OK)
        return st;
    if (need_f32(n, in, 0x1) != DN_OK || need_scalar(n, in, 2) != DN_OK)
        return DN_ERR_INVALID;
    struct dn_shape s = in[0]->shape;
    for (int i = 0; i < s.ndim; i++) {
        if (__builtin_add_overflow(s.d[i], pads[i], &s.d[i]) ||
            __builtin_add_overflow(s.d[i], pads[i + s.ndim], &s.d[i]))
            return node_fail(n, DN_ERR_SHAPE, "pads of dim %d overflow", i);
        if (s.d[i] < 0)
            return node_fail(n, DN_ERR_SHAPE, "pads remove more than dim %d holds", i);
    }
    return set_out(n, out[0], in[0]->dtype, &s);
}

static enum dn_status shape_clip(const struct dn_node *n, struct dn_value *const *in,
                                 struct dn_value *const *out)
{
    if (n->opset >= 11 && (need_scalar(n, in, 1) != DN_OK || need_scalar(n, in, 2) != DN_OK))
        return DN_ERR_INVALID;
    return shape_float_same(n, in, out);
}

static enum dn_status shape_softmax(const struct dn_node *n, struct dn_value *const *in,
                                    struct dn_value *const *out)
{
    int64_t axis = norm_axis(n->p.axis.axis, in[0]->shape.ndim);
    if (axis < 0 || axis >= in[0]->shape.ndim)
        return node_fail(n, DN_ERR_INVALID, "axis %lld is out of range for rank %d",
                         (long long)n->p.axis.axis, in[0]->shape.ndim);
    return shape_float_same(n, in, out);
}

static enum dn_status shape_shape(const struct dn_node *n, struct dn_value *const *in,
                                  struct dn_value *const *out)
{
    int r = in[0]->shape.ndim;
    int64_t start = n->p.shape.start, end = n->p.shape.end;
    start = start < 0 ? start + r : start;
    end = end < 0 ? end + r : end;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    (void)n;
    struct dn_shape s = {1, {end > start ? end - start : 0}};
    return set_out(n, out[0], DN_DTYPE_I64, &s);
}

static enum dn_status shape_gather(const struct dn_node *n, struct dn_value *const *in,
                                   struct dn_value *const *out)
{
    const struct dn_shape *x = &in[0]->shape, *idx = &in[1]->shape;
    int64_t axis = norm_axis(n->p.axis.axis, x->ndim);
    if (axis < 0 || axis >= x->ndim)
        return node_fail(n, DN_ERR_INVALID, "axis %lld is out of range for rank %d",
                         (long long)n->p.axis.axis, x->ndim);
    if (in[1]->dtype != DN_DTYPE_I64)
        return node_fail(n, DN_ERR_UNSUPPORTED, "indices '%s' must be integers", in[1]->name);
    if (x->ndim - 1 + idx->ndim > DN_MAX_DIMS)
        return node_fail(n, DN_ERR_UNSUPPORTED, "output rank exceeds %d", DN_MAX_DIMS);
    struct dn_shape s = {0, {0}};
    for (int i = 0; i < axis; i++)
        s.d[s.ndim++] = x->d[i];
    for (int i = 0; i < idx->ndim; i++)
        s.d[s.ndim++] = idx->d[i];
    for (int i = (int)axis + 1; i < x->ndim; i++)
        s.d[s.ndim++] = x->d[i];
    return set_out(n, out[0], in[0]->dtype, &s);
}

static enum dn_status get_axes(const struct dn_node *n, struct dn_value *const *in, int64_t *axes, int *na)
{
    if (!n->p.axes.from_input) {
        *na = n->p.axes.n;
        memcpy(axes, n->p.axes.axes, sizeof(int64_t) * (size_t)*na);
        return DN_OK;
    }
    if (n->n_in < 2 || !in[1]) {
        *na = 0;
        return DN_OK;
    }
    *na = const_ints(in[1], axes, DN_MAX_DIMS);
    if (*na < 0)
        return node_fail(n, DN_ERR_UNSUPPORTED, "axes '%s' must be a constant", in[1]->name);
    return DN_OK;
}

static enum dn_status shape_unsqueeze(const struct dn_node *n, struct dn_value *const *in,
                                      struct dn_value *const *out)
{
    int64_t axes[DN_MAX_DIMS];
    int na;
    enum dn_status st = get_axes(n, in, axes, &na);
    if (st != DN_OK)
        return st;
    int r = in[0]->shape.ndim + na;
    if (r > DN_MAX_DIMS || na == 0)
        return node_fail(n, DN_ERR_INVALID, "bad axes for rank %d", in[0]->shape.ndim);
    unsigned char ins[DN_MAX_DIMS] = {0};
    for (int i = 0; i < na; i++) {
        int64_t a = norm_axis(axes[i], r);
        if (a < 0 || a >= r || ins[a])
            return node_fail(n, DN_ERR_INVALID, "axis %lld is out of range or repeated", (long long)axes[i]);
        ins[a] = 1;
    }
    struct dn_shape s = {r, {0}};
    for (int i = 0, k = 0; i < r; i++)
        s.d[i] = ins[i] ? 1 : in[0]->shape.d[k++];
    return set_out(n, out[0], in[0]->dtype, &s);
}

static enum dn_status shape_squeeze(const struct dn_node *n, struct dn_value *const *in,
                                    struct dn_value *const *out)
{
    int64_t axes[DN_MAX_DIMS];
    int na;
    enum dn_status st = get_axes(n, in, axes, &na);
    if (st != DN_OK)
        return st;
    const struct dn_shape *x = &in[0]->shape;
    unsigned char drop[DN_MAX_DIMS] = {0};
    for (int i = 0; i < na; i++) {
        int64_t a = norm_axis(axes[i], x->ndim);
        if (a < 0 || a >= x->ndim || x->d[a] != 1)
            return node_fail(n, DN_ERR_SHAPE, "cannot squeeze axis %lld", (long long)axes[i]);
        drop[a] = 1;
    }
    struct dn_shape s = {0, {0}};
    for (int i = 0; i < x->ndim; i++)
        if (!(na ? drop[i] : x->d[i] == 1))
            s.d[s.ndim++] = x->d[i];
    return set_out(n, out[0], in[0]->dtype, &s);
}

static enum dn_status shape_cast(const struct dn_node *n, struct dn_value *const *in,
                                 struct dn_value *const *out)
{
    return set_out(n, out[0], n->p.cast.to, &in[0]->shape);
}

static enum dn_status shape_constantofshape(const struct dn_node *n, struct dn_value *const *in,
                                            struct dn_value *const *out)
{
    int64_t d[DN_MAX_DIMS];
    int r = const_ints(in[0], d, DN_MAX_DIMS);
    if (r < 0)
        return node_fail(n, DN_ERR_UNSUPPORTED, "the shape '%s' must be a constant", in[0]->name);
    struct dn_shape s = {r, {0}};
    for (int i = 0; i < r; i++) {
        if (d[i] < 0)
            return node_fail(n, DN_ERR_INVALID, "negative dim in the shape");
        s.d[i] = d[i];
    }
    return set_out(n, out[0], n->p.fill.dtype, &s);
}

static enum dn_status shape_dropout(const struct dn_node *n, struct dn_value *const *in,
                                    struct dn_value *const *out)
{
    if (n->n_out > 1)
        return node_fail(n, DN_ERR_UNSUPPORTED, "the mask output is not computed");
    if (n->n_in > 2 && in[2]) {
        int64_t t = 0;
        if (const_ints(in[2], &t, 1) != 1 || t != 0)
            return node_fail(n, DN_ERR_UNSUPPORTED, "training_mode must be a constant false");
    }
    return shape_float_same(n, in, out);
}

/* ---- reference kernels ------------------------------------------------ */

#define F(t) ((float *)(t).data)
#define I(t) ((int64_t *)(t).data)

static enum dn_status ref_conv(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    const struct dn_shape *xs = &in[0].shape, *ws = &in[1].shape;
    struct dn_window_geom g;
    dn_window_resolve(&n->p.win, &xs->d[2], &ws->d[2], 0, &g);
    const int64_t N = xs->d[0], C = xs->d[1], H = xs->d[2], W = xs->d[3];
    const int64_t M = ws->d[0], G = n->p.win.group, CG = C / G, MG = M / G;
    const int64_t KH = g.kernel[0], KW = g.kernel[1], OH = g.out[0], OW = g.out[1];
    const float *x = F(in[0]), *w = F(in[1]), *bias = n->n_in > 2 ? F(in[2]) : NULL;
    float *y = F(out[0]);
    for (int64_t b = 0; b < N; b++)
        for (int64_t m = 0; m < M; m++) {
            float *yp = y + (b * M + m) * OH * OW;
            int64_t grp = m / MG;
            for (int64_t i = 0; i < OH * OW; i++)
                yp[i] = bias ? bias[m] : 0.0f;
            for (int64_t c = 0; c < CG; c++) {
                const float *xp = x + (b * C + grp * CG + c) * H * W;
                for (int64_t kh = 0; kh < KH; kh++)
                    for (int64_t kw = 0; kw < KW; kw++) {
                        float wv = w[((m * CG + c) * KH + kh) * KW + kw];
                        int64_t dx = kw * g.dilation[1] - g.pad_begin[1];
                        /* ow range whose input column ow*s + dx lies in [0, W) */
                        int64_t ow0 = dx >= 0 ? 0 : (-dx + g.stride[1] - 1) / g.stride[1];
                        int64_t ow1 = W - dx <= 0 ? 0 : (W - dx + g.stride[1] - 1) / g.stride[1];
                        if (ow1 > OW)
                            ow1 = OW;
                        for (int64_t oh = 0; oh < OH; oh++) {
                            int64_t ih = oh * g.stride[0] - g.pad_begin[0] + kh * g.dilation[0];
                            if (ih < 0 || ih >= H)
                                continue;
                            const float *xr = xp + ih * W + dx;
                            float *yr = yp + oh * OW;
                            for (int64_t ow = ow0; ow < ow1; ow++)
                                yr[ow] += wv * xr[ow * g.stride[1]];
                        }
                    }
            }
        }
    return DN_OK;
}

static enum dn_status ref_pool(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    const struct dn_shape *xs = &in[0].shape;
    struct dn_window_geom g;
    dn_window_resolve(&n->p.win, &xs->d[2], n->p.win.kernel, 1, &g);
    const int64_t NC = xs->d[0] * xs->d[1], H = xs->d[2], W = xs->d[3];
    const int is_max = n->op == DN_OP_MAXPOOL;
    const float *x = F(in[0]);
    float *y = F(out[0]);
    for (int64_t p = 0; p < NC; p++) {
        const float *xp = x + p * H * W;
        for (int64_t oh = 0; oh < g.out[0]; oh++)
            for (int64_t ow = 0; ow < g.out[1]; ow++) {
                int64_t h0 = oh * g.stride[0] - g.pad_begin[0];
                int64_t w0 = ow * g.stride[1] - g.pad_begin[1];
                float acc = is_max ? -INFINITY : 0.0f;
                int64_t count = 0;
                for (int64_t kh = 0; kh < g.kernel[0]; kh++) {
                    int64_t ih = h0 + kh * g.dilation[0];
                    if (ih < 0 || ih >= H)
                        continue;
                    for (int64_t kw = 0; kw < g.kernel[1]; kw++) {
                        int64_t iw = w0 + kw * g.dilation[1];
                        if (iw < 0 || iw >= W)
                            continue;
                        float v = xp[ih * W + iw];
                        if (is_max)
                            acc = v > acc || isnan(v) ? v : acc;
                        else
                            acc += v;
                        count++;
                    }
                }
                if (!is_max) {
                    if (n->p.win.count_include_pad) {
                        /* PyTorch: taps of the window clipped to the padded input */
                        int64_t nh = (H + g.pad_end[0] - h0 + g.dilation[0] - 1) / g.dilation[0];
                        int64_t nw = (W + g.pad_end[1] - w0 + g.dilation[1] - 1) / g.dilation[1];
                        count = (nh < g.kernel[0] ? nh : g.kernel[0]) * (nw < g.kernel[1] ? nw : g.kernel[1]);
                    }
                    acc = count > 0 ? acc / (float)count : 0.0f;
                }
                y[(p * g.out[0] + oh) * g.out[1] + ow] = acc;
            }
    }
    return DN_OK;
}

static enum dn_status ref_gap(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    (void)n;
    const struct dn_shape *xs = &in[0].shape;
    int64_t NC = xs->d[0] * xs->d[1], S = prod(xs, 2, xs->ndim);
    for (int64_t p = 0; p < NC; p++) {
        const float *xp = F(in[0]) + p * S;
        float acc = 0.0f;
        for (int64_t i = 0; i < S; i++)
            acc += xp[i];
        F(out[0])[p] = acc / (float)S;
    }
    return DN_OK;
}

static enum dn_status ref_bn(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    const struct dn_shape *xs = &in[0].shape;
    int64_t N = xs->d[0], C = xs->d[1], S = prod(xs, 2, xs->ndim);
    for (int64_t c = 0; c < C; c++) {
        /* PyTorch's inference form: y = x * a + b */
        float a = F(in[1])[c] / sqrtf(F(in[4])[c] + n->p.bn.epsilon);
        float b = F(in[2])[c] - F(in[3])[c] * a;
        for (int64_t i = 0; i < N; i++) {
            const float *xp = F(in[0]) + (i * C + c) * S;
            float *yp = F(out[0]) + (i * C + c) * S;
            for (int64_t k = 0; k < S; k++)
                yp[k] = xp[k] * a + b;
        }
    }
    return DN_OK;
}

static enum dn_status ref_relu(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    (void)n;
    int64_t len = dn_shape_numel(&in[0].shape);
    for (int64_t i = 0; i < len; i++)
        F(out[0])[i] = F(in[0])[i] > 0.0f ? F(in[0])[i] : 0.0f;
    return DN_OK;
}

static enum dn_status ref_sigmoid(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    (void)n;
    int64_t len = dn_shape_numel(&in[0].shape);
    for (int64_t i = 0; i < len; i++)
        F(out[0])[i] = 1.0f / (1.0f + expf(-F(in[0])[i]));
    return DN_OK;
}

static enum dn_status ref_clip(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    float lo = -FLT_MAX, hi = FLT_MAX;
    if (n->opset < 11) {
        lo = n->p.clip.min;
        hi = n->p.clip.max;
    } else {
        if (n->n_in > 1 && in[1].data)
            lo = F(in[1])[0];
        if (n->n_in > 2 && in[2].data)
            hi = F(in[2])[0];
    }
    int64_t len = dn_shape_numel(&in[0].shape);
    for (int64_t i = 0; i < len; i++) {
        float v = F(in[0])[i];
        F(out[0])[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return DN_OK;
}

static enum dn_status ref_copy(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    (void)n;
    size_t bytes = (size_t)dn_shape_numel(&in[0].shape) * dn_dtype_size(in[0].dtype);
    if (out[0].data != in[0].data)
        memmove(out[0].data, in[0].data, bytes);
    return DN_OK;
}

static enum dn_status ref_concat(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    const struct dn_shape *os = &out[0].shape;
    int axis = (int)norm_axis(n->p.axis.axis, os->ndim);
    size_t es = dn_dtype_size(out[0].dtype);
    int64_t outer = prod(os, 0, axis), inner = prod(os, axis + 1, os->ndim) * (int64_t)es;
    char *y = out[0].data;
    int64_t off = 0;
    for (int i = 0; i < n->n_in; i++) {
        int64_t chunk = in[i].shape.d[axis] * inner;
        for (int64_t o = 0; o < outer; o++)
            memcpy(y + o * os->d[axis] * inner + off, (char *)in[i].data + o * chunk, (size_t)chunk);
        off += chunk;
    }
    return DN_OK;
}

static enum dn_status ref_gemm(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    const struct dn_shape *as = &in[0].shape, *bs = &in[1].shape;
    int ta = n->p.gemm.trans_a, tb = n->p.gemm.trans_b;
    int64_t M = out[0].shape.d[0], N = out[0].shape.d[1], K = ta ? as->d[0] : as->d[1];
    const float *a = F(in[0]), *b = F(in[1]);
    const float *c = n->n_in > 2 && in[2].data ? F(in[2]) : NULL;
    int64_t cr = 0, cc = 0; /* strides of C over rows and columns (0 broadcasts) */
    if (c) {
        const struct dn_shape *cs = &in[2].shape;
        if (cs->ndim == 2) {
            cr = cs->d[0] == 1 ? 0 : cs->d[1];
            cc = cs->d[1] == 1 ? 0 : 1;
        } else if (cs->ndim == 1)
            cc = cs->d[0] == 1 ? 0 : 1;
    }
    (void)bs;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++)
                acc += (ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
            float v = n->p.gemm.alpha * acc;
            if (c)
                v += n->p.gemm.beta * c[i * cr + j * cc];
            F(out[0])[i * N + j] = v;
        }
    return DN_OK;
}

/* Strides (in elements) of x seen through broadcasting into shape s. */
static void bcast_strides(const struct dn_shape *x, const struct dn_shape *s, int64_t *st)
{
    int64_t acc = 1;
    for (int i = s->ndim - 1; i >= 0; i--) {
        int ix = i - (s->ndim - x->ndim);
        if (ix < 0 || x->d[ix] == 1)
            st[i] = 0;
        else
            st[i] = acc;
        if (ix >= 0)
            acc *= x->d[ix];
    }
}

static enum dn_status ref_matmul(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    (void)n;
    struct dn_shape a = in[0].shape, b = in[1].shape, batch;
    if (a.ndim == 1) {
        a.ndim = 2;
        a.d[1] = a.d[0];
        a.d[0] = 1;
    }
    if (b.ndim == 1) {
        b.ndim = 2;
        b.d[1] = 1;
    }
    int64_t M = a.d[a.ndim - 2], K = a.d[a.ndim - 1], N = b.d[b.ndim - 1];
    struct dn_shape ba = a, bb = b;
    ba.ndim -= 2;
    bb.ndim -= 2;
    broadcast(&ba, &bb, &batch);
    int64_t sa[DN_MAX_DIMS], sb[DN_MAX_DIMS], idx[DN_MAX_DIMS] = {0};
    bcast_strides(&ba, &batch, sa);
    bcast_strides(&bb, &batch, sb);
    int64_t nb = dn_shape_numel(&batch);
    for (int64_t t = 0; t < nb; t++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < batch.ndim; i++) {
            oa += idx[i] * sa[i];
            ob += idx[i] * sb[i];
        }
        const float *ap = F(in[0]) + oa * M * K, *bp = F(in[1]) + ob * K * N;
        float *yp = F(out[0]) + t * M * N;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                float acc = 0.0f;
                for (int64_t k = 0; k < K; k++)
                    acc += ap[i * K + k] * bp[k * N + j];
                yp[i * N + j] = acc;
            }
        for (int i = batch.ndim - 1; i >= 0 && ++idx[i] == batch.d[i]; i--)
            idx[i] = 0;
    }
    return DN_OK;
}

static float binf(enum dn_op op, float a, float b)
{
    switch (op) {
    case DN_OP_ADD: return a + b;
    case DN_OP_SUB: return a - b;
    case DN_OP_MUL: return a * b;
    default: return a / b;
    }
}

static int64_t bini(enum dn_op op, int64_t a, int64_t b)
{
    switch (op) {
    case DN_OP_ADD: return a + b;
    case DN_OP_SUB: return a - b;
    case DN_OP_MUL: return a * b;
    default:
        /* ONNX Runtime truncates toward zero, as C does; x/0 gives 0, not a trap */
        return b == 0 ? 0 : (a == INT64_MIN && b == -1) ? a : a / b;
    }
}

static enum dn_status ref_binary(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    const struct dn_shape *s = &out[0].shape;
    int64_t sa[DN_MAX_DIMS], sb[DN_MAX_DIMS], idx[DN_MAX_DIMS] = {0};
    bcast_strides(&in[0].shape, s, sa);
    bcast_strides(&in[1].shape, s, sb);
    int r = s->ndim;
    int64_t inner = r ? s->d[r - 1] : 1, ia = r ? sa[r - 1] : 0, ib = r ? sb[r - 1] : 0;
    int64_t outer = inner ? dn_shape_numel(s) / inner : 0;
    int is_f = out[0].dtype == DN_DTYPE_F32;
    for (int64_t o = 0; o < outer; o++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < r - 1; i++) {
            oa += idx[i] * sa[i];
            ob += idx[i] * sb[i];
        }
        for (int64_t k = 0; k < inner; k++) {
            if (is_f)
                F(out[0])[o * inner + k] = binf(n->op, F(in[0])[oa + k * ia], F(in[1])[ob + k * ib]);
            else
                I(out[0])[o * inner + k] = bini(n->op, I(in[0])[oa + k * ia], I(in[1])[ob + k * ib]);
        }
        for (int i = r - 2; i >= 0 && ++idx[i] == s->d[i]; i--)
            idx[i] = 0;
    }
    return DN_OK;
}

static enum dn_status ref_pad(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    int64_t pads[2 * DN_MAX_DIMS];
    const struct dn_shape *xs = &in[0].shape, *ys = &out[0].shape;
    int r = xs->ndim;
    float value = n->p.pad.value;
    if (n->p.pad.from_input) {
        for (int i = 0; i < 2 * r; i++)
            pads[i] = I(in[1])[i];
        if (n->n_in > 2 && in[2].data)
            value = F(in[2])[0];
    } else
        memcpy(pads, n->p.pad.pads, sizeof(int64_t) * 2 * (size_t)r);
    int64_t total = dn_shape_numel(ys), idx[DN_MAX_DIMS] = {0};
    for (int64_t t = 0; t < total; t++) {
        int64_t src = 0, inside = 1;
        for (int i = 0; i < r; i++) {
            int64_t j = idx[i] - pads[i];
            inside &= j >= 0 && j < xs->d[i];
            src = src * xs->d[i] + j;
        }
        F(out[0])[t] = inside ? F(in[0])[src] : value;
        for (int i = r - 1; i >= 0 && ++idx[i] == ys->d[i]; i--)
            idx[i] = 0;
    }
    return DN_OK;
}

static enum dn_status ref_softmax(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    const struct dn_shape *s = &in[0].shape;
    int axis = (int)norm_axis(n->p.axis.axis, s->ndim);
    int64_t outer = prod(s, 0, axis), len, inner;
    if (n->p.axis.legacy) { /* opset < 13: coerced to 2-D at axis */
        len = prod(s, axis, s->ndim);
        inner = 1;
    } else {
        len = s->d[axis];
        inner = prod(s, axis + 1, s->ndim);
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *x = F(in[0]) + o * len * inner + i;
            float *y = F(out[0]) + o * len * inner + i;
            float mx = -INFINITY, sum = 0.0f;
            for (int64_t k = 0; k < len; k++)
                mx = x[k * inner] > mx ? x[k * inner] : mx;
            for (int64_t k = 0; k < len; k++) {
                y[k * inner] = expf(x[k * inner] - mx);
                sum += y[k * inner];
            }
            for (int64_t k = 0; k < len; k++)
                y[k * inner] /= sum;
        }
    return DN_OK;
}

static enum dn_status ref_shape(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    int r = in[0].shape.ndim;
    int64_t start = n->p.shape.start;
    start = start < 0 ? start + r : start;
    start = start < 0 ? 0 : start > r ? r : start;
    for (int64_t i = 0; i < out[0].shape.d[0]; i++)
        I(out[0])[i] = in[0].shape.d[start + i];
    return DN_OK;
}

static enum dn_status ref_gather(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    const struct dn_shape *xs = &in[0].shape;
    int axis = (int)norm_axis(n->p.axis.axis, xs->ndim);
    size_t es = dn_dtype_size(in[0].dtype);
    int64_t outer = prod(xs, 0, axis), inner = prod(xs, axis + 1, xs->ndim) * (int64_t)es;
    int64_t nidx = dn_shape_numel(&in[1].shape), dim = xs->d[axis];
    char *y = out[0].data;
    for (int64_t j = 0; j < nidx; j++)
        if (I(in[1])[j] < -dim || I(in[1])[j] >= dim)
            return node_fail(n, DN_ERR_SHAPE, "index %lld is out of range for a dim of %lld",
                             (long long)I(in[1])[j], (long long)dim);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < nidx; j++) {
            int64_t k = I(in[1])[j];
            k = k < 0 ? k + dim : k;
            memcpy(y + (o * nidx + j) * inner, (char *)in[0].data + (o * dim + k) * inner, (size_t)inner);
        }
    return DN_OK;
}

static enum dn_status ref_cast(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    int64_t len = dn_shape_numel(&in[0].shape);
    if (in[0].dtype == out[0].dtype)
        return ref_copy(n, in, out);
    for (int64_t i = 0; i < len; i++) {
        if (out[0].dtype == DN_DTYPE_F32)
            F(out[0])[i] = (float)I(in[0])[i];
        else
            I(out[0])[i] = (int64_t)F(in[0])[i];
    }
    return DN_OK;
}

static enum dn_status ref_constantofshape(const struct dn_node *n, const struct dn_tensor *in, struct dn_tensor *out)
{
    (void)in;
    int64_t len = dn_shape_numel(&out[0].shape);
    for (int64_t i = 0; i < len; i++) {
        if (out[0].dtype == DN_DTYPE_F32)
            F(out[0])[i] = n->p.fill.f;
        else
            I(out[0])[i] = n->p.fill.i;
    }
    return DN_OK;
}

/* ---- the registry ----------------------------------------------------- */

static const struct dn_op_info ops[DN_OP_COUNT] = {
    [DN_OP_CONV] = {"Conv", 2, 3, 1, 1, shape_conv, ref_conv},
    [DN_OP_BATCHNORM] = {"BatchNormalization", 5, 5, 1, 5, shape_bn, ref_bn},
    [DN_OP_RELU] = {"Relu", 1, 1, 1, 1, shape_float_same, ref_relu},
    [DN_OP_MAXPOOL] = {"MaxPool", 1, 1, 1, 1, shape_pool, ref_pool},
    [DN_OP_AVGPOOL] = {"AveragePool", 1, 1, 1, 1, shape_pool, ref_pool},
    [DN_OP_GLOBALAVGPOOL] = {"GlobalAveragePool", 1, 1, 1, 1, shape_gap, ref_gap},
    [DN_OP_CONCAT] = {"Concat", 1, -1, 1, 1, shape_concat, ref_concat},
    [DN_OP_FLATTEN] = {"Flatten", 1, 1, 1, 1, shape_flatten, ref_copy},
    [DN_OP_GEMM] = {"Gemm", 2, 3, 1, 1, shape_gemm, ref_gemm},
    [DN_OP_MATMUL] = {"MatMul", 2, 2, 1, 1, shape_matmul, ref_matmul},
    [DN_OP_ADD] = {"Add", 2, 2, 1, 1, shape_binary, ref_binary},
    [DN_OP_SUB] = {"Sub", 2, 2, 1, 1, shape_binary, ref_binary},
    [DN_OP_MUL] = {"Mul", 2, 2, 1, 1, shape_binary, ref_binary},
    [DN_OP_DIV] = {"Div", 2, 2, 1, 1, shape_binary, ref_binary},
    [DN_OP_RESHAPE] = {"Reshape", 2, 2, 1, 1, shape_reshape, ref_copy},
    [DN_OP_PAD] = {"Pad", 1, 4, 1, 1, shape_pad, ref_pad},
    [DN_OP_IDENTITY] = {"Identity", 1, 1, 1, 1, shape_same, ref_copy},
    [DN_OP_DROPOUT] = {"Dropout", 1, 3, 1, 2, shape_dropout, ref_copy},
    [DN_OP_SOFTMAX] = {"Softmax", 1, 1, 1, 1, shape_softmax, ref_softmax},
    [DN_OP_CLIP] = {"Clip", 1, 3, 1, 1, shape_clip, ref_clip},
    [DN_OP_SIGMOID] = {"Sigmoid", 1, 1, 1, 1, shape_float_same, ref_sigmoid},
    [DN_OP_SHAPE] = {"Shape", 1, 1, 1, 1, shape_shape, ref_shape},
    [DN_OP_GATHER] = {"Gather", 2, 2, 1, 1, shape_gather, ref_gather},
    [DN_OP_UNSQUEEZE] = {"Unsqueeze", 1, 2, 1, 1, shape_unsqueeze, ref_copy},
    [DN_OP_SQUEEZE] = {"Squeeze", 1, 2, 1, 1, shape_squeeze, ref_copy},
    [DN_OP_CAST] = {"Cast", 1, 1, 1, 1, shape_cast, ref_cast},
    [DN_OP_CONSTANTOFSHAPE] = {"ConstantOfShape", 1, 1, 1, 1, shape_constantofshape, ref_constantofshape},
};

const struct dn_op_info *dn_op_get(enum dn_op op)
{
    return &ops[op];
}
