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

nb_tensor *tl_parse_tensor(char **save) {
    char *dt = strtok_r(NULL, " \n", save), *nd = strtok_r(NULL, " \n", save);
    if (!dt || !nd) return NULL;
    int ndim = atoi(nd);
    if (ndim < 0 || ndim > NB_MAX_DIMS) return NULL;
    int64_t shape[NB_MAX_DIMS], n = 1;
    for (int i = 0; i < ndim; i++) {
        char *s = strtok_r(NULL, " \n", save);
        if (!s) return NULL;
        shape[i] = atoll(s);
        n *= shape[i];
    }
    nb_dtype t = !strcmp(dt, "f64") ? NB_F64 : !strcmp(dt, "i64") ? NB_I64 : NB_F32;
    nb_tensor *r = nb_empty(t, ndim, shape);
    for (int64_t i = 0; r && i < n; i++) {
        char *v = strtok_r(NULL, " \n", save);
        if (!v) {
            nb_free(r);
            return NULL;
        }
        if (t == NB_I64)
            nb_data_i64(r)[i] = atoll(v);
        else if (t == NB_F64)
            nb_data_f64(r)[i] = strtod(v, NULL);
        else
            nb_data_f32(r)[i] = (float)strtod(v, NULL);
    }
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
