/* ops_index.c — cat, stack, index_select (adjoint index_add), gather (adjoint scatter_add),
 * masked_fill. Backward rules use the adjoint op, so they are differentiable again. */
#include "nba_tape.h"
#include <stdlib.h>

/* y = [x0, x1, ...] along dim; dx_i = narrow(g, dim, offset_i, len_i) */
nb_tensor *nb_cat(int n, nb_tensor *const *xs, int dim) {
    if (n <= 0 || !xs) return nbt_error("nb_cat: expected a non-empty list of tensors");
    for (int i = 0; i < n; i++)
        if (!xs[i]) return NULL;
    if (!nba_args_ok("nb_cat", n, xs)) return NULL;
    /* torch's legacy rule: 1-D empty tensors (shape (0)) are skipped when the others have more dims,
     * so `out = cat(out, x)` loops may start from an empty tensor */
    int skip = 0, full_nd = 0;
    for (int i = 0; i < n; i++) {
        if (xs[i]->ndim == 1 && xs[i]->shape[0] == 0)
            skip++;
        else if (!full_nd)
            full_nd = xs[i]->ndim;
    }
    if (skip && full_nd > 1) {
        nb_tensor **kept = malloc(sizeof *kept * (size_t)(n - skip));
        if (!kept) return nbt_error("nb_cat: out of memory");
        int m = 0;
        for (int i = 0; i < n; i++)
            if (!(xs[i]->ndim == 1 && xs[i]->shape[0] == 0)) kept[m++] = xs[i];
        nb_tensor *y = nb_cat(m, kept, dim);
        free(kept);
        return y;
    }
    const nb_tensor *ref = xs[0];
    if (ref->ndim == 0)
        return nbt_error("nb_cat: zero-dimensional tensor (at position 0) cannot be concatenated");
    int d = nbt_dim(dim, ref->ndim, "nb_cat");
    if (d < 0) return NULL;
    nb_dtype dt = ref->dtype;
    for (int i = 1; i < n; i++) {
        if (xs[i]->ndim != ref->ndim)
            return nbt_error(
                "nb_cat: tensors must have same number of dimensions: got %d and %d (position %d)", ref->ndim,
                xs[i]->ndim, i);
        for (int k = 0; k < ref->ndim; k++)
            if (k != d && xs[i]->shape[k] != ref->shape[k])
                return nbt_error(
                    "nb_cat: sizes of tensors must match except in dimension %d: %s vs %s at position %d", d,
                    nbt_shape(ref), nbt_shape(xs[i]), i);
        dt = nbt_promote(dt, xs[i]->dtype);
    }
    nb_tensor *y = nbt_cat(n, xs, d, dt);
    nba_node *nd = nba_record(NBA_OP_cat, y, n, xs, NBA_SAVE_NONE);
    if (nd) nd->iv[0] = d;
    return y;
}
void nba_bw_cat(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    int d = (int)n->iv[0];
    int64_t off = 0;
    for (int i = 0; i < n->nin; i++) {
        nb_tensor *x = nba_in(n, i);
        if (nba_need(n, i)) gin[i] = nba_sum_to(nb_narrow(g, d, off, x->shape[d]), x);
        off += x->shape[d];
    }
}

nb_tensor *nb_stack(int n, nb_tensor *const *xs, int dim) {
    NBT_API("nb_stack");
    if (n <= 0 || !xs) return nbt_error("nb_stack: expected a non-empty list of tensors");
    if (!nbt_ok(xs[0], "nb_stack")) return NULL;
    int nd = xs[0]->ndim + 1; /* the result's dims: a new one is inserted at dim */
    if (dim < -nd || dim >= nd)
        return nbt_error("nb_stack: dim %d out of range for stacking %d-d tensors (expected %d..%d)", dim,
                         nd - 1, -nd, nd - 1);
    if (n > 64) {
        nb_tensor **u = malloc(sizeof *u * (size_t)n);
        if (!u) return nbt_error("nb_stack: out of memory");
        nb_tensor *y = NULL;
        bool ok = true;
        for (int i = 0; i < n; i++) {
            if (!xs[i]) {
                ok = false;
                break;
            }
            if (xs[i]->ndim != xs[0]->ndim || !nbt_same_shape(xs[i], xs[0])) {
                nbt_error("nb_stack: stack expects each tensor to be equal size, but got %s at entry 0 and "
                          "%s at entry %d",
                          nbt_shape(xs[0]), nbt_shape(xs[i]), i);
                ok = false;
                break;
            }
            u[i] = nb_unsqueeze(xs[i], dim);
            if (!u[i]) {
                ok = false;
                break;
            }
        }
        if (ok) y = nb_cat(n, u, dim < 0 ? dim : dim);
        free(u);
        return y;
    }
    nb_tensor *u[64];
    for (int i = 0; i < n; i++) {
        if (!xs[i]) return NULL;
        if (!nbt_ok(xs[i], "nb_stack")) return NULL;
        if (!nbt_same_shape(xs[i], xs[0]))
            return nbt_error("nb_stack: stack expects each tensor to be equal size, but got %s at entry 0 "
                             "and %s at entry %d",
                             nbt_shape(xs[0]), nbt_shape(xs[i]), i);
        u[i] = nb_unsqueeze(xs[i], dim);
        if (!u[i]) return NULL;
    }
    return nb_cat(n, u, dim);
}

/* y = x.index_select(dim, idx); dx = zeros.index_add(dim, idx, g) */
nb_tensor *nb_index_select(nb_tensor *x, int dim, nb_tensor *index) {
    NBA_CHECK("nb_index_select", x, index);
    if (x->ndim == 0) return nbt_error("nb_index_select: cannot index a 0-d tensor");
    int d = nbt_dim(dim, x->ndim, "nb_index_select");
    if (d < 0) return NULL;
    nb_tensor *y = nbt_index_select(x, d, index, "nb_index_select");
    nba_node *n = nba_record(NBA_OP_index_select, y, 1, &x, NBA_SAVE_NONE);
    if (n) {
        n->iv[0] = d;
        nba_set_aux(n, index);
    }
    return y;
}
/* link: also record x (derivative 0) as an input, so dx stays connected to x under create_graph; nb_pad's
 * reflect / replicate modes ask for it (iv[1] = 1), as torch's reflection_pad2d_backward(g, x) reads x */
static nb_tensor *index_add(nb_tensor *src, int ndim, const int64_t *shape, int d, nb_tensor *index,
                            nb_tensor *link) {
    if (!src || !nb_is_valid(index)) return NULL;
    nb_tensor *y = nbt_index_add(NULL, ndim, shape, d, index, src, "index_add");
    nba_node *n = nba_record(NBA_OP_index_add, y, link ? 2 : 1, (nb_tensor *[]){ src, link }, NBA_SAVE_NONE);
    if (n) {
        n->iv[0] = d;
        nba_set_aux(n, index);
    }
    return y;
}
void nba_bw_index_select(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the index of index_select was released before backward", nbt_fn());
        return;
    }
    gin[0] = index_add(g, x->ndim, x->shape, (int)n->iv[0], n->aux, n->iv[1] ? x : NULL);
}
/* y = zeros.index_add(dim, idx, src); dsrc = index_select(g, dim, idx) */
void nba_bw_index_add(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the index of index_add was released before backward", nbt_fn());
        return;
    }
    gin[0] = nb_index_select(g, (int)n->iv[0], n->aux);
    if (n->nin > 1 && nba_need(n, 1)) gin[1] = nb_zeros_like(nba_in(n, 1)); /* the linked x: 0 */
}

/* y = x.gather(dim, idx); dx = zeros.scatter_add(dim, idx, g) */
nb_tensor *nb_gather(nb_tensor *x, int dim, nb_tensor *index) {
    NBA_CHECK("nb_gather", x, index);
    int d = nbt_dim(dim, x->ndim, "nb_gather");
    if (d < 0) return NULL;
    nb_tensor *y = nbt_gather(x, d, index, "nb_gather");
    nba_node *n = nba_record(NBA_OP_gather, y, 1, &x, NBA_SAVE_NONE);
    if (n) {
        n->iv[0] = d;
        nba_set_aux(n, index);
    }
    return y;
}
void nba_bw_gather(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the index of gather was released before backward", nbt_fn());
        return;
    }
    if (!nb_is_grad_enabled()) /* first order: scatter into fresh zeros, no zeros-then-copy */
        gin[0] = nbt_scatter_add(NULL, x->ndim, x->shape, (int)n->iv[0], n->aux, g, nbt_fn());
    else /* create_graph: recorded, differentiable again */
        gin[0] = nb_scatter_add(nb_zeros_like(x), (int)n->iv[0], n->aux, g);
}

/* y = x.scatter_add(dim, idx, src); dx = g, dsrc = gather(g, dim, idx) */
nb_tensor *nb_scatter_add(nb_tensor *x, int dim, nb_tensor *index, nb_tensor *src) {
    NBA_CHECK("nb_scatter_add", x, index, src);
    int d = nbt_dim(dim, x->ndim, "nb_scatter_add");
    if (d < 0) return NULL;
    nb_tensor *y = nbt_scatter_add(x, x->ndim, x->shape, d, index, src, "nb_scatter_add");
    nba_node *n = nba_record(NBA_OP_scatter_add, y, 2, (nb_tensor *[]){ x, src }, NBA_SAVE_NONE);
    if (n) {
        n->iv[0] = d;
        nba_set_aux(n, index);
    }
    return y;
}
void nba_bw_scatter_add(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the index of scatter_add was released before backward", nbt_fn());
        return;
    }
    if (nba_need(n, 0)) gin[0] = g;
    if (nba_need(n, 1)) {
        nb_tensor *src = nba_in(n, 1), *idx = n->aux;
        nb_tensor *gs = nb_gather(g, (int)n->iv[0], idx);
        for (int k = 0; gs && k < src->ndim; k++) {      /* src larger than index: zero-pad (with cat, so */
            if (gs->shape[k] == src->shape[k]) continue; /* that it stays differentiable) */
            int64_t zs[NB_MAX_DIMS];
            for (int j = 0; j < gs->ndim; j++) zs[j] = gs->shape[j];
            zs[k] = src->shape[k] - gs->shape[k];
            gs = nb_cat(2, (nb_tensor *[]){ gs, nb_zeros(gs->dtype, gs->ndim, zs) }, k);
        }
        gin[1] = gs;
    }
}

/* y = mask ? value : x (x and mask broadcast together, as torch's out-of-place masked_fill);
 * dx = sum_to(masked_fill(g, mask, 0), x.shape) */
nb_tensor *nb_masked_fill(nb_tensor *x, nb_tensor *mask, double value) {
    NBT_API("nb_masked_fill");
    NBA_CHECK("nb_masked_fill", x, mask);
    int64_t shp[NB_MAX_DIMS];
    if (nbt_broadcast_shape(x->ndim, x->shape, mask->ndim, mask->shape, shp) < 0)
        return nbt_error("nb_masked_fill: mask of shape %s cannot be broadcast with %s", nbt_shape(mask),
                         nbt_shape(x));
    nb_tensor *v = nb_full(nbt_is_float(x->dtype) ? x->dtype : NB_F32, 0, NULL, value);
    nb_tensor *y = v ? nbt_where(mask, v, x, "nb_masked_fill") : NULL;
    nb_free(v);
    if (y && x->dtype == NB_I64) {
        nb_tensor *yi = nbt_copy(y, NB_I64);
        nb_free(y);
        return yi;
    }
    nba_node *n = nba_record(NBA_OP_masked_fill, y, 1, &x, NBA_SAVE_NONE);
    if (n) nba_set_aux(n, mask);
    return y;
}
void nba_bw_masked_fill(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the mask of masked_fill was released before backward", nbt_fn());
        return;
    }
    gin[0] = nba_sum_to(nb_masked_fill(g, n->aux, 0), nba_in(n, 0));
}
