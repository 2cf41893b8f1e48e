/* test_generator.c — torch.Generator objects against PyTorch 1.13 (tests/golden/generator.txt, made by
 * tools/gen_golden_generator.py): draws from a generator leave the global stream alone, the state bytes are
 * torch's own (get_state equal, torch's state loads and continues), and the DataLoader's torch_rng option
 * gives torch's batches and takes from the global generator exactly what torch's DataLoader takes. */
#include "testlib.h"
#include "golden_vals.h"
#include <stdlib.h>
#include <string.h>

#define find gv_find
#define seed_of gv_seed
#define put gv_put
static bool same(const char *name, const double *got, int64_t n) { return gv_same(name, got, n, 0); }

/* the recipes of GEN in tools/gen_golden_generator.py */
static nb_tensor *gen_case(const char *name, nb_generator *g) {
    nb_tensor *lin32 = nb_linspace(NB_F32, 0, 1, 40), *lin64 = nb_linspace(NB_F64, 0, 1, 40);
    nb_tensor *t = NULL;
    if (!strcmp(name, "g_rand_f32")) t = nb_rand_gen(NB_F32, NB_SHAPE(37), g);
    if (!strcmp(name, "g_rand_f64")) t = nb_rand_gen(NB_F64, NB_SHAPE(37), g);
    if (!strcmp(name, "g_uniform_f32")) t = nb_uniform_gen(NB_F32, NB_SHAPE(20), -2.0, 3.0, g);
    if (!strcmp(name, "g_randn_f32_5")) t = nb_randn_gen(NB_F32, NB_SHAPE(5), g);
    if (!strcmp(name, "g_randn_f32_37")) t = nb_randn_gen(NB_F32, NB_SHAPE(37), g);
    if (!strcmp(name, "g_randn_f64_5")) t = nb_randn_gen(NB_F64, NB_SHAPE(5), g);
    if (!strcmp(name, "g_randn_f64_37")) t = nb_randn_gen(NB_F64, NB_SHAPE(37), g);
    if (!strcmp(name, "g_normal_f64")) t = nb_normal_gen(NB_F64, NB_SHAPE(21), 1.5, 0.5, g);
    if (!strcmp(name, "g_randint_small")) t = nb_randint_gen(3, 17, NB_SHAPE(25), g);
    if (!strcmp(name, "g_randint_big")) t = nb_randint_gen(-7, 1LL << 40, NB_SHAPE(9), g);
    if (!strcmp(name, "g_randperm_10")) t = nb_randperm_gen(10, g);
    if (!strcmp(name, "g_randperm_1000")) t = nb_randperm_gen(1000, g);
    if (!strcmp(name, "g_bernoulli_f32")) t = nb_bernoulli_gen(lin32, g);
    if (!strcmp(name, "g_bernoulli_f64")) t = nb_bernoulli_gen(lin64, g);
    nb_free(lin32);
    nb_free(lin64);
    return t;
}

static void test_generator_draws(void) {
    static const char *names[] = { "g_rand_f32",      "g_rand_f64",     "g_uniform_f32",  "g_randn_f32_5",
                                   "g_randn_f32_37",  "g_randn_f64_5",  "g_randn_f64_37", "g_normal_f64",
                                   "g_randint_small", "g_randint_big",  "g_randperm_10",  "g_randperm_1000",
                                   "g_bernoulli_f32", "g_bernoulli_f64" };
    double buf[1100];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        nb_scope s = nb_scope_begin();
        uint64_t seed = seed_of(names[i]);
        nb_manual_seed(seed + 1);
        nb_generator *g = nb_generator_new();
        CHECK(nb_generator_manual_seed(g, seed) == g);
        int64_t k = 0;
        put(buf, &k, gen_case(names[i], g));
        put(buf, &k, nb_rand(NB_F64, NB_SHAPE(3))); /* the global stream did not move */
        CHECK(same(names[i], buf, k));
        nb_generator_free(g);
        nb_scope_end(s);
    }
    /* bernoulli from the global generator, p drawn first */
    static const char *gl[] = { "bernoulli_f32", "bernoulli_f64" };
    for (int i = 0; i < 2; i++) {
        nb_scope s = nb_scope_begin();
        nb_manual_seed(seed_of(gl[i]));
        nb_tensor *p = nb_rand(i ? NB_F64 : NB_F32, NB_SHAPE(30));
        int64_t k = 0;
        put(buf, &k, nb_bernoulli(p));
        CHECK(same(gl[i], buf, k));
        nb_scope_end(s);
    }
    /* a fresh generator has torch's default seed; seeding it again restarts its stream */
    nb_generator *g = nb_generator_new();
    CHECK(nb_generator_initial_seed(g) == 67280421310721ull);
    uint32_t a = nb_generator_random(g);
    nb_generator_manual_seed(g, 67280421310721ull);
    CHECK(nb_generator_random(g) == a);
    nb_generator_manual_seed(g, 7);
    uint32_t hi = nb_generator_random(g), lo = nb_generator_random(g);
    nb_generator_manual_seed(g, 7);
    CHECK(nb_generator_random64(g) == (((uint64_t)hi << 32) | lo));
    nb_generator_free(g);
    CHECK(nb_default_generator() != NULL);
    nb_manual_seed(99);
    CHECK(nb_initial_seed() == 99 && nb_generator_initial_seed(NULL) == 99);
    /* bernoulli needs float probabilities in [0, 1] */
    nb_tensor *bad = nb_tensor_from(NB_F64, (double[]){ 0.5, -0.1 }, NB_SHAPE(2), false);
    CHECK_ERR(nb_bernoulli(bad));
    nb_free(bad);
    bad = nb_tensor_from(NB_F32, (float[]){ NAN }, NB_SHAPE(1), false);
    CHECK_ERR(nb_bernoulli(bad));
    nb_free(bad);
    bad = nb_zeros(NB_I64, NB_SHAPE(2));
    CHECK_ERR(nb_bernoulli_gen(bad, NULL));
    nb_free(bad);
    CHECK(nb_bernoulli(NULL) == NULL && nb_error() == NULL);
    nb_generator_free(nb_default_generator()); /* ignored */
    nb_generator_free(NULL);
    CHECK(nb_error() == NULL);
}

/* st is NB_ERROR with an error containing msg recorded (then cleared) */
static bool status_err(nb_status st, const char *msg) {
    bool ok = st == NB_ERROR && nb_error() && strstr(nb_error(), msg);
    if (!ok) fprintf(stderr, "expected an error with '%s', got %s\n", msg, nb_error() ? nb_error() : "none");
    nb_clear_error();
    return ok;
}

static void test_states(void) {
    uint8_t st[NB_RNG_STATE_SIZE], st2[NB_RNG_STATE_SIZE];
    double buf[64];
    /* the global state after torch's draws is byte for byte torch.get_rng_state() */
    const gv_case *c = find("state_global");
    nb_scope s = nb_scope_begin();
    nb_manual_seed(seed_of("state_global"));
    nb_randn(NB_F64, NB_SHAPE(3));
    nb_rand(NB_F32, NB_SHAPE(7));
    nb_get_rng_state(st);
    CHECK(c && c->n == NB_RNG_STATE_SIZE && !memcmp(st, c->bytes, NB_RNG_STATE_SIZE));
    /* torch's bytes load (cached normal included) and the draws continue as torch's do */
    nb_manual_seed(123);
    CHECK(c && nb_set_rng_state(c->bytes, (size_t)c->n) == NB_OK);
    int64_t k = 0;
    put(buf, &k, nb_randn(NB_F64, NB_SHAPE(5)));
    put(buf, &k, nb_rand(NB_F32, NB_SHAPE(4)));
    CHECK(same("state_global_next", buf, k));
    /* a round trip through our own bytes replays the same draws */
    nb_set_rng_state(c->bytes, (size_t)c->n);
    nb_get_rng_state(st2);
    CHECK(!memcmp(st2, c->bytes, NB_RNG_STATE_SIZE));
    /* a generator with a 64-bit seed */
    c = find("state_gen64");
    nb_generator *g = nb_generator_new();
    nb_generator_manual_seed(g, (1ull << 40) + seed_of("state_gen64"));
    nb_rand_gen(NB_F32, NB_SHAPE(1000), g);
    nb_generator_get_state(g, st);
    CHECK(c && !memcmp(st, c->bytes, NB_RNG_STATE_SIZE));
    nb_generator *h = nb_generator_new();
    CHECK(c && nb_generator_set_state(h, c->bytes, (size_t)c->n) == NB_OK);
    buf[0] = (double)nb_generator_initial_seed(h);
    CHECK(same("state_gen64_seed", buf, 1));
    k = 0;
    put(buf, &k, nb_randperm_gen(20, h));
    CHECK(same("state_gen64_next", buf, k));
    /* the legacy 5048-byte layout loads (its cached normal is rho * sin(2 pi x)) */
    nb_generator_manual_seed(g, 5);
    nb_generator_get_state(g, st);
    int32_t valid = 1;
    double x = 0.25, rho = 2.0;
    memcpy(st + 5016, &x, 8);
    memcpy(st + 5032, &rho, 8);
    memcpy(st + 5040, &valid, 4);
    CHECK(nb_generator_set_state(h, st, 5048) == NB_OK);
    nb_tensor *z = nb_randn_gen(NB_F64, NB_SHAPE(1), h);
    CHECK(z && nb_item(z) == 2.0 * sin(2.0 * M_PI * 0.25));
    /* errors: wrong sizes, invalid engine state, NULL */
    CHECK(status_err(nb_generator_set_state(h, st, 100), "nb_generator_set_state: expected either"));
    CHECK(status_err(nb_set_rng_state(st, NB_RNG_STATE_SIZE - 1), "size to be 5055"));
    CHECK(status_err(nb_set_rng_state(NULL, NB_RNG_STATE_SIZE), "nb_set_rng_state: state is NULL"));
    nb_generator_get_state(g, st);
    int32_t bad_left = 0;
    memcpy(st + 8, &bad_left, 4);
    CHECK(status_err(nb_generator_set_state(h, st, NB_RNG_STATE_SIZE), "invalid mt19937 state"));
    nb_generator_free(g);
    nb_generator_free(h);
    nb_scope_end(s);
}

/* the recipe of loader_case() in tools/gen_golden_generator.py */
static void loader_case(const char *name) {
    int n, b, sh, dr, gen, kb;
    if (sscanf(name, "dl_n%d_b%d_s%d_d%d_g%d_k%d", &n, &b, &sh, &dr, &gen, &kb) != 6) {
        CHECK(!"bad loader case name");
        return;
    }
    uint64_t seed = seed_of(name);
    nb_manual_seed(seed);
    nb_generator *g = NULL;
    if (gen) nb_generator_manual_seed(g = nb_generator_new(), seed + 7);
    nb_tensor *x = nb_arange(NB_I64, 0, n, 1);
    nb_tensor_dataset *ds = nb_tensor_dataset_new(x, NULL);
    nb_dataloader *dl = nb_dataloader_new(
        ds, (nb_dataloader_opts){
                .batch_size = b, .shuffle = sh, .drop_last = dr, .torch_rng = true, .generator = g });
    int64_t cap = 4 * (int64_t)n + 64, k = 0;
    double *out = malloc(sizeof(double) * (size_t)cap);
    for (int epoch = 0; epoch < 3; epoch++) {
        nb_dataloader_reset(dl); /* a new `for` loop: a new torch iterator */
        nb_tensor *xb;
        nb_scope s = nb_scope_begin();
        while (nb_dataloader_next(dl, &xb, NULL)) {
            put(out, &k, xb);
            out[k++] = -1;
            if (kb && epoch == kb) break;
        }
        nb_tensor *r = nb_randint(0, 1000, NB_SHAPE(1));
        out[k++] = -2 - nb_item(r);
        nb_scope_end(s);
    }
    CHECK(same(name, out, k));
    free(out);
    nb_dataloader_free(dl);
    nb_tensor_dataset_free(ds);
    nb_free(x);
    nb_generator_free(g);
}

static void test_loader(void) {
    int nl = 0;
    for (int i = 0; i < gv_count(); i++)
        if (!strncmp(gv_at(i)->name, "dl_", 3)) {
            loader_case(gv_at(i)->name);
            nl++;
        }
    CHECK(nl >= 12);
    CHECK(nb_error() == NULL);
}

int main(void) {
    gv_load("generator.txt");
    test_generator_draws();
    test_states();
    test_loader();
    gv_free();
    return nb_test_done();
}
