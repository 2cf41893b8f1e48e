/* test_optim_2d.c — runs examples/optim_2d (path in argv[1]) for every command line of
 * $NB_TEST_DATA/golden/optim_2d.txt and compares the printed line with torch's (exact text;
 * a near-zero value may differ only in the sign of "-0.000000"); checks --csv and --svg output. */
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

/* same line, allowing "-0.000000" == "0.000000" */
static bool same_line(const char *got, const char *want) {
    if (!strcmp(got, want)) return true;
    char a[256], b[256];
    int ga, gb;
    double a1, a2, b1, b2;
    if (sscanf(got, "epoch %d, x1: %lf, x2: %lf", &ga, &a1, &a2) != 3) return false;
    if (sscanf(want, "epoch %d, x1: %lf, x2: %lf", &gb, &b1, &b2) != 3) return false;
    snprintf(a, sizeof a, "%d %f %f", ga, a1 == 0 ? 0.0 : a1, a2 == 0 ? 0.0 : a2);
    snprintf(b, sizeof b, "%d %f %f", gb, b1 == 0 ? 0.0 : b1, b2 == 0 ? 0.0 : b2);
    return !strcmp(a, b);
}

static bool run(const char *exe, const char *args, char *out, size_t n) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s", exe, args);
    FILE *p = popen(cmd, "r");
    if (!p) return false;
    out[0] = 0;
    if (!fgets(out, (int)n, p)) out[0] = 0;
    out[strcspn(out, "\n")] = 0;
    return pclose(p) == 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_optim_2d PATH/optim_2d\n");
        return 2;
    }
    const char *exe = argv[1], *dir = getenv("NB_TEST_DATA");
    char path[1024], line[1024], got[512];
    snprintf(path, sizeof path, "%s/golden/optim_2d.txt", dir ? dir : "tests");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s (set NB_TEST_DATA to the tests/ directory)\n", path);
        return 1;
    }
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        char *bar = strchr(line, '|');
        if (!bar) continue;
        *bar = 0;
        char *want = bar + 2;
        want[strcspn(want, "\n")] = 0;
        bool ok = run(exe, line, got, sizeof got);
        if (!CHECK(ok && same_line(got, want)))
            fprintf(stderr, "  optim_2d %s\n    got  '%s'\n    want '%s'\n", line, got, want);
        n++;
    }
    fclose(f);
    CHECK(n >= 20);
    /* the seed's GD run and its CSV / SVG files */
    const char *tmp = getenv("NB_BUILD_DIR");
    char csv[1024], svg[1024], args[3000];
    snprintf(csv, sizeof csv, "%s/optim_2d_test.csv", tmp ? tmp : "/tmp");
    snprintf(svg, sizeof svg, "%s/optim_2d_test.svg", tmp ? tmp : "/tmp");
    snprintf(args, sizeof args, "--opt sgd --lr 0.1 --f gd --csv '%s' --svg '%s'", csv, svg);
    CHECK(run(exe, args, got, sizeof got) && !strcmp(got, "epoch 20, x1: -0.057646, x2: -0.000073"));
    FILE *c = fopen(csv, "r");
    int rows = 0;
    double last1 = 0, last2 = 0;
    if (CHECK(c != NULL)) {
        CHECK(fgets(line, sizeof line, c) && !strcmp(line, "step,x1,x2\n"));
        int s;
        while (fscanf(c, "%d,%lf,%lf", &s, &last1, &last2) == 3) rows++;
        fclose(c);
    }
    CHECK(rows == 21);
    CHECK_NEAR(last1, -5 * pow(0.8, 20), 1e-12);
    FILE *g = fopen(svg, "r");
    if (CHECK(g != NULL)) {
        size_t k = fread(line, 1, sizeof line - 1, g);
        line[k] = 0;
        CHECK(strstr(line, "<svg") != NULL);
        fclose(g);
    }
    remove(csv);
    remove(svg);
    /* beyond torch: on this separable quadratic, Newton-CG and diagonal preconditioning are exact
     * Newton steps, x_k = (1 - lr)^k x_0 */
    CHECK(run(exe, "--opt diag_newton --lr 0.5 --steps 10", got, sizeof got) &&
          same_line(got, "epoch 10, x1: -0.004883, x2: -0.001953"));
    CHECK(run(exe, "--opt newton_cg --lr 0.5 --steps 10", got, sizeof got) &&
          same_line(got, "epoch 10, x1: -0.004883, x2: -0.001953"));
    CHECK(run(exe, "--opt newton --lr 1 --abs-hessian --steps 1", got, sizeof got) &&
          same_line(got, "epoch 1, x1: 0.000000, x2: 0.000000"));
    CHECK(run(exe, "--opt gd_armijo --lr 1 --f gd --steps 5", got, sizeof got) &&
          same_line(got,
                    "epoch 5, x1: 0.000000, x2: 0.000000")); /* backtracking reaches t = 1/2, then t = 1/4 */
    /* bad command lines fail with usage */
    CHECK(!run(exe, "--opt nosuch --lr 1 2>/dev/null", got, sizeof got));
    CHECK(!run(exe, "--opt sgd --lr 1 --line-search armijo 2>/dev/null", got, sizeof got));
    CHECK(!run(exe, "--opt sgd 2>/dev/null", got, sizeof got)); /* SGD needs an lr */
    return nb_test_done();
}
