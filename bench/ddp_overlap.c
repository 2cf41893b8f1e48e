/* ddp_overlap.c — `ddp_overlap MODEL BATCH STEPS [BUCKET_CAP_MB [FIRST_BUCKET_MB]]` under mpirun: DDP
 * training steps (SGD) of the Fashion-MNIST MLP ("mlp", 784-256-10, or "784-H-...-10") or the
 * pytorch/examples MNIST CNN without dropout ("cnn") on BATCH random samples per rank, timed per step
 * (median after 3 warm-up steps): forward, backward (nb_backward, which includes the gradient
 * reduction DDP starts inside it), the part of backward spent in MPI (exposed: not hidden), how many
 * bucket reductions were started during backward and how many had finished before its last gradient,
 * and one blocking all_reduce of the same gradient bytes on its own. Rank 0 prints one line of
 * `key value` pairs. At np 1 (no reduction) the backward is the compute alone. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L
#endif
#include <nabla.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n ? v[n / 2] : 0;
}

/* the MNIST CNN of pytorch/examples (conv 1-32-64 3x3, max pool 2, fc 9216-128-10), dropout left out */
static nb_module *cnn_new(void) {
    return nb_sequential_new(9, nb_conv2d_new(1, 32, 3, 3, true, (nb_conv_opts){ 0 }), nb_relu_new(),
                             nb_conv2d_new(32, 64, 3, 3, true, (nb_conv_opts){ 0 }), nb_relu_new(),
                             nb_max_pool2d_new((nb_max_pool2d_opts){ .kernel_size = { 2 } }, false),
                             nb_flatten_new(1, -1), nb_linear_new(9216, 128, true), nb_relu_new(),
                             nb_linear_new(128, 10, true));
}

/* "784-256-10": Linear + ReLU between the sizes */
static nb_module *mlp_new(const char *arch) {
    nb_module *m[32];
    int64_t sz[17];
    int n = 0, k = 0;
    for (const char *p = arch; *p && n < 17; n++) {
        sz[n] = strtoll(p, (char **)&p, 10);
        if (*p == '-') p++;
    }
    for (int i = 0; i + 1 < n; i++) {
        m[k++] = nb_linear_new(sz[i], sz[i + 1], true);
        if (i + 2 < n) m[k++] = nb_relu_new();
    }
    return n >= 2 ? nb_sequential_from(k, m) : NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr,
                "usage: ddp_overlap mlp|cnn|784-H-10 BATCH STEPS [BUCKET_CAP_MB [FIRST_BUCKET_MB]]\n");
        return 2;
    }
    const char *model_name = argv[1];
    int64_t batch = atoll(argv[2]);
    int steps = atoi(argv[3]);
    double cap = argc > 4 ? atof(argv[4]) : 0, first = argc > 5 ? atof(argv[5]) : 0;
    if (batch < 1 || steps < 1 || steps > 100000) {
        fprintf(stderr, "ddp_overlap: bad arguments\n");
        return 2;
    }
    if (nb_dist_init_process_group((nb_dist_init_opts){ 0 }) != NB_OK) {
        fprintf(stderr, "%s\n", nb_error());
        return 1;
    }
    int rank = nb_dist_get_rank(), world = nb_dist_get_world_size();
    bool cnn = !strcmp(model_name, "cnn");
    nb_manual_seed(1234 + (uint64_t)rank); /* each rank its own data; parameters come from rank 0 */
    nb_module *inner = cnn ? cnn_new() : mlp_new(!strcmp(model_name, "mlp") ? "784-256-10" : model_name);
    nb_module *model = nb_distributed_data_parallel(
        inner, (nb_ddp_opts){ .bucket_cap_mb = cap, .first_bucket_mb = first });
    nb_tensor *x = cnn ? nb_randn(NB_F32, NB_SHAPE(batch, 1, 28, 28))
                       : nb_randn(NB_F32, NB_SHAPE(batch, 784));
    nb_tensor *y = nb_randint(0, 10, NB_SHAPE(batch));
    int np = 0;
    nb_tensor **ps = model ? nb_module_parameters(model, &np) : NULL;
    nb_optimizer *opt = ps ? nb_sgd(ps, np, (nb_sgd_opts){ .lr = 0.01 }) : NULL;
    if (!opt || !x || !y) {
        fprintf(stderr, "ddp_overlap: setup failed: %s\n", nb_error() ? nb_error() : "?");
        return 1;
    }
    int warm = 3, n = steps;
    double *fw = malloc(sizeof *fw * (size_t)n), *bw = malloc(sizeof *bw * (size_t)n),
           *ex = malloc(sizeof *ex * (size_t)n), *wt = malloc(sizeof *wt * (size_t)n),
           *sp = malloc(sizeof *sp * (size_t)n);
    nb_ddp_stats s0 = { 0 };
    for (int i = 0; i < warm + n; i++) {
        if (i == warm) s0 = nb_ddp_get_stats(model);
        nb_ddp_stats a = nb_ddp_get_stats(model);
        nb_dist_barrier(); /* every step starts together: skew between ranks is not counted as exposed */
        nb_scope sc = nb_scope_begin();
        double t0 = now();
        nb_tensor *loss = nb_cross_entropy(nb_module_forward(model, x), y, (nb_cross_entropy_opts){ 0 });
        double t1 = now();
        nb_status st = nb_backward(loss);
        double t2 = now();
        if (st == NB_OK) st = nb_optim_step(opt);
        nb_optim_zero_grad(opt);
        double t3 = now();
        nb_scope_end(sc);
        if (st != NB_OK) {
            fprintf(stderr, "ddp_overlap: step failed: %s\n", nb_error());
            return 1;
        }
        nb_ddp_stats b = nb_ddp_get_stats(model);
        if (i >= warm) {
            int k = i - warm;
            fw[k] = t1 - t0, bw[k] = t2 - t1, sp[k] = t3 - t0;
            ex[k] = b.exposed_s - a.exposed_s, wt[k] = b.last_wait_s - a.last_wait_s;
        }
    }
    nb_ddp_stats s1 = nb_ddp_get_stats(model);
    /* the same gradient bytes reduced alone, blocking (what a step pays if nothing is hidden) */
    int reps = 20;
    double *ar = malloc(sizeof *ar * (size_t)reps);
    nb_tensor *g = nb_ones(NB_F32, NB_SHAPE(s1.bucket_bytes / 4 > 0 ? s1.bucket_bytes / 4 : 1));
    for (int i = 0; i < 3 + reps; i++) {
        nb_dist_barrier();
        double t0 = now();
        if (nb_dist_all_reduce(g, NB_REDUCE_SUM) != NB_OK) {
            fprintf(stderr, "%s\n", nb_error());
            return 1;
        }
        if (i >= 3) ar[i - 3] = now() - t0;
    }
    double arm = median(ar, reps);
    if (rank == 0)
        printf(
            "model %s world %d threads %d batch_per_rank %lld bucket_cap_mb %g buckets %d bucket_bytes %lld "
            "fwd_ms %.3f bwd_ms %.3f exposed_ms %.3f wait_ms %.3f step_ms %.3f allreduce_alone_ms %.3f "
            "early_launched_per_step %.2f early_done_per_step %.2f\n",
            model_name, world, nb_get_num_threads(), (long long)batch, cap, s1.nbuckets,
            (long long)s1.bucket_bytes, 1e3 * median(fw, n), 1e3 * median(bw, n), 1e3 * median(ex, n),
            1e3 * median(wt, n), 1e3 * median(sp, n), world > 1 ? 1e3 * arm : 0.0,
            (double)(s1.early_launched - s0.early_launched) / n, (double)(s1.early_done - s0.early_done) / n);
    free(fw), free(bw), free(ex), free(wt), free(sp), free(ar);
    nb_free(g), nb_free(x), nb_free(y);
    nb_optim_free(opt);
    nb_module_free(model);
    nb_dist_destroy_process_group();
    return 0;
}
