/* nb_distributions.h — torch.distributions.Categorical and Normal: sampling draws exactly what torch 1.13
 * draws after the same seed, log_prob and entropy are differentiable like torch's. A distribution is a
 * small value (two tensor pointers); its tensors are made in the current scope like any op's results,
 * so make it where you use it (a training step's scope), as torch code does.
 *
 *   nb_categorical m;
 *   if (nb_categorical_init(&m, probs, NULL) != NB_OK) ...          // m = Categorical(probs)
 *   nb_tensor *action = nb_categorical_sample(&m, 0, NULL, NULL);    // m.sample()
 *   nb_tensor *lp = nb_categorical_log_prob(&m, action);             // m.log_prob(action)
 */
#ifndef NB_DISTRIBUTIONS_H
#define NB_DISTRIBUTIONS_H

#include "nb_autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Categorical over the last dim of probs or logits (batch shape = the other dims). */
typedef struct {
    nb_tensor *probs;  /* probs / probs.sum(-1), or softmax(logits) */
    nb_tensor *logits; /* log(clamp(probs, eps, 1 - eps)), or logits - logsumexp(logits) */
    int64_t num_events;
} nb_categorical;
/* Categorical(probs=probs) or Categorical(logits=logits): exactly one of them non-NULL, at least 1-D, float;
 * probs must be >= 0 with a positive sum per row, logits not NaN (torch's validate_args checks).
 * NB_ERROR and an error naming nb_categorical_init otherwise (a NULL argument passes an earlier error on). */
nb_status nb_categorical_init(nb_categorical *d, nb_tensor *probs, nb_tensor *logits);
/* d.sample(sample_shape): i64 of shape sample_shape + batch_shape (torch.multinomial(probs_2d, n, True).T). */
nb_tensor *nb_categorical_sample(const nb_categorical *d, int ndim, const int64_t *sample_shape,
                                 nb_generator *gen);
/* d.log_prob(value) = logits gathered at value (i64, 0 <= value < num_events, broadcast with the batch shape). */
nb_tensor *nb_categorical_log_prob(const nb_categorical *d, nb_tensor *value);
/* d.entropy() = -sum(max(logits, finfo.min) * probs, -1). */
nb_tensor *nb_categorical_entropy(const nb_categorical *d);

/* Normal(loc, scale), loc and scale broadcast to one shape (the batch shape). */
typedef struct {
    nb_tensor *loc;
    nb_tensor *scale;
} nb_normal_dist;
/* Normal(loc, scale): float tensors of broadcastable shapes, scale > 0 (torch's validate_args check). */
nb_status nb_normal_dist_init(nb_normal_dist *d, nb_tensor *loc, nb_tensor *scale);
/* d.sample(sample_shape), not differentiable: randn(shape) * scale + loc, shape = sample_shape + batch_shape. */
nb_tensor *nb_normal_dist_sample(const nb_normal_dist *d, int ndim, const int64_t *sample_shape,
                                 nb_generator *gen);
/* d.rsample(sample_shape) = loc + eps * scale, eps = randn(shape): differentiable in loc and scale. */
nb_tensor *nb_normal_dist_rsample(const nb_normal_dist *d, int ndim, const int64_t *sample_shape,
                                  nb_generator *gen);
/* d.log_prob(x) = -(x - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi)). */
nb_tensor *nb_normal_dist_log_prob(const nb_normal_dist *d, nb_tensor *value);
/* d.entropy() = 0.5 + 0.5 log(2 pi) + log(scale). */
nb_tensor *nb_normal_dist_entropy(const nb_normal_dist *d);

#ifdef __cplusplus
}
#endif
#endif
