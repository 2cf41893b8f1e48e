/* misuse.h — the misuse suite's harness: bad calls against the public API, one forked
 * process per case, spread over tests/test_misuse_<family>.c and linked into one program, test_misuse.
 *
 * How to add a case (in the family's file, or a new tests/test_misuse_<x>.c listed in misuse_files in
 * tests/meson.build). The first argument is the PUBLIC function the case exercises: the message must
 * name it, and tests/misuse_sweep.sh counts it as covered (every public function needs a case).
 *
 *   MU_E(nb_relu, "int64 input", !nb_relu(TI()))        an error: expr is true when the call returned
 *                                                       its error value (NULL, NB_ERROR, NAN, -1); a
 *                                                       message naming nb_relu must be recorded
 *   MU_N(nb_relu, "NULL input", !nb_relu(NULL))         NULL passes through: the error value, and
 *                                                       nothing recorded (or a message naming nb_relu)
 *   MU_G(nb_relu, "int64 relu", nb_relu(TI()) != 0)     a good call: expr true, and no error pending
 *   MU_ERR(nb_fn, "what") { ...statements...; return cond; }   the same three with a body:
 *   MU_NUL(...) { ... }   MU_GOOD(...) { ... }
 *
 * Every case runs in a child process inside a scope, then the harness checks: the returned value,
 * the message, that the child was not killed and exited cleanly (ASan/UBSan/LSan exit non-zero), and
 * that no tensor is left alive after the scope ends and the objects handed to mu_own_* are freed
 * (nb_memory_stats_get().tensors_live == 0). For void functions write (fn(args), true). */
#ifndef NB_MISUSE_H
#define NB_MISUSE_H
#include <nabla.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef enum { MU_KIND_ERR, MU_KIND_NULL, MU_KIND_GOOD } mu_kind;
typedef struct {
    const char *fn, *what, *file;
    int line;
    mu_kind kind;
    bool (*run)(void);
} mu_case;
/* Add a case to the suite (called by the MU_ macros at program start). */
void mu_register(const mu_case *c);

#define MU_CAT_(a, b) a##b
#define MU_CAT(a, b) MU_CAT_(a, b)
#define MU_DEF_(kind, fn, what, id)                                                                          \
    static bool id(void);                                                                                    \
    __attribute__((constructor)) static void MU_CAT(id, _reg)(void) {                                        \
        static const mu_case c = { #fn, what, __FILE__, __LINE__, kind, id };                                \
        mu_register(&c);                                                                                     \
    }                                                                                                        \
    static bool id(void)
#define MU_ERR(fn, what) MU_DEF_(MU_KIND_ERR, fn, what, MU_CAT(mu_case_, __LINE__))
#define MU_NUL(fn, what) MU_DEF_(MU_KIND_NULL, fn, what, MU_CAT(mu_case_, __LINE__))
#define MU_GOOD(fn, what) MU_DEF_(MU_KIND_GOOD, fn, what, MU_CAT(mu_case_, __LINE__))
#define MU_E(fn, what, ...)                                                                                  \
    MU_ERR(fn, what) { return (__VA_ARGS__); }
#define MU_N(fn, what, ...)                                                                                  \
    MU_NUL(fn, what) { return (__VA_ARGS__); }
#define MU_G(fn, what, ...)                                                                                  \
    MU_GOOD(fn, what) { return (__VA_ARGS__); }

/* Objects a case creates and the harness frees after it (in reverse order), before the leak check. */
nb_module *mu_own_module(nb_module *m);
nb_optimizer *mu_own_optim(nb_optimizer *o);
nb_scheduler *mu_own_sched(nb_scheduler *s);
nb_tensor_dataset *mu_own_dataset(nb_tensor_dataset *d);
nb_dataloader *mu_own_loader(nb_dataloader *l);
nb_generator *mu_own_gen(nb_generator *g);
nb_distributed_sampler *mu_own_sampler(nb_distributed_sampler *s);
nb_state_dict *mu_sd(void); /* an empty state dict, freed after the case */

/* Small fixtures, made in the case's scope. */
nb_tensor *mu_f32(void);       /* zeros (2, 3) f32 */
nb_tensor *mu_f64(void);       /* ones (2, 3) f64 */
nb_tensor *mu_i64(void);       /* zeros (3) i64 */
nb_tensor *mu_vec(int64_t n);  /* arange(n) f32 */
nb_tensor *mu_leaf(void);      /* ones (2, 3) f64 leaf that requires grad (persistent: the harness frees) */
nb_tensor *mu_released(void);  /* a tensor already freed (a stale pointer) */
nb_tensor *mu_img(void);       /* randn (1, 2, 4, 4) f32 */
nb_optimizer *mu_sgd(void);    /* SGD (lr 0.1) over one owned parameter */
const char *mu_tmp_path(void); /* a path in a fresh temporary directory of the child */
/* Make every allocation above 1 TiB fail in this child whatever the kernel's overcommit policy (an address
 * space limit; under ASan, whose shadow needs the address space, allocator_may_return_null=1 does it). */
void mu_no_overcommit(void);
/* true if the pending message contains every one of the n strings (an OOM message's name, shape, size) */
bool mu_msg_has(int n, const char *const *parts);
#endif
