/* layers_dropout.c — nn.Dropout / F.dropout: inverted dropout. In training every element is kept
 * with probability 1 - p and scaled by 1 / (1 - p); the mask is drawn from the global generator as
 * torch's CPU bernoulli_ draws it (equal to torch's after the same seed). Eval mode: identity. */
#include "nb_nn.h"
#include "nb_internal.h"

nb_tensor *nb_dropout(nb_tensor *x, double p, bool training) {
    NBT_API("nb_dropout");
    if (!x) return NULL;
    if (!nbt_ok(x, "nb_dropout")) return NULL;
    if (!(p >= 0 && p <= 1))
        return nbt_error("nb_dropout: dropout probability has to be between 0 and 1, but got %g", p);
    if (!nbt_is_float(x->dtype))
        return nbt_error("nb_dropout: expects a floating point tensor, got %s", nb_dtype_name(x->dtype));
    if (!training || p == 0 || x->numel == 0) return x; /* torch's _dropout_impl: no draws */
    if (p == 1) return nb_mul_scalar(x, 0.0);           /* torch: input * zeros({}), no draws */
    /* torch's CPU noise.bernoulli_(1 - p): one f64 uniform (nb_rand_double) per element, in order */
    nb_tensor *mask = nb_empty_like(x); /* contiguous, not recorded */
    if (!mask) return NULL;
    double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
    nbt_bernoulli_mask(mask->dtype, nbt_ptr(mask), mask->numel, 1.0 - p, scale);
    nb_tensor *y = nb_mul(x, mask);
    if (!y || !y->node) nb_free(mask); /* not saved for backward: release it now (else its scope does) */
    return y;
}

static nb_tensor *dropout_fw(nb_module *m, nb_tensor *x) { return nb_dropout(x, m->hp[0], m->training); }

nb_module *nb_dropout_new(double p) {
    NBT_API("nb_dropout_new");
    if (!(p >= 0 && p <= 1))
        return nbt_error("nb_dropout_new: dropout probability has to be between 0 and 1, but got %g", p);
    nb_module *m = nb_module_new("Dropout", dropout_fw, NULL, NULL);
    if (m) m->hp[0] = p;
    return m;
}
