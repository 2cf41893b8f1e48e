/* dist_sampler.c — DistributedSampler (torch.utils.data.distributed.DistributedSampler of 1.13): each
 * epoch torch's randperm(N) from a Generator seeded with seed + epoch (so every rank computes the same
 * permutation without communicating, and the lists are torch's), padded by repeating its head up to
 * a multiple of the replicas (or cut to one with drop_last), of which a rank takes every
 * num_replicas-th index from its rank on. */
#include "dist_internal.h"
#include <stdlib.h>
#include <string.h>

struct nb_distributed_sampler {
    int64_t n, num_samples, total_size;
    int replicas, rank;
    bool shuffle, drop_last;
    uint64_t seed;
    int64_t epoch;
    nb_generator *gen; /* seeded with seed + epoch at each draw */
    int64_t *perm;     /* n indices (the whole permutation) */
    int64_t *mine;     /* num_samples indices of this rank */
};

nb_distributed_sampler *nb_distributed_sampler_new(int64_t n, nb_distributed_sampler_opts o) {
    NBT_API("nb_distributed_sampler_new");
    const char *api = "nb_distributed_sampler_new";
    if (n < 0) return nbt_error("%s: the dataset size must be >= 0 (got %lld)", api, (long long)n);
    int R = o.num_replicas > 0 ? o.num_replicas : nb_dist_get_world_size();
    int r = o.num_replicas > 0 ? o.rank : nb_dist_get_rank();
    if (o.num_replicas < 0)
        return nbt_error("%s: num_replicas must be positive (got %d)", api, o.num_replicas);
    if (r < 0 || r >= R)
        return nbt_error("%s: invalid rank %d, rank should be in the interval [0, %d]", api, r, R - 1);
    nb_distributed_sampler *s = calloc(1, sizeof *s);
    if (!s) return nbt_error("%s: out of memory", api);
    s->n = n;
    s->replicas = R;
    s->rank = r;
    s->shuffle = !o.no_shuffle;
    s->drop_last = o.drop_last;
    s->seed = o.seed;
    /* torch: drop_last with a remainder gives ceil((N - R) / R) per rank, else ceil(N / R) */
    if (o.drop_last && n % R != 0)
        s->num_samples = n >= R ? (n - R + R - 1) / R : 0;
    else
        s->num_samples = (n + R - 1) / R;
    s->total_size = s->num_samples * R;
    s->perm = malloc(sizeof *s->perm * (size_t)(n ? n : 1));
    s->mine = malloc(sizeof *s->mine * (size_t)(s->num_samples ? s->num_samples : 1));
    s->gen = nb_generator_new();
    if (!s->perm || !s->mine || !s->gen) {
        nb_distributed_sampler_free(s);
        return nbt_error("%s: out of memory", api);
    }
    return s;
}

void nb_distributed_sampler_set_epoch(nb_distributed_sampler *s, int64_t epoch) {
    if (nbt_nonnull(s, "nb_distributed_sampler_set_epoch", "sampler")) s->epoch = epoch;
}

int64_t nb_distributed_sampler_len(const nb_distributed_sampler *s) {
    NBT_API("nb_distributed_sampler_len");
    return nbt_nonnull(s, "nb_distributed_sampler_len", "sampler") ? s->num_samples : -1;
}

const int64_t *nb_distributed_sampler_indices(nb_distributed_sampler *s, int64_t *n) {
    NBT_API("nb_distributed_sampler_indices");
    if (n) *n = 0;
    if (!s) return nbt_error("nb_distributed_sampler_indices: sampler is NULL");
    if (!n) return nbt_error("nb_distributed_sampler_indices: the count pointer n is NULL");
    if (s->shuffle) { /* g = torch.Generator(); g.manual_seed(seed + epoch); randperm(n, generator=g) */
        nb_tensor *p = nb_randperm_gen(s->n, nb_generator_manual_seed(s->gen, s->seed + (uint64_t)s->epoch));
        if (!p) return NULL;
        memcpy(s->perm, nb_data_i64(p), sizeof *s->perm * (size_t)s->n);
        nb_free(p);
    } else {
        for (int64_t i = 0; i < s->n; i++) s->perm[i] = i;
    }
    /* position p of the padded (or cut) list is perm[p mod N]: the head repeats as often as needed */
    for (int64_t k = 0; k < s->num_samples; k++) s->mine[k] = s->perm[(s->rank + k * s->replicas) % s->n];
    if (n) *n = s->num_samples;
    return s->mine;
}

const int64_t *nb_distributed_sampler_iter(void *sampler, int64_t *n) {
    NBT_API("nb_distributed_sampler_iter");
    return nb_distributed_sampler_indices(sampler, n);
}

void nb_distributed_sampler_free(nb_distributed_sampler *s) {
    NBT_API("nb_distributed_sampler_free");
    if (!s) return;
    nb_generator_free(s->gen);
    free(s->perm);
    free(s->mine);
    free(s);
}
