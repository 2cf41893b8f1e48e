/* nb_rnn.h — the fused recurrent ops under nn.RNN / LSTM / GRU and their cells (autograd/ops_rnn.c):
 * one layer in one direction over a whole sequence as one recorded node (the input projection of all
 * steps in one GEMM, per step the recurrent GEMM plus the fused gates), and torch's functional cells
 * (torch.lstm_cell, gru_cell, rnn_tanh_cell, rnn_relu_cell). Backward is exact BPTT, first order only. */
#ifndef NB_RNN_H
#define NB_RNN_H

#include "nb_tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* torch's modes: Elman RNN with tanh or relu, LSTM (gates i, f, g, o), GRU (gates r, z, n). */
typedef enum { NB_RNN_TANH = 0, NB_RNN_RELU, NB_RNN_LSTM, NB_RNN_GRU } nb_rnn_mode;
/* One layer and direction in torch's layout, G = 1, 1, 4, 3 gate blocks: w_ih (G H, I), w_hh (G H, P),
 * b_ih, b_hh (G H) or both NULL, w_hr (P, H) (LSTM's proj_size P < H) or NULL (then P = H). */
typedef struct {
    nb_tensor *w_ih, *w_hh, *b_ih, *b_hh, *w_hr;
} nb_rnn_weights;
/* One layer, one direction over a whole sequence x (T, B, I) from h0 (B, P) and c0 (B, H) (LSTM only;
 * NULL = zeros), t = T-1..0 when reverse. Sets *out (T, B, P) = every h_t, *h_n (B, P) and *c_n (B, H)
 * (LSTM; pass NULL otherwise) = the last states; any pointer may be NULL. One recorded node: the input
 * projection of all steps is one GEMM, each step the recurrent GEMM plus fused gates. */
nb_status nb_rnn_layer(nb_rnn_mode mode, nb_tensor *x, nb_tensor *h0, nb_tensor *c0, nb_rnn_weights w,
                       bool reverse, nb_tensor **out, nb_tensor **h_n, nb_tensor **c_n);
/* torch.rnn_tanh_cell: h' = tanh(x w_ih^T + b_ih + h w_hh^T + b_hh); x (B, I), h (B, H); biases may be NULL. */
nb_tensor *nb_rnn_tanh_cell(nb_tensor *x, nb_tensor *h, nb_tensor *w_ih, nb_tensor *w_hh, nb_tensor *b_ih,
                            nb_tensor *b_hh);
/* torch.rnn_relu_cell: h' = relu(x w_ih^T + b_ih + h w_hh^T + b_hh). */
nb_tensor *nb_rnn_relu_cell(nb_tensor *x, nb_tensor *h, nb_tensor *w_ih, nb_tensor *w_hh, nb_tensor *b_ih,
                            nb_tensor *b_hh);
/* torch.lstm_cell: c' = f c + i g, returns h' = o tanh(c') and sets *c_out = c' (i, f, o sigmoid, g tanh). */
nb_tensor *nb_lstm_cell(nb_tensor *x, nb_tensor *h, nb_tensor *c, nb_tensor *w_ih, nb_tensor *w_hh,
                        nb_tensor *b_ih, nb_tensor *b_hh, nb_tensor **c_out);
/* torch.gru_cell: n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h. */
nb_tensor *nb_gru_cell(nb_tensor *x, nb_tensor *h, nb_tensor *w_ih, nb_tensor *w_hh, nb_tensor *b_ih,
                       nb_tensor *b_hh);

#ifdef __cplusplus
}
#endif
#endif
