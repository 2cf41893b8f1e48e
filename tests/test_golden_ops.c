/* test_golden_ops.c — every op of nb_autograd.h against PyTorch 1.13 (tests/golden/ops.txt, made by
 * tools/gen_golden_ops.py): each case runs in a scope, with contiguous and non-contiguous inputs, and
 * compares outputs, every input's grad, second-order grads (f64) and torch's errors. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* ---- the golden file: "<kw> <tensor>" lines read by testlib's tl_parse_golden* ("big": generated
 * values, "bigi": generated indices, "chk": checksums instead of values) ---- */
typedef tl_golden gt;

#define MAXIN 4
typedef struct {
    char op[32];
    nb_dtype dt;
    int np;
    double p[32];
    int nin, nout, ngrad;
    gt in[MAXIN], out[2], gout, grad[MAXIN], ggw[MAXIN], gg[MAXIN];
    int gidx[MAXIN], ngg; /* ggw[k] / gg[k] belong to input gidx[k] (same order as grad) */
    bool has_gout, error; /* error: torch raised, nabla must return NULL and record an error */
    int line;
} gcase;

static const char *dt_name(nb_dtype d) { return d == NB_F64 ? "f64" : d == NB_I64 ? "i64" : "f32"; }

static void free_case(gcase *c) {
    for (int i = 0; i < c->nin; i++) free(c->in[i].v);
    for (int i = 0; i < c->nout; i++) free(c->out[i].v);
    for (int i = 0; i < c->ngrad; i++) free(c->grad[i].v);
    for (int i = 0; i < c->ngg; i++) {
        free(c->ggw[i].v);
        free(c->gg[i].v);
    }
    if (c->has_gout) free(c->gout.v);
    memset(c, 0, sizeof *c);
}

/* The same values as a non-contiguous leaf: a 1-D input is every other element of a buffer twice as
 * long (the gaps hold NaN, or an out-of-range index, so a kernel that reads them fails), an n-D input
 * is the reversed permutation of its column-major copy. 0-d and empty inputs stay as they are. */
static nb_tensor *make_strided(const gt *t) {
    if (t->ndim == 0 || t->n == 0) return tl_golden_tensor(t);
    gt b = *t;
    b.rg = false;
    b.v = malloc(sizeof(double) * (size_t)(2 * t->n));
    if (t->ndim == 1) {
        b.shape[0] = 2 * t->n;
        b.n = 2 * t->n;
        for (int64_t k = 0; k < t->n; k++) {
            b.v[2 * k] = t->v[k];
            b.v[2 * k + 1] = t->dt == NB_I64 ? -99999 : NAN;
        }
    } else {
        for (int i = 0; i < t->ndim; i++) b.shape[i] = t->shape[t->ndim - 1 - i];
        for (int64_t k = 0; k < t->n; k++) { /* row-major index k of t -> column-major offset */
            int64_t r = k, off = 0, st = 1, idx[NB_MAX_DIMS];
            for (int i = t->ndim - 1; i >= 0; i--) {
                idx[i] = r % t->shape[i];
                r /= t->shape[i];
            }
            for (int i = 0; i < t->ndim; i++) {
                off += idx[i] * st;
                st *= t->shape[i];
            }
            b.v[off] = t->v[k];
        }
    }
    nb_tensor *base = tl_golden_tensor(&b), *x;
    free(b.v);
    if (t->ndim == 1)
        x = nb_slice(base, 0, 0, 2 * t->n, 2);
    else {
        int perm[NB_MAX_DIMS];
        for (int i = 0; i < t->ndim; i++) perm[i] = t->ndim - 1 - i;
        x = nb_permute(base, t->ndim, perm);
    }
    if (x && t->rg) nb_requires_grad_(x, true);
    return x;
}

/* ---- dispatch: op name -> nabla call ---- */
typedef int (*run_fn)(const gcase *c, nb_tensor **x, nb_tensor **o);
#define P(i) (c->p[i])
#define PI(i) ((int)c->p[i])
/* dims list at p[at] = count, p[at+1..] = items (as ints, or as int64 sizes), in a buffer per list */
static const int *dims_at(const gcase *c, int at) {
    static int d[NB_MAX_DIMS];
    for (int i = 0; i < PI(at) && i < NB_MAX_DIMS; i++) d[i] = PI(at + 1 + i);
    return d;
}
static const int64_t *shape_at(const gcase *c, int at) {
    static int64_t sz[NB_MAX_DIMS];
    for (int i = 0; i < PI(at) && i < NB_MAX_DIMS; i++) sz[i] = (int64_t)P(at + 1 + i);
    return sz;
}
#define ND(at) PI(at)
#define DIMS(at) dims_at(c, (at))
#define SHAPE(at) shape_at(c, (at))
#define AFTER_DIMS(at, k) PI((at) + 1 + PI(at) + (k))
/* in-place ops act on input 0 itself (made fresh for each run, so also as a non-contiguous view) */
static nb_tensor *inplace(nb_tensor *x) { return x; }

/* ---- tensor helpers (include/nb_helpers.h, golden/helpers.txt); a split's last param picks the piece ---- */
#define HELPER(name, call)                                                                                   \
    static int r_##name(const gcase *c, nb_tensor **x, nb_tensor **o) {                                      \
        (void)c;                                                                                             \
        (void)x;                                                                                             \
        o[0] = (call);                                                                                       \
        return 1;                                                                                            \
    }
#define PIECE(call, k)                                                                                       \
    nb_tensor *pcs_[64];                                                                                     \
    int np_ = (call);                                                                                        \
    o[0] = np_ > (k) ? pcs_[(k)] : NULL;                                                                     \
    return 1
static int r_split(const gcase *c, nb_tensor **x, nb_tensor **o) {
    PIECE(nb_split(x[0], (int64_t)P(0), PI(1), pcs_, 64), PI(2));
}
static int r_split_with_sizes(const gcase *c, nb_tensor **x, nb_tensor **o) {
    int n = ND(0);
    PIECE(nb_split_with_sizes(x[0], n, SHAPE(0), PI(1 + n), pcs_), PI(2 + n));
}
static int r_chunk(const gcase *c, nb_tensor **x, nb_tensor **o) {
    PIECE(nb_chunk(x[0], PI(0), PI(1), pcs_), PI(2));
}
static int r_unbind(const gcase *c, nb_tensor **x, nb_tensor **o) {
    PIECE(nb_unbind(x[0], PI(0), pcs_, 64), PI(1));
}
#undef PIECE
static int r_roll(const gcase *c, nb_tensor **x, nb_tensor **o) { /* n, shifts (max(n, 1)), dims (n) */
    int n = PI(0), d[NB_MAX_DIMS], ns = n ? n : 1;
    int64_t sh[NB_MAX_DIMS];
    for (int i = 0; i < ns; i++) sh[i] = (int64_t)P(1 + i);
    for (int i = 0; i < n; i++) d[i] = PI(1 + ns + i);
    o[0] = nb_roll(x[0], n, sh, d);
    return 1;
}
static int r_sort(const gcase *c, nb_tensor **x, nb_tensor **o) {
    o[0] = nb_sort(x[0], PI(0), (nb_sort_opts){ .descending = PI(1), .stable = PI(2) }, &o[1]);
    return 2;
}
static int r_topk(const gcase *c, nb_tensor **x, nb_tensor **o) {
    o[0] = nb_topk(x[0], (int64_t)P(0), PI(1), (nb_topk_opts){ .smallest = PI(2), .unsorted = PI(3) }, &o[1]);
    return 2;
}
HELPER(tril, nb_tril(x[0], (int64_t)P(0)))
HELPER(triu, nb_triu(x[0], (int64_t)P(0)))
HELPER(flip, nb_flip(x[0], ND(0), DIMS(0)))
HELPER(repeat, nb_repeat(x[0], ND(0), SHAPE(0)))
HELPER(cumsum, nb_cumsum(x[0], PI(0)))
HELPER(argsort, nb_argsort(x[0], PI(0), (nb_sort_opts){ .descending = PI(1), .stable = PI(2) }))
HELPER(atan, nb_atan(x[0]))
HELPER(reciprocal, nb_reciprocal(x[0]))
HELPER(ne_scalar, nb_ne_scalar(x[0], P(0)))
HELPER(le_scalar, nb_le_scalar(x[0], P(0)))
HELPER(ge_scalar, nb_ge_scalar(x[0], P(0)))
#undef HELPER
#define HELPERS_TABLE                                                                                        \
    { "split", r_split, 0 }, { "split_with_sizes", r_split_with_sizes, 0 }, { "chunk", r_chunk, 0 },         \
        { "unbind", r_unbind, 0 }, { "tril", r_tril, 0 }, { "triu", r_triu, 0 }, { "flip", r_flip, 0 },      \
        { "roll", r_roll, 0 }, { "repeat", r_repeat, 0 }, { "cumsum", r_cumsum, 0 }, { "sort", r_sort, 0 },  \
        { "argsort", r_argsort, 0 }, { "topk", r_topk, 0 }, { "atan", r_atan, 0 },                           \
        { "reciprocal", r_reciprocal, 0 }, { "ne_scalar", r_ne_scalar, 0 }, { "le_scalar", r_le_scalar, 0 }, \
        { "ge_scalar", r_ge_scalar, 0 },

/* one runner per line of golden_ops.def, then the table of them */
#define GOLDEN(name, call)                                                                                   \
    static int r_##name(const gcase *c, nb_tensor **x, nb_tensor **o) {                                      \
        (void)c;                                                                                             \
        (void)x;                                                                                             \
        o[0] = (call);                                                                                       \
        return 1;                                                                                            \
    }
#define GOLDEN2(name, call)                                                                                  \
    static int r_##name(const gcase *c, nb_tensor **x, nb_tensor **o) {                                      \
        (void)c;                                                                                             \
        (void)x;                                                                                             \
        o[0] = (call);                                                                                       \
        return 2;                                                                                            \
    }
#include "golden_ops.def"
#undef GOLDEN
#undef GOLDEN2
#define GOLDEN(name, call) { #name, r_##name, 0 },
#define GOLDEN2(name, call) { #name, r_##name, 0 },
static struct {
    const char *name;
    run_fn fn;
    int used;
} ops[] = {
#include "golden_ops.def"
    HELPERS_TABLE
};
#undef GOLDEN
#undef GOLDEN2
#define NOPS ((int)(sizeof ops / sizeof ops[0]))

/* ---- comparison ---- */
static char desc[256];
static void describe(const gcase *c) {
    int k = snprintf(desc, sizeof desc, "case %s %s (line %d) params [", c->op, dt_name(c->dt), c->line);
    for (int i = 0; i < c->np && k < (int)sizeof desc - 24; i++)
        k += snprintf(desc + k, sizeof desc - (size_t)k, "%s%g", i ? " " : "", c->p[i]);
    snprintf(desc + k, sizeof desc - (size_t)k, "]");
}

/* Tolerance |got - want| <= tol (1 + |want|): f64 1e-10, f32 1e-5. No op needs a looser one: measured
 * on this file, every f64 value (forward, grad, second order) agrees with torch within 1e-14 and every
 * f32 value within 3e-7, although torch sums f32 reductions pairwise / vectorised and nabla accumulates
 * in double. */
static double tol_for(const gcase *c) { return c->dt == NB_F64 ? 1e-10 : 1e-5; }

static bool close_to(double a, double b, double tol) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b)) return a == b;
    return fabs(a - b) <= tol * (1 + fabs(b));
}

/* compare t against want (NULL t means zeros when zero_ok); prints a FAIL line naming the case */
static bool compare(const gcase *c, const char *what, const nb_tensor *t, const gt *want, bool zero_ok) {
    double tol = tol_for(c);
    if (!t) {
        bool zeros = zero_ok;
        if (want->chk)
            zeros = zeros && want->s1 == 0 && want->s2 == 0;
        else
            for (int64_t i = 0; zeros && i < want->n; i++) zeros = want->v[i] == 0;
        if (!zeros)
            fprintf(stderr, "FAIL %s: %s is NULL%s%s\n", desc, what, nb_error() ? " | nb_error: " : "",
                    nb_error() ? nb_error() : "");
        return zeros;
    }
    bool ok = t->ndim == want->ndim && (t->dtype == want->dt);
    for (int i = 0; ok && i < t->ndim; i++) ok = t->shape[i] == want->shape[i];
    if (!ok) {
        char buf[64];
        fprintf(stderr, "FAIL %s: %s has shape %s dtype %s, torch has %d dims dtype %s\n", desc, what,
                nb_shape_str(t, buf, sizeof buf), dt_name(t->dtype), want->ndim, dt_name(want->dt));
        return false;
    }
    double *v = malloc(sizeof(double) * (size_t)(want->n ? want->n : 1));
    nb_to_doubles(t, v);
    if (want->chk) { /* checksums, with the tolerance scaled by the sum of |v| */
        double s1 = 0, s2 = 0, l1 = 0;
        for (int64_t k = 0; k < want->n; k++) {
            s1 += v[k];
            s2 += v[k] * ((double)((k * 37) % 19) - 9.0) / 8.0;
            l1 += fabs(v[k]);
        }
        free(v);
        double lim = tol * (1 + l1);
        if (!(fabs(s1 - want->s1) <= lim && fabs(s2 - want->s2) <= lim)) {
            fprintf(stderr, "FAIL %s: %s checksums %.17g %.17g, torch %.17g %.17g (tol %g)\n", desc, what, s1,
                    s2, want->s1, want->s2, lim);
            return false;
        }
        return true;
    }
    for (int64_t i = 0; i < want->n; i++) {
        if (!close_to(v[i], want->v[i], want->dt == NB_I64 ? 0 : tol)) {
            fprintf(stderr, "FAIL %s: %s[%lld] = %.17g, torch %.17g (tol %g)\n", desc, what, (long long)i,
                    v[i], want->v[i], tol);
            free(v);
            return false;
        }
    }
    free(v);
    return true;
}

/* second order against torch: s = sum_k <grad_k, w_k> with the grads taken with create_graph;
 * compare ds/d(input) with torch's */
static bool second_order(const gcase *c, run_fn fn, nb_tensor **x) {
    nb_tensor *o[2] = { 0 }, *diff[MAXIN], *g[MAXIN] = { 0 }, *gg[MAXIN] = { 0 };
    fn(c, x, o);
    for (int k = 0; k < c->ngg; k++) diff[k] = x[c->gidx[k]];
    if (!o[0] || !o[0]->requires_grad) return true; /* first order already checked the zeros */
    nb_tensor *go = tl_golden_tensor(&c->gout);
    if (nb_grad(1, &o[0], c->ngg, diff, &go, g,
                (nb_grad_opts){ .create_graph = true, .allow_unused = true }) != NB_OK) {
        fprintf(stderr, "FAIL %s: nb_grad(create_graph) failed: %s\n", desc, nb_error() ? nb_error() : "?");
        return false;
    }
    nb_tensor *s = NULL;
    for (int k = 0; k < c->ngg; k++) {
        if (!g[k]) continue;
        nb_tensor *term = nb_sum(nb_mul(g[k], tl_golden_tensor(&c->ggw[k])));
        s = s ? nb_add(s, term) : term;
    }
    if (s && s->requires_grad &&
        nb_grad(1, &s, c->ngg, diff, NULL, gg, (nb_grad_opts){ .allow_unused = true }) != NB_OK) {
        fprintf(stderr, "FAIL %s: second-order nb_grad failed: %s\n", desc, nb_error() ? nb_error() : "?");
        return false;
    }
    bool ok = true;
    for (int k = 0; ok && k < c->ngg; k++) {
        char what[48];
        snprintf(what, sizeof what, "second-order grad of input %d", c->gidx[k]);
        ok = compare(c, what, gg[k], &c->gg[k], true);
    }
    return ok;
}

static bool run_case(const gcase *c, bool strided) {
    describe(c);
    if (strided) strncat(desc, " [non-contiguous inputs]", sizeof desc - strlen(desc) - 1);
    run_fn fn = NULL;
    for (int i = 0; i < NOPS; i++)
        if (!strcmp(ops[i].name, c->op)) {
            fn = ops[i].fn;
            ops[i].used++;
        }
    if (!fn) {
        fprintf(stderr, "FAIL %s: no line for op '%s' in tests/golden_ops.def\n", desc, c->op);
        return false;
    }
    bool ok = true;
    nb_clear_error();
    nb_scope s = nb_scope_begin();
    nb_tensor *x[MAXIN] = { 0 }, *o[2] = { 0 };
    for (int i = 0; i < c->nin; i++) x[i] = strided ? make_strided(&c->in[i]) : tl_golden_tensor(&c->in[i]);
    int nout = fn(c, x, o);
    if (c->error) {
        ok = !o[0] && nb_error();
        if (!ok)
            fprintf(stderr, "FAIL %s: torch raises an error, nabla returned %s\n", desc,
                    o[0] ? "a tensor" : "NULL without an error");
        nb_scope_end(s);
        nb_clear_error();
        return ok;
    }
    if (nout != c->nout) {
        fprintf(stderr, "FAIL %s: %d outputs, torch has %d\n", desc, nout, c->nout);
        ok = false;
    }
    for (int i = 0; ok && i < nout; i++) ok = compare(c, i ? "indices" : "output", o[i], &c->out[i], false);
    if (ok && c->has_gout) {
        if (o[0]->requires_grad) {
            nb_tensor *g = tl_golden_tensor(&c->gout);
            if (nb_backward_ex(o[0], (nb_backward_opts){ .grad = g }) != NB_OK) {
                fprintf(stderr, "FAIL %s: backward failed: %s\n", desc, nb_error() ? nb_error() : "?");
                ok = false;
            }
        }
        for (int i = 0; ok && i < c->ngrad; i++) {
            char what[32];
            snprintf(what, sizeof what, "grad of input %d", c->gidx[i]);
            ok = compare(c, what, nb_grad_of(x[c->gidx[i]]), &c->grad[i], true);
        }
    }
    if (ok && c->ngg) ok = second_order(c, fn, x);
    if (ok && nb_error()) {
        fprintf(stderr, "FAIL %s: error left behind: %s\n", desc, nb_error());
        ok = false;
    }
    nb_scope_end(s);
    nb_clear_error();
    return ok;
}

/* Every op declared in include/nb_autograd.h (and include/nb_helpers.h) must have a dispatch entry (so a golden case): a new
 * public op without golden coverage fails here. The autograd API functions are not ops. */
static void check_header_coverage(const char *data_dir, const char *header) {
    static const char *not_ops[] = { "requires_grad_", "detach", "grad_of", "grad1", NULL };
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/../%s", data_dir, header);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s to list the ops\n", path);
        CHECK(f != NULL);
        return;
    }
    int nops = 0;
    while (fgets(line, sizeof line, f)) {
        int skip_n = !strncmp(line, "nb_tensor *nb_", 14) ? 14 : !strncmp(line, "int nb_", 7) ? 7 : 0;
        if (!skip_n) continue;
        char name[64];
        int k = 0;
        for (const char *q = line + skip_n; *q && *q != '(' && k < 63; q++) name[k++] = *q;
        name[k] = 0;
        bool skip = false;
        for (int i = 0; not_ops[i]; i++) skip |= !strcmp(name, not_ops[i]);
        if (skip) continue;
        nops++;
        bool found = false;
        for (int i = 0; i < NOPS && !found; i++)
            found = !strcmp(ops[i].name, name) ||
                    (!strcmp(name, "contiguous") && !strcmp(ops[i].name, "contiguous_t"));
        if (!found)
            fprintf(stderr,
                    "FAIL op nb_%s (%s) has no golden case: add a runner for it (tests/golden_ops.def for "
                    "include/nb_autograd.h, the helpers block of this file for include/nb_helpers.h) and its "
                    "cases to "
                    "its golden generator (then run it)\n",
                    name, header);
        CHECK(found);
    }
    fclose(f);
    CHECK(nops > 10);
}

/* run every case of one golden file; false if it cannot be read */
static bool run_file(const char *path, int *ncases_, int *nfail_) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s (set NB_TEST_DATA to the tests/ directory)\n", path);
        return false;
    }
    size_t cap = 1 << 16;
    char *line = malloc(cap);
    gcase c;
    memset(&c, 0, sizeof c);
    int lineno = 0, ncases = 0, nfail = 0;
    bool bad = false;
    for (;;) {
        size_t len = 0; /* read a whole line, growing the buffer */
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
        if (!strcmp(kw, "case")) {
            free_case(&c);
            char dt[8];
            int used = 0;
            if (sscanf(s, "%31s %7s %d%n", c.op, dt, &c.np, &used) < 3 || c.np > 32) {
                bad = true;
                break;
            }
            c.dt = tl_parse_dtype(dt);
            c.line = lineno;
            s += used;
            for (int i = 0; i < c.np; i++) {
                c.p[i] = strtod(s, &e);
                s = e;
            }
        } else if (!strcmp(kw, "in")) {
            if (c.nin >= MAXIN) {
                bad = true;
                break;
            }
            if (!tl_parse_golden(&s, &c.in[c.nin++], true)) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "out")) {
            if (c.nout >= 2) {
                bad = true;
                break;
            }
            if (!tl_parse_golden(&s, &c.out[c.nout++], false)) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "gout")) {
            c.has_gout = true;
            if (!tl_parse_golden(&s, &c.gout, false)) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "grad")) {
            if (c.ngrad >= MAXIN) {
                bad = true;
                break;
            }
            c.gidx[c.ngrad] = atoi(tl_next_token(&s));
            if (!tl_parse_golden(&s, &c.grad[c.ngrad++], false)) {
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
        } else if (!strcmp(kw, "big") || !strcmp(kw, "bigi")) {
            bool index = kw[3] == 'i';
            if (c.nin >= MAXIN) {
                bad = true;
                break;
            }
            if (!(index ? tl_parse_golden_bigi(&s, &c.in[c.nin++])
                        : tl_parse_golden_big(&s, &c.in[c.nin++], true))) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "chk")) {
            if (c.nout >= 2) {
                bad = true;
                break;
            }
            if (!tl_parse_golden_chk(&s, &c.out[c.nout++])) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "gbig")) {
            c.has_gout = true;
            if (!tl_parse_golden_big(&s, &c.gout, false)) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "gchk")) {
            if (c.ngrad >= MAXIN) {
                bad = true;
                break;
            }
            c.gidx[c.ngrad] = atoi(tl_next_token(&s));
            if (!tl_parse_golden_chk(&s, &c.grad[c.ngrad++])) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "error")) {
            c.error = true;
            c.nout = 1;
        } else if (!strcmp(kw, "end")) {
            ncases++;
            /* whether view succeeds depends on the layout: only the contiguous run applies */
            bool ok = run_case(&c, false) && (!strncmp(c.op, "view", 4) || run_case(&c, true));
            nfail += !ok;
            tl_check(ok, "golden case (see the FAIL line above)", __FILE__, __LINE__);
            free_case(&c);
        }
    }
    if (bad) fprintf(stderr, "FAIL %s: parse error at line %d\n", path, lineno);
    CHECK(!bad);
    free_case(&c);
    free(line);
    fclose(f);
    *ncases_ += ncases;
    *nfail_ += nfail;
    return true;
}

int main(void) {
    const char *dir = getenv("NB_TEST_DATA");
    /* each golden file and the public header whose ops it must cover */
    static const char *files[][2] = { { "ops.txt", "include/nb_autograd.h" },
                                      { "helpers.txt", "include/nb_helpers.h" } };
    int ncases = 0, nfail = 0;
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/golden/%s", dir ? dir : "tests", files[k][0]);
        if (!run_file(path, &ncases, &nfail)) return 1;
    }
    for (int i = 0; i < NOPS; i++)
        if (!ops[i].used) {
            fprintf(stderr,
                    "FAIL op %s has no case in tests/golden/ops.txt or helpers.txt: add cases to "
                    "its golden generator and run it\n",
                    ops[i].name);
            CHECK(ops[i].used > 0);
        }
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++)
        check_header_coverage(dir ? dir : "tests", files[k][1]);
    printf("%d golden cases, %d failed, %d ops\n", ncases, nfail, NOPS);
    nb_memory_stats ms = nb_memory_stats_get();
    CHECK(ms.tensors_live == 0);
    return nb_test_done();
}
