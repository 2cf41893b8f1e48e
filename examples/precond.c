/* precond.c — seed 000/002 "Preconditioning" and exercises 3-5: gradient descent is slow when the
 * coordinates are scaled differently; x <- x - eta diag(H)^-1 grad f (diag(H) by double backward)
 * fixes that, |diag(H)| keeps it a descent on nonconvex f, and a 45-degree rotation defeats it.
 * usage: precond [--svg PREFIX]   (PREFIX_axis.svg, PREFIX_rotated.svg: contours + both trajectories) */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "svgplot.h"
#include "cli.h"

enum { MAXIT = 5000 };
static const double TOL = 1e-6;

/* f(x) = x1^2 + 100 x2^2 in coordinates u = R x (R = rotation by theta) */
static nb_tensor *f_scaled(nb_tensor *x, double theta) {
    double c = cos(theta), s = sin(theta);
    nb_tensor *x1 = nb_select(x, 0, 0), *x2 = nb_select(x, 0, 1);
    nb_tensor *u1 = nb_add(nb_mul_scalar(x1, c), nb_mul_scalar(x2, -s));
    nb_tensor *u2 = nb_add(nb_mul_scalar(x1, s), nb_mul_scalar(x2, c));
    return nb_add(nb_square(u1), nb_mul_scalar(nb_square(u2), 100));
}
static double f_plain(double x1, double x2, void *ctx) {
    double th = *(double *)ctx, c = cos(th), s = sin(th), u1 = c * x1 - s * x2, u2 = s * x1 + c * x2;
    return u1 * u1 + 100 * u2 * u2;
}

/* grad f and diag(H) at x: H_ii = d (grad f)_i / d x_i, by double backward */
static nb_status grad_and_diag(nb_tensor *(*fn)(nb_tensor *, double), double arg, nb_tensor *x, nb_tensor **g,
                               nb_tensor **diag) {
    *g = nb_grad1(fn(x, arg), x, true);
    if (!*g) return NB_ERROR;
    int64_t n = x->numel;
    nb_tensor *parts[8];
    for (int64_t i = 0; i < n && i < 8; i++) {
        nb_tensor *gi = nb_select(*g, 0, i), *row;
        if (nb_grad(1, &gi, 1, &x, NULL, &row, (nb_grad_opts){ .retain_graph = true }) != NB_OK)
            return NB_ERROR;
        parts[i] = nb_select(row, 0, i);
    }
    *diag = nb_stack((int)n, parts, 0);
    *g = nb_detach(*g);
    return *diag ? NB_OK : NB_ERROR;
}

/* iterate from (-5, -2) until f < TOL; returns the iteration count (MAXIT if not reached), -1 on error */
static int run(double theta, bool precond, double eta, double *xs, double *ys, int *npts) {
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ -5, -2 }, NB_SHAPE(2), true);
    int it = 0;
    *npts = 0;
    for (; it <= MAXIT; it++) {
        if (*npts < 200) xs[*npts] = nb_data_f64(x)[0], ys[*npts] = nb_data_f64(x)[1], ++*npts;
        nb_scope s = nb_scope_begin();
        double fv = NAN;
        NB_NO_GRAD { fv = nb_item(f_scaled(x, theta)); }
        nb_tensor *g = NULL, *d = NULL;
        bool done = fv < TOL || it == MAXIT;
        if (!done && grad_and_diag(f_scaled, theta, x, &g, &d) == NB_OK) NB_NO_GRAD {
                nb_sub_(x, nb_mul_scalar(precond ? nb_div(g, nb_abs(d)) : g, eta));
            }
        bool err = nb_error() != NULL;
        nb_scope_end(s);
        if (err) {
            fprintf(stderr, "precond: %s\n", nb_error());
            nb_free(x);
            return -1;
        }
        if (done) break;
    }
    nb_free(x);
    return it;
}

/* x cos(c x): Newton with f'' (the seed) and with |f''| (exercise 4.2) from x = 10, eta = 1 */
static nb_tensor *xcos(nb_tensor *x, double unused) {
    (void)unused;
    return nb_mul(x, nb_cos(nb_mul_scalar(x, 0.15 * M_PI)));
}

static int abs_hessian(void) {
    printf(
        "== exercise 4.2: x cos(0.15 pi x) from x = 10, eta = 1: signed vs absolute second derivative ==\n");
    for (int k = 0; k < 2; k++) {
        nb_tensor *x = nb_requires_grad_(nb_tensor_from(NB_F64, (double[]){ 10 }, NB_SHAPE(1), false), true);
        for (int i = 0; i < 10; i++) {
            nb_scope s = nb_scope_begin();
            nb_tensor *g, *d;
            if (grad_and_diag(xcos, 0, x, &g, &d) == NB_OK) NB_NO_GRAD {
                    nb_sub_(x, nb_div(g, k ? nb_abs(d) : d));
                }
            nb_scope_end(s);
        }
        if (nb_error()) {
            fprintf(stderr, "precond: %s\n", nb_error());
            nb_free(x);
            return 1;
        }
        double v = nb_data_f64(x)[0], fx = v * cos(0.15 * M_PI * v);
        printf("%-10s epoch 10, x: %.4f, f(x) = %.4f\n", k ? "|f''|:" : "f'':", v, fx);
        nb_free(x);
    }
    printf("dividing by |f''| always steps downhill: it finds a local minimum instead of a maximum\n");
    return 0;
}

int main(int argc, char **argv) {
    const char *prefix = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            prefix = argv[++i];
        else { return cli_usage(argv[i], "usage: precond [--svg PREFIX]\n"); }
    }
    printf("== f(x) = x1^2 + 100 x2^2 from (-5, -2): iterations until f < 1e-6 ==\n");
    printf("%-40s %12s %12s\n", "method", "axis-aligned", "rotated 45");
    const double thetas[2] = { 0, M_PI / 4 };
    static double xs[2][2][200], ys[2][2][200];
    int npts[2][2], its[2][2];
    for (int m = 0; m < 2; m++)
        for (int r = 0; r < 2; r++) {
            its[m][r] = run(thetas[r], m == 1, m ? 1.0 : 0.009, xs[m][r], ys[m][r], &npts[m][r]);
            if (its[m][r] < 0) return 1;
        }
    printf("%-40s %12d %12d\n", "gradient descent, eta = 0.009", its[0][0], its[0][1]);
    printf("%-40s %12d %12d\n", "eta diag(H)^-1 grad f, eta = 1", its[1][0], its[1][1]);
    printf(
        "preconditioning makes the axis-aligned problem one step; after a 45-degree rotation the Hessian is\n"
        "no longer diagonal and diag(H) = (101, 101) rescales nothing\n");
    int rc = abs_hessian();
    for (int r = 0; prefix && r < 2; r++) {
        char path[512];
        snprintf(path, sizeof path, "%s_%s.svg", prefix, r ? "rotated" : "axis");
        nb_svg *p = nb_svg_new(480, 360, -5.5, 1.0, -3.0, 1.0, "x1", "x2");
        nb_svg_contour(p, f_plain, (void *)&thetas[r], 12);
        nb_svg_polyline(p, xs[0][r], ys[0][r], npts[0][r], "#ff7f0e", true);
        nb_svg_polyline(p, xs[1][r], ys[1][r], npts[1][r], "#2ca02c", true);
        nb_svg_legend(p, "gradient descent", "#ff7f0e");
        nb_svg_legend(p, "diag(H) preconditioned", "#2ca02c");
        rc |= p && nb_svg_save(p, path) == 0 ? 0 : 1;
        nb_svg_free(p);
    }
    return rc;
}
