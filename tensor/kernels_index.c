/* kernels_index.c — cat, index_select / index_add, gather / scatter_add on contiguous copies.
 * Indices are i64 in [0, size) of the indexed dim; negative ones are errors, as in torch's
 * index_select / gather / scatter_add (a -1 label must not silently pick the last class). */
#include "nb_kernels.h"

nb_tensor *nbt_cat(int n, nb_tensor *const *xs, int dim, nb_dtype dt) {
    int64_t shp[NB_MAX_DIMS];
    const nb_tensor *ref = xs[0];
    for (int d = 0; d < ref->ndim; d++) shp[d] = ref->shape[d];
    shp[dim] = 0;
    for (int i = 0; i < n; i++) shp[dim] += xs[i]->shape[dim];
    nb_tensor *y = nbt_new(dt, ref->ndim, shp);
    if (!y) return NULL;
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        nb_tensor *v = nbt_view(y, xs[i]->ndim, xs[i]->shape, y->stride, off * y->stride[dim]);
        if (!v || nbt_copy_into(v, xs[i], "nb_cat") != NB_OK) return NULL;
        nb_free(v);
        off += xs[i]->shape[dim];
    }
    return y;
}

/* index values as a contiguous i64 array, range-checked against size */
static const int64_t *indices(const nb_tensor *index, int64_t size, const char *op, nb_tensor **tmp) {
    *tmp = NULL;
    if (index->dtype != NB_I64)
        return nbt_error("%s: index must be an int64 tensor (got %s)", op, nb_dtype_name(index->dtype));
    nb_tensor *c = nbt_contig(index);
    if (!c) return NULL;
    if (c != index) *tmp = c;
    const int64_t *p = (const int64_t *)nbt_ptr(c);
    for (int64_t i = 0; i < c->numel; i++)
        if (p[i] < 0 || p[i] >= size) {
            nbt_error("%s: index %lld is out of bounds for dimension with size %lld", op, (long long)p[i],
                      (long long)size);
            if (*tmp) nb_free(*tmp);
            *tmp = NULL;
            return NULL;
        }
    return p;
}

/* rows of a large table picked at random: two threads keep twice the misses in flight (a Fashion-MNIST batch of
 * 256 images gathered at ~5 GB/s on one thread, 5% of the MLP epoch). Small gathers stay out of libgomp (a
 * region with a false if clause still costs a call). */
void nbt_gather_rows(char *dst, const char *src, const int64_t *idx, int64_t n, size_t row) {
    if ((double)n * (double)row >= 512.0 * 1024) {
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < n; r++) memcpy(dst + (size_t)r * row, src + (size_t)idx[r] * row, row);
        return;
    }
    for (int64_t r = 0; r < n; r++) memcpy(dst + (size_t)r * row, src + (size_t)idx[r] * row, row);
}

nb_tensor *nbt_index_select(const nb_tensor *x, int dim, const nb_tensor *index, const char *op) {
    if (index->ndim > 1)
        return nbt_error("%s: index must be a 0-d or 1-d tensor (got %s)", op, nbt_shape(index));
    nb_tensor *tmp;
    const int64_t *ip = indices(index, x->shape[dim], op, &tmp);
    if (!ip) return NULL;
    nb_tensor *xc = nbt_contig(x);
    int64_t shp[NB_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shp[d] = x->shape[d];
    shp[dim] = index->numel;
    nb_tensor *y = xc ? nbt_new(x->dtype, x->ndim, shp) : NULL;
    if (y) {
        int64_t outer, D, inner, J = index->numel;
        nbt_split3(xc, dim, &outer, &D, &inner);
        size_t esz = nb_dtype_size(x->dtype), row = (size_t)inner * esz;
        const char *src = nbt_ptr(xc);
        char *dst = nbt_ptr(y);
        for (int64_t o = 0; o < outer; o++)
            nbt_gather_rows(dst + (size_t)(o * J) * row, src + (size_t)(o * D) * row, ip, J, row);
    }
    if (xc && xc != x) nb_free(xc);
    if (tmp) nb_free(tmp);
    return y;
}

static nb_tensor *base_copy(const nb_tensor *base, nb_dtype dt, int ndim, const int64_t *shape) {
    if (base) return nbt_copy(base, dt);
    return nb_zeros(dt, ndim, shape);
}

static void add_at(nb_tensor *y, int64_t yi, const nb_tensor *s, int64_t si) {
    if (y->dtype == NB_F32)
        ((float *)nbt_ptr(y))[yi] += ((const float *)nbt_ptr(s))[si];
    else
        ((double *)nbt_ptr(y))[yi] += ((const double *)nbt_ptr(s))[si];
}

nb_tensor *nbt_index_add(const nb_tensor *base, int ndim, const int64_t *shape, int dim,
                         const nb_tensor *index, const nb_tensor *src, const char *op) {
    if (index->ndim > 1)
        return nbt_error("%s: index must be a 0-d or 1-d tensor (got %s)", op, nbt_shape(index));
    nb_dtype dt = nbt_is_float(src->dtype) ? src->dtype : NB_F32;
    nb_tensor *y = base_copy(base, dt, ndim, shape);
    if (!y) return NULL;
    bool ok = src->ndim == y->ndim && src->shape[dim] == index->numel;
    if (!ok)
        nbt_error("%s: source %s does not match index of length %lld along dim %d of %s", op, nbt_shape(src),
                  (long long)index->numel, dim, nbt_shape(y));
    for (int d = 0; ok && d < y->ndim; d++)
        if (d != dim && src->shape[d] != y->shape[d]) {
            nbt_error("%s: source %s and destination %s differ outside dim %d", op, nbt_shape(src),
                      nbt_shape(y), dim);
            ok = false;
        }
    nb_tensor *tmp = NULL, *sc = NULL;
    const int64_t *ip = ok ? indices(index, y->shape[dim], op, &tmp) : NULL;
    if (ip) sc = nbt_copy(src, dt);
    if (!sc) { /* a bad source or index, or no memory: the error is recorded, nothing is kept */
        nb_free(y);
        if (tmp) nb_free(tmp);
        return NULL;
    }
    int64_t outer, D, inner, J = index->numel;
    nbt_split3(y, dim, &outer, &D, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < J; j++)
            for (int64_t i = 0; i < inner; i++)
                add_at(y, (o * D + ip[j]) * inner + i, sc, (o * J + j) * inner + i);
    nb_free(sc);
    if (tmp) nb_free(tmp);
    return y;
}

/* check gather/scatter index shape: same ndim, index.size(d) <= x.size(d) for d != dim */
static bool gs_shape_ok(const nb_tensor *x, int dim, const nb_tensor *index, const nb_tensor *src,
                        const char *op) {
    if (index->ndim != x->ndim) {
        nbt_error("%s: index tensor must have the same number of dimensions as input (%s vs %s)", op,
                  nbt_shape(index), nbt_shape(x));
        return false;
    }
    for (int d = 0; d < x->ndim; d++) {
        if (d != dim && index->shape[d] > x->shape[d]) {
            nbt_error("%s: size of index %s does not match input %s at dim %d", op, nbt_shape(index),
                      nbt_shape(x), d);
            return false;
        }
        if (src && (src->ndim != x->ndim || index->shape[d] > src->shape[d])) {
            nbt_error("%s: size of index %s exceeds source %s at dim %d", op, nbt_shape(index),
                      nbt_shape(src), d);
            return false;
        }
    }
    return true;
}

/* the walk over every position pos of index (row-major): flat offsets of that position into an x-like
 * tensor (dim replaced by the index value k) and into a src-like tensor */
static void walk_offsets(const nb_tensor *index, const int64_t *pos, int dim, int64_t k,
                         const int64_t *x_stride, const int64_t *src_stride, int64_t *xo, int64_t *so) {
    *xo = 0;
    *so = 0;
    for (int d = 0; d < index->ndim; d++) {
        *xo += (d == dim ? k : pos[d]) * x_stride[d];
        *so += pos[d] * src_stride[d];
    }
}

/* pos -> the next position of index in row-major order */
static void walk_next(const nb_tensor *index, int64_t *pos) {
    for (int d = index->ndim - 1; d >= 0; d--) {
        if (++pos[d] < index->shape[d]) break;
        pos[d] = 0;
    }
}

nb_tensor *nbt_gather(const nb_tensor *x, int dim, const nb_tensor *index, const char *op) {
    if (!gs_shape_ok(x, dim, index, NULL, op)) return NULL;
    int64_t size = x->ndim ? x->shape[dim] : 1;
    nb_tensor *tmp;
    const int64_t *ip = indices(index, size, op, &tmp);
    if (!ip) return NULL;
    nb_tensor *xc = nbt_contig(x);
    nb_tensor *y = xc ? nbt_new(x->dtype, index->ndim, index->shape) : NULL;
    if (y) {
        size_t esz = nb_dtype_size(x->dtype);
        const char *xs = nbt_ptr(xc);
        char *ys = nbt_ptr(y);
        int64_t pos[NB_MAX_DIMS] = { 0 }, xo, so;
        for (int64_t q = 0; q < index->numel; q++, walk_next(index, pos)) {
            walk_offsets(index, pos, dim, ip[q], xc->stride, y->stride, &xo, &so);
            memcpy(ys + (size_t)so * esz, xs + (size_t)xo * esz, esz);
        }
    }
    if (xc && xc != x) nb_free(xc);
    if (tmp) nb_free(tmp);
    return y;
}

nb_tensor *nbt_scatter_add(const nb_tensor *base, int ndim, const int64_t *shape, int dim,
                           const nb_tensor *index, const nb_tensor *src, const char *op) {
    nb_dtype dt = nbt_is_float(src->dtype) ? src->dtype : NB_F32;
    nb_tensor *y = base_copy(base, dt, ndim, shape), *tmp = NULL, *sc = NULL;
    if (!y) return NULL;
    const int64_t *ip = gs_shape_ok(y, dim, index, src, op)
                            ? indices(index, y->ndim ? y->shape[dim] : 1, op, &tmp)
                            : NULL;
    if (ip) sc = nbt_copy(src, dt);
    if (sc) {
        int64_t pos[NB_MAX_DIMS] = { 0 }, xo, so;
        for (int64_t q = 0; q < index->numel; q++, walk_next(index, pos)) {
            walk_offsets(index, pos, dim, ip[q], y->stride, sc->stride, &xo, &so);
            add_at(y, xo, sc, so);
        }
        nb_free(sc);
    } else { /* a bad index or no memory: the error is recorded, nothing is kept */
        nb_free(y);
        y = NULL;
    }
    if (tmp) nb_free(tmp);
    return y;
}
