/* diag.c: the CLI's diagnostics: "densenet: FILE: message" lines on stderr
 * (standard input is named "-"), usage errors, the library log hook that
 * names the current file, and stdout's state (a closed pipe is not an error:
 * SIGPIPE is ignored and EPIPE ends the command quietly with status 0).
 * While a hold is active (cli_diag_hold) library lines are kept in a bounded
 * buffer and printed later under the file that turns out to be at fault. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

const char *cli_progname = "densenet";
static const char *current_file;

#define REPORT_MAX 1024 /* bytes of one message; longer ones end in "..." */

/* One line whatever the file name or message holds: control characters
 * and backslashes are escaped (cli_print_text), so a name or a value taken
 * from a hostile file cannot start a line of its own. */
static void vreport(const char *file, const char *fmt, va_list ap)
{
    char msg[REPORT_MAX];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    fflush(stdout);
    fprintf(stderr, "%s: ", cli_progname);
    if (file) {
        cli_print_text(stderr, file);
        fputs(": ", stderr);
    }
    cli_print_text(stderr, msg);
    if (n >= (int)sizeof msg)
        fputs("...", stderr);
    fputc('\n', stderr);
}

void cli_err(const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(file, fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(NULL, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s%s%s --help' for more information.\n", cli_progname, cmd ? " " : "",
            cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

#define HOLD_MAX (64 * 1024)
static int holding;
static char *held;        /* messages, each ending in '\0' (they may hold '\n') */
static size_t held_len;
static int held_dropped;  /* lines that did not fit */

static void log_hook(void *user, const char *msg)
{
    (void)user;
    if (!holding) {
        cli_err(current_file, "%s", msg);
        return;
    }
    size_t n = strlen(msg);
    if (!held && !(held = malloc(HOLD_MAX))) {
        held_dropped++;
        return;
    }
    if (held_len + n + 1 > HOLD_MAX) {
        held_dropped++;
        return;
    }
    memcpy(held + held_len, msg, n);
    held_len += n;
    held[held_len++] = '\0';
}

void cli_diag_hold(void)
{
    holding = 1;
    held_len = 0;
    held_dropped = 0;
}

void cli_diag_release(const char *file)
{
    holding = 0;
    for (size_t i = 0; i < held_len; i += strlen(held + i) + 1)
        cli_err(file, "%s", held + i);
    if (held_dropped)
        cli_err(file, "(%d more messages)", held_dropped);
    free(held);
    held = NULL;
    held_len = 0;
    held_dropped = 0;
}

void cli_diag_set_file(const char *file)
{
    current_file = file;
}

void cli_diag_install(void)
{
    dn_log_set(log_hook, NULL);
}

static int stdout_epipe;

int cli_stdout_broken(void)
{
    if (!stdout_epipe && fflush(stdout) != 0 && errno == EPIPE)
        stdout_epipe = 1;
    return stdout_epipe;
}

void cli_note_write_error(int err)
{
    if (err == EPIPE)
        stdout_epipe = 1;
}

int cli_finish_stdout(int code)
{
    if (cli_stdout_broken())
        return CLI_EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno == EPIPE)
            return CLI_EXIT_OK;
        cli_err(NULL, "write error: %s", strerror(errno));
        return code ? code : CLI_EXIT_INPUT;
    }
    return code;
}

void cli_print_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", f);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p == '\r')
            fputs("\\r", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
}

int cli_stderr_is_tty(void)
{
    return isatty(2);
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void cli_json_shape(FILE *f, const struct dn_shape *s)
{
    fputc('[', f);
    for (int i = 0; i < s->ndim; i++) {
        if (s->d[i] < 0)
            fprintf(f, "%snull", i ? ", " : "");
        else
            fprintf(f, "%s%lld", i ? ", " : "", (long long)s->d[i]);
    }
    fputc(']', f);
}

int cli_bad_option(const char *cmd, int missing_arg, char **argv)
{
    /* getopt leaves optind past the offending word; a bundled short option
     * shows as its character */
    const char *word = optind > 0 ? argv[optind - 1] : "";
    char shortopt[3] = {'-', (char)optopt, '\0'};
    if (optopt && (word[0] != '-' || word[1] == '-' || strlen(word) > 2))
        word = strncmp(word, "--", 2) == 0 ? word : shortopt;
    if (missing_arg)
        return cli_usage_error(cmd, "option '%s' requires an argument", word);
    return cli_usage_error(cmd, "unrecognized option '%s'", word);
}
