/* test_modules.c — the module system against torch 1.13: buffers, state_dict names and order of a
 * nested model with buffers, tied weights and a shared block (tests/golden/modules.txt from
 * tools/gen_golden_modules.py: names, forward values and gradients after loading torch's weights),
 * the general forward, ModuleList / ModuleDict, torch's KeyError / IndexError cases, cycles,
 * nb_module_to with buffers and a safetensors round trip. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* true if an error is pending and its message contains s */
static bool err_has(const char *s) { return nb_error() && strstr(nb_error(), s); }

/* ---- the model of the golden case, built the way a user would ----------------------------------- */
/* Block: relu(lin(x)) + stat */
static nb_tensor *block_fw(nb_module *m, nb_tensor *x) {
    return nb_add(nb_relu(nb_module_forward(m->children[0], x)), m->buffers[0]);
}
static nb_module *block_new(void) {
    nb_module *m = nb_module_new("Block", block_fw, NULL, NULL);
    nb_tensor *stat = nb_zeros(NB_F32, NB_SHAPE(4)), *count = nb_scalar(NB_I64, 3),
              *scratch = nb_zeros(NB_F32, NB_SHAPE(2));
    CHECK(nb_module_register_module(m, "lin", nb_linear_new(4, 4, true)) == NB_OK);
    CHECK(nb_module_register_buffer(m, "stat", stat, true) == NB_OK);
    CHECK(nb_module_register_buffer(m, "count", count, true) == NB_OK);
    CHECK(nb_module_register_buffer(m, "scratch", scratch, false) == NB_OK);
    return m;
}
/* TiedNet: head(extra(blocks[1](blocks[0](enc(idx) * scale + pos)))), head.weight = enc.weight, extra =
 * blocks[0] */
static nb_tensor *tied_fw(nb_module *m, nb_tensor *idx) {
    nb_module *enc = nb_module_get_submodule(m, "enc"), *head = nb_module_get_submodule(m, "head");
    nb_module *blocks = nb_module_get_submodule(m, "blocks"), *extra = nb_module_get_submodule(m, "extra");
    nb_tensor *h = nb_add(nb_mul(nb_module_forward(enc, idx), m->params[0]), m->buffers[0]);
    h = nb_module_forward(nb_module_list_get(blocks, 0), h);
    h = nb_module_forward(nb_module_list_get(blocks, -1), h);
    return nb_module_forward(head, nb_module_forward(extra, h));
}
static nb_module *tied_new(void) {
    nb_module *m = nb_module_new("TiedNet", tied_fw, NULL, NULL);
    nb_module *enc = nb_embedding_new(5, 4), *head = nb_linear_new(4, 5, true);
    nb_module *blocks = nb_module_list_new(1, block_new());
    CHECK(nb_module_list_append(blocks, block_new()) == NB_OK);
    CHECK(nb_module_register_module(m, "enc", enc) == NB_OK);
    CHECK(nb_module_register_module(m, "blocks", blocks) == NB_OK);
    CHECK(nb_module_register_module(m, "head", head) == NB_OK);
    CHECK(nb_module_set_parameter(head, "weight", nb_module_get_parameter(enc, "weight")) == NB_OK);
    CHECK(nb_module_register_module(m, "extra", nb_module_list_get(blocks, 0)) == NB_OK);
    CHECK(nb_module_register_parameter(m, "scale", nb_zeros(NB_F32, NB_SHAPE(4))) == NB_OK);
    CHECK(nb_module_register_buffer(m, "pos", nb_zeros(NB_F32, NB_SHAPE(4)), true) == NB_OK);
    return m;
}

/* ---- golden file -------------------------------------------------------------------------------- */
#define MAXT 64
typedef struct {
    char name[64];
    nb_tensor *t;
} named;
typedef struct {
    char name[48];
    int nnames[3]; /* state_dict, parameters, buffers */
    char names[3][MAXT][64];
    int ntens, ngrad;
    named tens[MAXT], grad[MAXT];
    nb_tensor *idx, *out, *gout;
} gcase;

static bool names_equal(const nb_state_dict *sd, const gcase *c, int list) {
    bool ok = sd->n == c->nnames[list];
    for (int i = 0; ok && i < sd->n; i++) ok = !strcmp(sd->names[i], c->names[list][i]);
    if (!ok) {
        fprintf(stderr, "  names differ (list %d): got", list);
        for (int i = 0; i < sd->n; i++) fprintf(stderr, " %s", sd->names[i]);
        fprintf(stderr, "\n");
    }
    return ok;
}

static bool close_t(const nb_tensor *a, const nb_tensor *b, double tol) {
    if (!a || !b || a->numel != b->numel) return false;
    double *x = malloc(sizeof *x * (size_t)(a->numel + 1)), *y = malloc(sizeof *y * (size_t)(a->numel + 1));
    nb_to_doubles(a, x);
    nb_to_doubles(b, y);
    bool ok = true;
    for (int64_t i = 0; ok && i < a->numel; i++) ok = fabs(x[i] - y[i]) <= tol * (1 + fabs(y[i]));
    free(x);
    free(y);
    return ok;
}

static void run_tied_net(const gcase *c) {
    nb_memory_stats before = nb_memory_stats_get();
    nb_module *m = tied_new();
    CHECK(nb_module_to(m, NB_F64) == NB_OK);
    /* tying survives the conversion; the int64 buffer is kept */
    CHECK(nb_module_get_parameter(m, "head.weight") == nb_module_get_parameter(m, "enc.weight"));
    CHECK(nb_module_get_buffer(m, "blocks.0.count")->dtype == NB_I64);
    CHECK(nb_module_get_buffer(m, "extra.stat") == nb_module_get_buffer(m, "blocks.0.stat"));
    CHECK(nb_module_get_buffer(m, "pos")->dtype == NB_F64);
    nb_state_dict sd = nb_module_state_dict(m), np = nb_module_named_parameters(m),
                  nbuf = nb_module_named_buffers(m);
    CHECK(names_equal(&sd, c, 0));
    CHECK(names_equal(&np, c, 1));
    CHECK(names_equal(&nbuf, c, 2));
    int n, nb;
    nb_tensor **ps = nb_module_parameters(m, &n);
    CHECK(n == c->nnames[1] && ps[1] == nb_module_get_parameter(m, "enc.weight"));
    nb_tensor **bs = nb_module_buffers(m, &nb);
    CHECK(nb == c->nnames[2] && bs[0] == nb_module_get_buffer(m, "pos"));
    CHECK(nb_module_num_parameters(m) == 4 + 20 + 2 * (16 + 4) + 5);
    /* torch's weights into nabla's model through a safetensors file (strict load, tied names twice) */
    nb_state_dict file = { 0 };
    for (int i = 0; i < c->ntens; i++) nb_state_dict_add(&file, c->tens[i].name, c->tens[i].t);
    char path[] = "/tmp/nb_test_modules_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    CHECK(nb_save_safetensors(&file, path) == NB_OK);
    CHECK(nb_load_safetensors(&sd, path) == NB_OK);
    for (int i = 0; i < c->ntens; i++)
        CHECK(close_t(nb_state_dict_get(&sd, c->tens[i].name), c->tens[i].t, 0));
    nb_state_dict_free(&file);
    /* forward and gradients as torch's */
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nb_module_forward(m, c->idx);
    CHECK(close_t(y, c->out, 1e-12));
    CHECK(nb_backward(nb_sum(nb_mul(y, c->gout))) == NB_OK);
    for (int i = 0; i < c->ngrad; i++) {
        nb_tensor *p = nb_state_dict_get(&np, c->grad[i].name);
        CHECK(p && close_t(p->grad, c->grad[i].t, 1e-12));
        if (!p || !close_t(p->grad, c->grad[i].t, 1e-12)) fprintf(stderr, "  grad %s\n", c->grad[i].name);
    }
    nb_scope_end(s);
    /* an optimizer sees the tied weight once: one SGD step moves it by lr * (sum of both uses) */
    nb_tensor *w = nb_module_get_parameter(m, "enc.weight");
    nb_tensor *w0 = nb_clone(w);
    nb_optimizer *opt = nb_sgd(ps, n, (nb_sgd_opts){ .lr = 0.5 });
    CHECK(opt && nb_optim_step(opt) == NB_OK);
    nb_scope s2 = nb_scope_begin();
    CHECK(close_t(w, nb_sub(w0, nb_mul_scalar(c->grad[1].t, 0.5)), 1e-12));
    nb_scope_end(s2);
    nb_optim_free(opt);
    nb_free(w0);
    nb_state_dict_free(&sd);
    nb_state_dict_free(&np);
    nb_state_dict_free(&nbuf);
    remove(path);
    nb_module_free(m); /* the tied weight and the shared block are freed once (ASan checks) */
    CHECK(nb_memory_stats_get().tensors_live == before.tensors_live);
    CHECK(!nb_error());
}

static void free_case(gcase *c) {
    for (int i = 0; i < c->ntens; i++) nb_free(c->tens[i].t);
    for (int i = 0; i < c->ngrad; i++) nb_free(c->grad[i].t);
    nb_free(c->idx);
    nb_free(c->out);
    nb_free(c->gout);
    memset(c, 0, sizeof *c);
}

static int run_golden(void) {
    FILE *f = tl_open_data("golden/modules.txt");
    if (!f) {
        CHECK(!"golden/modules.txt");
        return 0;
    }
    char *line = NULL;
    size_t cap = 0;
    static gcase c;
    int ncases = 0;
    while (getline(&line, &cap, f) > 0) {
        char *save, *tok = strtok_r(line, " \n", &save);
        if (!tok || tok[0] == '#') continue;
        if (!strcmp(tok, "case"))
            snprintf(c.name, sizeof c.name, "%s", strtok_r(NULL, " \n", &save));
        else if (!strcmp(tok, "names")) {
            char *list = strtok_r(NULL, " \n", &save);
            int k = !strcmp(list, "state_dict") ? 0 : !strcmp(list, "parameters") ? 1 : 2;
            c.nnames[k] = atoi(strtok_r(NULL, " \n", &save));
            for (int i = 0; i < c.nnames[k] && i < MAXT; i++)
                snprintf(c.names[k][i], sizeof c.names[k][i], "%s", strtok_r(NULL, " \n", &save));
        } else if (!strcmp(tok, "tensor") || !strcmp(tok, "grad")) {
            named *t = tok[0] == 't' ? &c.tens[c.ntens++] : &c.grad[c.ngrad++];
            snprintf(t->name, sizeof t->name, "%s", strtok_r(NULL, " \n", &save));
            t->t = tl_parse_tensor(&save);
        } else if (!strcmp(tok, "in")) {
            strtok_r(NULL, " \n", &save);
            c.idx = tl_parse_tensor(&save);
        } else if (!strcmp(tok, "out"))
            c.out = tl_parse_tensor(&save);
        else if (!strcmp(tok, "gout"))
            c.gout = tl_parse_tensor(&save);
        else if (!strcmp(tok, "end")) {
            if (!strcmp(c.name, "tied_net"))
                run_tied_net(&c);
            else
                CHECK(!"unknown golden case");
            ncases++;
            free_case(&c);
        }
    }
    free(line);
    fclose(f);
    return ncases;
}

/* ---- registration rules (torch's KeyError cases), cycles, ownership ------------------------------- */
static void test_names_and_cycles(void) {
    nb_memory_stats before = nb_memory_stats_get();
    nb_module *m = nb_linear_new(2, 3, true);
    nb_tensor *t = nb_zeros(NB_F32, NB_SHAPE(3));
    CHECK(nb_module_register_parameter(m, "weight", t) == NB_ERROR);
    nb_clear_error(); /* exists */
    CHECK(nb_module_register_buffer(m, "running", t, true) == NB_OK);
    nb_tensor *u = nb_zeros(NB_F32, NB_SHAPE(3));
    CHECK(nb_module_register_parameter(m, "running", u) == NB_ERROR); /* a buffer */
    CHECK(err_has("attribute 'running' already exists") && err_has("nb_module_register_parameter"));
    nb_clear_error();
    CHECK(nb_module_register_buffer(m, "bias", u, true) == NB_ERROR);
    nb_clear_error(); /* a parameter */
    CHECK(nb_module_register_parameter(m, "a.b", u) == NB_ERROR);
    CHECK(err_has("parameter name can't contain \".\""));
    nb_clear_error();
    CHECK(nb_module_register_buffer(m, "", u, true) == NB_ERROR);
    CHECK(err_has("buffer name can't be empty string"));
    nb_clear_error();
    nb_module *r = nb_relu_new();
    CHECK(nb_module_register_module(m, "weight", r) == NB_ERROR);
    nb_clear_error();
    CHECK(nb_module_register_module(m, "x.y", r) == NB_ERROR);
    CHECK(err_has("module name can't contain \".\", got: x.y"));
    nb_clear_error();
    CHECK(nb_module_register_module(m, "act", r) == NB_OK);
    CHECK(nb_module_register_module(m, "act", nb_module_get_submodule(m, "act")) == NB_ERROR);
    nb_clear_error();
    /* cycles: itself, its parent, a grandparent through a list */
    CHECK(nb_module_register_module(m, "self", m) == NB_ERROR);
    CHECK(err_has("cycle"));
    nb_clear_error();
    CHECK(nb_module_register_module(r, "up", m) == NB_ERROR);
    nb_clear_error();
    nb_module *list = nb_module_list_new(1, m);
    CHECK(list && nb_module_list_append(list, list) == NB_ERROR);
    nb_clear_error();
    CHECK(nb_module_register_module(r, "top", list) == NB_ERROR);
    nb_clear_error();
    nb_module *d = nb_module_dict_new();
    CHECK(nb_module_dict_set(d, "l", list) == NB_OK);
    CHECK(nb_module_dict_set(r, "x", d) == NB_ERROR);
    nb_clear_error(); /* r is no dict */
    CHECK(nb_module_dict_set(d, "l", d) == NB_ERROR);
    nb_clear_error(); /* replace by itself */
    CHECK(nb_module_list_append(list, d) == NB_ERROR);
    nb_clear_error();
    /* nothing of the above changed the tree; walks terminate */
    int n;
    CHECK(nb_module_parameters(d, &n) && n == 2);
    nb_state_dict sd = nb_module_state_dict(d);
    CHECK(sd.n == 3 && !strcmp(sd.names[2], "l.0.running"));
    nb_state_dict_free(&sd);
    /* a submodule cannot be freed on its own */
    nb_module_free(list);
    CHECK(err_has("nb_module_free"));
    nb_clear_error();
    nb_module_free(d);
    nb_free(u);
    CHECK(nb_memory_stats_get().tensors_live == before.tensors_live);
    /* a scoped tensor or a non-leaf is no buffer; NULLs are errors */
    nb_module *e = nb_relu_new();
    nb_scope s = nb_scope_begin();
    CHECK(nb_module_register_buffer(e, "b", nb_zeros(NB_F32, NB_SHAPE(1)), true) == NB_ERROR);
    nb_clear_error();
    nb_scope_end(s);
    CHECK(nb_module_register_buffer(e, NULL, NULL, true) == NB_ERROR);
    nb_clear_error();
    CHECK(nb_module_register_buffer(NULL, "b", NULL, true) == NB_ERROR);
    nb_clear_error();
    CHECK(nb_module_set_parameter(e, "w", NULL) == NB_ERROR);
    nb_clear_error();
    nb_module_free(e);
}

/* ---- the general forward ------------------------------------------------------------------------ */
typedef struct {
    double alpha;
} pair_opts;
/* (a, b = optional) -> (a + b, a * b, alpha a): three outputs, writes at most nout */
static int pair_fw(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout, nb_tensor **out) {
    (void)m;
    if (nin < 1 || nin > 2) return -1; /* nb_module_forward_ex records the error */
    nb_tensor *a = in[0], *b = nin > 1 && in[1] ? in[1] : nb_ones_like(a);
    double alpha = opts ? ((const pair_opts *)opts)->alpha : 1.0;
    nb_tensor *all[3] = { nb_add(a, b), nb_mul(a, b), nb_mul_scalar(a, alpha) };
    int k = nout < 3 ? nout : 3;
    for (int i = 0; i < k; i++) out[i] = all[i];
    return k;
}
static void test_forward_ex(void) {
    nb_module *m = nb_module_new_ex("Pair", pair_fw, NULL, NULL);
    nb_scope s = nb_scope_begin();
    nb_tensor *a = nb_full(NB_F32, NB_SHAPE(2), 3.0), *b = nb_full(NB_F32, NB_SHAPE(2), 2.0), *out[4];
    CHECK(nb_module_forward_ex(m, NB_LIST(a, b), &(pair_opts){ .alpha = 0.5 }, 4, out) == 3);
    CHECK(nb_item(nb_select(out[0], 0, 0)) == 5 && nb_item(nb_select(out[1], 0, 1)) == 6 &&
          nb_item(nb_select(out[2], 0, 0)) == 1.5);
    CHECK(out[3] == NULL);
    CHECK(nb_module_forward_ex(m, NB_LIST(a, NULL), NULL, 2, out) == 2 &&
          nb_item(nb_select(out[0], 0, 0)) == 4);
    nb_tensor *y = nb_module_forward(m, a); /* the one-tensor form: the first output */
    CHECK(y && nb_item(nb_select(y, 0, 1)) == 4);
    /* a failed input passes through; no room for outputs is an error */
    CHECK(nb_module_forward_ex(m, NB_LIST(nb_reshape(a, NB_SHAPE(7)), b), NULL, 3, out) == -1 && !out[0] &&
          !out[2]);
    CHECK(nb_error() != NULL);
    nb_clear_error();
    CHECK(nb_module_forward_ex(m, NB_LIST(a), NULL, 0, out) == -1);
    nb_clear_error();
    CHECK(nb_module_forward_ex(NULL, NB_LIST(a), NULL, 1, out) == -1 && !out[0]);
    nb_clear_error();
    /* one-tensor modules through the general form; containers have no forward */
    nb_module *lin = nb_linear_new(2, 1, false);
    CHECK(nb_module_forward_ex(lin, NB_LIST(a), NULL, 1, out) == 1 && out[0]->shape[0] == 1);
    CHECK(nb_module_forward_ex(lin, NB_LIST(a, b), NULL, 1, out) == -1);
    CHECK(err_has("Linear takes exactly one input"));
    nb_clear_error();
    nb_module *list = nb_module_list_new(0);
    CHECK_ERR(nb_module_forward(list, a));
    CHECK(nb_module_forward_ex(list, NB_LIST(a), NULL, 1, out) == -1);
    CHECK(err_has("ModuleList has no forward"));
    nb_clear_error();
    nb_scope_end(s);
    nb_module_free(list);
    nb_module_free(lin);
    nb_module_free(m);
}

/* ---- containers --------------------------------------------------------------------------------- */
static char *print_to_string(const nb_module *m) {
    static char buf[2048];
    FILE *f = tmpfile();
    nb_module_fprint(f, m);
    rewind(f);
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    buf[k] = 0;
    fclose(f);
    return buf;
}
static void test_containers(void) {
    nb_module *l = nb_module_list_new(2, nb_linear_new(2, 2, true), nb_relu_new());
    CHECK(nb_module_list_len(l) == 2 && nb_module_list_append(l, nb_tanh_new()) == NB_OK &&
          nb_module_list_len(l) == 3);
    CHECK(!strcmp(nb_module_list_get(l, -1)->type, "Tanh") &&
          !strcmp(nb_module_list_get(l, 0)->type, "Linear"));
    CHECK_ERR(nb_module_list_get(l, 3));
    CHECK_ERR(nb_module_list_get(l, -4));
    CHECK(!strcmp(print_to_string(l), "ModuleList(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n"
                                      "  (1): ReLU()\n  (2): Tanh()\n)\n"));
    nb_module *d = nb_module_dict_new();
    CHECK(nb_module_dict_set(d, "b", nb_relu_new()) == NB_OK &&
          nb_module_dict_set(d, "a", nb_tanh_new()) == NB_OK);
    CHECK(!strcmp(print_to_string(d), "ModuleDict(\n  (b): ReLU()\n  (a): Tanh()\n)\n"));
    CHECK(nb_module_dict_set(d, "b", nb_sigmoid_new()) == NB_OK); /* replaced in place */
    CHECK(!strcmp(d->child_names[0], "b") && !strcmp(nb_module_dict_get(d, "b")->type, "Sigmoid"));
    CHECK_ERR(nb_module_dict_get(d, "zz"));
    CHECK_ERR(nb_module_dict_get(l, "a"));
    CHECK(nb_module_dict_set(d, "list", l) == NB_OK && nb_module_list_len(d) == 3);
    nb_module *empty = nb_module_list_new(0);
    CHECK(!strcmp(print_to_string(empty), "ModuleList()\n"));
    CHECK(nb_module_list_new(2, nb_relu_new(), NULL) == NULL);
    nb_clear_error(); /* frees the ReLU */
    nb_module_free(empty);
    nb_module_free(d);
}

/* ---- buffers through state dicts, nb_module_to and checkpoints ------------------------------------- */
static void test_buffers_checkpoint(void) {
    nb_module *m = nb_sequential_new(2, block_new(), nb_linear_new(4, 2, true));
    nb_tensor *stat = nb_module_get_buffer(m, "0.stat");
    NB_NO_GRAD { nb_fill_(stat, 0.25); }
    int n;
    nb_module_parameters(m, &n);
    CHECK(n == 4);
    nb_module_buffers(m, &n);
    CHECK(n == 3);
    CHECK(!stat->requires_grad);
    nb_state_dict sd = nb_module_state_dict(m);
    const char *want[] = { "0.stat", "0.count", "0.lin.weight", "0.lin.bias", "1.weight", "1.bias" };
    CHECK(sd.n == 6);
    for (int i = 0; i < sd.n && i < 6; i++) CHECK(!strcmp(sd.names[i], want[i]));
    char path[] = "/tmp/nb_test_modules_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    CHECK(nb_save_safetensors(&sd, path) == NB_OK);
    nb_state_dict_free(&sd);
    /* a second model, converted to f64 (the i64 buffer stays i64), loads the file after going back */
    nb_module *m2 = nb_sequential_new(2, block_new(), nb_linear_new(4, 2, true));
    CHECK(nb_module_to(m2, NB_F64) == NB_OK && nb_module_get_buffer(m2, "0.stat")->dtype == NB_F64);
    CHECK(nb_module_get_buffer(m2, "0.count")->dtype == NB_I64 &&
          nb_module_get_buffer(m2, "0.scratch")->dtype == NB_F64);
    sd = nb_module_state_dict(m2);
    CHECK(nb_load_safetensors(&sd, path) == NB_ERROR);
    nb_clear_error(); /* f64 vs the file's f32 */
    nb_state_dict_free(&sd);
    CHECK(nb_module_to(m2, NB_F32) == NB_OK);
    NB_NO_GRAD { nb_fill_(nb_module_get_buffer(m2, "0.count"), 7); }
    sd = nb_module_state_dict(m2);
    CHECK(nb_load_safetensors(&sd, path) == NB_OK);
    nb_state_dict_free(&sd);
    CHECK(nb_item(nb_module_get_buffer(m2, "0.count")) == 3);
    CHECK(close_t(nb_module_get_buffer(m2, "0.stat"), stat, 0));
    CHECK(close_t(nb_module_get_parameter(m2, "1.weight"), nb_module_get_parameter(m, "1.weight"), 0));
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(3, 4));
    CHECK(close_t(nb_module_forward(m2, x), nb_module_forward(m, x), 0));
    nb_scope_end(s);
    remove(path);
    nb_module_free(m);
    nb_module_free(m2);
}

int main(void) {
    int ncases = run_golden();
    CHECK(ncases >= 1);
    test_names_and_cycles();
    test_forward_ex();
    test_containers();
    test_buffers_checkpoint();
    CHECK(!nb_error());
    return nb_test_done();
}
