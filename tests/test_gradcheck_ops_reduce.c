/* test_gradcheck_ops_reduce.c — the gradchecks K(name) of the reductions and scans: sum, prod, amax /
 * amin, max / min along a dim, norm, softmax / log_softmax, cumsum, sort, topk (tests/gradcheck_ops.h). */
#include "gradcheck_ops.h"

FN(sum, nb_sum(x[0]))
FN(sum_dim, nb_sum_dim(x[0], p->ni, p->i, p->s[0] != 0))
FN(sum_to_size, nb_sum_to_size(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2] }))
FN(prod, nb_prod(x[0]))
FN(prod_dim, nb_prod_dim(x[0], p->i[0], p->s[0] != 0))
FN(amax, nb_amax(x[0], p->ni, p->i, p->s[0] != 0))
FN(amin, nb_amin(x[0], p->ni, p->i, p->s[0] != 0))
FN(max, nb_max(x[0]))
FN(min, nb_min(x[0]))
FN(max_dim, nb_max_dim(x[0], p->i[0], p->s[0] != 0, NULL))
FN(min_dim, nb_min_dim(x[0], p->i[0], p->s[0] != 0, NULL))
FN(norm, nb_norm(x[0], p->s[0]))
FN(norm_dim, nb_norm_dim(x[0], p->s[0], p->ni, p->i, p->s[1] != 0))
FN(softmax, nb_softmax(x[0], p->i[0]))
FN(log_softmax, nb_log_softmax(x[0], p->i[0]))
FN(cumsum, nb_cumsum(x[0], p->i[0]))
FN(sort, nb_sort(x[0], p->i[0], (nb_sort_opts){ .descending = p->i[1] }, NULL))
FN(topk, nb_topk(x[0], p->i[0], p->i[1], (nb_topk_opts){ .smallest = p->i[2], .unsorted = p->i[3] }, NULL))

K(sum) {
    prm p = { 0 }, q = { .i = { 0, 2 }, .ni = 2 }, r = { .i = { -1 }, .ni = 1, .s = { 1 } };
    return GC("all", f_sum, &p, o, R(-2, 2, 2, 3)) & GC("dims {0,2}", f_sum_dim, &q, o, R(-2, 2, 2, 3, 2)) &
           GC("dim -1 keepdim", f_sum_dim, &r, o, R(-2, 2, 2, 3));
}
K(sum_to_size) {
    prm p = { .i = { 1, 4 }, .ni = 2 }, q = { .i = { 3, 1 }, .ni = 2 };
    return GC("(3,4)->(1,4)", f_sum_to_size, &p, o, R(-2, 2, 3, 4)) &
           GC("(2,3,4)->(3,1)", f_sum_to_size, &q, o, R(-2, 2, 2, 3, 4));
}
K(prod) {
    prm p = { 0 }, q = { .i = { 1 } }, r = { .i = { 0 }, .s = { 1 } };
    bool ok = GC("all", f_prod, &p, o, AWAY(-1.5, 1.5, 0, 0.5, 2, 3)) &
              GC("dim 1", f_prod_dim, &q, o, AWAY(-1.5, 1.5, 0, 0.5, 3, 4)) &
              GC("dim 0 keepdim", f_prod_dim, &r, o, AWAY(-1.5, 1.5, 0, 0.5, 3, 2));
    /* exact zeros (prod is a polynomial, so finite differences are fine there): rows with 0..3 zeros */
    nb_tensor *x = AWAY(-1.5, 1.5, 0, 0.5, 4, 4);
    const int64_t zs[][2] = { { 1, 2 }, { 2, 0 }, { 2, 3 }, { 3, 0 }, { 3, 1 }, { 3, 3 } };
    for (int k = 0; k < 6; k++) nb_set(x, zs[k], 0.0);
    nb_tensor *y = AWAY(-1.5, 1.5, 0, 0.5, 2, 3);
    nb_set(y, (int64_t[]){ 0, 1 }, 0.0);
    nb_tensor *y2 = AWAY(-1.5, 1.5, 0, 0.5, 2, 3);
    nb_set(y2, (int64_t[]){ 0, 1 }, 0.0);
    nb_set(y2, (int64_t[]){ 1, 2 }, 0.0);
    return ok & GC("dim 1, rows with 0..3 zeros", f_prod_dim, &q, o, x) &
           GC("all, one zero", f_prod, &p, o, y) & GC("all, two zeros", f_prod, &p, o, y2);
}
static bool am(int o, nb_fn f, nb_fn fall) {
    prm p = { .i = { 1 }, .ni = 1 }, q = { .i = { 0, 2 }, .ni = 2, .s = { 1 } }, r = { 0 };
    return GC("dim 1", f, &p, o, DISTINCT(0, 3, 4)) &
           GC("dims {0,2} keepdim", f, &q, o, DISTINCT(0, 2, 3, 2)) & GC("all", f, &r, o, DISTINCT(0, 3, 2)) &
           GC("max/min of all", fall, &r, o, DISTINCT(-1, 5));
}
K(amax) { return am(o, f_amax, f_max); }
K(amin) { return am(o, f_amin, f_min); }
static bool md(int o, nb_fn f) {
    prm p = { .i = { 1 } }, q = { .i = { 0 }, .s = { 1 } }, r = { .i = { -1 } };
    return GC("dim 1", f, &p, o, DISTINCT(0, 3, 4)) & GC("dim 0 keepdim", f, &q, o, DISTINCT(0, 3, 4)) &
           GC("dim -1 of (2,3,2)", f, &r, o, DISTINCT(0, 2, 3, 2));
}
K(max_dim) { return md(o, f_max_dim); }
K(min_dim) { return md(o, f_min_dim); }
K(norm) {
    bool ok = true;
    const double ps[] = { 1, 2, 3, INFINITY, 1.5 };
    for (int i = 0; i < 5; i++) {
        prm p = { .s = { ps[i] } }, q = { .s = { ps[i], 0 }, .i = { 1 }, .ni = 1 },
            r = { .s = { ps[i], 1 }, .i = { 0 }, .ni = 1 };
        char lab[48];
        snprintf(lab, sizeof lab, "p=%g all", ps[i]);
        ok &= GC(lab, f_norm, &p, o, DISTINCT(-1.6, 3, 4)); /* distinct |x|, none near 0 */
        snprintf(lab, sizeof lab, "p=%g dim 1", ps[i]);
        ok &= GC(lab, f_norm_dim, &q, o, DISTINCT(-1.6, 3, 4));
        snprintf(lab, sizeof lab, "p=%g dim 0 keepdim", ps[i]);
        ok &= GC(lab, f_norm_dim, &r, o, DISTINCT(-1.6, 3, 4));
    }
    return ok;
}
static bool sm(int o, nb_fn f) {
    bool ok = true;
    for (int d = -1; d < 3; d++) {
        prm p = { .i = { d } };
        char lab[16];
        snprintf(lab, sizeof lab, "dim %d", d);
        ok &= GC(lab, f, &p, o, R(-3, 3, 2, 3, 2));
    }
    return ok;
}
K(softmax) { return sm(o, f_softmax); }
K(log_softmax) { return sm(o, f_log_softmax); }
K(cumsum) {
    prm p = { .i = { 1 } }, q = { .i = { 0 } }, r = { .i = { -1 } };
    return GC("dim 1 of (3,4)", f_cumsum, &p, o, R(-2, 2, 3, 4)) &
           GC("dim 0 of (5)", f_cumsum, &q, o, R(-2, 2, 5)) &
           GC("dim -1 of (2,3,1)", f_cumsum, &r, o, R(-2, 2, 2, 3, 1));
}
K(sort) {
    prm p = { .i = { 1, 0 } }, q = { .i = { 0, 1 } };
    return GC("dim 1 of (3,4)", f_sort, &p, o, DISTINCT(0, 3, 4)) &
           GC("dim 0 descending", f_sort, &q, o, DISTINCT(0, 5, 2));
}
K(topk) {
    prm p = { .i = { 2, 1, 0, 0 } }, q = { .i = { 3, 0, 1, 1 } };
    return GC("top 2 dim 1 of (3,5)", f_topk, &p, o, DISTINCT(0, 3, 5)) &
           GC("smallest 3 unsorted dim 0 of (6,2)", f_topk, &q, o, DISTINCT(0, 6, 2));
}
