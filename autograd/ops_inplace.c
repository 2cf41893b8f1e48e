/* ops_inplace.c — in-place updates for optimizers and manual steps (x -= lr * g under NB_NO_GRAD).
 * They are not recorded: writing into a tensor that requires grad (or from one) while grad mode
 * is on is an error, like torch's leaf check. Each bumps the storage's version counter. */
#include "nba_tape.h"

/* reads: the destination's old values are read (every op but fill): a self-overlapping x is refused */
static bool inplace_check(nb_tensor *x, nb_tensor *other, const char *op, bool reads) {
    if (!x || !nbt_ok(x, op)) return false;
    if (other && !nbt_ok(other, op)) return false;
    if (!nbt_leaf_write_ok(x, op)) return false;
    if (nb_is_grad_enabled() && other && other->requires_grad) {
        nbt_error(
            "%s: a tensor that requires grad is being used in an in-place operation while grad mode is on; "
            "wrap the update in NB_NO_GRAD { ... } or use the out-of-place op",
            op);
        return false;
    }
    return !reads || nbt_no_self_overlap(x, op);
}
static bool inplace_ok(nb_tensor *x, nb_tensor *other, const char *op) {
    return inplace_check(x, other, op, true);
}

static nb_tensor *binary_(nbt_binary_kind k, nb_tensor *x, nb_tensor *o, const char *op) {
    if (!o) return NULL;
    if (!inplace_ok(x, o, op)) return NULL;
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: in-place arithmetic needs a float tensor (got %s)", op,
                         nb_dtype_name(x->dtype));
    if (nbt_binary_into(k, x, x, o, op) != NB_OK) return NULL;
    x->storage->version++;
    return x;
}
nb_tensor *nb_add_(nb_tensor *x, nb_tensor *o) {
    NBT_API("nb_add_");
    return binary_(NBT_ADD, x, o, "nb_add_");
}
nb_tensor *nb_sub_(nb_tensor *x, nb_tensor *o) {
    NBT_API("nb_sub_");
    return binary_(NBT_SUB, x, o, "nb_sub_");
}
nb_tensor *nb_mul_(nb_tensor *x, nb_tensor *o) {
    NBT_API("nb_mul_");
    return binary_(NBT_MUL, x, o, "nb_mul_");
}
nb_tensor *nb_div_(nb_tensor *x, nb_tensor *o) { return binary_(NBT_DIV, x, o, "nb_div_"); }

static nb_tensor *unary_(nbt_unary_kind k, nb_tensor *x, double a, double b, const char *op) {
    if (!inplace_ok(x, NULL, op)) return NULL;
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: in-place arithmetic needs a float tensor (got %s)", op,
                         nb_dtype_name(x->dtype));
    if (nbt_unary_into(k, x, x, a, b) != NB_OK) return NULL;
    x->storage->version++;
    return x;
}
nb_tensor *nb_add_scalar_(nb_tensor *x, double s) {
    NBT_API("nb_add_scalar_");
    return unary_(NBT_ADD_S, x, s, 0, "nb_add_scalar_");
}
nb_tensor *nb_mul_scalar_(nb_tensor *x, double s) {
    NBT_API("nb_mul_scalar_");
    return unary_(NBT_MUL_S, x, s, 0, "nb_mul_scalar_");
}
nb_tensor *nb_clamp_(nb_tensor *x, double lo, double hi) {
    NBT_API("nb_clamp_");
    return unary_(NBT_CLAMP, x, lo, hi, "nb_clamp_");
}

nb_tensor *nb_add_scaled_(nb_tensor *x, nb_tensor *o, double alpha) {
    NBT_API("nb_add_scaled_");
    if (!o) return NULL;
    if (!inplace_ok(x, o, "nb_add_scaled_")) return NULL;
    if (alpha == 1) return nb_add_(x, o);
    nb_tensor *t = nbt_unary(NBT_MUL_S, o, alpha, 0);
    nb_tensor *r = t ? binary_(NBT_ADD, x, t, "nb_add_scaled_") : NULL;
    nb_free(t);
    return r;
}

static nb_tensor *fill_(nb_tensor *x, double v, const char *op) {
    if (!inplace_check(x, NULL, op, false)) return NULL; /* torch fills an expanded tensor: one value */
    if (x->dtype == NB_I64 && !nbt_i64_value_ok(v, op)) return NULL;
    nb_tensor *s = nbt_new(x->dtype, 0, NULL);
    if (!s) return NULL;
    if (x->dtype == NB_F32)
        *(float *)nbt_ptr(s) = (float)v;
    else if (x->dtype == NB_F64)
        *(double *)nbt_ptr(s) = v;
    else
        *(int64_t *)nbt_ptr(s) = nbt_f2i(v);
    nb_status st = nbt_copy_into(x, s, op);
    nb_free(s);
    if (st != NB_OK) return NULL;
    x->storage->version++;
    return x;
}
nb_tensor *nb_fill_(nb_tensor *x, double v) {
    NBT_API("nb_fill_");
    return fill_(x, v, "nb_fill_");
}
nb_tensor *nb_zero_(nb_tensor *x) {
    NBT_API("nb_zero_");
    return fill_(x, 0.0, "nb_zero_");
}

nb_tensor *nb_copy_(nb_tensor *x, nb_tensor *src) {
    if (!src) return NULL;
    if (!inplace_ok(x, src, "nb_copy_")) return NULL;
    if (nbt_copy_into(x, src, "nb_copy_") != NB_OK) return NULL;
    x->storage->version++;
    return x;
}
