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

/* ---- creation: NULL shapes, negative sizes, bad dtypes, NULL templates ---- */
MU_E(nb_empty, "NULL shape", !nb_empty(NB_F32, 2, NULL))
MU_E(nb_empty, "negative size", !nb_empty(NB_F32, NB_SHAPE(2, -1)))
MU_E(nb_empty, "unknown dtype 5", !nb_empty((nb_dtype)5, NB_SHAPE(2)))
MU_E(nb_ones, "NULL shape", !nb_ones(NB_F32, 2, NULL))
MU_E(nb_ones, "negative size", !nb_ones(NB_F32, NB_SHAPE(2, -1)))
MU_E(nb_ones, "unknown dtype 5", !nb_ones((nb_dtype)5, NB_SHAPE(2)))
MU_E(nb_full, "NULL shape", !nb_full(NB_F32, 2, NULL, 1))
MU_E(nb_full, "negative size", !nb_full(NB_F32, NB_SHAPE(2, -1), 1))
MU_E(nb_full, "unknown dtype 5", !nb_full((nb_dtype)5, NB_SHAPE(2), 1))
MU_E(nb_rand, "NULL shape", !nb_rand(NB_F32, 2, NULL))
MU_E(nb_rand, "negative size", !nb_rand(NB_F32, NB_SHAPE(2, -1)))
MU_E(nb_rand, "unknown dtype 5", !nb_rand((nb_dtype)5, NB_SHAPE(2)))
MU_E(nb_randn, "NULL shape", !nb_randn(NB_F32, 2, NULL))
MU_E(nb_randn, "negative size", !nb_randn(NB_F32, NB_SHAPE(2, -1)))
MU_E(nb_randn, "unknown dtype 5", !nb_randn((nb_dtype)5, NB_SHAPE(2)))
MU_E(nb_uniform, "NULL shape", !nb_uniform(NB_F32, 2, NULL, 0, 1))
MU_E(nb_uniform, "negative size", !nb_uniform(NB_F32, NB_SHAPE(2, -1), 0, 1))
MU_E(nb_uniform, "unknown dtype 5", !nb_uniform((nb_dtype)5, NB_SHAPE(2), 0, 1))
MU_E(nb_normal, "NULL shape", !nb_normal(NB_F32, 2, NULL, 0, 1))
MU_E(nb_normal, "negative size", !nb_normal(NB_F32, NB_SHAPE(2, -1), 0, 1))
MU_E(nb_normal, "unknown dtype 5", !nb_normal((nb_dtype)5, NB_SHAPE(2), 0, 1))
MU_E(nb_exponential, "NULL shape", !nb_exponential(NB_F32, 2, NULL, 1))
MU_E(nb_exponential, "negative size", !nb_exponential(NB_F32, NB_SHAPE(2, -1), 1))
MU_E(nb_exponential, "unknown dtype 5", !nb_exponential((nb_dtype)5, NB_SHAPE(2), 1))
MU_E(nb_rand_gen, "NULL shape", !nb_rand_gen(NB_F32, 2, NULL, NULL))
MU_E(nb_rand_gen, "9 dims", !nb_rand_gen(NB_F32, 9, (int64_t[9]){ 0 }, NULL))
MU_E(nb_randn_gen, "NULL shape", !nb_randn_gen(NB_F32, 2, NULL, NULL))
MU_E(nb_randn_gen, "9 dims", !nb_randn_gen(NB_F32, 9, (int64_t[9]){ 0 }, NULL))
MU_E(nb_uniform_gen, "NULL shape", !nb_uniform_gen(NB_F32, 2, NULL, 0, 1, NULL))
MU_E(nb_uniform_gen, "9 dims", !nb_uniform_gen(NB_F32, 9, (int64_t[9]){ 0 }, 0, 1, NULL))
MU_E(nb_normal_gen, "NULL shape", !nb_normal_gen(NB_F32, 2, NULL, 0, 1, NULL))
MU_E(nb_normal_gen, "9 dims", !nb_normal_gen(NB_F32, 9, (int64_t[9]){ 0 }, 0, 1, NULL))
MU_E(nb_exponential_gen, "NULL shape", !nb_exponential_gen(NB_F32, 2, NULL, 1, NULL))
MU_E(nb_exponential_gen, "9 dims", !nb_exponential_gen(NB_F32, 9, (int64_t[9]){ 0 }, 1, NULL))
MU_E(nb_rand, "int64 dtype", !nb_rand(NB_I64, NB_SHAPE(2)))
MU_E(nb_randn, "int64 dtype", !nb_randn(NB_I64, NB_SHAPE(2)))
MU_E(nb_uniform, "from NaN", !nb_uniform(NB_F32, NB_SHAPE(2), NAN, 1))
MU_E(nb_uniform, "from > to", !nb_uniform(NB_F32, NB_SHAPE(2), 2, 1))
MU_E(nb_normal, "negative std", !nb_normal(NB_F32, NB_SHAPE(2), 0, -1))
MU_E(nb_normal, "NaN std", !nb_normal(NB_F64, NB_SHAPE(2), 0, NAN))
MU_E(nb_exponential, "lambda 0", !nb_exponential(NB_F32, NB_SHAPE(2), 0))
MU_E(nb_exponential, "negative lambda", !nb_exponential(NB_F64, NB_SHAPE(2), -2))
MU_E(nb_randint, "low == high", !nb_randint(3, 3, NB_SHAPE(2)))
MU_E(nb_randint, "NULL shape", !nb_randint(0, 3, 1, NULL))
MU_E(nb_randint_gen, "low > high", !nb_randint_gen(5, 1, NB_SHAPE(2), NULL))
MU_E(nb_randint_gen, "negative size", !nb_randint_gen(0, 2, NB_SHAPE(-2), NULL))
MU_E(nb_randperm, "n -1", !nb_randperm(-1))
MU_E(nb_randperm, "n INT64_MAX", !nb_randperm(INT64_MAX))
MU_E(nb_randperm_gen, "n -5", !nb_randperm_gen(-5, NULL))
MU_E(nb_randperm_gen, "n 2^62", !nb_randperm_gen((int64_t)1 << 62, NULL))
MU_N(nb_bernoulli, "NULL p", !nb_bernoulli(NULL))
MU_E(nb_bernoulli, "p 2", !nb_bernoulli(nb_full(NB_F32, NB_SHAPE(2), 2)))
MU_E(nb_bernoulli, "int64 p", !nb_bernoulli(TI()))
MU_N(nb_bernoulli_gen, "NULL p", !nb_bernoulli_gen(NULL, NULL))
MU_E(nb_bernoulli_gen, "p NaN", !nb_bernoulli_gen(nb_full(NB_F64, NB_SHAPE(2), NAN), NULL))
MU_N(nb_multinomial, "NULL probs", !nb_multinomial(NULL, 1, true))
MU_E(nb_multinomial, "negative weight", !nb_multinomial(nb_full(NB_F32, NB_SHAPE(3), -1), 1, true))
MU_E(nb_multinomial, "n > categories without replacement",
     !nb_multinomial(nb_ones(NB_F32, NB_SHAPE(3)), 4, false))
MU_E(nb_multinomial, "3-d probs", !nb_multinomial(mu_img(), 1, true))
MU_E(nb_multinomial, "all-zero row", !nb_multinomial(nb_zeros(NB_F32, NB_SHAPE(2, 3)), 1, true))
MU_E(nb_multinomial, "n -1", !nb_multinomial(nb_ones(NB_F32, NB_SHAPE(3)), -1, true))
MU_N(nb_multinomial_gen, "NULL probs", !nb_multinomial_gen(NULL, 1, true, NULL))
MU_E(nb_multinomial_gen, "inf weight",
     !nb_multinomial_gen(nb_full(NB_F64, NB_SHAPE(3), INFINITY), 1, true, NULL))
MU_N(nb_empty_like, "NULL template", !nb_empty_like(NULL))
MU_E(nb_empty_like, "released template", !nb_empty_like(mu_released()))
MU_N(nb_zeros_like, "NULL template", !nb_zeros_like(NULL))
MU_E(nb_zeros_like, "released template", !nb_zeros_like(mu_released()))
MU_N(nb_ones_like, "NULL template", !nb_ones_like(NULL))
MU_E(nb_ones_like, "released template", !nb_ones_like(mu_released()))
MU_N(nb_rand_like, "NULL template", !nb_rand_like(NULL))
MU_E(nb_rand_like, "released template", !nb_rand_like(mu_released()))
MU_N(nb_randn_like, "NULL template", !nb_randn_like(NULL))
MU_E(nb_randn_like, "released template", !nb_randn_like(mu_released()))
MU_E(nb_rand_like, "int64 template", !nb_rand_like(TI()))
MU_N(nb_full_like, "NULL template", !nb_full_like(NULL, 1))
MU_N(nb_new_zeros, "NULL template", !nb_new_zeros(NULL, NB_SHAPE(2)))
MU_E(nb_new_zeros, "NULL shape", !nb_new_zeros(T(), 1, NULL))
MU_E(nb_new_zeros, "negative size", !nb_new_zeros(T(), NB_SHAPE(-4)))
MU_N(nb_new_ones, "NULL template", !nb_new_ones(NULL, NB_SHAPE(2)))
MU_E(nb_new_ones, "NULL shape", !nb_new_ones(T(), 1, NULL))
MU_E(nb_new_ones, "negative size", !nb_new_ones(T(), NB_SHAPE(-4)))
MU_N(nb_new_full, "NULL template", !nb_new_full(NULL, NB_SHAPE(2), 2))
MU_E(nb_new_full, "NULL shape", !nb_new_full(T(), 1, NULL, 2))
MU_E(nb_new_full, "negative size", !nb_new_full(T(), NB_SHAPE(-4), 2))
MU_E(nb_new_full, "NaN into int64", !nb_new_full(TI(), NB_SHAPE(2), NAN))
MU_E(nb_tensor_from, "negative size", !nb_tensor_from(NB_F32, (float[]){ 1 }, NB_SHAPE(-1), false))
MU_E(nb_tensor_from, "requires_grad on int64", !nb_tensor_from(NB_I64, (int64_t[]){ 1 }, NB_SHAPE(1), true))
MU_E(nb_ones, "9 dims", !nb_ones(NB_F32, 9, (int64_t[9]){ 1 }))
MU_E(nb_scalar, "unknown dtype", !nb_scalar((nb_dtype)-1, 1))
MU_E(nb_arange, "step 0", !nb_arange(NB_F32, 0, 1, 0))
MU_E(nb_arange, "wrong-signed step", !nb_arange(NB_F32, 0, 5, -1))
MU_E(nb_arange, "NaN end", !nb_arange(NB_F64, 0, NAN, 1))
MU_E(nb_linspace, "negative steps", !nb_linspace(NB_F32, 0, 1, -1))
MU_E(nb_eye, "negative n", !nb_eye(NB_F32, -2, 0))
MU_E(nb_eye, "unknown dtype", !nb_eye((nb_dtype)3, 2, 2))
/* ---- generators and rng state ---- */
MU_E(nb_generator_get_state, "NULL out", (nb_generator_get_state(mu_own_gen(nb_generator_new()), NULL), true))
MU_E(nb_generator_set_state, "NULL state",
     nb_generator_set_state(mu_own_gen(nb_generator_new()), NULL, 5056) == NB_ERROR)
MU_E(nb_generator_set_state, "wrong size 17",
     nb_generator_set_state(mu_own_gen(nb_generator_new()), (uint8_t[17]){ 0 }, 17) == NB_ERROR)
MU_E(nb_generator_set_state, "NULL generator",
     nb_generator_set_state(NULL, (uint8_t[5056]){ 0 }, 5056) == NB_ERROR)
MU_E(nb_generator_set_state, "all-zero state (invalid MT19937)",
     nb_generator_set_state(mu_own_gen(nb_generator_new()), (uint8_t[5056]){ 0 }, 5056) == NB_ERROR)
MU_E(nb_get_rng_state, "NULL out", (nb_get_rng_state(NULL), true))
MU_E(nb_set_rng_state, "NULL state", nb_set_rng_state(NULL, 5056) == NB_ERROR)
MU_E(nb_set_rng_state, "size 0", nb_set_rng_state((uint8_t[8]){ 0 }, 0) == NB_ERROR)
/* ---- access ---- */
MU_E(nb_item, "NULL", isnan(nb_item(NULL)))
MU_E(nb_item, "6 elements", isnan(nb_item(T())))
MU_E(nb_item, "released", isnan(nb_item(mu_released())))
MU_E(nb_get, "NULL tensor", isnan(nb_get(NULL, (int64_t[]){ 0 })))
MU_E(nb_get, "index -3 of size 2", isnan(nb_get(T(), (int64_t[]){ -3, 0 })))
MU_E(nb_set, "NULL tensor", nb_set(NULL, (int64_t[]){ 0 }, 1) == NB_ERROR)
MU_E(nb_data, "NULL", !nb_data(NULL))
MU_E(nb_data, "released", !nb_data(mu_released()))
MU_E(nb_data_f32, "f64 tensor", !nb_data_f32(mu_f64()))
MU_E(nb_data_f32, "NULL", !nb_data_f32(NULL))
MU_E(nb_data_f64, "f32 tensor", !nb_data_f64(T()))
MU_E(nb_data_f64, "released", !nb_data_f64(mu_released()))
MU_E(nb_data_i64, "f32 tensor", !nb_data_i64(T()))
MU_E(nb_data_i64, "NULL", !nb_data_i64(NULL))
MU_E(nb_to_doubles, "NULL tensor", nb_to_doubles(NULL, (double[6]){ 0 }) == NB_ERROR)
MU_E(nb_numel, "NULL", nb_numel(NULL) == -1)
MU_E(nb_numel, "released", nb_numel(mu_released()) == -1)
MU_E(nb_size, "NULL", nb_size(NULL, 0) == -1)
MU_E(nb_size, "dim 2 of a 2-d tensor", nb_size(T(), 2) == -1)
MU_E(nb_dtype_size, "unknown dtype 9", nb_dtype_size((nb_dtype)9) == 0)
MU_E(nb_dtype_name, "unknown dtype -1", !strcmp(nb_dtype_name((nb_dtype)-1), "unknown"))
MU_E(nb_fprint, "NULL FILE", (nb_fprint(NULL, T()), true))
MU_E(nb_fprint, "released tensor", (nb_fprint(stderr, mu_released()), true))
MU_E(nb_print, "released tensor", (nb_print(mu_released()), true))
MU_E(nb_shape_str, "NULL buffer", !nb_shape_str(T(), NULL, 8))
MU_E(nb_shape_str, "zero-size buffer", (nb_shape_str(T(), (char[4]){ 0 }, 0), true))
/* ---- lifetimes, errors, memory ---- */
MU_E(nb_free, "double free", (nb_free(mu_released()), true))
MU_E(nb_keep, "released", !nb_keep(mu_released()))
MU_E(nb_release, "released", (nb_release(mu_released()), true))
MU_E(nb_scope_end, "scope 0", (nb_scope_end(0), true))
MU_E(nb_scope_end, "negative scope", (nb_scope_end(-1), true))
MU_E(nb_tidy_end, "NULL keep with nkeep 1", (nb_tidy_end(nb_tidy_begin(), 1, NULL), true))
MU_E(nb_tidy_end, "negative nkeep", (nb_tidy_end(nb_tidy_begin(), -1, NULL), true))
MU_E(nb_memory_summary, "NULL FILE", (nb_memory_summary(NULL), true))
/* ---- state dicts ---- */
MU_E(nb_state_dict_add, "NULL dict", nb_state_dict_add(NULL, "w", T()) == NB_ERROR)
MU_E(nb_state_dict_add, "NULL name", nb_state_dict_add(mu_sd(), NULL, T()) == NB_ERROR)
MU_E(nb_state_dict_add, "NULL tensor", nb_state_dict_add(mu_sd(), "w", NULL) == NB_ERROR)
MU_E(nb_state_dict_get, "NULL dict", !nb_state_dict_get(NULL, "w") && nb_error())
MU_E(nb_state_dict_get, "NULL name", !nb_state_dict_get(mu_sd(), NULL) && nb_error())
MU_GOOD(nb_generator_manual_seed, "a NULL generator is the global one") {
    nb_generator_manual_seed(NULL, 7);
    return nb_initial_seed() == 7 && nb_generator_initial_seed(NULL) == 7 && nb_generator_random(NULL) > 0;
}
