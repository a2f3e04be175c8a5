/* cmd_features.c: `densenet features [-m MODEL] [-o OUT.npy] IMAGE...`: the
 * pooled features of each image (the classifier's input, K values: 1024 for
 * DenseNet-121) as one N x K float32 .npy, rows in input order, for
 * similarity search and linear probes.
 *
 * Images go through the shared batch loop (batch.c) with a keep_features
 * session; each pass appends its rows (dn_session_pooled) to one growing
 * buffer, written at the end. Images that fail are reported and get no row,
 * so the names of the rows go with the array: to --names FILE (one per
 * line), else, when the array is not on stdout, as JSON Lines on stdout
 * ({"row": R, "file": NAME}). A model without a pooled classifier head is
 * refused (exit 3) with the library's reason. */
#include "batch.h"
#include "npy.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct features {
    struct cli_prep prep;
    char **files;
    int total, progress;
    float *rows;          /* n_rows x K */
    int *row_item;        /* file index of each row */
    int64_t n_rows, cap_rows, K;
};

static void help(void)
{
    printf("Usage: densenet features [-m MODEL] [-o OUT.npy] [--names FILE] [--batch N]\n"
           "                         [--files-from FILE] [OPTIONS] IMAGE...\n\n"
           "Writes the pooled features of each JPEG or PNG image (the classifier's input:\n"
           "the global average of the last feature maps, 1024 values for DenseNet-121) as\n"
           "one N x K float32 .npy, one row per image in input order ('-' or no IMAGE\n"
           "reads standard input). Images that cannot be read get no row.\n\n"
           "  -m, --model MODEL      ONNX model, or builtin:densenet121 (169, 201, 161) for the\n"
           "                         built-in random-weight network (default: the shipped\n"
           "                         Fashion-MNIST model)\n"
           "  -o, --output OUT.npy   where the array goes (default '-': standard output)\n"
           "      --names FILE       the file name of each row, one per line ('-': stdout);\n"
           "                         without it, and when OUT is a file, JSON Lines\n"
           "                         {\"row\": R, \"file\": NAME} go to standard output\n"
           "  -b, --batch N          images per forward pass (default 1)\n"
           "      --files-from FILE  read image names, one per line, from FILE ('-': stdin)\n"
           "  -h, --help             show this help\n");
    cli_prep_help();
    cli_sess_help(0);
}

static int load_image(void *user, int i, float **out, struct dn_shape *chw, char *err, size_t errlen)
{
    struct features *f = user;
    return cli_prep_file_quiet(&f->prep, f->files[i], out, chw, err, errlen);
}

static const char *image_name(void *user, int i)
{
    return ((struct features *)user)->files[i];
}

/* Appends one pass's pooled features; -1 after reporting. */
static int take_pass(void *user, const struct cli_batch_pass *pass)
{
    struct features *f = user;
    struct dn_tensor map = dn_session_features(pass->s);
    const int64_t K = map.shape.d[1];
    if (f->K && K != f->K) {
        cli_err(NULL, "the model gave %lld features, then %lld", (long long)f->K, (long long)K);
        return -1;
    }
    f->K = K;
    if (f->n_rows + pass->n > f->cap_rows) {
        int64_t cap = f->cap_rows ? 2 * f->cap_rows : 64;
        while (cap < f->n_rows + pass->n)
            cap *= 2;
        float *rows = realloc(f->rows, sizeof(float) * (size_t)(cap * K));
        if (rows)
            f->rows = rows;
        int *items = realloc(f->row_item, sizeof(int) * (size_t)cap);
        if (items)
            f->row_item = items;
        if (!rows || !items) {
            cli_err(NULL, "out of memory for %lld rows of features", (long long)cap);
            return -1;
        }
        f->cap_rows = cap;
    }
    if (dn_session_pooled(pass->s, f->rows + f->n_rows * K) != DN_OK)
        return -1;
    for (int i = 0; i < pass->n; i++)
        f->row_item[f->n_rows++] = pass->items[i];
    if (f->progress)
        fprintf(stderr, "\rfeatures: %d/%d images", pass->done, f->total);
    return 0;
}

/* The array to out_path, then the names; 0 or an exit code. */
static int write_results(struct features *f, const char *out_path, const char *names_path)
{
    struct cli_out o;
    struct dn_shape shape = {2, {f->n_rows, f->K}};
    if (cli_out_open(&o, out_path))
        return CLI_EXIT_INPUT;
    if (cli_npy_write(o.f, &shape, f->rows)) {
        cli_err(out_path, "write error");
        cli_out_abort(&o);
        return CLI_EXIT_INPUT;
    }
    if (cli_out_commit(&o))
        return CLI_EXIT_INPUT;
    if (!names_path && strcmp(out_path, "-") == 0)
        return 0;
    if (cli_out_open(&o, names_path ? names_path : "-"))
        return CLI_EXIT_INPUT;
    for (int64_t r = 0; r < f->n_rows; r++) {
        const char *name = f->files[f->row_item[r]];
        if (names_path) {
            cli_print_text(o.f, name);
            fputc('\n', o.f);
        } else {
            fprintf(o.f, "{\"row\": %lld, \"file\": ", (long long)r);
            cli_json_string(o.f, name);
            fputs("}\n", o.f);
        }
    }
    return cli_out_commit(&o) ? CLI_EXIT_INPUT : 0;
}

int cmd_features(int argc, char **argv)
{
    enum { OPT_FILES_FROM = 1, OPT_NAMES };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"output", required_argument, 0, 'o'},
        {"names", required_argument, 0, OPT_NAMES}, {"batch", required_argument, 0, 'b'},
        {"files-from", required_argument, 0, OPT_FILES_FROM}, {"help", no_argument, 0, 'h'},
        CLI_PREP_LONGOPTS, CLI_SESSION_LONGOPTS, {0, 0, 0, 0}};
    struct features f;
    struct cli_sess so;
    struct cli_batch b;
    const char *model_path = NULL, *out_path = "-", *names_path = NULL, *files_from = NULL;
    char **files = NULL;
    int n_files = 0, opt, rc, code = CLI_EXIT_OK;
    long long v;
    memset(&f, 0, sizeof f);
    memset(&b, 0, sizeof b);
    b.size = 1;
    cli_prep_init(&f.prep);
    cli_sess_init(&so);
    while ((opt = getopt_long(argc, argv, ":m:o:b:t:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'm': model_path = optarg; break;
        case 'o': out_path = optarg; break;
        case OPT_NAMES: names_path = optarg; break;
        case 'b':
            if (cli_parse_int(optarg, 1, 4096, &v))
                return cli_usage_error("features", "invalid --batch '%s' (1 to 4096)", optarg);
            b.size = (int)v;
            break;
        case OPT_FILES_FROM: files_from = optarg; break;
        CLI_SESSION_CASES:
            if ((rc = cli_sess_flag(&so, "features", opt, optarg, 0)))
                return rc;
            break;
        case 'h': help(); return CLI_EXIT_OK;
        case ':':
        case '?': return cli_bad_option("features", opt == ':', argv);
        default:
            if ((rc = cli_prep_flag(&f.prep, "features", opt, optarg)))
                return rc;
        }
    }
    if (names_path && strcmp(names_path, "-") == 0 && strcmp(out_path, "-") == 0)
        return cli_usage_error("features", "the array and --names cannot both go to standard output");
    if (!model_path)
        model_path = cli_default_model_path();
    struct dn_graph *g = cli_load_model(model_path);
    if (!g)
        return CLI_EXIT_MODEL;
    if (dn_graph_input_count(g) != 1 || dn_graph_input_shape(g, 0).ndim != 4) {
        cli_err(model_path, "features needs a model with one NCHW image input");
        code = CLI_EXIT_MODEL;
        goto done;
    }
    if ((rc = cli_prep_finish(&f.prep, g, model_path))) {
        code = rc;
        goto done;
    }
    if ((rc = cli_image_list(argc, argv, optind, files_from, &files, &n_files))) {
        code = rc;
        goto done;
    }
    f.files = files;
    f.total = n_files;
    f.progress = cli_stderr_is_tty() && n_files > 1;
    so.opts.keep_features = 1;
    b.g = g;
    b.model_path = model_path;
    b.opts = &so.opts;
    struct cli_batch_source src = {n_files, load_image, image_name, &f};
    code = cli_batch_run(&b, &src, take_pass, &f);
    if (f.progress)
        fputc('\n', stderr);
    if (code == CLI_EXIT_MODEL)
        goto done;
    if (f.n_rows == 0) {
        cli_err(NULL, "no image could be read; nothing written");
        code = CLI_EXIT_INPUT;
        goto done;
    }
    if ((rc = write_results(&f, out_path, names_path)))
        code = rc;
    if (b.failed)
        cli_err(NULL, "%d of %d images failed", b.failed, n_files);
done:
    for (int i = 0; i < n_files; i++)
        free(files[i]);
    free(files);
    free(f.rows);
    free(f.row_item);
    dn_session_free(b.s);
    dn_graph_free(g);
    return code;
}
