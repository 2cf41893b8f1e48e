/* nba_autograd.h — what the autograd layer offers the layers above it (optim, nn) and never users:
 * naming a composite's grad_fn. Tape nodes themselves stay private to autograd/ (nba_tape.h). */
#ifndef NBA_AUTOGRAD_H
#define NBA_AUTOGRAD_H

#include "nb_autograd.h"

/* Name y's grad_fn as torch does for a composite (nb_mean -> "MeanBackward0"); only when y is a new
 * recorded result (never x, an input returned unchanged). name must outlive the tape. Returns y. */
nb_tensor *nba_label(nb_tensor *y, const nb_tensor *x, const char *name);

/* F.layer_norm over the last nd dims of a float x, w and b (optional) of those dims' shape and x's dtype: one
 * fused node (NativeLayerNormBackward0), differentiable twice. The caller has checked the shapes. */
nb_tensor *nba_layer_norm(nb_tensor *x, int nd, nb_tensor *w, nb_tensor *b, double eps);

#endif
