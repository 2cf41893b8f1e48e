/* memory_loops.h — the four training loops of the memory benchmark (bench/memory.c) as functions, so
 * that tests/test_memory_loops.c runs the very same code at small size and bounds its peak memory. */
#ifndef NB_BENCH_MEMORY_LOOPS_H
#define NB_BENCH_MEMORY_LOOPS_H

#include "nabla.h"

/* The sizes of a loop (the fields its mode uses; see bench/memory.c's header for what they mean). */
typedef struct {
    int64_t B, D, H, C, L, V, E, T, S, C1, C2;
} mem_sizes;
/* Sizes of mode ("mlp", "tsp", "lm", "cnn") at small (tests) or full (benchmark) size. */
mem_sizes mem_sizes_of(const char *mode, bool small);

typedef struct {
    mem_sizes z;
    int64_t steps;     /* optimizer steps (tsp: L-BFGS steps of max_iter 2) */
    bool tidy;         /* release intermediates with NB_TIDY / nb_tidy_end */
    double best, loss; /* out: fastest step (s; tsp: per closure), last loss */
    size_t allocs1;    /* out: nb_memory_stats' system_allocs after the first step */
} mem_run;
/* Run mode's loop (parameters and data created and freed inside); NB_ERROR for an unknown mode or an error. */
nb_status mem_run_loop(mem_run *r, const char *mode);

#endif
