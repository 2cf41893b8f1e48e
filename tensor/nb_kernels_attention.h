/* nb_kernels_attention.h — raw kernels of fused scaled-dot-product attention (kernels_attention.c):
 * a block-wise forward with running row max and sum that keeps only the output and each row's
 * logsumexp, and a backward that recomputes the probabilities block by block (FlashAttention-2). */
#ifndef NB_KERNELS_ATTENTION_H
#define NB_KERNELS_ATTENTION_H

#include "nb_internal.h"

/* Geometry: nb batches (batch x heads, flattened) of q (L, E), k (S, E), v (S, Ev), all contiguous.
 * An optional additive bias is read at bias_off[b] + i * bias_rs + j * bias_cs (elements, strides may
 * be 0: a broadcast mask is never copied); causal masks j > i (top-left aligned, as torch 2.x). */
typedef struct {
    int64_t nb, L, S, E, Ev;
    double scale;
    bool causal;
    const int64_t *bias_off; /* nb offsets into the bias tensor's data, or NULL without a bias */
    int64_t bias_rs, bias_cs;
    const uint8_t *keep; /* dropout: nb x L x S bytes, 1 where a probability is kept; NULL: no dropout */
    double drop_scale;   /* what a kept probability is multiplied by: 1 / (1 - dropout_p) */
} nbt_attn_shape;

/* o = dropout(softmax(q k^T scale + bias)) v (nb, L, Ev), dropout multiplying probability (b, i, j) by
 * keep[(b L + i) S + j] drop_scale when keep is set; lse (nb, L) = logsumexp of each score row (NaN for a
 * row with every key masked, whose output is NaN as torch's math gives). Bitwise equal at any threads. */
nb_status nbt_attn_forward(const nbt_attn_shape *sh, const nb_tensor *q, const nb_tensor *k,
                           const nb_tensor *v, const nb_tensor *bias, nb_tensor *o, nb_tensor *lse);
/* With P = exp(q k^T scale + bias - lse) recomputed per block, Z its dropout factors (keep drop_scale, or 1),
 * D = rowsum(do o): dv = (P Z)^T do, dS = P (Z do v^T - D), dq = scale dS k, dk = scale dS^T q. dq, dk, dv
 * are overwritten. */
nb_status nbt_attn_backward(const nbt_attn_shape *sh, const nb_tensor *q, const nb_tensor *k,
                            const nb_tensor *v, const nb_tensor *bias, const nb_tensor *o,
                            const nb_tensor *lse, const nb_tensor *dout, nb_tensor *dq, nb_tensor *dk,
                            nb_tensor *dv);

#endif
