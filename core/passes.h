/* passes.h: graph rewrites a session applies to its clone after shape inference.
 *
 * Passes form one table, run in order; each can be switched off by name
 * (dn_session_opts.no_opt). Fusions that the plain IR cannot express (an
 * activation applied while a conv packs its input, a ReLU applied as it
 * stores) go into a per-node dn_fusion array beside the graph, which the
 * executor reads; the graph itself stays a plain description. */
#ifndef DN_PASSES_H
#define DN_PASSES_H

#include "graph.h"

/* What the executor does around a node beyond the op itself. */
struct dn_fusion {
    float *pre_scale, *pre_shift; /* owned: x * scale + shift per input channel, or NULL */
    int pre_relu;                 /* then max(x, 0) */
    int pre_pool;                 /* then 2x2 stride-2 average pooling (transitions) */
    int relu;                     /* max(y, 0) on the output */
    int fused;                    /* nodes folded into this one (for inspect) */
    int tail_gap;                 /* Gemm/MatMul: 1 + index of the GlobalAveragePool it runs first */
};

struct readers;                   /* who reads each value (passes.c) */

struct dn_pass_ctx {
    struct dn_graph *g;
    struct dn_fusion *fx;         /* one per node */
    int fast;                     /* the optimized executor runs the graph */
    const struct readers *r;      /* during a pass that asked for them: live readers */
};

typedef enum dn_status (*dn_pass_fn)(struct dn_pass_ctx *c);
struct dn_pass {
    const char *name;
    int exact;                    /* bit-identical results */
    int fast_only;                /* needs the optimized executor */
    int readers;                  /* wants the readers of every value (dn_pass_ctx.r) */
    dn_pass_fn fn;
    const char *what;
};
extern const struct dn_pass dn_passes[];
extern const int dn_n_passes;
/* Runs the passes in order, skipping those off[i] names and, when the
 * reference executor runs the graph, those that need the optimized one. */
enum dn_status dn_passes_run(struct dn_pass_ctx *c, const unsigned char *off);


/* 1 if the optimized executor runs node n as a conv step / pool step, the
 * ones that read and write channel slices of wider buffers. */
int dn_exec_conv_ok(const struct dn_graph *g, const struct dn_node *n);
int dn_exec_pool_ok(const struct dn_graph *g, const struct dn_node *n);

#endif
