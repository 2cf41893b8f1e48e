/* conv_template.h — the one source of the convolution kernels, included once per float type with T
 * (float or double), SUF (f32 or f64) and GEMM (nbk_sgemm or nbk_dgemm) defined. Per sample and group:
 * conv = W (cog, K) @ im2col (K, P); transposed = col2im(W^T @ x); weight grad = gy (cog, P) @ im2col^T,
 * with K = cig kh kw and P = ho wo. A 1x1 kernel with stride 1 and no padding reads the image itself. */
#define CF_(name) NBI_CAT(name##_, SUF)

/* col (c kh kw, ho wo) = the patches of one image plane x (c, hi, wi), zero outside the image */
static void CF_(im2col)(const nbk_conv_geom *g, int64_t c, const T *restrict x, T *restrict col) {
    const int64_t P = g->ho * g->wo;
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t ki = 0; ki < g->kh; ki++)
            for (int64_t kj = 0; kj < g->kw; kj++) {
                T *row = col + ((ch * g->kh + ki) * g->kw + kj) * P;
                int64_t lo, hi, off = kj * g->dw - g->pw;
                nbk_conv_range(g, off, &lo, &hi);
                for (int64_t oh = 0; oh < g->ho; oh++) {
                    T *r = row + oh * g->wo;
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

/* x (c, hi, wi) += the patches in col (c kh kw, ho wo), in im2col's order (fixed summation order) */
static void CF_(col2im)(const nbk_conv_geom *g, int64_t c, const T *restrict col, T *restrict x) {
    const int64_t P = g->ho * g->wo;
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t ki = 0; ki < g->kh; ki++)
            for (int64_t kj = 0; kj < g->kw; kj++) {
                const T *row = col + ((ch * g->kh + ki) * g->kw + kj) * P;
                int64_t lo, hi, off = kj * g->dw - g->pw;
                nbk_conv_range(g, off, &lo, &hi);
                for (int64_t oh = 0; oh < g->ho; oh++) {
                    int64_t ih = oh * g->sh - g->ph + ki * g->dh;
                    if (ih < 0 || ih >= g->hi) continue;
                    const T *r = row + oh * g->wo;
                    const int64_t base = (ch * g->hi + ih) * g->wi + off;
                    if (g->sw == 1)
                        for (int64_t ow = lo; ow < hi; ow++) x[base + ow] += r[ow];
                    else
                        for (int64_t ow = lo; ow < hi; ow++) x[base + ow * g->sw] += r[ow];
                }
            }
}

/* y (co, P) = conv of one sample x (ci, hi, wi); y already holds the bias when beta is 1 */
static void CF_(conv_sample)(const nbk_conv_geom *g, const T *x, const T *w, T *y, T *col, T beta) {
    const int64_t cig = g->ci / g->groups, cog = g->co / g->groups, K = cig * g->kh * g->kw, P = g->ho * g->wo;
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const T *xg = x + gi * cig * g->hi * g->wi, *b = xg;
        if (col) { CF_(im2col)(g, cig, xg, col); b = col; }
        GEMM(false, false, cog, P, K, 1, w + gi * cog * K, K, b, P, beta, y + gi * cog * P, P);
    }
}

/* y (ci, hi, wi) += transposed conv of one sample x (co, P) (y holds the bias or zeros) */
static void CF_(convt_sample)(const nbk_conv_geom *g, const T *x, const T *w, T *y, T *col) {
    const int64_t cig = g->ci / g->groups, cog = g->co / g->groups, K = cig * g->kh * g->kw, P = g->ho * g->wo;
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const T *xg = x + gi * cog * P, *wg = w + gi * cog * K;
        T *yg = y + gi * cig * g->hi * g->wi;
        if (!col) {
            GEMM(true, false, K, P, cog, 1, wg, K, xg, P, 1, yg, P);
        } else {
            GEMM(true, false, K, P, cog, 1, wg, K, xg, P, 0, col, P);
            CF_(col2im)(g, cig, col, yg);
        }
    }
}

/* dw (co, K) (+)= gy (co, P) @ im2col(x)^T of one sample; beta 0 for the first sample of a chunk */
static void CF_(convw_sample)(const nbk_conv_geom *g, const T *x, const T *gy, T *dw, T *col, T beta) {
    const int64_t cig = g->ci / g->groups, cog = g->co / g->groups, K = cig * g->kh * g->kw, P = g->ho * g->wo;
    for (int64_t gi = 0; gi < g->groups; gi++) {
        const T *xg = x + gi * cig * g->hi * g->wi, *b = xg;
        if (col) { CF_(im2col)(g, cig, xg, col); b = col; }
        GEMM(false, true, cog, K, P, 1, gy + gi * cog * P, P, b, P, beta, dw + gi * cog * K, K);
    }
}

static void CF_(conv2d)(const nbk_conv_geom *g, const T *x, const T *w, const T *b, T *y, T *cols, int nt) {
    const int64_t P = g->ho * g->wo, colsz = cols ? g->ci / g->groups * g->kh * g->kw * P : 0;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t s = 0; s < g->n; s++) {
        T *ys = y + s * g->co * P;
        if (b)
            for (int64_t o = 0; o < g->co; o++)
                for (int64_t p = 0; p < P; p++) ys[o * P + p] = b[o];
        CF_(conv_sample)(g, x + s * g->ci * g->hi * g->wi, w, ys, cols ? cols + NBK_TID * colsz : NULL, b ? 1 : 0);
    }
}

static void CF_(conv_transpose2d)(const nbk_conv_geom *g, const T *x, const T *w, const T *b, T *y, T *cols, int nt) {
    const int64_t P = g->ho * g->wo, HW = g->hi * g->wi, colsz = cols ? g->ci / g->groups * g->kh * g->kw * P : 0;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t s = 0; s < g->n; s++) {
        T *ys = y + s * g->ci * HW;
        for (int64_t c = 0; c < g->ci; c++)
            for (int64_t p = 0; p < HW; p++) ys[c * HW + p] = b ? b[c] : 0;
        CF_(convt_sample)(g, x + s * g->co * P, w, ys, cols ? cols + NBK_TID * colsz : NULL);
    }
}

/* samples in nch chunks; chunk j sums its samples into part j (chunk 0 into dw), then dw += part j in order */
static void CF_(conv2d_weight)(const nbk_conv_geom *g, const T *x, const T *gy, T *dw, T *part, int64_t nch, T *cols,
                               int nt) {
    const int64_t P = g->ho * g->wo, colsz = cols ? g->ci / g->groups * g->kh * g->kw * P : 0;
    const int64_t wsz = g->co * (g->ci / g->groups) * g->kh * g->kw;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t j = 0; j < nch; j++) {
        T *dst = j ? part + (j - 1) * wsz : dw;
        for (int64_t s = j * g->n / nch; s < (j + 1) * g->n / nch; s++)
            CF_(convw_sample)(g, x + s * g->ci * g->hi * g->wi, gy + s * g->co * P, dst,
                              cols ? cols + NBK_TID * colsz : NULL, s == j * g->n / nch ? 0 : 1);
    }
    for (int64_t j = 1; j < nch; j++)
        for (int64_t i = 0; i < wsz; i++) dw[i] += part[(j - 1) * wsz + i];
}

static void CF_(im2col_batch)(const nbk_conv_geom *g, const T *x, T *y, int nt) {
    const int64_t HW = g->hi * g->wi, L = g->ci * g->kh * g->kw * g->ho * g->wo;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t s = 0; s < g->n; s++) CF_(im2col)(g, g->ci, x + s * g->ci * HW, y + s * L);
}

static void CF_(col2im_batch)(const nbk_conv_geom *g, const T *cols, T *y, int nt) {
    const int64_t HW = g->hi * g->wi, L = g->ci * g->kh * g->kw * g->ho * g->wo;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t s = 0; s < g->n; s++) {
        for (int64_t i = 0; i < g->ci * HW; i++) y[s * g->ci * HW + i] = 0;
        CF_(col2im)(g, g->ci, cols + s * L, y + s * g->ci * HW);
    }
}

#undef CF_
