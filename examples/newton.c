/* newton.c — seed 000/002 "Newton's Method": x <- x - eta f'(x) / f''(x) for 10 epochs from x = 10,
 * with f' and f'' from autograd (f'' by double backward: grad of grad with create_graph), on
 * cosh(0.5 x) (eta 1) and x cos(0.15 pi x) (eta 1, then 0.5), then the convergence-rate table.
 * usage: newton [--svg PREFIX]   (writes PREFIX_cosh.svg, PREFIX_xcos.svg, PREFIX_xcos_half.svg) */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "svgplot.h"
#include "cli.h"

typedef enum { F_COSH, F_XCOS, F_EXP } fn_id;

/* the objective as a nabla expression; constants are f32 tensors in the seed (torch.tensor(c)) */
static nb_tensor *f(nb_tensor *x, fn_id id) {
    switch (id) {
    case F_COSH: return nb_cosh(nb_mul_scalar(x, 0.5));
    case F_XCOS: return nb_mul(x, nb_cos(nb_mul_scalar(x, (float)(0.15 * M_PI))));
    case F_EXP: break;
    }
    return nb_sub(nb_exp(x), nb_mul_scalar(x, 2)); /* e^x - 2x, minimum at ln 2 */
}

static double f_plain(double x, void *ctx) {
    fn_id id = *(fn_id *)ctx;
    return id == F_COSH ? cosh(0.5 * x) : id == F_XCOS ? x * cos(0.15 * M_PI * x) : exp(x) - 2 * x;
}

/* one Newton step on x (a leaf): returns the step eta f'/f'' as a value, NAN on error */
static double newton_step(nb_tensor *x, fn_id id, double eta) {
    nb_scope s = nb_scope_begin();
    nb_tensor *g = nb_grad1(f(x, id), x, true); /* f'(x), itself differentiable */
    nb_tensor *h = nb_grad1(g, x, false);       /* f''(x) = d f'(x) / dx */
    double step = NAN;
    if (g && h) {
        nb_tensor *d = nb_mul_scalar(nb_div(nb_detach(g), h), eta);
        NB_NO_GRAD { nb_sub_(x, d); }
        if (d && !nb_error()) step = nb_item(d);
    }
    nb_scope_end(s);
    return step;
}

/* the seed's newton(eta): 10 steps from x = 10.0; prints "epoch 10, x: tensor(...)" */
static int run(fn_id id, double eta, const char *svg) {
    nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F32, 10.0), true);
    double xs[11], ys[11];
    xs[0] = 10.0;
    for (int i = 0; i < 10; i++) {
        if (isnan(newton_step(x, id, eta))) {
            fprintf(stderr, "newton: %s\n", nb_error());
            nb_free(x);
            return 1;
        }
        xs[i + 1] = nb_item(x);
    }
    nb_scope s = nb_scope_begin();
    printf("epoch 10, x: ");
    nb_print(nb_detach(x));
    nb_scope_end(s);
    nb_free(x);
    int rc = 0;
    if (svg) { /* show_trace: the function on [-n, n] and the iterates on it */
        double n = 0;
        for (int i = 0; i <= 10; i++) {
            ys[i] = f_plain(xs[i], &id);
            n = fmax(n, fabs(xs[i]));
        }
        double lo = INFINITY, hi = -INFINITY;
        for (int k = 0; k <= 400; k++) {
            double v = f_plain(-n + 2 * n * k / 400, &id);
            lo = fmin(lo, v), hi = fmax(hi, v);
        }
        nb_svg *p = nb_svg_new(480, 360, -n, n, lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), "x", "f(x)");
        nb_svg_function(p, f_plain, &id, "#1f77b4");
        nb_svg_polyline(p, xs, ys, 11, "#ff7f0e", true);
        rc = p && nb_svg_save(p, svg) == 0 ? 0 : 1;
        nb_svg_free(p);
    }
    return rc;
}

/* convergence analysis: |e(k+1)| <= c e(k)^2 near the optimum; f64 so the errors are visible */
static int rate_table(void) {
    printf("convergence of Newton's method on f(x) = exp(x) - 2x from x = 2 (x* = ln 2):\n");
    printf("%2s %14s %14s\n", "k", "|e(k)|", "|e(k)|/e(k-1)^2");
    nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F64, 2.0), true);
    double prev = NAN;
    for (int k = 0; k <= 5; k++) {
        double e = fabs(nb_item(x) - log(2.0));
        if (k == 0)
            printf("%2d %14.6e %14s\n", k, e, "");
        else
            printf("%2d %14.6e %14.6f\n", k, e, e / (prev * prev));
        if (e < 1e-15) break;
        prev = e;
        if (isnan(newton_step(x, F_EXP, 1.0))) {
            fprintf(stderr, "newton: %s\n", nb_error());
            nb_free(x);
            return 1;
        }
    }
    printf("the ratio tends to f'''(x*) / (2 f''(x*)) = 0.5: the error is squared at every step\n");
    nb_free(x);
    return 0;
}

int main(int argc, char **argv) {
    const char *prefix = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            prefix = argv[++i];
        else { return cli_usage(argv[i], "usage: newton [--svg PREFIX]\n"); }
    }
    char p1[512], p2[512], p3[512];
    if (prefix) {
        snprintf(p1, sizeof p1, "%s_cosh.svg", prefix);
        snprintf(p2, sizeof p2, "%s_xcos.svg", prefix);
        snprintf(p3, sizeof p3, "%s_xcos_half.svg", prefix);
    }
    int rc = run(F_COSH, 1.0, prefix ? p1 : NULL);
    rc |= run(F_XCOS, 1.0, prefix ? p2 : NULL);
    rc |= run(F_XCOS, 0.5, prefix ? p3 : NULL);
    rc |= rate_table();
    return rc;
}
