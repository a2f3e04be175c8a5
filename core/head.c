/* head.c: finds the pooled linear classifier at the end of a model (see
 * head.h), and the arithmetic of class activation maps over its input.
 *
 * The search reads the graph and never changes it; everything it returns is
 * copied, so the graph may be rewritten and its weights released afterwards.
 */
#include "head.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one live node reading v (once), or -1 when none or several do. */
static int only_reader(const struct dn_graph *g, int v)
{
    int found = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const struct dn_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] == v) {
                if (found >= 0)
                    return -1;
                found = i;
            }
    }
    return found;
}

static const float *const_data(const struct dn_graph *g, int v, int64_t numel)
{
    if (v < 0 || g->values[v].kind != DN_VALUE_CONST || g->values[v].dtype != DN_DTYPE_F32 ||
        !g->values[v].data || (numel >= 0 && dn_shape_numel(&g->values[v].shape) != numel))
        return NULL;
    return g->values[v].data;
}

/* 1 if node n pools a whole 4-D float map down to 1x1 */
static int is_global_pool(const struct dn_graph *g, const struct dn_node *n)
{
    if (n->dead || (n->op != DN_OP_GLOBALAVGPOOL && n->op != DN_OP_AVGPOOL) || n->n_out != 1)
        return 0;
    const struct dn_value *x = &g->values[n->in[0]];
    if (x->shape.ndim != 4 || x->dtype != DN_DTYPE_F32)
        return 0;
    if (n->op == DN_OP_GLOBALAVGPOOL)
        return 1;
    const struct dn_window *w = &n->p.win;
    return w->kernel[0] == x->shape.d[2] && w->kernel[1] == x->shape.d[3] && !w->pads[0] && !w->pads[1] &&
           !w->pads[2] && !w->pads[3] && w->auto_pad == DN_PAD_NOTSET && w->dilation[0] == 1 &&
           w->dilation[1] == 1;
}

static int is_view(enum dn_op op)
{
    return op == DN_OP_FLATTEN || op == DN_OP_RESHAPE || op == DN_OP_SQUEEZE || op == DN_OP_IDENTITY ||
           op == DN_OP_DROPOUT;
}

/* Bias of J values from constant c (J values or one), scaled; NULL c: zeros. */
static void fill_bias(float *bias, int64_t J, const struct dn_graph *g, int c, float scale)
{
    const float *b = c >= 0 ? const_data(g, c, -1) : NULL;
    int64_t nb = b ? dn_shape_numel(&g->values[c].shape) : 0;
    for (int64_t j = 0; j < J; j++)
        bias[j] = b ? scale * b[nb == 1 ? 0 : j] : 0.0f;
}

/* Follows pooling node p to its classifier and fills h; 0, or -1 with the
 * reason in why. */
static int match(const struct dn_graph *g, int p, struct dn_head *h, char *why, size_t len)
{
    const struct dn_node *pn = &g->nodes[p];
    const int64_t K = g->values[pn->in[0]].shape.d[1];
    char label[256];
    int v = pn->out[0], u;
    while ((u = only_reader(g, v)) >= 0 && is_view(g->nodes[u].op) && g->nodes[u].in[0] == v)
        v = g->nodes[u].out[0];
    if (u < 0) {
        snprintf(why, len, "the output of %s has no single reader that could be the classifier",
                 dn_node_label(pn, p, label, sizeof label));
        return -1;
    }
    const struct dn_node *n = &g->nodes[u];
    const struct dn_shape *vs = &g->values[v].shape;
    const float *w = NULL;
    int64_t J = 0;
    int trans = 0, bias_v = -1;
    float alpha = 1.0f, beta = 1.0f;
    if (n->op == DN_OP_CONV && n->in[0] == v && vs->ndim == 4) {
        const struct dn_shape *ws = &g->values[n->in[1]].shape;
        J = ws->d[0];
        if (ws->ndim == 4 && ws->d[1] == K && ws->d[2] == 1 && ws->d[3] == 1 && n->p.win.group == 1 &&
            !n->p.win.pads[0] && !n->p.win.pads[1] && !n->p.win.pads[2] && !n->p.win.pads[3])
            w = const_data(g, n->in[1], J * K);
        trans = 1;
        bias_v = n->n_in > 2 ? n->in[2] : -1;
    } else if (n->op == DN_OP_GEMM && n->in[0] == v && vs->ndim == 2 && !n->p.gemm.trans_a &&
               vs->d[1] == K && g->values[n->in[1]].shape.ndim == 2) {
        const struct dn_shape *bs = &g->values[n->in[1]].shape;
        trans = n->p.gemm.trans_b;
        J = trans ? bs->d[0] : bs->d[1];
        if ((trans ? bs->d[1] : bs->d[0]) == K)
            w = const_data(g, n->in[1], J * K);
        alpha = n->p.gemm.alpha;
        beta = n->p.gemm.beta;
        bias_v = n->n_in > 2 ? n->in[2] : -1;
    } else if (n->op == DN_OP_MATMUL && n->in[0] == v && vs->ndim == 2 && vs->d[1] == K &&
               g->values[n->in[1]].shape.ndim == 2 && g->values[n->in[1]].shape.d[0] == K) {
        J = g->values[n->in[1]].shape.d[1];
        w = const_data(g, n->in[1], J * K);
        int a = only_reader(g, n->out[0]);
        if (a >= 0 && g->nodes[a].op == DN_OP_ADD) {
            int other = g->nodes[a].in[0] == n->out[0] ? g->nodes[a].in[1] : g->nodes[a].in[0];
            if (const_data(g, other, J) || const_data(g, other, 1))
                bias_v = other;
        }
    } else {
        snprintf(why, len, "%s after the global pooling is not a Gemm, MatMul or 1x1 Conv classifier "
                 "reached through Flatten, Reshape or Squeeze only", dn_node_label(n, u, label, sizeof label));
        return -1;
    }
    if (!w || J < 1) {
        snprintf(why, len, "the classifier %s has no constant %lld-input weight it could use",
                 dn_node_label(n, u, label, sizeof label), (long long)K);
        return -1;
    }
    if (bias_v >= 0 && !const_data(g, bias_v, J) && !const_data(g, bias_v, 1)) {
        snprintf(why, len, "the classifier %s has a bias that is not a constant of %lld values",
                 dn_node_label(n, u, label, sizeof label), (long long)J);
        return -1;
    }
    h->weight = malloc(sizeof(float) * (size_t)(J * K));
    h->bias = malloc(sizeof(float) * (size_t)J);
    if (!h->weight || !h->bias) {
        dn_head_free(h);
        return -2;
    }
    for (int64_t c = 0; c < J; c++)
        for (int64_t k = 0; k < K; k++)
            h->weight[c * K + k] = alpha * (trans ? w[c * K + k] : w[k * J + c]);
    fill_bias(h->bias, J, g, bias_v, beta);
    h->feature = pn->in[0];
    h->pool = p;
    h->K = K;
    h->J = J;
    return 0;
}

enum dn_status dn_head_find(const struct dn_graph *g, struct dn_head *h)
{
    char why[512] = "";
    memset(h, 0, sizeof *h);
    h->feature = h->pool = -1;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        if (!is_global_pool(g, &g->nodes[i]))
            continue;
        int r = match(g, i, h, why, sizeof why);
        if (r == 0)
            return DN_OK;
        if (r == -2) {
            dn_log("out of memory copying the classifier's weights");
            return DN_ERR_NOMEM;
        }
    }
    if (why[0])
        dn_log("no class activation maps for this model: %s", why);
    else
        dn_log("no class activation maps for this model: it has no GlobalAveragePool (or AveragePool "
               "over the whole map) before its classifier");
    return DN_ERR_UNSUPPORTED;
}

void dn_head_free(struct dn_head *h)
{
    if (!h)
        return;
    free(h->weight);
    free(h->bias);
    h->weight = h->bias = NULL;
    h->feature = -1;
}

void dn_head_pooled(const struct dn_tensor *f, float *out)
{
    const int64_t N = f->shape.d[0], K = f->shape.d[1], S = f->shape.d[2] * f->shape.d[3];
    const float *x = f->data;
    /* summed in order, then divided: what the GlobalAveragePool computes */
    for (int64_t p = 0; p < N * K; p++) {
        float acc = 0.0f;
        for (int64_t i = 0; i < S; i++)
            acc += x[p * S + i];
        out[p] = acc / (float)S;
    }
}

void dn_head_cam(const struct dn_head *h, const struct dn_tensor *f, int64_t image, int64_t cls, float *out)
{
    const int64_t K = h->K, S = f->shape.d[2] * f->shape.d[3];
    const float *x = (const float *)f->data + image * K * S, *w = h->weight + cls * K;
    /* each pixel summed over the maps in one order, in double */
    for (int64_t i = 0; i < S; i++) {
        double acc = 0.0;
        for (int64_t k = 0; k < K; k++)
            acc += (double)w[k] * x[k * S + i];
        out[i] = (float)acc;
    }
}
