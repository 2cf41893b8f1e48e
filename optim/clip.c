/* clip.c — torch.nn.utils.clip_grad_norm_ / clip_grad_value_: the total norm is the norm of the
 * per-parameter norms; grads are multiplied by min(1, max_norm / (total + 1e-6)), as torch does. */
#include "nbo_optim.h"

static bool grads_ok(nb_tensor *const *params, int n, const char *fn) {
    if (n < 0 || (n > 0 && !params)) {
        nbt_error("%s: params is NULL or n = %d < 0", fn, n);
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (!params[i]) {
            nbt_error("%s: parameter %d is NULL", fn, i);
            return false;
        }
        if (!nbt_ok(params[i], fn)) return false;
        nb_tensor *g = params[i]->grad;
        if (g && (!nbt_is_float(g->dtype) || !nb_is_contiguous(g))) {
            nbt_error("%s: grad of parameter %d (shape %s) must be a contiguous float tensor", fn, i,
                      nbt_shape(g));
            return false;
        }
    }
    return true;
}

#define NBO_CLIP_W 16 /* partial sums per norm: lanes that vectorize, added in order at the end */

/* sum of |x|^p (p = 1 or 2; p = INFINITY: max |x|, NaN if any) over n values, in double, in a fixed order */
#define T float
#define SUF f32
#include "clip_template.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "clip_template.h"
#undef T
#undef SUF

/* p-norm of one grad (p = INFINITY: max |g|), accumulated in double */
static double grad_norm(const nb_tensor *g, double p) {
    if (p == 1 || p == 2 || isinf(p)) {
        double acc = g->dtype == NB_F32 ? abs_pow_sum_f32((const float *)nbt_ptr(g), g->numel, p)
                                        : abs_pow_sum_f64((const double *)nbt_ptr(g), g->numel, p);
        return p == 2 ? sqrt(acc) : acc;
    }
    double acc = 0;
    for (int64_t j = 0; j < g->numel; j++)
        acc += pow(fabs(g->dtype == NB_F32 ? (double)((const float *)nbt_ptr(g))[j]
                                           : ((const double *)nbt_ptr(g))[j]),
                   p);
    return pow(acc, 1 / p);
}

double nb_clip_grad_norm_(nb_tensor *const *params, int n, double max_norm, double norm_type) {
    const char *fn = "nb_clip_grad_norm_";
    if (!grads_ok(params, n, fn)) return NAN;
    if (!(norm_type > 0)) {
        nbt_error("%s: norm_type must be > 0 (or INFINITY), got %g", fn, norm_type);
        return NAN;
    }
    double total = 0;
    bool any = false, f32 = false;
    for (int i = 0; i < n; i++) {
        nb_tensor *g = params[i]->grad;
        if (!g) continue;
        any = true;
        f32 |= g->dtype == NB_F32;
        double gn = grad_norm(g, norm_type);
        if (g->dtype == NB_F32) gn = (float)gn;
        if (isinf(norm_type))
            total = gn > total || isnan(gn) ? gn : total;
        else
            total += norm_type == 2 ? gn * gn : norm_type == 1 ? gn : pow(gn, norm_type);
    }
    if (!any) return 0.0;
    if (!isinf(norm_type))
        total = norm_type == 2 ? sqrt(total) : norm_type == 1 ? total : pow(total, 1 / norm_type);
    if (f32) total = (float)total;
    double coef = max_norm / (total + 1e-6);
    if (f32) coef = (float)((float)max_norm / ((float)total + (float)1e-6));
    if (coef > 1) coef = 1;
    for (int i = 0; i < n; i++) {
        nb_tensor *g = params[i]->grad;
        if (!g) continue;
        if (g->dtype == NB_F32) {
            float *d = (float *)nbt_ptr(g);
            for (int64_t j = 0; j < g->numel; j++) d[j] = d[j] * (float)coef;
        } else {
            double *d = (double *)nbt_ptr(g);
            for (int64_t j = 0; j < g->numel; j++) d[j] = d[j] * coef;
        }
        nbo_bump(g);
    }
    return total;
}

nb_status nb_clip_grad_value_(nb_tensor *const *params, int n, double clip_value) {
    const char *fn = "nb_clip_grad_value_";
    if (!grads_ok(params, n, fn)) return NB_ERROR;
    for (int i = 0; i < n; i++) {
        nb_tensor *g = params[i]->grad;
        if (!g) continue;
        if (g->dtype == NB_F32) {
            float *d = (float *)nbt_ptr(g), lo = (float)-clip_value, hi = (float)clip_value;
            for (int64_t j = 0; j < g->numel; j++) d[j] = d[j] < lo ? lo : d[j] > hi ? hi : d[j];
        } else {
            double *d = (double *)nbt_ptr(g);
            for (int64_t j = 0; j < g->numel; j++)
                d[j] = d[j] < -clip_value ? -clip_value : d[j] > clip_value ? clip_value : d[j];
        }
        nbo_bump(g);
    }
    return NB_OK;
}
