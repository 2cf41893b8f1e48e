/* rnn_cell.c — nabla side of bench/torch_rnn_cell.py: one LSTMCell / GRUCell step forward and backward
 * (loss = sum of the new state) at batch 1 and 64, hidden 51 and 512; the best round's mean step. */
#include <nabla.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 2000;
    nb_manual_seed(0);
    const int sizes[4][2] = { { 1, 51 }, { 64, 51 }, { 1, 512 }, { 64, 512 } };
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < 4; s++) {
            int64_t B = sizes[s][0], H = sizes[s][1];
            nb_module *cell = k == 0 ? nb_lstm_cell_new(H, H, true) : nb_gru_cell_new(H, H, true);
            nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(B, H)), *h = nb_randn(NB_F32, NB_SHAPE(B, H));
            nb_tensor *c = nb_randn(NB_F32, NB_SHAPE(B, H));
            int n = steps < 20 ? 20 : H < 512 ? steps : steps / 10, R = 10;
            double best = 1e30;
            for (int r = 0; r < R; r++) {
                double t = now();
                for (int i = 0; i < n / R; i++) {
                    nb_scope sc = nb_scope_begin();
                    nb_tensor *c2 = NULL, *h2 = nb_rnn_cell_forward(cell, x, h, k == 0 ? c : NULL, &c2);
                    nb_tensor *loss = k == 0 ? nb_add(nb_sum(h2), nb_sum(c2)) : nb_sum(h2);
                    if (nb_backward(loss) != NB_OK) {
                        fprintf(stderr, "%s\n", nb_error());
                        return 1;
                    }
                    nb_module_zero_grad(cell);
                    nb_scope_end(sc);
                }
                double dt = (now() - t) / (n / R);
                if (dt < best) best = dt;
            }
            printf("%s B=%lld H=%lld step_us %.1f\n", k == 0 ? "lstm" : "gru", (long long)B, (long long)H,
                   best * 1e6);
            nb_free(x), nb_free(h), nb_free(c);
            nb_module_free(cell);
        }
    return 0;
}
