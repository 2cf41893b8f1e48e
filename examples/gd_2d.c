/* gd_2d.c — seed 000/002 "Multivariate Gradient Descent": x <- x - eta grad f(x) on
 * f(x) = x1^2 + 2 x2^2 from (-5, -2) with eta = 0.1 for 20 steps, gradient from autograd.
 * usage: gd_2d [--eta E] [--steps N] [--svg FILE]   (--svg: contour plot + trajectory, show_trace_2d) */
#include <nabla.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "svgplot.h"

/* f(x1, x2) = x1^2 + 2 x2^2 on a length-2 tensor */
static nb_tensor *f_2d(nb_tensor *x) {
    return nb_add(nb_square(nb_select(x, 0, 0)), nb_mul_scalar(nb_square(nb_select(x, 0, 1)), 2));
}

static double f_plain(double x1, double x2, void *ctx) {
    (void)ctx;
    return x1 * x1 + 2 * x2 * x2;
}

int main(int argc, char **argv) {
    double eta = 0.1;
    int steps = 20;
    const char *svg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--eta") && i + 1 < argc && cli_double(argv[i + 1], &eta))
            i++;
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc && cli_int(argv[i + 1], &steps))
            i++;
        else if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            svg = argv[++i];
        else { return cli_usage(argv[i], "usage: gd_2d [--eta E] [--steps N] [--svg FILE]\n"); }
    }
    if (steps < 1 || steps > 100000) {
        fprintf(stderr, "gd_2d: --steps must be in 1..100000\n");
        return 2;
    }
    /* train_2d starts from Python ints (-5, -2) that become floats: f64 */
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ -5, -2 }, NB_SHAPE(2), true);
    double *xs = malloc(sizeof(double) * (size_t)(steps + 1)),
           *ys = malloc(sizeof(double) * (size_t)(steps + 1));
    if (!x || !xs || !ys) {
        fprintf(stderr, "gd_2d: %s\n", nb_error() ? nb_error() : "out of memory");
        return 1;
    }
    xs[0] = -5, ys[0] = -2;
    for (int i = 0; i < steps; i++) {
        nb_scope s = nb_scope_begin();
        nb_status st = nb_backward(f_2d(x));
        if (st == NB_OK) NB_NO_GRAD {
                nb_add_scaled_(x, x->grad, -eta);
            }
        nb_zero_grad(x);
        nb_scope_end(s);
        if (st != NB_OK || nb_error()) {
            fprintf(stderr, "gd_2d: %s\n", nb_error());
            return 1;
        }
        xs[i + 1] = nb_data_f64(x)[0], ys[i + 1] = nb_data_f64(x)[1];
    }
    printf("epoch %d, x1: %f, x2: %f\n", steps, xs[steps], ys[steps]);
    int rc = 0;
    if (svg) {
        nb_svg *p = nb_svg_new(480, 360, -5.5, 1.0, -3.0, 1.0, "x1", "x2");
        nb_svg_contour(p, f_plain, NULL, 10);
        nb_svg_polyline(p, xs, ys, steps + 1, "#ff7f0e", true);
        rc = p && nb_svg_save(p, svg) == 0 ? 0 : 1;
        nb_svg_free(p);
    }
    free(xs);
    free(ys);
    nb_free(x);
    return rc;
}
