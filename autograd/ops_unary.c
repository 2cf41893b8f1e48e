/* ops_unary.c — elementwise unary ops. Each: forward kernel + record, and right below it the
 * backward rule written with nabla ops (differentiable again, so Hessians and Newton work). */
#include "nba_tape.h"
#include "nb_helpers.h"
#include <math.h>

static nb_tensor *unary(nba_opcode op, nbt_unary_kind k, nb_tensor *x, double a, double b, const char *name,
                        uint32_t saved) {
    NBA_CHECK(name, x);
    nb_tensor *y = nbt_unary(k, x, a, b);
    nba_node *n = nba_record(op, y, 1, &x, saved);
    if (n) {
        n->s[0] = a;
        n->s[1] = b;
    }
    return y;
}
#define X nba_in(n, 0)
#define Y (n->out)
#define OUT NBA_SAVE_OUT

/* y = -x; dx = -g */
nb_tensor *nb_neg(nb_tensor *x) { return unary(NBA_OP_neg, NBT_NEG, x, 0, 0, "nb_neg", NBA_SAVE_NONE); }
void nba_bw_neg(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    (void)n;
    gin[0] = nb_neg(g);
}

/* y = e^x; dx = g y */
nb_tensor *nb_exp(nb_tensor *x) { return unary(NBA_OP_exp, NBT_EXP, x, 0, 0, "nb_exp", OUT); }
void nba_bw_exp(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_mul(g, Y); }

/* y = ln x; dx = g / x */
nb_tensor *nb_log(nb_tensor *x) { return unary(NBA_OP_log, NBT_LOG, x, 0, 0, "nb_log", NBA_SAVE_IN(0)); }
void nba_bw_log(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_div(g, X); }

/* y = ln(1 + x); dx = g / (1 + x) */
nb_tensor *nb_log1p(nb_tensor *x) {
    return unary(NBA_OP_log1p, NBT_LOG1P, x, 0, 0, "nb_log1p", NBA_SAVE_IN(0));
}
void nba_bw_log1p(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_div(g, nb_add_scalar(X, 1)); }

/* y = sqrt x; dx = g / (2 y) */
nb_tensor *nb_sqrt(nb_tensor *x) { return unary(NBA_OP_sqrt, NBT_SQRT, x, 0, 0, "nb_sqrt", OUT); }
void nba_bw_sqrt(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_div(g, nb_mul_scalar(Y, 2)); }

/* y = x^-1/2; dx = -g y^3 / 2 */
nb_tensor *nb_rsqrt(nb_tensor *x) { return unary(NBA_OP_rsqrt, NBT_RSQRT, x, 0, 0, "nb_rsqrt", OUT); }
void nba_bw_rsqrt(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = nb_mul(g, nb_mul_scalar(nb_pow_scalar(Y, 3), -0.5));
}

/* y = x^2; dx = 2 g x */
nb_tensor *nb_square(nb_tensor *x) {
    return unary(NBA_OP_square, NBT_SQUARE, x, 0, 0, "nb_square", NBA_SAVE_IN(0));
}
void nba_bw_square(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = nba_mul_tmp(g, nb_mul_scalar(X, 2));
}

/* y = |x|; dx = g sign(x) */
nb_tensor *nb_abs(nb_tensor *x) { return unary(NBA_OP_abs, NBT_ABS, x, 0, 0, "nb_abs", NBA_SAVE_IN(0)); }
void nba_bw_abs(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_mul(g, nb_sign(X)); }

/* y = sin x; dx = g cos x */
nb_tensor *nb_sin(nb_tensor *x) { return unary(NBA_OP_sin, NBT_SIN, x, 0, 0, "nb_sin", NBA_SAVE_IN(0)); }
void nba_bw_sin(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nba_mul_tmp(g, nb_cos(X)); }

/* y = cos x; dx = -g sin x */
nb_tensor *nb_cos(nb_tensor *x) { return unary(NBA_OP_cos, NBT_COS, x, 0, 0, "nb_cos", NBA_SAVE_IN(0)); }
void nba_bw_cos(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *s = nb_sin(X);
    if (s && !nb_is_grad_enabled() && nbt_unary_into(NBT_NEG, s, s, 0, 0) == NB_OK)
        gin[0] = nba_mul_tmp(g, s);
    else
        gin[0] = nb_mul(g, nb_neg(s));
}

/* y = tan x; dx = g (1 + y^2) */
nb_tensor *nb_tan(nb_tensor *x) { return unary(NBA_OP_tan, NBT_TAN, x, 0, 0, "nb_tan", OUT); }
void nba_bw_tan(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = nb_mul(g, nb_add_scalar(nb_square(Y), 1));
}

/* y = sinh x; dx = g cosh x */
nb_tensor *nb_sinh(nb_tensor *x) { return unary(NBA_OP_sinh, NBT_SINH, x, 0, 0, "nb_sinh", NBA_SAVE_IN(0)); }
void nba_bw_sinh(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_mul(g, nb_cosh(X)); }

/* y = cosh x; dx = g sinh x */
nb_tensor *nb_cosh(nb_tensor *x) { return unary(NBA_OP_cosh, NBT_COSH, x, 0, 0, "nb_cosh", NBA_SAVE_IN(0)); }
void nba_bw_cosh(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_mul(g, nb_sinh(X)); }

/* y = tanh x; dx = g (1 - y^2) */
nb_tensor *nb_tanh(nb_tensor *x) { return unary(NBA_OP_tanh, NBT_TANH, x, 0, 0, "nb_tanh", OUT); }
void nba_bw_tanh(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = nb_mul(g, nb_rsub_scalar(nb_square(Y), 1));
}

/* y = 1 / (1 + e^-x); dx = g y (1 - y) */
nb_tensor *nb_sigmoid(nb_tensor *x) { return unary(NBA_OP_sigmoid, NBT_SIGMOID, x, 0, 0, "nb_sigmoid", OUT); }
void nba_bw_sigmoid(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = nb_mul(g, nb_mul(Y, nb_rsub_scalar(Y, 1)));
}

/* y = max(x, 0); dx = torch's threshold_backward(g, y, 0): y <= 0 ? 0 : g (a NaN y passes g) */
nb_tensor *nb_relu(nb_tensor *x) { return unary(NBA_OP_relu, NBT_RELU, x, 0, 0, "nb_relu", OUT); }
void nba_bw_relu(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (!nb_is_grad_enabled()) { /* one pass, without a mask tensor */
        gin[0] = nbt_binary(NBT_RELU_BW, g, Y, "nb_relu backward");
        return;
    }
    /* recording (create_graph): the same values as a where, whose other branch y * 0 (exactly 0 where it is
     * taken) keeps the gradient connected to x with derivative 0, as torch's (grad-of-grad: zeros) */
    nb_tensor *keep = nb_add(nb_gt_scalar(Y, 0), nb_ne(Y, Y)); /* y > 0 or NaN */
    gin[0] = nb_where(keep, g, nb_mul_scalar(Y, 0));
}

/* y = x > 0 ? x : a x; dx = g (x > 0 ? 1 : a) */
nb_tensor *nb_leaky_relu(nb_tensor *x, double slope) {
    return unary(NBA_OP_leaky_relu, NBT_LEAKY_RELU, x, slope, 0, "nb_leaky_relu", NBA_SAVE_IN(0));
}
void nba_bw_leaky_relu(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    /* d = a + (1 - a) [x > 0]; recording, [x > 0] = sign(relu(x)) keeps d a function of x with derivative
     * 0 (torch's leaky_relu_backward(g, x, a) is differentiable in x: grad-of-grad gives zeros, no error) */
    nb_tensor *pos = nb_is_grad_enabled() ? nb_sign(nb_relu(X)) : nb_gt_scalar(X, 0);
    gin[0] = nb_mul(g, nb_add_scalar(nb_mul_scalar(pos, 1 - n->s[0]), n->s[0]));
}

/* y = x Phi(x); dx = g (Phi(x) + x phi(x)) */
nb_tensor *nb_gelu(nb_tensor *x) { return unary(NBA_OP_gelu, NBT_GELU, x, 0, 0, "nb_gelu", NBA_SAVE_IN(0)); }
void nba_bw_gelu(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (!nb_is_grad_enabled() && g->dtype == X->dtype) { /* first order: the same steps in one pass */
        gin[0] = nbt_binary(NBT_GELU_BW, g, X, "nb_gelu backward");
        return;
    }
    nb_tensor *cdf = nb_mul_scalar(nb_add_scalar(nb_erf(nb_mul_scalar(X, M_SQRT1_2)), 1), 0.5);
    nb_tensor *pdf = nb_mul_scalar(nb_exp(nb_mul_scalar(nb_square(X), -0.5)), 0.3989422804014327);
    gin[0] = nb_mul(g, nb_add(cdf, nb_mul(X, pdf)));
}

/* y = x/2 (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2/pi); dx from the chain rule */
nb_tensor *nb_gelu_tanh(nb_tensor *x) {
    return unary(NBA_OP_gelu_tanh, NBT_GELU_TANH, x, 0, 0, "nb_gelu_tanh", NBA_SAVE_IN(0));
}
void nba_bw_gelu_tanh(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    const double k = 0.7978845608028654, c = 0.044715;
    nb_tensor *x2 = nb_square(X);
    nb_tensor *inner = nb_mul_scalar(nb_add(X, nb_mul_scalar(nb_mul(x2, X), c)), k);
    nb_tensor *t = nb_tanh(inner);
    nb_tensor *dinner = nb_mul_scalar(nb_add_scalar(nb_mul_scalar(x2, 3 * c), 1), k);
    nb_tensor *left = nb_mul_scalar(nb_add_scalar(t, 1), 0.5);
    nb_tensor *right = nb_mul(nb_mul_scalar(X, 0.5), nb_mul(nb_rsub_scalar(nb_square(t), 1), dinner));
    gin[0] = nb_mul(g, nb_add(left, right));
}

/* y = log(1 + e^(b x)) / b (x where b x > threshold); dx = g sigmoid(b x) (g above threshold) */
nb_tensor *nb_softplus(nb_tensor *x, double beta, double threshold) {
    if (beta == 0) beta = 1;                                         /* torch's defaults */
    if (threshold == 0) threshold = signbit(threshold) ? 0.0 : 20.0; /* NB_ZERO: an explicit 0 */
    return unary(NBA_OP_softplus, NBT_SOFTPLUS, x, beta, threshold, "nb_softplus", NBA_SAVE_IN(0));
}
void nba_bw_softplus(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *bx = nb_mul_scalar(X, n->s[0]);
    nb_tensor *lin = nb_gt_scalar(bx, n->s[1]);
    gin[0] = nb_mul(g, nb_where(lin, nb_ones_like(bx), nb_sigmoid(bx)));
}

/* y = min(max(x, lo), hi); dx = g [lo <= x <= hi] */
nb_tensor *nb_clamp(nb_tensor *x, double lo, double hi) {
    if (isnan(lo) || isnan(hi))
        return nbt_error("nb_clamp: bounds must not be NaN (use -INFINITY/INFINITY for none)");
    return unary(NBA_OP_clamp, NBT_CLAMP, x, lo, hi, "nb_clamp", NBA_SAVE_IN(0));
}
void nba_bw_clamp(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *in = nb_mul(nb_rsub_scalar(nb_lt_scalar(X, n->s[0]), 1),
                           nb_rsub_scalar(nb_gt_scalar(X, n->s[1]), 1));
    gin[0] = nb_mul(g, in);
}

/* y = erf x; dx = g 2/sqrt(pi) e^(-x^2) */
nb_tensor *nb_erf(nb_tensor *x) { return unary(NBA_OP_erf, NBT_ERF, x, 0, 0, "nb_erf", NBA_SAVE_IN(0)); }
void nba_bw_erf(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = nb_mul(g, nb_mul_scalar(nb_exp(nb_neg(nb_square(X))), 1.1283791670955126));
}

/* y = sign(x); dx = 0 (piecewise constant, like torch's SignBackward0) */
nb_tensor *nb_sign(nb_tensor *x) { return unary(NBA_OP_sign, NBT_SIGN, x, 0, 0, "nb_sign", NBA_SAVE_NONE); }
void nba_bw_sign(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    (void)n;
    gin[0] = nb_zeros_like(g);
}

/* ---- issue 12 helpers (declared in nb_helpers.h) ---- */
/* y = atan x; dx = g / (1 + x^2) */
nb_tensor *nb_atan(nb_tensor *x) { return unary(NBA_OP_atan, NBT_ATAN, x, 0, 0, "nb_atan", 1); }
void nba_bw_atan(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = nb_div(g, nb_add_scalar(nb_square(X), 1));
}
/* y = 1 / x (torch.reciprocal, grad_fn ReciprocalBackward0); dx = -g y^2 */
nb_tensor *nb_reciprocal(nb_tensor *x) {
    NBT_API("nb_reciprocal");
    NBA_CHECK("nb_reciprocal", x);
    return nb_rdiv_scalar(x, 1.0);
}
