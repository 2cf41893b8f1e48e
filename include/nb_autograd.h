/* nb_autograd.h — differentiable ops (each = raw kernel + tape record), the tape, grad mode,
 * backward / grad, gradcheck. Every op returns a new tensor owned by the current scope, or NULL
 * with nb_error() set; every op passes a NULL input through as NULL. Broadcasting follows torch. */
#ifndef NB_AUTOGRAD_H
#define NB_AUTOGRAD_H

#include "nb_tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- grad mode (thread-local, like torch.no_grad / set_grad_enabled) ------------------------- */
/* Turn recording on or off for this thread; returns the previous mode. */
bool nb_set_grad_enabled(bool on);
/* true if ops record onto the tape. */
bool nb_is_grad_enabled(void);
/* NB_NO_GRAD { ... } runs the block with recording off (do not leave the block with break/return). */
#define NB_NO_GRAD                                                                                           \
    for (int nbi_ng_once_ = 1, nbi_ng_prev_ = nb_set_grad_enabled(false); nbi_ng_once_;                      \
         nbi_ng_once_ = 0, nb_set_grad_enabled(nbi_ng_prev_))

/* ---- leaves and history ----------------------------------------------------------------------- */
/* Mark a leaf as requiring grad (torch requires_grad_); returns t. Error on a non-leaf. */
nb_tensor *nb_requires_grad_(nb_tensor *t, bool on);
/* Same data, no history, requires_grad false (shares storage, like torch.detach). */
nb_tensor *nb_detach(nb_tensor *t);
/* Keep .grad for a non-leaf after backward (torch retain_grad). */
nb_status nb_retain_grad(nb_tensor *t);
/* t->grad, or NULL if none yet. */
nb_tensor *nb_grad_of(const nb_tensor *t);
/* Drop t's .grad (torch 2.x zero_grad(set_to_none=True)). */
void nb_zero_grad(nb_tensor *t);
/* true if t is a leaf (torch is_leaf): not produced by a recorded op (no grad_fn); false for NULL. */
bool nb_is_leaf(const nb_tensor *t);
/* Name of the backward node ("MulBackward0" style) or NULL for leaves. */
const char *nb_grad_fn_name(const nb_tensor *t);

/* ---- backward ---------------------------------------------------------------------------------- */
typedef struct {
    nb_tensor *grad;   /* d(loss)/d(t) seed; NULL means ones (t must then have one element) */
    bool retain_graph; /* keep the graph for another backward (default: free it) */
    bool create_graph; /* record the backward pass itself (higher derivatives) */
} nb_backward_opts;
/* Accumulate d(t)/d(leaf) into every leaf's .grad; t must have one element. */
nb_status nb_backward(nb_tensor *t);
/* Backward with a grad_output and torch's retain_graph / create_graph. Leaves' .grad always holds
 * values (no history); use nb_grad(..., create_graph) for derivatives of derivatives. */
nb_status nb_backward_ex(nb_tensor *t, nb_backward_opts opts);

typedef struct {
    bool retain_graph; /* default: equal to create_graph, like torch */
    bool create_graph; /* the returned grads carry history, so they can be differentiated */
    bool allow_unused; /* an input not reached gets NULL instead of an error */
} nb_grad_opts;
/* torch.autograd.grad: grads[i] = sum_j d(outputs[j])/d(inputs[i]) . grad_outputs[j] (NULL = ones).
 * grads[] are new tensors in the current scope; .grad fields are not touched. */
nb_status nb_grad(int nout, nb_tensor *const *outputs, int nin, nb_tensor *const *inputs,
                  nb_tensor *const *grad_outputs, nb_tensor **grads, nb_grad_opts opts);
/* d(output)/d(input) for a one-element output; create_graph as in nb_grad. NULL on error. */
nb_tensor *nb_grad1(nb_tensor *output, nb_tensor *input, bool create_graph);

/* ---- leaf gradient hooks (torch Tensor.register_post_accumulate_grad_hook) --------------------- */
/* A hook: called with the leaf and the ctx given at registration; NB_ERROR stops the backward. */
typedef nb_status nb_grad_hook(nb_tensor *t, void *ctx);
/* Run fn(t, ctx) once per nb_backward that reaches leaf t, as soon as all of that backward's gradient
 * has been accumulated into t->grad (the rest of the graph is still to come: hooks are the place to
 * start communicating a finished gradient). Runs on the backward's thread with grad mode off. Not
 * called by nb_grad (it accumulates nothing). Returns a handle > 0, or 0 with an error for a
 * non-leaf or a tensor that does not require grad. Register and remove from one thread at a time. */
int64_t nb_register_post_accumulate_grad_hook(nb_tensor *t, nb_grad_hook *fn, void *ctx);
/* Remove the hook with that handle (torch RemovableHandle.remove()); unknown handles are ignored. */
void nb_remove_hook(int64_t handle);

/* ---- gradcheck ------------------------------------------------------------------------------ */
/* A function under test: inputs -> one output tensor (created with nabla ops). */
typedef nb_tensor *(*nb_fn)(nb_tensor *const *inputs, int n, void *ctx);
typedef struct {
    double eps;  /* finite-difference step, default 1e-6 */
    double atol; /* default 1e-5 */
    double rtol; /* default 1e-3 */
    bool quiet;  /* do not print the mismatch report to stderr */
} nb_gradcheck_opts;
/* Compare analytic vs central-difference Jacobians of fn at inputs (f64 inputs that require grad).
 * true if |a-n| <= atol + rtol*|n| everywhere (torch.autograd.gradcheck). */
bool nb_gradcheck(nb_fn fn, void *ctx, int n, nb_tensor *const *inputs, nb_gradcheck_opts opts);
/* Same check on the first derivatives (vector-Jacobian products with random grad_outputs). */
bool nb_gradgradcheck(nb_fn fn, void *ctx, int n, nb_tensor *const *inputs, nb_gradcheck_opts opts);

/* ---- elementwise binary, broadcasting -------------------------------------------------------- */
nb_tensor *nb_add(nb_tensor *a, nb_tensor *b);     /* a + b */
nb_tensor *nb_sub(nb_tensor *a, nb_tensor *b);     /* a - b */
nb_tensor *nb_mul(nb_tensor *a, nb_tensor *b);     /* a * b */
nb_tensor *nb_div(nb_tensor *a, nb_tensor *b);     /* a / b */
nb_tensor *nb_pow(nb_tensor *a, nb_tensor *b);     /* a ^ b; db = a^b log a */
nb_tensor *nb_minimum(nb_tensor *a, nb_tensor *b); /* min(a, b); ties split the grad 1/2 each */
nb_tensor *nb_maximum(nb_tensor *a, nb_tensor *b); /* max(a, b); ties split the grad 1/2 each */
nb_tensor *nb_where(nb_tensor *cond, nb_tensor *a, nb_tensor *b); /* cond != 0 ? a : b */
/* scalar variants */
nb_tensor *nb_add_scalar(nb_tensor *a, double s);  /* a + s */
nb_tensor *nb_sub_scalar(nb_tensor *a, double s);  /* a - s */
nb_tensor *nb_rsub_scalar(nb_tensor *a, double s); /* s - a */
nb_tensor *nb_mul_scalar(nb_tensor *a, double s);  /* a * s */
nb_tensor *nb_div_scalar(nb_tensor *a, double s);  /* a / s */
nb_tensor *nb_rdiv_scalar(nb_tensor *a, double s); /* s / a */
nb_tensor *nb_pow_scalar(nb_tensor *a, double s);  /* a ^ s; da = s a^(s-1) */
nb_tensor *nb_rpow_scalar(nb_tensor *a, double s); /* s ^ a; da = s^a log s */

/* ---- elementwise unary ------------------------------------------------------------------------ */
nb_tensor *nb_neg(nb_tensor *x);                      /* -x */
nb_tensor *nb_exp(nb_tensor *x);                      /* e^x; dx = g y */
nb_tensor *nb_log(nb_tensor *x);                      /* ln x; dx = g / x */
nb_tensor *nb_log1p(nb_tensor *x);                    /* ln(1 + x); dx = g / (1 + x) */
nb_tensor *nb_sqrt(nb_tensor *x);                     /* sqrt x; dx = g / (2 y) */
nb_tensor *nb_rsqrt(nb_tensor *x);                    /* 1/sqrt x; dx = -g y^3 / 2 */
nb_tensor *nb_square(nb_tensor *x);                   /* x^2; dx = 2 g x */
nb_tensor *nb_abs(nb_tensor *x);                      /* |x|; dx = g sign(x) (0 at 0) */
nb_tensor *nb_sin(nb_tensor *x);                      /* dx = g cos x */
nb_tensor *nb_cos(nb_tensor *x);                      /* dx = -g sin x */
nb_tensor *nb_tan(nb_tensor *x);                      /* dx = g (1 + y^2) */
nb_tensor *nb_sinh(nb_tensor *x);                     /* dx = g cosh x */
nb_tensor *nb_cosh(nb_tensor *x);                     /* dx = g sinh x */
nb_tensor *nb_tanh(nb_tensor *x);                     /* dx = g (1 - y^2) */
nb_tensor *nb_sigmoid(nb_tensor *x);                  /* 1/(1+e^-x); dx = g y (1 - y) */
nb_tensor *nb_relu(nb_tensor *x);                     /* max(x, 0); dx = g (x > 0) */
nb_tensor *nb_leaky_relu(nb_tensor *x, double slope); /* x > 0 ? x : slope x (torch default 0.01) */
nb_tensor *nb_gelu(nb_tensor *x);      /* x Phi(x) (exact erf form, torch approximate='none') */
nb_tensor *nb_gelu_tanh(nb_tensor *x); /* torch approximate='tanh' */
/* log(1 + e^(beta x)) / beta, x where beta x > threshold; 0 = torch's default (beta 1, threshold 20),
 * NB_ZERO an explicit threshold 0. */
nb_tensor *nb_softplus(nb_tensor *x, double beta, double threshold);
nb_tensor *nb_clamp(nb_tensor *x, double min,
                    double max);  /* -INFINITY/INFINITY for no bound; dx = g inside [min,max] */
nb_tensor *nb_erf(nb_tensor *x);  /* dx = g 2/sqrt(pi) e^(-x^2) */
nb_tensor *nb_sign(nb_tensor *x); /* -1, 0, 1; dx = 0 */

/* ---- comparisons (not differentiable; result 0/1 in the inputs' float dtype, f32 for i64) ---- */
nb_tensor *nb_eq(nb_tensor *a, nb_tensor *b);
nb_tensor *nb_ne(nb_tensor *a, nb_tensor *b);
nb_tensor *nb_lt(nb_tensor *a, nb_tensor *b);
nb_tensor *nb_le(nb_tensor *a, nb_tensor *b);
nb_tensor *nb_gt(nb_tensor *a, nb_tensor *b);
nb_tensor *nb_ge(nb_tensor *a, nb_tensor *b);
nb_tensor *nb_eq_scalar(nb_tensor *a, double s);
nb_tensor *nb_lt_scalar(nb_tensor *a, double s);
nb_tensor *nb_gt_scalar(nb_tensor *a, double s);

/* ---- reductions (dims may be negative; ndims = 0 means all dims) ------------------------------- */
/* Dimension arguments follow torch's signatures: where torch takes a tuple of dims (sum, mean, amax,
 * amin, logsumexp, var, std, norm) nabla takes (ndims, dims), e.g. NB_DIMS(0, 1); where torch takes one
 * int (max, min, prod, argmax, argmin, softmax, cat, ...) an int. keepdim comes last; the arguments in
 * between keep torch's positional order (torch.var(x, dim, unbiased/correction, keepdim)). */
nb_tensor *nb_sum(nb_tensor *x);                                               /* sum of all */
nb_tensor *nb_sum_dim(nb_tensor *x, int ndims, const int *dims, bool keepdim); /* dx = expand(g) */
nb_tensor *nb_mean(nb_tensor *x);
nb_tensor *nb_mean_dim(nb_tensor *x, int ndims, const int *dims, bool keepdim);
nb_tensor *nb_var(nb_tensor *x); /* correction 1 */
nb_tensor *nb_var_dim(nb_tensor *x, int ndims, const int *dims, int correction, bool keepdim);
nb_tensor *nb_std(nb_tensor *x); /* correction 1 */
nb_tensor *nb_std_dim(nb_tensor *x, int ndims, const int *dims, int correction, bool keepdim);
nb_tensor *nb_prod(nb_tensor *x);
nb_tensor *nb_prod_dim(nb_tensor *x, int dim, bool keepdim);
nb_tensor *nb_amax(nb_tensor *x, int ndims, const int *dims, bool keepdim); /* ties share grad evenly */
nb_tensor *nb_amin(nb_tensor *x, int ndims, const int *dims, bool keepdim);
nb_tensor *nb_max(nb_tensor *x); /* max of all (= amax) */
nb_tensor *nb_min(nb_tensor *x);
/* values along dim; *indices (optional, i64) receives the first arg-extreme; grad goes to it */
nb_tensor *nb_max_dim(nb_tensor *x, int dim, bool keepdim, nb_tensor **indices);
nb_tensor *nb_min_dim(nb_tensor *x, int dim, bool keepdim, nb_tensor **indices);
nb_tensor *nb_argmax(nb_tensor *x, int dim, bool keepdim); /* i64 */
nb_tensor *nb_argmin(nb_tensor *x, int dim, bool keepdim); /* i64 */
nb_tensor *nb_argmax_all(nb_tensor *x);                    /* i64 index into the flattened x */
nb_tensor *nb_logsumexp(nb_tensor *x, int ndims, const int *dims,
                        bool keepdim);      /* stable: m + log sum e^(x-m) */
nb_tensor *nb_norm(nb_tensor *x, double p); /* (sum |x|^p)^(1/p), all */
nb_tensor *nb_norm_dim(nb_tensor *x, double p, int ndims, const int *dims, bool keepdim);
/* sum of x over the broadcast dims so that it has the given shape (reverse of expand) */
nb_tensor *nb_sum_to_size(nb_tensor *x, int ndim, const int64_t *shape);

/* ---- linear algebra --------------------------------------------------------------------------- */
nb_tensor *nb_matmul(nb_tensor *a, nb_tensor *b); /* torch.matmul: 1-D, 2-D, batched with broadcasting */
nb_tensor *nb_mm(nb_tensor *a, nb_tensor *b);     /* (n,k) @ (k,m) */
nb_tensor *nb_bmm(nb_tensor *a, nb_tensor *b);    /* (b,n,k) @ (b,k,m) */
nb_tensor *nb_dot(nb_tensor *a, nb_tensor *b);    /* 1-D . 1-D -> scalar */
nb_tensor *nb_outer(nb_tensor *a, nb_tensor *b);  /* a (n) x b (m) -> (n, m) */
nb_tensor *nb_linear(nb_tensor *x, nb_tensor *w, nb_tensor *b); /* x w^T + b (b may be NULL): F.linear */

/* ---- shape and views (share storage with the input where torch does) ---------------------------- */
nb_tensor *nb_reshape(nb_tensor *x, int ndim, const int64_t *shape); /* one -1 allowed; copies if needed */
nb_tensor *nb_view(nb_tensor *x, int ndim,
                   const int64_t *shape); /* like reshape, error if a copy is needed */
nb_tensor *nb_flatten(nb_tensor *x, int start_dim, int end_dim);
nb_tensor *nb_squeeze(nb_tensor *x, int dim); /* drop dim if its size is 1 */
nb_tensor *nb_squeeze_all(nb_tensor *x);      /* drop every size-1 dim */
nb_tensor *nb_unsqueeze(nb_tensor *x, int dim);
nb_tensor *nb_transpose(nb_tensor *x, int d0, int d1);
nb_tensor *nb_t(nb_tensor *x); /* transpose of a <= 2-D tensor */
nb_tensor *nb_permute(nb_tensor *x, int ndims, const int *dims);
nb_tensor *nb_narrow(nb_tensor *x, int dim, int64_t start, int64_t length);
nb_tensor *nb_slice(nb_tensor *x, int dim, int64_t start, int64_t end,
                    int64_t step);                                  /* x[start:end:step] on dim */
nb_tensor *nb_select(nb_tensor *x, int dim, int64_t index);         /* x[index] on dim, dim removed */
nb_tensor *nb_expand(nb_tensor *x, int ndim, const int64_t *shape); /* -1 keeps a size */
nb_tensor *nb_contiguous(nb_tensor *x);      /* x itself (not a copy) if already contiguous */
nb_tensor *nb_clone(nb_tensor *x);           /* a copy that keeps history */
nb_tensor *nb_to(nb_tensor *x, nb_dtype dt); /* dtype conversion (differentiable between floats) */

/* ---- joining and indexing ------------------------------------------------------------------------ */
nb_tensor *nb_cat(int n, nb_tensor *const *xs, int dim);
nb_tensor *nb_stack(int n, nb_tensor *const *xs, int dim);
nb_tensor *nb_index_select(nb_tensor *x, int dim, nb_tensor *index); /* index: 1-D i64 */
nb_tensor *nb_gather(nb_tensor *x, int dim, nb_tensor *index); /* out[i][j] = x[index[i][j]][j] (dim 0) */
nb_tensor *nb_scatter_add(nb_tensor *x, int dim, nb_tensor *index,
                          nb_tensor *src); /* out = x; out[index[i][j]][j] += src[i][j] */
nb_tensor *nb_masked_fill(nb_tensor *x, nb_tensor *mask, double value); /* mask != 0 -> value; broadcasting */

/* ---- softmax ------------------------------------------------------------------------------------ */
nb_tensor *nb_softmax(nb_tensor *x, int dim);     /* e^(x - max) / sum; dx = y (g - sum(g y)) */
nb_tensor *nb_log_softmax(nb_tensor *x, int dim); /* x - logsumexp; dx = g - e^y sum(g) */

/* ---- in place (for optimizers and manual updates; error on a tensor that requires grad while grad
 *      mode is on, like torch's leaf check). They bump the version counter and return x. ----------- */
nb_tensor *nb_add_(nb_tensor *x, nb_tensor *other); /* x += other (other broadcast to x) */
nb_tensor *nb_sub_(nb_tensor *x, nb_tensor *other); /* x -= other */
nb_tensor *nb_mul_(nb_tensor *x, nb_tensor *other); /* x *= other */
nb_tensor *nb_div_(nb_tensor *x, nb_tensor *other); /* x /= other */
nb_tensor *nb_add_scaled_(nb_tensor *x, nb_tensor *other,
                          double alpha);                    /* x += alpha other (torch add_(o, alpha=)) */
nb_tensor *nb_add_scalar_(nb_tensor *x, double s);          /* x += s */
nb_tensor *nb_mul_scalar_(nb_tensor *x, double s);          /* x *= s */
nb_tensor *nb_clamp_(nb_tensor *x, double min, double max); /* x = clamp(x) */
nb_tensor *nb_zero_(nb_tensor *x);                          /* x = 0 */
nb_tensor *nb_fill_(nb_tensor *x, double value);            /* x = value */
nb_tensor *nb_copy_(nb_tensor *x, nb_tensor *src);          /* x = src (broadcast, converted) */

/* ---- readable tape (teaching; autograd/tape_print.c) ------------------------------------------- */
/* Print this thread's tape: leaves (value, .grad), then every node in order: index, grad_fn name,
 * inputs ("#k" = node k's output, "leafN"), shape, value (first values if large), retained grad. */
void nb_tape_print(FILE *f);
/* Make backward print every vector-Jacobian product (grad_output -> grad per input) to f; NULL stops. */
void nb_set_backward_trace(FILE *f);
/* Graphviz DOT of the graph that produced root (ops as ellipses, tensors as records with data and
 * grad); with create_graph the recorded backward ops appear too. NB_ERROR on a bad root or FILE. */
nb_status nb_tape_dot(FILE *f, nb_tensor *root);
/* The tape as one JSON object for tools (the browser playground): {"leaves":[{id, ptr (the tensor's address,
 * to match your own pointers), requires_grad, data, grad?}], "nodes":[{id "#k", op, grad_fn, inputs ["#j" | "leafN" | "const"], data, grad?, freed}]},
 * data/grad as {"shape":[..],"value":[..]} (every value; non-finite ones as "NaN"/"Infinity"). */
nb_status nb_tape_json(FILE *f);

#ifdef __cplusplus
}
#endif
#endif
