/* test_conv_modules.c — the convolution modules against torch 1.13 (tests/golden/conv_modules.txt from
 * tools/gen_golden_conv_modules.py): print(module) text for Conv1d/Conv2d/ConvTranspose1d/2d and a
 * CNN of the spatial modules; padding_mode reflect / replicate / circular (forward and every
 * gradient, f32 and f64, with torch's weights; torch's errors are errors); a torch-made CNN checkpoint
 * (Conv2d + BatchNorm2d + Linear) loaded with identical predictions. */
#define _GNU_SOURCE
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static nb_module *make(const char *key) {
    if (!strcmp(key, "conv2d_mnist"))
        return nb_conv2d_new(1, 32, 3, 3, true, (nb_conv_opts){ .stride = { 1 } });
    if (!strcmp(key, "conv2d_full"))
        return nb_conv2d_new(
            4, 6, 3, 2, false,
            (nb_conv_opts){ .stride = { 2, 1 }, .padding = { 1, 2 }, .dilation = { 2 }, .groups = 2 });
    if (!strcmp(key, "conv2d_same"))
        return nb_conv2d_new(4, 6, 3, 3, true, (nb_conv_opts){ .pad_mode = NB_CONV_PAD_SAME });
    if (!strcmp(key, "conv2d_valid"))
        return nb_conv2d_new(4, 6, 3, 3, true, (nb_conv_opts){ .pad_mode = NB_CONV_PAD_VALID });
    if (!strcmp(key, "conv2d_dil"))
        return nb_conv2d_new(2, 2, 3, 3, true, (nb_conv_opts){ .dilation = { 1, 2 } });
    if (!strcmp(key, "conv1d_plain")) return nb_conv1d_new(2, 3, 5, true, (nb_conv_opts){ 0 });
    if (!strcmp(key, "conv1d_full"))
        return nb_conv1d_new(
            4, 6, 3, false,
            (nb_conv_opts){ .stride = { 2 }, .padding = { 2 }, .dilation = { 2 }, .groups = 2 });
    if (!strcmp(key, "convt2d"))
        return nb_conv_transpose2d_new(4, 6, 3, 3, true,
                                       (nb_conv_opts){ .stride = { 2 }, .output_padding = { 1, 1 } });
    if (!strcmp(key, "convt2d_full"))
        return nb_conv_transpose2d_new(
            4, 6, 3, 2, false,
            (nb_conv_opts){
                .stride = { 2, 3 }, .padding = { 1, 0 }, .output_padding = { 1, 2 }, .groups = 2 });
    if (!strcmp(key, "convt1d")) return nb_conv_transpose1d_new(4, 6, 3, true, (nb_conv_opts){ 0 });
    if (!strcmp(key, "convt1d_full"))
        return nb_conv_transpose1d_new(
            2, 4, 3, true,
            (nb_conv_opts){ .stride = { 3 }, .padding = { 1 }, .output_padding = { 2 }, .dilation = { 2 } });
    if (!strcmp(key, "pm_conv2d_reflect"))
        return nb_conv2d_new(
            4, 6, 3, 2, true,
            (nb_conv_opts){ .stride = { 2, 1 }, .padding = { 1, 1 }, .padding_mode = NB_PADDING_REFLECT });
    if (!strcmp(key, "pm_conv1d_circular"))
        return nb_conv1d_new(
            4, 6, 3, false,
            (nb_conv_opts){
                .padding = { 2 }, .dilation = { 2 }, .groups = 2, .padding_mode = NB_PADDING_CIRCULAR });
    if (!strcmp(key, "pm_conv2d_replicate_same"))
        return nb_conv2d_new(
            2, 2, 3, 3, true,
            (nb_conv_opts){ .pad_mode = NB_CONV_PAD_SAME, .padding_mode = NB_PADDING_REPLICATE });
    /* padding_mode cases (the generator's CASES / ERRORS / CTOR_ERRORS) */
    const nb_padding_mode RE = NB_PADDING_REFLECT, RP = NB_PADDING_REPLICATE, CI = NB_PADDING_CIRCULAR;
    if (!strcmp(key, "c2d_reflect"))
        return nb_conv2d_new(2, 3, 3, 3, true, (nb_conv_opts){ .padding = { 1, 1 }, .padding_mode = RE });
    if (!strcmp(key, "c2d_replicate"))
        return nb_conv2d_new(2, 4, 3, 2, true,
                             (nb_conv_opts){ .stride = { 2, 1 }, .padding = { 2, 1 }, .padding_mode = RP });
    if (!strcmp(key, "c2d_circular"))
        return nb_conv2d_new(3, 2, 3, 3, true,
                             (nb_conv_opts){ .padding = { 1, 2 }, .dilation = { 1, 2 }, .padding_mode = CI });
    if (!strcmp(key, "c2d_reflect_same"))
        return nb_conv2d_new(2, 2, 3, 4, true,
                             (nb_conv_opts){ .pad_mode = NB_CONV_PAD_SAME, .padding_mode = RE });
    if (!strcmp(key, "c2d_circular_groups"))
        return nb_conv2d_new(4, 4, 3, 3, false,
                             (nb_conv_opts){ .padding = { 1, 1 }, .groups = 2, .padding_mode = CI });
    if (!strcmp(key, "c2d_reflect_unbatched"))
        return nb_conv2d_new(2, 3, 3, 3, true, (nb_conv_opts){ .padding = { 2, 2 }, .padding_mode = RE });
    if (!strcmp(key, "c2d_replicate_valid"))
        return nb_conv2d_new(1, 2, 2, 2, true,
                             (nb_conv_opts){ .pad_mode = NB_CONV_PAD_VALID, .padding_mode = RP });
    if (!strcmp(key, "c2d_zeros"))
        return nb_conv2d_new(2, 3, 3, 3, true, (nb_conv_opts){ .padding = { 1, 1 } });
    if (!strcmp(key, "c1d_reflect"))
        return nb_conv1d_new(2, 3, 3, true, (nb_conv_opts){ .padding = { 2 }, .padding_mode = RE });
    if (!strcmp(key, "c1d_replicate"))
        return nb_conv1d_new(2, 3, 4, true,
                             (nb_conv_opts){ .stride = { 2 }, .padding = { 3 }, .padding_mode = RP });
    if (!strcmp(key, "c1d_circular"))
        return nb_conv1d_new(3, 3, 3, true,
                             (nb_conv_opts){ .padding = { 1 }, .dilation = { 2 }, .padding_mode = CI });
    if (!strcmp(key, "c1d_circular_same"))
        return nb_conv1d_new(2, 2, 4, true,
                             (nb_conv_opts){ .pad_mode = NB_CONV_PAD_SAME, .padding_mode = CI });
    if (!strcmp(key, "c1d_reflect_unbatched"))
        return nb_conv1d_new(2, 2, 3, true, (nb_conv_opts){ .padding = { 1 }, .padding_mode = RE });
    if (!strcmp(key, "e2d_reflect_big"))
        return nb_conv2d_new(1, 1, 3, 3, true, (nb_conv_opts){ .padding = { 3, 3 }, .padding_mode = RE });
    if (!strcmp(key, "e1d_reflect_big"))
        return nb_conv1d_new(1, 1, 3, true, (nb_conv_opts){ .padding = { 4 }, .padding_mode = RE });
    if (!strcmp(key, "e1d_circular_big"))
        return nb_conv1d_new(1, 1, 3, true, (nb_conv_opts){ .padding = { 5 }, .padding_mode = CI });
    if (!strcmp(key, "e2d_circular_unbatched"))
        return nb_conv2d_new(2, 3, 2, 2, true,
                             (nb_conv_opts){ .stride = { 2 }, .padding = { 1, 1 }, .padding_mode = CI });
    if (!strcmp(key, "e1d_circular_unbatched"))
        return nb_conv1d_new(2, 2, 3, true, (nb_conv_opts){ .padding = { 1 }, .padding_mode = CI });
    if (!strcmp(key, "e2d_circular_channels"))
        return nb_conv2d_new(2, 1, 3, 3, true, (nb_conv_opts){ .padding = { 1, 1 }, .padding_mode = CI });
    if (!strcmp(key, "k_convt2d_reflect"))
        return nb_conv_transpose2d_new(2, 2, 3, 3, true, (nb_conv_opts){ .padding_mode = RE });
    if (!strcmp(key, "k_convt1d_circular"))
        return nb_conv_transpose1d_new(2, 2, 3, true, (nb_conv_opts){ .padding_mode = CI });
    if (!strcmp(key, "cnn"))
        return nb_sequential_new(7, nb_conv2d_new(1, 32, 3, 3, true, (nb_conv_opts){ 0 }),
                                 nb_batch_norm2d_new(32, (nb_batch_norm_layer_opts){ 0 }), nb_relu_new(),
                                 nb_max_pool2d_new((nb_max_pool2d_opts){ .kernel_size = { 2 } }, false),
                                 nb_dropout2d_new(0.25), nb_flatten_new(1, -1),
                                 nb_linear_new(5408, 10, true));
    return NULL;
}

/* print(module) against torch's text (want has "\n" escapes) */
static void check_print(const char *key, const char *want_escaped) {
    nb_module *m = make(key);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "FAIL print %s: no module (%s)\n", key, nb_error() ? nb_error() : "unknown key");
        return;
    }
    char want[4096];
    size_t w = 0;
    for (const char *p = want_escaped; *p && w + 1 < sizeof want; p++)
        want[w++] = p[0] == '\\' && p[1] == 'n' ? (p++, '\n') : *p;
    want[w] = 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    nb_module_fprint(f, m);
    fclose(f);
    nb_module_free(m);
    if (len && buf[len - 1] == '\n') buf[--len] = 0;
    if (!CHECK(!strcmp(buf, want)))
        fprintf(stderr, "FAIL print %s:\n  nabla: %s\n  torch: %s\n", key, buf, want);
    free(buf);
}

/* the next golden tensor of the line, or NULL for "none" */
static nb_tensor *next_tensor(char **save, bool *ok) {
    const char *p = *save;
    while (*p == ' ') p++;
    if (!strncmp(p, "none", 4)) {
        strtok_r(NULL, " ", save);
        return NULL;
    }
    nb_tensor *t = tl_parse_tensor(save);
    if (!t) *ok = false;
    return t;
}

/* a equals the golden b within tol (relative to max(1, |b|)); both NULL is equal */
static bool near(const char *key, const char *what, const nb_tensor *a, const nb_tensor *b, double tol) {
    if (!a && !b) return true;
    if (!a || !b || a->numel != b->numel || a->ndim != b->ndim ||
        memcmp(a->shape, b->shape, sizeof *a->shape * (size_t)a->ndim)) {
        fprintf(stderr, "FAIL %s: %s: %s\n", key, what, !a ? "missing" : !b ? "unexpected" : "shape differs");
        return false;
    }
    double *x = malloc(sizeof *x * (size_t)a->numel), *y = malloc(sizeof *y * (size_t)a->numel);
    nb_to_doubles(a, x);
    nb_to_doubles(b, y);
    bool ok = true;
    for (int64_t i = 0; i < a->numel && ok; i++)
        if (!(fabs(x[i] - y[i]) <= tol * (1 + fabs(y[i])))) {
            fprintf(stderr, "FAIL %s: %s[%lld] = %.17g, torch %.17g\n", key, what, (long long)i, x[i], y[i]);
            ok = false;
        }
    free(x);
    free(y);
    return ok;
}

/* "case key dtype x T w T b T gy T y T dx T dw T db T": torch's weights in, forward and backward */
static void check_case(char **save) {
    char *key = strtok_r(NULL, " ", save), *dts = strtok_r(NULL, " ", save);
    nb_tensor *t[8] = { 0 }; /* x w b gy y dx dw db */
    bool ok = key && dts;
    for (int i = 0; ok && i < 8; i++) {
        strtok_r(NULL, " ", save); /* the label */
        t[i] = next_tensor(save, &ok);
    }
    nb_dtype dt = dts && !strcmp(dts, "f64") ? NB_F64 : NB_F32;
    nb_module *m = ok ? make(key) : NULL;
    if (!CHECK(ok && m != NULL)) {
        fprintf(stderr, "FAIL case %s: %s\n", key ? key : "?", ok ? "no module" : "cannot parse");
    } else {
        CHECK(nb_module_to(m, dt) == NB_OK);
        nb_tensor *w = nb_module_get_parameter(m, "weight"), *b = nb_module_get_parameter(m, "bias");
        CHECK(near(key, "init shape", w, t[1], INFINITY) && (b != NULL) == (t[2] != NULL));
        memcpy(nb_data(w), nb_data(t[1]), (size_t)w->numel * nb_dtype_size(dt));
        if (b && t[2]) memcpy(nb_data(b), nb_data(t[2]), (size_t)b->numel * nb_dtype_size(dt));
        double tol = dt == NB_F64 ? 1e-12 : 2e-5;
        nb_scope sc = nb_scope_begin();
        nb_tensor *x = nb_requires_grad_(t[0], true), *y = nb_module_forward(m, x);
        CHECK(near(key, "y", y, t[4], tol));
        if (y && CHECK(nb_backward(nb_sum(nb_mul(y, t[3]))) == NB_OK)) {
            CHECK(near(key, "dx", x->grad, t[5], tol));
            CHECK(near(key, "dweight", w->grad, t[6], tol));
            CHECK(near(key, "dbias", b ? b->grad : NULL, t[7], tol));
        }
        nb_scope_end(sc);
        if (nb_error()) fprintf(stderr, "FAIL case %s: %s\n", key, nb_error());
        CHECK(nb_error() == NULL);
    }
    nb_module_free(m);
    for (int i = 0; i < 8; i++) nb_free(t[i]);
}

/* "error key x T": torch raises in forward, nabla returns NULL with a message naming a function */
static void check_error(char **save) {
    char *key = strtok_r(NULL, " ", save);
    strtok_r(NULL, " ", save);
    bool ok = true;
    nb_tensor *x = key ? next_tensor(save, &ok) : NULL;
    nb_module *m = key ? make(key) : NULL;
    if (!CHECK(m && x)) {
        fprintf(stderr, "FAIL error %s: %s\n", key ? key : "?", nb_error() ? nb_error() : "no module");
    } else {
        nb_scope sc = nb_scope_begin();
        nb_tensor *y = nb_module_forward(m, x);
        const char *e = nb_error();
        if (!CHECK(y == NULL && e && strstr(e, "nb_")))
            fprintf(stderr, "FAIL error %s: %s\n", key, e ? e : "no error");
        nb_clear_error();
        nb_scope_end(sc);
    }
    nb_module_free(m);
    nb_free(x);
}

/* a torch-made checkpoint (tools/gen_checkpoint_cnn.py): Conv2d (reflect padding) + BatchNorm2d + Linear,
 * loaded strictly, predicts torch's classes */
static void torch_checkpoint(void) {
    const char *dir = getenv("NB_TEST_DATA");
    char net[1024], iop[1024];
    snprintf(net, sizeof net, "%s/data/torch_cnn_net.safetensors", dir ? dir : "tests");
    snprintf(iop, sizeof iop, "%s/data/torch_cnn_io.safetensors", dir ? dir : "tests");
    nb_module *m = nb_sequential_new(
        10,
        nb_conv2d_new(1, 4, 3, 3, true,
                      (nb_conv_opts){ .padding = { 1, 1 }, .padding_mode = NB_PADDING_REFLECT }),
        nb_batch_norm2d_new(4, (nb_batch_norm_layer_opts){ 0 }), nb_relu_new(),
        nb_max_pool2d_new((nb_max_pool2d_opts){ .kernel_size = { 2 } }, false),
        nb_conv2d_new(4, 8, 3, 3, true, (nb_conv_opts){ 0 }),
        nb_batch_norm2d_new(8, (nb_batch_norm_layer_opts){ 0 }), nb_relu_new(), nb_flatten_new(1, -1),
        nb_linear_new(32, 10, true), nb_log_softmax_new(1));
    nb_state_dict sd = nb_module_state_dict(m), io = { 0 };
    CHECK(sd.n == 16);
    CHECK(nb_load_safetensors(&sd, net) == NB_OK); /* strict: the same names, dtypes and shapes */
    CHECK(nb_safetensors_read(iop, &io) == NB_OK);
    nb_tensor *x = nb_state_dict_get(&io, "x");
    nb_module_eval(m);
    nb_scope sc = nb_scope_begin();
    nb_tensor *y = x ? nb_module_forward(m, x) : NULL;
    CHECK(near("torch checkpoint", "eval_logp", y, nb_state_dict_get(&io, "eval_logp"), 2e-5));
    CHECK(near("torch checkpoint", "pred", y ? nb_argmax(y, 1, false) : NULL, nb_state_dict_get(&io, "pred"),
               0));
    nb_scope_end(sc);
    nb_state_dict_free(&sd);
    nb_safetensors_free(&io);
    nb_module_free(m);
}

int main(void) {
    FILE *f = tl_open_data("golden/conv_modules.txt");
    CHECK(f != NULL);
    if (!f) return nb_test_done();
    char line[1 << 16];
    int nprint = 0, ncase = 0, nerr = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "print ", 6)) {
            char *key = line + 6, *sp = strchr(key, ' ');
            if (!sp) continue;
            *sp = 0;
            check_print(key, sp + 1);
            nprint++;
            continue;
        }
        char *save = NULL, *kind = strtok_r(line, " ", &save);
        if (!kind || kind[0] == '#') continue;
        if (!strcmp(kind, "case")) check_case(&save), ncase++;
        if (!strcmp(kind, "error")) check_error(&save), nerr++;
        if (!strcmp(kind, "ctor_error")) { /* torch raises ValueError at construction */
            char *key = strtok_r(NULL, " ", &save);
            CHECK_ERR(make(key));
            nerr++;
        }
    }
    fclose(f);
    CHECK(nprint == 15 && ncase == 26 && nerr == 8);
    torch_checkpoint();
    /* the functions take zeros only (torch's F.conv has no padding_mode) */
    nb_tensor *x = nb_zeros(NB_F32, NB_SHAPE(1, 1, 4, 4)), *w = nb_zeros(NB_F32, NB_SHAPE(1, 1, 3, 3));
    CHECK_ERR(
        nb_conv2d(x, w, NULL, (nb_conv_opts){ .padding = { 1, 1 }, .padding_mode = NB_PADDING_REFLECT }));
    CHECK_ERR(nb_conv2d_new(1, 1, 3, 3, true, (nb_conv_opts){ .padding_mode = (nb_padding_mode)7 }));
    nb_free(x);
    nb_free(w);
    CHECK(nb_error() == NULL);
    return nb_test_done();
}
