/* tests/check_ops.c - Check suite for the op registry (core/ops.c) through the
 * real path: every test builds a tiny graph with the builder API of
 * core/graph.h, specialises it with dn_session_init (shape functions, constant
 * folding, memory planning), runs it and reads dn_session_output.
 *
 * Every expected value is worked by hand and written as a literal; comments
 * show the arithmetic where it is not obvious. Inputs are small: 3x3 images
 * holding 1..9, 4x4 holding 1..16, 5x5 holding 5*row+col.
 *
 * Error tests install a log hook that swallows (and counts) the one message
 * each failure reports; a fixture restores the default hook after each test.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/densenet.h"
#include "core/graph.h"

/* ---- literals -------------------------------------------------------- */

static struct dn_shape make_shape(const int64_t *d, int n)
{
    struct dn_shape s = {n, {0}};
    for (int i = 0; i < n; i++)
        s.d[i] = d[i];
    return s;
}

/* SH(2, 3) is the shape 2x3; SCALAR is the rank-0 shape. */
#define SH(...) make_shape((const int64_t[]){__VA_ARGS__}, \
                           (int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
#define SCALAR ((struct dn_shape){0, {0}})
#define F32(...) ((const float[]){__VA_ARGS__})
#define I64(...) ((const int64_t[]){__VA_ARGS__})
/* IN(a, b) expands to an index array and its length, for tc_node. */
#define IN(...) (const int[]){__VA_ARGS__}, (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

static const float X3x3[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const float X4x4[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const float X5x5[25] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
                               13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
static const float K2x2[4] = {1, 2, 3, 4};
static const float X24[24] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                              12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};

/* ---- log hook -------------------------------------------------------- */

static int log_count;

static void swallow_log(void *user, const char *msg)
{
    (void)user;
    (void)msg;
    log_count++;
}

static void quiet(void)
{
    log_count = 0;
    dn_log_set(swallow_log, NULL);
}

static void restore_log(void)
{
    dn_log_set(NULL, NULL);
}

/* ---- graph building -------------------------------------------------- */

#define MAX_IN 8

/* A graph under construction, the inputs to feed it, and its session. */
struct tcase {
    struct dn_graph *g;
    int n_in;
    struct dn_shape given[MAX_IN]; /* concrete input shapes for dn_session_init */
    const float *data[MAX_IN];
    int n_values, n_nodes;         /* for unique names */
    struct dn_session *s;
};

/* The graph and session of the tcase in use, so that the teardown fixture can
 * free them when a failed assertion leaves a test early (CK_FORK=no). */
static struct {
    struct dn_graph *g;
    struct dn_session *s;
} live;

static void tc_init(struct tcase *t)
{
    memset(t, 0, sizeof *t);
    ck_assert_int_eq(dn_graph_init(&t->g), DN_OK);
    live.g = t->g;
}

static void tc_free(struct tcase *t)
{
    dn_session_free(t->s);
    dn_graph_free(t->g);
    memset(t, 0, sizeof *t);
    memset(&live, 0, sizeof live);
}

static int tc_value(struct tcase *t)
{
    char name[32];
    snprintf(name, sizeof name, "v%d", t->n_values++);
    int v = dn_graph_add_value(t->g, name);
    ck_assert_int_ge(v, 0);
    return v;
}

/* A float32 graph input declared as decl and fed with given/data. */
static int tc_input_decl(struct tcase *t, struct dn_shape decl, struct dn_shape given, const float *data)
{
    ck_assert_int_lt(t->n_in, MAX_IN);
    int v = tc_value(t);
    t->g->values[v].dtype = DN_DTYPE_F32;
    t->g->values[v].shape = decl;
    ck_assert_int_eq(dn_graph_add_input(t->g, v), DN_OK);
    t->given[t->n_in] = given;
    t->data[t->n_in++] = data;
    return v;
}

static int tc_input(struct tcase *t, struct dn_shape shape, const float *data)
{
    return tc_input_decl(t, shape, shape, data);
}

/* A constant (initializer); the graph owns a malloc'ed copy of the data. */
static int tc_const(struct tcase *t, enum dn_dtype dt, struct dn_shape shape, const void *data)
{
    int v = tc_value(t);
    size_t bytes = (size_t)dn_shape_numel(&shape) * dn_dtype_size(dt);
    void *copy = malloc(bytes ? bytes : 1);
    ck_assert_ptr_nonnull(copy);
    if (bytes)
        memcpy(copy, data, bytes);
    struct dn_value *val = &t->g->values[v];
    val->kind = DN_VALUE_CONST;
    val->dtype = dt;
    val->shape = shape;
    val->data = copy;
    val->initializer = 1;
    return v;
}

static int tc_const_f(struct tcase *t, struct dn_shape shape, const float *data)
{
    return tc_const(t, DN_DTYPE_F32, shape, data);
}

static int tc_const_i(struct tcase *t, struct dn_shape shape, const int64_t *data)
{
    return tc_const(t, DN_DTYPE_I64, shape, data);
}

/* Adds a node with params p and n_out fresh outputs; returns the first output
 * (the others follow it in value order). */
static int tc_node_n(struct tcase *t, enum dn_op op, int opset, union dn_params p, const int *in,
                     int n_in, int n_out)
{
    int out[4];
    char name[32];
    ck_assert_int_le(n_out, 4);
    for (int i = 0; i < n_out; i++)
        out[i] = tc_value(t);
    snprintf(name, sizeof name, "n%d", t->n_nodes++);
    int k = dn_graph_add_node(t->g, op, name, opset, n_in, in, n_out, out);
    ck_assert_int_ge(k, 0);
    t->g->nodes[k].p = p;
    return out[0];
}

static int tc_node(struct tcase *t, enum dn_op op, int opset, union dn_params p, const int *in, int n_in)
{
    return tc_node_n(t, op, opset, p, in, n_in, 1);
}

static void tc_output(struct tcase *t, int v)
{
    ck_assert_int_eq(dn_graph_add_output(t->g, v), DN_OK);
}

/* Finishes the graph and creates the session; returns dn_session_init's status. */
static enum dn_status tc_session(struct tcase *t)
{
    ck_assert_int_eq(dn_graph_finish(t->g), DN_OK);
    dn_session_free(t->s);
    t->s = NULL;
    enum dn_status st = dn_session_init(&t->s, t->g, t->n_in, t->given);
    live.s = t->s;
    return st;
}

/* Runs the session (creating it first if needed); returns output i. */
static struct dn_tensor tc_run_out(struct tcase *t, int i)
{
    if (!t->s)
        ck_assert_int_eq(tc_session(t), DN_OK);
    ck_assert_int_eq(dn_session_run(t->s, t->data), DN_OK);
    return dn_session_output(t->s, i);
}

static struct dn_tensor tc_run(struct tcase *t)
{
    return tc_run_out(t, 0);
}

/* Builds a graph of one op on one float input x, runs it, returns output 0. */
static struct dn_tensor run_unary(struct tcase *t, enum dn_op op, int opset, union dn_params p,
                                  struct dn_shape xs, const float *x)
{
    tc_init(t);
    int xv = tc_input(t, xs, x);
    tc_output(t, tc_node(t, op, opset, p, IN(xv)));
    return tc_run(t);
}

/* Teardown of every test: default log hook, nothing left allocated. */
static void teardown(void)
{
    restore_log();
    dn_session_free(live.s);
    dn_graph_free(live.g);
    memset(&live, 0, sizeof live);
}

/* ---- checks ---------------------------------------------------------- */

static void expect_shape(struct dn_tensor o, struct dn_shape want, int line)
{
    char b1[128], b2[128];
    int ok = o.shape.ndim == want.ndim;
    for (int i = 0; ok && i < want.ndim; i++)
        ok = o.shape.d[i] == want.d[i];
    ck_assert_msg(ok, "line %d: shape is %s, expected %s", line, dn_shape_str(&o.shape, b1, sizeof b1),
                  dn_shape_str(&want, b2, sizeof b2));
}

static void expect_f32(struct dn_tensor o, struct dn_shape want, const float *v, size_t n, int line)
{
    expect_shape(o, want, line);
    ck_assert_msg(o.dtype == DN_DTYPE_F32, "line %d: dtype %d is not float32", line, (int)o.dtype);
    ck_assert_msg((size_t)dn_shape_numel(&want) == n, "line %d: %zu expected values for %lld elements",
                  line, n, (long long)dn_shape_numel(&want));
    for (size_t i = 0; i < n; i++) {
        float got = ((const float *)o.data)[i];
        ck_assert_msg(fabsf(got - v[i]) <= 1e-5f + 1e-5f * fabsf(v[i]),
                      "line %d: element %zu is %.7g, expected %.7g", line, i, got, v[i]);
    }
}

static void expect_i64(struct dn_tensor o, struct dn_shape want, const int64_t *v, size_t n, int line)
{
    expect_shape(o, want, line);
    ck_assert_msg(o.dtype == DN_DTYPE_I64, "line %d: dtype %d is not int64", line, (int)o.dtype);
    ck_assert_msg((size_t)dn_shape_numel(&want) == n, "line %d: %zu expected values for %lld elements",
                  line, n, (long long)dn_shape_numel(&want));
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(((const int64_t *)o.data)[i] == v[i], "line %d: element %zu is %lld, expected %lld",
                      line, i, (long long)((const int64_t *)o.data)[i], (long long)v[i]);
}

#define EXPECT_F32(o, shape, ...) \
    expect_f32((o), (shape), F32(__VA_ARGS__), sizeof(F32(__VA_ARGS__)) / sizeof(float), __LINE__)
#define EXPECT_I64(o, shape, ...) \
    expect_i64((o), (shape), I64(__VA_ARGS__), sizeof(I64(__VA_ARGS__)) / sizeof(int64_t), __LINE__)
/* The output holds exactly the n input values (copy-like ops). */
#define EXPECT_DATA(o, shape, x, n) expect_f32((o), (shape), (x), (n), __LINE__)

/* Expects dn_session_init to fail with want, reporting exactly one line. */
static void expect_init_error(struct tcase *t, enum dn_status want)
{
    quiet();
    enum dn_status st = tc_session(t);
    int logged = log_count;
    restore_log();
    ck_assert_msg(st == want, "dn_session_init returned '%s', expected '%s'", dn_status_str(st),
                  dn_status_str(want));
    ck_assert_ptr_null(t->s);
    ck_assert_int_eq(logged, 1);
}

/* ---- parameters ------------------------------------------------------ */

static const union dn_params P0; /* ops without parameters */

/* A square k x k window with stride s, no pads, dilation 1, group 1. */
static union dn_params window(int64_t k, int64_t s)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.win.kernel[0] = p.win.kernel[1] = k;
    p.win.stride[0] = p.win.stride[1] = s;
    p.win.dilation[0] = p.win.dilation[1] = 1;
    p.win.group = 1;
    p.win.has_kernel = 1;
    p.win.auto_pad = DN_PAD_NOTSET;
    return p;
}

static union dn_params with_pads(union dn_params p, int64_t top, int64_t left, int64_t bottom, int64_t right)
{
    p.win.pads[0] = top;
    p.win.pads[1] = left;
    p.win.pads[2] = bottom;
    p.win.pads[3] = right;
    return p;
}

static union dn_params axis_p(int64_t axis, int legacy)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.axis.axis = axis;
    p.axis.legacy = legacy;
    return p;
}

static union dn_params gemm_p(float alpha, float beta, int ta, int tb)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.gemm.alpha = alpha;
    p.gemm.beta = beta;
    p.gemm.trans_a = ta;
    p.gemm.trans_b = tb;
    return p;
}

static union dn_params axes_attr(int n, const int64_t *axes)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.axes.n = n;
    for (int i = 0; i < n; i++)
        p.axes.axes[i] = axes[i];
    return p;
}

static union dn_params axes_from_input(void)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.axes.from_input = 1;
    return p;
}

static union dn_params shape_p(int64_t start, int64_t end)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.shape.start = start;
    p.shape.end = end;
    return p;
}

#define SHAPE_NO_END (INT64_MAX / 2) /* what the importer uses for an absent end */

/* Runs a Conv with x as a graph input, w (and bias, if not NULL) constants. */
static struct dn_tensor run_conv(struct tcase *t, union dn_params p, struct dn_shape xs, const float *x,
                                 struct dn_shape ws, const float *w, const float *bias)
{
    tc_init(t);
    int xv = tc_input(t, xs, x);
    int wv = tc_const_f(t, ws, w);
    int y = bias ? tc_node(t, DN_OP_CONV, 11, p, IN(xv, wv, tc_const_f(t, SH(ws.d[0]), bias)))
                 : tc_node(t, DN_OP_CONV, 11, p, IN(xv, wv));
    tc_output(t, y);
    return tc_run(t);
}

/* ---- Conv ------------------------------------------------------------ */

/* x = [1 2 3; 4 5 6; 7 8 9], w = [1 2; 3 4]: each output is
 * 1*x(i,j) + 2*x(i,j+1) + 3*x(i+1,j) + 4*x(i+1,j+1). */
START_TEST(test_conv_basic)
{
    struct tcase t;
    /* (0,0) = 1*1 + 2*2 + 3*4 + 4*5 = 37; each step right adds 1+2+3+4 = 10,
     * each step down adds 3*10 = 30 */
    EXPECT_F32(run_conv(&t, window(2, 1), SH(1, 1, 3, 3), X3x3, SH(1, 1, 2, 2), K2x2, NULL),
               SH(1, 1, 2, 2), 37, 47, 67, 77);
    ck_assert_int_eq(dn_session_macs(t.s), 4 * 4); /* 4 outputs x 1 channel x 2x2 taps */
    tc_free(&t);
}
END_TEST

START_TEST(test_conv_pads)
{
    struct tcase t;
    /* zero border of 1: corners see one pixel (4*1, 3*3, 2*7, 1*9), edges two
     * (e.g. (0,1) = 3*1 + 4*2 = 11, (1,0) = 2*1 + 4*4 = 18); the outputs sum to
     * 45 * (1+2+3+4) = 450 */
    EXPECT_F32(run_conv(&t, with_pads(window(2, 1), 1, 1, 1, 1), SH(1, 1, 3, 3), X3x3, SH(1, 1, 2, 2),
                        K2x2, NULL),
               SH(1, 1, 4, 4),
               4, 11, 18, 9,
               18, 37, 47, 21,
               36, 67, 77, 33,
               14, 23, 26, 9);
    tc_free(&t);
}
END_TEST

START_TEST(test_conv_stride_asymmetric_pads)
{
    struct tcase t;
    /* pads top 1, right 1, stride 2: H = (3+1-2)/2+1 = 2, W = (3+1-2)/2+1 = 2.
     * Padded rows: [0 0 0 0; 1 2 3 0; 4 5 6 0; 7 8 9 0]
     * (0,0) = 3*1 + 4*2 = 11   (0,1) = 3*3 + 4*0 = 9
     * (1,0) = 1*4 + 2*5 + 3*7 + 4*8 = 67   (1,1) = 1*6 + 3*9 = 33 */
    EXPECT_F32(run_conv(&t, with_pads(window(2, 2), 1, 0, 0, 1), SH(1, 1, 3, 3), X3x3, SH(1, 1, 2, 2),
                        K2x2, NULL),
               SH(1, 1, 2, 2), 11, 9, 67, 33);
    tc_free(&t);
}
END_TEST

START_TEST(test_conv_dilation)
{
    struct tcase t;
    union dn_params p = window(2, 1);
    p.win.dilation[0] = p.win.dilation[1] = 2;
    /* x = 1..16 in 4x4; the dilated kernel spans 3x3, so the output is 2x2.
     * (0,0) taps x(0,0), x(0,2), x(2,0), x(2,2) = 1, 3, 9, 11:
     * 1*1 + 2*3 + 3*9 + 4*11 = 78; right +10, down +40 */
    EXPECT_F32(run_conv(&t, p, SH(1, 1, 4, 4), X4x4, SH(1, 1, 2, 2), K2x2, NULL),
               SH(1, 1, 2, 2), 78, 88, 118, 128);
    tc_free(&t);
}
END_TEST

START_TEST(test_conv_group)
{
    struct tcase t;
    union dn_params p = window(2, 1);
    p.win.group = 2;
    /* channels [1 2; 3 4] and [5 6; 7 8]; 4 filters, two per group:
     * group 0 (channel 0): all ones -> 10, [1 0 0 0] -> 1
     * group 1 (channel 1): all ones -> 26, [0 0 0 1] -> 8 */
    EXPECT_F32(run_conv(&t, p, SH(1, 2, 2, 2), F32(1, 2, 3, 4, 5, 6, 7, 8), SH(4, 1, 2, 2),
                        F32(1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1), NULL),
               SH(1, 4, 1, 1), 10, 1, 26, 8);
    tc_free(&t);
}
END_TEST

START_TEST(test_conv_bias)
{
    struct tcase t;
    /* filter 0 = [1 2; 3 4] + 10, filter 1 = [0 0; 0 1] - 1 (picks x(i+1,j+1) - 1) */
    EXPECT_F32(run_conv(&t, window(2, 1), SH(1, 1, 3, 3), X3x3, SH(2, 1, 2, 2),
                        F32(1, 2, 3, 4, 0, 0, 0, 1), F32(10, -1)),
               SH(1, 2, 2, 2), 47, 57, 77, 87, 4, 5, 7, 8);
    tc_free(&t);
}
END_TEST

/* Even kernel, stride 1 on 3x3: total padding (3-1)*1 + 2 - 3 = 1 per axis.
 * SAME_UPPER puts it at the end (bottom/right), SAME_LOWER at the start. */
START_TEST(test_conv_same_upper)
{
    struct tcase t;
    union dn_params p = window(2, 1);
    p.win.auto_pad = DN_PAD_SAME_UPPER;
    /* = bottom-right 3x3 of test_conv_pads' output */
    EXPECT_F32(run_conv(&t, p, SH(1, 1, 3, 3), X3x3, SH(1, 1, 2, 2), K2x2, NULL),
               SH(1, 1, 3, 3), 37, 47, 21, 67, 77, 33, 23, 26, 9);
    tc_free(&t);
}
END_TEST

START_TEST(test_conv_same_lower)
{
    struct tcase t;
    union dn_params p = window(2, 1);
    p.win.auto_pad = DN_PAD_SAME_LOWER;
    /* = top-left 3x3 of test_conv_pads' output */
    EXPECT_F32(run_conv(&t, p, SH(1, 1, 3, 3), X3x3, SH(1, 1, 2, 2), K2x2, NULL),
               SH(1, 1, 3, 3), 4, 11, 18, 18, 37, 47, 36, 67, 77);
    tc_free(&t);
}
END_TEST

START_TEST(test_conv_valid_ignores_pads)
{
    struct tcase t;
    union dn_params p = with_pads(window(2, 2), 1, 1, 1, 1);
    p.win.auto_pad = DN_PAD_VALID;
    /* 4x4 of 1..16, stride 2, pads ignored: (4-2)/2+1 = 2.
     * (0,0) = 1*1 + 2*2 + 3*5 + 4*6 = 44; right +2*10 = 64;
     * down +8*10 = 124, 144 */
    EXPECT_F32(run_conv(&t, p, SH(1, 1, 4, 4), X4x4, SH(1, 1, 2, 2), K2x2, NULL),
               SH(1, 1, 2, 2), 44, 64, 124, 144);
    tc_free(&t);
}
END_TEST

START_TEST(test_conv_channel_mismatch)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(1, 2, 3, 3), NULL);
    int w = tc_const_f(&t, SH(1, 1, 2, 2), K2x2); /* wants 1 input channel */
    tc_output(&t, tc_node(&t, DN_OP_CONV, 11, window(2, 1), IN(x, w)));
    expect_init_error(&t, DN_ERR_SHAPE);
    tc_free(&t);
}
END_TEST

/* ---- MaxPool ----------------------------------------------------------- */

START_TEST(test_maxpool_ceil_mode)
{
    struct tcase t;
    union dn_params p = window(2, 2);
    /* 5x5 of 5*row+col; floor: (5-2)/2+1 = 2, the max of each block is its
     * bottom-right element */
    EXPECT_F32(run_unary(&t, DN_OP_MAXPOOL, 12, p, SH(1, 1, 5, 5), X5x5), SH(1, 1, 2, 2), 6, 8, 16, 18);
    tc_free(&t);
    /* ceil: ceil(3/2)+1 = 3; the last row/column windows hold only row/col 4 */
    p.win.ceil_mode = 1;
    EXPECT_F32(run_unary(&t, DN_OP_MAXPOOL, 12, p, SH(1, 1, 5, 5), X5x5), SH(1, 1, 3, 3),
               6, 8, 9, 16, 18, 19, 21, 23, 24);
    tc_free(&t);
}
END_TEST

START_TEST(test_maxpool_ceil_drops_window_in_end_pad)
{
    struct tcase t;
    union dn_params p = with_pads(window(2, 2), 1, 1, 1, 1);
    p.win.ceil_mode = 1;
    /* 5 + 1 + 1 - 2 = 5; ceil(5/2)+1 = 4, but window 3 would start at padded
     * offset 6 >= 5 + 1, i.e. entirely in the end padding: PyTorch drops it -> 3.
     * Windows cover rows {-1,0}, {1,2}, {3,4}: maxima at rows/cols 0, 2, 4 */
    EXPECT_F32(run_unary(&t, DN_OP_MAXPOOL, 12, p, SH(1, 1, 5, 5), X5x5), SH(1, 1, 3, 3),
               0, 2, 4, 10, 12, 14, 20, 22, 24);
    tc_free(&t);
}
END_TEST

START_TEST(test_maxpool_pads_are_minus_infinity)
{
    struct tcase t;
    /* x = [-1 -2; -3 -4], 2x2 windows, stride 1, pads 1: every window holds
     * padding; zero padding would make every output 0 */
    EXPECT_F32(run_unary(&t, DN_OP_MAXPOOL, 12, with_pads(window(2, 1), 1, 1, 1, 1), SH(1, 1, 2, 2),
                         F32(-1, -2, -3, -4)),
               SH(1, 1, 3, 3), -1, -1, -2, -1, -1, -2, -3, -3, -4);
    tc_free(&t);
}
END_TEST

START_TEST(test_maxpool_dilation)
{
    struct tcase t;
    union dn_params p = window(2, 1);
    p.win.dilation[0] = p.win.dilation[1] = 2;
    /* the taps are the four corners (1, 2, 3, 4); the 50s and the 100 in
     * between must be skipped: max = 4 */
    EXPECT_F32(run_unary(&t, DN_OP_MAXPOOL, 12, p, SH(1, 1, 3, 3), F32(1, 50, 2, 50, 100, 50, 3, 50, 4)),
               SH(1, 1, 1, 1), 4);
    tc_free(&t);
}
END_TEST

/* ---- AveragePool ------------------------------------------------------- */

START_TEST(test_avgpool_count_include_pad)
{
    struct tcase t;
    union dn_params p = with_pads(window(2, 1), 1, 1, 1, 1);
    /* x = [1 2; 3 4], 2x2 windows, stride 1, pads 1 -> 3x3.
     * Window sums: corners 1, 2, 3, 4; edges 1+2=3, 1+3=4, 2+4=6, 3+4=7; centre 10.
     * count_include_pad=0 divides by the real pixels: corners /1, edges /2, centre /4 */
    EXPECT_F32(run_unary(&t, DN_OP_AVGPOOL, 11, p, SH(1, 1, 2, 2), F32(1, 2, 3, 4)), SH(1, 1, 3, 3),
               1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4);
    tc_free(&t);
    /* count_include_pad=1 divides every window by 4 */
    p.win.count_include_pad = 1;
    EXPECT_F32(run_unary(&t, DN_OP_AVGPOOL, 11, p, SH(1, 1, 2, 2), F32(1, 2, 3, 4)), SH(1, 1, 3, 3),
               0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1);
    tc_free(&t);
}
END_TEST

START_TEST(test_avgpool_ceil_past_input)
{
    struct tcase t;
    union dn_params p = window(2, 2);
    p.win.ceil_mode = 1;
    /* 5x5 of 5*row+col, no pads: 3x3; the last column windows hold 2 pixels,
     * the corner one: (0,2) = (4+9)/2 = 6.5, (2,0) = (20+21)/2 = 20.5, (2,2) = 24 */
    EXPECT_F32(run_unary(&t, DN_OP_AVGPOOL, 11, p, SH(1, 1, 5, 5), X5x5), SH(1, 1, 3, 3),
               3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24);
    tc_free(&t);
}
END_TEST

START_TEST(test_avgpool_ceil_clipped_to_padded_input)
{
    struct tcase t;
    union dn_params p = with_pads(window(3, 2), 1, 1, 1, 1);
    p.win.ceil_mode = 1;
    p.win.count_include_pad = 1;
    /* 4x4 of ones, kernel 3, stride 2, pads 1: 4+2-3 = 3, ceil(3/2)+1 = 3 windows
     * starting at -1, 1, 3 (3 < 4+1, so the last one stays). PyTorch clips each
     * window to [-1, 5): spans 3, 3, 2; real rows 2 ({0,1}), 3 ({1,2,3}), 1 ({3}).
     * (0,0) = 2*2/(3*3) = 4/9, (0,1) = 2*3/9 = 2/3, (0,2) = 2*1/(3*2) = 1/3,
     * (1,1) = 9/9, (1,2) = 3*1/(3*2) = 1/2, (2,2) = 1/(2*2) = 1/4 */
    static const float ones[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    EXPECT_F32(run_unary(&t, DN_OP_AVGPOOL, 11, p, SH(1, 1, 4, 4), ones), SH(1, 1, 3, 3),
               4.0f / 9, 2.0f / 3, 1.0f / 3, 2.0f / 3, 1, 0.5, 1.0f / 3, 0.5, 0.25);
    tc_free(&t);
    /* count_include_pad=0: averages of ones are ones */
    p.win.count_include_pad = 0;
    EXPECT_F32(run_unary(&t, DN_OP_AVGPOOL, 11, p, SH(1, 1, 4, 4), ones), SH(1, 1, 3, 3),
               1, 1, 1, 1, 1, 1, 1, 1, 1);
    tc_free(&t);
}
END_TEST

START_TEST(test_avgpool_dilation_count_include_pad)
{
    struct tcase t;
    union dn_params p = window(2, 1);
    p.win.dilation[0] = p.win.dilation[1] = 2;
    /* 3x3 of ones, kernel 2 dilated by 2 (the four corners), no pads: the
     * window has 4 taps, all inside the input, so the average is 1 whether or
     * not padding would count. */
    static const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    EXPECT_F32(run_unary(&t, DN_OP_AVGPOOL, 19, p, SH(1, 1, 3, 3), ones), SH(1, 1, 1, 1), 1);
    tc_free(&t);
    p.win.count_include_pad = 1;
    EXPECT_F32(run_unary(&t, DN_OP_AVGPOOL, 19, p, SH(1, 1, 3, 3), ones), SH(1, 1, 1, 1), 1);
    tc_free(&t);
}
END_TEST

/* ---- per-channel and elementwise ops ------------------------------------ */

START_TEST(test_globalavgpool)
{
    struct tcase t;
    /* (1+2+3+4)/4 = 2.5, (5+6+7+9)/4 = 27/4 = 6.75 */
    EXPECT_F32(run_unary(&t, DN_OP_GLOBALAVGPOOL, 1, P0, SH(1, 2, 2, 2), F32(1, 2, 3, 4, 5, 6, 7, 9)),
               SH(1, 2, 1, 1), 2.5, 6.75);
    tc_free(&t);
}
END_TEST

START_TEST(test_batchnorm_epsilon)
{
    struct tcase t;
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.bn.epsilon = 0.01f;
    tc_init(&t);
    int x = tc_input(&t, SH(1, 2, 1, 2), F32(5, -1, 1, -0.5));
    int scale = tc_const_f(&t, SH(2), F32(3, 1));
    int bias = tc_const_f(&t, SH(2), F32(1, 0));
    int mean = tc_const_f(&t, SH(2), F32(1, 0));
    int var = tc_const_f(&t, SH(2), F32(3.99f, 0.24f));
    tc_output(&t, tc_node(&t, DN_OP_BATCHNORM, 15, p, IN(x, scale, bias, mean, var)));
    /* sqrt(3.99 + 0.01) = 2, sqrt(0.24 + 0.01) = 0.5 (without epsilon 7.0075...):
     * channel 0: 3*(5-1)/2 + 1 = 7, 3*(-1-1)/2 + 1 = -2
     * channel 1: 1/0.5 = 2, -0.5/0.5 = -1 */
    EXPECT_F32(tc_run(&t), SH(1, 2, 1, 2), 7, -2, 2, -1);
    tc_free(&t);
}
END_TEST

START_TEST(test_relu)
{
    struct tcase t;
    EXPECT_F32(run_unary(&t, DN_OP_RELU, 14, P0, SH(1, 4), F32(-1, 0, 2.5, -0.5)), SH(1, 4), 0, 0, 2.5, 0);
    tc_free(&t);
}
END_TEST

START_TEST(test_sigmoid)
{
    struct tcase t;
    /* 1/(1+e^0) = 0.5, 1/(1+1/3) = 0.75, 1/(1+3) = 0.25 (ln 3 = 1.0986123) */
    EXPECT_F32(run_unary(&t, DN_OP_SIGMOID, 13, P0, SH(3), F32(0, 1.0986123f, -1.0986123f)), SH(3),
               0.5, 0.75, 0.25);
    tc_free(&t);
}
END_TEST

static const float CLIP_X[5] = {-3, -1, 0.5, 2, 7};

START_TEST(test_clip_opset6_attrs)
{
    struct tcase t;
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.clip.min = -1;
    p.clip.max = 2;
    EXPECT_F32(run_unary(&t, DN_OP_CLIP, 6, p, SH(5), CLIP_X), SH(5), -1, -1, 0.5, 2, 2);
    tc_free(&t);
}
END_TEST

START_TEST(test_clip_opset11_inputs)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(5), CLIP_X);
    int lo = tc_const_f(&t, SCALAR, F32(0));
    int hi = tc_const_f(&t, SCALAR, F32(6));
    tc_output(&t, tc_node(&t, DN_OP_CLIP, 13, P0, IN(x, lo, hi)));
    EXPECT_F32(tc_run(&t), SH(5), 0, 0, 0.5, 2, 6);
    tc_free(&t);
}
END_TEST

START_TEST(test_clip_opset11_absent_min)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(5), CLIP_X);
    int hi = tc_const_f(&t, SCALAR, F32(1));
    tc_output(&t, tc_node(&t, DN_OP_CLIP, 13, P0, IN(x, -1, hi)));
    EXPECT_F32(tc_run(&t), SH(5), -3, -1, 0.5, 1, 1);
    tc_free(&t);
}
END_TEST

/* 2x3x2, laid out [n][c][k]:
 * n=0: c0 = (0, 0), c1 = (ln 3, 0), c2 = (0, 0)
 * n=1: c0 = (0, ln 2), c1 = (0, ln 2), c2 = (0, ln 2) */
static const float SOFTMAX_X[12] = {0, 0, 1.0986123f, 0, 0, 0, 0, 0.6931472f, 0, 0.6931472f, 0, 0.6931472f};

START_TEST(test_softmax_opset11_flattens)
{
    struct tcase t;
    /* axis 1, opset 11: one softmax over the 6 values of each n.
     * n=0: exps 1 1 3 1 1 1, sum 8; n=1: exps 1 2 1 2 1 2, sum 9 */
    EXPECT_F32(run_unary(&t, DN_OP_SOFTMAX, 11, axis_p(1, 1), SH(2, 3, 2), SOFTMAX_X), SH(2, 3, 2),
               0.125, 0.125, 0.375, 0.125, 0.125, 0.125,
               1.0f / 9, 2.0f / 9, 1.0f / 9, 2.0f / 9, 1.0f / 9, 2.0f / 9);
    tc_free(&t);
}
END_TEST

START_TEST(test_softmax_opset13_single_axis)
{
    struct tcase t;
    /* axis 1, opset 13: a softmax over c for each (n, k).
     * n=0, k=0: exps 1 3 1 -> 0.2 0.6 0.2; k=1: 1 1 1 -> 1/3 each;
     * n=1: each k sees three equal values -> 1/3 */
    EXPECT_F32(run_unary(&t, DN_OP_SOFTMAX, 13, axis_p(1, 0), SH(2, 3, 2), SOFTMAX_X), SH(2, 3, 2),
               0.2, 1.0f / 3, 0.6, 1.0f / 3, 0.2, 1.0f / 3,
               1.0f / 3, 1.0f / 3, 1.0f / 3, 1.0f / 3, 1.0f / 3, 1.0f / 3);
    tc_free(&t);
}
END_TEST

/* ---- shape ops ---------------------------------------------------------- */

START_TEST(test_flatten_axes)
{
    static const struct {
        int64_t axis, rows, cols;
    } cases[] = {{0, 1, 24}, {1, 2, 12}, {2, 6, 4}, {-1, 6, 4}, {3, 24, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tcase t;
        struct dn_tensor y = run_unary(&t, DN_OP_FLATTEN, 13, axis_p(cases[i].axis, 0), SH(2, 3, 4), X24);
        EXPECT_DATA(y, SH(cases[i].rows, cases[i].cols), X24, 24);
        tc_free(&t);
    }
}
END_TEST

/* Reshape of a 2x3x4 input to a constant target shape. */
static struct dn_tensor run_reshape(struct tcase *t, struct dn_shape ts, const int64_t *target, int allowzero)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.reshape.allowzero = allowzero;
    tc_init(t);
    int x = tc_input(t, SH(2, 3, 4), X24);
    int shape = tc_const_i(t, ts, target);
    tc_output(t, tc_node(t, DN_OP_RESHAPE, 14, p, IN(x, shape)));
    return tc_run(t);
}

START_TEST(test_reshape_zero_and_minus_one)
{
    struct tcase t;
    /* [0, -1, 2]: 0 copies 2, -1 = 24 / (2*2) = 6 */
    EXPECT_DATA(run_reshape(&t, SH(3), I64(0, -1, 2), 0), SH(2, 6, 2), X24, 24);
    tc_free(&t);
    EXPECT_DATA(run_reshape(&t, SH(1), I64(-1), 0), SH(24), X24, 24);
    tc_free(&t);
    /* [4, 0, -1]: 0 copies 3, -1 = 24 / 12 = 2 */
    EXPECT_DATA(run_reshape(&t, SH(3), I64(4, 0, -1), 0), SH(4, 3, 2), X24, 24);
    tc_free(&t);
}
END_TEST

START_TEST(test_reshape_allowzero)
{
    struct tcase t;
    union dn_params p;
    memset(&p, 0, sizeof p);

    /* allowzero=1 on a 0x3 constant: [3, 0] is taken literally -> 3x0 */
    p.reshape.allowzero = 1;
    tc_init(&t);
    int x = tc_const_f(&t, SH(0, 3), NULL);
    int shape = tc_const_i(&t, SH(2), I64(3, 0));
    tc_output(&t, tc_node(&t, DN_OP_RESHAPE, 14, p, IN(x, shape)));
    expect_shape(tc_run(&t), SH(3, 0), __LINE__);
    tc_free(&t);

    /* allowzero=0: the 0 copies dim 1 (3), and 3x3 does not hold 0 elements */
    p.reshape.allowzero = 0;
    tc_init(&t);
    x = tc_const_f(&t, SH(0, 3), NULL);
    shape = tc_const_i(&t, SH(2), I64(3, 0));
    tc_output(&t, tc_node(&t, DN_OP_RESHAPE, 14, p, IN(x, shape)));
    expect_init_error(&t, DN_ERR_SHAPE);
    tc_free(&t);

    /* allowzero=1 with [0, -1] on 2x3x4: the 0 is a real 0, so -1 cannot be inferred */
    tc_init(&t);
    x = tc_input(&t, SH(2, 3, 4), X24);
    shape = tc_const_i(&t, SH(2), I64(0, -1));
    p.reshape.allowzero = 1;
    tc_output(&t, tc_node(&t, DN_OP_RESHAPE, 14, p, IN(x, shape)));
    expect_init_error(&t, DN_ERR_SHAPE);
    tc_free(&t);
}
END_TEST

START_TEST(test_concat_axis1)
{
    struct tcase t;
    tc_init(&t);
    int a = tc_input(&t, SH(2, 1), F32(1, 2));
    int b = tc_input(&t, SH(2, 2), F32(3, 4, 5, 6));
    int c = tc_input(&t, SH(2, 1), F32(7, 8));
    tc_output(&t, tc_node(&t, DN_OP_CONCAT, 13, axis_p(1, 0), IN(a, b, c)));
    EXPECT_F32(tc_run(&t), SH(2, 4), 1, 3, 4, 7, 2, 5, 6, 8);
    tc_free(&t);
}
END_TEST

START_TEST(test_concat_axis_minus1)
{
    struct tcase t;
    tc_init(&t);
    int a = tc_input(&t, SH(1, 2, 1), F32(1, 2));
    int b = tc_input(&t, SH(1, 2, 2), F32(3, 4, 5, 6));
    int c = tc_const_f(&t, SH(1, 2, 1), F32(7, 8));
    tc_output(&t, tc_node(&t, DN_OP_CONCAT, 13, axis_p(-1, 0), IN(a, b, c)));
    EXPECT_F32(tc_run(&t), SH(1, 2, 4), 1, 3, 4, 7, 2, 5, 6, 8);
    tc_free(&t);
}
END_TEST

/* ---- Gemm and MatMul ---------------------------------------------------- */

/* A = [1 2 3; 4 5 6], B = [1 0; 0 1; 1 1]: A*B = [1+3 2+3; 4+6 5+6] = [4 5; 10 11].
 * a and b are stored transposed when ta / tb are set. */
static struct dn_tensor run_gemm(struct tcase *t, union dn_params p, struct dn_shape cs, const float *c)
{
    static const float A[6] = {1, 2, 3, 4, 5, 6}, AT[6] = {1, 4, 2, 5, 3, 6};
    static const float B[6] = {1, 0, 0, 1, 1, 1}, BT[6] = {1, 0, 1, 0, 1, 1};
    tc_init(t);
    int a = p.gemm.trans_a ? tc_input(t, SH(3, 2), AT) : tc_input(t, SH(2, 3), A);
    int b = p.gemm.trans_b ? tc_const_f(t, SH(2, 3), BT) : tc_const_f(t, SH(3, 2), B);
    int y = c ? tc_node(t, DN_OP_GEMM, 13, p, IN(a, b, tc_const_f(t, cs, c)))
              : tc_node(t, DN_OP_GEMM, 13, p, IN(a, b));
    tc_output(t, y);
    return tc_run(t);
}

START_TEST(test_gemm_plain)
{
    struct tcase t;
    EXPECT_F32(run_gemm(&t, gemm_p(1, 1, 0, 0), SCALAR, NULL), SH(2, 2), 4, 5, 10, 11);
    ck_assert_int_eq(dn_session_macs(t.s), 4 * 3);
    tc_free(&t);
}
END_TEST

START_TEST(test_gemm_transposed)
{
    struct tcase t;
    EXPECT_F32(run_gemm(&t, gemm_p(1, 1, 1, 0), SCALAR, NULL), SH(2, 2), 4, 5, 10, 11);
    tc_free(&t);
    EXPECT_F32(run_gemm(&t, gemm_p(1, 1, 0, 1), SCALAR, NULL), SH(2, 2), 4, 5, 10, 11);
    tc_free(&t);
    EXPECT_F32(run_gemm(&t, gemm_p(1, 1, 1, 1), SCALAR, NULL), SH(2, 2), 4, 5, 10, 11);
    tc_free(&t);
}
END_TEST

/* alpha 2, beta 0.5: Y = 2*[4 5; 10 11] + 0.5*C = [8 10; 20 22] + 0.5*C */
START_TEST(test_gemm_c_scalar)
{
    struct tcase t;
    EXPECT_F32(run_gemm(&t, gemm_p(2, 0.5f, 1, 1), SCALAR, F32(10)), SH(2, 2), 13, 15, 25, 27);
    tc_free(&t);
}
END_TEST

START_TEST(test_gemm_c_row)
{
    struct tcase t;
    /* 0.5*[10 20] added to each row */
    EXPECT_F32(run_gemm(&t, gemm_p(2, 0.5f, 0, 1), SH(2), F32(10, 20)), SH(2, 2), 13, 20, 25, 32);
    tc_free(&t);
    EXPECT_F32(run_gemm(&t, gemm_p(2, 0.5f, 0, 1), SH(1, 2), F32(10, 20)), SH(2, 2), 13, 20, 25, 32);
    tc_free(&t);
}
END_TEST

START_TEST(test_gemm_c_column)
{
    struct tcase t;
    /* 0.5*[10; 20] added to each column */
    EXPECT_F32(run_gemm(&t, gemm_p(2, 0.5f, 1, 0), SH(2, 1), F32(10, 20)), SH(2, 2), 13, 15, 30, 32);
    tc_free(&t);
}
END_TEST

/* MatMul of input a by constant b. */
static struct dn_tensor run_matmul(struct tcase *t, struct dn_shape as, const float *a, struct dn_shape bs,
                                   const float *b)
{
    tc_init(t);
    int av = tc_input(t, as, a);
    tc_output(t, tc_node(t, DN_OP_MATMUL, 13, P0, IN(av, tc_const_f(t, bs, b))));
    return tc_run(t);
}

START_TEST(test_matmul_1d_2d)
{
    struct tcase t;
    /* [1 2 3] x [1 0; 0 1; 1 1] = [1+3, 2+3]; the prepended 1 is dropped */
    EXPECT_F32(run_matmul(&t, SH(3), F32(1, 2, 3), SH(3, 2), F32(1, 0, 0, 1, 1, 1)), SH(2), 4, 5);
    tc_free(&t);
}
END_TEST

START_TEST(test_matmul_2d_1d)
{
    struct tcase t;
    /* [1 2 3; 4 5 6] x [1 0 2] = [1+6, 4+12]; the appended 1 is dropped */
    EXPECT_F32(run_matmul(&t, SH(2, 3), F32(1, 2, 3, 4, 5, 6), SH(3), F32(1, 0, 2)), SH(2), 7, 16);
    tc_free(&t);
}
END_TEST

START_TEST(test_matmul_batched_broadcast)
{
    struct tcase t;
    /* a: batch 2x1 of 1x2 rows a0 = [1 2], a1 = [3 4];
     * b: batch 1x3 of 2x1 columns b0 = [1;0], b1 = [0;1], b2 = [1;1];
     * out[i][j] = a_i . b_j: a0 -> 1 2 3, a1 -> 3 4 7 */
    EXPECT_F32(run_matmul(&t, SH(2, 1, 1, 2), F32(1, 2, 3, 4), SH(1, 3, 2, 1), F32(1, 0, 0, 1, 1, 1)),
               SH(2, 3, 1, 1), 1, 2, 3, 3, 4, 7);
    tc_free(&t);
    /* a 3-D batch against a shared 2-D b: [1 2; 3 4] and [0 1; 1 0] times [1 1; 0 1] */
    EXPECT_F32(run_matmul(&t, SH(2, 2, 2), F32(1, 2, 3, 4, 0, 1, 1, 0), SH(2, 2), F32(1, 1, 0, 1)),
               SH(2, 2, 2), 1, 3, 3, 7, 0, 1, 1, 1);
    tc_free(&t);
}
END_TEST

/* ---- Add, Sub, Mul, Div ------------------------------------------------- */

static const enum dn_op BINARY_OPS[4] = {DN_OP_ADD, DN_OP_SUB, DN_OP_MUL, DN_OP_DIV};

/* op(a, b): a graph input a, or a constant if a_const; b the other. */
static struct dn_tensor run_binary(struct tcase *t, enum dn_op op, struct dn_shape as, const float *a,
                                   struct dn_shape bs, const float *b, int a_const)
{
    tc_init(t);
    int av = a_const ? tc_const_f(t, as, a) : tc_input(t, as, a);
    int bv = a_const ? tc_input(t, bs, b) : tc_const_f(t, bs, b);
    tc_output(t, tc_node(t, op, 14, P0, IN(av, bv)));
    return tc_run(t);
}

START_TEST(test_binary_3x1_by_1x4)
{
    /* a = [1; 2; 3], b = [1 2 4 8] */
    static const float want[4][12] = {
        {2, 3, 5, 9, 3, 4, 6, 10, 4, 5, 7, 11},
        {0, -1, -3, -7, 1, 0, -2, -6, 2, 1, -1, -5},
        {1, 2, 4, 8, 2, 4, 8, 16, 3, 6, 12, 24},
        {1, 0.5, 0.25, 0.125, 2, 1, 0.5, 0.25, 3, 1.5, 0.75, 0.375},
    };
    for (int i = 0; i < 4; i++) {
        struct tcase t;
        expect_f32(run_binary(&t, BINARY_OPS[i], SH(3, 1), F32(1, 2, 3), SH(1, 4), F32(1, 2, 4, 8), 0),
                   SH(3, 4), want[i], 12, __LINE__);
        tc_free(&t);
    }
}
END_TEST

START_TEST(test_binary_scalar_first)
{
    /* op(10, [1 2; 3 4]): the scalar is the left operand */
    static const float want[4][4] = {
        {11, 12, 13, 14}, {9, 8, 7, 6}, {10, 20, 30, 40}, {10, 5, 10.0f / 3, 2.5},
    };
    for (int i = 0; i < 4; i++) {
        struct tcase t;
        expect_f32(run_binary(&t, BINARY_OPS[i], SCALAR, F32(10), SH(2, 2), F32(1, 2, 3, 4), 1), SH(2, 2),
                   want[i], 4, __LINE__);
        tc_free(&t);
    }
}
END_TEST

START_TEST(test_binary_rank_extension)
{
    /* [1 2 3; 4 5 6] op [10 20 30] */
    static const float want[4][6] = {
        {11, 22, 33, 14, 25, 36},
        {-9, -18, -27, -6, -15, -24},
        {10, 40, 90, 40, 100, 180},
        {0.1f, 0.1f, 0.1f, 0.4f, 0.25f, 0.2f},
    };
    for (int i = 0; i < 4; i++) {
        struct tcase t;
        expect_f32(run_binary(&t, BINARY_OPS[i], SH(2, 3), F32(1, 2, 3, 4, 5, 6), SH(3), F32(10, 20, 30), 0),
                   SH(2, 3), want[i], 6, __LINE__);
        tc_free(&t);
    }
}
END_TEST

START_TEST(test_binary_broadcast_error)
{
    struct tcase t;
    tc_init(&t);
    int a = tc_input(&t, SH(3, 2), NULL);
    int b = tc_const_f(&t, SH(4), F32(1, 2, 3, 4));
    tc_output(&t, tc_node(&t, DN_OP_ADD, 14, P0, IN(a, b)));
    expect_init_error(&t, DN_ERR_SHAPE);
    tc_free(&t);
}
END_TEST

START_TEST(test_div_int64_truncates)
{
    struct tcase t;
    /* Integer Div (folded shape arithmetic) must truncate toward zero like
     * ONNX Runtime and the ONNX spec (onnx/onnx#7585): 7/2 = 3, -7/2 = -3,
     * 8/-3 = -2, -8/3 = -2. Add, Sub and Mul on the same operands for contrast. */
    static const int64_t a[4] = {7, -7, 8, -8}, b[4] = {2, 2, -3, 3};
    tc_init(&t);
    int av = tc_const_i(&t, SH(4), a), bv = tc_const_i(&t, SH(4), b);
    tc_output(&t, tc_node(&t, DN_OP_ADD, 14, P0, IN(av, bv)));
    tc_output(&t, tc_node(&t, DN_OP_SUB, 14, P0, IN(av, bv)));
    tc_output(&t, tc_node(&t, DN_OP_MUL, 14, P0, IN(av, bv)));
    tc_output(&t, tc_node(&t, DN_OP_DIV, 14, P0, IN(av, bv)));
    ck_assert_int_eq(tc_session(&t), DN_OK);
    ck_assert_int_eq(dn_session_node_count(t.s), 0); /* all folded */
    EXPECT_I64(tc_run_out(&t, 0), SH(4), 9, -5, 5, -5);
    EXPECT_I64(tc_run_out(&t, 1), SH(4), 5, -9, 11, -11);
    EXPECT_I64(tc_run_out(&t, 2), SH(4), 14, -14, -24, -24);
    EXPECT_I64(tc_run_out(&t, 3), SH(4), 3, -3, -2, -2);
    tc_free(&t);
}
END_TEST

/* ---- Pad ------------------------------------------------------------------ */

START_TEST(test_pad_attrs_value_and_negative)
{
    struct tcase t;
    union dn_params p;
    memset(&p, 0, sizeof p);
    /* [1 2 3; 4 5 6], pads (begins, then ends) = [1, -1, 0, 1], value 9:
     * one row of 9s on top, column 0 cut, one column of 9s on the right */
    p.pad.n = 4;
    memcpy(p.pad.pads, I64(1, -1, 0, 1), 4 * sizeof(int64_t));
    p.pad.value = 9;
    EXPECT_F32(run_unary(&t, DN_OP_PAD, 2, p, SH(2, 3), F32(1, 2, 3, 4, 5, 6)), SH(3, 3),
               9, 9, 9, 2, 3, 9, 5, 6, 9);
    tc_free(&t);
}
END_TEST

START_TEST(test_pad_inputs)
{
    struct tcase t;
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.pad.from_input = 1;
    /* pads [0, 1, 1, -1], value 7: a column of 7s on the left, column 2 cut,
     * a row of 7s at the bottom */
    tc_init(&t);
    int x = tc_input(&t, SH(2, 3), F32(1, 2, 3, 4, 5, 6));
    int pads = tc_const_i(&t, SH(4), I64(0, 1, 1, -1));
    int value = tc_const_f(&t, SCALAR, F32(7));
    tc_output(&t, tc_node(&t, DN_OP_PAD, 13, p, IN(x, pads, value)));
    EXPECT_F32(tc_run(&t), SH(3, 3), 7, 1, 2, 7, 4, 5, 7, 7, 7);
    tc_free(&t);
}
END_TEST

/* ---- copies ---------------------------------------------------------------- */

START_TEST(test_identity)
{
    struct tcase t;
    EXPECT_DATA(run_unary(&t, DN_OP_IDENTITY, 16, P0, SH(2, 3, 4), X24), SH(2, 3, 4), X24, 24);
    tc_free(&t);
}
END_TEST

START_TEST(test_dropout_inference)
{
    struct tcase t;
    EXPECT_DATA(run_unary(&t, DN_OP_DROPOUT, 7, P0, SH(2, 3, 4), X24), SH(2, 3, 4), X24, 24);
    tc_free(&t);
    /* opset 12 inputs: ratio 0.5, training_mode false */
    tc_init(&t);
    int x = tc_input(&t, SH(2, 3, 4), X24);
    int ratio = tc_const_f(&t, SCALAR, F32(0.5));
    int training = tc_const_i(&t, SCALAR, I64(0));
    tc_output(&t, tc_node(&t, DN_OP_DROPOUT, 12, P0, IN(x, ratio, training)));
    EXPECT_DATA(tc_run(&t), SH(2, 3, 4), X24, 24);
    tc_free(&t);
}
END_TEST

START_TEST(test_dropout_training_rejected)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(2, 3), NULL);
    int ratio = tc_const_f(&t, SCALAR, F32(0.5));
    int training = tc_const_i(&t, SCALAR, I64(1));
    tc_output(&t, tc_node(&t, DN_OP_DROPOUT, 12, P0, IN(x, ratio, training)));
    expect_init_error(&t, DN_ERR_UNSUPPORTED);
    tc_free(&t);
}
END_TEST

/* ---- Shape, Gather, Unsqueeze, Squeeze, Cast, ConstantOfShape ---------------- */

START_TEST(test_shape)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(2, 3, 4), X24);
    tc_output(&t, tc_node(&t, DN_OP_SHAPE, 13, shape_p(0, SHAPE_NO_END), IN(x)));
    tc_output(&t, tc_node(&t, DN_OP_SHAPE, 15, shape_p(1, SHAPE_NO_END), IN(x)));
    tc_output(&t, tc_node(&t, DN_OP_SHAPE, 15, shape_p(-1, SHAPE_NO_END), IN(x)));
    tc_output(&t, tc_node(&t, DN_OP_SHAPE, 15, shape_p(0, -1), IN(x)));
    tc_output(&t, tc_node(&t, DN_OP_SHAPE, 15, shape_p(-2, -1), IN(x)));
    tc_output(&t, tc_node(&t, DN_OP_SHAPE, 15, shape_p(-10, 10), IN(x))); /* clamped */
    ck_assert_int_eq(tc_session(&t), DN_OK);
    ck_assert_int_eq(dn_session_node_count(t.s), 0); /* Shape folds */
    EXPECT_I64(tc_run_out(&t, 0), SH(3), 2, 3, 4);
    EXPECT_I64(tc_run_out(&t, 1), SH(2), 3, 4);
    EXPECT_I64(tc_run_out(&t, 2), SH(1), 4);
    EXPECT_I64(tc_run_out(&t, 3), SH(2), 2, 3);
    EXPECT_I64(tc_run_out(&t, 4), SH(1), 3);
    EXPECT_I64(tc_run_out(&t, 5), SH(3), 2, 3, 4);
    tc_free(&t);
}
END_TEST

START_TEST(test_gather_negative_index)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(2, 3), F32(1, 2, 3, 4, 5, 6));
    /* scalar index -1 on axis 1: the last column, rank drops to 1 */
    tc_output(&t, tc_node(&t, DN_OP_GATHER, 13, axis_p(1, 0), IN(x, tc_const_i(&t, SCALAR, I64(-1)))));
    /* indices [-1, 0] on axis 0: rows swapped */
    tc_output(&t, tc_node(&t, DN_OP_GATHER, 13, axis_p(0, 0), IN(x, tc_const_i(&t, SH(2), I64(-1, 0)))));
    EXPECT_F32(tc_run_out(&t, 0), SH(2), 3, 6);
    EXPECT_F32(tc_run_out(&t, 1), SH(2, 3), 4, 5, 6, 1, 2, 3);
    tc_free(&t);
}
END_TEST

START_TEST(test_gather_index_out_of_range)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(2, 3), F32(1, 2, 3, 4, 5, 6));
    tc_output(&t, tc_node(&t, DN_OP_GATHER, 13, axis_p(1, 0), IN(x, tc_const_i(&t, SCALAR, I64(-4)))));
    ck_assert_int_eq(tc_session(&t), DN_OK);
    quiet();
    enum dn_status st = dn_session_run(t.s, t.data);
    int logged = log_count;
    restore_log();
    ck_assert_int_eq(st, DN_ERR_SHAPE);
    ck_assert_int_eq(logged, 1);
    tc_free(&t);
}
END_TEST

static const float X6[6] = {1, 2, 3, 4, 5, 6};

START_TEST(test_unsqueeze_attr)
{
    struct tcase t;
    /* axes refer to the output rank 4: [0, 3] -> 1x2x3x1 */
    EXPECT_DATA(run_unary(&t, DN_OP_UNSQUEEZE, 11, axes_attr(2, I64(0, 3)), SH(2, 3), X6), SH(1, 2, 3, 1), X6, 6);
    tc_free(&t);
    EXPECT_DATA(run_unary(&t, DN_OP_UNSQUEEZE, 11, axes_attr(1, I64(-1)), SH(2, 3), X6), SH(2, 3, 1), X6, 6);
    tc_free(&t);
}
END_TEST

START_TEST(test_unsqueeze_input)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(2, 3), X6);
    tc_output(&t, tc_node(&t, DN_OP_UNSQUEEZE, 13, axes_from_input(), IN(x, tc_const_i(&t, SH(1), I64(1)))));
    tc_output(&t, tc_node(&t, DN_OP_UNSQUEEZE, 13, axes_from_input(), IN(x, tc_const_i(&t, SH(1), I64(-3)))));
    EXPECT_DATA(tc_run_out(&t, 0), SH(2, 1, 3), X6, 6);
    EXPECT_DATA(tc_run_out(&t, 1), SH(1, 2, 3), X6, 6);
    tc_free(&t);
}
END_TEST

START_TEST(test_squeeze_attr)
{
    struct tcase t;
    EXPECT_DATA(run_unary(&t, DN_OP_SQUEEZE, 11, axes_attr(1, I64(0)), SH(1, 2, 1, 3), X6), SH(2, 1, 3), X6, 6);
    tc_free(&t);
    /* no axes: every 1 goes */
    EXPECT_DATA(run_unary(&t, DN_OP_SQUEEZE, 11, axes_attr(0, NULL), SH(1, 2, 1, 3), X6), SH(2, 3), X6, 6);
    tc_free(&t);
}
END_TEST

START_TEST(test_squeeze_input)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(1, 2, 1, 3), X6);
    tc_output(&t, tc_node(&t, DN_OP_SQUEEZE, 13, axes_from_input(), IN(x, tc_const_i(&t, SH(1), I64(-2)))));
    tc_output(&t, tc_node(&t, DN_OP_SQUEEZE, 13, axes_from_input(), IN(x))); /* axes absent */
    EXPECT_DATA(tc_run_out(&t, 0), SH(1, 2, 3), X6, 6);
    EXPECT_DATA(tc_run_out(&t, 1), SH(2, 3), X6, 6);
    tc_free(&t);
}
END_TEST

START_TEST(test_squeeze_not_one)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(1, 2, 1, 3), NULL);
    tc_output(&t, tc_node(&t, DN_OP_SQUEEZE, 11, axes_attr(1, I64(1)), IN(x)));
    expect_init_error(&t, DN_ERR_SHAPE);
    tc_free(&t);
}
END_TEST

START_TEST(test_cast)
{
    struct tcase t;
    union dn_params to_i, to_f;
    memset(&to_i, 0, sizeof to_i);
    memset(&to_f, 0, sizeof to_f);
    to_i.cast.to = DN_DTYPE_I64;
    to_f.cast.to = DN_DTYPE_F32;
    tc_init(&t);
    int x = tc_input(&t, SH(4), F32(1.7f, -1.7f, 2, -0.2f));
    int xi = tc_node(&t, DN_OP_CAST, 13, to_i, IN(x));
    tc_output(&t, xi);
    tc_output(&t, tc_node(&t, DN_OP_CAST, 13, to_f, IN(xi)));
    tc_output(&t, tc_node(&t, DN_OP_CAST, 13, to_f, IN(x))); /* same type: a copy */
    /* float -> int64 truncates toward zero */
    EXPECT_I64(tc_run_out(&t, 0), SH(4), 1, -1, 2, 0);
    EXPECT_F32(tc_run_out(&t, 1), SH(4), 1, -1, 2, 0);
    EXPECT_F32(tc_run_out(&t, 2), SH(4), 1.7f, -1.7f, 2, -0.2f);
    tc_free(&t);
}
END_TEST

START_TEST(test_constantofshape)
{
    struct tcase t;
    union dn_params pf, pi;
    memset(&pf, 0, sizeof pf);
    memset(&pi, 0, sizeof pi);
    pf.fill.dtype = DN_DTYPE_F32;
    pf.fill.f = 2.5f;
    pi.fill.dtype = DN_DTYPE_I64;
    pi.fill.i = 7;
    tc_init(&t);
    /* x + ConstantOfShape(Shape(x), 2.5): the fill folds, only the Add runs */
    int x = tc_input(&t, SH(2, 3), X6);
    int shape = tc_node(&t, DN_OP_SHAPE, 13, shape_p(0, SHAPE_NO_END), IN(x));
    int fill = tc_node(&t, DN_OP_CONSTANTOFSHAPE, 9, pf, IN(shape));
    tc_output(&t, tc_node(&t, DN_OP_ADD, 14, P0, IN(x, fill)));
    /* an int64 fill from a constant shape [3] */
    tc_output(&t, tc_node(&t, DN_OP_CONSTANTOFSHAPE, 9, pi, IN(tc_const_i(&t, SH(1), I64(3)))));
    ck_assert_int_eq(tc_session(&t), DN_OK);
    ck_assert_int_eq(dn_session_node_count(t.s), 1);
    EXPECT_F32(tc_run_out(&t, 0), SH(2, 3), 3.5, 4.5, 5.5, 6.5, 7.5, 8.5);
    EXPECT_I64(tc_run_out(&t, 1), SH(3), 7, 7, 7);
    tc_free(&t);
}
END_TEST

/* ---- constant folding ------------------------------------------------------- */

START_TEST(test_fold_shape_chain)
{
    /* y = Relu(Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0), [0]), [-1])))
     * on x declared ?x2x3: the target [N, -1] depends only on x's shape, so
     * everything before the Reshape folds at init; y is N x 6 */
    struct dn_graph *g;
    struct tcase t;
    tc_init(&t);
    int x = tc_input_decl(&t, SH(-1, 2, 3), SH(1, 2, 3), NULL);
    int shape = tc_node(&t, DN_OP_SHAPE, 13, shape_p(0, SHAPE_NO_END), IN(x));
    int n = tc_node(&t, DN_OP_GATHER, 13, axis_p(0, 0), IN(shape, tc_const_i(&t, SCALAR, I64(0))));
    int n1 = tc_node(&t, DN_OP_UNSQUEEZE, 13, axes_from_input(), IN(n, tc_const_i(&t, SH(1), I64(0))));
    int target = tc_node(&t, DN_OP_CONCAT, 13, axis_p(0, 0), IN(n1, tc_const_i(&t, SH(1), I64(-1))));
    int r = tc_node(&t, DN_OP_RESHAPE, 13, P0, IN(x, target));
    tc_output(&t, tc_node(&t, DN_OP_RELU, 13, P0, IN(r)));
    ck_assert_int_eq(dn_graph_finish(t.g), DN_OK);
    g = t.g;

    static const float x1[6] = {-1, 2, -3, 4, -5, 6};
    static const float x3[18] = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16, 17, -18};
    const float *in1[1] = {x1}, *in3[1] = {x3};
    struct dn_session *s1, *s3;
    /* the reference executor keeps one step per surviving node (the
     * optimized one gives the Reshape, a view, no step at all) */
    struct dn_session_opts ref = {.isa = DN_ISA_REFERENCE};
    ck_assert_int_eq(dn_session_init_opts(&s1, g, 1, (struct dn_shape[]){SH(1, 2, 3)}, &ref), DN_OK);
    ck_assert_int_eq(dn_session_init_opts(&s3, g, 1, (struct dn_shape[]){SH(3, 2, 3)}, &ref), DN_OK);

    struct dn_session *ss[2] = {s1, s3};
    for (int k = 0; k < 2; k++) {
        struct dn_node_info info;
        ck_assert_int_eq(dn_session_node_count(ss[k]), 2);
        dn_session_node_info(ss[k], 0, &info);
        ck_assert_str_eq(info.op, "Reshape");
        expect_shape((struct dn_tensor){DN_DTYPE_F32, info.shape, NULL}, k ? SH(3, 6) : SH(1, 6), __LINE__);
        dn_session_node_info(ss[k], 1, &info);
        ck_assert_str_eq(info.op, "Relu");
    }
    ck_assert_int_eq(dn_session_run(s1, in1), DN_OK);
    ck_assert_int_eq(dn_session_run(s3, in3), DN_OK);
    EXPECT_F32(dn_session_output(s1, 0), SH(1, 6), 0, 2, 0, 4, 0, 6);
    EXPECT_F32(dn_session_output(s3, 0), SH(3, 6),
               1, 0, 3, 0, 5, 0, 7, 0, 9, 0, 11, 0, 13, 0, 15, 0, 17, 0);
    dn_session_free(s1);
    dn_session_free(s3);
    tc_free(&t);
}
END_TEST

START_TEST(test_reshape_nonconstant_shape)
{
    struct tcase t;
    tc_init(&t);
    int x = tc_input(&t, SH(2, 3), NULL);
    int shape = tc_input(&t, SH(2), NULL); /* a runtime tensor: cannot be planned */
    tc_output(&t, tc_node(&t, DN_OP_RESHAPE, 13, P0, IN(x, shape)));
    expect_init_error(&t, DN_ERR_UNSUPPORTED);
    tc_free(&t);
}
END_TEST

/* ---- memory planner ------------------------------------------------------- */

START_TEST(test_planner_reuses_buffers)
{
    /* y = Relu((x + 1) * 2) on 1x1x4x4: three 64-byte intermediates, but at any
     * step only the op's input and output are live, so two buffers suffice */
    struct tcase t;
    static const float x[16] = {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7};
    tc_init(&t);
    int xv = tc_input(&t, SH(1, 1, 4, 4), x);
    int a = tc_node(&t, DN_OP_ADD, 14, P0, IN(xv, tc_const_f(&t, SCALAR, F32(1))));
    int b = tc_node(&t, DN_OP_MUL, 14, P0, IN(a, tc_const_f(&t, SCALAR, F32(2))));
    tc_output(&t, tc_node(&t, DN_OP_RELU, 14, P0, IN(b)));
    ck_assert_int_eq(tc_session(&t), DN_OK);
    ck_assert_int_eq(dn_session_node_count(t.s), 3);
    size_t bytes = dn_session_activation_bytes(t.s), one = 16 * sizeof(float);
    ck_assert_uint_lt(bytes, 3 * one);
    ck_assert_uint_ge(bytes, 2 * one);
    /* (x+1)*2 = -14, -12, ..., 16; Relu keeps from x = 0 on */
    EXPECT_F32(tc_run(&t), SH(1, 1, 4, 4), 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 6, 8, 10, 12, 14, 16);
    /* a second run through the same (reused) buffers gives the same result */
    EXPECT_F32(tc_run(&t), SH(1, 1, 4, 4), 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 6, 8, 10, 12, 14, 16);
    tc_free(&t);
}
END_TEST

/* ---- suite ------------------------------------------------------------------- */

static Suite *ops_suite(void)
{
    Suite *s = suite_create("ops");
    TCase *conv = tcase_create("conv"), *pool = tcase_create("pool"), *elem = tcase_create("elementwise");
    TCase *shape = tcase_create("shape"), *lin = tcase_create("linear"), *sess = tcase_create("session");
    TCase *all[] = {conv, pool, elem, shape, lin, sess};

    tcase_add_test(conv, test_conv_basic);
    tcase_add_test(conv, test_conv_pads);
    tcase_add_test(conv, test_conv_stride_asymmetric_pads);
    tcase_add_test(conv, test_conv_dilation);
    tcase_add_test(conv, test_conv_group);
    tcase_add_test(conv, test_conv_bias);
    tcase_add_test(conv, test_conv_same_upper);
    tcase_add_test(conv, test_conv_same_lower);
    tcase_add_test(conv, test_conv_valid_ignores_pads);
    tcase_add_test(conv, test_conv_channel_mismatch);

    tcase_add_test(pool, test_maxpool_ceil_mode);
    tcase_add_test(pool, test_maxpool_ceil_drops_window_in_end_pad);
    tcase_add_test(pool, test_maxpool_pads_are_minus_infinity);
    tcase_add_test(pool, test_maxpool_dilation);
    tcase_add_test(pool, test_avgpool_count_include_pad);
    tcase_add_test(pool, test_avgpool_ceil_past_input);
    tcase_add_test(pool, test_avgpool_ceil_clipped_to_padded_input);
    tcase_add_test(pool, test_avgpool_dilation_count_include_pad);
    tcase_add_test(pool, test_globalavgpool);

    tcase_add_test(elem, test_batchnorm_epsilon);
    tcase_add_test(elem, test_relu);
    tcase_add_test(elem, test_sigmoid);
    tcase_add_test(elem, test_clip_opset6_attrs);
    tcase_add_test(elem, test_clip_opset11_inputs);
    tcase_add_test(elem, test_clip_opset11_absent_min);
    tcase_add_test(elem, test_softmax_opset11_flattens);
    tcase_add_test(elem, test_softmax_opset13_single_axis);
    tcase_add_test(elem, test_binary_3x1_by_1x4);
    tcase_add_test(elem, test_binary_scalar_first);
    tcase_add_test(elem, test_binary_rank_extension);
    tcase_add_test(elem, test_binary_broadcast_error);
    tcase_add_test(elem, test_div_int64_truncates);
    tcase_add_test(elem, test_pad_attrs_value_and_negative);
    tcase_add_test(elem, test_pad_inputs);
    tcase_add_test(elem, test_identity);
    tcase_add_test(elem, test_dropout_inference);
    tcase_add_test(elem, test_dropout_training_rejected);
    tcase_add_test(elem, test_cast);

    tcase_add_test(shape, test_flatten_axes);
    tcase_add_test(shape, test_reshape_zero_and_minus_one);
    tcase_add_test(shape, test_reshape_allowzero);
    tcase_add_test(shape, test_reshape_nonconstant_shape);
    tcase_add_test(shape, test_concat_axis1);
    tcase_add_test(shape, test_concat_axis_minus1);
    tcase_add_test(shape, test_shape);
    tcase_add_test(shape, test_gather_negative_index);
    tcase_add_test(shape, test_gather_index_out_of_range);
    tcase_add_test(shape, test_unsqueeze_attr);
    tcase_add_test(shape, test_unsqueeze_input);
    tcase_add_test(shape, test_squeeze_attr);
    tcase_add_test(shape, test_squeeze_input);
    tcase_add_test(shape, test_squeeze_not_one);
    tcase_add_test(shape, test_constantofshape);

    tcase_add_test(lin, test_gemm_plain);
    tcase_add_test(lin, test_gemm_transposed);
    tcase_add_test(lin, test_gemm_c_scalar);
    tcase_add_test(lin, test_gemm_c_row);
    tcase_add_test(lin, test_gemm_c_column);
    tcase_add_test(lin, test_matmul_1d_2d);
    tcase_add_test(lin, test_matmul_2d_1d);
    tcase_add_test(lin, test_matmul_batched_broadcast);

    tcase_add_test(sess, test_fold_shape_chain);
    tcase_add_test(sess, test_planner_reuses_buffers);

    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        tcase_add_checked_fixture(all[i], NULL, teardown);
        suite_add_tcase(s, all[i]);
    }
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
