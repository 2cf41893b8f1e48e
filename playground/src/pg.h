/* pg.h — the playground's C side (compiled to WebAssembly, and natively for the tests): every entry
 * point takes a request and returns one JSON string, built with the small writer below. Only nabla's
 * public API is used, so the page runs exactly the library users link. */
#ifndef PG_H
#define PG_H

#include <nabla.h>
#include <stdio.h>

/* ---- the JSON answer of the current call (pg_json.c) ---- */
/* Start a new answer (drops the previous one); returns the stream to write into. */
FILE *pg_begin(void);
/* Finish the answer and return it (valid until the next pg_begin). */
const char *pg_end(void);
/* An error answer {"ok":false,"error":msg} (msg JSON-escaped); clears nabla's error. */
const char *pg_fail(const char *msg);
/* Write s as a JSON string literal. */
void pg_str(FILE *f, const char *s);
/* Write a number (non-finite as "NaN"/"Infinity"/"-Infinity" strings). */
void pg_num(FILE *f, double v);
/* Write "[v0,v1,...]". */
void pg_nums(FILE *f, const double *v, int n);
/* Value of key in "k1=v1;k2=v2" (def when absent or not a number). */
double pg_arg(const char *args, const char *key, double def);
/* String value of key into buf (def when absent); returns buf. */
const char *pg_arg_str(const char *args, const char *key, const char *def, char *buf, size_t n);

/* ---- pages ---- */
/* Expression page: parse, record, backward with the VJP trace; second != 0 adds create_graph. */
const char *pg_expr(const char *src, int second);
/* Course page: one worked example (gd1d, gd2d, newton, precond, linesearch, decay, sgd) with args. */
const char *pg_course(const char *name, const char *args);
/* Optimizers page: trajectories of several optimizers on a 2-D function. */
const char *pg_optim(const char *args);
/* Network page: (re)build the toy classifier (reset) or train it n more steps and report. */
const char *pg_net(const char *cmd, const char *args);

#endif
