/* layers_attention.c — nn.MultiheadAttention as torch 1.13: packed or separate q/k/v projections,
 * bias_kv, zero attention, key padding and attention masks (bool as i64, or float) merged into one
 * additive mask, then softmax(q / sqrt(d) k^T + mask), dropout, @ v and the output projection, in
 * torch's op order (so the numbers round as torch's do). Initialisation in torch's draw order. */
#include "nb_transformer.h"
#include "nb_helpers.h"
#include "nb_internal.h"
#include <math.h>
#include <stdlib.h>

typedef struct {
    int64_t E, H, kdim, vdim;
    double dropout;
    bool bias, bias_kv, zero_attn, batch_first, same_dim;
} mha_cfg;

static const char *const FN = "nb_multihead_attention_forward";

static nb_tensor *own(nb_module *m, const char *name) {
    for (int i = 0; i < m->nparams; i++)
        if (!strcmp(m->param_names[i], name)) return m->params[i];
    return NULL;
}

/* a new persistent f32 parameter of the given shape registered as name; false on error */
static bool add_param(nb_module *m, const char *name, int nd, const int64_t *shape) {
    nb_tensor *t = nbt_new_persistent(NB_F32, nd, shape);
    if (!t) return false;
    if (nb_module_register_parameter(m, name, t) != NB_OK) {
        nb_free(t);
        return false;
    }
    return true;
}

static void linear_repr(const nb_module *m, char *b, size_t n) {
    snprintf(b, n, "in_features=%lld, out_features=%lld, bias=%s", (long long)m->ip[0], (long long)m->ip[1],
             m->nparams > 1 ? "True" : "False");
}
static void no_repr(const nb_module *m, char *b, size_t n) {
    (void)m;
    if (n) b[0] = 0;
}

static int mha_forward_ex(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                          nb_tensor **out);
static nb_tensor *mha_forward1(nb_module *m, nb_tensor *x) {
    return nb_multihead_attention_forward(m, x, x, x, NULL, NULL,
                                          (nb_mha_call_opts){ .no_need_weights = true }, NULL);
}

nb_module *nb_multihead_attention_new(int64_t E, int64_t H, nb_mha_opts o) {
    const char *fn = "nb_multihead_attention_new";
    if (E <= 0 || H <= 0)
        return nbt_error("%s: embed_dim and num_heads must be positive (got %lld, %lld)", fn, (long long)E,
                         (long long)H);
    if (E % H)
        return nbt_error("%s: embed_dim must be divisible by num_heads (got %lld and %lld)", fn, (long long)E,
                         (long long)H);
    if (!(o.dropout >= 0 && o.dropout <= 1))
        return nbt_error("%s: dropout probability has to be between 0 and 1, but got %g", fn, o.dropout);
    if (o.kdim < 0 || o.vdim < 0)
        return nbt_error("%s: kdim and vdim must be positive or 0 (embed_dim), got %lld, %lld", fn,
                         (long long)o.kdim, (long long)o.vdim);
    mha_cfg *c = calloc(1, sizeof *c);
    if (!c) return nbt_error("%s: out of memory", fn);
    *c = (mha_cfg){ .E = E,
                    .H = H,
                    .kdim = o.kdim ? o.kdim : E,
                    .vdim = o.vdim ? o.vdim : E,
                    .dropout = o.dropout,
                    .bias = !o.no_bias,
                    .bias_kv = o.add_bias_kv,
                    .zero_attn = o.add_zero_attn,
                    .batch_first = o.batch_first };
    c->same_dim = c->kdim == E && c->vdim == E;
    nb_module *m = nb_module_new("MultiheadAttention", mha_forward1, c, free);
    if (!m) {
        free(c);
        return NULL;
    }
    m->forward_ex = mha_forward_ex;
    m->extra_repr = no_repr;
    /* torch's __init__ order: projection weights, in_proj_bias, out_proj (drawn now), bias_k, bias_v */
    bool ok = true;
    if (c->same_dim)
        ok = add_param(m, "in_proj_weight", 2, (int64_t[]){ 3 * E, E });
    else
        ok = add_param(m, "q_proj_weight", 2, (int64_t[]){ E, E }) &&
             add_param(m, "k_proj_weight", 2, (int64_t[]){ E, c->kdim }) &&
             add_param(m, "v_proj_weight", 2, (int64_t[]){ E, c->vdim });
    if (ok && c->bias) ok = add_param(m, "in_proj_bias", 1, (int64_t[]){ 3 * E });
    nb_module *op = ok ? nb_linear_new(E, E, c->bias) : NULL;
    if (op) {
        op->type = "NonDynamicallyQuantizableLinear";
        op->extra_repr = linear_repr;
        if (nb_module_register_module(m, "out_proj", op) != NB_OK) {
            nb_module_free(op);
            op = NULL;
        }
    }
    ok = op != NULL;
    if (ok && c->bias_kv)
        ok = add_param(m, "bias_k", 3, (int64_t[]){ 1, 1, E }) &&
             add_param(m, "bias_v", 3, (int64_t[]){ 1, 1, E });
    /* torch's _reset_parameters */
    if (ok && c->same_dim) ok = nb_init_xavier_uniform_(own(m, "in_proj_weight"), 1.0) != NULL;
    if (ok && !c->same_dim)
        ok = nb_init_xavier_uniform_(own(m, "q_proj_weight"), 1.0) &&
             nb_init_xavier_uniform_(own(m, "k_proj_weight"), 1.0) &&
             nb_init_xavier_uniform_(own(m, "v_proj_weight"), 1.0);
    if (ok && c->bias)
        ok = nb_init_zeros_(own(m, "in_proj_bias")) &&
             nb_init_zeros_(nb_module_get_parameter(m, "out_proj.bias"));
    if (ok && c->bias_kv)
        ok = nb_init_xavier_normal_(own(m, "bias_k"), 1.0) && nb_init_xavier_normal_(own(m, "bias_v"), 1.0);
    if (!ok) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}

/* the mask m as doubles (row-major), or NULL; *is_bool: an i64 mask */
static double *mask_values(const nb_tensor *t, bool *is_bool) {
    *is_bool = t->dtype == NB_I64;
    double *v = malloc(sizeof(double) * (size_t)(t->numel ? t->numel : 1));
    if (!v) return nbt_error("%s: out of memory", FN);
    if (nb_to_doubles(t, v) != NB_OK) {
        free(v);
        return NULL;
    }
    return v;
}

/* One additive mask (B, L, S + pad) of dtype dt, B = 1 or N*H, from attn_mask ((L, S) or (N*H, L, S)) and
 * key_padding_mask ((N, S)), the pad columns 0 (torch pads both masks with False / 0 for bias_kv and
 * zero attention). *out = NULL when there is no mask. false on error. */
static bool merge_masks(const nb_tensor *am, const nb_tensor *kpm, int64_t N, int64_t H, int64_t L, int64_t S,
                        int64_t pad, nb_dtype dt, nb_tensor **out) {
    *out = NULL;
    if (!am && !kpm) return true;
    bool ab = false, kb = false;
    double *a = am ? mask_values(am, &ab) : NULL, *k = kpm ? mask_values(kpm, &kb) : NULL;
    if ((am && !a) || (kpm && !k)) {
        free(a);
        free(k);
        return false;
    }
    if (a && !ab && k && !kb) {
        free(a);
        free(k);
        nbt_error(
            "%s: a float key_padding_mask with a float attn_mask is not supported (torch 1.13 reads the "
            "float key_padding_mask as bytes in masked_fill; pass a bool (i64) key_padding_mask)",
            FN);
        return false;
    }
    int64_t B = (kpm || (am && am->ndim == 3)) ? N * H : 1, Sp = S + pad;
    nb_tensor *r = nbt_new(dt, 3, (int64_t[]){ B, L, Sp });
    if (!r) {
        free(a);
        free(k);
        return false;
    }
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < L; i++)
            for (int64_t j = 0; j < Sp; j++) {
                double v = 0;
                if (j < S) {
                    double av = a ? a[((am->ndim == 3 ? b : 0) * L + i) * S + j] : 0;
                    double kv = k ? k[(b / H) * S + j] : 0;
                    if (a && ab) av = av != 0 ? -INFINITY : 0;
                    if (!k)
                        v = av;
                    else if (!a)
                        v = kb ? (kv != 0 ? -INFINITY : 0) : kv;
                    else
                        v = kv != 0 ? -INFINITY : av; /* logical_or / masked_fill with -inf */
                }
                int64_t o = (b * L + i) * Sp + j;
                if (dt == NB_F32)
                    nb_data_f32(r)[o] = (float)v;
                else
                    nb_data_f64(r)[o] = v;
            }
    free(a);
    free(k);
    *out = r;
    return true;
}

static bool dims_are(const nb_tensor *t, int nd, const int64_t *want) {
    if (t->ndim != nd) return false;
    for (int i = 0; i < nd; i++)
        if (t->shape[i] != want[i]) return false;
    return true;
}

/* (L, N, E) -> (N*H, L, hd): torch's x.contiguous().view(L, N*H, hd).transpose(0, 1) */
static nb_tensor *heads(nb_tensor *x, int64_t NH, int64_t hd) {
    return nb_transpose(nb_reshape(x, 3, (int64_t[]){ x ? x->shape[0] : 0, NH, hd }), 0, 1);
}

nb_tensor *nb_multihead_attention_forward(nb_module *m, nb_tensor *query, nb_tensor *key, nb_tensor *value,
                                          nb_tensor *kpm, nb_tensor *am, nb_mha_call_opts o,
                                          nb_tensor **attn_weights) {
    if (attn_weights) *attn_weights = NULL;
    if (!m) return nbt_error("%s: NULL module (did its constructor fail? see nb_error())", FN);
    if (strcmp(m->type, "MultiheadAttention") || m->forward != mha_forward1)
        return nbt_error("%s: expects a module made by nb_multihead_attention_new, got %s", FN, m->type);
    const mha_cfg *c = m->impl;
    if (!query || !key || !value)
        return nb_error() ? NULL : nbt_error("%s: query, key or value is NULL (an earlier op failed?)", FN);
    if (!nbt_ok(query, FN) || !nbt_ok(key, FN) || !nbt_ok(value, FN) || (kpm && !nbt_ok(kpm, FN)) ||
        (am && !nbt_ok(am, FN)))
        return NULL;
    /* torch's _mha_shape_check */
    bool batched = query->ndim == 3;
    if (query->ndim != 3 && query->ndim != 2)
        return nbt_error(
            "%s: query should be unbatched 2D or batched 3D tensor but received %d-D query tensor", FN,
            query->ndim);
    if (key->ndim != query->ndim || value->ndim != query->ndim)
        return nbt_error("%s: for %s query %s, expected key and value to be %d-D but found %s and %s", FN,
                         batched ? "batched (3-D)" : "unbatched (2-D)", nbt_shape(query), query->ndim,
                         nbt_shape(key), nbt_shape(value));
    if (kpm && kpm->ndim != query->ndim - 1)
        return nbt_error("%s: for %s query, expected key_padding_mask to be NULL or %d-D but found %s", FN,
                         batched ? "batched (3-D)" : "unbatched (2-D)", query->ndim - 1, nbt_shape(kpm));
    if (am && am->ndim != 2 && am->ndim != 3)
        return nbt_error("%s: expected attn_mask to be NULL, 2-D or 3-D but found %s", FN, nbt_shape(am));
    if (!nbt_is_float(query->dtype))
        return nbt_error("%s: query must be a float tensor, got %s", FN, nb_dtype_name(query->dtype));
    int64_t E = c->E, H = c->H, hd = E / H;
    /* to (L, N, E) */
    nb_tensor *q = query, *k = key, *v = value;
    bool self = query == key && key == value, kv_same = key == value;
    if (!batched) {
        q = nb_unsqueeze(q, 1);
        k = self ? q : nb_unsqueeze(k, 1);
        v = kv_same ? k : nb_unsqueeze(v, 1);
    } else if (c->batch_first) {
        q = nb_transpose(q, 1, 0);
        k = self ? q : nb_transpose(k, 1, 0);
        v = kv_same ? k : nb_transpose(v, 1, 0);
    }
    if (!q || !k || !v) return NULL;
    int64_t L = q->shape[0], N = q->shape[1], S = k->shape[0];
    if (q->shape[2] != E)
        return nbt_error("%s: was expecting embedding dimension of %lld, but got %lld (query %s)", FN,
                         (long long)E, (long long)q->shape[2], nbt_shape(query));
    if (k->shape[2] != c->kdim || v->shape[2] != c->vdim)
        return nbt_error("%s: key and value must have %lld and %lld features, got %s and %s", FN,
                         (long long)c->kdim, (long long)c->vdim, nbt_shape(key), nbt_shape(value));
    if (k->shape[0] != v->shape[0] || k->shape[1] != v->shape[1] || k->shape[1] != N)
        return nbt_error("%s: key %s and value %s must match the query %s in batch and each other in length",
                         FN, nbt_shape(key), nbt_shape(value), nbt_shape(query));
    if (am) {
        bool ok2 = am->ndim == 2 ? dims_are(am, 2, (int64_t[]){ L, S })
                                 : dims_are(am, 3, (int64_t[]){ N * H, L, S });
        if (!ok2)
            return am->ndim == 2
                       ? nbt_error("%s: The shape of the 2D attn_mask is %s, but should be (%lld, %lld).", FN,
                                   nbt_shape(am), (long long)L, (long long)S)
                       : nbt_error("%s: The shape of the 3D attn_mask is %s, but should be (%lld, "
                                   "%lld, %lld).",
                                   FN, nbt_shape(am), (long long)(N * H), (long long)L, (long long)S);
    }
    if (kpm && !(batched ? dims_are(kpm, 2, (int64_t[]){ N, S }) : dims_are(kpm, 1, (int64_t[]){ S })))
        return nbt_error("%s: expecting key_padding_mask shape of %s, but got %s", FN,
                         batched ? nbt_shape_of(2, (int64_t[]){ N, S }) : nbt_shape_of(1, (int64_t[]){ S }),
                         nbt_shape(kpm));
    /* projections (torch's _in_projection_packed / _in_projection) */
    nb_tensor *bq = NULL, *bk = NULL, *bv = NULL, *pb = own(m, "in_proj_bias");
    if (pb) {
        nb_tensor *b3[3];
        if (nb_chunk(pb, 3, 0, b3) != 3) return NULL;
        bq = b3[0], bk = b3[1], bv = b3[2];
    }
    if (c->same_dim) {
        nb_tensor *w = own(m, "in_proj_weight");
        if (self) {
            nb_tensor *p3[3];
            if (nb_chunk(nb_linear(q, w, pb), 3, -1, p3) != 3) return NULL;
            q = p3[0], k = p3[1], v = p3[2];
        } else if (kv_same) {
            nb_tensor *w2[2], *p2[2];
            if (nb_split_with_sizes(w, 2, (int64_t[]){ E, 2 * E }, 0, w2) != 2) return NULL;
            nb_tensor *bkv = pb ? nb_narrow(pb, 0, E, 2 * E) : NULL;
            q = nb_linear(q, w2[0], bq);
            if (nb_chunk(nb_linear(k, w2[1], bkv), 2, -1, p2) != 2) return NULL;
            k = p2[0], v = p2[1];
        } else {
            nb_tensor *w3[3];
            if (nb_chunk(w, 3, 0, w3) != 3) return NULL;
            q = nb_linear(q, w3[0], bq);
            k = nb_linear(k, w3[1], bk);
            v = nb_linear(v, w3[2], bv);
        }
    } else {
        q = nb_linear(q, own(m, "q_proj_weight"), bq);
        k = nb_linear(k, own(m, "k_proj_weight"), bk);
        v = nb_linear(v, own(m, "v_proj_weight"), bv);
    }
    int64_t pad = 0;
    if (c->bias_kv) {
        k = nb_cat(2, (nb_tensor *[]){ k, nb_repeat(own(m, "bias_k"), 3, (int64_t[]){ 1, N, 1 }) }, 0);
        v = nb_cat(2, (nb_tensor *[]){ v, nb_repeat(own(m, "bias_v"), 3, (int64_t[]){ 1, N, 1 }) }, 0);
        pad++;
    }
    q = heads(q, N * H, hd);
    k = heads(k, N * H, hd);
    v = heads(v, N * H, hd);
    if (!q || !k || !v) return NULL;
    if (c->zero_attn) {
        nb_tensor *z = nb_zeros(q->dtype, 3, (int64_t[]){ N * H, 1, hd });
        k = nb_cat(2, (nb_tensor *[]){ k, z }, 1);
        v = nb_cat(2, (nb_tensor *[]){ v, z }, 1);
        pad++;
    }
    nb_tensor *mask = NULL;
    if (!merge_masks(am, kpm, N, H, L, S, pad, q->dtype, &mask)) return NULL;
    /* softmax(q / sqrt(d) k^T + mask), dropout, @ v (torch 1.13's math: baddbmm(mask, q_scaled, k^T)) */
    nb_tensor *w = nb_bmm(nb_div_scalar(q, sqrt((double)hd)), nb_transpose(k, -2, -1));
    if (mask) w = nb_add(w, mask);
    w = nb_softmax(w, -1);
    if (m->training && c->dropout > 0) w = nb_dropout(w, c->dropout, true);
    nb_tensor *y = nb_reshape(nb_transpose(nb_bmm(w, v), 0, 1), 2, (int64_t[]){ L * N, E });
    y = nb_module_forward(nb_module_get_submodule(m, "out_proj"), y);
    y = nb_reshape(y, 3, (int64_t[]){ L, N, E });
    if (!y) return NULL;
    if (attn_weights && !o.no_need_weights) {
        nb_tensor *aw = nb_reshape(w, 4, (int64_t[]){ N, H, L, S + pad });
        if (!o.no_average_attn_weights) aw = nb_div_scalar(nb_sum_dim(aw, 1, (int[]){ 1 }, false), (double)H);
        if (!batched) aw = nb_squeeze(aw, 0);
        if (!aw) return NULL;
        *attn_weights = aw;
    }
    if (!batched) return nb_squeeze(y, 1);
    return c->batch_first ? nb_transpose(y, 1, 0) : y;
}

/* forward_ex: (query, key, value, key_padding_mask, attn_mask) -> (attn_output, attn_weights) */
static int mha_forward_ex(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                          nb_tensor **out) {
    if (nin < 1 || nin > 5) {
        nbt_error("nb_module_forward_ex: MultiheadAttention takes 1 to 5 inputs (query, key, value, "
                  "key_padding_mask, attn_mask), got %d",
                  nin);
        return -1;
    }
    nb_mha_call_opts o = opts ? *(const nb_mha_call_opts *)opts : (nb_mha_call_opts){ 0 };
    nb_tensor *w = NULL;
    nb_tensor *key = nin > 1 && in[1] ? in[1] : in[0], *value = nin > 2 && in[2] ? in[2] : key;
    nb_tensor *y = nb_multihead_attention_forward(m, in[0], key, value, nin > 3 ? in[3] : NULL,
                                                  nin > 4 ? in[4] : NULL, o, nout > 1 ? &w : NULL);
    if (!y) return -1;
    out[0] = y;
    if (nout > 1) out[1] = w;
    return nout > 1 ? 2 : 1;
}
