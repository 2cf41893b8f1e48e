/* gradcheck_ops.h — the shared pieces of the op-table gradcheck (tests/test_gradcheck_ops.c walks
 * autograd/ops.def; the checks K(name) live in tests/test_gradcheck_ops_<family>.c): the inputs, GC()
 * running one gradcheck (and gradgradcheck), FN() for a function under test, K() for an op's check. */
#ifndef NB_GRADCHECK_OPS_H
#define NB_GRADCHECK_OPS_H
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* ---- inputs ---- */
/* scalar / int arguments and an optional non-differentiable tensor (index, mask) for fn */
typedef struct {
    double s[4];
    int i[8];
    int ni;
    nb_tensor *aux;
} prm;

/* f64 leaf requiring grad, values uniform in [lo, hi] but at least gap away from kink */
nb_tensor *gc_away(double lo, double hi, double kink, double gap, int nd, const int64_t *shape);
#define R(lo, hi, ...) gc_away((lo), (hi), 0, -1, NB_SHAPE(__VA_ARGS__))
#define AWAY(lo, hi, kink, gap, ...) gc_away((lo), (hi), (kink), (gap), NB_SHAPE(__VA_ARGS__))
/* values k * 0.3 + noise for a random permutation: all distinct by >= 0.2 (no ties for max/min) */
nb_tensor *gc_distinct(int nd, const int64_t *shape, double shift);
#define DISTINCT(shift, ...) gc_distinct(NB_SHAPE(__VA_ARGS__), (shift))
/* an i64 tensor (no grad) holding vals */
nb_tensor *gc_idx(int nd, const int64_t *shape, const int64_t *vals);

/* v -> d/dc sum(op(c, p) v) with create_graph: the adjoint (backward) of op at c as a function of v, so
 * gradgradcheck reaches the backward's own backward; under grad mode, as gradcheck may call fn under
 * no-grad */
nb_tensor *gc_adjoint(nb_tensor *(*op)(nb_tensor *c, const prm *p), nb_tensor *c, nb_tensor *v, const prm *p);

/* ---- running a check ---- */
/* the op (or "composite") whose checks run now: named in every FAIL line */
extern const char *gc_cur_op;
/* gradcheck fn at inputs (and gradgradcheck when order == 2); prints a FAIL line naming the check */
bool gc_opts(const char *label, nb_fn fn, void *ctx, int order, nb_gradcheck_opts o, int n,
             nb_tensor *const *in);
#define GC(label, fn, ctx, order, ...)                                                                       \
    gc_opts(label, fn, ctx, order, (nb_gradcheck_opts){ 0 }, NB_LIST(__VA_ARGS__))

/* f_<name>: a function under test, expr of the inputs x[0..n-1] and the arguments p */
#define FN(name, expr)                                                                                       \
    static nb_tensor *f_##name(nb_tensor *const *x, int n, void *ctx) {                                      \
        const prm *p = ctx;                                                                                  \
        (void)x;                                                                                             \
        (void)n;                                                                                             \
        (void)p;                                                                                             \
        return (expr);                                                                                       \
    }

/* ---- one check per opcode ---- */
/* K(name) { ... }: the check of op `name` of autograd/ops.def at order o (gradgradcheck when 2); the
 * walk finds it by name (tests/test_gradcheck_ops.c) and FAILS for an op without one */
#define K(name)                                                                                              \
    bool k_##name(int o);                                                                                    \
    bool k_##name(int o)

/* the composite public ops (test_gradcheck_ops_composite.c): every check passed */
bool gc_composites(void);
bool gc_helper_composites(void);
#endif
