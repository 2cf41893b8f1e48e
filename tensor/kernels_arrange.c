/* kernels_arrange.c — copies that move elements: flip (reverse the listed dims) and tril/triu (zero the
 * elements above / below a diagonal of the last two dims). Contiguous output of x's dtype. */
#include "nb_kernels.h"

nb_tensor *nbt_flip(const nb_tensor *x0, const bool *flip) {
    nb_tensor *x = nbt_contig(x0);
    if (!x) return NULL;
    nb_tensor *y = nbt_new(x->dtype, x->ndim, x->shape);
    if (y) {
        size_t esz = nbt_esz(x->dtype);
        const char *src = nbt_ptr(x);
        char *dst = nbt_ptr(y);
        int nd = x->ndim;
        /* the innermost run of unflipped dims is copied as one block */
        int last = nd;
        size_t block = esz;
        while (last > 0 && !flip[last - 1]) block *= (size_t)x->shape[--last];
        int64_t nblocks = block ? (int64_t)((size_t)x->numel * esz / block) : 0, idx[NB_MAX_DIMS] = { 0 };
        for (int64_t b = 0; b < nblocks; b++) {
            int64_t off = 0; /* source element offset of output block b */
            for (int d = 0; d < last; d++)
                off += (flip[d] ? x->shape[d] - 1 - idx[d] : idx[d]) * x->stride[d];
            memcpy(dst + (size_t)b * block, src + (size_t)off * esz, block);
            for (int d = last - 1; d >= 0; d--) { /* next block index, row-major */
                if (++idx[d] < x->shape[d]) break;
                idx[d] = 0;
            }
        }
    }
    if (x != x0) nb_free(x);
    return y;
}

nb_tensor *nbt_tri(const nb_tensor *x0, int64_t diagonal, bool upper) {
    nb_tensor *x = nbt_contig(x0);
    if (!x) return NULL;
    nb_tensor *y = nbt_new(x->dtype, x->ndim, x->shape);
    if (y) {
        size_t esz = nbt_esz(x->dtype);
        int64_t R = x->shape[x->ndim - 2], C = x->shape[x->ndim - 1],
                mats = R * C > 0 ? x->numel / (R * C) : 0;
        const char *src = nbt_ptr(x);
        char *dst = nbt_ptr(y);
        for (int64_t m = 0; m < mats; m++)
            for (int64_t i = 0; i < R; i++) {
                size_t row = (size_t)((m * R + i) * C) * esz;
                memcpy(dst + row, src + row, (size_t)C * esz);
                for (int64_t j = 0; j < C;
                     j++) { /* tril keeps j - i <= diagonal, triu keeps j - i >= diagonal */
                    bool keep = upper ? j - i >= diagonal : j - i <= diagonal;
                    if (!keep) memset(dst + row + (size_t)j * esz, 0, esz);
                }
            }
    }
    if (x != x0) nb_free(x);
    return y;
}
