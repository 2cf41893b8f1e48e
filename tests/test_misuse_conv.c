/* test_misuse_conv.c — misuse cases of the CNN families: include/nb_conv.h (convolutions, unfold/fold),
 * nb_spatial.h (pooling, pad, interpolate, pixel shuffle, view helpers), nb_nn_spatial.h (their modules)
 * and nb_norm.h (batch and group norm): NULL inputs, wrong ranks and channel counts, kernels larger than
 * the input, bad strides, paddings and factors. Harness: tests/misuse.h. */
#include "misuse.h"

#define T mu_f32
#define IMG mu_img /* (1, 2, 4, 4) */
static nb_tensor *W(void) { return nb_randn(NB_F32, NB_SHAPE(3, 2, 3, 3)); }
static nb_tensor *W1(void) { return nb_randn(NB_F32, NB_SHAPE(3, 2, 3)); }
static nb_tensor *SEQ(void) { return nb_randn(NB_F32, NB_SHAPE(1, 2, 6)); }
static nb_tensor *FW(nb_module *m, nb_tensor *x) { return nb_module_forward(mu_own_module(m), x); }
/* ---- convolutions ---- */
MU_N(nb_conv2d, "NULL input", !nb_conv2d(NULL, W(), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv2d, "3 input channels for 2",
     !nb_conv2d(nb_zeros(NB_F32, NB_SHAPE(1, 3, 4, 4)), W(), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv2d, "kernel larger than the input",
     !nb_conv2d(IMG(), nb_zeros(NB_F32, NB_SHAPE(3, 2, 5, 5)), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv2d, "negative stride", !nb_conv2d(IMG(), W(), NULL, (nb_conv_opts){ .stride = { -1, -1 } }))
MU_E(nb_conv2d, "negative padding", !nb_conv2d(IMG(), W(), NULL, (nb_conv_opts){ .padding = { -1, -1 } }))
MU_E(nb_conv2d, "bias (2) for 3 outputs",
     !nb_conv2d(IMG(), W(), nb_zeros(NB_F32, NB_SHAPE(2)), (nb_conv_opts){ 0 }))
MU_E(nb_conv2d, "groups 2 of 3 outputs",
     !nb_conv2d(IMG(), nb_zeros(NB_F32, NB_SHAPE(3, 1, 3, 3)), NULL, (nb_conv_opts){ .groups = 2 }))
MU_E(nb_conv2d, "same padding with stride 2",
     !nb_conv2d(IMG(), W(), NULL, (nb_conv_opts){ .stride = { 2, 2 }, .pad_mode = NB_CONV_PAD_SAME }))
MU_E(nb_conv2d, "2-d input", !nb_conv2d(T(), W(), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv2d, "padding INT64_MAX",
     !nb_conv2d(IMG(), W(), NULL, (nb_conv_opts){ .padding = { INT64_MAX, 0 } }))
MU_E(nb_conv2d, "dilation 2^62",
     !nb_conv2d(IMG(), W(), NULL, (nb_conv_opts){ .dilation = { (int64_t)1 << 62, 1 } }))
MU_N(nb_conv1d, "NULL input", !nb_conv1d(NULL, W1(), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv1d, "4-d weight", !nb_conv1d(SEQ(), W(), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv1d, "kernel 7 for length 6",
     !nb_conv1d(SEQ(), nb_zeros(NB_F32, NB_SHAPE(3, 2, 7)), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv1d, "unknown pad mode",
     !nb_conv1d(SEQ(), W1(), NULL, (nb_conv_opts){ .pad_mode = (nb_conv_pad)9 }))
MU_N(nb_conv_transpose2d, "NULL input", !nb_conv_transpose2d(NULL, W(), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv_transpose2d, "3 input channels for weight (3, 2, 3, 3)? 2 given",
     !nb_conv_transpose2d(IMG(), W(), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv_transpose2d, "output_padding >= stride",
     !nb_conv_transpose2d(IMG(), nb_zeros(NB_F32, NB_SHAPE(2, 3, 3, 3)), NULL,
                          (nb_conv_opts){ .output_padding = { 1, 1 } }))
MU_E(nb_conv_transpose2d, "pad mode same",
     !nb_conv_transpose2d(IMG(), nb_zeros(NB_F32, NB_SHAPE(2, 3, 3, 3)), NULL,
                          (nb_conv_opts){ .pad_mode = NB_CONV_PAD_SAME }))
MU_N(nb_conv_transpose1d, "NULL input", !nb_conv_transpose1d(NULL, W1(), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv_transpose1d, "weight of 3 channels for 2",
     !nb_conv_transpose1d(SEQ(), W1(), NULL, (nb_conv_opts){ 0 }))
MU_E(nb_conv_transpose1d, "negative stride",
     !nb_conv_transpose1d(SEQ(), nb_zeros(NB_F32, NB_SHAPE(2, 3, 3)), NULL,
                          (nb_conv_opts){ .stride = { -2 } }))
MU_N(nb_unfold, "NULL input", !nb_unfold(NULL, 2, 2, (nb_conv_opts){ 0 }))
MU_E(nb_unfold, "kernel 0", !nb_unfold(IMG(), 0, 2, (nb_conv_opts){ 0 }))
MU_E(nb_unfold, "kernel 5 on 4x4", !nb_unfold(IMG(), 5, 5, (nb_conv_opts){ 0 }))
MU_E(nb_unfold, "groups 2", !nb_unfold(IMG(), 2, 2, (nb_conv_opts){ .groups = 2 }))
MU_E(nb_unfold, "2-d input", !nb_unfold(T(), 2, 2, (nb_conv_opts){ 0 }))
MU_N(nb_fold, "NULL input", !nb_fold(NULL, 4, 4, 2, 2, (nb_conv_opts){ 0 }))
MU_E(nb_fold, "blocks that do not tile",
     !nb_fold(nb_zeros(NB_F32, NB_SHAPE(1, 8, 5)), 4, 4, 2, 2, (nb_conv_opts){ 0 }))
MU_E(nb_fold, "channels not divisible by kernel size",
     !nb_fold(nb_zeros(NB_F32, NB_SHAPE(1, 7, 9)), 4, 4, 2, 2, (nb_conv_opts){ 0 }))
MU_E(nb_fold, "negative output size",
     !nb_fold(nb_zeros(NB_F32, NB_SHAPE(1, 8, 9)), -4, 4, 2, 2, (nb_conv_opts){ 0 }))
/* ---- pooling ---- */
MU_N(nb_max_pool2d, "NULL input", !nb_max_pool2d(NULL, (nb_max_pool2d_opts){ .kernel_size = { 2 } }))
MU_E(nb_max_pool2d, "kernel 0 (required)", !nb_max_pool2d(IMG(), (nb_max_pool2d_opts){ 0 }))
MU_E(nb_max_pool2d, "kernel 5 on 4x4", !nb_max_pool2d(IMG(), (nb_max_pool2d_opts){ .kernel_size = { 5 } }))
MU_E(nb_max_pool2d, "padding above half the kernel",
     !nb_max_pool2d(IMG(), (nb_max_pool2d_opts){ .kernel_size = { 2 }, .padding = { 2, 2 } }))
MU_E(nb_max_pool2d, "negative stride",
     !nb_max_pool2d(IMG(), (nb_max_pool2d_opts){ .kernel_size = { 2 }, .stride = { -1, -1 } }))
MU_N(nb_max_pool2d_with_indices, "NULL input",
     !nb_max_pool2d_with_indices(NULL, (nb_max_pool2d_opts){ .kernel_size = { 2 } }, (nb_tensor *[1]){ 0 }))
MU_E(nb_max_pool2d_with_indices, "kernel 0 (required)",
     !nb_max_pool2d_with_indices(IMG(), (nb_max_pool2d_opts){ 0 }, (nb_tensor *[1]){ 0 }))
MU_E(nb_max_pool2d_with_indices, "kernel 5 on 4x4",
     !nb_max_pool2d_with_indices(IMG(), (nb_max_pool2d_opts){ .kernel_size = { 5 } }, (nb_tensor *[1]){ 0 }))
MU_E(nb_max_pool2d_with_indices, "padding above half the kernel",
     !nb_max_pool2d_with_indices(IMG(), (nb_max_pool2d_opts){ .kernel_size = { 2 }, .padding = { 2, 2 } },
                                 (nb_tensor *[1]){ 0 }))
MU_E(nb_max_pool2d_with_indices, "negative stride",
     !nb_max_pool2d_with_indices(IMG(), (nb_max_pool2d_opts){ .kernel_size = { 2 }, .stride = { -1, -1 } },
                                 (nb_tensor *[1]){ 0 }))
MU_E(nb_max_pool2d_with_indices, "NULL indices",
     !nb_max_pool2d_with_indices(IMG(), (nb_max_pool2d_opts){ .kernel_size = { 2 } }, NULL))
MU_N(nb_max_pool1d, "NULL input", !nb_max_pool1d(NULL, (nb_max_pool1d_opts){ .kernel_size = 2 }))
MU_E(nb_max_pool1d, "kernel 7 for length 6", !nb_max_pool1d(SEQ(), (nb_max_pool1d_opts){ .kernel_size = 7 }))
MU_E(nb_max_pool1d, "4-d input", !nb_max_pool1d(IMG(), (nb_max_pool1d_opts){ .kernel_size = 2 }))
MU_N(nb_max_pool1d_with_indices, "NULL input",
     !nb_max_pool1d_with_indices(NULL, (nb_max_pool1d_opts){ .kernel_size = 2 }, (nb_tensor *[1]){ 0 }))
MU_E(nb_max_pool1d_with_indices, "kernel 7 for length 6",
     !nb_max_pool1d_with_indices(SEQ(), (nb_max_pool1d_opts){ .kernel_size = 7 }, (nb_tensor *[1]){ 0 }))
MU_E(nb_max_pool1d_with_indices, "4-d input",
     !nb_max_pool1d_with_indices(IMG(), (nb_max_pool1d_opts){ .kernel_size = 2 }, (nb_tensor *[1]){ 0 }))
MU_E(nb_max_pool1d_with_indices, "NULL indices",
     !nb_max_pool1d_with_indices(SEQ(), (nb_max_pool1d_opts){ .kernel_size = 2 }, NULL))
MU_N(nb_avg_pool2d, "NULL input", !nb_avg_pool2d(NULL, (nb_avg_pool2d_opts){ .kernel_size = { 2 } }))
MU_E(nb_avg_pool2d, "kernel 0", !nb_avg_pool2d(IMG(), (nb_avg_pool2d_opts){ 0 }))
MU_E(nb_avg_pool2d, "kernel INT64_MAX",
     !nb_avg_pool2d(IMG(), (nb_avg_pool2d_opts){ .kernel_size = { INT64_MAX } }))
MU_N(nb_avg_pool1d, "NULL input", !nb_avg_pool1d(NULL, (nb_avg_pool1d_opts){ .kernel_size = 2 }))
MU_E(nb_avg_pool1d, "padding 2 for kernel 2",
     !nb_avg_pool1d(SEQ(), (nb_avg_pool1d_opts){ .kernel_size = 2, .padding = 2 }))
MU_E(nb_avg_pool1d, "kernel -3", !nb_avg_pool1d(SEQ(), (nb_avg_pool1d_opts){ .kernel_size = -3 }))
MU_N(nb_adaptive_avg_pool2d, "NULL input", !nb_adaptive_avg_pool2d(NULL, 1, 1))
MU_E(nb_adaptive_avg_pool2d, "1-d input", !nb_adaptive_avg_pool2d(mu_vec(4), 1, 1))
MU_N(nb_adaptive_max_pool2d, "NULL input", !nb_adaptive_max_pool2d(NULL, 1, 1))
MU_E(nb_adaptive_max_pool2d, "negative output", !nb_adaptive_max_pool2d(IMG(), -1, 2))
MU_N(nb_adaptive_max_pool2d_with_indices, "NULL input",
     !nb_adaptive_max_pool2d_with_indices(NULL, 1, 1, (nb_tensor *[1]){ 0 }))
MU_E(nb_adaptive_max_pool2d_with_indices, "NULL indices",
     !nb_adaptive_max_pool2d_with_indices(IMG(), 1, 1, NULL))
MU_N(nb_max_unpool2d, "NULL input",
     !nb_max_unpool2d(NULL, NULL, (nb_max_unpool2d_opts){ .kernel_size = { 2 } }))
MU_E(nb_max_unpool2d, "float indices",
     !nb_max_unpool2d(IMG(), IMG(), (nb_max_unpool2d_opts){ .kernel_size = { 2 } }))
MU_E(nb_max_unpool2d, "index 99 out of range",
     !nb_max_unpool2d(IMG(), nb_full(NB_I64, NB_SHAPE(1, 2, 4, 4), 99),
                      (nb_max_unpool2d_opts){ .kernel_size = { 2 } }))
MU_E(nb_max_unpool2d, "indices of another shape",
     !nb_max_unpool2d(IMG(), nb_zeros(NB_I64, NB_SHAPE(1, 2, 2, 2)),
                      (nb_max_unpool2d_opts){ .kernel_size = { 2 } }))
/* ---- padding, resampling ---- */
MU_N(nb_pad, "NULL input", !nb_pad(NULL, NB_SHAPE(1, 1), (nb_pad_opts){ 0 }))
MU_E(nb_pad, "odd pad list", !nb_pad(IMG(), NB_SHAPE(1, 1, 1), (nb_pad_opts){ 0 }))
MU_E(nb_pad, "NULL pad list", !nb_pad(IMG(), 2, NULL, (nb_pad_opts){ 0 }))
MU_E(nb_pad, "reflect pad 4 of size 4",
     !nb_pad(IMG(), NB_SHAPE(4, 4), (nb_pad_opts){ .mode = NB_PAD_REFLECT }))
MU_E(nb_pad, "unknown mode", !nb_pad(IMG(), NB_SHAPE(1, 1), (nb_pad_opts){ .mode = (nb_pad_mode)8 }))
MU_E(nb_pad, "crop below zero", !nb_pad(IMG(), NB_SHAPE(-3, -3), (nb_pad_opts){ 0 }))
MU_E(nb_pad, "pad INT64_MAX", !nb_pad(IMG(), NB_SHAPE(INT64_MAX, 1), (nb_pad_opts){ 0 }))
MU_E(nb_pad, "more pads than dims", !nb_pad(T(), NB_SHAPE(1, 1, 1, 1, 1, 1), (nb_pad_opts){ 0 }))
MU_N(nb_interpolate, "NULL input", !nb_interpolate(NULL, (nb_interpolate_opts){ .size = { 8 } }))
MU_E(nb_interpolate, "no size and no scale", !nb_interpolate(IMG(), (nb_interpolate_opts){ 0 }))
MU_E(nb_interpolate, "3-d input", !nb_interpolate(SEQ(), (nb_interpolate_opts){ .size = { 8 } }))
MU_E(nb_interpolate, "negative scale",
     !nb_interpolate(IMG(), (nb_interpolate_opts){ .scale_factor = { -2 } }))
MU_E(nb_interpolate, "NaN scale", !nb_interpolate(IMG(), (nb_interpolate_opts){ .scale_factor = { NAN } }))
MU_E(nb_interpolate, "scale 1e300",
     !nb_interpolate(IMG(), (nb_interpolate_opts){ .scale_factor = { 1e300 } }))
MU_E(nb_interpolate, "unknown mode",
     !nb_interpolate(IMG(), (nb_interpolate_opts){ .size = { 8 }, .mode = (nb_interp_mode)5 }))
MU_N(nb_pixel_shuffle, "NULL input", !nb_pixel_shuffle(NULL, 2))
MU_E(nb_pixel_shuffle, "2 channels for factor 2", !nb_pixel_shuffle(IMG(), 2))
MU_E(nb_pixel_shuffle, "factor 0", !nb_pixel_shuffle(IMG(), 0))
MU_E(nb_pixel_shuffle, "factor 2^40", !nb_pixel_shuffle(IMG(), (int64_t)1 << 40))
MU_N(nb_pixel_unshuffle, "NULL input", !nb_pixel_unshuffle(NULL, 2))
MU_E(nb_pixel_unshuffle, "4x4 by factor 3", !nb_pixel_unshuffle(IMG(), 3))
MU_E(nb_pixel_unshuffle, "factor -1", !nb_pixel_unshuffle(IMG(), -1))
MU_N(nb_view_as, "NULL input", !nb_view_as(NULL, T()))
MU_E(nb_view_as, "6 elements as 32", !nb_view_as(T(), IMG()))
MU_N(nb_view_as, "NULL other", !nb_view_as(T(), NULL))
MU_N(nb_unflatten, "NULL input", !nb_unflatten(NULL, 0, NB_SHAPE(2)))
MU_E(nb_unflatten, "3 into (2, 2)", !nb_unflatten(T(), 1, NB_SHAPE(2, 2)))
MU_E(nb_unflatten, "NULL sizes", !nb_unflatten(T(), 1, 2, NULL))
MU_E(nb_unflatten, "dim 5", !nb_unflatten(T(), 5, NB_SHAPE(3)))
MU_E(nb_unflatten, "two -1", !nb_unflatten(T(), 1, NB_SHAPE(-1, -1)))
/* ---- modules of nb_nn_spatial.h ---- */
MU_N(nb_dropout2d, "NULL input", !nb_dropout2d(NULL, 0.5, true))
MU_E(nb_dropout2d, "p 1.5", !nb_dropout2d(IMG(), 1.5, true))
MU_E(nb_dropout2d, "1-d input", !nb_dropout2d(mu_vec(3), 0.5, true))
MU_E(nb_dropout2d_new, "p -1", !mu_own_module(nb_dropout2d_new(-1)))
MU_E(nb_module_forward, "nb_max_pool2d_new: kernel 0 (torch checks at forward)",
     !FW(nb_max_pool2d_new((nb_max_pool2d_opts){ 0 }, false), IMG()))
MU_E(nb_module_forward, "nb_max_pool1d_new: kernel -2 (torch checks at forward)",
     !FW(nb_max_pool1d_new((nb_max_pool1d_opts){ .kernel_size = -2 }, false), SEQ()))
MU_E(nb_module_forward, "nb_avg_pool2d_new: kernel 0 (torch checks at forward)",
     !FW(nb_avg_pool2d_new((nb_avg_pool2d_opts){ 0 }), IMG()))
MU_E(nb_module_forward, "nb_avg_pool1d_new: kernel 0 (torch checks at forward)",
     !FW(nb_avg_pool1d_new((nb_avg_pool1d_opts){ 0 }), SEQ()))
MU_E(nb_module_forward, "nb_adaptive_avg_pool2d_new: output -1 (torch checks at forward)",
     !FW(nb_adaptive_avg_pool2d_new(-1, 1), IMG()))
MU_E(nb_module_forward_ex, "MaxUnpool2d with kernel 0",
     nb_module_forward_ex(mu_own_module(nb_max_unpool2d_new((nb_max_unpool2d_opts){ 0 })), 2,
                          (nb_tensor *[]){ IMG(), nb_zeros(NB_I64, NB_SHAPE(1, 2, 4, 4)) }, NULL, 1,
                          (nb_tensor *[1]){ 0 }) == -1)
MU_E(nb_module_forward, "nb_zero_pad2d_new: pad INT64_MIN", !FW(nb_zero_pad2d_new(INT64_MIN, 0, 0, 0), IMG()))
MU_E(nb_module_forward, "nb_reflection_pad2d_new: pad 4 of size 4",
     !FW(nb_reflection_pad2d_new(4, 4, 0, 0), IMG()))
MU_E(nb_module_forward, "nb_upsample_new: no size and no scale (torch checks at forward)",
     !FW(nb_upsample_new((nb_interpolate_opts){ 0 }), IMG()))
MU_E(nb_module_forward, "nb_pixel_shuffle_new: factor 0 (torch checks at forward)",
     !FW(nb_pixel_shuffle_new(0), IMG()))
MU_E(nb_module_forward, "nb_pixel_unshuffle_new: factor -2 (torch checks at forward)",
     !FW(nb_pixel_unshuffle_new(-2), IMG()))
MU_E(nb_unflatten_new, "NULL sizes", !mu_own_module(nb_unflatten_new(1, 2, NULL)))
MU_E(nb_unflatten_new, "9 sizes", !mu_own_module(nb_unflatten_new(1, 9, (int64_t[9]){ 1 })))
/* ---- batch and group norm ---- */
MU_N(nb_batch_norm, "NULL input",
     !nb_batch_norm(NULL, NULL, NULL, NULL, NULL, (nb_batch_norm_opts){ .training = true }))
MU_E(nb_batch_norm, "eval without running stats",
     !nb_batch_norm(IMG(), NULL, NULL, NULL, NULL, (nb_batch_norm_opts){ 0 }))
MU_E(nb_batch_norm, "running_mean (3) for 2 channels",
     !nb_batch_norm(IMG(), nb_zeros(NB_F32, NB_SHAPE(3)), nb_ones(NB_F32, NB_SHAPE(3)), NULL, NULL,
                    (nb_batch_norm_opts){ 0 }))
MU_E(nb_batch_norm, "weight (5) for 2 channels",
     !nb_batch_norm(IMG(), NULL, NULL, nb_ones(NB_F32, NB_SHAPE(5)), NULL,
                    (nb_batch_norm_opts){ .training = true }))
MU_E(nb_batch_norm, "one value per channel in training",
     !nb_batch_norm(nb_zeros(NB_F32, NB_SHAPE(1, 2)), NULL, NULL, NULL, NULL,
                    (nb_batch_norm_opts){ .training = true }))
MU_E(nb_batch_norm, "1-d input",
     !nb_batch_norm(mu_vec(3), NULL, NULL, NULL, NULL, (nb_batch_norm_opts){ .training = true }))
MU_E(nb_batch_norm, "f64 running stats for f32 input",
     !nb_batch_norm(IMG(), nb_zeros(NB_F64, NB_SHAPE(2)), nb_ones(NB_F64, NB_SHAPE(2)), NULL, NULL,
                    (nb_batch_norm_opts){ 0 }))
MU_N(nb_group_norm, "NULL input", !nb_group_norm(NULL, 1, NULL, NULL, 0))
MU_E(nb_group_norm, "2 channels in 3 groups", !nb_group_norm(IMG(), 3, NULL, NULL, 0))
MU_E(nb_group_norm, "0 groups", !nb_group_norm(IMG(), 0, NULL, NULL, 0))
MU_E(nb_group_norm, "weight (3) for 2 channels",
     !nb_group_norm(IMG(), 1, nb_ones(NB_F32, NB_SHAPE(3)), NULL, 0))
MU_E(nb_group_norm, "1-d input", !nb_group_norm(mu_vec(4), 1, NULL, NULL, 0))

MU_E(nb_module_forward, "nb_constant_pad2d_new: crop 3 + 3 of width 4",
     !FW(nb_constant_pad2d_new(-3, -3, 0, 0, 1), IMG()))
MU_E(nb_module_forward, "nb_replication_pad2d_new: pad 2^41",
     !FW(nb_replication_pad2d_new((int64_t)1 << 41, 0, 0, 0), IMG()))
