/* kernels_norm.c — per-channel normalisation kernels (batch norm, and group norm viewed as batch
 * norm of (1, N*G, L)) over a contiguous x of shape (N, C, S...): x[n, c, s] at (n*C + c)*S + s.
 * Each channel is one task (OpenMP over channels above the size threshold) whose sums run in one
 * fixed order in double, so results are bitwise the same at any thread count. */
#include "nb_kernels.h"
#include <math.h>

/* x viewed as (N, C, S) around dim 1 */
static void ncs(const nb_tensor *x, int64_t *N, int64_t *C, int64_t *S) { nbk_split3(x, 1, N, C, S); }

#define MOMENTS(T)                                                                                      \
    static void moments_##T(const T *x, int64_t N, int64_t C, int64_t S, double *mean, double *var) {   \
        bool par = N * C * S >= NBI_PAR_MIN;                                                            \
        _Pragma("omp parallel for schedule(static) if (par)")                                           \
        for (int64_t c = 0; c < C; c++) {                                                               \
            double s1 = 0, s2 = 0;                                                                      \
            for (int64_t n = 0; n < N; n++) {                                                           \
                const T *p = x + (n * C + c) * S;                                                       \
                for (int64_t s = 0; s < S; s++) s1 += (double)p[s];                                     \
            }                                                                                           \
            double m = N * S != 0 ? s1 / (double)(N * S) : NAN;                                              \
            for (int64_t n = 0; n < N; n++) {                                                           \
                const T *p = x + (n * C + c) * S;                                                       \
                for (int64_t s = 0; s < S; s++) { double d = (double)p[s] - m; s2 += d * d; }          \
            }                                                                                           \
            mean[c] = m;                                                                                \
            var[c] = N * S != 0 ? s2 / (double)(N * S) : NAN;                                                \
        }                                                                                               \
    }
MOMENTS(float)
MOMENTS(double)

void nbk_channel_moments(const nb_tensor *x, double *mean, double *var) {
    int64_t N, C, S;
    ncs(x, &N, &C, &S);
    if (N * C * S >= NBI_PAR_MIN) nbi_threads_check();
    if (x->dtype == NB_F32) moments_float((const float *)nbi_ptr(x), N, C, S, mean, var);
    else moments_double((const double *)nbi_ptr(x), N, C, S, mean, var);
}

#define AFFINE(T)                                                                                       \
    static void affine_##T(const T *x, T *y, int64_t N, int64_t C, int64_t S, const double *a,          \
                           const double *b) {                                                           \
        bool par = N * C * S >= NBI_PAR_MIN;                                                            \
        _Pragma("omp parallel for schedule(static) if (par)")                                           \
        for (int64_t q = 0; q < N * C; q++) {                                                           \
            const T al = (T)a[q % C], be = (T)b[q % C], *p = x + q * S;                                 \
            T *o = y + q * S;                                                                           \
            for (int64_t s = 0; s < S; s++) o[s] = p[s] * al + be;                                      \
        }                                                                                               \
    }
AFFINE(float)
AFFINE(double)

nb_tensor *nbk_channel_affine(const nb_tensor *x, const double *alpha, const double *beta) {
    int64_t N, C, S;
    ncs(x, &N, &C, &S);
    nb_tensor *y = nbi_new(x->dtype, x->ndim, x->shape);
    if (!y) return NULL;
    if (N * C * S >= NBI_PAR_MIN) nbi_threads_check();
    if (x->dtype == NB_F32) affine_float((const float *)nbi_ptr(x), (float *)nbi_ptr(y), N, C, S, alpha, beta);
    else affine_double((const double *)nbi_ptr(x), (double *)nbi_ptr(y), N, C, S, alpha, beta);
    return y;
}

/* per channel: sg = sum g, sgx = sum g (x - mean); then dx = (g - sg/M - (x - mean) invstd^2 sgx/M)
 * * invstd w */
#define BN_BACKWARD(T)                                                                                  \
    static void bnbw_##T(const T *x, const T *g, T *dx, int64_t N, int64_t C, int64_t S,                \
                         const double *mean, const double *invstd, const double *w, double *sg_out,     \
                         double *sgx_out) {                                                             \
        bool par = N * C * S >= NBI_PAR_MIN;                                                            \
        double M = (double)(N * S);                                                                     \
        _Pragma("omp parallel for schedule(static) if (par)")                                           \
        for (int64_t c = 0; c < C; c++) {                                                               \
            double sg = 0, sgx = 0, m = mean[c];                                                        \
            for (int64_t n = 0; n < N; n++) {                                                           \
                const T *xp = x + (n * C + c) * S, *gp = g + (n * C + c) * S;                           \
                for (int64_t s = 0; s < S; s++) { sg += (double)gp[s]; sgx += (double)gp[s] * ((double)xp[s] - m); } \
            }                                                                                           \
            sg_out[c] = sg;                                                                             \
            sgx_out[c] = sgx;                                                                           \
            if (!dx) continue;                                                                          \
            const T gm = (T)(sg / M), k = (T)(sgx * invstd[c] * invstd[c] / M), mc = (T)m;              \
            const T scale = (T)(invstd[c] * (w ? w[c] : 1.0));                                          \
            for (int64_t n = 0; n < N; n++) {                                                           \
                const T *xp = x + (n * C + c) * S, *gp = g + (n * C + c) * S;                           \
                T *o = dx + (n * C + c) * S;                                                            \
                for (int64_t s = 0; s < S; s++) o[s] = (gp[s] - gm - (xp[s] - mc) * k) * scale;        \
            }                                                                                           \
        }                                                                                               \
    }
BN_BACKWARD(float)
BN_BACKWARD(double)

nb_tensor *nbk_batch_norm_backward(const nb_tensor *x, const nb_tensor *g, const double *mean, const double *invstd,
                                   const double *w, bool want_dx, double *sum_g, double *sum_gxc) {
    int64_t N, C, S;
    ncs(x, &N, &C, &S);
    nb_tensor *dx = want_dx ? nbi_new(x->dtype, x->ndim, x->shape) : NULL;
    if (want_dx && !dx) return NULL;
    if (N * C * S >= NBI_PAR_MIN) nbi_threads_check();
    if (x->dtype == NB_F32)
        bnbw_float((const float *)nbi_ptr(x), (const float *)nbi_ptr(g), dx ? (float *)nbi_ptr(dx) : NULL, N, C, S, mean,
                   invstd, w, sum_g, sum_gxc);
    else
        bnbw_double((const double *)nbi_ptr(x), (const double *)nbi_ptr(g), dx ? (double *)nbi_ptr(dx) : NULL, N, C, S,
                    mean, invstd, w, sum_g, sum_gxc);
    return dx;
}
