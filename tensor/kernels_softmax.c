/* kernels_softmax.c — softmax and log_softmax along a dim, forward and the backward of a backward that is not
 * itself recorded (one pass for the sum, one for dx; no e^y, product or difference tensors). Rows run in
 * parallel; each row's order is fixed, so results do not depend on the thread count. */
#include "nb_kernels.h"
#include "nbt_vexp.h"

#define NBT_SM_W 16 /* lanes of a contiguous row: 16 floats fill an AVX-512 register, two AVX2 ones */

#define T float
#define SUF f32
#define EXP nbt_vexpf
#include "softmax_template.h"
#undef T
#undef SUF
#undef EXP
#define T double
#define SUF f64
#define EXP nbt_vexp
#include "softmax_template.h"
#undef T
#undef SUF
#undef EXP

nb_tensor *nbt_softmax(const nb_tensor *x, int dim, bool lg) {
    const nb_tensor *xf = nbt_as_float(x);
    nb_tensor *xc = xf ? nbt_contig(xf) : NULL;
    if (!xc) return NULL;
    int64_t outer, D, inner;
    nbt_split3(xc, dim, &outer, &D, &inner);
    nb_tensor *y = nbt_new(xc->dtype, xc->ndim, xc->shape);
    if (y && y->dtype == NB_F32)
        softmax_fw_f32((const float *)nbt_ptr(xc), (float *)nbt_ptr(y), outer, D, inner, lg);
    else if (y)
        softmax_fw_f64((const double *)nbt_ptr(xc), (double *)nbt_ptr(y), outer, D, inner, lg);
    if (xc != xf) nb_free(xc);
    if (xf != x) nb_free((nb_tensor *)xf);
    return y;
}

nb_tensor *nbt_softmax_backward(const nb_tensor *y, const nb_tensor *g, int dim, bool lg) {
    nb_tensor *yc = nbt_contig(y), *gc = yc ? nbt_contig(g) : NULL, *dx = NULL;
    if (gc && gc->dtype == yc->dtype) {
        int64_t outer, D, inner;
        nbt_split3(yc, dim, &outer, &D, &inner);
        dx = nbt_new(yc->dtype, yc->ndim, yc->shape);
        if (dx && dx->dtype == NB_F32)
            softmax_bw_f32((const float *)nbt_ptr(yc), (const float *)nbt_ptr(gc), (float *)nbt_ptr(dx),
                           outer, D, inner, lg);
        else if (dx)
            softmax_bw_f64((const double *)nbt_ptr(yc), (const double *)nbt_ptr(gc), (double *)nbt_ptr(dx),
                           outer, D, inner, lg);
    }
    if (gc && gc != g) nb_free(gc);
    if (yc && yc != y) nb_free(yc);
    return dx;
}
