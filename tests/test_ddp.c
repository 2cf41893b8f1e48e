/* test_ddp.c — DistributedDataParallel equivalence, as PyTorch tests its own DDP (_test_DDP_niter):
 * the same model trained in one process on the global batch (the reference, run on every rank) and
 * under DDP on each rank's shard of it (DistributedSampler without shuffle), for SGD and Adam steps
 * in f32 and f64: after every step the parameters equal the reference within 1e-6 (f32) / 1e-12
 * (f64), relative to max(1, |p|), and are bitwise identical across ranks. Also: no_sync gradient
 * accumulation, the broadcast of rank 0's weights, buffers (rank 0's at construction and before each
 * training forward, or not with no_broadcast_buffers), a model mismatch across ranks (an error on every
 * rank; a hang would fail by mpirun_run.sh's timeout), an unused parameter, and a checkpoint saved by
 * rank 0 and resumed both under DDP and in a single process (another world size). Run at np 1, 2, 3. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

enum { IN = 5, HID = 8, OUT = 3, G = 12, N = 48 }; /* G divisible by 1, 2, 3 */
static int R, W;
static nb_tensor *X, *Y; /* the data, the same on every rank */
static double worst[2];  /* largest deviation from the reference (f32, f64) */

static nb_module *mlp(nb_dtype dt, uint64_t seed, int hid) {
    nb_manual_seed(seed);
    nb_module *m = nb_sequential_new(3, nb_linear_new(IN, hid, true), nb_tanh_new(),
                                     nb_linear_new(hid, OUT, true));
    if (m && dt == NB_F64) nb_module_to(m, NB_F64);
    return m;
}

typedef enum { SGD, ADAM } method;
static nb_optimizer *optim(nb_module *m, method k) {
    int n = 0;
    nb_tensor **ps = nb_module_parameters(m, &n);
    return k == SGD ? nb_sgd(ps, n, (nb_sgd_opts){ .lr = 0.1, .momentum = 0.9 })
                    : nb_adam(ps, n, (nb_adam_opts){ .lr = 0.01 });
}

/* loss = scale * cross_entropy(model(x), y); backward. Every other call goes through the general
 * forward (nb_module_forward_ex), which the DDP wrapper passes on the same way. */
static nb_status fwd_bwd(nb_module *m, nb_tensor *x, nb_tensor *y, double scale) {
    static int calls;
    nb_scope s = nb_scope_begin();
    nb_tensor *out = NULL;
    if (calls++ % 2)
        nb_module_forward_ex(m, 1, &x, NULL, 1, &out);
    else
        out = nb_module_forward(m, x);
    nb_tensor *l = nb_cross_entropy(out, y, (nb_cross_entropy_opts){ 0 });
    nb_status st = nb_backward(nb_mul_scalar(l, scale));
    nb_scope_end(s);
    return st;
}

/* one reference step on global batch s */
static void ref_step(nb_module *m, nb_optimizer *o, int s, nb_dtype dt) {
    nb_scope sc = nb_scope_begin();
    nb_tensor *x = nb_to(nb_slice(X, 0, s * G, (s + 1) * G, 1), dt),
              *y = nb_slice(Y, 0, s * G, (s + 1) * G, 1);
    CHECK(fwd_bwd(m, x, y, 1) == NB_OK);
    CHECK(nb_optim_step(o) == NB_OK);
    nb_optim_zero_grad(o);
    nb_scope_end(sc);
}

/* every parameter of a within tol of b (relative to max(1, |b|)); bitwise equal across ranks */
static void compare(nb_module *ddp, nb_module *ref, double tol, const char *what) {
    int n = 0, nr = 0;
    nb_tensor **p = nb_module_parameters(ddp, &n), **q = nb_module_parameters(ref, &nr);
    CHECK(n == nr);
    double dev = 0;
    int same = 1;
    for (int i = 0; i < n && i < nr; i++) {
        double *a = malloc(sizeof *a * (size_t)p[i]->numel), *b = malloc(sizeof *b * (size_t)p[i]->numel);
        nb_to_doubles(p[i], a);
        nb_to_doubles(q[i], b);
        for (int64_t k = 0; k < p[i]->numel; k++) {
            double d = fabs(a[k] - b[k]) / (1 + fabs(b[k]));
            if (d > dev) dev = d;
        }
        free(a);
        free(b);
        nb_tensor *mine = nb_contiguous(p[i]), *r0 = nb_empty_like(p[i]); /* rank 0's bits */
        memcpy(nb_data(r0), nb_data(mine), (size_t)p[i]->numel * nb_dtype_size(p[i]->dtype));
        CHECK(nb_dist_broadcast(r0, 0) == NB_OK);
        same &= memcmp(nb_data(r0), nb_data(p[i]), (size_t)p[i]->numel * nb_dtype_size(p[i]->dtype)) == 0;
        nb_free(r0);
        if (mine != p[i]) nb_free(mine);
    }
    int k = p[0]->dtype == NB_F64;
    if (dev > worst[k]) worst[k] = dev;
    if (dev > tol || !same)
        fprintf(stderr, "rank %d: %s: deviation %.3g (tol %g), bitwise across ranks %d\n", R, what, dev, tol,
                same);
    CHECK(dev <= tol);
    CHECK(same);
}

static nb_dataloader *shard_loader(nb_tensor_dataset *ds, nb_distributed_sampler **smp) {
    *smp = nb_distributed_sampler_new(N, (nb_distributed_sampler_opts){ .no_shuffle = true });
    return nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = G / W, NB_DISTRIBUTED_SAMPLER(*smp) });
}

/* DDP (weights from a rank-dependent seed: the broadcast must make them rank 0's) against the reference;
 * with `many` every parameter is a bucket of its own (limits of 1 byte), so three of the four buckets
 * are reduced (MPI_Iallreduce) while backward still computes */
static void equivalence(nb_dtype dt, method k, bool accumulate, bool many) {
    double tol = dt == NB_F32 ? 1e-6 : 1e-12;
    const char *what = k == SGD ? (accumulate ? "sgd no_sync" : "sgd") : "adam";
    nb_ddp_opts bo = many ? (nb_ddp_opts){ .first_bucket_mb = 1e-9, .bucket_cap_mb = 1e-9 }
                          : (nb_ddp_opts){ 0 };
    nb_module *ref = mlp(dt, 1000, HID),
              *ddp = nb_distributed_data_parallel(mlp(dt, 1000 + (uint64_t)R, HID), bo);
    CHECK(ddp != NULL);
    if (!ddp) {
        nb_module_free(ref);
        return;
    }
    compare(ddp, ref, 0, "broadcast at construction");
    nb_optimizer *oref = optim(ref, k), *o = optim(ddp, k);
    nb_tensor *xd = nb_to(X, dt);
    nb_tensor_dataset *ds = nb_tensor_dataset_new(xd, Y);
    nb_distributed_sampler *smp;
    nb_dataloader *dl = shard_loader(ds, &smp);
    int epochs = dt == NB_F32 && k == SGD && !accumulate ? 2
                                                         : 1; /* a second epoch once: the loader restarts */
    for (int epoch = 0; epoch < epochs; epoch++) {
        nb_distributed_sampler_set_epoch(smp, epoch);
        for (int s = 0; s < N / G; s++) {
            nb_scope sc = nb_scope_begin();
            nb_tensor *xb, *yb;
            CHECK(nb_dataloader_next(dl, &xb, &yb));
            if (!accumulate) {
                CHECK(fwd_bwd(ddp, xb, yb, 1) == NB_OK);
            } else { /* two micro-batches: the first without communication */
                int64_t h = (G / W) / 2;
                int64_t before = nb_ddp_get_stats(ddp).reductions;
                NB_DDP_NO_SYNC(ddp) {
                    CHECK(fwd_bwd(ddp, nb_slice(xb, 0, 0, h, 1), nb_slice(yb, 0, 0, h, 1), 0.5) == NB_OK);
                }
                CHECK(nb_ddp_get_stats(ddp).reductions == before);
                CHECK(fwd_bwd(ddp, nb_slice(xb, 0, h, G / W, 1), nb_slice(yb, 0, h, G / W, 1), 0.5) == NB_OK);
                CHECK(nb_ddp_get_stats(ddp).reductions == before + (W > 1));
            }
            CHECK(nb_optim_step(o) == NB_OK);
            nb_optim_zero_grad(o);
            nb_scope_end(sc);
            ref_step(ref, oref, s, dt);
            compare(ddp, ref, tol, what);
        }
        nb_scope sc = nb_scope_begin();
        nb_tensor *xb, *yb;
        CHECK(!nb_dataloader_next(dl, &xb, &yb)); /* the epoch's end */
        nb_scope_end(sc);
    }
    nb_ddp_stats st = nb_ddp_get_stats(ddp);
    CHECK(st.nbuckets == (many ? 4 : 1) &&
          st.bucket_bytes == (int64_t)((IN * HID + HID + HID * OUT + OUT) * nb_dtype_size(dt)));
    CHECK(st.reductions == (W > 1 ? epochs * N / G : 0));
    /* started inside backward: both second-layer buckets (their gradients come one node before the
     * first layer's), and the first layer's bias too when its hook runs before the weight's */
    CHECK(many ? st.early_launched >= 2 * st.reductions && st.early_launched <= 3 * st.reductions
               : st.early_launched == 0);
    CHECK(st.early_done >= 0 && st.early_done <= st.early_launched);
    nb_dataloader_free(dl);
    nb_distributed_sampler_free(smp);
    nb_tensor_dataset_free(ds);
    if (xd != X) nb_free(xd);
    nb_optim_free(o);
    nb_optim_free(oref);
    nb_module_free(ddp);
    nb_module_free(ref);
}

/* small buckets (first 0.001 MiB, then 0.005 MiB): reverse order 2.bias (24 B) + 2.weight (7200 B) close
 * bucket 0, 0.bias (2400 B) + 0.weight (12000 B) close bucket 1: the first is reduced while backward
 * computes the first layer's gradients */
static void two_buckets(void) {
    nb_module *ref = mlp(NB_F64, 5, 300);
    nb_module *ddp = nb_distributed_data_parallel(
        mlp(NB_F64, 5, 300), (nb_ddp_opts){ .first_bucket_mb = 0.001, .bucket_cap_mb = 0.005 });
    nb_ddp_stats st = nb_ddp_get_stats(ddp);
    CHECK(st.nbuckets == 2 && st.bucket_bytes == (5 * 300 + 300 + 300 * 3 + 3) * 8);
    nb_optimizer *o = optim(ddp, SGD), *oref = optim(ref, SGD);
    for (int s = 0; s < 3; s++) {
        nb_scope sc = nb_scope_begin();
        nb_tensor *x = nb_to(nb_slice(X, 0, s * G + R * (G / W), s * G + (R + 1) * (G / W), 1), NB_F64);
        nb_tensor *y = nb_slice(Y, 0, s * G + R * (G / W), s * G + (R + 1) * (G / W), 1);
        CHECK(fwd_bwd(ddp, x, y, 1) == NB_OK);
        CHECK(nb_optim_step(o) == NB_OK);
        nb_optim_zero_grad(o);
        nb_scope_end(sc);
        ref_step(ref, oref, s, NB_F64);
        compare(ddp, ref, 1e-12, "two buckets");
    }
    CHECK(nb_ddp_get_stats(ddp).early_launched == (W > 1 ? 3 : 0)); /* bucket 0, once per step */
    nb_optim_free(o);
    nb_optim_free(oref);
    nb_module_free(ddp);
    nb_module_free(ref);
}

/* a module with buffers: y = lin(x - shift), and count += 1 at each forward (what a BatchNorm's
 * running statistics and num_batches_tracked are to DDP); seen records the shift the forward used */
static double seen_shift, seen_count;
static nb_tensor *shifted_forward(nb_module *m, nb_tensor *x) {
    nb_tensor *shift = nb_module_get_buffer(m, "shift"), *count = nb_module_get_buffer(m, "count");
    seen_shift = nb_get(shift, (int64_t[]){ 0 });
    seen_count = nb_get(count, (int64_t[]){ 0 });
    nb_set(count, (int64_t[]){ 0 }, seen_count + 1); /* i64: no in-place arithmetic, as nabla documents */
    return nb_module_forward(m->children[0], nb_sub(x, shift));
}
static nb_module *shifted(nb_dtype dt, uint64_t seed, double shift0) {
    nb_manual_seed(seed);
    nb_module *m = nb_module_new("Shifted", shifted_forward, NULL, NULL);
    nb_module_register_module(m, "lin", nb_linear_new(IN, OUT, true));
    nb_module_register_buffer(m, "shift", nb_full(NB_F32, NB_SHAPE(IN), shift0), true);
    nb_module_register_buffer(m, "count", nb_zeros(NB_I64, NB_SHAPE(1)), true);
    if (dt == NB_F64) nb_module_to(m, NB_F64);
    return m;
}

/* buffers: rank 0's at construction and before each training forward (so ranks that drift are pulled
 * back, and parameters still follow the reference that only ever saw rank 0's buffers); not synced
 * with no_broadcast_buffers, nor after a forward without grad (torch's require_forward_param_sync) */
static void buffers(nb_dtype dt) {
    double tol = dt == NB_F32 ? 1e-6 : 1e-12;
    nb_module *ref = shifted(dt, 3, 0.25),
              *ddp = nb_distributed_data_parallel(shifted(dt, 3, 0.25 + R), (nb_ddp_opts){ 0 });
    CHECK(ddp != NULL);
    if (!ddp) {
        nb_module_free(ref);
        return;
    }
    nb_module *inner = nb_ddp_module(ddp);
    nb_tensor *shift = nb_module_get_buffer(inner, "shift"), *count = nb_module_get_buffer(inner, "count");
    CHECK(nb_get(shift, (int64_t[]){ IN - 1 }) == 0.25);
    nb_optimizer *o = optim(ddp, ADAM), *oref = optim(ref, ADAM);
    for (int s = 0; s < 3; s++) {
        NB_NO_GRAD { /* local drift on every rank but 0; count too */
            nb_add_scalar_(shift, R);
            nb_set(count, (int64_t[]){ 0 }, nb_get(count, (int64_t[]){ 0 }) + 10 * R);
        }
        nb_scope sc = nb_scope_begin();
        nb_tensor *x = nb_to(nb_slice(X, 0, s * G + R * (G / W), s * G + (R + 1) * (G / W), 1), dt);
        CHECK(fwd_bwd(ddp, x, nb_slice(Y, 0, s * G + R * (G / W), s * G + (R + 1) * (G / W), 1), 1) == NB_OK);
        CHECK(seen_shift == 0.25 && seen_count == s); /* rank 0's values reached the forward */
        CHECK(nb_optim_step(o) == NB_OK);
        nb_optim_zero_grad(o);
        nb_scope_end(sc);
        ref_step(ref, oref, s, dt);
        compare(ddp, ref, tol, "with buffers");
    }
    /* a forward without grad: synced (the previous one had grad); the next one is not */
    NB_NO_GRAD { nb_add_scalar_(shift, R); }
    nb_scope sc = nb_scope_begin();
    NB_NO_GRAD { CHECK(nb_module_forward(ddp, nb_to(nb_slice(X, 0, 0, 2, 1), dt)) != NULL); }
    CHECK(seen_shift == 0.25);
    NB_NO_GRAD { nb_add_scalar_(shift, R); }
    NB_NO_GRAD { CHECK(nb_module_forward(ddp, nb_to(nb_slice(X, 0, 0, 2, 1), dt)) != NULL); }
    CHECK(seen_shift == 0.25 + R);
    nb_scope_end(sc);
    nb_optim_free(o);
    nb_optim_free(oref);
    nb_module_free(ddp);
    nb_module_free(ref);
    /* broadcast_buffers off: each rank keeps its own (after the construction's broadcast) */
    ddp = nb_distributed_data_parallel(shifted(dt, 3, 0.25 + R),
                                       (nb_ddp_opts){ .no_broadcast_buffers = true });
    shift = nb_module_get_buffer(nb_ddp_module(ddp), "shift");
    CHECK(nb_get(shift, (int64_t[]){ 0 }) == 0.25);
    NB_NO_GRAD { nb_add_scalar_(shift, R); }
    sc = nb_scope_begin();
    CHECK(fwd_bwd(ddp, nb_to(nb_slice(X, 0, 0, 2, 1), dt), nb_slice(Y, 0, 0, 2, 1), 1) == NB_OK);
    nb_scope_end(sc);
    CHECK(seen_shift == 0.25 + R);
    nb_module_free(ddp);
    if (W > 1) { /* a buffer of another shape on the last rank: an error on every rank */
        nb_module *m = shifted(dt, 3, 0);
        if (R == W - 1) nb_module_register_buffer(m, "extra", nb_zeros(NB_F32, NB_SHAPE(2)), false);
        CHECK(nb_distributed_data_parallel(m, (nb_ddp_opts){ 0 }) == NULL && nb_error() &&
              strstr(nb_error(), "buffer"));
        nb_clear_error();
    }
}

/* a forward that uses only the first child: the second's parameters never get a gradient */
static nb_tensor *first_only(nb_module *m, nb_tensor *x) { return nb_module_forward(m->children[0], x); }

static void errors(void) {
    /* not a DDP module */
    nb_module *plain = mlp(NB_F32, 1, HID);
    CHECK_ERR(nb_ddp_module(plain));
    nb_module_free(plain);
    CHECK_ERR(nb_distributed_data_parallel(NULL, (nb_ddp_opts){ 0 }));
    CHECK_ERR(nb_distributed_data_parallel(mlp(NB_F32, 1, HID), (nb_ddp_opts){ .bucket_cap_mb = -1 }));
    if (W > 1) {
        /* a different hidden size on the last rank: an error on every rank, naming the parameter */
        nb_module *m = nb_distributed_data_parallel(mlp(NB_F32, 1, R == W - 1 ? HID + 1 : HID),
                                                    (nb_ddp_opts){ 0 });
        CHECK(m == NULL && nb_error() && strstr(nb_error(), "same model") && strstr(nb_error(), "0.weight"));
        nb_clear_error();
        /* a different dtype on rank 0 */
        m = nb_distributed_data_parallel(mlp(R == 0 ? NB_F64 : NB_F32, 1, HID), (nb_ddp_opts){ 0 });
        CHECK(m == NULL && nb_error() && strstr(nb_error(), "float64"));
        nb_clear_error();
        /* an unused parameter: its bucket never fills; the next forward says so, on every rank */
        nb_module *two = nb_module_new("TwoHeads", first_only, NULL, NULL);
        nb_module_register_module(two, "a", nb_linear_new(IN, OUT, true));
        nb_module_register_module(two, "b", nb_linear_new(IN, OUT, true));
        m = nb_distributed_data_parallel(two, (nb_ddp_opts){ 0 });
        CHECK(m != NULL);
        nb_tensor *x = nb_slice(X, 0, 0, 4, 1), *y = nb_slice(Y, 0, 0, 4, 1);
        CHECK(fwd_bwd(m, x, y, 1) == NB_OK);
        nb_scope sc = nb_scope_begin();
        CHECK_ERR(nb_module_forward(m, x));
        nb_scope_end(sc);
        nb_module_zero_grad(m);
        CHECK(fwd_bwd(m, x, y, 1) == NB_OK); /* the wrapper is usable again (and fails the same way) */
        nb_module_free(m);
        nb_free(x);
        nb_free(y);
    }
    CHECK(nb_error() == NULL);
}

/* rank 0 saves after 2 steps; every rank resumes under DDP, rank 0 also in a single process (W = 1):
 * both continue like the reference */
static void checkpoint(void) {
    char pm[600], po[600];
    const char *dir = getenv("NB_BUILD_DIR");
    snprintf(pm, sizeof pm, "%s/ddp_ckpt_np%d_model.safetensors", dir ? dir : ".", W);
    snprintf(po, sizeof po, "%s/ddp_ckpt_np%d_optim.safetensors", dir ? dir : ".", W);
    nb_module *ref = mlp(NB_F64, 77, HID),
              *ddp = nb_distributed_data_parallel(mlp(NB_F64, 77, HID), (nb_ddp_opts){ 0 });
    nb_optimizer *oref = optim(ref, ADAM), *o = optim(ddp, ADAM);
    for (int s = 0; s < 2; s++) {
        nb_scope sc = nb_scope_begin();
        nb_tensor *x = nb_to(nb_slice(X, 0, s * G + R * (G / W), s * G + (R + 1) * (G / W), 1), NB_F64);
        CHECK(fwd_bwd(ddp, x, nb_slice(Y, 0, s * G + R * (G / W), s * G + (R + 1) * (G / W), 1), 1) == NB_OK);
        CHECK(nb_optim_step(o) == NB_OK);
        nb_optim_zero_grad(o);
        nb_scope_end(sc);
        ref_step(ref, oref, s, NB_F64);
    }
    if (R == 0) { /* the inner module's names, as a single process would save them */
        nb_state_dict sd = nb_module_state_dict(nb_ddp_module(ddp)), osd = { 0 };
        CHECK(nb_save_safetensors(&sd, pm) == NB_OK);
        CHECK(nb_optim_state_dict(o, &osd) == NB_OK && nb_save_safetensors(&osd, po) == NB_OK);
        nb_state_dict_free(&sd);
        nb_state_dict_free(&osd);
    }
    CHECK(nb_dist_barrier() == NB_OK);
    nb_optim_free(o);
    nb_module_free(ddp);
    /* resume under DDP from other initial weights */
    nb_module *inner = mlp(NB_F64, 4242 + (uint64_t)R, HID);
    nb_state_dict sd = nb_module_state_dict(inner), osd = { 0 };
    CHECK(nb_load_safetensors(&sd, pm) == NB_OK);
    nb_state_dict_free(&sd);
    ddp = nb_distributed_data_parallel(inner, (nb_ddp_opts){ 0 });
    o = optim(ddp, ADAM);
    CHECK(nb_safetensors_read(po, &osd) == NB_OK && nb_optim_load_state_dict(o, &osd) == NB_OK);
    nb_safetensors_free(&osd);
    /* and in a single process on the global batches */
    nb_module *solo = mlp(NB_F64, 31337, HID);
    sd = nb_module_state_dict(solo);
    CHECK(nb_load_safetensors(&sd, pm) == NB_OK);
    nb_state_dict_free(&sd);
    nb_optimizer *osolo = optim(solo, ADAM);
    CHECK(nb_safetensors_read(po, &osd) == NB_OK && nb_optim_load_state_dict(osolo, &osd) == NB_OK);
    nb_safetensors_free(&osd);
    for (int s = 2; s < 4; s++) {
        nb_scope sc = nb_scope_begin();
        nb_tensor *x = nb_to(nb_slice(X, 0, s * G + R * (G / W), s * G + (R + 1) * (G / W), 1), NB_F64);
        CHECK(fwd_bwd(ddp, x, nb_slice(Y, 0, s * G + R * (G / W), s * G + (R + 1) * (G / W), 1), 1) == NB_OK);
        CHECK(nb_optim_step(o) == NB_OK);
        nb_optim_zero_grad(o);
        nb_scope_end(sc);
        ref_step(ref, oref, s, NB_F64);
        ref_step(solo, osolo, s, NB_F64);
        compare(ddp, ref, 1e-12, "resumed under DDP");
        compare(solo, ref, 1e-12, "resumed in one process");
    }
    CHECK(nb_dist_barrier() == NB_OK);
    if (R == 0) {
        remove(pm);
        remove(po);
    }
    nb_optim_free(osolo);
    nb_optim_free(o);
    nb_optim_free(oref);
    nb_module_free(solo);
    nb_module_free(ddp);
    nb_module_free(ref);
}

int main(void) {
    CHECK_ERR(nb_distributed_data_parallel(mlp(NB_F32, 1, HID), (nb_ddp_opts){ 0 })); /* no process group */
    CHECK(nb_dist_init_process_group((nb_dist_init_opts){ 0 }) == NB_OK);
    R = nb_dist_get_rank();
    W = nb_dist_get_world_size();
    nb_manual_seed(123);
    X = nb_randn(NB_F32, NB_SHAPE(N, IN));
    Y = nb_randint(0, OUT, NB_SHAPE(N));
    for (int d = 0; d < 2; d++) {
        nb_dtype dt = d ? NB_F64 : NB_F32;
        equivalence(dt, SGD, false, false);
        equivalence(dt, ADAM, false, false);
        equivalence(dt, SGD, true, false);
        /* one bucket per parameter: SGD in f32, Adam and no_sync in f64 (keeps the test short under ASan) */
        if (dt == NB_F32)
            equivalence(dt, SGD, false, true);
        else
            equivalence(dt, ADAM, false, true), equivalence(dt, SGD, true, true);
    }
    two_buckets();
    buffers(NB_F32);
    buffers(NB_F64);
    errors();
    checkpoint();
    nb_free(X);
    nb_free(Y);
    CHECK(nb_dist_destroy_process_group() == NB_OK);
    if (R != 0) {
        if (tl_fail) fprintf(stderr, "rank %d: %d failed\n", R, tl_fail);
        return tl_fail ? 1 : 0;
    }
    printf("world %d: largest deviation from the single-process run: f32 %.3g, f64 %.3g (relative to max(1, "
           "|p|))\n",
           W, worst[0], worst[1]);
    return nb_test_done();
}
