/* checkpoint_file.c — opening a safetensors file and checking all of it before any tensor is
 * touched: header length against the file size (and a 100 MB cap, like the reference
 * implementation), the JSON header (strict parser), each entry's dtype/shape/offsets, and that the
 * entries tile the data section exactly (sorted by offset: no gap, no overlap, nothing past the end
 * and nothing after the last tensor). */
#include "checkpoint_internal.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#define ST_MAX_HEADER ((uint64_t)100 << 20)

static bool host_is_little_endian(void) {
    uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* dtype string -> nabla dtype; false (and why) if nabla cannot hold it. */
static bool st_dtype(const char *s, nb_dtype *dt, const char **why) {
    if (!strcmp(s, "F32")) {
        *dt = NB_F32;
        return true;
    }
    if (!strcmp(s, "F64")) {
        *dt = NB_F64;
        return true;
    }
    if (!strcmp(s, "I64")) {
        *dt = NB_I64;
        return true;
    }
    static const char *known[] = { "F16", "BF16", "I32",  "I16",     "I8",      "U8",  "U16",
                                   "U32", "U64",  "BOOL", "F8_E4M3", "F8_E5M2", "C64", NULL };
    for (int i = 0; known[i]; i++)
        if (!strcmp(s, known[i])) {
            *why = "is not supported by nabla (F32, F64 and I64 are; convert with tensor.float())";
            return false;
        }
    *why = "is not a safetensors dtype";
    return false;
}

static int cmp_entry(const void *a, const void *b) {
    const nbn_st_entry *x = *(const nbn_st_entry *const *)a, *y = *(const nbn_st_entry *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : x->end < y->end ? -1 : x->end > y->end;
}

/* Interpret one tensor entry (an object) into e. */
static nb_status st_entry(const char *op, const char *path, const nbn_doc *d, const nbn_node *obj,
                          nbn_st_entry *e) {
    const char *name = obj->key;
    if (obj->kind != NBN_OBJ) {
        nbt_error("%s: '%s': header entry '%s' is not an object {\"dtype\", \"shape\", \"data_offsets\"}", op,
                  path, name);
        return NB_ERROR;
    }
    const nbn_node *dtype = NULL, *shape = NULL, *offs = NULL;
    for (int c = obj->first; c >= 0; c = d->nodes[c].next) {
        const nbn_node *m = &d->nodes[c];
        const nbn_node **slot = !strcmp(m->key, "dtype")          ? &dtype
                                : !strcmp(m->key, "shape")        ? &shape
                                : !strcmp(m->key, "data_offsets") ? &offs
                                                                  : NULL;
        if (!slot) {
            nbt_error("%s: '%s': tensor '%s' has an unknown field '%s'", op, path, name, m->key);
            return NB_ERROR;
        }
        if (*slot) {
            nbt_error("%s: '%s': tensor '%s' has field '%s' twice", op, path, name, m->key);
            return NB_ERROR;
        }
        *slot = m;
    }
    if (!dtype || !shape || !offs) {
        nbt_error("%s: '%s': tensor '%s' lacks \"%s\"", op, path, name,
                  !dtype   ? "dtype"
                  : !shape ? "shape"
                           : "data_offsets");
        return NB_ERROR;
    }
    const char *why = NULL;
    if (dtype->kind != NBN_STR || !st_dtype(dtype->str, &e->dtype, &why)) {
        nbt_error("%s: '%s': tensor '%s' has dtype %s%s%s %s", op, path, name,
                  dtype->kind == NBN_STR ? "\"" : "", dtype->kind == NBN_STR ? dtype->str : "(not a string)",
                  dtype->kind == NBN_STR ? "\"" : "", why ? why : "that is not a string");
        return NB_ERROR;
    }
    if (shape->kind != NBN_ARR || shape->len > NB_MAX_DIMS) {
        nbt_error("%s: '%s': tensor '%s' needs a shape array of at most %d sizes", op, path, name,
                  NB_MAX_DIMS);
        return NB_ERROR;
    }
    uint64_t numel = 1;
    e->ndim = 0;
    for (int c = shape->first; c >= 0; c = d->nodes[c].next) {
        const nbn_node *s = &d->nodes[c];
        if (s->kind != NBN_NUM || !s->is_int || s->ival < 0) {
            nbt_error("%s: '%s': tensor '%s' has a shape entry that is not a non-negative integer", op, path,
                      name);
            return NB_ERROR;
        }
        e->shape[e->ndim++] = s->ival;
        if (s->ival && numel > (UINT64_MAX >> 4) / (uint64_t)s->ival) {
            nbt_error("%s: '%s': tensor '%s' has an impossibly large shape %s", op, path, name,
                      nbt_shape_of(e->ndim, e->shape));
            return NB_ERROR;
        }
        numel *= (uint64_t)s->ival;
    }
    int64_t o[2];
    int k = 0;
    if (offs->kind == NBN_ARR && offs->len == 2)
        for (int c = offs->first; c >= 0; c = d->nodes[c].next)
            o[k++] = d->nodes[c].kind == NBN_NUM && d->nodes[c].is_int ? d->nodes[c].ival : -1;
    if (k != 2 || o[0] < 0 || o[1] < o[0]) {
        nbt_error("%s: '%s': tensor '%s' needs data_offsets [begin, end] with 0 <= begin <= end", op, path,
                  name);
        return NB_ERROR;
    }
    e->begin = (uint64_t)o[0];
    e->end = (uint64_t)o[1];
    uint64_t nbytes = numel * nb_dtype_size(e->dtype);
    if (e->end - e->begin != nbytes) {
        nbt_error("%s: '%s': tensor '%s' of dtype %s and shape %s needs %llu bytes but its data_offsets "
                  "[%llu, %llu] "
                  "span %llu",
                  op, path, name, dtype->str, nbt_shape_of(e->ndim, e->shape), (unsigned long long)nbytes,
                  (unsigned long long)e->begin, (unsigned long long)e->end,
                  (unsigned long long)(e->end - e->begin));
        return NB_ERROR;
    }
    return NB_OK;
}

nb_status nbn_st_open(const char *op, const char *path, nbn_st_file *st) {
    *st = (nbn_st_file){ 0 };
    if (!path) {
        nbt_error("%s: path is NULL", op);
        return NB_ERROR;
    }
    if (!host_is_little_endian()) {
        nbt_error("%s: safetensors files are little-endian; this host is not (unsupported)", op);
        return NB_ERROR;
    }
    st->f = fopen(path, "rb");
    if (!st->f) {
        nbt_error("%s: cannot open '%s': %s", op, path, strerror(errno));
        return NB_ERROR;
    }
    struct stat sb;
    if (fstat(fileno(st->f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        nbt_error("%s: '%s' is not a regular file", op, path);
        goto fail;
    }
    uint64_t size = (uint64_t)sb.st_size;
    unsigned char lenb[8];
    if (size < 8 || fread(lenb, 1, 8, st->f) != 8) {
        nbt_error("%s: '%s' is too short to be a safetensors file (%llu bytes; a header length needs 8)", op,
                  path, (unsigned long long)size);
        goto fail;
    }
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | lenb[i];
    if (hl > ST_MAX_HEADER) {
        nbt_error("%s: '%s' declares a %llu-byte header, over the %llu MB limit: not a safetensors file, or "
                  "corrupt",
                  op, path, (unsigned long long)hl, (unsigned long long)(ST_MAX_HEADER >> 20));
        goto fail;
    }
    if (hl > size - 8) {
        nbt_error("%s: '%s' is truncated: its header length is %llu bytes but only %llu follow", op, path,
                  (unsigned long long)hl, (unsigned long long)(size - 8));
        goto fail;
    }
    if (hl < 2) {
        nbt_error("%s: '%s' has a %llu-byte header; a JSON object needs at least 2", op, path,
                  (unsigned long long)hl);
        goto fail;
    }
    char *h = malloc((size_t)hl);
    if (!h) {
        nbt_error("%s: '%s': out of memory for the header", op, path);
        goto fail;
    }
    if (fread(h, 1, (size_t)hl, st->f) != hl) {
        free(h);
        nbt_error("%s: '%s': read error in the header", op, path);
        goto fail;
    }
    nbn_doc d;
    char err[160];
    if (!nbn_parse(h, (size_t)hl, &d, err, sizeof err)) {
        free(h);
        nbt_error("%s: '%s' has a malformed JSON header: %s", op, path, err);
        goto fail;
    }
    free(h);
    st->data_start = 8 + hl;
    uint64_t data_size = size - st->data_start;
    nb_status rc = NB_ERROR;
    nbn_st_entry **sorted = NULL;
    if (d.nodes[0].kind != NBN_OBJ) {
        nbt_error("%s: '%s': the header is not a JSON object", op, path);
        goto done;
    }
    st->e = calloc(d.nodes[0].len ? d.nodes[0].len : 1, sizeof *st->e);
    if (!st->e) {
        nbt_error("%s: '%s': out of memory", op, path);
        goto done;
    }
    bool seen_meta = false;
    for (int c = d.nodes[0].first; c >= 0; c = d.nodes[c].next) {
        const nbn_node *m = &d.nodes[c];
        if (!strcmp(m->key, "__metadata__")) {
            bool ok = m->kind == NBN_OBJ && !seen_meta;
            for (int k = m->first; ok && k >= 0; k = d.nodes[k].next) ok = d.nodes[k].kind == NBN_STR;
            if (!ok) {
                nbt_error("%s: '%s': __metadata__ must appear once and map strings to strings", op, path);
                goto done;
            }
            seen_meta = true;
            continue;
        }
        if (!m->key[0]) {
            nbt_error("%s: '%s' has a tensor with an empty name", op, path);
            goto done;
        }
        for (int j = 0; j < st->n; j++)
            if (!strcmp(st->e[j].name, m->key)) {
                nbt_error("%s: '%s' has tensor '%s' twice", op, path, m->key);
                goto done;
            }
        nbn_st_entry *e = &st->e[st->n];
        if (st_entry(op, path, &d, m, e) != NB_OK) goto done;
        if (e->end > data_size) {
            nbt_error(
                "%s: '%s' is truncated: tensor '%s' ends at byte %llu of the data but the file holds %llu",
                op, path, m->key, (unsigned long long)e->end, (unsigned long long)data_size);
            goto done;
        }
        e->name = strdup(m->key);
        if (!e->name) {
            nbt_error("%s: out of memory", op);
            goto done;
        }
        st->n++;
    }
    /* the entries must tile [0, data_size) exactly */
    sorted = malloc(sizeof *sorted * (size_t)(st->n ? st->n : 1));
    if (!sorted) {
        nbt_error("%s: out of memory", op);
        goto done;
    }
    for (int i = 0; i < st->n; i++) sorted[i] = &st->e[i];
    qsort(sorted, (size_t)st->n, sizeof *sorted, cmp_entry);
    uint64_t at = 0;
    for (int i = 0; i < st->n; i++) {
        if (sorted[i]->begin < at) {
            nbt_error("%s: '%s': tensors '%s' and '%s' overlap (data_offsets [%llu, %llu] and [%llu, %llu])",
                      op, path, sorted[i - 1]->name, sorted[i]->name,
                      (unsigned long long)sorted[i - 1]->begin, (unsigned long long)sorted[i - 1]->end,
                      (unsigned long long)sorted[i]->begin, (unsigned long long)sorted[i]->end);
            goto done;
        }
        if (sorted[i]->begin > at) {
            nbt_error("%s: '%s': %llu bytes of data before tensor '%s' belong to no tensor (corrupt offsets)",
                      op, path, (unsigned long long)(sorted[i]->begin - at), sorted[i]->name);
            goto done;
        }
        at = sorted[i]->end;
    }
    if (at != data_size) {
        nbt_error(
            "%s: '%s' has %llu bytes after the last tensor's data (corrupt header or a different format)", op,
            path, (unsigned long long)(data_size - at));
        goto done;
    }
    rc = NB_OK;
done:
    free(sorted);
    nbn_free(&d);
    if (rc == NB_OK) return NB_OK;
fail:
    nbn_st_close(st);
    return NB_ERROR;
}

nb_status nbn_st_read(const char *op, const char *path, nbn_st_file *st, int i, void *dst) {
    const nbn_st_entry *e = &st->e[i];
    size_t n = (size_t)(e->end - e->begin);
    if (n == 0) return NB_OK;
    if (fseeko(st->f, (off_t)(st->data_start + e->begin), SEEK_SET) != 0 || fread(dst, 1, n, st->f) != n) {
        nbt_error("%s: '%s': read error in tensor '%s' (the file changed while loading?)", op, path, e->name);
        return NB_ERROR;
    }
    return NB_OK;
}

void nbn_st_close(nbn_st_file *st) {
    if (st->f) fclose(st->f);
    for (int i = 0; i < st->n; i++) free(st->e[i].name);
    free(st->e);
    *st = (nbn_st_file){ 0 };
}
