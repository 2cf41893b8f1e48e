/* gradcheck.c — torch.autograd.gradcheck / gradgradcheck for users' own functions: analytic
 * Jacobian (one backward per output element) against central differences in f64, pass when
 * |analytic - numeric| <= atol + rtol |numeric| everywhere. */
#include "nba_tape.h"
#include <math.h>
#include <stdlib.h>

static double *outputs_of(nb_fn fn, void *ctx, int n, nb_tensor *const *in, int64_t *m) {
    nb_scope s = nb_scope_begin();
    double *r = NULL;
    NB_NO_GRAD {
        nb_tensor *y = fn(in, n, ctx);
        if (y) {
            *m = y->numel;
            r = malloc(sizeof(double) * (size_t)(y->numel ? y->numel : 1));
            if (r) nb_to_doubles(y, r);
        }
    }
    nb_scope_end(s);
    return r;
}

static double *elem(nb_tensor *t, int64_t k) { /* k-th element in row-major order (f64 only) */
    int64_t off = t->offset, r = k;
    for (int i = t->ndim - 1; i >= 0; i--) {
        off += (r % t->shape[i]) * t->stride[i];
        r /= t->shape[i];
    }
    return (double *)t->storage->data + off;
}

/* torch refuses a check with nothing to differentiate (it would pass vacuously) */
static bool any_requires_grad(int n, nb_tensor *const *in, const char *api) {
    for (int i = 0; i < n; i++)
        if (in[i]->requires_grad) return true;
    nbt_error(
        "%s: gradcheck expects at least one input tensor to require gradient, but none of the them have "
        "requires_grad=True (set it with nb_requires_grad_)",
        api);
    return false;
}

bool nb_gradcheck(nb_fn fn, void *ctx, int n, nb_tensor *const *in, nb_gradcheck_opts o) {
    NBT_API("nb_gradcheck");
    double eps = o.eps > 0 ? o.eps : 1e-6, atol = o.atol > 0 ? o.atol : 1e-5,
           rtol = o.rtol > 0 ? o.rtol : 1e-3;
    if (!fn || n <= 0 || !in) {
        nbt_error("nb_gradcheck: need a function and at least one input");
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (!nbt_ok(in[i], "nb_gradcheck")) {
            if (!in[i]) nbt_error("nb_gradcheck: input %d is NULL", i);
            return false;
        }
        if (in[i]->dtype != NB_F64 && in[i]->requires_grad) {
            nbt_error("nb_gradcheck: input %d is %s; gradcheck needs float64 inputs for precision", i,
                      nb_dtype_name(in[i]->dtype));
            return false;
        }
    }
    if (!any_requires_grad(n, in, "nb_gradcheck")) return false;
    unsigned long serial0 = nbt_error_serial(); /* any error raised from here on fails the check */
    int64_t m = 0;
    double *y0 = outputs_of(fn, ctx, n, in, &m);
    if (!y0) {
        if (!nb_error()) nbt_error("nb_gradcheck: the function returned NULL");
        return false;
    }
    free(y0);
    bool pass = true;
    nb_scope s = nb_scope_begin();
    nb_tensor *y = fn(in, n, ctx);
    nb_tensor *yflat = y ? nb_reshape(y, 1, (int64_t[]){ m }) : NULL;
    if (!yflat) pass = false; /* fn failed, or its output size depends on grad mode */
    for (int i = 0; i < n && pass; i++) {
        if (!in[i]->requires_grad) continue;
        int64_t k = in[i]->numel;
        double *num = calloc((size_t)(m * k + 1), sizeof(double)),
               *ana = calloc((size_t)(m * k + 1), sizeof(double));
        if (!num || !ana) {
            free(num);
            free(ana);
            nbt_oom(2 * sizeof(double) * (size_t)(m * k + 1), "the Jacobians");
            pass = false;
            break;
        }
        for (int64_t j = 0; j < k && pass; j++) { /* numeric: column j */
            double *p = elem(in[i], j), orig = *p;
            int64_t mm;
            *p = orig + eps;
            double *yp = outputs_of(fn, ctx, n, in, &mm);
            *p = orig - eps;
            double *ym = outputs_of(fn, ctx, n, in, &mm);
            *p = orig;
            for (int64_t r = 0; yp && ym && r < m; r++) num[r * k + j] = (yp[r] - ym[r]) / (2 * eps);
            if (!yp || !ym) pass = false; /* fn failed (its error is recorded) */
            free(yp);
            free(ym);
        }
        for (int64_t r = 0; r < m && pass && yflat && yflat->requires_grad; r++) { /* analytic: row r */
            nb_scope s2 = nb_scope_begin();
            nb_tensor *go = nb_zeros(yflat->dtype, 1, (int64_t[]){ m });
            nb_tensor *g = NULL;
            if (!go || nb_set(go, (int64_t[]){ r }, 1.0) != NB_OK ||
                nb_grad(1, &yflat, 1, &in[i], &go, &g,
                        (nb_grad_opts){ .retain_graph = true, .allow_unused = true }) != NB_OK) {
                pass = false;
                nb_scope_end(s2);
                break;
            }
            if (g) {
                double *row = malloc(sizeof(double) * (size_t)(k ? k : 1));
                if (!row) nbt_oom(sizeof(double) * (size_t)(k ? k : 1), "a Jacobian row");
                if (row && nb_to_doubles(g, row) == NB_OK)
                    for (int64_t j = 0; j < k; j++) ana[r * k + j] = row[j];
                else
                    pass = false;
                free(row);
            }
            nb_scope_end(s2);
        }
        for (int64_t q = 0; q < m * k && pass; q++) {
            if (!(fabs(ana[q] - num[q]) <= atol + rtol * fabs(num[q]))) {
                if (!o.quiet)
                    fprintf(stderr,
                            "nb_gradcheck: Jacobian mismatch for output %lld with respect to input %d "
                            "element %lld: "
                            "numerical %.10g, analytical %.10g\n",
                            (long long)(q / k), i, (long long)(q % k), num[q], ana[q]);
                pass = false;
            }
        }
        free(num);
        free(ana);
    }
    nb_scope_end(s);
    return pass && nbt_error_serial() == serial0;
}

/* G(inputs..., v) = concat of flattened d(fn)/d(inputs) . v, with create_graph */
typedef struct {
    nb_fn fn;
    void *ctx;
    int n;
} gg_ctx;
static nb_tensor *vjp_fn(nb_tensor *const *in, int total, void *vctx) {
    gg_ctx *c = vctx;
    int n = c->n;
    (void)total;
    /* the first derivatives need the tape even when gradcheck evaluates this under no-grad */
    bool prev = nb_set_grad_enabled(true);
    nb_tensor *y = c->fn(in, n, c->ctx);
    nb_tensor *v = in[n];
    nb_tensor *grads[16] = { 0 }, *diff[16];
    int nd = 0;
    for (int i = 0; i < n; i++)
        if (in[i]->requires_grad) diff[nd++] = in[i];
    nb_status st = !y ? NB_ERROR
                   : !y->requires_grad
                       ? NB_OK /* constant fn: all grads zero */
                       : nb_grad(1, &y, nd, diff, &v, grads,
                                 (nb_grad_opts){ .create_graph = true, .allow_unused = true });
    nb_set_grad_enabled(prev);
    if (st != NB_OK) return NULL;
    nb_tensor *flat[16];
    for (int i = 0; i < nd; i++) {
        nb_tensor *g = grads[i] ? grads[i] : nb_zeros_like(diff[i]);
        flat[i] = nb_reshape(g, 1, (int64_t[]){ -1 });
    }
    return nb_cat(nd, flat, 0);
}

bool nb_gradgradcheck(nb_fn fn, void *ctx, int n, nb_tensor *const *in, nb_gradcheck_opts o) {
    NBT_API("nb_gradgradcheck");
    if (!fn || n <= 0 || n > 15 || !in) {
        nbt_error("nb_gradgradcheck: need a function and 1..15 inputs");
        return false;
    }
    for (int i = 0; i < n; i++)
        if (!nbt_ok(in[i], "nb_gradgradcheck")) {
            if (!in[i]) nbt_error("nb_gradgradcheck: input %d is NULL", i);
            return false;
        }
    if (!any_requires_grad(n, in, "nb_gradgradcheck")) return false;
    nb_scope s = nb_scope_begin();
    nb_tensor *y;
    NB_NO_GRAD { y = fn(in, n, ctx); }
    bool pass = false;
    if (y) {
        nb_tensor *v = nb_randn(NB_F64, y->ndim, y->shape);
        nb_requires_grad_(v, true);
        nb_tensor *all[16];
        for (int i = 0; i < n; i++) all[i] = in[i];
        all[n] = v;
        gg_ctx c = { fn, ctx, n };
        pass = nb_gradcheck(vjp_fn, &c, n + 1, all, o);
    } else if (!nb_error()) {
        nbt_error("nb_gradgradcheck: the function returned NULL");
    }
    nb_scope_end(s);
    return pass;
}
