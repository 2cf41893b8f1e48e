/* clip_template.h — the per-type norm sums of clip.c (included once per type with T and SUF defined):
 * sum |x|, sum x^2 or max |x| over a gradient, in NBO_CLIP_W double lanes so that the loop vectorizes,
 * the lanes added in order: one order whatever the machine. */
static double NBT_CAT(abs_pow_sum_, SUF)(const T *x, int64_t n, double p) {
    double lane[NBO_CLIP_W] = { 0 }, acc = 0;
    int64_t j = 0;
    int nan = 0;
    if (isinf(p)) {
        for (; j + NBO_CLIP_W <= n; j += NBO_CLIP_W)
            for (int l = 0; l < NBO_CLIP_W; l++) {
                double a = fabs((double)x[j + l]);
                lane[l] = a > lane[l] ? a : lane[l];
                nan |= a != a;
            }
        for (; j < n; j++) {
            double a = fabs((double)x[j]);
            acc = a > acc ? a : acc;
            nan |= a != a;
        }
        for (int l = 0; l < NBO_CLIP_W; l++) acc = lane[l] > acc ? lane[l] : acc;
        return nan ? NAN : acc;
    }
    if (p == 2)
        for (; j + NBO_CLIP_W <= n; j += NBO_CLIP_W)
            for (int l = 0; l < NBO_CLIP_W; l++) lane[l] += (double)x[j + l] * (double)x[j + l];
    else
        for (; j + NBO_CLIP_W <= n; j += NBO_CLIP_W)
            for (int l = 0; l < NBO_CLIP_W; l++) lane[l] += fabs((double)x[j + l]);
    for (int l = 0; l < NBO_CLIP_W; l++) acc += lane[l];
    for (; j < n; j++) acc += p == 2 ? (double)x[j] * (double)x[j] : fabs((double)x[j]);
    return acc;
}
