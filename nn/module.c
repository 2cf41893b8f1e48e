/* module.c — the nb_module abstraction (torch.nn.Module): a node of a tree owning named parameters
 * (persistent leaves) and named children. Parameters are listed depth first, own ones before the
 * children's, so names and order match torch's named_parameters() and state_dict(). */
#include "nb_nn.h"
#include "nb_internal.h"
#include <stdlib.h>

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

nb_module *nb_module_new(const char *type, nb_forward_fn forward, void *impl, void (*free_impl)(void *impl)) {
    if (!forward) return nbi_error("nb_module_new: a forward function is required (type %s)", type ? type : "?");
    nb_module *m = calloc(1, sizeof *m);
    if (!m) return nbi_error("nb_module_new: out of memory");
    m->type = type ? type : "Module";
    m->forward = forward;
    m->impl = impl;
    m->free_impl = free_impl;
    m->training = true;
    return m;
}

/* grow a (names, items) pair of arrays by one slot */
static bool push_named(char ***names, void ***items, int *n, const char *name, void *item) {
    char **nn = realloc(*names, sizeof *nn * (size_t)(*n + 1));
    if (!nn) return false;
    *names = nn;
    void **ni = realloc(*items, sizeof *ni * (size_t)(*n + 1));
    if (!ni) return false;
    *items = ni;
    char *d = dupstr(name);
    if (!d) return false;
    nn[*n] = d;
    ni[*n] = item;
    (*n)++;
    return true;
}

nb_status nb_module_register_parameter(nb_module *m, const char *name, nb_tensor *t) {
    if (!m || !name || !t) { nbi_error("nb_module_register_parameter: NULL module, name or tensor"); return NB_ERROR; }
    if (!nbi_ok(t, "nb_module_register_parameter")) return NB_ERROR;
    if (t->scope != 0 || !nb_is_leaf(t) || !nbi_is_float(t->dtype)) {
        nbi_error("nb_module_register_parameter: parameter '%s' must be a persistent floating point leaf "
                  "(create it outside any scope, or nb_keep it)", name);
        return NB_ERROR;
    }
    nb_requires_grad_(t, true);
    if (!push_named(&m->param_names, (void ***)&m->params, &m->nparams, name, t)) {
        nbi_error("nb_module_register_parameter: out of memory");
        return NB_ERROR;
    }
    return NB_OK;
}

nb_status nb_module_register_module(nb_module *m, const char *name, nb_module *child) {
    if (!m || !name || !child) { nbi_error("nb_module_register_module: NULL module, name or child"); return NB_ERROR; }
    if (!push_named(&m->child_names, (void ***)&m->children, &m->nchildren, name, child)) {
        nbi_error("nb_module_register_module: out of memory");
        return NB_ERROR;
    }
    return NB_OK;
}

nb_tensor *nb_module_forward(nb_module *m, nb_tensor *x) {
    if (!m) return nbi_error("nb_module_forward: NULL module (did its constructor fail? see nb_error())");
    if (!x) return NULL;
    return m->forward(m, x);
}

void nb_module_train(nb_module *m, bool on) {
    if (!m) return;
    m->training = on;
    for (int i = 0; i < m->nchildren; i++) nb_module_train(m->children[i], on);
}

void nb_module_eval(nb_module *m) { nb_module_train(m, false); }

void nb_module_free(nb_module *m) {
    if (!m) return;
    for (int i = 0; i < m->nparams; i++) {
        if (nb_is_valid(m->params[i])) nb_zero_grad(m->params[i]);
        nb_free(m->params[i]);
        free(m->param_names[i]);
    }
    for (int i = 0; i < m->nchildren; i++) {
        nb_module_free(m->children[i]);
        free(m->child_names[i]);
    }
    if (m->free_impl) m->free_impl(m->impl);
    free(m->params);
    free(m->param_names);
    free(m->children);
    free(m->child_names);
    free(m->flat);
    free(m);
}

/* visit every parameter with its dotted name (prefix + name) in torch's order */
typedef bool (*param_visit)(void *ctx, const char *name, nb_tensor *t);
static bool walk(const nb_module *m, const char *prefix, param_visit f, void *ctx) {
    char buf[512];
    for (int i = 0; i < m->nparams; i++) {
        snprintf(buf, sizeof buf, "%s%s", prefix, m->param_names[i]);
        if (!f(ctx, buf, m->params[i])) return false;
    }
    for (int i = 0; i < m->nchildren; i++) {
        snprintf(buf, sizeof buf, "%s%s.", prefix, m->child_names[i]);
        if (!walk(m->children[i], buf, f, ctx)) return false;
    }
    return true;
}

typedef struct { nb_tensor **arr; int n, cap; } flat_ctx;
static bool collect(void *ctx, const char *name, nb_tensor *t) {
    (void)name;
    flat_ctx *c = ctx;
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 8;
        nb_tensor **a = realloc(c->arr, sizeof *a * (size_t)cap);
        if (!a) return false;
        c->arr = a;
        c->cap = cap;
    }
    c->arr[c->n++] = t;
    return true;
}

nb_tensor **nb_module_parameters(nb_module *m, int *n) {
    if (n) *n = 0;
    if (!m) return nbi_error("nb_module_parameters: NULL module");
    flat_ctx c = {0};
    if (!walk(m, "", collect, &c)) { free(c.arr); return nbi_error("nb_module_parameters: out of memory"); }
    free(m->flat);
    m->flat = c.arr;
    m->nflat = c.n;
    if (n) *n = c.n;
    return m->flat ? m->flat : (nb_tensor **)&m->flat; /* non-NULL even with no parameters */
}

static bool count(void *ctx, const char *name, nb_tensor *t) {
    (void)name;
    *(int64_t *)ctx += t->numel;
    return true;
}
int64_t nb_module_num_parameters(nb_module *m) {
    int64_t total = 0;
    if (m) walk(m, "", count, &total);
    return total;
}

static bool add_sd(void *ctx, const char *name, nb_tensor *t) { return nb_state_dict_add(ctx, name, t) == NB_OK; }
nb_state_dict nb_module_state_dict(nb_module *m) {
    nb_state_dict sd = {0};
    if (!m) { nbi_error("nb_module_state_dict: NULL module"); return sd; }
    if (!walk(m, "", add_sd, &sd)) nb_state_dict_free(&sd);
    return sd;
}

typedef struct { const char *want; nb_tensor *found; } find_ctx;
static bool find(void *ctx, const char *name, nb_tensor *t) {
    find_ctx *c = ctx;
    if (strcmp(name, c->want) == 0) { c->found = t; return false; }
    return true;
}
nb_tensor *nb_module_get_parameter(nb_module *m, const char *name) {
    if (!m || !name) return NULL;
    find_ctx c = {name, NULL};
    walk(m, "", find, &c);
    return c.found;
}

nb_status nb_module_to(nb_module *m, nb_dtype dt) {
    if (!m) { nbi_error("nb_module_to: NULL module"); return NB_ERROR; }
    if (!nbi_is_float(dt)) { nbi_error("nb_module_to: parameters must be float32 or float64, not %s", nb_dtype_name(dt)); return NB_ERROR; }
    for (int i = 0; i < m->nparams; i++) {
        nb_tensor *old = m->params[i];
        if (old->dtype == dt) continue;
        nb_tensor *t = nbi_new_persistent(dt, old->ndim, old->shape);
        bool ok = t != NULL;
        NB_NO_GRAD { ok = ok && nb_copy_(t, old) != NULL; }   /* a converted copy, not recorded */
        if (!ok) { nb_free(t); return NB_ERROR; }
        nb_requires_grad_(t, true);
        nb_zero_grad(old);
        nb_free(old);
        m->params[i] = t;
    }
    for (int i = 0; i < m->nchildren; i++)
        if (nb_module_to(m->children[i], dt) != NB_OK) return NB_ERROR;
    return NB_OK;
}

static bool zero(void *ctx, const char *name, nb_tensor *t) {
    (void)ctx, (void)name;
    nb_zero_grad(t);
    return true;
}
void nb_module_zero_grad(nb_module *m) {
    if (m) walk(m, "", zero, NULL);
}

/* torch's extra_repr of the built-in layers; "" for the others */
static void extra_repr(const nb_module *m, char *b, size_t n) {
    const char *t = m->type;
    b[0] = 0;
    if (!strcmp(t, "Linear"))
        snprintf(b, n, "in_features=%lld, out_features=%lld, bias=%s", (long long)m->ip[0], (long long)m->ip[1], m->nparams > 1 ? "True" : "False");
    else if (!strcmp(t, "Flatten")) snprintf(b, n, "start_dim=%d, end_dim=%d", (int)m->ip[0], (int)m->ip[1]);
    else if (!strcmp(t, "LeakyReLU")) snprintf(b, n, "negative_slope=%g", m->hp[0]);
    else if (!strcmp(t, "GELU")) snprintf(b, n, "approximate='%s'", m->ip[0] ? "tanh" : "none");
    else if (!strcmp(t, "Softmax") || !strcmp(t, "LogSoftmax")) snprintf(b, n, "dim=%d", (int)m->ip[0]);
    else if (!strcmp(t, "Dropout")) snprintf(b, n, "p=%g, inplace=False", m->hp[0]);
    else if (!strcmp(t, "Embedding")) snprintf(b, n, "%lld, %lld", (long long)m->ip[0], (long long)m->ip[1]);
    else if (!strcmp(t, "LayerNorm"))
    {
        char shp[160];
        if (m->ip[0] == 1) snprintf(shp, sizeof shp, "(%lld,)", (long long)m->ip[1]);  /* Python's 1-tuple */
        else snprintf(shp, sizeof shp, "%s", nbi_shape_of((int)m->ip[0], m->ip + 1));
        snprintf(b, n, "%s, eps=%g, elementwise_affine=%s", shp, m->hp[0], m->nparams ? "True" : "False");
    }
    else if (strcmp(t, "Sequential") && strcmp(t, "ReLU") && strcmp(t, "Sigmoid") && strcmp(t, "Tanh")) {
        size_t k = 0; /* a custom module: its own parameters and their shapes */
        for (int i = 0; i < m->nparams && k < n; i++)
            k += (size_t)snprintf(b + k, n - k, "%s%s=%s", i ? ", " : "", m->param_names[i], nbi_shape(m->params[i]));
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
    if (!m) { fprintf(f, "(null module)\n"); return; }
    print_rec(f, m, 0);
    fprintf(f, "\n");
}
