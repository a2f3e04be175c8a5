/* output.c: output files that appear whole or not at all (see cli.h, cli_out).
 *
 * cli_out_open makes "DIR/.NAME.XXXXXX" beside the target with mkstemp (so the
 * rename stays on one file system), gives it the mode a plain fopen would
 * (0666 less the umask), and records its name for the signal handler: an
 * interrupt removes the temporary and then dies of the signal as before.
 * One output file is open at a time; the CLI is single-threaded here.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char pending[4096];          /* temporary to remove on a fatal signal */
static volatile sig_atomic_t have_pending;

static void on_signal(int sig)
{
    if (have_pending)
        unlink(pending);
    signal(sig, SIG_DFL);
    raise(sig);
}

int cli_out_open(struct cli_out *o, const char *path)
{
    o->path = path;
    o->tmp[0] = '\0';
    o->f = NULL;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(o->tmp, sizeof o->tmp, "%.*s.%s.XXXXXX", dirlen, path, slash ? slash + 1 : path) >=
        (int)sizeof o->tmp) {
        cli_err(path, "file name is too long");
        o->tmp[0] = '\0';
        return -1;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_err(path, "is a directory");
        o->tmp[0] = '\0';
        return -1;
    }
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        cli_err(path, "cannot create a file here: %s", strerror(errno));
        o->tmp[0] = '\0';
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    memcpy(pending, o->tmp, sizeof pending);
    have_pending = 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        cli_err(path, "%s", strerror(errno));
        close(fd);
        cli_out_abort(o);
        return -1;
    }
    return 0;
}

void cli_out_abort(struct cli_out *o)
{
    if (o->f && o->f != stdout)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp[0]) {
        unlink(o->tmp);
        o->tmp[0] = '\0';
    }
    have_pending = 0;
}

int cli_out_commit(struct cli_out *o)
{
    if (o->f == stdout) {
        o->f = NULL;
        if (cli_stdout_broken())
            return 0;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            if (errno == EPIPE) {
                cli_note_write_error(EPIPE);
                return 0;
            }
            cli_err(o->path, "write error: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    int bad = fflush(o->f) != 0 || ferror(o->f);
    int e = errno;
    if (fclose(o->f) != 0 && !bad)
        bad = 1, e = errno;
    o->f = NULL;
    if (!bad && rename(o->tmp, o->path) != 0)
        bad = 1, e = errno;
    if (bad) {
        cli_err(o->path, "write error: %s", strerror(e));
        cli_out_abort(o);
        return -1;
    }
    o->tmp[0] = '\0';
    have_pending = 0;
    return 0;
}
