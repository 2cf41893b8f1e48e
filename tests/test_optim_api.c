/* test_optim_api.c — the optimizer interface itself: zero_grad (set to none), skipping params
 * without grad, version bumps, parameter groups with their own options, lr get/set, NB_ZERO,
 * state save/load (resuming gives the same trajectory), no allocation after the first step, the
 * cost of a 2-D Adam step (printed only: timing is not asserted), and the error messages for bad input. */
#include "testlib.h"
#include "nb_internal.h" /* storage version counter */
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* L = sum((w - 1)^2) + (b + 2)^2 ; grads 2(w-1), 2(b+2) */
static void grads(nb_tensor *w, nb_tensor *b) {
    nb_scope s = nb_scope_begin();
    nb_backward(nb_add(nb_sum(nb_square(nb_sub_scalar(w, 1))), nb_sum(nb_square(nb_add_scalar(b, 2)))));
    nb_scope_end(s);
}

static nb_tensor *leaf(nb_dtype dt, int n, double v) {
    nb_tensor *t = nb_full(dt, NB_SHAPE(n), v);
    nb_requires_grad_(t, true);
    return t;
}

static nb_tensor *sq_loss(void *ctx) { return nb_sum(nb_square((nb_tensor *)ctx)); }
static nb_tensor *null_loss(void *ctx) {
    (void)ctx;
    return NULL;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef nb_optimizer *(*mk_fn)(nb_tensor *const *p, int n);
static nb_optimizer *mk_adam(nb_tensor *const *p, int n) {
    return nb_adam(p, n, (nb_adam_opts){ .lr = 0.1, .amsgrad = true });
}
static nb_optimizer *mk_sgd(nb_tensor *const *p, int n) {
    return nb_sgd(p, n, (nb_sgd_opts){ .lr = 0.1, .momentum = 0.9 });
}
static nb_optimizer *mk_nadam(nb_tensor *const *p, int n) {
    return nb_nadam(p, n, (nb_nadam_opts){ .lr = 0.1 });
}
static nb_optimizer *mk_rms(nb_tensor *const *p, int n) {
    return nb_rmsprop(p, n, (nb_rmsprop_opts){ .momentum = 0.5, .centered = true });
}
static nb_optimizer *mk_adagrad(nb_tensor *const *p, int n) {
    return nb_adagrad(p, n, (nb_adagrad_opts){ .lr_decay = 0.1 });
}
static nb_optimizer *mk_adadelta(nb_tensor *const *p, int n) {
    return nb_adadelta(p, n, (nb_adadelta_opts){ 0 });
}

/* run 5 steps, save, run 5 more; a fresh optimizer loaded from the save must give the same 5 */
static void check_resume(mk_fn mk, const char *name) {
    nb_tensor *w = leaf(NB_F32, 3, 0.5), *b = leaf(NB_F64, 1, 0.25);
    nb_tensor *ps[] = { w, b };
    nb_optimizer *o = mk(ps, 2);
    for (int i = 0; i < 5; i++) {
        nb_optim_zero_grad(o);
        grads(w, b);
        nb_optim_step(o);
    }
    nb_state_dict sd = { 0 };
    CHECK(nb_optim_state_dict(o, &sd) == NB_OK);
    CHECK(sd.n >= 2);
    /* copies of the saved state and params (the state dict borrows) */
    nb_tensor *saved[32];
    nb_state_dict copy = { 0 };
    for (int i = 0; i < sd.n && i < 32; i++) {
        saved[i] = nb_clone(sd.tensors[i]);
        nb_state_dict_add(&copy, sd.names[i], saved[i]);
    }
    nb_tensor *w2 = NULL, *b2 = NULL;
    NB_NO_GRAD {
        w2 = nb_clone(w);
        b2 = nb_clone(b);
    }
    nb_requires_grad_(w2, true);
    nb_requires_grad_(b2, true);
    for (int i = 0; i < 5; i++) {
        nb_optim_zero_grad(o);
        grads(w, b);
        nb_optim_step(o);
    }
    nb_tensor *ps2[] = { w2, b2 };
    nb_optimizer *o2 = mk(ps2, 2);
    CHECK(nb_optim_load_state_dict(o2, &copy) == NB_OK);
    for (int i = 0; i < 5; i++) {
        nb_optim_zero_grad(o2);
        grads(w2, b2);
        nb_optim_step(o2);
    }
    double a[3], c[3];
    nb_to_doubles(w, a);
    nb_to_doubles(w2, c);
    bool same = a[0] == c[0] && a[2] == c[2] && nb_item(b) == nb_item(b2);
    if (!CHECK(same)) fprintf(stderr, "  resume %s: %.9g vs %.9g\n", name, a[0], c[0]);
    for (int i = 0; i < sd.n && i < 32; i++) nb_free(saved[i]);
    nb_state_dict_free(&sd);
    nb_state_dict_free(&copy);
    nb_optim_free(o);
    nb_optim_free(o2);
    nb_free(w);
    nb_free(b);
    nb_free(w2);
    nb_free(b2);
}

int main(void) {
    /* zero_grad sets to none; a param without grad is skipped; versions bump on update */
    nb_tensor *w = leaf(NB_F32, 3, 0.5), *b = leaf(NB_F32, 1, 0.0), *unused = leaf(NB_F32, 2, 7.0);
    nb_optimizer *o = nb_sgd((nb_tensor *[]){ w, b, unused }, 3, (nb_sgd_opts){ .lr = 0.25 });
    CHECK(o && !strcmp(nb_optim_name(o), "sgd"));
    grads(w, b);
    CHECK(w->grad && b->grad && !unused->grad);
    uint32_t v0 = w->storage->version, vu = unused->storage->version;
    CHECK(nb_optim_step(o) == NB_OK);
    CHECK(w->storage->version == v0 + 1 && unused->storage->version == vu);
    CHECK_NEAR(nb_data_f32(w)[0], 0.5 - 0.25 * 2 * (0.5 - 1), 1e-7);
    CHECK_NEAR(nb_data_f32(b)[0], -0.25 * 4, 1e-7);
    CHECK_NEAR(nb_data_f32(unused)[0], 7.0, 0);
    nb_optim_zero_grad(o);
    CHECK(!w->grad && !b->grad);
    CHECK(nb_optim_step(o) == NB_OK); /* no grads: nothing moves */
    CHECK_NEAR(nb_data_f32(b)[0], -1.0, 0);
    /* lr get / set and groups with their own options (zero fields inherit the constructor's) */
    CHECK_NEAR(nb_optim_get_lr(o, 0), 0.25, 0);
    CHECK(nb_optim_set_lr(o, 0, 0.5) == NB_OK);
    CHECK_NEAR(nb_optim_get_lr(o, 0), 0.5, 0);
    CHECK(isnan(nb_optim_get_lr(o, 1)) && nb_error());
    nb_clear_error();
    CHECK(nb_optim_set_lr(o, 3, 0.1) == NB_ERROR && nb_error());
    nb_clear_error();
    nb_tensor *extra = leaf(NB_F32, 1, 1.0);
    CHECK(nb_optim_add_param_group(o, &w, 1, NULL) == -1 && nb_error()); /* already in group 0 */
    nb_clear_error();
    CHECK(nb_optim_add_param_group(o, &extra, 1, &(nb_sgd_opts){ .momentum = 0.9 }) == 1);
    CHECK(nb_optim_num_groups(o) == 2);
    CHECK_NEAR(nb_optim_get_lr(o, 1), 0.25, 0); /* inherited from the constructor */
    nb_optim_free(o);

    /* nb_optim_step_loss on a first-order method = zero_grad, loss, backward, step */
    {
        nb_tensor *u = leaf(NB_F64, 2, 3.0);
        nb_optimizer *sg = nb_sgd(&u, 1, (nb_sgd_opts){ .lr = 0.25 });
        double l = 0;
        CHECK(nb_optim_step_loss(sg, sq_loss, u, &l) == NB_OK);
        CHECK_NEAR(l, 18.0, 0);                         /* sum(u^2) at 3 */
        CHECK_NEAR(nb_data_f64(u)[0], 3 - 0.25 * 6, 0); /* grad 2u */
        CHECK(nb_optim_step_loss(sg, null_loss, u, &l) == NB_ERROR && nb_error());
        nb_clear_error();
        nb_optim_free(sg);
        nb_free(u);
    }

    /* NB_ZERO: AdamW without weight decay equals Adam without weight decay */
    nb_tensor *p1 = leaf(NB_F64, 1, 3.0), *p2 = leaf(NB_F64, 1, 3.0), *dummy = leaf(NB_F64, 1, 0);
    nb_optimizer *a1 = nb_adam(&p1, 1, (nb_adam_opts){ .lr = 0.1 });
    nb_optimizer *a2 = nb_adamw(&p2, 1, (nb_adam_opts){ .lr = 0.1, .weight_decay = NB_ZERO });
    for (int i = 0; i < 10; i++) {
        nb_optim_zero_grad(a1);
        nb_optim_zero_grad(a2);
        grads(p1, dummy);
        grads(p2, dummy);
        nb_optim_step(a1);
        nb_optim_step(a2);
    }
    CHECK(nb_item(p1) == nb_item(p2));
    nb_optim_free(a1);
    nb_optim_free(a2);

    /* state save / load: resuming gives bit-identical trajectories */
    mk_fn mks[] = { mk_adam, mk_sgd, mk_nadam, mk_rms, mk_adagrad, mk_adadelta };
    const char *names[] = { "adam", "sgd", "nadam", "rmsprop", "adagrad", "adadelta" };
    for (int i = 0; i < 6; i++) check_resume(mks[i], names[i]);
    nb_tensor *q = leaf(NB_F32, 2, 1.0);
    o = nb_adam(&q, 1, (nb_adam_opts){ 0 });
    nb_state_dict sd = { 0 };
    grads(q, dummy);
    nb_optim_step(o);
    nb_optim_state_dict(o, &sd);
    CHECK(nb_state_dict_get(&sd, "state.0.step") && nb_item(nb_state_dict_get(&sd, "state.0.step")) == 1);
    CHECK(nb_state_dict_get(&sd, "state.0.exp_avg") && nb_state_dict_get(&sd, "state.0.exp_avg_sq"));
    CHECK(nb_state_dict_get(&sd, "param_groups.0.lr") &&
          nb_item(nb_state_dict_get(&sd, "param_groups.0.lr")) == 1e-3);
    nb_state_dict bad = { 0 };
    nb_tensor *wrong = nb_zeros(NB_F32, NB_SHAPE(5));
    nb_state_dict_add(&bad, "state.0.exp_avg", wrong);
    CHECK(nb_optim_load_state_dict(o, &bad) == NB_ERROR && nb_error());
    nb_clear_error();
    nb_state_dict_free(&bad);
    nb_state_dict_free(&sd);
    nb_free(wrong);

    /* through a safetensors checkpoint: save the state, read it back, resume in a new optimizer */
    {
        nb_tensor *a = leaf(NB_F64, 3, 0.5), *a2 = leaf(NB_F64, 3, 0.5), *z = leaf(NB_F64, 1, 0.0);
        nb_optimizer *oa = nb_nadam(&a, 1, (nb_nadam_opts){ .lr = 0.1 });
        for (int i = 0; i < 4; i++) {
            nb_optim_zero_grad(oa);
            grads(a, z);
            nb_optim_step(oa);
        }
        nb_state_dict st = { 0 }, back = { 0 };
        const char *dir = getenv("NB_BUILD_DIR");
        char path[1024];
        snprintf(path, sizeof path, "%s/test_optim_state.safetensors", dir ? dir : "/tmp");
        CHECK(nb_optim_state_dict(oa, &st) == NB_OK && nb_save_safetensors(&st, path) == NB_OK);
        CHECK(nb_safetensors_read(path, &back) == NB_OK);
        NB_NO_GRAD { nb_copy_(a2, a); }
        nb_optimizer *ob = nb_nadam(&a2, 1, (nb_nadam_opts){ .lr = 0.1 });
        CHECK(nb_optim_load_state_dict(ob, &back) == NB_OK);
        for (int i = 0; i < 4; i++) {
            nb_optim_zero_grad(oa);
            grads(a, z);
            nb_optim_step(oa);
            nb_optim_zero_grad(ob);
            grads(a2, z);
            nb_optim_step(ob);
        }
        CHECK(nb_data_f64(a)[0] == nb_data_f64(a2)[0] && nb_data_f64(a)[2] == nb_data_f64(a2)[2]);
        nb_safetensors_free(&back);
        nb_state_dict_free(&st);
        remove(path);
        nb_optim_free(oa);
        nb_optim_free(ob);
        nb_free(a);
        nb_free(a2);
        nb_free(z);
    }

    /* no allocation after the first step; the cost of a 2-D Adam step */
    nb_tensor *x2 = leaf(NB_F32, 2, 1.0);
    nb_optimizer *ad = nb_adam(&x2, 1, (nb_adam_opts){ .lr = 1e-3 });
    grads(x2, dummy);
    nb_optim_step(ad);
    size_t allocs = nb_memory_stats_get().system_allocs;
    /* 5000 steps: beyond ~7000, 0.9^t underflows and libm's pow takes its slow path (torch too) */
    int iters = 5000;
    double dt = INFINITY;
    for (int rep = 0; rep < 20; rep++) { /* best of 20 runs from a fresh state */
        nb_optim_free(ad);
        ad = nb_adam(&x2, 1, (nb_adam_opts){ .lr = 1e-3 });
        nb_optim_step(ad);
        double t0 = now();
        for (int i = 0; i < iters; i++) nb_optim_step(ad);
        dt = fmin(dt, (now() - t0) / iters);
    }
    allocs = nb_memory_stats_get().system_allocs;
    for (int i = 0; i < 1000; i++) nb_optim_step(ad);
    CHECK(nb_memory_stats_get().system_allocs == allocs);
    printf("2-D Adam step: %.1f ns (no allocation after the first step)\n",
           dt * 1e9); /* reported, not asserted */
    /* a whole training step (zero_grad, forward, backward, step) allocates nothing new either */
    for (int i = 0; i < 3; i++) {
        nb_optim_zero_grad(ad);
        grads(x2, dummy);
        nb_optim_step(ad);
    }
    allocs = nb_memory_stats_get().system_allocs;
    for (int i = 0; i < 100; i++) {
        nb_optim_zero_grad(ad);
        grads(x2, dummy);
        nb_optim_step(ad);
    }
    CHECK(nb_memory_stats_get().system_allocs == allocs);
    nb_optim_free(ad);
    nb_optim_free(o);

    /* large parameters update on several threads, with the same result as on one */
    {
        int64_t n = 200000;
        double res[2][3];
        for (int run = 0; run < 2; run++) {
            nb_set_num_threads(run ? 2 : 1);
            nb_manual_seed(5);
            nb_tensor *big = nb_randn(NB_F32, NB_SHAPE(n));
            nb_requires_grad_(big, true);
            nb_optimizer *ob = nb_adam(&big, 1, (nb_adam_opts){ .lr = 0.01, .amsgrad = true });
            double t1 = now();
            for (int i = 0; i < 5; i++) {
                nb_optim_zero_grad(ob);
                nb_scope sc = nb_scope_begin();
                nb_backward(nb_sum(nb_mul(big, big)));
                nb_scope_end(sc);
                nb_optim_step(ob);
            }
            if (run)
                printf(
                    "Adam on %lld f32 elements: %.2f ms per iteration (forward, backward, step; 2 threads)\n",
                    (long long)n, (now() - t1) / 5 * 1e3);
            res[run][0] = nb_data_f32(big)[0];
            res[run][1] = nb_data_f32(big)[n / 2];
            res[run][2] = nb_data_f32(big)[n - 1];
            nb_optim_free(ob);
            nb_free(big);
        }
        nb_set_num_threads(0);
        CHECK(res[0][0] == res[1][0] && res[0][1] == res[1][1] && res[0][2] == res[1][2]);
    }

    /* errors name the function and the fix */
    nb_tensor *ints = nb_zeros(NB_I64, NB_SHAPE(2));
    CHECK_ERR(nb_sgd(&w, 1, (nb_sgd_opts){ 0 }));                           /* lr required */
    CHECK_ERR(nb_sgd(&w, 1, (nb_sgd_opts){ .lr = 0.1, .nesterov = true })); /* nesterov needs momentum */
    CHECK_ERR(nb_adam(&w, 1, (nb_adam_opts){ .betas = { 1.5, 0 } }));
    CHECK_ERR(nb_adam(&ints, 1, (nb_adam_opts){ 0 }));
    CHECK_ERR(nb_adam(NULL, 1, (nb_adam_opts){ 0 }));
    CHECK_ERR(nb_adam((nb_tensor *[]){ w, NULL }, 2, (nb_adam_opts){ 0 }));
    CHECK_ERR(nb_rmsprop(&w, 1, (nb_rmsprop_opts){ .lr = -1 }));
    CHECK_ERR(nb_adagrad(&w, 1, (nb_adagrad_opts){ .lr_decay = -1 }));
    CHECK_ERR(nb_adadelta(&w, 1, (nb_adadelta_opts){ .rho = 2 }));
    CHECK_ERR(nb_nadam(&w, 1, (nb_nadam_opts){ .eps = -1 }));
    nb_scope s = nb_scope_begin();
    nb_tensor *nonleaf = nb_mul_scalar(w, 2);
    CHECK_ERR(nb_sgd(&nonleaf, 1, (nb_sgd_opts){ .lr = 1 }));
    nb_tensor *tr = nb_t(nb_ones(NB_F32, NB_SHAPE(2, 3)));
    CHECK_ERR(nb_sgd(&tr, 1, (nb_sgd_opts){ .lr = 1 })); /* not contiguous */
    nb_scope_end(s);
    CHECK(nb_optim_step(NULL) == NB_ERROR && nb_error());
    nb_clear_error();
    nb_optim_free(NULL);
    nb_optim_zero_grad(NULL);
    nb_free(ints);
    nb_free(w);
    nb_free(b);
    nb_free(unused);
    nb_free(extra);
    nb_free(p1);
    nb_free(p2);
    nb_free(dummy);
    nb_free(q);
    nb_free(x2);
    return nb_test_done();
}
