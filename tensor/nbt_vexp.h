/* nbt_vexp.h — an e^x that vectorizes, for the kernels whose inner loop is an exponential (softmax,
 * log_softmax and their backward, fused attention, the recurrent gates). f32: range reduction and polynomial in
 * double, branch-free so that a loop over it becomes SIMD code; f64: the C library's exp. */
#ifndef NBT_VEXP_H
#define NBT_VEXP_H
#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^x in f32, correctly rounded but for ~1 in 60 million inputs (36 of the 2.2e9 floats in [-110, 90] differ
 * from (float)exp((double)x); glibc's expf differs for 170,648): the reduction and the polynomial run in double,
 * then one rounding to float, subnormal results included. 0 below -104 and for -inf, inf above 88.72, NaN stays
 * NaN. Branch-free (integer-mask selects) so that loops over it vectorize; special inputs are replaced by 0
 * before the arithmetic, and 2^n is built from the bits of the rounded double, so no conversion ever sees NaN,
 * an infinity or an out-of-range value. */
static inline float nbt_vexpf(float x) {
    uint32_t xb, yb;
    memcpy(&xb, &x, sizeof xb);
    uint32_t ax = xb & 0x7fffffffu, neg = xb >> 31, isnan_ = (uint32_t)(ax > 0x7f800000u);
    uint32_t nan = 0u - isnan_;
    uint32_t tiny = 0u - (neg & (uint32_t)(ax > 0x42D00000u) & (isnan_ ^ 1u));       /* x < -104 */
    uint32_t big = 0u - ((neg ^ 1u) & (uint32_t)(ax > 0x42B17217u) & (isnan_ ^ 1u)); /* x > 88.72 */
    uint32_t xcb = xb & ~(tiny | big | nan);
    float xc, y;
    memcpy(&xc, &xcb, sizeof xc);
    double xd = xc;
    double t = xd * 1.4426950408889634 + 6755399441055744.0; /* 1.5 * 2^52: n = nearest integer to x / ln 2 */
    double n = t - 6755399441055744.0;
    double r = (xd - n * 0.6931471805598903) -
               n * 5.497923018708371e-14; /* x - n ln 2 (ln 2 split hi + lo) */
    double p = 2.7557319223985893e-07;    /* e^r: Taylor to r^10 (|r| <= 0.347: error < 1e-11) */
    p = p * r + 2.7557319223985888e-06;
    p = p * r + 2.4801587301587302e-05;
    p = p * r + 1.9841269841269841e-04;
    p = p * r + 1.3888888888888889e-03;
    p = p * r + 8.3333333333333332e-03;
    p = p * r + 4.1666666666666664e-02;
    p = p * r + 1.6666666666666666e-01;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t tb, eb;
    memcpy(&tb, &t, sizeof tb);
    eb = (tb - 0x4338000000000000u + 1023u) << 52; /* 2^n, n in [-150, 128] */
    double e;
    memcpy(&e, &eb, sizeof e);
    y = (float)(p * e);
    memcpy(&yb, &y, sizeof yb);
    yb = (yb & ~(tiny | big | nan)) | (0x7f800000u & big) | (xb & nan);
    memcpy(&y, &yb, sizeof y);
    return y;
}

/* e^x in f64: the C library's (the f64 kernels keep libm's accuracy) */
static inline double nbt_vexp(double x) { return exp(x); }

#endif
