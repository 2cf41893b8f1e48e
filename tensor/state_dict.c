/* state_dict.c — nb_state_dict, an ordered list of (name, borrowed tensor) pairs: what modules
 * and optimizers expose and what checkpoints write and read. */
#include "nb_internal.h"
#include <stdlib.h>

nb_status nb_state_dict_add(nb_state_dict *sd, const char *name, nb_tensor *t) {
    if (!sd || !name) {
        nbt_error("nb_state_dict_add: state dict or name is NULL");
        return NB_ERROR;
    }
    if (!nbt_ok(t, "nb_state_dict_add")) {
        if (!t) nbt_error("nb_state_dict_add: tensor '%s' is NULL", name);
        return NB_ERROR;
    }
    char **names = realloc(sd->names, sizeof *names * (size_t)(sd->n + 1));
    if (!names) {
        nbt_error("nb_state_dict_add: out of memory");
        return NB_ERROR;
    }
    sd->names = names;
    nb_tensor **ts = realloc(sd->tensors, sizeof *ts * (size_t)(sd->n + 1));
    if (!ts) {
        nbt_error("nb_state_dict_add: out of memory");
        return NB_ERROR;
    }
    sd->tensors = ts;
    size_t len = strlen(name);
    char *copy = malloc(len + 1);
    if (!copy) {
        nbt_error("nb_state_dict_add: out of memory");
        return NB_ERROR;
    }
    memcpy(copy, name, len + 1);
    sd->names[sd->n] = copy;
    sd->tensors[sd->n] = t;
    sd->n++;
    return NB_OK;
}

nb_tensor *nb_state_dict_get(const nb_state_dict *sd, const char *name) {
    if (!nbt_nonnull(sd, "nb_state_dict_get", "state dict") ||
        !nbt_nonnull(name, "nb_state_dict_get", "name"))
        return NULL;
    for (int i = 0; i < sd->n; i++)
        if (strcmp(sd->names[i], name) == 0) return sd->tensors[i];
    return NULL;
}

void nb_state_dict_free(nb_state_dict *sd) {
    if (!sd) return;
    for (int i = 0; i < sd->n; i++) free(sd->names[i]);
    free(sd->names);
    free(sd->tensors);
    sd->names = NULL;
    sd->tensors = NULL;
    sd->n = 0;
}
