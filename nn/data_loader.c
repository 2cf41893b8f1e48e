/* data_loader.c — nb_tensor_dataset and nb_dataloader (torch.utils.data.TensorDataset/DataLoader).
 * The loader owns an index permutation and its own generator: epoch k's order depends only on the
 * seed and k. A batch is gathered with one memcpy per sample into a fresh tensor of the current
 * scope, so a training loop's scope end releases it back to the pool. With torch_rng the orders come from
 * torch's generators as torch 1.13's DataLoader, BatchSampler and RandomSampler draw them. */
#include "data_internal.h"
#include <stdlib.h>
#include <string.h>

struct nb_tensor_dataset {
    nb_tensor *x, *y; /* borrowed */
    int64_t n;
};

struct nb_dataloader {
    const nb_tensor_dataset *ds;
    nb_dataloader_opts o;
    nbn_rng rng;
    int64_t *order;      /* this epoch's sample order */
    int64_t norder, cap; /* its length (N, or the sampler's count) and capacity */
    bool bad_sample;     /* the sampler's indices for this epoch were unusable (error recorded) */
    int64_t pos;         /* next position in order */
    bool in_epoch;       /* false: the next call to next() starts an epoch */
    nb_generator *own;   /* torch_rng: RandomSampler's private Generator (the sampler has no generator) */
    bool tail_drawn;     /* torch_rng: this epoch's exhausted sampler has drawn its trailing randperm */
};

nb_tensor_dataset *nb_tensor_dataset_new(nb_tensor *x, nb_tensor *y) {
    if (!x) return nbt_error("nb_tensor_dataset_new: x is NULL");
    if (!nbt_ok(x, "nb_tensor_dataset_new") || (y && !nbt_ok(y, "nb_tensor_dataset_new"))) return NULL;
    if (x->ndim < 1 || (y && y->ndim < 1))
        return nbt_error(
            "nb_tensor_dataset_new: x %s and y %s must have a sample dim 0 (0-d tensors have none)",
            nbt_shape(x), y ? nbt_shape(y) : "NULL");
    if (y && y->shape[0] != x->shape[0])
        return nbt_error(
            "nb_tensor_dataset_new: size mismatch between tensors: x %s has %lld samples, y %s has %lld",
            nbt_shape(x), (long long)x->shape[0], nbt_shape(y), (long long)y->shape[0]);
    nb_tensor_dataset *ds = malloc(sizeof *ds);
    if (!ds) return nbt_error("nb_tensor_dataset_new: out of memory");
    *ds = (nb_tensor_dataset){ x, y, x->shape[0] };
    return ds;
}

int64_t nb_tensor_dataset_len(const nb_tensor_dataset *ds) {
    return nbt_nonnull(ds, "nb_tensor_dataset_len", "dataset") ? ds->n : -1;
}

void nb_tensor_dataset_free(nb_tensor_dataset *ds) {
    NBT_API("nb_tensor_dataset_free");
    free(ds);
}

nb_dataloader *nb_dataloader_new(const nb_tensor_dataset *ds, nb_dataloader_opts opts) {
    NBT_API("nb_dataloader_new");
    if (!ds) return nbt_error("nb_dataloader_new: dataset is NULL");
    if (opts.batch_size < 0)
        return nbt_error("nb_dataloader_new: batch_size must be positive (got %lld)",
                         (long long)opts.batch_size);
    if (opts.batch_size == 0) opts.batch_size = 1;
    if (opts.sampler && opts.shuffle)
        return nbt_error("nb_dataloader_new: sampler option is mutually exclusive with shuffle");
    nb_dataloader *dl = calloc(1, sizeof *dl);
    if (!dl) return nbt_error("nb_dataloader_new: out of memory");
    dl->order = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *dl->order);
    if (!dl->order) {
        free(dl);
        return nbt_error("nb_dataloader_new: out of memory for %lld indices", (long long)ds->n);
    }
    if (opts.generator) opts.torch_rng = true;
    if (opts.torch_rng && opts.shuffle && !opts.generator && !(dl->own = nb_generator_new())) {
        free(dl->order);
        free(dl);
        return NULL;
    }
    dl->ds = ds;
    dl->cap = ds->n ? ds->n : 1;
    dl->o = opts;
    dl->rng.s = opts.seed;
    return dl;
}

/* torch's randperm(n, generator=g) into order (false with nb_error set if it could not be drawn) */
static bool torch_randperm(nb_dataloader *dl, nb_generator *g, int64_t *order) {
    nb_tensor *perm = nb_randperm_gen(dl->ds->n, g);
    if (!perm) return false;
    if (order) memcpy(order, nb_data_i64(perm), (size_t)dl->ds->n * sizeof *order);
    nb_free(perm);
    return true;
}

/* a new torch iterator: _BaseDataLoaderIter's _base_seed = random64 % 2^63 of loader.generator, then
 * RandomSampler.__iter__: with no generator, seed = random64 % 2^63 of the global generator and
 * Generator().manual_seed(seed); then randperm(n, generator) */
static void torch_epoch(nb_dataloader *dl) {
    nb_generator *g = dl->o.generator;
    (void)nb_generator_random64(g);
    dl->tail_drawn = false;
    if (!dl->o.shuffle) return;
    if (!g) g = nb_generator_manual_seed(dl->own, nb_generator_random64(NULL) & ((1ull << 63) - 1));
    torch_randperm(dl, g, dl->order);
}

/* the epoch's order from the sampler (an empty epoch with an error if its indices are bad) */
static void sample(nb_dataloader *dl) {
    int64_t n = 0;
    const int64_t *idx = dl->o.sampler(dl->o.sampler_ctx, &n);
    dl->norder = 0;
    dl->bad_sample = true;
    if (!idx || n < 0) {
        if (!nb_error()) nbt_error("nb_dataloader_next: the sampler returned no indices");
        return;
    }
    if (n > dl->cap) {
        int64_t *o = realloc(dl->order, (size_t)n * sizeof *o);
        if (!o) {
            nbt_error("nb_dataloader_next: out of memory for %lld indices", (long long)n);
            return;
        }
        dl->order = o;
        dl->cap = n;
    }
    for (int64_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= dl->ds->n) {
            nbt_error("nb_dataloader_next: sampler index %lld is out of range for a dataset of %lld samples",
                      (long long)idx[i], (long long)dl->ds->n);
            return;
        }
    if (n) memcpy(dl->order, idx, (size_t)n * sizeof *idx);
    dl->norder = n;
    dl->bad_sample = false;
}

void nb_dataloader_reset(nb_dataloader *dl) {
    NBT_API("nb_dataloader_reset");
    if (!nbt_nonnull(dl, "nb_dataloader_reset", "loader")) return;
    if (dl->o.sampler) {
        if (dl->o.torch_rng) (void)nb_generator_random64(dl->o.generator); /* the iterator's _base_seed */
        sample(dl);
    } else {
        for (int64_t i = 0; i < dl->ds->n; i++) dl->order[i] = i;
        if (dl->o.torch_rng)
            torch_epoch(dl);
        else if (dl->o.shuffle)
            nbn_shuffle(dl->order, dl->ds->n, &dl->rng);
        dl->norder = dl->ds->n;
    }
    dl->pos = 0;
    dl->in_epoch = true;
}

int64_t nb_dataloader_len(const nb_dataloader *dl) {
    if (!nbt_nonnull(dl, "nb_dataloader_len", "loader")) return -1;
    int64_t n = dl->ds->n, b = dl->o.batch_size;
    if (dl->o.sampler) dl->o.sampler(dl->o.sampler_ctx, &n);
    return n / b + (!dl->o.drop_last && n % b != 0); /* no overflow for huge batch sizes */
}

bool nb_dataloader_next(nb_dataloader *dl, nb_tensor **xb, nb_tensor **yb) {
    NBT_API("nb_dataloader_next");
    if (xb) *xb = NULL;
    if (yb) *yb = NULL;
    if (!dl) {
        nbt_error("nb_dataloader_next: loader is NULL");
        return false;
    }
    if (!xb) {
        nbt_error("nb_dataloader_next: xb is NULL (pass &xb)");
        return false;
    }
    if (!dl->in_epoch) {
        nb_dataloader_reset(dl);
        if (dl->o.sampler && dl->bad_sample) {
            dl->in_epoch = false;
            return false;
        }
    }
    int64_t left = dl->norder - dl->pos, b = dl->o.batch_size;
    /* RandomSampler yields randperm(n)[:num_samples % n] after its permutation: an empty slice of one more
     * randperm, drawn when BatchSampler asks past the last full batch; only a user generator sees it */
    if (left < b && dl->o.torch_rng && dl->o.shuffle && dl->o.generator && !dl->tail_drawn && dl->ds->n > 0) {
        dl->tail_drawn = true;
        if (!torch_randperm(dl, dl->o.generator, NULL)) return false;
    }
    if (left <= 0 || (dl->o.drop_last && left < b)) {
        dl->in_epoch = false;
        return false;
    }
    int64_t m = left < b ? left : b;
    const int64_t *idx = dl->order + dl->pos;
    *xb = nbn_gather_rows(dl->ds->x, idx, m, "nb_dataloader_next");
    if (!*xb) return false;
    if (dl->ds->y && yb) {
        *yb = nbn_gather_rows(dl->ds->y, idx, m, "nb_dataloader_next");
        if (!*yb) {
            nb_free(*xb);
            *xb = NULL;
            return false;
        }
    }
    dl->pos += m;
    return true;
}

void nb_dataloader_free(nb_dataloader *dl) {
    NBT_API("nb_dataloader_free");
    if (!dl) return;
    free(dl->order);
    nb_generator_free(dl->own);
    free(dl);
}
