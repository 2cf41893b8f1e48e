/* kernels_winograd.c — 3x3, stride-1 convolutions in f32 by Winograd's F(2x2, 3x3) (Lavin & Gray 2015):
 * each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A over its 4x4 input window d, so the sums over
 * channels become 16 GEMMs (co, ci) x (ci, tiles) with 2.25x fewer multiply-adds than im2col's. The conv
 * (nbt_conv2d) and, with the kernel flipped and its channels swapped, its transpose (a conv's input gradient). */
#include "kernels_conv.h"
#include "gemm.h"
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#define NBT_TID omp_get_thread_num()
#else
#define NBT_TID 0
#endif

/* channels per group below which the transforms cost more than the multiply-adds they save */
#define NBT_WINO_MIN_CH 8

/* V and M of one unit of tiles, about this many bytes (they stay in L2 between the transforms and GEMMs) */
#define NBT_WINO_BYTES (384 * 1024)
#define NBT_WINO_TILES 64

/* One correlation in tiles: out (cout, ho, wo) position (oh, ow) = sum over c < cin, r, s < 3 of
 * u(o, c, r, s) in(c, oh - ph + r, ow - pw + s), in (cin, hi, wi) zero outside (0 <= ph, pw), per group.
 * Tiles (th x tw of 2x2 outputs, raster order) go in units of tu (a multiple of 16, the GEMM's columns); the
 * last unit of a sample takes the rest, so that no GEMM gets a handful of columns (its unpacked path). */
typedef struct {
    int64_t n, groups, cin, hi, wi, cout, ho, wo, ph, pw; /* cin, cout: per group */
    int64_t th, tw; /* tiles */
    int64_t tu, nr, tc; /* a sample's nr units of tu tiles, the last one up to tc (< 2 tu): the planes' width */
} wgeom;

/* the 16 values of G f G^T for a 3x3 filter f read as f[r * rs + s * ss], in double, rounded once */
static void wtrans(const float *f, int64_t rs, int64_t ss, float *u, int64_t ustride) {
    double t[4][3], v[4][4];
    for (int s = 0; s < 3; s++) {
        double a = f[0 * rs + s * ss], b = f[1 * rs + s * ss], c = f[2 * rs + s * ss];
        t[0][s] = a, t[1][s] = 0.5 * (a + b + c), t[2][s] = 0.5 * (a - b + c), t[3][s] = c;
    }
    for (int r = 0; r < 4; r++) {
        double a = t[r][0], b = t[r][1], c = t[r][2];
        v[r][0] = a, v[r][1] = 0.5 * (a + b + c), v[r][2] = 0.5 * (a - b + c), v[r][3] = c;
    }
    for (int e = 0; e < 16; e++) u[e * ustride] = (float)v[e / 4][e % 4];
}

/* 8 floats (GCC vector extensions: AVX's ymm, two xmm without it) and their permutations */
typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
static inline v8 ld8(const float *p) {
    v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void st8(float *p, v8 v) { memcpy(p, &v, sizeof v); }
#define EVEN ((v8i){ 0, 2, 4, 6, 8, 10, 12, 14 })
#define ODD ((v8i){ 1, 3, 5, 7, 9, 11, 13, 15 })
#define ZIPLO ((v8i){ 0, 8, 1, 9, 2, 10, 3, 11 })
#define ZIPHI ((v8i){ 4, 12, 5, 13, 6, 14, 7, 15 })

/* The transforms, for 8 tiles side by side (vectors) or one (scalars), with the same operations in the
 * same order, so a tile's bits do not depend on which path it took (the units' edges fall differently for
 * different shapes). Input window of tile k: rows w + r ps, columns 2k to 2k + 3. V's planes are es apart. */
static inline void in8(const float *w, int64_t ps, float *v, int64_t es) {
    v8 R[4][4];
    for (int r = 0; r < 4; r++) {
        const float *row = w + r * ps;
        v8 a0 = ld8(row), a1 = ld8(row + 8), b0 = ld8(row + 2), b1 = ld8(row + 10);
        v8 d0 = __builtin_shuffle(a0, a1, EVEN), d1 = __builtin_shuffle(a0, a1, ODD),
           d2 = __builtin_shuffle(b0, b1, EVEN), d3 = __builtin_shuffle(b0, b1, ODD);
        R[r][0] = d0 - d2, R[r][1] = d1 + d2, R[r][2] = d2 - d1, R[r][3] = d1 - d3; /* d B */
    }
    for (int c = 0; c < 4; c++) { /* B^T (d B) */
        st8(v + c * es, R[0][c] - R[2][c]), st8(v + (4 + c) * es, R[1][c] + R[2][c]);
        st8(v + (8 + c) * es, R[2][c] - R[1][c]), st8(v + (12 + c) * es, R[1][c] - R[3][c]);
    }
}
static inline void in1(const float *w, int64_t ps, float *v, int64_t es) {
    float R[4][4];
    for (int r = 0; r < 4; r++) {
        const float *row = w + r * ps;
        float d0 = row[0], d1 = row[1], d2 = row[2], d3 = row[3];
        R[r][0] = d0 - d2, R[r][1] = d1 + d2, R[r][2] = d2 - d1, R[r][3] = d1 - d3;
    }
    for (int c = 0; c < 4; c++) {
        v[c * es] = R[0][c] - R[2][c], v[(4 + c) * es] = R[1][c] + R[2][c];
        v[(8 + c) * es] = R[2][c] - R[1][c], v[(12 + c) * es] = R[1][c] - R[3][c];
    }
}
/* A^T m A + b of 8 tiles from m (planes es apart): rows y0 and y1 (NULL: below the output) from column 0,
 * n (<= 16) columns of them */
static inline void out8(const float *m, int64_t es, float b, float *y0, float *y1, int64_t n) {
    v8 s0[4], s1[4];
    for (int c = 0; c < 4; c++) {
        v8 m0 = ld8(m + c * es), m1 = ld8(m + (4 + c) * es), m2 = ld8(m + (8 + c) * es),
           m3 = ld8(m + (12 + c) * es);
        s0[c] = m0 + m1 + m2, s1[c] = m1 - m2 - m3;
    }
    v8 y[4] = { s0[0] + s0[1] + s0[2] + b, s0[1] - s0[2] - s0[3] + b, s1[0] + s1[1] + s1[2] + b,
                s1[1] - s1[2] - s1[3] + b };
    float t[2][16];
    for (int r = 0; r < 2; r++) {
        float *dst = r ? y1 : y0;
        if (!dst) continue;
        v8 lo = __builtin_shuffle(y[2 * r], y[2 * r + 1], ZIPLO), hi = __builtin_shuffle(y[2 * r], y[2 * r + 1], ZIPHI);
        if (n == 16) {
            st8(dst, lo), st8(dst + 8, hi);
            continue;
        }
        st8(t[r], lo), st8(t[r] + 8, hi);
        memcpy(dst, t[r], (size_t)n * sizeof *dst);
    }
}
static inline void out1(const float *m, int64_t es, float b, float *y0, float *y1, int64_t n) {
    float s0[4], s1[4];
    for (int c = 0; c < 4; c++) {
        float m0 = m[c * es], m1 = m[(4 + c) * es], m2 = m[(8 + c) * es], m3 = m[(12 + c) * es];
        s0[c] = m0 + m1 + m2, s1[c] = m1 - m2 - m3;
    }
    float y[4] = { s0[0] + s0[1] + s0[2] + b, s0[1] - s0[2] - s0[3] + b, s1[0] + s1[1] + s1[2] + b,
                   s1[1] - s1[2] - s1[3] + b };
    for (int r = 0; r < 2; r++) {
        float *dst = r ? y1 : y0;
        for (int64_t k = 0; dst && k < n; k++) dst[k] = y[2 * r + k];
    }
}

/* floats between the 16 planes of V (cin, tc) and of M (cout, tc): a cache line more than a plane, so that
 * the 16 streams the transforms read or write do not share cache sets (plane sizes are powers of 2) */
static int64_t vstride(const wgeom *q) { return q->cin * q->tc + 16; }
static int64_t mstride(const wgeom *q) { return q->cout * q->tc + 16; }

/* the tile rows [*ti0, *ti1) that tiles [t0, t1) touch; tile row ti holds tiles [j0, j1) of them */
static void tile_rows(const wgeom *q, int64_t t0, int64_t t1, int64_t *ti0, int64_t *ti1) {
    *ti0 = t0 / q->tw, *ti1 = (t1 - 1) / q->tw + 1;
}
static void tile_cols(const wgeom *q, int64_t ti, int64_t t0, int64_t t1, int64_t *j0, int64_t *j1) {
    *j0 = ti * q->tw < t0 ? t0 - ti * q->tw : 0;
    *j1 = (ti + 1) * q->tw > t1 ? t1 - ti * q->tw : q->tw;
}
/* whether every window lies inside the image (no padding copy) */
static bool inside(const wgeom *q) {
    return q->ph == 0 && q->pw == 0 && 2 * q->th + 2 <= q->hi && 2 * q->tw + 2 <= q->wi;
}
/* floats of the padded copy of one plane's rows for one unit */
static int64_t pad_floats(const wgeom *q) { return (2 * (q->tc / q->tw + 2) + 2) * (2 * q->tw + 2); }

/* V (16, cin, tc) = B^T d B of tiles [t0, t1) of one group's input planes x (cin, hi, wi), tile t at column
 * t - t0; pad: pad_floats of scratch for the rows of a plane with its zero border */
static void in_trans(const wgeom *q, const float *x, int64_t t0, int64_t t1, float *restrict V,
                     float *restrict pad) {
    const int64_t es = vstride(q), HW = q->hi * q->wi;
    const bool in = inside(q);
    const int64_t ps = in ? q->wi : 2 * q->tw + 2;
    int64_t ti0, ti1;
    tile_rows(q, t0, t1, &ti0, &ti1);
    for (int64_t c = 0; c < q->cin; c++) {
        const float *P = x + c * HW; /* padded row pr, column pc at P[(pr - r0) ps + pc] */
        const int64_t r0 = in ? 0 : 2 * ti0;
        if (!in) {                   /* padded rows [2 ti0, 2 ti1 + 2): input row pr - ph, column pc - pw */
            for (int64_t pr = 2 * ti0; pr < 2 * ti1 + 2; pr++) {
                float *d = pad + (pr - 2 * ti0) * ps;
                int64_t ih = pr - q->ph, a = q->pw < ps ? q->pw : ps, e = q->pw + q->wi < ps ? q->pw + q->wi : ps;
                if (ih < 0 || ih >= q->hi) a = e = 0;
                for (int64_t k = 0; k < a; k++) d[k] = 0;
                if (e > a) memcpy(d + a, P + ih * q->wi + (a - q->pw), (size_t)(e - a) * sizeof *d);
                for (int64_t k = e > a ? e : 0; k < ps; k++) d[k] = 0;
            }
            P = pad;
        }
        for (int64_t ti = ti0; ti < ti1; ti++) {
            int64_t j0, j1;
            tile_cols(q, ti, t0, t1, &j0, &j1);
            const float *w = P + (2 * ti - r0) * ps;
            float *v = V + c * q->tc + ti * q->tw - t0;
            int64_t j = j0;
            for (; j + 8 <= j1; j += 8) in8(w + 2 * j, ps, v + j, es);
            if (j < j1 && j1 - j0 >= 8) in8(w + 2 * (j1 - 8), ps, v + j1 - 8, es), j = j1; /* overlaps: same bits */
            for (; j < j1; j++) in1(w + 2 * j, ps, v + j, es);
        }
    }
}

/* y (cout, ho, wo) at tiles [t0, t1) = A^T m A (+ bias) from M (16, cout, tc) */
static void out_trans(const wgeom *q, const float *restrict M, const float *bias, float *y, int64_t t0,
                      int64_t t1) {
    const int64_t es = mstride(q), P = q->ho * q->wo;
    int64_t ti0, ti1;
    tile_rows(q, t0, t1, &ti0, &ti1);
    for (int64_t o = 0; o < q->cout; o++) {
        const float b = bias ? bias[o] : 0;
        for (int64_t ti = ti0; ti < ti1; ti++) {
            int64_t j0, j1;
            tile_cols(q, ti, t0, t1, &j0, &j1);
            const float *m = M + o * q->tc + ti * q->tw - t0;
            float *y0 = y + o * P + 2 * ti * q->wo, *y1 = 2 * ti + 1 < q->ho ? y0 + q->wo : NULL;
#define NCOL(j, k) (2 * ((j) + (k)) <= q->wo ? 2 * (k) : q->wo - 2 * (j)) /* columns of k tiles from j */
            int64_t j = j0;
            for (; j + 8 <= j1; j += 8) out8(m + j, es, b, y0 + 2 * j, y1 ? y1 + 2 * j : NULL, NCOL(j, 8));
            if (j < j1 && j1 - j0 >= 8)
                out8(m + j1 - 8, es, b, y0 + 2 * (j1 - 8), y1 ? y1 + 2 * (j1 - 8) : NULL, NCOL(j1 - 8, 8)), j = j1;
            for (; j < j1; j++) out1(m + j, es, b, y0 + 2 * j, y1 ? y1 + 2 * j : NULL, NCOL(j, 1));
#undef NCOL
        }
    }
}

/* floats of one thread's scratch: V, M and the row buffers */
static int64_t scratch(const wgeom *q) { return 16 * (vstride(q) + mstride(q)) + pad_floats(q); }

/* out (n, groups cout, ho, wo) from in (n, groups cin, hi, wi) and U (groups, 16, cout, cin); units are
 * (sample, tile range) pairs, each computed whole by one thread into its own outputs */
static void wino_run(const wgeom *q, const float *x, const float *U, const float *bias, float *y, float *buf,
                     int nt) {
    (void)nt; /* no OpenMP: serial */
    const int64_t T = q->th * q->tw, nr = q->nr, units = q->n * nr, per = scratch(q);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t u = 0; u < units; u++) {
        int64_t s = u / nr, t0 = (u % nr) * q->tu, t1 = u % nr == nr - 1 ? T : t0 + q->tu, tn = t1 - t0;
        float *V = buf + NBT_TID * per, *M = V + 16 * vstride(q), *rb = M + 16 * mstride(q);
        for (int64_t gi = 0; gi < q->groups; gi++) {
            const float *xs = x + (s * q->groups + gi) * q->cin * q->hi * q->wi;
            const float *Ug = U + gi * 16 * q->cout * q->cin;
            in_trans(q, xs, t0, t1, V, rb);
            for (int e = 0; e < 16; e++)
                nbt_sgemm(false, false, q->cout, tn, q->cin, 1.0f, Ug + e * q->cout * q->cin, q->cin,
                          V + e * vstride(q), q->tc, 0.0f, M + e * mstride(q), q->tc);
            out_trans(q, M, bias ? bias + gi * q->cout : NULL, y + (s * q->groups + gi) * q->cout * q->ho * q->wo,
                      t0, t1);
        }
    }
}

/* q's units: tu tiles, a multiple of 16, with V and M of about NBT_WINO_BYTES but at least NBT_WINO_TILES
 * (each unit packs all of U again); halved while the batch gives fewer than 8 units (the shape alone decides
 * the units, so the bits do not depend on the threads) */
static void plan(wgeom *q) {
    const int64_t T = q->th * q->tw;
    int64_t tu = NBT_WINO_BYTES / (16 * 4 * (q->cin + q->cout)) / 16 * 16;
    if (tu < NBT_WINO_TILES) tu = NBT_WINO_TILES;
    while (q->n * (T / tu) < 8 && tu > 16) tu = (tu / 2 + 15) / 16 * 16;
    if (tu > T) tu = T;
    q->tu = tu, q->nr = T / tu, q->tc = T - (q->nr - 1) * tu;
}

bool nbt_wino_ok(const nbt_conv_geom *g, nb_dtype dt) {
    int64_t cig = g->ci / g->groups, cog = g->co / g->groups;
    return dt == NB_F32 && g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 &&
           cig >= NBT_WINO_MIN_CH && cog >= NBT_WINO_MIN_CH && g->ho >= 2 && g->wo >= 2 && g->hi >= 2 &&
           g->wi >= 2 && g->ph >= 0 && g->pw >= 0 && g->ph <= 2 && g->pw <= 2;
}

nb_tensor *nbt_wino_conv(const nb_tensor *x, const nb_tensor *w, const nb_tensor *b, const nbt_conv_geom *g,
                         bool transposed) {
    const int64_t cig = g->ci / g->groups, cog = g->co / g->groups;
    wgeom q = { .n = g->n, .groups = g->groups };
    if (!transposed)
        q.cin = cig, q.hi = g->hi, q.wi = g->wi, q.cout = cog, q.ho = g->ho, q.wo = g->wo, q.ph = g->ph,
        q.pw = g->pw;
    else /* out (ci, hi, wi) position (ih, iw) reads in (co, ho, wo) at ih + ph - r = ih - (2 - ph) + (2 - r) */
        q.cin = cog, q.hi = g->ho, q.wi = g->wo, q.cout = cig, q.ho = g->hi, q.wo = g->wi, q.ph = 2 - g->ph,
        q.pw = 2 - g->pw;
    q.th = (q.ho + 1) / 2, q.tw = (q.wo + 1) / 2;
    plan(&q);
    nb_tensor *y = transposed ? nbt_new(NB_F32, 4, (int64_t[]){ g->n, g->ci, g->hi, g->wi })
                              : nbt_new(NB_F32, 4, (int64_t[]){ g->n, g->co, g->ho, g->wo });
    if (!y || y->numel == 0) return y;
    int nt = nbt_conv_threads(q.n * q.nr, (double)q.n * q.th * q.tw * 16 * q.cin * q.cout * q.groups);
    nb_tensor *U = nbt_new(NB_F32, 1, (int64_t[]){ q.groups * 16 * q.cout * q.cin });
    nb_tensor *buf = nbt_new(NB_F32, 1, (int64_t[]){ nt * scratch(&q) });
    if (!U || !buf) {
        nb_free(buf), nb_free(U), nb_free(y);
        return NULL;
    }
    const float *wp = (const float *)nbt_ptr(w);
    float *u = (float *)nbt_ptr(U);
    for (int64_t gi = 0; gi < q.groups; gi++)
        for (int64_t o = 0; o < q.cout; o++)
            for (int64_t c = 0; c < q.cin; c++) {
                float *ue = u + gi * 16 * q.cout * q.cin + o * q.cin + c;
                if (!transposed) /* w (co, cig, 3, 3): u(o, c) = G w[o][c] G^T */
                    wtrans(wp + ((gi * cog + o) * cig + c) * 9, 3, 1, ue, q.cout * q.cin);
                else /* u(c', o') for in channel o' = co's c and out channel c' = ci's o: w[c][o] flipped */
                    wtrans(wp + ((gi * cog + c) * cig + o) * 9 + 8, -3, -1, ue, q.cout * q.cin);
            }
    wino_run(&q, (const float *)nbt_ptr(x), u, b ? (const float *)nbt_ptr(b) : NULL, (float *)nbt_ptr(y),
             (float *)nbt_ptr(buf), nt);
    nb_free(buf);
    nb_free(U);
    return y;
}
