/* test_optim.c — every torch.optim method and option against PyTorch's trajectories
 * ($NB_TEST_DATA/golden/optim_traj.txt from tools/gen_golden_optim.py): four parameters of shapes
 * (3,4), (5), () and (2,2) (the last unused, so its grad stays NULL and it must not move), the loss
 * sum_k sum(c_k (p_k - t_k)^2 + 0.05 p_k^4), 25 steps, f32 within 1e-5 and f64 within 1e-10 (in
 * practice bit-identical: the summary line prints the largest difference, 0). */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

#define NP 4
#define NV 22 /* 12 + 5 + 1 + 4 values */
static const int64_t SH[NP][2] = { { 3, 4 }, { 5, 0 }, { 0, 0 }, { 2, 2 } };
static const int ND[NP] = { 2, 1, 0, 2 };
static double init[NV], coef[NV], target[NV];

static int read_vals(char *s, double *out, int n) {
    int k = 0;
    char *end;
    while (k < n) {
        double v = strtod(s, &end);
        if (end == s) break;
        out[k++] = v;
        s = end;
    }
    return k;
}

/* tensors p[0..3] of dtype dt from a flat list */
static void make(nb_dtype dt, const double *vals, nb_tensor **p, bool grad) {
    int off = 0;
    for (int k = 0; k < NP; k++) {
        p[k] = nb_zeros(dt, ND[k], SH[k]);
        for (int64_t j = 0; j < p[k]->numel; j++) {
            if (dt == NB_F32)
                nb_data_f32(p[k])[j] = (float)vals[off + j];
            else
                nb_data_f64(p[k])[j] = vals[off + j];
        }
        off += (int)p[k]->numel;
        if (grad) nb_requires_grad_(p[k], true);
    }
}

/* the loss of tools/gen_golden_optim.py, same op order */
static nb_tensor *loss(nb_tensor **p, nb_tensor **c, nb_tensor **t) {
    nb_tensor *total = NULL;
    for (int k = 0; k < 3; k++) {
        nb_tensor *d = nb_sub(p[k], t[k]);
        nb_tensor *quart = nb_mul(nb_mul(nb_mul(p[k], p[k]), p[k]), p[k]);
        nb_tensor *term = nb_add(nb_sum(nb_mul(c[k], nb_mul(d, d))), nb_mul_scalar(nb_sum(quart), 0.05));
        total = total ? nb_add(total, term) : term;
    }
    return total;
}

typedef struct {
    double lr, momentum, dampening, weight_decay, betas[2], eps, lr_decay, iav, alpha, rho, md, group2_lr;
    bool has[16];
    bool nesterov, maximize, amsgrad, centered;
} kw;
enum { H_WD, H_BETAS, H_EPS, H_LR, H_MOM, H_DAMP };

/* value or NB_ZERO when the case asks for an explicit 0 */
static double z(double v) { return v == 0 ? NB_ZERO : v; }

static void parse_kw(char *s, kw *k) {
    memset(k, 0, sizeof *k);
    for (char *tok = strtok(s, " \n"); tok; tok = strtok(NULL, " \n")) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = 0;
        const char *key = tok, *val = eq + 1;
        double v = atof(val);
        if (!strcmp(key, "lr")) {
            k->lr = v;
            k->has[H_LR] = true;
        } else if (!strcmp(key, "momentum")) {
            k->momentum = v;
            k->has[H_MOM] = true;
        } else if (!strcmp(key, "dampening")) {
            k->dampening = v;
            k->has[H_DAMP] = true;
        } else if (!strcmp(key, "weight_decay")) {
            k->weight_decay = v;
            k->has[H_WD] = true;
        } else if (!strcmp(key, "betas")) {
            sscanf(val, "%lf,%lf", &k->betas[0], &k->betas[1]);
            k->has[H_BETAS] = true;
        } else if (!strcmp(key, "eps")) {
            k->eps = v;
            k->has[H_EPS] = true;
        } else if (!strcmp(key, "lr_decay"))
            k->lr_decay = v;
        else if (!strcmp(key, "initial_accumulator_value"))
            k->iav = v;
        else if (!strcmp(key, "alpha"))
            k->alpha = v;
        else if (!strcmp(key, "rho"))
            k->rho = v;
        else if (!strcmp(key, "momentum_decay"))
            k->md = v;
        else if (!strcmp(key, "group2_lr"))
            k->group2_lr = v;
        else if (!strcmp(key, "nesterov"))
            k->nesterov = v != 0;
        else if (!strcmp(key, "maximize"))
            k->maximize = v != 0;
        else if (!strcmp(key, "amsgrad"))
            k->amsgrad = v != 0;
        else if (!strcmp(key, "centered"))
            k->centered = v != 0;
        else
            fprintf(stderr, "test_optim: unknown option %s\n", key);
    }
}

/* build the optimizer named cls over params (groups as the case says) */
static nb_optimizer *build(const char *cls, kw *k, nb_tensor **p) {
    nb_tensor *g1[] = { p[0], p[1], p[3] };
    nb_tensor *const *ps = k->group2_lr ? g1 : p;
    int n = k->group2_lr ? 3 : 4;
    nb_optimizer *o = NULL;
    double wd = k->has[H_WD] ? z(k->weight_decay) : 0;
    if (!strcmp(cls, "sgd"))
        o = nb_sgd(ps, n,
                   (nb_sgd_opts){ .lr = k->lr,
                                  .momentum = k->momentum,
                                  .dampening = k->dampening,
                                  .weight_decay = wd,
                                  .nesterov = k->nesterov,
                                  .maximize = k->maximize });
    else if (!strcmp(cls, "adagrad"))
        o = nb_adagrad(ps, n,
                       (nb_adagrad_opts){ .lr = k->lr,
                                          .lr_decay = k->lr_decay,
                                          .weight_decay = wd,
                                          .initial_accumulator_value = k->iav,
                                          .eps = k->eps,
                                          .maximize = k->maximize });
    else if (!strcmp(cls, "rmsprop"))
        o = nb_rmsprop(ps, n,
                       (nb_rmsprop_opts){ .lr = k->lr,
                                          .alpha = k->alpha,
                                          .eps = k->eps,
                                          .weight_decay = wd,
                                          .momentum = k->momentum,
                                          .centered = k->centered,
                                          .maximize = k->maximize });
    else if (!strcmp(cls, "adadelta"))
        o = nb_adadelta(
            ps, n,
            (nb_adadelta_opts){
                .lr = k->lr, .rho = k->rho, .eps = k->eps, .weight_decay = wd, .maximize = k->maximize });
    else if (!strcmp(cls, "adam") || !strcmp(cls, "adamw")) {
        nb_adam_opts ao = { .lr = k->lr,
                            .betas = { z(k->betas[0]), z(k->betas[1]) },
                            .eps = k->eps,
                            .weight_decay = wd,
                            .amsgrad = k->amsgrad,
                            .maximize = k->maximize };
        if (!k->has[H_BETAS]) ao.betas[0] = ao.betas[1] = 0;
        o = !strcmp(cls, "adam") ? nb_adam(ps, n, ao) : nb_adamw(ps, n, ao);
    } else if (!strcmp(cls, "nadam")) {
        nb_nadam_opts no = { .lr = k->lr,
                             .betas = { k->betas[0], k->betas[1] },
                             .eps = k->eps,
                             .weight_decay = wd,
                             .momentum_decay = k->md };
        o = nb_nadam(ps, n, no);
    }
    if (o && k->group2_lr) {
        /* the second group overrides lr only; its other options come from the constructor */
        double lr2 = k->group2_lr;
        int gi = nb_optim_add_param_group(o, &p[2], 1, NULL);
        CHECK(gi == 1);
        CHECK(nb_optim_set_lr(o, gi, lr2) == NB_OK);
        CHECK(nb_optim_num_groups(o) == 2);
    }
    return o;
}

int main(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/golden/optim_traj.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s (set NB_TEST_DATA to the tests/ directory)\n", path);
        return 1;
    }
    static char line[1 << 16];
    int ncases = 0;
    double worst_dt[2] = { 0, 0 };
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "init ", 5))
            CHECK(read_vals(line + 5, init, NV) == NV);
        else if (!strncmp(line, "coef ", 5))
            CHECK(read_vals(line + 5, coef, NV) == NV);
        else if (!strncmp(line, "target ", 7))
            CHECK(read_vals(line + 7, target, NV) == NV);
        if (strncmp(line, "case ", 5)) continue;
        char name[64], dts[8], cls[32];
        int steps, used = 0;
        if (sscanf(line, "case %63s %7s %31s %d %n", name, dts, cls, &steps, &used) != 4) {
            CHECK(!"bad case line");
            break;
        }
        kw k;
        parse_kw(line + used, &k);
        nb_dtype dt = !strcmp(dts, "f32") ? NB_F32 : NB_F64;
        double tol = dt == NB_F32 ? 1e-5 : 1e-10;
        nb_tensor *p[NP], *c[NP], *t[NP];
        make(dt, init, p, true);
        make(dt, coef, c, false);
        make(dt, target, t, false);
        nb_optimizer *o = build(cls, &k, p);
        CHECK(o != NULL);
        double worst = 0;
        int bad_step = -1;
        for (int s = 0; s < steps && o; s++) {
            nb_optim_zero_grad(o);
            nb_scope sc = nb_scope_begin();
            nb_backward(loss(p, c, t));
            nb_scope_end(sc);
            nb_optim_step(o);
            if (!fgets(line, sizeof line, f)) break;
            double want[NV], got[NV];
            read_vals(line, want, NV);
            int off = 0;
            for (int q = 0; q < NP; q++) {
                nb_to_doubles(p[q], got + off);
                off += (int)p[q]->numel;
            }
            for (int j = 0; j < NV; j++) {
                double e = got[j] == want[j] || (dt == NB_F32 && (float)got[j] == (float)want[j]) ||
                                   (isnan(got[j]) && isnan(want[j]))
                               ? 0
                               : fabs(got[j] - want[j]) / (1 + fabs(want[j]));
                if (!(e <= worst)) {
                    worst = e;
                    if (!(e <= tol) && bad_step < 0) bad_step = s;
                }
            }
        }
        if (!CHECK(bad_step < 0 && nb_error() == NULL))
            fprintf(stderr, "  case %s %s: max error %.3g (tol %g), first bad step %d\n", name, dts, worst,
                    tol, bad_step + 1);
        if (worst > worst_dt[dt == NB_F64]) worst_dt[dt == NB_F64] = worst;
        CHECK(p[3]->grad == NULL);
        nb_clear_error();
        nb_optim_free(o);
        for (int q = 0; q < NP; q++) {
            nb_free(p[q]);
            nb_free(c[q]);
            nb_free(t[q]);
        }
        ncases++;
    }
    fclose(f);
    CHECK(ncases >= 100);
    printf("%d golden trajectories; max relative error f32 %.3g, f64 %.3g\n", ncases, worst_dt[0],
           worst_dt[1]);
    return nb_test_done();
}
