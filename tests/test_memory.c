/* test_memory.c — memory stays flat: a 1000-step training loop (matmul + add + relu + sum, backward,
 * SGD update under NB_NO_GRAD, zero_grad, one scope per step) makes no system allocation and holds
 * no extra bytes after step 1; freeing everything returns tensors_live and bytes_live to 0. Also the
 * same loop recorded outside any scope (freeing results by hand) stays flat. */
#include "testlib.h"
#include <string.h>

enum { N = 32, IN = 8, HID = 16, STEPS = 1000 };

typedef struct {
    nb_tensor *x, *y, *w1, *b1, *w2;
} model;

static void model_new(model *m) {
    nb_manual_seed(3);
    nb_scope s = nb_scope_begin(); /* the randn temporaries die here; the kept results are persistent */
    m->x = nb_keep(nb_randn(NB_F32, NB_SHAPE(N, IN)));
    m->y = nb_keep(nb_randn(NB_F32, NB_SHAPE(N, 1)));
    m->w1 = nb_requires_grad_(nb_keep(nb_mul_scalar(nb_randn(NB_F32, NB_SHAPE(IN, HID)), 0.3)), true);
    m->b1 = nb_requires_grad_(nb_keep(nb_zeros(NB_F32, NB_SHAPE(HID))), true);
    m->w2 = nb_requires_grad_(nb_keep(nb_mul_scalar(nb_randn(NB_F32, NB_SHAPE(HID, 1)), 0.3)), true);
    nb_scope_end(s);
}

static void model_free(model *m) {
    nb_tensor *ts[] = { m->x, m->y, m->w1, m->b1, m->w2 };
    for (int i = 0; i < 5; i++) nb_free(ts[i]);
}

/* loss = sum((relu(x w1 + b1) w2 - y)^2) / N */
static nb_tensor *loss_of(model *m) {
    nb_tensor *h = nb_relu(nb_add(nb_matmul(m->x, m->w1), m->b1));
    return nb_div_scalar(nb_sum(nb_square(nb_sub(nb_matmul(h, m->w2), m->y))), N);
}

static void sgd(model *m, double lr) {
    nb_tensor *ps[] = { m->w1, m->b1, m->w2 };
    NB_NO_GRAD {
        for (int i = 0; i < 3; i++) nb_add_scaled_(ps[i], ps[i]->grad, -lr);
    }
    for (int i = 0; i < 3; i++) nb_zero_grad(ps[i]);
}

static void test_scoped_loop(void) {
    nb_memory_stats s0 = nb_memory_stats_get();
    model m;
    model_new(&m);
    nb_memory_stats after1 = { 0 };
    double first = 0, last = 0;
    size_t grew_allocs = 0, grew_bytes = 0, grew_tensors = 0;
    for (int step = 0; step < STEPS; step++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *loss = loss_of(&m);
        if (nb_backward(loss) != NB_OK) break;
        double l = nb_item(loss);
        if (step == 0) first = l;
        last = l;
        sgd(&m, 0.05);
        nb_scope_end(s);
        nb_memory_stats st = nb_memory_stats_get();
        if (step == 0)
            after1 = st;
        else {
            grew_allocs += st.system_allocs != after1.system_allocs;
            grew_bytes += st.bytes_live != after1.bytes_live;
            grew_tensors += st.tensors_live != after1.tensors_live;
        }
    }
    nb_memory_stats end = nb_memory_stats_get();
    printf("scoped loop: system_allocs %zu after step 1, %zu after step %d; bytes_live %zu; pooled %zu; loss "
           "%.4f -> %.4f\n",
           after1.system_allocs - s0.system_allocs, end.system_allocs - s0.system_allocs, STEPS,
           end.bytes_live, end.bytes_pooled, first, last);
    CHECK(!nb_error());
    CHECK(grew_allocs == 0);
    CHECK(grew_bytes == 0);
    CHECK(grew_tensors == 0);
    CHECK(end.system_allocs == after1.system_allocs);
    CHECK(last < first * 0.5); /* it trains */
    model_free(&m);
    nb_memory_stats fin = nb_memory_stats_get();
    CHECK(fin.tensors_live == 0);
    CHECK(fin.bytes_live == 0);
}

/* the same loop with no scope: results are persistent and freed by hand, nodes recycled */
static void test_root_loop(void) {
    model m;
    model_new(&m);
    nb_memory_stats after1 = { 0 };
    size_t grew = 0;
    for (int step = 0; step < 200; step++) {
        nb_tensor *h0 = nb_matmul(m.x, m.w1), *h1 = nb_add(h0, m.b1), *h = nb_relu(h1);
        nb_tensor *o = nb_matmul(h, m.w2), *d = nb_sub(o, m.y), *sq = nb_square(d), *loss = nb_sum(sq);
        nb_backward(loss);
        nb_tensor *ts[] = {
            h0, h1, h, o, d, sq, loss
        }; /* freed in creation order: the nodes go at the end */
        for (int i = 0; i < 7; i++) nb_free(ts[i]);
        nb_tensor *ps[] = { m.w1, m.b1, m.w2 };
        NB_NO_GRAD {
            for (int i = 0; i < 3; i++) nb_add_scaled_(ps[i], ps[i]->grad, -0.001);
        }
        for (int i = 0; i < 3; i++) nb_zero_grad(ps[i]);
        nb_memory_stats st = nb_memory_stats_get();
        if (step == 0)
            after1 = st;
        else
            grew += st.system_allocs != after1.system_allocs || st.bytes_live != after1.bytes_live;
    }
    CHECK(!nb_error());
    CHECK(grew == 0);
    model_free(&m);
    CHECK(nb_memory_stats_get().tensors_live == 0 && nb_memory_stats_get().bytes_live == 0);
}

int main(void) {
    test_scoped_loop();
    test_root_loop();
    nb_pool_trim();
    CHECK(nb_memory_stats_get().bytes_pooled == 0);
    return nb_test_done();
}
