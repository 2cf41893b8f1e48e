/* char_gpt.c — a character-level GPT as nanoGPT's model.py and train.py (shakespeare_char): token +
 * position embedding, pre-norm blocks of causal self-attention and a GELU MLP, a final LayerNorm and a
 * head tied to the token embedding; AdamW with weight decay on the 2-D weights only, cosine learning
 * rate with linear warmup, gradient clipping at 1.0, random batches drawn as torch.randint draws them;
 * then sampling with temperature and top-k. Its PyTorch twin is bench/torch_char_gpt.py: after the same
 * --seed both draw the same init, batches and dropout masks, so their loss lines agree to rounding.
 * usage: char_gpt [--data FILE] [--n_layer 6] [--n_head 6] [--n_embd 384] [--block_size 256]
 *          [--batch_size 12] [--max_iters 100] [--learning_rate 1e-3] [--min_lr 1e-4] [--warmup_iters 10]
 *          [--lr_decay_iters 100] [--weight_decay 0.1] [--beta1 0.9] [--beta2 0.99] [--grad_clip 1.0]
 *          [--dropout 0.2] [--bias] [--seed 1337] [--log_interval 1] [--eval_iters 4]
 *          [--sample_tokens 200] [--temperature 0.8] [--top_k 200] */
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"

typedef struct {
    const char *data;
    int n_layer, n_head, n_embd, block_size, batch_size, max_iters, warmup_iters, lr_decay_iters;
    int log_interval, eval_iters, sample_tokens, top_k, seed;
    double lr, min_lr, weight_decay, beta1, beta2, grad_clip, dropout, temperature;
    bool bias;
} options;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse(int argc, char **argv, options *o) {
    *o = (options){ .data = "examples/data/tinylm/train.txt",
                    .n_layer = 6,
                    .n_head = 6,
                    .n_embd = 384,
                    .block_size = 256,
                    .batch_size = 12,
                    .max_iters = 100,
                    .warmup_iters = 10,
                    .lr_decay_iters = 100,
                    .log_interval = 1,
                    .eval_iters = 4,
                    .sample_tokens = 200,
                    .top_k = 200,
                    .seed = 1337,
                    .lr = 1e-3,
                    .min_lr = 1e-4,
                    .weight_decay = 0.1,
                    .beta1 = 0.9,
                    .beta2 = 0.99,
                    .grad_clip = 1.0,
                    .dropout = 0.2,
                    .temperature = 0.8 };
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *a = argv[i], *eq = strchr(a, '=');
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
        if (!strcmp(name, "--bias")) {
            o->bias = true;
            continue;
        }
        if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
            printf(
                "usage: char_gpt [--data FILE] [--n_layer 6] [--n_head 6] [--n_embd 384] [--block_size 256]\n"
                "                [--batch_size 12] [--dropout 0.2] [--bias] [--max_iters 100] "
                "[--learning_rate 1e-3]\n"
                "                [--min_lr 1e-4] [--warmup_iters 10] [--lr_decay_iters 100] [--weight_decay "
                "0.1]\n"
                "                [--beta1 0.9] [--beta2 0.99] [--grad_clip 1.0] [--log_interval 1] "
                "[--eval_iters 4]\n"
                "                [--sample_tokens 200] [--temperature 0.8] [--top_k 200] [--seed 1337]\n");
            exit(0);
        }
        const char *v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!v) return fprintf(stderr, "char_gpt: %s needs a value\n", name), 2;
        struct {
            const char *n;
            int *ip;
            double *dp;
        } t[] = { { "--n_layer", &o->n_layer, NULL },
                  { "--n_head", &o->n_head, NULL },
                  { "--n_embd", &o->n_embd, NULL },
                  { "--block_size", &o->block_size, NULL },
                  { "--batch_size", &o->batch_size, NULL },
                  { "--max_iters", &o->max_iters, NULL },
                  { "--warmup_iters", &o->warmup_iters, NULL },
                  { "--lr_decay_iters", &o->lr_decay_iters, NULL },
                  { "--log_interval", &o->log_interval, NULL },
                  { "--eval_iters", &o->eval_iters, NULL },
                  { "--sample_tokens", &o->sample_tokens, NULL },
                  { "--top_k", &o->top_k, NULL },
                  { "--seed", &o->seed, NULL },
                  { "--learning_rate", NULL, &o->lr },
                  { "--min_lr", NULL, &o->min_lr },
                  { "--weight_decay", NULL, &o->weight_decay },
                  { "--beta1", NULL, &o->beta1 },
                  { "--beta2", NULL, &o->beta2 },
                  { "--grad_clip", NULL, &o->grad_clip },
                  { "--dropout", NULL, &o->dropout },
                  { "--temperature", NULL, &o->temperature } };
        bool found = false;
        for (size_t k = 0; k < sizeof t / sizeof t[0] && !found; k++)
            if (!strcmp(name, t[k].n)) {
                found = true;
                if (t[k].ip ? !cli_int(v, t[k].ip) : !cli_double(v, t[k].dp))
                    return fprintf(stderr, "char_gpt: bad value for %s: %s\n", name, v), 2;
            }
        if (!found && !strcmp(name, "--data")) {
            o->data = v;
            found = true;
        }
        if (!found) return fprintf(stderr, "char_gpt: unrecognized argument %s\n", name), 2;
    }
    if (o->n_layer <= 0 || o->n_head <= 0 || o->n_embd % o->n_head || o->block_size <= 0 ||
        o->batch_size <= 0 || o->log_interval <= 0 || o->temperature <= 0)
        return fprintf(stderr, "char_gpt: bad sizes (n_embd must be divisible by n_head)\n"), 2;
    return 0;
}

/* ---- data (shakespeare_char/prepare.py): sorted characters, first 90% train, last 10% val ---- */
typedef struct {
    char chars[256];
    int vocab;
    int64_t *train, *val, ntrain, nval;
} corpus;

static bool load(corpus *c, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return fprintf(stderr, "char_gpt: cannot open %s\n", path), false;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *text = malloc((size_t)(n > 0 ? n : 1));
    bool ok = text && fread(text, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    int stoi[256] = { 0 };
    bool seen[256] = { false };
    for (long i = 0; ok && i < n; i++) seen[text[i]] = true;
    c->vocab = 0;
    for (int k = 0; k < 256; k++)
        if (seen[k]) c->chars[stoi[k] = c->vocab++] = (char)k;
    c->ntrain = (int64_t)(n * 0.9); /* int(n * 0.9) */
    c->nval = n - c->ntrain;
    c->train = malloc(sizeof(int64_t) * (size_t)(c->ntrain + 1));
    c->val = malloc(sizeof(int64_t) * (size_t)(c->nval + 1));
    ok = ok && c->train && c->val;
    for (long i = 0; ok && i < n; i++)
        *(i < c->ntrain ? &c->train[i] : &c->val[i - c->ntrain]) = stoi[text[i]];
    free(text);
    return ok;
}

/* get_batch: ix = torch.randint(len(data) - block_size, (batch_size,)); x = data[i:i+T], y = data[i+1:i+1+T] */
static void get_batch(const int64_t *data, int64_t n, const options *o, nb_tensor **x, nb_tensor **y) {
    int64_t B = o->batch_size, T = o->block_size;
    nb_tensor *ix = nb_randint(0, n - T, 1, (int64_t[]){ B });
    int64_t *xs = malloc(sizeof(int64_t) * (size_t)(B * T)), *ys = malloc(sizeof(int64_t) * (size_t)(B * T));
    for (int64_t b = 0; b < B; b++) {
        int64_t i = nb_data_i64(ix)[b];
        memcpy(xs + b * T, data + i, sizeof(int64_t) * (size_t)T);
        memcpy(ys + b * T, data + i + 1, sizeof(int64_t) * (size_t)T);
    }
    *x = nb_tensor_from(NB_I64, xs, 2, (int64_t[]){ B, T }, false);
    *y = nb_tensor_from(NB_I64, ys, 2, (int64_t[]){ B, T }, false);
    free(xs);
    free(ys);
    nb_free(ix);
}

/* ---- model.py: GPT ---- */
typedef struct {
    nb_tensor *ln1_w, *ln1_b, *attn_w, *attn_b, *aproj_w, *aproj_b, *ln2_w, *ln2_b, *fc_w, *fc_b, *mproj_w,
        *mproj_b;
} block;

typedef struct {
    nb_module *root;
    nb_tensor *wte, *wpe, *lnf_w, *lnf_b;
    block *h;
    int n_layer, n_head;
    int64_t C;
    double dropout;
} gpt;

static nb_module *container(const char *type) { return nb_module_new_ex(type, NULL, NULL, NULL); }

/* model.py's LayerNorm(ndim, bias): weight ones, bias zeros or none (no draws) */
static nb_module *layer_norm(int64_t C, bool bias) {
    nb_module *m = container("LayerNorm");
    nb_tensor *w = nb_ones(NB_F32, 1, &C), *b = bias ? nb_zeros(NB_F32, 1, &C) : NULL;
    if (!m || !w || nb_module_register_parameter(m, "weight", w) != NB_OK ||
        (b && nb_module_register_parameter(m, "bias", b) != NB_OK))
        return NULL;
    return m;
}

static bool add(nb_module *m, const char *name, nb_module *c) {
    return c && nb_module_register_module(m, name, c) == NB_OK;
}

/* _init_weights through Module.apply (children first, then the module): Linear weight ~ N(0, 0.02), bias 0;
 * Embedding weight ~ N(0, 0.02) */
static bool init_apply(nb_module *m) {
    for (int i = 0; i < m->nchildren; i++)
        if (!init_apply(m->children[i])) return false;
    if (!strcmp(m->type, "Linear")) {
        if (!nb_init_normal_(m->params[0], 0.0, 0.02)) return false;
        if (m->nparams > 1 && !nb_init_zeros_(m->params[1])) return false;
    } else if (!strcmp(m->type, "Embedding") && !nb_init_normal_(m->params[0], 0.0, 0.02))
        return false;
    return true;
}

static nb_tensor *P(gpt *g, const char *fmt, int l) {
    char name[128];
    snprintf(name, sizeof name, fmt, l);
    return nb_module_get_parameter(g->root, name);
}

/* GPT(config): construction in torch's order (each Linear / Embedding draws its default init), the tie
 * wte.weight = lm_head.weight, apply(_init_weights), then c_proj.weight ~ N(0, 0.02 / sqrt(2 n_layer)) */
static bool gpt_new(gpt *g, int vocab, const options *o) {
    *g = (gpt){ .n_layer = o->n_layer, .n_head = o->n_head, .C = o->n_embd, .dropout = o->dropout };
    int64_t C = o->n_embd;
    nb_module *root = g->root = container("GPT"), *tr = container("ModuleDict"), *h = nb_module_list_new(0);
    bool ok = root && add(root, "transformer", tr) && add(tr, "wte", nb_embedding_new(vocab, C)) &&
              add(tr, "wpe", nb_embedding_new(o->block_size, C)) &&
              add(tr, "drop", nb_dropout_new(o->dropout)) && add(tr, "h", h);
    for (int l = 0; ok && l < o->n_layer; l++) {
        nb_module *b = container("Block"), *attn = container("CausalSelfAttention"), *mlp = container("MLP");
        ok = b && add(b, "ln_1", layer_norm(C, o->bias)) && add(b, "attn", attn) &&
             add(attn, "c_attn", nb_linear_new(C, 3 * C, o->bias)) &&
             add(attn, "c_proj", nb_linear_new(C, C, o->bias)) && add(b, "ln_2", layer_norm(C, o->bias)) &&
             add(b, "mlp", mlp) && add(mlp, "c_fc", nb_linear_new(C, 4 * C, o->bias)) &&
             add(mlp, "c_proj", nb_linear_new(4 * C, C, o->bias)) && nb_module_list_append(h, b) == NB_OK;
    }
    nb_module *head = ok ? nb_linear_new(C, vocab, false) : NULL;
    ok = ok && add(tr, "ln_f", layer_norm(C, o->bias)) && add(root, "lm_head", head);
    ok = ok && nb_module_set_parameter(nb_module_get_submodule(root, "transformer.wte"), "weight",
                                       head->params[0]) == NB_OK;
    ok = ok && init_apply(root);
    if (ok) {
        nb_state_dict np = nb_module_named_parameters(root);
        double std = 0.02 / sqrt(2.0 * o->n_layer);
        for (int i = 0; ok && i < np.n; i++) {
            size_t len = strlen(np.names[i]);
            if (len >= 13 && !strcmp(np.names[i] + len - 13, "c_proj.weight"))
                ok = nb_init_normal_(np.tensors[i], 0.0, std) != NULL;
        }
        nb_state_dict_free(&np);
    }
    if (!ok) return false;
    g->wte = P(g, "transformer.wte.weight", 0);
    g->wpe = P(g, "transformer.wpe.weight", 0);
    g->lnf_w = P(g, "transformer.ln_f.weight", 0);
    g->lnf_b = P(g, "transformer.ln_f.bias", 0);
    g->h = calloc((size_t)o->n_layer, sizeof *g->h);
    for (int l = 0; g->h && l < o->n_layer; l++)
        g->h[l] = (block){
            P(g, "transformer.h.%d.ln_1.weight", l),        P(g, "transformer.h.%d.ln_1.bias", l),
            P(g, "transformer.h.%d.attn.c_attn.weight", l), P(g, "transformer.h.%d.attn.c_attn.bias", l),
            P(g, "transformer.h.%d.attn.c_proj.weight", l), P(g, "transformer.h.%d.attn.c_proj.bias", l),
            P(g, "transformer.h.%d.ln_2.weight", l),        P(g, "transformer.h.%d.ln_2.bias", l),
            P(g, "transformer.h.%d.mlp.c_fc.weight", l),    P(g, "transformer.h.%d.mlp.c_fc.bias", l),
            P(g, "transformer.h.%d.mlp.c_proj.weight", l),  P(g, "transformer.h.%d.mlp.c_proj.bias", l)
        };
    return g->h != NULL;
}

/* CausalSelfAttention: q, k, v = c_attn(x).split(C, 2), heads (B, nh, T, hs), causal attention (dropout on
 * the weights in training), heads joined, resid_dropout(c_proj(y)) */
static nb_tensor *attention(const gpt *g, const block *b, nb_tensor *x, bool train) {
    int64_t B = x->shape[0], T = x->shape[1], C = g->C, nh = g->n_head;
    nb_tensor *qkv[3];
    if (nb_split(nb_linear(x, b->attn_w, b->attn_b), C, 2, qkv, 3) != 3) return NULL;
    for (int i = 0; i < 3; i++)
        qkv[i] = nb_transpose(nb_reshape(qkv[i], 4, (int64_t[]){ B, T, nh, C / nh }), 1, 2);
    nb_tensor *y = nb_scaled_dot_product_attention(
        qkv[0], qkv[1], qkv[2], (nb_sdpa_opts){ .is_causal = true, .dropout_p = train ? g->dropout : 0 });
    y = nb_reshape(nb_transpose(y, 1, 2), 3, (int64_t[]){ B, T, C });
    return nb_dropout(nb_linear(y, b->aproj_w, b->aproj_b), g->dropout, train);
}

/* logits (B, T, V) and, with targets, the mean cross entropy */
static nb_tensor *gpt_forward(const gpt *g, nb_tensor *idx, nb_tensor *targets, bool train,
                              nb_tensor **loss) {
    int64_t T = idx->shape[1], C = g->C;
    nb_tensor *pos = nb_arange(NB_I64, 0, (double)T, 1);
    nb_tensor *x = nb_dropout(nb_add(nb_embedding(idx, g->wte), nb_embedding(pos, g->wpe)), g->dropout,
                              train);
    for (int l = 0; l < g->n_layer; l++) {
        const block *b = &g->h[l];
        x = nb_add(x, attention(g, b, nb_layer_norm(x, 1, &C, b->ln1_w, b->ln1_b, 1e-5), train));
        nb_tensor *m = nb_gelu(
            nb_linear(nb_layer_norm(x, 1, &C, b->ln2_w, b->ln2_b, 1e-5), b->fc_w, b->fc_b));
        x = nb_add(x, nb_dropout(nb_linear(m, b->mproj_w, b->mproj_b), g->dropout, train));
    }
    nb_tensor *logits = nb_linear(nb_layer_norm(x, 1, &C, g->lnf_w, g->lnf_b, 1e-5), g->wte, NULL);
    if (loss && targets) {
        int64_t V = g->wte->shape[0];
        *loss = nb_cross_entropy(nb_reshape(logits, 2, (int64_t[]){ -1, V }),
                                 nb_reshape(targets, 1, (int64_t[]){ -1 }),
                                 (nb_cross_entropy_opts){ NB_IGNORE_INDEX(-1) });
    }
    return logits;
}

/* train.py's get_lr: linear warmup, cosine decay to min_lr, then min_lr */
static double get_lr(const options *o, int it) {
    if (it < o->warmup_iters) return o->lr * (it + 1) / (o->warmup_iters + 1);
    if (it > o->lr_decay_iters) return o->min_lr;
    double ratio = (double)(it - o->warmup_iters) / (o->lr_decay_iters - o->warmup_iters);
    return o->min_lr + 0.5 * (1.0 + cos(M_PI * ratio)) * (o->lr - o->min_lr);
}

/* model.generate: crop to block_size, last logits / temperature, keep the top_k, sample from the softmax */
static void generate(const gpt *g, const corpus *c, const options *o) {
    int64_t n = 1, cap = o->sample_tokens + 1, *seq = malloc(sizeof(int64_t) * (size_t)cap);
    const char *nl = memchr(c->chars, '\n', (size_t)c->vocab);
    seq[0] = nl ? nl - c->chars : 0; /* sample.py's start "\n" */
    NB_NO_GRAD {
        for (int t = 0; t < o->sample_tokens; t++) {
            nb_scope s = nb_scope_begin();
            int64_t len = n < o->block_size ? n : o->block_size;
            nb_tensor *idx = nb_tensor_from(NB_I64, seq + n - len, 2, (int64_t[]){ 1, len }, false);
            nb_tensor *logits = gpt_forward(g, idx, NULL, false, NULL);
            nb_tensor *last = nb_div_scalar(nb_narrow(nb_narrow(logits, 1, len - 1, 1), 0, 0, 1),
                                            o->temperature);
            last = nb_contiguous(nb_reshape(last, 2, (int64_t[]){ 1, c->vocab }));
            if (o->top_k > 0) {
                int64_t k = o->top_k < c->vocab ? o->top_k : c->vocab;
                nb_tensor *v = nb_topk(last, k, -1, (nb_topk_opts){ 0 }, NULL);
                float kth = nb_data_f32(nb_contiguous(v))[k - 1], *d = nb_data_f32(last);
                for (int64_t j = 0; j < c->vocab; j++)
                    if (d[j] < kth) d[j] = -INFINITY;
            }
            nb_tensor *next = nb_multinomial(nb_softmax(last, -1), 1, false);
            seq[n++] = next ? nb_data_i64(next)[0] : 0;
            nb_scope_end(s);
        }
    }
    for (int64_t i = 0; i < n; i++) putchar(c->chars[seq[i]]);
    putchar('\n');
    free(seq);
}

int main(int argc, char **argv) {
    options o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    corpus c = { 0 };
    if (!load(&c, o.data)) return 1;
    if (c.ntrain <= o.block_size + 1 || c.nval <= o.block_size + 1) {
        fprintf(stderr, "char_gpt: the text is too short for block_size %d\n", o.block_size);
        return 1;
    }
    nb_manual_seed((uint64_t)o.seed);
    gpt g;
    if (!gpt_new(&g, c.vocab, &o)) {
        fprintf(stderr, "char_gpt: %s\n", nb_error());
        return 1;
    }
    /* configure_optimizers: 2-D (and more) tensors decay, biases and norm weights do not */
    nb_state_dict np = nb_module_named_parameters(g.root);
    nb_tensor **decay = malloc(sizeof *decay * (size_t)np.n),
              **nodecay = malloc(sizeof *nodecay * (size_t)np.n);
    int nd = 0, nn = 0;
    for (int i = 0; i < np.n; i++) {
        if (np.tensors[i]->ndim >= 2)
            decay[nd++] = np.tensors[i];
        else
            nodecay[nn++] = np.tensors[i];
    }
    printf("number of parameters: %.2fM\n", (double)nb_module_num_parameters(g.root) / 1e6);
    nb_optimizer *opt = nb_adamw(decay, nd,
                                 (nb_adam_opts){ .lr = o.lr,
                                                 .betas = { o.beta1, o.beta2 },
                                                 .weight_decay = o.weight_decay ? o.weight_decay : NB_ZERO });
    if (opt && nn) nb_optim_add_param_group(opt, nodecay, nn, &(nb_adam_opts){ .weight_decay = NB_ZERO });
    int nparams = 0;
    nb_tensor **params = nb_module_parameters(g.root, &nparams);
    nb_tensor *X, *Y;
    get_batch(c.train, c.ntrain, &o, &X, &Y);
    for (int it = 0; it < o.max_iters && opt; it++) {
        double t0 = now(), lr = get_lr(&o, it);
        for (int k = 0; k < nb_optim_num_groups(opt); k++) nb_optim_set_lr(opt, k, lr);
        nb_scope s = nb_scope_begin();
        nb_tensor *loss = NULL;
        gpt_forward(&g, X, Y, true, &loss);
        if (nb_backward(loss) != NB_OK) break; /* (draws nothing: the next batch's draws stay in place) */
        if (o.grad_clip > 0) nb_clip_grad_norm_(params, nparams, o.grad_clip, 2.0);
        nb_optim_step(opt);
        nb_module_zero_grad(g.root);
        double lossf = nb_item(loss);
        nb_scope_end(s);
        nb_free(X), nb_free(Y);
        get_batch(c.train, c.ntrain, &o, &X, &Y); /* the next batch (train.py draws it before backward) */
        if (it % o.log_interval == 0)
            printf("iter %d: loss %.4f, time %.2fms\n", it, lossf, (now() - t0) * 1000);
        fflush(stdout);
    }
    nb_free(X), nb_free(Y);
    /* estimate_loss on the validation split */
    double val = 0;
    NB_NO_GRAD {
        for (int k = 0; k < o.eval_iters; k++) {
            nb_scope s = nb_scope_begin();
            nb_tensor *x, *y, *loss = NULL;
            get_batch(c.val, c.nval, &o, &x, &y);
            gpt_forward(&g, x, y, false, &loss);
            val += nb_item(loss) / o.eval_iters;
            nb_free(x), nb_free(y);
            nb_scope_end(s);
        }
    }
    if (o.eval_iters > 0) printf("val loss %.4f\n", val);
    if (nb_error()) {
        fprintf(stderr, "char_gpt: %s\n", nb_error());
        return 1;
    }
    if (o.sample_tokens > 0) generate(&g, &c, &o);
    nb_optim_free(opt);
    nb_state_dict_free(&np);
    free(decay), free(nodecay), free(g.h), free(c.train), free(c.val);
    nb_module_free(g.root);
    return nb_error() ? 1 : 0;
}
