/* nbn_nn_spatial.h — what the spatial layer files of nn/ share: Python's repr of a float, for the
 * extra_repr of modules that print one (value=3.5, scale_factor=2.0, p=0.5). */
#ifndef NBN_NN_SPATIAL_H
#define NBN_NN_SPATIAL_H

#include <stddef.h>

/* repr(float(v)) as Python prints it: the shortest round-tripping digits, "2.0" for integers. */
const char *nbn_py_float(char *b, size_t n, double v);

#endif
