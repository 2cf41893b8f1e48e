/* test_vexp.c — the kernels' vectorizable e^x (tensor/nbt_vexp.h) against exact math: nbt_vexpf equals
 * (float)exp((double)x) over a sweep of every 4093rd bit pattern (one mismatch of one ulp allowed per million,
 * the documented rate is 1 in 60 million), the clamps and the specials (NaN, +-inf, overflow to inf, underflow
 * to 0 and the subnormal results between), and nbt_vexp is the C library's exp; nbt_expf_fast (attention's)
 * within one ulp of it on the same sweep. */
#include "nbt_vexp.h"

#include "ulp_check.h"

/* nbt_vexpf(x) against the correctly rounded f32 of e^x; returns 1 on a one-ulp miss */
static int one(float x) { return ulp_one("vexpf", x, nbt_vexpf(x), (float)exp((double)x)); }

/* nbt_expf_fast(x) within one ulp of (float)exp((double)x); returns 1 on a one-ulp miss */
static int fast(float x) { return ulp_one("fast", x, nbt_expf_fast(x), (float)exp((double)x)); }

int main(void) {
    int miss = 0, n = 0;
    for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += 4093, n++) miss += one(from_bits((uint32_t)b));
    check(miss <= n / 1000000 + 1, "mismatch rate at most one per million", 0);
    static const float special[] = { 0.0f,       -0.0f,          1.0f,    -1.0f,       88.72283f,
                                     88.722839f, 88.7229f,       89.0f,   89.5f,       1e30f,
                                     -87.33654f, -87.4f,         -100.0f, -103.27893f, -103.972f,
                                     -103.9721f, -104.0f,        -104.5f, -1e30f,      0x1p-149f,
                                     -0x1p-149f, 0x1.fffffep-1f, 1e-8f,   -1e-8f,      0.34657359f };
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) miss += one(special[i]);
    check(nbt_vexpf(INFINITY) == INFINITY, "e^inf = inf", INFINITY);
    check(nbt_vexpf(-INFINITY) == 0 && !signbit(nbt_vexpf(-INFINITY)), "e^-inf = +0", -INFINITY);
    check(nbt_vexpf(100.0f) == INFINITY, "e^100 overflows to inf", 100.0f);
    check(nbt_vexpf(-110.0f) == 0, "e^-110 underflows to 0", -110.0f);
    check(nbt_vexpf(-100.0f) > 0 && nbt_vexpf(-100.0f) < 0x1p-126f, "e^-100 is subnormal", -100.0f);
    check(isnan(nbt_vexpf(NAN)) && isnan(nbt_vexpf(-NAN)), "NaN", NAN);
    check(nbt_vexpf(0.0f) == 1.0f, "e^0 = 1", 0.0f);
    for (double x = -700; x <= 700; x += 13.7) check(nbt_vexp(x) == exp(x), "f64 is libm's exp", (float)x);
    int fmiss = 0; /* over all 2^32 inputs 0.4% differ by one ulp (tensor/nbt_vexp.h) */
    for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += 4093) fmiss += fast(from_bits((uint32_t)b));
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) fmiss += fast(special[i]);
    check(fmiss <= n / 100, "fast: one-ulp misses at most 1%", 0);
    check(nbt_expf_fast(-INFINITY) == 0 && !signbit(nbt_expf_fast(-INFINITY)), "fast: e^-inf = +0",
          -INFINITY);
    check(nbt_expf_fast(INFINITY) == INFINITY && nbt_expf_fast(100.0f) == INFINITY, "fast: overflow", 100.0f);
    check(nbt_expf_fast(-100.0f) > 0 && nbt_expf_fast(-100.0f) < 0x1p-126f, "fast: e^-100 is subnormal",
          -100.0f);
    check(nbt_expf_fast(0.0f) == 1.0f && isnan(nbt_expf_fast(NAN)), "fast: e^0 = 1, NaN", 0.0f);
    printf("nbt_expf_fast: %d one-ulp misses\n", fmiss);
    printf("%d one-ulp misses in %d sampled inputs\n%d passed, %d failed\n", miss, n, passed, failed);
    return failed != 0;
}
