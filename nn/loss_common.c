/* loss_common.c — the pieces every loss shares: reduction (mean / sum / none) and argument checks
 * with messages naming the loss, the shapes and the fix. */
#include "loss_internal.h"
#include <stdlib.h>

nb_tensor *nbn_loss_reduce(nb_tensor *l, nb_reduction r, const char *op) {
    if (!l) return NULL;
    switch (r) {
    case NB_REDUCTION_MEAN: return nb_mean(l);
    case NB_REDUCTION_SUM: return nb_sum(l);
    case NB_REDUCTION_NONE: return l;
    }
    return nbt_error("%s: unknown reduction %d (use NB_REDUCTION_MEAN, _SUM or _NONE)", op, (int)r);
}

bool nbn_loss_weight_ok(nb_tensor *w, const nb_tensor *x, const char *what, const char *op) {
    if (!w) return true;
    if (!nbt_ok(w, op)) return false;
    if (!nbt_is_float(w->dtype)) {
        nbt_error("%s: %s must be a floating point tensor (got %s)", op, what, nb_dtype_name(w->dtype));
        return false;
    }
    int64_t shp[NB_MAX_DIMS];
    int nd = nbt_broadcast_shape(w->ndim, w->shape, x->ndim, x->shape, shp);
    bool ok = nd == x->ndim;
    for (int i = 0; ok && i < nd; i++) ok = shp[i] == x->shape[i];
    if (!ok)
        nbt_error("%s: the size of %s %s must broadcast to the size of input %s", op, what, nbt_shape(w),
                  nbt_shape(x));
    return ok;
}

bool nbn_loss_pair_ok(nb_tensor *x, nb_tensor *y, const char *op) {
    if (!x || !y) return false;
    if (!nbt_ok(x, op) || !nbt_ok(y, op)) return false;
    if (!nbt_is_float(x->dtype) || !nbt_is_float(y->dtype)) {
        nbt_error("%s: input and target must be floating point tensors (got %s and %s)", op,
                  nb_dtype_name(x->dtype), nb_dtype_name(y->dtype));
        return false;
    }
    int64_t shp[NB_MAX_DIMS];
    if (nbt_broadcast_shape(x->ndim, x->shape, y->ndim, y->shape, shp) < 0) {
        nbt_error("%s: the size of input %s must match (or broadcast with) the size of target %s", op,
                  nbt_shape(x), nbt_shape(y));
        return false;
    }
    return true;
}

nb_tensor *nbn_loss_const(nb_dtype dt, int ndim, const int64_t *shape, const double *v) {
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
