/* pg_cli.c — the playground's entry points natively, one JSON answer per line, for the test that
 * checks the WebAssembly build prints the same numbers: pg_cli expr SRC [second] | course NAME ARGS |
 * optim ARGS | net reset ARGS | net step ARGS. Several commands may follow each other, separated by "--". */
#include "pg.h"
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    int rc = 0;
    for (int i = 1; i < argc;) {
        const char *out = NULL, *cmd = argv[i];
        int used = 1;
        if (!strcmp(cmd, "expr") && i + 1 < argc) {
            int second = i + 2 < argc && strcmp(argv[i + 2], "--") ? (used = 3, argv[i + 2][0] == '1')
                                                                   : (used = 2, 0);
            out = pg_expr(argv[i + 1], second);
        } else if (!strcmp(cmd, "course") && i + 2 < argc) {
            out = pg_course(argv[i + 1], argv[i + 2]), used = 3;
        } else if (!strcmp(cmd, "optim") && i + 1 < argc) {
            out = pg_optim(argv[i + 1]), used = 2;
        } else if (!strcmp(cmd, "net") && i + 2 < argc) {
            out = pg_net(argv[i + 1], argv[i + 2]), used = 3;
        } else {
            fprintf(stderr, "usage: pg_cli expr SRC [0|1] | course NAME ARGS | optim ARGS | net reset|step "
                            "ARGS [-- ...]\n");
            return 2;
        }
        puts(out);
        if (strncmp(out, "{\"ok\":true", 10)) rc = 1;
        i += used;
        if (i < argc && !strcmp(argv[i], "--")) i++;
    }
    pg_net("free", "");
    return rc;
}
