/* ops_reduce.c — reductions with torch's dim/keepdim rules: sum, prod, amax/amin, max/min along a
 * dim (values + indices), norm, sum_to_size (primitives), and mean, var, std, logsumexp, argmax/argmin
 * (composites of them). Backward rules re-expand g over the reduced dims with nabla ops. */
#include "nba_tape.h"
#include <math.h>

int nba_parse_dims(int ndims, const int *dims, int ndim, int *out, const char *op) {
    if (ndims < 0 || ndims > NB_MAX_DIMS || (ndims && !dims)) {
        nbt_error("%s: bad dims list (%d dims)", op, ndims);
        return -1;
    }
    bool seen[NB_MAX_DIMS] = { false };
    for (int i = 0; i < ndims; i++) {
        int d = nbt_dim(dims[i], ndim, op);
        if (d < 0) return -1;
        if (seen[d]) {
            nbt_error("%s: dim %d appears multiple times in the list of dims", op, d);
            return -1;
        }
        seen[d] = true;
    }
    int m = 0;
    for (int d = 0; d < NB_MAX_DIMS; d++)
        if (seen[d] && d < (ndim ? ndim : 1)) out[m++] = d;
    if (ndim == 0) return 0; /* reducing a 0-d tensor over dim 0 is reducing over nothing */
    return m;
}

nb_tensor *nba_unsqueeze_dims(nb_tensor *g, int nd, const int *dims, int ndims_in) {
    if (!g) return NULL;
    int64_t shp[NB_MAX_DIMS];
    bool red[NB_MAX_DIMS] = { false };
    if (nd == 0)
        for (int d = 0; d < ndims_in; d++) red[d] = true;
    for (int i = 0; i < nd; i++) red[dims[i]] = true;
    int k = 0;
    for (int d = 0; d < ndims_in; d++) shp[d] = red[d] ? 1 : g->shape[k++];
    return nb_reshape(g, ndims_in, shp);
}

static void load_dims(const nba_node *n, int *dims) {
    for (int i = 0; i < n->iv[1]; i++) dims[i] = (int)n->iv[2 + i];
}

/* g with the reduced dims restored (size 1), ready to broadcast against the input */
static nb_tensor *regrow(nba_node *n, nb_tensor *g) {
    nb_tensor *x = nba_in(n, 0);
    bool keep = n->iv[0];
    int nd = (int)n->iv[1];
    int dims[NB_MAX_DIMS];
    for (int i = 0; i < nd; i++) dims[i] = (int)n->iv[2 + i];
    if (keep || x->ndim == 0) return g;
    return nba_unsqueeze_dims(g, nd, dims, x->ndim);
}
static void save_dims(nba_node *n, int nd, const int *dims, bool keepdim) {
    if (!n) return;
    n->iv[0] = keepdim;
    n->iv[1] = nd;
    for (int i = 0; i < nd; i++) n->iv[2 + i] = dims[i];
}

static nb_tensor *reduce_op(nba_opcode op, nbt_reduce_kind k, nb_tensor *x, int ndims, const int *dims,
                            bool keepdim, const char *name, uint32_t saved) {
    NBA_CHECK(name, x);
    int d[NB_MAX_DIMS];
    int nd = nba_parse_dims(ndims, dims, x->ndim, d, name);
    if (nd < 0) return NULL;
    if (ndims > 0 && nd == 0 && x->ndim == 0) nd = 0;
    nb_tensor *y = nbt_reduce(k, x, nd, d, keepdim);
    save_dims(nba_record(op, y, 1, &x, saved), nd, d, keepdim);
    return y;
}

/* y = sum over dims; dx = expand(g) */
nb_tensor *nb_sum_dim(nb_tensor *x, int ndims, const int *dims, bool keepdim) {
    return reduce_op(NBA_OP_sum, NBT_RSUM, x, ndims, dims, keepdim, "nb_sum_dim", NBA_SAVE_NONE);
}
nb_tensor *nb_sum(nb_tensor *x) {
    NBT_API("nb_sum");
    return nb_sum_dim(x, 0, NULL, false);
}
void nba_bw_sum(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    gin[0] = nb_expand(regrow(n, g), x->ndim, x->shape);
}

/* y = prod over dims; dx = g * prod / x, or with zeros g * others, others_i = prod_{j != i} x_j */
nb_tensor *nb_prod_dim(nb_tensor *x, int dim, bool keepdim) {
    return reduce_op(NBA_OP_prod, NBT_RPROD, x, 1, &dim, keepdim, "nb_prod_dim",
                     NBA_SAVE_IN(0) | NBA_SAVE_OUT);
}
nb_tensor *nb_prod(nb_tensor *x) {
    return reduce_op(NBA_OP_prod, NBT_RPROD, x, 0, NULL, false, "nb_prod", NBA_SAVE_IN(0) | NBA_SAVE_OUT);
}
void nba_bw_prod(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    int nd = (int)n->iv[1], dims[NB_MAX_DIMS];
    load_dims(n, dims);
    nb_tensor *ge = nb_expand(regrow(n, g), x->ndim, x->shape);
    nb_tensor *zeros = nb_sum(nb_eq_scalar(x, 0));
    if (zeros && nb_item(zeros) == 0) {
        nb_tensor *ye = nb_expand(regrow(n, n->out), x->ndim, x->shape);
        gin[0] = nb_mul(ge, nb_div(ye, x));
        return;
    }
    /* others_i = (P / xm_i) Z_i with xm = x whose zeros are set to 1, P = prod of xm over the group and
     * Z_i = product of the group's zeros other than x_i, a polynomial in those zeros written with
     * S = sum of the zeros, Q = sum of their squares and the group's count c of zeros:
     *   at a zero: [c == 1] + [c == 2] (S - x_i);  elsewhere: [c == 0] + [c == 1] S + [c == 2] (S^2 - Q) / 2
     * Exact values always, exact derivatives of every order for groups with at most two zeros (with
     * three or more, derivatives beyond the second of prod are not computed). */
    nb_tensor *z = nb_eq_scalar(x, 0);
    nb_tensor *xm = nb_masked_fill(x, z, 1);
    nb_tensor *p = nd == 1 && x->ndim > 0 ? nb_prod_dim(xm, dims[0], true) : nb_prod(xm);
    nb_tensor *cnt = nb_sum_dim(z, nd, dims, true);
    nb_tensor *c1 = nb_eq_scalar(cnt, 1), *c2 = nb_eq_scalar(cnt, 2);
    nb_tensor *sum = nb_sum_dim(nb_mul(x, z), nd, dims, true);
    nb_tensor *sq = nb_sum_dim(nb_mul(nb_square(x), z), nd, dims, true);
    nb_tensor *at_zero = nb_add(c1, nb_mul(c2, nb_sub(sum, x)));
    nb_tensor *pair = nb_mul_scalar(nb_sub(nb_square(sum), sq), 0.5);
    nb_tensor *other = nb_add(nb_add(nb_eq_scalar(cnt, 0), nb_mul(c1, sum)), nb_mul(c2, pair));
    nb_tensor *zi = nb_where(z, at_zero, other);
    gin[0] = nb_mul(ge, nb_mul(nb_div(p, xm), zi));
}

/* mask / (number of set elements in its reduction group): an even share for each tie */
static nb_tensor *tie_share(nba_node *n, nb_tensor *mask) {
    nb_tensor *x = nba_in(n, 0);
    int dims[NB_MAX_DIMS];
    load_dims(n, dims);
    nb_tensor *cnt = nb_sum_dim(mask, (int)n->iv[1], dims, (bool)n->iv[0]);
    return nb_div(mask, nb_expand(regrow(n, cnt), x->ndim, x->shape));
}

/* y = max/min over dims; dx = g on the extreme elements, shared evenly on ties */
static void amax_bw(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    nb_tensor *ye = nb_expand(regrow(n, n->out), x->ndim, x->shape);
    gin[0] = nb_mul(nb_expand(regrow(n, g), x->ndim, x->shape), tie_share(n, nb_eq(x, ye)));
}
nb_tensor *nb_amax(nb_tensor *x, int ndims, const int *dims, bool keepdim) {
    return reduce_op(NBA_OP_amax, NBT_RMAX, x, ndims, dims, keepdim, "nb_amax",
                     NBA_SAVE_IN(0) | NBA_SAVE_OUT);
}
nb_tensor *nb_amin(nb_tensor *x, int ndims, const int *dims, bool keepdim) {
    return reduce_op(NBA_OP_amin, NBT_RMIN, x, ndims, dims, keepdim, "nb_amin",
                     NBA_SAVE_IN(0) | NBA_SAVE_OUT);
}
nb_tensor *nb_max(nb_tensor *x) {
    NBT_API("nb_max");
    return nba_label(nb_amax(x, 0, NULL, false), x, "MaxBackward1");
}
nb_tensor *nb_min(nb_tensor *x) {
    NBT_API("nb_min");
    return nba_label(nb_amin(x, 0, NULL, false), x, "MinBackward1");
}
void nba_bw_amax(nba_node *n, nb_tensor *g, nb_tensor **gin) { amax_bw(n, g, gin); }
void nba_bw_amin(nba_node *n, nb_tensor *g, nb_tensor **gin) { amax_bw(n, g, gin); }

/* values and indices along dim; dx = g scattered to the indices */
static nb_tensor *minmax_dim(nba_opcode op, nb_tensor *x, int dim, bool keepdim, nb_tensor **indices,
                             bool is_min, const char *name) {
    if (indices) *indices = NULL;
    NBA_CHECK(name, x);
    int d = nbt_dim(dim, x->ndim, name);
    if (d < 0) return NULL;
    nb_tensor *idx = NULL;
    nb_tensor *y;
    if (x->ndim == 0) {
        y = nbt_copy(x, x->dtype);
        idx = nb_zeros(NB_I64, 0, NULL);
    } else {
        y = nbt_arg_reduce(x, d, keepdim, is_min, &idx);
    }
    if (!y) return NULL;
    nba_node *n = nba_record(op, y, 1, &x, NBA_SAVE_NONE);
    /* the node keeps its own view of the indices, so the caller may free theirs */
    if (n) {
        n->iv[0] = d;
        n->iv[1] = keepdim;
        nba_set_aux(n, nbt_view(idx, idx->ndim, idx->shape, idx->stride, idx->offset));
    }
    if (indices) *indices = idx;
    return y;
}
nb_tensor *nb_max_dim(nb_tensor *x, int dim, bool keepdim, nb_tensor **indices) {
    return minmax_dim(NBA_OP_max_dim, x, dim, keepdim, indices, false, "nb_max_dim");
}
nb_tensor *nb_min_dim(nb_tensor *x, int dim, bool keepdim, nb_tensor **indices) {
    return minmax_dim(NBA_OP_min_dim, x, dim, keepdim, indices, true, "nb_min_dim");
}
static void minmax_dim_bw(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    if (!nb_is_valid(n->aux)) {
        nbt_error("%s: the indices of max/min were released before backward", nbt_fn());
        return;
    }
    if (x->ndim == 0) {
        gin[0] = g;
        return;
    }
    int d = (int)n->iv[0];
    nb_tensor *gi = n->iv[1] ? g : nb_unsqueeze(g, d);
    nb_tensor *ii = n->iv[1] ? n->aux : nb_unsqueeze(n->aux, d);
    gin[0] = nb_scatter_add(nb_zeros_like(x), d, ii, gi);
}
void nba_bw_max_dim(nba_node *n, nb_tensor *g, nb_tensor **gin) { minmax_dim_bw(n, g, gin); }
void nba_bw_min_dim(nba_node *n, nb_tensor *g, nb_tensor **gin) { minmax_dim_bw(n, g, gin); }

nb_tensor *nb_argmax(nb_tensor *x, int dim, bool keepdim) {
    NBT_API("nb_argmax");
    NBA_CHECK("nb_argmax", x);
    int d = nbt_dim(dim, x->ndim, "nb_argmax");
    if (d < 0) return NULL;
    if (x->ndim == 0) return nb_zeros(NB_I64, 0, NULL);
    nb_tensor *idx = NULL, *v = nbt_arg_reduce(x, d, keepdim, false, &idx);
    nb_free(v);
    return idx;
}
nb_tensor *nb_argmin(nb_tensor *x, int dim, bool keepdim) {
    NBT_API("nb_argmin");
    NBA_CHECK("nb_argmin", x);
    int d = nbt_dim(dim, x->ndim, "nb_argmin");
    if (d < 0) return NULL;
    if (x->ndim == 0) return nb_zeros(NB_I64, 0, NULL);
    nb_tensor *idx = NULL, *v = nbt_arg_reduce(x, d, keepdim, true, &idx);
    nb_free(v);
    return idx;
}
nb_tensor *nb_argmax_all(nb_tensor *x) {
    NBT_API("nb_argmax_all");
    NBA_CHECK("nb_argmax_all", x);
    nb_tensor *flat = nbt_copy(x, x->dtype);
    if (!flat) return NULL;
    nb_tensor *f1 = nbt_view(flat, 1, (int64_t[]){ x->numel }, (int64_t[]){ 1 }, 0);
    nb_tensor *idx = NULL, *v = f1 ? nbt_arg_reduce(f1, 0, false, false, &idx) : NULL;
    nb_free(v);
    nb_free(f1);
    nb_free(flat);
    return idx;
}

/* ---- composites ----
 * When nothing is recorded, a composite's intermediates live in a private scope and only the result
 * is kept, so composites never leave garbage behind (even outside any scope). */
/* Opens a composite's private scope on input x (0, no scope, when x's graph is being recorded). */
static nb_scope composite_begin(nb_tensor *x) {
    return nba_will_record(1, (nb_tensor *[]){ x }) ? 0 : nb_scope_begin();
}
/* Closes the scope cs opened by composite_begin, keeping the result y. */
static void composite_end(nb_scope cs, nb_tensor *y) {
    if (cs) {
        nb_keep(y);
        nb_scope_end(cs);
    }
}
/* elements reduced into each output; -1 (error recorded under op's name) on a bad dims list */
static int64_t reduced_count(const nb_tensor *x, int ndims, const int *dims, const char *op) {
    if (ndims == 0) return x->numel;
    int d[NB_MAX_DIMS];
    int nd = nba_parse_dims(ndims, dims, x->ndim, d, op);
    if (nd < 0) return -1;
    int64_t c = 1;
    for (int i = 0; i < nd; i++) c *= x->shape[d[i]];
    return c;
}

/* y = sum / count */
nb_tensor *nb_mean_dim(nb_tensor *x, int ndims, const int *dims, bool keepdim) {
    NBT_API("nb_mean_dim");
    NBA_CHECK("nb_mean", x);
    if (!nbt_is_float(x->dtype))
        return nbt_error("nb_mean: could not infer output dtype; input dtype must be floating point (got %s)",
                         nb_dtype_name(x->dtype));
    int64_t cnt = reduced_count(x, ndims, dims, "nb_mean");
    if (cnt < 0) return NULL;
    nb_scope cs = composite_begin(x);
    nb_tensor *y = nb_div_scalar(nb_sum_dim(x, ndims, dims, keepdim), (double)cnt);
    composite_end(cs, y);
    return nba_label(y, x, ndims ? "MeanBackward1" : "MeanBackward0");
}
nb_tensor *nb_mean(nb_tensor *x) {
    NBT_API("nb_mean");
    return nb_mean_dim(x, 0, NULL, false);
}

/* var = sum (x - mean)^2 / (N - correction) */
nb_tensor *nb_var_dim(nb_tensor *x, int ndims, const int *dims, int correction, bool keepdim) {
    NBT_API("nb_var_dim");
    NBA_CHECK("nb_var", x);
    if (!nbt_is_float(x->dtype))
        return nbt_error("nb_var: input dtype must be floating point (got %s)", nb_dtype_name(x->dtype));
    int64_t cnt = reduced_count(x, ndims, dims, "nb_var");
    if (cnt < 0) return NULL;
    nb_scope cs = composite_begin(x);
    nb_tensor *m = nb_mean_dim(x, ndims, dims, true);
    nb_tensor *dev = nb_sub(x, m);
    nb_tensor *ss = nb_sum_dim(nb_square(dev), ndims, dims, keepdim);
    double dof = (double)cnt - correction;
    nb_tensor *y = nb_div_scalar(ss, dof > 0 ? dof : 0.0);
    composite_end(cs, y);
    return nba_label(y, x, "VarBackward0");
}
nb_tensor *nb_var(nb_tensor *x) {
    NBT_API("nb_var");
    return nb_var_dim(x, 0, NULL, 1, false);
}
nb_tensor *nb_std_dim(nb_tensor *x, int ndims, const int *dims, int correction, bool keepdim) {
    NBT_API("nb_std_dim");
    if (!x) return NULL;
    nb_scope cs = composite_begin(x);
    /* sqrt(v + z) - z with z = [v == 0] (no grad): same values, but the grad is 0 where std == 0 as in
     * torch, instead of inf * 0 = NaN from sqrt's backward */
    nb_tensor *v = nb_var_dim(x, ndims, dims, correction, keepdim), *z = NULL;
    NB_NO_GRAD { z = nb_eq_scalar(v, 0); }
    nb_tensor *y = nb_sub(nb_sqrt(nb_add(v, z)), z);
    composite_end(cs, y);
    return nba_label(y, x, "StdBackward0");
}
nb_tensor *nb_std(nb_tensor *x) {
    NBT_API("nb_std");
    return nb_std_dim(x, 0, NULL, 1, false);
}

/* y = m + log sum e^(x - m), m = amax (detached, inf-safe) */
nb_tensor *nb_logsumexp(nb_tensor *x, int ndims, const int *dims, bool keepdim) {
    NBT_API("nb_logsumexp");
    NBA_CHECK("nb_logsumexp", x);
    if (reduced_count(x, ndims, dims, "nb_logsumexp") < 0) return NULL;
    nb_scope cs = composite_begin(x);
    nb_tensor *m = NULL, *y = NULL;
    /* empty input: no max to subtract, m = 0 (an empty sum gives log 0 = -inf, as in torch) */
    NB_NO_GRAD { m = x->numel ? nb_amax(x, ndims, dims, true) : nb_sum_dim(x, ndims, dims, true); }
    NB_NO_GRAD { m = nb_masked_fill(m, nb_eq_scalar(nb_abs(m), INFINITY), 0); }
    nb_tensor *s = nb_sum_dim(nb_exp(nb_sub(x, m)), ndims, dims, keepdim);
    nb_tensor *mr = keepdim || !s ? m : nb_reshape(m, s->ndim, s->shape);
    y = nb_add(nb_log(s), mr);
    composite_end(cs, y);
    return nba_label(y, x, "LogsumexpBackward0");
}

/* y = (sum |x|^p)^(1/p) (p = inf: max |x|); dx = g x |x|^(p-2) / y^(p-1), 0 where y == 0 */
nb_tensor *nb_norm_dim(nb_tensor *x, double p, int ndims, const int *dims, bool keepdim) {
    NBA_CHECK("nb_norm_dim", x);
    if (!nbt_is_float(x->dtype))
        return nbt_error("nb_norm_dim: input dtype must be floating point (got %s)", nb_dtype_name(x->dtype));
    int d[NB_MAX_DIMS];
    int nd = nba_parse_dims(ndims, dims, x->ndim, d, "nb_norm_dim");
    if (nd < 0) return NULL;
    nb_tensor *y;
    nb_scope sc = nb_scope_begin();
    NB_NO_GRAD {
        nb_tensor *a = nbt_unary(NBT_ABS, x, 0, 0);
        if (isinf(p))
            y = p > 0 ? nbt_reduce(NBT_RMAX, a, nd, d, keepdim) : nbt_reduce(NBT_RMIN, a, nd, d, keepdim);
        else if (p == 0)
            y = nbt_reduce(NBT_RSUM, nbt_unary(NBT_NE_S, a, 0, 0), nd, d, keepdim);
        else if (p == 1)
            y = nbt_reduce(NBT_RSUM, a, nd, d, keepdim);
        else if (p == 2)
            y = nbt_unary(NBT_SQRT, nbt_reduce(NBT_RSUM, nbt_unary(NBT_SQUARE, x, 0, 0), nd, d, keepdim), 0,
                          0);
        else
            y = nbt_unary(NBT_POW_S, nbt_reduce(NBT_RSUM, nbt_unary(NBT_POW_S, a, p, 0), nd, d, keepdim),
                          1.0 / p, 0);
    }
    nb_keep(y);
    nb_scope_end(sc);
    nba_node *n = nba_record(NBA_OP_norm, y, 1, &x, NBA_SAVE_IN(0) | NBA_SAVE_OUT);
    save_dims(n, nd, d, keepdim);
    if (n) n->s[0] = p;
    return y;
}
nb_tensor *nb_norm(nb_tensor *x, double p) {
    NBT_API("nb_norm");
    return nb_norm_dim(x, p, 0, NULL, false);
}
void nba_bw_norm(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    double p = n->s[0];
    nb_tensor *ye = nb_expand(regrow(n, n->out), x->ndim, x->shape);
    nb_tensor *ge = nb_expand(regrow(n, g), x->ndim, x->shape);
    nb_tensor *zero = nb_eq_scalar(ye, 0);
    nb_tensor *d;
    if (p == 0) {
        gin[0] = nb_zeros_like(x);
        return;
    }
    if (p == 1)
        d = nb_sign(x);
    else if (p == 2)
        d = nb_div(x, nb_masked_fill(ye, zero, 1));
    else if (isinf(p)) {
        d = nb_mul(nb_sign(x), tie_share(n, nb_eq(nb_abs(x), ye)));
    } else {
        nb_tensor *num = nb_mul(x, nb_pow_scalar(nb_abs(x), p - 2));
        d = nb_div(num, nb_pow_scalar(nb_masked_fill(ye, zero, 1), p - 1));
    }
    gin[0] = nb_masked_fill(nb_mul(ge, d), zero, 0);
}

/* y = x summed over broadcast dims down to shape; dx = expand(g, x.shape) */
nb_tensor *nb_sum_to_size(nb_tensor *x, int ndim, const int64_t *shape) {
    NBA_CHECK("nb_sum_to_size", x);
    if (ndim > x->ndim || (ndim && !shape))
        return nbt_error("nb_sum_to_size: size %s is not expandable to %s", nbt_shape_of(ndim, shape),
                         nbt_shape(x));
    int lead = x->ndim - ndim, dims[NB_MAX_DIMS], nd = 0;
    bool same = lead == 0;
    for (int i = 0; i < x->ndim; i++) {
        if (i < lead) {
            dims[nd++] = i;
            continue;
        }
        int64_t want = shape[i - lead];
        if (want == x->shape[i]) continue;
        if (want != 1)
            return nbt_error("nb_sum_to_size: size %s is not expandable to %s", nbt_shape_of(ndim, shape),
                             nbt_shape(x));
        dims[nd++] = i;
        same = false;
    }
    if (same) return x;
    nb_tensor *y = nbt_reduce(NBT_RSUM, x, nd, dims, true);
    if (!y) return NULL;
    if (lead) { /* drop the leading dims: a plain re-shape of a fresh contiguous tensor */
        int64_t st[NB_MAX_DIMS];
        nbt_contig_strides(ndim, shape, st);
        y->ndim = ndim;
        for (int i = 0; i < ndim; i++) {
            y->shape[i] = shape[i];
            y->stride[i] = st[i];
        }
    }
    nba_record(NBA_OP_sum_to_size, y, 1, &x, NBA_SAVE_NONE);
    return y;
}
void nba_bw_sum_to_size(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0);
    gin[0] = nb_expand(g, x->ndim, x->shape);
}
