/* ops_pool.c — max pooling (F.max_pool2d, with indices) and its backward, the scatter of g into the
 * arg-max positions. Windows and output sizes follow torch 1.13 (pooling_output_shape,
 * pool2d_shape_check, cpu_max_pool) so sizes, indices, ties, NaN and error messages match it.
 * The backward scatter is itself a recorded op whose backward is a gather, so both are order 2. */
#include "nb_spatial.h"
#include "nba_pool.h"
#include <stdlib.h>

/* ---- windows of one spatial dim ---- */
bool nba_pdim_new(nba_pdim *p, int64_t n_in, int64_t n_out, int64_t step) {
    size_t n = (size_t)(n_out > 0 ? n_out : 1);
    p->start = malloc(n * (2 * sizeof(int64_t) + sizeof(double)));
    if (!p->start) {
        nbt_oom(n * (2 * sizeof(int64_t) + sizeof(double)), "the pooling windows");
        return false;
    }
    p->end = p->start + n;
    p->fac = (double *)(p->end + n);
    p->d = (nbt_pool_dim){ n_in, n_out, step, p->start, p->end, p->fac };
    return true;
}
void nba_pdim_free(nba_pdim *p) {
    free(p->start);
    p->start = NULL;
}

/* torch's div_rtn: floor division */
static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b, r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? q - 1 : q;
}
int64_t nba_pool_out_size(int64_t in, int64_t k, int64_t pad, int64_t s, int64_t d, bool ceil_mode) {
    int64_t out = floordiv(in + 2 * pad - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
    if (ceil_mode && (out - 1) * s >= in + pad) out--;
    return out;
}

/* max pooling windows: positions o s - p + m d (m < k) inside [0, n) (torch's cpu_max_pool) */
static bool max_windows(nba_pdim *p, int64_t n, int64_t out, int64_t k, int64_t s, int64_t pad, int64_t d) {
    if (!nba_pdim_new(p, n, out, d)) return false;
    for (int64_t o = 0; o < out; o++) {
        int64_t st = o * s - pad, en = st + (k - 1) * d + 1;
        if (en > n) en = n;
        while (st < 0) st += d;
        p->start[o] = st;
        p->end[o] = en;
        p->fac[o] = 1;
    }
    return true;
}

void nba_pool_pair(const int64_t in[2], int64_t dflt0, int64_t dflt1, int64_t out[2]) {
    if (in[0] == 0 && in[1] == 0) {
        out[0] = dflt0;
        out[1] = dflt1;
        return;
    }
    out[0] = in[0];
    out[1] = in[1] == 0 ? in[0] : in[1];
}

/* a check's failure: return failed(nbt_error(...)) records the error and makes the check return false */
static bool failed(void *null_from_error) {
    (void)null_from_error;
    return false;
}

/* torch's pooling_output_shape + pool2d_shape_check, in torch's order; fills the resolved arguments
 * k, s, p, d (H, W) and the output size. Names the function the user called. */
bool nba_pool2d_check(const char *op, const nb_tensor *x, const int64_t k[2], const int64_t s[2],
                      const int64_t p[2], const int64_t d[2], bool ceil_mode, int64_t out[2]) {
    if (!nbt_is_float(x->dtype))
        return failed(nbt_error("%s: expects a floating point tensor (got %s)", op, nb_dtype_name(x->dtype)));
    if (x->ndim != 3 && x->ndim != 4)
        return failed(nbt_error("%s: non-empty 3D or 4D (batch mode) tensor expected for input (got %s)", op,
                                nbt_shape(x)));
    int64_t C = x->shape[x->ndim - 3], H = x->shape[x->ndim - 2], W = x->shape[x->ndim - 1];
    for (int i = 0; i < 2; i++) {
        if (s[i] == 0) return failed(nbt_error("%s: stride should not be zero", op));
        if (p[i] < 0)
            return failed(nbt_error("%s: pad must be non-negative, but got pad: %lld", op, (long long)p[i]));
        if (p[i] > k[i] / 2)
            return failed(nbt_error(
                "%s: pad should be at most half of kernel size, but got pad=%lld and kernel_size=%lld", op,
                (long long)p[i], (long long)k[i]));
        out[i] = nba_pool_out_size(i ? W : H, k[i], p[i], s[i], d[i], ceil_mode);
    }
    if (k[0] <= 0 || k[1] <= 0)
        return failed(nbt_error("%s: kernel size should be greater than zero, but got kH: %lld kW: %lld", op,
                                (long long)k[0], (long long)k[1]));
    if (s[0] <= 0 || s[1] <= 0)
        return failed(nbt_error("%s: stride should be greater than zero, but got dH: %lld dW: %lld", op,
                                (long long)s[0], (long long)s[1]));
    if (d[0] <= 0 || d[1] <= 0)
        return failed(
            nbt_error("%s: dilation should be greater than zero, but got dilationH: %lld dilationW: %lld", op,
                      (long long)d[0], (long long)d[1]));
    if (C == 0 || H == 0 || W == 0)
        return failed(
            nbt_error("%s: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                      "but got: %s",
                      op, nbt_shape(x)));
    if (out[0] < 1 || out[1] < 1)
        return failed(
            nbt_error("%s: Given input size: (%lldx%lldx%lld). Calculated output size: (%lldx%lldx%lld). "
                      "Output size is too small",
                      op, (long long)C, (long long)H, (long long)W, (long long)C, (long long)out[0],
                      (long long)out[1]));
    return true;
}

/* y = max over the windows h, w; records max_pool2d (grad_fn label, NULL for torch's max pool name)
 * with the indices as aux (a view the node owns, so the caller may free theirs) */
static nb_tensor *max_pool_windows(nb_tensor *x, nba_pdim *h, nba_pdim *w, const char *label,
                                   nb_tensor **indices) {
    nb_tensor *idx = NULL, *y = nbt_max_pool2d(x, &h->d, &w->d, &idx);
    nba_pdim_free(h);
    nba_pdim_free(w);
    if (!y) return NULL;
    nba_node *n = nba_record(NBA_OP_max_pool2d, y, 1, &x, 0);
    if (n) {
        nba_set_aux(n, indices ? nbt_view(idx, idx->ndim, idx->shape, idx->stride, idx->offset) : idx);
        n->label = label;
    }
    if (indices)
        *indices = idx;
    else if (!n)
        nb_free(idx);
    return y;
}

nb_tensor *nba_max_pool2d_impl(const char *op, nb_tensor *x, const int64_t k[2], const int64_t s[2],
                               const int64_t p[2], const int64_t d[2], bool ceil_mode, nb_tensor **indices) {
    if (indices) *indices = NULL;
    int64_t out[2];
    if (!nba_pool2d_check(op, x, k, s, p, d, ceil_mode, out)) return NULL;
    nba_pdim h, w;
    if (!max_windows(&h, x->shape[x->ndim - 2], out[0], k[0], s[0], p[0], d[0])) return NULL;
    if (!max_windows(&w, x->shape[x->ndim - 1], out[1], k[1], s[1], p[1], d[1])) {
        nba_pdim_free(&h);
        return NULL;
    }
    return max_pool_windows(x, &h, &w, NULL, indices);
}

static nb_tensor *max_pool2d_wi(nb_tensor *x, nb_max_pool2d_opts o, nb_tensor **indices) {
    if (indices) *indices = NULL;
    NBA_CHECK("nb_max_pool2d", x);
    int64_t k[2], s[2], d[2];
    nba_pool_pair(o.kernel_size, 0, 0, k);
    nba_pool_pair(o.stride, k[0], k[1], s);
    nba_pool_pair(o.dilation, 1, 1, d);
    return nba_max_pool2d_impl("nb_max_pool2d", x, k, s, o.padding, d, o.ceil_mode, indices);
}
/* the public form: indices is required (torch's return_indices=True returns them) */
nb_tensor *nb_max_pool2d_with_indices(nb_tensor *x, nb_max_pool2d_opts o, nb_tensor **indices) {
    NBT_API("nb_max_pool2d_with_indices");
    if (!x) return NULL;
    if (!nbt_nonnull(indices, "nb_max_pool2d_with_indices", "indices")) return NULL;
    return max_pool2d_wi(x, o, indices);
}

nb_tensor *nb_max_pool2d(nb_tensor *x, nb_max_pool2d_opts o) {
    NBT_API("nb_max_pool2d");
    return max_pool2d_wi(x, o, NULL);
}

/* dx = zeros(x.shape); dx.view(planes, H W)[p, idx[p, k]] += g[p, k] (the max_pool backward) */
/* Like torch's max_pool2d_with_indices_backward(g, x, ...), the node reads x too (derivative 0): under
 * create_graph dx is connected to x, so a Hessian-vector product gives zeros there instead of an error. */
nb_tensor *nba_pool_scatter(nb_tensor *g, nb_tensor *idx, nb_tensor *x, const char *label) {
    if (!g || !nb_is_valid(idx)) return NULL;
    nb_tensor *y = nbt_plane_scatter(g, idx, x->ndim, x->shape, true, nbt_fn());
    nba_node *n = nba_record(NBA_OP_max_pool2d_backward, y, 2, (nb_tensor *[]){ g, x }, 0);
    if (n) {
        nba_set_aux(n, idx);
        n->label = label;
    }
    return y;
}
void nba_bw_max_pool2d(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the indices of max_pool2d were released before backward", nbt_fn());
        return;
    }
    gin[0] = nba_pool_scatter(g, n->aux, x, n->label ? "AdaptiveMaxPool2DBackwardBackward0" : NULL);
}

/* y = scatter_add of g by plane indices; dg = gather(gg.view(planes, H W), 1, idx.view(planes, K)) */
nb_tensor *nba_plane_gather(nb_tensor *gg, nb_tensor *idx) {
    if (!gg || !idx) return NULL;
    int64_t P = gg->shape[gg->ndim - 2] * gg->shape[gg->ndim - 1];
    int64_t K = idx->shape[idx->ndim - 2] * idx->shape[idx->ndim - 1];
    int64_t planes = P ? gg->numel / P : 0;
    nb_tensor *v = nb_gather(nb_reshape(gg, 2, (int64_t[]){ planes, P }), 1,
                             nb_reshape(idx, 2, (int64_t[]){ planes, K }));
    return nb_reshape(v, idx->ndim, idx->shape);
}
void nba_bw_max_pool2d_backward(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the indices of max_pool2d were released before backward", nbt_fn());
        return;
    }
    gin[0] = nba_plane_gather(g, n->aux);
    if (nba_need(n, 1)) gin[1] = nb_zeros_like(nba_in(n, 1)); /* d/dx of the backward: 0 */
}

/* F.max_pool1d = max_pool2d of x.unsqueeze(-2) with kernel (1, k), squeezed back (as torch with grad) */
static nb_tensor *max_pool1d_wi(nb_tensor *x, nb_max_pool1d_opts o, nb_tensor **indices) {
    NBT_API("nb_max_pool1d_with_indices");
    if (indices) *indices = NULL;
    NBA_CHECK("nb_max_pool1d", x);
    if (x->ndim != 2 && x->ndim != 3)
        return nbt_error(
            "nb_max_pool1d: Expected 2 to 3 dimensions, but got %d-dimensional tensor for argument "
            "#1 'self' (while checking arguments for max_pool1d)",
            x->ndim);
    int64_t k[2] = { 1, o.kernel_size }, s[2] = { 1, o.stride ? o.stride : o.kernel_size },
            p[2] = { 0, o.padding };
    int64_t d[2] = { 1, o.dilation ? o.dilation : 1 };
    nba_tmp tmp = nba_tmp_begin(1, &x);
    nb_tensor *idx = NULL, *x2 = nb_unsqueeze(x, -2);
    nb_tensor *y2 = x2 ? nba_max_pool2d_impl("nb_max_pool1d", x2, k, s, p, d, o.ceil_mode,
                                             indices ? &idx : NULL)
                       : NULL;
    nb_tensor *y = nb_squeeze(y2, -2);
    if (indices && y) {
        *indices = nb_squeeze(idx, -2);
        if (tmp.on) nb_keep(*indices);
    }
    return nba_tmp_end(tmp, y);
}
/* the public form: indices is required (torch's return_indices=True returns them) */
nb_tensor *nb_max_pool1d_with_indices(nb_tensor *x, nb_max_pool1d_opts o, nb_tensor **indices) {
    NBT_API("nb_max_pool1d_with_indices");
    if (!x) return NULL;
    if (!nbt_nonnull(indices, "nb_max_pool1d_with_indices", "indices")) return NULL;
    return max_pool1d_wi(x, o, indices);
}

nb_tensor *nb_max_pool1d(nb_tensor *x, nb_max_pool1d_opts o) {
    NBT_API("nb_max_pool1d");
    return max_pool1d_wi(x, o, NULL);
}

/* F.adaptive_max_pool2d: windows [floor(o n / out), ceil((o + 1) n / out)), ties and NaN as max_pool2d */
static nb_tensor *adaptive_max_pool2d_wi(nb_tensor *x, int64_t oh, int64_t ow, nb_tensor **indices) {
    if (indices) *indices = NULL;
    NBA_CHECK("nb_adaptive_max_pool2d", x);
    const char *op = "nb_adaptive_max_pool2d";
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: expects a floating point tensor (got %s)", op, nb_dtype_name(x->dtype));
    if (x->ndim < 3) return nbt_error("%s: Input dimension should be at least 3 (got %s)", op, nbt_shape(x));
    if (x->ndim > 4)
        return nbt_error("%s: adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: %s", op,
                         nbt_shape(x));
    for (int d = 1; d < x->ndim; d++)
        if (x->shape[d] == 0)
            return nbt_error("%s: adaptive_max_pool2d(): Expected input to have non-zero size for non-batch "
                             "dimensions, but input has sizes %s with dimension %d being empty",
                             op, nbt_shape(x), d);
    if (oh < 0 || ow < 0)
        return nbt_error("%s: Trying to create tensor with negative dimension %lld: output size (%lld, %lld)",
                         op, (long long)(oh < 0 ? oh : ow), (long long)oh, (long long)ow);
    nba_pdim h, w;
    if (!nba_adaptive_windows(&h, x->shape[x->ndim - 2], oh)) return NULL;
    if (!nba_adaptive_windows(&w, x->shape[x->ndim - 1], ow)) {
        nba_pdim_free(&h);
        return NULL;
    }
    return max_pool_windows(x, &h, &w, "AdaptiveMaxPool2DBackward0", indices);
}
/* the public form: indices is required (torch's return_indices=True returns them) */
nb_tensor *nb_adaptive_max_pool2d_with_indices(nb_tensor *x, int64_t oh, int64_t ow, nb_tensor **indices) {
    NBT_API("nb_adaptive_max_pool2d_with_indices");
    if (!x) return NULL;
    if (!nbt_nonnull(indices, "nb_adaptive_max_pool2d_with_indices", "indices")) return NULL;
    return adaptive_max_pool2d_wi(x, oh, ow, indices);
}

nb_tensor *nb_adaptive_max_pool2d(nb_tensor *x, int64_t oh, int64_t ow) {
    NBT_API("nb_adaptive_max_pool2d");
    return adaptive_max_pool2d_wi(x, oh, ow, NULL);
}

/* F.max_unpool2d: y = zeros(N, C, OH, OW); y.view(planes, OH OW)[p, idx[p, k]] = x[p, k];
 * dx = gather of g at the indices (differentiable) */
nb_tensor *nb_max_unpool2d(nb_tensor *x, nb_tensor *indices, nb_max_unpool2d_opts o) {
    NBA_CHECK("nb_max_unpool2d", x, indices);
    const char *op = "nb_max_unpool2d";
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: expects a floating point tensor (got %s)", op, nb_dtype_name(x->dtype));
    if (x->ndim != 3 && x->ndim != 4)
        return nbt_error("%s: Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with %d "
                         "dimensions.",
                         op, x->ndim);
    int64_t k[2], s[2], out[2];
    nba_pool_pair(o.kernel_size, 0, 0, k);
    nba_pool_pair(o.stride, k[0], k[1], s);
    for (int i = 0; i < 2; i++)
        if (k[i] <= 0 || s[i] <= 0 || o.padding[i] < 0)
            return nbt_error(
                "%s: kernel_size (%lld, %lld) and stride (%lld, %lld) must be positive and padding "
                "(%lld, %lld) non-negative",
                op, (long long)k[0], (long long)k[1], (long long)s[0], (long long)s[1],
                (long long)o.padding[0], (long long)o.padding[1]);
    for (int i = 0; i < 2; i++) { /* torch's _unpool_output_size */
        int64_t dflt, t;
        if (__builtin_mul_overflow(x->shape[x->ndim - 2 + i] - 1, s[i], &dflt) ||
            __builtin_add_overflow(dflt, k[i], &dflt) || __builtin_mul_overflow(o.padding[i], 2, &t) ||
            __builtin_sub_overflow(dflt, t, &dflt) || __builtin_add_overflow(dflt, s[i], &t))
            return nbt_error("%s: kernel_size, stride or padding too large for input %s", op, nbt_shape(x));
        int64_t want = i && !o.output_size[1] ? o.output_size[0] : o.output_size[i]; /* {s}: (s, s) */
        out[i] = o.output_size[0] || o.output_size[1] ? want : dflt;
        if (!(dflt - s[i] < out[i] && out[i] < dflt + s[i]))
            return nbt_error(
                "%s: invalid output_size \"(%lld, %lld)\" (dim %d must be between %lld and %lld)", op,
                (long long)o.output_size[0], (long long)o.output_size[1], i, (long long)(dflt - s[i]),
                (long long)(dflt + s[i]));
    }
    if (indices->dtype != NB_I64)
        return nbt_error("%s: elements in indices should be type int64 but got: %s", op,
                         nb_dtype_name(indices->dtype));
    if (!nbt_same_shape(x, indices))
        return nbt_error(
            "%s: Expected shape of indices to be same as that of the input tensor (%s) but got indices "
            "tensor with shape: %s",
            op, nbt_shape(x), nbt_shape(indices));
    for (int d = 1; d < x->ndim; d++)
        if (x->shape[d] == 0)
            return nbt_error(
                "%s: Expected input to have non-zero size for non-batch dimensions, but got %s with "
                "dimension %d being empty.",
                op, nbt_shape(x), d);
    int64_t shp[NB_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shp[d] = x->shape[d];
    shp[x->ndim - 2] = out[0];
    shp[x->ndim - 1] = out[1];
    nb_tensor *y = nbt_plane_scatter(x, indices, x->ndim, shp, false, op);
    nba_node *n = nba_record(NBA_OP_max_unpool2d, y, 1, &x, 0);
    if (n) nba_set_aux(n, nbt_view(indices, indices->ndim, indices->shape, indices->stride, indices->offset));
    return y;
}
void nba_bw_max_unpool2d(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the indices of max_unpool2d were released before backward", nbt_fn());
        return;
    }
    gin[0] = nba_plane_gather(g, n->aux);
    if (nba_need(n, 1)) gin[1] = nb_zeros_like(nba_in(n, 1)); /* d/dx of the backward: 0 */
}
