/* ops_attention.c — F.scaled_dot_product_attention: argument checks (torch 2.x's), the additive bias
 * a bool (i64) mask or is_causal stands for, the composed differentiable path written with nabla ops as
 * torch 2.x's documented reference math, and the fused op (tensor/kernels_attention.c) whose backward
 * is the fused kernel, or the same math in nabla ops when the backward is recorded (create_graph).
 * docs/attention.md. */
#include "nb_attention.h"
#include "nb_kernels_attention.h"
#include "nba_attention.h"
#include "nba_tape.h"

#include <math.h>
#include <stdlib.h>

#define OP "nb_scaled_dot_product_attention"

int nba_sdpa_path = 0;
long nba_sdpa_fused_fw = 0, nba_sdpa_fused_bw = 0;

/* The checked geometry of one call. */
typedef struct {
    int nbd;                     /* batch dims of the result */
    int64_t bshape[NB_MAX_DIMS]; /* broadcast batch shape of q, k, v and the mask */
    int64_t L, S, E, Ev;
    double scale;
} sdpa_geom;

/* Broadcast the batch dims (all but the last two) of t into g->bshape; false + error if they clash. */
static bool batch_into(sdpa_geom *g, const nb_tensor *t, const char *what) {
    int64_t out[NB_MAX_DIMS];
    int n = nbt_broadcast_shape(g->nbd, g->bshape, t->ndim - 2, t->shape, out);
    if (n < 0) {
        nbt_error(OP ": the batch dims of %s %s cannot be broadcast with %s", what, nbt_shape(t),
                  nbt_shape_of(g->nbd, g->bshape));
        return false;
    }
    g->nbd = n;
    memcpy(g->bshape, out, sizeof out);
    return true;
}

/* torch 2.x's checks; fills g. false with one error naming the public function. */
static bool sdpa_check(nb_tensor *q, nb_tensor *k, nb_tensor *v, const nb_sdpa_opts *o, sdpa_geom *g) {
    nb_tensor *const in[3] = { q, k, v };
    const char *const nm[3] = { "query", "key", "value" };
    for (int i = 0; i < 3; i++) {
        if (!nbt_is_float(in[i]->dtype))
            return nbt_error(OP ": %s must be a floating point tensor, got %s", nm[i],
                             nb_dtype_name(in[i]->dtype)),
                   false;
        if (in[i]->ndim < 2)
            return nbt_error(OP ": %s must have at least 2 dims (..., seq, embed), got %s", nm[i],
                             nbt_shape(in[i])),
                   false;
    }
    if (k->dtype != q->dtype || v->dtype != q->dtype)
        return nbt_error(OP ": Expected query, key, and value to have the same dtype, but got query.dtype: "
                            "%s key.dtype: %s and value.dtype: %s instead.",
                         nb_dtype_name(q->dtype), nb_dtype_name(k->dtype), nb_dtype_name(v->dtype)),
               false;
    *g = (sdpa_geom){ .nbd = 0 };
    g->L = q->shape[q->ndim - 2], g->E = q->shape[q->ndim - 1];
    g->S = k->shape[k->ndim - 2], g->Ev = v->shape[v->ndim - 1];
    if (k->shape[k->ndim - 1] != g->E)
        return nbt_error(OP ": query %s and key %s must have the same embedding size (last dim)",
                         nbt_shape(q), nbt_shape(k)),
               false;
    if (v->shape[v->ndim - 2] != g->S)
        return nbt_error(OP ": key %s and value %s must have the same sequence length (dim -2)", nbt_shape(k),
                         nbt_shape(v)),
               false;
    for (int i = 0; i < 3; i++)
        if (!batch_into(g, in[i], nm[i])) return false;
    if (!(o->dropout_p >= 0 && o->dropout_p < 1))
        return nbt_error(OP ": dropout_p must be in [0, 1), got %g", o->dropout_p), false;
    const nb_tensor *m = o->attn_mask;
    if (m) {
        if (!nbt_ok(m, OP)) return false;
        if (o->is_causal)
            return nbt_error(OP ": Explicit attn_mask should not be set when is_causal=True"), false;
        if (m->dtype != NB_I64 && m->dtype != q->dtype)
            return nbt_error(OP
                             ": Expected attn_mask dtype to be bool (i64 in nabla) or to match query dtype "
                             "%s, got %s",
                             nb_dtype_name(q->dtype), nb_dtype_name(m->dtype)),
                   false;
        /* the mask broadcasts to (..., L, S): its last two dims against (L, S), the rest as batch dims */
        int md = m->ndim;
        int64_t ms = md >= 2 ? m->shape[md - 2] : 1, mt = md >= 1 ? m->shape[md - 1] : 1;
        if ((ms != 1 && ms != g->L) || (mt != 1 && mt != g->S))
            return nbt_error(OP ": attn_mask %s cannot be broadcast to (..., L, S) = (..., %lld, %lld)",
                             nbt_shape(m), (long long)g->L, (long long)g->S),
                   false;
        if (md > 2 && !batch_into(g, m, "attn_mask")) return false;
    }
    bool explicit0 = o->scale == 0 && signbit(o->scale);
    g->scale = o->scale != 0 || explicit0 ? o->scale : 1.0 / sqrt((double)g->E);
    return true;
}

/* 0 / -inf of a bool (i64) mask m, or of tril(ones(L, S)) when m is NULL, in dtype dt */
static nb_tensor *bias_from(const nb_tensor *m, int64_t L, int64_t S, nb_dtype dt) {
    nb_tensor *mc = m ? nbt_contig(m) : NULL;
    nb_tensor *b = m ? nbt_new(dt, m->ndim, m->shape) : nbt_new(dt, 2, (int64_t[]){ L, S });
    if (!b || (m && !mc)) {
        if (mc != m) nb_free(mc);
        nb_free(b);
        return NULL;
    }
    const int64_t *mi = mc ? (const int64_t *)nbt_ptr(mc) : NULL;
    for (int64_t i = 0; i < b->numel; i++) {
        bool keep = mi ? mi[i] != 0 : i % S <= i / S;
        if (dt == NB_F32)
            ((float *)nbt_ptr(b))[i] = keep ? 0.0f : -INFINITY;
        else
            ((double *)nbt_ptr(b))[i] = keep ? 0.0 : -INFINITY;
    }
    if (mc != m) nb_free(mc);
    return b;
}

/* The additive bias the mask stands for (not recorded): 0 where a bool (i64) mask is non-zero, -inf
 * where it is zero; is_causal: -inf above the diagonal of (L, S). A float mask is its own bias. */
static nb_tensor *sdpa_bias(const nb_sdpa_opts *o, const sdpa_geom *g, nb_dtype dt) {
    const nb_tensor *m = o->attn_mask;
    if (m && m->dtype != NB_I64) return (nb_tensor *)m;
    if (!m && !o->is_causal) return NULL;
    return bias_from(m, g->L, g->S, dt);
}

/* torch.dropout(p, p, train=True) as nb_dropout draws it: one nb_rand_double per element in order, kept
 * (scaled by 1 / (1 - p)) when it is below 1 - p. */
static nb_tensor *sdpa_dropout(nb_tensor *p, double dp) {
    nb_tensor *mask = nbt_new(p->dtype, p->ndim, p->shape);
    if (!mask) return NULL;
    nbt_bernoulli_mask(p->dtype, nbt_ptr(mask), mask->numel, 1.0 - dp, 1.0 / (1.0 - dp));
    return nb_mul(p, mask);
}

/* softmax(q k^T * scale + bias) v with differentiable ops (torch 2.x's reference math) */
static nb_tensor *sdpa_composed(nb_tensor *q, nb_tensor *k, nb_tensor *v, nb_tensor *bias, double scale,
                                double dropout_p) {
    nb_tensor *s = nb_mul_scalar(nb_matmul(q, nb_transpose(k, -2, -1)), scale);
    if (bias) s = nb_add(s, bias);
    nb_tensor *p = nb_softmax(s, -1);
    if (p && dropout_p > 0) p = sdpa_dropout(p, dropout_p);
    return nb_matmul(p, v);
}

/* ---- the fused op ---- */

/* t (..., rows, cols) expanded to the batch shape and flattened to contiguous (nb, rows, cols) */
static nb_tensor *to_batch(nb_tensor *t, const sdpa_geom *g, int64_t nb) {
    int64_t shp[NB_MAX_DIMS];
    memcpy(shp, g->bshape, sizeof(int64_t) * (size_t)g->nbd);
    shp[g->nbd] = t->shape[t->ndim - 2], shp[g->nbd + 1] = t->shape[t->ndim - 1];
    nb_tensor *e = t->ndim == g->nbd + 2 && !memcmp(t->shape, shp, sizeof(int64_t) * (size_t)t->ndim)
                       ? t
                       : nb_expand(t, g->nbd + 2, shp);
    return nb_contiguous(nb_reshape(e, 3, (int64_t[]){ nb, shp[g->nbd], shp[g->nbd + 1] }));
}

/* Where the bias (broadcast to (bshape, L, S)) of batch b starts, and its (L, S) strides; 0 strides on
 * broadcast dims. off has nb entries. */
static void bias_geom(const nb_tensor *bias, int nbd, const int64_t *bshape, int64_t nb, int64_t *off,
                      int64_t *rs, int64_t *cs) {
    int nd = nbd + 2;
    int64_t st[NB_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        int bd = d - (nd - bias->ndim);
        st[d] = bd < 0 || bias->shape[bd] == 1 ? 0 : bias->stride[bd];
    }
    *rs = st[nd - 2], *cs = st[nd - 1];
    for (int64_t b = 0; b < nb; b++) {
        int64_t o = 0, r = b;
        for (int d = nbd - 1; d >= 0; d--) o += (r % bshape[d]) * st[d], r /= bshape[d];
        off[b] = o;
    }
}

/* shape of one call, from the node's inputs and integer arguments (iv: causal, nbd, bshape...) */
static nbt_attn_shape node_shape(const nb_tensor *q, const nb_tensor *k, const nb_tensor *v, double scale,
                                 bool causal) {
    return (nbt_attn_shape){ .nb = q->shape[0],
                             .L = q->shape[1],
                             .S = k->shape[1],
                             .E = q->shape[2],
                             .Ev = v->shape[2],
                             .scale = scale,
                             .causal = causal };
}

/* dropout's draws for nb x L x S probabilities, as bytes (1: kept) in an int64 tensor's storage: the same
 * draws, in the same order, as the composed path's mask (torch.dropout on the (batch..., L, S) weights) */
static nb_tensor *keep_draws(int64_t n, double dropout_p) {
    nb_tensor *keep = nbt_new(NB_I64, 1, (int64_t[]){ (n + 7) / 8 });
    if (keep) nbt_bernoulli_keep((uint8_t *)nbt_ptr(keep), n, 1.0 - dropout_p);
    return keep;
}

/* y = dropout(softmax(q k^T scale + bias)) v with the fused kernel; q, k, v contiguous (nb, rows, cols);
 * saves the inputs (the dropout draws, as bytes, the last of them), the output and the row logsumexp (aux),
 * never an L x S matrix of floats */
static nb_tensor *sdpa_fused(nb_tensor *q, nb_tensor *k, nb_tensor *v, nb_tensor *bias, bool causal,
                             double dropout_p, const sdpa_geom *g) {
    int64_t nb = 1;
    for (int d = 0; d < g->nbd; d++) nb *= g->bshape[d];
    int64_t nw = 0; /* the weights dropout draws for: nb x L x S */
    if (dropout_p > 0 && (__builtin_mul_overflow(nb, g->L, &nw) || __builtin_mul_overflow(nw, g->S, &nw)))
        return nbt_error(OP ": the attention weights (%lld x %lld x %lld) are too many to draw dropout for",
                         (long long)nb, (long long)g->L, (long long)g->S);
    nb_tensor *in[5] = { to_batch(q, g, nb), to_batch(k, g, nb), to_batch(v, g, nb), bias, NULL };
    if (!in[0] || !in[1] || !in[2]) return NULL;
    int nin = bias ? 4 : 3;
    nb_tensor *keep = dropout_p > 0 ? keep_draws(nw, dropout_p) : NULL;
    if (dropout_p > 0 && !keep) return NULL;
    if (keep) in[nin++] = keep;
    nb_tensor *y = nbt_new(q->dtype, 3, (int64_t[]){ nb, g->L, g->Ev });
    nb_tensor *lse = nbt_new(q->dtype, 2, (int64_t[]){ nb, g->L });
    int64_t *off = bias ? malloc(sizeof(int64_t) * (size_t)nb) : NULL;
    nbt_attn_shape sh = node_shape(in[0], in[1], in[2], g->scale, causal);
    if (bias && off) bias_geom(bias, g->nbd, g->bshape, nb, off, &sh.bias_rs, &sh.bias_cs);
    sh.bias_off = off;
    if (keep) sh.keep = (const uint8_t *)nbt_ptr(keep), sh.drop_scale = 1.0 / (1.0 - dropout_p);
    if (!y || !lse || (bias && !off) || nbt_attn_forward(&sh, in[0], in[1], in[2], bias, y, lse) != NB_OK) {
        if (bias && !off) nbt_error(OP ": out of memory");
        free(off);
        nb_free(y);
        nb_free(lse);
        nb_free(keep);
        return NULL;
    }
    free(off);
    nba_sdpa_fused_fw++;
    nba_node *n = nba_record(NBA_OP_sdpa, y, nin, in, NBA_SAVE_ALL | NBA_SAVE_OUT);
    if (n) {
        nba_set_aux(n, lse);
        n->s[0] = g->scale, n->s[1] = dropout_p;
        n->iv[0] = causal, n->iv[1] = g->nbd;
        memcpy(n->iv + 2, g->bshape, sizeof(int64_t) * (size_t)g->nbd);
        n->niv = 2 + g->nbd;
    } else {
        nb_free(lse);
        nb_free(keep);
    }
    int64_t shp[NB_MAX_DIMS];
    memcpy(shp, g->bshape, sizeof(int64_t) * (size_t)g->nbd);
    shp[g->nbd] = g->L, shp[g->nbd + 1] = g->Ev;
    return nb_reshape(y, g->nbd + 2, shp);
}

/* The node's additive bias input (NULL without one) and its dropout draws (NULL without dropout) */
static nb_tensor *node_bias(const nba_node *n) { return n->nin - (n->s[1] > 0) > 3 ? nba_in(n, 3) : NULL; }
static nb_tensor *node_keep(const nba_node *n) { return n->s[1] > 0 ? nba_in(n, n->nin - 1) : NULL; }

/* Z: the dropout factors of the (nb, L, S) probabilities, 1 / (1 - p) where kept and 0 elsewhere (the
 * composed path's mask, from the saved draws) */
static nb_tensor *keep_factors(const nb_tensor *keep, double dropout_p, nb_dtype dt, const int64_t *shape) {
    nb_tensor *z = nbt_new(dt, 3, shape);
    if (!z) return NULL;
    const uint8_t *kp = (const uint8_t *)nbt_ptr(keep);
    double sc = 1.0 / (1.0 - dropout_p);
    for (int64_t i = 0; i < z->numel; i++) {
        if (dt == NB_F32)
            ((float *)nbt_ptr(z))[i] = kp[i] ? (float)sc : 0.0f;
        else
            ((double *)nbt_ptr(z))[i] = kp[i] ? sc : 0.0;
    }
    return z;
}

/* The backward in nabla ops (recorded when create_graph): s = scale q k^T + bias, P = softmax(s), Z the
 * dropout factors (or 1), dv = (P Z)^T g, dP = Z g v^T, dS = P (dP - rowsum(dP P)), dq = scale dS k,
 * dk = scale dS^T q */
static void bw_composed(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *q = nba_in(n, 0), *k = nba_in(n, 1), *v = nba_in(n, 2), *bias = node_bias(n),
              *keep = node_keep(n);
    double scale = n->s[0];
    int nbd = (int)n->iv[1];
    int64_t shp[NB_MAX_DIMS], L = q->shape[1], S = k->shape[1];
    memcpy(shp, n->iv + 2, sizeof(int64_t) * (size_t)nbd);
    shp[nbd] = L, shp[nbd + 1] = S;
    nb_tensor *s = nb_mul_scalar(nb_matmul(q, nb_transpose(k, 1, 2)), scale);
    if (n->iv[0]) bias = bias_from(NULL, L, S, q->dtype);
    if (bias) s = nb_reshape(nb_add(nb_reshape(s, nbd + 2, shp), bias), 3, (int64_t[]){ q->shape[0], L, S });
    nb_tensor *p = nb_softmax(s, -1);
    nb_tensor *z = keep && p ? keep_factors(keep, n->s[1], q->dtype, p->shape) : NULL;
    if (keep && !z) return;
    nb_tensor *dp = nb_matmul(g, nb_transpose(v, 1, 2));
    if (z) dp = nb_mul(dp, z);
    nb_tensor *ds = nb_mul(p, nb_sub(dp, nb_sum_dim(nb_mul(dp, p), 1, (int[]){ -1 }, true)));
    if (nba_need(n, 0)) gin[0] = nb_mul_scalar(nb_matmul(ds, k), scale);
    if (nba_need(n, 1)) gin[1] = nb_mul_scalar(nb_matmul(nb_transpose(ds, 1, 2), q), scale);
    if (nba_need(n, 2)) gin[2] = nb_matmul(nb_transpose(z ? nb_mul(p, z) : p, 1, 2), g);
}

void nba_bw_sdpa(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nb_is_grad_enabled()) {
        bw_composed(n, g, gin);
        return;
    }
    nb_tensor *q = nba_in(n, 0), *k = nba_in(n, 1), *v = nba_in(n, 2), *bias = node_bias(n),
              *keep = node_keep(n);
    nbt_attn_shape sh = node_shape(q, k, v, n->s[0], n->iv[0] != 0);
    if (keep) sh.keep = (const uint8_t *)nbt_ptr(keep), sh.drop_scale = 1.0 / (1.0 - n->s[1]);
    nb_tensor *gc = nbt_contig(g);
    nb_tensor *dq = nbt_new(q->dtype, 3, q->shape), *dk = nbt_new(q->dtype, 3, k->shape);
    nb_tensor *dv = nbt_new(q->dtype, 3, v->shape);
    int64_t *off = bias ? malloc(sizeof(int64_t) * (size_t)(sh.nb ? sh.nb : 1)) : NULL;
    if (bias && off) bias_geom(bias, (int)n->iv[1], n->iv + 2, sh.nb, off, &sh.bias_rs, &sh.bias_cs);
    sh.bias_off = off;
    bool ok = gc && dq && dk && dv && (!bias || off) &&
              nbt_attn_backward(&sh, q, k, v, bias, n->out, n->aux, gc, dq, dk, dv) == NB_OK;
    if (bias && !off) nbt_error(OP ": out of memory");
    free(off);
    nba_sdpa_fused_bw += ok;
    nb_tensor *d[3] = { dq, dk, dv };
    for (int i = 0; i < 3; i++) {
        if (ok && nba_need(n, i))
            gin[i] = d[i];
        else
            nb_free(d[i]);
    }
}

nb_tensor *nb_scaled_dot_product_attention(nb_tensor *q, nb_tensor *k, nb_tensor *v, nb_sdpa_opts o) {
    NBA_CHECK(OP, q, k, v);
    sdpa_geom g;
    if (!sdpa_check(q, k, v, &o, &g)) return NULL;
    /* the fused kernel unless a float mask needs a gradient (its gradient is the L x S score gradient the
     * kernel never forms); an empty call composes. Dropout draws the same numbers on either path. */
    bool mask_grad = o.attn_mask && o.attn_mask->requires_grad && nb_is_grad_enabled();
    bool fused = nba_sdpa_path != 1 && !mask_grad && g.L > 0 && g.S > 0 && g.E > 0 && g.Ev > 0;
    for (int d = 0; d < g.nbd; d++) fused = fused && g.bshape[d] > 0;
    /* the fused kernel masks causally itself; every other bias is a tensor */
    bool need_bias = o.attn_mask || (o.is_causal && !fused);
    nb_tensor *bias = need_bias ? sdpa_bias(&o, &g, q->dtype) : NULL;
    if (need_bias && !bias) return NULL;
    nb_tensor *y = fused ? sdpa_fused(q, k, v, bias, o.is_causal, o.dropout_p, &g)
                         : sdpa_composed(q, k, v, bias, g.scale, o.dropout_p);
    if (bias && bias != o.attn_mask && bias->tape_uses == 0) nb_free(bias); /* else its scope does */
    return y;
}
