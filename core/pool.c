/* pool.c: a small pthread pool with spinning workers and a spin barrier.
 *
 * Workers wait for a new job generation: they spin for a while (the next step
 * or run usually comes within microseconds) and then sleep on a condition
 * variable, so an idle session costs no CPU. The barrier is a counter plus a
 * generation: the last thread to arrive resets the counter and bumps the
 * generation the others spin on. All shared state is in the pool; threads
 * get their slice as parameters.
 */
#include "pool.h"
#include "graph.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define SPINS 200000

struct dn_pool {
    int n;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int job_gen;       /* bumped for every job and for shutdown */
    atomic_int done;          /* workers finished with the current job */
    atomic_int stop;
    dn_pool_fn fn;
    void *arg;
    atomic_int bar_count;
    atomic_int bar_gen;
    int started;
};

struct worker_arg {
    struct dn_pool *p;
    int ith;
};

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *worker(void *varg)
{
    struct worker_arg wa = *(struct worker_arg *)varg;
    struct dn_pool *p = wa.p;
    free(varg);
    int seen = 0;
    for (;;) {
        int spins = 0, gen;
        while ((gen = atomic_load_explicit(&p->job_gen, memory_order_acquire)) == seen) {
            if (++spins < SPINS) {
                relax();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->job_gen) == seen)
                pthread_cond_wait(&p->cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        seen = gen;
        if (atomic_load(&p->stop))
            return NULL;
        p->fn(p->arg, wa.ith, p->n);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

enum dn_status dn_pool_init(struct dn_pool **out, int nth)
{
    struct dn_pool *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        goto nomem;
    p->n = nth < 1 ? 1 : nth;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = calloc((size_t)p->n, sizeof *p->threads);
    if (!p->threads)
        goto nomem;
    for (int i = 1; i < p->n; i++) {
        struct worker_arg *wa = malloc(sizeof *wa);
        if (!wa)
            goto nomem;
        wa->p = p;
        wa->ith = i;
        if (pthread_create(&p->threads[i], NULL, worker, wa) != 0) {
            free(wa);
            dn_log("cannot start thread %d of %d", i + 1, p->n);
            dn_pool_free(p);
            return DN_ERR_NOMEM;
        }
        p->started = i;
    }
    *out = p;
    return DN_OK;
nomem:
    dn_log("out of memory creating a thread pool");
    dn_pool_free(p);
    return DN_ERR_NOMEM;
}

void dn_pool_free(struct dn_pool *p)
{
    if (!p)
        return;
    if (p->started > 0) {
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->stop, 1);
        atomic_fetch_add(&p->job_gen, 1);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        for (int i = 1; i <= p->started; i++)
            pthread_join(p->threads[i], NULL);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}

int dn_pool_size(const struct dn_pool *p)
{
    return p ? p->n : 1;
}

void dn_pool_run(struct dn_pool *p, dn_pool_fn fn, void *arg)
{
    if (p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store(&p->done, 0);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->job_gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    for (int spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) < p->n - 1; spins++) {
        if (spins < 4000)
            relax();
        else
            sched_yield();
    }
}

void dn_pool_barrier(struct dn_pool *p)
{
    if (p->n == 1)
        return;
    int gen = atomic_load_explicit(&p->bar_gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&p->bar_count, 1, memory_order_acq_rel) == p->n - 1) {
        atomic_store_explicit(&p->bar_count, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&p->bar_gen, 1, memory_order_release);
    } else {
        /* spin, then yield: with more threads than free cores a waiting
         * thread must not hold the core the last one needs */
        for (int spins = 0; atomic_load_explicit(&p->bar_gen, memory_order_acquire) == gen; spins++) {
            if (spins < 4000)
                relax();
            else
                sched_yield();
        }
    }
}
