/* kernels_matmul.c — batched matmul on strided operands: the last two dims of each operand go to
 * the GEMM as-is when they are row-major or transposed (no copy), batch dims broadcast like torch. */
#include "nb_kernels.h"
#include "gemm.h"

/* can the last two dims be passed to GEMM? sets trans and leading dim */
static bool gemm_ready(const nb_tensor *t, bool *trans, int64_t *ld) {
    int r = t->ndim - 2, c = t->ndim - 1;
    int64_t rows = t->shape[r], cols = t->shape[c];
    if ((t->stride[c] == 1 || cols == 1) && t->stride[r] >= (cols > 1 ? cols : 1)) {
        *trans = false;
        *ld = t->stride[r] > 0 ? t->stride[r] : 1;
        if (rows == 1) *ld = cols > 0 ? cols : 1;
        return true;
    }
    if ((t->stride[r] == 1 || rows == 1) && t->stride[c] >= (rows > 1 ? rows : 1)) {
        *trans = true;
        *ld = t->stride[c] > 0 ? t->stride[c] : 1;
        if (cols == 1) *ld = rows > 0 ? rows : 1;
        return true;
    }
    return false;
}

/* Can the batch dims of a (row-major last two dims, row stride lda) merge with its rows into one matrix of
 * row stride lda? (torch.matmul folds an N-D @ 2-D product into one mm.) Rows of C are computed alike either
 * way, so folding changes no bit where the GEMM's path stays the packed one. */
static bool foldable(const nb_tensor *a, bool ta, int64_t lda) {
    if (ta || a->ndim < 3) return false;
    int64_t span = lda * a->shape[a->ndim - 2]; /* elements from one batch's first row to the next's */
    for (int d = a->ndim - 3; d >= 0; d--) {
        if (a->shape[d] != 1 && a->stride[d] != span) return false;
        span *= a->shape[d];
    }
    return true;
}

nb_tensor *nbt_matmul(const nb_tensor *a, const nb_tensor *b, const char *op) {
    int64_t n = a->shape[a->ndim - 2], k = a->shape[a->ndim - 1];
    int64_t k2 = b->shape[b->ndim - 2], m = b->shape[b->ndim - 1];
    if (k != k2)
        return nbt_error("%s: shapes %s and %s cannot be multiplied (%lld != %lld)", op, nbt_shape(a),
                         nbt_shape(b), (long long)k, (long long)k2);
    int64_t bshape[NB_MAX_DIMS];
    int bn = nbt_broadcast_shape(a->ndim - 2, a->shape, b->ndim - 2, b->shape, bshape);
    if (bn < 0 || bn + 2 > NB_MAX_DIMS)
        return nbt_error("%s: batch dims of %s and %s cannot be broadcast together", op, nbt_shape(a),
                         nbt_shape(b));
    nb_dtype dt = nbt_promote(a->dtype, b->dtype);
    if (dt == NB_I64) return nbt_error("%s: integer matmul is not supported; convert with nb_to first", op);
    const nb_tensor *ac = a->dtype == dt ? a : nbt_copy(a, dt), *bc = b->dtype == dt ? b : nbt_copy(b, dt);
    if (!ac || !bc) return NULL;
    bool ta = false, tb = false;
    int64_t lda = 1, ldb = 1;
    if (!gemm_ready(ac, &ta, &lda)) {
        const nb_tensor *t = nbt_copy(ac, dt);
        if (ac != a) nb_free((nb_tensor *)ac);
        ac = t;
        if (!ac) return NULL;
        gemm_ready(ac, &ta, &lda);
    }
    if (!gemm_ready(bc, &tb, &ldb)) {
        const nb_tensor *t = nbt_copy(bc, dt);
        if (bc != b) nb_free((nb_tensor *)bc);
        bc = t;
        if (!bc) return NULL;
        gemm_ready(bc, &tb, &ldb);
    }
    int64_t oshape[NB_MAX_DIMS];
    for (int i = 0; i < bn; i++) oshape[i] = bshape[i];
    oshape[bn] = n;
    oshape[bn + 1] = m;
    nb_tensor *y = nbt_new(dt, bn + 2, oshape);
    if (!y) return NULL;
    int64_t nbatch = 1;
    for (int i = 0; i < bn; i++) nbatch *= bshape[i];
    if ((double)nbatch * (double)n * (double)m * (double)k >= NBT_PAR_MIN) nbt_threads_check();
    size_t esz = nb_dtype_size(dt);
    if (nbatch > 1 && bc->ndim == 2 && foldable(ac, ta, lda)) { /* torch's fold: one (nbatch n, k) GEMM */
        n *= nbatch;
        nbatch = 1;
    }
    for (int64_t q = 0; q < nbatch; q++) {
        /* batch offsets of a and b (broadcast dims step 0) */
        int64_t r = q, oa = ac->offset, ob = bc->offset;
        for (int i = bn - 1; i >= 0; i--) {
            int64_t c = r % bshape[i];
            r /= bshape[i];
            int da = i - (bn - (ac->ndim - 2)), db = i - (bn - (bc->ndim - 2));
            if (da >= 0 && ac->shape[da] != 1) oa += c * ac->stride[da];
            if (db >= 0 && bc->shape[db] != 1) ob += c * bc->stride[db];
        }
        char *pa = (char *)ac->storage->data + oa * (int64_t)esz,
             *pb = (char *)bc->storage->data + ob * (int64_t)esz;
        char *py = (char *)nbt_ptr(y) + q * n * m * (int64_t)esz;
        if (dt == NB_F32)
            nbt_sgemm(ta, tb, n, m, k, 1.0f, (const float *)pa, lda, (const float *)pb, ldb, 0.0f,
                      (float *)py, m > 0 ? m : 1);
        else
            nbt_dgemm(ta, tb, n, m, k, 1.0, (const double *)pa, lda, (const double *)pb, ldb, 0.0,
                      (double *)py, m > 0 ? m : 1);
    }
    if (ac != a) nb_free((nb_tensor *)ac);
    if (bc != b) nb_free((nb_tensor *)bc);
    return y;
}

/* y (n, m) = x (n, k) @ w (m, k)^T + b (m): one GEMM that adds b to each tile of y as it stores it (torch's
 * addmm, bit-equal to filling y with b and a beta = 1 product; no separate bias pass).
 * x, w, b have one float dtype and matching sizes (the caller checks). */
nb_tensor *nbt_linear(const nb_tensor *x, const nb_tensor *w, const nb_tensor *b) {
    int64_t n = x->shape[0], k = x->shape[1], m = w->shape[0];
    nb_dtype dt = x->dtype;
    const nb_tensor *xc = x, *wc = w;
    bool tx = false, tw = false;
    int64_t ldx = 1, ldw = 1;
    if (!gemm_ready(xc, &tx, &ldx)) {
        xc = nbt_copy(x, dt);
        if (!xc) return NULL;
        gemm_ready(xc, &tx, &ldx);
    }
    if (!gemm_ready(wc, &tw, &ldw)) {
        wc = nbt_copy(w, dt);
        if (!wc) {
            if (xc != x) nb_free((nb_tensor *)xc);
            return NULL;
        }
        gemm_ready(wc, &tw, &ldw);
    }
    nb_tensor *y = nbt_new(dt, 2, (int64_t[]){ n, m });
    if ((double)n * (double)m * (double)k >= NBT_PAR_MIN) nbt_threads_check();
    /* the GEMM adds the bias as it stores y (no pass that copies it into y first); a strided bias is made
     * contiguous first (m values) */
    const nb_tensor *bc = y ? nbt_contig(b) : NULL;
    if (!bc) {
        nb_free(y);
        y = NULL;
    } else if (n > 0 && m > 0) {
        /* op(B) = w^T: w row-major (m x k) is B stored N x K, used transposed; a column-major w is w^T row-major */
        if (dt == NB_F32)
            nbt_sgemm_bias(tx, !tw, n, m, k, (const float *)nbt_ptr(xc), ldx, (const float *)nbt_ptr(wc), ldw,
                           (const float *)nbt_ptr(bc), (float *)nbt_ptr(y), m);
        else
            nbt_dgemm_bias(tx, !tw, n, m, k, (const double *)nbt_ptr(xc), ldx, (const double *)nbt_ptr(wc),
                           ldw, (const double *)nbt_ptr(bc), (double *)nbt_ptr(y), m);
    }
    if (bc && bc != b) nb_free((nb_tensor *)bc);
    if (xc != x) nb_free((nb_tensor *)xc);
    if (wc != w) nb_free((nb_tensor *)wc);
    return y;
}

/* dw (m, k) = g (n, m)^T @ x (n, k) and *db (m) = the column sums of g, in one GEMM that sums the packed blocks
 * of g^T as it goes (nbt_sgemm_asum), instead of a product and a separate pass over g. g and x have one float
 * dtype and n rows (the caller checks). */
nb_tensor *nbt_linear_wgrad(const nb_tensor *g, const nb_tensor *x, nb_tensor **db) {
    int64_t n = g->shape[0], m = g->shape[1], k = x->shape[1];
    nb_dtype dt = g->dtype;
    *db = NULL;
    const nb_tensor *gc = g, *xc = x;
    bool tg = false, tx = false;
    int64_t ldg = 1, ldx = 1;
    if (!gemm_ready(gc, &tg, &ldg) && (gc = nbt_copy(g, dt))) gemm_ready(gc, &tg, &ldg);
    if (gc && !gemm_ready(xc, &tx, &ldx) && (xc = nbt_copy(x, dt))) gemm_ready(xc, &tx, &ldx);
    nb_tensor *dw = gc && xc ? nbt_new(dt, 2, (int64_t[]){ m, k }) : NULL;
    nb_tensor *b = dw ? nbt_new(dt, 1, (int64_t[]){ m }) : NULL;
    /* the sums in double: straight into db for f64, a pooled f64 scratch for f32 */
    nb_tensor *acc = b && dt == NB_F32 ? nbt_new(NB_F64, 1, (int64_t[]){ m }) : b;
    if (acc) {
        double *asum = (double *)nbt_ptr(acc);
        for (int64_t i = 0; i < m; i++) asum[i] = 0;
        if ((double)n * (double)m * (double)k >= NBT_PAR_MIN) nbt_threads_check();
        /* op(A) = g^T: a row-major g is A stored K x M (transposed use); a column-major g is g^T row-major */
        if (dt == NB_F32) {
            nbt_sgemm_asum(!tg, tx, m, k, n, (const float *)nbt_ptr(gc), ldg, (const float *)nbt_ptr(xc), ldx,
                           0.0f, (float *)nbt_ptr(dw), k > 0 ? k : 1, asum);
            for (int64_t i = 0; i < m; i++) ((float *)nbt_ptr(b))[i] = (float)asum[i];
            nb_free(acc);
        } else {
            nbt_dgemm_asum(!tg, tx, m, k, n, (const double *)nbt_ptr(gc), ldg, (const double *)nbt_ptr(xc),
                           ldx, 0.0, (double *)nbt_ptr(dw), k > 0 ? k : 1, asum);
        }
        *db = b;
    } else { /* the failed allocation recorded its error */
        nb_free(dw), nb_free(b);
        dw = NULL;
    }
    if (gc && gc != g) nb_free((nb_tensor *)gc);
    if (xc && xc != x) nb_free((nb_tensor *)xc);
    return dw;
}
