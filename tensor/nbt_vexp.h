/* nbt_vexp.h — an e^x that vectorizes, for the kernels whose inner loop is an exponential (softmax,
 * log_softmax and their backward, fused attention). f32: Cephes' expf polynomial (~1 ulp of expf), branch-free
 * so that a loop over it becomes SIMD code; f64: the C library's exp. */
#ifndef NBT_VEXP_H
#define NBT_VEXP_H
#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^x in f32 within ~1 ulp of expf, subnormal results included: 0 below -104 and for -inf, inf above 88.72,
 * NaN stays NaN. Branch-free (integer-mask selects) so that loops over it vectorize; special inputs are
 * replaced by 0 before the arithmetic, so no conversion ever sees NaN, an infinity or an out-of-range value. */
static inline float nbt_vexpf(float x) {
    uint32_t xb, yb;
    memcpy(&xb, &x, sizeof xb);
    uint32_t ax = xb & 0x7fffffffu, neg = xb >> 31, isnan_ = (uint32_t)(ax > 0x7f800000u);
    uint32_t nan = 0u - isnan_;
    uint32_t tiny = 0u - (neg & (uint32_t)(ax > 0x42D00000u) & (isnan_ ^ 1u));       /* x < -104 */
    uint32_t big = 0u - ((neg ^ 1u) & (uint32_t)(ax > 0x42B17217u) & (isnan_ ^ 1u)); /* x > 88.72 */
    uint32_t xcb = xb & ~(tiny | big | nan);
    float xc, e1, e2, y;
    memcpy(&xc, &xcb, sizeof xc);
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* nearest integer to x / ln 2 */
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;              /* x - n ln 2, |r| <= ln 2 / 2 */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t ni = (int32_t)n, n1 = ni / 2, n2 = ni - n1; /* n in [-150, 128]: both halves normal powers of 2 */
    uint32_t b1 = (uint32_t)(n1 + 127) << 23, b2 = (uint32_t)(n2 + 127) << 23;
    memcpy(&e1, &b1, sizeof e1);
    memcpy(&e2, &b2, sizeof e2);
    y = p * e1 * e2;
    memcpy(&yb, &y, sizeof yb);
    yb = (yb & ~(tiny | big | nan)) | (0x7f800000u & big) | (xb & nan);
    memcpy(&y, &yb, sizeof y);
    return y;
}

/* e^x in f64: the C library's (the f64 kernels keep libm's accuracy) */
static inline double nbt_vexp(double x) { return exp(x); }

#endif
