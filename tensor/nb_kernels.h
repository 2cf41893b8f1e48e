/* nb_kernels.h — raw (non-recording) kernels the autograd layer builds ops from. They check
 * nothing about gradients, allocate results in the current scope, and return NULL + error on bad
 * input. Float kernels serve f32 and f64 from one source (ew_template.h). OpenMP only above NBT_PAR_MIN. */
#ifndef NB_KERNELS_H
#define NB_KERNELS_H

#include "nb_internal.h"

/* Unary elementwise kinds: y = f(x; a, b). */
/* clang-format off */
#define NBT_UNARY_LIST(X) \
    X(NEG) X(EXP) X(LOG) X(LOG1P) X(SQRT) X(RSQRT) X(SQUARE) X(ABS) X(SIN) X(COS) X(TAN) X(SINH) X(COSH) \
    X(TANH) X(SIGMOID) X(RELU) X(LEAKY_RELU) X(GELU) X(GELU_TANH) X(SOFTPLUS) X(CLAMP) X(SIGN) X(ERF) \
    X(ADD_S) X(MUL_S) X(DIV_S) X(RSUB_S) X(RDIV_S) X(POW_S) X(RPOW_S) X(FILL) X(COPY) \
    X(EQ_S) X(NE_S) X(LT_S) X(LE_S) X(GT_S) X(GE_S) \
    X(ATAN)
/* clang-format on */
#define NBT_ENUM_(k) NBT_##k,
typedef enum { NBT_UNARY_LIST(NBT_ENUM_) } nbt_unary_kind; /* no count enumerator: switches list every kind */

/* Binary elementwise kinds with broadcasting: y = f(a, b). Comparisons give 0/1. RELU_BW: b <= 0 ? 0 : a
 * in one pass (relu's backward, torch's threshold_backward(g, y, 0): an exact 0 where y <= 0 whatever g is, g
 * where y is NaN). GELU_BW: a (Phi(b) + b phi(b)), gelu's
 * backward g dgelu(x) in one pass, each step in the type as the composed ops round it. */
/* clang-format off */
#define NBT_BINARY_LIST(X) X(ADD) X(SUB) X(MUL) X(DIV) X(POW) X(MINIMUM) X(MAXIMUM) X(EQ) X(NE) X(LT) X(LE) X(GT) X(GE) X(RELU_BW) X(GELU_BW)
/* clang-format on */
typedef enum { NBT_BINARY_LIST(NBT_ENUM_) } nbt_binary_kind;

/* y = f(x) as a new contiguous tensor of x's float dtype (i64 x is read as f32). */
nb_tensor *nbt_unary(nbt_unary_kind k, const nb_tensor *x, double a, double b);
/* out = f(x), same shape; out may be x (in place). out must be float. */
nb_status nbt_unary_into(nbt_unary_kind k, nb_tensor *out, const nb_tensor *x, double a, double b);
/* y = f(a, b) broadcast; dtype = promoted float dtype. op names the caller in error messages. */
nb_tensor *nbt_binary(nbt_binary_kind k, const nb_tensor *a, const nb_tensor *b, const char *op);
/* out = f(out_or_a, b) where b broadcasts to out's shape; a must have out's shape (may be out). */
nb_status nbt_binary_into(nbt_binary_kind k, nb_tensor *out, const nb_tensor *a, const nb_tensor *b,
                          const char *op);
/* y = cond != 0 ? a : b, broadcast over all three; dtype = promote(a, b). */
nb_tensor *nbt_where(const nb_tensor *cond, const nb_tensor *a, const nb_tensor *b, const char *op);
/* Contiguous copy of x converted to dt. */
nb_tensor *nbt_copy(const nb_tensor *x, nb_dtype dt);
/* dst = src broadcast to dst's shape, converted to dst's dtype (dst may be strided). */
nb_status nbt_copy_into(nb_tensor *dst, const nb_tensor *src, const char *op);
/* x itself if contiguous, else a contiguous copy (same dtype). */
nb_tensor *nbt_contig(const nb_tensor *x);
/* x as float: x itself if already f32/f64, else an f32 copy. */
nb_tensor *nbt_as_float(const nb_tensor *x);

/* View a contiguous x as (outer, D, inner) around dim: outer = prod(shape[:dim]), D = shape[dim]
 * (1 for a 0-d x), inner = prod(shape[dim+1:]). */
static inline void nbt_split3(const nb_tensor *x, int dim, int64_t *outer, int64_t *D, int64_t *inner) {
    *outer = *inner = 1;
    *D = x->ndim ? x->shape[dim] : 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < dim) *outer *= x->shape[d];
        if (d > dim) *inner *= x->shape[d];
    }
}

/* ---- reductions ---- */
typedef enum { NBT_RSUM, NBT_RPROD, NBT_RMAX, NBT_RMIN } nbt_reduce_kind;
/* Reduce x over dims (normalised by the caller: sorted, unique, in range; ndims 0 = all). */
nb_tensor *nbt_reduce(nbt_reduce_kind k, const nb_tensor *x, int ndims, const int *dims, bool keepdim);
/* Values and first indices (i64) of the max (or min) along one dim; NaN wins like torch. */
nb_tensor *nbt_arg_reduce(const nb_tensor *x, int dim, bool keepdim, bool is_min, nb_tensor **indices);
/* softmax (log = false) or log_softmax along dim, numerically stable (kernels_softmax.c). */
nb_tensor *nbt_softmax(const nb_tensor *x, int dim, bool log);
/* Their backward from the output y and the gradient g (same shape and float dtype), not recorded:
 * dx = y (g - sum(g y)), or g - e^y sum(g) for log_softmax. */
nb_tensor *nbt_softmax_backward(const nb_tensor *y, const nb_tensor *g, int dim, bool log);

/* ---- matmul ---- */
/* a (..., n, k) @ b (..., k, m) with broadcast batch dims (both at least 2-D). */
nb_tensor *nbt_matmul(const nb_tensor *a, const nb_tensor *b, const char *op);
/* y = x w^T + b for x (n, k), w (m, k), b (m) of one float dtype (sizes checked by the caller). */
nb_tensor *nbt_linear(const nb_tensor *x, const nb_tensor *w, const nb_tensor *b);
/* dw = g^T x and *db = the column sums of g (a linear layer's weight and bias gradients) in one GEMM pass. */
nb_tensor *nbt_linear_wgrad(const nb_tensor *g, const nb_tensor *x, nb_tensor **db);

/* ---- indexing ---- */
/* Concatenate along dim (shapes checked by the caller). */
nb_tensor *nbt_cat(int n, nb_tensor *const *xs, int dim, nb_dtype dt);
/* out = x.index_select(dim, index). index: 1-D i64, checked here. */
nb_tensor *nbt_index_select(const nb_tensor *x, int dim, const nb_tensor *index, const char *op);
/* out = base (copy, or zeros of shape if base NULL); out.index_add_(dim, index, src). */
nb_tensor *nbt_index_add(const nb_tensor *base, int ndim, const int64_t *shape, int dim,
                         const nb_tensor *index, const nb_tensor *src, const char *op);
/* out = x.gather(dim, index). */
nb_tensor *nbt_gather(const nb_tensor *x, int dim, const nb_tensor *index, const char *op);
/* out = base (copy, or zeros of shape if base NULL); out.scatter_add_(dim, index, src). */
nb_tensor *nbt_scatter_add(const nb_tensor *base, int ndim, const int64_t *shape, int dim,
                           const nb_tensor *index, const nb_tensor *src, const char *op);

/* ---- sorting, scans, flips, triangles (issue 12: kernels_sort.c, kernels_scan.c, kernels_arrange.c) ---- */
/* i64 positions along dim of x's elements in sorted order (torch.sort's indices): torch 1.13's std::sort
 * order of ties, or the stable order; NaN is the largest value. op names the caller in errors. */
nb_tensor *nbt_argsort(const nb_tensor *x, int dim, bool descending, bool stable, const char *op);
/* i64 positions of the k largest (or smallest) along dim in torch.topk's order (0 <= k <= size). */
nb_tensor *nbt_topk_indices(const nb_tensor *x, int64_t k, int dim, bool largest, bool sorted,
                            const char *op);
/* y = cumsum(x, dim), accumulated in double (floats) or int64, x's dtype. */
nb_tensor *nbt_cumsum(const nb_tensor *x, int dim);
/* y = x with every dim d where flip[d] reversed. */
nb_tensor *nbt_flip(const nb_tensor *x, const bool *flip);
/* tril (upper false: keep j - i <= diagonal) or triu (keep j - i >= diagonal) of the last two dims. */
nb_tensor *nbt_tri(const nb_tensor *x, int64_t diagonal, bool upper);
/* -- normalisation (tensor/kernels_norm.c): x contiguous float, viewed as (N, C, S) around dim 1 -- */
/* mean[c] and biased var[c] of x over N and S (NAN when N*S = 0). */
void nbt_channel_moments(const nb_tensor *x, double *mean, double *var);
/* y[n, c, s] = x[n, c, s] * alpha[c] + beta[c] (new tensor, x's shape). */
nb_tensor *nbt_channel_affine(const nb_tensor *x, const double *alpha, const double *beta);
/* Batch-norm backward with batch statistics: sum_g[c] = sum g, sum_gxc[c] = sum g (x - mean); when
 * want_dx, returns dx = (g - sum_g/M - (x - mean) invstd^2 sum_gxc/M) invstd w (w NULL = 1), M = N*S;
 * g contiguous with x's shape. */
nb_tensor *nbt_batch_norm_backward(const nb_tensor *x, const nb_tensor *g, const double *mean,
                                   const double *invstd, const double *w, bool want_dx, double *sum_g,
                                   double *sum_gxc);
/* -- layer norm (tensor/kernels_layer_norm.c): x contiguous float, viewed as rows of N values -- */
/* y = (x - mean_r) / sqrt(var_r + eps) * w + b per row r (mean, biased var of the row in double); w, b: N
 * contiguous values of x's dtype or NULL. New tensor of x's shape. */
nb_tensor *nbt_layer_norm(const nb_tensor *x, int64_t N, const nb_tensor *w, const nb_tensor *b, double eps);
/* Its gradients for the output gradient g (contiguous, x's shape), statistics recomputed from x:
 * dx = rstd (gw - mean(gw) - xhat mean(gw xhat)), dw = sum over rows of g xhat, db = sum of g (N-element
 * tensors); a NULL output pointer is not computed. NB_ERROR (recorded) when out of memory. */
nb_status nbt_layer_norm_backward(const nb_tensor *x, const nb_tensor *g, int64_t N, const nb_tensor *w,
                                  double eps, nb_tensor **dx, nb_tensor **dw, nb_tensor **db);
/* -- end normalisation -- */
/* ---- recurrent layers (kernels_rnn.c): one layer, one direction, a whole sequence ---- */
typedef enum { NBT_RNN_TANH, NBT_RNN_RELU, NBT_RNN_LSTM, NBT_RNN_GRU } nbt_rnn_mode;
/* Sizes: sequence T, batch B, input I, hidden H, output P (= H, or LSTM's proj_size). */
typedef struct {
    nbt_rnn_mode mode;
    int64_t T, B, I, H, P;
    bool reverse;
} nbt_rnn_shape;
/* Inputs in this order: x (T,B,I), h0 (B,P), c0 (B,H) (LSTM), w_ih (G,I), w_hh (G,P), b_ih, b_hh (G), w_hr (P,H). */
#define NBT_RNN_NIN 8
/* Gate blocks per hidden unit: 1 (tanh, relu), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n); G = gates * H. */
static inline int64_t nbt_rnn_gates(nbt_rnn_mode m) {
    return m == NBT_RNN_LSTM ? 4 : m == NBT_RNN_GRU ? 3 : 1;
}
/* Row width of the packed output y (T, B, S): h_t in [0, P), LSTM's c_t in [P, P + H). */
static inline int64_t nbt_rnn_y_width(const nbt_rnn_shape *s) {
    return s->mode == NBT_RNN_LSTM ? s->P + s->H : s->P;
}
/* Row width of the saved workspace ws (T, B, W): LSTM's activated i, f, g, o; GRU's r, z, n and W_hn h + b_hn. */
static inline int64_t nbt_rnn_ws_width(const nbt_rnn_shape *s) {
    return s->mode == NBT_RNN_LSTM || s->mode == NBT_RNN_GRU ? 4 * s->H : s->H;
}
/* Forward: fills y and ws from the contiguous inputs (one float dtype; b_ih, b_hh, w_hr may be NULL). */
nb_status nbt_rnn_forward(const nbt_rnn_shape *s, nb_tensor *const in[NBT_RNN_NIN], nb_tensor *y,
                          nb_tensor *ws);
/* Backward through time from gy = dL/dy (contiguous): fills each non-NULL grads[i] (shaped like in[i]). */
nb_status nbt_rnn_backward(const nbt_rnn_shape *s, nb_tensor *const in[NBT_RNN_NIN], const nb_tensor *y,
                           const nb_tensor *ws, const nb_tensor *gy, nb_tensor *grads[NBT_RNN_NIN]);

#endif
