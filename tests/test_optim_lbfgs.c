/* test_optim_lbfgs.c — L-BFGS against torch's iterates on Rosenbrock
 * ($NB_TEST_DATA/golden/optim_lbfgs.txt): strong-Wolfe and fixed-step runs, 2-D and 6-D, history
 * sizes 100, 3 and 4, f64 and f32; the loss returned by each step and the parameters after it within
 * 1e-10 (bit-exact with analytic gradients: torch's scalar typing, fma and summation order are mirrored;
 * 1e-9 when the gradient comes from autograd). */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    nb_tensor *x;
    nb_optimizer *opt;
    int evals;
    bool manual;
} ctx;

/* sum 100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2 */
static nb_tensor *rosen(nb_tensor *x) {
    int64_t n = x->numel;
    nb_tensor *a = nb_narrow(x, 0, 0, n - 1), *b = nb_narrow(x, 0, 1, n - 1);
    nb_tensor *d = nb_sub(b, nb_mul(a, a));
    nb_tensor *e = nb_rsub_scalar(a, 1);
    return nb_sum(nb_add(nb_mul_scalar(nb_pow_scalar(d, 2), 100), nb_pow_scalar(e, 2)));
}

/* GCC 12 at -O3 -march=native turns the analytic-gradient loop below into vfmaddsub (a fused
 * multiply-add, even with -ffp-contract=off), which changes the last bit of the gradient; keep
 * that loop scalar so nabla and the generator see the same numbers. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-tree-slp-vectorize", "no-tree-vectorize")
#endif
static double closure(void *p) {
    ctx *c = p;
    c->evals++;
    nb_optim_zero_grad(c->opt);
    if (c->manual) { /* the analytic gradient, same loop as the generator's rosen_manual */
        int64_t n = c->x->numel;
        double x[16], f = 0, g[16] = { 0 };
        nb_to_doubles(c->x, x);
        for (int64_t i = 0; i < n - 1; i++) {
            double d = x[i + 1] - x[i] * x[i], e = 1 - x[i];
            f += 100 * d * d + e * e;
            g[i] += -400 * x[i] * d - 2 * e;
            g[i + 1] += 200 * d;
        }
        if (c->x->dtype == NB_F32) { /* as torch.tensor(g, dtype=float32) */
            float gf[16];
            for (int64_t i = 0; i < n; i++) gf[i] = (float)g[i];
            c->x->grad = nb_tensor_from(NB_F32, gf, NB_SHAPE(n), false);
            return (float)f;
        }
        c->x->grad = nb_tensor_from(NB_F64, g, NB_SHAPE(n), false);
        return f;
    }
    nb_scope s = nb_scope_begin();
    nb_tensor *l = rosen(c->x);
    double v = nb_backward(l) == NB_OK ? nb_item(l) : NAN;
    nb_scope_end(s);
    return v;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

static nb_tensor *rosen_fn(void *x) { return rosen((nb_tensor *)x); }

static void parse_kw(char *s, nb_lbfgs_opts *o) {
    for (char *tok = strtok(s, " \n"); tok; tok = strtok(NULL, " \n")) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = 0;
        if (!strcmp(tok, "grad"))
            continue;
        else if (!strcmp(tok, "line_search_fn"))
            o->line_search_fn = NB_LINE_SEARCH_STRONG_WOLFE;
        else if (!strcmp(tok, "history_size"))
            o->history_size = atoi(eq + 1);
        else if (!strcmp(tok, "max_iter"))
            o->max_iter = atoi(eq + 1);
        else if (!strcmp(tok, "lr"))
            o->lr = atof(eq + 1);
        else
            fprintf(stderr, "unknown option %s\n", tok);
    }
}

int main(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024], line[4096];
    snprintf(path, sizeof path, "%s/golden/optim_lbfgs.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s (set NB_TEST_DATA to the tests/ directory)\n", path);
        return 1;
    }
    int ncases = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        int n, steps, used = 0;
        if (sscanf(line, "lbfgs %63s %d %d %n", name, &n, &steps, &used) != 3) continue;
        nb_lbfgs_opts o = { 0 };
        bool manual = strstr(line + used, "grad=manual") != NULL;
        parse_kw(line + used, &o);
        double x0[16], want[17], got[16];
        if (!fgets(line, sizeof line, f)) break;
        char *q = line + 3;
        for (int i = 0; i < n; i++) x0[i] = strtod(q, &q);
        ctx c = { nb_tensor_from(NB_F64, x0, NB_SHAPE(n), true), NULL, 0, manual };
        if (!strncmp(name, "f32", 3)) { /* float32 parameters */
            nb_tensor *x32 = NULL;
            NB_NO_GRAD { x32 = nb_to(c.x, NB_F32); }
            nb_free(c.x);
            c.x = nb_requires_grad_(x32, true);
        }
        c.opt = nb_lbfgs(&c.x, 1, o);
        /* autograd cases: nabla's and torch's autograd round the Rosenbrock gradient differently in
         * the last bit, which the line search amplifies a little; analytic cases are bit-exact */
        double tol = manual ? 1e-10 : 1e-9;
        double worst = 0;
        int bad = -1;
        for (int s = 0; s < steps; s++) {
            double loss = NAN;
            CHECK(nb_optim_step_closure(c.opt, closure, &c, &loss) == NB_OK);
            if (!fgets(line, sizeof line, f)) break;
            q = line;
            for (int i = 0; i <= n; i++) want[i] = strtod(q, &q);
            nb_to_doubles(c.x, got);
            double e = fabs(loss - want[0]) / (1 + fabs(want[0]));
            for (int i = 0; i < n; i++) e = fmax(e, fabs(got[i] - want[i + 1]) / (1 + fabs(want[i + 1])));
            if (!(e <= worst)) worst = e;
            if (!(e <= tol) && bad < 0) {
                bad = s;
                fprintf(stderr, "  %s step %d: loss %.17g vs torch %.17g, x0 %.17g vs %.17g\n", name, s + 1,
                        loss, want[0], got[0], want[1]);
            }
        }
        if (!CHECK(bad < 0))
            fprintf(stderr, "  lbfgs %s: max rel error %.3g, first bad step %d\n", name, worst, bad + 1);
        else
            printf("lbfgs %s: %d closure calls, max rel error %.3g\n", name, c.evals, worst);
        nb_optim_free(c.opt);
        nb_free(c.x);
        ncases++;
    }
    fclose(f);
    CHECK(ncases == 10);
    /* nb_optim_step_loss (a loss graph instead of a closure) takes the same steps */
    {
        double x0[2] = { -1.5, 2.0 };
        ctx a = { nb_tensor_from(NB_F64, x0, NB_SHAPE(2), true), NULL, 0, false };
        ctx b = { nb_tensor_from(NB_F64, x0, NB_SHAPE(2), true), NULL, 0, false };
        a.opt = nb_lbfgs(&a.x, 1, (nb_lbfgs_opts){ .line_search_fn = NB_LINE_SEARCH_STRONG_WOLFE });
        b.opt = nb_lbfgs(&b.x, 1, (nb_lbfgs_opts){ .line_search_fn = NB_LINE_SEARCH_STRONG_WOLFE });
        double la = 0, lb = 0;
        for (int i = 0; i < 3; i++) {
            CHECK(nb_optim_step_closure(a.opt, closure, &a, &la) == NB_OK);
            CHECK(nb_optim_step_loss(b.opt, rosen_fn, b.x, &lb) == NB_OK);
            CHECK(la == lb);
        }
        CHECK(nb_data_f64(a.x)[0] == nb_data_f64(b.x)[0] && nb_data_f64(a.x)[1] == nb_data_f64(b.x)[1]);
        nb_optim_free(a.opt);
        nb_optim_free(b.opt);
        nb_free(a.x);
        nb_free(b.x);
    }
    /* L-BFGS needs a closure; one group only */
    nb_tensor *x = nb_zeros(NB_F64, NB_SHAPE(2));
    nb_requires_grad_(x, true);
    nb_optimizer *opt = nb_lbfgs(&x, 1, (nb_lbfgs_opts){ 0 });
    CHECK(nb_optim_step(opt) == NB_ERROR && nb_error());
    nb_clear_error();
    nb_tensor *y = nb_zeros(NB_F64, NB_SHAPE(2));
    nb_requires_grad_(y, true);
    CHECK(nb_optim_add_param_group(opt, &y, 1, NULL) == -1 && nb_error());
    nb_clear_error();
    CHECK_ERR(nb_lbfgs(&x, 1, (nb_lbfgs_opts){ .history_size = -1 }));
    nb_optim_free(opt);
    nb_free(x);
    nb_free(y);
    return nb_test_done();
}
