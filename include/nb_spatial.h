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

typedef struct {
    int64_t kernel_size; /* required */
    int64_t stride;      /* 0: kernel_size */
    int64_t padding;
    int64_t dilation; /* 0: 1 */
    bool ceil_mode;
} nb_max_pool1d_opts;
/* F.max_pool1d on (N, C, L) or (C, L): max_pool2d of x.unsqueeze(-2) with kernel (1, k), as torch. */
nb_tensor *nb_max_pool1d(nb_tensor *x, nb_max_pool1d_opts o);
/* F.max_pool1d(return_indices=True): *indices (i64) index into L. */
nb_tensor *nb_max_pool1d_with_indices(nb_tensor *x, nb_max_pool1d_opts o, nb_tensor **indices);

typedef struct {
    int64_t kernel_size[2]; /* required */
    int64_t stride[2];      /* {0, 0}: kernel_size */
    int64_t padding[2];     /* zero padding on each side, at most k/2 */
    bool ceil_mode;
    bool no_count_include_pad; /* torch's count_include_pad=False: divide by the real elements only */
    int64_t divisor_override;  /* 0: none (torch's None); else divide every window sum by it */
} nb_avg_pool2d_opts;
/* F.avg_pool2d: y = window sum / divisor (window size with padding, unless no_count_include_pad);
 * dx = g / divisor spread over each window. */
nb_tensor *nb_avg_pool2d(nb_tensor *x, nb_avg_pool2d_opts o);

typedef struct {
    int64_t kernel_size; /* required */
    int64_t stride;      /* 0: kernel_size */
    int64_t padding;
    bool ceil_mode;
    bool no_count_include_pad;
} nb_avg_pool1d_opts;
/* F.avg_pool1d on (N, C, L) or (C, L). */
nb_tensor *nb_avg_pool1d(nb_tensor *x, nb_avg_pool1d_opts o);

/* F.adaptive_avg_pool2d(x, (oh, ow)): output (i, j) averages rows [floor(i H / oh), ceil((i + 1) H / oh))
 * and the same for columns; (1, 1) is a mean over (H, W), as in torch. */
nb_tensor *nb_adaptive_avg_pool2d(nb_tensor *x, int64_t oh, int64_t ow);
/* F.adaptive_max_pool2d(x, (oh, ow)): max over the adaptive windows; ties and NaN as max_pool2d. */
nb_tensor *nb_adaptive_max_pool2d(nb_tensor *x, int64_t oh, int64_t ow);
/* F.adaptive_max_pool2d(return_indices=True): *indices flat into each H*W plane. */
nb_tensor *nb_adaptive_max_pool2d_with_indices(nb_tensor *x, int64_t oh, int64_t ow, nb_tensor **indices);

typedef struct {
    int64_t kernel_size[2]; /* required: the pooling's */
    int64_t stride[2];      /* {0, 0}: kernel_size */
    int64_t padding[2];
    int64_t output_size[2]; /* {0, 0}: (in - 1) stride - 2 padding + kernel; else (OH, OW) within stride */
} nb_max_unpool2d_opts;
/* F.max_unpool2d: y = zeros(..., OH, OW) with y[p, indices[p, k]] = x[p, k] per plane (indices from
 * nb_max_pool2d_with_indices); dx = g gathered at the indices. */
nb_tensor *nb_max_unpool2d(nb_tensor *x, nb_tensor *indices, nb_max_unpool2d_opts o);

/* ---- padding ---------------------------------------------------------------------------------- */
typedef enum { NB_PAD_CONSTANT = 0, NB_PAD_REFLECT, NB_PAD_REPLICATE, NB_PAD_CIRCULAR } nb_pad_mode;
typedef struct {
    nb_pad_mode mode; /* torch's mode='constant' (default), 'reflect', 'replicate', 'circular' */
    double value;     /* fill value of constant padding (torch's value=None is 0) */
} nb_pad_opts;
/* F.pad(x, pad, mode, value): pad[0..1] = (left, right) of the last dim, pad[2..3] of the one before,
 * ...; constant pads any dims (negative pads crop), reflect / replicate pad the last 1-3 dims of a
 * (batched) input, circular needs the batch and channel dims. Write nb_pad(x, NB_SHAPE(1, 1, 2, 0), o). */
nb_tensor *nb_pad(nb_tensor *x, int npad, const int64_t *pad, nb_pad_opts o);

/* ---- resampling and rearranging --------------------------------------------------------------- */
typedef enum { NB_INTERP_NEAREST = 0, NB_INTERP_BILINEAR } nb_interp_mode;
typedef struct {
    int64_t size[2];             /* output (H, W); {s} is (s, s); {0, 0}: from scale_factor */
    double scale_factor[2];      /* when size is {0, 0}: output = floor(in * scale); {s} is (s, s) */
    nb_interp_mode mode;         /* torch's mode='nearest' (default) or 'bilinear' */
    bool align_corners;          /* bilinear: corner pixels aligned (torch's align_corners=True) */
    bool recompute_scale_factor; /* index from the sizes instead of the given scale_factor */
} nb_interpolate_opts;
/* F.interpolate of a 4-d (N, C, H, W) x: nearest y[i, j] = x[floor(i s_h), floor(j s_w)] (torch's
 * nearest_idx), bilinear as torch's upsample_bilinear2d; differentiable to any order. */
nb_tensor *nb_interpolate(nb_tensor *x, nb_interpolate_opts o);
/* F.pixel_shuffle: (*, C r^2, H, W) -> (*, C, H r, W r). */
nb_tensor *nb_pixel_shuffle(nb_tensor *x, int64_t upscale_factor);
/* F.pixel_unshuffle: (*, C, H r, W r) -> (*, C r^2, H, W). */
nb_tensor *nb_pixel_unshuffle(nb_tensor *x, int64_t downscale_factor);
/* x.view_as(other): nb_view(x, other's shape). */
nb_tensor *nb_view_as(nb_tensor *x, nb_tensor *other);
/* x.unflatten(dim, sizes): dim split into sizes (one -1 is inferred), a view. */
nb_tensor *nb_unflatten(nb_tensor *x, int dim, int nsizes, const int64_t *sizes);

#ifdef __cplusplus
}
#endif
#endif
