/* pool_template.h — the pooling kernels of kernels_pool.c for one element type, included once per float
 * type with T (float or double) defined; each kernel splits the planes among OpenMP threads (when par) and
 * does one plane in a fixed order. */
#define AF_(name) NBT_CAT(name##_, T)

/* The window arrays are read through restrict locals: the index output is int64 like them, and
 * without it every store would force the compiler to reload the window bounds. */
static void AF_(max_pool)(const nb_tensor *xc, nb_tensor *y, int64_t *is, const nbt_pool_dim *h,
                          const nbt_pool_dim *w, int64_t planes, bool par) {
    (void)par; /* read only by the OpenMP if clause */
    const int64_t H = h->n_in, W = w->n_in, OH = h->n_out, OW = w->n_out;
    const T *xs = (const T *)nbt_ptr(xc);
    T *ys = (T *)nbt_ptr(y);
    const int64_t *restrict hs = h->start, *restrict he = h->end, *restrict ws = w->start;
    const int64_t *restrict we = w->end, dh = h->step, dw = w->step;

    /* every column window [2j, 2j + 2) (kernel 2, stride 2, dilation 1, no padding): rows with two-row windows
     * take the branch-free path below (the window's maximum by selects in the same order as the general loop,
     * which on random data mispredicted its branch about every other element) */
    bool pairs = dw == 1 && dh == 1;
    for (int64_t j = 0; pairs && j < OW; j++) pairs = ws[j] == 2 * j && we[j] == 2 * j + 2;

#pragma omp parallel for schedule(static) if (par)
    for (int64_t p = 0; p < planes; p++) {
        const T *restrict xp = xs + p * H * W;
        T *restrict yp = ys + p * OH * OW;
        int64_t *restrict ip = is + p * OH * OW;
        for (int64_t i = 0; i < OH; i++) {
            const int64_t r0 = hs[i], r1 = he[i];
            if (pairs && r1 - r0 == 2) {
                const int64_t off[4] = { 0, 1, W,
                                         W + 1 }; /* the window's elements, in the general loop's order */
                for (int64_t j = 0; j < OW; j++) {
                    /* its first element is taken unless it is -inf, when the index is its own anyway */
                    const T *wp = xp + r0 * W + 2 * j;
                    T m = wp[0];
                    int64_t best = 0;
                    for (int q = 1; q < 4; q++) {
                        T v = wp[off[q]];
                        bool t = v > m || v != v; /* v != v: NaN */
                        m = t ? v : m, best = t ? off[q] : best;
                    }
                    yp[i * OW + j] = m;
                    ip[i * OW + j] = r0 * W + 2 * j + best;
                }
                continue;
            }
            for (int64_t j = 0; j < OW; j++) {
                const int64_t c0 = ws[j], c1 = we[j];
                int64_t best = r0 * W + c0;
                T m = -INFINITY;
                for (int64_t r = r0; r < r1; r += dh)
                    for (int64_t c = c0; c < c1; c += dw) {
                        T v = xp[r * W + c];
                        if (v > m || v != v) {
                            m = v;
                            best = r * W + c;
                        } /* v != v: NaN */
                    }
                yp[i * OW + j] = m;
                ip[i * OW + j] = best;
            }
        }
    }
}

/* v / d: d = divisor if nonzero, else fh fw (each: divided by one, then the other) */
static inline T AF_(avg_div)(T v, double fh, double fw, double divisor, bool each) {
    return divisor != 0 ? v / (T)divisor : each ? v / (T)fh / (T)fw : v / (T)(fh * fw);
}

static void AF_(avg_pool)(const nb_tensor *xc, nb_tensor *y, const nbt_pool_dim *h, const nbt_pool_dim *w,
                          double divisor, bool each, int64_t planes, bool par) {
    (void)par; /* read only by the OpenMP if clause */
    const int64_t H = h->n_in, W = w->n_in, OH = h->n_out, OW = w->n_out;
    const T *xs = (const T *)nbt_ptr(xc);
    T *ys = (T *)nbt_ptr(y);

#pragma omp parallel for schedule(static) if (par)
    for (int64_t p = 0; p < planes; p++) {
        const T *xp = xs + p * H * W;
        T *yp = ys + p * OH * OW;
        for (int64_t i = 0; i < OH; i++)
            for (int64_t j = 0; j < OW; j++) {
                T s = 0;
                for (int64_t r = h->start[i]; r < h->end[i]; r++)
                    for (int64_t c = w->start[j]; c < w->end[j]; c++) s += xp[r * W + c];
                yp[i * OW + j] = AF_(avg_div)(s, h->fac[i], w->fac[j], divisor, each);
            }
    }
}

static void AF_(avg_pool_bw)(const nb_tensor *gc, nb_tensor *dx, const nbt_pool_dim *h, const nbt_pool_dim *w,
                             double divisor, bool each, int64_t planes, bool par) {
    (void)par; /* read only by the OpenMP if clause */
    const int64_t H = h->n_in, W = w->n_in, OH = h->n_out, OW = w->n_out;
    const T *gs = (const T *)nbt_ptr(gc);
    T *ds = (T *)nbt_ptr(dx);

#pragma omp parallel for schedule(static) if (par)
    for (int64_t p = 0; p < planes; p++) {
        const T *gp = gs + p * OH * OW;
        T *dp = ds + p * H * W;
        for (int64_t k = 0; k < H * W; k++) dp[k] = 0;
        for (int64_t i = 0; i < OH; i++)
            for (int64_t j = 0; j < OW; j++) {
                T v = gp[i * OW + j];
                v = AF_(avg_div)(v, h->fac[i], w->fac[j], divisor, each);
                for (int64_t r = h->start[i]; r < h->end[i]; r++)
                    for (int64_t c = w->start[j]; c < w->end[j]; c++) dp[r * W + c] += v;
            }
    }
}

/* out plane p = 0, then out[idx[k]] (+)= src[k] for the K values of each of the planes (P outputs each) */
static void AF_(scatter)(const nb_tensor *sc, nb_tensor *out, const int64_t *is, int64_t planes, int64_t K,
                         int64_t P, bool add, bool par) {
    (void)par; /* read only by the OpenMP if clause */
    const T *ss = (const T *)nbt_ptr(sc);
    T *os = (T *)nbt_ptr(out);

#pragma omp parallel for schedule(static) if (par)
    for (int64_t p = 0; p < planes; p++) {
        const T *sp = ss + p * K;
        const int64_t *ip = is + p * K;
        T *op_ = os + p * P;
        for (int64_t k = 0; k < P; k++) op_[k] = 0;
        if (add)
            for (int64_t k = 0; k < K; k++) op_[ip[k]] += sp[k];
        else
            for (int64_t k = 0; k < K; k++) op_[ip[k]] = sp[k];
    }
}

#undef AF_
