/* batchnorm.c — BatchNorm2d / BatchNorm1d / GroupNorm train step (forward + backward of sum(y * g)
 * w.r.t. x, weight and bias) and eval forward on CNN shapes; the counterpart of bench/torch_batchnorm.py
 * (bench/batchnorm.sh runs both side by side). Prints `<name> train_ms T eval_ms E` per shape, the best
 * of ROUNDS rounds (the machine is shared). usage: batchnorm [STEPS [SHAPE]] */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L
#endif
#include "nabla.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { ROUNDS = 5 };
static const char *only; /* run only the shape of that name (argv[2]) */
static void run(const char *name, nb_module *m, int nd, const int64_t *shape, int steps) {
    if (only && strcmp(only, name)) {
        nb_module_free(m);
        return;
    }
    nb_manual_seed(0);
    nb_tensor *x = nb_requires_grad_(nb_randn(NB_F32, nd, shape), true), *g = nb_randn(NB_F32, nd, shape);
    double best_t = INFINITY, best_e = INFINITY;
    for (int r = 0; r < ROUNDS; r++) {
        nb_module_train(m, true);
        double t0 = now();
        for (int i = 0; i < steps; i++) {
            nb_scope s = nb_scope_begin();
            nb_backward(nb_sum(nb_mul(nb_module_forward(m, x), g)));
            nb_zero_grad(x);
            nb_module_zero_grad(m);
            nb_scope_end(s);
        }
        double t1 = now();
        nb_module_eval(m);
        NB_NO_GRAD {
            for (int i = 0; i < steps; i++) {
                nb_scope s = nb_scope_begin();
                nb_module_forward(m, x);
                nb_scope_end(s);
            }
        }
        double t2 = now();
        best_t = fmin(best_t, (t1 - t0) / steps);
        best_e = fmin(best_e, (t2 - t1) / steps);
    }
    if (nb_error()) fprintf(stderr, "batchnorm: %s\n", nb_error());
    printf("%s train_ms %.3f eval_ms %.3f\n", name, best_t * 1e3, best_e * 1e3);
    fflush(stdout);
    nb_free(x);
    nb_free(g);
    nb_module_free(m);
}

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 10;
    only = argc > 2 ? argv[2] : NULL;
    if (steps <= 0) {
        fprintf(stderr, "usage: batchnorm [STEPS > 0 [SHAPE]]\n");
        return 2;
    }
    nb_batch_norm_layer_opts o = { 0 };
    run("bn2d_64x32x26x26", nb_batch_norm2d_new(32, o), NB_SHAPE(64, 32, 26, 26), steps);
    run("bn2d_32x64x56x56", nb_batch_norm2d_new(64, o), NB_SHAPE(32, 64, 56, 56), steps);
    run("bn2d_32x128x28x28", nb_batch_norm2d_new(128, o), NB_SHAPE(32, 128, 28, 28), steps);
    run("bn1d_256x512", nb_batch_norm1d_new(512, o), NB_SHAPE(256, 512), steps);
    run("gn8_32x64x28x28", nb_group_norm_new(8, 64, (nb_group_norm_layer_opts){ 0 }),
        NB_SHAPE(32, 64, 28, 28), steps);
    return nb_error() ? 1 : 0;
}
