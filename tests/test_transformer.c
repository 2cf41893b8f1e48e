/* test_transformer.c — nn.MultiheadAttention and the Transformer modules against PyTorch 1.13
 * (tests/golden/transformer.txt, made by tools/gen_golden_transformer.py): initialisation bit-equal
 * after the same seed with torch's state_dict names, outputs (and attention weights) and the gradient
 * of every input and parameter over masks (bool / float, 2-D / 3-D, key padding, causal), batch_first,
 * norm_first, kdim/vdim, bias_kv, zero attention, gelu, seeded dropout, f32 and f64; then torch's
 * errors, the causal mask, module printing and a torch-made encoder checkpoint. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

typedef tl_golden gten; /* "<kw> <name> <tensor>" lines */

#define MAXT 160
#define MAXKV 32
typedef struct {
    char name[64], kind[16];
    nb_dtype dt;
    int64_t seed, fseed, train;
    int nkv;
    char keys[MAXKV][16], vals[MAXKV][16];
    int np, nin, nout, ngrad;
    gten param[MAXT], in[8], out[2], gout[2], grad[MAXT];
} gcase;

static void free_case(gcase *c) {
    for (int i = 0; i < c->np; i++) free(c->param[i].v);
    for (int i = 0; i < c->nin; i++) free(c->in[i].v);
    for (int i = 0; i < c->nout; i++) {
        free(c->out[i].v);
        free(c->gout[i].v);
    }
    for (int i = 0; i < c->ngrad; i++) free(c->grad[i].v);
    memset(c, 0, sizeof *c);
}

/* value of key k on the case line (def when absent) */
static double opt(const gcase *c, const char *k, double def) {
    for (int i = 0; i < c->nkv; i++)
        if (!strcmp(c->keys[i], k)) return atof(c->vals[i]);
    return def;
}
static const char *sopt(const gcase *c, const char *k, const char *def) {
    for (int i = 0; i < c->nkv; i++)
        if (!strcmp(c->keys[i], k)) return c->vals[i];
    return def;
}

/* a float tensor of the case dtype (an i64 mask stays i64) */
static nb_tensor *make(const gten *t, nb_dtype dt) {
    nb_tensor *x = nb_tensor_from(NB_F64, t->v, t->ndim, t->shape, false);
    nb_tensor *y = nb_to(x, t->dt == NB_I64 ? NB_I64 : dt);
    if (y != x) nb_free(x);
    return y;
}

static const gten *find(const gten *ts, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(ts[i].name, name)) return &ts[i];
    return NULL;
}

/* |a - b| <= atol + rtol |b| over all elements (equal infinities and NaNs agree) */
static bool close_to(const nb_tensor *t, const gten *g, double atol, double rtol, const char *what,
                     const char *cname) {
    if (!t || t->numel != g->n || t->ndim != g->ndim) {
        fprintf(stderr, "FAIL %s: %s missing or wrong shape (%s)\n", cname, what,
                nb_error() ? nb_error() : "");
        return false;
    }
    for (int i = 0; i < g->ndim; i++)
        if (t->shape[i] != g->shape[i]) {
            fprintf(stderr, "FAIL %s: %s has the wrong shape\n", cname, what);
            return false;
        }
    double *v = malloc(sizeof(double) * (size_t)(g->n ? g->n : 1));
    nb_to_doubles(t, v);
    bool ok = true;
    for (int64_t i = 0; i < g->n && ok; i++) {
        bool same = v[i] == g->v[i] || (isnan(v[i]) && isnan(g->v[i]));
        if (!same && !(fabs(v[i] - g->v[i]) <= atol + rtol * fabs(g->v[i]))) {
            fprintf(stderr, "FAIL %s: %s[%lld] = %.17g, torch %.17g\n", cname, what, (long long)i, v[i],
                    g->v[i]);
            ok = false;
        }
    }
    free(v);
    return ok;
}

static nb_transformer_opts layer_opts(const gcase *c) {
    double p = opt(c, "dropout", 0);
    return (nb_transformer_opts){ .dim_feedforward = (int64_t)opt(c, "ff", 16),
                                  .dropout = p == 0 ? NB_ZERO : p,
                                  .gelu = opt(c, "gelu", 0) != 0,
                                  .layer_norm_eps = opt(c, "eps", 1e-5),
                                  .batch_first = opt(c, "bf", 0) != 0,
                                  .norm_first = opt(c, "nf", 0) != 0 };
}

/* the module of a case, built right after nb_manual_seed(seed) as the generator built torch's */
static nb_module *build(const gcase *c) {
    nb_manual_seed((uint64_t)c->seed);
    int64_t E = (int64_t)opt(c, "E", 8), H = (int64_t)opt(c, "H", 2);
    const char *k = c->kind;
    if (!strcmp(k, "mha"))
        return nb_multihead_attention_new(E, H,
                                          (nb_mha_opts){ .dropout = opt(c, "dropout", 0),
                                                         .no_bias = opt(c, "bias", 1) == 0,
                                                         .add_bias_kv = opt(c, "bkv", 0) != 0,
                                                         .add_zero_attn = opt(c, "zattn", 0) != 0,
                                                         .kdim = (int64_t)opt(c, "kdim", 0),
                                                         .vdim = (int64_t)opt(c, "vdim", 0),
                                                         .batch_first = opt(c, "bf", 0) != 0 });
    nb_transformer_opts o = layer_opts(c);
    if (!strcmp(k, "enc_layer")) return nb_transformer_encoder_layer_new(E, H, o);
    if (!strcmp(k, "dec_layer")) return nb_transformer_decoder_layer_new(E, H, o);
    if (!strcmp(k, "transformer"))
        return nb_transformer_new(E, H, (int)opt(c, "NE", 1), (int)opt(c, "ND", 1), o);
    bool dec = !strcmp(k, "decoder");
    nb_module *layer = dec ? nb_transformer_decoder_layer_new(E, H, o)
                           : nb_transformer_encoder_layer_new(E, H, o);
    nb_module *norm = opt(c, "norm", 0) != 0 ? nb_layer_norm_new(1, &E, o.layer_norm_eps, true) : NULL;
    return dec ? nb_transformer_decoder_new(layer, (int)opt(c, "NL", 1), norm)
               : nb_transformer_encoder_new(layer, (int)opt(c, "NL", 1), norm);
}

static nb_tensor *input(nb_tensor *const *ins, const gcase *c, const char *name) {
    for (int i = 0; i < c->nin; i++)
        if (!strcmp(c->in[i].name, name)) return ins[i];
    return NULL;
}

static void run_case(const gcase *c) {
    const char *cn = c->name;
    nb_module *m = build(c);
    if (!m) {
        fprintf(stderr, "FAIL %s: build: %s\n", cn, nb_error());
        CHECK(m != NULL);
        nb_clear_error();
        return;
    }
    /* init: torch's values bit for bit, under torch's state_dict names in torch's order */
    nb_state_dict sd = nb_module_state_dict(m);
    bool init_ok = sd.n == c->np;
    if (!init_ok) fprintf(stderr, "FAIL %s: %d state entries, torch has %d\n", cn, sd.n, c->np);
    for (int i = 0; init_ok && i < sd.n; i++) {
        init_ok = !strcmp(sd.names[i], c->param[i].name) &&
                  close_to(sd.tensors[i], &c->param[i], 0, 0, sd.names[i], cn);
        if (!init_ok)
            fprintf(stderr, "FAIL %s: state entry %d is %s, torch has %s\n", cn, i, sd.names[i],
                    c->param[i].name);
    }
    tl_check(init_ok, "init bit-equal to torch", cn, 0);
    nb_state_dict_free(&sd);
    if (c->dt == NB_F64) nb_module_to(m, NB_F64);
    nb_module_train(m, c->train != 0);
    double atol = c->dt == NB_F64 ? 1e-12 : 1e-5, rtol = c->dt == NB_F64 ? 1e-10 : 1e-4;
    nb_scope s = nb_scope_begin();
    nb_tensor *ins[8] = { NULL };
    for (int i = 0; i < c->nin; i++) {
        ins[i] = make(&c->in[i], c->dt);
        if (ins[i]->dtype != NB_I64 && strstr("query key value src tgt memory", c->in[i].name))
            nb_requires_grad_(ins[i], true);
    }
    nb_manual_seed((uint64_t)c->fseed);
    nb_tensor *outs[2] = { NULL, NULL }; /* out, weights */
    const char *k = c->kind;
    if (!strcmp(k, "mha")) {
        nb_tensor *q = input(ins, c, "query"), *key = input(ins, c, "key"), *val = input(ins, c, "value");
        if (!key) key = q;
        if (!val) val = key;
        nb_mha_call_opts o = { .no_need_weights = opt(c, "nw", 1) == 0,
                               .no_average_attn_weights = opt(c, "avg", 1) == 0 };
        outs[0] = nb_multihead_attention_forward(m, q, key, val, input(ins, c, "kpm"), input(ins, c, "am"), o,
                                                 &outs[1]);
    } else if (!strcmp(k, "enc_layer") || !strcmp(k, "encoder")) {
        nb_module_forward_ex(
            m, NB_LIST(input(ins, c, "src"), input(ins, c, "src_mask"), input(ins, c, "src_kpm")), NULL, 1,
            outs);
    } else if (!strcmp(k, "transformer")) {
        nb_module_forward_ex(m,
                             NB_LIST(input(ins, c, "src"), input(ins, c, "tgt"), NULL,
                                     input(ins, c, "tgt_mask"), input(ins, c, "memory_mask"),
                                     input(ins, c, "src_kpm"), input(ins, c, "tgt_kpm"),
                                     input(ins, c, "mem_kpm")),
                             NULL, 1, outs);
    } else {
        nb_module_forward_ex(m,
                             NB_LIST(input(ins, c, "tgt"), input(ins, c, "memory"), input(ins, c, "tgt_mask"),
                                     input(ins, c, "memory_mask"), input(ins, c, "tgt_kpm"),
                                     input(ins, c, "mem_kpm")),
                             NULL, 1, outs);
    }
    static const char *const onames[2] = { "out", "weights" };
    nb_tensor *loss = NULL;
    bool ok = true;
    for (int j = 0; j < 2; j++) {
        const gten *want = find(c->out, c->nout, onames[j]), *w = find(c->gout, c->nout, onames[j]);
        if (!want) {
            ok &= outs[j] == NULL;
            continue;
        }
        ok &= close_to(outs[j], want, atol, rtol, onames[j], cn);
        nb_tensor *term = nb_sum(nb_mul(outs[j], make(w, c->dt)));
        loss = loss ? nb_add(loss, term) : term;
    }
    tl_check(ok, "outputs", cn, 0);
    ok = nb_backward(loss) == NB_OK;
    if (!ok) fprintf(stderr, "FAIL %s: backward: %s\n", cn, nb_error());
    for (int i = 0; ok && i < c->ngrad; i++) {
        const gten *g = &c->grad[i];
        nb_tensor *t = input(ins, c, g->name);
        if (!t) t = nb_module_get_parameter(m, g->name);
        ok &= close_to(t ? t->grad : NULL, g, atol * 4, rtol * 4, g->name, cn);
    }
    tl_check(ok, "gradients", cn, 0);
    if (nb_error()) {
        fprintf(stderr, "FAIL %s: error left: %s\n", cn, nb_error());
        CHECK(!nb_error());
        nb_clear_error();
    }
    nb_scope_end(s);
    nb_module_free(m);
}

static void golden(void) {
    FILE *f = tl_open_data("golden/transformer.txt");
    CHECK(f != NULL);
    if (!f) return;
    size_t cap = 1 << 22;
    char *line = malloc(cap);
    gcase *c = calloc(1, sizeof *c);
    int ncases = 0;
    while (fgets(line, (int)cap, f)) {
        char *s = line;
        char *kw = tl_next_token(&s);
        if (!strcmp(kw, "case")) {
            snprintf(c->name, sizeof c->name, "%s", tl_next_token(&s));
            c->dt = !strcmp(tl_next_token(&s), "f64") ? NB_F64 : NB_F32;
            snprintf(c->kind, sizeof c->kind, "%s", tl_next_token(&s));
            c->seed = atoll(tl_next_token(&s));
            c->fseed = atoll(tl_next_token(&s));
            c->train = atoll(tl_next_token(&s));
            for (char *t = tl_next_token(&s); *t && c->nkv < MAXKV; t = tl_next_token(&s)) {
                char *eq = strchr(t, '=');
                if (!eq) continue;
                *eq = 0;
                snprintf(c->keys[c->nkv], sizeof c->keys[0], "%s", t);
                snprintf(c->vals[c->nkv++], sizeof c->vals[0], "%s", eq + 1);
            }
        } else if (!strcmp(kw, "param") && c->np < MAXT) {
            CHECK(tl_parse_named_golden(&s, &c->param[c->np++]));
        } else if (!strcmp(kw, "in") && c->nin < 8) {
            CHECK(tl_parse_named_golden(&s, &c->in[c->nin++]));
        } else if (!strcmp(kw, "out") && c->nout < 2) {
            CHECK(tl_parse_named_golden(&s, &c->out[c->nout]));
        } else if (!strcmp(kw, "gout") && c->nout < 2) {
            CHECK(tl_parse_named_golden(&s, &c->gout[c->nout++]));
        } else if (!strcmp(kw, "grad") && c->ngrad < MAXT) {
            CHECK(tl_parse_named_golden(&s, &c->grad[c->ngrad++]));
        } else if (!strcmp(kw, "end")) {
            run_case(c);
            free_case(c);
            ncases++;
        }
    }
    printf("%d golden cases\n", ncases);
    CHECK(ncases >= 70);
    free(c);
    free(line);
    fclose(f);
    (void)sopt;
}

/* the recorded message must start with want (the public function's name and torch's text) */
static void expect_error(bool failed, const char *want, int line) {
    const char *e = nb_error();
    bool ok = failed && e && !strncmp(e, want, strlen(want));
    if (!ok)
        fprintf(stderr, "FAIL line %d: expected error \"%s\", got \"%s\"\n", line, want, e ? e : "(none)");
    tl_check(ok, want, __FILE__, line);
    nb_clear_error();
}
#define EXPECT_ERR(expr, want) expect_error((expr), (want), __LINE__)
#define Z(...) nb_zeros(NB_F32, NB_SHAPE(__VA_ARGS__))
#define ZI(...) nb_zeros(NB_I64, NB_SHAPE(__VA_ARGS__))

static void errors(void) {
    const char *F = "nb_multihead_attention_forward: ";
    nb_scope s = nb_scope_begin();
    EXPECT_ERR(nb_multihead_attention_new(8, 3, (nb_mha_opts){ 0 }) == NULL,
               "nb_multihead_attention_new: embed_dim must be divisible by num_heads");
    EXPECT_ERR(nb_transformer_encoder_layer_new(10, 3, (nb_transformer_opts){ 0 }) == NULL,
               "nb_transformer_encoder_layer_new: embed_dim must be divisible by num_heads");
    EXPECT_ERR(nb_transformer_new(10, 4, 1, 1, (nb_transformer_opts){ 0 }) == NULL,
               "nb_transformer_new: embed_dim must be divisible by num_heads");
    EXPECT_ERR(nb_multihead_attention_new(8, 2, (nb_mha_opts){ .dropout = 1.5 }) == NULL,
               "nb_multihead_attention_new: dropout probability has to be between 0 and 1");
    nb_module *a = nb_multihead_attention_new(8, 2, (nb_mha_opts){ 0 });
    nb_tensor *x = Z(4, 2, 8), *w = NULL;
    nb_mha_call_opts o = { 0 };
    char want[256];
    snprintf(want, sizeof want, "%sThe shape of the 2D attn_mask is (3, 4), but should be (4, 4).", F);
    EXPECT_ERR(nb_multihead_attention_forward(a, x, x, x, NULL, Z(3, 4), o, &w) == NULL, want);
    CHECK(w == NULL);
    snprintf(want, sizeof want, "%sThe shape of the 3D attn_mask is (5, 4, 4), but should be (4, 4, 4).", F);
    EXPECT_ERR(nb_multihead_attention_forward(a, x, x, x, NULL, ZI(5, 4, 4), o, &w) == NULL, want);
    snprintf(want, sizeof want, "%sexpecting key_padding_mask shape of (2, 4), but got (2, 5)", F);
    EXPECT_ERR(nb_multihead_attention_forward(a, x, x, x, ZI(2, 5), NULL, o, &w) == NULL, want);
    snprintf(want, sizeof want, "%sa float key_padding_mask with a float attn_mask is not supported", F);
    EXPECT_ERR(nb_multihead_attention_forward(a, x, x, x, Z(2, 4), Z(4, 4), o, &w) == NULL, want);
    snprintf(want, sizeof want, "%swas expecting embedding dimension of 8, but got 6", F);
    nb_tensor *x6 = Z(4, 2, 6);
    EXPECT_ERR(nb_multihead_attention_forward(a, x6, x6, x6, NULL, NULL, o, &w) == NULL, want);
    snprintf(want, sizeof want, "%squery should be unbatched 2D or batched 3D tensor but received 4-D", F);
    EXPECT_ERR(nb_multihead_attention_forward(a, Z(2, 3, 4, 8), x, x, NULL, NULL, o, &w) == NULL, want);
    snprintf(want, sizeof want, "%skey and value must have 8 and 8 features", F);
    EXPECT_ERR(nb_multihead_attention_forward(a, x, x, Z(4, 2, 7), NULL, NULL, o, &w) == NULL, want);
    snprintf(want, sizeof want, "%sexpected attn_mask to be NULL, 2-D or 3-D but found (4)", F);
    EXPECT_ERR(nb_multihead_attention_forward(a, x, x, x, NULL, Z(4), o, &w) == NULL, want);
    /* a float mask of the other float dtype is rounded to the query's, as torch's baddbmm */
    nb_tensor *y = nb_multihead_attention_forward(a, x, x, x, NULL, nb_zeros(NB_F64, NB_SHAPE(4, 4)), o, &w);
    CHECK(y && y->dtype == NB_F32 && w && w->ndim == 3 && !nb_error());
    /* NULL inputs pass an earlier error through */
    EXPECT_ERR(nb_multihead_attention_forward(a, nb_mul(x, Z(3)), x, x, NULL, NULL, o, &w) == NULL, "nb_mul");
    nb_module *enc = nb_transformer_encoder_layer_new(8, 2, (nb_transformer_opts){ 0 });
    nb_tensor *out[1];
    EXPECT_ERR(nb_module_forward_ex(enc, NB_LIST(x, NULL, ZI(2, 3)), NULL, 1, out) < 0,
               "nb_module_forward_ex: expecting key_padding_mask shape of (2, 4), but got (2, 3) (in "
               "nb_multihead_attention_forward)"); /* the call the user made, the inner one after */
    EXPECT_ERR(nb_transformer_encoder_new(a, 2, NULL) == NULL,
               "nb_transformer_encoder_new: expects a layer made by nb_transformer_encoder_layer_new, got "
               "MultiheadAttention");
    EXPECT_ERR(nb_transformer_decoder_new(enc, 2, NULL) == NULL,
               "nb_transformer_decoder_new: expects a layer made by nb_transformer_decoder_layer_new");
    nb_module *t = nb_transformer_new(8, 2, 1, 1, (nb_transformer_opts){ .dim_feedforward = 16 });
    EXPECT_ERR(nb_module_forward_ex(t, NB_LIST(x, Z(3, 5, 8)), NULL, 1, out) < 0,
               "nb_module_forward_ex: Transformer: the batch number of src and tgt must be equal");
    EXPECT_ERR(
        nb_module_forward_ex(t, NB_LIST(x, x6), NULL, 1, out) < 0,
        "nb_module_forward_ex: Transformer: the feature number of src and tgt must be equal to d_model");
    nb_module_free(t);
    nb_scope_end(s);
}

/* nb_generate_square_subsequent_mask: torch.triu(full(-inf), 1); the causal float mask = bool triu mask */
static void causal_mask(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *m = nb_generate_square_subsequent_mask(3, NB_F64);
    double want[9] = { 0, -INFINITY, -INFINITY, 0, 0, -INFINITY, 0, 0, 0 }, got[9];
    CHECK(m && m->ndim == 2 && m->shape[0] == 3 && nb_to_doubles(m, got) == NB_OK);
    bool ok = true;
    for (int i = 0; i < 9; i++) ok &= got[i] == want[i];
    CHECK(ok);
    CHECK(nb_generate_square_subsequent_mask(0, NB_F32) != NULL);
    EXPECT_ERR(nb_generate_square_subsequent_mask(-1, NB_F32) == NULL,
               "nb_generate_square_subsequent_mask: sz must be >= 0");
    nb_manual_seed(7);
    nb_module *a = nb_multihead_attention_new(8, 2, (nb_mha_opts){ 0 });
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(5, 2, 8)), *w1, *w2;
    int64_t tri[25];
    for (int i = 0; i < 25; i++) tri[i] = i % 5 > i / 5;
    nb_tensor *bm = nb_tensor_from(NB_I64, tri, NB_SHAPE(5, 5), false);
    nb_tensor *y1 = nb_multihead_attention_forward(
        a, x, x, x, NULL, nb_generate_square_subsequent_mask(5, NB_F32), (nb_mha_call_opts){ 0 }, &w1);
    nb_tensor *y2 = nb_multihead_attention_forward(a, x, x, x, NULL, bm, (nb_mha_call_opts){ 0 }, &w2);
    double d1[80], d2[80], v1[50], v2[50];
    nb_to_doubles(y1, d1), nb_to_doubles(y2, d2), nb_to_doubles(w1, v1), nb_to_doubles(w2, v2);
    ok = memcmp(d1, d2, sizeof d1) == 0 && memcmp(v1, v2, sizeof v1) == 0;
    for (int i = 0; i < 50; i++)
        ok &= (i % 5 > (i / 5) % 5) == (v1[i] == 0); /* zero weight above the diagonal */
    CHECK(ok);
    nb_module_free(a);
    nb_free(bm);
    nb_scope_end(s);
}

/* torch's print(model) for TransformerEncoder(TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
 * LayerNorm(8)) (pasted from torch 1.13), the copies independent of the layer they came from */
static void printing_and_copies(void) {
    static const char *const want =
        "TransformerEncoder(\n  (layers): ModuleList(\n    (0): TransformerEncoderLayer(\n"
        "      (self_attn): MultiheadAttention(\n"
        "        (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n"
        "      )\n      (linear1): Linear(in_features=8, out_features=16, bias=True)\n"
        "      (dropout): Dropout(p=0.1, inplace=False)\n"
        "      (linear2): Linear(in_features=16, out_features=8, bias=True)\n"
        "      (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n"
        "      (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n"
        "      (dropout1): Dropout(p=0.1, inplace=False)\n      (dropout2): Dropout(p=0.1, inplace=False)\n"
        "    )\n    (1): TransformerEncoderLayer(\n      (self_attn): MultiheadAttention(\n"
        "        (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n"
        "      )\n      (linear1): Linear(in_features=8, out_features=16, bias=True)\n"
        "      (dropout): Dropout(p=0.1, inplace=False)\n"
        "      (linear2): Linear(in_features=16, out_features=8, bias=True)\n"
        "      (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n"
        "      (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n"
        "      (dropout1): Dropout(p=0.1, inplace=False)\n      (dropout2): Dropout(p=0.1, inplace=False)\n"
        "    )\n  )\n  (norm): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n)\n";
    int64_t d = 8;
    nb_module *layer = nb_transformer_encoder_layer_new(
        8, 2, (nb_transformer_opts){ .dim_feedforward = 16, .batch_first = true });
    nb_module *enc = nb_transformer_encoder_new(layer, 2, nb_layer_norm_new(1, &d, 0, true));
    char buf[4096] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    nb_module_fprint(f, enc);
    fclose(f);
    CHECK(!strcmp(buf, want));
    if (strcmp(buf, want)) fprintf(stderr, "got:\n%s", buf);
    nb_tensor *w0 = nb_module_get_parameter(enc, "layers.0.linear1.weight");
    nb_tensor *w1 = nb_module_get_parameter(enc, "layers.1.linear1.weight");
    CHECK(w0 && w1 && w0 != w1 &&
          nb_module_num_parameters(enc) == 2 * (3 * 64 + 24 + 64 + 8 + 128 + 16 + 128 + 8 + 32) + 16);
    double a[128], b[128];
    nb_to_doubles(w0, a), nb_to_doubles(w1, b);
    CHECK(memcmp(a, b, sizeof a) == 0);
    nb_module_free(enc);
}

/* a torch-trained encoder (tools/gen_checkpoint_transformer.py) loads under torch's names and predicts
 * the same, with the causal mask and with a key padding mask */
static void torch_checkpoint(void) {
    nb_module *root = nb_module_new_ex("Model", NULL, NULL, NULL);
    int64_t d = 8;
    nb_module *enc = nb_transformer_encoder_new(
        nb_transformer_encoder_layer_new(8, 2, (nb_transformer_opts){ .dim_feedforward = 16 }), 2,
        nb_layer_norm_new(1, &d, 0, true));
    nb_module *head = nb_linear_new(8, 5, true);
    CHECK(nb_module_register_module(root, "encoder", enc) == NB_OK);
    CHECK(nb_module_register_module(root, "head", head) == NB_OK);
    nb_state_dict sd = nb_module_state_dict(root), io = { 0 };
    const char *dir = getenv("NB_TEST_DATA");
    char net[1024], iop[1024];
    snprintf(net, sizeof net, "%s/data/torch_encoder.safetensors", dir ? dir : "tests");
    snprintf(iop, sizeof iop, "%s/data/torch_encoder_io.safetensors", dir ? dir : "tests");
    CHECK(sd.n == 28 && nb_load_safetensors(&sd, net) == NB_OK); /* strict: every name, shape and dtype */
    CHECK(nb_safetensors_read(iop, &io) == NB_OK);
    nb_module_eval(root);
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_state_dict_get(&io, "x"), *y = NULL, *yk = NULL;
    nb_module_forward_ex(enc, NB_LIST(x, nb_state_dict_get(&io, "mask")), NULL, 1, &y);
    nb_module_forward_ex(enc, NB_LIST(x, NULL, nb_state_dict_get(&io, "kpm")), NULL, 1, &yk);
    y = nb_module_forward(head, y);
    yk = nb_module_forward(head, yk);
    const nb_tensor *want[2] = { nb_state_dict_get(&io, "eval_y"), nb_state_dict_get(&io, "eval_kpm") };
    nb_tensor *got[2] = { y, yk };
    for (int k = 0; k < 2; k++) {
        double g[90], w[90];
        bool ok = got[k] && want[k] && got[k]->numel == 90 && nb_to_doubles(got[k], g) == NB_OK &&
                  nb_to_doubles(want[k], w) == NB_OK;
        for (int i = 0; ok && i < 90; i++) ok = fabs(g[i] - w[i]) <= 2e-5 * (1 + fabs(w[i]));
        for (int r = 0; ok && r < 18; r++) { /* identical predictions */
            int ag = 0, aw = 0;
            for (int j = 1; j < 5; j++) {
                if (g[r * 5 + j] > g[r * 5 + ag]) ag = j;
                if (w[r * 5 + j] > w[r * 5 + aw]) aw = j;
            }
            ok = ag == aw;
        }
        tl_check(ok, k ? "torch checkpoint, key padding mask" : "torch checkpoint, causal mask", __FILE__,
                 __LINE__);
    }
    nb_scope_end(s);
    nb_state_dict_free(&sd);
    nb_safetensors_free(&io);
    nb_module_free(root);
}

int main(void) {
    golden();
    errors();
    causal_mask();
    printing_and_copies();
    torch_checkpoint();
    return nb_test_done();
}
