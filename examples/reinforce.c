/* reinforce.c — pytorch/examples reinforcement_learning/reinforce.py ported line by line: REINFORCE on
 * CartPole-v1 (examples/common/cartpole.c, gym's physics and seeded resets) with a Policy 4 -> 128 ->
 * dropout(0.6) -> relu -> 2 -> softmax, actions drawn from Categorical(probs), returns normalised with
 * float32's eps, Adam(lr 1e-2). Same command line and printed lines; after the same --seed it draws
 * torch's numbers (init, dropout masks, samples) and gym's initial states, so its log retraces the
 * PyTorch script (bench/torch_reinforce/) until float rounding parts them.
 * usage: reinforce [--gamma 0.99] [--seed 543] [--render] [--log-interval 10] [--max-episodes 0]
 * --max-episodes N (not in reinforce.py) stops after N episodes; 0, the default, runs until solved. */
#include <nabla.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cartpole.h"
#include "cli.h"

typedef struct {
    double gamma;
    int seed, log_interval, max_episodes;
    bool render;
} options;

/* usage to stdout for -h / --help (msg NULL), to stderr after an error */
static int usage(const char *msg) {
    if (msg) fprintf(stderr, "reinforce: error: %s\n", msg);
    fprintf(msg ? stderr : stdout,
            "usage: reinforce [-h] [--gamma G] [--seed N] [--render] [--log-interval N]\n"
            "                 [--max-episodes N]\n");
    return 2;
}

static int parse(int argc, char **argv, options *o) {
    *o = (options){ .gamma = 0.99, .seed = 543, .log_interval = 10 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(NULL);
            return -1;
        }
        if (!strcmp(a, "--render")) {
            o->render = true;
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) return usage("an option is missing its value");
        bool ok;
        if (!strcmp(a, "--gamma"))
            ok = cli_double(v, &o->gamma);
        else if (!strcmp(a, "--seed"))
            ok = cli_int(v, &o->seed) && o->seed >= 0;
        else if (!strcmp(a, "--log-interval"))
            ok = cli_int(v, &o->log_interval) && o->log_interval > 0;
        else if (!strcmp(a, "--max-episodes"))
            ok = cli_int(v, &o->max_episodes) && o->max_episodes >= 0;
        else
            return usage("unrecognized arguments");
        if (!ok) return usage("invalid value");
    }
    return 0;
}

/* Python's repr(float): the shortest decimal that reads back as v, with ".0" when it looks integral */
static void py_repr(double v, char *buf, size_t n) {
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (!strpbrk(buf, ".en")) strncat(buf, ".0", n - strlen(buf) - 1);
}

typedef struct {
    nb_module *affine1, *affine2;
    nb_tensor *params[4];
} policy;

/* forward: softmax(affine2(relu(dropout(affine1(x), 0.6))), dim 1) */
static nb_tensor *policy_forward(policy *p, nb_tensor *x) {
    nb_tensor *h = nb_linear(x, p->affine1->params[0], p->affine1->params[1]);
    h = nb_relu(nb_dropout(h, 0.6, true));
    return nb_softmax(nb_linear(h, p->affine2->params[0], p->affine2->params[1]), 1);
}

/* select_action: action ~ Categorical(policy(state)); its log_prob is appended to *log_probs */
static int select_action(policy *p, const float obs[4], nb_tensor **log_prob) {
    nb_tensor *state = nb_tensor_from(NB_F32, obs, 2, (int64_t[]){ 1, 4 }, false);
    nb_categorical m;
    if (nb_categorical_init(&m, policy_forward(p, state), NULL) != NB_OK) return -1;
    nb_tensor *action = nb_categorical_sample(&m, 0, NULL, NULL);
    *log_prob = nb_categorical_log_prob(&m, action);
    return action && *log_prob ? (int)nb_item(action) : -1;
}

/* finish_episode: loss = sum_t -log_prob_t * (R_t - mean R) / (std R + eps), R_t = r_t + gamma R_{t+1} */
static nb_status finish_episode(nb_optimizer *opt, nb_tensor **log_probs, const double *rewards, int n,
                                double gamma) {
    float *ret = malloc(sizeof *ret * (size_t)n);
    nb_tensor **terms = malloc(sizeof *terms * (size_t)n);
    if (!ret || !terms) {
        free(ret), free(terms);
        return NB_ERROR;
    }
    double R = 0;
    for (int t = n - 1; t >= 0; t--) ret[t] = (float)(R = rewards[t] + gamma * R); /* torch.tensor: f32 */
    nb_tensor *returns = nb_tensor_from(NB_F32, ret, 1, (int64_t[]){ n }, false);
    returns = nb_div(nb_sub(returns, nb_mean(returns)), nb_add_scalar(nb_std(returns), FLT_EPSILON));
    for (int t = 0; t < n; t++) terms[t] = nb_mul(nb_neg(log_probs[t]), nb_select(returns, 0, t));
    nb_optim_zero_grad(opt);
    nb_status st = nb_backward(nb_sum(nb_cat(n, terms, 0)));
    if (st == NB_OK) st = nb_optim_step(opt);
    free(ret), free(terms);
    return st;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    cartpole env;
    float obs[4];
    cartpole_reset_seed(&env, (uint64_t)o.seed, obs); /* env.reset(seed=args.seed) */
    nb_manual_seed((uint64_t)o.seed);
    policy p = { .affine1 = nb_linear_new(4, 128, true), .affine2 = nb_linear_new(128, 2, true) };
    if (!p.affine1 || !p.affine2) return fprintf(stderr, "reinforce: %s\n", nb_error()), 1;
    p.params[0] = p.affine1->params[0], p.params[1] = p.affine1->params[1];
    p.params[2] = p.affine2->params[0], p.params[3] = p.affine2->params[1];
    nb_optimizer *opt = nb_adam(p.params, 4, (nb_adam_opts){ .lr = 1e-2 });
    nb_tensor *log_probs[CARTPOLE_MAX_STEPS];
    double rewards[CARTPOLE_MAX_STEPS], running_reward = 10;
    rc = 1;
    for (int i_episode = 1; opt && (!o.max_episodes || i_episode <= o.max_episodes); i_episode++) {
        nb_scope s = nb_scope_begin();
        cartpole_reset(&env, obs);
        double ep_reward = 0;
        int t, n = 0;
        for (t = 1; t < 10000; t++) { /* Don't infinite loop while learning */
            int action = select_action(&p, obs, &log_probs[n]);
            if (action < 0) break;
            bool terminated, truncated;
            double reward = cartpole_step(&env, action, obs, &terminated, &truncated);
            if (o.render) {
                char line[61];
                cartpole_render(&env, line, 60);
                fprintf(stderr, "\r%s", line);
            }
            rewards[n++] = reward;
            ep_reward += reward;
            if (terminated || truncated) break;
        }
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward;
        nb_status st = nb_error() ? NB_ERROR : finish_episode(opt, log_probs, rewards, n, o.gamma);
        nb_scope_end(s);
        if (st != NB_OK) break;
        if (i_episode % o.log_interval == 0)
            printf("Episode %d\tLast reward: %.2f\tAverage reward: %.2f\n", i_episode, ep_reward,
                   running_reward);
        fflush(stdout);
        if (running_reward > CARTPOLE_REWARD_THRESHOLD) {
            char r[32];
            py_repr(running_reward, r, sizeof r);
            printf("Solved! Running reward is now %s and the last episode runs to %d time steps!\n", r, t);
            rc = 0;
            break;
        }
        if (i_episode == o.max_episodes) rc = 0;
    }
    if (rc && nb_error()) fprintf(stderr, "reinforce: %s\n", nb_error());
    nb_optim_free(opt);
    nb_module_free(p.affine1);
    nb_module_free(p.affine2);
    return rc;
}
