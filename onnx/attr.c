/* attr.c: ONNX node attributes -> per-op parameter structs, with ONNX defaults.
 *
 * Each getter returns the default when the attribute is absent and fails when
 * it is present with the wrong type; each op's decoder also rejects values
 * that this build cannot honour (e.g. non-constant Pad modes, 3-D windows).
 * Defaults follow the operator changelog for the node's opset.
 */
#include "import_internal.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T(x) ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##x

struct attrs {
    const Onnx__NodeProto *np;
    char *why;
    size_t whylen;
    int bad;
};

static const Onnx__AttributeProto *find(struct attrs *a, const char *name, int type)
{
    for (size_t i = 0; i < a->np->n_attribute; i++) {
        const Onnx__AttributeProto *at = a->np->attribute[i];
        if (!at->name || strcmp(at->name, name) != 0)
            continue;
        /* files from old exporters may omit the type field */
        if (at->has_type && (int)at->type != type) {
            if (!a->bad)
                snprintf(a->why, a->whylen, "attribute '%s' has the wrong type", name);
            a->bad = 1;
            return NULL;
        }
        return at;
    }
    return NULL;
}

static int64_t get_int(struct attrs *a, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *at = find(a, name, T(INT));
    return at ? at->i : dflt;
}

static float get_float(struct attrs *a, const char *name, float dflt)
{
    const Onnx__AttributeProto *at = find(a, name, T(FLOAT));
    return at ? at->f : dflt;
}

static const char *get_string(struct attrs *a, const char *name, const char *dflt, char *buf, size_t size)
{
    const Onnx__AttributeProto *at = find(a, name, T(STRING));
    if (!at || !at->has_s)
        return dflt;
    size_t n = at->s.len < size - 1 ? at->s.len : size - 1;
    if (n) /* an empty string has no data pointer */
        memcpy(buf, at->s.data, n);
    buf[n] = '\0';
    return buf;
}

/* Returns the count (-1 if absent); fails (a->bad) if more than max. */
static int get_ints(struct attrs *a, const char *name, int64_t *dst, int max)
{
    const Onnx__AttributeProto *at = find(a, name, T(INTS));
    if (!at)
        return -1;
    if (at->n_ints > (size_t)max) {
        if (!a->bad)
            snprintf(a->why, a->whylen, "attribute '%s' has %zu values; at most %d are supported",
                     name, at->n_ints, max);
        a->bad = 1;
        return -1;
    }
    for (size_t i = 0; i < at->n_ints; i++)
        dst[i] = at->ints[i];
    return (int)at->n_ints;
}

static void fail(struct attrs *a, const char *msg, const char *arg)
{
    if (!a->bad)
        snprintf(a->why, a->whylen, msg, arg);
    a->bad = 1;
}

/* Fails unless lo <= v <= DN_MAX_ATTR, naming the attribute and the value. */
#define DN_MAX_ATTR ((int64_t)1 << 31)
static void check_range(struct attrs *a, const char *name, int64_t v, int64_t lo)
{
    if (a->bad || (v >= lo && v <= DN_MAX_ATTR))
        return;
    snprintf(a->why, a->whylen, "attribute '%s' is %lld; it must be %s%lld%s", name, (long long)v,
             v < lo ? ">= " : "<= ", (long long)(v < lo ? lo : DN_MAX_ATTR),
             v < lo ? "" : " here");
    a->bad = 1;
}

/* An axis attribute: within [-DN_MAX_DIMS, DN_MAX_DIMS) (the rank is
 * checked against it when shapes are known). */
static int64_t get_axis(struct attrs *a, const char *name, int64_t dflt)
{
    int64_t v = get_int(a, name, dflt);
    if (!a->bad && (v < -DN_MAX_DIMS || v > DN_MAX_DIMS)) {
        snprintf(a->why, a->whylen, "attribute '%s' is %lld; an axis must lie within the rank (at most %d)",
                 name, (long long)v, DN_MAX_DIMS);
        a->bad = 1;
    }
    return v;
}

/* Window attributes shared by Conv and the pools; spatial rank must be 2. */
static void decode_window(struct attrs *a, struct dn_window *w, int opset, int is_conv)
{
    int64_t v[8];
    char buf[32];
    int n;
    w->group = 1;
    n = get_ints(a, "kernel_shape", v, 8);
    w->has_kernel = n >= 0;
    if (n >= 0 && n != 2)
        fail(a, "only 2-D windows are supported (kernel_shape has %s values)", n == 1 ? "1" : "3 or more");
    else if (n == 2)
        w->kernel[0] = v[0], w->kernel[1] = v[1];
    else if (!is_conv)
        fail(a, "attribute '%s' is required", "kernel_shape");
    w->stride[0] = w->stride[1] = 1;
    n = get_ints(a, "strides", v, 8);
    if (n == 2)
        w->stride[0] = v[0], w->stride[1] = v[1];
    else if (n >= 0)
        fail(a, "attribute '%s' must have 2 values", "strides");
    w->dilation[0] = w->dilation[1] = 1;
    n = get_ints(a, "dilations", v, 8);
    if (n == 2)
        w->dilation[0] = v[0], w->dilation[1] = v[1];
    else if (n >= 0)
        fail(a, "attribute '%s' must have 2 values", "dilations");
    n = get_ints(a, "pads", v, 8);
    if (n == 4)
        memcpy(w->pads, v, sizeof w->pads);
    else if (n >= 0)
        fail(a, "attribute '%s' must have 4 values", "pads");
    /* ONNX's rules, and a bound that keeps all window arithmetic in range */
    for (int i = 0; i < 4; i++)
        check_range(a, "pads", w->pads[i], 0);
    for (int i = 0; i < 2; i++) {
        check_range(a, "strides", w->stride[i], 1);
        check_range(a, "dilations", w->dilation[i], 1);
        if (w->has_kernel)
            check_range(a, "kernel_shape", w->kernel[i], 1);
    }
    const char *ap = get_string(a, "auto_pad", "NOTSET", buf, sizeof buf);
    if (strcmp(ap, "NOTSET") == 0)
        w->auto_pad = DN_PAD_NOTSET;
    else if (strcmp(ap, "SAME_UPPER") == 0)
        w->auto_pad = DN_PAD_SAME_UPPER;
    else if (strcmp(ap, "SAME_LOWER") == 0)
        w->auto_pad = DN_PAD_SAME_LOWER;
    else if (strcmp(ap, "VALID") == 0)
        w->auto_pad = DN_PAD_VALID;
    else
        fail(a, "auto_pad '%s' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", ap);
    if (is_conv) {
        w->group = get_int(a, "group", 1);
        check_range(a, "group", w->group, 1);
    } else {
        int64_t cm = opset >= 10 ? get_int(a, "ceil_mode", 0) : 0;
        int64_t cip = get_int(a, "count_include_pad", 0);
        if (cm != 0 && cm != 1)
            fail(a, "attribute '%s' must be 0 or 1", "ceil_mode");
        if (cip != 0 && cip != 1)
            fail(a, "attribute '%s' must be 0 or 1", "count_include_pad");
        w->ceil_mode = cm != 0;
        w->count_include_pad = cip != 0;
    }
}

static enum dn_dtype cast_to(struct attrs *a, int64_t t)
{
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        return DN_DTYPE_F32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        return DN_DTYPE_I64;
    default:
        fail(a, "%s", "only float32, int32 and int64 targets are supported");
        return DN_DTYPE_F32;
    }
}

enum dn_status dn_onnx_attrs_decode(const Onnx__NodeProto *np, struct dn_node *n, char *why, size_t whylen)
{
    struct attrs a = {np, why, whylen, 0};
    union dn_params *p = &n->p;
    int opset = n->opset;
    char buf[64];
    enum dn_status unsupported = DN_ERR_UNSUPPORTED;
    memset(p, 0, sizeof *p);
    switch (n->op) {
    case DN_OP_CONV:
        decode_window(&a, &p->win, opset, 1);
        break;
    case DN_OP_MAXPOOL:
    case DN_OP_AVGPOOL:
        decode_window(&a, &p->win, opset, 0);
        if (n->op == DN_OP_MAXPOOL && get_int(&a, "storage_order", 0) != 0)
            fail(&a, "%s", "storage_order 1 is not supported");
        break;
    case DN_OP_BATCHNORM:
        p->bn.epsilon = get_float(&a, "epsilon", 1e-5f);
        if (opset < 9 && get_int(&a, "spatial", 1) != 1)
            fail(&a, "%s", "spatial=0 is not supported");
        if (opset >= 14 && get_int(&a, "training_mode", 0) != 0)
            fail(&a, "%s", "training_mode=1 is not supported");
        break;
    case DN_OP_GEMM:
        p->gemm.alpha = get_float(&a, "alpha", 1.0f);
        p->gemm.beta = get_float(&a, "beta", 1.0f);
        p->gemm.trans_a = get_int(&a, "transA", 0) != 0;
        p->gemm.trans_b = get_int(&a, "transB", 0) != 0;
        break;
    case DN_OP_CONCAT:
        if (!find(&a, "axis", T(INT)))
            fail(&a, "attribute '%s' is required", "axis");
        p->axis.axis = get_axis(&a, "axis", 1);
        break;
    case DN_OP_FLATTEN:
        p->axis.axis = get_axis(&a, "axis", 1);
        break;
    case DN_OP_GATHER:
        p->axis.axis = get_axis(&a, "axis", 0);
        break;
    case DN_OP_SOFTMAX:
        p->axis.legacy = opset < 13;
        p->axis.axis = get_axis(&a, "axis", opset < 13 ? 1 : -1);
        break;
    case DN_OP_SQUEEZE:
    case DN_OP_UNSQUEEZE:
        if (opset >= 13) {
            p->axes.from_input = 1;
            if (n->op == DN_OP_UNSQUEEZE && n->n_in < 2)
                fail(&a, "input '%s' is required from opset 13", "axes");
        } else {
            p->axes.n = get_ints(&a, "axes", p->axes.axes, DN_MAX_DIMS);
            for (int i = 0; i < p->axes.n && !a.bad; i++)
                if (p->axes.axes[i] < -DN_MAX_DIMS || p->axes.axes[i] >= DN_MAX_DIMS)
                    fail(&a, "attribute '%s' holds an axis outside any supported rank", "axes");
            if (p->axes.n < 0) {
                p->axes.n = 0;
                if (n->op == DN_OP_UNSQUEEZE)
                    fail(&a, "attribute '%s' is required", "axes");
            }
        }
        break;
    case DN_OP_CAST:
        if (!find(&a, "to", T(INT)))
            fail(&a, "attribute '%s' is required", "to");
        p->cast.to = cast_to(&a, get_int(&a, "to", 1));
        break;
    case DN_OP_RESHAPE:
        p->reshape.allowzero = opset >= 14 ? get_int(&a, "allowzero", 0) != 0 : 0;
        break;
    case DN_OP_PAD: {
        const char *mode = get_string(&a, "mode", "constant", buf, sizeof buf);
        if (strcmp(mode, "constant") != 0)
            fail(&a, "pad mode '%s' is not supported (only constant)", mode);
        if (opset < 11) {
            p->pad.n = get_ints(&a, opset < 2 ? "paddings" : "pads", p->pad.pads, 2 * DN_MAX_DIMS);
            if (p->pad.n < 0)
                fail(&a, "attribute '%s' is required", "pads");
            for (int i = 0; i < p->pad.n; i++) /* negative pads crop */
                if (p->pad.pads[i] < -DN_MAX_ATTR)
                    fail(&a, "attribute '%s' holds a value below -2^31", opset < 2 ? "paddings" : "pads");
                else
                    check_range(&a, opset < 2 ? "paddings" : "pads", p->pad.pads[i], -DN_MAX_ATTR);
            p->pad.value = get_float(&a, "value", 0.0f);
        } else {
            p->pad.from_input = 1;
            if (n->n_in < 2)
                fail(&a, "input '%s' is required from opset 11", "pads");
            if (n->n_in > 3)
                fail(&a, "%s", "the axes input is not supported");
        }
        break;
    }
    case DN_OP_CLIP:
        p->clip.min = get_float(&a, "min", -FLT_MAX);
        p->clip.max = get_float(&a, "max", FLT_MAX);
        break;
    case DN_OP_DROPOUT:
        if (opset < 7 && get_int(&a, "is_test", 0) == 0)
            fail(&a, "%s", "training mode (is_test=0) is not supported");
        break;
    case DN_OP_SHAPE:
        p->shape.start = opset >= 15 ? get_int(&a, "start", 0) : 0;
        p->shape.end = opset >= 15 ? get_int(&a, "end", INT64_MAX / 2) : INT64_MAX / 2;
        break;
    case DN_OP_CONSTANTOFSHAPE: {
        const Onnx__AttributeProto *at = find(&a, "value", T(TENSOR));
        p->fill.dtype = DN_DTYPE_F32;
        if (at && at->t) {
            enum dn_dtype dt;
            struct dn_shape s;
            void *data = NULL;
            char w[256];
            enum dn_status st = dn_onnx_tensor_decode(at->t, &dt, &s, &data, w, sizeof w);
            if (st != DN_OK || dn_shape_numel(&s) != 1) {
                fail(&a, "value %s", st != DN_OK ? w : "must have one element");
                unsupported = st != DN_OK ? st : DN_ERR_INVALID;
            } else {
                p->fill.dtype = dt;
                if (dt == DN_DTYPE_F32)
                    p->fill.f = *(float *)data;
                else
                    p->fill.i = *(int64_t *)data;
            }
            free(data);
        }
        break;
    }
    case DN_OP_ADD:
    case DN_OP_SUB:
    case DN_OP_MUL:
    case DN_OP_DIV:
        if (opset < 7 && get_int(&a, "broadcast", 0) && find(&a, "axis", T(INT)))
            fail(&a, "%s", "legacy broadcasting with an axis is not supported");
        break;
    default:
        break;
    }
    return a.bad ? unsupported : DN_OK;
}
