/* adam.c — torch.optim.Adam and AdamW (betas, eps, weight_decay, amsgrad, maximize), foreach=False:
 * Adam adds wd p to the grad (L2); AdamW first scales p by 1 - lr wd (decoupled). Same moments and
 * bias corrections: p += -lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps). */
#include "nbo_optim.h"

static const nb_adam_opts adam_default = { .lr = 1e-3, .betas = { 0.9, 0.999 }, .eps = 1e-8 };
static const nb_adam_opts adamw_default = {
    .lr = 1e-3, .betas = { 0.9, 0.999 }, .eps = 1e-8, .weight_decay = 1e-2
};

static void merge(void *d, const void *uu, const void *bb) {
    nb_adam_opts *dst = d;
    const nb_adam_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(betas[0]);
    NBO_PICK(betas[1]);
    NBO_PICK(eps);
    NBO_PICK(weight_decay);
    NBO_PICK(amsgrad);
    NBO_PICK(maximize);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_adam_opts *o = oo;
    if (!(o->lr >= 0) || !(o->eps >= 0) || !(o->weight_decay >= 0)) {
        nbt_error("%s: invalid lr %g, eps %g or weight_decay %g (must be >= 0)", fn, o->lr, o->eps,
                  o->weight_decay);
        return NB_ERROR;
    }
    for (int k = 0; k < 2; k++)
        if (!(o->betas[k] >= 0 && o->betas[k] < 1)) {
            nbt_error("%s: invalid beta parameter at index %d: %g (must be in [0, 1))", fn, k, o->betas[k]);
            return NB_ERROR;
        }
    return NB_OK;
}

typedef struct {
    double step_size, bc2_sqrt, decay;
    bool l2;
} adam_k;

typedef struct { /* the arguments of adam_f32 / adam_f64 */
    void *p;
    const void *g;
    void *m;
    void *v;
    void *vmax;
    const nb_adam_opts *o;
    const adam_k *k;
} adam_args;
#define T float
#define SUF f32
#include "adam_template.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "adam_template.h"
#undef T
#undef SUF

static nb_status update_common(nb_optimizer *o, nbo_group *gr, int i, bool l2) {
    const nb_adam_opts *op = (const nb_adam_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    nb_tensor *st = nbo_state(o, i, 0), *m = nbo_state(o, i, 1), *v = nbo_state(o, i, 2);
    nb_tensor *vm = op->amsgrad ? nbo_state(o, i, 3) : NULL;
    if (!st || !m || !v || (op->amsgrad && !vm)) return NB_ERROR;
    double *step = (double *)nbt_ptr(st);
    *step += 1;
    adam_k k = { .l2 = l2, .decay = 1 - op->lr * op->weight_decay };
    k.step_size = op->lr / (1 - pow(op->betas[0], *step));
    k.bc2_sqrt = sqrt(1 - pow(op->betas[1], *step));
    if (!l2 && op->weight_decay == 0) k.decay = 1;
    adam_args args = {
        nbt_ptr(p), nbt_ptr(p->grad), nbt_ptr(m), nbt_ptr(v), vm ? nbt_ptr(vm) : NULL, op, &k
    };
    nbo_run(p->numel, p->dtype == NB_F32 ? adam_f32 : adam_f64, &args);
    return NB_OK;
}
static nb_status update_adam(nb_optimizer *o, nbo_group *g, int i) { return update_common(o, g, i, true); }
static nb_status update_adamw(nb_optimizer *o, nbo_group *g, int i) { return update_common(o, g, i, false); }

static const nbo_optim_vt adam_vt = {
    .name = "adam",
    .fn = "nb_adam",
    .opts_size = sizeof(nb_adam_opts),
    .state = { { "step", NBO_STATE_STEP },
               { "exp_avg", NBO_STATE_LIKE_PARAM },
               { "exp_avg_sq", NBO_STATE_LIKE_PARAM },
               { "max_exp_avg_sq", NBO_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update_adam,
};
static const nbo_optim_vt adamw_vt = {
    .name = "adamw",
    .fn = "nb_adamw",
    .opts_size = sizeof(nb_adam_opts),
    .state = { { "step", NBO_STATE_STEP },
               { "exp_avg", NBO_STATE_LIKE_PARAM },
               { "exp_avg_sq", NBO_STATE_LIKE_PARAM },
               { "max_exp_avg_sq", NBO_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update_adamw,
};

nb_optimizer *nb_adam(nb_tensor *const *params, int n, nb_adam_opts o) {
    return nbo_optim_new(&adam_vt, params, n, &o, &adam_default);
}
nb_optimizer *nb_adamw(nb_tensor *const *params, int n, nb_adam_opts o) {
    return nbo_optim_new(&adamw_vt, params, n, &o, &adamw_default);
}
