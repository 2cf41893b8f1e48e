/* test_gradcheck_ops_nn.c — the gradchecks K(name) of the layer ops: matmul and the fused linear,
 * convolutions (and unfold / fold), batch / group norm, the recurrent layers and cells, and scaled
 * dot-product attention (tests/gradcheck_ops.h). */
#include "gradcheck_ops.h"

FN(matmul, nb_matmul(x[0], x[1]))
FN(mm, nb_mm(x[0], x[1]))
FN(bmm, nb_bmm(x[0], x[1]))
FN(linear, nb_linear(x[0], x[1], n > 2 ? x[2] : NULL))

/* recurrent layers: i[0] mode, i[1] reverse, i[2] has h0, i[3] has c0, i[4] has biases, i[5] has w_hr;
 * inputs x, [h0], [c0], w_ih, w_hh, [b_ih, b_hh], [w_hr]; output = out, h_n (and c_n) flattened */
static nb_tensor *rnn_args(nb_tensor *const *x, const prm *p, nb_tensor **h0, nb_tensor **c0,
                           nb_rnn_weights *w) {
    int k = 1;
    *h0 = p->i[2] ? x[k++] : NULL;
    *c0 = p->i[3] ? x[k++] : NULL;
    *w = (nb_rnn_weights){ x[k], x[k + 1], p->i[4] ? x[k + 2] : NULL, p->i[4] ? x[k + 3] : NULL, NULL };
    k += p->i[4] ? 4 : 2;
    if (p->i[5]) w->w_hr = x[k];
    return x[0];
}
static nb_tensor *flat(nb_tensor *t) { return nb_reshape(t, 1, (const int64_t[]){ -1 }); }
static nb_tensor *f_rnn_layer(nb_tensor *const *x, int n, void *ctx) {
    const prm *p = ctx;
    (void)n;
    nb_tensor *h0, *c0, *o = NULL, *h = NULL, *c = NULL;
    nb_rnn_weights w;
    nb_tensor *in = rnn_args(x, p, &h0, &c0, &w);
    bool lstm = p->i[0] == NB_RNN_LSTM;
    if (nb_rnn_layer((nb_rnn_mode)p->i[0], in, h0, c0, w, p->i[1] != 0, &o, &h, lstm ? &c : NULL) != NB_OK)
        return NULL;
    return lstm ? nb_cat(NB_LIST(flat(o), flat(h), flat(c)), 0) : nb_cat(NB_LIST(flat(o), flat(h)), 0);
}
static nb_tensor *f_rnn_cell(nb_tensor *const *x, int n, void *ctx) {
    const prm *p = ctx;
    (void)n;
    nb_tensor *h0, *c0, *c = NULL;
    nb_rnn_weights w;
    nb_tensor *in = rnn_args(x, p, &h0, &c0, &w);
    switch (p->i[0]) {
    case NB_RNN_TANH: return nb_rnn_tanh_cell(in, h0, w.w_ih, w.w_hh, w.b_ih, w.b_hh);
    case NB_RNN_RELU: return nb_rnn_relu_cell(in, h0, w.w_ih, w.w_hh, w.b_ih, w.b_hh);
    case NB_RNN_GRU: return nb_gru_cell(in, h0, w.w_ih, w.w_hh, w.b_ih, w.b_hh);
    default: {
        nb_tensor *h = nb_lstm_cell(in, h0, c0, w.w_ih, w.w_hh, w.b_ih, w.b_hh, &c);
        return nb_cat(NB_LIST(flat(h), flat(c)), 0);
    }
    }
}

K(matmul) {
    prm p = { 0 };
    return GC("(3,4)@(4,2)", f_matmul, &p, o, R(-1, 1, 3, 4), R(-1, 1, 4, 2)) &
           GC("(2,1,2,3)@(3,3,2)", f_matmul, &p, o, R(-1, 1, 2, 1, 2, 3), R(-1, 1, 3, 3, 2)) &
           GC("mm", f_mm, &p, o, R(-1, 1, 2, 3), R(-1, 1, 3, 2)) &
           GC("bmm", f_bmm, &p, o, R(-1, 1, 2, 2, 3), R(-1, 1, 2, 3, 2));
}
K(linear) { /* the fused node: 2-D input with a 1-D bias (other shapes are composites, checked below) */
    prm p = { 0 };
    return GC("fused (3,4) w (2,4) b (2)", f_linear, &p, o, R(-1, 1, 3, 4), R(-1, 1, 2, 4), R(-1, 1, 2));
}
/* -- convolutions: p->i = stride h, w, padding h, w, dilation h, w, groups, output_padding
 * (s[0], s[2]) and pad_mode (s[1]); conv2d_weight is reached as d/dw sum(conv2d(x, w) gy) at a constant w */
static nb_conv_opts cvo(const prm *p) {
    return (nb_conv_opts){ .stride = { p->i[0], p->i[1] },
                           .padding = { p->i[2], p->i[3] },
                           .dilation = { p->i[4], p->i[5] },
                           .groups = p->i[6],
                           .output_padding = { p->s[0], p->s[2] },
                           .pad_mode = (nb_conv_pad)p->s[1] };
}
FN(conv2d, nb_conv2d(x[0], x[1], n > 2 ? x[2] : NULL, cvo(p)))
FN(conv1d, nb_conv1d(x[0], x[1], n > 2 ? x[2] : NULL, cvo(p)))
FN(conv_t2d, nb_conv_transpose2d(x[0], x[1], n > 2 ? x[2] : NULL, cvo(p)))
FN(conv_t1d, nb_conv_transpose1d(x[0], x[1], n > 2 ? x[2] : NULL, cvo(p)))
FN(unfold, nb_unfold(x[0], 2, 3, cvo(p)))
FN(fold, nb_fold(x[0], 4, 5, 2, 3, cvo(p)))
static nb_tensor *conv_wgrad(nb_tensor *const *x, int n, void *ctx) {
    (void)n;
    const prm *p = ctx;
    bool prev = nb_set_grad_enabled(true);
    nb_tensor *w = nb_zeros(NB_F64, 4,
                            (const int64_t[]){ p->i[7], x[0]->shape[1] / (p->i[6] ? p->i[6] : 1), 2, 3 });
    nb_requires_grad_(w, true);
    nb_tensor *g = nb_grad1(nb_sum(nb_mul(nb_conv2d(x[0], w, NULL, cvo(p)), x[1])), w, true);
    nb_set_grad_enabled(prev);
    return g;
}
K(conv2d) {
    prm a = { .i = { 2, 1, 1, 0, 1, 2, 2 } },
        b = { .i = { 1, 1, 0, 0, 1, 1, 3 }, .s = { 0, NB_CONV_PAD_SAME } };
    prm c = { .i = { 2, 0, 1, 0, 2, 0, 1 } };
    return GC("(2,4,5,4) w (6,2,3,2) stride (2,1) pad (1,0) dil (1,2) groups 2", f_conv2d, &a, o,
              R(-1, 1, 2, 4, 5, 4), R(-1, 1, 6, 2, 3, 2), R(-1, 1, 6)) &
           GC("depthwise 'same' even kernel, unbatched", f_conv2d, &b, o, R(-1, 1, 3, 4, 3),
              R(-1, 1, 3, 1, 2, 2)) &
           GC("conv1d stride 2 pad 1 dil 2", f_conv1d, &c, o, R(-1, 1, 2, 2, 7), R(-1, 1, 3, 2, 2),
              R(-1, 1, 3));
}
K(conv_transpose2d) {
    prm a = { .i = { 2, 1, 1, 0, 1, 1, 2 }, .s = { 1 } }, b = { .i = { 3, 0, 1, 0, 2, 0, 1 }, .s = { 2 } };
    return GC("(2,4,3,3) w (4,3,2,3) stride (2,1) pad (1,0) out_pad 1 groups 2", f_conv_t2d, &a, o,
              R(-1, 1, 2, 4, 3, 3), R(-1, 1, 4, 3, 2, 3), R(-1, 1, 6)) &
           GC("conv_transpose1d stride 3 pad 1 dil 2 out_pad 2", f_conv_t1d, &b, o, R(-1, 1, 2, 2, 3),
              R(-1, 1, 2, 3, 2));
}
K(conv2d_weight) {
    prm a = { .i = { 2, 1, 1, 0, 1, 2, 2, 4 } };
    return GC("x (2,4,5,6), gy (2,4,3,2): d/dw sum(conv2d(x, w) gy)", conv_wgrad, &a, o, R(-1, 1, 2, 4, 5, 6),
              R(-1, 1, 2, 4, 3, 2));
}
K(unfold) {
    prm a = { .i = { 2, 1, 1, 0, 1, 1 } }, b = { 0 };
    return GC("(2,2,5,4) k (2,3) stride (2,1) pad (1,0)", f_unfold, &a, o, R(-1, 1, 2, 2, 5, 4)) &
           GC("unbatched (2,3,4)", f_unfold, &b, o, R(-1, 1, 2, 3, 4));
}
K(fold) {
    prm a = { 0 };
    return GC("(2,12,9) -> (2,2,4,5)", f_fold, &a, o, R(-1, 1, 2, 12, 9));
}
/* -- normalisation -- */
FN(bn_affine,
   nb_batch_norm(x[0], NULL, NULL, x[1], x[2], (nb_batch_norm_opts){ .training = true, .eps = p->s[0] }))
FN(bn_plain, nb_batch_norm(x[0], NULL, NULL, NULL, NULL, (nb_batch_norm_opts){ .training = true }))
FN(gn_affine, nb_group_norm(x[0], 2, x[1], x[2], 0))
K(batch_norm) {
    prm p = { .s = { 1e-5 } }, q = { .s = { 0.5 } };
    return GC("(N,C,L) affine", f_bn_affine, &p, o, R(-2, 2, 3, 2, 4), R(0.5, 2, 2), R(-1, 1, 2)) &
           GC("(N,C) affine eps 0.5", f_bn_affine, &q, o, R(-2, 2, 5, 3), R(0.5, 2, 3), R(-1, 1, 3)) &
           GC("(N,C,H,W) no affine", f_bn_plain, &p, o, R(-2, 2, 2, 3, 2, 2)) &
           GC("group_norm 2 groups (N,C,L)", f_gn_affine, &p, o, R(-2, 2, 2, 4, 3), R(0.5, 2, 4),
              R(-1, 1, 4));
}
/* eval: running_mean = aux, running_var = aux^2 + 0.5 (buffers: no gradient, as in torch) */
FN(bn_eval, nb_batch_norm(x[0], p->aux, nb_add_scalar(nb_square(p->aux), 0.5), x[1], x[2],
                          (nb_batch_norm_opts){ .eps = 0.1 }))
FN(gn_eval_affine, nb_group_norm(x[0], 1, x[1], x[2], 0.5))
K(channel_affine) {
    prm p = { .aux = nb_tensor_from(NB_F64, (double[]){ 0.3, -0.2, 1.1 }, NB_SHAPE(3), false) };
    return GC("eval (N,C,L)", f_bn_eval, &p, o, R(-2, 2, 2, 3, 4), R(0.5, 2, 3), R(-1, 1, 3)) &
           GC("group_norm 1 group (N,C,H,W)", f_gn_eval_affine, &p, o, R(-2, 2, 2, 3, 2, 2), R(0.5, 2, 3),
              R(-1, 1, 3));
}
/* layer norm over the last 1 or 2 dims (p->i[0]), with or without the affine */
FN(ln_affine, nb_layer_norm(x[0], p->i[0], x[0]->shape + x[0]->ndim - p->i[0], x[1], x[2], p->s[0]))
FN(ln_plain, nb_layer_norm(x[0], p->i[0], x[0]->shape + x[0]->ndim - p->i[0], NULL, NULL, p->s[0]))
FN(ln_weight, nb_layer_norm(x[0], p->i[0], x[0]->shape + x[0]->ndim - p->i[0], x[1], NULL, p->s[0]))
K(layer_norm) {
    prm one = { .i = { 1 }, .s = { 1e-5 } }, two = { .i = { 2 }, .s = { 0.5 } };
    return GC("(3,4) over 4, affine", f_ln_affine, &one, o, R(-2, 2, 3, 4), R(0.5, 2, 4), R(-1, 1, 4)) &
           GC("(2,3,5) over (3,5), affine, eps 0.5", f_ln_affine, &two, o, R(-2, 2, 2, 3, 5), R(0.5, 2, 3, 5),
              R(-1, 1, 3, 5)) &
           GC("(2,2,9) over 9 (a lane tail), no affine", f_ln_plain, &one, o, R(-2, 2, 2, 2, 9)) &
           GC("(4,3) over 3, weight only", f_ln_weight, &one, o, R(-2, 2, 4, 3), R(0.5, 2, 3));
}
/* -- end normalisation -- */
/* T = 3, B = 2, I = 3, H = 2 (LSTM with projection: H = 3, P = 2); relu values stay away from its kink */
static bool rnn_checks(int o, int mode) {
    const int64_t G = mode == NB_RNN_LSTM ? 4 : mode == NB_RNN_GRU ? 3 : 1;
    const double lo = -0.8, hi = 0.8;
    prm full = { .i = { mode, 0, 1, mode == NB_RNN_LSTM, 1, 0 } }, rev = { .i = { mode, 1, 0, 0, 0, 0 } };
    prm cellp = { .i = { mode, 0, 1, mode == NB_RNN_LSTM, 1, 0 } };
    bool ok;
    if (mode == NB_RNN_LSTM)
        ok = GC("T 3 B 2, h0 c0 biases", f_rnn_layer, &full, o, R(lo, hi, 3, 2, 3), R(lo, hi, 2, 2),
                R(lo, hi, 2, 2), R(lo, hi, 4 * 2, 3), R(lo, hi, 4 * 2, 2), R(lo, hi, 8), R(lo, hi, 8));
    else
        ok = GC("T 3 B 2, h0 biases", f_rnn_layer, &full, o, R(lo, hi, 3, 2, 3), R(lo, hi, 2, 2),
                R(lo, hi, G * 2, 3), R(lo, hi, G * 2, 2), R(lo, hi, G * 2), R(lo, hi, G * 2));
    ok &= GC("reverse, zero h0, no bias", f_rnn_layer, &rev, o, R(lo, hi, 3, 2, 3), R(lo, hi, G * 2, 3),
             R(lo, hi, G * 2, 2));
    if (mode == NB_RNN_LSTM) {
        prm pj = { .i = { mode, 1, 1, 1, 1, 1 } };
        ok &= GC("proj 2 of H 3, reverse", f_rnn_layer, &pj, o, R(lo, hi, 3, 2, 3), R(lo, hi, 2, 2),
                 R(lo, hi, 2, 3), R(lo, hi, 12, 3), R(lo, hi, 12, 2), R(lo, hi, 12), R(lo, hi, 12),
                 R(lo, hi, 2, 3));
        ok &= GC("cell", f_rnn_cell, &cellp, o, R(lo, hi, 2, 3), R(lo, hi, 2, 2), R(lo, hi, 2, 2),
                 R(lo, hi, 8, 3), R(lo, hi, 8, 2), R(lo, hi, 8), R(lo, hi, 8));
    } else {
        ok &= GC("cell", f_rnn_cell, &cellp, o, R(lo, hi, 2, 3), R(lo, hi, 2, 2), R(lo, hi, G * 2, 3),
                 R(lo, hi, G * 2, 2), R(lo, hi, G * 2), R(lo, hi, G * 2));
    }
    /* a non-contiguous (batch-first transposed) input */
    nb_tensor *bf = R(lo, hi, 2, 3, 3);
    nb_requires_grad_(bf, false);
    nb_tensor *xv = nb_requires_grad_(nb_detach(nb_transpose(bf, 0, 1)), true);
    ok &= GC("transposed input", f_rnn_layer, &rev, o, xv, R(lo, hi, G * 2, 3), R(lo, hi, G * 2, 2));
    return ok;
}
K(rnn_tanh) { return rnn_checks(o, NB_RNN_TANH); }
K(rnn_relu) { return rnn_checks(o, NB_RNN_RELU); }
K(lstm) { return rnn_checks(o, NB_RNN_LSTM); }
K(gru) { return rnn_checks(o, NB_RNN_GRU); }

/* -- attention: the fused op; the backward under create_graph is the composed math */
FN(sdpa,
   nb_scaled_dot_product_attention(
       x[0], x[1], x[2], (nb_sdpa_opts){ .attn_mask = p->aux, .is_causal = p->i[0] != 0, .scale = p->s[0] }))
K(sdpa) {
    prm a = { 0 }, c = { .i = { 1 }, .s = { 0.7 } };
    prm bm = { .aux = nb_tensor_from(NB_I64, (int64_t[]){ 1, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1 },
                                     NB_SHAPE(3, 4), false) };
    prm fm = { .aux = nb_tensor_from(NB_F64, (double[]){ 0.5, -1, 0.2, 0.1, 0, 0.3, -0.4, 1 },
                                     NB_SHAPE(2, 1, 1, 4), false) };
    bool ok = GC("(2,3,4) x (2,4,4) x (2,4,2)", f_sdpa, &a, o, R(-1, 1, 2, 3, 4), R(-1, 1, 2, 4, 4),
                 R(-1, 1, 2, 4, 2)) &
              GC("causal L 4 > S 3, scale 0.7", f_sdpa, &c, o, R(-1, 1, 2, 4, 3), R(-1, 1, 2, 3, 3),
                 R(-1, 1, 2, 3, 2)) &
              GC("bool mask (3,4), k/v broadcast over heads", f_sdpa, &bm, o, R(-1, 1, 2, 2, 3, 2),
                 R(-1, 1, 2, 1, 4, 2), R(-1, 1, 2, 1, 4, 3)) &
              GC("float mask (2,1,1,4) over heads", f_sdpa, &fm, o, R(-1, 1, 2, 2, 3, 2),
                 R(-1, 1, 2, 2, 4, 2), R(-1, 1, 2, 2, 4, 3));
    nb_free(bm.aux);
    nb_free(fm.aux);
    return ok;
}
/* -- end attention */
