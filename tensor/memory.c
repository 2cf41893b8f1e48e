/* memory.c — tensor structs, storages and scopes. Released storages go to per-size-class free
 * lists (the pool) and released tensor structs to a free list, so a steady loop allocates nothing
 * from the system after its first step. Pools, scopes and free lists are thread-local; the statistics
 * are process-wide atomic counters (a tensor made on one thread may be freed on another). Structs are
 * never returned to the system, so a stale pointer reads magic == NBT_DEAD instead of garbage: when a
 * thread ends its free structs go to a shared list other threads reuse, and its pooled data is freed. */
#include "nb_internal.h"
#include <stb_ds.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

void (*nbt_tape_release_hook)(size_t mark);
size_t (*nbt_tape_len_hook)(void);
void (*nbt_tensor_release_hook)(nb_tensor *t);
_Thread_local int nbt_held_readable;

#define NCLASS (64 + (44 - 12) * 8) /* every size a tensor may have (2^40 elements of 8 bytes: 2^43) */
typedef struct {
    nb_tensor **list; /* stb_ds array; released entries are NULL */
    size_t tape_mark;
} scope_rec;

static _Thread_local nbt_storage *free_storage[NCLASS];
static _Thread_local nb_tensor *free_tensors, *free_tail; /* FIFO: a released struct is reused last */
static _Thread_local scope_rec *scopes;                   /* stb_ds array; depth d is scopes[d-1] */
static _Thread_local int depth;
/* process-wide counters (relaxed atomics: they are statistics, not synchronisation) */
static struct {
    atomic_size_t bytes_live, bytes_pooled, system_allocs, tensors_live, peak_bytes, tensors_held;
} stats;
#define ADD(field, n) atomic_fetch_add_explicit(&stats.field, (n), memory_order_relaxed)
#define SUB(field, n) atomic_fetch_sub_explicit(&stats.field, (n), memory_order_relaxed)
#define GET(field) atomic_load_explicit(&stats.field, memory_order_relaxed)
static _Thread_local size_t pool_limit = SIZE_MAX, my_pooled; /* this thread's pool: its cap and bytes */
/* free tensor structs of threads that have ended, taken over by the next thread that needs one */
static pthread_mutex_t orphan_mu = PTHREAD_MUTEX_INITIALIZER;
static nb_tensor *orphans;
static atomic_bool have_orphans;
static _Thread_local nb_tidy *tidy_stack; /* stb_ds array: the open NB_TIDY marks */

void nbt_count_sys_alloc(void) { ADD(system_allocs, 1); }

static void live_add(size_t n) {
    size_t live = ADD(bytes_live, n) + n, peak = GET(peak_bytes);
    while (live > peak && !atomic_compare_exchange_weak(&stats.peak_bytes, &peak, live)) {}
}

size_t nb_dtype_size(nb_dtype dt) {
    if (dt == NB_F32) return 4;
    if (dt == NB_F64 || dt == NB_I64) return 8;
    nbt_error("nb_dtype_size: unknown dtype %d", (int)dt);
    return 0;
}
const char *nb_dtype_name(nb_dtype dt) {
    if (dt == NB_F32 || dt == NB_F64 || dt == NB_I64)
        return dt == NB_F32 ? "float32" : dt == NB_F64 ? "float64" : "int64";
    nbt_error("nb_dtype_name: unknown dtype %d", (int)dt);
    return "unknown";
}

/* size class: multiples of 64 bytes up to 4 KiB, then 8 steps per power of two */
static int size_class(size_t n, size_t *cap) {
    if (n <= 64) {
        *cap = 64;
        return 0;
    }
    if (n <= 4096) {
        size_t k = (n + 63) / 64;
        *cap = k * 64;
        return (int)k - 1;
    }
    int e = 63 - __builtin_clzll((unsigned long long)(n - 1)); /* 2^e < n <= 2^(e+1) */
    size_t step = ((size_t)1 << e) / 8;
    size_t k = (n - ((size_t)1 << e) + step - 1) / step; /* 1..8 */
    *cap = ((size_t)1 << e) + k * step;
    return 64 + (e - 12) * 8 + (int)k - 1;
}

static _Thread_local long fail_in; /* > 0: the fail_in-th storage request from now fails (tests) */
long nbt_fail_alloc_after(long n) {
    long left = fail_in;
    fail_in = n;
    return left;
}

static nbt_storage *storage_get(size_t nbytes) {
    if (fail_in > 0 && --fail_in == 0) return NULL;
    size_t cap;
    int c = size_class(nbytes ? nbytes : 1, &cap);
    nbt_storage *s = NULL;
    if (c < NCLASS && free_storage[c]) {
        s = free_storage[c];
        free_storage[c] = s->next_free;
        SUB(bytes_pooled, s->nbytes);
        my_pooled -= s->nbytes;
    } else {
        s = malloc(sizeof *s);
        if (!s) return NULL; /* the caller names the tensor it was for */
        s->data = aligned_alloc(64, cap);
        if (!s->data) {
            free(s);
            return NULL;
        }
        s->nbytes = cap;
        ADD(system_allocs, 1);
    }
    s->refcount = 1;
    s->version = 0;
    s->next_free = NULL;
    live_add(s->nbytes);
    return s;
}

static void storage_free(nbt_storage *s) {
    free(s->data);
    free(s);
}

static void storage_put(nbt_storage *s) {
    if (--s->refcount > 0) return;
    size_t cap;
    int c = size_class(s->nbytes, &cap);
    SUB(bytes_live, s->nbytes);
    if (c < NCLASS && cap == s->nbytes && my_pooled + s->nbytes <= pool_limit) {
        s->next_free = free_storage[c];
        free_storage[c] = s;
        ADD(bytes_pooled, s->nbytes);
        my_pooled += s->nbytes;
    } else {
        storage_free(s); /* over the pool limit: back to the system */
    }
}

/* Free pooled storages, the largest classes first, until at most keep bytes stay pooled; then ask the C
 * library to hand freed heap pages back (glibc keeps them mapped otherwise). */
static void pool_shrink(size_t keep) {
    bool freed = false;
    for (int c = NCLASS - 1; c >= 0 && my_pooled > keep; c--) {
        while (free_storage[c] && my_pooled > keep) {
            nbt_storage *s = free_storage[c];
            free_storage[c] = s->next_free;
            SUB(bytes_pooled, s->nbytes);
            my_pooled -= s->nbytes;
            storage_free(s);
            freed = true;
        }
    }
#ifdef __GLIBC__
    if (freed) malloc_trim(0);
#else
    (void)freed;
#endif
}

void nb_set_pool_limit(size_t max_bytes) {
    pool_limit = max_bytes;
    pool_shrink(max_bytes);
}

void nb_empty_cache(void) { pool_shrink(0); }

void nb_memory_reset_peak(void) { atomic_store(&stats.peak_bytes, GET(bytes_live)); }

void nb_pool_trim(void) { nb_empty_cache(); }

nb_memory_stats nb_memory_stats_get(void) {
    return (nb_memory_stats){ .bytes_live = GET(bytes_live),
                              .bytes_pooled = GET(bytes_pooled),
                              .system_allocs = GET(system_allocs),
                              .tensors_live = GET(tensors_live),
                              .peak_bytes = GET(peak_bytes),
                              .pool_limit = pool_limit,
                              .tensors_held = GET(tensors_held) };
}

static void print_bytes(FILE *f, const char *what, size_t n) {
    fprintf(f, "  %-28s %12zu bytes  (%.1f MiB)\n", what, n, (double)n / (1024.0 * 1024.0));
}

void nb_memory_summary(FILE *f) {
    if (!nbt_nonnull(f, "nb_memory_summary", "FILE")) return;
    nb_memory_stats m = nb_memory_stats_get();
    fprintf(f, "nabla memory (all threads; pool: this thread)\n");
    print_bytes(f, "live tensor data", m.bytes_live);
    print_bytes(f, "peak live tensor data", m.peak_bytes);
    print_bytes(f, "pooled (released, cached)", m.bytes_pooled);
    if (m.pool_limit == SIZE_MAX)
        fprintf(f, "  %-28s %12s\n", "pool limit", "none");
    else
        print_bytes(f, "pool limit", m.pool_limit);
    fprintf(f, "  %-28s %12zu (%zu held by the tape after nb_release)\n", "live tensors", m.tensors_live,
            m.tensors_held);
    fprintf(f, "  %-28s %12zu\n", "system allocations", m.system_allocs);
    int shown = 0;
    for (int c = NCLASS - 1; c >= 0 && shown < 8; c--) { /* where the pooled bytes are: largest classes */
        size_t n = 0, cap = 0;
        for (nbt_storage *s = free_storage[c]; s; s = s->next_free) n++, cap = s->nbytes;
        if (!n) continue;
        if (!shown++) fprintf(f, "  pooled by size class:\n");
        fprintf(f, "    %12zu bytes x %zu\n", cap, n);
    }
}

int nbt_scope_depth(void) { return depth; }

static void scope_add(nb_tensor *t, int d) {
    t->scope = d;
    if (d == 0) {
        t->scope_slot = -1;
        return;
    }
    scope_rec *sc = &scopes[d - 1];
    t->scope_slot = (int)arrlen(sc->list);
    arrput(sc->list, t);
}

static void scope_remove(nb_tensor *t) {
    if (t->scope > 0 && t->scope <= depth && t->scope_slot >= 0 &&
        t->scope_slot < arrlen(scopes[t->scope - 1].list) && scopes[t->scope - 1].list[t->scope_slot] == t)
        scopes[t->scope - 1].list[t->scope_slot] = NULL;
    t->scope = 0;
    t->scope_slot = -1;
}

static nb_tensor *tensor_struct(void) {
    nb_tensor *t = free_tensors;
    if (!t && atomic_load_explicit(&have_orphans, memory_order_relaxed)) { /* an ended thread's structs */
        pthread_mutex_lock(&orphan_mu);
        free_tensors = t = orphans;
        orphans = NULL;
        atomic_store(&have_orphans, false);
        pthread_mutex_unlock(&orphan_mu);
        free_tail = NULL;
        for (nb_tensor *u = t; u; u = (nb_tensor *)u->grad) free_tail = u;
    }
    if (t) {
        free_tensors = (nb_tensor *)t->grad;
        if (!free_tensors) free_tail = NULL;
    } else {
        t = malloc(sizeof *t);
        if (!t) return nbt_oom(sizeof *t, "a tensor struct");
        ADD(system_allocs, 1);
        t->gen = 0;
    }
    uint32_t gen = t->gen;
    memset(t, 0, sizeof *t);
    t->gen = gen;
    t->magic = NBT_LIVE;
    t->owner = nbt_thread_id();
    ADD(tensors_live, 1);
    return t;
}

int64_t nbt_contig_strides(int ndim, const int64_t *shape, int64_t *stride) {
    int64_t n = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = n;
        n *= shape[i];
    }
    return n;
}

static nb_tensor *new_tensor(nb_dtype dt, int ndim, const int64_t *shape, int d) {
    if (dt != NB_F32 && dt != NB_F64 && dt != NB_I64)
        return nbt_error("%s: unknown dtype %d", nbt_fn(), (int)dt);
    if (ndim < 0 || ndim > NB_MAX_DIMS)
        return nbt_error("%s: %d dims requested; nabla supports 0..%d", nbt_fn(), ndim, NB_MAX_DIMS);
    if (ndim > 0 && !shape) return nbt_error("%s: shape is NULL for a %d-d tensor", nbt_fn(), ndim);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return nbt_error("%s: negative size %lld in shape %s", nbt_fn(), (long long)shape[i],
                             nbt_shape_of(ndim, shape));
        int64_t m; /* n * shape[i] above 2^40 elements is refused (no division on this hot path) */
        if (__builtin_mul_overflow(n, shape[i], &m) || m > ((int64_t)1 << 40))
            return nbt_error("%s: shape %s is too large (more than 2^40 elements)", nbt_fn(),
                             nbt_shape_of(ndim, shape));
        n = m;
    }
    nbt_storage *s = storage_get((size_t)n * nb_dtype_size(dt));
    if (!s) return nbt_oom_tensor(dt, ndim, shape);
    nb_tensor *t = tensor_struct();
    if (!t) {
        storage_put(s);
        return NULL;
    }
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->numel = nbt_contig_strides(ndim, t->shape, t->stride);
    t->storage = s;
    scope_add(t, d);
    return t;
}

nb_tensor *nbt_new(nb_dtype dt, int ndim, const int64_t *shape) { return new_tensor(dt, ndim, shape, depth); }
nb_tensor *nbt_new_persistent(nb_dtype dt, int ndim, const int64_t *shape) {
    return new_tensor(dt, ndim, shape, 0);
}

nb_tensor *nbt_view(nb_tensor *base, int ndim, const int64_t *shape, const int64_t *stride, int64_t offset) {
    nb_tensor *t = tensor_struct();
    if (!t) return NULL;
    t->dtype = base->dtype;
    t->ndim = ndim;
    t->numel = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->stride[i] = stride[i];
        t->numel *= shape[i];
    }
    t->offset = offset;
    t->storage = base->storage;
    base->storage->refcount++;
    scope_add(t, depth);
    return t;
}

static void release(nb_tensor *t) {
    if (t->node && nbt_tensor_release_hook) nbt_tensor_release_hook(t);
    if (t->grad && t->grad->magic == NBT_LIVE) release(t->grad);
    if (t->magic == NBT_HELD) SUB(tensors_held, 1);
    if (t->storage) storage_put(t->storage); /* a held tensor may have given its data up already */
    scope_remove(t);
    t->magic = NBT_DEAD;
    t->gen++;
    t->storage = NULL;
    t->node = NULL;
    t->grad = NULL; /* free-list link, appended at the tail so stale pointers stay */
    if (free_tail)
        free_tail->grad = t; /* detectable (magic == NBT_DEAD) as long as possible */
    else
        free_tensors = t;
    free_tail = t;
    SUB(tensors_live, 1);
}

bool nbt_owner_ok(const nb_tensor *t, const char *op) {
    uint32_t me = nbt_thread_id();
    if (t->owner == me) return true;
    if (t->scope > 0) {
        nbt_error("%s: tensor %p was made inside a scope of thread %u and belongs to that thread (this is "
                  "thread %u); release it there, or hand a tensor over by creating it outside any scope",
                  op, (const void *)t, t->owner, me);
        return false;
    }
    if (t->node) {
        nbt_error("%s: tensor %p is recorded on the tape of thread %u (this is thread %u); a tape and its "
                  "tensors belong to the thread that recorded them: release it there, or hand over nb_detach "
                  "copies",
                  op, (const void *)t, t->owner, me);
        return false;
    }
    return true; /* outside any scope and without history: handed over, this thread may free it */
}

void nb_free(nb_tensor *t) {
    if (!t) return;
    if (t->magic != NBT_LIVE) {
        nbt_error("nb_free: tensor %p was already released (double free)", (void *)t);
        return;
    }
    if (!nbt_owner_ok(t, "nb_free")) return;
    release(t);
}

bool nb_is_valid(const nb_tensor *t) {
    return t &&
           (t->magic == NBT_LIVE || (t->magic == NBT_HELD && nbt_held_readable)); /* rules see held ones */
}

nb_scope nb_scope_begin(void) {
    scope_rec r = { 0 };
    if (arrlen(scopes) > depth) {
        r.list = scopes[depth].list; /* reuse the array's capacity */
        arrsetlen(r.list, 0);
        scopes[depth] = r;
    } else {
        arrput(scopes, r);
    }
    scopes[depth].tape_mark = nbt_tape_len_hook ? nbt_tape_len_hook() : 0;
    return ++depth;
}

void nb_scope_end(nb_scope s) {
    if (s < 1 || s > depth) {
        if (s > 0) return; /* already ended as part of an outer scope */
        nbt_error("nb_scope_end: %d is not an open scope (depth %d)", s, depth);
        return;
    }
    while (depth >= s) {
        scope_rec *sc = &scopes[depth - 1];
        if (nbt_tape_release_hook) nbt_tape_release_hook(sc->tape_mark);
        for (ptrdiff_t i = 0; i < arrlen(sc->list); i++) {
            nb_tensor *t = sc->list[i];
            if (t && (t->magic == NBT_LIVE || t->magic == NBT_HELD)) {
                t->scope_slot = -1; /* list is being cleared: skip scope_remove's lookup */
                t->scope = 0;
                release(t);
            }
        }
        arrsetlen(sc->list, 0);
        depth--;
    }
}

void nbt_persist(nb_tensor *t) {
    scope_remove(t);
    scope_add(t, 0);
}

nb_tensor *nb_keep(nb_tensor *t) {
    if (!nbt_ok(t, "nb_keep")) return NULL;
    if (t->scope == 0) return t;
    if (!nbt_owner_ok(t, "nb_keep")) return NULL;
    int to = t->scope - 1;
    scope_remove(t);
    scope_add(t, to);
    return t;
}

/* ---- early release: nb_release, tidy regions (docs/ownership.md, "Releasing early") ---- */
void nbt_tape_unref(nb_tensor *t, bool data, bool use) {
    if (data) t->tape_saved--;
    if (use) t->tape_uses--;
    if (t->magic != NBT_HELD) return;
    if (t->tape_uses <= 0 && t->tape_saved <= 0) {
        release(t);
    } else if (t->tape_saved <= 0 && t->storage) {
        storage_put(t->storage); /* only its shape is still read (by the rules of nodes that used it) */
        t->storage = NULL;
    }
}

static void release_early(nb_tensor *t) {
    if (t->tape_uses <= 0 && t->tape_saved <= 0) {
        release(t);
        return;
    }
    if (t->grad && t->grad->magic == NBT_LIVE) release(t->grad);
    t->grad = NULL;
    t->retains_grad = false;
    t->magic = NBT_HELD;
    ADD(tensors_held, 1);
    nbt_tape_unref(t, false, false); /* drops the data now if no node saved it */
}

void nb_release(nb_tensor *t) {
    if (!t) return;
    if (t->magic != NBT_LIVE) {
        nbt_error("nb_release: tensor %p was already released", (void *)t);
        return;
    }
    if (!nbt_owner_ok(t, "nb_release")) return;
    release_early(t);
}

nb_tidy nb_tidy_begin(void) {
    return (nb_tidy){ .depth = depth, .len = depth > 0 ? arrlen(scopes[depth - 1].list) : 0 };
}

void nb_tidy_end(nb_tidy m, int nkeep, nb_tensor *const *keep) {
    if (nkeep < 0 || (nkeep > 0 && !keep)) {
        nbt_error("nb_tidy_end: %d tensors to keep from a %s list", nkeep, keep ? "given" : "NULL");
        return;
    }
    if (m.depth < 1 || m.depth != depth) return; /* top level, or a scope that has ended since */
    scope_rec *sc = &scopes[depth - 1];
    for (ptrdiff_t i = m.len; i < arrlen(sc->list); i++) {
        nb_tensor *t = sc->list[i];
        if (!t || t->magic != NBT_LIVE) continue;
        bool kept = false;
        for (int k = 0; k < nkeep && !kept; k++) kept = keep[k] == t;
        if (!kept) release_early(t);
    }
}

void nbt_tidy_push(void) { arrput(tidy_stack, nb_tidy_begin()); }

nb_tensor *nbt_tidy_pop(nb_tensor *result) {
    if (arrlen(tidy_stack) == 0) return result;
    nb_tidy m = arrpop(tidy_stack);
    nb_tidy_end(m, 1, &result);
    return result;
}

/* ---- the end of a thread (thread_state.c calls this after the upper layers' exit functions) ---- */
void nbt_memory_thread_exit(void) {
    if (depth > 0) nb_scope_end(1); /* scopes left open: their tensors die with the thread */
    for (ptrdiff_t i = 0; i < arrlen(scopes); i++) arrfree(scopes[i].list);
    arrfree(scopes);
    arrfree(tidy_stack);
    pool_shrink(0); /* the pooled data goes back to the system */
    pool_limit = SIZE_MAX;
    if (free_tensors) { /* structs stay allocated (stale pointers keep reading NBT_DEAD): shared list */
        pthread_mutex_lock(&orphan_mu);
        free_tail->grad = orphans;
        orphans = free_tensors;
        atomic_store(&have_orphans, true);
        pthread_mutex_unlock(&orphan_mu);
        free_tensors = free_tail = NULL;
    }
}
