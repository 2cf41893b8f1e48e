/* gemm_template.h — the per-dtype body of the packed GEMM (gemm.c), included once per float type
 * with NBG_T (float or double), NBG_SFX (s or d), NBG_IS_FLOAT, the block sizes NBG_MC/KC/NC and, where
 * the target has FMA, NBG_FMA/NBG_SPLAT defined; it #undefs them at the end. */

typedef NBG_T NBG(vec) __attribute__((vector_size(NBG_VBYTES)));
#define NBG_VL ((int)(NBG_VBYTES / sizeof(NBG_T)))
#define NBG_NR (NBG_NV * NBG_VL)
#ifndef NBG_FMA
#define NBG_FMA(a, b, c) ((a) * (b) + (c))
#define NBG_SPLAT(x) ((x) - (NBG(vec)){ 0 }) /* x - (+0) == x exactly, -0 and NaN included */
#endif

/* Per-thread packing buffers, grown on demand and kept for the life of the thread (freed at its exit). */
static _Thread_local NBG_T *NBG(buf_a), *NBG(buf_b);
static _Thread_local size_t NBG(cap_a), NBG(cap_b);
static pthread_key_t NBG(exit_key);
static pthread_once_t NBG(exit_once) = PTHREAD_ONCE_INIT;
static void NBG(thread_exit)(void *p) {
    (void)p;
    free(NBG(buf_a)), free(NBG(buf_b));
    NBG(buf_a) = NBG(buf_b) = NULL;
    NBG(cap_a) = NBG(cap_b) = 0;
}
static void NBG(make_key)(void) { pthread_key_create(&NBG(exit_key), NBG(thread_exit)); }

/* Returns a 64-byte aligned buffer of at least n elements kept in *buf (NULL if out of memory). */
static NBG_T *NBG(buffer)(NBG_T **buf, size_t *cap, size_t n) {
    if (n <= *cap) return *buf;
    pthread_once(&NBG(exit_once), NBG(make_key));
    pthread_setspecific(NBG(exit_key), (void *)1); /* non-NULL: the buffers are freed when the thread exits */
    size_t bytes = (n * sizeof(NBG_T) + 63) / 64 * 64;
    NBG_T *p = aligned_alloc(64, bytes);
    if (!p) return NULL;
    free(*buf);
    *buf = p, *cap = bytes / sizeof(NBG_T);
    return p;
}

/* out = mc x kc block of op(A) at A as MR-row micro-panels, k-major inside a panel, rows zero-padded. */
/* transposing packs copy NBG_PK values of k per row at a time, so the panel lines they fill stay in L1 */
#ifndef NBG_PK
#define NBG_PK 16
#endif
static void NBG(pack_a)(bool ta, int64_t mc, int64_t kc, const NBG_T *A, int64_t lda, NBG_T *restrict out) {
    for (int64_t ir = 0; ir < mc; ir += NBG_MR, out += NBG_MR * kc) {
        int m = (int)NBG_MIN(NBG_MR, mc - ir);
        if (!ta) { /* rows of A to columns of the panel, NBG_PK values of k at a time (stays in L1) */
            int64_t k0 = 0;
#if defined(NBG_VTRANS) && NBG_IS_FLOAT
            if (m == NBG_MR && NBG_MR % 4 == 0) /* full panel: vector transposes over k multiple of 8 */
                for (; k0 + NBG_PK <= kc; k0 += NBG_PK)
                    nbg_trans_s(NBG_MR, NBG_PK, A + ir * lda + k0, lda, out + k0 * NBG_MR, NBG_MR);
#endif
            for (; k0 < kc; k0 += NBG_PK) {
                int64_t k1 = NBG_MIN(kc, k0 + NBG_PK);
                for (int i = 0; i < m; i++) {
                    const NBG_T *src = A + (ir + i) * lda;
                    for (int64_t k = k0; k < k1; k++) out[k * NBG_MR + i] = src[k];
                }
                for (int i = m; i < NBG_MR; i++)
                    for (int64_t k = k0; k < k1; k++) out[k * NBG_MR + i] = 0;
            }
        } else {
            if (m == NBG_MR) /* a fixed-size copy per k (inlined; the loop below becomes a memmove call) */
                for (int64_t k = 0; k < kc; k++)
                    memcpy(out + k * NBG_MR, A + k * lda + ir, sizeof(NBG_T) * NBG_MR);
            else
                for (int64_t k = 0; k < kc; k++) {
                    const NBG_T *src = A + k * lda + ir;
                    for (int i = 0; i < m; i++) out[k * NBG_MR + i] = src[i];
                    for (int i = m; i < NBG_MR; i++) out[k * NBG_MR + i] = 0;
                }
        }
    }
}

/* out = kc x nc panel of op(B) at B as NR-column slivers, k-major inside a sliver, columns zero-padded. */
static void NBG(pack_b)(bool tb, int64_t kc, int64_t nc, const NBG_T *B, int64_t ldb, NBG_T *restrict out) {
    for (int64_t jr = 0; jr < nc; jr += NBG_NR, out += NBG_NR * kc) {
        int n = (int)NBG_MIN(NBG_NR, nc - jr);
        if (!tb) {
            if (n == NBG_NR) /* a fixed-size copy per k (inlined; the loop below becomes a memmove call) */
                for (int64_t k = 0; k < kc; k++)
                    memcpy(out + k * NBG_NR, B + k * ldb + jr, sizeof(NBG_T) * NBG_NR);
            else
                for (int64_t k = 0; k < kc; k++) {
                    const NBG_T *src = B + k * ldb + jr;
                    for (int j = 0; j < n; j++) out[k * NBG_NR + j] = src[j];
                    for (int j = n; j < NBG_NR; j++) out[k * NBG_NR + j] = 0;
                }
        } else { /* rows of B^T to columns of the panel, NBG_PK values of k at a time (stays in L1) */
            int64_t k0 = 0;
#if defined(NBG_VTRANS) && NBG_IS_FLOAT
            if (n == NBG_NR && NBG_NR % 4 == 0)
                for (; k0 + NBG_PK <= kc; k0 += NBG_PK)
                    nbg_trans_s(NBG_NR, NBG_PK, B + jr * ldb + k0, ldb, out + k0 * NBG_NR, NBG_NR);
#endif
            for (; k0 < kc; k0 += NBG_PK) {
                int64_t k1 = NBG_MIN(kc, k0 + NBG_PK);
                for (int j = 0; j < n; j++) {
                    const NBG_T *src = B + (jr + j) * ldb;
                    for (int64_t k = k0; k < k1; k++) out[k * NBG_NR + j] = src[k];
                }
                for (int j = n; j < NBG_NR; j++)
                    for (int64_t k = k0; k < k1; k++) out[k * NBG_NR + j] = 0;
            }
        }
    }
}

/* C[mr,nr] = alpha * a @ b + (load ? beta * C : 0) for one packed MR x kc panel a and kc x NR sliver b,
 * computing the first `rows` (>= mr, a constant after inlining) rows of the panel. */
static inline __attribute__((always_inline)) void NBG(kernel_rows)(int rows, int64_t kc,
                                                                   const NBG_T *restrict a,
                                                                   const NBG_T *restrict b, NBG_T *restrict C,
                                                                   int64_t ldc, int mr, int nr, NBG_T alpha,
                                                                   NBG_T beta, bool load) {
    NBG(vec) acc[NBG_MR][NBG_NV];
#pragma GCC unroll 16
    for (int i = 0; i < NBG_MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < NBG_NV; v++) acc[i][v] = (NBG(vec)){ 0 };
    for (int i = 0; i < mr; i++)
        __builtin_prefetch(C + i * ldc, 1), __builtin_prefetch(C + i * ldc + NBG_NR - 1, 1);
    /* no alignment hint: a panel slice starts at k * MR (or NR) elements into the 64-byte aligned pack,
     * which is not 64-byte aligned for every kc (UBSan: f64, k = 1); the loads are memcpy anyway */
    for (int64_t k = 0; k < kc; k++, a += NBG_MR, b += NBG_NR) {
        NBG(vec) bv[NBG_NV];
#pragma GCC unroll 4
        for (int v = 0; v < NBG_NV; v++) memcpy(&bv[v], b + v * NBG_VL, sizeof bv[v]);
#pragma GCC unroll 16
        for (int i = 0; i < rows; i++) {
            NBG(vec) ai = NBG_SPLAT(a[i]);
#pragma GCC unroll 4
            for (int v = 0; v < NBG_NV; v++) acc[i][v] = NBG_FMA(ai, bv[v], acc[i][v]);
        }
    }
    if (mr == NBG_MR && nr == NBG_NR) {
#pragma GCC unroll 16
        for (int i = 0; i < NBG_MR; i++)
#pragma GCC unroll 4
            for (int v = 0; v < NBG_NV; v++) {
                NBG_T *c = C + i * ldc + v * NBG_VL;
                NBG(vec) r = acc[i][v] * alpha, cv;
                if (load) memcpy(&cv, c, sizeof cv), r += cv * beta;
                memcpy(c, &r, sizeof r);
            }
        return;
    }
    NBG_T t[NBG_MR][NBG_NR];
    memcpy(t, acc, sizeof t);
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            NBG_T r = t[i][j] * alpha;
            if (load) r += C[i * ldc + j] * beta;
            C[i * ldc + j] = r;
        }
}

/* The register-tile kernel: a short last panel (at most MR/3 rows, e.g. 64 = 5 * 12 + 4 batch rows)
 * runs the rows it has only; every element of C still sees the same operations in the same order. */
static void NBG(kernel)(int64_t kc, const NBG_T *restrict a, const NBG_T *restrict b, NBG_T *restrict C,
                        int64_t ldc, int mr, int nr, NBG_T alpha, NBG_T beta, bool load) {
    if (mr <= NBG_MR / 3)
        NBG(kernel_rows)(NBG_MR / 3, kc, a, b, C, ldc, mr, nr, alpha, beta, load);
    else
        NBG(kernel_rows)(NBG_MR, kc, a, b, C, ldc, mr, nr, alpha, beta, load);
}

/* C = beta * C, without reading C when beta == 0 (the K == 0 or alpha == 0 case). */
static void NBG(scale)(int64_t M, int64_t N, NBG_T beta, NBG_T *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0 ? 0 : C[i * ldc + j] * beta;
}

/* Returns sum_k a[k*sa] * b[k*sb] for k < K: 4 vector partial sums when both are contiguous. */
static NBG_T NBG(dot)(int64_t K, const NBG_T *a, int64_t sa, const NBG_T *b, int64_t sb) {
    NBG_T sum = 0;
    int64_t k = 0;
    if (sa == 1 && sb == 1) {
        NBG(vec) s[4] = { { 0 } };
        for (; k + 4 * NBG_VL <= K; k += 4 * NBG_VL)
#pragma GCC unroll 4
            for (int v = 0; v < 4; v++) {
                NBG(vec) x, y;
                memcpy(&x, a + k + v * NBG_VL, sizeof x), memcpy(&y, b + k + v * NBG_VL, sizeof y);
                s[v] = NBG_FMA(x, y, s[v]);
            }
        NBG(vec) t = (s[0] + s[1]) + (s[2] + s[3]);
        for (int l = 0; l < NBG_VL; l++) sum += t[l];
    }
    for (; k < K; k++) sum += a[k * sa] * b[k * sb];
    return sum;
}

/* Unpacked GEMM on element strides: C(i,j) = C[i*csi + j*csj], op(A)(i,k) = A[i*sai + k*sak],
 * op(B)(k,j) = B[k*sbk + j*sbj]. For degenerate shapes (M tiny; N tiny after swapping roles) and as
 * the fallback when packing buffers cannot be allocated. Axpy form along contiguous rows of B and C,
 * otherwise one dot product per element of C. */
static void NBG(direct)(int64_t M, int64_t N, int64_t K, NBG_T alpha, const NBG_T *A, int64_t sai,
                        int64_t sak, const NBG_T *B, int64_t sbk, int64_t sbj, NBG_T beta, NBG_T *C,
                        int64_t csi, int64_t csj) {
    if (sbj == 1 && csj == 1 && N >= 8) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * csi + j] = beta == 0 ? 0 : C[i * csi + j] * beta;
        for (int64_t k = 0; k < K; k++) {
            const NBG_T *restrict b = B + k * sbk;
            for (int64_t i = 0; i < M; i++) {
                NBG_T *restrict c = C + i * csi, aik = alpha * A[i * sai + k * sak];
                for (int64_t j = 0; j < N; j++) c[j] += aik * b[j];
            }
        }
        return;
    }
    for (int64_t j = 0; j < N; j++)
        for (int64_t i = 0; i < M; i++) {
            const NBG_T *a = A + i * sai, *b = B + j * sbj;
            NBG_T sum = NBG(dot)(K, a, sak, b, sbk);
            NBG_T *c = C + i * csi + j * csj;
            *c = alpha * sum + (beta == 0 ? 0 : *c * beta);
        }
}

/* Packed GEMM on one rectangle of C, run by one thread; A, B, C point at the rectangle's origin. */
static void NBG(block)(bool ta, bool tb, int64_t M, int64_t N, int64_t K, NBG_T alpha, const NBG_T *A,
                       int64_t lda, const NBG_T *B, int64_t ldb, NBG_T beta, NBG_T *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    int64_t kcmax = NBG_MIN(K, NBG_KC);
    NBG_T *pa = NBG(buffer)(&NBG(buf_a), &NBG(cap_a),
                            (size_t)(nbg_roundup(NBG_MIN(M, NBG_MC), NBG_MR) * kcmax));
    NBG_T *pb = NBG(buffer)(&NBG(buf_b), &NBG(cap_b),
                            (size_t)(nbg_roundup(NBG_MIN(N, NBG_NC), NBG_NR) * kcmax));
    if (!pa || !pb) {
        NBG(direct)
        (M, N, K, alpha, A, ta ? 1 : lda, ta ? lda : 1, B, tb ? 1 : ldb, tb ? ldb : 1, beta, C, ldc, 1);
        return;
    }
    for (int64_t jc = 0; jc < N; jc += NBG_NC) {
        int64_t nc = NBG_MIN(NBG_NC, N - jc);
        for (int64_t pc = 0; pc < K; pc += NBG_KC) {
            int64_t kc = NBG_MIN(NBG_KC, K - pc);
            bool first = pc == 0, load = !(first && beta == 0);
            NBG_T bt = first ? beta : 1;
            NBG(pack_b)(tb, kc, nc, tb ? B + jc * ldb + pc : B + pc * ldb + jc, ldb, pb);
            for (int64_t ic = 0; ic < M; ic += NBG_MC) {
                int64_t mc = NBG_MIN(NBG_MC, M - ic);
                NBG(pack_a)(ta, mc, kc, ta ? A + pc * lda + ic : A + ic * lda + pc, lda, pa);
                for (int64_t jr = 0; jr < nc; jr += NBG_NR)
                    for (int64_t ir = 0; ir < mc; ir += NBG_MR) NBG(kernel)
                (kc, pa + ir * kc, pb + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc,
                 (int)NBG_MIN(NBG_MR, mc - ir), (int)NBG_MIN(NBG_NR, nc - jr), alpha, bt, load);
            }
        }
    }
}

/* Entry point for this dtype: degenerate shapes, then threads over aligned rectangles of C. */
static void NBG(gemm)(bool ta, bool tb, int64_t M, int64_t N, int64_t K, NBG_T alpha, const NBG_T *A,
                      int64_t lda, const NBG_T *B, int64_t ldb, NBG_T beta, NBG_T *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0) {
        NBG(scale)(M, N, beta, C, ldc);
        return;
    }
    int64_t sai = ta ? 1 : lda, sak = ta ? lda : 1, sbk = tb ? 1 : ldb, sbj = tb ? ldb : 1;
    if (M <= NBG_DIRECT_DIM) {
        NBG(direct)(M, N, K, alpha, A, sai, sak, B, sbk, sbj, beta, C, ldc, 1);
        return;
    }
    if (N <= NBG_DIRECT_DIM) { /* C^T = op(B)^T op(A)^T: the tiny dimension becomes the rows */
        NBG(direct)(N, M, K, alpha, B, sbj, sbk, A, sak, sai, beta, C, 1, ldc);
        return;
    }
    int nt = nbg_threads(M, N, K);
    if (nt <= 1) {
        NBG(block)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#ifdef _OPENMP
    /* pieces of C handed out dynamically (NBG_PIECES per thread when the work allows): a thread whose
     * CPU is taken by another process does fewer; no bit depends on the pieces (see Determinism) */
    int np = (double)M * (double)N * (double)K >= (double)nt * NBG_PIECES * NBG_THREAD_WORK ? nt * NBG_PIECES
                                                                                            : nt;
    int tm = 1;
    int64_t rows = M, cols = N;
    nbg_grid(M, N, np, NBG_MR, NBG_NR, &tm, &rows, &cols);
    const int tn = np / tm;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int t = 0; t < np; t++) {
        int64_t i0 = (t / tn) * rows, j0 = (t % tn) * cols;
        if (i0 < M && j0 < N) NBG(block)
        (ta, tb, NBG_MIN(rows, M - i0), NBG_MIN(cols, N - j0), K, alpha, ta ? A + i0 : A + i0 * lda, lda,
         tb ? B + j0 * ldb : B + j0, ldb, beta, C + i0 * ldc + j0, ldc);
    }
#endif
}

#undef NBG_T
#undef NBG_SFX
#undef NBG_IS_FLOAT
#undef NBG_MC
#undef NBG_KC
#undef NBG_NC
#undef NBG_VL
#undef NBG_NR
#undef NBG_FMA
#undef NBG_SPLAT
