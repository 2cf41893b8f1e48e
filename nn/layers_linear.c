/* layers_linear.c — nn.Linear and nn.Sequential, the two containers of an MLP. Linear keeps
 * torch's layout (weight (out, in), bias (out)) and default init, so a state dict loads into torch. */
#include "nb_nn.h"
#include "nb_internal.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

/* y = x W^T + b */
static nb_tensor *linear_forward(nb_module *m, nb_tensor *x) {
    if (nb_is_valid(x) && (x->ndim == 0 || x->shape[x->ndim - 1] != m->ip[0]))
        return nbt_error("nb_module_forward: Linear(in_features=%lld, out_features=%lld): input %s must have "
                         "%lld features in its last dim",
                         (long long)m->ip[0], (long long)m->ip[1], nbt_shape(x), (long long)m->ip[0]);
    return nb_linear(x, m->params[0], m->nparams > 1 ? m->params[1] : NULL);
}

nb_module *nb_linear_new(int64_t in_features, int64_t out_features, bool bias) {
    NBT_API("nb_linear_new");
    if (in_features <= 0 || out_features <= 0)
        return nbt_error("nb_linear_new: in_features and out_features must be positive (got %lld, %lld)",
                         (long long)in_features, (long long)out_features);
    nb_module *m = nb_module_new("Linear", linear_forward, NULL, NULL);
    if (!m) return NULL;
    m->ip[0] = in_features;
    m->ip[1] = out_features;
    nb_tensor *w = nbt_new_persistent(NB_F32, 2, (int64_t[]){ out_features, in_features });
    if (nb_module_register_parameter(m, "weight", w) != NB_OK) {
        nb_free(w);
        nb_module_free(m);
        return NULL;
    }
    /* torch: kaiming_uniform_(w, a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)); bias the same bound */
    bool ok = nb_init_kaiming_uniform_(w, sqrt(5.0), NB_FAN_IN, NB_NONLIN_LEAKY_RELU) != NULL;
    if (bias) {
        nb_tensor *b = nbt_new_persistent(NB_F32, 1, (int64_t[]){ out_features });
        if (nb_module_register_parameter(m, "bias", b) != NB_OK) {
            nb_free(b);
            nb_module_free(m);
            return NULL;
        }
        double bound = 1.0 / sqrt((double)in_features);
        ok = ok && nb_init_uniform_(b, -bound, bound) != NULL;
    }
    if (!ok) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}

/* y = m_{n-1}(... m_0(x)) */
static nb_tensor *sequential_forward(nb_module *m, nb_tensor *x) {
    for (int i = 0; i < m->nchildren && x; i++) x = nb_module_forward(m->children[i], x);
    return x;
}

nb_module *nb_sequential_from(int n, nb_module *const *mods) {
    NBT_API("nb_sequential_from");
    bool ok = n >= 0 && (n == 0 || mods);
    for (int i = 0; ok && i < n; i++) ok = mods[i] != NULL;
    nb_module *m = ok ? nb_module_new("Sequential", sequential_forward, NULL, NULL) : NULL;
    for (int i = 0; m && i < n; i++) {
        char name[24];
        snprintf(name, sizeof name, "%d", i);
        if (nb_module_register_module(m, name, mods[i]) != NB_OK) {
            for (int j = i; j < n; j++) nb_module_free(mods[j]);
            nb_module_free(m);
            return NULL;
        }
    }
    if (!m) {
        for (int i = 0; mods && i < n; i++) nb_module_free(mods[i]);
        if (!ok)
            return nbt_error(
                "nb_sequential_new: a submodule is NULL (its constructor failed: see the first error)");
    }
    return m;
}

nb_module *nb_sequential_new(int n, ...) {
    NBT_API("nb_sequential_new");
    if (n < 0 || n > 4096) return nbt_error("nb_sequential_new: bad module count %d", n);
    nb_module **mods = malloc(sizeof *mods * (size_t)(n ? n : 1));
    if (!mods) return nbt_error("nb_sequential_new: out of memory");
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) mods[i] = va_arg(ap, nb_module *);
    va_end(ap);
    nb_module *m = nb_sequential_from(n, mods);
    free(mods);
    return m;
}
