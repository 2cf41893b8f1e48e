/* nadam.c — torch.optim.NAdam as in torch 1.13 (betas, eps, weight_decay, momentum_decay; no
 * maximize): mu_t = b1 (1 - 0.96^(t md)/2); the product of the mu's is kept in a float32 0-d tensor
 * exactly as torch does (state['mu_product'] = torch.tensor(1.)), so f64 runs round it the same way. */
#include "nbi_optim.h"

static const nb_nadam_opts torch_default = {
    .lr = 2e-3, .betas = { 0.9, 0.999 }, .eps = 1e-8, .momentum_decay = 4e-3
};

static void merge(void *d, const void *uu, const void *bb) {
    nb_nadam_opts *dst = d;
    const nb_nadam_opts *u = uu, *b = bb;
    *dst = *u;
    NBI_PICK(lr);
    NBI_PICK(betas[0]);
    NBI_PICK(betas[1]);
    NBI_PICK(eps);
    NBI_PICK(weight_decay);
    NBI_PICK(momentum_decay);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_nadam_opts *o = oo;
    if (!(o->lr >= 0 && o->eps >= 0 && o->weight_decay >= 0 && o->momentum_decay >= 0)) {
        nbi_error("%s: lr %g, eps %g, weight_decay %g and momentum_decay %g must be >= 0", fn, o->lr, o->eps,
                  o->weight_decay, o->momentum_decay);
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
    double bc2, c_grad, c_avg;
} nadam_k;

#define NADAM_KERNEL(T, SUF)                                                                                 \
    static void nadam_##SUF(T *p, const T *g, T *m, T *v, int64_t lo, int64_t hi, const nb_nadam_opts *o,    \
                            const nadam_k *k) {                                                              \
        const T wd = (T)o->weight_decay, b1 = (T)o->betas[0], b2 = (T)o->betas[1];                           \
        const T omb1 = (T)(1 - o->betas[0]), omb2 = (T)(1 - o->betas[1]), eps = (T)o->eps;                   \
        const T bc2 = (T)k->bc2, cg = (T)k->c_grad, ca = (T)k->c_avg;                                        \
        for (int64_t j = lo; j < hi; j++) {                                                                  \
            T gj = g[j];                                                                                     \
            if (o->weight_decay != 0) gj = NBI_FMA(T, wd, p[j], gj);                                         \
            m[j] = m[j] * b1;                                                                                \
            m[j] = NBI_FMA(T, omb1, gj, m[j]);                                                               \
            v[j] = v[j] * b2;                                                                                \
            v[j] = NBI_FMA(T, omb2 * gj, gj, v[j]);                                                          \
            T denom = (T)sqrt(v[j] / bc2) + eps;                                                             \
            p[j] = p[j] + cg * gj / denom;                                                                   \
            p[j] = p[j] + ca * m[j] / denom;                                                                 \
        }                                                                                                    \
    }
NADAM_KERNEL(float, f32)
NADAM_KERNEL(double, f64)

static nb_status update(nb_optimizer *o, nbi_group *gr, int i) {
    const nb_nadam_opts *op = (const nb_nadam_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    nb_tensor *st = nbi_state(o, i, 0), *mp = nbi_state(o, i, 1);
    nb_tensor *m = nbi_state(o, i, 2), *v = nbi_state(o, i, 3);
    if (!st || !mp || !m || !v) return NB_ERROR;
    double *step = (double *)nbi_ptr(st);
    *step += 1;
    double t = *step, b1 = op->betas[0];
    double mu = b1 * (1. - 0.5 * pow(0.96, t * op->momentum_decay));
    double mu_next = b1 * (1. - 0.5 * pow(0.96, (t + 1) * op->momentum_decay));
    /* float32 arithmetic, as torch's 0-d float tensor */
    float *mpp = (float *)nbi_ptr(mp);
    *mpp = *mpp * (float)mu;
    float mu_product_next = *mpp * (float)mu * (float)mu_next;
    nadam_k k = { .bc2 = 1 - pow(op->betas[1], t) };
    k.c_grad = -op->lr * (1. - mu) / (1. - (double)*mpp);
    k.c_avg = -op->lr * mu_next / (1. - (double)mu_product_next);
    if (p->dtype == NB_F32)
        NBI_RUN(p->numel, nadam_f32(NBI_P(float, p), NBI_P(float, p->grad), NBI_P(float, m), NBI_P(float, v),
                                    lo_, hi_, op, &k));
    else
        NBI_RUN(p->numel, nadam_f64(NBI_P(double, p), NBI_P(double, p->grad), NBI_P(double, m),
                                    NBI_P(double, v), lo_, hi_, op, &k));
    return NB_OK;
}

static const nbi_optim_vt vt = {
    .name = "nadam",
    .fn = "nb_nadam",
    .opts_size = sizeof(nb_nadam_opts),
    .state = { { "step", NBI_STATE_STEP },
               { "mu_product", NBI_STATE_F32_ONE },
               { "exp_avg", NBI_STATE_LIKE_PARAM },
               { "exp_avg_sq", NBI_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update,
};

nb_optimizer *nb_nadam(nb_tensor *const *params, int n, nb_nadam_opts o) {
    return nbi_optim_new(&vt, params, n, &o, &torch_default);
}
