/* layer_norm_template.h — the row kernels of kernels_layer_norm.c for one float type, included once per type
 * with T (float or double) and SUF (f32 or f64) defined. A row is N contiguous values; its mean and biased
 * variance are summed in double over 8 lanes (k mod 8, combined pairwise), so the loops vectorize and the
 * order is fixed. */
#define LN_(name) NBT_CAT(name##_, SUF)

/* mean and 1 / sqrt(biased variance + eps) of the row x[0, N) (two passes, in double) */
static void LN_(stats)(const T *x, int64_t N, double eps, double *mean, double *rstd) {
    double a[8] = { 0 };
    int64_t j = 0;
    for (; j + 8 <= N; j += 8)
        for (int l = 0; l < 8; l++) a[l] += (double)x[j + l];
    for (int l = 0; j < N; j++, l++) a[l] += (double)x[j];
    double m = nbt_ln_combine(a) / (double)N;
    for (int l = 0; l < 8; l++) a[l] = 0;
    for (j = 0; j + 8 <= N; j += 8)
        for (int l = 0; l < 8; l++) {
            double d = (double)x[j + l] - m;
            a[l] += d * d;
        }
    for (int l = 0; j < N; j++, l++) {
        double d = (double)x[j] - m;
        a[l] += d * d;
    }
    *mean = m;
    *rstd = 1.0 / sqrt(nbt_ln_combine(a) / (double)N + eps);
}

/* y = (x - mean) rstd w + b over M rows of N (w, b: N values or NULL) */
static void LN_(forward)(const T *x, T *y, int64_t M, int64_t N, const T *w, const T *b, double eps, int nt) {
    (void)nt; /* no OpenMP: serial */
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t i = 0; i < M; i++) {
        double mean, rstd;
        LN_(stats)(x + i * N, N, eps, &mean, &rstd);
        const T m = (T)mean, r = (T)rstd, *xr = x + i * N;
        T *yr = y + i * N;
        for (int64_t j = 0; j < N; j++) {
            T v = (xr[j] - m) * r;
            if (w) v *= w[j];
            if (b) v += b[j];
            yr[j] = v;
        }
    }
}

/* With xhat = (x - mean) rstd and gh = g w per row: dx = rstd (gh - mean(gh) - xhat mean(gh xhat)) (when dx is
 * not NULL), and the chunk's sums over its rows of g xhat and g into pw[N] and pb[N] (when not NULL). The rows
 * [r0, r1) go in order, so each chunk's sums have one order whatever thread runs it. */
static void LN_(backward_rows)(const T *x, const T *g, T *dx, int64_t r0, int64_t r1, int64_t N, const T *w,
                               double eps, double *pw, double *pb) {
    for (int64_t i = r0; i < r1; i++) {
        const T *xr = x + i * N, *gr = g + i * N;
        double mean, rstd;
        LN_(stats)(xr, N, eps, &mean, &rstd);
        const T m = (T)mean, r = (T)rstd;
        double s1[8] = { 0 }, s2[8] = { 0 };
        int64_t j = 0;
        for (; j + 8 <= N; j += 8)
            for (int l = 0; l < 8; l++) {
                T gh = w ? gr[j + l] * w[j + l] : gr[j + l], xh = (xr[j + l] - m) * r;
                s1[l] += (double)gh, s2[l] += (double)gh * (double)xh;
                if (pw) pw[j + l] += (double)gr[j + l] * (double)xh;
                if (pb) pb[j + l] += (double)gr[j + l];
            }
        for (int l = 0; j < N; j++, l++) {
            T gh = w ? gr[j] * w[j] : gr[j], xh = (xr[j] - m) * r;
            s1[l] += (double)gh, s2[l] += (double)gh * (double)xh;
            if (pw) pw[j] += (double)gr[j] * (double)xh;
            if (pb) pb[j] += (double)gr[j];
        }
        if (!dx) continue;
        const T a = (T)(nbt_ln_combine(s1) / (double)N), c = (T)(nbt_ln_combine(s2) / (double)N);
        T *dr = dx + i * N;
        for (j = 0; j < N; j++) {
            T gh = w ? gr[j] * w[j] : gr[j], xh = (xr[j] - m) * r;
            dr[j] = r * (gh - a - xh * c);
        }
    }
}

/* the backward over nch chunks of rows (chunk k: rows [k M / nch, (k + 1) M / nch)); chunk k's sums go to
 * part + 2 k N (dw's, then db's), which the caller adds up in chunk order */
static void LN_(backward)(const T *x, const T *g, T *dx, int64_t M, int64_t N, const T *w, double eps,
                          double *part, int64_t nch, bool want_w, bool want_b, int nt) {
    (void)nt; /* no OpenMP: serial */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t k = 0; k < nch; k++) {
        double *pw = part && want_w ? part + 2 * k * N : NULL,
               *pb = part && want_b ? part + (2 * k + 1) * N : NULL;
        LN_(backward_rows)(x, g, dx, k * M / nch, (k + 1) * M / nch, N, w, eps, pw, pb);
    }
}

#undef LN_
