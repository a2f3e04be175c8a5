/* input.c: from image files to model input tensors, for preprocess, classify
 * and eval. Options resolve in three layers, later ones winning: torchvision's
 * ImageNet preset; the model (its densenet.* metadata, else its declared input
 * size and channel count); the command-line flags. */
#include "cli.h"
#include "image.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_prep_init(struct cli_prep *p)
{
    memset(p, 0, sizeof *p);
    cli_preprocess_opts_default(&p->opts);
    p->max_pixels = CLI_DEFAULT_MAX_PIXELS;
    p->max_memory = dn_default_max_memory();
}

void cli_prep_help(void)
{
    printf("Preprocessing (default: torchvision's ImageNet preset, or the model's metadata):\n"
           "      --resize N        shorter side to N (PIL bilinear, antialiased); 'none' keeps the size\n"
           "      --crop N|HxW      center crop; 'none' keeps the whole image\n"
           "      --mean A[,B,C]    per-channel mean, after scaling to [0,1]\n"
           "      --std A[,B,C]     per-channel standard deviation\n"
           "      --gray            convert to one gray channel (PIL's L conversion)\n"
           "      --max-pixels N    refuse images larger than N pixels (default 100000000)\n");
}

int cli_prep_flag(struct cli_prep *p, const char *cmd, int code, const char *arg)
{
    static const char *keys[] = {"resize", "crop", "mean", "std", "gray"};
    if (code == CLI_OPT_MAX_PIXELS) {
        long long v;
        if (cli_parse_int(arg, 1, (long long)1 << 40, &v))
            return cli_usage_error(cmd, "invalid --max-pixels '%s'", arg);
        p->max_pixels = (size_t)v;
        return 0;
    }
    const char *key = keys[code - CLI_OPT_RESIZE];
    const char *value = code == CLI_OPT_GRAY ? "1" : arg;
    /* validate now so a bad flag is a usage error, not a per-image one */
    struct cli_preprocess_opts probe = p->opts;
    char err[256];
    if (cli_preprocess_opts_set(&probe, key, value, err, sizeof err))
        return cli_usage_error(cmd, "%s", err);
    if (p->n_flags == 32)
        return cli_usage_error(cmd, "too many preprocessing flags");
    p->keys[p->n_flags] = key;
    p->values[p->n_flags++] = value;
    return 0;
}

int cli_prep_finish(struct cli_prep *p, const struct dn_graph *g, const char *model_path)
{
    char err[256];
    cli_preprocess_opts_default(&p->opts);
    if (g && dn_graph_input_count(g) == 1) {
        struct dn_shape s = dn_graph_input_shape(g, 0);
        /* a model declaring another fixed input size gets torchvision's
         * crop/resize ratio of 224/256 at its size; one channel means gray */
        if (s.ndim == 4 && s.d[2] > 0 && s.d[3] > 0 && (s.d[2] != 224 || s.d[3] != 224)) {
            p->opts.crop_h = (int)s.d[2];
            p->opts.crop_w = (int)s.d[3];
            int64_t short_side = s.d[2] < s.d[3] ? s.d[2] : s.d[3];
            p->opts.resize = (int)((short_side * 256 + 112) / 224);
        }
        if (s.ndim == 4 && s.d[1] == 1)
            p->opts.gray = 1;
    }
    static const char *meta_keys[] = {"resize", "crop", "mean", "std", "gray"};
    for (size_t i = 0; g && i < sizeof meta_keys / sizeof *meta_keys; i++) {
        char key[64];
        snprintf(key, sizeof key, "densenet.%s", meta_keys[i]);
        const char *v = dn_graph_meta(g, key);
        if (v && cli_preprocess_opts_set(&p->opts, meta_keys[i], v, err, sizeof err)) {
            cli_err(model_path, "metadata %s: %s", key, err);
            return CLI_EXIT_MODEL;
        }
    }
    int crop_flag = 0;
    for (int i = 0; i < p->n_flags; i++) {
        cli_preprocess_opts_set(&p->opts, p->keys[i], p->values[i], err, sizeof err);
        crop_flag |= strcmp(p->keys[i], "crop") == 0;
    }
    /* a fixed crop fixes every image's tensor: one of its own and two
     * batches of them must fit, whatever the image */
    double tensor = (p->opts.gray ? 1.0 : 3.0) * p->opts.crop_h * p->opts.crop_w * sizeof(float);
    double held = tensor * (1 + 2.0 * (p->batch > 1 ? p->batch : 1));
    if (p->max_memory && held > (double)p->max_memory) {
        cli_err(crop_flag ? NULL : model_path, "a %dx%d input needs %.0f MiB for an image's tensor and "
                "two batches of %d, more than --max-memory %.0f MiB", p->opts.crop_h, p->opts.crop_w,
                ceil(held / 1048576.0), p->batch > 1 ? p->batch : 1, floor((double)p->max_memory / 1048576.0));
        return crop_flag ? CLI_EXIT_USAGE : CLI_EXIT_MODEL;
    }
    return 0;
}

/* cli_image_limits' extra: what preprocessing a w x h image takes, plus
 * the two batch buffers of tensors its size */
static size_t prep_bytes(const void *user, int w, int h)
{
    const struct cli_prep *p = user;
    int c, th, tw;
    size_t prep = cli_preprocess_bytes(&p->opts, w, h);
    cli_preprocess_dims(&p->opts, w, h, &c, &th, &tw);
    double batches = 2.0 * (p->batch > 1 ? p->batch : 1) * c * th * tw * sizeof(float);
    return prep == SIZE_MAX || batches >= (double)SIZE_MAX / 2 ? SIZE_MAX : prep + (size_t)batches;
}

int cli_prep_file(const struct cli_prep *p, const char *path, float **out, struct dn_shape *chw)
{
    char err[256];
    if (cli_prep_file_quiet(p, path, out, chw, err, sizeof err) == 0)
        return 0;
    cli_err(path, "%s", err);
    return -1;
}

int cli_prep_file_quiet(const struct cli_prep *p, const char *path, float **out, struct dn_shape *chw,
                       char *err, size_t errlen)
{
    unsigned char *bytes = NULL;
    size_t size = 0;
    float *t = NULL;
    int c, h, w;
    *out = NULL;
    if (cli_file_read_all(path, &bytes, &size, err, errlen))
        return -1;
    struct cli_image_limits lim = {p->max_pixels, p->max_memory, prep_bytes, p};
    int rc = cli_image_to_tensor(bytes, size, &p->opts, &lim, &t, &c, &h, &w, err, errlen);
    free(bytes);
    if (rc)
        return -1;
    *chw = (struct dn_shape){3, {c, h, w}};
    *out = t;
    return 0;
}

int cli_read_list(const char *path, char ***list, int *n)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    struct stat st;
    if (!f) {
        cli_err(path, "cannot read the list: %s", strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_err(path, "is a directory, not a list of file names");
        if (f != stdin)
            fclose(f);
        return -1;
    }
    errno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len > 4096 || memchr(line, '\0', (size_t)len)) {
            cli_err(path, "line %d is not a file name", *n + 1);
            free(line);
            if (f != stdin)
                fclose(f);
            return -1;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        char **nl = realloc(*list, sizeof(char *) * (size_t)(*n + 1));
        char *dup = strdup(line);
        if (!nl || !dup) {
            free(dup);
            if (nl)
                *list = nl;
            cli_err(path, "out of memory");
            free(line);
            if (f != stdin)
                fclose(f);
            return -1;
        }
        *list = nl;
        (*list)[(*n)++] = dup;
    }
    int err = ferror(f) ? errno : 0;
    free(line);
    if (f != stdin)
        fclose(f);
    if (err) {
        cli_err(path, "cannot read the list: %s", strerror(err));
        return -1;
    }
    return 0;
}

int cli_image_list(int argc, char **argv, int first, const char *files_from, char ***files, int *n)
{
    for (int i = first; i < argc; i++) {
        char **nf = realloc(*files, sizeof(char *) * (size_t)(*n + 1));
        if (!nf || !(nf[*n] = strdup(argv[i]))) {
            if (nf)
                *files = nf;
            cli_err(NULL, "out of memory");
            return CLI_EXIT_INPUT;
        }
        *files = nf;
        (*n)++;
    }
    if (files_from && cli_read_list(files_from, files, n))
        return CLI_EXIT_INPUT;
    if (*n == 0 && files_from) {
        cli_err(files_from, "the list names no images");
        return CLI_EXIT_INPUT;
    }
    if (*n == 0) {
        char **nf = malloc(sizeof(char *));
        if (!nf)
            return CLI_EXIT_INPUT;
        *files = nf;
        if (!(nf[0] = strdup("-")))
            return CLI_EXIT_INPUT;
        *n = 1;
    }
    return 0;
}
