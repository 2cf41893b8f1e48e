/* nbt_random.h — inside of nb_generator (torch 1.13's CPUGeneratorImpl: an at::mt19937 engine plus the
 * cached normal samples) and the inline uniform draws every random kernel uses. Library-internal. */
#ifndef NBT_RANDOM_H
#define NBT_RANDOM_H

#include "nb_tensor.h"

#define NBT_MT_N 624

struct nb_generator {
    uint32_t state[NBT_MT_N]; /* mt19937_data_pod: state_, left_, next_, seed_, seeded_ */
    int left;
    uint32_t next;
    uint64_t seed;
    bool seeded;
    bool has_normal; /* next_double_normal_sample_: the sine half of a scalar Box-Muller draw */
    double next_normal;
    bool has_float_normal; /* next_float_normal_sample_ (kept for state round trips) */
    float next_float_normal;
};

/* g, or the default generator for NULL; seeded with torch's default seed on first use. */
nb_generator *nbt_gen(nb_generator *g);

/* Refill g's 624 state words (MT19937's twist); sets left = 624, next = 0. */
void nbt_gen_refill(nb_generator *g);
/* out[0, n) = the next n 32-bit outputs of g (a resolved generator), as n nbt_gen_u32 calls give them. */
void nbt_gen_fill_u32(nb_generator *g, uint32_t *out, int64_t n);
/* MT19937's tempering of one state word into an output */
static inline uint32_t nbt_mt_temper(uint32_t y) {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}
/* torch's uniform_real_distribution<double>(0, 1) from random64 = (hi << 32) | lo: its low 53 bits * 2^-53 */
static inline double nbt_u64_double(uint32_t hi, uint32_t lo) {
    return (double)(((uint64_t)(hi & 0x1fffffu) << 32) | lo) * 0x1.0p-53;
}
/* The draws below take a resolved generator (nbt_gen(g), never NULL): the inline form of
 * nb_generator_random for the fill loops. One 32-bit output (torch: generator->random()). */
static inline uint32_t nbt_gen_u32(nb_generator *g) {
    if (--g->left == 0) nbt_gen_refill(g);
    return nbt_mt_temper(g->state[g->next++]);
}
/* random64: (first draw << 32) | second draw. */
static inline uint64_t nbt_gen_u64(nb_generator *g) {
    uint64_t hi = nbt_gen_u32(g);
    return (hi << 32) | nbt_gen_u32(g);
}
/* torch's uniform_real_distribution<double>(0, 1): the low 53 bits of random64 times 2^-53. */
static inline double nbt_gen_double(nb_generator *g) {
    uint32_t hi = nbt_gen_u32(g);
    return nbt_u64_double(hi, nbt_gen_u32(g));
}
/* uniform_real_distribution<float>(0, 1): the low 24 bits of random() times 2^-24. */
static inline float nbt_gen_float(nb_generator *g) {
    return (float)(nbt_gen_u32(g) & ((1u << 24) - 1)) * 0x1.0p-24f;
}

#endif
