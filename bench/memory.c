/* memory.c — peak memory and step time of four training loops written with today's public ops, the
 * counterpart of bench/torch_memory.py (same models, same sizes, same order of operations):
 *   mlp  784-256-10 MLP, batch 256, cross entropy, SGD (the MLP of `make bench`)
 *   tsp  time_sequence_prediction: two LSTM cells from nb_linear/nb_narrow/nb_sigmoid/nb_tanh on a
 *        999-step sine sequence, f64, batch 97, MSE, L-BFGS (max_iter 2); a step is one closure
 *        (forward + backward), the mean over the closures of an optimizer step
 *   lm   2-layer LSTM language model from ops: emsize = nhid = 200, bptt 35, batch 20, vocab 10000,
 *        cross entropy, clip_grad_norm 0.25, SGD lr 20, hidden state carried (detached) across batches
 *   cnn  two 3x3 convolutions written as nine nb_narrow shifts times nb_matmul each (NHWC), relu,
 *        a linear classifier, batch 64 on 28x28, cross entropy, SGD
 * usage: memory MODE [small|full] [STEPS] [tidy]   prints one line; with `tidy` the loops say which
 * intermediates they are done with (NB_TIDY around an expression, nb_tidy_begin/end around a cell
 * step), which is all a loop needs to release unsaved forward intermediates at once
 *   `MODE step_ms T peak_bytes P steady_allocs K loss L`
 * T is the best step time (the machine is shared), P nb_memory_stats' peak of live tensor bytes, K the
 * system allocations made after the first step (0: the steady loop allocates nothing). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L
#endif
#include "memory_loops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "mlp";
    bool small = argc > 2 && !strcmp(argv[2], "small");
    mem_run r = { .z = mem_sizes_of(mode, small),
                  .steps = argc > 3 ? atol(argv[3]) : 5,
                  .tidy = argc > 4 && !strcmp(argv[4], "tidy") };
    nb_manual_seed(0);
    if (mem_run_loop(&r, mode) != NB_OK) {
        if (nb_error())
            fprintf(stderr, "memory %s: %s\n", mode, nb_error());
        else
            fprintf(stderr, "usage: memory mlp|tsp|lm|cnn [small|full] [steps] [tidy]\n");
        return nb_error() ? 1 : 2;
    }
    nb_memory_stats st = nb_memory_stats_get();
    printf("%s%s step_ms %.2f peak_bytes %zu steady_allocs %zu loss %.6f\n", mode, r.tidy ? "_tidy" : "",
           r.best * 1e3, st.peak_bytes, r.steps > 1 ? st.system_allocs - r.allocs1 : 0, r.loss);
    return 0;
}
