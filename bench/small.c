/* small.c — tiny-graph overhead, the counterpart of shared/reference/torch_small.py: seed gradient
 * descent on f(x) = x cos(c x) driven by autograd, then a 2-D Adam loop on 0.1 x0^2 + 2 x1^2.
 * usage: small [N]   prints `scalar_gd_step_us X x V steady_allocs K` and `adam2d_step_us Y x [a, b]
 * steady_allocs K`, K = allocations from the system after the second step (0: memory is flat; the
 * first steps fill the pool and create the optimizer state). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L /* clock_gettime when built outside meson */
#endif
#include "nabla.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* System allocations so far (tensors, storages, tape nodes). */
static size_t allocs(void) { return nb_memory_stats_get().system_allocs; }

/* The n steps run as ROUNDS back-to-back rounds, and the time reported is the best round's mean
 * step: the machine is shared, and the least disturbed round is the closest to the real cost
 * (bench/torch_small.py measures PyTorch the same way). Call after step i: closes a round when due. */
enum { ROUNDS = 20 };
static void lap(long i, long n, double *t, long *i0, double *best) {
    long chunk = n / ROUNDS > 0 ? n / ROUNDS : 1;
    if ((i + 1) % chunk && i + 1 != n) return;
    double tn = now(), dt = (tn - *t) / (double)(i + 1 - *i0);
    if (dt < *best) *best = dt;
    *t = tn, *i0 = i + 1;
}

/* n steps of x -= 1e-3 dy/dx with y = x cos(c x), x a 0-d f32 leaf starting at 10; us per step. */
static double scalar_gd(long n, double *xout, size_t *steady) {
    const double c = 0.15 * M_PI;
    nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F32, 10.0), true);
    double t = now(), best = INFINITY;
    long i0 = 0;
    for (long i = 0; i < n; i++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *y = nb_mul(x, nb_cos(nb_mul_scalar(x, c))); /* y = x * torch.cos(c * x) */
        nb_backward(y);
        NB_NO_GRAD { nb_sub_(x, nb_mul_scalar(x->grad, 1e-3)); } /* x -= 1e-3 * x.grad */
        nb_zero_grad(x);                                         /* x.grad = None */
        nb_scope_end(s);
        if (i == 1) *steady = allocs();
        lap(i, n, &t, &i0, &best);
    }
    *steady = allocs() - *steady;
    *xout = nb_item(x);
    nb_free(x);
    return best * 1e6;
}

/* n Adam steps (lr 0.01) on 0.1 x0^2 + 2 x1^2 from x = (-5, -2); us per step. */
static double adam2d(long n, double xout[2], size_t *steady) {
    nb_tensor *x = nb_tensor_from(NB_F32, (float[]){ -5.0f, -2.0f }, NB_SHAPE(2), true);
    nb_optimizer *opt = nb_adam(&x, 1, (nb_adam_opts){ .lr = 0.01 });
    double t = now(), best = INFINITY;
    long i0 = 0;
    for (long i = 0; i < n; i++) {
        nb_optim_zero_grad(opt);
        nb_scope s = nb_scope_begin();
        nb_tensor *a = nb_mul_scalar(nb_pow_scalar(nb_select(x, 0, 0), 2), 0.1);
        nb_tensor *b = nb_mul_scalar(nb_pow_scalar(nb_select(x, 0, 1), 2), 2);
        nb_backward(nb_add(a, b));
        nb_scope_end(s);
        nb_optim_step(opt);
        if (i == 1) *steady = allocs();
        lap(i, n, &t, &i0, &best);
    }
    *steady = allocs() - *steady;
    xout[0] = nb_get(x, (int64_t[]){ 0 });
    xout[1] = nb_get(x, (int64_t[]){ 1 });
    nb_optim_free(opt);
    nb_free(x);
    return best * 1e6;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    if (n <= 0) {
        fprintf(stderr, "usage: small [N > 0]\n");
        return 2;
    }
    double x, x2[2];
    size_t steady = 0;
    double us = scalar_gd(n, &x, &steady);
    if (nb_error()) {
        fprintf(stderr, "small: %s\n", nb_error());
        return 1;
    }
    printf("scalar_gd_step_us %.2f x %.6f steady_allocs %zu\n", us, x, steady);
    fflush(stdout);
    us = adam2d(n, x2, &steady);
    if (nb_error()) {
        fprintf(stderr, "small: %s\n", nb_error());
        return 1;
    }
    printf("adam2d_step_us %.2f x [%.9g, %.9g] steady_allocs %zu\n", us, x2[0], x2[1], steady);
    return 0;
}
