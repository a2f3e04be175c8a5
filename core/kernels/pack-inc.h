/* pack-inc.h: portable packing code, included once by each ISA's kernel file
 * so the compiler vectorizes it with that file's flags. Defines a static
 * function; the including file names it in its table. Not a public header.
 * Contraction is off in these files (-ffp-contract=off) so x * scale + shift
 * rounds exactly as the reference BatchNormalization does. */
static void pack_row(const float *restrict src, int n, int nr, const float *scale,
                     const float *shift, int relu, float *restrict dst)
{
    int j = 0;
    if (scale) {
        const float a = *scale, b = *shift;
        if (relu)
            for (; j < n; j++) {
                float v = src[j] * a + b;
                dst[j] = v > 0.0f ? v : 0.0f;
            }
        else
            for (; j < n; j++)
                dst[j] = src[j] * a + b;
    } else if (relu) {
        for (; j < n; j++)
            dst[j] = src[j] > 0.0f ? src[j] : 0.0f;
    } else {
        for (; j < n; j++)
            dst[j] = src[j];
    }
    for (; j < nr; j++)
        dst[j] = 0.0f;
}
