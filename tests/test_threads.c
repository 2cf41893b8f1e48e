/* test_threads.c — the thread rule (docs/ownership.md, "Threads") with pthreads: a data-loading thread
 * handing batches to a training thread, inference on several threads over shared parameters, a tape
 * used from the wrong thread (an error, not a crash), and a thread's memory returned when it exits. */
#include "testlib.h"
#include <pthread.h>
#include <string.h>

#define NB_BATCHES 12
#define BATCH 8
#define FEAT 4

/* batch k: x[i][j] = sin(k + 0.3 i + 0.7 j), y[i] = x[i] . (1, -2, 0.5, 3) + 0.25 */
static void make_batch(int k, nb_tensor **x, nb_tensor **y) {
    double xv[BATCH * FEAT], yv[BATCH];
    const double w[FEAT] = { 1, -2, 0.5, 3 };
    for (int i = 0; i < BATCH; i++) {
        yv[i] = 0.25;
        for (int j = 0; j < FEAT; j++) {
            xv[i * FEAT + j] = sin(k + 0.3 * i + 0.7 * j);
            yv[i] += xv[i * FEAT + j] * w[j];
        }
    }
    *x = nb_tensor_from(NB_F64, xv, NB_SHAPE(BATCH, FEAT), false);
    *y = nb_tensor_from(NB_F64, yv, NB_SHAPE(BATCH, 1), false);
}

/* ---- a one-slot queue between the loader and the trainer ---- */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    nb_tensor *x, *y;
    bool full;
} slot;

static void *loader(void *arg) {
    slot *q = arg;
    for (int k = 0; k < NB_BATCHES; k++) {
        nb_tensor *x, *y;
        make_batch(k, &x, &y); /* outside any scope, no history: may be handed over */
        pthread_mutex_lock(&q->mu);
        while (q->full) pthread_cond_wait(&q->cv, &q->mu);
        q->x = x, q->y = y, q->full = true;
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
    }
    return NULL;
}

/* Train a linear model for NB_BATCHES SGD steps; batches come from q (a loader thread) or are made here.
 * Writes the final weights (FEAT + 1 values) and the last loss. */
static void train(slot *q, double *params, double *last_loss) {
    double w0[FEAT] = { 0.1, 0.2, -0.1, 0.05 };
    nb_tensor *w = nb_tensor_from(NB_F64, w0, NB_SHAPE(1, FEAT), true);
    nb_tensor *b = nb_requires_grad_(nb_zeros(NB_F64, NB_SHAPE(1)), true);
    nb_optimizer *opt = nb_sgd((nb_tensor *[]){ w, b }, 2, (nb_sgd_opts){ .lr = 0.1 });
    for (int k = 0; k < NB_BATCHES; k++) {
        nb_tensor *x, *y;
        if (q) {
            pthread_mutex_lock(&q->mu);
            while (!q->full) pthread_cond_wait(&q->cv, &q->mu);
            x = q->x, y = q->y, q->full = false;
            pthread_cond_broadcast(&q->cv);
            pthread_mutex_unlock(&q->mu);
        } else {
            make_batch(k, &x, &y);
        }
        nb_scope s = nb_scope_begin();
        nb_optim_zero_grad(opt);
        nb_tensor *loss = nb_mse_loss(nb_linear(x, w, b), y, (nb_loss_opts){ 0 });
        CHECK(nb_backward(loss) == NB_OK);
        CHECK(nb_optim_step(opt) == NB_OK);
        *last_loss = nb_item(loss);
        nb_scope_end(s);
        nb_free(x); /* made on the loader thread, freed here: the hand-over */
        nb_free(y);
        CHECK(nb_error() == NULL);
    }
    CHECK(nb_to_doubles(w, params) == NB_OK);
    CHECK(nb_to_doubles(b, params + FEAT) == NB_OK);
    nb_optim_free(opt);
    nb_free(w);
    nb_free(b);
}

typedef struct {
    slot *q;
    double params[FEAT + 1], loss;
    int fails;
} train_arg;

static void *trainer(void *arg) {
    train_arg *a = arg;
    int before = tl_fail;
    train(a->q, a->params, &a->loss);
    a->fails = tl_fail - before;
    return NULL;
}

static void test_loader_and_trainer(void) {
    double want[FEAT + 1], want_loss;
    train(NULL, want, &want_loss); /* all on this thread */
    nb_memory_stats s0 = nb_memory_stats_get();
    slot q = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    train_arg a = { .q = &q };
    pthread_t tl, tt;
    CHECK(pthread_create(&tl, NULL, loader, &q) == 0);
    CHECK(pthread_create(&tt, NULL, trainer, &a) == 0);
    pthread_join(tl, NULL);
    pthread_join(tt, NULL);
    CHECK(a.fails == 0);
    CHECK(memcmp(a.params, want, sizeof want) == 0); /* bitwise: same batches, same order, same ops */
    CHECK(a.loss == want_loss);
    CHECK(want_loss < 1.0);
    nb_memory_stats s1 = nb_memory_stats_get();
    CHECK(s1.tensors_live == s0.tensors_live); /* counters balanced across threads (never negative) */
    CHECK(s1.bytes_live == s0.bytes_live);
    CHECK(s1.bytes_pooled == s0.bytes_pooled); /* the ended threads' pools were returned */
}

/* ---- inference on several threads over shared parameters ---- */
typedef struct {
    nb_tensor *w, *b;
    int k;
    double out[BATCH * 3];
    bool ok;
} infer_arg;

static void infer(infer_arg *a) {
    nb_tensor *x, *y;
    make_batch(a->k, &x, &y);
    a->ok = false;
    NB_NO_GRAD {
        nb_scope s = nb_scope_begin();
        nb_tensor *h = nb_tanh(nb_linear(x, a->w, a->b));
        a->ok = h && !h->requires_grad && nb_to_doubles(h, a->out) == NB_OK;
        nb_scope_end(s);
    }
    nb_free(x);
    nb_free(y);
    a->ok = a->ok && !nb_error();
}

static void *infer_thread(void *arg) {
    infer((infer_arg *)arg);
    return NULL;
}

static void test_shared_inference(void) {
    double wv[3 * FEAT];
    for (int i = 0; i < 3 * FEAT; i++) wv[i] = cos(0.4 * i);
    nb_tensor *w = nb_tensor_from(NB_F64, wv, NB_SHAPE(3, FEAT), true);
    nb_tensor *b = nb_requires_grad_(nb_full(NB_F64, NB_SHAPE(3), 0.1), true);
    enum { NT = 4 };
    infer_arg want[NT], got[NT];
    for (int t = 0; t < NT; t++) {
        want[t] = (infer_arg){ .w = w, .b = b, .k = t };
        infer(&want[t]);
        CHECK(want[t].ok);
        got[t] = (infer_arg){ .w = w, .b = b, .k = t };
    }
    pthread_t th[NT];
    for (int t = 0; t < NT; t++) CHECK(pthread_create(&th[t], NULL, infer_thread, &got[t]) == 0);
    for (int t = 0; t < NT; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < NT; t++) {
        CHECK(got[t].ok);
        CHECK(memcmp(got[t].out, want[t].out, sizeof want[t].out) == 0);
    }
    CHECK(w->tape_uses == 0 && w->grad == NULL); /* reading under no_grad left the parameters alone */
    nb_free(w);
    nb_free(b);
}

/* ---- a tape used from the wrong thread ---- */
typedef struct {
    nb_tensor *loss, *x, *scoped, *shared;
    char msg[6][512];
    bool ret_err[6];
    double read;
} wrong_arg;

static void take(wrong_arg *a, int i, bool failed) {
    a->ret_err[i] = failed;
    snprintf(a->msg[i], sizeof a->msg[i], "%s", nb_error() ? nb_error() : "");
    nb_clear_error();
}

static void *wrong_thread(void *arg) {
    wrong_arg *a = arg;
    take(a, 0, nb_backward(a->loss) == NB_ERROR);
    nb_tensor *g = NULL;
    take(a, 1, nb_grad(1, &a->loss, 1, &a->x, NULL, &g, (nb_grad_opts){ 0 }) == NB_ERROR && !g);
    nb_tensor *m = nb_mul_scalar(a->loss, 2); /* would join this thread's tape to the main one */
    take(a, 2, m == NULL);
    nb_free(a->scoped); /* inside the main thread's scope */
    take(a, 3, true);
    nb_free(a->loss); /* recorded on the main thread's tape */
    take(a, 4, true);
    a->read = NAN;
    NB_NO_GRAD {
        nb_tensor *r = nb_mul_scalar(a->loss, 2); /* reading is fine */
        a->read = nb_item(r);
        nb_free(r);
    }
    take(a, 5, false);
    return NULL;
}

static void test_wrong_thread(void) {
    nb_tensor *x = nb_requires_grad_(nb_full(NB_F64, NB_SHAPE(3), 2.0), true);
    wrong_arg a = { .x = x };
    nb_scope s = nb_scope_begin();
    a.scoped = nb_zeros(NB_F32, NB_SHAPE(2));
    a.loss = nb_sum(nb_mul(x, x));
    nb_keep(a.loss);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, wrong_thread, &a) == 0);
    pthread_join(th, NULL);
    const char *want[5] = { "nb_backward:", "nb_grad:", "nb_mul_scalar:", "nb_free:", "nb_free:" };
    for (int i = 0; i < 5; i++) {
        CHECK(a.ret_err[i]);
        CHECK(strncmp(a.msg[i], want[i], strlen(want[i])) == 0);
        CHECK(strstr(a.msg[i], "thread") != NULL);
        if (strncmp(a.msg[i], want[i], strlen(want[i]))) fprintf(stderr, "  got: %s\n", a.msg[i]);
    }
    CHECK(a.msg[5][0] == 0 && a.read == 24.0);
    CHECK(nb_is_valid(a.scoped) && nb_is_valid(a.loss)); /* nothing was freed by the refused calls */
    CHECK(nb_backward(a.loss) == NB_OK);                 /* on its own thread the tape works */
    double gx[3];
    CHECK(nb_to_doubles(nb_grad_of(x), gx) == NB_OK && gx[0] == 4.0 && gx[2] == 4.0);
    nb_scope_end(s);
    nb_free(a.loss);
    nb_free(x);
    CHECK(nb_error() == NULL);
}

/* ---- what a thread kept is returned when it exits ---- */
static void *busy_thread(void *arg) {
    nb_tensor **handed = arg;
    for (int k = 0; k < 3; k++) { /* pooled memory of several sizes, and a tape */
        nb_scope s = nb_scope_begin();
        nb_tensor *x = nb_requires_grad_(nb_ones(NB_F32, NB_SHAPE(64, 64)), true);
        nb_tensor *y = nb_sum(nb_matmul(nb_tanh(x), x));
        nb_backward(y);
        nb_scope_end(s);
        nb_free(x);
    }
    *handed = nb_full(NB_F64, NB_SHAPE(5), 3.0); /* outlives the thread: the main thread frees it */
    nb_scope_begin();                            /* left open: its tensors and nodes die with the thread */
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(100)), true);
    nb_exp(x);
    return NULL;
}

static void test_thread_exit(void) {
    for (int r = 0; r < 3; r++) {
        nb_memory_stats s0 = nb_memory_stats_get();
        nb_tensor *handed = NULL;
        pthread_t th;
        CHECK(pthread_create(&th, NULL, busy_thread, &handed) == 0);
        pthread_join(th, NULL);
        nb_memory_stats s1 = nb_memory_stats_get();
        CHECK(s1.bytes_pooled == s0.bytes_pooled);     /* its pool went back to the system */
        CHECK(s1.tensors_live == s0.tensors_live + 1); /* only the handed-over tensor is left */
        CHECK(s1.bytes_live == s0.bytes_live + 64);    /* its data: 5 doubles in a 64-byte class */
        nb_tensor *sum = nb_sum(handed);
        CHECK(nb_item(sum) == 15.0);
        nb_free(sum);
        nb_free(handed);
        CHECK(nb_error() == NULL);
    }
}

int main(void) {
    test_loader_and_trainer();
    test_shared_inference();
    test_wrong_thread();
    test_thread_exit();
    return nb_test_done();
}
