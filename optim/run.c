/* run.c — nbo_run: the one place the element-wise optimizers split a parameter's elements among
 * OpenMP threads (fixed 16384-element chunks, so the result does not depend on the thread count). */
#include "nbo_optim.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#define NBO_RUN_CHUNK 16384

void nbo_run(int64_t n, nbo_range_fn fn, const void *args) {
#ifdef _OPENMP
    if (n >= NBT_PAR_MIN && omp_get_max_threads() > 1) {
        int64_t nch = (n + NBO_RUN_CHUNK - 1) / NBO_RUN_CHUNK;
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < nch; c++) {
            int64_t lo = c * NBO_RUN_CHUNK, hi = lo + NBO_RUN_CHUNK < n ? lo + NBO_RUN_CHUNK : n;
            fn(args, lo, hi);
        }
        return;
    }
#endif
    fn(args, 0, n);
}
