/* ops_split.c — split, split_with_sizes, chunk and unbind: each piece is a narrow (or select) view of x,
 * recorded as such, so gradients of the pieces flow back into x like torch's SplitBackward0. */
#include "nba_tape.h"
#include "nb_helpers.h"

/* the pieces [off, off + sizes[i]) along dim d; false (error recorded, pieces freed) on failure */
static bool pieces(nb_tensor *x, int d, int n, const int64_t *sizes, nb_tensor **out, const char *label) {
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        out[i] = nba_label(nb_narrow(x, d, off, sizes[i]), x, label);
        if (!out[i]) {
            for (int j = 0; j < i; j++) nb_free(out[j]);
            return false;
        }
        off += sizes[i];
    }
    return true;
}

static int dim_of(nb_tensor *x, int dim, const char *op) {
    if (x->ndim == 0) {
        nbt_error("%s: cannot be applied to a 0-dim tensor", op);
        return -1;
    }
    return nbt_dim(dim, x->ndim, op);
}

int nb_split(nb_tensor *x, int64_t split_size, int dim, nb_tensor **out, int cap) {
    if (!x || !nbt_ok(x, "nb_split")) return -1;
    int d = dim_of(x, dim, "nb_split");
    if (d < 0) return -1;
    int64_t sz = x->shape[d];
    if (split_size < 0 || (split_size == 0 && sz != 0)) {
        nbt_error("nb_split: split_size can only be 0 if dimension size is 0, but got split_size %lld and "
                  "size %lld "
                  "(and must be non-negative)",
                  (long long)split_size, (long long)sz);
        return -1;
    }
    int64_t n = sz == 0 ? 1 : (sz + split_size - 1) / split_size;
    if (!out || n > cap) {
        nbt_error("nb_split: %lld pieces of %s along dim %d do not fit in out[%d]", (long long)n,
                  nbt_shape(x), d, cap);
        return -1;
    }
    int64_t sizes[n];
    for (int64_t i = 0; i < n; i++)
        sizes[i] = sz == 0 ? 0 : (i + 1 < n ? split_size : sz - split_size * (n - 1));
    return pieces(x, d, (int)n, sizes, out, "SplitBackward0") ? (int)n : -1;
}

int nb_split_with_sizes(nb_tensor *x, int n, const int64_t *sizes, int dim, nb_tensor **out) {
    if (!x || !nbt_ok(x, "nb_split_with_sizes")) return -1;
    if (n > 0 && !nbt_nonnull(sizes, "nb_split_with_sizes", "sizes")) return -1;
    int d = dim_of(x, dim, "nb_split_with_sizes");
    if (d < 0) return -1;
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        if (sizes[i] < 0) {
            nbt_error(
                "nb_split_with_sizes: split_with_sizes expects split_sizes have only non-negative entries, "
                "but got split_sizes[%d] = %lld",
                i, (long long)sizes[i]);
            return -1;
        }
        sum += sizes[i];
    }
    if (n < 1 || !out || sum != x->shape[d]) {
        nbt_error("nb_split_with_sizes: split_with_sizes expects split_sizes to sum exactly to %lld (input "
                  "tensor's "
                  "size at dimension %d), but got %d sizes summing to %lld",
                  (long long)x->shape[d], d, n, (long long)sum);
        return -1;
    }
    return pieces(x, d, n, sizes, out, "SplitWithSizesBackward0") ? n : -1;
}

int nb_chunk(nb_tensor *x, int chunks, int dim, nb_tensor **out) {
    NBT_API("nb_chunk");
    if (!x || !nbt_ok(x, "nb_chunk")) return -1;
    if (chunks <= 0) {
        nbt_error("nb_chunk: chunk expects `chunks` to be greater than 0, got: %d", chunks);
        return -1;
    }
    int d = dim_of(x, dim, "nb_chunk");
    if (d < 0) return -1;
    int64_t sz = x->shape[d], each = (sz + chunks - 1) / chunks;
    if (each == 0) { /* torch: an empty dim gives `chunks` empty pieces */
        int64_t zeros[chunks];
        for (int i = 0; i < chunks; i++) zeros[i] = 0;
        return pieces(x, d, chunks, zeros, out, "SplitWithSizesBackward0") ? chunks : -1;
    }
    return nb_split(x, each, d, out, chunks);
}

int nb_unbind(nb_tensor *x, int dim, nb_tensor **out, int cap) {
    NBT_API("nb_unbind");
    if (!x || !nbt_ok(x, "nb_unbind")) return -1;
    int d = dim_of(x, dim, "nb_unbind");
    if (d < 0) return -1;
    int64_t n = x->shape[d];
    if (n > cap || (n > 0 && !out)) {
        nbt_error("nb_unbind: %lld slices of %s along dim %d do not fit in out[%d]", (long long)n,
                  nbt_shape(x), d, cap);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        out[i] = nba_label(nb_select(x, d, i), x, "UnbindBackward0");
        if (!out[i]) {
            for (int64_t j = 0; j < i; j++) nb_free(out[j]);
            return -1;
        }
    }
    return (int)n;
}
