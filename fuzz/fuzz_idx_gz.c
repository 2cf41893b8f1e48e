/* fuzz_idx_gz.c — the IDX parser behind zlib: the input is gzip-compressed by the harness (a valid
 * stream of arbitrary IDX bytes), so the fuzzer explores headers, dims and sizes of .gz files. */
#include "fuzz_common.h"
#include <zlib.h>

/* One deflate stream for the whole run, reset per input: a fresh deflateInit per input costs a 256 KB
 * allocation and dominated the run (about 600 executions a second under ASan). Level 1 and a small
 * window keep the stream cheap; the reader sees a valid gzip file either way. */
static z_stream z;
static bool z_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (!z_ready && deflateInit2(&z, 1, Z_DEFLATED, 9 + 16, 1, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    z_ready = true;
    if (deflateReset(&z) != Z_OK) abort();
    uLong cap = deflateBound(&z, (uLong)n) + 64;
    unsigned char *gz = malloc(cap);
    if (!gz) abort();
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)n;
    z.next_out = gz;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    size_t len = cap - z.avail_out;
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
