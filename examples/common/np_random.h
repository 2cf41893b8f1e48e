/* np_random.h — numpy's default_rng(seed): SeedSequence(seed) feeding a PCG64 bit generator, and
 * Generator.uniform, bit for bit, so a port that seeds numpy (gymnasium's env.reset(seed=...)) draws
 * the same numbers in C. Only what the reinforce example needs. */
#ifndef NB_EXAMPLES_NP_RANDOM_H
#define NB_EXAMPLES_NP_RANDOM_H
#include <stdint.h>

typedef struct {
    uint64_t state_hi, state_lo, inc_hi, inc_lo; /* the 128-bit LCG state and increment */
} np_pcg64;

/* np.random.default_rng(seed) (= Generator(PCG64(SeedSequence(seed)))). */
void np_pcg64_seed(np_pcg64 *g, uint64_t seed);
/* bit_generator.random_raw(): the next 64-bit output (XSL-RR of the stepped state). */
uint64_t np_pcg64_next(np_pcg64 *g);
/* Generator.uniform(low, high): low + (high - low) * ((next >> 11) * 2^-53). */
double np_uniform(np_pcg64 *g, double low, double high);

#endif
