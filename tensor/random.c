/* random.c — random tensors drawn from a torch-compatible generator (generator.c): rand, uniform, randn,
 * normal, randint, randperm and bernoulli draw in torch 1.13's CPU order with torch's transformations, so
 * the same seed gives the same tensors as torch. A NULL generator means the global one. */
#include "nb_internal.h"
#include "nbt_random.h"
#include <math.h>
#include <stdlib.h>

static nb_tensor *new_float(const char *op, nb_dtype dt, int ndim, const int64_t *shape) {
    if (dt != NB_F32 && dt != NB_F64)
        return nbt_error("%s: dtype must be float32 or float64 (got %s; use nb_randint for integers)", op,
                         nb_dtype_name(dt));
    return nbt_shape_ok(op, dt, ndim, shape) ? nbt_new(dt, ndim, shape) : NULL;
}

/* ---- uniform_(from, to): x * (to - from) + from in the tensor's precision ----
 * torch's CPU kernels are built with -mfma and GCC contracts a * b + c into one fused multiply-add
 * there, so the a * b + c steps below are written as fma/fmaf to round exactly as torch does */
static void uniform_fill(nb_generator *gen, nb_tensor *t, double from, double to) {
    if (t->dtype == NB_F32) {
        float *p = (float *)nbt_ptr(t), f = (float)from, w = (float)to - f;
        for (int64_t i = 0; i < t->numel; i++) p[i] = fmaf(nbt_gen_float(gen), w, f);
    } else {
        double *p = (double *)nbt_ptr(t), w = to - from;
        for (int64_t i = 0; i < t->numel; i++) p[i] = fma(nbt_gen_double(gen), w, from);
    }
}

nb_tensor *nb_uniform_gen(nb_dtype dt, int ndim, const int64_t *shape, double from, double to,
                          nb_generator *gen) {
    NBT_API("nb_uniform_gen");
    if (!(from <= to) || !isfinite(to - from))
        return nbt_error("nb_uniform: expects from <= to and a finite range (got from %g, to %g)", from, to);
    nb_tensor *t = new_float("nb_uniform", dt, ndim, shape);
    if (t) uniform_fill(nbt_gen(gen), t, from, to);
    return t;
}

nb_tensor *nb_uniform(nb_dtype dt, int ndim, const int64_t *shape, double from, double to) {
    NBT_API("nb_uniform");
    return nb_uniform_gen(dt, ndim, shape, from, to, NULL);
}

nb_tensor *nb_rand_gen(nb_dtype dt, int ndim, const int64_t *shape, nb_generator *gen) {
    NBT_API("nb_rand_gen");
    nb_tensor *t = new_float("nb_rand", dt, ndim, shape);
    if (t) uniform_fill(nbt_gen(gen), t, 0.0, 1.0);
    return t;
}

nb_tensor *nb_rand(nb_dtype dt, int ndim, const int64_t *shape) {
    NBT_API("nb_rand");
    return nb_rand_gen(dt, ndim, shape, NULL);
}

/* ---- normal_(mean, std) ---- */
/* torch's scalar normal_distribution<double>: theta from the first uniform, radius from the second;
 * the sine branch is cached for the next scalar draw (reset by nb_manual_seed) */
static double normal_scalar(nb_generator *g, double mean, double std) {
    double z;
    if (g->has_normal) {
        g->has_normal = false;
        z = g->next_normal;
    } else {
        double u1 = nbt_gen_double(g), u2 = nbt_gen_double(g);
        double r = sqrt(-2.0 * log(1.0 - u2)), theta = 2.0 * M_PI * u1;
        g->next_normal = r * sin(theta);
        g->has_normal = true;
        z = r * cos(theta);
    }
    return fma(z, std, mean);
}

/* normal_fill_16 for doubles: 8 Box-Muller pairs, u1 = 1 - d[j] and u2 = d[j + 8] */
static void normal16_f64(double *d, double mean, double std) {
    for (int j = 0; j < 8; j++) {
        double u1 = 1 - d[j], u2 = d[j + 8];
        double radius = sqrt(-2 * log(u1)), theta = 2.0 * M_PI * u2;
        d[j] = fma(radius * cos(theta), std, mean);
        d[j + 8] = fma(radius * sin(theta), std, mean);
    }
}

/* torch's f32 normal fill on AVX2 CPUs uses avx_mathfun's log256_ps and sincos256_ps (cephes
 * polynomials in float); these are their scalar transcriptions, operation for operation */
static inline uint32_t fbits(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}
static inline float bitsf(uint32_t u) {
    float x;
    memcpy(&x, &u, 4);
    return x;
}

static float cephes_logf(float x) { /* x > 0 here (1 - uniform is in (0, 1]) */
    if (x < bitsf(0x00800000u)) x = bitsf(0x00800000u);
    int32_t e0 = (int32_t)(fbits(x) >> 23) - 0x7f;
    x = bitsf((fbits(x) & ~0x7f800000u) | fbits(0.5f));
    float e = (float)e0 + 1.0f;
    bool lt = x < (float)0.707106781186547524;
    float tmp = lt ? x : 0.0f;
    x = x - 1.0f;
    e = e - (lt ? 1.0f : 0.0f);
    x = x + tmp;
    float z = x * x, y = (float)7.0376836292E-2;
    static const float p[] = { (float)-1.1514610310E-1, (float)1.1676998740E-1,  (float)-1.2420140846E-1,
                               (float)1.4249322787E-1,  (float)-1.6668057665E-1, (float)2.0000714765E-1,
                               (float)-2.4999993993E-1, (float)3.3333331174E-1 };
    for (int k = 0; k < 8; k++) y = fmaf(y, x, p[k]);
    y = y * x;
    y = fmaf(y, z, e * (float)-2.12194440e-4);
    y = y - z * 0.5f;
    x = x + y;
    return fmaf(e, 0.693359375f, x);
}

static void cephes_sincosf(float x, float *s, float *c) { /* x >= 0 here (2 pi u) */
    uint32_t sign_sin = fbits(x) & 0x80000000u;
    x = bitsf(fbits(x) & 0x7fffffffu);
    float y = x * (float)1.27323954473516;
    int32_t j = (int32_t)y;
    j = (j + 1) & ~1;
    y = (float)j;
    uint32_t swap_sin = (uint32_t)(j & 4) << 29;
    bool poly2 = (j & 2) == 0; /* the sine polynomial goes to the sine */
    x = fmaf(y, -0.78515625f, x);
    x = fmaf(y, (float)-2.4187564849853515625e-4, x);
    x = fmaf(y, (float)-3.77489497744594108e-8, x);
    uint32_t sign_cos = (uint32_t)(~(j - 2) & 4) << 29;
    sign_sin ^= swap_sin;
    float z = x * x;
    float yc = (float)2.443315711809948E-005;
    yc = fmaf(yc, z, (float)-1.388731625493765E-003);
    yc = fmaf(yc, z, (float)4.166664568298827E-002);
    yc = yc * z;
    yc = fmaf(yc, z, -(z * 0.5f));
    yc = yc + 1.0f;
    float ys = (float)-1.9515295891E-4;
    ys = fmaf(ys, z, (float)8.3321608736E-3);
    ys = fmaf(ys, z, (float)-1.6666654611E-1);
    ys = ys * z;
    ys = fmaf(ys, x, x);
    float sv = poly2 ? ys : yc, cv = poly2 ? yc : ys;
    *s = bitsf(fbits(sv) ^ sign_sin);
    *c = bitsf(fbits(cv) ^ sign_cos);
}

static void normal16_f32(float *d, float mean, float std) {
    const float two_pi = (float)(2.0 * M_PI);
    for (int j = 0; j < 8; j++) {
        float u1 = 1.0f - d[j], u2 = d[j + 8], s, c;
        float radius = sqrtf(-2.0f * cephes_logf(u1));
        cephes_sincosf(two_pi * u2, &s, &c);
        d[j] = fmaf(radius * c, std, mean);
        d[j + 8] = fmaf(radius * s, std, mean);
    }
}

static void normal_fill(nb_generator *gen, nb_tensor *t, double mean, double std) {
    int64_t n = t->numel;
    if (n < 16) { /* torch's per-element path */
        for (int64_t i = 0; i < n; i++) {
            double v = normal_scalar(gen, mean, std);
            if (t->dtype == NB_F32)
                ((float *)nbt_ptr(t))[i] = (float)v;
            else
                ((double *)nbt_ptr(t))[i] = v;
        }
        return;
    }
    /* uniforms for every element, Box-Muller in blocks of 16; a ragged tail redraws the last 16 */
    uniform_fill(gen, t, 0.0, 1.0);
    if (t->dtype == NB_F32) {
        float *p = (float *)nbt_ptr(t), m = (float)mean, s = (float)std;
        for (int64_t i = 0; i + 16 <= n; i += 16) normal16_f32(p + i, m, s);
        if (n % 16) {
            for (int k = 0; k < 16; k++) p[n - 16 + k] = nbt_gen_float(gen);
            normal16_f32(p + n - 16, m, s);
        }
    } else {
        double *p = (double *)nbt_ptr(t);
        for (int64_t i = 0; i + 16 <= n; i += 16) normal16_f64(p + i, mean, std);
        if (n % 16) {
            for (int k = 0; k < 16; k++) p[n - 16 + k] = nbt_gen_double(gen);
            normal16_f64(p + n - 16, mean, std);
        }
    }
}

nb_tensor *nb_normal_gen(nb_dtype dt, int ndim, const int64_t *shape, double mean, double std,
                         nb_generator *gen) {
    NBT_API("nb_normal_gen");
    if (!(std >= 0) || !isfinite(mean) || !isfinite(std))
        return nbt_error("nb_normal: expects a finite mean and std >= 0 (got mean %g, std %g)", mean, std);
    nb_tensor *t = new_float("nb_normal", dt, ndim, shape);
    if (t) normal_fill(nbt_gen(gen), t, mean, std);
    return t;
}

nb_tensor *nb_normal(nb_dtype dt, int ndim, const int64_t *shape, double mean, double std) {
    NBT_API("nb_normal");
    return nb_normal_gen(dt, ndim, shape, mean, std, NULL);
}

nb_tensor *nb_randn_gen(nb_dtype dt, int ndim, const int64_t *shape, nb_generator *gen) {
    NBT_API("nb_randn_gen");
    nb_tensor *t = new_float("nb_randn", dt, ndim, shape);
    if (t) normal_fill(nbt_gen(gen), t, 0.0, 1.0);
    return t;
}

nb_tensor *nb_randn(nb_dtype dt, int ndim, const int64_t *shape) {
    NBT_API("nb_randn");
    return nb_randn_gen(dt, ndim, shape, NULL);
}

/* ---- integers ---- */
nb_tensor *nb_randint_gen(int64_t low, int64_t high, int ndim, const int64_t *shape, nb_generator *gen) {
    NBT_API("nb_randint_gen");
    if (high <= low)
        return nbt_error("nb_randint: empty range [%lld, %lld)", (long long)low, (long long)high);
    nb_tensor *t = nbt_shape_ok("nb_randint", NB_I64, ndim, shape) ? nbt_new(NB_I64, ndim, shape) : NULL;
    if (!t) return NULL;
    gen = nbt_gen(gen);
    int64_t *p = (int64_t *)nbt_ptr(t);
    uint64_t range = (uint64_t)high - (uint64_t)low; /* torch's random_from_to: modulo, no rejection */
    for (int64_t i = 0; i < t->numel; i++) {
        uint64_t v = range >= (1ull << 32) ? nbt_gen_u64(gen) : nbt_gen_u32(gen);
        p[i] = (int64_t)(v % range + (uint64_t)low);
    }
    return t;
}

nb_tensor *nb_randint(int64_t low, int64_t high, int ndim, const int64_t *shape) {
    NBT_API("nb_randint");
    return nb_randint_gen(low, high, ndim, shape, NULL);
}

/* torch 1.13's randperm_cpu: identity, then for each i swap with i + random() % (n - i) */
nb_tensor *nb_randperm_gen(int64_t n, nb_generator *gen) {
    NBT_API("nb_randperm_gen");
    if (n < 0) return nbt_error("nb_randperm: n must be non-negative (got %lld)", (long long)n);
    nb_tensor *t = nbt_new(NB_I64, 1, (int64_t[]){ n });
    if (!t) return NULL;
    gen = nbt_gen(gen);
    int64_t *p = (int64_t *)nbt_ptr(t);
    for (int64_t i = 0; i < n; i++) p[i] = i;
    for (int64_t i = 0; i < n - 1; i++) {
        int64_t z = (int64_t)(nbt_gen_u32(gen) % (uint64_t)(n - i)), tmp = p[i];
        p[i] = p[i + z];
        p[i + z] = tmp;
    }
    return t;
}

nb_tensor *nb_randperm(int64_t n) {
    NBT_API("nb_randperm");
    return nb_randperm_gen(n, NULL);
}

/* torch.bernoulli(p): out[i] = (uniform < p[i]), the uniform a float draw (24 bits) for f32 p and a double
 * draw (53 bits) for f64 p, in row-major order (bernoulli_tensor_cpu_kernel's serial loop) */
nb_tensor *nb_bernoulli_gen(const nb_tensor *p, nb_generator *gen) {
    NBT_API("nb_bernoulli_gen");
    if (!nbt_ok(p, "nb_bernoulli")) return NULL;
    if (!nbt_is_float(p->dtype))
        return nbt_error("nb_bernoulli: p must be float32 or float64 (got %s)", nb_dtype_name(p->dtype));
    nb_tensor *t = nbt_new(p->dtype, p->ndim, p->shape);
    if (!t) return NULL;
    double *pd = malloc(sizeof(double) * (size_t)(p->numel ? p->numel : 1));
    if (!pd) {
        nb_free(t);
        return nbt_oom(sizeof(double) * (size_t)(p->numel ? p->numel : 1), "a copy of the probabilities");
    }
    nb_to_doubles(p, pd);
    for (int64_t i = 0; i < p->numel; i++)
        if (!(pd[i] >= 0 && pd[i] <= 1)) {
            double bad = pd[i];
            free(pd);
            nb_free(t);
            return nbt_error("nb_bernoulli: expects every p in [0, 1] (got %g at flat index %lld)", bad,
                             (long long)i);
        }
    gen = nbt_gen(gen);
    if (p->dtype == NB_F32) {
        float *o = (float *)nbt_ptr(t);
        for (int64_t i = 0; i < p->numel; i++) o[i] = nbt_gen_float(gen) < (float)pd[i] ? 1.0f : 0.0f;
    } else {
        double *o = (double *)nbt_ptr(t);
        for (int64_t i = 0; i < p->numel; i++) o[i] = nbt_gen_double(gen) < pd[i] ? 1.0 : 0.0;
    }
    free(pd);
    return t;
}

nb_tensor *nb_bernoulli(const nb_tensor *p) {
    NBT_API("nb_bernoulli");
    return nb_bernoulli_gen(p, NULL);
}
