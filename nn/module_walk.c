/* module_walk.c — the views of a module tree that torch gives: parameters()/buffers() and their named
 * forms (pre-order over modules, own members first, each module and tensor once: torch's
 * _named_members with its memo), state_dict() (per module: parameters, persistent buffers, then the
 * children, without dedup, so a tied weight appears under each of its names), lookups by dotted name,
 * dtype conversion, zero_grad. Trees have no cycles (module.c refuses them): every walk ends. */
#include "module_internal.h"
#include "nb_internal.h"
#include <stdlib.h>

/* a growing dotted name: push "a." then "b.", pop back to a saved length */
typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} namebuf;
static size_t name_push(namebuf *b, const char *part, const char *sep) {
    size_t old = b->len, add = strlen(part) + strlen(sep);
    if (b->len + add + 1 > b->cap) {
        size_t cap = (b->len + add + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            return old;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, part, strlen(part));
    memcpy(b->s + b->len + strlen(part), sep, strlen(sep) + 1);
    b->len += add;
    return old;
}
static void name_pop(namebuf *b, size_t len) {
    b->len = len;
    if (b->s) b->s[len] = 0;
}

typedef struct {
    const void *key;
    int value;
} ptr_set;

/* torch's _named_members: modules in pre-order (each once), their own members (each once) */
typedef struct {
    bool buffers; /* members are buffers (else parameters) */
    ptr_set *mods, *seen;
    nb_state_dict *named; /* out: named list, or NULL */
    nb_tensor **flat;     /* out: stb_ds array */
    bool fail;
} members_ctx;

static void members(const nb_module *m, namebuf *nb, members_ctx *c) {
    if (c->fail || hmgeti(c->mods, m) >= 0) return;
    hmput(c->mods, m, 1);
    int n = c->buffers ? m->nbuffers : m->nparams;
    for (int i = 0; i < n && !c->fail; i++) {
        nb_tensor *t = c->buffers ? m->buffers[i] : m->params[i];
        if (hmgeti(c->seen, t) >= 0) continue;
        hmput(c->seen, t, 1);
        arrput(c->flat, t);
        if (c->named) {
            size_t l = name_push(nb, c->buffers ? m->buffer_names[i] : m->param_names[i], "");
            c->fail = nb->oom || nb_state_dict_add(c->named, nb->s, t) != NB_OK;
            name_pop(nb, l);
        }
    }
    for (int i = 0; i < m->nchildren && !c->fail; i++) {
        size_t l = name_push(nb, m->child_names[i], ".");
        c->fail = nb->oom;
        members(m->children[i], nb, c);
        name_pop(nb, l);
    }
}

/* run members() over m; returns the flat stb_ds array (caller arrfree) or NULL + *fail */
static nb_tensor **collect(const nb_module *m, bool buffers, nb_state_dict *named, bool *fail) {
    members_ctx c = { .buffers = buffers, .named = named };
    namebuf nb = { 0 };
    name_push(&nb, "", "");
    c.fail = nb.oom;
    members(m, &nb, &c);
    free(nb.s);
    hmfree(c.mods);
    hmfree(c.seen);
    *fail = c.fail;
    return c.flat;
}

/* copy an stb_ds array into m's malloc'd cache slot; the result is non-NULL even when empty */
static nb_tensor **cache(nb_tensor **arr, nb_tensor ***slot, int *nslot, int *n) {
    int k = (int)arrlen(arr);
    nb_tensor **c = malloc(sizeof *c * (size_t)(k ? k : 1));
    if (!c) {
        arrfree(arr);
        return nbt_error("nb_module_parameters: out of memory");
    }
    if (k) memcpy(c, arr, sizeof *c * (size_t)k);
    arrfree(arr);
    free(*slot);
    *slot = c;
    *nslot = k;
    if (n) *n = k;
    return c;
}

nb_tensor **nb_module_parameters(nb_module *m, int *n) {
    if (n) *n = 0;
    if (!m) return nbt_error("nb_module_parameters: NULL module");
    if (!n) return nbt_error("nb_module_parameters: the count pointer n is NULL");
    bool fail;
    nb_tensor **arr = collect(m, false, NULL, &fail);
    if (fail) {
        arrfree(arr);
        return nbt_error("nb_module_parameters: out of memory");
    }
    return cache(arr, &m->flat, &m->nflat, n);
}

nb_tensor **nb_module_buffers(nb_module *m, int *n) {
    if (n) *n = 0;
    if (!m) return nbt_error("nb_module_buffers: NULL module");
    if (!n) return nbt_error("nb_module_buffers: the count pointer n is NULL");
    bool fail;
    nb_tensor **arr = collect(m, true, NULL, &fail);
    if (fail) {
        arrfree(arr);
        return nbt_error("nb_module_buffers: out of memory");
    }
    return cache(arr, &m->flat_buffers, &m->nflat_buffers, n);
}

static nb_state_dict named(nb_module *m, bool buffers, const char *fn) {
    nb_state_dict sd = { 0 };
    if (!m) {
        nbt_error("%s: NULL module", fn);
        return sd;
    }
    bool fail;
    nb_tensor **arr = collect(m, buffers, &sd, &fail);
    arrfree(arr);
    if (fail) {
        nb_state_dict_free(&sd);
        if (!nb_error()) nbt_error("%s: out of memory", fn);
    }
    return sd;
}
nb_state_dict nb_module_named_parameters(nb_module *m) {
    return named(m, false, "nb_module_named_parameters");
}
nb_state_dict nb_module_named_buffers(nb_module *m) {
    NBT_API("nb_module_named_buffers");
    return named(m, true, "nb_module_named_buffers");
}

int64_t nb_module_num_parameters(nb_module *m) {
    if (!nbt_nonnull(m, "nb_module_num_parameters", "module")) return -1;
    bool fail;
    nb_tensor **arr = collect(m, false, NULL, &fail);
    int64_t total = 0;
    for (int i = 0; i < (int)arrlen(arr); i++) total += arr[i]->numel;
    arrfree(arr);
    return total;
}

/* torch's state_dict: own parameters, own persistent buffers, then each child (no dedup) */
static bool state(const nb_module *m, namebuf *nb, nb_state_dict *sd) {
    for (int i = 0; i < m->nparams + m->nbuffers; i++) {
        bool p = i < m->nparams;
        int j = p ? i : i - m->nparams;
        if (!p && !m->buffer_persistent[j]) continue;
        size_t l = name_push(nb, p ? m->param_names[j] : m->buffer_names[j], "");
        bool ok = !nb->oom && nb_state_dict_add(sd, nb->s, p ? m->params[j] : m->buffers[j]) == NB_OK;
        name_pop(nb, l);
        if (!ok) return false;
    }
    for (int i = 0; i < m->nchildren; i++) {
        size_t l = name_push(nb, m->child_names[i], ".");
        bool ok = !nb->oom && state(m->children[i], nb, sd);
        name_pop(nb, l);
        if (!ok) return false;
    }
    return true;
}
nb_state_dict nb_module_state_dict(nb_module *m) {
    nb_state_dict sd = { 0 };
    if (!m) {
        nbt_error("nb_module_state_dict: NULL module");
        return sd;
    }
    namebuf nb = { 0 };
    name_push(&nb, "", "");
    if (nb.oom || !state(m, &nb, &sd)) {
        nb_state_dict_free(&sd);
        if (!nb_error()) nbt_error("nb_module_state_dict: out of memory");
    }
    free(nb.s);
    return sd;
}

/* follow "a.b.c": *last points at "c", the module returned holds it (NULL if a child is missing) */
static nb_module *owner_of(nb_module *m, const char *name, const char **last) {
    const char *p = name;
    for (const char *dot; m && (dot = strchr(p, '.')); p = dot + 1) {
        nb_module *next = NULL;
        for (int i = 0; i < m->nchildren && !next; i++)
            if (strlen(m->child_names[i]) == (size_t)(dot - p) &&
                !strncmp(m->child_names[i], p, (size_t)(dot - p)))
                next = m->children[i];
        m = next;
    }
    *last = p;
    return m;
}
nb_tensor *nb_module_get_parameter(nb_module *m, const char *name) {
    const char *last;
    if (!nbt_nonnull(m, "nb_module_get_parameter", "module") ||
        !nbt_nonnull(name, "nb_module_get_parameter", "name"))
        return NULL;
    if (!(m = owner_of(m, name, &last))) return NULL;
    for (int i = 0; i < m->nparams; i++)
        if (!strcmp(m->param_names[i], last)) return m->params[i];
    return NULL;
}
nb_tensor *nb_module_get_buffer(nb_module *m, const char *name) {
    const char *last;
    if (!nbt_nonnull(m, "nb_module_get_buffer", "module") ||
        !nbt_nonnull(name, "nb_module_get_buffer", "name"))
        return NULL;
    if (!(m = owner_of(m, name, &last))) return NULL;
    for (int i = 0; i < m->nbuffers; i++)
        if (!strcmp(m->buffer_names[i], last)) return m->buffers[i];
    return NULL;
}
nb_module *nb_module_get_submodule(nb_module *m, const char *name) {
    if (!nbt_nonnull(m, "nb_module_get_submodule", "module") ||
        !nbt_nonnull(name, "nb_module_get_submodule", "name"))
        return NULL;
    if (!*name) return m;
    const char *last;
    if (!(m = owner_of(m, name, &last))) return NULL;
    for (int i = 0; i < m->nchildren; i++)
        if (!strcmp(m->child_names[i], last)) return m->children[i];
    return NULL;
}

/* every module of the tree once, pre-order (stb_ds array) */
static void modules_of(nb_module *m, nb_module ***out, ptr_set **seen) {
    if (hmgeti(*seen, m) >= 0) return;
    hmput(*seen, m, 1);
    arrput(*out, m);
    for (int i = 0; i < m->nchildren; i++) modules_of(m->children[i], out, seen);
}

nb_status nb_module_to(nb_module *m, nb_dtype dt) {
    NBT_API("nb_module_to");
    if (!m) {
        nbt_error("nb_module_to: NULL module");
        return NB_ERROR;
    }
    if (!nbt_is_float(dt)) {
        nbt_error("nb_module_to: parameters must be float32 or float64, not %s", nb_dtype_name(dt));
        return NB_ERROR;
    }
    nb_module **mods = NULL;
    ptr_set *seen = NULL;
    modules_of(m, &mods, &seen);
    hmfree(seen);
    /* pass 1: convert each distinct float tensor once (old -> new); nothing changes on failure */
    struct {
        nb_tensor *key;
        nb_tensor *value;
    } *conv = NULL;
    bool ok = true;
    for (int k = 0; ok && k < (int)arrlen(mods); k++)
        for (int i = 0; ok && i < mods[k]->nparams + mods[k]->nbuffers; i++) {
            nb_tensor *old = i < mods[k]->nparams ? mods[k]->params[i]
                                                  : mods[k]->buffers[i - mods[k]->nparams];
            if (!nbt_ok(old, "nb_module_to")) {
                ok = false;
                break;
            }
            if (!nbt_is_float(old->dtype) || old->dtype == dt || hmgeti(conv, old) >= 0) continue;
            nb_tensor *t = nbt_new_persistent(dt, old->ndim, old->shape);
            NB_NO_GRAD { ok = t && nb_copy_(t, old) != NULL; }
            if (ok && old->requires_grad) nb_requires_grad_(t, true);
            if (!ok)
                nb_free(t);
            else
                hmput(conv, old, t);
        }
    /* pass 2: every slot holding an old tensor takes the new one */
    for (int k = 0; ok && k < (int)arrlen(mods); k++) {
        nb_module *c = mods[k];
        for (int i = 0; i < c->nparams + c->nbuffers; i++) {
            nb_tensor **slot = i < c->nparams ? &c->params[i] : &c->buffers[i - c->nparams];
            ptrdiff_t j = hmgeti(conv, *slot);
            if (j < 0) continue;
            nbn_module_ref(conv[j].value);
            nbn_module_unref(*slot);
            *slot = conv[j].value;
        }
        nbn_module_drop_caches(c);
    }
    if (!ok)
        for (ptrdiff_t j = 0; j < hmlen(conv); j++) nb_free(conv[j].value);
    hmfree(conv);
    arrfree(mods);
    return ok ? NB_OK : NB_ERROR;
}

void nb_module_zero_grad(nb_module *m) {
    NBT_API("nb_module_zero_grad");
    if (!nbt_nonnull(m, "nb_module_zero_grad", "module")) return;
    bool fail;
    nb_tensor **arr = collect(m, false, NULL, &fail);
    for (int i = 0; i < (int)arrlen(arr); i++) nb_zero_grad(arr[i]);
    arrfree(arr);
}
