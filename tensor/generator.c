/* generator.c — torch.Generator for the CPU: PyTorch 1.13's at::mt19937 engine (MT19937, init_genrand),
 * its random()/random64() draws, the cached second Box-Muller value, and get_state/set_state in the exact
 * byte layout of torch's CPUGeneratorImplState (5056 bytes), so states move between torch and nabla. */
#include "nb_internal.h"
#include "nbt_random.h"
#include <math.h>
#include <stdlib.h>

#define MT_M 397
#define DEFAULT_SEED 67280421310721ull /* c10::detail::default_rng_seed_val (torch.Generator()) */

/* torch.default_generator; seeded with torch's default seed on first use */
static nb_generator default_gen;

static void seed_engine(nb_generator *g, uint64_t seed) {
    g->seed = seed;
    g->state[0] = (uint32_t)(seed & 0xffffffffu);
    for (uint32_t j = 1; j < NBT_MT_N; j++)
        g->state[j] = 1812433253u * (g->state[j - 1] ^ (g->state[j - 1] >> 30)) + j;
    g->left = 1;
    g->next = 0;
    g->seeded = true;
    g->has_normal = false;
    g->has_float_normal = false;
}

nb_generator *nbt_gen(nb_generator *g) {
    if (!g) g = &default_gen;
    if (!g->seeded) seed_engine(g, DEFAULT_SEED);
    return g;
}

nb_generator *nb_default_generator(void) { return nbt_gen(NULL); }

nb_generator *nb_generator_new(void) {
    nb_generator *g = calloc(1, sizeof *g);
    if (!g) return nbt_error("nb_generator_new: out of memory");
    seed_engine(g, DEFAULT_SEED);
    return g;
}

void nb_generator_free(nb_generator *g) {
    if (g && g != &default_gen) free(g);
}

nb_generator *nb_generator_manual_seed(nb_generator *g, uint64_t seed) {
    if (!g) g = &default_gen;
    seed_engine(g, seed);
    return g;
}

uint64_t nb_generator_initial_seed(const nb_generator *g) { return nbt_gen((nb_generator *)g)->seed; }

void nb_manual_seed(uint64_t seed) { seed_engine(&default_gen, seed); }

uint64_t nb_initial_seed(void) { return nbt_gen(NULL)->seed; }

static inline uint32_t twist(uint32_t u, uint32_t v) {
    return (((u & 0x80000000u) | (v & 0x7fffffffu)) >> 1) ^ ((v & 1) ? 0x9908b0dfu : 0);
}

void nbt_gen_refill(nb_generator *g) {
    uint32_t *p = g->state;
    g->left = NBT_MT_N;
    g->next = 0;
    for (int j = NBT_MT_N - MT_M + 1; --j; p++) *p = p[MT_M] ^ twist(p[0], p[1]);
    for (int j = MT_M; --j; p++) *p = p[MT_M - NBT_MT_N] ^ twist(p[0], p[1]);
    *p = p[MT_M - NBT_MT_N] ^ twist(p[0], g->state[0]);
}

/* out[0, n) = the next n outputs of g, exactly as n calls of nbt_gen_u32 give them: the tempering runs over
 * runs of the state array (a loop that vectorizes), refilling where the single draw would. After a refill
 * left = 625 stands for "624 draws before the next one" (the single draw decrements before it refills). */
void nbt_gen_fill_u32(nb_generator *g, uint32_t *out, int64_t n) {
    while (n > 0) {
        if (g->left <= 1) {
            nbt_gen_refill(g);
            g->left = NBT_MT_N + 1;
        }
        int64_t take = g->left - 1 < n ? g->left - 1 : n;
        const uint32_t *st = g->state + g->next;
        for (int64_t i = 0; i < take; i++) out[i] = nbt_mt_temper(st[i]);
        g->next += (uint32_t)take;
        g->left -= (int)take;
        out += take;
        n -= take;
    }
}

/* The draw u * 2^-53 (u the low 53 bits of random64, nbt_u64_double) is below keep exactly when the integer u is
 * below ceil(keep 2^53) (both sides are exact): the bulk draws compare integers, a loop that vectorizes. */
static uint64_t keep_bound(double keep) {
    return keep <= 0 ? 0 : keep >= 1 ? (uint64_t)1 << 53 : (uint64_t)ceil(keep * 0x1p53);
}
static inline uint64_t low53(uint32_t hi, uint32_t lo) { return ((uint64_t)(hi & 0x1fffffu) << 32) | lo; }

/* what bernoulli_fill writes per draw: scale or 0 as f32 or f64, or 1 or 0 as a byte */
typedef enum { OUT_F32, OUT_F64, OUT_BYTE } bernoulli_out;

/* out[0, n) from the next 2n draws of the default generator, a chunk at a time; one inner loop per output
 * type, each SIMD */
static void bernoulli_fill(bernoulli_out kind, void *out, int64_t n, double keep, double scale) {
    enum { CHUNK = 512 };
    uint32_t w[2 * CHUNK];
    nb_generator *g = nbt_gen(NULL);
    const uint64_t bound = keep_bound(keep);
    for (int64_t i0 = 0; i0 < n; i0 += CHUNK) {
        int64_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        nbt_gen_fill_u32(g, w, 2 * m);
        if (kind == OUT_F32) {
            float *d = (float *)out + i0, s = (float)scale;
            for (int64_t i = 0; i < m; i++) d[i] = low53(w[2 * i], w[2 * i + 1]) < bound ? s : 0.0f;
        } else if (kind == OUT_F64) {
            double *d = (double *)out + i0;
            for (int64_t i = 0; i < m; i++) d[i] = low53(w[2 * i], w[2 * i + 1]) < bound ? scale : 0.0;
        } else {
            uint8_t *d = (uint8_t *)out + i0;
            for (int64_t i = 0; i < m; i++) d[i] = low53(w[2 * i], w[2 * i + 1]) < bound;
        }
    }
}

void nbt_bernoulli_mask(nb_dtype dt, void *mask, int64_t n, double keep, double scale) {
    bernoulli_fill(dt == NB_F32 ? OUT_F32 : OUT_F64, mask, n, keep, scale);
}

void nbt_bernoulli_keep(uint8_t *keep, int64_t n, double p_keep) {
    bernoulli_fill(OUT_BYTE, keep, n, p_keep, 1);
}

uint32_t nb_generator_random(nb_generator *g) { return nbt_gen_u32(nbt_gen(g)); }

uint64_t nb_generator_random64(nb_generator *g) { return nbt_gen_u64(nbt_gen(g)); }

uint32_t nb_rand_u32(void) { return nb_generator_random(NULL); }
uint64_t nb_rand_u64(void) { return nb_generator_random64(NULL); }
double nb_rand_double(void) { return nbt_gen_double(nbt_gen(NULL)); }

/* ---- state bytes: struct CPUGeneratorImplState of torch 1.13 (x86-64 layout, little endian) ----
 *    0 u64 the_initial_seed   8 i32 left   12 i32 seeded   16 u64 next   24 u64 state[624]
 * 5016 f64 normal_x  5024 f64 normal_y (the cached normal)  5032 f64 normal_rho  5040 i32 normal_is_valid
 * 5048 f32 next_float_normal_sample  5052 u8 is_next_float_normal_sample_valid; padding is zero.
 * The legacy THGeneratorState (the first 5048 bytes) is accepted by set_state too, as torch does. */
#define OFF_STATE 24
#define OFF_NX 5016
#define OFF_NY 5024
#define OFF_RHO 5032
#define OFF_VALID 5040
#define LEGACY_SIZE 5048
#define OFF_FLOAT 5048
#define OFF_FVALID 5052

static void put(uint8_t *b, size_t off, const void *v, size_t n) { memcpy(b + off, v, n); }
static void get(const uint8_t *b, size_t off, void *v, size_t n) { memcpy(v, b + off, n); }

void nb_generator_get_state(const nb_generator *gc, uint8_t state[NB_RNG_STATE_SIZE]) {
    if (!nbt_nonnull(state, "nb_generator_get_state", "state buffer")) return;
    const nb_generator *g = nbt_gen((nb_generator *)gc);
    memset(state, 0, NB_RNG_STATE_SIZE);
    int32_t left = g->left, seeded = g->seeded, valid = g->has_normal;
    uint64_t next = g->next;
    put(state, 0, &g->seed, 8);
    put(state, 8, &left, 4);
    put(state, 12, &seeded, 4);
    put(state, 16, &next, 8);
    for (int j = 0; j < NBT_MT_N; j++) {
        uint64_t w = g->state[j];
        put(state, OFF_STATE + 8 * (size_t)j, &w, 8);
    }
    if (g->has_normal) put(state, OFF_NY, &g->next_normal, 8);
    put(state, OFF_VALID, &valid, 4);
    if (g->has_float_normal) {
        put(state, OFF_FLOAT, &g->next_float_normal, 4);
        state[OFF_FVALID] = 1;
    }
}

static nb_status set_state(nb_generator *g, const uint8_t *state, size_t n, const char *fn) {
    if (!state) {
        nbt_error("%s: state is NULL", fn);
        return NB_ERROR;
    }
    if (n != NB_RNG_STATE_SIZE && n != LEGACY_SIZE) {
        nbt_error("%s: expected either a THGeneratorState of size %d or a CPUGeneratorImplState of size %d "
                  "but found the input RNG state size to be %zu",
                  fn, LEGACY_SIZE, NB_RNG_STATE_SIZE, n);
        return NB_ERROR;
    }
    nb_generator t = { 0 };
    int32_t left, seeded, valid;
    uint64_t next;
    get(state, 0, &t.seed, 8);
    get(state, 8, &left, 4);
    get(state, 12, &seeded, 4);
    get(state, 16, &next, 8);
    for (int j = 0; j < NBT_MT_N; j++) {
        uint64_t w;
        get(state, OFF_STATE + 8 * (size_t)j, &w, 8);
        t.state[j] = (uint32_t)w; /* torch copies the u64 words into its u32 state */
    }
    t.left = left;
    t.seeded = seeded != 0;
    t.next = (uint32_t)next;
    if (!t.seeded || left <= 0 || left > NBT_MT_N || t.next > NBT_MT_N) {
        nbt_error("%s: invalid mt19937 state (seeded %d, left %d, next %llu)", fn, (int)seeded, (int)left,
                  (unsigned long long)next);
        return NB_ERROR;
    }
    get(state, OFF_VALID, &valid, 4);
    if (valid && n == LEGACY_SIZE) { /* the legacy format kept the uniforms: r * sin(2 pi x) */
        double x, rho;
        get(state, OFF_NX, &x, 8);
        get(state, OFF_RHO, &rho, 8);
        t.has_normal = true;
        t.next_normal = rho * sin(2.0 * M_PI * x);
    } else if (valid) {
        t.has_normal = true;
        get(state, OFF_NY, &t.next_normal, 8);
    }
    if (n == NB_RNG_STATE_SIZE && state[OFF_FVALID]) {
        t.has_float_normal = true;
        get(state, OFF_FLOAT, &t.next_float_normal, 4);
    }
    *(g ? g : &default_gen) = t;
    return NB_OK;
}

nb_status nb_generator_set_state(nb_generator *g, const uint8_t *state, size_t n) {
    return set_state(g, state, n, "nb_generator_set_state");
}

void nb_get_rng_state(uint8_t state[NB_RNG_STATE_SIZE]) {
    NBT_API("nb_get_rng_state");
    nb_generator_get_state(NULL, state);
}

nb_status nb_set_rng_state(const uint8_t *state, size_t n) {
    return set_state(NULL, state, n, "nb_set_rng_state");
}
