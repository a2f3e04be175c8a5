/* tests/check_builtin.c - Check suite for dn_graph_densenet (core/builtin.c),
 * the natively built torchvision DenseNets.
 *
 * Every expected number was read off real exports: torch 1.13 /
 * torchvision 0.14 through
 *     /usr/bin/python3 models/export_torchvision.py --arch ARCH --random-weights -o ARCH.onnx
 *     densenet inspect --json ARCH.onnx                      (ops, params, macs)
 *     densenet inspect --json --shape 2x3x64x64 ARCH.onnx    (macs at batch 2, 64x64)
 * Node counts are the export's nodes minus its 3 Constant nodes (the pads of
 * the transitions' Pad -> AveragePool), which the importer turns into values.
 * When this was written the built-in and the exports also gave identical
 * `inspect --layers` listings and node-by-node identical parameters.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/densenet.h"
#include "core/graph.h"

struct expect {
    const char *arch;
    int nodes, convs, concats, batchnorms;
    int64_t params, macs_224, macs_2x64;
};

static const struct expect expected[] = {
    {"densenet121", 375, 120, 62, 62, 8040040, 2834161664LL, 464601088LL},
    {"densenet169", 519, 168, 86, 86, 14276200, 3359843328LL, 551602176LL},
    {"densenet201", 615, 200, 102, 102, 20205160, 4291365888LL, 704157696LL},
    {"densenet161", 495, 160, 82, 82, 28855720, 7727907072LL, 1265754624LL},
};

static int log_count;

static void count_log(void *user, const char *msg)
{
    (void)user;
    (void)msg;
    log_count++;
}

static void teardown(void)
{
    dn_log_set(NULL, NULL);
}

static int op_count(const struct dn_graph *g, const char *op)
{
    const char *ops[64];
    int counts[64];
    int n = dn_graph_op_histogram(g, ops, counts, 64);
    for (int i = 0; i < n; i++)
        if (strcmp(ops[i], op) == 0)
            return counts[i];
    return 0;
}

static struct dn_session *session_at(const struct dn_graph *g, int64_t n, int64_t size)
{
    struct dn_session *s = NULL;
    struct dn_shape in = {4, {n, 3, size, size}};
    ck_assert_int_eq(dn_session_init(&s, g, 1, &in), DN_OK);
    return s;
}

/* 1x3x224x224: the export's node, op, parameter and MAC counts. */
START_TEST(test_arch_matches_export)
{
    const struct expect *e = &expected[_i];
    struct dn_graph *g = NULL;
    ck_assert_int_eq(dn_graph_densenet(&g, e->arch, 1, 224, 7), DN_OK);
    ck_assert_int_eq(g->n_nodes, e->nodes);
    ck_assert_int_eq(op_count(g, "Constant"), 3);
    ck_assert_int_eq(op_count(g, "Conv"), e->convs);
    ck_assert_int_eq(op_count(g, "Concat"), e->concats);
    ck_assert_int_eq(op_count(g, "BatchNormalization"), e->batchnorms);
    ck_assert_int_eq(op_count(g, "Relu"), e->convs + 1);
    ck_assert_int_eq(op_count(g, "AveragePool"), 3);
    ck_assert_int_eq(op_count(g, "Gemm"), 1);
    ck_assert_int_eq(dn_graph_param_count(g), e->params);
    ck_assert_int_eq(dn_graph_opset(g), 13);
    ck_assert_int_eq(dn_graph_input_count(g), 1);
    ck_assert_int_eq(dn_graph_output_count(g), 1);
    ck_assert_str_eq(dn_graph_input_name(g, 0), "input");
    ck_assert_str_eq(dn_graph_output_name(g, 0), "logits");
    struct dn_shape in = dn_graph_input_shape(g, 0);
    ck_assert_int_eq(in.ndim, 4);
    ck_assert(in.d[0] == 1 && in.d[1] == 3 && in.d[2] == 224 && in.d[3] == 224);
    ck_assert_str_eq(g->nodes[0].name, "/features/conv0/Conv");
    ck_assert_str_eq(g->nodes[g->n_nodes - 1].name, "/classifier/Gemm");

    struct dn_session *s = session_at(g, 1, 224);
    ck_assert_int_eq(dn_session_macs(s), e->macs_224);
    struct dn_tensor out = dn_session_output(s, 0);
    ck_assert_int_eq(out.shape.ndim, 2);
    ck_assert(out.shape.d[0] == 1 && out.shape.d[1] == 1000);
    dn_session_free(s);
    dn_graph_free(g);
}
END_TEST

/* batch 2 and 64x64 are declared and costed as such. */
START_TEST(test_batch_and_size)
{
    const struct expect *e = &expected[_i];
    struct dn_graph *g = NULL;
    ck_assert_int_eq(dn_graph_densenet(&g, e->arch, 2, 64, 7), DN_OK);
    struct dn_shape in = dn_graph_input_shape(g, 0);
    ck_assert(in.d[0] == 2 && in.d[1] == 3 && in.d[2] == 64 && in.d[3] == 64);
    struct dn_session *s = session_at(g, 2, 64);
    ck_assert_int_eq(dn_session_macs(s), e->macs_2x64);
    struct dn_tensor out = dn_session_output(s, 0);
    ck_assert(out.shape.d[0] == 2 && out.shape.d[1] == 1000);
    dn_session_free(s);
    dn_graph_free(g);
}
END_TEST

/* batch and size <= 0 declare dynamic dims; any batch and size then run. */
START_TEST(test_dynamic_dims)
{
    struct dn_graph *g = NULL;
    ck_assert_int_eq(dn_graph_densenet(&g, "densenet121", 0, -1, 7), DN_OK);
    struct dn_shape in = dn_graph_input_shape(g, 0);
    ck_assert(in.d[0] == -1 && in.d[1] == 3 && in.d[2] == -1 && in.d[3] == -1);
    struct dn_session *s = session_at(g, 3, 96);
    struct dn_tensor out = dn_session_output(s, 0);
    ck_assert(out.shape.d[0] == 3 && out.shape.d[1] == 1000);
    dn_session_free(s);
    dn_graph_free(g);
}
END_TEST

static const struct dn_value *value_named(const struct dn_graph *g, const char *name)
{
    int v = dn_graph_find(g, name);
    ck_assert_msg(v >= 0, "no value '%s'", name);
    return &g->values[v];
}

/* The seed decides the weights; BatchNorm statistics are in their ranges. */
START_TEST(test_seeded_weights)
{
    struct dn_graph *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(dn_graph_densenet(&a, "densenet121", 1, 224, 42), DN_OK);
    ck_assert_int_eq(dn_graph_densenet(&b, "densenet121", 1, 224, 42), DN_OK);
    ck_assert_int_eq(dn_graph_densenet(&c, "densenet121", 1, 224, 43), DN_OK);
    const char *w = "features.denseblock2.denselayer3.conv2.weight";
    const struct dn_value *wa = value_named(a, w), *wb = value_named(b, w), *wc = value_named(c, w);
    ck_assert(wa->kind == DN_VALUE_CONST && wa->initializer);
    ck_assert(wa->shape.ndim == 4 && wa->shape.d[0] == 32 && wa->shape.d[1] == 128 && wa->shape.d[2] == 3);
    size_t bytes = sizeof(float) * (size_t)dn_shape_numel(&wa->shape);
    ck_assert(memcmp(wa->data, wb->data, bytes) == 0);
    ck_assert(memcmp(wa->data, wc->data, bytes) != 0);
    /* Kaiming: |w| < sqrt(6 / (128 * 9)) */
    for (int64_t i = 0; i < dn_shape_numel(&wa->shape); i++)
        ck_assert(fabsf(((const float *)wa->data)[i]) < sqrtf(6.0f / 1152.0f));
    const struct dn_value *var = value_named(a, "features.norm5.running_var");
    ck_assert_int_eq(var->shape.d[0], 1024);
    for (int i = 0; i < 1024; i++) {
        float v = ((const float *)var->data)[i];
        ck_assert(v >= 0.5f && v <= 1.5f);
    }
    /* the folded conv0 and conv1 carry a bias, conv2 none */
    ck_assert_int_eq(dn_graph_find(a, "features.conv0.bias") >= 0, 1);
    ck_assert_int_eq(dn_graph_find(a, "features.denseblock1.denselayer1.conv1.bias") >= 0, 1);
    ck_assert_int_eq(dn_graph_find(a, "features.denseblock1.denselayer1.conv2.bias"), -1);
    dn_graph_free(a);
    dn_graph_free(b);
    dn_graph_free(c);
}
END_TEST

/* A forward pass at 1x3x64x64 gives finite, varied logits. */
START_TEST(test_runs)
{
    struct dn_graph *g = NULL;
    ck_assert_int_eq(dn_graph_densenet(&g, "densenet121", 1, 64, 5), DN_OK);
    struct dn_session *s = session_at(g, 1, 64);
    float *x = malloc(sizeof(float) * 3 * 64 * 64);
    ck_assert_ptr_nonnull(x);
    for (int i = 0; i < 3 * 64 * 64; i++)
        x[i] = (float)(i % 97) / 48.0f - 1.0f;
    const float *in[1] = {x};
    ck_assert_int_eq(dn_session_run(s, in), DN_OK);
    struct dn_tensor out = dn_session_output(s, 0);
    const float *y = out.data;
    float lo = y[0], hi = y[0];
    for (int i = 0; i < 1000; i++) {
        ck_assert(isfinite(y[i]));
        lo = y[i] < lo ? y[i] : lo;
        hi = y[i] > hi ? y[i] : hi;
    }
    ck_assert(hi - lo > 1e-3f && hi - lo < 1e3f);
    free(x);
    dn_session_free(s);
    dn_graph_free(g);
}
END_TEST

START_TEST(test_unknown_arch)
{
    struct dn_graph *g = (struct dn_graph *)&log_count; /* must be reset to NULL */
    log_count = 0;
    dn_log_set(count_log, NULL);
    ck_assert_int_eq(dn_graph_densenet(&g, "densenet100", 1, 224, 1), DN_ERR_ARG);
    ck_assert_ptr_null(g);
    ck_assert_int_eq(log_count, 1);
    ck_assert_int_eq(dn_graph_densenet(&g, NULL, 1, 224, 1), DN_ERR_ARG);
    ck_assert_int_eq(log_count, 2);
}
END_TEST

static Suite *builtin_suite(void)
{
    Suite *s = suite_create("builtin");
    TCase *tc = tcase_create("densenet");
    int n = (int)(sizeof expected / sizeof *expected);
    tcase_set_timeout(tc, 300); /* densenet161 holds 29M weights */
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, test_arch_matches_export, 0, n);
    tcase_add_loop_test(tc, test_batch_and_size, 0, n);
    tcase_add_test(tc, test_dynamic_dims);
    tcase_add_test(tc, test_seeded_weights);
    tcase_add_test(tc, test_runs);
    tcase_add_test(tc, test_unknown_arch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(builtin_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
