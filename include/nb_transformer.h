/* nb_transformer.h — torch.nn.MultiheadAttention and the Transformer modules (nn/layers_attention.c,
 * nn/layers_transformer.c): parameter names, order and initialisation as torch 1.13 (bit-equal after
 * the same seed), forward as torch 1.13's multi_head_attention_forward (softmax(q / sqrt(d) k^T + mask),
 * dropout, @ v), so a torch state dict loads and predicts the same. Masks: a "bool" mask is an i64
 * tensor (nonzero = True = not allowed to attend; nabla has no bool dtype), a float mask (f32 or f64,
 * rounded to the query's dtype as torch's baddbmm does) is added to the scores. docs/transformer.md.
 *
 *   nb_module *mha = nb_multihead_attention_new(16, 4, (nb_mha_opts){ .batch_first = true });
 *   nb_tensor *w, *y = nb_multihead_attention_forward(mha, x, x, x, NULL, causal, (nb_mha_call_opts){0}, &w);
 */
#ifndef NB_TRANSFORMER_H
#define NB_TRANSFORMER_H

#include "nb_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Keyword arguments of nn.MultiheadAttention; zero means torch's default. */
typedef struct {
    double dropout;     /* on the attention weights, in train mode (0) */
    bool no_bias;       /* torch bias=False: no in_proj_bias, out_proj without bias */
    bool add_bias_kv;   /* bias_k, bias_v (1, 1, E) appended to the keys and values */
    bool add_zero_attn; /* a zero key and value appended after the projections */
    int64_t kdim, vdim; /* key / value feature sizes (0 = embed_dim); different ones give q/k/v_proj_weight */
    bool batch_first;   /* inputs and output (N, L, E) instead of (L, N, E) */
} nb_mha_opts;
/* nn.MultiheadAttention(embed_dim, num_heads, ...): in_proj_weight (3E, E) (or q_proj_weight (E, E),
 * k_proj_weight (E, kdim), v_proj_weight (E, vdim)) ~ xavier_uniform, in_proj_bias (3E) = 0, out_proj
 * (a Linear drawn first, then its bias zeroed), bias_k / bias_v ~ xavier_normal. embed_dim must be
 * divisible by num_heads. */
nb_module *nb_multihead_attention_new(int64_t embed_dim, int64_t num_heads, nb_mha_opts o);
/* Keyword arguments of a MultiheadAttention call; zero means torch's default. */
typedef struct {
    bool no_need_weights;         /* torch need_weights=False: *attn_weights = NULL */
    bool no_average_attn_weights; /* torch average_attn_weights=False: weights per head (N, H, L, S) */
} nb_mha_call_opts;
/* attn_output = mha(query, key, value, key_padding_mask, attn_mask): query (L, N, E) ((N, L, E) with
 * batch_first, or unbatched (L, E)), key (S, N, kdim), value (S, N, vdim) (key / value NULL: the query);
 * key_padding_mask (N, S) or (S) and attn_mask (L, S) or (N*H, L, S), bool (i64) or float, may be NULL.
 * *attn_weights (if attn_weights is not NULL) = the softmax weights averaged over heads (N, L, S) or per
 * head (N, H, L, S), after dropout as in torch. Returns NULL on error. */
nb_tensor *nb_multihead_attention_forward(nb_module *m, nb_tensor *query, nb_tensor *key, nb_tensor *value,
                                          nb_tensor *key_padding_mask, nb_tensor *attn_mask,
                                          nb_mha_call_opts o, nb_tensor **attn_weights);

/* Keyword arguments of the Transformer layers; zero means torch's default. */
typedef struct {
    int64_t dim_feedforward; /* 0 = 2048 */
    double dropout;          /* 0 = 0.1; NB_ZERO (-0.0) = no dropout */
    bool gelu;               /* activation "gelu" (exact erf form) instead of "relu" */
    double layer_norm_eps;   /* 0 = 1e-5 */
    bool batch_first;        /* (N, L, E) instead of (L, N, E) */
    bool norm_first;         /* pre-norm: x + sa(norm1(x)) instead of norm1(x + sa(x)) */
} nb_transformer_opts;
/* nn.TransformerEncoderLayer(d_model, nhead, ...): children self_attn, linear1, dropout, linear2, norm1,
 * norm2, dropout1, dropout2 (torch's names). Forward inputs (src, src_mask, src_key_padding_mask). */
nb_module *nb_transformer_encoder_layer_new(int64_t d_model, int64_t nhead, nb_transformer_opts o);
/* nn.TransformerDecoderLayer(d_model, nhead, ...): self_attn, multihead_attn, linear1, dropout, linear2,
 * norm1..3, dropout1..3. Forward inputs (tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
 * memory_key_padding_mask). */
nb_module *nb_transformer_decoder_layer_new(int64_t d_model, int64_t nhead, nb_transformer_opts o);
/* nn.TransformerEncoder(encoder_layer, num_layers, norm): layers.0 .. layers.{n-1} are copies of
 * encoder_layer (same weights, as torch's deepcopy; the copies draw no random numbers), then norm (a
 * LayerNorm, or NULL) on the output. Takes ownership of encoder_layer and norm (also on error). Forward
 * inputs (src, mask, src_key_padding_mask). */
nb_module *nb_transformer_encoder_new(nb_module *encoder_layer, int num_layers, nb_module *norm);
/* nn.TransformerDecoder(decoder_layer, num_layers, norm): the same with decoder layers. Forward inputs
 * (tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask). */
nb_module *nb_transformer_decoder_new(nb_module *decoder_layer, int num_layers, nb_module *norm);
/* nn.Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, ...): encoder (with a final
 * LayerNorm) and decoder (the same); then every parameter of 2 or more dims ~ xavier_uniform in
 * parameters() order, as torch's _reset_parameters. num_*_layers 0 means torch's 6. Forward inputs
 * (src, tgt, src_mask, tgt_mask, memory_mask, src_key_padding_mask, tgt_key_padding_mask,
 * memory_key_padding_mask); returns the decoder's output. */
nb_module *nb_transformer_new(int64_t d_model, int64_t nhead, int num_encoder_layers, int num_decoder_layers,
                              nb_transformer_opts o);
/* nn.Transformer.generate_square_subsequent_mask(sz): (sz, sz) of dtype dt, 0 on and below the
 * diagonal, -inf above (a float causal mask). */
nb_tensor *nb_generate_square_subsequent_mask(int64_t sz, nb_dtype dt);

#ifdef __cplusplus
}
#endif
#endif
