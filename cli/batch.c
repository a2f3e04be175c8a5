/* batch.c: the batching loop of classify, eval and bench (see batch.h).
 *
 * Two slots, each a batch buffer with its item indices and the load failures
 * met while filling it. The loader thread fills slot 0, 1, 0, ... and waits
 * while the next one is still full; the calling thread takes them in the same
 * order, prints the failures, runs the batch, hands it to the sink and gives
 * the slot back. `full` (under the mutex) says who owns a slot; `stop` asks
 * the loader to quit early. An item whose shape differs from its batch's is
 * carried over to start the next one. Without a thread (pthread_create
 * failed) the calling thread fills each slot itself.
 */
#include "batch.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FAILS 32 /* load failures per slot; more close the batch early */

struct failure {
    int item;
    char msg[256];
};

struct slot {
    float *data;               /* size items of chw */
    size_t cap;                /* floats allocated */
    int *items, n;
    struct dn_shape chw;
    struct failure fails[MAX_FAILS];
    int n_fails;
    int last;                  /* nothing follows this slot */
    int full;                  /* filled: the runner's until it clears this */
};

struct pipeline {
    struct cli_batch *b;
    const struct cli_batch_source *src;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot slot[2];
    atomic_int stop;
    /* the loader's own */
    int next;                  /* next item to load */
    float *carry;              /* loaded item that starts the next batch */
    struct dn_shape carry_chw;
    int carry_item;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static size_t b_max_memory(const struct cli_batch *b)
{
    return b->opts && b->opts->max_memory ? b->opts->max_memory : dn_default_max_memory();
}

/* Takes the next item: the carried one, or a fresh load. 1 when one was
 * loaded, 0 at the end, -1 when it failed (recorded in sl). */
static int next_item(struct pipeline *p, struct slot *sl, float **t, struct dn_shape *chw, int *item)
{
    if (p->carry) {
        *t = p->carry;
        *chw = p->carry_chw;
        *item = p->carry_item;
        p->carry = NULL;
        return 1;
    }
    if (p->src->n >= 0 && p->next >= p->src->n)
        return 0;
    *item = p->next++;
    struct failure *f = &sl->fails[sl->n_fails];
    if (p->src->load(p->src->user, *item, t, chw, f->msg, sizeof f->msg) == 0)
        return 1;
    f->item = *item;
    sl->n_fails++;
    return -1;
}

/* Fills sl with up to b->size consecutive items of one shape. */
static void fill(struct pipeline *p, struct slot *sl)
{
    size_t size = (size_t)p->b->size;
    sl->n = sl->n_fails = sl->last = 0;
    while ((size_t)sl->n < size && sl->n_fails < MAX_FAILS) {
        float *t;
        struct dn_shape chw;
        int item, got;
        if (atomic_load(&p->stop) || (got = next_item(p, sl, &t, &chw, &item)) == 0) {
            sl->last = 1;
            return;
        }
        if (got < 0)
            continue;
        if (sl->n > 0 && memcmp(&chw, &sl->chw, sizeof chw) != 0) {
            p->carry = t;
            p->carry_chw = chw;
            p->carry_item = item;
            return;
        }
        size_t each = (size_t)dn_shape_numel(&chw);
        size_t limit = b_max_memory(p->b);
        if (sl->n == 0 && each > limit / sizeof(float) / 2 / size) {
            /* the two batch buffers count in --max-memory */
            struct failure *f = &sl->fails[sl->n_fails++];
            f->item = item;
            snprintf(f->msg, sizeof f->msg, "a batch of %zu such inputs needs %.0f MiB in two buffers, "
                     "more than --max-memory %zu MiB", size, ceil(2.0 * sizeof(float) * each * size / 1048576.0),
                     limit >> 20);
            free(t);
            continue;
        }
        if (sl->n == 0 && sl->cap < each * size) {
            float *nd = realloc(sl->data, sizeof(float) * each * size);
            if (!nd) {
                struct failure *f = &sl->fails[sl->n_fails++];
                f->item = item;
                snprintf(f->msg, sizeof f->msg, "out of memory for a batch of %zu", size);
                free(t);
                continue;
            }
            sl->data = nd;
            sl->cap = each * size;
        }
        sl->chw = chw;
        memcpy(sl->data + each * (size_t)sl->n, t, sizeof(float) * each);
        free(t);
        sl->items[sl->n++] = item;
    }
}

static void *loader(void *arg)
{
    struct pipeline *p = arg;
    for (int k = 0;; k ^= 1) {
        struct slot *sl = &p->slot[k];
        pthread_mutex_lock(&p->mu);
        while (sl->full && !atomic_load(&p->stop))
            pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
        if (atomic_load(&p->stop))
            break;
        fill(p, sl);
        pthread_mutex_lock(&p->mu);
        sl->full = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (sl->last)
            break;
    }
    return NULL;
}

/* Runs one filled slot; returns what the sink said, or -1 on a fatal error. */
static int run_slot(struct cli_batch *b, const struct cli_batch_source *src, struct slot *sl,
                    cli_batch_sink sink, void *user, int *done)
{
    struct dn_shape want = {4, {sl->n, sl->chw.d[0], sl->chw.d[1], sl->chw.d[2]}};
    const char *first = src->name(src->user, sl->items[0]);
    enum dn_status st = cli_session_for(b->g, &b->s, &b->shape, &want, first, b->model_path, b->opts);
    if (st != DN_OK) {
        for (int i = 1; i < sl->n; i++)
            cli_err(src->name(src->user, sl->items[i]), "skipped: the model cannot take this input");
        b->failed += sl->n;
        *done += sl->n;
        return st == DN_ERR_SHAPE ? 0 : -1;
    }
    const float *in[1] = {sl->data};
    cli_diag_set_file(b->model_path);
    double t0 = now_ms();
    st = dn_session_run(b->s, in);
    double ms = now_ms() - t0;
    cli_diag_set_file(NULL);
    if (st != DN_OK) {
        b->failed += sl->n;
        return -1;
    }
    *done += sl->n;
    struct cli_batch_pass pass = {sl->items, sl->n, b->s, ms, *done, sl->data, sl->chw};
    return sink(user, &pass);
}

const float *cli_batch_scores(const struct cli_batch_pass *pass, const char *model_path, int64_t *per)
{
    struct dn_tensor out = dn_session_output(pass->s, 0);
    *per = dn_shape_numel(&out.shape) / pass->n;
    if (out.dtype != DN_DTYPE_F32 || out.shape.ndim < 1 || out.shape.d[0] != pass->n || *per < 1) {
        cli_err(model_path, "the first output is not a float32 batch of class scores");
        return NULL;
    }
    return out.data;
}

int cli_batch_run(struct cli_batch *b, const struct cli_batch_source *src, cli_batch_sink sink, void *user)
{
    struct pipeline p;
    pthread_t th;
    int threaded = 0, fatal = 0, done = 0;
    memset(&p, 0, sizeof p);
    p.b = b;
    p.src = src;
    atomic_init(&p.stop, 0);
    for (int k = 0; k < 2; k++) {
        p.slot[k].items = malloc(sizeof(int) * (size_t)b->size);
        if (!p.slot[k].items) {
            cli_err(NULL, "out of memory for a batch of %d", b->size);
            fatal = 1;
            goto done;
        }
    }
    if (pthread_mutex_init(&p.mu, NULL) == 0) {
        if (pthread_cond_init(&p.cv, NULL) == 0) {
            threaded = pthread_create(&th, NULL, loader, &p) == 0;
            if (!threaded)
                pthread_cond_destroy(&p.cv);
        }
        if (!threaded)
            pthread_mutex_destroy(&p.mu);
    }
    for (int k = 0;; k ^= 1) {
        struct slot *sl = &p.slot[k];
        if (threaded) {
            pthread_mutex_lock(&p.mu);
            while (!sl->full)
                pthread_cond_wait(&p.cv, &p.mu);
            pthread_mutex_unlock(&p.mu);
        } else {
            fill(&p, sl);
        }
        for (int i = 0; i < sl->n_fails; i++)
            cli_err(src->name(src->user, sl->fails[i].item), "%s", sl->fails[i].msg);
        b->failed += sl->n_fails;
        done += sl->n_fails;
        int r = sl->n ? run_slot(b, src, sl, sink, user, &done) : 0;
        int last = sl->last;
        if (threaded) {
            pthread_mutex_lock(&p.mu);
            sl->full = 0;
            pthread_cond_broadcast(&p.cv);
            pthread_mutex_unlock(&p.mu);
        }
        if (r != 0 || last) {
            fatal = r < 0;
            break;
        }
    }
    atomic_store(&p.stop, 1);
    if (threaded) {
        pthread_mutex_lock(&p.mu);
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
        pthread_join(th, NULL);
        pthread_cond_destroy(&p.cv);
        pthread_mutex_destroy(&p.mu);
    }
done:
    for (int k = 0; k < 2; k++) {
        free(p.slot[k].items);
        free(p.slot[k].data);
    }
    free(p.carry);
    return fatal ? CLI_EXIT_MODEL : b->failed ? CLI_EXIT_INPUT : CLI_EXIT_OK;
}
