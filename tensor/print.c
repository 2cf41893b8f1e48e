/* print.c — print a tensor exactly as torch 1.13 does (torch/_tensor_str.py with default options:
 * precision 4, linewidth 80, threshold 1000, edgeitems 3): the format (integer "1.", fixed "%.4f"
 * or scientific "%.4e") and width are chosen from the shown nonzero finite values, rows wrap at
 * 80 columns, '...' elides the middle past 1000 elements, then dtype / grad_fn suffixes. */
#include "nb_internal.h"
#include <math.h>
#include <stdlib.h>

const char *(*nbt_grad_fn_name_hook)(const nb_tensor *t);

#define LINEWIDTH 80
#define EDGE 3

typedef struct {
    bool floating, int_mode, sci_mode, summarize;
    int width;
} fmt;

/* growable output string */
typedef struct {
    char *p;
    size_t n, cap;
} sbuf;
static void put(sbuf *b, const char *s, size_t len) {
    if (b->n + len + 1 > b->cap) {
        size_t cap = (b->n + len + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) return;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}
static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }
static void spaces(sbuf *b, int n) {
    for (int i = 0; i < n; i++) put(b, " ", 1);
}

static double at(const nb_tensor *t, const int64_t *idx) {
    int64_t off = t->offset;
    for (int i = 0; i < t->ndim; i++) off += idx[i] * t->stride[i];
    const char *p = t->storage->data;
    switch (t->dtype) {
    case NB_F32: return ((const float *)p)[off];
    case NB_F64: return ((const double *)p)[off];
    case NB_I64: break;
    }
    return (double)((const int64_t *)p)[off];
}

/* one value without padding (Python's format(): "nan"/"inf" without sign for nan) */
static int fmt_raw(char *buf, size_t n, double v, const fmt *f) {
    if (!f->floating) return snprintf(buf, n, "%lld", (long long)v);
    if (isnan(v)) return snprintf(buf, n, "nan");
    if (isinf(v)) return snprintf(buf, n, v > 0 ? "inf" : "-inf");
    if (f->sci_mode) return snprintf(buf, n, "%.4e", v);
    if (f->int_mode) return snprintf(buf, n, "%.0f.", v);
    return snprintf(buf, n, "%.4f", v);
}

/* one value right-aligned to the common width */
static int fmt_one(char *buf, size_t n, double v, const fmt *f) {
    char raw[64];
    int w = fmt_raw(raw, sizeof raw, v, f);
    return snprintf(buf, n, "%*s", w < f->width ? f->width : w, raw);
}

/* visit every shown element (all of them unless summarizing, then EDGE at each end of each dim) */
static bool next_shown(const nb_tensor *t, int64_t *idx, bool summarize) {
    for (int i = t->ndim - 1; i >= 0; i--) {
        int64_t n = t->shape[i];
        if (++idx[i] == EDGE && summarize && n > 2 * EDGE) idx[i] = n - EDGE;
        if (idx[i] < n) return true;
        idx[i] = 0;
    }
    return false;
}

/* torch's _Formatter: choose the mode and width from the shown values */
static void choose(const nb_tensor *t, fmt *f) {
    int64_t idx[NB_MAX_DIMS] = { 0 };
    char b[64];
    double amax = 0, amin = INFINITY;
    bool any = false;
    f->width = 1;
    f->int_mode = true;
    do {
        double v = at(t, idx);
        if (!f->floating) {
            int w = fmt_raw(b, sizeof b, v, f);
            if (w > f->width) f->width = w;
        } else if (isfinite(v) && v != 0) {
            any = true;
            if (fabs(v) > amax) amax = fabs(v);
            if (fabs(v) < amin) amin = fabs(v);
            if (v != ceil(v)) f->int_mode = false;
        }
    } while (next_shown(t, idx, f->summarize));
    if (!f->floating || !any) return;
    f->sci_mode = amax / amin > 1000. || amax > 1e8 || (!f->int_mode && amin < 1e-4);
    memset(idx, 0, sizeof idx);
    do {
        double v = at(t, idx);
        if (!isfinite(v) || v == 0) continue;
        int w = fmt_raw(b, sizeof b, v, f);
        if (w > f->width) f->width = w;
    } while (next_shown(t, idx, f->summarize));
}

/* the last dim: elements wrapped so a line stays within LINEWIDTH (torch _vector_str) */
static void vector_str(sbuf *o, const nb_tensor *t, int64_t *idx, int d, int indent, const fmt *f) {
    int per_line = (LINEWIDTH - indent) / (f->width + 2);
    if (per_line < 1) per_line = 1;
    int64_t n = t->shape[d];
    bool elide = f->summarize && n > 2 * EDGE;
    int64_t count = elide ? 2 * EDGE + 1 : n;
    puts_(o, "[");
    for (int64_t k = 0; k < count; k++) {
        if (k > 0) {
            if (k % per_line == 0) {
                puts_(o, ",\n");
                spaces(o, indent + 1);
            } else
                puts_(o, ", ");
        }
        if (elide && k == EDGE) {
            puts_(o, " ...");
            continue;
        }
        idx[d] = elide && k > EDGE ? n - (count - k) : k;
        char b[80];
        fmt_one(b, sizeof b, at(t, idx), f);
        puts_(o, b);
    }
    puts_(o, "]");
}

/* dims d..ndim-1 at the given indent (torch _tensor_str_with_formatter) */
static void tensor_str(sbuf *o, const nb_tensor *t, int64_t *idx, int d, int indent, const fmt *f) {
    if (d == t->ndim - 1) {
        vector_str(o, t, idx, d, indent, f);
        return;
    }
    int64_t n = t->shape[d];
    bool elide = f->summarize && n > 2 * EDGE;
    int64_t count = elide ? 2 * EDGE + 1 : n;
    puts_(o, "[");
    for (int64_t k = 0; k < count; k++) {
        if (k > 0) {
            puts_(o, ",");
            for (int i = 0; i < t->ndim - d - 1; i++) puts_(o, "\n");
            spaces(o, indent + 1);
        }
        if (elide && k == EDGE) {
            puts_(o, "...");
            continue;
        }
        idx[d] = elide && k > EDGE ? n - (count - k) : k;
        tensor_str(o, t, idx, d + 1, indent + 1, f);
    }
    puts_(o, "]");
}

/* ", suffix", or ",\n<indent>suffix" when the line would pass LINEWIDTH (torch _add_suffixes) */
static void suffix(sbuf *o, const char *s, size_t *last_len) {
    size_t len = strlen(s);
    if (*last_len + len + 2 > LINEWIDTH) {
        puts_(o, ",\n");
        spaces(o, 7);
        *last_len = 7 + len;
    } else {
        puts_(o, ", ");
        *last_len += len + 2;
    }
    puts_(o, s);
}

void nb_fprint(FILE *out, const nb_tensor *t) {
    if (!nbt_nonnull(out, "nb_fprint", "FILE")) return;
    if (t && t->magic != NBT_LIVE) nbt_ok(t, "nb_fprint"); /* records the misuse */
    if (!t) {
        fprintf(out, "NULL");
        return;
    }
    if (t->magic != NBT_LIVE) {
        fprintf(out, "<released tensor>");
        return;
    }
    fmt f = { .floating = nbt_is_float(t->dtype), .summarize = t->numel > 1000 };
    sbuf o = { 0 };
    int64_t idx[NB_MAX_DIMS] = { 0 };
    puts_(&o, "tensor(");
    if (t->numel == 0) {
        puts_(&o, "[]");
    } else {
        choose(t, &f);
        if (t->ndim == 0) {
            char b[80];
            fmt_one(b, sizeof b, at(t, idx), &f);
            puts_(&o, b);
        } else {
            tensor_str(&o, t, idx, 0, 7, &f);
        }
    }
    const char *nl = o.p ? strrchr(o.p, '\n') : NULL;
    size_t last_len = o.n - (nl ? (size_t)(nl - o.p) : (size_t)-1) + 1; /* torch's count, quirks included */
    char s[160];
    if (t->numel == 0 && t->ndim != 1) {
        snprintf(s, sizeof s, "size=%s", nbt_shape(t));
        suffix(&o, s, &last_len);
    }
    if (t->dtype == NB_F64 || (t->dtype == NB_I64 && t->numel == 0)) {
        snprintf(s, sizeof s, "dtype=torch.%s", nb_dtype_name(t->dtype));
        suffix(&o, s, &last_len);
    }
    if (t->node && nbt_grad_fn_name_hook) {
        snprintf(s, sizeof s, "grad_fn=<%s>", nbt_grad_fn_name_hook(t));
        suffix(&o, s, &last_len);
    } else if (t->requires_grad) {
        suffix(&o, "requires_grad=True", &last_len);
    }
    puts_(&o, ")");
    if (o.p) fputs(o.p, out);
    free(o.p);
}

void nb_print(const nb_tensor *t) {
    NBT_API("nb_print");
    nb_fprint(stdout, t);
    fputc('\n', stdout);
}
