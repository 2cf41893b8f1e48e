/* adagrad_template.h — Adagrad's element-wise update of elements [lo, hi) for one float type, included by
 * adagrad.c once per type with T (float or double) and SUF (f32 or f64) defined. */
static void NBT_CAT(adagrad_, SUF)(const void *vargs, int64_t lo, int64_t hi) {
    const adagrad_args *args = vargs;
    T *p = args->p;
    const T *g = args->g;
    T *sum = args->sum;
    const nb_adagrad_opts *o = args->o;
    double clr = args->clr;
    const T wd = (T)o->weight_decay, eps = (T)o->eps, negclr = (T)(-clr), one = 1;
    /* read once: the loop then holds no loads through o that its stores might alias, and vectorizes */
    const bool maximize = o->maximize, has_wd = o->weight_decay != 0;
    const T sgn = maximize ? (T)-1 : (T)1; /* -g == g * -1 exactly */
    for (int64_t j = lo; j < hi; j++) {
        T gj = g[j] * sgn;
        gj = has_wd ? NBO_FMA(T, wd, p[j], gj) : gj;
        sum[j] = NBO_FMA(T, one * gj, gj, sum[j]);
        T std = NBO_SQRT(T, sum[j]) + eps;
        p[j] = p[j] + negclr * gj / std;
    }
}
