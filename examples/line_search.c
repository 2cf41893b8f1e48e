/* line_search.c — seed 002 "Gradient Descent with Line Search" and exercise 2: binary search for
 * the minimum of a convex function on [a, b] (deciding the half by the sign of f' from autograd),
 * applied to log(exp(x) + exp(-2x - 3)); then gradient descent that binary-searches the learning
 * rate eta minimizing f(x - eta grad f(x)), with d/d(eta) from autograd (eta is a leaf tensor).
 * usage: line_search [--svg PREFIX]   (PREFIX_bisect.svg, PREFIX_gd.svg) */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "svgplot.h"
#include "cli.h"

/* f(x) = log(exp(x) + exp(-2x - 3)), convex, minimum at x* = (ln 2 - 3) / 3 */
static nb_tensor *f_lse(nb_tensor *x) {
    return nb_log(nb_add(nb_exp(x), nb_exp(nb_sub_scalar(nb_mul_scalar(x, -2), 3))));
}
static double f_lse_plain(double x, void *c) {
    (void)c;
    return log(exp(x) + exp(-2 * x - 3));
}
/* the 2-D example of seed 000: f(x) = x1^2 + 2 x2^2 */
static nb_tensor *f_2d(nb_tensor *x) {
    return nb_sum(nb_mul(nb_square(x), nb_tensor_from(NB_F64, (double[]){ 1, 2 }, NB_SHAPE(2), false)));
}
static double f_2d_plain(double a, double b, void *c) {
    (void)c;
    return a * a + 2 * b * b;
}

/* f'(x) by autograd for a scalar f64 x */
static double deriv(nb_tensor *(*fn)(nb_tensor *), double xv) {
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F64, xv), true);
    nb_tensor *g = nb_grad1(fn(x), x, false);
    double v = g ? nb_item(g) : NAN;
    nb_scope_end(s);
    return v;
}

static int bisect(const char *prefix) {
    printf("== exercise 2: binary search for the minimum of log(exp(x) + exp(-2x - 3)) on [-2, 2] ==\n");
    printf("yes, it needs the derivative: the sign of f'((a+b)/2) says which half holds the minimum\n");
    double a = -2, b = 2, xstar = (log(2.0) - 3) / 3, mids[40];
    printf("%3s %12s %12s %12s\n", "k", "a", "b", "b - a");
    int k = 0;
    for (; k < 40 && b - a > 1e-9; k++) {
        double m = 0.5 * (a + b), d = deriv(f_lse, m);
        if (isnan(d)) {
            fprintf(stderr, "line_search: %s\n", nb_error());
            return 1;
        }
        mids[k] = m;
        if (d > 0)
            b = m;
        else
            a = m;
        if (k < 5 || b - a <= 1e-9)
            printf("%3d %12.8f %12.8f %12.3e\n", k + 1, a, b, b - a);
        else if (k == 5)
            printf("...\n");
    }
    printf(
        "minimum at x = %.6f (exact (ln 2 - 3)/3 = %.6f) after %d halvings: linear convergence, rate 1/2\n",
        0.5 * (a + b), xstar, k);
    if (!prefix) return 0;
    double ys[40];
    for (int i = 0; i < k; i++) ys[i] = f_lse_plain(mids[i], NULL);
    nb_svg *p = nb_svg_new(480, 360, -2, 2, -0.6, 3.2, "x", "f(x)");
    nb_svg_function(p, f_lse_plain, NULL, "#1f77b4");
    nb_svg_polyline(p, mids, ys, k < 12 ? k : 12, "#ff7f0e", true);
    char path[512];
    snprintf(path, sizeof path, "%s_bisect.svg", prefix);
    int rc = p && nb_svg_save(p, path) == 0 ? 0 : 1;
    nb_svg_free(p);
    return rc;
}

/* the eta in [0, eta_max] minimizing phi(eta) = f(x - eta g) by 40 halvings on the sign of phi'(eta) */
static double search_eta(nb_tensor *(*fn)(nb_tensor *), nb_tensor *x, nb_tensor *g, double eta_max) {
    double lo = 0, hi = eta_max;
    for (int k = 0; k < 40; k++) {
        double m = 0.5 * (lo + hi);
        nb_scope s = nb_scope_begin();
        nb_tensor *eta = nb_requires_grad_(nb_scalar(NB_F64, m), true);
        nb_tensor *d = nb_grad1(fn(nb_sub(nb_detach(x), nb_mul(eta, g))), eta, false); /* phi'(eta) */
        double dv = d ? nb_item(d) : NAN;
        nb_scope_end(s);
        if (isnan(dv)) return NAN;
        if (dv > 0)
            hi = m;
        else
            lo = m;
    }
    return 0.5 * (lo + hi);
}

/* gradient descent with line search from x0; prints every step; returns 0 on success */
static int gd_line_search(nb_tensor *(*fn)(nb_tensor *), const double *x0, int n, int steps, double *tx,
                          double *ty) {
    nb_tensor *x = nb_tensor_from(NB_F64, x0, NB_SHAPE(n), true);
    for (int t = 0; t <= steps; t++) {
        double *v = nb_data_f64(x);
        if (tx) tx[t] = v[0], ty[t] = v[1];
        if (t == steps) break;
        nb_scope s = nb_scope_begin();
        nb_tensor *g = nb_grad1(fn(x), x, false);
        double eta = g ? search_eta(fn, x, g, 2.0) : NAN;
        if (!isnan(eta)) NB_NO_GRAD {
                nb_add_scaled_(x, g, -eta);
            }
        double fv = NAN;
        NB_NO_GRAD { fv = nb_item(fn(x)); }
        nb_scope_end(s);
        if (isnan(eta) || nb_error()) {
            fprintf(stderr, "line_search: %s\n", nb_error());
            nb_free(x);
            return 1;
        }
        v = nb_data_f64(x);
        if (n == 1)
            printf("step %d: eta = %.6f, x = %.6f, f(x) = %.6f\n", t + 1, eta, v[0], fv);
        else
            printf("step %d: eta = %.6f, x1 = %.6f, x2 = %.6f, f(x) = %.3e\n", t + 1, eta, v[0], v[1], fv);
    }
    nb_free(x);
    return 0;
}

int main(int argc, char **argv) {
    const char *prefix = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            prefix = argv[++i];
        else { return cli_usage(argv[i], "usage: line_search [--svg PREFIX]\n"); }
    }
    int rc = bisect(prefix);
    printf("== gradient descent with line search on log(exp(x) + exp(-2x - 3)) from x = 1 ==\n");
    rc |= gd_line_search(f_lse, (double[]){ 1 }, 1, 1, NULL,
                         NULL); /* in 1-D the line search is exact: one step */
    printf(
        "== gradient descent with line search on x1^2 + 2 x2^2 from (-5, -2) (fixed eta 0.1 needs 20 steps "
        "for x1 = -0.057646) ==\n");
    double tx[9], ty[9];
    rc |= gd_line_search(f_2d, (double[]){ -5, -2 }, 2, 8, tx, ty);
    if (prefix && !rc) {
        char path[512];
        snprintf(path, sizeof path, "%s_gd.svg", prefix);
        nb_svg *p = nb_svg_new(480, 360, -5.5, 1.0, -3.0, 1.0, "x1", "x2");
        nb_svg_contour(p, f_2d_plain, NULL, 10);
        nb_svg_polyline(p, tx, ty, 9, "#ff7f0e", true);
        rc |= p && nb_svg_save(p, path) == 0 ? 0 : 1;
        nb_svg_free(p);
    }
    return rc;
}
