/* test_misuse_attention.c — misuse cases of include/nb_attention.h (scaled_dot_product_attention) and
 * nb_transformer.h (MultiheadAttention, the Transformer layers and stacks, the causal mask).
 * Harness: tests/misuse.h. */
#include "misuse.h"

static nb_tensor *Q3(int64_t a, int64_t b, int64_t c) { return nb_randn(NB_F32, NB_SHAPE(a, b, c)); }
static nb_module *MHA(void) { return mu_own_module(nb_multihead_attention_new(8, 2, (nb_mha_opts){ 0 })); }
static nb_tensor *X(void) { return Q3(4, 2, 8); } /* (L, N, E) */

/* ---- scaled_dot_product_attention ---- */
MU_N(nb_scaled_dot_product_attention, "NULL q",
     !nb_scaled_dot_product_attention(NULL, Q3(2, 3, 4), Q3(2, 3, 4), (nb_sdpa_opts){ 0 }))
MU_N(nb_scaled_dot_product_attention, "NULL v",
     !nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 4), NULL, (nb_sdpa_opts){ 0 }))
MU_E(nb_scaled_dot_product_attention, "E of q 4, of k 5",
     !nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 5), Q3(2, 3, 4), (nb_sdpa_opts){ 0 }))
MU_E(nb_scaled_dot_product_attention, "k and v of different S",
     !nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 4), Q3(2, 5, 4), (nb_sdpa_opts){ 0 }))
MU_E(nb_scaled_dot_product_attention, "mask (2, 2) for (3, 3)",
     !nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 4), Q3(2, 3, 4),
                                      (nb_sdpa_opts){ .attn_mask = nb_zeros(NB_F32, NB_SHAPE(2, 2)) }))
MU_E(nb_scaled_dot_product_attention, "f64 mask for f32 q",
     !nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 4), Q3(2, 3, 4),
                                      (nb_sdpa_opts){ .attn_mask = nb_zeros(NB_F64, NB_SHAPE(3, 3)) }))
MU_E(nb_scaled_dot_product_attention, "causal and a mask",
     !nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 4), Q3(2, 3, 4),
                                      (nb_sdpa_opts){ .attn_mask = nb_zeros(NB_F32, NB_SHAPE(3, 3)),
                                                      .is_causal = true }))
MU_E(nb_scaled_dot_product_attention, "dropout_p 1.5",
     !nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 4), Q3(2, 3, 4),
                                      (nb_sdpa_opts){ .dropout_p = 1.5 }))
MU_E(nb_scaled_dot_product_attention, "dropout_p NaN",
     !nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 4), Q3(2, 3, 4),
                                      (nb_sdpa_opts){ .dropout_p = NAN }))
MU_E(nb_scaled_dot_product_attention, "int64 q",
     !nb_scaled_dot_product_attention(nb_zeros(NB_I64, NB_SHAPE(2, 3, 4)), Q3(2, 3, 4), Q3(2, 3, 4),
                                      (nb_sdpa_opts){ 0 }))
MU_E(nb_scaled_dot_product_attention, "1-d q",
     !nb_scaled_dot_product_attention(nb_zeros(NB_F32, NB_SHAPE(4)), Q3(2, 3, 4), Q3(2, 3, 4),
                                      (nb_sdpa_opts){ 0 }))
MU_ERR(nb_scaled_dot_product_attention,
       "released k") { /* q, v made first: a later tensor may reuse k's slot */
    nb_tensor *q = Q3(2, 3, 4), *v = Q3(2, 3, 4);
    return !nb_scaled_dot_product_attention(q, mu_released(), v, (nb_sdpa_opts){ 0 });
}
MU_ERR(nb_scaled_dot_product_attention,
       "dropout over 2^32 x 2^32 weights (expanded views: nothing allocated)") {
    nb_tensor *e = nb_expand(nb_ones(NB_F32, NB_SHAPE(1, 1, 1)), 3, (int64_t[]){ 1, (int64_t)1 << 32, 1 });
    return !nb_scaled_dot_product_attention(e, e, e, (nb_sdpa_opts){ .dropout_p = 0.1 });
}
MU_G(nb_scaled_dot_product_attention, "dropout 0.2 (2, 3, 4)",
     nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 4), Q3(2, 3, 4),
                                     (nb_sdpa_opts){ .dropout_p = 0.2 }) != NULL)
MU_G(nb_scaled_dot_product_attention, "causal (2, 3, 4)",
     nb_scaled_dot_product_attention(Q3(2, 3, 4), Q3(2, 3, 4), Q3(2, 3, 4),
                                     (nb_sdpa_opts){ .is_causal = true }) != NULL)

/* ---- MultiheadAttention ---- */
MU_E(nb_multihead_attention_new, "embed_dim 7 not divisible by 2 heads",
     !mu_own_module(nb_multihead_attention_new(7, 2, (nb_mha_opts){ 0 })))
MU_E(nb_multihead_attention_new, "0 heads",
     !mu_own_module(nb_multihead_attention_new(8, 0, (nb_mha_opts){ 0 })))
MU_E(nb_multihead_attention_new, "negative embed_dim",
     !mu_own_module(nb_multihead_attention_new(-8, 2, (nb_mha_opts){ 0 })))
MU_E(nb_multihead_attention_new, "dropout 2",
     !mu_own_module(nb_multihead_attention_new(8, 2, (nb_mha_opts){ .dropout = 2 })))
MU_E(nb_multihead_attention_new, "negative kdim",
     !mu_own_module(nb_multihead_attention_new(8, 2, (nb_mha_opts){ .kdim = -3 })))
MU_N(nb_multihead_attention_forward, "NULL query",
     !nb_multihead_attention_forward(MHA(), NULL, NULL, NULL, NULL, NULL, (nb_mha_call_opts){ 0 }, NULL))
MU_E(nb_multihead_attention_forward, "NULL module",
     !nb_multihead_attention_forward(NULL, X(), X(), X(), NULL, NULL, (nb_mha_call_opts){ 0 }, NULL))
MU_E(nb_multihead_attention_forward, "a Linear for the module",
     !nb_multihead_attention_forward(mu_own_module(nb_linear_new(8, 8, true)), X(), X(), X(), NULL, NULL,
                                     (nb_mha_call_opts){ 0 }, NULL))
MU_E(nb_multihead_attention_forward, "query of 6 features",
     !nb_multihead_attention_forward(MHA(), Q3(4, 2, 6), NULL, NULL, NULL, NULL, (nb_mha_call_opts){ 0 },
                                     NULL))
MU_E(nb_multihead_attention_forward, "key_padding_mask (2, 3) for S 4",
     !nb_multihead_attention_forward(MHA(), X(), X(), X(), nb_zeros(NB_I64, NB_SHAPE(2, 3)), NULL,
                                     (nb_mha_call_opts){ 0 }, NULL))
MU_E(nb_multihead_attention_forward, "attn_mask (3, 3) for (4, 4)",
     !nb_multihead_attention_forward(MHA(), X(), X(), X(), NULL, nb_zeros(NB_F32, NB_SHAPE(3, 3)),
                                     (nb_mha_call_opts){ 0 }, NULL))
MU_E(nb_multihead_attention_forward, "4-d query",
     !nb_multihead_attention_forward(MHA(), nb_zeros(NB_F32, NB_SHAPE(1, 4, 2, 8)), NULL, NULL, NULL, NULL,
                                     (nb_mha_call_opts){ 0 }, NULL))
MU_G(nb_multihead_attention_forward, "self-attention (4, 2, 8)",
     nb_multihead_attention_forward(MHA(), X(), X(), X(), NULL, NULL, (nb_mha_call_opts){ 0 }, NULL) != NULL)

/* ---- Transformer layers and stacks ---- */
MU_E(nb_transformer_encoder_layer_new, "d_model 7 for 2 heads",
     !mu_own_module(nb_transformer_encoder_layer_new(7, 2, (nb_transformer_opts){ 0 })))
MU_E(nb_transformer_encoder_layer_new, "0 heads",
     !mu_own_module(nb_transformer_encoder_layer_new(8, 0, (nb_transformer_opts){ 0 })))
MU_E(nb_transformer_encoder_layer_new, "negative dim_feedforward",
     !mu_own_module(nb_transformer_encoder_layer_new(8, 2, (nb_transformer_opts){ .dim_feedforward = -1 })))
MU_E(nb_transformer_decoder_layer_new, "d_model 7 for 2 heads",
     !mu_own_module(nb_transformer_decoder_layer_new(7, 2, (nb_transformer_opts){ 0 })))
MU_E(nb_transformer_decoder_layer_new, "0 heads",
     !mu_own_module(nb_transformer_decoder_layer_new(8, 0, (nb_transformer_opts){ 0 })))
MU_E(nb_transformer_encoder_new, "NULL layer", !mu_own_module(nb_transformer_encoder_new(NULL, 2, NULL)))
MU_E(nb_transformer_encoder_new, "a MultiheadAttention for the layer",
     !mu_own_module(nb_transformer_encoder_new(nb_multihead_attention_new(8, 2, (nb_mha_opts){ 0 }), 2,
                                               NULL)))
MU_E(nb_transformer_encoder_new, "-1 layers",
     !mu_own_module(nb_transformer_encoder_new(
         nb_transformer_encoder_layer_new(8, 2, (nb_transformer_opts){ .dim_feedforward = 16 }), -1, NULL)))
MU_E(nb_transformer_decoder_new, "NULL layer", !mu_own_module(nb_transformer_decoder_new(NULL, 2, NULL)))
MU_E(nb_transformer_decoder_new, "an encoder layer for the decoder",
     !mu_own_module(nb_transformer_decoder_new(
         nb_transformer_encoder_layer_new(8, 2, (nb_transformer_opts){ .dim_feedforward = 16 }), 2, NULL)))
MU_E(nb_transformer_new, "d_model 7 for 2 heads",
     !mu_own_module(nb_transformer_new(7, 2, 1, 1, (nb_transformer_opts){ 0 })))
MU_E(nb_transformer_new, "-2 encoder layers",
     !mu_own_module(nb_transformer_new(8, 2, -2, 1, (nb_transformer_opts){ .dim_feedforward = 16 })))
MU_E(nb_generate_square_subsequent_mask, "negative size", !nb_generate_square_subsequent_mask(-1, NB_F32))
MU_E(nb_generate_square_subsequent_mask, "int64 dtype", !nb_generate_square_subsequent_mask(3, NB_I64))
MU_E(nb_generate_square_subsequent_mask, "unknown dtype",
     !nb_generate_square_subsequent_mask(3, (nb_dtype)77))
MU_G(nb_generate_square_subsequent_mask, "size 3", nb_generate_square_subsequent_mask(3, NB_F32) != NULL)
