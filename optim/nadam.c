/* nadam.c — torch.optim.NAdam as in torch 1.13 (betas, eps, weight_decay, momentum_decay; no
 * maximize): mu_t = b1 (1 - 0.96^(t md)/2); the product of the mu's is kept in a float32 0-d tensor
 * exactly as torch does (state['mu_product'] = torch.tensor(1.)), so f64 runs round it the same way. */
#include "nbo_optim.h"

static const nb_nadam_opts torch_default = {
    .lr = 2e-3, .betas = { 0.9, 0.999 }, .eps = 1e-8, .momentum_decay = 4e-3
};

static void merge(void *d, const void *uu, const void *bb) {
    nb_nadam_opts *dst = d;
    const nb_nadam_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(betas[0]);
    NBO_PICK(betas[1]);
    NBO_PICK(eps);
    NBO_PICK(weight_decay);
    NBO_PICK(momentum_decay);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_nadam_opts *o = oo;
    if (!(o->lr >= 0 && o->eps >= 0 && o->weight_decay >= 0 && o->momentum_decay >= 0)) {
        nbt_error("%s: lr %g, eps %g, weight_decay %g and momentum_decay %g must be >= 0", fn, o->lr, o->eps,
                  o->weight_decay, o->momentum_decay);
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
    double bc2, c_grad, c_avg;
} nadam_k;

typedef struct { /* the arguments of nadam_f32 / nadam_f64 */
    void *p;
    const void *g;
    void *m;
    void *v;
    const nb_nadam_opts *o;
    const nadam_k *k;
} nadam_args;
#define T float
#define SUF f32
#include "nadam_template.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "nadam_template.h"
#undef T
#undef SUF

static nb_status update(nb_optimizer *o, nbo_group *gr, int i) {
    const nb_nadam_opts *op = (const nb_nadam_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    nb_tensor *st = nbo_state(o, i, 0), *mp = nbo_state(o, i, 1);
    nb_tensor *m = nbo_state(o, i, 2), *v = nbo_state(o, i, 3);
    if (!st || !mp || !m || !v) return NB_ERROR;
    double *step = (double *)nbt_ptr(st);
    *step += 1;
    double t = *step, b1 = op->betas[0];
    double mu = b1 * (1. - 0.5 * pow(0.96, t * op->momentum_decay));
    double mu_next = b1 * (1. - 0.5 * pow(0.96, (t + 1) * op->momentum_decay));
    /* float32 arithmetic, as torch's 0-d float tensor */
    float *mpp = (float *)nbt_ptr(mp);
    *mpp = *mpp * (float)mu;
    float mu_product_next = *mpp * (float)mu * (float)mu_next;
    nadam_k k = { .bc2 = 1 - pow(op->betas[1], t) };
    k.c_grad = -op->lr * (1. - mu) / (1. - (double)*mpp);
    k.c_avg = -op->lr * mu_next / (1. - (double)mu_product_next);
    nadam_args args = { nbt_ptr(p), nbt_ptr(p->grad), nbt_ptr(m), nbt_ptr(v), op, &k };
    nbo_run(p->numel, p->dtype == NB_F32 ? nadam_f32 : nadam_f64, &args);
    return NB_OK;
}

static const nbo_optim_vt vt = {
    .name = "nadam",
    .fn = "nb_nadam",
    .opts_size = sizeof(nb_nadam_opts),
    .state = { { "step", NBO_STATE_STEP },
               { "mu_product", NBO_STATE_F32_ONE },
               { "exp_avg", NBO_STATE_LIKE_PARAM },
               { "exp_avg_sq", NBO_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update,
};

nb_optimizer *nb_nadam(nb_tensor *const *params, int n, nb_nadam_opts o) {
    return nbo_optim_new(&vt, params, n, &o, &torch_default);
}
