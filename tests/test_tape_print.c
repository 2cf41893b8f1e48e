/* test_tape_print.c — the readable tape: nb_tape_print lists nodes in order with inputs, values and
 * gradients; the backward trace prints one VJP per node with the right numbers; nb_tape_dot writes a
 * graph holding every node of the root's history (and only it); errors on bad arguments. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* run fn(arg) with its FILE output captured into a malloc'd string */
static char *capture_tape(void) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    nb_tape_print(m);
    fclose(m);
    return buf;
}

int main(void) {
    nb_tensor *a = nb_requires_grad_(nb_scalar(NB_F64, 2.0), true);
    nb_tensor *b = nb_requires_grad_(nb_tensor_from(NB_F64, (double[]){ 1, -1, 3 }, NB_SHAPE(3), false),
                                     true);
    nb_scope s = nb_scope_begin();
    nb_tensor *c = nb_mul(b, a);          /* #0 */
    nb_tensor *d = nb_sum(c);             /* #1 */
    nb_tensor *unrelated = nb_exp(a);     /* #2: not in d's history */
    nb_tensor *e = nb_mul_scalar(d, 3.0); /* #3 */
    nb_retain_grad(d);
    char *t = capture_tape();
    CHECK(strstr(t, "tape: 4 nodes") != NULL);
    CHECK(strstr(t, "leaf0 (requires grad)  shape [3]  value [1, -1, 3]") != NULL);
    CHECK(strstr(t, "leaf1 (requires grad)  shape []  value 2") != NULL);
    CHECK(strstr(t, "#0    MulBackward0         (leaf0, leaf1)  shape [3]  value [2, -2, 6]") != NULL);
    CHECK(strstr(t, "#1    SumBackward0         (#0)  shape []  value 6") != NULL);
    CHECK(strstr(t, "#3    MulBackward0         (#1)  shape []  value 18") != NULL);
    free(t);

    char *tr = NULL;
    size_t trlen = 0;
    FILE *m = open_memstream(&tr, &trlen);
    nb_set_backward_trace(m);
    CHECK(nb_backward_ex(e, (nb_backward_opts){ .retain_graph = true }) == NB_OK);
    nb_set_backward_trace(NULL);
    fclose(m);
    CHECK(strstr(tr, "backward #3 MulBackward0: grad_output 1\n    -> input 0 (#1) += 3\n") != NULL);
    CHECK(strstr(tr, "backward #1 SumBackward0: grad_output 3\n    -> input 0 (#0) += [3, 3, 3]\n") != NULL);
    CHECK(strstr(tr, "backward #0 MulBackward0: grad_output [3, 3, 3]\n    -> input 0 (leaf0) += [6, 6, 6]\n"
                     "    -> input 1 (leaf1) += 9\n") != NULL);
    CHECK(strstr(tr, "#2") == NULL); /* exp(a) is not on the path */
    free(tr);
    CHECK_NEAR(nb_item(a->grad), 9.0, 0);

    t = capture_tape();
    CHECK(strstr(t, "leaf1 (requires grad)  shape []  value 2  grad 9") != NULL);
    CHECK(strstr(t, "#1    SumBackward0         (#0)  shape []  value 6  grad 3") != NULL);
    free(t);

    char *dot = NULL;
    size_t dotlen = 0;
    m = open_memstream(&dot, &dotlen);
    CHECK(nb_tape_dot(m, e) == NB_OK);
    fclose(m);
    CHECK(strncmp(dot, "digraph nabla {", 15) == 0);
    CHECK(strstr(dot, "op0 [shape=ellipse, label=\"MulBackward0\"]") != NULL);
    CHECK(strstr(dot, "op3 [shape=ellipse, label=\"MulBackward0\"]") != NULL);
    CHECK(strstr(dot, "t1 -> op3;") != NULL);
    CHECK(strstr(dot, "data [1, -1, 3] | grad [6, 6, 6]") != NULL);
    CHECK(strstr(dot, "op2") == NULL); /* exp(a) is not in e's history */
    free(dot);
    (void)unrelated;

    /* create_graph: the backward ops are recorded and show up in the grad's graph */
    nb_tensor *x = nb_requires_grad_(nb_scalar(NB_F64, 3.0), true);
    nb_tensor *g = nb_grad1(nb_pow_scalar(x, 3), x, true); /* 3 x^2 = 27, with history */
    CHECK(g && g->requires_grad);
    dot = NULL;
    m = open_memstream(&dot, &dotlen);
    CHECK(nb_tape_dot(m, g) == NB_OK);
    fclose(m);
    CHECK(strstr(dot, "data 27") != NULL);
    free(dot);

    /* nb_tape_json: the same tape as one JSON object, every value, after the backward above */
    char *js = NULL;
    size_t jslen = 0;
    m = open_memstream(&js, &jslen);
    CHECK(nb_tape_json(m) == NB_OK);
    fclose(m);
    char want[512];
    snprintf(want, sizeof want,
             "{\"leaves\":[{\"id\":\"leaf0\",\"ptr\":\"%p\",\"requires_grad\":true,"
             "\"data\":{\"shape\":[3],\"value\":[1,-1,3]},\"grad\":{\"shape\":[3],\"value\":[6,6,6]}}",
             (void *)b);
    CHECK(strncmp(js, want, strlen(want)) == 0);
    CHECK(
        strstr(js,
               "{\"id\":\"#0\",\"op\":\"mul\",\"grad_fn\":\"MulBackward0\",\"inputs\":[\"leaf0\",\"leaf1\"],"
               "\"data\":{\"shape\":[3],\"value\":[2,-2,6]},\"freed\":false}") != NULL);
    CHECK(
        strstr(
            js,
            "{\"id\":\"#1\",\"op\":\"sum\",\"grad_fn\":\"SumBackward0\",\"inputs\":[\"#0\"],"
            "\"data\":{\"shape\":[],\"value\":[6]},\"grad\":{\"shape\":[],\"value\":[3]},\"freed\":false}") !=
        NULL);
    CHECK(jslen > 2 && !strcmp(js + jslen - 2, "]}")); /* one object: the nodes array closes it */
    free(js);

    /* errors */
    CHECK(nb_tape_json(NULL) == NB_ERROR);
    nb_clear_error();
    CHECK(nb_tape_dot(NULL, e) == NB_ERROR);
    nb_clear_error();
    CHECK(nb_tape_dot(stdout, NULL) == NB_ERROR);
    nb_clear_error();
    nb_scope_end(s);
    nb_free(x);
    nb_free(a);
    nb_free(b);
    return nb_test_done();
}
