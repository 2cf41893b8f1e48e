/* nb_nn.h — torch.nn for nabla: modules (named parameters, forward, train/eval, free), layers,
 * init functions and losses. A model is a tree of nb_module; parameters are persistent leaves owned
 * by their module, losses are plain differentiable functions. A worked example:
 *
 *   nb_module *fc1 = nb_linear_new(784, 256, true);   // one layer per statement: drawn in torch's
 *   nb_module *fc2 = nb_linear_new(256, 10, true);    // order (C leaves argument order unspecified)
 *   nb_module *model = nb_sequential_new(3, fc1, nb_relu_new(), fc2);
 *   int np; nb_tensor **params = nb_module_parameters(model, &np);   // borrowed, for an optimizer
 *   nb_scope s = nb_scope_begin();
 *   nb_tensor *loss = nb_cross_entropy(nb_module_forward(model, x), y, (nb_cross_entropy_opts){0});
 *   nb_backward(loss);                    // params[i]->grad now holds d loss / d params[i]
 *   nb_scope_end(s);
 *   nb_module_free(model);                // frees the parameters too
 */
#ifndef NB_NN_H
#define NB_NN_H

#include "nb_autograd.h"
#include "nb_conv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- modules (torch.nn.Module; docs/modules.md) ------------------------------------------------ */
typedef struct nb_module nb_module;
/* A module's forward: x -> y (ops recorded on the current tape), NULL on error. */
typedef nb_tensor *(*nb_forward_fn)(nb_module *m, nb_tensor *x);
/* A general forward: inputs in[0..nin) (a NULL entry is an optional input not given), opts a
 * module-specific options struct or NULL; writes at most nout outputs to out[] (the first nout of
 * the module's outputs) and returns how many it wrote (>= 1), or -1 (NB_ERROR) on error. */
typedef int (*nb_forward_ex_fn)(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                                nb_tensor **out);

/* A module. Read the fields; build custom modules with nb_module_new(_ex) + nb_module_register_*. */
struct nb_module {
    const char *type;              /* torch's class name: "Linear", "Sequential", "ReLU", ... */
    nb_forward_fn forward;         /* one tensor in, one out (or NULL) */
    void (*free_impl)(void *impl); /* releases impl (NULL: nothing to do) */
    void *impl;                    /* type-specific data, owned */
    bool training;                 /* train mode (default) or eval mode */
    int nparams;                   /* own parameters (not the children's) */
    char **param_names;
    nb_tensor **params; /* persistent leaves, owned by the module (shared when tied) */
    int nchildren;
    char **child_names;          /* "0", "1", ... in a Sequential / ModuleList, keys in a ModuleDict */
    nb_module **children;        /* owned (shared when registered in several modules) */
    double hp[4];                /* scalar hyperparameters (p, eps, slope, ...) */
    int64_t ip[NB_MAX_DIMS + 2]; /* integer hyperparameters (dims, shapes) */
    nb_tensor **flat;            /* cache of nb_module_parameters */
    int nflat;
    nb_forward_ex_fn forward_ex; /* several inputs / outputs / options (or NULL) */
    int nbuffers;                /* own buffers (running statistics, tables): state, not parameters */
    char **buffer_names;
    nb_tensor **buffers;     /* persistent tensors owned by the module (any dtype) */
    bool *buffer_persistent; /* false: left out of the state dict (torch persistent=False) */
    /* torch's extra_repr for nb_module_fprint ("in_features=3, ..."), or NULL */
    void (*extra_repr)(const nb_module *m, char *buf, size_t n);
    nb_tensor **flat_buffers; /* cache of nb_module_buffers */
    int nflat_buffers;
    int nparents; /* modules this one is registered in (internal) */
};

/* A new empty module of the given type name (copied pointer: use a string literal) and forward. */
nb_module *nb_module_new(const char *type, nb_forward_fn forward, void *impl, void (*free_impl)(void *impl));
/* A new module with the general forward; forward_ex NULL makes a container without forward
 * (calling it is an error, as torch's Module.forward raises NotImplementedError). */
nb_module *nb_module_new_ex(const char *type, nb_forward_ex_fn forward_ex, void *impl,
                            void (*free_impl)(void *impl));
/* Register t (a persistent leaf, now owned by m) as parameter `name`; marks it requires_grad.
 * A tensor registered in several modules (weight tying) is shared: listed once, freed once.
 * Errors (torch's KeyError): empty name, a '.' in it, or a name already used in m by a parameter,
 * buffer or child (to replace a parameter, use nb_module_set_parameter). On error m does not own t. */
nb_status nb_module_register_parameter(nb_module *m, const char *name, nb_tensor *t);
/* m.name = t (torch setattr with a Parameter): replace parameter `name` (keeping its place in the
 * order), or register it when m has none; the old one is freed unless another module shares it.
 * This is how weights are tied: nb_module_set_parameter(dec, "weight", enc_weight). */
nb_status nb_module_set_parameter(nb_module *m, const char *name, nb_tensor *t);
/* torch register_buffer: t (a persistent leaf of any dtype, now owned by m) is state carried by
 * nb_module_state_dict (when persistent) and nb_module_to, never by nb_module_parameters. */
nb_status nb_module_register_buffer(nb_module *m, const char *name, nb_tensor *t, bool persistent);
/* Register child (now owned by m) as submodule `name` (torch add_module). A module registered in
 * several parents is shared (listed once by nb_module_parameters, freed once). Registering m inside
 * itself, directly or through a cycle, and the name errors of register_parameter are errors. */
nb_status nb_module_register_module(nb_module *m, const char *name, nb_module *child);
/* y = m(x) (torch: model(x)). NULL passes through; error on a NULL module. A module with only the
 * general forward gets in = {x} and returns its first output. */
nb_tensor *nb_module_forward(nb_module *m, nb_tensor *x);
/* (out[0], ..., out[k-1]) = m(in[0], ..., in[nin-1], opts), k <= nout: torch's model(*args, **kw),
 * e.g. LSTM (x, h0, c0) -> (output, h_n, c_n). Returns k >= 1, or -1 with out[0..nout) NULL (a NULL
 * input while an error is pending passes through as -1). One-tensor modules take nin == 1. */
int nb_module_forward_ex(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                         nb_tensor **out);
/* Set train (true) or eval (false) mode on m and all its children (torch train()/eval()). */
void nb_module_train(nb_module *m, bool on);
/* Same as nb_module_train(m, false). */
void nb_module_eval(nb_module *m);
/* Free a root module: its children and its parameters and buffers (with their .grad), each shared one
 * once, when nothing else holds it. NULL is ignored; a module owned by a parent is an error. */
void nb_module_free(nb_module *m);
/* All parameters, children's included, in torch's order without duplicates (a tied or shared one
 * once, at its first place), as torch's parameters(); borrowed array owned by m, valid until the
 * next call or nb_module_free; *n receives the count. */
nb_tensor **nb_module_parameters(nb_module *m, int *n);
/* All buffers (persistent or not) in torch's buffers() order without duplicates; borrowed like
 * nb_module_parameters. */
nb_tensor **nb_module_buffers(nb_module *m, int *n);
/* torch named_parameters(): the parameters of nb_module_parameters with their dotted names (borrowed
 * tensors; free the dict with nb_state_dict_free). */
nb_state_dict nb_module_named_parameters(nb_module *m);
/* torch named_buffers(): every buffer with its dotted name, without duplicates. */
nb_state_dict nb_module_named_buffers(nb_module *m);
/* Total number of parameter elements (sum of numel over nb_module_parameters). */
int64_t nb_module_num_parameters(nb_module *m);
/* torch state_dict(): per module its parameters, then its persistent buffers, then its children
 * recursively, under dotted names ("0.weight", "bn.running_mean", ...); a tied tensor appears under
 * every name it has, as in torch. The tensors are borrowed, free the dict with nb_state_dict_free. */
nb_state_dict nb_module_state_dict(nb_module *m);
/* The parameter with that dotted name ("0.weight"), or NULL (no error). */
nb_tensor *nb_module_get_parameter(nb_module *m, const char *name);
/* The buffer with that dotted name ("bn.running_mean"), or NULL (no error). */
nb_tensor *nb_module_get_buffer(nb_module *m, const char *name);
/* The submodule with that dotted name ("0", "encoder.layers.1"; "" is m), or NULL (no error). */
nb_module *nb_module_get_submodule(nb_module *m, const char *name);
/* Convert every parameter and floating point buffer to dtype dt in place of the old one (torch
 * model.double() / .float(); i64 buffers are kept, tied tensors stay tied); pointers from an earlier
 * nb_module_parameters call become invalid. */
nb_status nb_module_to(nb_module *m, nb_dtype dt);
/* Drop the .grad of every parameter (torch zero_grad(set_to_none=True)). */
void nb_module_zero_grad(nb_module *m);
/* Print the module tree exactly as torch's print(model) does (custom modules list their parameters). */
void nb_module_fprint(FILE *f, const nb_module *m);

/* ---- containers (nn.ModuleList, nn.ModuleDict: children without a forward) --------------------- */
/* nn.ModuleList(mods): takes ownership of the n modules (a NULL one fails and frees the others);
 * children are named "0", "1", ... */
nb_module *nb_module_list_new(int n, ...);
/* Same from an array. */
nb_module *nb_module_list_from(int n, nb_module *const *mods);
/* list.append(child): child (now owned by the list) is named str(len). On error the caller keeps it. */
nb_status nb_module_list_append(nb_module *list, nb_module *child);
/* list[index] (borrowed); a negative index counts from the end; NULL + error (IndexError) if out of range. */
nb_module *nb_module_list_get(nb_module *list, int64_t index);
/* len(list) (or of a dict: the number of children); -1 + error on NULL. */
int nb_module_list_len(const nb_module *list);
/* nn.ModuleDict(): an empty dict; iterate with m->child_names[i] / m->children[i] (insertion order). */
nb_module *nb_module_dict_new(void);
/* dict[key] = child (now owned): added, or replacing the module under key (kept in its place; the
 * old one is freed unless shared). On error the caller keeps child. */
nb_status nb_module_dict_set(nb_module *dict, const char *key, nb_module *child);
/* dict[key] (borrowed), or NULL + error (KeyError) if absent. */
nb_module *nb_module_dict_get(nb_module *dict, const char *key);

/* ---- layers (constructors return NULL + error on bad arguments) -------------------------------- */
/* nn.Linear: y = x W^T + b, W (out, in), W and b ~ U(-1/sqrt(in), 1/sqrt(in)) (torch's default). */
nb_module *nb_linear_new(int64_t in_features, int64_t out_features, bool bias);
/* nn.Sequential: y = m_{n-1}(...m_0(x)); takes ownership of the n modules (a NULL one fails and
 * frees the others). Children are named "0", "1", ... Build layers that draw random weights in their
 * own statements first: C evaluates arguments in an unspecified order (GCC: right to left), so
 * nb_sequential_new(2, nb_linear_new(..), nb_linear_new(..)) does not draw torch's weights. */
nb_module *nb_sequential_new(int n, ...);
/* Same from an array. */
nb_module *nb_sequential_from(int n, nb_module *const *mods);
/* nn.Flatten(start_dim, end_dim): torch's default is (1, -1). */
nb_module *nb_flatten_new(int start_dim, int end_dim);
/* nn.ReLU: max(x, 0). */
nb_module *nb_relu_new(void);
/* nn.LeakyReLU: x > 0 ? x : slope x (torch's default slope 0.01; pass 0.01). */
nb_module *nb_leaky_relu_new(double negative_slope);
/* nn.Sigmoid: 1 / (1 + e^-x). */
nb_module *nb_sigmoid_new(void);
/* nn.Tanh. */
nb_module *nb_tanh_new(void);
/* nn.GELU: x Phi(x) (approximate false) or the tanh approximation. */
nb_module *nb_gelu_new(bool approximate_tanh);
/* nn.Softmax(dim). */
nb_module *nb_softmax_new(int dim);
/* nn.LogSoftmax(dim). */
nb_module *nb_log_softmax_new(int dim);
/* nn.Dropout(p): in train mode y = x * mask / (1 - p), mask ~ Bernoulli(1 - p) from the global
 * generator (nb_manual_seed); identity in eval mode. */
nb_module *nb_dropout_new(double p);
/* nn.LayerNorm over the last ndim dims of the given shape: (x - E x) / sqrt(Var x + eps) * w + b,
 * biased variance; eps 0 means torch's 1e-5; w = 1, b = 0 when elementwise_affine. */
nb_module *nb_layer_norm_new(int ndim, const int64_t *normalized_shape, double eps, bool elementwise_affine);
/* nn.Embedding: y[..., :] = W[idx[...], :], W (num, dim) ~ N(0, 1); idx is an i64 tensor. */
nb_module *nb_embedding_new(int64_t num_embeddings, int64_t embedding_dim);

/* -- convolution modules (issue 11, nn/layers_conv.c): torch's weight layout and reset_parameters()
 * (weight ~ kaiming_uniform(a = sqrt 5), bias ~ U(+-1/sqrt(fan_in))), bit-equal after the same seed;
 * stride, padding, dilation, groups (and output_padding) from o as in the functional forms. */
/* nn.Conv2d(in, out, (kh, kw), ..., bias): weight (out, in / groups, kh, kw), bias (out). */
nb_module *nb_conv2d_new(int64_t in_channels, int64_t out_channels, int64_t kh, int64_t kw, bool bias,
                         nb_conv_opts o);
/* nn.Conv1d(in, out, k, ..., bias): weight (out, in / groups, k), bias (out). */
nb_module *nb_conv1d_new(int64_t in_channels, int64_t out_channels, int64_t k, bool bias, nb_conv_opts o);
/* nn.ConvTranspose2d(in, out, (kh, kw), ..., bias): weight (in, out / groups, kh, kw), bias (out). */
nb_module *nb_conv_transpose2d_new(int64_t in_channels, int64_t out_channels, int64_t kh, int64_t kw,
                                   bool bias, nb_conv_opts o);
/* nn.ConvTranspose1d(in, out, k, ..., bias): weight (in, out / groups, k), bias (out). */
nb_module *nb_conv_transpose1d_new(int64_t in_channels, int64_t out_channels, int64_t k, bool bias,
                                   nb_conv_opts o);
/* ---- normalisation layers (nn.BatchNorm1d/2d, nn.GroupNorm; functional forms in nb_norm.h) ------ */
/* Keyword arguments of the BatchNorm layers; zero means torch's default. */
typedef struct {
    double eps;                  /* 0 = 1e-5 */
    double momentum;             /* 0 = 0.1; -0.0 (NB_ZERO) = 0 (the running statistics never move) */
    bool cumulative_average;     /* torch momentum=None: running = cumulative average of the batch stats */
    bool no_affine;              /* torch affine=False: no weight and bias */
    bool no_track_running_stats; /* torch track_running_stats=False: no buffers, batch stats in eval too */
} nb_batch_norm_layer_opts;
/* nn.BatchNorm1d(C): input (N, C) or (N, C, L); parameters weight (1), bias (0); buffers running_mean
 * (0), running_var (1), num_batches_tracked (i64 scalar). Train: batch stats, buffers updated; eval:
 * running stats. */
nb_module *nb_batch_norm1d_new(int64_t num_features, nb_batch_norm_layer_opts o);
/* nn.BatchNorm2d(C): the same over input (N, C, H, W). */
nb_module *nb_batch_norm2d_new(int64_t num_features, nb_batch_norm_layer_opts o);
/* Keyword arguments of nb_group_norm_new; zero means torch's default. */
typedef struct {
    double eps;     /* 0 = 1e-5 */
    bool no_affine; /* torch affine=False */
} nb_group_norm_layer_opts;
/* nn.GroupNorm(G, C): nb_group_norm over (N, C, ...) with weight (1) and bias (0) of C elements. */
nb_module *nb_group_norm_new(int64_t num_groups, int64_t num_channels, nb_group_norm_layer_opts o);
/* ---- recurrent layers (nn/layers_rnn.c; torch.nn.RNN / LSTM / GRU and their cells) --------------- */
typedef struct {
    int num_layers;           /* 0 means torch's 1 */
    bool no_bias;             /* torch bias=False (no bias_ih / bias_hh) */
    bool batch_first;         /* input and output (B, T, F) instead of (T, B, F); states stay (L*D, B, H) */
    double dropout;           /* dropout on the output of every layer but the last, in train mode */
    bool bidirectional;       /* D = 2: a reverse direction per layer, outputs concatenated */
    int64_t proj_size;        /* LSTM only: h = W_hr (o * tanh(c)) of size proj_size < hidden_size */
    const char *nonlinearity; /* nn.RNN only: "tanh" (NULL, the default) or "relu" */
} nb_rnn_opts;
/* nn.RNN(input_size, hidden_size, ...): h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
 * Parameters weight_ih_l{k}[_reverse], weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} in torch's order, each
 * ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) drawn in that order (torch's values after a seed). */
nb_module *nb_rnn_new(int64_t input_size, int64_t hidden_size, nb_rnn_opts o);
/* nn.LSTM: gates i, f, g, o; c_t = f c_{t-1} + i g, h_t = o tanh(c_t) (then W_hr h_t with proj_size:
 * adds weight_hr_l{k}). */
nb_module *nb_lstm_new(int64_t input_size, int64_t hidden_size, nb_rnn_opts o);
/* nn.GRU: gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h_t = (1 - z) n + z h_{t-1}. */
nb_module *nb_gru_new(int64_t input_size, int64_t hidden_size, nb_rnn_opts o);
/* output, h_n = m(x, h0) (RNN, GRU) or output, (h_n, c_n) = m(x, (h0, c0)) (LSTM): x (T, B, I), (B, T, I)
 * with batch_first, or unbatched (T, I); h0 (L*D, B, P), c0 (L*D, B, H) or NULL (zeros); output
 * (T, B, D*P); h_n, c_n like h0, c0 (layer-major, forward before reverse). Output pointers may be NULL.
 * nb_module_forward(m, x) returns the output alone. */
nb_status nb_rnn_forward(nb_module *m, nb_tensor *x, nb_tensor *h0, nb_tensor *c0, nb_tensor **out,
                         nb_tensor **h_n, nb_tensor **c_n);
/* nn.RNNCell(input_size, hidden_size, bias, nonlinearity "tanh" (NULL) or "relu"): weight_ih,
 * weight_hh, bias_ih, bias_hh ~ U(-1/sqrt(hidden), 1/sqrt(hidden)). */
nb_module *nb_rnn_cell_new(int64_t input_size, int64_t hidden_size, bool bias, const char *nonlinearity);
/* nn.LSTMCell(input_size, hidden_size, bias). */
nb_module *nb_lstm_cell_new(int64_t input_size, int64_t hidden_size, bool bias);
/* nn.GRUCell(input_size, hidden_size, bias). */
nb_module *nb_gru_cell_new(int64_t input_size, int64_t hidden_size, bool bias);
/* h' = cell(x, h) (RNNCell, GRUCell) or h', c' = cell(x, (h, c)) (LSTMCell, *c_out = c'): x (B, I) or
 * unbatched (I); h, c (B, H) or NULL (zeros). nb_module_forward(cell, x) returns h' from zero states. */
nb_tensor *nb_rnn_cell_forward(nb_module *m, nb_tensor *x, nb_tensor *h, nb_tensor *c, nb_tensor **c_out);

/* ---- functional forms of the layers above (F.dropout, F.layer_norm, F.embedding) ---------------- */
/* training ? x * Bernoulli(1-p) / (1-p) : x. */
nb_tensor *nb_dropout(nb_tensor *x, double p, bool training);
/* Normalise over the last ndim dims; w, b (normalized_shape) may be NULL; eps 0 means 1e-5. */
nb_tensor *nb_layer_norm(nb_tensor *x, int ndim, const int64_t *normalized_shape, nb_tensor *w, nb_tensor *b,
                         double eps);
/* y = w[idx] (rows of w gathered; shape idx.shape + (w.shape[1],)); dw = index_add of g. */
nb_tensor *nb_embedding(nb_tensor *idx, nb_tensor *w);

/* ---- init (torch.nn.init; in place under no-grad, draws from the global generator; return t) ---- */
typedef enum { NB_FAN_IN = 0, NB_FAN_OUT } nb_fan_mode;
typedef enum {
    NB_NONLIN_LEAKY_RELU = 0, /* torch's default for kaiming_*: gain sqrt(2 / (1 + a^2)) */
    NB_NONLIN_LINEAR,
    NB_NONLIN_SIGMOID,
    NB_NONLIN_TANH,
    NB_NONLIN_RELU,
    NB_NONLIN_SELU,
    NB_NONLIN_CONV
} nb_nonlinearity;
/* torch.nn.init.calculate_gain: linear/sigmoid/conv 1, tanh 5/3, relu sqrt 2, leaky_relu
 * sqrt(2 / (1 + param^2)) (param 0 means 0.01 as in torch), selu 3/4. */
double nb_init_calculate_gain(nb_nonlinearity nl, double param);
/* fan_in = size(1) * receptive field, fan_out = size(0) * receptive field (either pointer may be NULL);
 * error below 2 dims. */
nb_status nb_init_fans(const nb_tensor *t, int64_t *fan_in, int64_t *fan_out);
/* t ~ U(a, b). */
nb_tensor *nb_init_uniform_(nb_tensor *t, double a, double b);
/* t ~ N(mean, std^2). */
nb_tensor *nb_init_normal_(nb_tensor *t, double mean, double std);
/* t = value. */
nb_tensor *nb_init_constant_(nb_tensor *t, double value);
/* t = 0. */
nb_tensor *nb_init_zeros_(nb_tensor *t);
/* t = 1. */
nb_tensor *nb_init_ones_(nb_tensor *t);
/* t ~ U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)) (gain 0 means 1). */
nb_tensor *nb_init_xavier_uniform_(nb_tensor *t, double gain);
/* t ~ N(0, std^2), std = gain sqrt(2 / (fan_in + fan_out)) (gain 0 means 1). */
nb_tensor *nb_init_xavier_normal_(nb_tensor *t, double gain);
/* t ~ U(-bound, bound), bound = gain(nl, a) sqrt(3 / fan) (torch's defaults: a 0, fan_in, leaky_relu). */
nb_tensor *nb_init_kaiming_uniform_(nb_tensor *t, double a, nb_fan_mode mode, nb_nonlinearity nl);
/* t ~ N(0, std^2), std = gain(nl, a) / sqrt(fan). */
nb_tensor *nb_init_kaiming_normal_(nb_tensor *t, double a, nb_fan_mode mode, nb_nonlinearity nl);

/* ---- losses (torch.nn.functional; differentiable in input and, where torch is, in target) ------- */
/* Reduction over the per-element losses; zero is torch's default, mean. */
typedef enum { NB_REDUCTION_MEAN = 0, NB_REDUCTION_SUM, NB_REDUCTION_NONE } nb_reduction;

typedef struct {
    nb_reduction reduction;
} nb_loss_opts;
/* (x - y)^2, reduced. x and y broadcast (torch warns, nabla allows it). */
nb_tensor *nb_mse_loss(nb_tensor *x, nb_tensor *y, nb_loss_opts o);
/* |x - y|, reduced. */
nb_tensor *nb_l1_loss(nb_tensor *x, nb_tensor *y, nb_loss_opts o);

typedef struct {
    nb_reduction reduction;
    double beta;
} nb_smooth_l1_opts;
/* d = x - y: |d| < beta ? d^2 / (2 beta) : |d| - beta / 2. beta 0 means torch's 1.0
 * (for beta = 0 use nb_l1_loss, which is the same function). */
nb_tensor *nb_smooth_l1_loss(nb_tensor *x, nb_tensor *y, nb_smooth_l1_opts o);

typedef struct {
    nb_reduction reduction;
    double delta;
} nb_huber_opts;
/* d = x - y: |d| < delta ? d^2 / 2 : delta (|d| - delta / 2). delta 0 means torch's 1.0. */
nb_tensor *nb_huber_loss(nb_tensor *x, nb_tensor *y, nb_huber_opts o);

typedef struct {
    nb_reduction reduction;
    nb_tensor *weight;
} nb_bce_opts;
/* -w (y log x + (1 - y) log(1 - x)), logs clamped at -100 like torch; x in [0, 1]. */
nb_tensor *nb_binary_cross_entropy(nb_tensor *x, nb_tensor *y, nb_bce_opts o);

typedef struct {
    nb_reduction reduction;
    nb_tensor *weight;
    nb_tensor *pos_weight;
} nb_bce_logits_opts;
/* -w (p y log s(x) + (1 - y) log(1 - s(x))), s = sigmoid, p = pos_weight (broadcast over the last
 * dim), computed stably as (1 - y) x + (1 + (p - 1) y) softplus(-x). */
nb_tensor *nb_binary_cross_entropy_with_logits(nb_tensor *x, nb_tensor *y, nb_bce_logits_opts o);

typedef struct {
    nb_reduction reduction;
    nb_tensor *weight;      /* per-class weight (C), or NULL */
    bool has_ignore_index;  /* false: torch's default ignore_index -100 */
    int64_t ignore_index;   /* targets equal to it contribute 0 (and no weight to the mean) */
    double label_smoothing; /* in [0, 1]: target = (1 - ls) onehot + ls / C */
} nb_cross_entropy_opts;
/* Set ignore_index in an options literal: (nb_cross_entropy_opts){ NB_IGNORE_INDEX(0) }. */
#define NB_IGNORE_INDEX(i) .has_ignore_index = true, .ignore_index = (i)
/* F.cross_entropy: x logits (N, C), (N, C, d...) or (C); y class indices (i64, shape (N), (N, d...)
 * or ()) or class probabilities (float, x's shape). Index mean = sum(w_y l) / sum(w_y) over
 * non-ignored targets, as torch 1.13 (label smoothing included). */
nb_tensor *nb_cross_entropy(nb_tensor *x, nb_tensor *y, nb_cross_entropy_opts o);

typedef struct {
    nb_reduction reduction;
    nb_tensor *weight;
    bool has_ignore_index;
    int64_t ignore_index;
} nb_nll_loss_opts;
/* F.nll_loss: l = -w_y logp[y] on log-probabilities (N, C), (N, C, d...) or (C); i64 targets. */
nb_tensor *nb_nll_loss(nb_tensor *logp, nb_tensor *y, nb_nll_loss_opts o);

typedef struct {
    nb_reduction reduction;
    double margin;
} nb_hinge_embedding_opts;
/* y = 1: x; y = -1: max(0, margin - x). margin 0 means torch's 1.0. */
nb_tensor *nb_hinge_embedding_loss(nb_tensor *x, nb_tensor *y, nb_hinge_embedding_opts o);

typedef struct {
    nb_reduction reduction;
    int p;
    double margin;
    nb_tensor *weight;
} nb_multi_margin_opts;
/* l_i = sum_{j != y_i} w_{y_i} max(0, margin - x[y_i] + x[j])^p / C; p 1 (default, 0) or 2;
 * margin 0 means torch's 1.0; x (N, C) or (C), y i64 (N) or (). */
nb_tensor *nb_multi_margin_loss(nb_tensor *x, nb_tensor *y, nb_multi_margin_opts o);

/* L2 regularization as a penalty term: (lambda / 2) sum_i ||params[i]||^2, to add to the loss.
 * Its gradient lambda w is what an optimizer's weight_decay = lambda adds directly (the other form). */
nb_tensor *nb_l2_penalty(int n, nb_tensor *const *params, double lambda);

#ifdef __cplusplus
}
#endif

#include "nb_data.h"
#include "nb_checkpoint.h"
#endif
