/* test_misuse_optim.c — misuse cases of include/nb_optim.h: every optimizer constructor with a NULL
 * parameter array, a negative count, out-of-range hyperparameters and unusable parameters; the common
 * interface, schedulers and clipping with NULL handles and bad groups. Harness: tests/misuse.h. */
#include "misuse.h"

#define T mu_f32
static nb_tensor *PARAM(void) { return mu_leaf(); }
static double closure(void *ctx) {
    (void)ctx;
    return 1.0;
}
static nb_tensor *loss_fn(void *ctx) {
    (void)ctx;
    return NULL;
}
static double lam(int epoch, void *ctx) {
    (void)ctx;
    return 1.0 / (epoch + 1);
}

/* ---- constructors ---- */
MU_E(nb_sgd, "NULL params", !mu_own_optim(nb_sgd(NULL, 1, (nb_sgd_opts){ .lr = 0.1 })))
MU_E(nb_sgd, "negative count",
     !mu_own_optim(nb_sgd((nb_tensor *[]){ PARAM() }, -1, (nb_sgd_opts){ .lr = 0.1 })))
MU_E(nb_sgd, "a NULL parameter",
     !mu_own_optim(nb_sgd((nb_tensor *[]){ NULL }, 1, (nb_sgd_opts){ .lr = 0.1 })))
MU_E(nb_sgd, "lr -1", !mu_own_optim(nb_sgd((nb_tensor *[]){ PARAM() }, 1, (nb_sgd_opts){ .lr = -1 })))
MU_E(nb_adam, "NULL params", !mu_own_optim(nb_adam(NULL, 1, (nb_adam_opts){ 0 })))
MU_E(nb_adam, "negative count", !mu_own_optim(nb_adam((nb_tensor *[]){ PARAM() }, -1, (nb_adam_opts){ 0 })))
MU_E(nb_adam, "a NULL parameter", !mu_own_optim(nb_adam((nb_tensor *[]){ NULL }, 1, (nb_adam_opts){ 0 })))
MU_E(nb_adam, "lr -1", !mu_own_optim(nb_adam((nb_tensor *[]){ PARAM() }, 1, (nb_adam_opts){ .lr = -1 })))
MU_E(nb_adamw, "NULL params", !mu_own_optim(nb_adamw(NULL, 1, (nb_adam_opts){ 0 })))
MU_E(nb_adamw, "negative count", !mu_own_optim(nb_adamw((nb_tensor *[]){ PARAM() }, -1, (nb_adam_opts){ 0 })))
MU_E(nb_adamw, "a NULL parameter", !mu_own_optim(nb_adamw((nb_tensor *[]){ NULL }, 1, (nb_adam_opts){ 0 })))
MU_E(nb_adamw, "lr -1", !mu_own_optim(nb_adamw((nb_tensor *[]){ PARAM() }, 1, (nb_adam_opts){ .lr = -1 })))
MU_E(nb_adagrad, "NULL params", !mu_own_optim(nb_adagrad(NULL, 1, (nb_adagrad_opts){ 0 })))
MU_E(nb_adagrad, "negative count",
     !mu_own_optim(nb_adagrad((nb_tensor *[]){ PARAM() }, -1, (nb_adagrad_opts){ 0 })))
MU_E(nb_adagrad, "a NULL parameter",
     !mu_own_optim(nb_adagrad((nb_tensor *[]){ NULL }, 1, (nb_adagrad_opts){ 0 })))
MU_E(nb_adagrad, "lr -1",
     !mu_own_optim(nb_adagrad((nb_tensor *[]){ PARAM() }, 1, (nb_adagrad_opts){ .lr = -1 })))
MU_E(nb_rmsprop, "NULL params", !mu_own_optim(nb_rmsprop(NULL, 1, (nb_rmsprop_opts){ 0 })))
MU_E(nb_rmsprop, "negative count",
     !mu_own_optim(nb_rmsprop((nb_tensor *[]){ PARAM() }, -1, (nb_rmsprop_opts){ 0 })))
MU_E(nb_rmsprop, "a NULL parameter",
     !mu_own_optim(nb_rmsprop((nb_tensor *[]){ NULL }, 1, (nb_rmsprop_opts){ 0 })))
MU_E(nb_rmsprop, "lr -1",
     !mu_own_optim(nb_rmsprop((nb_tensor *[]){ PARAM() }, 1, (nb_rmsprop_opts){ .lr = -1 })))
MU_E(nb_adadelta, "NULL params", !mu_own_optim(nb_adadelta(NULL, 1, (nb_adadelta_opts){ 0 })))
MU_E(nb_adadelta, "negative count",
     !mu_own_optim(nb_adadelta((nb_tensor *[]){ PARAM() }, -1, (nb_adadelta_opts){ 0 })))
MU_E(nb_adadelta, "a NULL parameter",
     !mu_own_optim(nb_adadelta((nb_tensor *[]){ NULL }, 1, (nb_adadelta_opts){ 0 })))
MU_E(nb_adadelta, "lr -1",
     !mu_own_optim(nb_adadelta((nb_tensor *[]){ PARAM() }, 1, (nb_adadelta_opts){ .lr = -1 })))
MU_E(nb_nadam, "NULL params", !mu_own_optim(nb_nadam(NULL, 1, (nb_nadam_opts){ 0 })))
MU_E(nb_nadam, "negative count",
     !mu_own_optim(nb_nadam((nb_tensor *[]){ PARAM() }, -1, (nb_nadam_opts){ 0 })))
MU_E(nb_nadam, "a NULL parameter", !mu_own_optim(nb_nadam((nb_tensor *[]){ NULL }, 1, (nb_nadam_opts){ 0 })))
MU_E(nb_nadam, "lr -1", !mu_own_optim(nb_nadam((nb_tensor *[]){ PARAM() }, 1, (nb_nadam_opts){ .lr = -1 })))
MU_E(nb_lbfgs, "NULL params", !mu_own_optim(nb_lbfgs(NULL, 1, (nb_lbfgs_opts){ 0 })))
MU_E(nb_lbfgs, "negative count",
     !mu_own_optim(nb_lbfgs((nb_tensor *[]){ PARAM() }, -1, (nb_lbfgs_opts){ 0 })))
MU_E(nb_lbfgs, "a NULL parameter", !mu_own_optim(nb_lbfgs((nb_tensor *[]){ NULL }, 1, (nb_lbfgs_opts){ 0 })))
MU_E(nb_lbfgs, "lr -1", !mu_own_optim(nb_lbfgs((nb_tensor *[]){ PARAM() }, 1, (nb_lbfgs_opts){ .lr = -1 })))
MU_E(nb_newton, "NULL params", !mu_own_optim(nb_newton(NULL, 1, (nb_newton_opts){ 0 })))
MU_E(nb_newton, "negative count",
     !mu_own_optim(nb_newton((nb_tensor *[]){ PARAM() }, -1, (nb_newton_opts){ 0 })))
MU_E(nb_newton, "a NULL parameter",
     !mu_own_optim(nb_newton((nb_tensor *[]){ NULL }, 1, (nb_newton_opts){ 0 })))
MU_E(nb_newton_cg, "NULL params", !mu_own_optim(nb_newton_cg(NULL, 1, (nb_newton_cg_opts){ 0 })))
MU_E(nb_newton_cg, "negative count",
     !mu_own_optim(nb_newton_cg((nb_tensor *[]){ PARAM() }, -1, (nb_newton_cg_opts){ 0 })))
MU_E(nb_newton_cg, "a NULL parameter",
     !mu_own_optim(nb_newton_cg((nb_tensor *[]){ NULL }, 1, (nb_newton_cg_opts){ 0 })))
MU_E(nb_diag_newton, "NULL params", !mu_own_optim(nb_diag_newton(NULL, 1, (nb_diag_newton_opts){ 0 })))
MU_E(nb_diag_newton, "negative count",
     !mu_own_optim(nb_diag_newton((nb_tensor *[]){ PARAM() }, -1, (nb_diag_newton_opts){ 0 })))
MU_E(nb_diag_newton, "a NULL parameter",
     !mu_own_optim(nb_diag_newton((nb_tensor *[]){ NULL }, 1, (nb_diag_newton_opts){ 0 })))
MU_E(nb_gd_armijo, "NULL params", !mu_own_optim(nb_gd_armijo(NULL, 1, (nb_armijo_opts){ 0 })))
MU_E(nb_gd_armijo, "negative count",
     !mu_own_optim(nb_gd_armijo((nb_tensor *[]){ PARAM() }, -1, (nb_armijo_opts){ 0 })))
MU_E(nb_gd_armijo, "a NULL parameter",
     !mu_own_optim(nb_gd_armijo((nb_tensor *[]){ NULL }, 1, (nb_armijo_opts){ 0 })))
MU_E(nb_gd_armijo, "lr -1",
     !mu_own_optim(nb_gd_armijo((nb_tensor *[]){ PARAM() }, 1, (nb_armijo_opts){ .lr = -1 })))
MU_E(nb_sgd, "lr 0 (required)", !mu_own_optim(nb_sgd((nb_tensor *[]){ PARAM() }, 1, (nb_sgd_opts){ 0 })))
MU_E(nb_sgd, "nesterov without momentum",
     !mu_own_optim(nb_sgd((nb_tensor *[]){ PARAM() }, 1, (nb_sgd_opts){ .lr = 0.1, .nesterov = true })))
MU_E(nb_sgd, "negative momentum",
     !mu_own_optim(nb_sgd((nb_tensor *[]){ PARAM() }, 1, (nb_sgd_opts){ .lr = 0.1, .momentum = -1 })))
MU_E(nb_adam, "beta1 1.5",
     !mu_own_optim(nb_adam((nb_tensor *[]){ PARAM() }, 1, (nb_adam_opts){ .betas = { 1.5, 0.9 } })))
MU_E(nb_adam, "negative eps",
     !mu_own_optim(nb_adam((nb_tensor *[]){ PARAM() }, 1, (nb_adam_opts){ .eps = -1 })))
MU_E(nb_adamw, "negative weight_decay",
     !mu_own_optim(nb_adamw((nb_tensor *[]){ PARAM() }, 1, (nb_adam_opts){ .weight_decay = -1 })))
MU_E(nb_rmsprop, "negative alpha",
     !mu_own_optim(nb_rmsprop((nb_tensor *[]){ PARAM() }, 1, (nb_rmsprop_opts){ .alpha = -1 })))
MU_E(nb_adadelta, "rho 2",
     !mu_own_optim(nb_adadelta((nb_tensor *[]){ PARAM() }, 1, (nb_adadelta_opts){ .rho = 2 })))
MU_E(nb_adagrad, "negative lr_decay",
     !mu_own_optim(nb_adagrad((nb_tensor *[]){ PARAM() }, 1, (nb_adagrad_opts){ .lr_decay = -1 })))
MU_E(nb_nadam, "negative momentum_decay",
     !mu_own_optim(nb_nadam((nb_tensor *[]){ PARAM() }, 1, (nb_nadam_opts){ .momentum_decay = -1 })))
MU_E(nb_lbfgs, "unknown line search",
     !mu_own_optim(nb_lbfgs((nb_tensor *[]){ PARAM() }, 1,
                            (nb_lbfgs_opts){ .line_search_fn = (nb_line_search)5 })))
MU_E(nb_sgd, "an int64 parameter",
     !mu_own_optim(nb_sgd((nb_tensor *[]){ nb_zeros(NB_I64, NB_SHAPE(2)) }, 1, (nb_sgd_opts){ .lr = 0.1 })))
MU_E(nb_sgd, "a non-leaf parameter",
     !mu_own_optim(nb_sgd((nb_tensor *[]){ nb_mul_scalar(PARAM(), 2) }, 1, (nb_sgd_opts){ .lr = 0.1 })))
/* ---- common interface ---- */
MU_E(nb_optim_step, "NULL optimizer", nb_optim_step(NULL) == NB_ERROR)
MU_E(nb_optim_step, "L-BFGS without a closure",
     nb_optim_step(mu_own_optim(nb_lbfgs((nb_tensor *[]){ PARAM() }, 1, (nb_lbfgs_opts){ 0 }))) == NB_ERROR)
MU_E(nb_optim_step_closure, "NULL optimizer", nb_optim_step_closure(NULL, closure, NULL, NULL) == NB_ERROR)
MU_E(nb_optim_step_closure, "NULL closure", nb_optim_step_closure(mu_sgd(), NULL, NULL, NULL) == NB_ERROR)
MU_E(nb_optim_step_loss, "NULL optimizer", nb_optim_step_loss(NULL, loss_fn, NULL, NULL) == NB_ERROR)
MU_E(nb_optim_step_loss, "NULL function", nb_optim_step_loss(mu_sgd(), NULL, NULL, NULL) == NB_ERROR)
MU_E(nb_optim_step_loss, "a loss function that fails",
     nb_optim_step_loss(mu_sgd(), loss_fn, NULL, NULL) == NB_ERROR)
MU_E(nb_optim_zero_grad, "NULL optimizer", (nb_optim_zero_grad(NULL), true))
MU_E(nb_optim_add_param_group, "NULL optimizer",
     nb_optim_add_param_group(NULL, (nb_tensor *[]){ PARAM() }, 1, NULL) == -1)
MU_E(nb_optim_add_param_group, "NULL params", nb_optim_add_param_group(mu_sgd(), NULL, 1, NULL) == -1)
MU_E(nb_optim_add_param_group, "negative count",
     nb_optim_add_param_group(mu_sgd(), (nb_tensor *[]){ PARAM() }, -2, NULL) == -1)
MU_ERR(nb_optim_add_param_group, "a parameter already in a group") {
    nb_tensor *p = PARAM();
    nb_optimizer *o = mu_own_optim(nb_sgd((nb_tensor *[]){ p }, 1, (nb_sgd_opts){ .lr = 0.1 }));
    return nb_optim_add_param_group(o, (nb_tensor *[]){ p }, 1, NULL) == -1;
}
MU_E(nb_optim_num_groups, "NULL optimizer", nb_optim_num_groups(NULL) == -1)
MU_E(nb_optim_get_lr, "NULL optimizer", isnan(nb_optim_get_lr(NULL, 0)))
MU_E(nb_optim_get_lr, "group 1 of 1", isnan(nb_optim_get_lr(mu_sgd(), 1)))
MU_E(nb_optim_get_lr, "group -1", isnan(nb_optim_get_lr(mu_sgd(), -1)))
MU_E(nb_optim_set_lr, "NULL optimizer", nb_optim_set_lr(NULL, 0, 0.1) == NB_ERROR)
MU_E(nb_optim_set_lr, "group 3 of 1", nb_optim_set_lr(mu_sgd(), 3, 0.1) == NB_ERROR)
MU_E(nb_optim_name, "NULL optimizer", !nb_optim_name(NULL))
MU_E(nb_optim_state_dict, "NULL optimizer", nb_optim_state_dict(NULL, mu_sd()) == NB_ERROR)
MU_E(nb_optim_state_dict, "NULL dict", nb_optim_state_dict(mu_sgd(), NULL) == NB_ERROR)
MU_E(nb_optim_load_state_dict, "NULL optimizer", nb_optim_load_state_dict(NULL, mu_sd()) == NB_ERROR)
MU_E(nb_optim_load_state_dict, "NULL dict", nb_optim_load_state_dict(mu_sgd(), NULL) == NB_ERROR)
MU_ERR(nb_optim_load_state_dict, "a state of the wrong shape") {
    nb_state_dict *sd = mu_sd();
    nb_optimizer *o = mu_own_optim(nb_adam((nb_tensor *[]){ PARAM() }, 1, (nb_adam_opts){ 0 }));
    nb_state_dict_add(sd, "state.0.exp_avg", nb_zeros(NB_F64, NB_SHAPE(7)));
    return nb_optim_load_state_dict(o, sd) == NB_ERROR;
}
MU_E(nb_sgd, "a released parameter",
     !mu_own_optim(nb_sgd((nb_tensor *[]){ mu_released() }, 1, (nb_sgd_opts){ .lr = 0.1 })))
/* ---- schedulers ---- */
MU_E(nb_step_lr, "NULL optimizer", !mu_own_sched(nb_step_lr(NULL, 1, 0.1)))
MU_E(nb_step_lr, "step_size 0", !mu_own_sched(nb_step_lr(mu_sgd(), 0, 0.1)))
MU_E(nb_step_lr, "negative step_size", !mu_own_sched(nb_step_lr(mu_sgd(), -3, 0.1)))
MU_E(nb_multistep_lr, "NULL optimizer", !mu_own_sched(nb_multistep_lr(NULL, (int[]){ 1 }, 1, 0.1)))
MU_E(nb_multistep_lr, "NULL milestones", !mu_own_sched(nb_multistep_lr(mu_sgd(), NULL, 2, 0.1)))
MU_E(nb_multistep_lr, "negative count", !mu_own_sched(nb_multistep_lr(mu_sgd(), (int[]){ 1 }, -1, 0.1)))
MU_E(nb_exponential_lr, "NULL optimizer", !mu_own_sched(nb_exponential_lr(NULL, 0.9)))
MU_E(nb_exponential_lr, "gamma 0 (required)", !mu_own_sched(nb_exponential_lr(mu_sgd(), 0)))
MU_E(nb_cosine_annealing_lr, "NULL optimizer", !mu_own_sched(nb_cosine_annealing_lr(NULL, 10, 0)))
MU_E(nb_cosine_annealing_lr, "T_max 0", !mu_own_sched(nb_cosine_annealing_lr(mu_sgd(), 0, 0)))
MU_E(nb_linear_lr, "NULL optimizer", !mu_own_sched(nb_linear_lr(NULL, 0, 0, 0)))
MU_E(nb_linear_lr, "start_factor 2", !mu_own_sched(nb_linear_lr(mu_sgd(), 2, 0, 0)))
MU_E(nb_lambda_lr, "NULL optimizer", !mu_own_sched(nb_lambda_lr(NULL, lam, NULL)))
MU_E(nb_lambda_lr, "NULL function", !mu_own_sched(nb_lambda_lr(mu_sgd(), NULL, NULL)))
MU_E(nb_inverse_sqrt_lr, "NULL optimizer", !mu_own_sched(nb_inverse_sqrt_lr(NULL)))
MU_E(nb_reduce_lr_on_plateau, "NULL optimizer",
     !mu_own_sched(nb_reduce_lr_on_plateau(NULL, (nb_plateau_opts){ 0 })))
MU_E(nb_reduce_lr_on_plateau, "factor 1",
     !mu_own_sched(nb_reduce_lr_on_plateau(mu_sgd(), (nb_plateau_opts){ .factor = 1 })))
MU_E(nb_scheduler_step, "NULL scheduler", nb_scheduler_step(NULL, 0) == NB_ERROR)
MU_E(nb_scheduler_last_lr, "NULL scheduler", isnan(nb_scheduler_last_lr(NULL, 0)))
MU_E(nb_scheduler_last_lr, "group 2 of 1",
     isnan(nb_scheduler_last_lr(mu_own_sched(nb_step_lr(mu_sgd(), 1, 0.1)), 2)))
MU_E(nb_scheduler_state_dict, "NULL scheduler", nb_scheduler_state_dict(NULL, mu_sd()) == NB_ERROR)
MU_E(nb_scheduler_state_dict, "NULL dict",
     nb_scheduler_state_dict(mu_own_sched(nb_step_lr(mu_sgd(), 1, 0.1)), NULL) == NB_ERROR)
MU_E(nb_scheduler_load_state_dict, "NULL scheduler", nb_scheduler_load_state_dict(NULL, mu_sd()) == NB_ERROR)
MU_E(nb_scheduler_load_state_dict, "NULL dict",
     nb_scheduler_load_state_dict(mu_own_sched(nb_step_lr(mu_sgd(), 1, 0.1)), NULL) == NB_ERROR)
MU_E(nb_scheduler_load_state_dict, "empty dict",
     nb_scheduler_load_state_dict(mu_own_sched(nb_step_lr(mu_sgd(), 1, 0.1)), mu_sd()) == NB_ERROR)
/* ---- clipping ---- */
MU_E(nb_clip_grad_norm_, "NULL params", isnan(nb_clip_grad_norm_(NULL, 2, 1, 2)))
MU_E(nb_clip_grad_norm_, "negative count", isnan(nb_clip_grad_norm_((nb_tensor *[]){ PARAM() }, -1, 1, 2)))
MU_E(nb_clip_grad_norm_, "a NULL parameter", isnan(nb_clip_grad_norm_((nb_tensor *[]){ NULL }, 1, 1, 2)))
MU_E(nb_clip_grad_value_, "NULL params", nb_clip_grad_value_(NULL, 2, 1) == NB_ERROR)
MU_E(nb_clip_grad_value_, "a released parameter",
     nb_clip_grad_value_((nb_tensor *[]){ mu_released() }, 1, 1) == NB_ERROR)
