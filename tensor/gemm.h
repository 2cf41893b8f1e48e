/* gemm.h — general matrix multiply for f32 and f64: blocked, packed, register-tiled, OpenMP over
 * tiles of C. Results are bitwise identical at any thread count (K is never split across threads).
 * Built with -DNB_USE_CBLAS=1 it forwards to cblas_sgemm / cblas_dgemm instead. */
#ifndef NB_GEMM_H
#define NB_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* C[M,N] = alpha * op(A) @ op(B) + beta * C, row-major. op(A) = A (M x K, row stride lda) or, if ta,
 * A stored K x M (row stride lda) used transposed; same for B (K x N, or N x K if tb). beta == 0 means C is not read. */
void nbt_sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
               const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
/* Same contract as nbt_sgemm, in double precision. */
void nbt_dgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double *A, int64_t lda,
               const double *B, int64_t ldb, double beta, double *C, int64_t ldc);
/* C[M,N] = op(A) @ op(B) + bias[N] on every row (torch's addmm with a broadcast bias), bit-equal to copying
 * bias into each row of C and calling nbt_sgemm with alpha = beta = 1; the packed path adds it as it stores C. */
void nbt_sgemm_bias(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                    const float *B, int64_t ldb, const float *bias, float *C, int64_t ldc);
/* Same contract as nbt_sgemm_bias, in double precision. */
void nbt_dgemm_bias(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double *A, int64_t lda,
                    const double *B, int64_t ldb, const double *bias, double *C, int64_t ldc);
/* C[M,N] = op(A) @ op(B) + beta * C (alpha 1; beta == 0: C not read) and, unless asum is NULL, asum[i] +=
 * the sum over k of op(A)(i, k) in double, k in order (the caller zeroes asum), taken from the packed blocks
 * of op(A) while they are in cache: a weight gradient's GEMM also sums the output gradient for the bias
 * (linear: op(A) = g^T; conv: gy, summed over samples and tiles), without a second pass over it. */
void nbt_sgemm_asum(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                    const float *B, int64_t ldb, float beta, float *C, int64_t ldc, double *asum);
/* Same contract as nbt_sgemm_asum, in double precision. */
void nbt_dgemm_asum(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double *A, int64_t lda,
                    const double *B, int64_t ldb, double beta, double *C, int64_t ldc, double *asum);

/* Operands packed once for many products (the Winograd GEMMs repack neither U nor V). NR: op(B)'s packed
 * layout is slivers of NR columns, k-major: element (k, j) at pb[(j / NR) NR K + k NR + j % NR], zero past N. */
int nbt_sgemm_nr(void);
/* the most K the packed operands may have (0 with -Dblas=openblas: no packed kernel, use nbt_sgemm) */
int64_t nbt_sgemm_kc(void);
/* floats nbt_sgemm_pack_a writes for op(A) of M x K */
size_t nbt_sgemm_pa_size(int64_t M, int64_t K);
/* pa = op(A) (M x K; A stored K x M if ta) in the kernel's panel layout, K <= nbt_sgemm_kc() */
void nbt_sgemm_pack_a(bool ta, int64_t M, int64_t K, const float *A, int64_t lda, float *pa);
/* C[M,N] = pa pb + beta C (beta 0: C not read), one thread: the bits nbt_sgemm gives these operands when
 * M, N > 4 (its packed path), K <= nbt_sgemm_kc() */
void nbt_sgemm_packed(int64_t M, int64_t N, int64_t K, const float *pa, const float *pb, float beta, float *C,
                      int64_t ldc);

#ifdef __cplusplus
}
#endif

#endif
