/* rnn_gates.h — the gate functions of the recurrent kernels (rnn_template.h): sigmoid and tanh. The f32
 * ones are branch-free (on the shared nbt_vexpf, with integer-mask selects) so that a loop over them
 * becomes SIMD code, within 3 ulp; the f64 ones keep the C library's accuracy. */
#ifndef NBT_RNN_GATES_H
#define NBT_RNN_GATES_H
#include "nbt_vexp.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

/* sigmoid(v) = 1 / (1 + e^-v) in f32 (e^-v = inf gives 0, NaN stays NaN) */
static inline float nbt_rnn_sigmf(float v) { return 1.0f / (1.0f + nbt_vexpf(-v)); }

/* tanh(v) in f32: sign(v) times |v| P(v^2) (the Taylor series to v^17) for |v| < 0.625, else
 * 1 - 2 / (1 + e^2|v|) (e^2|v| = inf gives 1); the two are merged with an integer select (vectorizes) */
static inline float nbt_rnn_tanhf(float v) {
    uint32_t vb, sb, qb;
    memcpy(&vb, &v, sizeof vb);
    uint32_t sign = vb & 0x80000000u, ab = vb & 0x7fffffffu, use = 0u - (uint32_t)(ab < 0x3F200000u);
    float a, x2 = v * v;
    memcpy(&a, &ab, sizeof a);
    float q = 1.0f - 2.0f / (1.0f + nbt_vexpf(2.0f * a));
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
