/* cmd_classify.c: `densenet classify [-m MODEL] [-k K] [--json|--tsv] IMAGE...`: top-k
 * labels for each image, in input order, as text, TSV or JSON Lines.
 *
 * Images go through the shared batch loop (batch.c): decoded on a loader
 * thread, run in batches of --batch images that share a tensor shape, the
 * session rebuilt only when the batch shape changes. A bad image, or one
 * whose scores are not finite, is reported and skipped; when any failed, a
 * last line counts them ("3 of 1000 images failed") and the exit status is 1. When stdout's reader goes away (EPIPE)
 * nothing more is decoded and the status is 0.
 *
 * --cam DIR makes the session keep the classifier's input map
 * (keep_features) and writes, per image, the class activation map of the
 * top-1 class (or --cam-class) as a PNG over the input view, or as the raw
 * h x w map (--cam-format npy), named after the image; names that repeat get
 * "-2", "-3", ... A CAM that cannot be written counts as a failed image. */
#include "batch.h"
#include "cam.h"
#include "npy.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SCORE_PROBS: the model's outputs are probabilities already (ends in Softmax) */
enum score_mode { SCORE_AUTO, SCORE_SOFTMAX, SCORE_SIGMOID, SCORE_RAW, SCORE_PROBS };
enum out_format { OUT_TEXT, OUT_TSV, OUT_JSON };

struct classify {
    const char *model_path;
    struct cli_prep prep;
    struct cli_labels labels;
    int have_labels;
    int k;
    enum score_mode mode;
    enum out_format format;
    char **files;
    int total, progress;
    /* --cam */
    const char *cam_dir;
    const char *cam_class;        /* as given; resolved into cam_index */
    int64_t cam_index;            /* -1: the top-1 class of each image */
    float cam_alpha;
    int cam_npy;
    float *cam_map, *cam_up;      /* h x w; H x W */
    unsigned char *cam_rgb;       /* H x W x 3 */
    char **cam_names;             /* open-addressing set of written names */
    size_t cam_cap, cam_used;
    int cam_failed;
    int cam_usage;                /* --cam-class turned out invalid at the first pass */
    int nonfinite;                /* images whose scores held NaN or infinity */
};

static void help(void)
{
    printf("Usage: densenet classify [-m MODEL] [-k K] [--json|--tsv] [--batch N]\n"
           "                         [--files-from FILE] [--cam DIR [--cam-class C] [--cam-alpha A]\n"
           "                         [--cam-format png|npy]] [OPTIONS] IMAGE...\n\n"
           "Prints the top-K classes of each JPEG or PNG image ('-' or no IMAGE reads\n"
           "standard input), in input order.\n\n"
           "  -m, --model MODEL      ONNX model, or builtin:densenet121 (169, 201, 161) for the\n"
           "                         built-in random-weight network (default: the shipped\n"
           "                         Fashion-MNIST model)\n"
           "  -k, --top K            classes per image (default 5)\n"
           "      --json             JSON Lines: {\"file\", \"top\": [{\"index\", \"label\", \"prob\"}]}\n"
           "      --tsv              tab-separated: file, rank, index, label, prob\n"
           "  -b, --batch N          images per forward pass (default 1)\n"
           "      --files-from FILE  read image names, one per line, from FILE ('-': stdin)\n"
           "  -l, --labels FILE      class labels, one per line (default: the model's\n"
           "                         metadata, else ImageNet-1k for 1000 classes)\n"
           "      --softmax          probabilities by softmax (default, unless the model\n"
           "                         already ends in Softmax)\n"
           "      --sigmoid          independent probabilities (multi-label models)\n"
           "      --raw              the model's raw outputs (logits)\n"
           "      --cam DIR          write each image's class activation map to DIR (created if\n"
           "                         missing), named after the image; JSON gains \"cam\": PATH\n"
           "      --cam-class C      map of class C (a label or an index; default: the top-1)\n"
           "      --cam-alpha A      opacity of the map over the image, 0 to 1 (default 0.5)\n"
           "      --cam-format F     png (map upsampled, colored, over the input view; default)\n"
           "                         or npy (the raw h x w float32 map)\n"
           "  -h, --help             show this help\n");
    cli_prep_help();
    cli_sess_help(0);
}

static void print_result(struct classify *c, const char *file, const float *scores, int n,
                         const char *cam)
{
    int k = c->k < n ? c->k : n;
    int top[64];
    cli_top_k(scores, n, k, top);
    const char *key = c->mode == SCORE_RAW ? "logit" : "prob";
    char idx[32];
    if (c->format == OUT_JSON) {
        printf("{\"file\": ");
        cli_json_string(stdout, file);
        printf(", \"top\": [");
        for (int r = 0; r < k; r++) {
            int i = top[r];
            snprintf(idx, sizeof idx, "%d", i);
            printf("%s{\"index\": %d, \"label\": ", r ? ", " : "", i);
            cli_json_string(stdout, c->have_labels && i < c->labels.n ? c->labels.names[i] : idx);
            printf(", \"%s\": %.9g}", key, scores[i]);
        }
        printf("]");
        if (cam) {
            printf(", \"cam\": ");
            cli_json_string(stdout, cam);
        }
        printf("}\n");
        return;
    }
    /* text and TSV: names and labels escaped, one record per line */
    if (c->format == OUT_TEXT) {
        cli_print_text(stdout, file);
        putchar('\n');
    }
    for (int r = 0; r < k; r++) {
        int i = top[r];
        snprintf(idx, sizeof idx, "%d", i);
        const char *label = c->have_labels && i < c->labels.n ? c->labels.names[i] : idx;
        if (c->format == OUT_TSV) {
            cli_print_text(stdout, file);
            printf("\t%d\t%d\t", r + 1, i);
            cli_print_text(stdout, label);
            printf("\t%.9g\n", scores[i]);
            continue;
        }
        if (c->mode == SCORE_RAW)
            printf("  %10.4f  ", scores[i]);
        else
            printf("  %7.2f%%  ", 100.0 * scores[i]);
        cli_print_text(stdout, label);
        putchar('\n');
    }
}

static void score(enum score_mode mode, float *v, int n)
{
    if (mode == SCORE_SIGMOID) {
        for (int i = 0; i < n; i++)
            v[i] = 1.0f / (1.0f + expf(-v[i]));
    } else if (mode == SCORE_SOFTMAX) {
        cli_softmax(v, n);
    }
}

static int all_finite(const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* The batch loop's callbacks: items are files[i]. */
static int load_image(void *user, int i, float **out, struct dn_shape *chw, char *err, size_t errlen)
{
    struct classify *c = user;
    return cli_prep_file_quiet(&c->prep, c->files[i], out, chw, err, errlen);
}

static const char *image_name(void *user, int i)
{
    return ((struct classify *)user)->files[i];
}

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* 1 if name was written before in this run, else records it; -1: no memory */
static int cam_name_taken(struct classify *c, const char *name)
{
    if (2 * (c->cam_used + 1) > c->cam_cap) {
        size_t cap = c->cam_cap ? 2 * c->cam_cap : 64;
        char **set = calloc(cap, sizeof *set);
        if (!set)
            return -1;
        for (size_t i = 0; i < c->cam_cap; i++)
            if (c->cam_names[i]) {
                size_t j = name_hash(c->cam_names[i]) & (cap - 1);
                while (set[j])
                    j = (j + 1) & (cap - 1);
                set[j] = c->cam_names[i];
            }
        free(c->cam_names);
        c->cam_names = set;
        c->cam_cap = cap;
    }
    size_t j = name_hash(name) & (c->cam_cap - 1);
    for (; c->cam_names[j]; j = (j + 1) & (c->cam_cap - 1))
        if (strcmp(c->cam_names[j], name) == 0)
            return 1;
    if (!(c->cam_names[j] = strdup(name)))
        return -1;
    c->cam_used++;
    return 0;
}

/* DIR/BASE.EXT for image file (its name without folders and extension;
 * "stdin" for "-"), with -2, -3, ... when that name was taken. 0 or -1. */
static int cam_path(struct classify *c, const char *file, char *path, size_t size)
{
    const char *base = strcmp(file, "-") == 0 ? "stdin" : strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    const char *dot = strrchr(base, '.');
    int len = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    const char *ext = c->cam_npy ? "npy" : "png";
    for (int k = 1;; k++) {
        int n = k == 1 ? snprintf(path, size, "%s/%.*s.%s", c->cam_dir, len, base, ext)
                       : snprintf(path, size, "%s/%.*s-%d.%s", c->cam_dir, len, base, k, ext);
        if (n < 0 || (size_t)n >= size)
            return -1;
        int t = cam_name_taken(c, path);
        if (t <= 0)
            return t;
    }
}

/* Writes item i's map for class cls; the path into path, or "" on failure
 * (reported, counted). */
static void write_cam(struct classify *c, const struct cli_batch_pass *pass, int i, int64_t cls,
                      char *path, size_t size)
{
    const char *file = c->files[pass->items[i]];
    struct dn_tensor f = dn_session_features(pass->s);
    const int h = (int)f.shape.d[2], w = (int)f.shape.d[3];
    const int C = (int)pass->chw.d[0], H = (int)pass->chw.d[1], W = (int)pass->chw.d[2];
    char err[256] = "";
    struct cli_out o;
    if (cam_path(c, file, path, size)) {
        cli_err(file, "no name for its class activation map under '%s'", c->cam_dir);
        goto fail;
    }
    cli_diag_set_file(file);
    enum dn_status st = dn_session_cam(pass->s, i, cls, c->cam_map);
    cli_diag_set_file(NULL);
    if (st != DN_OK)
        goto fail;
    if (cli_out_open(&o, path))
        goto fail;
    int bad;
    if (c->cam_npy) {
        struct dn_shape hw = {2, {h, w}};
        bad = cli_npy_write(o.f, &hw, c->cam_map);
    } else {
        const float *x = pass->input + (size_t)i * (size_t)dn_shape_numel(&pass->chw);
        cli_cam_render(c->cam_map, h, w, x, C, H, W, &c->prep.opts, c->cam_alpha, c->cam_up, c->cam_rgb);
        bad = cli_png_write_rgb(o.f, c->cam_rgb, W, H, err, sizeof err);
    }
    if (bad) {
        cli_err(path, "%s", err[0] ? err : "cannot write the map");
        cli_out_abort(&o);
        goto fail;
    }
    if (cli_out_commit(&o))
        goto fail;
    return;
fail:
    c->cam_failed++;
    path[0] = '\0';
}

/* Buffers for the maps of this pass's shape (they change with it). */
static int cam_buffers(struct classify *c, const struct cli_batch_pass *pass)
{
    struct dn_tensor f = dn_session_features(pass->s);
    size_t hw = (size_t)(f.shape.d[2] * f.shape.d[3]), HW = (size_t)(pass->chw.d[1] * pass->chw.d[2]);
    free(c->cam_map);
    free(c->cam_up);
    free(c->cam_rgb);
    c->cam_map = malloc(sizeof(float) * hw);
    c->cam_up = malloc(sizeof(float) * HW);
    c->cam_rgb = malloc(3 * HW);
    if (!c->cam_map || !c->cam_up || !c->cam_rgb) {
        cli_err(NULL, "out of memory for class activation maps");
        return -1;
    }
    return 0;
}

/* --cam-class as a label of the model, else an index below classes (when
 * known: > 0); 0, or -1 after a usage error. */
static int cam_resolve(struct classify *c, int64_t classes)
{
    long long v;
    for (int i = 0; c->have_labels && i < c->labels.n && c->cam_index < 0; i++)
        if (strcmp(c->labels.names[i], c->cam_class) == 0)
            c->cam_index = i;
    if (c->cam_index < 0 && cli_parse_int(c->cam_class, 0, classes > 0 ? classes - 1 : INT64_MAX, &v) == 0)
        c->cam_index = v;
    if (c->cam_index >= 0)
        return 0;
    if (classes > 0)
        cli_usage_error("classify", "invalid --cam-class '%s' (a label of the model, or an index from 0 to %lld)",
                        c->cam_class, (long long)classes - 1);
    else
        cli_usage_error("classify", "invalid --cam-class '%s' (a label of the model, or an index)", c->cam_class);
    return -1;
}

/* Prints the results of one forward pass; -1 if the model's output is not
 * class scores (then nothing more will work). */
static int print_pass(void *user, const struct cli_batch_pass *pass)
{
    struct classify *c = user;
    int64_t per;
    const float *scores = cli_batch_scores(pass, c->model_path, &per);
    if (!scores)
        return -1;
    if (!c->have_labels && per == 1000 && cli_labels_imagenet(&c->labels) == 0)
        c->have_labels = 1;
    float *v = malloc(sizeof(float) * (size_t)per);
    if (!v) {
        cli_err(NULL, "out of memory");
        return -1;
    }
    if (c->progress)
        fputc('\r', stderr);
    if (c->cam_dir && c->cam_class && c->cam_index < 0 && cam_resolve(c, per)) {
        free(v);
        c->cam_usage = 1;
        return 1;
    }
    if (c->cam_dir && cam_buffers(c, pass)) {
        free(v);
        return -1;
    }
    for (int i = 0; i < pass->n; i++) {
        char cam[4096];
        memcpy(v, scores + i * per, sizeof(float) * (size_t)per);
        if (!all_finite(v, per)) { /* garbage in the model or the input: no answer */
            cli_err(c->files[pass->items[i]], "the model's scores are not finite (NaN or infinity)");
            c->nonfinite++;
            continue;
        }
        if (c->cam_dir) {
            int64_t cls = c->cam_index;
            if (cls < 0) { /* the top-1 class, ranked as the printed results are */
                int top;
                cli_top_k(v, (int)per, 1, &top);
                cls = top;
            }
            write_cam(c, pass, i, cls, cam, sizeof cam);
        }
        score(c->mode, v, (int)per);
        print_result(c, c->files[pass->items[i]], v, (int)per, c->cam_dir && cam[0] ? cam : NULL);
    }
    free(v);
    if (cli_stdout_broken())
        return 1; /* the reader is gone: decode nothing more */
    if (c->progress)
        fprintf(stderr, "\rclassify: %d/%d images", pass->done, c->total);
    return 0;
}

/* Resolves --cam-class against the labels (loading ImageNet's for a
 * 1000-class model) and creates the --cam folder; 0 or an exit code. */
static int cam_setup(struct classify *c, const struct dn_graph *g)
{
    struct dn_shape os = dn_graph_output_shape(g, 0);
    int64_t classes = os.ndim >= 1 ? os.d[os.ndim - 1] : -1;
    if (!c->have_labels && classes == 1000 && cli_labels_imagenet(&c->labels) == 0)
        c->have_labels = 1;
    if (c->have_labels && classes <= 0)
        classes = c->labels.n;
    /* a model that does not declare its class count: resolved at the first pass */
    if (c->cam_class && (classes > 0 || c->have_labels) && cam_resolve(c, classes))
        return CLI_EXIT_USAGE;
    struct stat st;
    if (stat(c->cam_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        cli_err(c->cam_dir, "is not a folder (--cam)");
        return CLI_EXIT_INPUT;
    }
    if (stat(c->cam_dir, &st) != 0 && mkdir(c->cam_dir, 0777) != 0) {
        cli_err(c->cam_dir, "cannot create the folder: %s", strerror(errno));
        return CLI_EXIT_INPUT;
    }
    return 0;
}

int cmd_classify(int argc, char **argv)
{
    enum { OPT_JSON = 1, OPT_TSV, OPT_FILES_FROM, OPT_RAW, OPT_SIGMOID, OPT_SOFTMAX, OPT_CAM, OPT_CAM_CLASS,
           OPT_CAM_ALPHA, OPT_CAM_FORMAT };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"top", required_argument, 0, 'k'},
        {"json", no_argument, 0, OPT_JSON}, {"tsv", no_argument, 0, OPT_TSV},
        {"batch", required_argument, 0, 'b'}, {"files-from", required_argument, 0, OPT_FILES_FROM},
        {"labels", required_argument, 0, 'l'}, {"raw", no_argument, 0, OPT_RAW},
        {"sigmoid", no_argument, 0, OPT_SIGMOID}, {"softmax", no_argument, 0, OPT_SOFTMAX},
        {"cam", required_argument, 0, OPT_CAM}, {"cam-class", required_argument, 0, OPT_CAM_CLASS},
        {"cam-alpha", required_argument, 0, OPT_CAM_ALPHA}, {"cam-format", required_argument, 0, OPT_CAM_FORMAT},
        {"help", no_argument, 0, 'h'}, CLI_PREP_LONGOPTS, CLI_SESSION_LONGOPTS, {0, 0, 0, 0}};
    struct classify c;
    struct cli_sess so;
    struct cli_batch b;
    const char *labels_path = NULL, *files_from = NULL;
    char **files = NULL;
    int n_files = 0, opt, rc, code = CLI_EXIT_OK;
    long long v;
    memset(&c, 0, sizeof c);
    memset(&b, 0, sizeof b);
    c.k = 5;
    c.cam_index = -1;
    c.cam_alpha = 0.5f;
    b.size = 1;
    cli_prep_init(&c.prep);
    cli_sess_init(&so);
    while ((opt = getopt_long(argc, argv, ":m:k:b:l:t:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'm': c.model_path = optarg; break;
        case 'k':
            if (cli_parse_int(optarg, 1, 64, &v))
                return cli_usage_error("classify", "invalid -k '%s' (1 to 64)", optarg);
            c.k = (int)v;
            break;
        case 'b':
            if (cli_parse_int(optarg, 1, 4096, &v))
                return cli_usage_error("classify", "invalid --batch '%s' (1 to 4096)", optarg);
            b.size = (int)v;
            break;
        case 'l': labels_path = optarg; break;
        case OPT_JSON: c.format = OUT_JSON; break;
        case OPT_TSV: c.format = OUT_TSV; break;
        case OPT_FILES_FROM: files_from = optarg; break;
        case OPT_RAW: c.mode = SCORE_RAW; break;
        case OPT_SIGMOID: c.mode = SCORE_SIGMOID; break;
        case OPT_SOFTMAX: c.mode = SCORE_SOFTMAX; break;
        case OPT_CAM:
            if (!optarg[0])
                return cli_usage_error("classify", "--cam needs a folder");
            c.cam_dir = optarg;
            break;
        case OPT_CAM_CLASS: c.cam_class = optarg; break;
        case OPT_CAM_ALPHA: {
            char *end;
            double a = strtod(optarg, &end);
            if (end == optarg || *end || !(a >= 0.0 && a <= 1.0))
                return cli_usage_error("classify", "invalid --cam-alpha '%s' (0 to 1)", optarg);
            c.cam_alpha = (float)a;
            break;
        }
        case OPT_CAM_FORMAT:
            if (strcmp(optarg, "png") != 0 && strcmp(optarg, "npy") != 0)
                return cli_usage_error("classify", "invalid --cam-format '%s' (png or npy)", optarg);
            c.cam_npy = strcmp(optarg, "npy") == 0;
            break;
        CLI_SESSION_CASES:
            if ((rc = cli_sess_flag(&so, "classify", opt, optarg, 0)))
                return rc;
            break;
        case 'h': help(); return CLI_EXIT_OK;
        case ':':
        case '?': return cli_bad_option("classify", opt == ':', argv);
        default:
            if ((rc = cli_prep_flag(&c.prep, "classify", opt, optarg)))
                return rc;
        }
    }
    if (!c.model_path)
        c.model_path = cli_default_model_path();
    struct dn_graph *g = cli_load_model(c.model_path);
    if (!g)
        return CLI_EXIT_MODEL;
    if (dn_graph_input_count(g) != 1 || dn_graph_input_shape(g, 0).ndim != 4) {
        cli_err(c.model_path, "classify needs a model with one NCHW image input");
        code = CLI_EXIT_MODEL;
        goto done;
    }
    if (so.opts.max_memory)
        c.prep.max_memory = so.opts.max_memory;
    c.prep.batch = b.size;
    if ((rc = cli_prep_finish(&c.prep, g, c.model_path))) {
        code = rc;
        goto done;
    }
    if (c.mode == SCORE_AUTO)
        c.mode = dn_graph_ends_in_softmax(g) ? SCORE_PROBS : SCORE_SOFTMAX;
    if (labels_path) {
        if (cli_labels_read_file(&c.labels, labels_path)) {
            code = CLI_EXIT_USAGE;
            goto done;
        }
        c.have_labels = 1;
    } else if (dn_graph_meta(g, "densenet.labels")) {
        if (cli_labels_from_text(&c.labels, dn_graph_meta(g, "densenet.labels"))) {
            code = CLI_EXIT_MODEL;
            goto done;
        }
        c.have_labels = 1;
    }
    if (!c.cam_dir && c.cam_class) {
        code = cli_usage_error("classify", "--cam-class needs --cam DIR");
        goto done;
    }
    if (c.cam_dir && (rc = cam_setup(&c, g))) {
        code = rc;
        goto done;
    }
    so.opts.keep_features = c.cam_dir != NULL;
    if ((rc = cli_image_list(argc, argv, optind, files_from, &files, &n_files))) {
        code = rc;
        goto done;
    }
    c.files = files;
    c.total = n_files;
    c.progress = cli_stderr_is_tty() && !isatty(1) && n_files > 1;
    b.g = g;
    b.model_path = c.model_path;
    b.opts = &so.opts;
    struct cli_batch_source src = {n_files, load_image, image_name, &c};
    code = cli_batch_run(&b, &src, print_pass, &c);
    b.failed += c.nonfinite;
    if (code == CLI_EXIT_OK && c.nonfinite)
        code = CLI_EXIT_INPUT;
    if (c.progress)
        fputc('\n', stderr);
    if (c.cam_usage)
        code = CLI_EXIT_USAGE;
    else if (cli_stdout_broken())
        code = CLI_EXIT_OK; /* `| head`: the reader had what it wanted */
    else if (b.failed)
        cli_err(NULL, "%d of %d images failed", b.failed, n_files);
    else if (c.cam_failed && code == CLI_EXIT_OK)
        code = CLI_EXIT_INPUT;
done:
    for (int i = 0; i < n_files; i++)
        free(files[i]);
    free(files);
    cli_labels_free(&c.labels);
    for (size_t i = 0; i < c.cam_cap; i++)
        free(c.cam_names[i]);
    free(c.cam_names);
    free(c.cam_map);
    free(c.cam_up);
    free(c.cam_rgb);
    dn_session_free(b.s);
    dn_graph_free(g);
    return code;
}
