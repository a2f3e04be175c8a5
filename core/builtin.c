/* builtin.c: torchvision's ImageNet DenseNets (121/169/201/161) built natively,
 * node for node the graph that torch.onnx.export (opset 13, eval mode) writes
 * for them, so that benchmarks and tests need no model file.
 *
 * What the export does, and so what this builds: norm0 is folded into conv0
 * and each dense layer's norm2 into its conv1 (both convs gain a bias); every
 * dense layer starts with a Concat of the block's features so far, a
 * one-input Concat for the first layer; each transition's AveragePool is
 * preceded by a Constant of 8 zero pads and a Pad node; the classifier is
 * Relu -> GlobalAveragePool -> Flatten -> Gemm(transB=1). Node and
 * intermediate names are the export's ("/features/denseblock1/denselayer1/
 * conv1/Conv", "..._output_0"); initializers carry torchvision's parameter
 * names ("features.denseblock1.denselayer1.norm1.running_var"), where the
 * export would write "onnx::Conv_N" for the folded ones.
 *
 * Weights come from splitmix64 seeded with the caller's seed: conv weights
 * uniform with the variance of torchvision's kaiming_normal_ (2 / fan_in),
 * the classifier torch's Linear default (bound 1 / sqrt(fan_in)), BatchNorm
 * weight and running_var in [0.5, 1.5], bias and running_mean in [-0.2, 0.2].
 * Ownership: the graph owns every name and constant buffer (dn_graph_free).
 */
#include "graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPSET 13
#define BN_EPS 1e-5f

struct arch {
    const char *name;
    int growth, init_features;
    int blocks[4];
};

static const struct arch archs[] = {
    {"densenet121", 32, 64, {6, 12, 24, 16}},
    {"densenet169", 32, 64, {6, 12, 32, 32}},
    {"densenet201", 32, 64, {6, 12, 48, 32}},
    {"densenet161", 48, 96, {6, 12, 36, 24}},
};

#define BN_SIZE 4       /* bottleneck width: bn_size * growth channels */
#define CLASSES 1000

/* A graph under construction; the first failure sticks in st (logged once
 * where it happened) and makes every later call a no-op returning -1. */
struct builder {
    struct dn_graph *g;
    uint64_t rng;
    enum dn_status st;
};

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi), 24 random bits. */
static float uniform(struct builder *b, float lo, float hi)
{
    float u = (float)(splitmix64(&b->rng) >> 40) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * u;
}

static float *alloc_floats(struct builder *b, int64_t n)
{
    float *p = b->st == DN_OK ? malloc(sizeof(float) * (size_t)n) : NULL;
    if (!p && b->st == DN_OK) {
        dn_log("out of memory building the DenseNet (%lld weights)", (long long)n);
        b->st = DN_ERR_NOMEM;
    }
    return p;
}

/* Adds a constant value that takes ownership of data; -1 on failure (data freed). */
static int add_constant(struct builder *b, const char *name, enum dn_dtype dt,
                        struct dn_shape shape, void *data, int initializer)
{
    int v = b->st == DN_OK && data ? dn_graph_add_value(b->g, name) : -1;
    if (v < 0) {
        free(data);
        if (b->st == DN_OK)
            b->st = DN_ERR_NOMEM;
        return -1;
    }
    struct dn_value *val = &b->g->values[v];
    val->kind = DN_VALUE_CONST;
    val->dtype = dt;
    val->shape = shape;
    val->data = data;
    val->initializer = initializer;
    return v;
}

/* An initializer "<module>.<param>" of n floats (shape given). */
static int add_param(struct builder *b, const char *module, const char *param,
                     struct dn_shape shape, float *data)
{
    char name[256];
    snprintf(name, sizeof name, "%s.%s", module, param);
    return add_constant(b, name, DN_DTYPE_F32, shape, data, 1);
}

/* Adds node "/<path>/<op_name>" reading in[] and writing "/<path>/<op_name>_output_0"
 * (or out_name when given); returns the output value, or -1. */
static int add_node(struct builder *b, enum dn_op op, const char *path, const char *op_name,
                    int n_in, const int *in, const union dn_params *p, const char *out_name)
{
    char name[256], out[300];
    if (b->st != DN_OK)
        return -1;
    for (int i = 0; i < n_in; i++)
        if (in[i] < 0)
            return -1;
    snprintf(name, sizeof name, "%s%s/%s", *path ? "/" : "", path, op_name);
    snprintf(out, sizeof out, "%s_output_0", name);
    int v = dn_graph_add_value(b->g, out_name ? out_name : out);
    int k = v < 0 ? -1 : dn_graph_add_node(b->g, op, name, OPSET, n_in, in, 1, &v);
    if (k < 0) {
        b->st = DN_ERR_NOMEM;
        return -1;
    }
    if (p)
        b->g->nodes[k].p = *p;
    return v;
}

/* torch's BatchNorm2d in eval mode, with non-trivial statistics. */
struct bn {
    float *weight, *bias, *mean, *var;
};

static void bn_random(struct builder *b, struct bn *bn, int c)
{
    bn->weight = alloc_floats(b, c);
    bn->bias = alloc_floats(b, c);
    bn->mean = alloc_floats(b, c);
    bn->var = alloc_floats(b, c);
    for (int i = 0; bn->weight && bn->bias && bn->mean && bn->var && i < c; i++) {
        bn->weight[i] = uniform(b, 0.5f, 1.5f);
        bn->bias[i] = uniform(b, -0.2f, 0.2f);
        bn->mean[i] = uniform(b, -0.2f, 0.2f);
        bn->var[i] = uniform(b, 0.5f, 1.5f);
    }
}

static void bn_free(struct bn *bn)
{
    free(bn->weight);
    free(bn->bias);
    free(bn->mean);
    free(bn->var);
}

/* BatchNormalization node "/<path>/BatchNormalization" with module <module>'s
 * four initializers. */
static int batchnorm(struct builder *b, int x, const char *path, const char *module, int c)
{
    struct bn bn;
    union dn_params p;
    struct dn_shape s = {1, {c}};
    memset(&p, 0, sizeof p);
    p.bn.epsilon = BN_EPS;
    bn_random(b, &bn, c);
    int in[5] = {x, -1, -1, -1, -1};
    in[1] = add_param(b, module, "weight", s, bn.weight);
    in[2] = add_param(b, module, "bias", s, bn.bias);
    in[3] = add_param(b, module, "running_mean", s, bn.mean);
    in[4] = add_param(b, module, "running_var", s, bn.var);
    return add_node(b, DN_OP_BATCHNORM, path, "BatchNormalization", 5, in, &p, NULL);
}

static int relu(struct builder *b, int x, const char *path)
{
    return add_node(b, DN_OP_RELU, path, "Relu", 1, &x, NULL, NULL);
}

static union dn_params window(int k, int stride, int pad)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.win.kernel[0] = p.win.kernel[1] = k;
    p.win.stride[0] = p.win.stride[1] = stride;
    for (int i = 0; i < 4; i++)
        p.win.pads[i] = pad;
    p.win.dilation[0] = p.win.dilation[1] = 1;
    p.win.group = 1;
    p.win.auto_pad = DN_PAD_NOTSET;
    p.win.has_kernel = 1;
    return p;
}

/* Conv kxk node "/<path>/Conv" (weights "<module>.weight"); with fold, the
 * BatchNorm that follows in torch is folded in as the export does it:
 * w' = w * g / sqrt(var + eps), bias' = beta - mean * g / sqrt(var + eps). */
static int conv(struct builder *b, int x, const char *path, const char *module,
                int cin, int cout, int k, int stride, int pad, int fold)
{
    int64_t per = (int64_t)cin * k * k;
    float *w = alloc_floats(b, cout * per), *bias = NULL;
    float bound = sqrtf(6.0f / (float)per);
    for (int64_t i = 0; w && i < cout * per; i++)
        w[i] = uniform(b, -bound, bound);
    if (fold && w) {
        struct bn bn;
        bn_random(b, &bn, cout);
        bias = alloc_floats(b, cout);
        for (int o = 0; bias && bn.var && o < cout; o++) {
            double scale = bn.weight[o] / sqrt((double)bn.var[o] + BN_EPS);
            for (int64_t i = 0; i < per; i++)
                w[o * per + i] = (float)(w[o * per + i] * scale);
            bias[o] = (float)(bn.bias[o] - bn.mean[o] * scale);
        }
        bn_free(&bn);
    }
    union dn_params p = window(k, stride, pad);
    int in[3] = {x, add_param(b, module, "weight", (struct dn_shape){4, {cout, cin, k, k}}, w), -1};
    if (fold)
        in[2] = add_param(b, module, "bias", (struct dn_shape){1, {cout}}, bias);
    return add_node(b, DN_OP_CONV, path, "Conv", fold ? 3 : 2, in, &p, NULL);
}

static int concat(struct builder *b, const char *path, int n, const int *in)
{
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.axis.axis = 1;
    return add_node(b, DN_OP_CONCAT, path, "Concat", n, in, &p, NULL);
}

/* AvgPool2d(2, 2) as opset 13 exports it: Constant pads (8 zeros) -> Pad -> AveragePool. */
static int avgpool(struct builder *b, int x, const char *path)
{
    char name[256];
    snprintf(name, sizeof name, "/%s/Constant_output_0", path);
    int pads = add_constant(b, name, DN_DTYPE_I64, (struct dn_shape){1, {8}},
                            b->st == DN_OK ? calloc(8, sizeof(int64_t)) : NULL, 0);
    if (pads < 0)
        return -1;
    b->g->n_constant_nodes++;
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.pad.from_input = 1;
    int in[2] = {x, pads};
    int padded = add_node(b, DN_OP_PAD, path, "Pad", 2, in, &p, NULL);
    p = window(2, 2, 0);
    return add_node(b, DN_OP_AVGPOOL, path, "AveragePool", 1, &padded, &p, NULL);
}

/* One dense block of n layers on c0 input channels; returns the block's
 * Concat output, *c the channels after it. */
static int dense_block(struct builder *b, int x, int block, int n, int growth, int *c)
{
    int *feats = malloc(sizeof(int) * (size_t)(n + 1));
    char path[128], sub[160], module[160];
    if (!feats) {
        if (b->st == DN_OK)
            dn_log("out of memory building the DenseNet");
        b->st = DN_ERR_NOMEM;
        return -1;
    }
    feats[0] = x;
    for (int l = 1; l <= n; l++) {
        int cin = *c + (l - 1) * growth, width = BN_SIZE * growth;
        snprintf(path, sizeof path, "features/denseblock%d/denselayer%d", block, l);
        int y = concat(b, path, l, feats);
        snprintf(sub, sizeof sub, "%s/norm1", path);
        snprintf(module, sizeof module, "features.denseblock%d.denselayer%d.norm1", block, l);
        y = batchnorm(b, y, sub, module, cin);
        snprintf(sub, sizeof sub, "%s/relu1", path);
        y = relu(b, y, sub);
        snprintf(sub, sizeof sub, "%s/conv1", path);
        snprintf(module, sizeof module, "features.denseblock%d.denselayer%d.conv1", block, l);
        y = conv(b, y, sub, module, cin, width, 1, 1, 0, 1);
        snprintf(sub, sizeof sub, "%s/relu2", path);
        y = relu(b, y, sub);
        snprintf(sub, sizeof sub, "%s/conv2", path);
        snprintf(module, sizeof module, "features.denseblock%d.denselayer%d.conv2", block, l);
        feats[l] = conv(b, y, sub, module, width, growth, 3, 1, 1, 0);
    }
    snprintf(path, sizeof path, "features/denseblock%d", block);
    int out = concat(b, path, n + 1, feats);
    free(feats);
    *c += n * growth;
    return out;
}

static int transition(struct builder *b, int x, int t, int c)
{
    char path[128], module[128];
    snprintf(path, sizeof path, "features/transition%d/norm", t);
    snprintf(module, sizeof module, "features.transition%d.norm", t);
    x = batchnorm(b, x, path, module, c);
    snprintf(path, sizeof path, "features/transition%d/relu", t);
    x = relu(b, x, path);
    snprintf(path, sizeof path, "features/transition%d/conv", t);
    snprintf(module, sizeof module, "features.transition%d.conv", t);
    x = conv(b, x, path, module, c, c / 2, 1, 1, 0, 0);
    snprintf(path, sizeof path, "features/transition%d/pool", t);
    return avgpool(b, x, path);
}

static int classifier(struct builder *b, int x, int c)
{
    float *w = alloc_floats(b, (int64_t)CLASSES * c), *bias = alloc_floats(b, CLASSES);
    float bound = 1.0f / sqrtf((float)c);
    for (int64_t i = 0; w && i < (int64_t)CLASSES * c; i++)
        w[i] = uniform(b, -bound, bound);
    for (int i = 0; bias && i < CLASSES; i++)
        bias[i] = uniform(b, -bound, bound);
    union dn_params p;
    memset(&p, 0, sizeof p);
    p.axis.axis = 1;
    x = add_node(b, DN_OP_FLATTEN, "", "Flatten", 1, &x, &p, NULL);
    memset(&p, 0, sizeof p);
    p.gemm.alpha = p.gemm.beta = 1.0f;
    p.gemm.trans_b = 1;
    int in[3] = {x, -1, -1};
    in[1] = add_param(b, "classifier", "weight", (struct dn_shape){2, {CLASSES, c}}, w);
    in[2] = add_param(b, "classifier", "bias", (struct dn_shape){1, {CLASSES}}, bias);
    return add_node(b, DN_OP_GEMM, "classifier", "Gemm", 3, in, &p, "logits");
}

enum dn_status dn_graph_densenet(struct dn_graph **out, const char *arch,
                                 int64_t batch, int64_t size, uint64_t seed)
{
    const struct arch *a = NULL;
    struct builder b = {NULL, seed, DN_OK};
    char note[128];
    *out = NULL;
    for (size_t i = 0; i < sizeof archs / sizeof *archs; i++)
        if (arch && strcmp(arch, archs[i].name) == 0)
            a = &archs[i];
    if (!a) {
        dn_log("unknown DenseNet '%s' (densenet121, densenet169, densenet201 or densenet161)",
               arch ? arch : "");
        return DN_ERR_ARG;
    }
    b.st = dn_graph_init(&b.g);
    if (b.st != DN_OK)
        goto fail;
    b.g->producer = strdup("densenet builtin");
    b.g->ir_version = 7;
    b.g->opset = OPSET;
    snprintf(note, sizeof note, "random (built-in %s, seed %llu)", a->name, (unsigned long long)seed);
    if (!b.g->producer || dn_graph_add_meta(b.g, "densenet.weights", note) != DN_OK) {
        dn_log("out of memory building the DenseNet");
        b.st = DN_ERR_NOMEM;
        goto fail;
    }

    int x = dn_graph_add_value(b.g, "input");
    if (x < 0 || dn_graph_add_input(b.g, x) != DN_OK) {
        b.st = DN_ERR_NOMEM;
        goto fail;
    }
    b.g->values[x].shape = (struct dn_shape){4, {batch > 0 ? batch : -1, 3, size > 0 ? size : -1,
                                                 size > 0 ? size : -1}};
    int c = a->init_features;
    x = conv(&b, x, "features/conv0", "features.conv0", 3, c, 7, 2, 3, 1);
    x = relu(&b, x, "features/relu0");
    union dn_params p = window(3, 2, 1);
    x = add_node(&b, DN_OP_MAXPOOL, "features/pool0", "MaxPool", 1, &x, &p, NULL);
    for (int blk = 0; blk < 4; blk++) {
        x = dense_block(&b, x, blk + 1, a->blocks[blk], a->growth, &c);
        if (blk < 3) {
            x = transition(&b, x, blk + 1, c);
            c /= 2;
        }
    }
    x = batchnorm(&b, x, "features/norm5", "features.norm5", c);
    x = relu(&b, x, "");
    x = add_node(&b, DN_OP_GLOBALAVGPOOL, "", "GlobalAveragePool", 1, &x, NULL, NULL);
    x = classifier(&b, x, c);
    if (b.st != DN_OK)
        goto fail;
    b.st = dn_graph_add_output(b.g, x);
    if (b.st == DN_OK)
        b.st = dn_graph_finish(b.g);
    if (b.st != DN_OK)
        goto fail;
    *out = b.g;
    return DN_OK;
fail:
    dn_graph_free(b.g);
    return b.st;
}
