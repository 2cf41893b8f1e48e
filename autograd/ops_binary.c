/* ops_binary.c — broadcasting binary ops (+ - * / pow minimum maximum where), their scalar
 * variants and comparisons. Each op: forward kernel, record, and right below it the backward rule
 * written with nabla ops (so it is differentiable again); grads are summed back to input shapes. */
#include "nbi_tape.h"
#include "nb_helpers.h"
#include <math.h>

static nb_tensor *binary(nbi_opcode op, nbk_binary_kind k, nb_tensor *a, nb_tensor *b, const char *name,
                         uint32_t saved) {
    NBI_CHECK(name, a, b);
    nb_tensor *y = nbk_binary(k, a, b, name);
    nbi_record(op, y, 2, (nb_tensor *[]){ a, b }, saved);
    return y;
}

nb_tensor *nbi_sum_to(nb_tensor *g, const nb_tensor *t) {
    if (!g) return NULL;
    if (!nbi_same_shape(g, t)) g = nb_sum_to_size(g, t->ndim, t->shape);
    if (g && g->dtype != t->dtype && nbi_is_float(t->dtype)) g = nb_to(g, t->dtype);
    return g;
}
nb_tensor *nbi_mul_tmp(nb_tensor *g, nb_tensor *t) {
    if (g && t && t != g && !nb_is_grad_enabled() && t->dtype == g->dtype && nbi_same_shape(t, g) &&
        !t->node && t->storage->refcount == 1 && nb_is_contiguous(t))
        return nbk_binary_into(NBK_MUL, t, t, g, "nb_mul") == NB_OK ? t : NULL;
    return nb_mul(g, t);
}
#define A nbi_in(n, 0)
#define B nbi_in(n, 1)
#define Y (n->out)

/* y = a + b; da = g, db = g */
nb_tensor *nb_add(nb_tensor *a, nb_tensor *b) {
    return binary(NBI_OP_add, NBK_ADD, a, b, "nb_add", NBI_SAVE_NONE);
}
void nbi_bw_add(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nbi_need(n, 0)) gin[0] = nbi_sum_to(g, A);
    if (nbi_need(n, 1)) gin[1] = nbi_sum_to(g, B);
}

/* y = a - b; da = g, db = -g */
nb_tensor *nb_sub(nb_tensor *a, nb_tensor *b) {
    return binary(NBI_OP_sub, NBK_SUB, a, b, "nb_sub", NBI_SAVE_NONE);
}
void nbi_bw_sub(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nbi_need(n, 0)) gin[0] = nbi_sum_to(g, A);
    if (nbi_need(n, 1)) gin[1] = nbi_sum_to(nb_neg(g), B);
}

/* y = a * b; da = g b, db = g a */
nb_tensor *nb_mul(nb_tensor *a, nb_tensor *b) {
    return binary(NBI_OP_mul, NBK_MUL, a, b, "nb_mul", NBI_SAVE_IN(0) | NBI_SAVE_IN(1));
}
void nbi_bw_mul(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nbi_need(n, 0)) gin[0] = nbi_sum_to(nb_mul(g, B), A);
    if (nbi_need(n, 1)) gin[1] = nbi_sum_to(nb_mul(g, A), B);
}

/* y = a / b; da = g / b, db = -g a / b^2 */
nb_tensor *nb_div(nb_tensor *a, nb_tensor *b) {
    return binary(NBI_OP_div, NBK_DIV, a, b, "nb_div", NBI_SAVE_IN(0) | NBI_SAVE_IN(1));
}
void nbi_bw_div(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nbi_need(n, 0)) gin[0] = nbi_sum_to(nb_div(g, B), A);
    if (nbi_need(n, 1)) gin[1] = nbi_sum_to(nb_neg(nb_div(nb_mul(g, A), nb_mul(B, B))), B);
}

/* y = a ^ b; da = g b a^(b-1) (0 where b == 0), db = g y log a (0 where a == 0 and b >= 0, like torch) */
nb_tensor *nb_pow(nb_tensor *a, nb_tensor *b) {
    return binary(NBI_OP_pow, NBK_POW, a, b, "nb_pow", NBI_SAVE_IN(0) | NBI_SAVE_IN(1) | NBI_SAVE_OUT);
}
void nbi_bw_pow(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nbi_need(n, 0)) /* 0 where b == 0 (torch), not 0 * 0^-1 = NaN */
        gin[0] = nbi_sum_to(
            nb_masked_fill(nb_mul(g, nb_mul(B, nb_pow(A, nb_sub_scalar(B, 1)))), nb_eq_scalar(B, 0), 0), A);
    if (nbi_need(n, 1)) {
        nb_tensor *mask = nb_mul(nb_eq_scalar(A, 0), nb_ge(B, nb_zeros_like(B)));
        nb_tensor *d = nb_mul(Y, nb_log(A));
        gin[1] = nbi_sum_to(nb_mul(g, nb_masked_fill(d, mask, 0)), B);
    }
}

/* y = min(a, b) / max(a, b); the grad goes to the chosen side, split 1/2 on ties (torch) */
static void minmax_bw(nbi_node *n, nb_tensor *g, nb_tensor **gin, bool is_max) {
    nb_tensor *wa = is_max ? nb_gt(A, B) : nb_lt(A, B);
    nb_tensor *half = nb_mul_scalar(nb_eq(A, B), 0.5);
    wa = nb_add(wa, half); /* 1 where a wins, 1/2 on ties, 0 else */
    if (nbi_need(n, 0)) gin[0] = nbi_sum_to(nb_mul(g, wa), A);
    if (nbi_need(n, 1)) gin[1] = nbi_sum_to(nb_mul(g, nb_rsub_scalar(wa, 1)), B);
}
nb_tensor *nb_minimum(nb_tensor *a, nb_tensor *b) {
    return binary(NBI_OP_minimum, NBK_MINIMUM, a, b, "nb_minimum", NBI_SAVE_IN(0) | NBI_SAVE_IN(1));
}
void nbi_bw_minimum(nbi_node *n, nb_tensor *g, nb_tensor **gin) { minmax_bw(n, g, gin, false); }
nb_tensor *nb_maximum(nb_tensor *a, nb_tensor *b) {
    return binary(NBI_OP_maximum, NBK_MAXIMUM, a, b, "nb_maximum", NBI_SAVE_IN(0) | NBI_SAVE_IN(1));
}
void nbi_bw_maximum(nbi_node *n, nb_tensor *g, nb_tensor **gin) { minmax_bw(n, g, gin, true); }

/* y = cond ? a : b; da = where(cond, g, 0), db = where(cond, 0, g) */
nb_tensor *nb_where(nb_tensor *cond, nb_tensor *a, nb_tensor *b) {
    NBI_CHECK("nb_where", cond, a, b);
    nb_tensor *y = nbk_where(cond, a, b, "nb_where");
    nbi_record(NBI_OP_where, y, 3, (nb_tensor *[]){ cond, a, b }, NBI_SAVE_IN(0));
    return y;
}
void nbi_bw_where(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *c = nbi_in(n, 0);
    nb_tensor *z = nb_zeros_like(g);
    if (nbi_need(n, 0)) gin[0] = NBI_GRAD_ZERO; /* the condition selects; it has no gradient */
    if (nbi_need(n, 1)) gin[1] = nbi_sum_to(nb_where(c, g, z), nbi_in(n, 1));
    if (nbi_need(n, 2)) gin[2] = nbi_sum_to(nb_where(c, z, g), nbi_in(n, 2));
}

/* ---- scalar variants ---- */
static nb_tensor *scalar_op(nbi_opcode op, nbk_unary_kind k, nb_tensor *x, double s, const char *name,
                            uint32_t saved) {
    NBI_CHECK(name, x);
    nb_tensor *y = nbk_unary(k, x, s, 0);
    nbi_node *n = nbi_record(op, y, 1, &x, saved);
    if (n) n->s[0] = s;
    return y;
}
#define S (n->s[0])

/* y = x + s; dx = g */
nb_tensor *nb_add_scalar(nb_tensor *x, double s) {
    return scalar_op(NBI_OP_add_s, NBK_ADD_S, x, s, "nb_add_scalar", NBI_SAVE_NONE);
}
nb_tensor *nb_sub_scalar(nb_tensor *x, double s) {
    return nbi_label(scalar_op(NBI_OP_add_s, NBK_ADD_S, x, -s, "nb_sub_scalar", NBI_SAVE_NONE), x,
                     "SubBackward0");
}
void nbi_bw_add_s(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    (void)n;
    gin[0] = g;
}

/* y = s - x; dx = -g */
nb_tensor *nb_rsub_scalar(nb_tensor *x, double s) {
    return scalar_op(NBI_OP_rsub_s, NBK_RSUB_S, x, s, "nb_rsub_scalar", NBI_SAVE_NONE);
}
void nbi_bw_rsub_s(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    (void)n;
    gin[0] = nb_neg(g);
}

/* y = x s; dx = g s */
nb_tensor *nb_mul_scalar(nb_tensor *x, double s) {
    return scalar_op(NBI_OP_mul_s, NBK_MUL_S, x, s, "nb_mul_scalar", NBI_SAVE_NONE);
}
void nbi_bw_mul_s(nbi_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_mul_scalar(g, S); }

/* y = x / s; dx = g / s */
nb_tensor *nb_div_scalar(nb_tensor *x, double s) {
    return scalar_op(NBI_OP_div_s, NBK_DIV_S, x, s, "nb_div_scalar", NBI_SAVE_NONE);
}
void nbi_bw_div_s(nbi_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_div_scalar(g, S); }

/* y = s / x; dx = -g s / x^2 */
nb_tensor *nb_rdiv_scalar(nb_tensor *x, double s) {
    return scalar_op(NBI_OP_rdiv_s, NBK_RDIV_S, x, s, "nb_rdiv_scalar", NBI_SAVE_IN(0));
}
void nbi_bw_rdiv_s(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = nb_neg(nb_div(nb_mul_scalar(g, S), nb_square(A)));
}

/* y = x ^ s; dx = g s x^(s-1) (0 when s == 0) */
nb_tensor *nb_pow_scalar(nb_tensor *x, double s) {
    return scalar_op(NBI_OP_pow_s, NBK_POW_S, x, s, "nb_pow_scalar", NBI_SAVE_IN(0));
}
void nbi_bw_pow_s(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    if (S == 0)
        gin[0] = nb_zeros_like(g);
    else if (S == 1)
        gin[0] = g;
    else if (S == 2)
        gin[0] = nbi_mul_tmp(g, nb_mul_scalar(A, 2));
    else if (nb_is_grad_enabled())
        gin[0] = nb_mul(g, nb_mul_scalar(nb_pow_scalar(A, S - 1), S));
    else { /* not recording: s a^(s-1) in the one temporary, then g times it */
        nb_tensor *t = nb_pow_scalar(A, S - 1);
        gin[0] = t && nbk_unary_into(NBK_MUL_S, t, t, S, 0) == NB_OK ? nbi_mul_tmp(g, t) : NULL;
    }
}

/* y = s ^ x; dx = g y log s */
nb_tensor *nb_rpow_scalar(nb_tensor *x, double s) {
    return scalar_op(NBI_OP_rpow_s, NBK_RPOW_S, x, s, "nb_rpow_scalar", NBI_SAVE_OUT);
}
void nbi_bw_rpow_s(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = S == 0 ? nb_zeros_like(g) : nb_mul(g, nb_mul_scalar(Y, log(S)));
}

/* ---- comparisons: not differentiable, never recorded ---- */
#define CMP(name, K)                                                                                         \
    nb_tensor *name(nb_tensor *a, nb_tensor *b) {                                                            \
        NBI_CHECK(#name, a, b);                                                                              \
        return nbk_binary(K, a, b, #name);                                                                   \
    }
CMP(nb_eq, NBK_EQ)
CMP(nb_ne, NBK_NE)
CMP(nb_lt, NBK_LT)
CMP(nb_le, NBK_LE)
CMP(nb_gt, NBK_GT)
CMP(nb_ge, NBK_GE)
#define CMPS(name, K)                                                                                        \
    nb_tensor *name(nb_tensor *a, double s) {                                                                \
        NBI_CHECK(#name, a);                                                                                 \
        return nbk_unary(K, a, s, 0);                                                                        \
    }
CMPS(nb_eq_scalar, NBK_EQ_S)
CMPS(nb_lt_scalar, NBK_LT_S)
CMPS(nb_gt_scalar, NBK_GT_S)
/* issue 12 (nb_helpers.h) */
CMPS(nb_ne_scalar, NBK_NE_S)
CMPS(nb_le_scalar, NBK_LE_S)
CMPS(nb_ge_scalar, NBK_GE_S)
