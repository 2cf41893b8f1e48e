/* nb_optim.h — optimizers (torch.optim), learning-rate schedulers and gradient clipping.
 * An optimizer borrows its parameters (leaves that require grad) and owns its state. Update rules,
 * defaults and state follow torch 1.13 (foreach=False), step for step. A worked example:
 *
 *   nb_optimizer *opt = nb_adam((nb_tensor *[]){w, b}, 2, (nb_adam_opts){ .lr = 1e-2 });
 *   for (int it = 0; it < 100; it++) {
 *       nb_optim_zero_grad(opt);                   // grads set to none (torch 2.x default)
 *       nb_scope s = nb_scope_begin();
 *       nb_backward(loss_of(w, b));
 *       nb_scope_end(s);
 *       nb_optim_step(opt);                        // in place, no allocation after the first step
 *   }
 *   nb_optim_free(opt);
 *
 * Options: a zero field means torch's default. To ask for a real zero where torch's default is not
 * zero (AdamW weight_decay, beta1, eps...), write NB_ZERO. Parameters must be contiguous f32/f64
 * leaves; a parameter whose .grad is NULL is skipped, as in torch. */
#ifndef NB_OPTIM_H
#define NB_OPTIM_H

#include "nb_autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nb_optimizer nb_optimizer;

/* torch-style closure: clear grads, compute the loss, call backward, return the loss value
 * (NAN on failure, with nb_error() set). Used by L-BFGS and line searches. */
typedef double (*nb_closure)(void *ctx);
/* A loss with its graph (no backward called), for second-order methods that differentiate twice. */
typedef nb_tensor *(*nb_loss_fn)(void *ctx);

/* ---- methods (options: zero = torch default; lr first in every struct) ------------------------ */
typedef struct {
    double lr; /* required (torch has no default): 0 is an error, NB_ZERO means 0 */
    double momentum, dampening, weight_decay;
    bool nesterov, maximize;
} nb_sgd_opts;
/* SGD: d = g + wd p; buf = momentum buf + (1-dampening) d (buf = d at first); d = nesterov ? d + m buf : buf; p -= lr d */
nb_optimizer *nb_sgd(nb_tensor *const *params, int n, nb_sgd_opts o);

typedef struct {
    double lr;           /* 1e-3 */
    double betas[2];     /* (0.9, 0.999) */
    double eps;          /* 1e-8 */
    double weight_decay; /* Adam 0 (L2, added to the grad); AdamW 1e-2 (decoupled) */
    bool amsgrad, maximize;
} nb_adam_opts;
/* Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps) */
nb_optimizer *nb_adam(nb_tensor *const *params, int n, nb_adam_opts o);
/* AdamW: p *= 1 - lr wd first, then the Adam step without L2 term (weight_decay default 1e-2). */
nb_optimizer *nb_adamw(nb_tensor *const *params, int n, nb_adam_opts o);

typedef struct {
    double lr; /* 1e-2 */
    double lr_decay, weight_decay, initial_accumulator_value;
    double eps; /* 1e-10 */
    bool maximize;
} nb_adagrad_opts;
/* Adagrad: clr = lr/(1 + (t-1) lr_decay); s += g^2; p -= clr g / (sqrt(s) + eps) */
nb_optimizer *nb_adagrad(nb_tensor *const *params, int n, nb_adagrad_opts o);

typedef struct {
    double lr;    /* 1e-2 */
    double alpha; /* 0.99 */
    double eps;   /* 1e-8 */
    double weight_decay, momentum;
    bool centered, maximize;
} nb_rmsprop_opts;
/* RMSprop: v = a v + (1-a) g^2; avg = sqrt(v - centered mean(g)^2) + eps; p -= lr g/avg (or via momentum buf) */
nb_optimizer *nb_rmsprop(nb_tensor *const *params, int n, nb_rmsprop_opts o);

typedef struct {
    double lr;  /* 1.0 */
    double rho; /* 0.9 */
    double eps; /* 1e-6 */
    double weight_decay;
    bool maximize;
} nb_adadelta_opts;
/* Adadelta: v = rho v + (1-rho) g^2; d = sqrt(u + eps)/sqrt(v + eps) g; u = rho u + (1-rho) d^2; p -= lr d */
nb_optimizer *nb_adadelta(nb_tensor *const *params, int n, nb_adadelta_opts o);

typedef struct {
    double lr;       /* 2e-3 */
    double betas[2]; /* (0.9, 0.999) */
    double eps;      /* 1e-8 */
    double weight_decay;
    double momentum_decay; /* 4e-3 */
} nb_nadam_opts;
/* NAdam (torch 1.13, no maximize): mu_t = b1 (1 - 0.96^(t md)/2); Nesterov-corrected Adam step. */
nb_optimizer *nb_nadam(nb_tensor *const *params, int n, nb_nadam_opts o);

typedef enum { NB_LINE_SEARCH_NONE = 0, NB_LINE_SEARCH_STRONG_WOLFE = 1 } nb_line_search;
typedef struct {
    double lr;               /* 1 */
    int max_iter;            /* 20 */
    int max_eval;            /* max_iter * 5 / 4 */
    double tolerance_grad;   /* 1e-7 */
    double tolerance_change; /* 1e-9 */
    int history_size;        /* 100 */
    nb_line_search line_search_fn;
} nb_lbfgs_opts;
/* L-BFGS (torch.optim.LBFGS, one group only): needs nb_optim_step_closure; up to max_iter iterations per step. */
nb_optimizer *nb_lbfgs(nb_tensor *const *params, int n, nb_lbfgs_opts o);

/* ---- beyond torch.optim: second-order and line-search methods (need nb_optim_step_loss) ------- */
typedef struct {
    double lr;        /* 1 */
    bool abs_hessian; /* replace H by |H| (eigenvalues by their absolute values): nonconvex fix */
    double damping;   /* added to H's diagonal, default 0 */
} nb_newton_opts;
/* Newton: p -= lr H^-1 g with the exact Hessian of all params (flattened) from double backward.
 * For small parameter vectors (n^2 memory, n backward passes). */
nb_optimizer *nb_newton(nb_tensor *const *params, int n, nb_newton_opts o);

typedef struct {
    double lr;       /* 1 */
    int cg_max_iter; /* default: number of parameter elements */
    double cg_tol;   /* relative residual, default 1e-10 */
    double damping;  /* added to H, default 0 */
} nb_newton_cg_opts;
/* Newton-CG: solve (H + damping I) d = g by conjugate gradient with Hessian-vector products
 * (one double backward each); stops at negative curvature; p -= lr d. */
nb_optimizer *nb_newton_cg(nb_tensor *const *params, int n, nb_newton_cg_opts o);

typedef struct {
    double lr;        /* 1 */
    bool abs_hessian; /* use |diag H| (the seed's exercise), default false */
    double eps;       /* added to the diagonal, default 0 */
} nb_diag_newton_opts;
/* Diagonal preconditioning: p -= lr g / (diag(H) + eps), diag(H) exact (one HVP per element). */
nb_optimizer *nb_diag_newton(nb_tensor *const *params, int n, nb_diag_newton_opts o);

typedef struct {
    double lr;     /* initial step, 1 */
    double c1;     /* sufficient decrease, 1e-4 */
    double shrink; /* step *= shrink on failure, 0.5 */
    int max_iter;  /* tries, 30 */
} nb_armijo_opts;
/* Gradient descent with backtracking line search: the largest t = lr shrink^k with
 * f(p - t g) <= f(p) - c1 t |g|^2; needs nb_optim_step_closure (or _step_loss). */
nb_optimizer *nb_gd_armijo(nb_tensor *const *params, int n, nb_armijo_opts o);

/* ---- common interface --------------------------------------------------------------------------- */
/* One update from the current .grad of each parameter. L-BFGS and second-order methods need a closure. */
nb_status nb_optim_step(nb_optimizer *opt);
/* torch's step(closure): calls closure (grad mode on) as the method needs; *loss (optional) = its first value. */
nb_status nb_optim_step_closure(nb_optimizer *opt, nb_closure closure, void *ctx, double *loss);
/* Step with a loss function returning a graph: zero grads, loss, backward (or double backward for
 * second-order methods), step; all inside a scope. *loss (optional) = the loss before the step. */
nb_status nb_optim_step_loss(nb_optimizer *opt, nb_loss_fn fn, void *ctx, double *loss);
/* Set every parameter's .grad to none (torch 2.x zero_grad(set_to_none=True)). */
void nb_optim_zero_grad(nb_optimizer *opt);
/* Free the optimizer and its state (not the parameters). NULL is ignored. */
void nb_optim_free(nb_optimizer *opt);
/* torch's add_param_group: opts points to the constructor's options type (zero fields inherit the
 * constructor's values) or is NULL (all inherited). Returns the new group index or -1. */
int nb_optim_add_param_group(nb_optimizer *opt, nb_tensor *const *params, int n, const void *opts);
/* Number of parameter groups. */
int nb_optim_num_groups(const nb_optimizer *opt);
/* lr of a group (NAN + error if out of range). */
double nb_optim_get_lr(const nb_optimizer *opt, int group);
/* Set the lr of a group (what schedulers do). */
nb_status nb_optim_set_lr(nb_optimizer *opt, int group, double lr);
/* Method name ("adam", "sgd", ...). */
const char *nb_optim_name(const nb_optimizer *opt);
/* Add the state to sd as "state.<param index>.<name>" (step counters as 0-d f64 tensors) and
 * "param_groups.<g>.lr"; tensors are borrowed from the optimizer (valid until nb_optim_free). */
nb_status nb_optim_state_dict(nb_optimizer *opt, nb_state_dict *sd);
/* Copy state from sd (names as above, shapes must match); missing entries are left as they are. */
nb_status nb_optim_load_state_dict(nb_optimizer *opt, const nb_state_dict *sd);

/* ---- learning-rate schedulers (each modifies the group lrs in place, so they chain like torch) -- */
typedef struct nb_scheduler nb_scheduler;
/* every step_size epochs: lr *= gamma (default 0.1) */
nb_scheduler *nb_step_lr(nb_optimizer *opt, int step_size, double gamma);
/* at each milestone (ascending epochs): lr *= gamma (default 0.1) */
nb_scheduler *nb_multistep_lr(nb_optimizer *opt, const int *milestones, int n, double gamma);
/* every epoch: lr *= gamma (required, as in torch; NB_ZERO for 0) */
nb_scheduler *nb_exponential_lr(nb_optimizer *opt, double gamma);
/* torch's recursive cosine: lr_t = eta_min + (lr_{t-1} - eta_min)(1 + cos(pi t/T))/(1 + cos(pi (t-1)/T)) */
nb_scheduler *nb_cosine_annealing_lr(nb_optimizer *opt, int T_max, double eta_min);
/* factor from start (default 1/3) to end (default 1) over total_iters (default 5) epochs;
 * NB_ZERO for a start or end factor of 0 */
nb_scheduler *nb_linear_lr(nb_optimizer *opt, double start_factor, double end_factor, int total_iters);
/* lr = initial_lr * fn(epoch, ctx) */
nb_scheduler *nb_lambda_lr(nb_optimizer *opt, double (*fn)(int epoch, void *ctx), void *ctx);
/* lr = initial_lr / sqrt(epoch + 1) (the Adagrad lecture's eta_t = eta / sqrt(t + 1)) */
nb_scheduler *nb_inverse_sqrt_lr(nb_optimizer *opt);

typedef struct {
    bool mode_max;      /* false: 'min' (default), true: 'max' */
    double factor;      /* 0.1 */
    int patience;       /* 10; NB_PATIENCE_ZERO for 0 */
    double threshold;   /* 1e-4 */
    bool threshold_abs; /* false: 'rel' (default), true: 'abs' */
    int cooldown;
    double min_lr;
    double eps; /* 1e-8 */
} nb_plateau_opts;
#define NB_PATIENCE_ZERO (-1)
/* ReduceLROnPlateau: lr = max(lr factor, min_lr) after more than patience epochs without improvement */
nb_scheduler *nb_reduce_lr_on_plateau(nb_optimizer *opt, nb_plateau_opts o);
/* Advance one epoch (metric is used by ReduceLROnPlateau only). */
nb_status nb_scheduler_step(nb_scheduler *s, double metric);
/* lr of group g after the last step (torch get_last_lr). */
double nb_scheduler_last_lr(const nb_scheduler *s, int group);
/* Add the scheduler's counters (epoch, plateau state, base and last lrs) to sd as "scheduler" (a
 * 1-d f64 tensor owned by the scheduler); with nb_optim_state_dict this resumes a run exactly. */
nb_status nb_scheduler_state_dict(nb_scheduler *s, nb_state_dict *sd);
/* Restore the counters saved by nb_scheduler_state_dict (same kind of scheduler and group count). */
nb_status nb_scheduler_load_state_dict(nb_scheduler *s, const nb_state_dict *sd);
/* Free the scheduler (the optimizer keeps its current lrs). NULL is ignored. */
void nb_scheduler_free(nb_scheduler *s);

/* ---- gradient clipping -------------------------------------------------------------------------- */
/* total = norm_type-norm of all grads together (INFINITY for max-norm); if total > max_norm the
 * grads are scaled by max_norm/(total + 1e-6) (clamped to 1). Returns total (NAN + error on failure). */
double nb_clip_grad_norm_(nb_tensor *const *params, int n, double max_norm, double norm_type);
/* Clamp every grad element to [-clip_value, clip_value]. */
nb_status nb_clip_grad_value_(nb_tensor *const *params, int n, double clip_value);

#ifdef __cplusplus
}
#endif
#endif
