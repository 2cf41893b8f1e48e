/* tape_demo.c — the readable tape on micrograd's neuron: o = tanh(x1 w1 + x2 w2 + b). Prints the
 * tape after the forward pass, every vector-Jacobian product as backward runs, the tape with the
 * gradients, and (--dot FILE) writes the Graphviz graph: dot -Tsvg FILE > graph.svg.
 * usage: tape_demo [--dot FILE] */
#include <nabla.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

int main(int argc, char **argv) {
    const char *dot = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dot") && i + 1 < argc)
            dot = argv[++i];
        else { return cli_usage(argv[i], "usage: tape_demo [--dot FILE]\n"); }
    }
    /* the leaves: inputs x1, x2, weights w1, w2, bias b (f64 so the printout shows exact values) */
    nb_tensor *x1 = nb_scalar(NB_F64, 2.0), *x2 = nb_scalar(NB_F64, 0.0);
    nb_tensor *w1 = nb_scalar(NB_F64, -3.0), *w2 = nb_scalar(NB_F64, 1.0),
              *b = nb_scalar(NB_F64, 6.8813735870195432);
    nb_tensor *leaves[] = { x1, x2, w1, w2, b };
    for (int i = 0; i < 5; i++) nb_requires_grad_(leaves[i], true);
    int rc = 0;
    nb_scope s = nb_scope_begin();
    /* one op per statement: C leaves the evaluation order of arguments unspecified, the tape does not */
    nb_tensor *x1w1 = nb_mul(x1, w1);
    nb_tensor *x2w2 = nb_mul(x2, w2);
    nb_tensor *n = nb_add(nb_add(x1w1, x2w2), b);
    nb_tensor *o = nb_tanh(n);
    nb_retain_grad(n);
    printf("== forward: the tape ==\n");
    nb_tape_print(stdout);
    printf("== backward, one vector-Jacobian product per node ==\n");
    nb_set_backward_trace(stdout);
    if (nb_backward_ex(o, (nb_backward_opts){ .retain_graph = true }) != NB_OK) rc = 1;
    nb_set_backward_trace(NULL);
    printf("== after backward ==\n");
    nb_tape_print(stdout);
    printf("dL/dx1 = %.4f, dL/dw1 = %.4f, dL/dx2 = %.4f, dL/dw2 = %.4f (micrograd: -1.5, 1.0, 0.5, 0.0)\n",
           nb_item(x1->grad), nb_item(w1->grad), nb_item(x2->grad), nb_item(w2->grad));
    if (dot) {
        FILE *f = fopen(dot, "w");
        if (!f || nb_tape_dot(f, o) != NB_OK) {
            fprintf(stderr, "tape_demo: cannot write %s\n", dot);
            rc = 1;
        }
        if (f) fclose(f);
    }
    nb_scope_end(s);
    for (int i = 0; i < 5; i++) nb_free(leaves[i]);
    if (nb_error()) {
        fprintf(stderr, "tape_demo: %s\n", nb_error());
        rc = 1;
    }
    return rc;
}
