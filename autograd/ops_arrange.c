/* ops_arrange.c — ops that move elements: flip and tril/triu (recorded ops, their backward the same op on
 * the gradient), and the composites roll (narrow + cat) and repeat (cat of copies), whose gradients
 * come from the ops they are built of. */
#include "nbi_tape.h"
#include "nb_helpers.h"
#include <stdlib.h>

/* y = flip(x, dims); dx = flip(g, dims) */
nb_tensor *nb_flip(nb_tensor *x, int ndims, const int *dims) {
    NBI_CHECK("nb_flip", x);
    if (ndims > 0 && !nbi_nonnull(dims, "nb_flip", "dims")) return NULL;
    bool fl[NB_MAX_DIMS] = { false };
    for (int i = 0; i < ndims; i++) {
        int d = x->ndim ? nbi_dim(dims[i], x->ndim, "nb_flip") : (dims[i] == 0 || dims[i] == -1 ? 0 : -1);
        if (d < 0)
            return x->ndim ? NULL : nbi_error("nb_flip: dim %d out of range for a 0-d tensor", dims[i]);
        if (x->ndim && fl[d])
            return nbi_error("nb_flip: dim %d appears multiple times in the list of dims", d);
        if (x->ndim) fl[d] = true;
    }
    nb_tensor *y = nbk_flip(x, fl);
    nbi_node *n = nbi_record(NBI_OP_flip, y, 1, &x, 0);
    if (n) {
        n->niv = 0;
        for (int d = 0; d < x->ndim; d++)
            if (fl[d]) n->iv[n->niv++] = d;
    }
    return y;
}
void nbi_bw_flip(nbi_node *n, nb_tensor *g, nb_tensor **gin) {
    int d[NB_MAX_DIMS];
    for (int i = 0; i < n->niv; i++) d[i] = (int)n->iv[i];
    gin[0] = nb_flip(g, n->niv, d);
}

static nb_tensor *tri(nbi_opcode op, nb_tensor *x, int64_t diagonal, bool upper, const char *name) {
    NBI_CHECK(name, x);
    if (x->ndim < 2)
        return nbi_error("%s: input tensor must have at least 2 dimensions (got %s)", name, nbi_shape(x));
    nb_tensor *y = nbk_tri(x, diagonal, upper);
    nbi_node *n = nbi_record(op, y, 1, &x, 0);
    if (n) n->iv[0] = diagonal;
    return y;
}
/* y = tril(x, k); dx = tril(g, k) */
nb_tensor *nb_tril(nb_tensor *x, int64_t diagonal) {
    NBI_API("nb_tril");
    return tri(NBI_OP_tril, x, diagonal, false, "nb_tril");
}
void nbi_bw_tril(nbi_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_tril(g, n->iv[0]); }
/* y = triu(x, k); dx = triu(g, k) */
nb_tensor *nb_triu(nb_tensor *x, int64_t diagonal) {
    NBI_API("nb_triu");
    return tri(NBI_OP_triu, x, diagonal, true, "nb_triu");
}
void nbi_bw_triu(nbi_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_triu(g, n->iv[0]); }

/* x rolled by s along d: cat(x[n - s:], x[:n - s]) */
static nb_tensor *roll1(nb_tensor *x, int64_t shift, int d) {
    int64_t sz = x->shape[d];
    if (sz == 0) return x;
    int64_t s = ((shift % sz) + sz) % sz;
    if (s == 0) return x;
    nb_tensor *parts[2] = { nb_narrow(x, d, sz - s, s), nb_narrow(x, d, 0, sz - s) };
    return nb_cat(2, parts, d);
}

nb_tensor *nb_roll(nb_tensor *x, int ndims, const int64_t *shifts, const int *dims) {
    NBI_API("nb_roll");
    NBI_CHECK("nb_roll", x);
    if (ndims < 0 || (ndims > 0 && !dims) || !shifts)
        return nbi_error("nb_roll: shifts (and dims) must be given");
    nb_tensor *y;
    if (ndims == 0) { /* torch: roll the flattened tensor, then view it back */
        nb_tensor *f = nb_reshape(x, 1, (int64_t[]){ x->numel });
        y = f ? nb_reshape(roll1(f, shifts[0], 0), x->ndim, x->shape) : NULL;
    } else {
        if (x->ndim == 0) return nbi_error("nb_roll: dims out of range for a 0-d tensor");
        y = x;
        for (int i = 0; i < ndims && y; i++) {
            int d = nbi_dim(dims[i], x->ndim, "nb_roll");
            y = d < 0 ? NULL : roll1(y, shifts[i], d);
        }
        if (y == x) y = nb_clone(x); /* torch returns a new tensor even for zero shifts */
    }
    return nbi_label(y, x, "RollBackward0");
}

nb_tensor *nb_repeat(nb_tensor *x, int n, const int64_t *repeats) {
    NBI_API("nb_repeat");
    NBI_CHECK("nb_repeat", x);
    if (n > 0 && !nbi_nonnull(repeats, "nb_repeat", "repeats")) return NULL;
    if (n < x->ndim || n > NB_MAX_DIMS)
        return nbi_error(
            "nb_repeat: number of dimensions of repeat dims (%d) can not be smaller than number of "
            "dimensions of tensor %s (and at most %d)",
            n, nbi_shape(x), NB_MAX_DIMS);
    int64_t shape[NB_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        if (repeats[i] < 0)
            return nbi_error("nb_repeat: trying to create tensor with negative dimension %lld",
                             (long long)repeats[i]);
        shape[i] = i < n - x->ndim ? 1 : x->shape[i - (n - x->ndim)];
    }
    int64_t total = 1; /* the result's size must be representable (the creation limit is 2^40 elements) */
    for (int i = 0; i < n; i++)
        if (__builtin_mul_overflow(total, shape[i], &total) ||
            __builtin_mul_overflow(total, repeats[i], &total) || total > ((int64_t)1 << 40))
            return nbi_error("nb_repeat: repeating %s by %s is too large", nbi_shape(x),
                             nbi_shape_of(n, repeats));
    nb_tensor *y = nb_reshape(x, n, shape);
    for (int d = 0; d < n && y; d++) {
        if (repeats[d] == 1) continue;
        if (repeats[d] == 0) {
            shape[d] = 0;
            y = nb_narrow(y, d, 0, 0);
            continue;
        }
        nb_tensor **copies = malloc(sizeof *copies * (size_t)repeats[d]);
        if (!copies) return nbi_error("nb_repeat: out of memory");
        for (int64_t k = 0; k < repeats[d]; k++) copies[k] = y;
        y = repeats[d] > 0x7fffffff ? nbi_error("nb_repeat: repeat count too large")
                                    : nb_cat((int)repeats[d], copies, d);
        free(copies);
    }
    if (y == x) y = nb_clone(x);
    return nbi_label(y, x, "RepeatBackward0");
}
