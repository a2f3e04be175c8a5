/* cli.h: what the subcommands of the densenet CLI share: diagnostics, exit
 * codes, model loading and labels. Only cli/ prints for the user or exits. */
#ifndef CLI_H
#define CLI_H

#include "core/densenet.h"

#include <stdio.h>

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_INPUT = 1,   /* some input failed; the rest was processed */
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_MODEL = 3,   /* model invalid or unsupported */
};

extern const char *cli_progname;

/* "densenet: FILE: message" on stderr (FILE omitted when NULL). */
void cli_err(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Usage error: message plus "Try 'densenet CMD --help'"; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports getopt's '?' (unknown option) or ':' (missing argument) as a usage
 * error naming the option; returns CLI_EXIT_USAGE. Needs opterr = 0. */
int cli_bad_option(const char *cmd, int missing_arg, char **argv);
/* Makes library log lines read "densenet: FILE: ..." while FILE is current. */
void cli_diag_set_file(const char *file);
void cli_diag_install(void);
/* Library log lines are held from cli_diag_hold until cli_diag_release, which
 * prints them under file (so a failure is blamed on the model or the input
 * once its status is known). */
void cli_diag_hold(void);
void cli_diag_release(const char *file);
/* Flushes stdout and reports a write error; returns the exit code to use.
 * A closed pipe (EPIPE) is no error: it returns CLI_EXIT_OK quietly. */
int cli_finish_stdout(int code);
/* Flushes stdout; 1 once a write to it has met a closed pipe (then the
 * command should stop at once and exit 0). */
int cli_stdout_broken(void);
/* Records errno of a failed write to stdout (EPIPE: the reader is gone). */
void cli_note_write_error(int err);
/* Text output: s with control characters and backslashes escaped (\n, \t,
 * \r, \\, \xNN), so one label or file name stays on one line and field. */
void cli_print_text(FILE *f, const char *s);

/* Output files: "-" is stdout; otherwise a temporary file beside path that
 * cli_out_commit renames over it, so an interrupted or failed run never leaves
 * half a file (cli_out_abort, or a fatal signal, removes the temporary). */
struct cli_out {
    FILE *f;
    const char *path;
    char tmp[4096];
};
/* 0, or -1 after reporting under path. */
int cli_out_open(struct cli_out *o, const char *path);
/* Flushes, closes and renames; 0, or -1 after reporting (the temporary is
 * removed). For stdout: flushes; a closed pipe counts as success. */
int cli_out_commit(struct cli_out *o);
void cli_out_abort(struct cli_out *o);
/* JSON helpers: a quoted, escaped string; a shape as a list (dynamic dims null). */
void cli_json_string(FILE *f, const char *s);
void cli_json_shape(FILE *f, const struct dn_shape *s);
/* 1 if stderr is a terminal (progress display). */
int cli_stderr_is_tty(void);

/* Loads a model, reporting problems under its file name. NULL on failure.
 * "builtin:ARCH" (ARCH densenet121/169/201/161) is the library's built-in
 * torchvision DenseNet: dynamic batch, 224x224, seeded random weights. */
#define CLI_BUILTIN_PREFIX "builtin:"
#define CLI_BUILTIN_SEED 1
struct dn_graph *cli_load_model(const char *path);
/* Finds a shipped data file: beside the binary (build tree), in the source
 * tree of a VPATH build, else the installed data directory. Returns path. */
const char *cli_find_data_file(const char *name, char *path, size_t size);
/* Keeps *s a session of one-input model g for shape *want, made with opts
 * (NULL: defaults), rebuilding it only when *want differs from *have (the
 * shape it was made for). A shape error (or NOMEM) is reported under file,
 * the input's name; any other error, or a shape error at the very shape
 * the model declares (then DN_ERR_INVALID is returned), under model. */
enum dn_status cli_session_for(const struct dn_graph *g, struct dn_session **s,
                                  struct dn_shape *have, const struct dn_shape *want,
                                  const char *file, const char *model,
                                  const struct dn_session_opts *opts);
/* The model used when -m is not given: $DENSENET_MODEL, else the shipped one. */
const char *cli_default_model_path(void);
/* Parses "1x3x224x224" or "1,3,224,224" into s; returns 0 on success. */
int cli_parse_shape(const char *text, struct dn_shape *s);
int cli_parse_int(const char *text, long long lo, long long hi, long long *out);
/* Concrete shape for input i: the declared one with dynamic dims filled in
 * (batch 1, spatial 224); notes on stderr what it assumed unless quiet. */
struct dn_shape cli_concrete_input_shape(const struct dn_graph *g, int i, const char *file, int quiet);

/* Label lists */
struct cli_labels {
    char **names;
    int n;
};
/* From a file of one label per line; 0 on success (errors reported). */
int cli_labels_read_file(struct cli_labels *l, const char *path);
/* From text with one label per line (model metadata). */
int cli_labels_from_text(struct cli_labels *l, const char *text);
/* The built-in ImageNet-1k list (shipped file); 0 on success. */
int cli_labels_imagenet(struct cli_labels *l);
void cli_labels_free(struct cli_labels *l);

/* Preprocessing shared by preprocess, classify and eval: torchvision's ImageNet
 * preset, then the model's densenet.* metadata, then command-line flags. */
#include "preprocess.h"
enum { CLI_OPT_RESIZE = 1000, CLI_OPT_CROP, CLI_OPT_MEAN, CLI_OPT_STD, CLI_OPT_GRAY, CLI_OPT_MAX_PIXELS };
#define CLI_PREP_LONGOPTS                                                   \
    {"resize", required_argument, 0, CLI_OPT_RESIZE},                       \
    {"crop", required_argument, 0, CLI_OPT_CROP},                           \
    {"mean", required_argument, 0, CLI_OPT_MEAN},                           \
    {"std", required_argument, 0, CLI_OPT_STD},                             \
    {"gray", no_argument, 0, CLI_OPT_GRAY},                                 \
    {"max-pixels", required_argument, 0, CLI_OPT_MAX_PIXELS}
struct cli_prep {
    struct cli_preprocess_opts opts;
    size_t max_pixels;
    /* bytes one image may take to decode and preprocess (pixels, resize
     * buffers, its tensor) plus the batch loop's two buffers of `batch`
     * such tensors, checked before allocating; 0: no limit. Starts as
     * dn_default_max_memory; commands with --max-memory set it. */
    size_t max_memory;
    int batch;                          /* items per batch; 0 counts as 1 */
    int n_flags;
    const char *keys[32], *values[32];  /* command-line overrides, in order */
};
void cli_prep_init(struct cli_prep *p);
/* Records one CLI_OPT_* flag; returns 0, or CLI_EXIT_USAGE after reporting. */
int cli_prep_flag(struct cli_prep *p, const char *cmd, int code, const char *arg);
/* Settles the options for model g (NULL: preset and flags only). Returns 0,
 * or CLI_EXIT_MODEL when the model's metadata is unusable (reported). */
int cli_prep_finish(struct cli_prep *p, const struct dn_graph *g, const char *model_path);
void cli_prep_help(void);
/* Reads, decodes and preprocesses one image file ("-": stdin) into a malloc'ed
 * CHW tensor; returns 0, or -1 after reporting "densenet: FILE: reason". */
int cli_prep_file(const struct cli_prep *p, const char *path, float **out, struct dn_shape *chw);
/* The same, reporting nothing: on failure the reason goes to err (for the
 * batch loader thread, whose messages the main thread prints in order). */
int cli_prep_file_quiet(const struct cli_prep *p, const char *path, float **out, struct dn_shape *chw,
                       char *err, size_t errlen);

/* --files-from of classify, features and eval: appends the names listed in path ("-":
 * stdin), one per line, empty lines skipped, to *list (*n of them, each
 * malloc'ed); a directory, an unreadable file or a read error is reported
 * and returns -1. */
int cli_read_list(const char *path, char ***list, int *n);
/* The images a command is given: argv[first..argc), then the names listed
 * in files_from (one per line, empty lines skipped; "-": stdin), else "-"
 * alone. Appends malloc'ed copies to *files (caller frees them and the
 * array, also on failure); 0, or CLI_EXIT_INPUT after reporting. */
int cli_image_list(int argc, char **argv, int first, const char *files_from, char ***files, int *n);

/* Session flags shared by run, classify, eval, inspect and bench (opts.c):
 * -t/--threads N (bench: N[,N...]), --isa NAME, --no-opt=PASS[,PASS]|all. */
enum { CLI_OPT_ISA = 1100, CLI_OPT_NO_OPT, CLI_OPT_MAX_MEMORY };
#define CLI_SESSION_LONGOPTS                                                \
    {"threads", required_argument, 0, 't'},                                \
    {"isa", required_argument, 0, CLI_OPT_ISA},                             \
    {"no-opt", required_argument, 0, CLI_OPT_NO_OPT},                       \
    {"max-memory", required_argument, 0, CLI_OPT_MAX_MEMORY}
/* the case labels of those flags in a getopt switch: `CLI_SESSION_CASES:` */
#define CLI_SESSION_CASES case 't': case CLI_OPT_ISA: case CLI_OPT_NO_OPT: case CLI_OPT_MAX_MEMORY
#define CLI_MAX_THREAD_COUNTS 16
struct cli_sess {
    struct dn_session_opts opts;        /* what sessions are made with */
    int threads[CLI_MAX_THREAD_COUNTS];  /* -t as given; n_threads 0: default */
    int n_threads;
    char no_opt[512];                   /* --no-opt names, comma-joined */
};
void cli_sess_init(struct cli_sess *o);
/* Records one flag ('t', CLI_OPT_ISA, CLI_OPT_NO_OPT, CLI_OPT_MAX_MEMORY); a comma list for -t
 * only when list is set. Returns 0, or CLI_EXIT_USAGE after reporting. */
int cli_sess_flag(struct cli_sess *o, const char *cmd, int code, const char *arg, int list);
void cli_sess_help(int list);
/* Notes once on stderr when $DENSENET_ISA is set but unusable (the default
 * ISA is then the best one this CPU has). */
void cli_isa_env_check(void);

/* subcommands */
int cmd_run(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_preprocess(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_features(int argc, char **argv);

#endif
