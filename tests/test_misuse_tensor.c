/* test_misuse_tensor.c — misuse cases of the tensor layer (include/nb_tensor.h): overflowing shape
 * and index arithmetic, float -> int64 conversions, NULL pointers, creation, random numbers, access,
 * lifetimes, memory statistics and state dicts. Harness and how to add a case: tests/misuse.h. */
#include "misuse.h"

#define T mu_f32
#define TI mu_i64

/* ---- 1. overflowing shape and index arithmetic ---- */
MU_E(nb_reshape, "reshape to INT64_MAX x 2", !nb_reshape(T(), NB_SHAPE(INT64_MAX, 2)))
MU_E(nb_reshape, "reshape to -1 x INT64_MAX", !nb_reshape(T(), NB_SHAPE(-1, INT64_MAX)))
MU_E(nb_view, "view to 2^62 x 4", !nb_view(T(), NB_SHAPE((int64_t)1 << 62, 4)))
MU_E(nb_expand, "expand to INT64_MAX rows",
     !nb_expand(nb_zeros(NB_F32, NB_SHAPE(1, 3)), NB_SHAPE(INT64_MAX, 3)))
MU_E(nb_narrow, "narrow start INT64_MAX", !nb_narrow(T(), 1, INT64_MAX, 2))
MU_E(nb_narrow, "narrow length INT64_MAX", !nb_narrow(T(), 1, 1, INT64_MAX))
MU_E(nb_narrow, "narrow start INT64_MIN", !nb_narrow(T(), 1, INT64_MIN, 1))
MU_E(nb_slice, "slice step 0", !nb_slice(T(), 1, 0, 3, 0))
MU_E(nb_zeros, "zeros INT64_MAX x INT64_MAX", !nb_zeros(NB_F32, NB_SHAPE(INT64_MAX, INT64_MAX)))
MU_E(nb_zeros, "zeros with a negative size", !nb_zeros(NB_F32, NB_SHAPE(2, -3)))
MU_E(nb_empty, "empty with 9 dims", !nb_empty(NB_F32, 9, (int64_t[]){ 1, 1, 1, 1, 1, 1, 1, 1, 1 }))
MU_E(nb_select, "select index INT64_MAX", !nb_select(T(), 0, INT64_MAX))
MU_E(nb_select, "select index INT64_MIN", !nb_select(T(), 0, INT64_MIN))
MU_E(nb_get, "get index INT64_MAX", isnan(nb_get(T(), (int64_t[]){ INT64_MAX, 0 })))
MU_E(nb_set, "set index -INT64_MAX", nb_set(T(), (int64_t[]){ 0, -INT64_MAX }, 1) == NB_ERROR)
MU_E(nb_size, "size of dim INT_MIN", nb_size(T(), INT_MIN) == -1)
MU_E(nb_eye, "eye INT64_MAX x INT64_MAX", !nb_eye(NB_F32, INT64_MAX, INT64_MAX))
MU_E(nb_linspace, "linspace INT64_MAX steps", !nb_linspace(NB_F32, 0, 1, INT64_MAX))

/* ---- 2. float -> int64 conversions ---- */
MU_E(nb_full, "full int64 with NaN", !nb_full(NB_I64, NB_SHAPE(2), NAN))
MU_E(nb_full, "full int64 with inf", !nb_full(NB_I64, NB_SHAPE(2), INFINITY))
MU_E(nb_full, "full int64 with 1e30", !nb_full(NB_I64, NB_SHAPE(2), 1e30))
MU_E(nb_scalar, "scalar int64 NaN", !nb_scalar(NB_I64, NAN))
MU_E(nb_scalar, "scalar int64 -inf", !nb_scalar(NB_I64, -INFINITY))
MU_E(nb_scalar, "scalar int64 2^63", !nb_scalar(NB_I64, 0x1p63))
MU_E(nb_set, "set int64 element to NaN", nb_set(TI(), (int64_t[]){ 1 }, NAN) == NB_ERROR)
MU_E(nb_set, "set int64 element to -1e19", nb_set(TI(), (int64_t[]){ 1 }, -1e19) == NB_ERROR)
MU_E(nb_fill_, "fill_ int64 with NaN", !nb_fill_(TI(), NAN))
MU_E(nb_fill_, "fill_ int64 with inf", !nb_fill_(TI(), INFINITY))
MU_E(nb_arange, "arange with 1e600 elements", !nb_arange(NB_F32, 0, 1e300, 1e-300))
MU_E(nb_arange, "arange int64 from -1e30", !nb_arange(NB_I64, -1e30, 0, 1e29))
MU_E(nb_full_like, "full_like int64 with NaN", !nb_full_like(TI(), NAN))

/* ---- 3. NULL where a pointer other than a tensor is expected ---- */
MU_E(nb_read_idx, "read_idx NULL path", !nb_read_idx(NULL, NB_F32, 1))
MU_E(nb_read_csv, "read_csv NULL path", !nb_read_csv(NULL, (nb_csv_opts){ 0 }))
MU_E(nb_tensor_from, "tensor_from NULL data", !nb_tensor_from(NB_F32, NULL, NB_SHAPE(2), false))
MU_E(nb_tape_dot, "tape_dot NULL FILE", nb_tape_dot(NULL, T()) == NB_ERROR)
MU_E(nb_tape_json, "tape_json NULL FILE", nb_tape_json(NULL) == NB_ERROR)
MU_E(nb_zeros, "zeros NULL shape", !nb_zeros(NB_F32, 2, NULL))
MU_E(nb_safetensors_read, "safetensors_read NULL path",
     nb_safetensors_read(NULL, &(nb_state_dict){ 0 }) == NB_ERROR)
MU_ERR(nb_grad, "grad NULL grads array") {
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(2)), true);
    return nb_grad(1, (nb_tensor *[]){ nb_sum(x) }, 1, &x, NULL, NULL, (nb_grad_opts){ 0 }) == NB_ERROR;
}
MU_E(nb_get, "get NULL index", isnan(nb_get(T(), NULL)))
MU_E(nb_set, "set NULL index", nb_set(T(), NULL, 1) == NB_ERROR)
MU_E(nb_to_doubles, "to_doubles NULL out", nb_to_doubles(T(), NULL) == NB_ERROR)

/* ---- successes leave no error pending ---- */
MU_G(nb_full, "full int64 with -2^63", nb_full(NB_I64, NB_SHAPE(2), -0x1p63) != NULL)
MU_G(nb_arange, "arange int64 0..5", nb_arange(NB_I64, 0, 5, 1) != NULL)
MU_GOOD(nb_set, "set int64 7.9 truncates to 7") {
    nb_tensor *t = TI();
    return nb_set(t, (int64_t[]){ 2 }, 7.9) == NB_OK && nb_get(t, (int64_t[]){ 2 }) == 7;
}
MU_GOOD(nb_to, "to int64 of NaN and 1e30 is INT64_MIN, as torch on x86") {
    nb_tensor *f = nb_tensor_from(NB_F64, (double[]){ NAN, 1e30, -1e30, 2.5 }, NB_SHAPE(4), false);
    nb_tensor *i = nb_to(f, NB_I64);
    return i && nb_data_i64(i)[0] == INT64_MIN && nb_data_i64(i)[1] == INT64_MIN &&
           nb_data_i64(i)[2] == INT64_MIN && nb_data_i64(i)[3] == 2;
}
MU_GOOD(nb_set_num_threads, "INT_MAX threads is clamped, not fatal") {
    nb_set_num_threads(INT_MAX);
    bool ok = nb_get_num_threads() >= 1;
    nb_set_num_threads(0);
    return ok;
}
