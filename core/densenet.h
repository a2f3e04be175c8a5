/* densenet.h: the public C API of libdensenet (installed as <densenet.h>;
 * `pkg-config --cflags --libs densenet`). The image helper for programs that
 * just want labels is in <densenet-image.h>.
 *
 * Objects and ownership:
 * - struct dn_graph (a "model"): opaque and immutable once loaded
 *   (dn_onnx_load_file, dn_onnx_load_buffer, dn_graph_densenet). The caller
 *   owns it and frees it with dn_graph_free, after every session made from it.
 *   One graph may be shared by any number of sessions on any threads.
 * - struct dn_session: opaque; the graph specialised to concrete input shapes:
 *   shapes inferred, constant sub-graphs folded, passes applied, activation
 *   memory planned. Sessions borrow the graph's constant data. One session is
 *   used by one thread at a time (it runs its own worker threads inside).
 * - struct dn_tensor: a view; it never owns its data.
 * - Strings returned by the library belong to the object they came from and
 *   live as long as it does; static ones (dn_status_str, dn_isa_name) forever.
 *
 * Errors: every fallible call returns enum dn_status (DN_OK is 0);
 * dn_status_str names the kind, and the reason is reported once, one line,
 * through the log hook (dn_log_set) and kept per thread for dn_last_error.
 * Free functions accept NULL. The library never exits or prints except
 * through the default log hook. The core knows nothing of files, images or
 * the command line; the loaders below are onnx/'s.
 *
 * Only the functions declared with DN_API here and in densenet-image.h are
 * exported by the shared library.
 */
#ifndef DENSENET_H
#define DENSENET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define DN_API __attribute__((visibility("default")))
#else
#define DN_API
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

DN_API const char *dn_status_str(enum dn_status s);
DN_API size_t dn_dtype_size(enum dn_dtype t);
DN_API int64_t dn_shape_numel(const struct dn_shape *s);
/* Writes "1x3x224x224" (dynamic dims as '?') into buf; returns buf. */
DN_API char *dn_shape_str(const struct dn_shape *s, char *buf, size_t size);

/* Log hook: every error and warning of the library goes through it, one line,
 * no trailing newline. Default writes "densenet: MSG\n" to stderr. Set it once
 * before other calls (not thread-safe to change while sessions run). */
typedef void (*dn_log_fn)(void *user, const char *msg);
DN_API void dn_log_set(dn_log_fn fn, void *user);
/* The last line the library logged on the calling thread (errors and
 * warnings), "" when none: the reason behind a failed call's status. Valid
 * until the thread's next library call. */
DN_API const char *dn_last_error(void);

/* ---- loading ONNX models (onnx/) ------------------------------------- */

struct dn_graph;

/* Loads an ONNX model into a new graph that the caller owns (dn_graph_free).
 * path "-" reads standard input; a buffer is copied where the graph needs its
 * bytes, so the caller may free it after the call. On failure *out is NULL
 * and each problem has been logged: DN_ERR_INVALID (malformed),
 * DN_ERR_UNSUPPORTED (valid but not runnable here), DN_ERR_IO, DN_ERR_NOMEM. */
DN_API enum dn_status dn_onnx_load_file(const char *path, struct dn_graph **out);
DN_API enum dn_status dn_onnx_load_buffer(const void *buf, size_t len, struct dn_graph **out);

/* ---- graphs ---------------------------------------------------------- */

DN_API void dn_graph_free(struct dn_graph *g);
/* Builds a torchvision ImageNet DenseNet natively, without a file: arch is
 * "densenet121", "densenet169", "densenet201" or "densenet161"; input
 * "input" [batch,3,size,size] (batch or size <= 0: dynamic), output "logits"
 * [batch,1000]. Weights are seeded pseudo-random (conv/linear: Kaiming-uniform
 * like torch's init; BatchNorm: non-trivial statistics), so results are
 * reproducible but meaningless. The graph is what torch's ONNX export of
 * that model gives: norm0 and each norm2 folded into the conv before them. */
DN_API enum dn_status dn_graph_densenet(struct dn_graph **out, const char *arch,
                                        int64_t batch, int64_t size, uint64_t seed);
DN_API int dn_graph_input_count(const struct dn_graph *g);
DN_API int dn_graph_output_count(const struct dn_graph *g);
/* Name and declared shape of input/output i (dynamic dims are -1). */
DN_API const char *dn_graph_input_name(const struct dn_graph *g, int i);
DN_API const char *dn_graph_output_name(const struct dn_graph *g, int i);
DN_API struct dn_shape dn_graph_input_shape(const struct dn_graph *g, int i);
DN_API struct dn_shape dn_graph_output_shape(const struct dn_graph *g, int i);
DN_API const char *dn_graph_producer(const struct dn_graph *g);  /* "name version" */
DN_API int64_t dn_graph_ir_version(const struct dn_graph *g);
DN_API int64_t dn_graph_opset(const struct dn_graph *g);
/* Model metadata (ONNX metadata_props); NULL when the key is absent. */
DN_API const char *dn_graph_meta(const struct dn_graph *g, const char *key);
DN_API int dn_graph_meta_count(const struct dn_graph *g);
DN_API void dn_graph_meta_at(const struct dn_graph *g, int i, const char **key, const char **value);
/* Elements of the initializers that nodes use. */
DN_API int64_t dn_graph_param_count(const struct dn_graph *g);
/* Op histogram of the model as imported (Constant nodes included): fills up
 * to max (op name, count) pairs; returns how many. */
DN_API int dn_graph_op_histogram(const struct dn_graph *g, const char **ops, int *counts, int max);
/* 1 if the last node producing output 0 is a Softmax. */
DN_API int dn_graph_ends_in_softmax(const struct dn_graph *g);

/* ---- CPU features ---------------------------------------------------- */

/* Kernel sets. REFERENCE runs every node with its portable reference kernel
 * and only the exact passes: the oracle. GENERIC is the optimized executor in
 * portable C; AVX2 and AVX512 add SIMD microkernels (x86-64 only). */
enum dn_isa { DN_ISA_AUTO = 0, DN_ISA_REFERENCE, DN_ISA_GENERIC, DN_ISA_AVX2, DN_ISA_AVX512 };
DN_API const char *dn_isa_name(enum dn_isa isa);            /* "avx512", ... */
/* Parses "reference|generic|avx2|avx512|auto"; 0 on success. */
DN_API int dn_isa_parse(const char *name, enum dn_isa *out);
/* 1 if this CPU (and this build) can run isa. */
DN_API int dn_isa_supported(enum dn_isa isa);
/* What DN_ISA_AUTO means here: $DENSENET_ISA when set and valid, else the
 * best supported set. */
DN_API enum dn_isa dn_isa_default(void);
/* Online CPUs (at least 1). */
DN_API int dn_cpu_count(void);
/* Measures, over about 20 ms on the calling thread, the fp32 multiply-add rate
 * of isa's widest FMA loop: GFLOP/s of one core (2 FLOP per lane per FMA). */
DN_API double dn_cpu_fma_peak(enum dn_isa isa);

/* ---- sessions -------------------------------------------------------- */

struct dn_session;

/* How a session runs. Zero-initialised (or dn_session_opts_default) means:
 * all online CPUs, the default ISA, every pass on. */
struct dn_session_opts {
    int threads;            /* <= 0: dn_cpu_count() */
    enum dn_isa isa;        /* DN_ISA_AUTO: dn_isa_default() */
    const char *no_opt;     /* comma-separated pass names to skip, or "all"; NULL: none */
    int profile;            /* 1: time every step of every run (dn_node_info.time_ms) */
    size_t max_memory;      /* bytes the session may hold (activations, packed weights,
                             * folded constants, buffers); 0: dn_default_max_memory() */
    int keep_features;      /* 1: find the classifier head (a global average pooling that
                             * reaches a Gemm, MatMul(+Add) or 1x1 Conv through views only)
                             * and keep the map it pools for dn_session_features/_cam;
                             * init fails with DN_ERR_UNSUPPORTED, naming what is missing,
                             * when the model has none. 0: nothing extra is kept or computed */
};
/* Half the physical memory, at most 4 GiB. */
DN_API size_t dn_default_max_memory(void);
DN_API void dn_session_opts_default(struct dn_session_opts *o);
/* The graph passes a session may apply, in order: name and whether the
 * rewrite is exact (bit-identical) or reassociates arithmetic. */
DN_API int dn_pass_count(void);
DN_API const char *dn_pass_name(int i, int *exact);

/* Specialises g to the given input shapes (n == dn_graph_input_count(g)).
 * Declared fixed dims other than batch and spatial must match.
 * dn_session_init uses the default options. */
DN_API enum dn_status dn_session_init(struct dn_session **out, const struct dn_graph *g,
                                      int n, const struct dn_shape *input_shapes);
DN_API enum dn_status dn_session_init_opts(struct dn_session **out, const struct dn_graph *g,
                                           int n, const struct dn_shape *input_shapes,
                                           const struct dn_session_opts *opts);
/* Like dn_session_init_opts, but the session takes g (also on failure, when
 * g is freed): no copy of the graph is made, and each weight is freed as soon
 * as it is packed, so memory peaks at about one copy of the weights. For
 * programs that need one session of a model; dn_session_graph gives the graph
 * (metadata, names) for as long as the session lives. */
DN_API enum dn_status dn_session_init_consume(struct dn_session **out, struct dn_graph *g,
                                              int n, const struct dn_shape *input_shapes,
                                              const struct dn_session_opts *opts);
DN_API const struct dn_graph *dn_session_graph(const struct dn_session *s);
DN_API enum dn_isa dn_session_isa(const struct dn_session *s);
DN_API int dn_session_threads(const struct dn_session *s);
DN_API void dn_session_free(struct dn_session *s);
/* Copies inputs in (float32, contiguous, shapes as given to init) and runs. */
DN_API enum dn_status dn_session_run(struct dn_session *s, const float *const *inputs);
/* Output i after a run: a view valid until the next run or free. */
DN_API struct dn_tensor dn_session_output(const struct dn_session *s, int i);

/* ---- features and class activation maps (keep_features) ------------- */

/* After a run: the map the classifier's global pooling reads, N x K x h x w
 * float32 (for DenseNets the output of the last ReLU), a contiguous view valid
 * until the next run or free. data is NULL when the session does not keep it. */
DN_API struct dn_tensor dn_session_features(const struct dn_session *s);
/* The classifier after that pooling: weight J x K (row c: class c's weights of
 * the K maps, Gemm alpha applied) and bias J (beta applied; zeros when the
 * model has none); views valid for the session's life. bias may be NULL.
 * DN_ERR_ARG when the session does not keep features (also below). */
DN_API enum dn_status dn_session_classifier(const struct dn_session *s, struct dn_tensor *weight,
                                     struct dn_tensor *bias);
/* After a run: the pooled features, N x K floats into out, each map's mean
 * computed as the pooling does: the classifier's input. */
DN_API enum dn_status dn_session_pooled(const struct dn_session *s, float *out);
/* After a run: the class activation map (Zhou et al. 2016) of batch item image
 * for class cls, h x w floats into out:
 *     cam(y, x) = sum_k weight[cls, k] * features[image, k, y, x]
 * without the bias and without the 1/(h*w) of the pooling (so for a global
 * average pooling, mean(cam) + bias[cls] is the class's logit). Summed in
 * double, in one fixed order. DN_ERR_ARG for an image or class out of range. */
DN_API enum dn_status dn_session_cam(const struct dn_session *s, int64_t image, int64_t cls, float *out);

/* Numbers for inspect and bench: the steps that execute, in order (after the
 * passes, one step may stand for several fused nodes), and per step its facts. */
struct dn_node_info {
    const char *name;       /* the step's main node */
    const char *op;         /* its ONNX op */
    const char *impl;       /* implementation, e.g. "conv1x1_gemm_8x32__avx512+bnrelu" */
    struct dn_shape shape;  /* first output */
    int64_t macs;           /* multiply-accumulates the step executes */
    int64_t params;         /* elements of initializers it reads */
    double time_ms;         /* last run, when the session profiles; else 0 */
};
DN_API int dn_session_node_count(const struct dn_session *s);
DN_API void dn_session_node_info(const struct dn_session *s, int i, struct dn_node_info *info);
/* MACs of the model as written (before passes that change the arithmetic). */
DN_API int64_t dn_session_macs(const struct dn_session *s);
DN_API size_t dn_session_activation_bytes(const struct dn_session *s);
/* Bytes of weights packed for the optimized kernels. */
DN_API size_t dn_session_weight_bytes(const struct dn_session *s);

#ifdef __cplusplus
}
#endif
#endif
