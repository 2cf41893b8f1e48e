/* attention.c — F.scaled_dot_product_attention forward + backward at (B 8, H 8, T 256, D 64), causal and
 * not, f32 (bench/torch_attention.py is its PyTorch twin; bench/attention.sh runs both). Prints per
 * case the best round's ms for the forward alone and for forward + backward (grad_output fixed), and
 * the best sgemm GFLOP/s of a 1024^3 product measured in the same run (for the FLOP floor).
 * Usage: attention [rounds] [B H T D]. */
#include <nabla.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* best GFLOP/s of a 1024 x 1024 x 1024 f32 matmul over rounds */
static double sgemm_gflops(int rounds) {
    nb_tensor *a = nb_randn(NB_F32, NB_SHAPE(1024, 1024)), *b = nb_randn(NB_F32, NB_SHAPE(1024, 1024));
    double best = 0;
    for (int r = 0; r < rounds + 1; r++) {
        nb_scope s = nb_scope_begin();
        double t = now();
        nb_matmul(a, b);
        double g = 2.0 * 1024 * 1024 * 1024 / (now() - t) / 1e9;
        if (r > 0 && g > best) best = g; /* round 0 warms up */
        nb_scope_end(s);
    }
    nb_free(a), nb_free(b);
    return best;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 10;
    int64_t B = argc > 5 ? atoll(argv[2]) : 8, H = argc > 5 ? atoll(argv[3]) : 8;
    int64_t T = argc > 5 ? atoll(argv[4]) : 256, D = argc > 5 ? atoll(argv[5]) : 64;
    nb_manual_seed(0);
    printf("sgemm_gflops %.1f\n", sgemm_gflops(rounds));
    nb_tensor *q = nb_requires_grad_(nb_randn(NB_F32, NB_SHAPE(B, H, T, D)), true);
    nb_tensor *k = nb_requires_grad_(nb_randn(NB_F32, NB_SHAPE(B, H, T, D)), true);
    nb_tensor *v = nb_requires_grad_(nb_randn(NB_F32, NB_SHAPE(B, H, T, D)), true);
    nb_tensor *go = nb_randn(NB_F32, NB_SHAPE(B, H, T, D));
    for (int causal = 0; causal < 2; causal++) {
        nb_sdpa_opts o = { .is_causal = causal };
        double fw = 1e30, fb = 1e30;
        for (int r = 0; r < rounds + 1; r++) {
            nb_scope s = nb_scope_begin();
            double t = now();
            NB_NO_GRAD { nb_scaled_dot_product_attention(q, k, v, o); }
            double t1 = now();
            nb_tensor *y = nb_scaled_dot_product_attention(q, k, v, o);
            if (nb_backward_ex(y, (nb_backward_opts){ .grad = go }) != NB_OK) {
                fprintf(stderr, "attention: %s\n", nb_error());
                return 1;
            }
            double t2 = now();
            nb_zero_grad(q), nb_zero_grad(k), nb_zero_grad(v);
            nb_scope_end(s);
            if (r == 0) continue; /* warm-up */
            if (t1 - t < fw) fw = t1 - t;
            if (t2 - t1 < fb) fb = t2 - t1;
        }
        printf("causal %d B %lld H %lld T %lld D %lld fwd_ms %.2f fwdbwd_ms %.2f\n", causal, (long long)B,
               (long long)H, (long long)T, (long long)D, fw * 1e3, fb * 1e3);
    }
    nb_free(q), nb_free(k), nb_free(v), nb_free(go);
    return 0;
}
