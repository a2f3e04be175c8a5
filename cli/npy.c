/* npy.c: NumPy .npy reader and writer (see npy.h).
 *
 * The header is parsed as the Python dict literal it is: '{', then
 * 'key': value pairs separated by commas (a trailing comma allowed), '}',
 * then only spaces up to the closing newline. Keys and strings are quoted
 * with ' or " (no escapes), values are strings, True/False or tuples of
 * non-negative integers. Exactly the keys NumPy writes must be present, each
 * once: descr, fortran_order and shape; any other key, a repeated key or
 * stray text is an error. Data after the array is an error too.
 * Sizes are bounded before anything is allocated: the header by
 * NPY_MAX_HEADER, the element count by NPY_MAX_ELEMS, and the data buffer
 * grows as bytes actually arrive, so a header that lies costs nothing.
 */
#include "npy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAX_HEADER (1 << 20)
#define NPY_MAX_ELEMS ((int64_t)1 << 32)
#define NPY_CHUNK ((size_t)1 << 24) /* first data allocation at most 16 MiB */

/* A cursor over the header text; err gets the first problem. */
struct scan {
    const char *p, *end;
    char *err;
    size_t errlen;
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
        s->p++;
}

static int bad(struct scan *s, const char *what)
{
    snprintf(s->err, s->errlen, "malformed .npy header: %s", what);
    return -1;
}

/* A quoted string into buf (at most size - 1 chars); 0 or -1. */
static int scan_string(struct scan *s, char *buf, size_t size)
{
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
        return bad(s, "expected a quoted string");
    char q = *s->p++;
    size_t n = 0;
    while (s->p < s->end && *s->p != q) {
        if (*s->p == '\\' || *s->p == '\n' || n + 1 >= size)
            return bad(s, "unsupported string");
        buf[n++] = *s->p++;
    }
    if (s->p >= s->end)
        return bad(s, "unterminated string");
    s->p++;
    buf[n] = '\0';
    return 0;
}

static int scan_word(struct scan *s, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
        return 0;
    s->p += n;
    return 1;
}

/* A tuple of non-negative integers: (), (3,), (1, 2), (1, 2,). */
static int scan_shape(struct scan *s, struct dn_shape *shape)
{
    shape->ndim = 0;
    if (s->p >= s->end || *s->p != '(')
        return bad(s, "shape is not a tuple");
    s->p++;
    for (;;) {
        skip_ws(s);
        if (s->p < s->end && *s->p == ')') { /* (), or after a comma */
            s->p++;
            return 0;
        }
        if (shape->ndim == DN_MAX_DIMS)
            return bad(s, "shape has too many dims");
        if (s->p >= s->end || *s->p < '0' || *s->p > '9')
            return bad(s, "shape holds something other than non-negative integers");
        int64_t v = 0;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return bad(s, "dim is too large");
            v = v * 10 + (*s->p++ - '0');
        }
        if (s->p < s->end && *s->p == 'L') /* Python 2 longs */
            s->p++;
        shape->d[shape->ndim++] = v;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ')') {
            if (shape->ndim == 1) /* Python: (3) is an int, not a tuple */
                return bad(s, "a one-element shape needs a trailing comma");
            s->p++;
            return 0;
        }
        return bad(s, "shape is not a tuple");
    }
}

int cli_npy_parse_header(const char *h, size_t len, struct dn_shape *shape, char *err, size_t errlen)
{
    struct scan s = {h, h + len, err, errlen};
    char key[32], descr[32];
    int have_descr = 0, have_fo = 0, have_shape = 0, fortran = 0;
    /* the header ends in '\n', and spaces pad it before that */
    if (len == 0 || h[len - 1] != '\n')
        return bad(&s, "no closing newline");
    s.end--;
    while (s.end > s.p && (s.end[-1] == ' ' || s.end[-1] == '\t'))
        s.end--;
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return bad(&s, "not a dict");
    s.p++;
    for (;;) {
        skip_ws(&s);
        if (s.p < s.end && *s.p == '}') {
            s.p++;
            break;
        }
        if (scan_string(&s, key, sizeof key))
            return -1;
        skip_ws(&s);
        if (s.p >= s.end || *s.p != ':')
            return bad(&s, "expected ':' after a key");
        s.p++;
        skip_ws(&s);
        if (strcmp(key, "descr") == 0 && !have_descr) {
            if (scan_string(&s, descr, sizeof descr))
                return -1;
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_fo) {
            if (scan_word(&s, "True"))
                fortran = 1;
            else if (!scan_word(&s, "False"))
                return bad(&s, "fortran_order is not True or False");
            have_fo = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (scan_shape(&s, shape))
                return -1;
            have_shape = 1;
        } else if (strcmp(key, "descr") == 0 || strcmp(key, "fortran_order") == 0 ||
                   strcmp(key, "shape") == 0) {
            snprintf(err, errlen, "malformed .npy header: key '%s' appears twice", key);
            return -1;
        } else {
            snprintf(err, errlen, "malformed .npy header: unexpected key '%s'", key);
            return -1;
        }
        skip_ws(&s);
        if (s.p < s.end && *s.p == ',') {
            s.p++;
            continue;
        }
        skip_ws(&s);
        if (s.p < s.end && *s.p == '}') {
            s.p++;
            break;
        }
        return bad(&s, "expected ',' or '}'");
    }
    skip_ws(&s);
    if (s.p != s.end)
        return bad(&s, "text after the dict");
    if (!have_descr || !have_fo || !have_shape)
        return bad(&s, "descr, fortran_order and shape are required");
    if (strcmp(descr, "<f4") != 0) {
        snprintf(err, errlen, "array dtype is '%s'; float32 ('<f4') is expected", descr);
        return -1;
    }
    if (fortran) {
        snprintf(err, errlen, "Fortran-ordered arrays are not supported");
        return -1;
    }
    int64_t numel = 1;
    for (int i = 0; i < shape->ndim; i++) {
        int64_t v = shape->d[i];
        if (v > 0 && numel > NPY_MAX_ELEMS / v) {
            snprintf(err, errlen, "array is too large (more than %lld elements)", (long long)NPY_MAX_ELEMS);
            return -1;
        }
        numel *= v;
    }
    return 0;
}

int cli_npy_read(FILE *f, struct dn_shape *shape, float **data, char *err, size_t errlen)
{
    unsigned char pre[10];
    char *h = NULL;
    unsigned char *raw = NULL;
    *data = NULL;
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        snprintf(err, errlen, "not a NumPy .npy file");
        goto fail;
    }
    size_t hlen;
    if (pre[6] == 1) {
        if (fread(pre + 8, 1, 2, f) != 2)
            goto short_read;
        hlen = pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        unsigned char b[4];
        if (fread(b, 1, 4, f) != 4)
            goto short_read;
        hlen = b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16 | (size_t)b[3] << 24;
    } else {
        snprintf(err, errlen, "unsupported .npy format version %d", pre[6]);
        goto fail;
    }
    if (hlen > NPY_MAX_HEADER) {
        snprintf(err, errlen, ".npy header is too large");
        goto fail;
    }
    h = malloc(hlen + 1);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (fread(h, 1, hlen, f) != hlen)
        goto short_read;
    h[hlen] = '\0';
    if (memchr(h, '\0', hlen)) {
        snprintf(err, errlen, "malformed .npy header: a NUL byte");
        goto fail;
    }
    if (cli_npy_parse_header(h, hlen, shape, err, errlen))
        goto fail;
    size_t need = (size_t)dn_shape_numel(shape) * 4, have = 0, cap = 0;
    /* grow with the bytes that arrive, not with what the header claims */
    while (have < need) {
        if (have == cap) {
            size_t nc = cap ? cap * 2 : NPY_CHUNK;
            if (nc > need)
                nc = need;
            unsigned char *nr = realloc(raw, nc);
            if (!nr) {
                snprintf(err, errlen, "out of memory for %zu bytes of data", need);
                goto fail;
            }
            raw = nr;
            cap = nc;
        }
        size_t r = fread(raw + have, 1, cap - have, f);
        if (r == 0)
            goto short_read;
        have += r;
    }
    if (fgetc(f) != EOF) {
        snprintf(err, errlen, "trailing data after the array");
        goto fail;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "read error");
        goto fail;
    }
    if (!raw && !(raw = malloc(1))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    free(h);
    *data = (float *)raw;
    return 0;
short_read:
    snprintf(err, errlen, "truncated .npy data");
fail:
    free(h);
    free(raw);
    return -1;
}

int cli_npy_write(FILE *f, const struct dn_shape *shape, const float *data)
{
    char dict[512];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < shape->ndim; i++)
        len += snprintf(dict + len, sizeof dict - (size_t)len, "%lld,%s", (long long)shape->d[i],
                        i + 1 < shape->ndim ? " " : "");
    len += snprintf(dict + len, sizeof dict - (size_t)len, "), }");
    /* pad with spaces so magic + lengths + dict + '\n' is a multiple of 64 */
    int total = 10 + len + 1;
    int pad = (64 - total % 64) % 64;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    int hlen = len + pad + 1;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    if (fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)len, f) != (size_t)len)
        return -1;
    for (int i = 0; i < pad; i++)
        if (fputc(' ', f) == EOF)
            return -1;
    if (fputc('\n', f) == EOF)
        return -1;
    size_t n = (size_t)dn_shape_numel(shape);
    if (fwrite(data, sizeof(float), n, f) != n)
        return -1;
    return 0;
}
