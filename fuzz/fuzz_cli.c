/* fuzz_cli.c — the examples' strict number parsing (examples/common/cli.h) and the playground's
 * expression language (playground/src/pg_expr.c, a recursive-descent parser into nabla ops) on
 * arbitrary text: no crash, and an expression either answers {"ok":true...} or a clear error. */
#include "fuzz_common.h"
#include "../examples/common/cli.h"
#include "../playground/src/pg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, data, n);
    s[n] = 0;
    double d;
    int i;
    if (cli_double(s, &d) && !isfinite(d)) abort();
    if (cli_int(s, &i) && (double)i != strtod(s, NULL)) abort();
    const char *r = pg_expr(s, n & 1);
    if (strncmp(r, "{\"ok\":true", 10) && strncmp(r, "{\"ok\":false,\"error\":\"", 21)) abort();
    if (nb_error()) {
        fprintf(stderr, "pg_expr left an error: %s\n", nb_error());
        abort();
    }
    if (nb_memory_stats_get().tensors_live != 0) {
        fprintf(stderr, "pg_expr leaked a tensor\n");
        abort();
    }
    free(s);
    return 0;
}
