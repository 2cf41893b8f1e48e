/* fuzz_idx_gz.c — the IDX parser behind zlib: the input is gzip-compressed by the harness (a valid
 * stream of arbitrary IDX bytes), so the fuzzer explores headers, dims and sizes of .gz files. */
#include "fuzz_common.h"
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    uLong cap = compressBound((uLong)n) + 64;
    unsigned char *gz = malloc(cap);
    z_stream z = { 0 };
    if (!gz || deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)n;
    z.next_out = gz;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    size_t len = cap - z.avail_out;
    deflateEnd(&z);
    char path[64];
    int fd = fuzz_memfile(gz, len, path, sizeof path);
    free(gz);
    nb_tensor *t = nb_read_idx(path, NB_F64, 0);
    bool ok = t != NULL;
    nb_free(t);
    fuzz_check(ok, "nb_read_idx");
    close(fd);
    return 0;
}
