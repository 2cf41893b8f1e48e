/* data_rows.c — gathering samples (rows along dim 0) into a batch: one memcpy per row (nbt_gather_rows) for the
 * contiguous tensors the readers produce, nb_index_select (strided, no history) otherwise. This is
 * what keeps data loading a small fraction of an epoch. */
#include "data_internal.h"
#include "nb_autograd.h"

nb_tensor *nbn_gather_rows(const nb_tensor *src, const int64_t *idx, int64_t n, const char *op) {
    if (!nbt_ok(src, op)) return NULL;
    if (src->ndim < 1)
        return nbt_error("%s: a 0-d tensor has no samples; give a tensor of shape (N, ...)", op);
    int64_t shape[NB_MAX_DIMS];
    memcpy(shape, src->shape, sizeof shape);
    shape[0] = n;
    nb_tensor *out = nbt_new(src->dtype, src->ndim, shape);
    if (!out) return NULL;
    if (!nb_is_contiguous(src)) {
        nb_tensor *ix = nbt_new(NB_I64, 1, &n);
        if (!ix) {
            nb_free(out);
            return NULL;
        }
        memcpy(nbt_ptr(ix), idx, (size_t)n * sizeof *idx);
        nb_tensor *g = NULL;
        NB_NO_GRAD { g = nb_index_select((nb_tensor *)src, 0, ix); }
        nb_free(ix);
        if (g) memcpy(nbt_ptr(out), nbt_ptr(g), (size_t)out->numel * nb_dtype_size(out->dtype));
        nb_free(g);
        if (!g) {
            nb_free(out);
            return NULL;
        }
        return out;
    }
    size_t row = (size_t)(src->shape[0] ? src->numel / src->shape[0] : 0) * nb_dtype_size(src->dtype);
    nbt_gather_rows(nbt_ptr(out), nbt_ptr(src), idx, n, row);
    return out;
}
