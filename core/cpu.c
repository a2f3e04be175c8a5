/* cpu.c: CPU feature detection and ISA selection.
 *
 * The CPU is probed once (cpuid for the instruction sets, xgetbv for the OS
 * saving the wide registers) into a read-only table; after that first call
 * nothing here changes. An ISA is usable only when the CPU has it and this
 * build compiled its kernels (configure probes the compiler: HAVE_AVX2_KERNELS,
 * HAVE_AVX512_KERNELS). DENSENET_ISA forces a choice for tests and users.
 */
#include "config.h"
#include "graph.h"
#include "kernels/kernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define DN_X86 1
#endif

struct cpu_table {
    int avx2;    /* AVX2 + FMA, with OS support for ymm state */
    int avx512;  /* AVX-512F, with OS support for zmm and mask state */
};

static struct cpu_table cpu;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

#ifdef DN_X86
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif

static void cpu_probe(void)
{
#ifdef DN_X86
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx)
        return;
    uint64_t xcr0 = xgetbv0();
    int ymm_ok = (xcr0 & 0x6) == 0x6, zmm_ok = (xcr0 & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return;
    cpu.avx2 = ymm_ok && fma && ((b >> 5) & 1);
    cpu.avx512 = cpu.avx2 && zmm_ok && ((b >> 16) & 1);
#endif
}

static const char *const isa_names[] = {"auto", "reference", "generic", "avx2", "avx512"};

const char *dn_isa_name(enum dn_isa isa)
{
    return (unsigned)isa < sizeof isa_names / sizeof *isa_names ? isa_names[isa] : "?";
}

int dn_isa_parse(const char *name, enum dn_isa *out)
{
    for (size_t i = 0; i < sizeof isa_names / sizeof *isa_names; i++)
        if (name && strcmp(name, isa_names[i]) == 0) {
            *out = (enum dn_isa)i;
            return 0;
        }
    return -1;
}

int dn_isa_supported(enum dn_isa isa)
{
    pthread_once(&cpu_once, cpu_probe);
    switch (isa) {
    case DN_ISA_AUTO:
    case DN_ISA_REFERENCE:
    case DN_ISA_GENERIC:
        return 1;
    case DN_ISA_AVX2:
#ifdef HAVE_AVX2_KERNELS
        return cpu.avx2;
#else
        return 0;
#endif
    case DN_ISA_AVX512:
#ifdef HAVE_AVX512_KERNELS
        return cpu.avx512;
#else
        return 0;
#endif
    }
    return 0;
}

static enum dn_isa isa_best(void)
{
    if (dn_isa_supported(DN_ISA_AVX512))
        return DN_ISA_AVX512;
    if (dn_isa_supported(DN_ISA_AVX2))
        return DN_ISA_AVX2;
    return DN_ISA_GENERIC;
}

enum dn_isa dn_isa_default(void)
{
    const char *env = getenv("DENSENET_ISA");
    enum dn_isa isa;
    if (env && *env && dn_isa_parse(env, &isa) == 0 && isa != DN_ISA_AUTO && dn_isa_supported(isa))
        return isa;
    return isa_best();
}

int dn_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double dn_cpu_fma_peak(enum dn_isa isa)
{
    if (isa == DN_ISA_AUTO)
        isa = dn_isa_default();
    const struct dn_kernels *k = dn_kernels_for(isa);
    if (!k)
        return 0.0;
    /* calibrate to about 20 ms, keep the best of a few rounds */
    int64_t iters = 1 << 14;
    double best = 0.0, t = 0.0;
    for (;;) {
        double t0 = now_s();
        k->fma_loop(iters);
        t = now_s() - t0;
        if (t > 0.004 || iters > ((int64_t)1 << 40))
            break;
        iters *= 4;
    }
    for (int r = 0; r < 4; r++) {
        double t0 = now_s();
        int64_t flops = k->fma_loop(iters);
        t = now_s() - t0;
        double g = t > 0 ? (double)flops / t * 1e-9 : 0.0;
        if (g > best)
            best = g;
    }
    return best;
}
