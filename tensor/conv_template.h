/* conv_template.h — the one source of the convolution kernels, included once per float type with T
 * (float or double), SUF (f32 or f64), GEMM (nbt_sgemm or nbt_dgemm) and GEMM_ASUM (nbt_sgemm_asum or
 * nbt_dgemm_asum) defined. Per sample and group:
 * conv = W (cog, K) @ im2col (K, P); transposed = col2im(W^T @ x); weight grad = gy (cog, P) @ im2col^T,
 * with K = cig kh kw and P = ho wo, P in tiles of whole output rows. A 1x1 kernel with stride 1 and no
 * padding reads the image itself. */
#define CF_(name) NBT_CAT(name##_, SUF)

/* col (c kh kw, (oh1 - oh0) wo) = the patches of output rows [oh0, oh1) of one image plane x (c, hi, wi),
 * zero outside the image */
static void CF_(im2col)(const nbt_conv_geom *g, int64_t c, const T *restrict x, T *restrict col, int64_t oh0,
                        int64_t oh1) {
    const int64_t P = (oh1 - oh0) * g->wo;
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t ki = 0; ki < g->kh; ki++)
            for (int64_t kj = 0; kj < g->kw; kj++) {
                T *row = col + ((ch * g->kh + ki) * g->kw + kj) * P;
                int64_t lo, hi, off = kj * g->dw - g->pw;
                nbt_conv_range(g, off, &lo, &hi);
                for (int64_t oh = oh0; oh < oh1; oh++) {
                    T *r = row + (oh - oh0) * g->wo;
                    int64_t ih = oh * g->sh - g->ph + ki * g->dh;
                    if (ih < 0 || ih >= g->hi) {
                        for (int64_t ow = 0; ow < g->wo; ow++) r[ow] = 0;
                        continue;
                    }
                    const int64_t base = (ch * g->hi + ih) * g->wi + off;
                    for (int64_t ow = 0; ow < lo; ow++) r[ow] = 0;
                    if (g->sw == 1)
                        for (int64_t ow = lo; ow < hi; ow++) r[ow] = x[base + ow];
                    else
                        for (int64_t ow = lo; ow < hi; ow++) r[ow] = x[base + ow * g->sw];
                    for (int64_t ow = hi; ow < g->wo; ow++) r[ow] = 0;
                }
            }
}

/* x (c, hi, wi) += the patches of output rows [oh0, oh1) in col, in im2col's order (a fixed summation order) */
static void CF_(col2im)(const nbt_conv_geom *g, int64_t c, const T *restrict col, T *restrict x, int64_t oh0,
                        int64_t oh1) {
    const int64_t P = (oh1 - oh0) * g->wo;
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t ki = 0; ki < g->kh; ki++)
            for (int64_t kj = 0; kj < g->kw; kj++) {
                const T *row = col + ((ch * g->kh + ki) * g->kw + kj) * P;
                int64_t lo, hi, off = kj * g->dw - g->pw;
                nbt_conv_range(g, off, &lo, &hi);
                for (int64_t oh = oh0; oh < oh1; oh++) {
                    int64_t ih = oh * g->sh - g->ph + ki * g->dh;
                    if (ih < 0 || ih >= g->hi) continue;
                    const T *r = row + (oh - oh0) * g->wo;
                    const int64_t base = (ch * g->hi + ih) * g->wi + off;
                    if (g->sw == 1)
                        for (int64_t ow = lo; ow < hi; ow++) x[base + ow] += r[ow];
                    else
                        for (int64_t ow = lo; ow < hi; ow++) x[base + ow * g->sw] += r[ow];
                }
            }
}

/* Samples (and weight-gradient chunks) are handed out dynamically: a thread whose CPU is busy elsewhere
 * takes fewer of them, while each one is still computed whole by one thread into its own output (or its
 * chunk's partial sum), so the bits do not depend on which thread ran it. */

/* Each sample's columns go through the GEMM in tiles of rows output rows (nbt_conv_tile: about 512 KB of
 * im2col, so it stays in L2); a tile's im2col lives in col. */

/* y (co, P) = conv of one sample x (ci, hi, wi); y already holds the bias when beta is 1 */
static void CF_(conv_sample)(const nbt_conv_geom *g, const T *x, const T *w, T *y, T *col, T beta,
                             int64_t rows) {
    const int64_t cig = g->ci / g->groups, cog = g->co / g->groups, K = cig * g->kh * g->kw,
                  P = g->ho * g->wo;
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const T *xg = x + gi * cig * g->hi * g->wi, *wg = w + gi * cog * K;
        T *yg = y + gi * cog * P;
        if (!col) {
            GEMM(false, false, cog, P, K, 1, wg, K, xg, P, beta, yg, P);
            continue;
        }
        for (int64_t oh0 = 0; oh0 < g->ho; oh0 += rows) {
            int64_t oh1 = oh0 + rows < g->ho ? oh0 + rows : g->ho, pt = (oh1 - oh0) * g->wo;
            CF_(im2col)(g, cig, xg, col, oh0, oh1);
            GEMM(false, false, cog, pt, K, 1, wg, K, col, pt, beta, yg + oh0 * g->wo, P);
        }
    }
}

/* y (ci, hi, wi) += transposed conv of one sample x (co, P) (y holds the bias or zeros) */
static void CF_(convt_sample)(const nbt_conv_geom *g, const T *x, const T *w, T *y, T *col, int64_t rows) {
    const int64_t cig = g->ci / g->groups, cog = g->co / g->groups, K = cig * g->kh * g->kw,
                  P = g->ho * g->wo;
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const T *xg = x + gi * cog * P, *wg = w + gi * cog * K;
        T *yg = y + gi * cig * g->hi * g->wi;
        if (!col) {
            GEMM(true, false, K, P, cog, 1, wg, K, xg, P, 1, yg, P);
            continue;
        }
        for (int64_t oh0 = 0; oh0 < g->ho; oh0 += rows) {
            int64_t oh1 = oh0 + rows < g->ho ? oh0 + rows : g->ho, pt = (oh1 - oh0) * g->wo;
            GEMM(true, false, K, pt, cog, 1, wg, K, xg + oh0 * g->wo, P, 0, col, pt);
            CF_(col2im)(g, cig, col, yg, oh0, oh1);
        }
    }
}

/* dw (co, K) (+)= gy (co, P) @ im2col(x)^T of one sample; beta 0 for the first sample of a chunk; db (co, or
 * NULL) += the sums of gy's rows, taken by the same GEMMs as they pack gy */
static void CF_(convw_sample)(const nbt_conv_geom *g, const T *x, const T *gy, T *dw, double *db, T *col,
                              T beta, int64_t rows) {
    const int64_t cig = g->ci / g->groups, cog = g->co / g->groups, K = cig * g->kh * g->kw,
                  P = g->ho * g->wo;
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const T *xg = x + gi * cig * g->hi * g->wi, *gg = gy + gi * cog * P;
        T *dg = dw + gi * cog * K;
        double *sg = db ? db + gi * cog : NULL;
        if (!col) {
            GEMM_ASUM(false, true, cog, K, P, gg, P, xg, P, beta, dg, K, sg);
            continue;
        }
        for (int64_t oh0 = 0; oh0 < g->ho; oh0 += rows) {
            int64_t oh1 = oh0 + rows < g->ho ? oh0 + rows : g->ho, pt = (oh1 - oh0) * g->wo;
            CF_(im2col)(g, cig, xg, col, oh0, oh1);
            GEMM_ASUM(false, true, cog, K, pt, gg + oh0 * g->wo, P, col, pt, oh0 ? 1 : beta, dg, K, sg);
        }
    }
}

static void CF_(conv2d)(const nbt_conv_geom *g, const T *x, const T *w, const T *b, T *y, T *cols, int nt) {
    (void)nt; /* no OpenMP: serial */
    const int64_t P = g->ho * g->wo, rows = nbt_conv_tile(g, sizeof(T)), colsz = nbt_conv_colsz(g, rows);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t s = 0; s < g->n; s++) {
        T *ys = y + s * g->co * P;
        if (b)
            for (int64_t o = 0; o < g->co; o++)
                for (int64_t p = 0; p < P; p++) ys[o * P + p] = b[o];
        CF_(conv_sample)
        (g, x + s * g->ci * g->hi * g->wi, w, ys, cols ? cols + NBT_TID * colsz : NULL, b ? 1 : 0, rows);
    }
}

static void CF_(conv_transpose2d)(const nbt_conv_geom *g, const T *x, const T *w, const T *b, T *y, T *cols,
                                  int nt) {
    (void)nt; /* no OpenMP: serial */
    const int64_t P = g->ho * g->wo, HW = g->hi * g->wi, rows = nbt_conv_tile(g, sizeof(T)),
                  colsz = nbt_conv_colsz(g, rows);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t s = 0; s < g->n; s++) {
        T *ys = y + s * g->ci * HW;
        for (int64_t c = 0; c < g->ci; c++)
            for (int64_t p = 0; p < HW; p++) ys[c * HW + p] = b ? b[c] : 0;
        CF_(convt_sample)(g, x + s * g->co * P, w, ys, cols ? cols + NBT_TID * colsz : NULL, rows);
    }
}

/* samples in nch chunks; chunk j sums its samples into part j (chunk 0 into dw), then dw += part j in order;
 * with db (co, or NULL), chunk j sums gy into dbp + j co (double), then db = their sum in order, rounded once */
static void CF_(conv2d_weight)(const nbt_conv_geom *g, const T *x, const T *gy, T *dw, T *part, T *db,
                               double *dbp, int64_t nch, T *cols, int nt) {
    (void)nt; /* no OpenMP: serial */
    const int64_t P = g->ho * g->wo, rows = nbt_conv_tile(g, sizeof(T)), colsz = nbt_conv_colsz(g, rows);
    const int64_t wsz = g->co * (g->ci / g->groups) * g->kh * g->kw;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t j = 0; j < nch; j++) {
        T *dst = j ? part + (j - 1) * wsz : dw;
        double *sj = db ? dbp + j * g->co : NULL;
        for (int64_t o = 0; sj && o < g->co; o++) sj[o] = 0;
        for (int64_t s = j * g->n / nch; s < (j + 1) * g->n / nch; s++) CF_(convw_sample)
        (g, x + s * g->ci * g->hi * g->wi, gy + s * g->co * P, dst, sj, cols ? cols + NBT_TID * colsz : NULL,
         s == j * g->n / nch ? 0 : 1, rows);
    }
    for (int64_t j = 1; j < nch; j++)
        for (int64_t i = 0; i < wsz; i++) dw[i] += part[(j - 1) * wsz + i];
    for (int64_t o = 0; db && o < g->co; o++) {
        double s = dbp[o];
        for (int64_t j = 1; j < nch; j++) s += dbp[j * g->co + o];
        db[o] = (T)s;
    }
}

static void CF_(im2col_batch)(const nbt_conv_geom *g, const T *x, T *y, int nt) {
    (void)nt; /* no OpenMP: serial */
    const int64_t HW = g->hi * g->wi, L = g->ci * g->kh * g->kw * g->ho * g->wo;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t s = 0; s < g->n; s++) CF_(im2col)(g, g->ci, x + s * g->ci * HW, y + s * L, 0, g->ho);
}

static void CF_(col2im_batch)(const nbt_conv_geom *g, const T *cols, T *y, int nt) {
    (void)nt; /* no OpenMP: serial */
    const int64_t HW = g->hi * g->wi, L = g->ci * g->kh * g->kw * g->ho * g->wo;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t s = 0; s < g->n; s++) {
        for (int64_t i = 0; i < g->ci * HW; i++) y[s * g->ci * HW + i] = 0;
        CF_(col2im)(g, g->ci, cols + s * L, y + s * g->ci * HW, 0, g->ho);
    }
}

#undef CF_
