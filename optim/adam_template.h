/* adam_template.h — Adam/AdamW's element-wise update of elements [lo, hi) for one float type, included by
 * adam.c once per type with T (float or double) and SUF (f32 or f64) defined. */
/* the scalars of one step, in T */
typedef struct {
    T b1, omb1, b2, omb2, wd, eps, bc2, negss, pdecay, sgn;
    bool l2wd;
} NBT_CAT(adam_c_, SUF);

/* element j; ams (AMSGrad) is a constant at each call, so each of the two loops below is branch-free */
static inline void NBT_CAT(adam_one_, SUF)(const NBT_CAT(adam_c_, SUF) * c, T *p, const T *g, T *m, T *v,
                                           T *vmax, int64_t j, bool ams) {
    T gj = g[j] * c->sgn;                            /* -g == g * -1 exactly */
    gj = c->l2wd ? NBO_FMA(T, c->wd, p[j], gj) : gj; /* Adam's L2 term */
    p[j] = p[j] * c->pdecay;                         /* AdamW's decay; 1 (exact) under L2 */
    m[j] = m[j] * c->b1;
    m[j] = NBO_FMA(T, c->omb1, gj, m[j]);
    v[j] = v[j] * c->b2;
    v[j] = NBO_FMA(T, c->omb2 * gj, gj, v[j]);
    T s = v[j];
    if (ams) {
        vmax[j] = (s > vmax[j] || s != s) ? s : vmax[j];
        s = vmax[j];
    }
    T denom = NBO_SQRT(T, s) / c->bc2 + c->eps;
    p[j] = p[j] + c->negss * m[j] / denom;
}

static void NBT_CAT(adam_, SUF)(const void *vargs, int64_t lo, int64_t hi) {
    const adam_args *args = vargs;
    T *p = args->p;
    const T *g = args->g;
    T *m = args->m;
    T *v = args->v;
    T *vmax = args->vmax;
    const nb_adam_opts *o = args->o;
    const adam_k *k = args->k;
    const NBT_CAT(adam_c_, SUF) c = { .b1 = (T)o->betas[0],
                                      .omb1 = (T)(1 - o->betas[0]),
                                      .b2 = (T)o->betas[1],
                                      .omb2 = (T)(1 - o->betas[1]),
                                      .wd = (T)o->weight_decay,
                                      .eps = (T)o->eps,
                                      .bc2 = (T)k->bc2_sqrt,
                                      .negss = (T)(-k->step_size),
                                      .pdecay = k->l2 ? (T)1 : (T)k->decay,
                                      .sgn = o->maximize ? (T)-1 : (T)1,
                                      .l2wd = k->l2 && o->weight_decay != 0 };
    if (vmax)
        for (int64_t j = lo; j < hi; j++) NBT_CAT(adam_one_, SUF)(&c, p, g, m, v, vmax, j, true);
    else
        for (int64_t j = lo; j < hi; j++) NBT_CAT(adam_one_, SUF)(&c, p, g, m, v, NULL, j, false);
}
