/* nadam_template.h — NAdam's element-wise update of elements [lo, hi) for one float type, included by
 * nadam.c once per type with T (float or double) and SUF (f32 or f64) defined. */
static void NBT_CAT(nadam_, SUF)(const void *vargs, int64_t lo, int64_t hi) {
    const nadam_args *args = vargs;
    T *p = args->p;
    const T *g = args->g;
    T *m = args->m;
    T *v = args->v;
    const nb_nadam_opts *o = args->o;
    const nadam_k *k = args->k;
    const T wd = (T)o->weight_decay, b1 = (T)o->betas[0], b2 = (T)o->betas[1];
    const T omb1 = (T)(1 - o->betas[0]), omb2 = (T)(1 - o->betas[1]), eps = (T)o->eps;
    const T bc2 = (T)k->bc2, cg = (T)k->c_grad, ca = (T)k->c_avg;
    /* read once: the loop then holds no loads through o that its stores might alias, and vectorizes */
    const bool has_wd = o->weight_decay != 0;
    for (int64_t j = lo; j < hi; j++) {
        T gj = g[j];
        gj = has_wd ? NBO_FMA(T, wd, p[j], gj) : gj;
        m[j] = m[j] * b1;
        m[j] = NBO_FMA(T, omb1, gj, m[j]);
        v[j] = v[j] * b2;
        v[j] = NBO_FMA(T, omb2 * gj, gj, v[j]);
        T denom = NBO_SQRT(T, v[j] / bc2) + eps;
        p[j] = p[j] + cg * gj / denom;
        p[j] = p[j] + ca * m[j] / denom;
    }
}
