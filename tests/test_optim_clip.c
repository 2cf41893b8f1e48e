/* test_optim_clip.c — clip_grad_norm_ and clip_grad_value_ against torch
 * ($NB_TEST_DATA/golden/optim_clip.txt): norm types 1, 2, 3 and inf, clipping and not, f32 and f64;
 * the returned total norm and every grad after scaling; parameters without grad are skipped. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

#define NV 42
static const int64_t SH[3][2] = { { 3, 12 }, { 5, 0 }, { 0, 0 } };
static const int ND[3] = { 2, 1, 0 };

static void setup(nb_dtype dt, const double *g, nb_tensor **p) {
    int off = 0;
    for (int k = 0; k < 3; k++) {
        p[k] = nb_zeros(dt, ND[k], SH[k]);
        nb_requires_grad_(p[k], true);
        p[k]->grad = nb_zeros(dt, ND[k], SH[k]);
        for (int64_t j = 0; j < p[k]->numel; j++) {
            if (dt == NB_F32)
                nb_data_f32(p[k]->grad)[j] = (float)g[off + j];
            else
                nb_data_f64(p[k]->grad)[j] = g[off + j];
        }
        off += (int)p[k]->numel;
    }
}

static bool grads_near(nb_tensor **p, const double *want, double tol) {
    double got[NV];
    int off = 0;
    for (int k = 0; k < 3; k++) {
        nb_to_doubles(p[k]->grad, got + off);
        off += (int)p[k]->numel;
    }
    for (int j = 0; j < NV; j++)
        if (!(fabs(got[j] - want[j]) <= tol * (1 + fabs(want[j])))) {
            fprintf(stderr, "  grad %d: %.17g vs torch %.17g\n", j, got[j], want[j]);
            return false;
        }
    return true;
}

int main(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024], line[8192];
    snprintf(path, sizeof path, "%s/golden/optim_clip.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s (set NB_TEST_DATA to the tests/ directory)\n", path);
        return 1;
    }
    double g0[NV], want[NV];
    int ncases = 0;
    while (fgets(line, sizeof line, f)) {
        char dts[8];
        double a, b, total;
        int used = 0;
        nb_tensor *p[3];
        if (!strncmp(line, "grads ", 6)) {
            char *q = line + 6;
            for (int j = 0; j < NV; j++) g0[j] = strtod(q, &q);
        } else if (sscanf(line, "norm %7s %lf %lf %lf %n", dts, &a, &b, &total, &used) == 4) {
            nb_dtype dt = strcmp(dts, "f32") ? NB_F64 : NB_F32;
            double tol = dt == NB_F32 ? 1e-6 : 1e-13;
            char *q = line + used;
            for (int j = 0; j < NV; j++) want[j] = strtod(q, &q);
            setup(dt, g0, p);
            double got = nb_clip_grad_norm_(p, 3, a, b);
            if (!CHECK(fabs(got - total) <= tol * total))
                fprintf(stderr, "  norm %s max_norm %g p %g: %.17g vs torch %.17g\n", dts, a, b, got, total);
            CHECK(grads_near(p, want, tol));
            for (int k = 0; k < 3; k++) nb_free(p[k]);
            ncases++;
        } else if (sscanf(line, "value %7s %lf %n", dts, &a, &used) == 2) {
            nb_dtype dt = strcmp(dts, "f32") ? NB_F64 : NB_F32;
            char *q = line + used;
            for (int j = 0; j < NV; j++) want[j] = strtod(q, &q);
            setup(dt, g0, p);
            CHECK(nb_clip_grad_value_(p, 3, a) == NB_OK);
            CHECK(grads_near(p, want, dt == NB_F32 ? 1e-7 : 0)); /* f32 golden is printed with 9 digits */
            for (int k = 0; k < 3; k++) nb_free(p[k]);
            ncases++;
        }
    }
    fclose(f);
    CHECK(ncases == 16);
    /* no grads at all: total 0, nothing touched; a parameter without grad is skipped */
    nb_tensor *x = nb_ones(NB_F32, NB_SHAPE(3)), *y = nb_ones(NB_F32, NB_SHAPE(2));
    nb_requires_grad_(x, true);
    nb_requires_grad_(y, true);
    CHECK(nb_clip_grad_norm_((nb_tensor *[]){ x, y }, 2, 1.0, 2.0) == 0.0);
    y->grad = nb_full(NB_F32, NB_SHAPE(2), 3.0); /* norm sqrt(18) */
    CHECK_NEAR(nb_clip_grad_norm_((nb_tensor *[]){ x, y }, 2, 1.0, 2.0), sqrt(18.0), 1e-6);
    CHECK_NEAR(nb_data_f32(y->grad)[0], 3.0 / (sqrt(18.0) + 1e-6), 1e-6);
    CHECK(x->grad == NULL);
    CHECK(isnan(nb_clip_grad_norm_((nb_tensor *[]){ x, y }, 2, 1.0, -1.0)) && nb_error());
    nb_clear_error();
    CHECK(isnan(nb_clip_grad_norm_((nb_tensor *[]){ x, NULL }, 2, 1.0, 2.0)) && nb_error());
    nb_clear_error();
    CHECK(nb_clip_grad_value_(NULL, 2, 1.0) == NB_ERROR && nb_error());
    nb_clear_error();
    nb_free(x);
    nb_free(y);
    return nb_test_done();
}
