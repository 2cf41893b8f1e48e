/* ops_pool_avg.c — average pooling: F.avg_pool2d / avg_pool1d (ceil_mode, count_include_pad,
 * divisor_override) and F.adaptive_avg_pool2d, with torch 1.13's windows and divisors (cpu_avg_pool,
 * cpu_adaptive_avg_pool). Both are linear: the backward (spread g / divisor over each window) is
 * a recorded op whose own backward is the forward pooling again, so both are order 2. */
#include "nb_spatial.h"
#include "nba_pool.h"
#include <math.h>

/* node iv layout: [0] adaptive, [1,2] kernel, [3,4] stride, [5,6] padding, [7] ceil_mode,
 * [8] count_include_pad, [9] divisor_override, [10,11] output (OH, OW), [12] ndim, [13..16] x shape */
enum { IV_ADAPTIVE, IV_K, IV_S = 3, IV_P = 5, IV_CEIL = 7, IV_INCL, IV_DIV, IV_OUT, IV_NDIM = 12, IV_SHAPE };

/* avg windows (torch's cpu_avg_pool): [o s - p, min(o s - p + k, n + p)) clipped to [0, n); the
 * divisor factor is the unclipped size with count_include_pad, else the clipped one (1 if empty:
 * an empty window gives 0 as in torch) */
static void avg_windows(nba_pdim *p, int64_t n, int64_t k, int64_t s, int64_t pad, bool incl) {
    for (int64_t o = 0; o < p->d.n_out; o++) {
        int64_t st = o * s - pad, en = st + k < n + pad ? st + k : n + pad, size = en - st;
        if (st < 0) st = 0;
        if (en > n) en = n;
        p->start[o] = st;
        p->end[o] = en;
        p->fac[o] = (double)(incl ? size : en > st ? en - st : 1);
    }
}
/* adaptive windows (torch's start_index / end_index, computed in float as torch does) */
static void adaptive_windows(nba_pdim *p, int64_t n) {
    int64_t out = p->d.n_out;
    for (int64_t o = 0; o < out; o++) {
        p->start[o] = (int64_t)floorf((float)(o * n) / (float)out);
        p->end[o] = (int64_t)ceilf((float)((o + 1) * n) / (float)out);
        p->fac[o] = (double)(p->end[o] - p->start[o]);
    }
}
bool nba_adaptive_windows(nba_pdim *p, int64_t n, int64_t out) {
    if (!nba_pdim_new(p, n, out, 1)) return false;
    adaptive_windows(p, n);
    return true;
}

/* the windows of a node's iv over input planes (H, W) */
static bool geometry(const int64_t *iv, int64_t H, int64_t W, nba_pdim *h, nba_pdim *w) {
    if (!nba_pdim_new(h, H, iv[IV_OUT], 1)) return false;
    if (!nba_pdim_new(w, W, iv[IV_OUT + 1], 1)) {
        nba_pdim_free(h);
        return false;
    }
    if (iv[IV_ADAPTIVE]) {
        adaptive_windows(h, H);
        adaptive_windows(w, W);
    } else {
        avg_windows(h, H, iv[IV_K], iv[IV_S], iv[IV_P], iv[IV_INCL]);
        avg_windows(w, W, iv[IV_K + 1], iv[IV_S + 1], iv[IV_P + 1], iv[IV_INCL]);
    }
    return true;
}

/* y = avg pooling of x by the node arguments iv (recorded as avg_pool2d) */
static nb_tensor *avg_forward(nb_tensor *x, const int64_t *iv) {
    if (!x) return NULL;
    nba_pdim h, w;
    if (!geometry(iv, x->shape[x->ndim - 2], x->shape[x->ndim - 1], &h, &w)) return NULL;
    nb_tensor *y = nbt_avg_pool2d(x, &h.d, &w.d, (double)iv[IV_DIV], iv[IV_ADAPTIVE] != 0);
    nba_pdim_free(&h);
    nba_pdim_free(&w);
    nba_node *n = nba_record(NBA_OP_avg_pool2d, y, 1, &x, 0);
    if (n) {
        for (int i = 0; i < IV_NDIM; i++) n->iv[i] = iv[i];
        if (iv[IV_ADAPTIVE]) n->label = "AdaptiveAvgPool2DBackward0";
    }
    return y;
}
/* dx (x's shape from iv) = g / divisor spread over the windows (recorded as avg_pool2d_backward) */
/* The node reads x too (derivative 0), like torch's avg_pool2d_backward(g, x, ...): under create_graph dx
 * stays connected to x, so a Hessian-vector product gives zeros there instead of an error. */
static nb_tensor *avg_backward(nb_tensor *g, nb_tensor *x, const int64_t *iv) {
    if (!g) return NULL;
    int nd = (int)iv[IV_NDIM];
    const int64_t *shp = iv + IV_SHAPE;
    nba_pdim h, w;
    if (!geometry(iv, shp[nd - 2], shp[nd - 1], &h, &w)) return NULL;
    nb_tensor *dx = nbt_avg_pool2d_backward(g, &h.d, &w.d, (double)iv[IV_DIV], iv[IV_ADAPTIVE] != 0, nd, shp);
    nba_pdim_free(&h);
    nba_pdim_free(&w);
    nba_node *n = nba_record(NBA_OP_avg_pool2d_backward, dx, 2, (nb_tensor *[]){ g, x }, 0);
    if (n) {
        for (int i = 0; i < IV_SHAPE + nd; i++) n->iv[i] = iv[i];
        if (iv[IV_ADAPTIVE]) n->label = "AdaptiveAvgPool2DBackwardBackward0";
    }
    return dx;
}
void nba_bw_avg_pool2d(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    int64_t iv[IV_SHAPE + NB_MAX_DIMS];
    for (int i = 0; i < IV_NDIM; i++) iv[i] = n->iv[i];
    iv[IV_NDIM] = x->ndim;
    for (int i = 0; i < x->ndim; i++) iv[IV_SHAPE + i] = x->shape[i];
    gin[0] = avg_backward(g, x, iv);
}
void nba_bw_avg_pool2d_backward(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = avg_forward(g, n->iv);
    if (nba_need(n, 1)) gin[1] = nb_zeros_like(nba_in(n, 1)); /* d/dx of the backward: 0 */
}

/* F.avg_pool2d with resolved (H, W) arguments; op names the public function */
nb_tensor *nba_avg_pool2d_impl(const char *op, nb_tensor *x, const int64_t k[2], const int64_t s[2],
                               const int64_t p[2], bool ceil_mode, bool include_pad, int64_t divisor) {
    if (x->ndim < 3)
        return nbt_error("%s: Dimension out of range (expected to be in range of [-%d, %d], but got -3)", op,
                         x->ndim ? x->ndim : 1, x->ndim ? x->ndim - 1 : 0);
    if (x->ndim > 4) /* torch's avg_pool2d reports this one from its shape check */
        return nbt_error(
            "%s: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
            "but got: %s",
            op, nbt_shape(x));
    int64_t out[2], iv[IV_NDIM] = { 0 };
    if (!nba_pool2d_check(op, x, k, s, p, (const int64_t[]){ 1, 1 }, ceil_mode, out)) return NULL;
    for (int i = 0; i < 2; i++) {
        iv[IV_K + i] = k[i];
        iv[IV_S + i] = s[i];
        iv[IV_P + i] = p[i];
        iv[IV_OUT + i] = out[i];
    }
    iv[IV_CEIL] = ceil_mode;
    iv[IV_INCL] = include_pad;
    iv[IV_DIV] = divisor;
    return avg_forward(x, iv);
}

nb_tensor *nb_avg_pool2d(nb_tensor *x, nb_avg_pool2d_opts o) {
    NBA_CHECK("nb_avg_pool2d", x);
    int64_t k[2], s[2];
    nba_pool_pair(o.kernel_size, 0, 0, k);
    nba_pool_pair(o.stride, k[0], k[1], s);
    return nba_avg_pool2d_impl("nb_avg_pool2d", x, k, s, o.padding, o.ceil_mode, !o.no_count_include_pad,
                               o.divisor_override);
}

/* F.avg_pool1d = avg_pool2d of x.unsqueeze(-2) with kernel (1, k), squeezed back */
nb_tensor *nb_avg_pool1d(nb_tensor *x, nb_avg_pool1d_opts o) {
    NBT_API("nb_avg_pool1d");
    NBA_CHECK("nb_avg_pool1d", x);
    if (x->ndim != 2 && x->ndim != 3)
        return nbt_error(
            "nb_avg_pool1d: Expected 2 to 3 dimensions, but got %d-dimensional tensor for argument "
            "#1 'self' (while checking arguments for avg_pool1d)",
            x->ndim);
    int64_t k[2] = { 1, o.kernel_size }, s[2] = { 1, o.stride ? o.stride : o.kernel_size },
            p[2] = { 0, o.padding };
    nba_tmp tmp = nba_tmp_begin(1, &x);
    nb_tensor *x2 = nb_unsqueeze(x, -2);
    nb_tensor *y = x2 ? nba_avg_pool2d_impl("nb_avg_pool1d", x2, k, s, p, o.ceil_mode,
                                            !o.no_count_include_pad, 0)
                      : NULL;
    return nba_tmp_end(tmp, nb_squeeze(y, -2));
}

/* F.adaptive_avg_pool2d: output (1, 1) is a mean over (H, W) as in torch; else adaptive windows */
nb_tensor *nb_adaptive_avg_pool2d(nb_tensor *x, int64_t oh, int64_t ow) {
    NBT_API("nb_adaptive_avg_pool2d");
    NBA_CHECK("nb_adaptive_avg_pool2d", x);
    const char *op = "nb_adaptive_avg_pool2d";
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: expects a floating point tensor (got %s)", op, nb_dtype_name(x->dtype));
    if (x->ndim < 3) return nbt_error("%s: Input dimension should be at least 3 (got %s)", op, nbt_shape(x));
    if (x->ndim > 4)
        return nbt_error("%s: adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got %s", op, nbt_shape(x));
    if (oh < 0 || ow < 0)
        return nbt_error(
            "%s: adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
            "received {%lld, %lld}",
            op, (long long)oh, (long long)ow);
    for (int d = x->ndim - 2; d < x->ndim; d++)
        if (x->shape[d] == 0)
            return nbt_error("%s: adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                             "dimensions, but input has sizes %s with dimension %d being empty",
                             op, nbt_shape(x), d);
    if (oh == 1 && ow == 1) return nb_mean_dim(x, NB_DIMS(-2, -1), true);
    int64_t iv[IV_NDIM] = { [IV_ADAPTIVE] = 1, [IV_OUT] = oh, [IV_OUT + 1] = ow };
    return avg_forward(x, iv);
}
