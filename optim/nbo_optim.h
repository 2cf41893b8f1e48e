/* nbo_optim.h — internals shared by the optimizer files: the optimizer object (parameters,
 * groups holding a copy of the method's options, per-parameter state tensors) and the method table.
 * Invariant: every state tensor is persistent and owned by the optimizer; options start with lr. */
#ifndef NBO_OPTIM_H
#define NBO_OPTIM_H

#include "nb_optim.h"
#include "nb_internal.h"
#include <math.h>
#include <stddef.h>

#define NBO_OPT_MAXSTATE 4

/* Every method's options struct (nb_<name>_opts). Each starts with double lr (checked below), so a
 * group's lr is read and written the same way for every method. A new optimizer adds its name here. */
/* clang-format off */
#define NBO_OPTIM_OPTS_LIST(X) \
    X(sgd) X(adam) X(adagrad) X(rmsprop) X(adadelta) X(nadam) X(lbfgs) X(newton) X(newton_cg) X(diag_newton) \
    X(armijo)
/* clang-format on */
/* the resolved options of any method */
#define NBO_OPTS_MEMBER_(name) nb_##name##_opts name;
typedef union {
    NBO_OPTIM_OPTS_LIST(NBO_OPTS_MEMBER_)
} nbo_opts;
#undef NBO_OPTS_MEMBER_
#define NBO_OPTS_LR_FIRST_(name)                                                                             \
    _Static_assert(offsetof(nb_##name##_opts, lr) == 0, "nb_" #name "_opts must start with double lr");
NBO_OPTIM_OPTS_LIST(NBO_OPTS_LR_FIRST_)
#undef NBO_OPTS_LR_FIRST_

typedef struct {
    int first, n;      /* parameters params[first .. first+n) */
    double initial_lr; /* set by the first scheduler (torch group['initial_lr']) */
    bool has_initial_lr;
    nb_tensor *lr_t; /* 0-d f64 lr for state dicts, created on demand */
    nbo_opts opts;   /* the method's resolved options */
} nbo_group;

/* What a state tensor is, so the common code can create it (lazily, or when a state dict is loaded). */
typedef enum {
    NBO_STATE_LIKE_PARAM, /* zeros shaped like the parameter (exp_avg, momentum_buffer); the default */
    NBO_STATE_STEP,       /* 0-d f64 step counter starting at 0 (torch's state['step']) */
    NBO_STATE_F32_ONE,    /* 0-d f32 starting at 1 (NAdam's mu_product, an f32 tensor in torch) */
} nbo_state_kind;
/* One per-parameter state slot: its torch name (state dict key) and kind. */
typedef struct {
    const char *name;
    nbo_state_kind kind;
} nbo_state_spec;

typedef struct nbo_optim_vt nbo_optim_vt;
typedef struct {
    nb_tensor *t[NBO_OPT_MAXSTATE];
} nbo_pstate;

struct nb_optimizer {
    const nbo_optim_vt *vt;
    nb_tensor **params; /* borrowed, stb_ds array */
    int *group_of;      /* group index of each param, stb_ds array */
    nbo_pstate *state;  /* per param, stb_ds array; NULL entries = not created */
    nbo_group *groups;  /* stb_ds array */
    nbo_opts defaults;  /* constructor's resolved options */
    void *extra;        /* method-specific (L-BFGS history, Newton scratch) */
};

struct nbo_optim_vt {
    const char *name;                       /* "adam" */
    const char *fn;                         /* "nb_adam" for messages */
    size_t opts_size;                       /* sizeof its nb_<name>_opts (a member of nbo_opts) */
    nbo_state_spec state[NBO_OPT_MAXSTATE]; /* per-parameter state slots; unused slots have no name */
    /* dst = user's options with zero fields taken from base (NB_ZERO -> 0) */
    void (*merge)(void *dst, const void *user, const void *base);
    /* validate resolved options (error message names fn) */
    nb_status (*check)(const void *opts, const char *fn);
    /* update parameter i of group g from its grad (grad present, shapes checked) */
    nb_status (*update)(nb_optimizer *o, nbo_group *g, int i);
    /* whole step with a closure (L-BFGS, line search); NULL: closure once then update each param */
    nb_status (*step_closure)(nb_optimizer *o, nb_closure c, void *ctx, double *loss);
    /* whole step from a loss graph (second-order methods); NULL: generic backward + step */
    nb_status (*step_loss)(nb_optimizer *o, nb_loss_fn fn, void *ctx, double *loss);
    /* called once per step before the per-parameter updates (may be NULL) */
    void (*begin_step)(nb_optimizer *o);
    void (*free_extra)(nb_optimizer *o);
    /* add / read the method-wide state kept in extra (L-BFGS history) to / from a state dict (may be NULL) */
    nb_status (*save_extra)(nb_optimizer *o, nb_state_dict *sd);
    nb_status (*load_extra)(nb_optimizer *o, const nb_state_dict *sd);
    bool single_group; /* L-BFGS: no add_param_group */
};

/* zero -> base, NB_ZERO (-0.0) -> 0, anything else kept */
static inline double nbo_pick_d(double u, double b) { return u == 0 ? (signbit(u) ? 0.0 : b) : u; }
static inline int nbo_pick_i(int u, int b) { return u ? u : b; }
static inline bool nbo_pick_b(bool u, bool b) { return u || b; }
#define NBO_PICK(f)                                                                                          \
    dst->f = _Generic((u->f), double : nbo_pick_d, int : nbo_pick_i, bool : nbo_pick_b)(u->f, b->f)

/* Create an optimizer over params with the user's options merged over torch's defaults tdefault. */
nb_optimizer *nbo_optim_new(const nbo_optim_vt *vt, nb_tensor *const *params, int n, const void *user,
                            const void *tdefault);
/* State tensor k of param i, created persistent on first use as its vt->state[k].kind says. */
nb_tensor *nbo_state(nb_optimizer *o, int i, int k);
/* A new persistent tensor filled with v, shaped like t. */
nb_tensor *nbo_persistent_full_like(const nb_tensor *t, double v);
/* self + alpha x as torch's AVX2 CPU kernels compute add_(x, alpha=) and addcmul_ (alpha = value t1):
 * one fused multiply-add. With it every element-wise method is bit-exact with torch. */
#define NBO_FMA(T, alpha, x, self) _Generic((T)0, float : fmaf, default : fma)((alpha), (x), (self))
/* sqrt in T: sqrtf for f32 is bit-equal to (float)sqrt((double)x) (correctly rounded both ways) and vectorizes */
#define NBO_SQRT(T, x) _Generic((T)0, float : sqrtf, default : sqrt)(x)
/* An element-wise kernel: updates elements [lo, hi) of the arrays its argument struct points at. */
typedef void (*nbo_range_fn)(const void *args, int64_t lo, int64_t hi);
/* fn(args, lo, hi) over [0, n): in chunks of 16384 on OpenMP threads above NBT_PAR_MIN elements, else once
 * (elements are independent: the result does not depend on the thread count). */
void nbo_run(int64_t n, nbo_range_fn fn, const void *args);
/* Bump a parameter's version counter (it was written in place). */
static inline void nbo_bump(nb_tensor *p) { p->storage->version++; }
/* Total elements of all params; all params must share one dtype (else -1 + error naming fn). */
int64_t nbo_flat_numel(nb_optimizer *o, const char *fn);
/* Copy all params (or their grads; missing grad = zeros) into a flat double vector. */
void nbo_flat_get(nb_optimizer *o, double *out, bool grads);
/* params = v (flat), or params += t v (fused multiply-add, like torch's add_(v, alpha=t)) when add. Bumps versions. */
void nbo_flat_set(nb_optimizer *o, const double *v, double t, bool add);
/* Run a loss function in its own scope: grads cleared, loss, backward; returns the loss value. */
double nbo_eval_closure_loss(nb_optimizer *o, nb_loss_fn fn, void *ctx);

#endif
