/* pg_expr.c — the expression page: a tiny language ("x = 2; W = [[1, 2], [3, 4]]; sum(relu(W @ x))")
 * parsed by recursive descent straight into nabla ops, so the tape the page draws is the one nabla
 * records; then backward with nb_set_backward_trace captured, and optionally create_graph. */
#include "pg.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAXVARS = 16, MAXLIT = 256, MAXDEPTH = 64 }; /* MAXDEPTH: nesting that fits a small (WASM) stack */

typedef struct {
    const char *src, *p;
    char err[256];
    int nvars, depth;
    char names[MAXVARS][32];
    nb_tensor *vars[MAXVARS];
} parser;

static void *perr(parser *ps, const char *what) {
    if (!ps->err[0]) snprintf(ps->err, sizeof ps->err, "%s at column %d", what, (int)(ps->p - ps->src) + 1);
    return NULL;
}

static void skip(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r') ps->p++;
}

static bool eat(parser *ps, const char *tok) {
    skip(ps);
    size_t n = strlen(tok);
    if (strncmp(ps->p, tok, n)) return false;
    ps->p += n;
    return true;
}

static bool ident(parser *ps, char *name, size_t n) {
    skip(ps);
    if (!isalpha((unsigned char)*ps->p) && *ps->p != '_') return false;
    size_t k = 0;
    while ((isalnum((unsigned char)*ps->p) || *ps->p == '_') && k + 1 < n) name[k++] = *ps->p++;
    name[k] = 0;
    return true;
}

static nb_tensor *expr(parser *ps);

/* [1, 2] or [[1, 2], [3, 4]]: a constant f64 tensor (1-D or 2-D) */
static nb_tensor *literal(parser *ps) {
    double v[MAXLIT];
    int n = 0, rows = 0, cols = -1;
    bool nested = false;
    skip(ps);
    if (*ps->p == '[') nested = true;
    do {
        int c = 0;
        if (nested && !eat(ps, "[")) return perr(ps, "expected '['");
        do {
            skip(ps);
            char *e;
            double d = strtod(ps->p, &e);
            if (e == ps->p) return perr(ps, "expected a number in the list");
            if (n == MAXLIT) return perr(ps, "list too long (at most 256 numbers)");
            v[n++] = d;
            c++;
            ps->p = e;
        } while (eat(ps, ","));
        if (nested && !eat(ps, "]")) return perr(ps, "expected ']'");
        if (cols >= 0 && c != cols) return perr(ps, "rows of different lengths");
        cols = c;
        rows++;
    } while (nested && eat(ps, ","));
    if (!eat(ps, "]")) return perr(ps, "expected ']'");
    if (nested) return nb_tensor_from(NB_F64, v, NB_SHAPE(rows, cols), false);
    return nb_tensor_from(NB_F64, v, NB_SHAPE(n), false);
}

typedef nb_tensor *(*unary_fn)(nb_tensor *);
static const struct {
    const char *name;
    unary_fn fn;
} funcs[] = {
    { "sin", nb_sin },   { "cos", nb_cos },   { "tan", nb_tan },       { "exp", nb_exp },
    { "log", nb_log },   { "sqrt", nb_sqrt }, { "tanh", nb_tanh },     { "sigmoid", nb_sigmoid },
    { "relu", nb_relu }, { "abs", nb_abs },   { "square", nb_square }, { "sinh", nb_sinh },
    { "cosh", nb_cosh }, { "sum", nb_sum },   { "mean", nb_mean },     { "neg", nb_neg },
};

static nb_tensor *primary(parser *ps) {
    skip(ps);
    char name[32];
    if (eat(ps, "(")) {
        nb_tensor *t = expr(ps);
        if (!t) return NULL;
        return eat(ps, ")") ? t : perr(ps, "expected ')'");
    }
    if (eat(ps, "[")) return literal(ps);
    if (isdigit((unsigned char)*ps->p) || *ps->p == '.') {
        char *e;
        double d = strtod(ps->p, &e);
        if (e == ps->p) return perr(ps, "bad number");
        ps->p = e;
        return nb_scalar(NB_F64, d);
    }
    if (!ident(ps, name, sizeof name))
        return perr(ps, *ps->p ? "unexpected character" : "unexpected end of input");
    if (eat(ps, "(")) {
        for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
            if (strcmp(name, funcs[i].name)) continue;
            nb_tensor *a = expr(ps);
            if (!a) return NULL;
            if (!eat(ps, ")")) return perr(ps, "expected ')'");
            nb_tensor *r = funcs[i].fn(a);
            return r ? r : perr(ps, nb_error() ? nb_error() : "operation failed");
        }
        char m[128];
        snprintf(m, sizeof m, "unknown function '%s'", name);
        return perr(ps, m);
    }
    if (!strcmp(name, "pi")) return nb_scalar(NB_F64, M_PI);
    if (!strcmp(name, "e")) return nb_scalar(NB_F64, M_E);
    for (int i = 0; i < ps->nvars; i++)
        if (!strcmp(ps->names[i], name)) return ps->vars[i];
    char m[128];
    snprintf(m, sizeof m, "unknown name '%s' (define it first, e.g. %s = 1.5)", name, name);
    return perr(ps, m);
}

/* a nabla op result, or the library's message as the parse error */
static nb_tensor *checked(parser *ps, nb_tensor *r) {
    if (r) return r;
    return perr(ps, nb_error() ? nb_error() : "operation failed");
}

static nb_tensor *unary(parser *ps);
static nb_tensor *power(parser *ps) {
    nb_tensor *a = primary(ps);
    if (!a) return NULL;
    if (eat(ps, "^") || eat(ps, "**")) {
        nb_tensor *b = unary(ps);
        if (!b) return NULL;
        return checked(ps, nb_pow(a, b));
    }
    return a;
}

/* every nesting (parentheses, function arguments, unary minus, exponents) passes here: its depth is bounded */
static nb_tensor *unary(parser *ps) {
    if (ps->depth >= MAXDEPTH) return perr(ps, "expression nested too deeply (at most 64 levels)");
    ps->depth++;
    nb_tensor *r;
    if (eat(ps, "-")) {
        nb_tensor *a = unary(ps);
        r = a ? checked(ps, nb_neg(a)) : NULL;
    } else
        r = power(ps);
    ps->depth--;
    return r;
}

static nb_tensor *term(parser *ps) {
    nb_tensor *a = unary(ps);
    while (a) {
        if (eat(ps, "*")) {
            nb_tensor *b = unary(ps);
            a = b ? checked(ps, nb_mul(a, b)) : NULL;
        } else if (eat(ps, "/")) {
            nb_tensor *b = unary(ps);
            a = b ? checked(ps, nb_div(a, b)) : NULL;
        } else if (eat(ps, "@")) {
            nb_tensor *b = unary(ps);
            a = b ? checked(ps, nb_matmul(a, b)) : NULL;
        } else
            break;
    }
    return a;
}

static nb_tensor *expr(parser *ps) {
    nb_tensor *a = term(ps);
    while (a) {
        if (eat(ps, "+")) {
            nb_tensor *b = term(ps);
            a = b ? checked(ps, nb_add(a, b)) : NULL;
        } else if (eat(ps, "-")) {
            nb_tensor *b = term(ps);
            a = b ? checked(ps, nb_sub(a, b)) : NULL;
        } else
            break;
    }
    return a;
}

/* statements separated by ';' or newlines: "name = expr" defines a variable (a leaf requiring grad),
 * the last bare expression is the result */
static nb_tensor *program(parser *ps) {
    nb_tensor *result = NULL;
    for (;;) {
        while (eat(ps, ";") || eat(ps, "\n")) {}
        skip(ps);
        if (!*ps->p) break;
        const char *save = ps->p;
        char name[32];
        if (ident(ps, name, sizeof name) && eat(ps, "=") && *ps->p != '=') {
            if (ps->nvars == MAXVARS) return perr(ps, "too many variables (at most 16)");
            nb_tensor *v;
            NB_NO_GRAD { v = expr(ps); }
            if (!v) return NULL;
            nb_tensor *leaf = nb_requires_grad_(nb_to(nb_contiguous(nb_detach(v)), NB_F64),
                                                true); /* owned by the scope */
            if (!leaf) return checked(ps, NULL);
            int k = ps->nvars;
            for (int i = 0; i < ps->nvars; i++)
                if (!strcmp(ps->names[i], name)) k = i;
            snprintf(ps->names[k], sizeof ps->names[k], "%s", name);
            ps->vars[k] = leaf;
            if (k == ps->nvars) ps->nvars++;
        } else {
            ps->p = save;
            result = expr(ps);
            if (!result) return NULL;
        }
        skip(ps);
        if (*ps->p && *ps->p != ';' && *ps->p != '\n')
            return perr(ps, "unexpected text after the expression");
    }
    return result ? result : perr(ps, "no expression to evaluate (the last line must be an expression)");
}

/* "x": {"name", "ptr", data, grad} for each variable */
static void put_vars(FILE *f, parser *ps, nb_tensor *const *grads) {
    fputs("[", f);
    for (int i = 0; i < ps->nvars; i++) {
        nb_tensor *v = ps->vars[i];
        int n = (int)nb_numel(v); /* a variable may be bigger than a literal (x = a @ b): sized buffer */
        double *vals = malloc(sizeof(double) * (size_t)(n ? n : 1));
        if (!vals || nb_to_doubles(v, vals) != NB_OK) n = 0;
        fprintf(f, "%s{\"name\":", i ? "," : "");
        pg_str(f, ps->names[i]);
        fprintf(f, ",\"ptr\":\"%p\",\"shape\":[", (void *)v);
        for (int d = 0; d < v->ndim; d++) fprintf(f, "%s%lld", d ? "," : "", (long long)v->shape[d]);
        fputs("],\"value\":", f);
        pg_nums(f, vals, n);
        nb_tensor *g = grads ? grads[i] : v->grad;
        if (vals && g && nb_numel(g) == n && nb_to_doubles(g, vals) == NB_OK) {
            fputs(",\"grad\":", f);
            pg_nums(f, vals, n);
        }
        free(vals);
        fputc('}', f);
    }
    fputs("]", f);
}

/* the backward trace text split into one string per node ("backward #k ..." and its "-> input" lines) */
static void put_trace(FILE *f, const char *text) {
    fputc('[', f);
    bool first = true;
    for (const char *p = text; p && *p;) {
        const char *q = strstr(p + 1, "\nbackward #");
        size_t n = q ? (size_t)(q - p) : strlen(p);
        char *blk = malloc(n + 1);
        if (!blk) break;
        memcpy(blk, p, n);
        blk[n] = 0;
        while (n && blk[n - 1] == '\n') blk[--n] = 0;
        if (!first) fputc(',', f);
        pg_str(f, blk);
        first = false;
        free(blk);
        p = q ? q + 1 : NULL;
    }
    fputc(']', f);
}

static void put_tape(FILE *f) {
    char *t = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&t, &n);
    if (m) {
        nb_tape_json(m);
        fclose(m);
    }
    fputs(t ? t : "null", f);
    free(t);
}

const char *pg_expr(const char *src, int second) {
    if (!src) return pg_fail("no expression");
    nb_clear_error();
    parser ps = { .src = src, .p = src };
    nb_scope s = nb_scope_begin();
    nb_tensor *y = program(&ps);
    if (!y) {
        nb_scope_end(s);
        return pg_fail(ps.err);
    }
    if (nb_numel(y) != 1) {
        char m[160];
        snprintf(m, sizeof m,
                 "the result has shape %s; backward needs one number: wrap it in sum(...) or mean(...)",
                 nb_shape_str(y, (char[48]){ 0 }, 48));
        nb_scope_end(s);
        return pg_fail(m);
    }
    if (!y->requires_grad) {
        nb_scope_end(s);
        return pg_fail("the result does not depend on any variable: define one first, e.g. x = 2; x * x");
    }
    FILE *f = pg_begin();
    fprintf(f, "{\"ok\":true,\"result\":");
    pg_num(f, nb_item(y));
    fputs(",\"tape\":", f);
    put_tape(f);
    char *trace = NULL;
    size_t tn = 0;
    FILE *tm = open_memstream(&trace, &tn);
    nb_set_backward_trace(tm);
    nb_status st = nb_backward_ex(y, (nb_backward_opts){ .retain_graph = true });
    nb_set_backward_trace(NULL);
    if (tm) fclose(tm);
    fputs(",\"trace\":", f);
    put_trace(f, trace);
    free(trace);
    fputs(",\"tape_after\":", f);
    put_tape(f);
    fputs(",\"vars\":", f);
    put_vars(f, &ps, NULL);
    nb_scope_end(s);
    if (st == NB_OK && second) {
        /* again with create_graph: the backward ops are recorded, so each dy/dv can be differentiated */
        nb_scope s2 = nb_scope_begin();
        parser p2 = { .src = src, .p = src };
        nb_tensor *y2 = program(&p2);
        nb_tensor *g[MAXVARS] = { 0 }, *h[MAXVARS] = { 0 };
        st = y2 ? nb_grad(1, &y2, p2.nvars, p2.vars, NULL, g,
                          (nb_grad_opts){ .create_graph = true, .allow_unused = true })
                : NB_ERROR;
        fputs(",\"second\":{\"tape\":", f);
        put_tape(f);
        for (int i = 0; st == NB_OK && i < p2.nvars; i++) {
            if (!g[i] || !g[i]->requires_grad) {
                h[i] = nb_zeros_like(p2.vars[i]);
                continue;
            }
            nb_tensor *gs = nb_sum(g[i]);
            st = nb_grad(1, &gs, 1, &p2.vars[i], NULL, &h[i],
                         (nb_grad_opts){ .retain_graph = true, .allow_unused = true });
            if (!h[i]) h[i] = nb_zeros_like(p2.vars[i]);
        }
        fputs(",\"note\":\"value: d/dv of sum(dy/dv) (the second derivative for a scalar v)\",\"vars\":", f);
        if (st == NB_OK)
            put_vars(f, &p2, h);
        else
            fputs("[]", f);
        fputc('}', f);
        nb_scope_end(s2);
    }
    if (st != NB_OK || nb_error()) {
        char m[512];
        snprintf(m, sizeof m, "%s", nb_error() ? nb_error() : "backward failed");
        pg_end();
        return pg_fail(m);
    }
    fputc('}', f);
    return pg_end();
}
