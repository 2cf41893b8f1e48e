/* test_grad2.c — grad-of-grad through piecewise ops (issue 15, class 8) against torch 1.13
 * (tools/gen_golden_grad2.py -> tests/golden/grad2.txt): for each op, whether d/dx sum(op(x) c) taken
 * with create_graph carries history (as torch's does) and the Hessian-vector product through it, taken
 * without allow_unused (zeros for relu, leaky_relu, abs, pools: not an error); HVPs of small relu,
 * leaky_relu and pooling networks, in f64 and f32. */
#define _GNU_SOURCE
#include "testlib.h"
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static nb_tensor *apply(const char *name, nb_tensor *x) {
    nb_max_pool2d_opts mp = { .kernel_size = { 2, 2 } };
    nb_avg_pool2d_opts ap = { .kernel_size = { 2, 2 } };
    if (!strcmp(name, "relu")) return nb_relu(x);
    if (!strcmp(name, "leaky_relu")) return nb_leaky_relu(x, 0.1);
    if (!strcmp(name, "clamp")) return nb_clamp(x, -0.5, 0.5);
    if (!strcmp(name, "abs")) return nb_abs(x);
    if (!strcmp(name, "sign")) return nb_sign(x);
    if (!strcmp(name, "max_pool2d")) return nb_max_pool2d(x, mp);
    if (!strcmp(name, "avg_pool2d")) return nb_avg_pool2d(x, ap);
    if (!strcmp(name, "adaptive_avg_pool2d")) return nb_adaptive_avg_pool2d(x, 2, 2);
    if (!strcmp(name, "adaptive_max_pool2d")) return nb_adaptive_max_pool2d(x, 2, 2);
    if (!strcmp(name, "max_unpool2d")) {
        nb_tensor *idx = NULL, *p = nb_max_pool2d_with_indices(x, mp, &idx);
        return nb_max_unpool2d(p, idx, (nb_max_unpool2d_opts){ .kernel_size = { 2, 2 } });
    }
    if (!strcmp(name, "maximum")) return nb_maximum(x, nb_flip(x, NB_DIMS(3)));
    if (!strcmp(name, "minimum")) return nb_minimum(x, nb_flip(x, NB_DIMS(3)));
    if (!strcmp(name, "amax")) return nb_amax(x, NB_DIMS(3), false);
    if (!strcmp(name, "amin")) return nb_amin(x, NB_DIMS(3), false);
    if (!strcmp(name, "max_dim")) return nb_max_dim(x, 3, false, NULL);
    if (!strcmp(name, "min_dim")) return nb_min_dim(x, 3, false, NULL);
    if (!strcmp(name, "sort")) return nb_sort(x, 3, (nb_sort_opts){ 0 }, NULL);
    if (!strcmp(name, "topk")) return nb_topk(x, 2, 3, (nb_topk_opts){ 0 }, NULL);
    if (!strcmp(name, "masked_fill")) return nb_masked_fill(x, nb_gt_scalar(x, 0), 1.0);
    if (!strcmp(name, "where")) return nb_where(nb_gt_scalar(x, 0), x, nb_mul_scalar(x, 2));
    if (!strcmp(name, "softplus")) return nb_softplus(x, 0, 0);
    if (!strcmp(name, "norm")) return nb_norm(x, 2);
    if (!strcmp(name, "prod")) return nb_prod(x);
    if (!strcmp(name, "max_pool1d"))
        return nb_max_pool1d(nb_reshape(x, NB_SHAPE(1, 4, 4)), (nb_max_pool1d_opts){ .kernel_size = 2 });
    static const char *pads[4] = { "pad_constant", "pad_reflect", "pad_replicate", "pad_circular" };
    for (int m = 0; m < 4; m++)
        if (!strcmp(name, pads[m]))
            return nb_pad(x, NB_SHAPE(1, 1, 1, 1), (nb_pad_opts){ .mode = (nb_pad_mode)m });
    if (!strcmp(name, "interp_nearest"))
        return nb_interpolate(x, (nb_interpolate_opts){ .scale_factor = { 2, 2 } });
    if (!strcmp(name, "interp_bilinear"))
        return nb_interpolate(x,
                              (nb_interpolate_opts){ .scale_factor = { 2, 2 }, .mode = NB_INTERP_BILINEAR });
    if (!strcmp(name, "cumsum")) return nb_cumsum(x, 3);
    nb_tensor *z = nb_zeros_like(x);
    if (!strcmp(name, "l1_loss")) return nb_l1_loss(x, z, (nb_loss_opts){ .reduction = NB_REDUCTION_NONE });
    if (!strcmp(name, "smooth_l1_loss"))
        return nb_smooth_l1_loss(x, z, (nb_smooth_l1_opts){ .reduction = NB_REDUCTION_NONE });
    if (!strcmp(name, "huber_loss"))
        return nb_huber_loss(x, z, (nb_huber_opts){ .reduction = NB_REDUCTION_NONE });
    if (!strcmp(name, "mse_loss")) return nb_mse_loss(x, z, (nb_loss_opts){ .reduction = NB_REDUCTION_NONE });
    if (!strcmp(name, "hinge_embedding_loss"))
        return nb_hinge_embedding_loss(x, nb_full_like(x, -1),
                                       (nb_hinge_embedding_opts){ .reduction = NB_REDUCTION_NONE });
    fprintf(stderr, "unknown op %s in grad2.txt\n", name);
    return NULL;
}

/* c = linspace(0.5, 1.5, numel) shaped like y (the generator's weights) */
static nb_tensor *weights_like(nb_tensor *y, nb_dtype dt) {
    return nb_reshape(nb_linspace(dt, 0.5, 1.5, y->numel), y->ndim, y->shape);
}

static double *values(nb_tensor *t) {
    static double buf[64];
    if (!t || t->numel > 64 || nb_to_doubles(t, buf) != NB_OK) return NULL;
    return buf;
}

static void op_case(const char *name, char **save, nb_dtype dt) {
    nb_scope s = nb_scope_begin();
    nb_tensor *x0 = tl_parse_tensor(save), *v0 = tl_parse_tensor(save), *gw = tl_parse_tensor(save);
    int rg = atoi(strtok_r(NULL, " \n", save));
    nb_tensor *hw = rg ? tl_parse_tensor(save) : NULL;
    double tol = dt == NB_F64 ? 1e-12 : 1e-5;
    nb_tensor *x = nb_requires_grad_(nb_to(x0, dt), true), *v = nb_to(v0, dt);
    nb_tensor *y = TL_T(apply(name, x)); /* TL_*: success with an error raised fails (docs/errors.md) */
    nb_tensor *loss = nb_sum(nb_mul(y, weights_like(y, dt)));
    nb_tensor *g = TL_T(nb_grad1(loss, x, true));
    int before = tl_fail;
    CHECK(g != NULL);
    if (g) CHECK_TENSOR(g, values(gw), gw->numel, tol);
    CHECK(g && g->requires_grad == (rg != 0)); /* history exactly where torch's gradient has it */
    nb_tensor *h = NULL, *sv = nb_sum(nb_mul(g, v));
    nb_status st = TL_OK(nb_grad(1, &sv, 1, &x, NULL, &h, (nb_grad_opts){ 0 })); /* no allow_unused */
    if (rg) {
        CHECK(st == NB_OK && h);
        if (h) CHECK_TENSOR(h, values(hw), hw->numel, tol);
    } else {
        CHECK(st == NB_ERROR && nb_error() && strstr(nb_error(), "does not require grad")); /* torch: same */
        nb_clear_error();
    }
    if (tl_fail != before) fprintf(stderr, "  in op case %s (%s)\n", name, nb_dtype_name(dt));
    CHECK(nb_error() == NULL);
    nb_clear_error();
    nb_scope_end(s);
}

static nb_tensor *net_loss(const char *name, nb_tensor *x, nb_tensor **p, nb_dtype dt) {
    nb_tensor *t = nb_reshape(nb_linspace(dt, -1, 1, 8), NB_SHAPE(4, 2));
    if (!strcmp(name, "relu1"))
        return nb_sum(
            nb_mul(nb_relu(nb_matmul(x, p[0])), nb_reshape(nb_linspace(dt, 0.5, 1.5, 20), NB_SHAPE(4, 5))));
    if (!strcmp(name, "relu2"))
        return nb_sum(nb_square(nb_sub(nb_matmul(nb_relu(nb_matmul(x, p[0])), p[1]), t)));
    if (!strcmp(name, "leaky2"))
        return nb_sum(nb_square(nb_sub(nb_matmul(nb_leaky_relu(nb_matmul(x, p[0]), 0.1), p[1]), t)));
    if (!strcmp(name, "relu_bias"))
        return nb_sum(nb_square(nb_tanh(nb_relu(nb_add(nb_matmul(x, p[0]), p[1])))));
    nb_tensor *img = nb_relu(nb_mul(nb_reshape(x, NB_SHAPE(1, 1, 4, 3)), p[0]));
    if (!strcmp(name, "maxpool"))
        return nb_sum(nb_square(nb_max_pool2d(img, (nb_max_pool2d_opts){ .kernel_size = { 2, 2 } })));
    if (!strcmp(name, "avgpool"))
        return nb_sum(
            nb_mul_scalar(nb_avg_pool2d(img, (nb_avg_pool2d_opts){ .kernel_size = { 2, 2 } }), 3.0));
    fprintf(stderr, "unknown net %s in grad2.txt\n", name);
    return NULL;
}

static void net_case(const char *name, char **save, nb_dtype dt) {
    nb_scope s = nb_scope_begin();
    int np = atoi(strtok_r(NULL, " \n", save));
    nb_tensor *x = nb_to(tl_parse_tensor(save), dt), *p[4], *v[4], *gw[4], *hw[4], *g[4] = { 0 },
              *h[4] = { 0 };
    for (int i = 0; i < np; i++) p[i] = nb_requires_grad_(nb_to(tl_parse_tensor(save), dt), true);
    for (int i = 0; i < np; i++) v[i] = nb_to(tl_parse_tensor(save), dt);
    for (int i = 0; i < np; i++) gw[i] = tl_parse_tensor(save);
    for (int i = 0; i < np; i++) hw[i] = tl_parse_tensor(save);
    double tol = dt == NB_F64 ? 1e-10 : 2e-4;
    int before = tl_fail;
    nb_tensor *loss = TL_T(net_loss(name, x, p, dt));
    CHECK(nb_grad(1, &loss, np, p, NULL, g, (nb_grad_opts){ .create_graph = true }) == NB_OK);
    nb_tensor *sv = NULL;
    for (int i = 0; i < np; i++) {
        if (g[i]) CHECK_TENSOR(g[i], values(gw[i]), gw[i]->numel, tol);
        nb_tensor *term = nb_sum(nb_mul(g[i], v[i]));
        sv = sv ? nb_add(sv, term) : term;
    }
    CHECK(nb_grad(1, &sv, np, p, NULL, h, (nb_grad_opts){ 0 }) == NB_OK); /* H v, no allow_unused */
    for (int i = 0; i < np; i++)
        if (h[i]) CHECK_TENSOR(h[i], values(hw[i]), hw[i]->numel, tol);
    if (tl_fail != before)
        fprintf(stderr, "  in net case %s (%s): %s\n", name, nb_dtype_name(dt), nb_error());
    CHECK(nb_error() == NULL);
    nb_clear_error();
    nb_scope_end(s);
}

void *nbt_error(const char *fmt, ...); /* internal: raise a synthetic error for the checker's self-test */

/* the invariant checker itself: a call that returns a result although it raised an error is caught */
static void test_checker(void) {
    nb_tensor *x = nb_zeros(NB_F32, NB_SHAPE(2));
    int fails = tl_fail;
    fflush(stderr);
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY); /* the expected FAIL line is not shown */
    dup2(devnull, 2);
    TL_T((nbt_error("synthetic: success with an error raised"), x));
    fflush(stderr);
    dup2(saved, 2);
    close(saved), close(devnull);
    bool caught = tl_fail == fails + 1;
    nb_clear_error();
    nb_free(TL_T(nb_relu(x))); /* a clean call passes */
    bool clean = tl_fail == fails + 1;
    tl_fail = fails;
    CHECK(caught && clean);
    nb_free(x);
}

int main(void) {
    test_checker();
    FILE *f = tl_open_data("golden/grad2.txt");
    if (!f) return 1;
    char *line = NULL;
    size_t cap = 0;
    int nops = 0, nnets = 0;
    while (getline(&line, &cap, f) > 0) {
        for (int k = 0; k < 2; k++) {
            char *copy = strdup(line), *save;
            char *kind = strtok_r(copy, " \n", &save), *name = strtok_r(NULL, " \n", &save);
            nb_dtype dt = k ? NB_F32 : NB_F64;
            if (!strcmp(kind, "op")) op_case(name, &save, dt), nops += !k;
            if (!strcmp(kind, "net")) net_case(name, &save, dt), nnets += !k;
            free(copy);
        }
    }
    free(line);
    fclose(f);
    CHECK(nops >= 23 && nnets >= 6);
    nb_memory_stats m = nb_memory_stats_get();
    CHECK(m.tensors_live == 0);
    return nb_test_done();
}
