/* cmd_inspect.c: `densenet inspect MODEL [--json] [--layers] [--shape S]`: what a
 * model is (producer, opset, inputs, outputs, op histogram) and what running it
 * costs (parameters, multiply-accumulates, packed weight and activation memory,
 * and per executed step its implementation), as text or JSON. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("Usage: densenet inspect MODEL [--json] [--layers] [--shape NxCxHxW] [--isa NAME]\n"
           "                        [--no-opt=PASS[,PASS]]\n\n"
           "Shows a model's inputs, outputs, op histogram, parameter count,\n"
           "multiply-accumulates (MACs), packed weight and activation memory.\n"
           "MODEL may be builtin:densenet121 (or 169, 201, 161): the built-in network.\n\n"
           "  -j, --json         one JSON object instead of text\n"
           "  -l, --layers       one row per executed step (name, op, implementation,\n"
           "                     shape, MACs, params)\n"
           "  -s, --shape SHAPE  input shape to cost the model at (default: the declared\n"
           "                     shape, dynamic batch 1 and dynamic spatial dims 224)\n"
           "  -h, --help         show this help\n");
    cli_sess_help(0);
}

static void group_digits(long long v, char *buf, size_t size)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v), o = 0;
    if (v < 0)
        buf[o++] = '-';
    for (int i = 0; i < n && (size_t)o < size - 2; i++) {
        buf[o++] = tmp[i];
        if ((n - i - 1) % 3 == 0 && i != n - 1)
            buf[o++] = ',';
    }
    buf[o] = '\0';
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"layers", no_argument, 0, 'l'},
        {"shape", required_argument, 0, 's'}, {"help", no_argument, 0, 'h'},
        CLI_SESSION_LONGOPTS, {0, 0, 0, 0}};
    struct cli_sess so;
    int json = 0, layers = 0, c, rc;
    struct dn_shape given;
    int have_shape = 0;
    cli_sess_init(&so);
    while ((c = getopt_long(argc, argv, ":jls:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'l': layers = 1; break;
        case 's':
            if (cli_parse_shape(optarg, &given))
                return cli_usage_error("inspect", "bad shape '%s' (expected e.g. 1x3x224x224)", optarg);
            have_shape = 1;
            break;
        CLI_SESSION_CASES:
            if ((rc = cli_sess_flag(&so, "inspect", c, optarg, 0)))
                return rc;
            break;
        case 'h': help(); return CLI_EXIT_OK;
        default: return cli_bad_option("inspect", c == ':', argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("inspect", optind == argc ? "missing MODEL" : "too many arguments");
    const char *path = argv[optind];
    struct dn_graph *g = cli_load_model(path);
    if (!g)
        return CLI_EXIT_MODEL;
    int n_in = dn_graph_input_count(g), n_out = dn_graph_output_count(g);
    struct dn_shape *shapes = calloc((size_t)n_in, sizeof *shapes);
    struct dn_session *s = NULL;
    int code = CLI_EXIT_OK;
    if (!shapes) {
        cli_err(path, "out of memory");
        code = CLI_EXIT_MODEL;
        goto done;
    }
    for (int i = 0; i < n_in; i++)
        shapes[i] = have_shape && i == 0 ? given : cli_concrete_input_shape(g, i, path, json);
    if (so.opts.isa == DN_ISA_AUTO)
        cli_isa_env_check();
    cli_diag_set_file(path);
    enum dn_status st = dn_session_init_opts(&s, g, n_in, shapes, &so.opts);
    cli_diag_set_file(NULL);
    if (st != DN_OK) {
        code = st == DN_ERR_SHAPE && have_shape ? CLI_EXIT_INPUT : CLI_EXIT_MODEL;
        goto done;
    }
    const char *ops[64];
    int counts[64];
    int n_ops = dn_graph_op_histogram(g, ops, counts, 64);
    long long params = dn_graph_param_count(g), macs = dn_session_macs(s);
    size_t act = dn_session_activation_bytes(s), packed = dn_session_weight_bytes(s);
    char b1[96], b2[96];
    if (json) {
        printf("{\"file\": ");
        cli_json_string(stdout, path);
        printf(", \"producer\": ");
        cli_json_string(stdout, dn_graph_producer(g));
        printf(", \"ir_version\": %lld, \"opset\": %lld, \"inputs\": [",
               (long long)dn_graph_ir_version(g), (long long)dn_graph_opset(g));
        for (int i = 0; i < n_in; i++) {
            struct dn_shape d = dn_graph_input_shape(g, i);
            printf("%s{\"name\": ", i ? ", " : "");
            cli_json_string(stdout, dn_graph_input_name(g, i));
            printf(", \"shape\": ");
            cli_json_shape(stdout, &d);
            printf(", \"run_shape\": ");
            cli_json_shape(stdout, &shapes[i]);
            printf("}");
        }
        printf("], \"outputs\": [");
        for (int i = 0; i < n_out; i++) {
            struct dn_tensor t = dn_session_output(s, i);
            printf("%s{\"name\": ", i ? ", " : "");
            cli_json_string(stdout, dn_graph_output_name(g, i));
            printf(", \"shape\": ");
            cli_json_shape(stdout, &t.shape);
            printf("}");
        }
        printf("], \"ops\": {");
        for (int i = 0; i < n_ops; i++) {
            printf("%s", i ? ", " : "");
            cli_json_string(stdout, ops[i]);
            printf(": %d", counts[i]);
        }
        printf("}, \"params\": %lld, \"macs\": %lld, \"activation_bytes\": %zu, \"weight_bytes\": %zu"
               ", \"isa\": \"%s\", \"threads\": %d",
               params, macs, act, packed, dn_isa_name(dn_session_isa(s)), dn_session_threads(s));
        printf(", \"metadata\": {");
        for (int i = 0; i < dn_graph_meta_count(g); i++) {
            const char *k, *v;
            dn_graph_meta_at(g, i, &k, &v);
            printf("%s", i ? ", " : "");
            cli_json_string(stdout, k);
            printf(": ");
            cli_json_string(stdout, v);
        }
        printf("}");
        if (layers) {
            printf(", \"nodes\": [");
            for (int i = 0; i < dn_session_node_count(s); i++) {
                struct dn_node_info ni;
                dn_session_node_info(s, i, &ni);
                printf("%s\n  {\"name\": ", i ? "," : "");
                cli_json_string(stdout, ni.name);
                printf(", \"op\": \"%s\", \"impl\": ", ni.op);
                cli_json_string(stdout, ni.impl ? ni.impl : "");
                printf(", \"shape\": ");
                cli_json_shape(stdout, &ni.shape);
                printf(", \"macs\": %lld, \"params\": %lld}", (long long)ni.macs, (long long)ni.params);
            }
            printf("]");
        }
        printf("}\n");
        goto done;
    }
    printf("model:       %s\n", path);
    printf("producer:    %s\n", *dn_graph_producer(g) ? dn_graph_producer(g) : "(unknown)");
    printf("ir version:  %lld\nopset:       %lld\n", (long long)dn_graph_ir_version(g),
           (long long)dn_graph_opset(g));
    for (int i = 0; i < n_in; i++) {
        struct dn_shape d = dn_graph_input_shape(g, i);
        printf("input:       %s %s float32", dn_graph_input_name(g, i), dn_shape_str(&d, b1, sizeof b1));
        if (memcmp(&d, &shapes[i], sizeof d) != 0)
            printf(" (costed at %s)", dn_shape_str(&shapes[i], b2, sizeof b2));
        printf("\n");
    }
    for (int i = 0; i < n_out; i++) {
        struct dn_tensor t = dn_session_output(s, i);
        printf("output:      %s %s\n", dn_graph_output_name(g, i), dn_shape_str(&t.shape, b1, sizeof b1));
    }
    group_digits(params, b1, sizeof b1);
    printf("parameters:  %s (%.2f MB as float32)\n", b1, params * 4.0 / 1e6);
    group_digits(macs, b1, sizeof b1);
    printf("MACs:        %s (%.3f G multiply-accumulates)\n", b1, macs / 1e9);
    group_digits((long long)act, b1, sizeof b1);
    printf("activations: %s bytes (%.2f MiB, planned)\n", b1, act / 1048576.0);
    group_digits((long long)packed, b1, sizeof b1);
    printf("weights:     %s bytes (%.2f MiB, packed for the %s kernels)\n", b1, packed / 1048576.0,
           dn_isa_name(dn_session_isa(s)));
    printf("ops:        ");
    for (int i = 0; i < n_ops; i++)
        printf(" %s %d%s", ops[i], counts[i], i + 1 < n_ops ? "," : "\n");
    for (int i = 0; i < dn_graph_meta_count(g); i++) {
        const char *k, *v;
        dn_graph_meta_at(g, i, &k, &v);
        const char *nl = strchr(v, '\n');
        int lines = 1;
        for (const char *q = v; *q; q++)
            lines += *q == '\n';
        if (nl)
            printf("metadata:    %s = %.*s ... (%d lines)\n", k, (int)(nl - v), v, lines);
        else
            printf("metadata:    %s = %s\n", k, v);
    }
    if (layers) {
        printf("\n%-40s %-20s %-44s %-18s %15s %12s\n", "node", "op", "impl", "output", "MACs", "params");
        for (int i = 0; i < dn_session_node_count(s); i++) {
            struct dn_node_info ni;
            dn_session_node_info(s, i, &ni);
            printf("%-40s %-20s %-44s %-18s %15lld %12lld\n", ni.name, ni.op, ni.impl ? ni.impl : "-",
                   dn_shape_str(&ni.shape, b1, sizeof b1), (long long)ni.macs, (long long)ni.params);
        }
    }
done:
    free(shapes);
    dn_session_free(s);
    dn_graph_free(g);
    return code;
}
