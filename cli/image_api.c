/* image_api.c: the image helper API of libdensenet (densenet-image.h), and
 * the pieces of classify it shares with the CLI: settling preprocessing for
 * a model, image bytes to tensor, softmax and top-k.
 *
 * A classifier borrows its graph and owns one session, rebuilt only when an
 * image's tensor shape differs from the last one, and its label strings,
 * settled at the first run (when the number of classes is known). Failures
 * are logged once through dn_log and returned as a status; nothing here
 * prints or exits.
 */
#include "densenet-image.h"
#include "core/graph.h"
#include "image.h"
#include "preprocess.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* models/imagenet_classes.txt, one label per line (generated at build time) */
extern const char cli_imagenet_labels[];

int cli_preprocess_opts_for_model(struct cli_preprocess_opts *o, const struct dn_graph *g,
                                  char *err, size_t errlen)
{
    static const char *keys[] = {"resize", "crop", "mean", "std", "gray"};
    cli_preprocess_opts_default(o);
    if (!g)
        return 0;
    if (dn_graph_input_count(g) == 1) {
        struct dn_shape s = dn_graph_input_shape(g, 0);
        /* another fixed input size gets torchvision's crop/resize ratio of
         * 224/256 at its size; one channel means gray */
        if (s.ndim == 4 && s.d[2] > 0 && s.d[3] > 0 && (s.d[2] != 224 || s.d[3] != 224)) {
            o->crop_h = (int)s.d[2];
            o->crop_w = (int)s.d[3];
            int64_t short_side = s.d[2] < s.d[3] ? s.d[2] : s.d[3];
            o->resize = (int)((short_side * 256 + 112) / 224);
        }
        if (s.ndim == 4 && s.d[1] == 1)
            o->gray = 1;
    }
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char key[64], why[200];
        snprintf(key, sizeof key, "densenet.%s", keys[i]);
        const char *v = dn_graph_meta(g, key);
        if (v && cli_preprocess_opts_set(o, keys[i], v, why, sizeof why)) {
            cli_set_err(err, errlen, "metadata %s: %s", key, why);
            return -1;
        }
    }
    return 0;
}

int cli_image_to_tensor(const unsigned char *data, size_t size, const struct cli_preprocess_opts *o,
                        const struct cli_image_limits *lim, float **out, int *c, int *h, int *w, char *err,
                        size_t errlen)
{
    struct cli_image img = {0};
    float *t = NULL;
    *out = NULL;
    if (cli_image_decode_within(data, size, lim, &img, err, errlen))
        goto fail;
    cli_preprocess_dims(o, img.width, img.height, c, h, w);
    t = malloc(sizeof(float) * (size_t)*c * (size_t)*h * (size_t)*w);
    if (!t) {
        cli_set_err(err, errlen, "out of memory for a %dx%dx%d tensor", *c, *h, *w);
        goto fail;
    }
    if (cli_preprocess_run(&img, o, t, err, errlen))
        goto fail;
    cli_image_free(&img);
    *out = t;
    return 0;
fail:
    free(t);
    cli_image_free(&img);
    return -1;
}

void cli_softmax(float *v, int n)
{
    float mx = -INFINITY;
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        mx = v[i] > mx ? v[i] : mx;
    for (int i = 0; i < n; i++)
        sum += exp((double)v[i] - mx);
    for (int i = 0; i < n; i++)
        v[i] = (float)(exp((double)v[i] - mx) / sum);
}

const char *cli_label_line(const char *p, size_t *len)
{
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
        n--;
    *len = n;
    return e ? e + 1 : NULL;
}

void cli_top_k(const float *scores, int n, int k, int *top)
{
    for (int r = 0; r < k; r++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            int taken = 0;
            for (int q = 0; q < r && !taken; q++)
                taken = top[q] == i;
            if (!taken && (best < 0 || scores[i] > scores[best] || (isnan(scores[best]) && !isnan(scores[i]))))
                best = i;
        }
        top[r] = best;
    }
}

/* ---- public API -------------------------------------------------------- */

static enum dn_status model_check(const struct dn_graph *g)
{
    if (!g || dn_graph_input_count(g) != 1 || dn_graph_input_shape(g, 0).ndim != 4) {
        dn_log("the image helper needs a model with one NCHW image input");
        return DN_ERR_ARG;
    }
    return DN_OK;
}

/* Decodes and preprocesses with settled options o into a 1xCxHxW tensor. */
static enum dn_status tensor_from(const struct cli_preprocess_opts *o, const void *data, size_t len,
                                  float **out, struct dn_shape *shape)
{
    char err[256];
    int c, h, w;
    const struct cli_image_limits lim = {CLI_DEFAULT_MAX_PIXELS, 0, NULL, NULL};
    if (cli_image_to_tensor(data, len, o, &lim, out, &c, &h, &w, err, sizeof err)) {
        dn_log("%s", err);
        return strncmp(err, "out of memory", 13) == 0 ? DN_ERR_NOMEM : DN_ERR_INVALID;
    }
    *shape = (struct dn_shape){4, {1, c, h, w}};
    return DN_OK;
}

static enum dn_status read_file(const char *path, unsigned char **bytes, size_t *len)
{
    char err[256];
    if (cli_file_read_all(path, bytes, len, err, sizeof err)) {
        dn_log("%s: %s", path, err);
        return DN_ERR_IO;
    }
    return DN_OK;
}

enum dn_status dn_image_tensor_buffer(const struct dn_graph *g, const void *data, size_t len,
                                      float **out, struct dn_shape *shape)
{
    struct cli_preprocess_opts o;
    char err[256];
    enum dn_status st;
    *out = NULL;
    if ((st = model_check(g)) != DN_OK)
        return st;
    if (cli_preprocess_opts_for_model(&o, g, err, sizeof err)) {
        dn_log("%s", err);
        return DN_ERR_INVALID;
    }
    return tensor_from(&o, data, len, out, shape);
}

enum dn_status dn_image_tensor_file(const struct dn_graph *g, const char *path,
                                    float **out, struct dn_shape *shape)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    enum dn_status st;
    *out = NULL;
    if ((st = model_check(g)) != DN_OK || (st = read_file(path, &bytes, &len)) != DN_OK)
        return st;
    st = dn_image_tensor_buffer(g, bytes, len, out, shape);
    free(bytes);
    return st;
}

struct dn_classifier {
    const struct dn_graph *g;           /* borrowed */
    struct dn_session_opts opts;        /* no_opt points to our copy, no_opt */
    char *no_opt;
    struct cli_preprocess_opts prep;
    int probs;                          /* 1: the model ends in Softmax */
    struct dn_session *s;               /* made for shape `have` */
    struct dn_shape have;
    char **labels;                      /* n_labels strings, set at the first run */
    int n_labels;
    float *scores;
    int *top;
};

enum dn_status dn_classifier_init(struct dn_classifier **out, const struct dn_graph *g,
                                  const struct dn_session_opts *opts)
{
    struct dn_classifier *c = NULL;
    char err[256];
    enum dn_status st;
    *out = NULL;
    if ((st = model_check(g)) != DN_OK)
        return st;
    if (!(c = calloc(1, sizeof *c))) {
        dn_log("out of memory");
        return DN_ERR_NOMEM;
    }
    c->g = g;
    if (opts)
        c->opts = *opts;
    else
        dn_session_opts_default(&c->opts);
    /* the caller's pass list need not outlive this call */
    if (c->opts.no_opt && !(c->opts.no_opt = c->no_opt = strdup(c->opts.no_opt))) {
        dn_log("out of memory");
        st = DN_ERR_NOMEM;
        goto fail;
    }
    if (cli_preprocess_opts_for_model(&c->prep, g, err, sizeof err)) {
        dn_log("%s", err);
        st = DN_ERR_INVALID;
        goto fail;
    }
    c->probs = dn_graph_ends_in_softmax(g);
    *out = c;
    return DN_OK;
fail:
    dn_classifier_free(c);
    return st;
}

void dn_classifier_free(struct dn_classifier *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_labels; i++)
        free(c->labels[i]);
    free(c->labels);
    free(c->scores);
    free(c->top);
    free(c->no_opt);
    dn_session_free(c->s);
    free(c);
}

/* Sets n labels: the model's, else ImageNet's for 1000, else indices (also
 * for classes past the end of a shorter list). Lines lose a trailing CR and
 * spaces, as in the CLI. */
static enum dn_status labels_settle(struct dn_classifier *c, int n)
{
    const char *text = dn_graph_meta(c->g, "densenet.labels");
    if (!text && n == 1000)
        text = cli_imagenet_labels;
    if (!(c->labels = calloc((size_t)n, sizeof *c->labels)) || !(c->scores = malloc(sizeof(float) * (size_t)n)) ||
        !(c->top = malloc(sizeof(int) * (size_t)n)))
        goto nomem;
    c->n_labels = n;
    for (int i = 0; i < n; i++) {
        if (text && *text) {
            size_t len;
            const char *next = cli_label_line(text, &len);
            c->labels[i] = strndup(text, len);
            text = next ? next : text + strlen(text);
        } else {
            char idx[16];
            snprintf(idx, sizeof idx, "%d", i);
            c->labels[i] = strdup(idx);
        }
        if (!c->labels[i])
            goto nomem;
    }
    return DN_OK;
nomem:
    dn_log("out of memory for %d labels", n);
    return DN_ERR_NOMEM;
}

static enum dn_status classify(struct dn_classifier *c, const float *input, const struct dn_shape *shape,
                               int k, struct dn_class *top, int *n)
{
    enum dn_status st;
    if (!c->s || memcmp(&c->have, shape, sizeof *shape) != 0) {
        dn_session_free(c->s);
        c->s = NULL;
        if ((st = dn_session_init_opts(&c->s, c->g, 1, shape, &c->opts)) != DN_OK)
            return st;
        c->have = *shape;
    }
    if ((st = dn_session_run(c->s, &input)) != DN_OK)
        return st;
    struct dn_tensor t = dn_session_output(c->s, 0);
    int64_t per = dn_shape_numel(&t.shape);
    if (t.dtype != DN_DTYPE_F32 || per < 1 || per > (1 << 24)) {
        dn_log("output 0 is not a row of float32 class scores");
        return DN_ERR_UNSUPPORTED;
    }
    if (!c->labels && (st = labels_settle(c, (int)per)) != DN_OK)
        return st;
    if (per != c->n_labels) {
        dn_log("output 0 has %lld classes, earlier images gave %d", (long long)per, c->n_labels);
        return DN_ERR_SHAPE;
    }
    memcpy(c->scores, t.data, sizeof(float) * (size_t)per);
    if (!c->probs)
        cli_softmax(c->scores, (int)per);
    *n = k < (int)per ? k : (int)per;
    cli_top_k(c->scores, (int)per, *n, c->top);
    for (int r = 0; r < *n; r++)
        top[r] = (struct dn_class){c->top[r], c->labels[c->top[r]], c->scores[c->top[r]]};
    return DN_OK;
}

enum dn_status dn_classifier_run_buffer(struct dn_classifier *c, const void *data, size_t len,
                                        int k, struct dn_class *top, int *n)
{
    float *input = NULL;
    struct dn_shape shape;
    enum dn_status st;
    *n = 0;
    if (!c || k < 1 || !top) {
        dn_log("dn_classifier_run: needs a classifier and k >= 1 result slots");
        return DN_ERR_ARG;
    }
    if ((st = tensor_from(&c->prep, data, len, &input, &shape)) == DN_OK)
        st = classify(c, input, &shape, k, top, n);
    free(input);
    return st;
}

enum dn_status dn_classifier_run_file(struct dn_classifier *c, const char *path,
                                      int k, struct dn_class *top, int *n)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    enum dn_status st;
    *n = 0;
    if ((st = read_file(path, &bytes, &len)) != DN_OK)
        return st;
    st = dn_classifier_run_buffer(c, bytes, len, k, top, n);
    free(bytes);
    return st;
}
