/* sgd_template.h — SGD's element-wise update of elements [lo, hi) for one float type, included by
 * sgd.c once per type with T (float or double) and SUF (f32 or f64) defined. */
static void NBT_CAT(sgd_plain_, SUF)(T *restrict p, const T *restrict g, int64_t n, T a) {
    for (int64_t j = 0; j < n; j++) p[j] = NBO_FMA(T, a, g[j], p[j]);
}
static void NBT_CAT(sgd_, SUF)(const void *vargs, int64_t lo, int64_t hi) {
    const sgd_args *args = vargs;
    T *p = args->p;
    const T *g = args->g;
    T *buf = args->buf;
    bool first = args->first;
    const nb_sgd_opts *o = args->o;
    const T wd = (T)o->weight_decay, mom = (T)o->momentum, damp1 = (T)(1 - o->dampening);
    const T neglr = (T)(-o->lr);
    if (!buf && o->weight_decay == 0) { /* plain SGD: one vectorized fma pass (-lr * -g == lr * g) */
        NBT_CAT(sgd_plain_, SUF)(p + lo, g + lo, hi - lo, o->maximize ? -neglr : neglr);
        return;
    }
    for (int64_t j = lo; j < hi; j++) {
        T d = o->maximize ? -g[j] : g[j];
        if (o->weight_decay != 0) d = NBO_FMA(T, wd, p[j], d);
        if (buf) {
            if (first)
                buf[j] = d;
            else {
                buf[j] = buf[j] * mom;
                buf[j] = NBO_FMA(T, damp1, d, buf[j]);
            }
            d = o->nesterov ? NBO_FMA(T, mom, buf[j], d) : buf[j];
        }
        p[j] = NBO_FMA(T, neglr, d, p[j]);
    }
}
