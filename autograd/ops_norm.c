/* ops_norm.c — F.batch_norm and F.group_norm. Batch norm with batch statistics is one fused node
 * (NativeBatchNormBackward0): per-channel mean and biased variance (tensor/kernels_norm.c), then
 * y = x * alpha_c + beta_c; its backward recomputes the statistics from the saved x and runs the fused
 * kernel, or, when the backward is itself recorded (create_graph), the same formula in differentiable
 * ops, so second derivatives work (order 2). With running statistics (eval) y = x * scale_c + shift_c is
 * one pass (a channel-affine node whose backward is written with differentiable ops), scale and shift
 * made from weight, bias and the running statistics by differentiable ops. Group norm is the batch-norm
 * node on x viewed as (1, N*G, L), then the channel affine. */
#include "nba_tape.h"
#include "nb_norm.h"
#include <math.h>
#include <stdlib.h>

/* torch's InvStd: 1 / sqrt(var + eps), 0 when both are 0 */
static double inv_std(double var, double eps) { return var != 0 || eps != 0 ? 1.0 / sqrt(var + eps) : 0.0; }

/* the per-channel values of an optional (C)-element tensor, or NULL */
static double *values(const nb_tensor *t, double *buf) {
    if (!t) return NULL;
    return nb_to_doubles(t, buf) == NB_OK ? buf : NULL;
}

/* y = (x - mean_c) invstd_c w_c + b_c with the batch statistics of x (float, >= 2 dims, C = shape[1]);
 * mean and var (biased) receive the statistics when not NULL */
static nb_tensor *bn_batch(nb_tensor *x, nb_tensor *w, nb_tensor *b, double eps, double *mean, double *var) {
    int64_t C = x->shape[1];
    double *buf = malloc(sizeof(double) * (size_t)(6 * C + 1));
    if (!buf) return nbt_error("nb_batch_norm: out of memory (%lld channels)", (long long)C);
    double *mu = buf, *vr = buf + C, *alpha = buf + 2 * C, *beta = buf + 3 * C;
    double *wv = values(w, buf + 4 * C), *bv = values(b, buf + 5 * C);
    nb_tensor *xc = nbt_contig(x), *y = NULL;
    if (xc) {
        nbt_channel_moments(xc, mu, vr);
        for (int64_t c = 0; c < C; c++) {
            alpha[c] = inv_std(vr[c], eps) * (wv ? wv[c] : 1.0);
            beta[c] = (bv ? bv[c] : 0.0) - mu[c] * alpha[c];
        }
        y = nbt_channel_affine(xc, alpha, beta);
        if (xc != x) nb_free(xc);
    }
    if (y && mean) memcpy(mean, mu, sizeof(double) * (size_t)C);
    if (y && var) memcpy(var, vr, sizeof(double) * (size_t)C);
    free(buf);
    nba_node *n = nba_record(NBA_OP_batch_norm, y, 3, (nb_tensor *[]){ x, w, b }, 3);
    if (n) n->s[0] = eps;
    return y;
}

/* a (C)-valued gradient with t's shape and dtype */
static nb_tensor *from_values(const nb_tensor *t, const double *v) {
    nb_tensor *r = nbt_new(t->dtype, t->ndim, t->shape);
    if (!r) return NULL;
    for (int64_t i = 0; i < r->numel; i++) {
        if (r->dtype == NB_F32)
            ((float *)nbt_ptr(r))[i] = (float)v[i];
        else
            ((double *)nbt_ptr(r))[i] = v[i];
    }
    return r;
}

/* y = x * scale_c + shift_c over dim 1 (one pass): dx = g scale_c, dscale_c = sum g x, dshift_c = sum g */
static nb_tensor *channel_affine(nb_tensor *x, nb_tensor *scale, nb_tensor *shift) {
    if (!x || !scale || !shift) return NULL;
    int64_t C = x->shape[1];
    double *buf = malloc(sizeof(double) * (size_t)(2 * C + 1));
    if (!buf) return nbt_error("nb_batch_norm: out of memory (%lld channels)", (long long)C);
    nb_tensor *xc = values(scale, buf) && values(shift, buf + C) ? nbt_contig(x) : NULL, *y = NULL;
    if (xc) y = nbt_channel_affine(xc, buf, buf + C);
    if (xc && xc != x) nb_free(xc);
    free(buf);
    nba_record(NBA_OP_channel_affine, y, 3, (nb_tensor *[]){ x, scale, shift }, 3);
    return y;
}
void nba_bw_channel_affine(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0), *scale = nba_in(n, 1), *shift = nba_in(n, 2);
    if (!nb_is_grad_enabled()) { /* fused: the per-channel sums in one pass, dx = g * scale_c in another */
        int64_t C = x->shape[1];
        double *buf = calloc((size_t)(4 * C + 1), sizeof(double));
        nb_tensor *xc = buf ? nbt_contig(x) : NULL, *gc = xc ? nbt_contig(g) : NULL;
        double *zero = buf, *sc = buf + C, *sg = buf + 2 * C, *sgx = buf + 3 * C;
        if (gc && values(scale, sc)) {
            nbt_batch_norm_backward(xc, gc, zero, zero, NULL, false, sg, sgx);
            if (nba_need(n, 0)) gin[0] = nbt_channel_affine(gc, sc, zero);
            if (nba_need(n, 1)) gin[1] = from_values(scale, sgx);
            if (nba_need(n, 2)) gin[2] = from_values(shift, sg);
        } else if (!buf)
            nbt_oom(sizeof(double) * (size_t)(4 * C), "NativeBatchNormBackward0's per-channel sums");
        if (gc && gc != g) nb_free(gc);
        if (xc && xc != x) nb_free(xc);
        free(buf);
        return;
    }
    int dims[NB_MAX_DIMS], nd = 0;
    int64_t cs[NB_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        cs[d] = d == 1 ? x->shape[1] : 1;
        if (d != 1) dims[nd++] = d;
    }
    if (nba_need(n, 0)) gin[0] = nb_mul(g, nb_reshape(scale, x->ndim, cs));
    if (nba_need(n, 1))
        gin[1] = nb_reshape(nb_sum_dim(nb_mul(g, x), nd, dims, false), scale->ndim, scale->shape);
    if (nba_need(n, 2)) gin[2] = nb_reshape(nb_sum_dim(g, nd, dims, false), shift->ndim, shift->shape);
}

/* xhat = (x - mean) invstd, gh = g w: dx = invstd (gh - mean(gh) - xhat mean(gh xhat)),
 * dw = sum(g xhat), db = sum(g) over every dim but 1 */
void nba_bw_batch_norm(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0), *w = nba_in(n, 1), *b = nba_in(n, 2);
    double eps = n->s[0];
    int64_t C = x->shape[1];
    if (nb_is_grad_enabled()) { /* create_graph: the same rule in differentiable ops */
        int dims[NB_MAX_DIMS], nd = 0;
        int64_t cs[NB_MAX_DIMS];
        for (int d = 0; d < x->ndim; d++) {
            cs[d] = d == 1 ? C : 1;
            if (d != 1) dims[nd++] = d;
        }
        nb_tensor *xm = nb_sub(x, nb_mean_dim(x, nd, dims, true));
        nb_tensor *invstd = nb_rsqrt(nb_add_scalar(nb_mean_dim(nb_square(xm), nd, dims, true), eps));
        nb_tensor *xhat = nb_mul(xm, invstd);
        nb_tensor *gh = w ? nb_mul(g, nb_reshape(w, x->ndim, cs)) : g;
        if (nba_need(n, 0)) {
            nb_tensor *proj = nb_mul(xhat, nb_mean_dim(nb_mul(gh, xhat), nd, dims, true));
            gin[0] = nb_mul(invstd, nb_sub(nb_sub(gh, nb_mean_dim(gh, nd, dims, true)), proj));
        }
        if (w && nba_need(n, 1))
            gin[1] = nb_reshape(nb_sum_dim(nb_mul(g, xhat), nd, dims, false), w->ndim, w->shape);
        if (b && nba_need(n, 2)) gin[2] = nb_reshape(nb_sum_dim(g, nd, dims, false), b->ndim, b->shape);
        return;
    }
    double *buf = malloc(sizeof(double) * (size_t)(6 * C + 1));
    if (!buf) {
        nbt_oom(sizeof(double) * (size_t)(6 * C + 1), "NativeBatchNormBackward0's per-channel sums");
        return;
    }
    double *mu = buf, *invstd = buf + C, *sg = buf + 2 * C, *sgx = buf + 3 * C, *dw = buf + 5 * C;
    double *wv = values(w, buf + 4 * C);
    nb_tensor *xc = nbt_contig(x), *gc = xc ? nbt_contig(g) : NULL;
    if (gc) {
        nbt_channel_moments(xc, mu, invstd);
        for (int64_t c = 0; c < C; c++) invstd[c] = inv_std(invstd[c], eps);
        nb_tensor *dx = nbt_batch_norm_backward(xc, gc, mu, invstd, wv, nba_need(n, 0), sg, sgx);
        if (nba_need(n, 0)) gin[0] = dx;
        for (int64_t c = 0; c < C; c++) dw[c] = sgx[c] * invstd[c];
        if (w && nba_need(n, 1)) gin[1] = from_values(w, dw);
        if (b && nba_need(n, 2)) gin[2] = from_values(b, sg);
    }
    if (gc && gc != g) nb_free(gc);
    if (xc && xc != x) nb_free(xc);
    free(buf);
}

/* the number of values in the last nd dims of x (a layer-norm row) */
static int64_t ln_row(const nb_tensor *x, int nd) {
    int64_t N = 1;
    for (int d = x->ndim - nd; d < x->ndim; d++) N *= x->shape[d];
    return N;
}

/* y = (x - mean) / sqrt(var + eps) * w + b over the last nd dims (n->iv[0]), as one node */
nb_tensor *nba_layer_norm(nb_tensor *x, int nd, nb_tensor *w, nb_tensor *b, double eps) {
    nb_tensor *xc = nbt_contig(x), *wc = w ? nbt_contig(w) : NULL, *bc = b ? nbt_contig(b) : NULL;
    nb_tensor *y = xc && (wc || !w) && (bc || !b) ? nbt_layer_norm(xc, ln_row(x, nd), wc, bc, eps) : NULL;
    if (xc && xc != x) nb_free(xc);
    if (wc && wc != w) nb_free(wc);
    if (bc && bc != b) nb_free(bc);
    nba_node *n = nba_record(NBA_OP_layer_norm, y, 3, (nb_tensor *[]){ x, w, b },
                             NBA_SAVE_IN(0) | NBA_SAVE_IN(1));
    if (n) n->s[0] = eps, n->iv[0] = nd, n->niv = 1;
    return y;
}
/* xhat = (x - mean) rstd, gw = g w: dx = rstd (gw - mean(gw) - xhat mean(gw xhat)), dw = sum of g xhat and
 * db = sum of g over the leading dims; recorded (create_graph) in differentiable ops, else fused */
void nba_bw_layer_norm(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0), *w = nba_in(n, 1), *b = nba_in(n, 2);
    int nd = (int)n->iv[0], dims[NB_MAX_DIMS];
    double eps = n->s[0];
    bool nx = nba_need(n, 0), nw = w && nba_need(n, 1), nb = b && nba_need(n, 2);
    if (nb_is_grad_enabled()) {
        for (int i = 0; i < nd; i++) dims[i] = x->ndim - nd + i;
        nb_tensor *xm = nb_sub(x, nb_mean_dim(x, nd, dims, true));
        nb_tensor *rstd = nb_rsqrt(nb_add_scalar(nb_mean_dim(nb_square(xm), nd, dims, true), eps));
        nb_tensor *xhat = nb_mul(xm, rstd), *gw = w ? nb_mul(g, w) : g;
        if (nx) {
            nb_tensor *proj = nb_mul(xhat, nb_mean_dim(nb_mul(gw, xhat), nd, dims, true));
            gin[0] = nb_mul(rstd, nb_sub(nb_sub(gw, nb_mean_dim(gw, nd, dims, true)), proj));
        }
        if (nw) gin[1] = nba_sum_to(nb_mul(g, xhat), w);
        if (nb) gin[2] = nba_sum_to(g, b);
        return;
    }
    nb_tensor *xc = nbt_contig(x), *gc = xc ? nbt_contig(g) : NULL, *wc = gc && w ? nbt_contig(w) : NULL;
    nb_tensor *dx = NULL, *dw = NULL, *db = NULL;
    if (gc && (wc || !w) &&
        nbt_layer_norm_backward(xc, gc, ln_row(x, nd), wc, eps, nx ? &dx : NULL, nw ? &dw : NULL,
                                nb ? &db : NULL) == NB_OK) {
        if (nx) gin[0] = dx;
        if (nw) gin[1] = nd == 1 ? dw : nb_reshape(dw, w->ndim, w->shape);
        if (nb) gin[2] = nd == 1 ? db : nb_reshape(db, b->ndim, b->shape);
    }
    if (wc && wc != w) nb_free(wc);
    if (gc && gc != g) nb_free(gc);
    if (xc && xc != x) nb_free(xc);
}

/* a per-channel tensor argument: NULL, or numel C of x's dtype */
static bool channel_arg(const char *fn, const char *what, const nb_tensor *t, const nb_tensor *x, int64_t C) {
    if (!t) return true;
    if (!nbt_ok(t, fn)) return false;
    if (t->numel != C) {
        nbt_error("%s: %s should contain %lld elements not %lld", fn, what, (long long)C,
                  (long long)t->numel);
        return false;
    }
    if (t->dtype != x->dtype) {
        nbt_error("%s: mixed dtype: %s is %s but the input is %s", fn, what, nb_dtype_name(t->dtype),
                  nb_dtype_name(x->dtype));
        return false;
    }
    return true;
}

/* running = (1 - m) running + m batch, in double like torch's CPU kernel; under no-grad, bumps the version */
static nb_status update_running(nb_tensor *r, const double *batch, double m, double *buf) {
    if (nb_to_doubles(r, buf) != NB_OK) return NB_ERROR;
    for (int64_t c = 0; c < r->numel; c++) buf[c] = m * batch[c] + (1 - m) * buf[c];
    nb_tensor *t = from_values(r, buf);
    nb_tensor *ok = NULL;
    NB_NO_GRAD { ok = nb_copy_(r, t); }
    nb_free(t);
    return ok ? NB_OK : NB_ERROR;
}

nb_tensor *nb_batch_norm(nb_tensor *x, nb_tensor *running_mean, nb_tensor *running_var, nb_tensor *weight,
                         nb_tensor *bias, nb_batch_norm_opts o) {
    NBT_API("nb_batch_norm");
    const char *fn = "nb_batch_norm";
    NBA_CHECK(fn, x);
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: expects a floating point input (got %s)", fn, nb_dtype_name(x->dtype));
    if (x->ndim < 2)
        return nbt_error("%s: expected an input of at least 2 dims (N, C, ...), got %s", fn, nbt_shape(x));
    int64_t C = x->shape[1], M = x->numel / (C ? C : 1);
    if (!channel_arg(fn, "running_mean", running_mean, x, C) ||
        !channel_arg(fn, "running_var", running_var, x, C) || !channel_arg(fn, "weight", weight, x, C) ||
        !channel_arg(fn, "bias", bias, x, C))
        return NULL;
    double eps = o.eps == 0 ? 1e-5 : o.eps;
    double momentum = o.momentum == 0 && !signbit(o.momentum) ? 0.1 : o.momentum;
    if (!o.training) {
        if (!running_mean || !running_var)
            return nbt_error("%s: running_mean and running_var must be defined in evaluation mode", fn);
        nb_tensor *scale = nb_rsqrt(nb_add_scalar(nb_reshape(nb_detach(running_var), 1, &C), eps));
        if (weight) scale = nb_mul(nb_reshape(weight, 1, &C), scale);
        nb_tensor *shift = nb_neg(nb_mul(nb_reshape(nb_detach(running_mean), 1, &C), scale));
        if (bias) shift = nb_add(nb_reshape(bias, 1, &C), shift);
        return channel_affine(x, scale, shift);
    }
    if (M == 1)
        return nbt_error("%s: Expected more than 1 value per channel when training, got input size %s", fn,
                         nbt_shape(x));
    if (M == 0) return nb_clone(x); /* an empty batch: nothing to normalise, running stats untouched */
    bool update = running_mean || running_var;
    double *stats = update ? malloc(sizeof(double) * (size_t)(3 * C)) : NULL;
    if (update && !stats) return nbt_error("%s: out of memory (%lld channels)", fn, (long long)C);
    nb_tensor *y = bn_batch(x, weight, bias, eps, stats, stats ? stats + C : NULL);
    if (y && update) {
        double *var = stats + C, *tmp = stats + 2 * C;
        for (int64_t c = 0; c < C; c++) var[c] *= (double)M / (double)(M - 1); /* unbiased */
        if ((running_mean && update_running(running_mean, stats, momentum, tmp) != NB_OK) ||
            (running_var && update_running(running_var, var, momentum, tmp) != NB_OK))
            y = NULL;
    }
    free(stats);
    return y;
}

nb_tensor *nb_group_norm(nb_tensor *x, int64_t num_groups, nb_tensor *weight, nb_tensor *bias, double eps) {
    NBT_API("nb_group_norm");
    const char *fn = "nb_group_norm";
    NBA_CHECK(fn, x);
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: expects a floating point input (got %s)", fn, nb_dtype_name(x->dtype));
    if (x->ndim < 2)
        return nbt_error("%s: expected an input of at least 2 dims (N, C, ...), got %s", fn, nbt_shape(x));
    int64_t N = x->shape[0], C = x->shape[1];
    if (num_groups <= 0 || C % num_groups)
        return nbt_error(
            "%s: Expected number of channels in input to be divisible by num_groups, but got input of "
            "shape %s and num_groups=%lld",
            fn, nbt_shape(x), (long long)num_groups);
    if (!channel_arg(fn, "weight", weight, x, C) || !channel_arg(fn, "bias", bias, x, C)) return NULL;
    if (eps == 0) eps = 1e-5;
    if (x->numel == 0) return nb_clone(x);
    int64_t cs[NB_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) cs[d] = d == 1 ? C : 1;
    nb_tensor *v = nb_reshape(x, NB_SHAPE(1, N * num_groups, -1));
    nb_tensor *y = v ? nb_reshape(bn_batch(v, NULL, NULL, eps, NULL, NULL), x->ndim, x->shape) : NULL;
    if (weight && bias)
        y = channel_affine(y, weight, bias);
    else if (weight)
        y = nb_mul(y, nb_reshape(weight, x->ndim, cs));
    else if (bias)
        y = nb_add(y, nb_reshape(bias, x->ndim, cs));
    return nba_label(y, x, "NativeGroupNormBackward0");
}
