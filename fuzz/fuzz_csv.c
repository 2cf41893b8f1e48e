/* fuzz_csv.c — nb_read_csv on arbitrary text; the first byte picks the options (delimiter, header
 * row, dtype) so every parser path is reached. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 1) return 0;
    uint8_t k = data[0];
    char path[64];
    int fd = fuzz_memfile(data + 1, n - 1, path, sizeof path);
    nb_csv_opts o = { 0 };
    o.delimiter = (k & 3) == 0 ? 0 : (k & 3) == 1 ? ';' : (k & 3) == 2 ? '\t' : ' ';
    o.header = (k >> 2) & 1;
    o.dtype = (k >> 3) & 1 ? NB_F64 : NB_F32;
    if ((k >> 4) == 15) o.dtype = (nb_dtype)77; /* an unknown dtype must be an error too */
    nb_tensor *t = nb_read_csv(path, o);
    bool ok = t != NULL;
    nb_free(t);
    fuzz_check(ok, "nb_read_csv");
    close(fd);
    return 0;
}
