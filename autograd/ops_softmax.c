/* ops_softmax.c — softmax and log_softmax along a dim, numerically stable (max subtracted).
 * Backward from the saved output: softmax dx = y (g - sum(g y)); log_softmax dx = g - e^y sum(g); one fused
 * kernel when the backward is not recorded, differentiable ops under create_graph. */
#include "nba_tape.h"

static nb_tensor *softmax_op(nba_opcode op, nb_tensor *x, int dim, bool lg, const char *name) {
    NBA_CHECK(name, x);
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: expects a floating point tensor (got %s)", name, nb_dtype_name(x->dtype));
    int d = nbt_dim(dim, x->ndim, name);
    if (d < 0) return NULL;
    nb_tensor *y = nbt_softmax(x, x->ndim ? d : 0, lg);
    nba_node *n = nba_record(op, y, 1, &x, NBA_SAVE_OUT);
    if (n) n->iv[0] = d;
    return y;
}

nb_tensor *nb_softmax(nb_tensor *x, int dim) {
    return softmax_op(NBA_OP_softmax, x, dim, false, "nb_softmax");
}
void nba_bw_softmax(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *y = n->out;
    int d = (int)n->iv[0];
    if (!nb_is_grad_enabled() && y->ndim && g->dtype == y->dtype && nbt_same_shape(g, y)) {
        gin[0] = nbt_softmax_backward(y, g, d, false); /* not recorded: one fused pass */
        return;
    }
    nb_tensor *gy = nb_mul(g, y);
    gin[0] = y->ndim ? nb_sub(gy, nb_mul(y, nb_sum_dim(gy, 1, &d, true))) : nb_sub(gy, nb_mul(y, gy));
}

nb_tensor *nb_log_softmax(nb_tensor *x, int dim) {
    return softmax_op(NBA_OP_log_softmax, x, dim, true, "nb_log_softmax");
}
void nba_bw_log_softmax(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *y = n->out;
    int d = (int)n->iv[0];
    if (!nb_is_grad_enabled() && y->ndim && g->dtype == y->dtype && nbt_same_shape(g, y)) {
        gin[0] = nbt_softmax_backward(y, g, d, true); /* not recorded: one fused pass */
        return;
    }
    nb_tensor *sg = y->ndim ? nb_sum_dim(g, 1, &d, true) : g;
    gin[0] = nb_sub(g, nb_mul(nb_exp(y), sg));
}
