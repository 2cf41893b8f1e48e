/* test_batchnorm.c — F.batch_norm, F.group_norm, nn.BatchNorm1d/2d and nn.GroupNorm against torch 1.13
 * (tests/golden/batchnorm.txt from tools/gen_golden_modules.py): outputs, the gradients of x, weight
 * and bias, and the running statistics after every step of train/eval sequences (momentum 0.1, 0.3,
 * 0.5, 0 and None, affine off, track_running_stats off), f32 and f64; the calls torch refuses; printing;
 * bitwise the same results at 1 and 2 threads; a steady train loop allocates nothing new. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXS 8
typedef struct {
    char name[24];
    nb_tensor *t;
} named;
typedef struct {
    char mode[8];
    nb_tensor *x, *out, *gout;
    int ngrad, nbuf;
    named grad[3], buf[3];
} gstep;
typedef struct {
    char name[48], kind[16], dt[4];
    int nargs, ninit, nsteps;
    char akey[8][16];
    double aval[8];
    named init[4];
    gstep step[MAXS];
} gcase;

static double arg(const gcase *c, const char *k, double def) {
    for (int i = 0; i < c->nargs; i++)
        if (!strcmp(c->akey[i], k)) return c->aval[i];
    return def;
}
static nb_tensor *find(const named *list, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i].name, name)) return list[i].t;
    return NULL;
}

static bool close_t(const char *what, const nb_tensor *a, const nb_tensor *b, double tol) {
    if (!a || !b || a->numel != b->numel || a->dtype != b->dtype) {
        fprintf(stderr, "  %s: %s\n", what, !a ? "missing" : "size or dtype differs");
        return false;
    }
    double *x = malloc(sizeof *x * (size_t)(a->numel + 1)), *y = malloc(sizeof *y * (size_t)(a->numel + 1));
    nb_to_doubles(a, x);
    nb_to_doubles(b, y);
    bool ok = true;
    for (int64_t i = 0; ok && i < a->numel; i++)
        if (!(fabs(x[i] - y[i]) <= tol * (1 + fabs(y[i])))) {
            fprintf(stderr, "  %s[%lld] = %.17g, torch %.17g\n", what, (long long)i, x[i], y[i]);
            ok = false;
        }
    free(x);
    free(y);
    return ok;
}

/* a persistent copy of t that requires grad (a leaf for F's weight / bias) */
static nb_tensor *leaf(const nb_tensor *t, bool rg) {
    nb_tensor *r = nb_zeros(t->dtype, t->ndim, t->shape);
    NB_NO_GRAD { nb_copy_(r, (nb_tensor *)t); }
    return rg ? nb_requires_grad_(r, true) : r;
}

static nb_module *make_module(const gcase *c) {
    int64_t C = (int64_t)arg(c, "C", 0);
    double mom = arg(c, "momentum", 0.1), eps = arg(c, "eps", 1e-5);
    nb_module *m;
    if (!strcmp(c->kind, "GroupNorm"))
        m = nb_group_norm_new((int64_t)arg(c, "groups", 1), C,
                              (nb_group_norm_layer_opts){ .eps = eps, .no_affine = !arg(c, "affine", 1) });
    else {
        nb_batch_norm_layer_opts o = { .eps = eps,
                                       .momentum = isnan(mom) ? 0 : mom,
                                       .cumulative_average = isnan(mom),
                                       .no_affine = !arg(c, "affine", 1),
                                       .no_track_running_stats = !arg(c, "track", 1) };
        m = !strcmp(c->kind, "BatchNorm1d") ? nb_batch_norm1d_new(C, o) : nb_batch_norm2d_new(C, o);
    }
    if (m && !strcmp(c->dt, "f64")) nb_module_to(m, NB_F64);
    for (int i = 0; m && i < c->ninit; i++) NB_NO_GRAD {
            nb_copy_(nb_module_get_parameter(m, c->init[i].name), c->init[i].t);
        }
    return m;
}

static bool run_case(const gcase *c) {
    double tol = !strcmp(c->dt, "f64") ? 1e-10 : 2e-5;
    bool functional = c->kind[0] == 'F' && strlen(c->kind) <= 2, ok = true;
    nb_module *m = functional ? NULL : make_module(c);
    if (!functional && !m) {
        fprintf(stderr, "  cannot build: %s\n", nb_error());
        return false;
    }
    nb_tensor *rm = NULL, *rv = NULL, *w = NULL, *b = NULL;
    if (functional) {
        nb_tensor *t;
        if ((t = find(c->init, c->ninit, "running_mean"))) rm = leaf(t, false);
        if ((t = find(c->init, c->ninit, "running_var"))) rv = leaf(t, false);
        if ((t = find(c->init, c->ninit, "weight"))) w = leaf(t, true);
        if ((t = find(c->init, c->ninit, "bias"))) b = leaf(t, true);
    } else {
        w = nb_module_get_parameter(m, "weight");
        b = nb_module_get_parameter(m, "bias");
        rm = nb_module_get_buffer(m, "running_mean");
        rv = nb_module_get_buffer(m, "running_var");
    }
    for (int s = 0; ok && s < c->nsteps; s++) {
        const gstep *st = &c->step[s];
        bool train = !strcmp(st->mode, "train");
        nb_scope sc = nb_scope_begin();
        nb_tensor *x = nb_requires_grad_(nb_clone(st->x), true), *y;
        if (!functional) {
            nb_module_train(m, train);
            y = nb_module_forward(m, x);
        } else if (!strcmp(c->kind, "FG")) {
            y = nb_group_norm(x, (int64_t)arg(c, "groups", 1), w, b, arg(c, "eps", 0));
        } else {
            double mom = arg(c, "momentum", 0.1);
            y = nb_batch_norm(x, rm, rv, w, b,
                              (nb_batch_norm_opts){ .training = train,
                                                    .momentum = mom == 0 ? -0.0 : mom,
                                                    .eps = arg(c, "eps", 0) });
        }
        ok = close_t("out", y, st->out, tol);
        ok = ok && nb_backward(nb_sum(nb_mul(y, st->gout))) == NB_OK;
        for (int i = 0; ok && i < st->ngrad; i++) {
            const char *n = st->grad[i].name;
            nb_tensor *p = !strcmp(n, "x") ? x : !strcmp(n, "weight") ? w : b;
            ok = close_t(n, p ? p->grad : NULL, st->grad[i].t, tol);
        }
        for (int i = 0; ok && i < st->nbuf; i++) {
            const char *n = st->buf[i].name;
            nb_tensor *t = !strcmp(n, "running_mean")  ? rm
                           : !strcmp(n, "running_var") ? rv
                                                       : nb_module_get_buffer(m, n);
            ok = close_t(n, t, st->buf[i].t, tol);
        }
        if (w) nb_zero_grad(w);
        if (b) nb_zero_grad(b);
        nb_scope_end(sc);
        if (!ok)
            fprintf(stderr, "  at step %d (%s)%s%s\n", s, st->mode, nb_error() ? ": " : "",
                    nb_error() ? nb_error() : "");
    }
    /* buffers the module must not have */
    if (m && !arg(c, "track", 1) && strcmp(c->kind, "GroupNorm"))
        ok = ok && !rm && !rv && !nb_module_get_buffer(m, "num_batches_tracked");
    if (functional) {
        nb_free(rm);
        nb_free(rv);
        nb_free(w);
        nb_free(b);
    }
    nb_module_free(m);
    return ok && !nb_error();
}

/* ---- the calls torch refuses ------------------------------------------------------------------------- */
static bool error_case(const char *id) {
    nb_scope s = nb_scope_begin();
    nb_tensor *x23 = nb_randn(NB_F32, NB_SHAPE(2, 3)), *r = NULL;
    nb_batch_norm_opts tr = { .training = true };
    nb_module *m = NULL;
    const char *fn = "nb_batch_norm";
    if (!strcmp(id, "eval_without_running"))
        r = nb_batch_norm(x23, NULL, NULL, NULL, NULL, (nb_batch_norm_opts){ 0 });
    else if (!strcmp(id, "train_one_value_per_channel"))
        r = nb_batch_norm(nb_randn(NB_F32, NB_SHAPE(1, 3)), NULL, NULL, NULL, NULL, tr);
    else if (!strcmp(id, "running_mean_size"))
        r = nb_batch_norm(x23, nb_zeros(NB_F32, NB_SHAPE(4)), nb_ones(NB_F32, NB_SHAPE(4)), NULL, NULL, tr);
    else if (!strcmp(id, "weight_size"))
        r = nb_batch_norm(x23, NULL, NULL, nb_ones(NB_F32, NB_SHAPE(2)), NULL, tr);
    else if (!strcmp(id, "input_1d"))
        r = nb_batch_norm(nb_randn(NB_F32, NB_SHAPE(3)), NULL, NULL, NULL, NULL, tr);
    else if (!strcmp(id, "int_input"))
        r = nb_batch_norm(nb_zeros(NB_I64, NB_SHAPE(2, 3)), NULL, NULL, NULL, NULL, tr);
    else if (!strcmp(id, "mixed_dtype"))
        r = nb_batch_norm(x23, nb_zeros(NB_F64, NB_SHAPE(3)), nb_ones(NB_F64, NB_SHAPE(3)), NULL, NULL,
                          (nb_batch_norm_opts){ 0 });
    else if (!strcmp(id, "bn2d_3d_input")) {
        m = nb_batch_norm2d_new(3, (nb_batch_norm_layer_opts){ 0 });
        fn = "nb_module_forward";
        r = nb_module_forward(m, nb_randn(NB_F32, NB_SHAPE(2, 3, 4)));
    } else if (!strcmp(id, "bn1d_4d_input")) {
        m = nb_batch_norm1d_new(3, (nb_batch_norm_layer_opts){ 0 });
        fn = "nb_module_forward";
        r = nb_module_forward(m, nb_randn(NB_F32, NB_SHAPE(2, 3, 4, 5)));
    } else if (!strcmp(id, "bn1d_wrong_channels")) {
        m = nb_batch_norm1d_new(3, (nb_batch_norm_layer_opts){ 0 });
        r = nb_module_forward(m, nb_randn(NB_F32, NB_SHAPE(2, 4)));
    } else if (!strcmp(id, "group_not_dividing")) {
        fn = "nb_group_norm";
        r = nb_group_norm(nb_randn(NB_F32, NB_SHAPE(2, 6, 3)), 4, NULL, NULL, 0);
    } else if (!strcmp(id, "groupnorm_new_not_dividing")) {
        fn = "nb_group_norm_new";
        m = nb_group_norm_new(4, 6, (nb_group_norm_layer_opts){ 0 });
        r = (nb_tensor *)m;
        m = NULL;
    } else if (!strcmp(id, "group_norm_1d")) {
        fn = "nb_group_norm";
        r = nb_group_norm(nb_randn(NB_F32, NB_SHAPE(6)), 2, NULL, NULL, 0);
    } else if (!strcmp(id, "groupnorm_wrong_channels")) {
        fn = "nb_module_forward";
        m = nb_group_norm_new(2, 4, (nb_group_norm_layer_opts){ 0 });
        r = nb_module_forward(m, nb_randn(NB_F32, NB_SHAPE(2, 6, 3)));
    } else {
        fprintf(stderr, "  unknown error id %s\n", id);
        nb_scope_end(s);
        return false;
    }
    bool ok = r == NULL && nb_error() && strstr(nb_error(), fn);
    if (!ok)
        fprintf(stderr, "  error %s: returned %p, error %s\n", id, (void *)r,
                nb_error() ? nb_error() : "none");
    nb_clear_error();
    nb_module_free(m);
    nb_scope_end(s);
    return ok;
}

static void free_case(gcase *c) {
    for (int i = 0; i < c->ninit; i++) nb_free(c->init[i].t);
    for (int s = 0; s < c->nsteps; s++) {
        gstep *st = &c->step[s];
        nb_free(st->x);
        nb_free(st->out);
        nb_free(st->gout);
        for (int i = 0; i < st->ngrad; i++) nb_free(st->grad[i].t);
        for (int i = 0; i < st->nbuf; i++) nb_free(st->buf[i].t);
    }
    memset(c, 0, sizeof *c);
}

static void run_golden(void) {
    FILE *f = tl_open_data("golden/batchnorm.txt");
    if (!f) {
        CHECK(!"golden/batchnorm.txt");
        return;
    }
    static gcase c;
    char *line = NULL;
    size_t cap = 0;
    int ncases = 0, nerr = 0;
    gstep *st = NULL;
    while (getline(&line, &cap, f) > 0) {
        char *save, *tok = strtok_r(line, " \n", &save);
        if (!tok || tok[0] == '#') continue;
        if (!strcmp(tok, "case")) {
            snprintf(c.name, sizeof c.name, "%s", strtok_r(NULL, " \n", &save));
            snprintf(c.kind, sizeof c.kind, "%s", strtok_r(NULL, " \n", &save));
            snprintf(c.dt, sizeof c.dt, "%s", strtok_r(NULL, " \n", &save));
        } else if (!strcmp(tok, "arg")) {
            snprintf(c.akey[c.nargs], sizeof c.akey[0], "%s", strtok_r(NULL, " \n", &save));
            c.aval[c.nargs++] = strtod(strtok_r(NULL, " \n", &save), NULL);
        } else if (!strcmp(tok, "init")) {
            named *n = &c.init[c.ninit++];
            snprintf(n->name, sizeof n->name, "%s", strtok_r(NULL, " \n", &save));
            n->t = tl_parse_tensor(&save);
        } else if (!strcmp(tok, "step")) {
            st = &c.step[c.nsteps++];
            snprintf(st->mode, sizeof st->mode, "%s", strtok_r(NULL, " \n", &save));
        } else if (!strcmp(tok, "in")) {
            strtok_r(NULL, " \n", &save);
            st->x = tl_parse_tensor(&save);
        } else if (!strcmp(tok, "out"))
            st->out = tl_parse_tensor(&save);
        else if (!strcmp(tok, "gout"))
            st->gout = tl_parse_tensor(&save);
        else if (!strcmp(tok, "grad") || !strcmp(tok, "buf")) {
            named *n = tok[0] == 'g' ? &st->grad[st->ngrad++] : &st->buf[st->nbuf++];
            snprintf(n->name, sizeof n->name, "%s", strtok_r(NULL, " \n", &save));
            n->t = tl_parse_tensor(&save);
        } else if (!strcmp(tok, "end")) {
            bool ok = run_case(&c);
            if (!ok) fprintf(stderr, "FAIL case %s\n", c.name);
            CHECK(ok);
            nb_clear_error();
            ncases++;
            free_case(&c);
        } else if (!strcmp(tok, "error")) {
            CHECK(error_case(strtok_r(NULL, " \n", &save)));
            nerr++;
        }
    }
    free(line);
    fclose(f);
    printf("%d golden cases, %d error cases\n", ncases, nerr);
    CHECK(ncases >= 38 && nerr >= 14);
}

/* ---- printing, threads, memory ------------------------------------------------------------------------ */
static void test_print(void) {
    nb_module *m = nb_sequential_new(
        4, nb_batch_norm2d_new(3, (nb_batch_norm_layer_opts){ 0 }),
        nb_batch_norm1d_new(4, (nb_batch_norm_layer_opts){ .cumulative_average = true,
                                                           .no_affine = true,
                                                           .no_track_running_stats = true }),
        nb_group_norm_new(2, 4, (nb_group_norm_layer_opts){ 0 }),
        nb_group_norm_new(2, 4, (nb_group_norm_layer_opts){ .no_affine = true, .eps = 1e-3 }));
    const char *want =
        "Sequential(\n  (0): BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "  (1): BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, track_running_stats=False)\n"
        "  (2): GroupNorm(2, 4, eps=1e-05, affine=True)\n  (3): GroupNorm(2, 4, eps=0.001, "
        "affine=False)\n)\n";
    char buf[1024] = { 0 };
    FILE *f = tmpfile();
    nb_module_fprint(f, m);
    rewind(f);
    CHECK(fread(buf, 1, sizeof buf - 1, f) > 0);
    fclose(f);
    CHECK(!strcmp(buf, want));
    if (strcmp(buf, want)) fprintf(stderr, "got:\n%s", buf);
    /* state dict names as torch's (Sequential(BatchNorm2d(3), ...)) */
    nb_state_dict sd = nb_module_state_dict(m);
    const char *names[] = { "0.weight", "0.bias", "0.running_mean", "0.running_var", "0.num_batches_tracked",
                            "2.weight", "2.bias" };
    CHECK(sd.n == 7);
    for (int i = 0; i < sd.n && i < 7; i++) CHECK(!strcmp(sd.names[i], names[i]));
    nb_state_dict_free(&sd);
    int n;
    nb_module_parameters(m, &n);
    CHECK(n == 4);
    nb_module_free(m);
    /* torch's grad_fn names (train and eval batch norm, group norm) */
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_requires_grad_(nb_randn(NB_F32, NB_SHAPE(4, 4, 3)), true);
    nb_tensor *rm = nb_zeros(NB_F32, NB_SHAPE(4)), *rv = nb_ones(NB_F32, NB_SHAPE(4));
    const char *a = nb_grad_fn_name(
        nb_batch_norm(x, rm, rv, NULL, NULL, (nb_batch_norm_opts){ .training = true }));
    const char *b = nb_grad_fn_name(nb_batch_norm(x, rm, rv, NULL, NULL, (nb_batch_norm_opts){ 0 }));
    const char *c = nb_grad_fn_name(
        nb_group_norm(x, 2, nb_ones(NB_F32, NB_SHAPE(4)), nb_zeros(NB_F32, NB_SHAPE(4)), 0));
    CHECK(a && !strcmp(a, "NativeBatchNormBackward0") && b && !strcmp(b, "NativeBatchNormBackward0"));
    CHECK(c && !strcmp(c, "NativeGroupNormBackward0"));
    nb_scope_end(s);
}

/* a few train steps at the current thread count (output grads, weight grad, running_var as doubles):
 * BatchNorm2d (long rows, OpenMP over channels) or BatchNorm1d on (N, C) (the column path) */
static void train_steps(bool two_d, double *out, int64_t *count) {
    nb_manual_seed(5);
    int64_t C = two_d ? 8 : 256;
    nb_module *m = two_d ? nb_batch_norm2d_new(C, (nb_batch_norm_layer_opts){ 0 })
                         : nb_batch_norm1d_new(C, (nb_batch_norm_layer_opts){ 0 });
    /* 73728 and 131072 elements: above the threading threshold */
    nb_tensor *x = two_d ? nb_randn(NB_F32, NB_SHAPE(16, 8, 24, 24)) : nb_randn(NB_F32, NB_SHAPE(512, 256));
    for (int s = 0; s < 3; s++) {
        nb_scope sc = nb_scope_begin();
        nb_tensor *xr = nb_requires_grad_(nb_clone(x), true);
        nb_tensor *y = nb_module_forward(m, xr);
        nb_backward(nb_sum(nb_mul(y, y)));
        if (s == 2) {
            nb_to_doubles(xr->grad, out);
            nb_to_doubles(nb_module_get_parameter(m, "weight")->grad, out + x->numel);
            nb_to_doubles(nb_module_get_buffer(m, "running_var"), out + x->numel + C);
        }
        nb_module_zero_grad(m);
        nb_scope_end(sc);
    }
    *count = (int64_t)nb_item(nb_module_get_buffer(m, "num_batches_tracked"));
    nb_free(x);
    nb_module_free(m);
}
static void test_threads_bitwise(void) {
    for (int k = 0; k < 2; k++) {
        int64_t n = k ? 16 * 8 * 24 * 24 + 16 : 512 * 256 + 512, c1, c2;
        double *a = malloc(sizeof *a * (size_t)n), *b = malloc(sizeof *b * (size_t)n);
        nb_set_num_threads(1);
        train_steps(k, a, &c1);
        nb_set_num_threads(2);
        train_steps(k, b, &c2);
        nb_set_num_threads(0);
        CHECK(c1 == 3 && c2 == 3);
        CHECK(memcmp(a, b, sizeof *a * (size_t)n) == 0);
        free(a);
        free(b);
    }
}

static void test_steady_memory(void) {
    nb_module *m = nb_sequential_new(2, nb_batch_norm1d_new(6, (nb_batch_norm_layer_opts){ 0 }),
                                     nb_linear_new(6, 2, true));
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(10, 6));
    size_t allocs = 0;
    for (int s = 0; s < 5; s++) {
        if (s == 2) allocs = nb_memory_stats_get().system_allocs;
        nb_scope sc = nb_scope_begin();
        nb_backward(nb_mean(nb_module_forward(m, x)));
        nb_module_zero_grad(m);
        nb_scope_end(sc);
    }
    CHECK(nb_memory_stats_get().system_allocs == allocs);
    /* eval forward, f64 conversion of the buffers (the counter stays i64) */
    nb_module_eval(m);
    CHECK(nb_module_to(m, NB_F64) == NB_OK &&
          nb_module_get_buffer(m, "0.num_batches_tracked")->dtype == NB_I64);
    CHECK(nb_item(nb_module_get_buffer(m, "0.num_batches_tracked")) == 5);
    nb_scope sc = nb_scope_begin();
    CHECK(nb_module_forward(m, nb_to(x, NB_F64)) != NULL);
    nb_scope_end(sc);
    nb_free(x);
    nb_module_free(m);
}

/* ---- a torch-made checkpoint with buffers (tools/gen_checkpoint_bn.py) ----------------------------------
 */
static nb_module *bn_net(void) {
    return nb_sequential_new(7, nb_batch_norm2d_new(2, (nb_batch_norm_layer_opts){ 0 }),
                             nb_flatten_new(1, -1), nb_linear_new(72, 16, true),
                             nb_batch_norm1d_new(16, (nb_batch_norm_layer_opts){ 0 }), nb_relu_new(),
                             nb_linear_new(16, 10, true), nb_log_softmax_new(1));
}
static void test_torch_checkpoint(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char net[1024], iop[1024];
    snprintf(net, sizeof net, "%s/data/torch_bn_net.safetensors", dir ? dir : "tests");
    snprintf(iop, sizeof iop, "%s/data/torch_bn_io.safetensors", dir ? dir : "tests");
    nb_module *m = bn_net();
    nb_state_dict sd = nb_module_state_dict(m), io = { 0 };
    CHECK(sd.n == 14 && !strcmp(sd.names[4], "0.num_batches_tracked") &&
          !strcmp(sd.names[11], "3.num_batches_tracked"));
    CHECK(nb_load_safetensors(&sd, net) == NB_OK); /* strict: same names, dtypes, shapes */
    CHECK(nb_safetensors_read(iop, &io) == NB_OK);
    CHECK(nb_item(nb_module_get_buffer(m, "3.num_batches_tracked")) == 5);
    nb_tensor *x = nb_state_dict_get(&io, "x");
    nb_scope s = nb_scope_begin();
    nb_module_eval(m);
    CHECK(close_t("eval", nb_module_forward(m, x), nb_state_dict_get(&io, "eval_logp"), 2e-5));
    /* identical predictions */
    CHECK(close_t("argmax", nb_argmax(nb_module_forward(m, x), 1, false),
                  nb_argmax(nb_state_dict_get(&io, "eval_logp"), 1, false), 0));
    nb_module_train(m, true);
    nb_tensor *y;
    NB_NO_GRAD { y = nb_module_forward(m, x); }
    CHECK(close_t("train", y, nb_state_dict_get(&io, "train_logp"), 2e-5));
    nb_state_dict bufs = nb_module_named_buffers(m);
    CHECK(bufs.n == 6);
    for (int i = 0; i < bufs.n; i++) {
        char key[96];
        snprintf(key, sizeof key, "after.%s", bufs.names[i]);
        CHECK(close_t(key, bufs.tensors[i], nb_state_dict_get(&io, key), 2e-6));
    }
    nb_state_dict_free(&bufs);
    nb_scope_end(s);
    /* nabla -> file -> nabla: a fresh model reproduces the updated one */
    char path[] = "/tmp/nb_test_bn_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    CHECK(nb_save_safetensors(&sd, path) == NB_OK);
    nb_module *m2 = bn_net();
    nb_state_dict sd2 = nb_module_state_dict(m2);
    CHECK(nb_load_safetensors(&sd2, path) == NB_OK);
    for (int i = 0; i < sd.n; i++) CHECK(close_t(sd.names[i], sd2.tensors[i], sd.tensors[i], 0));
    nb_module_eval(m);
    nb_module_eval(m2);
    nb_scope s2 = nb_scope_begin();
    CHECK(close_t("round trip", nb_module_forward(m2, x), nb_module_forward(m, x), 0));
    nb_scope_end(s2);
    remove(path);
    nb_state_dict_free(&sd2);
    nb_state_dict_free(&sd);
    nb_safetensors_free(&io);
    nb_module_free(m2);
    nb_module_free(m);
}

int main(void) {
    run_golden();
    test_print();
    test_torch_checkpoint();
    test_threads_bitwise();
    test_steady_memory();
    CHECK(!nb_error());
    return nb_test_done();
}
