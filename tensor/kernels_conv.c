/* kernels_conv.c — convolution kernels: per-sample im2col into a per-thread buffer (none for a 1x1,
 * stride 1, unpadded kernel) and the packed GEMM. Threads take whole samples (or, for the weight
 * gradient, chunks of samples whose number depends on the batch alone), so every output is summed in
 * the same order at any thread count. With fewer samples than threads, samples run one at a time and
 * each GEMM threads inside. */
#include "kernels_conv.h"
#include "gemm.h"
#ifdef _OPENMP
#include <omp.h>
#define NBT_TID omp_get_thread_num()
#else
#define NBT_TID 0
#endif

/* the column positions ow whose image column ow*sw + off lies inside [0, wi): [lo, hi) */
static void nbt_conv_range(const nbt_conv_geom *g, int64_t off, int64_t *lo, int64_t *hi) {
    int64_t l = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
    int64_t h = g->wi - 1 - off < 0 ? 0 : (g->wi - 1 - off) / g->sw + 1;
    if (h > g->wo) h = g->wo;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* output rows per im2col tile: about NBT_TILE_BYTES of columns (L2-sized), tiles of equal height */
#define NBT_TILE_BYTES (512 * 1024)
static int64_t nbt_conv_tile(const nbt_conv_geom *g, size_t esz) {
    int64_t row = (g->ci / g->groups) * g->kh * g->kw * g->wo * (int64_t)esz;
    int64_t rows = row > 0 ? NBT_TILE_BYTES / row : g->ho;
    if (rows < 1) rows = 1;
    if (rows >= g->ho) return g->ho > 0 ? g->ho : 1;
    int64_t ntiles = (g->ho + rows - 1) / rows;
    return (g->ho + ntiles - 1) / ntiles;
}
/* elements of one thread's im2col buffer for tiles of rows output rows */
static int64_t nbt_conv_colsz(const nbt_conv_geom *g, int64_t rows) {
    return (g->ci / g->groups) * g->kh * g->kw * rows * g->wo;
}

#define T float
#define SUF f32
#define GEMM nbt_sgemm
#define GEMM_ASUM nbt_sgemm_asum
#include "conv_template.h"
#undef T
#undef SUF
#undef GEMM
#undef GEMM_ASUM
#define T double
#define SUF f64
#define GEMM nbt_dgemm
#define GEMM_ASUM nbt_dgemm_asum
#include "conv_template.h"
#undef T
#undef SUF
#undef GEMM
#undef GEMM_ASUM

/* Threads for units independent pieces of work of total multiply-adds work: 1 below the GEMM's
 * threshold, inside a parallel region, or with fewer units than threads (then the GEMMs thread). */
int nbt_conv_threads(int64_t units, double work) {
#ifdef _OPENMP
    if (units < 2 || work < 2.0 * 64 * 64 * 64 || omp_in_parallel()) return 1;
    nbt_threads_check();
    int nt = omp_get_max_threads();
    return nt > units ? 1 : nt;
#else
    (void)units, (void)work;
    return 1;
#endif
}

/* a 1x1, stride 1, unpadded kernel: the image is its own im2col */
static bool direct(const nbt_conv_geom *g) {
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 &&
           g->ho == g->hi && g->wo == g->wi;
}

/* per-thread im2col buffers for nt threads (NULL when the kernel reads the image directly) */
static nb_tensor *col_buffers(const nbt_conv_geom *g, nb_dtype dt, int nt, bool *ok) {
    *ok = true;
    if (direct(g)) return NULL;
    int64_t sz = (int64_t)nt * nbt_conv_colsz(g, nbt_conv_tile(g, nbt_esz(dt)));
    nb_tensor *t = nbt_new(dt, 1, (int64_t[]){ sz > 0 ? sz : 1 });
    *ok = t != NULL;
    return t;
}

static double macs(const nbt_conv_geom *g) {
    return (double)g->n * (double)g->co * (double)(g->ci / g->groups) * (double)(g->kh * g->kw) *
           (double)(g->ho * g->wo);
}

#define PTR(t, T) ((t) ? (T *)nbt_ptr(t) : NULL)

nb_tensor *nbt_conv2d(const nb_tensor *x, const nb_tensor *w, const nb_tensor *b, const nbt_conv_geom *g) {
    if (nbt_wino_ok(g, x->dtype)) {
        bool redo;
        nb_tensor *y = nbt_wino_conv(x, w, b, g, false, &redo);
        if (!redo) return y;
    }
    nb_tensor *y = nbt_new(x->dtype, 4, (int64_t[]){ g->n, g->co, g->ho, g->wo });
    if (!y || y->numel == 0) return y;
    int nt = nbt_conv_threads(g->n, macs(g));
    bool ok;
    nb_tensor *cols = col_buffers(g, x->dtype, nt, &ok);
    if (!ok) {
        nb_free(y);
        return NULL;
    }
    if (x->dtype == NB_F32)
        conv2d_f32(g, PTR(x, const float), PTR(w, const float), PTR(b, const float), PTR(y, float),
                   PTR(cols, float), nt);
    else
        conv2d_f64(g, PTR(x, const double), PTR(w, const double), PTR(b, const double), PTR(y, double),
                   PTR(cols, double), nt);
    nb_free(cols);
    return y;
}

nb_tensor *nbt_conv_transpose2d(const nb_tensor *x, const nb_tensor *w, const nb_tensor *b,
                                const nbt_conv_geom *g) {
    if (nbt_wino_ok(g, x->dtype)) {
        bool redo;
        nb_tensor *y = nbt_wino_conv(x, w, b, g, true, &redo);
        if (!redo) return y;
    }
    nb_tensor *y = nbt_new(x->dtype, 4, (int64_t[]){ g->n, g->ci, g->hi, g->wi });
    if (!y || y->numel == 0) return y;
    int nt = nbt_conv_threads(g->n, macs(g));
    bool ok;
    nb_tensor *cols = col_buffers(g, x->dtype, nt, &ok);
    if (!ok) {
        nb_free(y);
        return NULL;
    }
    if (x->dtype == NB_F32)
        conv_transpose2d_f32(g, PTR(x, const float), PTR(w, const float), PTR(b, const float), PTR(y, float),
                             PTR(cols, float), nt);
    else
        conv_transpose2d_f64(g, PTR(x, const double), PTR(w, const double), PTR(b, const double),
                             PTR(y, double), PTR(cols, double), nt);
    nb_free(cols);
    return y;
}

nb_tensor *nbt_conv2d_weight(const nb_tensor *x, const nb_tensor *gy, const nbt_conv_geom *g,
                             nb_tensor **db) {
    int64_t cig = g->ci / g->groups, wsz = g->co * cig * g->kh * g->kw;
    nb_tensor *dw = nbt_new(x->dtype, 4, (int64_t[]){ g->co, cig, g->kh, g->kw });
    if (db) *db = NULL;
    if (!dw || dw->numel == 0) return dw;
    nb_tensor *b = db ? nbt_new(x->dtype, 1, (int64_t[]){ g->co }) : NULL;
    if (db && !b) { /* the failed allocation recorded its error */
        nb_free(dw);
        return NULL;
    }
    if (db) *db = b;
    if (g->n == 0 || g->ho * g->wo == 0) {
        memset(nbt_ptr(dw), 0, (size_t)wsz * nbt_esz(dw->dtype));
        if (b) memset(nbt_ptr(b), 0, (size_t)g->co * nbt_esz(b->dtype));
        return dw;
    }
    if (nbt_wino_ok(g, x->dtype)) {
        bool redo;
        if (nbt_wino_weight(x, gy, g, dw, b, &redo)) return dw;
        if (!redo) {
            nb_free(b), nb_free(dw);
            if (db) *db = NULL;
            return NULL;
        }
    }
    int64_t nch = g->n < NBT_WCHUNKS ? g->n : NBT_WCHUNKS;
    int nt = nbt_conv_threads(nch, macs(g));
    bool ok;
    nb_tensor *cols = col_buffers(g, x->dtype, nt, &ok);
    nb_tensor *part = ok && nch > 1 ? nbt_new(x->dtype, 1, (int64_t[]){ (nch - 1) * wsz }) : NULL;
    /* each chunk's bias sums in double, a pooled scratch */
    nb_tensor *dbp = ok && b ? nbt_new(NB_F64, 1, (int64_t[]){ nch * g->co }) : NULL;
    if (!ok || (nch > 1 && !part) || (b && !dbp)) {
        nb_free(dbp), nb_free(part), nb_free(cols), nb_free(b), nb_free(dw);
        if (db) *db = NULL;
        return NULL;
    }
    if (x->dtype == NB_F32)
        conv2d_weight_f32(g, PTR(x, const float), PTR(gy, const float), PTR(dw, float), PTR(part, float),
                          PTR(b, float), PTR(dbp, double), nch, PTR(cols, float), nt);
    else
        conv2d_weight_f64(g, PTR(x, const double), PTR(gy, const double), PTR(dw, double), PTR(part, double),
                          PTR(b, double), PTR(dbp, double), nch, PTR(cols, double), nt);
    nb_free(dbp);
    nb_free(part);
    nb_free(cols);
    return dw;
}

nb_tensor *nbt_im2col(const nb_tensor *x, const nbt_conv_geom *g) {
    nb_tensor *y = nbt_new(x->dtype, 3, (int64_t[]){ g->n, g->ci * g->kh * g->kw, g->ho * g->wo });
    if (!y || y->numel == 0) return y;
    int nt = nbt_conv_threads(g->n, (double)y->numel * 4);
    if (x->dtype == NB_F32)
        im2col_batch_f32(g, PTR(x, const float), PTR(y, float), nt);
    else
        im2col_batch_f64(g, PTR(x, const double), PTR(y, double), nt);
    return y;
}

nb_tensor *nbt_col2im(const nb_tensor *cols, const nbt_conv_geom *g) {
    nb_tensor *y = nbt_new(cols->dtype, 4, (int64_t[]){ g->n, g->ci, g->hi, g->wi });
    if (!y || y->numel == 0) return y;
    int nt = nbt_conv_threads(g->n, (double)cols->numel * 4);
    if (cols->dtype == NB_F32)
        col2im_batch_f32(g, PTR(cols, const float), PTR(y, float), nt);
    else
        col2im_batch_f64(g, PTR(cols, const double), PTR(y, double), nt);
    return y;
}
