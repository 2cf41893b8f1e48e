/* test_rnn.c — nn.RNN / LSTM / GRU and the cells against PyTorch 1.13 (tests/golden/rnn.txt, made by
 * tools/gen_golden_rnn.py): initialisation bit-equal after the same seed, outputs and the gradient of
 * every input and parameter (f32 and f64, layers, bidirectional, batch_first, proj_size, states or
 * not, unbatched, seeded dropout), torch's errors for bad shapes, and a flat memory loop. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* ---- golden file ---- */
typedef tl_golden gten; /* "<kw> <name> <tensor>" lines */

#define MAXT 64
typedef struct {
    char name[64], type[16];
    nb_dtype dt;
    int64_t I, H, L, bias, bf, bidir, proj, relu, seed, train, fseed;
    int np, nin, nout, ngrad;
    gten param[MAXT], in[3], out[3], gout[3], grad[MAXT];
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
static bool close_to(const nb_tensor *t, const gten *g, double atol, double rtol, const char *what,
                     const char *cname) {
    if (!t || t->numel != g->n || t->ndim != g->ndim) {
        fprintf(stderr, "FAIL %s: %s missing or wrong shape\n", cname, what);
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
    for (int64_t i = 0; i < g->n && ok; i++)
        if (!(fabs(v[i] - g->v[i]) <= atol + rtol * fabs(g->v[i]))) {
            fprintf(stderr, "FAIL %s: %s[%lld] = %.17g, torch %.17g\n", cname, what, (long long)i, v[i],
                    g->v[i]);
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
    nb_rnn_opts o = { .num_layers = (int)c->L,
                      .no_bias = !c->bias,
                      .batch_first = c->bf,
                      .bidirectional = c->bidir,
                      .proj_size = c->proj };
    if (c->train) o.dropout = !strncmp(c->name, "lstm", 4) ? 0.3 : !strncmp(c->name, "gru", 3) ? 0.5 : 0.4;
    if (!strcmp(c->type, "LSTM")) return nb_lstm_new(c->I, c->H, o);
    if (!strcmp(c->type, "GRU")) return nb_gru_new(c->I, c->H, o);
    if (c->relu) o.nonlinearity = "relu";
    return nb_rnn_new(c->I, c->H, o);
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
    /* init: torch's values bit for bit, in torch's order and names */
    int np = 0;
    nb_tensor **ps = nb_module_parameters(m, &np);
    nb_state_dict sd = nb_module_state_dict(m);
    bool init_ok = np == c->np && sd.n == c->np;
    for (int i = 0; init_ok && i < np; i++) {
        init_ok = !strcmp(sd.names[i], c->param[i].name) &&
                  close_to(ps[i], &c->param[i], 0, 0, sd.names[i], cn);
        if (!init_ok)
            fprintf(stderr, "FAIL %s: parameter %d is %s, torch has %s\n", cn, i, sd.names[i],
                    c->param[i].name);
    }
    tl_check(init_ok, "init bit-equal to torch", cn, 0);
    nb_state_dict_free(&sd);
    if (c->dt == NB_F64) nb_module_to(m, NB_F64);
    nb_module_train(m, c->train != 0);
    double atol = c->dt == NB_F64 ? 1e-12 : 2e-6, rtol = c->dt == NB_F64 ? 1e-10 : 2e-5;
    nb_scope s = nb_scope_begin();
    nb_tensor *x = NULL, *h0 = NULL, *c0 = NULL;
    for (int i = 0; i < c->nin; i++) {
        nb_tensor *t = nb_requires_grad_(make(&c->in[i], c->dt), true);
        if (!strcmp(c->in[i].name, "x"))
            x = t;
        else if (!strcmp(c->in[i].name, "h0"))
            h0 = t;
        else
            c0 = t;
    }
    nb_manual_seed((uint64_t)c->fseed);
    nb_tensor *outs[3] = { NULL, NULL, NULL }; /* out, h_n, c_n */
    bool cell = strstr(c->type, "Cell") != NULL;
    if (cell)
        outs[1] = nb_rnn_cell_forward(m, x, h0, c0, &outs[2]);
    else
        nb_rnn_forward(m, x, h0, c0, &outs[0], &outs[1], &outs[2]);
    static const char *const onames[3] = { "out", "h_n", "c_n" };
    nb_tensor *loss = NULL;
    bool ok = true;
    for (int k = 0; k < 3; k++) {
        const gten *want = find(c->out, c->nout, onames[k]), *w = find(c->gout, c->nout, onames[k]);
        if (!want) continue;
        ok &= close_to(outs[k], want, atol, rtol, onames[k], cn);
        nb_tensor *term = nb_sum(nb_mul(outs[k], make(w, c->dt)));
        loss = loss ? nb_add(loss, term) : term;
    }
    tl_check(ok, "outputs", cn, 0);
    ok = nb_backward(loss) == NB_OK;
    if (!ok) fprintf(stderr, "FAIL %s: backward: %s\n", cn, nb_error());
    for (int i = 0; ok && i < c->ngrad; i++) {
        const gten *g = &c->grad[i];
        nb_tensor *t = !strcmp(g->name, "x")    ? x
                       : !strcmp(g->name, "h0") ? h0
                       : !strcmp(g->name, "c0") ? c0
                                                : nb_module_get_parameter(m, g->name);
        ok &= close_to(t ? t->grad : NULL, g, atol * 2, rtol * 2, g->name, cn);
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
    FILE *f = tl_open_data("golden/rnn.txt");
    CHECK(f != NULL);
    if (!f) return;
    size_t cap = 1 << 20;
    char *line = malloc(cap);
    gcase *c = calloc(1, sizeof *c);
    int ncases = 0;
    while (fgets(line, (int)cap, f)) {
        char *s = line;
        char *kw = tl_next_token(&s);
        if (!strcmp(kw, "case")) {
            snprintf(c->name, sizeof c->name, "%s", tl_next_token(&s));
            c->dt = !strcmp(tl_next_token(&s), "f64") ? NB_F64 : NB_F32;
            snprintf(c->type, sizeof c->type, "%s", tl_next_token(&s));
            int64_t *fs[] = { &c->I,    &c->H,    &c->L,    &c->bias,  &c->bf,   &c->bidir,
                              &c->proj, &c->relu, &c->seed, &c->train, &c->fseed };
            for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) *fs[i] = atoll(tl_next_token(&s));
        } else if (!strcmp(kw, "param") && c->np < MAXT) {
            CHECK(tl_parse_named_golden(&s, &c->param[c->np++]));
        } else if (!strcmp(kw, "in") && c->nin < 3) {
            CHECK(tl_parse_named_golden(&s, &c->in[c->nin++]));
        } else if (!strcmp(kw, "out") && c->nout < 3) {
            CHECK(tl_parse_named_golden(&s, &c->out[c->nout]));
        } else if (!strcmp(kw, "gout") && c->nout < 3) {
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
    CHECK(ncases >= 48);
    free(c);
    free(line);
    fclose(f);
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

static void errors(void) {
    nb_scope s = nb_scope_begin();
    nb_module *lstm = nb_lstm_new(4, 3, (nb_rnn_opts){ .num_layers = 2 });
    nb_module *gru = nb_gru_new(4, 3, (nb_rnn_opts){ .num_layers = 2 });
    nb_module *cell = nb_lstm_cell_new(4, 3, true), *gcell = nb_gru_cell_new(4, 3, true);
    nb_tensor *o = NULL, *h = NULL, *c = NULL;
    EXPECT_ERR(nb_rnn_forward(lstm, Z(5, 2, 4), Z(2, 2, 5), Z(2, 2, 3), &o, &h, &c) != NB_OK,
               "nb_rnn_forward: LSTM: Expected hidden[0] size (2, 2, 3), got [2, 2, 5]");
    CHECK(o == NULL && h == NULL && c == NULL);
    EXPECT_ERR(nb_rnn_forward(lstm, Z(5, 2, 4), Z(2, 2, 3), Z(1, 2, 3), &o, &h, &c) != NB_OK,
               "nb_rnn_forward: LSTM: Expected hidden[1] size (2, 2, 3), got [1, 2, 3]");
    EXPECT_ERR(nb_rnn_forward(gru, Z(5, 2, 4), Z(2, 3, 3), NULL, &o, &h, NULL) != NB_OK,
               "nb_rnn_forward: GRU: Expected hidden size (2, 2, 3), got [2, 3, 3]");
    EXPECT_ERR(nb_rnn_forward(lstm, Z(5, 2, 3), NULL, NULL, &o, NULL, NULL) != NB_OK,
               "nb_rnn_forward: LSTM: input.size(-1) must be equal to input_size. Expected 4, got 3");
    EXPECT_ERR(nb_rnn_forward(lstm, Z(5, 2, 4, 1), NULL, NULL, &o, NULL, NULL) != NB_OK,
               "nb_rnn_forward: LSTM: input must have 3 dimensions");
    EXPECT_ERR(nb_rnn_forward(lstm, Z(0, 2, 4), NULL, NULL, &o, NULL, NULL) != NB_OK,
               "nb_rnn_forward: LSTM: Expected sequence length to be larger than 0 in RNN");
    EXPECT_ERR(nb_rnn_forward(lstm, Z(5, 2, 4), Z(2, 3), Z(2, 3), &o, NULL, NULL) != NB_OK,
               "nb_rnn_forward: LSTM: For batched 3-D input, hx should also be 3-D but got 2-D tensor");
    EXPECT_ERR(nb_rnn_forward(gru, Z(5, 2, 4), NULL, Z(2, 2, 3), &o, NULL, NULL) != NB_OK,
               "nb_rnn_forward: GRU takes no cell state c0");
    EXPECT_ERR(nb_rnn_forward(lstm, nb_zeros(NB_F64, NB_SHAPE(5, 2, 4)), NULL, NULL, &o, NULL, NULL) != NB_OK,
               "nb_rnn_forward: LSTM: input has dtype float64 but the parameters are float32");
    EXPECT_ERR(
        nb_rnn_forward(cell, Z(5, 2, 4), NULL, NULL, &o, NULL, NULL) != NB_OK,
        "nb_rnn_forward: expects a module made by nb_rnn_new / nb_lstm_new / nb_gru_new, got LSTMCell");
    EXPECT_ERR(nb_rnn_forward(NULL, Z(5, 2, 4), NULL, NULL, &o, NULL, NULL) != NB_OK,
               "nb_rnn_forward: NULL module");
    EXPECT_ERR(nb_rnn_cell_forward(cell, Z(2, 4), Z(2, 5), Z(2, 3), &c) == NULL,
               "nb_rnn_cell_forward: LSTMCell: hidden0 has inconsistent hidden_size: got 5, expected 3");
    EXPECT_ERR(nb_rnn_cell_forward(cell, Z(2, 4), Z(3, 3), Z(3, 3), &c) == NULL,
               "nb_rnn_cell_forward: LSTMCell: Input batch size 2 doesn't match hidden0 batch size 3");
    EXPECT_ERR(nb_rnn_cell_forward(cell, Z(2, 5), NULL, NULL, &c) == NULL,
               "nb_rnn_cell_forward: LSTMCell: input has inconsistent input_size: got 5 expected 4");
    EXPECT_ERR(nb_rnn_cell_forward(cell, Z(2, 2, 4), NULL, NULL, &c) == NULL,
               "nb_rnn_cell_forward: LSTMCell: Expected input to be 1-D or 2-D but received 3-D tensor");
    EXPECT_ERR(nb_rnn_cell_forward(gcell, Z(2, 4), Z(2, 4), NULL, NULL) == NULL,
               "nb_rnn_cell_forward: GRUCell: hidden0 has inconsistent hidden_size: got 4, expected 3");
    EXPECT_ERR(nb_lstm_new(4, 3, (nb_rnn_opts){ .proj_size = 3 }) == NULL,
               "nb_lstm_new: proj_size has to be smaller than hidden_size");
    EXPECT_ERR(nb_gru_new(4, 3, (nb_rnn_opts){ .proj_size = 2 }) == NULL,
               "nb_gru_new: proj_size argument is only supported for LSTM, not RNN or GRU");
    EXPECT_ERR(nb_lstm_new(4, 3, (nb_rnn_opts){ .dropout = 1.5 }) == NULL,
               "nb_lstm_new: dropout should be a number in range [0, 1]");
    EXPECT_ERR(nb_rnn_new(4, 3, (nb_rnn_opts){ .nonlinearity = "foo" }) == NULL,
               "nb_rnn_new: Unknown nonlinearity 'foo'");
    EXPECT_ERR(nb_lstm_new(0, 3, (nb_rnn_opts){ 0 }) == NULL,
               "nb_lstm_new: input_size, hidden_size and num_layers must be positive");
    /* the functional ops name themselves */
    nb_tensor *w = Z(12, 4), *u = Z(12, 3);
    EXPECT_ERR(nb_lstm_cell(Z(2, 4), Z(2, 3), Z(2, 4), w, u, NULL, NULL, &c) == NULL,
               "nb_lstm_cell: hidden1 has inconsistent hidden_size: got 4, expected 3");
    EXPECT_ERR(nb_gru_cell(Z(2, 4), Z(2, 3), Z(10, 4), Z(9, 3), NULL, NULL) == NULL,
               "nb_gru_cell: weight_ih must be (3 * hidden_size, input_size) for GRU, got (10, 4)");
    EXPECT_ERR(nb_rnn_layer(NB_RNN_LSTM, Z(5, 2, 4), NULL, NULL,
                            (nb_rnn_weights){ .w_ih = w, .w_hh = Z(12, 2) }, false, &o, &h, &c) != NB_OK,
               "nb_rnn_layer: weight_hh must have shape (12, 3), got (12, 2)");
    EXPECT_ERR(nb_rnn_layer(NB_RNN_GRU, Z(5, 2, 4), NULL, NULL,
                            (nb_rnn_weights){ .w_ih = Z(9, 4), .w_hh = Z(9, 3), .b_ih = Z(9) }, false, &o,
                            NULL, NULL) != NB_OK,
               "nb_rnn_layer: give both biases (bias_ih and bias_hh) or neither");
    /* NULL passes through without a new error */
    CHECK(nb_rnn_cell_forward(cell, NULL, NULL, NULL, &c) == NULL && !nb_error());
    CHECK(nb_gru_cell(NULL, Z(2, 3), Z(9, 4), Z(9, 3), NULL, NULL) == NULL && !nb_error());
    nb_module_free(lstm);
    nb_module_free(gru);
    nb_module_free(cell);
    nb_module_free(gcell);
    nb_scope_end(s);
}

/* one LSTM + GRU training step of a size where the GEMMs use threads: returns the summed grads */
static double step(nb_module *a, nb_module *b, nb_tensor *x) {
    nb_scope s = nb_scope_begin();
    nb_tensor *o1 = NULL, *o2 = NULL, *hn = NULL, *cn = NULL;
    nb_rnn_forward(a, x, NULL, NULL, &o1, &hn, &cn);
    nb_rnn_forward(b, o1, NULL, NULL, &o2, NULL, NULL);
    nb_backward(nb_add(nb_add(nb_sum(nb_square(o2)), nb_sum(hn)), nb_sum(cn)));
    nb_scope_end(s);
    double acc = 0;
    int n;
    nb_tensor **ps = nb_module_parameters(a, &n);
    for (int k = 0; k < 2; k++, ps = nb_module_parameters(b, &n))
        for (int i = 0; i < n; i++) {
            nb_tensor *g = ps[i]->grad;
            for (int64_t j = 0; g && j < g->numel; j++) acc += (j % 7 + 1) * (double)nb_data_f32(g)[j];
        }
    nb_module_zero_grad(a);
    nb_module_zero_grad(b);
    return acc;
}

static void threads_and_memory(void) {
    nb_manual_seed(7);
    nb_module *a = nb_lstm_new(64, 96, (nb_rnn_opts){ .bidirectional = true });
    nb_module *b = nb_gru_new(192, 64, (nb_rnn_opts){ .num_layers = 2 });
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(4, 32, 64));
    nb_set_num_threads(1);
    double one = step(a, b, x);
    nb_set_num_threads(2);
    double two = step(a, b, x);
    nb_set_num_threads(0);
    CHECK(one == two && one != 0); /* bitwise the same sum at 1 and 2 threads */
    /* a steady loop stays flat: no system allocation after the first steps */
    step(a, b, x);
    size_t before = nb_memory_stats_get().system_allocs;
    for (int i = 0; i < 3; i++) step(a, b, x);
    CHECK(nb_memory_stats_get().system_allocs == before);
    nb_free(x);
    nb_module_free(a);
    nb_module_free(b);
}

/* print(model) as torch prints it, and the general forward (x, h0, c0) -> (output, h_n, c_n) */
static void printing_and_forward_ex(void) {
    nb_module *ms[6] = { nb_lstm_new(4, 3,
                                     (nb_rnn_opts){ .num_layers = 2,
                                                    .batch_first = true,
                                                    .dropout = 0.5,
                                                    .bidirectional = true,
                                                    .proj_size = 2 }),
                         nb_gru_new(4, 3, (nb_rnn_opts){ .no_bias = true }),
                         nb_rnn_new(4, 3, (nb_rnn_opts){ .nonlinearity = "relu" }),
                         nb_lstm_cell_new(4, 3, true),
                         nb_rnn_cell_new(4, 3, true, "relu"),
                         nb_gru_cell_new(3, 4, false) };
    const char *want[6] = {
        "LSTM(4, 3, proj_size=2, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)\n",
        "GRU(4, 3, bias=False)\n",
        "RNN(4, 3)\n",
        "LSTMCell(4, 3)\n",
        "RNNCell(4, 3, nonlinearity=relu)\n",
        "GRUCell(3, 4, bias=False)\n"
    };
    for (int i = 0; i < 6; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        nb_module_fprint(f, ms[i]);
        fclose(f);
        if (strcmp(buf, want[i])) fprintf(stderr, "FAIL print: got %s want %s", buf, want[i]);
        CHECK(!strcmp(buf, want[i]));
        free(buf);
    }
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(2, 5, 4)), *h0 = nb_randn(NB_F32, NB_SHAPE(4, 2, 2));
    nb_tensor *c0 = nb_randn(NB_F32, NB_SHAPE(4, 2, 3)), *out[3], *o, *h, *c;
    CHECK(nb_module_forward_ex(ms[0], 3, (nb_tensor *[]){ x, h0, c0 }, NULL, 3, out) == 3);
    CHECK(nb_rnn_forward(ms[0], x, h0, c0, &o, &h, &c) == NB_OK);
    nb_module_eval(ms[0]); /* dropout off: both forms give the same numbers */
    CHECK(nb_module_forward_ex(ms[0], 3, (nb_tensor *[]){ x, h0, c0 }, NULL, 3, out) == 3);
    CHECK(nb_rnn_forward(ms[0], x, h0, c0, &o, &h, &c) == NB_OK);
    CHECK(nb_item(nb_sum(nb_abs(nb_sub(out[0], o)))) == 0 && nb_item(nb_sum(nb_abs(nb_sub(out[2], c)))) == 0);
    CHECK(out[0]->shape[0] == 2 && out[0]->shape[1] == 5 && out[0]->shape[2] == 4);
    nb_tensor *y[2];
    CHECK(nb_module_forward_ex(ms[3], 1, (nb_tensor *[]){ nb_randn(NB_F32, NB_SHAPE(2, 4)) }, NULL, 2, y) ==
          2);
    CHECK(nb_module_forward_ex(ms[1], 1, &x, NULL, 1, y) == 1 && y[0]->shape[2] == 3);
    CHECK(nb_module_forward_ex(ms[1], 3, (nb_tensor *[]){ x, x, x }, NULL, 2, y) == -1 && nb_error());
    nb_clear_error();
    nb_scope_end(s);
    for (int i = 0; i < 6; i++) nb_module_free(ms[i]);
}

int main(void) {
    golden();
    errors();
    printing_and_forward_ex();
    threads_and_memory();
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
