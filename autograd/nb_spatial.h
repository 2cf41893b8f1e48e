/* nb_spatial.h — the spatial ops of CNNs, as torch.nn.functional has them: max / average / adaptive
 * pooling (with indices and max_unpool), F.pad, F.interpolate (nearest, bilinear), pixel_shuffle,
 * and the view helpers CNN code uses (view_as, unflatten). Inputs are (N, C, H, W) or (C, H, W)
 * (1-d forms (N, C, L) or (C, L)); every op is differentiable and recorded like the others. */
#ifndef NB_SPATIAL_H
#define NB_SPATIAL_H

#include "nb_tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pooling ------------------------------------------------------------------------------------
 * Pairs are (H, W). kernel_size, stride and dilation can never be 0 in torch, so a 0 means torch's
 * default, and a pair whose second entry is 0 repeats the first (torch's int form: {2} is 2x2).
 * padding is taken literally (torch's padding=1 is {1, 1}). */
typedef struct {
    int64_t kernel_size[2]; /* required */
    int64_t stride[2];      /* {0, 0}: kernel_size (torch's stride=None) */
    int64_t padding[2];     /* implicit padding on each side (-inf for max, 0 for avg), at most k/2 */
    int64_t dilation[2];    /* {0, 0}: 1 (max pooling only) */
    bool ceil_mode;         /* ceil instead of floor in the output size (last window must start inside) */
} nb_max_pool2d_opts;
/* F.max_pool2d: y[n,c,i,j] = max over the window; ties pick the first maximum, NaN propagates;
 * dx = g scattered to the arg-max (overlapping windows add). */
nb_tensor *nb_max_pool2d(nb_tensor *x, nb_max_pool2d_opts o);
/* F.max_pool2d(return_indices=True): also *indices (i64, y's shape), flat into each H*W plane. */
nb_tensor *nb_max_pool2d_with_indices(nb_tensor *x, nb_max_pool2d_opts o, nb_tensor **indices);

#ifdef __cplusplus
}
#endif
#endif
