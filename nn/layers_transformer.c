/* layers_transformer.c — nn.TransformerEncoderLayer / DecoderLayer, nn.TransformerEncoder / Decoder (copies
 * of one layer, as torch's deepcopy: the same starting weights) and nn.Transformer, with torch 1.13's
 * children names (so state dicts match key for key), draw order and forward (post- or pre-norm). */
#include "nb_transformer.h"
#include "nb_internal.h"
#include <math.h>
#include <stdlib.h>

typedef struct {
    int64_t d_model, nhead;
    nb_transformer_opts o; /* resolved: dim_feedforward, eps set; dropout NB_ZERO for 0 */
    bool decoder;
} layer_cfg;

enum { SA, LIN1, DROP, LIN2, NORM1, NORM2 }; /* encoder layer children; the decoder's differ (below) */
enum { D_SA, D_MHA, D_LIN1, D_DROP, D_LIN2, D_NORM1, D_NORM2, D_NORM3, D_DROP1, D_DROP2, D_DROP3 };

static const char *const ENC = "TransformerEncoderLayer", *const DEC = "TransformerDecoderLayer";

static void no_repr(const nb_module *m, char *b, size_t n) {
    (void)m;
    if (n) b[0] = 0;
}

static double dropout_p(double d) { return d == 0 && !signbit(d) ? 0.1 : d; }

static nb_tensor *act(const layer_cfg *c, nb_tensor *x) { return c->o.gelu ? nb_gelu(x) : nb_relu(x); }

/* self_attn / multihead_attn block: dropout_k(attn(x, mem, mem, masks)) */
static nb_tensor *attn_block(nb_module *attn, nb_module *drop, nb_tensor *x, nb_tensor *mem, nb_tensor *mask,
                             nb_tensor *kpm) {
    nb_tensor *y = nb_multihead_attention_forward(attn, x, mem, mem, kpm, mask,
                                                  (nb_mha_call_opts){ .no_need_weights = true }, NULL);
    return nb_module_forward(drop, y);
}

/* linear2(dropout(activation(linear1(x)))), then dropout_k */
static nb_tensor *ff_block(nb_module *m, const layer_cfg *c, int lin1, int drop, int lin2, int dropk,
                           nb_tensor *x) {
    nb_tensor *h = act(c, nb_module_forward(m->children[lin1], x));
    h = nb_module_forward(m->children[lin2], nb_module_forward(m->children[drop], h));
    return nb_module_forward(m->children[dropk], h);
}

static nb_tensor *enc_layer_run(nb_module *m, nb_tensor *x, nb_tensor *mask, nb_tensor *kpm) {
    const layer_cfg *c = m->impl;
    nb_module **ch = m->children;
    if (c->o.norm_first) {
        nb_tensor *n1 = nb_module_forward(ch[NORM1], x);
        x = nb_add(x, attn_block(ch[SA], ch[NORM2 + 1], n1, n1, mask, kpm));
        x = nb_add(x, ff_block(m, c, LIN1, DROP, LIN2, NORM2 + 2, nb_module_forward(ch[NORM2], x)));
    } else {
        x = nb_module_forward(ch[NORM1], nb_add(x, attn_block(ch[SA], ch[NORM2 + 1], x, x, mask, kpm)));
        x = nb_module_forward(ch[NORM2], nb_add(x, ff_block(m, c, LIN1, DROP, LIN2, NORM2 + 2, x)));
    }
    return x;
}

static nb_tensor *dec_layer_run(nb_module *m, nb_tensor *x, nb_tensor *mem, nb_tensor *tmask,
                                nb_tensor *mmask, nb_tensor *tkpm, nb_tensor *mkpm) {
    const layer_cfg *c = m->impl;
    nb_module **ch = m->children;
    if (!mem) return nb_error() ? NULL : nbt_error("nb_module_forward_ex: %s: memory is NULL", DEC);
    if (c->o.norm_first) {
        nb_tensor *n1 = nb_module_forward(ch[D_NORM1], x);
        x = nb_add(x, attn_block(ch[D_SA], ch[D_DROP1], n1, n1, tmask, tkpm));
        x = nb_add(x,
                   attn_block(ch[D_MHA], ch[D_DROP2], nb_module_forward(ch[D_NORM2], x), mem, mmask, mkpm));
        x = nb_add(x, ff_block(m, c, D_LIN1, D_DROP, D_LIN2, D_DROP3, nb_module_forward(ch[D_NORM3], x)));
    } else {
        x = nb_module_forward(ch[D_NORM1], nb_add(x, attn_block(ch[D_SA], ch[D_DROP1], x, x, tmask, tkpm)));
        x = nb_module_forward(ch[D_NORM2],
                              nb_add(x, attn_block(ch[D_MHA], ch[D_DROP2], x, mem, mmask, mkpm)));
        x = nb_module_forward(ch[D_NORM3], nb_add(x, ff_block(m, c, D_LIN1, D_DROP, D_LIN2, D_DROP3, x)));
    }
    return x;
}

/* in[i] or NULL when not given */
static nb_tensor *arg(int nin, nb_tensor *const *in, int i) { return i < nin ? in[i] : NULL; }

static bool nin_ok(const char *type, int nin, int max, const char *names) {
    if (nin >= 1 && nin <= max) return true;
    nbt_error("nb_module_forward_ex: %s takes 1 to %d inputs (%s), got %d", type, max, names, nin);
    return false;
}

static int one_out(nb_tensor *y, int nout, nb_tensor **out) {
    if (!y) return -1;
    (void)nout;
    out[0] = y;
    return 1;
}

static int enc_layer_fwd(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                         nb_tensor **out) {
    (void)opts;
    if (!nin_ok(ENC, nin, 3, "src, src_mask, src_key_padding_mask")) return -1;
    if (!in[0]) return -1;
    return one_out(enc_layer_run(m, in[0], arg(nin, in, 1), arg(nin, in, 2)), nout, out);
}

static int dec_layer_fwd(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                         nb_tensor **out) {
    (void)opts;
    if (!nin_ok(DEC, nin, 6,
                "tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask"))
        return -1;
    if (!in[0]) return -1;
    return one_out(dec_layer_run(m, in[0], arg(nin, in, 1), arg(nin, in, 2), arg(nin, in, 3), arg(nin, in, 4),
                                 arg(nin, in, 5)),
                   nout, out);
}

/* register child under name; on failure frees it and returns false */
static bool add_child(nb_module *m, const char *name, nb_module *child) {
    if (!child) return false;
    if (nb_module_register_module(m, name, child) != NB_OK) {
        nb_module_free(child);
        return false;
    }
    return true;
}

static nb_module *layer_new(int64_t d, int64_t h, nb_transformer_opts o, bool dec, const char *fn) {
    if (d <= 0 || h <= 0)
        return nbt_error("%s: d_model and nhead must be positive (got %lld, %lld)", fn, (long long)d,
                         (long long)h);
    if (d % h)
        return nbt_error("%s: embed_dim must be divisible by num_heads (d_model %lld, nhead %lld)", fn,
                         (long long)d, (long long)h);
    double p = dropout_p(o.dropout);
    if (!(p >= 0 && p <= 1))
        return nbt_error("%s: dropout probability has to be between 0 and 1, but got %g", fn, p);
    if (o.dim_feedforward < 0 || o.layer_norm_eps < 0)
        return nbt_error("%s: dim_feedforward and layer_norm_eps must be positive (got %lld, %g)", fn,
                         (long long)o.dim_feedforward, o.layer_norm_eps);
    layer_cfg *c = calloc(1, sizeof *c);
    if (!c) return nbt_error("%s: out of memory", fn);
    *c = (layer_cfg){ d, h, o, dec };
    c->o.dim_feedforward = o.dim_feedforward ? o.dim_feedforward : 2048;
    c->o.layer_norm_eps = o.layer_norm_eps ? o.layer_norm_eps : 1e-5;
    c->o.dropout = p == 0 ? NB_ZERO : p;
    nb_module *m = nb_module_new_ex(dec ? DEC : ENC, dec ? dec_layer_fwd : enc_layer_fwd, c, free);
    if (!m) {
        free(c);
        return NULL;
    }
    m->extra_repr = no_repr;
    nb_mha_opts ao = { .dropout = p, .batch_first = o.batch_first };
    int64_t ff = c->o.dim_feedforward;
    double eps = c->o.layer_norm_eps;
    /* torch's __init__ order (the draws: attention(s), linear1, linear2) */
    bool ok = add_child(m, "self_attn", nb_multihead_attention_new(d, h, ao));
    if (ok && dec) ok = add_child(m, "multihead_attn", nb_multihead_attention_new(d, h, ao));
    ok = ok && add_child(m, "linear1", nb_linear_new(d, ff, true));
    ok = ok && add_child(m, "dropout", nb_dropout_new(p));
    ok = ok && add_child(m, "linear2", nb_linear_new(ff, d, true));
    ok = ok && add_child(m, "norm1", nb_layer_norm_new(1, &d, eps, true));
    ok = ok && add_child(m, "norm2", nb_layer_norm_new(1, &d, eps, true));
    if (dec) ok = ok && add_child(m, "norm3", nb_layer_norm_new(1, &d, eps, true));
    ok = ok && add_child(m, "dropout1", nb_dropout_new(p));
    ok = ok && add_child(m, "dropout2", nb_dropout_new(p));
    if (dec) ok = ok && add_child(m, "dropout3", nb_dropout_new(p));
    if (!ok) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}

nb_module *nb_transformer_encoder_layer_new(int64_t d_model, int64_t nhead, nb_transformer_opts o) {
    return layer_new(d_model, nhead, o, false, "nb_transformer_encoder_layer_new");
}
nb_module *nb_transformer_decoder_layer_new(int64_t d_model, int64_t nhead, nb_transformer_opts o) {
    return layer_new(d_model, nhead, o, true, "nb_transformer_decoder_layer_new");
}

/* copy.deepcopy(layer): a layer of the same configuration built without consuming random numbers (the
 * global generator's state is restored), then given layer's parameter values, dtype and mode */
static nb_module *clone_layer(nb_module *src, const char *fn) {
    const layer_cfg *c = src->impl;
    uint8_t *st = malloc(NB_RNG_STATE_SIZE);
    if (!st) return nbt_error("%s: out of memory", fn);
    nb_generator_get_state(nb_default_generator(), st);
    nb_module *m = layer_new(c->d_model, c->nhead, c->o, c->decoder, fn);
    nb_generator_set_state(nb_default_generator(), st, NB_RNG_STATE_SIZE);
    free(st);
    if (!m) return NULL;
    int ns = 0, nd = 0;
    nb_tensor **ps = nb_module_parameters(src, &ns);
    if (ns && nb_module_to(m, ps[0]->dtype) != NB_OK) {
        nb_module_free(m);
        return NULL;
    }
    nb_tensor **pd = nb_module_parameters(m, &nd);
    bool ok = ns == nd;
    NB_NO_GRAD {
        for (int i = 0; ok && i < ns; i++) ok = nb_copy_(pd[i], ps[i]) != NULL;
    }
    if (!ok) {
        nb_module_free(m);
        return NULL;
    }
    nb_module_train(m, src->training);
    return m;
}

/* ---- TransformerEncoder / TransformerDecoder ---- */
static int stack_fwd(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                     nb_tensor **out) {
    (void)opts;
    bool dec = !strcmp(m->type, "TransformerDecoder");
    if (!nin_ok(m->type, nin, dec ? 6 : 3,
                dec ? "tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask"
                    : "src, mask, src_key_padding_mask"))
        return -1;
    nb_module *layers = m->children[0];
    nb_tensor *x = in[0];
    for (int i = 0; x && i < layers->nchildren; i++)
        x = dec ? dec_layer_run(layers->children[i], x, arg(nin, in, 1), arg(nin, in, 2), arg(nin, in, 3),
                                arg(nin, in, 4), arg(nin, in, 5))
                : enc_layer_run(layers->children[i], x, arg(nin, in, 1), arg(nin, in, 2));
    if (x && m->nchildren > 1) x = nb_module_forward(m->children[1], x);
    return one_out(x, nout, out);
}

static nb_module *stack_new(nb_module *layer, int n, nb_module *norm, bool dec, const char *fn) {
    const char *lt = dec ? DEC : ENC;
    nb_module *m = NULL, *list = NULL;
    if (!layer) {
        if (!nb_error()) nbt_error("%s: the layer is NULL (its constructor failed?)", fn);
        goto fail;
    }
    if (strcmp(layer->type, lt) || layer->forward_ex != (dec ? dec_layer_fwd : enc_layer_fwd)) {
        nbt_error("%s: expects a layer made by nb_%s_new, got %s", fn,
                  dec ? "transformer_decoder_layer" : "transformer_encoder_layer", layer->type);
        goto fail;
    }
    if (n < 1) {
        nbt_error("%s: num_layers must be at least 1, got %d", fn, n);
        goto fail;
    }
    if (norm && strcmp(norm->type, "LayerNorm")) {
        nbt_error("%s: norm must be a LayerNorm (or NULL), got %s", fn, norm->type);
        goto fail;
    }
    m = nb_module_new_ex(dec ? "TransformerDecoder" : "TransformerEncoder", stack_fwd, NULL, NULL);
    list = m ? nb_module_list_new(0) : NULL;
    if (!list || !add_child(m, "layers", list)) {
        list = NULL;
        goto fail;
    }
    m->extra_repr = no_repr;
    /* layers.0 is the given layer itself, layers.1.. its copies (made before it joins the list) */
    nb_module **cl = calloc((size_t)n, sizeof *cl);
    bool ok = cl != NULL;
    for (int i = 1; ok && i < n; i++) ok = (cl[i] = clone_layer(layer, fn)) != NULL;
    ok = ok && nb_module_list_append(list, layer) == NB_OK;
    if (ok) layer = NULL;
    for (int i = 1; cl && i < n; i++) {
        if (ok) ok = nb_module_list_append(list, cl[i]) == NB_OK;
        if (!ok) nb_module_free(cl[i]); /* a module the list did not take */
    }
    free(cl);
    if (!ok) goto fail;
    if (norm && !add_child(m, "norm", norm)) {
        norm = NULL;
        goto fail;
    }
    return m;
fail:
    nb_module_free(layer);
    nb_module_free(norm);
    nb_module_free(m);
    return NULL;
}

nb_module *nb_transformer_encoder_new(nb_module *encoder_layer, int num_layers, nb_module *norm) {
    return stack_new(encoder_layer, num_layers, norm, false, "nb_transformer_encoder_new");
}
nb_module *nb_transformer_decoder_new(nb_module *decoder_layer, int num_layers, nb_module *norm) {
    return stack_new(decoder_layer, num_layers, norm, true, "nb_transformer_decoder_new");
}

/* ---- nn.Transformer ---- */
static int transformer_fwd(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                           nb_tensor **out) {
    (void)opts;
    const char *fn = "nb_module_forward_ex";
    if (nin < 2 || nin > 8) {
        nbt_error("%s: Transformer takes 2 to 8 inputs (src, tgt, src_mask, tgt_mask, memory_mask, "
                  "src_key_padding_mask, tgt_key_padding_mask, memory_key_padding_mask), got %d",
                  fn, nin);
        return -1;
    }
    nb_tensor *src = in[0], *tgt = in[1];
    if (!src || !tgt) {
        if (!nb_error()) nbt_error("%s: Transformer: src or tgt is NULL", fn);
        return -1;
    }
    bool bf = m->ip[1] != 0, batched = src->ndim == 3;
    int64_t d = m->ip[0];
    if (batched && (tgt->ndim != 3 || src->shape[bf ? 0 : 1] != tgt->shape[bf ? 0 : 1])) {
        nbt_error("%s: Transformer: the batch number of src and tgt must be equal (src %s, tgt %s)", fn,
                  nbt_shape(src), nbt_shape(tgt));
        return -1;
    }
    if (src->ndim < 1 || tgt->ndim < 1 || src->shape[src->ndim - 1] != d || tgt->shape[tgt->ndim - 1] != d) {
        nbt_error("%s: Transformer: the feature number of src and tgt must be equal to d_model %lld (src %s, "
                  "tgt %s)",
                  fn, (long long)d, nbt_shape(src), nbt_shape(tgt));
        return -1;
    }
    nb_tensor *mem = NULL;
    if (nb_module_forward_ex(m->children[0], NB_LIST(src, arg(nin, in, 2), arg(nin, in, 5)), NULL, 1, &mem) <
        0)
        return -1;
    return nb_module_forward_ex(
        m->children[1], NB_LIST(tgt, mem, arg(nin, in, 3), arg(nin, in, 4), arg(nin, in, 6), arg(nin, in, 7)),
        NULL, nout < 1 ? 1 : 1, out);
}

nb_module *nb_transformer_new(int64_t d, int64_t h, int ne, int nd, nb_transformer_opts o) {
    const char *fn = "nb_transformer_new";
    if (ne < 0 || nd < 0)
        return nbt_error("%s: num_encoder_layers and num_decoder_layers must be positive (got %d, %d)", fn,
                         ne, nd);
    ne = ne ? ne : 6;
    nd = nd ? nd : 6;
    double eps = o.layer_norm_eps ? o.layer_norm_eps : 1e-5;
    /* torch's order: encoder layer, encoder norm, copies; decoder layer, decoder norm, copies */
    nb_module *el = layer_new(d, h, o, false, fn);
    nb_module *enc = el ? stack_new(el, ne, nb_layer_norm_new(1, &d, eps, true), false, fn) : NULL;
    nb_module *dl = enc ? layer_new(d, h, o, true, fn) : NULL;
    nb_module *dec = dl ? stack_new(dl, nd, nb_layer_norm_new(1, &d, eps, true), true, fn) : NULL;
    nb_module *m = dec ? nb_module_new_ex("Transformer", transformer_fwd, NULL, NULL) : NULL;
    bool ok = m != NULL;
    if (ok) {
        m->extra_repr = no_repr;
        m->ip[0] = d;
        m->ip[1] = o.batch_first;
        ok = add_child(m, "encoder", enc);
        enc = NULL;
        ok = ok && add_child(m, "decoder", dec);
        dec = NULL;
    }
    /* torch's _reset_parameters: xavier_uniform_ on every parameter with more than one dim */
    int np = 0;
    nb_tensor **ps = ok ? nb_module_parameters(m, &np) : NULL;
    for (int i = 0; ok && i < np; i++)
        if (ps[i]->ndim > 1) ok = nb_init_xavier_uniform_(ps[i], 1.0) != NULL;
    if (!ok) {
        nb_module_free(enc);
        nb_module_free(dec);
        nb_module_free(m);
        return NULL;
    }
    return m;
}

nb_tensor *nb_generate_square_subsequent_mask(int64_t sz, nb_dtype dt) {
    if (sz < 0)
        return nbt_error("nb_generate_square_subsequent_mask: sz must be >= 0, got %lld", (long long)sz);
    if (dt != NB_F32 && dt != NB_F64)
        return nbt_error("nb_generate_square_subsequent_mask: dtype must be f32 or f64, got %s",
                         dt == NB_I64 ? "i64" : "an unknown dtype");
    nb_tensor *t = nbt_new(dt, 2, (int64_t[]){ sz, sz });
    if (!t) return NULL;
    for (int64_t i = 0; i < sz; i++)
        for (int64_t j = 0; j < sz; j++) {
            double v = j > i ? -INFINITY : 0.0;
            if (dt == NB_F32)
                nb_data_f32(t)[i * sz + j] = (float)v;
            else
                nb_data_f64(t)[i * sz + j] = v;
        }
    return t;
}
