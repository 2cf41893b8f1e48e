/* pg_json.c — the JSON writer every playground entry point answers with: one memstream per call,
 * numbers that survive JSON (non-finite as strings), and "k=v;k=v" argument strings. */
#include "pg.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *buf;
static size_t len;
static FILE *out;

FILE *pg_begin(void) {
    if (out) fclose(out);
    free(buf);
    buf = NULL;
    len = 0;
    out = open_memstream(&buf, &len);
    return out;
}

const char *pg_end(void) {
    if (out) fclose(out);
    out = NULL;
    return buf ? buf : "{\"ok\":false,\"error\":\"out of memory\"}";
}

const char *pg_fail(const char *msg) {
    FILE *f = pg_begin();
    fputs("{\"ok\":false,\"error\":", f);
    pg_str(f, msg ? msg : "unknown error");
    fputc('}', f);
    nb_clear_error();
    return pg_end();
}

void pg_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void pg_num(FILE *f, double v) {
    if (isnan(v))
        fputs("\"NaN\"", f);
    else if (isinf(v))
        fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
    else
        fprintf(f, "%.10g", v);
}

void pg_nums(FILE *f, const double *v, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i) fputc(',', f);
        pg_num(f, v[i]);
    }
    fputc(']', f);
}

/* pointer to the value of key in "k1=v1;k2=v2", or NULL */
static const char *find(const char *args, const char *key) {
    size_t k = strlen(key);
    for (const char *p = args; p && *p;) {
        if (!strncmp(p, key, k) && p[k] == '=') return p + k + 1;
        p = strchr(p, ';');
        if (p) p++;
    }
    return NULL;
}

double pg_arg(const char *args, const char *key, double def) {
    const char *v = find(args, key);
    if (!v) return def;
    char *e;
    double d = strtod(v, &e);
    return e == v || (*e && *e != ';') ? def : d;
}

const char *pg_arg_str(const char *args, const char *key, const char *def, char *b, size_t n) {
    const char *v = find(args, key);
    if (!v) v = def;
    size_t i = 0;
    while (v[i] && v[i] != ';' && i + 1 < n) {
        b[i] = v[i];
        i++;
    }
    b[i] = 0;
    return b;
}
