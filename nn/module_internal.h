/* module_internal.h — what the module files (nn/module*.c, nn/layers_container.c) share: shared
 * ownership of registered tensors (a tensor held by several module slots is freed with its last
 * slot) and of children (a module registered in several parents is freed with its last parent). */
#ifndef NB_MODULE_INTERNAL_H
#define NB_MODULE_INTERNAL_H

#include "nb_nn.h"
/* stb_ds's hash map macros use typeof, which strict C11 (gcc) spells __typeof__ */
#if !defined(typeof) && !defined(__clang__)
#define typeof __typeof__
#endif
#include <stb_ds.h>

/* One more module slot holds t (parameter or buffer). false when out of memory. */
bool nbn_module_ref(nb_tensor *t);
/* One slot fewer holds t; at zero t is released with its .grad. */
void nbn_module_unref(nb_tensor *t);
/* Release a module that no parent holds any more: its tensors (unref), children, impl. */
void nbn_module_destroy(nb_module *m);
/* One parent fewer holds child; destroyed at zero. */
void nbn_module_release_child(nb_module *child);
/* true if name is a valid new attribute of m (not empty, no '.', not used by a parameter, buffer or
 * child); otherwise records torch's KeyError message under fn (kind: "parameter", "buffer", "module"). */
bool nbn_module_name_ok(const char *fn, const char *kind, const nb_module *m, const char *name);
/* true if registering child in m would make a cycle (child is m or contains m). */
bool nbn_module_would_cycle(const nb_module *m, const nb_module *child);
/* Copy of s (malloc), or NULL. */
char *nbn_strdup(const char *s);
/* Drop the cached parameter / buffer lists of m (after a slot changes). */
void nbn_module_drop_caches(nb_module *m);

#endif
