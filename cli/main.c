/* main.c: the densenet command: global options and a table of subcommands
 * (git style). Each subcommand lives in cli/cmd_<name>.c with the signature
 * int cmd_<name>(int argc, char **argv) and returns the process exit code. */
#include "cli.h"
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"classify", cmd_classify, "top-k labels for JPEG/PNG images"},
    {"run", cmd_run, "run a model on .npy tensors"},
    {"preprocess", cmd_preprocess, "turn an image into the model's input tensor (.npy)"},
    {"inspect", cmd_inspect, "ops, shapes, parameters, MACs and memory of a model"},
    {"features", cmd_features, "pooled features of images (.npy), for search and transfer learning"},
    {"eval", cmd_eval, "top-1/top-5 accuracy over a labelled data set"},
    {"bench", cmd_bench, "forward-pass latency, throughput and GFLOP/s per thread count"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: densenet [--help] [--version] COMMAND [ARGS]\n\n"
               "Runs DenseNet image classifiers exported to ONNX.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'densenet COMMAND --help' for a command's options.\n"
               "Exit status: 0 ok, 1 some input failed, 2 usage error, 3 model invalid or unsupported.\n");
}

int main(int argc, char **argv)
{
    cli_diag_install();
    /* a closed pipe shows up as EPIPE, which each command treats as the
     * reader being done (exit 0), as `yes | head` ends */
    signal(SIGPIPE, SIG_IGN);
    opterr = 0; /* subcommands report option errors themselves */
    if (argc < 2)
        return cli_usage_error(NULL, "no command given");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return cli_finish_stdout(CLI_EXIT_OK);
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("densenet %s\n", PACKAGE_VERSION);
        return cli_finish_stdout(CLI_EXIT_OK);
    }
    if (cmd[0] == '-')
        return cli_usage_error(NULL, "unrecognized option '%s'", cmd);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, cmd) == 0)
            return cli_finish_stdout(commands[i].fn(argc - 1, argv + 1));
    return cli_usage_error(NULL, "'%s' is not a densenet command", cmd);
}
