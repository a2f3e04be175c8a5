/* passes.c: graph rewrites that a session applies after shape inference.
 *
 * Passes work on the session's own clone, in place: they may kill nodes
 * (dead = 1), retarget node inputs, and mark a value as a view of another
 * (alias_of / alias_channel), which the planner then honours by placing both
 * in one buffer. Every pass preserves the results bit for bit: these are
 * exact rewrites, never approximations.
 */
#include "passes.h"

static int is_graph_output(const struct dn_graph *g, int v)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == v)
            return 1;
    return 0;
}

/* Identity and inference-mode Dropout copy their input: readers of the output
 * read the input instead, and the node goes. Graph outputs keep their node. */
void dn_pass_remove_copies(struct dn_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        struct dn_node *n = &g->nodes[i];
        if (n->dead || (n->op != DN_OP_IDENTITY && n->op != DN_OP_DROPOUT))
            continue;
        int from = n->out[0], to = n->in[0];
        if (is_graph_output(g, from))
            continue;
        for (int k = i + 1; k < g->n_nodes; k++)
            for (int j = 0; j < g->nodes[k].n_in; j++)
                if (g->nodes[k].in[j] == from)
                    g->nodes[k].in[j] = to;
        n->dead = 1;
    }
}

/* Ops that only reinterpret a shape write the same bytes they read: their
 * output becomes a view of their input (the kernel then has nothing to copy). */
void dn_pass_alias_reshapes(struct dn_graph *g)
{
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
}
