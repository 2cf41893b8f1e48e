/* ops_binary.c — broadcasting binary ops (+ - * / pow minimum maximum where), their scalar
 * variants and comparisons. Each op: forward kernel, record, and right below it the backward rule
 * written with nabla ops (so it is differentiable again); grads are summed back to input shapes. */
#include "nba_tape.h"
#include "nb_helpers.h"
#include <math.h>

static nb_tensor *binary(nba_opcode op, nbt_binary_kind k, nb_tensor *a, nb_tensor *b, const char *name,
                         uint32_t saved) {
    NBA_CHECK(name, a, b);
    nb_tensor *y = nbt_binary(k, a, b, name);
    nba_record(op, y, 2, (nb_tensor *[]){ a, b }, saved);
    return y;
}

nb_tensor *nba_sum_to(nb_tensor *g, const nb_tensor *t) {
    if (!g) return NULL;
    if (!nbt_same_shape(g, t)) g = nb_sum_to_size(g, t->ndim, t->shape);
    if (g && g->dtype != t->dtype && nbt_is_float(t->dtype)) g = nb_to(g, t->dtype);
    return g;
}
nb_tensor *nba_mul_tmp(nb_tensor *g, nb_tensor *t) {
    if (g && t && t != g && !nb_is_grad_enabled() && t->dtype == g->dtype && nbt_same_shape(t, g) &&
        !t->node && t->storage->refcount == 1 && nb_is_contiguous(t))
        return nbt_binary_into(NBT_MUL, t, t, g, "nb_mul") == NB_OK ? t : NULL;
    return nb_mul(g, t);
}
#define A nba_in(n, 0)
#define B nba_in(n, 1)
#define Y (n->out)

/* y = a + b; da = g, db = g */
nb_tensor *nb_add(nb_tensor *a, nb_tensor *b) {
    return binary(NBA_OP_add, NBT_ADD, a, b, "nb_add", NBA_SAVE_NONE);
}
void nba_bw_add(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nba_need(n, 0)) gin[0] = nba_sum_to(g, A);
    if (nba_need(n, 1)) gin[1] = nba_sum_to(g, B);
}

/* y = a - b; da = g, db = -g */
nb_tensor *nb_sub(nb_tensor *a, nb_tensor *b) {
    return binary(NBA_OP_sub, NBT_SUB, a, b, "nb_sub", NBA_SAVE_NONE);
}
void nba_bw_sub(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nba_need(n, 0)) gin[0] = nba_sum_to(g, A);
    if (nba_need(n, 1)) gin[1] = nba_sum_to(nb_neg(g), B);
}

/* y = a * b; da = g b, db = g a */
nb_tensor *nb_mul(nb_tensor *a, nb_tensor *b) {
    return binary(NBA_OP_mul, NBT_MUL, a, b, "nb_mul", NBA_SAVE_IN(0) | NBA_SAVE_IN(1));
}
void nba_bw_mul(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nba_need(n, 0)) gin[0] = nba_sum_to(nb_mul(g, B), A);
    if (nba_need(n, 1)) gin[1] = nba_sum_to(nb_mul(g, A), B);
}

/* y = a / b; da = g / b, db = -g a / b^2 */
nb_tensor *nb_div(nb_tensor *a, nb_tensor *b) {
    return binary(NBA_OP_div, NBT_DIV, a, b, "nb_div", NBA_SAVE_IN(0) | NBA_SAVE_IN(1));
}
void nba_bw_div(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nba_need(n, 0)) gin[0] = nba_sum_to(nb_div(g, B), A);
    if (nba_need(n, 1)) gin[1] = nba_sum_to(nb_neg(nb_div(nb_mul(g, A), nb_mul(B, B))), B);
}

/* y = a ^ b; da = g b a^(b-1) (0 where b == 0), db = g y log a (0 where a == 0 and b >= 0, like torch) */
nb_tensor *nb_pow(nb_tensor *a, nb_tensor *b) {
    return binary(NBA_OP_pow, NBT_POW, a, b, "nb_pow", NBA_SAVE_IN(0) | NBA_SAVE_IN(1) | NBA_SAVE_OUT);
}
void nba_bw_pow(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nba_need(n, 0)) /* 0 where b == 0 (torch), not 0 * 0^-1 = NaN */
        gin[0] = nba_sum_to(
            nb_masked_fill(nb_mul(g, nb_mul(B, nb_pow(A, nb_sub_scalar(B, 1)))), nb_eq_scalar(B, 0), 0), A);
    if (nba_need(n, 1)) {
        nb_tensor *mask = nb_mul(nb_eq_scalar(A, 0), nb_ge(B, nb_zeros_like(B)));
        nb_tensor *d = nb_mul(Y, nb_log(A));
        gin[1] = nba_sum_to(nb_mul(g, nb_masked_fill(d, mask, 0)), B);
    }
}

/* y = min(a, b) / max(a, b); the grad goes to the chosen side, split 1/2 on ties (torch) */
static void minmax_bw(nba_node *n, nb_tensor *g, nb_tensor **gin, bool is_max) {
    nb_tensor *wa = is_max ? nb_gt(A, B) : nb_lt(A, B);
    nb_tensor *half = nb_mul_scalar(nb_eq(A, B), 0.5);
    wa = nb_add(wa, half); /* 1 where a wins, 1/2 on ties, 0 else */
    if (nba_need(n, 0)) gin[0] = nba_sum_to(nb_mul(g, wa), A);
    if (nba_need(n, 1)) gin[1] = nba_sum_to(nb_mul(g, nb_rsub_scalar(wa, 1)), B);
}
nb_tensor *nb_minimum(nb_tensor *a, nb_tensor *b) {
    return binary(NBA_OP_minimum, NBT_MINIMUM, a, b, "nb_minimum", NBA_SAVE_IN(0) | NBA_SAVE_IN(1));
}
void nba_bw_minimum(nba_node *n, nb_tensor *g, nb_tensor **gin) { minmax_bw(n, g, gin, false); }
nb_tensor *nb_maximum(nb_tensor *a, nb_tensor *b) {
    return binary(NBA_OP_maximum, NBT_MAXIMUM, a, b, "nb_maximum", NBA_SAVE_IN(0) | NBA_SAVE_IN(1));
}
void nba_bw_maximum(nba_node *n, nb_tensor *g, nb_tensor **gin) { minmax_bw(n, g, gin, true); }

/* y = cond ? a : b; da = where(cond, g, 0), db = where(cond, 0, g) */
nb_tensor *nb_where(nb_tensor *cond, nb_tensor *a, nb_tensor *b) {
    NBA_CHECK("nb_where", cond, a, b);
    nb_tensor *y = nbt_where(cond, a, b, "nb_where");
    nba_record(NBA_OP_where, y, 3, (nb_tensor *[]){ cond, a, b }, NBA_SAVE_IN(0));
    return y;
}
void nba_bw_where(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *c = nba_in(n, 0);
    nb_tensor *z = nb_zeros_like(g);
    if (nba_need(n, 0)) gin[0] = NBA_GRAD_ZERO; /* the condition selects; it has no gradient */
    if (nba_need(n, 1)) gin[1] = nba_sum_to(nb_where(c, g, z), nba_in(n, 1));
    if (nba_need(n, 2)) gin[2] = nba_sum_to(nb_where(c, z, g), nba_in(n, 2));
}

/* ---- scalar variants ---- */
static nb_tensor *scalar_op(nba_opcode op, nbt_unary_kind k, nb_tensor *x, double s, const char *name,
                            uint32_t saved) {
    NBA_CHECK(name, x);
    nb_tensor *y = nbt_unary(k, x, s, 0);
    nba_node *n = nba_record(op, y, 1, &x, saved);
    if (n) n->s[0] = s;
    return y;
}
#define S (n->s[0])

/* y = x + s; dx = g */
nb_tensor *nb_add_scalar(nb_tensor *x, double s) {
    return scalar_op(NBA_OP_add_s, NBT_ADD_S, x, s, "nb_add_scalar", NBA_SAVE_NONE);
}
nb_tensor *nb_sub_scalar(nb_tensor *x, double s) {
    return nba_label(scalar_op(NBA_OP_add_s, NBT_ADD_S, x, -s, "nb_sub_scalar", NBA_SAVE_NONE), x,
                     "SubBackward0");
}
void nba_bw_add_s(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    (void)n;
    gin[0] = g;
}

/* y = s - x; dx = -g */
nb_tensor *nb_rsub_scalar(nb_tensor *x, double s) {
    return scalar_op(NBA_OP_rsub_s, NBT_RSUB_S, x, s, "nb_rsub_scalar", NBA_SAVE_NONE);
}
void nba_bw_rsub_s(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    (void)n;
    gin[0] = nb_neg(g);
}

/* y = x s; dx = g s */
nb_tensor *nb_mul_scalar(nb_tensor *x, double s) {
    return scalar_op(NBA_OP_mul_s, NBT_MUL_S, x, s, "nb_mul_scalar", NBA_SAVE_NONE);
}
void nba_bw_mul_s(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_mul_scalar(g, S); }

/* y = x / s; dx = g / s */
nb_tensor *nb_div_scalar(nb_tensor *x, double s) {
    return scalar_op(NBA_OP_div_s, NBT_DIV_S, x, s, "nb_div_scalar", NBA_SAVE_NONE);
}
void nba_bw_div_s(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_div_scalar(g, S); }

/* y = s / x; dx = -g s / x^2 */
nb_tensor *nb_rdiv_scalar(nb_tensor *x, double s) {
    return scalar_op(NBA_OP_rdiv_s, NBT_RDIV_S, x, s, "nb_rdiv_scalar", NBA_SAVE_IN(0));
}
void nba_bw_rdiv_s(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = nb_neg(nb_div(nb_mul_scalar(g, S), nb_square(A)));
}

/* y = x ^ s; dx = g s x^(s-1) (0 when s == 0) */
nb_tensor *nb_pow_scalar(nb_tensor *x, double s) {
    return scalar_op(NBA_OP_pow_s, NBT_POW_S, x, s, "nb_pow_scalar", NBA_SAVE_IN(0));
}
void nba_bw_pow_s(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (S == 0)
        gin[0] = nb_zeros_like(g);
    else if (S == 1)
        gin[0] = g;
    else if (S == 2)
        gin[0] = nba_mul_tmp(g, nb_mul_scalar(A, 2));
    else if (nb_is_grad_enabled())
        gin[0] = nb_mul(g, nb_mul_scalar(nb_pow_scalar(A, S - 1), S));
    else { /* not recording: s a^(s-1) in the one temporary, then g times it */
        nb_tensor *t = nb_pow_scalar(A, S - 1);
        gin[0] = t && nbt_unary_into(NBT_MUL_S, t, t, S, 0) == NB_OK ? nba_mul_tmp(g, t) : NULL;
    }
}

/* y = s ^ x; dx = g y log s */
nb_tensor *nb_rpow_scalar(nb_tensor *x, double s) {
    return scalar_op(NBA_OP_rpow_s, NBT_RPOW_S, x, s, "nb_rpow_scalar", NBA_SAVE_OUT);
}
void nba_bw_rpow_s(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    gin[0] = S == 0 ? nb_zeros_like(g) : nb_mul(g, nb_mul_scalar(Y, log(S)));
}

/* ---- comparisons: not differentiable, never recorded ---- */
/* a comparison a <op> b (kind k), named name in messages */
static nb_tensor *compare(nbt_binary_kind k, nb_tensor *a, nb_tensor *b, const char *name) {
    NBA_CHECK(name, a, b);
    return nbt_binary(k, a, b, name);
}
/* a comparison a <op> s with a scalar (kind k) */
static nb_tensor *compare_s(nbt_unary_kind k, nb_tensor *a, double s, const char *name) {
    NBA_CHECK(name, a);
    return nbt_unary(k, a, s, 0);
}
nb_tensor *nb_eq(nb_tensor *a, nb_tensor *b) { return compare(NBT_EQ, a, b, "nb_eq"); }
nb_tensor *nb_ne(nb_tensor *a, nb_tensor *b) { return compare(NBT_NE, a, b, "nb_ne"); }
nb_tensor *nb_lt(nb_tensor *a, nb_tensor *b) { return compare(NBT_LT, a, b, "nb_lt"); }
nb_tensor *nb_le(nb_tensor *a, nb_tensor *b) { return compare(NBT_LE, a, b, "nb_le"); }
nb_tensor *nb_gt(nb_tensor *a, nb_tensor *b) { return compare(NBT_GT, a, b, "nb_gt"); }
nb_tensor *nb_ge(nb_tensor *a, nb_tensor *b) { return compare(NBT_GE, a, b, "nb_ge"); }
nb_tensor *nb_eq_scalar(nb_tensor *a, double s) { return compare_s(NBT_EQ_S, a, s, "nb_eq_scalar"); }
nb_tensor *nb_lt_scalar(nb_tensor *a, double s) { return compare_s(NBT_LT_S, a, s, "nb_lt_scalar"); }
nb_tensor *nb_gt_scalar(nb_tensor *a, double s) { return compare_s(NBT_GT_S, a, s, "nb_gt_scalar"); }
/* declared in nb_helpers.h */
nb_tensor *nb_ne_scalar(nb_tensor *a, double s) { return compare_s(NBT_NE_S, a, s, "nb_ne_scalar"); }
nb_tensor *nb_le_scalar(nb_tensor *a, double s) { return compare_s(NBT_LE_S, a, s, "nb_le_scalar"); }
nb_tensor *nb_ge_scalar(nb_tensor *a, double s) { return compare_s(NBT_GE_S, a, s, "nb_ge_scalar"); }
