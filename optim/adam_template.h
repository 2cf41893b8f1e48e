/* adam_template.h — Adam/AdamW's element-wise update of elements [lo, hi) for one float type, included by
 * adam.c once per type with T (float or double) and SUF (f32 or f64) defined. */
static void NBT_CAT(adam_, SUF)(const void *vargs, int64_t lo, int64_t hi) {
    const adam_args *args = vargs;
    T *p = args->p;
    const T *g = args->g;
    T *m = args->m;
    T *v = args->v;
    T *vmax = args->vmax;
    const nb_adam_opts *o = args->o;
    const adam_k *k = args->k;
    const T b1 = (T)o->betas[0], b2 = (T)o->betas[1], omb1 = (T)(1 - o->betas[0]);
    const T omb2 = (T)(1 - o->betas[1]), wd = (T)o->weight_decay, eps = (T)o->eps;
    const T bc2 = (T)k->bc2_sqrt, negss = (T)(-k->step_size), decay = (T)k->decay;
    /* read once: the loop then holds no loads through o that its stores might alias, and vectorizes */
    const bool maximize = o->maximize, has_wd = o->weight_decay != 0, l2 = k->l2;
    const T pdecay = l2 ? (T)1 : decay;
    const T sgn = maximize ? (T)-1 : (T)1; /* -g == g * -1 exactly */
    for (int64_t j = lo; j < hi; j++) {
        T gj = g[j] * sgn;
        gj = l2 && has_wd ? NBO_FMA(T, wd, p[j], gj) : gj;
        p[j] = p[j] * pdecay; /* 1 (exact) under L2 */
        m[j] = m[j] * b1;
        m[j] = NBO_FMA(T, omb1, gj, m[j]);
        v[j] = v[j] * b2;
        v[j] = NBO_FMA(T, omb2 * gj, gj, v[j]);
        T s = v[j];
        if (vmax) {
            vmax[j] = (s > vmax[j] || s != s) ? s : vmax[j];
            s = vmax[j];
        }
        T denom = NBO_SQRT(T, s) / bc2 + eps;
        p[j] = p[j] + negss * m[j] / denom;
    }
}
