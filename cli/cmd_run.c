/* cmd_run.c: `densenet run MODEL [-i IN.npy]... [-o OUT.npy] [--all]`: tensors in
 * and out as NumPy .npy files, standard input/output by default, so the
 * command sits in pipelines (`densenet preprocess x.jpg | densenet run m.onnx`). */
#include "cli.h"
#include "npy.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("Usage: densenet run MODEL [-i IN.npy]... [-o OUT.npy] [--all] [-t N] [--isa NAME]\n"
           "                    [--no-opt=PASS[,PASS]]\n\n"
           "Runs MODEL (ONNX) on float32 .npy tensors and writes its output as .npy.\n"
           "Batch and spatial sizes may differ from the model's declared ones where\n"
           "the graph allows.\n\n"
           "  -i, --input FILE   input tensor (repeat for models with several inputs);\n"
           "                     '-' or no -i reads standard input\n"
           "  -o, --output FILE  where to write; '-' or no -o is standard output\n"
           "      --all          write every graph output, one .npy after another\n"
           "  -h, --help         show this help\n");
    cli_sess_help(0);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"input", required_argument, 0, 'i'}, {"output", required_argument, 0, 'o'},
        {"all", no_argument, 0, 'A'},         {"help", no_argument, 0, 'h'},
        CLI_SESSION_LONGOPTS, {0, 0, 0, 0}};
    struct cli_sess so;
    const char *inputs[16];
    int n_inputs = 0, all = 0, c, rc, code = CLI_EXIT_OK;
    const char *out_path = "-";
    cli_sess_init(&so);
    while ((c = getopt_long(argc, argv, ":i:o:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (n_inputs == 16)
                return cli_usage_error("run", "too many inputs");
            inputs[n_inputs++] = optarg;
            break;
        case 'o': out_path = optarg; break;
        case 'A': all = 1; break;
        CLI_SESSION_CASES:
            if ((rc = cli_sess_flag(&so, "run", c, optarg, 0)))
                return rc;
            break;
        case 'h': help(); return CLI_EXIT_OK;
        default: return cli_bad_option("run", c == ':', argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("run", optind == argc ? "missing MODEL" : "too many arguments");
    const char *model_path = argv[optind];
    struct dn_graph *g = cli_load_model(model_path);
    struct dn_session *s = NULL;
    float *data[16] = {0};
    struct dn_shape shapes[16];
    if (!g)
        return CLI_EXIT_MODEL;
    int need = dn_graph_input_count(g);
    if (n_inputs == 0)
        inputs[n_inputs++] = "-";
    if (n_inputs != need) {
        cli_err(model_path, "the model has %d inputs; %d were given with -i", need, n_inputs);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    for (int i = 0; i < n_inputs; i++) {
        char err[256];
        int is_stdin = strcmp(inputs[i], "-") == 0;
        if (is_stdin && strcmp(model_path, "-") == 0) {
            cli_err(NULL, "the model and the input cannot both come from standard input");
            code = CLI_EXIT_USAGE;
            goto done;
        }
        FILE *f = is_stdin ? stdin : fopen(inputs[i], "rb");
        if (!f) {
            cli_err(inputs[i], "%s", strerror(errno));
            code = CLI_EXIT_INPUT;
            goto done;
        }
        int rc = cli_npy_read(f, &shapes[i], &data[i], err, sizeof err);
        if (!is_stdin)
            fclose(f);
        if (rc) {
            cli_err(inputs[i], "%s", err);
            code = CLI_EXIT_INPUT;
            goto done;
        }
    }
    if (so.opts.isa == DN_ISA_AUTO)
        cli_isa_env_check();
    /* a shape error is the input's fault unless the input has the very shape
     * the model declares; everything else is the model's */
    int as_declared = 1;
    for (int i = 0; i < n_inputs; i++) {
        struct dn_shape d = dn_graph_input_shape(g, i);
        as_declared &= d.ndim == shapes[i].ndim;
        for (int k = 0; as_declared && k < d.ndim; k++)
            as_declared &= d.d[k] < 0 || d.d[k] == shapes[i].d[k];
    }
    cli_diag_hold();
    /* one session: it takes the graph and frees each weight once packed */
    enum dn_status st = dn_session_init_consume(&s, g, n_inputs, shapes, &so.opts);
    const struct dn_graph *cg = st == DN_OK ? dn_session_graph(s) : NULL;
    g = NULL;
    if (st == DN_OK)
        st = dn_session_run(s, (const float *const *)data);
    int input_fault = (st == DN_ERR_SHAPE && !as_declared) || st == DN_ERR_NOMEM;
    cli_diag_release(input_fault && n_inputs == 1 ? inputs[0] : model_path);
    if (st != DN_OK) {
        code = input_fault ? CLI_EXIT_INPUT : CLI_EXIT_MODEL;
        goto done;
    }
    struct cli_out out;
    if (cli_out_open(&out, out_path)) {
        code = CLI_EXIT_INPUT;
        goto done;
    }
    int n_out = all ? dn_graph_output_count(cg) : 1;
    for (int i = 0; i < n_out; i++) {
        struct dn_tensor t = dn_session_output(s, i);
        if (t.dtype != DN_DTYPE_F32) {
            cli_err(model_path, "output '%s' is not float32", dn_graph_output_name(cg, i));
            code = CLI_EXIT_MODEL;
            break;
        }
        if (cli_npy_write(out.f, &t.shape, t.data)) {
            if (out.f == stdout && errno == EPIPE) {
                cli_note_write_error(EPIPE);
                break;
            }
            cli_err(out_path, "write error: %s", strerror(errno));
            code = CLI_EXIT_INPUT;
            break;
        }
    }
    if (code != CLI_EXIT_OK)
        cli_out_abort(&out);
    else if (cli_out_commit(&out))
        code = CLI_EXIT_INPUT;
done:
    for (int i = 0; i < 16; i++)
        free(data[i]);
    dn_session_free(s);
    dn_graph_free(g);
    return code;
}
