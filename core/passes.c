/* passes.c: graph rewrites that a session applies after shape inference.
 *
 * Passes work on the session's own clone, in place: they may kill nodes
 * (dead = 1), retarget node inputs and outputs, add constants the session
 * owns, record fusions in the dn_fusion array, and mark a value as a view of
 * another (alias_of / alias_channel), which the planner then honours by
 * placing both in one buffer.
 *
 * Exact passes give bit-identical results; the others change the order or
 * grouping of floating-point operations and are off in the reference
 * executor. The table below says which is which:
 *   copies          exact  Identity/Dropout removed
 *   reshape-views   exact  Flatten/Reshape/Squeeze/Unsqueeze outputs share their input's bytes
 *   zero-pad        exact  a Pad with all-zero amounts is removed
 *   bn-fold         inexact BatchNormalization after a Conv folded into its weights and bias
 *   conv-relu       exact  Relu after a Conv applied as the conv stores
 *   bn-relu-input   exact  BatchNormalization(+Relu) before a Conv or GlobalAveragePool
 *                          applied while that node reads its input (x * a + b, as the
 *                          reference computes it), never materialized
 *   pool-first      inexact Conv1x1 -> AveragePool 2x2/2 computed as pool, then conv (by
 *                          linearity; 4x fewer multiply-adds)
 *   concat-inplace  exact  a Concat whose inputs are written by conv/pool steps becomes one
 *                          buffer: producers write at their channel offset, every Concat
 *                          that is a prefix of it becomes a view, nothing is copied
 *   gap-fc          exact  GlobalAveragePool -> Flatten/Reshape/Squeeze views -> Gemm/MatMul
 *                          run as one step (the classifier tail)
 */
#include "passes.h"
#include "window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* graph outputs, and values a session keeps for its caller (keep_features) */
static int is_graph_output(const struct dn_graph *g, int v)
{
    if (g->values[v].kept)
        return 1;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == v)
            return 1;
    return 0;
}

/* Bypassing nodes: fwd[v] >= 0 says readers of v read fwd[v] instead. */
static int *forward_init(const struct dn_graph *g)
{
    int *fwd = malloc(sizeof(int) * ((size_t)g->n_values + 1));
    if (!fwd) {
        dn_log("out of memory in graph passes");
        return NULL;
    }
    for (int v = 0; v < g->n_values; v++)
        fwd[v] = -1;
    return fwd;
}

/* readers of `from` will read `to` (itself resolved through earlier bypasses) */
static void forward_add(int *fwd, int from, int to)
{
    fwd[from] = fwd[to] >= 0 ? fwd[to] : to;
}

/* One sweep rewriting every input through fwd, then frees fwd: linear in
 * the graph, however many nodes were bypassed. */
static void forward_apply(struct dn_graph *g, int *fwd)
{
    for (int k = 0; k < g->n_nodes; k++)
        for (int j = 0; j < g->nodes[k].n_in; j++) {
            int v = g->nodes[k].in[j];
            if (v >= 0 && fwd[v] >= 0)
                g->nodes[k].in[j] = fwd[v];
        }
    free(fwd);
}

/* Readers of every value among live nodes, as lists (CSR). */
struct readers {
    int *start;  /* n_values + 1 */
    int *node;
};

static void readers_free(struct readers *r)
{
    free(r->start);
    free(r->node);
}

static enum dn_status readers_init(const struct dn_graph *g, struct readers *r)
{
    int total = 0;
    r->start = calloc((size_t)g->n_values + 2, sizeof(int));
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            total += g->nodes[i].n_in;
    r->node = malloc(sizeof(int) * ((size_t)total + 1));
    int *fill = calloc((size_t)g->n_values + 1, sizeof(int));
    if (!r->start || !r->node || !fill) {
        readers_free(r);
        free(fill);
        dn_log("out of memory in graph passes");
        return DN_ERR_NOMEM;
    }
    /* a node reading a value twice is listed twice: never a sole reader */
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            for (int j = 0; j < g->nodes[i].n_in; j++)
                if (g->nodes[i].in[j] >= 0)
                    r->start[g->nodes[i].in[j] + 1]++;
    for (int v = 0; v < g->n_values; v++)
        r->start[v + 1] += r->start[v];
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            for (int j = 0; j < g->nodes[i].n_in; j++) {
                int v = g->nodes[i].in[j];
                if (v >= 0)
                    r->node[r->start[v] + fill[v]++] = i;
            }
    free(fill);
    return DN_OK;
}

static int n_readers(const struct readers *r, int v)
{
    return r->start[v + 1] - r->start[v];
}

/* The only live reader of v (and v is not a graph output), or -1. */
static int sole_reader(const struct dn_graph *g, const struct readers *r, int v)
{
    if (n_readers(r, v) != 1 || is_graph_output(g, v))
        return -1;
    return r->node[r->start[v]];
}

static int const_f32(const struct dn_graph *g, int v, int64_t n)
{
    return v >= 0 && g->values[v].kind == DN_VALUE_CONST && g->values[v].dtype == DN_DTYPE_F32 &&
           dn_shape_numel(&g->values[v].shape) == n;
}

int dn_exec_conv_ok(const struct dn_graph *g, const struct dn_node *n)
{
    if (n->op != DN_OP_CONV || n->dead || n->p.win.group != 1)
        return 0;
    const struct dn_value *x = &g->values[n->in[0]], *w = &g->values[n->in[1]];
    if (x->shape.ndim != 4 || x->dtype != DN_DTYPE_F32 || w->kind != DN_VALUE_CONST ||
        w->shape.ndim != 4 || w->dtype != DN_DTYPE_F32)
        return 0;
    if (n->n_in > 2 && n->in[2] >= 0 && !const_f32(g, n->in[2], w->shape.d[0]))
        return 0;
    return 1;
}

int dn_exec_pool_ok(const struct dn_graph *g, const struct dn_node *n)
{
    if ((n->op != DN_OP_MAXPOOL && n->op != DN_OP_AVGPOOL) || n->dead || n->n_out != 1)
        return 0;
    const struct dn_value *x = &g->values[n->in[0]];
    return x->shape.ndim == 4 && x->dtype == DN_DTYPE_F32;
}

/* ---- exact structural passes ------------------------------------------ */

static enum dn_status pass_copies(struct dn_pass_ctx *c)
{
    struct dn_graph *g = c->g;
    int *fwd = forward_init(g);
    if (!fwd)
        return DN_ERR_NOMEM;
    for (int i = 0; i < g->n_nodes; i++) {
        struct dn_node *n = &g->nodes[i];
        if (n->dead || (n->op != DN_OP_IDENTITY && n->op != DN_OP_DROPOUT))
            continue;
        int from = n->out[0], to = n->in[0];
        if (is_graph_output(g, from))
            continue;
        forward_add(fwd, from, to);
        n->dead = 1;
    }
    forward_apply(g, fwd);
    return DN_OK;
}

static enum dn_status pass_reshape_views(struct dn_pass_ctx *c)
{
    struct dn_graph *g = c->g;
    for (int i = 0; i < g->n_nodes; i++) {
        struct dn_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        switch (n->op) {
        case DN_OP_FLATTEN:
        case DN_OP_RESHAPE:
        case DN_OP_SQUEEZE:
        case DN_OP_UNSQUEEZE:
        case DN_OP_IDENTITY:
        case DN_OP_DROPOUT:
            break;
        default:
            continue;
        }
        struct dn_value *in = &g->values[n->in[0]], *out = &g->values[n->out[0]];
        if (in->kind == DN_VALUE_CONST)
            continue;
        out->alias_of = n->in[0];
        out->alias_channel = 0;
    }
    return DN_OK;
}

static enum dn_status pass_zero_pad(struct dn_pass_ctx *c)
{
    struct dn_graph *g = c->g;
    int *fwd = forward_init(g);
    if (!fwd)
        return DN_ERR_NOMEM;
    for (int i = 0; i < g->n_nodes; i++) {
        struct dn_node *n = &g->nodes[i];
        if (n->dead || n->op != DN_OP_PAD || is_graph_output(g, n->out[0]))
            continue;
        const struct dn_value *x = &g->values[n->in[0]], *y = &g->values[n->out[0]];
        if (memcmp(&x->shape, &y->shape, sizeof x->shape) != 0 || x->kind == DN_VALUE_CONST)
            continue;
        /* same shape in and out: every amount is zero unless some are negative */
        int all_zero = 1;
        if (!n->p.pad.from_input) {
            for (int k = 0; k < n->p.pad.n; k++)
                all_zero &= n->p.pad.pads[k] == 0;
        } else {
            const struct dn_value *p = &g->values[n->in[1]];
            if (p->kind != DN_VALUE_CONST || p->dtype != DN_DTYPE_I64)
                continue;
            for (int64_t k = 0; k < dn_shape_numel(&p->shape); k++)
                all_zero &= ((const int64_t *)p->data)[k] == 0;
        }
        if (!all_zero)
            continue;
        forward_add(fwd, n->out[0], n->in[0]);
        n->dead = 1;
    }
    forward_apply(g, fwd);
    return DN_OK;
}

/* ---- fusions ------------------------------------------------------------ */

/* a, b of BatchNormalization node n as the reference kernel computes them */
static enum dn_status bn_affine(const struct dn_graph *g, const struct dn_node *n, int64_t ch,
                                float **a, float **b)
{
    for (int j = 1; j < 5; j++)
        if (!const_f32(g, n->in[j], ch))
            return DN_ERR_UNSUPPORTED;
    *a = malloc(sizeof(float) * (size_t)ch);
    *b = malloc(sizeof(float) * (size_t)ch);
    if (!*a || !*b) {
        free(*a);
        free(*b);
        *a = *b = NULL;
        dn_log("out of memory in graph passes");
        return DN_ERR_NOMEM;
    }
    const float *sc = g->values[n->in[1]].data, *bi = g->values[n->in[2]].data;
    const float *mean = g->values[n->in[3]].data, *var = g->values[n->in[4]].data;
    for (int64_t k = 0; k < ch; k++) {
        (*a)[k] = sc[k] / sqrtf(var[k] + n->p.bn.epsilon);
        (*b)[k] = bi[k] - mean[k] * (*a)[k];
    }
    return DN_OK;
}

/* Adds an owned float constant of shape s; returns its index or -1. */
static int add_const(struct dn_graph *g, const char *name, const struct dn_shape *s, float *data)
{
    int v = dn_graph_add_value(g, name);
    if (v < 0)
        return -1;
    g->values[v].kind = DN_VALUE_CONST;
    g->values[v].dtype = DN_DTYPE_F32;
    g->values[v].shape = *s;
    g->values[v].data = data;
    g->values[v].borrowed = 0;
    g->values[v].initializer = 1;
    return v;
}

/* the node's output now comes from `src`'s output value (src dies) */
static void take_output(struct dn_graph *g, int node, struct dn_node *src)
{
    g->nodes[node].out[0] = src->out[0];
    g->values[src->out[0]].producer = node;
    src->dead = 1;
}

static enum dn_status pass_bn_fold(struct dn_pass_ctx *c)
{
    struct dn_graph *g = c->g;
    const struct readers *r = c->r;
    enum dn_status st = DN_OK;
    for (int i = 0; i < g->n_nodes && st == DN_OK; i++) {
        struct dn_node *n = &g->nodes[i];
        if (!dn_exec_conv_ok(g, n) || c->fx[i].relu || c->fx[i].pre_pool)
            continue;
        int u = sole_reader(g, r, n->out[0]);
        if (u < 0 || g->nodes[u].op != DN_OP_BATCHNORM || g->nodes[u].in[0] != n->out[0])
            continue;
        const struct dn_value *w = &g->values[n->in[1]];
        int64_t M = w->shape.d[0], per = dn_shape_numel(&w->shape) / M;
        float *a, *b;
        st = bn_affine(g, &g->nodes[u], M, &a, &b);
        if (st == DN_ERR_UNSUPPORTED) {
            st = DN_OK;
            continue;
        }
        if (st != DN_OK)
            break;
        float *nw = malloc(sizeof(float) * (size_t)(M * per)), *nb = malloc(sizeof(float) * (size_t)M);
        if (!nw || !nb) {
            free(nw), free(nb), free(a), free(b);
            dn_log("out of memory folding BatchNormalization");
            st = DN_ERR_NOMEM;
            break;
        }
        const float *ow = w->data;
        const float *ob = n->n_in > 2 && n->in[2] >= 0 ? g->values[n->in[2]].data : NULL;
        for (int64_t m = 0; m < M; m++) {
            for (int64_t k = 0; k < per; k++)
                nw[m * per + k] = ow[m * per + k] * a[m];
            nb[m] = (ob ? ob[m] : 0.0f) * a[m] + b[m];
        }
        free(a);
        free(b);
        struct dn_shape ws = w->shape, bs = {1, {M}};
        int vw = add_const(g, "bn-fold.weight", &ws, nw);
        int vb = vw < 0 ? -1 : add_const(g, "bn-fold.bias", &bs, nb);
        if (vw < 0 || vb < 0) {
            if (vw < 0)
                free(nw);
            free(nb);
            st = DN_ERR_NOMEM;
            break;
        }
        n = &g->nodes[i]; /* values may have moved, nodes did not */
        if (n->n_in < 3) {
            int *in = realloc(n->in, sizeof(int) * 3);
            if (!in) {
                dn_log("out of memory folding BatchNormalization");
                st = DN_ERR_NOMEM;
                break;
            }
            n->in = in;
            n->n_in = 3;
        }
        n->in[1] = vw;
        n->in[2] = vb;
        take_output(g, i, &g->nodes[u]);
        c->fx[i].fused++;
    }
    return st;
}

static enum dn_status pass_conv_relu(struct dn_pass_ctx *c)
{
    struct dn_graph *g = c->g;
    const struct readers *r = c->r;
    for (int i = 0; i < g->n_nodes; i++) {
        struct dn_node *n = &g->nodes[i];
        if (!dn_exec_conv_ok(g, n) || c->fx[i].relu)
            continue;
        int u = sole_reader(g, r, n->out[0]);
        if (u < 0 || g->nodes[u].op != DN_OP_RELU)
            continue;
        c->fx[i].relu = 1;
        c->fx[i].fused++;
        take_output(g, i, &g->nodes[u]);
    }
    return DN_OK;
}

static enum dn_status pass_bn_relu_input(struct dn_pass_ctx *c)
{
    struct dn_graph *g = c->g;
    const struct readers *r = c->r;
    enum dn_status st = DN_OK;
    for (int i = 0; i < g->n_nodes && st == DN_OK; i++) {
        struct dn_node *bn = &g->nodes[i];
        if (bn->dead || bn->op != DN_OP_BATCHNORM || g->values[bn->in[0]].shape.ndim != 4)
            continue;
        int u = sole_reader(g, r, bn->out[0]), relu = 0, mid = -1;
        if (u >= 0 && g->nodes[u].op == DN_OP_RELU) {
            mid = u;
            relu = 1;
            u = sole_reader(g, r, g->nodes[u].out[0]);
        }
        if (u < 0)
            continue;
        struct dn_node *t = &g->nodes[u];
        int ok = (dn_exec_conv_ok(g, t) || t->op == DN_OP_GLOBALAVGPOOL) && !c->fx[u].pre_scale &&
                 !c->fx[u].pre_pool;
        if (!ok || t->in[0] != (mid >= 0 ? g->nodes[mid].out[0] : bn->out[0]))
            continue;
        if (t->op == DN_OP_CONV && (t->in[1] == t->in[0] || (t->n_in > 2 && t->in[2] == t->in[0])))
            continue;
        float *a, *b;
        st = bn_affine(g, bn, g->values[bn->in[0]].shape.d[1], &a, &b);
        if (st == DN_ERR_UNSUPPORTED) {
            st = DN_OK;
            continue;
        }
        if (st != DN_OK)
            break;
        c->fx[u].pre_scale = a;
        c->fx[u].pre_shift = b;
        c->fx[u].pre_relu = relu;
        c->fx[u].fused += 1 + relu;
        t->in[0] = bn->in[0];
        bn->dead = 1;
        if (mid >= 0)
            g->nodes[mid].dead = 1;
    }
    return st;
}

static enum dn_status pass_pool_first(struct dn_pass_ctx *c)
{
    struct dn_graph *g = c->g;
    const struct readers *r = c->r;
    for (int i = 0; i < g->n_nodes; i++) {
        struct dn_node *n = &g->nodes[i];
        if (!dn_exec_conv_ok(g, n) || c->fx[i].relu || c->fx[i].pre_pool)
            continue;
        const struct dn_window *w = &n->p.win;
        const struct dn_shape *ws = &g->values[n->in[1]].shape;
        if (ws->d[2] != 1 || ws->d[3] != 1 || w->stride[0] != 1 || w->stride[1] != 1 ||
            w->pads[0] || w->pads[1] || w->pads[2] || w->pads[3] || w->auto_pad != DN_PAD_NOTSET)
            continue;
        int u = sole_reader(g, r, n->out[0]);
        if (u < 0)
            continue;
        const struct dn_node *p = &g->nodes[u];
        const struct dn_window *pw = &p->p.win;
        if (p->op != DN_OP_AVGPOOL || p->n_out != 1 || pw->kernel[0] != 2 || pw->kernel[1] != 2 ||
            pw->stride[0] != 2 || pw->stride[1] != 2 || pw->pads[0] || pw->pads[1] || pw->pads[2] ||
            pw->pads[3] || pw->auto_pad != DN_PAD_NOTSET || pw->ceil_mode || pw->dilation[0] != 1 ||
            pw->dilation[1] != 1)
            continue;
        c->fx[i].pre_pool = 1;
        c->fx[i].fused++;
        take_output(g, i, &g->nodes[u]);
    }
    return DN_OK;
}

/* ---- zero-copy concatenation ---------------------------------------------- */

static int writes_slices(const struct dn_graph *g, int v)
{
    int p = g->values[v].producer;
    return p >= 0 && !g->nodes[p].dead && g->nodes[p].out[0] == v &&
           (dn_exec_conv_ok(g, &g->nodes[p]) || dn_exec_pool_ok(g, &g->nodes[p]));
}

/* node u reads v only as its data input 0, from a channel slice */
static int reads_slices(const struct dn_graph *g, int u, int v)
{
    const struct dn_node *n = &g->nodes[u];
    if (!dn_exec_conv_ok(g, n) && !dn_exec_pool_ok(g, n))
        return 0;
    for (int j = 1; j < n->n_in; j++)
        if (n->in[j] == v)
            return 0;
    return n->in[0] == v;
}

/* 1 if concat node a's inputs are the first inputs of concat node b */
static int is_prefix(const struct dn_node *a, const struct dn_node *b)
{
    if (a->n_in > b->n_in)
        return 0;
    for (int j = 0; j < a->n_in; j++)
        if (a->in[j] != b->in[j])
            return 0;
    return 1;
}

static int concat_axis1(const struct dn_graph *g, const struct dn_node *n)
{
    if (n->dead || n->op != DN_OP_CONCAT)
        return 0;
    const struct dn_shape *s = &g->values[n->out[0]].shape;
    int64_t axis = n->p.axis.axis < 0 ? n->p.axis.axis + s->ndim : n->p.axis.axis;
    return s->ndim == 4 && axis == 1 && g->values[n->out[0]].dtype == DN_DTYPE_F32;
}

static enum dn_status pass_concat_inplace(struct dn_pass_ctx *c)
{
    struct dn_graph *g = c->g;
    const struct readers *r = c->r;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        struct dn_node *n = &g->nodes[i];
        if (!concat_axis1(g, n) || g->values[n->out[0]].alias_of >= 0 || n->n_in < 1)
            continue;
        int ok = 1;
        for (int j = 0; j < n->n_in && ok; j++) {
            int v = n->in[j];
            ok = v >= 0 && g->values[v].kind == DN_VALUE_INTER && g->values[v].alias_of < 0 &&
                 !is_graph_output(g, v) && writes_slices(g, v);
            for (int k = 0; k < j && ok; k++)
                ok = n->in[k] != v;
            /* every reader: this concat, a concat that is a prefix of it, or a slice reader */
            for (int e = r->start[v]; e < r->start[v + 1] && ok; e++) {
                int u = r->node[e];
                if (u == i)
                    continue;
                if (concat_axis1(g, &g->nodes[u]) && is_prefix(&g->nodes[u], n)) {
                    int pv = g->nodes[u].out[0];
                    ok = g->values[pv].alias_of < 0 && !is_graph_output(g, pv);
                    for (int e2 = r->start[pv]; e2 < r->start[pv + 1] && ok; e2++)
                        ok = reads_slices(g, r->node[e2], pv);
                } else
                    ok = reads_slices(g, u, v);
            }
        }
        if (!ok)
            continue;
        int64_t off = 0;
        for (int j = 0; j < n->n_in; j++) {
            int v = n->in[j];
            for (int e = r->start[v]; e < r->start[v + 1]; e++) {
                struct dn_node *a = &g->nodes[r->node[e]];
                if (r->node[e] != i && a->op == DN_OP_CONCAT && !a->dead) {
                    g->values[a->out[0]].alias_of = n->out[0];
                    g->values[a->out[0]].alias_channel = 0;
                    a->dead = 1;
                }
            }
            g->values[v].alias_of = n->out[0];
            g->values[v].alias_channel = off;
            off += g->values[v].shape.d[1];
        }
        n->dead = 1;
    }
    return DN_OK;
}

/* ---- classifier tail ------------------------------------------------------- */

static int is_view_op(enum dn_op op)
{
    return op == DN_OP_FLATTEN || op == DN_OP_RESHAPE || op == DN_OP_SQUEEZE || op == DN_OP_UNSQUEEZE;
}

static enum dn_status pass_gap_fc(struct dn_pass_ctx *c)
{
    struct dn_graph *g = c->g;
    const struct readers *r = c->r;
    for (int i = 0; i < g->n_nodes; i++) {
        struct dn_node *n = &g->nodes[i];
        if (n->dead || n->op != DN_OP_GLOBALAVGPOOL || g->values[n->in[0]].shape.ndim != 4 ||
            g->values[n->in[0]].dtype != DN_DTYPE_F32)
            continue;
        /* through views only (same bytes: reshape-views made them aliases) */
        int v = n->out[0], u = sole_reader(g, r, v);
        while (u >= 0 && is_view_op(g->nodes[u].op) && g->values[g->nodes[u].out[0]].alias_of == v) {
            v = g->nodes[u].out[0];
            u = sole_reader(g, r, v);
        }
        if (u < 0 || (g->nodes[u].op != DN_OP_GEMM && g->nodes[u].op != DN_OP_MATMUL) ||
            g->nodes[u].in[0] != v || c->fx[u].tail_gap || g->values[v].shape.ndim != 2)
            continue;
        c->fx[u].tail_gap = i + 1;
        c->fx[u].fused++;
    }
    return DN_OK;
}

const struct dn_pass dn_passes[] = {
    {"copies", 1, 0, 0, pass_copies, "drop Identity and Dropout"},
    {"reshape-views", 1, 0, 0, pass_reshape_views, "reshape-like outputs share their input's bytes"},
    {"zero-pad", 1, 1, 0, pass_zero_pad, "drop all-zero Pad"},
    {"bn-fold", 0, 1, 1, pass_bn_fold, "fold BatchNormalization into the Conv before it"},
    {"conv-relu", 1, 1, 1, pass_conv_relu, "apply Relu as a Conv stores"},
    {"bn-relu-input", 1, 1, 1, pass_bn_relu_input, "apply BatchNormalization+Relu as the next node reads"},
    {"pool-first", 0, 1, 1, pass_pool_first, "Conv1x1 then AvgPool2x2 computed as pool then conv"},
    {"concat-inplace", 1, 1, 1, pass_concat_inplace, "Concat inputs written in place, no copies"},
    {"gap-fc", 1, 1, 1, pass_gap_fc, "GlobalAveragePool+Flatten+Gemm as one step"},
};
const int dn_n_passes = sizeof dn_passes / sizeof *dn_passes;

int dn_pass_count(void)
{
    return dn_n_passes;
}

const char *dn_pass_name(int i, int *exact)
{
    if (i < 0 || i >= dn_n_passes)
        return NULL;
    if (exact)
        *exact = dn_passes[i].exact;
    return dn_passes[i].name;
}

enum dn_status dn_passes_run(struct dn_pass_ctx *c, const unsigned char *off)
{
    for (int i = 0; i < dn_n_passes; i++) {
        if (off[i] || (dn_passes[i].fast_only && !c->fast))
            continue;
        struct readers r = {NULL, NULL};
        if (dn_passes[i].readers) {
            enum dn_status st = readers_init(c->g, &r);
            if (st != DN_OK)
                return st;
        }
        c->r = &r;
        enum dn_status st = dn_passes[i].fn(c);
        c->r = NULL;
        readers_free(&r);
        if (st != DN_OK)
            return st;
    }
    return DN_OK;
}
