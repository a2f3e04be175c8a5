/* batch.h: the one batching loop of classify, eval and bench.
 *
 * Items (image files, IDX images, synthetic tensors) are loaded in order by a
 * loader thread into one of two batch buffers while the calling thread runs
 * the forward pass on the other, so decoding overlaps compute and memory stays
 * at two batches plus one item. A batch holds up to `size` consecutive items
 * of one tensor shape; a shape change closes it early. Results reach the sink
 * on the calling thread, in item order; an item that cannot be loaded is
 * reported there too, in order ("densenet: NAME: reason"), and skipped.
 */
#ifndef CLI_BATCH_H
#define CLI_BATCH_H

#include "cli.h"

struct cli_batch_source {
    int n;  /* items; < 0: endless, until the sink asks to stop */
    /* Loads item i as a malloc'ed CHW float tensor. Runs on the loader
     * thread: must not print; on failure writes the reason to err and
     * returns -1 (the item is then reported and skipped). */
    int (*load)(void *user, int i, float **out, struct dn_shape *chw, char *err, size_t errlen);
    /* Item i's name for messages (file name, data set); calling thread only. */
    const char *(*name)(void *user, int i);
    void *user;
};

/* One forward pass, as the sink sees it. */
struct cli_batch_pass {
    const int *items;          /* item indices, in order */
    int n;
    struct dn_session *s;      /* its outputs are this batch's, until the next pass */
    double run_ms;             /* wall time of dn_session_run */
    int done;                  /* items finished so far, failed ones included */
    const float *input;        /* the batch's input tensor: n items of chw */
    struct dn_shape chw;
};
/* Returns 0 to go on, 1 to stop (the rest is not loaded), -1 for a fatal
 * problem it has reported (cli_batch_run then returns CLI_EXIT_MODEL). */
typedef int (*cli_batch_sink)(void *user, const struct cli_batch_pass *pass);

struct cli_batch {
    const struct dn_graph *g;            /* one NCHW input */
    const char *model_path;              /* names the model in messages */
    const struct dn_session_opts *opts;  /* NULL: defaults */
    int size;                            /* items per pass, >= 1 */
    /* The session and the input shape it was made for; may be set up front
     * (bench) and is kept between calls; the caller frees s. */
    struct dn_session *s;
    struct dn_shape shape;
    int failed;                          /* items skipped so far */
};

/* Output 0 of a pass as n rows of *per float32 class scores; NULL after
 * reporting under model_path when the model's output is not that. */
const float *cli_batch_scores(const struct cli_batch_pass *pass, const char *model_path, int64_t *per);

/* Runs every item of src through b's model and hands each pass to sink.
 * A batch the model cannot take (a shape error) is reported and skipped;
 * any other session or run error stops everything. Returns CLI_EXIT_OK,
 * CLI_EXIT_INPUT when items were skipped, or CLI_EXIT_MODEL when it stopped
 * on an error (reported). */
int cli_batch_run(struct cli_batch *b, const struct cli_batch_source *src, cli_batch_sink sink, void *user);

#endif
