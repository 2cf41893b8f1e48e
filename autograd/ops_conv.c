/* ops_conv.c — conv1d/2d, conv_transpose1d/2d, unfold and fold (torch.nn.functional). Three recorded
 * nodes carry every convolution: conv2d, its transpose and its weight gradient; each one's backward is
 * written with the other two, so double backward (gradient penalties) works as in torch. 1-D, unbatched
 * and 'same'-padded calls are views around the 2-D batched node. Kernels: tensor/kernels_conv.c. */
#include "nba_tape.h"
#include "nb_conv.h"
#include "kernels_conv.h"

/* resolved arguments: (height, width) pairs */
typedef struct {
    int64_t s[2], p[2], d[2], op[2], groups;
} cprm;

static void save(nba_node *n, const cprm *c, int64_t k0, int64_t k1) {
    int64_t v[] = { c->s[0], c->s[1], c->p[0], c->p[1], c->d[0], c->d[1], c->groups, k0, k1 };
    for (int i = 0; i < 9; i++) n->iv[i] = v[i];
    n->niv = 9;
}
static cprm load(const nba_node *n) {
    return (
        cprm){ { n->iv[0], n->iv[1] }, { n->iv[2], n->iv[3] }, { n->iv[4], n->iv[5] }, { 0, 0 }, n->iv[6] };
}

/* geometry between image (n, ci, hi, wi) and columns (co, ho, wo) for kernel kh x kw */
static nbt_conv_geom geom(const int64_t *img, int64_t co, int64_t ho, int64_t wo, int64_t kh, int64_t kw,
                          const cprm *c) {
    return (nbt_conv_geom){ img[0], img[1],  img[2],  img[3],  co,      ho,      wo,      kh,
                            kw,     c->s[0], c->s[1], c->p[0], c->p[1], c->d[0], c->d[1], c->groups };
}

/* x, w, b as contiguous tensors (themselves or copies the caller frees with unc) */
static const nb_tensor *con(const nb_tensor *t) { return t ? nbt_contig(t) : NULL; }
static void unc(const nb_tensor *c, const nb_tensor *t) {
    if (c && c != t) nb_free((nb_tensor *)c);
}

static nb_tensor *conv_rec(nb_tensor *x, nb_tensor *w, nb_tensor *b, const cprm *c, int64_t ho, int64_t wo);
static nb_tensor *convt_rec(nb_tensor *x, nb_tensor *w, nb_tensor *b, const cprm *c, int64_t hi, int64_t wi);
static nb_tensor *convw_rec(nb_tensor *x, nb_tensor *gy, const cprm *c, int64_t kh, int64_t kw,
                            nb_tensor **db);

/* y = conv2d(x, w) + b with columns (ho, wo); dx = conv_transpose2d(g, w), dw = conv2d_weight(x, g),
 * db = sum of g over (N, H, W) */
static nb_tensor *conv_rec(nb_tensor *x, nb_tensor *w, nb_tensor *b, const cprm *c, int64_t ho, int64_t wo) {
    nbt_conv_geom g = geom(x->shape, w->shape[0], ho, wo, w->shape[2], w->shape[3], c);
    const nb_tensor *xc = con(x), *wc = con(w), *bc = con(b);
    nb_tensor *y = xc && wc && (bc || !b) ? nbt_conv2d(xc, wc, bc, &g) : NULL;
    unc(xc, x), unc(wc, w), unc(bc, b);
    nba_node *n = nba_record(NBA_OP_conv2d, y, 3, (nb_tensor *[]){ x, w, b }, 3);
    if (n) save(n, c, 0, 0);
    return y;
}
void nba_bw_conv2d(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0), *w = nba_in(n, 1);
    cprm c = load(n);
    if (nba_need(n, 0)) gin[0] = convt_rec(g, w, NULL, &c, x->shape[2], x->shape[3]);
    /* first order (not recording) with dw and db: db summed while dw's GEMMs pack g; else the recorded sum */
    bool fuse = !nb_is_grad_enabled() && nba_need(n, 1) && nba_need(n, 2) && w->numel > 0;
    if (nba_need(n, 1)) gin[1] = convw_rec(x, g, &c, w->shape[2], w->shape[3], fuse ? &gin[2] : NULL);
    if (nba_need(n, 2) && !fuse) gin[2] = nb_sum_dim(g, 3, (int[]){ 0, 2, 3 }, false);
}

/* y (image hi x wi) = conv_transpose2d(x, w) + b; dx = conv2d(g, w), dw = conv2d_weight(g, x), db = sum g */
static nb_tensor *convt_rec(nb_tensor *x, nb_tensor *w, nb_tensor *b, const cprm *c, int64_t hi, int64_t wi) {
    int64_t img[4] = { x->shape[0], w->shape[1] * c->groups, hi, wi };
    nbt_conv_geom g = geom(img, x->shape[1], x->shape[2], x->shape[3], w->shape[2], w->shape[3], c);
    const nb_tensor *xc = con(x), *wc = con(w), *bc = con(b);
    nb_tensor *y = xc && wc && (bc || !b) ? nbt_conv_transpose2d(xc, wc, bc, &g) : NULL;
    unc(xc, x), unc(wc, w), unc(bc, b);
    nba_node *n = nba_record(NBA_OP_conv_transpose2d, y, 3, (nb_tensor *[]){ x, w, b }, 3);
    if (n) save(n, c, 0, 0);
    return y;
}
void nba_bw_conv_transpose2d(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0), *w = nba_in(n, 1);
    cprm c = load(n);
    if (nba_need(n, 0)) gin[0] = conv_rec(g, w, NULL, &c, x->shape[2], x->shape[3]);
    if (nba_need(n, 1)) gin[1] = convw_rec(g, x, &c, w->shape[2], w->shape[3], NULL);
    if (nba_need(n, 2)) gin[2] = nb_sum_dim(g, 3, (int[]){ 0, 2, 3 }, false);
}

/* dw = conv2d_weight(x, gy) (bilinear): d/dx = conv_transpose2d(gy, g), d/dgy = conv2d(x, g). db (NULL, or
 * only when not recording): also the bias gradient, gy summed over (N, H, W) by the same kernel */
static nb_tensor *convw_rec(nb_tensor *x, nb_tensor *gy, const cprm *c, int64_t kh, int64_t kw,
                            nb_tensor **db) {
    nbt_conv_geom g = geom(x->shape, gy->shape[1], gy->shape[2], gy->shape[3], kh, kw, c);
    const nb_tensor *xc = con(x), *gc = con(gy);
    nb_tensor *y = xc && gc ? nbt_conv2d_weight(xc, gc, &g, db) : NULL;
    unc(xc, x), unc(gc, gy);
    nba_node *n = nba_record(NBA_OP_conv2d_weight, y, 2, (nb_tensor *[]){ x, gy }, 3);
    if (n) save(n, c, kh, kw);
    return y;
}
void nba_bw_conv2d_weight(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nb_tensor *x = nba_in(n, 0), *gy = nba_in(n, 1);
    cprm c = load(n);
    if (nba_need(n, 0)) gin[0] = convt_rec(gy, g, NULL, &c, x->shape[2], x->shape[3]);
    if (nba_need(n, 1)) gin[1] = conv_rec(x, g, NULL, &c, gy->shape[2], gy->shape[3]);
}

/* ---- argument checks shared by the public functions ---- */

/* "(3 x 4)" or "(4)" for the last nd of two sizes */
static const char *sz(int nd, int64_t a, int64_t b) {
    static _Thread_local char buf[4][48];
    static _Thread_local int k;
    char *s = buf[k++ & 3];
    if (nd == 1)
        snprintf(s, 48, "(%lld)", (long long)b);
    else
        snprintf(s, 48, "(%lld x %lld)", (long long)a, (long long)b);
    return s;
}

/* checked int64 arithmetic for the size formulas: *ov is set on overflow (huge stride/padding/dilation) */
static int64_t ck_mul(int64_t a, int64_t b, bool *ov) {
    int64_t r;
    *ov |= __builtin_mul_overflow(a, b, &r);
    return r;
}
static int64_t ck_add(int64_t a, int64_t b, bool *ov) {
    int64_t r;
    *ov |= __builtin_add_overflow(a, b, &r);
    return r;
}

/* opts -> cprm for nd spatial dims (1-D maps to height 1); false + error on a bad value */
static bool resolve(const char *op, int nd, nb_conv_opts o, bool transposed, cprm *c) {
    for (int i = 0; i < nd; i++) {
        if (o.stride[i] < 0)
            return nbt_error("%s: non-positive stride is not supported (got %lld)", op,
                             (long long)o.stride[i]);
        if (o.padding[i] < 0)
            return nbt_error("%s: negative padding is not supported (got %lld)", op, (long long)o.padding[i]);
        if (o.dilation[i] < 0)
            return nbt_error("%s: dilation should be greater than zero (got %lld)", op,
                             (long long)o.dilation[i]);
        if (o.output_padding[i] < 0)
            return nbt_error("%s: negative output_padding is not supported (got %lld)", op,
                             (long long)o.output_padding[i]);
    }
    if (o.groups < 0)
        return nbt_error("%s: non-positive groups is not supported (got %lld)", op, (long long)o.groups);
    if (!transposed && (o.output_padding[0] || (nd == 2 && o.output_padding[1])))
        return nbt_error("%s: output_padding is an argument of the transposed convolutions only", op);
    if (transposed && o.pad_mode != NB_CONV_PAD_EXPLICIT)
        return nbt_error(
            "%s: padding='valid' / 'same' is only supported by nb_conv1d and nb_conv2d; give ints", op);
    if ((unsigned)o.pad_mode > NB_CONV_PAD_SAME)
        return nbt_error("%s: unknown pad_mode %d", op, (int)o.pad_mode);
    if (o.padding_mode != NB_PADDING_ZEROS)
        return nbt_error("%s: padding_mode is an argument of the Conv1d / Conv2d modules only (torch's "
                         "F.conv has none); pad with nb_pad first",
                         op);
    int j = nd == 1 ? 1 : 0; /* 1-D: the data sit in the width */
    *c = (cprm){ { 1, 1 }, { 0, 0 }, { 1, 1 }, { 0, 0 }, o.groups ? o.groups : 1 };
    if (nd == 2) { /* torch's int form: a pair whose second entry is 0 repeats the first (as pooling) */
        if (!o.stride[1]) o.stride[1] = o.stride[0];
        if (!o.dilation[1]) o.dilation[1] = o.dilation[0];
    }
    for (int i = 0; i < nd; i++) {
        c->s[i + j] = o.stride[i] ? o.stride[i] : 1;
        c->p[i + j] = o.pad_mode == NB_CONV_PAD_EXPLICIT ? o.padding[i] : 0;
        c->d[i + j] = o.dilation[i] ? o.dilation[i] : 1;
        c->op[i + j] = o.output_padding[i];
    }
    return true;
}

/* the 4-D shapes (N, C, H, W) of x and (O, C / groups, kH, kW) of w (batch and, for 1-D, height 1 added);
 * false + error on a wrong dtype or rank. No tensor is made here (views come after every check). */
static bool shapes4(const char *op, int nd, bool transposed, const nb_tensor *x, const nb_tensor *w,
                    const nb_tensor *b, int64_t *xs, int64_t *ws, bool *batched) {
    if (!nbt_is_float(x->dtype) || x->dtype != w->dtype || (b && b->dtype != x->dtype))
        return nbt_error("%s: expected input, weight%s of one floating point dtype, got %s and %s%s%s", op,
                         b ? " and bias" : "", nb_dtype_name(x->dtype), nb_dtype_name(w->dtype),
                         b ? " and " : "", b ? nb_dtype_name(b->dtype) : "");
    if (x->ndim != nd + 1 && x->ndim != nd + 2)
        return nbt_error("%s: expected %dD (unbatched) or %dD (batched) input, but got input of size %s", op,
                         nd + 1, nd + 2, nbt_shape(x));
    if (w->ndim != nd + 2)
        return nbt_error("%s: expected %dD weight %s, but got weight of size %s", op, nd + 2,
                         transposed ? "(in_channels, out_channels / groups, k...)"
                                    : "(out_channels, in_channels / groups, k...)",
                         nbt_shape(w));
    *batched = x->ndim == nd + 2;
    int bo = *batched ? 0 : 1;
    xs[0] = *batched ? x->shape[0] : 1;
    xs[1] = x->shape[1 - bo];
    xs[2] = nd == 1 ? 1 : x->shape[2 - bo];
    xs[3] = x->shape[x->ndim - 1];
    ws[0] = w->shape[0], ws[1] = w->shape[1], ws[2] = nd == 1 ? 1 : w->shape[2],
    ws[3] = w->shape[w->ndim - 1];
    return true;
}

/* x and w as the 4-D views of shapes4 (themselves when already 4-D) */
static bool views4(int nd, bool batched, nb_tensor *x, nb_tensor *w, nb_tensor **x4, nb_tensor **w4) {
    *x4 = batched ? x : nb_unsqueeze(x, 0);
    *w4 = w;
    if (nd == 1) {
        *x4 = nb_unsqueeze(*x4, 2);
        *w4 = nb_unsqueeze(w, 2);
    }
    return *x4 && *w4;
}

/* y back to the caller's rank; the label shows torch's grad_fn name */
static nb_tensor *from4d(nb_tensor *y, int nd, bool batched) {
    nb_tensor *r = y;
    if (nd == 1) r = nb_squeeze(r, 2);
    if (!batched) r = nb_squeeze(r, 0);
    return nba_label(r, y, "ConvolutionBackward0");
}

static nb_tensor *conv_nd(const char *op, int nd, nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o) {
    NBA_CHECK(op, x, w);
    if (b && !nbt_ok(b, op)) return NULL;
    cprm c;
    int64_t xs[4], ws[4];
    bool batched;
    if (!resolve(op, nd, o, false, &c) || !shapes4(op, nd, false, x, w, b, xs, ws, &batched)) return NULL;
    int64_t O = ws[0], C = xs[1], H = xs[2], W = xs[3];
    if (O % c.groups)
        return nbt_error("%s: given groups=%lld, expected weight to be divisible by %lld at dimension 0, but "
                         "got weight of "
                         "size %s instead",
                         op, (long long)c.groups, (long long)c.groups, nbt_shape(w));
    if (ws[1] * c.groups != C)
        return nbt_error(
            "%s: given groups=%lld, weight of size %s, expected input %s to have %lld channels, but got %lld "
            "channels instead",
            op, (long long)c.groups, nbt_shape(w), nbt_shape(x), (long long)(ws[1] * c.groups), (long long)C);
    if (b && (b->ndim != 1 || b->shape[0] != O))
        return nbt_error("%s: given weight of size %s, expected bias to be 1-dimensional with %lld elements, "
                         "but got bias of "
                         "size %s instead",
                         op, nbt_shape(w), (long long)O, nbt_shape(b));
    int64_t kh = ws[2], kw = ws[3];
    bool ov = false;
    int64_t ekh = ck_add(ck_mul(c.d[0], kh - 1, &ov), 1, &ov),
            ekw = ck_add(ck_mul(c.d[1], kw - 1, &ov), 1, &ov), ho, wo;
    int64_t ph = ck_add(H, ck_mul(2, c.p[0], &ov), &ov), pw = ck_add(W, ck_mul(2, c.p[1], &ov), &ov);
    if (ov)
        return nbt_error("%s: padding %s or dilation %s is too large for input %s", op,
                         sz(nd, c.p[0], c.p[1]), sz(nd, c.d[0], c.d[1]), nbt_shape(x));
    if (o.pad_mode == NB_CONV_PAD_SAME) {
        if (c.s[0] != 1 || c.s[1] != 1)
            return nbt_error("%s: padding='same' is not supported for strided convolutions", op);
        c.p[0] = (ekh - 1) / 2, c.p[1] = (ekw - 1) / 2; /* an odd total pads one more at the end */
        ho = H, wo = W;
    } else {
        if (ph < ekh || pw < ekw)
            return nbt_error(
                "%s: calculated padded input size per channel: %s. Kernel size: %s. Kernel size can't be "
                "greater than actual input size",
                op, sz(nd, H + 2 * c.p[0], W + 2 * c.p[1]), sz(nd, ekh, ekw));
        ho = (H + 2 * c.p[0] - ekh) / c.s[0] + 1, wo = (W + 2 * c.p[1] - ekw) / c.s[1] + 1;
    }
    nb_tensor *x4, *w4;
    if (!views4(nd, batched, x, w, &x4, &w4)) return NULL;
    return from4d(conv_rec(x4, w4, b, &c, ho, wo), nd, batched);
}

static nb_tensor *convt_nd(const char *op, int nd, nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o) {
    NBA_CHECK(op, x, w);
    if (b && !nbt_ok(b, op)) return NULL;
    cprm c;
    int64_t xs[4], ws[4];
    bool batched;
    if (!resolve(op, nd, o, true, &c) || !shapes4(op, nd, true, x, w, b, xs, ws, &batched)) return NULL;
    int64_t Cin = ws[0], C = xs[1], H = xs[2], W = xs[3];
    if (Cin % c.groups)
        return nbt_error("%s: given groups=%lld, expected weight to be divisible by %lld at dimension 0, but "
                         "got weight of "
                         "size %s instead",
                         op, (long long)c.groups, (long long)c.groups, nbt_shape(w));
    if (Cin != C)
        return nbt_error("%s: given transposed=1, weight of size %s, expected input %s to have %lld "
                         "channels, but got %lld "
                         "channels instead",
                         op, nbt_shape(w), nbt_shape(x), (long long)Cin, (long long)C);
    int64_t O = ws[1] * c.groups;
    if (b && (b->ndim != 1 || b->shape[0] != O))
        return nbt_error("%s: given transposed=1, weight of size %s, expected bias to be 1-dimensional with "
                         "%lld elements, "
                         "but got bias of size %s instead",
                         op, nbt_shape(w), (long long)O, nbt_shape(b));
    for (int i = 0; i < 2; i++)
        if (c.op[i] >= c.s[i] && c.op[i] >= c.d[i])
            return nbt_error("%s: output padding must be smaller than either stride or dilation, but got "
                             "output_padding %s, "
                             "stride %s, dilation %s",
                             op, sz(nd, c.op[0], c.op[1]), sz(nd, c.s[0], c.s[1]), sz(nd, c.d[0], c.d[1]));
    int64_t kh = ws[2], kw = ws[3];
    bool ov = false;
    int64_t hi = ck_add(ck_add(ck_mul(H - 1, c.s[0], &ov), ck_mul(-2, c.p[0], &ov), &ov),
                        ck_add(ck_mul(c.d[0], kh - 1, &ov), c.op[0] + 1, &ov), &ov);
    int64_t wi = ck_add(ck_add(ck_mul(W - 1, c.s[1], &ov), ck_mul(-2, c.p[1], &ov), &ov),
                        ck_add(ck_mul(c.d[1], kw - 1, &ov), c.op[1] + 1, &ov), &ov);
    if (ov || c.op[0] == INT64_MAX || c.op[1] == INT64_MAX)
        return nbt_error("%s: stride %s, padding %s or dilation %s is too large for input %s", op,
                         sz(nd, c.s[0], c.s[1]), sz(nd, c.p[0], c.p[1]), sz(nd, c.d[0], c.d[1]),
                         nbt_shape(x));
    if (hi <= 0 || wi <= 0)
        return nbt_error("%s: given input size per channel: %s. Calculated output size per channel: %s. "
                         "Output size is too "
                         "small",
                         op, sz(nd, H, W), sz(nd, hi, wi));
    nb_tensor *x4, *w4;
    if (!views4(nd, batched, x, w, &x4, &w4)) return NULL;
    return from4d(convt_rec(x4, w4, b, &c, hi, wi), nd, batched);
}

nb_tensor *nb_conv2d(nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o) {
    return conv_nd("nb_conv2d", 2, x, w, b, o);
}
nb_tensor *nb_conv1d(nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o) {
    return conv_nd("nb_conv1d", 1, x, w, b, o);
}
nb_tensor *nb_conv_transpose2d(nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o) {
    return convt_nd("nb_conv_transpose2d", 2, x, w, b, o);
}
nb_tensor *nb_conv_transpose1d(nb_tensor *x, nb_tensor *w, nb_tensor *b, nb_conv_opts o) {
    return convt_nd("nb_conv_transpose1d", 1, x, w, b, o);
}

/* ---- unfold / fold (im2col / col2im): adjoint linear maps, each the other's backward ---- */
static void save_uf(nba_node *n, const nbt_conv_geom *g) {
    int64_t v[] = { g->kh, g->kw, g->sh, g->sw, g->ph, g->pw, g->dh, g->dw, g->hi, g->wi, g->ho, g->wo };
    for (int i = 0; i < 12; i++) n->iv[i] = v[i];
    n->niv = 12;
}
static nbt_conv_geom load_uf(const nba_node *n, int64_t batch, int64_t ci) {
    const int64_t *v = n->iv;
    return (
        nbt_conv_geom){ batch, ci,   v[8], v[9], ci * v[0] * v[1], v[10], v[11], v[0], v[1], v[2], v[3], v[4],
                        v[5],  v[6], v[7], 1 };
}
static nb_tensor *fold_rec(nb_tensor *cols, const nbt_conv_geom *g);

/* y = unfold(x) (N, C kk, L); dx = fold(g) */
static nb_tensor *unfold_rec(nb_tensor *x, const nbt_conv_geom *g) {
    const nb_tensor *xc = con(x);
    nb_tensor *y = xc ? nbt_im2col(xc, g) : NULL;
    unc(xc, x);
    nba_node *n = nba_record(NBA_OP_unfold, y, 1, &x, 0);
    if (n) save_uf(n, g);
    return y;
}
void nba_bw_unfold(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nbt_conv_geom ge = load_uf(n, g->shape[0], g->shape[1] / (n->iv[0] * n->iv[1]));
    gin[0] = fold_rec(g, &ge);
}

/* x = fold(cols) (N, C, H, W); dcols = unfold(g) */
static nb_tensor *fold_rec(nb_tensor *cols, const nbt_conv_geom *g) {
    const nb_tensor *cc = con(cols);
    nb_tensor *y = cc ? nbt_col2im(cc, g) : NULL;
    unc(cc, cols);
    nba_node *n = nba_record(NBA_OP_fold, y, 1, &cols, 0);
    if (n) save_uf(n, g);
    return y;
}
void nba_bw_fold(nba_node *n, nb_tensor *g, nb_tensor **gin) {
    nbt_conv_geom ge = load_uf(n, g->shape[0], g->shape[1]);
    gin[0] = unfold_rec(g, &ge);
}

/* the block geometry of unfold / fold: false + error naming op when no block fits */
static bool blocks(const char *op, nb_conv_opts o, int64_t h, int64_t w, int64_t kh, int64_t kw, cprm *c,
                   nbt_conv_geom *g) {
    if (o.groups || o.output_padding[0] || o.output_padding[1] || o.pad_mode || o.padding_mode)
        return nbt_error(
            "%s: groups, output_padding, pad_mode and padding_mode are not arguments of unfold / fold", op);
    if (kh <= 0 || kw <= 0)
        return nbt_error("%s: kernel size should be greater than zero, but got kernel_size=(%lld, %lld)", op,
                         (long long)kh, (long long)kw);
    if (!resolve(op, 2, o, false, c)) return false;
    bool ov = false;
    int64_t eh = ck_add(ck_mul(c->d[0], kh - 1, &ov), 1, &ov),
            ew = ck_add(ck_mul(c->d[1], kw - 1, &ov), 1, &ov);
    int64_t ph = ck_add(h, ck_mul(2, c->p[0], &ov), &ov), pw = ck_add(w, ck_mul(2, c->p[1], &ov), &ov);
    int64_t bh = ov ? 0 : (ph - eh) / c->s[0] + 1, bw = ov ? 0 : (pw - ew) / c->s[1] + 1;
    if (ov || ph < eh || pw < ew || bh < 1 || bw < 1)
        return nbt_error(
            "%s: given spatial size (%lld, %lld), kernel_size=(%lld, %lld), dilation=(%lld, %lld), "
            "padding=(%lld, %lld), stride=(%lld, %lld): no sliding block fits (each component must be at "
            "least one)",
            op, (long long)h, (long long)w, (long long)kh, (long long)kw, (long long)c->d[0],
            (long long)c->d[1], (long long)c->p[0], (long long)c->p[1], (long long)c->s[0],
            (long long)c->s[1]);
    *g = (nbt_conv_geom){ 0,  0,       h,       w,       0,       bh,      bw,      kh,
                          kw, c->s[0], c->s[1], c->p[0], c->p[1], c->d[0], c->d[1], 1 };
    return true;
}

nb_tensor *nb_unfold(nb_tensor *x, int64_t kh, int64_t kw, nb_conv_opts o) {
    NBT_API("nb_unfold");
    NBA_CHECK("nb_unfold", x);
    if (!nbt_is_float(x->dtype))
        return nbt_error("nb_unfold: expects a floating point tensor, got %s", nb_dtype_name(x->dtype));
    if (x->ndim != 3 && x->ndim != 4)
        return nbt_error(
            "nb_unfold: expected 3D or 4D (batch mode) tensor for input, but got input of size %s",
            nbt_shape(x));
    bool batched = x->ndim == 4;
    cprm c;
    nbt_conv_geom g;
    if (!blocks("nb_unfold", o, x->shape[x->ndim - 2], x->shape[x->ndim - 1], kh, kw, &c, &g)) return NULL;
    nb_tensor *x4 = batched ? x : nb_unsqueeze(x, 0);
    if (!x4) return NULL;
    g.n = x4->shape[0], g.ci = x4->shape[1], g.co = g.ci * kh * kw;
    nb_tensor *y = unfold_rec(x4, &g);
    return batched ? y : nba_label(nb_squeeze(y, 0), y, "Im2ColBackward0");
}

nb_tensor *nb_fold(nb_tensor *cols, int64_t h, int64_t w, int64_t kh, int64_t kw, nb_conv_opts o) {
    NBT_API("nb_fold");
    NBA_CHECK("nb_fold", cols);
    if (!nbt_is_float(cols->dtype))
        return nbt_error("nb_fold: expects a floating point tensor, got %s", nb_dtype_name(cols->dtype));
    if (cols->ndim != 2 && cols->ndim != 3)
        return nbt_error("nb_fold: expected 2D or 3D (batch mode) tensor for input, but got input of size %s",
                         nbt_shape(cols));
    if (h <= 0 || w <= 0)
        return nbt_error(
            "nb_fold: expected output spatial size to be positive, but got output_size=(%lld, %lld)",
            (long long)h, (long long)w);
    bool batched = cols->ndim == 3;
    int64_t C = cols->shape[cols->ndim - 2], L = cols->shape[cols->ndim - 1];
    cprm c;
    nbt_conv_geom g;
    if (!blocks("nb_fold", o, h, w, kh, kw, &c, &g)) return NULL;
    if (C % (kh * kw))
        return nbt_error("nb_fold: expected size of input's dimension 1 to be divisible by the product of "
                         "kernel_size, but "
                         "got input.size(1)=%lld and kernel_size=(%lld, %lld)",
                         (long long)C, (long long)kh, (long long)kw);
    if (L != g.ho * g.wo)
        return nbt_error(
            "nb_fold: given output_size=(%lld, %lld), kernel_size=(%lld, %lld), expected size of input's "
            "dimension 2 to match the calculated number of sliding blocks %lld * %lld = %lld, but got "
            "input.size(2)=%lld",
            (long long)h, (long long)w, (long long)kh, (long long)kw, (long long)g.ho, (long long)g.wo,
            (long long)(g.ho * g.wo), (long long)L);
    nb_tensor *c3 = batched ? cols : nb_unsqueeze(cols, 0);
    if (!c3) return NULL;
    g.n = c3->shape[0], g.ci = c3->shape[1] / (kh * kw), g.co = c3->shape[1];
    nb_tensor *y = fold_rec(c3, &g);
    return batched ? y : nba_label(nb_squeeze(y, 0), y, "Col2ImBackward0");
}
