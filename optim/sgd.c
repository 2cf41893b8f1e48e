/* sgd.c — torch.optim.SGD (momentum, dampening, nesterov, weight_decay, maximize), foreach=False
 * path: the momentum buffer is the first step's d_p itself, later buf = m buf + (1 - dampening) d_p. */
#include "nbi_optim.h"

static const nb_sgd_opts torch_default = { .lr = 0 };

static void merge(void *d, const void *uu, const void *bb) {
    nb_sgd_opts *dst = d;
    const nb_sgd_opts *u = uu, *b = bb;
    *dst = *u;
    NBI_PICK(lr);
    NBI_PICK(momentum);
    NBI_PICK(dampening);
    NBI_PICK(weight_decay);
    NBI_PICK(nesterov);
    NBI_PICK(maximize);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_sgd_opts *o = oo;
    if (o->lr == 0 && !signbit(o->lr)) {
        nbi_error("%s: lr is required (torch has no default); pass .lr (NB_ZERO for 0)", fn);
        return NB_ERROR;
    }
    if (o->lr < 0 || o->momentum < 0 || o->weight_decay < 0) {
        nbi_error("%s: invalid lr %g, momentum %g or weight_decay %g (must be >= 0)", fn, o->lr, o->momentum,
                  o->weight_decay);
        return NB_ERROR;
    }
    if (o->nesterov && (o->momentum <= 0 || o->dampening != 0)) {
        nbi_error("%s: nesterov momentum requires a momentum and zero dampening (momentum %g, dampening %g)",
                  fn, o->momentum, o->dampening);
        return NB_ERROR;
    }
    return NB_OK;
}

/* p: param, g: grad, buf: momentum buffer (NULL without momentum), first: buf is new */
#define SGD_KERNEL(T, SUF)                                                                                   \
    static void sgd_plain_##SUF(T *restrict p, const T *restrict g, int64_t n, T a) {                        \
        for (int64_t j = 0; j < n; j++) p[j] = NBI_FMA(T, a, g[j], p[j]);                                    \
    }                                                                                                        \
    static void sgd_##SUF(T *p, const T *g, T *buf, bool first, int64_t lo, int64_t hi,                      \
                          const nb_sgd_opts *o) {                                                            \
        const T wd = (T)o->weight_decay, mom = (T)o->momentum, damp1 = (T)(1 - o->dampening);                \
        const T neglr = (T)(-o->lr);                                                                         \
        if (!buf && o->weight_decay == 0) { /* plain SGD: one vectorized fma pass (-lr * -g == lr * g) */    \
            sgd_plain_##SUF(p + lo, g + lo, hi - lo, o->maximize ? -neglr : neglr);                          \
            return;                                                                                          \
        }                                                                                                    \
        for (int64_t j = lo; j < hi; j++) {                                                                  \
            T d = o->maximize ? -g[j] : g[j];                                                                \
            if (o->weight_decay != 0) d = NBI_FMA(T, wd, p[j], d);                                           \
            if (buf) {                                                                                       \
                if (first)                                                                                   \
                    buf[j] = d;                                                                              \
                else {                                                                                       \
                    buf[j] = buf[j] * mom;                                                                   \
                    buf[j] = NBI_FMA(T, damp1, d, buf[j]);                                                   \
                }                                                                                            \
                d = o->nesterov ? NBI_FMA(T, mom, buf[j], d) : buf[j];                                       \
            }                                                                                                \
            p[j] = NBI_FMA(T, neglr, d, p[j]);                                                               \
        }                                                                                                    \
    }
SGD_KERNEL(float, f32)
SGD_KERNEL(double, f64)

/* Plain SGD (no momentum, no weight decay) on fewer elements runs on the calling thread: waking
 * OpenMP threads costs more than the pass saves (a 512 x 784 weight updates in ~40 us). */
#define SGD_PLAIN_PAR_MIN (1 << 20)

static nb_status update(nb_optimizer *o, nbi_group *gr, int i) {
    const nb_sgd_opts *op = (const nb_sgd_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    bool first = false;
    void *buf = NULL;
    if (op->momentum != 0) {
        first = o->state[i].t[0] == NULL;
        nb_tensor *b = nbi_state(o, i, 0);
        if (!b) return NB_ERROR;
        buf = nbi_ptr(b);
    }
    if (!buf && op->weight_decay == 0 &&
        p->numel < SGD_PLAIN_PAR_MIN) { /* one memory-bound pass: not worth a region */
        if (p->dtype == NB_F32)
            sgd_f32(NBI_P(float, p), NBI_P(float, p->grad), NULL, false, 0, p->numel, op);
        else
            sgd_f64(NBI_P(double, p), NBI_P(double, p->grad), NULL, false, 0, p->numel, op);
    } else if (p->dtype == NB_F32)
        NBI_RUN(p->numel, sgd_f32(NBI_P(float, p), NBI_P(float, p->grad), buf, first, lo_, hi_, op));
    else
        NBI_RUN(p->numel, sgd_f64(NBI_P(double, p), NBI_P(double, p->grad), buf, first, lo_, hi_, op));
    return NB_OK;
}

static const nbi_optim_vt vt = {
    .name = "sgd",
    .fn = "nb_sgd",
    .opts_size = sizeof(nb_sgd_opts),
    .state = { { "momentum_buffer", NBI_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update,
};

nb_optimizer *nb_sgd(nb_tensor *const *params, int n, nb_sgd_opts o) {
    return nbi_optim_new(&vt, params, n, &o, &torch_default);
}
