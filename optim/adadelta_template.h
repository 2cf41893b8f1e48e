/* adadelta_template.h — Adadelta's element-wise update of elements [lo, hi) for one float type, included by
 * adadelta.c once per type with T (float or double) and SUF (f32 or f64) defined. */
static void NBT_CAT(adadelta_, SUF)(const void *vargs, int64_t lo, int64_t hi) {
    const adadelta_args *args = vargs;
    T *p = args->p;
    const T *g = args->g;
    T *sq = args->sq;
    T *acc = args->acc;
    const nb_adadelta_opts *o = args->o;
    const T wd = (T)o->weight_decay, rho = (T)o->rho, omr = (T)(1 - o->rho), eps = (T)o->eps;
    const T neglr = (T)(-o->lr);
    /* read once: the loop then holds no loads through o that its stores might alias, and vectorizes */
    const bool maximize = o->maximize, has_wd = o->weight_decay != 0;
    const T sgn = maximize ? (T)-1 : (T)1; /* -g == g * -1 exactly */
    for (int64_t j = lo; j < hi; j++) {
        T gj = g[j] * sgn;
        gj = has_wd ? NBO_FMA(T, wd, p[j], gj) : gj;
        sq[j] = sq[j] * rho;
        sq[j] = NBO_FMA(T, omr * gj, gj, sq[j]);
        T std = NBO_SQRT(T, sq[j] + eps);
        T delta = NBO_SQRT(T, acc[j] + eps);
        delta = delta / std;
        delta = delta * gj;
        acc[j] = acc[j] * rho;
        acc[j] = NBO_FMA(T, omr * delta, delta, acc[j]);
        p[j] = NBO_FMA(T, neglr, delta, p[j]);
    }
}
