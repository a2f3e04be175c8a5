/* graph.h: the internal graph IR shared by the importer, the passes and the executor.
 *
 * A graph is two arrays: values (tensors, by index) and nodes (ops reading and
 * writing values by index). Values are graph inputs, constants (data owned by
 * the graph unless `borrowed`), or intermediates produced by exactly one node.
 * Node parameters are decoded once by the importer into a per-op struct, so
 * kernels never see attribute names. A session clones the graph and then owns
 * and rewrites its clone: passes may retarget, fuse or kill nodes (`dead`), and
 * the planner may place a value as a channel slice of another (`alias_of`).
 */
#ifndef DN_GRAPH_H
#define DN_GRAPH_H

#include "densenet.h"

enum dn_op {
    DN_OP_CONV,
    DN_OP_BATCHNORM,
    DN_OP_RELU,
    DN_OP_MAXPOOL,
    DN_OP_AVGPOOL,
    DN_OP_GLOBALAVGPOOL,
    DN_OP_CONCAT,
    DN_OP_FLATTEN,
    DN_OP_GEMM,
    DN_OP_MATMUL,
    DN_OP_ADD,
    DN_OP_SUB,
    DN_OP_MUL,
    DN_OP_DIV,
    DN_OP_RESHAPE,
    DN_OP_PAD,
    DN_OP_IDENTITY,
    DN_OP_DROPOUT,
    DN_OP_SOFTMAX,
    DN_OP_CLIP,
    DN_OP_SIGMOID,
    DN_OP_SHAPE,
    DN_OP_GATHER,
    DN_OP_UNSQUEEZE,
    DN_OP_SQUEEZE,
    DN_OP_CAST,
    DN_OP_CONSTANTOFSHAPE,
    DN_OP_COUNT
};

enum dn_auto_pad { DN_PAD_NOTSET, DN_PAD_SAME_UPPER, DN_PAD_SAME_LOWER, DN_PAD_VALID };

/* Conv and pooling windows over 2 spatial dims. pads: top, left, bottom, right. */
struct dn_window {
    int64_t kernel[2], stride[2], pads[4], dilation[2];
    int64_t group;             /* Conv only */
    enum dn_auto_pad auto_pad;
    int has_kernel;            /* Conv: kernel_shape given (else from weights) */
    int ceil_mode;             /* pools */
    int count_include_pad;     /* AveragePool */
};

union dn_params {
    struct dn_window win;                                  /* Conv, MaxPool, AveragePool */
    struct { float epsilon; } bn;
    struct { float alpha, beta; int trans_a, trans_b; } gemm;
    struct { int64_t axis; int legacy; } axis;             /* Concat, Flatten, Gather, Softmax (legacy: opset < 13) */
    struct { int n; int64_t axes[DN_MAX_DIMS]; int from_input; } axes; /* Squeeze, Unsqueeze */
    struct { float min, max; } clip;                       /* Clip before opset 11 */
    struct { int n; int64_t pads[2 * DN_MAX_DIMS]; float value; int from_input; } pad;
    struct { enum dn_dtype to; } cast;
    struct { int allowzero; } reshape;
    struct { int64_t start, end; } shape;                  /* Shape opset 15 slice */
    struct { enum dn_dtype dtype; float f; int64_t i; } fill; /* ConstantOfShape */
};

enum dn_value_kind { DN_VALUE_INTER, DN_VALUE_INPUT, DN_VALUE_CONST };

struct dn_value {
    char *name;
    enum dn_value_kind kind;
    enum dn_dtype dtype;
    struct dn_shape shape;     /* declared (inputs) or inferred (session) */
    void *data;                /* constants: the elements */
    int borrowed;              /* data belongs to another graph */
    int initializer;           /* came from the model's initializers */
    int producer;              /* node index, or -1 */
    /* memory plan (sessions only) */
    int64_t offset;            /* byte offset in the arena, -1 if none */
    int alias_of;              /* value whose buffer holds this one, or -1 */
    int64_t alias_channel;     /* first channel of this value inside alias_of */
    int kept;                  /* sessions: read by the caller after a run, like a graph output */
    int one_image;             /* sessions: planned for one image of the batch, which every
                                * image uses in turn (only steps that run a batch image by
                                * image, all threads on one image, touch it) */
};

struct dn_node {
    enum dn_op op;
    char *name;
    int opset;
    int n_in, n_out;
    int *in;                   /* value indices; -1 for an omitted optional input */
    int *out;
    union dn_params p;
    int dead;                  /* removed by a pass or folded */
};

struct dn_meta {
    char *key, *value;
};

struct dn_graph {
    struct dn_value *values;
    int n_values, cap_values;
    struct dn_node *nodes;     /* in topological order after dn_graph_sort */
    int n_nodes, cap_nodes;
    int *inputs, n_inputs;
    int *outputs, n_outputs;
    struct dn_meta *meta;
    int n_meta;
    char *producer;
    int64_t ir_version, opset;
    int n_constant_nodes;      /* Constant nodes turned into values at import */
    int *name_index;           /* open-addressing hash of value names (latest wins), or NULL */
    int index_cap;             /* slots, a power of two, at least twice n_values */
};

/* Builder (used by importers). Names are copied. */
enum dn_status dn_graph_init(struct dn_graph **out);
/* Finds a value by name; -1 if absent. */
int dn_graph_find(const struct dn_graph *g, const char *name);
/* Adds a value (kind INTER, no shape); returns its index or -1 on NOMEM. */
int dn_graph_add_value(struct dn_graph *g, const char *name);
/* Adds a node; in/out are copied. Returns its index or -1 on NOMEM. */
int dn_graph_add_node(struct dn_graph *g, enum dn_op op, const char *name, int opset,
                      int n_in, const int *in, int n_out, const int *out);
enum dn_status dn_graph_add_input(struct dn_graph *g, int value);
enum dn_status dn_graph_add_output(struct dn_graph *g, int value);
enum dn_status dn_graph_add_meta(struct dn_graph *g, const char *key, const char *value);
/* Sets producers, checks every read value is defined, and orders nodes
 * topologically. Fails naming the node on a cycle or a dangling input. */
enum dn_status dn_graph_finish(struct dn_graph *g);
/* Deep copy of structure; constant data is borrowed from src. */
enum dn_status dn_graph_clone(const struct dn_graph *src, struct dn_graph **out);

/* Op registry: name, arity, shape function and reference kernel per op. */
struct dn_op_info {
    const char *name;
    int min_in, max_in;        /* max_in < 0: unbounded */
    int min_out, max_out;
    /* Infers out shapes/dtypes from inputs (constant inputs have data). */
    enum dn_status (*shape)(const struct dn_node *n, struct dn_value *const *in,
                            struct dn_value *const *out);
    /* Portable reference kernel: the oracle for every optimized path. */
    enum dn_status (*kernel)(const struct dn_node *n, const struct dn_tensor *in,
                             struct dn_tensor *out);
};
const struct dn_op_info *dn_op_get(enum dn_op op);

/* Internal logging: one line per problem, through the hook. */
void dn_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "node 12 'name' (Conv)" for messages */
const char *dn_node_label(const struct dn_node *n, int index, char *buf, size_t size);

#endif
