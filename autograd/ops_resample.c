/* ops_resample.c — F.interpolate (nearest, bilinear with align_corners) of 4-d inputs,
 * F.pixel_shuffle / pixel_unshuffle, Tensor.view_as and Tensor.unflatten. All are composites of
 * recorded ops (index_select, mul, add, reshape, permute), so they are differentiable to any order;
 * the indices and weights are computed as torch 1.13's CPU kernels do (float math for f32). */
#include "nb_spatial.h"
#include "nba_pool.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* torch's compute_scales_value: 1 / scale when a scale was given, else in / out (in T's precision) */
static double scale_value(bool f32, double scale, int64_t in, int64_t out) {
    if (scale > 0) return f32 ? (double)(float)(1.0 / scale) : 1.0 / scale;
    return f32 ? (double)((float)in / (float)out) : (double)in / (double)out;
}

/* torch's nearest_idx: source index of output o */
static int64_t nearest_idx(int64_t o, int64_t in, int64_t out, double scale) {
    if (out == in) return o;
    if (out == 2 * in) return o >> 1;
    float s = (float)scale_value(true, scale, in, out); /* torch computes it in float for every dtype */
    int64_t src = (int64_t)floorf((float)o * s);
    return src < in - 1 ? src : in - 1;
}

/* y = x.index_select(d, idx) for an index array of n entries */
static nb_tensor *select_along(nb_tensor *x, int d, const int64_t *idx, int64_t n) {
    nb_tensor *ix = nb_tensor_from(NB_I64, idx, 1, &n, false);
    return nb_index_select(x, d, ix);
}

/* linear interpolation along d: y = x[i0] l0 + x[i1] l1 (torch's compute_indices_weights_linear) */
static nb_tensor *linear_along(nb_tensor *x, int d, int64_t out, bool align, double scale) {
    int64_t in = x->shape[d];
    bool f32 = x->dtype == NB_F32;
    int64_t *i0 = malloc(sizeof(int64_t) * (size_t)out * 2);
    double *l = malloc(sizeof(double) * (size_t)out * 2);
    if (!i0 || !l) {
        free(i0);
        free(l);
        return nbt_oom((sizeof(int64_t) + sizeof(double)) * (size_t)out * 2, "the interpolation weights");
    }
    int64_t *i1 = i0 + out;
    double sc = align ? (out > 1 ? (f32 ? (double)((float)(in - 1) / (float)(out - 1))
                                        : (double)(in - 1) / (double)(out - 1))
                                 : 0)
                      : scale_value(f32, scale, in, out);
    for (int64_t o = 0; o < out; o++) {
        double src;
        if (align)
            src = f32 ? (double)((float)sc * (float)o) : sc * (double)o;
        else {
            src = sc * ((double)o + 0.5) - 0.5;
            if (f32) src = (double)(float)src;
            if (src < 0) src = 0;
        }
        i0[o] = (int64_t)src;
        i1[o] = i0[o] + (i0[o] < in - 1 ? 1 : 0);
        double l1 = src - (double)i0[o];
        if (f32) l1 = (double)(float)l1;
        l1 = l1 < 0 ? 0 : l1 > 1 ? 1 : l1;
        l[out + o] = l1;
        l[o] = f32 ? (double)(1.0f - (float)l1) : 1.0 - l1;
    }
    int64_t wshape[NB_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) wshape[i] = i == d ? out : 1;
    nb_tensor *w0 = nb_to(nb_tensor_from(NB_F64, l, x->ndim, wshape, false), x->dtype);
    nb_tensor *w1 = nb_to(nb_tensor_from(NB_F64, l + out, x->ndim, wshape, false), x->dtype);
    nb_tensor *y = nb_add(nb_mul(select_along(x, d, i0, out), w0), nb_mul(select_along(x, d, i1, out), w1));
    free(i0);
    free(l);
    return y;
}

/* torch's output size for a scale: floor(in * scale) */
static int64_t scaled_size(int64_t in, double scale) { return (int64_t)floor((double)in * scale); }

nb_tensor *nb_interpolate(nb_tensor *x, nb_interpolate_opts o) {
    NBA_CHECK("nb_interpolate", x);
    const char *op = "nb_interpolate";
    bool has_size = o.size[0] || o.size[1], has_scale = o.scale_factor[0] != 0 || o.scale_factor[1] != 0;
    if (has_size && has_scale) return nbt_error("%s: only one of size or scale_factor should be defined", op);
    if (!has_size && !has_scale) return nbt_error("%s: either size or scale_factor should be defined", op);
    if (o.align_corners && o.mode == NB_INTERP_NEAREST)
        return nbt_error("%s: align_corners option can only be set with the interpolating modes: linear | "
                         "bilinear | bicubic | trilinear",
                         op);
    if ((unsigned)o.mode > NB_INTERP_BILINEAR) return nbt_error("%s: unknown mode %d", op, (int)o.mode);
    if (x->ndim != 4)
        return nbt_error(
            "%s: Input and %s must have the same number of spatial dimensions, but got input with "
            "spatial dimensions of %d and 2 %s entries (nabla interpolates 4-d (N, C, H, W) inputs)",
            op, has_size ? "output size" : "scale_factor", x->ndim > 2 ? x->ndim - 2 : 0,
            has_size ? "size" : "scale_factor");
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: expects a floating point tensor (got %s)", op, nb_dtype_name(x->dtype));
    double sc[2] = { o.scale_factor[0], o.scale_factor[1] != 0 ? o.scale_factor[1] : o.scale_factor[0] };
    int64_t out[2];
    for (int i = 0; i < 2; i++) out[i] = has_size ? o.size[i] : scaled_size(x->shape[2 + i], sc[i]);
    if (has_size && !o.size[1]) out[1] = o.size[0];
    if (x->shape[2] <= 0 || x->shape[3] <= 0 || out[0] <= 0 || out[1] <= 0)
        return nbt_error(
            "%s: Input and output sizes should be greater than 0, but got input (H: %lld, W: %lld) "
            "output (H: %lld, W: %lld)",
            op, (long long)x->shape[2], (long long)x->shape[3], (long long)out[0], (long long)out[1]);
    double ks[2] = { 0, 0 }; /* the scales the kernel sees: torch passes scale_factor unless recomputing */
    if (has_scale && !o.recompute_scale_factor) {
        ks[0] = sc[0];
        ks[1] = sc[1];
    }
    nba_tmp tmp = nba_tmp_begin(1, &x);
    nb_tensor *y;
    if (o.mode == NB_INTERP_NEAREST) {
        int64_t *ih = malloc(sizeof(int64_t) * (size_t)(out[0] + out[1]));
        if (!ih)
            return nba_tmp_end(tmp,
                               nbt_oom(sizeof(int64_t) * (size_t)(out[0] + out[1]), "the source indices"));
        for (int64_t i = 0; i < out[0]; i++) ih[i] = nearest_idx(i, x->shape[2], out[0], ks[0]);
        for (int64_t j = 0; j < out[1]; j++) ih[out[0] + j] = nearest_idx(j, x->shape[3], out[1], ks[1]);
        y = select_along(select_along(x, 2, ih, out[0]), 3, ih + out[0], out[1]);
        free(ih);
        nba_label(y, x, "UpsampleNearest2DBackward1");
    } else {
        y = linear_along(linear_along(x, 3, out[1], o.align_corners, ks[1]), 2, out[0], o.align_corners,
                         ks[0]);
        nba_label(y, x, "UpsampleBilinear2DBackward1");
    }
    return nba_tmp_end(tmp, y);
}

/* (*, C r^2, H, W) <-> (*, C, H r, W r) by reshape + permute + reshape (torch's pixel_shuffle) */
static nb_tensor *shuffle(nb_tensor *x, int64_t r, bool up) {
    const char *op = up ? "nb_pixel_shuffle" : "nb_pixel_unshuffle";
    const char *name = up ? "pixel_shuffle" : "pixel_unshuffle",
               *fac = up ? "upscale_factor" : "downscale_factor";
    NBA_CHECK(op, x);
    if (x->ndim < 3)
        return nbt_error(
            "%s: %s expects input to have at least 3 dimensions, but got input with %d dimension(s)", op,
            name, x->ndim);
    if (r <= 0) return nbt_error("%s: %s expects a positive %s, but got %lld", op, name, fac, (long long)r);
    if (x->ndim + 3 > NB_MAX_DIMS)
        return nbt_error("%s: at most %d dims are supported (got %s)", op, NB_MAX_DIMS - 3, nbt_shape(x));
    int nb = x->ndim - 3;
    int64_t C = x->shape[nb], H = x->shape[nb + 1], W = x->shape[nb + 2], r2, big;
    /* r^2 and the grown sizes must fit in int64 (torch overflows silently here) */
    if (__builtin_mul_overflow(r, r, &r2) ||
        (up ? __builtin_mul_overflow(H, r, &big) || __builtin_mul_overflow(W, r, &big)
            : __builtin_mul_overflow(C, r2, &big)))
        return nbt_error("%s: %s %lld is too large for input %s", op, fac, (long long)r, nbt_shape(x));
    if (up && C % (r * r))
        return nbt_error(
            "%s: pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            "of upscale_factor, but input.size(-3)=%lld is not divisible by %lld",
            op, (long long)C, (long long)(r * r));
    if (!up && H % r)
        return nbt_error("%s: pixel_unshuffle expects height to be divisible by downscale_factor, but "
                         "input.size(-2)=%lld is not divisible by %lld",
                         op, (long long)H, (long long)r);
    if (!up && W % r)
        return nbt_error("%s: pixel_unshuffle expects width to be divisible by downscale_factor, but "
                         "input.size(-1)=%lld is not divisible by %lld",
                         op, (long long)W, (long long)r);
    int64_t s1[NB_MAX_DIMS], s2[NB_MAX_DIMS];
    int perm[NB_MAX_DIMS];
    for (int i = 0; i < nb; i++) {
        s1[i] = s2[i] = x->shape[i];
        perm[i] = i;
    }
    int b = nb;
    if (up) { /* (C, r, r, H, W) -> (C, H, r, W, r) */
        int64_t a[5] = { C / (r * r), r, r, H, W }, c[3] = { C / (r * r), H * r, W * r };
        int p[5] = { 0, 3, 1, 4, 2 };
        for (int i = 0; i < 5; i++) {
            s1[b + i] = a[i];
            perm[b + i] = b + p[i];
        }
        for (int i = 0; i < 3; i++) s2[b + i] = c[i];
    } else { /* (C, H/r, r, W/r, r) -> (C, r, r, H/r, W/r) */
        int64_t a[5] = { C, H / r, r, W / r, r }, c[3] = { C * r * r, H / r, W / r };
        int p[5] = { 0, 2, 4, 1, 3 };
        for (int i = 0; i < 5; i++) {
            s1[b + i] = a[i];
            perm[b + i] = b + p[i];
        }
        for (int i = 0; i < 3; i++) s2[b + i] = c[i];
    }
    nba_tmp tmp = nba_tmp_begin(1, &x);
    nb_tensor *y = nb_reshape(nb_contiguous(nb_permute(nb_reshape(x, nb + 5, s1), nb + 5, perm)), nb + 3, s2);
    nba_label(y, x, up ? "PixelShuffleBackward0" : "PixelUnshuffleBackward0");
    return nba_tmp_end(tmp, y);
}
nb_tensor *nb_pixel_shuffle(nb_tensor *x, int64_t upscale_factor) {
    NBT_API("nb_pixel_shuffle");
    return shuffle(x, upscale_factor, true);
}
nb_tensor *nb_pixel_unshuffle(nb_tensor *x, int64_t downscale_factor) {
    return shuffle(x, downscale_factor, false);
}

nb_tensor *nb_view_as(nb_tensor *x, nb_tensor *other) {
    NBT_API("nb_view_as");
    NBA_CHECK("nb_view_as", x, other);
    if (other->numel != x->numel) {
        char b[160];
        int k = snprintf(b, sizeof b, "[");
        for (int i = 0; i < other->ndim && k < 140; i++)
            k += snprintf(b + k, sizeof b - (size_t)k, "%s%lld", i ? ", " : "", (long long)other->shape[i]);
        snprintf(b + k, sizeof b - (size_t)k, "]");
        return nbt_error("nb_view_as: shape '%s' is invalid for input of size %lld", b, (long long)x->numel);
    }
    return nb_view(x, other->ndim, other->shape);
}

nb_tensor *nb_unflatten(nb_tensor *x, int dim, int nsizes, const int64_t *sizes) {
    NBT_API("nb_unflatten");
    NBA_CHECK("nb_unflatten", x);
    int d = nbt_dim(dim, x->ndim, "nb_unflatten");
    if (d < 0) return NULL;
    if (nsizes <= 0 || !sizes) return nbt_error("nb_unflatten: sizes must be non-empty");
    if (x->ndim - 1 + nsizes > NB_MAX_DIMS)
        return nbt_error("nb_unflatten: the result would have more than %d dims", NB_MAX_DIMS);
    int64_t prod = 1, shp[NB_MAX_DIMS];
    int infer = -1;
    for (int i = 0; i < nsizes; i++) {
        if (sizes[i] == -1 && infer < 0)
            infer = i;
        else
            prod *= sizes[i];
    }
    bool ok = infer < 0 ? prod == x->shape[d] : prod > 0 && x->shape[d] % prod == 0;
    for (int i = 0; i < nsizes; i++) ok = ok && (sizes[i] >= 0 || i == infer);
    if (!ok)
        return nbt_error(
            "nb_unflatten: Provided sizes %s don't multiply up to the size of dim %d (%lld) in the "
            "input tensor",
            nbt_shape_of(nsizes, sizes), dim, (long long)x->shape[d]);
    int n = 0;
    for (int i = 0; i < d; i++) shp[n++] = x->shape[i];
    for (int i = 0; i < nsizes; i++) shp[n++] = i == infer ? x->shape[d] / prod : sizes[i];
    for (int i = d + 1; i < x->ndim; i++) shp[n++] = x->shape[i];
    return nb_view(x, n, shp);
}
