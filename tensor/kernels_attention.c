/* kernels_attention.c — fused scaled-dot-product attention for f32 and f64 (the per-dtype part, attention_template.h,
 * is included once per dtype). Forward: OpenMP over (batch, query block), each block sweeps the key blocks
 * with a running max and sum; backward: OpenMP over batches, each batch sweeps key blocks then query
 * blocks in a fixed order, so every sum has one order whatever the thread count. Block products use the
 * packed GEMM (gemm.h), which runs single-threaded inside these regions. */
#include "gemm.h"
#include "nb_kernels_attention.h"
#include "nbt_vexp.h"

#include <math.h>
#include <stdlib.h>

#define NBT_ATT_BR 64        /* query rows per block */
#define NBT_ATT_BR_CAUSAL 32 /* query rows per block under a causal mask */
/* key columns per block (128: fewer, larger block products than 64, ~4% faster here) */
#define NBT_ATT_BC 128
/* query rows per backward piece whose rows see the whole key block (at least NBT_ATT_BR): 128 against 64,
 * causal fwd+bwd at (8, 8, 256, 64) 22.7 against 24.7 ms (the mean of 3 sets of interleaved runs, each the
 * best of 6-8), the full case unchanged (34.6 against 34.8) */
#define NBT_ATT_BR_BW 128

#define T float
#define TI int32_t
#define SUF f32
#define GEMM nbt_sgemm
#define EXP nbt_expf_fast
#include "attention_template.h"
#undef T
#undef TI
#undef SUF
#undef GEMM
#undef EXP
#define T double
#define TI int64_t
#define SUF f64
#define GEMM nbt_dgemm
#define EXP nbt_vexp
#include "attention_template.h"
#undef T
#undef TI
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
