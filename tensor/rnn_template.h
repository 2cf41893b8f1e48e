/* rnn_template.h — the one source of the recurrent-layer kernels (kernels_rnn.c), included once per
 * float type with RT (float or double), SUF (f or empty) and GEMM_ (nbt_sgemm or nbt_dgemm) defined.
 * Layouts (all row-major, contiguous): x (RT, B, I); y (RT, B, S) holds h_t in columns [0, P) and, for
 * LSTM, c_t in [P, P + H); ws (RT, B, W) holds what backward reads (see kernels_rnn.c). */
#define F_(name) NBT_CAT(name##_, SUF)
#define M_(fn) NBT_CAT(fn, SUF)

/* the gates' sigmoid and tanh (rnn_gates.h: branch-free in f32, so the loops over them vectorize) */
#define SIGM_ M_(nbt_rnn_sigm)
#define TANH_ M_(nbt_rnn_tanh)

/* time index of processing step k (the reverse direction walks the sequence backwards) */
static inline int64_t F_(tix)(const nbt_rnn_shape *s, int64_t k) { return s->reverse ? s->T - 1 - k : k; }

/* One batch row of the LSTM gates, in place: i, f, g, o = sigm, sigm, tanh, sigm of the pre-activations;
 * c = f c_prev + i g; m = o tanh(c). Separate with restrict parameters so that the loop vectorizes. */
static void F_(lstm_row)(int64_t H, RT *restrict gi, RT *restrict gf, RT *restrict gg, RT *restrict go,
                         const RT *restrict cprev, RT *restrict c_out, RT *restrict m_out) {
    for (int64_t j = 0; j < H; j++) {
        RT i = SIGM_(gi[j]), f = SIGM_(gf[j]), n = TANH_(gg[j]), o = SIGM_(go[j]);
        RT c = f * cprev[j] + i * n;
        gi[j] = i, gf[j] = f, gg[j] = n, go[j] = o;
        c_out[j] = c;
        m_out[j] = o * TANH_(c);
    }
}

/* One batch row of the GRU gates: r, z = sigm(x-part + h-part); n = tanh(x-part + r (W_hn h + b_hn));
 * h' = (h - n) z + n; r, z, n and W_hn h + b_hn saved in place of the x-parts and in ghn. */
static void F_(gru_row)(int64_t H, RT *restrict gr, RT *restrict gz, RT *restrict gn, RT *restrict ghn,
                        const RT *restrict hr, const RT *restrict hz, const RT *restrict hn,
                        const RT *restrict hprev, RT *restrict h_out) {
    for (int64_t j = 0; j < H; j++) {
        RT r = SIGM_(gr[j] + hr[j]), z = SIGM_(gz[j] + hz[j]);
        RT n = TANH_(gn[j] + r * hn[j]);
        h_out[j] = (hprev[j] - n) * z + n;
        gr[j] = r, gz[j] = z, gn[j] = n, ghn[j] = hn[j];
    }
}

/* Forward. tmp: scratch of B * max(3H, H) elements (GRU's hidden projection, LSTM's pre-projection). */
static void F_(rnn_fwd)(const nbt_rnn_shape *s, const RT *x, const RT *h0, const RT *c0, const RT *wih,
                        const RT *whh, const RT *bih, const RT *bhh, const RT *whr, RT *y, RT *ws, RT *tmp) {
    const int64_t NT = s->T, B = s->B, I = s->I, H = s->H, P = s->P;
    const int64_t G = nbt_rnn_gates(s->mode) * H, W = nbt_rnn_ws_width(s), S = nbt_rnn_y_width(s);
    const bool gru = s->mode == NBT_RNN_GRU;
    /* the input projection of the whole sequence in one GEMM: ws[:, :G] = bias + x w_ih^RT */
    for (int64_t r = 0; r < NT * B; r++)
        for (int64_t j = 0; j < G; j++)
            ws[r * W + j] = (bih ? bih[j] : (RT)0) + (bhh && !gru ? bhh[j] : (RT)0);
    GEMM_(false, true, NT * B, G, I, (RT)1, x, I, wih, I, (RT)1, ws, W);
    for (int64_t k = 0; k < NT; k++) {
        const int64_t t = F_(tix)(s, k), tp = F_(tix)(s, k - 1);
        const RT *hp = k ? y + tp * B * S : h0;
        const RT *cp = k ? y + tp * B * S + P : c0;
        const int64_t ldh = k ? S : P, ldc = k ? S : H;
        RT *g = ws + t * B * W, *yt = y + t * B * S;
        if (s->mode == NBT_RNN_GRU) {
            /* r, z, n = gates; n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = (h - n) z + n */
            for (int64_t b = 0; b < B; b++)
                for (int64_t j = 0; j < G; j++) tmp[b * G + j] = bhh ? bhh[j] : (RT)0;
            GEMM_(false, true, B, G, P, (RT)1, hp, ldh, whh, P, (RT)1, tmp, G);
            for (int64_t b = 0; b < B; b++) {
                RT *gb = g + b * W;
                const RT *hb = tmp + b * G;
                F_(gru_row)
                (H, gb, gb + H, gb + 2 * H, gb + 3 * H, hb, hb + H, hb + 2 * H, hp + b * ldh, yt + b * S);
            }
            continue;
        }
        /* RNN and LSTM: the recurrent GEMM adds into the projected input */
        GEMM_(false, true, B, G, P, (RT)1, hp, ldh, whh, P, (RT)1, g, W);
        if (s->mode != NBT_RNN_LSTM) {
            const bool relu = s->mode == NBT_RNN_RELU;
            for (int64_t b = 0; b < B; b++)
                for (int64_t j = 0; j < H; j++) {
                    RT v = g[b * W + j];
                    yt[b * S + j] = relu ? (v > 0 ? v : (RT)0) : TANH_(v);
                }
            continue;
        }
        /* i, f, g, o; c' = f c + i g; h' = o tanh(c') (then h' = h' W_hr^RT with a projection) */
        for (int64_t b = 0; b < B; b++) {
            RT *gb = g + b * W;
            F_(lstm_row)
            (H, gb, gb + H, gb + 2 * H, gb + 3 * H, cp + b * ldc, yt + b * S + P,
             whr ? tmp + b * H : yt + b * S);
        }
        if (whr) GEMM_(false, true, B, P, H, (RT)1, tmp, H, whr, H, (RT)0, yt, S);
    }
}

/* db[j] = sum over rows r of d[r * G + j] (fixed order) */
static void F_(colsum)(int64_t rows, int64_t G, const RT *d, RT *db) {
    for (int64_t j = 0; j < G; j++) db[j] = 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < G; j++) db[j] += d[r * G + j];
}

/* One batch row of the GRU backward: d = dL/dh'; the pre-activation gradients of the x-parts (dgi) and of
 * the h-parts (dgh, where n's is scaled by r) and the part of dL/dh that bypasses the GEMM, d z. */
static void F_(gru_bw_row)(int64_t H, const RT *restrict gb, const RT *restrict d, const RT *restrict hprev,
                           RT *restrict dgi, RT *restrict dgh, RT *restrict dhn) {
    for (int64_t j = 0; j < H; j++) {
        RT r = gb[j], z = gb[H + j], n = gb[2 * H + j], hn = gb[3 * H + j];
        RT dnp = d[j] * ((RT)1 - z) * ((RT)1 - n * n);
        RT drp = dnp * hn * r * ((RT)1 - r), dzp = d[j] * (hprev[j] - n) * z * ((RT)1 - z);
        dgi[j] = drp, dgi[H + j] = dzp, dgi[2 * H + j] = dnp;
        dgh[j] = drp, dgh[H + j] = dzp, dgh[2 * H + j] = dnp * r;
        dhn[j] = d[j] * z;
    }
}

/* One batch row of the LSTM backward: dm = dL/dm, gc = dL/dc from above, dcn = dL/dc from step t+1 (then
 * replaced by dL/dc_prev); c = c_t, cprev = c_{t-1}; the gates' pre-activation gradients into dg. */
static void F_(lstm_bw_row)(int64_t H, const RT *restrict gb, const RT *restrict c, const RT *restrict cprev,
                            const RT *restrict dm, const RT *restrict gc, RT *restrict dcn, RT *restrict dg) {
    for (int64_t j = 0; j < H; j++) {
        RT i = gb[j], f = gb[H + j], gg = gb[2 * H + j], o = gb[3 * H + j];
        RT tc = TANH_(c[j]);
        RT dc = gc[j] + dcn[j] + dm[j] * o * ((RT)1 - tc * tc);
        dg[j] = dc * gg * i * ((RT)1 - i);
        dg[H + j] = dc * cprev[j] * f * ((RT)1 - f);
        dg[2 * H + j] = dc * i * ((RT)1 - gg * gg);
        dg[3 * H + j] = dm[j] * tc * o * ((RT)1 - o);
        dcn[j] = dc * f;
    }
}

/* m = o tanh(c) of one batch row again (the projection's dW_hr reads it) */
static void F_(lstm_m_row)(int64_t H, const RT *restrict o, const RT *restrict c, RT *restrict m) {
    for (int64_t j = 0; j < H; j++) m[j] = o[j] * TANH_(c[j]);
}

/* Backward through time. gy (RT, B, S) is the gradient of y. Outputs may be NULL (not needed). Scratch:
 * dgi, dgh (RT, B, G) (dgh == dgi except for GRU), dh, dhn (B, P), dcn, dm (B, H), and for a projection
 * mm (RT, B, H), dhs (RT, B, P). */
typedef struct {
    RT *dgi, *dgh, *dh, *dhn, *dcn, *dm, *mm, *dhs;
} F_(rnn_scratch);

static void F_(rnn_bwd)(const nbt_rnn_shape *s, const RT *x, const RT *h0, const RT *c0, const RT *wih,
                        const RT *whh, const RT *whr, const RT *y, const RT *ws, const RT *gy, RT *dx,
                        RT *dh0, RT *dc0, RT *dwih, RT *dwhh, RT *dbih, RT *dbhh, RT *dwhr,
                        F_(rnn_scratch) * sc) {
    const int64_t NT = s->T, B = s->B, I = s->I, H = s->H, P = s->P;
    const int64_t G = nbt_rnn_gates(s->mode) * H, W = nbt_rnn_ws_width(s), S = nbt_rnn_y_width(s);
    RT *dhn = sc->dhn, *dcn = sc->dcn, *dh = sc->dh;
    for (int64_t q = 0; q < B * P; q++) dhn[q] = 0;
    for (int64_t q = 0; q < B * H && s->mode == NBT_RNN_LSTM; q++) dcn[q] = 0;
    for (int64_t k = NT - 1; k >= 0; k--) {
        const int64_t t = F_(tix)(s, k), tp = F_(tix)(s, k - 1);
        const RT *hp = k ? y + tp * B * S : h0;
        const RT *cp = k ? y + tp * B * S + P : c0;
        const int64_t ldh = k ? S : P, ldc = k ? S : H;
        const RT *g = ws + t * B * W, *yt = y + t * B * S, *gyt = gy + t * B * S;
        RT *dgi = sc->dgi + t * B * G, *dgh = sc->dgh + t * B * G;
        /* dh = the gradient arriving at h_t from above plus the one from step t+1 */
        for (int64_t b = 0; b < B; b++)
            for (int64_t j = 0; j < P; j++) dh[b * P + j] = gyt[b * S + j] + dhn[b * P + j];
        if (s->mode == NBT_RNN_GRU) {
            for (int64_t b = 0; b < B; b++)
                F_(gru_bw_row)(H, g + b * W, dh + b * P, hp + b * ldh, dgi + b * G, dgh + b * G, dhn + b * P);
            if (k == 0 && !dh0) continue; /* nothing reads dL/dh0 */
            GEMM_(false, false, B, P, G, (RT)1, dgh, G, whh, P, (RT)1, dhn, P);
            continue;
        }
        if (s->mode != NBT_RNN_LSTM) {
            const bool relu = s->mode == NBT_RNN_RELU;
            for (int64_t b = 0; b < B; b++)
                for (int64_t j = 0; j < H; j++) {
                    RT h = yt[b * S + j];
                    dgi[b * G + j] = dh[b * P + j] * (relu ? (h > 0 ? (RT)1 : (RT)0) : (RT)1 - h * h);
                }
        } else {
            const RT *dm = dh;
            if (whr) { /* h = m W_hr^RT: dm = dh W_hr; keep dh and m for dW_hr = sum dh^RT m */
                GEMM_(false, false, B, H, P, (RT)1, dh, P, whr, H, (RT)0, sc->dm, H);
                dm = sc->dm;
                for (int64_t q = 0; q < B * P; q++) sc->dhs[t * B * P + q] = dh[q];
            }
            for (int64_t b = 0; b < B; b++) {
                const RT *gb = g + b * W;
                F_(lstm_bw_row)
                (H, gb, yt + b * S + P, cp + b * ldc, dm + b * H, gyt + b * S + P, dcn + b * H, dgi + b * G);
                if (whr) F_(lstm_m_row)(H, gb + 3 * H, yt + b * S + P, sc->mm + (t * B + b) * H);
            }
        }
        if (k == 0 && !dh0) continue; /* nothing reads dL/dh0 */
        GEMM_(false, false, B, P, G, (RT)1, dgi, G, whh, P, (RT)0, dhn, P);
    }
    if (dh0) memcpy(dh0, dhn, sizeof(RT) * (size_t)(B * P));
    if (dc0) memcpy(dc0, dcn, sizeof(RT) * (size_t)(B * H));
    /* the input side of the whole sequence in one GEMM each */
    if (dx) GEMM_(false, false, NT * B, I, G, (RT)1, sc->dgi, G, wih, I, (RT)0, dx, I);
    if (dwih) GEMM_(true, false, G, I, NT * B, (RT)1, sc->dgi, G, x, I, (RT)0, dwih, I);
    if (dwhh) { /* sum over steps of dgh_t^RT h_prev(t): h0 for the first step, y's h columns for the rest */
        const int64_t t0 = F_(tix)(s, 0);
        GEMM_(true, false, G, P, B, (RT)1, sc->dgh + t0 * B * G, G, h0, P, (RT)0, dwhh, P);
        if (NT > 1) {
            const RT *dg = s->reverse ? sc->dgh : sc->dgh + B * G, *hs = s->reverse ? y + B * S : y;
            GEMM_(true, false, G, P, (NT - 1) * B, (RT)1, dg, G, hs, S, (RT)1, dwhh, P);
        }
    }
    if (dbih) F_(colsum)(NT * B, G, sc->dgi, dbih);
    if (dbhh) F_(colsum)(NT * B, G, sc->dgh, dbhh);
    if (dwhr) GEMM_(true, false, P, H, NT * B, (RT)1, sc->dhs, P, sc->mm, H, (RT)0, dwhr, H);
}

#undef F_
#undef M_
#undef SIGM_
#undef TANH_
