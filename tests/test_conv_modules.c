/* test_conv_modules.c — the convolution modules against torch 1.13 (tests/golden/conv_modules.txt from
 * tools/gen_golden_conv_modules.py): print(module) text for Conv1d/Conv2d/ConvTranspose1d/2d and a
 * CNN of the spatial modules. */
#define _GNU_SOURCE
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static nb_module *make(const char *key) {
    if (!strcmp(key, "conv2d_mnist")) return nb_conv2d_new(1, 32, 3, 3, true, (nb_conv_opts){ .stride = { 1 } });
    if (!strcmp(key, "conv2d_full"))
        return nb_conv2d_new(4, 6, 3, 2, false,
                             (nb_conv_opts){
                                 .stride = { 2, 1 }, .padding = { 1, 2 }, .dilation = { 2 }, .groups = 2 });
    if (!strcmp(key, "conv2d_same"))
        return nb_conv2d_new(4, 6, 3, 3, true, (nb_conv_opts){ .pad_mode = NB_CONV_PAD_SAME });
    if (!strcmp(key, "conv2d_valid"))
        return nb_conv2d_new(4, 6, 3, 3, true, (nb_conv_opts){ .pad_mode = NB_CONV_PAD_VALID });
    if (!strcmp(key, "conv2d_dil")) return nb_conv2d_new(2, 2, 3, 3, true, (nb_conv_opts){ .dilation = { 1, 2 } });
    if (!strcmp(key, "conv1d_plain")) return nb_conv1d_new(2, 3, 5, true, (nb_conv_opts){ 0 });
    if (!strcmp(key, "conv1d_full"))
        return nb_conv1d_new(4, 6, 3, false,
                             (nb_conv_opts){ .stride = { 2 }, .padding = { 2 }, .dilation = { 2 }, .groups = 2 });
    if (!strcmp(key, "convt2d"))
        return nb_conv_transpose2d_new(4, 6, 3, 3, true,
                                       (nb_conv_opts){ .stride = { 2 }, .output_padding = { 1, 1 } });
    if (!strcmp(key, "convt2d_full"))
        return nb_conv_transpose2d_new(
            4, 6, 3, 2, false,
            (nb_conv_opts){ .stride = { 2, 3 }, .padding = { 1, 0 }, .output_padding = { 1, 2 }, .groups = 2 });
    if (!strcmp(key, "convt1d")) return nb_conv_transpose1d_new(4, 6, 3, true, (nb_conv_opts){ 0 });
    if (!strcmp(key, "convt1d_full"))
        return nb_conv_transpose1d_new(
            2, 4, 3, true,
            (nb_conv_opts){ .stride = { 3 }, .padding = { 1 }, .output_padding = { 2 }, .dilation = { 2 } });
    if (!strcmp(key, "cnn"))
        return nb_sequential_new(7, nb_conv2d_new(1, 32, 3, 3, true, (nb_conv_opts){ 0 }),
                                 nb_batch_norm2d_new(32, (nb_batch_norm_layer_opts){ 0 }), nb_relu_new(),
                                 nb_max_pool2d_new((nb_max_pool2d_opts){ .kernel_size = { 2 } }, false),
                                 nb_dropout2d_new(0.25), nb_flatten_new(1, -1), nb_linear_new(5408, 10, true));
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
    if (!CHECK(!strcmp(buf, want))) fprintf(stderr, "FAIL print %s:\n  nabla: %s\n  torch: %s\n", key, buf, want);
    free(buf);
}

int main(void) {
    FILE *f = nbt_open_data("golden/conv_modules.txt");
    CHECK(f != NULL);
    if (!f) return nb_test_done();
    char line[1 << 16];
    int nprint = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "print ", 6)) {
            char *key = line + 6, *sp = strchr(key, ' ');
            if (!sp) continue;
            *sp = 0;
            check_print(key, sp + 1);
            nprint++;
        }
    }
    fclose(f);
    CHECK(nprint == 12);
    CHECK(nb_error() == NULL);
    return nb_test_done();
}
