/* kernels_norm.c — per-channel normalisation kernels (batch norm, and group norm viewed as batch
 * norm of (1, N*G, L)) over a contiguous x of shape (N, C, S...): x[n, c, s] at (n*C + c)*S + s.
 * Sums run in double in a fixed order that does not depend on the thread count: a channel's rows of S
 * elements go through 8 interleaved accumulators (lane = s mod 8, combined pairwise at the end), so
 * they vectorize; when rows are short (S < 16, e.g. BatchNorm1d on (N, C)) a block of channels is
 * summed column-wise over n instead (one accumulator per (c, s), n in order). OpenMP runs over
 * channels (or channel blocks) above the size threshold, each on one thread: results are bitwise the
 * same at any thread count. */
#include "nb_kernels.h"
#include <math.h>
#include <stdlib.h>

enum { LANES = 8, SHORT_ROW = 16, CB = 64 }; /* CB channels per block of the column path */

/* x viewed as (N, C, S) around dim 1 */
static void ncs(const nb_tensor *x, int64_t *N, int64_t *C, int64_t *S) { nbt_split3(x, 1, N, C, S); }

static double combine(const double *a) {
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* The kernels for one element type T: moments (mean, biased var), the channel affine and the
 * backward sums and dx. a, b, m, k arrays are per channel. */
#define T float
#include "norm_template.h"
#undef T
#define T double
#include "norm_template.h"
#undef T

void nbt_channel_moments(const nb_tensor *x, double *mean, double *var) {
    int64_t N, C, S;
    ncs(x, &N, &C, &S);
    if (N * C * S >= NBT_PAR_MIN) nbt_threads_check();
    if (x->dtype == NB_F32)
        moments_float((const float *)nbt_ptr(x), N, C, S, mean, var);
    else
        moments_double((const double *)nbt_ptr(x), N, C, S, mean, var);
}

nb_tensor *nbt_channel_affine(const nb_tensor *x, const double *alpha, const double *beta) {
    int64_t N, C, S;
    ncs(x, &N, &C, &S);
    nb_tensor *y = nbt_new(x->dtype, x->ndim, x->shape);
    if (!y) return NULL;
    if (N * C * S >= NBT_PAR_MIN) nbt_threads_check();
    if (x->dtype == NB_F32)
        affine_float((const float *)nbt_ptr(x), (float *)nbt_ptr(y), N, C, S, alpha, beta);
    else
        affine_double((const double *)nbt_ptr(x), (double *)nbt_ptr(y), N, C, S, alpha, beta);
    return y;
}

nb_tensor *nbt_batch_norm_backward(const nb_tensor *x, const nb_tensor *g, const double *mean,
                                   const double *invstd, const double *w, bool want_dx, double *sum_g,
                                   double *sum_gxc) {
    int64_t N, C, S;
    ncs(x, &N, &C, &S);
    if (N * C * S >= NBT_PAR_MIN) nbt_threads_check();
    if (x->dtype == NB_F32)
        bnsums_float((const float *)nbt_ptr(x), (const float *)nbt_ptr(g), N, C, S, mean, sum_g, sum_gxc);
    else
        bnsums_double((const double *)nbt_ptr(x), (const double *)nbt_ptr(g), N, C, S, mean, sum_g, sum_gxc);
    if (!want_dx) return NULL;
    nb_tensor *dx = nbt_new(x->dtype, x->ndim, x->shape);
    double *co = dx ? malloc(sizeof(double) * (size_t)(3 * C + 1)) : NULL;
    if (!co) {
        nb_free(dx);
        return dx ? nbt_oom(sizeof(double) * (size_t)(3 * C + 1),
                            "the batch norm backward's per-channel scales")
                  : NULL;
    }
    double M = (double)(N * S), *gm = co, *k = co + C, *scale = co + 2 * C;
    for (int64_t c = 0; c < C; c++) {
        gm[c] = sum_g[c] / M;
        k[c] = sum_gxc[c] * invstd[c] * invstd[c] / M;
        scale[c] = invstd[c] * (w ? w[c] : 1.0);
    }
    if (x->dtype == NB_F32)
        bndx_float((const float *)nbt_ptr(x), (const float *)nbt_ptr(g), (float *)nbt_ptr(dx), N, C, S, mean,
                   gm, k, scale);
    else
        bndx_double((const double *)nbt_ptr(x), (const double *)nbt_ptr(g), (double *)nbt_ptr(dx), N, C, S,
                    mean, gm, k, scale);
    free(co);
    return dx;
}
