/* sampling.c — sorting, scans and sampling against bench/torch_sampling.py (same workloads, same output
 * lines): sort / topk / cumsum of a (256, 4096) f32 batch along dim 1, randperm(60000) from a generator
 * (a DataLoader epoch), multinomial over a 10000-word vocabulary (generate.py's one draw per word) and
 * over 64 rows with replacement, Categorical(logits (64, 10000)).sample() + log_prob.
 * usage: sampling [ROUNDS]   prints `<name>_us <best round's mean time>` per workload. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L /* clock_gettime when built outside meson */
#endif
#include "nabla.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef enum { SORT, TOPK, CUMSUM, RANDPERM, MN_VOCAB, MN_ROWS, CATEGORICAL } work;
enum { NWORK = CATEGORICAL + 1 };
static const char *names[NWORK] = { "sort_256x4096",       "topk10_256x4096",     "cumsum_256x4096",
                                    "randperm_60000",      "multinomial_10000_1", "multinomial_64x10000_r16",
                                    "categorical_64x10000" };
static const int reps[NWORK] = { 5, 20, 50, 50, 200, 50, 50 };

static void step(work w, nb_tensor *x, nb_tensor *vocab, nb_tensor *probs, nb_tensor *logits,
                 nb_generator *g) {
    nb_tensor *idx = NULL;
    switch (w) {
    case SORT: nb_sort(x, 1, (nb_sort_opts){ 0 }, &idx); break;
    case TOPK: nb_topk(x, 10, 1, (nb_topk_opts){ 0 }, &idx); break;
    case CUMSUM: nb_cumsum(x, 1); break;
    case RANDPERM: nb_randperm_gen(60000, g); break;
    case MN_VOCAB: nb_multinomial(vocab, 1, false); break;
    case MN_ROWS: nb_multinomial(probs, 16, true); break;
    case CATEGORICAL: {
        nb_categorical m;
        if (nb_categorical_init(&m, NULL, logits) == NB_OK)
            nb_categorical_log_prob(&m, nb_categorical_sample(&m, 0, NULL, NULL));
        break;
    }
    }
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 10;
    if (rounds <= 0) {
        fprintf(stderr, "usage: sampling [ROUNDS > 0]\n");
        return 2;
    }
    nb_manual_seed(0);
    nb_tensor *x = nb_rand(NB_F32, NB_SHAPE(256, 4096)), *vocab = nb_rand(NB_F32, NB_SHAPE(10000));
    nb_tensor *probs = nb_rand(NB_F32, NB_SHAPE(64, 10000)), *logits = nb_randn(NB_F32, NB_SHAPE(64, 10000));
    nb_generator *g = nb_generator_new();
    for (int w = 0; w < NWORK; w++) {
        double best = INFINITY;
        for (int r = 0; r < rounds; r++) {
            double t = now();
            for (int k = 0; k < reps[w]; k++) {
                nb_scope s = nb_scope_begin();
                step((work)w, x, vocab, probs, logits, g);
                nb_scope_end(s);
            }
            double dt = (now() - t) / reps[w];
            if (dt < best) best = dt;
        }
        if (nb_error()) {
            fprintf(stderr, "sampling: %s\n", nb_error());
            return 1;
        }
        printf("%s_us %.1f\n", names[w], best * 1e6);
        fflush(stdout);
    }
    nb_generator_free(g);
    nb_free(x);
    nb_free(vocab);
    nb_free(probs);
    nb_free(logits);
    return 0;
}
