/* rnn_gates.h — the gate functions of the recurrent kernels (rnn_template.h): sigmoid and tanh. The f32
 * ones are branch-free (integer-mask and ?: selects of values computed either way) so that a loop over
 * them becomes SIMD code, within ~3 ulp; the f64 ones keep the C library's accuracy. */
#ifndef NBT_RNN_GATES_H
#define NBT_RNN_GATES_H
#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^x in f32 within ~1 ulp of expf: 0 below -104, inf above 88.72, NaN stays NaN; branch-free.
 * The same polynomial as the shared nbt_vexpf (tensor/nbt_vexp.h, softmax's) once that header is on
 * main this one is replaced by it. */
static inline float nbt_rnn_expf(float x) {
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

/* sigmoid(v) = 1 / (1 + e^-v) in f32 (e^-v = inf gives 0, NaN stays NaN) */
static inline float nbt_rnn_sigmf(float v) { return 1.0f / (1.0f + nbt_rnn_expf(-v)); }

/* tanh(v) in f32: sign(v) times |v| P(v^2) (the Taylor series to v^17) for |v| < 0.625, else
 * 1 - 2 / (1 + e^2|v|) (e^2|v| = inf gives 1); the two are merged with an integer select (vectorizes) */
static inline float nbt_rnn_tanhf(float v) {
    uint32_t vb, sb, qb;
    memcpy(&vb, &v, sizeof vb);
    uint32_t sign = vb & 0x80000000u, ab = vb & 0x7fffffffu, use = 0u - (uint32_t)(ab < 0x3F200000u);
    float a, x2 = v * v;
    memcpy(&a, &ab, sizeof a);
    float q = 1.0f - 2.0f / (1.0f + nbt_rnn_expf(2.0f * a));
    float s = 5.900274264e-04f; /* the series' coefficients of v^17 down to v^3, rounded to f32 */
    s = s * x2 - 1.455834368e-03f;
    s = s * x2 + 3.592127934e-03f;
    s = s * x2 - 8.863235824e-03f;
    s = s * x2 + 2.186948806e-02f;
    s = s * x2 - 5.396825448e-02f;
    s = s * x2 + 1.333333403e-01f;
    s = s * x2 - 3.333333433e-01f;
    float small = a + a * x2 * s;
    memcpy(&sb, &small, sizeof sb);
    memcpy(&qb, &q, sizeof qb);
    sb = (sb & use) | (qb & ~use) | sign; /* tanh(-v) = -tanh(v), -0 included */
    memcpy(&q, &sb, sizeof q);
    return q;
}

/* sigmoid and tanh in f64: the C library's exp and tanh, no cancellation for either sign */
static inline double nbt_rnn_sigm(double v) { return v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v)); }
static inline double nbt_rnn_tanh(double v) { return tanh(v); }

#endif
