/* adagrad.c — torch.optim.Adagrad (lr_decay, weight_decay, initial_accumulator_value, eps,
 * maximize): clr = lr / (1 + (t-1) lr_decay); sum += g^2; p += -clr g / (sqrt(sum) + eps). */
#include "nbo_optim.h"

static const nb_adagrad_opts torch_default = { .lr = 1e-2, .eps = 1e-10 };

static void merge(void *d, const void *uu, const void *bb) {
    nb_adagrad_opts *dst = d;
    const nb_adagrad_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(lr_decay);
    NBO_PICK(weight_decay);
    NBO_PICK(initial_accumulator_value);
    NBO_PICK(eps);
    NBO_PICK(maximize);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_adagrad_opts *o = oo;
    if (!(o->lr >= 0 && o->lr_decay >= 0 && o->weight_decay >= 0 && o->initial_accumulator_value >= 0 &&
          o->eps >= 0)) {
        nbt_error(
            "%s: lr %g, lr_decay %g, weight_decay %g, initial_accumulator_value %g and eps %g must be >= 0",
            fn, o->lr, o->lr_decay, o->weight_decay, o->initial_accumulator_value, o->eps);
        return NB_ERROR;
    }
    return NB_OK;
}

typedef struct { /* the arguments of adagrad_f32 / adagrad_f64 */
    void *p;
    const void *g;
    void *sum;
    const nb_adagrad_opts *o;
    double clr;
} adagrad_args;
#define T float
#define SUF f32
#include "adagrad_template.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "adagrad_template.h"
#undef T
#undef SUF

static nb_status update(nb_optimizer *o, nbo_group *gr, int i) {
    const nb_adagrad_opts *op = (const nb_adagrad_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    nb_tensor *st = nbo_state(o, i, 0);
    if (!o->state[i].t[1]) o->state[i].t[1] = nbo_persistent_full_like(p, op->initial_accumulator_value);
    nb_tensor *sum = o->state[i].t[1];
    if (!st || !sum) return NB_ERROR;
    double *step = (double *)nbt_ptr(st);
    *step += 1;
    double clr = op->lr / (1 + (*step - 1) * op->lr_decay);
    adagrad_args args = { nbt_ptr(p), nbt_ptr(p->grad), nbt_ptr(sum), op, clr };
    nbo_run(p->numel, p->dtype == NB_F32 ? adagrad_f32 : adagrad_f64, &args);
    return NB_OK;
}

static const nbo_optim_vt vt = {
    .name = "adagrad",
    .fn = "nb_adagrad",
    .opts_size = sizeof(nb_adagrad_opts),
    .state = { { "step", NBO_STATE_STEP }, { "sum", NBO_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update,
};

nb_optimizer *nb_adagrad(nb_tensor *const *params, int n, nb_adagrad_opts o) {
    return nbo_optim_new(&vt, params, n, &o, &torch_default);
}
