/* checkpoint_save.c — nb_save_safetensors: the header (tensors in state-dict order, offsets
 * packed, padded with blanks to an 8-byte boundary like the Python writer) then the raw little-
 * endian data, written to path.tmp.<pid>, flushed, fsynced and renamed over path. Any failure
 * removes the temporary file, so path is either the old file or the complete new one. */
#include "checkpoint_internal.h"
#include "nb_autograd.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    char *s;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256) + n;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* s as a JSON string literal (quotes, backslashes and control characters escaped). */
static void sb_json_string(sbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            sb_put(b, esc, 6);
        } else
            sb_put(b, s, 1);
    }
    sb_put(b, "\"", 1);
}

static const char *st_name(nb_dtype dt) { return dt == NB_F32 ? "F32" : dt == NB_F64 ? "F64" : "I64"; }

/* Check every entry before anything is written. */
static nb_status check_dict(const nb_state_dict *sd, const char *path) {
    const char *op = "nb_save_safetensors";
    if (!sd || !path) {
        nbt_error("%s: %s is NULL", op, sd ? "path" : "state dict");
        return NB_ERROR;
    }
    if (!path[0]) {
        nbt_error("%s: path is empty", op);
        return NB_ERROR;
    }
    if (sd->n < 0 || (sd->n > 0 && (!sd->names || !sd->tensors))) {
        nbt_error("%s: the state dict is corrupt (n = %d)", op, sd->n);
        return NB_ERROR;
    }
    for (int i = 0; i < sd->n; i++) {
        const char *name = sd->names[i];
        nb_tensor *t = sd->tensors[i];
        if (!name || !name[0] || !strcmp(name, "__metadata__")) {
            nbt_error("%s: entry %d has %s name; give every tensor a unique non-empty name", op, i,
                      !name      ? "a NULL"
                      : !name[0] ? "an empty"
                                 : "the reserved");
            return NB_ERROR;
        }
        if (!t) {
            nbt_error("%s: tensor '%s' is NULL", op, name);
            return NB_ERROR;
        }
        if (!nb_is_valid(t)) {
            nbt_error("%s: tensor '%s' was released (stale pointer); nothing was written", op, name);
            return NB_ERROR;
        }
        if (t->dtype != NB_F32 && t->dtype != NB_F64 && t->dtype != NB_I64) {
            nbt_error("%s: tensor '%s' has an unknown dtype", op, name);
            return NB_ERROR;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(sd->names[j], name)) {
                nbt_error("%s: name '%s' appears twice in the state dict", op, name);
                return NB_ERROR;
            }
    }
    return NB_OK;
}

/* Write all of buf, or fail. */
static bool write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* One tensor's data in row-major order (a contiguous copy for views). */
static bool write_tensor(int fd, nb_tensor *t) {
    size_t n = (size_t)t->numel * nb_dtype_size(t->dtype);
    if (n == 0) return true;
    if (nb_is_contiguous(t)) return write_all(fd, nbt_ptr(t), n);
    bool ok = false;
    nb_scope s = nb_scope_begin();
    nb_tensor *c = NULL;
    NB_NO_GRAD { c = nb_contiguous(t); }
    if (c)
        ok = write_all(fd, nbt_ptr(c), n);
    else
        errno = ENOMEM;
    nb_scope_end(s);
    return ok;
}

nb_status nb_save_safetensors(const nb_state_dict *sd, const char *path) {
    const char *op = "nb_save_safetensors";
    if (check_dict(sd, path) != NB_OK) return NB_ERROR;
    sbuf h = { 0 };
    char num[96];
    uint64_t off = 0;
    sb_str(&h, "{\"__metadata__\":{\"format\":\"pt\",\"writer\":\"nabla\"}");
    for (int i = 0; i < sd->n; i++) {
        nb_tensor *t = sd->tensors[i];
        uint64_t nbytes = (uint64_t)t->numel * nb_dtype_size(t->dtype);
        sb_str(&h, ",");
        sb_json_string(&h, sd->names[i]);
        sb_str(&h, ":{\"dtype\":\"");
        sb_str(&h, st_name(t->dtype));
        sb_str(&h, "\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)t->shape[d]);
            sb_str(&h, num);
        }
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                 (unsigned long long)(off + nbytes));
        sb_str(&h, num);
        off += nbytes;
    }
    sb_str(&h, "}");
    while (!h.oom && (8 + h.n) % 8) sb_str(&h, " ");
    if (h.oom) {
        free(h.s);
        nbt_error("%s: out of memory building the header", op);
        return NB_ERROR;
    }

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) {
        free(h.s);
        nbt_error("%s: out of memory", op);
        return NB_ERROR;
    }
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    const char *stage = "create";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bool ok = fd >= 0;
    if (ok) {
        stage = "write";
        unsigned char lenb[8];
        for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
        ok = write_all(fd, lenb, 8) && write_all(fd, h.s, h.n);
        for (int i = 0; ok && i < sd->n; i++) ok = write_tensor(fd, sd->tensors[i]);
        if (ok) {
            stage = "fsync";
            ok = fsync(fd) == 0;
        }
        int saved = errno;
        if (close(fd) != 0 && ok) {
            stage = "close";
            ok = false;
            saved = errno;
        }
        if (ok) {
            stage = "rename";
            ok = rename(tmp, path) == 0;
            saved = errno;
        }
        errno = saved;
    }
    free(h.s);
    if (!ok) {
        int e = errno;
        if (fd >= 0) unlink(tmp);
        nbt_error("%s: cannot %s '%s': %s; '%s' was left as it was", op, stage,
                  strcmp(stage, "rename") ? tmp : path, strerror(e), path);
        free(tmp);
        return NB_ERROR;
    }
    /* make the rename itself durable: fsync the directory (best effort) */
    char *slash = strrchr(tmp, '/');
    if (slash) *slash = 0;
    int dfd = open(slash ? (tmp[0] ? tmp : "/") : ".", O_RDONLY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(tmp);
    return NB_OK;
}
