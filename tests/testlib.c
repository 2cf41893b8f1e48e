/* testlib.c — implementation of the test harness (see testlib.h). */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

int tl_pass, tl_fail;

int tl_check(int cond, const char *what, const char *file, int line) {
    if (cond) {
        tl_pass++;
        return 1;
    }
    tl_fail++;
    fprintf(stderr, "FAIL %s:%d: %s%s%s\n", file, line, what, nb_error() ? " | nb_error: " : "",
            nb_error() ? nb_error() : "");
    return 0;
}

int tl_near(double a, double b, double tol, const char *what, const char *file, int line) {
    if (fabs(a - b) <= tol * (1 + fabs(b)) || (isnan(a) && isnan(b)) || (isinf(a) && a == b)) {
        tl_pass++;
        return 1;
    }
    tl_fail++;
    fprintf(stderr, "FAIL %s:%d: %s = %.10g, expected %.10g (tol %g)%s%s\n", file, line, what, a, b, tol,
            nb_error() ? " | nb_error: " : "", nb_error() ? nb_error() : "");
    return 0;
}

int tl_err(int returned_null, const char *what, const char *file, int line) {
    const char *e = nb_error();
    int ok = returned_null && e && e[0];
    if (ok)
        tl_pass++;
    else {
        tl_fail++;
        fprintf(stderr, "FAIL %s:%d: expected an error from %s (returned %s, error %s)\n", file, line, what,
                returned_null ? "NULL" : "non-NULL", e ? e : "none");
    }
    nb_clear_error();
    return ok;
}

int tl_tensor_near(const nb_tensor *t, const double *want, int64_t n, double tol, const char *what,
                   const char *file, int line) {
    if (!t || nb_numel(t) != n) {
        tl_fail++;
        fprintf(stderr, "FAIL %s:%d: %s is %s (numel %lld, expected %lld)%s%s\n", file, line, what,
                t ? "wrong size" : "NULL", t ? (long long)nb_numel(t) : -1LL, (long long)n,
                nb_error() ? " | nb_error: " : "", nb_error() ? nb_error() : "");
        return 0;
    }
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    nb_to_doubles(t, v);
    for (int64_t i = 0; i < n; i++) {
        if (!(fabs(v[i] - want[i]) <= tol * (1 + fabs(want[i]))) && !(isnan(v[i]) && isnan(want[i])) &&
            !(isinf(v[i]) && v[i] == want[i])) {
            tl_fail++;
            fprintf(stderr, "FAIL %s:%d: %s[%lld] = %.10g, expected %.10g (tol %g)\n", file, line, what,
                    (long long)i, v[i], want[i], tol);
            free(v);
            return 0;
        }
    }
    free(v);
    tl_pass++;
    return 1;
}

/* -- golden files (modules) -- */
FILE *tl_open_data(const char *rel) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests", rel);
    FILE *f = fopen(path, "rb");
    if (!f) fprintf(stderr, "cannot open %s\n", path);
    return f;
}

char *tl_next_token(char **save) {
    char *s = *save;
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
    char *t = s;
    while (*s && *s != ' ' && *s != '\n' && *s != '\r' && *s != '\t') s++;
    if (*s) *s++ = 0;
    *save = s;
    return t;
}

static bool int_token(char **save, int64_t *v) {
    char *t = tl_next_token(save), *e;
    *v = strtoll(t, &e, 10);
    return e != t;
}

/* "<ndim> <shape...>" into g (n = the product) */
static bool parse_shape(char **save, tl_golden *g) {
    int64_t nd;
    if (!int_token(save, &nd) || nd < 0 || nd > NB_MAX_DIMS) return false;
    g->ndim = (int)nd;
    g->n = 1;
    for (int i = 0; i < g->ndim; i++) {
        if (!int_token(save, &g->shape[i]) || g->shape[i] < 0) return false;
        g->n *= g->shape[i];
    }
    return true;
}

nb_dtype tl_parse_dtype(const char *tok) {
    return !strcmp(tok, "f64") ? NB_F64 : !strcmp(tok, "i64") ? NB_I64 : NB_F32;
}

/* "<dt> [rg] <ndim> <shape...>" into g */
static bool parse_head(char **save, tl_golden *g, bool with_rg) {
    const char *dt = tl_next_token(save);
    if (!dt[0]) return false;
    g->dt = tl_parse_dtype(dt);
    int64_t rg = 0;
    if (with_rg && !int_token(save, &rg)) return false;
    g->rg = rg != 0;
    return parse_shape(save, g);
}

/* room for g's n values */
static bool alloc_values(tl_golden *g) {
    g->v = malloc(sizeof(double) * (size_t)(g->n ? g->n : 1));
    return g->v != NULL;
}

bool tl_parse_golden(char **save, tl_golden *g, bool with_rg) {
    if (!parse_head(save, g, with_rg) || !alloc_values(g)) return false;
    for (int64_t i = 0; i < g->n; i++) {
        char *t = tl_next_token(save), *e;
        g->v[i] = g->dt == NB_I64 ? (double)strtoll(t, &e, 10) : strtod(t, &e);
        if (e == t) return false;
    }
    return true;
}

bool tl_parse_named_golden(char **save, tl_golden *g) {
    const char *name = tl_next_token(save);
    snprintf(g->name, sizeof g->name, "%s", name);
    return name[0] && tl_parse_golden(save, g, false);
}

bool tl_parse_golden_big(char **save, tl_golden *g, bool with_rg) {
    int64_t seed;
    if (!parse_head(save, g, with_rg) || !int_token(save, &seed) || !alloc_values(g)) return false;
    for (int64_t k = 0; k < g->n; k++) g->v[k] = (double)((k * 7919 + seed * 104729) % 1000 - 500) / 256.0;
    return true;
}

bool tl_parse_golden_bigi(char **save, tl_golden *g) {
    int64_t seed, hi;
    g->dt = NB_I64;
    if (!parse_shape(save, g) || !int_token(save, &seed) || !int_token(save, &hi) || hi <= 0 ||
        !alloc_values(g))
        return false;
    for (int64_t k = 0; k < g->n; k++) g->v[k] = (double)((k * 31 + seed) % hi);
    return true;
}

bool tl_parse_golden_chk(char **save, tl_golden *g) {
    if (!parse_head(save, g, false)) return false;
    g->chk = true;
    char *t1 = tl_next_token(save), *e1, *t2, *e2;
    g->s1 = strtod(t1, &e1);
    t2 = tl_next_token(save);
    g->s2 = strtod(t2, &e2);
    return e1 != t1 && e2 != t2;
}

nb_tensor *tl_golden_tensor(const tl_golden *g) {
    nb_tensor *r = g->v ? nb_empty(g->dt, g->ndim, g->shape) : NULL;
    for (int64_t i = 0; r && i < g->n; i++) {
        if (g->dt == NB_I64)
            nb_data_i64(r)[i] = (int64_t)g->v[i];
        else if (g->dt == NB_F64)
            nb_data_f64(r)[i] = g->v[i];
        else
            nb_data_f32(r)[i] = (float)g->v[i];
    }
    if (r && g->rg) nb_requires_grad_(r, true);
    return r;
}

void tl_golden_free(tl_golden *g) {
    free(g->v);
    memset(g, 0, sizeof *g);
}

nb_tensor *tl_parse_tensor(char **save) {
    tl_golden g = { .n = 0 };
    nb_tensor *r = tl_parse_golden(save, &g, false) ? tl_golden_tensor(&g) : NULL;
    tl_golden_free(&g);
    return r;
}
/* -- end golden files -- */

int nb_test_done(void) {
    printf("%d passed, %d failed\n", tl_pass, tl_fail);
    return tl_fail ? 1 : 0;
}

/* ---- the invariant check (TL_T / TL_OK / TL_D) ---- */
unsigned long nbt_error_serial(void); /* tensor/error.c (internal) */
static _Thread_local unsigned long tl_serial;
void tl_mark(void) { tl_serial = nbt_error_serial(); }
static void invariant(bool ok, const char *what, const char *file, int line) {
    if (!ok || nbt_error_serial() == tl_serial) return;
    tl_check(0, what, file, line);
    fprintf(stderr, "  ^ returned a result although it raised an error: %s\n",
            nb_error() ? nb_error() : "(dropped: an earlier error was pending)");
}
void *tl_ptr_(void *r, const char *what, const char *file, int line) {
    invariant(r != NULL, what, file, line);
    return r;
}
nb_status tl_status_(nb_status r, const char *what, const char *file, int line) {
    invariant(r == NB_OK, what, file, line);
    return r;
}
double tl_double_(double r, const char *what, const char *file, int line) {
    invariant(!isnan(r), what, file, line);
    return r;
}
