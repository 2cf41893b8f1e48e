/* test_gradcheck_ops_shape.c — the gradchecks K(name) of the view, shape and indexing ops: reshape,
 * expand, permute, slice / select and their adjoints, cat, index_select / index_add, gather, scatter_add,
 * masked_fill, flip, tril / triu (tests/gradcheck_ops.h). */
#include "gradcheck_ops.h"

FN(reshape, nb_reshape(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2], p->i[3] }))
FN(view, nb_view(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2], p->i[3] }))
FN(expand, nb_expand(x[0], p->ni, (const int64_t[]){ p->i[0], p->i[1], p->i[2], p->i[3] }))
FN(permute, nb_permute(x[0], p->ni, p->i))
FN(transpose, nb_transpose(x[0], p->i[0], p->i[1]))
FN(t, nb_t(x[0]))
FN(slice, nb_slice(x[0], p->i[0], p->i[1], p->i[2], p->i[3]))
FN(narrow, nb_narrow(x[0], p->i[0], p->i[1], p->i[2]))
FN(select, nb_select(x[0], p->i[0], p->i[1]))
FN(flatten, nb_flatten(x[0], p->i[0], p->i[1]))
FN(squeeze, nb_squeeze(x[0], p->i[0]))
FN(squeeze_all, nb_squeeze_all(x[0]))
FN(unsqueeze, nb_unsqueeze(x[0], p->i[0]))
FN(contiguous_t, nb_mul(nb_contiguous(nb_t(x[0])), nb_t(x[0])))
FN(cat, nb_cat(n, x, p->i[0]))
FN(stack, nb_stack(n, x, p->i[0]))
FN(index_select, nb_index_select(x[0], p->i[0], p->aux))
FN(gather, nb_gather(x[0], p->i[0], p->aux))
FN(scatter_add, nb_scatter_add(x[0], p->i[0], p->aux, x[1]))
FN(masked_fill, nb_masked_fill(x[0], p->aux, p->s[0]))
FN(flip, nb_flip(x[0], p->ni, p->i))
FN(tril, nb_tril(x[0], p->i[0]))
FN(triu, nb_triu(x[0], p->i[0]))
/* the adjoint ops (slice_backward, index_add) as functions of v: d/dc sum(op(c) v) at c = zeros of
 * shape (i[4], i[5]) */
static nb_tensor *slice_of(nb_tensor *c, const prm *p) {
    return nb_slice(c, p->i[0], p->i[1], p->i[2], p->i[3]);
}
static nb_tensor *index_select_of(nb_tensor *c, const prm *p) { return nb_index_select(c, p->i[0], p->aux); }
static nb_tensor *zeros_c(const prm *p) {
    return nb_requires_grad_(nb_zeros(NB_F64, 2, (const int64_t[]){ p->i[4], p->i[5] }), true);
}
FN(slice_grad, gc_adjoint(slice_of, zeros_c(p), x[0], p))
FN(index_select_grad, gc_adjoint(index_select_of, zeros_c(p), x[0], p))

K(reshape) {
    prm p = { .i = { 4, -1 }, .ni = 2 }, q = { .i = { 6, 2 }, .ni = 2 }, r = { .i = { 0, 2 } },
        s = { .i = { 1 } };
    return GC("(2,3,4)->(4,-1)", f_reshape, &p, o, R(-2, 2, 2, 3, 4)) &
           GC("view", f_view, &q, o, R(-2, 2, 3, 4)) & GC("flatten", f_flatten, &r, o, R(-2, 2, 2, 3, 2)) &
           GC("squeeze", f_squeeze, &s, o, R(-2, 2, 2, 1, 3)) &
           GC("squeeze_all", f_squeeze_all, &s, o, R(-2, 2, 1, 3, 1)) &
           GC("unsqueeze", f_unsqueeze, &s, o, R(-2, 2, 2, 3));
}
K(expand) {
    prm p = { .i = { 2, 3, 4 }, .ni = 3 }, q = { .i = { 2, -1, 3 }, .ni = 3 };
    return GC("(3,1)->(2,3,4)", f_expand, &p, o, R(-2, 2, 3, 1)) &
           GC("(4,1)->(2,-1,3)", f_expand, &q, o, R(-2, 2, 4, 1));
}
K(permute) {
    prm p = { .i = { 2, 0, 1 }, .ni = 3 }, q = { .i = { 0, 2 } };
    return GC("{2,0,1}", f_permute, &p, o, R(-2, 2, 2, 3, 2)) &
           GC("transpose", f_transpose, &q, o, R(-2, 2, 2, 3, 2)) & GC("t", f_t, &p, o, R(-2, 2, 3, 2)) &
           GC("contiguous(t)", f_contiguous_t, &p, o, R(-2, 2, 3, 2));
}
K(slice) {
    prm p = { .i = { 1, 1, 6, 2 } }, q = { .i = { 0, 1, 2 } }, r = { .i = { 1, -1 } };
    return GC("[:, 1:6:2]", f_slice, &p, o, R(-2, 2, 3, 7)) & GC("narrow", f_narrow, &q, o, R(-2, 2, 4, 3)) &
           GC("select", f_select, &r, o, R(-2, 2, 2, 3, 2));
}
K(select) {
    prm p = { .i = { 1, -1 } }, q = { .i = { 0, 1 } }, r = { .i = { -1, 0 } };
    return GC("dim 1 index -1", f_select, &p, o, R(-2, 2, 2, 3, 2)) &
           GC("dim 0 of 1-D", f_select, &q, o, R(-2, 2, 3)) &
           GC("dim -1 index 0", f_select, &r, o, R(-2, 2, 2, 3));
}
K(slice_backward) {
    prm p = { .i = { 1, 1, 6, 2, 3, 7 } };
    return GC("v -> d sum(slice(c) v) / dc", f_slice_grad, &p, o, R(-2, 2, 3, 3));
}
K(cat) {
    prm p = { .i = { 1 } }, q = { .i = { 0 } };
    return GC("3 tensors dim 1", f_cat, &p, o, R(-2, 2, 2, 1), R(-2, 2, 2, 3), R(-2, 2, 2, 2)) &
           GC("stack dim 0", f_stack, &q, o, R(-2, 2, 2, 3), R(-2, 2, 2, 3)) &
           GC("stack dim -1", f_stack, &(prm){ .i = { -1 } }, o, R(-2, 2, 3), R(-2, 2, 3));
}
K(index_select) {
    prm p = { .i = { 0 }, .aux = gc_idx(NB_SHAPE(3), (int64_t[]){ 3, 0, 3 }) };
    return GC("dim 0 [3,0,3]", f_index_select, &p, o, R(-2, 2, 4, 3));
}
K(index_add) {
    prm p = { .i = { 1, 0, 0, 0, 2, 3 }, .aux = gc_idx(NB_SHAPE(4), (int64_t[]){ 1, 0, 1, 2 }) };
    return GC("v -> d sum(index_select(c) v) / dc", f_index_select_grad, &p, o, R(-2, 2, 2, 4));
}
K(gather) {
    prm p = { .i = { 1 },
              .aux = gc_idx(NB_SHAPE(3, 5), (int64_t[]){ 0, 3, 3, 1, 2, 2, 2, 0, 1, 3, 1, 1, 1, 1, 0 }) };
    return GC("dim 1 (3,4) by (3,5)", f_gather, &p, o, R(-2, 2, 3, 4));
}
K(scatter_add) {
    prm p = { .i = { 0 }, .aux = gc_idx(NB_SHAPE(2, 4), (int64_t[]){ 0, 2, 2, 1, 2, 2, 0, 1 }) };
    return GC("dim 0, src (2,4)", f_scatter_add, &p, o, R(-2, 2, 3, 4), R(-2, 2, 2, 4)) &
           GC("dim 0, src (3,4) larger than index", f_scatter_add, &p, o, R(-2, 2, 3, 4), R(-2, 2, 3, 4));
}
K(masked_fill) {
    prm p = { .s = { 2 }, .aux = nb_tensor_from(NB_F64, (double[]){ 1, 0, 0, 1 }, NB_SHAPE(1, 4), false) };
    prm q = { .s = { -1 }, .aux = nb_gt_scalar(nb_rand(NB_F64, NB_SHAPE(3, 4)), 0.5) };
    return GC("mask (1,4)", f_masked_fill, &p, o, R(-2, 2, 3, 4)) &
           GC("x (4) broadcast up to mask (3,4)", f_masked_fill, &q, o, R(-2, 2, 4));
}
K(flip) {
    prm p = { .i = { 0, 2 }, .ni = 2 }, q = { .i = { -1 }, .ni = 1 };
    return GC("dims {0,2} of (2,3,2)", f_flip, &p, o, R(-2, 2, 2, 3, 2)) &
           GC("dim -1 of (4)", f_flip, &q, o, R(-2, 2, 4));
}
K(tril) {
    prm p = { .i = { 0 } }, q = { .i = { -1 } };
    return GC("tril (4,3)", f_tril, &p, o, R(-2, 2, 4, 3)) &
           GC("tril -1 of (2,3,3)", f_tril, &q, o, R(-2, 2, 2, 3, 3));
}
K(triu) {
    prm p = { .i = { 1 } }, q = { .i = { 0 } };
    return GC("triu 1 of (3,4)", f_triu, &p, o, R(-2, 2, 3, 4)) &
           GC("triu (2,3,3)", f_triu, &q, o, R(-2, 2, 2, 3, 3));
}
