/* layers_pool.c — the pooling modules (nn.MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool2d,
 * AdaptiveMaxPool2d, MaxUnpool2d). Each keeps a copy of its options in impl, calls the functional op
 * and prints torch's extra_repr; a (H, W) pair prints as an int when both are equal (torch prints
 * what the user passed, and kernel_size=2 is the common spelling). */
#include "nb_nn_spatial.h"
#include "nb_internal.h"
#include <stdlib.h>

/* "2" or "(3, 2)" */
static const char *pair_str(char *b, size_t n, const int64_t v[2]) {
    if (v[0] == v[1])
        snprintf(b, n, "%lld", (long long)v[0]);
    else
        snprintf(b, n, "(%lld, %lld)", (long long)v[0], (long long)v[1]);
    return b;
}
/* torch's resolved pair of an options pair (0 second entry repeats the first; {0, 0} is dflt) */
static void resolve(const int64_t in[2], int64_t d0, int64_t d1, int64_t out[2]) {
    out[0] = in[0] || in[1] ? in[0] : d0;
    out[1] = in[0] || in[1] ? (in[1] ? in[1] : in[0]) : d1;
}

/* a module with a heap copy of its options */
static nb_module *with_opts(const char *type, nb_forward_fn f, nb_forward_ex_fn fx, const void *o,
                            size_t size, void (*repr)(const nb_module *, char *, size_t)) {
    void *impl = malloc(size);
    if (!impl) return nbt_error("nb_%s_new: out of memory", type);
    memcpy(impl, o, size);
    nb_module *m = fx ? nb_module_new_ex(type, fx, impl, free) : nb_module_new(type, f, impl, free);
    if (!m) {
        free(impl);
        return NULL;
    }
    m->extra_repr = repr;
    return m;
}

/* the general forward of a pooling that returns (values, indices) */
static int two_outputs(nb_tensor *y, nb_tensor *idx, int nout, nb_tensor **out) {
    if (!y) return -1;
    out[0] = y;
    if (nout > 1) out[1] = idx;
    return nout > 1 ? 2 : 1;
}
static bool one_input(const char *op, int nin) {
    if (nin == 1) return true;
    nbt_error("%s: expects 1 input, got %d", op, nin);
    return false;
}

/* ---- MaxPool2d ---- */
static nb_tensor *mp2_fw(nb_module *m, nb_tensor *x) {
    return nb_max_pool2d(x, *(nb_max_pool2d_opts *)m->impl);
}
static int mp2_fx(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout, nb_tensor **out) {
    (void)opts;
    if (!one_input("MaxPool2d", nin)) return -1;
    nb_tensor *idx = NULL, *y = nb_max_pool2d_with_indices(in[0], *(nb_max_pool2d_opts *)m->impl, &idx);
    return two_outputs(y, idx, nout, out);
}
static void mp2_repr(const nb_module *m, char *b, size_t n) {
    const nb_max_pool2d_opts *o = m->impl;
    int64_t k[2], s[2], d[2];
    resolve(o->kernel_size, 0, 0, k);
    resolve(o->stride, k[0], k[1], s);
    resolve(o->dilation, 1, 1, d);
    char a[4][48];
    snprintf(b, n, "kernel_size=%s, stride=%s, padding=%s, dilation=%s, ceil_mode=%s", pair_str(a[0], 48, k),
             pair_str(a[1], 48, s), pair_str(a[2], 48, o->padding), pair_str(a[3], 48, d),
             o->ceil_mode ? "True" : "False");
}
nb_module *nb_max_pool2d_new(nb_max_pool2d_opts o, bool return_indices) {
    return with_opts("MaxPool2d", mp2_fw, return_indices ? mp2_fx : NULL, &o, sizeof o, mp2_repr);
}

/* ---- MaxPool1d ---- */
static nb_tensor *mp1_fw(nb_module *m, nb_tensor *x) {
    return nb_max_pool1d(x, *(nb_max_pool1d_opts *)m->impl);
}
static int mp1_fx(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout, nb_tensor **out) {
    (void)opts;
    if (!one_input("MaxPool1d", nin)) return -1;
    nb_tensor *idx = NULL, *y = nb_max_pool1d_with_indices(in[0], *(nb_max_pool1d_opts *)m->impl, &idx);
    return two_outputs(y, idx, nout, out);
}
static void mp1_repr(const nb_module *m, char *b, size_t n) {
    const nb_max_pool1d_opts *o = m->impl;
    snprintf(b, n, "kernel_size=%lld, stride=%lld, padding=%lld, dilation=%lld, ceil_mode=%s",
             (long long)o->kernel_size, (long long)(o->stride ? o->stride : o->kernel_size),
             (long long)o->padding, (long long)(o->dilation ? o->dilation : 1),
             o->ceil_mode ? "True" : "False");
}
nb_module *nb_max_pool1d_new(nb_max_pool1d_opts o, bool return_indices) {
    return with_opts("MaxPool1d", mp1_fw, return_indices ? mp1_fx : NULL, &o, sizeof o, mp1_repr);
}

/* ---- AvgPool2d / AvgPool1d (torch's extra_repr shows kernel_size, stride, padding only) ---- */
static nb_tensor *ap2_fw(nb_module *m, nb_tensor *x) {
    return nb_avg_pool2d(x, *(nb_avg_pool2d_opts *)m->impl);
}
static void ap2_repr(const nb_module *m, char *b, size_t n) {
    const nb_avg_pool2d_opts *o = m->impl;
    int64_t k[2], s[2];
    resolve(o->kernel_size, 0, 0, k);
    resolve(o->stride, k[0], k[1], s);
    char a[3][48];
    snprintf(b, n, "kernel_size=%s, stride=%s, padding=%s", pair_str(a[0], 48, k), pair_str(a[1], 48, s),
             pair_str(a[2], 48, o->padding));
}
nb_module *nb_avg_pool2d_new(nb_avg_pool2d_opts o) {
    return with_opts("AvgPool2d", ap2_fw, NULL, &o, sizeof o, ap2_repr);
}
static nb_tensor *ap1_fw(nb_module *m, nb_tensor *x) {
    return nb_avg_pool1d(x, *(nb_avg_pool1d_opts *)m->impl);
}
static void ap1_repr(const nb_module *m, char *b, size_t n) { /* torch stores 1-tuples here */
    const nb_avg_pool1d_opts *o = m->impl;
    snprintf(b, n, "kernel_size=(%lld,), stride=(%lld,), padding=(%lld,)", (long long)o->kernel_size,
             (long long)(o->stride ? o->stride : o->kernel_size), (long long)o->padding);
}
nb_module *nb_avg_pool1d_new(nb_avg_pool1d_opts o) {
    return with_opts("AvgPool1d", ap1_fw, NULL, &o, sizeof o, ap1_repr);
}

/* ---- adaptive pooling: ip[0..1] = (oh, ow) ---- */
static void adaptive_repr(const nb_module *m, char *b, size_t n) {
    char a[48];
    snprintf(b, n, "output_size=%s", pair_str(a, sizeof a, m->ip));
}
static nb_tensor *aap_fw(nb_module *m, nb_tensor *x) { return nb_adaptive_avg_pool2d(x, m->ip[0], m->ip[1]); }
static nb_tensor *amp_fw(nb_module *m, nb_tensor *x) { return nb_adaptive_max_pool2d(x, m->ip[0], m->ip[1]); }
static int amp_fx(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout, nb_tensor **out) {
    (void)opts;
    if (!one_input("AdaptiveMaxPool2d", nin)) return -1;
    nb_tensor *idx = NULL, *y = nb_adaptive_max_pool2d_with_indices(in[0], m->ip[0], m->ip[1], &idx);
    return two_outputs(y, idx, nout, out);
}
static nb_module *adaptive(const char *type, nb_forward_fn f, nb_forward_ex_fn fx, int64_t oh, int64_t ow) {
    nb_module *m = fx ? nb_module_new_ex(type, fx, NULL, NULL) : nb_module_new(type, f, NULL, NULL);
    if (!m) return NULL;
    m->ip[0] = oh;
    m->ip[1] = ow;
    m->extra_repr = adaptive_repr;
    return m;
}
nb_module *nb_adaptive_avg_pool2d_new(int64_t oh, int64_t ow) {
    return adaptive("AdaptiveAvgPool2d", aap_fw, NULL, oh, ow);
}
nb_module *nb_adaptive_max_pool2d_new(int64_t oh, int64_t ow, bool return_indices) {
    return adaptive("AdaptiveMaxPool2d", amp_fw, return_indices ? amp_fx : NULL, oh, ow);
}

/* ---- MaxUnpool2d: (x, indices) -> y ---- */
static int mu_fx(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout, nb_tensor **out) {
    (void)opts;
    (void)nout;
    if (nin != 2) {
        nbt_error("MaxUnpool2d: expects 2 inputs (x, indices), got %d", nin);
        return -1;
    }
    out[0] = nb_max_unpool2d(in[0], in[1], *(nb_max_unpool2d_opts *)m->impl);
    return out[0] ? 1 : -1;
}
static void mu_repr(const nb_module *m, char *b, size_t n) { /* torch stores pairs here */
    const nb_max_unpool2d_opts *o = m->impl;
    int64_t k[2], s[2];
    resolve(o->kernel_size, 0, 0, k);
    resolve(o->stride, k[0], k[1], s);
    snprintf(b, n, "kernel_size=(%lld, %lld), stride=(%lld, %lld), padding=(%lld, %lld)", (long long)k[0],
             (long long)k[1], (long long)s[0], (long long)s[1], (long long)o->padding[0],
             (long long)o->padding[1]);
}
nb_module *nb_max_unpool2d_new(nb_max_unpool2d_opts o) {
    return with_opts("MaxUnpool2d", NULL, mu_fx, &o, sizeof o, mu_repr);
}
