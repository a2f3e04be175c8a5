/* import.c: ONNX ModelProto -> dn_graph. The only code (with attr.c) that knows protobuf.
 *
 * The importer decodes every initializer and Constant node into graph-owned
 * constants (float32, or int64 for shape arithmetic), maps each node's
 * op_type to a dn_op and decodes its attributes, with ONNX defaults, into the
 * node's parameter struct. It does not stop at the first problem: it logs one
 * line per problem (node index, name, op type, opset) and then fails, so a
 * user sees everything that stands between the model and a run. The
 * ModelProto is freed before returning; the graph owns all it keeps.
 */
#include "import.h"
#include "import_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define DN_MAX_MODEL_BYTES ((size_t)4 << 30)
#define DN_MAX_INPUT_ELEMS ((int64_t)1 << 32)

static const char *dtype_name(int t)
{
    static const char *names[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16",
                                  "INT32", "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE",
                                  "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
    return t >= 0 && t < (int)(sizeof names / sizeof *names) ? names[t] : "unknown";
}

/* Decodes a TensorProto into dtype/shape/data (data malloc'ed, caller owns);
 * with steal, raw data of the right element size is moved out of t, not copied.
 * Returns DN_ERR_UNSUPPORTED for data types other than float32/int32/int64, with why set. */
static enum dn_status tensor_decode(Onnx__TensorProto *t, int steal, enum dn_dtype *dtype,
                                    struct dn_shape *shape, void **data, char *why, size_t whylen)
{
    int64_t numel = 1;
    *data = NULL;
    if (t->n_dims > DN_MAX_DIMS) {
        snprintf(why, whylen, "has %zu dims; at most %d are supported", t->n_dims, DN_MAX_DIMS);
        return DN_ERR_UNSUPPORTED;
    }
    shape->ndim = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || (t->dims[i] > 0 && numel > ((int64_t)1 << 40) / t->dims[i])) {
            snprintf(why, whylen, "has an invalid dim %lld", (long long)t->dims[i]);
            return DN_ERR_INVALID;
        }
        shape->d[i] = t->dims[i];
        numel *= t->dims[i];
    }
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        snprintf(why, whylen, "stores its data in an external file; only embedded data is supported");
        return DN_ERR_UNSUPPORTED;
    }
    int type = t->has_data_type ? t->data_type : 0;
    size_t src_size;
    size_t n_typed;
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        *dtype = DN_DTYPE_F32;
        src_size = 4;
        n_typed = t->n_float_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        *dtype = DN_DTYPE_I64;
        src_size = 8;
        n_typed = t->n_int64_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        *dtype = DN_DTYPE_I64;
        src_size = 4;
        n_typed = t->n_int32_data;
        break;
    default:
        snprintf(why, whylen, "has data type %s; only float32 (and int32/int64 for shapes) is supported",
                 dtype_name(type));
        return DN_ERR_UNSUPPORTED;
    }
    size_t out_size = dn_dtype_size(*dtype);
    if (t->has_raw_data) {
        if (t->raw_data.len != (size_t)numel * src_size) {
            snprintf(why, whylen, "has %zu bytes of raw data; %lld elements of %s need %lld",
                     t->raw_data.len, (long long)numel, dtype_name(type), (long long)numel * (long long)src_size);
            return DN_ERR_INVALID;
        }
    } else if (n_typed != (size_t)numel) {
        snprintf(why, whylen, "has %zu values for %lld elements", n_typed, (long long)numel);
        return DN_ERR_INVALID;
    }
    if (steal && t->has_raw_data && src_size == out_size && numel > 0 && t->raw_data.data) {
        /* the graph takes protobuf-c's copy of the bytes (malloc'ed, so
         * aligned for any element type): no second copy of the weights */
        *data = t->raw_data.data;
        t->raw_data.data = NULL;
        t->raw_data.len = 0;
        t->has_raw_data = 0;
        return DN_OK;
    }
    *data = malloc(numel ? (size_t)numel * out_size : 1);
    if (!*data) {
        snprintf(why, whylen, "does not fit in memory");
        return DN_ERR_NOMEM;
    }
    const unsigned char *raw = t->has_raw_data ? t->raw_data.data : NULL;
    for (int64_t i = 0; i < numel; i++) {
        /* raw_data is little-endian; this code assumes a little-endian host */
        if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
            raw ? memcpy((float *)*data + i, raw + 4 * i, 4) : (void)(((float *)*data)[i] = t->float_data[i]);
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
            raw ? memcpy((int64_t *)*data + i, raw + 8 * i, 8) : (void)(((int64_t *)*data)[i] = t->int64_data[i]);
        else {
            int32_t v;
            if (raw)
                memcpy(&v, raw + 4 * i, 4);
            else
                v = t->int32_data[i];
            ((int64_t *)*data)[i] = v;
        }
    }
    return DN_OK;
}

enum dn_status dn_onnx_tensor_decode(const Onnx__TensorProto *t, enum dn_dtype *dtype,
                                     struct dn_shape *shape, void **data, char *why, size_t whylen)
{
    return tensor_decode((Onnx__TensorProto *)t, 0, dtype, shape, data, why, whylen);
}

struct importer {
    struct dn_graph *g;
    int problems;
    enum dn_status worst;
    unsigned char *bad_type;   /* per value: initializer of an unsupported type */
    char **bad_why;
    int cap_bad;
};

static void problem(struct importer *im, enum dn_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct importer *im, enum dn_status st, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dn_log("%s", msg);
    im->problems++;
    /* NOMEM beats INVALID beats UNSUPPORTED as the overall status */
    if (im->worst == DN_OK || st == DN_ERR_NOMEM || (st == DN_ERR_INVALID && im->worst != DN_ERR_NOMEM))
        im->worst = st;
}

static int value_for(struct importer *im, const char *name)
{
    int v = dn_graph_find(im->g, name);
    if (v < 0)
        v = dn_graph_add_value(im->g, name);
    return v;
}

static enum dn_status add_const(struct importer *im, const char *name, enum dn_dtype dt,
                                const struct dn_shape *shape, void *data, int initializer)
{
    int v = dn_graph_find(im->g, name);
    if (v >= 0) {
        free(data);
        problem(im, DN_ERR_INVALID, "constant '%s' is defined twice", name);
        return DN_ERR_INVALID;
    }
    v = dn_graph_add_value(im->g, name);
    if (v < 0) {
        free(data);
        return DN_ERR_NOMEM;
    }
    struct dn_value *val = &im->g->values[v];
    val->kind = DN_VALUE_CONST;
    val->dtype = dt;
    val->shape = *shape;
    val->data = data;
    val->initializer = initializer;
    return DN_OK;
}

static void import_initializers(struct importer *im, Onnx__GraphProto *gp)
{
    for (size_t i = 0; i < gp->n_initializer; i++) {
        Onnx__TensorProto *t = gp->initializer[i];
        const char *name = t->name ? t->name : "";
        enum dn_dtype dt = DN_DTYPE_F32;
        struct dn_shape shape = {0, {0}};
        void *data = NULL;
        char why[256];
        enum dn_status st = tensor_decode(t, 1, &dt, &shape, &data, why, sizeof why);
        if (st == DN_ERR_UNSUPPORTED && !(t->has_data_location &&
                                          t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)) {
            /* an unsupported type is only a problem if a node reads it */
            if (add_const(im, name, DN_DTYPE_F32, &shape, NULL, 1) != DN_OK)
                continue;
            int v = im->g->n_values - 1;
            if (v >= im->cap_bad) {
                int nc = (v + 1) * 2;
                unsigned char *nb = realloc(im->bad_type, (size_t)nc);
                char **nw = realloc(im->bad_why, sizeof(char *) * (size_t)nc);
                if (nb)
                    im->bad_type = nb;
                if (nw)
                    im->bad_why = nw;
                if (!nb || !nw) {
                    problem(im, DN_ERR_NOMEM, "out of memory reading initializers");
                    continue;
                }
                memset(im->bad_type + im->cap_bad, 0, (size_t)(nc - im->cap_bad));
                memset(im->bad_why + im->cap_bad, 0, sizeof(char *) * (size_t)(nc - im->cap_bad));
                im->cap_bad = nc;
            }
            im->bad_type[v] = 1;
            im->bad_why[v] = strdup(why);
            continue;
        }
        if (st != DN_OK) {
            problem(im, st, "initializer '%s' %s", name, why);
            continue;
        }
        add_const(im, name, dt, &shape, data, 1);
    }
}

static void import_inputs(struct importer *im, const Onnx__GraphProto *gp)
{
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        const char *name = vi->name ? vi->name : "";
        int v = dn_graph_find(im->g, name);
        if (v >= 0 && im->g->values[v].kind == DN_VALUE_CONST)
            continue; /* IR < 4 lists initializers as inputs too */
        if (v >= 0) {
            problem(im, DN_ERR_INVALID, "graph input '%s' is listed twice", name);
            continue;
        }
        const Onnx__TypeProto *tp = vi->type;
        if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
            problem(im, DN_ERR_UNSUPPORTED, "graph input '%s' is not a tensor", name);
            continue;
        }
        const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
        if (tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
            problem(im, DN_ERR_UNSUPPORTED, "graph input '%s' has data type %s; only float32 inputs are supported",
                    name, dtype_name(tt->elem_type));
            continue;
        }
        struct dn_shape shape = {0, {0}};
        if (tt->shape) {
            if (tt->shape->n_dim > DN_MAX_DIMS) {
                problem(im, DN_ERR_UNSUPPORTED, "graph input '%s' has more than %d dims", name, DN_MAX_DIMS);
                continue;
            }
            shape.ndim = (int)tt->shape->n_dim;
            int64_t numel = 1;
            for (size_t k = 0; k < tt->shape->n_dim; k++) {
                const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[k];
                shape.d[k] = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                                     d->dim_value > 0 ? d->dim_value : -1;
                /* declared sizes feed preprocessing and planning: keep their
                 * product in range (dynamic dims count as 1 here) */
                if (shape.d[k] > 0 && numel > DN_MAX_INPUT_ELEMS / shape.d[k])
                    numel = -1;
                else if (numel > 0 && shape.d[k] > 0)
                    numel *= shape.d[k];
            }
            if (numel < 0) {
                problem(im, DN_ERR_UNSUPPORTED, "graph input '%s' declares more than %lld elements", name,
                        (long long)DN_MAX_INPUT_ELEMS);
                continue;
            }
        } else {
            problem(im, DN_ERR_UNSUPPORTED, "graph input '%s' has no declared shape", name);
            continue;
        }
        v = dn_graph_add_value(im->g, name);
        if (v < 0 || dn_graph_add_input(im->g, v) != DN_OK) {
            problem(im, DN_ERR_NOMEM, "out of memory reading inputs");
            continue;
        }
        im->g->values[v].shape = shape;
    }
}

/* Constant node -> constant value. */
static void import_constant(struct importer *im, const Onnx__NodeProto *np, int index, int opset)
{
    const char *out = np->n_output ? np->output[0] : "";
    char why[256];
    for (size_t a = 0; a < np->n_attribute; a++) {
        const Onnx__AttributeProto *at = np->attribute[a];
        const char *an = at->name ? at->name : "";
        struct dn_shape shape = {0, {0}};
        void *data = NULL;
        enum dn_dtype dt = DN_DTYPE_F32;
        enum dn_status st = DN_OK;
        if (strcmp(an, "value") == 0 && at->t) {
            st = dn_onnx_tensor_decode(at->t, &dt, &shape, &data, why, sizeof why);
        } else if (strcmp(an, "value_float") == 0 || strcmp(an, "value_int") == 0) {
            dt = an[6] == 'f' ? DN_DTYPE_F32 : DN_DTYPE_I64;
            data = malloc(8);
            if (data && dt == DN_DTYPE_F32)
                *(float *)data = at->f;
            else if (data)
                *(int64_t *)data = at->i;
        } else if (strcmp(an, "value_floats") == 0 || strcmp(an, "value_ints") == 0) {
            size_t n = an[6] == 'f' ? at->n_floats : at->n_ints;
            dt = an[6] == 'f' ? DN_DTYPE_F32 : DN_DTYPE_I64;
            shape.ndim = 1;
            shape.d[0] = (int64_t)n;
            data = malloc(n * 8 + 1);
            for (size_t k = 0; data && k < n; k++) {
                if (dt == DN_DTYPE_F32)
                    ((float *)data)[k] = at->floats[k];
                else
                    ((int64_t *)data)[k] = at->ints[k];
            }
        } else {
            continue;
        }
        if (st == DN_OK && !data)
            st = DN_ERR_NOMEM, snprintf(why, sizeof why, "does not fit in memory");
        if (st != DN_OK) {
            problem(im, st, "node %d '%s' (Constant, opset %d): value %s", index,
                    np->name ? np->name : "", opset, why);
            return;
        }
        add_const(im, out, dt, &shape, data, 0);
        im->g->n_constant_nodes++;
        return;
    }
    problem(im, DN_ERR_UNSUPPORTED, "node %d '%s' (Constant, opset %d): no supported value attribute "
            "(value, value_float(s), value_int(s))", index, np->name ? np->name : "", opset);
}

static const struct {
    const char *name;
    enum dn_op op;
} op_names[] = {
    {"Conv", DN_OP_CONV}, {"BatchNormalization", DN_OP_BATCHNORM}, {"Relu", DN_OP_RELU},
    {"MaxPool", DN_OP_MAXPOOL}, {"AveragePool", DN_OP_AVGPOOL},
    {"GlobalAveragePool", DN_OP_GLOBALAVGPOOL}, {"Concat", DN_OP_CONCAT},
    {"Flatten", DN_OP_FLATTEN}, {"Gemm", DN_OP_GEMM}, {"MatMul", DN_OP_MATMUL},
    {"Add", DN_OP_ADD}, {"Sub", DN_OP_SUB}, {"Mul", DN_OP_MUL}, {"Div", DN_OP_DIV},
    {"Reshape", DN_OP_RESHAPE}, {"Pad", DN_OP_PAD}, {"Identity", DN_OP_IDENTITY},
    {"Dropout", DN_OP_DROPOUT}, {"Softmax", DN_OP_SOFTMAX}, {"Clip", DN_OP_CLIP},
    {"Sigmoid", DN_OP_SIGMOID}, {"Shape", DN_OP_SHAPE}, {"Gather", DN_OP_GATHER},
    {"Unsqueeze", DN_OP_UNSQUEEZE}, {"Squeeze", DN_OP_SQUEEZE}, {"Cast", DN_OP_CAST},
    {"ConstantOfShape", DN_OP_CONSTANTOFSHAPE},
};

static void import_node(struct importer *im, const Onnx__NodeProto *np, int index, int opset)
{
    const char *op_type = np->op_type ? np->op_type : "";
    const char *name = np->name ? np->name : "";
    const char *domain = np->domain ? np->domain : "";
    if (*domain && strcmp(domain, "ai.onnx") != 0) {
        problem(im, DN_ERR_UNSUPPORTED, "node %d '%s' (%s, domain %s): operators outside the default "
                "ONNX domain are not supported", index, name, op_type, domain);
        return;
    }
    if (strcmp(op_type, "Constant") == 0) {
        import_constant(im, np, index, opset);
        return;
    }
    int op = -1;
    for (size_t i = 0; i < sizeof op_names / sizeof *op_names; i++)
        if (strcmp(op_names[i].name, op_type) == 0)
            op = (int)op_names[i].op;
    if (op < 0) {
        problem(im, DN_ERR_UNSUPPORTED, "node %d '%s' (%s, opset %d): unsupported operator '%s'",
                index, name, op_type, opset, op_type);
        for (size_t j = 0; j < np->n_output; j++) /* so later uses do not look dangling */
            if (*np->output[j])
                value_for(im, np->output[j]);
        return;
    }
    const struct dn_op_info *info = dn_op_get((enum dn_op)op);
    int n_in = (int)np->n_input, n_out = (int)np->n_output;
    while (n_in > 0 && !*np->input[n_in - 1])
        n_in--; /* trailing optional inputs given as "" */
    while (n_out > 1 && !*np->output[n_out - 1])
        n_out--;
    if (n_in < info->min_in || (info->max_in >= 0 && n_in > info->max_in) ||
        n_out < info->min_out || n_out > info->max_out) {
        problem(im, DN_ERR_INVALID, "node %d '%s' (%s, opset %d): %d inputs and %d outputs do not fit the operator",
                index, name, op_type, opset, n_in, n_out);
        return;
    }
    for (int j = 0; j < n_in; j++)
        if (!*np->input[j] && (j < info->min_in || info->max_in < 0)) {
            problem(im, DN_ERR_INVALID, "node %d '%s' (%s, opset %d): input %d has an empty name but is required",
                    index, name, op_type, opset, j);
            return;
        }
    int *in = malloc(sizeof(int) * (size_t)(n_in + 1)), out[8];
    if (!in) {
        problem(im, DN_ERR_NOMEM, "out of memory reading node %d", index);
        return;
    }
    for (int j = 0; j < n_in; j++)
        in[j] = *np->input[j] ? value_for(im, np->input[j]) : -1;
    for (int j = 0; j < n_out; j++)
        out[j] = *np->output[j] ? value_for(im, np->output[j]) : -1;
    int k = dn_graph_add_node(im->g, (enum dn_op)op, name, opset, n_in, in, n_out, out);
    free(in);
    if (k < 0) {
        problem(im, DN_ERR_NOMEM, "out of memory reading node %d", index);
        return;
    }
    char why[512];
    enum dn_status st = dn_onnx_attrs_decode(np, &im->g->nodes[k], why, sizeof why);
    if (st != DN_OK)
        problem(im, st, "node %d '%s' (%s, opset %d): %s", index, name, op_type, opset, why);
}

/* What each op reads from its inputs, by position: 'f' float32, 'i' int64,
 * 's' one float32 value, '*' either (checked against the others by the shape
 * function); past the string, like its last character. Constants are held
 * to it at load, so int64 weights or float pads never reach a kernel. */
static const char *const input_types[DN_OP_COUNT] = {
    [DN_OP_CONV] = "fff", [DN_OP_BATCHNORM] = "fffff", [DN_OP_RELU] = "f", [DN_OP_MAXPOOL] = "f",
    [DN_OP_AVGPOOL] = "f", [DN_OP_GLOBALAVGPOOL] = "f", [DN_OP_CONCAT] = "*", [DN_OP_FLATTEN] = "*",
    [DN_OP_GEMM] = "fff", [DN_OP_MATMUL] = "ff", [DN_OP_ADD] = "*", [DN_OP_SUB] = "*", [DN_OP_MUL] = "*",
    [DN_OP_DIV] = "*", [DN_OP_RESHAPE] = "*i", [DN_OP_PAD] = "fisi", [DN_OP_IDENTITY] = "*",
    [DN_OP_DROPOUT] = "ff*", [DN_OP_SOFTMAX] = "f", [DN_OP_CLIP] = "fss", [DN_OP_SIGMOID] = "f",
    [DN_OP_SHAPE] = "*", [DN_OP_GATHER] = "*i", [DN_OP_UNSQUEEZE] = "*i", [DN_OP_SQUEEZE] = "*i",
    [DN_OP_CAST] = "*", [DN_OP_CONSTANTOFSHAPE] = "i",
};

static void check_const_types(struct importer *im, const struct dn_node *n, int index)
{
    const char *want = input_types[n->op];
    size_t len = strlen(want);
    char label[256];
    for (int j = 0; j < n->n_in; j++) {
        int v = n->in[j];
        if (v < 0 || im->g->values[v].kind != DN_VALUE_CONST || (v < im->cap_bad && im->bad_type[v]))
            continue;
        const struct dn_value *c = &im->g->values[v];
        char w = want[(size_t)j < len ? (size_t)j : len - 1];
        if (n->op == DN_OP_CLIP && n->opset < 11)
            w = 'f';
        const char *need = NULL;
        if ((w == 'f' || w == 's') && c->dtype != DN_DTYPE_F32)
            need = "float32";
        else if (w == 'i' && c->dtype != DN_DTYPE_I64)
            need = "int64";
        else if (w == 's' && dn_shape_numel(&c->shape) != 1)
            need = "one float32 value";
        if (need)
            problem(im, DN_ERR_INVALID, "%s: input %d '%s' is %s %s; the operator reads %s",
                    dn_node_label(n, index, label, sizeof label), j, c->name,
                    c->dtype == DN_DTYPE_F32 ? "float32" : "int64",
                    dn_shape_numel(&c->shape) == 1 ? "scalar" : "tensor", need);
    }
}

/* After sorting: extra outputs (BN statistics, Dropout mask, MaxPool indices)
 * are training artefacts we do not compute, so nothing may read them; and no
 * node may read an initializer of an unsupported type. */
static void check_reads(struct importer *im)
{
    struct dn_graph *g = im->g;
    unsigned char *read = calloc((size_t)g->n_values + 1, 1);
    char label[256];
    if (!read) {
        problem(im, DN_ERR_NOMEM, "out of memory checking the graph");
        return;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (g->nodes[i].in[j] >= 0) {
                int v = g->nodes[i].in[j];
                read[v] = 1;
                if (v < im->cap_bad && im->bad_type[v])
                    problem(im, DN_ERR_UNSUPPORTED, "%s: input '%s' %s",
                            dn_node_label(&g->nodes[i], i, label, sizeof label), g->values[v].name,
                            im->bad_why[v] ? im->bad_why[v] : "has an unsupported type");
            }
    for (int i = 0; i < g->n_outputs; i++)
        read[g->outputs[i]] = 1;
    for (int i = 0; i < g->n_nodes; i++) {
        struct dn_node *n = &g->nodes[i];
        for (int j = 1; j < n->n_out; j++)
            if (n->out[j] >= 0 && read[n->out[j]])
                problem(im, DN_ERR_UNSUPPORTED, "%s: output %d ('%s') is only computed in training mode",
                        dn_node_label(n, i, label, sizeof label), j, g->values[n->out[j]].name);
        check_const_types(im, n, i);
        if (n->n_out > 1)
            n->n_out = 1;
        if (n->out[0] < 0)
            problem(im, DN_ERR_INVALID, "%s: the first output has no name",
                    dn_node_label(n, i, label, sizeof label));
    }
    free(read);
}

/* Imports an unpacked model; moves initializer bytes out of mp into the graph. */
static enum dn_status import_model(Onnx__ModelProto *mp, struct dn_graph **out)
{
    struct importer im = {0};
    enum dn_status st;
    if (!mp->graph || mp->graph->n_node == 0 || mp->graph->n_output == 0) {
        dn_log("not an ONNX model: it has no graph, nodes or outputs");
        st = DN_ERR_INVALID;
        goto fail;
    }
    int64_t opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const char *d = mp->opset_import[i]->domain ? mp->opset_import[i]->domain : "";
        if (!*d || strcmp(d, "ai.onnx") == 0)
            opset = mp->opset_import[i]->version;
    }
    if (opset < 0) {
        dn_log("the model imports no version of the default ONNX operator set");
        st = DN_ERR_INVALID;
        goto fail;
    }
    if (opset < 1 || opset > 21) {
        dn_log("opset %lld is not supported (1 to 21 are)", (long long)opset);
        st = DN_ERR_UNSUPPORTED;
        goto fail;
    }
    st = dn_graph_init(&im.g);
    if (st != DN_OK)
        goto fail;
    struct dn_graph *g = im.g;
    g->opset = opset;
    g->ir_version = mp->ir_version;
    char producer[512];
    snprintf(producer, sizeof producer, "%s%s%s", mp->producer_name ? mp->producer_name : "",
             mp->producer_version && *mp->producer_version ? " " : "",
             mp->producer_version ? mp->producer_version : "");
    g->producer = strdup(producer);
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
        if (dn_graph_add_meta(g, e->key ? e->key : "", e->value ? e->value : "") != DN_OK)
            problem(&im, DN_ERR_NOMEM, "out of memory reading metadata");
    }
    Onnx__GraphProto *gp = mp->graph;
    import_initializers(&im, gp);
    import_inputs(&im, gp);
    for (size_t i = 0; i < gp->n_node; i++)
        import_node(&im, gp->node[i], (int)i, (int)opset);
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *name = gp->output[i]->name ? gp->output[i]->name : "";
        int v = dn_graph_find(g, name);
        if (v < 0) {
            problem(&im, DN_ERR_INVALID, "graph output '%s' is never produced", name);
            continue;
        }
        if (g->values[v].kind != DN_VALUE_INTER) {
            problem(&im, DN_ERR_UNSUPPORTED, "graph output '%s' is a %s, not computed by a node", name,
                    g->values[v].kind == DN_VALUE_CONST ? "constant" : "graph input");
            continue;
        }
        if (dn_graph_add_output(g, v) != DN_OK)
            problem(&im, DN_ERR_NOMEM, "out of memory reading outputs");
    }
    if (g->n_inputs == 0 && im.problems == 0)
        problem(&im, DN_ERR_UNSUPPORTED, "the model has no graph input to feed");
    if (im.problems) {
        st = im.worst;
        goto fail;
    }
    st = dn_graph_finish(g);
    if (st != DN_OK)
        goto fail;
    check_reads(&im);
    if (im.problems) {
        st = im.worst;
        goto fail;
    }
    *out = g;
    im.g = NULL;
fail:
    for (int i = 0; i < im.cap_bad; i++)
        free(im.bad_why[i]);
    free(im.bad_why);
    free(im.bad_type);
    dn_graph_free(im.g);
    return st;
}

static Onnx__ModelProto *unpack(const void *buf, size_t len)
{
    if (len == 0) {
        dn_log("the model file is empty");
        return NULL;
    }
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    if (!mp)
        dn_log("not an ONNX model: the protobuf data is malformed or truncated");
    return mp;
}

enum dn_status dn_onnx_load_buffer(const void *buf, size_t len, struct dn_graph **out)
{
    *out = NULL;
    Onnx__ModelProto *mp = unpack(buf, len);
    if (!mp)
        return DN_ERR_INVALID;
    enum dn_status st = import_model(mp, out);
    onnx__model_proto__free_unpacked(mp, NULL);
    return st;
}

enum dn_status dn_onnx_load_file(const char *path, struct dn_graph **out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    enum dn_status st;
    *out = NULL;
    if (!f) {
        dn_log("cannot open the model: %s", strerror(errno));
        return DN_ERR_IO;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        (uint64_t)sb.st_size < DN_MAX_MODEL_BYTES) {
        /* a regular file: map it (no copy of the bytes), unpack, unmap */
        void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
        if (map != MAP_FAILED) {
            Onnx__ModelProto *mp = unpack(map, (size_t)sb.st_size);
            munmap(map, (size_t)sb.st_size);
            fclose(f);
            if (!mp)
                return DN_ERR_INVALID;
            st = import_model(mp, out);
            onnx__model_proto__free_unpacked(mp, NULL);
            return st;
        }
        /* else read it into one buffer of the right size (+1 to see the end) */
        cap = (size_t)sb.st_size + 1;
        buf = malloc(cap);
        if (!buf) {
            dn_log("out of memory reading the model");
            st = DN_ERR_NOMEM;
            goto fail;
        }
    }
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : (size_t)1 << 20;
            unsigned char *nb = nc <= DN_MAX_MODEL_BYTES ? realloc(buf, nc) : NULL;
            if (!nb) {
                dn_log(nc > DN_MAX_MODEL_BYTES ? "the model is larger than 4 GiB"
                                               : "out of memory reading the model");
                st = DN_ERR_NOMEM;
                goto fail;
            }
            buf = nb;
            cap = nc;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        dn_log("cannot read the model: %s", strerror(errno));
        st = DN_ERR_IO;
        goto fail;
    }
    if (f != stdin)
        fclose(f);
    f = NULL;
    /* the file's bytes go as soon as protobuf-c has its copy, and the
     * weights then move from the message into the graph: at most about two
     * copies of the weights are alive at once */
    Onnx__ModelProto *mp = unpack(buf, len);
    free(buf);
    buf = NULL;
    if (!mp)
        return DN_ERR_INVALID;
    st = import_model(mp, out);
    onnx__model_proto__free_unpacked(mp, NULL);
    return st;
fail:
    free(buf);
    if (f && f != stdin)
        fclose(f);
    return st;
}
