/* exec.h: the optimized executor: a step per live node, chosen and packed once
 * at session init, run by the session's thread pool.
 *
 * dn_exec_init selects each step's kernel and packs its weights (it reads
 * the graph's constants and the pass fusions, and keeps pointers into both:
 * the session must keep them alive). dn_exec_bind resolves activation
 * pointers once the planner has placed the values. dn_exec_run allocates
 * nothing and cannot fail halfway for lack of memory.
 */
#ifndef DN_EXEC_H
#define DN_EXEC_H

#include "graph.h"
#include "passes.h"

struct dn_exec;

/* order: live node indices in execution order; node_macs: per node of g,
 * the MACs a reference step reports; release: free each weight the graph
 * owns once it is packed and nothing else reads it. isa: REFERENCE runs every
 * node with its reference kernel on one thread. */
enum dn_status dn_exec_init(struct dn_exec **out, struct dn_graph *g, const struct dn_fusion *fx,
                            const int *order, int n_order, const int64_t *node_macs,
                            enum dn_isa isa, int threads, int profile, int release);
/* Bytes of the shared and per-thread buffers dn_exec_alloc allocates. */
size_t dn_exec_buffer_bytes(const struct dn_exec *e);
enum dn_status dn_exec_alloc(struct dn_exec *e);
void dn_exec_bind(struct dn_exec *e);
enum dn_status dn_exec_run(struct dn_exec *e);
void dn_exec_free(struct dn_exec *e);
int dn_exec_step_count(const struct dn_exec *e);
void dn_exec_step_info(const struct dn_exec *e, int i, struct dn_node_info *info);
size_t dn_exec_weight_bytes(const struct dn_exec *e);
/* The node of the last step that a batch runs image by image (the leading
 * steps on large maps, interleaving their images), or -1 when none does;
 * the planner keeps what those steps touch alive through all of them. */
int dn_exec_split_node(const struct dn_exec *e);
/* The node of the last of those steps that run one image at a time on all
 * threads, or -1: what only they touch can be planned for one image. */
int dn_exec_wide_node(const struct dn_exec *e);
int dn_exec_threads(const struct dn_exec *e);

#endif
