/* check_validate.c: hostile attributes, dtypes and arity in ONNX models are
 * refused cleanly, at import or at session planning, with a message that
 * names the node and the field; nothing overflows (values up to INT64_MAX).
 *
 * Each case builds a small model in memory (tests/onnx_builder.h), loads it
 * with dn_onnx_load_buffer and, when that succeeds, plans a session at the
 * declared input shape. The table gives the stage that must fail, and a
 * string the log must contain. Run under the sanitizer build, these are
 * also the regression tests for the overflows that issue 7 reported.
 */
#include "core/densenet.h"
#include "onnx/import.h"
#include "onnx_builder.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define I64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64

static char logbuf[8192];

static void keep_log(void *user, const char *msg)
{
    (void)user;
    size_t len = strlen(logbuf);
    snprintf(logbuf + len, sizeof logbuf - len, "%s\n", msg);
}

enum stage { AT_LOAD, AT_SESSION, OK };

/* x [1,3,8,8] -> Conv "conv" (W 4x3x3x3, B 4) -> y */
static Onnx__NodeProto *conv_model(struct mb *b, int opset)
{
    static const int64_t xd[] = {1, 3, 8, 8}, wd[] = {4, 3, 3, 3}, bd[] = {4};
    mb_init(b, opset);
    mb_input(b, "x", 4, xd);
    mb_tensor(b, "W", F32, 4, wd, 0.5f, 0, NULL);
    mb_tensor(b, "B", F32, 1, bd, 0.0f, 0, NULL);
    mb_output(b, "y");
    return mb_node(b, "Conv", "conv", "x,W,B", "y");
}

/* x [1,3,8,8] -> OP "op" (attributes by the caller) -> y */
static Onnx__NodeProto *unary_model(struct mb *b, const char *op, int opset)
{
    static const int64_t xd[] = {1, 3, 8, 8};
    mb_init(b, opset);
    mb_input(b, "x", 4, xd);
    mb_output(b, "y");
    return mb_node(b, op, "op", "x", "y");
}

/* Loads and plans b's model; checks the failing stage and the log. */
static void expect(struct mb *b, enum stage want, const char *in_log)
{
    size_t len;
    uint8_t *buf = mb_pack(b, &len);
    struct dn_graph *g = NULL;
    struct dn_session *s = NULL;
    logbuf[0] = '\0';
    dn_log_set(keep_log, NULL);
    enum dn_status st = dn_onnx_load_buffer(buf, len, &g);
    enum stage got = AT_LOAD;
    if (st == DN_OK) {
        struct dn_shape in = dn_graph_input_shape(g, 0);
        for (int i = 0; i < in.ndim; i++)
            in.d[i] = in.d[i] < 0 ? 1 : in.d[i];
        got = dn_session_init(&s, g, 1, &in) == DN_OK ? OK : AT_SESSION;
    }
    dn_session_free(s);
    dn_graph_free(g);
    dn_log_set(NULL, NULL);
    ck_assert_msg(got == want, "stage %d, expected %d; log: %s", got, want, logbuf);
    if (in_log)
        ck_assert_msg(strstr(logbuf, in_log), "log lacks '%s': %s", in_log, logbuf);
    if (want != OK)
        ck_assert_msg(strchr(logbuf, '\n') && logbuf[0], "no log line");
    mb_free(b);
}

START_TEST(test_conv_attributes)
{
    struct mb b;
    Onnx__NodeProto *n;
    n = conv_model(&b, 13);
    expect(&b, OK, NULL);
    n = conv_model(&b, 13);
    mb_attr_ints(&b, n, "strides", 2, (int64_t)0, (int64_t)1);
    expect(&b, AT_LOAD, "'strides' is 0");
    n = conv_model(&b, 13);
    mb_attr_ints(&b, n, "dilations", 2, INT64_MAX, (int64_t)1);
    expect(&b, AT_LOAD, "'dilations'");
    n = conv_model(&b, 13);
    mb_attr_ints(&b, n, "pads", 4, (int64_t)0, (int64_t)-1, (int64_t)0, (int64_t)0);
    expect(&b, AT_LOAD, "'pads' is -1");
    n = conv_model(&b, 13);
    mb_attr_ints(&b, n, "pads", 4, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX);
    expect(&b, AT_LOAD, "conv");
    n = conv_model(&b, 13);
    mb_attr_int(&b, n, "group", 0);
    expect(&b, AT_LOAD, "'group' is 0");
    n = conv_model(&b, 13);
    mb_attr_int(&b, n, "group", 2); /* 3 channels */
    expect(&b, AT_SESSION, "group 2");
    /* a 3x3 kernel dilated by 5 spans 11 > 8 */
    n = conv_model(&b, 13);
    mb_attr_ints(&b, n, "dilations", 2, (int64_t)5, (int64_t)5);
    expect(&b, AT_SESSION, "does not fit");
    /* large but legal pads: the output would be enormous */
    n = conv_model(&b, 13);
    mb_attr_ints(&b, n, "pads", 4, (int64_t)1 << 30, (int64_t)1 << 30, (int64_t)1 << 30, (int64_t)1 << 30);
    expect(&b, AT_SESSION, "conv");
    n = conv_model(&b, 13);
    mb_attr_ints(&b, n, "kernel_shape", 2, (int64_t)3, INT64_MAX);
    expect(&b, AT_LOAD, "'kernel_shape'");
}
END_TEST

START_TEST(test_pool_attributes)
{
    struct mb b;
    Onnx__NodeProto *n;
    n = unary_model(&b, "MaxPool", 13);
    mb_attr_ints(&b, n, "kernel_shape", 2, (int64_t)2, (int64_t)2);
    expect(&b, OK, NULL);
    n = unary_model(&b, "MaxPool", 13);
    mb_attr_ints(&b, n, "kernel_shape", 2, INT64_MAX, INT64_MAX);
    expect(&b, AT_LOAD, "'kernel_shape'");
    n = unary_model(&b, "AveragePool", 13);
    mb_attr_ints(&b, n, "kernel_shape", 2, (int64_t)2, (int64_t)2);
    mb_attr_ints(&b, n, "strides", 2, (int64_t)-1, (int64_t)1);
    expect(&b, AT_LOAD, "'strides' is -1");
    n = unary_model(&b, "AveragePool", 13);
    mb_attr_ints(&b, n, "kernel_shape", 2, (int64_t)2, (int64_t)2);
    mb_attr_int(&b, n, "ceil_mode", 7);
    expect(&b, AT_LOAD, "'ceil_mode'");
    /* padding as large as the window: windows wholly in the padding */
    n = unary_model(&b, "MaxPool", 13);
    mb_attr_ints(&b, n, "kernel_shape", 2, (int64_t)2, (int64_t)2);
    mb_attr_ints(&b, n, "pads", 4, (int64_t)2, (int64_t)0, (int64_t)0, (int64_t)0);
    expect(&b, AT_SESSION, "does not fit");
    n = unary_model(&b, "MaxPool", 13);
    mb_attr_ints(&b, n, "kernel_shape", 2, (int64_t)9, (int64_t)9);
    expect(&b, AT_SESSION, "does not fit");
    n = unary_model(&b, "MaxPool", 13);
    mb_attr_ints(&b, n, "kernel_shape", 2, (int64_t)2, (int64_t)2);
    mb_attr_ints(&b, n, "strides", 2, (int64_t)1 << 31, (int64_t)1 << 31);
    mb_attr_int(&b, n, "ceil_mode", 1);
    expect(&b, OK, NULL);
}
END_TEST

START_TEST(test_axes)
{
    struct mb b;
    Onnx__NodeProto *n;
    n = unary_model(&b, "Softmax", 13);
    mb_attr_int(&b, n, "axis", INT64_MIN);
    expect(&b, AT_LOAD, "'axis'");
    n = unary_model(&b, "Flatten", 13);
    mb_attr_int(&b, n, "axis", 7);
    expect(&b, AT_SESSION, "axis 7");
    n = unary_model(&b, "Softmax", 13);
    mb_attr_int(&b, n, "axis", -5);
    expect(&b, AT_SESSION, "axis -5");
    n = unary_model(&b, "Squeeze", 11);
    mb_attr_ints(&b, n, "axes", 1, INT64_MAX);
    expect(&b, AT_LOAD, "'axes'");
}
END_TEST

START_TEST(test_dtypes_and_arity)
{
    static const int64_t xd[] = {1, 3, 8, 8}, wd[] = {4, 3, 3, 3}, one[] = {1}, four[] = {4}, eight[] = {8};
    static const int64_t big[] = {INT64_MAX, INT64_MAX};
    struct mb b;
    /* int64 weights */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, xd);
    mb_tensor(&b, "W", I64, 4, wd, 0, 1, one);
    mb_output(&b, "y");
    mb_node(&b, "Conv", "conv", "x,W", "y");
    expect(&b, AT_LOAD, "'W' is int64");
    /* float shape for Reshape */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, xd);
    mb_tensor(&b, "shape", F32, 1, (const int64_t[]){2}, 1.0f, 0, NULL);
    mb_output(&b, "y");
    mb_node(&b, "Reshape", "reshape", "x,shape", "y");
    expect(&b, AT_LOAD, "reads int64");
    /* float pads for Pad */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, xd);
    mb_tensor(&b, "pads", F32, 1, eight, 1.0f, 0, NULL);
    mb_output(&b, "y");
    mb_node(&b, "Pad", "pad", "x,pads", "y");
    expect(&b, AT_LOAD, "reads int64");
    /* pads near INT64_MAX */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, xd);
    mb_tensor(&b, "pads", I64, 1, eight, 0, 2, big);
    mb_output(&b, "y");
    mb_node(&b, "Pad", "pad", "x,pads", "y");
    expect(&b, AT_SESSION, "pad");
    /* an empty tensor where Clip needs one value */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, xd);
    mb_tensor(&b, "lo", F32, 1, (const int64_t[]){0}, 0, 0, NULL);
    mb_output(&b, "y");
    mb_node(&b, "Clip", "clip", "x,lo", "y");
    expect(&b, AT_LOAD, "one float32 value");
    /* an empty name in the middle of Concat's inputs */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, xd);
    mb_output(&b, "y");
    mb_node(&b, "Concat", "cat", "x,,x", "y");
    mb_attr_int(&b, b.nodes[0], "axis", 1);
    expect(&b, AT_LOAD, "input 1 has an empty name");
    /* a constant graph output */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, xd);
    mb_tensor(&b, "c", I64, 1, four, 0, 1, one);
    mb_output(&b, "y");
    mb_output(&b, "c");
    mb_node(&b, "Relu", "relu", "x", "y");
    expect(&b, AT_LOAD, "'c' is a constant");
    /* Concat of float32 and int64 */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, xd);
    mb_output(&b, "y");
    mb_node(&b, "Flatten", "flat", "x", "f");
    mb_node(&b, "Shape", "shape", "x", "s");
    mb_node(&b, "Cast", "cast", "s", "sf");
    mb_attr_int(&b, b.nodes[2], "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    mb_node(&b, "Shape", "shape2", "f", "s2");
    mb_node(&b, "Concat", "cat", "s2,sf", "y");
    mb_attr_int(&b, b.nodes[4], "axis", 0);
    expect(&b, AT_SESSION, "cat");
    /* ConstantOfShape of INT64_MAX x INT64_MAX */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, xd);
    mb_tensor(&b, "shape", I64, 1, (const int64_t[]){2}, 0, 2, big);
    mb_output(&b, "y");
    mb_node(&b, "ConstantOfShape", "cos", "shape", "c");
    mb_node(&b, "Add", "add", "x,c", "y");
    expect(&b, AT_SESSION, "cos");
    /* a declared input of 2^62 elements */
    mb_init(&b, 13);
    mb_input(&b, "x", 2, (const int64_t[]){(int64_t)1 << 31, (int64_t)1 << 31});
    mb_output(&b, "y");
    mb_node(&b, "Relu", "relu", "x", "y");
    expect(&b, AT_LOAD, "declares more than");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_conv_attributes);
    tcase_add_test(tc, test_pool_attributes);
    tcase_add_test(tc, test_axes);
    tcase_add_test(tc, test_dtypes_and_arity);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
