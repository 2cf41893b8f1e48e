/* checkpoint_load.c — reading safetensors files: nb_load_safetensors copies into a state dict's
 * existing tensors (torch's load_state_dict: names, dtypes and shapes must match; strict by
 * default) and nb_safetensors_read makes new persistent tensors. Both read and check everything
 * first and only then modify the caller's tensors or dict, so a bad file changes nothing. */
#include "checkpoint_internal.h"
#include "nb_autograd.h"
#include <stdlib.h>

/* Index of name in the file, or -1. */
static int find(const nbn_st_file *st, const char *name) {
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->e[i].name, name)) return i;
    return -1;
}

nb_status nb_load_safetensors_ex(nb_state_dict *sd, const char *path, nb_load_opts opts) {
    NBT_API("nb_load_safetensors_ex");
    const char *op = "nb_load_safetensors";
    if (!sd) {
        nbt_error("%s: state dict is NULL", op);
        return NB_ERROR;
    }
    for (int i = 0; i < sd->n; i++)
        if (!sd->names[i] || !nbt_ok(sd->tensors[i], op)) {
            if (!nb_error())
                nbt_error("%s: state dict entry %d ('%s') is NULL", op, i, sd->names[i] ? sd->names[i] : "?");
            return NB_ERROR;
        }
    nbn_st_file st;
    if (nbn_st_open(op, path, &st) != NB_OK) return NB_ERROR;
    nb_status rc = NB_ERROR;
    int *which = malloc(sizeof *which * (size_t)(sd->n ? sd->n : 1));
    nb_tensor **tmp = calloc((size_t)(sd->n ? sd->n : 1), sizeof *tmp);
    if (!which || !tmp) {
        nbt_error("%s: out of memory", op);
        goto done;
    }
    /* 1. names, dtypes and shapes */
    for (int i = 0; i < sd->n; i++) {
        nb_tensor *t = sd->tensors[i];
        which[i] = find(&st, sd->names[i]);
        if (which[i] < 0) {
            if (opts.non_strict) continue;
            nbt_error(
                "%s: '%s' has no tensor '%s' (it holds %d tensors; .non_strict = true skips missing ones)",
                op, path, sd->names[i], st.n);
            goto done;
        }
        const nbn_st_entry *e = &st.e[which[i]];
        if (e->dtype != t->dtype || e->ndim != t->ndim ||
            memcmp(e->shape, t->shape, sizeof(int64_t) * (size_t)t->ndim)) {
            nbt_error("%s: tensor '%s' is %s %s in '%s' but %s %s in the state dict", op, sd->names[i],
                      nb_dtype_name(e->dtype), nbt_shape_of(e->ndim, e->shape), path, nb_dtype_name(t->dtype),
                      nbt_shape(t));
            goto done;
        }
    }
    if (!opts.non_strict)
        for (int j = 0; j < st.n; j++)
            if (!nb_state_dict_get(sd, st.e[j].name)) {
                nbt_error("%s: '%s' has tensor '%s' that the state dict lacks (a different model? "
                          ".non_strict = true "
                          "skips it)",
                          op, path, st.e[j].name);
                goto done;
            }
    /* 2. read every tensor into a temporary */
    for (int i = 0; i < sd->n; i++) {
        if (which[i] < 0) continue;
        tmp[i] = nbt_new_persistent(sd->tensors[i]->dtype, sd->tensors[i]->ndim, sd->tensors[i]->shape);
        if (!tmp[i] || nbn_st_read(op, path, &st, which[i], nbt_ptr(tmp[i])) != NB_OK) goto done;
    }
    /* 3. copy in place (no history; bumps version counters like an optimizer step) */
    rc = NB_OK;
    for (int i = 0; i < sd->n && rc == NB_OK; i++) {
        if (!tmp[i]) continue;
        nb_tensor *r = NULL;
        NB_NO_GRAD { r = nb_copy_(sd->tensors[i], tmp[i]); }
        if (!r) rc = NB_ERROR;
    }
done:
    if (tmp)
        for (int i = 0; i < sd->n; i++) nb_free(tmp[i]);
    free(tmp);
    free(which);
    nbn_st_close(&st);
    return rc;
}

nb_status nb_load_safetensors(nb_state_dict *sd, const char *path) {
    NBT_API("nb_load_safetensors");
    return nb_load_safetensors_ex(sd, path, (nb_load_opts){ 0 });
}

nb_status nb_safetensors_read(const char *path, nb_state_dict *out) {
    NBT_API("nb_safetensors_read");
    const char *op = "nb_safetensors_read";
    if (!out) {
        nbt_error("%s: out is NULL", op);
        return NB_ERROR;
    }
    nbn_st_file st;
    if (nbn_st_open(op, path, &st) != NB_OK) return NB_ERROR;
    int n0 = out->n;
    nb_status rc = NB_OK;
    for (int i = 0; i < st.n && rc == NB_OK; i++) {
        nb_tensor *t = nbt_new_persistent(st.e[i].dtype, st.e[i].ndim, st.e[i].shape);
        if (!t || nbn_st_read(op, path, &st, i, nbt_ptr(t)) != NB_OK ||
            nb_state_dict_add(out, st.e[i].name, t) != NB_OK) {
            nb_free(t);
            rc = NB_ERROR;
        }
    }
    if (rc != NB_OK) /* leave out as it was */
        while (out->n > n0) {
            out->n--;
            nb_free(out->tensors[out->n]);
            free(out->names[out->n]);
        }
    nbn_st_close(&st);
    return rc;
}

void nb_safetensors_free(nb_state_dict *sd) {
    if (!sd) return;
    for (int i = 0; i < sd->n; i++) nb_free(sd->tensors[i]);
    nb_state_dict_free(sd);
}
