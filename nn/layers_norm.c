/* layers_norm.c — nn.LayerNorm / F.layer_norm: normalise over the trailing normalized_shape dims
 * with the biased variance, then scale and shift: one fused node (autograd/ops_norm.c) for float inputs
 * whose weight and bias share their dtype, else written with differentiable ops (mean, rsqrt). */
#include "nb_nn.h"
#include "nb_internal.h"
#include "nba_autograd.h"

/* y = (x - mean) / sqrt(var + eps) * w + b over the last nd dims */
nb_tensor *nb_layer_norm(nb_tensor *x, int nd, const int64_t *shape, nb_tensor *w, nb_tensor *b, double eps) {
    NBT_API("nb_layer_norm");
    if (!x) return NULL;
    if (!nbt_ok(x, "nb_layer_norm")) return NULL;
    if (nd <= 0 || !shape || nd > x->ndim)
        return nbt_error("nb_layer_norm: normalized_shape %s does not fit input %s",
                         shape ? nbt_shape_of(nd > 0 ? nd : 0, shape) : "NULL", nbt_shape(x));
    for (int i = 0; i < nd; i++)
        if (x->shape[x->ndim - nd + i] != shape[i])
            return nbt_error("nb_layer_norm: given normalized_shape=%s, expected an input whose last dims "
                             "are %s, but got input of size %s",
                             nbt_shape_of(nd, shape), nbt_shape_of(nd, shape), nbt_shape(x));
    const nb_tensor *wb[2] = { w, b };
    for (int k = 0; k < 2; k++) { /* weight and bias have exactly normalized_shape (torch checks it) */
        if (!wb[k]) continue;
        if (!nbt_ok(wb[k], "nb_layer_norm")) return NULL;
        bool same = wb[k]->ndim == nd;
        for (int i = 0; same && i < nd; i++) same = wb[k]->shape[i] == shape[i];
        if (!same)
            return nbt_error("nb_layer_norm: %s shape %s does not match normalized_shape %s",
                             k ? "bias" : "weight", nbt_shape(wb[k]), nbt_shape_of(nd, shape));
    }
    int dims[NB_MAX_DIMS];
    for (int i = 0; i < nd; i++) dims[i] = x->ndim - nd + i;
    if (eps == 0) eps = 1e-5;
    bool fused = nbt_is_float(x->dtype) && (!w || w->dtype == x->dtype) && (!b || b->dtype == x->dtype);
    if (fused) return nba_layer_norm(x, nd, w, b, eps); /* one node, as torch's native_layer_norm */
    nb_tensor *xc = nb_sub(x, nb_mean_dim(x, nd, dims, true));
    nb_tensor *var = nb_mean_dim(nb_square(xc), nd, dims, true);
    nb_tensor *y = nb_mul(xc, nb_rsqrt(nb_add_scalar(var, eps)));
    if (w) y = nb_mul(y, w);
    if (b) y = nb_add(y, b);
    return y;
}

static nb_tensor *layer_norm_fw(nb_module *m, nb_tensor *x) {
    return nb_layer_norm(x, (int)m->ip[0], m->ip + 1, m->nparams ? m->params[0] : NULL,
                         m->nparams > 1 ? m->params[1] : NULL, m->hp[0]);
}

nb_module *nb_layer_norm_new(int nd, const int64_t *shape, double eps, bool elementwise_affine) {
    NBT_API("nb_layer_norm_new");
    if (!nbt_nonnull(shape, "nb_layer_norm_new", "normalized_shape")) return NULL;
    if (nd <= 0 || nd > NB_MAX_DIMS)
        return nbt_error("nb_layer_norm_new: normalized_shape needs 1 to %d dims (got %d)", NB_MAX_DIMS, nd);
    for (int i = 0; i < nd; i++)
        if (shape[i] <= 0)
            return nbt_error("nb_layer_norm_new: normalized_shape %s must be positive",
                             nbt_shape_of(nd, shape));
    nb_module *m = nb_module_new("LayerNorm", layer_norm_fw, NULL, NULL);
    if (!m) return NULL;
    m->ip[0] = nd;
    for (int i = 0; i < nd; i++) m->ip[1 + i] = shape[i];
    m->hp[0] = eps == 0 ? 1e-5 : eps;
    if (elementwise_affine) {
        nb_tensor *w = nbt_new_persistent(NB_F32, nd, shape);
        if (nb_module_register_parameter(m, "weight", w) != NB_OK || !nb_init_ones_(w)) {
            if (m->nparams == 0) nb_free(w);
            nb_module_free(m);
            return NULL;
        }
        nb_tensor *b = nbt_new_persistent(NB_F32, nd, shape);
        if (nb_module_register_parameter(m, "bias", b) != NB_OK || !nb_init_zeros_(b)) {
            if (m->nparams == 1) nb_free(b);
            nb_module_free(m);
            return NULL;
        }
    }
    return m;
}
