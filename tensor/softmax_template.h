/* softmax_template.h — softmax and log_softmax, forward and backward, for one float type: kernels_softmax.c
 * includes it with T (float or double), SUF (f32 or f64) and EXP (nbt_vexpf or nbt_vexp) defined. A row is
 * D values st apart; a contiguous row (st == 1) runs in NBT_SM_W lanes so that its loops vectorize. Sums are
 * in double, lane by lane, and the lanes are added in order: one order whatever the thread count. */

/* the largest value of a row (NaN is left to the sum, which it turns into NaN); 0 for a row of -inf, so
 * that e^(x - max) is 0 there and the sum's 0 gives torch's NaN */
static T NBT_CAT(sm_max_, SUF)(const T *x, int64_t D, int64_t st) {
    T m = -INFINITY;
    int64_t d = 0;
    if (st == 1 && D >= NBT_SM_W) {
        T mv[NBT_SM_W];
        for (int j = 0; j < NBT_SM_W; j++) mv[j] = -INFINITY;
        for (; d + NBT_SM_W <= D; d += NBT_SM_W)
            for (int j = 0; j < NBT_SM_W; j++) mv[j] = x[d + j] > mv[j] ? x[d + j] : mv[j];
        for (int j = 0; j < NBT_SM_W; j++) m = mv[j] > m ? mv[j] : m;
    }
    for (; d < D; d++) m = x[d * st] > m ? x[d * st] : m;
    return m == -INFINITY ? 0 : m;
}

/* sum of a[d] (b == NULL) or of a[d] * b[d] over a row, in double */
static double NBT_CAT(sm_sum_, SUF)(const T *a, const T *b, int64_t D, int64_t st) {
    double s = 0;
    int64_t d = 0;
    if (st == 1 && D >= NBT_SM_W) {
        double sv[NBT_SM_W] = { 0 };
        if (b)
            for (; d + NBT_SM_W <= D; d += NBT_SM_W)
                for (int j = 0; j < NBT_SM_W; j++) sv[j] += (double)(a[d + j] * b[d + j]);
        else
            for (; d + NBT_SM_W <= D; d += NBT_SM_W)
                for (int j = 0; j < NBT_SM_W; j++) sv[j] += (double)a[d + j];
        for (int j = 0; j < NBT_SM_W; j++) s += sv[j];
    }
    for (; d < D; d++) s += b ? (double)(a[d * st] * b[d * st]) : (double)a[d * st];
    return s;
}

/* sum of e^(x[d] - m) over a row, in double; y[d] = e^(x[d] - m) as well unless y is NULL */
static double NBT_CAT(sm_expsum_, SUF)(const T *x, T *y, T m, int64_t D, int64_t st) {
    double s = 0;
    int64_t d = 0;
    if (st == 1 && D >= NBT_SM_W) {
        double sv[NBT_SM_W] = { 0 };
        if (y)
            for (; d + NBT_SM_W <= D; d += NBT_SM_W)
                for (int j = 0; j < NBT_SM_W; j++) {
                    T e = EXP(x[d + j] - m);
                    y[d + j] = e;
                    sv[j] += (double)e;
                }
        else
            for (; d + NBT_SM_W <= D; d += NBT_SM_W)
                for (int j = 0; j < NBT_SM_W; j++) sv[j] += (double)EXP(x[d + j] - m);
        for (int j = 0; j < NBT_SM_W; j++) s += sv[j];
    }
    for (; d < D; d++) {
        T e = EXP(x[d * st] - m);
        if (y) y[d * st] = e;
        s += (double)e;
    }
    return s;
}

/* y = softmax(x) (lg false) or log_softmax(x) along rows of D values inner apart, outer * inner rows */
static void NBT_CAT(softmax_fw_, SUF)(const T *x, T *y, int64_t outer, int64_t D, int64_t inner, bool lg) {
    bool par = outer * D * inner >= NBT_PAR_MIN && outer * inner > 1;
    (void)par;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t q = 0; q < outer * inner; q++) {
        int64_t base = (q / inner) * D * inner + q % inner;
        const T *xr = x + base;
        T *yr = y + base;
        T m = NBT_CAT(sm_max_, SUF)(xr, D, inner);
        double s = NBT_CAT(sm_expsum_, SUF)(xr, lg ? NULL : yr, m, D, inner);
        T c = lg ? (T)log(s) : (T)(1.0 / s);
        if (lg && inner == 1)
            for (int64_t d = 0; d < D; d++) yr[d] = xr[d] - m - c;
        else if (lg)
            for (int64_t d = 0; d < D; d++) yr[d * inner] = xr[d * inner] - m - c;
        else if (inner == 1)
            for (int64_t d = 0; d < D; d++) yr[d] *= c;
        else
            for (int64_t d = 0; d < D; d++) yr[d * inner] *= c;
    }
}

/* dx from y and the incoming gradient g: y (g - sum(g y)) for softmax, g - e^y sum(g) for log_softmax */
static void NBT_CAT(softmax_bw_, SUF)(const T *y, const T *g, T *dx, int64_t outer, int64_t D, int64_t inner,
                                      bool lg) {
    bool par = outer * D * inner >= NBT_PAR_MIN && outer * inner > 1;
    (void)par;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t q = 0; q < outer * inner; q++) {
        int64_t base = (q / inner) * D * inner + q % inner;
        const T *yr = y + base, *gr = g + base;
        T *dr = dx + base;
        T st = (T)NBT_CAT(sm_sum_, SUF)(gr, lg ? NULL : yr, D, inner);
        if (lg && inner == 1)
            for (int64_t d = 0; d < D; d++) dr[d] = gr[d] - EXP(yr[d]) * st;
        else if (lg)
            for (int64_t d = 0; d < D; d++) dr[d * inner] = gr[d * inner] - EXP(yr[d * inner]) * st;
        else if (inner == 1)
            for (int64_t d = 0; d < D; d++) dr[d] = yr[d] * (gr[d] - st);
        else
            for (int64_t d = 0; d < D; d++) dr[d * inner] = yr[d * inner] * (gr[d * inner] - st);
    }
}
