/* loss_common.c — the pieces every loss shares: reduction (mean / sum / none) and argument checks
 * with messages naming the loss, the shapes and the fix. */
#include "loss_internal.h"
#include <stdlib.h>

nb_tensor *nbi_loss_reduce(nb_tensor *l, nb_reduction r, const char *op) {
    if (!l) return NULL;
    switch (r) {
    case NB_REDUCTION_MEAN: return nb_mean(l);
    case NB_REDUCTION_SUM: return nb_sum(l);
    case NB_REDUCTION_NONE: return l;
    }
    return nbi_error("%s: unknown reduction %d (use NB_REDUCTION_MEAN, _SUM or _NONE)", op, (int)r);
}

bool nbi_loss_weight_ok(nb_tensor *w, const nb_tensor *x, const char *what, const char *op) {
    if (!w) return true;
    if (!nbi_ok(w, op)) return false;
    if (!nbi_is_float(w->dtype)) {
        nbi_error("%s: %s must be a floating point tensor (got %s)", op, what, nb_dtype_name(w->dtype));
        return false;
    }
    int64_t shp[NB_MAX_DIMS];
    int nd = nbi_broadcast_shape(w->ndim, w->shape, x->ndim, x->shape, shp);
    bool ok = nd == x->ndim;
    for (int i = 0; ok && i < nd; i++) ok = shp[i] == x->shape[i];
    if (!ok)
        nbi_error("%s: the size of %s %s must broadcast to the size of input %s", op, what, nbi_shape(w),
                  nbi_shape(x));
    return ok;
}

bool nbi_loss_pair_ok(nb_tensor *x, nb_tensor *y, const char *op) {
    if (!x || !y) return false;
    if (!nbi_ok(x, op) || !nbi_ok(y, op)) return false;
    if (!nbi_is_float(x->dtype) || !nbi_is_float(y->dtype)) {
        nbi_error("%s: input and target must be floating point tensors (got %s and %s)", op,
                  nb_dtype_name(x->dtype), nb_dtype_name(y->dtype));
        return false;
    }
    int64_t shp[NB_MAX_DIMS];
    if (nbi_broadcast_shape(x->ndim, x->shape, y->ndim, y->shape, shp) < 0) {
        nbi_error("%s: the size of input %s must match (or broadcast with) the size of target %s", op,
                  nbi_shape(x), nbi_shape(y));
        return false;
    }
    return true;
}

nb_tensor *nbi_loss_const(nb_dtype dt, int ndim, const int64_t *shape, const double *v) {
    nb_tensor *t = nb_empty(dt, ndim, shape);
    if (!t) return NULL;
    if (dt == NB_F32) {
        float *d = nb_data_f32(t);
        for (int64_t i = 0; i < t->numel; i++) d[i] = (float)v[i];
    } else {
        double *d = nb_data_f64(t);
        for (int64_t i = 0; i < t->numel; i++) d[i] = v[i];
    }
    return t;
}
