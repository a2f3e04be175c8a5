/* cmd_preprocess.c: `densenet preprocess [-m MODEL] [-o OUT.npy] IMAGE...`: the
 * model input tensor for images, as .npy (N x C x H x W, float32), so that
 * `densenet preprocess cat.jpg | densenet run model.onnx` works. */
#include "cli.h"
#include "npy.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("Usage: densenet preprocess [-m MODEL] [-o OUT.npy] [OPTIONS] IMAGE...\n\n"
           "Decodes JPEG/PNG images ('-' reads standard input) and writes the model\n"
           "input tensor as .npy (N x C x H x W float32), exactly as torchvision's\n"
           "transforms would make it. Several images are stacked into one batch.\n\n"
           "  -m, --model MODEL  take preprocessing from MODEL's metadata and input shape\n"
           "  -o, --output FILE  where to write; '-' or no -o is standard output\n"
           "  -h, --help         show this help\n");
    cli_prep_help();
}

int cmd_preprocess(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'}, CLI_PREP_LONGOPTS, {0, 0, 0, 0}};
    struct cli_prep prep;
    const char *model = NULL, *out_path = "-";
    int c, rc, code = CLI_EXIT_OK;
    cli_prep_init(&prep);
    while ((c = getopt_long(argc, argv, ":m:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'o': out_path = optarg; break;
        case 'h': help(); return CLI_EXIT_OK;
        case ':':
        case '?': return cli_bad_option("preprocess", c == ':', argv);
        default:
            if ((rc = cli_prep_flag(&prep, "preprocess", c, optarg)))
                return rc;
        }
    }
    int n = argc - optind;
    if (n < 1)
        return cli_usage_error("preprocess", "missing IMAGE");
    struct dn_graph *g = NULL;
    if (model && !(g = cli_load_model(model)))
        return CLI_EXIT_MODEL;
    if ((rc = cli_prep_finish(&prep, g, model))) {
        dn_graph_free(g);
        return rc;
    }
    dn_graph_free(g);
    float *batch = NULL;
    struct dn_shape first = {0, {0}};
    int ok = 0;
    for (int i = 0; i < n; i++) {
        const char *path = argv[optind + i];
        float *t;
        struct dn_shape chw;
        if (cli_prep_file(&prep, path, &t, &chw)) {
            code = CLI_EXIT_INPUT;
            continue;
        }
        if (ok && memcmp(&chw, &first, sizeof chw) != 0) {
            char b1[96], b2[96];
            cli_err(path, "tensor %s does not stack with %s; use --crop to give all images one size",
                   dn_shape_str(&chw, b1, sizeof b1), dn_shape_str(&first, b2, sizeof b2));
            free(t);
            code = CLI_EXIT_INPUT;
            continue;
        }
        size_t each = (size_t)dn_shape_numel(&chw);
        float *nb = realloc(batch, sizeof(float) * each * (size_t)(ok + 1));
        if (!nb) {
            cli_err(path, "out of memory");
            free(t);
            code = CLI_EXIT_INPUT;
            continue;
        }
        batch = nb;
        memcpy(batch + each * (size_t)ok, t, sizeof(float) * each);
        free(t);
        first = chw;
        ok++;
    }
    if (ok > 0) {
        struct dn_shape s = {4, {ok, first.d[0], first.d[1], first.d[2]}};
        struct cli_out out;
        if (cli_out_open(&out, out_path)) {
            code = CLI_EXIT_INPUT;
        } else if (cli_npy_write(out.f, &s, batch)) {
            if (out.f == stdout && errno == EPIPE) {
                cli_note_write_error(EPIPE);
            } else {
                cli_err(out_path, "write error: %s", strerror(errno));
                code = CLI_EXIT_INPUT;
            }
            cli_out_abort(&out);
        } else if (cli_out_commit(&out)) {
            code = CLI_EXIT_INPUT;
        }
    }
    free(batch);
    return code;
}
