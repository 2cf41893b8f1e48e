/* test_memory_release.c — lifetimes after issue 10, against exact math: L = sum((x w)^2 + sin(x w)),
 * dL/dw = x (2y + cos y), d2L/dw2 = x^2 (2 - sin y) with y = x w. Backward with and without retain_graph
 * and create_graph, nb_grad, retain_grad, kept tensors and early release (nb_release, NB_TIDY,
 * nb_tidy_end) all give these values; released intermediates give their data up when backward is done
 * with them (not before); using one is a clear error; the pool serves big buffers with no system
 * allocation and no page faults after the first step; a pool cap and nb_empty_cache return memory and
 * later steps still work. */
#include "testlib.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum { N = 64 };
static double xs[N], ws[N], want_g[N], want_h[N];

static void setup(void) {
    for (int i = 0; i < N; i++) {
        xs[i] = 0.5 + 0.03 * i;
        ws[i] = 1.2 - 0.02 * i;
        double y = xs[i] * ws[i];
        want_g[i] = xs[i] * (2 * y + cos(y));
        want_h[i] = xs[i] * xs[i] * (2 - sin(y));
    }
}

static nb_tensor *vec(const double *v, bool rg) { return nb_tensor_from(NB_F64, v, NB_SHAPE(N), rg); }

/* L with its intermediates: y = x w, z = y y + sin y; tidy: each step in NB_TIDY */
static nb_tensor *loss_of(nb_tensor *x, nb_tensor *w, bool tidy, nb_tensor **y_out, nb_tensor **z_out) {
    nb_tensor *y = tidy ? NB_TIDY(nb_mul(x, w)) : nb_mul(x, w);
    nb_tensor *z = tidy ? NB_TIDY(nb_add(nb_mul(y, y), nb_sin(y))) : nb_add(nb_mul(y, y), nb_sin(y));
    if (y_out) *y_out = y;
    if (z_out) *z_out = z;
    return nb_sum(z);
}

static size_t live(void) { return nb_memory_stats_get().bytes_live; }

static void test_values(void) {
    nb_tensor *x = vec(xs, false), *w = vec(ws, true);
    for (int tidy = 0; tidy < 2; tidy++) {
        /* plain backward */
        nb_scope s = nb_scope_begin();
        CHECK(nb_backward(loss_of(x, w, tidy, NULL, NULL)) == NB_OK);
        CHECK_TENSOR(w->grad, want_g, N, 1e-12);
        nb_zero_grad(w);
        /* retain_graph: twice, a third time without, then a fourth is an error */
        nb_tensor *y, *L = loss_of(x, w, tidy, &y, NULL);
        CHECK(nb_retain_grad(y) == NB_OK);
        CHECK(nb_backward_ex(L, (nb_backward_opts){ .retain_graph = true }) == NB_OK);
        CHECK(nb_backward_ex(L, (nb_backward_opts){ .retain_graph = true }) == NB_OK);
        CHECK(nb_backward(L) == NB_OK);
        double w3[N], y3[N];
        for (int i = 0; i < N; i++) {
            w3[i] = 3 * want_g[i];
            y3[i] = 3 * (2 * xs[i] * ws[i] + cos(xs[i] * ws[i]));
        }
        CHECK_TENSOR(w->grad, w3, N, 1e-12);
        CHECK_TENSOR(y->grad, y3, N, 1e-12); /* retain_grad */
        CHECK(nb_backward(L) == NB_ERROR && nb_error() && strstr(nb_error(), "second time"));
        nb_clear_error();
        nb_zero_grad(w);
        /* nb_grad: the result, .grad untouched */
        nb_tensor *g = NULL;
        CHECK(nb_grad(1, (nb_tensor *[]){ loss_of(x, w, tidy, NULL, NULL) }, 1, &w, NULL, &g,
                      (nb_grad_opts){ 0 }) == NB_OK);
        CHECK_TENSOR(g, want_g, N, 1e-12);
        CHECK(w->grad == NULL);
        /* create_graph: the gradient of sum(dL/dw) is the Hessian's diagonal here */
        nb_tensor *g2 = nb_grad1(loss_of(x, w, tidy, NULL, NULL), w, true);
        CHECK_TENSOR(g2, want_g, N, 1e-12);
        CHECK(nb_backward(nb_sum(g2)) == NB_OK);
        CHECK_TENSOR(w->grad, want_h, N, 1e-12);
        nb_zero_grad(w);
        /* a kept result survives the scope as a leaf holding the value */
        nb_tensor *kept = nb_keep(loss_of(x, w, tidy, NULL, NULL));
        nb_scope_end(s);
        CHECK(nb_is_valid(kept) && nb_is_leaf(kept));
        double lv = 0;
        for (int i = 0; i < N; i++) lv += xs[i] * ws[i] * xs[i] * ws[i] + sin(xs[i] * ws[i]);
        CHECK_NEAR(nb_item(kept), lv, 1e-11);
        nb_free(kept);
    }
    nb_free(x);
    nb_free(w);
    CHECK(!nb_error());
}

/* released intermediates keep what backward needs, then give it up; using them is an error */
static void test_release(void) {
    nb_tensor *x = vec(xs, false), *w = vec(ws, true);
    size_t vbytes = N * sizeof(double); /* 512: an exact size class */
    nb_scope s = nb_scope_begin();
    nb_tensor *y, *z, *L = loss_of(x, w, false, &y, &z);
    size_t l0 = live();
    nb_release(z); /* nothing saved z (sum reads only its shape): its data goes now */
    CHECK(live() == l0 - vbytes);
    nb_release(y); /* saved by mul(y, y) and sin(y): held until backward spends them */
    CHECK(live() == l0 - vbytes);
    CHECK(nb_memory_stats_get().tensors_held == 2);
    CHECK(!nb_is_valid(y));
    CHECK(nb_add(y, y) == NULL);
    CHECK(nb_error() && strstr(nb_error(), "nb_add") && strstr(nb_error(), "nb_release"));
    nb_clear_error();
    CHECK(isnan(nb_item(z)) && nb_error());
    nb_clear_error();
    nb_free(y); /* a double release */
    CHECK(nb_error() && strstr(nb_error(), "already released"));
    nb_clear_error();
    nb_release(y);
    CHECK(nb_error() && strstr(nb_error(), "already released"));
    nb_clear_error();
    CHECK(nb_backward_ex(L, (nb_backward_opts){ .retain_graph = true }) == NB_OK);
    size_t l1 = live(); /* retained: y's data stays (plus w.grad) */
    CHECK_TENSOR(w->grad, want_g, N, 1e-12);
    CHECK(nb_backward(L) == NB_OK); /* spends the nodes: y's data goes */
    CHECK(live() == l1 - vbytes);
    double w2[N];
    for (int i = 0; i < N; i++) w2[i] = 2 * want_g[i];
    CHECK_TENSOR(w->grad, w2, N, 1e-12);
    nb_scope_end(s);
    CHECK(nb_memory_stats_get().tensors_held == 0);
    nb_zero_grad(w);

    /* nb_tidy_end keeps what it is told to and releases the rest; at top level it does nothing */
    s = nb_scope_begin();
    nb_tidy m = nb_tidy_begin();
    nb_tensor *a = nb_mul(x, w), *b = nb_sin(a), *c = nb_cos(a);
    nb_tidy_end(m, NB_LIST(b));
    CHECK(nb_is_valid(b) && !nb_is_valid(a) && !nb_is_valid(c));
    CHECK(nb_backward(nb_sum(b)) == NB_OK);
    double gb[N];
    for (int i = 0; i < N; i++) gb[i] = xs[i] * cos(xs[i] * ws[i]);
    CHECK_TENSOR(w->grad, gb, N, 1e-12);
    nb_scope_end(s);
    nb_zero_grad(w);
    nb_tensor *xx = nb_add(x, x), *top = NB_TIDY(nb_sum(xx)); /* depth 0: nothing tracked, nothing released */
    CHECK(nb_is_valid(top) && nb_is_valid(xx) && !nb_error());
    nb_free(top);
    nb_free(xx);

    /* a released input still routes the gradient on; a released leaf gets no .grad */
    s = nb_scope_begin();
    nb_tensor *u = nb_mul(w, x), *v = nb_exp(u);
    nb_release(u);
    nb_tensor *w_view = nb_detach(w);
    nb_release(w_view); /* not in any graph: simply freed */
    CHECK(!nb_error());
    CHECK(nb_backward(nb_sum(v)) == NB_OK);
    double ge[N];
    for (int i = 0; i < N; i++) ge[i] = xs[i] * exp(xs[i] * ws[i]);
    CHECK_TENSOR(w->grad, ge, N, 1e-12);
    nb_scope_end(s);
    nb_free(x);
    nb_free(w);
    CHECK(!nb_error());
    CHECK(nb_memory_stats_get().tensors_live == 0 && nb_memory_stats_get().bytes_live == 0);
}

static long minor_faults(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = -1;
    fclose(f);
    return res * 4;
}

/* 20 MB buffers (above the old pool's 16 MB top class): the steady loop reuses them */
enum { BIG = 5 << 20 };
static void big_step(nb_tensor *w) {
    nb_scope s = nb_scope_begin();
    nb_tensor *loss = nb_sum(nb_mul(nb_tanh(w), w));
    CHECK(nb_backward(loss) == NB_OK);
    nb_scope_end(s);
    nb_zero_grad(w);
}

static void test_pool(void) {
    nb_tensor *w = nb_requires_grad_(nb_full(NB_F32, NB_SHAPE(BIG), 0.5), true);
    big_step(w);
    big_step(w);
    size_t a1 = nb_memory_stats_get().system_allocs;
    long f1 = minor_faults();
    for (int i = 0; i < 3; i++) big_step(w);
    long faults = minor_faults() - f1;
    printf("big-buffer loop: %zu system allocations and %ld page faults in 3 steady steps (one fresh buffer: "
           "%d)\n",
           nb_memory_stats_get().system_allocs - a1, faults, BIG * 4 / 4096);
    CHECK(nb_memory_stats_get().system_allocs == a1);
    CHECK(faults < 200);
    nb_memory_stats st = nb_memory_stats_get();
    CHECK(st.bytes_pooled >= (size_t)BIG * 4);
    CHECK(st.peak_bytes >= st.bytes_live + (size_t)BIG * 4);

    /* a cap: the excess is freed now and later releases beyond it go to the system */
    long r0 = rss_kb();
    nb_set_pool_limit(1 << 20);
    CHECK(nb_memory_stats_get().bytes_pooled <= (1 << 20) && nb_memory_stats_get().pool_limit == (1 << 20));
    long r1 = rss_kb();
    big_step(w); /* still works */
    CHECK(nb_memory_stats_get().bytes_pooled <= (1 << 20));
    printf("pool cap 1 MiB: RSS %ld kB -> %ld kB\n", r0, r1);
#ifndef __SANITIZE_ADDRESS__ /* ASan keeps freed memory in quarantine */
    CHECK(r1 < r0 - BIG * 4 / 1024 / 2);
#endif
    nb_set_pool_limit(SIZE_MAX);
    big_step(w);
    CHECK(nb_memory_stats_get().bytes_pooled >= (size_t)BIG * 4);
    char buf[2048] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    nb_memory_summary(f);
    fclose(f);
    CHECK(strstr(buf, "peak live tensor data") && strstr(buf, "pooled by size class"));
    nb_empty_cache();
    CHECK(nb_memory_stats_get().bytes_pooled == 0);
    big_step(w); /* still works after emptying */
    nb_memory_reset_peak();
    CHECK(nb_memory_stats_get().peak_bytes == nb_memory_stats_get().bytes_live);
    nb_free(w);
    nb_empty_cache();
    CHECK(nb_memory_stats_get().bytes_live == 0 && nb_memory_stats_get().bytes_pooled == 0);
}

int main(void) {
    setup();
    test_values();
    test_release();
    test_pool();
    CHECK(!nb_error());
    return nb_test_done();
}
