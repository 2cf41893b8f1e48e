/* test_nn_golden.c — every loss (all reductions and options) and every layer against PyTorch:
 * forward values and the gradients of sum(out * gout) w.r.t. each input, from tests/golden/nn.txt
 * (tools/gen_golden_nn.py). Every f64 case is also gradchecked and gradgradchecked (finite
 * differences on the first and second derivatives). Two training runs (SGD, Adam) from torch's
 * initial weights must follow torch's loss trajectory step for step. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

#define MAXN 8
typedef struct {
    char name[32];
    int rg;
    nb_tensor *t;
} named;
typedef struct {
    char kind[8], name[48], dt[4], red[8];
    int nargs, nin, ngrad;
    char akey[MAXN][24];
    double aval[MAXN];
    named in[MAXN], grad[MAXN];
    nb_tensor *out, *gout;
} gcase;

static double arg(const gcase *c, const char *k, double def) {
    for (int i = 0; i < c->nargs; i++)
        if (!strcmp(c->akey[i], k)) return c->aval[i];
    return def;
}
static nb_tensor *input(const gcase *c, nb_tensor *const *x, const char *name) {
    for (int i = 0; i < c->nin; i++)
        if (!strcmp(c->in[i].name, name)) return x[i];
    return NULL;
}
static nb_reduction red(const gcase *c) {
    return !strcmp(c->red, "sum")    ? NB_REDUCTION_SUM
           : !strcmp(c->red, "none") ? NB_REDUCTION_NONE
                                     : NB_REDUCTION_MEAN;
}

/* the loss named by the case, on inputs x (parallel to c->in) */
static nb_tensor *run_loss(const gcase *c, nb_tensor *const *x) {
    nb_tensor *a = input(c, x, "x"), *y = input(c, x, "y"), *w = input(c, x, "weight");
    nb_reduction r = red(c);
    const char *n = c->name;
    if (!strcmp(n, "mse_loss")) return nb_mse_loss(a, y, (nb_loss_opts){ r });
    if (!strcmp(n, "l1_loss")) return nb_l1_loss(a, y, (nb_loss_opts){ r });
    if (!strcmp(n, "smooth_l1_loss"))
        return nb_smooth_l1_loss(a, y, (nb_smooth_l1_opts){ r, arg(c, "beta", 0) });
    if (!strcmp(n, "huber_loss")) return nb_huber_loss(a, y, (nb_huber_opts){ r, arg(c, "delta", 0) });
    if (!strcmp(n, "binary_cross_entropy")) return nb_binary_cross_entropy(a, y, (nb_bce_opts){ r, w });
    if (!strcmp(n, "binary_cross_entropy_with_logits"))
        return nb_binary_cross_entropy_with_logits(a, y,
                                                   (nb_bce_logits_opts){ r, w, input(c, x, "pos_weight") });
    bool has_ig = arg(c, "ignore_index", -100) != -100;
    int64_t ig = (int64_t)arg(c, "ignore_index", -100);
    if (!strcmp(n, "cross_entropy"))
        return nb_cross_entropy(a, y,
                                (nb_cross_entropy_opts){ .reduction = r,
                                                         .weight = w,
                                                         .has_ignore_index = has_ig,
                                                         .ignore_index = ig,
                                                         .label_smoothing = arg(c, "label_smoothing", 0) });
    if (!strcmp(n, "nll_loss"))
        return nb_nll_loss(a, y,
                           (nb_nll_loss_opts){
                               .reduction = r, .weight = w, .has_ignore_index = has_ig, .ignore_index = ig });
    if (!strcmp(n, "hinge_embedding_loss"))
        return nb_hinge_embedding_loss(a, y, (nb_hinge_embedding_opts){ r, arg(c, "margin", 0) });
    if (!strcmp(n, "multi_margin_loss"))
        return nb_multi_margin_loss(a, y,
                                    (nb_multi_margin_opts){ r, (int)arg(c, "p", 0), arg(c, "margin", 0), w });
    fprintf(stderr, "unknown loss %s\n", n);
    return NULL;
}

/* the module named by the case (parameters set from the case's inputs), in the case's dtype */
static nb_module *make_layer(const gcase *c) {
    const char *n = c->name;
    nb_module *m = NULL;
    if (!strcmp(n, "linear"))
        m = nb_linear_new((int64_t)arg(c, "in", 1), (int64_t)arg(c, "out", 1), arg(c, "bias", 1) != 0);
    else if (!strcmp(n, "mlp")) {
        int64_t i = c->in[1].t->shape[1], h = c->in[1].t->shape[0], o = c->in[3].t->shape[0];
        m = nb_sequential_new(3, nb_linear_new(i, h, true), nb_relu_new(), nb_linear_new(h, o, true));
    } else if (!strcmp(n, "relu"))
        m = nb_relu_new();
    else if (!strcmp(n, "leaky_relu"))
        m = nb_leaky_relu_new(arg(c, "slope", 0.01));
    else if (!strcmp(n, "sigmoid"))
        m = nb_sigmoid_new();
    else if (!strcmp(n, "tanh"))
        m = nb_tanh_new();
    else if (!strcmp(n, "gelu"))
        m = nb_gelu_new(arg(c, "tanh", 0) != 0);
    else if (!strcmp(n, "softmax"))
        m = nb_softmax_new((int)arg(c, "dim", 0));
    else if (!strcmp(n, "log_softmax"))
        m = nb_log_softmax_new((int)arg(c, "dim", 0));
    else if (!strcmp(n, "flatten"))
        m = nb_flatten_new((int)arg(c, "start", 1), (int)arg(c, "end", -1));
    else if (!strcmp(n, "layer_norm")) {
        int nd = (int)arg(c, "nd", 1);
        const nb_tensor *x = c->in[0].t;
        m = nb_layer_norm_new(nd, x->shape + x->ndim - nd, arg(c, "eps", 0), arg(c, "affine", 1) != 0);
    } else if (!strcmp(n, "embedding"))
        m = nb_embedding_new((int64_t)arg(c, "num", 1), (int64_t)arg(c, "dim", 1));
    if (!m) {
        fprintf(stderr, "layer %s: %s\n", n, nb_error() ? nb_error() : "unknown");
        return NULL;
    }
    if (nb_module_to(m, !strcmp(c->dt, "f64") ? NB_F64 : NB_F32) != NB_OK) {
        nb_module_free(m);
        return NULL;
    }
    for (int i = 1; i < c->nin; i++) {
        nb_tensor *p = nb_module_get_parameter(m, c->in[i].name);
        if (!p) {
            fprintf(stderr, "layer %s: no parameter %s\n", n, c->in[i].name);
            nb_module_free(m);
            return NULL;
        }
        NB_NO_GRAD { nb_copy_(p, c->in[i].t); }
    }
    return m;
}

static bool close_all(const nb_tensor *t, const nb_tensor *want, double tol) {
    if (!t || t->numel != want->numel || t->ndim != want->ndim) return false;
    for (int i = 0; i < t->ndim; i++)
        if (t->shape[i] != want->shape[i]) return false;
    double *a = malloc(sizeof *a * (size_t)(t->numel + 1)), *b = malloc(sizeof *b * (size_t)(t->numel + 1));
    nb_to_doubles(t, a);
    nb_to_doubles(want, b);
    bool ok = true;
    for (int64_t i = 0; i < t->numel; i++) {
        bool same_nan = isnan(a[i]) && isnan(b[i]);
        if (!same_nan && !(fabs(a[i] - b[i]) <= tol * (1 + fabs(b[i])))) {
            fprintf(stderr, "  [%lld] got %.17g want %.17g\n", (long long)i, a[i], b[i]);
            ok = false;
            break;
        }
    }
    free(a);
    free(b);
    return ok;
}

/* case train: the MLP from the case's initial parameters, trained on batches in order; the loss of
 * every step must follow torch's trajectory */
static void run_train(const gcase *c, int idx) {
    char what[96];
    snprintf(what, sizeof what, "#%d train mlp %s", idx, arg(c, "opt", 0) ? "adam" : "sgd");
    nb_tensor *x = c->in[0].t, *y = c->in[1].t;
    nb_module *m = nb_sequential_new(5, nb_linear_new(20, 32, true), nb_relu_new(),
                                     nb_linear_new(32, 32, true), nb_relu_new(), nb_linear_new(32, 5, true));
    for (int i = 2; m && i < c->nin; i++) {
        nb_tensor *p = nb_module_get_parameter(m, c->in[i].name);
        if (p) NB_NO_GRAD {
                nb_copy_(p, c->in[i].t);
            }
    }
    int np = 0;
    nb_tensor **p = nb_module_parameters(m, &np);
    double lr = arg(c, "lr", 0);
    nb_optimizer *opt = arg(c, "opt", 0) ? nb_adam(p, np, (nb_adam_opts){ .lr = lr })
                                         : nb_sgd(p, np, (nb_sgd_opts){ .lr = lr });
    int steps = (int)arg(c, "steps", 0), batch = (int)arg(c, "batch", 1);
    nb_tensor *losses = nb_zeros(NB_F64, 1, (int64_t[]){ steps });
    bool ok = m && opt && losses;
    for (int it = 0; ok && it < steps; it++) {
        nb_scope s = nb_scope_begin();
        int64_t i = ((int64_t)it * batch) % x->shape[0];
        nb_tensor *loss = nb_cross_entropy(nb_module_forward(m, nb_narrow(x, 0, i, batch)),
                                           nb_narrow(y, 0, i, batch), (nb_cross_entropy_opts){ 0 });
        ok = nb_backward(loss) == NB_OK && nb_optim_step(opt) == NB_OK;
        nb_optim_zero_grad(opt);
        if (ok) nb_data_f64(losses)[it] = nb_item(loss);
        nb_scope_end(s);
    }
    if (!ok) fprintf(stderr, "%s: %s\n", what, nb_error() ? nb_error() : "setup failed");
    ok = ok && close_all(losses, c->out, 2e-5);
    tl_check(ok, what, __FILE__, __LINE__);
    nb_clear_error();
    nb_free(losses);
    nb_optim_free(opt);
    nb_module_free(m);
}

typedef struct {
    const gcase *c;
    nb_module *m;
} gctx;
static nb_tensor *gc_fn(nb_tensor *const *x, int n, void *ctx) {
    (void)n;
    gctx *g = ctx;
    return g->m ? nb_module_forward(g->m, x[0]) : run_loss(g->c, x);
}

static void run_case(const gcase *c, int idx) {
    if (!strcmp(c->kind, "train")) {
        run_train(c, idx);
        return;
    }
    char what[160];
    snprintf(what, sizeof what, "#%d %s %s %s %s", idx, c->kind, c->name, c->dt, c->red);
    bool layer = !strcmp(c->kind, "layer");
    nb_module *m = layer ? make_layer(c) : NULL;
    if (layer && !m) {
        tl_check(0, what, __FILE__, __LINE__);
        nb_clear_error();
        return;
    }
    nb_tensor *x[MAXN], *wrt[MAXN];
    for (int i = 0; i < c->nin; i++) x[i] = c->in[i].t;
    if (c->in[0].rg) nb_requires_grad_(x[0], true);
    if (!layer)
        for (int i = 1; i < c->nin; i++)
            if (c->in[i].rg) nb_requires_grad_(x[i], true);
    nb_scope s = nb_scope_begin();
    nb_tensor *out = layer ? nb_module_forward(m, x[0]) : run_loss(c, x);
    bool ok = out != NULL;
    if (!ok) fprintf(stderr, "%s: %s\n", what, nb_error());
    double tol = !strcmp(c->dt, "f64") ? 1e-10 : 2e-5;
    if (ok && !close_all(out, c->out, tol)) {
        fprintf(stderr, "%s: forward differs\n", what);
        ok = false;
    }
    int nw = 0;
    for (int i = 0; i < c->ngrad; i++) {
        nb_tensor *t = NULL;
        for (int j = 0; j < c->nin; j++)
            if (!strcmp(c->in[j].name, c->grad[i].name))
                t = j == 0 || !layer ? x[j] : nb_module_get_parameter(m, c->grad[i].name);
        wrt[nw++] = t;
    }
    if (ok && nw) {
        nb_tensor *gs[MAXN] = { 0 };
        nb_tensor *obj = nb_sum(nb_mul(out, c->gout));
        if (nb_grad(1, &obj, nw, wrt, NULL, gs, (nb_grad_opts){ .allow_unused = true }) != NB_OK) {
            fprintf(stderr, "%s: grad failed: %s\n", what, nb_error());
            ok = false;
        }
        for (int i = 0; ok && i < nw; i++) {
            nb_tensor *g = gs[i] ? gs[i] : nb_zeros_like(wrt[i]);
            if (!close_all(g, c->grad[i].t, tol * 5)) {
                fprintf(stderr, "%s: grad %s differs\n", what, c->grad[i].name);
                ok = false;
            }
        }
    }
    nb_scope_end(s);
    tl_check(ok, what, __FILE__, __LINE__);
    nb_clear_error();
    /* gradcheck every f64 case (relu-like layers have a kink at the 0 the case holds: skip them) */
    bool kink = layer &&
                (!strcmp(c->name, "relu") || !strcmp(c->name, "leaky_relu") || !strcmp(c->name, "mlp"));
    if (!strcmp(c->dt, "f64") && nw && !kink && (!layer || c->in[0].rg)) {
        gctx g = { c, m };
        bool gok = nb_gradcheck(gc_fn, &g, layer ? 1 : c->nin, x,
                                (nb_gradcheck_opts){ .atol = 1e-6, .rtol = 1e-4 });
        snprintf(what, sizeof what, "gradcheck #%d %s %s %s", idx, c->kind, c->name, c->red);
        tl_check(gok, what, __FILE__, __LINE__);
        nb_clear_error();
        /* losses and layers are written with differentiable ops: second derivatives too */
        gok = nb_gradgradcheck(gc_fn, &g, layer ? 1 : c->nin, x,
                               (nb_gradcheck_opts){ .atol = 1e-5, .rtol = 1e-3 });
        snprintf(what, sizeof what, "gradgradcheck #%d %s %s %s", idx, c->kind, c->name, c->red);
        tl_check(gok, what, __FILE__, __LINE__);
        nb_clear_error();
    }
    nb_module_free(m);
}

static void free_case(gcase *c) {
    for (int i = 0; i < c->nin; i++) nb_free(c->in[i].t);
    for (int i = 0; i < c->ngrad; i++) nb_free(c->grad[i].t);
    nb_free(c->out);
    nb_free(c->gout);
    memset(c, 0, sizeof *c);
}

int main(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/golden/nn.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    gcase c = { 0 };
    int ncases = 0;
    while (getline(&line, &cap, f) > 0) {
        char *save, *tok = strtok_r(line, " \n", &save);
        if (!tok || tok[0] == '#') continue;
        if (!strcmp(tok, "case")) {
            snprintf(c.kind, sizeof c.kind, "%s", strtok_r(NULL, " \n", &save));
            snprintf(c.name, sizeof c.name, "%s", strtok_r(NULL, " \n", &save));
            snprintf(c.dt, sizeof c.dt, "%s", strtok_r(NULL, " \n", &save));
            snprintf(c.red, sizeof c.red, "%s", strtok_r(NULL, " \n", &save));
        } else if (!strcmp(tok, "arg")) {
            snprintf(c.akey[c.nargs], sizeof c.akey[0], "%s", strtok_r(NULL, " \n", &save));
            c.aval[c.nargs++] = strtod(strtok_r(NULL, " \n", &save), NULL);
        } else if (!strcmp(tok, "in")) {
            named *n = &c.in[c.nin++];
            snprintf(n->name, sizeof n->name, "%s", strtok_r(NULL, " \n", &save));
            n->rg = atoi(strtok_r(NULL, " \n", &save));
            n->t = tl_parse_tensor(&save);
        } else if (!strcmp(tok, "out"))
            c.out = tl_parse_tensor(&save);
        else if (!strcmp(tok, "gout"))
            c.gout = tl_parse_tensor(&save);
        else if (!strcmp(tok, "grad")) {
            named *n = &c.grad[c.ngrad++];
            snprintf(n->name, sizeof n->name, "%s", strtok_r(NULL, " \n", &save));
            n->t = tl_parse_tensor(&save);
        } else if (!strcmp(tok, "end")) {
            run_case(&c, ncases++);
            free_case(&c);
        }
    }
    free(line);
    fclose(f);
    printf("%d golden cases\n", ncases);
    CHECK(ncases > 400);
    return nb_test_done();
}
