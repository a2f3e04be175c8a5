/* graph.c: building, checking, ordering and cloning dn_graph (see graph.h).
 *
 * The graph owns every string, index array and non-borrowed constant buffer it
 * holds; dn_graph_free releases them all. Name lookup is a linear scan: graphs
 * have a few thousand values at most and lookups happen only while importing.
 */
#include "graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void dn_log_default(void *user, const char *msg)
{
    (void)user;
    fprintf(stderr, "densenet: %s\n", msg);
}

static dn_log_fn log_fn = dn_log_default;
static void *log_user;
/* the last line logged on each thread, for dn_last_error */
static _Thread_local char last_error[1024];

void dn_log_set(dn_log_fn fn, void *user)
{
    log_fn = fn ? fn : dn_log_default;
    log_user = user;
}

void dn_log(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    memcpy(last_error, buf, sizeof last_error);
    log_fn(log_user, buf);
}

const char *dn_last_error(void)
{
    return last_error;
}

const char *dn_status_str(enum dn_status s)
{
    switch (s) {
    case DN_OK: return "ok";
    case DN_ERR_NOMEM: return "out of memory";
    case DN_ERR_INVALID: return "invalid model";
    case DN_ERR_UNSUPPORTED: return "unsupported model";
    case DN_ERR_SHAPE: return "shape mismatch";
    case DN_ERR_ARG: return "bad argument";
    case DN_ERR_IO: return "input/output error";
    }
    return "unknown error";
}

size_t dn_dtype_size(enum dn_dtype t)
{
    return t == DN_DTYPE_I64 ? 8 : 4;
}

int64_t dn_shape_numel(const struct dn_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        n *= s->d[i];
    return n;
}

char *dn_shape_str(const struct dn_shape *s, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    if (s->ndim == 0)
        snprintf(buf, size, "scalar");
    for (int i = 0; i < s->ndim && len < size; i++) {
        int w = s->d[i] < 0
            ? snprintf(buf + len, size - len, "%s?", i ? "x" : "")
            : snprintf(buf + len, size - len, "%s%lld", i ? "x" : "", (long long)s->d[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return buf;
}

const char *dn_node_label(const struct dn_node *n, int index, char *buf, size_t size)
{
    snprintf(buf, size, "node %d '%s' (%s, opset %d)", index, n->name ? n->name : "",
             dn_op_get(n->op)->name, n->opset);
    return buf;
}

static char *dn_strdup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s ? s : "", n);
    return p;
}

enum dn_status dn_graph_init(struct dn_graph **out)
{
    struct dn_graph *g = calloc(1, sizeof *g);
    *out = g;
    if (!g) {
        dn_log("out of memory creating a graph");
        return DN_ERR_NOMEM;
    }
    return DN_OK;
}

void dn_graph_free(struct dn_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_values; i++) {
        free(g->values[i].name);
        if (!g->values[i].borrowed)
            free(g->values[i].data);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        free(g->nodes[i].name);
        free(g->nodes[i].in);
        free(g->nodes[i].out);
    }
    for (int i = 0; i < g->n_meta; i++) {
        free(g->meta[i].key);
        free(g->meta[i].value);
    }
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g->meta);
    free(g->producer);
    free(g->name_index);
    free(g);
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Puts value v in the index; a value of the same name is replaced (the latest
 * definition shadows earlier ones, as a backwards scan would find it). */
static void index_put(struct dn_graph *g, int v)
{
    uint32_t mask = (uint32_t)g->index_cap - 1, i = name_hash(g->values[v].name) & mask;
    while (g->name_index[i] >= 0 && strcmp(g->values[g->name_index[i]].name, g->values[v].name) != 0)
        i = (i + 1) & mask;
    g->name_index[i] = v;
}

/* Makes room for `need` values in the index, rebuilding it; 0 or -1 on NOMEM. */
static int index_reserve(struct dn_graph *g, int need)
{
    if (g->name_index && 2 * (int64_t)need <= g->index_cap)
        return 0;
    int cap = 64;
    while (cap < 2 * need)
        cap *= 2;
    int *idx = malloc(sizeof(int) * (size_t)cap);
    if (!idx)
        return -1;
    free(g->name_index);
    g->name_index = idx;
    g->index_cap = cap;
    for (int i = 0; i < cap; i++)
        idx[i] = -1;
    for (int v = 0; v < g->n_values; v++)
        index_put(g, v);
    return 0;
}

int dn_graph_find(const struct dn_graph *g, const char *name)
{
    if (!g->name_index) {
        for (int i = g->n_values - 1; i >= 0; i--)
            if (strcmp(g->values[i].name, name) == 0)
                return i;
        return -1;
    }
    uint32_t mask = (uint32_t)g->index_cap - 1, i = name_hash(name) & mask;
    for (; g->name_index[i] >= 0; i = (i + 1) & mask)
        if (strcmp(g->values[g->name_index[i]].name, name) == 0)
            return g->name_index[i];
    return -1;
}

static int grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, (size_t)nc * elem);
    if (!np)
        return -1;
    memset((char *)np + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
    *p = np;
    *cap = nc;
    return 0;
}

int dn_graph_add_value(struct dn_graph *g, const char *name)
{
    if (grow((void **)&g->values, &g->cap_values, g->n_values + 1, sizeof *g->values))
        goto fail;
    struct dn_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = dn_strdup(name);
    if (!v->name)
        goto fail;
    v->dtype = DN_DTYPE_F32;
    v->producer = -1;
    v->offset = -1;
    v->alias_of = -1;
    if (index_reserve(g, g->n_values + 1)) {
        free(v->name);
        goto fail;
    }
    g->n_values++;
    index_put(g, g->n_values - 1);
    return g->n_values - 1;
fail:
    dn_log("out of memory adding value '%s'", name);
    return -1;
}

int dn_graph_add_node(struct dn_graph *g, enum dn_op op, const char *name, int opset,
                      int n_in, const int *in, int n_out, const int *out)
{
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes))
        goto fail;
    struct dn_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->opset = opset;
    n->n_in = n_in;
    n->n_out = n_out;
    n->name = dn_strdup(name);
    n->in = malloc(sizeof(int) * (size_t)(n_in + 1));
    n->out = malloc(sizeof(int) * (size_t)(n_out + 1));
    if (!n->name || !n->in || !n->out) {
        free(n->name);
        free(n->in);
        free(n->out);
        goto fail;
    }
    memcpy(n->in, in, sizeof(int) * (size_t)n_in);
    memcpy(n->out, out, sizeof(int) * (size_t)n_out);
    return g->n_nodes++;
fail:
    dn_log("out of memory adding node '%s'", name ? name : "");
    return -1;
}

static enum dn_status push_index(int **arr, int *n, int v)
{
    int *p = realloc(*arr, sizeof(int) * (size_t)(*n + 1));
    if (!p) {
        dn_log("out of memory");
        return DN_ERR_NOMEM;
    }
    p[(*n)++] = v;
    *arr = p;
    return DN_OK;
}

enum dn_status dn_graph_add_input(struct dn_graph *g, int value)
{
    g->values[value].kind = DN_VALUE_INPUT;
    return push_index(&g->inputs, &g->n_inputs, value);
}

enum dn_status dn_graph_add_output(struct dn_graph *g, int value)
{
    return push_index(&g->outputs, &g->n_outputs, value);
}

enum dn_status dn_graph_add_meta(struct dn_graph *g, const char *key, const char *value)
{
    struct dn_meta *m = realloc(g->meta, sizeof *m * (size_t)(g->n_meta + 1));
    if (!m)
        goto fail;
    g->meta = m;
    m[g->n_meta].key = dn_strdup(key);
    m[g->n_meta].value = dn_strdup(value);
    if (!m[g->n_meta].key || !m[g->n_meta].value) {
        free(m[g->n_meta].key);
        free(m[g->n_meta].value);
        goto fail;
    }
    g->n_meta++;
    return DN_OK;
fail:
    dn_log("out of memory adding metadata '%s'", key);
    return DN_ERR_NOMEM;
}

/* Kahn's algorithm over value producers; keeps the file's order where it is valid. */
static void heap_push(int *h, int *n, int v)
{
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static int heap_pop(int *h, int *n)
{
    int top = h[0], v = h[--(*n)], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= v)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0)
        h[i] = v;
    return top;
}

/* Topological order of g's nodes into order[] (ready: values available
 * before any node runs; updated). Fails naming a node on a cycle. */
static enum dn_status sort_nodes(struct dn_graph *g, unsigned char *ready, int *order)
{
    enum dn_status st = DN_OK;
    int nn = g->n_nodes, nv = g->n_values, edges = 0, n_heap = 0, n_done = 0;
    int *missing = calloc((size_t)nn + 1, sizeof(int)), *heap = malloc(sizeof(int) * ((size_t)nn + 1));
    int *start = calloc((size_t)nv + 2, sizeof(int)), *fill = calloc((size_t)nv + 1, sizeof(int));
    int *reader = NULL;
    char label[256];
    for (int i = 0; i < nn; i++)
        edges += g->nodes[i].n_in;
    reader = malloc(sizeof(int) * ((size_t)edges + 1));
    if (!missing || !heap || !start || !fill || !reader) {
        dn_log("out of memory sorting the graph");
        st = DN_ERR_NOMEM;
        goto done;
    }
    /* readers of every value not yet ready, one entry per read */
    for (int i = 0; i < nn; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++) {
            int v = g->nodes[i].in[j];
            if (v >= 0 && !ready[v]) {
                start[v + 1]++;
                missing[i]++;
            }
        }
    for (int v = 0; v < nv; v++)
        start[v + 1] += start[v];
    for (int i = 0; i < nn; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++) {
            int v = g->nodes[i].in[j];
            if (v >= 0 && !ready[v])
                reader[start[v] + fill[v]++] = i;
        }
    for (int i = 0; i < nn; i++)
        if (missing[i] == 0)
            heap_push(heap, &n_heap, i);
    while (n_heap > 0) {
        int i = heap_pop(heap, &n_heap);
        order[n_done++] = i;
        for (int j = 0; j < g->nodes[i].n_out; j++) {
            int v = g->nodes[i].out[j];
            if (v < 0 || ready[v])
                continue;
            ready[v] = 1;
            for (int e = start[v]; e < start[v + 1]; e++)
                if (--missing[reader[e]] == 0)
                    heap_push(heap, &n_heap, reader[e]);
        }
    }
    if (n_done < nn) {
        for (int i = 0; i < nn; i++)
            if (missing[i] > 0) {
                dn_log("%s: the graph has a cycle through this node",
                       dn_node_label(&g->nodes[i], i, label, sizeof label));
                break;
            }
        st = DN_ERR_INVALID;
    }
done:
    free(missing);
    free(heap);
    free(start);
    free(fill);
    free(reader);
    return st;
}

enum dn_status dn_graph_finish(struct dn_graph *g)
{
    enum dn_status st = DN_OK;
    int *order = malloc(sizeof(int) * ((size_t)g->n_nodes + 1));
    unsigned char *ready = calloc((size_t)g->n_values + 1, 1);
    struct dn_node *sorted = NULL;
    char label[256];
    if (!order || !ready) {
        dn_log("out of memory sorting the graph");
        st = DN_ERR_NOMEM;
        goto fail;
    }
    for (int v = 0; v < g->n_values; v++)
        g->values[v].producer = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_out; j++) {
            int v = g->nodes[i].out[j];
            if (v < 0)
                continue;
            if (g->values[v].producer >= 0 || g->values[v].kind != DN_VALUE_INTER) {
                dn_log("%s: output '%s' is already defined elsewhere in the graph",
                       dn_node_label(&g->nodes[i], i, label, sizeof label), g->values[v].name);
                st = DN_ERR_INVALID;
                goto fail;
            }
            g->values[v].producer = i;
        }
    for (int v = 0; v < g->n_values; v++)
        ready[v] = g->values[v].kind != DN_VALUE_INTER;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++) {
            int v = g->nodes[i].in[j];
            if (v < 0)
                continue;
            if (!ready[v] && g->values[v].producer < 0) {
                dn_log("%s: input '%s' is not a graph input, an initializer or a node output",
                       dn_node_label(&g->nodes[i], i, label, sizeof label), g->values[v].name);
                st = DN_ERR_INVALID;
                goto fail;
            }
        }
    /* Kahn's algorithm with a min-heap of node indices: the ready node that
     * comes first in the file goes first, so a graph already in order (every
     * exporter's) keeps its order; O(E + N log N) for any other. */
    st = sort_nodes(g, ready, order);
    if (st != DN_OK)
        goto fail;
    for (int i = 0; i < g->n_outputs; i++)
        if (!ready[g->outputs[i]]) {
            dn_log("graph output '%s' is never produced", g->values[g->outputs[i]].name);
            st = DN_ERR_INVALID;
            goto fail;
        }
    sorted = malloc(sizeof *sorted * ((size_t)g->n_nodes + 1));
    if (!sorted) {
        dn_log("out of memory sorting the graph");
        st = DN_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < g->n_nodes; i++)
        sorted[i] = g->nodes[order[i]];
    free(g->nodes);
    g->nodes = sorted;
    g->cap_nodes = g->n_nodes + 1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_out; j++)
            if (g->nodes[i].out[j] >= 0)
                g->values[g->nodes[i].out[j]].producer = i;
fail:
    free(order);
    free(ready);
    return st;
}

enum dn_status dn_graph_clone(const struct dn_graph *src, struct dn_graph **out)
{
    struct dn_graph *g = calloc(1, sizeof *g);
    *out = NULL;
    if (!g)
        goto fail;
    g->values = calloc((size_t)src->n_values + 1, sizeof *g->values);
    g->nodes = calloc((size_t)src->n_nodes + 1, sizeof *g->nodes);
    g->inputs = malloc(sizeof(int) * ((size_t)src->n_inputs + 1));
    g->outputs = malloc(sizeof(int) * ((size_t)src->n_outputs + 1));
    if (!g->values || !g->nodes || !g->inputs || !g->outputs)
        goto fail;
    g->cap_values = src->n_values + 1;
    g->cap_nodes = src->n_nodes + 1;
    for (int i = 0; i < src->n_values; i++) {
        g->values[i] = src->values[i];
        g->values[i].borrowed = 1;
        g->values[i].name = dn_strdup(src->values[i].name);
        g->n_values++;
        if (!g->values[i].name)
            goto fail;
    }
    for (int i = 0; i < src->n_nodes; i++) {
        const struct dn_node *s = &src->nodes[i];
        struct dn_node *d = &g->nodes[i];
        *d = *s;
        d->name = dn_strdup(s->name);
        d->in = malloc(sizeof(int) * (size_t)(s->n_in + 1));
        d->out = malloc(sizeof(int) * (size_t)(s->n_out + 1));
        g->n_nodes++;
        if (!d->name || !d->in || !d->out)
            goto fail;
        memcpy(d->in, s->in, sizeof(int) * (size_t)s->n_in);
        memcpy(d->out, s->out, sizeof(int) * (size_t)s->n_out);
    }
    if (src->n_inputs) /* a graph without inputs has NULL arrays: no memcpy from NULL */
        memcpy(g->inputs, src->inputs, sizeof(int) * (size_t)src->n_inputs);
    if (src->n_outputs)
        memcpy(g->outputs, src->outputs, sizeof(int) * (size_t)src->n_outputs);
    g->n_inputs = src->n_inputs;
    g->n_outputs = src->n_outputs;
    g->ir_version = src->ir_version;
    g->opset = src->opset;
    *out = g;
    return DN_OK;
fail:
    dn_log("out of memory copying the graph");
    dn_graph_free(g);
    return DN_ERR_NOMEM;
}

/* ---- public accessors ---- */

int dn_graph_input_count(const struct dn_graph *g) { return g->n_inputs; }
int dn_graph_output_count(const struct dn_graph *g) { return g->n_outputs; }
const char *dn_graph_input_name(const struct dn_graph *g, int i) { return g->values[g->inputs[i]].name; }
const char *dn_graph_output_name(const struct dn_graph *g, int i) { return g->values[g->outputs[i]].name; }
struct dn_shape dn_graph_input_shape(const struct dn_graph *g, int i) { return g->values[g->inputs[i]].shape; }
struct dn_shape dn_graph_output_shape(const struct dn_graph *g, int i) { return g->values[g->outputs[i]].shape; }
const char *dn_graph_producer(const struct dn_graph *g) { return g->producer ? g->producer : ""; }
int64_t dn_graph_ir_version(const struct dn_graph *g) { return g->ir_version; }
int64_t dn_graph_opset(const struct dn_graph *g) { return g->opset; }
int dn_graph_meta_count(const struct dn_graph *g) { return g->n_meta; }

void dn_graph_meta_at(const struct dn_graph *g, int i, const char **key, const char **value)
{
    *key = g->meta[i].key;
    *value = g->meta[i].value;
}

const char *dn_graph_meta(const struct dn_graph *g, const char *key)
{
    for (int i = g->n_meta - 1; i >= 0; i--)
        if (strcmp(g->meta[i].key, key) == 0)
            return g->meta[i].value;
    return NULL;
}

int64_t dn_graph_param_count(const struct dn_graph *g)
{
    unsigned char *used = calloc((size_t)g->n_values + 1, 1);
    int64_t n = 0;
    if (!used)
        return -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (g->nodes[i].in[j] >= 0)
                used[g->nodes[i].in[j]] = 1;
    for (int v = 0; v < g->n_values; v++)
        if (used[v] && g->values[v].initializer)
            n += dn_shape_numel(&g->values[v].shape);
    free(used);
    return n;
}

int dn_graph_ends_in_softmax(const struct dn_graph *g)
{
    if (g->n_outputs < 1)
        return 0;
    int p = g->values[g->outputs[0]].producer;
    /* look through shape-only ops that may follow the Softmax */
    while (p >= 0 && (g->nodes[p].op == DN_OP_IDENTITY || g->nodes[p].op == DN_OP_FLATTEN ||
                      g->nodes[p].op == DN_OP_RESHAPE || g->nodes[p].op == DN_OP_SQUEEZE))
        p = g->values[g->nodes[p].in[0]].producer;
    return p >= 0 && g->nodes[p].op == DN_OP_SOFTMAX;
}

int dn_graph_op_histogram(const struct dn_graph *g, const char **ops, int *counts, int max)
{
    int n = 0;
    for (int i = -1; i < g->n_nodes; i++) {
        const char *name = i < 0 ? "Constant" : dn_op_get(g->nodes[i].op)->name;
        int c = i < 0 ? g->n_constant_nodes : 1;
        if (c == 0)
            continue;
        int k = 0;
        while (k < n && strcmp(ops[k], name) != 0)
            k++;
        if (k == n) {
            if (n == max)
                continue;
            ops[n] = name;
            counts[n++] = 0;
        }
        counts[k] += c;
    }
    return n;
}
