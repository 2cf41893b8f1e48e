/* pg_optim.c — the optimizers page: SGD, momentum, Nesterov, Adagrad, RMSprop, Adam, L-BFGS and
 * Newton from nabla's optim/ layer (torch.optim's update rules) on one 2-D function, as trajectories
 * for one contour plot. L-BFGS runs one iteration per step (max_iter 1) so its path is comparable. */
#include "pg.h"
#include <math.h>
#include <string.h>

enum { MAXSTEP = 500, GRID = 61, NMETH = 8 };
static const char *const methods[NMETH] = { "sgd",     "momentum", "nesterov", "adagrad",
                                            "rmsprop", "adam",     "lbfgs",    "newton" };

typedef struct {
    int fn;
    nb_tensor *x;
} prob;

/* 0: x^2 + y^2 (quadratic), 1: Rosenbrock (1-x)^2 + 100 (y-x^2)^2, 2: the seed's x1^2 + 2 x2^2 */
static nb_tensor *f_t(const prob *p) {
    nb_tensor *a = nb_select(p->x, 0, 0), *b = nb_select(p->x, 0, 1);
    if (p->fn == 1) {
        nb_tensor *u = nb_square(nb_rsub_scalar(a, 1));
        nb_tensor *v = nb_mul_scalar(nb_square(nb_sub(b, nb_square(a))), 100);
        return nb_add(u, v);
    }
    nb_tensor *u = nb_square(a);
    nb_tensor *v = nb_mul_scalar(nb_square(b), p->fn == 2 ? 2 : 1);
    return nb_add(u, v);
}
static double f_d(int fn, double a, double b) {
    return fn == 1 ? (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a) : a * a + (fn == 2 ? 2 : 1) * b * b;
}

static double closure(void *ctx) {
    prob *p = ctx;
    nb_scope s = nb_scope_begin();
    nb_zero_grad(p->x);
    nb_tensor *y = f_t(p);
    double v = y && nb_backward(y) == NB_OK ? nb_item(y) : NAN;
    nb_scope_end(s);
    return v;
}
static nb_tensor *loss_fn(void *ctx) { return f_t(ctx); }

static nb_optimizer *make(int m, nb_tensor **x, double lr) {
    switch (m) {
    case 0: return nb_sgd(x, 1, (nb_sgd_opts){ .lr = lr });
    case 1: return nb_sgd(x, 1, (nb_sgd_opts){ .lr = lr, .momentum = 0.9 });
    case 2: return nb_sgd(x, 1, (nb_sgd_opts){ .lr = lr, .momentum = 0.9, .nesterov = true });
    case 3: return nb_adagrad(x, 1, (nb_adagrad_opts){ .lr = lr });
    case 4: return nb_rmsprop(x, 1, (nb_rmsprop_opts){ .lr = lr });
    case 5: return nb_adam(x, 1, (nb_adam_opts){ .lr = lr });
    case 6:
        return nb_lbfgs(
            x, 1, (nb_lbfgs_opts){ .lr = 1, .max_iter = 1, .line_search_fn = NB_LINE_SEARCH_STRONG_WOLFE });
    default: return nb_newton(x, 1, (nb_newton_opts){ .lr = 1 });
    }
}

/* one trajectory; returns the number of points, -1 on error */
static int run(int m, int fn, double lr, double x0, double y0, int steps, double *xs, double *ys) {
    prob p = { fn,
               nb_requires_grad_(nb_tensor_from(NB_F64, (double[]){ x0, y0 }, NB_SHAPE(2), false), true) };
    nb_optimizer *opt = make(m, &p.x, lr);
    int n = 0;
    xs[n] = x0, ys[n++] = y0;
    for (int i = 0; i < steps && opt; i++) {
        nb_status st;
        if (m == 6)
            st = nb_optim_step_closure(opt, closure, &p, NULL);
        else if (m == 7)
            st = nb_optim_step_loss(opt, loss_fn, &p, NULL);
        else if (isnan(closure(&p)))
            st = NB_ERROR;
        else
            st = nb_optim_step(opt);
        if (st != NB_OK) break;
        xs[n] = nb_data_f64(p.x)[0], ys[n++] = nb_data_f64(p.x)[1];
        if (!isfinite(xs[n - 1]) || !isfinite(ys[n - 1]) || fabs(xs[n - 1]) > 1e6 || fabs(ys[n - 1]) > 1e6)
            break;
    }
    nb_optim_free(opt);
    nb_free(p.x);
    return nb_error() ? -1 : n;
}

const char *pg_optim(const char *a) {
    nb_clear_error();
    if (!a) a = "";
    char b[32];
    const char *fs = pg_arg_str(a, "f", "seed", b, sizeof b);
    int fn = !strcmp(fs, "rosenbrock") ? 1 : !strcmp(fs, "quadratic") ? 0 : 2;
    double x0 = pg_arg(a, "x0", fn == 1 ? -1.5 : -5), y0 = pg_arg(a, "y0", fn == 1 ? 2 : -2);
    int steps = (int)fmin(fmax(pg_arg(a, "steps", 50), 1), MAXSTEP);
    double lr_default[NMETH] = { 0.05, 0.01, 0.01, 0.5, 0.05, 0.5, 1, 1 };
    if (fn == 1)
        lr_default[0] = 1e-3, lr_default[1] = lr_default[2] = 2e-4, lr_default[4] = 0.01, lr_default[5] = 0.1;
    FILE *f = pg_begin();
    fputs("{\"ok\":true,\"runs\":[", f);
    double xs[MAXSTEP + 1], ys[MAXSTEP + 1];
    int first = 1;
    for (int m = 0; m < NMETH; m++) {
        char key[32];
        snprintf(key, sizeof key, "use_%s", methods[m]);
        if (!pg_arg(a, key, 1)) continue;
        snprintf(key, sizeof key, "lr_%s", methods[m]);
        double lr = pg_arg(a, key, lr_default[m]);
        int n = run(m, fn, lr, x0, y0, steps, xs, ys);
        if (n < 0) {
            pg_end();
            return pg_fail(nb_error());
        }
        fprintf(f, "%s{\"method\":\"%s\",\"lr\":", first ? "" : ",", methods[m]);
        first = 0;
        pg_num(f, lr);
        fputs(",\"x\":", f);
        pg_nums(f, xs, n);
        fputs(",\"y\":", f);
        pg_nums(f, ys, n);
        fputs(",\"final\":", f);
        pg_num(f, f_d(fn, xs[n - 1], ys[n - 1]));
        fputc('}', f);
    }
    double gx0 = fn == 1 ? -2 : -6, gx1 = fn == 1 ? 2 : 6, gy0 = fn == 1 ? -1 : -4, gy1 = fn == 1 ? 3 : 4;
    double v[GRID * GRID];
    for (int j = 0; j < GRID; j++)
        for (int i = 0; i < GRID; i++)
            v[j * GRID + i] = f_d(fn, gx0 + (gx1 - gx0) * i / (GRID - 1), gy0 + (gy1 - gy0) * j / (GRID - 1));
    fprintf(f, "],\"grid\":{\"n\":%d,\"x0\":%g,\"x1\":%g,\"y0\":%g,\"y1\":%g,\"log\":%s,\"f\":", GRID, gx0,
            gx1, gy0, gy1, fn == 1 ? "true" : "false");
    pg_nums(f, v, GRID * GRID);
    fputs("}}", f);
    return pg_end();
}
