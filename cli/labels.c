/* labels.c: class label lists: from a file, from model metadata (one label per
 * line), or the built-in ImageNet-1k list shipped as imagenet_classes.txt. */
#include "cli.h"
#include "image.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_labels_free(struct cli_labels *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n = 0;
}

int cli_labels_from_text(struct cli_labels *l, const char *text)
{
    l->names = NULL;
    l->n = 0;
    const char *p = text;
    while (*p) {
        size_t trim;
        const char *next = cli_label_line(p, &trim);
        char **nn = realloc(l->names, sizeof(char *) * (size_t)(l->n + 1));
        char *s = malloc(trim + 1);
        if (!nn || !s) {
            free(s);
            if (nn)
                l->names = nn;
            cli_labels_free(l);
            cli_err(NULL, "out of memory reading labels");
            return -1;
        }
        memcpy(s, p, trim);
        s[trim] = '\0';
        l->names = nn;
        l->names[l->n++] = s;
        if (!next)
            break;
        p = next;
    }
    return 0;
}

int cli_labels_read_file(struct cli_labels *l, const char *path)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    char err[256];
    if (cli_file_read_all(path, &bytes, &len, err, sizeof err)) {
        cli_err(path, "cannot read labels: %s", err);
        return -1;
    }
    if (len >= (64u << 20)) {
        cli_err(path, "label file is too large");
        free(bytes);
        return -1;
    }
    char *buf = realloc(bytes, len + 1);
    if (!buf) {
        cli_err(path, "out of memory reading labels");
        free(bytes);
        return -1;
    }
    buf[len] = '\0';
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
    int rc = cli_labels_from_text(l, buf);
    free(buf);
    return rc;
}

int cli_labels_imagenet(struct cli_labels *l)
{
    char path[PATH_MAX + 64];
    cli_find_data_file("imagenet_classes.txt", path, sizeof path);
    return access(path, R_OK) == 0 ? cli_labels_read_file(l, path) : -1;
}
