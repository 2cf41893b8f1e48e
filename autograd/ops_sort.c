/* ops_sort.c — sort, argsort and topk. The kernels (tensor/kernels_sort.c) find the positions in torch's
 * order; the values are gathered from x, and the backward scatters g back to those positions
 * (torch's SortBackward0 / TopkBackward0), written with recorded ops (order 2). */
#include "nba_tape.h"
#include "nb_helpers.h"

/* values = x.gather(d, idx), recorded with a view of idx as the node's aux */
static nb_tensor *take(nba_opcode op, nb_tensor *x, int d, nb_tensor *idx, nb_tensor **indices,
                       const char *name) {
    nb_tensor *y = idx ? nbt_gather(x, d, idx, name) : NULL;
    if (!y) {
        nb_free(idx);
        return NULL;
    }
    nba_node *n = nba_record(op, y, 1, &x, 0);
    if (n) { /* the node keeps its own view of the indices, so the caller may free theirs */
        n->iv[0] = d;
        nba_set_aux(n, nbt_view(idx, idx->ndim, idx->shape, idx->stride, idx->offset));
    }
    if (indices)
        *indices = idx;
    else
        nb_free(idx);
    return y;
}
static void scatter_back(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the indices of sort/topk were released before backward", nbt_fn());
        return;
    }
    nb_tensor *x = nba_in(n, 0);
    gin[0] = x->ndim ? nb_scatter_add(nb_zeros_like(x), (int)n->iv[0], n->aux, g) : g;
}

static int sort_dim(nb_tensor *x, int dim, const char *op) {
    return x->ndim ? nbt_dim(dim, x->ndim, op) : (dim == 0 || dim == -1 ? 0 : nbt_dim(dim, 1, op));
}

/* values = x sorted along dim; dx = g scattered to the indices */
nb_tensor *nb_sort(nb_tensor *x, int dim, nb_sort_opts o, nb_tensor **indices) {
    if (indices) *indices = NULL;
    NBA_CHECK("nb_sort", x);
    int d = sort_dim(x, dim, "nb_sort");
    if (d < 0) return NULL;
    return take(NBA_OP_sort, x, d, nbt_argsort(x, d, o.descending, o.stable, "nb_sort"), indices, "nb_sort");
}
void nba_bw_sort(nba_node *n, nb_tensor *g, nb_tensor **gin) { scatter_back(n, g, gin); }

nb_tensor *nb_argsort(nb_tensor *x, int dim, nb_sort_opts o) {
    NBA_CHECK("nb_argsort", x);
    int d = sort_dim(x, dim, "nb_argsort");
    return d < 0 ? NULL : nbt_argsort(x, d, o.descending, o.stable, "nb_argsort");
}

/* values = the k largest (smallest) along dim; dx = g scattered to the indices */
nb_tensor *nb_topk(nb_tensor *x, int64_t k, int dim, nb_topk_opts o, nb_tensor **indices) {
    if (indices) *indices = NULL;
    NBA_CHECK("nb_topk", x);
    int d = sort_dim(x, dim, "nb_topk");
    if (d < 0) return NULL;
    int64_t sz = x->ndim ? x->shape[d] : 1;
    if (k < 0 || k > sz)
        return nbt_error("nb_topk: selected index k (%lld) out of range for dimension %d of %s", (long long)k,
                         d, nbt_shape(x));
    return take(NBA_OP_topk, x, d, nbt_topk_indices(x, k, d, !o.smallest, !o.unsorted, "nb_topk"), indices,
                "nb_topk");
}
void nba_bw_topk(nba_node *n, nb_tensor *g, nb_tensor **gin) { scatter_back(n, g, gin); }
