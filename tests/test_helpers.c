/* test_helpers.c — what the golden file (tests/golden/helpers.txt via test_golden_ops) does not reach for
 * the issue 12 helpers: new_zeros/new_ones/new_full, the piece functions' counts and capacity errors, views
 * sharing x's storage, torch's grad_fn names, NULL pass-through, the sort kernels on rows large enough for
 * threads (the same bits at any thread count) and the tie orders of stable and torch's unstable sort. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static bool err_has(const char *msg) {
    bool ok = nb_error() && strstr(nb_error(), msg);
    if (!ok) fprintf(stderr, "expected an error with '%s', got %s\n", msg, nb_error() ? nb_error() : "none");
    nb_clear_error();
    return ok;
}

static const char *grad_fn(nb_tensor *t) { /* the grad_fn name as nb_fprint shows it */
    static char buf[256];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    nb_fprint(f, t);
    fclose(f);
    char *p = strstr(buf, "grad_fn=<");
    return p ? p + 9 : "";
}

int main(void) {
    nb_scope s = nb_scope_begin();
    /* new_zeros / new_ones / new_full keep the dtype */
    nb_tensor *d = nb_zeros(NB_F64, NB_SHAPE(2));
    nb_tensor *z = nb_new_zeros(d, NB_SHAPE(3, 1)),
              *o = nb_new_ones(nb_zeros(NB_I64, NB_SHAPE(1)), NB_SHAPE(2));
    nb_tensor *f = nb_new_full(d, NB_SHAPE(2), 2.5);
    CHECK(z && z->dtype == NB_F64 && z->ndim == 2 && z->shape[0] == 3 && nb_item(nb_sum(z)) == 0);
    CHECK(o && o->dtype == NB_I64 && nb_data_i64(o)[1] == 1);
    CHECK(f && nb_data_f64(f)[0] == 2.5 && nb_data_f64(f)[1] == 2.5);
    CHECK(nb_new_zeros(NULL, NB_SHAPE(2)) == NULL && nb_error() == NULL);
    CHECK(nb_new_ones(d, NB_SHAPE(-1)) == NULL && err_has("nb_new_ones"));

    /* pieces: counts, views of x, torch's grad_fn names, capacity errors */
    nb_tensor *x = nb_requires_grad_(nb_arange(NB_F32, 0, 10, 1), true), *pc[8];
    CHECK(nb_split(x, 4, 0, pc, 8) == 3 && pc[2]->shape[0] == 2);
    CHECK(!strncmp(grad_fn(pc[0]), "SplitBackward0", 14));
    CHECK(nb_chunk(x, 4, 0, pc) == 4 && pc[3]->shape[0] == 1); /* 10 in chunks of 3: 3, 3, 3, 1 */
    CHECK(nb_chunk(x, 6, 0, pc) == 5);                         /* chunks of 2: torch gives 5, not 6 */
    CHECK(nb_split(x, 1, 0, pc, 8) == -1 && err_has("do not fit in out[8]"));
    CHECK(nb_chunk(x, 0, 0, pc) == -1 && err_has("chunk expects `chunks` to be greater than 0"));
    CHECK(nb_split(nb_scalar(NB_F32, 1), 1, 0, pc, 8) == -1 && err_has("0-dim"));
    CHECK(nb_split(x, 2, 1, pc, 8) == -1 && err_has("nb_split"));
    CHECK(nb_split(NULL, 2, 0, pc, 8) == -1 && nb_error() == NULL);
    nb_tensor *m = nb_reshape(nb_arange(NB_F64, 0, 6, 1), NB_SHAPE(2, 3));
    CHECK(nb_unbind(m, 1, pc, 8) == 3 && pc[1]->ndim == 1 && nb_data_f64(pc[1])[0] == 1 &&
          nb_get(pc[1], (int64_t[]){ 1 }) == 4);
    CHECK(nb_unbind(m, 1, pc, 2) == -1 && err_has("nb_unbind"));
    CHECK(nb_split_with_sizes(m, 2, (const int64_t[]){ 1, 1 }, 1, pc) == -1 && err_has("sum exactly to 3"));
    nb_set(pc[0], (int64_t[]){ 0 }, 42); /* a piece is a view: writing into it writes into m (no grad here) */
    CHECK(nb_get(m, (int64_t[]){ 0, 0 }) == 42);
    nb_tensor *e = nb_zeros(NB_F32, NB_SHAPE(0, 3));
    CHECK(nb_unbind(e, 0, NULL, 0) == 0 && nb_error() == NULL);

    /* grad_fn names of the other helpers */
    nb_tensor *y = nb_requires_grad_(nb_rand(NB_F32, NB_SHAPE(3, 3)), true);
    CHECK(!strncmp(grad_fn(nb_tril(y, 0)), "TrilBackward0", 13));
    CHECK(!strncmp(grad_fn(nb_roll(y, 1, (const int64_t[]){ 1 }, (const int[]){ 0 })), "RollBackward0", 13));
    CHECK(!strncmp(grad_fn(nb_repeat(y, NB_SHAPE(2, 1))), "RepeatBackward0", 15));
    CHECK(!strncmp(grad_fn(nb_reciprocal(y)), "ReciprocalBackward0", 19));
    CHECK(!strncmp(grad_fn(nb_sort(y, 1, (nb_sort_opts){ 0 }, NULL)), "SortBackward0", 13));
    CHECK(nb_argsort(y, 1, (nb_sort_opts){ 0 })->requires_grad == false);

    /* rows long enough for OpenMP: argsort is the same at 1 and 2 threads; stable keeps tie order */
    nb_manual_seed(5);
    nb_tensor *big = nb_to(nb_randint(0, 50, NB_SHAPE(40, 4000)), NB_F32);
    nb_set_num_threads(1);
    nb_tensor *a1 = nb_argsort(big, 1, (nb_sort_opts){ 0 }),
              *t1 = nb_topk(big, 30, 1, (nb_topk_opts){ 0 }, NULL);
    nb_set_num_threads(2);
    nb_tensor *a2 = nb_argsort(big, 1, (nb_sort_opts){ 0 }),
              *t2 = nb_topk(big, 30, 1, (nb_topk_opts){ 0 }, NULL);
    nb_set_num_threads(0);
    CHECK(a1 && a2 && !memcmp(nb_data(a1), nb_data(a2), 8 * (size_t)nb_numel(a1)));
    CHECK(t1 && t2 && !memcmp(nb_data(t1), nb_data(t2), 4 * (size_t)nb_numel(t1)));
    nb_tensor *st = nb_argsort(big, 1, (nb_sort_opts){ .stable = true });
    const int64_t *si = nb_data_i64(st);
    const float *bv = nb_data_f32(big);
    bool stable = true, unstable_differs = false;
    for (int64_t r = 0; r < 40; r++)
        for (int64_t j = 1; j < 4000; j++) {
            int64_t p = si[r * 4000 + j - 1], q = si[r * 4000 + j];
            if (bv[r * 4000 + p] == bv[r * 4000 + q] && p > q) stable = false;
            if (si[r * 4000 + j] != nb_data_i64(a1)[r * 4000 + j]) unstable_differs = true;
        }
    CHECK(stable && unstable_differs); /* torch's unstable order is not the stable one (as in torch) */
    CHECK(nb_topk(big, 4001, 1, (nb_topk_opts){ 0 }, NULL) == NULL &&
          err_has("nb_topk: selected index k (4001) out of range"));
    CHECK(nb_flip(m, NB_DIMS(0, -2)) == NULL && err_has("multiple times"));
    CHECK(nb_cumsum(m, 2) == NULL && err_has("nb_cumsum"));
    CHECK(nb_error() == NULL);
    nb_scope_end(s);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
