/* ops_arrange.c — ops that move elements: flip and tril/triu (recorded ops, their backward the same op on
 * the gradient), and the composites roll (narrow + cat) and repeat (cat of copies), whose gradients
 * come from the ops they are built of. */
#include "nba_tape.h"
#include "nb_helpers.h"
#include <stdlib.h>

/* y = flip(x, dims); dx = flip(g, dims) */
nb_tensor *nb_flip(nb_tensor *x, int ndims, const int *dims) {
    NBA_CHECK("nb_flip", x);
    if (ndims > 0 && !nbt_nonnull(dims, "nb_flip", "dims")) return NULL;
    bool fl[NB_MAX_DIMS] = { false };
    for (int i = 0; i < ndims; i++) {
        int d = x->ndim ? nbt_dim(dims[i], x->ndim, "nb_flip") : (dims[i] == 0 || dims[i] == -1 ? 0 : -1);
        if (d < 0)
            return x->ndim ? NULL : nbt_error("nb_flip: dim %d out of range for a 0-d tensor", dims[i]);
        if (x->ndim && fl[d])
            return nbt_error("nb_flip: dim %d appears multiple times in the list of dims", d);
        if (x->ndim) fl[d] = true;
    }
    nb_tensor *y = nbt_flip(x, fl);
    nba_node *n = nba_record(NBA_OP_flip, y, 1, &x, 0);
    if (n) {
        n->niv = 0;
        for (int d = 0; d < x->ndim; d++)
            if (fl[d]) n->iv[n->niv++] = d;
    }
    return y;
}
void nba_bw_flip(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    int d[NB_MAX_DIMS];
    for (int i = 0; i < n->niv; i++) d[i] = (int)n->iv[i];
    gin[0] = nb_flip(g, n->niv, d);
}

static nb_tensor *tri(nba_opcode op, nb_tensor *x, int64_t diagonal, bool upper, const char *name) {
    NBA_CHECK(name, x);
    if (x->ndim < 2)
        return nbt_error("%s: input tensor must have at least 2 dimensions (got %s)", name, nbt_shape(x));
    nb_tensor *y = nbt_tri(x, diagonal, upper);
    nba_node *n = nba_record(op, y, 1, &x, 0);
    if (n) n->iv[0] = diagonal;
    return y;
}
/* y = tril(x, k); dx = tril(g, k) */
nb_tensor *nb_tril(nb_tensor *x, int64_t diagonal) {
    NBT_API("nb_tril");
    return tri(NBA_OP_tril, x, diagonal, false, "nb_tril");
}
void nba_bw_tril(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_tril(g, n->iv[0]); }
/* y = triu(x, k); dx = triu(g, k) */
nb_tensor *nb_triu(nb_tensor *x, int64_t diagonal) {
    NBT_API("nb_triu");
    return tri(NBA_OP_triu, x, diagonal, true, "nb_triu");
}
void nba_bw_triu(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_triu(g, n->iv[0]); }

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
    NBT_API("nb_roll");
    NBA_CHECK("nb_roll", x);
    if (ndims < 0 || (ndims > 0 && !dims) || !shifts)
        return nbt_error("nb_roll: shifts (and dims) must be given");
    nb_tensor *y;
    if (ndims == 0) { /* torch: roll the flattened tensor, then view it back */
        nb_tensor *f = nb_reshape(x, 1, (int64_t[]){ x->numel });
        y = f ? nb_reshape(roll1(f, shifts[0], 0), x->ndim, x->shape) : NULL;
    } else {
        if (x->ndim == 0) return nbt_error("nb_roll: dims out of range for a 0-d tensor");
        y = x;
        for (int i = 0; i < ndims && y; i++) {
            int d = nbt_dim(dims[i], x->ndim, "nb_roll");
            y = d < 0 ? NULL : roll1(y, shifts[i], d);
        }
        if (y == x) y = nb_clone(x); /* torch returns a new tensor even for zero shifts */
    }
    return nba_label(y, x, "RollBackward0");
}

nb_tensor *nb_repeat(nb_tensor *x, int n, const int64_t *repeats) {
    NBT_API("nb_repeat");
    NBA_CHECK("nb_repeat", x);
    if (n > 0 && !nbt_nonnull(repeats, "nb_repeat", "repeats")) return NULL;
    if (n < x->ndim || n > NB_MAX_DIMS)
        return nbt_error(
            "nb_repeat: number of dimensions of repeat dims (%d) can not be smaller than number of "
            "dimensions of tensor %s (and at most %d)",
            n, nbt_shape(x), NB_MAX_DIMS);
    int64_t shape[NB_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        if (repeats[i] < 0)
            return nbt_error("nb_repeat: trying to create tensor with negative dimension %lld",
                             (long long)repeats[i]);
        shape[i] = i < n - x->ndim ? 1 : x->shape[i - (n - x->ndim)];
    }
    int64_t total = 1; /* the result's size must be representable (the creation limit is 2^40 elements) */
    for (int i = 0; i < n; i++)
        if (__builtin_mul_overflow(total, shape[i], &total) ||
            __builtin_mul_overflow(total, repeats[i], &total) || total > ((int64_t)1 << 40))
            return nbt_error("nb_repeat: repeating %s by %s is too large", nbt_shape(x),
                             nbt_shape_of(n, repeats));
    nb_tensor *y = nb_reshape(x, n, shape);
    for (int d = 0; d < n && y; d++) {
        if (repeats[d] == 1) continue;
        if (repeats[d] == 0) {
            shape[d] = 0;
            y = nb_narrow(y, d, 0, 0);
            continue;
        }
        nb_tensor **copies = malloc(sizeof *copies * (size_t)repeats[d]);
        if (!copies) return nbt_error("nb_repeat: out of memory");
        for (int64_t k = 0; k < repeats[d]; k++) copies[k] = y;
        y = repeats[d] > 0x7fffffff ? nbt_error("nb_repeat: repeat count too large")
                                    : nb_cat((int)repeats[d], copies, d);
        free(copies);
    }
    if (y == x) y = nb_clone(x);
    return nba_label(y, x, "RepeatBackward0");
}
