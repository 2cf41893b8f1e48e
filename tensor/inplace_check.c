/* inplace_check.c — the two checks every in-place write shares (torch's): a leaf that requires grad is
 * not written while grad mode is on, and a tensor whose elements share memory (an expanded view,
 * stride 0) is not the destination of an op that reads what it writes. Grad mode lives here, per thread,
 * so the tensor layer's writers (nb_set) see it too; the autograd layer sets it. */
#include "nb_internal.h"

_Thread_local bool nbt_grad_off;

bool nbt_leaf_write_ok(const nb_tensor *t, const char *op) {
    if (nbt_grad_off || !t->requires_grad) return true;
    nbt_error("%s: a %s that requires grad is being used in an in-place operation while grad mode is on; "
              "wrap the update in NB_NO_GRAD { ... } or use the out-of-place op",
              op, t->node ? "tensor" : "leaf tensor");
    return false;
}

bool nbt_no_self_overlap(const nb_tensor *t, const char *op) {
    for (int i = 0; i < t->ndim; i++)
        if (t->stride[i] == 0 && t->shape[i] > 1) {
            nbt_error("%s: unsupported operation: more than one element of the written-to tensor (shape %s, "
                      "stride 0 in dim %d) refers to a single memory location. Please clone() the tensor "
                      "before performing the operation (nb_clone or nb_contiguous)",
                      op, nbt_shape(t), i);
            return false;
        }
    return true;
}
