/* loss_regression.c — the regression losses: mse, l1, smooth_l1 (beta) and huber (delta), as in
 * torch.nn.functional. Input and target broadcast; gradients flow to both. */
#include "loss_internal.h"
#include "nba_autograd.h"

/* (x - y)^2 */
nb_tensor *nb_mse_loss(nb_tensor *x, nb_tensor *y, nb_loss_opts o) {
    NBT_API("nb_mse_loss");
    if (!nbn_loss_pair_ok(x, y, "nb_mse_loss")) return NULL;
    return nba_label(nbn_loss_reduce(nb_square(nb_sub(x, y)), o.reduction, "nb_mse_loss"), x,
                     "MseLossBackward0");
}

/* |x - y| */
nb_tensor *nb_l1_loss(nb_tensor *x, nb_tensor *y, nb_loss_opts o) {
    NBT_API("nb_l1_loss");
    if (!nbn_loss_pair_ok(x, y, "nb_l1_loss")) return NULL;
    return nbn_loss_reduce(nb_abs(nb_sub(x, y)), o.reduction, "nb_l1_loss");
}

/* |d| < beta ? d^2 / (2 beta) : |d| - beta / 2 */
nb_tensor *nb_smooth_l1_loss(nb_tensor *x, nb_tensor *y, nb_smooth_l1_opts o) {
    NBT_API("nb_smooth_l1_loss");
    if (!nbn_loss_pair_ok(x, y, "nb_smooth_l1_loss")) return NULL;
    double beta = o.beta == 0 ? 1.0 : o.beta;
    if (beta < 0) return nbt_error("nb_smooth_l1_loss: beta must be non-negative, got %g", beta);
    nb_tensor *d = nb_sub(x, y), *ad = nb_abs(d);
    nb_tensor *quad = nb_mul_scalar(nb_square(d), 0.5 / beta);
    nb_tensor *lin = nb_sub_scalar(ad, 0.5 * beta);
    return nba_label(
        nbn_loss_reduce(nb_where(nb_lt_scalar(ad, beta), quad, lin), o.reduction, "nb_smooth_l1_loss"), x,
        "SmoothL1LossBackward0");
}

/* |d| < delta ? d^2 / 2 : delta (|d| - delta / 2) */
nb_tensor *nb_huber_loss(nb_tensor *x, nb_tensor *y, nb_huber_opts o) {
    NBT_API("nb_huber_loss");
    if (!nbn_loss_pair_ok(x, y, "nb_huber_loss")) return NULL;
    double delta = o.delta == 0 ? 1.0 : o.delta;
    if (delta < 0)
        return nbt_error("nb_huber_loss: huber_loss does not support negative values for delta (got %g)",
                         delta);
    nb_tensor *d = nb_sub(x, y), *ad = nb_abs(d);
    nb_tensor *quad = nb_mul_scalar(nb_square(d), 0.5);
    nb_tensor *lin = nb_mul_scalar(nb_sub_scalar(ad, 0.5 * delta), delta);
    return nba_label(
        nbn_loss_reduce(nb_where(nb_lt_scalar(ad, delta), quad, lin), o.reduction, "nb_huber_loss"), x,
        "HuberLossBackward0");
}

/* (lambda / 2) sum ||w||^2 */
nb_tensor *nb_l2_penalty(int n, nb_tensor *const *params, double lambda) {
    NBT_API("nb_l2_penalty");
    if (n <= 0 || !params)
        return nbt_error("nb_l2_penalty: expected a non-empty list of parameters (got n = %d)", n);
    nb_tensor *acc = NULL;
    for (int i = 0; i < n; i++) {
        if (!params[i]) return NULL;
        nb_tensor *s = nb_sum(nb_square(params[i]));
        acc = acc ? nb_add(acc, s) : s;
    }
    return nb_mul_scalar(acc, 0.5 * lambda);
}
