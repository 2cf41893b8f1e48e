/* data_standardize.c — feature scaling as seed 003 teaches it: for each feature i (each position of
 * x.shape[1:]), m_i = mean over the samples, sigma_i = std, x_i <- (x_i - m_i) / sigma_i. Fit on the
 * training set, apply the same m and sigma to the test set. Sums run in f64 (two passes). */
#include "data_internal.h"
#include <math.h>
#include <stdlib.h>

/* Value i (row-major) of a contiguous float tensor as double. */
static double val(const nb_tensor *t, int64_t i) {
    return t->dtype == NB_F32 ? ((const float *)nbt_ptr(t))[i] : ((const double *)nbt_ptr(t))[i];
}

nb_status nb_standard_scaler_fit(nb_standard_scaler *sc, const nb_tensor *x, nb_standardize_opts opts) {
    NBT_API("nb_standard_scaler_fit");
    if (!sc) {
        nbt_error("nb_standard_scaler_fit: scaler is NULL");
        return NB_ERROR;
    }
    if (!x) {
        nbt_error("nb_standard_scaler_fit: x is NULL");
        return NB_ERROR;
    }
    if (!nbt_ok(x, "nb_standard_scaler_fit")) return NB_ERROR;
    if (!nbt_is_float(x->dtype) || x->ndim < 1) {
        nbt_error("nb_standard_scaler_fit: x must be a float tensor (N, features...), got %s %s; convert "
                  "with nb_to",
                  nb_dtype_name(x->dtype), nbt_shape(x));
        return NB_ERROR;
    }
    int64_t n = x->shape[0];
    if (n - opts.correction <= 0 || opts.correction < 0) {
        nbt_error("nb_standard_scaler_fit: %lld samples with correction %d leave no degrees of freedom",
                  (long long)n, opts.correction);
        return NB_ERROR;
    }
    const nb_tensor *xc = x;
    nb_tensor *tmp = NULL;
    if (!nb_is_contiguous(x)) {
        int64_t all = n;
        int64_t *idx = malloc((size_t)all * sizeof *idx);
        if (!idx) {
            nbt_error("nb_standard_scaler_fit: out of memory");
            return NB_ERROR;
        }
        for (int64_t i = 0; i < all; i++) idx[i] = i;
        xc = tmp = nbn_gather_rows(x, idx, all, "nb_standard_scaler_fit");
        free(idx);
        if (!tmp) return NB_ERROR;
    }
    int64_t d = x->numel / n;
    nb_tensor *mean = nbt_new_persistent(x->dtype, x->ndim - 1, x->shape + 1);
    nb_tensor *std = nbt_new_persistent(x->dtype, x->ndim - 1, x->shape + 1);
    double *acc = calloc((size_t)(2 * d) + 1, sizeof *acc);
    if (!mean || !std || !acc) {
        nb_free(mean);
        nb_free(std);
        nb_free(tmp);
        free(acc);
        if (!nb_error()) nbt_error("nb_standard_scaler_fit: out of memory");
        return NB_ERROR;
    }
    double *m = acc, *ss = acc + d;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) m[j] += val(xc, i * d + j);
    for (int64_t j = 0; j < d; j++) m[j] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double e = val(xc, i * d + j) - m[j];
            ss[j] += e * e;
        }
    for (int64_t j = 0; j < d; j++) {
        double s = sqrt(ss[j] / (double)(n - opts.correction));
        if (s == 0) s = 1;
        if (x->dtype == NB_F32) {
            ((float *)nbt_ptr(mean))[j] = (float)m[j];
            ((float *)nbt_ptr(std))[j] = (float)s;
        } else {
            ((double *)nbt_ptr(mean))[j] = m[j];
            ((double *)nbt_ptr(std))[j] = s;
        }
    }
    free(acc);
    nb_free(tmp);
    nb_standard_scaler_free(sc);
    sc->mean = mean;
    sc->std = std;
    return NB_OK;
}

nb_tensor *nb_standard_scaler_transform(const nb_standard_scaler *sc, const nb_tensor *x) {
    if (!sc || !sc->mean || !sc->std)
        return nbt_error(
            "nb_standard_scaler_transform: the scaler is not fitted; call nb_standard_scaler_fit first");
    if (!nbt_ok(x, "nb_standard_scaler_transform")) return NULL;
    const nb_tensor *m = sc->mean;
    if (x->ndim != m->ndim + 1 || memcmp(x->shape + 1, m->shape, sizeof(int64_t) * (size_t)m->ndim) != 0 ||
        !nbt_is_float(x->dtype))
        return nbt_error(
            "nb_standard_scaler_transform: x is %s %s but the scaler was fitted on (N, %s) %s samples",
            nb_dtype_name(x->dtype), nbt_shape(x), nbt_shape(m) + 1, nb_dtype_name(m->dtype));
    int64_t n = x->shape[0], d = m->numel;
    int64_t *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
    if (!idx) return nbt_error("nb_standard_scaler_transform: out of memory");
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    nb_tensor *out = nbn_gather_rows(x, idx, n, "nb_standard_scaler_transform"); /* a contiguous copy */
    free(idx);
    if (!out) return NULL;
    double *ms = malloc((size_t)(2 * (d ? d : 1)) * sizeof *ms);
    if (!ms) {
        nb_free(out);
        return nbt_error("nb_standard_scaler_transform: out of memory");
    }
    for (int64_t j = 0; j < d; j++) {
        ms[j] = val(m, j);
        ms[d + j] = val(sc->std, j);
    }
    if (x->dtype == NB_F32) {
        float *o = (float *)nbt_ptr(out);
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < d; j++) o[i * d + j] = (o[i * d + j] - (float)ms[j]) / (float)ms[d + j];
    } else {
        double *o = (double *)nbt_ptr(out);
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < d; j++) o[i * d + j] = (o[i * d + j] - ms[j]) / ms[d + j];
    }
    free(ms);
    return out;
}

void nb_standard_scaler_free(nb_standard_scaler *sc) {
    if (!sc) return;
    nb_free(sc->mean);
    nb_free(sc->std);
    sc->mean = sc->std = NULL;
}
