/* conv.c — conv2d forward + backward (input, weight and bias gradients) on ResNet-like shapes, the
 * nabla side of bench/torch_conv.py: the same cases, the same timing rule (best of REPS after a warm-up).
 * Prints one line per case: case=NAME fwd_ms X fwdbwd_ms Y gflops Z cpu_ms C (fwd + bwd = 3x the forward
 * FLOPs; cpu_ms: the best run's process CPU time, all threads, the fairer figure on a loaded machine). */
#include <nabla.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clk(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now(void) { return clk(CLOCK_MONOTONIC); }
static double cpu(void) { return clk(CLOCK_PROCESS_CPUTIME_ID); }

typedef struct {
    const char *name;
    int64_t n, c, h, o, k, stride, pad, groups;
} conv_case;

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    const conv_case cs[] = {
        { "r64_3x3_56", 32, 64, 56, 64, 3, 1, 1, 1 },
        { "r128_3x3_28", 32, 128, 28, 128, 3, 1, 1, 1 },
        { "r1x1_256to64_56", 32, 256, 56, 64, 1, 1, 0, 1 },
        { "dw128_3x3_56", 32, 128, 56, 128, 3, 1, 1, 128 },
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        const conv_case *c = &cs[i];
        nb_manual_seed(1);
        nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(c->n, c->c, c->h, c->h));
        nb_tensor *w = nb_randn(NB_F32, NB_SHAPE(c->o, c->c / c->groups, c->k, c->k));
        nb_tensor *b = nb_randn(NB_F32, NB_SHAPE(c->o));
        nb_requires_grad_(x, true), nb_requires_grad_(w, true), nb_requires_grad_(b, true);
        nb_conv_opts o = { .stride = { c->stride }, .padding = { c->pad, c->pad }, .groups = c->groups };
        double best_f = 1e30, best_fb = 1e30, best_cpu = 1e30;
        for (int r = 0; r <= reps; r++) {
            nb_scope s = nb_scope_begin();
            double c0 = cpu(), t0 = now();
            nb_tensor *y = nb_conv2d(x, w, b, o);
            double t1 = now();
            nb_tensor *g = nb_ones_like(y);
            double t2 = now();
            if (nb_backward_ex(y, (nb_backward_opts){ .grad = g }) != NB_OK) {
                fprintf(stderr, "%s\n", nb_error());
                return 1;
            }
            double t3 = now(), c3 = cpu();
            nb_scope_end(s);
            nb_zero_grad(x), nb_zero_grad(w), nb_zero_grad(b);
            if (r == 0) continue; /* warm-up */
            if (t1 - t0 < best_f) best_f = t1 - t0;
            if ((t1 - t0) + (t3 - t2) < best_fb) best_fb = (t1 - t0) + (t3 - t2);
            if (c3 - c0 < best_cpu) best_cpu = c3 - c0;
        }
        int64_t ho = (c->h + 2 * c->pad - c->k) / c->stride + 1;
        double flops = 2.0 * (double)c->n * (double)c->o * (double)(c->c / c->groups) *
                       (double)(c->k * c->k) * (double)(ho * ho);
        printf("case=%s fwd_ms %.3f fwdbwd_ms %.3f gflops %.1f cpu_ms %.3f\n", c->name, 1e3 * best_f,
               1e3 * best_fb, 3 * flops / best_fb / 1e9, 1e3 * best_cpu);
        fflush(stdout);
        nb_free(x), nb_free(w), nb_free(b);
    }
    return 0;
}
