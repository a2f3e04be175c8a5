/* cmd_eval.c: `densenet eval [-m MODEL] [--json] DATASET`: top-1/top-5 accuracy
 * and throughput over a labelled data set.
 *
 * DATASET is either a folder with one subfolder of images per class, or an IDX
 * images file (MNIST / Fashion-MNIST format, gzipped or not) with its labels
 * file beside it (X-images-idx3-ubyte[.gz] -> X-labels-idx1-ubyte[.gz]) or
 * named by --idx-labels. Folder classes map to the model's labels by name when
 * the model has labels, else by sorted folder order. IDX images are 8-bit gray
 * and go through the same preprocessing as a gray PNG would.
 *
 * With --files-from, the images are listed instead (one path a line, "-":
 * stdin), each labelled by the name of its folder: a model label (any
 * case) or a class index. Then --json prints one line per image, keyed by
 * file ({"file", "class", "rank", "top1", "top5"}), so that GNU parallel can
 * split a list over jobs and the lines merge by concatenation. */
#include "batch.h"
#include "idx.h"
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#define IDX_MAX_BYTES ((size_t)1 << 31)

struct sample {
    char *path;          /* folder data sets */
    int label;
};

struct dataset {
    /* folder form */
    struct sample *samples;
    int n;
    /* IDX form */
    unsigned char *pixels;
    int rows, cols;
    unsigned char *labels;
};

static void help(void)
{
    printf("Usage: densenet eval [-m MODEL] [--json] [--batch N] [--limit N]\n"
           "                     [--idx-labels FILE] [OPTIONS] DATASET\n"
           "       densenet eval [-m MODEL] [--json] [--batch N] --files-from FILE [OPTIONS]\n\n"
           "Measures top-1 and top-5 accuracy (percent) and images per second.\n"
           "DATASET is a folder with one subfolder of images per class, or an IDX\n"
           "images file (MNIST/Fashion-MNIST format, .gz or not) whose labels file is\n"
           "found beside it (X-images-idx3-ubyte -> X-labels-idx1-ubyte).\n\n"
           "  -m, --model MODEL       ONNX model or builtin:ARCH (default: the shipped\n"
           "                          Fashion-MNIST model)\n"
           "  -j, --json              one JSON object: images, top1, top5, images_per_s, ...\n"
           "  -b, --batch N           images per forward pass (default 32)\n"
           "  -n, --limit N           evaluate only the first N images\n"
           "      --idx-labels FILE   IDX labels file for an IDX images file\n"
           "      --files-from FILE   evaluate the images listed in FILE ('-': stdin), each\n"
           "                          labelled by its folder's name; --json then prints\n"
           "                          one line per image: file, class, rank, top1, top5\n"
           "  -h, --help              show this help\n");
    cli_prep_help();
    cli_sess_help(0);
}

static void dataset_free(struct dataset *d)
{
    for (int i = 0; i < d->n && d->samples; i++)
        free(d->samples[i].path);
    free(d->samples);
    free(d->pixels);
    free(d->labels);
}

/* Reads a whole (possibly gzipped) file; zlib's gzread passes plain files through. */
static int read_gz(const char *path, unsigned char **buf, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    size_t cap = 1 << 20;
    *len = 0;
    *buf = NULL;
    if (!f) {
        cli_err(path, "%s", errno ? strerror(errno) : "cannot open");
        return -1;
    }
    for (;;) {
        if (!*buf || *len == cap) {
            if (*buf)
                cap *= 2;
            unsigned char *nb = cap <= IDX_MAX_BYTES ? realloc(*buf, cap) : NULL;
            if (!nb) {
                cli_err(path, "file is too large");
                goto fail;
            }
            *buf = nb;
        }
        int r = gzread(f, *buf + *len, (unsigned)(cap - *len));
        if (r < 0) {
            int e;
            cli_err(path, "read error: %s", gzerror(f, &e));
            goto fail;
        }
        if (r == 0)
            break;
        *len += (size_t)r;
    }
    gzclose(f);
    return 0;
fail:
    gzclose(f);
    free(*buf);
    *buf = NULL;
    return -1;
}

static int load_idx(struct dataset *d, const char *images, const char *labels_arg)
{
    unsigned char *ib = NULL, *lb = NULL;
    size_t il, ll;
    char labels[4096], err[256];
    uint32_t n, rows, cols;
    if (read_gz(images, &ib, &il))
        return -1;
    if (cli_idx_images(ib, il, &n, &rows, &cols, err, sizeof err)) {
        cli_err(images, "%s", err);
        goto fail;
    }
    if (n > INT32_MAX) {
        cli_err(images, "too many images (%u)", n);
        goto fail;
    }
    if (labels_arg)
        snprintf(labels, sizeof labels, "%s", labels_arg);
    else {
        /* X-images-idx3-ubyte[.gz] -> X-labels-idx1-ubyte[.gz], also X-images.idx3-ubyte */
        snprintf(labels, sizeof labels, "%s", images);
        char *base = strrchr(labels, '/');
        base = base ? base + 1 : labels;
        char *p = strstr(base, "images");
        char *q = strstr(base, "idx3");
        if (!p || !q) {
            cli_err(images, "cannot derive the labels file name; give --idx-labels");
            goto fail;
        }
        memcpy(p, "labels", 6);
        q[3] = '1';
        struct stat st;
        size_t len = strlen(labels);
        if (stat(labels, &st) != 0 && len > 3 && strcmp(labels + len - 3, ".gz") == 0)
            labels[len - 3] = '\0';
        else if (stat(labels, &st) != 0 && len + 3 < sizeof labels)
            strcat(labels, ".gz");
    }
    if (read_gz(labels, &lb, &ll))
        goto fail;
    if (cli_idx_labels(lb, ll, n, err, sizeof err)) {
        cli_err(labels, "%s", err);
        goto fail;
    }
    d->n = (int)n;
    d->rows = (int)rows;
    d->cols = (int)cols;
    d->pixels = ib;
    memmove(d->pixels, ib + 16, (size_t)n * rows * cols);
    d->labels = malloc(n ? n : 1);
    if (!d->labels) {
        cli_err(labels, "out of memory");
        goto fail;
    }
    memcpy(d->labels, lb + 8, n);
    free(lb);
    return 0;
fail:
    d->pixels = NULL;
    free(ib);
    free(lb);
    return -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
                   strcasecmp(dot, ".jpeg") == 0);
}

/* Lists a directory's subfolders (want_dirs) or image files, sorted, skipping
 * dot files; returns the count or -1. */
static int list_dir(const char *dir, int want_dirs, char ***out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    *out = NULL;
    if (!d) {
        cli_err(dir, "%s", strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (want_dirs ? !S_ISDIR(st.st_mode) : !(S_ISREG(st.st_mode) && is_image_name(e->d_name)))
            continue;
        char **nl = realloc(*out, sizeof(char *) * (size_t)(n + 1));
        if (!nl || !(nl[n] = strdup(e->d_name))) {
            if (nl)
                *out = nl;
            break;
        }
        *out = nl;
        n++;
    }
    closedir(d);
    qsort(*out, (size_t)n, sizeof(char *), cmp_str);
    return n;
}

static int load_folder(struct dataset *d, const char *root, const struct cli_labels *labels)
{
    char **classes;
    int nc = list_dir(root, 1, &classes);
    if (nc <= 0) {
        if (nc == 0)
            cli_err(root, "no class subfolders");
        free(classes);
        return -1;
    }
    int rc = 0;
    for (int c = 0; c < nc && rc == 0; c++) {
        int label = c;
        if (labels && labels->n) {
            label = -1;
            for (int k = 0; k < labels->n; k++)
                if (strcasecmp(labels->names[k], classes[c]) == 0)
                    label = k;
            if (label < 0) {
                cli_err(root, "class folder '%s' matches none of the model's labels", classes[c]);
                rc = -1;
                break;
            }
        }
        char dir[4096];
        char **files;
        snprintf(dir, sizeof dir, "%s/%s", root, classes[c]);
        int nf = list_dir(dir, 0, &files);
        for (int f = 0; f < nf; f++) {
            struct sample *ns = realloc(d->samples, sizeof *ns * (size_t)(d->n + 1));
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dir, files[f]);
            if (!ns || !(ns[d->n].path = strdup(path))) {
                if (ns)
                    d->samples = ns;
                cli_err(root, "out of memory");
                rc = -1;
                break;
            }
            d->samples = ns;
            d->samples[d->n++].label = label;
        }
        for (int f = 0; f < nf; f++)
            free(files[f]);
        free(files);
    }
    for (int c = 0; c < nc; c++)
        free(classes[c]);
    free(classes);
    if (rc == 0 && d->n == 0) {
        cli_err(root, "no .png or .jpg images in the class folders");
        rc = -1;
    }
    return rc;
}

/* The class of an image listed by --files-from: its folder's name, as a
 * model label (any case) or a class index; -1 when it is neither. */
static int class_of(const char *path, const struct cli_labels *labels)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    for (int k = 0; labels && k < labels->n; k++)
        if (strcasecmp(labels->names[k], name) == 0)
            return k;
    long long v;
    return cli_parse_int(name, 0, 1 << 24, &v) == 0 ? (int)v : -1;
}

/* --files-from: the listed images, labelled by their folders. */
static int load_list(struct dataset *d, const char *list, const struct cli_labels *labels)
{
    char **files = NULL;
    int n = 0, rc = 0;
    if (cli_read_list(list, &files, &n))
        return -1;
    if (n == 0) {
        cli_err(list, "the list names no images");
        rc = -1;
    }
    if (rc == 0 && !(d->samples = calloc((size_t)n, sizeof *d->samples))) {
        cli_err(list, "out of memory");
        rc = -1;
    }
    for (int i = 0; i < n; i++) {
        if (rc == 0) {
            d->samples[d->n].path = files[i];
            d->samples[d->n++].label = class_of(files[i], labels);
            if (d->samples[i].label < 0) {
                cli_err(files[i], "its folder names no class: neither one of the model's labels nor a class index");
                rc = -1;
            }
        } else {
            free(files[i]);
        }
    }
    free(files);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* An evaluation as the batch loop sees it: items are samples 0..n-1. */
struct eval {
    const struct dataset *d;
    const struct cli_prep *prep;
    const char *root, *model;
    int n, progress;
    int per_image;             /* --files-from --json: one line per image */
    long long top1, top5, seen;
    int bad_label;             /* a label outside the model's classes (reported) */
    double t0, model_s;
};

/* IDX images are 8-bit gray; they go through preprocessing as PIL would
 * hold them after convert('RGB'). */
static int load_sample(void *user, int i, float **out, struct dn_shape *chw, char *err, size_t errlen)
{
    const struct eval *e = user;
    const struct dataset *d = e->d;
    if (!d->pixels)
        return cli_prep_file_quiet(e->prep, d->samples[i].path, out, chw, err, errlen);
    struct cli_image img = {d->cols, d->rows, 3, NULL};
    char why[200];
    int c, h, w;
    float *t = NULL;
    cli_preprocess_dims(&e->prep->opts, d->cols, d->rows, &c, &h, &w);
    img.pixels = malloc((size_t)d->rows * d->cols * 3);
    t = malloc(sizeof(float) * (size_t)c * h * w);
    if (!img.pixels || !t) {
        snprintf(err, errlen, "image %d: out of memory", i);
        goto fail;
    }
    const unsigned char *src = d->pixels + (size_t)i * d->rows * d->cols;
    for (int p = 0; p < d->rows * d->cols; p++)
        img.pixels[3 * p] = img.pixels[3 * p + 1] = img.pixels[3 * p + 2] = src[p];
    if (cli_preprocess_run(&img, &e->prep->opts, t, why, sizeof why)) {
        snprintf(err, errlen, "image %d: %s", i, why);
        goto fail;
    }
    free(img.pixels);
    *out = t;
    *chw = (struct dn_shape){3, {c, h, w}};
    return 0;
fail:
    free(img.pixels);
    free(t);
    return -1;
}

static const char *sample_name(void *user, int i)
{
    const struct eval *e = user;
    return e->d->pixels ? e->root : e->d->samples[i].path;
}

/* Counts top-1/top-5 hits of one forward pass (ties go to the lower index). */
static int score_pass(void *user, const struct cli_batch_pass *pass)
{
    struct eval *e = user;
    int64_t per;
    const float *scores = cli_batch_scores(pass, e->model, &per);
    if (!scores)
        return -1;
    for (int b = 0; b < pass->n; b++) {
        int i = pass->items[b];
        int want = e->d->pixels ? e->d->labels[i] : e->d->samples[i].label;
        const float *y = scores + b * per;
        if (want < 0 || want >= per) {
            if (e->d->pixels)
                cli_err(e->root, "image %d has label %d, outside the model's %lld classes", i, want,
                       (long long)per);
            else
                cli_err(e->d->samples[i].path, "class %d is outside the model's %lld classes", want,
                       (long long)per);
            e->bad_label = 1;
            return -1;
        }
        int rank = 0;
        for (int64_t k = 0; k < per; k++)
            rank += y[k] > y[want] || (y[k] == y[want] && k < want);
        e->top1 += rank == 0;
        e->top5 += rank < 5;
        e->seen++;
        if (e->per_image) {
            printf("{\"file\": ");
            cli_json_string(stdout, e->d->samples[i].path);
            printf(", \"class\": %d, \"rank\": %d, \"top1\": %s, \"top5\": %s}\n", want, rank,
                   rank == 0 ? "true" : "false", rank < 5 ? "true" : "false");
        }
    }
    e->model_s += pass->run_ms / 1e3;
    if (cli_stdout_broken())
        return 1; /* the reader is gone: evaluate nothing more */
    if (e->progress) {
        double el = now_s() - e->t0;
        fprintf(stderr, "\reval: %lld/%d images, top-1 %.2f%%, %.0f images/s ", e->seen, e->n,
                100.0 * e->top1 / e->seen, e->seen / (el > 0 ? el : 1e-9));
    }
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    enum { OPT_IDX_LABELS = 1, OPT_FILES_FROM };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"json", no_argument, 0, 'j'},
        {"batch", required_argument, 0, 'b'}, {"limit", required_argument, 0, 'n'},
        {"idx-labels", required_argument, 0, OPT_IDX_LABELS}, {"help", no_argument, 0, 'h'},
        {"files-from", required_argument, 0, OPT_FILES_FROM},
        CLI_PREP_LONGOPTS, CLI_SESSION_LONGOPTS, {0, 0, 0, 0}};
    struct cli_prep prep;
    struct cli_sess so;
    const char *model = NULL, *idx_labels = NULL, *files_from = NULL;
    int json = 0, batch = 32, limit = -1, opt, rc;
    long long v;
    cli_prep_init(&prep);
    cli_sess_init(&so);
    while ((opt = getopt_long(argc, argv, ":m:jb:n:t:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'm': model = optarg; break;
        case 'j': json = 1; break;
        case 'b':
            if (cli_parse_int(optarg, 1, 4096, &v))
                return cli_usage_error("eval", "invalid --batch '%s' (1 to 4096)", optarg);
            batch = (int)v;
            break;
        case 'n':
            if (cli_parse_int(optarg, 1, 1LL << 30, &v))
                return cli_usage_error("eval", "invalid --limit '%s'", optarg);
            limit = (int)v;
            break;
        case OPT_IDX_LABELS: idx_labels = optarg; break;
        case OPT_FILES_FROM: files_from = optarg; break;
        CLI_SESSION_CASES:
            if ((rc = cli_sess_flag(&so, "eval", opt, optarg, 0)))
                return rc;
            break;
        case 'h': help(); return CLI_EXIT_OK;
        case ':':
        case '?': return cli_bad_option("eval", opt == ':', argv);
        default:
            if ((rc = cli_prep_flag(&prep, "eval", opt, optarg)))
                return rc;
        }
    }
    if (files_from && optind != argc)
        return cli_usage_error("eval", "--files-from takes the place of DATASET");
    if (!files_from && optind + 1 != argc)
        return cli_usage_error("eval", optind == argc ? "missing DATASET" : "too many arguments");
    const char *root = files_from ? files_from : argv[optind];
    if (!model)
        model = cli_default_model_path();
    struct dn_graph *g = cli_load_model(model);
    struct dataset d = {0};
    struct cli_labels labels = {0};
    struct cli_batch b = {g, model, &so.opts, batch, NULL, {0, {0}}, 0};
    int code = CLI_EXIT_OK;
    if (!g)
        return CLI_EXIT_MODEL;
    if (dn_graph_input_count(g) != 1 || dn_graph_input_shape(g, 0).ndim != 4) {
        cli_err(model, "eval needs a model with one NCHW image input");
        code = CLI_EXIT_MODEL;
        goto done;
    }
    if (so.opts.max_memory)
        prep.max_memory = so.opts.max_memory;
    prep.batch = batch;
    if ((rc = cli_prep_finish(&prep, g, model))) {
        code = rc;
        goto done;
    }
    if (dn_graph_meta(g, "densenet.labels"))
        cli_labels_from_text(&labels, dn_graph_meta(g, "densenet.labels"));
    struct stat st;
    if (files_from) {
        if (load_list(&d, files_from, &labels)) {
            code = CLI_EXIT_INPUT;
            goto done;
        }
    } else if (stat(root, &st) != 0) {
        cli_err(root, "%s", strerror(errno));
        code = CLI_EXIT_INPUT;
        goto done;
    } else if (S_ISDIR(st.st_mode) ? load_folder(&d, root, &labels) : load_idx(&d, root, idx_labels)) {
        code = CLI_EXIT_INPUT;
        goto done;
    }
    if (d.n == 0) {
        cli_err(root, "the data set holds no images");
        code = CLI_EXIT_INPUT;
        goto done;
    }
    struct eval e = {&d, &prep, root, model, limit > 0 && limit < d.n ? limit : d.n, cli_stderr_is_tty(),
                     files_from && json, 0, 0, 0, 0, now_s(), 0.0};
    struct cli_batch_source src = {e.n, load_sample, sample_name, &e};
    code = cli_batch_run(&b, &src, score_pass, &e);
    if (e.progress)
        fputc('\n', stderr);
    if (cli_stdout_broken()) {
        code = CLI_EXIT_OK; /* `| head`: the reader had what it wanted */
        goto done;
    }
    if (e.bad_label) {
        code = CLI_EXIT_INPUT;
        goto done;
    }
    if (code == CLI_EXIT_MODEL)
        goto done;
    if (e.seen == 0) {
        cli_err(root, "no image could be evaluated; no accuracy to report");
        code = CLI_EXIT_INPUT;
        goto done;
    }
    if (b.failed)
        cli_err(NULL, "%d of %d images failed", b.failed, e.n);
    long long seen = e.seen, failed = b.failed, top1 = e.top1, top5 = e.top5;
    double elapsed = now_s() - e.t0;
    double p1 = 100.0 * top1 / seen, p5 = 100.0 * top5 / seen;
    if (json && !e.per_image) {
        printf("{\"dataset\": ");
        cli_json_string(stdout, root);
        printf(", \"model\": ");
        cli_json_string(stdout, model);
        printf(", \"images\": %lld, \"failed\": %lld, \"top1\": %.2f, \"top5\": %.2f, "
               "\"images_per_s\": %.1f, \"seconds\": %.3f, \"model_seconds\": %.3f, \"batch\": %d}\n",
               seen, failed, p1, p5, seen / (elapsed > 0 ? elapsed : 1e-9), elapsed, e.model_s, batch);
    } else if (!e.per_image) {
        printf("dataset:   %s\nmodel:     %s\nimages:    %lld%s\n", root, model, seen,
               failed ? " (some failed, see above)" : "");
        printf("top-1:     %.2f%%\ntop-5:     %.2f%%\nspeed:     %.1f images/s (batch %d)\n", p1, p5,
               seen / (elapsed > 0 ? elapsed : 1e-9), batch);
    }
done:
    dn_session_free(b.s);
    cli_labels_free(&labels);
    dataset_free(&d);
    dn_graph_free(g);
    return code;
}
