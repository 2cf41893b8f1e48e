/* rmsprop.c — torch.optim.RMSprop (alpha, eps, weight_decay, momentum, centered, maximize):
 * v = a v + (1-a) g^2; centered: ga = a ga + (1-a) g, avg = sqrt(v - ga^2) + eps, else sqrt(v) + eps;
 * momentum: buf = m buf + g/avg, p -= lr buf; otherwise p -= lr g/avg. */
#include "nbo_optim.h"

static const nb_rmsprop_opts torch_default = { .lr = 1e-2, .alpha = 0.99, .eps = 1e-8 };

static void merge(void *d, const void *uu, const void *bb) {
    nb_rmsprop_opts *dst = d;
    const nb_rmsprop_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(alpha);
    NBO_PICK(eps);
    NBO_PICK(weight_decay);
    NBO_PICK(momentum);
    NBO_PICK(centered);
    NBO_PICK(maximize);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_rmsprop_opts *o = oo;
    if (!(o->lr >= 0 && o->eps >= 0 && o->momentum >= 0 && o->weight_decay >= 0 && o->alpha >= 0)) {
        nbt_error("%s: lr %g, alpha %g, eps %g, momentum %g and weight_decay %g must be >= 0", fn, o->lr,
                  o->alpha, o->eps, o->momentum, o->weight_decay);
        return NB_ERROR;
    }
    return NB_OK;
}

typedef struct { /* the arguments of rmsprop_f32 / rmsprop_f64 */
    void *p;
    const void *g;
    void *sq;
    void *ga;
    void *buf;
    const nb_rmsprop_opts *o;
} rmsprop_args;
#define T float
#define SUF f32
#include "rmsprop_template.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "rmsprop_template.h"
#undef T
#undef SUF

static nb_status update(nb_optimizer *o, nbo_group *gr, int i) {
    const nb_rmsprop_opts *op = (const nb_rmsprop_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    nb_tensor *st = nbo_state(o, i, 0), *sq = nbo_state(o, i, 1);
    nb_tensor *buf = op->momentum > 0 ? nbo_state(o, i, 2) : NULL;
    nb_tensor *ga = op->centered ? nbo_state(o, i, 3) : NULL;
    if (!st || !sq || (op->momentum > 0 && !buf) || (op->centered && !ga)) return NB_ERROR;
    *(double *)nbt_ptr(st) += 1;
    rmsprop_args args = {
        nbt_ptr(p), nbt_ptr(p->grad), nbt_ptr(sq), ga ? nbt_ptr(ga) : NULL, buf ? nbt_ptr(buf) : NULL, op
    };
    nbo_run(p->numel, p->dtype == NB_F32 ? rmsprop_f32 : rmsprop_f64, &args);
    return NB_OK;
}

static const nbo_optim_vt vt = {
    .name = "rmsprop",
    .fn = "nb_rmsprop",
    .opts_size = sizeof(nb_rmsprop_opts),
    .state = { { "step", NBO_STATE_STEP },
               { "square_avg", NBO_STATE_LIKE_PARAM },
               { "momentum_buffer", NBO_STATE_LIKE_PARAM },
               { "grad_avg", NBO_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update,
};

nb_optimizer *nb_rmsprop(nb_tensor *const *params, int n, nb_rmsprop_opts o) {
    return nbo_optim_new(&vt, params, n, &o, &torch_default);
}
