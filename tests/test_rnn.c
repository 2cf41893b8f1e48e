/* test_rnn.c — nn.RNN / LSTM / GRU and the cells against PyTorch 1.13 (tests/golden/rnn.txt, made by
 * tools/gen_golden_rnn.py): initialisation bit-equal after the same seed, outputs and the gradient of
 * every input and parameter (f32 and f64, layers, bidirectional, batch_first, proj_size, states or
 * not, unbatched, seeded dropout), torch's errors for bad shapes, and a flat memory loop. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* ---- golden file ---- */
typedef struct {
    char name[48];
    nb_dtype dt;
    int ndim;
    int64_t shape[NB_MAX_DIMS], n;
    double *v;
} gten;

#define MAXT 64
typedef struct {
    char name[64], type[16];
    nb_dtype dt;
    int64_t I, H, L, bias, bf, bidir, proj, relu, seed, train, fseed;
    int np, nin, nout, ngrad;
    gten param[MAXT], in[3], out[3], gout[3], grad[MAXT];
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
    t->dt = !strcmp(dt, "f64") ? NB_F64 : NB_F32;
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
    for (int i = 0; i < c->nout; i++) { free(c->out[i].v); free(c->gout[i].v); }
    for (int i = 0; i < c->ngrad; i++) free(c->grad[i].v);
    memset(c, 0, sizeof *c);
}

static nb_tensor *make(const gten *t, nb_dtype dt) {
    nb_tensor *x = nb_tensor_from(NB_F64, t->v, t->ndim, t->shape, false);
    nb_tensor *y = nb_to(x, dt);
    if (y != x) nb_free(x);
    return y;
}

static const gten *find(const gten *ts, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(ts[i].name, name)) return &ts[i];
    return NULL;
}

/* max |a - b| / (atol + rtol |b|) <= 1 over all elements */
static bool close_to(const nb_tensor *t, const gten *g, double atol, double rtol, const char *what, const char *cname) {
    if (!t || t->numel != g->n || t->ndim != g->ndim) {
        fprintf(stderr, "FAIL %s: %s missing or wrong shape\n", cname, what);
        return false;
    }
    for (int i = 0; i < g->ndim; i++)
        if (t->shape[i] != g->shape[i]) { fprintf(stderr, "FAIL %s: %s has the wrong shape\n", cname, what); return false; }
    double *v = malloc(sizeof(double) * (size_t)(g->n ? g->n : 1));
    nb_to_doubles(t, v);
    bool ok = true;
    for (int64_t i = 0; i < g->n && ok; i++)
        if (!(fabs(v[i] - g->v[i]) <= atol + rtol * fabs(g->v[i]))) {
            fprintf(stderr, "FAIL %s: %s[%lld] = %.17g, torch %.17g\n", cname, what, (long long)i, v[i], g->v[i]);
            ok = false;
        }
    free(v);
    return ok;
}

/* the module of a case, built right after nb_manual_seed(seed) as the generator built torch's */
static nb_module *build(const gcase *c) {
    nb_manual_seed((uint64_t)c->seed);
    if (!strcmp(c->type, "LSTMCell")) return nb_lstm_cell_new(c->I, c->H, c->bias);
    if (!strcmp(c->type, "GRUCell")) return nb_gru_cell_new(c->I, c->H, c->bias);
    if (!strcmp(c->type, "RNNCell")) return nb_rnn_cell_new(c->I, c->H, c->bias, c->relu ? "relu" : "tanh");
    nb_rnn_opts o = {.num_layers = (int)c->L, .no_bias = !c->bias, .batch_first = c->bf, .bidirectional = c->bidir,
                     .proj_size = c->proj};
    if (c->train) o.dropout = !strncmp(c->name, "lstm", 4) ? 0.3 : !strncmp(c->name, "gru", 3) ? 0.5 : 0.4;
    if (!strcmp(c->type, "LSTM")) return nb_lstm_new(c->I, c->H, o);
    if (!strcmp(c->type, "GRU")) return nb_gru_new(c->I, c->H, o);
    if (c->relu) o.nonlinearity = "relu";
    return nb_rnn_new(c->I, c->H, o);
}

static void run_case(const gcase *c) {
    const char *cn = c->name;
    nb_module *m = build(c);
    if (!m) { fprintf(stderr, "FAIL %s: build: %s\n", cn, nb_error()); CHECK(m != NULL); nb_clear_error(); return; }
    /* init: torch's values bit for bit, in torch's order and names */
    int np = 0;
    nb_tensor **ps = nb_module_parameters(m, &np);
    nb_state_dict sd = nb_module_state_dict(m);
    bool init_ok = np == c->np && sd.n == c->np;
    for (int i = 0; init_ok && i < np; i++) {
        init_ok = !strcmp(sd.names[i], c->param[i].name) && close_to(ps[i], &c->param[i], 0, 0, sd.names[i], cn);
        if (!init_ok) fprintf(stderr, "FAIL %s: parameter %d is %s, torch has %s\n", cn, i, sd.names[i], c->param[i].name);
    }
    nbt_check(init_ok, "init bit-equal to torch", cn, 0);
    nb_state_dict_free(&sd);
    if (c->dt == NB_F64) nb_module_to(m, NB_F64);
    nb_module_train(m, c->train != 0);
    double atol = c->dt == NB_F64 ? 1e-12 : 2e-6, rtol = c->dt == NB_F64 ? 1e-10 : 2e-5;
    nb_scope s = nb_scope_begin();
    nb_tensor *x = NULL, *h0 = NULL, *c0 = NULL;
    for (int i = 0; i < c->nin; i++) {
        nb_tensor *t = nb_requires_grad_(make(&c->in[i], c->dt), true);
        if (!strcmp(c->in[i].name, "x")) x = t;
        else if (!strcmp(c->in[i].name, "h0")) h0 = t;
        else c0 = t;
    }
    nb_manual_seed((uint64_t)c->fseed);
    nb_tensor *outs[3] = {NULL, NULL, NULL};   /* out, h_n, c_n */
    bool cell = strstr(c->type, "Cell") != NULL;
    if (cell) outs[1] = nb_rnn_cell_forward(m, x, h0, c0, &outs[2]);
    else nb_rnn_forward(m, x, h0, c0, &outs[0], &outs[1], &outs[2]);
    static const char *const onames[3] = {"out", "h_n", "c_n"};
    nb_tensor *loss = NULL;
    bool ok = true;
    for (int k = 0; k < 3; k++) {
        const gten *want = find(c->out, c->nout, onames[k]), *w = find(c->gout, c->nout, onames[k]);
        if (!want) continue;
        ok &= close_to(outs[k], want, atol, rtol, onames[k], cn);
        nb_tensor *term = nb_sum(nb_mul(outs[k], make(w, c->dt)));
        loss = loss ? nb_add(loss, term) : term;
    }
    nbt_check(ok, "outputs", cn, 0);
    ok = nb_backward(loss) == NB_OK;
    if (!ok) fprintf(stderr, "FAIL %s: backward: %s\n", cn, nb_error());
    for (int i = 0; ok && i < c->ngrad; i++) {
        const gten *g = &c->grad[i];
        nb_tensor *t = !strcmp(g->name, "x") ? x : !strcmp(g->name, "h0") ? h0 : !strcmp(g->name, "c0") ? c0
                                                                                 : nb_module_get_parameter(m, g->name);
        ok &= close_to(t ? t->grad : NULL, g, atol * 2, rtol * 2, g->name, cn);
    }
    nbt_check(ok, "gradients", cn, 0);
    if (nb_error()) { fprintf(stderr, "FAIL %s: error left: %s\n", cn, nb_error()); CHECK(!nb_error()); nb_clear_error(); }
    nb_scope_end(s);
    nb_module_free(m);
}

static void golden(void) {
    char path[1024];
    const char *dir = getenv("NB_TEST_DATA");
    snprintf(path, sizeof path, "%s/golden/rnn.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    size_t cap = 1 << 20;
    char *line = malloc(cap);
    gcase *c = calloc(1, sizeof *c);
    int ncases = 0;
    while (fgets(line, (int)cap, f)) {
        char *s = line;
        char *kw = next_tok(&s);
        if (!strcmp(kw, "case")) {
            snprintf(c->name, sizeof c->name, "%s", next_tok(&s));
            c->dt = !strcmp(next_tok(&s), "f64") ? NB_F64 : NB_F32;
            snprintf(c->type, sizeof c->type, "%s", next_tok(&s));
            int64_t *fs[] = {&c->I, &c->H, &c->L, &c->bias, &c->bf, &c->bidir, &c->proj, &c->relu, &c->seed, &c->train, &c->fseed};
            for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) *fs[i] = atoll(next_tok(&s));
        } else if (!strcmp(kw, "param") && c->np < MAXT) {
            CHECK(parse_tensor(s, &c->param[c->np++]));
        } else if (!strcmp(kw, "in") && c->nin < 3) {
            CHECK(parse_tensor(s, &c->in[c->nin++]));
        } else if (!strcmp(kw, "out") && c->nout < 3) {
            CHECK(parse_tensor(s, &c->out[c->nout]));
        } else if (!strcmp(kw, "gout") && c->nout < 3) {
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
    CHECK(ncases >= 48);
    free(c);
    free(line);
    fclose(f);
}

int main(void) {
    golden();
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
