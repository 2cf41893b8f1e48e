/* test_errors.c — bad input never crashes: every case returns NULL / NB_ERROR (NAN for nb_item) and
 * records a message naming the function. Also: NULL pass-through, first error wins until
 * nb_clear_error, the error hook, stale tensors (after nb_free, after a scope), double free. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static int ncases;

/* failed == true, an error is pending, and it names op; then clear it */
static void err_check(bool failed, const char *what, const char *op, int line) {
    const char *e = nb_error();
    bool ok = failed && e && e[0] && strstr(e, op);
    if (!ok)
        fprintf(stderr, "FAIL line %d: %s: expected a failure naming %s (failed %d, error: %s)\n", line, what,
                op, failed, e ? e : "none");
    tl_check(ok, what, __FILE__, line);
    nb_clear_error();
    ncases++;
}
#define ERR_NULL(expr, op) err_check((expr) == NULL, #expr, op, __LINE__)
#define ERR_STATUS(expr, op) err_check((expr) == NB_ERROR, #expr, op, __LINE__)
#define ERR_NAN(expr, op) err_check(isnan(expr), #expr, op, __LINE__)

static nb_tensor *f32(int ndim, const int64_t *shape) { return nb_ones(NB_F32, ndim, shape); }
static nb_tensor *idx(int n, const int64_t *v, int ndim, const int64_t *shape) {
    (void)n;
    return nb_tensor_from(NB_I64, v, ndim, shape, false);
}

static void shape_mismatch(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *m23 = f32(NB_SHAPE(2, 3)), *v3 = f32(NB_SHAPE(3)), *v4 = f32(NB_SHAPE(4));
    /* matmul family: the exact message */
    CHECK(nb_matmul(f32(NB_SHAPE(3, 4)), f32(NB_SHAPE(5, 2))) == NULL);
    CHECK(nb_error() &&
          !strcmp(nb_error(), "nb_matmul: shapes (3, 4) and (5, 2) cannot be multiplied (4 != 5)"));
    nb_clear_error();
    ERR_NULL(nb_matmul(v3, v4), "nb_matmul");
    ERR_NULL(nb_matmul(nb_scalar(NB_F32, 1), m23), "nb_matmul");
    ERR_NULL(nb_matmul(f32(NB_SHAPE(2, 2, 3)), f32(NB_SHAPE(3, 3, 1))), "nb_matmul"); /* batch 2 vs 3 */
    ERR_NULL(nb_mm(v3, m23), "nb_mm");
    ERR_NULL(nb_mm(m23, m23), "nb_mm");
    ERR_NULL(nb_bmm(f32(NB_SHAPE(2, 2, 2)), f32(NB_SHAPE(3, 2, 2))), "nb_bmm");
    ERR_NULL(nb_dot(v3, v4), "nb_dot");
    ERR_NULL(nb_outer(m23, v3), "nb_outer");
    ERR_NULL(nb_linear(m23, v3, NULL), "nb_linear");
    /* elementwise binary: broadcasting fails */
    ERR_NULL(nb_add(m23, v4), "nb_add");
    ERR_NULL(nb_sub(m23, v4), "nb_sub");
    ERR_NULL(nb_mul(v4, m23), "nb_mul");
    ERR_NULL(nb_div(m23, f32(NB_SHAPE(3, 1))), "nb_div");
    ERR_NULL(nb_pow(m23, v4), "nb_pow");
    ERR_NULL(nb_minimum(m23, v4), "nb_minimum");
    ERR_NULL(nb_maximum(m23, v4), "nb_maximum");
    ERR_NULL(nb_where(m23, v3, v4), "nb_where");
    ERR_NULL(nb_lt(m23, v4), "nb_lt");
    ERR_NULL(nb_eq(v3, v4), "nb_eq");
    /* joining, masking, shapes */
    ERR_NULL(nb_cat(2, (nb_tensor *[]){ m23, v3 }, 0), "nb_cat");
    ERR_NULL(nb_cat(2, (nb_tensor *[]){ m23, f32(NB_SHAPE(2, 4)) }, 0), "nb_cat");
    ERR_NULL(nb_cat(0, NULL, 0), "nb_cat");
    ERR_NULL(nb_stack(2, (nb_tensor *[]){ m23, v3 }, 0), "nb_stack");
    ERR_NULL(nb_masked_fill(m23, v4, 0), "nb_masked_fill");
    ERR_NULL(nb_expand(m23, NB_SHAPE(4, 4)), "nb_expand");
    ERR_NULL(nb_expand(m23, NB_SHAPE(3)), "nb_expand");
    ERR_NULL(nb_sum_to_size(m23, NB_SHAPE(4)), "nb_sum_to_size");
    /* in place: other must broadcast to x */
    ERR_NULL(nb_add_(v3, m23), "nb_add_");
    ERR_NULL(nb_copy_(v3, v4), "nb_copy_");
    nb_scope_end(s);
}

static void bad_reshape_and_dims(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *m23 = f32(NB_SHAPE(2, 3));
    ERR_NULL(nb_reshape(m23, NB_SHAPE(4, 2)), "nb_reshape");
    ERR_NULL(nb_reshape(m23, NB_SHAPE(-1, -1)), "nb_reshape");
    ERR_NULL(nb_reshape(m23, NB_SHAPE(-1, 4)), "nb_reshape");
    ERR_NULL(nb_reshape(m23, NB_SHAPE(-2, 3)), "nb_reshape");
    ERR_NULL(nb_view(nb_t(m23), NB_SHAPE(6)), "nb_view");
    /* dims out of range / repeated */
    ERR_NULL(nb_sum_dim(m23, NB_DIMS(2), false), "nb_sum");
    ERR_NULL(nb_sum_dim(m23, NB_DIMS(0, -2), false), "nb_sum"); /* 0 and -2 are the same dim */
    ERR_NULL(nb_mean_dim(m23, NB_DIMS(5), false), "nb_mean");
    ERR_NULL(nb_var_dim(m23, NB_DIMS(1, 1), 1, false), "nb_var");
    ERR_NULL(nb_amax(m23, NB_DIMS(-3), false), "nb_amax");
    ERR_NULL(nb_max_dim(m23, 2, false, NULL), "nb_max_dim");
    ERR_NULL(nb_argmax(m23, 3, false), "nb_argmax");
    ERR_NULL(nb_prod_dim(m23, 4, false), "nb_prod");
    ERR_NULL(nb_logsumexp(m23, NB_DIMS(7), false), "nb_logsumexp");
    ERR_NULL(nb_norm_dim(m23, 2, NB_DIMS(9), false), "nb_norm");
    ERR_NULL(nb_softmax(m23, 2), "nb_softmax");
    ERR_NULL(nb_log_softmax(m23, -3), "nb_log_softmax");
    ERR_NULL(nb_permute(m23, NB_DIMS(0, 0)), "nb_permute");
    ERR_NULL(nb_permute(m23, NB_DIMS(0, 1, 2)), "nb_permute");
    ERR_NULL(nb_transpose(m23, 0, 2), "nb_transpose");
    ERR_NULL(nb_squeeze(m23, 2), "nb_squeeze");
    ERR_NULL(nb_unsqueeze(m23, 4), "nb_unsqueeze");
    ERR_NULL(nb_flatten(m23, 1, 0), "nb_flatten");
    ERR_NULL(nb_t(f32(NB_SHAPE(2, 2, 2))), "nb_t");
    ERR_NULL(nb_cat(2, (nb_tensor *[]){ m23, m23 }, 2), "nb_cat");
    ERR_STATUS(nb_size(m23, 2) == -1 ? NB_ERROR : NB_OK, "nb_size");
    /* narrow / select / slice out of range */
    ERR_NULL(nb_narrow(m23, 1, 2, 2), "nb_narrow");
    ERR_NULL(nb_narrow(m23, 0, 0, -1), "nb_narrow");
    ERR_NULL(nb_narrow(nb_scalar(NB_F32, 1), 0, 0, 1), "nb_narrow");
    ERR_NULL(nb_select(m23, 0, 2), "nb_select");
    ERR_NULL(nb_select(m23, 1, -4), "nb_select");
    ERR_NULL(nb_select(m23, 2, 0), "nb_select");
    ERR_NULL(nb_slice(m23, 1, 0, 3, 0), "nb_slice");
    ERR_NULL(nb_slice(m23, -3, 0, 1, 1), "nb_slice");
    ERR_NULL(nb_slice(nb_scalar(NB_F32, 1), 0, 0, 1, 1), "nb_slice");
    /* element access */
    ERR_NAN(nb_get(m23, (int64_t[]){ 0, 3 }), "nb_get");
    ERR_STATUS(nb_set(m23, (int64_t[]){ 2, 0 }, 1), "nb_set");
    ERR_NAN(nb_item(m23), "nb_item");
    ERR_NAN(nb_item(f32(NB_SHAPE(0))), "nb_item");
    nb_scope_end(s);
}

static void bad_index(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *m23 = f32(NB_SHAPE(2, 3));
    ERR_NULL(nb_index_select(m23, 1, idx(1, (int64_t[]){ 7 }, NB_SHAPE(1))), "nb_index_select");
    ERR_NULL(nb_index_select(m23, 0, idx(1, (int64_t[]){ -3 }, NB_SHAPE(1))), "nb_index_select");
    ERR_NULL(nb_index_select(m23, 1, f32(NB_SHAPE(1))), "nb_index_select");
    ERR_NULL(nb_index_select(m23, 1, idx(4, (int64_t[]){ 0, 0, 0, 0 }, NB_SHAPE(2, 2))), "nb_index_select");
    ERR_NULL(nb_index_select(m23, 2, idx(1, (int64_t[]){ 0 }, NB_SHAPE(1))), "nb_index_select");
    ERR_NULL(nb_gather(m23, 1, idx(2, (int64_t[]){ 0, 5 }, NB_SHAPE(2, 1))), "nb_gather");
    ERR_NULL(nb_gather(m23, 1, idx(2, (int64_t[]){ 0, 1 }, NB_SHAPE(2))), "nb_gather");
    ERR_NULL(nb_gather(m23, 0, idx(8, (int64_t[]){ 0, 0, 0, 0, 0, 0, 0, 0 }, NB_SHAPE(2, 4))), "nb_gather");
    ERR_NULL(nb_scatter_add(m23, 0, idx(3, (int64_t[]){ 0, 9, 0 }, NB_SHAPE(1, 3)), f32(NB_SHAPE(1, 3))),
             "nb_scatter_add");
    ERR_NULL(nb_scatter_add(m23, 0, idx(3, (int64_t[]){ 0, 1, 0 }, NB_SHAPE(1, 3)), f32(NB_SHAPE(3))),
             "nb_scatter_add");
    nb_scope_end(s);
}

static void bad_dtype_and_creation(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *i = idx(3, (int64_t[]){ 1, 2, 3 }, NB_SHAPE(3)), *f = f32(NB_SHAPE(3));
    ERR_NULL(nb_mean(i), "nb_mean");
    ERR_NULL(nb_var(i), "nb_var");
    ERR_NULL(nb_softmax(i, 0), "nb_softmax");
    ERR_NULL(nb_log_softmax(i, 0), "nb_log_softmax");
    ERR_NULL(nb_matmul(nb_reshape(i, NB_SHAPE(1, 3)), nb_reshape(i, NB_SHAPE(3, 1))), "nb_matmul");
    ERR_NULL(nb_mul_(i, f), "nb_mul_");
    ERR_NULL(nb_norm(i, 2), "nb_norm");
    ERR_NULL(nb_requires_grad_(i, true), "nb_requires_grad_");
    ERR_NULL(nb_tensor_from(NB_I64, (int64_t[]){ 1 }, NB_SHAPE(1), true), "nb_tensor_from");
    ERR_NULL(nb_tensor_from(NB_F32, NULL, NB_SHAPE(2), false), "nb_tensor_from");
    ERR_NULL(nb_data_f32(i), "nb_data_f32");
    ERR_NULL(nb_data_i64(f), "nb_data_i64");
    ERR_NULL(nb_to(f, (nb_dtype)7), "nb_to");
    ERR_NULL(nb_rand(NB_I64, NB_SHAPE(2)), "nb_rand");
    ERR_NULL(nb_randn(NB_I64, NB_SHAPE(2)), "nb_randn");
    /* sizes and dims */
    ERR_NULL(nb_zeros(NB_F32, NB_SHAPE(1, 1, 1, 1, 1, 1, 1, 1, 1)), "nb_zeros");
    ERR_NULL(nb_zeros(NB_F32, NB_SHAPE(2, -1)), "nb_zeros");
    ERR_NULL(nb_ones(NB_F64, NB_SHAPE(-5)), "nb_ones");
    ERR_NULL(nb_full(NB_F32, 3, NULL, 1), "nb_full");
    ERR_NULL(nb_empty((nb_dtype)9, NB_SHAPE(2)), "nb_empty");
    ERR_NULL(nb_rand(NB_F32, NB_SHAPE(-1)), "nb_rand");
    ERR_NULL(nb_randint(3, 3, NB_SHAPE(2)), "nb_randint");
    ERR_NULL(nb_randperm(-1), "nb_randperm");
    ERR_NULL(nb_eye(NB_F32, -2, 0), "nb_eye");
    ERR_NULL(nb_arange(NB_F32, 0, 1, 0), "nb_arange");
    ERR_NULL(nb_arange(NB_F32, 0, 5, -1), "nb_arange");
    ERR_NULL(nb_linspace(NB_F32, 0, 1, -1), "nb_linspace");
    ERR_NULL(nb_unsqueeze(f32(NB_SHAPE(1, 1, 1, 1, 1, 1, 1, 1)), 0), "nb_unsqueeze");
    nb_scope_end(s);
}

static void bad_autograd(void) {
    nb_tensor *w = nb_requires_grad_(nb_ones(NB_F32, NB_SHAPE(3)), true);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nb_mul(w, w);
    ERR_STATUS(nb_backward(y), "nb_backward"); /* not a scalar */
    ERR_STATUS(nb_backward_ex(y, (nb_backward_opts){ .grad = f32(NB_SHAPE(4)) }), "nb_backward");
    ERR_STATUS(nb_backward(nb_sum(f32(NB_SHAPE(3)))), "nb_backward"); /* no grad required */
    ERR_STATUS(nb_backward(NULL), "nb_backward");
    nb_tensor *l = nb_sum(y);
    CHECK(nb_backward(l) == NB_OK);
    ERR_STATUS(nb_backward(l), "nb_backward"); /* graph already freed */
    nb_tensor *l2 = nb_sum(nb_mul(w, w)), *g = NULL;
    ERR_STATUS(nb_grad(1, &l2, 1, (nb_tensor *[]){ f32(NB_SHAPE(3)) }, NULL, &g, (nb_grad_opts){ 0 }),
               "nb_grad");
    ERR_STATUS(nb_grad(1, &l2, 1, (nb_tensor *[]){ nb_requires_grad_(f32(NB_SHAPE(1)), true) }, NULL, &g,
                       (nb_grad_opts){ 0 }),
               "nb_grad");
    ERR_STATUS(nb_grad(0, NULL, 1, &w, NULL, &g, (nb_grad_opts){ 0 }), "nb_grad");
    ERR_STATUS(nb_retain_grad(f32(NB_SHAPE(1))), "nb_retain_grad");
    ERR_NULL(nb_requires_grad_(nb_mul(w, w), false), "nb_requires_grad_");
    /* in-place on a leaf that requires grad while grad mode is on */
    ERR_NULL(nb_sub_(w, f32(NB_SHAPE(3))), "nb_sub_");
    ERR_NULL(nb_mul_scalar_(w, 0.5), "nb_mul_scalar_");
    ERR_NULL(nb_zero_(w), "nb_zero_");
    ERR_NULL(nb_copy_(f32(NB_SHAPE(3)), nb_mul(w, w)), "nb_copy_"); /* source has history */
    NB_NO_GRAD { CHECK(nb_sub_(w, f32(NB_SHAPE(3))) == w); }        /* the fix works */
    /* modified in place after being saved */
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(2)), true);
    nb_tensor *yy = nb_sum(nb_mul(x, x));
    NB_NO_GRAD { nb_add_scalar_(x, 1); }
    CHECK(nb_backward(yy) == NB_ERROR && nb_error() && strstr(nb_error(), "inplace"));
    ERR_STATUS(NB_ERROR,
               "nb_backward: one of the variables needed for gradient computation has been modified "
               "by an inplace operation: input 0 of MulBackward0, shape (2), is at version 1");
    nb_scope_end(s);
    nb_free(w);
}

static void stale_and_lifetimes(void) {
    nb_tensor *a = nb_ones(NB_F32, NB_SHAPE(2));
    nb_free(a);
    ERR_NULL(nb_relu(a), "nb_relu"); /* use after nb_free */
    ERR_NULL(nb_add(a, a), "nb_add");
    ERR_NAN(nb_item(a), "nb_item");
    nb_free(a); /* double free */
    ERR_STATUS(NB_ERROR, "nb_free");
    nb_scope s = nb_scope_begin();
    nb_tensor *t = nb_ones(NB_F32, NB_SHAPE(2));
    nb_scope_end(s);
    CHECK(!nb_is_valid(t));
    ERR_NULL(nb_exp(t), "nb_exp"); /* use after its scope ended */
    ERR_NULL(nb_keep(t), "nb_keep");
    ERR_STATUS(nb_backward(t), "nb_backward");
    /* a graph whose input was released before backward */
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(2)), true);
    nb_scope s2 = nb_scope_begin();
    nb_tensor *u = nb_mul_scalar(x, 2);
    nb_tensor *l = nb_sum(nb_mul(u, u));
    nb_free(u);
    ERR_STATUS(nb_backward(l), "nb_backward: input 0 of MulBackward0 was released before backward");
    nb_scope_end(s2);
    nb_free(x);
    /* scope misuse */
    nb_scope_end(0);
    ERR_STATUS(NB_ERROR, "nb_scope_end");
    nb_scope_end(-3);
    ERR_STATUS(NB_ERROR, "nb_scope_end");
    nb_scope s3 = nb_scope_begin();
    nb_scope_end(s3);
    nb_scope_end(s3); /* already ended: a no-op, no error */
    CHECK(nb_error() == NULL);
}

static int hook_calls;
static char hook_msg[512];
static void hook(const char *msg) {
    hook_calls++;
    snprintf(hook_msg, sizeof hook_msg, "%s", msg);
}

static void error_model(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *m = f32(NB_SHAPE(2, 3)), *b = f32(NB_SHAPE(3));
    /* NULL passes through silently: no new error is recorded */
    nb_clear_error();
    CHECK(nb_add(NULL, m) == NULL && nb_relu(NULL) == NULL && nb_sum(NULL) == NULL &&
          nb_matmul(m, NULL) == NULL);
    CHECK(nb_reshape(NULL, NB_SHAPE(2)) == NULL && nb_cat(2, (nb_tensor *[]){ m, NULL }, 0) == NULL &&
          nb_keep(NULL) == NULL);
    CHECK(nb_error() == NULL);
    nb_free(NULL);
    CHECK(nb_error() == NULL);
    /* first error wins: the root cause survives a chain of NULL-passing ops */
    nb_tensor *y = nb_sum(nb_relu(nb_add(nb_matmul(m, m), b)));
    CHECK(y == NULL && nb_error() &&
          strstr(nb_error(), "nb_matmul: shapes (2, 3) and (2, 3) cannot be multiplied"));
    nb_add(m, f32(NB_SHAPE(5))); /* a second, unrelated error is dropped */
    CHECK(nb_error() && strstr(nb_error(), "nb_matmul"));
    nb_clear_error();
    CHECK(nb_error() == NULL);
    nb_add(m, f32(NB_SHAPE(5)));
    CHECK(nb_error() && strstr(nb_error(), "nb_add"));
    nb_clear_error();
    /* the hook sees every message as it is recorded (only the first one is kept) */
    nb_set_error_hook(hook);
    nb_mm(b, b);
    CHECK(hook_calls == 1 && strstr(hook_msg, "nb_mm"));
    nb_clear_error();
    nb_select(m, 0, 9);
    CHECK(hook_calls == 2 && strstr(hook_msg, "nb_select"));
    nb_set_error_hook(NULL);
    nb_clear_error();
    nb_mm(b, b);
    CHECK(hook_calls == 2);
    nb_clear_error();
    /* scope begin does not clear the error */
    nb_mm(b, b);
    nb_scope s2 = nb_scope_begin();
    CHECK(nb_error() != NULL);
    nb_scope_end(s2);
    nb_clear_error();
    nb_scope_end(s);
}

/* ---- robustness sweep: every op on odd inputs (0-d, empty, i64, transposed, expanded, NULL), with and
 * without requires_grad, then first and second derivatives: a result or an error, never a crash ---- */
typedef nb_tensor *(*un)(nb_tensor *);
typedef nb_tensor *(*bin)(nb_tensor *, nb_tensor *);
static nb_tensor *sum0(nb_tensor *x) { return nb_sum_dim(x, NB_DIMS(0), false); }
static nb_tensor *summ1(nb_tensor *x) { return nb_sum_dim(x, NB_DIMS(-1), true); }
static nb_tensor *mean0(nb_tensor *x) { return nb_mean_dim(x, NB_DIMS(0), false); }
static nb_tensor *var0(nb_tensor *x) { return nb_var_dim(x, NB_DIMS(0), 1, false); }
static nb_tensor *std0(nb_tensor *x) { return nb_std_dim(x, NB_DIMS(0), 1, false); }
static nb_tensor *amax0(nb_tensor *x) { return nb_amax(x, NB_DIMS(0), false); }
static nb_tensor *maxd(nb_tensor *x) {
    nb_tensor *i = NULL;
    return nb_max_dim(x, 0, false, &i);
}
static nb_tensor *argm(nb_tensor *x) { return nb_argmax(x, 0, false); }
static nb_tensor *lse(nb_tensor *x) { return nb_logsumexp(x, NB_DIMS(0), false); }
static nb_tensor *nrm(nb_tensor *x) { return nb_norm(x, 2); }
static nb_tensor *nrmi(nb_tensor *x) { return nb_norm(x, INFINITY); }
static nb_tensor *prod0(nb_tensor *x) { return nb_prod_dim(x, 0, false); }
static nb_tensor *sm(nb_tensor *x) { return nb_softmax(x, 0); }
static nb_tensor *lsm(nb_tensor *x) { return nb_log_softmax(x, -1); }
static nb_tensor *sq0(nb_tensor *x) { return nb_squeeze(x, 0); }
static nb_tensor *us0(nb_tensor *x) { return nb_unsqueeze(x, 0); }
static nb_tensor *tr(nb_tensor *x) { return nb_transpose(x, 0, -1); }
static nb_tensor *fl(nb_tensor *x) { return nb_flatten(x, 0, -1); }
static nb_tensor *rs(nb_tensor *x) { return nb_reshape(x, NB_SHAPE(-1)); }
static nb_tensor *nar(nb_tensor *x) { return nb_narrow(x, 0, 0, 1); }
static nb_tensor *sel(nb_tensor *x) { return nb_select(x, 0, 0); }
static nb_tensor *sli(nb_tensor *x) { return nb_slice(x, 0, 0, 10, 2); }
static nb_tensor *exd(nb_tensor *x) { return nb_expand(x, NB_SHAPE(2, -1, -1)); }
static nb_tensor *to64(nb_tensor *x) { return nb_to(x, NB_F64); }
static nb_tensor *toi(nb_tensor *x) { return nb_to(x, NB_I64); }
static nb_tensor *clp(nb_tensor *x) { return nb_clamp(x, -0.5, 0.5); }
static nb_tensor *lrl(nb_tensor *x) { return nb_leaky_relu(x, 0.1); }
static nb_tensor *sp(nb_tensor *x) { return nb_softplus(x, 1, 20); }
static nb_tensor *ps(nb_tensor *x) { return nb_pow_scalar(x, 2.5); }
static nb_tensor *ms(nb_tensor *x) { return nb_mul_scalar(x, 3); }
static nb_tensor *isel(nb_tensor *x) { return nb_index_select(x, 0, nb_zeros(NB_I64, NB_SHAPE(2))); }
static nb_tensor *gat(nb_tensor *x) { return nb_gather(x, 0, nb_zeros_like(nb_to(x, NB_I64))); }
static nb_tensor *mf(nb_tensor *x) { return nb_masked_fill(x, nb_gt_scalar(x, 0), 7); }
static nb_tensor *cat2(nb_tensor *x) { return nb_cat(2, (nb_tensor *[]){ x, x }, 0); }
static nb_tensor *stk(nb_tensor *x) { return nb_stack(2, (nb_tensor *[]){ x, x }, -1); }
static nb_tensor *cont(nb_tensor *x) { return nb_contiguous(nb_t(x)); }
static nb_tensor *am(nb_tensor *x) { return nb_argmax_all(x); }
static nb_tensor *mmself(nb_tensor *x) { return nb_matmul(x, nb_t(x)); }
static nb_tensor *sts(nb_tensor *x) { return nb_sum_to_size(x, NB_SHAPE(1)); }
static un uns[] = { nb_neg,
                    nb_exp,
                    nb_log,
                    nb_log1p,
                    nb_sqrt,
                    nb_rsqrt,
                    nb_square,
                    nb_abs,
                    nb_sin,
                    nb_cos,
                    nb_tan,
                    nb_sinh,
                    nb_cosh,
                    nb_tanh,
                    nb_sigmoid,
                    nb_relu,
                    nb_gelu,
                    nb_gelu_tanh,
                    nb_erf,
                    nb_sign,
                    nb_sum,
                    nb_mean,
                    nb_var,
                    nb_std,
                    nb_prod,
                    nb_max,
                    nb_min,
                    nb_argmax_all,
                    nb_squeeze_all,
                    nb_t,
                    nb_clone,
                    nb_contiguous,
                    nb_detach,
                    sum0,
                    summ1,
                    mean0,
                    var0,
                    std0,
                    amax0,
                    maxd,
                    argm,
                    lse,
                    nrm,
                    nrmi,
                    prod0,
                    sm,
                    lsm,
                    sq0,
                    us0,
                    tr,
                    fl,
                    rs,
                    nar,
                    sel,
                    sli,
                    exd,
                    to64,
                    toi,
                    clp,
                    lrl,
                    sp,
                    ps,
                    ms,
                    isel,
                    gat,
                    mf,
                    cat2,
                    stk,
                    cont,
                    am,
                    mmself,
                    sts };
static bin bins[] = { nb_add, nb_sub, nb_mul,    nb_div, nb_pow, nb_minimum, nb_maximum,
                      nb_eq,  nb_lt,  nb_matmul, nb_mm,  nb_bmm, nb_dot,     nb_outer };

static void sweep(void) {
    nb_manual_seed(1);
    int nu = (int)(sizeof uns / sizeof *uns), nbn = (int)(sizeof bins / sizeof *bins), calls = 0, oks = 0,
        silent = 0;
    for (int rg = 0; rg < 2; rg++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *xs[] = { nb_scalar(NB_F32, 0.3),
                            nb_zeros(NB_F32, NB_SHAPE(0)),
                            nb_zeros(NB_F32, NB_SHAPE(2, 0)),
                            nb_randn(NB_F64, NB_SHAPE(3)),
                            nb_randn(NB_F32, NB_SHAPE(2, 3)),
                            nb_t(nb_randn(NB_F32, NB_SHAPE(3, 2))),
                            nb_randint(0, 3, NB_SHAPE(2, 3)),
                            nb_randn(NB_F64, NB_SHAPE(2, 1, 3)),
                            nb_expand(nb_randn(NB_F32, NB_SHAPE(1, 3)), NB_SHAPE(4, 3)),
                            NULL };
        int nx = (int)(sizeof xs / sizeof *xs);
        if (rg)
            for (int i = 0; i < nx; i++)
                if (xs[i] && xs[i]->dtype != NB_I64) nb_requires_grad_(xs[i], true);
        for (int i = 0; i < nx; i++) {
            for (int u = 0; u < nu; u++) {
                nb_tensor *y = uns[u](xs[i]);
                calls++;
                if (y) {
                    oks++;
                    if (y->requires_grad && y->numel > 0) {
                        nb_tensor *l = nb_sum(y), *g[1];
                        nb_grad(1, &l, 1, &xs[i], NULL, g,
                                (nb_grad_opts){ .allow_unused = true, .create_graph = true });
                        if (g[0])
                            nb_grad(1, (nb_tensor *[]){ nb_sum(g[0]) }, 1, &xs[i], NULL, g,
                                    (nb_grad_opts){ .allow_unused = true });
                    }
                } else if (xs[i] && !nb_error()) {
                    silent++;
                    fprintf(stderr, "sweep: unary op %d on input %d returned NULL without an error\n", u, i);
                }
                nb_clear_error();
            }
            for (int j = 0; j < nx; j++)
                for (int b = 0; b < nbn; b++) {
                    nb_tensor *y = bins[b](xs[i], xs[j]);
                    calls++;
                    if (y) {
                        oks++;
                        if (y->requires_grad) nb_backward(nb_sum(y));
                    } else if (xs[i] && xs[j] && !nb_error()) {
                        silent++;
                        fprintf(stderr,
                                "sweep: binary op %d on inputs %d, %d returned NULL without an error\n", b, i,
                                j);
                    }
                    nb_clear_error();
                }
        }
        nb_scope_end(s);
    }
    printf("sweep: %d calls, %d results, %d errors\n", calls, oks, calls - oks);
    CHECK(silent == 0);
    CHECK(calls > 4000 && oks > 1000);
}

int main(void) {
    shape_mismatch();
    bad_reshape_and_dims();
    bad_index();
    bad_dtype_and_creation();
    bad_autograd();
    stale_and_lifetimes();
    error_model();
    sweep();
    printf("%d bad-input cases\n", ncases);
    CHECK(ncases >= 50);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
