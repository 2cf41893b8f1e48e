/* fuzz_common.h — what every libFuzzer harness shares: the input as an in-memory file (memfd, no disk),
 * reachable by path as the readers expect, and the invariant checked after every call: a call that
 * failed left exactly one message, a call that succeeded left none, no tensor is leaked. */
#ifndef NB_FUZZ_COMMON_H
#define NB_FUZZ_COMMON_H
#define _GNU_SOURCE
#include <nabla.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* data[0..n) as an anonymous in-memory file; *path receives "/proc/self/fd/N". Returns the fd. */
static inline int fuzz_memfile(const uint8_t *data, size_t n, char *path, size_t cap) {
    int fd = memfd_create("nabla-fuzz", 0);
    if (fd < 0) abort();
    for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, data + off, n - off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

/* result of a reader: failed (NULL / NB_ERROR) <=> an error is recorded, and the message names the reader */
static inline void fuzz_check(bool ok, const char *api) {
    const char *e = nb_error();
    if (ok && e) {
        fprintf(stderr, "%s succeeded but left an error: %s\n", api, e);
        abort();
    }
    if (!ok && (!e || !strstr(e, api))) {
        fprintf(stderr, "%s failed with message '%s'\n", api, e ? e : "(none)");
        abort();
    }
    nb_clear_error();
    if (nb_memory_stats_get().tensors_live != 0) {
        fprintf(stderr, "%s leaked a tensor\n", api);
        abort();
    }
}
#endif
