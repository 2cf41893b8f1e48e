/* rmsprop.c — torch.optim.RMSprop (alpha, eps, weight_decay, momentum, centered, maximize):
 * v = a v + (1-a) g^2; centered: ga = a ga + (1-a) g, avg = sqrt(v - ga^2) + eps, else sqrt(v) + eps;
 * momentum: buf = m buf + g/avg, p -= lr buf; otherwise p -= lr g/avg. */
#include "nbi_optim.h"

static const nb_rmsprop_opts torch_default = { .lr = 1e-2, .alpha = 0.99, .eps = 1e-8 };

static void merge(void *d, const void *uu, const void *bb) {
    nb_rmsprop_opts *dst = d;
    const nb_rmsprop_opts *u = uu, *b = bb;
    *dst = *u;
    NBI_PICK(lr);
    NBI_PICK(alpha);
    NBI_PICK(eps);
    NBI_PICK(weight_decay);
    NBI_PICK(momentum);
    NBI_PICK(centered);
    NBI_PICK(maximize);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_rmsprop_opts *o = oo;
    if (!(o->lr >= 0 && o->eps >= 0 && o->momentum >= 0 && o->weight_decay >= 0 && o->alpha >= 0)) {
        nbi_error("%s: lr %g, alpha %g, eps %g, momentum %g and weight_decay %g must be >= 0", fn, o->lr,
                  o->alpha, o->eps, o->momentum, o->weight_decay);
        return NB_ERROR;
    }
    return NB_OK;
}

#define RMSPROP_KERNEL(T, SUF)                                                                               \
    static void rmsprop_##SUF(T *p, const T *g, T *sq, T *ga, T *buf, int64_t lo, int64_t hi,                \
                              const nb_rmsprop_opts *o) {                                                    \
        const T wd = (T)o->weight_decay, a = (T)o->alpha, oma = (T)(1 - o->alpha), eps = (T)o->eps;          \
        const T mom = (T)o->momentum, neglr = (T)(-o->lr), one = 1, minus1 = -1;                             \
        for (int64_t j = lo; j < hi; j++) {                                                                  \
            T gj = o->maximize ? -g[j] : g[j];                                                               \
            if (o->weight_decay != 0) gj = NBI_FMA(T, wd, p[j], gj);                                         \
            sq[j] = sq[j] * a;                                                                               \
            sq[j] = NBI_FMA(T, oma * gj, gj, sq[j]);                                                         \
            T avg;                                                                                           \
            if (ga) {                                                                                        \
                ga[j] = ga[j] * a;                                                                           \
                ga[j] = NBI_FMA(T, oma, gj, ga[j]);                                                          \
                avg = (T)sqrt(NBI_FMA(T, minus1 * ga[j], ga[j], sq[j]));                                     \
            } else {                                                                                         \
                avg = (T)sqrt(sq[j]);                                                                        \
            }                                                                                                \
            avg = avg + eps;                                                                                 \
            if (buf) {                                                                                       \
                buf[j] = buf[j] * mom;                                                                       \
                buf[j] = buf[j] + one * gj / avg;                                                            \
                p[j] = NBI_FMA(T, neglr, buf[j], p[j]);                                                      \
            } else {                                                                                         \
                p[j] = p[j] + neglr * gj / avg;                                                              \
            }                                                                                                \
        }                                                                                                    \
    }
RMSPROP_KERNEL(float, f32)
RMSPROP_KERNEL(double, f64)

static nb_status update(nb_optimizer *o, nbi_group *gr, int i) {
    const nb_rmsprop_opts *op = (const nb_rmsprop_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    nb_tensor *st = nbi_state(o, i, 0), *sq = nbi_state(o, i, 1);
    nb_tensor *buf = op->momentum > 0 ? nbi_state(o, i, 2) : NULL;
    nb_tensor *ga = op->centered ? nbi_state(o, i, 3) : NULL;
    if (!st || !sq || (op->momentum > 0 && !buf) || (op->centered && !ga)) return NB_ERROR;
    *(double *)nbi_ptr(st) += 1;
    if (p->dtype == NB_F32)
        NBI_RUN(p->numel, rmsprop_f32(NBI_P(float, p), NBI_P(float, p->grad), NBI_P(float, sq),
                                      NBI_PN(float, ga), NBI_PN(float, buf), lo_, hi_, op));
    else
        NBI_RUN(p->numel, rmsprop_f64(NBI_P(double, p), NBI_P(double, p->grad), NBI_P(double, sq),
                                      NBI_PN(double, ga), NBI_PN(double, buf), lo_, hi_, op));
    return NB_OK;
}

static const nbi_optim_vt vt = {
    .name = "rmsprop",
    .fn = "nb_rmsprop",
    .opts_size = sizeof(nb_rmsprop_opts),
    .state = { { "step", NBI_STATE_STEP },
               { "square_avg", NBI_STATE_LIKE_PARAM },
               { "momentum_buffer", NBI_STATE_LIKE_PARAM },
               { "grad_avg", NBI_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update,
};

nb_optimizer *nb_rmsprop(nb_tensor *const *params, int n, nb_rmsprop_opts o) {
    return nbi_optim_new(&vt, params, n, &o, &torch_default);
}
