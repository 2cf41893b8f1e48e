/* test_verf.c — the kernels' vectorizable erf (tensor/nbt_verf.h) against exact math: nbt_verff within one ulp
 * of (float)erf((double)x) over a sweep of every 4093rd bit pattern, equal to it for all but one in a million
 * (152 of all 2^32 inputs differ, the header says), exact at the specials (+-0, +-1 beyond 4, NaN,
 * +-inf, subnormals, the branch edges 1 and 4), odd, and nbt_verf is the C library's erf. */
#include "nbt_verf.h"

#include "ulp_check.h"

/* nbt_verff(x) against the f32 rounding of the double erf; returns 1 on a one-ulp miss */
static int one(float x) { return ulp_one("verff", x, nbt_verff(x), (float)erf((double)x)); }

int main(void) {
    int miss = 0, n = 0;
    for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += 4093, n++) miss += one(from_bits((uint32_t)b));
    check(miss <= n / 1000000 + 1, "mismatch rate at most one per million", 0);
    static const float special[] = { 0.0f,  -0.0f,  1.0f,       -1.0f,      0x1.fffffep-1f, 0x1.000002p0f,
                                     3.9f,  3.99f,  4.0f,       4.0001f,    -4.0f,          10.0f,
                                     1e30f, -1e30f, 0x1p-149f,  -0x1p-149f, 0x1p-126f,      1e-8f,
                                     0.5f,  2.5f,   0.7071068f, 1.4142135f };
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) miss += one(special[i]);
    check(nbt_verff(INFINITY) == 1.0f && nbt_verff(-INFINITY) == -1.0f, "erf(+-inf) = +-1", INFINITY);
    check(nbt_verff(5.0f) == 1.0f && nbt_verff(-7.5f) == -1.0f, "erf beyond 4 is +-1", 5.0f);
    check(signbit(nbt_verff(-0.0f)) && nbt_verff(-0.0f) == 0, "erf(-0) = -0", -0.0f);
    check(isnan(nbt_verff(NAN)) && isnan(nbt_verff(-NAN)), "NaN", NAN);
    for (float x = 0.001f; x < 5; x *= 1.01f) check(nbt_verff(-x) == -nbt_verff(x), "odd", x);
    for (double x = -7; x <= 7; x += 0.137) check(nbt_verf(x) == erf(x), "f64 is libm's erf", (float)x);
    printf("%d one-ulp misses in %d sampled inputs\n%d passed, %d failed\n", miss, n, passed, failed);
    return failed != 0;
}
