/* test_qa.c — regressions found by the pre-release QA pass, each checked against torch 1.13:
 * edge cases of creation ops and the grad_fn names users see when printing a tensor (torch's
 * Python-level names, e.g. `x * 2` is MulBackward0). */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* torch.linspace(2, 5, 1) == tensor([2.]) (the start, not the end) */
static void test_linspace_one_step(void) {
    nb_scope s = nb_scope_begin();
    CHECK_TENSOR(nb_linspace(NB_F32, 2, 5, 1), ((double[]){2}), 1, 0);
    CHECK_TENSOR(nb_linspace(NB_F64, -1, 1, 2), ((double[]){-1, 1}), 2, 0);
    CHECK_TENSOR(nb_linspace(NB_F64, 0, 1, 3), ((double[]){0, 0.5, 1}), 3, 0);
    nb_scope_end(s);
}

/* x = torch.tensor([1., 2], requires_grad=True): (x + 2), (x * 2), (x / 2), (2 ** x) print these */
static void test_scalar_grad_fn_names(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_tensor_from(NB_F32, (float[]){1, 2}, NB_SHAPE(2), true);
    CHECK(strcmp(nb_grad_fn_name(nb_add_scalar(x, 2)), "AddBackward0") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_mul_scalar(x, 2)), "MulBackward0") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_div_scalar(x, 2)), "DivBackward0") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_rpow_scalar(x, 2)), "PowBackward1") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_pow_scalar(x, 2)), "PowBackward0") == 0);
    CHECK(strcmp(nb_grad_fn_name(nb_rsub_scalar(x, 2)), "RsubBackward1") == 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    nb_fprint(f, nb_mul_scalar(x, 2));
    fclose(f);
    CHECK(strcmp(buf, "tensor([2., 4.], grad_fn=<MulBackward0>)") == 0);
    free(buf);
    nb_scope_end(s);
}

/* torch.ones(0).max() and torch.ones(0, 3).argmax(0) raise; nabla's errors name the public function */
static void test_empty_max_error_names(void) {
    nb_scope s = nb_scope_begin();
    nb_clear_error();
    CHECK(nb_max(nb_ones(NB_F32, NB_SHAPE(0))) == NULL);
    CHECK(nb_error() && strncmp(nb_error(), "nb_max", 6) == 0);
    nb_clear_error();
    CHECK(nb_argmax(nb_ones(NB_F32, NB_SHAPE(0, 3)), 0, false) == NULL);
    CHECK(nb_error() && strstr(nb_error(), "nb_argmax") != NULL);
    nb_clear_error();
    CHECK(nb_numel(nb_argmax(nb_ones(NB_F32, NB_SHAPE(0, 3)), 1, false)) == 0);   /* torch: tensor([]) */
    CHECK(nb_error() == NULL);
    nb_scope_end(s);
}

int main(void) {
    test_empty_max_error_names();
    test_linspace_one_step();
    test_scalar_grad_fn_names();
    return nb_test_done();
}
