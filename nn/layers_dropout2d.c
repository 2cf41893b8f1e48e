/* layers_dropout2d.c — F.dropout2d / nn.Dropout2d: channel dropout. In training each (n, c) channel is
 * kept with probability 1 - p and scaled by 1 / (1 - p); the mask of shape (N, C, 1, ...) is drawn as
 * torch's feature_dropout draws it (noise.bernoulli_(1 - p): one f64 uniform of the global generator
 * per channel, in order; then noise.div_(1 - p) in x's dtype). Eval mode: identity. */
#include "nb_nn_spatial.h"
#include "nb_internal.h"
#include "nbn_nn_spatial.h"

nb_tensor *nb_dropout2d(nb_tensor *x, double p, bool training) {
    NBT_API("nb_dropout2d");
    if (!x) return NULL;
    if (!nbt_ok(x, "nb_dropout2d")) return NULL;
    if (!(p >= 0 && p <= 1))
        return nbt_error("nb_dropout2d: dropout probability has to be between 0 and 1, but got %g", p);
    if (!nbt_is_float(x->dtype))
        return nbt_error("nb_dropout2d: expects a floating point tensor, got %s", nb_dtype_name(x->dtype));
    if (x->ndim < 2)
        return nbt_error("nb_dropout2d: Feature dropout requires at least 2 dimensions in the input (got %s)",
                         nbt_shape(x));
    if (!training || p == 0 || x->numel == 0) return x;
    int64_t shp[NB_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shp[d] = d < 2 ? x->shape[d] : 1;
    if (p == 1) return nb_mul(x, nb_zeros(x->dtype, x->ndim, shp)); /* torch: no draws at p = 1 */
    nb_tensor *mask = nb_empty(x->dtype, x->ndim, shp);
    if (!mask) return NULL;
    int64_t n = shp[0] * shp[1];
    /* f32: the scale is 1 / (float)(1 - p), as torch computes it in the input's type */
    double keep = mask->dtype == NB_F32 ? (double)(1.0f / (float)(1.0 - p)) : 1.0 / (1.0 - p);
    nbt_bernoulli_mask(mask->dtype, nbt_ptr(mask), n, 1.0 - p, keep);
    nb_tensor *y = nb_mul(x, mask);
    if (!y || !y->node) nb_free(mask); /* not saved for backward: release it now */
    return y;
}

static nb_tensor *dropout2d_fw(nb_module *m, nb_tensor *x) { return nb_dropout2d(x, m->hp[0], m->training); }
static void dropout2d_repr(const nb_module *m, char *b, size_t n) {
    char v[32];
    snprintf(b, n, "p=%s, inplace=False", nbn_py_float(v, sizeof v, m->hp[0]));
}
nb_module *nb_dropout2d_new(double p) {
    NBT_API("nb_dropout2d_new");
    if (!(p >= 0 && p <= 1))
        return nbt_error("nb_dropout2d_new: dropout probability has to be between 0 and 1, but got %g", p);
    nb_module *m = nb_module_new("Dropout2d", dropout2d_fw, NULL, NULL);
    if (!m) return NULL;
    m->hp[0] = p;
    m->extra_repr = dropout2d_repr;
    return m;
}
