/* kernels_pool.c — max / average pooling over (H, W) planes and the scatter that is max pooling's
 * backward (and max_unpool's forward). Each kernel is written once for f32 and f64 (pool_template.h);
 * OpenMP splits the planes, each plane is done by one thread in a fixed order. */
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
static int64_t window_cost(const nbt_pool_dim *h, const nbt_pool_dim *w) {
    int64_t kh = h->n_out ? (h->end[0] - h->start[0]) / h->step + 1 : 1;
    int64_t kw = w->n_out ? (w->end[0] - w->start[0]) / w->step + 1 : 1;
    return kh * kw;
}

#define T float
#include "pool_template.h"
#undef T
#define T double
#include "pool_template.h"
#undef T

nb_tensor *nbt_max_pool2d(const nb_tensor *x, const nbt_pool_dim *h, const nbt_pool_dim *w, nb_tensor **idx) {
    *idx = NULL;
    int64_t shp[NB_MAX_DIMS], H = h->n_in, W = w->n_in, OH = h->n_out, OW = w->n_out;
    out_shape(x, OH, OW, shp);
    nb_tensor *xc = nbt_contig(x);
    nb_tensor *y = xc ? nbt_new(x->dtype, x->ndim, shp) : NULL;
    nb_tensor *ix = y ? nbt_new(NB_I64, x->ndim, shp) : NULL;
    if (!ix) {
        if (xc && xc != x) nb_free(xc);
        nb_free(y);
        return NULL;
    }
    int64_t planes = H * W > 0 ? x->numel / (H * W) : 0;
    bool par = planes > 1 && planes * OH * OW * window_cost(h, w) >= NBT_PAR_MIN;
    if (par) nbt_threads_check();
    int64_t *is = (int64_t *)nbt_ptr(ix);
    if (x->dtype == NB_F32)
        max_pool_float(xc, y, is, h, w, planes, par);
    else
        max_pool_double(xc, y, is, h, w, planes, par);
    if (xc != x) nb_free(xc);
    *idx = ix;
    return y;
}

/* v / d: d = divisor if nonzero, else h.fac[i] w.fac[j] (each: divided by one, then the other) */

nb_tensor *nbt_avg_pool2d(const nb_tensor *x, const nbt_pool_dim *h, const nbt_pool_dim *w, double divisor,
                          bool each) {
    int64_t shp[NB_MAX_DIMS], H = h->n_in, W = w->n_in, OH = h->n_out, OW = w->n_out;
    out_shape(x, OH, OW, shp);
    nb_tensor *xc = nbt_contig(x);
    nb_tensor *y = xc ? nbt_new(x->dtype, x->ndim, shp) : NULL;
    if (!y) {
        if (xc && xc != x) nb_free(xc);
        return NULL;
    }
    int64_t planes = H * W > 0 ? x->numel / (H * W) : 0;
    bool par = planes > 1 && planes * OH * OW * window_cost(h, w) >= NBT_PAR_MIN;
    if (par) nbt_threads_check();
    if (x->dtype == NB_F32)
        avg_pool_float(xc, y, h, w, divisor, each, planes, par);
    else
        avg_pool_double(xc, y, h, w, divisor, each, planes, par);
    if (xc != x) nb_free(xc);
    return y;
}

nb_tensor *nbt_avg_pool2d_backward(const nb_tensor *g, const nbt_pool_dim *h, const nbt_pool_dim *w,
                                   double divisor, bool each, int ndim, const int64_t *shape) {
    int64_t H = h->n_in, W = w->n_in, OH = h->n_out, OW = w->n_out;
    nb_tensor *gc = nbt_contig(g);
    nb_tensor *dx = gc ? nbt_new(g->dtype, ndim, shape) : NULL;
    if (!dx) {
        if (gc && gc != g) nb_free(gc);
        return NULL;
    }
    int64_t planes = H * W > 0 ? dx->numel / (H * W) : 0;
    bool par = planes > 1 && planes * OH * OW * window_cost(h, w) >= NBT_PAR_MIN;
    if (par) nbt_threads_check();
    if (g->dtype == NB_F32)
        avg_pool_bw_float(gc, dx, h, w, divisor, each, planes, par);
    else
        avg_pool_bw_double(gc, dx, h, w, divisor, each, planes, par);
    if (gc != g) nb_free(gc);
    return dx;
}

nb_tensor *nbt_plane_scatter(const nb_tensor *src, const nb_tensor *idx, int ndim, const int64_t *shape,
                             bool add, const char *op) {
    int64_t P = shape[ndim - 2] * shape[ndim - 1];
    int64_t K = src->shape[src->ndim - 2] * src->shape[src->ndim - 1];
    nb_tensor *sc = nbt_contig(src), *ic = sc ? nbt_contig(idx) : NULL;
    nb_tensor *out = ic ? nbt_new(src->dtype, ndim, shape) : NULL;
    if (!out) goto done;
    const int64_t *is = (const int64_t *)nbt_ptr(ic);
    for (int64_t k = 0; k < ic->numel; k++)
        if (is[k] < 0 || is[k] >= P) {
            nbt_error("%s: Found an invalid max index: %lld (output volumes are of size %lldx%lld)", op,
                      (long long)is[k], (long long)shape[ndim - 2], (long long)shape[ndim - 1]);
            nb_free(out);
            out = NULL;
            goto done;
        }
    int64_t planes = P ? out->numel / P : 0;
    bool par = planes > 1 && planes * (P + K) >= NBT_PAR_MIN;
    if (par) nbt_threads_check();
    if (src->dtype == NB_F32)
        scatter_float(sc, out, is, planes, K, P, add, par);
    else
        scatter_double(sc, out, is, planes, K, P, add, par);
done:
    if (ic && ic != idx) nb_free(ic);
    if (sc && sc != src) nb_free(sc);
    return out;
}
