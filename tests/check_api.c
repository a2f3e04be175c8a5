/* tests/check_api.c - the public API as a program outside the project sees
 * it: only <densenet.h> and <densenet-image.h>, linked against the shared
 * libdensenet of the build tree (so it also proves these calls are exported).
 *
 * Loads the shipped Fashion-MNIST model from a memory buffer, queries its
 * input, output and metadata, classifies the bag sample from a buffer and
 * through a preprocessed tensor and a plain session (the two must agree),
 * and checks the failure contract: a status, dn_last_error naming the reason,
 * NULL outputs, free functions taking NULL. Needs srcdir (the models).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <densenet.h>
#include <densenet-image.h>

static char *read_all(const char *name, size_t *len)
{
    const char *srcdir = getenv("srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", srcdir ? srcdir : ".", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = NULL;
    size_t cap = 0, n;
    *len = 0;
    do {
        if (*len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        n = fread(buf + *len, 1, cap - *len, f);
        *len += n;
    } while (n > 0);
    fclose(f);
    return buf;
}

static void quiet(void *user, const char *msg)
{
    (void)user;
    (void)msg;
}

START_TEST(model_from_buffer)
{
    size_t len;
    char *bytes = read_all("models/densenet-fmnist.onnx", &len);
    struct dn_graph *g = NULL;
    ck_assert_int_eq(dn_onnx_load_buffer(bytes, len, &g), DN_OK);
    free(bytes); /* the graph keeps no pointer into the buffer */
    ck_assert_int_eq(dn_graph_input_count(g), 1);
    ck_assert_int_eq(dn_graph_output_count(g), 1);
    ck_assert_str_eq(dn_graph_input_name(g, 0), "input");
    ck_assert_str_eq(dn_graph_output_name(g, 0), "logits");
    struct dn_shape in = dn_graph_input_shape(g, 0);
    char buf[64];
    ck_assert_str_eq(dn_shape_str(&in, buf, sizeof buf), "?x1x28x28");
    const char *labels = dn_graph_meta(g, "densenet.labels");
    ck_assert_ptr_nonnull(labels);
    ck_assert_int_eq(strncmp(labels, "T-shirt/top\nTrouser\n", 20), 0);
    ck_assert_ptr_null(dn_graph_meta(g, "no.such.key"));
    dn_graph_free(g);
}
END_TEST

START_TEST(classify_two_ways)
{
    size_t mlen, ilen;
    char *model = read_all("models/densenet-fmnist.onnx", &mlen);
    char *png = read_all("models/samples/bag.png", &ilen);
    struct dn_graph *g = NULL;
    struct dn_classifier *c = NULL;
    struct dn_class top[3];
    int n = 0;
    ck_assert_int_eq(dn_onnx_load_buffer(model, mlen, &g), DN_OK);
    ck_assert_int_eq(dn_classifier_init(&c, g, NULL), DN_OK);
    ck_assert_int_eq(dn_classifier_run_buffer(c, png, ilen, 3, top, &n), DN_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(top[0].index, 8);
    ck_assert_str_eq(top[0].label, "Bag");
    ck_assert(top[0].prob > 0.9f && top[0].prob <= 1.0f);
    ck_assert(top[1].prob <= top[0].prob && top[2].prob <= top[1].prob);

    /* the same through the tensor helper and a plain session: logits whose
     * softmax is the classifier's probability */
    float *x = NULL;
    struct dn_shape s;
    struct dn_session *sess = NULL;
    ck_assert_int_eq(dn_image_tensor_buffer(g, png, ilen, &x, &s), DN_OK);
    ck_assert_int_eq(s.ndim, 4);
    ck_assert(s.d[0] == 1 && s.d[1] == 1 && s.d[2] == 28 && s.d[3] == 28);
    struct dn_session_opts o;
    dn_session_opts_default(&o);
    o.threads = 1;
    ck_assert_int_eq(dn_session_init_opts(&sess, g, 1, &s, &o), DN_OK);
    const float *in[1] = {x};
    ck_assert_int_eq(dn_session_run(sess, in), DN_OK);
    struct dn_tensor y = dn_session_output(sess, 0);
    ck_assert_int_eq(dn_shape_numel(&y.shape), 10);
    const float *v = y.data;
    double sum = 0;
    int best = 0;
    for (int i = 0; i < 10; i++) {
        sum += exp((double)v[i] - v[8]);
        best = v[i] > v[best] ? i : best;
    }
    ck_assert_int_eq(best, 8);
    ck_assert(fabs(1.0 / sum - top[0].prob) < 1e-6);
    free(x);
    dn_session_free(sess);
    dn_classifier_free(c);
    dn_graph_free(g);
    free(model);
    free(png);
}
END_TEST

START_TEST(failures)
{
    struct dn_graph *g = (struct dn_graph *)&g; /* must be reset to NULL */
    struct dn_classifier *c = NULL;
    struct dn_class top[5];
    int n = -1;
    dn_log_set(quiet, NULL);
    ck_assert_int_eq(dn_onnx_load_buffer("garbage", 7, &g), DN_ERR_INVALID);
    ck_assert_ptr_null(g);
    ck_assert_ptr_nonnull(strstr(dn_last_error(), "not an ONNX model"));
    ck_assert_int_eq(dn_onnx_load_file("/nonexistent/model.onnx", &g), DN_ERR_IO);
    ck_assert_ptr_null(g);
    ck_assert_ptr_nonnull(strstr(dn_last_error(), "No such file"));
    ck_assert_str_eq(dn_status_str(DN_ERR_INVALID), "invalid model");

    size_t len;
    char *bytes = read_all("models/densenet-fmnist.onnx", &len);
    ck_assert_int_eq(dn_onnx_load_buffer(bytes, len, &g), DN_OK);
    free(bytes);
    ck_assert_int_eq(dn_classifier_init(&c, g, NULL), DN_OK);
    ck_assert_int_eq(dn_classifier_run_buffer(c, "not an image", 12, 5, top, &n), DN_ERR_INVALID);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_nonnull(strstr(dn_last_error(), "format"));
    ck_assert_int_eq(dn_classifier_run_file(c, "/nonexistent.png", 5, top, &n), DN_ERR_IO);
    ck_assert_int_eq(dn_classifier_run_buffer(c, "x", 1, 0, top, &n), DN_ERR_ARG);

    /* free functions take NULL */
    dn_classifier_free(NULL);
    dn_session_free(NULL);
    dn_graph_free(NULL);
    dn_classifier_free(c);
    dn_graph_free(g);
    dn_log_set(NULL, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, model_from_buffer);
    tcase_add_test(tc, classify_two_ways);
    tcase_add_test(tc, failures);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
