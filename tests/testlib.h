/* testlib.h — the tiny test harness every test program uses: CHECK / CHECK_NEAR record a result,
 * print the failing expression with file:line, and nb_test_done() prints "N passed, M failed"
 * (the line CI reads) and returns the exit status. */
#ifndef NB_TESTLIB_H
#define NB_TESTLIB_H
#include <nabla.h>
#include <math.h>
#include <stdio.h>

extern int tl_pass, tl_fail;
/* Record cond as a result; print msg on failure. */
#define CHECK(cond) tl_check((cond), #cond, __FILE__, __LINE__)
/* Record |a - b| <= tol (relative to max(1, |b|) when rel). */
#define CHECK_NEAR(a, b, tol) tl_near((double)(a), (double)(b), (tol), #a, __FILE__, __LINE__)
/* Record that an error is pending (and clear it); expr must have returned NULL / NB_ERROR. */
#define CHECK_ERR(expr) tl_err((expr) == 0, #expr, __FILE__, __LINE__)
int tl_check(int cond, const char *what, const char *file, int line);
int tl_near(double a, double b, double tol, const char *what, const char *file, int line);
int tl_err(int returned_null, const char *what, const char *file, int line);
/* true if every element of t is within tol (abs + rel) of want[] (row-major). */
int tl_tensor_near(const nb_tensor *t, const double *want, int64_t n, double tol, const char *what,
                   const char *file, int line);
#define CHECK_TENSOR(t, want, n, tol) tl_tensor_near((t), (want), (n), (tol), #t, __FILE__, __LINE__)
/* -- golden files (modules) -- */
/* Open $NB_TEST_DATA/<rel> (default tests/<rel>) for reading, or NULL with a message on stderr. */
FILE *tl_open_data(const char *rel);
/* The next space-separated token of a line stream (*save, as strtok_r's: start with *save = line),
 * NUL-terminated in place; "" at the end of the line. */
char *tl_next_token(char **save);
/* A golden tensor as its text line gives it: dtype, shape and values as doubles (exact for f32, f64
 * and i64 below 2^53), or only two checksums; name only from tl_parse_named_golden. */
typedef struct {
    char name[64];
    nb_dtype dt;
    bool rg, chk; /* rg: the ops format's requires_grad flag; chk: checksums s1, s2 only (v NULL) */
    int ndim;
    int64_t shape[NB_MAX_DIMS], n;
    double *v, s1, s2;
} tl_golden;
/* The dtype a golden token names: "f64", "i64", else f32. */
nb_dtype tl_parse_dtype(const char *tok);
/* Parse "<f32|f64|i64> [rg] <ndim> <shape...> <values...>" (tools/golden_fmt.py's tens(); the rg 0/1
 * flag only when with_rg) from the stream into *g; false on a malformed or short line. */
bool tl_parse_golden(char **save, tl_golden *g, bool with_rg);
/* Parse "<name> <tensor as tl_parse_golden, no rg>" into *g (rnn, transformer, house files). */
bool tl_parse_named_golden(char **save, tl_golden *g);
/* Parse the ops format's "big": "<dt> [rg] <ndim> <shape...> <seed>", values
 * ((k 7919 + seed 104729) % 1000 - 500) / 256 (exact in f32), the generators' formula. */
bool tl_parse_golden_big(char **save, tl_golden *g, bool with_rg);
/* Parse the ops format's "bigi": "<ndim> <shape...> <seed> <high>", i64 values (k 31 + seed) % high. */
bool tl_parse_golden_bigi(char **save, tl_golden *g);
/* Parse the ops format's "chk": "<dt> <ndim> <shape...> <s1> <s2>", checksums s1 = sum v_k and
 * s2 = sum v_k ((k 37) % 19 - 9) / 8 of the values torch had (g->chk set, g->v NULL). */
bool tl_parse_golden_chk(char **save, tl_golden *g);
/* A new contiguous tensor of g's dtype holding g's values (f32: rounded once), requires_grad if g->rg. */
nb_tensor *tl_golden_tensor(const tl_golden *g);
/* Free g's values and zero *g. */
void tl_golden_free(tl_golden *g);
/* Parse "<f32|f64|i64> <ndim> <shape...> <values...>" from the stream into a new tensor
 * (tl_parse_golden then tl_golden_tensor); NULL on a malformed line. */
nb_tensor *tl_parse_tensor(char **save);
/* -- end golden files -- */
/* -- the invariant "no call returns a result while it raised an error" (docs/errors.md) --
 * TL_T(expr) for a call returning a tensor (or any pointer: TL_P), TL_OK for nb_status, TL_D for
 * double: evaluates expr once and returns its value; if it succeeded (non-NULL, NB_OK, not NaN) but an
 * error was raised during it (recorded or dropped as not first), that is a failed check. Not nested. */
#define TL_T(expr) ((nb_tensor *)TL_P(expr))
#define TL_P(expr) (tl_mark(), tl_ptr_((void *)(expr), #expr, __FILE__, __LINE__))
#define TL_OK(expr) (tl_mark(), tl_status_((expr), #expr, __FILE__, __LINE__))
#define TL_D(expr) (tl_mark(), tl_double_((expr), #expr, __FILE__, __LINE__))
void tl_mark(void);
void *tl_ptr_(void *r, const char *what, const char *file, int line);
nb_status tl_status_(nb_status r, const char *what, const char *file, int line);
double tl_double_(double r, const char *what, const char *file, int line);
/* Print the summary line and return the process exit code. */
int nb_test_done(void);
#endif
