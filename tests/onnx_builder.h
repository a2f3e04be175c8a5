/* onnx_builder.h: a tiny in-memory ONNX model builder for tests and fuzz
 * seeds: protobuf-c structs filled by hand, packed to bytes. Every
 * allocation is recorded in the builder and released by mb_free, so a test
 * builds, packs and frees without tracking pointers. Header-only (static
 * functions); include it from one .c file per program. */
#ifndef DN_ONNX_BUILDER_H
#define DN_ONNX_BUILDER_H

#include "onnx/onnx.pb-c.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MB_MAX 32

struct mb {
    Onnx__ModelProto m;
    Onnx__GraphProto g;
    Onnx__OperatorSetIdProto opset, *opsets[1];
    Onnx__NodeProto *nodes[MB_MAX];
    Onnx__TensorProto *inits[MB_MAX];
    Onnx__ValueInfoProto *ins[MB_MAX], *outs[MB_MAX];
    void **allocs;
    int n_allocs;
};

static void *mb_alloc(struct mb *b, size_t size)
{
    void *p = calloc(1, size ? size : 1);
    void **na = realloc(b->allocs, sizeof(void *) * (size_t)(b->n_allocs + 1));
    if (!p || !na)
        abort();
    b->allocs = na;
    b->allocs[b->n_allocs++] = p;
    return p;
}

static char *mb_str(struct mb *b, const char *s)
{
    char *p = mb_alloc(b, strlen(s) + 1);
    memcpy(p, s, strlen(s) + 1);
    return p;
}

static void mb_init(struct mb *b, int64_t opset)
{
    memset(b, 0, sizeof *b);
    onnx__model_proto__init(&b->m);
    onnx__graph_proto__init(&b->g);
    onnx__operator_set_id_proto__init(&b->opset);
    b->opset.has_version = 1;
    b->opset.version = opset;
    b->opsets[0] = &b->opset;
    b->m.n_opset_import = 1;
    b->m.opset_import = b->opsets;
    b->m.has_ir_version = 1;
    b->m.ir_version = 8;
    b->m.graph = &b->g;
    b->g.node = b->nodes;
    b->g.initializer = b->inits;
    b->g.input = b->ins;
    b->g.output = b->outs;
}

static void mb_free(struct mb *b)
{
    for (int i = 0; i < b->n_allocs; i++)
        free(b->allocs[i]);
    free(b->allocs);
    b->allocs = NULL;
    b->n_allocs = 0;
}

/* A float32 graph input of rank ndim; dims <= 0 are dynamic. */
static void mb_input(struct mb *b, const char *name, int ndim, const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = mb_alloc(b, sizeof *vi);
    Onnx__TypeProto *tp = mb_alloc(b, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = mb_alloc(b, sizeof *tt);
    Onnx__TensorShapeProto *sp = mb_alloc(b, sizeof *sp);
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sp);
    sp->n_dim = (size_t)ndim;
    sp->dim = mb_alloc(b, sizeof(void *) * (size_t)ndim);
    for (int i = 0; i < ndim; i++) {
        Onnx__TensorShapeProto__Dimension *d = mb_alloc(b, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] > 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = mb_str(b, "N");
        }
        sp->dim[i] = d;
    }
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = sp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->name = mb_str(b, name);
    vi->type = tp;
    b->ins[b->g.n_input++] = vi;
}

static void mb_output(struct mb *b, const char *name)
{
    Onnx__ValueInfoProto *vi = mb_alloc(b, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = mb_str(b, name);
    b->outs[b->g.n_output++] = vi;
}

/* A node; ins and outs are comma-separated names ("" entries allowed). */
static Onnx__NodeProto *mb_node(struct mb *b, const char *op, const char *name, const char *ins,
                                const char *outs)
{
    Onnx__NodeProto *n = mb_alloc(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = mb_str(b, op);
    n->name = mb_str(b, name);
    for (int k = 0; k < 2; k++) {
        const char *list = k ? outs : ins;
        size_t cnt = *list ? 1 : 0;
        for (const char *p = list; *p; p++)
            cnt += *p == ',';
        char **arr = mb_alloc(b, sizeof(char *) * (cnt + 1));
        const char *p = list;
        for (size_t i = 0; i < cnt; i++) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            arr[i] = mb_alloc(b, len + 1);
            memcpy(arr[i], p, len);
            p = e ? e + 1 : p + len;
        }
        if (k) {
            n->n_output = cnt;
            n->output = arr;
        } else {
            n->n_input = cnt;
            n->input = arr;
        }
    }
    b->nodes[b->g.n_node++] = n;
    return n;
}

static Onnx__AttributeProto *mb_attr(struct mb *b, Onnx__NodeProto *n, const char *name, int type)
{
    Onnx__AttributeProto *a = mb_alloc(b, sizeof *a);
    Onnx__AttributeProto **na = mb_alloc(b, sizeof(void *) * (n->n_attribute + 1));
    onnx__attribute_proto__init(a);
    a->name = mb_str(b, name);
    a->has_type = 1;
    a->type = (Onnx__AttributeProto__AttributeType)type;
    if (n->n_attribute)
        memcpy(na, n->attribute, sizeof(void *) * n->n_attribute);
    na[n->n_attribute++] = a;
    n->attribute = na;
    return a;
}

static void mb_attr_int(struct mb *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void mb_attr_ints(struct mb *b, Onnx__NodeProto *n, const char *name, int cnt, ...)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    va_list ap;
    a->n_ints = (size_t)cnt;
    a->ints = mb_alloc(b, sizeof(int64_t) * (size_t)cnt);
    va_start(ap, cnt);
    for (int i = 0; i < cnt; i++)
        a->ints[i] = va_arg(ap, int64_t);
    va_end(ap);
}

/* An initializer of the given dtype: float32 elements all `f`, or int64
 * elements from ivals (cycled). */
static void mb_tensor(struct mb *b, const char *name, int dtype, int ndim, const int64_t *dims, float f,
                      int n_ivals, const int64_t *ivals)
{
    Onnx__TensorProto *t = mb_alloc(b, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = mb_str(b, name);
    t->has_data_type = 1;
    t->data_type = dtype;
    t->n_dims = (size_t)ndim;
    t->dims = mb_alloc(b, sizeof(int64_t) * (size_t)ndim);
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        t->dims[i] = dims[i];
        numel *= (size_t)dims[i];
    }
    if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        t->n_float_data = numel;
        t->float_data = mb_alloc(b, sizeof(float) * numel);
        for (size_t i = 0; i < numel; i++)
            t->float_data[i] = f;
    } else {
        t->n_int64_data = numel;
        t->int64_data = mb_alloc(b, sizeof(int64_t) * numel);
        for (size_t i = 0; i < numel; i++)
            t->int64_data[i] = n_ivals ? ivals[i % (size_t)n_ivals] : 0;
    }
    b->inits[b->g.n_initializer++] = t;
}

/* Packs the model; the buffer is the builder's. */
static uint8_t *mb_pack(struct mb *b, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&b->m);
    uint8_t *buf = mb_alloc(b, *len);
    onnx__model_proto__pack(&b->m, buf);
    return buf;
}

#endif
