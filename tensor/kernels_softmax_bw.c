/* kernels_softmax_bw.c — the softmax / log_softmax backward in one kernel, for a backward that is not
 * itself recorded: per row, the sum in double in index order, then dx in one pass (no e^y, product or
 * difference tensors). Rows run in parallel; each row's order is fixed, so results do not depend on
 * the thread count. */
#include "nb_kernels.h"
#include <math.h>

#define SOFTMAX_BW(T, SUF)                                                                                   \
    static void softmax_bw_##T(const T *y, const T *g, T *dx, int64_t outer, int64_t D, int64_t inner,       \
                               bool lg) {                                                                    \
        bool par = outer * D * inner >= NBT_PAR_MIN && outer * inner > 1;                                    \
        (void)par;                                                                                           \
        _Pragma("omp parallel for schedule(static) if (par)") for (int64_t q = 0; q < outer * inner; q++) {  \
            int64_t base = (q / inner) * D * inner + q % inner;                                              \
            const T *yr = y + base, *gr = g + base;                                                          \
            T *dr = dx + base;                                                                               \
            double s = 0;                                                                                    \
            for (int64_t d = 0; d < D; d++) s += lg ? gr[d * inner] : gr[d * inner] * yr[d * inner];         \
            T st = (T)s;                                                                                     \
            if (lg)                                                                                          \
                for (int64_t d = 0; d < D; d++)                                                              \
                    dr[d * inner] = gr[d * inner] - exp##SUF(yr[d * inner]) * st;                            \
            else                                                                                             \
                for (int64_t d = 0; d < D; d++) dr[d * inner] = yr[d * inner] * (gr[d * inner] - st);        \
        }                                                                                                    \
    }
SOFTMAX_BW(float, f)
SOFTMAX_BW(double, )

nb_tensor *nbt_softmax_backward(const nb_tensor *y, const nb_tensor *g, int dim, bool lg) {
    nb_tensor *yc = nbt_contig(y), *gc = yc ? nbt_contig(g) : NULL, *dx = NULL;
    if (gc && gc->dtype == yc->dtype) {
        int64_t outer, D, inner;
        nbt_split3(yc, dim, &outer, &D, &inner);
        dx = nbt_new(yc->dtype, yc->ndim, yc->shape);
        if (dx && dx->dtype == NB_F32)
            softmax_bw_float((const float *)nbt_ptr(yc), (const float *)nbt_ptr(gc), (float *)nbt_ptr(dx),
                             outer, D, inner, lg);
        else if (dx)
            softmax_bw_double((const double *)nbt_ptr(yc), (const double *)nbt_ptr(gc), (double *)nbt_ptr(dx),
                              outer, D, inner, lg);
    }
    if (gc && gc != g) nb_free(gc);
    if (yc && yc != y) nb_free(yc);
    return dx;
}
