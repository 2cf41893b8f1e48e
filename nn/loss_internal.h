/* loss_internal.h — helpers shared by the loss files (not installed): the reduction step and the
 * argument checks every loss starts with. */
#ifndef NB_LOSS_INTERNAL_H
#define NB_LOSS_INTERNAL_H
#include "nb_nn.h"
#include "nb_internal.h"

/* mean / sum / none of the per-element losses l (NULL passes through; bad enum -> error) */
nb_tensor *nbn_loss_reduce(nb_tensor *l, nb_reduction r, const char *op);
/* x and y live float tensors whose shapes broadcast; false with an error otherwise */
bool nbn_loss_pair_ok(nb_tensor *x, nb_tensor *y, const char *op);
/* w (a loss option: weight, pos_weight) is NULL, or a live float tensor whose shape broadcasts to x's
 * (torch: "The size of tensor a ... must match"); false with an error naming op and what otherwise */
bool nbn_loss_weight_ok(nb_tensor *w, const nb_tensor *x, const char *what, const char *op);
/* a constant tensor of x's dtype and the given shape from double values (not recorded) */
nb_tensor *nbn_loss_const(nb_dtype dt, int ndim, const int64_t *shape, const double *v);
#endif
