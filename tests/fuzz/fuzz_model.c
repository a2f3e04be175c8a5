/* fuzz_model.c: libFuzzer target: ONNX import, session planning and one
 * forward pass on a tiny zero input, for any bytes.
 *
 * Dynamic dims become 1 (batch) or 8 (others); inputs over 4096 elements and
 * sessions over 2e7 MACs or 64 MiB of activations are not run after planning
 * (planning itself always runs), so one execution stays in milliseconds.
 * Sessions get a 256 MiB memory limit (dn_session_opts.max_memory), which
 * they check before folding constants and before allocating activations,
 * so a hostile model cannot make planning ask for gigabytes. Alternate
 * inputs run on the reference and the generic kernel set, one thread.
 * Library log lines are dropped. Built by `make fuzz`; run as `tests/fuzz/fuzz_model CORPUS`.
 */
#include "core/densenet.h"
#include "onnx/import.h"

#include <stdlib.h>

static void quiet(void *user, const char *msg)
{
    (void)user;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dn_graph *g = NULL;
    struct dn_session *s = NULL;
    struct dn_shape shapes[4];
    float *in[4] = {0};
    dn_log_set(quiet, NULL);
    if (dn_onnx_load_buffer(data, size, &g) != DN_OK)
        return 0;
    int n = dn_graph_input_count(g);
    if (n < 1 || n > 4)
        goto done;
    for (int i = 0; i < n; i++) {
        shapes[i] = dn_graph_input_shape(g, i);
        for (int k = 0; k < shapes[i].ndim; k++)
            if (shapes[i].d[k] < 0)
                shapes[i].d[k] = k == 0 ? 1 : 8;
    }
    struct dn_session_opts o = {.threads = 1,
                                .isa = size % 2 ? DN_ISA_REFERENCE : DN_ISA_GENERIC,
                                .max_memory = (size_t)256 << 20};
    if (dn_session_init_opts(&s, g, n, shapes, &o) != DN_OK)
        goto done;
    /* planning allocates the arena without touching it; running would */
    if (dn_session_macs(s) > 20000000 || dn_session_activation_bytes(s) > ((size_t)64 << 20))
        goto done;
    for (int i = 0; i < n; i++) {
        int64_t numel = dn_shape_numel(&shapes[i]);
        if (numel > 4096 || !(in[i] = calloc((size_t)numel + 1, sizeof(float))))
            goto done;
    }
    dn_session_run(s, (const float *const *)in);
done:
    for (int i = 0; i < 4; i++)
        free(in[i]);
    dn_session_free(s);
    dn_graph_free(g);
    return 0;
}
