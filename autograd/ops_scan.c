/* ops_scan.c — cumulative sum along a dim. The backward is the reversed cumulative sum of the gradient,
 * flip(cumsum(flip(g))) as torch's cumsum_backward computes it, written with recorded ops (order 2). */
#include "nba_tape.h"
#include "nb_helpers.h"

/* y_i = sum_{j <= i} x_j along dim; dx = flip(cumsum(flip(g))) */
nb_tensor *nb_cumsum(nb_tensor *x, int dim) {
    NBA_CHECK("nb_cumsum", x);
    int d = x->ndim ? nbt_dim(dim, x->ndim, "nb_cumsum")
                    : (dim == 0 || dim == -1 ? 0 : nbt_dim(dim, 1, "nb_cumsum"));
    if (d < 0) return NULL;
    nb_tensor *y = nbt_cumsum(x, d);
    nba_node *n = nba_record(NBA_OP_cumsum, y, 1, &x, 0);
    if (n) n->iv[0] = d;
    return y;
}
void nba_bw_cumsum(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    int d = (int)n->iv[0];
    if (g->ndim == 0 || g->shape[d] <= 1) {
        gin[0] = g;
        return;
    }
    gin[0] = nb_flip(nb_cumsum(nb_flip(g, 1, &d), d), 1, &d);
}
