/* nbt_verf.h — an erf that vectorizes, for gelu, its backward and nb_erf in f32 (their loops run over
 * millions of activations; the C library's erff is a call per element): two polynomials in float,
 * branch-free; f64: the C library's erf. */
#ifndef NBT_VERF_H
#define NBT_VERF_H
#include "nbt_vexp.h"

/* erf(x) in f32, in float (8 lanes with AVX2, 16 with AVX-512), within 1 ulp of (float)erf((double)x) for
 * every input: over all 2^32, 29,626,164 differ, by one ulp, with FMA, and 126,518,252 without (glibc's erff:
 * 126,805,016). Odd bit for bit, erf(-0) = -0, NaN gives NaN, exactly +-1 from |x| = 0x1.f5a88ap+1
 * (3.9192059, the first float whose erf rounds to 1) on. |x| < 1: x + x t(z), z = x^2, with t = erf(x)/x - 1
 * = 2/sqrt(pi) - 1 + z Q(z), Q of degree 5 fitted for relative error 1.5e-9 (x + x t keeps tiny and subnormal
 * x accurate, where 2/sqrt(pi) as a float is 0.44 ulp off); 1 <= |x| < 3.92: 1 - erfc(x), erfc a degree-15
 * polynomial in the exact |x| - 2.5, fitted for absolute error 5e-10. Both computed and one selected on the
 * bits (integer selects: a floating compare would keep the loop scalar under -ftrapping-math). */
NBT_VINLINE float nbt_verff(float x) {
    uint32_t xb;
    memcpy(&xb, &x, sizeof xb);
    uint32_t sign = xb & 0x80000000u, ab = xb & 0x7FFFFFFFu;
    uint32_t one = 0u -
                   ((uint32_t)(ab >= 0x407AD445u) & (uint32_t)(ab <= 0x7F800000u)); /* 3.92 <= |x| <= inf */
    uint32_t below1 = 0u - (uint32_t)(ab < 0x3F800000u);
    ab = (ab & ~one) | (0x407AD445u & one); /* clamped: the polynomials never see an infinity; NaN stays */
    float a;
    memcpy(&a, &ab, sizeof a);
    float z = a * a, t = 7.842549e-05f;
    t = NBT_SFMA(t, z, -8.0093986e-04f);
    t = NBT_SFMA(t, z, 0.0051885983f);
    t = NBT_SFMA(t, z, -0.026854202f);
    t = NBT_SFMA(t, z, 0.11283603f);
    t = NBT_SFMA(t, z, -0.3761263f);
    t = NBT_SFMA(t, z, 0.1283791670955126f); /* 2/sqrt(pi) - 1 */
    float v = a - 2.5f, q = 3.5865273e-07f;  /* exact for a in [1, 4] */
    q = NBT_SFMA(q, v, -8.845251e-07f);
    q = NBT_SFMA(q, v, -3.5201165e-06f);
    q = NBT_SFMA(q, v, 1.5678625e-05f);
    q = NBT_SFMA(q, v, -7.577898e-06f);
    q = NBT_SFMA(q, v, -8.09857e-05f);
    q = NBT_SFMA(q, v, 2.5314357e-04f);
    q = NBT_SFMA(q, v, -2.588894e-04f);
    q = NBT_SFMA(q, v, -5.442996e-04f);
    q = NBT_SFMA(q, v, 0.002797667f);
    q = NBT_SFMA(q, v, -0.006116687f);
    q = NBT_SFMA(q, v, 0.008622567f);
    q = NBT_SFMA(q, v, -0.0083501935f);
    q = NBT_SFMA(q, v, 0.005445693f);
    q = NBT_SFMA(q, v, -0.0021782795f);
    q = NBT_SFMA(q, v, 4.0695228e-04f);
    float small = NBT_SFMA(a, t, a), large = 1.0f - q; /* both, then the select */
    uint32_t sb, lb;
    memcpy(&sb, &small, sizeof sb), memcpy(&lb, &large, sizeof lb);
    uint32_t rb = (((sb & below1) | (lb & ~below1)) & ~one) | (0x3F800000u & one) | sign;
    float r;
    memcpy(&r, &rb, sizeof r);
    return r;
}

/* erf in f64: the C library's (the f64 kernels keep libm's accuracy) */
static inline double nbt_verf(double x) { return erf(x); }

#endif
