/* classify.c: the top-5 classes of one image through libdensenet's public API.
 * Build: cc classify.c $(pkg-config --cflags --libs densenet)
 * Usage: classify MODEL.onnx IMAGE   (prints lines like `densenet classify`) */
#include <densenet.h>
#include <densenet-image.h>
#include <stdio.h>

/* reasons are read with dn_last_error, not printed by the default log hook */
static void quiet(void *user, const char *msg) { (void)user, (void)msg; }

int main(int argc, char **argv)
{
    struct dn_graph *model = NULL;
    struct dn_classifier *c = NULL;
    struct dn_class top[5];
    int n = 0, ok;
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.onnx IMAGE\n", argv[0]);
        return 2;
    }
    dn_log_set(quiet, NULL);
    ok = dn_onnx_load_file(argv[1], &model) == DN_OK && dn_classifier_init(&c, model, NULL) == DN_OK &&
         dn_classifier_run_file(c, argv[2], 5, top, &n) == DN_OK;
    for (int i = 0; i < n; i++)
        printf("  %7.2f%%  %s\n", 100.0 * top[i].prob, top[i].label);
    if (!ok)
        fprintf(stderr, "classify: %s\n", dn_last_error());
    dn_classifier_free(c); /* before the model it borrows */
    dn_graph_free(model);
    return ok ? 0 : 1;
}
