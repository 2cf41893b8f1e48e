/* test_gradcheck_ops.c — finite-difference gradcheck (f64) of every recorded op, driven from the op
 * table (autograd/ops.def): the walk below runs the check K(name) of each op (gradgradcheck too when
 * nba_op_order[op] == 2) and FAILS for an op without one. The checks live per op family in
 * tests/test_gradcheck_ops_{ew,reduce,shape,spatial,nn}.c, the composite public ops (mean, var, std,
 * logsumexp, 1-D matmul, stack, ...) in tests/test_gradcheck_ops_composite.c (tests/gradcheck_ops.h). */
#include "gradcheck_ops.h"
#include "nba_tape.h"

/* ---- inputs ---- */
static double uni(double lo, double hi) { return lo + (hi - lo) * nb_rand_double(); }

/* f64 leaf requiring grad, values uniform in [lo, hi] but at least gap away from kink */
nb_tensor *gc_away(double lo, double hi, double kink, double gap, int nd, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t k = 0; k < n; k++) {
        do v[k] = uni(lo, hi);
        while (fabs(v[k] - kink) < gap);
    }
    nb_tensor *t = nb_tensor_from(NB_F64, v, nd, shape, true);
    free(v);
    return t;
}
/* values k * 0.3 + noise for a random permutation: all distinct by >= 0.2 (no ties for max/min) */
nb_tensor *gc_distinct(int nd, const int64_t *shape, double shift) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    nb_tensor *p = nb_randperm(n);
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    const int64_t *q = nb_data_i64(p);
    for (int64_t k = 0; k < n; k++) v[k] = (double)q[k] * 0.3 + uni(-0.05, 0.05) + shift;
    nb_tensor *t = nb_tensor_from(NB_F64, v, nd, shape, true);
    free(v);
    return t;
}
nb_tensor *gc_idx(int nd, const int64_t *shape, const int64_t *vals) {
    return nb_tensor_from(NB_I64, vals, nd, shape, false);
}
nb_tensor *gc_adjoint(nb_tensor *(*op)(nb_tensor *c, const prm *p), nb_tensor *c, nb_tensor *v,
                      const prm *p) {
    bool prev = nb_set_grad_enabled(true);
    nb_tensor *g = nb_grad1(nb_sum(nb_mul(op(c, p), v)), c, true);
    nb_set_grad_enabled(prev);
    return g;
}

/* ---- running a check ---- */
const char *gc_cur_op = "?";
static int nchecks, ngg;
bool gc_opts(const char *label, nb_fn fn, void *ctx, int order, nb_gradcheck_opts o, int n,
             nb_tensor *const *in) {
    nb_clear_error();
    bool ok = true;
    for (int i = 0; i < n; i++)
        if (!in[i]) ok = false;
    if (!ok) {
        fprintf(stderr, "FAIL %s / %s: could not build inputs: %s\n", gc_cur_op, label,
                nb_error() ? nb_error() : "?");
        return false;
    }
    nchecks++;
    if (!nb_gradcheck(fn, ctx, n, in, o)) {
        fprintf(stderr, "FAIL %s / %s: gradcheck%s%s\n", gc_cur_op, label, nb_error() ? ": " : "",
                nb_error() ? nb_error() : "");
        ok = false;
    }
    if (ok && order == 2) {
        ngg++;
        if (!nb_gradgradcheck(fn, ctx, n, in, o)) {
            fprintf(stderr, "FAIL %s / %s: gradgradcheck%s%s\n", gc_cur_op, label, nb_error() ? ": " : "",
                    nb_error() ? nb_error() : "");
            ok = false;
        }
    }
    if (ok && nb_error()) {
        fprintf(stderr, "FAIL %s / %s: error left behind: %s\n", gc_cur_op, label, nb_error());
        ok = false;
    }
    nb_clear_error();
    return ok;
}

/* The registry is generated from the op list: each op `name` in autograd/ops.def needs a check K(name) in
 * one of the family files. The references are weak, so an op without a check links as NULL and the walk
 * in main() FAILS naming it; two checks of one op fail to link. */
#define NB_OP(name, bwname, order) __attribute__((weak)) bool k_##name(int o);
#include "ops.def"
#undef NB_OP
typedef bool (*check_fn)(int order);
#define NB_OP(name, bwname, order) [NBA_OP_##name] = k_##name,
static const check_fn registry[NBA_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP

/* negative control: a wrong derivative (x * detach(x) has grad x, not 2x) must fail gradcheck */
FN(wrong, nb_mul(x[0], nb_detach(x[0])))
static bool catches_wrong_grad(void) {
    nb_scope s = nb_scope_begin();
    prm p = { 0 };
    bool caught = !nb_gradcheck(f_wrong, &p, 1, (nb_tensor *[]){ R(0.5, 2, 3) },
                                (nb_gradcheck_opts){ .quiet = true });
    nb_scope_end(s);
    nb_clear_error();
    return caught;
}

int main(void) {
    nb_manual_seed(1234);
    CHECK(catches_wrong_grad());
    for (int op = 0; op < NBA_OP_COUNT; op++) {
        gc_cur_op = nba_op_names[op];
        nb_scope s = nb_scope_begin();
        bool ok = registry[op] && registry[op](nba_op_order[op]);
        if (!registry[op])
            fprintf(stderr,
                    "FAIL op %s of autograd/ops.def has no check: add K(%s) to a "
                    "tests/test_gradcheck_ops_<family>.c\n",
                    gc_cur_op, gc_cur_op);
        nb_scope_end(s);
        tl_check(ok, gc_cur_op, __FILE__, __LINE__);
    }
    nb_scope s = nb_scope_begin();
    CHECK(gc_composites());
    CHECK(gc_helper_composites());
    nb_scope_end(s);
    printf("%d ops in the table; %d gradchecks, %d gradgradchecks\n", NBA_OP_COUNT, nchecks, ngg);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
