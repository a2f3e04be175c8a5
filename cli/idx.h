/* idx.h: the IDX format of MNIST and Fashion-MNIST (images idx3, labels idx1),
 * checked against the counts its header declares: the file must hold exactly
 * that many items, no fewer and no more. Buffers belong to the caller. */
#ifndef CLI_IDX_H
#define CLI_IDX_H

#include <stddef.h>
#include <stdint.h>

#define CLI_IDX_MAX_SIDE 65536

/* An images file: magic 0x00000803, n, rows, cols, then n*rows*cols bytes.
 * Returns 0 with the counts, or -1 with the reason in err. */
int cli_idx_images(const unsigned char *buf, size_t len, uint32_t *n, uint32_t *rows, uint32_t *cols,
                  char *err, size_t errlen);
/* A labels file for n images: magic 0x00000801, n, then n bytes.
 * Returns 0, or -1 with the reason in err. */
int cli_idx_labels(const unsigned char *buf, size_t len, uint32_t n, char *err, size_t errlen);

#endif
