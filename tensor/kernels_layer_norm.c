/* kernels_layer_norm.c — F.layer_norm's fused kernels: x viewed as M rows of N contiguous values, each row
 * normalised by its own mean and biased variance (summed in double), then the optional elementwise affine.
 * Threads take whole rows, or for the weight and bias gradients chunks of rows whose number depends on M and N
 * alone, summed chunk by chunk in order: results are bitwise the same at any thread count. */
#include "nb_kernels.h"
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* the 8 lane sums of a row, pairwise */
static double nbt_ln_combine(const double *a) {
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

#define T float
#define SUF f32
#include "layer_norm_template.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "layer_norm_template.h"
#undef T
#undef SUF

/* chunks of rows for the weight and bias gradient sums: at most 32, and at most 2^20 partial values */
static int64_t nbt_ln_chunks(int64_t M, int64_t N) {
    int64_t c = M < 32 ? M : 32, cap = N > 0 ? ((int64_t)1 << 20) / N : 1;
    if (c > cap) c = cap;
    return c < 1 ? 1 : c;
}

/* threads for a kernel over n elements (1 below the parallel threshold) */
static int nbt_ln_threads(int64_t n) {
#ifdef _OPENMP
    if (n < NBT_PAR_MIN) return 1;
    nbt_threads_check();
    return omp_get_max_threads();
#else
    (void)n;
    return 1;
#endif
}

#define PTR(t, type) ((t) ? (type *)nbt_ptr(t) : NULL)

nb_tensor *nbt_layer_norm(const nb_tensor *x, int64_t N, const nb_tensor *w, const nb_tensor *b, double eps) {
    nb_tensor *y = nbt_new(x->dtype, x->ndim, x->shape);
    if (!y || y->numel == 0) return y;
    int64_t M = x->numel / N;
    int nt = nbt_ln_threads(x->numel);
    if (x->dtype == NB_F32)
        forward_f32(PTR(x, const float), PTR(y, float), M, N, PTR(w, const float), PTR(b, const float), eps,
                    nt);
    else
        forward_f64(PTR(x, const double), PTR(y, double), M, N, PTR(w, const double), PTR(b, const double),
                    eps, nt);
    return y;
}

/* out[N] (x's dtype) = the chunk sums part[2 k N + off .. + N) added in chunk order */
static nb_tensor *nbt_ln_sum_chunks(const nb_tensor *x, const double *part, int64_t nch, int64_t N, int off) {
    nb_tensor *r = nbt_new(x->dtype, 1, (int64_t[]){ N });
    if (!r) return NULL;
    for (int64_t j = 0; j < N; j++) {
        double s = 0;
        for (int64_t k = 0; k < nch; k++) s += part[(2 * k + off) * N + j];
        if (r->dtype == NB_F32)
            ((float *)nbt_ptr(r))[j] = (float)s;
        else
            ((double *)nbt_ptr(r))[j] = s;
    }
    return r;
}

nb_status nbt_layer_norm_backward(const nb_tensor *x, const nb_tensor *g, int64_t N, const nb_tensor *w,
                                  double eps, nb_tensor **dx, nb_tensor **dw, nb_tensor **db) {
    int64_t M = N > 0 ? x->numel / N : 0, nch = nbt_ln_chunks(M, N);
    bool want_w = dw != NULL, want_b = db != NULL;
    nb_tensor *d = dx ? nbt_new(x->dtype, x->ndim, x->shape) : NULL;
    nb_tensor *part = want_w || want_b ? nbt_new(NB_F64, 1, (int64_t[]){ 2 * nch * N }) : NULL;
    if ((dx && !d) || ((want_w || want_b) && !part)) {
        nb_free(d), nb_free(part);
        return NB_ERROR; /* the failed allocation recorded its error */
    }
    double *pp = PTR(part, double);
    if (pp)
        for (int64_t i = 0; i < 2 * nch * N; i++) pp[i] = 0;
    int nt = nbt_ln_threads(x->numel);
    if (x->numel > 0) {
        if (x->dtype == NB_F32)
            backward_f32(PTR(x, const float), PTR(g, const float), PTR(d, float), M, N, PTR(w, const float),
                         eps, pp, nch, want_w, want_b, nt);
        else
            backward_f64(PTR(x, const double), PTR(g, const double), PTR(d, double), M, N,
                         PTR(w, const double), eps, pp, nch, want_w, want_b, nt);
    }
    nb_tensor *rw = want_w ? nbt_ln_sum_chunks(x, pp, nch, N, 0) : NULL;
    nb_tensor *rb = want_b ? nbt_ln_sum_chunks(x, pp, nch, N, 1) : NULL;
    nb_free(part);
    if ((want_w && !rw) || (want_b && !rb)) {
        nb_free(d), nb_free(rw), nb_free(rb);
        return NB_ERROR;
    }
    if (dx) *dx = d;
    if (dw) *dw = rw;
    if (db) *db = rb;
    return NB_OK;
}
