/* nb_helpers.h — tensor helpers of torch that models and ports use: split/chunk/unbind,
 * tril/triu, flip/roll/repeat, cumsum, sort/argsort/topk, atan, reciprocal and comparisons with a
 * scalar. Differentiable where torch's are (gradients flow into the pieces of split, the values of
 * sort and topk, ...); results belong to the current scope like every op's. Golden values from torch:
 * tests/golden/helpers.txt (tools/gen_golden_helpers.py), read by tests/test_golden_ops.c.
 *
 *   nb_tensor *h[3];
 *   int n = nb_chunk(gates, 3, 1, h);                  // torch: r, z, n = gates.chunk(3, 1)
 *   nb_tensor *idx, *top = nb_topk(logits, 5, -1, (nb_topk_opts){0}, &idx);
 */
#ifndef NB_HELPERS_H
#define NB_HELPERS_H

#include "nb_autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pieces (views of x: writing into one writes into x) ---- */
/* x.split(split_size, dim): pieces of split_size along dim, the last one smaller if the size does not
 * divide, into out[0..n-1]; returns n (1 for a dim of size 0), or -1 with an error (also if n > cap). */
int nb_split(nb_tensor *x, int64_t split_size, int dim, nb_tensor **out, int cap);
/* x.split([s0, s1, ...], dim): n pieces of the given sizes (they must sum to the size of dim); returns n or -1. */
int nb_split_with_sizes(nb_tensor *x, int n, const int64_t *sizes, int dim, nb_tensor **out);
/* x.chunk(chunks, dim): pieces of ceil(size / chunks) into out[0..chunks-1]; returns how many torch
 * gives (can be fewer than chunks), or -1. */
int nb_chunk(nb_tensor *x, int chunks, int dim, nb_tensor **out);
/* x.unbind(dim): the size(dim) slices x.select(dim, i) into out; returns their count, or -1 (also if > cap). */
int nb_unbind(nb_tensor *x, int dim, nb_tensor **out, int cap);

/* ---- rearranging ---- */
/* torch.tril(x, diagonal): x[..., i, j] where j - i <= diagonal, else 0 (x at least 2-D); dx = tril(g). */
nb_tensor *nb_tril(nb_tensor *x, int64_t diagonal);
/* torch.triu(x, diagonal): x[..., i, j] where j - i >= diagonal, else 0; dx = triu(g). */
nb_tensor *nb_triu(nb_tensor *x, int64_t diagonal);
/* torch.flip(x, dims): the listed dims reversed; dx = flip(g). */
nb_tensor *nb_flip(nb_tensor *x, int ndims, const int *dims);
/* torch.roll(x, shifts, dims): y[(i + shift) % n] = x[i] along each listed dim; ndims 0 rolls the flattened
 * x by shifts[0] and restores the shape. */
nb_tensor *nb_roll(nb_tensor *x, int ndims, const int64_t *shifts, const int *dims);
/* x.repeat(r0, r1, ...): x tiled r_i times along each dim (n >= x's ndim; extra leading dims are new). */
nb_tensor *nb_repeat(nb_tensor *x, int n, const int64_t *repeats);

/* ---- scans and sorting ---- */
/* torch.cumsum(x, dim): y_i = sum_{j <= i} x_j (accumulated in double, like torch's CPU kernel; i64 stays
 * i64); dx = flip(cumsum(flip(g))). */
nb_tensor *nb_cumsum(nb_tensor *x, int dim);
/* Options of nb_sort / nb_argsort; zero values are torch's defaults (ascending, not stable). */
typedef struct {
    bool descending;
    bool stable; /* equal values keep their order; otherwise ties come out in torch 1.13's order */
} nb_sort_opts;
/* torch.sort(x, dim): sorted values (NaN last ascending, first descending) and, if indices is not NULL,
 * *indices = their i64 positions; dx = g scattered back to the positions. */
nb_tensor *nb_sort(nb_tensor *x, int dim, nb_sort_opts opts, nb_tensor **indices);
/* torch.argsort(x, dim): the indices of nb_sort (not differentiable). */
nb_tensor *nb_argsort(nb_tensor *x, int dim, nb_sort_opts opts);
/* Options of nb_topk; zero values are torch's defaults (largest, sorted). */
typedef struct {
    bool smallest; /* largest=False */
    bool unsorted; /* sorted=False: the k values in torch's unspecified (but reproduced) order */
} nb_topk_opts;
/* torch.topk(x, k, dim): the k largest (or smallest) values along dim and *indices (if not NULL);
 * dx = g scattered back to the indices. 0 <= k <= size(dim). */
nb_tensor *nb_topk(nb_tensor *x, int64_t k, int dim, nb_topk_opts opts, nb_tensor **indices);

/* ---- elementwise ---- */
/* torch.atan: y = atan x; dx = g / (1 + x^2). */
nb_tensor *nb_atan(nb_tensor *x);
/* torch.reciprocal: y = 1 / x; dx = -g y^2. */
nb_tensor *nb_reciprocal(nb_tensor *x);
/* x != s, x <= s, x >= s as 0/1 in x's float dtype (like nb_eq_scalar; not differentiable). */
nb_tensor *nb_ne_scalar(nb_tensor *a, double s);
nb_tensor *nb_le_scalar(nb_tensor *a, double s);
nb_tensor *nb_ge_scalar(nb_tensor *a, double s);

#ifdef __cplusplus
}
#endif
#endif
