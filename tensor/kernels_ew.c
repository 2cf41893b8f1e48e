/* kernels_ew.c — elementwise kernels: a strided broadcasting iterator (dims coalesced, rows of the
 * innermost dim, OpenMP over fixed linear chunks above NBT_PAR_MIN elements, so results do not
 * depend on the thread count), and unary / binary / where / copy built on it. */
#include "nb_kernels.h"
#include "nbt_verf.h"
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* y <= 0 ? 0 : g on the bits (integer selects, so that loops over it vectorize: the float compare kept them
 * scalar under -ftrapping-math, a mispredicted branch per element on random signs): y <= 0 is +0, or the sign
 * bit set on a non-NaN; a NaN y passes g, as torch's threshold_backward does */
static inline float nbt_relu_bwf(float g, float y) {
    uint32_t gb, yb;
    memcpy(&gb, &g, sizeof gb), memcpy(&yb, &y, sizeof yb);
    uint32_t a = yb & 0x7FFFFFFFu, le0 = (uint32_t)(a == 0) | ((yb >> 31) & (uint32_t)(a <= 0x7F800000u));
    gb &= le0 - 1u; /* le0: all zeros, else all ones */
    memcpy(&g, &gb, sizeof g);
    return g;
}
static inline double nbt_relu_bw(double g, double y) {
    uint64_t gb, yb;
    memcpy(&gb, &g, sizeof gb), memcpy(&yb, &y, sizeof yb);
    uint64_t a = yb & 0x7FFFFFFFFFFFFFFFu,
             le0 = (uint64_t)(a == 0) | ((yb >> 63) & (uint64_t)(a <= 0x7FF0000000000000u));
    gb &= le0 - 1u;
    memcpy(&g, &gb, sizeof g);
    return g;
}

typedef struct {
    nbt_unary_kind k;
    double a, b;
} nbt_uctx;
typedef struct {
    nbt_binary_kind k;
} nbt_bctx;

#define T float
#define SUF f
#include "ew_template.h"
#undef T
#undef SUF
#define T double
#define SUF
#include "ew_template.h"
#undef T
#undef SUF

/* ---- the iterator ---- */
typedef void (*row_fn)(int64_t n, char **p, const int64_t *s, const void *ctx);
typedef struct {
    int nd, nops;
    int64_t shape[NB_MAX_DIMS];
    int64_t st[4][NB_MAX_DIMS]; /* element strides per operand, 0 where broadcast */
    char *base[4];
    size_t esz[4];
    int64_t total;
} iter;

/* operand k is t viewed with out's shape (t's trailing dims aligned; size-1 dims broadcast) */
static void iter_init(iter *it, int nd, const int64_t *shape, int nops, const nb_tensor *const *ts) {
    it->nops = nops;
    it->total = 1;
    int m = 0;
    for (int d = 0; d < nd; d++) {
        if (shape[d] == 1) continue; /* size-1 dims never move */
        it->shape[m] = shape[d];
        for (int k = 0; k < nops; k++) {
            const nb_tensor *t = ts[k];
            int td = d - (nd - t->ndim);
            it->st[k][m] = (td < 0 || t->shape[td] == 1) ? 0 : t->stride[td];
        }
        m++;
    }
    for (int d = 0; d < nd; d++) it->total *= shape[d];
    /* merge dim j-1 into j when every operand steps through them as one */
    int w = 0;
    for (int d = 0; d < m; d++) {
        if (w > 0) {
            bool ok = true;
            for (int k = 0; k < nops; k++)
                if (it->st[k][w - 1] != it->st[k][d] * it->shape[d]) ok = false;
            if (ok) {
                it->shape[w - 1] *= it->shape[d];
                for (int k = 0; k < nops; k++) it->st[k][w - 1] = it->st[k][d];
                continue;
            }
        }
        it->shape[w] = it->shape[d];
        for (int k = 0; k < nops; k++) it->st[k][w] = it->st[k][d];
        w++;
    }
    it->nd = w;
    for (int k = 0; k < nops; k++) {
        it->base[k] = nbt_ptr(ts[k]);
        it->esz[k] = nbt_esz(ts[k]->dtype);
    }
}

static void iter_range(const iter *it, int64_t lo, int64_t hi, row_fn f, const void *ctx) {
    if (it->nd == 0) { /* a single element */
        char *p[4];
        int64_t s[4] = { 0, 0, 0, 0 };
        for (int k = 0; k < it->nops; k++) p[k] = it->base[k];
        if (lo < hi) f(1, p, s, ctx);
        return;
    }
    int last = it->nd - 1;
    int64_t inner = it->shape[last];
    int64_t s[4];
    for (int k = 0; k < it->nops; k++) s[k] = it->st[k][last];
    int64_t L = lo;
    while (L < hi) {
        int64_t idx = L, c = idx % inner;
        idx /= inner;
        char *p[4];
        for (int k = 0; k < it->nops; k++) {
            int64_t off = c * it->st[k][last];
            int64_t r = idx;
            for (int d = last - 1; d >= 0; d--) {
                off += (r % it->shape[d]) * it->st[k][d];
                r /= it->shape[d];
            }
            p[k] = it->base[k] + off * (int64_t)it->esz[k];
        }
        int64_t n = inner - c;
        if (n > hi - L) n = hi - L;
        f(n, p, s, ctx);
        L += n;
    }
}

static void iter_run(const iter *it, row_fn f, const void *ctx) {
    int64_t total = it->total;
    if (total <= 0) return;
#ifdef _OPENMP
    if (total >= NBT_PAR_MIN) nbt_threads_check();
    if (total >= NBT_PAR_MIN && omp_get_max_threads() > 1) {
        int64_t chunk = 16384, nchunks = (total + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < nchunks; c++) {
            int64_t lo = c * chunk, hi = lo + chunk < total ? lo + chunk : total;
            iter_range(it, lo, hi, f, ctx);
        }
        return;
    }
#endif
    iter_range(it, 0, total, f, ctx);
}

/* Fast path for small operands (below NBT_PAR_MIN elements, so never threaded): when every operand
 * is row-major dense with out's element count, or a single element (broadcast with stride 0), the
 * row kernel runs once over all total elements without building an iterator. The same row function
 * sees the same elements in the same order as via iter_run, so results are bitwise identical.
 * Returns false (nothing done) when the operands do not qualify. */
static bool run_small(int nops, const nb_tensor *const *ts, int64_t total, row_fn f, const void *ctx) {
    if (total >= NBT_PAR_MIN) return false;
    char *p[4];
    int64_t s[4];
    for (int k = 0; k < nops; k++) {
        const nb_tensor *t = ts[k];
        if (t->numel != total) {
            if (t->numel != 1) return false;
            s[k] = 0;
        } else {
            int64_t n = 1;
            for (int i = t->ndim - 1; i >= 0; i--) {
                if (t->shape[i] != 1 && t->stride[i] != n) return false;
                n *= t->shape[i];
            }
            s[k] = 1;
        }
        p[k] = nbt_ptr(t);
    }
    if (total > 0) f(total, p, s, ctx);
    return true;
}

/* iter_run over out's shape for the operands ts (ts[0] = out), via run_small when it applies. */
static void ew_run(int nd, const int64_t *shape, int64_t total, int nops, const nb_tensor *const *ts,
                   row_fn f, const void *ctx) {
    if (run_small(nops, ts, total, f, ctx)) return;
    iter it;
    iter_init(&it, nd, shape, nops, ts);
    iter_run(&it, f, ctx);
}

/* ---- conversions ---- */
static void conv_row(int64_t n, char **p, const int64_t *s, const void *ctx) {
    const nb_dtype *dts = ctx; /* dts[0] = out, dts[1] = in */
    for (int64_t i = 0; i < n; i++) {
        const char *src = p[1];
        double v = 0;
        switch (dts[1]) {
        case NB_F32: v = ((const float *)src)[i * s[1]]; break;
        case NB_F64: v = ((const double *)src)[i * s[1]]; break;
        case NB_I64: v = (double)((const int64_t *)src)[i * s[1]]; break;
        }
        switch (dts[0]) {
        case NB_F32: ((float *)p[0])[i * s[0]] = (float)v; break;
        case NB_F64: ((double *)p[0])[i * s[0]] = v; break;
        case NB_I64: ((int64_t *)p[0])[i * s[0]] = nbt_f2i(v); break; /* NaN, huge: INT64_MIN as torch */
        }
    }
}
static void same_row(int64_t n, char **p, const int64_t *s, const void *ctx) {
    size_t esz = *(const size_t *)ctx;
    if (s[0] == 1 && s[1] == 1) {
        memmove(p[0], p[1], (size_t)n * esz);
        return;
    }
    if (esz == 4)
        for (int64_t i = 0; i < n; i++) ((uint32_t *)p[0])[i * s[0]] = ((const uint32_t *)p[1])[i * s[1]];
    else
        for (int64_t i = 0; i < n; i++) ((uint64_t *)p[0])[i * s[0]] = ((const uint64_t *)p[1])[i * s[1]];
}

nb_status nbt_copy_into(nb_tensor *dst, const nb_tensor *src, const char *op) {
    int64_t shp[NB_MAX_DIMS];
    int nd = nbt_broadcast_shape(dst->ndim, dst->shape, src->ndim, src->shape, shp);
    if (nd < 0 || nd != dst->ndim) goto bad;
    for (int i = 0; i < nd; i++)
        if (shp[i] != dst->shape[i]) goto bad;
    const nb_tensor *ts[2] = { dst, src };
    if (dst->dtype == src->dtype) {
        size_t esz = nbt_esz(dst->dtype);
        ew_run(dst->ndim, dst->shape, dst->numel, 2, ts, same_row, &esz);
    } else {
        nb_dtype dts[2] = { dst->dtype, src->dtype };
        ew_run(dst->ndim, dst->shape, dst->numel, 2, ts, conv_row, dts);
    }
    return NB_OK;
bad:
    nbt_error("%s: source of shape %s cannot be broadcast to destination shape %s", op, nbt_shape(src),
              nbt_shape(dst));
    return NB_ERROR;
}

nb_tensor *nbt_copy(const nb_tensor *x, nb_dtype dt) {
    nb_tensor *y = nbt_new(dt, x->ndim, x->shape);
    if (!y) return NULL;
    if (nbt_copy_into(y, x, "copy") != NB_OK) return NULL;
    return y;
}

nb_tensor *nbt_contig(const nb_tensor *x) {
    if (nb_is_contiguous(x)) return (nb_tensor *)x;
    return nbt_copy(x, x->dtype);
}

nb_tensor *nbt_as_float(const nb_tensor *x) {
    if (nbt_is_float(x->dtype)) return (nb_tensor *)x;
    return nbt_copy(x, NB_F32);
}

/* ---- unary ---- */
nb_status nbt_unary_into(nbt_unary_kind k, nb_tensor *out, const nb_tensor *x, double a, double b) {
    const nb_tensor *xf = x;
    if (x->dtype != out->dtype) {
        xf = nbt_copy(x, out->dtype);
        if (!xf) return NB_ERROR;
    }
    const nb_tensor *ts[2] = { out, xf };
    nbt_uctx c = { k, a, b };
    ew_run(out->ndim, out->shape, out->numel, 2, ts, out->dtype == NB_F32 ? unary_row_f : unary_row_, &c);
    if (xf != x) nb_free((nb_tensor *)xf);
    return NB_OK;
}

nb_tensor *nbt_unary(nbt_unary_kind k, const nb_tensor *x, double a, double b) {
    nb_tensor *y = nbt_new(nbt_is_float(x->dtype) ? x->dtype : NB_F32, x->ndim, x->shape);
    if (!y) return NULL;
    if (nbt_unary_into(k, y, x, a, b) != NB_OK) return NULL;
    return y;
}

/* ---- binary ---- */
static const nb_tensor *as_dtype(const nb_tensor *x, nb_dtype dt) {
    return x->dtype == dt ? x : nbt_copy(x, dt);
}

nb_status nbt_binary_into(nbt_binary_kind k, nb_tensor *out, const nb_tensor *a, const nb_tensor *b,
                          const char *op) {
    int64_t shp[NB_MAX_DIMS];
    int nd = nbt_broadcast_shape(out->ndim, out->shape, b->ndim, b->shape, shp);
    bool ok = nd == out->ndim && nbt_same_shape(a, out);
    for (int i = 0; ok && i < nd; i++) ok = shp[i] == out->shape[i];
    if (!ok) {
        nbt_error("%s: shape %s cannot be broadcast to %s", op, nbt_shape(b), nbt_shape(out));
        return NB_ERROR;
    }
    const nb_tensor *ac = as_dtype(a, out->dtype), *bc = as_dtype(b, out->dtype);
    if (!ac || !bc) return NB_ERROR;
    const nb_tensor *ts[3] = { out, ac, bc };
    nbt_bctx c = { k };
    ew_run(out->ndim, out->shape, out->numel, 3, ts, out->dtype == NB_F32 ? binary_row_f : binary_row_, &c);
    if (ac != a) nb_free((nb_tensor *)ac);
    if (bc != b) nb_free((nb_tensor *)bc);
    return NB_OK;
}

nb_tensor *nbt_binary(nbt_binary_kind k, const nb_tensor *a, const nb_tensor *b, const char *op) {
    int64_t shp[NB_MAX_DIMS];
    int nd = nbt_broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, shp);
    if (nd < 0)
        return nbt_error("%s: shapes %s and %s cannot be broadcast together", op, nbt_shape(a), nbt_shape(b));
    nb_dtype dt = nbt_promote(a->dtype, b->dtype);
    if (dt == NB_I64) dt = NB_F32;
    const nb_tensor *ac = as_dtype(a, dt), *bc = as_dtype(b, dt);
    nb_tensor *y = ac && bc ? nbt_new(dt, nd, shp) : NULL;
    if (y) {
        const nb_tensor *ts[3] = { y, ac, bc };
        nbt_bctx c = { k };
        ew_run(nd, shp, y->numel, 3, ts, dt == NB_F32 ? binary_row_f : binary_row_, &c);
    }
    if (ac && ac != a) nb_free((nb_tensor *)ac);
    if (bc && bc != b) nb_free((nb_tensor *)bc);
    return y;
}

nb_tensor *nbt_where(const nb_tensor *cond, const nb_tensor *a, const nb_tensor *b, const char *op) {
    int64_t s1[NB_MAX_DIMS], shp[NB_MAX_DIMS];
    int n1 = nbt_broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, s1);
    int nd = n1 < 0 ? -1 : nbt_broadcast_shape(cond->ndim, cond->shape, n1, s1, shp);
    if (nd < 0)
        return nbt_error("%s: shapes %s (condition), %s and %s cannot be broadcast together", op,
                         nbt_shape(cond), nbt_shape(a), nbt_shape(b));
    nb_dtype dt = nbt_promote(a->dtype, b->dtype);
    if (dt == NB_I64) dt = NB_F32;
    const nb_tensor *cc = as_dtype(cond, dt), *ac = as_dtype(a, dt), *bc = as_dtype(b, dt);
    nb_tensor *y = cc && ac && bc ? nbt_new(dt, nd, shp) : NULL;
    if (y) {
        const nb_tensor *ts[4] = { y, cc, ac, bc };
        ew_run(nd, shp, y->numel, 4, ts, dt == NB_F32 ? where_row_f : where_row_, NULL);
    }
    if (cc && cc != cond) nb_free((nb_tensor *)cc);
    if (ac && ac != a) nb_free((nb_tensor *)ac);
    if (bc && bc != b) nb_free((nb_tensor *)bc);
    return y;
}
