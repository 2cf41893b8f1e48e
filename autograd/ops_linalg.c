/* ops_linalg.c — matmul with torch.matmul's rules (1-D operands get a dim added and removed,
 * 2-D and batched go to the GEMM kernel, batch dims broadcast), mm, bmm, dot, outer, linear.
 * Backward: dA = g B^T, dB = A^T g (transposes are views: the GEMM reads them without copies). */
#include "nba_tape.h"

/* the product of every dim of t but the last (its rows, viewed as a matrix) */
static int64_t rows_of(const nb_tensor *t) {
    int64_t rows = 1;
    for (int d = 0; d < t->ndim - 1; d++) rows *= t->shape[d];
    return rows;
}

/* y = a @ b for a, b at least 2-D; da = sum_to(g b^T), db = sum_to(a^T g); for an N-D a and a 2-D b,
 * db = a'^T g' with a' and g' folded to 2-D (torch's fold into mm: one GEMM over every row, not a
 * product per batch summed afterwards) */
static nb_tensor *matmul2(nb_tensor *a, nb_tensor *b, const char *op) {
    nb_tensor *y = nbt_matmul(a, b, op);
    nba_record(NBA_OP_matmul, y, 2, (nb_tensor *[]){ a, b }, NBA_SAVE_IN(0) | NBA_SAVE_IN(1));
    return y;
}
void nba_bw_matmul(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *a = nba_in(n, 0), *b = nba_in(n, 1);
    if (nba_need(n, 0)) gin[0] = nba_sum_to(nb_matmul(g, nb_transpose(b, -1, -2)), a);
    if (!nba_need(n, 1)) return;
    if (a->ndim > 2 && b->ndim == 2) {
        int64_t rows = rows_of(a);
        gin[1] = nb_matmul(nb_t(nb_reshape(a, 2, (int64_t[]){ rows, a->shape[a->ndim - 1] })),
                           nb_reshape(g, 2, (int64_t[]){ rows, g->shape[g->ndim - 1] }));
        return;
    }
    gin[1] = nba_sum_to(nb_matmul(nb_transpose(a, -1, -2), g), b);
}

nb_tensor *nb_matmul(nb_tensor *a, nb_tensor *b) {
    NBT_API("nb_matmul");
    NBA_CHECK("nb_matmul", a, b);
    if (a->ndim == 0 || b->ndim == 0)
        return nbt_error("nb_matmul: both arguments need at least 1 dimension (got %s and %s)", nbt_shape(a),
                         nbt_shape(b));
    if (a->ndim == 1 && b->ndim == 1) {
        if (a->shape[0] != b->shape[0])
            return nbt_error("nb_matmul: inconsistent tensor size, expected tensors %s and %s to have the "
                             "same number of elements",
                             nbt_shape(a), nbt_shape(b));
        return nba_label(nb_reshape(matmul2(nb_unsqueeze(a, 0), nb_unsqueeze(b, 1), "nb_matmul"), 0, NULL),
                         NULL, "DotBackward0");
    }
    if (a->ndim == 1)
        return nba_label(nb_squeeze(matmul2(nb_unsqueeze(a, 0), b, "nb_matmul"), -2), NULL,
                         "SqueezeBackward3");
    if (b->ndim == 1) /* torch names the 2-D case MvBackward0 */
        return nba_label(nb_squeeze(matmul2(a, nb_unsqueeze(b, 1), "nb_matmul"), -1), NULL,
                         a->ndim == 2 ? "MvBackward0" : "SqueezeBackward1");
    return matmul2(a, b, "nb_matmul");
}

nb_tensor *nb_mm(nb_tensor *a, nb_tensor *b) {
    NBA_CHECK("nb_mm", a, b);
    if (a->ndim != 2 || b->ndim != 2)
        return nbt_error("nb_mm: expects 2-D tensors, got %s and %s", nbt_shape(a), nbt_shape(b));
    return matmul2(a, b, "nb_mm");
}

nb_tensor *nb_bmm(nb_tensor *a, nb_tensor *b) {
    NBA_CHECK("nb_bmm", a, b);
    if (a->ndim != 3 || b->ndim != 3)
        return nbt_error("nb_bmm: expects 3-D tensors, got %s and %s", nbt_shape(a), nbt_shape(b));
    if (a->shape[0] != b->shape[0])
        return nbt_error("nb_bmm: batch sizes differ: %s and %s", nbt_shape(a), nbt_shape(b));
    return nba_label(matmul2(a, b, "nb_bmm"), NULL, "BmmBackward0");
}

nb_tensor *nb_dot(nb_tensor *a, nb_tensor *b) {
    NBT_API("nb_dot");
    NBA_CHECK("nb_dot", a, b);
    if (a->ndim != 1 || b->ndim != 1)
        return nbt_error("nb_dot: 1D tensors expected, but got %s and %s", nbt_shape(a), nbt_shape(b));
    if (a->shape[0] != b->shape[0])
        return nbt_error("nb_dot: inconsistent tensor size, expected tensors %s and %s to have the same "
                         "number of elements",
                         nbt_shape(a), nbt_shape(b));
    return nb_matmul(a, b);
}

nb_tensor *nb_outer(nb_tensor *a, nb_tensor *b) {
    NBT_API("nb_outer");
    NBA_CHECK("nb_outer", a, b);
    if (a->ndim != 1 || b->ndim != 1)
        return nbt_error("nb_outer: 1D tensors expected, but got %s and %s", nbt_shape(a), nbt_shape(b));
    return nb_mul(nb_unsqueeze(a, 1), nb_unsqueeze(b, 0));
}

/* y = x w^T + b (torch.nn.functional.linear). A 2-D x with a 1-D bias of one float dtype is one fused
 * node (torch's addmm: AddmmBackward0), and so is a contiguous 3-D x viewed as 2-D (torch's ViewBackward0);
 * anything else is the composition matmul(x, w^T) + b (whose matmul folds into one GEMM too). */
nb_tensor *nb_linear(nb_tensor *x, nb_tensor *w, nb_tensor *b) {
    NBT_API("nb_linear");
    NBA_CHECK("nb_linear", x, w);
    if (w->ndim != 2) return nbt_error("nb_linear: weight must be 2-D (out, in), got %s", nbt_shape(w));
    if (b && !nbt_ok(b, "nb_linear")) return NULL;
    bool fusable = b && x->ndim >= 2 && b->ndim == 1 && nbt_is_float(x->dtype) && w->dtype == x->dtype &&
                   b->dtype == x->dtype && x->shape[x->ndim - 1] == w->shape[1] && b->shape[0] == w->shape[0];
    if (fusable && x->ndim == 2) {
        nb_tensor *y = nbt_linear(x, w, b);
        nba_record(NBA_OP_linear, y, 3, (nb_tensor *[]){ x, w, b }, NBA_SAVE_IN(0) | NBA_SAVE_IN(1));
        return y;
    }
    if (fusable && x->ndim == 3 && nb_is_contiguous(x)) { /* (B, T, k) as (B T, k), the result back (torch) */
        int64_t shp[NB_MAX_DIMS];
        memcpy(shp, x->shape, sizeof(int64_t) * (size_t)x->ndim);
        shp[x->ndim - 1] = w->shape[0];
        nb_tensor *y = nb_linear(nb_reshape(x, 2, (int64_t[]){ rows_of(x), x->shape[x->ndim - 1] }), w, b);
        return nb_reshape(y, x->ndim, shp);
    }
    nb_tensor *y = nb_matmul(x, nb_t(w));
    return b ? nb_add(y, b) : y;
}
/* dx = g w, dw = g^T x, db = sum over rows of g */
void nba_bw_linear(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    if (nba_need(n, 0)) gin[0] = nb_matmul(g, nba_in(n, 1));
    nb_tensor *x = nba_in(n, 0);
    if (!nb_is_grad_enabled() && nba_need(n, 1) && nba_need(n, 2) && g->ndim == 2 && g->dtype == x->dtype) {
        gin[1] = nbt_linear_wgrad(g, x, &gin[2]); /* first order: db summed while dw's GEMM packs g */
        return;
    }
    if (nba_need(n, 1)) gin[1] = nb_matmul(nb_t(g), nba_in(n, 0));
    if (nba_need(n, 2)) gin[2] = nba_sum_to(g, nba_in(n, 2));
}
