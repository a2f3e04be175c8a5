/* cmd_bench.c: `densenet bench [MODEL | --arch ARCH] [-t T[,T...]] [-b N] ...`:
 * forward-pass latency and throughput of a model, one row per thread count.
 *
 * Without MODEL it times the library's built-in DenseNet-121 (seeded random
 * weights), so `densenet bench` needs no file. Per thread count: load time
 * (parse or build, plus session init), the first pass, --warmup passes not
 * counted, then timed passes until -n of them or --time seconds. Inputs are
 * a fixed pseudo-random tensor fed through the shared batch loop (batch.c),
 * which times dn_session_run alone. GFLOP/s counts 2 FLOP per MAC the steps
 * execute; the peak is this CPU's FMA rate for the session's ISA, measured
 * on the spot, times the thread count. With --profile every step is timed
 * (the session's own profiling) and the per-step medians are tabled.
 * Results on stdout (text or JSON Lines); progress on stderr when it is a
 * terminal.
 */
#include "batch.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_ARCH "densenet121"
#define DEFAULT_SECONDS 3.0
#define MAX_PROFILED 1000 /* timed passes whose per-step times are kept */

struct stats {
    double min, median, mean, p90, p99, max, stddev;
};

/* One row in progress: the sink's state. */
struct bench {
    int warmup, json, progress, threads;
    long long iters;           /* > 0: exactly this many timed passes */
    double seconds;            /* else: until this much time was timed */
    const char *label;
    const float *input;        /* one item (CHW), copied for every item */
    struct dn_shape chw;
    long long passes;          /* all passes seen, first and warmup included */
    double first_ms, t_start, t_shown;
    double *ms;                /* timed passes */
    long long n_ms, cap_ms;
    int profile, n_steps;
    double *steps;             /* n_profiled x n_steps step times */
    long long n_profiled;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void help(void)
{
    printf("Usage: densenet bench [MODEL | --arch ARCH] [-t T[,T...]] [-b BATCH] [--size N]\n"
           "                      [-n ITERS | --time SEC] [--warmup N] [--json] [--profile]\n"
           "                      [--isa NAME] [--no-opt=PASS[,PASS]]\n\n"
           "Times forward passes of MODEL (ONNX, or builtin:ARCH), by default the built-in\n"
           "DenseNet-121 with seeded random weights, on a fixed input. One row per thread\n"
           "count: load time, first pass, min/median/mean/p90/p99/max/stddev of the timed\n"
           "passes in ms, images/s, GFLOP/s (2 FLOP per executed MAC) and the share of\n"
           "the CPU's FMA peak (measured now for the session's ISA, times the threads).\n\n"
           "      --arch ARCH        built-in densenet121, densenet169, densenet201 or\n"
           "                         densenet161 (default densenet121 without MODEL)\n"
           "  -b, --batch N          images per pass (default 1)\n"
           "      --size N           input height and width (default: the model's, or 224)\n"
           "  -n, --iterations N     timed passes (default: as many as fit in --time)\n"
           "      --time SEC         time budget of the timed passes (default %g)\n"
           "      --warmup N         untimed passes after the first one (default 1)\n"
           "  -j, --json             JSON Lines, one object per thread count\n"
           "  -p, --profile          time every step: per-layer and per-kind tables\n"
           "  -h, --help             show this help\n",
           DEFAULT_SECONDS);
    cli_sess_help(1);
}

/* ---- the batch loop's callbacks --------------------------------------- */

static int load_input(void *user, int i, float **out, struct dn_shape *chw, char *err, size_t errlen)
{
    const struct bench *bn = user;
    size_t bytes = sizeof(float) * (size_t)dn_shape_numel(&bn->chw);
    (void)i;
    *out = malloc(bytes);
    if (!*out) {
        snprintf(err, errlen, "out of memory for an input");
        return -1;
    }
    memcpy(*out, bn->input, bytes);
    *chw = bn->chw;
    return 0;
}

static const char *input_name(void *user, int i)
{
    (void)i;
    return ((const struct bench *)user)->label;
}

/* Makes room for need doubles in *a (capacity *cap); -1 on OOM. */
static int reserve(double **a, long long *cap, long long need)
{
    if (need <= *cap)
        return 0;
    long long nc = *cap ? *cap * 2 : 1024;
    while (nc < need)
        nc *= 2;
    double *p = realloc(*a, sizeof(double) * (size_t)nc);
    if (!p)
        return -1;
    *a = p;
    *cap = nc;
    return 0;
}

static int time_pass(void *user, const struct cli_batch_pass *pass)
{
    struct bench *bn = user;
    long long k = bn->passes++;
    if (k == 0)
        bn->first_ms = pass->run_ms;
    if (k > bn->warmup) {
        if (reserve(&bn->ms, &bn->cap_ms, bn->n_ms + 1)) {
            cli_err(NULL, "out of memory for timings");
            return -1;
        }
        bn->ms[bn->n_ms++] = pass->run_ms;
        if (bn->profile && bn->n_profiled < MAX_PROFILED) {
            double *row = bn->steps + bn->n_profiled++ * bn->n_steps;
            for (int i = 0; i < bn->n_steps; i++) {
                struct dn_node_info ni;
                dn_session_node_info(pass->s, i, &ni);
                row[i] = ni.time_ms;
            }
        }
    }
    if (k == bn->warmup)
        bn->t_start = now_s();
    if (bn->progress && now_s() - bn->t_shown > 0.2) {
        bn->t_shown = now_s();
        fprintf(stderr, "\rbench: %d threads: %lld timed of %lld passes, last %.2f ms   ", bn->threads,
                bn->n_ms, bn->passes, pass->run_ms);
    }
    if (bn->iters > 0)
        return bn->n_ms >= bn->iters;
    return bn->n_ms > 0 && now_s() - bn->t_start >= bn->seconds;
}

/* ---- statistics -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v in place; percentiles by nearest rank. */
static double median_of(double *v, long long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static struct stats stats_of(double *v, long long n)
{
    struct stats s;
    double sum = 0.0, sq = 0.0;
    s.median = median_of(v, n);
    for (long long i = 0; i < n; i++)
        sum += v[i];
    s.mean = sum / n;
    for (long long i = 0; i < n; i++)
        sq += (v[i] - s.mean) * (v[i] - s.mean);
    s.stddev = n > 1 ? sqrt(sq / (n - 1)) : 0.0;
    s.min = v[0];
    s.max = v[n - 1];
    s.p90 = v[(long long)ceil(0.90 * n) - 1];
    s.p99 = v[(long long)ceil(0.99 * n) - 1];
    return s;
}

/* ---- profile tables ---------------------------------------------------- */

struct step {
    struct dn_node_info ni;
    double ms;                 /* median over the profiled passes */
};

/* The implementation without its ISA suffix and tile size:
 * "conv1x1_gemm_8x32__avx512+bnrelu" -> "conv1x1_gemm+bnrelu". */
static void impl_kind(const char *impl, char *buf, size_t size)
{
    const char *isa = strstr(impl, "__");
    const char *fused = isa ? strchr(isa, '+') : NULL;
    size_t len = isa ? (size_t)(isa - impl) : strcspn(impl, "+");
    if (!isa)
        fused = impl[len] ? impl + len : NULL;
    snprintf(buf, size, "%.*s", (int)len, impl);
    char *tile = strrchr(buf, '_');
    if (tile && tile != buf) {
        char *x = tile + 1;
        size_t d1 = strspn(x, "0123456789");
        if (d1 && x[d1] == 'x' && strspn(x + d1 + 1, "0123456789") == strlen(x + d1 + 1) && x[d1 + 1])
            *tile = '\0';
    }
    if (fused)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s", fused);
}

struct kind {
    char op[32], impl[96];
    int steps;
    double ms;
    int64_t macs;
};

static double gflops(int64_t macs, double ms)
{
    return ms > 0 ? 2.0 * (double)macs / (ms * 1e6) : 0.0;
}

/* Per-step medians and per-kind sums of one row; *n_kinds set. NULL on OOM. */
static struct step *profile_steps(struct bench *bn, struct dn_session *s, struct kind **kinds, int *n_kinds,
                                  double *total)
{
    struct step *st = calloc((size_t)bn->n_steps + 1, sizeof *st);
    double *col = malloc(sizeof(double) * (size_t)(bn->n_profiled + 1));
    struct kind *k = calloc((size_t)bn->n_steps + 1, sizeof *k);
    *n_kinds = 0;
    *total = 0.0;
    if (!st || !col || !k) {
        free(st);
        free(col);
        free(k);
        return NULL;
    }
    for (int i = 0; i < bn->n_steps; i++) {
        dn_session_node_info(s, i, &st[i].ni);
        for (long long r = 0; r < bn->n_profiled; r++)
            col[r] = bn->steps[r * bn->n_steps + i];
        st[i].ms = bn->n_profiled ? median_of(col, bn->n_profiled) : 0.0;
        *total += st[i].ms;
        char kind[96];
        impl_kind(st[i].ni.impl ? st[i].ni.impl : "-", kind, sizeof kind);
        int j = 0;
        while (j < *n_kinds && !(strcmp(k[j].op, st[i].ni.op) == 0 && strcmp(k[j].impl, kind) == 0))
            j++;
        if (j == *n_kinds) {
            snprintf(k[j].op, sizeof k[j].op, "%s", st[i].ni.op);
            snprintf(k[j].impl, sizeof k[j].impl, "%s", kind);
            (*n_kinds)++;
        }
        k[j].steps++;
        k[j].ms += st[i].ms;
        k[j].macs += st[i].ni.macs;
    }
    free(col);
    *kinds = k;
    return st;
}

static void print_profile_text(const struct step *st, int n, const struct kind *k, int n_kinds, double total)
{
    int wn = 4, wi = 4, wk = 9;
    for (int i = 0; i < n; i++) {
        int a = (int)strlen(st[i].ni.name), b = st[i].ni.impl ? (int)strlen(st[i].ni.impl) : 1;
        wn = a > wn ? a : wn;
        wi = b > wi ? b : wi;
    }
    for (int j = 0; j < n_kinds; j++)
        wk = (int)strlen(k[j].impl) > wk ? (int)strlen(k[j].impl) : wk;
    printf("\n%-*s %-18s %-*s %9s %6s %14s %8s\n", wn, "step", "op", wi, "impl", "ms", "share", "MACs", "GFLOP/s");
    for (int i = 0; i < n; i++)
        printf("%-*s %-18s %-*s %9.3f %5.1f%% %14lld %8.1f\n", wn, st[i].ni.name, st[i].ni.op, wi,
               st[i].ni.impl ? st[i].ni.impl : "-", st[i].ms, total > 0 ? 100.0 * st[i].ms / total : 0.0,
               (long long)st[i].ni.macs, gflops(st[i].ni.macs, st[i].ms));
    printf("\n%-18s %-*s %6s %9s %6s %14s %8s\n", "op", wk, "impl kind", "steps", "ms", "share", "MACs", "GFLOP/s");
    for (int j = 0; j < n_kinds; j++)
        printf("%-18s %-*s %6d %9.3f %5.1f%% %14lld %8.1f\n", k[j].op, wk, k[j].impl, k[j].steps, k[j].ms,
               total > 0 ? 100.0 * k[j].ms / total : 0.0, (long long)k[j].macs, gflops(k[j].macs, k[j].ms));
    printf("\n");
}

static void print_profile_json(const struct step *st, int n, const struct kind *k, int n_kinds, double total)
{
    printf(", \"layers\": [");
    for (int i = 0; i < n; i++) {
        printf("%s{\"name\": ", i ? ", " : "");
        cli_json_string(stdout, st[i].ni.name);
        printf(", \"op\": ");
        cli_json_string(stdout, st[i].ni.op);
        printf(", \"impl\": ");
        cli_json_string(stdout, st[i].ni.impl ? st[i].ni.impl : "");
        printf(", \"ms\": %.4f, \"share\": %.4f, \"macs\": %lld, \"gflops\": %.2f}", st[i].ms,
               total > 0 ? st[i].ms / total : 0.0, (long long)st[i].ni.macs, gflops(st[i].ni.macs, st[i].ms));
    }
    printf("], \"kinds\": [");
    for (int j = 0; j < n_kinds; j++) {
        printf("%s{\"op\": ", j ? ", " : "");
        cli_json_string(stdout, k[j].op);
        printf(", \"impl\": ");
        cli_json_string(stdout, k[j].impl);
        printf(", \"steps\": %d, \"ms\": %.4f, \"share\": %.4f, \"macs\": %lld, \"gflops\": %.2f}", k[j].steps,
               k[j].ms, total > 0 ? k[j].ms / total : 0.0, (long long)k[j].macs, gflops(k[j].macs, k[j].ms));
    }
    printf("]");
}

/* ---- one row ----------------------------------------------------------- */

struct row {
    int threads;
    enum dn_isa isa;
    double load_ms, first_ms, peak;
    long long iterations;
    int64_t macs;
    struct stats t;
};

/* The FMA peak of one core for isa, measured once per process. */
static double core_peak(enum dn_isa isa)
{
    static double peak[DN_ISA_AVX512 + 1];
    if ((int)isa < 0 || isa > DN_ISA_AVX512)
        return 0.0;
    if (peak[isa] <= 0.0)
        peak[isa] = dn_cpu_fma_peak(isa);
    return peak[isa];
}

static void print_header(const char *label, const struct dn_shape *in, const struct row *r, int batch)
{
    char buf[96];
    printf("model:   %s\ninput:   %s (batch %d)\nisa:     %s\n", label, dn_shape_str(in, buf, sizeof buf), batch,
           dn_isa_name(r->isa));
    printf("work:    %.3f GMAC per pass (%.3f per image)\n\n", r->macs / 1e9, r->macs / 1e9 / batch);
    printf("%7s %9s %9s %9s %9s %9s %9s %9s %9s %8s %9s %8s %8s %6s %6s\n", "threads", "load_ms", "first_ms",
           "min_ms", "median", "mean", "p90", "p99", "max", "stddev", "images/s", "GFLOP/s", "peak", "%peak",
           "iters");
}

static void print_row_text(const struct row *r, int batch)
{
    double gf = gflops(r->macs, r->t.median);
    printf("%7d %9.1f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f %8.2f %9.2f %8.1f %8.1f %5.1f%% %6lld\n",
           r->threads, r->load_ms, r->first_ms, r->t.min, r->t.median, r->t.mean, r->t.p90, r->t.p99, r->t.max,
           r->t.stddev, batch * 1e3 / r->t.median, gf, r->peak, r->peak > 0 ? 100.0 * gf / r->peak : 0.0,
           r->iterations);
}

static void print_row_json(const char *label, const struct dn_shape *in, const struct row *r, int batch)
{
    double gf = gflops(r->macs, r->t.median);
    printf("{\"model\": ");
    cli_json_string(stdout, label);
    printf(", \"input\": ");
    cli_json_shape(stdout, in);
    printf(", \"isa\": \"%s\", \"threads\": %d, \"batch\": %d, \"iterations\": %lld, \"load_ms\": %.3f, "
           "\"first_ms\": %.4f, \"min_ms\": %.4f, \"median_ms\": %.4f, \"mean_ms\": %.4f, \"p90_ms\": %.4f, "
           "\"p99_ms\": %.4f, \"max_ms\": %.4f, \"stddev_ms\": %.4f, \"images_per_s\": %.3f, \"macs\": %lld, "
           "\"gflops\": %.3f, \"peak_gflops\": %.3f, \"peak_percent\": %.2f",
           dn_isa_name(r->isa), r->threads, batch, r->iterations, r->load_ms, r->first_ms, r->t.min, r->t.median,
           r->t.mean, r->t.p90, r->t.p99, r->t.max, r->t.stddev, batch * 1e3 / r->t.median, (long long)r->macs,
           gf, r->peak, r->peak > 0 ? 100.0 * gf / r->peak : 0.0);
}

/* ---- the command ------------------------------------------------------- */

struct settings {
    const char *model, *arch;   /* arch: NULL until --arch */
    int batch, warmup, json, profile;
    long long size, iters;
    double seconds;
};

static int parse_args(int argc, char **argv, struct settings *o, struct cli_sess *so)
{
    enum { OPT_ARCH = 1, OPT_SIZE, OPT_TIME, OPT_WARMUP };
    static const struct option opts[] = {
        {"arch", required_argument, 0, OPT_ARCH}, {"batch", required_argument, 0, 'b'},
        {"size", required_argument, 0, OPT_SIZE}, {"iterations", required_argument, 0, 'n'},
        {"time", required_argument, 0, OPT_TIME}, {"warmup", required_argument, 0, OPT_WARMUP},
        {"json", no_argument, 0, 'j'}, {"profile", no_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
        CLI_SESSION_LONGOPTS, {0, 0, 0, 0}};
    static const char *archs[] = {"densenet121", "densenet169", "densenet201", "densenet161"};
    int opt, rc, timed = 0;
    long long v;
    char *end;
    while ((opt = getopt_long(argc, argv, ":b:n:jpt:h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_ARCH:
            o->arch = NULL;
            for (size_t i = 0; i < sizeof archs / sizeof *archs; i++)
                if (strcmp(optarg, archs[i]) == 0)
                    o->arch = archs[i];
            if (!o->arch)
                return cli_usage_error("bench", "unknown --arch '%s' (densenet121, densenet169, densenet201 "
                                      "or densenet161)", optarg);
            break;
        case 'b':
            if (cli_parse_int(optarg, 1, 4096, &v))
                return cli_usage_error("bench", "invalid --batch '%s' (1 to 4096)", optarg);
            o->batch = (int)v;
            break;
        case OPT_SIZE:
            if (cli_parse_int(optarg, 1, 16384, &o->size))
                return cli_usage_error("bench", "invalid --size '%s' (1 to 16384)", optarg);
            break;
        case 'n':
            if (cli_parse_int(optarg, 1, 1000000000, &o->iters))
                return cli_usage_error("bench", "invalid --iterations '%s'", optarg);
            break;
        case OPT_TIME:
            errno = 0;
            o->seconds = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->seconds > 0) || o->seconds > 1e6)
                return cli_usage_error("bench", "invalid --time '%s' (seconds, more than 0)", optarg);
            timed = 1;
            break;
        case OPT_WARMUP:
            if (cli_parse_int(optarg, 0, 1000000, &v))
                return cli_usage_error("bench", "invalid --warmup '%s'", optarg);
            o->warmup = (int)v;
            break;
        case 'j': o->json = 1; break;
        case 'p': o->profile = 1; break;
        CLI_SESSION_CASES:
            if ((rc = cli_sess_flag(so, "bench", opt, optarg, 1)))
                return rc;
            break;
        case 'h': help(); return -1;
        default: return cli_bad_option("bench", opt == ':', argv);
        }
    }
    if (optind + 1 < argc)
        return cli_usage_error("bench", "too many arguments");
    o->model = optind < argc ? argv[optind] : NULL;
    if (o->model && o->arch)
        return cli_usage_error("bench", "give a MODEL or --arch, not both");
    if (!o->arch)
        o->arch = DEFAULT_ARCH;
    if (o->iters && timed)
        return cli_usage_error("bench", "give --iterations or --time, not both");
    return 0;
}

/* Loads the model or builds the network; the input shape to time it at. */
static struct dn_graph *load(const struct settings *o, const char *label, struct dn_shape *in)
{
    struct dn_graph *g = NULL;
    if (!o->model) {
        cli_diag_set_file(label);
        enum dn_status st = dn_graph_densenet(&g, o->arch, o->batch, o->size ? o->size : 224, CLI_BUILTIN_SEED);
        cli_diag_set_file(NULL);
        if (st != DN_OK)
            return NULL;
    } else if (!(g = cli_load_model(o->model))) {
        return NULL;
    }
    if (dn_graph_input_count(g) != 1 || dn_graph_input_shape(g, 0).ndim != 4) {
        cli_err(label, "bench needs a model with one NCHW image input");
        dn_graph_free(g);
        return NULL;
    }
    *in = cli_concrete_input_shape(g, 0, label, 1);
    in->d[0] = o->batch;
    if (o->size)
        in->d[2] = in->d[3] = o->size;
    return g;
}

int cmd_bench(int argc, char **argv)
{
    struct settings o = {NULL, NULL, 1, 1, 0, 0, 0, 0, DEFAULT_SECONDS};
    struct cli_sess so;
    struct bench bn;
    struct cli_batch b;
    struct dn_shape in;
    char label[512];
    float *input = NULL;
    int code = CLI_EXIT_OK;
    cli_sess_init(&so);
    memset(&bn, 0, sizeof bn);
    memset(&b, 0, sizeof b);
    int rc = parse_args(argc, argv, &o, &so);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    snprintf(label, sizeof label, "%s%s", o.model ? "" : CLI_BUILTIN_PREFIX, o.model ? o.model : o.arch);

    double t0 = now_s();
    struct dn_graph *g = load(&o, label, &in);
    double parse_ms = (now_s() - t0) * 1e3;
    if (!g)
        return CLI_EXIT_MODEL;
    bn.chw = (struct dn_shape){3, {in.d[1], in.d[2], in.d[3]}};
    int64_t numel = dn_shape_numel(&bn.chw);
    input = malloc(sizeof(float) * (size_t)numel);
    if (!input) {
        cli_err(label, "out of memory for a %lldx%lldx%lld input", (long long)in.d[1], (long long)in.d[2],
               (long long)in.d[3]);
        code = CLI_EXIT_MODEL;
        goto done;
    }
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int64_t i = 0; i < numel; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        input[i] = (float)(x >> 40) / 8388608.0f - 1.0f; /* [-1, 1) */
    }
    int n_rows = so.n_threads ? so.n_threads : 1;
    for (int r = 0; r < n_rows; r++) {
        struct dn_session_opts opts = so.opts;
        struct row row;
        memset(&row, 0, sizeof row);
        opts.threads = so.n_threads ? so.threads[r] : 0;
        opts.profile = o.profile;
        double ti = now_s();
        struct dn_shape have;
        enum dn_status st = cli_session_for(g, &b.s, &have, &in, label, label, &opts);
        if (st != DN_OK) {
            code = st == DN_ERR_SHAPE ? CLI_EXIT_INPUT : CLI_EXIT_MODEL;
            goto done;
        }
        row.load_ms = parse_ms + (now_s() - ti) * 1e3;
        row.threads = dn_session_threads(b.s);
        row.isa = dn_session_isa(b.s);
        for (int i = 0; i < dn_session_node_count(b.s); i++) {
            struct dn_node_info ni;
            dn_session_node_info(b.s, i, &ni);
            row.macs += ni.macs;
        }
        free(bn.ms);
        free(bn.steps);
        memset(&bn, 0, sizeof bn);
        bn.warmup = o.warmup;
        bn.iters = o.iters;
        bn.seconds = o.seconds;
        bn.label = label;
        bn.input = input;
        bn.chw = (struct dn_shape){3, {in.d[1], in.d[2], in.d[3]}};
        bn.threads = row.threads;
        bn.progress = cli_stderr_is_tty();
        bn.profile = o.profile;
        bn.n_steps = dn_session_node_count(b.s);
        if (o.profile && !(bn.steps = malloc(sizeof(double) * MAX_PROFILED * (size_t)(bn.n_steps + 1)))) {
            cli_err(NULL, "out of memory for the profile");
            code = CLI_EXIT_MODEL;
            goto done;
        }
        if (r == 0 && !o.json)
            print_header(label, &in, &row, o.batch);
        b.g = g;
        b.model_path = label;
        b.opts = &opts;
        b.size = o.batch;
        b.shape = have;
        struct cli_batch_source src = {-1, load_input, input_name, &bn};
        rc = cli_batch_run(&b, &src, time_pass, &bn);
        if (bn.progress)
            fprintf(stderr, "\r%70s\r", "");
        if (rc != CLI_EXIT_OK || bn.n_ms == 0) {
            code = rc != CLI_EXIT_OK ? rc : CLI_EXIT_MODEL;
            goto done;
        }
        row.first_ms = bn.first_ms;
        row.iterations = bn.n_ms;
        row.t = stats_of(bn.ms, bn.n_ms);
        row.peak = core_peak(row.isa) * row.threads;
        struct kind *kinds = NULL;
        struct step *steps = NULL;
        int n_kinds = 0;
        double total = 0.0;
        if (o.profile && !(steps = profile_steps(&bn, b.s, &kinds, &n_kinds, &total))) {
            cli_err(NULL, "out of memory for the profile");
            code = CLI_EXIT_MODEL;
            goto done;
        }
        if (o.json) {
            print_row_json(label, &in, &row, o.batch);
            if (steps)
                print_profile_json(steps, bn.n_steps, kinds, n_kinds, total);
            printf("}\n");
        } else {
            print_row_text(&row, o.batch);
            if (steps)
                print_profile_text(steps, bn.n_steps, kinds, n_kinds, total);
        }
        fflush(stdout);
        free(steps);
        free(kinds);
        dn_session_free(b.s);
        b.s = NULL;
    }
done:
    free(bn.ms);
    free(bn.steps);
    free(input);
    dn_session_free(b.s);
    dn_graph_free(g);
    return code;
}
