/* test_pool.c — the spatial ops (pooling, pad, interpolate, pixel shuffle, view helpers) against
 * PyTorch 1.13 (tests/golden/pool.txt, made by tools/gen_golden_pool.py): every case runs with a
 * contiguous and a non-contiguous input and compares the output, the indices, the gradient of
 * input 0 and torch's errors (the message must contain the start of torch's). */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* ---- the golden file ---- */
typedef tl_golden gt; /* "<kw> <tensor>" lines */

#define MAXIN 3
typedef struct {
    char name[64], op[32];
    nb_dtype dt;
    int np;
    double p[32];
    int nin;
    gt in[MAXIN], out, idx, gout, grad;
    bool has_idx, has_grad, error;
    char err[64];
    int line;
} gcase;

static void free_case(gcase *c) {
    for (int i = 0; i < c->nin; i++) free(c->in[i].v);
    free(c->out.v);
    free(c->idx.v);
    free(c->gout.v);
    free(c->grad.v);
    memset(c, 0, sizeof *c);
}

/* t as a tensor; strided: the same values as a permuted view of a column-major buffer (so kernels
 * must honour strides). 0-d and empty tensors stay contiguous. */
static nb_tensor *make(const gt *t, bool strided) {
    int64_t shp[NB_MAX_DIMS];
    double *v = malloc(sizeof(double) * (size_t)(t->n ? t->n : 1));
    bool perm = strided && t->ndim > 1 && t->n > 0;
    for (int i = 0; i < t->ndim; i++) shp[i] = perm ? t->shape[t->ndim - 1 - i] : t->shape[i];
    for (int64_t k = 0; k < t->n; k++) {
        int64_t r = k, off = 0, st = 1, ix[NB_MAX_DIMS];
        for (int i = t->ndim - 1; i >= 0; i--) {
            ix[i] = r % t->shape[i];
            r /= t->shape[i];
        }
        for (int i = 0; perm && i < t->ndim; i++) {
            off += ix[i] * st;
            st *= t->shape[i];
        }
        v[perm ? off : k] = t->v[k];
    }
    nb_tensor *x;
    if (t->dt == NB_F64) {
        x = nb_tensor_from(NB_F64, v, t->ndim, shp, false);
    } else if (t->dt == NB_F32) {
        float *f = malloc(sizeof(float) * (size_t)(t->n ? t->n : 1));
        for (int64_t i = 0; i < t->n; i++) f[i] = (float)v[i];
        x = nb_tensor_from(NB_F32, f, t->ndim, shp, false);
        free(f);
    } else {
        int64_t *q = malloc(sizeof(int64_t) * (size_t)(t->n ? t->n : 1));
        for (int64_t i = 0; i < t->n; i++) q[i] = (int64_t)v[i];
        x = nb_tensor_from(NB_I64, q, t->ndim, shp, false);
        free(q);
    }
    free(v);
    if (perm) {
        int pm[NB_MAX_DIMS];
        for (int i = 0; i < t->ndim; i++) pm[i] = t->ndim - 1 - i;
        x = nb_permute(x, t->ndim, pm);
    }
    return x;
}

/* ---- dispatch: op name -> nabla call; o[1] receives indices where the op has them ---- */
typedef void (*run_fn)(const gcase *c, nb_tensor **x, nb_tensor **o);
#define P(i) ((int64_t)c->p[i])

static void r_max_pool2d(const gcase *c, nb_tensor **x, nb_tensor **o) {
    nb_max_pool2d_opts op = { .kernel_size = { P(0), P(1) },
                              .stride = { P(2), P(3) },
                              .padding = { P(4), P(5) },
                              .dilation = { P(6), P(7) },
                              .ceil_mode = P(8) != 0 };
    o[0] = nb_max_pool2d_with_indices(x[0], op, &o[1]);
}

static void r_avg_pool2d(const gcase *c, nb_tensor **x, nb_tensor **o) {
    nb_avg_pool2d_opts op = { .kernel_size = { P(0), P(1) },
                              .stride = { P(2), P(3) },
                              .padding = { P(4), P(5) },
                              .ceil_mode = P(6) != 0,
                              .no_count_include_pad = P(7) != 0,
                              .divisor_override = P(8) };
    o[0] = nb_avg_pool2d(x[0], op);
}
static void r_max_pool1d(const gcase *c, nb_tensor **x, nb_tensor **o) {
    nb_max_pool1d_opts op = {
        .kernel_size = P(0), .stride = P(1), .padding = P(2), .dilation = P(3), .ceil_mode = P(4) != 0
    };
    o[0] = nb_max_pool1d_with_indices(x[0], op, &o[1]);
}
static void r_avg_pool1d(const gcase *c, nb_tensor **x, nb_tensor **o) {
    nb_avg_pool1d_opts op = { .kernel_size = P(0),
                              .stride = P(1),
                              .padding = P(2),
                              .ceil_mode = P(3) != 0,
                              .no_count_include_pad = P(4) != 0 };
    o[0] = nb_avg_pool1d(x[0], op);
}
static void r_adaptive_avg_pool2d(const gcase *c, nb_tensor **x, nb_tensor **o) {
    o[0] = nb_adaptive_avg_pool2d(x[0], P(0), P(1));
}
static void r_adaptive_max_pool2d(const gcase *c, nb_tensor **x, nb_tensor **o) {
    o[0] = nb_adaptive_max_pool2d_with_indices(x[0], P(0), P(1), &o[1]);
}
static void r_max_unpool2d(const gcase *c, nb_tensor **x, nb_tensor **o) {
    nb_max_unpool2d_opts op = { .kernel_size = { P(0), P(1) },
                                .stride = { P(2), P(3) },
                                .padding = { P(4), P(5) },
                                .output_size = { P(6), P(7) } };
    o[0] = nb_max_unpool2d(x[0], x[1], op);
}

static void r_pad(const gcase *c, nb_tensor **x, nb_tensor **o) {
    int64_t pads[16];
    for (int i = 0; i < P(2) && i < 16; i++) pads[i] = P(3 + i);
    o[0] = nb_pad(x[0], (int)P(2), pads, (nb_pad_opts){ .mode = (nb_pad_mode)P(0), .value = c->p[1] });
}
static void r_interpolate(const gcase *c, nb_tensor **x, nb_tensor **o) {
    nb_interpolate_opts op = { .mode = (nb_interp_mode)P(0),
                               .size = { P(1), P(2) },
                               .scale_factor = { c->p[3], c->p[4] },
                               .align_corners = P(5) != 0,
                               .recompute_scale_factor = P(6) != 0 };
    o[0] = nb_interpolate(x[0], op);
}
static void r_pixel_shuffle(const gcase *c, nb_tensor **x, nb_tensor **o) {
    o[0] = nb_pixel_shuffle(x[0], P(0));
}
static void r_pixel_unshuffle(const gcase *c, nb_tensor **x, nb_tensor **o) {
    o[0] = nb_pixel_unshuffle(x[0], P(0));
}
static void r_view_as(const gcase *c, nb_tensor **x, nb_tensor **o) {
    (void)c;
    o[0] = nb_view_as(x[0], x[1]);
}
static void r_unflatten(const gcase *c, nb_tensor **x, nb_tensor **o) {
    int64_t sz[8];
    for (int i = 0; i < P(1) && i < 8; i++) sz[i] = P(2 + i);
    o[0] = nb_unflatten(x[0], (int)P(0), (int)P(1), sz);
}

static void r_dropout2d(const gcase *c, nb_tensor **x, nb_tensor **o) {
    nb_manual_seed((uint64_t)P(1));
    o[0] = nb_dropout2d(x[0], c->p[0], true);
}

/* ---- modules, by key: the print lines and the "module" cases (keyed by case name) ---- */
static nb_module *make_module(const char *key) {
    static const int64_t s24[] = { 2, 4 }, s6[] = { 6 }, s23[] = { 2, 3 };
    if (!strcmp(key, "maxpool2d_k2"))
        return nb_max_pool2d_new((nb_max_pool2d_opts){ .kernel_size = { 2 } }, false);
    if (!strcmp(key, "maxpool2d_full"))
        return nb_max_pool2d_new((nb_max_pool2d_opts){ .kernel_size = { 3, 2 },
                                                       .stride = { 1 },
                                                       .padding = { 1, 1 },
                                                       .dilation = { 2 },
                                                       .ceil_mode = true },
                                 false);
    if (!strcmp(key, "maxpool1d_k3"))
        return nb_max_pool1d_new((nb_max_pool1d_opts){ .kernel_size = 3 }, false);
    if (!strcmp(key, "maxpool1d_full"))
        return nb_max_pool1d_new((nb_max_pool1d_opts){ 3, 2, 1, 2, true }, true);
    if (!strcmp(key, "avgpool2d_k2")) return nb_avg_pool2d_new((nb_avg_pool2d_opts){ .kernel_size = { 2 } });
    if (!strcmp(key, "avgpool2d_full"))
        return nb_avg_pool2d_new((nb_avg_pool2d_opts){ .kernel_size = { 2, 3 },
                                                       .stride = { 1 },
                                                       .padding = { 1, 1 },
                                                       .ceil_mode = true,
                                                       .no_count_include_pad = true,
                                                       .divisor_override = 3 });
    if (!strcmp(key, "avgpool1d_k3")) return nb_avg_pool1d_new((nb_avg_pool1d_opts){ .kernel_size = 3 });
    if (!strcmp(key, "adaptiveavg_23")) return nb_adaptive_avg_pool2d_new(2, 3);
    if (!strcmp(key, "adaptiveavg_1")) return nb_adaptive_avg_pool2d_new(1, 1);
    if (!strcmp(key, "adaptivemax_57")) return nb_adaptive_max_pool2d_new(5, 7, false);
    if (!strcmp(key, "maxunpool2d_k2"))
        return nb_max_unpool2d_new((nb_max_unpool2d_opts){ .kernel_size = { 2 } });
    if (!strcmp(key, "zeropad2d")) return nb_zero_pad2d_new(1, 2, 3, 4);
    if (!strcmp(key, "constantpad2d")) return nb_constant_pad2d_new(1, 1, 1, 1, 3.5);
    if (!strcmp(key, "reflectionpad2d")) return nb_reflection_pad2d_new(2, 2, 2, 2);
    if (!strcmp(key, "replicationpad2d")) return nb_replication_pad2d_new(1, 0, 1, 0);
    if (!strcmp(key, "upsample_x2")) return nb_upsample_new((nb_interpolate_opts){ .scale_factor = { 2 } });
    if (!strcmp(key, "upsample_size_bil"))
        return nb_upsample_new(
            (nb_interpolate_opts){ .size = { 3, 4 }, .mode = NB_INTERP_BILINEAR, .align_corners = true });
    if (!strcmp(key, "upsample_scales_bil"))
        return nb_upsample_new(
            (nb_interpolate_opts){ .scale_factor = { 2.0, 1.5 }, .mode = NB_INTERP_BILINEAR });
    if (!strcmp(key, "pixelshuffle3")) return nb_pixel_shuffle_new(3);
    if (!strcmp(key, "pixelunshuffle2")) return nb_pixel_unshuffle_new(2);
    if (!strcmp(key, "dropout2d")) return nb_dropout2d_new(0.5);
    if (!strcmp(key, "dropout2d_03")) return nb_dropout2d_new(0.3);
    if (!strcmp(key, "unflatten")) return nb_unflatten_new(1, 2, s24);
    if (!strcmp(key, "unflatten1")) return nb_unflatten_new(-1, 1, s6);
    if (!strcmp(key, "flatten")) return nb_flatten_new(1, -1);
    if (!strcmp(key, "flatten23")) return nb_flatten_new(2, 3);
    if (!strcmp(key, "cnn"))
        return nb_sequential_new(5, nb_zero_pad2d_new(1, 1, 1, 1),
                                 nb_max_pool2d_new((nb_max_pool2d_opts){ .kernel_size = { 2 } }, false),
                                 nb_dropout2d_new(0.25), nb_adaptive_avg_pool2d_new(1, 1),
                                 nb_flatten_new(1, -1));
    if (!strcmp(key, "m_maxpool2d"))
        return nb_max_pool2d_new(
            (nb_max_pool2d_opts){
                .kernel_size = { 3 }, .stride = { 2 }, .padding = { 1, 1 }, .ceil_mode = true },
            false);
    if (!strcmp(key, "m_avgpool2d"))
        return nb_avg_pool2d_new((nb_avg_pool2d_opts){
            .kernel_size = { 3 }, .stride = { 2 }, .padding = { 1, 1 }, .no_count_include_pad = true });
    if (!strcmp(key, "m_reflectionpad2d")) return nb_reflection_pad2d_new(1, 2, 0, 3);
    if (!strcmp(key, "m_upsample_bil"))
        return nb_upsample_new((nb_interpolate_opts){ .scale_factor = { 1.5 }, .mode = NB_INTERP_BILINEAR });
    if (!strcmp(key, "m_pixelshuffle2")) return nb_pixel_shuffle_new(2);
    if (!strcmp(key, "m_unflatten")) return nb_unflatten_new(1, 2, s23);
    return NULL;
}
static void r_module(const gcase *c, nb_tensor **x, nb_tensor **o) {
    nb_module *m = make_module(c->name);
    if (!m) {
        fprintf(stderr, "FAIL %s: no module for this key\n", c->name);
        return;
    }
    o[0] = nb_module_forward(m, x[0]); /* the result belongs to the case's scope, not to m */
    nb_module_free(m);
}

/* print(module) against torch's text */
static bool check_print(const char *key, const char *want) {
    nb_module *m = make_module(key);
    if (!m) {
        fprintf(stderr, "FAIL print %s: no module for this key\n", key);
        return false;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    nb_module_fprint(f, m);
    fclose(f);
    nb_module_free(m);
    if (len && buf[len - 1] == '\n') buf[--len] = 0;
    bool ok = !strcmp(buf, want);
    if (!ok) fprintf(stderr, "FAIL print %s:\n  nabla: %s\n  torch: %s\n", key, buf, want);
    free(buf);
    return ok;
}

static const struct {
    const char *name;
    run_fn fn;
} ops[] = {
    { "max_pool2d", r_max_pool2d },
    { "avg_pool2d", r_avg_pool2d },
    { "max_pool1d", r_max_pool1d },
    { "avg_pool1d", r_avg_pool1d },
    { "adaptive_avg_pool2d", r_adaptive_avg_pool2d },
    { "adaptive_max_pool2d", r_adaptive_max_pool2d },
    { "max_unpool2d", r_max_unpool2d },
    { "pad", r_pad },
    { "interpolate", r_interpolate },
    { "pixel_shuffle", r_pixel_shuffle },
    { "pixel_unshuffle", r_pixel_unshuffle },
    { "view_as", r_view_as },
    { "unflatten", r_unflatten },
    { "dropout2d", r_dropout2d },
    { "module", r_module },
};
#define NOPS ((int)(sizeof ops / sizeof ops[0]))

/* ---- comparison ---- */
static double tol_for(nb_dtype dt) { return dt == NB_F64 ? 1e-10 : 1e-5; }
static bool close_to(double a, double b, double tol) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b)) return a == b;
    return fabs(a - b) <= tol * (1 + fabs(b));
}
static bool compare(const gcase *c, const char *mode, const char *what, const nb_tensor *t, const gt *want) {
    if (!t) {
        fprintf(stderr, "FAIL %s (line %d, %s): %s is NULL: %s\n", c->name, c->line, mode, what,
                nb_error() ? nb_error() : "-");
        return false;
    }
    bool ok = t->ndim == want->ndim && t->dtype == want->dt;
    for (int i = 0; ok && i < t->ndim; i++) ok = t->shape[i] == want->shape[i];
    if (!ok) {
        char buf[64];
        fprintf(stderr, "FAIL %s (line %d, %s): %s has shape %s dtype %s, torch %s\n", c->name, c->line, mode,
                what, nb_shape_str(t, buf, sizeof buf), nb_dtype_name(t->dtype), nb_dtype_name(want->dt));
        return false;
    }
    double *v = malloc(sizeof(double) * (size_t)(want->n ? want->n : 1));
    nb_to_doubles(t, v);
    for (int64_t i = 0; ok && i < want->n; i++)
        if (!close_to(v[i], want->v[i], want->dt == NB_I64 ? 0 : tol_for(want->dt))) {
            fprintf(stderr, "FAIL %s (line %d, %s): %s[%lld] = %.17g, torch %.17g\n", c->name, c->line, mode,
                    what, (long long)i, v[i], want->v[i]);
            ok = false;
        }
    free(v);
    return ok;
}

static int used[NOPS];
static bool run_case(const gcase *c, bool strided) {
    const char *mode = strided ? "non-contiguous input" : "contiguous input";
    run_fn fn = NULL;
    for (int i = 0; i < NOPS; i++)
        if (!strcmp(ops[i].name, c->op)) {
            fn = ops[i].fn;
            used[i]++;
        }
    if (!fn) {
        fprintf(stderr, "FAIL %s: no dispatch entry for op '%s'\n", c->name, c->op);
        return false;
    }
    nb_clear_error();
    nb_scope s = nb_scope_begin();
    nb_tensor *x[MAXIN] = { 0 }, *o[2] = { 0 };
    for (int i = 0; i < c->nin; i++) x[i] = make(&c->in[i], strided);
    if (x[0] && x[0]->dtype != NB_I64) nb_requires_grad_(x[0], true);
    fn(c, x, o);
    bool ok = true;
    /* view_as flattens (2,3,4) to (4,6): impossible without a copy on the permuted input, as in torch */
    if (strided && !strcmp(c->op, "view_as") && !c->error) {
        ok = !o[0] && nb_error() && strstr(nb_error(), "nb_view");
        if (!ok)
            fprintf(stderr, "FAIL %s: view_as of a non-contiguous input must fail like torch's\n", c->name);
    } else if (c->error) {
        const char *e = nb_error();
        ok = !o[0] && e && !strncmp(e, "nb_", 3) && strstr(e, c->err);
        if (!ok)
            fprintf(stderr, "FAIL %s (line %d, %s): torch raises '%s...', nabla gave %s / %s\n", c->name,
                    c->line, mode, c->err, o[0] ? "a tensor" : "NULL", e ? e : "no error");
    } else {
        ok = compare(c, mode, "output", o[0], &c->out);
        if (ok && c->has_idx) ok = compare(c, mode, "indices", o[1], &c->idx);
        if (ok && c->has_grad) {
            if (nb_backward_ex(o[0], (nb_backward_opts){ .grad = make(&c->gout, false) }) != NB_OK) {
                fprintf(stderr, "FAIL %s (line %d, %s): backward: %s\n", c->name, c->line, mode, nb_error());
                ok = false;
            } else {
                ok = compare(c, mode, "grad", nb_grad_of(x[0]), &c->grad);
            }
        }
        if (ok && nb_error()) {
            fprintf(stderr, "FAIL %s: error left behind: %s\n", c->name, nb_error());
            ok = false;
        }
    }
    nb_scope_end(s);
    nb_clear_error();
    return ok;
}

/* ---- gradcheck / gradgradcheck of the composites (pad, interpolate, shuffles, unflatten, dropout2d);
 *      the recorded pooling ops are checked through the op table in test_gradcheck_ops ---- */
typedef struct {
    int kind;
    int64_t a[8];
    double f[2];
} gprm;
static nb_tensor *gfn(nb_tensor *const *x, int n, void *ctx) {
    (void)n;
    const gprm *p = ctx;
    switch (p->kind) {
    case 0: return nb_pad(x[0], 4, p->a, (nb_pad_opts){ .mode = (nb_pad_mode)p->a[4], .value = p->f[0] });
    case 1:
        return nb_interpolate(x[0], (nb_interpolate_opts){ .size = { p->a[0], p->a[1] },
                                                           .mode = (nb_interp_mode)p->a[2],
                                                           .align_corners = p->a[3] != 0 });
    case 2: return nb_pixel_shuffle(x[0], p->a[0]);
    case 3: return nb_pixel_unshuffle(x[0], p->a[0]);
    case 4: return nb_unflatten(x[0], 1, 2, p->a);
    case 5: nb_manual_seed(5); return nb_dropout2d(x[0], 0.4, true);
    default: return nb_max_pool1d(x[0], (nb_max_pool1d_opts){ .kernel_size = 2 });
    }
}
static nb_tensor *rnd64(int nd, const int64_t *shape) {
    nb_tensor *t = nb_detach(nb_uniform(NB_F64, nd, shape, -2, 2));
    return nb_requires_grad_(t, true);
}
static void gradchecks(void) {
    nb_manual_seed(99);
    struct {
        const char *what;
        gprm p;
        int nd;
        int64_t shape[4];
    } cs[] = {
        { "pad constant (1,2,-1,1) value 0.5",
          { 0, { 1, 2, -1, 1, NB_PAD_CONSTANT }, { 0.5, 0 } },
          4,
          { 1, 2, 3, 4 } },
        { "pad reflect (2,1,1,2)", { 0, { 2, 1, 1, 2, NB_PAD_REFLECT }, { 0 } }, 4, { 1, 2, 3, 4 } },
        { "pad replicate (3,0,1,2)", { 0, { 3, 0, 1, 2, NB_PAD_REPLICATE }, { 0 } }, 4, { 1, 2, 3, 4 } },
        { "pad circular (1,2,2,1)", { 0, { 1, 2, 2, 1, NB_PAD_CIRCULAR }, { 0 } }, 4, { 1, 2, 3, 4 } },
        { "interpolate nearest (3,4)->(5,7)",
          { 1, { 5, 7, NB_INTERP_NEAREST, 0 }, { 0 } },
          4,
          { 1, 2, 3, 4 } },
        { "interpolate bilinear (3,4)->(5,7)",
          { 1, { 5, 7, NB_INTERP_BILINEAR, 0 }, { 0 } },
          4,
          { 1, 2, 3, 4 } },
        { "interpolate bilinear align_corners (3,4)->(2,6)",
          { 1, { 2, 6, NB_INTERP_BILINEAR, 1 }, { 0 } },
          4,
          { 2, 1, 3, 4 } },
        { "pixel_shuffle 2", { 2, { 2 }, { 0 } }, 4, { 1, 8, 2, 3 } },
        { "pixel_unshuffle 2", { 3, { 2 }, { 0 } }, 4, { 1, 2, 4, 2 } },
        { "unflatten (2,3)", { 4, { 2, 3 }, { 0 } }, 3, { 2, 6, 2 } },
        { "dropout2d p 0.4 (fixed seed)", { 5, { 0 }, { 0 } }, 4, { 3, 4, 2, 2 } },
        { "max_pool1d k2", { 6, { 0 }, { 0 } }, 3, { 2, 2, 6 } },
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        nb_scope sc = nb_scope_begin();
        nb_tensor *x = rnd64(cs[i].nd, cs[i].shape);
        bool ok = nb_gradcheck(gfn, &cs[i].p, 1, &x, (nb_gradcheck_opts){ 0 }) &&
                  nb_gradgradcheck(gfn, &cs[i].p, 1, &x, (nb_gradcheck_opts){ 0 });
        if (!ok) fprintf(stderr, "FAIL gradcheck %s: %s\n", cs[i].what, nb_error() ? nb_error() : "mismatch");
        CHECK(ok);
        nb_scope_end(sc);
        nb_clear_error();
    }
}

/* ---- bitwise the same at 1 and 2 threads (inputs large enough to start OpenMP) ---- */
static nb_tensor *pool_all(nb_tensor *x) {
    nb_tensor *a = nb_max_pool2d(
        x, (nb_max_pool2d_opts){ .kernel_size = { 3 }, .stride = { 1 }, .padding = { 1, 1 } });
    nb_tensor *b = nb_avg_pool2d(
        x, (nb_avg_pool2d_opts){ .kernel_size = { 3 }, .stride = { 2 }, .padding = { 1, 1 } });
    nb_tensor *c = nb_adaptive_avg_pool2d(x, 5, 7);
    return nb_add(nb_add(nb_sum(nb_mul(a, a)), nb_sum(nb_mul(b, b))), nb_sum(nb_mul(c, c)));
}
static void threads_bitwise(void) {
    nb_manual_seed(7);
    nb_tensor *x = nb_requires_grad_(nb_randn(NB_F32, NB_SHAPE(8, 16, 32, 32)), true);
    float *g[2] = { 0 };
    double v[2] = { 0 };
    for (int t = 0; t < 2; t++) {
        nb_set_num_threads(t + 1);
        nb_scope s = nb_scope_begin();
        nb_tensor *y = pool_all(x);
        v[t] = nb_item(y);
        CHECK(nb_backward(y) == NB_OK);
        g[t] = malloc(sizeof(float) * (size_t)x->numel);
        memcpy(g[t], nb_data_f32(x->grad), sizeof(float) * (size_t)x->numel);
        nb_zero_grad(x);
        nb_scope_end(s);
    }
    nb_set_num_threads(0);
    CHECK(v[0] == v[1]);
    CHECK(!memcmp(g[0], g[1], sizeof(float) * (size_t)x->numel));
    free(g[0]);
    free(g[1]);
    nb_free(x);
}

/* ---- lifetimes, pass-through, modules with several inputs / outputs ---- */
/* 2x2 stride-2 windows (the branch-free path): NaN anywhere in a window wins, the last NaN's index if several;
 * otherwise the first maximum (torch's `val > maxval || isnan(val)` loop; checked against torch 1.13 by hand:
 * [[1, nan, 3, 3], [2, 0, nan, nan]] gives nan, nan at 1, 7). One window per pattern, f32 and f64. */
static void pairs_nan_and_ties(void) {
    const double N = NAN, I = INFINITY;
    /* per window: its 4 values in order (top-left, top-right, bottom-left, bottom-right), the expected flat
     * position within the window (0-3) */
    static const struct {
        double v[4];
        int at;
    } w[] = { { { N, 1, 2, 3 }, 0 },   { { 1, N, 2, 3 }, 1 }, { { 1, 2, N, 3 }, 2 },
              { { 1, 2, 3, N }, 3 },   { { N, 1, N, 3 }, 2 }, { { 1, N, 2, N }, 3 },
              { { N, N, 0, 0 }, 1 },   { { 9, 1, 2, 3 }, 0 }, { { 1, 9, 2, 3 }, 1 },
              { { 1, 2, 9, 3 }, 2 },   { { 1, 2, 3, 9 }, 3 }, { { 5, 5, 5, 5 }, 0 },
              { { 1, 5, 5, 5 }, 1 },   { { 1, 2, 5, 5 }, 2 }, { { -I, -I, -I, -I }, 0 },
              { { -I, -I, -I, 4 }, 3 } };
    enum { NW = (int)(sizeof w / sizeof w[0]) };
    for (int d = 0; d < 2; d++) {
        nb_dtype dt = d ? NB_F64 : NB_F32;
        nb_scope sc = nb_scope_begin();
        double vals[2 * 2 * NW];
        for (int k = 0; k < NW; k++)
            for (int q = 0; q < 4; q++) vals[(q / 2) * 2 * NW + 2 * k + q % 2] = w[k].v[q];
        float f[2 * 2 * NW];
        for (int i = 0; i < 4 * NW; i++) f[i] = (float)vals[i];
        nb_tensor *x = nb_tensor_from(dt, d ? (const void *)vals : (const void *)f, NB_SHAPE(1, 1, 2, 2 * NW),
                                      false);
        nb_tensor *idx = NULL;
        nb_tensor *y = nb_max_pool2d_with_indices(x, (nb_max_pool2d_opts){ .kernel_size = { 2, 2 } }, &idx);
        CHECK(y != NULL && idx != NULL);
        for (int k = 0; y && idx && k < NW; k++) {
            int q = w[k].at;
            int64_t want_i = (q / 2) * 2 * NW + 2 * k + q % 2,
                    got_i = (int64_t)nb_get(idx, (const int64_t[]){ 0, 0, 0, k });
            double want = w[k].v[q], got = nb_get(y, (const int64_t[]){ 0, 0, 0, k });
            CHECK(got_i == want_i);
            CHECK(isnan(want) ? isnan(got) : got == want);
        }
        nb_scope_end(sc);
    }
}

static void lifetimes_and_errors(void) {
    /* a composite outside any scope, nothing recorded: only its result is left, freed by the caller */
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(1, 2, 5, 5)), *v1 = nb_narrow(x, 2, 0, 4),
              *v = nb_narrow(v1, 3, 0, 4);
    nb_tensor *x1 = nb_randn(NB_F64, NB_SHAPE(2, 3, 7)), *idx1 = NULL;
    nb_memory_stats s0 = nb_memory_stats_get();
    nb_tensor *ys[] = { nb_pad(x, NB_SHAPE(1, 1, 2, 2), (nb_pad_opts){ .mode = NB_PAD_REFLECT }),
                        nb_interpolate(
                            x, (nb_interpolate_opts){ .scale_factor = { 1.5 }, .mode = NB_INTERP_BILINEAR }),
                        nb_pixel_unshuffle(v, 2),
                        nb_avg_pool1d(x1, (nb_avg_pool1d_opts){ .kernel_size = 2 }),
                        nb_max_pool1d_with_indices(x1, (nb_max_pool1d_opts){ .kernel_size = 2 }, &idx1),
                        NULL };
    ys[5] = idx1;
    for (int i = 0; i < 6; i++) {
        CHECK(ys[i] != NULL);
        nb_free(ys[i]);
    }
    nb_memory_stats s1 = nb_memory_stats_get();
    CHECK(s1.tensors_live == s0.tensors_live);
    nb_free(v);
    nb_free(v1);
    nb_free(x1);
    /* NULL passes through without an error; a released tensor is an error naming the function */
    nb_clear_error();
    CHECK(nb_max_pool2d(NULL, (nb_max_pool2d_opts){ .kernel_size = { 2 } }) == NULL && !nb_error());
    CHECK(nb_pad(NULL, NB_SHAPE(1, 1), (nb_pad_opts){ 0 }) == NULL && !nb_error());
    CHECK(nb_interpolate(NULL, (nb_interpolate_opts){ .scale_factor = { 2 } }) == NULL && !nb_error());
    nb_tensor *dead = nb_zeros(NB_F32, NB_SHAPE(1, 1, 4, 4));
    nb_free(dead);
    CHECK_ERR(nb_avg_pool2d(dead, (nb_avg_pool2d_opts){ .kernel_size = { 2 } }));
    CHECK(nb_max_pool2d(x, (nb_max_pool2d_opts){ .kernel_size = { 9 } }) == NULL &&
          strstr(nb_error(), "nb_max_pool2d"));
    nb_clear_error();
    /* MaxPool2d(return_indices=True) -> MaxUnpool2d(x, indices) through the general forward */
    nb_scope s = nb_scope_begin();
    nb_module *mp = nb_max_pool2d_new((nb_max_pool2d_opts){ .kernel_size = { 2 } }, true);
    nb_module *mu = nb_max_unpool2d_new(
        (nb_max_unpool2d_opts){ .kernel_size = { 2 }, .output_size = { 5, 5 } });
    nb_tensor *out[2] = { 0 }, *back = NULL;
    CHECK(nb_module_forward_ex(mp, 1, &x, NULL, 2, out) == 2);
    CHECK(nb_module_forward_ex(mu, 2, out, NULL, 1, &back) == 1);
    /* each window's maximum is back at its place, everything else zero: back <= x where back != 0 */
    nb_tensor *nz = back ? nb_rsub_scalar(nb_eq_scalar(back, 0), 1) : NULL; /* back != 0 */
    CHECK(back && back->shape[2] == 5 && nb_item(nb_sum(nb_mul(nb_ne(back, x), nz))) == 0);
    CHECK(nb_item(nb_sum(nz)) == 8);
    CHECK(nb_module_forward_ex(mu, 1, out, NULL, 1, &back) == -1 && strstr(nb_error(), "MaxUnpool2d"));
    nb_clear_error();
    nb_module_free(mp);
    nb_module_free(mu);
    nb_scope_end(s);
    nb_free(x);
}

int main(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/golden/pool.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s (set NB_TEST_DATA to the tests/ directory)\n", path);
        return 1;
    }
    size_t cap = 1 << 16;
    char *line = malloc(cap);
    gcase c;
    memset(&c, 0, sizeof c);
    int lineno = 0, ncases = 0, nprints = 0;
    bool bad = false;
    for (;;) {
        size_t len = 0;
        int ch;
        while ((ch = fgetc(f)) != EOF && ch != '\n') {
            if (len + 2 >= cap) line = realloc(line, cap *= 2);
            line[len++] = (char)ch;
        }
        if (ch == EOF && len == 0) break;
        line[len] = 0;
        lineno++;
        char *s = line, *e;
        const char *kw = tl_next_token(&s);
        if (!strcmp(kw, "case")) {
            free_case(&c);
            char dt[8];
            int n = 0;
            if (sscanf(s, "%63s %31s %7s %d%n", c.name, c.op, dt, &c.np, &n) < 4 || c.np > 32) {
                bad = true;
                break;
            }
            c.dt = tl_parse_dtype(dt);
            c.line = lineno;
            s += n;
            for (int i = 0; i < c.np; i++) {
                c.p[i] = strtod(s, &e);
                s = e;
            }
        } else if (!strcmp(kw, "in")) {
            if (c.nin >= MAXIN || !tl_parse_golden(&s, &c.in[c.nin++], false)) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "out")) {
            if (!tl_parse_golden(&s, &c.out, false)) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "idx")) {
            if (!tl_parse_golden(&s, &c.idx, false)) {
                bad = true;
                break;
            }
            c.has_idx = true;
        } else if (!strcmp(kw, "gout")) {
            if (!tl_parse_golden(&s, &c.gout, false)) {
                bad = true;
                break;
            }
        } else if (!strcmp(kw, "grad")) {
            if (!tl_parse_golden(&s, &c.grad, false)) {
                bad = true;
                break;
            }
            c.has_grad = true;
        } else if (!strcmp(kw, "error")) {
            c.error = true;
            snprintf(c.err, sizeof c.err, "%s", s);
        } else if (!strcmp(kw, "end")) {
            ncases++;
            CHECK(run_case(&c, false));
            CHECK(run_case(&c, true));
        } else if (!strcmp(kw, "print")) {
            char key[64];
            int n = 0;
            if (sscanf(s, "%63s %n", key, &n) < 1) {
                bad = true;
                break;
            }
            char *t = s + n, *w = t; /* unescape "\n" */
            for (char *r = t; *r; r++) {
                if (r[0] == '\\' && r[1] == 'n') {
                    *w++ = '\n';
                    r++;
                } else
                    *w++ = *r;
            }
            *w = 0;
            nprints++;
            CHECK(check_print(key, t));
        } else if (kw[0] && kw[0] != '#') {
            bad = true;
            break;
        }
    }
    free_case(&c);
    free(line);
    fclose(f);
    if (bad) fprintf(stderr, "FAIL %s: cannot parse line %d\n", path, lineno);
    CHECK(!bad);
    CHECK(ncases > 0);
    for (int i = 0; i < NOPS; i++) {
        if (!used[i]) fprintf(stderr, "FAIL op %s has no golden case\n", ops[i].name);
        CHECK(used[i] > 0);
    }
    CHECK(nprints > 0);
    gradchecks();
    threads_bitwise();
    pairs_nan_and_ties();
    lifetimes_and_errors();
    printf("%d golden cases, %d module prints\n", ncases, nprints);
    return nb_test_done();
}
