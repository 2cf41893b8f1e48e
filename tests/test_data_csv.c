/* test_data_csv.c — nb_read_csv on small real files (header, blanks, quotes, CRLF, another
 * delimiter, integer dtype) and on malformed ones: ragged rows and non-numeric or empty fields are
 * errors naming the line and column. */
#include "testlib.h"
#include "nb_data.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[1024];
static const char *P(const char *name) {
    static char buf[1200];
    snprintf(buf, sizeof buf, "%s/data/%s", dir, name);
    return buf;
}

static void expect_err(const char *name, nb_csv_opts o, const char *want) {
    nb_tensor *t = nb_read_csv(P(name), o);
    const char *e = nb_error();
    if (!CHECK(t == NULL && e && strstr(e, want)))
        fprintf(stderr, "  %s: got \"%s\", wanted \"%s\"\n", name, e ? e : "no error", want);
    nb_free(t);
    nb_clear_error();
}

int main(void) {
    const char *d = getenv("NB_TEST_DATA");
    snprintf(dir, sizeof dir, "%s", d ? d : "tests");

    nb_tensor *t = nb_read_csv(P("good.csv"), (nb_csv_opts){ .header = true });
    CHECK(t && t->dtype == NB_F32 && t->ndim == 2 && t->shape[0] == 3 && t->shape[1] == 3);
    CHECK_TENSOR(t, ((double[]){ 1, 2, 3, 4.5, -6, 0.7, 8, 9, 10 }), 9, 1e-7);
    nb_free(t);
    t = nb_read_csv(P("good.csv"), (nb_csv_opts){ .header = true, .dtype = NB_F64 });
    CHECK(t && t->dtype == NB_F64 && nb_data_f64(t)[5] == 0.7);
    nb_free(t);
    t = nb_read_csv(P("good-semicolon.csv"), (nb_csv_opts){ .delimiter = ';', .dtype = NB_F64 });
    CHECK(t && t->shape[0] == 2 && t->shape[1] == 2);
    CHECK_TENSOR(t, ((double[]){ 1, 2, 3, 4 }), 4, 0);
    nb_free(t);
    t = nb_read_csv(P("labels.csv"), (nb_csv_opts){ .dtype = NB_I64 });
    CHECK(t && t->dtype == NB_I64);
    CHECK_TENSOR(t, ((double[]){ 0, 1, 2, 3 }), 4, 0);
    nb_free(t);

    t = nb_read_csv(P("bom.csv"), (nb_csv_opts){ .header = true });
    CHECK_TENSOR(t, ((double[]){ 1, 2 }), 2, 0);
    nb_free(t);

    expect_err("good.csv", (nb_csv_opts){ 0 },
               "line 1, column 1: 'a' is not a number (a header line? set .header = true)");
    expect_err("ragged.csv", (nb_csv_opts){ 0 }, "line 3 has 2 fields, but line 1 has 3");
    expect_err("nonnumeric.csv", (nb_csv_opts){ 0 }, "line 2, column 2: 'five' is not a number");
    expect_err("empty-field.csv", (nb_csv_opts){ 0 }, "line 2, column 2: an empty field is not a number");
    expect_err("header-only.csv", (nb_csv_opts){ .header = true }, "no data rows");
    expect_err("good.csv", (nb_csv_opts){ .header = true, .dtype = NB_I64 },
               "data row 2, column 1: 4.5 is not an integer");
    expect_err("missing.csv", (nb_csv_opts){ 0 }, "cannot open");
    expect_err("tiny-images-idx3-ubyte", (nb_csv_opts){ 0 }, "NUL bytes");
    CHECK_ERR(nb_read_csv(NULL, (nb_csv_opts){ 0 }));

    /* fuzz: flips, truncations and random bytes in a valid file give a tensor or an error */
    FILE *f = fopen(P("good.csv"), "rb");
    char src[256];
    size_t n = f ? fread(src, 1, sizeof src, f) : 0;
    if (f) fclose(f);
    char tmp[] = "/tmp/nb_csv_fuzz_XXXXXX";
    int fd = mkstemp(tmp), ok = 1, parsed = 0;
    CHECK(fd >= 0 && n > 0);
    close(fd);
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int it = 0; it < 2000 && n; it++) {
        char m[256];
        memcpy(m, src, n);
        size_t len = n;
        for (int k = 0; k < 1 + it % 3; k++) {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            m[r % n] = (it & 1) ? (char)(r >> 56) : "0123456789,.-e \n\"x"[(r >> 40) % 18];
        }
        if (it % 4 == 0) len = (size_t)(r >> 20) % (n + 1);
        unlink(tmp);
        f = fopen(tmp, "wb");
        fwrite(m, 1, len, f);
        fclose(f);
        nb_csv_opts o = { .header = it % 3 == 0, .dtype = (nb_dtype)(it % 3) };
        nb_tensor *x = nb_read_csv(tmp, o);
        if (x) {
            parsed++;
            if (x->ndim != 2) ok = 0;
        } else if (!nb_error())
            ok = 0;
        nb_free(x);
        nb_clear_error();
    }
    unlink(tmp);
    CHECK(ok);
    printf("fuzz: 2000 corrupted CSV files, %d parsed, %d rejected\n", parsed, 2000 - parsed);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
