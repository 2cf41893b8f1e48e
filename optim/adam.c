/* adam.c — torch.optim.Adam and AdamW (betas, eps, weight_decay, amsgrad, maximize), foreach=False:
 * Adam adds wd p to the grad (L2); AdamW first scales p by 1 - lr wd (decoupled). Same moments and
 * bias corrections: p += -lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps). */
#include "nbi_optim.h"

static const nb_adam_opts adam_default = { .lr = 1e-3, .betas = { 0.9, 0.999 }, .eps = 1e-8 };
static const nb_adam_opts adamw_default = {
    .lr = 1e-3, .betas = { 0.9, 0.999 }, .eps = 1e-8, .weight_decay = 1e-2
};

static void merge(void *d, const void *uu, const void *bb) {
    nb_adam_opts *dst = d;
    const nb_adam_opts *u = uu, *b = bb;
    *dst = *u;
    NBI_PICK(lr);
    NBI_PICK(betas[0]);
    NBI_PICK(betas[1]);
    NBI_PICK(eps);
    NBI_PICK(weight_decay);
    NBI_PICK(amsgrad);
    NBI_PICK(maximize);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_adam_opts *o = oo;
    if (!(o->lr >= 0) || !(o->eps >= 0) || !(o->weight_decay >= 0)) {
        nbi_error("%s: invalid lr %g, eps %g or weight_decay %g (must be >= 0)", fn, o->lr, o->eps,
                  o->weight_decay);
        return NB_ERROR;
    }
    for (int k = 0; k < 2; k++)
        if (!(o->betas[k] >= 0 && o->betas[k] < 1)) {
            nbi_error("%s: invalid beta parameter at index %d: %g (must be in [0, 1))", fn, k, o->betas[k]);
            return NB_ERROR;
        }
    return NB_OK;
}

typedef struct {
    double step_size, bc2_sqrt, decay;
    bool l2;
} adam_k;

#define ADAM_KERNEL(T, SUF)                                                                                  \
    static void adam_##SUF(T *p, const T *g, T *m, T *v, T *vmax, int64_t lo, int64_t hi,                    \
                           const nb_adam_opts *o, const adam_k *k) {                                         \
        const T b1 = (T)o->betas[0], b2 = (T)o->betas[1], omb1 = (T)(1 - o->betas[0]);                       \
        const T omb2 = (T)(1 - o->betas[1]), wd = (T)o->weight_decay, eps = (T)o->eps;                       \
        const T bc2 = (T)k->bc2_sqrt, negss = (T)(-k->step_size), decay = (T)k->decay;                       \
        for (int64_t j = lo; j < hi; j++) {                                                                  \
            T gj = o->maximize ? -g[j] : g[j];                                                               \
            if (k->l2 && o->weight_decay != 0) gj = NBI_FMA(T, wd, p[j], gj);                                \
            if (!k->l2) p[j] = p[j] * decay;                                                                 \
            m[j] = m[j] * b1;                                                                                \
            m[j] = NBI_FMA(T, omb1, gj, m[j]);                                                               \
            v[j] = v[j] * b2;                                                                                \
            v[j] = NBI_FMA(T, omb2 * gj, gj, v[j]);                                                          \
            T s = v[j];                                                                                      \
            if (vmax) {                                                                                      \
                vmax[j] = (s > vmax[j] || s != s) ? s : vmax[j];                                             \
                s = vmax[j];                                                                                 \
            }                                                                                                \
            T denom = (T)sqrt(s) / bc2 + eps;                                                                \
            p[j] = p[j] + negss * m[j] / denom;                                                              \
        }                                                                                                    \
    }
ADAM_KERNEL(float, f32)
ADAM_KERNEL(double, f64)

static nb_status update_common(nb_optimizer *o, nbi_group *gr, int i, bool l2) {
    const nb_adam_opts *op = (const nb_adam_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    nb_tensor *st = nbi_state(o, i, 0), *m = nbi_state(o, i, 1), *v = nbi_state(o, i, 2);
    nb_tensor *vm = op->amsgrad ? nbi_state(o, i, 3) : NULL;
    if (!st || !m || !v || (op->amsgrad && !vm)) return NB_ERROR;
    double *step = (double *)nbi_ptr(st);
    *step += 1;
    adam_k k = { .l2 = l2, .decay = 1 - op->lr * op->weight_decay };
    k.step_size = op->lr / (1 - pow(op->betas[0], *step));
    k.bc2_sqrt = sqrt(1 - pow(op->betas[1], *step));
    if (!l2 && op->weight_decay == 0) k.decay = 1;
    if (p->dtype == NB_F32)
        NBI_RUN(p->numel, adam_f32(NBI_P(float, p), NBI_P(float, p->grad), NBI_P(float, m), NBI_P(float, v),
                                   NBI_PN(float, vm), lo_, hi_, op, &k));
    else
        NBI_RUN(p->numel, adam_f64(NBI_P(double, p), NBI_P(double, p->grad), NBI_P(double, m),
                                   NBI_P(double, v), NBI_PN(double, vm), lo_, hi_, op, &k));
    return NB_OK;
}
static nb_status update_adam(nb_optimizer *o, nbi_group *g, int i) { return update_common(o, g, i, true); }
static nb_status update_adamw(nb_optimizer *o, nbi_group *g, int i) { return update_common(o, g, i, false); }

static const nbi_optim_vt adam_vt = {
    .name = "adam",
    .fn = "nb_adam",
    .opts_size = sizeof(nb_adam_opts),
    .state = { { "step", NBI_STATE_STEP },
               { "exp_avg", NBI_STATE_LIKE_PARAM },
               { "exp_avg_sq", NBI_STATE_LIKE_PARAM },
               { "max_exp_avg_sq", NBI_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update_adam,
};
static const nbi_optim_vt adamw_vt = {
    .name = "adamw",
    .fn = "nb_adamw",
    .opts_size = sizeof(nb_adam_opts),
    .state = { { "step", NBI_STATE_STEP },
               { "exp_avg", NBI_STATE_LIKE_PARAM },
               { "exp_avg_sq", NBI_STATE_LIKE_PARAM },
               { "max_exp_avg_sq", NBI_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update_adamw,
};

nb_optimizer *nb_adam(nb_tensor *const *params, int n, nb_adam_opts o) {
    return nbi_optim_new(&adam_vt, params, n, &o, &adam_default);
}
nb_optimizer *nb_adamw(nb_tensor *const *params, int n, nb_adam_opts o) {
    return nbi_optim_new(&adamw_vt, params, n, &o, &adamw_default);
}
