/* pool.c — max_pool2d and avg_pool2d forward + backward on CNN-sized inputs, the counterpart of
 * bench/torch_pool.py (same shapes, same loop). usage: pool [reps]; prints one line per case:
 * `<case> fwd_bwd_ms X` (best round's mean of reps steps; the machine is shared). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L
#endif
#include "nabla.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    const char *name;
    int64_t shape[4];
    bool max;
    int64_t k, s, p;
} pcase;

/* one step: y = pool(x); backward with grad_output g (torch: y.backward(g)) */
static void step(const pcase *c, nb_tensor *x, nb_tensor *g) {
    nb_scope sc = nb_scope_begin();
    nb_tensor *y = c->max ? nb_max_pool2d(x, (nb_max_pool2d_opts){ .kernel_size = { c->k },
                                                                   .stride = { c->s },
                                                                   .padding = { c->p, c->p } })
                          : nb_avg_pool2d(x, (nb_avg_pool2d_opts){ .kernel_size = { c->k },
                                                                   .stride = { c->s },
                                                                   .padding = { c->p, c->p } });
    if (!g) g = nb_ones_like(y);
    if (nb_backward_ex(y, (nb_backward_opts){ .grad = g }) != NB_OK) fprintf(stderr, "%s\n", nb_error());
    nb_scope_end(sc);
    nb_zero_grad(x); /* torch's x.grad = None */
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    const pcase cs[] = {
        { "max_pool2d_k2_64x64x24x24", { 64, 64, 24, 24 }, true, 2, 2, 0 },
        { "max_pool2d_k3s2p1_32x64x56x56", { 32, 64, 56, 56 }, true, 3, 2, 1 },
        { "avg_pool2d_k2_64x64x24x24", { 64, 64, 24, 24 }, false, 2, 2, 0 },
        { "avg_pool2d_k3s1p1_32x64x28x28", { 32, 64, 28, 28 }, false, 3, 1, 1 },
    };
    nb_manual_seed(0);
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        nb_tensor *x = nb_requires_grad_(nb_randn(NB_F32, 4, cs[i].shape), true);
        step(&cs[i], x, NULL); /* warm-up: fills the buffer pool */
        double best = 1e30;
        for (int r = 0; r < 5; r++) {
            double t0 = now();
            for (int k = 0; k < reps; k++) step(&cs[i], x, NULL);
            double dt = (now() - t0) / reps;
            if (dt < best) best = dt;
        }
        printf("%s fwd_bwd_ms %.3f\n", cs[i].name, best * 1e3);
        nb_free(x);
        nb_pool_trim(); /* each case's peak memory is its own, not the sum of the pooled cases before it */
    }
    return 0;
}
