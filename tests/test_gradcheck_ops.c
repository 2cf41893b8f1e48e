/* test_gradcheck_ops.c — finite-difference gradcheck (f64) of every recorded op, driven from the op
 * table (autograd/ops.def): the registry of checks is generated from it, so each op must have a check
 * K(name), which also runs gradgradcheck when nba_op_order[op] == 2; a new op without one fails to
 * build. Composite public ops (mean, var, std, logsumexp, 1-D matmul, stack, ...) are checked too. */
#include "testlib.h"
#include "nba_tape.h"
#include <stdlib.h>
#include <string.h>

/* ---- inputs ---- */
/* scalar / int arguments and an optional non-differentiable tensor (index, mask) for fn */
typedef struct {
    double s[4];
    int i[8];
    int ni;
    nb_tensor *aux;
} prm;

static double uni(double lo, double hi) { return lo + (hi - lo) * nb_rand_double(); }

/* f64 leaf requiring grad, values uniform in [lo, hi] but at least gap away from kink */
static nb_tensor *away(double lo, double hi, double kink, double gap, int nd, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t k = 0; k < n; k++) {
        do v[k] = uni(lo, hi);
        while (fabs(v[k] - kink) < gap);
    }
    nb_tensor *t = nb_tensor_from(NB_F64, v, nd, shape, true);
    free(v);
    return t;
}
#define R(lo, hi, ...) away((lo), (hi), 0, -1, NB_SHAPE(__VA_ARGS__))
#define AWAY(lo, hi, kink, gap, ...) away((lo), (hi), (kink), (gap), NB_SHAPE(__VA_ARGS__))
/* values k * 0.3 + noise for a random permutation: all distinct by >= 0.2 (no ties for max/min) */
static nb_tensor *distinct(int nd, const int64_t *shape, double shift) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    nb_tensor *p = nb_randperm(n);
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    const int64_t *q = nb_data_i64(p);
    for (int64_t k = 0; k < n; k++) v[k] = (double)q[k] * 0.3 + uni(-0.05, 0.05) + shift;
    nb_tensor *t = nb_tensor_from(NB_F64, v, nd, shape, true);
    free(v);
    return t;
}
#define DISTINCT(shift, ...) distinct(NB_SHAPE(__VA_ARGS__), (shift))
static nb_tensor *idx(int nd, const int64_t *shape, const int64_t *vals) {
    return nb_tensor_from(NB_I64, vals, nd, shape, false);
}

/* ---- running a check ---- */
static const char *cur_op = "?";
static int nchecks, ngg;
/* gradcheck fn at inputs (and gradgradcheck when order == 2); prints a FAIL line naming the check */
static bool gc_opts(const char *label, nb_fn fn, void *ctx, int order, nb_gradcheck_opts o, int n,
                    nb_tensor *const *in) {
    nb_clear_error();
    bool ok = true;
    for (int i = 0; i < n; i++)
        if (!in[i]) ok = false;
    if (!ok) {
        fprintf(stderr, "FAIL %s / %s: could not build inputs: %s\n", cur_op, label,
                nb_error() ? nb_error() : "?");
        return false;
    }
    nchecks++;
    if (!nb_gradcheck(fn, ctx, n, in, o)) {
        fprintf(stderr, "FAIL %s / %s: gradcheck%s%s\n", cur_op, label, nb_error() ? ": " : "",
                nb_error() ? nb_error() : "");
        ok = false;
    }
    if (ok && order == 2) {
        ngg++;
        if (!nb_gradgradcheck(fn, ctx, n, in, o)) {
            fprintf(stderr, "FAIL %s / %s: gradgradcheck%s%s\n", cur_op, label, nb_error() ? ": " : "",
                    nb_error() ? nb_error() : "");
            ok = false;
        }
    }
    if (ok && nb_error()) {
        fprintf(stderr, "FAIL %s / %s: error left behind: %s\n", cur_op, label, nb_error());
        ok = false;
    }
    nb_clear_error();
    return ok;
}
#define GC(label, fn, ctx, order, ...)                                                                       \
    gc_opts(label, fn, ctx, order, (nb_gradcheck_opts){ 0 }, NB_LIST(__VA_ARGS__))

#define FN(name, expr)                                                                                       \
    static nb_tensor *f_##name(nb_tensor *const *x, int n, void *ctx) {                                      \
        const prm *p = ctx;                                                                                  \
        (void)x;                                                                                             \
        (void)n;                                                                                             \
        (void)p;                                                                                             \
        return (expr);                                                                                       \
    }

/* ---- functions under test ---- */
FN(add, nb_add(x[0], x[1]))
FN(sub, nb_sub(x[0], x[1]))
FN(mul, nb_mul(x[0], x[1]))
FN(div, nb_div(x[0], x[1]))
FN(pow, nb_pow(x[0], x[1]))
FN(minimum, nb_minimum(x[0], x[1]))
FN(maximum, nb_maximum(x[0], x[1]))
FN(where, nb_where(p->aux, x[0], x[1]))
FN(add_scalar, nb_add_scalar(x[0], p->s[0]))
FN(sub_scalar, nb_sub_scalar(x[0], p->s[0]))
FN(rsub_scalar, nb_rsub_scalar(x[0], p->s[0]))
FN(mul_scalar, nb_mul_scalar(x[0], p->s[0]))
FN(div_scalar, nb_div_scalar(x[0], p->s[0]))
FN(rdiv_scalar, nb_rdiv_scalar(x[0], p->s[0]))
FN(pow_scalar, nb_pow_scalar(x[0], p->s[0]))
FN(rpow_scalar, nb_rpow_scalar(x[0], p->s[0]))
FN(neg, nb_neg(x[0]))
FN(exp, nb_exp(x[0]))
FN(log, nb_log(x[0]))
FN(log1p, nb_log1p(x[0]))
FN(sqrt, nb_sqrt(x[0]))
FN(rsqrt, nb_rsqrt(x[0]))
FN(square, nb_square(x[0]))
FN(abs, nb_abs(x[0]))
FN(sin, nb_sin(x[0]))
FN(cos, nb_cos(x[0]))
FN(tan, nb_tan(x[0]))
FN(sinh, nb_sinh(x[0]))
FN(cosh, nb_cosh(x[0]))
FN(tanh, nb_tanh(x[0]))
FN(sigmoid, nb_sigmoid(x[0]))
FN(relu, nb_relu(x[0]))
FN(leaky_relu, nb_leaky_relu(x[0], p->s[0]))
FN(gelu, nb_gelu(x[0]))
FN(gelu_tanh, nb_gelu_tanh(x[0]))
FN(softplus, nb_softplus(x[0], p->s[0], p->s[1]))
FN(clamp, nb_clamp(x[0], p->s[0], p->s[1]))
FN(erf, nb_erf(x[0]))
FN(sign, nb_sign(x[0]))
FN(sum, nb_sum(x[0]))
FN(sum_dim, nb_sum_dim(x[0], p->ni, p->i, p->s[0] != 0))
FN(sum_to_size, nb_sum_to_size(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2] }))
FN(prod, nb_prod(x[0]))
FN(prod_dim, nb_prod_dim(x[0], p->i[0], p->s[0] != 0))
FN(amax, nb_amax(x[0], p->ni, p->i, p->s[0] != 0))
FN(amin, nb_amin(x[0], p->ni, p->i, p->s[0] != 0))
FN(max, nb_max(x[0]))
FN(min, nb_min(x[0]))
FN(max_dim, nb_max_dim(x[0], p->i[0], p->s[0] != 0, NULL))
FN(min_dim, nb_min_dim(x[0], p->i[0], p->s[0] != 0, NULL))
FN(norm, nb_norm(x[0], p->s[0]))
FN(norm_dim, nb_norm_dim(x[0], p->s[0], p->ni, p->i, p->s[1] != 0))
FN(matmul, nb_matmul(x[0], x[1]))
FN(mm, nb_mm(x[0], x[1]))
FN(bmm, nb_bmm(x[0], x[1]))
FN(dot, nb_dot(x[0], x[1]))
FN(outer, nb_outer(x[0], x[1]))
FN(linear, nb_linear(x[0], x[1], n > 2 ? x[2] : NULL))
FN(reshape, nb_reshape(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2], p->i[3] }))
FN(view, nb_view(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2], p->i[3] }))
FN(expand, nb_expand(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2], p->i[3] }))
FN(permute, nb_permute(x[0], p->ni, p->i))
FN(transpose, nb_transpose(x[0], p->i[0], p->i[1]))
FN(t, nb_t(x[0]))
FN(slice, nb_slice(x[0], p->i[0], p->i[1], p->i[2], p->i[3]))
FN(narrow, nb_narrow(x[0], p->i[0], p->i[1], p->i[2]))
FN(select, nb_select(x[0], p->i[0], p->i[1]))
FN(flatten, nb_flatten(x[0], p->i[0], p->i[1]))
FN(squeeze, nb_squeeze(x[0], p->i[0]))
FN(squeeze_all, nb_squeeze_all(x[0]))
FN(unsqueeze, nb_unsqueeze(x[0], p->i[0]))
FN(contiguous_t, nb_mul(nb_contiguous(nb_t(x[0])), nb_t(x[0])))
FN(cat, nb_cat(n, x, p->i[0]))
FN(stack, nb_stack(n, x, p->i[0]))
FN(index_select, nb_index_select(x[0], p->i[0], p->aux))
FN(gather, nb_gather(x[0], p->i[0], p->aux))
FN(scatter_add, nb_scatter_add(x[0], p->i[0], p->aux, x[1]))
FN(masked_fill, nb_masked_fill(x[0], p->aux, p->s[0]))
FN(softmax, nb_softmax(x[0], p->i[0]))
FN(log_softmax, nb_log_softmax(x[0], p->i[0]))
FN(to, nb_to(nb_mul(nb_to(x[0], NB_F32), nb_to(x[1], NB_F32)), NB_F64)) /* f64 -> f32 -> f64 */
FN(clone, nb_mul(nb_clone(x[0]), x[0]))
FN(mean, nb_mean(x[0]))
FN(mean_dim, nb_mean_dim(x[0], p->ni, p->i, p->s[0] != 0))
FN(var, nb_var(x[0]))
FN(var_dim, nb_var_dim(x[0], p->ni, p->i, (int)p->s[1], p->s[0] != 0))
FN(std, nb_std(x[0]))
FN(std_dim, nb_std_dim(x[0], p->ni, p->i, (int)p->s[1], p->s[0] != 0))
FN(logsumexp, nb_logsumexp(x[0], p->ni, p->i, p->s[0] != 0))
/* v -> d/dc sum(op(c) * v) at a constant c: the adjoint ops (slice_backward, index_add) as functions of
 * v, so gradgradcheck reaches their own backward. nb_grad needs the tape even when gradcheck
 * evaluates fn under no-grad. */
static nb_tensor *adjoint(nb_tensor *v, const prm *p, bool is_slice) {
    bool prev = nb_set_grad_enabled(true);
    nb_tensor *c = nb_zeros(NB_F64, 2, (const int64_t[]){ p->i[4], p->i[5] });
    nb_requires_grad_(c, true);
    nb_tensor *y = is_slice ? nb_slice(c, p->i[0], p->i[1], p->i[2], p->i[3])
                            : nb_index_select(c, p->i[0], p->aux);
    nb_tensor *g = nb_grad1(nb_sum(nb_mul(y, v)), c, true);
    nb_set_grad_enabled(prev);
    return g;
}
FN(slice_grad, adjoint(x[0], p, true))
FN(index_select_grad, adjoint(x[0], p, false))

/* recurrent layers: i[0] mode, i[1] reverse, i[2] has h0, i[3] has c0, i[4] has biases, i[5] has w_hr;
 * inputs x, [h0], [c0], w_ih, w_hh, [b_ih, b_hh], [w_hr]; output = out, h_n (and c_n) flattened */
static nb_tensor *rnn_args(nb_tensor *const *x, const prm *p, nb_tensor **h0, nb_tensor **c0,
                           nb_rnn_weights *w) {
    int k = 1;
    *h0 = p->i[2] ? x[k++] : NULL;
    *c0 = p->i[3] ? x[k++] : NULL;
    *w = (nb_rnn_weights){ x[k], x[k + 1], p->i[4] ? x[k + 2] : NULL, p->i[4] ? x[k + 3] : NULL, NULL };
    k += p->i[4] ? 4 : 2;
    if (p->i[5]) w->w_hr = x[k];
    return x[0];
}
static nb_tensor *flat(nb_tensor *t) { return nb_reshape(t, 1, (const int64_t[]){ -1 }); }
static nb_tensor *f_rnn_layer(nb_tensor *const *x, int n, void *ctx) {
    const prm *p = ctx;
    (void)n;
    nb_tensor *h0, *c0, *o = NULL, *h = NULL, *c = NULL;
    nb_rnn_weights w;
    nb_tensor *in = rnn_args(x, p, &h0, &c0, &w);
    bool lstm = p->i[0] == NB_RNN_LSTM;
    if (nb_rnn_layer((nb_rnn_mode)p->i[0], in, h0, c0, w, p->i[1] != 0, &o, &h, lstm ? &c : NULL) != NB_OK)
        return NULL;
    return lstm ? nb_cat(NB_LIST(flat(o), flat(h), flat(c)), 0) : nb_cat(NB_LIST(flat(o), flat(h)), 0);
}
static nb_tensor *f_rnn_cell(nb_tensor *const *x, int n, void *ctx) {
    const prm *p = ctx;
    (void)n;
    nb_tensor *h0, *c0, *c = NULL;
    nb_rnn_weights w;
    nb_tensor *in = rnn_args(x, p, &h0, &c0, &w);
    switch (p->i[0]) {
    case NB_RNN_TANH: return nb_rnn_tanh_cell(in, h0, w.w_ih, w.w_hh, w.b_ih, w.b_hh);
    case NB_RNN_RELU: return nb_rnn_relu_cell(in, h0, w.w_ih, w.w_hh, w.b_ih, w.b_hh);
    case NB_RNN_GRU: return nb_gru_cell(in, h0, w.w_ih, w.w_hh, w.b_ih, w.b_hh);
    default: {
        nb_tensor *h = nb_lstm_cell(in, h0, c0, w.w_ih, w.w_hh, w.b_ih, w.b_hh, &c);
        return nb_cat(NB_LIST(flat(h), flat(c)), 0);
    }
    }
}

/* ---- one check per opcode ---- */
typedef bool (*check_fn)(int order);
#define K(name) static bool k_##name(int o)

K(add) {
    prm p = { 0 };
    return GC("(3,1)+(1,4)", f_add, &p, o, R(-2, 2, 3, 1), R(-2, 2, 1, 4)) &
           GC("0-d + (2,3)", f_add, &p, o, R(-2, 2), R(-2, 2, 2, 3));
}
K(sub) {
    prm p = { 0 };
    return GC("(2,3,4)-(4)", f_sub, &p, o, R(-2, 2, 2, 3, 4), R(-2, 2, 4));
}
K(mul) {
    prm p = { 0 };
    return GC("(3,1)*(1,4)", f_mul, &p, o, R(-2, 2, 3, 1), R(-2, 2, 1, 4)) &
           GC("x*x", f_mul, &p, o, R(-2, 2, 3), R(-2, 2));
}
K(div) {
    prm p = { 0 };
    return GC("(2,3)/(3)", f_div, &p, o, R(-2, 2, 2, 3), AWAY(-2, 2, 0, 0.5, 3));
}
K(pow) {
    prm p = { 0 };
    return GC("(2,3)^(2,3)", f_pow, &p, o, R(0.5, 2, 2, 3), R(-2, 2, 2, 3)) &
           GC("(2,3)^(3)", f_pow, &p, o, R(0.5, 2, 2, 3), R(-2, 2, 3));
}
static bool minmax(int o, nb_fn f) {
    prm p = { 0 };
    nb_tensor *a = R(-2, 2, 3, 4);
    nb_tensor *b = NULL;
    NB_NO_GRAD {
        b = nb_detach(nb_add(
            a, nb_mul_scalar(
                   nb_sub_scalar(nb_mul_scalar(nb_gt_scalar(nb_rand(NB_F64, NB_SHAPE(3, 4)), 0.5), 2), 1),
                   0.5)));
    }
    nb_tensor *bc = nb_clone(b);
    nb_requires_grad_(bc, true);
    return GC("(3,4) vs (3,4), no ties", f, &p, o, a, bc) &
           GC("(3,4) vs (4)", f, &p, o, DISTINCT(0, 3, 4), DISTINCT(0.15, 4));
}
K(minimum) { return minmax(o, f_minimum); }
K(maximum) { return minmax(o, f_maximum); }
K(where) {
    prm p = { .aux = nb_gt_scalar(nb_rand(NB_F64, NB_SHAPE(3, 4)), 0.5) };
    return GC("cond (3,4), (3,1), (1,4)", f_where, &p, o, R(-2, 2, 3, 1), R(-2, 2, 1, 4));
}
K(add_s) {
    prm p = { .s = { 1.5 } };
    return GC("x + 1.5", f_add_scalar, &p, o, R(-2, 2, 2, 3)) &
           GC("x - 1.5", f_sub_scalar, &p, o, R(-2, 2, 2, 3));
}
K(rsub_s) {
    prm p = { .s = { 2 } };
    return GC("2 - x", f_rsub_scalar, &p, o, R(-2, 2, 2, 3));
}
K(mul_s) {
    prm p = { .s = { -1.5 } };
    return GC("x * -1.5", f_mul_scalar, &p, o, R(-2, 2, 2, 3));
}
K(div_s) {
    prm p = { .s = { 3 } };
    return GC("x / 3", f_div_scalar, &p, o, R(-2, 2, 2, 3));
}
K(rdiv_s) {
    prm p = { .s = { 2 } };
    return GC("2 / x", f_rdiv_scalar, &p, o, AWAY(-2, 2, 0, 0.5, 2, 3));
}
K(pow_s) {
    bool ok = true;
    const double ss[] = { 2, 3, 1, 0, 0.5, -1.5, 2.5 };
    for (int i = 0; i < 7; i++) {
        prm p = { .s = { ss[i] } };
        char lab[32];
        snprintf(lab, sizeof lab, "x ^ %g", ss[i]);
        ok &= ss[i] == (int)ss[i] && ss[i] >= 0 ? GC(lab, f_pow_scalar, &p, o, R(-2, 2, 2, 3))
                                                : GC(lab, f_pow_scalar, &p, o, R(0.3, 2, 2, 3));
    }
    return ok;
}
K(rpow_s) {
    prm p = { .s = { 2 } }, q = { .s = { 0.5 } };
    return GC("2 ^ x", f_rpow_scalar, &p, o, R(-2, 2, 2, 3)) &
           GC("0.5 ^ x", f_rpow_scalar, &q, o, R(-2, 2, 2, 3));
}
#define UN(name, lo, hi, kink, gap)                                                                          \
    K(name) {                                                                                                \
        prm p = { 0 };                                                                                       \
        return GC(#name, f_##name, &p, o, AWAY(lo, hi, kink, gap, 2, 3));                                    \
    }
UN(neg, -2, 2, 0, -1)
UN(exp, -2, 2, 0, -1)
UN(log, 0.3, 3, 0, -1)
UN(log1p, -0.5, 3, 0, -1)
UN(sqrt, 0.3, 3, 0, -1)
UN(rsqrt, 0.3, 3, 0, -1)
UN(square, -2, 2, 0, -1)
UN(abs, -2, 2, 0, 0.1)
UN(sin, -3, 3, 0, -1)
UN(cos, -3, 3, 0, -1)
UN(tan, -1.2, 1.2, 0, -1)
UN(sinh, -2, 2, 0, -1)
UN(cosh, -2, 2, 0, -1)
UN(tanh, -2, 2, 0, -1)
UN(sigmoid, -3, 3, 0, -1)
UN(relu, -2, 2, 0, 0.1)
UN(gelu, -3, 3, 0, -1)
UN(gelu_tanh, -3, 3, 0, -1)
UN(erf, -2, 2, 0, -1)
UN(sign, -2, 2, 0, 0.1)
K(leaky_relu) {
    prm p = { .s = { 0.1 } };
    return GC("slope 0.1", f_leaky_relu, &p, o, AWAY(-2, 2, 0, 0.1, 2, 3));
}
K(softplus) {
    prm p = { .s = { 1, 20 } }, q = { .s = { 2, 1 } }; /* beta 2, threshold 1: linear above x = 0.5 */
    return GC("beta 1", f_softplus, &p, o, R(-3, 3, 2, 3)) &
           GC("beta 2 threshold 1", f_softplus, &q, o, AWAY(-2, 2, 0.5, 0.1, 2, 4));
}
K(clamp) {
    prm p = { .s = { -0.5, 0.5 } }, q = { .s = { -INFINITY, 0.25 } };
    bool ok = GC("[-0.5, 0.5]", f_clamp, &p, o, AWAY(-0.45, 0.45, 0, -1, 2, 2)) &
              GC("[-0.5, 0.5] outside", f_clamp, &p, o, AWAY(0.6, 2, 0, -1, 2, 2));
    nb_tensor *x = AWAY(-2, 2, 0.25, 0.1, 3, 3);
    return ok & GC("(-inf, 0.25]", f_clamp, &q, o, x);
}
K(sum) {
    prm p = { 0 }, q = { .i = { 0, 2 }, .ni = 2 }, r = { .i = { -1 }, .ni = 1, .s = { 1 } };
    return GC("all", f_sum, &p, o, R(-2, 2, 2, 3)) & GC("dims {0,2}", f_sum_dim, &q, o, R(-2, 2, 2, 3, 2)) &
           GC("dim -1 keepdim", f_sum_dim, &r, o, R(-2, 2, 2, 3));
}
K(sum_to_size) {
    prm p = { .i = { 1, 4 }, .ni = 2 }, q = { .i = { 3, 1 }, .ni = 2 };
    return GC("(3,4)->(1,4)", f_sum_to_size, &p, o, R(-2, 2, 3, 4)) &
           GC("(2,3,4)->(3,1)", f_sum_to_size, &q, o, R(-2, 2, 2, 3, 4));
}
K(prod) {
    prm p = { 0 }, q = { .i = { 1 } }, r = { .i = { 0 }, .s = { 1 } };
    bool ok = GC("all", f_prod, &p, o, AWAY(-1.5, 1.5, 0, 0.5, 2, 3)) &
              GC("dim 1", f_prod_dim, &q, o, AWAY(-1.5, 1.5, 0, 0.5, 3, 4)) &
              GC("dim 0 keepdim", f_prod_dim, &r, o, AWAY(-1.5, 1.5, 0, 0.5, 3, 2));
    /* exact zeros (prod is a polynomial, so finite differences are fine there): rows with 0..3 zeros */
    nb_tensor *x = AWAY(-1.5, 1.5, 0, 0.5, 4, 4);
    const int64_t zs[][2] = { { 1, 2 }, { 2, 0 }, { 2, 3 }, { 3, 0 }, { 3, 1 }, { 3, 3 } };
    for (int k = 0; k < 6; k++) nb_set(x, zs[k], 0.0);
    nb_tensor *y = AWAY(-1.5, 1.5, 0, 0.5, 2, 3);
    nb_set(y, (int64_t[]){ 0, 1 }, 0.0);
    nb_tensor *y2 = AWAY(-1.5, 1.5, 0, 0.5, 2, 3);
    nb_set(y2, (int64_t[]){ 0, 1 }, 0.0);
    nb_set(y2, (int64_t[]){ 1, 2 }, 0.0);
    return ok & GC("dim 1, rows with 0..3 zeros", f_prod_dim, &q, o, x) &
           GC("all, one zero", f_prod, &p, o, y) & GC("all, two zeros", f_prod, &p, o, y2);
}
static bool am(int o, nb_fn f, nb_fn fall) {
    prm p = { .i = { 1 }, .ni = 1 }, q = { .i = { 0, 2 }, .ni = 2, .s = { 1 } }, r = { 0 };
    return GC("dim 1", f, &p, o, DISTINCT(0, 3, 4)) &
           GC("dims {0,2} keepdim", f, &q, o, DISTINCT(0, 2, 3, 2)) & GC("all", f, &r, o, DISTINCT(0, 3, 2)) &
           GC("max/min of all", fall, &r, o, DISTINCT(-1, 5));
}
K(amax) { return am(o, f_amax, f_max); }
K(amin) { return am(o, f_amin, f_min); }
static bool md(int o, nb_fn f) {
    prm p = { .i = { 1 } }, q = { .i = { 0 }, .s = { 1 } }, r = { .i = { -1 } };
    return GC("dim 1", f, &p, o, DISTINCT(0, 3, 4)) & GC("dim 0 keepdim", f, &q, o, DISTINCT(0, 3, 4)) &
           GC("dim -1 of (2,3,2)", f, &r, o, DISTINCT(0, 2, 3, 2));
}
K(max_dim) { return md(o, f_max_dim); }
K(min_dim) { return md(o, f_min_dim); }
K(norm) {
    bool ok = true;
    const double ps[] = { 1, 2, 3, INFINITY, 1.5 };
    for (int i = 0; i < 5; i++) {
        prm p = { .s = { ps[i] } }, q = { .s = { ps[i], 0 }, .i = { 1 }, .ni = 1 },
            r = { .s = { ps[i], 1 }, .i = { 0 }, .ni = 1 };
        char lab[48];
        snprintf(lab, sizeof lab, "p=%g all", ps[i]);
        ok &= GC(lab, f_norm, &p, o, DISTINCT(-1.6, 3, 4)); /* distinct |x|, none near 0 */
        snprintf(lab, sizeof lab, "p=%g dim 1", ps[i]);
        ok &= GC(lab, f_norm_dim, &q, o, DISTINCT(-1.6, 3, 4));
        snprintf(lab, sizeof lab, "p=%g dim 0 keepdim", ps[i]);
        ok &= GC(lab, f_norm_dim, &r, o, DISTINCT(-1.6, 3, 4));
    }
    return ok;
}
K(matmul) {
    prm p = { 0 };
    return GC("(3,4)@(4,2)", f_matmul, &p, o, R(-1, 1, 3, 4), R(-1, 1, 4, 2)) &
           GC("(2,1,2,3)@(3,3,2)", f_matmul, &p, o, R(-1, 1, 2, 1, 2, 3), R(-1, 1, 3, 3, 2)) &
           GC("mm", f_mm, &p, o, R(-1, 1, 2, 3), R(-1, 1, 3, 2)) &
           GC("bmm", f_bmm, &p, o, R(-1, 1, 2, 2, 3), R(-1, 1, 2, 3, 2));
}
K(linear) { /* the fused node: 2-D input with a 1-D bias (other shapes are composites, checked below) */
    prm p = { 0 };
    return GC("fused (3,4) w (2,4) b (2)", f_linear, &p, o, R(-1, 1, 3, 4), R(-1, 1, 2, 4), R(-1, 1, 2));
}
K(reshape) {
    prm p = { .i = { 4, -1 }, .ni = 2 }, q = { .i = { 6, 2 }, .ni = 2 }, r = { .i = { 0, 2 } },
        s = { .i = { 1 } };
    return GC("(2,3,4)->(4,-1)", f_reshape, &p, o, R(-2, 2, 2, 3, 4)) &
           GC("view", f_view, &q, o, R(-2, 2, 3, 4)) & GC("flatten", f_flatten, &r, o, R(-2, 2, 2, 3, 2)) &
           GC("squeeze", f_squeeze, &s, o, R(-2, 2, 2, 1, 3)) &
           GC("squeeze_all", f_squeeze_all, &s, o, R(-2, 2, 1, 3, 1)) &
           GC("unsqueeze", f_unsqueeze, &s, o, R(-2, 2, 2, 3));
}
K(expand) {
    prm p = { .i = { 2, 3, 4 }, .ni = 3 }, q = { .i = { 2, -1, 3 }, .ni = 3 };
    return GC("(3,1)->(2,3,4)", f_expand, &p, o, R(-2, 2, 3, 1)) &
           GC("(4,1)->(2,-1,3)", f_expand, &q, o, R(-2, 2, 4, 1));
}
K(permute) {
    prm p = { .i = { 2, 0, 1 }, .ni = 3 }, q = { .i = { 0, 2 } };
    return GC("{2,0,1}", f_permute, &p, o, R(-2, 2, 2, 3, 2)) &
           GC("transpose", f_transpose, &q, o, R(-2, 2, 2, 3, 2)) & GC("t", f_t, &p, o, R(-2, 2, 3, 2)) &
           GC("contiguous(t)", f_contiguous_t, &p, o, R(-2, 2, 3, 2));
}
K(slice) {
    prm p = { .i = { 1, 1, 6, 2 } }, q = { .i = { 0, 1, 2 } }, r = { .i = { 1, -1 } };
    return GC("[:, 1:6:2]", f_slice, &p, o, R(-2, 2, 3, 7)) & GC("narrow", f_narrow, &q, o, R(-2, 2, 4, 3)) &
           GC("select", f_select, &r, o, R(-2, 2, 2, 3, 2));
}
K(select) {
    prm p = { .i = { 1, -1 } }, q = { .i = { 0, 1 } }, r = { .i = { -1, 0 } };
    return GC("dim 1 index -1", f_select, &p, o, R(-2, 2, 2, 3, 2)) &
           GC("dim 0 of 1-D", f_select, &q, o, R(-2, 2, 3)) &
           GC("dim -1 index 0", f_select, &r, o, R(-2, 2, 2, 3));
}
K(slice_backward) {
    prm p = { .i = { 1, 1, 6, 2, 3, 7 } };
    return GC("v -> d sum(slice(c) v) / dc", f_slice_grad, &p, o, R(-2, 2, 3, 3));
}
K(cat) {
    prm p = { .i = { 1 } }, q = { .i = { 0 } };
    return GC("3 tensors dim 1", f_cat, &p, o, R(-2, 2, 2, 1), R(-2, 2, 2, 3), R(-2, 2, 2, 2)) &
           GC("stack dim 0", f_stack, &q, o, R(-2, 2, 2, 3), R(-2, 2, 2, 3)) &
           GC("stack dim -1", f_stack, &(prm){ .i = { -1 } }, o, R(-2, 2, 3), R(-2, 2, 3));
}
K(index_select) {
    prm p = { .i = { 0 }, .aux = idx(NB_SHAPE(3), (int64_t[]){ 3, 0, 3 }) };
    return GC("dim 0 [3,0,3]", f_index_select, &p, o, R(-2, 2, 4, 3));
}
K(index_add) {
    prm p = { .i = { 1, 0, 0, 0, 2, 3 }, .aux = idx(NB_SHAPE(4), (int64_t[]){ 1, 0, 1, 2 }) };
    return GC("v -> d sum(index_select(c) v) / dc", f_index_select_grad, &p, o, R(-2, 2, 2, 4));
}
K(gather) {
    prm p = { .i = { 1 },
              .aux = idx(NB_SHAPE(3, 5), (int64_t[]){ 0, 3, 3, 1, 2, 2, 2, 0, 1, 3, 1, 1, 1, 1, 0 }) };
    return GC("dim 1 (3,4) by (3,5)", f_gather, &p, o, R(-2, 2, 3, 4));
}
K(scatter_add) {
    prm p = { .i = { 0 }, .aux = idx(NB_SHAPE(2, 4), (int64_t[]){ 0, 2, 2, 1, 2, 2, 0, 1 }) };
    return GC("dim 0, src (2,4)", f_scatter_add, &p, o, R(-2, 2, 3, 4), R(-2, 2, 2, 4)) &
           GC("dim 0, src (3,4) larger than index", f_scatter_add, &p, o, R(-2, 2, 3, 4), R(-2, 2, 3, 4));
}
K(masked_fill) {
    prm p = { .s = { 2 }, .aux = nb_tensor_from(NB_F64, (double[]){ 1, 0, 0, 1 }, NB_SHAPE(1, 4), false) };
    prm q = { .s = { -1 }, .aux = nb_gt_scalar(nb_rand(NB_F64, NB_SHAPE(3, 4)), 0.5) };
    return GC("mask (1,4)", f_masked_fill, &p, o, R(-2, 2, 3, 4)) &
           GC("x (4) broadcast up to mask (3,4)", f_masked_fill, &q, o, R(-2, 2, 4));
}
static bool sm(int o, nb_fn f) {
    bool ok = true;
    for (int d = -1; d < 3; d++) {
        prm p = { .i = { d } };
        char lab[16];
        snprintf(lab, sizeof lab, "dim %d", d);
        ok &= GC(lab, f, &p, o, R(-3, 3, 2, 3, 2));
    }
    return ok;
}
K(softmax) { return sm(o, f_softmax); }
K(log_softmax) { return sm(o, f_log_softmax); }
K(to) { /* the f32 round trip loses precision: a larger step and f32-sized tolerances */
    prm p = { 0 };
    return gc_opts("f64 -> f32 -> f64", f_to, &p, o,
                   (nb_gradcheck_opts){ .eps = 1e-2, .atol = 1e-4, .rtol = 1e-3 },
                   NB_LIST(R(-2, 2, 2, 3), R(-2, 2, 2, 3)));
}
K(clone) {
    prm p = { 0 };
    return GC("clone(x) * x", f_clone, &p, o, R(-2, 2, 2, 3));
}

/* -- spatial ops: pooling, pad, interpolate, pixel shuffle -- */
static nb_max_pool2d_opts mp_opts(const prm *p) {
    return (nb_max_pool2d_opts){ .kernel_size = { p->i[0], p->i[1] },
                                 .stride = { p->i[2], p->i[3] },
                                 .padding = { p->i[4], p->i[5] },
                                 .dilation = { p->i[6], p->i[7] },
                                 .ceil_mode = p->s[0] != 0 };
}
FN(max_pool2d, nb_max_pool2d(x[0], mp_opts(p)))
static bool k_max_pool2d_more(int o);
/* v -> d/dc sum(max_pool2d(c) v) at a constant c with distinct values: the scatter as a function of v */
static nb_tensor *max_pool2d_adjoint(nb_tensor *v, const prm *p) {
    bool prev = nb_set_grad_enabled(true);
    nb_tensor *c = p->aux;
    nb_tensor *g = nb_grad1(nb_sum(nb_mul(nb_max_pool2d(c, mp_opts(p)), v)), c, true);
    nb_set_grad_enabled(prev);
    return g;
}
FN(max_pool2d_grad, max_pool2d_adjoint(x[0], p))
K(max_pool2d) {
    prm a = { .i = { 2, 2 } }, b = { .i = { 3, 2, 2, 1, 1, 0, 1, 2 }, .s = { 1 } },
        c = { .i = { 2, 3, 1, 2, 1, 1, 2, 1 } };
    return GC("k2 (2,3,4,5)", f_max_pool2d, &a, o, DISTINCT(0, 2, 3, 4, 5)) &
           GC("k(3,2) s(2,1) p(1,0) d(1,2) ceil (1,2,5,6)", f_max_pool2d, &b, o, DISTINCT(0, 1, 2, 5, 6)) &
           GC("overlapping k(2,3) s(1,2) p1 d(2,1) (3,5,6)", f_max_pool2d, &c, o, DISTINCT(0, 3, 5, 6)) &
           k_max_pool2d_more(o);
}
K(max_pool2d_backward) {
    prm p = { .i = { 2, 2, 1, 1 } };
    p.aux = DISTINCT(0, 2, 2, 4, 4);
    nb_requires_grad_(p.aux, true);
    return GC("v -> d sum(max_pool2d(c) v) / dc, overlapping windows", f_max_pool2d_grad, &p, o,
              R(-2, 2, 2, 2, 3, 3));
}
FN(max_pool1d,
   nb_max_pool1d(x[0],
                 (nb_max_pool1d_opts){
                     .kernel_size = p->i[0], .stride = p->i[1], .padding = p->i[2], .dilation = p->i[3] }))
FN(adaptive_max_pool2d, nb_adaptive_max_pool2d(x[0], p->i[0], p->i[1]))
K(max_pool2d_more) {
    prm a = { .i = { 3, 2, 1, 2 } }, b = { .i = { 3, 2 } }, c = { .i = { 4, 5 } };
    return GC("max_pool1d k3 s2 p1 d2 (2,3,9)", f_max_pool1d, &a, o, DISTINCT(0, 2, 3, 9)) &
           GC("adaptive_max_pool2d (3,2) of (2,2,7,5)", f_adaptive_max_pool2d, &b, o,
              DISTINCT(0, 2, 2, 7, 5)) &
           GC("adaptive_max_pool2d (4,5) of (1,3,3) (overlapping)", f_adaptive_max_pool2d, &c, o,
              DISTINCT(0, 1, 3, 3));
}
static nb_avg_pool2d_opts ap_opts(const prm *p) {
    return (nb_avg_pool2d_opts){ .kernel_size = { p->i[0], p->i[1] },
                                 .stride = { p->i[2], p->i[3] },
                                 .padding = { p->i[4], p->i[5] },
                                 .ceil_mode = p->i[6] != 0,
                                 .no_count_include_pad = p->i[7] != 0,
                                 .divisor_override = (int64_t)p->s[0] };
}
FN(avg_pool2d, nb_avg_pool2d(x[0], ap_opts(p)))
FN(avg_pool1d, nb_avg_pool1d(x[0], (nb_avg_pool1d_opts){ .kernel_size = p->i[0],
                                                         .stride = p->i[1],
                                                         .padding = p->i[2],
                                                         .ceil_mode = p->i[3] != 0 }))
FN(adaptive_avg_pool2d, nb_adaptive_avg_pool2d(x[0], p->i[0], p->i[1]))
/* v -> d/dc sum(avg_pool2d(c) v): the backward op as a function of v (c constant) */
static nb_tensor *avg_pool2d_adjoint(nb_tensor *v, const prm *p, bool adaptive) {
    bool prev = nb_set_grad_enabled(true);
    nb_tensor *c = p->aux;
    nb_tensor *y = adaptive ? nb_adaptive_avg_pool2d(c, p->i[0], p->i[1]) : nb_avg_pool2d(c, ap_opts(p));
    nb_tensor *g = nb_grad1(nb_sum(nb_mul(y, v)), c, true);
    nb_set_grad_enabled(prev);
    return g;
}
FN(avg_pool2d_grad, avg_pool2d_adjoint(x[0], p, false))
FN(adaptive_avg_pool2d_grad, avg_pool2d_adjoint(x[0], p, true))
K(avg_pool2d) {
    prm a = { .i = { 2, 2 } }, b = { .i = { 3, 2, 2, 1, 1, 1, 1, 0 } },
        c = { .i = { 3, 3, 2, 2, 1, 1, 1, 1 } };
    prm d = { .i = { 2, 3, 1, 1, 0, 1, 0, 0 }, .s = { 5 } }, e = { .i = { 3, 2, 1 } }, f = { .i = { 3, 4 } };
    return GC("k2 (2,3,4,4)", f_avg_pool2d, &a, o, R(-2, 2, 2, 3, 4, 4)) &
           GC("k(3,2) s(2,1) p1 ceil (1,2,5,6)", f_avg_pool2d, &b, o, R(-2, 2, 1, 2, 5, 6)) &
           GC("k3 s2 p1 ceil no count_include_pad (2,5,6)", f_avg_pool2d, &c, o, R(-2, 2, 2, 5, 6)) &
           GC("k(2,3) p(0,1) divisor 5 (1,2,4,5)", f_avg_pool2d, &d, o, R(-2, 2, 1, 2, 4, 5)) &
           GC("avg_pool1d k3 s2 p1 (2,3,8)", f_avg_pool1d, &e, o, R(-2, 2, 2, 3, 8)) &
           GC("adaptive (3,4) of (2,2,7,5)", f_adaptive_avg_pool2d, &f, o, R(-2, 2, 2, 2, 7, 5));
}
K(avg_pool2d_backward) {
    prm p = { .i = { 3, 3, 2, 2, 1, 1, 1, 1 }, .aux = R(-2, 2, 2, 2, 5, 6) };
    prm q = { .i = { 3, 4 }, .aux = R(-2, 2, 2, 7, 5) };
    return GC("v -> d sum(avg_pool2d(c) v) / dc", f_avg_pool2d_grad, &p, o, R(-2, 2, 2, 2, 3, 4)) &
           GC("v -> d sum(adaptive_avg_pool2d(c) v) / dc", f_adaptive_avg_pool2d_grad, &q, o,
              R(-2, 2, 2, 3, 4));
}
static nb_tensor *unpool(nb_tensor *x, const prm *p) {
    return nb_max_unpool2d(
        x, p->aux,
        (nb_max_unpool2d_opts){ .kernel_size = { p->i[0], p->i[1] }, .output_size = { p->i[2], p->i[3] } });
}
FN(max_unpool2d, unpool(x[0], p))
K(max_unpool2d) {
    /* the indices of a 2x2 max pool of a (1,2,5,5) input, unpooled to 5x5 */
    nb_tensor *c = DISTINCT(0, 1, 2, 5, 5), *idx = NULL;
    NB_NO_GRAD { nb_max_pool2d_with_indices(c, (nb_max_pool2d_opts){ .kernel_size = { 2 } }, &idx); }
    prm p = { .i = { 2, 2, 5, 5 }, .aux = idx };
    return GC("k2 (1,2,2,2) -> (1,2,5,5)", f_max_unpool2d, &p, o, R(-2, 2, 1, 2, 2, 2));
}
/* -- end spatial ops -- */
/* ---- issue 12 helpers (include/nb_helpers.h) ---- */
FN(atan, nb_atan(x[0]))
FN(cumsum, nb_cumsum(x[0], p->i[0]))
FN(flip, nb_flip(x[0], p->ni, p->i))
FN(tril, nb_tril(x[0], p->i[0]))
FN(triu, nb_triu(x[0], p->i[0]))
FN(sort, nb_sort(x[0], p->i[0], (nb_sort_opts){ .descending = p->i[1] }, NULL))
FN(topk, nb_topk(x[0], p->i[0], p->i[1], (nb_topk_opts){ .smallest = p->i[2], .unsorted = p->i[3] }, NULL))
FN(roll, nb_roll(x[0], p->ni, (const int64_t[]){ p->i[4], p->i[5] }, p->i))
FN(repeat, nb_repeat(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2] }))
FN(reciprocal, nb_reciprocal(x[0]))
/* the pieces of split / chunk / unbind put back in reverse order, each scaled by its position + 1 */
static nb_tensor *rejoin(nb_tensor **pc, int n, int dim, bool stack) {
    nb_tensor *r[16];
    for (int i = 0; i < n; i++) r[i] = nb_mul_scalar(pc[n - 1 - i], n - i);
    return n < 1 ? NULL : stack ? nb_stack(n, r, dim) : nb_cat(n, r, dim);
}
static nb_tensor *f_split(nb_tensor *const *x, int n, void *ctx) {
    const prm *p = ctx;
    nb_tensor *pc[16];
    (void)n;
    int k = p->i[2] == 0   ? nb_split(x[0], p->i[0], p->i[1], pc, 16)
            : p->i[2] == 1 ? nb_chunk(x[0], p->i[0], p->i[1], pc)
            : p->i[2] == 2 ? nb_unbind(x[0], p->i[1], pc, 16)
                           : nb_split_with_sizes(x[0], 3, (const int64_t[]){ 1, 3, 1 }, p->i[1], pc);
    return rejoin(pc, k, p->i[1], p->i[2] == 2);
}
K(atan) {
    prm p = { 0 };
    return GC("atan", f_atan, &p, o, R(-3, 3, 2, 3));
}
K(cumsum) {
    prm p = { .i = { 1 } }, q = { .i = { 0 } }, r = { .i = { -1 } };
    return GC("dim 1 of (3,4)", f_cumsum, &p, o, R(-2, 2, 3, 4)) &
           GC("dim 0 of (5)", f_cumsum, &q, o, R(-2, 2, 5)) &
           GC("dim -1 of (2,3,1)", f_cumsum, &r, o, R(-2, 2, 2, 3, 1));
}
K(flip) {
    prm p = { .i = { 0, 2 }, .ni = 2 }, q = { .i = { -1 }, .ni = 1 };
    return GC("dims {0,2} of (2,3,2)", f_flip, &p, o, R(-2, 2, 2, 3, 2)) &
           GC("dim -1 of (4)", f_flip, &q, o, R(-2, 2, 4));
}
K(tril) {
    prm p = { .i = { 0 } }, q = { .i = { -1 } };
    return GC("tril (4,3)", f_tril, &p, o, R(-2, 2, 4, 3)) &
           GC("tril -1 of (2,3,3)", f_tril, &q, o, R(-2, 2, 2, 3, 3));
}
K(triu) {
    prm p = { .i = { 1 } }, q = { .i = { 0 } };
    return GC("triu 1 of (3,4)", f_triu, &p, o, R(-2, 2, 3, 4)) &
           GC("triu (2,3,3)", f_triu, &q, o, R(-2, 2, 2, 3, 3));
}
K(sort) {
    prm p = { .i = { 1, 0 } }, q = { .i = { 0, 1 } };
    return GC("dim 1 of (3,4)", f_sort, &p, o, DISTINCT(0, 3, 4)) &
           GC("dim 0 descending", f_sort, &q, o, DISTINCT(0, 5, 2));
}
K(topk) {
    prm p = { .i = { 2, 1, 0, 0 } }, q = { .i = { 3, 0, 1, 1 } };
    return GC("top 2 dim 1 of (3,5)", f_topk, &p, o, DISTINCT(0, 3, 5)) &
           GC("smallest 3 unsorted dim 0 of (6,2)", f_topk, &q, o, DISTINCT(0, 6, 2));
}
static bool helper_composites(void) {
    bool ok = true;
    cur_op = "composite (nb_helpers.h)";
    prm sp = { .i = { 2, 1, 0 } }, ch = { .i = { 3, 1, 1 } }, ub = { .i = { 0, 0, 2 } },
        sw = { .i = { 0, 1, 3 } };
    ok &= GC("split 2 along dim 1 of (2,5)", f_split, &sp, 2, R(-2, 2, 2, 5));
    ok &= GC("chunk 3 along dim 1 of (2,7)", f_split, &ch, 2, R(-2, 2, 2, 7));
    ok &= GC("unbind dim 0 of (3,2)", f_split, &ub, 2, R(-2, 2, 3, 2));
    ok &= GC("split_with_sizes {1,3,1} dim 1 of (2,5)", f_split, &sw, 2, R(-2, 2, 2, 5));
    prm r1 = { .i = { 1, 0, 0, 0, 2, 0 }, .ni = 1 }, r2 = { .i = { 0, 1, 0, 0, -1, 5 }, .ni = 2 },
        r0 = { .i = { 0, 0, 0, 0, 3, 0 }, .ni = 0 };
    ok &= GC("roll 2 along dim 1", f_roll, &r1, 2, R(-2, 2, 3, 4));
    ok &= GC("roll (-1, 5) along dims (0, 1)", f_roll, &r2, 2, R(-2, 2, 3, 4));
    ok &= GC("roll 3 flattened", f_roll, &r0, 2, R(-2, 2, 3, 4));
    prm rp = { .i = { 2, 1, 3 }, .ni = 3 }, rq = { .i = { 3, 2 }, .ni = 2 };
    ok &= GC("repeat (2,1,3) of (2,2)", f_repeat, &rp, 2, R(-2, 2, 2, 2));
    ok &= GC("repeat (3,2) of (2)", f_repeat, &rq, 2, R(-2, 2, 2));
    prm a = { 0 };
    ok &= GC("reciprocal", f_reciprocal, &a, 2, AWAY(-2, 2, 0, 0.5, 2, 3));
    return ok;
}
/* -- convolutions: p->i = stride h, w, padding h, w, dilation h, w, groups, output_padding
 * (s[0], s[2]) and pad_mode (s[1]); conv2d_weight is reached as d/dw sum(conv2d(x, w) gy) at a constant w */
static nb_conv_opts cvo(const prm *p) {
    return (nb_conv_opts){ .stride = { p->i[0], p->i[1] },
                           .padding = { p->i[2], p->i[3] },
                           .dilation = { p->i[4], p->i[5] },
                           .groups = p->i[6],
                           .output_padding = { p->s[0], p->s[2] },
                           .pad_mode = (nb_conv_pad)p->s[1] };
}
FN(conv2d, nb_conv2d(x[0], x[1], n > 2 ? x[2] : NULL, cvo(p)))
FN(conv1d, nb_conv1d(x[0], x[1], n > 2 ? x[2] : NULL, cvo(p)))
FN(conv_t2d, nb_conv_transpose2d(x[0], x[1], n > 2 ? x[2] : NULL, cvo(p)))
FN(conv_t1d, nb_conv_transpose1d(x[0], x[1], n > 2 ? x[2] : NULL, cvo(p)))
FN(unfold, nb_unfold(x[0], 2, 3, cvo(p)))
FN(fold, nb_fold(x[0], 4, 5, 2, 3, cvo(p)))
static nb_tensor *conv_wgrad(nb_tensor *const *x, int n, void *ctx) {
    (void)n;
    const prm *p = ctx;
    bool prev = nb_set_grad_enabled(true);
    nb_tensor *w = nb_zeros(NB_F64, 4,
                            (const int64_t[]){ p->i[7], x[0]->shape[1] / (p->i[6] ? p->i[6] : 1), 2, 3 });
    nb_requires_grad_(w, true);
    nb_tensor *g = nb_grad1(nb_sum(nb_mul(nb_conv2d(x[0], w, NULL, cvo(p)), x[1])), w, true);
    nb_set_grad_enabled(prev);
    return g;
}
K(conv2d) {
    prm a = { .i = { 2, 1, 1, 0, 1, 2, 2 } },
        b = { .i = { 1, 1, 0, 0, 1, 1, 3 }, .s = { 0, NB_CONV_PAD_SAME } };
    prm c = { .i = { 2, 0, 1, 0, 2, 0, 1 } };
    return GC("(2,4,5,4) w (6,2,3,2) stride (2,1) pad (1,0) dil (1,2) groups 2", f_conv2d, &a, o,
              R(-1, 1, 2, 4, 5, 4), R(-1, 1, 6, 2, 3, 2), R(-1, 1, 6)) &
           GC("depthwise 'same' even kernel, unbatched", f_conv2d, &b, o, R(-1, 1, 3, 4, 3),
              R(-1, 1, 3, 1, 2, 2)) &
           GC("conv1d stride 2 pad 1 dil 2", f_conv1d, &c, o, R(-1, 1, 2, 2, 7), R(-1, 1, 3, 2, 2),
              R(-1, 1, 3));
}
K(conv_transpose2d) {
    prm a = { .i = { 2, 1, 1, 0, 1, 1, 2 }, .s = { 1 } }, b = { .i = { 3, 0, 1, 0, 2, 0, 1 }, .s = { 2 } };
    return GC("(2,4,3,3) w (4,3,2,3) stride (2,1) pad (1,0) out_pad 1 groups 2", f_conv_t2d, &a, o,
              R(-1, 1, 2, 4, 3, 3), R(-1, 1, 4, 3, 2, 3), R(-1, 1, 6)) &
           GC("conv_transpose1d stride 3 pad 1 dil 2 out_pad 2", f_conv_t1d, &b, o, R(-1, 1, 2, 2, 3),
              R(-1, 1, 2, 3, 2));
}
K(conv2d_weight) {
    prm a = { .i = { 2, 1, 1, 0, 1, 2, 2, 4 } };
    return GC("x (2,4,5,6), gy (2,4,3,2): d/dw sum(conv2d(x, w) gy)", conv_wgrad, &a, o, R(-1, 1, 2, 4, 5, 6),
              R(-1, 1, 2, 4, 3, 2));
}
K(unfold) {
    prm a = { .i = { 2, 1, 1, 0, 1, 1 } }, b = { 0 };
    return GC("(2,2,5,4) k (2,3) stride (2,1) pad (1,0)", f_unfold, &a, o, R(-1, 1, 2, 2, 5, 4)) &
           GC("unbatched (2,3,4)", f_unfold, &b, o, R(-1, 1, 2, 3, 4));
}
K(fold) {
    prm a = { 0 };
    return GC("(2,12,9) -> (2,2,4,5)", f_fold, &a, o, R(-1, 1, 2, 12, 9));
}
/* -- normalisation -- */
FN(bn_affine,
   nb_batch_norm(x[0], NULL, NULL, x[1], x[2], (nb_batch_norm_opts){ .training = true, .eps = p->s[0] }))
FN(bn_plain, nb_batch_norm(x[0], NULL, NULL, NULL, NULL, (nb_batch_norm_opts){ .training = true }))
FN(gn_affine, nb_group_norm(x[0], 2, x[1], x[2], 0))
K(batch_norm) {
    prm p = { .s = { 1e-5 } }, q = { .s = { 0.5 } };
    return GC("(N,C,L) affine", f_bn_affine, &p, o, R(-2, 2, 3, 2, 4), R(0.5, 2, 2), R(-1, 1, 2)) &
           GC("(N,C) affine eps 0.5", f_bn_affine, &q, o, R(-2, 2, 5, 3), R(0.5, 2, 3), R(-1, 1, 3)) &
           GC("(N,C,H,W) no affine", f_bn_plain, &p, o, R(-2, 2, 2, 3, 2, 2)) &
           GC("group_norm 2 groups (N,C,L)", f_gn_affine, &p, o, R(-2, 2, 2, 4, 3), R(0.5, 2, 4),
              R(-1, 1, 4));
}
/* eval: running_mean = aux, running_var = aux^2 + 0.5 (buffers: no gradient, as in torch) */
FN(bn_eval, nb_batch_norm(x[0], p->aux, nb_add_scalar(nb_square(p->aux), 0.5), x[1], x[2],
                          (nb_batch_norm_opts){ .eps = 0.1 }))
FN(gn_eval_affine, nb_group_norm(x[0], 1, x[1], x[2], 0.5))
K(channel_affine) {
    prm p = { .aux = nb_tensor_from(NB_F64, (double[]){ 0.3, -0.2, 1.1 }, NB_SHAPE(3), false) };
    return GC("eval (N,C,L)", f_bn_eval, &p, o, R(-2, 2, 2, 3, 4), R(0.5, 2, 3), R(-1, 1, 3)) &
           GC("group_norm 1 group (N,C,H,W)", f_gn_eval_affine, &p, o, R(-2, 2, 2, 3, 2, 2), R(0.5, 2, 3),
              R(-1, 1, 3));
}
/* -- end normalisation -- */
/* T = 3, B = 2, I = 3, H = 2 (LSTM with projection: H = 3, P = 2); relu values stay away from its kink */
static bool rnn_checks(int o, int mode) {
    const int64_t G = mode == NB_RNN_LSTM ? 4 : mode == NB_RNN_GRU ? 3 : 1;
    const double lo = -0.8, hi = 0.8;
    prm full = { .i = { mode, 0, 1, mode == NB_RNN_LSTM, 1, 0 } }, rev = { .i = { mode, 1, 0, 0, 0, 0 } };
    prm cellp = { .i = { mode, 0, 1, mode == NB_RNN_LSTM, 1, 0 } };
    bool ok;
    if (mode == NB_RNN_LSTM)
        ok = GC("T 3 B 2, h0 c0 biases", f_rnn_layer, &full, o, R(lo, hi, 3, 2, 3), R(lo, hi, 2, 2),
                R(lo, hi, 2, 2), R(lo, hi, 4 * 2, 3), R(lo, hi, 4 * 2, 2), R(lo, hi, 8), R(lo, hi, 8));
    else
        ok = GC("T 3 B 2, h0 biases", f_rnn_layer, &full, o, R(lo, hi, 3, 2, 3), R(lo, hi, 2, 2),
                R(lo, hi, G * 2, 3), R(lo, hi, G * 2, 2), R(lo, hi, G * 2), R(lo, hi, G * 2));
    ok &= GC("reverse, zero h0, no bias", f_rnn_layer, &rev, o, R(lo, hi, 3, 2, 3), R(lo, hi, G * 2, 3),
             R(lo, hi, G * 2, 2));
    if (mode == NB_RNN_LSTM) {
        prm pj = { .i = { mode, 1, 1, 1, 1, 1 } };
        ok &= GC("proj 2 of H 3, reverse", f_rnn_layer, &pj, o, R(lo, hi, 3, 2, 3), R(lo, hi, 2, 2),
                 R(lo, hi, 2, 3), R(lo, hi, 12, 3), R(lo, hi, 12, 2), R(lo, hi, 12), R(lo, hi, 12),
                 R(lo, hi, 2, 3));
        ok &= GC("cell", f_rnn_cell, &cellp, o, R(lo, hi, 2, 3), R(lo, hi, 2, 2), R(lo, hi, 2, 2),
                 R(lo, hi, 8, 3), R(lo, hi, 8, 2), R(lo, hi, 8), R(lo, hi, 8));
    } else {
        ok &= GC("cell", f_rnn_cell, &cellp, o, R(lo, hi, 2, 3), R(lo, hi, 2, 2), R(lo, hi, G * 2, 3),
                 R(lo, hi, G * 2, 2), R(lo, hi, G * 2), R(lo, hi, G * 2));
    }
    /* a non-contiguous (batch-first transposed) input */
    nb_tensor *bf = R(lo, hi, 2, 3, 3);
    nb_requires_grad_(bf, false);
    nb_tensor *xv = nb_requires_grad_(nb_detach(nb_transpose(bf, 0, 1)), true);
    ok &= GC("transposed input", f_rnn_layer, &rev, o, xv, R(lo, hi, G * 2, 3), R(lo, hi, G * 2, 2));
    return ok;
}
K(rnn_tanh) { return rnn_checks(o, NB_RNN_TANH); }
K(rnn_relu) { return rnn_checks(o, NB_RNN_RELU); }
K(lstm) { return rnn_checks(o, NB_RNN_LSTM); }
K(gru) { return rnn_checks(o, NB_RNN_GRU); }

/* -- attention: the fused op; the backward under create_graph is the composed math */
FN(sdpa,
   nb_scaled_dot_product_attention(
       x[0], x[1], x[2], (nb_sdpa_opts){ .attn_mask = p->aux, .is_causal = p->i[0] != 0, .scale = p->s[0] }))
K(sdpa) {
    prm a = { 0 }, c = { .i = { 1 }, .s = { 0.7 } };
    prm bm = { .aux = nb_tensor_from(NB_I64, (int64_t[]){ 1, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1 },
                                     NB_SHAPE(3, 4), false) };
    prm fm = { .aux = nb_tensor_from(NB_F64, (double[]){ 0.5, -1, 0.2, 0.1, 0, 0.3, -0.4, 1 },
                                     NB_SHAPE(2, 1, 1, 4), false) };
    bool ok = GC("(2,3,4) x (2,4,4) x (2,4,2)", f_sdpa, &a, o, R(-1, 1, 2, 3, 4), R(-1, 1, 2, 4, 4),
                 R(-1, 1, 2, 4, 2)) &
              GC("causal L 4 > S 3, scale 0.7", f_sdpa, &c, o, R(-1, 1, 2, 4, 3), R(-1, 1, 2, 3, 3),
                 R(-1, 1, 2, 3, 2)) &
              GC("bool mask (3,4), k/v broadcast over heads", f_sdpa, &bm, o, R(-1, 1, 2, 2, 3, 2),
                 R(-1, 1, 2, 1, 4, 2), R(-1, 1, 2, 1, 4, 3)) &
              GC("float mask (2,1,1,4) over heads", f_sdpa, &fm, o, R(-1, 1, 2, 2, 3, 2),
                 R(-1, 1, 2, 2, 4, 2), R(-1, 1, 2, 2, 4, 3));
    nb_free(bm.aux);
    nb_free(fm.aux);
    return ok;
}
/* -- end attention */

/* The registry is generated from the op list: each op `name` in autograd/ops.def needs a check
 * K(name) above. A new op without one fails to compile here ('k_<name>' undeclared): add K(<name>). */
#define NB_OP(name, bwname, order) [NBA_OP_##name] = k_##name,
static const check_fn registry[NBA_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP

/* ---- composite public ops (built from recorded ops; always checked to second order) ---- */
static bool composites(void) {
    bool ok = true;
    cur_op = "composite";
    prm a = { 0 }, d1 = { .i = { 1 }, .ni = 1 }, d02k = { .i = { 0, 2 }, .ni = 2, .s = { 1 } };
    ok &= GC("mean", f_mean, &a, 2, R(-2, 2, 2, 3));
    ok &= GC("mean dim 1", f_mean_dim, &d1, 2, R(-2, 2, 2, 3));
    ok &= GC("mean dims {0,2} keepdim", f_mean_dim, &d02k, 2, R(-2, 2, 2, 3, 2));
    ok &= GC("var", f_var, &a, 2, R(-2, 2, 2, 3));
    ok &= GC("std", f_std, &a, 2, R(-2, 2, 2, 3));
    for (int c = 0; c < 2; c++) {
        prm v = { .i = { 1 }, .ni = 1, .s = { 0, c } }, vk = { .i = { 0, 2 }, .ni = 2, .s = { 1, c } };
        ok &= GC(c ? "var dim 1 correction 1" : "var dim 1 correction 0", f_var_dim, &v, 2, R(-2, 2, 2, 3));
        ok &= GC(c ? "var dims {0,2} keepdim corr 1" : "var dims {0,2} keepdim corr 0", f_var_dim, &vk, 2,
                 R(-2, 2, 2, 3, 2));
        ok &= GC(c ? "std dim 1 correction 1" : "std dim 1 correction 0", f_std_dim, &v, 2, R(-2, 2, 2, 3));
        ok &= GC(c ? "std dims {0,2} keepdim corr 1" : "std dims {0,2} keepdim corr 0", f_std_dim, &vk, 2,
                 R(-2, 2, 2, 3, 2));
    }
    ok &= GC("logsumexp all", f_logsumexp, &a, 2, R(-2, 2, 2, 3));
    ok &= GC("logsumexp dim 1", f_logsumexp, &d1, 2, R(-2, 2, 2, 3));
    ok &= GC("logsumexp dims {0,2} keepdim", f_logsumexp, &d02k, 2, R(-2, 2, 2, 3, 2));
    ok &= GC("matmul 1-D . 1-D", f_matmul, &a, 2, R(-1, 1, 4), R(-1, 1, 4));
    ok &= GC("matmul 1-D . 2-D", f_matmul, &a, 2, R(-1, 1, 3), R(-1, 1, 3, 2));
    ok &= GC("matmul 2-D . 1-D", f_matmul, &a, 2, R(-1, 1, 2, 3), R(-1, 1, 3));
    ok &= GC("matmul 3-D . 1-D", f_matmul, &a, 2, R(-1, 1, 2, 2, 3), R(-1, 1, 3));
    ok &= GC("matmul 1-D . 3-D", f_matmul, &a, 2, R(-1, 1, 3), R(-1, 1, 2, 3, 2));
    ok &= GC("dot", f_dot, &a, 2, R(-1, 1, 4), R(-1, 1, 4));
    ok &= GC("outer", f_outer, &a, 2, R(-1, 1, 3), R(-1, 1, 2));
    ok &= GC("linear (2,3) w (4,3) b (4)", f_linear, &a, 2, R(-1, 1, 2, 3), R(-1, 1, 4, 3), R(-1, 1, 4));
    ok &= GC("linear (3) w (2,3) no bias", f_linear, &a, 2, R(-1, 1, 3), R(-1, 1, 2, 3));
    ok &= GC("linear (2,2,3) w (2,3) b (2)", f_linear, &a, 2, R(-1, 1, 2, 2, 3), R(-1, 1, 2, 3), R(-1, 1, 2));
    prm s0 = { .i = { 0 } }, s1 = { .i = { 1 } };
    ok &= GC("stack dim 1 of 3", f_stack, &s1, 2, R(-2, 2, 2, 2), R(-2, 2, 2, 2), R(-2, 2, 2, 2));
    ok &= GC("stack 0-d", f_stack, &s0, 2, R(-2, 2), R(-2, 2));
    prm se = { .i = { 0, 1 } }, sn = { .i = { -1, 2, 1 } };
    ok &= GC("select dim 0", f_select, &se, 2, R(-2, 2, 3, 2));
    ok &= GC("narrow dim -1", f_narrow, &sn, 2, R(-2, 2, 2, 4));
    ok &= GC("max of all", f_max, &a, 2, DISTINCT(0, 2, 3));
    ok &= GC("min of all", f_min, &a, 2, DISTINCT(0, 2, 3));
    /* non-contiguous leaves (views of a buffer that does not require grad) */
    nb_tensor *bt = R(-1, 1, 4, 3), *bs = R(-2, 2, 3, 8);
    nb_requires_grad_(bt, false);
    nb_requires_grad_(bs, false);
    nb_tensor *vt = nb_requires_grad_(nb_t(bt), true),
              *vs = nb_requires_grad_(nb_slice(bs, 1, 0, 8, 2), true);
    prm d0 = { .i = { 0 }, .ni = 1 };
    ok &= GC("matmul of a transposed leaf", f_matmul, &a, 2, vt, R(-1, 1, 4, 2));
    ok &= GC("softmax dim 0 of a strided leaf", f_softmax, &d0, 2, vs);
    ok &= GC("mul of transposed and strided leaves", f_mul, &a, 2, vt, vs);
    ok &= GC("var dim 0 of a strided leaf", f_var_dim, &d0, 2, vs);
    prm sp = { .s = { 1, 20 } };
    ok &= GC("softplus beta 1 (large x linear)", f_softplus, &sp, 2, R(21, 25, 3));
    return ok;
}

/* negative control: a wrong derivative (x * detach(x) has grad x, not 2x) must fail gradcheck */
FN(wrong, nb_mul(x[0], nb_detach(x[0])))
static bool catches_wrong_grad(void) {
    nb_scope s = nb_scope_begin();
    prm p = { 0 };
    bool caught = !nb_gradcheck(f_wrong, &p, 1, (nb_tensor *[]){ R(0.5, 2, 3) },
                                (nb_gradcheck_opts){ .quiet = true });
    nb_scope_end(s);
    nb_clear_error();
    return caught;
}

int main(void) {
    nb_manual_seed(1234);
    CHECK(catches_wrong_grad());
    for (int op = 0; op < NBA_OP_COUNT; op++) {
        cur_op = nba_op_names[op];
        nb_scope s = nb_scope_begin();
        bool ok = registry[op](nba_op_order[op]);
        nb_scope_end(s);
        tl_check(ok, cur_op, __FILE__, __LINE__);
    }
    nb_scope s = nb_scope_begin();
    CHECK(composites());
    CHECK(helper_composites());
    nb_scope_end(s);
    printf("%d ops in the table; %d gradchecks, %d gradgradchecks\n", NBA_OP_COUNT, nchecks, ngg);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
