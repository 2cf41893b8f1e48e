/* kernels_attention.c — fused scaled-dot-product attention for f32 and f64 (the part under NBK_ATT_T is
 * included once per dtype). Forward: OpenMP over (batch, query block), each block sweeps the key blocks
 * with a running max and sum; backward: OpenMP over batches, each batch sweeps key blocks then query
 * blocks in a fixed order, so every sum has one order whatever the thread count. Block products use the
 * packed GEMM (gemm.h), which runs single-threaded inside these regions. */
#ifndef NBK_ATT_T

#include "gemm.h"
#include "nb_kernels_attention.h"

#include <math.h>
#include <stdlib.h>

#define NBK_ATT_BR 64 /* query rows per block */
#define NBK_ATT_BC 64 /* key columns per block */

/* e^x for x <= ~88 in f32 (Cephes' expf polynomial, ~1 ulp), branch-free so that loops over it
 * vectorize: 0 below -87.3 (and for -inf), NaN stays NaN. The selects are integer masks and the integer
 * part comes from the float rounding trick, so no float-to-int conversion of NaN or -inf happens. */
static inline float nbk_att_expf(float x) {
    uint32_t xb, tb, eb, yb;
    memcpy(&xb, &x, sizeof xb);
    uint32_t ax = xb & 0x7fffffffu;
    /* all ones when x < -87.3 (including -inf) and x is not NaN: the result is then 0 */
    uint32_t small = 0u - ((xb >> 31) & (uint32_t)(ax > 0x42AE999Au) & (uint32_t)(ax <= 0x7f800000u));
    uint32_t xcb = (xb & ~small) | (0xC2AE999Au & small); /* clamped to -87.3 */
    float xc, e, y;
    memcpy(&xc, &xcb, sizeof xc);
    float t = xc * 1.44269504088896341f + 12582912.0f; /* 1.5 * 2^23: round to nearest integer n */
    float n = t - 12582912.0f;
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    memcpy(&tb, &t, sizeof tb);
    eb = (tb - 0x4B400000u + 127u) << 23; /* 2^n for n in [-126, 127] */
    memcpy(&e, &eb, sizeof e);
    y = p * e;
    memcpy(&yb, &y, sizeof yb);
    yb &= ~small;
    memcpy(&y, &yb, sizeof y);
    return y;
}
static inline double nbk_att_exp(double x) { return exp(x); }

#define NBK_ATT_T float
#define NBK_ATT_SFX f32
#define NBK_ATT_GEMM nbk_sgemm
#define NBK_ATT_EXP nbk_att_expf
#include "kernels_attention.c"
#undef NBK_ATT_T
#undef NBK_ATT_SFX
#undef NBK_ATT_GEMM
#undef NBK_ATT_EXP
#define NBK_ATT_T double
#define NBK_ATT_SFX f64
#define NBK_ATT_GEMM nbk_dgemm
#define NBK_ATT_EXP nbk_att_exp
#include "kernels_attention.c"

nb_status nbk_attn_forward(const nbk_attn_shape *sh, const nb_tensor *q, const nb_tensor *k,
                           const nb_tensor *v, const nb_tensor *bias, nb_tensor *o, nb_tensor *lse) {
    if ((double)sh->nb * (double)sh->L * (double)sh->S >= NBI_PAR_MIN) nbi_threads_check();
    return q->dtype == NB_F32 ? attn_fw_f32(sh, q, k, v, bias, o, lse)
                              : attn_fw_f64(sh, q, k, v, bias, o, lse);
}

nb_status nbk_attn_backward(const nbk_attn_shape *sh, const nb_tensor *q, const nb_tensor *k,
                            const nb_tensor *v, const nb_tensor *bias, const nb_tensor *o,
                            const nb_tensor *lse, const nb_tensor *dout, nb_tensor *dq, nb_tensor *dk,
                            nb_tensor *dv) {
    if ((double)sh->nb * (double)sh->L * (double)sh->S >= NBI_PAR_MIN) nbi_threads_check();
    return q->dtype == NB_F32 ? attn_bw_f32(sh, q, k, v, bias, o, lse, dout, dq, dk, dv)
                              : attn_bw_f64(sh, q, k, v, bias, o, lse, dout, dq, dk, dv);
}

#else /* ---- one dtype ---- */

#define NBK_ATT_CAT2(a, b) a##_##b
#define NBK_ATT_CAT(a, b) NBK_ATT_CAT2(a, b)
#define NBK_ATT(name) NBK_ATT_CAT(name, NBK_ATT_SFX)

/* Scores of query rows [i0, i0 + br) against key columns [j0, j0 + bc): s = scale q k^T + bias, with
 * -inf where causal masks (j > i); s is br x bc, row stride bc. */
static void NBK_ATT(scores)(const nbk_attn_shape *sh, int64_t b, int64_t i0, int64_t br, int64_t j0,
                            int64_t bc, const NBK_ATT_T *q, const NBK_ATT_T *k, const NBK_ATT_T *bias,
                            NBK_ATT_T *s) {
    NBK_ATT_GEMM(false, true, br, bc, sh->E, (NBK_ATT_T)sh->scale, q + i0 * sh->E, sh->E, k + j0 * sh->E,
                 sh->E, 0, s, bc);
    if (bias) {
        const NBK_ATT_T *bb = bias + sh->bias_off[b];
        for (int64_t r = 0; r < br; r++) {
            const NBK_ATT_T *br_ = bb + (i0 + r) * sh->bias_rs + j0 * sh->bias_cs;
            NBK_ATT_T *row = s + r * bc;
            if (sh->bias_cs == 1)
                for (int64_t c = 0; c < bc; c++) row[c] += br_[c];
            else
                for (int64_t c = 0; c < bc; c++) row[c] += br_[c * sh->bias_cs];
        }
    }
    if (sh->causal)
        for (int64_t r = 0; r < br; r++)
            for (int64_t c = i0 + r + 1 - j0 < 0 ? 0 : i0 + r + 1 - j0; c < bc; c++)
                s[r * bc + c] = -INFINITY;
}

/* max of row[0, n) and m, over 8 lanes (vectorizes; max is exact in any order). A NaN is skipped here
 * but reaches the output through e^(NaN - max) */
static inline NBK_ATT_T NBK_ATT(row_max)(const NBK_ATT_T *row, int64_t n, NBK_ATT_T m) {
    NBK_ATT_T a[8] = { m, m, m, m, m, m, m, m };
    int64_t c = 0;
    for (; c + 8 <= n; c += 8)
        for (int u = 0; u < 8; u++) a[u] = row[c + u] > a[u] ? row[c + u] : a[u];
    for (; c < n; c++) a[0] = row[c] > a[0] ? row[c] : a[0];
    for (int u = 1; u < 8; u++) a[0] = a[u] > a[0] ? a[u] : a[0];
    return a[0];
}

/* sum of row[0, n) over 8 lanes in a fixed order (vectorizes) */
static inline NBK_ATT_T NBK_ATT(row_sum)(const NBK_ATT_T *row, int64_t n) {
    NBK_ATT_T a[8] = { 0 };
    int64_t c = 0;
    for (; c + 8 <= n; c += 8)
        for (int u = 0; u < 8; u++) a[u] += row[c + u];
    for (; c < n; c++) a[c % 8] += row[c];
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

/* the key columns a causal query block [i0, i0 + br) sees: [0, min(S, i0 + br)) */
static inline int64_t NBK_ATT(key_end)(const nbk_attn_shape *sh, int64_t i0, int64_t br) {
    return sh->causal && i0 + br < sh->S ? i0 + br : sh->S;
}

static nb_status NBK_ATT(attn_fw)(const nbk_attn_shape *sh, const nb_tensor *qt, const nb_tensor *kt,
                                  const nb_tensor *vt, const nb_tensor *bt, nb_tensor *ot, nb_tensor *lt) {
    const int64_t L = sh->L, E = sh->E, Ev = sh->Ev, S = sh->S;
    const NBK_ATT_T *Q = (const NBK_ATT_T *)nbi_ptr(qt), *K = (const NBK_ATT_T *)nbi_ptr(kt),
                    *V = (const NBK_ATT_T *)nbi_ptr(vt);
    const NBK_ATT_T *Bi = bt ? (const NBK_ATT_T *)nbi_ptr(bt) : NULL;
    NBK_ATT_T *O = (NBK_ATT_T *)nbi_ptr(ot), *LSE = (NBK_ATT_T *)nbi_ptr(lt);
    const int64_t nqb = (L + NBK_ATT_BR - 1) / NBK_ATT_BR, ntask = sh->nb * nqb;
    bool failed = false;
    double work = (double)sh->nb * (double)L * (double)S * (double)(E + Ev);
    (void)work; /* read only by the OpenMP if clause */
#pragma omp parallel if (work >= 2.0 * 64 * 64 * 64 && ntask > 1) reduction(|| : failed)
    {
        NBK_ATT_T *s = malloc(sizeof(NBK_ATT_T) *
                              (NBK_ATT_BR * NBK_ATT_BC + NBK_ATT_BR * Ev + 2 * NBK_ATT_BR));
        if (!s) failed = true;
        NBK_ATT_T *acc = s ? s + NBK_ATT_BR * NBK_ATT_BC : NULL, *m = acc ? acc + NBK_ATT_BR * Ev : NULL,
                  *l = m ? m + NBK_ATT_BR : NULL;
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntask; t++) {
            if (!s) continue;
            int64_t b = t / nqb, i0 = (t % nqb) * NBK_ATT_BR, br = L - i0 < NBK_ATT_BR ? L - i0 : NBK_ATT_BR;
            const NBK_ATT_T *q = Q + b * L * E, *k = K + b * S * E, *v = V + b * S * Ev;
            for (int64_t r = 0; r < br; r++) m[r] = -INFINITY, l[r] = 0;
            memset(acc, 0, sizeof(NBK_ATT_T) * (size_t)(br * Ev));
            int64_t jend = NBK_ATT(key_end)(sh, i0, br);
            for (int64_t j0 = 0; j0 < jend; j0 += NBK_ATT_BC) {
                int64_t bc = jend - j0 < NBK_ATT_BC ? jend - j0 : NBK_ATT_BC;
                NBK_ATT(scores)(sh, b, i0, br, j0, bc, q, k, Bi, s);
                for (int64_t r = 0; r < br; r++) {
                    NBK_ATT_T *row = s + r * bc, mx = NBK_ATT(row_max)(row, bc, m[r]);
                    if (mx == -INFINITY) { /* every key so far masked: nothing to add */
                        for (int64_t c = 0; c < bc; c++) row[c] = 0;
                        continue;
                    }
                    NBK_ATT_T alpha = NBK_ATT_EXP(m[r] - mx);
                    for (int64_t c = 0; c < bc; c++) row[c] = NBK_ATT_EXP(row[c] - mx);
                    NBK_ATT_T sum = NBK_ATT(row_sum)(row, bc);
                    l[r] = l[r] * alpha + sum;
                    m[r] = mx;
                    if (alpha != 1)
                        for (int64_t e = 0; e < Ev; e++) acc[r * Ev + e] *= alpha;
                }
                NBK_ATT_GEMM(false, false, br, Ev, bc, 1, s, bc, v + j0 * Ev, Ev, 1, acc, Ev);
            }
            NBK_ATT_T *o = O + (b * L + i0) * Ev, *lse = LSE + b * L + i0;
            for (int64_t r = 0; r < br; r++) {
                NBK_ATT_T inv = 1 / l[r]; /* l = 0 (all masked): 0 * inf = NaN, as torch's math gives */
                for (int64_t e = 0; e < Ev; e++) o[r * Ev + e] = acc[r * Ev + e] * inv;
                lse[r] = l[r] > 0 ? m[r] + (NBK_ATT_T)log(l[r]) : (NBK_ATT_T)NAN;
            }
        }
        free(s);
    }
    if (failed) {
        nbi_error("nb_scaled_dot_product_attention: out of memory for the attention workspace");
        return NB_ERROR;
    }
    return NB_OK;
}

static nb_status NBK_ATT(attn_bw)(const nbk_attn_shape *sh, const nb_tensor *qt, const nb_tensor *kt,
                                  const nb_tensor *vt, const nb_tensor *bt, const nb_tensor *ot,
                                  const nb_tensor *lt, const nb_tensor *gt, nb_tensor *dqt, nb_tensor *dkt,
                                  nb_tensor *dvt) {
    const int64_t L = sh->L, E = sh->E, Ev = sh->Ev, S = sh->S;
    const NBK_ATT_T *Q = (const NBK_ATT_T *)nbi_ptr(qt), *K = (const NBK_ATT_T *)nbi_ptr(kt),
                    *V = (const NBK_ATT_T *)nbi_ptr(vt);
    const NBK_ATT_T *Bi = bt ? (const NBK_ATT_T *)nbi_ptr(bt) : NULL, *O = (const NBK_ATT_T *)nbi_ptr(ot);
    const NBK_ATT_T *LSE = (const NBK_ATT_T *)nbi_ptr(lt), *G = (const NBK_ATT_T *)nbi_ptr(gt);
    NBK_ATT_T *DQ = (NBK_ATT_T *)nbi_ptr(dqt), *DK = (NBK_ATT_T *)nbi_ptr(dkt),
              *DV = (NBK_ATT_T *)nbi_ptr(dvt);
    bool failed = false;
    double work = (double)sh->nb * (double)L * (double)S * (double)(E + Ev);
    (void)work; /* read only by the OpenMP if clause */
#pragma omp parallel if (work >= 2.0 * 64 * 64 * 64 && sh->nb > 1) reduction(|| : failed)
    {
        NBK_ATT_T *p = malloc(sizeof(NBK_ATT_T) * (2 * NBK_ATT_BR * NBK_ATT_BC + L));
        if (!p) failed = true;
        NBK_ATT_T *dp = p ? p + NBK_ATT_BR * NBK_ATT_BC : NULL, *D = dp ? dp + NBK_ATT_BR * NBK_ATT_BC : NULL;
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < sh->nb; b++) {
            if (!p) continue;
            const NBK_ATT_T *q = Q + b * L * E, *k = K + b * S * E, *v = V + b * S * Ev;
            const NBK_ATT_T *o = O + b * L * Ev, *g = G + b * L * Ev, *lse = LSE + b * L;
            NBK_ATT_T *dq = DQ + b * L * E, *dk = DK + b * S * E, *dv = DV + b * S * Ev;
            memset(dq, 0, sizeof(NBK_ATT_T) * (size_t)(L * E));
            memset(dk, 0, sizeof(NBK_ATT_T) * (size_t)(S * E));
            memset(dv, 0, sizeof(NBK_ATT_T) * (size_t)(S * Ev));
            for (int64_t i = 0; i < L; i++) {
                NBK_ATT_T d = 0;
                for (int64_t e = 0; e < Ev; e++) d += g[i * Ev + e] * o[i * Ev + e];
                D[i] = d;
            }
            for (int64_t j0 = 0; j0 < S; j0 += NBK_ATT_BC) {
                int64_t bc = S - j0 < NBK_ATT_BC ? S - j0 : NBK_ATT_BC;
                /* causal: query rows i >= j0 see this key block */
                for (int64_t i0 = sh->causal ? j0 / NBK_ATT_BR * NBK_ATT_BR : 0; i0 < L; i0 += NBK_ATT_BR) {
                    int64_t br = L - i0 < NBK_ATT_BR ? L - i0 : NBK_ATT_BR;
                    NBK_ATT(scores)(sh, b, i0, br, j0, bc, q, k, Bi, p);
                    for (int64_t r = 0; r < br; r++) {
                        NBK_ATT_T *row = p + r * bc, ls = lse[i0 + r];
                        for (int64_t c = 0; c < bc; c++) row[c] = NBK_ATT_EXP(row[c] - ls);
                    }
                    /* dv += P^T do; dP = do v^T; dS = P (dP - D); dq += scale dS k; dk += scale dS^T q */
                    NBK_ATT_GEMM(true, false, bc, Ev, br, 1, p, bc, g + i0 * Ev, Ev, 1, dv + j0 * Ev, Ev);
                    NBK_ATT_GEMM(false, true, br, bc, Ev, 1, g + i0 * Ev, Ev, v + j0 * Ev, Ev, 0, dp, bc);
                    for (int64_t r = 0; r < br; r++) {
                        NBK_ATT_T *pr = p + r * bc, *dr = dp + r * bc, di = D[i0 + r];
                        for (int64_t c = 0; c < bc; c++) pr[c] = pr[c] * (dr[c] - di);
                    }
                    NBK_ATT_GEMM(false, false, br, E, bc, (NBK_ATT_T)sh->scale, p, bc, k + j0 * E, E, 1,
                                 dq + i0 * E, E);
                    NBK_ATT_GEMM(true, false, bc, E, br, (NBK_ATT_T)sh->scale, p, bc, q + i0 * E, E, 1,
                                 dk + j0 * E, E);
                }
            }
        }
        free(p);
    }
    if (failed) {
        nbi_error("nb_scaled_dot_product_attention: out of memory for the attention workspace");
        return NB_ERROR;
    }
    return NB_OK;
}

#undef NBK_ATT
#undef NBK_ATT_CAT
#undef NBK_ATT_CAT2
#endif
