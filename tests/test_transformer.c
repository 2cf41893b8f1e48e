/* test_transformer.c — nn.MultiheadAttention and the Transformer modules against PyTorch 1.13
 * (tests/golden/transformer.txt, made by tools/gen_golden_transformer.py): initialisation bit-equal
 * after the same seed with torch's state_dict names, outputs (and attention weights) and the gradient
 * of every input and parameter over masks (bool / float, 2-D / 3-D, key padding, causal), batch_first,
 * norm_first, kdim/vdim, bias_kv, zero attention, gelu, seeded dropout, f32 and f64; then torch's
 * errors, the causal mask, module printing and a torch-made encoder checkpoint. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[64];
    nb_dtype dt;
    int ndim;
    int64_t shape[NB_MAX_DIMS], n;
    double *v;
} gten;

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

static char *next_tok(char **s) {
    while (**s == ' ') (*s)++;
    char *t = *s;
    while (**s && **s != ' ' && **s != '\n') (*s)++;
    if (**s) *(*s)++ = 0;
    return t;
}

static bool parse_tensor(char *s, gten *t) {
    snprintf(t->name, sizeof t->name, "%s", next_tok(&s));
    char *dt = next_tok(&s);
    t->dt = !strcmp(dt, "f64") ? NB_F64 : !strcmp(dt, "i64") ? NB_I64 : NB_F32;
    t->ndim = atoi(next_tok(&s));
    if (t->ndim < 0 || t->ndim > NB_MAX_DIMS) return false;
    t->n = 1;
    for (int i = 0; i < t->ndim; i++) t->n *= t->shape[i] = atoll(next_tok(&s));
    t->v = malloc(sizeof(double) * (size_t)(t->n ? t->n : 1));
    for (int64_t i = 0; i < t->n; i++) {
        char *e, *tok = next_tok(&s);
        t->v[i] = strtod(tok, &e);
        if (e == tok) return false;
    }
    return true;
}

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
        fprintf(stderr, "FAIL %s: %s missing or wrong shape (%s)\n", cname, what, nb_error() ? nb_error() : "");
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
    nb_module *layer = dec ? nb_transformer_decoder_layer_new(E, H, o) : nb_transformer_encoder_layer_new(E, H, o);
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
    nbt_check(init_ok, "init bit-equal to torch", cn, 0);
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
        nb_module_forward_ex(m, NB_LIST(input(ins, c, "src"), input(ins, c, "src_mask"), input(ins, c, "src_kpm")),
                             NULL, 1, outs);
    } else if (!strcmp(k, "transformer")) {
        nb_module_forward_ex(m,
                             NB_LIST(input(ins, c, "src"), input(ins, c, "tgt"), NULL, input(ins, c, "tgt_mask"),
                                     input(ins, c, "memory_mask"), input(ins, c, "src_kpm"),
                                     input(ins, c, "tgt_kpm"), input(ins, c, "mem_kpm")),
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
    nbt_check(ok, "outputs", cn, 0);
    ok = nb_backward(loss) == NB_OK;
    if (!ok) fprintf(stderr, "FAIL %s: backward: %s\n", cn, nb_error());
    for (int i = 0; ok && i < c->ngrad; i++) {
        const gten *g = &c->grad[i];
        nb_tensor *t = input(ins, c, g->name);
        if (!t) t = nb_module_get_parameter(m, g->name);
        ok &= close_to(t ? t->grad : NULL, g, atol * 4, rtol * 4, g->name, cn);
    }
    nbt_check(ok, "gradients", cn, 0);
    if (nb_error()) {
        fprintf(stderr, "FAIL %s: error left: %s\n", cn, nb_error());
        CHECK(!nb_error());
        nb_clear_error();
    }
    nb_scope_end(s);
    nb_module_free(m);
}

static void golden(void) {
    FILE *f = nbt_open_data("golden/transformer.txt");
    CHECK(f != NULL);
    if (!f) return;
    size_t cap = 1 << 22;
    char *line = malloc(cap);
    gcase *c = calloc(1, sizeof *c);
    int ncases = 0;
    while (fgets(line, (int)cap, f)) {
        char *s = line;
        char *kw = next_tok(&s);
        if (!strcmp(kw, "case")) {
            snprintf(c->name, sizeof c->name, "%s", next_tok(&s));
            c->dt = !strcmp(next_tok(&s), "f64") ? NB_F64 : NB_F32;
            snprintf(c->kind, sizeof c->kind, "%s", next_tok(&s));
            c->seed = atoll(next_tok(&s));
            c->fseed = atoll(next_tok(&s));
            c->train = atoll(next_tok(&s));
            for (char *t = next_tok(&s); *t && c->nkv < MAXKV; t = next_tok(&s)) {
                char *eq = strchr(t, '=');
                if (!eq) continue;
                *eq = 0;
                snprintf(c->keys[c->nkv], sizeof c->keys[0], "%s", t);
                snprintf(c->vals[c->nkv++], sizeof c->vals[0], "%s", eq + 1);
            }
        } else if (!strcmp(kw, "param") && c->np < MAXT) {
            CHECK(parse_tensor(s, &c->param[c->np++]));
        } else if (!strcmp(kw, "in") && c->nin < 8) {
            CHECK(parse_tensor(s, &c->in[c->nin++]));
        } else if (!strcmp(kw, "out") && c->nout < 2) {
            CHECK(parse_tensor(s, &c->out[c->nout]));
        } else if (!strcmp(kw, "gout") && c->nout < 2) {
            CHECK(parse_tensor(s, &c->gout[c->nout++]));
        } else if (!strcmp(kw, "grad") && c->ngrad < MAXT) {
            CHECK(parse_tensor(s, &c->grad[c->ngrad++]));
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

int main(void) {
    golden();
    return nb_test_done();
}
