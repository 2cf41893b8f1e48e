/* lr_tips.c — seed 003 (Hung-yi Lee, "Gradient Descent" tips), with gradients from autograd:
 * tip 1 learning rates (1/sqrt(t+1) decay, Adagrad vs vanilla GD, the best step |f'|/f''),
 * tip 2 stochastic vs full-batch GD on linear regression, tip 3 feature scaling before/after,
 * and the Taylor series of sin(x) around pi/4 with every derivative from repeated backward.
 * usage: lr_tips [decay|adagrad|sgd|scaling|taylor ...] [--svg PREFIX]   (none: all) */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "svgplot.h"
#include "cli.h"

static const char *prefix;

static int fail(const char *what) {
    fprintf(stderr, "lr_tips %s: %s\n", what, nb_error() ? nb_error() : "failed");
    return 1;
}

/* a loss-curve figure: each series[k] has n points (x = 0..n-1) */
static int save_curves(const char *name, int nser, double *const *series, int n, const char *const *names,
                       const char *ylabel, bool logy) {
    if (!prefix) return 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < nser; k++)
        for (int i = 0; i < n; i++) {
            double v = logy ? log10(fmax(series[k][i], 1e-300)) : series[k][i];
            if (isfinite(v)) lo = fmin(lo, v), hi = fmax(hi, v);
        }
    if (!(hi > lo)) hi = lo + 1;
    nb_svg *p = nb_svg_new(480, 360, 0, n - 1, lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), "step", ylabel);
    static const char *colors[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728" };
    double *xs = malloc(sizeof(double) * (size_t)n), *ys = malloc(sizeof(double) * (size_t)n);
    for (int k = 0; p && xs && ys && k < nser; k++) {
        for (int i = 0; i < n; i++)
            xs[i] = i, ys[i] = logy ? log10(fmax(series[k][i], 1e-300)) : series[k][i];
        nb_svg_polyline(p, xs, ys, n, colors[k % 4], n <= 60);
        nb_svg_legend(p, names[k], colors[k % 4]);
    }
    free(xs), free(ys);
    char path[512];
    snprintf(path, sizeof path, "%s_%s.svg", prefix, name);
    int rc = p && nb_svg_save(p, path) == 0 ? 0 : 1;
    nb_svg_free(p);
    return rc;
}

/* one gradient of a scalar loss at the leaf w; returns a new scope-owned tensor or NULL */
static nb_tensor *grad_at(nb_tensor *loss, nb_tensor *w) { return nb_grad1(loss, w, false); }

/* ---- tip 1a: eta^t = eta / sqrt(t + 1) on f(x) = x^2 from x = 10 with eta = 1.1 ---- */
static int decay(void) {
    printf("== learning rate decay eta^t = eta/sqrt(t+1), f(x) = x^2, x0 = 10, eta = 1.1 ==\n");
    enum { T = 20 };
    double trace[2][T + 1];
    for (int k = 0; k < 2; k++) {
        nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F64, 10), true);
        for (int t = 0; t <= T; t++) {
            trace[k][t] = fabs(nb_item(x));
            if (t == T) break;
            nb_scope s = nb_scope_begin();
            nb_tensor *g = grad_at(nb_square(x), x);
            double eta = k ? 1.1 / sqrt(t + 1.0) : 1.1;
            if (g) NB_NO_GRAD {
                    nb_add_scaled_(x, g, -eta);
                }
            nb_scope_end(s);
            if (!g) {
                nb_free(x);
                return fail("decay");
            }
        }
        printf("%-22s |x| after %d steps: %.6g\n", k ? "eta/sqrt(t+1):" : "constant eta:", T, trace[k][T]);
        nb_free(x);
    }
    printf("constant 1.1 diverges; the decayed rate drops below 1 at t = 1 and converges\n");
    return save_curves("decay", 2, (double *[]){ trace[0], trace[1] }, T + 1,
                       (const char *[]){ "constant eta", "eta/sqrt(t+1)" }, "log10 |x|", true);
}

/* ---- tip 1b: Adagrad w <- w - eta / sqrt(sum g^2) g vs vanilla w <- w - eta^t g ---- */
static nb_tensor *elongated(nb_tensor *w) { /* L(w) = w1^2 + 20 w2^2: curvatures differ 20x */
    return nb_add(nb_square(nb_select(w, 0, 0)), nb_mul_scalar(nb_square(nb_select(w, 0, 1)), 20));
}

static int adagrad(void) {
    printf("== Adagrad: how surprising is the gradient (the seed's two rows of g^0..g^4) ==\n");
    const double rows[2][5] = { { 0.001, 0.001, 0.003, 0.002, 0.1 }, { 10.8, 20.9, 31.7, 12.1, 0.1 } };
    for (int r = 0; r < 2; r++) {
        double ss = 0;
        for (int t = 0; t < 5; t++) ss += rows[r][t] * rows[r][t];
        printf("g = %g %g %g %g %g: g^4 / sqrt(sum g^2) = %.4f  (%s)\n", rows[r][0], rows[r][1], rows[r][2],
               rows[r][3], rows[r][4], rows[r][4] / sqrt(ss),
               r ? "unusually small: tiny step" : "unusually large: big step");
    }
    printf("== best step for y = ax^2 + bx + c is |2ax0 + b| / 2a = |first derivative| / second derivative "
           "==\n");
    {
        const double a = 1.5, b = -3, c = 2, x0v = 4;
        nb_scope s = nb_scope_begin();
        nb_tensor *x0 = nb_requires_grad_(nb_scalar(NB_F64, x0v), true);
        nb_tensor *y = nb_add_scalar(nb_add(nb_mul_scalar(nb_square(x0), a), nb_mul_scalar(x0, b)), c);
        nb_tensor *d1 = nb_grad1(y, x0, true), *d2 = nb_grad1(d1, x0, false);
        if (!d2) {
            nb_scope_end(s);
            return fail("adagrad");
        }
        double step = fabs(nb_item(d1)) / nb_item(d2);
        printf("a = %g, b = %g, x0 = %g: |y'| / y'' = %g, and x0 - step = %g = -b/2a\n", a, b, x0v, step,
               x0v - step);
        nb_scope_end(s);
    }
    printf("== vanilla GD (eta/sqrt(t+1)) vs Adagrad on L = w1^2 + 20 w2^2 from (-5, -2), eta = 0.05 / 1.0 "
           "==\n");
    enum { T = 60 };
    double loss[2][T + 1];
    for (int k = 0; k < 2; k++) {
        nb_tensor *w = nb_tensor_from(NB_F64, (double[]){ -5, -2 }, NB_SHAPE(2), true);
        nb_tensor *sum_g2 = nb_zeros(NB_F64, NB_SHAPE(2));
        for (int t = 0; t <= T; t++) {
            nb_scope s = nb_scope_begin();
            nb_tensor *L = elongated(w);
            loss[k][t] = L ? nb_item(L) : NAN;
            nb_tensor *g = t < T ? grad_at(L, w) : L;
            if (g && t < T) NB_NO_GRAD {
                    if (k == 0) {
                        nb_add_scaled_(w, g, -0.05 / sqrt(t + 1.0));
                    } else {
                        nb_add_(sum_g2, nb_square(g)); /* sum_i (g^i)^2, per parameter */
                        nb_sub_(w, nb_mul_scalar(nb_div(g, nb_sqrt(sum_g2)), 1.0));
                    }
                }
            nb_scope_end(s);
            if (!g || nb_error()) {
                nb_free(w), nb_free(sum_g2);
                return fail("adagrad");
            }
        }
        printf("%-8s loss after %d steps: %.6g\n", k ? "Adagrad" : "vanilla", T, loss[k][T]);
        nb_free(w), nb_free(sum_g2);
    }
    return save_curves("adagrad", 2, (double *[]){ loss[0], loss[1] }, T + 1,
                       (const char *[]){ "vanilla GD", "Adagrad" }, "log10 loss", true);
}

/* ---- linear regression data: y = b + w1 x1 + w2 x2 + noise, 20 examples; X has a ones column ---- */
enum { NEX = 20 };
static void make_data(double *X, double *y, double scale2) {
    nb_manual_seed(3);
    nb_tensor *r = nb_randn(NB_F64, NB_SHAPE(NEX, 3));
    double *v = nb_data_f64(r);
    for (int n = 0; n < NEX; n++) {
        double x1 = v[3 * n], x2 = scale2 * (1 + 0.5 * v[3 * n + 1]);
        X[3 * n] = 1, X[3 * n + 1] = x1, X[3 * n + 2] = x2;
        y[n] = 1.0 + 2.0 * x1 - 3.0 * x2 / scale2 + 0.1 * v[3 * n + 2];
    }
    nb_free(r);
}

/* L = sum_n (y^n - (b + sum_i w_i x_i^n))^2 over the rows of X (or one row) */
static nb_tensor *sq_loss(nb_tensor *X, nb_tensor *y, nb_tensor *theta) {
    return nb_sum(nb_square(nb_sub(y, nb_matmul(X, theta))));
}

static int sgd(void) {
    printf("== stochastic vs full-batch gradient descent, linear regression, %d examples, eta = 0.03 ==\n",
           NEX);
    double Xv[NEX * 3], yv[NEX];
    make_data(Xv, yv, 1.0);
    nb_tensor *X = nb_tensor_from(NB_F64, Xv, NB_SHAPE(NEX, 3), false),
              *y = nb_tensor_from(NB_F64, yv, NB_SHAPE(NEX), false);
    enum { EPOCHS = 10 };
    double loss[2][EPOCHS + 1];
    const double eta = 0.03;
    for (int k = 0; k < 2; k++) {
        nb_tensor *th = nb_requires_grad_(nb_zeros(NB_F64, NB_SHAPE(3)), true);
        nb_manual_seed(7);
        for (int e = 0; e <= EPOCHS; e++) {
            nb_scope s = nb_scope_begin();
            NB_NO_GRAD { loss[k][e] = nb_item(sq_loss(X, y, th)); }
            if (e < EPOCHS) {
                if (k == 0) { /* gradient descent: update after seeing all examples */
                    nb_tensor *g = grad_at(sq_loss(X, y, th), th);
                    if (g) NB_NO_GRAD {
                            nb_add_scaled_(th, g, -eta);
                        }
                } else { /* SGD: pick an example x^n, update for each example */
                    nb_tensor *perm = nb_randperm(NEX);
                    for (int i = 0; perm && i < NEX; i++) {
                        int64_t n = nb_data_i64(perm)[i];
                        nb_tensor *g = grad_at(sq_loss(nb_narrow(X, 0, n, 1), nb_narrow(y, 0, n, 1), th), th);
                        if (g) NB_NO_GRAD {
                                nb_add_scaled_(th, g, -eta);
                            }
                    }
                }
            }
            nb_scope_end(s);
            if (nb_error()) {
                nb_free(th), nb_free(X), nb_free(y);
                return fail("sgd");
            }
        }
        nb_free(th);
    }
    printf("%5s %14s %14s\n", "epoch", "GD loss", "SGD loss");
    for (int e = 0; e <= EPOCHS; e++) printf("%5d %14.6f %14.6f\n", e, loss[0][e], loss[1][e]);
    printf("after one epoch SGD has made %d updates and GD one: SGD loss is %s\n", NEX,
           loss[1][1] < loss[0][1] ? "lower" : "higher");
    nb_free(X), nb_free(y);
    return save_curves("sgd", 2, (double *[]){ loss[0], loss[1] }, EPOCHS + 1,
                       (const char *[]){ "GD", "SGD" }, "log10 loss", true);
}

static int scaling(void) {
    printf("== feature scaling: x2 is about 100 times larger than x1 ==\n");
    double Xv[NEX * 3], yv[NEX];
    make_data(Xv, yv, 100.0);
    enum { T = 100 };
    double loss[2][T + 1];
    for (int k = 0; k < 2; k++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *X = nb_tensor_from(NB_F64, Xv, NB_SHAPE(NEX, 3), false),
                  *y = nb_tensor_from(NB_F64, yv, NB_SHAPE(NEX), false);
        /* the largest stable eta is about 1 / (largest curvature): tiny for the raw features */
        double eta = k ? 0.01 : 2e-6;
        if (k) { /* x_i^r <- (x_i^r - m_i) / sigma_i for the feature columns (np.mean, np.std: ddof 0) */
            nb_tensor *F = nb_narrow(X, 1, 1, 2);
            nb_tensor *m = nb_mean_dim(F, NB_DIMS(0), true), *sd = nb_std_dim(F, NB_DIMS(0), 0, true);
            nb_tensor *Z = nb_div(nb_sub(F, m), sd);
            X = nb_cat(2, (nb_tensor *[]){ nb_narrow(X, 1, 0, 1), Z }, 1);
            nb_tensor *m2 = nb_mean_dim(Z, NB_DIMS(0), false), *v2 = nb_var_dim(Z, NB_DIMS(0), 0, false);
            if (!m2 || !v2) {
                nb_scope_end(s);
                return fail("scaling");
            }
            printf("after scaling: means %.3f %.3f, variances %.3f %.3f\n", fabs(nb_data_f64(m2)[0]),
                   fabs(nb_data_f64(m2)[1]), nb_data_f64(v2)[0], nb_data_f64(v2)[1]);
        }
        nb_tensor *th = nb_requires_grad_(nb_zeros(NB_F64, NB_SHAPE(3)), true);
        for (int t = 0; t <= T; t++) {
            nb_scope s2 = nb_scope_begin();
            nb_tensor *L = sq_loss(X, y, th);
            loss[k][t] = L ? nb_item(L) : NAN;
            nb_tensor *g = t < T ? grad_at(L, th) : L;
            if (g && t < T) NB_NO_GRAD {
                    nb_add_scaled_(th, g, -eta);
                }
            nb_scope_end(s2);
        }
        nb_free(th);
        if (nb_error()) {
            nb_scope_end(s);
            return fail("scaling");
        }
        printf("%-8s eta = %-6g loss: start %.4f, after %d steps %.6f\n", k ? "scaled" : "raw", eta,
               loss[k][0], T, loss[k][T]);
        nb_scope_end(s);
    }
    printf("scaling lets one learning rate fit both directions: %s\n",
           loss[1][T] < 0.01 * loss[0][T] ? "yes" : "no");
    return save_curves("scaling", 2, (double *[]){ loss[0], loss[1] }, T + 1,
                       (const char *[]){ "raw features", "scaled" }, "log10 loss", true);
}

/* ---- Taylor series of sin around pi/4: h^(k)(x0)/k! from k nested grads (create_graph) ---- */
static double sin_plain(double x, void *c) {
    (void)c;
    return sin(x);
}
static double taylor_coef[11];
static double taylor_eval(double x, void *c) {
    int order = *(int *)c;
    double s = 0, p = 1;
    for (int k = 0; k <= order; k++, p *= x - M_PI / 4) s += taylor_coef[k] * p;
    return s;
}

static int taylor(void) {
    printf("== Taylor series of sin(x) around x0 = pi/4, derivatives by repeated autograd ==\n");
    printf("%2s %14s %14s\n", "k", "h^(k)(x0)/k!", "seed: +-1/(k! sqrt 2)");
    static const int sign[4] = { 1, 1, -1, -1 }; /* the seed's series: + + - - + + - - ... */
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F64, M_PI / 4), true);
    nb_tensor *d = nb_sin(x);
    double fact = 1;
    int bad = 0;
    for (int k = 0; k <= 10; k++) {
        if (k) fact *= k;
        if (!d) {
            nb_scope_end(s);
            return fail("taylor");
        }
        double c = nb_item(d) / fact, seed = sign[k % 4] / (fact * sqrt(2.0));
        taylor_coef[k] = c;
        printf("%2d %14.6e %14.6e\n", k, c, seed);
        if (fabs(c - seed) > 1e-12 * fabs(seed)) bad = 1;
        if (k < 10) d = nb_grad1(d, x, true); /* the next derivative, itself differentiable */
    }
    printf("all 11 coefficients match the seed: %s\n", bad ? "no" : "yes");
    nb_scope_end(s);
    if (!prefix) return bad;
    nb_svg *p = nb_svg_new(480, 360, -M_PI, 2 * M_PI, -2, 2, "x", "h(x)");
    nb_svg_function(p, sin_plain, NULL, "#1f77b4");
    nb_svg_legend(p, "sin(x)", "#1f77b4");
    int o1 = 1, o3 = 3, o10 = 10;
    nb_svg_function(p, taylor_eval, &o1, "#ff7f0e");
    nb_svg_legend(p, "order 1", "#ff7f0e");
    nb_svg_function(p, taylor_eval, &o3, "#2ca02c");
    nb_svg_legend(p, "order 3", "#2ca02c");
    nb_svg_function(p, taylor_eval, &o10, "#d62728");
    nb_svg_legend(p, "order 10", "#d62728");
    char path[512];
    snprintf(path, sizeof path, "%s_taylor.svg", prefix);
    int rc = p && nb_svg_save(p, path) == 0 ? 0 : 1;
    nb_svg_free(p);
    return rc | bad;
}

int main(int argc, char **argv) {
    static const char *names[] = { "decay", "adagrad", "sgd", "scaling", "taylor" };
    int (*fns[])(void) = { decay, adagrad, sgd, scaling, taylor };
    bool want[5] = { 0 }, any = false;
    for (int i = 1; i < argc; i++) {
        bool ok = false;
        if (!strcmp(argv[i], "--svg") && i + 1 < argc) {
            prefix = argv[++i];
            continue;
        }
        for (int k = 0; k < 5; k++)
            if (!strcmp(argv[i], names[k])) want[k] = ok = any = true;
        if (!ok) {
            return cli_usage(argv[i],
                             "usage: lr_tips [decay|adagrad|sgd|scaling|taylor ...] [--svg PREFIX]\n");
        }
    }
    int rc = 0;
    for (int k = 0; k < 5; k++)
        if (want[k] || !any) rc |= fns[k]();
    return rc;
}
