/* layers_pad.c — nn.ZeroPad2d / ConstantPad2d / ReflectionPad2d / ReplicationPad2d, nn.Upsample,
 * nn.PixelShuffle / PixelUnshuffle and nn.Unflatten: parameter-free modules around nb_pad,
 * nb_interpolate, nb_pixel_(un)shuffle and nb_unflatten, printed as torch prints them. */
#include "nb_nn_spatial.h"
#include "nb_internal.h"
#include "nbn_nn_spatial.h"
#include <math.h>
#include <stdlib.h>

const char *nbn_py_float(char *b, size_t n, double v) {
    if (isnan(v)) {
        snprintf(b, n, "nan");
        return b;
    }
    if (isinf(v)) {
        snprintf(b, n, v > 0 ? "inf" : "-inf");
        return b;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(b, n, "%.*g", p, v);
        if (strtod(b, NULL) == v) break;
    }
    if (!strpbrk(b, ".e")) strncat(b, ".0", n - strlen(b) - 1);
    return b;
}

/* ---- pads: ip[0..3] = (left, right, top, bottom), ip[4] = mode, hp[0] = value ---- */
static nb_tensor *pad_fw(nb_module *m, nb_tensor *x) {
    return nb_pad(x, 4, m->ip, (nb_pad_opts){ .mode = (nb_pad_mode)m->ip[4], .value = m->hp[0] });
}
static void pad_repr(const nb_module *m, char *b, size_t n) {
    char v[32];
    if (m->ip[4] == NB_PAD_CONSTANT && strcmp(m->type, "ZeroPad2d"))
        snprintf(b, n, "padding=(%lld, %lld, %lld, %lld), value=%s", (long long)m->ip[0], (long long)m->ip[1],
                 (long long)m->ip[2], (long long)m->ip[3], nbn_py_float(v, sizeof v, m->hp[0]));
    else
        snprintf(b, n, "(%lld, %lld, %lld, %lld)", (long long)m->ip[0], (long long)m->ip[1],
                 (long long)m->ip[2], (long long)m->ip[3]);
}
static nb_module *pad_module(const char *type, nb_pad_mode mode, const int64_t p[4], double value) {
    nb_module *m = nb_module_new(type, pad_fw, NULL, NULL);
    if (!m) return NULL;
    for (int i = 0; i < 4; i++) m->ip[i] = p[i];
    m->ip[4] = mode;
    m->hp[0] = value;
    m->extra_repr = pad_repr;
    return m;
}
nb_module *nb_zero_pad2d_new(int64_t left, int64_t right, int64_t top, int64_t bottom) {
    return pad_module("ZeroPad2d", NB_PAD_CONSTANT, (const int64_t[]){ left, right, top, bottom }, 0);
}
nb_module *nb_constant_pad2d_new(int64_t left, int64_t right, int64_t top, int64_t bottom, double value) {
    return pad_module("ConstantPad2d", NB_PAD_CONSTANT, (const int64_t[]){ left, right, top, bottom }, value);
}
nb_module *nb_reflection_pad2d_new(int64_t left, int64_t right, int64_t top, int64_t bottom) {
    return pad_module("ReflectionPad2d", NB_PAD_REFLECT, (const int64_t[]){ left, right, top, bottom }, 0);
}
nb_module *nb_replication_pad2d_new(int64_t left, int64_t right, int64_t top, int64_t bottom) {
    return pad_module("ReplicationPad2d", NB_PAD_REPLICATE, (const int64_t[]){ left, right, top, bottom }, 0);
}

/* ---- Upsample: impl = a copy of the interpolate options ---- */
static nb_tensor *up_fw(nb_module *m, nb_tensor *x) {
    return nb_interpolate(x, *(nb_interpolate_opts *)m->impl);
}
static void up_repr(const nb_module *m, char *b, size_t n) {
    const nb_interpolate_opts *o = m->impl;
    const char *mode = o->mode == NB_INTERP_BILINEAR ? "bilinear" : "nearest";
    char v0[32], v1[32];
    double s1 = o->scale_factor[1] != 0 ? o->scale_factor[1] : o->scale_factor[0];
    int64_t z1 = o->size[1] ? o->size[1] : o->size[0];
    if (o->size[0] || o->size[1]) {
        if (o->size[0] == z1)
            snprintf(b, n, "size=%lld, mode=%s", (long long)z1, mode);
        else
            snprintf(b, n, "size=(%lld, %lld), mode=%s", (long long)o->size[0], (long long)z1, mode);
    } else if (o->scale_factor[0] == s1) {
        snprintf(b, n, "scale_factor=%s, mode=%s", nbn_py_float(v0, sizeof v0, s1), mode);
    } else {
        snprintf(b, n, "scale_factor=(%s, %s), mode=%s", nbn_py_float(v0, sizeof v0, o->scale_factor[0]),
                 nbn_py_float(v1, sizeof v1, s1), mode);
    }
}
nb_module *nb_upsample_new(nb_interpolate_opts o) {
    NBT_API("nb_upsample_new");
    nb_interpolate_opts *impl = malloc(sizeof *impl);
    if (!impl) return nbt_error("nb_upsample_new: out of memory");
    *impl = o;
    nb_module *m = nb_module_new("Upsample", up_fw, impl, free);
    if (!m) {
        free(impl);
        return NULL;
    }
    m->extra_repr = up_repr;
    return m;
}

/* ---- PixelShuffle / PixelUnshuffle: ip[0] = factor ---- */
static nb_tensor *ps_fw(nb_module *m, nb_tensor *x) { return nb_pixel_shuffle(x, m->ip[0]); }
static nb_tensor *pu_fw(nb_module *m, nb_tensor *x) { return nb_pixel_unshuffle(x, m->ip[0]); }
static void ps_repr(const nb_module *m, char *b, size_t n) {
    snprintf(b, n, "%s=%lld", m->forward == ps_fw ? "upscale_factor" : "downscale_factor",
             (long long)m->ip[0]);
}
static nb_module *shuffle_module(const char *type, nb_forward_fn f, int64_t r) {
    nb_module *m = nb_module_new(type, f, NULL, NULL);
    if (!m) return NULL;
    m->ip[0] = r;
    m->extra_repr = ps_repr;
    return m;
}
nb_module *nb_pixel_shuffle_new(int64_t upscale_factor) {
    return shuffle_module("PixelShuffle", ps_fw, upscale_factor);
}
nb_module *nb_pixel_unshuffle_new(int64_t downscale_factor) {
    return shuffle_module("PixelUnshuffle", pu_fw, downscale_factor);
}

/* ---- Unflatten: ip[0] = dim, ip[1] = count, ip[2..9] = sizes ---- */
static nb_tensor *unflatten_fw(nb_module *m, nb_tensor *x) {
    return nb_unflatten(x, (int)m->ip[0], (int)m->ip[1], m->ip + 2);
}
static void unflatten_repr(const nb_module *m, char *b, size_t n) {
    size_t k = (size_t)snprintf(b, n, "dim=%d, unflattened_size=(", (int)m->ip[0]);
    for (int i = 0; i < m->ip[1] && k < n; i++)
        k += (size_t)snprintf(b + k, n - k, "%s%lld", i ? ", " : "", (long long)m->ip[2 + i]);
    if (k < n) snprintf(b + k, n - k, m->ip[1] == 1 ? ",)" : ")");
}
nb_module *nb_unflatten_new(int dim, int nsizes, const int64_t *sizes) {
    NBT_API("nb_unflatten_new");
    if (!nbt_nonnull(sizes, "nb_unflatten_new", "unflattened_size")) return NULL;
    if (nsizes < 1 || nsizes > 8)
        return nbt_error("nb_unflatten_new: unflattened_size must have 1 to 8 entries (got %d)", nsizes);
    nb_module *m = nb_module_new("Unflatten", unflatten_fw, NULL, NULL);
    if (!m) return NULL;
    m->ip[0] = dim;
    m->ip[1] = nsizes;
    for (int i = 0; i < nsizes; i++) m->ip[2 + i] = sizes[i];
    m->extra_repr = unflatten_repr;
    return m;
}
