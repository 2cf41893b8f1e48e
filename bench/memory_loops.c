/* memory_loops.c — the four training loops of bench/memory.c (see bench/memory_loops.h), shared with
 * tests/test_memory_loops.c, which bounds their peak memory at small size. Written the way a user writes
 * them with today's public ops; with .tidy they also say which intermediates they are done with. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L
#endif
#include "memory_loops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

mem_sizes mem_sizes_of(const char *mode, bool small) {
    mem_sizes z = { 0 };
    if (!strcmp(mode, "mlp"))
        z = small ? (mem_sizes){ .B = 32, .D = 64, .H = 32, .C = 10 }
                  : (mem_sizes){ .B = 256, .D = 784, .H = 256, .C = 10 };
    if (!strcmp(mode, "tsp"))
        z = small ? (mem_sizes){ .B = 8, .L = 50, .H = 8 } : (mem_sizes){ .B = 97, .L = 999, .H = 51 };
    if (!strcmp(mode, "lm"))
        z = small ? (mem_sizes){ .V = 100, .E = 16, .H = 16, .T = 5, .B = 4 }
                  : (mem_sizes){ .V = 10000, .E = 200, .H = 200, .T = 35, .B = 20 };
    if (!strcmp(mode, "cnn"))
        z = small ? (mem_sizes){ .B = 4, .S = 12, .C1 = 4, .C2 = 8, .C = 10 }
                  : (mem_sizes){ .B = 64, .S = 28, .C1 = 16, .C2 = 32, .C = 10 };
    return z;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A persistent parameter drawn U(-k, k) (torch's default for Linear and LSTMCell, k = 1/sqrt(fan_in)). */
static nb_tensor *param(nb_dtype dt, int ndim, const int64_t *shape, double k) {
    return nb_requires_grad_(nb_uniform(dt, ndim, shape, -k, k), true);
}

static bool tidy; /* the `tidy` variant of the current run: the same loops with NB_TIDY / nb_tidy_end */
#define TIDY(expr) (tidy ? NB_TIDY(expr) : (expr))

/* Call after step i, which took dt seconds. */
static void step_done(mem_run *r, int64_t i, double dt, double loss) {
    if (dt < r->best) r->best = dt;
    r->loss = loss;
    if (i == 0) r->allocs1 = nb_memory_stats_get().system_allocs;
}

/* ---- mlp ----------------------------------------------------------------------------------------- */
static void run_mlp(mem_run *r) {
    int64_t B = r->z.B, D = r->z.D, H = r->z.H, C = r->z.C;
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(B, D)), *y = nb_randint(0, C, NB_SHAPE(B));
    nb_tensor *w1 = param(NB_F32, NB_SHAPE(H, D), 1 / sqrt((double)D)),
              *b1 = param(NB_F32, NB_SHAPE(H), 1 / sqrt((double)D));
    nb_tensor *w2 = param(NB_F32, NB_SHAPE(C, H), 1 / sqrt((double)H)),
              *b2 = param(NB_F32, NB_SHAPE(C), 1 / sqrt((double)H));
    nb_tensor *ps[] = { w1, b1, w2, b2 };
    nb_optimizer *opt = nb_sgd(ps, 4, (nb_sgd_opts){ .lr = 0.1 });
    for (int64_t i = 0; i < r->steps; i++) {
        double t0 = now();
        nb_scope s = nb_scope_begin();
        nb_optim_zero_grad(opt);
        nb_tensor *loss = TIDY(nb_cross_entropy(nb_linear(nb_relu(nb_linear(x, w1, b1)), w2, b2), y,
                                                (nb_cross_entropy_opts){ 0 }));
        nb_backward(loss);
        nb_optim_step(opt);
        double l = nb_item(loss);
        nb_scope_end(s);
        step_done(r, i, now() - t0, l);
    }
    nb_optim_free(opt);
    nb_tensor *all[] = { x, y, w1, b1, w2, b2 };
    for (int i = 0; i < 6; i++) nb_free(all[i]);
}

/* ---- LSTM cell from ops (torch.nn.LSTMCell's math) ----------------------------------------------- */
typedef struct {
    nb_tensor *w_ih, *w_hh, *b_ih, *b_hh;
    int64_t H;
} cell;

static void cell_new(cell *c, nb_dtype dt, int64_t in, int64_t H) {
    double k = 1 / sqrt((double)H);
    c->H = H;
    c->w_ih = param(dt, NB_SHAPE(4 * H, in), k);
    c->w_hh = param(dt, NB_SHAPE(4 * H, H), k);
    c->b_ih = param(dt, NB_SHAPE(4 * H), k);
    c->b_hh = param(dt, NB_SHAPE(4 * H), k);
}

static void cell_free(cell *c) {
    nb_free(c->w_ih);
    nb_free(c->w_hh);
    nb_free(c->b_ih);
    nb_free(c->b_hh);
}

/* gates = x w_ih^T + b_ih + h w_hh^T + b_hh; i, f, o = sigmoid, g = tanh; c = f c + i g; h = o tanh(c) */
static void cell_step(const cell *c, nb_tensor *x, nb_tensor **h, nb_tensor **cs) {
    int64_t H = c->H;
    nb_tidy m = nb_tidy_begin();
    nb_tensor *gates = nb_add(nb_linear(x, c->w_ih, c->b_ih), nb_linear(*h, c->w_hh, c->b_hh));
    nb_tensor *i = nb_sigmoid(nb_narrow(gates, 1, 0, H));
    nb_tensor *f = nb_sigmoid(nb_narrow(gates, 1, H, H));
    nb_tensor *g = nb_tanh(nb_narrow(gates, 1, 2 * H, H));
    nb_tensor *o = nb_sigmoid(nb_narrow(gates, 1, 3 * H, H));
    *cs = nb_add(nb_mul(f, *cs), nb_mul(i, g));
    *h = nb_mul(o, nb_tanh(*cs));
    if (tidy) nb_tidy_end(m, NB_LIST(*h, *cs)); /* gates, i, f, g, o, the products: done with them */
}

/* ---- tsp: time_sequence_prediction --------------------------------------------------------------- */
typedef struct {
    cell c1, c2;
    nb_tensor *lw, *lb, *input, *target;
    nb_optimizer *opt;
    int64_t B, L, H;
} tsp_model;

static double tsp_closure(void *ctx) {
    tsp_model *m = ctx;
    nb_optim_zero_grad(m->opt);
    nb_scope s = nb_scope_begin();
    nb_tensor *h = nb_zeros(NB_F64, NB_SHAPE(m->B, m->H)), *c = nb_zeros(NB_F64, NB_SHAPE(m->B, m->H));
    nb_tensor *h2 = nb_zeros(NB_F64, NB_SHAPE(m->B, m->H)), *c2 = nb_zeros(NB_F64, NB_SHAPE(m->B, m->H));
    nb_tensor **outs = malloc((size_t)m->L * sizeof *outs);
    for (int64_t t = 0; t < m->L; t++) {
        cell_step(&m->c1, nb_narrow(m->input, 1, t, 1), &h, &c);
        cell_step(&m->c2, h, &h2, &c2);
        outs[t] = TIDY(nb_linear(h2, m->lw, m->lb));
    }
    nb_tensor *loss = nb_mse_loss(nb_cat((int)m->L, outs, 1), m->target, (nb_loss_opts){ 0 });
    free(outs);
    nb_backward(loss);
    double l = nb_item(loss);
    nb_scope_end(s);
    return l;
}

static int closures;
static double counted_closure(void *ctx) {
    closures++;
    return tsp_closure(ctx);
}

static void run_tsp(mem_run *r) {
    tsp_model m = { .B = r->z.B, .L = r->z.L, .H = r->z.H };
    int64_t N = m.B + 3, L1 = m.L + 1;
    double *data = malloc((size_t)(N * L1) * sizeof *data);
    for (int64_t n = 0; n < N; n++) {
        int64_t shift = (int64_t)(nb_rand_u32() % 160) - 80; /* np.random.randint(-4T, 4T), T = 20 */
        for (int64_t j = 0; j < L1; j++) data[n * L1 + j] = sin((double)(j + shift) / 20.0);
    }
    nb_scope s = nb_scope_begin();
    nb_tensor *all = nb_tensor_from(NB_F64, data, NB_SHAPE(N, L1), false);
    free(data);
    m.input = nb_keep(nb_contiguous(nb_narrow(nb_narrow(all, 0, 3, m.B), 1, 0, m.L)));  /* data[3:, :-1] */
    m.target = nb_keep(nb_contiguous(nb_narrow(nb_narrow(all, 0, 3, m.B), 1, 1, m.L))); /* data[3:, 1:] */
    nb_scope_end(s);
    cell_new(&m.c1, NB_F64, 1, m.H);
    cell_new(&m.c2, NB_F64, m.H, m.H);
    m.lw = param(NB_F64, NB_SHAPE(1, m.H), 1 / sqrt((double)m.H));
    m.lb = param(NB_F64, NB_SHAPE(1), 1 / sqrt((double)m.H));
    nb_tensor *ps[] = { m.c1.w_ih, m.c1.w_hh, m.c1.b_ih, m.c1.b_hh, m.c2.w_ih,
                        m.c2.w_hh, m.c2.b_ih, m.c2.b_hh, m.lw,      m.lb };
    m.opt = nb_lbfgs(ps, 10, (nb_lbfgs_opts){ .lr = 0.8, .max_iter = 2 });
    for (int64_t i = 0; i < r->steps; i++) {
        int c0 = closures;
        double t0 = now(), l = NAN;
        nb_optim_step_closure(m.opt, counted_closure, &m, &l);
        int n = closures - c0 > 0 ? closures - c0 : 1;
        step_done(r, i, (now() - t0) / n, l); /* the time of one closure */
    }
    nb_optim_free(m.opt);
    cell_free(&m.c1);
    cell_free(&m.c2);
    nb_free(m.lw);
    nb_free(m.lb);
    nb_free(m.input);
    nb_free(m.target);
}

/* ---- lm: 2-layer LSTM language model ------------------------------------------------------------- */
static void run_lm(mem_run *r) {
    int64_t V = r->z.V, E = r->z.E, H = r->z.H, T = r->z.T, B = r->z.B;
    nb_tensor *emb = nb_requires_grad_(nb_uniform(NB_F32, NB_SHAPE(V, E), -0.1, 0.1), true);
    cell c1, c2;
    cell_new(&c1, NB_F32, E, H);
    cell_new(&c2, NB_F32, H, H);
    nb_tensor *dw = nb_requires_grad_(nb_uniform(NB_F32, NB_SHAPE(V, H), -0.1, 0.1), true);
    nb_tensor *db = nb_requires_grad_(nb_zeros(NB_F32, NB_SHAPE(V)), true);
    nb_tensor *ps[] = { emb, c1.w_ih, c1.w_hh, c1.b_ih, c1.b_hh, c2.w_ih, c2.w_hh, c2.b_ih, c2.b_hh, dw, db };
    nb_optimizer *opt = nb_sgd(ps, 11, (nb_sgd_opts){ .lr = 20 });
    nb_tensor *state[4]; /* h1, c1, h2, c2 carried across batches without history (repackage_hidden) */
    for (int k = 0; k < 4; k++) state[k] = nb_zeros(NB_F32, NB_SHAPE(B, H));
    for (int64_t i = 0; i < r->steps; i++) {
        double t0 = now();
        nb_scope s = nb_scope_begin();
        nb_tensor *tok = nb_randint(0, V, NB_SHAPE(T + 1, B));
        nb_tensor *input = nb_narrow(tok, 0, 0, T),
                  *target = nb_reshape(nb_narrow(tok, 0, 1, T), NB_SHAPE(T * B));
        nb_optim_zero_grad(opt);
        nb_tensor *e = nb_embedding(input, emb);
        nb_tensor *h = state[0], *c = state[1], *h2 = state[2], *cc2 = state[3];
        nb_tensor **outs = malloc((size_t)T * sizeof *outs);
        for (int64_t t = 0; t < T; t++) {
            cell_step(&c1, nb_select(e, 0, t), &h, &c);
            cell_step(&c2, h, &h2, &cc2);
            outs[t] = h2;
        }
        nb_tensor *out = nb_reshape(nb_stack((int)T, outs, 0), NB_SHAPE(T * B, H));
        free(outs);
        nb_tensor *loss = TIDY(
            nb_cross_entropy(nb_linear(out, dw, db), target, (nb_cross_entropy_opts){ 0 }));
        nb_backward(loss);
        nb_clip_grad_norm_(ps, 11, 0.25, 2);
        nb_optim_step(opt);
        nb_tensor *last[] = { h, c, h2, cc2 };
        NB_NO_GRAD {
            for (int k = 0; k < 4; k++) nb_copy_(state[k], last[k]);
        }
        double l = nb_item(loss);
        nb_scope_end(s);
        step_done(r, i, now() - t0, l);
    }
    nb_optim_free(opt);
    for (int k = 0; k < 4; k++) nb_free(state[k]);
    for (int k = 0; k < 11; k++) nb_free(ps[k]);
}

/* ---- cnn: convolutions from narrow shifts and matmul ---------------------------------------------- */
/* y = relu(sum over (dy, dx) of x[:, dy:dy+Ho, dx:dx+Wo, :] @ w[3 dy + dx] + b), x NHWC, w (9, Cin, Cout) */
static nb_tensor *conv3x3_relu(nb_tensor *x, nb_tensor *w, nb_tensor *b) {
    int64_t Ho = x->shape[1] - 2, Wo = x->shape[2] - 2;
    nb_tidy m = nb_tidy_begin();
    nb_tensor *y = NULL;
    for (int k = 0; k < 9; k++) {
        nb_tensor *p = TIDY(
            nb_matmul(nb_narrow(nb_narrow(x, 1, k / 3, Ho), 2, k % 3, Wo), nb_select(w, 0, k)));
        if (!y) {
            y = p;
        } else if (tidy) { /* y = y + p, done with the old y and p (Python frees them when y is rebound) */
            nb_tensor *sum = nb_add(y, p);
            nb_release(y);
            nb_release(p);
            y = sum;
        } else {
            y = nb_add(y, p);
        }
    }
    nb_tensor *out = nb_relu(nb_add(y, b));
    if (tidy) nb_tidy_end(m, NB_LIST(out)); /* the shifted patches, products and partial sums */
    return out;
}

static void run_cnn(mem_run *r) {
    int64_t B = r->z.B, S = r->z.S, C1 = r->z.C1, C2 = r->z.C2, K = r->z.C;
    int64_t F = (S - 4) * (S - 4) * C2;
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(B, S, S, 1)), *y = nb_randint(0, K, NB_SHAPE(B));
    nb_tensor *w1 = param(NB_F32, NB_SHAPE(9, 1, C1), 1 / 3.0), *b1 = param(NB_F32, NB_SHAPE(C1), 1 / 3.0);
    double k2 = 1 / sqrt(9.0 * (double)C1), k3 = 1 / sqrt((double)F);
    nb_tensor *w2 = param(NB_F32, NB_SHAPE(9, C1, C2), k2), *b2 = param(NB_F32, NB_SHAPE(C2), k2);
    nb_tensor *w3 = param(NB_F32, NB_SHAPE(K, F), k3), *b3 = param(NB_F32, NB_SHAPE(K), k3);
    nb_tensor *ps[] = { w1, b1, w2, b2, w3, b3 };
    nb_optimizer *opt = nb_sgd(ps, 6, (nb_sgd_opts){ .lr = 0.01 });
    for (int64_t i = 0; i < r->steps; i++) {
        double t0 = now();
        nb_scope s = nb_scope_begin();
        nb_optim_zero_grad(opt);
        nb_tensor *h = conv3x3_relu(conv3x3_relu(x, w1, b1), w2, b2);
        nb_tensor *loss = TIDY(nb_cross_entropy(nb_linear(nb_reshape(h, NB_SHAPE(B, F)), w3, b3), y,
                                                (nb_cross_entropy_opts){ 0 }));
        nb_backward(loss);
        nb_optim_step(opt);
        double l = nb_item(loss);
        nb_scope_end(s);
        step_done(r, i, now() - t0, l);
    }
    nb_optim_free(opt);
    nb_free(x);
    nb_free(y);
    for (int k = 0; k < 6; k++) nb_free(ps[k]);
}

nb_status mem_run_loop(mem_run *r, const char *mode) {
    tidy = r->tidy;
    r->best = INFINITY;
    r->loss = NAN;
    if (r->steps < 1) r->steps = 1;
    if (!strcmp(mode, "mlp"))
        run_mlp(r);
    else if (!strcmp(mode, "tsp"))
        run_tsp(r);
    else if (!strcmp(mode, "lm"))
        run_lm(r);
    else if (!strcmp(mode, "cnn"))
        run_cnn(r);
    else
        return NB_ERROR;
    return nb_error() ? NB_ERROR : NB_OK;
}
