/* module_print.c — nb_module_fprint: print(model) as torch 1.13 prints it. A module shows its type,
 * its extra_repr (the module's own callback, or the built-in layers' below) and its children, one
 * per line, indented by two spaces per level. */
#include "nb_nn.h"
#include "nb_internal.h"

/* torch's extra_repr of the built-in layers; "" for the others */
static void extra_repr(const nb_module *m, char *b, size_t n) {
    const char *t = m->type;
    b[0] = 0;
    if (m->extra_repr)
        m->extra_repr(m, b, n);
    else if (!strcmp(t, "Linear"))
        snprintf(b, n, "in_features=%lld, out_features=%lld, bias=%s", (long long)m->ip[0],
                 (long long)m->ip[1], m->nparams > 1 ? "True" : "False");
    else if (!strcmp(t, "Flatten"))
        snprintf(b, n, "start_dim=%d, end_dim=%d", (int)m->ip[0], (int)m->ip[1]);
    else if (!strcmp(t, "LeakyReLU"))
        snprintf(b, n, "negative_slope=%g", m->hp[0]);
    else if (!strcmp(t, "GELU"))
        snprintf(b, n, "approximate='%s'", m->ip[0] ? "tanh" : "none");
    else if (!strcmp(t, "Softmax") || !strcmp(t, "LogSoftmax"))
        snprintf(b, n, "dim=%d", (int)m->ip[0]);
    else if (!strcmp(t, "Dropout"))
        snprintf(b, n, "p=%g, inplace=False", m->hp[0]);
    else if (!strcmp(t, "Embedding"))
        snprintf(b, n, "%lld, %lld", (long long)m->ip[0], (long long)m->ip[1]);
    else if (!strcmp(t, "LayerNorm")) {
        char shp[160];
        if (m->ip[0] == 1)
            snprintf(shp, sizeof shp, "(%lld,)", (long long)m->ip[1]); /* Python's 1-tuple */
        else
            snprintf(shp, sizeof shp, "%s", nbt_shape_of((int)m->ip[0], m->ip + 1));
        snprintf(b, n, "%s, eps=%g, elementwise_affine=%s", shp, m->hp[0], m->nparams ? "True" : "False");
    } else if (strcmp(t, "Sequential") && strcmp(t, "ReLU") && strcmp(t, "Sigmoid") && strcmp(t, "Tanh")) {
        size_t k = 0; /* a custom module: its own parameters and their shapes */
        for (int i = 0; i < m->nparams && k < n; i++)
            k += (size_t)snprintf(b + k, n - k, "%s%s=%s", i ? ", " : "", m->param_names[i],
                                  nbt_shape(m->params[i]));
    }
}

static void print_rec(FILE *f, const nb_module *m, int indent) {
    char extra[512];
    extra_repr(m, extra, sizeof extra);
    fprintf(f, "%s(%s", m->type, extra);
    if (m->nchildren) {
        fprintf(f, "\n");
        for (int i = 0; i < m->nchildren; i++) {
            fprintf(f, "%*s(%s): ", indent + 2, "", m->child_names[i]);
            print_rec(f, m->children[i], indent + 2);
            fprintf(f, "\n");
        }
        fprintf(f, "%*s", indent, "");
    }
    fprintf(f, ")");
}
void nb_module_fprint(FILE *f, const nb_module *m) {
    if (!f) {
        nbt_error("nb_module_fprint: NULL FILE");
        return;
    }
    if (!m) {
        fprintf(f, "(null module)\n");
        return;
    }
    print_rec(f, m, 0);
    fprintf(f, "\n");
}
