/* module.c — the nb_module abstraction (torch.nn.Module): a node of a tree owning named parameters
 * (persistent leaves), buffers (persistent state) and children, with a one-tensor forward and a
 * general one (several inputs, outputs, options). Names follow torch's rules (KeyError cases are
 * errors); registering a module inside itself is refused, so every walk terminates. A tensor or
 * child registered twice is shared (module_refs.c): freed once, by its last holder. */
#include "module_internal.h"
#include "nb_internal.h"
#include <stdlib.h>

char *nbn_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static nb_module *alloc_module(const char *type) {
    nb_module *m = calloc(1, sizeof *m);
    if (!m) return nbt_error("nb_module_new: out of memory");
    m->type = type ? type : "Module";
    m->training = true;
    return m;
}

nb_module *nb_module_new(const char *type, nb_forward_fn forward, void *impl, void (*free_impl)(void *impl)) {
    if (!forward)
        return nbt_error("nb_module_new: a forward function is required (type %s)", type ? type : "?");
    nb_module *m = alloc_module(type);
    if (!m) return NULL;
    m->forward = forward;
    m->impl = impl;
    m->free_impl = free_impl;
    return m;
}

nb_module *nb_module_new_ex(const char *type, nb_forward_ex_fn forward_ex, void *impl,
                            void (*free_impl)(void *impl)) {
    nb_module *m = alloc_module(type);
    if (!m) return NULL;
    m->forward_ex = forward_ex;
    m->impl = impl;
    m->free_impl = free_impl;
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
    char *d = nbn_strdup(name);
    if (!d) return false;
    nn[*n] = d;
    ni[*n] = item;
    (*n)++;
    return true;
}

static int find_name(char **names, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

bool nbn_module_name_ok(const char *fn, const char *kind, const nb_module *m, const char *name) {
    const char *got = strcmp(kind, "module") ? "" : ", got: "; /* torch's add_module adds the name */
    if (!*name) {
        nbt_error("%s: %s name can't be empty string \"\" (KeyError)", fn, kind);
        return false;
    }
    if (strchr(name, '.')) {
        nbt_error("%s: %s name can't contain \".\"%s%s (KeyError)", fn, kind, got, *got ? name : "");
        return false;
    }
    const char *what = find_name(m->param_names, m->nparams, name) >= 0     ? "a parameter"
                       : find_name(m->buffer_names, m->nbuffers, name) >= 0 ? "a buffer"
                       : find_name(m->child_names, m->nchildren, name) >= 0 ? "a submodule"
                                                                            : NULL;
    if (what) {
        nbt_error("%s: attribute '%s' already exists (KeyError): %s has %s named so", fn, name, m->type,
                  what);
        return false;
    }
    return true;
}

void nbn_module_drop_caches(nb_module *m) {
    free(m->flat);
    m->flat = NULL;
    m->nflat = 0;
    free(m->flat_buffers);
    m->flat_buffers = NULL;
    m->nflat_buffers = 0;
}

/* a parameter must be a persistent floating point leaf */
static bool param_ok(const char *fn, const char *name, nb_tensor *t) {
    if (!nbt_ok(t, fn)) return false;
    if (t->scope != 0 || !nb_is_leaf(t) || !nbt_is_float(t->dtype)) {
        nbt_error("%s: parameter '%s' must be a persistent floating point leaf "
                  "(create it outside any scope, or nb_keep it)",
                  fn, name);
        return false;
    }
    return true;
}

nb_status nb_module_register_parameter(nb_module *m, const char *name, nb_tensor *t) {
    NBT_API("nb_module_register_parameter");
    const char *fn = "nb_module_register_parameter";
    if (!m || !name || !t) {
        nbt_error("%s: NULL module, name or tensor", fn);
        return NB_ERROR;
    }
    if (!nbn_module_name_ok(fn, "parameter", m, name) || !param_ok(fn, name, t)) return NB_ERROR;
    if (!push_named(&m->param_names, (void ***)&m->params, &m->nparams, name, t) || !nbn_module_ref(t)) {
        nbt_error("%s: out of memory", fn);
        return NB_ERROR;
    }
    nb_requires_grad_(t, true);
    return NB_OK;
}

nb_status nb_module_set_parameter(nb_module *m, const char *name, nb_tensor *t) {
    NBT_API("nb_module_set_parameter");
    const char *fn = "nb_module_set_parameter";
    if (!m || !name || !t) {
        nbt_error("%s: NULL module, name or tensor", fn);
        return NB_ERROR;
    }
    int i = find_name(m->param_names, m->nparams, name);
    if (i < 0) {
        if (!nbn_module_name_ok(fn, "parameter", m, name) || !param_ok(fn, name, t)) return NB_ERROR;
        return nb_module_register_parameter(m, name, t);
    }
    if (!param_ok(fn, name, t)) return NB_ERROR;
    if (m->params[i] == t) return NB_OK;
    if (!nbn_module_ref(t)) {
        nbt_error("%s: out of memory", fn);
        return NB_ERROR;
    }
    nb_requires_grad_(t, true);
    nb_tensor *old = m->params[i];
    m->params[i] = t;
    nbn_module_unref(old);
    nbn_module_drop_caches(m);
    return NB_OK;
}

nb_status nb_module_register_buffer(nb_module *m, const char *name, nb_tensor *t, bool persistent) {
    const char *fn = "nb_module_register_buffer";
    if (!m || !name || !t) {
        nbt_error("%s: NULL module, name or tensor", fn);
        return NB_ERROR;
    }
    if (!nbn_module_name_ok(fn, "buffer", m, name) || !nbt_ok(t, fn)) return NB_ERROR;
    if (t->scope != 0 || !nb_is_leaf(t)) {
        nbt_error("%s: buffer '%s' must be a persistent leaf (create it outside any scope, or nb_keep it)",
                  fn, name);
        return NB_ERROR;
    }
    bool *p = realloc(m->buffer_persistent, sizeof *p * (size_t)(m->nbuffers + 1));
    if (!p) {
        nbt_error("%s: out of memory", fn);
        return NB_ERROR;
    }
    m->buffer_persistent = p;
    p[m->nbuffers] = persistent;
    if (!push_named(&m->buffer_names, (void ***)&m->buffers, &m->nbuffers, name, t) || !nbn_module_ref(t)) {
        nbt_error("%s: out of memory", fn);
        return NB_ERROR;
    }
    return NB_OK;
}

bool nbn_module_would_cycle(const nb_module *m, const nb_module *child) {
    /* depth first over child's subtree (a DAG once modules are shared), each module once */
    const nb_module **stack = NULL;
    struct {
        const nb_module *key;
        int value;
    } *seen = NULL;
    bool found = false;
    arrput(stack, child);
    while (arrlen(stack) && !found) {
        const nb_module *c = arrpop(stack);
        if (c == m) found = true;
        if (hmgeti(seen, c) >= 0) continue;
        hmput(seen, c, 1);
        for (int i = 0; i < c->nchildren; i++) arrput(stack, c->children[i]);
    }
    arrfree(stack);
    hmfree(seen);
    return found;
}

nb_status nb_module_register_module(nb_module *m, const char *name, nb_module *child) {
    const char *fn = "nb_module_register_module";
    if (!m || !name || !child) {
        nbt_error("%s: NULL module, name or child", fn);
        return NB_ERROR;
    }
    if (!nbn_module_name_ok(fn, "module", m, name)) return NB_ERROR;
    if (nbn_module_would_cycle(m, child)) {
        nbt_error("%s: registering %s '%s' in %s would make a cycle (a module cannot contain itself)", fn,
                  child->type, name, m->type);
        return NB_ERROR;
    }
    if (!push_named(&m->child_names, (void ***)&m->children, &m->nchildren, name, child)) {
        nbt_error("%s: out of memory", fn);
        return NB_ERROR;
    }
    child->nparents++;
    return NB_OK;
}

nb_tensor *nb_module_forward(nb_module *m, nb_tensor *x) {
    NBT_API("nb_module_forward");
    if (!m) return nbt_error("nb_module_forward: NULL module (did its constructor fail? see nb_error())");
    if (!x) return NULL;
    if (m->forward) return m->forward(m, x);
    nb_tensor *y = NULL;
    return nb_module_forward_ex(m, 1, &x, NULL, 1, &y) < 0 ? NULL : y;
}

int nb_module_forward_ex(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                         nb_tensor **out) {
    NBT_API("nb_module_forward_ex");
    const char *fn = "nb_module_forward_ex";
    if (!out || nout < 1) {
        nbt_error("%s: needs room for at least one output (got nout %d%s)", fn, nout,
                  out ? "" : ", out NULL");
        return -1;
    }
    for (int i = 0; i < nout; i++) out[i] = NULL;
    if (!m) {
        nbt_error("%s: NULL module (did its constructor fail? see nb_error())", fn);
        return -1;
    }
    if (nin < 0 || (nin > 0 && !in)) {
        nbt_error("%s: %s: bad input list (nin %d%s)", fn, m->type, nin, in ? "" : ", in NULL");
        return -1;
    }
    for (int i = 0; i < nin; i++)
        if (!in[i] && nb_error()) return -1; /* a failed input passes through */
    if (m->forward_ex) {
        int k = m->forward_ex(m, nin, in, opts, nout, out);
        bool bad = k < 1 || k > nout;
        for (int i = 0; !bad && i < k; i++) bad = out[i] == NULL;
        if (!bad) return k;
        for (int i = 0; i < nout; i++) out[i] = NULL;
        if (!nb_error()) nbt_error("%s: %s's forward returned no output", fn, m->type);
        return -1;
    }
    if (!m->forward) {
        nbt_error("%s: %s has no forward (a container: call its children; torch raises NotImplementedError)",
                  fn, m->type);
        return -1;
    }
    if (nin != 1 || !in[0] || opts) {
        nbt_error("%s: %s takes exactly one input tensor and no options (got %d input%s%s)", fn, m->type, nin,
                  nin == 1 ? "" : "s", opts ? " and options" : "");
        return -1;
    }
    out[0] = m->forward(m, in[0]);
    return out[0] ? 1 : -1;
}

void nb_module_train(nb_module *m, bool on) {
    if (!nbt_nonnull(m, "nb_module_train", "module")) return;
    m->training = on;
    for (int i = 0; i < m->nchildren; i++) nb_module_train(m->children[i], on);
}

void nb_module_eval(nb_module *m) {
    NBT_API("nb_module_eval");
    nb_module_train(m, false);
}

void nbn_module_release_child(nb_module *child) {
    if (--child->nparents <= 0) nbn_module_destroy(child);
}

void nbn_module_destroy(nb_module *m) {
    for (int i = 0; i < m->nparams; i++) {
        nbn_module_unref(m->params[i]);
        free(m->param_names[i]);
    }
    for (int i = 0; i < m->nbuffers; i++) {
        nbn_module_unref(m->buffers[i]);
        free(m->buffer_names[i]);
    }
    for (int i = 0; i < m->nchildren; i++) {
        nbn_module_release_child(m->children[i]);
        free(m->child_names[i]);
    }
    if (m->free_impl) m->free_impl(m->impl);
    free(m->params);
    free(m->param_names);
    free(m->buffers);
    free(m->buffer_names);
    free(m->buffer_persistent);
    free(m->children);
    free(m->child_names);
    nbn_module_drop_caches(m);
    free(m);
}

void nb_module_free(nb_module *m) {
    if (!m) return;
    if (m->nparents > 0) {
        nbt_error("nb_module_free: this %s is a submodule (owned by %d parent%s): free the root module",
                  m->type, m->nparents, m->nparents > 1 ? "s" : "");
        return;
    }
    nbn_module_destroy(m);
}
