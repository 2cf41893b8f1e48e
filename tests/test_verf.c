/* test_verf.c — the kernels' vectorizable erf (tensor/nbt_verf.h) against exact math: nbt_verff within one
 * ulp of (float)erf((double)x) (its maximum over all 2^32 inputs, the header says) over every 4093rd bit
 * pattern, every subnormal and the floats around the branch edge 1 and the first +-1, at most 1% of them one
 * ulp off; exactly +-1 from the first float whose erf rounds to 1, odd bit for bit, the specials (+-0, +-inf,
 * NaN), and nbt_verf is the C library's erf. */
#include "nbt_verf.h"

#include "ulp_check.h"

/* nbt_verff(x) against the f32 rounding of the double erf, and odd (-0 too); returns 1 on a one-ulp miss */
static int one(float x) {
    float y = nbt_verff(x), m = nbt_verff(-x);
    if (!isnan(x) && (m != -y || signbit(m) == signbit(y))) check(0, "odd", x);
    return ulp_one("verff", x, y, (float)erf((double)x));
}

/* one() over the n floats from x up (x > 0); returns the misses and adds n to *count */
static int run(float x, int n, int *count) {
    int miss = 0;
    for (int i = 0; i < n; i++, x = nextafterf(x, INFINITY)) miss += one(x);
    *count += n;
    return miss;
}

int main(void) {
    int miss = 0, n = 0;
    for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += 4093, n++) miss += one(from_bits((uint32_t)b));
    miss += run(0x1p-149f, 1 << 23, &n);                      /* every subnormal */
    miss += run(nextafterf(1.0f, 0) - 0x1p-14f, 1 << 16, &n); /* around the branch edge 1 */
    miss += run(0x1.f5a88ap+1f - 0x1p-12f, 1 << 16, &n);      /* around the first +-1 */
    check(miss <= n / 100, "at most 1% one ulp off", 0);
    static const float special[] = { 0.0f,       -0.0f,     1.0f,       -1.0f,  0x1.fffffep-1f, 0x1.000002p0f,
                                     2.5f,       3.9f,      0x1p-126f,  1e-8f,  0.5f,           0.7071068f,
                                     1.4142135f, 0x1p-149f, -0x1p-149f, 3.4e38f };
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) miss += one(special[i]);
    check(nbt_verff(0x1.f5a88ap+1f) == 1.0f && nbt_verff(-0x1.f5a88ap+1f) == -1.0f, "+-1 from 3.9192059",
          3.9f);
    check(nbt_verff(INFINITY) == 1.0f && nbt_verff(-INFINITY) == -1.0f, "erf(+-inf) = +-1", INFINITY);
    check(nbt_verff(5.0f) == 1.0f && nbt_verff(-7.5f) == -1.0f && nbt_verff(1e30f) == 1.0f,
          "erf beyond is +-1", 5);
    check(signbit(nbt_verff(-0.0f)) && nbt_verff(-0.0f) == 0 && !signbit(nbt_verff(0.0f)), "erf(-0) = -0",
          -0.0f);
    check(isnan(nbt_verff(NAN)) && isnan(nbt_verff(-NAN)), "NaN", NAN);
    check(nbt_verff(0x1p-149f) == 0x1p-149f && nbt_verff(0x1p-148f) == 0x1p-148f, "the smallest subnormals",
          0);
    for (double x = -7; x <= 7; x += 0.137) check(nbt_verf(x) == erf(x), "f64 is libm's erf", (float)x);
    printf("%d one-ulp misses in %d inputs\n%d passed, %d failed\n", miss, n, passed, failed);
    return failed != 0;
}
