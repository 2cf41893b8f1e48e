/* kernels_pool.c — max / average pooling over (H, W) planes and the scatter that is max pooling's
 * backward (and max_unpool's forward). Each kernel is written once for f32 and f64 (a macro on the
 * element type); OpenMP splits the planes, each plane is done by one thread in a fixed order. */
#include "nb_kernels_pool.h"
#include "nb_kernels.h"
#include <math.h>

/* output shape: shape[:-2] + (oh, ow) */
static void out_shape(const nb_tensor *x, int64_t oh, int64_t ow, int64_t *shp) {
    for (int d = 0; d < x->ndim; d++) shp[d] = x->shape[d];
    shp[x->ndim - 2] = oh;
    shp[x->ndim - 1] = ow;
}

/* a window's cost, for the threading threshold */
static int64_t window_cost(const nbk_pool_dim *h, const nbk_pool_dim *w) {
    int64_t kh = h->n_out ? (h->end[0] - h->start[0]) / h->step + 1 : 1;
    int64_t kw = w->n_out ? (w->end[0] - w->start[0]) / w->step + 1 : 1;
    return kh * kw;
}

/* The window arrays are read through restrict locals: the index output is int64 like them, and
 * without it every store would force the compiler to reload the window bounds. */
#define MAX_POOL(T)                                                                                          \
    do {                                                                                                     \
        const T *xs = (const T *)nbi_ptr(xc);                                                                \
        T *ys = (T *)nbi_ptr(y);                                                                             \
        const int64_t *restrict hs = h->start, *restrict he = h->end, *restrict ws = w->start;               \
        const int64_t *restrict we = w->end, dh = h->step, dw = w->step;                                     \
        _Pragma("omp parallel for schedule(static) if (par)") for (int64_t p = 0; p < planes; p++) {         \
            const T *restrict xp = xs + p * H * W;                                                           \
            T *restrict yp = ys + p * OH * OW;                                                               \
            int64_t *restrict ip = is + p * OH * OW;                                                         \
            for (int64_t i = 0; i < OH; i++) {                                                               \
                const int64_t r0 = hs[i], r1 = he[i];                                                        \
                for (int64_t j = 0; j < OW; j++) {                                                           \
                    const int64_t c0 = ws[j], c1 = we[j];                                                    \
                    int64_t best = r0 * W + c0;                                                              \
                    T m = -INFINITY;                                                                         \
                    for (int64_t r = r0; r < r1; r += dh)                                                    \
                        for (int64_t c = c0; c < c1; c += dw) {                                              \
                            T v = xp[r * W + c];                                                             \
                            if (v > m || v != v) {                                                           \
                                m = v;                                                                       \
                                best = r * W + c;                                                            \
                            } /* v != v: NaN */                                                              \
                        }                                                                                    \
                    yp[i * OW + j] = m;                                                                      \
                    ip[i * OW + j] = best;                                                                   \
                }                                                                                            \
            }                                                                                                \
        }                                                                                                    \
    } while (0)

nb_tensor *nbk_max_pool2d(const nb_tensor *x, const nbk_pool_dim *h, const nbk_pool_dim *w, nb_tensor **idx) {
    *idx = NULL;
    int64_t shp[NB_MAX_DIMS], H = h->n_in, W = w->n_in, OH = h->n_out, OW = w->n_out;
    out_shape(x, OH, OW, shp);
    nb_tensor *xc = nbk_contig(x);
    nb_tensor *y = xc ? nbi_new(x->dtype, x->ndim, shp) : NULL;
    nb_tensor *ix = y ? nbi_new(NB_I64, x->ndim, shp) : NULL;
    if (!ix) {
        if (xc && xc != x) nb_free(xc);
        nb_free(y);
        return NULL;
    }
    int64_t planes = H * W > 0 ? x->numel / (H * W) : 0;
    bool par = planes > 1 && planes * OH * OW * window_cost(h, w) >= NBI_PAR_MIN;
    if (par) nbi_threads_check();
    int64_t *is = (int64_t *)nbi_ptr(ix);
    if (x->dtype == NB_F32)
        MAX_POOL(float);
    else
        MAX_POOL(double);
    if (xc != x) nb_free(xc);
    *idx = ix;
    return y;
}

/* v / d: d = divisor if nonzero, else h.fac[i] w.fac[j] (each: divided by one, then the other) */
#define AVG_DIV(T, v, i, j)                                                                                  \
    (divisor != 0 ? (v) / (T)divisor                                                                         \
     : each       ? (v) / (T)h->fac[i] / (T)w->fac[j]                                                        \
                  : (v) / (T)(h->fac[i] * w->fac[j]))

#define AVG_POOL(T)                                                                                          \
    do {                                                                                                     \
        const T *xs = (const T *)nbi_ptr(xc);                                                                \
        T *ys = (T *)nbi_ptr(y);                                                                             \
        _Pragma("omp parallel for schedule(static) if (par)") for (int64_t p = 0; p < planes; p++) {         \
            const T *xp = xs + p * H * W;                                                                    \
            T *yp = ys + p * OH * OW;                                                                        \
            for (int64_t i = 0; i < OH; i++)                                                                 \
                for (int64_t j = 0; j < OW; j++) {                                                           \
                    T s = 0;                                                                                 \
                    for (int64_t r = h->start[i]; r < h->end[i]; r++)                                        \
                        for (int64_t c = w->start[j]; c < w->end[j]; c++) s += xp[r * W + c];                \
                    yp[i * OW + j] = AVG_DIV(T, s, i, j);                                                    \
                }                                                                                            \
        }                                                                                                    \
    } while (0)

nb_tensor *nbk_avg_pool2d(const nb_tensor *x, const nbk_pool_dim *h, const nbk_pool_dim *w, double divisor,
                          bool each) {
    int64_t shp[NB_MAX_DIMS], H = h->n_in, W = w->n_in, OH = h->n_out, OW = w->n_out;
    out_shape(x, OH, OW, shp);
    nb_tensor *xc = nbk_contig(x);
    nb_tensor *y = xc ? nbi_new(x->dtype, x->ndim, shp) : NULL;
    if (!y) {
        if (xc && xc != x) nb_free(xc);
        return NULL;
    }
    int64_t planes = H * W > 0 ? x->numel / (H * W) : 0;
    bool par = planes > 1 && planes * OH * OW * window_cost(h, w) >= NBI_PAR_MIN;
    if (par) nbi_threads_check();
    if (x->dtype == NB_F32)
        AVG_POOL(float);
    else
        AVG_POOL(double);
    if (xc != x) nb_free(xc);
    return y;
}

#define AVG_POOL_BW(T)                                                                                       \
    do {                                                                                                     \
        const T *gs = (const T *)nbi_ptr(gc);                                                                \
        T *ds = (T *)nbi_ptr(dx);                                                                            \
        _Pragma("omp parallel for schedule(static) if (par)") for (int64_t p = 0; p < planes; p++) {         \
            const T *gp = gs + p * OH * OW;                                                                  \
            T *dp = ds + p * H * W;                                                                          \
            for (int64_t k = 0; k < H * W; k++) dp[k] = 0;                                                   \
            for (int64_t i = 0; i < OH; i++)                                                                 \
                for (int64_t j = 0; j < OW; j++) {                                                           \
                    T v = gp[i * OW + j];                                                                    \
                    v = AVG_DIV(T, v, i, j);                                                                 \
                    for (int64_t r = h->start[i]; r < h->end[i]; r++)                                        \
                        for (int64_t c = w->start[j]; c < w->end[j]; c++) dp[r * W + c] += v;                \
                }                                                                                            \
        }                                                                                                    \
    } while (0)

nb_tensor *nbk_avg_pool2d_backward(const nb_tensor *g, const nbk_pool_dim *h, const nbk_pool_dim *w,
                                   double divisor, bool each, int ndim, const int64_t *shape) {
    int64_t H = h->n_in, W = w->n_in, OH = h->n_out, OW = w->n_out;
    nb_tensor *gc = nbk_contig(g);
    nb_tensor *dx = gc ? nbi_new(g->dtype, ndim, shape) : NULL;
    if (!dx) {
        if (gc && gc != g) nb_free(gc);
        return NULL;
    }
    int64_t planes = H * W > 0 ? dx->numel / (H * W) : 0;
    bool par = planes > 1 && planes * OH * OW * window_cost(h, w) >= NBI_PAR_MIN;
    if (par) nbi_threads_check();
    if (g->dtype == NB_F32)
        AVG_POOL_BW(float);
    else
        AVG_POOL_BW(double);
    if (gc != g) nb_free(gc);
    return dx;
}

#define SCATTER(T)                                                                                           \
    do {                                                                                                     \
        const T *ss = (const T *)nbi_ptr(sc);                                                                \
        T *os = (T *)nbi_ptr(out);                                                                           \
        _Pragma("omp parallel for schedule(static) if (par)") for (int64_t p = 0; p < planes; p++) {         \
            const T *sp = ss + p * K;                                                                        \
            const int64_t *ip = is + p * K;                                                                  \
            T *op_ = os + p * P;                                                                             \
            for (int64_t k = 0; k < P; k++) op_[k] = 0;                                                      \
            if (add)                                                                                         \
                for (int64_t k = 0; k < K; k++) op_[ip[k]] += sp[k];                                         \
            else                                                                                             \
                for (int64_t k = 0; k < K; k++) op_[ip[k]] = sp[k];                                          \
        }                                                                                                    \
    } while (0)

nb_tensor *nbk_plane_scatter(const nb_tensor *src, const nb_tensor *idx, int ndim, const int64_t *shape,
                             bool add, const char *op) {
    int64_t P = shape[ndim - 2] * shape[ndim - 1];
    int64_t K = src->shape[src->ndim - 2] * src->shape[src->ndim - 1];
    nb_tensor *sc = nbk_contig(src), *ic = sc ? nbk_contig(idx) : NULL;
    nb_tensor *out = ic ? nbi_new(src->dtype, ndim, shape) : NULL;
    if (!out) goto done;
    const int64_t *is = (const int64_t *)nbi_ptr(ic);
    for (int64_t k = 0; k < ic->numel; k++)
        if (is[k] < 0 || is[k] >= P) {
            nbi_error("%s: Found an invalid max index: %lld (output volumes are of size %lldx%lld)", op,
                      (long long)is[k], (long long)shape[ndim - 2], (long long)shape[ndim - 1]);
            nb_free(out);
            out = NULL;
            goto done;
        }
    int64_t planes = P ? out->numel / P : 0;
    bool par = planes > 1 && planes * (P + K) >= NBI_PAR_MIN;
    if (par) nbi_threads_check();
    if (src->dtype == NB_F32)
        SCATTER(float);
    else
        SCATTER(double);
done:
    if (ic && ic != idx) nb_free(ic);
    if (sc && sc != src) nb_free(sc);
    return out;
}
