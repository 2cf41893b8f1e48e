/* create.c — tensor creation (from data, constants, ranges, identity; the random ones and the global
 * generator live in random.c) and element access. */
#include "nb_internal.h"
#ifdef _OPENMP
#include <omp.h>
#endif
#include <math.h>

/* ---- generic element get/set by flat storage index ---- */
static inline double load(const nb_tensor *t, int64_t off) {
    const char *p = (const char *)t->storage->data;
    switch (t->dtype) {
    case NB_F32: return ((const float *)p)[off];
    case NB_F64: return ((const double *)p)[off];
    case NB_I64: break;
    }
    return (double)((const int64_t *)p)[off];
}
static inline void store(nb_tensor *t, int64_t off, double v) {
    char *p = (char *)t->storage->data;
    switch (t->dtype) {
    case NB_F32: ((float *)p)[off] = (float)v; break;
    case NB_F64: ((double *)p)[off] = v; break;
    case NB_I64: ((int64_t *)p)[off] = nbt_f2i(v); break;
    }
}

/* p[i] = v for i in [lo, hi) */
static void fill_range(nb_tensor *t, double v, int64_t lo, int64_t hi) {
    if (t->dtype == NB_F32) {
        float *p = (float *)nbt_ptr(t), f = (float)v;
        for (int64_t i = lo; i < hi; i++) p[i] = f;
    } else if (t->dtype == NB_F64) {
        double *p = (double *)nbt_ptr(t);
        for (int64_t i = lo; i < hi; i++) p[i] = v;
    } else {
        int64_t *p = (int64_t *)nbt_ptr(t), k = nbt_f2i(v);
        for (int64_t i = lo; i < hi; i++) p[i] = k;
    }
}

/* t[i] = v; large fills run on the OpenMP threads in fixed chunks (slice_backward's zeros of a split (B, T, 3C)
 * were a serial 14 MB pass while the other thread waited); small ones never enter libgomp (a region with a
 * false if clause still costs a call: it had doubled the scalar GD step) */
static void fill(nb_tensor *t, double v) {
    int64_t n = t->numel;
#ifdef _OPENMP
    enum { CHUNK = 65536 };
    if (n >= 4 * CHUNK) {
        nbt_threads_check();
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < (n + CHUNK - 1) / CHUNK; c++)
            fill_range(t, v, c * CHUNK, c * CHUNK + CHUNK < n ? c * CHUNK + CHUNK : n);
        return;
    }
#endif
    fill_range(t, v, 0, n);
}

bool nbt_i64_value_ok(double v, const char *op) {
    if (v >= -0x1p63 && v < 0x1p63) return true;
    nbt_error("%s: value %g cannot be converted to type int64 without overflow", op, v);
    return false;
}

/* validate a creation request so the error names the public function (nbt_new's message is generic) */
bool nbt_shape_ok(const char *op, nb_dtype dt, int ndim, const int64_t *shape) {
    nbt_fn_cur = op;
    if (dt != NB_F32 && dt != NB_F64 && dt != NB_I64) {
        nbt_error("%s: unknown dtype %d", op, (int)dt);
        return false;
    }
    if (ndim < 0 || ndim > NB_MAX_DIMS) {
        nbt_error("%s: %d dims requested; nabla supports 0..%d", op, ndim, NB_MAX_DIMS);
        return false;
    }
    if (ndim > 0 && !shape) {
        nbt_error("%s: shape is NULL for a %d-d tensor", op, ndim);
        return false;
    }
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            nbt_error("%s: negative size %lld in shape %s; sizes must be >= 0", op, (long long)shape[i],
                      nbt_shape_of(ndim, shape));
            return false;
        }
        if (__builtin_mul_overflow(n, shape[i], &n) || n > ((int64_t)1 << 40)) { /* nbt_new's limit, named */
            nbt_error("%s: shape %s is too large (more than 2^40 elements)", op, nbt_shape_of(ndim, shape));
            return false;
        }
    }
    return true;
}

nb_tensor *nb_empty(nb_dtype dt, int ndim, const int64_t *shape) {
    return nbt_shape_ok("nb_empty", dt, ndim, shape) ? nbt_new(dt, ndim, shape) : NULL;
}

static nb_tensor *full(const char *op, nb_dtype dt, int ndim, const int64_t *shape, double value) {
    if (dt == NB_I64 && !nbt_i64_value_ok(value, op)) return NULL;
    nb_tensor *t = nbt_shape_ok(op, dt, ndim, shape) ? nbt_new(dt, ndim, shape) : NULL;
    if (t) fill(t, value);
    return t;
}
nb_tensor *nb_full(nb_dtype dt, int ndim, const int64_t *shape, double value) {
    return full("nb_full", dt, ndim, shape, value);
}
nb_tensor *nb_zeros(nb_dtype dt, int ndim, const int64_t *shape) {
    return full("nb_zeros", dt, ndim, shape, 0.0);
}
nb_tensor *nb_ones(nb_dtype dt, int ndim, const int64_t *shape) {
    return full("nb_ones", dt, ndim, shape, 1.0);
}
nb_tensor *nb_scalar(nb_dtype dt, double value) {
    NBT_API("nb_scalar");
    return full("nb_scalar", dt, 0, NULL, value);
}

nb_tensor *nb_tensor_from(nb_dtype dt, const void *data, int ndim, const int64_t *shape, bool requires_grad) {
    if (!data) return nbt_error("nb_tensor_from: data is NULL");
    if (requires_grad && dt == NB_I64)
        return nbt_error("nb_tensor_from: only floating point tensors can require gradients (got int64)");
    if (!nbt_shape_ok("nb_tensor_from", dt, ndim, shape)) return NULL;
    nb_tensor *t = nbt_new(dt, ndim, shape);
    if (!t) return NULL;
    memcpy(nbt_ptr(t), data, (size_t)t->numel * nb_dtype_size(dt));
    t->requires_grad = requires_grad;
    return t;
}

nb_tensor *nb_arange(nb_dtype dt, double start, double end, double step) {
    if (step == 0 || !isfinite(start) || !isfinite(end) || !isfinite(step))
        return nbt_error("nb_arange: step must be nonzero and bounds finite (start %g, end %g, step %g)",
                         start, end, step);
    if ((end - start) / step < 0)
        return nbt_error("nb_arange: upper bound and step sign are inconsistent (start %g, end %g, step %g)",
                         start, end, step);
    double count = ceil((end - start) / step);
    if (!(count <= 0x1p40)) /* the tensor layer's element limit; also keeps the cast below defined */
        return nbt_error("nb_arange: %g elements requested (start %g, end %g, step %g) is too large", count,
                         start, end, step);
    if (dt == NB_I64 && (!nbt_i64_value_ok(start, "nb_arange") || !nbt_i64_value_ok(end, "nb_arange")))
        return NULL;
    if (!nbt_shape_ok("nb_arange", dt, 0, NULL)) return NULL;
    int64_t n = (int64_t)count;
    nb_tensor *t = nbt_new(dt, 1, (int64_t[]){ n });
    if (!t) return NULL;
    for (int64_t i = 0; i < n; i++) store(t, i, start + (double)i * step);
    return t;
}

nb_tensor *nb_linspace(nb_dtype dt, double start, double end, int64_t steps) {
    if (steps < 0)
        return nbt_error("nb_linspace: number of steps must be non-negative (got %lld)", (long long)steps);
    if (!nbt_shape_ok("nb_linspace", dt, 1, (int64_t[]){ steps })) return NULL;
    nb_tensor *t = nbt_new(dt, 1, (int64_t[]){ steps });
    if (!t) return NULL;
    double step = steps > 1 ? (end - start) / (double)(steps - 1) : 0;
    /* torch fills the first half from start and the second half from end, for symmetry
     * (one step gives start, as torch.linspace(a, b, 1) == [a]) */
    int64_t half = steps == 1 ? 1 : steps / 2;
    for (int64_t i = 0; i < steps; i++)
        store(t, i, i < half ? start + step * (double)i : end - step * (double)(steps - 1 - i));
    return t;
}

nb_tensor *nb_eye(nb_dtype dt, int64_t n, int64_t m) {
    if (n < 0) return nbt_error("nb_eye: n must be non-negative (got %lld)", (long long)n);
    if (m <= 0) m = n;
    nb_tensor *t = full("nb_eye", dt, 2, (int64_t[]){ n, m }, 0.0);
    if (!t) return NULL;
    for (int64_t i = 0; i < n && i < m; i++) store(t, i * m + i, 1.0);
    return t;
}

#define LIKE(t)                                                                                              \
    if (!nbt_ok(t, __func__)) return NULL
nb_tensor *nb_empty_like(const nb_tensor *t) {
    LIKE(t);
    return nbt_new(t->dtype, t->ndim, t->shape);
}
nb_tensor *nb_zeros_like(const nb_tensor *t) {
    LIKE(t);
    return full(__func__, t->dtype, t->ndim, t->shape, 0.0);
}
nb_tensor *nb_ones_like(const nb_tensor *t) {
    LIKE(t);
    return full(__func__, t->dtype, t->ndim, t->shape, 1.0);
}
nb_tensor *nb_full_like(const nb_tensor *t, double v) {
    LIKE(t);
    return full(__func__, t->dtype, t->ndim, t->shape, v);
}
nb_tensor *nb_rand_like(const nb_tensor *t) {
    NBT_API("nb_rand_like");
    LIKE(t);
    return nb_rand(t->dtype, t->ndim, t->shape);
}
nb_tensor *nb_randn_like(const nb_tensor *t) {
    NBT_API("nb_randn_like");
    LIKE(t);
    return nb_randn(t->dtype, t->ndim, t->shape);
}
/* issue 12: t.new_zeros/new_ones/new_full(shape) keep t's dtype */
nb_tensor *nb_new_zeros(const nb_tensor *t, int ndim, const int64_t *shape) {
    LIKE(t);
    return full("nb_new_zeros", t->dtype, ndim, shape, 0.0);
}
nb_tensor *nb_new_ones(const nb_tensor *t, int ndim, const int64_t *shape) {
    LIKE(t);
    return full("nb_new_ones", t->dtype, ndim, shape, 1.0);
}
nb_tensor *nb_new_full(const nb_tensor *t, int ndim, const int64_t *shape, double value) {
    LIKE(t);
    return full("nb_new_full", t->dtype, ndim, shape, value);
}

/* ---- access ---- */
double nb_item(const nb_tensor *t) {
    if (!nbt_ok_req(t, "nb_item")) return NAN;
    if (t->numel != 1) {
        nbt_error("nb_item: a tensor with %lld elements %s cannot be converted to a scalar",
                  (long long)t->numel, nbt_shape(t));
        return NAN;
    }
    return load(t, t->offset);
}

static int64_t flat_offset(const nb_tensor *t, const int64_t *index, const char *op) {
    int64_t off = t->offset;
    if (t->ndim > 0 && !index) {
        nbt_error("%s: index is NULL", op);
        return -1;
    }
    for (int i = 0; i < t->ndim; i++) {
        int64_t k = index[i] < 0 ? index[i] + t->shape[i] : index[i];
        if (k < 0 || k >= t->shape[i]) {
            nbt_error("%s: index %lld is out of bounds for dimension %d with size %lld", op,
                      (long long)index[i], i, (long long)t->shape[i]);
            return -1;
        }
        off += k * t->stride[i];
    }
    return off;
}

double nb_get(const nb_tensor *t, const int64_t *index) {
    if (!nbt_ok_req(t, "nb_get")) return NAN;
    int64_t off = flat_offset(t, index, "nb_get");
    return off < 0 ? NAN : load(t, off);
}

nb_status nb_set(nb_tensor *t, const int64_t *index, double value) {
    if (!nbt_ok_req(t, "nb_set")) return NB_ERROR;
    if (!nbt_leaf_write_ok(t, "nb_set")) return NB_ERROR; /* torch: a (view of a) leaf that requires grad */
    int64_t off = flat_offset(t, index, "nb_set");
    if (off < 0) return NB_ERROR;
    if (t->dtype == NB_I64 && !nbt_i64_value_ok(value, "nb_set")) return NB_ERROR;
    store(t, off, value);
    t->storage->version++;
    return NB_OK;
}

void *nb_data(const nb_tensor *t) { return nbt_ok_req(t, "nb_data") ? nbt_ptr(t) : NULL; }
/* t's data when t has dtype dt, else NULL and an error naming fn */
static void *typed_data(const nb_tensor *t, nb_dtype dt, const char *fn) {
    if (!nbt_ok_req(t, fn)) return NULL;
    if (t->dtype != dt)
        return nbt_error("%s: tensor is %s, not %s", fn, nb_dtype_name(t->dtype), nb_dtype_name(dt));
    return nbt_ptr(t);
}
float *nb_data_f32(const nb_tensor *t) { return typed_data(t, NB_F32, "nb_data_f32"); }
double *nb_data_f64(const nb_tensor *t) { return typed_data(t, NB_F64, "nb_data_f64"); }
int64_t *nb_data_i64(const nb_tensor *t) { return typed_data(t, NB_I64, "nb_data_i64"); }

nb_status nb_to_doubles(const nb_tensor *t, double *out) {
    if (!nbt_ok_req(t, "nb_to_doubles")) return NB_ERROR;
    if (!out) {
        nbt_error("nb_to_doubles: out is NULL");
        return NB_ERROR;
    }
    int64_t idx[NB_MAX_DIMS] = { 0 };
    for (int64_t k = 0; k < t->numel; k++) {
        int64_t off = t->offset;
        for (int i = 0; i < t->ndim; i++) off += idx[i] * t->stride[i];
        out[k] = load(t, off);
        for (int i = t->ndim - 1; i >= 0; i--) {
            if (++idx[i] < t->shape[i]) break;
            idx[i] = 0;
        }
    }
    return NB_OK;
}

int64_t nb_numel(const nb_tensor *t) { return nbt_ok_req(t, "nb_numel") ? t->numel : -1; }

int64_t nb_size(const nb_tensor *t, int dim) {
    if (!nbt_ok_req(t, "nb_size")) return -1;
    int d = nbt_dim(dim, t->ndim, "nb_size");
    if (d < 0) return -1;
    return t->ndim ? t->shape[d] : 1;
}

bool nb_is_contiguous(const nb_tensor *t) {
    if (!t) return false;
    int64_t n = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != n) return false;
        n *= t->shape[i];
    }
    return true;
}

int nbt_broadcast_shape(int na, const int64_t *sa, int nb, const int64_t *sb, int64_t *out) {
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int64_t a = i < n - na ? 1 : sa[i - (n - na)];
        int64_t b = i < n - nb ? 1 : sb[i - (n - nb)];
        if (a != b && a != 1 && b != 1) return -1;
        out[i] = a == 1 ? b : a;
    }
    return n;
}

bool nbt_same_shape(const nb_tensor *a, const nb_tensor *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

nb_dtype nbt_promote(nb_dtype a, nb_dtype b) {
    if (a == NB_F64 || b == NB_F64) return NB_F64;
    if (a == NB_F32 || b == NB_F32) return NB_F32;
    return NB_I64;
}
