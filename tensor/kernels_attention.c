/* kernels_attention.c — fused scaled-dot-product attention for f32 and f64 (the per-dtype part, attention_template.h,
 * is included once per dtype). Forward: OpenMP over (batch, query block), each block sweeps the key blocks
 * with a running max and sum; backward: OpenMP over batches, each batch sweeps key blocks then query
 * blocks in a fixed order, so every sum has one order whatever the thread count. Block products use the
 * packed GEMM (gemm.h), which runs single-threaded inside these regions. */
#include "gemm.h"
#include "nb_kernels_attention.h"

#include <math.h>
#include <stdlib.h>

#define NBT_ATT_BR 64 /* query rows per block */
#define NBT_ATT_BC 64 /* key columns per block */

/* e^x for x <= ~88 in f32 (Cephes' expf polynomial, ~1 ulp), branch-free so that loops over it
 * vectorize: 0 below -87.3 (and for -inf), NaN stays NaN. The selects are integer masks and the integer
 * part comes from the float rounding trick, so no float-to-int conversion of NaN or -inf happens. */
static inline float nbt_att_expf(float x) {
    uint32_t xb, tb, eb, yb;
    memcpy(&xb, &x, sizeof xb);
    uint32_t ax = xb & 0x7fffffffu;
    /* all ones when x < -87.3 (including -inf) and x is not NaN: the result is then 0 */
    uint32_t small = 0u - ((xb >> 31) & (uint32_t)(ax > 0x42AE999Au) & (uint32_t)(ax <= 0x7f800000u));
    uint32_t xcb = (xb & ~small) | (0xC2AE999Au & small); /* clamped to -87.3 */
    float xc, e, y;
    memcpy(&xc, &xcb, sizeof xc);
    float t = xc * 1.44269504088896341f + 12582912.0f; /* 1.5 * 2^23: round to nearest integer n */
    float n = t - 12582912.0f;
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    memcpy(&tb, &t, sizeof tb);
    eb = (tb - 0x4B400000u + 127u) << 23; /* 2^n for n in [-126, 127] */
    memcpy(&e, &eb, sizeof e);
    y = p * e;
    memcpy(&yb, &y, sizeof yb);
    yb &= ~small;
    memcpy(&y, &yb, sizeof y);
    return y;
}
static inline double nbt_att_exp(double x) { return exp(x); }

#define T float
#define SUF f32
#define GEMM nbt_sgemm
#define EXP nbt_att_expf
#include "attention_template.h"
#undef T
#undef SUF
#undef GEMM
#undef EXP
#define T double
#define SUF f64
#define GEMM nbt_dgemm
#define EXP nbt_att_exp
#include "attention_template.h"
#undef T
#undef SUF
#undef GEMM
#undef EXP

nb_status nbt_attn_forward(const nbt_attn_shape *sh, const nb_tensor *q, const nb_tensor *k,
                           const nb_tensor *v, const nb_tensor *bias, nb_tensor *o, nb_tensor *lse) {
    if ((double)sh->nb * (double)sh->L * (double)sh->S >= NBT_PAR_MIN) nbt_threads_check();
    return q->dtype == NB_F32 ? attn_fw_f32(sh, q, k, v, bias, o, lse)
                              : attn_fw_f64(sh, q, k, v, bias, o, lse);
}

nb_status nbt_attn_backward(const nbt_attn_shape *sh, const nb_tensor *q, const nb_tensor *k,
                            const nb_tensor *v, const nb_tensor *bias, const nb_tensor *o,
                            const nb_tensor *lse, const nb_tensor *dout, nb_tensor *dq, nb_tensor *dk,
                            nb_tensor *dv) {
    if ((double)sh->nb * (double)sh->L * (double)sh->S >= NBT_PAR_MIN) nbt_threads_check();
    return q->dtype == NB_F32 ? attn_bw_f32(sh, q, k, v, bias, o, lse, dout, dq, dk, dv)
                              : attn_bw_f64(sh, q, k, v, bias, o, lse, dout, dq, dk, dv);
}
