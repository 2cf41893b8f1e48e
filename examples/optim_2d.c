/* optim_2d.c — every optimizer on d2l's 2-D test function f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2),
 * gradients (and Newton's Hessian) from autograd; prints d2l's line "epoch N, x1: ..., x2: ..."
 * after the last step, optionally writes the trajectory as CSV and as an SVG over f's contours.
 * usage: optim_2d --opt sgd|adagrad|rmsprop|adadelta|adam|adamw|nadam|lbfgs|newton --lr LR
 *   [--steps N] [--momentum M] [--dampening D] [--nesterov] [--weight-decay WD] [--alpha A]
 *   [--rho R] [--centered] [--betas B1,B2] [--eps E] [--amsgrad] [--lr-decay D] [--history H]
 *   [--line-search strong_wolfe] [--f momentum|gd] [--svg FILE] [--csv FILE]
 * --f gd uses the seed's gradient-descent function x1^2 + 2 x2^2 instead (seed 002, section 3.2).
 * Beyond torch (the seed's second-order section): --opt newton_cg | diag_newton | gd_armijo, and
 * --abs-hessian for newton / diag_newton. */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "svgplot.h"

typedef struct {
    const char *opt, *svg, *csv;
    double lr, momentum, dampening, weight_decay, alpha, rho, betas[2], eps, lr_decay, a;
    bool nesterov, centered, amsgrad, wolfe, abs_hessian;
    int steps, history;
} args;

typedef struct {
    nb_tensor *x;
    double a;
} problem;

/* f(x) = a x1^2 + 2 x2^2 as a nabla expression (w * x * x summed) */
static nb_tensor *loss(void *ctx) {
    problem *p = ctx;
    nb_tensor *w = nb_tensor_from(NB_F64, (double[]){ p->a, 2.0 }, NB_SHAPE(2), false);
    return nb_sum(nb_mul(w, nb_mul(p->x, p->x)));
}

/* torch-style closure: clear the grad, loss, backward, return the loss */
static double closure(void *ctx) {
    problem *p = ctx;
    nb_zero_grad(p->x);
    nb_scope s = nb_scope_begin();
    nb_tensor *l = loss(p);
    double v = nb_backward(l) == NB_OK ? nb_item(l) : NAN;
    nb_scope_end(s);
    return v;
}

static double f_plot(double x1, double x2, void *ctx) { return *(double *)ctx * x1 * x1 + 2 * x2 * x2; }

/* an option given on the command line is explicit: 0 means 0, not torch's default */
static double given(double v) { return v == 0 ? NB_ZERO : v; }

static nb_optimizer *make(const args *a, nb_tensor *x) {
    const char *n = a->opt;
    double lr = isnan(a->lr) ? 0 : given(a->lr); /* no --lr: torch's default (SGD requires one) */
    if (!strcmp(n, "sgd"))
        return nb_sgd(&x, 1,
                      (nb_sgd_opts){ .lr = lr,
                                     .momentum = a->momentum,
                                     .dampening = a->dampening,
                                     .weight_decay = a->weight_decay,
                                     .nesterov = a->nesterov });
    if (!strcmp(n, "adagrad"))
        return nb_adagrad(
            &x, 1,
            (nb_adagrad_opts){
                .lr = lr, .lr_decay = a->lr_decay, .weight_decay = a->weight_decay, .eps = a->eps });
    if (!strcmp(n, "rmsprop"))
        return nb_rmsprop(&x, 1,
                          (nb_rmsprop_opts){ .lr = lr,
                                             .alpha = a->alpha,
                                             .eps = a->eps,
                                             .weight_decay = a->weight_decay,
                                             .momentum = a->momentum,
                                             .centered = a->centered });
    if (!strcmp(n, "adadelta"))
        return nb_adadelta(&x, 1,
                           (nb_adadelta_opts){ .lr = lr,
                                               .rho = a->rho ? a->rho : a->alpha,
                                               .eps = a->eps,
                                               .weight_decay = a->weight_decay });
    if (!strcmp(n, "adam") || !strcmp(n, "adamw")) {
        nb_adam_opts o = { .lr = lr,
                           .betas = { a->betas[0], a->betas[1] },
                           .eps = a->eps,
                           .weight_decay = a->weight_decay,
                           .amsgrad = a->amsgrad };
        return !strcmp(n, "adam") ? nb_adam(&x, 1, o) : nb_adamw(&x, 1, o);
    }
    if (!strcmp(n, "nadam"))
        return nb_nadam(&x, 1,
                        (nb_nadam_opts){ .lr = lr,
                                         .betas = { a->betas[0], a->betas[1] },
                                         .eps = a->eps,
                                         .weight_decay = a->weight_decay });
    if (!strcmp(n, "lbfgs"))
        return nb_lbfgs(&x, 1,
                        (nb_lbfgs_opts){ .lr = lr,
                                         .history_size = a->history,
                                         .line_search_fn = a->wolfe ? NB_LINE_SEARCH_STRONG_WOLFE
                                                                    : NB_LINE_SEARCH_NONE });
    if (!strcmp(n, "newton"))
        return nb_newton(&x, 1, (nb_newton_opts){ .lr = lr, .abs_hessian = a->abs_hessian });
    if (!strcmp(n, "newton_cg")) return nb_newton_cg(&x, 1, (nb_newton_cg_opts){ .lr = lr });
    if (!strcmp(n, "diag_newton"))
        return nb_diag_newton(&x, 1, (nb_diag_newton_opts){ .lr = lr, .abs_hessian = a->abs_hessian });
    if (!strcmp(n, "gd_armijo")) return nb_gd_armijo(&x, 1, (nb_armijo_opts){ .lr = lr });
    return NULL; /* unreachable: parse() accepts only the names above */
}

static const char *const opt_names[] = { "sgd",    "adagrad",   "rmsprop",     "adadelta",
                                         "adam",   "adamw",     "nadam",       "lbfgs",
                                         "newton", "newton_cg", "diag_newton", "gd_armijo" };

static int usage(FILE *f, int rc) {
    fprintf(
        f,
        "usage: optim_2d --opt sgd|adagrad|rmsprop|adadelta|adam|adamw|nadam|lbfgs|newton --lr LR [--steps "
        "N]\n"
        "  [--momentum M] [--dampening D] [--nesterov] [--weight-decay WD] [--alpha A] [--rho R] "
        "[--centered]\n"
        "  [--betas B1,B2] [--eps E] [--amsgrad] [--lr-decay D] [--history H] [--line-search strong_wolfe]\n"
        "  [--f momentum|gd] [--svg FILE] [--csv FILE]\n"
        "  beyond torch: --opt newton_cg|diag_newton|gd_armijo, --abs-hessian\n");
    return rc;
}

static bool parse(int argc, char **argv, args *a) {
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--nesterov"))
            a->nesterov = true;
        else if (!strcmp(k, "--centered"))
            a->centered = true;
        else if (!strcmp(k, "--amsgrad"))
            a->amsgrad = true;
        else if (!strcmp(k, "--abs-hessian"))
            a->abs_hessian = true;
        else if (!v)
            return false;
        else {
            i++;
            double *num = !strcmp(k, "--lr")             ? &a->lr
                          : !strcmp(k, "--momentum")     ? &a->momentum
                          : !strcmp(k, "--dampening")    ? &a->dampening
                          : !strcmp(k, "--weight-decay") ? &a->weight_decay
                          : !strcmp(k, "--alpha")        ? &a->alpha
                          : !strcmp(k, "--rho")          ? &a->rho
                          : !strcmp(k, "--eps")          ? &a->eps
                          : !strcmp(k, "--lr-decay")     ? &a->lr_decay
                                                         : NULL;
            if (num) {
                if (!cli_double(v, num)) return false;
                if (num != &a->lr) *num = given(*num);
            } else if (!strcmp(k, "--opt")) {
                a->opt = NULL;
                for (size_t j = 0; j < sizeof opt_names / sizeof *opt_names; j++)
                    if (!strcmp(v, opt_names[j])) a->opt = v;
                if (!a->opt) {
                    fprintf(stderr, "optim_2d: unknown optimizer '%s'\n", v);
                    return false;
                }
            } else if (!strcmp(k, "--steps")) {
                if (!cli_int(v, &a->steps)) return false;
            } else if (!strcmp(k, "--history")) {
                if (!cli_int(v, &a->history)) return false;
            } else if (!strcmp(k, "--svg"))
                a->svg = v;
            else if (!strcmp(k, "--csv"))
                a->csv = v;
            else if (!strcmp(k, "--betas")) {
                int used = 0;
                if (sscanf(v, "%lf,%lf%n", &a->betas[0], &a->betas[1], &used) != 2 || v[used]) return false;
                a->betas[0] = given(a->betas[0]);
                a->betas[1] = given(a->betas[1]);
            } else if (!strcmp(k, "--line-search")) {
                if (strcmp(v, "strong_wolfe")) return false;
                a->wolfe = true;
            } else if (!strcmp(k, "--f")) {
                if (!strcmp(v, "gd"))
                    a->a = 1.0;
                else if (strcmp(v, "momentum"))
                    return false;
            } else
                return false;
        }
    }
    if (a->steps <= 0 || a->steps > 10000000) {
        fprintf(stderr, "optim_2d: --steps must be in 1..10000000\n");
        return false;
    }
    if (!a->opt) fprintf(stderr, "optim_2d: --opt NAME is required\n");
    return a->opt != NULL;
}

int main(int argc, char **argv) {
    args a = { .steps = 20, .a = 0.1, .lr = NAN };
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return usage(stdout, 0);
    if (!parse(argc, argv, &a)) return usage(stderr, 2);
    problem p = { nb_tensor_from(NB_F64, (double[]){ -5.0, -2.0 }, NB_SHAPE(2), true), a.a };
    nb_optimizer *opt = make(&a, p.x);
    if (!opt) {
        fprintf(stderr, "optim_2d: %s\n", nb_error() ? nb_error() : "bad optimizer");
        nb_free(p.x);
        return 1;
    }
    double *xs = malloc(sizeof(double) * (size_t)(a.steps + 1)),
           *ys = malloc(sizeof(double) * (size_t)(a.steps + 1));
    int rc = 0;
    if (!xs || !ys) {
        fprintf(stderr, "optim_2d: out of memory for %d steps\n", a.steps);
        free(xs);
        free(ys);
        nb_optim_free(opt);
        nb_free(p.x);
        return 1;
    }
    xs[0] = -5.0;
    ys[0] = -2.0;
    for (int i = 0; i < a.steps && rc == 0; i++) {
        nb_status st;
        if (!strcmp(a.opt, "newton") || !strcmp(a.opt, "newton_cg") || !strcmp(a.opt, "diag_newton"))
            st = nb_optim_step_loss(opt, loss, &p, NULL);
        else if (!strcmp(a.opt, "lbfgs") || !strcmp(a.opt, "gd_armijo"))
            st = nb_optim_step_closure(opt, closure, &p, NULL);
        else {
            closure(&p);
            st = nb_optim_step(opt);
        }
        if (st != NB_OK) {
            fprintf(stderr, "optim_2d: %s\n", nb_error());
            rc = 1;
        }
        xs[i + 1] = nb_data_f64(p.x)[0];
        ys[i + 1] = nb_data_f64(p.x)[1];
    }
    if (rc == 0) printf("epoch %d, x1: %f, x2: %f\n", a.steps, xs[a.steps], ys[a.steps]);
    if (rc == 0 && a.csv) {
        FILE *f = fopen(a.csv, "w");
        if (!f) {
            fprintf(stderr, "optim_2d: cannot write %s\n", a.csv);
            rc = 1;
        } else {
            fprintf(f, "step,x1,x2\n");
            for (int i = 0; i <= a.steps; i++) fprintf(f, "%d,%.17g,%.17g\n", i, xs[i], ys[i]);
            fclose(f);
        }
    }
    if (rc == 0 && a.svg) { /* like the seed's show_trace_2d: contours of f, the iterates in orange */
        nb_svg *s = nb_svg_new(600, 400, -5.5, 1.0, -3.0, 1.0, "x1", "x2");
        nb_svg_contour(s, f_plot, &p.a, 8);
        nb_svg_polyline(s, xs, ys, a.steps + 1, "#ff7f0e", true);
        if (nb_svg_save(s, a.svg) != 0) rc = 1;
        nb_svg_free(s);
    }
    free(xs);
    free(ys);
    nb_optim_free(opt);
    nb_free(p.x);
    return rc;
}
