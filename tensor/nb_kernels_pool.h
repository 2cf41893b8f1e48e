/* nb_kernels_pool.h — raw pooling kernels over the (H, W) planes of a contiguous tensor (any leading
 * dims: planes = numel / (H W)). The autograd layer computes torch's windows; the kernels only walk
 * them, one plane per OpenMP iteration (so results never depend on the thread count). */
#ifndef NB_KERNELS_POOL_H
#define NB_KERNELS_POOL_H

#include "nb_internal.h"

/* One spatial dim of a pooling: output o reads input positions start[o], start[o] + step, ...
 * below end[o] (clipped to [0, n_in)); fac[o] is its factor of an average's divisor (or NULL). */
typedef struct {
    int64_t n_in, n_out, step;
    const int64_t *start, *end;
    const double *fac;
} nbt_pool_dim;

/* y = max over each window of x (..., H, W) -> (..., OH, OW); *idx (i64, y's shape) the flat
 * index h W + w of the winner: first maximum, a NaN wins (torch's `v > max || isnan(v)`). */
nb_tensor *nbt_max_pool2d(const nb_tensor *x, const nbt_pool_dim *h, const nbt_pool_dim *w, nb_tensor **idx);
/* y = (sum over each window, in x's dtype) / d with d = divisor if nonzero, else h.fac[i] w.fac[j]
 * (each: divided by h.fac[i], then by w.fac[j], as torch's adaptive pooling does). */
nb_tensor *nbt_avg_pool2d(const nb_tensor *x, const nbt_pool_dim *h, const nbt_pool_dim *w, double divisor,
                          bool each);
/* The adjoint of nbt_avg_pool2d: dx (shape) = each g[i,j] / d added over its window. */
nb_tensor *nbt_avg_pool2d_backward(const nb_tensor *g, const nbt_pool_dim *h, const nbt_pool_dim *w,
                                   double divisor, bool each, int ndim, const int64_t *shape);
/* out = zeros(shape) (same planes as src); out[p, idx[p, k]] (+= if add, else =) src[p, k] for every
 * plane p; an index outside [0, H W) of out is an error naming op. src contiguous-able, idx i64. */
nb_tensor *nbt_plane_scatter(const nb_tensor *src, const nb_tensor *idx, int ndim, const int64_t *shape,
                             bool add, const char *op);

#endif
