/* test_checkpoint.c — safetensors checkpoints: round trip (save, read back and load into fresh
 * tensors: identical values and identical F.linear outputs), the file layout, strict/non-strict
 * loading, every truncation and a catalogue of corrupt headers rejected with clear errors, a fuzz
 * loop (flips/truncations never crash), and atomic saves: a failed save leaves the old file intact
 * and no temporary file behind. */
#include "testlib.h"
#include "nb_checkpoint.h"
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static const char *P(const char *name) {
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    *n = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}
static void spit(const char *path, const void *b, size_t n) {
    unlink(path); /* not truncate: ext4 flushes a truncated-and-rewritten file on close */
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}
/* A file with the given header text (length prefix added) and n data bytes. */
static void raw_file(const char *path, const char *header, size_t ndata) {
    size_t hl = strlen(header);
    unsigned char *b = calloc(8 + hl + ndata + 1, 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, header, hl);
    spit(path, b, 8 + hl + ndata);
    free(b);
}
/* Number of files in dir whose name contains ".tmp." */
static int tmp_files(void) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strstr(e->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}
static bool same_tensor(const nb_tensor *a, const nb_tensor *b) {
    if (!a || !b || a->dtype != b->dtype || a->ndim != b->ndim ||
        memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim))
        return false;
    int64_t n = a->numel;
    double *x = malloc(sizeof(double) * (size_t)(n + 1)), *y = malloc(sizeof(double) * (size_t)(n + 1));
    nb_to_doubles(a, x);
    nb_to_doubles(b, y);
    bool same = memcmp(x, y, sizeof(double) * (size_t)n) == 0;
    free(x);
    free(y);
    return same;
}

static void expect_bad(const char *header, size_t ndata, const char *want) {
    raw_file(P("bad.safetensors"), header, ndata);
    nb_state_dict sd = { 0 };
    nb_status rc = nb_safetensors_read(P("bad.safetensors"), &sd);
    const char *e = nb_error();
    if (!CHECK(rc == NB_ERROR && sd.n == 0 && e && strstr(e, want)))
        fprintf(stderr, "  header %.80s: got \"%s\", wanted \"%s\"\n", header, e ? e : "no error", want);
    nb_clear_error();
    nb_safetensors_free(&sd);
}

static nb_tensor *w, *b, *d64, *i64, *step, *empty, *wt;
static nb_state_dict model;

static void make_model(void) {
    nb_manual_seed(5);
    w = nb_randn(NB_F32, NB_SHAPE(3, 4));
    b = nb_randn(NB_F32, NB_SHAPE(3));
    d64 = nb_randn(NB_F64, NB_SHAPE(2, 2));
    i64 = nb_randint(-1000, 1000, NB_SHAPE(5));
    step = nb_scalar(NB_F64, 42);
    empty = nb_zeros(NB_F32, NB_SHAPE(0, 3));
    wt = nb_keep(nb_transpose(w, 0, 1)); /* a non-contiguous view */
    nb_state_dict_add(&model, "0.weight", w);
    nb_state_dict_add(&model, "0.bias", b);
    nb_state_dict_add(&model, "state.0.exp_avg", d64);
    nb_state_dict_add(&model, "labels", i64);
    nb_state_dict_add(&model, "state.0.step", step);
    nb_state_dict_add(&model, "empty", empty);
    nb_state_dict_add(&model, "w \"t\" \\ \xc3\xbc\n", wt); /* quotes, backslash, UTF-8, control char */
}

static void test_round_trip(void) {
    CHECK(nb_save_safetensors(&model, P("m.safetensors")) == NB_OK);
    CHECK(tmp_files() == 0);
    size_t n;
    unsigned char *f = slurp(P("m.safetensors"), &n);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | f[i];
    CHECK(n > 8 && (8 + hl) % 8 == 0 && f[8] == '{' && 8 + hl + (12 + 3 + 0 + 12) * 4 + (4 + 1 + 5) * 8 == n);
    free(f);
    /* read back as new tensors */
    nb_state_dict got = { 0 };
    CHECK(nb_safetensors_read(P("m.safetensors"), &got) == NB_OK && got.n == model.n);
    for (int i = 0; i < got.n && i < model.n; i++) {
        CHECK(strcmp(got.names[i], model.names[i]) == 0);
        CHECK(same_tensor(got.tensors[i], model.tensors[i]) && got.tensors[i]->scope == 0);
    }
    nb_safetensors_free(&got);
    /* load into fresh tensors of the same shapes */
    nb_tensor *w2 = nb_zeros(NB_F32, NB_SHAPE(3, 4)), *b2 = nb_zeros(NB_F32, NB_SHAPE(3)),
              *d2 = nb_zeros(NB_F64, NB_SHAPE(2, 2));
    nb_tensor *i2 = nb_zeros(NB_I64, NB_SHAPE(5)), *s2 = nb_scalar(NB_F64, 0),
              *e2 = nb_zeros(NB_F32, NB_SHAPE(0, 3));
    nb_tensor *t2 = nb_zeros(NB_F32, NB_SHAPE(4, 3));
    nb_requires_grad_(w2, true);
    nb_requires_grad_(b2, true);
    nb_state_dict fresh = { 0 };
    nb_state_dict_add(&fresh, "0.weight", w2);
    nb_state_dict_add(&fresh, "0.bias", b2);
    nb_state_dict_add(&fresh, "state.0.exp_avg", d2);
    nb_state_dict_add(&fresh, "labels", i2);
    nb_state_dict_add(&fresh, "state.0.step", s2);
    nb_state_dict_add(&fresh, "empty", e2);
    nb_state_dict_add(&fresh, "w \"t\" \\ \xc3\xbc\n", t2);
    CHECK(nb_load_safetensors(&fresh, P("m.safetensors")) == NB_OK);
    for (int i = 0; i < fresh.n; i++) CHECK(same_tensor(fresh.tensors[i], model.tensors[i]));
    CHECK(w2->requires_grad && nb_is_leaf(w2));
    /* identical outputs of the model the parameters define: F.linear(x, w, b) */
    nb_scope s = nb_scope_begin();
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(6, 4));
    nb_tensor *y1 = nb_linear(x, w, b), *y2 = nb_linear(x, w2, b2);
    CHECK(y1 && y2 && memcmp(nb_data_f32(y1), nb_data_f32(y2), 18 * sizeof(float)) == 0);
    nb_scope_end(s);

    /* strict mode: missing, unexpected, mismatched; nothing changes on error */
    nb_fill_(d2, 7);
    nb_tensor *extra = nb_zeros(NB_F32, NB_SHAPE(1));
    nb_state_dict more = { 0 }, fewer = { 0 }, wrong = { 0 };
    for (int i = 0; i < fresh.n; i++) nb_state_dict_add(&more, fresh.names[i], fresh.tensors[i]);
    nb_state_dict_add(&more, "1.weight", extra);
    CHECK(nb_load_safetensors(&more, P("m.safetensors")) == NB_ERROR &&
          strstr(nb_error(), "has no tensor '1.weight'"));
    nb_clear_error();
    CHECK(nb_data_f64(d2)[0] == 7);
    CHECK(nb_load_safetensors_ex(&more, P("m.safetensors"), (nb_load_opts){ .non_strict = true }) == NB_OK);
    CHECK(same_tensor(d2, d64));
    nb_fill_(d2, 7);
    nb_state_dict_add(&fewer, "state.0.exp_avg", d2);
    CHECK(nb_load_safetensors(&fewer, P("m.safetensors")) == NB_ERROR &&
          strstr(nb_error(), "that the state dict lacks"));
    nb_clear_error();
    CHECK(nb_data_f64(d2)[0] == 7);
    CHECK(nb_load_safetensors_ex(&fewer, P("m.safetensors"), (nb_load_opts){ .non_strict = true }) == NB_OK &&
          same_tensor(d2, d64));
    nb_tensor *bad_shape = nb_zeros(NB_F32, NB_SHAPE(4, 3)), *bad_dtype = nb_zeros(NB_F64, NB_SHAPE(3));
    nb_state_dict_add(&wrong, "0.weight", bad_shape);
    CHECK(nb_load_safetensors_ex(&wrong, P("m.safetensors"), (nb_load_opts){ .non_strict = true }) ==
              NB_ERROR &&
          strstr(nb_error(), "tensor '0.weight' is float32 (3, 4) in"));
    nb_clear_error();
    nb_state_dict_free(&wrong);
    nb_state_dict_add(&wrong, "0.bias", bad_dtype);
    CHECK(nb_load_safetensors_ex(&wrong, P("m.safetensors"), (nb_load_opts){ .non_strict = true }) ==
              NB_ERROR &&
          strstr(nb_error(), "but float64 (3) in the state dict"));
    nb_clear_error();
    CHECK(nb_load_safetensors(&fresh, P("missing.safetensors")) == NB_ERROR &&
          strstr(nb_error(), "cannot open"));
    nb_clear_error();
    nb_state_dict_free(&wrong);
    nb_state_dict_free(&more);
    nb_state_dict_free(&fewer);
    nb_state_dict_free(&fresh);
    nb_free(w2);
    nb_free(b2);
    nb_free(d2);
    nb_free(i2);
    nb_free(s2);
    nb_free(e2);
    nb_free(t2);
    nb_free(extra);
    nb_free(bad_shape);
    nb_free(bad_dtype);
}

static void test_corrupt(void) {
    size_t n;
    unsigned char *f = slurp(P("m.safetensors"), &n);
    /* every truncation is rejected */
    int all = 1;
    for (size_t len = 0; len < n; len++) {
        spit(P("cut.safetensors"), f, len);
        nb_state_dict sd = { 0 };
        if (nb_safetensors_read(P("cut.safetensors"), &sd) != NB_ERROR || sd.n != 0 || !nb_error()) all = 0;
        nb_clear_error();
        nb_safetensors_free(&sd);
    }
    CHECK(all);
    spit(P("cut.safetensors"), f, n - 1);
    nb_state_dict sd = { 0 };
    CHECK(nb_safetensors_read(P("cut.safetensors"), &sd) == NB_ERROR && strstr(nb_error(), "is truncated"));
    nb_clear_error();
    /* a catalogue of malformed headers */
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8,
               "malformed JSON header: unterminated object");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\","
               "\"shape\":[2],\"data_offsets\":[4,12]}}",
               12, "overlap");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\","
               "\"shape\":[2],\"data_offsets\":[12,20]}}",
               20, "belong to no tensor");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "is truncated");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12,
               "4 bytes after the last tensor");
    expect_bad("{\"a\":{\"dtype\":\"F17\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
               "dtype \"F17\" is not a safetensors dtype");
    expect_bad("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
               "dtype \"F16\" is not supported by nabla");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
               "not a non-negative integer");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8,
               "not a non-negative integer");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}", 8,
               "at most 8 sizes");
    expect_bad(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
        "impossibly large");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "0 <= begin <= end");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8,
               "data_offsets [begin, end]");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}}", 8,
               "data_offsets [begin, end]");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "lacks \"data_offsets\"");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8,
               "unknown field 'x'");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\","
               "\"shape\":[2],\"data_offsets\":[8,16]}}",
               16, "tensor 'a' twice");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[00,8]}}", 8, "leading zero");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],}}", 8,
               "expected a string key");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,],\"data_offsets\":[0,8]}}", 8, "malformed JSON");
    expect_bad("{\"\xff\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "invalid UTF-8");
    expect_bad("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "surrogate");
    expect_bad("{\"a\\q\":1}", 0, "invalid escape");
    expect_bad("{\"a\tb\":1}", 0, "raw control character");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ must");
    expect_bad("[1,2]", 0, "not a JSON object");
    expect_bad("{\"a\":1}", 0, "is not an object");
    expect_bad("{\"\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "empty name");
    expect_bad("{} x", 0, "unexpected data after");
    expect_bad("{/*c*/}", 0, "expected a string key");
    expect_bad("{\"a\":nul}", 0, "invalid literal");
    expect_bad("{ ", 0, "expected a string key");
    expect_bad("{\"a\": ", 0, "unexpected end");
    expect_bad("", 0, "at least 2");
    char deep[2100];
    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 1000);
    deep[0] = '{';
    deep[1] = '"';
    deep[2] = 'a';
    deep[3] = '"';
    deep[4] = ':';
    deep[1999] = '}';
    deep[2000] = 0;
    expect_bad(deep, 0, "nesting too deep");
    /* header length: over the limit, larger than the file, too short a file */
    unsigned char h[16] = { 0 };
    h[5] = 1; /* 2^40 */
    spit(P("bad.safetensors"), h, 16);
    CHECK(nb_safetensors_read(P("bad.safetensors"), &sd) == NB_ERROR &&
          strstr(nb_error(), "over the 100 MB limit"));
    nb_clear_error();
    h[5] = 0;
    h[0] = 200;
    spit(P("bad.safetensors"), h, 16);
    CHECK(nb_safetensors_read(P("bad.safetensors"), &sd) == NB_ERROR && strstr(nb_error(), "is truncated"));
    nb_clear_error();
    spit(P("bad.safetensors"), h, 5);
    CHECK(nb_safetensors_read(P("bad.safetensors"), &sd) == NB_ERROR && strstr(nb_error(), "too short"));
    nb_clear_error();
    CHECK(nb_safetensors_read(dir, &sd) == NB_ERROR && strstr(nb_error(), "not a regular file"));
    nb_clear_error();
    /* valid edge cases: no tensors, metadata and blank padding, \u escapes */
    raw_file(P("ok.safetensors"), "{\"__metadata__\":{\"format\":\"pt\"}}   ", 0);
    CHECK(nb_safetensors_read(P("ok.safetensors"), &sd) == NB_OK && sd.n == 0);
    raw_file(P("ok.safetensors"),
             "{\"\\u00fc\\ud83d\\ude00\\n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}", 8);
    CHECK(nb_safetensors_read(P("ok.safetensors"), &sd) == NB_OK && sd.n == 1 &&
          !strcmp(sd.names[0], "\xc3\xbc\xf0\x9f\x98\x80\n") && sd.tensors[0]->ndim == 0 &&
          nb_item(sd.tensors[0]) == 0);
    nb_safetensors_free(&sd);

    /* fuzz: random flips and truncations of the valid file */
    uint64_t r = 88172645463325252ull;
    unsigned char *m = malloc(n);
    int parsed = 0, ok = 1, loaded = 0;
    nb_state_dict zeros = { 0 }; /* fresh tensors shaped like the model's */
    for (int i = 0; i < model.n; i++)
        nb_state_dict_add(&zeros, model.names[i],
                          nb_zeros(model.tensors[i]->dtype, model.tensors[i]->ndim, model.tensors[i]->shape));
    for (int it = 0; it < 4000; it++) {
        memcpy(m, f, n);
        size_t len = n;
        int flips = 1 + (int)(it % 3);
        for (int k = 0; k < flips; k++) {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            size_t at = it % 2 ? (size_t)(r % (8 + 64 + (n - 8 > 400 ? 400 : 0))) % n
                               : (size_t)(r % n); /* favour the header */
            m[at] ^= (unsigned char)(1u << (r >> 60 & 7));
        }
        if (it % 5 == 0) {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            len = (size_t)(r % n);
        }
        spit(P("fuzz.safetensors"), m, len);
        nb_state_dict fs = { 0 };
        nb_status rc = nb_safetensors_read(P("fuzz.safetensors"), &fs);
        if (rc == NB_OK)
            parsed++;
        else if (!nb_error() || fs.n)
            ok = 0;
        nb_clear_error();
        nb_safetensors_free(&fs);
        /* loading into existing tensors changes nothing unless the whole file checks out */
        for (int i = 0; i < zeros.n; i++) nb_zero_(zeros.tensors[i]);
        rc = nb_load_safetensors_ex(&zeros, P("fuzz.safetensors"),
                                    (nb_load_opts){ .non_strict = it % 2 == 1 });
        if (rc != NB_OK) {
            if (!nb_error()) ok = 0;
            for (int i = 0; i < zeros.n; i++) {
                nb_scope s = nb_scope_begin();
                if (nb_item(nb_sum(nb_abs(nb_to(zeros.tensors[i], NB_F64)))) != 0) ok = 0;
                nb_scope_end(s);
            }
        } else
            loaded++;
        nb_clear_error();
    }
    printf("fuzz: %d loads into existing tensors succeeded\n", loaded);
    for (int i = 0; i < zeros.n; i++) nb_free(zeros.tensors[i]);
    nb_state_dict_free(&zeros);
    CHECK(ok);
    printf("fuzz: 4000 corrupted files, %d still valid (flips inside tensor data), %d rejected\n", parsed,
           4000 - parsed);
    free(m);
    free(f);
}

static void test_atomic(void) {
    size_t n0, n1;
    unsigned char *before = slurp(P("m.safetensors"), &n0);
    /* a state dict with a released tensor: error before anything is written */
    nb_tensor *gone = nb_zeros(NB_F32, NB_SHAPE(2));
    nb_state_dict bad = { 0 };
    nb_state_dict_add(&bad, "a", w);
    nb_state_dict_add(&bad, "gone", gone);
    nb_free(gone);
    CHECK(nb_save_safetensors(&bad, P("m.safetensors")) == NB_ERROR &&
          strstr(nb_error(), "'gone' was released"));
    nb_clear_error();
    nb_state_dict_free(&bad);
    nb_state_dict_add(&bad, "a", w);
    nb_state_dict_add(&bad, "a", b);
    CHECK(nb_save_safetensors(&bad, P("m.safetensors")) == NB_ERROR && strstr(nb_error(), "appears twice"));
    nb_clear_error();
    nb_state_dict_free(&bad);
    /* the write fails half way (file size limit: EFBIG, as on a full disk) */
    nb_tensor *big = nb_zeros(NB_F32, NB_SHAPE(1 << 16));
    nb_state_dict_add(&bad, "big", big);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
        nb_status rc = nb_save_safetensors(&bad, P("m.safetensors"));
        setrlimit(RLIMIT_FSIZE, &old);
        CHECK(rc == NB_ERROR && strstr(nb_error(), "cannot write") &&
              strstr(nb_error(), "was left as it was"));
        nb_clear_error();
    }
    nb_state_dict_free(&bad);
    nb_free(big);
    /* the rename fails (the target is a directory) */
    mkdir(P("adir"), 0755);
    CHECK(nb_save_safetensors(&model, P("adir")) == NB_ERROR && strstr(nb_error(), "cannot rename"));
    nb_clear_error();
    rmdir(P("adir"));
    /* an unwritable directory (not as root, which may write anywhere) and a missing one */
    CHECK(nb_save_safetensors(&model, P("no/such/dir.safetensors")) == NB_ERROR &&
          strstr(nb_error(), "cannot create"));
    nb_clear_error();
    if (geteuid() != 0) {
        mkdir(P("ro"), 0755);
        CHECK(nb_save_safetensors(&model, P("ro/m.safetensors")) == NB_OK);
        chmod(P("ro"), 0555);
        CHECK(nb_save_safetensors(&model, P("ro/m.safetensors")) == NB_ERROR);
        nb_clear_error();
        chmod(P("ro"), 0755);
        unlink(P("ro/m.safetensors"));
        rmdir(P("ro"));
    }
    unsigned char *after = slurp(P("m.safetensors"), &n1);
    CHECK(n0 == n1 && n0 > 0 && memcmp(before, after, n0) == 0);
    CHECK(tmp_files() == 0);
    free(before);
    free(after);
    /* a successful save replaces the old file */
    nb_state_dict one = { 0 };
    nb_state_dict_add(&one, "0.bias", b);
    CHECK(nb_save_safetensors(&one, P("m.safetensors")) == NB_OK);
    nb_state_dict got = { 0 };
    CHECK(nb_safetensors_read(P("m.safetensors"), &got) == NB_OK && got.n == 1 &&
          same_tensor(got.tensors[0], b));
    nb_safetensors_free(&got);
    nb_state_dict_free(&one);
    CHECK_ERR(nb_save_safetensors(NULL, P("x")) == NB_OK ? (void *)1 : NULL);
    CHECK_ERR(nb_safetensors_read(P("x"), NULL) == NB_OK ? (void *)1 : NULL);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/nb_ckpt_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    make_model();
    test_round_trip();
    test_corrupt();
    test_atomic();
    nb_state_dict_free(&model);
    nb_free(w);
    nb_free(b);
    nb_free(d64);
    nb_free(i64);
    nb_free(step);
    nb_free(empty);
    nb_free(wt);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    const char *files[] = { "m.safetensors", "cut.safetensors", "bad.safetensors", "ok.safetensors",
                            "fuzz.safetensors" };
    for (int i = 0; i < 5; i++) unlink(P(files[i]));
    rmdir(dir);
    return nb_test_done();
}
