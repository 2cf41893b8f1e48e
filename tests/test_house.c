/* test_house.c — the extension path's safety nets (issue 9): a backward rule that leaves a needed
 * input gradient NULL is an internal error in debug builds; NBI_GRAD_ZERO marks a zero by definition;
 * the named saved masks keep their bit values. White-box: uses autograd's private nbi_tape.h. */
#include "testlib.h"
#include "nbi_tape.h"

static nb_tensor *leaf1(double v) { return nb_tensor_from(NB_F64, (double[]){v}, NB_SHAPE(1), true); }

int main(void) {
    /* the masks are the bits the engine reads (bare numbers in other branches stay valid) */
    CHECK(NBI_SAVE_IN(0) == 1u && (NBI_SAVE_IN(0) | NBI_SAVE_IN(1)) == 3u && NBI_SAVE_NONE == 0u);
    CHECK((NBI_SAVE_IN(30) & NBI_SAVE_OUT) == 0 && (NBI_SAVE_ALL & NBI_SAVE_OUT) == 0);

    /* a rule that handles input 0 only, recorded with a second input requiring grad */
    nb_tensor *x = leaf1(2.0), *x2 = leaf1(5.0);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nbk_unary(NBK_NEG, x, 0, 0);
    CHECK(nbi_record(NBI_OP_neg, y, 2, (nb_tensor *[]){x, x2}, NBI_SAVE_NONE) != NULL);
    nb_status st = nb_backward(nb_sum(y));
#ifndef NDEBUG
    CHECK(st == NB_ERROR && nb_error() && strstr(nb_error(), "left the gradient of input 1"));
    nb_clear_error();
#else
    CHECK(st == NB_OK && !nb_error());   /* release: a missing gradient counts as zero */
#endif
    nb_scope_end(s);
    nb_zero_grad(x);

    /* where's condition is zero by definition (NBI_GRAD_ZERO): no error, the branches get g */
    nb_tensor *c = leaf1(1.0), *a = leaf1(3.0), *b = leaf1(4.0);
    s = nb_scope_begin();
    CHECK(nb_backward(nb_sum(nb_where(c, a, b))) == NB_OK && !nb_error());
    nb_scope_end(s);
    CHECK(c->grad == NULL && a->grad && nb_item(a->grad) == 1.0 && b->grad && nb_item(b->grad) == 0.0);
    nb_free(x); nb_free(x2); nb_free(c); nb_free(a); nb_free(b);
    return nb_test_done();
}
