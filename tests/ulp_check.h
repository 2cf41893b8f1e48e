/* ulp_check.h — the small harness of the header-only math tests (test_vexp.c, test_verf.c): a pass/fail
 * count, f32 from its bits, and one result checked against the f32 rounding of the exact value (equal, or
 * one ulp off and counted as a miss; anything worse fails). */
#ifndef NB_ULP_CHECK_H
#define NB_ULP_CHECK_H
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

/* record ok as a result; print what and x on failure */
static void check(int ok, const char *what, float x) {
    if (ok)
        passed++;
    else
        failed++, printf("FAIL %s at x = %a\n", what, (double)x);
}

/* f32 from its bits */
static float from_bits(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* got (the function at x) against want (the rounding of the exact value): NaN must give NaN, equal (with its
 * sign) passes, one ulp off returns 1 (a miss, counted by the caller), worse fails; tag names the function */
static int ulp_one(const char *tag, float x, float got, float want) {
    char what[64];
    if (isnan(x)) {
        snprintf(what, sizeof what, "%s: NaN gives NaN", tag);
        check(isnan(got), what, x);
        return 0;
    }
    if (got == want && signbit(got) == signbit(want)) {
        passed++;
        return 0;
    }
    snprintf(what, sizeof what, "%s: within one ulp", tag);
    check(got == nextafterf(want, INFINITY) || got == nextafterf(want, -INFINITY), what, x);
    return 1;
}

#endif
