/* print.c — print a tensor the way torch does: tensor([[1., 2.], [3., 4.]]), 4 decimals or
 * scientific notation when the range needs it, aligned columns, '...' past 1000 elements,
 * and the dtype / requires_grad / grad_fn suffixes. */
#include "nb_internal.h"
#include <math.h>

const char *(*nbi_grad_fn_name_hook)(const nb_tensor *t);

typedef struct {
    int mode;      /* 0: integers "1.", 1: fixed "%.4f", 2: scientific "%.4e", 3: int64 */
    int width;
    bool summarize;
} fmt;

static int fmt_one(char *buf, size_t n, double v, const fmt *f) {
    if (isnan(v)) return snprintf(buf, n, "nan");
    if (isinf(v)) return snprintf(buf, n, v > 0 ? "inf" : "-inf");
    switch (f->mode) {
    case 0: return snprintf(buf, n, "%.0f.", v);
    case 1: return snprintf(buf, n, "%.4f", v);
    case 2: return snprintf(buf, n, "%.4e", v);
    default: return snprintf(buf, n, "%lld", (long long)v);
    }
}

static double at(const nb_tensor *t, const int64_t *idx) {
    int64_t off = t->offset;
    for (int i = 0; i < t->ndim; i++) off += idx[i] * t->stride[i];
    const char *p = t->storage->data;
    switch (t->dtype) {
    case NB_F32: return ((const float *)p)[off];
    case NB_F64: return ((const double *)p)[off];
    default: return (double)((const int64_t *)p)[off];
    }
}

static void rec(FILE *out, const nb_tensor *t, int64_t *idx, int d, const fmt *f, int indent) {
    if (d == t->ndim) {
        char b[64];
        fmt_one(b, sizeof b, at(t, idx), f);
        fprintf(out, "%*s", f->width, b);
        return;
    }
    fputc('[', out);
    int64_t n = t->shape[d];
    for (int64_t i = 0; i < n; i++) {
        if (f->summarize && n > 6 && i == 3) {
            if (d == t->ndim - 1) fprintf(out, "..., ");
            else fprintf(out, "...,\n%*s", indent + d + 1, "");
            i = n - 3;
        }
        idx[d] = i;
        rec(out, t, idx, d + 1, f, indent);
        if (i + 1 < n) {
            if (d == t->ndim - 1) fprintf(out, ", ");
            else {
                fputc(',', out);
                for (int k = d; k < t->ndim - 1; k++) fputc('\n', out);
                fprintf(out, "%*s", indent + d + 1, "");
            }
        }
    }
    fputc(']', out);
}

void nb_fprint(FILE *out, const nb_tensor *t) {
    if (!t) { fprintf(out, "NULL"); return; }
    if (t->magic != NBI_LIVE) { fprintf(out, "<released tensor>"); return; }
    fmt f = {0, 1, t->numel > 1000};
    /* pick the format from the (shown) values */
    double amax = 0, amin = INFINITY;
    bool ints = true;
    int64_t idx[NB_MAX_DIMS] = {0};
    for (int64_t k = 0; k < t->numel; k++) {
        double v = at(t, idx);
        if (isfinite(v)) {
            double a = fabs(v);
            if (a > amax) amax = a;
            if (a > 0 && a < amin) amin = a;
            if (v != floor(v)) ints = false;
        }
        for (int i = t->ndim - 1; i >= 0; i--) {
            if (++idx[i] < t->shape[i]) break;
            idx[i] = 0;
        }
    }
    if (t->dtype == NB_I64) f.mode = 3;
    else if (ints) f.mode = amax >= 1e8 ? 2 : 0;
    else f.mode = (amax >= 1e8 || (amin < 1e-4) || (amin > 0 && amax / amin > 1000)) ? 2 : 1;
    /* width = widest formatted value */
    memset(idx, 0, sizeof idx);
    for (int64_t k = 0; k < t->numel; k++) {
        char b[64];
        int w = fmt_one(b, sizeof b, at(t, idx), &f);
        if (w > f.width) f.width = w;
        for (int i = t->ndim - 1; i >= 0; i--) {
            if (++idx[i] < t->shape[i]) break;
            idx[i] = 0;
        }
    }
    fprintf(out, "tensor(");
    memset(idx, 0, sizeof idx);
    if (t->numel == 0) fprintf(out, "[]");
    else if (t->ndim == 0) { f.width = 0; rec(out, t, idx, 0, &f, 7); }
    else rec(out, t, idx, 0, &f, 7);
    if (t->numel == 0 && t->ndim > 1) fprintf(out, ", size=%s", nbi_shape(t));
    if (t->dtype == NB_F64) fprintf(out, ", dtype=torch.float64");
    if (t->node && nbi_grad_fn_name_hook) fprintf(out, ", grad_fn=<%s>", nbi_grad_fn_name_hook(t));
    else if (t->requires_grad) fprintf(out, ", requires_grad=True");
    fprintf(out, ")");
}

void nb_print(const nb_tensor *t) {
    nb_fprint(stdout, t);
    fputc('\n', stdout);
}
