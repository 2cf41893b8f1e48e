/* ops_shape.c — views and layout ops: reshape/view/flatten/squeeze/unsqueeze (one "reshape" node),
 * expand, permute/transpose, slice/narrow/select (+ slice_backward, its adjoint), contiguous,
 * clone, to. Views share storage with their input; each backward maps the grad back to the input. */
#include "nba_tape.h"

static nb_tensor *record_reshape(nb_tensor *x, nb_tensor *y) {
    nba_node *n = nba_record(NBA_OP_reshape, y, 1, &x, NBA_SAVE_NONE);
    (void)n;
    return y;
}

/* resolve one -1 and check the element count */
static bool infer_shape(const nb_tensor *x, int ndim, const int64_t *shape, int64_t *out, const char *op) {
    if (ndim < 0 || ndim > NB_MAX_DIMS || (ndim > 0 && !shape)) {
        nbt_error("%s: bad shape (%d dims)", op, ndim);
        return false;
    }
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == -1) {
            if (infer >= 0) {
                nbt_error("%s: only one dimension can be inferred in %s", op, nbt_shape_of(ndim, shape));
                return false;
            }
            infer = i;
        } else if (shape[i] < 0) {
            nbt_error("%s: invalid shape dimension %lld in %s", op, (long long)shape[i],
                      nbt_shape_of(ndim, shape));
            return false;
        } else if (__builtin_mul_overflow(known, shape[i], &known)) {
            nbt_error("%s: shape %s is invalid for input of size %lld", op, nbt_shape_of(ndim, shape),
                      (long long)x->numel);
            return false;
        }
        out[i] = shape[i];
    }
    if (infer >= 0) {
        if (known == 0 || x->numel % known) {
            nbt_error("%s: shape %s is invalid for input of size %lld", op, nbt_shape_of(ndim, shape),
                      (long long)x->numel);
            return false;
        }
        out[infer] = x->numel / known;
        known *= out[infer];
    }
    if (known != x->numel) {
        nbt_error("%s: shape %s is invalid for input of size %lld", op, nbt_shape_of(ndim, shape),
                  (long long)x->numel);
        return false;
    }
    return true;
}

/* Strides that give x the new shape without copying, if any (torch's computeStride): each run of
 * old dims that are contiguous with one another ("chunk") must map onto a run of new dims. */
static bool view_strides(const nb_tensor *x, int ndim, const int64_t *shp, int64_t *st) {
    if (x->ndim == 0) {
        for (int i = 0; i < ndim; i++) st[i] = 1;
        return true;
    }
    if (x->numel == 0 || nb_is_contiguous(x)) {
        nbt_contig_strides(ndim, shp, st);
        return true;
    }
    int vd = ndim - 1;
    int64_t base = x->stride[x->ndim - 1], tn = 1, vn = 1;
    for (int td = x->ndim - 1; td >= 0; td--) {
        tn *= x->shape[td];
        if (td == 0 || (x->shape[td - 1] != 1 && x->stride[td - 1] != tn * base)) { /* end of a chunk */
            while (vd >= 0 && (vn < tn || shp[vd] == 1)) {
                st[vd] = vn * base;
                vn *= shp[vd];
                vd--;
            }
            if (vn != tn) return false;
            if (td > 0) {
                base = x->stride[td - 1];
                tn = 1;
                vn = 1;
            }
        }
    }
    return vd == -1;
}

static nb_tensor *reshape_impl(nb_tensor *x, int ndim, const int64_t *shape, bool must_view, const char *op) {
    NBA_CHECK(op, x);
    int64_t shp[NB_MAX_DIMS], st[NB_MAX_DIMS];
    if (!infer_shape(x, ndim, shape, shp, op)) return NULL;
    nb_tensor *y;
    if (view_strides(x, ndim, shp, st)) {
        y = nbt_view(x, ndim, shp, st, x->offset);
    } else if (must_view) {
        return nbt_error(
            "%s: view size is not compatible with input tensor's size and stride (at least one dimension "
            "spans across two contiguous subspaces; input %s); use nb_reshape instead",
            op, nbt_shape(x));
    } else {
        nb_tensor *c = nbt_copy(x, x->dtype);
        if (!c) return NULL;
        nbt_contig_strides(ndim, shp, st);
        y = nbt_view(c, ndim, shp, st, 0);
        nb_free(c);
    }
    return record_reshape(x, y);
}

/* y = x with a new shape (same elements in row-major order); dx = reshape(g, x.shape) */
nb_tensor *nb_reshape(nb_tensor *x, int ndim, const int64_t *shape) {
    return reshape_impl(x, ndim, shape, false, "nb_reshape");
}
nb_tensor *nb_view(nb_tensor *x, int ndim, const int64_t *shape) {
    return reshape_impl(x, ndim, shape, true, "nb_view");
}
void nba_bw_reshape(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    gin[0] = nb_reshape(g, x->ndim, x->shape);
}

/* a view that only adds/removes size-1 dims: keeps strides, recorded as reshape */
static nb_tensor *restride(nb_tensor *x, int ndim, const int64_t *shp, const int64_t *st) {
    nb_tensor *y = nbt_view(x, ndim, shp, st, x->offset);
    return record_reshape(x, y);
}

nb_tensor *nb_flatten(nb_tensor *x, int start, int end) {
    NBT_API("nb_flatten");
    NBA_CHECK("nb_flatten", x);
    if (x->ndim == 0) return nb_reshape(x, 1, (int64_t[]){ 1 });
    int s = nbt_dim(start, x->ndim, "nb_flatten"), e = s < 0 ? -1 : nbt_dim(end, x->ndim, "nb_flatten");
    if (s < 0 || e < 0) return NULL;
    if (s > e) return nbt_error("nb_flatten: start_dim %d cannot come after end_dim %d", start, end);
    int64_t shp[NB_MAX_DIMS];
    int m = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (d <= s || d > e)
            shp[m++] = x->shape[d];
        else
            shp[m - 1] *= x->shape[d];
    }
    return nb_reshape(x, m, shp);
}

nb_tensor *nb_squeeze(nb_tensor *x, int dim) {
    NBA_CHECK("nb_squeeze", x);
    int d = nbt_dim(dim, x->ndim, "nb_squeeze");
    if (d < 0) return NULL;
    int64_t shp[NB_MAX_DIMS], st[NB_MAX_DIMS];
    int m = 0;
    for (int i = 0; i < x->ndim; i++)
        if (i != d || x->shape[i] != 1) {
            shp[m] = x->shape[i];
            st[m++] = x->stride[i];
        }
    return nba_label(restride(x, m, shp, st), x, "SqueezeBackward1");
}

nb_tensor *nb_squeeze_all(nb_tensor *x) {
    NBA_CHECK("nb_squeeze_all", x);
    int64_t shp[NB_MAX_DIMS], st[NB_MAX_DIMS];
    int m = 0;
    for (int i = 0; i < x->ndim; i++)
        if (x->shape[i] != 1) {
            shp[m] = x->shape[i];
            st[m++] = x->stride[i];
        }
    return nba_label(restride(x, m, shp, st), x, "SqueezeBackward0");
}

nb_tensor *nb_unsqueeze(nb_tensor *x, int dim) {
    NBA_CHECK("nb_unsqueeze", x);
    if (x->ndim >= NB_MAX_DIMS)
        return nbt_error("nb_unsqueeze: tensor already has %d dims (max %d)", x->ndim, NB_MAX_DIMS);
    if (dim < -(x->ndim + 1) || dim > x->ndim)
        return nbt_error("nb_unsqueeze: dim %d out of range for a %d-d tensor (expected %d..%d)", dim,
                         x->ndim, -(x->ndim + 1), x->ndim);
    int d = dim < 0 ? dim + x->ndim + 1 : dim;
    int64_t shp[NB_MAX_DIMS], st[NB_MAX_DIMS];
    int m = 0;
    for (int i = 0; i <= x->ndim; i++) {
        if (i == d) {
            shp[m] = 1;
            st[m++] = i < x->ndim ? x->shape[i] * x->stride[i] : 1;
        }
        if (i < x->ndim) {
            shp[m] = x->shape[i];
            st[m++] = x->stride[i];
        }
    }
    return nba_label(restride(x, m, shp, st), x, "UnsqueezeBackward0");
}

/* y = x broadcast to shape (stride 0 on new or size-1 dims); dx = sum_to_size(g, x.shape) */
nb_tensor *nb_expand(nb_tensor *x, int ndim, const int64_t *shape) {
    NBA_CHECK("nb_expand", x);
    if (ndim < x->ndim || ndim > NB_MAX_DIMS || (ndim && !shape))
        return nbt_error("nb_expand: the number of sizes provided (%d) must be greater or equal to the "
                         "number of dimensions in the tensor (%d)",
                         ndim, x->ndim);
    int64_t shp[NB_MAX_DIMS], st[NB_MAX_DIMS];
    int lead = ndim - x->ndim;
    for (int i = 0; i < ndim; i++) {
        int xd = i - lead;
        int64_t want = shape[i];
        if (xd < 0) {
            if (want < 0)
                return nbt_error("nb_expand: -1 is not allowed in a leading, non-existing dimension (%s)",
                                 nbt_shape_of(ndim, shape));
            shp[i] = want;
            st[i] = 0;
        } else if (want == -1 || want == x->shape[xd]) {
            shp[i] = x->shape[xd];
            st[i] = x->stride[xd];
        } else if (x->shape[xd] == 1 && want >= 0) {
            shp[i] = want;
            st[i] = 0;
        } else {
            return nbt_error("nb_expand: the expanded size of the tensor (%lld) must match the existing size "
                             "(%lld) at non-singleton dimension %d; target %s, tensor %s",
                             (long long)want, (long long)x->shape[xd], i, nbt_shape_of(ndim, shape),
                             nbt_shape(x));
        }
    }
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(numel, shp[i], &numel))
            return nbt_error("nb_expand: the expanded shape %s has more elements than an int64 counts",
                             nbt_shape_of(ndim, shp));
    nb_tensor *y = nbt_view(x, ndim, shp, st, x->offset);
    nba_record(NBA_OP_expand, y, 1, &x, NBA_SAVE_NONE);
    return y;
}
void nba_bw_expand(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    gin[0] = nb_sum_to_size(g, x->ndim, x->shape);
}

/* y = x with dims reordered; dx = permute(g, inverse) */
nb_tensor *nb_permute(nb_tensor *x, int ndims, const int *dims) {
    NBA_CHECK("nb_permute", x);
    if (ndims != x->ndim || (ndims && !dims))
        return nbt_error("nb_permute: number of dims don't match in permute (%d given for a %d-d tensor)",
                         ndims, x->ndim);
    int64_t shp[NB_MAX_DIMS], st[NB_MAX_DIMS];
    bool seen[NB_MAX_DIMS] = { false };
    int perm[NB_MAX_DIMS];
    for (int i = 0; i < ndims; i++) {
        int d = nbt_dim(dims[i], x->ndim, "nb_permute");
        if (d < 0) return NULL;
        if (seen[d]) return nbt_error("nb_permute: repeated dim %d", dims[i]);
        seen[d] = true;
        perm[i] = d;
        shp[i] = x->shape[d];
        st[i] = x->stride[d];
    }
    nb_tensor *y = nbt_view(x, ndims, shp, st, x->offset);
    nba_node *n = nba_record(NBA_OP_permute, y, 1, &x, NBA_SAVE_NONE);
    if (n) {
        n->niv = ndims;
        for (int i = 0; i < ndims; i++) n->iv[i] = perm[i];
    }
    return y;
}
void nba_bw_permute(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    int inv[NB_MAX_DIMS];
    for (int i = 0; i < n->niv; i++) inv[n->iv[i]] = i;
    gin[0] = nb_permute(g, n->niv, inv);
}

nb_tensor *nb_transpose(nb_tensor *x, int d0, int d1) {
    NBT_API("nb_transpose");
    NBA_CHECK("nb_transpose", x);
    if (x->ndim == 0) return nb_permute(x, 0, NULL);
    int a = nbt_dim(d0, x->ndim, "nb_transpose"), b = a < 0 ? -1 : nbt_dim(d1, x->ndim, "nb_transpose");
    if (a < 0 || b < 0) return NULL;
    int perm[NB_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) perm[i] = i;
    perm[a] = b;
    perm[b] = a;
    return nba_label(nb_permute(x, x->ndim, perm), x, "TransposeBackward0");
}

nb_tensor *nb_t(nb_tensor *x) {
    NBT_API("nb_t");
    NBA_CHECK("nb_t", x);
    if (x->ndim > 2)
        return nbt_error("nb_t: expects a tensor with <= 2 dimensions, but got %d (use nb_transpose)",
                         x->ndim);
    return nba_label(x->ndim == 2 ? nb_transpose(x, 0, 1) : nb_permute(x, x->ndim, (int[]){ 0 }), x,
                     "TBackward0");
}

/* y = x[start:end:step] along dim (a view); dx = slice_backward(g) (zeros elsewhere) */
nb_tensor *nb_slice(nb_tensor *x, int dim, int64_t start, int64_t end, int64_t step) {
    NBA_CHECK("nb_slice", x);
    if (x->ndim == 0) return nbt_error("nb_slice: cannot slice a 0-d tensor");
    int d = nbt_dim(dim, x->ndim, "nb_slice");
    if (d < 0) return NULL;
    if (step <= 0) return nbt_error("nb_slice: slice step must be positive (got %lld)", (long long)step);
    int64_t sz = x->shape[d];
    if (start < 0) start += sz;
    if (end < 0) end += sz;
    if (start < 0) start = 0;
    if (start > sz) start = sz;
    if (end > sz) end = sz;
    if (end < start) end = start;
    int64_t shp[NB_MAX_DIMS], st[NB_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) {
        shp[i] = x->shape[i];
        st[i] = x->stride[i];
    }
    shp[d] = (end - start + step - 1) / step;
    st[d] = x->stride[d] * step;
    nb_tensor *y = nbt_view(x, x->ndim, shp, st, x->offset + start * x->stride[d]);
    nba_node *n = nba_record(NBA_OP_slice, y, 1, &x, NBA_SAVE_NONE);
    if (n) {
        n->iv[0] = d;
        n->iv[1] = start;
        n->iv[2] = step;
    }
    return y;
}
static nb_tensor *slice_backward(nb_tensor *g, int ndim, const int64_t *shape, int dim, int64_t start,
                                 int64_t step);
void nba_bw_slice(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0), *acc = nb_is_grad_enabled() ? NULL : nba_grad_slot(n, 0);
    int d = (int)n->iv[0];
    if (acc &&
        acc->dtype == g->dtype) { /* g added into its slice of the gradient so far: no zeros of x's size */
        int64_t st[NB_MAX_DIMS];
        for (int i = 0; i < acc->ndim; i++) st[i] = acc->stride[i];
        st[d] *= n->iv[2];
        nb_tensor *dst = nbt_view(acc, g->ndim, g->shape, st, acc->offset + n->iv[1] * acc->stride[d]);
        nb_status ok = dst ? nbt_binary_into(NBT_ADD, dst, dst, g, "slice_backward") : NB_ERROR;
        nb_free(dst);
        if (ok == NB_OK) gin[0] = NBA_GRAD_ZERO;
        return;
    }
    gin[0] = slice_backward(g, x->ndim, x->shape, d, n->iv[1], n->iv[2]);
}

/* y = zeros(shape) with y[start::step] (on dim) = g; dg = slice(gy) */
static nb_tensor *slice_backward(nb_tensor *g, int ndim, const int64_t *shape, int dim, int64_t start,
                                 int64_t step) {
    if (!g) return NULL;
    nb_tensor *y = nb_zeros(g->dtype, ndim, shape);
    if (!y) return NULL;
    int64_t st[NB_MAX_DIMS];
    for (int i = 0; i < ndim; i++) st[i] = y->stride[i];
    st[dim] *= step;
    nb_tensor *dst = nbt_view(y, g->ndim, g->shape, st, start * y->stride[dim]);
    if (!dst || nbt_copy_into(dst, g, "slice_backward") != NB_OK) return NULL;
    nb_free(dst);
    nba_node *n = nba_record(NBA_OP_slice_backward, y, 1, &g, NBA_SAVE_NONE);
    if (n) {
        n->iv[0] = dim;
        n->iv[1] = start;
        n->iv[2] = step;
    }
    return y;
}
void nba_bw_slice_backward(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *src = nba_in(n, 0);
    int d = (int)n->iv[0];
    gin[0] = nb_slice(g, d, n->iv[1], n->iv[1] + src->shape[d] * n->iv[2], n->iv[2]);
}

nb_tensor *nb_narrow(nb_tensor *x, int dim, int64_t start, int64_t length) {
    NBT_API("nb_narrow");
    NBA_CHECK("nb_narrow", x);
    int d = x->ndim ? nbt_dim(dim, x->ndim, "nb_narrow") : -1;
    if (x->ndim == 0) return nbt_error("nb_narrow: cannot be applied to a 0-dim tensor");
    if (d < 0) return NULL;
    int64_t sz = x->shape[d];
    if (start < 0 && start >= -sz) start += sz;
    if (start < 0 || start > sz || length < 0 || length > sz - start) /* no start + length: it may overflow */
        return nbt_error("nb_narrow: start (%lld) + length (%lld) exceeds dimension size (%lld) of %s",
                         (long long)start, (long long)length, (long long)sz, nbt_shape(x));
    return nb_slice(x, d, start, start + length, 1);
}

nb_tensor *nb_select(nb_tensor *x, int dim, int64_t index) {
    NBA_CHECK("nb_select", x);
    if (x->ndim == 0) return nbt_error("nb_select: cannot be applied to a 0-dim tensor");
    int d = nbt_dim(dim, x->ndim, "nb_select");
    if (d < 0) return NULL;
    int64_t sz = x->shape[d];
    if (index < -sz || index >= sz)
        return nbt_error("nb_select: index %lld out of range for tensor of size %s at dimension %d",
                         (long long)index, nbt_shape(x), d);
    if (index < 0) index += sz;
    /* y = x[index] on dim d: a view without dim d, one node (torch's SelectBackward0) */
    int64_t shp[NB_MAX_DIMS], st[NB_MAX_DIMS];
    for (int i = 0, k = 0; i < x->ndim; i++)
        if (i != d) shp[k] = x->shape[i], st[k++] = x->stride[i];
    nb_tensor *y = nbt_view(x, x->ndim - 1, shp, st, x->offset + index * x->stride[d]);
    nba_node *n = nba_record(NBA_OP_select, y, 1, &x, NBA_SAVE_NONE);
    if (n) {
        n->iv[0] = d;
        n->iv[1] = index;
    }
    return y;
}
/* dx = zeros(x.shape) with g at index on dim (slice_backward of g with the dim put back) */
void nba_bw_select(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    int d = (int)n->iv[0];
    if (nb_is_grad_enabled()) { /* create_graph: recorded, differentiable again */
        gin[0] = slice_backward(nb_unsqueeze(g, d), x->ndim, x->shape, d, n->iv[1], 1);
        return;
    }
    /* not recording: write g straight into the zeros through a view that lives on the stack */
    nb_tensor *y = nb_zeros(g->dtype, x->ndim, x->shape);
    if (!y) return;
    nb_tensor v = *y;
    v.ndim = x->ndim - 1;
    for (int i = 0, k = 0; i < x->ndim; i++)
        if (i != d) v.shape[k] = y->shape[i], v.stride[k++] = y->stride[i];
    v.offset = n->iv[1] * y->stride[d];
    v.numel = g->numel;
    gin[0] = nbt_copy_into(&v, g, "select backward") == NB_OK ? y : NULL;
}

/* y = copy of x (history kept); dx = g */
nb_tensor *nb_clone(nb_tensor *x) {
    NBA_CHECK("nb_clone", x);
    nb_tensor *y = nbt_copy(x, x->dtype);
    nba_record(NBA_OP_clone, y, 1, &x, NBA_SAVE_NONE);
    return y;
}
void nba_bw_clone(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    (void)n;
    gin[0] = g;
}

nb_tensor *nb_contiguous(nb_tensor *x) {
    NBT_API("nb_contiguous");
    NBA_CHECK("nb_contiguous", x);
    return nb_is_contiguous(x) ? x : nb_clone(x);
}

/* y = x converted to dt (x itself if already dt); dx = to(g, x.dtype) */
nb_tensor *nb_to(nb_tensor *x, nb_dtype dt) {
    NBA_CHECK("nb_to", x);
    if (dt != NB_F32 && dt != NB_F64 && dt != NB_I64) return nbt_error("nb_to: unknown dtype %d", (int)dt);
    if (x->dtype == dt) return x;
    nb_tensor *y = nbt_copy(x, dt);
    if (nbt_is_float(dt)) nba_record(NBA_OP_to, y, 1, &x, NBA_SAVE_NONE);
    return y;
}
void nba_bw_to(nba_node *n, nb_tensor *g, nb_tensor **gin) { gin[0] = nb_to(g, nba_in(n, 0)->dtype); }
