/* golden_vals.c — reader of the named-values golden files (golden_vals.h). */
#include "golden_vals.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gv_case *cases;
static int ncases;

void gv_load(const char *file) {
    const char *dir = getenv("NB_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/golden/%s", dir ? dir : "tests", file);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        char kind[8], name[64];
        int used = 0;
        if (line[0] == '#' || sscanf(line, "%7s %63s %n", kind, name, &used) != 2) continue;
        gv_case *nc = realloc(cases, sizeof *cases * (size_t)(ncases + 1));
        if (!nc) exit(1);
        cases = nc;
        gv_case *c = &cases[ncases++];
        memset(c, 0, sizeof *c);
        snprintf(c->name, sizeof c->name, "%s", name);
        char *p = line + used;
        if (!strcmp(kind, "state")) {
            c->n = (int64_t)strcspn(p, " \n") / 2;
            c->bytes = malloc((size_t)c->n + 1);
            for (int64_t i = 0; i < c->n; i++) {
                unsigned b;
                sscanf(p + 2 * i, "%2x", &b);
                c->bytes[i] = (uint8_t)b;
            }
        } else {
            c->n = strtoll(p, &p, 10);
            c->v = malloc(sizeof(double) * (size_t)(c->n + 1));
            for (int64_t i = 0; i < c->n; i++) c->v[i] = strtod(p, &p);
        }
    }
    free(line);
    fclose(f);
}

int gv_count(void) { return ncases; }
const gv_case *gv_at(int i) { return &cases[i]; }

const gv_case *gv_find(const char *name) {
    for (int i = 0; i < ncases; i++)
        if (!strcmp(cases[i].name, name)) return &cases[i];
    fprintf(stderr, "golden case %s missing\n", name);
    return NULL;
}

bool gv_same(const char *name, const double *got, int64_t n, double tol) {
    const gv_case *c = gv_find(name);
    if (!c || c->n != n) {
        fprintf(stderr, "case %s: %lld values, torch has %lld\n", name, (long long)n,
                c ? (long long)c->n : -1LL);
        return false;
    }
    for (int64_t i = 0; i < n; i++) {
        double w = c->v[i];
        bool ok = tol == 0 ? got[i] == w || (isnan(got[i]) && isnan(w))
                           : fabs(got[i] - w) <= tol * (1 + fabs(w));
        if (!ok) {
            fprintf(stderr, "case %s [%lld]: %.17g, torch %.17g\n", name, (long long)i, got[i], w);
            return false;
        }
    }
    return true;
}

void gv_put(double *buf, int64_t *k, const nb_tensor *t) {
    if (t && nb_to_doubles(t, buf + *k) == NB_OK) *k += nb_numel(t);
}

uint64_t gv_seed(const char *name) {
    uint32_t c = 0xffffffffu;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        c ^= *p;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return c ^ 0xffffffffu;
}

void gv_free(void) {
    for (int i = 0; i < ncases; i++) {
        free(cases[i].v);
        free(cases[i].bytes);
    }
    free(cases);
    cases = NULL;
    ncases = 0;
}
