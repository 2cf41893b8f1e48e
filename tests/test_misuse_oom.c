/* test_misuse_oom.c — issue 15 class 7, allocation failures: calls whose sizes pass every shape check
 * but cannot be allocated (2^40 elements, 4-8 TiB, above the 1 TiB the child may map) must fail with
 * "<public function>: out of memory allocating a <shape> <dtype> tensor (<size>)", no crash, no leak. */
#include "misuse.h"

#define M ((int64_t)1 << 20) /* M x M = 2^40 elements: nabla's largest tensor */
/* the message names fn and shows the shape, dtype and size of the tensor that could not be made */
static bool oom(const char *fn, const char *shape, const char *dtype, const char *size) {
    char head[96];
    snprintf(head, sizeof head, "%s: out of memory allocating a ", fn);
    return mu_msg_has(4, (const char *const[]){ head, shape, dtype, size });
}
#define BIG "(1048576, 1048576)"
/* (1) f64 expanded to (2^20, 2^20): a view, no data of its own */
static nb_tensor *huge_view(void) { return nb_expand(nb_zeros(NB_F64, NB_SHAPE(1)), NB_SHAPE(M, M)); }

/* ---- creation ---- */
MU_ERR(nb_zeros, "2^40 f64 elements (8 TiB)") {
    mu_no_overcommit();
    return !nb_zeros(NB_F64, NB_SHAPE(M, M)) && oom("nb_zeros", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_zeros, "2^40 f32 elements (4 TiB)") {
    mu_no_overcommit();
    return !nb_zeros(NB_F32, NB_SHAPE((int64_t)1 << 40)) &&
           oom("nb_zeros", "(1099511627776)", "float32", "(4.0 TiB)");
}
MU_ERR(nb_empty, "2^40 elements") {
    mu_no_overcommit();
    return !nb_empty(NB_I64, NB_SHAPE(M, M)) && oom("nb_empty", BIG, "int64", "(8.0 TiB)");
}
MU_ERR(nb_ones, "2^40 elements") {
    mu_no_overcommit();
    return !nb_ones(NB_F64, NB_SHAPE(M, 1, M)) && oom("nb_ones", "(1048576, 1, 1048576)", "float64", "TiB");
}
MU_ERR(nb_full, "2^40 elements") {
    mu_no_overcommit();
    return !nb_full(NB_F32, NB_SHAPE(M, M), 2.5) && oom("nb_full", BIG, "float32", "(4.0 TiB)");
}
MU_ERR(nb_rand, "2^40 elements") {
    mu_no_overcommit();
    return !nb_rand(NB_F64, NB_SHAPE(M, M)) && oom("nb_rand", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_randn, "2^40 elements") {
    mu_no_overcommit();
    return !nb_randn(NB_F32, NB_SHAPE(M, M)) && oom("nb_randn", BIG, "float32", "(4.0 TiB)");
}
MU_ERR(nb_randint, "2^40 elements") {
    mu_no_overcommit();
    return !nb_randint(0, 5, NB_SHAPE(M, M)) && oom("nb_randint", BIG, "int64", "(8.0 TiB)");
}
MU_ERR(nb_arange, "2^40 elements") {
    mu_no_overcommit();
    return !nb_arange(NB_F64, 0, 0x1p40, 1) && oom("nb_arange", "(1099511627776)", "float64", "(8.0 TiB)");
}
MU_ERR(nb_linspace, "2^40 steps") {
    mu_no_overcommit();
    return !nb_linspace(NB_F64, 0, 1, (int64_t)1 << 40) &&
           oom("nb_linspace", "(1099511627776)", "float64", "TiB");
}
MU_ERR(nb_eye, "2^20 x 2^20") {
    mu_no_overcommit();
    return !nb_eye(NB_F64, M, M) && oom("nb_eye", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_zeros_like, "like a huge view") {
    mu_no_overcommit();
    return !nb_zeros_like(huge_view()) && oom("nb_zeros_like", BIG, "float64", "(8.0 TiB)");
}

/* ---- ops whose result is huge while the inputs are small or views ---- */
MU_ERR(nb_matmul, "(2^20, 1) @ (1, 2^20)") {
    mu_no_overcommit();
    nb_tensor *a = nb_ones(NB_F64, NB_SHAPE(M, 1)), *b = nb_ones(NB_F64, NB_SHAPE(1, M));
    return a && b && !nb_matmul(a, b) && oom("nb_matmul", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_outer, "2^20 x 2^20") {
    mu_no_overcommit();
    nb_tensor *a = nb_ones(NB_F32, NB_SHAPE(M));
    return a && !nb_outer(a, a) && oom("nb_outer", BIG, "float32", "(4.0 TiB)");
}
MU_ERR(nb_contiguous, "an expanded view") {
    mu_no_overcommit();
    return !nb_contiguous(huge_view()) && oom("nb_contiguous", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_clone, "an expanded view") {
    mu_no_overcommit();
    return !nb_clone(huge_view()) && oom("nb_clone", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_add, "an expanded view + 1") {
    mu_no_overcommit();
    return !nb_add(huge_view(), nb_ones(NB_F64, NB_SHAPE(1))) && oom("nb_add", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_exp, "an expanded view") {
    mu_no_overcommit();
    return !nb_exp(huge_view()) && oom("nb_exp", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_relu, "an expanded view") {
    mu_no_overcommit();
    return !nb_relu(huge_view()) && oom("nb_relu", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_abs, "an expanded view") {
    mu_no_overcommit();
    return !nb_abs(huge_view()) && oom("nb_abs", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_mul_scalar, "an expanded view") {
    mu_no_overcommit();
    return !nb_mul_scalar(huge_view(), 2) && oom("nb_mul_scalar", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_cat, "two halves of 2^40 elements") {
    mu_no_overcommit();
    nb_tensor *h = nb_expand(nb_zeros(NB_F32, NB_SHAPE(1)), NB_SHAPE(M / 2, M));
    return h && !nb_cat(2, (nb_tensor *[]){ h, h }, 0) && oom("nb_cat", BIG, "float32", "(4.0 TiB)");
}
MU_ERR(nb_softmax, "an expanded view") {
    mu_no_overcommit();
    return !nb_softmax(huge_view(), 1) && oom("nb_softmax", BIG, "float64", "(8.0 TiB)");
}
MU_ERR(nb_to, "an expanded view to f32") {
    mu_no_overcommit();
    return !nb_to(huge_view(), NB_F32) && oom("nb_to", BIG, "float32", "(4.0 TiB)");
}
/* an optimizer over a parameter whose state cannot be allocated: tests/test_misuse_backward.c (injected) */
