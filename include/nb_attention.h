/* nb_attention.h — F.scaled_dot_product_attention (torch 2.x semantics): one public op with a fused
 * block-wise kernel (flash-attention style, no L x S matrix kept for backward) and the composed
 * differentiable path it falls back to (dropout, a float mask that requires grad). docs/attention.md. */
#ifndef NB_ATTENTION_H
#define NB_ATTENTION_H

#include "nb_tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    /* NULL, "bool" (dtype i64: non-zero = take part, zero = masked out) or float of the query's dtype
     * (added to the scores); broadcasts to (..., L, S). nabla has no bool dtype: i64 plays torch's bool. */
    const nb_tensor *attn_mask;
    double dropout_p; /* 0 = no dropout; drawn from the default generator like nb_dropout (torch.dropout) */
    bool is_causal;   /* lower-triangular mask (L, S) aligned top-left as torch 2.x; error with attn_mask */
    double scale;     /* 0 = 1/sqrt(E); NB_ZERO an explicit 0 */
} nb_sdpa_opts;

/* softmax(q k^T * scale + mask) v : q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev);
 * batch dims of q, k, v and the mask broadcast. A row with every key masked out gives NaN (torch's math). */
nb_tensor *nb_scaled_dot_product_attention(nb_tensor *q, nb_tensor *k, nb_tensor *v, nb_sdpa_opts o);

#ifdef __cplusplus
}
#endif
#endif
