/* session.c: a graph specialised to concrete input shapes, planned and executed.
 *
 * dn_session_init_opts goes through fixed phases: clone the graph; infer
 * shapes and fold constants (each node's shape function runs, and a node whose
 * inputs are all constant, or a Shape node, is evaluated right there with its
 * reference kernel and removed: this folds the Shape/Gather/Unsqueeze/Concat
 * chains older exports put before Reshape); run the passes of passes.c; select
 * a step per surviving node and pack its weights (exec.c); plan activation
 * memory; bind the steps to their buffers. Activations live in one arena; each
 * value gets an offset by greedy best-fit over lifetime intervals, so two
 * values share bytes only when their lifetimes do not overlap, and a view
 * (alias_of) lives inside the buffer of the value it views.
 * The session owns the clone, the fusions, the executor, the arena and the
 * folded constants; nothing allocates during dn_session_run.
 * With keep_features, the classifier head (head.h) is found right after
 * folding; its input map is marked kept, so the passes leave it materialized
 * and the planner keeps its bytes until the next run; the session owns the
 * head's copied weights.
 */
#include "graph.h"
#include "passes.h"
#include "exec.h"
#include "head.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DN_ALIGN 64

struct dn_session {
    struct dn_graph *g;         /* owned clone, rewritten by passes */
    unsigned char *arena;
    size_t arena_bytes;
    int *order, n_order;        /* live node indices in execution order */
    int64_t *macs;              /* per node of g */
    int64_t total_macs;
    struct dn_tensor *tin, *tout;
    struct dn_value **vin, **vout;
    int max_io;                 /* length of tin/tout/vin/vout: >= every op's max arity */
    struct dn_fusion *fx;       /* per node of g, owned */
    size_t budget;              /* dn_session_opts.max_memory, resolved */
    size_t folded_bytes;        /* constants folded at init */
    struct dn_exec *exec;
    enum dn_isa isa;
    struct dn_head head;        /* keep_features: the classifier head; head.feature < 0 otherwise */
};

static int64_t node_macs(const struct dn_graph *g, const struct dn_node *n)
{
    const struct dn_shape *o = &g->values[n->out[0]].shape;
    switch (n->op) {
    case DN_OP_CONV: {
        const struct dn_shape *w = &g->values[n->in[1]].shape;
        return dn_shape_numel(o) * w->d[1] * w->d[2] * w->d[3];
    }
    case DN_OP_GEMM: {
        const struct dn_shape *a = &g->values[n->in[0]].shape;
        return dn_shape_numel(o) * (n->p.gemm.trans_a ? a->d[0] : a->d[1]);
    }
    case DN_OP_MATMUL: {
        const struct dn_shape *a = &g->values[n->in[0]].shape;
        return dn_shape_numel(o) * a->d[a->ndim - 1];
    }
    default:
        return 0;
    }
}

/* 1 if a tensor of this shape would exceed 2^37 elements (512 GiB of floats),
 * checked without overflowing: absurd shapes must fail, not wrap around. */
static int too_large(const struct dn_shape *s)
{
    const int64_t limit = (int64_t)1 << 37;
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++) {
        if (s->d[i] < 0)
            return 1;
        if (s->d[i] == 0)
            return 0;
        if (s->d[i] > limit / n)
            return 1;
        n *= s->d[i];
    }
    return 0;
}

static enum dn_status check_input_shape(const struct dn_value *v, const struct dn_shape *given)
{
    const struct dn_shape *decl = &v->shape;
    char b1[96], b2[96];
    int ok = decl->ndim == given->ndim;
    ok = ok && !too_large(given);
    for (int i = 0; ok && i < given->ndim; i++) {
        if (given->d[i] < 1)
            ok = 0;
        /* batch and spatial dims may differ from the declared ones; others may not */
        else if (i == 1 && decl->d[i] > 0 && decl->d[i] != given->d[i])
            ok = 0;
    }
    if (!ok) {
        dn_log("input '%s' has shape %s; the model expects %s", v->name,
               dn_shape_str(given, b1, sizeof b1), dn_shape_str(decl, b2, sizeof b2));
        return DN_ERR_SHAPE;
    }
    return DN_OK;
}

/* Points s->tin/tout at the node's values; omitted optional inputs (and the
 * slots past n_in) become empty tensors with NULL data. */
static void bind_tensors(struct dn_session *s, const struct dn_node *n)
{
    const struct dn_graph *g = s->g;
    for (int j = 0; j < s->max_io; j++) {
        const struct dn_value *v = j < n->n_in && n->in[j] >= 0 ? &g->values[n->in[j]] : NULL;
        s->tin[j] = v ? (struct dn_tensor){v->dtype, v->shape, v->data}
                      : (struct dn_tensor){DN_DTYPE_F32, {0, {0}}, NULL};
    }
    for (int j = 0; j < n->n_out; j++) {
        const struct dn_value *v = &g->values[n->out[j]];
        s->tout[j] = (struct dn_tensor){v->dtype, v->shape, v->data};
    }
}

/* Shape inference and constant folding over the clone, in order. */
static enum dn_status infer(struct dn_session *s)
{
    struct dn_graph *g = s->g;
    char label[256];
    for (int i = 0; i < g->n_nodes; i++) {
        struct dn_node *n = &g->nodes[i];
        const struct dn_op_info *info = dn_op_get(n->op);
        int all_const = 1;
        for (int j = 0; j < n->n_in; j++) {
            int v = n->in[j];
            s->vin[j] = v >= 0 ? &g->values[v] : NULL;
            if (v < 0 && j < info->min_in) {
                dn_log("%s: required input %d is missing", dn_node_label(n, i, label, sizeof label), j);
                return DN_ERR_INVALID;
            }
            if (v >= 0 && g->values[v].kind != DN_VALUE_CONST)
                all_const = 0;
        }
        for (int j = n->n_in; j < s->max_io; j++)
            s->vin[j] = NULL;
        for (int j = 0; j < n->n_out; j++)
            s->vout[j] = &g->values[n->out[j]];
        enum dn_status st = info->shape(n, s->vin, s->vout);
        if (st != DN_OK)
            return st;
        for (int j = 0; j < n->n_out; j++)
            if (too_large(&s->vout[j]->shape)) {
                char b[96];
                dn_log("%s: output %s is too large", dn_node_label(n, i, label, sizeof label),
                       dn_shape_str(&s->vout[j]->shape, b, sizeof b));
                return DN_ERR_SHAPE;
            }
        if (!all_const && n->op != DN_OP_SHAPE)
            continue;
        /* fold: evaluate now, the outputs become constants (within the budget) */
        for (int j = 0; j < n->n_out; j++) {
            struct dn_value *o = s->vout[j];
            size_t bytes = (size_t)dn_shape_numel(&o->shape) * dn_dtype_size(o->dtype);
            if (bytes > s->budget - s->folded_bytes) {
                dn_log("%s: folding it needs %zu more bytes; the memory limit is %zu bytes",
                       dn_node_label(n, i, label, sizeof label), bytes, s->budget);
                return DN_ERR_NOMEM;
            }
            s->folded_bytes += bytes;
            o->data = malloc(bytes ? bytes : 1);
            if (!o->data) {
                dn_log("%s: out of memory folding constants", dn_node_label(n, i, label, sizeof label));
                return DN_ERR_NOMEM;
            }
            o->borrowed = 0;
            o->kind = DN_VALUE_CONST;
        }
        bind_tensors(s, n);
        st = info->kernel(n, s->tin, s->tout);
        if (st != DN_OK)
            return st;
        n->dead = 1;
    }
    return DN_OK;
}

static size_t value_bytes(const struct dn_value *v)
{
    int64_t n = dn_shape_numel(&v->shape) / (v->one_image ? v->shape.d[0] : 1);
    size_t bytes = (size_t)n * dn_dtype_size(v->dtype);
    return (bytes + DN_ALIGN - 1) / DN_ALIGN * DN_ALIGN;
}

/* Up to this many buffers, plan_memory places them greedily biggest first,
 * each at the lowest offset clear of every placed buffer whose lifetime
 * overlaps (O(n^2), tight arenas); above it, in time order (place_by_time). */
#define PLAN_GREEDY_MAX 4096

static size_t place_by_size(struct dn_graph *g, int *ids, int n_ids, const int *first,
                            const int *last, int *placed)
{
    int n_placed = 0;
    size_t top = 0;
    /* sort by size, descending (insertion sort: a few thousand values) */
    for (int i = 1; i < n_ids; i++) {
        int v = ids[i], j = i;
        size_t sz = value_bytes(&g->values[v]);
        while (j > 0 && value_bytes(&g->values[ids[j - 1]]) < sz) {
            ids[j] = ids[j - 1];
            j--;
        }
        ids[j] = v;
    }
    for (int i = 0; i < n_ids; i++) {
        int v = ids[i];
        size_t bytes = value_bytes(&g->values[v]), off = 0;
        int moved = 1;
        while (moved) {
            moved = 0;
            for (int k = 0; k < n_placed; k++) {
                int u = placed[k];
                if (first[u] > last[v] || first[v] > last[u])
                    continue;
                size_t uo = (size_t)g->values[u].offset, ub = value_bytes(&g->values[u]);
                if (off < uo + ub && uo < off + bytes) {
                    off = uo + ub;
                    moved = 1;
                }
            }
        }
        g->values[v].offset = (int64_t)off;
        placed[n_placed++] = v;
        if (off + bytes > top)
            top = off + bytes;
    }
    return top;
}

struct block {
    size_t off, size;
};

/* Large graphs: walk the steps in order; before step t the buffers first
 * written there take the best-fitting free block (or grow the arena), after
 * it those last read there return their block, merged with free neighbours.
 * Linear in the values times the free blocks, which stay few. */
static enum dn_status place_by_time(struct dn_graph *g, const int *ids, int n_ids, const int *first,
                                    const int *last, int n_order, size_t *top_out)
{
    enum dn_status st = DN_OK;
    const int slots = n_order + 2; /* times -1 .. n_order */
    int *by_first = malloc(sizeof(int) * (size_t)(n_ids + 1));
    int *by_last = malloc(sizeof(int) * (size_t)(n_ids + 1));
    int *fs = calloc((size_t)slots + 1, sizeof(int)), *ls = calloc((size_t)slots + 1, sizeof(int));
    struct block *free_b = malloc(sizeof *free_b * (size_t)(n_ids + 1));
    int n_free = 0;
    size_t top = 0;
    if (!by_first || !by_last || !fs || !ls || !free_b) {
        dn_log("out of memory planning activations");
        st = DN_ERR_NOMEM;
        goto done;
    }
    /* counting sorts by first and by last use */
    for (int i = 0; i < n_ids; i++) {
        fs[first[ids[i]] + 2]++;
        ls[last[ids[i]] + 2]++;
    }
    for (int t = 1; t <= slots; t++) {
        fs[t] += fs[t - 1];
        ls[t] += ls[t - 1];
    }
    for (int i = 0; i < n_ids; i++) {
        by_first[fs[first[ids[i]] + 1]++] = ids[i];
        by_last[ls[last[ids[i]] + 1]++] = ids[i];
    }
    for (int t = -1, a = 0, r = 0; t <= n_order; t++) {
        for (; a < n_ids && first[by_first[a]] == t; a++) {
            int v = by_first[a], best = -1;
            size_t bytes = value_bytes(&g->values[v]);
            for (int k = 0; k < n_free; k++)
                if (free_b[k].size >= bytes && (best < 0 || free_b[k].size < free_b[best].size))
                    best = k;
            if (best < 0) {
                g->values[v].offset = (int64_t)top;
                top += bytes;
            } else {
                g->values[v].offset = (int64_t)free_b[best].off;
                free_b[best].off += bytes;
                free_b[best].size -= bytes;
                if (free_b[best].size == 0) {
                    memmove(free_b + best, free_b + best + 1, sizeof *free_b * (size_t)(n_free - best - 1));
                    n_free--;
                }
            }
        }
        for (; r < n_ids && last[by_last[r]] == t; r++) {
            int v = by_last[r];
            struct block b = {(size_t)g->values[v].offset, value_bytes(&g->values[v])};
            int k = 0;
            while (k < n_free && free_b[k].off < b.off)
                k++;
            memmove(free_b + k + 1, free_b + k, sizeof *free_b * (size_t)(n_free - k));
            free_b[k] = b;
            n_free++;
            if (k + 1 < n_free && free_b[k].off + free_b[k].size == free_b[k + 1].off) {
                free_b[k].size += free_b[k + 1].size;
                memmove(free_b + k + 1, free_b + k + 2, sizeof *free_b * (size_t)(n_free - k - 2));
                n_free--;
            }
            if (k > 0 && free_b[k - 1].off + free_b[k - 1].size == free_b[k].off) {
                free_b[k - 1].size += free_b[k].size;
                memmove(free_b + k, free_b + k + 1, sizeof *free_b * (size_t)(n_free - k - 1));
                n_free--;
            }
        }
    }
    *top_out = top;
done:
    free(by_first);
    free(by_last);
    free(fs);
    free(ls);
    free(free_b);
    return st;
}

/* Gives every buffer (a value that is no view) an arena offset such that two
 * buffers share bytes only when their lifetimes do not overlap, views their
 * place inside their buffer, checks the memory limit and allocates. */
static enum dn_status plan_memory(struct dn_session *s)
{
    struct dn_graph *g = s->g;
    int nv = g->n_values;
    int *first = malloc(sizeof(int) * (size_t)(nv + 1));
    int *last = malloc(sizeof(int) * (size_t)(nv + 1));
    int *ids = malloc(sizeof(int) * (size_t)(nv + 1));
    int *placed = malloc(sizeof(int) * (size_t)(nv + 1));
    int *root = malloc(sizeof(int) * (size_t)(nv + 1));
    enum dn_status st = DN_OK;
    int n_ids = 0;
    if (!first || !last || !ids || !placed || !root) {
        dn_log("out of memory planning activations");
        st = DN_ERR_NOMEM;
        goto fail;
    }
    for (int v = 0; v < nv; v++) {
        first[v] = g->values[v].kind == DN_VALUE_INPUT ? -1 : nv + g->n_nodes;
        last[v] = -2;
        g->values[v].offset = -1;
    }
    for (int k = 0; k < s->n_order; k++) {
        const struct dn_node *n = &g->nodes[s->order[k]];
        for (int j = 0; j < n->n_out; j++)
            if (first[n->out[j]] > k)
                first[n->out[j]] = k;
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] >= 0)
                last[n->in[j]] = k;
        for (int j = 0; j < n->n_out; j++)
            if (last[n->out[j]] < k)
                last[n->out[j]] = k;
    }
    for (int i = 0; i < g->n_outputs; i++)
        last[g->outputs[i]] = s->n_order;
    if (s->head.feature >= 0)
        last[s->head.feature] = s->n_order;
    /* the steps a batch runs image by image (dn_exec_split_node) interleave
     * their images, so whatever they touch lives through all of them; and
     * what only the first of them touch, those that run one image at a time
     * on all threads (through dn_exec_wide_node), needs one image's bytes */
    int split_node = dn_exec_split_node(s->exec), wide_node = dn_exec_wide_node(s->exec);
    int k_end = -1, k_wide = -1;
    for (int k = 0; k < s->n_order && split_node >= 0; k++) {
        if (s->order[k] == split_node)
            k_end = k;
        if (s->order[k] == wide_node)
            k_wide = k;
    }
    for (int v = 0; v < nv; v++)
        g->values[v].one_image = g->values[v].kind != DN_VALUE_CONST && first[v] >= 0 &&
                                 first[v] <= last[v] && last[v] <= k_wide && g->values[v].shape.ndim >= 1 &&
                                 g->values[v].shape.d[0] > 1;
    /* a value first touched in the wide part ([0, k_wide]) lives from its
     * start, one first touched after it from the start of the rest; one
     * last touched in the wide part to its end, else to the prefix's end */
    for (int v = 0; v < nv && k_end >= 0; v++) {
        if (g->values[v].kind == DN_VALUE_CONST || first[v] > last[v] || first[v] > k_end)
            continue;
        int lo = first[v] <= k_wide ? 0 : k_wide + 1, hi = last[v] <= k_wide ? k_wide : k_end;
        first[v] = first[v] < lo ? first[v] : lo;
        last[v] = last[v] > hi ? last[v] : hi;
    }
    /* the buffer each value lives in, each chain of views walked once */
    for (int v = 0; v < nv; v++)
        root[v] = -1;
    for (int v = 0; v < nv; v++) {
        int r = v;
        while (root[r] < 0 && g->values[r].alias_of >= 0)
            r = g->values[r].alias_of;
        int top_v = root[r] >= 0 ? root[r] : r;
        for (int u = v; u != r; u = g->values[u].alias_of)
            root[u] = top_v;
        root[r] = top_v;
    }
    /* one image's bytes for a buffer only when every view in it qualifies */
    for (int v = 0; v < nv; v++)
        if (root[v] != v && !g->values[v].one_image)
            g->values[root[v]].one_image = 0;
    for (int v = 0; v < nv; v++)
        if (root[v] != v)
            g->values[v].one_image = g->values[root[v]].one_image;
    /* a view keeps the buffer it lives in alive: fold lifetimes into roots */
    for (int v = 0; v < nv; v++) {
        int r = root[v];
        if (r == v || last[v] < -1)
            continue;
        first[r] = first[v] < first[r] ? first[v] : first[r];
        last[r] = last[v] > last[r] ? last[v] : last[r];
    }
    for (int v = 0; v < nv; v++)
        if (g->values[v].kind != DN_VALUE_CONST && g->values[v].alias_of < 0 && last[v] >= -1 &&
            first[v] <= last[v])
            ids[n_ids++] = v;
    size_t top = 0;
    if (n_ids <= PLAN_GREEDY_MAX)
        top = place_by_size(g, ids, n_ids, first, last, placed);
    else if (place_by_time(g, ids, n_ids, first, last, s->n_order, &top) != DN_OK) {
        st = DN_ERR_NOMEM;
        goto fail;
    }
    s->arena_bytes = top;
    /* everything the session will hold, checked before the big allocations */
    size_t wbytes = dn_exec_weight_bytes(s->exec), bbytes = dn_exec_buffer_bytes(s->exec);
    if (top > s->budget || wbytes > s->budget - top || bbytes > s->budget - top - wbytes ||
        s->folded_bytes > s->budget - top - wbytes - bbytes) {
        dn_log("the model needs %zu bytes at this input shape (activations %zu, packed weights %zu, "
               "buffers %zu, folded constants %zu); the memory limit is %zu bytes",
               top + wbytes + bbytes + s->folded_bytes, top, wbytes, bbytes, s->folded_bytes, s->budget);
        st = DN_ERR_NOMEM;
        goto fail;
    }
    s->arena = aligned_alloc(DN_ALIGN, top ? top : DN_ALIGN);
    if (!s->arena) {
        dn_log("out of memory allocating %zu bytes of activations", top);
        st = DN_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < n_ids; i++)
        g->values[ids[i]].data = s->arena + g->values[ids[i]].offset;
    for (int v = 0; v < nv; v++) {
        struct dn_value *val = &g->values[v];
        int r = root[v];
        if (r == v || g->values[r].offset < 0)
            continue;
        /* a channel slice of an NCHW buffer; contiguous only at batch 1 or channel 0 */
        int64_t inner = 1;
        for (int k = 2; k < val->shape.ndim; k++)
            inner *= val->shape.d[k];
        val->offset = g->values[r].offset + val->alias_channel * inner * (int64_t)dn_dtype_size(val->dtype);
        val->data = s->arena + val->offset;
    }
fail:
    free(first);
    free(last);
    free(ids);
    free(placed);
    free(root);
    return st;
}

size_t dn_default_max_memory(void)
{
    const uint64_t cap = (uint64_t)4 << 30;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t half = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / 2 : cap;
    uint64_t lim = half < cap ? half : cap;
    return lim > SIZE_MAX ? SIZE_MAX : (size_t)lim;
}

void dn_session_opts_default(struct dn_session_opts *o)
{
    memset(o, 0, sizeof *o);
}

/* Marks in off[] the passes named in the comma-separated list. */
static enum dn_status parse_no_opt(const char *list, unsigned char *off)
{
    if (!list)
        return DN_OK;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        int found = 0;
        if (len == 3 && strncmp(p, "all", 3) == 0) {
            for (int i = 0; i < dn_n_passes; i++)
                off[i] = 1;
            found = 1;
        }
        for (int i = 0; i < dn_n_passes && !found; i++)
            if (strlen(dn_passes[i].name) == len && strncmp(p, dn_passes[i].name, len) == 0)
                off[i] = found = 1;
        if (!found && len > 0) {
            char names[512];
            size_t o = 0;
            for (int i = 0; i < dn_n_passes && o < sizeof names; i++)
                o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", i ? ", " : "", dn_passes[i].name);
            dn_log("unknown pass '%.*s' (passes: %s, all)", (int)len, p, names);
            return DN_ERR_ARG;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return DN_OK;
}

enum dn_status dn_session_init(struct dn_session **out, const struct dn_graph *src,
                               int n, const struct dn_shape *input_shapes)
{
    return dn_session_init_opts(out, src, n, input_shapes, NULL);
}

static enum dn_status session_init(struct dn_session **out, const struct dn_graph *src,
                                   struct dn_graph *own, int n, const struct dn_shape *input_shapes,
                                   const struct dn_session_opts *opts);

enum dn_status dn_session_init_opts(struct dn_session **out, const struct dn_graph *src,
                                    int n, const struct dn_shape *input_shapes,
                                    const struct dn_session_opts *opts)
{
    return session_init(out, src, NULL, n, input_shapes, opts);
}

enum dn_status dn_session_init_consume(struct dn_session **out, struct dn_graph *g,
                                       int n, const struct dn_shape *input_shapes,
                                       const struct dn_session_opts *opts)
{
    return session_init(out, g, g, n, input_shapes, opts);
}

const struct dn_graph *dn_session_graph(const struct dn_session *s)
{
    return s->g;
}

/* own: src itself, taken by the session (consume), or NULL (clone src) */
static enum dn_status session_init(struct dn_session **out, const struct dn_graph *src,
                                   struct dn_graph *own, int n, const struct dn_shape *input_shapes,
                                   const struct dn_session_opts *opts)
{
    struct dn_session *s = calloc(1, sizeof *s);
    struct dn_session_opts o;
    unsigned char off[64] = {0};
    enum dn_status st;
    *out = NULL;
    if (!s) {
        dn_log("out of memory creating a session");
        dn_graph_free(own);
        return DN_ERR_NOMEM;
    }
    s->g = own; /* freed with the session, also on failure */
    s->head.feature = -1;
    if (opts)
        o = *opts;
    else
        dn_session_opts_default(&o);
    s->isa = o.isa == DN_ISA_AUTO ? dn_isa_default() : o.isa;
    if (!dn_isa_supported(s->isa)) {
        dn_log("this CPU or build cannot run the %s kernels", dn_isa_name(s->isa));
        st = DN_ERR_ARG;
        goto fail;
    }
    s->budget = o.max_memory ? o.max_memory : dn_default_max_memory();
    st = parse_no_opt(o.no_opt, off);
    if (st != DN_OK)
        goto fail;
    if (n != src->n_inputs) {
        dn_log("the model has %d inputs, %d were given", src->n_inputs, n);
        st = DN_ERR_ARG;
        goto fail;
    }
    if (!own) {
        st = dn_graph_clone(src, &s->g);
        if (st != DN_OK)
            goto fail;
    }
    struct dn_graph *g = s->g;
    int max_io = 4;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].n_in > max_io)
            max_io = g->nodes[i].n_in;
        if (g->nodes[i].n_out > max_io)
            max_io = g->nodes[i].n_out;
    }
    s->max_io = max_io;
    s->tin = calloc((size_t)max_io, sizeof *s->tin);
    s->tout = calloc((size_t)max_io, sizeof *s->tout);
    s->vin = calloc((size_t)max_io, sizeof *s->vin);
    s->vout = calloc((size_t)max_io, sizeof *s->vout);
    s->order = malloc(sizeof(int) * ((size_t)g->n_nodes + 1));
    s->macs = calloc((size_t)g->n_nodes + 1, sizeof(int64_t));
    s->fx = calloc((size_t)g->n_nodes + 1, sizeof *s->fx);
    if (!s->tin || !s->tout || !s->vin || !s->vout || !s->order || !s->macs || !s->fx) {
        dn_log("out of memory creating a session");
        st = DN_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        struct dn_value *v = &g->values[g->inputs[i]];
        st = check_input_shape(v, &input_shapes[i]);
        if (st != DN_OK)
            goto fail;
        v->shape = input_shapes[i];
        v->data = NULL;
    }
    st = infer(s);
    if (st != DN_OK)
        goto fail;
    if (o.keep_features) {
        st = dn_head_find(g, &s->head);
        if (st != DN_OK)
            goto fail;
        g->values[s->head.feature].kept = 1;
    }
    /* the model's MACs, as written */
    s->total_macs = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            s->total_macs += node_macs(g, &g->nodes[i]);
    struct dn_pass_ctx pc = {g, s->fx, s->isa != DN_ISA_REFERENCE, NULL};
    st = dn_passes_run(&pc, off);
    if (st != DN_OK)
        goto fail;
    s->n_order = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].dead)
            continue;
        s->order[s->n_order++] = i;
        s->macs[i] = node_macs(g, &g->nodes[i]);
    }
    st = dn_exec_init(&s->exec, g, s->fx, s->order, s->n_order, s->macs, s->isa,
                      o.threads > 0 ? o.threads : dn_cpu_count(), o.profile, own != NULL);
    if (st != DN_OK)
        goto fail;
    st = plan_memory(s);
    if (st == DN_OK)
        st = dn_exec_alloc(s->exec);
    if (st != DN_OK)
        goto fail;
    dn_exec_bind(s->exec);
    *out = s;
    return DN_OK;
fail:
    dn_session_free(s);
    return st;
}

void dn_session_free(struct dn_session *s)
{
    if (!s)
        return;
    if (s->g) /* arena-backed values point into the arena: do not free them */
        for (int v = 0; v < s->g->n_values; v++)
            if (s->g->values[v].offset >= 0)
                s->g->values[v].data = NULL;
    dn_exec_free(s->exec);
    if (s->fx && s->g)
        for (int i = 0; i < s->g->n_nodes; i++) {
            free(s->fx[i].pre_scale);
            free(s->fx[i].pre_shift);
        }
    free(s->fx);
    dn_head_free(&s->head);
    dn_graph_free(s->g);
    free(s->arena);
    free(s->order);
    free(s->macs);
    free(s->tin);
    free(s->tout);
    free(s->vin);
    free(s->vout);
    free(s);
}

enum dn_status dn_session_run(struct dn_session *s, const float *const *inputs)
{
    struct dn_graph *g = s->g;
    for (int i = 0; i < g->n_inputs; i++) {
        struct dn_value *v = &g->values[g->inputs[i]];
        if (v->data)
            memcpy(v->data, inputs[i], (size_t)dn_shape_numel(&v->shape) * sizeof(float));
    }
    return dn_exec_run(s->exec);
}

struct dn_tensor dn_session_output(const struct dn_session *s, int i)
{
    const struct dn_value *v = &s->g->values[s->g->outputs[i]];
    return (struct dn_tensor){v->dtype, v->shape, v->data};
}

int dn_session_node_count(const struct dn_session *s)
{
    return dn_exec_step_count(s->exec);
}

void dn_session_node_info(const struct dn_session *s, int i, struct dn_node_info *info)
{
    dn_exec_step_info(s->exec, i, info);
}

int64_t dn_session_macs(const struct dn_session *s)
{
    return s->total_macs;
}

size_t dn_session_activation_bytes(const struct dn_session *s)
{
    return s->arena_bytes;
}

size_t dn_session_weight_bytes(const struct dn_session *s)
{
    return dn_exec_weight_bytes(s->exec);
}

enum dn_isa dn_session_isa(const struct dn_session *s)
{
    return s->isa;
}

int dn_session_threads(const struct dn_session *s)
{
    return dn_exec_threads(s->exec);
}

struct dn_tensor dn_session_features(const struct dn_session *s)
{
    if (s->head.feature < 0)
        return (struct dn_tensor){DN_DTYPE_F32, {0, {0}}, NULL};
    const struct dn_value *v = &s->g->values[s->head.feature];
    return (struct dn_tensor){v->dtype, v->shape, v->data};
}

static enum dn_status need_head(const struct dn_session *s, const char *what)
{
    if (s->head.feature >= 0)
        return DN_OK;
    dn_log("%s: the session was not made with keep_features", what);
    return DN_ERR_ARG;
}

enum dn_status dn_session_classifier(const struct dn_session *s, struct dn_tensor *weight,
                                     struct dn_tensor *bias)
{
    enum dn_status st = need_head(s, "dn_session_classifier");
    if (st != DN_OK)
        return st;
    *weight = (struct dn_tensor){DN_DTYPE_F32, {2, {s->head.J, s->head.K}}, s->head.weight};
    if (bias)
        *bias = (struct dn_tensor){DN_DTYPE_F32, {1, {s->head.J}}, s->head.bias};
    return DN_OK;
}

enum dn_status dn_session_pooled(const struct dn_session *s, float *out)
{
    enum dn_status st = need_head(s, "dn_session_pooled");
    if (st != DN_OK)
        return st;
    struct dn_tensor f = dn_session_features(s);
    dn_head_pooled(&f, out);
    return DN_OK;
}

enum dn_status dn_session_cam(const struct dn_session *s, int64_t image, int64_t cls, float *out)
{
    enum dn_status st = need_head(s, "dn_session_cam");
    if (st != DN_OK)
        return st;
    struct dn_tensor f = dn_session_features(s);
    if (image < 0 || image >= f.shape.d[0] || cls < 0 || cls >= s->head.J) {
        dn_log("class activation map of image %lld, class %lld: the batch has %lld images and "
               "the classifier %lld classes", (long long)image, (long long)cls, (long long)f.shape.d[0],
               (long long)s->head.J);
        return DN_ERR_ARG;
    }
    dn_head_cam(&s->head, &f, image, cls, out);
    return DN_OK;
}
