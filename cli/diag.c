/* diag.c: the CLI's diagnostics: "densenet: FILE: message" lines on stderr,
 * usage errors, and the library log hook that names the current file. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

const char *dn_progname = "densenet";
static const char *current_file;

static void vreport(const char *file, const char *fmt, va_list ap)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", dn_progname);
    if (file)
        fprintf(stderr, "%s: ", strcmp(file, "-") == 0 ? "(stdin)" : file);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void dn_err(const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(file, fmt, ap);
    va_end(ap);
}

int dn_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(NULL, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s%s%s --help' for more information.\n", dn_progname, cmd ? " " : "",
            cmd ? cmd : "");
    return DN_EXIT_USAGE;
}

static void log_hook(void *user, const char *msg)
{
    (void)user;
    dn_err(current_file, "%s", msg);
}

void dn_diag_set_file(const char *file)
{
    current_file = file;
}

void dn_diag_install(void)
{
    dn_log_set(log_hook, NULL);
}

int dn_finish_stdout(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        dn_err(NULL, "write error: %s", strerror(errno));
        return code ? code : DN_EXIT_INPUT;
    }
    return code;
}

int dn_stderr_is_tty(void)
{
    return isatty(2);
}

void dn_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void dn_json_shape(FILE *f, const struct dn_shape *s)
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

int dn_bad_option(const char *cmd, int missing_arg, char **argv)
{
    /* getopt leaves optind past the offending word; a bundled short option
     * shows as its character */
    const char *word = optind > 0 ? argv[optind - 1] : "";
    char shortopt[3] = {'-', (char)optopt, '\0'};
    if (optopt && (word[0] != '-' || word[1] == '-' || strlen(word) > 2))
        word = strncmp(word, "--", 2) == 0 ? word : shortopt;
    if (missing_arg)
        return dn_usage_error(cmd, "option '%s' requires an argument", word);
    return dn_usage_error(cmd, "unrecognized option '%s'", word);
}
