/* loss_ce.c — nll_loss and cross_entropy with torch 1.13's formulas: class-index targets (with
 * per-class weight, ignore_index and label smoothing; the weighted mean divides by the sum of the
 * targets' weights) and class-probability targets. cross_entropy = nll(log_softmax(x)), so on 2-D
 * logits the whole loss is one fused log_softmax kernel, one gather and a sum. */
#include "loss_internal.h"
#include "nba_autograd.h"
#include <math.h>
#include <stdlib.h>

/* The index-target problem in (N, C, d...) form, with the constants derived from the targets. */
typedef struct {
    nb_tensor *x;     /* input viewed as (N, C, d...) */
    nb_tensor *idx;   /* targets (N, 1, d...) with ignored ones replaced by 0 */
    nb_tensor *wt;    /* per-target weight (N, d...): w[y] or 1, 0 where ignored; NULL if all 1 */
    nb_tensor *keep;  /* 1 / 0 for kept / ignored targets (N, d...); NULL if none ignored */
    nb_tensor *wfull; /* class weight shaped (C, 1, ...) to broadcast against x; NULL without weight */
    double wsum;      /* sum of wt (the weighted mean's denominator) */
    int64_t C;
    bool ok;
} nll_prep;

/* checks and constants for index targets y against x ((N, C, d...) or (C) with y ()) */
static nll_prep prepare(nb_tensor *x, nb_tensor *y, nb_tensor *weight, int64_t ignore, const char *op) {
    nll_prep p = { 0 };
    if (x->ndim == 0) {
        nbt_error("%s: input must have at least 1 dimension (C) or (N, C), got a scalar", op);
        return p;
    }
    bool one = x->ndim == 1;
    int64_t N = one ? 1 : x->shape[0];
    p.C = one ? x->shape[0] : x->shape[1];
    /* expected target shape: x's without the class dim */
    bool shape_ok = one ? y->ndim == 0 : y->ndim == x->ndim - 1 && y->shape[0] == N;
    for (int i = 2; shape_ok && i < x->ndim; i++) shape_ok = y->shape[i - 1] == x->shape[i];
    if (!shape_ok) {
        int64_t es[NB_MAX_DIMS] = { N };
        for (int i = 2; i < x->ndim; i++) es[i - 1] = x->shape[i];
        nbt_error("%s: expected target of shape %s (input %s without its class dim), got %s", op,
                  nbt_shape_of(one ? 0 : x->ndim - 1, es), nbt_shape(x), nbt_shape(y));
        return p;
    }
    double *wv = NULL;
    if (weight) {
        if (!nbt_ok(weight, op)) return p;
        if (!nbt_is_float(weight->dtype)) {
            nbt_error("%s: weight must be a floating point tensor, got %s", op, nb_dtype_name(weight->dtype));
            return p;
        }
        if (weight->ndim != 1 || weight->shape[0] != p.C) {
            nbt_error("%s: weight tensor should be defined either for all %lld classes or no classes but got "
                      "weight tensor of shape %s",
                      op, (long long)p.C, nbt_shape(weight));
            return p;
        }
        wv = malloc(sizeof *wv * (size_t)p.C);
        if (!wv || nb_to_doubles(weight, wv) != NB_OK) {
            free(wv);
            if (!nb_error()) nbt_error("%s: out of memory", op);
            return p;
        }
    }
    nb_tensor *yc = nb_contiguous(y);
    const int64_t *yd = yc ? nb_data_i64(yc) : NULL;
    int64_t n = y->numel;
    nb_tensor *idx = nb_empty(NB_I64, y->ndim, y->shape);
    double *wt = malloc(sizeof *wt * (size_t)(n ? n : 1)), *keep = malloc(sizeof *keep * (size_t)(n ? n : 1));
    if (!yd || !idx || !wt || !keep) {
        free(wv);
        free(wt);
        free(keep);
        if (!nb_error()) nbt_error("%s: out of memory", op);
        return p;
    }
    int64_t *id = nb_data_i64(idx);
    bool any_ignored = false;
    for (int64_t i = 0; i < n; i++) {
        int64_t t = yd[i];
        if (t == ignore) {
            id[i] = 0;
            wt[i] = keep[i] = 0;
            any_ignored = true;
            continue;
        }
        if (t < 0 || t >= p.C) {
            nbt_error("%s: target %lld is out of bounds: class indices must be in [0, %lld) (or equal "
                      "ignore_index %lld)",
                      op, (long long)t, (long long)p.C, (long long)ignore);
            free(wv);
            free(wt);
            free(keep);
            return p;
        }
        id[i] = t;
        wt[i] = wv ? wv[t] : 1.0;
        keep[i] = 1;
        p.wsum += wt[i];
    }
    int64_t ys[NB_MAX_DIMS];
    int yn = one ? 1 : y->ndim;
    if (one)
        ys[0] = 1;
    else
        for (int i = 0; i < y->ndim; i++) ys[i] = y->shape[i];
    if (wv || any_ignored) p.wt = nbn_loss_const(x->dtype, yn, ys, wt);
    if (any_ignored) p.keep = nbn_loss_const(x->dtype, yn, ys, keep);
    if (wv) {
        int64_t ws[NB_MAX_DIMS] = { p.C };
        int wn = one ? 1 : x->ndim - 1;
        for (int i = 1; i < wn; i++) ws[i] = 1;
        p.wfull = nbn_loss_const(x->dtype, wn, ws, wv);
    }
    free(wv);
    free(wt);
    free(keep);
    /* (C) -> (1, C); idx (N, d...) -> (N, 1, d...) */
    p.x = one ? nb_unsqueeze(x, 0) : x;
    p.idx = nb_unsqueeze(one ? nb_reshape(idx, 1, (int64_t[]){ 1 }) : idx, 1);
    p.ok = p.x && p.idx && (!(wv || any_ignored) || p.wt);
    return p;
}

/* s / w; with every target ignored (w = 0) the value is NaN and the gradient 0, as torch gives */
static nb_tensor *weighted_mean(nb_tensor *s, double w) {
    return w != 0 ? nb_div_scalar(s, w) : nb_add_scalar(nb_mul_scalar(s, 0), NAN);
}

/* -w_y logp[y] per target, reduced like torch's nll_loss (mean = sum / sum of weights) */
static nb_tensor *nll_reduce(nll_prep *p, nb_tensor *logp, nb_reduction r, bool one, const char *op) {
    nb_tensor *picked = nb_squeeze(nb_gather(logp, 1, p->idx), 1);
    nb_tensor *l = nb_neg(p->wt ? nb_mul(picked, p->wt) : picked);
    switch (r) {
    case NB_REDUCTION_NONE: return one ? nb_reshape(l, 0, NULL) : l;
    case NB_REDUCTION_SUM: return nb_sum(l);
    case NB_REDUCTION_MEAN: return weighted_mean(nb_sum(l), p->wsum);
    }
    return nbt_error("%s: unknown reduction %d", op, (int)r);
}

static bool index_target(nb_tensor *x, nb_tensor *y, const char *op) {
    if (!x || !y) return false;
    if (!nbt_ok(x, op) || !nbt_ok(y, op)) return false;
    if (!nbt_is_float(x->dtype)) {
        nbt_error("%s: input must be floating point, got %s", op, nb_dtype_name(x->dtype));
        return false;
    }
    return true;
}

nb_tensor *nb_nll_loss(nb_tensor *logp, nb_tensor *y, nb_nll_loss_opts o) {
    const char *op = "nb_nll_loss";
    if (!index_target(logp, y, op)) return NULL;
    if (y->dtype != NB_I64)
        return nbt_error("%s: target must hold class indices as int64, got %s", op, nb_dtype_name(y->dtype));
    nll_prep p = prepare(logp, y, o.weight, o.has_ignore_index ? o.ignore_index : -100, op);
    if (!p.ok) return NULL;
    return nba_label(nll_reduce(&p, p.x, o.reduction, logp->ndim == 1, op), logp, "NllLossBackward0");
}

/* class-probability targets: -sum_c w_c y_c logp_c, mean over the N * d... positions */
static nb_tensor *ce_probs(nb_tensor *x, nb_tensor *y, nb_cross_entropy_opts o, const char *op) {
    if (!nbt_same_shape(x, y))
        return nbt_error(
            "%s: float targets are class probabilities and must have the input's shape %s, got %s "
            "(class indices must be int64)",
            op, nbt_shape(x), nbt_shape(y));
    int cd = x->ndim == 1 ? 0 : 1;
    int64_t C = x->shape[cd];
    if (o.label_smoothing > 0)
        y = nb_add_scalar(nb_mul_scalar(y, 1 - o.label_smoothing), o.label_smoothing / (double)C);
    nb_tensor *prod = nb_mul(nb_log_softmax(x, cd), y);
    if (o.weight) {
        if (!nbt_ok(o.weight, op)) return NULL;
        if (o.weight->ndim != 1 || o.weight->shape[0] != C)
            return nbt_error("%s: weight tensor should be defined either for all %lld classes or no classes "
                             "but got weight tensor of shape %s",
                             op, (long long)C, nbt_shape(o.weight));
        int64_t ws[NB_MAX_DIMS] = { C };
        for (int i = 1; i < x->ndim - cd; i++) ws[i] = 1;
        prod = nb_mul(prod, nb_reshape(o.weight, x->ndim - cd, ws));
    }
    switch (o.reduction) {
    case NB_REDUCTION_NONE: return nb_neg(nb_sum_dim(prod, 1, &cd, false));
    case NB_REDUCTION_SUM: return nb_neg(nb_sum(prod));
    case NB_REDUCTION_MEAN: return nb_div_scalar(nb_neg(nb_sum(prod)), (double)(x->numel / (C ? C : 1)));
    }
    return nbt_error("%s: unknown reduction %d", op, (int)o.reduction);
}

nb_tensor *nb_cross_entropy(nb_tensor *x, nb_tensor *y, nb_cross_entropy_opts o) {
    NBT_API("nb_cross_entropy");
    const char *op = "nb_cross_entropy";
    if (!index_target(x, y, op)) return NULL;
    if (!(o.label_smoothing >= 0 && o.label_smoothing <= 1))
        return nbt_error("%s: label_smoothing must be between 0.0 and 1.0. Got: %g", op, o.label_smoothing);
    if (x->ndim == 0)
        return nbt_error("%s: input must have at least 1 dimension (C) or (N, C), got a scalar", op);
    if (nbt_is_float(y->dtype)) return ce_probs(x, y, o, op);
    if (y->dtype != NB_I64)
        return nbt_error("%s: target must be int64 class indices or float probabilities, got %s", op,
                         nb_dtype_name(y->dtype));
    int64_t ignore = o.has_ignore_index ? o.ignore_index : -100;
    nll_prep p = prepare(x, y, o.weight, ignore, op);
    if (!p.ok) return NULL;
    bool one = x->ndim == 1;
    nb_tensor *logp = nb_log_softmax(p.x, 1);
    nb_tensor *nll = nba_label(nll_reduce(&p, logp, o.reduction, one, op), logp, "NllLossBackward0");
    if (o.label_smoothing <= 0) return nll;
    /* torch 1.13: (1 - ls) nll + ls / C * smooth, smooth = -sum_c w_c logp_c (0 where ignored) */
    int cd = 1;
    nb_tensor *smooth = nb_neg(nb_sum_dim(p.wfull ? nb_mul(logp, p.wfull) : logp, 1, &cd, false));
    if (p.keep) smooth = nb_mul(smooth, p.keep);
    nb_tensor *ret = NULL;
    switch (o.reduction) {
    case NB_REDUCTION_NONE: ret = one ? nb_reshape(smooth, 0, NULL) : smooth; break;
    case NB_REDUCTION_SUM: ret = nb_sum(smooth); break;
    case NB_REDUCTION_MEAN:
        ret = weighted_mean(nb_sum(smooth), p.wsum);
        break; /* sum of kept weights (count if none) */
    }
    double ls = o.label_smoothing;
    return nb_add(nb_mul_scalar(nll, 1 - ls), nb_mul_scalar(ret, ls / (double)p.C));
}
