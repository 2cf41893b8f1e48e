/* init.c — torch.nn.init: fill a tensor in place (under no-grad, bumping its version) from the
 * global generator. Values are drawn in the tensor's dtype with torch's arithmetic (nb_uniform,
 * nb_normal), so after the same seed they equal torch's bit for bit. Fans and gains follow torch. */
#include "nb_nn.h"
#include "nb_internal.h"
#include <math.h>

/* t = src (converted), then release src; returns t or NULL */
static nb_tensor *assign(nb_tensor *t, nb_tensor *src) {
    nb_tensor *r = NULL;
    if (src) NB_NO_GRAD {
            r = nb_copy_(t, src);
        }
    nb_free(src);
    return r;
}

static bool check(nb_tensor *t, const char *op) {
    if (!t) {
        nbt_error("%s: NULL tensor", op);
        return false;
    }
    if (!nbt_ok(t, op)) return false;
    if (!nbt_is_float(t->dtype)) {
        nbt_error("%s: expects a floating point tensor, got %s", op, nb_dtype_name(t->dtype));
        return false;
    }
    return true;
}

/* torch.nn.init.calculate_gain; NAN and an error naming op for a value outside nb_nonlinearity (torch:
 * ValueError "Unsupported nonlinearity") */
static double gain_of(nb_nonlinearity nl, double param, const char *op) {
    switch (nl) {
    case NB_NONLIN_LINEAR:
    case NB_NONLIN_SIGMOID:
    case NB_NONLIN_CONV: return 1.0;
    case NB_NONLIN_TANH: return 5.0 / 3.0;
    case NB_NONLIN_RELU: return sqrt(2.0);
    case NB_NONLIN_SELU: return 3.0 / 4.0;
    case NB_NONLIN_LEAKY_RELU: {
        double a = param == 0 ? 0.01 : param;
        return sqrt(2.0 / (1.0 + a * a));
    }
    }
    nbt_error("%s: unsupported nonlinearity %d (use an NB_NONLIN_ value)", op, (int)nl);
    return NAN;
}

double nb_init_calculate_gain(nb_nonlinearity nl, double param) {
    return gain_of(nl, param, "nb_init_calculate_gain");
}

nb_status nb_init_fans(const nb_tensor *t, int64_t *fan_in, int64_t *fan_out) {
    if (!t || !nbt_ok(t, "nb_init_fans")) {
        if (!t) nbt_error("nb_init_fans: NULL tensor");
        return NB_ERROR;
    }
    if (t->ndim < 2) {
        nbt_error("nb_init_fans: fan in and fan out can not be computed for a tensor with fewer than 2 "
                  "dimensions (got %s)",
                  nbt_shape(t));
        return NB_ERROR;
    }
    int64_t rf = 1;
    for (int i = 2; i < t->ndim; i++) rf *= t->shape[i];
    if (fan_in) *fan_in = t->shape[1] * rf;
    if (fan_out) *fan_out = t->shape[0] * rf;
    return NB_OK;
}

nb_tensor *nb_init_uniform_(nb_tensor *t, double a, double b) {
    NBT_API("nb_init_uniform_");
    if (!check(t, "nb_init_uniform_") || !nbt_no_self_overlap(t, "nb_init_uniform_")) return NULL;
    return assign(t, nb_uniform(t->dtype, t->ndim, t->shape, a, b));
}

nb_tensor *nb_init_normal_(nb_tensor *t, double mean, double std) {
    NBT_API("nb_init_normal_");
    if (!check(t, "nb_init_normal_") || !nbt_no_self_overlap(t, "nb_init_normal_")) return NULL;
    return assign(t, nb_normal(t->dtype, t->ndim, t->shape, mean, std));
}

nb_tensor *nb_init_constant_(nb_tensor *t, double value) {
    NBT_API("nb_init_constant_");
    if (!check(t, "nb_init_constant_")) return NULL;
    nb_tensor *r = NULL;
    NB_NO_GRAD { r = nb_fill_(t, value); }
    return r;
}
nb_tensor *nb_init_zeros_(nb_tensor *t) {
    NBT_API("nb_init_zeros_");
    return nb_init_constant_(t, 0.0);
}
nb_tensor *nb_init_ones_(nb_tensor *t) {
    NBT_API("nb_init_ones_");
    return nb_init_constant_(t, 1.0);
}

nb_tensor *nb_init_xavier_uniform_(nb_tensor *t, double gain) {
    NBT_API("nb_init_xavier_uniform_");
    int64_t fi, fo;
    if (!check(t, "nb_init_xavier_uniform_") || nb_init_fans(t, &fi, &fo) != NB_OK) return NULL;
    double a = (gain == 0 ? 1.0 : gain) * sqrt(6.0 / (double)(fi + fo));
    return nb_init_uniform_(t, -a, a);
}

nb_tensor *nb_init_xavier_normal_(nb_tensor *t, double gain) {
    NBT_API("nb_init_xavier_normal_");
    int64_t fi, fo;
    if (!check(t, "nb_init_xavier_normal_") || nb_init_fans(t, &fi, &fo) != NB_OK) return NULL;
    return nb_init_normal_(t, 0.0, (gain == 0 ? 1.0 : gain) * sqrt(2.0 / (double)(fi + fo)));
}

/* gain / sqrt(fan) for kaiming_*; <= 0 with an error recorded */
static double kaiming_std(nb_tensor *t, double a, nb_fan_mode mode, nb_nonlinearity nl, const char *op) {
    int64_t fi, fo;
    if (!check(t, op) || nb_init_fans(t, &fi, &fo) != NB_OK) return -1;
    if (mode != NB_FAN_IN && mode != NB_FAN_OUT) { /* torch: "Mode ... not supported" */
        nbt_error("%s: mode %d not supported, please use NB_FAN_IN or NB_FAN_OUT", op, (int)mode);
        return -1;
    }
    int64_t fan = mode == NB_FAN_OUT ? fo : fi;
    if (fan == 0) {
        nbt_error("%s: initializing a zero-element tensor %s", op, nbt_shape(t));
        return -1;
    }
    /* torch passes a straight to calculate_gain, where leaky_relu's param 0 stays 0 */
    double gain = nl == NB_NONLIN_LEAKY_RELU ? sqrt(2.0 / (1.0 + a * a)) : gain_of(nl, a, op);
    if (isnan(gain)) return -1;
    return gain / sqrt((double)fan);
}

nb_tensor *nb_init_kaiming_uniform_(nb_tensor *t, double a, nb_fan_mode mode, nb_nonlinearity nl) {
    NBT_API("nb_init_kaiming_uniform_");
    double std = kaiming_std(t, a, mode, nl, "nb_init_kaiming_uniform_");
    if (std < 0) return NULL;
    double bound = sqrt(3.0) * std;
    return nb_init_uniform_(t, -bound, bound);
}

nb_tensor *nb_init_kaiming_normal_(nb_tensor *t, double a, nb_fan_mode mode, nb_nonlinearity nl) {
    NBT_API("nb_init_kaiming_normal_");
    double std = kaiming_std(t, a, mode, nl, "nb_init_kaiming_normal_");
    if (std < 0) return NULL;
    return nb_init_normal_(t, 0.0, std);
}
