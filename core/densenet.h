/* densenet.h: the public interface of libdensenet's core.
 *
 * A dn_graph is an immutable description of a model (values, nodes, metadata),
 * built by an importer (onnx/) through the builder calls below. A dn_session is
 * that graph specialised to concrete input shapes: shapes inferred, constant
 * sub-graphs folded, passes applied, activation memory planned. Sessions borrow
 * the graph's constant data, so the graph must outlive every session made from it.
 *
 * Every fallible call returns enum dn_status and reports the reason once
 * through the log hook (dn_log_set); free functions accept NULL. The core knows
 * nothing of files, images or the command line.
 */
#ifndef DENSENET_H
#define DENSENET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DN_MAX_DIMS 8

enum dn_status {
    DN_OK = 0,
    DN_ERR_NOMEM,       /* an allocation failed */
    DN_ERR_INVALID,     /* the model is malformed */
    DN_ERR_UNSUPPORTED, /* valid, but uses something this build cannot run */
    DN_ERR_SHAPE,       /* shapes do not fit (bad input shape, inconsistent graph) */
    DN_ERR_ARG,         /* bad argument from the caller */
    DN_ERR_IO,          /* reading or writing failed */
};

enum dn_dtype {
    DN_DTYPE_F32 = 1,
    DN_DTYPE_I64 = 7,
};

struct dn_shape {
    int ndim;
    int64_t d[DN_MAX_DIMS]; /* -1 marks a dynamic dimension in declared shapes */
};

/* A tensor view: dtype, shape and a pointer to data the view does not own. */
struct dn_tensor {
    enum dn_dtype dtype;
    struct dn_shape shape;
    void *data;
};

const char *dn_status_str(enum dn_status s);
size_t dn_dtype_size(enum dn_dtype t);
int64_t dn_shape_numel(const struct dn_shape *s);
/* Writes "1x3x224x224" (dynamic dims as '?') into buf; returns buf. */
char *dn_shape_str(const struct dn_shape *s, char *buf, size_t size);

/* Log hook: every error and warning of the library goes through it, one line,
 * no trailing newline. Default writes "densenet: MSG\n" to stderr. Set it once
 * before other calls (not thread-safe to change while sessions run). */
typedef void (*dn_log_fn)(void *user, const char *msg);
void dn_log_set(dn_log_fn fn, void *user);

/* ---- graphs ---------------------------------------------------------- */

struct dn_graph;

void dn_graph_free(struct dn_graph *g);
int dn_graph_input_count(const struct dn_graph *g);
int dn_graph_output_count(const struct dn_graph *g);
/* Name and declared shape of input/output i (dynamic dims are -1). */
const char *dn_graph_input_name(const struct dn_graph *g, int i);
const char *dn_graph_output_name(const struct dn_graph *g, int i);
struct dn_shape dn_graph_input_shape(const struct dn_graph *g, int i);
struct dn_shape dn_graph_output_shape(const struct dn_graph *g, int i);
const char *dn_graph_producer(const struct dn_graph *g);  /* "name version" */
int64_t dn_graph_ir_version(const struct dn_graph *g);
int64_t dn_graph_opset(const struct dn_graph *g);
/* Model metadata (ONNX metadata_props); NULL when the key is absent. */
const char *dn_graph_meta(const struct dn_graph *g, const char *key);
int dn_graph_meta_count(const struct dn_graph *g);
void dn_graph_meta_at(const struct dn_graph *g, int i, const char **key, const char **value);
/* Elements of the initializers that nodes use. */
int64_t dn_graph_param_count(const struct dn_graph *g);
/* Op histogram of the model as imported (Constant nodes included): fills up
 * to max (op name, count) pairs; returns how many. */
int dn_graph_op_histogram(const struct dn_graph *g, const char **ops, int *counts, int max);
/* 1 if the last node producing output 0 is a Softmax. */
int dn_graph_ends_in_softmax(const struct dn_graph *g);

/* ---- sessions -------------------------------------------------------- */

struct dn_session;

/* Specialises g to the given input shapes (n == dn_graph_input_count(g)).
 * Declared fixed dims other than batch and spatial must match. */
enum dn_status dn_session_init(struct dn_session **out, const struct dn_graph *g,
                               int n, const struct dn_shape *input_shapes);
void dn_session_free(struct dn_session *s);
/* Copies inputs in (float32, contiguous, shapes as given to init) and runs. */
enum dn_status dn_session_run(struct dn_session *s, const float *const *inputs);
/* Output i after a run: a view valid until the next run or free. */
struct dn_tensor dn_session_output(const struct dn_session *s, int i);

/* Numbers for inspect: nodes that execute, and per node its facts. */
struct dn_node_info {
    const char *name;
    const char *op;
    struct dn_shape shape;  /* first output */
    int64_t macs;
    int64_t params;         /* elements of initializers it reads */
};
int dn_session_node_count(const struct dn_session *s);
void dn_session_node_info(const struct dn_session *s, int i, struct dn_node_info *info);
int64_t dn_session_macs(const struct dn_session *s);
size_t dn_session_activation_bytes(const struct dn_session *s);

#ifdef __cplusplus
}
#endif
#endif
