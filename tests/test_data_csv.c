/* test_data_csv.c — nb_read_csv on small real files (header, blanks, quotes, CRLF, another
 * delimiter, integer dtype) and on malformed ones: ragged rows and non-numeric or empty fields are
 * errors naming the line and column. */
#include "testlib.h"
#include "nb_data.h"
#include <stdlib.h>
#include <string.h>

static char dir[1024];
static const char *P(const char *name) {
    static char buf[1200];
    snprintf(buf, sizeof buf, "%s/data/%s", dir, name);
    return buf;
}

static void expect_err(const char *name, nb_csv_opts o, const char *want) {
    nb_tensor *t = nb_read_csv(P(name), o);
    const char *e = nb_error();
    if (!CHECK(t == NULL && e && strstr(e, want))) fprintf(stderr, "  %s: got \"%s\", wanted \"%s\"\n", name, e ? e : "no error", want);
    nb_free(t);
    nb_clear_error();
}

int main(void) {
    const char *d = getenv("NB_TEST_DATA");
    snprintf(dir, sizeof dir, "%s", d ? d : "tests");

    nb_tensor *t = nb_read_csv(P("good.csv"), (nb_csv_opts){ .header = true });
    CHECK(t && t->dtype == NB_F32 && t->ndim == 2 && t->shape[0] == 3 && t->shape[1] == 3);
    CHECK_TENSOR(t, ((double[]){1, 2, 3, 4.5, -6, 0.7, 8, 9, 10}), 9, 1e-7);
    nb_free(t);
    t = nb_read_csv(P("good.csv"), (nb_csv_opts){ .header = true, .dtype = NB_F64 });
    CHECK(t && t->dtype == NB_F64 && nb_data_f64(t)[5] == 0.7);
    nb_free(t);
    t = nb_read_csv(P("good-semicolon.csv"), (nb_csv_opts){ .delimiter = ';', .dtype = NB_F64 });
    CHECK(t && t->shape[0] == 2 && t->shape[1] == 2);
    CHECK_TENSOR(t, ((double[]){1, 2, 3, 4}), 4, 0);
    nb_free(t);
    t = nb_read_csv(P("labels.csv"), (nb_csv_opts){ .dtype = NB_I64 });
    CHECK(t && t->dtype == NB_I64);
    CHECK_TENSOR(t, ((double[]){0, 1, 2, 3}), 4, 0);
    nb_free(t);

    expect_err("good.csv", (nb_csv_opts){0}, "line 1, column 1: 'a' is not a number (a header line? set .header = true)");
    expect_err("ragged.csv", (nb_csv_opts){0}, "line 3 has 2 fields, but line 1 has 3");
    expect_err("nonnumeric.csv", (nb_csv_opts){0}, "line 2, column 2: 'five' is not a number");
    expect_err("empty-field.csv", (nb_csv_opts){0}, "line 2, column 2: an empty field is not a number");
    expect_err("header-only.csv", (nb_csv_opts){ .header = true }, "no data rows");
    expect_err("good.csv", (nb_csv_opts){ .header = true, .dtype = NB_I64 }, "data row 2, column 1: 4.5 is not an integer");
    expect_err("missing.csv", (nb_csv_opts){0}, "cannot open");
    expect_err("tiny-images-idx3-ubyte", (nb_csv_opts){0}, "NUL bytes");
    CHECK_ERR(nb_read_csv(NULL, (nb_csv_opts){0}));
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
