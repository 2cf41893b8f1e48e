/* test_gradcheck_ops_composite.c — the composite public ops (built from recorded ops; always checked
 * to second order): mean, var, std, logsumexp, 1-D matmul, dot, outer, linear shapes, stack, select,
 * narrow, max / min of all, non-contiguous leaves, and the nb_helpers.h composites. */
#include "gradcheck_ops.h"

FN(mul, nb_mul(x[0], x[1]))
FN(softplus, nb_softplus(x[0], p->s[0], p->s[1]))
FN(max, nb_max(x[0]))
FN(min, nb_min(x[0]))
FN(matmul, nb_matmul(x[0], x[1]))
FN(dot, nb_dot(x[0], x[1]))
FN(outer, nb_outer(x[0], x[1]))
FN(linear, nb_linear(x[0], x[1], n > 2 ? x[2] : NULL))
FN(narrow, nb_narrow(x[0], p->i[0], p->i[1], p->i[2]))
FN(select, nb_select(x[0], p->i[0], p->i[1]))
FN(stack, nb_stack(n, x, p->i[0]))
FN(softmax, nb_softmax(x[0], p->i[0]))
FN(mean, nb_mean(x[0]))
FN(mean_dim, nb_mean_dim(x[0], p->ni, p->i, p->s[0] != 0))
FN(var, nb_var(x[0]))
FN(var_dim, nb_var_dim(x[0], p->ni, p->i, (int)p->s[1], p->s[0] != 0))
FN(std, nb_std(x[0]))
FN(std_dim, nb_std_dim(x[0], p->ni, p->i, (int)p->s[1], p->s[0] != 0))
FN(logsumexp, nb_logsumexp(x[0], p->ni, p->i, p->s[0] != 0))
FN(roll, nb_roll(x[0], p->ni, (const int64_t[]){ p->i[4], p->i[5] }, p->i))
FN(repeat, nb_repeat(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2] }))
FN(reciprocal, nb_reciprocal(x[0]))
/* the pieces of split / chunk / unbind put back in reverse order, each scaled by its position + 1 */
static nb_tensor *rejoin(nb_tensor **pc, int n, int dim, bool stack) {
    nb_tensor *r[16];
    for (int i = 0; i < n; i++) r[i] = nb_mul_scalar(pc[n - 1 - i], n - i);
    return n < 1 ? NULL : stack ? nb_stack(n, r, dim) : nb_cat(n, r, dim);
}
static nb_tensor *f_split(nb_tensor *const *x, int n, void *ctx) {
    const prm *p = ctx;
    nb_tensor *pc[16];
    (void)n;
    int k = p->i[2] == 0   ? nb_split(x[0], p->i[0], p->i[1], pc, 16)
            : p->i[2] == 1 ? nb_chunk(x[0], p->i[0], p->i[1], pc)
            : p->i[2] == 2 ? nb_unbind(x[0], p->i[1], pc, 16)
                           : nb_split_with_sizes(x[0], 3, (const int64_t[]){ 1, 3, 1 }, p->i[1], pc);
    return rejoin(pc, k, p->i[1], p->i[2] == 2);
}

/* ---- composite public ops (built from recorded ops; always checked to second order) ---- */
bool gc_composites(void) {
    bool ok = true;
    gc_cur_op = "composite";
    prm a = { 0 }, d1 = { .i = { 1 }, .ni = 1 }, d02k = { .i = { 0, 2 }, .ni = 2, .s = { 1 } };
    ok &= GC("mean", f_mean, &a, 2, R(-2, 2, 2, 3));
    ok &= GC("mean dim 1", f_mean_dim, &d1, 2, R(-2, 2, 2, 3));
    ok &= GC("mean dims {0,2} keepdim", f_mean_dim, &d02k, 2, R(-2, 2, 2, 3, 2));
    ok &= GC("var", f_var, &a, 2, R(-2, 2, 2, 3));
    ok &= GC("std", f_std, &a, 2, R(-2, 2, 2, 3));
    for (int c = 0; c < 2; c++) {
        prm v = { .i = { 1 }, .ni = 1, .s = { 0, c } }, vk = { .i = { 0, 2 }, .ni = 2, .s = { 1, c } };
        ok &= GC(c ? "var dim 1 correction 1" : "var dim 1 correction 0", f_var_dim, &v, 2, R(-2, 2, 2, 3));
        ok &= GC(c ? "var dims {0,2} keepdim corr 1" : "var dims {0,2} keepdim corr 0", f_var_dim, &vk, 2,
                 R(-2, 2, 2, 3, 2));
        ok &= GC(c ? "std dim 1 correction 1" : "std dim 1 correction 0", f_std_dim, &v, 2, R(-2, 2, 2, 3));
        ok &= GC(c ? "std dims {0,2} keepdim corr 1" : "std dims {0,2} keepdim corr 0", f_std_dim, &vk, 2,
                 R(-2, 2, 2, 3, 2));
    }
    ok &= GC("logsumexp all", f_logsumexp, &a, 2, R(-2, 2, 2, 3));
    ok &= GC("logsumexp dim 1", f_logsumexp, &d1, 2, R(-2, 2, 2, 3));
    ok &= GC("logsumexp dims {0,2} keepdim", f_logsumexp, &d02k, 2, R(-2, 2, 2, 3, 2));
    ok &= GC("matmul 1-D . 1-D", f_matmul, &a, 2, R(-1, 1, 4), R(-1, 1, 4));
    ok &= GC("matmul 1-D . 2-D", f_matmul, &a, 2, R(-1, 1, 3), R(-1, 1, 3, 2));
    ok &= GC("matmul 2-D . 1-D", f_matmul, &a, 2, R(-1, 1, 2, 3), R(-1, 1, 3));
    ok &= GC("matmul 3-D . 1-D", f_matmul, &a, 2, R(-1, 1, 2, 2, 3), R(-1, 1, 3));
    ok &= GC("matmul 1-D . 3-D", f_matmul, &a, 2, R(-1, 1, 3), R(-1, 1, 2, 3, 2));
    ok &= GC("dot", f_dot, &a, 2, R(-1, 1, 4), R(-1, 1, 4));
    ok &= GC("outer", f_outer, &a, 2, R(-1, 1, 3), R(-1, 1, 2));
    ok &= GC("linear (2,3) w (4,3) b (4)", f_linear, &a, 2, R(-1, 1, 2, 3), R(-1, 1, 4, 3), R(-1, 1, 4));
    ok &= GC("linear (3) w (2,3) no bias", f_linear, &a, 2, R(-1, 1, 3), R(-1, 1, 2, 3));
    ok &= GC("linear (2,2,3) w (2,3) b (2)", f_linear, &a, 2, R(-1, 1, 2, 2, 3), R(-1, 1, 2, 3), R(-1, 1, 2));
    prm s0 = { .i = { 0 } }, s1 = { .i = { 1 } };
    ok &= GC("stack dim 1 of 3", f_stack, &s1, 2, R(-2, 2, 2, 2), R(-2, 2, 2, 2), R(-2, 2, 2, 2));
    ok &= GC("stack 0-d", f_stack, &s0, 2, R(-2, 2), R(-2, 2));
    prm se = { .i = { 0, 1 } }, sn = { .i = { -1, 2, 1 } };
    ok &= GC("select dim 0", f_select, &se, 2, R(-2, 2, 3, 2));
    ok &= GC("narrow dim -1", f_narrow, &sn, 2, R(-2, 2, 2, 4));
    ok &= GC("max of all", f_max, &a, 2, DISTINCT(0, 2, 3));
    ok &= GC("min of all", f_min, &a, 2, DISTINCT(0, 2, 3));
    /* non-contiguous leaves (views of a buffer that does not require grad) */
    nb_tensor *bt = R(-1, 1, 4, 3), *bs = R(-2, 2, 3, 8);
    nb_requires_grad_(bt, false);
    nb_requires_grad_(bs, false);
    nb_tensor *vt = nb_requires_grad_(nb_t(bt), true),
              *vs = nb_requires_grad_(nb_slice(bs, 1, 0, 8, 2), true);
    prm d0 = { .i = { 0 }, .ni = 1 };
    ok &= GC("matmul of a transposed leaf", f_matmul, &a, 2, vt, R(-1, 1, 4, 2));
    ok &= GC("softmax dim 0 of a strided leaf", f_softmax, &d0, 2, vs);
    ok &= GC("mul of transposed and strided leaves", f_mul, &a, 2, vt, vs);
    ok &= GC("var dim 0 of a strided leaf", f_var_dim, &d0, 2, vs);
    prm sp = { .s = { 1, 20 } };
    ok &= GC("softplus beta 1 (large x linear)", f_softplus, &sp, 2, R(21, 25, 3));
    return ok;
}
bool gc_helper_composites(void) {
    bool ok = true;
    gc_cur_op = "composite (nb_helpers.h)";
    prm sp = { .i = { 2, 1, 0 } }, ch = { .i = { 3, 1, 1 } }, ub = { .i = { 0, 0, 2 } },
        sw = { .i = { 0, 1, 3 } };
    ok &= GC("split 2 along dim 1 of (2,5)", f_split, &sp, 2, R(-2, 2, 2, 5));
    ok &= GC("chunk 3 along dim 1 of (2,7)", f_split, &ch, 2, R(-2, 2, 2, 7));
    ok &= GC("unbind dim 0 of (3,2)", f_split, &ub, 2, R(-2, 2, 3, 2));
    ok &= GC("split_with_sizes {1,3,1} dim 1 of (2,5)", f_split, &sw, 2, R(-2, 2, 2, 5));
    prm r1 = { .i = { 1, 0, 0, 0, 2, 0 }, .ni = 1 }, r2 = { .i = { 0, 1, 0, 0, -1, 5 }, .ni = 2 },
        r0 = { .i = { 0, 0, 0, 0, 3, 0 }, .ni = 0 };
    ok &= GC("roll 2 along dim 1", f_roll, &r1, 2, R(-2, 2, 3, 4));
    ok &= GC("roll (-1, 5) along dims (0, 1)", f_roll, &r2, 2, R(-2, 2, 3, 4));
    ok &= GC("roll 3 flattened", f_roll, &r0, 2, R(-2, 2, 3, 4));
    prm rp = { .i = { 2, 1, 3 }, .ni = 3 }, rq = { .i = { 3, 2 }, .ni = 2 };
    ok &= GC("repeat (2,1,3) of (2,2)", f_repeat, &rp, 2, R(-2, 2, 2, 2));
    ok &= GC("repeat (3,2) of (2)", f_repeat, &rq, 2, R(-2, 2, 2));
    prm a = { 0 };
    ok &= GC("reciprocal", f_reciprocal, &a, 2, AWAY(-2, 2, 0, 0.5, 2, 3));
    return ok;
}
