/* gd_matrix.c — seed 004 (Industrial AI Lab, "Gradient Descent"): the analytic solution of
 * grad f = 0 for a 2-D quadratic, the matrix-derivative table (Ax, x^T A, x^T x, x^T A x) and the
 * gradient/Hessian examples checked by autograd, and x <- x - alpha (Hx + g) on (x1-3)^2 + (x2-3)^2.
 * usage: gd_matrix [--svg FILE]   (FILE: contour plot of the quadratic with the 25 iterates) */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "svgplot.h"
#include "cli.h"

static nb_tensor *mat(int r, int c, const double *v) {
    return nb_tensor_from(NB_F64, v, NB_SHAPE(r, c), false);
}
static nb_tensor *vec(int n, const double *v, bool rg) { return nb_tensor_from(NB_F64, v, NB_SHAPE(n), rg); }

/* max |a - b| over all elements (both f64 and the same shape), NAN on error */
static double maxdiff(nb_tensor *a, nb_tensor *b) {
    nb_tensor *d = nb_amax(nb_abs(nb_sub(a, b)), 0, NULL, false);
    return d ? nb_item(d) : NAN;
}

/* dy/dx in the table's (denominator) layout: entry (i, j) = d y_j / d x_i, one backward per y_j */
static nb_tensor *dydx(nb_tensor *y, nb_tensor *x) {
    int64_t m = y->numel, n = x->numel;
    nb_tensor *yf = nb_reshape(y, NB_SHAPE(-1)), *cols[16];
    if (!yf || m > 16) return NULL;
    for (int64_t j = 0; j < m; j++) {
        nb_tensor *e = nb_zeros(NB_F64, NB_SHAPE(m));
        nb_set(e, (int64_t[]){ j }, 1.0);
        if (nb_grad(1, &yf, 1, &x, &e, &cols[j], (nb_grad_opts){ .retain_graph = true }) != NB_OK)
            return NULL;
        cols[j] = nb_reshape(cols[j], NB_SHAPE(n));
    }
    return nb_stack((int)m, cols, 1);
}

/* Hessian of a scalar f(x) by double backward: row i = d (grad f)_i / dx */
static nb_tensor *hessian(nb_tensor *(*fn)(nb_tensor *, void *), void *ctx, nb_tensor *x) {
    nb_tensor *g = nb_grad1(fn(x, ctx), x, true), *rows[16];
    int64_t n = x->numel;
    if (!g || n > 16) return NULL;
    for (int64_t i = 0; i < n; i++) {
        nb_tensor *gi = nb_select(g, 0, i); /* keep the graph of g for the next rows */
        if (nb_grad(1, &gi, 1, &x, NULL, &rows[i], (nb_grad_opts){ .retain_graph = true }) != NB_OK)
            return NULL;
    }
    return nb_stack((int)n, rows, 0);
}

static void check(const char *what, double err, int *bad) {
    printf("%-44s %s\n", what, err < 1e-12 ? "ok" : "MISMATCH");
    if (!(err < 1e-12)) *bad = 1;
}

/* f(x) = 2 x1^2 + x2^2 + x1 x2 - 6 x1 - 5 x2 */
static nb_tensor *f_analytic(nb_tensor *x, void *ctx) {
    (void)ctx;
    nb_tensor *x1 = nb_select(x, 0, 0), *x2 = nb_select(x, 0, 1);
    nb_tensor *t = nb_add(nb_mul_scalar(nb_square(x1), 2), nb_square(x2));
    t = nb_add(t, nb_mul(x1, x2));
    return nb_sub(t, nb_add(nb_mul_scalar(x1, 6), nb_mul_scalar(x2, 5)));
}

typedef struct {
    nb_tensor *A, *b, *P, *q;
    double r;
} consts;
static nb_tensor *f_affine(nb_tensor *x, void *c) {
    consts *k = c;
    return nb_add_scalar(nb_dot(k->q, x), k->r);
}
static nb_tensor *f_quad(nb_tensor *x, void *c) {
    consts *k = c;
    return nb_add_scalar(nb_add(nb_dot(x, nb_matmul(k->P, x)), nb_dot(k->q, x)), k->r);
}
static nb_tensor *f_lsq(nb_tensor *x, void *c) {
    consts *k = c;
    return nb_sum(nb_square(nb_sub(nb_matmul(k->A, x), k->b)));
}

static int analytic_and_table(void) {
    int bad = 0;
    nb_scope s = nb_scope_begin();
    printf("== analytic approach: f(x) = 2x1^2 + x2^2 + x1x2 - 6x1 - 5x2 ==\n");
    nb_tensor *x0 = vec(2, (double[]){ 0, 0 }, true);
    nb_tensor *H = hessian(f_analytic, NULL, x0), *g0 = nb_grad1(f_analytic(x0, NULL), x0, false);
    printf("Hessian by double backward: ");
    nb_print(H);
    /* f is quadratic: grad f(x) = H x + grad f(0) = 0  =>  x* = H^-1 (-grad f(0)) (2x2 inverse) */
    double h[4], r[2];
    if (nb_to_doubles(H, h) != NB_OK || nb_to_doubles(g0, r) != NB_OK) {
        nb_scope_end(s);
        return 1;
    }
    double det = h[0] * h[3] - h[1] * h[2];
    double xs1 = (h[3] * -r[0] - h[1] * -r[1]) / det, xs2 = (-h[2] * -r[0] + h[0] * -r[1]) / det;
    printf("x* = [[4, 1], [1, 2]]^-1 [6, 5] = [%g, %g]\n", xs1, xs2);
    nb_tensor *xs = vec(2, (double[]){ xs1, xs2 }, true);
    check("autograd gradient at x* is zero",
          maxdiff(nb_grad1(f_analytic(xs, NULL), xs, false), nb_zeros(NB_F64, NB_SHAPE(2))), &bad);

    printf("== matrix derivatives (dy/dx with entry (i, j) = dy_j/dx_i), by autograd ==\n");
    nb_tensor *A = mat(3, 3, (double[]){ 1, 2, 3, -4, 5, 6, 7, -8, 9 });
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ 0.5, -1.5, 2 }, NB_SHAPE(3, 1), true);
    nb_tensor *xT = nb_t(x), *AT = nb_t(A);
    check("y = Ax:      dy/dx = A^T", maxdiff(dydx(nb_matmul(A, x), x), nb_reshape(AT, NB_SHAPE(3, 3))),
          &bad);
    check("y = x^T A:   dy/dx = A", maxdiff(dydx(nb_matmul(xT, A), x), A), &bad);
    check("y = x^T x:   dy/dx = 2x", maxdiff(dydx(nb_matmul(xT, x), x), nb_mul_scalar(x, 2)), &bad);
    check("y = x^T Ax:  dy/dx = Ax + A^T x",
          maxdiff(dydx(nb_matmul(xT, nb_matmul(A, x)), x), nb_add(nb_matmul(A, x), nb_matmul(AT, x))), &bad);

    printf("== gradients and Hessians, by autograd ==\n");
    consts k = { .A = mat(3, 2, (double[]){ 1, 2, 0, -1, 3, 1 }),
                 .b = vec(3, (double[]){ 1, -2, 0.5 }, false),
                 .P = mat(2, 2, (double[]){ 2, 0.5, 0.5, 1 }),
                 .q = vec(2, (double[]){ -1, 3 }, false),
                 .r = 4 };
    nb_tensor *v = vec(2, (double[]){ 0.7, -0.3 }, true);
    nb_tensor *At = nb_t(k.A);
    check("g = a^T x + b:    grad = a", maxdiff(nb_grad1(f_affine(v, &k), v, false), k.q), &bad);
    /* an affine g has no second-derivative graph at all: its gradient does not depend on x */
    nb_tensor *ga = nb_grad1(f_affine(v, &k), v, true);
    bool flat = ga && !ga->requires_grad;
    printf("%-44s %s\n", "g = a^T x + b:    Hessian = 0", flat ? "ok" : "MISMATCH");
    if (!flat) bad = 1;
    check("g = x^T P x + q^T x + r: grad = 2Px + q",
          maxdiff(nb_grad1(f_quad(v, &k), v, false), nb_add(nb_mul_scalar(nb_matmul(k.P, v), 2), k.q)), &bad);
    check("g = x^T P x + q^T x + r: Hessian = 2P", maxdiff(hessian(f_quad, &k, v), nb_mul_scalar(k.P, 2)),
          &bad);
    nb_tensor *AtA = nb_matmul(At, k.A);
    check("g = ||Ax - b||^2: grad = 2A^TAx - 2A^Tb",
          maxdiff(nb_grad1(f_lsq(v, &k), v, false),
                  nb_sub(nb_mul_scalar(nb_matmul(AtA, v), 2), nb_mul_scalar(nb_matmul(At, k.b), 2))),
          &bad);
    check("g = ||Ax - b||^2: Hessian = 2A^TA", maxdiff(hessian(f_lsq, &k, v), nb_mul_scalar(AtA, 2)), &bad);
    if (nb_error()) {
        fprintf(stderr, "gd_matrix: %s\n", nb_error());
        bad = 1;
    }
    nb_scope_end(s);
    return bad;
}

static double f_bowl(double a, double b, void *c) {
    (void)c;
    return (a - 3) * (a - 3) + (b - 3) * (b - 3);
}

/* min (x1-3)^2 + (x2-3)^2 = 1/2 x^T H x + g^T x + 18, H = 2I, g = -(6, 6), alpha = 0.2, 25 steps */
static int quadratic_gd(const char *svg) {
    printf("== gradient descent on (x1 - 3)^2 + (x2 - 3)^2, alpha = 0.2, 25 steps ==\n");
    nb_tensor *H = mat(2, 2, (double[]){ 2, 0, 0, 2 }), *g6 = mat(2, 1, (double[]){ 6, 6 }), *g = nb_neg(g6);
    nb_free(g6); /* persistent (no scope is open): freed by hand */
    nb_tensor *x = nb_requires_grad_(nb_zeros(NB_F64, NB_SHAPE(2, 1)), true);
    const double alpha = 0.2;
    double xs[26], ys[26];
    for (int i = 0; i <= 25; i++) {
        xs[i] = nb_data_f64(x)[0], ys[i] = nb_data_f64(x)[1];
        if (i == 25) break;
        nb_scope s = nb_scope_begin();
        nb_tensor *f = nb_add(nb_mul_scalar(nb_matmul(nb_t(x), nb_matmul(H, x)), 0.5), nb_matmul(nb_t(g), x));
        nb_tensor *df = nb_grad1(f, x, false); /* = H x + g, by autograd */
        if (df) NB_NO_GRAD {
                nb_add_scaled_(x, df, -alpha);
            }
        nb_scope_end(s);
        if (!df) {
            fprintf(stderr, "gd_matrix: %s\n", nb_error());
            return 1;
        }
    }
    /* numpy.matrix prints a column as [[ v]\n [ v]] */
    printf("[[ %.8f]\n [ %.8f]]\n", xs[25], ys[25]);
    nb_free(H), nb_free(g), nb_free(x);
    if (!svg) return 0;
    nb_svg *p = nb_svg_new(420, 400, -0.5, 4, -0.5, 4, "x1", "x2");
    nb_svg_contour(p, f_bowl, NULL, 10);
    nb_svg_polyline(p, xs, ys, 26, "#ff7f0e", true);
    int rc = p && nb_svg_save(p, svg) == 0 ? 0 : 1;
    nb_svg_free(p);
    return rc;
}

int main(int argc, char **argv) {
    const char *svg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            svg = argv[++i];
        else { return cli_usage(argv[i], "usage: gd_matrix [--svg FILE]\n"); }
    }
    int rc = analytic_and_table();
    rc |= quadratic_gd(svg);
    return rc;
}
