/* allreduce.c — `allreduce BYTES [REPS]` under mpirun: the time of one nb_dist_all_reduce (SUM) of
 * BYTES of f32 on its own (median of REPS after 5 warm-ups), the cost a DDP step would pay if none of
 * its gradient reduction were hidden behind backward. Rank 0 prints `allreduce bytes B world W us T`. */
#include <nabla.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: allreduce BYTES [REPS]\n");
        return 2;
    }
    long long bytes = atoll(argv[1]);
    int reps = argc > 2 ? atoi(argv[2]) : 200;
    if (bytes < 4 || reps < 1 || reps > 100000) {
        fprintf(stderr, "allreduce: bad arguments\n");
        return 2;
    }
    if (nb_dist_init_process_group((nb_dist_init_opts){ 0 }) != NB_OK) {
        fprintf(stderr, "%s\n", nb_error());
        return 1;
    }
    nb_tensor *t = nb_ones(NB_F32, NB_SHAPE(bytes / 4));
    double *us = malloc(sizeof *us * (size_t)reps);
    for (int i = 0; i < 5 + reps; i++) {
        nb_dist_barrier();
        double t0 = now();
        if (nb_dist_all_reduce(t, NB_REDUCE_AVG) != NB_OK) {
            fprintf(stderr, "%s\n", nb_error());
            return 1;
        }
        if (i >= 5) us[i - 5] = 1e6 * (now() - t0);
    }
    qsort(us, (size_t)reps, sizeof *us, cmp);
    if (nb_dist_get_rank() == 0)
        printf("allreduce bytes %lld world %d us %.1f\n", bytes / 4 * 4, nb_dist_get_world_size(),
               us[reps / 2]);
    free(us);
    nb_free(t);
    nb_dist_destroy_process_group();
    return 0;
}
