/* fuzz_tensor.c: libFuzzer target: the .npy reader (through a memory
 * FILE, as `run` reads a file or a pipe) and the IDX images and labels
 * checks of `eval`, for any bytes. The first byte picks the reader. Built by
 * `make fuzz`. */
#include "cli/idx.h"
#include "cli/npy.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (size < 1)
        return 0;
    const unsigned char *p = data + 1;
    size_t len = size - 1;
    if (data[0] % 3 == 0) {
        struct dn_shape shape;
        float *t = NULL;
        FILE *f = len ? fmemopen((void *)p, len, "rb") : NULL;
        if (!f)
            return 0;
        if (cli_npy_read(f, &shape, &t, err, sizeof err) == 0) {
            volatile float sink = 0;
            int64_t n = dn_shape_numel(&shape);
            for (int64_t i = 0; i < n; i++) /* every element must be readable */
                sink += t[i];
            (void)sink;
        }
        free(t);
        fclose(f);
    } else {
        uint32_t n, rows, cols;
        if (data[0] % 3 == 1)
            cli_idx_images(p, len, &n, &rows, &cols, err, sizeof err);
        else
            cli_idx_labels(p, len, len >= 8 ? (uint32_t)(len - 8) : 0, err, sizeof err);
    }
    return 0;
}
