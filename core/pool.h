/* pool.h: the session's thread pool (ggml style). dn_pool_run hands one
 * function to every thread; each gets its index ith of nth and does its own
 * slice, and dn_pool_barrier separates the phases inside it. The caller is
 * thread 0. The pool owns its threads; sessions own their pool. */
#ifndef DN_POOL_H
#define DN_POOL_H

#include "densenet.h"

struct dn_pool;
typedef void (*dn_pool_fn)(void *arg, int ith, int nth);

/* nth >= 1 threads in all (nth - 1 are started). */
enum dn_status dn_pool_init(struct dn_pool **out, int nth);
void dn_pool_free(struct dn_pool *p);
int dn_pool_size(const struct dn_pool *p);
/* Runs fn(arg, ith, nth) on every thread; returns when all have returned. */
void dn_pool_run(struct dn_pool *p, dn_pool_fn fn, void *arg);
/* Called by all nth threads inside fn: none passes until all have arrived. */
void dn_pool_barrier(struct dn_pool *p);

#endif
