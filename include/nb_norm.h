/* nb_norm.h — batch and group normalisation as torch.nn.functional has them (F.batch_norm,
 * F.group_norm), on inputs (N, C, ...) with per-channel weight and bias; the modules
 * (nn.BatchNorm1d/2d, nn.GroupNorm) are in nb_nn.h.
 *
 *   nb_tensor *y = nb_batch_norm(x, running_mean, running_var, w, b,
 *                                (nb_batch_norm_opts){ .training = true });   // updates the running stats
 */
#ifndef NB_NORM_H
#define NB_NORM_H

#include "nb_autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Keyword arguments of nb_batch_norm; zero means torch's default. */
typedef struct {
    bool training;   /* true: batch statistics (running ones updated); false (torch's default): running */
    double momentum; /* running = (1 - momentum) running + momentum batch; 0 = torch's 0.1, -0.0 = 0 */
    double eps;      /* 0 = torch's 1e-5 */
} nb_batch_norm_opts;
/* F.batch_norm, x (N, C, ...): y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c. Training: batch
 * mean and biased variance over every dim but 1, running_mean/var (optional) updated in place under
 * no-grad with the unbiased variance; eval: the running statistics (required). weight, bias, running_*
 * are C-element tensors of x's dtype or NULL. Differentiable twice (NativeBatchNormBackward0). */
nb_tensor *nb_batch_norm(nb_tensor *x, nb_tensor *running_mean, nb_tensor *running_var, nb_tensor *weight,
                         nb_tensor *bias, nb_batch_norm_opts o);
/* F.group_norm, x (N, C, ...): per sample, each of num_groups groups of C / num_groups channels is
 * normalised (biased variance), then y * weight_c + bias_c (weight, bias (C) or NULL); eps 0 = 1e-5. */
nb_tensor *nb_group_norm(nb_tensor *x, int64_t num_groups, nb_tensor *weight, nb_tensor *bias, double eps);

#ifdef __cplusplus
}
#endif
#endif
