/* armijo.c — gradient descent with a backtracking (Armijo) line search, the seed's "gradient
 * descent with line search": from t = lr, halve (shrink) t until f(p - t g) <= f(p) - c1 t |g|^2. */
#include "nbo_optim.h"
#include <stdlib.h>

static const nb_armijo_opts torch_default = { .lr = 1, .c1 = 1e-4, .shrink = 0.5, .max_iter = 30 };

typedef struct {
    int64_t n;
    double *x0, *g;
    double last_t;
} armijo_ws;

static void merge(void *dd, const void *uu, const void *bb) {
    nb_armijo_opts *dst = dd;
    const nb_armijo_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(c1);
    NBO_PICK(shrink);
    NBO_PICK(max_iter);
}

static nb_status check(const void *oo, const char *fn) {
    const nb_armijo_opts *o = oo;
    if (!(o->lr > 0 && o->c1 >= 0 && o->c1 < 1 && o->shrink > 0 && o->shrink < 1 && o->max_iter > 0)) {
        nbt_error("%s: need lr > 0 (%g), 0 <= c1 < 1 (%g), 0 < shrink < 1 (%g), max_iter > 0 (%d)", fn, o->lr,
                  o->c1, o->shrink, o->max_iter);
        return NB_ERROR;
    }
    return NB_OK;
}

static void free_extra(nb_optimizer *o) {
    armijo_ws *W = o->extra;
    if (W) free(W->x0);
    free(W);
    o->extra = NULL;
}

static double call(nb_closure c, void *ctx) {
    bool prev = nb_set_grad_enabled(true);
    double l = c(ctx);
    nb_set_grad_enabled(prev);
    return l;
}

static nb_status step_closure(nb_optimizer *o, nb_closure c, void *ctx, double *loss) {
    const nb_armijo_opts *op = (const nb_armijo_opts *)&o->groups[0].opts;
    armijo_ws *W = o->extra;
    if (!W) {
        int64_t n = nbo_flat_numel(o, "nb_gd_armijo");
        if (n < 0) return NB_ERROR;
        W = calloc(1, sizeof *W);
        if (W) W->x0 = malloc(sizeof(double) * (size_t)(2 * (n ? n : 1)));
        if (!W || !W->x0) {
            free(W);
            nbt_error("nb_gd_armijo: out of memory");
            return NB_ERROR;
        }
        W->n = n;
        W->g = W->x0 + (n ? n : 1);
        o->extra = W;
    }
    double f0 = call(c, ctx);
    if (loss) *loss = f0;
    if (isnan(f0) && nb_error()) return NB_ERROR;
    nbo_flat_get(o, W->x0, false);
    nbo_flat_get(o, W->g, true);
    double gg = 0;
    for (int64_t i = 0; i < W->n; i++) gg += W->g[i] * W->g[i];
    if (gg == 0) return NB_OK;
    double t = op->lr;
    for (int k = 0; k < op->max_iter; k++, t *= op->shrink) {
        nbo_flat_set(o, W->x0, 0, false);
        nbo_flat_set(o, W->g, -t, true);
        double f = call(c, ctx);
        if (isnan(f) && nb_error()) return NB_ERROR;
        if (f <= f0 - op->c1 * t * gg) {
            W->last_t = t;
            return NB_OK;
        }
    }
    nbo_flat_set(o, W->x0, 0, false); /* no acceptable step: stay */
    W->last_t = 0;
    return NB_OK;
}

static const nbo_optim_vt vt = {
    .name = "gd_armijo",
    .fn = "nb_gd_armijo",
    .opts_size = sizeof(nb_armijo_opts),
    .merge = merge,
    .check = check,
    .step_closure = step_closure,
    .free_extra = free_extra,
    .single_group = true,
};

nb_optimizer *nb_gd_armijo(nb_tensor *const *params, int n, nb_armijo_opts o) {
    return nbo_optim_new(&vt, params, n, &o, &torch_default);
}
