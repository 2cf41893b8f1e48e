/* kernels_reduce.c — reductions over an (outer, R, inner) view of a contiguous tensor: sum/prod/
 * max/min, arg-max/min along a dim, prod-of-others. Each output element is accumulated in
 * one fixed order (f32 sums in double), so results are identical at any thread count. */
#include "nb_kernels.h"
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int nthreads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* accumulate one segment x[0], x[st], ... (n terms) */
#define T float
#define SUF f
#include "reduce_template.h"
#undef T
#undef SUF
#define T double
#define SUF
#include "reduce_template.h"
#undef T
#undef SUF

static double combine(nbt_reduce_kind k, double a, double b) {
    switch (k) {
    case NBT_RSUM: return a + b;
    case NBT_RPROD: return a * b;
    case NBT_RMAX: return (a != a || a >= b) ? a : b;
    case NBT_RMIN: break;
    }
    return (a != a || a <= b) ? a : b;
}

#define BLK 4096
static bool reduce_run(nbt_reduce_kind k, nb_dtype dt, const void *xv, void *yv, int64_t outer, int64_t R,
                       int64_t inner) {
    int64_t nout = outer * inner;
    if (outer * R * inner >= NBT_PAR_MIN) nbt_threads_check();
    bool par = outer * R * inner >= NBT_PAR_MIN && nthreads() > 1;
    (void)par;
    if (inner == 1 && outer < 2 * nthreads() && R > 2 * BLK) {
        /* few long rows: fixed blocks, partials combined in order */
        int64_t nb = (R + BLK - 1) / BLK;
        double *part = malloc(sizeof(double) * (size_t)(nb * outer));
        if (!part) {
            nbt_oom(sizeof(double) * (size_t)(nb * outer), "the reduction's partial sums");
            return false;
        }
#pragma omp parallel for schedule(static) if (par)
        for (int64_t q = 0; q < nb * outer; q++) {
            int64_t o = q / nb, b = q % nb, lo = b * BLK, n = R - lo < BLK ? R - lo : BLK;
            part[q] = dt == NB_F32 ? seg_float(k, (const float *)xv + o * R + lo, n, 1)
                                   : seg_double(k, (const double *)xv + o * R + lo, n, 1);
        }
        for (int64_t o = 0; o < outer; o++) {
            double acc = part[o * nb];
            for (int64_t b = 1; b < nb; b++) acc = combine(k, acc, part[o * nb + b]);
            if (dt == NB_F32)
                ((float *)yv)[o] = (float)acc;
            else
                ((double *)yv)[o] = acc;
        }
        free(part);
        return true;
    }
    if (R == 0) {
        for (int64_t q = 0; q < nout; q++) {
            double v = k == NBT_RPROD ? 1.0 : 0.0;
            if (dt == NB_F32)
                ((float *)yv)[q] = (float)v;
            else
                ((double *)yv)[q] = v;
        }
        return true;
    }
    if (k == NBT_RSUM && inner >= 16) {
        /* sums over a strided dim (e.g. a bias gradient, rows of g summed): a block of IB outputs
         * accumulates row after row, so the loads are contiguous and vectorize; every output still
         * sums its R terms in order r = 0, 1, ... in double, exactly as seg_ does */
        enum { IB = 256 };
        int64_t nblk = (inner + IB - 1) / IB;
#pragma omp parallel for schedule(static) if (par)
        for (int64_t q = 0; q < outer * nblk; q++) {
            int64_t o = q / nblk, i0 = (q % nblk) * IB, ni = inner - i0 < IB ? inner - i0 : IB;
            double acc[IB];
            for (int64_t i = 0; i < ni; i++) acc[i] = 0.0;
            for (int64_t r = 0; r < R; r++) {
                if (dt == NB_F32) {
                    const float *x = (const float *)xv + (o * R + r) * inner + i0;
                    for (int64_t i = 0; i < ni; i++) acc[i] += (double)x[i];
                } else {
                    const double *x = (const double *)xv + (o * R + r) * inner + i0;
                    for (int64_t i = 0; i < ni; i++) acc[i] += x[i];
                }
            }
            for (int64_t i = 0; i < ni; i++) {
                if (dt == NB_F32)
                    ((float *)yv)[o * inner + i0 + i] = (float)acc[i];
                else
                    ((double *)yv)[o * inner + i0 + i] = acc[i];
            }
        }
        return true;
    }
#pragma omp parallel for schedule(static) if (par)
    for (int64_t q = 0; q < nout; q++) {
        int64_t o = q / inner, i = q % inner;
        if (dt == NB_F32)
            ((float *)yv)[q] = (float)seg_float(k, (const float *)xv + o * R * inner + i, R, inner);
        else
            ((double *)yv)[q] = seg_double(k, (const double *)xv + o * R * inner + i, R, inner);
    }
    return true;
}

/* x contiguous as (A, C, B), reduced over A and B (a bias gradient: (N, C, H, W) over N, H, W): y[c] is the
 * reduction of A segments of B values, combined in order, with no permuted copy of x */
static void reduce_mid(nbt_reduce_kind k, nb_dtype dt, const void *xv, void *yv, int64_t A, int64_t C,
                       int64_t B) {
    bool par = A * C * B >= NBT_PAR_MIN && C > 1;
    (void)par;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t c = 0; c < C; c++) {
        double acc = 0;
        for (int64_t a = 0; a < A; a++) {
            int64_t off = (a * C + c) * B;
            double s = dt == NB_F32 ? seg_float(k, (const float *)xv + off, B, 1)
                                    : seg_double(k, (const double *)xv + off, B, 1);
            acc = a ? combine(k, acc, s) : s;
        }
        if (dt == NB_F32)
            ((float *)yv)[c] = (float)acc;
        else
            ((double *)yv)[c] = acc;
    }
}

/* Make x contiguous with the reduced dims as one block; report the (outer, R, inner) split. */
static nb_tensor *arrange(const nb_tensor *x, const bool *red, int64_t *outer, int64_t *R, int64_t *inner) {
    int first = -1, last = -1;
    for (int d = 0; d < x->ndim; d++)
        if (red[d]) {
            if (first < 0) first = d;
            last = d;
        }
    bool block = true;
    for (int d = first; d >= 0 && d <= last; d++)
        if (!red[d] && x->shape[d] != 1) block = false;
    *outer = *R = *inner = 1;
    if (block && nb_is_contiguous(x)) {
        for (int d = 0; d < x->ndim; d++) {
            if (d < first)
                *outer *= x->shape[d];
            else if (d <= last)
                *R *= red[d] ? x->shape[d] : 1;
            else
                *inner *= x->shape[d];
        }
        return (nb_tensor *)x;
    }
    /* permute: kept dims first, then reduced, and copy */
    int64_t shp[NB_MAX_DIMS], st[NB_MAX_DIMS];
    int m = 0;
    for (int d = 0; d < x->ndim; d++)
        if (!red[d]) {
            shp[m] = x->shape[d];
            st[m++] = x->stride[d];
            *outer *= x->shape[d];
        }
    for (int d = 0; d < x->ndim; d++)
        if (red[d]) {
            shp[m] = x->shape[d];
            st[m++] = x->stride[d];
            *R *= x->shape[d];
        }
    nb_tensor *v = nbt_view((nb_tensor *)x, x->ndim, shp, st, x->offset);
    if (!v) return NULL;
    nb_tensor *c = nbt_copy(v, x->dtype);
    nb_free(v);
    return c;
}

nb_tensor *nbt_reduce(nbt_reduce_kind k, const nb_tensor *x, int ndims, const int *dims, bool keepdim) {
    bool red[NB_MAX_DIMS] = { false };
    if (ndims == 0)
        for (int d = 0; d < x->ndim; d++) red[d] = true;
    for (int i = 0; i < ndims; i++) red[dims[i]] = true;
    int64_t oshape[NB_MAX_DIMS];
    int on = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (!red[d])
            oshape[on++] = x->shape[d];
        else if (keepdim)
            oshape[on++] = 1;
    }
    if ((k == NBT_RMAX || k == NBT_RMIN) && x->numel == 0)
        return nbt_error("%s: cannot reduce an empty tensor %s (no identity)",
                         k == NBT_RMAX ? "nb_max/nb_amax" : "nb_min/nb_amin", nbt_shape(x));
    const nb_tensor *xf = nbt_as_float(x);
    if (!xf) return NULL;
    nb_tensor *y = nbt_new(xf->dtype, on, oshape);
    /* reduced dims before and after one block of kept dims, over a contiguous x: no copy */
    int a = 0, b = x->ndim;
    while (a < x->ndim && red[a]) a++;
    while (b > a && red[b - 1]) b--;
    bool mid = y && a > 0 && b < x->ndim && xf->numel > 0 && nb_is_contiguous(xf);
    int64_t A = 1, C = 1, B = 1;
    for (int d = 0; d < x->ndim && mid; d++) {
        if (d >= a && d < b && red[d]) mid = false;
        *(d < a ? &A : d < b ? &C : &B) *= x->shape[d];
    }
    if (mid) {
        if (A * C * B >= NBT_PAR_MIN) nbt_threads_check();
        reduce_mid(k, xf->dtype, nbt_ptr(xf), nbt_ptr(y), A, C, B);
        if (xf != x) nb_free((nb_tensor *)xf);
        return y;
    }
    int64_t outer, R, inner;
    nb_tensor *xc = y ? arrange(xf, red, &outer, &R, &inner) : NULL;
    bool ok = xc && reduce_run(k, xf->dtype, nbt_ptr(xc), nbt_ptr(y), outer, R, inner);
    if (xc && xc != xf) nb_free(xc);
    if (xf != x) nb_free((nb_tensor *)xf);
    if (!ok) nb_free(y);
    return ok ? y : NULL;
}

static double ld(const nb_tensor *x, const char *base, int64_t i) {
    return x->dtype == NB_F32 ? ((const float *)base)[i] : ((const double *)base)[i];
}
static void st(nb_tensor *y, char *base, int64_t i, double v) {
    if (y->dtype == NB_F32)
        ((float *)base)[i] = (float)v;
    else
        ((double *)base)[i] = v;
}

nb_tensor *nbt_arg_reduce(const nb_tensor *x, int dim, bool keepdim, bool is_min, nb_tensor **indices) {
    const nb_tensor *xf = nbt_as_float(x);
    if (!xf) return NULL;
    nb_tensor *xc = nbt_contig(xf);
    if (!xc) return NULL;
    int64_t outer, D, inner;
    nbt_split3(xc, dim, &outer, &D, &inner);
    if (D == 0)
        return nbt_error("%s: cannot reduce dim %d of size 0 of %s",
                         is_min ? "nb_min_dim/nb_argmin" : "nb_max_dim/nb_argmax", dim, nbt_shape(x));
    int64_t oshape[NB_MAX_DIMS];
    int on = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (d != dim)
            oshape[on++] = x->shape[d];
        else if (keepdim)
            oshape[on++] = 1;
    }
    nb_tensor *y = nbt_new(xc->dtype, on, oshape), *ix = nbt_new(NB_I64, on, oshape);
    if (!y || !ix) return NULL;
    const char *xb = nbt_ptr(xc);
    char *yb = nbt_ptr(y);
    int64_t *ib = (int64_t *)nbt_ptr(ix);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * D * inner + i, bi = 0;
            double best = ld(xc, xb, base);
            for (int64_t d = 1; d < D && best == best; d++) {
                double v = ld(xc, xb, base + d * inner);
                if (v != v || (is_min ? v < best : v > best)) {
                    best = v;
                    bi = d;
                }
            }
            st(y, yb, o * inner + i, best);
            ib[o * inner + i] = bi;
        }
    if (xc != xf) nb_free(xc);
    if (xf != x) nb_free((nb_tensor *)xf);
    if (indices)
        *indices = ix;
    else
        nb_free(ix);
    return y;
}
