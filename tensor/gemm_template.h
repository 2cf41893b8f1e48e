/* gemm_template.h — the per-dtype body of the packed GEMM (gemm.c), included once per float type
 * with NBT_T (float or double), NBT_SFX (s or d), NBT_IS_FLOAT, the block sizes NBT_MC/KC/NC and, where
 * the target has FMA, NBT_FMA/NBT_SPLAT defined; it #undefs them at the end. */

typedef NBT_T NBG(vec) __attribute__((vector_size(NBT_VBYTES)));
#define NBT_VL ((int)(NBT_VBYTES / sizeof(NBT_T)))
#define NBT_NR (NBT_NV * NBT_VL)
#ifndef NBT_FMA
#define NBT_FMA(a, b, c) ((a) * (b) + (c))
#define NBT_SPLAT(x) ((x) - (NBG(vec)){ 0 }) /* x - (+0) == x exactly, -0 and NaN included */
#endif

/* Per-thread packing buffers, grown on demand and kept for the life of the thread (freed at its exit). */
static _Thread_local NBT_T *NBG(buf_a), *NBG(buf_b);
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
static NBT_T *NBG(buffer)(NBT_T **buf, size_t *cap, size_t n) {
    if (n <= *cap) return *buf;
    pthread_once(&NBG(exit_once), NBG(make_key));
    pthread_setspecific(NBG(exit_key), (void *)1); /* non-NULL: the buffers are freed when the thread exits */
    size_t bytes = (n * sizeof(NBT_T) + 63) / 64 * 64;
    NBT_T *p = aligned_alloc(64, bytes);
    if (!p) return NULL;
    free(*buf);
    *buf = p, *cap = bytes / sizeof(NBT_T);
    return p;
}

/* out = mc x kc block of op(A) at A as MR-row micro-panels, k-major inside a panel, rows zero-padded. */
/* transposing packs copy NBT_PK values of k per row at a time, so the panel lines they fill stay in L1 */
#ifndef NBT_PK
#define NBT_PK 16
#endif
static void NBG(pack_a)(bool ta, int64_t mc, int64_t kc, const NBT_T *A, int64_t lda, NBT_T *restrict out) {
    if (ta) { /* op(A) stored K x M: row k holds the mc values every panel takes at k; sweeping k outermost reads
               * each row of A once, in order (panel by panel would revisit the rows, lda apart, per panel) */
        for (int64_t k = 0; k < kc; k++) {
            const NBT_T *src = A + k * lda;
            NBT_T *o = out + k * NBT_MR;
            int64_t ir = 0;
            for (; ir + NBT_MR <= mc; ir += NBT_MR, o += NBT_MR * kc)
                memcpy(o, src + ir, sizeof(NBT_T) * NBT_MR); /* a fixed-size copy (inlined) */
            if (ir < mc) {
                int m = (int)(mc - ir);
                for (int i = 0; i < m; i++) o[i] = src[ir + i];
                for (int i = m; i < NBT_MR; i++) o[i] = 0;
            }
        }
        return;
    }
    for (int64_t ir = 0; ir < mc; ir += NBT_MR, out += NBT_MR * kc) {
        int m = (int)NBT_MIN(NBT_MR, mc - ir);
        /* rows of A to columns of the panel, NBT_PK values of k at a time (stays in L1) */
        int64_t k0 = 0;
#if defined(NBT_VTRANS) && NBT_IS_FLOAT
        if (m == NBT_MR && NBT_MR % 4 == 0) /* full panel: vector transposes over k multiple of 8 */
            for (; k0 + NBT_PK <= kc; k0 += NBT_PK)
                nbt_trans_s(NBT_MR, NBT_PK, A + ir * lda + k0, lda, out + k0 * NBT_MR, NBT_MR);
        if (m == NBT_MR && NBT_MR == 6) /* the AVX2 panel: 6-row transposes */
            for (; k0 + NBT_PK <= kc; k0 += NBT_PK)
                nbt_trans6_s(NBT_PK, A + ir * lda + k0, lda, out + k0 * NBT_MR);
#endif
        for (; k0 < kc; k0 += NBT_PK) {
            int64_t k1 = NBT_MIN(kc, k0 + NBT_PK);
            for (int i = 0; i < m; i++) {
                const NBT_T *src = A + (ir + i) * lda;
                for (int64_t k = k0; k < k1; k++) out[k * NBT_MR + i] = src[k];
            }
            for (int i = m; i < NBT_MR; i++)
                for (int64_t k = k0; k < k1; k++) out[k * NBT_MR + i] = 0;
        }
    }
}

/* out = kc x nc panel of op(B) at B as NR-column slivers, k-major inside a sliver, columns zero-padded. */
static void NBG(pack_b)(bool tb, int64_t kc, int64_t nc, const NBT_T *B, int64_t ldb, NBT_T *restrict out) {
    for (int64_t jr = 0; jr < nc; jr += NBT_NR, out += NBT_NR * kc) {
        int n = (int)NBT_MIN(NBT_NR, nc - jr);
        if (!tb) {
            if (n == NBT_NR) /* a fixed-size copy per k (inlined; the loop below becomes a memmove call) */
                for (int64_t k = 0; k < kc; k++)
                    memcpy(out + k * NBT_NR, B + k * ldb + jr, sizeof(NBT_T) * NBT_NR);
            else
                for (int64_t k = 0; k < kc; k++) {
                    const NBT_T *src = B + k * ldb + jr;
                    for (int j = 0; j < n; j++) out[k * NBT_NR + j] = src[j];
                    for (int j = n; j < NBT_NR; j++) out[k * NBT_NR + j] = 0;
                }
        } else { /* rows of B^T to columns of the panel, NBT_PK values of k at a time (stays in L1) */
            int64_t k0 = 0;
#if defined(NBT_VTRANS) && NBT_IS_FLOAT
            if (n == NBT_NR && NBT_NR % 4 == 0)
                for (; k0 + NBT_PK <= kc; k0 += NBT_PK)
                    nbt_trans_s(NBT_NR, NBT_PK, B + jr * ldb + k0, ldb, out + k0 * NBT_NR, NBT_NR);
#endif
            for (; k0 < kc; k0 += NBT_PK) {
                int64_t k1 = NBT_MIN(kc, k0 + NBT_PK);
                for (int j = 0; j < n; j++) {
                    const NBT_T *src = B + (jr + j) * ldb;
                    for (int64_t k = k0; k < k1; k++) out[k * NBT_NR + j] = src[k];
                }
                for (int j = n; j < NBT_NR; j++)
                    for (int64_t k = k0; k < k1; k++) out[k * NBT_NR + j] = 0;
            }
        }
    }
}

/* C[mr,nr] = alpha * a @ b + (load ? beta * C : bias ? bias[j] : 0) for one packed MR x kc panel a and
 * kc x NR sliver b, computing the first `rows` (>= mr, a constant after inlining) rows of the panel. */
static inline __attribute__((always_inline)) void NBG(kernel_rows)(
    int rows, int64_t kc, const NBT_T *restrict a, const NBT_T *restrict b, NBT_T *restrict C, int64_t ldc,
    int mr, int nr, NBT_T alpha, NBT_T beta, bool load, const NBT_T *restrict bias) {
    NBG(vec) acc[NBT_MR][NBT_NV];
#pragma GCC unroll 16
    for (int i = 0; i < NBT_MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < NBT_NV; v++) acc[i][v] = (NBG(vec)){ 0 };
    for (int i = 0; i < mr; i++)
        __builtin_prefetch(C + i * ldc, 1), __builtin_prefetch(C + i * ldc + NBT_NR - 1, 1);
    /* no alignment hint: a panel slice starts at k * MR (or NR) elements into the 64-byte aligned pack,
     * which is not 64-byte aligned for every kc (UBSan: f64, k = 1); the loads are memcpy anyway */
    for (int64_t k = 0; k < kc; k++, a += NBT_MR, b += NBT_NR) {
        NBG(vec) bv[NBT_NV];
#pragma GCC unroll 4
        for (int v = 0; v < NBT_NV; v++) memcpy(&bv[v], b + v * NBT_VL, sizeof bv[v]);
#pragma GCC unroll 16
        for (int i = 0; i < rows; i++) {
            NBG(vec) ai = NBT_SPLAT(a[i]);
#pragma GCC unroll 4
            for (int v = 0; v < NBT_NV; v++) acc[i][v] = NBT_FMA(ai, bv[v], acc[i][v]);
        }
    }
    if (mr == NBT_MR && nr == NBT_NR) {
#pragma GCC unroll 16
        for (int i = 0; i < NBT_MR; i++)
#pragma GCC unroll 4
            for (int v = 0; v < NBT_NV; v++) {
                NBT_T *c = C + i * ldc + v * NBT_VL;
                NBG(vec) r = acc[i][v] * alpha, cv;
                if (load)
                    memcpy(&cv, c, sizeof cv), r += cv * beta;
                else if (bias)
                    memcpy(&cv, bias + v * NBT_VL, sizeof cv), r += cv;
                memcpy(c, &r, sizeof r);
            }
        return;
    }
    NBT_T t[NBT_MR][NBT_NR];
    memcpy(t, acc, sizeof t);
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            NBT_T r = t[i][j] * alpha;
            if (load)
                r += C[i * ldc + j] * beta;
            else if (bias)
                r += bias[j];
            C[i * ldc + j] = r;
        }
}

/* The register-tile kernel: a short last panel (at most MR/3 rows, e.g. 64 = 5 * 12 + 4 batch rows)
 * runs the rows it has only; every element of C still sees the same operations in the same order. */
static void NBG(kernel)(int64_t kc, const NBT_T *restrict a, const NBT_T *restrict b, NBT_T *restrict C,
                        int64_t ldc, int mr, int nr, NBT_T alpha, NBT_T beta, bool load, const NBT_T *bias) {
    if (mr <= NBT_MR / 3)
        NBG(kernel_rows)(NBT_MR / 3, kc, a, b, C, ldc, mr, nr, alpha, beta, load, bias);
    else
        NBG(kernel_rows)(NBT_MR, kc, a, b, C, ldc, mr, nr, alpha, beta, load, bias);
}

/* C = beta * C, without reading C when beta == 0 (the K == 0 or alpha == 0 case). */
static void NBG(scale)(int64_t M, int64_t N, NBT_T beta, NBT_T *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0 ? 0 : C[i * ldc + j] * beta;
}

/* C[i][j] = bias[j] for every row i < M (the bias rows that beta = 1 then adds to). */
static void NBG(fill_bias)(int64_t M, int64_t N, const NBT_T *bias, NBT_T *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) memcpy(C + i * ldc, bias, (size_t)N * sizeof *C);
}

/* Returns sum_k a[k*sa] * b[k*sb] for k < K: 4 vector partial sums when both are contiguous. */
static NBT_T NBG(dot)(int64_t K, const NBT_T *a, int64_t sa, const NBT_T *b, int64_t sb) {
    NBT_T sum = 0;
    int64_t k = 0;
    if (sa == 1 && sb == 1) {
        NBG(vec) s[4] = { { 0 } };
        for (; k + 4 * NBT_VL <= K; k += 4 * NBT_VL)
#pragma GCC unroll 4
            for (int v = 0; v < 4; v++) {
                NBG(vec) x, y;
                memcpy(&x, a + k + v * NBT_VL, sizeof x), memcpy(&y, b + k + v * NBT_VL, sizeof y);
                s[v] = NBT_FMA(x, y, s[v]);
            }
        NBG(vec) t = (s[0] + s[1]) + (s[2] + s[3]);
        for (int l = 0; l < NBT_VL; l++) sum += t[l];
    }
    for (; k < K; k++) sum += a[k * sa] * b[k * sb];
    return sum;
}

/* Unpacked GEMM on element strides: C(i,j) = C[i*csi + j*csj], op(A)(i,k) = A[i*sai + k*sak],
 * op(B)(k,j) = B[k*sbk + j*sbj]. For degenerate shapes (M tiny; N tiny after swapping roles) and as
 * the fallback when packing buffers cannot be allocated. Axpy form along contiguous rows of B and C,
 * otherwise one dot product per element of C. */
static void NBG(direct)(int64_t M, int64_t N, int64_t K, NBT_T alpha, const NBT_T *A, int64_t sai,
                        int64_t sak, const NBT_T *B, int64_t sbk, int64_t sbj, NBT_T beta, NBT_T *C,
                        int64_t csi, int64_t csj) {
    if (sbj == 1 && csj == 1 && N >= 8) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * csi + j] = beta == 0 ? 0 : C[i * csi + j] * beta;
        for (int64_t k = 0; k < K; k++) {
            const NBT_T *restrict b = B + k * sbk;
            for (int64_t i = 0; i < M; i++) {
                NBT_T *restrict c = C + i * csi, aik = alpha * A[i * sai + k * sak];
                for (int64_t j = 0; j < N; j++) c[j] += aik * b[j];
            }
        }
        return;
    }
    for (int64_t j = 0; j < N; j++)
        for (int64_t i = 0; i < M; i++) {
            const NBT_T *a = A + i * sai, *b = B + j * sbj;
            NBT_T sum = NBG(dot)(K, a, sak, b, sbk);
            NBT_T *c = C + i * csi + j * csj;
            *c = alpha * sum + (beta == 0 ? 0 : *c * beta);
        }
}

/* asum[i] += the kc values of row i of the packed mc x kc block pa (MR-row panels, k-major), k in order */
static void NBG(panel_sums)(int64_t mc, int64_t kc, const NBT_T *pa, double *asum) {
    for (int64_t ir = 0; ir < mc; ir += NBT_MR, pa += NBT_MR * kc) {
        int m = (int)NBT_MIN(NBT_MR, mc - ir);
        double s[NBT_MR];
        for (int i = 0; i < NBT_MR; i++) s[i] = 0;
        for (int64_t k = 0; k < kc; k++)
            for (int i = 0; i < NBT_MR; i++) s[i] += pa[k * NBT_MR + i];
        for (int i = 0; i < m; i++) asum[ir + i] += s[i];
    }
}

/* asum[i] += sum over k of op(A)(i, k) for i < M, k in order (the unpacked paths' row sums) */
static void NBG(row_sums)(bool ta, int64_t M, int64_t K, const NBT_T *A, int64_t lda, double *asum) {
    for (int64_t i = 0; i < M; i++) {
        double s = 0;
        for (int64_t k = 0; k < K; k++) s += ta ? A[k * lda + i] : A[i * lda + k];
        asum[i] += s;
    }
}

/* Packed GEMM on one rectangle of C, run by one thread; A, B, C and bias (NULL, or N values added to every
 * row of C when beta == 0) point at the rectangle's origin. */
static void NBG(block)(bool ta, bool tb, int64_t M, int64_t N, int64_t K, NBT_T alpha, const NBT_T *A,
                       int64_t lda, const NBT_T *B, int64_t ldb, NBT_T beta, NBT_T *C, int64_t ldc,
                       const NBT_T *bias, double *asum) {
    if (M <= 0 || N <= 0) return;
    int64_t kcmax = NBT_MIN(K, NBT_KC);
    NBT_T *pa = NBG(buffer)(&NBG(buf_a), &NBG(cap_a),
                            (size_t)(nbt_roundup(NBT_MIN(M, NBT_MC), NBT_MR) * kcmax));
    NBT_T *pb = NBG(buffer)(&NBG(buf_b), &NBG(cap_b),
                            (size_t)(nbt_roundup(NBT_MIN(N, NBT_NC), NBT_NR) * kcmax));
    if (!pa || !pb) {
        if (asum) NBG(row_sums)(ta, M, K, A, lda, asum);
        if (bias && beta == 0) NBG(fill_bias)(M, N, bias, C, ldc), beta = 1;
        NBG(direct)
        (M, N, K, alpha, A, ta ? 1 : lda, ta ? lda : 1, B, tb ? 1 : ldb, tb ? ldb : 1, beta, C, ldc, 1);
        return;
    }
    for (int64_t jc = 0; jc < N; jc += NBT_NC) {
        int64_t nc = NBT_MIN(NBT_NC, N - jc);
        for (int64_t pc = 0; pc < K; pc += NBT_KC) {
            int64_t kc = NBT_MIN(NBT_KC, K - pc);
            bool first = pc == 0, load = !(first && beta == 0);
            NBT_T bt = first ? beta : 1;
            NBG(pack_b)(tb, kc, nc, tb ? B + jc * ldb + pc : B + pc * ldb + jc, ldb, pb);
            for (int64_t ic = 0; ic < M; ic += NBT_MC) {
                int64_t mc = NBT_MIN(NBT_MC, M - ic);
                NBG(pack_a)(ta, mc, kc, ta ? A + pc * lda + ic : A + ic * lda + pc, lda, pa);
                if (asum && jc == 0) NBG(panel_sums)(mc, kc, pa, asum + ic); /* while the block is in cache */
                for (int64_t jr = 0; jr < nc; jr += NBT_NR)
                    for (int64_t ir = 0; ir < mc; ir += NBT_MR) NBG(kernel)
                (kc, pa + ir * kc, pb + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc,
                 (int)NBT_MIN(NBT_MR, mc - ir), (int)NBT_MIN(NBT_NR, nc - jr), alpha, bt, load,
                 bias && !load ? bias + jc + jr : NULL);
            }
        }
    }
}

#if NBT_IS_FLOAT /* (exposed for floats only: nbt_sgemm_packed) */
/* C[M,N] = pa pb + beta C (beta 0: C not read) for op(A) packed whole by pack_a (M rows; K <= KC) and op(B) by
 * pack_b's layout (NR-column slivers, zero-padded): block()'s kernel sweep without its packing, on one thread,
 * so every element of C sees what gemm()'s packed path gives it. */
static void NBG(gemm_packed)(int64_t M, int64_t N, int64_t K, const NBT_T *pa, const NBT_T *pb, NBT_T beta,
                             NBT_T *C, int64_t ldc) {
    for (int64_t ic = 0; ic < M; ic += NBT_MC) {
        int64_t mc = NBT_MIN(NBT_MC, M - ic);
        for (int64_t jr = 0; jr < N; jr += NBT_NR)
            for (int64_t ir = 0; ir < mc; ir += NBT_MR) NBG(kernel)
        (K, pa + (ic + ir) * K, pb + jr * K, C + (ic + ir) * ldc + jr, ldc, (int)NBT_MIN(NBT_MR, mc - ir),
         (int)NBT_MIN(NBT_NR, N - jr), 1, beta, beta != 0, NULL);
    }
}
#endif

/* Entry point for this dtype: degenerate shapes, then threads over aligned rectangles of C. bias (NULL,
 * or N values; only with beta == 0) is added to every row of C as if C held it and beta were 1. */
static void NBG(gemm)(bool ta, bool tb, int64_t M, int64_t N, int64_t K, NBT_T alpha, const NBT_T *A,
                      int64_t lda, const NBT_T *B, int64_t ldb, NBT_T beta, NBT_T *C, int64_t ldc,
                      const NBT_T *bias, double *asum) {
    bool unpacked = N <= 0 || K <= 0 || alpha == 0 || M <= NBT_DIRECT_DIM || N <= NBT_DIRECT_DIM;
    if (asum && unpacked) NBG(row_sums)(ta, M, K > 0 ? K : 0, A, lda, asum), asum = NULL; /* summed apart */
    if (M <= 0 || N <= 0) return;
    if (bias && unpacked) NBG(fill_bias)(M, N, bias, C, ldc), beta = 1, bias = NULL; /* C holds it */
    if (K <= 0 || alpha == 0) {
        NBG(scale)(M, N, beta, C, ldc);
        return;
    }
    int64_t sai = ta ? 1 : lda, sak = ta ? lda : 1, sbk = tb ? 1 : ldb, sbj = tb ? ldb : 1;
    if (M <= NBT_DIRECT_DIM) {
        NBG(direct)(M, N, K, alpha, A, sai, sak, B, sbk, sbj, beta, C, ldc, 1);
        return;
    }
    if (N <= NBT_DIRECT_DIM) { /* C^T = op(B)^T op(A)^T: the tiny dimension becomes the rows */
        NBG(direct)(N, M, K, alpha, B, sbj, sbk, A, sak, sai, beta, C, 1, ldc);
        return;
    }
    int nt = nbt_threads(M, N, K);
    if (nt <= 1) {
        NBG(block)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, asum);
        return;
    }
#ifdef _OPENMP
    /* pieces of C handed out dynamically (NBT_PIECES per thread when the work allows): a thread whose
     * CPU is taken by another process does fewer; no bit depends on the pieces (see Determinism) */
    int np = (double)M * (double)N * (double)K >= (double)nt * NBT_PIECES * NBT_THREAD_WORK ? nt * NBT_PIECES
                                                                                            : nt;
    int tm = 1;
    int64_t rows = M, cols = N;
    nbt_grid(M, N, np, NBT_MR, NBT_NR, &tm, &rows, &cols);
    const int tn = np / tm;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int t = 0; t < np; t++) {
        int64_t i0 = (t / tn) * rows, j0 = (t % tn) * cols;
        if (i0 < M && j0 < N) NBG(block)
        (ta, tb, NBT_MIN(rows, M - i0), NBT_MIN(cols, N - j0), K, alpha, ta ? A + i0 : A + i0 * lda, lda,
         tb ? B + j0 * ldb : B + j0, ldb, beta, C + i0 * ldc + j0, ldc, bias ? bias + j0 : NULL,
         asum && j0 == 0 ? asum + i0 : NULL); /* the pieces of the first column of C sum the rows */
    }
#endif
}

#undef NBT_T
#undef NBT_SFX
#undef NBT_IS_FLOAT
#undef NBT_MC
#undef NBT_KC
#undef NBT_NC
#undef NBT_VL
#undef NBT_NR
#undef NBT_FMA
#undef NBT_SPLAT
