/* linear_regression.c — seed 003's tips on one synthetic problem: y = 4 + 3 x1 + 0.05 x2 + noise
 * with x1 in [0, 1] and x2 in [0, 100] (features on very different scales). Full-batch gradient
 * descent vs minibatch SGD, on raw features vs standardized ones (x <- (x - m_i) / sigma_i, fitted
 * on the data), same number of epochs each. Scaling lets a large learning rate work for every
 * weight; minibatches take many more (cheaper, noisier) steps per epoch. Exit 1 if a scaled run
 * misses the noise floor (mse 0.01).
 * usage: linear_regression [--epochs N] [--batch B] [--seed S] */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define N 1000

typedef struct {
    double mse, w1, w2, b;
} result;

/* train Linear(2, 1) with MSE; batch = N means full-batch GD. Weights reported in raw units. */
static result train(nb_tensor *x, nb_tensor *y, const nb_standard_scaler *sc, int64_t batch, double lr,
                    int epochs, uint64_t seed) {
    result r = { NAN, NAN, NAN, NAN };
    nb_manual_seed(seed);
    nb_module *model = nb_linear_new(2, 1, true);
    int np;
    nb_tensor **p = nb_module_parameters(model, &np);
    nb_optimizer *opt = nb_sgd(p, np, (nb_sgd_opts){ .lr = lr });
    nb_tensor *xs = sc ? nb_standard_scaler_transform(sc, x) : x;
    nb_tensor_dataset *ds = nb_tensor_dataset_new(xs, y);
    nb_dataloader *dl = nb_dataloader_new(
        ds, (nb_dataloader_opts){ .batch_size = batch, .shuffle = batch < N, .seed = seed });
    for (int ep = 0; ep < epochs && dl && opt; ep++) {
        for (;;) {
            nb_scope s = nb_scope_begin();
            nb_tensor *xb, *yb;
            if (!nb_dataloader_next(dl, &xb, &yb)) {
                nb_scope_end(s);
                break;
            }
            nb_tensor *loss = nb_mse_loss(nb_module_forward(model, xb), yb, (nb_loss_opts){ 0 });
            bool ok = nb_backward(loss) == NB_OK && nb_optim_step(opt) == NB_OK;
            nb_optim_zero_grad(opt);
            nb_scope_end(s);
            if (!ok) {
                fprintf(stderr, "linear_regression: %s\n", nb_error());
                ep = epochs;
                break;
            }
        }
    }
    NB_NO_GRAD {
        nb_scope s = nb_scope_begin();
        r.mse = nb_item(nb_mse_loss(nb_module_forward(model, xs), y, (nb_loss_opts){ 0 }));
        double w[2], b, m[2] = { 0, 0 }, sd[2] = { 1, 1 };
        nb_to_doubles(p[0], w);
        b = nb_item(p[1]);
        if (sc) {
            nb_to_doubles(sc->mean, m);
            nb_to_doubles(sc->std, sd);
        }
        /* w (x - m) / sd + b = (w / sd) x + (b - sum w m / sd) */
        r.w1 = w[0] / sd[0];
        r.w2 = w[1] / sd[1];
        r.b = b - w[0] * m[0] / sd[0] - w[1] * m[1] / sd[1];
        nb_scope_end(s);
    }
    if (sc) nb_free(xs);
    nb_dataloader_free(dl);
    nb_tensor_dataset_free(ds);
    nb_optim_free(opt);
    nb_module_free(model);
    return r;
}

int main(int argc, char **argv) {
    int epochs = 50;
    int64_t batch = 32;
    uint64_t seed = 0;
    for (int i = 1; i < argc; i += 2) {
        int b = 0;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: linear_regression [--epochs N] [--batch B] [--seed S]\n");
            return 0;
        }
        if (v && !strcmp(argv[i], "--epochs") && cli_int(v, &epochs))
            continue;
        else if (v && !strcmp(argv[i], "--batch") && cli_int(v, &b))
            batch = b;
        else if (v && !strcmp(argv[i], "--seed") && *v && (seed = strtoull(v, &end, 10), !*end))
            continue;
        else {
            fprintf(stderr, "usage: linear_regression [--epochs N] [--batch B] [--seed S]\n");
            return 2;
        }
    }
    if (epochs <= 0 || batch <= 0) {
        fprintf(stderr, "linear_regression: --epochs and --batch must be positive\n");
        return 2;
    }
    /* data: x1 ~ U(0, 1), x2 ~ U(0, 100), y = 4 + 3 x1 + 0.05 x2 + N(0, 0.1^2) */
    nb_manual_seed(seed + 1000);
    nb_tensor *u = nb_rand(NB_F32, NB_SHAPE(N, 2)), *noise = nb_randn(NB_F32, NB_SHAPE(N, 1));
    nb_tensor *x = nb_empty(NB_F32, NB_SHAPE(N, 2)), *y = nb_empty(NB_F32, NB_SHAPE(N, 1));
    const float *ud = nb_data_f32(u), *nd = nb_data_f32(noise);
    float *xd = nb_data_f32(x), *yd = nb_data_f32(y);
    for (int i = 0; i < N; i++) {
        xd[2 * i] = ud[2 * i];
        xd[2 * i + 1] = 100 * ud[2 * i + 1];
        yd[i] = 4 + 3 * xd[2 * i] + 0.05f * xd[2 * i + 1] + 0.1f * nd[i];
    }
    nb_standard_scaler sc = { 0 };
    if (nb_standard_scaler_fit(&sc, x, (nb_standardize_opts){ 0 }) != NB_OK) {
        fprintf(stderr, "%s\n", nb_error());
        return 1;
    }
    printf("y = 4 + 3 x1 + 0.05 x2 + noise(0.1), x1 in [0,1], x2 in [0,100], %d samples, %d epochs\n", N,
           epochs);
    printf("%-22s %-8s %8s %7s %10s %8s %8s %8s\n", "method", "features", "lr", "steps", "train mse", "w1",
           "w2", "b");
    /* raw features: lr just under the stability limit set by x2 (2 / (2 E[x2^2]) ~ 3e-4) */
    struct {
        const char *name;
        int64_t batch;
        bool scaled;
        double lr;
    } runs[] = {
        { "full-batch GD", N, false, 2e-4 },
        { "full-batch GD", N, true, 0.1 },
        { "minibatch SGD", batch, false, 2e-4 },
        { "minibatch SGD", batch, true, 0.1 },
    };
    int rc = 0;
    for (int k = 0; k < 4; k++) {
        result r = train(x, y, runs[k].scaled ? &sc : NULL, runs[k].batch, runs[k].lr, epochs, seed);
        int64_t steps = (int64_t)epochs * ((N + runs[k].batch - 1) / runs[k].batch);
        printf("%-22s %-8s %8g %7lld %10.5f %8.4f %8.4f %8.4f\n", runs[k].name,
               runs[k].scaled ? "scaled" : "raw", runs[k].lr, (long long)steps, r.mse, r.w1, r.w2, r.b);
        if (isnan(r.mse) || (runs[k].scaled && !(r.mse < 0.02)))
            rc = 1; /* scaled runs reach the noise floor */
    }
    printf("true                                                  %8.4f %8.4f %8.4f\n", 3.0, 0.05, 4.0);
    nb_standard_scaler_free(&sc);
    nb_free(u);
    nb_free(noise);
    nb_free(x);
    nb_free(y);
    return rc;
}
