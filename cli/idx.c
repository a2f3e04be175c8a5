/* idx.c: IDX images and labels headers checked against the file size (see
 * idx.h). Pure functions over a buffer, so the fuzz target calls them as
 * eval does. */
#include "idx.h"

#include <stdio.h>

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int cli_idx_images(const unsigned char *buf, size_t len, uint32_t *n, uint32_t *rows, uint32_t *cols,
                  char *err, size_t errlen)
{
    if (len < 16 || be32(buf) != 0x00000803) {
        snprintf(err, errlen, "not an IDX images file (magic 0x00000803)");
        return -1;
    }
    *n = be32(buf + 4);
    *rows = be32(buf + 8);
    *cols = be32(buf + 12);
    if (*rows == 0 || *cols == 0 || *rows > CLI_IDX_MAX_SIDE || *cols > CLI_IDX_MAX_SIDE) {
        snprintf(err, errlen, "IDX images of %ux%u are not supported", *rows, *cols);
        return -1;
    }
    /* rows*cols <= 2^32 fits a uint64_t, and so does n times it */
    uint64_t want = (uint64_t)*n * ((uint64_t)*rows * *cols);
    if ((uint64_t)(len - 16) != want) {
        snprintf(err, errlen, "IDX header says %u images of %ux%u (%llu bytes) but the file holds %zu",
                 *n, *rows, *cols, (unsigned long long)want, len - 16);
        return -1;
    }
    return 0;
}

int cli_idx_labels(const unsigned char *buf, size_t len, uint32_t n, char *err, size_t errlen)
{
    if (len < 8 || be32(buf) != 0x00000801) {
        snprintf(err, errlen, "not an IDX labels file (magic 0x00000801)");
        return -1;
    }
    if (be32(buf + 4) != n) {
        snprintf(err, errlen, "IDX labels file has %u labels for %u images", be32(buf + 4), n);
        return -1;
    }
    if ((uint64_t)(len - 8) != n) {
        snprintf(err, errlen, "IDX labels file declares %u labels but holds %zu bytes of them", n, len - 8);
        return -1;
    }
    return 0;
}
