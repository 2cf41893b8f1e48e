/* test_misuse_backward.c — issue 15 class 7: errors found while a backward runs name the public entry
 * (nb_backward, nb_backward_ex, nb_grad, nb_grad1) with torch's wording after it; and allocation
 * failures injected mid-call (nbt_fail_alloc_after) in backward, optimizer state and composites name
 * the function and the shape, with no crash, no leak and nothing left half-made. Harness: misuse.h. */
#include "misuse.h"

long nbt_fail_alloc_after(long n); /* internal (tensor/memory.c): the n-th data allocation from now fails */

static bool has(const char *s) { return mu_msg_has(1, &s); }
/* l = sum(x * x) over a (2) leaf x, then x changed in place: l's MulBackward0 saw version 0 */
static nb_tensor *stale_graph(nb_tensor **x) {
    *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(2)), true);
    nb_tensor *l = nb_sum(nb_mul(*x, *x));
    NB_NO_GRAD { nb_add_scalar_(*x, 1); }
    return l;
}
#define INPLACE_MSG                                                                                          \
    ": one of the variables needed for gradient computation has been modified by an inplace operation: "     \
    "input 0 of MulBackward0, shape (2), is at version 1; expected version 0 instead"

MU_ERR(nb_backward, "saved input modified in place") {
    nb_tensor *x, *l = stale_graph(&x);
    return nb_backward(l) == NB_ERROR && has("nb_backward" INPLACE_MSG);
}
MU_ERR(nb_backward_ex, "saved input modified in place") {
    nb_tensor *x, *l = stale_graph(&x);
    return nb_backward_ex(l, (nb_backward_opts){ 0 }) == NB_ERROR && has("nb_backward_ex" INPLACE_MSG);
}
MU_ERR(nb_grad, "saved input modified in place") {
    nb_tensor *x, *l = stale_graph(&x), *g = NULL;
    return nb_grad(1, &l, 1, &x, NULL, &g, (nb_grad_opts){ 0 }) == NB_ERROR && !g &&
           has("nb_grad" INPLACE_MSG);
}
MU_ERR(nb_grad1, "saved input modified in place") {
    nb_tensor *x, *l = stale_graph(&x);
    return !nb_grad1(l, x, false) && has("nb_grad1" INPLACE_MSG);
}
MU_ERR(nb_backward_ex, "a second time without retain_graph") {
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(2)), true);
    nb_tensor *l = nb_sum(nb_mul(x, x));
    return nb_backward_ex(l, (nb_backward_opts){ 0 }) == NB_OK &&
           nb_backward_ex(l, (nb_backward_opts){ 0 }) == NB_ERROR &&
           has("nb_backward_ex: trying to backward through the graph a second time");
}
MU_ERR(nb_grad, "an input released before backward") {
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(2)), true), *g = NULL;
    nb_tensor *u = nb_mul_scalar(x, 2), *l = nb_sum(nb_mul(u, u));
    nb_free(u);
    return nb_grad(1, &l, 1, &x, NULL, &g, (nb_grad_opts){ 0 }) == NB_ERROR &&
           has("nb_grad: input 0 of MulBackward0 was released before backward");
}
MU_ERR(nb_backward, "the index of index_select released before backward") {
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(3)), true);
    nb_tensor *i = nb_tensor_from(NB_I64, (int64_t[]){ 0, 2 }, NB_SHAPE(2), false);
    nb_tensor *l = nb_sum(nb_index_select(x, 0, i));
    nb_free(i);
    return nb_backward(l) == NB_ERROR && has("nb_backward: the index");
}

/* ---- allocation failures injected mid-call ---- */
MU_ERR(nb_backward, "out of memory for a gradient") {
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(2, 3)), true);
    nb_tensor *l = nb_sum(nb_mul(x, x));
    nbt_fail_alloc_after(1);
    return nb_backward(l) == NB_ERROR && !x->grad && has("nb_backward: out of memory allocating a (") &&
           has("float64 tensor (");
}
MU_ERR(nb_grad, "out of memory for a gradient") {
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F32, NB_SHAPE(4)), true), *g = NULL;
    nb_tensor *l = nb_sum(nb_exp(x));
    nbt_fail_alloc_after(1);
    return nb_grad(1, &l, 1, &x, NULL, &g, (nb_grad_opts){ 0 }) == NB_ERROR && !g &&
           has("nb_grad: out of memory allocating a (") && has("float32 tensor (");
}
MU_ERR(nb_optim_step, "out of memory for Adam's state") {
    nb_tensor *p = mu_leaf();
    nb_optimizer *o = mu_own_optim(nb_adam((nb_tensor *[]){ p }, 1, (nb_adam_opts){ 0 }));
    if (!o || nb_backward(nb_sum(nb_mul(p, p))) != NB_OK) return false;
    nbt_fail_alloc_after(2); /* the first is the step count, the second exp_avg */
    return nb_optim_step(o) == NB_ERROR &&
           has("nb_optim_step: out of memory allocating a (2, 3) float64 tensor (48 bytes)");
}
MU_GOOD(nb_optim_step, "Adam steps after a failed state allocation") {
    nb_tensor *p = mu_leaf();
    nb_optimizer *o = mu_own_optim(nb_adam((nb_tensor *[]){ p }, 1, (nb_adam_opts){ .lr = 0.1 }));
    if (!o || nb_backward(nb_sum(nb_mul(p, p))) != NB_OK) return false;
    nbt_fail_alloc_after(2);
    if (nb_optim_step(o) != NB_ERROR) return false;
    nb_clear_error(); /* the retried step is Adam's first: p = 1 - 0.1 * 2 / (2 + 1e-8) */
    return nb_optim_step(o) == NB_OK && fabs(nb_get(p, (int64_t[]){ 0, 0 }) - (1 - 0.2 / (2 + 1e-8))) < 1e-15;
}
MU_ERR(nb_optim_step, "out of memory for SGD's momentum buffer") {
    nb_tensor *p = mu_leaf();
    nb_optimizer *o = mu_own_optim(
        nb_sgd((nb_tensor *[]){ p }, 1, (nb_sgd_opts){ .lr = 0.1, .momentum = 0.9 }));
    if (!o || nb_backward(nb_sum(nb_mul(p, p))) != NB_OK) return false;
    nbt_fail_alloc_after(1);
    return nb_optim_step(o) == NB_ERROR && has("nb_optim_step: out of memory allocating a (2, 3) float64");
}
MU_ERR(nb_layer_norm, "out of memory for its output") {
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(2, 4));
    nbt_fail_alloc_after(1);
    return !nb_layer_norm(x, 1, (int64_t[]){ 4 }, NULL, NULL, 1e-5) &&
           has("nb_layer_norm: out of memory allocating a (2, 4) float32 tensor");
}
MU_ERR(nb_backward, "out of memory inside layer_norm's backward") {
    nb_tensor *x = nb_requires_grad_(nb_randn(NB_F32, NB_SHAPE(2, 4)), true);
    nb_tensor *w = nb_requires_grad_(nb_ones(NB_F32, NB_SHAPE(4)), true);
    nb_tensor *l = nb_sum(nb_layer_norm(x, 1, (int64_t[]){ 4 }, w, NULL, 1e-5));
    nbt_fail_alloc_after(2); /* the gradient of the sum, then dx */
    return l && nb_backward(l) == NB_ERROR && !x->grad && has("nb_backward: out of memory allocating a (");
}
MU_ERR(nb_module_forward, "out of memory inside Linear") {
    nb_module *m = mu_own_module(nb_linear_new(3, 2, true));
    nb_tensor *x = nb_ones(NB_F32, NB_SHAPE(4, 3));
    nbt_fail_alloc_after(1);
    return m && !nb_module_forward(m, x) &&
           has("nb_module_forward: out of memory allocating a (4, 2) float32");
}
MU_ERR(nb_linear_new, "out of memory for the weight") {
    nbt_fail_alloc_after(1);
    return !nb_linear_new(30, 20, true) && has("nb_linear_new: out of memory allocating a (20, 30) float32");
}
MU_ERR(nb_conv2d, "out of memory for the im2col buffer or the output") {
    nb_tensor *x = mu_img(), *w = nb_randn(NB_F32, NB_SHAPE(3, 2, 3, 3));
    nbt_fail_alloc_after(1);
    return !nb_conv2d(x, w, NULL, (nb_conv_opts){ 0 }) && has("nb_conv2d: out of memory allocating");
}
/* the Winograd path (f32 3x3 stride 1, 8 channels): the transformed kernel (U), then its packing or the
 * threads' scratch */
MU_ERR(nb_conv2d, "Winograd: out of memory for U, its packing or the scratch") {
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(2, 8, 6, 6)), *w = nb_randn(NB_F32, NB_SHAPE(8, 8, 3, 3));
    bool ok = true;
    for (long k = 2; k <= 3; k++) {
        nb_clear_error();
        nbt_fail_alloc_after(k);
        ok &= !nb_conv2d(x, w, NULL, (nb_conv_opts){ 0 }) && has("nb_conv2d: out of memory allocating");
    }
    nbt_fail_alloc_after(0);
    return ok;
}
/* every allocation of the backward of a Winograd conv (the transposed conv for dx, the weight gradient's dw, db,
 * chunk sums and scratch) failing in turn: an error naming nb_backward, or success once past them all */
MU_ERR(nb_backward, "out of memory inside a Winograd conv's backward") {
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(2, 8, 6, 6)), *w = nb_randn(NB_F32, NB_SHAPE(8, 8, 3, 3));
    nb_tensor *b = nb_randn(NB_F32, NB_SHAPE(8));
    nb_requires_grad_(x, true), nb_requires_grad_(w, true), nb_requires_grad_(b, true);
    int errors = 0;
    bool ok = true;
    for (long k = 1; k <= 16; k++) {
        nb_tensor *l = nb_sum(nb_conv2d(x, w, b, (nb_conv_opts){ 0 }));
        nb_clear_error();
        nbt_fail_alloc_after(k);
        nb_status rc = l ? nb_backward(l) : NB_OK;
        nbt_fail_alloc_after(0);
        if (rc != NB_OK) errors++, ok &= has("nb_backward: out of memory allocating");
        nb_zero_grad(x), nb_zero_grad(w), nb_zero_grad(b);
    }
    nb_tensor *l = nb_sum(nb_conv2d(x, w, b, (nb_conv_opts){ 0 }));
    ok &= l && nb_backward(l) == NB_OK && x->grad && w->grad && b->grad; /* then whole again */
    l = nb_sum(nb_conv2d(x, w, b, (nb_conv_opts){ 0 }));
    nb_clear_error();
    nbt_fail_alloc_after(1);
    ok &= l && nb_backward(l) != NB_OK; /* the message the harness checks */
    nbt_fail_alloc_after(0);
    return ok && errors >= 6;
}
MU_ERR(nb_sum_dim, "out of memory for the result") {
    nb_tensor *x = nb_ones(NB_F64, NB_SHAPE(3, 5));
    nbt_fail_alloc_after(1);
    return !nb_sum_dim(x, 1, (int[]){ 1 }, false) &&
           has("nb_sum_dim: out of memory allocating a (3) float64");
}

/* ---- whole training steps: good calls here, and the fault sweep (test_misuse --faults) fails each of
 * their tensor allocations in turn ---- */
/* one Adam step of Linear-ReLU-Linear under cross entropy */
static bool train_step(nb_module *m, nb_tensor *x, nb_tensor *y) {
    int np = 0;
    nb_tensor **ps = m ? nb_module_parameters(m, &np) : NULL;
    nb_optimizer *o = ps ? mu_own_optim(nb_adam(ps, np, (nb_adam_opts){ .lr = 1e-2 })) : NULL;
    if (!o) return false;
    nb_tensor *loss = nb_cross_entropy(nb_module_forward(m, x), y, (nb_cross_entropy_opts){ 0 });
    return loss && nb_backward(loss) == NB_OK && nb_optim_step(o) == NB_OK;
}
MU_GOOD(nb_optim_step, "an MLP training step") {
    nb_module *m = mu_own_module(
        nb_sequential_new(3, nb_linear_new(6, 5, true), nb_relu_new(), nb_linear_new(5, 3, true)));
    nb_tensor *y = nb_tensor_from(NB_I64, (int64_t[]){ 0, 2, 1, 1 }, NB_SHAPE(4), false);
    return train_step(m, nb_randn(NB_F32, NB_SHAPE(4, 6)), y);
}
MU_GOOD(nb_module_forward, "a conv, batch norm, max pool training step") {
    nb_module *m = mu_own_module(nb_sequential_new(
        5, nb_conv2d_new(2, 3, 3, 3, true, (nb_conv_opts){ .padding = { 1, 1 } }),
        nb_batch_norm2d_new(3, (nb_batch_norm_layer_opts){ 0 }), nb_relu_new(),
        nb_max_pool2d_new((nb_max_pool2d_opts){ .kernel_size = { 4, 4 } }, false), nb_flatten_new(1, -1)));
    nb_tensor *y = nb_tensor_from(NB_I64, (int64_t[]){ 0, 2 }, NB_SHAPE(2), false);
    return train_step(m, nb_randn(NB_F32, NB_SHAPE(2, 2, 4, 4)), y);
}
MU_GOOD(nb_rnn_forward, "an LSTM forward and backward") {
    nb_module *m = mu_own_module(nb_lstm_new(3, 4, (nb_rnn_opts){ .num_layers = 2 }));
    nb_tensor *out = NULL, *hn = NULL, *cn = NULL;
    if (!m || nb_rnn_forward(m, nb_randn(NB_F32, NB_SHAPE(5, 2, 3)), NULL, NULL, &out, &hn, &cn) != NB_OK)
        return false;
    return nb_backward(nb_add(nb_sum(out), nb_sum(cn))) == NB_OK;
}
