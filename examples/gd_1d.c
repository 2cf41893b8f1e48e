/* gd_1d.c — seed 000 (gradient descent in one dimension), with the derivative from autograd:
 * x <- x - eta f'(x) for 10 epochs from x = 10, on f(x) = x^2 or f(x) = x cos(0.15 pi x)
 * (and seed 000's opening example f(x) = (x-2)^2 + 3 + 5 sin x: --f sin --eta 0.1 --epochs 30).
 * usage: gd_1d [--f square|xcos|sin] [--eta E] [--epochs N] [--x0 X] [--svg PREFIX]   (no --eta: the seed's
 * four runs; --svg writes show_trace for each run to PREFIX_<f>_<eta>.svg) */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "svgplot.h"

static const double C = 0.15 * M_PI;
static const char *svg_prefix; /* --svg PREFIX */
static bool svg_failed;        /* a figure could not be written: exit 1 */

enum { SQUARE, XCOS, SIN };
static const char *const names[] = { "square", "xcos", "sin" };

static double f_plain(double x, void *ctx) {
    int kind = *(int *)ctx;
    return kind == XCOS ? x * cos(C * x) : kind == SIN ? (x - 2) * (x - 2) + 3 + 5 * sin(x) : x * x;
}

/* the seed's show_trace: f on [-n, n] with n = max |x_i|, and the iterates (x_i, f(x_i)) */
static void show_trace(const double *xs, int n, int kind, double eta) {
    double m = 0, ys[1001], lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(xs[i]));
    if (!(m > 0) || !isfinite(m)) return;
    for (int i = 0; i < n; i++) ys[i] = f_plain(xs[i], &kind);
    for (int k = 0; k <= 200; k++) {
        double v = f_plain(-m + 2 * m * k / 200, &kind);
        lo = fmin(lo, v), hi = fmax(hi, v);
    }
    char path[512];
    snprintf(path, sizeof path, "%s_%s_%g.svg", svg_prefix, names[kind], eta);
    nb_svg *p = nb_svg_new(480, 360, -m, m, lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), "x", "f(x)");
    nb_svg_function(p, f_plain, &kind, "#1f77b4");
    nb_svg_polyline(p, xs, ys, n, "#ff7f0e", true);
    if (!p || nb_svg_save(p, path) != 0) {
        fprintf(stderr, "gd_1d: could not write %s\n", path);
        svg_failed = true;
    }
    nb_svg_free(p);
}

/* f(x) as a nabla expression */
static nb_tensor *f(nb_tensor *x, int kind) {
    if (kind == SIN)
        return nb_add(nb_add_scalar(nb_square(nb_sub_scalar(x, 2)), 3), nb_mul_scalar(nb_sin(x), 5));
    return kind == XCOS ? nb_mul(x, nb_cos(nb_mul_scalar(x, C))) : nb_pow_scalar(x, 2);
}

/* run gd and print the seed's line; returns the final x (NAN on error) */
static double gd(double eta, int kind, int epochs, double x0) {
    /* the seed keeps x as a Python float for x^2 and as a float32 tensor for x cos(cx) */
    nb_dtype dt = kind == XCOS ? NB_F32 : NB_F64;
    nb_tensor *x = nb_full(dt, 0, NULL, x0);
    nb_requires_grad_(x, true);
    double xs[1001];
    int nx = 0;
    xs[nx++] = x0;
    for (int i = 0; i < epochs; i++) {
        nb_scope s = nb_scope_begin();
        if (nb_backward(f(x, kind)) != NB_OK) {
            fprintf(stderr, "gd_1d: %s\n", nb_error());
            nb_scope_end(s);
            nb_free(x);
            return NAN;
        }
        NB_NO_GRAD { nb_add_scaled_(x, x->grad, -eta); }
        nb_zero_grad(x);
        nb_scope_end(s);
        if (nx < 1001) xs[nx++] = nb_item(x);
    }
    if (svg_prefix) show_trace(xs, nx, kind, eta);
    double v = nb_item(x);
    printf("epoch %d, x: %f\n", epochs, v);
    nb_free(x);
    return v;
}

int main(int argc, char **argv) {
    int kind = SQUARE;
    bool have_eta = false;
    double eta = 0.2, x0 = 10.0;
    int epochs = 10;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--f") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "xcos"))
                kind = XCOS;
            else if (!strcmp(v, "sin"))
                kind = SIN;
            else if (strcmp(v, "square")) {
                fprintf(stderr, "gd_1d: --f must be square, xcos or sin\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--eta") && i + 1 < argc && cli_double(argv[i + 1], &eta)) {
            i++;
            have_eta = true;
        } else if (!strcmp(argv[i], "--epochs") && i + 1 < argc && cli_int(argv[i + 1], &epochs) &&
                   epochs >= 0 && epochs <= 10000000)
            i++;
        else if (!strcmp(argv[i], "--x0") && i + 1 < argc && cli_double(argv[i + 1], &x0))
            i++;
        else if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            svg_prefix = argv[++i];
        else {
            return cli_usage(
                argv[i],
                "usage: gd_1d [--f square|xcos|sin] [--eta E] [--epochs N] [--x0 X] [--svg PREFIX]\n");
        }
    }
    if (have_eta) return isnan(gd(eta, kind, epochs, x0)) || svg_failed ? 1 : 0;
    if (kind != SQUARE || epochs != 10 || x0 != 10.0) {
        fprintf(stderr,
                "gd_1d: --f, --epochs and --x0 need --eta (without --eta it prints the seed's four runs)\n");
        return 2;
    }
    /* the seed's runs: eta 0.2, 0.05, 1.1 on x^2, and eta 2 on x cos(0.15 pi x) */
    bool bad = isnan(gd(0.2, SQUARE, 10, 10.0)) | isnan(gd(0.05, SQUARE, 10, 10.0)) |
               isnan(gd(1.1, SQUARE, 10, 10.0)) | isnan(gd(2.0, XCOS, 10, 10.0));
    return bad || svg_failed ? 1 : 0;
}
