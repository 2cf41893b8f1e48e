/* loss_margin.c — the margin losses of torch.nn.functional: hinge_embedding_loss (targets 1 / -1)
 * and multi_margin_loss (multi-class hinge, p 1 or 2, per-class weight). Masks built from the
 * targets are constants; gradients flow to the input. */
#include "loss_internal.h"
#include "nba_autograd.h"
#include <math.h>
#include <stdlib.h>

/* y = 1: x;  y = -1: max(0, margin - x)  (torch: both terms where y is neither) */
nb_tensor *nb_hinge_embedding_loss(nb_tensor *x, nb_tensor *y, nb_hinge_embedding_opts o) {
    NBT_API("nb_hinge_embedding_loss");
    const char *op = "nb_hinge_embedding_loss";
    if (!x || !y) return NULL;
    if (!nbt_ok(x, op) || !nbt_ok(y, op)) return NULL;
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: input must be floating point, got %s", op, nb_dtype_name(x->dtype));
    int64_t shp[NB_MAX_DIMS];
    if (nbt_broadcast_shape(x->ndim, x->shape, y->ndim, y->shape, shp) < 0)
        return nbt_error("%s: input %s and target %s do not broadcast", op, nbt_shape(x), nbt_shape(y));
    double margin = o.margin == 0 ? 1.0 : o.margin;
    nb_tensor *not_pos = nb_rsub_scalar(nb_eq_scalar(y, 1), 1);  /* y != 1 */
    nb_tensor *not_neg = nb_rsub_scalar(nb_eq_scalar(y, -1), 1); /* y != -1 */
    if (not_pos && not_pos->dtype != x->dtype) {
        not_pos = nb_to(not_pos, x->dtype);
        not_neg = nb_to(not_neg, x->dtype);
    }
    nb_tensor *mc = nb_clamp(nb_rsub_scalar(x, margin), 0, INFINITY);
    nb_tensor *l = nb_add(nb_mul(mc, not_pos), nb_mul(x, not_neg));
    return nbn_loss_reduce(l, o.reduction, op);
}

/* l_i = sum_{j != y_i} w_{y_i} max(0, margin - x[y_i] + x[j])^p / C */
nb_tensor *nb_multi_margin_loss(nb_tensor *x, nb_tensor *y, nb_multi_margin_opts o) {
    NBT_API("nb_multi_margin_loss");
    const char *op = "nb_multi_margin_loss";
    if (!x || !y) return NULL;
    if (!nbt_ok(x, op) || !nbt_ok(y, op)) return NULL;
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: input must be floating point, got %s", op, nb_dtype_name(x->dtype));
    if (y->dtype != NB_I64)
        return nbt_error("%s: target must hold class indices as int64, got %s", op, nb_dtype_name(y->dtype));
    int p = o.p == 0 ? 1 : o.p;
    if (p != 1 && p != 2) return nbt_error("%s: only p == 1 and p == 2 supported, got %d", op, o.p);
    double margin = o.margin == 0 ? 1.0 : o.margin;
    bool one = x->ndim == 1;
    if (!(one && y->ndim <= 1 && y->numel == 1) &&
        !(x->ndim == 2 && y->ndim == 1 && y->shape[0] == x->shape[0]))
        return nbt_error("%s: inconsistent target size %s for input of size %s (expected (N, C) input and "
                         "(N) target, or (C) and ())",
                         op, nbt_shape(y), nbt_shape(x));
    int64_t N = one ? 1 : x->shape[0], C = one ? x->shape[0] : x->shape[1];
    double *wv = NULL, *mask = malloc(sizeof *mask * (size_t)(N * C > 0 ? N * C : 1));
    if (!mask) return nbt_error("%s: out of memory", op);
    if (o.weight) {
        if (!nbt_ok(o.weight, op)) {
            free(mask);
            return NULL;
        }
        if (o.weight->ndim != 1 || o.weight->shape[0] != C) {
            free(mask);
            return nbt_error("%s: weight must be 1-D with %lld entries (one per class), got %s", op,
                             (long long)C, nbt_shape(o.weight));
        }
        wv = malloc(sizeof *wv * (size_t)C);
        if (!wv || nb_to_doubles(o.weight, wv) != NB_OK) {
            free(wv);
            free(mask);
            return nb_error() ? NULL : nbt_error("%s: out of memory", op);
        }
    }
    nb_tensor *yc = nb_contiguous(y);
    const int64_t *yd = yc ? nb_data_i64(yc) : NULL;
    for (int64_t i = 0; yd && i < N; i++) {
        if (yd[i] < 0 || yd[i] >= C) {
            free(wv);
            free(mask);
            return nbt_error("%s: target %lld is out of bounds: class indices must be in [0, %lld)", op,
                             (long long)yd[i], (long long)C);
        }
        for (int64_t j = 0; j < C; j++)
            mask[i * C + j] = j == yd[i] ? 0.0 : (wv ? wv[yd[i]] : 1.0) / (double)C;
    }
    nb_tensor *x2 = one ? nb_unsqueeze(x, 0) : x;
    nb_tensor *m = yd ? nbn_loss_const(x->dtype, 2, (int64_t[]){ N, C }, mask) : NULL;
    free(wv);
    free(mask);
    nb_tensor *idx = yd ? nb_reshape(yc, 2, (int64_t[]){ N, 1 }) : NULL;
    nb_tensor *z = nb_clamp(nb_add(nb_rsub_scalar(nb_gather(x2, 1, idx), margin), x2), 0, INFINITY);
    if (p == 2) z = nb_square(z);
    int d1 = 1;
    nb_tensor *l = nb_sum_dim(nb_mul(z, m), 1, &d1, false);
    if (one && o.reduction == NB_REDUCTION_NONE)
        return nba_label(nb_reshape(l, 0, NULL), x, "MultiMarginLossBackward0");
    return nba_label(nbn_loss_reduce(l, o.reduction, op), x, "MultiMarginLossBackward0");
}
