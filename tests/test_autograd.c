/* test_autograd.c — autograd semantics as PyTorch defines them: grad accumulation, zero_grad,
 * retain_graph, create_graph (second derivatives, Hessian-vector products, Newton's method), detach,
 * no_grad, requires_grad propagation, version counters, broadcast and view grads, retain_grad,
 * nb_grad (allow_unused, several outputs/inputs, grad_outputs), nb_keep, thread determinism. */
#include "testlib.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define C_PI 0.15 * M_PI

static nb_tensor *vec64(int n, const double *v, bool rg) {
    return nb_tensor_from(NB_F64, v, 1, (int64_t[]){ n }, rg);
}

static void test_accumulate(void) {
    nb_tensor *x = vec64(3, (double[]){ 1, 2, 3 }, true);
    for (int k = 0; k < 2; k++) {
        nb_scope s = nb_scope_begin();
        CHECK(nb_backward(nb_sum(nb_mul(x, x))) == NB_OK);
        nb_scope_end(s);
    }
    CHECK_TENSOR(x->grad, ((double[]){ 4, 8, 12 }), 3, 0); /* 2 x, twice */
    nb_zero_grad(x);
    CHECK(x->grad == NULL && nb_grad_of(x) == NULL);
    nb_scope s = nb_scope_begin();
    CHECK(nb_backward(nb_sum(nb_mul_scalar(x, 3))) == NB_OK);
    nb_scope_end(s);
    CHECK_TENSOR(x->grad, ((double[]){ 3, 3, 3 }), 3, 0);   /* fresh after zero_grad */
    CHECK(nb_grad_of(x) == x->grad && x->grad->scope == 0); /* .grad is persistent */
    nb_free(x);
}

static void test_retain_graph(void) {
    nb_tensor *x = vec64(2, (double[]){ 2, -1 }, true);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nb_sum(nb_pow_scalar(x, 3));
    CHECK(nb_backward_ex(y, (nb_backward_opts){ .retain_graph = true }) == NB_OK);
    CHECK_TENSOR(x->grad, ((double[]){ 12, 3 }), 2, 0); /* 3 x^2 */
    CHECK(nb_backward(y) == NB_OK);                     /* graph kept: works, grads double */
    CHECK_TENSOR(x->grad, ((double[]){ 24, 6 }), 2, 0);
    CHECK(nb_backward(y) == NB_ERROR); /* graph freed by the last call */
    CHECK(nb_error() && strstr(nb_error(), "second time") && strstr(nb_error(), "retain_graph"));
    nb_clear_error();
    CHECK_TENSOR(x->grad, ((double[]){ 24, 6 }), 2, 0); /* unchanged by the failed call */
    /* like torch, a graph whose nodes saved no tensors (x * 2 summed) can be walked again */
    nb_zero_grad(x);
    nb_tensor *z = nb_sum(nb_mul_scalar(x, 2));
    CHECK(nb_backward(z) == NB_OK && nb_backward(z) == NB_OK);
    CHECK_TENSOR(x->grad, ((double[]){ 4, 4 }), 2, 0);
    /* sign is differentiable with a zero gradient, like torch's SignBackward0 */
    nb_zero_grad(x);
    CHECK(nb_backward(nb_sum(nb_sign(x))) == NB_OK);
    CHECK_TENSOR(x->grad, ((double[]){ 0, 0 }), 2, 0);
    nb_scope_end(s);
    nb_free(x);
}

/* f = x cos(cx); f' = cos(cx) - c x sin(cx); f'' = -2c sin(cx) - c^2 x cos(cx) */
static void test_second_derivative(void) {
    const double c = C_PI;
    double xs[] = { -3, -0.5, 0, 1, 2.5, 10 };
    nb_tensor *x = vec64(6, xs, true);
    nb_scope s = nb_scope_begin();
    nb_tensor *f = nb_sum(nb_mul(x, nb_cos(nb_mul_scalar(x, c))));
    nb_tensor *d1 = nb_grad1(f, x, true);
    CHECK(d1 && d1->requires_grad && !nb_is_leaf(d1));
    nb_tensor *d2 = nb_grad1(nb_sum(d1), x, false); /* elements are independent: diag of the Hessian */
    double w1[6], w2[6];
    for (int i = 0; i < 6; i++) {
        w1[i] = cos(c * xs[i]) - c * xs[i] * sin(c * xs[i]);
        w2[i] = -2 * c * sin(c * xs[i]) - c * c * xs[i] * cos(c * xs[i]);
    }
    CHECK_TENSOR(d1, w1, 6, 1e-12);
    CHECK_TENSOR(d2, w2, 6, 1e-12);
    CHECK(x->grad == NULL); /* nb_grad never touches .grad */
    nb_scope_end(s);
    /* the same through nb_backward on the scalar seed example (x = 10, f32) */
    nb_tensor *x1 = nb_tensor_from(NB_F32, (float[]){ 10.0f }, NB_SHAPE(1), true);
    s = nb_scope_begin();
    nb_backward(nb_sum(nb_mul(x1, nb_cos(nb_mul_scalar(x1, c)))));
    nb_scope_end(s);
    CHECK_NEAR(nb_item(x1->grad), cos(10 * c) - c * 10 * sin(10 * c), 1e-5);
    /* backward with create_graph: .grad holds values only (no history), and it accumulates */
    s = nb_scope_begin();
    CHECK(nb_backward_ex(nb_sum(nb_square(x1)), (nb_backward_opts){ .create_graph = true }) == NB_OK);
    CHECK(x1->grad && nb_is_leaf(x1->grad) && !x1->grad->requires_grad);
    CHECK_NEAR(nb_item(x1->grad), cos(10 * c) - c * 10 * sin(10 * c) + 20, 1e-5);
    nb_scope_end(s);
    nb_free(x1);
    nb_free(x);
}

/* f = 1/2 x^T A x + b^T x: grad = A x + b, Hessian-vector product = A v */
static void test_hvp(void) {
    double A[9] = { 4, 1, -2, 1, 3, 0.5, -2, 0.5, 5 }, xv[3] = { 1, -2, 0.5 }, bv[3] = { 0.3, -0.1, 2 },
           vv[3] = { 1, 2, -1 };
    nb_tensor *x = vec64(3, xv, true);
    nb_scope s = nb_scope_begin();
    nb_tensor *a = nb_tensor_from(NB_F64, A, NB_SHAPE(3, 3), false);
    nb_tensor *b = vec64(3, bv, false), *v = vec64(3, vv, false);
    nb_tensor *f = nb_add(nb_mul_scalar(nb_dot(x, nb_matmul(a, x)), 0.5), nb_dot(b, x));
    nb_tensor *g = nb_grad1(f, x, true);
    nb_tensor *hv = nb_grad1(nb_dot(g, v), x, false);
    double wg[3], wh[3];
    for (int i = 0; i < 3; i++) {
        wg[i] = bv[i];
        wh[i] = 0;
        for (int j = 0; j < 3; j++) {
            wg[i] += A[i * 3 + j] * xv[j];
            wh[i] += A[i * 3 + j] * vv[j];
        }
    }
    CHECK_TENSOR(g, wg, 3, 1e-12);
    CHECK_TENSOR(hv, wh, 3, 1e-12);
    nb_scope_end(s);
    nb_free(x);
}

/* minimise cosh(x/2) with Newton steps x -= f'(x) / f''(x), both derivatives by autograd */
static void test_newton(void) {
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ 1.5 }, NB_SHAPE(1), true);
    double xs[8];
    for (int it = 0; it < 8; it++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *f = nb_sum(nb_cosh(nb_mul_scalar(x, 0.5)));
        nb_tensor *d1 = nb_grad1(f, x, true);
        nb_tensor *d2 = nb_grad1(nb_sum(d1), x, false);
        CHECK_NEAR(nb_item(d2), 0.25 * cosh(0.5 * nb_item(x)), 1e-12);
        NB_NO_GRAD { nb_sub_(x, nb_div(d1, d2)); }
        xs[it] = nb_item(x);
        nb_scope_end(s);
    }
    /* closed form of the step: x - 2 tanh(x/2); converges cubically to 0 */
    CHECK_NEAR(xs[0], 1.5 - 2 * tanh(0.75), 1e-12);
    CHECK(fabs(xs[7]) < 1e-12 && fabs(xs[2]) < 1e-3);
    CHECK(!nb_error());
    nb_free(x);
}

static void test_detach_nograd(void) {
    nb_tensor *x = vec64(2, (double[]){ 3, 4 }, true);
    nb_scope s = nb_scope_begin();
    nb_tensor *d = nb_detach(x);
    CHECK(d && !d->requires_grad && nb_is_leaf(d) && d->storage == x->storage);
    CHECK(nb_backward(nb_sum(nb_mul(d, x))) == NB_OK); /* d(d*x)/dx = d only */
    CHECK_TENSOR(x->grad, ((double[]){ 3, 4 }), 2, 0);
    nb_tensor *dd = nb_mul(d, d);
    CHECK(dd && !dd->requires_grad && nb_grad_fn_name(dd) == NULL);
    CHECK(nb_backward(nb_sum(dd)) == NB_ERROR && strstr(nb_error(), "does not require grad"));
    nb_clear_error();
    /* no-grad block: nothing recorded */
    CHECK(nb_is_grad_enabled());
    size_t before = nb_memory_stats_get().tensors_live;
    nb_tensor *y = NULL;
    NB_NO_GRAD {
        CHECK(!nb_is_grad_enabled());
        y = nb_mul(x, x);
    }
    CHECK(nb_is_grad_enabled());
    CHECK(y && !y->requires_grad && nb_is_leaf(y) && nb_memory_stats_get().tensors_live == before + 1);
    CHECK(nb_set_grad_enabled(false) == true);
    nb_tensor *y2 = nb_exp(x);
    CHECK(nb_set_grad_enabled(true) == false);
    CHECK(y2 && !y2->requires_grad && y2->node == NULL);
    nb_tensor *y3 = nb_exp(x);
    CHECK(y3 && y3->requires_grad && !strcmp(nb_grad_fn_name(y3), "ExpBackward0"));
    /* nested no-grad restores the outer mode */
    NB_NO_GRAD {
        NB_NO_GRAD {}
        CHECK(!nb_is_grad_enabled());
    }
    nb_scope_end(s);
    nb_free(x);
}

static void test_requires_grad_propagation(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *a = nb_ones(NB_F32, NB_SHAPE(2)), *b = nb_requires_grad_(nb_ones(NB_F32, NB_SHAPE(2)), true);
    CHECK(b && b->requires_grad && nb_is_leaf(b));
    CHECK(!nb_add(a, a)->requires_grad);
    nb_tensor *ab = nb_add(a, b);
    CHECK(ab->requires_grad && !nb_is_leaf(ab) && !strcmp(nb_grad_fn_name(ab), "AddBackward0"));
    CHECK(nb_relu(nb_matmul(nb_unsqueeze(a, 0), nb_unsqueeze(ab, 1)))->requires_grad);
    CHECK(nb_sum(nb_mul_scalar(ab, 2))->requires_grad);
    CHECK(nb_grad_fn_name(b) == NULL && nb_grad_fn_name(a) == NULL);
    /* comparisons and argmax are never differentiable */
    CHECK(!nb_gt(ab, a)->requires_grad && !nb_argmax(ab, 0, false)->requires_grad);
    /* requires_grad_ on a non-leaf cannot be turned off; it can be turned on for a float leaf */
    CHECK_ERR(nb_requires_grad_(ab, false));
    CHECK(nb_requires_grad_(a, true) == a && a->requires_grad);
    CHECK(nb_requires_grad_(a, false) == a && !a->requires_grad);
    nb_scope_end(s);
}

static void test_version_counter(void) {
    nb_tensor *x = vec64(3, (double[]){ 1, 2, 3 }, true);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nb_mul(x, x); /* saves x */
    NB_NO_GRAD { nb_mul_scalar_(x, 2); }
    CHECK(nb_backward(nb_sum(y)) == NB_ERROR);
    CHECK(nb_error() && strstr(nb_error(), "inplace") && strstr(nb_error(), "MulBackward0"));
    nb_clear_error();
    CHECK(x->grad == NULL);
    /* an op that does not save its input (add) does not care */
    nb_tensor *z = nb_add(x, x);
    NB_NO_GRAD { nb_add_scalar_(x, 1); }
    CHECK(nb_backward(nb_sum(z)) == NB_OK);
    CHECK_TENSOR(x->grad, ((double[]){ 2, 2, 2 }), 3, 0);
    /* an op that saves its output (exp) notices a write into the output */
    nb_tensor *e = nb_exp(x);
    nb_tensor *le = nb_sum(e);
    NB_NO_GRAD { nb_zero_(e); }
    CHECK(nb_backward(le) == NB_ERROR && strstr(nb_error(), "inplace"));
    nb_clear_error();
    /* a write through a view bumps the shared counter */
    nb_zero_grad(x);
    nb_tensor *w = nb_mul(x, x);
    nb_tensor *v = nb_detach(nb_narrow(x, 0, 1, 1));
    nb_set(v, (int64_t[]){ 0 }, 5);
    CHECK(nb_backward(nb_sum(w)) == NB_ERROR && strstr(nb_error(), "inplace"));
    nb_clear_error();
    nb_scope_end(s);
    nb_free(x);
}

static void test_broadcast_grads(void) {
    nb_tensor *a = nb_tensor_from(NB_F64, (double[]){ 1, 2, 3 }, NB_SHAPE(3, 1), true);
    nb_tensor *b = nb_tensor_from(NB_F64, (double[]){ 1, 10, 100, 1000 }, NB_SHAPE(1, 4), true);
    nb_scope s = nb_scope_begin();
    nb_tensor *c = nb_add(a, b);
    CHECK(c && c->shape[0] == 3 && c->shape[1] == 4);
    CHECK(nb_backward(nb_sum(c)) == NB_OK);
    CHECK(a->grad && a->grad->ndim == 2 && a->grad->shape[0] == 3 && a->grad->shape[1] == 1);
    CHECK(b->grad && b->grad->ndim == 2 && b->grad->shape[0] == 1 && b->grad->shape[1] == 4);
    CHECK_TENSOR(a->grad, ((double[]){ 4, 4, 4 }), 3, 0);
    CHECK_TENSOR(b->grad, ((double[]){ 3, 3, 3, 3 }), 4, 0);
    nb_zero_grad(a);
    nb_zero_grad(b);
    CHECK(nb_backward(nb_sum(nb_mul(a, b))) == NB_OK); /* da = row sums of b, db = column sums of a */
    CHECK_TENSOR(a->grad, ((double[]){ 1111, 1111, 1111 }), 3, 0);
    CHECK_TENSOR(b->grad, ((double[]){ 6, 6, 6, 6 }), 4, 0);
    /* a 0-d scalar and a (4) vector broadcast against (3, 4) */
    nb_tensor *k = nb_requires_grad_(nb_scalar(NB_F64, 2), true),
              *r = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(4)), true);
    c = nb_add(a, b); /* fresh graph: the first backward freed the old one */
    CHECK(nb_backward(nb_sum(nb_mul(nb_add(c, r), k))) == NB_OK);
    CHECK(k->grad && k->grad->ndim == 0);
    CHECK_NEAR(nb_item(k->grad), nb_item(nb_sum(c)) + 12, 1e-12);
    CHECK_TENSOR(r->grad, ((double[]){ 6, 6, 6, 6 }), 4, 0);
    nb_scope_end(s);
    nb_free(a);
    nb_free(b);
}

static void test_view_grads(void) {
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ 1, 2, 3, 4, 5, 6 }, NB_SHAPE(2, 3), true);
    nb_scope s = nb_scope_begin();
    nb_tensor *w = nb_tensor_from(NB_F64, (double[]){ 1, 2, 3, 4, 5, 6 }, NB_SHAPE(3, 2), false);
    CHECK(nb_backward(nb_sum(nb_mul(nb_t(x), w))) == NB_OK); /* dx = w^T */
    CHECK_TENSOR(x->grad, ((double[]){ 1, 3, 5, 2, 4, 6 }), 6, 0);
    nb_zero_grad(x);
    CHECK(nb_backward(nb_sum(nb_square(nb_slice(x, 1, 0, 3, 2)))) == NB_OK); /* columns 0 and 2 */
    CHECK_TENSOR(x->grad, ((double[]){ 2, 0, 6, 8, 0, 12 }), 6, 0);
    nb_zero_grad(x);
    nb_tensor *row = nb_narrow(x, 0, 1, 1); /* (1, 3) */
    nb_tensor *ex = nb_expand(row, NB_SHAPE(4, 3));
    nb_tensor *m = nb_tensor_from(NB_F64, (double[]){ 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1 }, NB_SHAPE(4, 3),
                                  false);
    CHECK(nb_backward(nb_sum(nb_mul(ex, m))) == NB_OK); /* column sums of m into row 1 */
    CHECK_TENSOR(x->grad, ((double[]){ 0, 0, 0, 4, 1, 1 }), 6, 0);
    nb_zero_grad(x);
    nb_tensor *sel = nb_select(x, 1, -1); /* x[:, 2] */
    CHECK(nb_backward(nb_dot(sel, vec64(2, (double[]){ 10, 20 }, false))) == NB_OK);
    CHECK_TENSOR(x->grad, ((double[]){ 0, 0, 10, 0, 0, 20 }), 6, 0);
    nb_zero_grad(x);
    nb_tensor *pr = nb_permute(nb_reshape(x, NB_SHAPE(1, 2, 3)), NB_DIMS(2, 0, 1));
    CHECK(nb_backward(nb_sum(nb_mul(pr, nb_reshape(nb_arange(NB_F64, 0, 6, 1), NB_SHAPE(3, 1, 2))))) ==
          NB_OK);
    CHECK_TENSOR(x->grad, ((double[]){ 0, 2, 4, 1, 3, 5 }), 6, 0);
    nb_scope_end(s);
    nb_free(x);
}

static void test_retain_grad(void) {
    nb_tensor *x = vec64(2, (double[]){ 1, -3 }, true);
    nb_scope s = nb_scope_begin();
    nb_tensor *h = nb_mul_scalar(x, 2), *h2 = nb_add_scalar(h, 1);
    CHECK(nb_retain_grad(h) == NB_OK && h->retains_grad);
    CHECK(nb_backward(nb_sum(nb_square(h2))) == NB_OK);
    CHECK_TENSOR(h->grad, ((double[]){ 6, -10 }), 2, 0); /* 2 (h + 1) */
    CHECK(h2->grad == NULL);                             /* not retained */
    CHECK_TENSOR(x->grad, ((double[]){ 12, -20 }), 2, 0);
    CHECK(nb_retain_grad(nb_ones(NB_F32, NB_SHAPE(1))) == NB_ERROR);
    nb_clear_error();
    nb_scope_end(s);
    nb_free(x);
}

static void test_nb_grad(void) {
    nb_tensor *x = vec64(2, (double[]){ 1, 2 }, true), *w = vec64(2, (double[]){ 3, -1 }, true),
              *u = vec64(1, (double[]){ 7 }, true);
    nb_scope s = nb_scope_begin();
    /* allow_unused */
    nb_tensor *y = nb_sum(nb_mul(x, w));
    nb_tensor *g[3] = { 0 };
    CHECK(nb_grad(1, &y, 2, (nb_tensor *[]){ x, u }, NULL, g,
                  (nb_grad_opts){ .allow_unused = true, .retain_graph = true }) == NB_OK);
    CHECK_TENSOR(g[0], ((double[]){ 3, -1 }), 2, 0);
    CHECK(g[1] == NULL);
    CHECK(nb_grad(1, &y, 2, (nb_tensor *[]){ x, u }, NULL, g, (nb_grad_opts){ .retain_graph = true }) ==
          NB_ERROR);
    CHECK(strstr(nb_error(), "not have been used") && strstr(nb_error(), "allow_unused"));
    nb_clear_error();
    /* several outputs with grad_outputs, several inputs: g_x = 2 w + 3 (2 x), g_w = 2 x */
    nb_tensor *y2 = nb_sum(nb_square(x));
    nb_tensor *go[2] = { nb_scalar(NB_F64, 2), nb_scalar(NB_F64, 3) };
    CHECK(nb_grad(2, (nb_tensor *[]){ y, y2 }, 2, (nb_tensor *[]){ x, w }, go, g, (nb_grad_opts){ 0 }) ==
          NB_OK);
    CHECK_TENSOR(g[0], ((double[]){ 12, 10 }), 2, 0);
    CHECK_TENSOR(g[1], ((double[]){ 2, 4 }), 2, 0);
    CHECK(x->grad == NULL && w->grad == NULL);
    /* a vector output with a grad_output */
    nb_tensor *v = nb_mul(x, w);
    CHECK(nb_grad(1, &v, 1, &w, (nb_tensor *[]){ vec64(2, (double[]){ 1, 10 }, false) }, g,
                  (nb_grad_opts){ 0 }) == NB_OK);
    CHECK_TENSOR(g[0], ((double[]){ 1, 20 }), 2, 0);
    /* gradient with respect to a non-leaf */
    nb_tensor *h = nb_exp(x), *yh = nb_sum(nb_mul_scalar(h, 4));
    CHECK(nb_grad(1, &yh, 1, &h, NULL, g, (nb_grad_opts){ 0 }) == NB_OK);
    CHECK_TENSOR(g[0], ((double[]){ 4, 4 }), 2, 0);
    CHECK(g[0] && g[0]->scope == s); /* results belong to the caller's scope */
    nb_scope_end(s);
    nb_free(x);
    nb_free(w);
    nb_free(u);
}

static void test_backward_grad_output(void) {
    nb_tensor *x = vec64(3, (double[]){ 1, 2, 3 }, true);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nb_mul(x, x);
    CHECK(nb_backward(y) == NB_ERROR && strstr(nb_error(), "scalar"));
    nb_clear_error();
    CHECK(nb_backward_ex(y, (nb_backward_opts){ .grad = vec64(3, (double[]){ 1, 0.5, -1 }, false) }) ==
          NB_OK);
    CHECK_TENSOR(x->grad, ((double[]){ 2, 2, -6 }), 3, 0);
    nb_scope_end(s);
    nb_free(x);
}

static void test_keep(void) {
    nb_tensor *x = vec64(2, (double[]){ 1, 2 }, true);
    size_t live0 = nb_memory_stats_get().tensors_live;
    nb_scope s = nb_scope_begin();
    nb_tensor *tmp = nb_mul_scalar(x, 5);
    nb_tensor *kept = nb_keep(nb_add_scalar(tmp, 1));
    nb_scope_end(s);
    CHECK(!nb_is_valid(tmp));
    CHECK(nb_is_valid(kept) && kept->scope == 0);
    CHECK_TENSOR(kept, ((double[]){ 6, 11 }), 2, 0);
    CHECK(nb_is_leaf(kept)); /* its tape node went with the scope */
    CHECK(nb_memory_stats_get().tensors_live == live0 + 1);
    /* nested: a keep moves one level out, and the outer end releases it */
    nb_scope outer = nb_scope_begin();
    nb_scope inner = nb_scope_begin();
    nb_tensor *k2 = nb_keep(nb_mul(x, x));
    nb_scope_end(inner);
    CHECK(nb_is_valid(k2) && k2->scope == outer);
    CHECK(nb_is_leaf(k2) && k2->requires_grad); /* history cut at the inner end: a leaf now */
    CHECK(nb_backward(nb_sum(k2)) == NB_OK);
    CHECK(x->grad == NULL);
    CHECK_TENSOR(k2->grad, ((double[]){ 1, 1 }), 2, 0);
    nb_scope_end(outer);
    CHECK(!nb_is_valid(k2));
    nb_free(kept);
    nb_free(x);
    CHECK(nb_memory_stats_get().tensors_live == live0 - 1);
}

/* 300x300 matmul, reductions and softmax with 1 and 2 threads: results must be bitwise equal */
static void run_workload(nb_tensor **out, int n) {
    nb_manual_seed(7);
    nb_tensor *a = nb_requires_grad_(nb_randn(NB_F32, NB_SHAPE(300, 300)), true);
    nb_tensor *b = nb_randn(NB_F32, NB_SHAPE(300, 300));
    nb_scope s = nb_scope_begin();
    nb_tensor *m = nb_matmul(a, b);
    nb_tensor *sm = nb_softmax(m, 1);
    nb_tensor *lsm = nb_log_softmax(m, 0);
    nb_tensor *tot = nb_add(nb_sum(nb_mul(sm, lsm)), nb_mul_scalar(nb_mean(nb_square(m)), 1e-3));
    nb_tensor *rs = nb_sum_dim(m, NB_DIMS(0), false);
    nb_tensor *nm = nb_norm(m, 2);
    nb_backward(tot);
    nb_tensor *res[6] = { m, sm, tot, rs, nm, a->grad };
    NB_NO_GRAD {
        for (int i = 0; i < n; i++) out[i] = nb_keep(nb_clone(res[i]));
    }
    nb_scope_end(s);
    nb_free(a);
    nb_free(b);
}

static void test_threads(void) {
    nb_tensor *r1[6], *r2[6];
    nb_set_num_threads(1);
    CHECK(nb_get_num_threads() == 1);
    run_workload(r1, 6);
    nb_set_num_threads(2);
    printf("thread determinism: 1 thread vs %d threads\n", nb_get_num_threads());
    run_workload(r2, 6);
    nb_set_num_threads(0);
    for (int i = 0; i < 6; i++) {
        bool same = r1[i] && r2[i] && r1[i]->numel == r2[i]->numel &&
                    !memcmp(nb_data(r1[i]), nb_data(r2[i]),
                            (size_t)r1[i]->numel * nb_dtype_size(r1[i]->dtype));
        if (!same) fprintf(stderr, "thread determinism: result %d differs between 1 and 2 threads\n", i);
        CHECK(same);
        nb_free(r1[i]);
        nb_free(r2[i]);
    }
}

/* relu's backward is torch's threshold_backward(g, y, 0): g where y > 0 or y is NaN, an exact 0 where y <= 0
 * whatever g is (torch 1.13: x = [nan, -1, 0, 2, -3], g = [5, inf, nan, 7, -inf] gives [5, 0, 0, 7, 0]); then a
 * long mixed-sign row (threaded, vectorized) against the rule written out, f32 and f64 */
static void test_relu_backward(void) {
    for (int d = 0; d < 2; d++) {
        nb_dtype dt = d ? NB_F64 : NB_F32;
        nb_scope s = nb_scope_begin();
        double xv[6] = { NAN, -1, 0, 2, -3, -0.0 }, gv[6] = { 5, INFINITY, NAN, 7, -INFINITY, 3 };
        double want[6] = { 5, 0, 0, 7, 0, 0 };
        nb_tensor *x = nb_requires_grad_(nb_to(nb_tensor_from(NB_F64, xv, NB_SHAPE(6), false), dt), true);
        nb_tensor *g = nb_to(nb_tensor_from(NB_F64, gv, NB_SHAPE(6), false), dt);
        CHECK(nb_backward_ex(nb_relu(x), (nb_backward_opts){ .grad = g }) == NB_OK && nb_grad_of(x));
        for (int i = 0; i < 6 && nb_grad_of(x); i++) {
            double v = d ? nb_data_f64(nb_grad_of(x))[i] : nb_data_f32(nb_grad_of(x))[i];
            CHECK(v == want[i] && !signbit(v));
        }
        nb_manual_seed(3);
        nb_tensor *xl = nb_requires_grad_(nb_randn(dt, NB_SHAPE(300001)), true),
                  *gl = nb_randn(dt, NB_SHAPE(300001));
        CHECK(nb_backward_ex(nb_relu(xl), (nb_backward_opts){ .grad = gl }) == NB_OK && nb_grad_of(xl));
        int64_t bad = 0;
        for (int64_t i = 0; i < 300001 && nb_grad_of(xl); i++) {
            double xi = d ? nb_data_f64(xl)[i] : nb_data_f32(xl)[i],
                   gi = d ? nb_data_f64(gl)[i] : nb_data_f32(gl)[i];
            double v = d ? nb_data_f64(nb_grad_of(xl))[i] : nb_data_f32(nb_grad_of(xl))[i];
            bad += v != (xi > 0 ? gi : 0);
        }
        CHECK(bad == 0);
        nb_scope_end(s);
    }
}

/* slices of one non-leaf whose gradients gather in place (overlapping, strided, before and after a full use,
 * nb_split): the gradient against the sums written out, in backward and in nb_grad with and without
 * create_graph (the recorded zeros-and-add path), bitwise the same values */
static void test_slice_gradients(void) {
    nb_scope s = nb_scope_begin();
    double xv[7] = { 0.5, -1, 2, 0.25, -3, 1.5, 4 }, w[7] = { 1, -2, 3, 0.5, -1, 2, -0.25 };
    nb_tensor *x = nb_requires_grad_(nb_tensor_from(NB_F64, xv, NB_SHAPE(7), false), true);
    nb_tensor *wt = nb_tensor_from(NB_F64, w, NB_SHAPE(7), false);
    nb_tensor *parts[3] = { 0 };
    nb_tensor *ys[3];
    for (int mode = 0; mode < 3; mode++) {
        nb_tensor *y = nb_mul_scalar(x, 2); /* a non-leaf: its slot gathers the slices' gradients */
        nb_tensor *a = nb_slice(y, 0, 0, 4, 1), *b = nb_slice(y, 0, 2, 6, 1), *c = nb_slice(y, 0, 1, 7, 2);
        CHECK(nb_split(y, 3, 0, parts, 3) == 3);
        nb_tensor *l = nb_add(nb_add(nb_sum(nb_mul(a, nb_narrow(wt, 0, 0, 4))), nb_sum(nb_mul(y, wt))),
                              nb_add(nb_sum(nb_mul(b, nb_narrow(wt, 0, 3, 4))), nb_sum(nb_mul_scalar(c, 3))));
        l = nb_add(l, nb_add(nb_sum(nb_mul_scalar(parts[0], 5)), nb_sum(nb_mul_scalar(parts[2], -7))));
        if (mode == 0) {
            CHECK(nb_backward(l) == NB_OK && nb_grad_of(x));
            ys[0] = nb_grad_of(x);
        } else {
            nb_tensor *gy = NULL;
            CHECK(nb_grad(1, &l, 1, &y, NULL, &gy, (nb_grad_opts){ .create_graph = mode == 2 }) == NB_OK &&
                  gy);
            ys[mode] = gy ? nb_mul_scalar(gy, 2) : NULL; /* dl/dx = 2 dl/dy */
        }
    }
    /* dl/dy = w + w[0:4] on [0, 4) + w[3:7] on [2, 6) + 3 on 1, 3, 5 + 5 on [0, 3) - 7 on [6, 7) */
    double want[7];
    for (int i = 0; i < 7; i++) {
        double gyi = w[i] + (i < 4 ? w[i] : 0) + (i >= 2 && i < 6 ? w[i + 1] : 0) + (i % 2 == 1 ? 3 : 0) +
                     (i < 3 ? 5 : 0) + (i == 6 ? -7 : 0);
        want[i] = 2 * gyi;
    }
    for (int m = 0; m < 3; m++)
        for (int i = 0; i < 7 && ys[m]; i++) CHECK(nb_data_f64(nb_contiguous(ys[m]))[i] == want[i]);
    nb_scope_end(s);
}

int main(void) {
    test_accumulate();
    test_retain_graph();
    test_second_derivative();
    test_hvp();
    test_newton();
    test_detach_nograd();
    test_requires_grad_propagation();
    test_version_counter();
    test_broadcast_grads();
    test_view_grads();
    test_retain_grad();
    test_nb_grad();
    test_backward_grad_output();
    test_keep();
    test_threads();
    test_relu_backward();
    test_slice_gradients();
    CHECK(!nb_error());
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
