/* opts.c: the session flags every command that runs a model shares:
 * -t/--threads, --isa, --no-opt and --max-memory (CLI_SESSION_LONGOPTS in cli.h).
 *
 * Flags are checked when given, so a bad value is a usage error before any
 * model is read: an ISA this CPU lacks, an unknown pass name. struct
 * cli_sess owns the --no-opt text that its opts.no_opt points into, so it
 * must not be copied after a --no-opt flag (pass it by pointer).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 1024

void cli_sess_init(struct cli_sess *o)
{
    memset(o, 0, sizeof *o);
    o->opts.isa = DN_ISA_AUTO;
}

static int parse_threads(struct cli_sess *o, const char *cmd, const char *arg, int list)
{
    char buf[256];
    long long v;
    int n = 0;
    if (!list && strchr(arg, ','))
        return cli_usage_error(cmd, "invalid --threads '%s' (one number from 1 to %d)", arg, MAX_THREADS);
    if (strlen(arg) >= sizeof buf)
        return cli_usage_error(cmd, "invalid --threads '%.40s...'", arg);
    strcpy(buf, arg);
    for (char *tok = buf, *comma; tok; tok = comma ? comma + 1 : NULL) {
        if ((comma = strchr(tok, ',')))
            *comma = '\0';
        if (cli_parse_int(tok, 1, MAX_THREADS, &v))
            return cli_usage_error(cmd, "invalid --threads '%s' (%s from 1 to %d)", arg,
                                  list ? "numbers" : "a number", MAX_THREADS);
        if (n == CLI_MAX_THREAD_COUNTS)
            return cli_usage_error(cmd, "too many thread counts in --threads (at most %d)",
                                  CLI_MAX_THREAD_COUNTS);
        o->threads[n++] = (int)v;
    }
    o->n_threads = n;
    o->opts.threads = o->threads[0];
    return 0;
}

static int parse_isa(struct cli_sess *o, const char *cmd, const char *arg)
{
    enum dn_isa isa;
    if (dn_isa_parse(arg, &isa))
        return cli_usage_error(cmd, "invalid --isa '%s' (reference, generic, avx2, avx512 or auto)", arg);
    if (!dn_isa_supported(isa))
        return cli_usage_error(cmd, "this CPU (or this build) cannot run --isa %s", arg);
    o->opts.isa = isa;
    return 0;
}

static int is_pass(const char *name)
{
    int exact;
    for (int i = 0; i < dn_pass_count(); i++)
        if (strcmp(dn_pass_name(i, &exact), name) == 0)
            return 1;
    return 0;
}

static void pass_list(char *buf, size_t size)
{
    size_t len = 0;
    int exact;
    buf[0] = '\0';
    for (int i = 0; i < dn_pass_count() && len < size; i++) {
        int w = snprintf(buf + len, size - len, "%s, ", dn_pass_name(i, &exact));
        if (w < 0)
            break;
        len += (size_t)w;
    }
    snprintf(buf + (len < size ? len : size - 1), size - (len < size ? len : size - 1), "all");
}

static int parse_no_opt(struct cli_sess *o, const char *cmd, const char *arg)
{
    char buf[512], valid[512];
    if (strlen(arg) >= sizeof buf || strlen(o->no_opt) + strlen(arg) + 2 > sizeof o->no_opt)
        return cli_usage_error(cmd, "--no-opt lists too many passes");
    strcpy(buf, arg);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++)
        if (strcmp(tok, "all") != 0 && !is_pass(tok)) {
            pass_list(valid, sizeof valid);
            return cli_usage_error(cmd, "unknown pass '%s' in --no-opt (one of: %s)", tok, valid);
        }
    if (n == 0)
        return cli_usage_error(cmd, "--no-opt needs pass names or 'all'");
    if (o->no_opt[0])
        strcat(o->no_opt, ",");
    strcat(o->no_opt, arg);
    o->opts.no_opt = o->no_opt;
    return 0;
}

/* "512M", "2G", "1048576": bytes, with an optional K, M or G (powers of 1024) */
static int parse_max_memory(struct cli_sess *o, const char *cmd, const char *arg)
{
    char num[32];
    size_t len = strlen(arg);
    long long v, unit = 1;
    if (len == 0 || len >= sizeof num)
        return cli_usage_error(cmd, "invalid --max-memory '%s' (bytes, or a number with K, M or G)", arg);
    memcpy(num, arg, len + 1);
    switch (num[len - 1]) {
    case 'k': case 'K': unit = 1LL << 10; num[len - 1] = '\0'; break;
    case 'm': case 'M': unit = 1LL << 20; num[len - 1] = '\0'; break;
    case 'g': case 'G': unit = 1LL << 30; num[len - 1] = '\0'; break;
    }
    if (cli_parse_int(num, 1, (1LL << 50) / unit, &v))
        return cli_usage_error(cmd, "invalid --max-memory '%s' (bytes, or a number with K, M or G)", arg);
    o->opts.max_memory = (size_t)(v * unit);
    return 0;
}

int cli_sess_flag(struct cli_sess *o, const char *cmd, int code, const char *arg, int list)
{
    switch (code) {
    case 't': return parse_threads(o, cmd, arg, list);
    case CLI_OPT_ISA: return parse_isa(o, cmd, arg);
    case CLI_OPT_NO_OPT: return parse_no_opt(o, cmd, arg);
    case CLI_OPT_MAX_MEMORY: return parse_max_memory(o, cmd, arg);
    }
    return cli_usage_error(cmd, "internal error: option code %d is not a session flag", code);
}

void cli_sess_help(int list)
{
    int exact, col = 25;
    printf("\nExecution:\n");
    if (list)
        printf("  -t, --threads N[,N...] threads; one row per count (default: online CPUs, %d)\n",
               dn_cpu_count());
    else
        printf("  -t, --threads N        threads (default: online CPUs, %d)\n", dn_cpu_count());
    printf("      --isa NAME         kernels: reference (portable, the oracle), generic,\n"
           "                         avx2, avx512 or auto (default: $DENSENET_ISA, else the\n"
           "                         best this CPU has: %s)\n"
           "      --max-memory SIZE  memory a session may hold: activations, packed\n"
           "                         weights, buffers (K, M, G suffixes; default: half\n"
           "                         the RAM, at most 4G: %zuM here)\n"
           "      --no-opt=PASS[,PASS...]\n"
           "                         skip graph passes ('all': every one); passes marked\n"
           "                         * reassociate arithmetic, the others are exact:\n"
           "                        ",
           dn_isa_name(dn_isa_default()), dn_default_max_memory() >> 20);
    for (int i = 0; i < dn_pass_count(); i++) {
        const char *name = dn_pass_name(i, &exact);
        int w = (int)strlen(name) + (exact ? 1 : 2);
        if (col + w > 79) {
            printf("\n                        ");
            col = 25;
        }
        printf(" %s%s", name, exact ? "" : "*");
        col += w;
    }
    printf("\n");
}

void cli_isa_env_check(void)
{
    static int checked;
    const char *env = getenv("DENSENET_ISA");
    enum dn_isa isa;
    if (checked || !env || !*env)
        return;
    checked = 1;
    if (dn_isa_parse(env, &isa))
        cli_err(NULL, "note: ignoring DENSENET_ISA=%s (reference, generic, avx2, avx512 or auto)", env);
    else if (!dn_isa_supported(isa))
        cli_err(NULL, "note: ignoring DENSENET_ISA=%s (this CPU or build cannot run it)", env);
}
