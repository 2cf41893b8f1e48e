/* test_sampling.c — torch.multinomial, distributions.Categorical and Normal against PyTorch 1.13
 * (tests/golden/sampling.txt, made by tools/gen_golden_sampling.py): after the same seed, samples equal
 * torch's exactly and the global stream is left where torch leaves it; probs, logits, log_prob, entropy
 * and their gradients equal torch's (within 1e-6 f32 / 1e-12 f64 relative); bad input is an error naming
 * the public function. */
#include "testlib.h"
#include "golden_vals.h"
#include <stdlib.h>
#include <string.h>

static double buf[8192];
static nb_dtype dt_of(const char *s) { return !strcmp(s, "f64") ? NB_F64 : NB_F32; }
static double tol_of(nb_dtype dt) { return dt == NB_F64 ? 1e-12 : 1e-6; }

/* values of t equal the golden part name.part (tol 0: exactly) */
static bool part(const char *name, const char *pt, const nb_tensor *t, double tol) {
    char full[96];
    snprintf(full, sizeof full, "%s.%s", name, pt);
    int64_t k = 0;
    gv_put(buf, &k, t);
    bool ok = t && gv_same(full, buf, k, tol);
    if (!t) fprintf(stderr, "case %s: no tensor (%s)\n", full, nb_error() ? nb_error() : "no error");
    return ok;
}

/* sum(y * linspace(-1, 2, numel)) differentiated w.r.t. inputs (the generator's weights) */
static bool wgrad(nb_tensor *y, int nin, nb_tensor **in, nb_tensor **g) {
    if (!y) return false;
    nb_tensor *w = nb_reshape(nb_linspace(y->dtype, -1, 2, nb_numel(y)), y->ndim, y->shape);
    nb_tensor *s = nb_sum(nb_mul(y, w));
    return nb_grad(1, &s, nin, in, NULL, g, (nb_grad_opts){ .retain_graph = true }) == NB_OK;
}

static void mn_case(const char *name) {
    char dts[4];
    int rows, cats, n, rep;
    if (sscanf(name, "mn_%3s_%dx%d_n%d_r%d", dts, &rows, &cats, &n, &rep) != 5) {
        CHECK(!"bad mn case");
        return;
    }
    bool gen = strstr(name, "_g") != NULL, zeros = strstr(name, "_z") != NULL;
    nb_scope s = nb_scope_begin();
    nb_manual_seed(gv_seed(name));
    nb_tensor *p = rows ? nb_rand(dt_of(dts), NB_SHAPE(rows, cats)) : nb_rand(dt_of(dts), NB_SHAPE(cats));
    if (zeros)
        for (int64_t i = 0; i < nb_numel(p); i++)
            if (i % cats % 2 == 1) {
                if (p->dtype == NB_F32)
                    nb_data_f32(p)[i] = 0;
                else
                    nb_data_f64(p)[i] = 0;
            }
    nb_generator *g = NULL;
    if (gen) nb_generator_manual_seed(g = nb_generator_new(), gv_seed(name) + 1);
    int64_t k = 0;
    gv_put(buf, &k, nb_multinomial_gen(p, n, rep, g));
    gv_put(buf, &k, nb_rand(NB_F64, NB_SHAPE(3)));
    CHECK(gv_same(name, buf, k, 0));
    nb_generator_free(g);
    nb_scope_end(s);
}

static void cat_case(const char *name) {
    char dts[4], kind[8], shs[32];
    if (sscanf(name, "cat_%3[^_]_%7[^_]_%31s", dts, kind, shs) != 3) {
        CHECK(!"bad cat case");
        return;
    }
    int64_t shape[4];
    int nd = 0;
    for (char *q = shs; *q && nd < 4;) {
        shape[nd++] = strtoll(q, &q, 10);
        if (*q == 'x') q++;
    }
    nb_dtype dt = dt_of(dts);
    double tol = tol_of(dt);
    nb_scope s = nb_scope_begin();
    nb_manual_seed(gv_seed(name));
    bool probs = !strcmp(kind, "probs");
    nb_tensor *x = nb_requires_grad_(probs ? nb_rand(dt, nd, shape) : nb_randn(dt, nd, shape), true);
    nb_categorical m;
    CHECK(nb_categorical_init(&m, probs ? x : NULL, probs ? NULL : x) == NB_OK);
    nb_tensor *s1 = nb_categorical_sample(&m, 0, NULL, NULL);
    CHECK(part(name, "sample", s1, 0));
    CHECK(part(name, "sample23", nb_categorical_sample(&m, NB_SHAPE(2, 3), NULL), 0));
    CHECK(part(name, "probs", m.probs, tol));
    CHECK(part(name, "logits", m.logits, tol));
    nb_tensor *lp = nb_categorical_log_prob(&m, s1), *g = NULL;
    CHECK(part(name, "log_prob", lp, tol));
    CHECK(wgrad(lp, 1, &x, &g) && part(name, "log_prob_grad", g, tol));
    nb_tensor *ent = nb_categorical_entropy(&m);
    CHECK(part(name, "entropy", ent, tol));
    CHECK(wgrad(ent, 1, &x, &g) && part(name, "entropy_grad", g, tol));
    CHECK(part(name, "after", nb_rand(NB_F64, NB_SHAPE(2)), 0));
    CHECK(nb_error() == NULL);
    nb_scope_end(s);
}

static void nrm_case(const char *name) {
    char dts[4];
    int n;
    if (sscanf(name, "nrm_%3s_%d", dts, &n) != 2) {
        CHECK(!"bad nrm case");
        return;
    }
    nb_dtype dt = dt_of(dts);
    double tol = tol_of(dt);
    nb_scope s = nb_scope_begin();
    nb_manual_seed(gv_seed(name));
    nb_tensor *loc = nb_requires_grad_(nb_randn(dt, NB_SHAPE(n)), true);
    nb_tensor *scale = nb_requires_grad_(nb_detach(nb_add_scalar(nb_rand(dt, NB_SHAPE(n)), 0.5)), true);
    nb_tensor *x = nb_randn(dt, NB_SHAPE(4, n)), *g[2] = { 0 };
    nb_normal_dist m;
    CHECK(nb_normal_dist_init(&m, loc, scale) == NB_OK);
    nb_tensor *smp = nb_normal_dist_sample(&m, NB_SHAPE(5), NULL);
    CHECK(part(name, "sample", smp, 0));
    CHECK(smp && !smp->requires_grad);
    nb_tensor *r = nb_normal_dist_rsample(&m, NB_SHAPE(3), NULL);
    CHECK(part(name, "rsample", r, 0));
    CHECK(wgrad(r, 2, (nb_tensor *[]){ loc, scale }, g) && part(name, "rsample_grad", nb_cat(2, g, 0), tol));
    nb_tensor *lp = nb_normal_dist_log_prob(&m, x);
    CHECK(part(name, "log_prob", lp, tol));
    CHECK(wgrad(lp, 2, (nb_tensor *[]){ loc, scale }, g) &&
          part(name, "log_prob_grad", nb_cat(2, g, 0), tol));
    nb_tensor *ent = nb_normal_dist_entropy(&m);
    CHECK(part(name, "entropy", ent, tol));
    CHECK(wgrad(ent, 1, &scale, g) && part(name, "entropy_grad", g[0], tol));
    CHECK(part(name, "after", nb_rand(NB_F64, NB_SHAPE(2)), 0));
    CHECK(nb_error() == NULL);
    nb_scope_end(s);
}

/* expr fails with an error that contains msg (then cleared) */
static bool fails(bool failed, const char *msg) {
    bool ok = failed && nb_error() && strstr(nb_error(), msg);
    if (!ok) fprintf(stderr, "expected an error with '%s', got %s\n", msg, nb_error() ? nb_error() : "none");
    nb_clear_error();
    return ok;
}

static void errors(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *neg = nb_tensor_from(NB_F32, (float[]){ 0.5f, -0.1f, 0.6f }, NB_SHAPE(3), false);
    nb_tensor *nan = nb_tensor_from(NB_F64, (double[]){ 0.5, NAN, 0.6 }, NB_SHAPE(3), false);
    nb_tensor *inf = nb_tensor_from(NB_F64, (double[]){ 0.5, INFINITY, 0.6 }, NB_SHAPE(3), false);
    nb_tensor *zero = nb_tensor_from(NB_F32, (float[]){ 0.2f, 0.8f, 0, 0 }, NB_SHAPE(2, 2), false);
    nb_tensor *ok = nb_rand(NB_F32, NB_SHAPE(2, 3));
    for (int rep = 0; rep < 2; rep++) { /* both of torch's paths: n = 1 (Gumbel) and n = 4 with replacement */
        int64_t n = rep ? 4 : 1;
        CHECK(fails(
            !nb_multinomial(neg, n, rep),
            rep ? "nb_multinomial: invalid multinomial distribution (encountering probability entry < 0)"
                : "nb_multinomial: probability tensor contains either `inf`, `nan` or element < 0"));
        CHECK(fails(!nb_multinomial(nan, n, rep),
                    rep ? "probability entry < 0" : "`inf`, `nan` or element < 0"));
        CHECK(fails(!nb_multinomial(inf, n, rep),
                    rep ? "entry = infinity or NaN" : "`inf`, `nan` or element < 0"));
        CHECK(fails(!nb_multinomial(zero, n, rep),
                    "nb_multinomial: invalid multinomial distribution (sum of probabilities <= 0)"));
    }
    CHECK(fails(!nb_multinomial(ok, 4, false),
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement"));
    CHECK(fails(!nb_multinomial(ok, 0, true), "cannot sample n_sample <= 0 samples"));
    CHECK(
        fails(!nb_multinomial(nb_rand(NB_F32, NB_SHAPE(2, 2, 2)), 1, true), "prob_dist must be 1 or 2 dim"));
    CHECK(fails(!nb_multinomial(nb_zeros(NB_I64, NB_SHAPE(3)), 1, true), "floating-point dtypes"));
    CHECK(nb_multinomial(NULL, 1, true) == NULL && nb_error() == NULL);
    nb_tensor *e = nb_multinomial(nb_rand(NB_F32, NB_SHAPE(0, 3)), 2,
                                  true); /* no rows: an empty (0, 2) result */
    CHECK(e && e->ndim == 2 && e->shape[0] == 0 && e->shape[1] == 2);
    CHECK(fails(!nb_exponential(NB_F32, NB_SHAPE(2), -1), "nb_exponential: expects lambda > 0.0"));

    nb_categorical m;
    CHECK(fails(nb_categorical_init(&m, neg, NULL) == NB_ERROR,
                "nb_categorical_init: expected parameter probs (3) to satisfy the constraint Simplex()"));
    CHECK(fails(nb_categorical_init(&m, zero, NULL) == NB_ERROR, "row 1"));
    CHECK(fails(nb_categorical_init(&m, nan, NULL) == NB_ERROR, "Simplex()"));
    CHECK(fails(nb_categorical_init(&m, ok, ok) == NB_ERROR,
                "either probs or logits must be specified, but not both"));
    CHECK(
        fails(nb_categorical_init(&m, NULL, nan) == NB_ERROR, "constraint IndependentConstraint(Real(), 1)"));
    CHECK(fails(nb_categorical_init(&m, nb_scalar(NB_F32, 1), NULL) == NB_ERROR, "at least one dimension"));
    CHECK(nb_categorical_init(&m, NULL, NULL) == NB_ERROR && nb_error() != NULL); /* NULL alone: says so */
    nb_clear_error();
    CHECK(fails(!nb_categorical_sample(&m, 0, NULL, NULL),
                "nb_categorical_sample: the distribution is not initialised"));
    CHECK(nb_categorical_init(&m, ok, NULL) == NB_OK);
    CHECK(fails(!nb_categorical_log_prob(&m, nb_tensor_from(NB_I64, (int64_t[]){ 0, 3 }, NB_SHAPE(2), false)),
                "must be within the support (0 <= value < 3), got 3"));
    CHECK(fails(
        !nb_categorical_log_prob(&m, nb_tensor_from(NB_I64, (int64_t[]){ 0, 1, 2 }, NB_SHAPE(3), false)),
        "does not broadcast"));
    CHECK(fails(!nb_categorical_log_prob(&m, nb_zeros(NB_F32, NB_SHAPE(2))), "int64"));

    nb_normal_dist d;
    CHECK(fails(nb_normal_dist_init(&d, ok, nb_zeros(NB_F32, NB_SHAPE(3))) == NB_ERROR,
                "GreaterThan(lower_bound=0.0)"));
    CHECK(fails(nb_normal_dist_init(&d, nan, nb_ones(NB_F64, NB_SHAPE(3))) == NB_ERROR, "constraint Real()"));
    CHECK(fails(nb_normal_dist_init(&d, ok, nb_ones(NB_F32, NB_SHAPE(4))) == NB_ERROR, "do not broadcast"));
    CHECK(fails(!nb_normal_dist_log_prob(&d, ok), "not initialised"));
    nb_scope_end(s);
}

/* outside any scope the distributions leave nothing behind but their own tensors */
static void no_garbage(void) {
    nb_manual_seed(3);
    nb_tensor *p = nb_rand(NB_F32, NB_SHAPE(2, 4));
    size_t live = nb_memory_stats_get().tensors_live;
    nb_categorical m;
    CHECK(nb_categorical_init(&m, p, NULL) == NB_OK);
    nb_tensor *a = nb_categorical_sample(&m, NB_SHAPE(3), NULL), *lp = nb_categorical_log_prob(&m, a);
    nb_tensor *en = nb_categorical_entropy(&m);
    CHECK(nb_memory_stats_get().tensors_live == live + 5); /* probs, logits, sample, log_prob, entropy */
    nb_free(a);
    nb_free(lp);
    nb_free(en);
    nb_free(m.probs);
    nb_free(m.logits);
    nb_free(p);
    CHECK(nb_memory_stats_get().tensors_live == live - 1);
}

int main(void) {
    gv_load("sampling.txt");
    int nmn = 0, ncat = 0, nnrm = 0;
    for (int i = 0; i < gv_count(); i++) {
        const char *nm = gv_at(i)->name;
        if (!strncmp(nm, "mn_", 3))
            mn_case(nm), nmn++;
        else if (!strncmp(nm, "cat_", 4) && strstr(nm, ".sample23")) {
            char base[64];
            snprintf(base, sizeof base, "%.*s", (int)(strstr(nm, ".sample23") - nm), nm);
            cat_case(base), ncat++;
        } else if (!strncmp(nm, "nrm_", 4) && strstr(nm, ".rsample_grad")) {
            char base[64];
            snprintf(base, sizeof base, "%.*s", (int)(strstr(nm, ".rsample_grad") - nm), nm);
            nrm_case(base), nnrm++;
        }
    }
    printf("%d multinomial, %d Categorical, %d Normal cases\n", nmn, ncat, nnrm);
    CHECK(nmn == 24 && ncat == 8 && nnrm == 4);
    errors();
    no_garbage();
    gv_free();
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
