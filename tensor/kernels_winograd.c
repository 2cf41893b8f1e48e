/* kernels_winograd.c — 3x3, stride-1 convolutions in f32 by Winograd's F(2x2, 3x3) (Lavin & Gray 2015):
 * each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A over its 4x4 input window d, so the sums over
 * channels become 16 GEMMs (co, ci) x (ci, tiles) with 2.25x fewer multiply-adds than im2col's. The conv
 * (nbt_conv2d), with the kernel flipped and its channels swapped its transpose (a conv's input gradient), and
 * the weight gradient G^T [sum of (A gy A^T) . (B^T x B)] G; non-finite results go back to im2col. */
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

/* V and M of one unit of tiles, about this many bytes: in A/B runs 1 MB units beat 384 KB ones (which stay in
 * L2) by 2-5% on the MNIST CNN and the ResNet-like bench shapes, the GEMMs repacking U less often */
#define NBT_WINO_BYTES (1024 * 1024)
#define NBT_WINO_TILES 64 /* the fewest tiles a unit gets (but for small batches): U's packing amortized */

/* One correlation in tiles: out (cout, ho, wo) position (oh, ow) = sum over c < cin, r, s < 3 of
 * u(o, c, r, s) in(c, oh - ph + r, ow - pw + s), in (cin, hi, wi) zero outside (0 <= ph, pw), per group.
 * Tiles (th x tw of 2x2 outputs, raster order) go in units of tu (a multiple of 16, the GEMM's columns); the
 * last unit of a sample takes the rest, so that no GEMM gets a handful of columns (its unpacked path). */
typedef struct {
    int64_t n, groups, cin, hi, wi, cout, ho, wo, ph, pw; /* cin, cout: per group */
    int64_t th, tw;                                       /* tiles */
    /* a sample's nr units of tu tiles, the last one up to tc (< 2 tu): the planes' width */
    int64_t tu, nr, tc;
    int64_t bnr; /* V's planes in the GEMM's packed-B slivers of bnr columns (nbt_sgemm_nr), or 0: rows */
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

/* 8 and 4 floats (GCC vector extensions: AVX's ymm and xmm) and the transforms on them */
typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));
#define VL 8
#define VT v8
#define EVENM 0, 2, 8, 10, 4, 6, 12, 14
#define ODDM 1, 3, 9, 11, 5, 7, 13, 15
#define LOM 0, 8, 1, 9, 4, 12, 5, 13
#define HIM 2, 10, 3, 11, 6, 14, 7, 15
#include "winograd_template.h"
#define VL 4
#define VT v4
#define EVENM 0, 2, 4, 6
#define ODDM 1, 3, 5, 7
#define LOM 0, 4, 1, 5
#define HIM 2, 6, 3, 7
#include "winograd_template.h"

/* The same transforms for one tile. A unit's part of a tile row goes in blocks of 8 tiles from its start,
 * then at most one of 4, then single tiles: the same in every transform of that unit, so the lanes' tile
 * order (see winograd_template.h) is undone where it must be. */
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
static inline void out1(const float *m, int64_t es, float b, float *y0, float *y1, int64_t n, float *nf) {
    float s0[4], s1[4];
    for (int c = 0; c < 4; c++) {
        float m0 = m[c * es], m1 = m[(4 + c) * es], m2 = m[(8 + c) * es], m3 = m[(12 + c) * es];
        s0[c] = m0 + m1 + m2, s1[c] = m1 - m2 - m3;
    }
    float y[4] = { s0[0] + s0[1] + s0[2] + b, s0[1] - s0[2] - s0[3] + b, s1[0] + s1[1] + s1[2] + b,
                   s1[1] - s1[2] - s1[3] + b };
    *nf += (y[0] + y[1] + y[2] + y[3]) * 0;
    for (int r = 0; r < 2; r++) { /* stores, not a copy loop (which becomes a memcpy call) */
        float *dst = r ? y1 : y0;
        if (dst) dst[0] = y[2 * r];
        if (dst && n > 1) dst[1] = y[2 * r + 1];
    }
}

/* floats between the 16 planes of V (cin, tc) and of M (cout, tc): a cache line more than a plane, so that
 * the 16 streams the transforms read or write do not share cache sets (plane sizes are powers of 2) */
static int64_t vstride(const wgeom *q) {
    return q->cin * (q->bnr ? (q->tc + q->bnr - 1) / q->bnr * q->bnr : q->tc) + 16;
}
/* where V's plane holds channel c of the unit's tile u: row c, or (packed) sliver u / bnr, row c, lane u % bnr */
static inline int64_t vpos(const wgeom *q, int64_t c, int64_t u) {
    return q->bnr ? (u / q->bnr * q->cin + c) * q->bnr + u % q->bnr : c * q->tc + u;
}
static int64_t mstride(const wgeom *q) { return q->cout * q->tc + 16; }

static inline void z1(const float *g0, const float *g1, int64_t n, float *z, int64_t es) {
    float e[2], o[2];
    const float *r[2] = { g0, g1 };
    for (int k = 0; k < 2; k++) e[k] = r[k] ? r[k][0] : 0, o[k] = r[k] && n > 1 ? r[k][1] : 0;
    float R[4][2] = {
        { e[0], o[0] }, { e[0] + e[1], o[0] + o[1] }, { e[0] - e[1], o[0] - o[1] }, { -e[1], -o[1] }
    };
    for (int q = 0; q < 4; q++) {
        float a = R[q][0], b = R[q][1];
        z[4 * q * es] = a, z[(4 * q + 1) * es] = a + b, z[(4 * q + 2) * es] = a - b, z[(4 * q + 3) * es] = -b;
    }
}

/* the tile rows [*ti0, *ti1) that tiles [t0, t1) touch; tile row ti holds tiles [j0, j1) of them */
static void tile_rows(const wgeom *q, int64_t t0, int64_t t1, int64_t *ti0, int64_t *ti1) {
    *ti0 = t0 / q->tw, *ti1 = (t1 - 1) / q->tw + 1;
}
static void tile_cols(const wgeom *q, int64_t ti, int64_t t0, int64_t t1, int64_t *j0, int64_t *j1) {
    *j0 = ti * q->tw < t0 ? t0 - ti * q->tw : 0;
    *j1 = (ti + 1) * q->tw > t1 ? t1 - ti * q->tw : q->tw;
}
/* output columns that k tiles from tile column j cover: 2 k, or what is left of the row (an odd width) */
static inline int64_t ncols(const wgeom *q, int64_t j, int64_t k) {
    return 2 * (j + k) <= q->wo ? 2 * k : q->wo - 2 * j;
}
/* whether every window lies inside the image (no padding copy) */
static bool inside(const wgeom *q) {
    return q->ph == 0 && q->pw == 0 && 2 * q->th + 2 <= q->hi && 2 * q->tw + 2 <= q->wi;
}
/* floats of the padded copy of one plane's rows for one unit */
static int64_t pad_width(const wgeom *q) { return (2 * q->tw + 2 + 7) / 8 * 8; }
static int64_t pad_floats(const wgeom *q) { return (2 * (q->tc / q->tw + 2) + 2) * pad_width(q); }

/* V at channel c, the unit's tiles [u, u + n) (n = 8 or 4) = in8/in4 of the windows at w; packed planes whose
 * sliver boundary falls inside the block get the lanes one by one */
static inline void in_block(const wgeom *q, int n, const float *w, int64_t ps, float *V, int64_t es,
                            int64_t c, int64_t u) {
    if (!q->bnr || u % q->bnr + n <= q->bnr) {
        if (n == 8)
            in8(w, ps, V + vpos(q, c, u), es);
        else
            in4(w, ps, V + vpos(q, c, u), es);
        return;
    }
    float t[16 * 8];
    if (n == 8)
        in8(w, ps, t, 8);
    else
        in4(w, ps, t, 8);
    for (int e = 0; e < 16; e++)
        for (int l = 0; l < n; l++) V[e * es + vpos(q, c, u + l)] = t[e * 8 + l];
}

/* V (16, cin, tc) = B^T d B of tiles [t0, t1) of one group's input planes x (cin, hi, wi), tile t at column
 * t - t0; pad: pad_floats of scratch for the rows of a plane with its zero border */
static void in_trans(const wgeom *q, const float *x, int64_t t0, int64_t t1, float *restrict V,
                     float *restrict pad) {
    const int64_t es = vstride(q), HW = q->hi * q->wi, tn = t1 - t0;
    const bool in = inside(q);
    if (q->bnr && tn % q->bnr) /* the last sliver's lanes past the unit: zeros, as packing pads them */
        for (int e = 0; e < 16; e++)
            for (int64_t c = 0; c < q->cin; c++)
                memset(V + e * es + vpos(q, c, tn), 0, (size_t)(q->bnr - tn % q->bnr) * sizeof *V);
    const int64_t ps = in ? q->wi : pad_width(q);
    int64_t ti0, ti1;
    tile_rows(q, t0, t1, &ti0, &ti1);
    for (int64_t c = 0; c < q->cin; c++) {
        const float *P = x + c * HW; /* padded row pr, column pc at P[(pr - r0) ps + pc] */
        const int64_t r0 = in ? 0 : 2 * ti0;
        if (c + 1 < q->cin) { /* the next plane's rows for these tiles, a cache line at a time */
            int64_t h0 = 2 * ti0 - q->ph < 0 ? 0 : 2 * ti0 - q->ph, h1 = 2 * ti1 + 2 - q->ph;
            if (h1 > q->hi) h1 = q->hi;
            const char *a = (const char *)(P + HW + h0 * q->wi), *e = (const char *)(P + HW + h1 * q->wi);
            for (; a < e; a += 64) __builtin_prefetch(a);
        }
        if (!in) { /* padded rows [2 ti0, 2 ti1 + 2): input row pr - ph, column pc - pw */
            const int64_t a = q->pw, e = q->pw + q->wi < ps ? q->pw + q->wi : ps;
            for (int64_t pr = 2 * ti0; pr < 2 * ti1 + 2; pr++) { /* vector copies: rows are short */
                float *d = pad + (pr - 2 * ti0) * ps;
                int64_t ih = pr - q->ph, k = 0;
                for (; k < ps; k += 8) st8(d + k, (v8){ 0 });
                if (ih < 0 || ih >= q->hi) continue;
                const float *src = P + ih * q->wi; /* d[k] is column k - pw, for a <= k < e */
                for (k = a; k + 8 <= e; k += 8) st8(d + k, ld8(src + (k - a)));
                for (; k < e; k++) d[k] = src[k - a];
            }
            P = pad;
        }
        for (int64_t ti = ti0; ti < ti1; ti++) {
            int64_t j0, j1;
            tile_cols(q, ti, t0, t1, &j0, &j1);
            const float *w = P + (2 * ti - r0) * ps;
            const int64_t u0 = ti * q->tw - t0; /* the unit's tile of this row's tile 0 */
            int64_t j = j0;
            for (; j + 8 <= j1; j += 8) in_block(q, 8, w + 2 * j, ps, V, es, c, u0 + j);
            if (j + 4 <= j1) in_block(q, 4, w + 2 * j, ps, V, es, c, u0 + j), j += 4;
            for (; j < j1; j++) in1(w + 2 * j, ps, V + vpos(q, c, u0 + j), es);
        }
    }
}

/* y (cout, ho, wo) at tiles [t0, t1) = A^T m A (+ bias) from M (16, cout, tc); false when a value is an
 * infinity or NaN (then the caller computes the conv by im2col, whose infinities are torch's: the transforms
 * would turn an infinite input into NaN where a direct sum gives the infinity) */
static bool out_trans(const wgeom *q, const float *restrict M, const float *bias, float *y, int64_t t0,
                      int64_t t1) {
    const int64_t es = mstride(q), P = q->ho * q->wo;
    v8 nf8 = { 0 };
    v4 nf4 = { 0 };
    float nf = 0;
    int64_t ti0, ti1;
    tile_rows(q, t0, t1, &ti0, &ti1);
    for (int64_t o = 0; o < q->cout; o++) {
        const float b = bias ? bias[o] : 0;
        for (int64_t ti = ti0; ti < ti1; ti++) {
            int64_t j0, j1;
            tile_cols(q, ti, t0, t1, &j0, &j1);
            const float *m = M + o * q->tc + ti * q->tw - t0;
            float *y0 = y + o * P + 2 * ti * q->wo, *y1 = 2 * ti + 1 < q->ho ? y0 + q->wo : NULL;
            int64_t j = j0;
            for (; j + 8 <= j1; j += 8)
                out8(m + j, es, b, y0 + 2 * j, y1 ? y1 + 2 * j : NULL, ncols(q, j, 8), &nf8);
            if (j + 4 <= j1)
                out4(m + j, es, b, y0 + 2 * j, y1 ? y1 + 2 * j : NULL, ncols(q, j, 4), &nf4), j += 4;
            for (; j < j1; j++) out1(m + j, es, b, y0 + 2 * j, y1 ? y1 + 2 * j : NULL, ncols(q, j, 1), &nf);
        }
    }
    for (int l = 0; l < 8; l++) nf += nf8[l] + (l < 4 ? nf4[l] : 0);
    return nf == nf;
}

/* Z (16, cout, tc) = A g A^T of tiles [t0, t1) of one group's output gradient gy (cout, ho, wo), tile t at
 * column t - t0 (outputs past the edge are zero) */
static void z_trans(const wgeom *q, const float *gy, int64_t t0, int64_t t1, float *restrict Z) {
    const int64_t es = mstride(q), P = q->ho * q->wo;
    int64_t ti0, ti1;
    tile_rows(q, t0, t1, &ti0, &ti1);
    for (int64_t o = 0; o < q->cout; o++)
        for (int64_t ti = ti0; ti < ti1; ti++) {
            int64_t j0, j1;
            tile_cols(q, ti, t0, t1, &j0, &j1);
            float *z = Z + o * q->tc + ti * q->tw - t0;
            const float *g0 = gy + o * P + 2 * ti * q->wo, *g1 = 2 * ti + 1 < q->ho ? g0 + q->wo : NULL;
            int64_t j = j0;
            for (; j + 8 <= j1; j += 8) z8(g0 + 2 * j, g1 ? g1 + 2 * j : NULL, ncols(q, j, 8), z + j, es);
            if (j + 4 <= j1) z4(g0 + 2 * j, g1 ? g1 + 2 * j : NULL, ncols(q, j, 4), z + j, es), j += 4;
            for (; j < j1; j++) z1(g0 + 2 * j, g1 ? g1 + 2 * j : NULL, ncols(q, j, 1), z + j, es);
        }
}

/* floats of one thread's scratch: V, M and the row buffers */
static int64_t scratch(const wgeom *q) { return 16 * (vstride(q) + mstride(q)) + pad_floats(q); }

/* out (n, groups cout, ho, wo) from in (n, groups cin, hi, wi) and U (groups, 16, cout, cin; packed by
 * nbt_sgemm_pack_a when q->bnr); units are (sample, tile range) pairs, each computed whole by one thread into
 * its own outputs; false when an output is not finite */
static bool wino_run(const wgeom *q, const float *x, const float *U, const float *bias, float *y, float *buf,
                     int nt) {
    (void)nt; /* no OpenMP: serial */
    int finite = 1;
    const int64_t T = q->th * q->tw, nr = q->nr, units = q->n * nr, per = scratch(q);
    const int64_t pas = q->bnr ? (int64_t)nbt_sgemm_pa_size(q->cout, q->cin) : 0;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1) reduction(&& : finite)
    for (int64_t u = 0; u < units; u++) {
        int64_t s = u / nr, t0 = (u % nr) * q->tu, t1 = u % nr == nr - 1 ? T : t0 + q->tu, tn = t1 - t0;
        float *V = buf + NBT_TID * per, *M = V + 16 * vstride(q), *rb = M + 16 * mstride(q);
        for (int64_t gi = 0; gi < q->groups; gi++) {
            const float *xs = x + (s * q->groups + gi) * q->cin * q->hi * q->wi;
            in_trans(q, xs, t0, t1, V, rb);
            for (int e = 0; e < 16; e++)
                if (q->bnr)
                    nbt_sgemm_packed(q->cout, tn, q->cin, U + (gi * 16 + e) * pas, V + e * vstride(q), 0.0f,
                                     M + e * mstride(q), q->tc);
                else
                    nbt_sgemm(false, false, q->cout, tn, q->cin, 1.0f, U + (gi * 16 + e) * q->cout * q->cin,
                              q->cin, V + e * vstride(q), q->tc, 0.0f, M + e * mstride(q), q->tc);
            finite = out_trans(q, M, bias ? bias + gi * q->cout : NULL,
                               y + (s * q->groups + gi) * q->cout * q->ho * q->wo, t0, t1) &&
                     finite;
        }
    }
    return finite;
}

/* q's units: tu tiles, a multiple of 16, with V and M (or Z) of about NBT_WINO_BYTES but at least NBT_WINO_TILES
 * (each unit packs all of U again); with shrink, halved while the batch gives fewer than 8 units (the shape
 * alone decides the units, so the bits do not depend on the threads) */
static void plan(wgeom *q, bool shrink) {
    const int64_t T = q->th * q->tw;
    int64_t tu = NBT_WINO_BYTES / (16 * 4 * (q->cin + q->cout)) / 16 * 16;
    if (tu < NBT_WINO_TILES) tu = NBT_WINO_TILES;
    while (shrink && q->n * (T / tu) < 8 && tu > 16) tu = (tu / 2 + 15) / 16 * 16;
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
                         bool transposed, bool *redo) {
    *redo = false;
    const int64_t cig = g->ci / g->groups, cog = g->co / g->groups;
    wgeom q = { .n = g->n, .groups = g->groups };
    if (!transposed)
        q.cin = cig, q.hi = g->hi, q.wi = g->wi, q.cout = cog, q.ho = g->ho, q.wo = g->wo, q.ph = g->ph,
        q.pw = g->pw;
    else /* out (ci, hi, wi) position (ih, iw) reads in (co, ho, wo) at ih + ph - r = ih - (2 - ph) + (2 - r) */
        q.cin = cog, q.hi = g->ho, q.wi = g->wo, q.cout = cig, q.ho = g->hi, q.wo = g->wi, q.ph = 2 - g->ph,
        q.pw = 2 - g->pw;
    q.th = (q.ho + 1) / 2, q.tw = (q.wo + 1) / 2;
    plan(&q, true);
    nb_tensor *y = transposed ? nbt_new(NB_F32, 4, (int64_t[]){ g->n, g->ci, g->hi, g->wi })
                              : nbt_new(NB_F32, 4, (int64_t[]){ g->n, g->co, g->ho, g->wo });
    if (!y || y->numel == 0) return y;
    int nt = nbt_conv_threads(q.n * q.nr, (double)q.n * q.th * q.tw * 16 * q.cin * q.cout * q.groups);
    /* V straight in the GEMM's packed layout and U packed once (when the kernel takes them: K fits one block;
     * every unit then has at least 5 tiles, so nbt_sgemm would take its packed path too) */
    q.bnr = q.cin <= nbt_sgemm_kc() && q.th * q.tw > 4 ? nbt_sgemm_nr() : 0;
    const int64_t pas = q.bnr ? (int64_t)nbt_sgemm_pa_size(q.cout, q.cin) : 0;
    nb_tensor *U = nbt_new(NB_F32, 1, (int64_t[]){ q.groups * 16 * q.cout * q.cin });
    nb_tensor *Up = q.bnr ? nbt_new(NB_F32, 1, (int64_t[]){ q.groups * 16 * pas }) : NULL;
    nb_tensor *buf = nbt_new(NB_F32, 1, (int64_t[]){ nt * scratch(&q) });
    if (!U || !buf || (q.bnr && !Up)) {
        nb_free(buf), nb_free(Up), nb_free(U), nb_free(y);
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
    if (q.bnr) {
        float *up = (float *)nbt_ptr(Up);
        for (int64_t k = 0; k < q.groups * 16; k++)
            nbt_sgemm_pack_a(false, q.cout, q.cin, u + k * q.cout * q.cin, q.cin, up + k * pas);
        u = up;
    }
    bool finite = wino_run(&q, (const float *)nbt_ptr(x), u, b ? (const float *)nbt_ptr(b) : NULL,
                           (float *)nbt_ptr(y), (float *)nbt_ptr(buf), nt);
    nb_free(buf);
    nb_free(Up);
    nb_free(U);
    if (!finite) { /* an infinity or NaN: im2col's sums give torch's values */
        nb_free(y);
        *redo = true;
        return NULL;
    }
    return y;
}

/* the sum of p[0..n) in double, over 8 lanes (one chain of adds is bound by its latency), then paired */
static double sum8(const float *p, int64_t n) {
    double s[8] = { 0 };
    int64_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (int l = 0; l < 8; l++) s[l] += p[k + l];
    for (; k < n; k++) s[k % 8] += p[k];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/* dw (3x3) = G^T du G of one du (4x4) read at u[e * ustride], in double, rounded once */
static void wback(const float *u, int64_t ustride, float *dw) {
    double t[3][4];
    for (int c = 0; c < 4; c++) {
        double a = u[c * ustride], b = u[(4 + c) * ustride], d = u[(8 + c) * ustride],
               e = u[(12 + c) * ustride];
        t[0][c] = a + 0.5 * (b + d), t[1][c] = 0.5 * (b - d), t[2][c] = 0.5 * (b + d) + e;
    }
    for (int r = 0; r < 3; r++) {
        double a = t[r][0], b = t[r][1], d = t[r][2], e = t[r][3];
        dw[r * 3 + 0] = (float)(a + 0.5 * (b + d)), dw[r * 3 + 1] = (float)(0.5 * (b - d));
        dw[r * 3 + 2] = (float)(0.5 * (b + d) + e);
    }
}

bool nbt_wino_weight(const nb_tensor *x, const nb_tensor *gy, const nbt_conv_geom *g, nb_tensor *dw,
                     nb_tensor *db, bool *redo) {
    *redo = false;
    wgeom q = { .n = g->n,
                .groups = g->groups,
                .cin = g->ci / g->groups,
                .hi = g->hi,
                .wi = g->wi,
                .cout = g->co / g->groups,
                .ho = g->ho,
                .wo = g->wo,
                .ph = g->ph,
                .pw = g->pw };
    q.th = (q.ho + 1) / 2, q.tw = (q.wo + 1) / 2;
    plan(&q, false);
    const int64_t nch = q.n < NBT_WCHUNKS ? q.n : NBT_WCHUNKS, usz = q.groups * 16 * q.cout * q.cin;
    int nt = nbt_conv_threads(nch, (double)q.n * q.th * q.tw * 16 * q.cin * q.cout * q.groups);
    nb_tensor *part = nbt_new(NB_F32, 1, (int64_t[]){ nch * usz });
    nb_tensor *buf = nbt_new(NB_F32, 1, (int64_t[]){ nt * scratch(&q) });
    nb_tensor *dbp = db ? nbt_new(NB_F64, 1, (int64_t[]){ nch * g->co }) : NULL; /* each chunk's, in double */
    if (!part || !buf || (db && !dbp)) {
        nb_free(dbp), nb_free(buf), nb_free(part);
        return false;
    }
    const float *xp = (const float *)nbt_ptr(x), *gp = (const float *)nbt_ptr(gy);
    float *pp = (float *)nbt_ptr(part), *bp = (float *)nbt_ptr(buf);
    double *sp = dbp ? (double *)nbt_ptr(dbp) : NULL;
    const int64_t T = q.th * q.tw, per = scratch(&q), P = q.ho * q.wo;
    /* chunk j: samples [j n / nch, (j + 1) n / nch) summed into du part j (and db part j), in order */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t j = 0; j < nch; j++) {
        float *du = pp + j * usz, *V = bp + NBT_TID * per, *Z = V + 16 * vstride(&q),
              *pad = Z + 16 * mstride(&q);
        double *sj = sp ? sp + j * g->co : NULL;
        for (int64_t o = 0; sj && o < g->co; o++) sj[o] = 0;
        for (int64_t s = j * q.n / nch; s < (j + 1) * q.n / nch; s++)
            for (int64_t gi = 0; gi < q.groups; gi++) {
                const float *xs = xp + (s * q.groups + gi) * q.cin * q.hi * q.wi;
                const float *gs = gp + (s * q.groups + gi) * q.cout * P;
                for (int64_t o = 0; sj && o < q.cout; o++) sj[gi * q.cout + o] += sum8(gs + o * P, P);
                for (int64_t u = 0; u < q.nr; u++) {
                    int64_t t0 = u * q.tu, t1 = u == q.nr - 1 ? T : t0 + q.tu;
                    in_trans(&q, xs, t0, t1, V, pad);
                    z_trans(&q, gs, t0, t1, Z);
                    float beta = s == j * q.n / nch && u == 0 ? 0.0f : 1.0f;
                    for (int e = 0; e < 16; e++)
                        nbt_sgemm(false, true, q.cout, q.cin, t1 - t0, 1.0f, Z + e * mstride(&q), q.tc,
                                  V + e * vstride(&q), q.tc, beta, du + (gi * 16 + e) * q.cout * q.cin,
                                  q.cin);
                }
            }
    }
    for (int64_t j = 1; j < nch; j++) /* the chunks' du in order */
        for (int64_t i = 0; i < usz; i++) pp[i] += pp[j * usz + i];
    float *wp = (float *)nbt_ptr(dw);
    for (int64_t gi = 0; gi < q.groups; gi++)
        for (int64_t o = 0; o < q.cout; o++)
            for (int64_t c = 0; c < q.cin; c++)
                wback(pp + gi * 16 * q.cout * q.cin + o * q.cin + c, q.cout * q.cin,
                      wp + ((gi * q.cout + o) * q.cin + c) * 9);
    if (db) {
        float *b = (float *)nbt_ptr(db);
        for (int64_t o = 0; o < g->co; o++) {
            double a = sp[o];
            for (int64_t j = 1; j < nch; j++) a += sp[j * g->co + o];
            b[o] = (float)a;
        }
    }
    nb_free(dbp), nb_free(buf), nb_free(part);
    float nf = 0; /* an infinity or NaN in dw: im2col's sums give torch's values (see out_trans) */
    for (int64_t i = 0; i < dw->numel; i++) nf += wp[i] * 0;
    *redo = nf != nf;
    return !*redo;
}
