/* reduce_template.h — the per-type reduction kernels of kernels_reduce.c (one strided segment, softmax
 * along a dim), included once per float type with T (float or double) and SUF (f or empty) defined. */

/* accumulate one segment x[0], x[st], ... (n terms) */
static double NBT_CAT(seg_, T)(nbt_reduce_kind k, const T *x, int64_t n, int64_t st) {
    double acc = k == NBT_RSUM ? 0.0 : k == NBT_RPROD ? 1.0 : (double)x[0];
    switch (k) {
    case NBT_RSUM:
        for (int64_t r = 0; r < n; r++) acc += (double)x[r * st];
        break;
    case NBT_RPROD:
        for (int64_t r = 0; r < n; r++) acc *= (double)x[r * st];
        break;
    case NBT_RMAX:
        for (int64_t r = 0; r < n; r++) {
            double v = x[r * st];
            if (v > acc || v != v) {
                acc = v;
                if (v != v) break;
            }
        }
        break;
    case NBT_RMIN:
        for (int64_t r = 0; r < n; r++) {
            double v = x[r * st];
            if (v < acc || v != v) {
                acc = v;
                if (v != v) break;
            }
        }
        break;
    }
    return acc;
}

static void NBT_CAT(softmax_, T)(const T *x, T *y, int64_t outer, int64_t D, int64_t inner, bool lg) {
    bool par = outer * D * inner >= NBT_PAR_MIN && outer * inner > 1;
    (void)par;

#pragma omp parallel for schedule(static) if (par)
    for (int64_t q = 0; q < outer * inner; q++) {
        int64_t o = q / inner, i = q % inner;
        const T *xr = x + o * D * inner + i;
        T *yr = y + o * D * inner + i;
        T m = -INFINITY;
        for (int64_t d = 0; d < D; d++)
            if (xr[d * inner] > m || xr[d * inner] != xr[d * inner]) m = xr[d * inner];
        if (m == -INFINITY || m != m) m = m != m ? m : 0;
        double s = 0;
        for (int64_t d = 0; d < D; d++) {
            T e = NBT_CAT(exp, SUF)(xr[d * inner] - m);
            if (!lg) yr[d * inner] = e;
            s += e;
        }
        if (lg) {
            T ls = (T)log(s);
            for (int64_t d = 0; d < D; d++) yr[d * inner] = xr[d * inner] - m - ls;
        } else {
            T inv = (T)(1.0 / s);
            for (int64_t d = 0; d < D; d++) yr[d * inner] *= inv;
        }
    }
}
