/* test_optim_sched.c — every LR scheduler against torch's lr sequence over 100 epochs
 * ($NB_TEST_DATA/golden/optim_sched.txt): SGD groups with lr 0.1 (and 0.2), the lr after
 * construction and after each step, chained schedulers included; exact to 1e-13 relative. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static double lam_095(int e, void *ctx) {
    (void)ctx;
    return pow(0.95, e);
}

static double metric(int e) { return e < 30 ? 1.0 / (1 + e) : 1.0 / 31 + 0.001 * (e % 5); }

/* make the schedulers of case name on opt; returns how many (into s[]) */
static int make(const char *name, nb_optimizer *o, nb_scheduler **s) {
    if (!strcmp(name, "step"))
        s[0] = nb_step_lr(o, 30, 0);
    else if (!strcmp(name, "step_gamma"))
        s[0] = nb_step_lr(o, 7, 0.5);
    else if (!strcmp(name, "multistep"))
        s[0] = nb_multistep_lr(o, (int[]){ 10, 30, 30, 80 }, 4, 0);
    else if (!strcmp(name, "multistep_gamma"))
        s[0] = nb_multistep_lr(o, (int[]){ 5, 50 }, 2, 0.3);
    else if (!strcmp(name, "exponential"))
        s[0] = nb_exponential_lr(o, 0.95);
    else if (!strcmp(name, "cosine"))
        s[0] = nb_cosine_annealing_lr(o, 10, 0.001);
    else if (!strcmp(name, "cosine_long"))
        s[0] = nb_cosine_annealing_lr(o, 100, 0);
    else if (!strcmp(name, "linear"))
        s[0] = nb_linear_lr(o, 0, 0, 0);
    else if (!strcmp(name, "linear_warmup"))
        s[0] = nb_linear_lr(o, 0.25, 0, 10);
    else if (!strcmp(name, "linear_decay"))
        s[0] = nb_linear_lr(o, 1.0, NB_ZERO, 40);
    else if (!strcmp(name, "lambda"))
        s[0] = nb_lambda_lr(o, lam_095, NULL);
    else if (!strcmp(name, "inverse_sqrt"))
        s[0] = nb_inverse_sqrt_lr(o);
    else if (!strcmp(name, "chained")) {
        s[0] = nb_exponential_lr(o, 0.9);
        s[1] = nb_step_lr(o, 10, 0.5);
        return 2;
    } else if (!strcmp(name, "warmup_cosine")) {
        s[0] = nb_linear_lr(o, 0.1, 0, 5);
        s[1] = nb_cosine_annealing_lr(o, 50, 0);
        return 2;
    } else if (!strcmp(name, "plateau"))
        s[0] = nb_reduce_lr_on_plateau(o, (nb_plateau_opts){ .patience = 3, .factor = 0.5, .cooldown = 2 });
    else if (!strcmp(name, "plateau_default"))
        s[0] = nb_reduce_lr_on_plateau(o, (nb_plateau_opts){ 0 });
    else if (!strcmp(name, "plateau_max_abs"))
        s[0] = nb_reduce_lr_on_plateau(
            o,
            (nb_plateau_opts){
                .mode_max = true, .threshold_abs = true, .threshold = 0.01, .patience = 2, .min_lr = 0.01 });
    else {
        fprintf(stderr, "unknown scheduler case %s\n", name);
        return 0;
    }
    return 1;
}

int main(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024], line[4096];
    snprintf(path, sizeof path, "%s/golden/optim_sched.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s (set NB_TEST_DATA to the tests/ directory)\n", path);
        return 1;
    }
    int ncases = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        int groups, n;
        if (sscanf(line, "sched %63s %d %d", name, &groups, &n) != 3) continue;
        nb_tensor *p[2] = { nb_zeros(NB_F32, NB_SHAPE(2)), nb_zeros(NB_F32, NB_SHAPE(2)) };
        nb_requires_grad_(p[0], true);
        nb_requires_grad_(p[1], true);
        nb_optimizer *o = nb_sgd(p, 1, (nb_sgd_opts){ .lr = 0.1 });
        if (groups == 2) nb_optim_add_param_group(o, &p[1], 1, &(nb_sgd_opts){ .lr = 0.2 });
        nb_scheduler *s[2] = { 0 };
        int ns = make(name, o, s);
        bool plateau = !strncmp(name, "plateau", 7), ok = ns > 0 && s[0] && (ns < 2 || s[1]);
        double worst = 0;
        int bad = -1;
        for (int e = 0; e < n && ok; e++) {
            if (e > 0) {
                for (int k = 0; k < ns; k++)
                    nb_scheduler_step(s[k], strcmp(name, "plateau_max_abs") ? metric(e - 1) : -metric(e - 1));
            }
            if (!fgets(line, sizeof line, f)) {
                ok = false;
                break;
            }
            char *q = line;
            for (int g = 0; g < groups; g++) {
                double want = strtod(q, &q), got = nb_optim_get_lr(o, g);
                double err = got == want ? 0 : fabs(got - want) / fmax(fabs(want), 1e-300);
                if (!(err <= 1e-13) && bad < 0)
                    fprintf(stderr, "  %s epoch %d group %d: %.17g vs torch %.17g\n", name, e, g, got, want);
                if (!(err <= worst)) worst = err;
                if (!(err <= 1e-13) && bad < 0) bad = e;
                if (ns == 1 && !(fabs(nb_scheduler_last_lr(s[0], g) - got) == 0)) bad = e;
            }
        }
        if (!CHECK(ok && bad < 0))
            fprintf(stderr, "  scheduler %s: max rel error %.3g, first bad epoch %d\n", name, worst, bad);
        (void)plateau;
        for (int k = 0; k < ns; k++) nb_scheduler_free(s[k]);
        nb_optim_free(o);
        nb_free(p[0]);
        nb_free(p[1]);
        ncases++;
    }
    fclose(f);
    CHECK(ncases == 17);
    /* resume: save optimizer + scheduler state at epoch 37, restore into fresh ones, same lrs after */
    for (int k = 0; k < 2; k++) {
        nb_tensor *pa = nb_zeros(NB_F32, NB_SHAPE(2)), *pb = nb_zeros(NB_F32, NB_SHAPE(2));
        nb_requires_grad_(pa, true);
        nb_requires_grad_(pb, true);
        nb_optimizer *oa = nb_sgd(&pa, 1, (nb_sgd_opts){ .lr = 0.1 }),
                     *ob = nb_sgd(&pb, 1, (nb_sgd_opts){ .lr = 0.1 });
        nb_scheduler *sa = k ? nb_reduce_lr_on_plateau(oa, (nb_plateau_opts){ .patience = 2 })
                             : nb_cosine_annealing_lr(oa, 20, 0.001);
        nb_scheduler *sb = k ? nb_reduce_lr_on_plateau(ob, (nb_plateau_opts){ .patience = 2 })
                             : nb_cosine_annealing_lr(ob, 20, 0.001);
        for (int e = 0; e < 37; e++) nb_scheduler_step(sa, metric(e));
        nb_state_dict sd = { 0 };
        CHECK(nb_optim_state_dict(oa, &sd) == NB_OK && nb_scheduler_state_dict(sa, &sd) == NB_OK);
        CHECK(nb_optim_load_state_dict(ob, &sd) == NB_OK && nb_scheduler_load_state_dict(sb, &sd) == NB_OK);
        bool same = true;
        for (int e = 37; e < 80; e++) {
            nb_scheduler_step(sa, metric(e));
            nb_scheduler_step(sb, metric(e));
            same &= nb_optim_get_lr(oa, 0) == nb_optim_get_lr(ob, 0);
        }
        CHECK(same);
        nb_state_dict_free(&sd);
        nb_scheduler_free(sa);
        nb_scheduler_free(sb);
        nb_optim_free(oa);
        nb_optim_free(ob);
        nb_free(pa);
        nb_free(pb);
    }
    /* errors */
    nb_tensor *x = nb_zeros(NB_F32, NB_SHAPE(1));
    nb_requires_grad_(x, true);
    nb_optimizer *o = nb_sgd(&x, 1, (nb_sgd_opts){ .lr = 0.1 });
    CHECK_ERR(nb_step_lr(o, 0, 0.1));
    CHECK_ERR(nb_step_lr(NULL, 3, 0.1));
    CHECK_ERR(nb_cosine_annealing_lr(o, 0, 0));
    CHECK_ERR(nb_linear_lr(o, 2.0, 1.0, 5));
    CHECK_ERR(nb_reduce_lr_on_plateau(o, (nb_plateau_opts){ .factor = 1.5 }));
    CHECK_ERR(nb_lambda_lr(o, NULL, NULL));
    CHECK_ERR(nb_exponential_lr(o, 0));
    nb_scheduler *s = nb_step_lr(o, 2, 0.5);
    CHECK(isnan(nb_scheduler_last_lr(s, 3)));
    nb_clear_error();
    nb_scheduler_free(s);
    nb_optim_free(o);
    nb_free(x);
    return nb_test_done();
}
