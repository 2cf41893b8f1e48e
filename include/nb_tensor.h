/* nb_tensor.h — the data layer of nabla: dtypes, tensors, storage, scopes, errors, creation,
 * views and the non-differentiable helpers. Knows nothing of gradients except the fields the
 * autograd layer reads (requires_grad, grad, node). Users include <nabla.h>, not this file. */
#ifndef NB_TENSOR_H
#define NB_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NB_MAX_DIMS 8

/* Element types. f32 is the default everywhere; i64 holds indices and labels. */
typedef enum { NB_F32 = 0, NB_F64 = 1, NB_I64 = 2 } nb_dtype;

/* Status of functions that do work (0 = success). Ops that return tensors return NULL instead. */
typedef enum { NB_OK = 0, NB_ERROR = -1 } nb_status;

typedef struct nbt_storage nbt_storage;
typedef struct nba_node nba_node;
typedef struct nb_tensor nb_tensor;

/* A dense strided view of a shared storage. Read the public fields; change them only via nb_ calls. */
struct nb_tensor {
    nb_dtype dtype;
    int ndim; /* 0 for a scalar tensor */
    int64_t shape[NB_MAX_DIMS];
    int64_t stride[NB_MAX_DIMS]; /* in elements */
    int64_t offset;              /* in elements, into storage */
    int64_t numel;
    bool requires_grad;
    bool retains_grad; /* set by nb_retain_grad on a non-leaf */
    nb_tensor *grad;   /* leaf/retained gradient; owned by this tensor (persistent) */
    /* internal */
    nbt_storage *storage;
    nba_node *node; /* the tape node that produced this tensor (grad_fn), or NULL */
    uint32_t magic; /* NBT_LIVE while alive, NBT_HELD after nb_release, NBT_DEAD after release */
    uint32_t gen;   /* bumped at every release: stale pointers are detected */
    int scope;      /* depth of the owning scope, 0 = persistent (caller owns) */
    int scope_slot; /* index in the owning scope's list */
    int tape_uses;  /* tape nodes that read this struct (as an input or aux argument) */
    int tape_saved; /* unspent tape nodes whose backward reads this tensor's data */
    uint32_t owner; /* id of the thread that created it (docs/ownership.md, "Threads") */
};

/* Shapes and dim lists as literals: nb_zeros(NB_F32, NB_SHAPE(2, 3)) passes (2, {2, 3}). */
#define NB_SHAPE(...)                                                                                        \
    (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), (const int64_t[]) { __VA_ARGS__ }
#define NB_SCALAR_SHAPE 0, (const int64_t *)NULL
/* An explicit zero for an argument whose 0 means "torch's default" (it is -0.0, told apart by sign). */
#define NB_ZERO (-0.0)
#define NB_DIMS(...)                                                                                         \
    (int)(sizeof((int[]){ __VA_ARGS__ }) / sizeof(int)), (const int[]) { __VA_ARGS__ }
#define NB_LIST(...)                                                                                         \
    (int)(sizeof((nb_tensor *[]){ __VA_ARGS__ }) / sizeof(nb_tensor *)), (nb_tensor *const[]) { __VA_ARGS__ }

/* ---- errors (docs/errors.md) ---------------------------------------------------------------- */
/* First error recorded on this thread since the last nb_clear_error, or NULL if none. */
const char *nb_error(void);
/* Forget the recorded error. */
void nb_clear_error(void);
/* Called with every error message as it is recorded (e.g. to abort while debugging); NULL to unset. */
void nb_set_error_hook(void (*hook)(const char *msg));

/* ---- lifetimes (docs/ownership.md) ---------------------------------------------------------- */
/* Handle of an open scope: its depth. */
typedef int nb_scope;
/* Open a scope: tensors (and tape nodes) created until the matching end belong to it. */
nb_scope nb_scope_begin(void);
/* Close scope s (and any inner scope left open): release its tensors and tape, except kept ones. */
void nb_scope_end(nb_scope s);
/* Move t out of the current scope into the enclosing one (persistent at the outermost); returns t.
 * A kept tensor whose producing tape node is released becomes a leaf (its history is cut). */
nb_tensor *nb_keep(nb_tensor *t);
/* Release a tensor now (persistent or scoped). NULL is ignored. Views keep the storage alive. */
void nb_free(nb_tensor *t);
/* true if t is a live tensor (not NULL, not released). */
bool nb_is_valid(const nb_tensor *t);
/* "I am done with t": t is released now for you (any later use is an error), but the tape keeps what
 * backward still needs (t's shape, and its data while an unspent node saved it) until backward spends
 * those nodes (without retain_graph) or the scope ends. NULL is ignored. (docs/ownership.md) */
void nb_release(nb_tensor *t);
/* A mark in the current scope for nb_tidy_end. */
typedef struct {
    int depth;
    ptrdiff_t len;
} nb_tidy;
/* Start a tidy region (inside a scope; at top level nb_tidy_end does nothing). */
nb_tidy nb_tidy_begin(void);
/* nb_release every tensor made in the current scope since m except the nkeep tensors in keep. */
void nb_tidy_end(nb_tidy m, int nkeep, nb_tensor *const *keep);
/* NB_TIDY(expr): evaluate expr and nb_release every tensor it made except its result (returned), e.g.
 * h = NB_TIDY(nb_relu(nb_add(nb_matmul(x, w), b))) frees the matmul result right away. */
#define NB_TIDY(expr) (nbt_tidy_push(), nbt_tidy_pop(expr))
/* The two halves of NB_TIDY (a per-thread stack of nb_tidy marks). */
void nbt_tidy_push(void);
nb_tensor *nbt_tidy_pop(nb_tensor *result);

/* Memory statistics of this thread's pools. */
typedef struct {
    size_t bytes_live;    /* bytes of tensor data in use (held tensors' data included) */
    size_t bytes_pooled;  /* bytes of released data kept for reuse */
    size_t system_allocs; /* allocations requested from the system so far (data, tensors, nodes) */
    size_t tensors_live;  /* live tensor structs (held ones included) */
    size_t peak_bytes;    /* highest bytes_live so far (nb_memory_reset_peak starts again) */
    size_t pool_limit;    /* cap on bytes_pooled (nb_set_pool_limit); SIZE_MAX, the default: none */
    size_t tensors_held;  /* tensors released with nb_release / NB_TIDY that the tape still holds */
} nb_memory_stats;
/* Current memory statistics. */
nb_memory_stats nb_memory_stats_get(void);
/* Print the statistics, readable (like torch.cuda.memory_summary), to f. */
void nb_memory_summary(FILE *f);
/* peak_bytes = bytes_live now (to measure the peak of one phase). */
void nb_memory_reset_peak(void);
/* Keep at most max_bytes of released data pooled (freeing the excess now, largest buffers first);
 * data released beyond the cap goes back to the system. SIZE_MAX (the default): no cap. */
void nb_set_pool_limit(size_t max_bytes);
/* Return all pooled (unused) memory to the system (torch.cuda.empty_cache). */
void nb_empty_cache(void);
/* The same as nb_empty_cache (its first name). */
void nb_pool_trim(void);

/* ---- threads -------------------------------------------------------------------------------- */
/* Threads used by kernels (OpenMP); n <= 0 restores the default, n above 8 per CPU is clamped to that
 * (libgomp aborts on absurd counts such as INT_MAX). No-op without OpenMP. */
void nb_set_num_threads(int n);
/* Threads kernels will use. */
int nb_get_num_threads(void);

/* ---- creation (results belong to the current scope, or to the caller outside any scope) ---- */
/* New tensor of shape with a copy of data (dtype-typed, contiguous, row-major). */
nb_tensor *nb_tensor_from(nb_dtype dt, const void *data, int ndim, const int64_t *shape, bool requires_grad);
/* Uninitialised tensor. */
nb_tensor *nb_empty(nb_dtype dt, int ndim, const int64_t *shape);
/* All zeros. */
nb_tensor *nb_zeros(nb_dtype dt, int ndim, const int64_t *shape);
/* All ones. */
nb_tensor *nb_ones(nb_dtype dt, int ndim, const int64_t *shape);
/* All value. */
nb_tensor *nb_full(nb_dtype dt, int ndim, const int64_t *shape, double value);
/* 0-d tensor holding value. */
nb_tensor *nb_scalar(nb_dtype dt, double value);
/* [start, end) with step, like torch.arange. */
nb_tensor *nb_arange(nb_dtype dt, double start, double end, double step);
/* steps evenly spaced values from start to end inclusive. */
nb_tensor *nb_linspace(nb_dtype dt, double start, double end, int64_t steps);
/* n x m identity (m <= 0 means m = n). */
nb_tensor *nb_eye(nb_dtype dt, int64_t n, int64_t m);
/* Same shape and dtype as t. */
nb_tensor *nb_empty_like(const nb_tensor *t);
nb_tensor *nb_zeros_like(const nb_tensor *t);
nb_tensor *nb_ones_like(const nb_tensor *t);
nb_tensor *nb_full_like(const nb_tensor *t, double value);
nb_tensor *nb_rand_like(const nb_tensor *t);
nb_tensor *nb_randn_like(const nb_tensor *t);
/* t.new_zeros(shape), t.new_ones(shape), t.new_full(shape, value): new tensors of t's dtype. */
nb_tensor *nb_new_zeros(const nb_tensor *t, int ndim, const int64_t *shape);
nb_tensor *nb_new_ones(const nb_tensor *t, int ndim, const int64_t *shape);
nb_tensor *nb_new_full(const nb_tensor *t, int ndim, const int64_t *shape, double value);

/* ---- random numbers (torch.Generator; generators are not thread-safe) ------------------------- */
/* Generators are PyTorch 1.13's CPU generator (MT19937, same draws and transformations): after
 * nb_manual_seed(s) these functions return the same values as torch.manual_seed(s) and the torch
 * call named in each comment (randn: bit for bit in f64; f32 as torch's AVX2 kernel computes it).
 * Each function has a _gen form taking the generator last (torch's generator= argument); a NULL
 * generator means the global one (torch.default_generator). Unlike torch, whose default generator
 * starts from a nondeterministic seed, the global generator starts from torch's default seed
 * 67280421310721 (that of a fresh torch.Generator()). */
typedef struct nb_generator nb_generator;
/* Bytes of a generator state: torch 1.13's CPUGeneratorImplState (torch.get_rng_state().numel()). */
#define NB_RNG_STATE_SIZE 5056
/* torch.Generator(): a new generator seeded with 67280421310721; free with nb_generator_free. */
nb_generator *nb_generator_new(void);
/* Free g (NULL and the global generator are ignored). */
void nb_generator_free(nb_generator *g);
/* The global generator (torch.default_generator), never freed. */
nb_generator *nb_default_generator(void);
/* g.manual_seed(seed): MT19937 init_genrand(seed & 0xffffffff), cached normal dropped; returns g. */
nb_generator *nb_generator_manual_seed(nb_generator *g, uint64_t seed);
/* g.initial_seed(): the last seed given to g (all 64 bits). */
uint64_t nb_generator_initial_seed(const nb_generator *g);
/* g.get_state(): state into out[NB_RNG_STATE_SIZE], byte for byte torch's g.get_state().numpy(). */
void nb_generator_get_state(const nb_generator *g, uint8_t out[NB_RNG_STATE_SIZE]);
/* g.set_state(state): n bytes in torch's layout (5056, or the legacy 5048); bad size/state -> NB_ERROR. */
nb_status nb_generator_set_state(nb_generator *g, const uint8_t *state, size_t n);
/* Raw draws: one 32-bit output of MT19937 (torch: generator->random()); random64 is (hi << 32) | lo
 * of two draws, the first one high (torch: generator->random64()). */
uint32_t nb_generator_random(nb_generator *g);
uint64_t nb_generator_random64(nb_generator *g);
/* Seed the global generator (torch.manual_seed). */
void nb_manual_seed(uint64_t seed);
/* torch.initial_seed(): the global generator's seed. */
uint64_t nb_initial_seed(void);
/* torch.get_rng_state() / torch.set_rng_state(state) of the global generator, in the bytes above. */
void nb_get_rng_state(uint8_t out[NB_RNG_STATE_SIZE]);
nb_status nb_set_rng_state(const uint8_t *state, size_t n);
/* Uniform [0, 1) (torch.rand). */
nb_tensor *nb_rand(nb_dtype dt, int ndim, const int64_t *shape);
nb_tensor *nb_rand_gen(nb_dtype dt, int ndim, const int64_t *shape, nb_generator *gen);
/* x * (to - from) + from with x uniform [0, 1), in dt's precision (torch.empty(shape).uniform_(from, to)). */
nb_tensor *nb_uniform(nb_dtype dt, int ndim, const int64_t *shape, double from, double to);
nb_tensor *nb_uniform_gen(nb_dtype dt, int ndim, const int64_t *shape, double from, double to,
                          nb_generator *gen);
/* Standard normal (torch.randn). */
nb_tensor *nb_randn(nb_dtype dt, int ndim, const int64_t *shape);
nb_tensor *nb_randn_gen(nb_dtype dt, int ndim, const int64_t *shape, nb_generator *gen);
/* Normal with mean and std >= 0 (torch.empty(shape).normal_(mean, std)). */
nb_tensor *nb_normal(nb_dtype dt, int ndim, const int64_t *shape, double mean, double std);
nb_tensor *nb_normal_gen(nb_dtype dt, int ndim, const int64_t *shape, double mean, double std,
                         nb_generator *gen);
/* Integers uniform in [low, high), dtype i64 (torch.randint: v % (high - low) + low). */
nb_tensor *nb_randint(int64_t low, int64_t high, int ndim, const int64_t *shape);
nb_tensor *nb_randint_gen(int64_t low, int64_t high, int ndim, const int64_t *shape, nb_generator *gen);
/* A random permutation of 0..n-1, dtype i64 (torch.randperm). */
nb_tensor *nb_randperm(int64_t n);
nb_tensor *nb_randperm_gen(int64_t n, nb_generator *gen);
/* out = (u < p) elementwise with u uniform [0, 1) in p's precision, shape and dtype of p, each p in
 * [0, 1] (torch.bernoulli(p)). */
nb_tensor *nb_bernoulli(const nb_tensor *p);
nb_tensor *nb_bernoulli_gen(const nb_tensor *p, nb_generator *gen);
/* -log(1 - u) / lambd with u a double uniform, lambd > 0 (torch.empty(shape).exponential_(lambd)). */
nb_tensor *nb_exponential(nb_dtype dt, int ndim, const int64_t *shape, double lambd);
nb_tensor *nb_exponential_gen(nb_dtype dt, int ndim, const int64_t *shape, double lambd, nb_generator *gen);
/* torch.multinomial(probs, n, replacement): i64 (n) or (rows, n) category indices drawn from the rows of
 * probs (1-D or 2-D float, weights >= 0, finite, no all-zero row; need not sum to 1), exactly as torch
 * 1.13 draws them (docs/random.md); without replacement n <= categories. */
nb_tensor *nb_multinomial(const nb_tensor *probs, int64_t n, bool replacement);
nb_tensor *nb_multinomial_gen(const nb_tensor *probs, int64_t n, bool replacement, nb_generator *gen);
/* Raw draws from the global generator: uniform [0,1) with 53 bits, 32 and 64 random bits. */
double nb_rand_double(void);
uint32_t nb_rand_u32(void);
uint64_t nb_rand_u64(void);

/* ---- access --------------------------------------------------------------------------------- */
/* Value of a one-element tensor as double (NAN and an error otherwise). */
double nb_item(const nb_tensor *t);
/* Element at a full index (ndim entries) as double. */
double nb_get(const nb_tensor *t, const int64_t *index);
/* Set the element at a full index (in place, bumps the version). */
nb_status nb_set(nb_tensor *t, const int64_t *index, double value);
/* Pointer to the first element; typed getters fail (NULL) on a dtype mismatch. Use with strides,
 * or call nb_contiguous first; writing through them does not bump the version counter. */
void *nb_data(const nb_tensor *t);
float *nb_data_f32(const nb_tensor *t);
double *nb_data_f64(const nb_tensor *t);
int64_t *nb_data_i64(const nb_tensor *t);
/* Copy all elements, in row-major order, converted to double, into out[numel]. */
nb_status nb_to_doubles(const nb_tensor *t, double *out);
/* Number of elements. */
int64_t nb_numel(const nb_tensor *t);
/* Size of dimension dim (negative counts from the end); -1 and an error if out of range. */
int64_t nb_size(const nb_tensor *t, int dim);
/* true if the strides are row-major dense. */
bool nb_is_contiguous(const nb_tensor *t);
/* Size in bytes of one element. */
size_t nb_dtype_size(nb_dtype dt);
/* "float32", "float64", "int64". */
const char *nb_dtype_name(nb_dtype dt);
/* Write t like torch prints it: tensor([[1., 2.], ...], grad_fn=<MulBackward>). */
void nb_fprint(FILE *f, const nb_tensor *t);
/* nb_fprint to stdout followed by a newline. */
void nb_print(const nb_tensor *t);
/* Shape as "(2, 3)" into buf (always NUL-terminated); returns buf. */
char *nb_shape_str(const nb_tensor *t, char *buf, size_t n);

/* ---- named tensor lists (a module's parameters, an optimizer's state; used by checkpoints) ---- */
typedef struct {
    int n;
    char **names;        /* owned copies */
    nb_tensor **tensors; /* borrowed */
} nb_state_dict;
/* Append (name, t); the name is copied, the tensor borrowed. */
nb_status nb_state_dict_add(nb_state_dict *sd, const char *name, nb_tensor *t);
/* The tensor named name, or NULL (no error recorded). */
nb_tensor *nb_state_dict_get(const nb_state_dict *sd, const char *name);
/* Free the names and arrays (not the tensors); leaves sd empty. */
void nb_state_dict_free(nb_state_dict *sd);

#ifdef __cplusplus
}
#endif
#endif
