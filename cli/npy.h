/* npy.h: reading and writing NumPy .npy files (format 1.0/2.0/3.0, float32
 * little-endian, C order) so tensors move between densenet, Python and pipes. */
#ifndef CLI_NPY_H
#define CLI_NPY_H

#include "core/densenet.h"

#include <stdio.h>

/* Reads one float32 array from f, which must end right after it; other
 * dtypes, Fortran order and trailing data are refused. *data is malloc'ed
 * (caller frees). Returns 0, or -1 with a message in err. */
int cli_npy_read(FILE *f, struct dn_shape *shape, float **data, char *err, size_t errlen);
/* Parses a header's dict literal (len bytes, ending in '\n') into shape;
 * checks dtype '<f4', C order and the element bound. 0, or -1 with err set. */
int cli_npy_parse_header(const char *h, size_t len, struct dn_shape *shape, char *err, size_t errlen);
/* Writes a float32 array; returns 0, or -1 on a write error. */
int cli_npy_write(FILE *f, const struct dn_shape *shape, const float *data);

#endif
