/* data_csv.c — nb_read_csv: a numeric CSV file as a 2-D tensor (rows, cols), like
 * np.loadtxt(path, delimiter=',') or pandas' read_csv(...).to_numpy(). Fields may be blank-padded
 * or wrapped in double quotes; empty lines are skipped. Every error names the line and column. */
#include "data_internal.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* The whole file as a NUL-terminated buffer (NULL + error). */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return nbt_error("nb_read_csv: cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1) break;
        char *nbuf = realloc(buf, cap * 2);
        if (!nbuf) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nbuf;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf) return nbt_error("nb_read_csv: '%s': out of memory", path);
    if (bad) {
        free(buf);
        return nbt_error("nb_read_csv: '%s': read error", path);
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static bool is_blank(char c, char delim) { return (c == ' ' || c == '\t' || c == '\r') && c != delim; }

nb_tensor *nb_read_csv(const char *path, nb_csv_opts opts) {
    if (!path) return nbt_error("nb_read_csv: path is NULL");
    char delim = opts.delimiter ? opts.delimiter : ',';
    if (delim == '\n' || delim == '"')
        return nbt_error("nb_read_csv: delimiter cannot be a newline or a quote");
    if (opts.dtype != NB_F32 && opts.dtype != NB_F64 && opts.dtype != NB_I64)
        return nbt_error("nb_read_csv: unknown dtype %d; use NB_F32, NB_F64 or NB_I64", (int)opts.dtype);
    size_t len = 0;
    char *buf = slurp(path, &len);
    if (!buf) return NULL;
    if (memchr(buf, 0, len)) {
        free(buf);
        return nbt_error("nb_read_csv: '%s' contains NUL bytes: not a text CSV file", path);
    }
    double *vals = NULL;
    int64_t nvals = 0, capv = 0, rows = 0, cols = -1, first_line = 0;
    nb_tensor *t = NULL;
    char *p = buf;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3; /* UTF-8 BOM */
    int64_t line = 0;
    bool skip_header = opts.header;
    while (*p) {
        line++;
        char *eol = strchr(p, '\n');
        char *next = eol ? eol + 1 : p + strlen(p);
        if (eol) *eol = 0;
        char *q = p;
        while (*q && is_blank(*q, delim)) q++;
        if (!*q) {
            p = next;
            continue;
        } /* empty line */
        if (skip_header) {
            skip_header = false;
            p = next;
            continue;
        }
        int64_t col = 0;
        char *f = p;
        for (;;) { /* one field per iteration */
            char *end = strchr(f, delim);
            if (end) *end = 0;
            col++;
            char *a = f, *b = f + strlen(f);
            while (a < b && is_blank(*a, delim)) a++;
            while (b > a && is_blank(b[-1], delim)) b--;
            if (b - a >= 2 && *a == '"' && b[-1] == '"') {
                a++;
                b--;
            }
            *b = 0;
            char *stop = NULL;
            errno = 0;
            double v = a < b ? strtod(a, &stop) : 0;
            if (a == b || stop != b) {
                nbt_error("nb_read_csv: '%s' line %lld, column %lld: %s%.*s%s is not a number%s", path,
                          (long long)line, (long long)col, a == b ? "an empty field" : "'",
                          (int)(b - a > 40 ? 40 : b - a), a, a == b ? "" : "'",
                          line == 1 && !opts.header ? " (a header line? set .header = true)" : "");
                goto done;
            }
            if (nvals == capv) {
                capv = capv ? capv * 2 : 1024;
                double *nv = realloc(vals, (size_t)capv * sizeof *nv);
                if (!nv) {
                    nbt_error("nb_read_csv: '%s': out of memory", path);
                    goto done;
                }
                vals = nv;
            }
            vals[nvals++] = v;
            if (!end) break;
            f = end + 1;
        }
        if (cols < 0) {
            cols = col;
            first_line = line;
        } else if (col != cols) {
            nbt_error("nb_read_csv: '%s' line %lld has %lld fields, but line %lld has %lld (ragged rows)",
                      path, (long long)line, (long long)col, (long long)first_line, (long long)cols);
            goto done;
        }
        rows++;
        p = next;
    }
    if (rows == 0) {
        nbt_error("nb_read_csv: '%s' holds no data rows", path);
        goto done;
    }
    t = nbt_new(opts.dtype, 2, (int64_t[]){ rows, cols });
    if (!t) goto done;
    for (int64_t i = 0; i < nvals; i++) {
        double v = vals[i];
        if (opts.dtype == NB_F32)
            ((float *)nbt_ptr(t))[i] = (float)v;
        else if (opts.dtype == NB_F64)
            ((double *)nbt_ptr(t))[i] = v;
        else if (v == nearbyint(v) && fabs(v) < 9.2e18)
            ((int64_t *)nbt_ptr(t))[i] = (int64_t)v;
        else {
            nbt_error("nb_read_csv: '%s' data row %lld, column %lld: %g is not an integer; read as NB_F32 or "
                      "NB_F64",
                      path, (long long)(i / cols + 1), (long long)(i % cols + 1), v);
            nb_free(t);
            t = NULL;
            goto done;
        }
    }
done:
    free(vals);
    free(buf);
    return t;
}
