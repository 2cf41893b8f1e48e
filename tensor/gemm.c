/* gemm.c — blocked, packed GEMM (Goto/BLIS layout): op(A) and op(B) blocks are packed per thread
 * (transposes absorbed by packing) and swept by an MR x NR register-tile kernel (GCC vector
 * extensions, FMA where available). The per-dtype body is gemm_template.h, included once per dtype. */

#include "gemm.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#if NB_USE_CBLAS
#include <cblas.h>

void nbt_sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
               const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                (int)K, alpha, A, (int)(lda > 0 ? lda : 1), B, (int)(ldb > 0 ? ldb : 1), beta, C, (int)ldc);
}

void nbt_dgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double *A, int64_t lda,
               const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                (int)K, alpha, A, (int)(lda > 0 ? lda : 1), B, (int)(ldb > 0 ? ldb : 1), beta, C, (int)ldc);
}
void nbt_sgemm_bias(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                    const float *B, int64_t ldb, const float *bias, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) memcpy(C + i * ldc, bias, (size_t)N * sizeof *C);
    nbt_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C, ldc);
}
void nbt_dgemm_bias(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double *A, int64_t lda,
                    const double *B, int64_t ldb, const double *bias, double *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) memcpy(C + i * ldc, bias, (size_t)N * sizeof *C);
    nbt_dgemm(ta, tb, M, N, K, 1.0, A, lda, B, ldb, 1.0, C, ldc);
}
void nbt_sgemm_asum(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                    const float *B, int64_t ldb, float beta, float *C, int64_t ldc, double *asum) {
    /* the row sums in k order, added as the packed path adds them */
    for (int64_t i = 0; asum && i < M; i++) {
        double s = 0;
        for (int64_t k = 0; k < K; k++) s += ta ? A[k * lda + i] : A[i * lda + k];
        asum[i] += s;
    }
    nbt_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}
void nbt_dgemm_asum(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double *A, int64_t lda,
                    const double *B, int64_t ldb, double beta, double *C, int64_t ldc, double *asum) {
    for (int64_t i = 0; asum && i < M; i++) {
        double s = 0;
        for (int64_t k = 0; k < K; k++) s += ta ? A[k * lda + i] : A[i * lda + k];
        asum[i] += s;
    }
    nbt_dgemm(ta, tb, M, N, K, 1.0, A, lda, B, ldb, beta, C, ldc);
}

/* no packed kernel to hand operands to: nbt_sgemm_kc() is 0, so callers take nbt_sgemm; these still compute
 * the documented result (op(A) row-major as the "packing", slivers of 16 columns) */
int nbt_sgemm_nr(void) { return 16; }
int64_t nbt_sgemm_kc(void) { return 0; }
size_t nbt_sgemm_pa_size(int64_t M, int64_t K) { return (size_t)(M * K); }
void nbt_sgemm_pack_a(bool ta, int64_t M, int64_t K, const float *A, int64_t lda, float *pa) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t k = 0; k < K; k++) pa[i * K + k] = ta ? A[k * lda + i] : A[i * lda + k];
}
void nbt_sgemm_packed(int64_t M, int64_t N, int64_t K, const float *pa, const float *pb, float beta, float *C,
                      int64_t ldc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float s = 0;
            for (int64_t k = 0; k < K; k++) s += pa[i * K + k] * pb[(j / 16) * 16 * K + k * 16 + j % 16];
            C[i * ldc + j] = s + (beta == 0 ? 0 : beta * C[i * ldc + j]);
        }
}

#else /* !NB_USE_CBLAS */

#if defined(__AVX512F__) || defined(__AVX__) || defined(__FMA__)
#include <immintrin.h>
#endif

/* SIMD width in bytes and register-tile rows: 32 vector registers with AVX-512, 16 otherwise. */
#if defined(__AVX512F__)
#define NBT_VBYTES 64
#define NBT_MR 12
#elif defined(__AVX__)
#define NBT_VBYTES 32
#define NBT_MR 6
#else
#define NBT_VBYTES 16
#define NBT_MR 6
#endif
#define NBT_NV 2 /* vectors per tile row: NR = NV * lanes */

#define NBT_PASTE2(a, b) a##_##b
#define NBT_PASTE(a, b) NBT_PASTE2(a, b)
#define NBG(name) NBT_PASTE(name, NBT_SFX)
#define NBT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NBT_DIRECT_DIM 4               /* M or N at most this: no packing at all */
#define NBT_THREAD_WORK (64 * 64 * 64) /* multiply-adds each thread must get before threads start */
/* rectangles of C per thread, handed out dynamically, when the work allows. 1: every piece packs its own
 * panels of A and B, so more pieces repack more; with 2 per thread, char_gpt's iteration (median of 9
 * interleaved runs) took 2332 ms against 2240 and the MLP epoch 0.57-0.69 s against 0.46-0.52 here */
#define NBT_PIECES 1

/* Returns n rounded up to a multiple of m (m > 0). */
static inline int64_t nbt_roundup(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

#if defined(__AVX__)
#define NBT_VTRANS 1
/* dst[c*ldd + r] = src[r*lds + c] for an 8 x 8 float tile (AVX shuffles; pure data movement). */
static inline void nbt_t8x8_s(const float *src, int64_t lds, float *dst, int64_t ldd) {
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds), r2 = _mm256_loadu_ps(src + 2 * lds),
           r3 = _mm256_loadu_ps(src + 3 * lds), r4 = _mm256_loadu_ps(src + 4 * lds),
           r5 = _mm256_loadu_ps(src + 5 * lds), r6 = _mm256_loadu_ps(src + 6 * lds),
           r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
           t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
           t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
           u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
           u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
           u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* dst[c*ldd + r] = src[r*lds + c] for a 4 x 4 float tile (SSE shuffles). */
static inline void nbt_t4x4_s(const float *src, int64_t lds, float *dst, int64_t ldd) {
    __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + lds), r2 = _mm_loadu_ps(src + 2 * lds),
           r3 = _mm_loadu_ps(src + 3 * lds);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(dst, r0), _mm_storeu_ps(dst + ldd, r1), _mm_storeu_ps(dst + 2 * ldd, r2),
        _mm_storeu_ps(dst + 3 * ldd, r3);
}

/* dst[k*ldd + r] = src[r*lds + k] for r < rows, k < kn (rows a multiple of 4, kn a multiple of 8):
 * 8 x 8 tiles while 8 rows remain, then 4 x 4 tiles. */
static inline void nbt_trans_s(int rows, int64_t kn, const float *src, int64_t lds, float *dst, int64_t ldd) {
    int r = 0;
    for (; r + 8 <= rows; r += 8)
        for (int64_t k = 0; k < kn; k += 8) nbt_t8x8_s(src + r * lds + k, lds, dst + k * ldd + r, ldd);
    for (; r + 4 <= rows; r += 4)
        for (int64_t k = 0; k < kn; k += 4) nbt_t4x4_s(src + r * lds + k, lds, dst + k * ldd + r, ldd);
}
/* dst[k*6 + r] = src[r*lds + k] for r < 6, k < kn (kn a multiple of 8): the 8 x 8 tile transpose with two zero
 * rows, each 6-value line stored as 4 + 2 (the MR = 6 panel of AVX2 targets; pure data movement). */
static inline void nbt_trans6_s(int64_t kn, const float *src, int64_t lds, float *dst) {
    const __m256 z = _mm256_setzero_ps();
    for (int64_t k = 0; k < kn; k += 8) {
        const float *s = src + k;
        __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + lds), r2 = _mm256_loadu_ps(s + 2 * lds),
               r3 = _mm256_loadu_ps(s + 3 * lds), r4 = _mm256_loadu_ps(s + 4 * lds),
               r5 = _mm256_loadu_ps(s + 5 * lds);
        __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
               t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
               t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
        __m256 u[8] = { _mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xEE),
                        _mm256_shuffle_ps(t1, t3, 0x44), _mm256_shuffle_ps(t1, t3, 0xEE),
                        _mm256_shuffle_ps(t4, z, 0x44),  _mm256_shuffle_ps(t4, z, 0xEE),
                        _mm256_shuffle_ps(t5, z, 0x44),  _mm256_shuffle_ps(t5, z, 0xEE) };
        float *d = dst + k * 6;
        for (int c = 0; c < 8;
             c++) { /* column c: lane c % 4 of u[c % 4] (rows 0-3) and of u[4 + c % 4] (4, 5) */
            __m256 lo = u[c % 4], hi = u[4 + c % 4];
            __m128 a = c < 4 ? _mm256_castps256_ps128(lo) : _mm256_extractf128_ps(lo, 1);
            __m128 b = c < 4 ? _mm256_castps256_ps128(hi) : _mm256_extractf128_ps(hi, 1);
            _mm_storeu_ps(d + c * 6, a);
            _mm_storel_pi((__m64 *)(void *)(d + c * 6 + 4), b);
        }
    }
}
#endif

#ifdef _OPENMP
/* What packing one row of A or one column of B costs a piece, in multiply-adds per k: a piece of rows x cols
 * packs rows + cols values per k for rows x cols multiply-adds, so a grid of column strips repacks all of A
 * once per strip (a 3072 x 384 product in 4 strips packed A 4 times and ran 10% slower than in 4 row blocks) */
#define NBT_PACK_COST 64
/* Splits C (M x N) among nt threads as a tm x tn grid of mr/nr-aligned rectangles of rows x cols, the grid
 * whose piece costs least: its area plus NBT_PACK_COST times what it packs. */
static void nbt_grid(int64_t M, int64_t N, int nt, int64_t mr, int64_t nr, int *tm, int64_t *rows,
                     int64_t *cols) {
    int64_t best = -1;
    for (int m = 1; m <= nt; m++) {
        if (nt % m) continue;
        int64_t r = nbt_roundup((M + m - 1) / m, mr), c = nbt_roundup((N + nt / m - 1) / (nt / m), nr);
        int64_t cost = r * c + NBT_PACK_COST * (r + c);
        if (best < 0 || cost < best) best = cost, *tm = m, *rows = r, *cols = c;
    }
}
#endif

/* Determinism: threads own disjoint rectangles of C whose origins are multiples of MR and NR (as
 * are MC and NC), and K is never split, so every element of C sees the same kernel and the same
 * summation order (KC blocks in order, k in order inside a block) at any thread count. */

/* Number of threads worth starting for M*N*K multiply-adds (1 inside a parallel region). */
static int nbt_threads(int64_t M, int64_t N, int64_t K) {
#ifdef _OPENMP
    if (omp_in_parallel()) return 1;
    double work = (double)M * (double)N * (double)K;
    if (work < 2.0 * NBT_THREAD_WORK) return 1;
    int nt = omp_get_max_threads();
    if ((double)nt * NBT_THREAD_WORK > work) nt = (int)(work / NBT_THREAD_WORK);
    return nt < 1 ? 1 : nt;
#else
    (void)M, (void)N, (void)K;
    return 1;
#endif
}

#define NBT_KC_S 512 /* the float body's KC and NR, for nbt_sgemm_kc/nr */
#define NBT_NR_S (NBT_NV * NBT_VBYTES / (int)sizeof(float))
#define NBT_T float
#define NBT_SFX s
#define NBT_IS_FLOAT 1
#define NBT_MC 96
#define NBT_KC NBT_KC_S
#define NBT_NC 3072
#if defined(__AVX512F__)
#define NBT_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define NBT_SPLAT(x) _mm512_set1_ps(x)
#elif defined(__AVX__) && defined(__FMA__)
#define NBT_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define NBT_SPLAT(x) _mm256_set1_ps(x)
#endif
#include "gemm_template.h"

#define NBT_T double
#define NBT_SFX d
#define NBT_IS_FLOAT 0
#define NBT_MC 96
#define NBT_KC 256
#define NBT_NC 2048
#if defined(__AVX512F__)
#define NBT_FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define NBT_SPLAT(x) _mm512_set1_pd(x)
#elif defined(__AVX__) && defined(__FMA__)
#define NBT_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define NBT_SPLAT(x) _mm256_set1_pd(x)
#endif
#include "gemm_template.h"

void nbt_sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
               const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    gemm_s(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NULL);
}

void nbt_dgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double *A, int64_t lda,
               const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
    gemm_d(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NULL);
}
void nbt_sgemm_bias(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                    const float *B, int64_t ldb, const float *bias, float *C, int64_t ldc) {
    gemm_s(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, bias, NULL);
}
void nbt_dgemm_bias(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double *A, int64_t lda,
                    const double *B, int64_t ldb, const double *bias, double *C, int64_t ldc) {
    gemm_d(ta, tb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc, bias, NULL);
}
void nbt_sgemm_asum(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                    const float *B, int64_t ldb, float beta, float *C, int64_t ldc, double *asum) {
    gemm_s(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc, NULL, asum);
}
void nbt_dgemm_asum(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double *A, int64_t lda,
                    const double *B, int64_t ldb, double beta, double *C, int64_t ldc, double *asum) {
    gemm_d(ta, tb, M, N, K, 1.0, A, lda, B, ldb, beta, C, ldc, NULL, asum);
}

int nbt_sgemm_nr(void) { return NBT_NR_S; }
int64_t nbt_sgemm_kc(void) { return NBT_KC_S; }
size_t nbt_sgemm_pa_size(int64_t M, int64_t K) { return (size_t)(nbt_roundup(M, NBT_MR) * K); }
void nbt_sgemm_pack_a(bool ta, int64_t M, int64_t K, const float *A, int64_t lda, float *pa) {
    pack_a_s(ta, M, K, A, lda, pa);
}
void nbt_sgemm_packed(int64_t M, int64_t N, int64_t K, const float *pa, const float *pb, float beta, float *C,
                      int64_t ldc) {
    gemm_packed_s(M, N, K, pa, pb, beta, C, ldc);
}

#endif /* NB_USE_CBLAS */
