/* nabla.h — the one header users include. nabla is a tape-based reverse-mode autodiff tensor
 * library in C11 with PyTorch's names and semantics. A worked example:
 *
 *   nb_tensor *x = nb_tensor_from(NB_F32, (float[]){10.0f}, NB_SHAPE(1), true);
 *   nb_scope s = nb_scope_begin();
 *   nb_tensor *y = nb_mul(x, nb_cos(nb_mul_scalar(x, 0.15 * M_PI)));   // y = x cos(cx)
 *   if (nb_backward(nb_sum(y)) != NB_OK) fprintf(stderr, "%s\n", nb_error());
 *   nb_scope_end(s);                      // intermediates and tape released; x->grad stays
 *   printf("%f\n", nb_item(x->grad));
 *   nb_free(x);
 */
#ifndef NABLA_H
#define NABLA_H
#include "nb_tensor.h"
#ifndef M_PI /* strict C11 hides it; examples use it */
#define M_PI 3.14159265358979323846
#endif
#include "nb_autograd.h"
#include "nb_spatial.h" /* pooling, pad, interpolate, pixel shuffle */
#include "nb_helpers.h"
#include "nb_conv.h"      /* convolutions */
#include "nb_norm.h"      /* batch / group normalisation */
#include "nb_rnn.h"       /* fused recurrent ops */
#include "nb_attention.h" /* scaled_dot_product_attention */
#include "nb_optim.h"
#include "nb_nn.h"
#include "nb_nn_spatial.h" /* pooling, pad, upsample, dropout2d layers */
#include "nb_data.h"
#include "nb_checkpoint.h"
#include "nb_dist.h" /* torch.distributed on MPI: process group, collectives, DDP */
#include "nb_distributions.h"
#include "nb_transformer.h" /* MultiheadAttention, Transformer layers */
#endif
