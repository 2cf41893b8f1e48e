/* cartpole.c — gymnasium/envs/classic_control/cartpole.py CartPoleEnv.step/reset transcribed with the
 * same operation order in float64, so each state is the one gym computes (np.cos/np.sin are libm's
 * cos/sin on CPUs without AVX-512; see docs/reinforce.md). */
#include "cartpole.h"
#include <math.h>
#include <string.h>

static const double gravity = 9.8, masscart = 1.0, masspole = 0.1, length = 0.5, force_mag = 10.0, tau = 0.02,
                    x_threshold = 2.4;

static void observe(const cartpole *e, float obs[4]) {
    for (int i = 0; i < 4; i++) obs[i] = (float)e->state[i];
}

void cartpole_reset(cartpole *e, float obs[4]) {
    for (int i = 0; i < 4; i++) e->state[i] = np_uniform(&e->rng, -0.05, 0.05);
    e->elapsed = 0;
    observe(e, obs);
}

void cartpole_reset_seed(cartpole *e, uint64_t seed, float obs[4]) {
    np_pcg64_seed(&e->rng, seed);
    cartpole_reset(e, obs);
}

double cartpole_step(cartpole *e, int action, float obs[4], bool *terminated, bool *truncated) {
    const double total_mass = masspole + masscart, polemass_length = masspole * length;
    const double theta_threshold = 12 * 2 * M_PI / 360;
    double x = e->state[0], x_dot = e->state[1], theta = e->state[2], theta_dot = e->state[3];
    double force = action == 1 ? force_mag : -force_mag;
    double costheta = cos(theta), sintheta = sin(theta);
    double temp = (force + polemass_length * (theta_dot * theta_dot) * sintheta) / total_mass;
    double thetaacc = (gravity * sintheta - costheta * temp) /
                      (length * (4.0 / 3.0 - masspole * (costheta * costheta) / total_mass));
    double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
    x = x + tau * x_dot; /* euler */
    x_dot = x_dot + tau * xacc;
    theta = theta + tau * theta_dot;
    theta_dot = theta_dot + tau * thetaacc;
    e->state[0] = x, e->state[1] = x_dot, e->state[2] = theta, e->state[3] = theta_dot;
    *terminated = x < -x_threshold || x > x_threshold || theta < -theta_threshold || theta > theta_threshold;
    *truncated = ++e->elapsed >= CARTPOLE_MAX_STEPS;
    observe(e, obs);
    return 1.0; /* also on the terminating step (steps_beyond_terminated = 0) */
}

void cartpole_render(const cartpole *e, char *line, int width) {
    memset(line, '.', (size_t)width);
    line[width] = '\0';
    int c = (int)((e->state[0] + x_threshold) / (2 * x_threshold) * (width - 1) + 0.5);
    c = c < 0 ? 0 : c >= width ? width - 1 : c;
    line[c] = e->state[2] > 0.02 ? '/' : e->state[2] < -0.02 ? '\\' : '|';
}
