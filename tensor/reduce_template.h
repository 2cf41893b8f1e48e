/* reduce_template.h — the per-type reduction kernels of kernels_reduce.c (one strided segment),
 * included once per float type with T (float or double) and SUF (f or empty) defined. */

/* accumulate one segment x[0], x[st], ... (n terms) */
static double NBT_CAT(seg_, T)(nbt_reduce_kind k, const T *x, int64_t n, int64_t st) {
    double acc = k == NBT_RSUM ? 0.0 : k == NBT_RPROD ? 1.0 : (double)x[0];
    switch (k) {
    case NBT_RSUM:
        for (int64_t r = 0; r < n; r++) acc += (double)x[r * st];
        break;
    case NBT_RPROD:
        for (int64_t r = 0; r < n; r++) acc *= (double)x[r * st];
        break;
    case NBT_RMAX:
        for (int64_t r = 0; r < n; r++) {
            double v = x[r * st];
            if (v > acc || v != v) {
                acc = v;
                if (v != v) break;
            }
        }
        break;
    case NBT_RMIN:
        for (int64_t r = 0; r < n; r++) {
            double v = x[r * st];
            if (v < acc || v != v) {
                acc = v;
                if (v != v) break;
            }
        }
        break;
    }
    return acc;
}
