/* time_sequence_prediction.c — pytorch/examples time_sequence_prediction (generate_sine_wave.py and
 * train.py) ported line by line: 100 sine waves with random shifts (numpy's RandomState(2).randint,
 * reproduced here with its MT19937 and masked rejection, so the data are the script's bit for bit),
 * a Sequence model of LSTMCell(1, 51), LSTMCell(51, 51) and Linear(51, 1) in float64, trained by
 * L-BFGS (lr 0.8) with a closure on the MSE loss, then 1000 future steps predicted on 3 test waves.
 * Prints what train.py prints (STEP, every closure's loss, the test loss) with Python's float repr.
 * usage: time_sequence_prediction [--steps 15] [--max-iter 20]   (--max-iter, L-BFGS's max_iter, is not
 * in train.py: the fast test uses 1; the script's predict<i>.pdf figures are not drawn) */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

enum { T_ = 20, L_ = 1000, N_ = 100, H_ = 51 };

/* ---- numpy.random.RandomState: MT19937 (init_genrand) and legacy randint's masked rejection ---- */
typedef struct {
    uint32_t mt[624];
    int i;
} mt19937;
static void mt_seed(mt19937 *g, uint32_t s) {
    g->mt[0] = s;
    for (int i = 1; i < 624; i++)
        g->mt[i] = 1812433253u * (g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) + (uint32_t)i;
    g->i = 624;
}
static uint32_t mt_next(mt19937 *g) {
    if (g->i >= 624) {
        for (int k = 0; k < 624; k++) {
            uint32_t y = (g->mt[k] & 0x80000000u) | (g->mt[(k + 1) % 624] & 0x7fffffffu);
            g->mt[k] = g->mt[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 ? 0x9908b0dfu : 0);
        }
        g->i = 0;
    }
    uint32_t y = g->mt[g->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}
/* np.random.randint(low, high): draws & mask until <= high - 1 - low (numpy's bounded masked uint32) */
static int64_t np_randint(mt19937 *g, int64_t low, int64_t high) {
    uint32_t rng = (uint32_t)(high - 1 - low), mask = rng;
    for (int s = 1; s < 32; s <<= 1) mask |= mask >> s;
    uint32_t v;
    while ((v = mt_next(g) & mask) > rng) {}
    return low + v;
}

/* generate_sine_wave.py: data[n][l] = sin((l + shift_n) / 1.0 / T), shift_n = randint(-4T, 4T) */
static nb_tensor *sine_waves(void) {
    mt19937 g;
    mt_seed(&g, 2);
    double *d = malloc(sizeof(double) * N_ * L_);
    if (!d) return NULL;
    for (int n = 0; n < N_; n++) {
        int64_t shift = np_randint(&g, -4 * T_, 4 * T_);
        for (int l = 0; l < L_; l++) d[n * L_ + l] = sin((double)(l + shift) / 1.0 / T_);
    }
    nb_tensor *t = nb_tensor_from(NB_F64, d, 2, (int64_t[]){ N_, L_ }, false);
    free(d);
    return t;
}

/* Python's repr of a float: the shortest %.{p}g that reads back as the same double */
static void pyrepr(double v, char *buf, size_t n) {
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", n - strlen(buf) - 1); /* 1 -> 1.0, like Python */
    char *e = strchr(buf, 'e'); /* Python writes 1e-05 as 1e-05: C does too; drop a leading '+' */
    if (e && e[1] == '+') memmove(e + 1, e + 2, strlen(e + 2) + 1);
}

/* ---- the model: class Sequence ---- */
typedef struct {
    nb_module *lstm1, *lstm2, *linear;
    nb_tensor **params;
    int np;
} sequence;

/* forward(input, future): outputs of every step, then `future` steps fed back, as (B, T + future) */
static nb_tensor *seq_forward(sequence *s, nb_tensor *input, int future) {
    int64_t B = input->shape[0], T = input->shape[1];
    nb_tensor *h = nb_zeros(NB_F64, 2, (int64_t[]){ B, H_ }), *c = nb_zeros(NB_F64, 2, (int64_t[]){ B, H_ });
    nb_tensor *h2 = nb_zeros(NB_F64, 2, (int64_t[]){ B, H_ }),
              *c2 = nb_zeros(NB_F64, 2, (int64_t[]){ B, H_ });
    nb_tensor **outs = malloc(sizeof *outs * (size_t)(T + future));
    if (!outs) return NULL;
    nb_tensor *output = NULL;
    for (int64_t t = 0; t < T + future; t++) {
        nb_tensor *input_t = t < T ? nb_narrow(input, 1, t, 1) : output; /* input.split(1, dim=1) */
        h = nb_rnn_cell_forward(s->lstm1, input_t, h, c, &c);
        h2 = nb_rnn_cell_forward(s->lstm2, h, h2, c2, &c2);
        output = nb_module_forward(s->linear, h2);
        outs[t] = output;
    }
    nb_tensor *y = nb_cat((int)(T + future), outs, 1);
    free(outs);
    return y;
}

typedef struct {
    sequence *seq;
    nb_tensor *input, *target;
} closure_ctx;

/* closure(): zero_grad, out = seq(input), loss = MSE, print, backward */
static double closure(void *vctx) {
    closure_ctx *cx = vctx;
    for (int i = 0; i < cx->seq->np; i++) nb_zero_grad(cx->seq->params[i]);
    nb_scope s = nb_scope_begin();
    nb_tensor *loss = nb_mse_loss(seq_forward(cx->seq, cx->input, 0), cx->target, (nb_loss_opts){ 0 });
    double v = nb_item(loss);
    char buf[40];
    pyrepr(v, buf, sizeof buf);
    printf("loss: %s\n", buf);
    fflush(stdout);
    if (nb_backward(loss) != NB_OK) v = NAN;
    nb_scope_end(s);
    return v;
}

int main(int argc, char **argv) {
    int steps = 15, max_iter = 20;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--steps") && v && cli_int(v, &steps) && steps >= 0)
            i++;
        else if (!strcmp(argv[i], "--max-iter") && v && cli_int(v, &max_iter) && max_iter > 0)
            i++;
        else {
            return cli_usage(argv[i], "usage: time_sequence_prediction [--steps STEPS] [--max-iter N]\n");
        }
    }
    nb_manual_seed(0); /* np.random.seed(0); torch.manual_seed(0) */
    nb_tensor *data = sine_waves(), *input = NULL, *target = NULL, *test_input = NULL, *test_target = NULL;
    if (data) { /* input = data[3:, :-1], target = data[3:, 1:], test_* = data[:3, ...] (persistent copies) */
        nb_scope s = nb_scope_begin();
        input = nb_keep(nb_clone(nb_narrow(nb_narrow(data, 0, 3, N_ - 3), 1, 0, L_ - 1)));
        target = nb_keep(nb_clone(nb_narrow(nb_narrow(data, 0, 3, N_ - 3), 1, 1, L_ - 1)));
        test_input = nb_keep(nb_clone(nb_narrow(nb_narrow(data, 0, 0, 3), 1, 0, L_ - 1)));
        test_target = nb_keep(nb_clone(nb_narrow(nb_narrow(data, 0, 0, 3), 1, 1, L_ - 1)));
        nb_scope_end(s);
    }
    sequence seq = { nb_lstm_cell_new(1, H_, true), nb_lstm_cell_new(H_, H_, true),
                     nb_linear_new(H_, 1, true), NULL, 0 };
    if (!data || !input || !target || !test_input || !test_target || !seq.lstm1 || !seq.lstm2 ||
        !seq.linear || nb_module_to(seq.lstm1, NB_F64) || nb_module_to(seq.lstm2, NB_F64) ||
        nb_module_to(seq.linear, NB_F64)) {
        fprintf(stderr, "time_sequence_prediction: %s\n", nb_error());
        return 1;
    }
    /* seq.parameters(): lstm1's, lstm2's, linear's */
    nb_tensor *params[12];
    nb_module *mods[3] = { seq.lstm1, seq.lstm2, seq.linear };
    for (int k = 0; k < 3; k++) {
        int n;
        nb_tensor **p = nb_module_parameters(mods[k], &n);
        for (int i = 0; i < n; i++) params[seq.np++] = p[i];
    }
    seq.params = params;
    nb_optimizer *opt = nb_lbfgs(params, seq.np, (nb_lbfgs_opts){ .lr = 0.8, .max_iter = max_iter });
    closure_ctx cx = { &seq, input, target };
    int status = 0;
    for (int i = 0; i < steps && status == 0; i++) {
        printf("STEP:  %d\n", i);
        if (nb_optim_step_closure(opt, closure, &cx, NULL) != NB_OK) {
            status = 1;
            break;
        }
        nb_scope s = nb_scope_begin();
        NB_NO_GRAD { /* begin to predict, no need to track gradient here */
            int future = 1000;
            nb_tensor *pred = seq_forward(&seq, test_input, future);
            nb_tensor *loss = nb_mse_loss(nb_narrow(pred, 1, 0, L_ - 1), test_target, (nb_loss_opts){ 0 });
            char buf[40];
            pyrepr(nb_item(loss), buf, sizeof buf);
            printf("test loss: %s\n", buf);
            fflush(stdout);
        }
        nb_scope_end(s);
    }
    if (status || nb_error())
        fprintf(stderr, "time_sequence_prediction: %s\n", nb_error() ? nb_error() : "failed");
    nb_optim_free(opt);
    for (int k = 0; k < 3; k++) nb_module_free(mods[k]);
    nb_free(data), nb_free(input), nb_free(target), nb_free(test_input), nb_free(test_target);
    return status || nb_error() ? 1 : 0;
}
