/* winograd_template.h — kernels_winograd.c's transforms for VL tiles side by side, included once per vector
 * width with VL (8 or 4), VT (a vector of VL floats) and the lane masks EVENM, ODDM, LOM, HIM
 * defined (as lists of lane indices, for __builtin_shufflevector: GCC 12, clang). Lanes hold tiles in the order EVENM gives (for 8: tiles 0 1 4 5 2 3 6 7 — in-lane shuffles, no
 * lane crossing); the output transform's LOM/HIM put them back in column order. Every tile sees the
 * operations of the one-tile functions, in the same order. */
#define WF_(name, n) name##n
#define WF(name, n) WF_(name, n)

static inline VT WF(ld, VL)(const float *p) {
    VT v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void WF(st, VL)(float *p, VT v) { memcpy(p, &v, sizeof v); }

/* V = B^T d B of VL tiles: tile k's window is rows w + r ps, columns 2k to 2k + 3; V's 16 planes es apart */
static inline void WF(in, VL)(const float *w, int64_t ps, float *v, int64_t es) {
    VT R[4][4];
    for (int r = 0; r < 4; r++) {
        const float *row = w + r * ps;
        VT a0 = WF(ld, VL)(row), a1 = WF(ld, VL)(row + VL), b0 = WF(ld, VL)(row + 2),
           b1 = WF(ld, VL)(row + VL + 2);
        VT d0 = __builtin_shufflevector(a0, a1, EVENM), d1 = __builtin_shufflevector(a0, a1, ODDM),
           d2 = __builtin_shufflevector(b0, b1, EVENM), d3 = __builtin_shufflevector(b0, b1, ODDM);
        R[r][0] = d0 - d2, R[r][1] = d1 + d2, R[r][2] = d2 - d1, R[r][3] = d1 - d3; /* d B */
    }
    for (int c = 0; c < 4; c++) { /* B^T (d B) */
        WF(st, VL)(v + c * es, R[0][c] - R[2][c]), WF(st, VL)(v + (4 + c) * es, R[1][c] + R[2][c]);
        WF(st, VL)(v + (8 + c) * es, R[2][c] - R[1][c]), WF(st, VL)(v + (12 + c) * es, R[1][c] - R[3][c]);
    }
}

/* A^T m A + b of VL tiles from m (planes es apart): rows y0 and y1 (NULL: below the output) from column 0,
 * n (<= 2 VL) columns of them; *nf gets NaN lanes where a value is not finite */
static inline void WF(out, VL)(const float *m, int64_t es, float b, float *y0, float *y1, int64_t n, VT *nf) {
    VT s0[4], s1[4];
    for (int c = 0; c < 4; c++) {
        VT m0 = WF(ld, VL)(m + c * es), m1 = WF(ld, VL)(m + (4 + c) * es), m2 = WF(ld, VL)(m + (8 + c) * es),
           m3 = WF(ld, VL)(m + (12 + c) * es);
        s0[c] = m0 + m1 + m2, s1[c] = m1 - m2 - m3;
    }
    VT y[4] = { s0[0] + s0[1] + s0[2] + b, s0[1] - s0[2] - s0[3] + b, s1[0] + s1[1] + s1[2] + b,
                s1[1] - s1[2] - s1[3] + b };
    *nf += (y[0] + y[1] + y[2] + y[3]) * 0; /* an infinity or NaN among them: NaN */
    float t[2 * VL];
    for (int r = 0; r < 2; r++) {
        float *dst = r ? y1 : y0;
        if (!dst) continue;
        VT lo = __builtin_shufflevector(y[2 * r], y[2 * r + 1], LOM),
           hi = __builtin_shufflevector(y[2 * r], y[2 * r + 1], HIM);
        if (n == 2 * VL) {
            WF(st, VL)(dst, lo), WF(st, VL)(dst + VL, hi);
            continue;
        }
        WF(st, VL)(t, lo), WF(st, VL)(t + VL, hi);
        memcpy(dst, t, (size_t)n * sizeof *dst);
    }
}

/* Z = A g A^T of VL tiles of the output gradient: rows g0 and g1 (NULL: below the output) from column 0,
 * n (<= 2 VL) columns of them, zero past; Z's planes es apart */
static inline void WF(z, VL)(const float *g0, const float *g1, int64_t n, float *z, int64_t es) {
    const float *r[2] = { g0, g1 };
    float t[2][2 * VL];
    VT e[2], o[2];
    for (int k = 0; k < 2; k++) {
        const float *src = r[k];
        if (!src || n < 2 * VL) {
            memset(t[k], 0, sizeof t[k]);
            if (src) memcpy(t[k], src, (size_t)n * sizeof *src);
            src = t[k];
        }
        VT a = WF(ld, VL)(src), b = WF(ld, VL)(src + VL);
        e[k] = __builtin_shufflevector(a, b, EVENM), o[k] = __builtin_shufflevector(a, b, ODDM);
    }
    VT R[4][2] = {
        { e[0], o[0] }, { e[0] + e[1], o[0] + o[1] }, { e[0] - e[1], o[0] - o[1] }, { -e[1], -o[1] }
    };
    for (int q = 0; q < 4; q++) {
        VT a = R[q][0], b = R[q][1];
        WF(st, VL)(z + 4 * q * es, a), WF(st, VL)(z + (4 * q + 1) * es, a + b);
        WF(st, VL)(z + (4 * q + 2) * es, a - b), WF(st, VL)(z + (4 * q + 3) * es, -b);
    }
}

#undef WF
#undef WF_
#undef VL
#undef VT
#undef EVENM
#undef ODDM
#undef LOM
#undef HIM
