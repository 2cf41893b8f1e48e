/* ew_template.h — the one source of the elementwise row kernels, included once per float type
 * with T (float or double) and SUF (f or empty) defined. A row is n elements with element strides
 * s[0] (out), s[1], s[2] (inputs); unit strides take a vectorizable path. */
#define M_(fn) NBT_CAT(fn, SUF)
#define ERF_(x) NBT_CAT(nbt_verf, SUF)(x) /* nbt_verf.h: f32 vectorizes, f64 is libm's */
#define EXP_(x) NBT_CAT(nbt_vexp, SUF)(x) /* nbt_vexp.h: likewise */
#define ROWS_(name) NBT_CAT(name##_, SUF)

/* y[i] = EXPR over a row of n with strides s (unit-stride path first), EXPR reading the element of x as v
 * (and of z as w); every name the loops use is a parameter */
#define LOOP1(n, s, y, x, v, EXPR)                                                                           \
    if (s[0] == 1 && s[1] == 1) {                                                                            \
        for (int64_t i = 0; i < n; i++) {                                                                    \
            T v = x[i];                                                                                      \
            (void)v;                                                                                         \
            y[i] = (T)(EXPR);                                                                                \
        }                                                                                                    \
    } else {                                                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                                    \
            T v = x[i * s[1]];                                                                               \
            (void)v;                                                                                         \
            y[i * s[0]] = (T)(EXPR);                                                                         \
        }                                                                                                    \
    }
#define LOOP2(n, s, y, x, z, v, w, EXPR)                                                                     \
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {                                                               \
        for (int64_t i = 0; i < n; i++) {                                                                    \
            T v = x[i], w = z[i];                                                                            \
            y[i] = (T)(EXPR);                                                                                \
        }                                                                                                    \
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {                                                        \
        T w = z[0];                                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                                    \
            T v = x[i];                                                                                      \
            (void)v;                                                                                         \
            y[i] = (T)(EXPR);                                                                                \
        }                                                                                                    \
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {                                                        \
        T v = x[0];                                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                                    \
            T w = z[i];                                                                                      \
            y[i] = (T)(EXPR);                                                                                \
        }                                                                                                    \
    } else {                                                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                                    \
            T v = x[i * s[1]], w = z[i * s[2]];                                                              \
            y[i * s[0]] = (T)(EXPR);                                                                         \
        }                                                                                                    \
    }

static inline T ROWS_(sigm)(T v) {
    return v >= 0 ? (T)1 / ((T)1 + M_(exp)(-v)) : M_(exp)(v) / ((T)1 + M_(exp)(v));
}
static inline T ROWS_(pows)(T v, T a) { return M_(pow)(v, a); }

static void ROWS_(unary_row)(int64_t n, char **p, const int64_t *s, const void *vctx) {
    const nbt_uctx *c = vctx;
    T *restrict y = (T *)p[0];
    const T *restrict x = (const T *)p[1];
    const T a = (T)c->a, b = (T)c->b;
    switch (c->k) {
    case NBT_NEG: LOOP1(n, s, y, x, v, -v) break;
    case NBT_EXP: LOOP1(n, s, y, x, v, EXP_(v)) break;
    case NBT_LOG: LOOP1(n, s, y, x, v, M_(log)(v)) break;
    case NBT_LOG1P: LOOP1(n, s, y, x, v, M_(log1p)(v)) break;
    case NBT_SQRT: LOOP1(n, s, y, x, v, M_(sqrt)(v)) break;
    case NBT_RSQRT: LOOP1(n, s, y, x, v, (T)1 / M_(sqrt)(v)) break;
    case NBT_SQUARE: LOOP1(n, s, y, x, v, v * v) break;
    case NBT_ABS: LOOP1(n, s, y, x, v, M_(fabs)(v)) break;
    case NBT_SIN: LOOP1(n, s, y, x, v, M_(sin)(v)) break;
    case NBT_COS: LOOP1(n, s, y, x, v, M_(cos)(v)) break;
    case NBT_TAN: LOOP1(n, s, y, x, v, M_(tan)(v)) break;
    case NBT_SINH: LOOP1(n, s, y, x, v, M_(sinh)(v)) break;
    case NBT_COSH: LOOP1(n, s, y, x, v, M_(cosh)(v)) break;
    case NBT_TANH: LOOP1(n, s, y, x, v, M_(tanh)(v)) break;
    case NBT_SIGMOID: LOOP1(n, s, y, x, v, ROWS_(sigm)(v)) break;
    case NBT_RELU: LOOP1(n, s, y, x, v, v > 0 ? v : (v != v ? v : (T)0)) break;
    case NBT_LEAKY_RELU: LOOP1(n, s, y, x, v, v > 0 ? v : v * a) break;
    case NBT_GELU: LOOP1(n, s, y, x, v, (T)0.5 * v * ((T)1 + ERF_(v * (T)M_SQRT1_2))) break;
    case NBT_GELU_TANH:
        LOOP1(n, s, y, x, v,
              (T)0.5 * v * ((T)1 + M_(tanh)((T)0.7978845608028654 * (v + (T)0.044715 * v * v * v))))
        break;
    case NBT_SOFTPLUS: LOOP1(n, s, y, x, v, v * a > b ? v : M_(log1p)(M_(exp)(v * a)) / a) break;
    case NBT_CLAMP:
        LOOP1(n, s, y, x, v, (v < a ? a : v) > b ? b : (v < a ? a : v))
        break; /* min(max(v, a), b): b wins if a > b */
    case NBT_SIGN: LOOP1(n, s, y, x, v, (T)((v > 0) - (v < 0))) break;
    case NBT_ERF: LOOP1(n, s, y, x, v, ERF_(v)) break;
    case NBT_ATAN: LOOP1(n, s, y, x, v, M_(atan)(v)) break;
    case NBT_ADD_S: LOOP1(n, s, y, x, v, v + a) break;
    case NBT_MUL_S: LOOP1(n, s, y, x, v, v * a) break;
    case NBT_DIV_S: LOOP1(n, s, y, x, v, v / a) break;
    case NBT_RSUB_S: LOOP1(n, s, y, x, v, a - v) break;
    case NBT_RDIV_S: LOOP1(n, s, y, x, v, a / v) break;
    case NBT_POW_S: /* torch's special cases keep its rounding */
        if (c->a == 2) {
            LOOP1(n, s, y, x, v, v * v)
        } else if (c->a == 3) {
            LOOP1(n, s, y, x, v, v * v * v)
        } else if (c->a == 0.5) {
            LOOP1(n, s, y, x, v, M_(sqrt)(v))
        } else if (c->a == -0.5) {
            LOOP1(n, s, y, x, v, (T)1 / M_(sqrt)(v))
        } else if (c->a == -1) {
            LOOP1(n, s, y, x, v, (T)1 / v)
        } else if (c->a == -2) {
            LOOP1(n, s, y, x, v, (T)1 / (v * v))
        } else if (c->a == 1) {
            LOOP1(n, s, y, x, v, v)
        } else {
            LOOP1(n, s, y, x, v, ROWS_(pows)(v, a))
        }
        break;
    case NBT_RPOW_S: LOOP1(n, s, y, x, v, M_(pow)(a, v)) break;
    case NBT_FILL: LOOP1(n, s, y, x, v, a + (T)0 * (T)0) break;
    case NBT_COPY: LOOP1(n, s, y, x, v, v) break;
    case NBT_EQ_S: LOOP1(n, s, y, x, v, v == a) break;
    case NBT_NE_S: LOOP1(n, s, y, x, v, v != a) break;
    case NBT_LT_S: LOOP1(n, s, y, x, v, v < a) break;
    case NBT_LE_S: LOOP1(n, s, y, x, v, v <= a) break;
    case NBT_GT_S: LOOP1(n, s, y, x, v, v > a) break;
    case NBT_GE_S: LOOP1(n, s, y, x, v, v >= a) break;
    }
}

static inline T ROWS_(vmax)(T v, T w) { return (v != v || v > w) ? v : (w != w ? w : (v == w ? v : w)); }
static inline T ROWS_(vmin)(T v, T w) { return (v != v || v < w) ? v : (w != w ? w : (v == w ? v : w)); }

/* gelu's derivative Phi(x) + x phi(x), rounded step by step as nba_bw_gelu's composed ops round it:
 * Phi = (erf(x / sqrt 2) + 1) 0.5, phi = e^(x^2 -0.5) / sqrt(2 pi) */
NBT_VINLINE T ROWS_(dgelu)(T x) {
    T cdf = (ERF_(x * (T)M_SQRT1_2) + (T)1) * (T)0.5;
    T pdf = EXP_((x * x) * (T)-0.5) * (T)0.3989422804014327;
    return cdf + x * pdf;
}

static void ROWS_(binary_row)(int64_t n, char **p, const int64_t *s, const void *vctx) {
    const nbt_bctx *c = vctx;
    T *restrict y = (T *)p[0];
    const T *x = (const T *)p[1], *z = (const T *)p[2];
    switch (c->k) {
    case NBT_ADD: LOOP2(n, s, y, x, z, v, w, v + w) break;
    case NBT_SUB: LOOP2(n, s, y, x, z, v, w, v - w) break;
    case NBT_MUL: LOOP2(n, s, y, x, z, v, w, v * w) break;
    case NBT_DIV: LOOP2(n, s, y, x, z, v, w, v / w) break;
    case NBT_POW: LOOP2(n, s, y, x, z, v, w, w == 2 ? v * v : M_(pow)(v, w)) break;
    case NBT_MINIMUM: LOOP2(n, s, y, x, z, v, w, ROWS_(vmin)(v, w)) break;
    case NBT_MAXIMUM: LOOP2(n, s, y, x, z, v, w, ROWS_(vmax)(v, w)) break;
    case NBT_EQ: LOOP2(n, s, y, x, z, v, w, v == w) break;
    case NBT_NE: LOOP2(n, s, y, x, z, v, w, v != w) break;
    case NBT_LT: LOOP2(n, s, y, x, z, v, w, v < w) break;
    case NBT_LE: LOOP2(n, s, y, x, z, v, w, v <= w) break;
    case NBT_GT: LOOP2(n, s, y, x, z, v, w, v > w) break;
    case NBT_GE: LOOP2(n, s, y, x, z, v, w, v >= w) break;
    case NBT_RELU_BW: LOOP2(n, s, y, x, z, v, w, M_(nbt_relu_bw)(v, w)) break;
    case NBT_GELU_BW: LOOP2(n, s, y, x, z, v, w, v * ROWS_(dgelu)(w)) break;
    }
}

/* where: p[1] = cond, p[2] = a, p[3] = b, all of type T */
static void ROWS_(where_row)(int64_t n, char **p, const int64_t *s, const void *vctx) {
    (void)vctx;
    T *y = (T *)p[0];
    const T *c = (const T *)p[1], *a = (const T *)p[2], *b = (const T *)p[3];
    for (int64_t i = 0; i < n; i++) y[i * s[0]] = c[i * s[1]] != 0 ? a[i * s[2]] : b[i * s[3]];
}

#undef LOOP1
#undef LOOP2
#undef M_
#undef ERF_
#undef EXP_
#undef ROWS_
