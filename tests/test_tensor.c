/* test_tensor.c — the data layer's semantics: creation, random numbers (seeded, in range), dtype
 * conversion, views sharing storage with their base, contiguous, element access, and printing
 * compared character for character with torch 1.13 (tests/expected/print.txt, tools/golden_print.py). */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static void test_creation(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *a = nb_tensor_from(NB_F32, (float[]){ 1, 2, 3, 4, 5, 6 }, NB_SHAPE(2, 3), false);
    CHECK(a && a->ndim == 2 && a->shape[0] == 2 && a->shape[1] == 3 && a->numel == 6);
    CHECK(a && a->stride[0] == 3 && a->stride[1] == 1 && a->dtype == NB_F32 && !a->requires_grad);
    CHECK_TENSOR(a, ((double[]){ 1, 2, 3, 4, 5, 6 }), 6, 0);
    double src[3] = { 1.5, -2, 3 };
    nb_tensor *d = nb_tensor_from(NB_F64, src, NB_SHAPE(3), true);
    src[0] = 99; /* data was copied */
    CHECK(d && d->dtype == NB_F64 && d->requires_grad && nb_is_leaf(d));
    CHECK_TENSOR(d, ((double[]){ 1.5, -2, 3 }), 3, 0);
    CHECK_TENSOR(nb_zeros(NB_F32, NB_SHAPE(2, 2)), ((double[]){ 0, 0, 0, 0 }), 4, 0);
    CHECK_TENSOR(nb_ones(NB_F64, NB_SHAPE(3)), ((double[]){ 1, 1, 1 }), 3, 0);
    CHECK_TENSOR(nb_full(NB_F32, NB_SHAPE(2), 2.5), ((double[]){ 2.5, 2.5 }), 2, 0);
    nb_tensor *sc = nb_scalar(NB_F64, 7);
    CHECK(sc && sc->ndim == 0 && sc->numel == 1 && nb_item(sc) == 7);
    CHECK_TENSOR(nb_arange(NB_F32, 0, 5, 1), ((double[]){ 0, 1, 2, 3, 4 }), 5, 0);
    CHECK_TENSOR(nb_arange(NB_F64, 1, 2, 0.25), ((double[]){ 1, 1.25, 1.5, 1.75 }), 4, 0);
    CHECK_TENSOR(nb_arange(NB_I64, 5, 0, -2), ((double[]){ 5, 3, 1 }), 3, 0);
    /* torch.linspace(0, 1, 5) and (-1, 1, 4) */
    CHECK_TENSOR(nb_linspace(NB_F32, 0, 1, 5), ((double[]){ 0, 0.25, 0.5, 0.75, 1 }), 5, 0);
    CHECK_TENSOR(nb_linspace(NB_F64, -1, 1, 4), ((double[]){ -1, -1.0 / 3, 1.0 / 3, 1 }), 4, 1e-15);
    CHECK(nb_numel(nb_linspace(NB_F32, 0, 1, 0)) == 0);
    CHECK_TENSOR(nb_eye(NB_F32, 3, 0), ((double[]){ 1, 0, 0, 0, 1, 0, 0, 0, 1 }), 9, 0);
    CHECK_TENSOR(nb_eye(NB_F64, 2, 3), ((double[]){ 1, 0, 0, 0, 1, 0 }), 6, 0);
    nb_tensor *z = nb_zeros_like(d), *o = nb_ones_like(a), *f = nb_full_like(a, -1), *e = nb_empty_like(d);
    CHECK(z && z->dtype == NB_F64 && z->numel == 3 && !z->requires_grad);
    CHECK(o && o->shape[0] == 2 && o->shape[1] == 3 && nb_item(nb_sum(o)) == 6);
    CHECK(f && nb_item(nb_sum(f)) == -6);
    CHECK(e && e->dtype == NB_F64 && e->ndim == 1 && e->shape[0] == 3);
    nb_tensor *big = nb_zeros(NB_F32, NB_SHAPE(1, 1, 1, 1, 1, 1, 1, 2));
    CHECK(big && big->ndim == NB_MAX_DIMS && big->numel == 2);
    nb_tensor *empty = nb_zeros(NB_F32, NB_SHAPE(0, 3));
    CHECK(empty && empty->numel == 0 && nb_item(nb_sum(empty)) == 0);
    CHECK(!nb_error());
    nb_scope_end(s);
}

static void test_random(void) {
    nb_scope s = nb_scope_begin();
    nb_manual_seed(42);
    nb_tensor *a = nb_rand(NB_F32, NB_SHAPE(1000));
    nb_tensor *n = nb_randn(NB_F64, NB_SHAPE(20000));
    nb_tensor *i = nb_randint(-3, 4, NB_SHAPE(5000));
    nb_tensor *p = nb_randperm(100);
    nb_manual_seed(42);
    nb_tensor *a2 = nb_rand(NB_F32, NB_SHAPE(1000));
    nb_tensor *n2 = nb_randn(NB_F64, NB_SHAPE(20000));
    nb_tensor *i2 = nb_randint(-3, 4, NB_SHAPE(5000));
    nb_tensor *p2 = nb_randperm(100);
    CHECK(a && a2 && memcmp(nb_data(a), nb_data(a2), 1000 * 4) == 0);
    CHECK(n && n2 && memcmp(nb_data(n), nb_data(n2), 20000 * 8) == 0);
    CHECK(i && i2 && memcmp(nb_data(i), nb_data(i2), 5000 * 8) == 0);
    CHECK(p && p2 && memcmp(nb_data(p), nb_data(p2), 100 * 8) == 0);
    nb_manual_seed(43);
    nb_tensor *a3 = nb_rand(NB_F32, NB_SHAPE(1000));
    CHECK(a3 && memcmp(nb_data(a), nb_data(a3), 1000 * 4) != 0);
    /* ranges and moments */
    float *pa = nb_data_f32(a);
    bool in01 = true;
    for (int k = 0; k < 1000; k++) in01 &= pa[k] >= 0 && pa[k] < 1;
    CHECK(in01);
    CHECK_NEAR(nb_item(nb_mean(a)), 0.5, 0.05);
    CHECK_NEAR(nb_item(nb_mean(n)), 0.0, 0.03);
    CHECK_NEAR(nb_item(nb_std(n)), 1.0, 0.03);
    int64_t *pi = nb_data_i64(i);
    bool inr = true, seen_lo = false, seen_hi = false;
    for (int k = 0; k < 5000; k++) {
        inr &= pi[k] >= -3 && pi[k] < 4;
        seen_lo |= pi[k] == -3;
        seen_hi |= pi[k] == 3;
    }
    CHECK(inr && seen_lo && seen_hi && i->dtype == NB_I64);
    int64_t *pp = nb_data_i64(p);
    int count[100] = { 0 };
    bool perm = true, moved = false;
    for (int k = 0; k < 100; k++) {
        if (pp[k] < 0 || pp[k] >= 100 || count[pp[k]]++) perm = false;
        moved |= pp[k] != k;
    }
    CHECK(perm && moved);
    nb_tensor *rl = nb_rand_like(n), *nl = nb_randn_like(a);
    CHECK(rl && rl->dtype == NB_F64 && rl->numel == 20000 && nl && nl->dtype == NB_F32 && nl->numel == 1000);
    nb_manual_seed(1);
    double r1 = nb_rand_double();
    uint64_t u1 = nb_rand_u64();
    nb_manual_seed(1);
    CHECK(nb_rand_double() == r1 && nb_rand_u64() == u1 && r1 >= 0 && r1 < 1);
    nb_scope_end(s);
}

static void test_dtype(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *a = nb_tensor_from(NB_F32, (float[]){ 1.5f, -2.75f, 3 }, NB_SHAPE(3), false);
    nb_tensor *d = nb_to(a, NB_F64);
    CHECK(d && d->dtype == NB_F64 && d != a);
    CHECK_TENSOR(d, ((double[]){ 1.5, -2.75, 3 }), 3, 0);
    CHECK(nb_to(a, NB_F32) == a);
    nb_tensor *i = nb_to(a, NB_I64); /* truncation toward zero, like torch */
    CHECK(i && i->dtype == NB_I64);
    CHECK_TENSOR(i, ((double[]){ 1, -2, 3 }), 3, 0);
    nb_tensor *back = nb_to(i, NB_F32);
    CHECK_TENSOR(back, ((double[]){ 1, -2, 3 }), 3, 0);
    /* f64 -> f32 rounds */
    nb_tensor *p = nb_to(nb_tensor_from(NB_F64, (double[]){ 0.1 }, NB_SHAPE(1), false), NB_F32);
    CHECK(p && nb_data_f32(p)[0] == 0.1f);
    /* gradient flows through a float conversion and comes back in the input's dtype */
    nb_tensor *x = nb_tensor_from(NB_F32, (float[]){ 2, 3 }, NB_SHAPE(2), true);
    CHECK(nb_backward(nb_sum(nb_square(nb_to(x, NB_F64)))) == NB_OK);
    CHECK(x->grad && x->grad->dtype == NB_F32);
    CHECK_TENSOR(x->grad, ((double[]){ 4, 6 }), 2, 0);
    CHECK(nb_dtype_size(NB_F32) == 4 && nb_dtype_size(NB_F64) == 8 && nb_dtype_size(NB_I64) == 8);
    CHECK(!strcmp(nb_dtype_name(NB_F32), "float32") && !strcmp(nb_dtype_name(NB_F64), "float64") &&
          !strcmp(nb_dtype_name(NB_I64), "int64"));
    nb_scope_end(s);
}

/* write 100 through view element idx and check base element k sees it */
static bool write_seen(nb_tensor *base, nb_tensor *view, const int64_t *idx, int64_t k) {
    if (!view || view->storage != base->storage) return false;
    if (nb_set(view, idx, 100 + (double)k) != NB_OK) return false;
    double v[64];
    nb_to_doubles(base, v);
    return v[k] == 100 + (double)k;
}

static void test_views(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *b = nb_arange(NB_F32, 0, 24, 1);
    nb_tensor *m = nb_reshape(b, NB_SHAPE(4, 6)); /* base for the 2-D views */
    CHECK(m && m->storage == b->storage);
    CHECK(write_seen(b, m, (int64_t[]){ 1, 2 }, 8));
    CHECK(write_seen(b, nb_view(b, NB_SHAPE(2, -1, 3)), (int64_t[]){ 1, 1, 0 }, 15));
    CHECK(write_seen(b, nb_flatten(nb_view(b, NB_SHAPE(2, 3, 4)), 0, -1), (int64_t[]){ 5 }, 5));
    CHECK(write_seen(b, nb_squeeze(nb_view(b, NB_SHAPE(1, 24)), 0), (int64_t[]){ 7 }, 7));
    nb_tensor *u = nb_unsqueeze(m, 1);
    CHECK(u && u->ndim == 3 && u->shape[1] == 1 && write_seen(b, u, (int64_t[]){ 2, 0, 3 }, 15));
    nb_tensor *t = nb_transpose(m, 0, 1);
    CHECK(t && t->shape[0] == 6 && t->shape[1] == 4 && !nb_is_contiguous(t));
    CHECK(write_seen(b, t, (int64_t[]){ 1, 3 }, 19)); /* t[1][3] = m[3][1] = b[19] */
    nb_tensor *pm = nb_permute(nb_view(b, NB_SHAPE(2, 3, 4)), NB_DIMS(2, 0, 1));
    CHECK(pm && pm->shape[0] == 4 && pm->shape[1] == 2 && pm->shape[2] == 3);
    CHECK(write_seen(b, pm, (int64_t[]){ 3, 1, 2 }, 23)); /* [1][2][3] = 12 + 8 + 3 */
    nb_tensor *nr = nb_narrow(m, 1, 2, 3);
    CHECK(nr && nr->shape[0] == 4 && nr->shape[1] == 3 && write_seen(b, nr, (int64_t[]){ 2, 0 }, 14));
    nb_tensor *sl = nb_slice(b, 0, 1, 20, 5); /* 1, 6, 11, 16 */
    CHECK(sl && sl->shape[0] == 4 && write_seen(b, sl, (int64_t[]){ 3 }, 16));
    nb_tensor *se = nb_select(m, 0, -1); /* last row: 18..23 */
    CHECK(se && se->ndim == 1 && se->shape[0] == 6 && write_seen(b, se, (int64_t[]){ 4 }, 22));
    nb_tensor *col = nb_select(m, 1, 0);
    CHECK(col && col->shape[0] == 4 && write_seen(b, col, (int64_t[]){ 2 }, 12));
    nb_tensor *ex = nb_expand(nb_view(b, NB_SHAPE(1, 24)), NB_SHAPE(3, -1));
    CHECK(ex && ex->shape[0] == 3 && ex->stride[0] == 0 && write_seen(b, ex, (int64_t[]){ 2, 4 }, 4));
    nb_tensor *de = nb_detach(m);
    CHECK(de && !de->requires_grad && write_seen(b, de, (int64_t[]){ 0, 0 }, 0));
    /* a view keeps the storage alive after its base is freed */
    nb_tensor *base = nb_arange(NB_F64, 0, 4, 1);
    nb_tensor *v = nb_view(base, NB_SHAPE(2, 2));
    nb_free(base);
    CHECK(!nb_is_valid(base) && nb_is_valid(v) && nb_get(v, (int64_t[]){ 1, 1 }) == 3);
    /* views of values: element order */
    nb_tensor *r = nb_arange(NB_F32, 0, 6, 1), *rt = nb_t(nb_view(r, NB_SHAPE(2, 3)));
    CHECK_TENSOR(rt, ((double[]){ 0, 3, 1, 4, 2, 5 }), 6, 0);
    CHECK(!nb_error());
    nb_scope_end(s);
}

static void test_contiguous(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *a = nb_reshape(nb_arange(NB_F32, 0, 6, 1), NB_SHAPE(2, 3));
    CHECK(nb_is_contiguous(a) && nb_contiguous(a) == a);
    nb_tensor *t = nb_t(a);
    nb_tensor *c = nb_contiguous(t);
    CHECK(c && c != t && nb_is_contiguous(c) && c->storage != a->storage);
    CHECK(c && c->stride[0] == 2 && c->stride[1] == 1);
    CHECK_TENSOR(c, ((double[]){ 0, 3, 1, 4, 2, 5 }), 6, 0);
    /* reshape of a non-contiguous tensor copies; view refuses */
    nb_tensor *r = nb_reshape(t, NB_SHAPE(6));
    CHECK(r && r->storage != a->storage);
    CHECK_TENSOR(r, ((double[]){ 0, 3, 1, 4, 2, 5 }), 6, 0);
    CHECK_ERR(nb_view(t, NB_SHAPE(6)));
    /* a slice with step is not contiguous either */
    CHECK(!nb_is_contiguous(nb_slice(nb_arange(NB_F32, 0, 10, 1), 0, 0, 10, 2)));
    CHECK(nb_is_contiguous(nb_unsqueeze(a, 0)));
    nb_scope_end(s);
}

static void test_access(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *a = nb_tensor_from(NB_F64, (double[]){ 1, 2, 3, 4, 5, 6 }, NB_SHAPE(2, 3), false);
    CHECK(nb_get(a, (int64_t[]){ 1, 2 }) == 6 && nb_get(a, (int64_t[]){ -1, -3 }) == 4);
    CHECK(nb_set(a, (int64_t[]){ 0, 1 }, -7) == NB_OK && nb_get(a, (int64_t[]){ 0, 1 }) == -7);
    CHECK(nb_data_f64(a) && nb_data_f64(a)[1] == -7 && nb_data(a) == (void *)nb_data_f64(a));
    CHECK_ERR(nb_data_f32(a));
    CHECK_ERR(nb_data_i64(a));
    CHECK(nb_item(nb_select(nb_select(a, 0, 1), 0, 0)) == 4);
    CHECK(nb_item(nb_tensor_from(NB_F32, (float[]){ 2.5f }, NB_SHAPE(1, 1), false)) == 2.5);
    CHECK(nb_numel(a) == 6 && nb_size(a, 0) == 2 && nb_size(a, -1) == 3);
    nb_tensor *i = nb_tensor_from(NB_I64, (int64_t[]){ 5, -9 }, NB_SHAPE(2), false);
    CHECK(nb_data_i64(i) && nb_data_i64(i)[1] == -9 && nb_get(i, (int64_t[]){ 1 }) == -9);
    /* data of a view points at its first element */
    nb_tensor *row = nb_select(a, 0, 1);
    CHECK(nb_data_f64(row) == nb_data_f64(a) + 3);
    double out[6];
    CHECK(nb_to_doubles(nb_t(a), out) == NB_OK && out[0] == 1 && out[1] == 4 && out[2] == -7);
    char buf[32];
    CHECK(!strcmp(nb_shape_str(a, buf, sizeof buf), "(2, 3)"));
    nb_scope_end(s);
}

/* ---- printing against torch ---- */
static char *print_str(const nb_tensor *t) {
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    if (!f) return NULL;
    nb_fprint(f, t);
    fclose(f);
    return p;
}

static nb_tensor *print_case(const char *name) {
    static double x64d[2] = { 1, 2 };
    nb_tensor *x64 = nb_tensor_from(NB_F64, x64d, NB_SHAPE(2), true);
    if (!strcmp(name, "vec")) return nb_tensor_from(NB_F32, (float[]){ 1, 2, 3 }, NB_SHAPE(3), false);
    if (!strcmp(name, "row")) return nb_tensor_from(NB_F32, (float[]){ 1.5f, 2 }, NB_SHAPE(1, 2), false);
    if (!strcmp(name, "leaf")) return nb_requires_grad_(nb_scalar(NB_F32, 10), true);
    if (!strcmp(name, "mul64")) return nb_mul(x64, x64);
    if (!strcmp(name, "leaf64")) return x64;
    if (!strcmp(name, "sum64")) return nb_sum(nb_mul(x64, x64));
    if (!strcmp(name, "sumf32")) return nb_sum(nb_tensor_from(NB_F32, (float[]){ 1, 2 }, NB_SHAPE(2), true));
    if (!strcmp(name, "mat"))
        return nb_tensor_from(NB_F32, (float[]){ 1.2345f, -2.5f, 3, 4, 5, 6 }, NB_SHAPE(2, 3), false);
    if (!strcmp(name, "small")) return nb_tensor_from(NB_F32, (float[]){ 1e-5f, 1 }, NB_SHAPE(2), false);
    if (!strcmp(name, "big")) return nb_tensor_from(NB_F32, (float[]){ 1e9f, 1 }, NB_SHAPE(2), false);
    if (!strcmp(name, "int")) return nb_tensor_from(NB_I64, (int64_t[]){ 1, 2, 3 }, NB_SHAPE(3), false);
    if (!strcmp(name, "intmat"))
        return nb_tensor_from(NB_I64, (int64_t[]){ 1, -20, 300, 4 }, NB_SHAPE(2, 2), false);
    if (!strcmp(name, "cube")) return nb_reshape(nb_arange(NB_F32, 0, 8, 1), NB_SHAPE(2, 2, 2));
    if (!strcmp(name, "scalar")) return nb_scalar(NB_F32, 3.5);
    if (!strcmp(name, "neg")) return nb_tensor_from(NB_F32, (float[]){ -1, 2 }, NB_SHAPE(2), false);
    if (!strcmp(name, "naninf"))
        return nb_tensor_from(NB_F32, (float[]){ NAN, 1, INFINITY }, NB_SHAPE(3), false);
    if (!strcmp(name, "zeros")) return nb_zeros(NB_F32, NB_SHAPE(2, 2));
    if (!strcmp(name, "empty")) return nb_zeros(NB_F32, NB_SHAPE(0));
    if (!strcmp(name, "empty2d")) return nb_zeros(NB_F32, NB_SHAPE(0, 3));
    if (!strcmp(name, "emptyint")) return nb_zeros(NB_I64, NB_SHAPE(0));
    if (!strcmp(name, "long")) return nb_arange(NB_F32, 0, 2000, 1);
    if (!strcmp(name, "wide")) return nb_div_scalar(nb_arange(NB_F32, 0, 20, 1), 3);
    if (!strcmp(name, "bigmat"))
        return nb_div_scalar(nb_reshape(nb_arange(NB_F32, 0, 2000, 1), NB_SHAPE(40, 50)), 7);
    if (!strcmp(name, "bigcube")) return nb_reshape(nb_arange(NB_F64, 0, 1100, 1), NB_SHAPE(11, 10, 10));
    if (!strcmp(name, "transposed")) return nb_t(nb_reshape(nb_arange(NB_F32, 0, 6, 1), NB_SHAPE(2, 3)));
    if (!strcmp(name, "negsci"))
        return nb_tensor_from(NB_F32, (float[]){ -1e-5f, 2, -300 }, NB_SHAPE(3), false);
    if (!strcmp(name, "allnan")) return nb_tensor_from(NB_F32, (float[]){ NAN, NAN }, NB_SHAPE(2), false);
    if (!strcmp(name, "mixinf"))
        return nb_tensor_from(NB_F32, (float[]){ -INFINITY, 0.5f, 2 }, NB_SHAPE(3), false);
    if (!strcmp(name, "bigint")) return nb_tensor_from(NB_F32, (float[]){ 1e8f, 1 }, NB_SHAPE(2), false);
    if (!strcmp(name, "one")) return nb_full(NB_F32, NB_SHAPE(1, 1), 5);
    if (!strcmp(name, "negscalar")) return nb_scalar(NB_F32, -0.5);
    if (!strcmp(name, "i64big"))
        return nb_tensor_from(NB_I64, (int64_t[]){ 123456789012, -1 }, NB_SHAPE(2), false);
    if (!strcmp(name, "deep")) return nb_reshape(nb_arange(NB_F32, 0, 4, 1), NB_SHAPE(2, 1, 2, 1));
    if (!strcmp(name, "wideint")) return nb_arange(NB_F32, 0, 30, 1);
    if (!strcmp(name, "reqwide")) return nb_requires_grad_(nb_arange(NB_F64, 0, 25, 1), true);
    if (!strcmp(name, "f64frac"))
        return nb_tensor_from(NB_F64, (double[]){ 1.0 / 3, 2.0 / 3 }, NB_SHAPE(2), false);
    return NULL;
}

static void test_print(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/expected/print.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    static char line[65536];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        char *want = tab + 1, *w = want;
        for (char *r = want; *r && *r != '\n'; r++) { /* undo the \n escaping */
            if (r[0] == '\\' && r[1] == 'n') {
                *w++ = '\n';
                r++;
            } else
                *w++ = *r;
        }
        *w = 0;
        nb_scope s = nb_scope_begin();
        nb_tensor *t = print_case(line);
        char *got = print_str(t);
        bool ok = t && got && !strcmp(got, want);
        if (!ok) fprintf(stderr, "print case %s:\n got: %s\nwant: %s\n", line, got ? got : "(null)", want);
        CHECK(ok);
        free(got);
        nb_scope_end(s);
        cases++;
    }
    fclose(f);
    CHECK(cases >= 36);
    /* printing NULL and a released tensor does not crash */
    char *p = print_str(NULL);
    CHECK(p && !strcmp(p, "NULL"));
    free(p);
    nb_tensor *t = nb_zeros(NB_F32, NB_SHAPE(1));
    nb_free(t);
    p = print_str(t);
    CHECK(p && strstr(p, "released"));
    free(p);
}

/* index_select of many rows (past the 512 KB at which the copy threads), along dim 0 and dim 1, with repeated and
 * out-of-order indices, checked element by element, and the same bytes at 1 and 2 threads */
static void test_index_select_large(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_arange(NB_F32, 0, 3 * 700 * 300, 1), *ix = nb_empty(NB_I64, NB_SHAPE(400));
    x = nb_reshape(x, 3, (int64_t[]){ 3, 700, 300 });
    for (int64_t i = 0; i < 400; i++) nb_data_i64(ix)[i] = (i * 37 + i / 3) % 700; /* repeats, any order */
    for (int t = 1; t <= 2; t++) {
        nb_set_num_threads(t);
        nb_tensor *y0 = nb_index_select(nb_reshape(x, 2, (int64_t[]){ 2100, 300 }), 0, ix);
        nb_tensor *y1 = nb_index_select(x, 1, ix);
        int64_t bad = 0;
        for (int64_t i = 0; y0 && i < 400; i++)
            for (int64_t c = 0; c < 300; c++)
                bad += nb_data_f32(y0)[i * 300 + c] != (float)(nb_data_i64(ix)[i] * 300 + c);
        for (int64_t o = 0; y1 && o < 3; o++)
            for (int64_t i = 0; i < 400; i++)
                for (int64_t c = 0; c < 300; c++)
                    bad += nb_data_f32(y1)[(o * 400 + i) * 300 + c] !=
                           (float)((o * 700 + nb_data_i64(ix)[i]) * 300 + c);
        CHECK(y0 && y1 && bad == 0);
    }
    nb_set_num_threads(0);
    nb_scope_end(s);
}

int main(void) {
    test_creation();
    test_random();
    test_dtype();
    test_views();
    test_contiguous();
    test_access();
    test_print();
    test_index_select_large();
    nb_clear_error();
    nb_memory_stats m = nb_memory_stats_get();
    CHECK(m.tensors_live == 0);
    return nb_test_done();
}
