/* cartpole.h — gymnasium's CartPole-v1 in C: the same physics (euler, tau 0.02, 12-degree and 2.4
 * thresholds, reward 1 per step), the TimeLimit of 500 steps and the seeded resets (uniform(-0.05,
 * 0.05) from numpy's default_rng(seed), continued across resets), so a seeded run sees gym's states. */
#ifndef NB_EXAMPLES_CARTPOLE_H
#define NB_EXAMPLES_CARTPOLE_H
#include <stdbool.h>
#include "np_random.h"

typedef struct {
    double state[4]; /* x, x_dot, theta, theta_dot (float64, as gym keeps them) */
    int elapsed;     /* steps since reset (TimeLimit) */
    np_pcg64 rng;    /* env.np_random */
} cartpole;

#define CARTPOLE_MAX_STEPS 500         /* CartPole-v1's max_episode_steps */
#define CARTPOLE_REWARD_THRESHOLD 475. /* env.spec.reward_threshold */

/* env.reset(seed=seed): reseed numpy's generator, then reset; obs = the state as float32. */
void cartpole_reset_seed(cartpole *e, uint64_t seed, float obs[4]);
/* env.reset(): state ~ uniform(-0.05, 0.05, size=4) from the continuing generator. */
void cartpole_reset(cartpole *e, float obs[4]);
/* env.step(action in {0, 1}): obs, reward 1.0; *terminated past a threshold, *truncated at 500 steps. */
double cartpole_step(cartpole *e, int action, float obs[4], bool *terminated, bool *truncated);
/* A one-line text picture of the cart and pole (for --render). */
void cartpole_render(const cartpole *e, char *line, int width);

#endif
