/* np_random.c — numpy 1.17+'s SeedSequence (numpy/random/bit_generator.pyx) and PCG64
 * (numpy/random/src/pcg64/pcg64.h, the XSL-RR 128/64 generator), written from their sources, for
 * gymnasium's seeded resets (gymnasium.utils.seeding.np_random). */
#include "np_random.h"

#define SS_INIT_A 0x43b0d7e5u
#define SS_MULT_A 0x931e8875u
#define SS_INIT_B 0x8b51f9ddu
#define SS_MULT_B 0x58f38dedu
#define SS_MIX_L 0xca01f9ddu
#define SS_MIX_R 0x4973f715u
#define SS_POOL 4

static uint32_t hashmix(uint32_t v, uint32_t *hc) {
    v ^= *hc;
    *hc *= SS_MULT_A;
    v *= *hc;
    return v ^ (v >> 16);
}

static uint32_t mix(uint32_t x, uint32_t y) {
    uint32_t r = SS_MIX_L * x - SS_MIX_R * y;
    return r ^ (r >> 16);
}

/* SeedSequence(seed).generate_state(8, uint32): the pool mixed from the seed's 32-bit words */
static void seed_sequence(uint64_t seed, uint32_t out[8]) {
    uint32_t ent[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) }, pool[SS_POOL], hc = SS_INIT_A;
    int n = seed >> 32 ? 2 : 1;
    for (int i = 0; i < SS_POOL; i++) pool[i] = hashmix(i < n ? ent[i] : 0, &hc);
    for (int s = 0; s < SS_POOL; s++)
        for (int d = 0; d < SS_POOL; d++)
            if (s != d) pool[d] = mix(pool[d], hashmix(pool[s], &hc));
    uint32_t hb = SS_INIT_B;
    for (int i = 0; i < 8; i++) {
        uint32_t v = pool[i % SS_POOL] ^ hb;
        hb *= SS_MULT_B;
        v *= hb;
        out[i] = v ^ (v >> 16);
    }
}

/* (hi, lo) = a * b as a 128-bit product */
static void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* state = state * PCG_DEFAULT_MULTIPLIER_128 + inc (mod 2^128) */
static void step(np_pcg64 *g) {
    const uint64_t mhi = 2549297995355413924ull, mlo = 4865540595714422341ull;
    uint64_t hi, lo;
    mul64(g->state_lo, mlo, &hi, &lo);
    hi += g->state_hi * mlo + g->state_lo * mhi;
    uint64_t nlo = lo + g->inc_lo;
    g->state_hi = hi + g->inc_hi + (nlo < lo);
    g->state_lo = nlo;
}

void np_pcg64_seed(np_pcg64 *g, uint64_t seed) {
    uint32_t w[8];
    seed_sequence(seed, w);
    uint64_t v[4]; /* generate_state(4, uint64): little-endian pairs of the words */
    for (int i = 0; i < 4; i++) v[i] = (uint64_t)w[2 * i] | (uint64_t)w[2 * i + 1] << 32;
    /* pcg64_set_seed(seed = v[0..1], inc = v[2..3]), each as (high, low); then srandom_r */
    g->inc_hi = v[2] << 1 | v[3] >> 63;
    g->inc_lo = v[3] << 1 | 1u;
    g->state_hi = 0;
    g->state_lo = 0;
    step(g);
    uint64_t lo = g->state_lo + v[1];
    g->state_hi += v[0] + (lo < g->state_lo);
    g->state_lo = lo;
    step(g);
}

uint64_t np_pcg64_next(np_pcg64 *g) {
    step(g);
    uint64_t x = g->state_hi ^ g->state_lo;
    unsigned rot = (unsigned)(g->state_hi >> 58);
    return (x >> rot) | (x << ((64u - rot) & 63u));
}

double np_uniform(np_pcg64 *g, double low, double high) {
    return low + (high - low) * ((double)(np_pcg64_next(g) >> 11) * (1.0 / 9007199254740992.0));
}
