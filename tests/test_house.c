/* test_house.c — the extension path's safety nets: a backward rule that leaves a needed
 * input gradient NULL is an internal error in debug builds; NBA_GRAD_ZERO marks a zero by definition;
 * the named saved masks keep their bit values; nn.Sequential built in the documented form (one layer
 * per statement) draws torch's weights after the same seed (tests/golden/house.txt, made by
 * tools/gen_golden_house.py). White-box: uses autograd's private nba_tape.h. */
#include "testlib.h"
#include "nba_tape.h"
#include <stdlib.h>
#include <string.h>

static nb_tensor *leaf1(double v) { return nb_tensor_from(NB_F64, (double[]){ v }, NB_SHAPE(1), true); }

/* the documented form: each layer in its own statement, in torch's order (C leaves the order of
 * function arguments unspecified, so constructors nested in one call may run in any order) */
static nb_module *build(const char *name) {
    if (!strcmp(name, "sequential")) {
        nb_module *l0 = nb_linear_new(4, 3, true);
        nb_module *l2 = nb_linear_new(3, 2, true);
        return nb_sequential_new(3, l0, nb_relu_new(), l2);
    }
    if (!strcmp(name, "sequential_deep")) {
        nb_module *l0 = nb_linear_new(5, 4, true);
        nb_module *l2 = nb_linear_new(4, 4, true);
        nb_module *l4 = nb_linear_new(4, 1, false);
        return nb_sequential_new(5, l0, nb_tanh_new(), l2, nb_relu_new(), l4);
    }
    return NULL;
}

/* every "param" line of house.txt equals the built model's parameter bitwise (f32) */
static void sequential_matches_torch(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024], line[8192], cname[64] = "";
    snprintf(path, sizeof path, "%s/golden/house.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    nb_module *m = NULL;
    int nparams = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long seed;
        if (sscanf(line, "seed %63s %llu", cname, &seed) == 2) {
            nb_module_free(m);
            nb_manual_seed(seed);
            m = build(cname);
            CHECK(m != NULL);
        } else if (m && !strncmp(line, "param ", 6)) { /* param <case> <name> <f32 tensor> */
            char *s = line + 6;
            tl_golden g = { .n = 0 };
            tl_next_token(&s);
            bool ok = tl_parse_named_golden(&s, &g) && g.dt == NB_F32;
            nb_tensor *p = ok ? nb_module_get_parameter(m, g.name) : NULL;
            bool same = p && p->numel == g.n;
            for (int64_t i = 0; same && i < g.n; i++) same = nb_data_f32(p)[i] == (float)g.v[i];
            if (!same)
                fprintf(stderr, "FAIL %s %s differs from torch's after the same seed\n", cname, g.name);
            CHECK(same);
            tl_golden_free(&g);
            nparams++;
        }
    }
    nb_module_free(m);
    fclose(f);
    CHECK(nparams == 9);
}

int main(void) {
    sequential_matches_torch();

    /* the masks are the bits the engine reads (bare numbers in other branches stay valid) */
    CHECK(NBA_SAVE_IN(0) == 1u && (NBA_SAVE_IN(0) | NBA_SAVE_IN(1)) == 3u && NBA_SAVE_NONE == 0u);
    CHECK((NBA_SAVE_IN(30) & NBA_SAVE_OUT) == 0 && (NBA_SAVE_ALL & NBA_SAVE_OUT) == 0);

    /* a rule that handles input 0 only, recorded with a second input requiring grad */
    nb_tensor *x = leaf1(2.0), *x2 = leaf1(5.0);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nbt_unary(NBT_NEG, x, 0, 0);
    CHECK(nba_record(NBA_OP_neg, y, 2, (nb_tensor *[]){ x, x2 }, NBA_SAVE_NONE) != NULL);
    nb_status st = nb_backward(nb_sum(y));
#ifndef NDEBUG
    CHECK(st == NB_ERROR && nb_error() && strstr(nb_error(), "left the gradient of input 1"));
    nb_clear_error();
#else
    CHECK(st == NB_OK && !nb_error()); /* release: a missing gradient counts as zero */
#endif
    nb_scope_end(s);
    nb_zero_grad(x);

    /* where's condition is zero by definition (NBA_GRAD_ZERO): no error, the branches get g */
    nb_tensor *c = leaf1(1.0), *a = leaf1(3.0), *b = leaf1(4.0);
    s = nb_scope_begin();
    CHECK(nb_backward(nb_sum(nb_where(c, a, b))) == NB_OK && !nb_error());
    nb_scope_end(s);
    CHECK(c->grad == NULL && a->grad && nb_item(a->grad) == 1.0 && b->grad && nb_item(b->grad) == 0.0);
    nb_free(x);
    nb_free(x2);
    nb_free(c);
    nb_free(a);
    nb_free(b);
    return nb_test_done();
}
