/* ridge.c — seed 001, example 3.3.1: least squares on two points, (1,0,1) -> -1 and (1,1,0) -> +1,
 * with the l2 regularizer lambda ||w||^2 (lambda = 0.01). Gradient descent converges to the unique
 * minimizer (0, 1/(1+2 lambda), -1/(1+2 lambda)), once with the penalty added to the loss
 * (nb_l2_penalty) and once as the optimizer's weight_decay (the same gradient, 2 lambda w).
 * Without the regularizer GD from 0 ends at the minimum-norm fit (0, 1, -1). Exit 1 if not converged.
 * usage: ridge [--lambda L] [--steps N] [--lr LR] */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* 1/2 sum_n (y_n - w . x_n)^2 */
static nb_tensor *lsq(nb_tensor *w, nb_tensor *X, nb_tensor *y) {
    return nb_mul_scalar(nb_mse_loss(nb_matmul(X, w), y, (nb_loss_opts){ NB_REDUCTION_SUM }), 0.5);
}

int main(int argc, char **argv) {
    double lambda = 0.01, lr = 0.5;
    int steps = 3000;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: ridge [--lambda L] [--steps N] [--lr LR]\n");
            return 0;
        }
        if (v && !strcmp(argv[i], "--lambda") && cli_double(v, &lambda))
            continue;
        else if (v && !strcmp(argv[i], "--steps") && cli_int(v, &steps))
            continue;
        else if (v && !strcmp(argv[i], "--lr") && cli_double(v, &lr))
            continue;
        else {
            fprintf(stderr, "usage: ridge [--lambda L] [--steps N] [--lr LR]\n");
            return 2;
        }
    }
    if (steps <= 0 || steps > 10000000 || !(lr > 0) || lambda < 0) {
        fprintf(stderr, "ridge: --steps must be in 1..10000000, --lr positive and --lambda >= 0\n");
        return 2;
    }
    nb_tensor *X = nb_tensor_from(NB_F64, (double[]){ 1, 0, 1, 1, 1, 0 }, NB_SHAPE(2, 3), false);
    nb_tensor *y = nb_tensor_from(NB_F64, (double[]){ -1, 1 }, NB_SHAPE(2), false);
    double c = 1 / (1 + 2 * lambda), want[3] = { 0, c, -c };
    printf("ridge (seed 001, example 3.3.1): lambda = %g, %d GD steps of lr %g\n", lambda, steps, lr);
    printf("%-28s w = (%.6f, %.6f, %.6f)\n", "closed form w**", want[0], want[1], want[2]);
    int rc = 0;
    /* mode 0: penalty term; 1: weight decay; 2: no regularizer */
    const char *names[3] = { "penalty lambda ||w||^2", "SGD weight_decay 2 lambda", "no regularizer" };
    for (int mode = 0; mode < 3; mode++) {
        nb_tensor *w = nb_zeros(NB_F64, NB_SHAPE(3));
        nb_requires_grad_(w, true);
        nb_optimizer *opt = nb_sgd(&w, 1,
                                   (nb_sgd_opts){ .lr = lr, .weight_decay = mode == 1 ? 2 * lambda : 0 });
        double loss = NAN;
        for (int it = 0; it < steps && opt; it++) {
            nb_scope s = nb_scope_begin();
            nb_tensor *l = lsq(w, X, y);
            /* the seed's lambda ||w||^2 is nb_l2_penalty's (lambda'/2) ||w||^2 with lambda' = 2 lambda */
            if (mode == 0) l = nb_add(l, nb_l2_penalty(1, &w, 2 * lambda));
            if (nb_backward(l) != NB_OK || nb_optim_step(opt) != NB_OK) {
                fprintf(stderr, "ridge: %s\n", nb_error());
                rc = 1;
                nb_scope_end(s);
                break;
            }
            loss = nb_item(l);
            nb_optim_zero_grad(opt);
            nb_scope_end(s);
        }
        double v[3];
        nb_to_doubles(w, v);
        (void)loss;
        NB_NO_GRAD { /* report the seed's regularized objective (3.4) at the end point */
            nb_scope s = nb_scope_begin();
            loss = nb_item(nb_add(lsq(w, X, y), nb_l2_penalty(1, &w, 2 * lambda)));
            nb_scope_end(s);
        }
        printf("%-28s w = (%.6f, %.6f, %.6f)  objective (3.4) %.6f\n", names[mode], v[0], v[1], v[2], loss);
        double target[3] = { 0, mode == 2 ? 1 : c, mode == 2 ? -1 : -c };
        for (int k = 0; k < 3; k++)
            if (!(fabs(v[k] - target[k]) < 1e-6)) rc = 1;
        nb_optim_free(opt);
        nb_free(w);
    }
    printf("%s\n", rc ? "NOT converged to the expected minimizers" : "converged to the expected minimizers");
    nb_free(X);
    nb_free(y);
    return rc;
}
