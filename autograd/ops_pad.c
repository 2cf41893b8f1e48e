/* ops_pad.c — F.pad: constant (any dims, negative pads crop), reflect, replicate and circular. Pads
 * come in torch's order, (left, right) of the last dim first, then of the one before. Built from
 * recorded ops (narrow + cat for constant, index_select with the mode's index map otherwise), so
 * the backward is differentiable again; the result's grad_fn carries torch's name. */
#include "nb_spatial.h"
#include "nba_pool.h"

/* input position read by output position o of a dim of size n padded by (l, r) */
static int64_t pad_source(nb_pad_mode m, int64_t o, int64_t n, int64_t l) {
    int64_t p = o - l;
    if (m == NB_PAD_REFLECT) return p < 0 ? -p : p >= n ? 2 * (n - 1) - p : p;
    if (m == NB_PAD_REPLICATE) return p < 0 ? 0 : p >= n ? n - 1 : p;
    return ((p % n) + n) % n; /* circular */
}

/* y = x.index_select(d, map) with the mode's index map for pads (l, r) */
static nb_tensor *pad_dim_index(nb_tensor *x, int d, nb_pad_mode m, int64_t l, int64_t r) {
    int64_t n = x->shape[d], on = n + l + r;
    nb_tensor *ix = nb_empty(NB_I64, 1, &on);
    if (!ix) return NULL;
    int64_t *q = nb_data_i64(ix);
    for (int64_t o = 0; o < on; o++) q[o] = pad_source(m, o, n, l);
    return nb_index_select(x, d, ix);
}

/* y = [value] * l ++ x ++ [value] * r along d (negative l, r crop) */
static nb_tensor *pad_dim_constant(nb_tensor *x, int d, int64_t l, int64_t r, double value) {
    if (l < 0) x = nb_narrow(x, d, -l, x->shape[d] + l);
    if (x && r < 0) x = nb_narrow(x, d, 0, x->shape[d] + r);
    if (!x || (l <= 0 && r <= 0)) return x;
    nb_tensor *parts[3];
    int n = 0;
    int64_t shp[NB_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) shp[i] = x->shape[i];
    if (l > 0) {
        shp[d] = l;
        parts[n++] = nb_full(x->dtype, x->ndim, shp, value);
    }
    parts[n++] = x;
    if (r > 0) {
        shp[d] = r;
        parts[n++] = nb_full(x->dtype, x->ndim, shp, value);
    }
    return nb_cat(n, parts, d);
}

static const char *mode_name(nb_pad_mode m) {
    return m == NB_PAD_REFLECT     ? "reflect"
           : m == NB_PAD_REPLICATE ? "replicate"
           : m == NB_PAD_CIRCULAR  ? "circular"
                                   : "constant";
}

/* torch's checks of a non-constant pad (dims supported, pad sizes against the input) */
static bool check_mode(const nb_tensor *x, int npad, const int64_t *pad, nb_pad_mode m) {
    int k = npad / 2, nd = x->ndim;
    bool dims_ok = m == NB_PAD_CIRCULAR ? nd == k + 2 : (nd == k + 1 || nd == k + 2);
    if (k < 1 || k > 3 || !dims_ok) {
        if (m == NB_PAD_CIRCULAR)
            nbt_error("nb_pad: circular padding of %d dims needs a %d-d input (got %s)", k, k + 2,
                      nbt_shape(x));
        else
            nbt_error("nb_pad: Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now "
                      "(got %d pads for %s in mode '%s')",
                      npad, nbt_shape(x), mode_name(m));
        return false;
    }
    for (int d = nd == k + 2 ? 1 : 0; d < nd; d++) /* every dim but the batch must be non-empty */
        if (x->shape[d] == 0) {
            nbt_error("nb_pad: %dD or %dD (batch mode) tensor with non-zero dimensions (batch may be 0) "
                      "expected for '%s' padding, but got: %s",
                      k + 1, k + 2, mode_name(m), nbt_shape(x));
            return false;
        }
    for (int i = 0; i < k; i++) {
        int d = nd - 1 - i;
        int64_t n = x->shape[d], l = pad[2 * i], r = pad[2 * i + 1];
        if (m == NB_PAD_REFLECT && (l >= n || r >= n)) {
            nbt_error(
                "nb_pad: Argument #%d: Padding size should be less than the corresponding input dimension, "
                "but got: padding (%lld, %lld) at dimension %d of input %s",
                4 + 2 * i, (long long)l, (long long)r, d, nbt_shape(x));
            return false;
        }
        if (m == NB_PAD_CIRCULAR && (l > n || r > n)) {
            nbt_error(
                "nb_pad: Padding value causes wrapping around more than once (padding (%lld, %lld) of a "
                "dimension of size %lld)",
                (long long)l, (long long)r, (long long)n);
            return false;
        }
    }
    return true;
}

/* F.pad(x, pad, mode, value): pairs from the last dim backwards */
nb_tensor *nb_pad(nb_tensor *x, int npad, const int64_t *pad, nb_pad_opts o) {
    NBT_API("nb_pad");
    NBA_CHECK("nb_pad", x);
    if (npad < 0 || (npad > 0 && !pad)) return nbt_error("nb_pad: bad padding list (%d entries)", npad);
    if (npad % 2) return nbt_error("nb_pad: Padding length must be divisible by 2 (got %d)", npad);
    if (npad > 2 * x->ndim)
        return nbt_error("nb_pad: Padding length too large: %d pads for a %d-d input %s", npad, x->ndim,
                         nbt_shape(x));
    if ((unsigned)o.mode > NB_PAD_CIRCULAR) return nbt_error("nb_pad: unknown padding mode %d", (int)o.mode);
    if (o.mode != NB_PAD_CONSTANT && !nbt_is_float(x->dtype))
        return nbt_error("nb_pad: '%s' padding expects a floating point tensor (got %s)", mode_name(o.mode),
                         nb_dtype_name(x->dtype));
    for (int i = 0; i < npad; i++) /* no dim exceeds 2^40 elements: larger pads can only overflow */
        if (pad[i] > ((int64_t)1 << 40) || pad[i] < -((int64_t)1 << 40))
            return nbt_error("nb_pad: padding %lld is out of range for input %s", (long long)pad[i],
                             nbt_shape(x));
    if (o.mode != NB_PAD_CONSTANT && !check_mode(x, npad, pad, o.mode)) return NULL;
    for (int i = 0; i < npad / 2; i++) { /* torch crops first (narrow), then pads */
        int d = x->ndim - 1 - i;
        int64_t n = x->shape[d], l = pad[2 * i], r = pad[2 * i + 1], start = 0, len = n;
        if (l < 0) {
            start = -l;
            len = n + l;
        }
        if (len >= 0 && r < 0) {
            n = len;
            start = 0;
            len = n + r;
        }
        if (len < 0)
            return nbt_error(
                "nb_pad: start (%lld) + length (%lld) exceeds dimension size (%lld). (padding (%lld, "
                "%lld) of dimension %d crops more than its size)",
                (long long)start, (long long)len, (long long)n, (long long)l, (long long)r, d);
    }
    nba_tmp tmp = nba_tmp_begin(1, &x);
    nb_tensor *y = x;
    for (int i = 0; y && i < npad / 2; i++) {
        int d = x->ndim - 1 - i;
        if (o.mode == NB_PAD_CONSTANT)
            y = pad_dim_constant(y, d, pad[2 * i], pad[2 * i + 1], o.value);
        else
            y = pad_dim_index(y, d, o.mode, pad[2 * i], pad[2 * i + 1]);
    }
    if (y == x) y = nb_clone(x); /* all pads zero: a copy, as torch's */
    static const char *const names[4][4] = {
        { "ConstantPadNdBackward0", "ConstantPadNdBackward0", "ConstantPadNdBackward0",
          "ConstantPadNdBackward0" },
        { NULL, "ReflectionPad1DBackward0", "ReflectionPad2DBackward0", "ReflectionPad3DBackward0" },
        { NULL, "ReplicationPad1DBackward0", "ReplicationPad2DBackward0", "ReplicationPad3DBackward0" },
        { NULL, "CopySlices", "CopySlices", "CopySlices" }
    };
    nba_label(y, x, names[o.mode][npad / 2 < 4 ? npad / 2 : 3]);
    if ((o.mode == NB_PAD_REFLECT || o.mode == NB_PAD_REPLICATE) && y && y != x && y->node &&
        y->node->op == NBA_OP_index_select)
        y->node->iv[1] = 1; /* its backward stays connected to its input (index_add) */
    return nba_tmp_end(tmp, y);
}
