/* sgd.c — torch.optim.SGD (momentum, dampening, nesterov, weight_decay, maximize), foreach=False
 * path: the momentum buffer is the first step's d_p itself, later buf = m buf + (1 - dampening) d_p. */
#include "nbo_optim.h"

static const nb_sgd_opts torch_default = { .lr = 0 };

static void merge(void *d, const void *uu, const void *bb) {
    nb_sgd_opts *dst = d;
    const nb_sgd_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(momentum);
    NBO_PICK(dampening);
    NBO_PICK(weight_decay);
    NBO_PICK(nesterov);
    NBO_PICK(maximize);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_sgd_opts *o = oo;
    if (o->lr == 0 && !signbit(o->lr)) {
        nbt_error("%s: lr is required (torch has no default); pass .lr (NB_ZERO for 0)", fn);
        return NB_ERROR;
    }
    if (o->lr < 0 || o->momentum < 0 || o->weight_decay < 0) {
        nbt_error("%s: invalid lr %g, momentum %g or weight_decay %g (must be >= 0)", fn, o->lr, o->momentum,
                  o->weight_decay);
        return NB_ERROR;
    }
    if (o->nesterov && (o->momentum <= 0 || o->dampening != 0)) {
        nbt_error("%s: nesterov momentum requires a momentum and zero dampening (momentum %g, dampening %g)",
                  fn, o->momentum, o->dampening);
        return NB_ERROR;
    }
    return NB_OK;
}

/* p: param, g: grad, buf: momentum buffer (NULL without momentum), first: buf is new */
typedef struct { /* the arguments of sgd_f32 / sgd_f64 */
    void *p;
    const void *g;
    void *buf;
    bool first;
    const nb_sgd_opts *o;
} sgd_args;
#define T float
#define SUF f32
#include "sgd_template.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "sgd_template.h"
#undef T
#undef SUF

/* Plain SGD (no momentum, no weight decay) on fewer elements runs on the calling thread: waking
 * OpenMP threads costs more than the pass saves. From 2^17 the threads take it: the MLP's 256 x 784 weight
 * alone was the largest piece the main thread ran while the other waited; 12 interleaved MLP epochs each,
 * mean 0.610 -> 0.570 s (libgomp's default policy) and 0.650 -> 0.585 s (passive). Same values. */
#define SGD_PLAIN_PAR_MIN (1 << 17)

static nb_status update(nb_optimizer *o, nbo_group *gr, int i) {
    const nb_sgd_opts *op = (const nb_sgd_opts *)&gr->opts;
    nb_tensor *p = o->params[i];
    bool first = false;
    void *buf = NULL;
    if (op->momentum != 0) {
        first = o->state[i].t[0] == NULL;
        nb_tensor *b = nbo_state(o, i, 0);
        if (!b) return NB_ERROR;
        buf = nbt_ptr(b);
    }
    sgd_args args = { nbt_ptr(p), nbt_ptr(p->grad), buf, first, op };
    nbo_range_fn fn = p->dtype == NB_F32 ? sgd_f32 : sgd_f64;
    if (!buf && op->weight_decay == 0 && p->numel < SGD_PLAIN_PAR_MIN)
        fn(&args, 0, p->numel); /* one memory-bound pass: not worth a region */
    else
        nbo_run(p->numel, fn, &args);
    return NB_OK;
}

static const nbo_optim_vt vt = {
    .name = "sgd",
    .fn = "nb_sgd",
    .opts_size = sizeof(nb_sgd_opts),
    .state = { { "momentum_buffer", NBO_STATE_LIKE_PARAM } },
    .merge = merge,
    .check = check,
    .update = update,
};

nb_optimizer *nb_sgd(nb_tensor *const *params, int n, nb_sgd_opts o) {
    return nbo_optim_new(&vt, params, n, &o, &torch_default);
}
