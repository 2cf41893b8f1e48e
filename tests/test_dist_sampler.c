/* test_dist_sampler.c — nb_distributed_sampler against torch 1.13's DistributedSampler: index lists
 * with and without shuffling (padding by the head, drop_last, rank stride, randperm seeded with
 * seed + epoch; golden file from tools/gen_golden_dist.py), the properties torch guarantees (every
 * rank computes the same permutation, ranks are disjoint and cover the data, a new epoch gives a new
 * order), then the data loader's sampler option. Runs without MPI (explicit num_replicas/rank). */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static nb_distributed_sampler *make(int64_t n, int reps, int rank, bool shuffle, bool drop, uint64_t seed) {
    return nb_distributed_sampler_new(
        n, (nb_distributed_sampler_opts){
               .num_replicas = reps, .rank = rank, .no_shuffle = !shuffle, .drop_last = drop, .seed = seed });
}

static void golden(void) {
    char path[512];
    const char *dir = getenv("NB_TEST_DATA");
    snprintf(path, sizeof path, "%s/golden/dist_sampler.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[4096];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        long long n, len, seed, epoch;
        int reps, rank, drop, shuffle, off = 0;
        if (sscanf(line, "%lld %d %d %d %d %lld %lld | %lld |%n", &n, &reps, &rank, &drop, &shuffle, &seed,
                   &epoch, &len, &off) != 8)
            continue;
        nb_distributed_sampler *s = make(n, reps, rank, shuffle, drop, (uint64_t)seed);
        nb_distributed_sampler_set_epoch(s, epoch);
        int64_t got_n = -1;
        const int64_t *idx = nb_distributed_sampler_indices(s, &got_n);
        int ok = s && idx && got_n == len && nb_distributed_sampler_len(s) == len;
        char *p = line + off;
        for (int64_t i = 0; ok && i < len; i++) ok = strtoll(p, &p, 10) == idx[i];
        if (!ok) fprintf(stderr, "sampler case: %s", line);
        CHECK(ok);
        nb_distributed_sampler_free(s);
        cases++;
    }
    fclose(f);
    CHECK(cases == 58);
}

/* with shuffling: the R ranks' lists at one epoch interleave one permutation of the padded data */
static void shuffled(int64_t n, int reps, bool drop) {
    int64_t per = 0;
    int64_t *all = NULL, total = 0;
    for (int r = 0; r < reps; r++) {
        nb_distributed_sampler *s = make(n, reps, r, true, drop, 7);
        nb_distributed_sampler_set_epoch(s, 3);
        const int64_t *idx = nb_distributed_sampler_indices(s, &per);
        if (!all) all = calloc((size_t)(per * reps + 1), sizeof *all);
        for (int64_t k = 0; k < per; k++) all[r + k * reps] = idx[k]; /* undo the stride */
        total += per;
        nb_distributed_sampler_free(s);
    }
    /* the first min(N, total) positions are a permutation's head: distinct; padding repeats the head */
    int64_t head = total < n ? total : n;
    int *seen = calloc((size_t)(n + 1), sizeof *seen);
    int ok = 1;
    for (int64_t i = 0; i < head; i++) ok &= all[i] >= 0 && all[i] < n && !seen[all[i]]++;
    for (int64_t i = head; i < total; i++) ok &= all[i] == all[i % n];
    if (!drop)
        for (int64_t i = 0; i < n; i++) ok &= seen[i] == 1; /* covered */
    if (!ok) fprintf(stderr, "shuffled n=%lld reps=%d drop=%d\n", (long long)n, reps, drop);
    CHECK(ok);
    free(seen);
    free(all);
}

static void epochs(void) {
    nb_distributed_sampler *a = make(50, 2, 0, true, false, 1), *b = make(50, 2, 0, true, false, 1);
    int64_t n;
    int64_t first[25];
    nb_distributed_sampler_set_epoch(a, 0);
    memcpy(first, nb_distributed_sampler_indices(a, &n), sizeof first);
    nb_distributed_sampler_set_epoch(b, 0); /* another "rank" with the same seed: the same list */
    CHECK(memcmp(first, nb_distributed_sampler_indices(b, &n), sizeof first) == 0);
    nb_distributed_sampler_set_epoch(a, 1);
    CHECK(memcmp(first, nb_distributed_sampler_indices(a, &n), sizeof first) !=
          0); /* a new epoch, a new order */
    nb_distributed_sampler_set_epoch(a, 0);
    CHECK(memcmp(first, nb_distributed_sampler_indices(a, &n), sizeof first) ==
          0); /* a function of the epoch */
    nb_distributed_sampler *c = make(50, 2, 0, true, false, 2);
    CHECK(memcmp(first, nb_distributed_sampler_indices(c, &n), sizeof first) != 0); /* of the seed */
    nb_distributed_sampler_free(a);
    nb_distributed_sampler_free(b);
    nb_distributed_sampler_free(c);
}

static void loader(void) {
    /* rank 1 of 3 over 10 samples without shuffle: samples 1 4 7 0 in batches of 3 (torch: [1, 4, 7], [0]) */
    nb_tensor *x = nb_arange(NB_F32, 0, 10, 1), *y = nb_arange(NB_I64, 100, 110, 1);
    nb_tensor_dataset *ds = nb_tensor_dataset_new(x, y);
    nb_distributed_sampler *s = make(10, 3, 1, false, false, 0);
    nb_dataloader *dl = nb_dataloader_new(ds,
                                          (nb_dataloader_opts){ .batch_size = 3, NB_DISTRIBUTED_SAMPLER(s) });
    CHECK(nb_dataloader_len(dl) == 2);
    nb_scope sc = nb_scope_begin();
    nb_tensor *xb, *yb;
    CHECK(nb_dataloader_next(dl, &xb, &yb));
    CHECK_TENSOR(xb, ((double[]){ 1, 4, 7 }), 3, 0);
    CHECK_TENSOR(yb, ((double[]){ 101, 104, 107 }), 3, 0);
    CHECK(nb_dataloader_next(dl, &xb, &yb));
    CHECK_TENSOR(xb, ((double[]){ 0 }), 1, 0);
    CHECK(!nb_dataloader_next(dl, &xb, &yb) && !nb_error());
    nb_scope_end(sc);
    nb_dataloader_free(dl);
    /* sampler and shuffle together: torch's ValueError */
    CHECK_ERR(nb_dataloader_new(ds, (nb_dataloader_opts){ .shuffle = true, NB_DISTRIBUTED_SAMPLER(s) }));
    nb_distributed_sampler_free(s);
    /* a sampler over more samples than the dataset has: an index out of range is an error */
    nb_distributed_sampler *big = make(20, 1, 0, false, false, 0);
    dl = nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = 4, NB_DISTRIBUTED_SAMPLER(big) });
    sc = nb_scope_begin();
    CHECK_ERR(nb_dataloader_next(dl, &xb, &yb) ? (void *)1 : NULL);
    nb_scope_end(sc);
    nb_dataloader_free(dl);
    nb_distributed_sampler_free(big);
    nb_tensor_dataset_free(ds);
    nb_free(x);
    nb_free(y);
}

int main(void) {
    golden();
    shuffled(10, 3, false);
    shuffled(10, 3, true);
    shuffled(12, 4, false);
    shuffled(2, 5, false);
    shuffled(1000, 7, false);
    epochs();
    loader();
    /* errors: torch's ValueError for a bad rank; a negative size */
    CHECK_ERR(make(10, 3, 3, true, false, 0));
    CHECK_ERR(make(10, 3, -1, true, false, 0));
    CHECK_ERR(make(-1, 2, 0, true, false, 0));
    CHECK_ERR(nb_distributed_sampler_indices(NULL, NULL));
    /* without a process group: the world of one (rank 0 of 1 takes everything) */
    nb_distributed_sampler *s = nb_distributed_sampler_new(
        4, (nb_distributed_sampler_opts){ .no_shuffle = true });
    int64_t n;
    const int64_t *idx = nb_distributed_sampler_indices(s, &n);
    CHECK(n == 4 && idx[0] == 0 && idx[3] == 3);
    nb_distributed_sampler_free(s);
    return nb_test_done();
}
