/* ops_attention.c — F.scaled_dot_product_attention: argument checks (torch 2.x's), the additive bias
 * a bool (i64) mask or is_causal stands for, and the composed differentiable path written with nabla
 * ops exactly as torch 2.x's documented reference math. docs/attention.md. */
#include "nb_attention.h"
#include "nbi_attention.h"
#include "nbi_tape.h"

#include <math.h>

#define OP "nb_scaled_dot_product_attention"

int nbi_sdpa_path = 0;

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
    int n = nbi_broadcast_shape(g->nbd, g->bshape, t->ndim - 2, t->shape, out);
    if (n < 0) {
        nbi_error(OP ": the batch dims of %s %s cannot be broadcast with %s", what, nbi_shape(t),
                  nbi_shape_of(g->nbd, g->bshape));
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
        if (!nbi_is_float(in[i]->dtype))
            return nbi_error(OP ": %s must be a floating point tensor, got %s", nm[i],
                             nb_dtype_name(in[i]->dtype)),
                   false;
        if (in[i]->ndim < 2)
            return nbi_error(OP ": %s must have at least 2 dims (..., seq, embed), got %s", nm[i],
                             nbi_shape(in[i])),
                   false;
    }
    if (k->dtype != q->dtype || v->dtype != q->dtype)
        return nbi_error(OP ": Expected query, key, and value to have the same dtype, but got query.dtype: "
                            "%s key.dtype: %s and value.dtype: %s instead.",
                         nb_dtype_name(q->dtype), nb_dtype_name(k->dtype), nb_dtype_name(v->dtype)),
               false;
    *g = (sdpa_geom){ .nbd = 0 };
    g->L = q->shape[q->ndim - 2], g->E = q->shape[q->ndim - 1];
    g->S = k->shape[k->ndim - 2], g->Ev = v->shape[v->ndim - 1];
    if (k->shape[k->ndim - 1] != g->E)
        return nbi_error(OP ": query %s and key %s must have the same embedding size (last dim)",
                         nbi_shape(q), nbi_shape(k)),
               false;
    if (v->shape[v->ndim - 2] != g->S)
        return nbi_error(OP ": key %s and value %s must have the same sequence length (dim -2)", nbi_shape(k),
                         nbi_shape(v)),
               false;
    for (int i = 0; i < 3; i++)
        if (!batch_into(g, in[i], nm[i])) return false;
    if (!(o->dropout_p >= 0 && o->dropout_p < 1))
        return nbi_error(OP ": dropout_p must be in [0, 1), got %g", o->dropout_p), false;
    const nb_tensor *m = o->attn_mask;
    if (m) {
        if (!nbi_ok(m, OP)) return false;
        if (o->is_causal)
            return nbi_error(OP ": Explicit attn_mask should not be set when is_causal=True"), false;
        if (m->dtype != NB_I64 && m->dtype != q->dtype)
            return nbi_error(OP
                             ": Expected attn_mask dtype to be bool (i64 in nabla) or to match query dtype "
                             "%s, got %s",
                             nb_dtype_name(q->dtype), nb_dtype_name(m->dtype)),
                   false;
        /* the mask broadcasts to (..., L, S): its last two dims against (L, S), the rest as batch dims */
        int md = m->ndim;
        int64_t ms = md >= 2 ? m->shape[md - 2] : 1, mt = md >= 1 ? m->shape[md - 1] : 1;
        if ((ms != 1 && ms != g->L) || (mt != 1 && mt != g->S))
            return nbi_error(OP ": attn_mask %s cannot be broadcast to (..., L, S) = (..., %lld, %lld)",
                             nbi_shape(m), (long long)g->L, (long long)g->S),
                   false;
        if (md > 2 && !batch_into(g, m, "attn_mask")) return false;
    }
    bool explicit0 = o->scale == 0 && signbit(o->scale);
    g->scale = o->scale != 0 || explicit0 ? o->scale : 1.0 / sqrt((double)g->E);
    return true;
}

/* The additive bias the mask stands for (not recorded): 0 where a bool (i64) mask is non-zero, -inf
 * where it is zero; is_causal: -inf above the diagonal of (L, S). A float mask is its own bias. */
static nb_tensor *sdpa_bias(const nb_sdpa_opts *o, const sdpa_geom *g, nb_dtype dt) {
    const nb_tensor *m = o->attn_mask;
    if (m && m->dtype != NB_I64) return (nb_tensor *)m;
    if (!m && !o->is_causal) return NULL;
    nb_tensor *mc = m ? nbk_contig(m) : NULL;
    nb_tensor *b = m ? nbi_new(dt, m->ndim, m->shape) : nbi_new(dt, 2, (int64_t[]){ g->L, g->S });
    if (!b || (m && !mc)) {
        if (mc != m) nb_free(mc);
        nb_free(b);
        return NULL;
    }
    const int64_t *mi = mc ? (const int64_t *)nbi_ptr(mc) : NULL;
    for (int64_t i = 0; i < b->numel; i++) {
        bool keep = mi ? mi[i] != 0 : i % g->S <= i / g->S;
        if (dt == NB_F32)
            ((float *)nbi_ptr(b))[i] = keep ? 0.0f : -INFINITY;
        else
            ((double *)nbi_ptr(b))[i] = keep ? 0.0 : -INFINITY;
    }
    if (mc != m) nb_free(mc);
    return b;
}

/* torch.dropout(p, p, train=True) as nb_dropout draws it: one nb_rand_double per element in order, kept
 * (scaled by 1 / (1 - p)) when it is below 1 - p. */
static nb_tensor *sdpa_dropout(nb_tensor *p, double dp) {
    nb_tensor *mask = nbi_new(p->dtype, p->ndim, p->shape);
    if (!mask) return NULL;
    double scale = 1.0 / (1.0 - dp);
    for (int64_t i = 0; i < mask->numel; i++) {
        bool keep = nb_rand_double() < 1.0 - dp;
        if (p->dtype == NB_F32)
            ((float *)nbi_ptr(mask))[i] = keep ? (float)scale : 0.0f;
        else
            ((double *)nbi_ptr(mask))[i] = keep ? scale : 0.0;
    }
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

nb_tensor *nb_scaled_dot_product_attention(nb_tensor *q, nb_tensor *k, nb_tensor *v, nb_sdpa_opts o) {
    NBI_CHECK(OP, q, k, v);
    sdpa_geom g;
    if (!sdpa_check(q, k, v, &o, &g)) return NULL;
    nb_tensor *bias = sdpa_bias(&o, &g, q->dtype);
    if ((o.attn_mask || o.is_causal) && !bias) return NULL;
    nb_tensor *y = sdpa_composed(q, k, v, bias, g.scale, o.dropout_p);
    if (bias && bias != o.attn_mask && (!y || !y->node)) nb_free(bias); /* else its scope does */
    return y;
}
