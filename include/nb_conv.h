/* nb_conv.h — convolutions as torch.nn.functional has them: conv1d, conv2d, conv_transpose1d/2d,
 * unfold and fold. Layouts are torch's: input (N, C, L) / (N, C, H, W) (the batch dim may be left
 * out), weight (out, in / groups, k...) for conv and (in, out / groups, k...) for the transpose.
 *
 *   nb_tensor *y = nb_conv2d(x, w, b, (nb_conv_opts){.stride = {2, 2}, .padding = {1, 1}});
 */
#ifndef NB_CONV_H
#define NB_CONV_H

#include "nb_autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* torch's string paddings of conv1d / conv2d: 'valid' is no padding, 'same' pads so the output has
 * the input's size (stride 1 only; an odd total pads one more at the end, as torch does). */
typedef enum { NB_CONV_PAD_EXPLICIT = 0, NB_CONV_PAD_VALID, NB_CONV_PAD_SAME } nb_conv_pad;
/* torch's padding_mode of the nn.Conv1d / nn.Conv2d modules: how the padding is filled (zeros; or the
 * input padded by F.pad(mode='reflect' / 'replicate' / 'circular') before a convolution without
 * padding). The functions (nb_conv2d, ...) take zeros only, as torch's F.conv2d has no padding_mode. */
typedef enum {
    NB_PADDING_ZEROS = 0,
    NB_PADDING_REFLECT,
    NB_PADDING_REPLICATE,
    NB_PADDING_CIRCULAR
} nb_padding_mode;

/* Keyword arguments of the convolutions; zero means torch's default. Pairs are (height, width); a 1-D
 * function reads element 0 only. stride and dilation can never be 0 in torch, so for the 2-D functions a
 * pair whose second entry is 0 repeats the first (torch's int form: {2} is 2x2, as in pooling); padding
 * and output_padding are taken literally (torch's padding=1 is {1, 1}). */
typedef struct {
    int64_t stride[2];            /* 0 means 1; {s} means {s, s} */
    int64_t padding[2];           /* zeros added on both sides (ignored unless pad_mode is explicit) */
    int64_t dilation[2];          /* 0 means 1; {d} means {d, d} */
    int64_t groups;               /* 0 means 1; in_channels and out_channels must both divide by it */
    int64_t output_padding[2];    /* transposed only: extra size at the end, < stride or < dilation */
    nb_conv_pad pad_mode;         /* torch's padding='valid' / 'same' (conv1d and conv2d only) */
    nb_padding_mode padding_mode; /* modules Conv1d / Conv2d only: torch's padding_mode (zeros) */
} nb_conv_opts;

/* y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] x[n, g c, i s + p d - pad, j s + q d - pad]
 * (F.conv2d); x (N, C, H, W) or (C, H, W), w (O, C / groups, kH, kW), b (O) or NULL. */
nb_tensor *nb_conv2d(nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o);
/* F.conv1d: x (N, C, L) or (C, L), w (O, C / groups, k), b (O) or NULL. */
nb_tensor *nb_conv1d(nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o);
/* F.conv_transpose2d, the adjoint of conv2d in x: x (N, C, H, W) or (C, H, W), w (C, O / groups, kH, kW),
 * out size (H - 1) s - 2 pad + d (k - 1) + output_padding + 1. */
nb_tensor *nb_conv_transpose2d(nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o);
/* F.conv_transpose1d: x (N, C, L) or (C, L), w (C, O / groups, k). */
nb_tensor *nb_conv_transpose1d(nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o);
/* F.unfold (im2col): x (N, C, H, W) or (C, H, W) -> (N, C kH kW, L), the sliding kH x kW blocks as columns
 * (stride, padding, dilation from o; groups, output_padding and pad_mode must be 0). */
nb_tensor *nb_unfold(nb_tensor *x, int64_t kh, int64_t kw, nb_conv_opts o);
/* F.fold (col2im), the adjoint of unfold: cols (N, C kH kW, L) or (C kH kW, L) -> (N, C, H, W), the
 * blocks summed where they overlap. */
nb_tensor *nb_fold(nb_tensor *cols, int64_t h, int64_t w, int64_t kh, int64_t kw, nb_conv_opts o);

#ifdef __cplusplus
}
#endif

#endif
