/* model.c: loading models for the CLI (files, or the library's built-in
 * DenseNets as "builtin:ARCH"), finding the shipped default model, making
 * sessions, and small argument parsers shared by the subcommands. */
#include "cli.h"
#include "onnx/import.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CLI_PKGDATADIR
#define CLI_PKGDATADIR "/usr/local/share/densenet"
#endif

struct dn_graph *cli_load_model(const char *path)
{
    struct dn_graph *g = NULL;
    size_t pre = strlen(CLI_BUILTIN_PREFIX);
    enum dn_status st;
    cli_diag_set_file(path);
    if (strncmp(path, CLI_BUILTIN_PREFIX, pre) == 0)
        st = dn_graph_densenet(&g, path + pre, 0, 224, CLI_BUILTIN_SEED);
    else
        st = dn_onnx_load_file(path, &g);
    cli_diag_set_file(NULL);
    return st == DN_OK ? g : NULL;
}

const char *cli_find_data_file(const char *name, char *path, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            const char *rel[] = {"/models/", "/../models/", "/../share/densenet/"};
            for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
                snprintf(path, size, "%s%s%s", self, rel[i], name);
                if (access(path, R_OK) == 0)
                    return path;
            }
        }
    }
#ifdef CLI_SRCDIR
    /* VPATH builds: the source tree recorded at configure time */
    snprintf(path, size, "%s/models/%s", CLI_SRCDIR, name);
    if (access(path, R_OK) == 0)
        return path;
#endif
    snprintf(path, size, "%s/%s", CLI_PKGDATADIR, name);
    return path;
}

const char *cli_default_model_path(void)
{
    static char path[PATH_MAX + 64];
    const char *env = getenv("DENSENET_MODEL");
    if (env && *env)
        return env;
    return cli_find_data_file("densenet-fmnist.onnx", path, sizeof path);
}

int cli_parse_int(const char *text, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_shape(const char *text, struct dn_shape *s)
{
    const char *p = text;
    s->ndim = 0;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (errno || end == p || v < 1 || v > (1LL << 30) || s->ndim == DN_MAX_DIMS)
            return -1;
        s->d[s->ndim++] = v;
        p = end;
        if (*p == 'x' || *p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return s->ndim ? 0 : -1;
}

struct dn_shape cli_concrete_input_shape(const struct dn_graph *g, int i, const char *file, int quiet)
{
    struct dn_shape s = dn_graph_input_shape(g, i);
    int assumed = 0;
    for (int k = 0; k < s.ndim; k++)
        if (s.d[k] < 0) {
            s.d[k] = k == 0 || s.ndim != 4 ? 1 : k == 1 ? 3 : 224;
            assumed |= k > 0;
        }
    if (assumed && !quiet) {
        char buf[96];
        cli_err(file, "note: input '%s' has dynamic dims; assuming %s", dn_graph_input_name(g, i),
               dn_shape_str(&s, buf, sizeof buf));
    }
    return s;
}

enum dn_status cli_session_for(const struct dn_graph *g, struct dn_session **s,
                                  struct dn_shape *have, const struct dn_shape *want,
                                  const char *file, const char *model,
                                  const struct dn_session_opts *opts)
{
    struct dn_session_opts dflt;
    if (*s && memcmp(have, want, sizeof *want) == 0)
        return DN_OK;
    dn_session_free(*s);
    *s = NULL;
    if (!opts) {
        memset(&dflt, 0, sizeof dflt);
        opts = &dflt;
    }
    if (opts->isa == DN_ISA_AUTO)
        cli_isa_env_check();
    cli_diag_hold();
    enum dn_status st = dn_session_init_opts(s, g, 1, want, opts);
    if (st == DN_ERR_SHAPE && dn_graph_input_count(g) == 1) {
        /* the shape the model declares failing is the model's fault */
        struct dn_shape d = dn_graph_input_shape(g, 0);
        int as_declared = d.ndim == want->ndim;
        for (int k = 0; as_declared && k < d.ndim; k++)
            as_declared &= d.d[k] < 0 || d.d[k] == want->d[k];
        if (as_declared)
            st = DN_ERR_INVALID;
    }
    cli_diag_release(st == DN_ERR_SHAPE || st == DN_ERR_NOMEM || !model ? file : model);
    if (st == DN_OK)
        *have = *want;
    return st;
}
