/* adadelta.c — torch.optim.Adadelta (lr, rho, eps, weight_decay, maximize):
 * v = rho v + (1-rho) g^2; d = sqrt(u + eps) / sqrt(v + eps) g; u = rho u + (1-rho) d^2; p -= lr d. */
#include "nbo_optim.h"

static const nb_adadelta_opts torch_default = { .lr = 1.0, .rho = 0.9, .eps = 1e-6 };

static void merge(void *d, const void *uu, const void *bb) {
    nb_adadelta_opts *dst = d;
    const nb_adadelta_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(rho);
    NBO_PICK(eps);
    NBO_PICK(weight_decay);
    NBO_PICK(maximize);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_adadelta_opts *o = oo;
    if (!(o->lr >= 0 && o->rho >= 0 && o->rho <= 1 && o->eps >= 0 && o->weight_decay >= 0)) {
        nbt_error("%s: invalid lr %g, rho %g (must be in [0, 1]), eps %g or weight_decay %g", fn, o->lr,
                  o->rho, o->eps, o->weight_decay);
        return NB_ERROR;
    }
    return NB_OK;
}

typedef struct { /* the arguments of adadelta_f32 / adadelta_f64 */
    void *p;
    const void *g;
    void *sq;
    void *acc;
    const nb_adadelta_opts *o;
} adadelta_args;
#define T float
#define SUF f32
#include "adadelta_template.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "adadelta_template.h"
#undef T
#undef SUF

static nb_status update(nb_optimizer *o, nbo_group *gr, int i) {
    const nb_adadelta_opts *op = (const nb_adadelta_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    nb_tensor *st = nbo_state(o, i, 0), *sq = nbo_state(o, i, 1), *acc = nbo_state(o, i, 2);
    if (!st || !sq || !acc) return NB_ERROR;
    *(double *)nbt_ptr(st) += 1;
    adadelta_args args = { nbt_ptr(p), nbt_ptr(p->grad), nbt_ptr(sq), nbt_ptr(acc), op };
    nbo_run(p->numel, p->dtype == NB_F32 ? adadelta_f32 : adadelta_f64, &args);
    return NB_OK;
}

static const nbo_optim_vt vt = {
    .name = "adadelta",
    .fn = "nb_adadelta",
    .opts_size = sizeof(nb_adadelta_opts),
    .state = { { "step", NBO_STATE_STEP },
               { "square_avg", NBO_STATE_LIKE_PARAM },
               { "acc_delta", NBO_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update,
};

nb_optimizer *nb_adadelta(nb_tensor *const *params, int n, nb_adadelta_opts o) {
    return nbo_optim_new(&vt, params, n, &o, &torch_default);
}
