/* test_conv.c — the convolutions against PyTorch 1.13 (tests/golden/conv.txt, made by
 * tools/gen_golden_conv.py): outputs, every input's gradient and (f64) second-order gradients over a grid
 * of strides, paddings ('same' and 'valid' too), dilations, groups, odd sizes, batch 1 and empty batches,
 * each run with contiguous and with channels-last-like permuted inputs; torch's errors; the modules'
 * initialisation bit for bit; the same bits at 1 and 2 threads. */
#include "testlib.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the golden file (tools/gen_golden_ops.py's format, read by testlib's tl_parse_golden*) ---- */
typedef tl_golden gt;
#define MAXIN 3
typedef struct {
    char op[32];
    nb_dtype dt;
    int np, nin, nout, ngrad, ngg, line;
    double p[16];
    gt in[MAXIN], out[2], gout, grad[MAXIN], ggw[MAXIN], gg[MAXIN];
    int gidx[MAXIN];
    bool has_gout, error, init;
    uint64_t seed;
} gcase;

static void free_case(gcase *c) {
    for (int i = 0; i < MAXIN; i++) free(c->in[i].v), free(c->grad[i].v), free(c->ggw[i].v), free(c->gg[i].v);
    free(c->out[0].v), free(c->out[1].v), free(c->gout.v);
    memset(c, 0, sizeof *c);
}

static nb_tensor *from_values(nb_dtype dt, const double *v, int ndim, const int64_t *shape, int64_t n) {
    if (dt == NB_F64) return nb_tensor_from(NB_F64, v, ndim, shape, false);
    float *f = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) f[i] = (float)v[i];
    nb_tensor *x = nb_tensor_from(NB_F32, f, ndim, shape, false);
    free(f);
    return x;
}
static nb_tensor *make(const gt *t) {
    nb_tensor *x = from_values(t->dt, t->v, t->ndim, t->shape, t->n);
    if (x && t->rg) nb_requires_grad_(x, true);
    return x;
}
/* the same values as a channels-last-like view: dim 1 (channels) moved last in memory, then permuted back
 * (N, C, H, W) -> storage (N, H, W, C); a 1-D tensor is every other element of a buffer with NaN gaps */
static nb_tensor *make_strided(const gt *t) {
    if (t->ndim == 0 || t->n == 0) return make(t);
    if (t->ndim == 1) {
        double *b = malloc(sizeof(double) * (size_t)(2 * t->n));
        for (int64_t k = 0; k < t->n; k++) b[2 * k] = t->v[k], b[2 * k + 1] = NAN;
        nb_tensor *base = from_values(t->dt, b, 1, (int64_t[]){ 2 * t->n }, 2 * t->n);
        free(b);
        nb_tensor *x = nb_slice(base, 0, 0, 2 * t->n, 2);
        if (x && t->rg) nb_requires_grad_(x, true);
        return x;
    }
    int nd = t->ndim, cd = nd >= 3 ? 1 : 0; /* the channel dim moves last */
    int perm[NB_MAX_DIMS], inv[NB_MAX_DIMS];
    int64_t bshape[NB_MAX_DIMS];
    for (int i = 0, k = 0; i < nd; i++)
        if (i != cd) perm[k++] = i;
    perm[nd - 1] = cd;
    for (int i = 0; i < nd; i++) bshape[i] = t->shape[perm[i]], inv[perm[i]] = i;
    double *b = malloc(sizeof(double) * (size_t)t->n);
    for (int64_t k = 0; k < t->n; k++) { /* row-major index k of t -> offset in the permuted buffer */
        int64_t r = k, idx[NB_MAX_DIMS], off = 0;
        for (int i = nd - 1; i >= 0; i--) idx[i] = r % t->shape[i], r /= t->shape[i];
        for (int i = 0; i < nd; i++) off = off * bshape[i] + idx[perm[i]];
        b[off] = t->v[k];
    }
    nb_tensor *base = from_values(t->dt, b, nd, bshape, t->n);
    free(b);
    nb_tensor *x = nb_permute(base, nd, inv);
    if (x && t->rg) nb_requires_grad_(x, true);
    return x;
}

/* ---- dispatch ---- */
static nb_conv_opts opts(const gcase *c) {
    const double *p = c->p;
    return (nb_conv_opts){ .stride = { (int64_t)p[1], (int64_t)p[2] },
                           .padding = { (int64_t)p[3], (int64_t)p[4] },
                           .dilation = { (int64_t)p[5], (int64_t)p[6] },
                           .groups = (int64_t)p[7],
                           .output_padding = { (int64_t)p[8], (int64_t)p[9] },
                           .pad_mode = (nb_conv_pad)p[10] };
}
static nb_tensor *run_op(const gcase *c, nb_tensor **x) {
    nb_tensor *b = c->p[0] != 0 ? x[2] : NULL;
    nb_conv_opts o = opts(c);
    if (!strcmp(c->op, "conv2d")) return nb_conv2d(x[0], x[1], b, o);
    if (!strcmp(c->op, "conv1d")) return nb_conv1d(x[0], x[1], b, o);
    if (!strcmp(c->op, "conv_transpose2d")) return nb_conv_transpose2d(x[0], x[1], b, o);
    if (!strcmp(c->op, "conv_transpose1d")) return nb_conv_transpose1d(x[0], x[1], b, o);
    if (!strcmp(c->op, "unfold")) return nb_unfold(x[0], (int64_t)c->p[11], (int64_t)c->p[12], o);
    if (!strcmp(c->op, "fold"))
        return nb_fold(x[0], (int64_t)c->p[13], (int64_t)c->p[14], (int64_t)c->p[11], (int64_t)c->p[12], o);
    fprintf(stderr, "FAIL unknown op %s\n", c->op);
    return NULL;
}

/* ---- comparison ---- */
static char desc[200];
/* |got - want| <= tol (1 + |want|): f64 1e-10, f32 1e-5 (the f32 GEMM sums in blocks, torch differently) */
static double tol_for(const gcase *c) { return c->dt == NB_F64 ? 1e-10 : 1e-5; }
static bool compare(const gcase *c, const char *what, const nb_tensor *t, const gt *want) {
    double tol = tol_for(c);
    if (!t) {
        bool zeros = !want->chk;
        for (int64_t i = 0; zeros && i < want->n; i++) zeros = want->v[i] == 0;
        if (!zeros)
            fprintf(stderr, "FAIL %s: %s is NULL (%s)\n", desc, what, nb_error() ? nb_error() : "no error");
        return zeros;
    }
    bool ok = t->ndim == want->ndim && t->dtype == want->dt;
    for (int i = 0; ok && i < t->ndim; i++) ok = t->shape[i] == want->shape[i];
    if (!ok) {
        char buf[64];
        fprintf(stderr, "FAIL %s: %s has shape %s, torch %d dims\n", desc, what,
                nb_shape_str(t, buf, sizeof buf), want->ndim);
        return false;
    }
    double *v = malloc(sizeof(double) * (size_t)(want->n ? want->n : 1));
    nb_to_doubles(t, v);
    if (want->chk) {
        double s1 = 0, s2 = 0, l1 = 0;
        for (int64_t k = 0; k < want->n; k++)
            s1 += v[k], s2 += v[k] * ((double)((k * 37) % 19) - 9.0) / 8.0, l1 += fabs(v[k]);
        free(v);
        double lim = tol * (1 + l1);
        if (!(fabs(s1 - want->s1) <= lim && fabs(s2 - want->s2) <= lim)) {
            fprintf(stderr, "FAIL %s: %s checksums %.17g %.17g, torch %.17g %.17g\n", desc, what, s1, s2,
                    want->s1, want->s2);
            return false;
        }
        return true;
    }
    for (int64_t i = 0; i < want->n; i++)
        if (!(fabs(v[i] - want->v[i]) <= tol * (1 + fabs(want->v[i])))) {
            fprintf(stderr, "FAIL %s: %s[%lld] = %.17g, torch %.17g\n", desc, what, (long long)i, v[i],
                    want->v[i]);
            free(v);
            return false;
        }
    free(v);
    return true;
}

static bool second_order(const gcase *c, nb_tensor **x) {
    nb_tensor *y = run_op(c, x), *diff[MAXIN], *g[MAXIN] = { 0 }, *gg[MAXIN] = { 0 };
    for (int k = 0; k < c->ngg; k++) diff[k] = x[c->gidx[k]];
    if (!y) return false;
    nb_tensor *go = make(&c->gout);
    if (nb_grad(1, &y, c->ngg, diff, &go, g, (nb_grad_opts){ .create_graph = true, .allow_unused = true }) !=
        NB_OK) {
        fprintf(stderr, "FAIL %s: nb_grad(create_graph): %s\n", desc, nb_error());
        return false;
    }
    nb_tensor *s = NULL;
    for (int k = 0; k < c->ngg; k++) {
        if (!g[k]) continue;
        nb_tensor *term = nb_sum(nb_mul(g[k], make(&c->ggw[k])));
        s = s ? nb_add(s, term) : term;
    }
    if (s && s->requires_grad &&
        nb_grad(1, &s, c->ngg, diff, NULL, gg, (nb_grad_opts){ .allow_unused = true }) != NB_OK) {
        fprintf(stderr, "FAIL %s: second-order nb_grad: %s\n", desc, nb_error());
        return false;
    }
    bool ok = true;
    for (int k = 0; ok && k < c->ngg; k++) {
        char what[48];
        snprintf(what, sizeof what, "second-order grad of input %d", c->gidx[k]);
        ok = compare(c, what, gg[k], &c->gg[k]);
    }
    return ok;
}

static bool run_case(const gcase *c, bool strided) {
    snprintf(desc, sizeof desc, "case %s %s (line %d)%s", c->op, c->dt == NB_F64 ? "f64" : "f32", c->line,
             strided ? " [channels-last-like inputs]" : "");
    nb_clear_error();
    nb_scope s = nb_scope_begin();
    nb_tensor *x[MAXIN] = { 0 };
    for (int i = 0; i < c->nin; i++) x[i] = strided ? make_strided(&c->in[i]) : make(&c->in[i]);
    nb_tensor *y = run_op(c, x);
    bool ok = true;
    if (c->error) {
        ok = !y && nb_error() && strstr(nb_error(), "nb_") == nb_error();
        if (!ok)
            fprintf(stderr, "FAIL %s: torch raises, nabla gave %s (%s)\n", desc, y ? "a tensor" : "NULL",
                    nb_error() ? nb_error() : "no error");
    } else {
        ok = compare(c, "output", y, &c->out[0]);
        if (ok && c->has_gout && nb_backward_ex(y, (nb_backward_opts){ .grad = make(&c->gout) }) != NB_OK) {
            fprintf(stderr, "FAIL %s: backward: %s\n", desc, nb_error());
            ok = false;
        }
        for (int i = 0; ok && i < c->ngrad; i++) {
            char what[32];
            snprintf(what, sizeof what, "grad of input %d", c->gidx[i]);
            ok = compare(c, what, nb_grad_of(x[c->gidx[i]]), &c->grad[i]);
        }
        if (ok && c->ngg) ok = second_order(c, x);
        if (ok && nb_error()) {
            fprintf(stderr, "FAIL %s: error left behind: %s\n", desc, nb_error());
            ok = false;
        }
    }
    nb_scope_end(s);
    nb_clear_error();
    return ok;
}

/* module init: weight then bias drawn after nb_manual_seed(seed), as torch's reset_parameters() */
static bool run_init(const gcase *c) {
    snprintf(desc, sizeof desc, "init %s (line %d)", c->op, c->line);
    const double *a = c->p;
    int64_t in = (int64_t)a[0], out = (int64_t)a[1], kh = (int64_t)a[2], kw = (int64_t)a[3];
    bool bias = a[4] != 0;
    nb_conv_opts o = { .stride = { (int64_t)a[5], (int64_t)a[5] }, .groups = (int64_t)a[6] };
    nb_manual_seed(c->seed);
    nb_module *m = !strcmp(c->op, "Conv2d")            ? nb_conv2d_new(in, out, kh, kw, bias, o)
                   : !strcmp(c->op, "Conv1d")          ? nb_conv1d_new(in, out, kh, bias, o)
                   : !strcmp(c->op, "ConvTranspose2d") ? nb_conv_transpose2d_new(in, out, kh, kw, bias, o)
                                                       : nb_conv_transpose1d_new(in, out, kh, bias, o);
    if (!m) {
        fprintf(stderr, "FAIL %s: %s\n", desc, nb_error());
        return false;
    }
    bool ok = m->nparams == c->nout && !strcmp(m->param_names[0], "weight");
    for (int i = 0; ok && i < c->nout; i++) { /* bit-equal: tolerance 0 */
        const nb_tensor *t = m->params[i];
        ok = t->numel == c->out[i].n && t->ndim == c->out[i].ndim;
        for (int d = 0; ok && d < t->ndim; d++) ok = t->shape[d] == c->out[i].shape[d];
        for (int64_t k = 0; ok && k < t->numel; k++) ok = nb_data_f32(t)[k] == (float)c->out[i].v[k];
        if (!ok) fprintf(stderr, "FAIL %s: parameter %d differs from torch's\n", desc, i);
    }
    nb_module_free(m);
    return ok;
}

static int run_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s (set NB_TEST_DATA to the tests/ directory)\n", path);
        return -1;
    }
    size_t cap = 1 << 16;
    char *line = malloc(cap);
    gcase c;
    memset(&c, 0, sizeof c);
    int lineno = 0, ncases = 0;
    bool bad = false;
    for (;;) {
        size_t len = 0;
        int ch;
        while ((ch = fgetc(f)) != EOF && ch != '\n') {
            if (len + 2 >= cap) line = realloc(line, cap *= 2);
            line[len++] = (char)ch;
        }
        if (ch == EOF && len == 0) break;
        line[len] = 0;
        lineno++;
        char *s = line, *e;
        const char *kw = tl_next_token(&s);
        if (!strcmp(kw, "case") || !strcmp(kw, "init")) {
            free_case(&c);
            char dt[8] = "f32";
            int used = 0, k;
            c.init = kw[0] == 'i';
            if (c.init) {
                unsigned long long sd;
                k = sscanf(s, "%31s %llu %d%n", c.op, &sd, &c.np, &used);
                c.seed = sd;
            } else {
                k = sscanf(s, "%31s %7s %d%n", c.op, dt, &c.np, &used);
            }
            if (k < 3 || c.np > 16) {
                bad = true;
                break;
            }
            c.dt = strcmp(dt, "f64") ? NB_F32 : NB_F64;
            c.line = lineno;
            s += used;
            for (int i = 0; i < c.np; i++) {
                c.p[i] = strtod(s, &e);
                s = e;
            }
        } else if (!strcmp(kw, "in") || !strcmp(kw, "big")) {
            bool big = kw[0] == 'b';
            if (c.nin >= MAXIN) {
                bad = true;
                break;
            }
            if (!(big ? tl_parse_golden_big(&s, &c.in[c.nin++], true)
                      : tl_parse_golden(&s, &c.in[c.nin++], true))) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "out") || !strcmp(kw, "chk")) {
            bool ck = kw[0] == 'c';
            if (c.nout >= 2) {
                bad = true;
                break;
            }
            if (!(ck ? tl_parse_golden_chk(&s, &c.out[c.nout++])
                     : tl_parse_golden(&s, &c.out[c.nout++], false))) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "gout") || !strcmp(kw, "gbig")) {
            bool big = kw[1] == 'b';
            c.has_gout = true;
            if (!(big ? tl_parse_golden_big(&s, &c.gout, false) : tl_parse_golden(&s, &c.gout, false))) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "grad") || !strcmp(kw, "gchk")) {
            bool ck = kw[1] == 'c';
            if (c.ngrad >= MAXIN) {
                bad = true;
                break;
            }
            c.gidx[c.ngrad] = atoi(tl_next_token(&s));
            if (!(ck ? tl_parse_golden_chk(&s, &c.grad[c.ngrad++])
                     : tl_parse_golden(&s, &c.grad[c.ngrad++], false))) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "ggw") || !strcmp(kw, "gg")) {
            bool w = kw[2] == 'w';
            int i = atoi(tl_next_token(&s));
            if (c.ngg >= MAXIN || c.gidx[c.ngg] != i ||
                !tl_parse_golden(&s, w ? &c.ggw[c.ngg] : &c.gg[c.ngg], false)) {
                bad = true;
                break;
            }
            if (!w) c.ngg++;
        } else if (!strcmp(kw, "error")) {
            c.error = true;
        } else if (!strcmp(kw, "end")) {
            ncases++;
            bool ok = c.init ? run_init(&c) : run_case(&c, false) && run_case(&c, true);
            tl_check(ok, "golden case (see the FAIL line above)", __FILE__, __LINE__);
            free_case(&c);
        }
    }
    if (bad) fprintf(stderr, "FAIL %s: parse error at line %d\n", path, lineno);
    CHECK(!bad);
    free_case(&c);
    free(line);
    fclose(f);
    return ncases;
}

/* ---- the same bits at 1 and 2 threads (forward, input and weight gradients, threaded sizes) ---- */
static void run_det(int threads, nb_tensor *x, nb_tensor *w, nb_tensor *b, bool transposed, nb_conv_opts o,
                    float *out) {
    nb_set_num_threads(threads);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = transposed ? nb_conv_transpose2d(x, w, b, o) : nb_conv2d(x, w, b, o);
    CHECK(nb_backward(nb_sum(nb_mul(y, y))) == NB_OK);
    int64_t k = 0;
    nb_tensor *parts[] = { y, x->grad, w->grad, b->grad };
    for (int i = 0; i < 4; i++) {
        nb_tensor *c = nb_contiguous(parts[i]);
        memcpy(out + k, nb_data_f32(c), sizeof(float) * (size_t)c->numel);
        k += c->numel;
    }
    nb_zero_grad(x), nb_zero_grad(w), nb_zero_grad(b);
    nb_scope_end(s);
    nb_set_num_threads(0);
}
static void determinism(void) {
    struct {
        int64_t n, c, h, o, k, groups;
        bool t;
        nb_conv_opts o2;
    } cs[] = {
        { 6, 16, 20, 32, 3, 1, false, { .padding = { 1, 1 } } },
        { 5, 16, 17, 16, 3, 16, false, { .stride = { 2, 2 }, .groups = 16 } },
        { 3, 32, 15, 24, 1, 1, false, { .groups = 1 } },
        { 3, 16, 18, 8, 3, 1, true, { .padding = { 1, 1 } } },  /* Winograd, transposed */
        { 1, 8, 33, 12, 3, 1, false, { .padding = { 2, 2 } } }, /* Winograd, one sample in small units */
        { 4,
          16,
          12,
          16,
          3,
          2,
          true,
          { .stride = { 2, 2 }, .padding = { 1, 1 }, .output_padding = { 1, 1 }, .groups = 2 } },
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        nb_manual_seed(7 + i);
        int64_t wi = cs[i].t ? cs[i].c : cs[i].o, wo = (cs[i].t ? cs[i].o : cs[i].c) / cs[i].groups;
        nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(cs[i].n, cs[i].c, cs[i].h, cs[i].h));
        nb_tensor *w = nb_randn(NB_F32, NB_SHAPE(wi, wo, cs[i].k, cs[i].k));
        nb_tensor *b = nb_randn(NB_F32, NB_SHAPE(cs[i].o));
        nb_requires_grad_(x, true), nb_requires_grad_(w, true), nb_requires_grad_(b, true);
        size_t cap = (size_t)(8 * x->numel + w->numel + b->numel +
                              16 * cs[i].n * cs[i].o * cs[i].h * cs[i].h * 4);
        float *r1 = calloc(cap, sizeof(float)), *r2 = calloc(cap, sizeof(float));
        run_det(1, x, w, b, cs[i].t, cs[i].o2, r1);
        run_det(2, x, w, b, cs[i].t, cs[i].o2, r2);
        if (memcmp(r1, r2, cap * sizeof(float)))
            fprintf(stderr, "FAIL determinism case %zu: 1 and 2 threads differ\n", i);
        CHECK(!memcmp(r1, r2, cap * sizeof(float)));
        free(r1), free(r2);
        nb_free(x), nb_free(w), nb_free(b);
    }
}

/* ---- the f32 3x3 stride-1 path (Winograd F(2x2, 3x3), tensor/kernels_winograd.c) against the f64 one
 * (im2col): tiles in vectors of 8, one at a time and overlapping at a row's end, units across tile rows,
 * padding 0 to 2 on either side, odd sizes, groups, the transposed conv; the output and the gradients of
 * sum(G y) for x (the other conv), w (conv2d_weight's path) and b (summed by it) ---- */

/* |got - want| <= 1e-6 (1 + l1), l1 the same quantity over absolute values (a rounding bound that small values
 * get too; measured: at most 2.3e-7 (1 + l1)) */
static void within(nb_tensor *got, nb_tensor *want, nb_tensor *l1, size_t i, int t, const char *what) {
    CHECK(got && want && l1 && got->numel == want->numel && l1->numel == want->numel);
    if (!got || !want || !l1) return;
    nb_tensor *gc = nb_contiguous(got), *wc = nb_contiguous(want), *lc = nb_contiguous(l1);
    const float *a = nb_data_f32(gc);
    const double *e = (const double *)nb_data(wc), *m = (const double *)nb_data(lc);
    int bad = 0;
    for (int64_t k = 0; k < want->numel; k++) bad += !(fabs(a[k] - e[k]) <= 1e-6 * (1 + m[k]));
    if (bad)
        fprintf(stderr, "FAIL winograd case %zu%s %s: %d values off\n", i, t ? " transposed" : "", what, bad);
    CHECK(bad == 0);
}
static nb_tensor *conv_or_t(int t, nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o) {
    return t ? nb_conv_transpose2d(x, w, b, o) : nb_conv2d(x, w, b, o);
}
static void winograd(void) {
    struct {
        int64_t n, ci, co, h, w, ph, pw, groups;
    } cs[] = {
        { 2, 8, 8, 5, 5, 0, 0, 1 },   { 3, 16, 12, 7, 9, 1, 1, 1 },   { 1, 32, 64, 26, 26, 0, 0, 1 },
        { 2, 16, 16, 6, 7, 2, 2, 1 }, { 4, 16, 32, 9, 8, 1, 0, 2 },   { 1, 8, 8, 2, 2, 1, 1, 1 },
        { 5, 24, 8, 3, 4, 0, 2, 1 },  { 2, 64, 64, 14, 14, 1, 1, 1 }, { 1, 9, 10, 33, 17, 2, 1, 1 },
        { 2, 8, 16, 3, 40, 0, 1, 1 }, { 3, 8, 8, 11, 37, 1, 0, 1 },   { 1, 64, 64, 40, 40, 1, 1, 1 },
        { 11, 8, 8, 6, 6, 1, 1, 1 },  { 1, 520, 8, 4, 5, 1, 1, 1 },
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (int t = 0; t < 2; t++) {
            nb_manual_seed(40 + i);
            nb_scope sc = nb_scope_begin();
            int64_t cx = t ? cs[i].co : cs[i].ci, cb = t ? cs[i].ci : cs[i].co;
            nb_conv_opts o = { .padding = { cs[i].ph, cs[i].pw }, .groups = cs[i].groups };
            nb_tensor *in[3] = { nb_randn(NB_F32, NB_SHAPE(cs[i].n, cx, cs[i].h, cs[i].w)),
                                 nb_randn(NB_F32, NB_SHAPE(cs[i].co, cs[i].ci / cs[i].groups, 3, 3)),
                                 nb_randn(NB_F32, NB_SHAPE(cb)) };
            nb_tensor *in64[3], *abs64[3];
            for (int k = 0; k < 3; k++) in64[k] = nb_to(in[k], NB_F64), abs64[k] = nb_abs(in64[k]);
            for (int k = 0; k < 3; k++)
                nb_requires_grad_(in[k], true), nb_requires_grad_(in64[k], true),
                    nb_requires_grad_(abs64[k], true);
            nb_tensor *y = conv_or_t(t, in[0], in[1], in[2], o);
            nb_tensor *r = conv_or_t(t, in64[0], in64[1], in64[2], o);
            nb_tensor *l = conv_or_t(t, abs64[0], abs64[1], abs64[2], o);
            CHECK(y && r && l);
            if (!y || !r || !l) {
                nb_scope_end(sc);
                continue;
            }
            within(y, r, l, i, t, "output");
            nb_tensor *G = nb_randn(NB_F32, y->ndim, y->shape), *G64 = nb_to(G, NB_F64);
            CHECK(nb_backward(nb_sum(nb_mul(y, G))) == NB_OK &&
                  nb_backward(nb_sum(nb_mul(r, G64))) == NB_OK &&
                  nb_backward(nb_sum(nb_mul(l, nb_abs(G64)))) == NB_OK);
            const char *what[3] = { "input grad", "weight grad", "bias grad" };
            for (int k = 0; k < 3; k++) within(in[k]->grad, in64[k]->grad, abs64[k]->grad, i, t, what[k]);
            nb_scope_end(sc);
        }
}

/* ---- infinities and NaN on the Winograd path: where the transforms would mix an infinity into NaN, the conv
 * is computed by im2col, so every value is what the f64 (im2col) path gives: the same infinities, NaN where
 * it has NaN, the finite values within rounding ---- */
static void same_class(nb_tensor *got, nb_tensor *want, const char *what) {
    CHECK(got && want && got->numel == want->numel);
    if (!got || !want) return;
    nb_tensor *gc = nb_contiguous(got), *wc = nb_contiguous(want);
    const float *a = nb_data_f32(gc);
    const double *e = (const double *)nb_data(wc);
    int bad = 0;
    for (int64_t k = 0; k < want->numel; k++)
        bad += isnan(e[k])   ? !isnan(a[k])
               : isinf(e[k]) ? a[k] != e[k]
                             : !(fabs(a[k] - e[k]) <= 1e-4 * (1 + fabs(e[k])));
    if (bad) fprintf(stderr, "FAIL non-finite %s: %d values differ from the f64 path\n", what, bad);
    CHECK(bad == 0);
}
static void nonfinite(void) {
    const float vals[3] = { INFINITY, -INFINITY, NAN };
    for (int v = 0; v < 3; v++)
        for (int t = 0; t < 2; t++) {
            nb_manual_seed(90 + v);
            nb_scope sc = nb_scope_begin();
            nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(2, 8, 6, 7)),
                      *w = nb_randn(NB_F32, NB_SHAPE(8, 8, 3, 3));
            nb_data_f32(x)[(1 * 8 + 3) * 42 + 2 * 7 + 4] = vals[v];
            nb_tensor *x64 = nb_to(x, NB_F64), *w64 = nb_to(w, NB_F64);
            nb_requires_grad_(w, true), nb_requires_grad_(w64, true);
            nb_conv_opts o = { .padding = { 1, 1 } };
            nb_tensor *y = conv_or_t(t, x, w, NULL, o), *r = conv_or_t(t, x64, w64, NULL, o);
            same_class(y, r, t ? "conv_transpose2d" : "conv2d");
            if (!y || !r) {
                nb_scope_end(sc);
                continue;
            }
            nb_tensor *G = nb_randn(NB_F32, y->ndim, y->shape), *G64 = nb_to(G, NB_F64);
            CHECK(nb_backward(nb_sum(nb_mul(y, G))) == NB_OK && nb_backward(nb_sum(nb_mul(r, G64))) == NB_OK);
            same_class(w->grad, w64->grad, "weight gradient");
            nb_scope_end(sc);
        }
}

/* ---- modules and errors beyond the golden grid ---- */
static void modules(void) {
    nb_module *c2 = nb_conv2d_new(3, 8, 3, 3, true,
                                  (nb_conv_opts){ .stride = { 2, 2 }, .padding = { 1, 1 } });
    nb_module *t2 = nb_conv_transpose2d_new(8, 3, 4, 4, false,
                                            (nb_conv_opts){ .stride = { 2, 2 }, .padding = { 1, 1 } });
    nb_module *c1 = nb_conv1d_new(4, 6, 3, true, (nb_conv_opts){ .pad_mode = NB_CONV_PAD_SAME });
    CHECK(c2 && t2 && c1);
    CHECK(c2->nparams == 2 && t2->nparams == 1 && !strcmp(c2->type, "Conv2d") &&
          !strcmp(t2->type, "ConvTranspose2d"));
    CHECK(t2->params[0]->shape[0] == 8 && t2->params[0]->shape[1] == 3);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nb_module_forward(c2, nb_randn(NB_F32, NB_SHAPE(2, 3, 9, 9)));
    CHECK(y && y->shape[1] == 8 && y->shape[2] == 5 && y->shape[3] == 5);
    nb_tensor *z = nb_module_forward(t2, y);
    CHECK(z && z->shape[1] == 3 && z->shape[2] == 10 && z->shape[3] == 10);
    nb_tensor *u = nb_module_forward(c1, nb_randn(NB_F32, NB_SHAPE(2, 4, 7)));
    CHECK(u && u->ndim == 3 && u->shape[1] == 6 && u->shape[2] == 7);
    CHECK(y && !strcmp(nb_grad_fn_name(y), "ConvolutionBackward0"));
    /* errors name the public function; no crash, nothing recorded on success */
    CHECK_ERR(nb_module_forward(c2, nb_randn(NB_F32, NB_SHAPE(2, 4, 9, 9))));
    nb_tensor *q = nb_conv2d(nb_randn(NB_F32, NB_SHAPE(1, 3, 2, 2)), c2->params[0], NULL,
                             (nb_conv_opts){ 0 });
    CHECK(!q && nb_error() &&
          strstr(nb_error(), "nb_conv2d: calculated padded input size per channel: (2 x 2)"));
    nb_clear_error();
    CHECK_ERR(nb_conv2d(nb_randn(NB_F64, NB_SHAPE(1, 3, 5, 5)), c2->params[0], NULL, (nb_conv_opts){ 0 }));
    CHECK(!nb_conv2d(NULL, c2->params[0], NULL, (nb_conv_opts){ 0 }) &&
          !nb_error()); /* NULL passes through */
    nb_scope_end(s);
    CHECK_ERR(nb_conv2d_new(3, 8, 0, 3, true, (nb_conv_opts){ 0 }));
    CHECK_ERR(nb_conv2d_new(3, 8, 3, 3, true, (nb_conv_opts){ .groups = 2 }));
    nb_module_free(c2), nb_module_free(t2), nb_module_free(c1);
}

int main(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/golden/conv.txt", dir ? dir : "tests");
    int n = run_file(path);
    CHECK(n > 100);
    determinism();
    winograd();
    nonfinite();
    modules();
    printf("%d golden cases\n", n);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
