/* layers_container.c — nn.ModuleList and nn.ModuleDict: modules that only hold children (no forward;
 * the owner calls them). A list names its children "0", "1", ...; a dict keeps insertion order and
 * replaces in place on dict[key] = m, as torch's add_module does. */
#include "module_internal.h"
#include "nb_internal.h"
#include <stdarg.h>
#include <stdlib.h>

static bool is_list(const nb_module *m, const char *fn) {
    if (!m) {
        nbt_error("%s: NULL module", fn);
        return false;
    }
    if (strcmp(m->type, "ModuleList")) {
        nbt_error("%s: expected a ModuleList, got %s", fn, m->type);
        return false;
    }
    return true;
}
static bool is_dict(const nb_module *m, const char *fn) {
    if (!m) {
        nbt_error("%s: NULL module", fn);
        return false;
    }
    if (strcmp(m->type, "ModuleDict")) {
        nbt_error("%s: expected a ModuleDict, got %s", fn, m->type);
        return false;
    }
    return true;
}

nb_module *nb_module_list_from(int n, nb_module *const *mods) {
    NBT_API("nb_module_list_from");
    if (n < 0 || (n > 0 && !mods))
        return nbt_error("nb_module_list_new: bad module count %d%s", n, mods ? "" : " (NULL array)");
    bool ok = true;
    for (int i = 0; i < n; i++) ok = ok && mods[i] != NULL;
    nb_module *m = ok ? nb_module_new_ex("ModuleList", NULL, NULL, NULL) : NULL;
    int i = 0;
    while (m && i < n && nb_module_list_append(m, mods[i]) == NB_OK) i++;
    if (m && i == n) return m;
    /* failure: the list frees what it holds; the caller's modules not yet in it are freed once each */
    for (int j = i; j < n; j++) {
        bool seen = false;
        for (int k = i; k < j; k++) seen = seen || mods[k] == mods[j];
        if (mods[j] && !seen && mods[j]->nparents == 0) nb_module_free(mods[j]);
    }
    nb_module_free(m);
    return ok ? NULL
              : nbt_error(
                    "nb_module_list_new: a module is NULL (its constructor failed: see the first error)");
}

nb_module *nb_module_list_new(int n, ...) {
    NBT_API("nb_module_list_new");
    if (n < 0 || n > 4096) return nbt_error("nb_module_list_new: bad module count %d", n);
    nb_module **mods = malloc(sizeof *mods * (size_t)(n ? n : 1));
    if (!mods) return nbt_error("nb_module_list_new: out of memory");
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) mods[i] = va_arg(ap, nb_module *);
    va_end(ap);
    nb_module *m = nb_module_list_from(n, mods);
    free(mods);
    return m;
}

nb_status nb_module_list_append(nb_module *list, nb_module *child) {
    NBT_API("nb_module_list_append");
    if (!is_list(list, "nb_module_list_append")) return NB_ERROR;
    if (!child) {
        nbt_error("nb_module_list_append: NULL module (its constructor failed? see the first error)");
        return NB_ERROR;
    }
    char name[24];
    snprintf(name, sizeof name, "%d", list->nchildren);
    return nb_module_register_module(list, name, child);
}

nb_module *nb_module_list_get(nb_module *list, int64_t index) {
    if (!is_list(list, "nb_module_list_get")) return NULL;
    int64_t n = list->nchildren, i = index < 0 ? index + n : index;
    if (i < 0 || i >= n)
        return nbt_error("nb_module_list_get: index %lld is out of range (IndexError; len %lld)",
                         (long long)index, (long long)n);
    return list->children[i];
}

int nb_module_list_len(const nb_module *list) {
    if (!list) {
        nbt_error("nb_module_list_len: NULL module");
        return -1;
    }
    return list->nchildren;
}

nb_module *nb_module_dict_new(void) {
    NBT_API("nb_module_dict_new");
    return nb_module_new_ex("ModuleDict", NULL, NULL, NULL);
}

nb_status nb_module_dict_set(nb_module *dict, const char *key, nb_module *child) {
    NBT_API("nb_module_dict_set");
    const char *fn = "nb_module_dict_set";
    if (!is_dict(dict, fn)) return NB_ERROR;
    if (!key || !child) {
        nbt_error("%s: NULL key or module", fn);
        return NB_ERROR;
    }
    for (int i = 0; i < dict->nchildren; i++) {
        if (strcmp(dict->child_names[i], key)) continue;
        if (dict->children[i] == child) return NB_OK;
        nb_module *old = dict->children[i];
        if (nbn_module_would_cycle(dict, child)) {
            nbt_error("%s: registering %s '%s' in %s would make a cycle (a module cannot contain itself)", fn,
                      child->type, key, dict->type);
            return NB_ERROR;
        }
        dict->children[i] = child;
        child->nparents++;
        nbn_module_release_child(old);
        return NB_OK;
    }
    return nb_module_register_module(dict, key, child);
}

nb_module *nb_module_dict_get(nb_module *dict, const char *key) {
    if (!is_dict(dict, "nb_module_dict_get")) return NULL;
    if (!key) return nbt_error("nb_module_dict_get: NULL key");
    for (int i = 0; i < dict->nchildren; i++)
        if (!strcmp(dict->child_names[i], key)) return dict->children[i];
    return nbt_error("nb_module_dict_get: no module under key '%s' (KeyError)", key);
}
