/* test_nn.c — the module abstraction and what golden values cannot check: parameter names and
 * order (torch's state_dict), init distributions and gains, dropout statistics and modes, L2 penalty
 * vs weight decay, ownership across scopes, steady memory in a training loop, and clear errors. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* mean and variance of all elements */
static void moments(const nb_tensor *t, double *mean, double *var, double *lo, double *hi) {
    int64_t n = t->numel;
    double *v = malloc(sizeof *v * (size_t)n), s = 0, s2 = 0;
    nb_to_doubles(t, v);
    *lo = *hi = v[0];
    for (int64_t i = 0; i < n; i++) {
        s += v[i];
        if (v[i] < *lo) *lo = v[i];
        if (v[i] > *hi) *hi = v[i];
    }
    *mean = s / (double)n;
    for (int64_t i = 0; i < n; i++) s2 += (v[i] - *mean) * (v[i] - *mean);
    *var = s2 / (double)n;
    free(v);
}

static void test_sequential_names(void) {
    nb_manual_seed(1);
    nb_module *m = nb_sequential_new(3, nb_linear_new(784, 256, true), nb_relu_new(),
                                     nb_linear_new(256, 10, true));
    CHECK(m != NULL);
    int n = 0;
    nb_tensor **p = nb_module_parameters(m, &n);
    CHECK(n == 4);
    CHECK(p[0]->shape[0] == 256 && p[0]->shape[1] == 784 && p[1]->shape[0] == 256);
    CHECK(p[2]->shape[0] == 10 && p[2]->shape[1] == 256 && p[3]->ndim == 1);
    CHECK(nb_module_num_parameters(m) == 784 * 256 + 256 + 256 * 10 + 10);
    nb_state_dict sd = nb_module_state_dict(m);
    CHECK(sd.n == 4);
    const char *want[4] = { "0.weight", "0.bias", "2.weight", "2.bias" };
    for (int i = 0; i < 4 && i < sd.n; i++) {
        CHECK(!strcmp(sd.names[i], want[i]));
        CHECK(sd.tensors[i] == p[i]);
    }
    nb_state_dict_free(&sd);
    CHECK(nb_module_get_parameter(m, "2.bias") == p[3]);
    CHECK(nb_module_get_parameter(m, "1.weight") == NULL);
    for (int i = 0; i < 4; i++) CHECK(p[i]->requires_grad && p[i]->scope == 0);
    /* torch's default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias */
    double mean, var, lo, hi, b = 1 / sqrt(784.0);
    moments(p[0], &mean, &var, &lo, &hi);
    CHECK(lo >= -b && hi <= b);
    CHECK_NEAR(mean, 0, 0.002);
    CHECK_NEAR(var, b * b / 3, b * b / 3 * 0.02);
    moments(p[1], &mean, &var, &lo, &hi);
    CHECK(lo >= -b && hi <= b && hi - lo > b);
    /* train / eval reach every child */
    nb_module_eval(m);
    CHECK(!m->training && !m->children[0]->training && !m->children[2]->training);
    nb_module_train(m, true);
    CHECK(m->training && m->children[1]->training);
    nb_module_free(m);
}

static void test_init(void) {
    CHECK_NEAR(nb_init_calculate_gain(NB_NONLIN_RELU, 0), sqrt(2.0), 1e-15);
    CHECK_NEAR(nb_init_calculate_gain(NB_NONLIN_TANH, 0), 5.0 / 3, 1e-15);
    CHECK_NEAR(nb_init_calculate_gain(NB_NONLIN_LEAKY_RELU, 0), sqrt(2.0 / (1 + 0.0001)), 1e-15);
    CHECK_NEAR(nb_init_calculate_gain(NB_NONLIN_LEAKY_RELU, 0.2), sqrt(2.0 / 1.04), 1e-15);
    CHECK_NEAR(nb_init_calculate_gain(NB_NONLIN_SELU, 0), 0.75, 1e-15);
    CHECK_NEAR(nb_init_calculate_gain(NB_NONLIN_SIGMOID, 0), 1, 1e-15);
    nb_tensor *c = nb_zeros(NB_F32, NB_SHAPE(16, 8, 3, 3));
    int64_t fi, fo;
    CHECK(nb_init_fans(c, &fi, &fo) == NB_OK && fi == 72 && fo == 144);
    nb_tensor *v = nb_zeros(NB_F32, NB_SHAPE(5));
    CHECK_ERR(nb_init_fans(v, &fi, &fo) == NB_ERROR ? 0 : 1);
    CHECK_ERR(nb_init_xavier_uniform_(v, 0));
    double mean, var, lo, hi;
    nb_tensor *w = nb_zeros(NB_F64, NB_SHAPE(400, 300));
    nb_init_xavier_uniform_(w, 0);
    double a = sqrt(6.0 / 700);
    moments(w, &mean, &var, &lo, &hi);
    CHECK(lo >= -a && hi <= a && hi > 0.99 * a);
    CHECK_NEAR(var, a * a / 3, a * a / 3 * 0.02);
    nb_init_xavier_normal_(w, 2.0);
    moments(w, &mean, &var, &lo, &hi);
    CHECK_NEAR(sqrt(var), 2.0 * sqrt(2.0 / 700), 0.01 * 2.0 * sqrt(2.0 / 700));
    nb_init_kaiming_normal_(w, 0, NB_FAN_OUT, NB_NONLIN_RELU);
    moments(w, &mean, &var, &lo, &hi);
    CHECK_NEAR(sqrt(var), sqrt(2.0) / sqrt(400.0), 0.01 * sqrt(2.0 / 400));
    nb_init_kaiming_uniform_(w, 0, NB_FAN_IN, NB_NONLIN_LEAKY_RELU); /* a = 0: gain sqrt 2 */
    moments(w, &mean, &var, &lo, &hi);
    double bk = sqrt(2.0) * sqrt(3.0 / 300);
    CHECK(lo >= -bk && hi <= bk && hi > 0.99 * bk);
    nb_init_uniform_(w, 2, 3);
    moments(w, &mean, &var, &lo, &hi);
    CHECK(lo >= 2 && hi < 3);
    CHECK_NEAR(mean, 2.5, 0.01);
    nb_init_normal_(w, -1, 0.5);
    moments(w, &mean, &var, &lo, &hi);
    CHECK_NEAR(mean, -1, 0.01);
    CHECK_NEAR(sqrt(var), 0.5, 0.01);
    nb_init_constant_(w, 0.25);
    moments(w, &mean, &var, &lo, &hi);
    CHECK(lo == 0.25 && hi == 0.25);
    nb_scope s = nb_scope_begin();
    nb_init_ones_(v);
    CHECK(nb_item(nb_sum(v)) == 5);
    nb_init_zeros_(v);
    CHECK(nb_item(nb_sum(v)) == 0);
    nb_scope_end(s);
    /* a parameter requiring grad is filled under no-grad, like torch.nn.init */
    nb_requires_grad_(v, true);
    CHECK(nb_init_ones_(v) == v);
    /* same seed, same values */
    nb_manual_seed(7);
    nb_module *l1 = nb_linear_new(3, 2, true);
    nb_manual_seed(7);
    nb_module *l2 = nb_linear_new(3, 2, true);
    double d1[6], d2[6];
    nb_to_doubles(l1->params[0], d1);
    nb_to_doubles(l2->params[0], d2);
    CHECK(!memcmp(d1, d2, sizeof d1));
    nb_module_free(l1);
    nb_module_free(l2);
    nb_free(c);
    nb_free(v);
    nb_free(w);
}

static void test_dropout(void) {
    nb_tensor *x = nb_ones(NB_F32, NB_SHAPE(100, 100));
    nb_module *d = nb_dropout_new(0.3);
    nb_scope s = nb_scope_begin();
    nb_manual_seed(3);
    nb_tensor *y = nb_module_forward(d, x);
    double mean, var, lo, hi;
    moments(y, &mean, &var, &lo, &hi);
    CHECK_NEAR(mean, 1.0, 0.03); /* inverted dropout keeps the expectation */
    CHECK(lo == 0 && fabs(hi - 1 / 0.7) < 1e-6);
    double zeros = nb_item(nb_sum(nb_eq_scalar(y, 0))) / 10000;
    CHECK_NEAR(zeros, 0.3, 0.02);
    nb_manual_seed(3);
    nb_tensor *y2 = nb_module_forward(d, x);
    CHECK(nb_item(nb_sum(nb_ne(y, y2))) == 0); /* seeded */
    /* gradient = mask / (1 - p) */
    nb_tensor *xr = nb_ones(NB_F64, NB_SHAPE(50));
    nb_requires_grad_(xr, true);
    nb_tensor *yr = nb_dropout(xr, 0.5, true);
    nb_tensor *g = nb_grad1(nb_sum(yr), xr, false);
    CHECK(nb_item(nb_sum(nb_ne(g, yr))) == 0);
    nb_module_eval(d);
    CHECK(nb_module_forward(d, x) == x); /* identity in eval */
    CHECK(nb_dropout(x, 0, true) != NULL && nb_item(nb_sum(nb_dropout(x, 0, true))) == 10000);
    CHECK(nb_item(nb_sum(nb_dropout(x, 1, true))) == 0);
    CHECK_ERR(nb_dropout(x, 1.5, true));
    CHECK_ERR(nb_dropout_new(-0.1));
    nb_scope_end(s);
    nb_free(xr);
    nb_module_free(d);
    nb_free(x);
}

static void test_l2_penalty(void) {
    double wv[3] = { 1, -2, 3 }, bv[2] = { 0.5, 4 };
    nb_tensor *w = nb_tensor_from(NB_F64, wv, NB_SHAPE(3), true),
              *b = nb_tensor_from(NB_F64, bv, NB_SHAPE(2), true);
    nb_scope s = nb_scope_begin();
    nb_tensor *pen = nb_l2_penalty(NB_LIST(w, b), 0.1);
    CHECK_NEAR(nb_item(pen), 0.05 * (1 + 4 + 9 + 0.25 + 16), 1e-15);
    CHECK(nb_backward(pen) == NB_OK);
    /* d/dw (lambda/2)||w||^2 = lambda w: what weight_decay = lambda adds to the gradient */
    double want_w[3] = { 0.1, -0.2, 0.3 };
    CHECK_TENSOR(w->grad, want_w, 3, 1e-15);
    CHECK_ERR(nb_l2_penalty(0, NULL, 0.1));
    nb_scope_end(s);
    nb_free(w);
    nb_free(b);
}

static void test_ownership_and_memory(void) {
    /* a model built inside a scope keeps its parameters */
    nb_scope s = nb_scope_begin();
    nb_module *m = nb_sequential_new(2, nb_linear_new(4, 3, true), nb_tanh_new());
    nb_scope_end(s);
    int n;
    nb_tensor **p = nb_module_parameters(m, &n);
    CHECK(n == 2 && nb_is_valid(p[0]) && nb_is_valid(p[1]));
    /* a steady training loop does not grow */
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(8, 4)), *y = nb_randint(0, 3, NB_SHAPE(8));
    size_t live = 0, allocs = 0;
    for (int it = 0; it < 5; it++) {
        nb_scope t = nb_scope_begin();
        nb_tensor *loss = nb_cross_entropy(nb_module_forward(m, x), y, (nb_cross_entropy_opts){ 0 });
        CHECK(nb_backward(loss) == NB_OK);
        NB_NO_GRAD {
            for (int i = 0; i < n; i++) nb_add_scaled_(p[i], p[i]->grad, -0.1);
        }
        nb_module_zero_grad(m);
        nb_scope_end(t);
        if (it == 2) {
            live = nb_memory_stats_get().tensors_live;
            allocs = nb_memory_stats_get().system_allocs;
        }
        if (it == 4) {
            CHECK(nb_memory_stats_get().tensors_live == live);
            CHECK(nb_memory_stats_get().system_allocs == allocs); /* steady: buffers come from the pool */
        }
    }
    /* conversion to f64 keeps values */
    double before[12], after[12];
    nb_to_doubles(p[0], before);
    CHECK(nb_module_to(m, NB_F64) == NB_OK);
    p = nb_module_parameters(m, &n);
    CHECK(p[0]->dtype == NB_F64 && p[0]->requires_grad);
    nb_to_doubles(p[0], after);
    CHECK(!memcmp(before, after, sizeof before));
    FILE *f = tmpfile();
    nb_module_fprint(f, m);
    rewind(f);
    char buf[256] = { 0 };
    CHECK(fread(buf, 1, sizeof buf - 1, f) > 0 && strstr(buf, "Sequential(") &&
          strstr(buf, "(0): Linear(in_features=4, out_features=3, bias=True)\n  (1): Tanh()\n)"));
    fclose(f);
    nb_module_free(m);
    nb_free(x);
    nb_free(y);
}

static void test_errors(void) {
    nb_scope s = nb_scope_begin();
    CHECK_ERR(nb_linear_new(0, 3, true));
    CHECK_ERR(nb_sequential_new(2, nb_relu_new(), nb_linear_new(-1, 2, true)));
    CHECK_ERR(nb_module_forward(NULL, nb_ones(NB_F32, NB_SHAPE(2))));
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(4, 3));
    CHECK_ERR(nb_cross_entropy(x, nb_tensor_from(NB_I64, (int64_t[]){ 0, 1, 3, 2 }, NB_SHAPE(4), false),
                               (nb_cross_entropy_opts){ 0 }));
    CHECK_ERR(nb_cross_entropy(x, nb_tensor_from(NB_I64, (int64_t[]){ 0, 1, 2 }, NB_SHAPE(3), false),
                               (nb_cross_entropy_opts){ 0 }));
    CHECK_ERR(nb_cross_entropy(x, nb_zeros(NB_F32, NB_SHAPE(4)), (nb_cross_entropy_opts){ 0 }));
    nb_tensor *y = nb_tensor_from(NB_I64, (int64_t[]){ 0, 1, 2, 2 }, NB_SHAPE(4), false);
    CHECK_ERR(nb_cross_entropy(x, y, (nb_cross_entropy_opts){ .weight = nb_ones(NB_F32, NB_SHAPE(4)) }));
    CHECK_ERR(nb_cross_entropy(x, y, (nb_cross_entropy_opts){ .label_smoothing = 1.5 }));
    CHECK_ERR(nb_cross_entropy(x, y, (nb_cross_entropy_opts){ .reduction = (nb_reduction)7 }));
    CHECK(nb_cross_entropy(x, y, (nb_cross_entropy_opts){ NB_IGNORE_INDEX(2) }) != NULL);
    CHECK_ERR(nb_nll_loss(x, nb_zeros(NB_F32, NB_SHAPE(4)), (nb_nll_loss_opts){ 0 }));
    CHECK_ERR(nb_mse_loss(x, nb_ones(NB_F32, NB_SHAPE(5)), (nb_loss_opts){ 0 }));
    CHECK_ERR(nb_binary_cross_entropy(nb_sigmoid(x), nb_ones(NB_F32, NB_SHAPE(4, 1)), (nb_bce_opts){ 0 }));
    CHECK_ERR(nb_binary_cross_entropy(x, nb_ones(NB_F32, NB_SHAPE(4, 3)),
                                      (nb_bce_opts){ 0 })); /* x outside [0, 1] */
    CHECK_ERR(nb_multi_margin_loss(x, y, (nb_multi_margin_opts){ .p = 3 }));
    CHECK_ERR(nb_multi_margin_loss(x, nb_tensor_from(NB_I64, (int64_t[]){ 0, 1, 2, 5 }, NB_SHAPE(4), false),
                                   (nb_multi_margin_opts){ 0 }));
    CHECK_ERR(nb_huber_loss(x, x, (nb_huber_opts){ .delta = -1 }));
    CHECK_ERR(nb_layer_norm(x, NB_SHAPE(4), NULL, NULL, 0));
    CHECK_ERR(nb_embedding(x, nb_ones(NB_F32, NB_SHAPE(3, 2))));
    CHECK_ERR(nb_embedding(nb_tensor_from(NB_I64, (int64_t[]){ 0, 3 }, NB_SHAPE(2), false),
                           nb_ones(NB_F32, NB_SHAPE(3, 2))));
    CHECK_ERR(nb_layer_norm_new(0, NULL, 0, true));
    CHECK_ERR(nb_embedding_new(0, 3));
    CHECK(nb_mse_loss(NULL, x, (nb_loss_opts){ 0 }) == NULL && nb_error() == NULL); /* NULL passes through */
    CHECK_ERR(nb_cross_entropy(x, y, (nb_cross_entropy_opts){ .weight = nb_ones(NB_I64, NB_SHAPE(3)) }));
    nb_module *lin = nb_linear_new(5, 2, true);
    CHECK(nb_module_forward(lin, x) == NULL && nb_error() && strstr(nb_error(), "in_features=5"));
    nb_clear_error();
    nb_module_free(lin);
    /* all targets ignored: 0 / 0 = nan, like torch */
    nb_tensor *ign = nb_full(NB_I64, NB_SHAPE(4), -100);
    CHECK(isnan(nb_item(nb_cross_entropy(x, ign, (nb_cross_entropy_opts){ 0 }))));
    nb_scope_end(s);
}

/* a module's state dict through a safetensors file into a freshly initialised model */
static void test_state_dict_roundtrip(void) {
    nb_manual_seed(11);
    nb_module *a = nb_sequential_new(4, nb_linear_new(6, 5, true), nb_gelu_new(false),
                                     nb_layer_norm_new(NB_SHAPE(5), 0, true), nb_linear_new(5, 3, false));
    nb_manual_seed(12);
    nb_module *b = nb_sequential_new(4, nb_linear_new(6, 5, true), nb_gelu_new(false),
                                     nb_layer_norm_new(NB_SHAPE(5), 0, true), nb_linear_new(5, 3, false));
    char path[] = "/tmp/nb_test_nn_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    nb_state_dict sa = nb_module_state_dict(a), sb = nb_module_state_dict(b);
    CHECK(sa.n == 5 && !strcmp(sa.names[2], "2.weight") && !strcmp(sa.names[4], "3.weight"));
    CHECK(nb_save_safetensors(&sa, path) == NB_OK);
    CHECK(nb_load_safetensors(&sb, path) == NB_OK);
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(4, 6));
    nb_tensor *ya = nb_module_forward(a, x), *yb = nb_module_forward(b, x);
    CHECK(ya && yb && nb_item(nb_sum(nb_ne(ya, yb))) == 0);
    nb_scope_end(s);
    nb_state_dict_free(&sa);
    nb_state_dict_free(&sb);
    remove(path);
    nb_module_free(a);
    nb_module_free(b);
}

/* functional forms gradchecked in f64 w.r.t. all their inputs (the golden file checks the modules) */
static nb_tensor *fn_dropout(nb_tensor *const *x, int n, void *ctx) {
    (void)n, (void)ctx;
    nb_manual_seed(5); /* the same mask at every evaluation */
    return nb_dropout(x[0], 0.4, true);
}
static nb_tensor *fn_layer_norm(nb_tensor *const *x, int n, void *ctx) {
    (void)n, (void)ctx;
    return nb_layer_norm(x[0], NB_SHAPE(3), x[1], x[2], 0);
}
static nb_tensor *fn_embedding(nb_tensor *const *x, int n, void *ctx) {
    (void)n;
    return nb_embedding(ctx, x[0]);
}
static nb_tensor *fn_l2(nb_tensor *const *x, int n, void *ctx) {
    (void)ctx;
    return nb_l2_penalty(n, x, 0.3);
}
static void test_gradcheck_functional(void) {
    nb_manual_seed(21);
    nb_tensor *a = nb_requires_grad_(nb_randn(NB_F64, NB_SHAPE(4, 3)), true);
    nb_tensor *w = nb_requires_grad_(nb_randn(NB_F64, NB_SHAPE(3)), true);
    nb_tensor *b = nb_requires_grad_(nb_randn(NB_F64, NB_SHAPE(3)), true);
    nb_tensor *e = nb_requires_grad_(nb_randn(NB_F64, NB_SHAPE(5, 2)), true);
    nb_tensor *idx = nb_tensor_from(NB_I64, (int64_t[]){ 4, 0, 4, 2 }, NB_SHAPE(2, 2), false);
    nb_gradcheck_opts o = { 0 };
    CHECK(nb_gradcheck(fn_dropout, NULL, 1, &a, o));
    CHECK(nb_gradcheck(fn_layer_norm, NULL, NB_LIST(a, w, b), o));
    CHECK(nb_gradgradcheck(fn_layer_norm, NULL, NB_LIST(a, w, b), o));
    CHECK(nb_gradcheck(fn_embedding, idx, 1, &e, o));
    CHECK(nb_gradcheck(fn_l2, NULL, NB_LIST(a, w), o));
    CHECK(nb_gradgradcheck(fn_l2, NULL, NB_LIST(a, w), o));
    nb_free(a);
    nb_free(w);
    nb_free(b);
    nb_free(e);
    nb_free(idx);
}

/* a user-defined module: y = block(x) * scale, with its own parameter and a child */
static nb_tensor *custom_fw(nb_module *m, nb_tensor *x) {
    return nb_mul(nb_module_forward(m->children[0], x), m->params[0]);
}
/* the layer-norm formula written out in f64 ops (mean, biased variance, rsqrt): the reference of the fused node */
static nb_tensor *ln_reference(nb_tensor *x, int nd, nb_tensor *w, nb_tensor *b, double eps) {
    int dims[2] = { x->ndim - nd, x->ndim - 1 };
    nb_tensor *xm = nb_sub(x, nb_mean_dim(x, nd, dims, true));
    nb_tensor *y = nb_mul(xm, nb_rsqrt(nb_add_scalar(nb_mean_dim(nb_square(xm), nd, dims, true), eps)));
    return nb_add(nb_mul(y, w), b);
}

/* y, dx, dw, db of layer_norm(x^T) (dims 0 and 1 swapped: not contiguous) for the output gradient gy */
static void ln_run(nb_tensor *xt, int nd, nb_tensor *w, nb_tensor *b, nb_tensor *gy, bool ref,
                   nb_tensor **r) {
    nb_tensor *x = nb_requires_grad_(nb_detach(xt), true), *wl = nb_requires_grad_(nb_detach(w), true),
              *bl = nb_requires_grad_(nb_detach(b), true);
    nb_tensor *xv = nb_transpose(x, 0, 1);
    const int64_t *ns = xv->shape + xv->ndim - nd;
    nb_tensor *y = ref ? ln_reference(nb_to(xv, NB_F64), nd, nb_to(wl, NB_F64), nb_to(bl, NB_F64), 1e-5)
                       : nb_layer_norm(xv, nd, ns, wl, bl, 0);
    CHECK(nb_backward_ex(y, (nb_backward_opts){ .grad = ref ? nb_to(gy, NB_F64) : gy }) == NB_OK);
    r[0] = y, r[1] = nb_grad_of(x), r[2] = nb_grad_of(wl), r[3] = nb_grad_of(bl);
}

/* the fused layer norm against its formula in f64 ops, on a transposed input above the threading threshold
 * (rows of 331 and 993 values: lane tails), and the same bits at 1 and 2 threads, f32 and f64 */
static void test_layer_norm_fused(void) {
    for (int d = 0; d < 2; d++)
        for (int nd = 1; nd <= 2; nd++) {
            nb_dtype dt = d ? NB_F64 : NB_F32;
            nb_scope s = nb_scope_begin();
            nb_manual_seed(40 + nd);
            nb_tensor *x = nb_add_scalar(nb_mul_scalar(nb_randn(dt, NB_SHAPE(3, 70, 331)), 3), 1.5);
            const int64_t *wshape = nd == 1 ? (int64_t[]){ 331 } : (int64_t[]){ 3, 331 };
            nb_tensor *w = nb_randn(dt, nd, wshape), *b = nb_randn(dt, nd, wshape);
            nb_tensor *gy = nb_randn(dt, NB_SHAPE(70, 3, 331)), *ref[4], *got[2][4]; /* x^T's shape */
            ln_run(x, nd, w, b, gy, true, ref);
            for (int t = 0; t < 2; t++) {
                nb_set_num_threads(t + 1);
                ln_run(x, nd, w, b, gy, false, got[t]);
            }
            nb_set_num_threads(0);
            for (int j = 0; j < 4; j++) {
                nb_tensor *a = nb_contiguous(got[0][j]), *c = nb_contiguous(got[1][j]);
                CHECK(a && c && a->numel == c->numel &&
                      !memcmp(nb_data(a), nb_data(c), nb_dtype_size(dt) * (size_t)a->numel));
                nb_tensor *e = nb_sub(nb_to(a, NB_F64), nb_contiguous(ref[j]));
                double err = nb_item(nb_max(nb_abs(e))), mag = nb_item(nb_max(nb_abs(ref[j])));
                CHECK(err <= (d ? 1e-12 : 2e-6) * (mag > 1 ? mag : 1));
            }
            nb_scope_end(s);
        }
    /* an empty batch: an empty output, zero weight and bias gradients (torch's) */
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_requires_grad_(nb_zeros(NB_F32, NB_SHAPE(0, 4)), true);
    nb_tensor *w = nb_requires_grad_(nb_ones(NB_F32, NB_SHAPE(4)), true),
              *b = nb_requires_grad_(nb_ones(NB_F32, NB_SHAPE(4)), true);
    nb_tensor *y = nb_layer_norm(x, NB_SHAPE(4), w, b, 0);
    CHECK(y && y->numel == 0 && nb_backward(nb_sum(y)) == NB_OK);
    CHECK(nb_grad_of(w) && nb_item(nb_max(nb_abs(nb_grad_of(w)))) == 0 && nb_grad_of(b) &&
          nb_item(nb_max(nb_abs(nb_grad_of(b)))) == 0);
    nb_scope_end(s);
}

static void test_custom_module(void) {
    nb_module *m = nb_module_new("Scaled", custom_fw, NULL, NULL);
    nb_tensor *scale = nb_full(NB_F32, NB_SHAPE(2), 3.0);
    CHECK(nb_module_register_parameter(m, "scale", scale) == NB_OK && scale->requires_grad);
    CHECK(nb_module_register_module(
              m, "block", nb_sequential_new(2, nb_linear_new(3, 2, false), nb_sigmoid_new())) == NB_OK);
    nb_state_dict sd = nb_module_state_dict(m);
    CHECK(sd.n == 2 && !strcmp(sd.names[0], "scale") && !strcmp(sd.names[1], "block.0.weight"));
    nb_state_dict_free(&sd);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nb_module_forward(m, nb_ones(NB_F32, NB_SHAPE(4, 3)));
    CHECK(y && y->shape[0] == 4 && y->shape[1] == 2);
    CHECK(nb_backward(nb_sum(y)) == NB_OK && scale->grad &&
          nb_module_get_parameter(m, "block.0.weight")->grad);
    /* a scoped tensor cannot become a parameter */
    CHECK(nb_module_register_parameter(m, "bad", nb_ones(NB_F32, NB_SHAPE(1))) == NB_ERROR);
    nb_clear_error();
    nb_scope_end(s);
    CHECK_ERR(nb_module_new("NoForward", NULL, NULL, NULL));
    nb_module_free(m);
}

/* nb_module_fprint prints what torch's print(model) prints (text taken from torch 1.13) */
static void test_repr(void) {
    nb_module *m = nb_sequential_new(
        9, nb_flatten_new(1, -1), nb_linear_new(784, 512, true), nb_relu_new(), nb_dropout_new(0.5),
        nb_layer_norm_new(NB_SHAPE(512), 0, true), nb_leaky_relu_new(0.01), nb_gelu_new(false),
        nb_linear_new(512, 10, false),
        nb_sequential_new(3, nb_log_softmax_new(1), nb_embedding_new(10, 3), nb_sigmoid_new()));
    const char *want =
        "Sequential(\n  (0): Flatten(start_dim=1, end_dim=-1)\n"
        "  (1): Linear(in_features=784, out_features=512, bias=True)\n  (2): ReLU()\n"
        "  (3): Dropout(p=0.5, inplace=False)\n  (4): LayerNorm((512,), eps=1e-05, elementwise_affine=True)\n"
        "  (5): LeakyReLU(negative_slope=0.01)\n  (6): GELU(approximate='none')\n"
        "  (7): Linear(in_features=512, out_features=10, bias=False)\n  (8): Sequential(\n"
        "    (0): LogSoftmax(dim=1)\n    (1): Embedding(10, 3)\n    (2): Sigmoid()\n  )\n)\n";
    FILE *f = tmpfile();
    nb_module_fprint(f, m);
    rewind(f);
    char buf[1024] = { 0 };
    CHECK(fread(buf, 1, sizeof buf - 1, f) > 0);
    CHECK(!strcmp(buf, want));
    if (strcmp(buf, want)) fprintf(stderr, "got:\n%s", buf);
    fclose(f);
    nb_module_free(m);
}

int main(void) {
    test_sequential_names();
    test_init();
    test_dropout();
    test_l2_penalty();
    test_ownership_and_memory();
    test_errors();
    test_state_dict_roundtrip();
    test_gradcheck_functional();
    test_layer_norm_fused();
    test_custom_module();
    test_repr();
    return nb_test_done();
}
