/* test_fused.c — the fast paths against the unfused compositions they replace: nb_linear (one
 * addmm node) vs matmul(x, w^T) + b; relu's and gelu's one-pass backward vs their compositions; select's direct
 * backward and the temporaries reused by cos/sin/square/pow backward vs the recorded paths; a leaf
 * taking the backward's fresh gradient instead of a copy; the small-tensor elementwise path vs the
 * strided iterator; row-blocked sums over a strided dim vs the sum in order; N-D @ 2-D matmul folded into one
 * GEMM vs a GEMM per batch; conv's bias gradient summed inside the weight gradient's GEMMs vs the recorded sum.
 * f32 and f64. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* max |a - b| over all elements (a and b same shape), or INFINITY on a shape mismatch / NULL */
static double maxdiff(const nb_tensor *a, const nb_tensor *b) {
    if (!a || !b || a->numel != b->numel || a->ndim != b->ndim) return INFINITY;
    double *da = malloc(sizeof(double) * (size_t)(a->numel ? a->numel : 1));
    double *db = malloc(sizeof(double) * (size_t)(b->numel ? b->numel : 1));
    double m = 0;
    if (nb_to_doubles(a, da) == NB_OK && nb_to_doubles(b, db) == NB_OK) {
        for (int64_t i = 0; i < a->numel; i++) {
            double d = fabs(da[i] - db[i]) / (1 + fabs(db[i]));
            if (!(d <= m)) m = d; /* NaN propagates as a large difference */
        }
    } else {
        m = INFINITY;
    }
    free(da), free(db);
    return m;
}

/* a persistent leaf of shape (r, c) (or 1-D (c) when r == 0) with uniform values in [-1, 1) */
static nb_tensor *leaf(nb_dtype dt, int64_t r, int64_t c) {
    nb_tensor *t = r ? nb_rand(dt, NB_SHAPE(r, c)) : nb_rand(dt, NB_SHAPE(c));
    NB_NO_GRAD { nb_add_scalar_(nb_mul_scalar_(t, 2), -1); }
    return nb_requires_grad_(t, true);
}

/* the unfused reference: y = x @ w^T + b */
static nb_tensor *linear_ref(nb_tensor *x, nb_tensor *w, nb_tensor *b) {
    return nb_add(nb_matmul(x, nb_t(w)), b);
}

/* fused and composed linear agree in value and in the gradients of loss = sum(y * y) (x, w, b),
 * and in the second derivative d/dx of sum(dloss/dw) (create_graph through the fused backward) */
static void check_linear(nb_dtype dt, int64_t n, int64_t k, int64_t m, bool tx, bool tw) {
    double tol = dt == NB_F32 ? 1e-5 : 1e-12;
    /* x (n, k) and w (m, k), optionally as transposed views of (k, n) / (k, m) storage */
    nb_tensor *xs = tx ? leaf(dt, k, n) : leaf(dt, n, k), *ws = tw ? leaf(dt, k, m) : leaf(dt, m, k);
    nb_tensor *b = leaf(dt, 0, m);
    char what[96];
    snprintf(what, sizeof what, "%s n=%lld k=%lld m=%lld%s%s", nb_dtype_name(dt), (long long)n, (long long)k,
             (long long)m, tx ? " x^T" : "", tw ? " w^T" : "");
    nb_tensor *gf[3] = { 0 }, *gr[3] = { 0 }, *hf = NULL, *hr = NULL;
    nb_scope s = nb_scope_begin();
    nb_tensor *x = tx ? nb_t(xs) : xs, *w = tw ? nb_t(ws) : ws;
    nb_tensor *yf = nb_linear(x, w, b), *yr = linear_ref(x, w, b);
    bool vals = maxdiff(yf, yr) <= tol;
    bool name = yf && !strcmp(nb_grad_fn_name(yf) ? nb_grad_fn_name(yf) : "", "AddmmBackward0");
    nb_tensor *ins[3] = { x, w, b };
    nb_grad(1, (nb_tensor *[]){ nb_sum(nb_mul(yf, yf)) }, 3, ins, NULL, gf,
            (nb_grad_opts){ .create_graph = true });
    nb_grad(1, (nb_tensor *[]){ nb_sum(nb_mul(yr, yr)) }, 3, ins, NULL, gr,
            (nb_grad_opts){ .create_graph = true });
    bool grads = maxdiff(gf[0], gr[0]) <= tol && maxdiff(gf[1], gr[1]) <= tol && maxdiff(gf[2], gr[2]) <= tol;
    nb_grad(1, (nb_tensor *[]){ nb_sum(gf[1]) }, 1, &x, NULL, &hf, (nb_grad_opts){ .retain_graph = true });
    nb_grad(1, (nb_tensor *[]){ nb_sum(gr[1]) }, 1, &x, NULL, &hr, (nb_grad_opts){ .retain_graph = true });
    bool second = maxdiff(hf, hr) <= tol;
    if (!vals || !name || !grads || !second)
        fprintf(stderr, "linear %s: values %d name %d grads %d second %d (%s)\n", what, vals, name, grads,
                second, nb_error() ? nb_error() : "no error");
    CHECK(vals);
    CHECK(name);
    CHECK(grads);
    CHECK(second);
    CHECK(!nb_error());
    nb_clear_error();
    nb_scope_end(s);
    nb_free(xs), nb_free(ws), nb_free(b);
}

/* nb_backward into leaves: the fused path's .grad equals the composition's, and it is a contiguous
 * persistent tensor that survives the scope */
/* the fused node's backward (dw and db from one GEMM that sums g as it packs it) against the composition's,
 * for a batch of n rows of k inputs and m outputs: small (unpacked GEMM), edge tiles, several K blocks */
static void check_linear_backward(nb_dtype dt, int64_t n, int64_t k, int64_t m) {
    nb_tensor *x = leaf(dt, n, k), *w = leaf(dt, m, k), *b = leaf(dt, 0, m);
    nb_tensor *g[2][3];
    for (int r = 0; r < 2; r++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *y = r ? linear_ref(x, w, b) : nb_linear(x, w, b);
        CHECK(nb_backward(nb_sum(nb_relu(y))) == NB_OK);
        nb_scope_end(s);
        g[r][0] = x->grad, g[r][1] = w->grad, g[r][2] = b->grad;
        x->grad = w->grad = b->grad = NULL; /* take them over (persistent) */
    }
    for (int i = 0; i < 3; i++) {
        CHECK(g[0][i] && nb_is_contiguous(g[0][i]) && g[0][i]->scope == 0);
        CHECK(maxdiff(g[0][i], g[1][i]) <= (dt == NB_F32 ? 1e-6 : 1e-13) * (i == 2 ? (double)n : 1));
        nb_free(g[0][i]), nb_free(g[1][i]);
    }
    nb_free(x), nb_free(w), nb_free(b);
}

/* a strided bias (every 2nd value of a longer vector): the fused node against the composition, value and the
 * gradient that reaches the longer vector (1 per row at the kept slots, 0 between) */
static void check_linear_strided_bias(void) {
    nb_tensor *x = leaf(NB_F32, 6, 4), *w = leaf(NB_F32, 3, 4), *bb = leaf(NB_F32, 0, 6);
    nb_scope s = nb_scope_begin();
    nb_tensor *b = nb_slice(bb, 0, 0, 6, 2);
    nb_tensor *y = nb_linear(x, w, b);
    CHECK(y && maxdiff(y, linear_ref(x, w, b)) <= 1e-6);
    CHECK(nb_backward(nb_sum(y)) == NB_OK);
    double gb[6];
    CHECK(bb->grad && nb_to_doubles(bb->grad, gb) == NB_OK);
    CHECK(gb[0] == 6 && gb[1] == 0 && gb[2] == 6 && gb[3] == 0 && gb[4] == 6 && gb[5] == 0);
    nb_scope_end(s);
    nb_free(x), nb_free(w), nb_free(bb);
}

/* shapes the composition handles and the fused node must not take: no bias, 1-D and 3-D x, errors */
static void check_linear_fallbacks(void) {
    nb_tensor *w = leaf(NB_F32, 3, 4), *b = leaf(NB_F32, 0, 3);
    nb_scope s = nb_scope_begin();
    nb_tensor *y1 = nb_linear(nb_rand(NB_F32, NB_SHAPE(4)), w, b);
    CHECK(y1 && y1->ndim == 1 && y1->shape[0] == 3);
    nb_tensor *y3 = nb_linear(nb_rand(NB_F32, NB_SHAPE(2, 5, 4)), w, b);
    CHECK(y3 && y3->ndim == 3 && y3->shape[2] == 3);
    nb_tensor *yn = nb_linear(nb_rand(NB_F32, NB_SHAPE(2, 4)), w, NULL);
    CHECK(yn && yn->shape[1] == 3 && strcmp(nb_grad_fn_name(yn), "AddmmBackward0") != 0);
    CHECK_ERR(nb_linear(nb_rand(NB_F32, NB_SHAPE(2, 5)), w, b));                            /* k mismatch */
    CHECK_ERR(nb_linear(nb_rand(NB_F32, NB_SHAPE(2, 4)), w, nb_rand(NB_F32, NB_SHAPE(4)))); /* bias size */
    nb_tensor *yd = nb_linear(nb_rand(NB_F64, NB_SHAPE(2, 4)), w, b); /* mixed dtypes: composition promotes */
    CHECK(yd && yd->dtype == NB_F64);
    nb_clear_error();
    nb_scope_end(s);
    nb_free(w), nb_free(b);
}

/* torch's fold of an N-D @ 2-D matmul into one GEMM: a contiguous a (batch dims merge into its rows) against
 * the same values in a layout that cannot merge (batch-per-GEMM), bitwise in value; gradients of
 * sum(y * y) against the per-batch sums (db = sum_b a_b^T g_b); and a contiguous 3-D nb_linear with a bias
 * (one addmm node on the 2-D view) against the composition */
static void check_matmul_fold(nb_dtype dt, int64_t d0, int64_t d1, int64_t n, int64_t k, int64_t m) {
    double tol = dt == NB_F32 ? 1e-5 : 1e-12;
    nb_tensor *a = nb_requires_grad_(nb_rand(dt, NB_SHAPE(d0, d1, n, k)), true), *b = leaf(dt, k, m);
    nb_tensor *c = leaf(dt, 0, m);
    nb_scope s = nb_scope_begin();
    /* the same values with the row dim outermost: (n, d0, d1, k) storage permuted back to (d0, d1, n, k) */
    nb_tensor *an = nb_permute(nb_contiguous(nb_permute(a, 4, (int[]){ 2, 0, 1, 3 })), 4,
                               (int[]){ 1, 2, 0, 3 });
    nb_tensor *y = nb_matmul(a, b), *yn = nb_matmul(an, b);
    CHECK(y && yn && y->ndim == 4 && y->shape[2] == n && y->shape[3] == m && maxdiff(y, yn) == 0);
    nb_tensor *ga[2] = { 0 }, *gr[2] = { 0 };
    CHECK(nb_grad(1, (nb_tensor *[]){ nb_sum(nb_mul(y, y)) }, 2, (nb_tensor *[]){ a, b }, NULL, ga,
                  (nb_grad_opts){ .retain_graph = true }) == NB_OK);
    nb_tensor *g = nb_mul_scalar(y, 2), *db = nb_zeros(dt, NB_SHAPE(k, m));
    for (int64_t i = 0; i < d0; i++)
        for (int64_t j = 0; j < d1; j++)
            db = nb_add(db, nb_matmul(nb_t(nb_select(nb_select(a, 0, i), 0, j)),
                                      nb_select(nb_select(g, 0, i), 0, j)));
    gr[0] = nb_matmul(g, nb_t(b)), gr[1] = db;
    CHECK(maxdiff(ga[0], gr[0]) <= tol && maxdiff(ga[1], gr[1]) <= tol);
    /* create_graph through the fold: d/da of sum(dL/db) is finite and shaped like a */
    nb_tensor *gb = NULL;
    CHECK(nb_grad(1, (nb_tensor *[]){ nb_sum(nb_mul(y, y)) }, 1, &b, NULL, &gb,
                  (nb_grad_opts){ .create_graph = true }) == NB_OK);
    nb_tensor *h = NULL;
    CHECK(gb && nb_grad(1, (nb_tensor *[]){ nb_sum(gb) }, 1, &a, NULL, &h, (nb_grad_opts){ 0 }) == NB_OK);
    CHECK(h && h->numel == a->numel);
    /* nb_linear on the 3-D view (the fused addmm node, torch's ViewBackward0) and the 4-D input (the
     * composition, torch's AddBackward0): w = b^T (m, k) */
    nb_tensor *w = nb_contiguous(nb_t(b));
    nb_tensor *y4 = nb_linear(a, w, c);
    CHECK(y4 && y4->ndim == 4 && !strcmp(nb_grad_fn_name(y4), "AddBackward0"));
    nb_tensor *a3 = nb_reshape(a, 3, (int64_t[]){ d0 * d1, n, k });
    nb_tensor *yl = nb_linear(a3, w, c), *yr = nb_add(nb_matmul(a3, nb_t(w)), c);
    CHECK(yl && yl->ndim == 3 && yl->shape[2] == m && maxdiff(yl, yr) <= tol &&
          !strcmp(nb_grad_fn_name(yl), "ViewBackward0"));
    nb_tensor *gl[3] = { 0 }, *gq[3] = { 0 };
    nb_tensor *in[3] = { a, w, c };
    CHECK(nb_grad(1, (nb_tensor *[]){ nb_sum(nb_mul(yl, yl)) }, 3, in, NULL, gl, (nb_grad_opts){ 0 }) ==
          NB_OK);
    CHECK(nb_grad(1, (nb_tensor *[]){ nb_sum(nb_mul(yr, yr)) }, 3, in, NULL, gq, (nb_grad_opts){ 0 }) ==
          NB_OK);
    for (int i = 0; i < 3; i++) CHECK(maxdiff(gl[i], gq[i]) <= tol);
    nb_scope_end(s);
    nb_free(a), nb_free(b), nb_free(c);
}

/* relu's backward: one pass when not recording vs the recorded composition (create_graph), bitwise,
 * including NaN and infinite incoming gradients, zeros and a NaN in y (torch's threshold_backward: 0 where
 * y <= 0 whatever g is, g where y is NaN; the values are checked against torch in test_autograd) */
static void check_relu_backward(nb_dtype dt) {
    double xs[8] = { -2, -0.0, 0.0, 0.5, 3, -1, NAN, 1e-30 };
    double gs[8] = { 1, 2, NAN, -1, INFINITY, INFINITY, 0.25, -3 };
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_requires_grad_(nb_to(nb_tensor_from(NB_F64, xs, NB_SHAPE(8), false), dt), true);
    nb_tensor *go = nb_to(nb_tensor_from(NB_F64, gs, NB_SHAPE(8), false), dt);
    nb_tensor *y = nb_relu(x);
    nb_tensor *g1 = NULL, *g2 = NULL;
    nb_grad(1, &y, 1, &x, &go, &g1, (nb_grad_opts){ .retain_graph = true });
    nb_grad(1, &y, 1, &x, &go, &g2, (nb_grad_opts){ .create_graph = true });
    double a[8], c[8];
    CHECK(g1 && g2 && nb_to_doubles(g1, a) == NB_OK && nb_to_doubles(g2, c) == NB_OK);
    CHECK(g1 && g2 && memcmp(a, c, sizeof a) == 0); /* NaN at the same places, same signs of zero */
    nb_scope_end(s);
}

/* gelu's one-pass backward (not recording) against the composed ops (create_graph), bit for bit: wide and
 * small values, signed zeros, +-inf, NaN, in a gradient of odd size that runs the vector loop and its tail */
static void check_gelu_backward(nb_dtype dt) {
    enum { N = 37 };
    double xs[N], gs[N];
    for (int i = 0; i < N; i++) xs[i] = (i - 18) * 0.37 + (i % 3) * 1e-3, gs[i] = 1.5 - 0.125 * i;
    xs[0] = -0.0, xs[1] = 0.0, xs[2] = INFINITY, xs[3] = -INFINITY, xs[4] = NAN, xs[5] = 40, xs[6] = -40;
    xs[7] = 1e-30, gs[8] = NAN, gs[9] = INFINITY;
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_requires_grad_(nb_to(nb_tensor_from(NB_F64, xs, NB_SHAPE(N), false), dt), true);
    nb_tensor *go = nb_to(nb_tensor_from(NB_F64, gs, NB_SHAPE(N), false), dt);
    nb_tensor *y = nb_gelu(x);
    nb_tensor *g1 = NULL, *g2 = NULL;
    nb_grad(1, &y, 1, &x, &go, &g1, (nb_grad_opts){ .retain_graph = true });
    nb_grad(1, &y, 1, &x, &go, &g2, (nb_grad_opts){ .create_graph = true });
    double a[N], c[N];
    CHECK(g1 && g2 && nb_to_doubles(g1, a) == NB_OK && nb_to_doubles(g2, c) == NB_OK);
    CHECK(g1 && g2 && memcmp(a, c, sizeof a) == 0);
    CHECK(g1 && fabs(a[20] - gs[20] * 0.995738) < 1e-5); /* torch: gelu'(0.742) = 0.995738 */
    nb_scope_end(s);
}

/* unary ops whose backward reuses its temporary when not recording: same bits as the recorded path */
static nb_tensor *op_cos(nb_tensor *x) { return nb_cos(x); }
static nb_tensor *op_sin(nb_tensor *x) { return nb_sin(x); }
static nb_tensor *op_square(nb_tensor *x) { return nb_square(x); }
static nb_tensor *op_pow2(nb_tensor *x) { return nb_pow_scalar(x, 2); }
static nb_tensor *op_pow3(nb_tensor *x) { return nb_pow_scalar(x, 3); }
static nb_tensor *op_pow_half(nb_tensor *x) { return nb_pow_scalar(x, 0.5); }
static void check_temp_backward(void) {
    nb_tensor *(*ops[])(nb_tensor *) = { op_cos, op_sin, op_square, op_pow2, op_pow3, op_pow_half };
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
        for (int d = 0; d < 2; d++) {
            nb_scope s = nb_scope_begin();
            nb_tensor *x = nb_requires_grad_(nb_add_scalar(nb_rand(d ? NB_F64 : NB_F32, NB_SHAPE(3, 5)), 0.1),
                                             true);
            nb_tensor *y = ops[k](x), *go = nb_randn(x->dtype, NB_SHAPE(3, 5)), *g1 = NULL, *g2 = NULL;
            nb_grad(1, &y, 1, &x, &go, &g1, (nb_grad_opts){ .retain_graph = true });
            nb_grad(1, &y, 1, &x, &go, &g2, (nb_grad_opts){ .create_graph = true });
            CHECK(g1 && g2 && maxdiff(g1, g2) == 0);
            nb_scope_end(s);
        }
}

/* select's backward: the direct write when not recording vs the recorded slice_backward composition */
static void check_select_backward(void) {
    for (int d = 0; d < 3; d++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *x = nb_requires_grad_(nb_randn(NB_F64, NB_SHAPE(3, 4, 2)), true);
        nb_tensor *y = nb_select(x, d, -1);
        nb_tensor *go = nb_randn(NB_F64, y->ndim, y->shape);
        nb_tensor *g1 = NULL, *g2 = NULL;
        nb_grad(1, &y, 1, &x, &go, &g1, (nb_grad_opts){ .retain_graph = true });
        nb_grad(1, &y, 1, &x, &go, &g2, (nb_grad_opts){ .create_graph = true });
        CHECK(g1 && g2 && maxdiff(g1, g2) == 0 && !strcmp(nb_grad_fn_name(y), "SelectBackward0"));
        nb_scope_end(s);
    }
}

/* a leaf's .grad taken from the backward (no copy) must not alias anything still in use: x used
 * twice, through add's pass-through gradient, and accumulated over two backward calls */
static void check_leaf_steal(void) {
    nb_tensor *x = leaf(NB_F64, 2, 3);
    double xv[6];
    nb_to_doubles(x, xv);
    for (int rep = 0; rep < 2; rep++) {
        nb_scope s = nb_scope_begin();
        /* z = x*x + 3x + (2x + x): dz/dx = 2x + 3 + 3 */
        nb_tensor *u = nb_mul_scalar(x, 2);
        nb_tensor *z = nb_add(nb_add(nb_mul(x, x), nb_mul_scalar(x, 3)), nb_add(u, x));
        CHECK(nb_backward(nb_sum(z)) == NB_OK);
        nb_scope_end(s);
    }
    double want[6];
    for (int i = 0; i < 6; i++) want[i] = 2 * (2 * xv[i] + 6);
    CHECK_TENSOR(x->grad, want, 6, 1e-12);
    CHECK(x->grad && x->grad->scope == 0);
    nb_free(x);
}

/* the small dense fast path and the iterator give the same values: same op on a dense tensor and on
 * a strided (transposed) view of the same values, with scalar broadcasting on either side */
static void check_small_path(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *a = nb_rand(NB_F32, NB_SHAPE(5, 3)), *bt = nb_rand(NB_F32, NB_SHAPE(3, 5));
    nb_tensor *b = nb_contiguous(nb_t(bt)); /* dense copy of the transposed view */
    nb_tensor *k = nb_scalar(NB_F32, 0.75);
    CHECK(maxdiff(nb_mul(a, b), nb_mul(a, nb_t(bt))) == 0);
    CHECK(maxdiff(nb_sub(k, b), nb_sub(k, nb_t(bt))) == 0);
    CHECK(maxdiff(nb_div(b, k), nb_div(nb_t(bt), k)) == 0);
    CHECK(maxdiff(nb_exp(b), nb_exp(nb_t(bt))) == 0);
    nb_tensor *row = nb_rand(NB_F32, NB_SHAPE(3)); /* a real broadcast: (5,3) + (3) */
    nb_tensor *r1 = nb_add(a, row);
    double av[15], rv[3], yv[15];
    nb_to_doubles(a, av), nb_to_doubles(row, rv), nb_to_doubles(r1, yv);
    bool ok = true;
    for (int i = 0; i < 15; i++) ok &= yv[i] == (double)((float)av[i] + (float)rv[i % 3]);
    CHECK(ok);
    nb_scope_end(s);
}

/* sums over a strided dim (the row-blocked path) equal the per-output sum in order, in double */
static void check_strided_sum(void) {
    static const int64_t shapes[][3] = { { 1, 37, 300 }, { 3, 5, 40 }, { 2, 1, 16 }, { 1, 64, 513 } };
    for (int q = 0; q < 4; q++) {
        int64_t o = shapes[q][0], r = shapes[q][1], in = shapes[q][2];
        for (int d = 0; d < 2; d++) {
            nb_scope s = nb_scope_begin();
            nb_tensor *x = nb_randn(d ? NB_F64 : NB_F32, NB_SHAPE(o, r, in));
            nb_tensor *y = nb_sum_dim(x, NB_DIMS(1), false);
            double *xv = malloc(sizeof(double) * (size_t)(o * r * in)),
                   *yv = malloc(sizeof(double) * (size_t)(o * in));
            bool ok = y && nb_to_doubles(x, xv) == NB_OK && nb_to_doubles(y, yv) == NB_OK;
            for (int64_t a = 0; ok && a < o; a++)
                for (int64_t i = 0; i < in; i++) {
                    double acc = 0;
                    for (int64_t k = 0; k < r; k++) acc += xv[(a * r + k) * in + i];
                    ok &= yv[a * in + i] == (d ? acc : (double)(float)acc);
                }
            CHECK(ok);
            free(xv), free(yv);
            nb_scope_end(s);
        }
    }
}

/* one conv (nb_conv1d when the height is 1, else nb_conv2d) and the gradients of sum(y * r) in w and b
 * (then d/dy = r) at threads threads, with or without create_graph, into out (w's, then b's, as doubles) */
static void conv_grads(nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_tensor *r, nb_conv_opts o, bool conv1d,
                       bool create, int threads, double *out) {
    nb_set_num_threads(threads);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = conv1d ? nb_conv1d(x, w, b, o) : nb_conv2d(x, w, b, o), *g[2] = { 0 };
    bool ok = nb_grad(1, (nb_tensor *[]){ nb_sum(nb_mul(y, r)) }, 2, (nb_tensor *[]){ w, b }, NULL, g,
                      (nb_grad_opts){ .create_graph = create }) == NB_OK;
    CHECK(ok && nb_to_doubles(g[0], out) == NB_OK && nb_to_doubles(g[1], out + w->numel) == NB_OK);
    nb_scope_end(s);
    nb_set_num_threads(0);
}

/* conv's bias gradient summed by the weight gradient's GEMMs (first order, not recording) against r summed
 * over (N, H, W) in double and against the recorded sum (create_graph); dw the same bits either way, and
 * both the same bits at 1 and 2 threads */
static void check_conv_bias(nb_dtype dt, int64_t n, int64_t c, int64_t h, int64_t wd, int64_t co, int64_t k,
                            nb_conv_opts o) {
    bool conv1d = h == 1;
    int64_t groups = o.groups ? o.groups : 1;
    nb_tensor *x = conv1d ? nb_randn(dt, NB_SHAPE(n, c, wd)) : nb_randn(dt, NB_SHAPE(n, c, h, wd));
    nb_tensor *w = conv1d ? nb_randn(dt, NB_SHAPE(co, c / groups, k))
                          : nb_randn(dt, NB_SHAPE(co, c / groups, k, k));
    nb_tensor *b = leaf(dt, 0, co);
    nb_requires_grad_(w, true);
    int64_t ys[4] = { 0 };
    nb_scope sc = nb_scope_begin();
    nb_tensor *y = conv1d ? nb_conv1d(x, w, b, o) : nb_conv2d(x, w, b, o);
    memcpy(ys, y->shape, sizeof(int64_t) * (size_t)y->ndim);
    nb_scope_end(sc);
    nb_tensor *r = nb_randn(dt, conv1d ? 3 : 4, ys); /* d/dy of sum(y * r) */
    size_t nv = (size_t)(w->numel + co);
    double *f1 = calloc(nv, sizeof(double)), *f2 = calloc(nv, sizeof(double)),
           *rec = calloc(nv, sizeof(double));
    double *rv = malloc(sizeof(double) * (size_t)r->numel);
    conv_grads(x, w, b, r, o, conv1d, false, 1, f1);
    conv_grads(x, w, b, r, o, conv1d, false, 2, f2);
    conv_grads(x, w, b, r, o, conv1d, true, 1, rec);
    CHECK(nb_to_doubles(r, rv) == NB_OK);
    /* r (n, co, P): db[o] = its sum over n and P in double; the fused one is such a sum rounded once */
    int64_t P = r->numel / (n * co);
    double ulp = dt == NB_F32 ? 0x1p-24 : 0x1p-53, worst = 0;
    bool sums = true;
    for (int64_t oc = 0; oc < co; oc++) {
        double ref = 0, mag = 0;
        for (int64_t s = 0; s < n; s++)
            for (int64_t p = 0; p < P; p++)
                ref += rv[(s * co + oc) * P + p], mag += fabs(rv[(s * co + oc) * P + p]);
        double d = fabs(f1[w->numel + oc] - ref), tol = ulp * fabs(ref) + 1e-13 * mag;
        sums &= d <= tol;
        if (d / (mag + 1e-300) > worst) worst = d / (mag + 1e-300);
    }
    double tol = dt == NB_F32 ? 1e-5 : 1e-12, dr = 0;
    for (int64_t oc = 0; oc < co; oc++) {
        double v = fabs(f1[w->numel + oc] - rec[w->numel + oc]) / (1 + fabs(rec[w->numel + oc]));
        if (!(v <= dr)) dr = v;
    }
    bool same_dw = !memcmp(f1, rec, sizeof(double) * (size_t)w->numel),
         threads = !memcmp(f1, f2, nv * sizeof(double));
    if (!sums || !(dr <= tol) || !same_dw || !threads)
        fprintf(stderr,
                "conv bias %s n=%lld c=%lld %lldx%lld co=%lld k=%lld groups=%lld: sums %d (worst %.3g) "
                "recorded %d (%.3g) dw %d threads %d\n",
                nb_dtype_name(dt), (long long)n, (long long)c, (long long)h, (long long)wd, (long long)co,
                (long long)k, (long long)groups, sums, worst, dr <= tol, dr, same_dw, threads);
    CHECK(sums);
    CHECK(dr <= tol);
    CHECK(same_dw);
    CHECK(threads);
    CHECK(!nb_error());
    nb_clear_error();
    free(f1), free(f2), free(rec), free(rv);
    nb_free(x), nb_free(w), nb_free(b), nb_free(r);
}

int main(void) {
    nb_manual_seed(5);
    static const int64_t sizes[][3] = { { 1, 1, 1 }, { 1, 7, 5 },   { 6, 1, 4 },
                                        { 5, 9, 1 }, { 17, 33, 9 }, { 64, 70, 31 } };
    for (int d = 0; d < 2; d++)
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            for (int t = 0; t < 4; t++)
                check_linear(d ? NB_F64 : NB_F32, sizes[i][0], sizes[i][1], sizes[i][2], t & 1, t & 2);
    static const int64_t bw_sizes[][3] = { { 5, 7, 3 }, { 3, 4, 9 }, { 70, 33, 41 }, { 700, 20, 130 } };
    for (int d = 0; d < 2; d++)
        for (size_t i = 0; i < sizeof bw_sizes / sizeof *bw_sizes; i++)
            check_linear_backward(d ? NB_F64 : NB_F32, bw_sizes[i][0], bw_sizes[i][1], bw_sizes[i][2]);
    check_linear_fallbacks();
    check_linear_strided_bias();
    static const int64_t fold_sizes[][5] = { { 3, 1, 7, 9, 11 }, { 2, 3, 37, 29, 23 }, { 1, 4, 1, 6, 5 } };
    for (int d = 0; d < 2; d++)
        for (size_t i = 0; i < sizeof fold_sizes / sizeof *fold_sizes; i++)
            check_matmul_fold(d ? NB_F64 : NB_F32, fold_sizes[i][0], fold_sizes[i][1], fold_sizes[i][2],
                              fold_sizes[i][3], fold_sizes[i][4]);
    check_relu_backward(NB_F32);
    check_relu_backward(NB_F64);
    check_gelu_backward(NB_F32);
    check_gelu_backward(NB_F64);
    check_select_backward();
    check_temp_backward();
    check_leaf_steal();
    check_small_path();
    check_strided_sum();
    for (int d = 0; d < 2; d++) {
        nb_dtype dt = d ? NB_F64 : NB_F32;
        check_conv_bias(dt, 1, 3, 9, 7, 5, 3, (nb_conv_opts){ .padding = { 1, 1 } }); /* batch 1, odd sizes */
        check_conv_bias(dt, 11, 4, 13, 13, 6, 3,
                        (nb_conv_opts){ .stride = { 2, 2 }, .groups = 2 });              /* 8 chunks */
        check_conv_bias(dt, 9, 8, 10, 11, 12, 1, (nb_conv_opts){ .groups = 2 });         /* 1x1: no im2col */
        check_conv_bias(dt, 3, 16, 40, 40, 8, 3, (nb_conv_opts){ .padding = { 1, 1 } }); /* tiles, K blocks */
        check_conv_bias(dt, 1, 16, 24, 24, 32, 3, (nb_conv_opts){ 0 }); /* one sample: the GEMM threads */
        check_conv_bias(dt, 20, 2, 28, 28, 32, 5, (nb_conv_opts){ .dilation = { 1, 2 } }); /* MNIST-like */
        check_conv_bias(dt, 10, 3, 1, 17, 4, 3, (nb_conv_opts){ .padding = { 1 } });       /* conv1d */
    }
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
