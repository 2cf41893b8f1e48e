/* loss_bce.c — binary cross entropy on probabilities (logs clamped at -100 like torch) and on
 * logits. The logits form is computed as (1 - y) x + (1 + (p - 1) y) softplus(-x) with
 * softplus(-x) = m + log(e^-m + e^(-x-m)), m = max(-x, 0): stable for any x, and exact in its
 * gradient at x = 0 too (the m path cancels), which the max(x,0) + log1p(e^-|x|) form is not. */
#include "loss_internal.h"
#include "nba_autograd.h"
#include <math.h>

/* -w (y log x + (1 - y) log(1 - x)) */
nb_tensor *nb_binary_cross_entropy(nb_tensor *x, nb_tensor *y, nb_bce_opts o) {
    NBT_API("nb_binary_cross_entropy");
    const char *op = "nb_binary_cross_entropy";
    if (!nbn_loss_pair_ok(x, y, op)) return NULL;
    if (!nbt_same_shape(x, y))
        return nbt_error("%s: using a target size %s that is different to the input size %s is not allowed; "
                         "reshape the target",
                         op, nbt_shape(y), nbt_shape(x));
    if (!nbn_loss_weight_ok(o.weight, x, "weight", op)) return NULL;
    nb_tensor *xc = nb_contiguous(nb_detach(x)); /* torch checks the range: so do we */
    if (!xc) return NULL;
    for (int64_t i = 0; i < xc->numel; i++) {
        double v = xc->dtype == NB_F32 ? (double)nb_data_f32(xc)[i] : nb_data_f64(xc)[i];
        if (!(v >= 0 && v <= 1))
            return nbt_error("%s: all elements of input should be between 0 and 1 (element %lld is %g); "
                             "for logits use nb_binary_cross_entropy_with_logits",
                             op, (long long)i, v);
    }
    nb_tensor *lx = nb_clamp(nb_log(x), -100, INFINITY);
    nb_tensor *l1x = nb_clamp(nb_log(nb_rsub_scalar(x, 1)), -100, INFINITY);
    nb_tensor *l = nb_neg(nb_add(nb_mul(y, lx), nb_mul(nb_rsub_scalar(y, 1), l1x)));
    if (o.weight) l = nb_mul(l, o.weight);
    return nba_label(nbn_loss_reduce(l, o.reduction, op), x, "BinaryCrossEntropyBackward0");
}

/* softplus(-x) = log(1 + e^-x), stable */
static nb_tensor *softplus_neg(nb_tensor *x) {
    nb_tensor *m = nb_relu(nb_neg(x));
    return nb_add(m, nb_log(nb_add(nb_exp(nb_neg(m)), nb_exp(nb_sub(nb_neg(x), m)))));
}

/* -w (p y log s(x) + (1 - y) log(1 - s(x))) */
nb_tensor *nb_binary_cross_entropy_with_logits(nb_tensor *x, nb_tensor *y, nb_bce_logits_opts o) {
    NBT_API("nb_binary_cross_entropy_with_logits");
    const char *op = "nb_binary_cross_entropy_with_logits";
    if (!nbn_loss_pair_ok(x, y, op)) return NULL;
    if (!nbt_same_shape(x, y))
        return nbt_error("%s: target size %s must be the same as input size %s", op, nbt_shape(y),
                         nbt_shape(x));
    if (!nbn_loss_weight_ok(o.weight, x, "weight", op) ||
        !nbn_loss_weight_ok(o.pos_weight, x, "pos_weight", op))
        return NULL;
    nb_tensor *sp = softplus_neg(x);
    nb_tensor *lw = o.pos_weight ? nb_add_scalar(nb_mul(nb_sub_scalar(o.pos_weight, 1), y), 1) : NULL;
    if (o.pos_weight && !lw) return NULL; /* failed (not "no pos_weight") */
    nb_tensor *l = nb_add(nb_mul(nb_rsub_scalar(y, 1), x), lw ? nb_mul(lw, sp) : sp);
    if (o.weight) l = nb_mul(l, o.weight);
    return nba_label(nbn_loss_reduce(l, o.reduction, op), x, "BinaryCrossEntropyWithLogitsBackward0");
}
