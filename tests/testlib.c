/* testlib.c — implementation of the test harness (see testlib.h). */
#include "testlib.h"
#include <stdlib.h>

int nbt_pass, nbt_fail;

int nbt_check(int cond, const char *what, const char *file, int line) {
    if (cond) { nbt_pass++; return 1; }
    nbt_fail++;
    fprintf(stderr, "FAIL %s:%d: %s%s%s\n", file, line, what, nb_error() ? " | nb_error: " : "", nb_error() ? nb_error() : "");
    return 0;
}

int nbt_near(double a, double b, double tol, const char *what, const char *file, int line) {
    if (fabs(a - b) <= tol * (1 + fabs(b)) || (isnan(a) && isnan(b)) || (isinf(a) && a == b)) { nbt_pass++; return 1; }
    nbt_fail++;
    fprintf(stderr, "FAIL %s:%d: %s = %.10g, expected %.10g (tol %g)%s%s\n", file, line, what, a, b, tol,
            nb_error() ? " | nb_error: " : "", nb_error() ? nb_error() : "");
    return 0;
}

int nbt_err(int returned_null, const char *what, const char *file, int line) {
    const char *e = nb_error();
    int ok = returned_null && e && e[0];
    if (ok) nbt_pass++;
    else { nbt_fail++; fprintf(stderr, "FAIL %s:%d: expected an error from %s (returned %s, error %s)\n", file, line, what, returned_null ? "NULL" : "non-NULL", e ? e : "none"); }
    nb_clear_error();
    return ok;
}

int nbt_tensor_near(const nb_tensor *t, const double *want, int64_t n, double tol, const char *what, const char *file, int line) {
    if (!t || nb_numel(t) != n) {
        nbt_fail++;
        fprintf(stderr, "FAIL %s:%d: %s is %s (numel %lld, expected %lld)%s%s\n", file, line, what, t ? "wrong size" : "NULL",
                t ? (long long)nb_numel(t) : -1LL, (long long)n, nb_error() ? " | nb_error: " : "", nb_error() ? nb_error() : "");
        return 0;
    }
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    nb_to_doubles(t, v);
    for (int64_t i = 0; i < n; i++) {
        if (!(fabs(v[i] - want[i]) <= tol * (1 + fabs(want[i]))) && !(isnan(v[i]) && isnan(want[i])) && !(isinf(v[i]) && v[i] == want[i])) {
            nbt_fail++;
            fprintf(stderr, "FAIL %s:%d: %s[%lld] = %.10g, expected %.10g (tol %g)\n", file, line, what, (long long)i, v[i], want[i], tol);
            free(v);
            return 0;
        }
    }
    free(v);
    nbt_pass++;
    return 1;
}

int nb_test_done(void) {
    printf("%d passed, %d failed\n", nbt_pass, nbt_fail);
    return nbt_fail ? 1 : 0;
}
