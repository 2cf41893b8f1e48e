/* scheduler.c — torch.optim.lr_scheduler: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR
 * (torch's recursive form), LinearLR, LambdaLR, ReduceLROnPlateau, plus inverse-sqrt decay. Like
 * torch, each step computes the new lr from the group's current lr (chainable) or from initial_lr,
 * and construction performs the first step (epoch 0). */
#include "nbo_optim.h"
#include <stb_ds.h>
#include <stdlib.h>

typedef enum { S_STEP, S_MULTISTEP, S_EXP, S_COSINE, S_LINEAR, S_LAMBDA, S_INVSQRT, S_PLATEAU } kind;

struct nb_scheduler {
    kind k;
    nb_optimizer *opt;
    int last_epoch;
    int ngroups;
    double *base_lrs, *last_lrs; /* ngroups each */
    int step_size, T_max, total_iters;
    double gamma, eta_min, start_factor, end_factor;
    int *milestones, nmilestones;
    double (*fn)(int, void *);
    void *ctx;
    nb_plateau_opts po;
    double best;
    int num_bad_epochs, cooldown_counter;
    nb_tensor *st; /* 1-d f64 state for state dicts, created on demand */
};

void nb_scheduler_free(nb_scheduler *s) {
    if (!s) return;
    free(s->base_lrs);
    free(s->milestones);
    nb_free(s->st);
    free(s);
}

static nb_scheduler *make(nb_optimizer *opt, kind k, const char *fn) {
    if (!opt) return nbt_error("%s: optimizer is NULL", fn);
    nb_scheduler *s = calloc(1, sizeof *s);
    int ng = nb_optim_num_groups(opt);
    if (s) s->base_lrs = calloc((size_t)(2 * ng + 1), sizeof(double));
    if (!s || !s->base_lrs) {
        free(s);
        return nbt_error("%s: out of memory", fn);
    }
    s->k = k;
    s->opt = opt;
    s->ngroups = ng;
    s->last_lrs = s->base_lrs + ng;
    s->last_epoch = -1;
    for (int g = 0; g < ng; g++) {
        nbo_group *gr = &opt->groups[g];
        if (!gr->has_initial_lr) {
            gr->initial_lr = nb_optim_get_lr(opt, g);
            gr->has_initial_lr = true;
        }
        s->base_lrs[g] = gr->initial_lr;
        s->last_lrs[g] = nb_optim_get_lr(opt, g);
    }
    return s;
}

/* the first step torch's constructor performs */
static nb_scheduler *start(nb_scheduler *s) {
    if (s && nb_scheduler_step(s, 0) != NB_OK) {
        nb_scheduler_free(s);
        return NULL;
    }
    return s;
}

static double pymod(int a, int m) { return (double)(((a % m) + m) % m); }

/* new lr of group g at epoch e (the scheduler's get_lr) */
static double get_lr(nb_scheduler *s, int g, double lr) {
    int e = s->last_epoch;
    double base = s->base_lrs[g];
    switch (s->k) {
    case S_STEP: return (e == 0 || e % s->step_size != 0) ? lr : lr * s->gamma;
    case S_MULTISTEP: {
        int c = 0;
        for (int i = 0; i < s->nmilestones; i++) c += s->milestones[i] == e;
        return c ? lr * pow(s->gamma, c) : lr;
    }
    case S_EXP: return e == 0 ? lr : lr * s->gamma;
    case S_COSINE: {
        double T = s->T_max, em = s->eta_min;
        if (e == 0) return lr;
        if (pymod(e - 1 - s->T_max, 2 * s->T_max) == 0) return lr + (base - em) * (1 - cos(M_PI / T)) / 2;
        return (1 + cos(M_PI * e / T)) / (1 + cos(M_PI * (e - 1) / T)) * (lr - em) + em;
    }
    case S_LINEAR: {
        double sf = s->start_factor, ef = s->end_factor;
        if (e == 0) return lr * sf;
        if (e > s->total_iters) return lr;
        return lr * (1. + (ef - sf) / (s->total_iters * sf + (e - 1) * (ef - sf)));
    }
    case S_LAMBDA: return base * s->fn(e, s->ctx);
    case S_INVSQRT: return base * (1 / sqrt(e + 1.0)); /* as LambdaLR(lambda e: 1 / math.sqrt(e + 1)) */
    case S_PLATEAU: return lr;
    }
    return lr;
}

static void plateau_step(nb_scheduler *s, double current) {
    const nb_plateau_opts *o = &s->po;
    s->last_epoch++;
    bool better;
    if (!o->mode_max)
        better = o->threshold_abs ? current < s->best - o->threshold
                                  : current < s->best * (1. - o->threshold);
    else
        better = o->threshold_abs ? current > s->best + o->threshold
                                  : current > s->best * (o->threshold + 1.);
    if (better) {
        s->best = current;
        s->num_bad_epochs = 0;
    } else
        s->num_bad_epochs++;
    if (s->cooldown_counter > 0) {
        s->cooldown_counter--;
        s->num_bad_epochs = 0;
    }
    if (s->num_bad_epochs > o->patience) {
        for (int g = 0; g < s->ngroups; g++) {
            double old_lr = nb_optim_get_lr(s->opt, g);
            double new_lr = fmax(old_lr * o->factor, o->min_lr);
            if (old_lr - new_lr > o->eps) nb_optim_set_lr(s->opt, g, new_lr);
        }
        s->cooldown_counter = o->cooldown;
        s->num_bad_epochs = 0;
    }
}

nb_status nb_scheduler_step(nb_scheduler *s, double metric) {
    NBT_API("nb_scheduler_step");
    if (!s) {
        nbt_error("nb_scheduler_step: scheduler is NULL");
        return NB_ERROR;
    }
    if (nb_optim_num_groups(s->opt) != s->ngroups) {
        nbt_error("nb_scheduler_step: the optimizer has %d parameter groups, the scheduler was made for %d; "
                  "add groups before creating schedulers",
                  nb_optim_num_groups(s->opt), s->ngroups);
        return NB_ERROR;
    }
    if (s->k == S_PLATEAU)
        plateau_step(s, metric);
    else {
        s->last_epoch++;
        for (int g = 0; g < s->ngroups; g++)
            nb_optim_set_lr(s->opt, g, get_lr(s, g, nb_optim_get_lr(s->opt, g)));
    }
    for (int g = 0; g < s->ngroups; g++) s->last_lrs[g] = nb_optim_get_lr(s->opt, g);
    return NB_OK;
}

double nb_scheduler_last_lr(const nb_scheduler *s, int g) {
    if (!nbt_nonnull(s, "nb_scheduler_last_lr", "scheduler")) return NAN;
    if (g < 0 || g >= s->ngroups) {
        nbt_error("nb_scheduler_last_lr: group %d out of range [0, %d)", g, s ? s->ngroups : 0);
        return NAN;
    }
    return s->last_lrs[g];
}

static double dflt(double v, double d) { return nbo_pick_d(v, d); }

nb_scheduler *nb_step_lr(nb_optimizer *opt, int step_size, double gamma) {
    if (step_size < 1) return nbt_error("nb_step_lr: step_size must be >= 1, got %d", step_size);
    nb_scheduler *s = make(opt, S_STEP, "nb_step_lr");
    if (!s) return NULL;
    s->step_size = step_size;
    s->gamma = dflt(gamma, 0.1);
    return start(s);
}

nb_scheduler *nb_multistep_lr(nb_optimizer *opt, const int *milestones, int n, double gamma) {
    NBT_API("nb_multistep_lr");
    if (n < 0 || (n > 0 && !milestones))
        return nbt_error("nb_multistep_lr: milestones is NULL or n = %d < 0", n);
    nb_scheduler *s = make(opt, S_MULTISTEP, "nb_multistep_lr");
    if (!s) return NULL;
    s->milestones = malloc(sizeof(int) * (size_t)(n ? n : 1));
    if (!s->milestones) {
        nb_scheduler_free(s);
        return nbt_error("nb_multistep_lr: out of memory");
    }
    memcpy(s->milestones, milestones, sizeof(int) * (size_t)n);
    s->nmilestones = n;
    s->gamma = dflt(gamma, 0.1);
    return start(s);
}

nb_scheduler *nb_exponential_lr(nb_optimizer *opt, double gamma) {
    if (gamma == 0 && !signbit(gamma))
        return nbt_error("nb_exponential_lr: gamma is required (torch has no default); NB_ZERO for 0");
    nb_scheduler *s = make(opt, S_EXP, "nb_exponential_lr");
    if (!s) return NULL;
    s->gamma = dflt(gamma, 0);
    return start(s);
}

nb_scheduler *nb_cosine_annealing_lr(nb_optimizer *opt, int T_max, double eta_min) {
    if (T_max < 1) return nbt_error("nb_cosine_annealing_lr: T_max must be >= 1, got %d", T_max);
    nb_scheduler *s = make(opt, S_COSINE, "nb_cosine_annealing_lr");
    if (!s) return NULL;
    s->T_max = T_max;
    s->eta_min = dflt(eta_min, 0);
    return start(s);
}

nb_scheduler *nb_linear_lr(nb_optimizer *opt, double start_factor, double end_factor, int total_iters) {
    double sf = dflt(start_factor, 1.0 / 3), ef = dflt(end_factor, 1.0);
    if (!(sf >= 0 && sf <= 1 && ef >= 0 && ef <= 1))
        return nbt_error("nb_linear_lr: start_factor %g and end_factor %g must be in [0, 1]", sf, ef);
    nb_scheduler *s = make(opt, S_LINEAR, "nb_linear_lr");
    if (!s) return NULL;
    s->start_factor = sf;
    s->end_factor = ef;
    s->total_iters = total_iters ? total_iters : 5;
    return start(s);
}

nb_scheduler *nb_lambda_lr(nb_optimizer *opt, double (*fn)(int, void *), void *ctx) {
    if (!fn) return nbt_error("nb_lambda_lr: fn is NULL");
    nb_scheduler *s = make(opt, S_LAMBDA, "nb_lambda_lr");
    if (!s) return NULL;
    s->fn = fn;
    s->ctx = ctx;
    return start(s);
}

nb_scheduler *nb_inverse_sqrt_lr(nb_optimizer *opt) {
    return start(make(opt, S_INVSQRT, "nb_inverse_sqrt_lr"));
}

nb_scheduler *nb_reduce_lr_on_plateau(nb_optimizer *opt, nb_plateau_opts o) {
    o.factor = dflt(o.factor, 0.1);
    o.patience = o.patience == NB_PATIENCE_ZERO ? 0 : o.patience ? o.patience : 10;
    o.threshold = dflt(o.threshold, 1e-4);
    o.eps = dflt(o.eps, 1e-8);
    if (!(o.factor < 1.0))
        return nbt_error("nb_reduce_lr_on_plateau: factor should be < 1.0, got %g", o.factor);
    nb_scheduler *s = make(opt, S_PLATEAU, "nb_reduce_lr_on_plateau");
    if (!s) return NULL;
    s->po = o;
    s->last_epoch = 0;
    s->best = o.mode_max ? -INFINITY : INFINITY;
    return s;
}

/* the counters torch's scheduler.state_dict() keeps: last_epoch, best, num_bad_epochs,
 * cooldown_counter, then base_lrs[g] and last_lrs[g] */
nb_status nb_scheduler_state_dict(nb_scheduler *s, nb_state_dict *sd) {
    NBT_API("nb_scheduler_state_dict");
    if (!s || !sd) {
        nbt_error("nb_scheduler_state_dict: scheduler or state dict is NULL");
        return NB_ERROR;
    }
    int64_t n = 4 + 2 * (int64_t)s->ngroups;
    if (!s->st && !(s->st = nbt_new_persistent(NB_F64, 1, &n))) return NB_ERROR;
    double *v = (double *)nbt_ptr(s->st);
    v[0] = s->last_epoch;
    v[1] = s->best;
    v[2] = s->num_bad_epochs;
    v[3] = s->cooldown_counter;
    for (int g = 0; g < s->ngroups; g++) {
        v[4 + g] = s->base_lrs[g];
        v[4 + s->ngroups + g] = s->last_lrs[g];
    }
    return nb_state_dict_add(sd, "scheduler", s->st);
}

nb_status nb_scheduler_load_state_dict(nb_scheduler *s, const nb_state_dict *sd) {
    NBT_API("nb_scheduler_load_state_dict");
    if (!s || !sd) {
        nbt_error("nb_scheduler_load_state_dict: scheduler or state dict is NULL");
        return NB_ERROR;
    }
    nb_tensor *t = nb_state_dict_get(sd, "scheduler");
    int64_t n = 4 + 2 * (int64_t)s->ngroups;
    if (!t || t->numel != n) {
        nbt_error("nb_scheduler_load_state_dict: no 'scheduler' entry of %lld values (%d parameter groups) "
                  "in the state dict",
                  (long long)n, s->ngroups);
        return NB_ERROR;
    }
    double v[4 + 2 * 64];
    double *buf = n <= (int64_t)(sizeof v / sizeof v[0]) ? v : malloc(sizeof(double) * (size_t)n);
    if (!buf || nb_to_doubles(t, buf) != NB_OK) {
        if (buf != v) free(buf);
        if (!nb_error()) nbt_error("nb_scheduler_load_state_dict: out of memory");
        return NB_ERROR;
    }
    s->last_epoch = (int)buf[0];
    s->best = buf[1];
    s->num_bad_epochs = (int)buf[2];
    s->cooldown_counter = (int)buf[3];
    for (int g = 0; g < s->ngroups; g++) {
        s->base_lrs[g] = buf[4 + g];
        s->last_lrs[g] = buf[4 + s->ngroups + g];
    }
    if (buf != v) free(buf);
    return NB_OK;
}
