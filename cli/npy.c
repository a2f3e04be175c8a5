/* npy.c: NumPy .npy reader and writer (see npy.h).
 *
 * The header is a Python dict literal; we read only the three keys NumPy
 * always writes (descr, fortran_order, shape) with a small tolerant scanner,
 * and bound every size so a hostile header cannot make us allocate wildly.
 */
#include "npy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAX_HEADER (1 << 20)
#define NPY_MAX_ELEMS ((int64_t)1 << 32)

static const char *find_key(const char *h, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) {
        snprintf(pat, sizeof pat, "\"%s\"", key);
        p = strstr(h, pat);
    }
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == ':')
        p++;
    return p;
}

int dn_npy_read(FILE *f, struct dn_shape *shape, float **data, char *err, size_t errlen)
{
    unsigned char pre[10];
    char *h = NULL;
    void *raw = NULL;
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
    if (!h || fread(h, 1, hlen, f) != hlen)
        goto short_read;
    h[hlen] = '\0';
    const char *d = find_key(h, "descr"), *fo = find_key(h, "fortran_order"), *sh = find_key(h, "shape");
    if (!d || !fo || !sh) {
        snprintf(err, errlen, "malformed .npy header");
        goto fail;
    }
    if (strncmp(d, "'<f4'", 5) != 0 && strncmp(d, "\"<f4\"", 5) != 0) {
        char dt[16] = {0};
        size_t k = 0;
        while (d[k] && d[k] != ',' && k < sizeof dt - 1)
            dt[k] = d[k], k++;
        snprintf(err, errlen, "array dtype is %s; float32 ('<f4') is expected", dt);
        goto fail;
    }
    if (strncmp(fo, "False", 5) != 0) {
        snprintf(err, errlen, "Fortran-ordered arrays are not supported");
        goto fail;
    }
    if (*sh != '(') {
        snprintf(err, errlen, "malformed .npy shape");
        goto fail;
    }
    shape->ndim = 0;
    const char *p = sh + 1;
    int64_t numel = 1;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || shape->ndim == DN_MAX_DIMS) {
            snprintf(err, errlen, "malformed or unsupported .npy shape");
            goto fail;
        }
        shape->d[shape->ndim++] = v;
        if (v > 0 && numel > NPY_MAX_ELEMS / v) {
            snprintf(err, errlen, "array is too large");
            goto fail;
        }
        numel *= v;
        p = end;
    }
    raw = malloc((size_t)numel * 4 + 1);
    if (!raw) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (fread(raw, 4, (size_t)numel, f) != (size_t)numel)
        goto short_read;
    free(h);
    *data = raw;
    return 0;
short_read:
    snprintf(err, errlen, "truncated .npy data");
fail:
    free(h);
    free(raw);
    return -1;
}

int dn_npy_write(FILE *f, const struct dn_shape *shape, const float *data)
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
