/* data_internal.h — what the data files (nn/data_*.c) share and users never see: the loaders' own
 * random generator (splitmix64: an order depends only on the seed, never on the global generator)
 * and the row gather that builds a batch with one memcpy per sample. */
#ifndef NB_DATA_INTERNAL_H
#define NB_DATA_INTERNAL_H

#include "nb_internal.h"
#include "nb_data.h"

typedef struct {
    uint64_t s;
} nbn_rng;

/* Next 64 random bits (splitmix64). */
static inline uint64_t nbn_rng_next(nbn_rng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n) for n >= 1, without modulo bias (rejection). */
static inline int64_t nbn_rng_below(nbn_rng *r, int64_t n) {
    uint64_t un = (uint64_t)n, lim = (0 - un) % un, v;
    do v = nbn_rng_next(r);
    while (v < lim);
    return (int64_t)(v % un);
}

/* Fisher-Yates shuffle of idx[0..n). */
static inline void nbn_shuffle(int64_t *idx, int64_t n, nbn_rng *r) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = nbn_rng_below(r, i + 1), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* src[idx[0..n)] along dim 0 as a new tensor (n, src.shape[1:]) in the current scope, no history. */
nb_tensor *nbn_gather_rows(const nb_tensor *src, const int64_t *idx, int64_t n, const char *op);

#endif
