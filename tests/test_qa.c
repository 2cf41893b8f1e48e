/* test_qa.c — regressions found by the pre-release QA pass, each checked against torch 1.13:
 * edge cases of creation ops and the grad_fn names users see when printing a tensor (torch's
 * Python-level names, e.g. `x * 2` is MulBackward0). */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* torch.linspace(2, 5, 1) == tensor([2.]) (the start, not the end) */
static void test_linspace_one_step(void) {
    nb_scope s = nb_scope_begin();
    CHECK_TENSOR(nb_linspace(NB_F32, 2, 5, 1), ((double[]){ 2 }), 1, 0);
    CHECK_TENSOR(nb_linspace(NB_F64, -1, 1, 2), ((double[]){ -1, 1 }), 2, 0);
    CHECK_TENSOR(nb_linspace(NB_F64, 0, 1, 3), ((double[]){ 0, 0.5, 1 }), 3, 0);
    nb_scope_end(s);
}

/* x = torch.tensor([1., 2], requires_grad=True): (x + 2), (x * 2), (x / 2), (2 ** x) print these */
static void test_scalar_grad_fn_names(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_tensor_from(NB_F32, (float[]){ 1, 2 }, NB_SHAPE(2), true);
    CHECK(strcmp(nb_grad_fn_name(nb_add_scalar(x, 2)), "AddBackward0") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_mul_scalar(x, 2)), "MulBackward0") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_div_scalar(x, 2)), "DivBackward0") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_rpow_scalar(x, 2)), "PowBackward1") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_pow_scalar(x, 2)), "PowBackward0") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_rsub_scalar(x, 2)), "RsubBackward1") == 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    nb_fprint(f, nb_mul_scalar(x, 2));
    fclose(f);
    CHECK(strcmp(buf, "tensor([2., 4.], grad_fn=<MulBackward0>)") == 0);
    free(buf);
    nb_scope_end(s);
}

/* torch.ones(0).max() and torch.ones(0, 3).argmax(0) raise; nabla's errors name the public function */
static void test_empty_max_error_names(void) {
    nb_scope s = nb_scope_begin();
    nb_clear_error();
    CHECK(nb_max(nb_ones(NB_F32, NB_SHAPE(0))) == NULL);
    CHECK(nb_error() && strncmp(nb_error(), "nb_max", 6) == 0);
    nb_clear_error();
    CHECK(nb_argmax(nb_ones(NB_F32, NB_SHAPE(0, 3)), 0, false) == NULL);
    CHECK(nb_error() && strstr(nb_error(), "nb_argmax") != NULL);
    nb_clear_error();
    CHECK(nb_numel(nb_argmax(nb_ones(NB_F32, NB_SHAPE(0, 3)), 1, false)) == 0); /* torch: tensor([]) */
    CHECK(nb_error() == NULL);
    nb_scope_end(s);
}

/* composites carry torch's grad_fn names: print(x.mean()), print(F.mse_loss(x, t)), ... */
static void test_composite_grad_fn_names(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_tensor_from(NB_F32, (float[]){ 1, 2, 3, 4 }, NB_SHAPE(2, 2), true);
    nb_tensor *v = nb_tensor_from(NB_F32, (float[]){ 1, 2 }, NB_SHAPE(2), true);
    nb_tensor *t = nb_zeros(NB_F32, NB_SHAPE(2, 2));
    nb_tensor *y = nb_tensor_from(NB_I64, (int64_t[]){ 0, 1 }, NB_SHAPE(2), false);
    struct {
        nb_tensor *t;
        const char *name;
    } c[] = {
        { nb_mean(x), "MeanBackward0" },
        { nb_mean_dim(x, NB_DIMS(1), false), "MeanBackward1" },
        { nb_var(x), "VarBackward0" },
        { nb_std(x), "StdBackward0" },
        { nb_sub_scalar(x, 1), "SubBackward0" },
        { nb_logsumexp(x, NB_DIMS(1), false), "LogsumexpBackward0" },
        { nb_max(x), "MaxBackward1" },
        { nb_min(x), "MinBackward1" },
        { nb_t(x), "TBackward0" },
        { nb_transpose(x, 0, 1), "TransposeBackward0" },
        { nb_unsqueeze(x, 0), "UnsqueezeBackward0" },
        { nb_squeeze(nb_unsqueeze(x, 0), 0), "SqueezeBackward1" },
        { nb_matmul(v, v), "DotBackward0" },
        { nb_matmul(x, v), "MvBackward0" },
        { nb_bmm(nb_unsqueeze(x, 0), nb_unsqueeze(x, 0)), "BmmBackward0" },
        { nb_cross_entropy(x, y, (nb_cross_entropy_opts){ 0 }), "NllLossBackward0" },
        { nb_nll_loss(x, y, (nb_nll_loss_opts){ 0 }), "NllLossBackward0" },
        { nb_mse_loss(x, t, (nb_loss_opts){ 0 }), "MseLossBackward0" },
        { nb_l1_loss(x, t, (nb_loss_opts){ 0 }), "MeanBackward0" },
        { nb_smooth_l1_loss(x, t, (nb_smooth_l1_opts){ 0 }), "SmoothL1LossBackward0" },
        { nb_huber_loss(x, t, (nb_huber_opts){ 0 }), "HuberLossBackward0" },
        { nb_binary_cross_entropy(nb_sigmoid(x), t, (nb_bce_opts){ 0 }), "BinaryCrossEntropyBackward0" },
        { nb_binary_cross_entropy_with_logits(x, t, (nb_bce_logits_opts){ 0 }),
          "BinaryCrossEntropyWithLogitsBackward0" },
        { nb_multi_margin_loss(x, y, (nb_multi_margin_opts){ 0 }), "MultiMarginLossBackward0" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        const char *got = nb_grad_fn_name(c[i].t);
        if (!CHECK(got && strcmp(got, c[i].name) == 0))
            fprintf(stderr, "  case %zu: got %s, want %s\n", i, got ? got : "NULL", c[i].name);
    }
    CHECK(nb_grad_fn_name(x) == NULL);     /* a leaf keeps no name */
    nb_tensor *x2 = nb_transpose(x, 0, 0); /* identity permutation: x's own history is untouched */
    CHECK(x2 == x || nb_grad_fn_name(x) == NULL);
    /* the backward pass is unchanged by the names; its trace shows them */
    char *tr = NULL;
    size_t trlen = 0;
    FILE *m = open_memstream(&tr, &trlen);
    nb_set_backward_trace(m);
    CHECK(nb_backward(nb_mean(x)) == NB_OK);
    nb_set_backward_trace(NULL);
    fclose(m);
    CHECK(tr && strstr(tr, " MeanBackward0: grad_output 1\n") != NULL);
    free(tr);
    CHECK_TENSOR(x->grad, ((double[]){ 0.25, 0.25, 0.25, 0.25 }), 4, 1e-7);
    nb_zero_grad(x);
    nb_zero_grad(v);
    nb_scope_end(s);
}

/* F.cross_entropy with every target ignored: loss nan, gradient 0 (torch 1.13), with and without smoothing */
static void test_cross_entropy_all_ignored(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ 0.1, -1.2, 2.0, 0.5, 1.0, 0.3 }, NB_SHAPE(2, 3), true);
    nb_tensor *y = nb_tensor_from(NB_I64, (int64_t[]){ -100, -100 }, NB_SHAPE(2), false);
    nb_tensor *w = nb_tensor_from(NB_F64, (double[]){ 0.2, 1.0, 3.0 }, NB_SHAPE(3), false);
    nb_cross_entropy_opts opts[3] = { { 0 }, { .label_smoothing = 0.2, .weight = w }, { .weight = w } };
    for (int i = 0; i < 3; i++) {
        nb_tensor *l = nb_cross_entropy(x, y, opts[i]);
        CHECK(l && isnan(nb_item(l)));
        CHECK(nb_backward(l) == NB_OK);
        CHECK_TENSOR(x->grad, ((double[]){ 0, 0, 0, 0, 0, 0 }), 6, 0);
        nb_zero_grad(x);
    }
    nb_tensor *l = nb_nll_loss(nb_log_softmax(x, 1), y, (nb_nll_loss_opts){ 0 });
    CHECK(l && isnan(nb_item(l)) && nb_backward(l) == NB_OK);
    CHECK_TENSOR(x->grad, ((double[]){ 0, 0, 0, 0, 0, 0 }), 6, 0);
    nb_zero_grad(x);
    nb_scope_end(s);
}

/* torch.cat([torch.tensor([]), a]) skips the legacy 1-D empty tensor: `out = cat(out, x)` loops work */
static void test_cat_legacy_empty(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *a = nb_tensor_from(NB_F32, (float[]){ 0, 1, 2, 3, 4, 5 }, NB_SHAPE(2, 3), true);
    nb_tensor *e = nb_zeros(NB_F32, NB_SHAPE(0));
    nb_tensor *y = nb_cat(NB_LIST(e, a, e, a), 0);
    CHECK(y && y->ndim == 2 && y->shape[0] == 4 && y->shape[1] == 3);
    CHECK_TENSOR(y, ((double[]){ 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5 }), 12, 0);
    CHECK(nb_backward(nb_sum(y)) == NB_OK);
    CHECK_TENSOR(a->grad, ((double[]){ 2, 2, 2, 2, 2, 2 }), 6, 0);
    CHECK(nb_numel(nb_cat(NB_LIST(e, e), 0)) == 0);                     /* all empty: (0) */
    CHECK_ERR(nb_cat(NB_LIST(a, nb_zeros(NB_F32, NB_SHAPE(0, 2))), 0)); /* 2-D empty still checked */
    nb_zero_grad(a);
    nb_scope_end(s);
}

int main(void) {
    test_cat_legacy_empty();
    test_cross_entropy_all_ignored();
    test_composite_grad_fn_names();
    test_empty_max_error_names();
    test_linspace_one_step();
    test_scalar_grad_fn_names();
    return nb_test_done();
}
