/* test_dist_collectives.c — torch.distributed's collectives on nabla tensors, run under mpirun at
 * np = 1, 2 and 3 (or alone as a world of one): sums of ranks, broadcast from the last rank, every
 * reduce op and dtype, all_gather_into_tensor / reduce_scatter_tensor (np = 3: blocks of odd sizes),
 * and the error cases, each of which must fail on every rank (a hang fails the test by its timeout).
 * Expected values are exact math (small integers and halves, exact in f32). */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* expr (an nb_status) must be NB_ERROR with an error recorded (then cleared) */
#define CHECK_FAIL(expr) CHECK_ERR((expr) == NB_ERROR ? NULL : (void *)1)

static int R, W;
static const nb_dtype dts[3] = { NB_F32, NB_F64, NB_I64 };

/* value of rank r at element i (exact in every dtype) */
static double val(int r, int64_t i, nb_dtype dt) {
    return dt == NB_I64 ? r + 1 + i : r + 1 + 0.5 * (double)i;
}

static nb_tensor *filled(nb_dtype dt, int64_t n, int r) {
    nb_tensor *t = nb_empty(dt, NB_SHAPE(n));
    for (int64_t i = 0; i < n; i++) nb_set(t, (int64_t[]){ i }, val(r, i, dt));
    return t;
}

static double at(const nb_tensor *t, int64_t i) {
    double *v = malloc(sizeof *v * (size_t)t->numel), x;
    nb_to_doubles(t, v);
    x = v[i];
    free(v);
    return x;
}

static void test_ranks(void) {
    CHECK(nb_dist_is_initialized());
    CHECK(R >= 0 && R < W);
    for (int k = 0; k < 3; k++) { /* sum of ranks = W (W - 1) / 2 */
        nb_tensor *t = nb_full(dts[k], NB_SHAPE(1), R);
        CHECK(nb_dist_all_reduce(t, NB_REDUCE_SUM) == NB_OK);
        CHECK(at(t, 0) == W * (W - 1) / 2.0);
        nb_free(t);
    }
    CHECK(nb_dist_barrier() == NB_OK);
}

static void test_broadcast(void) {
    for (int k = 0; k < 3; k++) {
        nb_tensor *t = filled(dts[k], 5, R);
        CHECK(nb_dist_broadcast(t, W - 1) == NB_OK); /* from the last rank */
        int ok = 1;
        for (int64_t i = 0; i < 5; i++) ok &= at(t, i) == val(W - 1, i, dts[k]);
        CHECK(ok);
        nb_free(t);
    }
    /* a collective writes in place: backward through a product that saved the tensor must refuse */
    nb_tensor *a = nb_ones(NB_F32, NB_SHAPE(3)), *b = nb_ones(NB_F32, NB_SHAPE(3));
    nb_requires_grad_(a, true);
    nb_scope sc = nb_scope_begin();
    nb_tensor *y = nb_sum(nb_mul(a, b));
    CHECK(nb_dist_broadcast(b, 0) == NB_OK);
    CHECK(nb_backward(y) == NB_ERROR && strstr(nb_error(), "inplace"));
    nb_clear_error();
    nb_scope_end(sc);
    nb_zero_grad(a);
    nb_free(a);
    nb_free(b);
    nb_tensor *s = nb_scalar(NB_F64, R == 0 ? 42 : -1); /* 0-d tensors too */
    CHECK(nb_dist_broadcast(s, 0) == NB_OK);
    CHECK(nb_item(s) == 42);
    nb_free(s);
}

static void test_all_reduce(void) {
    for (int k = 0; k < 3; k++) {
        for (int op = NB_REDUCE_SUM; op <= NB_REDUCE_MAX; op++) {
            if (op == NB_REDUCE_AVG && dts[k] == NB_I64) continue;
            int64_t n = 7;
            nb_tensor *t = filled(dts[k], n, R);
            CHECK(nb_dist_all_reduce(t, (nb_reduce_op)op) == NB_OK);
            int ok = 1;
            for (int64_t i = 0; i < n; i++) {
                double want = op == NB_REDUCE_PRODUCT ? 1 : 0;
                for (int r = 0; r < W; r++) {
                    double v = val(r, i, dts[k]);
                    if (op == NB_REDUCE_SUM || op == NB_REDUCE_AVG)
                        want += v;
                    else if (op == NB_REDUCE_PRODUCT)
                        want *= v;
                    else if (op == NB_REDUCE_MIN)
                        want = r == 0 || v < want ? v : want;
                    else
                        want = r == 0 || v > want ? v : want;
                }
                if (op == NB_REDUCE_AVG) want /= W;
                double got = at(t, i);
                ok &= dts[k] == NB_F32 ? got == (double)(float)want : got == want;
            }
            if (!ok) fprintf(stderr, "rank %d: all_reduce op %d dtype %d wrong\n", R, op, k);
            CHECK(ok);
            nb_free(t);
        }
    }
    /* a (2, 3) tensor reduces as its 6 elements */
    nb_tensor *m = nb_full(NB_F32, NB_SHAPE(2, 3), 1.5);
    CHECK(nb_dist_all_reduce(m, NB_REDUCE_AVG) == NB_OK);
    CHECK(at(m, 5) == 1.5);
    nb_free(m);
}

static void test_gather_scatter(void) {
    for (int k = 0; k < 3; k++) {
        int64_t n = 3; /* odd block: with np = 3 the big tensor is 9 long */
        nb_tensor *in = filled(dts[k], n, R), *out = nb_zeros(dts[k], NB_SHAPE(W, n));
        CHECK(nb_dist_all_gather_into_tensor(out, in) == NB_OK);
        int ok = 1;
        for (int r = 0; r < W; r++)
            for (int64_t i = 0; i < n; i++) ok &= at(out, r * n + i) == val(r, i, dts[k]);
        CHECK(ok);
        nb_free(out);
        out = nb_zeros(dts[k], NB_SHAPE(W * n)); /* the concatenated (W*n) form */
        CHECK(nb_dist_all_gather_into_tensor(out, in) == NB_OK);
        CHECK(at(out, W * n - 1) == val(W - 1, n - 1, dts[k]));
        nb_free(out);
        nb_free(in);

        nb_tensor *big = filled(dts[k], W * n, R), *mine = nb_zeros(dts[k], NB_SHAPE(n));
        CHECK(nb_dist_reduce_scatter_tensor(mine, big, NB_REDUCE_SUM) == NB_OK);
        ok = 1;
        for (int64_t i = 0; i < n; i++) {
            double want = 0;
            for (int r = 0; r < W; r++) want += val(r, R * n + i, dts[k]);
            ok &= at(mine, i) == want;
        }
        CHECK(ok);
        CHECK(nb_dist_reduce_scatter_tensor(mine, big, NB_REDUCE_MAX) == NB_OK);
        CHECK(at(mine, 0) == val(W - 1, R * n, dts[k]));
        nb_free(big);
        nb_free(mine);
    }
}

/* every error must be reported on every rank, even when only one rank's arguments are bad */
static void test_errors(void) {
    nb_tensor *a = nb_zeros(NB_F32, NB_SHAPE(2, 3)), *at_ = nb_t(a); /* a transpose: not contiguous */
    CHECK_FAIL(nb_dist_all_reduce(at_, NB_REDUCE_SUM));
    CHECK_FAIL(nb_dist_all_reduce(R == 0 ? at_ : a, NB_REDUCE_SUM)); /* bad on rank 0 only */
    CHECK_FAIL(nb_dist_broadcast(R == W - 1 ? at_ : a, 0));
    CHECK_FAIL(nb_dist_broadcast(a, W)); /* src out of range */
    CHECK_FAIL(nb_dist_broadcast(NULL, 0));
    nb_tensor *i64 = nb_zeros(NB_I64, NB_SHAPE(4));
    CHECK_FAIL(nb_dist_all_reduce(i64, NB_REDUCE_AVG)); /* AVG needs floats */
    CHECK_FAIL(nb_dist_all_reduce(a, (nb_reduce_op)17));
    if (W > 1) {
        nb_tensor *v = nb_zeros(NB_F32, NB_SHAPE(3 + R)); /* sizes differ across ranks */
        CHECK_FAIL(nb_dist_all_reduce(v, NB_REDUCE_SUM));
        const char *want = "ranks disagree";
        nb_dist_all_reduce(v, NB_REDUCE_SUM);
        CHECK(nb_error() && strstr(nb_error(), want));
        nb_clear_error();
        nb_free(v);
        nb_tensor *d = nb_zeros(R == 0 ? NB_F64 : NB_F32, NB_SHAPE(2)); /* dtypes differ */
        CHECK_FAIL(nb_dist_broadcast(d, 0));
        nb_free(d);
        /* different calls on different ranks: an error, not a deadlock */
        nb_tensor *c = nb_zeros(NB_F32, NB_SHAPE(2));
        CHECK_FAIL(R == 0 ? nb_dist_broadcast(c, 0) : nb_dist_all_reduce(c, NB_REDUCE_SUM));
        nb_free(c);
    }
    nb_tensor *small = nb_zeros(NB_F32, NB_SHAPE(2)), *wrong = nb_zeros(NB_F32, NB_SHAPE(W * 2 + 1));
    CHECK_FAIL(nb_dist_all_gather_into_tensor(wrong, small));
    CHECK_FAIL(nb_dist_reduce_scatter_tensor(small, wrong, NB_REDUCE_SUM));
    nb_tensor *f64 = nb_zeros(NB_F64, NB_SHAPE(W * 2));
    CHECK_FAIL(nb_dist_all_gather_into_tensor(f64, small));
    CHECK_FAIL(nb_dist_all_gather_into_tensor(small, small));
    /* after all that, the group still works */
    nb_tensor *one = nb_ones(NB_F32, NB_SHAPE(1));
    CHECK(nb_dist_all_reduce(one, NB_REDUCE_SUM) == NB_OK && nb_item(one) == W);
    CHECK(nb_error() == NULL);
    nb_free(one);
    nb_free(f64);
    nb_free(small);
    nb_free(wrong);
    nb_free(i64);
    nb_free(at_);
    nb_free(a);
}

int main(void) {
    nb_tensor *t = nb_zeros(NB_F32, NB_SHAPE(1));
    CHECK(!nb_dist_is_initialized());
    CHECK(nb_dist_get_rank() == 0 && nb_dist_get_world_size() == 1);
    CHECK_FAIL(nb_dist_all_reduce(t, NB_REDUCE_SUM)); /* before init: torch's error */
    CHECK_FAIL(nb_dist_barrier());
    CHECK_FAIL(nb_dist_init_process_group((nb_dist_init_opts){ .backend = "nccl" }));
    CHECK(nb_dist_init_process_group((nb_dist_init_opts){ 0 }) == NB_OK);
    CHECK_FAIL(nb_dist_init_process_group((nb_dist_init_opts){ 0 })); /* twice */
    R = nb_dist_get_rank();
    W = nb_dist_get_world_size();
    test_ranks();
    test_broadcast();
    test_all_reduce();
    test_gather_scatter();
    test_errors();
    nb_free(t);
    CHECK(nb_dist_destroy_process_group() == NB_OK);
    CHECK(!nb_dist_is_initialized());
    CHECK_FAIL(nb_dist_destroy_process_group());
    if (nb_dist_is_mpi_available())
        CHECK_FAIL(nb_dist_init_process_group((nb_dist_init_opts){ 0 })); /* MPI is finalized */
    if (R != 0) { /* one summary line per job: the other ranks report failures only */
        if (tl_fail) fprintf(stderr, "rank %d: %d failed\n", R, tl_fail);
        return tl_fail ? 1 : 0;
    }
    return nb_test_done();
}
