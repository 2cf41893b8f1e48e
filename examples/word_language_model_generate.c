/* word_language_model_generate.c — pytorch/examples word_language_model/generate.py ported: loads a
 * checkpoint written by word_language_model --save (safetensors under torch's state_dict names), reads
 * the corpus's dictionary as data.py does, and samples --words words one at a time, each drawn by
 * multinomial from exp(log_softmax(output) / temperature), with the same first word (torch.randint)
 * and the same draws as torch after the same --seed. Same command line, output file and printed lines.
 * usage: word_language_model_generate [--data DIR] [--checkpoint ./model.pt] [--outf generated.txt]
 *          [--words 1000] [--seed 1111] [--temperature 1.0] [--log-interval 100] [--accel]
 *          [--model RNN_RELU]
 * The model's kind and sizes are read from the checkpoint's tensor shapes (torch pickles the whole
 * model instead); a one-gate RNN is taken as RNN_TANH unless --model RNN_RELU (not in generate.py). */
#include <nabla.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "corpus.h"

typedef struct {
    const char *data, *checkpoint, *outf, *model;
    int words, seed, log_interval;
    double temperature;
} options;

/* usage to stdout for -h / --help (msg NULL), to stderr after an error */
static int usage(const char *msg) {
    if (msg) fprintf(stderr, "word_language_model_generate: error: %s\n", msg);
    fprintf(msg ? stderr : stdout,
            "usage: word_language_model_generate [-h] [--data DATA] [--checkpoint CHECKPOINT]\n"
            "         [--outf OUTF] [--words WORDS] [--seed SEED] [--temperature TEMPERATURE]\n"
            "         [--log-interval LOG_INTERVAL] [--accel] [--model RNN_TANH|RNN_RELU]\n");
    return 2;
}

static int parse(int argc, char **argv, options *o) {
    *o = (options){ .data = "./data/wikitext-2",
                    .checkpoint = "./model.pt",
                    .outf = "generated.txt",
                    .model = "RNN_TANH",
                    .words = 1000,
                    .seed = 1111,
                    .log_interval = 100,
                    .temperature = 1.0 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(NULL);
            return -1;
        }
        if (!strcmp(a, "--accel")) continue; /* no accelerator: torch falls back to the CPU too */
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) return usage("an option is missing its value");
        bool ok = true;
        if (!strcmp(a, "--data"))
            o->data = v;
        else if (!strcmp(a, "--checkpoint"))
            o->checkpoint = v;
        else if (!strcmp(a, "--outf"))
            o->outf = v;
        else if (!strcmp(a, "--model"))
            o->model = v;
        else if (!strcmp(a, "--words"))
            ok = cli_int(v, &o->words);
        else if (!strcmp(a, "--seed"))
            ok = cli_int(v, &o->seed) && o->seed >= 0;
        else if (!strcmp(a, "--log-interval"))
            ok = cli_int(v, &o->log_interval) && o->log_interval > 0;
        else if (!strcmp(a, "--temperature"))
            ok = cli_double(v, &o->temperature);
        else
            return usage("unrecognized arguments");
        if (!ok) return usage("invalid value");
    }
    if (o->temperature < 1e-3) return usage("--temperature has to be greater or equal 1e-3.");
    if (strcmp(o->model, "RNN_TANH") && strcmp(o->model, "RNN_RELU"))
        return usage("--model only tells a one-gate RNN's nonlinearity: RNN_TANH or RNN_RELU");
    return 0;
}

typedef struct {
    nb_module *encoder, *rnn, *decoder;
    bool lstm;
    int64_t ntoken, nlayers, nhid;
} rnn_model;

/* the RNNModel whose parameters the checkpoint holds (kind and sizes from their shapes), loaded */
static bool model_load(rnn_model *m, const char *path, const char *rnn_type) {
    nb_state_dict ck = { 0 }, sd = { 0 };
    *m = (rnn_model){ 0 };
    if (nb_safetensors_read(path, &ck) != NB_OK) return false;
    nb_tensor *ew = nb_state_dict_get(&ck, "encoder.weight"),
              *hh = nb_state_dict_get(&ck, "rnn.weight_hh_l0");
    bool ok = ew && hh && ew->ndim == 2 && hh->ndim == 2 && hh->shape[1] > 0;
    if (!ok)
        fprintf(stderr, "word_language_model_generate: %s is not a word_language_model checkpoint\n", path);
    for (char name[64]; ok; m->nlayers++) {
        snprintf(name, sizeof name, "rnn.weight_ih_l%lld", (long long)m->nlayers);
        if (!nb_state_dict_get(&ck, name)) break;
    }
    if (ok) {
        m->ntoken = ew->shape[0], m->nhid = hh->shape[1];
        int64_t gates = hh->shape[0] / m->nhid, emsize = ew->shape[1];
        nb_rnn_opts ro = { .num_layers = (int)m->nlayers };
        if (gates == 1) ro.nonlinearity = strcmp(rnn_type, "RNN_RELU") ? "tanh" : "relu";
        m->lstm = gates == 4;
        m->encoder = nb_embedding_new(m->ntoken, emsize);
        m->rnn = gates == 4   ? nb_lstm_new(emsize, m->nhid, ro)
                 : gates == 3 ? nb_gru_new(emsize, m->nhid, ro)
                              : nb_rnn_new(emsize, m->nhid, ro);
        m->decoder = nb_linear_new(m->nhid, m->ntoken, true);
        ok = m->encoder && m->rnn && m->decoder;
    }
    if (ok) { /* the model's state dict under torch's names, then a strict load */
        nb_state_dict rsd = nb_module_state_dict(m->rnn);
        nb_state_dict_add(&sd, "encoder.weight", m->encoder->params[0]);
        for (int i = 0; i < rsd.n; i++) {
            char name[96];
            snprintf(name, sizeof name, "rnn.%s", rsd.names[i]);
            nb_state_dict_add(&sd, name, rsd.tensors[i]);
        }
        nb_state_dict_free(&rsd);
        nb_state_dict_add(&sd, "decoder.weight", m->decoder->params[0]);
        nb_state_dict_add(&sd, "decoder.bias", m->decoder->params[1]);
        ok = nb_load_safetensors(&sd, path) == NB_OK;
    }
    nb_state_dict_free(&sd);
    nb_safetensors_free(&ck);
    nb_module_eval(m->rnn);
    return ok;
}

static void model_free(rnn_model *m) {
    nb_module_free(m->encoder);
    nb_module_free(m->rnn);
    nb_module_free(m->decoder);
}

/* output, hidden = model(input, hidden): log_softmax(decoder(rnn(encoder(input), hidden))), eval mode;
 * the state (*h, *c) is replaced by the new one */
static nb_tensor *model_step(rnn_model *m, nb_tensor *input, nb_tensor **h, nb_tensor **c) {
    nb_tensor *out = NULL, *hn = NULL, *cn = NULL;
    nb_tensor *emb = nb_embedding(input, m->encoder->params[0]);
    if (nb_rnn_forward(m->rnn, emb, *h, m->lstm ? *c : NULL, &out, &hn, m->lstm ? &cn : NULL) != NB_OK)
        return NULL;
    *h = hn, *c = cn;
    nb_tensor *dec = nb_linear(nb_reshape(out, 2, (int64_t[]){ 1, m->nhid }), m->decoder->params[0],
                               m->decoder->params[1]);
    return nb_log_softmax(dec, 1);
}

int main(int argc, char **argv) {
    options o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    rnn_model m;
    if (!model_load(&m, o.checkpoint, o.model)) { /* (module construction draws; torch.load does not) */
        if (nb_error()) fprintf(stderr, "word_language_model_generate: %s\n", nb_error());
        model_free(&m);
        return 1;
    }
    nb_manual_seed((uint64_t)o.seed);
    dictionary dict = { 0 };
    const char *prog = "word_language_model_generate";
    nb_tensor *files[3] = { tokenize(&dict, o.data, "train.txt", prog),
                            tokenize(&dict, o.data, "valid.txt", prog),
                            tokenize(&dict, o.data, "test.txt", prog) };
    FILE *outf = files[0] && files[1] && files[2] ? fopen(o.outf, "w") : NULL;
    if (files[0] && files[1] && files[2] && !outf)
        fprintf(stderr, "word_language_model_generate: cannot write %s\n", o.outf);
    if (outf && dict.n != m.ntoken) {
        fprintf(stderr, "word_language_model_generate: the corpus has %lld words, the checkpoint %lld\n",
                (long long)dict.n, (long long)m.ntoken);
        fclose(outf);
        outf = NULL;
    }
    if (outf) {
        rc = 0;
        NB_NO_GRAD {
            nb_scope s = nb_scope_begin();
            int64_t shape[3] = { m.nlayers, 1, m.nhid };
            nb_tensor *h = nb_zeros(NB_F32, 3, shape), *c = m.lstm ? nb_zeros(NB_F32, 3, shape) : NULL;
            nb_tensor *input = nb_randint(0, m.ntoken, 2, (int64_t[]){ 1, 1 });
            for (int i = 0; i < o.words && !rc; i++) {
                nb_scope step = nb_scope_begin();
                nb_tensor *h_old = h, *c_old = c;
                nb_tensor *output = model_step(&m, input, &h, &c);
                nb_tensor *weights = nb_exp(nb_div_scalar(nb_squeeze_all(output), o.temperature));
                nb_tensor *idx = nb_multinomial(weights, 1, false);
                int64_t word = idx ? (int64_t)nb_item(idx) : -1;
                if (word < 0 || !nb_fill_(input, (double)word)) {
                    rc = 1;
                } else {
                    fprintf(outf, "%s%c", dict.words[word], i % 20 == 19 ? '\n' : ' ');
                    if (i % o.log_interval == 0) printf("| Generated %d/%d words\n", i, o.words);
                }
                h = nb_keep(h), c = m.lstm ? nb_keep(c) : NULL; /* the state outlives the step's scope */
                nb_scope_end(step);
                if (h != h_old) nb_free(h_old), nb_free(c_old);
            }
            nb_scope_end(s);
        }
        fclose(outf);
    } else {
        rc = 1;
    }
    if (rc && nb_error()) fprintf(stderr, "word_language_model_generate: %s\n", nb_error());
    for (int k = 0; k < 3; k++) nb_free(files[k]);
    dictionary_free(&dict);
    model_free(&m);
    return rc;
}
