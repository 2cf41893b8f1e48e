/* ops_pool.c — max pooling (F.max_pool2d, with indices) and its backward, the scatter of g into the
 * arg-max positions. Windows and output sizes follow torch 1.13 (pooling_output_shape,
 * pool2d_shape_check, cpu_max_pool) so sizes, indices, ties, NaN and error messages match it.
 * The backward scatter is itself a recorded op whose backward is a gather, so both are order 2. */
#include "nb_spatial.h"
#include "nbi_pool.h"
#include <stdlib.h>

/* ---- windows of one spatial dim ---- */
bool nbi_pdim_new(nbi_pdim *p, int64_t n_in, int64_t n_out, int64_t step) {
    size_t n = (size_t)(n_out > 0 ? n_out : 1);
    p->start = malloc(n * (2 * sizeof(int64_t) + sizeof(double)));
    if (!p->start) { nbi_error("out of memory computing pooling windows"); return false; }
    p->end = p->start + n;
    p->fac = (double *)(p->end + n);
    p->d = (nbk_pool_dim){n_in, n_out, step, p->start, p->end, p->fac};
    return true;
}
void nbi_pdim_free(nbi_pdim *p) { free(p->start); p->start = NULL; }

/* torch's div_rtn: floor division */
static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b, r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? q - 1 : q;
}
int64_t nbi_pool_out_size(int64_t in, int64_t k, int64_t pad, int64_t s, int64_t d, bool ceil_mode) {
    int64_t out = floordiv(in + 2 * pad - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
    if (ceil_mode && (out - 1) * s >= in + pad) out--;
    return out;
}

/* max pooling windows: positions o s - p + m d (m < k) inside [0, n) (torch's cpu_max_pool) */
static bool max_windows(nbi_pdim *p, int64_t n, int64_t out, int64_t k, int64_t s, int64_t pad, int64_t d) {
    if (!nbi_pdim_new(p, n, out, d)) return false;
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

/* torch's int-or-pair reading of an options pair: a 0 second entry repeats the first */
static void pair(const int64_t in[2], int64_t dflt0, int64_t dflt1, int64_t out[2]) {
    if (in[0] == 0 && in[1] == 0) { out[0] = dflt0; out[1] = dflt1; return; }
    out[0] = in[0];
    out[1] = in[1] == 0 ? in[0] : in[1];
}

/* record the error and make the check fail */
#define FAIL(...) do { nbi_error(__VA_ARGS__); return false; } while (0)

/* torch's pooling_output_shape + pool2d_shape_check, in torch's order; fills the resolved arguments
 * k, s, p, d (H, W) and the output size. Names the function the user called. */
bool nbi_pool2d_check(const char *op, const nb_tensor *x, const int64_t k[2], const int64_t s[2],
                      const int64_t p[2], const int64_t d[2], bool ceil_mode, int64_t out[2]) {
    if (!nbi_is_float(x->dtype))
        FAIL("%s: expects a floating point tensor (got %s)", op, nb_dtype_name(x->dtype));
    if (x->ndim != 3 && x->ndim != 4)
        FAIL("%s: non-empty 3D or 4D (batch mode) tensor expected for input (got %s)", op, nbi_shape(x));
    int64_t C = x->shape[x->ndim - 3], H = x->shape[x->ndim - 2], W = x->shape[x->ndim - 1];
    for (int i = 0; i < 2; i++) {
        if (s[i] == 0) FAIL("%s: stride should not be zero", op);
        if (p[i] < 0) FAIL("%s: pad must be non-negative, but got pad: %lld", op, (long long)p[i]);
        if (p[i] > k[i] / 2)
            FAIL("%s: pad should be at most half of kernel size, but got pad=%lld and kernel_size=%lld", op,
                 (long long)p[i], (long long)k[i]);
        out[i] = nbi_pool_out_size(i ? W : H, k[i], p[i], s[i], d[i], ceil_mode);
    }
    if (k[0] <= 0 || k[1] <= 0)
        FAIL("%s: kernel size should be greater than zero, but got kH: %lld kW: %lld", op, (long long)k[0],
             (long long)k[1]);
    if (s[0] <= 0 || s[1] <= 0)
        FAIL("%s: stride should be greater than zero, but got dH: %lld dW: %lld", op, (long long)s[0],
             (long long)s[1]);
    if (d[0] <= 0 || d[1] <= 0)
        FAIL("%s: dilation should be greater than zero, but got dilationH: %lld dilationW: %lld", op,
             (long long)d[0], (long long)d[1]);
    if (C == 0 || H == 0 || W == 0)
        FAIL("%s: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
             "but got: %s", op, nbi_shape(x));
    if (out[0] < 1 || out[1] < 1)
        FAIL("%s: Given input size: (%lldx%lldx%lld). Calculated output size: (%lldx%lldx%lld). "
             "Output size is too small", op, (long long)C, (long long)H, (long long)W, (long long)C,
             (long long)out[0], (long long)out[1]);
    return true;
}

/* y = max over windows; records max_pool2d with the indices as aux (a view the node owns a ref of) */
nb_tensor *nbi_max_pool2d_impl(const char *op, nb_tensor *x, const int64_t k[2], const int64_t s[2],
                               const int64_t p[2], const int64_t d[2], bool ceil_mode, nb_tensor **indices) {
    if (indices) *indices = NULL;
    int64_t out[2];
    if (!nbi_pool2d_check(op, x, k, s, p, d, ceil_mode, out)) return NULL;
    nbi_pdim h, w;
    if (!max_windows(&h, x->shape[x->ndim - 2], out[0], k[0], s[0], p[0], d[0])) return NULL;
    if (!max_windows(&w, x->shape[x->ndim - 1], out[1], k[1], s[1], p[1], d[1])) {
        nbi_pdim_free(&h);
        return NULL;
    }
    nb_tensor *idx = NULL, *y = nbk_max_pool2d(x, &h.d, &w.d, &idx);
    nbi_pdim_free(&h);
    nbi_pdim_free(&w);
    if (!y) return NULL;
    nbi_node *n = nbi_record(NBI_OP_max_pool2d, y, 1, &x, 0);
    if (n) nbi_set_aux(n, indices ? nbi_view(idx, idx->ndim, idx->shape, idx->stride, idx->offset) : idx);
    if (indices) *indices = idx;
    else if (!n) nb_free(idx);
    return y;
}

nb_tensor *nb_max_pool2d_with_indices(nb_tensor *x, nb_max_pool2d_opts o, nb_tensor **indices) {
    if (indices) *indices = NULL;
    NBI_CHECK("nb_max_pool2d", x);
    int64_t k[2], s[2], d[2];
    pair(o.kernel_size, 0, 0, k);
    pair(o.stride, k[0], k[1], s);
    pair(o.dilation, 1, 1, d);
    return nbi_max_pool2d_impl("nb_max_pool2d", x, k, s, o.padding, d, o.ceil_mode, indices);
}
nb_tensor *nb_max_pool2d(nb_tensor *x, nb_max_pool2d_opts o) {
    return nb_max_pool2d_with_indices(x, o, NULL);
}

/* dx = zeros(x.shape); dx.view(planes, H W)[p, idx[p, k]] += g[p, k] (the max_pool backward) */
nb_tensor *nbi_pool_scatter(nb_tensor *g, nb_tensor *idx, int ndim, const int64_t *shape, const char *label) {
    if (!g || !nb_is_valid(idx)) return NULL;
    nb_tensor *y = nbk_plane_scatter(g, idx, ndim, shape, true, "backward");
    nbi_node *n = nbi_record(NBI_OP_max_pool2d_backward, y, 1, &g, 0);
    if (n) {
        nbi_set_aux(n, idx);
        if (label) n->label = label;
    }
    return y;
}
void nbi_bw_max_pool2d(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nbi_in(n, 0);
    if (!nb_is_valid(n->aux)) {
        nbi_error("backward: the indices of max_pool2d were released before backward");
        return;
    }
    gin[0] = nbi_pool_scatter(g, n->aux, x->ndim, x->shape, NULL);
}

/* y = scatter_add of g by plane indices; dg = gather(gg.view(planes, H W), 1, idx.view(planes, K)) */
nb_tensor *nbi_plane_gather(nb_tensor *gg, nb_tensor *idx) {
    if (!gg || !idx) return NULL;
    int64_t P = gg->shape[gg->ndim - 2] * gg->shape[gg->ndim - 1];
    int64_t K = idx->shape[idx->ndim - 2] * idx->shape[idx->ndim - 1];
    int64_t planes = P ? gg->numel / P : 0;
    nb_tensor *v = nb_gather(nb_reshape(gg, 2, (int64_t[]){planes, P}), 1,
                             nb_reshape(idx, 2, (int64_t[]){planes, K}));
    return nb_reshape(v, idx->ndim, idx->shape);
}
void nbi_bw_max_pool2d_backward(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    if (!nb_is_valid(n->aux)) {
        nbi_error("backward: the indices of max_pool2d were released before backward");
        return;
    }
    gin[0] = nbi_plane_gather(g, n->aux);
}
