/* norm_template.h — the channel-statistics kernels of kernels_norm.c for one element type, included once per
 * float type with T (float or double) defined: moments (mean, biased var), the channel affine and the
 * backward sums and dx. a, b, m, k arrays are per channel. */

/* acc[l] += (p[s] - m) (or its square when sq) for s = l mod 8: eight scalar accumulators, which
 * the compiler keeps in two vector registers */
static inline void NBT_CAT(rowsum_, T)(const T *p, int64_t S, double m, bool sq, double *acc) {
    double a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6],
           a7 = acc[7];
    int64_t s = 0;
    if (sq)
        for (; s + LANES <= S; s += LANES) {
            double d0 = (double)p[s] - m, d1 = (double)p[s + 1] - m, d2 = (double)p[s + 2] - m;
            double d3 = (double)p[s + 3] - m, d4 = (double)p[s + 4] - m, d5 = (double)p[s + 5] - m;
            double d6 = (double)p[s + 6] - m, d7 = (double)p[s + 7] - m;
            a0 += d0 * d0, a1 += d1 * d1, a2 += d2 * d2, a3 += d3 * d3;
            a4 += d4 * d4, a5 += d5 * d5, a6 += d6 * d6, a7 += d7 * d7;
        }
    else
        for (; s + LANES <= S; s += LANES) {
            a0 += (double)p[s] - m, a1 += (double)p[s + 1] - m, a2 += (double)p[s + 2] - m;
            a3 += (double)p[s + 3] - m, a4 += (double)p[s + 4] - m, a5 += (double)p[s + 5] - m;
            a6 += (double)p[s + 6] - m, a7 += (double)p[s + 7] - m;
        }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3, acc[4] = a4, acc[5] = a5, acc[6] = a6, acc[7] = a7;
    for (int l = 0; s < S; s++, l++) {
        double d = (double)p[s] - m;
        acc[l] += sq ? d * d : d;
    }
}
/* sum over n of the rows of channel c: (x - m) or (x - m)^2 */
static double NBT_CAT(chansum_, T)(const T *x, int64_t N, int64_t C, int64_t S, int64_t c, double m,
                                   bool sq) {
    double acc[LANES] = { 0 };
    for (int64_t n = 0; n < N; n++) NBT_CAT(rowsum_, T)(x + (n * C + c) * S, S, m, sq, acc);
    return combine(acc);
}
/* column path: for channels [c0, c1), out[c - c0] = sum over n, s of (x - m_c) or its square */
static void NBT_CAT(colsum_, T)(const T *x, int64_t N, int64_t C, int64_t S, int64_t c0, int64_t c1,
                                const double *m, bool sq, double *out) {
    double acc[CB * SHORT_ROW];
    int64_t w = (c1 - c0) * S;
    for (int64_t j = 0; j < w; j++) acc[j] = 0;
    for (int64_t n = 0; n < N; n++) {
        const T *p = x + (n * C + c0) * S;
        if (S == 1) /* no inner loop: the c loop vectorizes */
            for (int64_t c = 0; c < w; c++) {
                double d = (double)p[c] - (m ? m[c0 + c] : 0.0);
                acc[c] += sq ? d * d : d;
            }
        else
            for (int64_t c = 0; c < c1 - c0; c++) {
                double mc = m ? m[c0 + c] : 0.0;
                for (int64_t s = 0; s < S; s++) {
                    double d = (double)p[c * S + s] - mc;
                    acc[c * S + s] += sq ? d * d : d;
                }
            }
    }
    for (int64_t c = 0; c < c1 - c0; c++) {
        double t = 0;
        for (int64_t s = 0; s < S; s++) t += acc[c * S + s];
        out[c] = t;
    }
}
static void NBT_CAT(moments_, T)(const T *x, int64_t N, int64_t C, int64_t S, double *mean, double *var) {
    bool par = N * C * S >= NBT_PAR_MIN;
    (void)par;
    double M = (double)(N * S);
    if (S < SHORT_ROW) {

#pragma omp parallel for schedule(static) if (par)
        for (int64_t b = 0; b < (C + CB - 1) / CB; b++) {
            int64_t c0 = b * CB, c1 = c0 + CB < C ? c0 + CB : C;
            NBT_CAT(colsum_, T)(x, N, C, S, c0, c1, NULL, false, mean + c0);
            for (int64_t c = c0; c < c1; c++) mean[c] = M > 0 ? mean[c] / M : NAN;
            NBT_CAT(colsum_, T)(x, N, C, S, c0, c1, mean, true, var + c0);
            for (int64_t c = c0; c < c1; c++) var[c] = M > 0 ? var[c] / M : NAN;
        }
        return;
    }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t c = 0; c < C; c++) {
        double m = M > 0 ? NBT_CAT(chansum_, T)(x, N, C, S, c, 0.0, false) / M : NAN;
        mean[c] = m;
        var[c] = M > 0 ? NBT_CAT(chansum_, T)(x, N, C, S, c, m, true) / M : NAN;
    }
}
static void NBT_CAT(affine_, T)(const T *x, T *y, int64_t N, int64_t C, int64_t S, const double *a,
                                const double *b) {
    bool par = N * C * S >= NBT_PAR_MIN;
    (void)par;
    if (S == 1) {

#pragma omp parallel for schedule(static) if (par)
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++) y[n * C + c] = x[n * C + c] * (T)a[c] + (T)b[c];
        return;
    }
    if (S < SHORT_ROW) {

#pragma omp parallel for schedule(static) if (par)
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++) {
                const T al = (T)a[c], be = (T)b[c];
                for (int64_t s = 0; s < S; s++) y[(n * C + c) * S + s] = x[(n * C + c) * S + s] * al + be;
            }
        return;
    }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t q = 0; q < N * C; q++) {
        const T al = (T)a[q % C], be = (T)b[q % C], *p = x + q * S;
        T *o = y + q * S;
        for (int64_t s = 0; s < S; s++) o[s] = p[s] * al + be;
    }
}
/* sg[c] = sum g, sgx[c] = sum g (x - mean): rows with 8 lanes each (scalar accumulators) */
static void NBT_CAT(gsums_, T)(const T *x, const T *g, int64_t N, int64_t C, int64_t S, int64_t c, double m,
                               double *sg, double *sgx) {
    double a[LANES] = { 0 }, b[LANES] = { 0 };
    for (int64_t n = 0; n < N; n++) {
        const T *xp = x + (n * C + c) * S, *gp = g + (n * C + c) * S;
        double a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
        double b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7];
        int64_t s = 0;
        for (; s + LANES <= S; s += LANES) {
            double g0 = gp[s], g1 = gp[s + 1], g2 = gp[s + 2], g3 = gp[s + 3];
            double g4 = gp[s + 4], g5 = gp[s + 5], g6 = gp[s + 6], g7 = gp[s + 7];
            a0 += g0, a1 += g1, a2 += g2, a3 += g3, a4 += g4, a5 += g5, a6 += g6, a7 += g7;
            b0 += g0 * ((double)xp[s] - m), b1 += g1 * ((double)xp[s + 1] - m);
            b2 += g2 * ((double)xp[s + 2] - m), b3 += g3 * ((double)xp[s + 3] - m);
            b4 += g4 * ((double)xp[s + 4] - m), b5 += g5 * ((double)xp[s + 5] - m);
            b6 += g6 * ((double)xp[s + 6] - m), b7 += g7 * ((double)xp[s + 7] - m);
        }
        a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3, a[4] = a4, a[5] = a5, a[6] = a6, a[7] = a7;
        b[0] = b0, b[1] = b1, b[2] = b2, b[3] = b3, b[4] = b4, b[5] = b5, b[6] = b6, b[7] = b7;
        for (int l = 0; s < S; s++, l++) {
            a[l] += (double)gp[s];
            b[l] += (double)gp[s] * ((double)xp[s] - m);
        }
    }
    *sg = combine(a);
    *sgx = combine(b);
}
/* sg[c] = sum g, sgx[c] = sum g (x - mean[c]) */
static void NBT_CAT(bnsums_, T)(const T *x, const T *g, int64_t N, int64_t C, int64_t S, const double *mean,
                                double *sg, double *sgx) {
    bool par = N * C * S >= NBT_PAR_MIN;
    (void)par;
    if (S < SHORT_ROW) {

#pragma omp parallel for schedule(static) if (par)
        for (int64_t bl = 0; bl < (C + CB - 1) / CB; bl++) {
            int64_t c0 = bl * CB, c1 = c0 + CB < C ? c0 + CB : C, wd = (c1 - c0) * S;
            double a[CB * SHORT_ROW], b[CB * SHORT_ROW];
            for (int64_t j = 0; j < wd; j++) a[j] = b[j] = 0;
            for (int64_t n = 0; n < N; n++) {
                const T *xp = x + (n * C + c0) * S, *gp = g + (n * C + c0) * S;
                if (S == 1)
                    for (int64_t c = 0; c < wd; c++) {
                        a[c] += (double)gp[c];
                        b[c] += (double)gp[c] * ((double)xp[c] - mean[c0 + c]);
                    }
                else
                    for (int64_t c = 0; c < c1 - c0; c++)
                        for (int64_t s = 0; s < S; s++) {
                            int64_t j = c * S + s;
                            a[j] += (double)gp[j];
                            b[j] += (double)gp[j] * ((double)xp[j] - mean[c0 + c]);
                        }
            }
            for (int64_t c = c0; c < c1; c++) {
                double ta = 0, tb = 0;
                for (int64_t s = 0; s < S; s++) {
                    ta += a[(c - c0) * S + s];
                    tb += b[(c - c0) * S + s];
                }
                sg[c] = ta;
                sgx[c] = tb;
            }
        }
        return;
    }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t c = 0; c < C; c++) NBT_CAT(gsums_, T)(x, g, N, C, S, c, mean[c], &sg[c], &sgx[c]);
}
/* dx = (g - gm_c - (x - mean_c) k_c) scale_c, the per-channel coefficients precomputed */
static void NBT_CAT(bndx_, T)(const T *x, const T *g, T *dx, int64_t N, int64_t C, int64_t S,
                              const double *mean, const double *gm, const double *k, const double *scale) {
    bool par = N * C * S >= NBT_PAR_MIN;
    (void)par;
    if (S == 1) {

#pragma omp parallel for schedule(static) if (par)
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++) {
                int64_t q = n * C + c;
                dx[q] = (T)(((double)g[q] - gm[c] - ((double)x[q] - mean[c]) * k[c]) * scale[c]);
            }
        return;
    }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t q = 0; q < N * C; q++) {
        int64_t c = q % C;
        const T gmc = (T)gm[c], kc = (T)k[c], sc = (T)scale[c], mc = (T)mean[c];
        const T *xp = x + q * S, *gp = g + q * S;
        T *o = dx + q * S;
        for (int64_t s = 0; s < S; s++) o[s] = (gp[s] - gmc - (xp[s] - mc) * kc) * sc;
    }
}
