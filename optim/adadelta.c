/* adadelta.c — torch.optim.Adadelta (lr, rho, eps, weight_decay, maximize):
 * v = rho v + (1-rho) g^2; d = sqrt(u + eps) / sqrt(v + eps) g; u = rho u + (1-rho) d^2; p -= lr d. */
#include "nbi_optim.h"

static const nb_adadelta_opts torch_default = { .lr = 1.0, .rho = 0.9, .eps = 1e-6 };

static void merge(void *d, const void *uu, const void *bb) {
    nb_adadelta_opts *dst = d;
    const nb_adadelta_opts *u = uu, *b = bb;
    *dst = *u;
    NBI_PICK(lr);
    NBI_PICK(rho);
    NBI_PICK(eps);
    NBI_PICK(weight_decay);
    NBI_PICK(maximize);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_adadelta_opts *o = oo;
    if (!(o->lr >= 0 && o->rho >= 0 && o->rho <= 1 && o->eps >= 0 && o->weight_decay >= 0)) {
        nbi_error("%s: invalid lr %g, rho %g (must be in [0, 1]), eps %g or weight_decay %g", fn, o->lr,
                  o->rho, o->eps, o->weight_decay);
        return NB_ERROR;
    }
    return NB_OK;
}

#define ADADELTA_KERNEL(T, SUF)                                                                              \
    static void adadelta_##SUF(T *p, const T *g, T *sq, T *acc, int64_t lo, int64_t hi,                      \
                               const nb_adadelta_opts *o) {                                                  \
        const T wd = (T)o->weight_decay, rho = (T)o->rho, omr = (T)(1 - o->rho), eps = (T)o->eps;            \
        const T neglr = (T)(-o->lr);                                                                         \
        for (int64_t j = lo; j < hi; j++) {                                                                  \
            T gj = o->maximize ? -g[j] : g[j];                                                               \
            if (o->weight_decay != 0) gj = NBI_FMA(T, wd, p[j], gj);                                         \
            sq[j] = sq[j] * rho;                                                                             \
            sq[j] = NBI_FMA(T, omr * gj, gj, sq[j]);                                                         \
            T std = (T)sqrt(sq[j] + eps);                                                                    \
            T delta = (T)sqrt(acc[j] + eps);                                                                 \
            delta = delta / std;                                                                             \
            delta = delta * gj;                                                                              \
            acc[j] = acc[j] * rho;                                                                           \
            acc[j] = NBI_FMA(T, omr * delta, delta, acc[j]);                                                 \
            p[j] = NBI_FMA(T, neglr, delta, p[j]);                                                           \
        }                                                                                                    \
    }
ADADELTA_KERNEL(float, f32)
ADADELTA_KERNEL(double, f64)

static nb_status update(nb_optimizer *o, nbi_group *gr, int i) {
    const nb_adadelta_opts *op = (const nb_adadelta_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    nb_tensor *st = nbi_state(o, i, 0), *sq = nbi_state(o, i, 1), *acc = nbi_state(o, i, 2);
    if (!st || !sq || !acc) return NB_ERROR;
    *(double *)nbi_ptr(st) += 1;
    if (p->dtype == NB_F32)
        NBI_RUN(p->numel, adadelta_f32(NBI_P(float, p), NBI_P(float, p->grad), NBI_P(float, sq),
                                       NBI_P(float, acc), lo_, hi_, op));
    else
        NBI_RUN(p->numel, adadelta_f64(NBI_P(double, p), NBI_P(double, p->grad), NBI_P(double, sq),
                                       NBI_P(double, acc), lo_, hi_, op));
    return NB_OK;
}

static const nbi_optim_vt vt = {
    .name = "adadelta",
    .fn = "nb_adadelta",
    .opts_size = sizeof(nb_adadelta_opts),
    .state = { { "step", NBI_STATE_STEP },
               { "square_avg", NBI_STATE_LIKE_PARAM },
               { "acc_delta", NBI_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update,
};

nb_optimizer *nb_adadelta(nb_tensor *const *params, int n, nb_adadelta_opts o) {
    return nbi_optim_new(&vt, params, n, &o, &torch_default);
}
