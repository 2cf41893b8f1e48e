/* rmsprop_template.h — RMSprop's element-wise update of elements [lo, hi) for one float type, included by
 * rmsprop.c once per type with T (float or double) and SUF (f32 or f64) defined. */
static void NBT_CAT(rmsprop_, SUF)(const void *vargs, int64_t lo, int64_t hi) {
    const rmsprop_args *args = vargs;
    T *p = args->p;
    const T *g = args->g;
    T *sq = args->sq;
    T *ga = args->ga;
    T *buf = args->buf;
    const nb_rmsprop_opts *o = args->o;
    const T wd = (T)o->weight_decay, a = (T)o->alpha, oma = (T)(1 - o->alpha), eps = (T)o->eps;
    const T mom = (T)o->momentum, neglr = (T)(-o->lr), one = 1, minus1 = -1;
    /* read once: the loop then holds no loads through o that its stores might alias, and vectorizes */
    const bool maximize = o->maximize, has_wd = o->weight_decay != 0;
    const T sgn = maximize ? (T)-1 : (T)1; /* -g == g * -1 exactly */
    for (int64_t j = lo; j < hi; j++) {
        T gj = g[j] * sgn;
        gj = has_wd ? NBO_FMA(T, wd, p[j], gj) : gj;
        sq[j] = sq[j] * a;
        sq[j] = NBO_FMA(T, oma * gj, gj, sq[j]);
        T avg;
        if (ga) {
            ga[j] = ga[j] * a;
            ga[j] = NBO_FMA(T, oma, gj, ga[j]);
            avg = NBO_SQRT(T, NBO_FMA(T, minus1 * ga[j], ga[j], sq[j]));
        } else {
            avg = NBO_SQRT(T, sq[j]);
        }
        avg = avg + eps;
        if (buf) {
            buf[j] = buf[j] * mom;
            buf[j] = buf[j] + one * gj / avg;
            p[j] = NBO_FMA(T, neglr, buf[j], p[j]);
        } else {
            p[j] = p[j] + neglr * gj / avg;
        }
    }
}
