/* logistic_regression.c — binary logistic regression on two Gaussian blobs in 2-D: a Linear(2, 1)
 * model trained with binary_cross_entropy_with_logits (the stable form of BCE on sigmoid outputs)
 * by full-batch gradient descent. Prints the loss, the same loss computed as BCE(sigmoid(z)), the
 * training accuracy and the decision boundary w . x + b = 0. Exit 1 below 85% accuracy.
 * usage: logistic_regression [--steps N] [--lr LR] [--seed S] */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define N 400

int main(int argc, char **argv) {
    int steps = 300;
    double lr = 0.5;
    uint64_t seed = 0;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: logistic_regression [--steps N] [--lr LR] [--seed S]\n");
            return 0;
        }
        if (v && !strcmp(argv[i], "--steps") && cli_int(v, &steps))
            continue;
        else if (v && !strcmp(argv[i], "--lr") && cli_double(v, &lr))
            continue;
        else if (v && !strcmp(argv[i], "--seed") && *v && (seed = strtoull(v, &end, 10), !*end))
            continue;
        else {
            fprintf(stderr, "usage: logistic_regression [--steps N] [--lr LR] [--seed S]\n");
            return 2;
        }
    }
    if (steps <= 0 || steps > 10000000 || !(lr > 0)) {
        fprintf(stderr, "logistic_regression: --steps must be in 1..10000000 and --lr positive\n");
        return 2;
    }
    /* class 0 ~ N((-1, -1), I), class 1 ~ N((1.5, 1), I), N / 2 each */
    nb_manual_seed(seed);
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(N, 2)), *y = nb_empty(NB_F32, NB_SHAPE(N, 1));
    float *xd = nb_data_f32(x), *yd = nb_data_f32(y);
    for (int i = 0; i < N; i++) {
        bool pos = i % 2;
        yd[i] = pos;
        xd[2 * i] += pos ? 1.5f : -1.0f;
        xd[2 * i + 1] += pos ? 1.0f : -1.0f;
    }
    nb_module *model = nb_linear_new(2, 1, true);
    int np;
    nb_tensor **p = nb_module_parameters(model, &np);
    nb_optimizer *opt = nb_sgd(p, np, (nb_sgd_opts){ .lr = lr });
    int rc = model && opt ? 0 : 1;
    printf("logistic regression, %d points in 2 blobs, full-batch GD lr %g\n", N, lr);
    printf("%6s %12s %14s %8s\n", "step", "bce_logits", "bce(sigmoid)", "acc");
    for (int it = 0; it <= steps && !rc; it++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *z = nb_module_forward(model, x);
        nb_tensor *loss = nb_binary_cross_entropy_with_logits(z, y, (nb_bce_logits_opts){ 0 });
        if (it % 50 == 0 || it == steps) {
            double same = NAN, acc = NAN;
            NB_NO_GRAD {
                same = nb_item(nb_binary_cross_entropy(nb_sigmoid(z), y, (nb_bce_opts){ 0 }));
                acc = nb_item(nb_mean(nb_eq(nb_gt_scalar(z, 0), y)));
            }
            printf("%6d %12.6f %14.6f %8.4f\n", it, nb_item(loss), same, acc);
            if (it == steps && !(acc >= 0.85)) rc = 1;
        }
        if (it < steps && (nb_backward(loss) != NB_OK || nb_optim_step(opt) != NB_OK)) {
            fprintf(stderr, "logistic_regression: %s\n", nb_error());
            rc = 1;
        }
        nb_optim_zero_grad(opt);
        nb_scope_end(s);
    }
    double w[2];
    nb_to_doubles(p[0], w);
    printf("decision boundary: %.4f x1 + %.4f x2 + %.4f = 0\n", w[0], w[1], nb_item(p[1]));
    nb_optim_free(opt);
    nb_module_free(model);
    nb_free(x);
    nb_free(y);
    return rc;
}
