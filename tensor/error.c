/* error.c — the error recorder. Errors never abort: the first message since nb_clear_error is kept
 * (thread-local), later ones are dropped so the root cause survives a chain of NULL-passing ops. */
#include "nb_internal.h"
#include <stdio.h>
#include <string.h>

static _Thread_local char err_buf[512];
static _Thread_local bool err_set;
static void (*err_hook)(const char *);
static _Thread_local unsigned long
    err_serial; /* every nbt_error call, kept or dropped (the invariant check) */

unsigned long nbt_error_serial(void) { return err_serial; }

const char *nb_error(void) { return err_set ? err_buf : NULL; }
void nb_clear_error(void) {
    err_set = false;
    err_buf[0] = 0;
}
void nb_set_error_hook(void (*hook)(const char *)) { err_hook = hook; }

/* the public-call scopes open on this thread: only the outermost name is kept (it is the one reported) */
static _Thread_local const char *api_outer;
static _Thread_local int api_depth;

int nbt_api_begin(const char *name) {
    if (api_depth++ == 0) api_outer = name;
    return api_depth;
}
void nbt_api_end(int *depth) {
    (void)depth;
    if (api_depth > 0 && --api_depth == 0) api_outer = NULL;
}

/* msg as reported under the outermost public call: "outer: rest (in inner)" when an inner public
 * function ("nb_mul: rest") recorded it, "outer: rest" for an internal label ("tensor: rest") */
static void relabel(const char *outer) {
    size_t n = strlen(outer);
    if (!strncmp(err_buf, outer, n) && err_buf[n] == ':') return; /* already the outer name */
    char msg[sizeof err_buf];
    memcpy(msg, err_buf, sizeof msg);
    char out[2 * sizeof err_buf]; /* room for outer + msg; a longer message is truncated below */
    size_t k = strspn(msg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    if (k > 0 && msg[k] == ':' && msg[k + 1] == ' ') {
        msg[k] = 0;
        if (strcmp(msg, "tensor") && strncmp(outer, msg, k)) /* "tensor:" is no function name */
            snprintf(out, sizeof out, "%.200s: %s (in %.200s)", outer, msg + k + 2, msg);
        else
            snprintf(out, sizeof out, "%.200s: %s", outer, msg + k + 2);
    } else {
        snprintf(out, sizeof out, "%.200s: %s", outer, msg);
    }
    size_t len = strnlen(out, sizeof err_buf - 1);
    memcpy(err_buf, out, len);
    err_buf[len] = 0;
}

void *nbt_error(const char *fmt, ...) {
    err_serial++;
    if (!err_set) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err_buf, sizeof err_buf, fmt, ap);
        va_end(ap);
        if (api_outer) relabel(api_outer);
        err_set = true;
        if (err_hook) err_hook(err_buf);
    }
    return NULL;
}

_Thread_local const char *nbt_fn_cur;

const char *nbt_fn(void) { return api_outer ? api_outer : nbt_fn_cur ? nbt_fn_cur : "nabla"; }

const char *nbt_bytes_str(size_t n) {
    static _Thread_local char bufs[2][32];
    static _Thread_local int k;
    static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    char *b = bufs[k++ & 1];
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 6) v /= 1024, u++;
    if (u == 0)
        snprintf(b, sizeof bufs[0], "%zu bytes", n);
    else
        snprintf(b, sizeof bufs[0], "%.1f %s", v, unit[u]);
    return b;
}

void *nbt_oom(size_t nbytes, const char *what) {
    return nbt_error("%s: out of memory allocating %s (%s)", nbt_fn(), what, nbt_bytes_str(nbytes));
}

void *nbt_oom_tensor(nb_dtype dt, int ndim, const int64_t *shape) {
    size_t n = nbt_esz(dt);
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i]; /* the shape passed the 2^40-element limit */
    return nbt_error("%s: out of memory allocating a %s %s tensor (%s)", nbt_fn(), nbt_shape_of(ndim, shape),
                     nb_dtype_name(dt), nbt_bytes_str(n));
}

bool nbt_nonnull(const void *p, const char *fn, const char *what) {
    nbt_fn_cur = fn;
    if (!p) nbt_error("%s: %s is NULL", fn, what);
    return p != NULL;
}

bool nbt_ok(const nb_tensor *t, const char *op) {
    nbt_fn_cur = op;
    if (!t) return false;
    if (t->magic == NBT_HELD) {
        if (nbt_held_readable) return true;
        nbt_error("%s: tensor %p was already released (nb_release or NB_TIDY); keep a tensor you still use "
                  "out of nb_release, NB_TIDY and nb_tidy_end",
                  op, (const void *)t);
        return false;
    }
    if (t->magic != NBT_LIVE) {
        nbt_error("%s: tensor %p was already released (freed, or its scope ended); keep it with nb_keep "
                  "or create it outside the scope",
                  op, (const void *)t);
        return false;
    }
    return true;
}

bool nbt_ok_req(const nb_tensor *t, const char *fn) {
    if (!t && !err_set) nbt_error("%s: tensor is NULL (an earlier op failed?)", fn);
    return nbt_ok(t, fn);
}

const char *nbt_shape_of(int ndim, const int64_t *shape) {
    static _Thread_local char bufs[4][128];
    static _Thread_local int k;
    char *b = bufs[k++ & 3];
    if (ndim > 0 && !shape) return "(NULL)";
    size_t n = 0;
    n += (size_t)snprintf(b + n, 128 - n, "(");
    for (int i = 0; i < ndim && n < 100; i++)
        n += (size_t)snprintf(b + n, 128 - n, i ? ", %lld" : "%lld", (long long)shape[i]);
    snprintf(b + n, 128 - n, ")");
    return b;
}

const char *nbt_shape(const nb_tensor *t) { return nbt_shape_of(t->ndim, t->shape); }

char *nb_shape_str(const nb_tensor *t, char *buf, size_t n) {
    if (!nbt_nonnull(buf, "nb_shape_str", "buffer")) return NULL;
    if (!n) {
        nbt_error("nb_shape_str: buffer size is 0");
        return buf;
    }
    snprintf(buf, n, "%s", t && t->magic == NBT_LIVE ? nbt_shape(t) : "(invalid)");
    return buf;
}

int nbt_dim(int dim, int ndim, const char *op) {
    int n = ndim == 0 ? 1 : ndim; /* torch lets a 0-d tensor use dim 0 / -1 */
    if (dim < -n || dim >= n) {
        nbt_error("%s: dim %d out of range for a %d-d tensor (expected %d..%d)", op, dim, ndim, -n, n - 1);
        return -1;
    }
    return dim < 0 ? dim + n : dim;
}
