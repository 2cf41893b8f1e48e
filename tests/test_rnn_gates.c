/* test_rnn_gates.c — the recurrent kernels' branch-free f32 gates (tensor/rnn_gates.h) against the C
 * library in double: sigmoid within 3 ulp and tanh within 2 ulp over a sweep of all finite floats
 * (every 1021st bit pattern), and the special values (signed zeros, infinities, NaN, overflowing e^x). */
#include "rnn_gates.h"

#include <math.h>
#include <stdio.h>

static int passed, failed;

static void check(int ok, const char *what) {
    if (ok)
        passed++;
    else
        failed++, printf("FAIL %s\n", what);
}

/* |got - want| in units of the last place of want rounded to f32 (normal results only) */
static double ulps(float got, double want) {
    float w = (float)fabs(want);
    return fabs((double)got - want) / ((double)nextafterf(w, INFINITY) - (double)w);
}

int main(void) {
    double mt = 0, ms = 0;
    float at_t = 0, at_s = 0;
    for (uint32_t u = 0; u < 0xFF800000u; u += 1021) {
        float x;
        memcpy(&x, &u, sizeof x);
        if (isnan(x)) continue; /* the bit patterns between +inf and -0 */
        double t = tanh((double)x), s = 1 / (1 + exp(-(double)x));
        double et = fabs(t) >= 1.1754944e-38 ? ulps(nbt_rnn_tanhf(x), t)
                                             : fabs(nbt_rnn_tanhf(x) - t) / 0x1p-149;
        double es = s >= 1.1754944e-38 ? ulps(nbt_rnn_sigmf(x), s) : fabs(nbt_rnn_sigmf(x) - s) / 0x1p-126;
        if (et > mt) mt = et, at_t = x;
        if (es > ms) ms = es, at_s = x;
    }
    printf("max error: tanh %.2f ulp (at %g), sigmoid %.2f ulp (at %g)\n", mt, (double)at_t, ms,
           (double)at_s);
    check(mt <= 2, "tanh within 2 ulp");
    check(ms <= 3, "sigmoid within 3 ulp (subnormal results within 2^-126)");
    float z = nbt_rnn_tanhf(-0.0f);
    check(z == 0 && signbit(z), "tanh(-0) = -0");
    check(nbt_rnn_tanhf(0.0f) == 0 && !signbit(nbt_rnn_tanhf(0.0f)), "tanh(+0) = +0");
    check(nbt_rnn_tanhf(INFINITY) == 1 && nbt_rnn_tanhf(-INFINITY) == -1, "tanh(+-inf) = +-1");
    check(nbt_rnn_tanhf(50.0f) == 1 && nbt_rnn_tanhf(-1e30f) == -1,
          "tanh of large |x| (e^2|x| overflows) = +-1");
    check(isnan(nbt_rnn_tanhf(NAN)) && isnan(nbt_rnn_sigmf(NAN)), "NaN stays NaN");
    check(nbt_rnn_sigmf(INFINITY) == 1 && nbt_rnn_sigmf(-INFINITY) == 0,
          "sigmoid(+inf) = 1, sigmoid(-inf) = 0");
    check(nbt_rnn_sigmf(-200.0f) == 0 && nbt_rnn_sigmf(200.0f) == 1, "sigmoid saturates without NaN");
    check(nbt_rnn_sigmf(0.0f) == 0.5f, "sigmoid(0) = 0.5");
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
