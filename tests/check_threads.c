/* tests/check_threads.c - one model, several sessions on several threads at once.
 *
 * A graph is immutable once built and may be shared: four threads each make
 * their own session of one built-in DenseNet-121 (each session with its own
 * thread pool of two), run it on their own input a few times, and every
 * output must equal, bit for bit, the output of a session run alone on the
 * same input. Built normally it checks results; built with
 * -fsanitize=thread it checks for data races (docs/RELIABILITY.md).
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/densenet.h"

#define THREADS 4
#define RUNS 3
#define SIZE 48

static struct dn_graph *graph;
static const struct dn_shape shape = {4, {1, 3, SIZE, SIZE}};
static float inputs[THREADS][3 * SIZE * SIZE];
static float *expected[THREADS];
static int64_t n_out;

struct job {
    int k;
    int failed;        /* a run failed */
    int differs;       /* an output differed from the one run alone */
};

/* one session on input k, RUNS runs; returns a malloc'ed copy of the last
 * output or NULL */
static float *run_alone(int k, struct job *j)
{
    struct dn_session_opts o;
    dn_session_opts_default(&o);
    o.threads = 2;
    struct dn_session *s;
    if (dn_session_init_opts(&s, graph, 1, &shape, &o) != DN_OK)
        return NULL;
    float *copy = NULL;
    const float *in[1] = {inputs[k]};
    for (int r = 0; r < RUNS; r++) {
        if (dn_session_run(s, in) != DN_OK)
            goto done;
        struct dn_tensor y = dn_session_output(s, 0);
        if (j && expected[k] && memcmp(y.data, expected[k], sizeof(float) * (size_t)n_out) != 0)
            j->differs = 1;
        if (!copy) {
            if (!j)
                n_out = dn_shape_numel(&y.shape); /* set before the threads start */
            copy = malloc(sizeof(float) * (size_t)n_out);
            if (!copy)
                goto done;
            memcpy(copy, y.data, sizeof(float) * (size_t)n_out);
        }
    }
done:
    dn_session_free(s);
    return copy;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    float *y = run_alone(j->k, j);
    j->failed = y == NULL;
    free(y);
    return NULL;
}

START_TEST(test_shared_graph)
{
    ck_assert_int_eq(dn_graph_densenet(&graph, "densenet121", 1, SIZE, 11), DN_OK);
    uint64_t x = 0x243f6a8885a308d3ull;
    for (int k = 0; k < THREADS; k++)
        for (int i = 0; i < 3 * SIZE * SIZE; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            inputs[k][i] = (float)(x >> 40) / 8388608.0f - 1.0f;
        }
    for (int k = 0; k < THREADS; k++) {
        expected[k] = run_alone(k, NULL);
        ck_assert_ptr_nonnull(expected[k]);
    }
    pthread_t th[THREADS];
    struct job jobs[THREADS];
    for (int k = 0; k < THREADS; k++) {
        jobs[k] = (struct job){k, 0, 0};
        ck_assert_int_eq(pthread_create(&th[k], NULL, worker, &jobs[k]), 0);
    }
    for (int k = 0; k < THREADS; k++)
        pthread_join(th[k], NULL);
    for (int k = 0; k < THREADS; k++) {
        ck_assert_msg(!jobs[k].failed, "session %d failed", k);
        ck_assert_msg(!jobs[k].differs, "session %d gave another output than alone", k);
        free(expected[k]);
    }
    dn_graph_free(graph);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("shared graph");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_shared_graph);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
