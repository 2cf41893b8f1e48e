/* threads.c — the thread count kernels use (OpenMP), and its adaptation to a busy machine.
 * Without OpenMP everything runs on one thread. Results never depend on the thread count. */
#include "nb_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int default_threads = -1;
static _Thread_local bool explicit_threads; /* nb_set_num_threads(n > 0) was called on this thread */

void nb_set_num_threads(int n) {
#ifdef _OPENMP
    if (default_threads < 0) default_threads = omp_get_max_threads();
    /* libgomp allocates per thread and kills the process for absurd counts (INT_MAX): clamp to 8 per CPU */
    int cap = 8 * (omp_get_num_procs() > 0 ? omp_get_num_procs() : 1);
    if (n > cap) n = cap;
    omp_set_num_threads(n > 0 ? n : default_threads);
    explicit_threads = n > 0;
#else
    (void)n;
    (void)default_threads;
    (void)explicit_threads;
#endif
}

int nb_get_num_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* With libgomp's default waiting, threads spin between parallel regions; on a machine with more
 * runnable threads than CPUs every region then waits for a descheduled teammate, and 2-thread
 * kernels run 10-30x slower than 1 thread (measured: a Fashion-MNIST epoch 14 s instead of 0.7 s at
 * load 3.5 on 2 CPUs). So a kernel about to start threads calls this; every quarter second it reads
 * how many threads are runnable right now (/proc/loadavg), subtracts the ones nabla keeps busy, and
 * smooths that count of other busy threads over about a second; this thread's OpenMP thread count
 * follows the CPUs they leave, between 1 and the count it started with. Off when the user chose:
 * nb_set_num_threads(n > 0), OMP_WAIT_POLICY or OMP_DYNAMIC set, or NB_ADAPT_THREADS=0. */
void nbt_threads_check(void) {
#ifdef _OPENMP
    static _Thread_local int enabled = -1; /* decided once per thread from the environment */
    static _Thread_local double next, others;
    static _Thread_local int wanted;
    if (explicit_threads || omp_in_parallel()) return;
    if (enabled < 0) {
        const char *a = getenv("NB_ADAPT_THREADS");
        enabled = !getenv("OMP_WAIT_POLICY") && !getenv("OMP_DYNAMIC") && !(a && !strcmp(a, "0"));
    }
    if (!enabled) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    if (t < next) return;
    next = t + 0.25;
    int cur = omp_get_max_threads();
    if (wanted <= 0) wanted = cur;
    if (wanted <= 1) return;
    /* "0.52 0.58 0.59 3/512 12345": 3 runnable now. Read with open/read into a stack buffer: no stdio
     * buffer is allocated, so a training loop stays allocation-free. */
    int running = -1, fd = open("/proc/loadavg", O_RDONLY);
    if (fd >= 0) {
        char buf[128];
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len > 0) {
            buf[len] = 0;
            if (sscanf(buf, "%*f %*f %*f %d/%*d", &running) != 1) running = -1;
        }
    }
    if (running < 0) {
        enabled = 0;
        return;
    }
    double now_others = running - cur > 0 ? (double)(running - cur) : 0.0;
    others = 0.75 * others + 0.25 * now_others;
    double left = (double)omp_get_num_procs() - others;
    int n = left < 1.5 ? 1 : (int)(left + 0.5);
    if (n > wanted) n = wanted;
    if (n != cur) omp_set_num_threads(n);
#endif
}
