/* attention_template.h — the fused attention kernels of kernels_attention.c for one float type, included
 * once per type with T (float or double), TI (the integer type of its width), SUF (f32 or f64), GEMM
 * (nbt_sgemm or nbt_dgemm) and EXP (the exponential of that type) defined. */

#define AF_(name) NBT_CAT(name##_, SUF)

/* Scores of query rows [i0, i0 + br) against key columns [j0, j0 + bc): s = scale q k^T + bias, with
 * -inf where causal masks (j > i); s is br x bc, row stride bc. */
static void AF_(scores)(const nbt_attn_shape *sh, int64_t b, int64_t i0, int64_t br, int64_t j0, int64_t bc,
                        const T *q, const T *k, const T *bias, T *s) {
    GEMM(false, true, br, bc, sh->E, (T)sh->scale, q + i0 * sh->E, sh->E, k + j0 * sh->E, sh->E, 0, s, bc);
    if (bias) {
        const T *bb = bias + sh->bias_off[b];
        for (int64_t r = 0; r < br; r++) {
            const T *br_ = bb + (i0 + r) * sh->bias_rs + j0 * sh->bias_cs;
            T *row = s + r * bc;
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

/* 8 lanes of T, and of the integer type of T's width (TI) for the comparison masks */
typedef T AF_(v8) __attribute__((vector_size(8 * sizeof(T))));
typedef TI AF_(i8) __attribute__((vector_size(8 * sizeof(T))));

/* max of row[0, n) and m, over 8 lanes (a vector select: the compiler left the lane-array form scalar; max is
 * exact in any order). A NaN is skipped here but reaches the output through e^(NaN - max) */
static inline T AF_(row_max)(const T *row, int64_t n, T m) {
    AF_(v8) a = { m, m, m, m, m, m, m, m };
    int64_t c = 0;
    for (; c + 8 <= n; c += 8) {
        AF_(v8) x;
        memcpy(&x, row + c, sizeof x);
        AF_(i8) gt = x > a; /* all ones where x is larger; never for a NaN */
        a = (AF_(v8))(((AF_(i8))x & gt) | ((AF_(i8))a & ~gt));
    }
    for (; c < n; c++) a[0] = row[c] > a[0] ? row[c] : a[0];
    T r = a[0];
    for (int u = 1; u < 8; u++) r = a[u] > r ? a[u] : r;
    return r;
}

/* sum of row[0, n) over 8 lanes in a fixed order (vectorizes) */
static inline T AF_(row_sum)(const T *row, int64_t n) {
    T a[8] = { 0 };
    int64_t c = 0;
    for (; c + 8 <= n; c += 8)
        for (int u = 0; u < 8; u++) a[u] += row[c + u];
    for (; c < n; c++) a[c % 8] += row[c];
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

/* row[c] *= keep[c] ? scale : 0 for c < n (dropout's factor on one block row; vectorizes) */
static inline void AF_(drop_row)(T *row, const uint8_t *keep, int64_t n, T scale) {
    for (int64_t c = 0; c < n; c++) row[c] = keep[c] ? row[c] * scale : 0;
}

/* query rows per block: causal blocks are shorter, so that less of the diagonal blocks is computed and masked */
static inline int64_t AF_(block_rows)(const nbt_attn_shape *sh) {
    return sh->causal ? NBT_ATT_BR_CAUSAL : NBT_ATT_BR;
}

/* the key columns a causal query block [i0, i0 + br) sees: [0, min(S, i0 + br)) */
static inline int64_t AF_(key_end)(const nbt_attn_shape *sh, int64_t i0, int64_t br) {
    return sh->causal && i0 + br < sh->S ? i0 + br : sh->S;
}

static nb_status AF_(attn_fw)(const nbt_attn_shape *sh, const nb_tensor *qt, const nb_tensor *kt,
                              const nb_tensor *vt, const nb_tensor *bt, nb_tensor *ot, nb_tensor *lt) {
    const int64_t L = sh->L, E = sh->E, Ev = sh->Ev, S = sh->S;
    const T *Q = (const T *)nbt_ptr(qt), *K = (const T *)nbt_ptr(kt), *V = (const T *)nbt_ptr(vt);
    const T *Bi = bt ? (const T *)nbt_ptr(bt) : NULL;
    T *O = (T *)nbt_ptr(ot), *LSE = (T *)nbt_ptr(lt);
    const int64_t BR = AF_(block_rows)(sh), nqb = (L + BR - 1) / BR, ntask = sh->nb * nqb;
    bool failed = false;
    double work = (double)sh->nb * (double)L * (double)S * (double)(E + Ev);
    (void)work; /* read only by the OpenMP if clause */
#pragma omp parallel if (work >= 2.0 * 64 * 64 * 64 && ntask > 1) reduction(|| : failed)
    {
        T *s = malloc(sizeof(T) * (NBT_ATT_BR * NBT_ATT_BC + NBT_ATT_BR * Ev + 2 * NBT_ATT_BR));
        if (!s) failed = true;
        T *acc = s ? s + NBT_ATT_BR * NBT_ATT_BC : NULL, *m = acc ? acc + NBT_ATT_BR * Ev : NULL,
          *l = m ? m + NBT_ATT_BR : NULL;
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntask; t++) {
            if (!s) continue;
            int64_t b = t / nqb, i0 = (t % nqb) * BR, br = L - i0 < BR ? L - i0 : BR;
            const T *q = Q + b * L * E, *k = K + b * S * E, *v = V + b * S * Ev;
            for (int64_t r = 0; r < br; r++) m[r] = -INFINITY, l[r] = 0;
            memset(acc, 0, sizeof(T) * (size_t)(br * Ev));
            int64_t jend = AF_(key_end)(sh, i0, br);
            for (int64_t j0 = 0; j0 < jend; j0 += NBT_ATT_BC) {
                int64_t bc = jend - j0 < NBT_ATT_BC ? jend - j0 : NBT_ATT_BC;
                AF_(scores)(sh, b, i0, br, j0, bc, q, k, Bi, s);
                for (int64_t r = 0; r < br; r++) {
                    T *row = s + r * bc, mx = AF_(row_max)(row, bc, m[r]);
                    if (mx == -INFINITY) { /* every key so far masked: nothing to add */
                        for (int64_t c = 0; c < bc; c++) row[c] = 0;
                        continue;
                    }
                    T alpha = EXP(m[r] - mx);
                    for (int64_t c = 0; c < bc; c++) row[c] = EXP(row[c] - mx);
                    T sum = AF_(row_sum)(row, bc);
                    l[r] = l[r] * alpha + sum;
                    m[r] = mx;
                    if (sh->keep) /* dropout after the normaliser: l sums the undropped probabilities */
                        AF_(drop_row)(row, sh->keep + (b * L + i0 + r) * S + j0, bc, (T)sh->drop_scale);
                    if (alpha != 1)
                        for (int64_t e = 0; e < Ev; e++) acc[r * Ev + e] *= alpha;
                }
                GEMM(false, false, br, Ev, bc, 1, s, bc, v + j0 * Ev, Ev, 1, acc, Ev);
            }
            T *o = O + (b * L + i0) * Ev, *lse = LSE + b * L + i0;
            for (int64_t r = 0; r < br; r++) {
                T inv = 1 / l[r]; /* l = 0 (all masked): 0 * inf = NaN, as torch's math gives */
                for (int64_t e = 0; e < Ev; e++) o[r * Ev + e] = acc[r * Ev + e] * inv;
                lse[r] = l[r] > 0 ? m[r] + (T)log(l[r]) : (T)NAN;
            }
        }
        free(s);
    }
    if (failed) {
        nbt_error("%s: out of memory allocating the attention workspace", nbt_fn());
        return NB_ERROR;
    }
    return NB_OK;
}

static nb_status AF_(attn_bw)(const nbt_attn_shape *sh, const nb_tensor *qt, const nb_tensor *kt,
                              const nb_tensor *vt, const nb_tensor *bt, const nb_tensor *ot,
                              const nb_tensor *lt, const nb_tensor *gt, nb_tensor *dqt, nb_tensor *dkt,
                              nb_tensor *dvt) {
    const int64_t L = sh->L, E = sh->E, Ev = sh->Ev, S = sh->S;
    const T *Q = (const T *)nbt_ptr(qt), *K = (const T *)nbt_ptr(kt), *V = (const T *)nbt_ptr(vt);
    const T *Bi = bt ? (const T *)nbt_ptr(bt) : NULL, *O = (const T *)nbt_ptr(ot);
    const T *LSE = (const T *)nbt_ptr(lt), *G = (const T *)nbt_ptr(gt);
    const int64_t BR = AF_(block_rows)(sh);
    T *DQ = (T *)nbt_ptr(dqt), *DK = (T *)nbt_ptr(dkt), *DV = (T *)nbt_ptr(dvt);
    bool failed = false;
    double work = (double)sh->nb * (double)L * (double)S * (double)(E + Ev);
    (void)work; /* read only by the OpenMP if clause */
#pragma omp parallel if (work >= 2.0 * 64 * 64 * 64 && sh->nb > 1) reduction(|| : failed)
    {
        T *p = malloc(sizeof(T) * (3 * NBT_ATT_BR_BW * NBT_ATT_BC + L));
        if (!p) failed = true;
        T *dp = p ? p + NBT_ATT_BR_BW * NBT_ATT_BC : NULL, *pz = dp ? dp + NBT_ATT_BR_BW * NBT_ATT_BC : NULL,
          *D = pz ? pz + NBT_ATT_BR_BW * NBT_ATT_BC : NULL; /* pz: P Z, the dropped probabilities */
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < sh->nb; b++) {
            if (!p) continue;
            const T *q = Q + b * L * E, *k = K + b * S * E, *v = V + b * S * Ev;
            const T *o = O + b * L * Ev, *g = G + b * L * Ev, *lse = LSE + b * L;
            T *dq = DQ + b * L * E, *dk = DK + b * S * E, *dv = DV + b * S * Ev;
            memset(dq, 0, sizeof(T) * (size_t)(L * E));
            memset(dk, 0, sizeof(T) * (size_t)(S * E));
            memset(dv, 0, sizeof(T) * (size_t)(S * Ev));
            for (int64_t i = 0; i < L; i++) {
                T d = 0;
                for (int64_t e = 0; e < Ev; e++) d += g[i * Ev + e] * o[i * Ev + e];
                D[i] = d;
            }
            for (int64_t j0 = 0; j0 < S; j0 += NBT_ATT_BC) {
                int64_t bcol = S - j0 < NBT_ATT_BC ? S - j0 : NBT_ATT_BC;
                /* causal: query rows i >= j0 see this key block, and rows [i0, i0 + br) only its columns
                 * j < i0 + br (the rest of P is 0 and adds nothing). Rows that see part of the block go in
                 * pieces of BR, the others in pieces of NBT_ATT_BR_BW: fewer, longer products for dv and dk */
                for (int64_t i0 = sh->causal ? j0 / BR * BR : 0, br; i0 < L; i0 += br) {
                    int64_t rmax = sh->causal && i0 < j0 + bcol ? BR : NBT_ATT_BR_BW;
                    br = L - i0 < rmax ? L - i0 : rmax;
                    int64_t bc = sh->causal && i0 + br - j0 < bcol ? i0 + br - j0 : bcol;
                    AF_(scores)(sh, b, i0, br, j0, bc, q, k, Bi, p);
                    for (int64_t r = 0; r < br; r++) {
                        T *row = p + r * bc, ls = lse[i0 + r];
                        for (int64_t c = 0; c < bc; c++) row[c] = EXP(row[c] - ls);
                    }
                    /* dv += (P Z)^T do; dP = Z do v^T; dS = P (dP - D); dq += scale dS k; dk += scale dS^T q */
                    const uint8_t *keep = sh->keep ? sh->keep + (b * L + i0) * S + j0 : NULL;
                    const T ds = (T)sh->drop_scale;
                    if (keep)
                        for (int64_t r = 0; r < br; r++) {
                            memcpy(pz + r * bc, p + r * bc, sizeof(T) * (size_t)bc);
                            AF_(drop_row)(pz + r * bc, keep + r * S, bc, ds);
                        }
                    GEMM(true, false, bc, Ev, br, 1, keep ? pz : p, bc, g + i0 * Ev, Ev, 1, dv + j0 * Ev, Ev);
                    GEMM(false, true, br, bc, Ev, 1, g + i0 * Ev, Ev, v + j0 * Ev, Ev, 0, dp, bc);
                    for (int64_t r = 0; r < br; r++) {
                        T *pr = p + r * bc, *dr = dp + r * bc, di = D[i0 + r];
                        if (keep) AF_(drop_row)(dr, keep + r * S, bc, ds);
                        for (int64_t c = 0; c < bc; c++) pr[c] = pr[c] * (dr[c] - di);
                    }
                    GEMM(false, false, br, E, bc, (T)sh->scale, p, bc, k + j0 * E, E, 1, dq + i0 * E, E);
                    GEMM(true, false, bc, E, br, (T)sh->scale, p, bc, q + i0 * E, E, 1, dk + j0 * E, E);
                }
            }
        }
        free(p);
    }
    if (failed) {
        nbt_error("%s: out of memory allocating the attention workspace", nbt_fn());
        return NB_ERROR;
    }
    return NB_OK;
}

#undef AF_
