/* kernels_scan.c — cumulative sums along a dim, as torch 1.13's cpu_cum_base_kernel computes them: one
 * running sum per row in the accumulate type (double for f32 and f64, int64 for i64), each prefix rounded
 * to the element type as it is stored. Rows are independent (one OpenMP loop, same bits). */
#include "nb_kernels.h"

nb_tensor *nbt_cumsum(const nb_tensor *x0, int dim) {
    nb_tensor *x = nbt_contig(x0);
    if (!x) return NULL;
    nb_tensor *y = nbt_new(x->dtype, x->ndim, x->shape);
    if (y) {
        int64_t outer, D, inner;
        nbt_split3(x, dim, &outer, &D, &inner);
        int64_t rows = outer * inner;
        nb_dtype dt = x->dtype;
        const char *src = nbt_ptr(x);
        char *dst = nbt_ptr(y);
#pragma omp parallel for schedule(static) if (x->numel >= NBT_PAR_MIN && rows > 1)
        for (int64_t r = 0; r < rows; r++) {
            int64_t o = r / inner, in = r % inner, base = o * D * inner + in;
            if (dt == NB_F32) {
                double acc = 0;
                for (int64_t j = 0; j < D; j++) {
                    acc += ((const float *)src)[base + j * inner];
                    ((float *)dst)[base + j * inner] = (float)acc;
                }
            } else if (dt == NB_F64) {
                double acc = 0;
                for (int64_t j = 0; j < D; j++)
                    ((double *)dst)[base + j * inner] = acc += ((const double *)src)[base + j * inner];
            } else {
                uint64_t acc = 0; /* wraps like torch's int64 sum, without signed overflow */
                for (int64_t j = 0; j < D; j++) {
                    acc += (uint64_t)((const int64_t *)src)[base + j * inner];
                    ((int64_t *)dst)[base + j * inner] = (int64_t)acc;
                }
            }
        }
    }
    if (x != x0) nb_free(x);
    return y;
}
