/* pg_net.c — the network page: a 2-D toy classification (two moons or two spirals, generated from
 * nabla's seeded generator) learned by a small MLP (nn.Linear + tanh, cross entropy, Adam). State
 * lives between calls: "reset" builds data and model, "step" trains n more steps and reports the
 * loss curve, each parameter's gradient norm and the decision surface on a grid. */
#include "pg.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAXPTS = 400, GRID = 41, MAXHIST = 5000 };

static struct {
    nb_module *model;
    nb_optimizer *opt;
    nb_tensor *x, *y; /* (n, 2) f32 points, (n) i64 labels */
    int n, steps;
    double hist[MAXHIST];
} net;

static void drop(void) {
    nb_optim_free(net.opt);
    nb_module_free(net.model);
    nb_free(net.x);
    nb_free(net.y);
    memset(&net, 0, sizeof net);
}

/* points of two interleaved half moons or spirals, label = which one, with Gaussian noise */
static void make_data(int spirals, int n, double noise) {
    float *p = malloc(sizeof(float) * 2 * (size_t)n);
    int64_t *l = malloc(sizeof(int64_t) * (size_t)n);
    for (int i = 0; p && l && i < n; i++) {
        int c = i % 2;
        double t = nb_rand_double(), a, b;
        if (spirals) {
            double r = 0.2 + 2.8 * t, th = 3.5 * M_PI * t + c * M_PI;
            a = r * cos(th), b = r * sin(th);
        } else {
            a = c ? 1 - cos(M_PI * t) : cos(M_PI * t), b = c ? 0.5 - sin(M_PI * t) : sin(M_PI * t);
            a = 1.5 * a - 0.75, b = 1.5 * b - 0.25;
        }
        /* Box-Muller on the same generator, so the data only depends on the seed */
        double u1 = nb_rand_double(), u2 = nb_rand_double(), z = sqrt(-2 * log(1 - u1));
        p[2 * i] = (float)(a + noise * z * cos(2 * M_PI * u2));
        p[2 * i + 1] = (float)(b + noise * z * sin(2 * M_PI * u2));
        l[i] = c;
    }
    net.x = p ? nb_tensor_from(NB_F32, p, NB_SHAPE(n, 2), false) : NULL;
    net.y = l ? nb_tensor_from(NB_I64, l, NB_SHAPE(n), false) : NULL;
    free(p);
    free(l);
}

static const char *reset(const char *a) {
    drop();
    char b[16];
    int spirals = !strcmp(pg_arg_str(a, "data", "moons", b, sizeof b), "spirals");
    int hidden = (int)fmin(fmax(pg_arg(a, "hidden", 16), 1), 128);
    net.n = (int)fmin(fmax(pg_arg(a, "points", 200), 10), MAXPTS);
    nb_manual_seed((uint64_t)fmax(pg_arg(a, "seed", 0), 0));
    make_data(spirals, net.n, fmax(pg_arg(a, "noise", 0.1), 0));
    /* one constructor per statement: the draws happen in this order, as in torch */
    nb_module *l1 = nb_linear_new(2, hidden, true);
    nb_module *a1 = nb_tanh_new();
    nb_module *l2 = nb_linear_new(hidden, hidden, true);
    nb_module *a2 = nb_tanh_new();
    nb_module *l3 = nb_linear_new(hidden, 2, true);
    net.model = nb_sequential_from(5, (nb_module *[]){ l1, a1, l2, a2, l3 });
    int np = 0;
    nb_tensor **ps = nb_module_parameters(net.model, &np);
    net.opt = ps ? nb_adam(ps, np, (nb_adam_opts){ .lr = pg_arg(a, "lr", 0.01) }) : NULL;
    if (!net.opt || !net.x || !net.y) {
        const char *m = nb_error();
        drop();
        return pg_fail(m);
    }
    FILE *f = pg_begin();
    double v[2 * MAXPTS];
    nb_to_doubles(net.x, v);
    fprintf(f, "{\"ok\":true,\"n\":%d,\"points\":", net.n);
    pg_nums(f, v, 2 * net.n);
    nb_to_doubles(net.y, v);
    fputs(",\"labels\":", f);
    pg_nums(f, v, net.n);
    fputc('}', f);
    return pg_end();
}

static const char *step(const char *a) {
    if (!net.model) return pg_fail("no network yet: reset first");
    int n = (int)fmin(fmax(pg_arg(a, "n", 10), 0), 1000);
    int np = 0;
    nb_tensor **ps = nb_module_parameters(net.model, &np);
    for (int i = 0; i < n; i++) {
        nb_scope s = nb_scope_begin();
        nb_optim_zero_grad(net.opt);
        nb_tensor *loss = nb_cross_entropy(nb_module_forward(net.model, net.x), net.y,
                                           (nb_cross_entropy_opts){ 0 });
        if (loss && nb_backward(loss) == NB_OK) {
            if (net.steps < MAXHIST) net.hist[net.steps] = nb_item(loss);
            net.steps++;
            nb_optim_step(net.opt);
        }
        nb_scope_end(s);
        if (nb_error()) return pg_fail(nb_error());
    }
    FILE *f = pg_begin();
    fprintf(f, "{\"ok\":true,\"steps\":%d,\"loss\":", net.steps);
    pg_nums(f, net.hist, net.steps < MAXHIST ? net.steps : MAXHIST);
    /* gradient norms of the last step, one per parameter, by torch's names */
    nb_state_dict sd = nb_module_state_dict(net.model);
    fputs(",\"grad_norms\":[", f);
    for (int i = 0; i < sd.n; i++) {
        nb_tensor *g = sd.tensors[i]->grad;
        double norm = 0;
        int64_t k = g ? nb_numel(g) : 0;
        double *v = k ? malloc(sizeof(double) * (size_t)k) : NULL;
        if (v && nb_to_doubles(g, v) == NB_OK)
            for (int64_t j = 0; j < k; j++) norm += v[j] * v[j];
        free(v);
        fprintf(f, "%s{\"name\":", i ? "," : "");
        pg_str(f, sd.names[i]);
        fputs(",\"norm\":", f);
        pg_num(f, sqrt(norm));
        fputc('}', f);
    }
    nb_state_dict_free(&sd);
    /* P(class 1) on a GRID x GRID lattice over [-3, 3]^2 */
    float pts[GRID * GRID * 2];
    for (int j = 0; j < GRID; j++)
        for (int i = 0; i < GRID; i++)
            pts[2 * (j * GRID + i)] = (float)(-3 + 6.0 * i / (GRID - 1)),
                                pts[2 * (j * GRID + i) + 1] = (float)(-3 + 6.0 * j / (GRID - 1));
    double pr[GRID * GRID];
    nb_scope s = nb_scope_begin();
    NB_NO_GRAD {
        nb_tensor *g = nb_tensor_from(NB_F32, pts, NB_SHAPE(GRID * GRID, 2), false);
        nb_tensor *p = nb_select(nb_softmax(nb_module_forward(net.model, g), 1), 1, 1);
        if (p) nb_to_doubles(p, pr);
    }
    nb_scope_end(s);
    if (nb_error()) {
        pg_end();
        return pg_fail(nb_error());
    }
    fprintf(f, "],\"grid\":{\"n\":%d,\"x0\":-3,\"x1\":3,\"y0\":-3,\"y1\":3,\"p\":", GRID);
    pg_nums(f, pr, GRID * GRID);
    fputs("}}", f);
    (void)ps, (void)np;
    return pg_end();
}

const char *pg_net(const char *cmd, const char *args) {
    nb_clear_error();
    if (!args) args = "";
    if (cmd && !strcmp(cmd, "reset")) return reset(args);
    if (cmd && !strcmp(cmd, "step")) return step(args);
    if (cmd && !strcmp(cmd, "free")) {
        drop();
        return "{\"ok\":true}";
    }
    return pg_fail("unknown command (reset, step, free)");
}
