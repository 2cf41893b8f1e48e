/* layers_conv.c — nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d. Parameters keep torch's
 * names, layouts and reset_parameters(): weight ~ kaiming_uniform_(a = sqrt 5), bias ~ U(+-1/sqrt(fan_in)),
 * fan_in from the weight (size(1) * kernel elements), drawn weight first, so after the same seed the
 * values equal torch's bit for bit. padding_mode as torch (reflect / replicate / circular: F.pad, then a
 * convolution without padding); print(module) as torch's repr. */
#include "nb_nn.h"
#include "nb_internal.h"
#include "nb_spatial.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    nb_conv_opts o;
    int nd; /* 1 or 2 spatial dims */
    bool transposed;
} conv_impl;

/* torch's _conv_forward with padding_mode != 'zeros': y = conv(F.pad(x, (left, right) per spatial dim,
 * last dim first, mode), padding 0); 'same' splits d (k - 1) as torch does (the odd one at the end).
 * nb_pad takes what F.pad takes (so circular refuses an unbatched input, as torch 1.13 does). */
static nb_tensor *padded_conv(nb_module *m, nb_tensor *x) {
    const conv_impl *c = m->impl;
    nb_tensor *w = m->params[0], *b = m->nparams > 1 ? m->params[1] : NULL;
    nb_conv_opts o = c->o;
    int nd = c->nd;
    int64_t k[2] = { m->ip[2], m->ip[3] }, d[2] = { o.dilation[0] ? o.dilation[0] : 1, 0 }, pad[4] = { 0 };
    d[1] = nd == 2 && o.dilation[1] ? o.dilation[1] : d[0];
    for (int i = 0; i < nd; i++) {                        /* spatial dim i (1-D: the width) */
        int dim = nd == 1 ? 1 : i, at = 2 * (nd - 1 - i); /* F.pad lists the last dim first */
        int64_t lo = o.pad_mode == NB_CONV_PAD_EXPLICIT ? o.padding[i] : 0, hi = lo;
        if (o.pad_mode == NB_CONV_PAD_SAME) {
            int64_t total = d[dim] * (k[dim] - 1);
            lo = total / 2, hi = total - lo;
        }
        pad[at] = lo, pad[at + 1] = hi;
    }
    nb_pad_mode mode = o.padding_mode == NB_PADDING_REFLECT     ? NB_PAD_REFLECT
                       : o.padding_mode == NB_PADDING_REPLICATE ? NB_PAD_REPLICATE
                                                                : NB_PAD_CIRCULAR;
    o.padding[0] = o.padding[1] = 0;
    o.pad_mode = NB_CONV_PAD_EXPLICIT;
    o.padding_mode = NB_PADDING_ZEROS;
    nb_tensor *xp = nb_pad(x, 2 * nd, pad, (nb_pad_opts){ .mode = mode });
    return !xp ? NULL : nd == 2 ? nb_conv2d(xp, w, b, o) : nb_conv1d(xp, w, b, o);
}

/* y = conv(x, weight, bias) with the module's options */
static nb_tensor *conv_forward(nb_module *m, nb_tensor *x) {
    const conv_impl *c = m->impl;
    nb_tensor *w = m->params[0], *b = m->nparams > 1 ? m->params[1] : NULL;
    if (c->o.padding_mode != NB_PADDING_ZEROS) return NB_TIDY(padded_conv(m, x));
    if (c->transposed)
        return c->nd == 2 ? nb_conv_transpose2d(x, w, b, c->o) : nb_conv_transpose1d(x, w, b, c->o);
    return c->nd == 2 ? nb_conv2d(x, w, b, c->o) : nb_conv1d(x, w, b, c->o);
}

/* Python's tuple of nd ints: "(3,)" or "(3, 2)" */
static const char *tup(char *b, size_t n, int nd, int64_t a0, int64_t a1) {
    if (nd == 1)
        snprintf(b, n, "(%lld,)", (long long)a1);
    else
        snprintf(b, n, "(%lld, %lld)", (long long)a0, (long long)a1);
    return b;
}

/* append printf text at b + *k (within n bytes) */
static void add(char *b, size_t n, size_t *k, const char *fmt, ...) {
    if (*k >= n) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b + *k, n - *k, fmt, ap);
    va_end(ap);
    if (w > 0) *k += (size_t)w;
}

/* torch's _ConvNd.extra_repr: "1, 32, kernel_size=(3, 3), stride=(1, 1)", then padding, dilation,
 * output_padding, groups, bias and padding_mode where they differ from the defaults */
static void conv_repr(const nb_module *m, char *b, size_t n) {
    const conv_impl *c = m->impl;
    nb_conv_opts o = c->o;
    int nd = c->nd;
    int64_t s[2] = { o.stride[0] ? o.stride[0] : 1, 0 }, d[2] = { o.dilation[0] ? o.dilation[0] : 1, 0 };
    s[1] = nd == 2 && o.stride[1] ? o.stride[1] : s[0]; /* 2-D: {s} means {s, s} */
    d[1] = nd == 2 && o.dilation[1] ? o.dilation[1] : d[0];
    int64_t p0 = o.padding[0], p1 = nd == 2 ? o.padding[1] : o.padding[0];
    int64_t q0 = o.output_padding[0], q1 = nd == 2 ? o.output_padding[1] : o.output_padding[0];
    char t1[64], t2[64];
    size_t k = (size_t)snprintf(b, n, "%lld, %lld, kernel_size=%s, stride=%s", (long long)m->ip[0],
                                (long long)m->ip[1], tup(t1, sizeof t1, nd, m->ip[2], m->ip[3]),
                                tup(t2, sizeof t2, nd, s[0], s[1]));
    if (o.pad_mode == NB_CONV_PAD_SAME || o.pad_mode == NB_CONV_PAD_VALID) {
        add(b, n, &k, ", padding=%s", o.pad_mode == NB_CONV_PAD_SAME ? "same" : "valid");
    } else if (p0 || p1) {
        add(b, n, &k, ", padding=%s", tup(t1, sizeof t1, nd, p0, p1));
    }
    if (d[0] != 1 || d[1] != 1) add(b, n, &k, ", dilation=%s", tup(t1, sizeof t1, nd, d[0], d[1]));
    if (c->transposed && (q0 || q1)) add(b, n, &k, ", output_padding=%s", tup(t1, sizeof t1, nd, q0, q1));
    if (o.groups > 1) add(b, n, &k, ", groups=%lld", (long long)o.groups);
    if (m->nparams < 2) add(b, n, &k, ", bias=False");
    static const char *const modes[] = { "zeros", "reflect", "replicate", "circular" };
    if (o.padding_mode != NB_PADDING_ZEROS) add(b, n, &k, ", padding_mode=%s", modes[o.padding_mode]);
}

static nb_module *conv_new(const char *type, const char *fn, int nd, bool transposed, int64_t in, int64_t out,
                           int64_t kh, int64_t kw, bool bias, nb_conv_opts o) {
    int64_t groups = o.groups ? o.groups : 1;
    if (in <= 0 || out <= 0 || kh <= 0 || kw <= 0) {
        return nbt_error("%s: in_channels, out_channels and kernel_size must be positive (got %lld, %lld, "
                         "kernel %lld x %lld)",
                         fn, (long long)in, (long long)out, (long long)kh, (long long)kw);
    }
    if (groups <= 0 || in % groups || out % groups) {
        return nbt_error("%s: in_channels (%lld) and out_channels (%lld) must be divisible by groups (%lld)",
                         fn, (long long)in, (long long)out, (long long)groups);
    }
    if ((unsigned)o.padding_mode > NB_PADDING_CIRCULAR)
        return nbt_error("%s: padding_mode must be one of zeros, reflect, replicate, circular (got %d)", fn,
                         (int)o.padding_mode);
    if (transposed && o.padding_mode != NB_PADDING_ZEROS)
        return nbt_error("%s: Only \"zeros\" padding mode is supported for %s", fn, type);
    conv_impl *c = malloc(sizeof *c);
    if (!c) return nbt_error("%s: out of memory", fn);
    *c = (conv_impl){ o, nd, transposed };
    nb_module *m = nb_module_new(type, conv_forward, c, free);
    if (!m) {
        free(c);
        return NULL;
    }
    m->extra_repr = conv_repr;
    m->ip[0] = in, m->ip[1] = out, m->ip[2] = kh, m->ip[3] = kw;
    int64_t shape[4] = { transposed ? in : out, (transposed ? out : in) / groups, kh, kw };
    if (nd == 1) shape[2] = kw;
    nb_tensor *w = nbt_new_persistent(NB_F32, nd + 2, shape);
    if (!w || nb_module_register_parameter(m, "weight", w) != NB_OK) {
        nb_free(w);
        nb_module_free(m);
        return NULL;
    }
    bool ok = nb_init_kaiming_uniform_(w, sqrt(5.0), NB_FAN_IN, NB_NONLIN_LEAKY_RELU) != NULL;
    if (ok && bias) {
        int64_t fan_in = 0;
        nb_init_fans(w, &fan_in, NULL);
        nb_tensor *b = nbt_new_persistent(NB_F32, 1, (int64_t[]){ out });
        if (!b || nb_module_register_parameter(m, "bias", b) != NB_OK) {
            nb_free(b);
            nb_module_free(m);
            return NULL;
        }
        double bound = fan_in > 0 ? 1.0 / sqrt((double)fan_in) : 0;
        ok = nb_init_uniform_(b, -bound, bound) != NULL;
    }
    if (!ok) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}

nb_module *nb_conv2d_new(int64_t in_channels, int64_t out_channels, int64_t kh, int64_t kw, bool bias,
                         nb_conv_opts o) {
    return conv_new("Conv2d", "nb_conv2d_new", 2, false, in_channels, out_channels, kh, kw, bias, o);
}
nb_module *nb_conv1d_new(int64_t in_channels, int64_t out_channels, int64_t k, bool bias, nb_conv_opts o) {
    return conv_new("Conv1d", "nb_conv1d_new", 1, false, in_channels, out_channels, 1, k, bias, o);
}
nb_module *nb_conv_transpose2d_new(int64_t in_channels, int64_t out_channels, int64_t kh, int64_t kw,
                                   bool bias, nb_conv_opts o) {
    return conv_new("ConvTranspose2d", "nb_conv_transpose2d_new", 2, true, in_channels, out_channels, kh, kw,
                    bias, o);
}
nb_module *nb_conv_transpose1d_new(int64_t in_channels, int64_t out_channels, int64_t k, bool bias,
                                   nb_conv_opts o) {
    return conv_new("ConvTranspose1d", "nb_conv_transpose1d_new", 1, true, in_channels, out_channels, 1, k,
                    bias, o);
}
