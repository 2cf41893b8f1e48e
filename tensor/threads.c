/* threads.c — the thread count kernels use (OpenMP). Without OpenMP everything runs on one thread. */
#include "nb_internal.h"
#ifdef _OPENMP
#include <omp.h>
#endif

static int default_threads = -1;

void nb_set_num_threads(int n) {
#ifdef _OPENMP
    if (default_threads < 0) default_threads = omp_get_max_threads();
    omp_set_num_threads(n > 0 ? n : default_threads);
#else
    (void)n;
    (void)default_threads;
#endif
}

int nb_get_num_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
