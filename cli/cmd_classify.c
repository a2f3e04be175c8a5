/* cmd_classify.c: `densenet classify [-m MODEL] [-k K] [--json|--tsv] IMAGE...`: top-k
 * labels for each image, in input order, as text, TSV or JSON Lines.
 *
 * Images go through the shared batch loop (batch.c): decoded on a loader
 * thread, run in batches of --batch images that share a tensor shape, the
 * session rebuilt only when the batch shape changes. A bad image is reported
 * and skipped; when any failed, a last line counts them ("3 of 1000 images
 * failed") and the exit status is 1. When stdout's reader goes away (EPIPE)
 * nothing more is decoded and the status is 0. */
#include "batch.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
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
};

static void help(void)
{
    printf("Usage: densenet classify [-m MODEL] [-k K] [--json|--tsv] [--batch N]\n"
           "                         [--files-from FILE] [OPTIONS] IMAGE...\n\n"
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
           "  -h, --help             show this help\n");
    cli_prep_help();
    cli_sess_help(0);
}

static void print_result(struct classify *c, const char *file, const float *scores, int n)
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
        printf("]}\n");
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
    for (int i = 0; i < pass->n; i++) {
        memcpy(v, scores + i * per, sizeof(float) * (size_t)per);
        score(c->mode, v, (int)per);
        print_result(c, c->files[pass->items[i]], v, (int)per);
    }
    free(v);
    if (cli_stdout_broken())
        return 1; /* the reader is gone: decode nothing more */
    if (c->progress)
        fprintf(stderr, "\rclassify: %d/%d images", pass->done, c->total);
    return 0;
}

int cmd_classify(int argc, char **argv)
{
    enum { OPT_JSON = 1, OPT_TSV, OPT_FILES_FROM, OPT_RAW, OPT_SIGMOID, OPT_SOFTMAX };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"top", required_argument, 0, 'k'},
        {"json", no_argument, 0, OPT_JSON}, {"tsv", no_argument, 0, OPT_TSV},
        {"batch", required_argument, 0, 'b'}, {"files-from", required_argument, 0, OPT_FILES_FROM},
        {"labels", required_argument, 0, 'l'}, {"raw", no_argument, 0, OPT_RAW},
        {"sigmoid", no_argument, 0, OPT_SIGMOID}, {"softmax", no_argument, 0, OPT_SOFTMAX},
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
    for (int i = optind; i < argc; i++) {
        char **nf = realloc(files, sizeof(char *) * (size_t)(n_files + 1));
        if (!nf || !(nf[n_files] = strdup(argv[i]))) {
            if (nf)
                files = nf;
            cli_err(NULL, "out of memory");
            code = CLI_EXIT_INPUT;
            goto done;
        }
        files = nf;
        n_files++;
    }
    if (files_from && cli_read_list(files_from, &files, &n_files)) {
        code = CLI_EXIT_INPUT;
        goto done;
    }
    if (n_files == 0 && files_from) {
        cli_err(files_from, "the list names no images");
        code = CLI_EXIT_INPUT;
        goto done;
    }
    if (n_files == 0) {
        files = malloc(sizeof(char *));
        if (!files || !(files[0] = strdup("-"))) {
            code = CLI_EXIT_INPUT;
            goto done;
        }
        n_files = 1;
    }
    c.files = files;
    c.total = n_files;
    c.progress = cli_stderr_is_tty() && !isatty(1) && n_files > 1;
    b.g = g;
    b.model_path = c.model_path;
    b.opts = &so.opts;
    struct cli_batch_source src = {n_files, load_image, image_name, &c};
    code = cli_batch_run(&b, &src, print_pass, &c);
    if (c.progress)
        fputc('\n', stderr);
    if (cli_stdout_broken())
        code = CLI_EXIT_OK; /* `| head`: the reader had what it wanted */
    else if (b.failed)
        cli_err(NULL, "%d of %d images failed", b.failed, n_files);
done:
    for (int i = 0; i < n_files; i++)
        free(files[i]);
    free(files);
    cli_labels_free(&c.labels);
    dn_session_free(b.s);
    dn_graph_free(g);
    return code;
}
