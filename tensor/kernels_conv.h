/* kernels_conv.h — raw convolution kernels (no gradients): conv2d, its transpose, its weight gradient,
 * im2col (unfold) and col2im (fold), all by per-sample im2col + the packed GEMM. Every kernel speaks of
 * two sides: the "image" (N, Ci, Hi, Wi) and the "columns" (N, Co, Ho, Wo), Ho = the conv output size. */
#ifndef NB_KERNELS_CONV_H
#define NB_KERNELS_CONV_H

#include "nb_internal.h"

/* Geometry of one convolution between an image (n, ci, hi, wi) and its columns (n, co, ho, wo): a column
 * position (oh, ow) reads image row oh*sh - ph + ki*dh, col ow*sw - pw + kj*dw (zero outside the image,
 * so a column size below the symmetric-padding bound pads the far side only: 'same' with odd totals).
 * The weight is (co, ci / groups, kh, kw) for the conv and the transposed conv alike. */
typedef struct {
    int64_t n, ci, hi, wi, co, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw, groups;
} nbt_conv_geom;

/* y (n, co, ho, wo) = conv2d(x (n, ci, hi, wi), w) + b; x, w, b (or NULL) contiguous, one float dtype. */
nb_tensor *nbt_conv2d(const nb_tensor *x, const nb_tensor *w, const nb_tensor *b, const nbt_conv_geom *g);
/* y (n, ci, hi, wi) = conv_transpose2d(x (n, co, ho, wo), w) + b (b has ci elements): scatter-adds of
 * w^T x, the adjoint of nbt_conv2d in its first argument. */
nb_tensor *nbt_conv_transpose2d(const nb_tensor *x, const nb_tensor *w, const nb_tensor *b,
                                const nbt_conv_geom *g);
/* dw (co, ci / groups, kh, kw) = sum over samples of gy (n, co, ho, wo) im2col(x (n, ci, hi, wi))^T,
 * the adjoint of nbt_conv2d in its weight. Sums in chunks fixed by n alone (same bits at any threads).
 * db: NULL, or *db (co) = the sums of gy over n, ho, wo (the bias gradient) in double, rounded once, taken
 * by the same GEMMs as they pack gy; an empty dw gives *db = NULL. */
nb_tensor *nbt_conv2d_weight(const nb_tensor *x, const nb_tensor *gy, const nbt_conv_geom *g, nb_tensor **db);
/* cols (n, ci kh kw, ho wo) = F.unfold(x (n, ci, hi, wi)) (groups ignored). */
nb_tensor *nbt_im2col(const nb_tensor *x, const nbt_conv_geom *g);
/* x (n, ci, hi, wi) = F.fold(cols (n, ci kh kw, ho wo)): overlapping patches summed. */
nb_tensor *nbt_col2im(const nb_tensor *cols, const nbt_conv_geom *g);

/* threads for units independent pieces of work of `work` multiply-adds in all (1 below the GEMM's
 * threshold, inside a parallel region, or with fewer units than threads) */
int nbt_conv_threads(int64_t units, double work);
/* true when nbt_wino_conv computes this convolution and its transpose: f32, 3x3, stride 1, dilation 1,
 * padding 0 to 2, at least 8 channels per group on both sides (kernels_winograd.c) */
bool nbt_wino_ok(const nbt_conv_geom *g, nb_dtype dt);
/* y = nbt_conv2d (transposed false) or nbt_conv_transpose2d (true) of x, w, b by Winograd's F(2x2, 3x3),
 * the same values up to float rounding; NULL when out of memory (recorded), or with *redo set when a value is
 * not finite (the transforms can make NaN of an infinity that im2col's sums keep: the caller uses im2col) */
nb_tensor *nbt_wino_conv(const nb_tensor *x, const nb_tensor *w, const nb_tensor *b, const nbt_conv_geom *g,
                         bool transposed, bool *redo);
/* chunks of the batch a weight gradient sums apart, then adds in order: a function of n alone */
#define NBT_WCHUNKS 8
/* dw (co, ci / groups, 3, 3) = nbt_conv2d_weight's, and db (co, or NULL) its bias gradient (gy summed in
 * double), by F(2x2, 3x3): dw = G^T [sum over tiles of (A gy A^T) . (B^T x B)] G; false when out of memory,
 * or with *redo set when dw is not finite (as nbt_wino_conv) */
bool nbt_wino_weight(const nb_tensor *x, const nb_tensor *gy, const nbt_conv_geom *g, nb_tensor *dw,
                     nb_tensor *db, bool *redo);

#endif
