/* test_data_idx.c — nb_read_idx on real files (tiny ones in tests/data, plain and gzip, every
 * element type, and the real Fashion-MNIST test labels when installed), on a set of malformed files
 * (each a clear error), and a fuzz loop: random byte flips and truncations of valid files must only
 * ever give a tensor or an error (run under ASan in CI). */
#include "testlib.h"
#include "nb_data.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[1024];
static const char *P(const char *name) {
    static char buf[4][1200];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/data/%s", dir, name);
    return buf[k];
}

/* Expect an error whose message contains want. */
static void expect_err(const char *name, nb_dtype dt, const char *want) {
    nb_tensor *t = nb_read_idx(P(name), dt, 1);
    const char *e = nb_error();
    if (!CHECK(t == NULL && e && strstr(e, want)))
        fprintf(stderr, "  %s: got \"%s\", wanted \"%s\"\n", name, e ? e : "no error", want);
    nb_free(t);
    nb_clear_error();
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *b = malloc(1 << 16);
    *n = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

static uint64_t rs = 0x1234567;
static uint64_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* Random flips and truncations of src: nb_read_idx must return a tensor or an error, nothing else. */
static void fuzz(const char *src, const char *tmp, int iters) {
    size_t n = 0;
    unsigned char *b = slurp(P(src), &n);
    if (!CHECK(b != NULL)) return;
    unsigned char *m = malloc(n + 16);
    int ok = 1, tensors = 0;
    for (int it = 0; it < iters; it++) {
        memcpy(m, b, n);
        size_t len = n;
        int kind = (int)(rnd() % 4);
        int flips = 1 + (int)(rnd() % 4);
        if (kind != 1)
            for (int k = 0; k < flips; k++) m[rnd() % n] ^= (unsigned char)(1u << (rnd() % 8));
        if (kind != 0) len = rnd() % (n + 1);
        if (kind == 3) {
            for (int k = 0; k < 8; k++) m[len + k] = (unsigned char)rnd();
            len += rnd() % 8;
        }
        unlink(tmp); /* not truncate: ext4 flushes a truncated-and-rewritten file on close */
        FILE *f = fopen(tmp, "wb");
        fwrite(m, 1, len, f);
        fclose(f);
        nb_tensor *t = nb_read_idx(tmp, (nb_dtype)(it % 3), it % 2 ? 1.0f / 255 : 1);
        if (t) {
            tensors++;
            if (!nb_is_valid(t)) ok = 0;
        } else if (!nb_error())
            ok = 0;
        nb_free(t);
        nb_clear_error();
    }
    CHECK(ok);
    printf("fuzz %s: %d iterations, %d parsed, %d rejected\n", src, iters, tensors, iters - tensors);
    free(m);
    free(b);
}

int main(void) {
    const char *d = getenv("NB_TEST_DATA");
    snprintf(dir, sizeof dir, "%s", d ? d : "tests");

    /* tiny images: 3 x 2 x 3 bytes (i * 15) % 256, as f32 / 255 and raw i64; plain and gz agree */
    double want[18], want_raw[18];
    for (int i = 0; i < 18; i++) {
        want_raw[i] = (i * 15) % 256;
        want[i] = (float)want_raw[i] / 255.0f;
    }
    const char *names[2] = { "tiny-images-idx3-ubyte", "tiny-images-idx3-ubyte.gz" };
    for (int k = 0; k < 2; k++) {
        nb_tensor *x = nb_read_idx(P(names[k]), NB_F32, 1.0f / 255);
        CHECK(x && x->dtype == NB_F32 && x->ndim == 3 && x->shape[0] == 3 && x->shape[1] == 2 &&
              x->shape[2] == 3);
        CHECK_TENSOR(x, want, 18, 0);
        /* bit-exact torch x.float().div(255) */
        CHECK(x && nb_data_f32(x)[17] == (float)255 / 255.0f && nb_data_f32(x)[1] == 15.0f / 255.0f);
        nb_free(x);
        x = nb_read_idx(P(names[k]), NB_I64, 0);
        CHECK(x && x->dtype == NB_I64);
        CHECK_TENSOR(x, want_raw, 18, 0);
        nb_free(x);
        x = nb_read_idx(P(names[k]), NB_F64, 2);
        double w2[18];
        for (int i = 0; i < 18; i++) w2[i] = 2 * want_raw[i];
        CHECK_TENSOR(x, w2, 18, 0);
        nb_free(x);
    }
    const char *lnames[2] = { "tiny-labels-idx1-ubyte", "tiny-labels-idx1-ubyte.gz" };
    for (int k = 0; k < 2; k++) {
        nb_tensor *y = nb_read_idx(P(lnames[k]), NB_I64, 1);
        CHECK(y && y->ndim == 1 && y->shape[0] == 3);
        CHECK_TENSOR(y, ((double[]){ 7, 0, 9 }), 3, 0);
        nb_free(y);
    }
    /* other element types */
    nb_tensor *t = nb_read_idx(P("tiny-f32-idx2"), NB_F32, 1);
    CHECK(t && t->ndim == 2);
    CHECK_TENSOR(t, ((double[]){ 1.5, -2.0, 0.25, 1e6 }), 4, 0);
    nb_free(t);
    t = nb_read_idx(P("tiny-i16-idx1"), NB_I64, 1);
    CHECK_TENSOR(t, ((double[]){ -300, 0, 32767 }), 3, 0);
    nb_free(t);
    t = nb_read_idx(P("tiny-f64-idx1"), NB_F64, 1);
    CHECK(t && nb_data_f64(t)[0] == 3.141592653589793 && nb_data_f64(t)[1] == -1e-300);
    nb_free(t);
    /* inside a scope the result belongs to the scope */
    nb_scope s = nb_scope_begin();
    t = nb_read_idx(P("tiny-labels-idx1-ubyte"), NB_I64, 1);
    CHECK(t && t->scope == s);
    nb_scope_end(s);

    /* malformed files: each a clear error */
    expect_err("does-not-exist.idx", NB_F32, "cannot open");
    expect_err("empty.idx", NB_F32, "too short");
    expect_err("bad-magic.idx", NB_F32, "not an IDX file");
    expect_err("bad-type.idx", NB_F32, "not an IDX file");
    expect_err("bad-ndim0.idx", NB_F32, "not an IDX file");
    expect_err("too-many-dims.idx", NB_F32, "at most 8");
    expect_err("truncated-header.idx", NB_F32, "truncated inside its header");
    expect_err("truncated-data.idx", NB_F32, "truncated");
    expect_err("extra-data.idx", NB_F32, "bytes after");
    expect_err("wrong-count-labels.idx", NB_I64, "truncated");
    expect_err("huge-dims.idx", NB_F32, "GiB");
    expect_err("huge-4g.idx", NB_F32, "truncated");
#ifdef NB_HAVE_ZLIB
    expect_err("huge-4g.idx.gz", NB_F32, "truncated");
    expect_err("truncated.idx.gz", NB_F32, "gzip");
    expect_err("corrupt-crc.idx.gz", NB_F32, "gzip");
    expect_err("corrupt-deflate.idx.gz", NB_F32, "gzip");
#endif
    CHECK_ERR(nb_read_idx(NULL, NB_F32, 1));
    CHECK_ERR(nb_read_idx(P("tiny-f32-idx2"), (nb_dtype)7, 1));
    CHECK_ERR(nb_read_idx(P("tiny-f32-idx2"), NB_F32, NAN));

    /* the real Fashion-MNIST test labels, when the Debian package is installed */
    const char *real = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (access(real, R_OK) == 0) {
        nb_tensor *y = nb_read_idx(real, NB_I64, 1);
        CHECK(y && y->ndim == 1 && y->shape[0] == 10000);
        int64_t first[10] = { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 };
        CHECK(y && memcmp(nb_data_i64(y), first, sizeof first) == 0);
        int64_t count[10] = { 0 }, bad = 0;
        for (int64_t i = 0; y && i < 10000; i++) {
            int64_t v = nb_data_i64(y)[i];
            if (v < 0 || v > 9)
                bad++;
            else
                count[v]++;
        }
        CHECK(bad == 0 && count[0] == 1000 && count[9] == 1000);
        nb_free(y);
        /* the test images: (10000, 28, 28), byte sum from numpy, first image bit-exact as torch's / 255 */
        nb_tensor *x = nb_read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", NB_I64, 1);
        CHECK(x && x->ndim == 3 && x->shape[0] == 10000 && x->shape[1] == 28 && x->shape[2] == 28);
        int64_t sum = 0;
        for (int64_t i = 0; x && i < x->numel; i++) sum += nb_data_i64(x)[i];
        CHECK(sum == 573469082);
        nb_free(x);
        x = nb_read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", NB_F32, 1.0f / 255);
        float s0 = 0;
        for (int i = 0; x && i < 784; i++)
            s0 += nb_data_f32(x)[i]; /* sequential float sum, as torch's x[0].sum() here */
        CHECK(x && nb_data_f32(x)[14 * 28 + 12] == 98.0f / 255.0f);
        CHECK_NEAR(s0, 131.20001220703125, 1e-5);
        nb_free(x);
    } else {
        printf("skipped: %s not installed (apt-get install dataset-fashion-mnist)\n", real);
    }

    /* fuzz: flips and truncations never crash */
    char tmp[] = "/tmp/nb_idx_fuzz_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    close(fd);
    fuzz("tiny-images-idx3-ubyte", tmp, 3000);
    fuzz("tiny-labels-idx1-ubyte", tmp, 1000);
#ifdef NB_HAVE_ZLIB
    fuzz("tiny-images-idx3-ubyte.gz", tmp, 3000);
#endif
    unlink(tmp);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
