/* matmul.c — GEMM throughput: nbt_sgemm on random n x n matrices, and OpenBLAS cblas_sgemm side by
 * side when built with -DNB_BENCH_OPENBLAS (link -lopenblas). One line per n:
 * `n=N nabla_gflops X openblas_gflops Y` (Y is nan without OpenBLAS). Sizes may be given on argv.
 * All nabla runs come first, then all OpenBLAS runs: each library's idle spinning threads would
 * otherwise steal cores from the other's next timing. Each size runs 5 timed rounds after a warm-up
 * and reports the best round (the machine is shared). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L /* clock_gettime when built outside meson */
#endif
#include "gemm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef NB_BENCH_OPENBLAS
#include <cblas.h>
#endif

/* Seconds on the monotonic clock. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Fills x[n] with uniform values in [-1, 1) from a xorshift generator. */
static void fill(float *x, size_t n, uint64_t *s) {
    for (size_t i = 0; i < n; i++) {
        *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
        x[i] = (float)((double)(*s >> 11) * 0x1p-52 - 1.0);
    }
}

/* c = a @ b for n x n matrices with OpenBLAS (blas) or nabla. */
static void mm(int64_t n, bool blas, const float *a, const float *b, float *c) {
#ifdef NB_BENCH_OPENBLAS
    int ni = (int)n;
    if (blas) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, a, ni, b, ni, 0.0f, c, ni);
        return;
    }
#else
    (void)blas;
#endif
    nbt_sgemm(false, false, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
}

/* GFLOP/s of C = A @ B on random n x n matrices with nabla (blas = false) or OpenBLAS; -1 if out of memory. */
static double bench(int64_t n, bool blas) {
    size_t nn = (size_t)(n * n);
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    double gflops = -1;
    if (a && b && c) {
        uint64_t seed = 0x9E3779B97F4A7C15ull;
        fill(a, nn, &seed), fill(b, nn, &seed);
        double flop = 2.0 * (double)n * (double)n * (double)n;
        int reps = (int)(4e8 / flop);
        if (reps < 1) reps = 1;
        /* untimed warm-up of at least 0.2 s: threads started, buffers grown, clocks settled */
        for (double end = now() + 0.2; now() < end;) mm(n, blas, a, b, c);
        /* 5 rounds of reps products; the best round counts (the machine is shared) */
        gflops = 0;
        for (int round = 0; round < 5; round++) {
            double t = now();
            for (int r = 0; r < reps; r++) mm(n, blas, a, b, c);
            double g = flop * reps / (now() - t) / 1e9;
            if (g > gflops) gflops = g;
        }
    }
    free(a), free(b), free(c);
    return gflops;
}

int main(int argc, char **argv) {
    enum { MAXN = 64 };
    int64_t sizes[MAXN] = { 64, 128, 256, 512, 1024, 2048 };
    int count = 6;
    if (argc > 1) {
        count = 0;
        for (int i = 1; i < argc && count < MAXN; i++) {
            long long n = strtoll(argv[i], NULL, 10);
            if (n > 0) sizes[count++] = (int64_t)n;
        }
    }
    double nabla[MAXN], blas[MAXN];
    for (int i = 0; i < count; i++) nabla[i] = bench(sizes[i], false);
    for (int i = 0; i < count; i++) {
#ifdef NB_BENCH_OPENBLAS
        blas[i] = bench(sizes[i], true);
#else
        blas[i] = -1;
#endif
    }
    int rc = 0;
    for (int i = 0; i < count; i++) {
        char y[32] = "nan";
        if (blas[i] >= 0) snprintf(y, sizeof y, "%.1f", blas[i]);
        printf("n=%lld nabla_gflops %.1f openblas_gflops %s\n", (long long)sizes[i], nabla[i], y);
        rc |= nabla[i] < 0;
    }
    return rc;
}
