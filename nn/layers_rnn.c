/* layers_rnn.c — nn.RNN / nn.LSTM / nn.GRU (stacked, bidirectional, batch_first, dropout between
 * layers, LSTM projections) and nn.RNNCell / LSTMCell / GRUCell. Each layer and direction is one
 * fused nb_rnn_layer node; parameters carry torch's names and order and are drawn as torch draws
 * them (U(-1/sqrt(hidden), 1/sqrt(hidden)) over parameters() in order), so a seed gives torch's values. */
#include "nb_nn.h"
#include "nb_rnn.h"
#include "nb_internal.h"
#include <math.h>
#include <stdlib.h>

typedef struct {
    nb_rnn_mode mode;
    int64_t input_size, hidden_size, proj_size;
    int num_layers, dirs, nw; /* nw: parameters per layer and direction */
    bool bias, batch_first;
    double dropout;
} rnn_cfg;

static const char *const type_name[] = { "RNN", "RNN", "LSTM", "GRU" };
static const char *const cell_name[] = { "RNNCell", "RNNCell", "LSTMCell", "GRUCell" };
static int64_t gates(nb_rnn_mode m) { return m == NB_RNN_LSTM ? 4 : m == NB_RNN_GRU ? 3 : 1; }

/* new persistent (rows, cols) or (rows) f32 parameter registered as name; false on error */
static bool add_param(nb_module *m, const char *name, int64_t rows, int64_t cols) {
    nb_tensor *t = cols ? nbt_new_persistent(NB_F32, 2, (int64_t[]){ rows, cols })
                        : nbt_new_persistent(NB_F32, 1, &rows);
    if (!t) return false;
    if (nb_module_register_parameter(m, name, t) != NB_OK) {
        nb_free(t);
        return false;
    }
    return true;
}

/* torch reset_parameters: every parameter in order ~ U(-1/sqrt(hidden), 1/sqrt(hidden)) */
static bool reset(nb_module *m, int64_t hidden) {
    double stdv = 1.0 / sqrt((double)hidden);
    for (int i = 0; i < m->nparams; i++)
        if (!nb_init_uniform_(m->params[i], -stdv, stdv)) return false;
    return true;
}

static nb_tensor *cell_forward1(nb_module *m, nb_tensor *x);
static nb_tensor *rnn_forward1(nb_module *m, nb_tensor *x) {
    nb_tensor *out = NULL;
    return nb_rnn_forward(m, x, NULL, NULL, &out, NULL, NULL) == NB_OK ? out : NULL;
}

/* the general forward: (x, h0, c0) -> (output, h_n, c_n) (RNN, GRU: no c0, no c_n) */
static int rnn_forward_ex(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                          nb_tensor **out) {
    const rnn_cfg *c = m->impl;
    int nmax = c->mode == NB_RNN_LSTM ? 3 : 2;
    if (nin < 1 || nin > nmax || opts) {
        nbt_error("nb_module_forward_ex: %s takes 1 to %d inputs (x, h0%s) and no options, got %d%s", m->type,
                  nmax, nmax == 3 ? ", c0" : "", nin, opts ? " and options" : "");
        return -1;
    }
    nb_tensor *o[3] = { NULL, NULL, NULL };
    if (nb_rnn_forward(m, in[0], nin > 1 ? in[1] : NULL, nin > 2 ? in[2] : NULL, &o[0],
                       nout > 1 ? &o[1] : NULL, nout > 2 && nmax == 3 ? &o[2] : NULL) != NB_OK)
        return -1;
    int k = nout < nmax ? nout : nmax;
    for (int i = 0; i < k; i++) out[i] = o[i];
    return k;
}

/* torch's RNNBase.extra_repr: "10, 20, num_layers=2, batch_first=True, ..." */
static void rnn_repr(const nb_module *m, char *b, size_t n) {
    const rnn_cfg *c = m->impl;
    size_t k = (size_t)snprintf(b, n, "%lld, %lld", (long long)c->input_size, (long long)c->hidden_size);
    if (c->proj_size && k < n)
        k += (size_t)snprintf(b + k, n - k, ", proj_size=%lld", (long long)c->proj_size);
    if (c->num_layers != 1 && k < n) k += (size_t)snprintf(b + k, n - k, ", num_layers=%d", c->num_layers);
    if (!c->bias && k < n) k += (size_t)snprintf(b + k, n - k, ", bias=False");
    if (c->batch_first && k < n) k += (size_t)snprintf(b + k, n - k, ", batch_first=True");
    if (c->dropout != 0 && k < n) k += (size_t)snprintf(b + k, n - k, ", dropout=%g", c->dropout);
    if (c->dirs == 2 && k < n) snprintf(b + k, n - k, ", bidirectional=True");
}

static nb_module *rnn_new(nb_rnn_mode mode, int64_t input_size, int64_t hidden_size, nb_rnn_opts o,
                          const char *op) {
    int L = o.num_layers ? o.num_layers : 1;
    if (input_size <= 0 || hidden_size <= 0 || L < 0)
        return nbt_error("%s: input_size, hidden_size and num_layers must be positive (got %lld, %lld, %d)",
                         op, (long long)input_size, (long long)hidden_size, o.num_layers);
    if (!(o.dropout >= 0 && o.dropout <= 1))
        return nbt_error(
            "%s: dropout should be a number in range [0, 1] representing the probability of an element "
            "being zeroed (got %g)",
            op, o.dropout);
    if (o.proj_size < 0)
        return nbt_error("%s: proj_size should be a positive integer or zero to disable projections", op);
    if (o.proj_size && mode != NB_RNN_LSTM)
        return nbt_error("%s: proj_size argument is only supported for LSTM, not RNN or GRU", op);
    if (o.proj_size >= hidden_size) return nbt_error("%s: proj_size has to be smaller than hidden_size", op);
    if (o.nonlinearity && mode != NB_RNN_TANH)
        return nbt_error("%s: nonlinearity is an option of nn.RNN only", op);
    if (o.nonlinearity && strcmp(o.nonlinearity, "tanh") && strcmp(o.nonlinearity, "relu"))
        return nbt_error("%s: Unknown nonlinearity '%s'", op, o.nonlinearity);
    if (o.nonlinearity && !strcmp(o.nonlinearity, "relu")) mode = NB_RNN_RELU;
    rnn_cfg *c = calloc(1, sizeof *c);
    if (!c) return nbt_error("%s: out of memory", op);
    *c = (rnn_cfg){ mode, input_size, hidden_size,   o.proj_size, L, o.bidirectional ? 2 : 1,
                    0,    !o.no_bias, o.batch_first, o.dropout };
    c->nw = 2 + (c->bias ? 2 : 0) + (o.proj_size ? 1 : 0);
    nb_module *m = nb_module_new(type_name[mode], rnn_forward1, c, free);
    if (!m) {
        free(c);
        return NULL;
    }
    m->forward_ex = rnn_forward_ex;
    m->extra_repr = rnn_repr;
    int64_t G = gates(mode) * hidden_size, P = o.proj_size ? o.proj_size : hidden_size;
    bool ok = true;
    for (int l = 0; l < L && ok; l++)
        for (int d = 0; d < c->dirs && ok; d++) {
            char name[64];
            const char *sfx = d ? "_reverse" : "";
            int64_t in = l ? P * c->dirs : input_size;
            snprintf(name, sizeof name, "weight_ih_l%d%s", l, sfx);
            ok = add_param(m, name, G, in);
            snprintf(name, sizeof name, "weight_hh_l%d%s", l, sfx);
            ok = ok && add_param(m, name, G, P);
            if (c->bias) {
                snprintf(name, sizeof name, "bias_ih_l%d%s", l, sfx);
                ok = ok && add_param(m, name, G, 0);
                snprintf(name, sizeof name, "bias_hh_l%d%s", l, sfx);
                ok = ok && add_param(m, name, G, 0);
            }
            if (o.proj_size) {
                snprintf(name, sizeof name, "weight_hr_l%d%s", l, sfx);
                ok = ok && add_param(m, name, o.proj_size, hidden_size);
            }
        }
    if (!ok || !reset(m, hidden_size)) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}

nb_module *nb_rnn_new(int64_t input_size, int64_t hidden_size, nb_rnn_opts o) {
    return rnn_new(NB_RNN_TANH, input_size, hidden_size, o, "nb_rnn_new");
}
nb_module *nb_lstm_new(int64_t input_size, int64_t hidden_size, nb_rnn_opts o) {
    return rnn_new(NB_RNN_LSTM, input_size, hidden_size, o, "nb_lstm_new");
}
nb_module *nb_gru_new(int64_t input_size, int64_t hidden_size, nb_rnn_opts o) {
    return rnn_new(NB_RNN_GRU, input_size, hidden_size, o, "nb_gru_new");
}

/* the module's config, or NULL + error if m is not an RNN/LSTM/GRU */
static const rnn_cfg *cfg_of(const nb_module *m, bool cell, const char *op) {
    if (!m) return nbt_error("%s: NULL module (did its constructor fail? see nb_error())", op);
    const char *const *names = cell ? cell_name : type_name;
    for (int k = 0; k < 4; k++)
        if (!strcmp(m->type, names[k]) && m->forward == (cell ? cell_forward1 : rnn_forward1)) return m->impl;
    return nbt_error("%s: expects a module made by %s, got %s", op,
                     cell ? "nb_rnn_cell_new / nb_lstm_cell_new / nb_gru_cell_new"
                          : "nb_rnn_new / nb_lstm_new / nb_gru_new",
                     m->type);
}

/* hx must have exactly shape (a, b, c) (torch's check_hidden_size) */
static bool hidden_ok(const nb_tensor *hx, int nd, const int64_t *want, const char *msg, const char *op,
                      const char *type) {
    bool same = hx->ndim == nd;
    for (int i = 0; same && i < nd; i++) same = hx->shape[i] == want[i];
    if (same) return true;
    char got[128];
    size_t k = (size_t)snprintf(got, sizeof got, "[");
    for (int i = 0; i < hx->ndim && k < sizeof got; i++)
        k += (size_t)snprintf(got + k, sizeof got - k, "%s%lld", i ? ", " : "", (long long)hx->shape[i]);
    if (k < sizeof got) snprintf(got + k, sizeof got - k, "]");
    nbt_error("%s: %s: %s %s, got %s", op, type, msg, nbt_shape_of(nd, want), got);
    return false;
}

nb_status nb_rnn_forward(nb_module *m, nb_tensor *x, nb_tensor *h0, nb_tensor *c0, nb_tensor **out,
                         nb_tensor **h_n, nb_tensor **c_n) {
    NBT_API("nb_rnn_forward");
    const char *op = "nb_rnn_forward";
    if (out) *out = NULL;
    if (h_n) *h_n = NULL;
    if (c_n) *c_n = NULL;
    const rnn_cfg *c = cfg_of(m, false, op);
    if (!c) return NB_ERROR;
    if (!x) {
        if (!nb_error()) nbt_error("%s: input is NULL (an earlier op failed?)", op);
        return NB_ERROR;
    }
    if (!nbt_ok(x, op) || (h0 && !nbt_ok(h0, op)) || (c0 && !nbt_ok(c0, op))) return NB_ERROR;
    const char *type = m->type;
    bool lstm = c->mode == NB_RNN_LSTM;
    if (c0 && !lstm) {
        nbt_error("%s: %s takes no cell state c0", op, type);
        return NB_ERROR;
    }
    if (x->ndim != 2 && x->ndim != 3) {
        nbt_error("%s: %s: input must have 3 dimensions (or 2 unbatched), got %s", op, type, nbt_shape(x));
        return NB_ERROR;
    }
    bool batched = x->ndim == 3;
    for (int k = 0; k < 2; k++) {
        const nb_tensor *hx = k ? c0 : h0;
        if (hx && hx->ndim != x->ndim) {
            nbt_error("%s: %s: For %s input, hx should also be %d-D but got %d-D tensor", op, type,
                      batched ? "batched 3-D" : "unbatched 2-D", x->ndim, hx->ndim);
            return NB_ERROR;
        }
    }
    if (x->shape[x->ndim - 1] != c->input_size) {
        nbt_error("%s: %s: input.size(-1) must be equal to input_size. Expected %lld, got %lld", op, type,
                  (long long)c->input_size, (long long)x->shape[x->ndim - 1]);
        return NB_ERROR;
    }
    for (int k = 0; k < 3; k++) {
        const nb_tensor *t = k == 0 ? x : k == 1 ? h0 : c0;
        if (t && t->dtype != m->params[0]->dtype) {
            nbt_error(
                "%s: %s: %s has dtype %s but the parameters are %s (mat1 and mat2 must have the same dtype); "
                "convert with nb_to or nb_module_to",
                op, type,
                k == 0   ? "input"
                : k == 1 ? "h0"
                         : "c0",
                nb_dtype_name(t->dtype), nb_dtype_name(m->params[0]->dtype));
            return NB_ERROR;
        }
    }
    /* work in (T, B, I): unbatched input gets B = 1, batch_first is a transposed view */
    if (!batched) {
        x = nb_unsqueeze(x, 1);
        if (h0) h0 = nb_unsqueeze(h0, 1);
        if (c0) c0 = nb_unsqueeze(c0, 1);
    } else if (c->batch_first) {
        x = nb_transpose(x, 0, 1);
    }
    if (!x) return NB_ERROR;
    int64_t P = c->proj_size ? c->proj_size : c->hidden_size, B = x->shape[1],
            LD = (int64_t)c->num_layers * c->dirs;
    if (h0 && !hidden_ok(h0, 3, (int64_t[]){ LD, B, P },
                         lstm ? "Expected hidden[0] size" : "Expected hidden size", op, type))
        return NB_ERROR;
    if (c0 && !hidden_ok(c0, 3, (int64_t[]){ LD, B, c->hidden_size }, "Expected hidden[1] size", op, type))
        return NB_ERROR;
    if (x->shape[0] == 0) {
        nbt_error("%s: %s: Expected sequence length to be larger than 0 in RNN", op, type);
        return NB_ERROR;
    }
    nb_tensor *hs[2 * 64], *cs[2 * 64];
    if (LD > 128) {
        nbt_error("%s: %s: at most 64 layers are supported (got %d)", op, type, c->num_layers);
        return NB_ERROR;
    }
    nb_tensor *layer_in = x;
    for (int l = 0; l < c->num_layers && layer_in; l++) {
        nb_tensor *outs[2] = { NULL, NULL };
        for (int d = 0; d < c->dirs; d++) {
            int k = l * c->dirs + d;
            nb_tensor **p = m->params + k * c->nw;
            nb_rnn_weights w = { p[0], p[1], c->bias ? p[2] : NULL, c->bias ? p[3] : NULL,
                                 c->proj_size ? p[c->nw - 1] : NULL };
            if (nb_rnn_layer(c->mode, layer_in, h0 ? nb_select(h0, 0, k) : NULL,
                             c0 ? nb_select(c0, 0, k) : NULL, w, d == 1, &outs[d], &hs[k],
                             lstm ? &cs[k] : NULL) != NB_OK)
                return NB_ERROR;
        }
        layer_in = c->dirs == 2 ? nb_cat(2, outs, 2) : outs[0];
        if (c->dropout > 0 && m->training && l < c->num_layers - 1)
            layer_in = nb_dropout(layer_in, c->dropout, true);
    }
    nb_tensor *o = layer_in;
    nb_tensor *hn = h_n ? nb_stack((int)LD, hs, 0) : NULL,
              *cn = c_n && lstm ? nb_stack((int)LD, cs, 0) : NULL;
    if (!batched) {
        o = nb_squeeze(o, 1);
        if (hn) hn = nb_squeeze(hn, 1);
        if (cn) cn = nb_squeeze(cn, 1);
    } else if (c->batch_first) {
        o = nb_transpose(o, 0, 1);
    }
    if (!o || (h_n && !hn) || (c_n && lstm && !cn)) return NB_ERROR;
    if (out) *out = o;
    if (h_n) *h_n = hn;
    if (c_n) *c_n = cn;
    return NB_OK;
}

/* ---- cells ---- */
static nb_tensor *cell_forward1(nb_module *m, nb_tensor *x) {
    return nb_rnn_cell_forward(m, x, NULL, NULL, NULL);
}

/* the general forward: (x, h, c) -> (h', c') (RNNCell, GRUCell: (x, h) -> h') */
static int cell_forward_ex(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                           nb_tensor **out) {
    const rnn_cfg *c = m->impl;
    int nmax = c->mode == NB_RNN_LSTM ? 3 : 2;
    if (nin < 1 || nin > nmax || opts) {
        nbt_error("nb_module_forward_ex: %s takes 1 to %d inputs (x, h%s) and no options, got %d%s", m->type,
                  nmax, nmax == 3 ? ", c" : "", nin, opts ? " and options" : "");
        return -1;
    }
    nb_tensor *c2 = NULL;
    nb_tensor *h = nb_rnn_cell_forward(m, in[0], nin > 1 ? in[1] : NULL, nin > 2 ? in[2] : NULL, &c2);
    if (!h) return -1;
    out[0] = h;
    if (nmax == 3 && nout > 1) {
        out[1] = c2;
        return 2;
    }
    return 1;
}

/* torch's RNNCellBase.extra_repr: "10, 20", then bias=False, nonlinearity=relu */
static void cell_repr(const nb_module *m, char *b, size_t n) {
    const rnn_cfg *c = m->impl;
    size_t k = (size_t)snprintf(b, n, "%lld, %lld", (long long)c->input_size, (long long)c->hidden_size);
    if (!c->bias && k < n) k += (size_t)snprintf(b + k, n - k, ", bias=False");
    if (c->mode == NB_RNN_RELU && k < n) snprintf(b + k, n - k, ", nonlinearity=relu");
}

static nb_module *cell_new(nb_rnn_mode mode, int64_t input_size, int64_t hidden_size, bool bias,
                           const char *op) {
    if (input_size <= 0 || hidden_size <= 0)
        return nbt_error("%s: input_size and hidden_size must be positive (got %lld, %lld)", op,
                         (long long)input_size, (long long)hidden_size);
    rnn_cfg *c = calloc(1, sizeof *c);
    if (!c) return nbt_error("%s: out of memory", op);
    *c = (rnn_cfg){ mode, input_size, hidden_size, 0, 1, 1, bias ? 4 : 2, bias, false, 0 };
    nb_module *m = nb_module_new(cell_name[mode], cell_forward1, c, free);
    if (!m) {
        free(c);
        return NULL;
    }
    m->forward_ex = cell_forward_ex;
    m->extra_repr = cell_repr;
    int64_t G = gates(mode) * hidden_size;
    bool ok = add_param(m, "weight_ih", G, input_size) && add_param(m, "weight_hh", G, hidden_size);
    if (bias) ok = ok && add_param(m, "bias_ih", G, 0) && add_param(m, "bias_hh", G, 0);
    if (!ok || !reset(m, hidden_size)) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}

nb_module *nb_rnn_cell_new(int64_t input_size, int64_t hidden_size, bool bias, const char *nonlinearity) {
    if (nonlinearity && strcmp(nonlinearity, "tanh") && strcmp(nonlinearity, "relu"))
        return nbt_error("nb_rnn_cell_new: Unknown nonlinearity: %s", nonlinearity);
    bool relu = nonlinearity && !strcmp(nonlinearity, "relu");
    return cell_new(relu ? NB_RNN_RELU : NB_RNN_TANH, input_size, hidden_size, bias, "nb_rnn_cell_new");
}
nb_module *nb_lstm_cell_new(int64_t input_size, int64_t hidden_size, bool bias) {
    return cell_new(NB_RNN_LSTM, input_size, hidden_size, bias, "nb_lstm_cell_new");
}
nb_module *nb_gru_cell_new(int64_t input_size, int64_t hidden_size, bool bias) {
    return cell_new(NB_RNN_GRU, input_size, hidden_size, bias, "nb_gru_cell_new");
}

nb_tensor *nb_rnn_cell_forward(nb_module *m, nb_tensor *x, nb_tensor *h, nb_tensor *c, nb_tensor **c_out) {
    NBT_API("nb_rnn_cell_forward");
    const char *op = "nb_rnn_cell_forward";
    if (c_out) *c_out = NULL;
    const rnn_cfg *cf = cfg_of(m, true, op);
    if (!cf || !x) return NULL;
    if (!nbt_ok(x, op) || (h && !nbt_ok(h, op)) || (c && !nbt_ok(c, op))) return NULL;
    bool lstm = cf->mode == NB_RNN_LSTM;
    if (c && !lstm) return nbt_error("%s: %s takes no cell state", op, m->type);
    if (x->ndim != 1 && x->ndim != 2)
        return nbt_error("%s: %s: Expected input to be 1-D or 2-D but received %d-D tensor", op, m->type,
                         x->ndim);
    for (int k = 0; k < 3; k++) {
        const nb_tensor *t = k == 0 ? x : k == 1 ? h : c;
        if (t && t->dtype != m->params[0]->dtype)
            return nbt_error(
                "%s: %s: %s has dtype %s but the parameters are %s (mat1 and mat2 must have the same "
                "dtype); convert with nb_to or nb_module_to",
                op, m->type,
                k == 0   ? "input"
                : k == 1 ? "h"
                         : "c",
                nb_dtype_name(t->dtype), nb_dtype_name(m->params[0]->dtype));
    }
    bool batched = x->ndim == 2;
    if (!batched) {
        x = nb_unsqueeze(x, 0);
        if (h) h = nb_unsqueeze(h, 0);
        if (c) c = nb_unsqueeze(c, 0);
    }
    if (x && x->shape[1] != cf->input_size)
        return nbt_error("%s: %s: input has inconsistent input_size: got %lld expected %lld", op, m->type,
                         (long long)x->shape[1], (long long)cf->input_size);
    nb_tensor *const st[2] = { h, c };
    for (int k = 0; k < 2; k++) {
        const nb_tensor *s = st[k];
        if (!s) continue;
        if (s->ndim != 2 || s->shape[0] != x->shape[0])
            return nbt_error("%s: %s: Input batch size %lld doesn't match hidden%d batch size %lld", op,
                             m->type, (long long)x->shape[0], k, (long long)(s->ndim ? s->shape[0] : 1));
        if (s->shape[1] != cf->hidden_size)
            return nbt_error("%s: %s: hidden%d has inconsistent hidden_size: got %lld, expected %lld", op,
                             m->type, k, (long long)s->shape[1], (long long)cf->hidden_size);
    }
    if (!h) h = nb_zeros(x->dtype, 2, (int64_t[]){ x->shape[0], cf->hidden_size });
    if (lstm && !c) c = nb_zeros(x->dtype, 2, (int64_t[]){ x->shape[0], cf->hidden_size });
    nb_tensor **p = m->params;
    nb_tensor *bi = cf->bias ? p[2] : NULL, *bh = cf->bias ? p[3] : NULL, *y, *c2 = NULL;
    switch (cf->mode) {
    case NB_RNN_TANH: y = nb_rnn_tanh_cell(x, h, p[0], p[1], bi, bh); break;
    case NB_RNN_RELU: y = nb_rnn_relu_cell(x, h, p[0], p[1], bi, bh); break;
    case NB_RNN_GRU: y = nb_gru_cell(x, h, p[0], p[1], bi, bh); break;
    case NB_RNN_LSTM:
    default: y = nb_lstm_cell(x, h, c, p[0], p[1], bi, bh, &c2); break;
    }
    if (!batched) {
        y = nb_squeeze(y, 0);
        c2 = c2 ? nb_squeeze(c2, 0) : NULL;
    }
    if (!y || (lstm && !c2)) return NULL;
    if (c_out) *c_out = c2;
    return y;
}
