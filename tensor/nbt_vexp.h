/* nbt_vexp.h — an e^x that vectorizes, for the kernels whose inner loop is an exponential (softmax, log_softmax
 * and their backward, fused attention, the recurrent gates, nb_exp, gelu's derivative). f32: range reduction
 * and polynomial in double, branch-free so that a loop over it becomes SIMD code; f64: the C library's exp. */
#ifndef NBT_VEXP_H
#define NBT_VEXP_H
#include <math.h>
#include <stdint.h>
#include <string.h>

/* these functions are meant to vanish into the loops that call them, which then vectorize: always inlined (a
 * call per element from a large kernel, which GCC's heuristics chose for nbt_verff, runs it scalar) */
#define NBT_VINLINE static inline __attribute__((always_inline))

/* a b + c: one fused multiply-add where the target has FMA (the polynomials run twice as fast), else a product and
 * a sum; the accuracy figures of the functions that use them (nbt_vexp_core and nbt_vexpf, nbt_expf_fast,
 * nbt_verff) hold either way */
#ifdef __FMA__
#define NBT_DFMA(a, b, c) __builtin_fma(a, b, c)
#define NBT_SFMA(a, b, c) __builtin_fmaf(a, b, c)
#else
#define NBT_DFMA(a, b, c) ((a) * (b) + (c))
#define NBT_SFMA(a, b, c) ((a) * (b) + (c))
#endif

/* x clamped to [-104, 89] on its bits (integer selects, so loops over it vectorize; NaN is left alone): e^-104
 * rounds to 0 and e^89 to inf in float, so the e^x below never see an infinity or an out-of-range exponent */
NBT_VINLINE float nbt_expf_clamp(float x) {
    uint32_t xb;
    memcpy(&xb, &x, sizeof xb);
    uint32_t lo = 0u - ((uint32_t)(xb > 0xC2D00000u) & (uint32_t)(xb <= 0xFF800000u)); /* -inf <= x < -104 */
    uint32_t hi = 0u - ((uint32_t)(xb > 0x42B20000u) & (uint32_t)(xb <= 0x7F800000u)); /* 89 < x <= inf */
    xb = (xb & ~(lo | hi)) | (0xC2D00000u & lo) | (0x42B20000u & hi);
    float xc;
    memcpy(&xc, &xb, sizeof xc);
    return xc;
}

/* e^x in double for x in [-104, 89] (relative error < 1e-11; no infinity, NaN gives NaN): the reduction and
 * polynomial of nbt_vexpf, branch-free. With FMA its loops run ~1.5x as fast (Horner's chain: 1.41 against
 * 2.19 ns an element) and nbt_vexpf gives the same bits for all 2^32 inputs. */
NBT_VINLINE double nbt_vexp_core(double xd) {
    double t = NBT_DFMA(xd, 1.4426950408889634,
                        6755399441055744.0); /* 1.5 * 2^52: n = nearest integer to x / ln 2 */
    double n = t - 6755399441055744.0;
    double r = NBT_DFMA(n, -5.497923018708371e-14,
                        NBT_DFMA(n, -0.6931471805598903, xd)); /* x - n ln 2 (ln 2 split hi + lo) */
    double p = 2.7557319223985893e-07; /* e^r: Taylor to r^10 (|r| <= 0.347: error < 1e-11) */
    p = NBT_DFMA(p, r, 2.7557319223985888e-06);
    p = NBT_DFMA(p, r, 2.4801587301587302e-05);
    p = NBT_DFMA(p, r, 1.9841269841269841e-04);
    p = NBT_DFMA(p, r, 1.3888888888888889e-03);
    p = NBT_DFMA(p, r, 8.3333333333333332e-03);
    p = NBT_DFMA(p, r, 4.1666666666666664e-02);
    p = NBT_DFMA(p, r, 1.6666666666666666e-01);
    p = NBT_DFMA(p, r, 0.5);
    p = NBT_DFMA(p, r, 1.0);
    p = NBT_DFMA(p, r, 1.0);
    uint64_t tb, eb;
    memcpy(&tb, &t, sizeof tb);
    eb = (tb - 0x4338000000000000u + 1023u) << 52; /* 2^n, n in [-150, 129] */
    double e;
    memcpy(&e, &eb, sizeof e);
    return p * e;
}

/* e^x in f32, correctly rounded but for ~1 in 60 million inputs (36 of the 2.2e9 floats in [-110, 90] differ
 * from (float)exp((double)x); glibc's expf differs for 170,648): the reduction and the polynomial run in double,
 * then one rounding to float, subnormal results included. Branch-free, so that loops over it vectorize: x is
 * first clamped to [-104, 89] on its bits (integer selects; NaN is left alone), where e^-104 rounds to 0 and
 * e^89 to inf in float (IEEE conversion: inf above FLT_MAX), and 2^n is built from the bits of the rounded
 * double, so the arithmetic never sees an infinity or an out-of-range n; NaN gives NaN. */
NBT_VINLINE float nbt_vexpf(float x) { return (float)nbt_vexp_core(nbt_expf_clamp(x)); }

/* e^x in f32 within one ulp of (float)exp((double)x) for every input (checked over all 2^32: 17,222,777 differ, by
 * one ulp, with FMA; 18,078,031 without): the reduction and a degree-7 polynomial (1 + r + r^2 P(r), P fitted on
 * [-ln 2 / 2, ln 2 / 2]) in float, 8 lanes where nbt_vexpf has 4, P by Estrin's scheme and fused multiply-adds where
 * the target has them (a loop over it is bound by its dependency chain: 0.87 ns an element here, 1.21 with Horner's
 * rule and no FMA). For the fused attention kernels, whose probabilities need no correct rounding
 * (softmax keeps nbt_vexpf: the ports retrace torch through it). The same clamp on the bits as nbt_vexpf; 2^n is
 * applied as 2^(n/2) 2^(n - n/2), so subnormal results and the overflow to inf round once, in the last product; NaN
 * gives NaN. */
NBT_VINLINE float nbt_expf_fast(float x) {
    float xc = nbt_expf_clamp(x);
    float t = NBT_SFMA(xc, 1.44269504f, 12582912.0f),
          n = t - 12582912.0f; /* 1.5 * 2^23: n = round(x / ln 2) */
    float r = NBT_SFMA(n, 2.12194440e-4f,
                       NBT_SFMA(n, -0.693359375f, xc)); /* x - n ln 2, ln 2 split hi + lo */
    float r2 = r * r;
    float a = NBT_SFMA(0.16666667f, r, 0.5f), b = NBT_SFMA(8.333298e-3f, r, 4.1666467e-2f);
    float c = NBT_SFMA(1.9899276e-4f, r, 1.3933644e-3f);
    float p = NBT_SFMA(r2, NBT_SFMA(r2, c, b), a); /* P(r) = a + b r^2 + c r^4 */
    float y = NBT_SFMA(r2, p, r) + 1.0f;
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    int32_t ni = (int32_t)(tb - 0x4B400000u), n1 = ni / 2, n2 = ni - n1;
    uint32_t b1 = (uint32_t)(n1 + 127) << 23, b2 = (uint32_t)(n2 + 127) << 23;
    float e1, e2;
    memcpy(&e1, &b1, sizeof e1), memcpy(&e2, &b2, sizeof e2);
    return y * e1 * e2;
}

/* e^x in f64: the C library's (the f64 kernels keep libm's accuracy) */
static inline double nbt_vexp(double x) { return exp(x); }

#endif
