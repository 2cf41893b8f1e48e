/* test_grad_hooks.c — nb_register_post_accumulate_grad_hook (torch's
 * Tensor.register_post_accumulate_grad_hook): a hook runs once per backward per leaf, after the
 * whole gradient of that backward is in .grad and before backward has finished with the rest of the
 * graph (what DDP overlaps communication with); removal, errors, and what does not fire. Expected
 * gradients are exact math. */
#include "testlib.h"
#include <string.h>

typedef struct {
    int calls;
    double seen[4];
    const nb_tensor *other;
    bool other_had_grad;
    int order[8], norder;
} rec;
static rec R;
static int next_id;

static nb_status hook(nb_tensor *t, void *ctx) {
    int id = (int)(intptr_t)ctx;
    R.calls++;
    if (R.norder < 8) R.order[R.norder++] = id;
    double v[4] = { 0 };
    if (t->grad && t->grad->numel <= 4) nb_to_doubles(t->grad, v);
    memcpy(R.seen, v, sizeof v);
    if (R.other) R.other_had_grad = R.other->grad != NULL;
    return NB_OK;
}

static nb_status failing(nb_tensor *t, void *ctx) {
    (void)t, (void)ctx;
    return NB_ERROR;
}

int main(void) {
    (void)next_id;
    /* a leaf used twice: the hook sees the sum of both contributions, once: d/dx sum(x*x + 3x) = 2x + 3 */
    nb_tensor *x = nb_tensor_from(NB_F64, (double[]){ 1, 2 }, NB_SHAPE(2), true);
    int64_t h = nb_register_post_accumulate_grad_hook(x, hook, (void *)1);
    CHECK(h > 0);
    nb_scope s = nb_scope_begin();
    CHECK(nb_backward(nb_sum(nb_add(nb_mul(x, x), nb_mul_scalar(x, 3)))) == NB_OK);
    nb_scope_end(s);
    CHECK(R.calls == 1);
    CHECK(R.seen[0] == 5 && R.seen[1] == 7);
    /* a second backward fires again and sees the accumulated .grad (5 + 5, 7 + 7) */
    s = nb_scope_begin();
    CHECK(nb_backward(nb_sum(nb_add(nb_mul(x, x), nb_mul_scalar(x, 3)))) == NB_OK);
    nb_scope_end(s);
    CHECK(R.calls == 2 && R.seen[0] == 10 && R.seen[1] == 14);
    /* nb_grad accumulates nothing: no hook */
    s = nb_scope_begin();
    CHECK(nb_grad1(nb_sum(nb_mul(x, x)), x, false) != NULL);
    nb_scope_end(s);
    CHECK(R.calls == 2);
    /* removed: not called any more; unknown handles are ignored */
    nb_remove_hook(h);
    nb_remove_hook(h);
    nb_remove_hook(12345);
    s = nb_scope_begin();
    CHECK(nb_backward(nb_sum(x)) == NB_OK);
    nb_scope_end(s);
    CHECK(R.calls == 2);
    nb_zero_grad(x);

    /* a chain y = sum(w2 * tanh(w1 * a)): w2's hook runs first, while w1 has no gradient yet */
    memset(&R, 0, sizeof R);
    nb_tensor *a = nb_tensor_from(NB_F64, (double[]){ 0.5 }, NB_SHAPE(1), false);
    nb_tensor *w1 = nb_tensor_from(NB_F64, (double[]){ 0.3 }, NB_SHAPE(1), true);
    nb_tensor *w2 = nb_tensor_from(NB_F64, (double[]){ -2 }, NB_SHAPE(1), true);
    int64_t h1 = nb_register_post_accumulate_grad_hook(w1, hook, (void *)1);
    int64_t h2 = nb_register_post_accumulate_grad_hook(w2, hook, (void *)2);
    int64_t h2b = nb_register_post_accumulate_grad_hook(w2, hook, (void *)3); /* two on one leaf */
    R.other = w1;
    s = nb_scope_begin();
    CHECK(nb_backward(nb_sum(nb_mul(w2, nb_tanh(nb_mul(w1, a))))) == NB_OK);
    nb_scope_end(s);
    CHECK(R.calls == 3);
    CHECK(R.norder == 3 && R.order[0] == 2 && R.order[1] == 3 &&
          R.order[2] == 1); /* registration order per leaf */
    double t = tanh(0.15);
    CHECK_NEAR(nb_item(w2->grad), t, 1e-15);
    CHECK_NEAR(R.seen[0], -2 * (1 - t * t) * 0.5, 1e-15); /* the last hook (w1) saw its full gradient */
    R.other = NULL;
    /* a leaf the backward does not reach gets no call */
    memset(&R, 0, sizeof R);
    s = nb_scope_begin();
    CHECK(nb_backward(nb_sum(nb_mul(w1, a))) == NB_OK);
    nb_scope_end(s);
    CHECK(R.calls == 1 && R.order[0] == 1);
    /* backward of the leaf itself */
    memset(&R, 0, sizeof R);
    CHECK(nb_backward(w2) == NB_OK);
    CHECK(R.calls == 2);
    nb_remove_hook(h2b);
    /* a failing hook stops the backward with an error */
    int64_t hf = nb_register_post_accumulate_grad_hook(w1, failing, NULL);
    s = nb_scope_begin();
    CHECK(nb_backward(nb_sum(nb_mul(w1, a))) == NB_ERROR && nb_error() && strstr(nb_error(), "hook"));
    nb_clear_error();
    nb_scope_end(s);
    nb_remove_hook(hf);
    /* errors: non-leaf, no requires_grad, NULL function, NULL tensor */
    s = nb_scope_begin();
    nb_tensor *nl = nb_mul(w1, a);
    CHECK_ERR(nb_register_post_accumulate_grad_hook(nl, hook, NULL) ? (void *)1 : NULL);
    nb_scope_end(s);
    CHECK_ERR(nb_register_post_accumulate_grad_hook(a, hook, NULL) ? (void *)1 : NULL);
    CHECK_ERR(nb_register_post_accumulate_grad_hook(w1, NULL, NULL) ? (void *)1 : NULL);
    CHECK_ERR(nb_register_post_accumulate_grad_hook(NULL, hook, NULL) ? (void *)1 : NULL);
    /* a hooked leaf that is freed: a new leaf (maybe at the same address) does not inherit the hook */
    memset(&R, 0, sizeof R);
    nb_zero_grad(w2);
    nb_free(w2);
    nb_tensor *w3 = nb_tensor_from(NB_F64, (double[]){ 1 }, NB_SHAPE(1), true);
    CHECK(nb_backward(w3) == NB_OK);
    CHECK(R.calls == 0);
    nb_remove_hook(h2);
    nb_remove_hook(h1);
    nb_zero_grad(w3);
    nb_zero_grad(w1);
    nb_free(w3);
    nb_free(w1);
    nb_free(a);
    nb_free(x);
    CHECK(nb_error() == NULL);
    return nb_test_done();
}
