/* distributions.c — torch.distributions.Categorical and Normal on the public API: the same formulas, in
 * the same order of operations, as torch 1.13's categorical.py and normal.py (so values round alike), and
 * the same draws (nb_multinomial_gen, nb_randn_gen), so samples equal torch's after the same seed. */
#include "nb_internal.h"
#include "nb_distributions.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>

/* When nothing is recorded, intermediates live in a private scope and only the results are kept, so no
 * garbage is left behind even outside any scope; when recording, they stay with the tape's scope. */
static nb_scope private_scope(const nb_tensor *a, const nb_tensor *b) {
    bool rec = nb_is_grad_enabled() && ((a && a->requires_grad) || (b && b->requires_grad));
    return rec ? 0 : nb_scope_begin();
}
static nb_tensor *keep_end(nb_scope s, nb_tensor *y) {
    if (s) {
        if (y && y->scope == s) nb_keep(y);
        nb_scope_end(s);
    }
    return y;
}

/* all n values of t as doubles (malloc'd; NULL with an error on failure) */
static double *values(const nb_tensor *t, const char *op) {
    double *v = malloc(sizeof(double) * (size_t)(t->numel ? t->numel : 1));
    if (!v) return nbt_error("%s: out of memory", op);
    if (nb_to_doubles(t, v) != NB_OK) {
        free(v);
        return NULL;
    }
    return v;
}

/* ---- Categorical ---- */
nb_status nb_categorical_init(nb_categorical *d, nb_tensor *probs, nb_tensor *logits) {
    NBT_API("nb_categorical_init");
    const char *op = "nb_categorical_init";
    if (!d) {
        nbt_error("%s: d is NULL", op);
        return NB_ERROR;
    }
    *d = (nb_categorical){ 0 };
    if (!probs && !logits) {
        if (!nb_error())
            nbt_error("%s: either probs or logits must be specified, but not both (got neither)", op);
        return NB_ERROR;
    }
    if (probs && logits) {
        nbt_error("%s: either probs or logits must be specified, but not both", op);
        return NB_ERROR;
    }
    nb_tensor *p = probs ? probs : logits;
    if (!nbt_ok(p, op)) return NB_ERROR;
    if (p->ndim < 1 || !nbt_is_float(p->dtype)) {
        nbt_error("%s: `%s` must be a float tensor of at least one dimension (got %s %s)", op,
                  probs ? "probs" : "logits", nb_dtype_name(p->dtype), nbt_shape(p));
        return NB_ERROR;
    }
    int last = p->ndim - 1;
    nb_tensor *pr, *lg;
    nb_scope sc = private_scope(p, NULL);
    if (probs) { /* probs / probs.sum(-1, keepdim=True); logits = log(probs.clamp(eps, 1 - eps)) */
        pr = nb_div(probs, nb_sum_dim(probs, 1, &last, true));
        double eps = probs->dtype == NB_F32 ? FLT_EPSILON : DBL_EPSILON;
        lg = nb_log(nb_clamp(pr, eps, 1 - eps));
    } else { /* logits - logits.logsumexp(-1, keepdim=True); probs = softmax(logits) */
        lg = nb_sub(logits, nb_logsumexp(logits, 1, &last, true));
        pr = nb_softmax(lg, -1);
    }
    if (!pr || !lg) {
        keep_end(sc, NULL);
        return NB_ERROR;
    }
    /* validate_args: probs on the simplex (>= 0, each row summing to 1 within 1e-6), logits not NaN */
    nb_tensor *chk = nb_contiguous(probs ? pr : lg); /* a fresh result: already contiguous */
    if (!chk) {
        keep_end(sc, NULL);
        return NB_ERROR;
    }
    const float *vf = chk->dtype == NB_F32 ? nb_data_f32(chk) : NULL;
    const double *vd = chk->dtype == NB_F64 ? nb_data_f64(chk) : NULL;
    int64_t n = p->shape[last], rows = n ? p->numel / n : 0, bad = -1;
    for (int64_t r = 0; r < rows && bad < 0; r++) {
        double s = 0;
        bool ok = true;
        for (int64_t j = 0; j < n; j++) {
            double x = vf ? vf[r * n + j] : vd[r * n + j];
            ok &= probs ? x >= 0 : x == x;
            s += x;
        }
        if (!ok || (probs && !(fabs(s - 1) < 1e-6))) bad = r;
    }
    if (bad < 0) {
        if (sc && pr->scope == sc) nb_keep(pr);
        keep_end(sc, lg);
    } else {
        keep_end(sc, NULL);
    }
    if (bad >= 0) {
        if (probs)
            nbt_error("%s: expected parameter probs %s to satisfy the constraint Simplex(), but row %lld has "
                      "an entry < 0, "
                      "NaN or inf, or sums to 0",
                      op, nbt_shape(probs), (long long)bad);
        else
            nbt_error("%s: expected parameter logits %s to satisfy the constraint "
                      "IndependentConstraint(Real(), 1), "
                      "but row %lld normalises to NaN",
                      op, nbt_shape(logits), (long long)bad);
        return NB_ERROR;
    }
    *d = (nb_categorical){ pr, lg, n };
    return NB_OK;
}

static bool cat_ok(const nb_categorical *d, const char *op) {
    if (d && d->probs && d->logits) return nbt_ok(d->probs, op) && nbt_ok(d->logits, op);
    nbt_error("%s: the distribution is not initialised (nb_categorical_init failed or was not called)", op);
    return false;
}

nb_tensor *nb_categorical_sample(const nb_categorical *d, int ndim, const int64_t *sample_shape,
                                 nb_generator *gen) {
    NBT_API("nb_categorical_sample");
    if (!nbt_nonnull(d, "nb_categorical_sample", "distribution")) return NULL;
    const char *op = "nb_categorical_sample";
    if (!cat_ok(d, op)) return NULL;
    nb_tensor *p = d->probs;
    int64_t shape[NB_MAX_DIMS], ns = 1;
    int nb = p->ndim - 1;
    if (ndim < 0 || ndim + nb > NB_MAX_DIMS || (ndim > 0 && !sample_shape))
        return nbt_error("%s: sample shape of %d dims plus batch shape %s is too many dims", op, ndim,
                         nbt_shape(p));
    for (int i = 0; i < ndim; i++) {
        if (sample_shape[i] < 0)
            return nbt_error("%s: negative sample size %lld", op, (long long)sample_shape[i]);
        shape[i] = sample_shape[i];
        ns *= sample_shape[i];
    }
    for (int i = 0; i < nb; i++) shape[ndim + i] = p->shape[i];
    /* probs.reshape(-1, n) -> multinomial(probs_2d, numel(sample_shape), True).T -> reshape */
    nb_scope sc = nb_scope_begin();
    nb_tensor *p2 = nb_reshape(nb_detach(p), 2, (int64_t[]){ -1, d->num_events });
    nb_tensor *s = p2 ? nb_multinomial_gen(p2, ns, true, gen) : NULL;
    return keep_end(sc, s ? nb_reshape(nb_t(s), ndim + nb, shape) : NULL);
}

nb_tensor *nb_categorical_log_prob(const nb_categorical *d, nb_tensor *value) {
    NBT_API("nb_categorical_log_prob");
    if (!nbt_nonnull(d, "nb_categorical_log_prob", "distribution")) return NULL;
    const char *op = "nb_categorical_log_prob";
    if (!cat_ok(d, op) || !nbt_ok(value, op)) return NULL;
    if (value->dtype != NB_I64)
        return nbt_error("%s: value must be an int64 tensor of category indices (got %s)", op,
                         nb_dtype_name(value->dtype));
    double *iv = values(value, op);
    if (!iv) return NULL;
    for (int64_t i = 0; i < value->numel; i++)
        if (iv[i] < 0 || iv[i] >= (double)d->num_events) {
            nbt_error("%s: the value argument must be within the support (0 <= value < %lld), got %lld", op,
                      (long long)d->num_events, (long long)iv[i]);
            free(iv);
            return NULL;
        }
    free(iv);
    /* value.unsqueeze(-1) broadcast against logits; value[..., :1]; logits.gather(-1, value).squeeze(-1) */
    nb_tensor *lg = d->logits;
    nb_scope sc = private_scope(lg, NULL);
    nb_tensor *v = nb_unsqueeze(value, -1);
    int64_t b[NB_MAX_DIMS];
    int nbd = v ? nbt_broadcast_shape(v->ndim, v->shape, lg->ndim, lg->shape, b) : -1;
    if (nbd < 0) {
        if (v)
            nbt_error("%s: value %s does not broadcast with the batch shape of logits %s", op,
                      nbt_shape(value), nbt_shape(lg));
        return keep_end(sc, NULL);
    }
    nb_tensor *lpmf = nb_expand(lg, nbd, b);
    b[nbd - 1] = 1;
    nb_tensor *vi = nb_contiguous(nb_expand(v, nbd, b));
    return keep_end(sc, nb_squeeze(nb_gather(lpmf, -1, vi), -1));
}

nb_tensor *nb_categorical_entropy(const nb_categorical *d) {
    NBT_API("nb_categorical_entropy");
    if (!nbt_nonnull(d, "nb_categorical_entropy", "distribution")) return NULL;
    if (!cat_ok(d, "nb_categorical_entropy")) return NULL;
    double min_real = d->logits->dtype == NB_F32 ? -FLT_MAX : -DBL_MAX;
    nb_scope sc = private_scope(d->logits, d->probs);
    nb_tensor *plogp = nb_mul(nb_clamp(d->logits, min_real, INFINITY), d->probs);
    int last = d->logits->ndim - 1;
    return keep_end(sc, nb_neg(nb_sum_dim(plogp, 1, &last, false)));
}

/* ---- Normal ---- */
nb_status nb_normal_dist_init(nb_normal_dist *d, nb_tensor *loc, nb_tensor *scale) {
    NBT_API("nb_normal_dist_init");
    const char *op = "nb_normal_dist_init";
    if (!d) {
        nbt_error("%s: d is NULL", op);
        return NB_ERROR;
    }
    *d = (nb_normal_dist){ 0 };
    if (!loc || !scale) {
        if (!nb_error()) nbt_error("%s: loc and scale must be given", op);
        return NB_ERROR;
    }
    if (!nbt_ok(loc, op) || !nbt_ok(scale, op)) return NB_ERROR;
    if (!nbt_is_float(loc->dtype) || !nbt_is_float(scale->dtype)) {
        nbt_error("%s: loc and scale must be float tensors (got %s and %s)", op, nb_dtype_name(loc->dtype),
                  nb_dtype_name(scale->dtype));
        return NB_ERROR;
    }
    int64_t b[NB_MAX_DIMS];
    int nbd = nbt_broadcast_shape(loc->ndim, loc->shape, scale->ndim, scale->shape, b);
    if (nbd < 0) {
        nbt_error("%s: loc %s and scale %s do not broadcast", op, nbt_shape(loc), nbt_shape(scale));
        return NB_ERROR;
    }
    nb_dtype dt = nbt_promote(loc->dtype, scale->dtype);
    nb_scope sc = private_scope(loc, scale);
    nb_tensor *l = nb_expand(nb_to(loc, dt), nbd, b), *s = nb_expand(nb_to(scale, dt), nbd, b);
    if (l && s && sc) {
        if (l->scope == sc) nb_keep(l);
        if (s->scope == sc) nb_keep(s);
    }
    keep_end(sc, NULL);
    if (!l || !s) return NB_ERROR;
    double *lv = values(l, op), *sv = lv ? values(s, op) : NULL;
    bool okl = lv != NULL, oks = sv != NULL;
    for (int64_t i = 0; okl && oks && i < l->numel; i++) {
        okl = lv[i] == lv[i];
        oks = sv[i] > 0;
    }
    free(lv);
    free(sv);
    if (!okl || !oks) {
        if (!nb_error())
            nbt_error(!okl ? "%s: expected parameter loc %s to satisfy the constraint Real(), but found NaN"
                           : "%s: expected parameter scale %s to satisfy the constraint "
                             "GreaterThan(lower_bound=0.0), "
                             "but found a value <= 0 or NaN",
                      op, nbt_shape(!okl ? loc : scale));
        return NB_ERROR;
    }
    *d = (nb_normal_dist){ l, s };
    return NB_OK;
}

static bool normal_ok(const nb_normal_dist *d, const char *op) {
    if (d && d->loc && d->scale) return nbt_ok(d->loc, op) && nbt_ok(d->scale, op);
    nbt_error("%s: the distribution is not initialised (nb_normal_dist_init failed or was not called)", op);
    return false;
}

/* eps = randn(sample_shape + batch_shape) in loc's dtype */
static nb_tensor *std_normal(const nb_normal_dist *d, int ndim, const int64_t *sample_shape,
                             nb_generator *gen, const char *op) {
    if (!normal_ok(d, op)) return NULL;
    nb_tensor *l = d->loc;
    if (ndim < 0 || ndim + l->ndim > NB_MAX_DIMS || (ndim > 0 && !sample_shape))
        return nbt_error("%s: sample shape of %d dims plus batch shape %s is too many dims", op, ndim,
                         nbt_shape(l));
    int64_t shape[NB_MAX_DIMS];
    for (int i = 0; i < ndim; i++) shape[i] = sample_shape[i];
    for (int i = 0; i < l->ndim; i++) shape[ndim + i] = l->shape[i];
    return nb_randn_gen(l->dtype, ndim + l->ndim, shape, gen);
}

nb_tensor *nb_normal_dist_sample(const nb_normal_dist *d, int ndim, const int64_t *sample_shape,
                                 nb_generator *gen) {
    NBT_API("nb_normal_dist_sample");
    if (!nbt_nonnull(d, "nb_normal_dist_sample", "distribution")) return NULL;
    nb_scope sc = nb_scope_begin();
    nb_tensor *eps = std_normal(d, ndim, sample_shape, gen, "nb_normal_dist_sample"), *y = NULL;
    if (eps) NB_NO_GRAD {
            y = nb_add(nb_mul(eps, d->scale), d->loc);
        } /* torch.normal: normal_().mul_(std).add_(mean) */
    return keep_end(sc, y);
}

nb_tensor *nb_normal_dist_rsample(const nb_normal_dist *d, int ndim, const int64_t *sample_shape,
                                  nb_generator *gen) {
    NBT_API("nb_normal_dist_rsample");
    if (!nbt_nonnull(d, "nb_normal_dist_rsample", "distribution")) return NULL;
    nb_scope sc = private_scope(d->loc, d->scale);
    nb_tensor *eps = std_normal(d, ndim, sample_shape, gen, "nb_normal_dist_rsample");
    return keep_end(sc, eps ? nb_add(d->loc, nb_mul(eps, d->scale)) : NULL);
}

nb_tensor *nb_normal_dist_log_prob(const nb_normal_dist *d, nb_tensor *value) {
    NBT_API("nb_normal_dist_log_prob");
    if (!nbt_nonnull(d, "nb_normal_dist_log_prob", "distribution")) return NULL;
    const char *op = "nb_normal_dist_log_prob";
    if (!normal_ok(d, op) || !nbt_ok(value, op)) return NULL;
    nb_scope sc = private_scope(d->loc, d->scale);
    if (sc && value->requires_grad && nb_is_grad_enabled()) {
        nb_scope_end(sc);
        sc = 0;
    }
    nb_tensor *var = nb_pow_scalar(d->scale, 2);
    nb_tensor *q = nb_div(nb_neg(nb_pow_scalar(nb_sub(value, d->loc), 2)), nb_mul_scalar(var, 2));
    return keep_end(sc, nb_sub_scalar(nb_sub(q, nb_log(d->scale)), log(sqrt(2 * M_PI))));
}

nb_tensor *nb_normal_dist_entropy(const nb_normal_dist *d) {
    NBT_API("nb_normal_dist_entropy");
    if (!nbt_nonnull(d, "nb_normal_dist_entropy", "distribution")) return NULL;
    if (!normal_ok(d, "nb_normal_dist_entropy")) return NULL;
    nb_scope sc = private_scope(d->scale, NULL);
    return keep_end(sc, nb_add_scalar(nb_log(d->scale), 0.5 + 0.5 * log(2 * M_PI)));
}
