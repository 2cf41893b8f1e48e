/* stb_ds_impl.c — the one place stb_ds (Debian libstb-dev) is implemented. Internal headers may
 * include <stb_ds.h> for its declarations; public headers never do. stb_ds cannot report a failed
 * growth to its caller (arrput has no error value), so that one allocation failure is fatal, with a
 * message naming the public function and the size (docs/errors.md, "Out of memory"). */
#include "nb_internal.h"
#include <stdio.h>
#include <stdlib.h>

/* realloc for stb_ds: on failure print what was being grown and abort (there is no way back) */
static void *grow(void *p, size_t n) {
    void *q = realloc(p, n);
    if (!q && n) {
        fprintf(stderr, "%s: out of memory growing an internal array to %s; nabla cannot continue\n",
                nbt_fn(), nbt_bytes_str(n));
        abort();
    }
    return q;
}
#define STBDS_REALLOC(c, p, s) grow(p, s)
#define STBDS_FREE(c, p) free(p)
#define STB_DS_IMPLEMENTATION
#include <stb_ds.h>
