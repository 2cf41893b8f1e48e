/* golden_vals.h — the "vals <name> <k> <v...>" / "state <name> <hex>" golden files of the generator and
 * sampling tests (tools/gen_golden_generator.py, tools/gen_golden_sampling.py): load, look up, compare. */
#ifndef NB_GOLDEN_VALS_H
#define NB_GOLDEN_VALS_H
#include <nabla.h>

typedef struct {
    char name[64];
    int64_t n;
    double *v;      /* vals lines */
    uint8_t *bytes; /* state lines (n bytes) */
} gv_case;
/* Load tests/golden/<file> (from $NB_TEST_DATA); exits the test on a missing file. */
void gv_load(const char *file);
/* Number of loaded cases and case i. */
int gv_count(void);
const gv_case *gv_at(int i);
/* The case named name, or NULL (printing that it is missing). */
const gv_case *gv_find(const char *name);
/* got[0..n-1] equals case name's values: exactly (tol 0) or within tol (1 + |want|); prints the first miss. */
bool gv_same(const char *name, const double *got, int64_t n, double tol);
/* Append t's values (as doubles) to buf at *k. */
void gv_put(double *buf, int64_t *k, const nb_tensor *t);
/* zlib.crc32(name): the per-case seed of the generator scripts. */
uint64_t gv_seed(const char *name);
/* Free everything loaded. */
void gv_free(void);
#endif
