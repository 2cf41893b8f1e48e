/* ops_rnn.c — fused recurrent ops: one layer and one direction of torch's RNN (tanh, relu), LSTM
 * (gates i, f, g, o; optional projection) and GRU (gates r, z, n) over a whole sequence, and the
 * single-step cells built on the same node with T = 1. One node records the packed output
 * y (T, B, S) = [h_t | c_t]; out, h_n and c_n are views of it, so their gradients meet in y's.
 * The backward is exact BPTT in raw kernels (tensor/kernels_rnn.c): first order only (ops.def). */
#include "nba_tape.h"
#include "nb_rnn.h"

static const char *const mode_name[] = { "RNN_TANH", "RNN_RELU", "LSTM", "GRU" };
static const nba_opcode mode_op[] = { NBA_OP_rnn_tanh, NBA_OP_rnn_relu, NBA_OP_lstm, NBA_OP_gru };

/* check that t (may be NULL when optional) is a float tensor of shape (a) or (a, b) with dtype dt */
static bool shape_is(const nb_tensor *t, int nd, int64_t a, int64_t b, nb_dtype dt, const char *what,
                     const char *op) {
    if (!t) return true;
    if (!nbt_ok(t, op)) return false;
    if (t->dtype != dt) {
        nbt_error("%s: %s has dtype %s but the input is %s", op, what, nb_dtype_name(t->dtype),
                  nb_dtype_name(dt));
        return false;
    }
    if (t->ndim != nd || t->shape[0] != a || (nd == 2 && t->shape[1] != b)) {
        nbt_error("%s: %s must have shape %s, got %s", op, what,
                  nd == 2 ? nbt_shape_of(2, (int64_t[]){ a, b }) : nbt_shape_of(1, (int64_t[]){ a }),
                  nbt_shape(t));
        return false;
    }
    return true;
}

/* The layer: returns the packed output y (T, B, S) (its node recorded when grad is on), NULL on error. */
static nb_tensor *rnn_layer(nb_rnn_mode mode, nb_tensor *x, nb_tensor *h0, nb_tensor *c0, nb_rnn_weights w,
                            bool reverse, nbt_rnn_shape *sh, const char *op) {
    if (!x || !w.w_ih || !w.w_hh) return NULL; /* an earlier failure passes through */
    if (!nbt_ok(x, op) || !nbt_ok(w.w_ih, op) || !nbt_ok(w.w_hh, op)) return NULL;
    if ((int)mode < 0 || mode > NB_RNN_GRU) return nbt_error("%s: unknown mode %d", op, (int)mode);
    if (!nbt_is_float(x->dtype))
        return nbt_error("%s: expects a floating point input, got %s", op, nb_dtype_name(x->dtype));
    if (x->ndim != 3)
        return nbt_error("%s: input must have 3 dimensions (T, B, input_size), got %s", op, nbt_shape(x));
    if (x->shape[0] == 0) return nbt_error("%s: Expected sequence length to be larger than 0 in RNN", op);
    int64_t gates = nbt_rnn_gates((nbt_rnn_mode)mode);
    if (w.w_ih->ndim != 2 || w.w_ih->shape[0] % gates || w.w_ih->shape[0] == 0)
        return nbt_error("%s: weight_ih must be (%lld * hidden_size, input_size) for %s, got %s", op,
                         (long long)gates, mode_name[mode], nbt_shape(w.w_ih));
    int64_t H = w.w_ih->shape[0] / gates, I = w.w_ih->shape[1], P = H;
    if (w.w_hr) {
        if (mode != NB_RNN_LSTM)
            return nbt_error("%s: a projection (w_hr) exists only for LSTM, not %s", op, mode_name[mode]);
        if (!nbt_ok(w.w_hr, op)) return NULL;
        if (w.w_hr->ndim != 2 || w.w_hr->shape[1] != H || w.w_hr->shape[0] >= H || w.w_hr->shape[0] <= 0)
            return nbt_error(
                "%s: weight_hr must be (proj_size, hidden_size) with 0 < proj_size < %lld, got %s", op,
                (long long)H, nbt_shape(w.w_hr));
        P = w.w_hr->shape[0];
    }
    if (x->shape[2] != I)
        return nbt_error("%s: input.size(-1) must be equal to input_size. Expected %lld, got %lld", op,
                         (long long)I, (long long)x->shape[2]);
    nb_dtype dt = x->dtype;
    int64_t NT = x->shape[0], B = x->shape[1];
    if (!shape_is(w.w_ih, 2, gates * H, I, dt, "weight_ih", op) ||
        !shape_is(w.w_hh, 2, gates * H, P, dt, "weight_hh", op) ||
        !shape_is(w.b_ih, 1, gates * H, 0, dt, "bias_ih", op) ||
        !shape_is(w.b_hh, 1, gates * H, 0, dt, "bias_hh", op) ||
        !shape_is(w.w_hr, 2, P, H, dt, "weight_hr", op))
        return NULL;
    if (!w.b_ih != !w.b_hh) return nbt_error("%s: give both biases (bias_ih and bias_hh) or neither", op);
    if (c0 && mode != NB_RNN_LSTM)
        return nbt_error("%s: a cell state c0 exists only for LSTM, not %s", op, mode_name[mode]);
    if (!shape_is(h0, 2, B, P, dt, "h0", op) || !shape_is(c0, 2, B, H, dt, "c0", op)) return NULL;
    *sh = (nbt_rnn_shape){ (nbt_rnn_mode)mode, NT, B, I, H, P, reverse };
    /* missing states are zeros; every input goes to the kernel contiguous (copies record their own nodes) */
    if (!h0) h0 = nb_zeros(dt, 2, (int64_t[]){ B, P });
    if (mode == NB_RNN_LSTM && !c0) c0 = nb_zeros(dt, 2, (int64_t[]){ B, H });
    nb_tensor *in[NBT_RNN_NIN] = { nb_contiguous(x),
                                   nb_contiguous(h0),
                                   c0 ? nb_contiguous(c0) : NULL,
                                   nb_contiguous(w.w_ih),
                                   nb_contiguous(w.w_hh),
                                   w.b_ih ? nb_contiguous(w.b_ih) : NULL,
                                   w.b_hh ? nb_contiguous(w.b_hh) : NULL,
                                   w.w_hr ? nb_contiguous(w.w_hr) : NULL };
    if (!in[0] || !in[1] || (mode == NB_RNN_LSTM && !in[2]) || !in[3] || !in[4] ||
        (w.b_ih && (!in[5] || !in[6])) || (w.w_hr && !in[7]))
        return NULL;
    nb_tensor *y = nbt_new(dt, 3, (int64_t[]){ NT, B, nbt_rnn_y_width(sh) });
    nb_tensor *ws = nbt_new(dt, 3, (int64_t[]){ NT, B, nbt_rnn_ws_width(sh) });
    if (!y || !ws || (B > 0 && nbt_rnn_forward(sh, in, y, ws) != NB_OK)) {
        nb_free(y);
        nb_free(ws);
        return NULL;
    }
    nba_node *n = nba_record(mode_op[mode], y, NBT_RNN_NIN, in, NBA_SAVE_ALL | NBA_SAVE_OUT);
    if (!n) {
        nb_free(ws); /* not recorded: nothing reads the workspace again */
        return y;
    }
    nba_set_aux(n, ws);
    n->iv[0] = reverse;
    n->niv = 1;
    return y;
}

/* BPTT: g = dL/dy (T, B, S) -> the gradients of x, h0, c0 and the weights in one kernel call */
static void bw_rnn(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nbt_rnn_mode mode = n->op == NBA_OP_lstm       ? NBT_RNN_LSTM
                        : n->op == NBA_OP_gru      ? NBT_RNN_GRU
                        : n->op == NBA_OP_rnn_relu ? NBT_RNN_RELU
                                                   : NBT_RNN_TANH;
    nb_tensor *in[NBT_RNN_NIN];
    for (int i = 0; i < NBT_RNN_NIN; i++) in[i] = nba_in(n, i);
    const nb_tensor *x = in[0], *y = n->out;
    int64_t H = in[3]->shape[0] / nbt_rnn_gates(mode), P = in[7] ? in[7]->shape[0] : H;
    nbt_rnn_shape sh = { mode, x->shape[0], x->shape[1], x->shape[2], H, P, n->iv[0] != 0 };
    nb_tensor *gc = nbt_contig(g);
    nb_tensor *grads[NBT_RNN_NIN] = { 0 };
    bool ok = gc != NULL;
    for (int i = 0; i < NBT_RNN_NIN && ok; i++)
        if (nba_need(n, i)) ok = (grads[i] = nbt_new(in[i]->dtype, in[i]->ndim, in[i]->shape)) != NULL;
    if (ok && sh.B > 0)
        ok = nbt_rnn_backward(&sh, in, y, n->aux, gc, grads) == NB_OK;
    else if (ok)
        for (int i = 0; i < NBT_RNN_NIN; i++)
            if (grads[i]) nb_zero_(grads[i]);
    for (int i = 0; i < NBT_RNN_NIN; i++) gin[i] = ok ? grads[i] : NULL;
}
void nba_bw_rnn_tanh(nba_node *n, nb_tensor *g, nb_tensor **gin) { bw_rnn(n, g, gin); }
void nba_bw_rnn_relu(nba_node *n, nb_tensor *g, nb_tensor **gin) { bw_rnn(n, g, gin); }
void nba_bw_lstm(nba_node *n, nb_tensor *g, nb_tensor **gin) { bw_rnn(n, g, gin); }
void nba_bw_gru(nba_node *n, nb_tensor *g, nb_tensor **gin) { bw_rnn(n, g, gin); }

/* y = [h_t | c_t]; out = y[..., :P], h_n = out[last], c_n = y[last, :, P:] (last = 0 if reverse) */
nb_status nb_rnn_layer(nb_rnn_mode mode, nb_tensor *x, nb_tensor *h0, nb_tensor *c0, nb_rnn_weights w,
                       bool reverse, nb_tensor **out, nb_tensor **h_n, nb_tensor **c_n) {
    NBT_API("nb_rnn_layer");
    if (out) *out = NULL;
    if (h_n) *h_n = NULL;
    if (c_n) *c_n = NULL;
    nbt_rnn_shape sh;
    nb_tensor *y = rnn_layer(mode, x, h0, c0, w, reverse, &sh, "nb_rnn_layer");
    if (!y) {
        if (!nb_error()) nbt_error("nb_rnn_layer: an input is NULL (an earlier op failed?)");
        return NB_ERROR;
    }
    int64_t last = reverse ? 0 : sh.T - 1;
    nb_tensor *o = mode == NB_RNN_LSTM ? nb_narrow(y, 2, 0, sh.P) : y;
    if (out) *out = o;
    if (h_n) *h_n = nb_select(o, 0, last);
    if (c_n && mode == NB_RNN_LSTM) *c_n = nb_select(nb_narrow(y, 2, sh.P, sh.H), 0, last);
    bool ok = (!out || *out) && (!h_n || *h_n) && (!c_n || mode != NB_RNN_LSTM || *c_n);
    return ok ? NB_OK : NB_ERROR;
}

/* a cell is the layer at T = 1: x (B, I) -> (1, B, I); the new state is y[0] */
static nb_tensor *cell(nb_rnn_mode mode, nb_tensor *x, nb_tensor *h, nb_tensor *c, nb_rnn_weights w,
                       nb_tensor **c_out, const char *op) {
    if (c_out) *c_out = NULL;
    if (!x || !h || (mode == NB_RNN_LSTM && !c) || !w.w_ih || !w.w_hh) return NULL;
    if (!nbt_ok(x, op) || !nbt_ok(h, op)) return NULL;
    if (x->ndim != 2) return nbt_error("%s: input must be 2-D (batch, input_size), got %s", op, nbt_shape(x));
    if (nbt_ok(w.w_ih, op) && w.w_ih->ndim == 2 && x->shape[1] != w.w_ih->shape[1])
        return nbt_error("%s: input has inconsistent input_size: got %lld expected %lld", op,
                         (long long)x->shape[1], (long long)w.w_ih->shape[1]);
    int64_t H = nbt_ok(w.w_ih, op) ? w.w_ih->shape[0] / nbt_rnn_gates((nbt_rnn_mode)mode) : 0;
    nb_tensor *const hs[2] = { h, c };
    for (int k = 0; k < (mode == NB_RNN_LSTM ? 2 : 1); k++) {
        if (!nbt_ok(hs[k], op)) return NULL;
        if (hs[k]->ndim != 2 || hs[k]->shape[0] != x->shape[0])
            return nbt_error("%s: Input batch size %lld doesn't match hidden%d batch size %lld", op,
                             (long long)x->shape[0], k, (long long)(hs[k]->ndim ? hs[k]->shape[0] : 0));
        if (hs[k]->shape[1] != H)
            return nbt_error("%s: hidden%d has inconsistent hidden_size: got %lld, expected %lld", op, k,
                             (long long)hs[k]->shape[1], (long long)H);
    }
    nbt_rnn_shape sh;
    nb_tensor *y = rnn_layer(mode, nb_unsqueeze(x, 0), h, mode == NB_RNN_LSTM ? c : NULL, w, false, &sh, op);
    if (!y) return NULL;
    y = nb_select(y, 0, 0);
    if (mode != NB_RNN_LSTM) return y;
    if (c_out) *c_out = nb_narrow(y, 1, sh.P, sh.H);
    return nb_narrow(y, 1, 0, sh.P);
}

nb_tensor *nb_rnn_tanh_cell(nb_tensor *x, nb_tensor *h, nb_tensor *w_ih, nb_tensor *w_hh, nb_tensor *b_ih,
                            nb_tensor *b_hh) {
    return cell(NB_RNN_TANH, x, h, NULL, (nb_rnn_weights){ w_ih, w_hh, b_ih, b_hh, NULL }, NULL,
                "nb_rnn_tanh_cell");
}
nb_tensor *nb_rnn_relu_cell(nb_tensor *x, nb_tensor *h, nb_tensor *w_ih, nb_tensor *w_hh, nb_tensor *b_ih,
                            nb_tensor *b_hh) {
    return cell(NB_RNN_RELU, x, h, NULL, (nb_rnn_weights){ w_ih, w_hh, b_ih, b_hh, NULL }, NULL,
                "nb_rnn_relu_cell");
}
nb_tensor *nb_gru_cell(nb_tensor *x, nb_tensor *h, nb_tensor *w_ih, nb_tensor *w_hh, nb_tensor *b_ih,
                       nb_tensor *b_hh) {
    return cell(NB_RNN_GRU, x, h, NULL, (nb_rnn_weights){ w_ih, w_hh, b_ih, b_hh, NULL }, NULL,
                "nb_gru_cell");
}
nb_tensor *nb_lstm_cell(nb_tensor *x, nb_tensor *h, nb_tensor *c, nb_tensor *w_ih, nb_tensor *w_hh,
                        nb_tensor *b_ih, nb_tensor *b_hh, nb_tensor **c_out) {
    nb_tensor *c2 = NULL;
    nb_tensor *h2 = cell(NB_RNN_LSTM, x, h, c, (nb_rnn_weights){ w_ih, w_hh, b_ih, b_hh, NULL }, &c2,
                         "nb_lstm_cell");
    if (c_out) *c_out = h2 ? c2 : NULL;
    return h2 && c2 ? h2 : NULL;
}
