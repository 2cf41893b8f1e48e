/* test_attention.c — F.scaled_dot_product_attention against PyTorch (tests/golden/attention.txt, made
 * by tools/gen_golden_attention.py from torch 2.x's reference math in 1.13 ops): outputs and the
 * gradients of q, k, v and a float mask, f32 and f64, bool / float masks, causal with L != S,
 * broadcasting, scale, seeded dropout; each case through the default path, the composed path and the
 * fused kernel; fused against composed at larger sizes; torch's errors. */
#include "testlib.h"
#include "nba_attention.h"
#include <stdlib.h>
#include <string.h>

/* ---- one golden case ---- */
typedef struct {
    char name[64];
    nb_dtype dt;
    int causal;
    double scale, dropout;
    char mask[8];
    long long fseed;
    nb_tensor *q, *k, *v, *m, *w, *out, *gq, *gk, *gv, *gm;
} gcase;

static void case_free(gcase *c) {
    nb_tensor *ts[] = { c->q, c->k, c->v, c->m, c->w, c->out, c->gq, c->gk, c->gv, c->gm };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) nb_free(ts[i]);
    memset(c, 0, sizeof *c);
}

static nb_tensor **slot(gcase *c, const char *kind, const char *what) {
    bool in = !strcmp(kind, "in");
    if (!strcmp(what, "q")) return in ? &c->q : &c->gq;
    if (!strcmp(what, "k")) return in ? &c->k : &c->gk;
    if (!strcmp(what, "v")) return in ? &c->v : &c->gv;
    if (!strcmp(what, "mask")) return in ? &c->m : &c->gm;
    if (!strcmp(what, "w") && in) return &c->w;
    return NULL;
}

static bool near(const nb_tensor *got, const nb_tensor *want, double tol, const char *what,
                 const char *name) {
    if (!got || !want || got->numel != want->numel) {
        printf("FAIL %s %s: missing or wrong size (%s)\n", name, what, nb_error() ? nb_error() : "");
        return CHECK(false), false;
    }
    nb_tensor *g = nb_contiguous(nb_to(nb_detach((nb_tensor *)got), NB_F64));
    nb_tensor *w = nb_to(nb_detach((nb_tensor *)want), NB_F64);
    bool ok = tl_tensor_near(g, nb_data_f64(w), w->numel, tol, what, name, 0);
    return ok;
}

/* run case c through path (0 default, 1 composed, 2 fused) and compare everything */
static void run_case(const gcase *c, int path) {
    nb_scope s = nb_scope_begin();
    nba_sdpa_path = path;
    nb_tensor *q = nb_requires_grad_(nb_clone(c->q), true), *k = nb_requires_grad_(nb_clone(c->k), true);
    nb_tensor *v = nb_requires_grad_(nb_clone(c->v), true);
    nb_tensor *m = c->m ? nb_clone(c->m) : NULL;
    if (m && m->dtype != NB_I64) nb_requires_grad_(m, true);
    nb_sdpa_opts o = { .attn_mask = m, .dropout_p = c->dropout, .is_causal = c->causal, .scale = c->scale };
    if (c->dropout > 0) nb_manual_seed((uint64_t)c->fseed);
    long fw0 = nba_sdpa_fused_fw, bw0 = nba_sdpa_fused_bw;
    nb_tensor *y = nb_scaled_dot_product_attention(q, k, v, o);
    double tol = c->dt == NB_F32 ? 3e-5 : 1e-11;
    char nm[96];
    snprintf(nm, sizeof nm, "%s[path %d]", c->name, path);
    near(y, c->out, tol, "out", nm);
    CHECK(nb_backward(nb_sum(nb_mul(y, c->w))) == NB_OK);
    near(q->grad, c->gq, tol, "grad q", nm);
    near(k->grad, c->gk, tol, "grad k", nm);
    near(v->grad, c->gv, tol, "grad v", nm);
    if (c->gm) near(m->grad, c->gm, tol, "grad mask", nm);
    /* the fused kernel runs (forward and backward) unless composing is asked or needed */
    bool want_fused = path != 1 && !c->gm;
    CHECK((nba_sdpa_fused_fw - fw0 == 1 && nba_sdpa_fused_bw - bw0 == 1) == want_fused);
    CHECK(nba_sdpa_fused_fw - fw0 == (want_fused ? 1 : 0));
    nba_sdpa_path = 0;
    nb_tensor *ts[] = { q, k, v, m };
    for (int i = 0; i < 4; i++) nb_free(ts[i]);
    nb_scope_end(s);
    nb_clear_error();
}

static int golden(void) {
    FILE *f = tl_open_data("golden/attention.txt");
    if (!f) return CHECK(false), 0;
    char *line = NULL;
    size_t cap = 0;
    gcase c = { 0 };
    int n = 0;
    while (getline(&line, &cap, f) > 0) {
        char *save = NULL, *kind = strtok_r(line, " \n", &save);
        if (!kind || kind[0] == '#') continue;
        if (!strcmp(kind, "case")) {
            snprintf(c.name, sizeof c.name, "%s", strtok_r(NULL, " \n", &save));
            c.dt = !strcmp(strtok_r(NULL, " \n", &save), "f64") ? NB_F64 : NB_F32;
            c.causal = atoi(strtok_r(NULL, " \n", &save));
            c.scale = strtod(strtok_r(NULL, " \n", &save), NULL);
            snprintf(c.mask, sizeof c.mask, "%s", strtok_r(NULL, " \n", &save));
            c.dropout = strtod(strtok_r(NULL, " \n", &save), NULL);
            c.fseed = atoll(strtok_r(NULL, " \n", &save));
        } else if (!strcmp(kind, "in") || !strcmp(kind, "grad")) {
            nb_tensor **t = slot(&c, kind, strtok_r(NULL, " \n", &save));
            if (t) *t = tl_parse_tensor(&save);
        } else if (!strcmp(kind, "out")) {
            c.out = tl_parse_tensor(&save);
        } else if (!strcmp(kind, "end")) {
            run_case(&c, 0);
            run_case(&c, 1);
            run_case(&c, 2);
            case_free(&c);
            n++;
        }
    }
    free(line);
    fclose(f);
    return n;
}

/* ---- the fused kernel against the composed ops at larger sizes: values and gradients ---- */
typedef struct {
    const char *name;
    int64_t B, H, L, S, E, Ev;
    bool causal;
    int mask; /* 0 none, 1 bool (L, S), 2 float (B, 1, L, S), 3 bool key padding (B, 1, 1, S) */
    double dropout;
} fcase;

static nb_tensor *rnd(nb_dtype dt, int64_t a, int64_t b, int64_t c, int64_t d) {
    return nb_sub_scalar(nb_mul_scalar(nb_rand(dt, NB_SHAPE(a, b, c, d)), 4), 2);
}

/* out and grads of q, k, v through path 1 (composed) or 2 (fused) on the same inputs */
static void fused_run(const fcase *c, nb_dtype dt, int path, nb_tensor **res) {
    nb_manual_seed(1234);
    nb_tensor *q = rnd(dt, c->B, c->H, c->L, c->E), *k = rnd(dt, c->B, c->H, c->S, c->E);
    nb_tensor *v = rnd(dt, c->B, c->H, c->S, c->Ev), *w = nb_rand(dt, NB_SHAPE(c->B, c->H, c->L, c->Ev));
    nb_tensor *m = NULL;
    if (c->mask == 1 || c->mask == 3) {
        nb_tensor *u = c->mask == 1 ? nb_rand(NB_F64, NB_SHAPE(c->L, c->S))
                                    : nb_rand(NB_F64, NB_SHAPE(c->B, 1, 1, c->S));
        m = nb_to(nb_lt_scalar(u, 0.8), NB_I64);
    } else if (c->mask == 2) {
        m = rnd(dt, c->B, 1, c->L, c->S);
    }
    nb_tensor *in[3] = { q, k, v };
    for (int i = 0; i < 3; i++) nb_requires_grad_(in[i], true);
    nba_sdpa_path = path;
    long fw0 = nba_sdpa_fused_fw;
    nb_manual_seed(77); /* the same dropout draws on both paths */
    nb_tensor *y = nb_scaled_dot_product_attention(
        q, k, v, (nb_sdpa_opts){ .attn_mask = m, .is_causal = c->causal, .dropout_p = c->dropout });
    CHECK(nba_sdpa_fused_fw - fw0 == (path == 2));
    CHECK(nb_backward(nb_sum(nb_mul(y, w))) == NB_OK);
    nba_sdpa_path = 0;
    res[0] = nb_detach(y); /* all in the caller's scope */
    for (int i = 0; i < 3; i++) res[1 + i] = nb_detach(in[i]->grad);
}

static void fused_vs_composed(void) {
    const fcase cs[] = {
        { "L 100 S 130 E 16", 2, 3, 100, 130, 16, 16, false, 0, 0 },
        { "causal L 257 E 64", 1, 2, 257, 257, 64, 64, true, 0, 0 },
        { "causal L 130 > S 70, Ev 24", 2, 1, 130, 70, 32, 24, true, 0, 0 },
        { "bool mask (L, S)", 3, 2, 64, 65, 32, 8, false, 1, 0 },
        { "float mask (B, 1, L, S)", 2, 3, 70, 128, 16, 16, false, 2, 0 },
        { "key padding (B, 1, 1, S)", 2, 2, 129, 129, 8, 8, false, 3, 0 },
        { "dropout 0.2, L 100 S 130", 2, 3, 100, 130, 16, 16, false, 0, 0.2 },
        { "dropout 0.5, causal L 257 E 64", 1, 2, 257, 257, 64, 64, true, 0, 0.5 },
        { "dropout 0.1, key padding, Ev 24", 2, 1, 130, 70, 32, 24, false, 3, 0.1 },
    };
    const char *what[4] = { "out", "grad q", "grad k", "grad v" };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (int d = 0; d < 2; d++) {
            nb_dtype dt = d ? NB_F64 : NB_F32;
            nb_scope s = nb_scope_begin();
            nb_tensor *a[4], *b[4];
            fused_run(&cs[i], dt, 1, a);
            fused_run(&cs[i], dt, 2, b);
            char nm[96];
            snprintf(nm, sizeof nm, "fused vs composed %s %s", cs[i].name, d ? "f64" : "f32");
            for (int j = 0; j < 4; j++) near(b[j], a[j], d ? 1e-12 : 2e-5, what[j], nm);
            nb_scope_end(s);
        }
}

/* the fused kernel gives the same bits at 1 and 2 threads (forward and every gradient) */
static void threads_bitwise(void) {
    const fcase c = { "threads", 2, 3, 130, 150, 32, 16, true, 0, 0.2 };
    nb_tensor *r[2][4];
    nb_scope s = nb_scope_begin();
    for (int t = 0; t < 2; t++) {
        nb_set_num_threads(t + 1);
        fused_run(&c, NB_F32, 2, r[t]);
    }
    nb_set_num_threads(0);
    for (int j = 0; j < 4; j++) {
        nb_tensor *a = nb_contiguous(r[0][j]), *b = nb_contiguous(r[1][j]);
        CHECK(a && b && a->numel == b->numel &&
              !memcmp(nb_data_f32(a), nb_data_f32(b), sizeof(float) * (size_t)a->numel));
    }
    nb_scope_end(s);
}

/* create_graph through the fused op: its recorded backward (composed math) gives the same second
 * derivative as the composed op, d/dk sum((d/dq sum(y w))^2); with dropout, from the same draws */
static void second_order(double dropout_p) {
    for (int path = 1; path <= 2; path++) {
        static double want[2 * 5 * 3];
        nb_scope s = nb_scope_begin();
        nb_manual_seed(99);
        nb_tensor *q = rnd(NB_F64, 1, 2, 4, 3), *k = rnd(NB_F64, 1, 2, 5, 3), *v = rnd(NB_F64, 1, 2, 5, 2);
        nb_tensor *w = nb_rand(NB_F64, NB_SHAPE(1, 2, 4, 2));
        nb_requires_grad_(q, true), nb_requires_grad_(k, true), nb_requires_grad_(v, true);
        nba_sdpa_path = path;
        nb_tensor *y = nb_scaled_dot_product_attention(
            q, k, v, (nb_sdpa_opts){ .is_causal = true, .dropout_p = dropout_p });
        nb_tensor *gq = nb_grad1(nb_sum(nb_mul(y, w)), q, true);
        CHECK(gq && gq->requires_grad);
        nb_tensor *gk = nb_grad1(nb_sum(nb_square(gq)), k, false);
        nba_sdpa_path = 0;
        CHECK(gk && gk->numel == 30);
        if (gk && gk->numel == 30) {
            nb_tensor *gc = nb_contiguous(gk);
            if (path == 1)
                memcpy(want, nb_data_f64(gc), sizeof want);
            else
                CHECK_TENSOR(gc, want, 30, 1e-12);
        }
        nb_scope_end(s);
    }
}

/* ---- torch's errors: NULL and one message naming the public function ---- */
static void errors(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *q = nb_randn(NB_F32, NB_SHAPE(2, 3, 4)), *k = nb_randn(NB_F32, NB_SHAPE(2, 5, 4));
    nb_tensor *v = nb_randn(NB_F32, NB_SHAPE(2, 5, 6)), *kE = nb_randn(NB_F32, NB_SHAPE(2, 5, 3));
    nb_tensor *vS = nb_randn(NB_F32, NB_SHAPE(2, 4, 6)), *q64 = nb_randn(NB_F64, NB_SHAPE(2, 3, 4));
    nb_tensor *kb = nb_randn(NB_F32, NB_SHAPE(3, 5, 4)), *q1 = nb_randn(NB_F32, NB_SHAPE(4));
    nb_tensor *mbad = nb_zeros(NB_I64, NB_SHAPE(3, 4)), *m64 = nb_zeros(NB_F64, NB_SHAPE(3, 5));
    nb_tensor *mok = nb_ones(NB_I64, NB_SHAPE(3, 5)), *mbatch = nb_zeros(NB_F32, NB_SHAPE(3, 3, 5));
    nb_tensor *qi = nb_zeros(NB_I64, NB_SHAPE(2, 3, 4));
    struct {
        const char *what;
        nb_tensor *q, *k, *v;
        nb_sdpa_opts o;
    } bad[] = {
        { "embedding size", q, kE, v, { 0 } },
        { "sequence length", q, k, vS, { 0 } },
        { "same dtype", q64, k, v, { 0 } },
        { "cannot be broadcast", q, kb, v, { 0 } },
        { "at least 2 dims", q1, k, v, { 0 } },
        { "floating point", qi, k, v, { 0 } },
        { "attn_mask (3, 4) cannot be broadcast", q, k, v, { .attn_mask = mbad } },
        { "attn_mask dtype", q, k, v, { .attn_mask = m64 } },
        { "batch dims of attn_mask", q, k, v, { .attn_mask = mbatch } },
        { "is_causal", q, k, v, { .attn_mask = mok, .is_causal = true } },
        { "dropout_p", q, k, v, { .dropout_p = 1.0 } },
        { "dropout_p", q, k, v, { .dropout_p = -0.1 } },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nb_clear_error();
        nb_tensor *y = nb_scaled_dot_product_attention(bad[i].q, bad[i].k, bad[i].v, bad[i].o);
        const char *e = nb_error();
        CHECK(y == NULL);
        CHECK(e && strstr(e, "nb_scaled_dot_product_attention") && strstr(e, bad[i].what));
        if (!(e && strstr(e, bad[i].what))) printf("  case %zu: got '%s'\n", i, e ? e : "(none)");
    }
    nb_clear_error();
    CHECK(nb_scaled_dot_product_attention(NULL, k, v, (nb_sdpa_opts){ 0 }) == NULL && !nb_error());
    CHECK(nb_scaled_dot_product_attention(q, k, v, (nb_sdpa_opts){ .attn_mask = mok }) != NULL);
    nb_scope_end(s);
    nb_clear_error();
}

int main(void) {
    int n = golden();
    CHECK(n == 38);
    printf("%d golden cases\n", n);
    fused_vs_composed();
    second_order(0);
    second_order(0.3);
    threads_bitwise();
    errors();
    return nb_test_done();
}
