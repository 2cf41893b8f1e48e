/* fuzz_idx.c — nb_read_idx on arbitrary bytes (plain IDX, or a gzip stream when the bytes start with
 * 1f 8b: corrupt and truncated streams), read as float32 scaled by 1/255 and as int64. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    char path[64];
    int fd = fuzz_memfile(data, n, path, sizeof path);
    nb_tensor *t = nb_read_idx(path, NB_F32, 1.0f / 255);
    bool ok = t != NULL;
    nb_free(t);
    fuzz_check(ok, "nb_read_idx");
    t = nb_read_idx(path, NB_I64, 0);
    ok = t != NULL;
    nb_free(t);
    fuzz_check(ok, "nb_read_idx");
    close(fd);
    return 0;
}
