/* pg_course.c — the course page: each worked example that examples/ reproduces (gd_1d, gd_2d, newton,
 * precond, line_search, lr_tips), computed the way those programs compute it (same dtypes, same
 * nabla calls), so the default settings print the seed's numbers; sliders only change the arguments. */
#include "pg.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAXSTEP = 1000, GRID = 41 };

static void put_xy(FILE *f, const char *key, const double *x, const double *y, int n) {
    fprintf(f, ",\"%s\":{\"x\":", key);
    pg_nums(f, x, n);
    fputs(",\"y\":", f);
    pg_nums(f, y, n);
    fputc('}', f);
}

/* ---- 1-D gradient descent (examples/gd_1d.c) ---- */
static double f1(int kind, double x) {
    return kind == 1 ? x * cos(0.15 * M_PI * x) : kind == 2 ? (x - 2) * (x - 2) + 3 + 5 * sin(x) : x * x;
}
static nb_tensor *f1t(nb_tensor *x, int kind) {
    if (kind == 2)
        return nb_add(nb_add_scalar(nb_square(nb_sub_scalar(x, 2)), 3), nb_mul_scalar(nb_sin(x), 5));
    return kind == 1 ? nb_mul(x, nb_cos(nb_mul_scalar(x, 0.15 * M_PI))) : nb_pow_scalar(x, 2);
}

/* the curve f on [-m, m] (m = max |x_i|, as the seed's show_trace) */
static void put_curve(FILE *f, double (*fn)(int, double), int kind, const double *xs, int n) {
    double m = 0, cx[201], cy[201];
    for (int i = 0; i < n; i++)
        if (isfinite(xs[i])) m = fmax(m, fabs(xs[i]));
    if (!(m > 0)) m = 1;
    for (int k = 0; k <= 200; k++) cx[k] = -m + 2 * m * k / 200, cy[k] = fn(kind, cx[k]);
    put_xy(f, "curve", cx, cy, 201);
}

static const char *gd1d(const char *a) {
    char b[16];
    const char *fs = pg_arg_str(a, "f", "square", b, sizeof b);
    int kind = !strcmp(fs, "xcos") ? 1 : !strcmp(fs, "sin") ? 2 : 0;
    double eta = pg_arg(a, "eta", 0.2), x0 = pg_arg(a, "x0", 10);
    int epochs = (int)fmin(fmax(pg_arg(a, "epochs", 10), 0), MAXSTEP);
    nb_tensor *x = nb_requires_grad_(nb_full(kind == 1 ? NB_F32 : NB_F64, 0, NULL, x0), true);
    double xs[MAXSTEP + 1], ys[MAXSTEP + 1];
    xs[0] = nb_item(x);
    for (int i = 0; i < epochs; i++) {
        nb_scope s = nb_scope_begin();
        if (nb_backward(f1t(x, kind)) == NB_OK) NB_NO_GRAD {
                nb_add_scaled_(x, x->grad, -eta);
            }
        nb_zero_grad(x);
        nb_scope_end(s);
        xs[i + 1] = nb_item(x);
    }
    nb_free(x);
    if (nb_error()) return pg_fail(nb_error());
    for (int i = 0; i <= epochs; i++) ys[i] = f1(kind, xs[i]);
    FILE *f = pg_begin();
    fprintf(f, "{\"ok\":true,\"line\":\"epoch %d, x: %f\"", epochs, xs[epochs]);
    put_xy(f, "iterates", xs, ys, epochs + 1);
    put_curve(f, f1, kind, xs, epochs + 1);
    fputc('}', f);
    return pg_end();
}

/* ---- 2-D functions: contour grids around a trajectory ---- */
typedef double (*f2_fn)(double, double, double);
static double quad2(double x1, double x2, double th) {
    (void)th;
    return x1 * x1 + 2 * x2 * x2;
}
static double rot2(double x1, double x2, double th) {
    double c = cos(th), s = sin(th), u1 = c * x1 - s * x2, u2 = s * x1 + c * x2;
    return u1 * u1 + 100 * u2 * u2;
}
static double decay2(double x1, double x2, double th) {
    (void)th;
    return 0.1 * x1 * x1 + 2 * x2 * x2;
}

static void put_grid(FILE *f, f2_fn fn, double arg, double x0, double x1, double y0, double y1) {
    double v[GRID * GRID];
    for (int j = 0; j < GRID; j++)
        for (int i = 0; i < GRID; i++)
            v[j * GRID + i] = fn(x0 + (x1 - x0) * i / (GRID - 1), y0 + (y1 - y0) * j / (GRID - 1), arg);
    fprintf(f, ",\"grid\":{\"n\":%d,\"x0\":", GRID);
    pg_num(f, x0);
    fputs(",\"x1\":", f);
    pg_num(f, x1);
    fputs(",\"y0\":", f);
    pg_num(f, y0);
    fputs(",\"y1\":", f);
    pg_num(f, y1);
    fputs(",\"f\":", f);
    pg_nums(f, v, GRID * GRID);
    fputc('}', f);
}

static const char *gd2d(const char *a) {
    double eta = pg_arg(a, "eta", 0.1);
    int steps = (int)fmin(fmax(pg_arg(a, "steps", 20), 0), MAXSTEP);
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ pg_arg(a, "x1", -5), pg_arg(a, "x2", -2) }, NB_SHAPE(2),
                                  true);
    double xs[MAXSTEP + 1], ys[MAXSTEP + 1];
    xs[0] = nb_data_f64(x)[0], ys[0] = nb_data_f64(x)[1];
    for (int i = 0; i < steps; i++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *q1 = nb_square(nb_select(x, 0, 0));
        nb_tensor *q2 = nb_mul_scalar(nb_square(nb_select(x, 0, 1)), 2);
        if (nb_backward(nb_add(q1, q2)) == NB_OK) NB_NO_GRAD {
                nb_add_scaled_(x, x->grad, -eta);
            }
        nb_zero_grad(x);
        nb_scope_end(s);
        xs[i + 1] = nb_data_f64(x)[0], ys[i + 1] = nb_data_f64(x)[1];
    }
    nb_free(x);
    if (nb_error()) return pg_fail(nb_error());
    FILE *f = pg_begin();
    fprintf(f, "{\"ok\":true,\"line\":\"epoch %d, x1: %f, x2: %f\"", steps, xs[steps], ys[steps]);
    put_xy(f, "iterates", xs, ys, steps + 1);
    put_grid(f, quad2, 0, -5.5, 1.0, -3.0, 1.0);
    fputc('}', f);
    return pg_end();
}

/* ---- Newton's method with f'' by double backward (examples/newton.c) ---- */
static nb_tensor *fn_newton(nb_tensor *x, int kind) {
    return kind ? nb_mul(x, nb_cos(nb_mul_scalar(x, (float)(0.15 * M_PI)))) : nb_cosh(nb_mul_scalar(x, 0.5));
}
static double fn_newton_plain(int kind, double x) { return kind ? x * cos(0.15 * M_PI * x) : cosh(0.5 * x); }

static const char *newton(const char *a) {
    char b[16];
    int kind = !strcmp(pg_arg_str(a, "f", "xcos", b, sizeof b), "xcos");
    double eta = pg_arg(a, "eta", 1);
    int steps = (int)fmin(fmax(pg_arg(a, "steps", 10), 0), MAXSTEP);
    nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F32, pg_arg(a, "x0", 10)), true);
    double xs[MAXSTEP + 1], ys[MAXSTEP + 1];
    xs[0] = nb_item(x);
    for (int i = 0; i < steps; i++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *g = nb_grad1(fn_newton(x, kind), x, true);
        nb_tensor *h = nb_grad1(g, x, false);
        if (h) NB_NO_GRAD {
                nb_sub_(x, nb_mul_scalar(nb_div(nb_detach(g), h), eta));
            }
        nb_scope_end(s);
        xs[i + 1] = nb_item(x);
    }
    char *txt = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&txt, &n);
    nb_scope s = nb_scope_begin();
    if (m) {
        nb_fprint(m, nb_detach(x));
        fclose(m);
    }
    nb_scope_end(s);
    nb_free(x);
    if (nb_error()) {
        free(txt);
        return pg_fail(nb_error());
    }
    for (int i = 0; i <= steps; i++) ys[i] = fn_newton_plain(kind, xs[i]);
    FILE *f = pg_begin();
    char line[96];
    snprintf(line, sizeof line, "epoch %d, x: %s", steps, txt ? txt : "?");
    free(txt);
    fputs("{\"ok\":true,\"line\":", f);
    pg_str(f, line);
    put_xy(f, "iterates", xs, ys, steps + 1);
    put_curve(f, fn_newton_plain, kind, xs, steps + 1);
    fputc('}', f);
    return pg_end();
}

/* ---- diagonal preconditioning (examples/precond.c): f = u1^2 + 100 u2^2, u = R(theta) x ---- */
static nb_tensor *f_rot(nb_tensor *x, double th) {
    double c = cos(th), s = sin(th);
    nb_tensor *x1 = nb_select(x, 0, 0), *x2 = nb_select(x, 0, 1);
    nb_tensor *u1 = nb_add(nb_mul_scalar(x1, c), nb_mul_scalar(x2, -s));
    nb_tensor *u2 = nb_add(nb_mul_scalar(x1, s), nb_mul_scalar(x2, c));
    return nb_add(nb_square(u1), nb_mul_scalar(nb_square(u2), 100));
}

/* iterations until f < 1e-6 (at most maxit) with x -= eta g (or eta g / |diag H|) */
static int precond_run(double th, bool pre, double eta, int maxit, double *xs, double *ys, int *np) {
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ -5, -2 }, NB_SHAPE(2), true);
    int it = 0;
    *np = 0;
    for (; it <= maxit; it++) {
        if (*np < 200) xs[*np] = nb_data_f64(x)[0], ys[*np] = nb_data_f64(x)[1], ++*np;
        nb_scope s = nb_scope_begin();
        double fv = NAN;
        NB_NO_GRAD { fv = nb_item(f_rot(x, th)); }
        if (fv < 1e-6 || it == maxit || !isfinite(fv)) {
            nb_scope_end(s);
            break;
        }
        nb_tensor *g = nb_grad1(f_rot(x, th), x, true), *parts[2];
        for (int i = 0; i < 2 && g; i++) {
            nb_tensor *gi = nb_select(g, 0, i), *row = NULL;
            if (nb_grad(1, &gi, 1, &x, NULL, &row, (nb_grad_opts){ .retain_graph = true }) == NB_OK)
                parts[i] = nb_select(row, 0, i);
            else
                g = NULL;
        }
        if (g) {
            nb_tensor *d = nb_stack(2, parts, 0), *gd = nb_detach(g);
            NB_NO_GRAD { nb_sub_(x, nb_mul_scalar(pre ? nb_div(gd, nb_abs(d)) : gd, eta)); }
        }
        nb_scope_end(s);
        if (nb_error()) break;
    }
    nb_free(x);
    return nb_error() ? -1 : it;
}

static const char *precond(const char *a) {
    double th = pg_arg(a, "rotated", 0) ? M_PI / 4 : 0;
    double eta = pg_arg(a, "eta", 1), eta_gd = pg_arg(a, "eta_gd", 0.009);
    int maxit = (int)fmin(fmax(pg_arg(a, "maxit", 5000), 1), 20000);
    double px[200], py[200], gx[200], gy[200];
    int np, ng;
    int kp = precond_run(th, true, eta, maxit, px, py, &np);
    int kg = precond_run(th, false, eta_gd, maxit, gx, gy, &ng);
    if (kp < 0 || kg < 0) return pg_fail(nb_error());
    FILE *f = pg_begin();
    fprintf(
        f,
        "{\"ok\":true,\"line\":\"eta diag(H)^-1 grad f, eta = %g: %d iterations; gradient descent, eta = %g: "
        "%d iterations\",\"precond_iters\":%d,\"gd_iters\":%d",
        eta, kp, eta_gd, kg, kp, kg);
    put_xy(f, "iterates", px, py, np);
    put_xy(f, "iterates_gd", gx, gy, ng);
    put_grid(f, rot2, th, -6, 2, -3, 3);
    fputc('}', f);
    return pg_end();
}

/* ---- bisection on the sign of f' (examples/line_search.c, seed 002 exercise 2) ---- */
static const char *linesearch(const char *a) {
    double lo = pg_arg(a, "a", -2), hi = pg_arg(a, "b", 2), tol = pg_arg(a, "tol", 1e-9), mids[64], ds[64];
    int k = 0;
    for (; k < 64 && hi - lo > tol; k++) {
        double m = 0.5 * (lo + hi);
        nb_scope s = nb_scope_begin();
        nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F64, m), true);
        nb_tensor *fx = nb_log(nb_add(nb_exp(x), nb_exp(nb_sub_scalar(nb_mul_scalar(x, -2), 3))));
        nb_tensor *g = nb_grad1(fx, x, false);
        double d = g ? nb_item(g) : NAN;
        nb_scope_end(s);
        if (isnan(d)) return pg_fail(nb_error() ? nb_error() : "derivative is NaN");
        mids[k] = m, ds[k] = d;
        if (d > 0)
            hi = m;
        else
            lo = m;
    }
    double cx[201], cy[201];
    for (int i = 0; i <= 200; i++) cx[i] = -2 + 4.0 * i / 200, cy[i] = log(exp(cx[i]) + exp(-2 * cx[i] - 3));
    FILE *f = pg_begin();
    fprintf(f, "{\"ok\":true,\"line\":\"minimum at x = %.6f (exact (ln 2 - 3)/3 = %.6f) after %d halvings\"",
            0.5 * (lo + hi), (log(2.0) - 3) / 3, k);
    put_xy(f, "iterates", mids, ds, k);
    put_xy(f, "curve", cx, cy, 201);
    fputc('}', f);
    return pg_end();
}

/* ---- 1/sqrt(t+1) decay against Adagrad on 0.1 x1^2 + 2 x2^2 (seed 003) ---- */
static nb_tensor *f_decay(nb_tensor *x) {
    nb_tensor *q1 = nb_mul_scalar(nb_square(nb_select(x, 0, 0)), 0.1);
    nb_tensor *q2 = nb_mul_scalar(nb_square(nb_select(x, 0, 1)), 2);
    return nb_add(q1, q2);
}

static int run_decay(bool adagrad, double eta, int steps, double *xs, double *ys) {
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ -5, -2 }, NB_SHAPE(2), true);
    nb_optimizer *opt = adagrad ? nb_adagrad(&x, 1, (nb_adagrad_opts){ .lr = eta })
                                : nb_sgd(&x, 1, (nb_sgd_opts){ .lr = eta });
    nb_scheduler *sch = adagrad ? NULL : nb_inverse_sqrt_lr(opt);
    xs[0] = -5, ys[0] = -2;
    for (int i = 0; i < steps && opt; i++) {
        nb_scope s = nb_scope_begin();
        nb_optim_zero_grad(opt);
        if (nb_backward(f_decay(x)) == NB_OK) nb_optim_step(opt);
        if (sch) nb_scheduler_step(sch, NAN);
        nb_scope_end(s);
        xs[i + 1] = nb_data_f64(x)[0], ys[i + 1] = nb_data_f64(x)[1];
    }
    nb_scheduler_free(sch);
    nb_optim_free(opt);
    nb_free(x);
    return nb_error() ? -1 : 0;
}

static const char *decay(const char *a) {
    double eta = pg_arg(a, "eta", 0.4);
    int steps = (int)fmin(fmax(pg_arg(a, "steps", 40), 0), MAXSTEP);
    double dx[MAXSTEP + 1], dy[MAXSTEP + 1], ax[MAXSTEP + 1], ay[MAXSTEP + 1];
    if (run_decay(false, eta, steps, dx, dy) || run_decay(true, eta, steps, ax, ay))
        return pg_fail(nb_error());
    FILE *f = pg_begin();
    fprintf(f, "{\"ok\":true,\"line\":\"after %d steps: decay (%f, %f), Adagrad (%f, %f)\"", steps, dx[steps],
            dy[steps], ax[steps], ay[steps]);
    put_xy(f, "iterates", dx, dy, steps + 1);
    put_xy(f, "iterates_adagrad", ax, ay, steps + 1);
    put_grid(f, decay2, 0, -6, 2, -3, 3);
    fputc('}', f);
    return pg_end();
}

/* ---- minibatch SGD against full-batch GD on a linear regression (seed 003) ---- */
static const char *sgd(const char *a) {
    double eta = pg_arg(a, "eta", 0.03);
    int epochs = (int)fmin(fmax(pg_arg(a, "epochs", 5), 1), 50), n = 200,
        bs = (int)fmax(pg_arg(a, "batch", 10), 1);
    nb_manual_seed((uint64_t)pg_arg(a, "seed", 0));
    nb_scope s0 = nb_scope_begin(); /* the data outlives it (kept); its temporaries do not */
    nb_tensor *X = nb_keep(nb_randn(NB_F64, NB_SHAPE(n, 2)));
    nb_tensor *wt = nb_tensor_from(NB_F64, (double[]){ 2, -3.4 }, NB_SHAPE(2, 1), false);
    nb_tensor *noise = nb_mul_scalar(nb_randn(NB_F64, NB_SHAPE(n, 1)), 0.01);
    nb_tensor *Y = nb_keep(nb_add_scalar(nb_add(nb_matmul(X, wt), noise), 4.2));
    nb_scope_end(s0);
    double ls[2][51];
    for (int mode = 0; mode < 2; mode++) {
        nb_tensor *w = nb_zeros(NB_F64, NB_SHAPE(2, 1)), *b = nb_zeros(NB_F64, NB_SHAPE(1));
        nb_requires_grad_(w, true), nb_requires_grad_(b, true);
        nb_tensor *ps[2] = { w, b };
        nb_optimizer *opt = nb_sgd(ps, 2, (nb_sgd_opts){ .lr = eta });
        for (int e = 0; e <= epochs; e++) {
            nb_scope s = nb_scope_begin();
            NB_NO_GRAD {
                ls[mode][e] = nb_item(nb_mse_loss(nb_add(nb_matmul(X, w), b), Y, (nb_loss_opts){ 0 }));
            }
            nb_scope_end(s);
            if (e == epochs) break;
            int step = mode ? n : bs;
            for (int i = 0; i < n; i += step) {
                nb_scope s2 = nb_scope_begin();
                int len = i + step <= n ? step : n - i;
                nb_tensor *xb = nb_narrow(X, 0, i, len), *yb = nb_narrow(Y, 0, i, len);
                nb_optim_zero_grad(opt);
                if (nb_backward(nb_mse_loss(nb_add(nb_matmul(xb, w), b), yb, (nb_loss_opts){ 0 })) == NB_OK)
                    nb_optim_step(opt);
                nb_scope_end(s2);
            }
        }
        nb_optim_free(opt);
        nb_free(w), nb_free(b);
    }
    nb_free(X), nb_free(Y);
    if (nb_error()) return pg_fail(nb_error());
    double ep[51];
    for (int e = 0; e <= epochs; e++) ep[e] = e;
    FILE *f = pg_begin();
    fprintf(f,
            "{\"ok\":true,\"line\":\"after %d epochs: SGD (batch %d, %d updates/epoch) loss %.6f, full batch "
            "loss %.6f\"",
            epochs, bs, (n + bs - 1) / bs, ls[0][epochs], ls[1][epochs]);
    put_xy(f, "iterates", ep, ls[0], epochs + 1);
    put_xy(f, "iterates_full", ep, ls[1], epochs + 1);
    fputc('}', f);
    return pg_end();
}

const char *pg_course(const char *name, const char *args) {
    nb_clear_error();
    if (!name) return pg_fail("no example named");
    if (!args) args = "";
    if (!strcmp(name, "gd1d")) return gd1d(args);
    if (!strcmp(name, "gd2d")) return gd2d(args);
    if (!strcmp(name, "newton")) return newton(args);
    if (!strcmp(name, "precond")) return precond(args);
    if (!strcmp(name, "linesearch")) return linesearch(args);
    if (!strcmp(name, "decay")) return decay(args);
    if (!strcmp(name, "sgd")) return sgd(args);
    return pg_fail("unknown example (gd1d, gd2d, newton, precond, linesearch, decay, sgd)");
}
