/* test_gradcheck_ops_spatial.c — the gradchecks K(name) of the recorded pooling ops and their
 * backward ops (max / avg / adaptive pooling, max_unpool2d) (tests/gradcheck_ops.h). */
#include "gradcheck_ops.h"

static nb_max_pool2d_opts mp_opts(const prm *p) {
    return (nb_max_pool2d_opts){ .kernel_size = { p->i[0], p->i[1] },
                                 .stride = { p->i[2], p->i[3] },
                                 .padding = { p->i[4], p->i[5] },
                                 .dilation = { p->i[6], p->i[7] },
                                 .ceil_mode = p->s[0] != 0 };
}
FN(max_pool2d, nb_max_pool2d(x[0], mp_opts(p)))
static bool max_pool2d_more(int o);
/* v -> d/dc sum(max_pool2d(c) v) at a constant c with distinct values: the scatter as a function of v */
static nb_tensor *max_pool2d_of(nb_tensor *c, const prm *p) { return nb_max_pool2d(c, mp_opts(p)); }
FN(max_pool2d_grad, gc_adjoint(max_pool2d_of, p->aux, x[0], p))
K(max_pool2d) {
    prm a = { .i = { 2, 2 } }, b = { .i = { 3, 2, 2, 1, 1, 0, 1, 2 }, .s = { 1 } },
        c = { .i = { 2, 3, 1, 2, 1, 1, 2, 1 } };
    return GC("k2 (2,3,4,5)", f_max_pool2d, &a, o, DISTINCT(0, 2, 3, 4, 5)) &
           GC("k(3,2) s(2,1) p(1,0) d(1,2) ceil (1,2,5,6)", f_max_pool2d, &b, o, DISTINCT(0, 1, 2, 5, 6)) &
           GC("overlapping k(2,3) s(1,2) p1 d(2,1) (3,5,6)", f_max_pool2d, &c, o, DISTINCT(0, 3, 5, 6)) &
           max_pool2d_more(o);
}
K(max_pool2d_backward) {
    prm p = { .i = { 2, 2, 1, 1 } };
    p.aux = DISTINCT(0, 2, 2, 4, 4);
    nb_requires_grad_(p.aux, true);
    return GC("v -> d sum(max_pool2d(c) v) / dc, overlapping windows", f_max_pool2d_grad, &p, o,
              R(-2, 2, 2, 2, 3, 3));
}
FN(max_pool1d,
   nb_max_pool1d(x[0],
                 (nb_max_pool1d_opts){
                     .kernel_size = p->i[0], .stride = p->i[1], .padding = p->i[2], .dilation = p->i[3] }))
FN(adaptive_max_pool2d, nb_adaptive_max_pool2d(x[0], p->i[0], p->i[1]))
static bool max_pool2d_more(int o) {
    prm a = { .i = { 3, 2, 1, 2 } }, b = { .i = { 3, 2 } }, c = { .i = { 4, 5 } };
    return GC("max_pool1d k3 s2 p1 d2 (2,3,9)", f_max_pool1d, &a, o, DISTINCT(0, 2, 3, 9)) &
           GC("adaptive_max_pool2d (3,2) of (2,2,7,5)", f_adaptive_max_pool2d, &b, o,
              DISTINCT(0, 2, 2, 7, 5)) &
           GC("adaptive_max_pool2d (4,5) of (1,3,3) (overlapping)", f_adaptive_max_pool2d, &c, o,
              DISTINCT(0, 1, 3, 3));
}
static nb_avg_pool2d_opts ap_opts(const prm *p) {
    return (nb_avg_pool2d_opts){ .kernel_size = { p->i[0], p->i[1] },
                                 .stride = { p->i[2], p->i[3] },
                                 .padding = { p->i[4], p->i[5] },
                                 .ceil_mode = p->i[6] != 0,
                                 .no_count_include_pad = p->i[7] != 0,
                                 .divisor_override = (int64_t)p->s[0] };
}
FN(avg_pool2d, nb_avg_pool2d(x[0], ap_opts(p)))
FN(avg_pool1d, nb_avg_pool1d(x[0], (nb_avg_pool1d_opts){ .kernel_size = p->i[0],
                                                         .stride = p->i[1],
                                                         .padding = p->i[2],
                                                         .ceil_mode = p->i[3] != 0 }))
FN(adaptive_avg_pool2d, nb_adaptive_avg_pool2d(x[0], p->i[0], p->i[1]))
/* v -> d/dc sum(avg_pool2d(c) v): the backward op as a function of v (c constant) */
static nb_tensor *avg_pool2d_of(nb_tensor *c, const prm *p) { return nb_avg_pool2d(c, ap_opts(p)); }
static nb_tensor *adaptive_avg_pool2d_of(nb_tensor *c, const prm *p) {
    return nb_adaptive_avg_pool2d(c, p->i[0], p->i[1]);
}
FN(avg_pool2d_grad, gc_adjoint(avg_pool2d_of, p->aux, x[0], p))
FN(adaptive_avg_pool2d_grad, gc_adjoint(adaptive_avg_pool2d_of, p->aux, x[0], p))
K(avg_pool2d) {
    prm a = { .i = { 2, 2 } }, b = { .i = { 3, 2, 2, 1, 1, 1, 1, 0 } },
        c = { .i = { 3, 3, 2, 2, 1, 1, 1, 1 } };
    prm d = { .i = { 2, 3, 1, 1, 0, 1, 0, 0 }, .s = { 5 } }, e = { .i = { 3, 2, 1 } }, f = { .i = { 3, 4 } };
    return GC("k2 (2,3,4,4)", f_avg_pool2d, &a, o, R(-2, 2, 2, 3, 4, 4)) &
           GC("k(3,2) s(2,1) p1 ceil (1,2,5,6)", f_avg_pool2d, &b, o, R(-2, 2, 1, 2, 5, 6)) &
           GC("k3 s2 p1 ceil no count_include_pad (2,5,6)", f_avg_pool2d, &c, o, R(-2, 2, 2, 5, 6)) &
           GC("k(2,3) p(0,1) divisor 5 (1,2,4,5)", f_avg_pool2d, &d, o, R(-2, 2, 1, 2, 4, 5)) &
           GC("avg_pool1d k3 s2 p1 (2,3,8)", f_avg_pool1d, &e, o, R(-2, 2, 2, 3, 8)) &
           GC("adaptive (3,4) of (2,2,7,5)", f_adaptive_avg_pool2d, &f, o, R(-2, 2, 2, 2, 7, 5));
}
K(avg_pool2d_backward) {
    prm p = { .i = { 3, 3, 2, 2, 1, 1, 1, 1 }, .aux = R(-2, 2, 2, 2, 5, 6) };
    prm q = { .i = { 3, 4 }, .aux = R(-2, 2, 2, 7, 5) };
    return GC("v -> d sum(avg_pool2d(c) v) / dc", f_avg_pool2d_grad, &p, o, R(-2, 2, 2, 2, 3, 4)) &
           GC("v -> d sum(adaptive_avg_pool2d(c) v) / dc", f_adaptive_avg_pool2d_grad, &q, o,
              R(-2, 2, 2, 3, 4));
}
static nb_tensor *unpool(nb_tensor *x, const prm *p) {
    return nb_max_unpool2d(
        x, p->aux,
        (nb_max_unpool2d_opts){ .kernel_size = { p->i[0], p->i[1] }, .output_size = { p->i[2], p->i[3] } });
}
FN(max_unpool2d, unpool(x[0], p))
K(max_unpool2d) {
    /* the indices of a 2x2 max pool of a (1,2,5,5) input, unpooled to 5x5 */
    nb_tensor *c = DISTINCT(0, 1, 2, 5, 5), *idx = NULL;
    NB_NO_GRAD { nb_max_pool2d_with_indices(c, (nb_max_pool2d_opts){ .kernel_size = { 2 } }, &idx); }
    prm p = { .i = { 2, 2, 5, 5 }, .aux = idx };
    return GC("k2 (1,2,2,2) -> (1,2,5,5)", f_max_unpool2d, &p, o, R(-2, 2, 1, 2, 2, 2));
}
