/* fuzz_safetensors.c — a .safetensors file from arbitrary bytes (8-byte little-endian header length,
 * the JSON header, the data): nb_safetensors_read, then loading it into a small model's state dict
 * with nb_load_safetensors (names, shapes and dtypes must all be checked against the file). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    char path[64];
    int fd = fuzz_memfile(data, n, path, sizeof path);
    nb_state_dict sd = { 0 };
    nb_status st = nb_safetensors_read(path, &sd);
    bool ok = st == NB_OK;
    nb_safetensors_free(&sd);
    fuzz_check(ok, "nb_safetensors_read");
    /* into live tensors: weight (2, 3) f32 and bias (2) f32, the names a Linear(3, 2) saves */
    nb_tensor *w = nb_zeros(NB_F32, NB_SHAPE(2, 3)), *b = nb_zeros(NB_F32, NB_SHAPE(2));
    nb_state_dict model = { 0 };
    nb_state_dict_add(&model, "weight", w);
    nb_state_dict_add(&model, "bias", b);
    st = nb_load_safetensors(&model, path);
    const char *e = nb_error();
    if ((st == NB_OK) != (e == NULL)) {
        fprintf(stderr, "nb_load_safetensors: status %d, error '%s'\n", st, e ? e : "");
        abort();
    }
    nb_clear_error();
    nb_state_dict_free(&model);
    nb_free(w);
    nb_free(b);
    fuzz_check(true, "nb_load_safetensors");
    close(fd);
    return 0;
}
