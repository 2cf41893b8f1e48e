/* test_optim_newton.c — the methods beyond torch.optim: Newton with the exact Hessian from double
 * backward (seed 002: cosh(0.5x) from 10 reaches 0 in 10 steps; x cos(0.15 pi x) with lr 1 and 0.5
 * prints tensor(26.8341) and tensor(7.2699)), the |H| fix, Newton-CG, diagonal preconditioning and
 * gradient descent with Armijo backtracking. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    nb_tensor *x;
    int which;
} fctx;

static nb_tensor *f1(void *p) {
    fctx *c = p;
    if (c->which == 0) return nb_sum(nb_cosh(nb_mul_scalar(c->x, 0.5))); /* cosh(0.5 x) */
    if (c->which == 1)
        return nb_sum(nb_mul(c->x, nb_cos(nb_mul_scalar(c->x, 0.15 * M_PI)))); /* x cos(0.15 pi x) */
    if (c->which == 2) {                                                       /* 0.1 x1^2 + 2 x2^2 */
        nb_tensor *w = nb_tensor_from(c->x->dtype,
                                      c->x->dtype == NB_F32 ? (void *)(float[]){ 0.1f, 2.0f }
                                                            : (void *)(double[]){ 0.1, 2.0 },
                                      NB_SHAPE(2), false);
        return nb_sum(nb_mul(w, nb_mul(c->x, c->x)));
    }
    if (c->which == 3) { /* Rosenbrock 2-D */
        nb_tensor *a = nb_select(c->x, 0, 0), *b = nb_select(c->x, 0, 1);
        return nb_add(nb_mul_scalar(nb_square(nb_sub(b, nb_square(a))), 100),
                      nb_square(nb_rsub_scalar(a, 1)));
    }
    if (c->which == 4) { /* log(exp(x) + exp(-2x - 3)), the seed's line-search exercise */
        return nb_sum(nb_log(nb_add(nb_exp(c->x), nb_exp(nb_sub_scalar(nb_mul_scalar(c->x, -2), 3)))));
    }
    /* which 5: sum_i (i/10 + 1/2) x_i^2 + 0.1 x_i^4 + x_i x_{i+1}/4, a 40-d convex coupled function */
    int64_t n = c->x->numel;
    nb_tensor *w = nb_add_scalar(nb_mul_scalar(nb_arange(c->x->dtype, 0, (double)n, 1), 0.1), 0.5);
    nb_tensor *quad = nb_sum(nb_mul(w, nb_square(c->x)));
    nb_tensor *quart = nb_mul_scalar(nb_sum(nb_square(nb_square(c->x))), 0.1);
    nb_tensor *cross = nb_mul_scalar(
        nb_sum(nb_mul(nb_narrow(c->x, 0, 0, n - 1), nb_narrow(c->x, 0, 1, n - 1))), 0.25);
    return nb_add(nb_add(quad, quart), cross);
}

static double closure(void *p) {
    fctx *c = p;
    nb_zero_grad(c->x);
    nb_scope s = nb_scope_begin();
    nb_tensor *l = f1(c);
    double v = nb_backward(l) == NB_OK ? nb_item(l) : NAN;
    nb_scope_end(s);
    return v;
}

/* run 10 Newton steps on f_which from x0; returns x */
static double newton_1d(int which, double lr, nb_dtype dt, bool absh) {
    fctx c = { nb_full(dt, NB_SHAPE(1), 10.0), which };
    nb_requires_grad_(c.x, true);
    nb_optimizer *o = nb_newton(&c.x, 1, (nb_newton_opts){ .lr = lr, .abs_hessian = absh });
    for (int i = 0; i < 10; i++) CHECK(nb_optim_step_loss(o, f1, &c, NULL) == NB_OK);
    double v = nb_item(c.x);
    nb_optim_free(o);
    nb_free(c.x);
    return v;
}

int main(void) {
    char buf[64];
    for (int k = 0; k < 2; k++) {
        nb_dtype dt = k ? NB_F64 : NB_F32;
        double x = newton_1d(0, 1, dt, false);
        CHECK(fabs(x) < 1e-30); /* seed: epoch 10, x: tensor(0.) */
        snprintf(buf, sizeof buf, "epoch 10, x: tensor(%.4f)", newton_1d(1, 1, dt, false));
        if (!CHECK(!strcmp(buf, "epoch 10, x: tensor(26.8341)"))) fprintf(stderr, "  got %s\n", buf);
        snprintf(buf, sizeof buf, "epoch 10, x: tensor(%.4f)", newton_1d(1, 0.5, dt, false));
        if (!CHECK(!strcmp(buf, "epoch 10, x: tensor(7.2699)"))) fprintf(stderr, "  got %s\n", buf);
        /* |H| fix: descends (f decreases) instead of climbing to the maximum */
        double xa = newton_1d(1, 1, dt, true);
        CHECK(xa * cos(0.15 * M_PI * xa) < 10 * cos(1.5 * M_PI));
        printf("%s: cosh -> %g, x cos lr 1 -> %.4f, lr 0.5 -> %.4f, |H| lr 1 -> %.4f\n", nb_dtype_name(dt), x,
               newton_1d(1, 1, dt, false), newton_1d(1, 0.5, dt, false), xa);
    }
    /* 2-D quadratic: one exact Newton step reaches the minimum */
    fctx q = { nb_tensor_from(NB_F64, (double[]){ -5, -2 }, NB_SHAPE(2), true), 2 };
    nb_optimizer *o = nb_newton(&q.x, 1, (nb_newton_opts){ 0 });
    double l0 = NAN;
    CHECK(nb_optim_step_loss(o, f1, &q, &l0) == NB_OK);
    CHECK_NEAR(l0, 0.1 * 25 + 2 * 4, 1e-12);
    CHECK(fabs(nb_data_f64(q.x)[0]) < 1e-12 && fabs(nb_data_f64(q.x)[1]) < 1e-12);
    CHECK(nb_optim_step(o) == NB_ERROR && nb_error()); /* needs the loss */
    nb_clear_error();
    CHECK(nb_optim_step_closure(o, closure, &q, NULL) == NB_ERROR && nb_error());
    nb_clear_error();
    nb_optim_free(o);
    /* diagonal preconditioning on a separable quadratic: also one step */
    nb_data_f64(q.x)[0] = -5;
    nb_data_f64(q.x)[1] = -2;
    o = nb_diag_newton(&q.x, 1, (nb_diag_newton_opts){ 0 });
    CHECK(nb_optim_step_loss(o, f1, &q, NULL) == NB_OK);
    CHECK(fabs(nb_data_f64(q.x)[0]) < 1e-12 && fabs(nb_data_f64(q.x)[1]) < 1e-12);
    nb_optim_free(o);
    nb_free(q.x);
    /* Rosenbrock from (-1.2, 1): Newton converges to (1, 1) */
    fctx r = { nb_tensor_from(NB_F64, (double[]){ -1.2, 1 }, NB_SHAPE(2), true), 3 };
    o = nb_newton(&r.x, 1, (nb_newton_opts){ 0 });
    for (int i = 0; i < 10; i++) nb_optim_step_loss(o, f1, &r, NULL);
    CHECK_NEAR(nb_data_f64(r.x)[0], 1, 1e-10);
    CHECK_NEAR(nb_data_f64(r.x)[1], 1, 1e-10);
    nb_optim_free(o);
    /* Newton-CG on Rosenbrock (2 CG iterations = exact solve when H > 0) and on a 40-d problem */
    nb_data_f64(r.x)[0] = -1.2;
    nb_data_f64(r.x)[1] = 1;
    o = nb_newton_cg(&r.x, 1, (nb_newton_cg_opts){ 0 });
    for (int i = 0; i < 30; i++) nb_optim_step_loss(o, f1, &r, NULL);
    CHECK_NEAR(nb_data_f64(r.x)[0], 1, 1e-8);
    CHECK_NEAR(nb_data_f64(r.x)[1], 1, 1e-8);
    nb_optim_free(o);
    nb_free(r.x);
    double x40[40];
    for (int i = 0; i < 40; i++) x40[i] = sin(i + 1.0) * 3;
    fctx b = { nb_tensor_from(NB_F64, x40, NB_SHAPE(40), true), 5 };
    fctx b2 = { nb_tensor_from(NB_F64, x40, NB_SHAPE(40), true), 5 };
    nb_optimizer *cg = nb_newton_cg(&b.x, 1, (nb_newton_cg_opts){ 0 });
    nb_optimizer *nw = nb_newton(&b2.x, 1, (nb_newton_opts){ 0 });
    for (int i = 0; i < 3; i++) { /* same direction as the dense solve, step for step */
        CHECK(nb_optim_step_loss(cg, f1, &b, NULL) == NB_OK);
        CHECK(nb_optim_step_loss(nw, f1, &b2, NULL) == NB_OK);
    }
    double got[40], want[40];
    nb_to_doubles(b.x, got);
    nb_to_doubles(b2.x, want);
    CHECK_TENSOR(b.x, want, 40, 1e-8);
    for (int i = 0; i < 10; i++) nb_optim_step_loss(cg, f1, &b, NULL);
    nb_to_doubles(b.x, got);
    double mx = 0;
    for (int i = 0; i < 40; i++) mx = fmax(mx, fabs(got[i]));
    CHECK(mx < 1e-10);
    nb_optim_free(cg);
    nb_optim_free(nw);
    nb_free(b.x);
    nb_free(b2.x);
    /* GD + Armijo: the seed's exercise log(e^x + e^(-2x-3)), minimum at (ln 2 - 3)/3 */
    fctx a = { nb_full(NB_F64, NB_SHAPE(1), 2.0), 4 };
    nb_requires_grad_(a.x, true);
    o = nb_gd_armijo(&a.x, 1, (nb_armijo_opts){ 0 });
    double prev = INFINITY, l;
    bool mono = true;
    for (int i = 0; i < 40; i++) {
        CHECK(nb_optim_step_closure(o, closure, &a, &l) == NB_OK);
        mono &= l <= prev;
        prev = l;
    }
    CHECK(mono);
    CHECK_NEAR(nb_item(a.x), (log(2.0) - 3) / 3, 1e-7);
    CHECK(nb_optim_step(o) == NB_ERROR && nb_error());
    nb_clear_error();
    nb_optim_free(o);
    /* Armijo via step_loss on the ill-conditioned 2-D quadratic, f32 */
    fctx q2 = { nb_tensor_from(NB_F32, (float[]){ -5, -2 }, NB_SHAPE(2), true), 2 };
    o = nb_gd_armijo(&q2.x, 1, (nb_armijo_opts){ .lr = 1 });
    for (int i = 0; i < 100; i++) nb_optim_step_loss(o, f1, &q2, NULL);
    CHECK(fabs(nb_data_f32(q2.x)[0]) < 1e-3 && fabs(nb_data_f32(q2.x)[1]) < 1e-3);
    nb_optim_free(o);
    nb_free(q2.x);
    nb_free(a.x);
    return nb_test_done();
}
