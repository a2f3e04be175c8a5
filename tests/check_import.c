/* check_import.c: the ONNX importer and executor end to end, through the library.
 *
 * Golden cases: every model in tests/fixtures/golden/MANIFEST (small DenseNets
 * exported by PyTorch at opsets 9/13/17, zoo-style graphs, single ops) is loaded,
 * run on its committed input and compared with the committed PyTorch/numpy
 * output within the MANIFEST's tolerance. Bad models: each file in
 * tests/fixtures/models must fail to load with the expected status and never
 * crash. Fixtures are found through $srcdir so `make distcheck` works.
 */
#include "core/densenet.h"
#include "cli/npy.h"
#include "onnx/import.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char fixtures[4096];
static int log_lines;

static void count_log(void *user, const char *msg)
{
    (void)user;
    (void)msg;
    log_lines++;
}

static float *load_npy(const char *path, struct dn_shape *shape)
{
    FILE *f = fopen(path, "rb");
    float *data = NULL;
    char err[256];
    ck_assert_msg(f != NULL, "cannot open %s", path);
    int rc = cli_npy_read(f, shape, &data, err, sizeof err);
    fclose(f);
    ck_assert_msg(rc == 0, "%s: %s", path, err);
    return data;
}

/* Runs one MANIFEST case; returns max|diff| and checks it against rtol/atol. */
static void run_case(const char *name, double rtol, double atol)
{
    char path[4600];
    struct dn_graph *g = NULL;
    struct dn_session *s = NULL;
    struct dn_shape in_shape, want_shape;
    snprintf(path, sizeof path, "%s/golden/%s.onnx", fixtures, name);
    ck_assert_msg(dn_onnx_load_file(path, &g) == DN_OK, "%s does not load", name);
    snprintf(path, sizeof path, "%s/golden/%s.input.npy", fixtures, name);
    float *x = load_npy(path, &in_shape);
    snprintf(path, sizeof path, "%s/golden/%s.output.npy", fixtures, name);
    float *want = load_npy(path, &want_shape);
    ck_assert_int_eq(dn_graph_input_count(g), 1);
    ck_assert_msg(dn_session_init(&s, g, 1, &in_shape) == DN_OK, "%s: session", name);
    const float *in[1] = {x};
    ck_assert_msg(dn_session_run(s, in) == DN_OK, "%s: run", name);
    struct dn_tensor y = dn_session_output(s, 0);
    ck_assert_msg(dn_shape_numel(&y.shape) == dn_shape_numel(&want_shape), "%s: output size", name);
    double maxd = 0.0, maxy = 0.0;
    for (int64_t i = 0; i < dn_shape_numel(&want_shape); i++) {
        double d = fabs((double)((float *)y.data)[i] - want[i]);
        maxd = d > maxd || isnan(d) ? d : maxd;
        maxy = fabs(want[i]) > maxy ? fabs(want[i]) : maxy;
    }
    ck_assert_msg(maxd <= rtol * maxy + atol, "%s: max|diff| %g > %g", name, maxd, rtol * maxy + atol);
    free(x);
    free(want);
    dn_session_free(s);
    dn_graph_free(g);
}

START_TEST(test_golden_manifest)
{
    char path[4200], name[256];
    double rtol, atol;
    int n = 0, tv = 0;
    snprintf(path, sizeof path, "%s/golden/MANIFEST", fixtures);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    while (fscanf(f, "%255s %lf %lf", name, &rtol, &atol) == 3) {
        run_case(name, rtol, atol);
        n++;
        tv += strncmp(name, "tv_", 3) == 0;
    }
    fclose(f);
    ck_assert_int_ge(n, 20);
    ck_assert_int_ge(tv, 3);
}
END_TEST

static enum dn_status load_status(const char *file)
{
    char path[4200];
    struct dn_graph *g = NULL;
    snprintf(path, sizeof path, "%s/models/%s", fixtures, file);
    log_lines = 0;
    enum dn_status st = dn_onnx_load_file(path, &g);
    dn_graph_free(g);
    return st;
}

START_TEST(test_bad_models)
{
    static const struct {
        const char *file;
        enum dn_status want;
    } cases[] = {
        {"unsupported_op.onnx", DN_ERR_UNSUPPORTED}, {"external_data.onnx", DN_ERR_UNSUPPORTED},
        {"int8_weights.onnx", DN_ERR_UNSUPPORTED},   {"missing_initializer.onnx", DN_ERR_INVALID},
        {"cycle.onnx", DN_ERR_INVALID},              {"truncated.onnx", DN_ERR_INVALID},
        {"garbage.onnx", DN_ERR_INVALID},            {"empty.onnx", DN_ERR_INVALID},
    };
    dn_log_set(count_log, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        enum dn_status st = load_status(cases[i].file);
        ck_assert_msg(st == cases[i].want, "%s: status %s, want %s", cases[i].file,
                      dn_status_str(st), dn_status_str(cases[i].want));
        ck_assert_msg(log_lines >= 1, "%s: no diagnostic", cases[i].file);
    }
    dn_log_set(NULL, NULL);
}
END_TEST

/* Every prefix of a valid model must fail cleanly (or load), never crash. */
START_TEST(test_truncations)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/golden/tv_g8_b22_op9.onnx", fixtures);
    FILE *f = fopen(path, "rb");
    ck_assert(f != NULL);
    static unsigned char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    dn_log_set(count_log, NULL);
    for (size_t cut = 0; cut < len; cut += 1 + cut / 8) {
        struct dn_graph *g = NULL;
        enum dn_status st = dn_onnx_load_buffer(buf, cut, &g);
        ck_assert(st != DN_OK || g != NULL);
        dn_graph_free(g);
    }
    /* flipped bytes: must not crash */
    for (size_t k = 0; k < 200; k++) {
        struct dn_graph *g = NULL;
        size_t at = (k * 7919) % len;
        buf[at] ^= 0x5a;
        dn_onnx_load_buffer(buf, len, &g);
        if (g) {
            struct dn_shape s = dn_graph_input_shape(g, 0);
            for (int i = 0; i < s.ndim; i++)
                s.d[i] = s.d[i] > 0 && s.d[i] < 512 ? s.d[i] : 1;
            struct dn_session *sess = NULL;
            if (dn_session_init(&sess, g, 1, &s) == DN_OK) {
                float *x = calloc((size_t)dn_shape_numel(&s), sizeof(float));
                const float *in[1] = {x};
                dn_session_run(sess, in);
                free(x);
            }
            dn_session_free(sess);
        }
        dn_graph_free(g);
        buf[at] ^= 0x5a;
    }
    dn_log_set(NULL, NULL);
}
END_TEST

START_TEST(test_input_shape_mismatch)
{
    char path[4200];
    struct dn_graph *g = NULL;
    struct dn_session *s = NULL;
    snprintf(path, sizeof path, "%s/golden/tv_g8_b22_op9.onnx", fixtures);
    ck_assert(dn_onnx_load_file(path, &g) == DN_OK);
    struct dn_shape bad_c = dn_graph_input_shape(g, 0), bad_rank = {3, {3, 40, 56}};
    bad_c.d[0] = 1;
    bad_c.d[1] = 4;
    dn_log_set(count_log, NULL);
    ck_assert(dn_session_init(&s, g, 1, &bad_c) == DN_ERR_SHAPE);
    ck_assert(dn_session_init(&s, g, 1, &bad_rank) == DN_ERR_SHAPE);
    ck_assert(s == NULL);
    dn_log_set(NULL, NULL);
    dn_graph_free(g);
}
END_TEST

int main(void)
{
    const char *srcdir = getenv("srcdir");
    snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures", srcdir ? srcdir : ".");
    Suite *s = suite_create("import");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_golden_manifest);
    tcase_add_test(tc, test_bad_models);
    tcase_add_test(tc, test_truncations);
    tcase_add_test(tc, test_input_shape_mismatch);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
