/* nb_internal.h — what the library's own files share and users never see: storage, the error
 * recorder, tensor allocation inside scopes, broadcasting helpers. Prefix nbi_. Invariant: every
 * tensor returned by nbt_new/nbt_view is registered in the current scope (or persistent at depth 0). */
#ifndef NB_INTERNAL_H
#define NB_INTERNAL_H

#include "nb_tensor.h"
#include <assert.h>
#include <stdarg.h>
#include <string.h>

#define NBT_LIVE 0x4e41424cu
#define NBT_DEAD 0xdead0f0fu
#define NBT_HELD 0x48454c44u /* released by nb_release, kept by the tape (shape always, data while saved) */

/* Reference-counted buffer shared by a tensor and its views. version counts in-place writes. */
struct nbt_storage {
    void *data;
    size_t nbytes;        /* capacity in bytes (pool size class) */
    _Atomic int refcount; /* atomic: views of one tensor may be made and dropped on several threads */
    uint32_t version;
    nbt_storage *next_free;
};

/* ---- errors ---- */
/* Record "fmt..." as the error if none is pending (and call the hook). Always returns NULL. */
void *nbt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many errors this thread has raised so far (recorded or dropped as not first). A call that raised
 * one must not report success: tests/testlib.h's TL_CALL checks that invariant around any call. */
unsigned long nbt_error_serial(void);
/* The public-call scope (issue 15, class 7): a composite public function opens it with NBT_API("nb_x")
 * as its first statement; while it is open, any error an inner call records is reported under the
 * OUTERMOST public name: "nb_layer_norm: <inner message> (in nb_mul)". The scope closes by itself when
 * the function returns (cleanup attribute), so every return path is covered. */
#define NBT_API(name) __attribute__((cleanup(nbt_api_end), unused)) int nbt_api_ = nbt_api_begin(name)
/* Open / close a public-call scope (use NBT_API); nbt_api_begin returns the new depth. */
int nbt_api_begin(const char *name);
void nbt_api_end(int *depth);
/* The public function this thread is running, for messages raised deep inside it (allocation failures):
 * the outermost NBT_API scope, else the last public name an argument check saw (nbt_ok, nbt_nonnull,
 * nbt_shape_ok, NBA_CHECK set nbt_fn_cur; every public entry that allocates passes one of them). */
extern _Thread_local const char *nbt_fn_cur;
const char *nbt_fn(void);
/* Record "<nbt_fn()>: out of memory allocating <what> (<nbytes> as KiB/MiB/...)"; returns NULL. */
void *nbt_oom(size_t nbytes, const char *what);
/* Record "<nbt_fn()>: out of memory allocating a (2, 3) float32 tensor (24 bytes)"; returns NULL. */
void *nbt_oom_tensor(nb_dtype dt, int ndim, const int64_t *shape);
/* n bytes as "24 bytes", "4.0 PiB" (a rotating static buffer, 2 at once). */
const char *nbt_bytes_str(size_t n);
/* true if p is not NULL; otherwise records "fn: <what> is NULL" (every non-tensor pointer argument of a
 * public function: FILE *, names, output pointers, arrays, handles, callbacks) and returns false. */
bool nbt_nonnull(const void *p, const char *fn, const char *what);
/* nbt_ok for functions that return a status or a non-tensor (no NULL pass-through result): a NULL t also
 * records "fn: tensor is NULL (an earlier op failed?)" unless an error is already pending. */
bool nbt_ok_req(const nb_tensor *t, const char *fn);
/* true if t is usable by op `op`; NULL -> false silently (pass-through); a released tensor -> error. */
bool nbt_ok(const nb_tensor *t, const char *op);
/* Shape of t as "(2, 3)" in a rotating static buffer (for messages, up to 4 at once). */
const char *nbt_shape(const nb_tensor *t);
/* Shape list as "(2, 3)" in a rotating static buffer. */
const char *nbt_shape_of(int ndim, const int64_t *shape);

/* ---- allocation ---- */
/* New contiguous tensor (uninitialised data), owned by the current scope. NULL + error on bad shape. */
nb_tensor *nbt_new(nb_dtype dt, int ndim, const int64_t *shape);
/* Validate a creation request (dtype, ndim, shape) with an error naming op; true when valid. */
bool nbt_shape_ok(const char *op, nb_dtype dt, int ndim, const int64_t *shape);
/* Same as nbt_new but always persistent (depth 0), whatever scope is open. */
nb_tensor *nbt_new_persistent(nb_dtype dt, int ndim, const int64_t *shape);
/* A view of base's storage with the given geometry, owned by the current scope. */
nb_tensor *nbt_view(nb_tensor *base, int ndim, const int64_t *shape, const int64_t *stride, int64_t offset);
/* Make t persistent (depth 0, caller-owned) whatever scope owns it now. */
void nbt_persist(nb_tensor *t);
/* Fill stride[] with row-major strides for shape; returns numel. */
int64_t nbt_contig_strides(int ndim, const int64_t *shape, int64_t *stride);
/* Bytes per element (inline twin of nb_dtype_size for the hot paths). */
static inline size_t nbt_esz(nb_dtype dt) { return dt == NB_F32 ? 4 : 8; }
/* Element pointer of the first element. */
static inline char *nbt_ptr(const nb_tensor *t) {
    return (char *)t->storage->data + (size_t)t->offset * nbt_esz(t->dtype);
}
/* Current scope depth (0 = none open). */
int nbt_scope_depth(void);
/* Hook the autograd layer installs: release tape nodes recorded since mark (called at scope end). */
extern void (*nbt_tape_release_hook)(size_t mark);
/* Hook returning the current tape length (mark recorded at scope begin). */
extern size_t (*nbt_tape_len_hook)(void);
/* Hook called when a tensor with a tape node is released (so the node forgets it). */
extern void (*nbt_tensor_release_hook)(nb_tensor *t);
/* Hook naming a tensor's grad_fn for printing (installed by the autograd layer). */
extern const char *(*nbt_grad_fn_name_hook)(const nb_tensor *t);
/* The tape drops a reference to t: a saved-data one (data) and/or a use (use). A held tensor loses its
 * data once no unspent node saved it, and its struct once no node reads it. */
void nbt_tape_unref(nb_tensor *t, bool data, bool use);
/* Non-zero while backward rules run: they may read held tensors (nbt_ok accepts them). */
extern _Thread_local int nbt_held_readable;
/* Fault injection for tests: the n-th tensor data allocation on this thread from now fails as if the
 * system were out of memory (n <= 0: none). Returns the previous countdown (> 0: it had not fired yet).
 * Lets the misuse suite reach every allocation-failure path. */
long nbt_fail_alloc_after(long n);
/* Count one allocation from the system (for nb_memory_stats). */
void nbt_count_sys_alloc(void);

/* ---- threads (thread_state.c; the rule is in docs/ownership.md, "Threads") ---- */
extern _Thread_local uint32_t nbt_thread_id_; /* 0 until the thread first uses nabla */
/* Give this thread its id (1, 2, ...) and arrange for its state to be returned when it exits. */
uint32_t nbt_thread_id_assign(void);
/* Id of the calling thread (never 0). */
static inline uint32_t nbt_thread_id(void) {
    return nbt_thread_id_ ? nbt_thread_id_ : nbt_thread_id_assign();
}
/* Call fn (which frees its thread-local state) on every thread that used nabla when it exits. */
void nbt_at_thread_exit(void (*fn)(void));
/* The memory layer's part of a thread's end: open scopes end, the pool goes back to the system. */
void nbt_memory_thread_exit(void);
/* true if t may be released (freed, kept, released early) by this thread; else records an error
 * naming op: a tensor inside another thread's scope, or recorded on its tape, is that thread's. */
bool nbt_owner_ok(const nb_tensor *t, const char *op);

/* ---- in-place writes (inplace_check.c) ---- */
extern _Thread_local bool nbt_grad_off; /* grad mode is off on this thread (nb_set_grad_enabled) */
/* false + error naming op if t requires grad and grad mode is on (torch's leaf check). */
bool nbt_leaf_write_ok(const nb_tensor *t, const char *op);
/* false + error naming op if elements of t share memory (a stride 0 over a size > 1, from expand). */
bool nbt_no_self_overlap(const nb_tensor *t, const char *op);

/* ---- shapes ---- */
/* Normalise a possibly negative dim for a tensor of ndim dims; -1 + error if out of range. */
int nbt_dim(int dim, int ndim, const char *op);
/* Broadcast two shapes (torch rules) into out; returns out ndim or -1 (no error recorded). */
int nbt_broadcast_shape(int na, const int64_t *sa, int nb, const int64_t *sb, int64_t *out);
/* true if both shapes are equal. */
bool nbt_same_shape(const nb_tensor *a, const nb_tensor *b);
/* Result dtype of a binary op on a and b (f64 wins over f32; i64 with a float gives the float). */
nb_dtype nbt_promote(nb_dtype a, nb_dtype b);
static inline bool nbt_is_float(nb_dtype dt) { return dt == NB_F32 || dt == NB_F64; }
/* float -> int64 defined for every input, as x86 converts and torch's .long() gives: NaN and values
 * outside [-2^63, 2^63) become INT64_MIN (a plain C cast of those is undefined behaviour) */
static inline int64_t nbt_f2i(double v) { return v >= -0x1p63 && v < 0x1p63 ? (int64_t)v : INT64_MIN; }
/* true if v can be stored in an int64 tensor as a scalar argument (finite, in range), as torch
 * requires; else records "op: value v cannot be converted to type int64 without overflow" */
bool nbt_i64_value_ok(double v, const char *op);

/* dst row r = src row idx[r] (row bytes each) for r < n (tensor/kernels_index.c): batch gathers, on the OpenMP
 * threads from 512 KB; the same bytes. */
void nbt_gather_rows(char *dst, const char *src, const int64_t *idx, int64_t n, size_t row);
/* Dropout's mask as torch's CPU bernoulli_(keep) draws it: mask[i] = scale where the i-th f64 uniform of the
 * default generator (nb_rand_double, in order) is below keep, else 0; mask holds n values of dt (f32 or f64). */
void nbt_bernoulli_mask(nb_dtype dt, void *mask, int64_t n, double keep, double scale);
/* keep[i] = 1 if the i-th draw of the default generator is below p_keep, else 0: the same draws as
 * nbt_bernoulli_mask (one torch uniform double per element, in order), as bytes (fused attention's dropout). */
void nbt_bernoulli_keep(uint8_t *keep, int64_t n, double p_keep);

/* Called by kernels about to start threads: lowers (or restores) this thread's OpenMP thread count
 * when the machine has fewer free CPUs than threads (at most one check per half second). */
void nbt_threads_check(void);
/* Below this many elements kernels never start OpenMP threads (a region costs ~1 us with spinning
 * threads but ~35 us with OMP_WAIT_POLICY=passive, more than a memory-bound pass over 256 KB). */
#define NBT_PAR_MIN 65536
/* a##b after expanding a and b: names a *_template.h body defines once per type (NBT_CAT(adam_, SUF)) */
#define NBT_CAT_(a, b) a##b
#define NBT_CAT(a, b) NBT_CAT_(a, b)

#endif
