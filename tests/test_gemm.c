/* test_gemm.c — nbt_sgemm / nbt_dgemm against a naive triple loop in double: odd shapes, all four
 * transpose combinations, alpha/beta, padded strides (padding must stay untouched), beta == 0 over
 * NaN, bitwise-equal results at 1 and 2 OpenMP threads, and nbt_*gemm_bias bitwise equal to the bias
 * copied into C then a beta = 1 product, nbt_*gemm_asum's row sums. Last line: "N passed, M failed". */
#include "gemm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static int passed, failed;

/* Uniform value in [-1, 1) from a xorshift state. */
static double rnd(uint64_t *s) {
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1p-52 - 1.0;
}

/* Records one check; prints a line naming the case when it fails. */
static void check(bool ok, const char *what, bool dbl, bool ta, bool tb, int64_t M, int64_t N, int64_t K) {
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: %s ta=%d tb=%d M=%lld N=%lld K=%lld\n", what, dbl ? "f64" : "f32", ta, tb, (long long)M,
           (long long)N, (long long)K);
}

/* One product C = alpha op(A) op(B) + beta C with row strides padded by pad; compares every element
 * of C with a double-precision reference and checks that the padding of C is untouched. */
static void run_case(bool dbl, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, double beta,
                     int64_t pad) {
    static uint64_t seed = 0x243F6A8885A308D3ull;
    int64_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    int64_t lda = ac + pad, ldb = bc + pad, ldc = N + pad;
    size_t na = (size_t)(ar * lda) + 1, nb = (size_t)(br * ldb) + 1, nc = (size_t)(M * ldc) + 1;
    double *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b), *c0 = malloc(nc * sizeof *c0);
    double *c = malloc(nc * sizeof *c);
    float *af = malloc(na * sizeof *af), *bf = malloc(nb * sizeof *bf), *cf = malloc(nc * sizeof *cf);
    if (!a || !b || !c0 || !c || !af || !bf || !cf) {
        check(false, "out of memory", dbl, ta, tb, M, N, K);
        goto done;
    }
    for (size_t i = 0; i < na; i++) af[i] = (float)rnd(&seed), a[i] = dbl ? rnd(&seed) : af[i];
    for (size_t i = 0; i < nb; i++) bf[i] = (float)rnd(&seed), b[i] = dbl ? rnd(&seed) : bf[i];
    for (size_t i = 0; i < nc; i++) {
        bool padding = (int64_t)(i % (size_t)ldc) >= N || i + 1 == nc;
        double v = padding ? 12345.0 : beta == 0 ? NAN : (float)rnd(&seed);
        c0[i] = v, c[i] = v, cf[i] = (float)v;
    }
    if (dbl)
        nbt_dgemm(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
    else
        nbt_sgemm(ta, tb, M, N, K, (float)alpha, af, lda, bf, ldb, (float)beta, cf, ldc);

    double tol = dbl ? 1e-12 : 1e-5 * sqrt((double)(K > 1 ? K : 1));
    bool ok = true, pad_ok = true;
    for (int64_t i = 0; i < M && ok; i++)
        for (int64_t j = 0; j < ldc; j++) {
            double got = dbl ? c[i * ldc + j] : cf[i * ldc + j];
            if (j >= N) {
                pad_ok &= got == 12345.0;
                continue;
            }
            double s = 0, mag = 0;
            for (int64_t k = 0; k < K; k++) {
                double p = a[ta ? k * lda + i : i * lda + k] * b[tb ? j * ldb + k : k * ldb + j];
                s += p, mag += fabs(p);
            }
            double ref = alpha * s, bound = fabs(alpha) * mag;
            if (beta != 0) ref += beta * c0[i * ldc + j], bound += fabs(beta * c0[i * ldc + j]);
            if (!(fabs(got - ref) <= tol * bound + 1e-30)) {
                if (ok) printf("  C[%lld,%lld] = %.17g, want %.17g\n", (long long)i, (long long)j, got, ref);
                ok = false;
                break;
            }
        }
    pad_ok &= (dbl ? c[nc - 1] : cf[nc - 1]) == 12345.0;
    check(ok, "values", dbl, ta, tb, M, N, K);
    check(pad_ok, "padding of C written", dbl, ta, tb, M, N, K);
done:
    free(a), free(b), free(c0), free(c), free(af), free(bf), free(cf);
}

/* run_case for both dtypes and all four transpose combinations. */
static void run_all(int64_t M, int64_t N, int64_t K, double alpha, double beta, int64_t pad) {
    for (int t = 0; t < 8; t++) run_case(t & 4, t & 1, t & 2, M, N, K, alpha, beta, pad);
}

/* C = op(A) op(B) + bias (row broadcast) over a C of NaN with padded rows: bitwise equal to the bias copied into
 * every row then alpha = beta = 1, and the padding untouched. */
static void bias_case(bool dbl, bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t pad) {
    uint64_t seed = 0x9E3779B97F4A7C15ull ^ (uint64_t)(M * 131 + N * 17 + K);
    int64_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    int64_t lda = ac + pad, ldb = bc + pad, ldc = N + pad;
    size_t na = (size_t)(ar * lda) + 1, nb = (size_t)(br * ldb) + 1, nc = (size_t)(M * ldc) + 1,
           es = dbl ? 8 : 4;
    char *a = malloc(na * es), *b = malloc(nb * es), *bias = malloc((size_t)(N + 1) * es);
    char *c1 = malloc(nc * es), *c2 = malloc(nc * es);
    bool ok = a && b && bias && c1 && c2;
    for (size_t i = 0; ok && i < na + nb + (size_t)N; i++) {
        char *at = i < na ? a + i * es : i < na + nb ? b + (i - na) * es : bias + (i - na - nb) * es;
        double v = rnd(&seed);
        float f = (float)v;
        if (dbl)
            memcpy(at, &v, 8);
        else
            memcpy(at, &f, 4);
    }
    for (size_t i = 0; ok && i < nc; i++) {
        bool padding = (int64_t)(i % (size_t)ldc) >= N || i + 1 == nc;
        double v = padding ? 12345.0 : NAN;
        float f = (float)v;
        if (dbl)
            memcpy(c1 + i * es, &v, 8), memcpy(c2 + i * es, &v, 8);
        else
            memcpy(c1 + i * es, &f, 4), memcpy(c2 + i * es, &f, 4);
    }
    if (ok) {
        for (int64_t i = 0; i < M; i++) memcpy(c1 + (size_t)(i * ldc) * es, bias, (size_t)N * es);
        if (dbl) {
            nbt_dgemm(ta, tb, M, N, K, 1.0, (double *)a, lda, (double *)b, ldb, 1.0, (double *)c1, ldc);
            nbt_dgemm_bias(ta, tb, M, N, K, (double *)a, lda, (double *)b, ldb, (double *)bias, (double *)c2,
                           ldc);
        } else {
            nbt_sgemm(ta, tb, M, N, K, 1.0f, (float *)a, lda, (float *)b, ldb, 1.0f, (float *)c1, ldc);
            nbt_sgemm_bias(ta, tb, M, N, K, (float *)a, lda, (float *)b, ldb, (float *)bias, (float *)c2,
                           ldc);
        }
        ok = memcmp(c1, c2, nc * es) == 0;
    }
    check(ok, "bias: bitwise equal to bias rows + beta 1, padding kept", dbl, ta, tb, M, N, K);
    free(a), free(b), free(bias), free(c1), free(c2);
}

/* bias_case over the paths of the GEMM: unpacked (M or N <= 4), K = 0, edge tiles, several K, N and M blocks. */
static void bias_all(void) {
    static const int64_t shapes[][3] = { { 1, 7, 5 },     { 7, 1, 5 },      { 4, 300, 50 },
                                         { 300, 4, 50 },  { 31, 33, 0 },    { 17, 31, 33 },
                                         { 65, 129, 7 },  { 129, 65, 600 }, { 20, 3100, 30 },
                                         { 400, 70, 20 }, { 700, 333, 200 } };
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int t = 0; t < 8; t++)
            bias_case(t & 4, t & 1, t & 2, shapes[s][0], shapes[s][1], shapes[s][2], s % 2 ? 3 : 0);
}

/* nbt_*gemm_asum called three times (beta 0, beta 1, beta 1 with asum NULL): C bitwise equal to the plain
 * products, asum = twice the row sums of op(A) (to double rounding), and (with OpenMP) asum bitwise the same
 * at 1 and 2 threads */
static void asum_case(bool dbl, bool ta, bool tb, int64_t M, int64_t N, int64_t K) {
    uint64_t seed = 0x2545F4914F6CDD1Dull ^ (uint64_t)(M * 7 + N * 131 + K);
    size_t na = (size_t)(M * K), nb = (size_t)(K * N), nc = (size_t)(M * N), es = dbl ? 8 : 4;
    char *a = malloc(na * es + 1), *b = malloc(nb * es + 1), *c1 = malloc(nc * es + 1),
         *c2 = malloc(nc * es + 1);
    double *s1 = malloc(sizeof(double) * (size_t)(M + 1)), *s2 = malloc(sizeof(double) * (size_t)(M + 1));
    bool ok = a && b && c1 && c2 && s1 && s2;
    for (size_t i = 0; ok && i < na + nb; i++) {
        double v = rnd(&seed);
        float f = (float)v;
        char *at = i < na ? a + i * es : b + (i - na) * es;
        if (dbl)
            memcpy(at, &v, 8);
        else
            memcpy(at, &f, 4);
    }
    int64_t lda = ta ? M : K, ldb = tb ? K : N, ldc = N > 0 ? N : 1;
    for (int nt = 1; ok && nt <= 2; nt++) {
#ifdef _OPENMP
        int saved = omp_get_max_threads();
        omp_set_num_threads(nt);
#endif
        double *s = nt == 1 ? s1 : s2;
        for (int64_t i = 0; i < M; i++) s[i] = 0;
        for (int r = 0; r < 3; r++) { /* beta 0, then twice beta 1 (the last without sums): asum += twice */
            double *sr = r < 2 ? s : NULL;
            if (dbl)
                nbt_dgemm_asum(ta, tb, M, N, K, (double *)a, lda, (double *)b, ldb, r ? 1.0 : 0.0,
                               (double *)c2, ldc, sr);
            else
                nbt_sgemm_asum(ta, tb, M, N, K, (float *)a, lda, (float *)b, ldb, r ? 1.0f : 0.0f,
                               (float *)c2, ldc, sr);
        }
#ifdef _OPENMP
        omp_set_num_threads(saved);
#endif
    }
    if (ok) {
        for (int r = 0; r < 3; r++)
            if (dbl)
                nbt_dgemm(ta, tb, M, N, K, 1.0, (double *)a, lda, (double *)b, ldb, r ? 1.0 : 0.0,
                          (double *)c1, ldc);
            else
                nbt_sgemm(ta, tb, M, N, K, 1.0f, (float *)a, lda, (float *)b, ldb, r ? 1.0f : 0.0f,
                          (float *)c1, ldc);
        ok = memcmp(c1, c2, nc * es) == 0 && memcmp(s1, s2, sizeof(double) * (size_t)M) == 0;
        for (int64_t i = 0; ok && i < M; i++) {
            double ref = 0, mag = 0;
            for (int64_t k = 0; k < K; k++) {
                size_t at = (size_t)(ta ? k * lda + i : i * lda + k);
                double v = dbl ? ((double *)a)[at] : ((float *)a)[at];
                ref += v, mag += fabs(v);
            }
            ok = fabs(s1[i] - 2 * ref) <= 2e-14 * mag;
        }
    }
    check(ok, "asum: C as the plain products, row sums of op(A) accumulated, same at 1 and 2 threads", dbl,
          ta, tb, M, N, K);
    free(a), free(b), free(c1), free(c2), free(s1), free(s2);
}

#ifdef _OPENMP
/* C = op(A) op(B) with 1 and with 2 threads must be bitwise identical. */
static void determinism(bool dbl, bool ta, bool tb, int64_t M, int64_t N, int64_t K) {
    uint64_t seed = 7;
    size_t na = (size_t)(M * K), nb = (size_t)(K * N), nc = (size_t)(M * N), es = dbl ? 8 : 4;
    void *a = malloc(na * es), *b = malloc(nb * es), *c1 = malloc(nc * es), *c2 = malloc(nc * es);
    bool ok = a && b && c1 && c2;
    if (ok) {
        for (size_t i = 0; i < na; i++)
            if (dbl)
                ((double *)a)[i] = rnd(&seed);
            else
                ((float *)a)[i] = (float)rnd(&seed);
        for (size_t i = 0; i < nb; i++)
            if (dbl)
                ((double *)b)[i] = rnd(&seed);
            else
                ((float *)b)[i] = (float)rnd(&seed);
        int64_t lda = ta ? M : K, ldb = tb ? K : N;
        int saved = omp_get_max_threads();
        for (int nt = 1; nt <= 2; nt++) {
            omp_set_num_threads(nt);
            void *c = nt == 1 ? c1 : c2;
            if (dbl)
                nbt_dgemm(ta, tb, M, N, K, 1.0, a, lda, b, ldb, 0.0, c, N);
            else
                nbt_sgemm(ta, tb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, N);
        }
        omp_set_num_threads(saved);
        ok = memcmp(c1, c2, nc * es) == 0;
    }
    check(ok, "bitwise determinism 1 vs 2 threads", dbl, ta, tb, M, N, K);
    free(a), free(b), free(c1), free(c2);
}
#endif

/* nbt_sgemm_packed with op(A) from nbt_sgemm_pack_a and op(B) packed by hand in the documented sliver layout:
 * the same bits as nbt_sgemm (its packed path: M, N > 4), beta 0 and 1, several M blocks */
static void packed_case(bool ta, int64_t M, int64_t N, int64_t K, float beta) {
    if (K > nbt_sgemm_kc()) return; /* -Dblas=openblas: no packed kernel */
    uint64_t st = 7 + (uint64_t)(M * 131 + N * 7 + K);
    const int nr = nbt_sgemm_nr();
    const int64_t np = (N + nr - 1) / nr * nr;
    float *A = malloc(sizeof(float) * (size_t)(M * K)), *B = malloc(sizeof(float) * (size_t)(K * N));
    float *pa = malloc(sizeof(float) * nbt_sgemm_pa_size(M, K)),
          *pb = calloc((size_t)(K * np), sizeof(float));
    float *C1 = malloc(sizeof(float) * (size_t)(M * N)), *C2 = malloc(sizeof(float) * (size_t)(M * N));
    for (int64_t i = 0; i < M * K; i++) A[i] = (float)rnd(&st);
    for (int64_t i = 0; i < K * N; i++) B[i] = (float)rnd(&st);
    for (int64_t i = 0; i < M * N; i++) C1[i] = C2[i] = (float)rnd(&st);
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < N; j++) pb[(j / nr) * nr * K + k * nr + j % nr] = B[k * N + j];
    nbt_sgemm_pack_a(ta, M, K, A, ta ? M : K, pa);
    nbt_sgemm(ta, false, M, N, K, 1.0f, A, ta ? M : K, B, N, beta, C1, N);
    nbt_sgemm_packed(M, N, K, pa, pb, beta, C2, N);
    check(!memcmp(C1, C2, sizeof(float) * (size_t)(M * N)), "packed vs nbt_sgemm (bits)", false, ta, false, M,
          N, K);
    free(A), free(B), free(pa), free(pb), free(C1), free(C2);
}

int main(void) {
    for (int t = 0; t < 2; t++) {
        packed_case(t, 64, 48, 32, 0.0f);
        packed_case(t, 130, 77, 300, 1.0f);
        packed_case(t, 5, 5, 1, 0.0f);
        packed_case(t, 33, 200, 512, 0.0f);
    }
    static const int64_t sz[] = { 1, 2, 3, 7, 17, 31, 33, 65, 127, 129, 255, 257 };
    enum { NS = sizeof sz / sizeof *sz };
    for (int i = 0; i < NS; i++) run_all(sz[i], sz[i], sz[i], 1.0, 0.0, 0);
    uint64_t pick = 99;
    for (int r = 0; r < 40; r++) { /* mixed shapes, strided, assorted alpha/beta */
        int64_t M = sz[(int)((rnd(&pick) + 1) * NS / 2)], N = sz[(int)((rnd(&pick) + 1) * NS / 2)];
        int64_t K = sz[(int)((rnd(&pick) + 1) * NS / 2)];
        static const double ab[][2] = { { 1, 0 }, { 2.5, 0 }, { 1, 1 }, { -0.5, 0.75 }, { 0.25, -2 } };
        run_all(M, N, K, ab[r % 5][0], ab[r % 5][1], r % 3 == 0 ? 0 : 1 + r % 7);
    }
    run_all(300, 200, 100, 1.0, 0.0, 0);
    run_all(300, 200, 100, -1.5, 0.5, 3);
    for (int64_t n = 1; n <= 600; n = n * 3 + 1) { /* 1xN, Nx1, K=1, vectors */
        run_all(1, n, 37, 1.0, 0.0, 2);
        run_all(n, 1, 37, 2.0, 1.0, 0);
        run_all(n, 45, 1, 1.0, 0.0, 1);
        run_all(1, 1, n, 1.0, 0.5, 0);
        run_all(5, n, n, 1.0, 0.0, 0);
        run_all(n, 6, 70, 0.5, 0.0, 4);
    }
    run_all(4, 300, 50, 1.5, 0.5, 3); /* largest M and N of the unpacked path */
    run_all(300, 4, 50, 1.5, 0.5, 3);
    run_all(129, 65, 600, 1.0, 0.5, 2); /* several K blocks: beta applied once */
    run_all(20, 3100, 30, 1.0, 0.0, 1); /* several N blocks */
    run_all(400, 70, 20, 1.0, 1.0, 0);  /* several M blocks */
    run_all(31, 33, 0, 1.0, 0.5, 1);    /* K = 0: C = beta C */
    run_all(31, 33, 0, 1.0, 0.0, 1);    /* K = 0, beta = 0: C = 0 */
    run_all(65, 17, 40, 0.0, 2.0, 0);   /* alpha = 0 */
    run_all(0, 17, 40, 1.0, 0.0, 0);    /* empty C */
    bias_all();
    static const int64_t asz[][3] = { { 3, 40, 50 },     { 50, 3, 40 },
                                      { 0, 5, 5 },       { 7, 0, 9 },
                                      { 9, 7, 0 },       { 97, 45, 700 },
                                      { 300, 200, 129 }, { 33278 / 64, 200, 700 } };
    for (size_t i = 0; i < sizeof asz / sizeof *asz; i++)
        for (int t = 0; t < 8; t++) asum_case(t & 4, t & 1, t & 2, asz[i][0], asz[i][1], asz[i][2]);
#ifdef _OPENMP
    for (int t = 0; t < 8; t++) {
        determinism(t & 4, t & 1, t & 2, 300, 257, 129);
        determinism(t & 4, t & 1, t & 2, 517, 389, 300);
    }
    determinism(false, false, false, 40, 2000, 300);
#endif
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
