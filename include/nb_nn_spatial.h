/* nb_nn_spatial.h — torch.nn's layers around the spatial ops of nb_spatial.h: pooling, padding,
 * Upsample, PixelShuffle, Unflatten, and channel dropout (F.dropout2d / nn.Dropout2d). Each module
 * has no parameters, prints as torch's print(model) does and calls the functional op. */
#ifndef NB_NN_SPATIAL_H
#define NB_NN_SPATIAL_H

#include "nb_nn.h"
#include "nb_spatial.h"

#ifdef __cplusplus
extern "C" {
#endif

/* F.dropout2d: training ? x * m / (1 - p) : x, m ~ Bernoulli(1 - p) of shape (N, C, 1, ...) (whole
 * channels), drawn from the global generator as torch's feature_dropout draws it; p = 1 zeroes without
 * drawing. A 3-d input is (N, C, L), as torch 1.13 treats it. */
nb_tensor *nb_dropout2d(nb_tensor *x, double p, bool training);
/* nn.Dropout2d(p) (torch's default p is 0.5: pass 0.5); identity in eval mode. */
nb_module *nb_dropout2d_new(double p);

/* nn.MaxPool2d(kernel_size, stride, padding, dilation, ceil_mode); with return_indices its general
 * forward (nb_module_forward_ex) also returns the indices, as torch's return_indices=True. */
nb_module *nb_max_pool2d_new(nb_max_pool2d_opts o, bool return_indices);
/* nn.MaxPool1d; return_indices as above. */
nb_module *nb_max_pool1d_new(nb_max_pool1d_opts o, bool return_indices);
/* nn.AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override). */
nb_module *nb_avg_pool2d_new(nb_avg_pool2d_opts o);
/* nn.AvgPool1d. */
nb_module *nb_avg_pool1d_new(nb_avg_pool1d_opts o);
/* nn.AdaptiveAvgPool2d((oh, ow)). */
nb_module *nb_adaptive_avg_pool2d_new(int64_t oh, int64_t ow);
/* nn.AdaptiveMaxPool2d((oh, ow)); return_indices as above. */
nb_module *nb_adaptive_max_pool2d_new(int64_t oh, int64_t ow, bool return_indices);
/* nn.MaxUnpool2d(kernel_size, stride, padding): a two-input module, (x, indices) through
 * nb_module_forward_ex; opts.output_size is used as every call's output_size (torch passes it per call). */
nb_module *nb_max_unpool2d_new(nb_max_unpool2d_opts o);

/* nn.ZeroPad2d((left, right, top, bottom)). */
nb_module *nb_zero_pad2d_new(int64_t left, int64_t right, int64_t top, int64_t bottom);
/* nn.ConstantPad2d((left, right, top, bottom), value). */
nb_module *nb_constant_pad2d_new(int64_t left, int64_t right, int64_t top, int64_t bottom, double value);
/* nn.ReflectionPad2d((left, right, top, bottom)). */
nb_module *nb_reflection_pad2d_new(int64_t left, int64_t right, int64_t top, int64_t bottom);
/* nn.ReplicationPad2d((left, right, top, bottom)). */
nb_module *nb_replication_pad2d_new(int64_t left, int64_t right, int64_t top, int64_t bottom);
/* nn.Upsample(size or scale_factor, mode, align_corners): nb_interpolate with these options. */
nb_module *nb_upsample_new(nb_interpolate_opts o);
/* nn.PixelShuffle(upscale_factor). */
nb_module *nb_pixel_shuffle_new(int64_t upscale_factor);
/* nn.PixelUnshuffle(downscale_factor). */
nb_module *nb_pixel_unshuffle_new(int64_t downscale_factor);
/* nn.Unflatten(dim, unflattened_size) (at most 8 sizes). */
nb_module *nb_unflatten_new(int dim, int nsizes, const int64_t *sizes);

#ifdef __cplusplus
}
#endif
#endif
