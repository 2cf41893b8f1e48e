/* word_language_model.c — pytorch/examples word_language_model (main.py, model.py, data.py) ported
 * line by line: a corpus directory read as data.py reads it (words plus <eos> per line, ids in order
 * of first appearance over train, valid, test), batchify, an Embedding -> RNN/LSTM/GRU -> Linear model
 * with dropout (tied weights optional), or model.py's TransformerModel (Embedding * sqrt(emsize) +
 * PositionalEncoding -> causal TransformerEncoder -> Linear, log_softmax), truncated BPTT with detached
 * states (the Transformer has none), NLL loss, gradient
 * clipping and plain SGD (or AdamW), the learning rate divided by 4 when validation does not improve.
 * Same command line and printed lines as main.py; after the same --seed it draws torch's numbers
 * (init, dropout masks), so its log retraces the PyTorch run until float rounding parts them.
 * usage: word_language_model [--data DIR] [--model LSTM] [--emsize 200] [--nhid 200] [--nlayers 2]
 *          [--lr 20] [--clip 0.25] [--epochs 40] [--batch_size 20] [--bptt 35] [--dropout 0.2]
 *          [--tied] [--seed 1111] [--log-interval 200] [--save model.pt] [--nhead 2] [--dry-run]
 *          [--use-optimizer] [--accel]
 * --save writes a safetensors file (torch's state_dict names: encoder.weight, rnn.weight_ih_l0, ...; the
 * Transformer: encoder.layers.0.self_attn.in_proj_weight, ..., decoder.weight, pos_encoder.pe,
 * input_emb.weight). */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "corpus.h"

typedef struct {
    const char *data, *model, *save, *onnx;
    int emsize, nhid, nlayers, epochs, batch_size, bptt, log_interval, nhead;
    double lr, clip, dropout;
    bool tied, dry_run, use_optimizer;
    uint64_t seed;
} options;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* usage to stdout for -h / --help (msg NULL), to stderr after an error */
static int usage(const char *msg) {
    if (msg) fprintf(stderr, "word_language_model: error: %s\n", msg);
    fprintf(msg ? stderr : stdout,
            "usage: word_language_model [--data DATA] [--model MODEL] [--emsize EMSIZE] [--nhid NHID]\n"
            "         [--nlayers NLAYERS] [--lr LR] [--clip CLIP] [--epochs EPOCHS] [--batch_size N]\n"
            "         [--bptt BPTT] [--dropout DROPOUT] [--tied] [--seed SEED] [--log-interval N]\n"
            "         [--save SAVE] [--onnx-export ONNX_EXPORT] [--nhead NHEAD] [--dry-run] [--accel]\n"
            "         [--use-optimizer]\n");
    return 2;
}

static int parse(int argc, char **argv, options *o) {
    *o = (options){ .data = "./data/wikitext-2",
                    .model = "LSTM",
                    .save = "model.pt",
                    .onnx = "",
                    .emsize = 200,
                    .nhid = 200,
                    .nlayers = 2,
                    .epochs = 40,
                    .batch_size = 20,
                    .bptt = 35,
                    .log_interval = 200,
                    .nhead = 2,
                    .lr = 20,
                    .clip = 0.25,
                    .dropout = 0.2,
                    .seed = 1111 };
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *a = argv[i], *v = NULL, *eq = strchr(a, '=');
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
        if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
            usage(NULL);
            return -1;
        }
        if (!strcmp(name, "--tied")) {
            o->tied = true;
            continue;
        }
        if (!strcmp(name, "--dry-run")) {
            o->dry_run = true;
            continue;
        }
        if (!strcmp(name, "--use-optimizer")) {
            o->use_optimizer = true;
            continue;
        }
        if (!strcmp(name, "--accel")) continue; /* no accelerator: torch falls back to the CPU too */
        v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!v) return usage("an option is missing its value");
        int *ip = !strcmp(name, "--emsize")         ? &o->emsize
                  : !strcmp(name, "--nhid")         ? &o->nhid
                  : !strcmp(name, "--nlayers")      ? &o->nlayers
                  : !strcmp(name, "--epochs")       ? &o->epochs
                  : !strcmp(name, "--batch_size")   ? &o->batch_size
                  : !strcmp(name, "--bptt")         ? &o->bptt
                  : !strcmp(name, "--log-interval") ? &o->log_interval
                  : !strcmp(name, "--nhead")        ? &o->nhead
                                                    : NULL;
        double *dp = !strcmp(name, "--lr")        ? &o->lr
                     : !strcmp(name, "--clip")    ? &o->clip
                     : !strcmp(name, "--dropout") ? &o->dropout
                                                  : NULL;
        int seed;
        if (ip) {
            if (!cli_int(v, ip)) return usage("invalid int value");
        } else if (dp) {
            if (!cli_double(v, dp)) return usage("invalid float value");
        } else if (!strcmp(name, "--seed")) {
            if (!cli_int(v, &seed) || seed < 0) return usage("invalid int value");
            o->seed = (uint64_t)seed;
        } else if (!strcmp(name, "--data"))
            o->data = v;
        else if (!strcmp(name, "--model"))
            o->model = v;
        else if (!strcmp(name, "--save"))
            o->save = v;
        else if (!strcmp(name, "--onnx-export"))
            o->onnx = v;
        else
            return usage("unrecognized arguments");
    }
    if (o->emsize <= 0 || o->nhid <= 0 || o->nlayers <= 0 || o->batch_size <= 0 || o->bptt <= 0 ||
        o->log_interval <= 0)
        return usage("sizes, --bptt and --log-interval must be positive");
    return 0;
}

/* batchify: data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous() -> (nbatch, bsz) */
static nb_tensor *batchify(nb_tensor *data, int64_t bsz) {
    int64_t nbatch = data->numel / bsz;
    if (nbatch < 2) return NULL;
    nb_scope s = nb_scope_begin();
    nb_tensor *v = nb_view(nb_narrow(data, 0, 0, nbatch * bsz), 2, (int64_t[]){ bsz, nbatch });
    nb_tensor *out = nb_keep(nb_clone(nb_t(v))); /* a contiguous persistent copy; the views die here */
    nb_scope_end(s);
    return out;
}

/* ---- model.py: RNNModel ---- */
typedef struct {
    nb_module *encoder, *rnn, *decoder;
    nb_module *tf;        /* Transformer: a holder of the TransformerEncoder (child "encoder") */
    nb_tensor *pe, *mask; /* PositionalEncoding's buffer (max_len, 1, emsize); the causal mask */
    bool lstm, tied;
    double dropout;
    int64_t ntoken;
    nb_tensor *params[64];
    int np;
    nb_state_dict sd;
} rnn_model;

/* PositionalEncoding(d_model, max_len=5000).pe: pe[p, 0, 2i] = sin(p div_i), pe[p, 0, 2i+1] = cos(p div_i),
 * div_i = exp(2i * (-log(10000) / d)), in f32 as torch computes it */
static nb_tensor *positional_encoding(int64_t d, int64_t max_len) {
    nb_tensor *pe = nb_zeros(NB_F32, 3, (int64_t[]){ max_len, 1, d });
    if (!pe) return NULL;
    float *v = nb_data_f32(pe), k = (float)(-log(10000.0) / (double)d);
    for (int64_t p = 0; p < max_len; p++)
        for (int64_t i = 0; i < d; i += 2) {
            float a = (float)p * expf((float)i * k);
            v[p * d + i] = sinf(a);
            if (i + 1 < d) v[p * d + i + 1] = cosf(a);
        }
    return pe;
}

/* TransformerModel(ntoken, ninp, nhead, nhid, nlayers, dropout): nn.Transformer.__init__ (an encoder of
 * nlayers and a decoder of 6, dropout 0.1, xavier_uniform_ over both: torch draws them all, then drops the
 * decoder for a Linear), then PositionalEncoding, input_emb, decoder and init_weights, in torch's order */
static bool transformer_model_new(rnn_model *m, int64_t ntoken, const options *o) {
    if (o->emsize % o->nhead) {
        fprintf(stderr, "word_language_model: embed_dim must be divisible by num_heads\n");
        return false;
    }
    nb_module *full = nb_transformer_new(o->emsize, o->nhead, o->nlayers, 6,
                                         (nb_transformer_opts){ .dim_feedforward = o->nhid });
    m->tf = nb_module_new_ex("TransformerModel", NULL, NULL, NULL);
    if (!full || !m->tf) {
        nb_module_free(full);
        return false;
    }
    nb_module *enc = nb_module_get_submodule(full, "encoder");
    nb_status st = nb_module_register_module(m->tf, "encoder", enc); /* shared, so it outlives full */
    nb_module_free(full);
    if (st != NB_OK) return false;
    m->pe = positional_encoding(o->emsize, 5000);
    m->mask = nb_generate_square_subsequent_mask(o->bptt, NB_F32);
    m->encoder = nb_embedding_new(ntoken, o->emsize);
    m->decoder = nb_linear_new(o->emsize, ntoken, true);
    if (!m->pe || !m->mask || !m->encoder || !m->decoder) return false;
    nb_tensor *ew = m->encoder->params[0], *dw = m->decoder->params[0], *db = m->decoder->params[1];
    if (!nb_init_uniform_(ew, -0.1, 0.1) || !nb_init_zeros_(db) || !nb_init_uniform_(dw, -0.1, 0.1))
        return false;
    /* torch's order: encoder.*, decoder.weight, decoder.bias, (pos_encoder.pe), input_emb.weight */
    int ne;
    nb_tensor **ep = nb_module_parameters(enc, &ne);
    nb_state_dict esd = nb_module_state_dict(enc);
    for (int i = 0; i < ne && m->np < 60; i++) {
        char name[128];
        snprintf(name, sizeof name, "encoder.%s", esd.names[i]);
        m->params[m->np++] = ep[i];
        nb_state_dict_add(&m->sd, name, ep[i]);
    }
    nb_state_dict_free(&esd);
    if (ne > 60) {
        fprintf(stderr, "word_language_model: too many parameters for this port (--nlayers too large)\n");
        return false;
    }
    m->params[m->np++] = dw;
    m->params[m->np++] = db;
    m->params[m->np++] = ew;
    nb_state_dict_add(&m->sd, "decoder.weight", dw);
    nb_state_dict_add(&m->sd, "decoder.bias", db);
    nb_state_dict_add(&m->sd, "pos_encoder.pe", m->pe);
    nb_state_dict_add(&m->sd, "input_emb.weight", ew);
    return true;
}

static bool model_new(rnn_model *m, const char *type, int64_t ntoken, const options *o) {
    *m = (rnn_model){
        .lstm = !strcmp(type, "LSTM"), .tied = o->tied, .dropout = o->dropout, .ntoken = ntoken
    };
    if (!strcmp(type, "Transformer")) return transformer_model_new(m, ntoken, o);
    nb_rnn_opts ro = { .num_layers = o->nlayers, .dropout = o->dropout };
    m->encoder = nb_embedding_new(ntoken, o->emsize); /* draws as torch: N(0, 1), then the rnn, then Linear */
    if (!strcmp(type, "LSTM"))
        m->rnn = nb_lstm_new(o->emsize, o->nhid, ro);
    else if (!strcmp(type, "GRU"))
        m->rnn = nb_gru_new(o->emsize, o->nhid, ro);
    else {
        ro.nonlinearity = !strcmp(type, "RNN_TANH") ? "tanh" : "relu";
        m->rnn = nb_rnn_new(o->emsize, o->nhid, ro);
    }
    m->decoder = nb_linear_new(o->nhid, ntoken, true);
    if (!m->encoder || !m->rnn || !m->decoder) return false;
    nb_tensor *ew = m->encoder->params[0], *dw = o->tied ? ew : m->decoder->params[0],
              *db = m->decoder->params[1];
    /* init_weights: encoder U(-0.1, 0.1), decoder bias 0, decoder weight U(-0.1, 0.1) (tied: drawn again) */
    if (!nb_init_uniform_(ew, -0.1, 0.1) || !nb_init_zeros_(db) || !nb_init_uniform_(dw, -0.1, 0.1))
        return false;
    /* parameters() in torch's order (a tied weight once) and the state dict under torch's names */
    int nr;
    nb_tensor **rp = nb_module_parameters(m->rnn, &nr);
    nb_state_dict rsd = nb_module_state_dict(m->rnn);
    m->params[m->np++] = ew;
    nb_state_dict_add(&m->sd, "encoder.weight", ew);
    for (int i = 0; i < nr && m->np < 62; i++) {
        char name[96];
        snprintf(name, sizeof name, "rnn.%s", rsd.names[i]);
        m->params[m->np++] = rp[i];
        nb_state_dict_add(&m->sd, name, rp[i]);
    }
    nb_state_dict_free(&rsd);
    if (!o->tied) m->params[m->np++] = dw;
    m->params[m->np++] = db;
    nb_state_dict_add(&m->sd, "decoder.weight", dw);
    nb_state_dict_add(&m->sd, "decoder.bias", db);
    return true;
}

static void model_free(rnn_model *m) {
    nb_state_dict_free(&m->sd);
    nb_module_free(m->tf);
    nb_free(m->pe);
    nb_free(m->mask);
    nb_module_free(m->encoder);
    nb_module_free(m->rnn);
    nb_module_free(m->decoder);
}

static void model_train(rnn_model *m, bool on) {
    nb_module_train(m->encoder, on);
    if (m->rnn) nb_module_train(m->rnn, on);
    if (m->tf) nb_module_train(m->tf, on);
    nb_module_train(m->decoder, on);
}

/* forward(input, hidden): log_softmax(decoder(drop(rnn(drop(encoder(input)), hidden)))) as (T*B, ntoken);
 * the new states go to *hn, *cn */
/* TransformerModel.forward(src): log_softmax(decoder(encoder(pos_encoder(input_emb(src) * sqrt(ninp)),
 * mask))) with the causal mask log(tril(ones)) (0 / -inf), as (T*B, ntoken) */
static nb_tensor *transformer_forward(rnn_model *m, nb_tensor *src) {
    int64_t T = src->shape[0], d = m->encoder->params[0]->shape[1];
    bool tr = m->tf->training;
    nb_tensor *mask = m->mask->shape[0] == T ? m->mask : nb_generate_square_subsequent_mask(T, NB_F32);
    nb_tensor *x = nb_mul_scalar(nb_embedding(src, m->encoder->params[0]), sqrt((double)d));
    x = nb_dropout(nb_add(x, nb_narrow(m->pe, 0, 0, T)), m->dropout, tr);
    nb_tensor *y = NULL;
    if (nb_module_forward_ex(m->tf->children[0], NB_LIST(x, mask), NULL, 1, &y) < 0) return NULL;
    y = nb_module_forward(m->decoder, nb_reshape(y, 2, (int64_t[]){ T * src->shape[1], d }));
    return nb_log_softmax(y, -1);
}

static nb_tensor *model_forward(rnn_model *m, nb_tensor *input, nb_tensor *h, nb_tensor *c, nb_tensor **hn,
                                nb_tensor **cn) {
    if (m->tf) return transformer_forward(m, input);
    bool tr = m->rnn->training;
    nb_tensor *emb = nb_dropout(nb_embedding(input, m->encoder->params[0]), m->dropout, tr);
    nb_tensor *out = NULL;
    if (nb_rnn_forward(m->rnn, emb, h, m->lstm ? c : NULL, &out, hn, m->lstm ? cn : NULL) != NB_OK)
        return NULL;
    out = nb_dropout(out, m->dropout, tr);
    int64_t rows = out->shape[0] * out->shape[1];
    nb_tensor *w = m->tied ? m->encoder->params[0] : m->decoder->params[0];
    nb_tensor *decoded = nb_linear(nb_reshape(out, 2, (int64_t[]){ rows, out->shape[2] }), w,
                                   m->decoder->params[1]);
    return nb_log_softmax(decoded, 1);
}

/* ---- main.py ---- */
typedef struct {
    rnn_model *model;
    const options *o;
    nb_tensor *h, *c; /* the carried hidden state (persistent, detached between batches) */
    nb_optimizer *opt;
} trainer;

/* get_batch(source, i): data = source[i:i+seq_len], target = source[i+1:i+1+seq_len].view(-1) */
static int64_t get_batch(nb_tensor *src, int64_t i, int bptt, nb_tensor **data, nb_tensor **target) {
    int64_t seq_len = bptt < src->shape[0] - 1 - i ? bptt : src->shape[0] - 1 - i;
    *data = nb_narrow(src, 0, i, seq_len);
    *target = nb_reshape(nb_narrow(src, 0, i + 1, seq_len), 1, (int64_t[]){ -1 });
    return seq_len;
}

static bool init_hidden(trainer *t, int64_t bsz) {
    nb_free(t->h);
    nb_free(t->c);
    t->h = t->c = NULL;
    if (t->model->tf) return true; /* no hidden state */
    int64_t shape[3] = { t->o->nlayers, bsz, t->o->nhid };
    t->h = nb_zeros(NB_F32, 3, shape);
    t->c = t->model->lstm ? nb_zeros(NB_F32, 3, shape) : NULL;
    return t->h && (!t->model->lstm || t->c);
}

/* one forward of data (with targets) from the carried state; *hn, *cn receive the new state */
static nb_tensor *step_loss(trainer *t, nb_tensor *data, nb_tensor *targets, nb_tensor **hn, nb_tensor **cn) {
    nb_tensor *out = model_forward(t->model, data, t->h, t->c, hn, cn);
    return nb_nll_loss(out, targets, (nb_nll_loss_opts){ 0 });
}

/* repackage_hidden: the next batch starts from the new state's values, without its history (after
 * backward, which still reads the old state) */
static void carry(trainer *t, nb_tensor *hn, nb_tensor *cn) {
    if (!t->h) return;
    NB_NO_GRAD {
        nb_copy_(t->h, hn);
        if (t->c) nb_copy_(t->c, cn);
    }
}

static double evaluate(trainer *t, nb_tensor *src) {
    model_train(t->model, false);
    double total = 0;
    if (!init_hidden(t, 10)) return NAN;
    NB_NO_GRAD {
        for (int64_t i = 0; i < src->shape[0] - 1; i += t->o->bptt) {
            nb_scope s = nb_scope_begin();
            nb_tensor *data, *targets;
            int64_t len = get_batch(src, i, t->o->bptt, &data, &targets);
            nb_tensor *hn = NULL, *cn = NULL;
            total += (double)len * nb_item(step_loss(t, data, targets, &hn, &cn));
            carry(t, hn, cn);
            nb_scope_end(s);
        }
    }
    return total / (double)(src->shape[0] - 1);
}

static int train(trainer *t, nb_tensor *train_data, int epoch, double lr) {
    const options *o = t->o;
    rnn_model *m = t->model;
    model_train(m, true);
    double total = 0, start = now();
    if (!init_hidden(t, o->batch_size)) return 1;
    int64_t nb = train_data->shape[0] / o->bptt;
    int batch = 0;
    for (int64_t i = 0; i < train_data->shape[0] - 1; i += o->bptt, batch++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *data, *targets;
        get_batch(train_data, i, o->bptt, &data, &targets);
        for (int k = 0; k < m->np; k++) nb_zero_grad(m->params[k]);
        nb_tensor *hn = NULL, *cn = NULL;
        nb_tensor *loss = step_loss(t, data, targets, &hn, &cn);
        if (nb_backward(loss) != NB_OK) {
            nb_scope_end(s);
            return 1;
        }
        carry(t, hn, cn);
        nb_clip_grad_norm_(m->params, m->np, o->clip, 2.0);
        if (t->opt)
            nb_optim_step(t->opt);
        else
            NB_NO_GRAD {
                for (int k = 0; k < m->np; k++) nb_add_scaled_(m->params[k], m->params[k]->grad, -lr);
            }
        total += nb_item(loss);
        nb_scope_end(s);
        if (nb_error()) return 1;
        if (batch % o->log_interval == 0 && batch > 0) {
            double cur = total / o->log_interval, elapsed = now() - start;
            printf("| epoch %3d | %5d/%5lld batches | lr %02.2f | ms/batch %5.2f | loss %5.2f | ppl %8.2f\n",
                   epoch, batch, (long long)nb, lr, elapsed * 1000 / o->log_interval, cur, exp(cur));
            fflush(stdout);
            total = 0;
            start = now();
        }
        if (o->dry_run) break;
    }
    return 0;
}

static void rule(char ch) {
    for (int i = 0; i < 89; i++) putchar(ch);
    putchar('\n');
}

int main(int argc, char **argv) {
    options o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    const char *type = o.model;
    if (strcmp(type, "Transformer") && strcmp(type, "LSTM") && strcmp(type, "GRU") &&
        strcmp(type, "RNN_TANH") && strcmp(type, "RNN_RELU")) {
        fprintf(stderr, "word_language_model: An invalid option for `--model` was supplied, options are "
                        "['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']\n");
        return 2;
    }
    if (o.onnx[0]) {
        fprintf(stderr, "word_language_model: --onnx-export is not supported by nabla\n");
        return 2;
    }
    if (o.tied && o.nhid != o.emsize && strcmp(type, "Transformer")) {
        fprintf(stderr, "word_language_model: When using the tied flag, nhid must be equal to emsize\n");
        return 2;
    }
    nb_manual_seed(o.seed);
    printf("Using device: cpu\n");
    dictionary dict = { 0 };
    nb_tensor *tr = tokenize(&dict, o.data, "train.txt", "word_language_model"),
              *va = tokenize(&dict, o.data, "valid.txt", "word_language_model");
    nb_tensor *te = tokenize(&dict, o.data, "test.txt", "word_language_model");
    if (!tr || !va || !te) return 1;
    nb_tensor *train_data = batchify(tr, o.batch_size), *val_data = batchify(va, 10),
              *test_data = batchify(te, 10);
    rnn_model model;
    trainer t = { .model = &model, .o = &o };
    if (!train_data || !val_data || !test_data || !model_new(&model, type, dict.n, &o)) {
        fprintf(stderr, "word_language_model: %s\n", nb_error() ? nb_error() : "the corpus is too small");
        return 1;
    }
    if (o.use_optimizer) t.opt = nb_adamw(model.params, model.np, (nb_adam_opts){ .lr = o.lr });
    double lr = o.lr, best = 0;
    bool have_best = false;
    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        double t0 = now();
        if (train(&t, train_data, epoch, lr)) {
            fprintf(stderr, "word_language_model: %s\n", nb_error());
            return 1;
        }
        double val_loss = evaluate(&t, val_data);
        rule('-');
        printf("| end of epoch %3d | time: %5.2fs | valid loss %5.2f | valid ppl %8.2f\n", epoch, now() - t0,
               val_loss, exp(val_loss));
        rule('-');
        fflush(stdout);
        if (!have_best || val_loss < best) {
            if (nb_save_safetensors(&model.sd, o.save) != NB_OK) {
                fprintf(stderr, "word_language_model: %s\n", nb_error());
                return 1;
            }
            best = val_loss;
            have_best = true;
        } else {
            lr /= 4.0; /* (main.py anneals only the manual SGD step, not the AdamW optimizer) */
        }
    }
    if (have_best && nb_load_safetensors(&model.sd, o.save) != NB_OK) { /* the best model */
        fprintf(stderr, "word_language_model: %s\n", nb_error());
        return 1;
    }
    double test_loss = evaluate(&t, test_data);
    rule('=');
    printf("| End of training | test loss %5.2f | test ppl %8.2f\n", test_loss, exp(test_loss));
    rule('=');
    nb_optim_free(t.opt);
    nb_free(t.h);
    nb_free(t.c);
    model_free(&model);
    nb_free(tr), nb_free(va), nb_free(te), nb_free(train_data), nb_free(val_data), nb_free(test_data);
    dictionary_free(&dict);
    return 0;
}
