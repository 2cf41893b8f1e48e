/* gd_examples.c — seed 001 (chapter 3, "Optimization via Gradient Descent"), worked examples with
 * gradients from autograd: 3.1.1 the walk down 4w^2 - 6w - 9, example 3.1.2 the quartic in
 * w1^2 + w2^2, example 3.1.3 two local minima, example 3.3.1 l2-regularized least squares.
 * usage: gd_examples [3.1.1|3.1.2|3.1.3|3.3.1 ...] [--svg PREFIX]   (no example: all of them) */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "svgplot.h"
#include "cli.h"

static const char *prefix; /* --svg PREFIX: figures go to PREFIX_<example>.svg */

static int fail(const char *what) {
    fprintf(stderr, "gd_examples %s: %s\n", what, nb_error() ? nb_error() : "failed");
    return 1;
}

static int save(nb_svg *p, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s_%s.svg", prefix, name);
    int rc = p && nb_svg_save(p, path) == 0 ? 0 : 1;
    nb_svg_free(p);
    return rc;
}

/* df/dw at w for a scalar function given as a nabla expression builder */
static double deriv(nb_tensor *(*fn)(nb_tensor *), double w) {
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F64, w), true);
    nb_tensor *g = nb_grad1(fn(x), x, false);
    double v = g ? nb_item(g) : NAN;
    nb_scope_end(s);
    return v;
}

/* ---- 3.1.1: f(w) = 4w^2 - 6w - 9 ---- */
static nb_tensor *quad(nb_tensor *w) {
    return nb_sub_scalar(nb_sub(nb_mul_scalar(nb_square(w), 4), nb_mul_scalar(w, 6)), 9);
}
static double quad_plain(double w, void *c) {
    (void)c;
    return 4 * w * w - 6 * w - 9;
}

static int ex_3_1_1(void) {
    printf("== 3.1.1 univariate example: f(w) = 4w^2 - 6w - 9 ==\n");
    double d0 = deriv(quad, 0), d1 = deriv(quad, 1);
    if (isnan(d0) || isnan(d1)) return fail("3.1.1");
    printf("we start with the point w = 0. Since f'(w) = %g < 0, we update w <- 1.\n", d0);
    printf("Since f'(w) = %g > 0, we update w <- 1/2.\n", d1);
    printf("f'(w*) = 0 at w* = %g\n", 6.0 / 8.0);
    if (!prefix) return 0;
    nb_svg *p = nb_svg_new(480, 360, -1.5, 3, -12, 15, "w", "f(w)");
    nb_svg_function(p, quad_plain, NULL, "#1f77b4");
    nb_svg_polyline(p, (double[]){ 0, 1, 0.5 },
                    (double[]){ quad_plain(0, 0), quad_plain(1, 0), quad_plain(0.5, 0) }, 3, "#ff7f0e", true);
    return save(p, "3.1.1");
}

/* ---- 3.1.2: f = s^4 - 7 s^3 + 13 s^2, s = w1^2 + w2^2, eta 0.01 from (0.5, 1) ---- */
static nb_tensor *quartic(nb_tensor *w) {
    nb_tensor *s = nb_sum(nb_square(w));
    return nb_add(nb_sub(nb_pow_scalar(s, 4), nb_mul_scalar(nb_pow_scalar(s, 3), 7)),
                  nb_mul_scalar(nb_square(s), 13));
}
static double quartic_plain(double a, double b, void *c) {
    (void)c;
    double s = a * a + b * b;
    return s * s * s * s - 7 * s * s * s + 13 * s * s;
}

static int ex_3_1_2(void) {
    printf("== example 3.1.2: f(w1, w2) = (w1^2 + w2^2)^4 - 7(w1^2 + w2^2)^3 + 13(w1^2 + w2^2)^2 ==\n");
    const double eta = 0.01;
    enum { N = 200 };
    double xs[N + 1], ys[N + 1];
    nb_tensor *w = nb_tensor_from(NB_F64, (double[]){ 0.5, 1 }, NB_SHAPE(2), true);
    if (!w) return fail("3.1.2");
    for (int i = 0; i <= N; i++) {
        double *v = nb_data_f64(w);
        xs[i] = v[0], ys[i] = v[1];
        if (i == N) break;
        nb_scope s = nb_scope_begin();
        nb_tensor *g = nb_grad1(quartic(w), w, false);
        if (!g) {
            nb_scope_end(s);
            nb_free(w);
            return fail("3.1.2");
        }
        double *gv = nb_data_f64(g);
        if (i == 0)
            printf(
                "initiating gradient descent from the point (%g, %g) where the gradient vector is (%g, %g)\n",
                v[0], v[1], gv[0], gv[1]);
        if (i == 1) printf("the gradient vector at (%g, %g) is (%.2f, %.2f)\n", v[0], v[1], gv[0], gv[1]);
        NB_NO_GRAD { nb_add_scaled_(w, g, -eta); }
        v = nb_data_f64(w);
        if (i == 0)
            printf("one iteration with eta = %g moves from (%g, %g) to (%g, %g)\n", eta, xs[0], ys[0], v[0],
                   v[1]);
        if (i == 1)
            printf("the next iteration moves the point from (%g, %g) to (%.2f, %.2f)\n", xs[1], ys[1], v[0],
                   v[1]);
        nb_scope_end(s);
    }
    printf("after %d iterations, the algorithm moves the point to (%.2f, %.2f)\n", N, xs[N], ys[N]);
    nb_free(w);
    if (!prefix) return 0;
    nb_svg *p = nb_svg_new(480, 420, -1.5, 1.5, -1.5, 1.5, "w1", "w2");
    nb_svg_contour(p, quartic_plain, NULL, 12);
    nb_svg_polyline(p, xs, ys, N + 1, "#ff7f0e", true);
    return save(p, "3.1.2");
}

/* ---- 3.1.3: f(w) = w^4/3 - w^3/2 - w^2 + w, two local minima ---- */
static nb_tensor *two_min(nb_tensor *w) {
    nb_tensor *t = nb_sub(nb_mul_scalar(nb_pow_scalar(w, 4), 1.0 / 3),
                          nb_mul_scalar(nb_pow_scalar(w, 3), 0.5));
    return nb_add(nb_sub(t, nb_square(w)), w);
}
static double two_min_plain(double w, void *c) {
    (void)c;
    return w * w * w * w / 3 - w * w * w / 2 - w * w + w;
}

static int ex_3_1_3(void) {
    printf("== example 3.1.3: f(w) = w^4/3 - w^3/2 - w^2 + w ==\n");
    const double starts[] = { -2.5, -1.0, 0.0, 0.4, 0.5, 1.0, 2.5 };
    const char *colors[] = { "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22" };
    nb_svg *p = prefix ? nb_svg_new(480, 360, -2.2, 2.8, -2, 4, "w", "f(w)") : NULL;
    if (p) nb_svg_function(p, two_min_plain, NULL, "#1f77b4");
    for (int k = 0; k < 7; k++) {
        enum { N = 100 };
        double w = starts[k], xs[N + 1], ys[N + 1];
        for (int i = 0; i <= N; i++) {
            xs[i] = w, ys[i] = two_min_plain(w, NULL);
            if (i < N) w -= 0.1 * deriv(two_min, w);
        }
        if (isnan(w)) {
            nb_svg_free(p);
            return fail("3.1.3");
        }
        printf("start w = %5.2f -> local minimum (%.4f, %.4f)\n", starts[k], w, two_min_plain(w, NULL));
        if (p) nb_svg_polyline(p, xs, ys, 12, colors[k], true);
    }
    printf("the local minimum that gradient descent outputs depends on the initial point\n");
    return p ? save(p, "3.1.3") : 0;
}

/* ---- 3.3.1: two data points, least squares + lambda ||w||^2, w = (w0, w1, w2) ---- */
static double lambda_reg;
static nb_tensor *ls_loss(nb_tensor *w, double lambda) {
    nb_tensor *X = nb_tensor_from(NB_F64, (double[]){ 1, 0, 1, 1, 1, 0 }, NB_SHAPE(2, 3), false);
    nb_tensor *y = nb_tensor_from(NB_F64, (double[]){ -1, 1 }, NB_SHAPE(2), false);
    nb_tensor *r = nb_sub(y, nb_matmul(X, w)); /* y^i - w . x^i */
    nb_tensor *loss = nb_mul_scalar(nb_sum(nb_square(r)), 0.5);
    return nb_add(loss, nb_mul_scalar(nb_sum(nb_square(w)), lambda));
}
static double ls_plain(double w1, double w2, void *c) { /* the loss on the plane w0 = 0 */
    (void)c;
    return 0.5 * ((-1 - w2) * (-1 - w2) + (1 - w1) * (1 - w1)) + lambda_reg * (w1 * w1 + w2 * w2);
}

static int ex_3_3_1(void) {
    printf("== example 3.3.1: regularized least squares on ((1,0,1), -1), ((1,1,0), +1) ==\n");
    const double eta = 0.1;
    enum { N = 500 };
    double xs[2][N + 1], ys[2][N + 1];
    for (int k = 0; k < 2; k++) {
        double lambda = k ? 0.01 : 0.0;
        nb_tensor *w = nb_zeros(NB_F64, NB_SHAPE(3));
        nb_requires_grad_(w, true);
        for (int i = 0; i <= N; i++) {
            xs[k][i] = nb_data_f64(w)[1], ys[k][i] = nb_data_f64(w)[2];
            if (i == N) break;
            nb_scope s = nb_scope_begin();
            nb_tensor *g = nb_grad1(ls_loss(w, lambda), w, false);
            if (g) NB_NO_GRAD {
                    nb_add_scaled_(w, g, -eta);
                }
            nb_scope_end(s);
            if (!g) {
                nb_free(w);
                return fail("3.3.1");
            }
        }
        double *v = nb_data_f64(w);
        if (k == 0) {
            printf("lambda = 0: gradient descent from 0 reaches w* = (%.6f, %.6f, %.6f), on the line (0, 1, "
                   "-1) + t(1, -1, -1)\n",
                   v[0], v[1], v[2]);
        } else {
            double e = 1 / (1 + 2 * lambda);
            printf("lambda = %g: gradient descent reaches w** = (%.6f, %.6f, %.6f)\n", lambda, v[0], v[1],
                   v[2]);
            printf("closed form (0, 1/(1+2 lambda), -1/(1+2 lambda)) = (%.6f, %.6f, %.6f)\n", 0.0, e, -e);
            /* the gradient of (3.4) at the closed form is zero: the linear system holds */
            nb_scope s = nb_scope_begin();
            nb_tensor *ws = nb_requires_grad_(
                nb_tensor_from(NB_F64, (double[]){ 0, e, -e }, NB_SHAPE(3), false), true);
            nb_tensor *g = nb_grad1(ls_loss(ws, lambda), ws, false);
            if (!g) {
                nb_scope_end(s);
                nb_free(w);
                return fail("3.3.1");
            }
            double gmax = fmax(fabs(nb_data_f64(g)[0]),
                               fmax(fabs(nb_data_f64(g)[1]), fabs(nb_data_f64(g)[2])));
            printf("autograd gradient of (3.4) at w** is zero: %s\n", gmax < 1e-12 ? "yes" : "no");
            printf("loss at w**: %.6f (unregularized part %.6f)\n", nb_item(ls_loss(ws, lambda)),
                   nb_item(ls_loss(ws, 0)));
            nb_scope_end(s);
        }
        nb_free(w);
    }
    if (!prefix) return 0;
    lambda_reg = 0.01;
    nb_svg *p = nb_svg_new(480, 420, -0.2, 1.2, -1.2, 0.2, "w1", "w2 (w0 = 0 plane)");
    nb_svg_contour(p, ls_plain, NULL, 10);
    nb_svg_polyline(p, xs[1], ys[1], N + 1, "#ff7f0e", true);
    return save(p, "3.3.1");
}

int main(int argc, char **argv) {
    const char *which[8];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            prefix = argv[++i];
        else if (n < 8 && (!strcmp(argv[i], "3.1.1") || !strcmp(argv[i], "3.1.2") ||
                           !strcmp(argv[i], "3.1.3") || !strcmp(argv[i], "3.3.1")))
            which[n++] = argv[i];
        else {
            return cli_usage(argv[i], "usage: gd_examples [3.1.1|3.1.2|3.1.3|3.3.1 ...] [--svg PREFIX]\n");
        }
    }
    if (!n) which[n++] = "3.1.1", which[n++] = "3.1.2", which[n++] = "3.1.3", which[n++] = "3.3.1";
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(which[i], "3.1.1")) rc |= ex_3_1_1();
        if (!strcmp(which[i], "3.1.2")) rc |= ex_3_1_2();
        if (!strcmp(which[i], "3.1.3")) rc |= ex_3_1_3();
        if (!strcmp(which[i], "3.3.1")) rc |= ex_3_3_1();
    }
    return rc;
}
