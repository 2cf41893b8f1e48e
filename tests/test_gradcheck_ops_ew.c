/* test_gradcheck_ops_ew.c — the gradchecks K(name) of the elementwise ops: binary (broadcasting),
 * with a scalar, unary and activations, clamp, dtype round trip and clone (tests/gradcheck_ops.h). */
#include "gradcheck_ops.h"

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
FN(to, nb_to(nb_mul(nb_to(x[0], NB_F32), nb_to(x[1], NB_F32)), NB_F64)) /* f64 -> f32 -> f64 */
FN(clone, nb_mul(nb_clone(x[0]), x[0]))
FN(atan, nb_atan(x[0]))

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

K(atan) {
    prm p = { 0 };
    return GC("atan", f_atan, &p, o, R(-3, 3, 2, 3));
}
