/* test_misuse_refusals.c — issue 15 class 5 (calls torch refuses), class 6 (tapes and scopes are the
 * thread's) and class 8 (grad-of-grad through piecewise ops) as misuse cases: empty optimizers,
 * gradcheck with nothing to differentiate, writes into leaves that require grad, self-overlapping
 * in-place destinations, unknown enum values, loss options that do not broadcast. Harness: misuse.h. */
#include "misuse.h"
#include <pthread.h>

void *nbt_error(const char *fmt,
                ...); /* internal (tensor/error.c): re-record a worker thread's message here */

static nb_tensor *P(void) { return mu_leaf(); } /* (2, 3) f64 leaf that requires grad */
static nb_tensor *const *PS(void) {
    static nb_tensor *ps[1];
    ps[0] = mu_leaf();
    return ps;
}
/* zeros (1, 3) expanded to (2, 3): both rows are the same memory */
static nb_tensor *EXP(void) { return nb_expand(nb_zeros(NB_F64, NB_SHAPE(1, 3)), NB_SHAPE(2, 3)); }
static nb_tensor *fn_sum(nb_tensor *const *in, int n, void *ctx) {
    (void)n, (void)ctx;
    return nb_sum(nb_square(in[0]));
}

/* ---- optimizers over an empty parameter list (torch: "optimizer got an empty parameter list") ---- */
MU_E(nb_sgd, "empty parameter list", !nb_sgd(PS(), 0, (nb_sgd_opts){ .lr = 0.1 }))
MU_E(nb_adam, "empty parameter list", !nb_adam(PS(), 0, (nb_adam_opts){ 0 }))
MU_E(nb_adamw, "empty parameter list", !nb_adamw(PS(), 0, (nb_adam_opts){ 0 }))
MU_E(nb_adagrad, "empty parameter list", !nb_adagrad(PS(), 0, (nb_adagrad_opts){ 0 }))
MU_E(nb_adadelta, "empty parameter list", !nb_adadelta(PS(), 0, (nb_adadelta_opts){ 0 }))
MU_E(nb_rmsprop, "empty parameter list", !nb_rmsprop(PS(), 0, (nb_rmsprop_opts){ 0 }))
MU_E(nb_nadam, "empty parameter list", !nb_nadam(PS(), 0, (nb_nadam_opts){ 0 }))
MU_E(nb_lbfgs, "empty parameter list", !nb_lbfgs(PS(), 0, (nb_lbfgs_opts){ 0 }))
MU_E(nb_gd_armijo, "empty parameter list", !nb_gd_armijo(PS(), 0, (nb_armijo_opts){ 0 }))
MU_E(nb_newton, "empty parameter list", !nb_newton(PS(), 0, (nb_newton_opts){ 0 }))
MU_E(nb_newton_cg, "empty parameter list", !nb_newton_cg(PS(), 0, (nb_newton_cg_opts){ 0 }))
MU_E(nb_diag_newton, "empty parameter list", !nb_diag_newton(PS(), 0, (nb_diag_newton_opts){ 0 }))
MU_E(nb_optim_add_param_group, "empty group",
     nb_optim_add_param_group(mu_sgd(), PS(), 0, &(nb_sgd_opts){ .lr = 0.1 }) < 0)
MU_GOOD(nb_sgd, "one parameter") { return mu_own_optim(nb_sgd(PS(), 1, (nb_sgd_opts){ .lr = 0.1 })) != NULL; }

/* ---- gradcheck with no input that requires grad (it would pass vacuously) ---- */
MU_E(nb_gradcheck, "no input requires grad",
     !nb_gradcheck(fn_sum, NULL, 1, (nb_tensor *[]){ mu_f64() }, (nb_gradcheck_opts){ 0 }))
MU_E(nb_gradgradcheck, "no input requires grad",
     !nb_gradgradcheck(fn_sum, NULL, 1, (nb_tensor *[]){ mu_f64() }, (nb_gradcheck_opts){ 0 }))
MU_G(nb_gradcheck, "a leaf input",
     nb_gradcheck(fn_sum, NULL, 1, (nb_tensor *[]){ P() }, (nb_gradcheck_opts){ 0 }))

/* ---- writes into a leaf that requires grad, grad mode on: every entry point (torch: "a leaf Variable
 * that requires grad is being used in an in-place operation") ---- */
MU_E(nb_set, "leaf requires grad", nb_set(P(), (int64_t[]){ 0, 1 }, 2.0) == NB_ERROR)
MU_E(nb_fill_, "leaf requires grad", !nb_fill_(P(), 1.0))
MU_E(nb_zero_, "leaf requires grad", !nb_zero_(P()))
MU_E(nb_copy_, "leaf requires grad", !nb_copy_(P(), mu_f64()))
MU_E(nb_add_, "leaf requires grad", !nb_add_(P(), mu_f64()))
MU_E(nb_sub_, "leaf requires grad", !nb_sub_(P(), mu_f64()))
MU_E(nb_mul_, "leaf requires grad", !nb_mul_(P(), mu_f64()))
MU_E(nb_div_, "leaf requires grad", !nb_div_(P(), mu_f64()))
MU_E(nb_add_scaled_, "leaf requires grad", !nb_add_scaled_(P(), mu_f64(), 0.5))
MU_E(nb_add_scalar_, "leaf requires grad", !nb_add_scalar_(P(), 1.0))
MU_E(nb_mul_scalar_, "leaf requires grad", !nb_mul_scalar_(P(), 2.0))
MU_E(nb_clamp_, "leaf requires grad", !nb_clamp_(P(), 0, 1))
MU_GOOD(nb_set, "leaf under no_grad") {
    nb_tensor *p = P();
    nb_status st = NB_ERROR;
    NB_NO_GRAD { st = nb_set(p, (int64_t[]){ 0, 1 }, 2.0); }
    return st == NB_OK && nb_get(p, (int64_t[]){ 0, 1 }) == 2.0;
}
MU_GOOD(nb_copy_, "leaf under no_grad") {
    nb_tensor *r = NULL;
    NB_NO_GRAD { r = nb_copy_(P(), mu_f64()); }
    return r && nb_item(nb_sum(r)) == 6.0;
}
MU_G(nb_set, "a tensor without grad", nb_set(mu_f64(), (int64_t[]){ 1, 2 }, 5.0) == NB_OK)

/* ---- in-place writes into memory that overlaps itself (torch: "unsupported operation: more than one
 * element of the written-to tensor refers to a single memory location") ---- */
MU_E(nb_add_, "expanded destination", !nb_add_(EXP(), mu_f64()))
MU_E(nb_sub_, "expanded destination", !nb_sub_(EXP(), mu_f64()))
MU_E(nb_mul_, "expanded destination", !nb_mul_(EXP(), mu_f64()))
MU_E(nb_div_, "expanded destination", !nb_div_(EXP(), mu_f64()))
MU_E(nb_add_scaled_, "expanded destination", !nb_add_scaled_(EXP(), mu_f64(), 2.0))
MU_E(nb_add_scalar_, "expanded destination", !nb_add_scalar_(EXP(), 1.0))
MU_E(nb_mul_scalar_, "expanded destination", !nb_mul_scalar_(EXP(), 2.0))
MU_E(nb_clamp_, "expanded destination", !nb_clamp_(EXP(), 0, 1))
MU_E(nb_copy_, "expanded destination", !nb_copy_(EXP(), mu_f64()))
MU_E(nb_copy_, "expanded destination, scalar source", !nb_copy_(EXP(), nb_scalar(NB_F64, 2.0)))
MU_E(nb_init_uniform_, "expanded destination", !nb_init_uniform_(EXP(), 0, 1))
MU_E(nb_init_normal_, "expanded destination", !nb_init_normal_(EXP(), 0, 1))
MU_E(nb_init_xavier_uniform_, "expanded destination", !nb_init_xavier_uniform_(EXP(), 0))
MU_E(nb_init_kaiming_normal_, "expanded destination",
     !nb_init_kaiming_normal_(EXP(), 0, NB_FAN_IN, NB_NONLIN_RELU))
MU_GOOD(nb_fill_, "expanded destination (torch fills it)") { /* every element gets the same value */
    nb_tensor *x = nb_fill_(EXP(), 3.0);
    return x && nb_item(nb_sum(x)) == 18.0;
}
MU_G(nb_zero_, "expanded destination (torch zeroes it)", nb_zero_(EXP()) != NULL)
MU_G(nb_copy_, "expanded source", nb_copy_(mu_f64(), EXP()) != NULL)

/* ---- unknown enum values: an error, never a default ---- */
MU_E(nb_init_calculate_gain, "unknown nonlinearity", isnan(nb_init_calculate_gain((nb_nonlinearity)99, 0)))
MU_E(nb_init_calculate_gain, "negative nonlinearity", isnan(nb_init_calculate_gain((nb_nonlinearity)-1, 0)))
MU_G(nb_init_calculate_gain, "tanh", nb_init_calculate_gain(NB_NONLIN_TANH, 0) == 5.0 / 3.0)
MU_E(nb_init_kaiming_uniform_, "unknown nonlinearity",
     !nb_init_kaiming_uniform_(mu_f64(), 0, NB_FAN_IN, (nb_nonlinearity)42))
MU_E(nb_init_kaiming_normal_, "unknown fan mode",
     !nb_init_kaiming_normal_(mu_f64(), 0, (nb_fan_mode)7, NB_NONLIN_RELU))
MU_E(nb_init_kaiming_uniform_, "unknown fan mode",
     !nb_init_kaiming_uniform_(mu_f64(), 0, (nb_fan_mode)-3, NB_NONLIN_RELU))
MU_E(nb_mse_loss, "unknown reduction",
     !nb_mse_loss(mu_f64(), mu_f64(), (nb_loss_opts){ .reduction = (nb_reduction)9 }))
MU_E(nb_l1_loss, "unknown reduction",
     !nb_l1_loss(mu_f64(), mu_f64(), (nb_loss_opts){ .reduction = (nb_reduction)-1 }))
MU_E(nb_binary_cross_entropy_with_logits, "unknown reduction",
     !nb_binary_cross_entropy_with_logits(mu_f64(), mu_f64(),
                                          (nb_bce_logits_opts){ .reduction = (nb_reduction)5 }))
MU_E(nb_zeros, "unknown dtype", !nb_zeros((nb_dtype)7, NB_SHAPE(2)))
MU_E(nb_to, "unknown dtype", !nb_to(mu_f64(), (nb_dtype)7))
MU_E(nb_pad, "unknown padding mode",
     !nb_pad(mu_img(), NB_SHAPE(1, 1), (nb_pad_opts){ .mode = (nb_pad_mode)9 }))
MU_E(nb_interpolate, "unknown mode",
     !nb_interpolate(mu_img(), (nb_interpolate_opts){ .scale_factor = { 2, 2 }, .mode = (nb_interp_mode)9 }))
MU_E(nb_lbfgs, "unknown line search",
     !nb_lbfgs(PS(), 1, (nb_lbfgs_opts){ .line_search_fn = (nb_line_search)3 }))

/* ---- loss option tensors that do not broadcast to the input: NULL with the error, never a number ---- */
MU_E(nb_binary_cross_entropy, "weight (4) vs input (2, 3)",
     !nb_binary_cross_entropy(nb_full(NB_F64, NB_SHAPE(2, 3), 0.5), mu_f64(),
                              (nb_bce_opts){ .weight = nb_ones(NB_F64, NB_SHAPE(4)) }))
MU_E(nb_binary_cross_entropy, "weight (3, 3) vs input (2, 3)",
     !nb_binary_cross_entropy(nb_full(NB_F64, NB_SHAPE(2, 3), 0.5), mu_f64(),
                              (nb_bce_opts){ .weight = nb_ones(NB_F64, NB_SHAPE(3, 3)) }))
MU_E(nb_binary_cross_entropy_with_logits, "weight (2) vs input (2, 3)",
     !nb_binary_cross_entropy_with_logits(mu_f64(), mu_f64(),
                                          (nb_bce_logits_opts){ .weight = nb_ones(NB_F64, NB_SHAPE(2)) }))
MU_E(nb_binary_cross_entropy_with_logits, "pos_weight (4) vs input (2, 3)",
     !nb_binary_cross_entropy_with_logits(mu_f64(), mu_f64(),
                                          (nb_bce_logits_opts){ .pos_weight = nb_ones(NB_F64, NB_SHAPE(4)) }))
MU_E(nb_binary_cross_entropy_with_logits, "pos_weight (2, 3, 1) vs input (2, 3)",
     !nb_binary_cross_entropy_with_logits(
         mu_f64(), mu_f64(), (nb_bce_logits_opts){ .pos_weight = nb_ones(NB_F64, NB_SHAPE(2, 3, 1)) }))
MU_E(nb_binary_cross_entropy_with_logits, "int64 pos_weight",
     !nb_binary_cross_entropy_with_logits(mu_f64(), mu_f64(), (nb_bce_logits_opts){ .pos_weight = mu_i64() }))
MU_GOOD(nb_binary_cross_entropy_with_logits, "pos_weight (3) broadcasts") {
    nb_tensor *pw = nb_ones(NB_F64, NB_SHAPE(3)); /* NULL would mean "no pos_weight" */
    nb_tensor *l = pw ? nb_binary_cross_entropy_with_logits(mu_f64(), mu_f64(),
                                                            (nb_bce_logits_opts){ .pos_weight = pw })
                      : NULL;
    return l && l->ndim == 0 && !isnan(nb_item(l));
}

/* ---- class 6: a tape, a scope and a recorded tensor belong to their thread ---- */
typedef struct {
    nb_tensor *t;
    int what;
    bool failed;
    char msg[512];
} foreign;
static void *foreign_call(void *arg) {
    foreign *f = arg;
    nb_tensor *g = NULL;
    switch (f->what) {
    case 0: f->failed = nb_backward(f->t) == NB_ERROR; break;
    case 1:
        f->failed = nb_grad(1, &f->t, 1, &f->t, NULL, &g, (nb_grad_opts){ .allow_unused = true }) == NB_ERROR;
        break;
    case 2: f->failed = !nb_exp(f->t); break;
    case 3: nb_free(f->t), f->failed = true; break;
    case 4: nb_release(f->t), f->failed = true; break;
    case 5: f->failed = !nb_keep(f->t); break;
    case 6:
        NB_NO_GRAD {
            nb_tensor *y = nb_exp(f->t);
            f->failed = !y;
            nb_free(y);
        }
        break;
    default: break;
    }
    snprintf(f->msg, sizeof f->msg, "%s", nb_error() ? nb_error() : "");
    nb_clear_error();
    return NULL;
}
/* run call `what` on t from a new thread; its error becomes this thread's (the harness checks it) */
static bool on_other_thread(nb_tensor *t, int what) {
    foreign f = { .t = t, .what = what };
    pthread_t th;
    if (pthread_create(&th, NULL, foreign_call, &f) != 0) return false;
    pthread_join(th, NULL);
    if (f.msg[0]) nbt_error("%s", f.msg); /* errors are per thread: hand it to the harness */
    return f.failed && f.msg[0] && nb_is_valid(t);
}
static nb_tensor *recorded(void) { return nb_sum(nb_exp(P())); }
MU_ERR(nb_backward, "from another thread") { return on_other_thread(recorded(), 0); }
MU_ERR(nb_grad, "from another thread") { return on_other_thread(recorded(), 1); }
MU_ERR(nb_exp, "recording onto another thread's tape") { return on_other_thread(recorded(), 2); }
MU_ERR(nb_free, "a tensor on another thread's tape") { return on_other_thread(recorded(), 3); }
MU_ERR(nb_release, "a tensor in another thread's scope") { return on_other_thread(mu_f32(), 4); }
MU_ERR(nb_keep, "a tensor in another thread's scope") { return on_other_thread(mu_f32(), 5); }
MU_GOOD(nb_exp, "reading another thread's recorded tensor under no_grad") {
    foreign f = { .t = recorded(), .what = 6 };
    pthread_t th;
    if (pthread_create(&th, NULL, foreign_call, &f) != 0) return false;
    pthread_join(th, NULL);
    return !f.failed && !f.msg[0];
}

/* ---- class 8: gradients through relu carry history (torch: the HVP is zeros, not an error) ---- */
MU_GOOD(nb_grad, "Hessian-vector product through relu, no allow_unused") {
    nb_tensor *w = P(), *g = NULL, *h = NULL;
    nb_tensor *loss = nb_sum(nb_relu(nb_matmul(mu_f64(), nb_t(w)))); /* piecewise linear in w */
    if (nb_grad(1, &loss, 1, &w, NULL, &g, (nb_grad_opts){ .create_graph = true }) != NB_OK) return false;
    nb_tensor *s = nb_sum(nb_mul(g, mu_f64()));
    if (nb_grad(1, &s, 1, &w, NULL, &h, (nb_grad_opts){ 0 }) != NB_OK) return false;
    return h && nb_item(nb_sum(nb_abs(h))) == 0.0;
}
MU_GOOD(nb_grad, "Hessian-vector product through max_pool2d, no allow_unused") {
    nb_tensor *x = nb_requires_grad_(nb_randn(NB_F64, NB_SHAPE(1, 1, 4, 4)), true), *g = NULL, *h = NULL;
    nb_tensor *loss = nb_sum(nb_max_pool2d(x, (nb_max_pool2d_opts){ .kernel_size = { 2, 2 } }));
    if (nb_grad(1, &loss, 1, &x, NULL, &g, (nb_grad_opts){ .create_graph = true }) != NB_OK) return false;
    nb_tensor *s = nb_sum(g);
    bool ok = nb_grad(1, &s, 1, &x, NULL, &h, (nb_grad_opts){ 0 }) == NB_OK && h &&
              nb_item(nb_sum(nb_abs(h))) == 0;
    nb_free(x);
    return ok;
}
