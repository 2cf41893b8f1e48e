/* nbt_verf.h — an erf that vectorizes, for gelu, its backward and nb_erf in f32 (their loops run over
 * millions of activations; the C library's erff is a call per element). The series or erfc's expansion in
 * double, branch-free, then one rounding to float; f64: the C library's erf. */
#ifndef NBT_VERF_H
#define NBT_VERF_H
#include "nbt_vexp.h"

/* erf(x) in f32, within 1 ulp of (float)erf((double)x) and equal to it for all but 152 of the 2^32 inputs
 * (checked exhaustively; glibc's erff differs for 126,805,016), the double value's error below 1e-11 relative. |x| < 1: x times the Taylor series of erf(x)/x to x^24;
 * 1 <= |x| <= 4: 1 - e^(-x^2) R(x) with R = erfc(x) e^(x^2) as a degree-17 fit on [1, 4] (Chebyshev nodes,
 * relative error 1.2e-12); |x| > 4 rounds to +-1 (erfc(4) = 1.5e-8 < half an ulp of 1). Both branches are
 * computed and one selected, so that a loop over it vectorizes; erf(-0) = -0, NaN gives NaN. */
NBT_VINLINE float nbt_verff(float x) {
    double d = x, a = fabs(d);
    /* the clamp to 4 and the branch select on the bits of a >= 0 (integer compares: a floating compare would
     * keep the loop scalar under -ftrapping-math); NaN stays NaN */
    uint64_t ab;
    memcpy(&ab, &a, sizeof ab);
    uint64_t big = 0u -
                   (uint64_t)((ab > 0x4010000000000000u) & (ab <= 0x7FF0000000000000u)); /* 4 < a <= inf */
    ab = (ab & ~big) | (0x4010000000000000u & big);
    uint64_t below1 = 0u - (uint64_t)(ab < 0x3FF0000000000000u);
    memcpy(&a, &ab, sizeof a);
    double z = a * a, s = 9.422759064650411e-11;
    s = NBT_DFMA(s, z, -1.2290555301717928e-09);
    s = NBT_DFMA(s, z, 1.4807192815879218e-08);
    s = NBT_DFMA(s, z, -1.6365844691234924e-07);
    s = NBT_DFMA(s, z, 1.6462114365889248e-06);
    s = NBT_DFMA(s, z, -1.492565035840625e-05);
    s = NBT_DFMA(s, z, 0.00012055332981789664);
    s = NBT_DFMA(s, z, -0.0008548327023450853);
    s = NBT_DFMA(s, z, 0.005223977625442188);
    s = NBT_DFMA(s, z, -0.026866170645131252);
    s = NBT_DFMA(s, z, 0.11283791670955126);
    s = NBT_DFMA(s, z, -0.37612638903183754);
    s = NBT_DFMA(s, z, 1.1283791670955126);
    double u = (a - 2.5) * (1.0 / 1.5), r = -7.433268991301793e-08; /* u in [-1, 1] on [1, 4] */
    r = NBT_DFMA(r, u, 2.1959008198330922e-07);
    r = NBT_DFMA(r, u, -3.210891925919119e-07);
    r = NBT_DFMA(r, u, 9.346524108874137e-07);
    r = NBT_DFMA(r, u, -3.222266980816025e-06);
    r = NBT_DFMA(r, u, 8.900879958197291e-06);
    r = NBT_DFMA(r, u, -2.3559423199938905e-05);
    r = NBT_DFMA(r, u, 6.246462656179667e-05);
    r = NBT_DFMA(r, u, -0.00016203181717231816);
    r = NBT_DFMA(r, u, 0.0004091252804659035);
    r = NBT_DFMA(r, u, -0.001005826747650728);
    r = NBT_DFMA(r, u, 0.002403639721303226);
    r = NBT_DFMA(r, u, -0.005570706772589166);
    r = NBT_DFMA(r, u, 0.012489374662746336);
    r = NBT_DFMA(r, u, -0.027005296630603543);
    r = NBT_DFMA(r, u, 0.056110493415384696);
    r = NBT_DFMA(r, u, -0.11152102018526214);
    r = NBT_DFMA(r, u, 0.2108063640613273);
    double small = a * s, large = 1 - nbt_vexp_core(-z) * r; /* both, then the select */
    uint64_t sb, lb;
    memcpy(&sb, &small, sizeof sb), memcpy(&lb, &large, sizeof lb);
    sb = (sb & below1) | (lb & ~below1);
    double e;
    memcpy(&e, &sb, sizeof e);
    return (float)copysign(e, d);
}

/* erf in f64: the C library's (the f64 kernels keep libm's accuracy) */
static inline double nbt_verf(double x) { return erf(x); }

#endif
