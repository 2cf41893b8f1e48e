/* data_split.c — nb_train_test_split, sklearn's train_test_split for tensors: a seeded permutation
 * of the samples (the loaders' generator, so the split depends only on the seed), the first
 * N - ceil(test_size N) going to the training set and the rest to the test set. */
#include "data_internal.h"
#include <math.h>
#include <stdlib.h>

nb_status nb_train_test_split(const nb_tensor *x, const nb_tensor *y, nb_split_opts opts, nb_tensor **x_train,
                              nb_tensor **x_test, nb_tensor **y_train, nb_tensor **y_test) {
    const char *op = "nb_train_test_split";
    if (x_train) *x_train = NULL;
    if (x_test) *x_test = NULL;
    if (y_train) *y_train = NULL;
    if (y_test) *y_test = NULL;
    if (!x_train || !x_test || (y && (!y_train || !y_test))) {
        nbt_error("%s: output pointers are NULL (pass &x_train, &x_test and, with y, &y_train, &y_test)", op);
        return NB_ERROR;
    }
    if (!x) {
        nbt_error("%s: x is NULL", op);
        return NB_ERROR;
    }
    if (!nbt_ok(x, op) || (y && !nbt_ok(y, op))) return NB_ERROR;
    if (x->ndim < 1 || (y && (y->ndim < 1 || y->shape[0] != x->shape[0]))) {
        nbt_error("%s: x %s and y %s must have the same number of samples along dim 0", op, nbt_shape(x),
                  y ? nbt_shape(y) : "NULL");
        return NB_ERROR;
    }
    double ts = opts.test_size == 0 ? 0.25 : opts.test_size;
    int64_t n = x->shape[0];
    if (!(ts > 0 && ts < 1)) {
        nbt_error("%s: test_size must be in (0, 1), got %g", op, ts);
        return NB_ERROR;
    }
    int64_t n_test = (int64_t)ceil(ts * (double)n), n_train = n - n_test;
    if (n_test < 1 || n_train < 1) {
        nbt_error("%s: %lld samples with test_size %g leave an empty train or test set", op, (long long)n,
                  ts);
        return NB_ERROR;
    }
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    if (!idx) {
        nbt_error("%s: out of memory", op);
        return NB_ERROR;
    }
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    if (!opts.no_shuffle) {
        nbn_rng rng = { opts.seed };
        nbn_shuffle(idx, n, &rng);
    }
    nb_tensor *out[4] = {
        nbn_gather_rows(x, idx, n_train, op),
        nbn_gather_rows(x, idx + n_train, n_test, op),
        y ? nbn_gather_rows(y, idx, n_train, op) : NULL,
        y ? nbn_gather_rows(y, idx + n_train, n_test, op) : NULL,
    };
    free(idx);
    if (!out[0] || !out[1] || (y && (!out[2] || !out[3]))) {
        for (int i = 0; i < 4; i++) nb_free(out[i]);
        return NB_ERROR;
    }
    *x_train = out[0];
    *x_test = out[1];
    if (y) {
        *y_train = out[2];
        *y_test = out[3];
    }
    return NB_OK;
}
