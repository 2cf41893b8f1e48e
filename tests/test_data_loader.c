/* test_data_loader.c — nb_tensor_dataset / nb_dataloader semantics (every sample exactly once per
 * epoch, same seed same order, a new order every epoch, drop_last, the last partial batch,
 * batches in the current scope), feature standardization against PyTorch golden values
 * (tests/data/standardize_golden.txt from gen_data.py) and the seeded train/test split. */
#include "testlib.h"
#include "nb_data.h"
#include <stdlib.h>
#include <string.h>

/* One epoch of dl: fills order[] with the sample ids seen (y values), returns the batch count. */
static int epoch(nb_dataloader *dl, int64_t *order, int64_t *nseen, int64_t *last_batch, int *rows_ok) {
    int nb = 0;
    *nseen = 0;
    for (;;) {
        nb_scope s = nb_scope_begin();
        nb_tensor *xb, *yb;
        if (!nb_dataloader_next(dl, &xb, &yb)) {
            nb_scope_end(s);
            break;
        }
        nb++;
        *last_batch = xb->shape[0];
        if (!(xb->scope == s && yb->scope == s && xb->ndim == 3 && xb->shape[1] == 2 && xb->shape[2] == 2 &&
              yb->ndim == 1 && yb->shape[0] == xb->shape[0]))
            *rows_ok = 0;
        for (int64_t i = 0; i < yb->shape[0]; i++) {
            int64_t id = nb_data_i64(yb)[i];
            const float *row = nb_data_f32(xb) + 4 * i;
            for (int k = 0; k < 4; k++)
                if (row[k] != (float)(4 * id + k)) *rows_ok = 0; /* x row matches y */
            order[(*nseen)++] = id;
        }
        nb_scope_end(s);
    }
    return nb;
}

static int is_permutation(const int64_t *o, int64_t n, int64_t N) {
    if (n != N) return 0;
    char *seen = calloc((size_t)N, 1);
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        if (o[i] < 0 || o[i] >= N || seen[o[i]])
            ok = 0;
        else
            seen[o[i]] = 1;
    }
    free(seen);
    return ok;
}

static void test_loader(void) {
    enum { N = 103 };
    nb_tensor *x = nb_arange(NB_F32, 0, 4 * N, 1), *xr = nb_keep(nb_reshape(x, NB_SHAPE(N, 2, 2)));
    nb_tensor *y = nb_arange(NB_I64, 0, N, 1);
    nb_tensor_dataset *ds = nb_tensor_dataset_new(xr, y);
    CHECK(ds && nb_tensor_dataset_len(ds) == N);
    int64_t o1[N], o2[N], o3[N], n, last;
    int rows_ok = 1;

    /* no shuffle: dataset order, ceil(103/10) = 11 batches, the last with 3 samples */
    nb_dataloader *dl = nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = 10 });
    CHECK(nb_dataloader_len(dl) == 11);
    CHECK(epoch(dl, o1, &n, &last, &rows_ok) == 11 && last == 3 && n == N);
    int inorder = 1;
    for (int64_t i = 0; i < N; i++)
        if (o1[i] != i) inorder = 0;
    CHECK(inorder);
    nb_dataloader_free(dl);

    /* shuffle: each epoch a permutation; a new order each epoch; the same seed replays the same orders */
    dl = nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = 10, .shuffle = true, .seed = 42 });
    CHECK(epoch(dl, o1, &n, &last, &rows_ok) == 11 && is_permutation(o1, n, N));
    CHECK(epoch(dl, o2, &n, &last, &rows_ok) == 11 && is_permutation(o2, n, N));
    CHECK(memcmp(o1, o2, sizeof o1) != 0);
    nb_dataloader *dl2 = nb_dataloader_new(
        ds, (nb_dataloader_opts){ .batch_size = 10, .shuffle = true, .seed = 42 });
    CHECK(epoch(dl2, o3, &n, &last, &rows_ok) == 11 && memcmp(o1, o3, sizeof o1) == 0);
    CHECK(epoch(dl2, o3, &n, &last, &rows_ok) == 11 && memcmp(o2, o3, sizeof o2) == 0);
    nb_dataloader_free(dl2);
    dl2 = nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = 10, .shuffle = true, .seed = 43 });
    CHECK(epoch(dl2, o3, &n, &last, &rows_ok) == 11 && is_permutation(o3, n, N) &&
          memcmp(o1, o3, sizeof o1) != 0);
    nb_dataloader_free(dl2);
    /* reset mid-epoch starts a new (reshuffled) epoch */
    nb_scope s = nb_scope_begin();
    nb_tensor *xb, *yb;
    CHECK(nb_dataloader_next(dl, &xb, &yb) && xb->shape[0] == 10);
    nb_dataloader_reset(dl);
    nb_scope_end(s);
    CHECK(epoch(dl, o3, &n, &last, &rows_ok) == 11 && is_permutation(o3, n, N));
    nb_dataloader_free(dl);

    /* drop_last: floor(103/10) = 10 full batches, 100 samples, all distinct */
    dl = nb_dataloader_new(
        ds, (nb_dataloader_opts){ .batch_size = 10, .shuffle = true, .drop_last = true, .seed = 1 });
    CHECK(nb_dataloader_len(dl) == 10);
    CHECK(epoch(dl, o1, &n, &last, &rows_ok) == 10 && last == 10 && n == 100);
    char seen[N] = { 0 };
    int distinct = 1;
    for (int64_t i = 0; i < n; i++) {
        if (seen[o1[i]]) distinct = 0;
        seen[o1[i]] = 1;
    }
    CHECK(distinct);
    nb_dataloader_free(dl);
    /* default batch size 1; a batch larger than the dataset */
    dl = nb_dataloader_new(ds, (nb_dataloader_opts){ 0 });
    CHECK(nb_dataloader_len(dl) == N);
    nb_dataloader_free(dl);
    dl = nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = 1000 });
    CHECK(nb_dataloader_len(dl) == 1 && epoch(dl, o1, &n, &last, &rows_ok) == 1 && last == N);
    nb_dataloader_free(dl);
    dl = nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = INT64_MAX });
    CHECK(nb_dataloader_len(dl) == 1 && epoch(dl, o1, &n, &last, &rows_ok) == 1 && last == N);
    nb_dataloader_free(dl);
    dl = nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = 1000, .drop_last = true });
    CHECK(nb_dataloader_len(dl) == 0 && epoch(dl, o1, &n, &last, &rows_ok) == 0);
    nb_dataloader_free(dl);
    CHECK(rows_ok);

    /* a non-contiguous x (a transposed view) gathers the same rows */
    nb_tensor *xt = nb_keep(nb_transpose(xr, 1, 2));
    nb_tensor_dataset *dst = nb_tensor_dataset_new(xt, NULL);
    dl = nb_dataloader_new(dst, (nb_dataloader_opts){ .batch_size = 2 });
    s = nb_scope_begin();
    CHECK(nb_dataloader_next(dl, &xb, &yb) && yb == NULL);
    CHECK_TENSOR(xb, ((double[]){ 0, 2, 1, 3, 4, 6, 5, 7 }), 8, 0);
    nb_scope_end(s);
    nb_dataloader_free(dl);
    nb_tensor_dataset_free(dst);
    nb_free(xt);

    /* errors */
    nb_tensor *y5 = nb_arange(NB_I64, 0, 5, 1);
    CHECK_ERR(nb_tensor_dataset_new(xr, y5));
    CHECK_ERR(nb_tensor_dataset_new(NULL, y5));
    CHECK_ERR(nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = -1 }));
    CHECK_ERR(nb_dataloader_new(NULL, (nb_dataloader_opts){ 0 }));
    nb_free(y5);
    nb_tensor_dataset_free(ds);
    nb_free(x);
    nb_free(xr);
    nb_free(y);
}

/* "name v v v ..." lines of the golden file */
static int golden(const char *name, double *out, int max) {
    char path[1200];
    const char *d = getenv("NB_TEST_DATA");
    snprintf(path, sizeof path, "%s/data/standardize_golden.txt", d ? d : "tests");
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line, *e;
        size_t k = strcspn(p, " ");
        if (strncmp(p, name, k) != 0 || strlen(name) != k) continue;
        p += k;
        for (double v; n < max && (v = strtod(p, &e), e != p); p = e) out[n++] = v;
    }
    fclose(f);
    return n;
}

static void test_standardize(void) {
    double x[21], t[12], mean[3], std0[3], std1[3], tz[12];
    CHECK(golden("x", x, 21) == 21 && golden("t", t, 12) == 12 && golden("mean", mean, 3) == 3 &&
          golden("std0", std0, 3) == 3 && golden("std1", std1, 3) == 3 && golden("tz", tz, 12) == 12);
    nb_tensor *X = nb_tensor_from(NB_F64, x, NB_SHAPE(7, 3), false),
              *T = nb_tensor_from(NB_F64, t, NB_SHAPE(4, 3), false);
    nb_standard_scaler sc = { 0 };
    CHECK(nb_standard_scaler_fit(&sc, X, (nb_standardize_opts){ 0 }) == NB_OK);
    CHECK_TENSOR(sc.mean, mean, 3, 1e-13);
    CHECK_TENSOR(sc.std, std0, 3, 1e-13);
    nb_scope s = nb_scope_begin();
    nb_tensor *Tz = nb_standard_scaler_transform(&sc, T);
    CHECK_TENSOR(Tz, tz, 12, 1e-12);
    /* the training set itself: every column mean 0, population variance 1 */
    nb_tensor *Xz = nb_standard_scaler_transform(&sc, X);
    CHECK_TENSOR(nb_mean_dim(Xz, NB_DIMS(0), false), ((double[]){ 0, 0, 0 }), 3, 1e-12);
    CHECK_TENSOR(nb_var_dim(Xz, NB_DIMS(0), 0, false), ((double[]){ 1, 1, 1 }), 3, 1e-12);
    nb_scope_end(s);
    CHECK(nb_standard_scaler_fit(&sc, X, (nb_standardize_opts){ .correction = 1 }) ==
          NB_OK); /* refit frees */
    CHECK_TENSOR(sc.std, std1, 3, 1e-13);
    /* f32 input, a constant column (std 0 -> left unscaled) */
    nb_tensor *C = nb_tensor_from(NB_F32, (float[]){ 1, 5, 2, 5, 3, 5 }, NB_SHAPE(3, 2), false);
    nb_standard_scaler sc2 = { 0 };
    CHECK(nb_standard_scaler_fit(&sc2, C, (nb_standardize_opts){ 0 }) == NB_OK);
    s = nb_scope_begin();
    nb_tensor *Cz = nb_standard_scaler_transform(&sc2, C);
    CHECK(Cz && Cz->dtype == NB_F32);
    double sq = 1.224744871391589; /* (1 - 2) / sqrt(2/3) */
    CHECK_TENSOR(Cz, ((double[]){ -sq, 0, 0, 0, sq, 0 }), 6, 1e-6);
    CHECK_ERR(nb_standard_scaler_transform(&sc2, T)); /* 3 features vs 2 */
    nb_scope_end(s);
    nb_standard_scaler none = { 0 };
    CHECK_ERR(nb_standard_scaler_transform(&none, T));
    nb_tensor *I = nb_arange(NB_I64, 0, 4, 1);
    CHECK(nb_standard_scaler_fit(&none, I, (nb_standardize_opts){ 0 }) == NB_ERROR);
    nb_clear_error();
    nb_tensor *one = nb_ones(NB_F32, NB_SHAPE(1, 2));
    CHECK(nb_standard_scaler_fit(&none, one, (nb_standardize_opts){ .correction = 1 }) == NB_ERROR);
    nb_clear_error();
    nb_free(one);
    nb_free(I);
    nb_standard_scaler_free(&sc2);
    nb_standard_scaler_free(&sc);
    nb_free(C);
    nb_free(X);
    nb_free(T);
}

static void test_split(void) {
    nb_tensor *x = nb_arange(NB_F32, 0, 20, 1), *xr = nb_keep(nb_reshape(x, NB_SHAPE(10, 2)));
    nb_tensor *y = nb_arange(NB_I64, 0, 10, 1);
    nb_scope s = nb_scope_begin();
    nb_tensor *xtr, *xte, *ytr, *yte, *xtr2, *xte2, *ytr2, *yte2;
    CHECK(nb_train_test_split(xr, y, (nb_split_opts){ .seed = 7 }, &xtr, &xte, &ytr, &yte) == NB_OK);
    CHECK(xtr->shape[0] == 7 && xte->shape[0] == 3 && ytr->shape[0] == 7 &&
          yte->shape[0] == 3); /* ceil(0.25 * 10) = 3 */
    int seen[10] = { 0 }, rows_ok = 1;
    for (int i = 0; i < 7; i++) {
        int64_t id = nb_data_i64(ytr)[i];
        seen[id]++;
        if (nb_data_f32(xtr)[2 * i] != 2 * id) rows_ok = 0;
    }
    for (int i = 0; i < 3; i++) {
        int64_t id = nb_data_i64(yte)[i];
        seen[id]++;
        if (nb_data_f32(xte)[2 * i + 1] != 2 * id + 1) rows_ok = 0;
    }
    int once = 1, sorted = 1;
    for (int i = 0; i < 10; i++)
        if (seen[i] != 1) once = 0;
    for (int i = 1; i < 7; i++)
        if (nb_data_i64(ytr)[i] < nb_data_i64(ytr)[i - 1]) sorted = 0;
    CHECK(once && rows_ok && !sorted);
    CHECK(nb_train_test_split(xr, y, (nb_split_opts){ .seed = 7 }, &xtr2, &xte2, &ytr2, &yte2) == NB_OK);
    CHECK(memcmp(nb_data_i64(ytr), nb_data_i64(ytr2), 7 * 8) == 0);
    CHECK(nb_train_test_split(xr, NULL, (nb_split_opts){ .test_size = 0.5, .no_shuffle = true }, &xtr2, &xte2,
                              NULL, NULL) == NB_OK);
    CHECK_TENSOR(xte2, ((double[]){ 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 }), 10, 0);
    CHECK(nb_train_test_split(xr, y, (nb_split_opts){ .test_size = 1.5 }, &xtr2, &xte2, &ytr2, &yte2) ==
              NB_ERROR &&
          xtr2 == NULL);
    nb_clear_error();
    CHECK(nb_train_test_split(xr, y, (nb_split_opts){ .test_size = 0.01 }, &xtr2, &xte2, &ytr2, &yte2) ==
              NB_OK &&
          xte2->shape[0] == 1);
    nb_scope_end(s);
    nb_free(x);
    nb_free(xr);
    nb_free(y);
}

int main(void) {
    test_loader();
    test_standardize();
    test_split();
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
