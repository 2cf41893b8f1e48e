/* cli.h — strict number parsing for the examples' command lines: the whole argument must be a
 * finite number in range, so "abc", "1x" or "" is a usage error instead of silently 0 or 1; and the
 * usage answer, as argparse gives it. Header only (static inline), shared by every example. */
#ifndef NB_EXAMPLES_CLI_H
#define NB_EXAMPLES_CLI_H
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* *out = s as a double; false if s is not entirely a finite number */
static inline bool cli_double(const char *s, double *out) {
    if (!s || !*s) return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* *out = s as an int; false if s is not entirely a base-10 integer that fits an int */
static inline bool cli_int(const char *s, int *out) {
    if (!s || !*s) return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE || v < INT_MIN || v > INT_MAX) return false;
    *out = (int)v;
    return true;
}

/* The exit status for an argument the parser did not take: -h / --help prints usage to stdout and gives 0
 * (as argparse); anything else prints it to stderr and gives 2. */
static inline int cli_usage(const char *arg, const char *usage) {
    bool help = arg && (!strcmp(arg, "-h") || !strcmp(arg, "--help"));
    fputs(usage, help ? stdout : stderr);
    return help ? 0 : 2;
}
#endif
