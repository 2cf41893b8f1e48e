/* lbfgs.c — torch.optim.LBFGS ported line by line from torch/optim/lbfgs.py (1.13): two-loop
 * recursion over at most history_size (y, s) pairs, first step t = min(1, 1/|g|_1) lr, optional
 * strong-Wolfe line search (_cubic_interpolate, _strong_wolfe), the same stopping tests.
 * Bit-exactness: torch mixes Python floats and 0-d tensors of the parameter dtype in its scalar
 * arithmetic; each scalar here (sc) remembers which it is and rounds like torch (f32 tensors round
 * to float, python / tensor is reciprocal(tensor) * python). Vectors are stored as doubles holding
 * values of the parameter dtype, with torch's CPU kernel arithmetic (fma, BLAS dot order). */
#include "nbo_optim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const nb_lbfgs_opts torch_default = {
    .lr = 1, .max_iter = 20, .tolerance_grad = 1e-7, .tolerance_change = 1e-9, .history_size = 100
};

/* State dict entries state.0.<name> (torch's names; the *_is_tensor flags say whether t and H_diag are
 * a Python float or a 0-d tensor in torch, which changes their arithmetic). */
enum {
    LB_FUNC_EVALS,
    LB_N_ITER,
    LB_D,
    LB_T,
    LB_T_IS_TENSOR,
    LB_OLD_DIRS,
    LB_OLD_STPS,
    LB_RO,
    LB_H_DIAG,
    LB_H_DIAG_IS_TENSOR,
    LB_PREV_FLAT_GRAD,
    LB_PREV_LOSS,
    LBFGS_NSAVED
};
static const char *const lbfgs_names[LBFGS_NSAVED] = {
    "func_evals",     "n_iter",   "d",  "t",      "t_is_tensor",
    "old_dirs",       "old_stps", "ro", "H_diag", "H_diag_is_tensor",
    "prev_flat_grad", "prev_loss"
};

/* a Python float (t = false) or a 0-d tensor of the parameter dtype (t = true) */
typedef struct {
    double v;
    bool t;
} sc;

typedef struct {
    int64_t n;
    double *d, *g, *prev_g, *q, *x0, *gn, *gp, *bg[2], *gtmp; /* n each */
    double **dirs, **stps;                                    /* history, oldest first; history_size slots */
    sc *ro, *al;
    int num_old, cap;
    sc t, H_diag;
    double prev_loss;
    int n_iter, func_evals;
    nb_tensor *saved[LBFGS_NSAVED]; /* the tensors of the last state dict (borrowed by it) */
} lbfgs_state;

static void merge(void *dd, const void *uu, const void *bb) {
    nb_lbfgs_opts *dst = dd;
    const nb_lbfgs_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(max_iter);
    NBO_PICK(tolerance_grad);
    NBO_PICK(tolerance_change);
    NBO_PICK(history_size);
    dst->line_search_fn = u->line_search_fn ? u->line_search_fn : b->line_search_fn;
    dst->max_eval = u->max_eval ? u->max_eval : (u->max_iter ? dst->max_iter * 5 / 4 : b->max_eval);
    if (!dst->max_eval) dst->max_eval = dst->max_iter * 5 / 4;
}

static nb_status check(const void *oo, const char *fn) {
    const nb_lbfgs_opts *o = oo;
    if (!(o->lr >= 0) || o->max_iter < 1 || o->max_eval < 1 || o->history_size < 1 ||
        (o->line_search_fn != NB_LINE_SEARCH_NONE && o->line_search_fn != NB_LINE_SEARCH_STRONG_WOLFE)) {
        nbt_error("%s: invalid options lr %g, max_iter %d, max_eval %d, history_size %d, line_search_fn %d",
                  fn, o->lr, o->max_iter, o->max_eval, o->history_size, (int)o->line_search_fn);
        return NB_ERROR;
    }
    return NB_OK;
}

static void free_extra(nb_optimizer *o) {
    lbfgs_state *S = o->extra;
    if (!S) return;
    free(S->d);
    for (int i = 0; i < S->cap; i++) {
        free(S->dirs[i]);
        free(S->stps[i]);
    }
    free(S->dirs);
    free(S->stps);
    free(S->ro);
    free(S->al);
    for (int k = 0; k < LBFGS_NSAVED; k++) nb_free(S->saved[k]);
    free(S);
    o->extra = NULL;
}

static lbfgs_state *get_state(nb_optimizer *o, const nb_lbfgs_opts *op) {
    if (o->extra) return o->extra;
    int64_t n = nbo_flat_numel(o, "nb_lbfgs");
    if (n < 0) return NULL;
    lbfgs_state *S = calloc(1, sizeof *S);
    int64_t m = n ? n : 1;
    if (S) S->d = malloc(sizeof(double) * (size_t)m * 11);
    if (S && S->d) {
        double **v[] = { &S->g, &S->prev_g, &S->q, &S->x0, &S->gn, &S->gp, &S->bg[0], &S->bg[1], &S->gtmp };
        for (int k = 0; k < 9; k++) *v[k] = S->d + m * (k + 1);
        S->cap = op->history_size;
        S->dirs = calloc((size_t)S->cap, sizeof(double *));
        S->stps = calloc((size_t)S->cap, sizeof(double *));
        S->ro = calloc((size_t)S->cap, sizeof(sc));
        S->al = calloc((size_t)S->cap, sizeof(sc));
    }
    o->extra = S;
    if (!S || !S->d || !S->dirs || !S->stps || !S->ro || !S->al) {
        free_extra(o);
        return nbt_error("nb_lbfgs: out of memory for %lld parameters", (long long)n);
    }
    S->n = n;
    S->H_diag = (sc){ 1, false };
    S->t = (sc){ 0, false };
    return S;
}

/* ---- torch's arithmetic ---------------------------------------------------------------------- */
static _Thread_local bool F32; /* parameters are float32 (set at each step) */

static double rd(double x) { return F32 ? (double)(float)x : x; }

static sc py(double v) { return (sc){ v, false }; }
static sc ten(double v) { return (sc){ rd(v), true }; }
static sc s_add(sc a, sc b) { return a.t || b.t ? ten(rd(a.v) + rd(b.v)) : py(a.v + b.v); }
static sc s_sub(sc a, sc b) { return a.t || b.t ? ten(rd(a.v) - rd(b.v)) : py(a.v - b.v); }
static sc s_mul(sc a, sc b) { return a.t || b.t ? ten(rd(a.v) * rd(b.v)) : py(a.v * b.v); }
/* Tensor.__rtruediv__ is reciprocal() * other */
static sc s_div(sc a, sc b) {
    if (b.t && !a.t) return ten(rd(1.0 / b.v) * rd(a.v));
    return a.t || b.t ? ten(rd(a.v) / rd(b.v)) : py(a.v / b.v);
}
static sc s_abs(sc a) { return (sc){ fabs(a.v), a.t }; }
/* comparisons: a Python float meets a tensor in the tensor's dtype */
static bool s_lt(sc a, sc b) { return a.t || b.t ? rd(a.v) < rd(b.v) : a.v < b.v; }
static bool s_le(sc a, sc b) { return a.t || b.t ? rd(a.v) <= rd(b.v) : a.v <= b.v; }
/* Python's min(a, b) / max(a, b): the first argument unless the second is strictly better */
static sc s_min(sc a, sc b) { return s_lt(b, a) ? b : a; }
static sc s_max(sc a, sc b) { return s_lt(a, b) ? b : a; }

/* self + alpha x as torch's CPU add_ (fused multiply-add) */
static double vfma(double alpha, double x, double self) {
    return F32 ? (double)fmaf((float)alpha, (float)x, (float)self) : fma(alpha, x, self);
}

/* x.dot(y): OpenBLAS ddot (fma chain; 16-element blocks in 4x4 accumulators) or sdot (products
 * rounded to float, summed in double); exact for fewer than 32 elements */
static double dot(const double *a, const double *b, int64_t n) {
    if (F32) {
        double s = 0;
        for (int64_t i = 0; i < n; i++) s += (double)((float)a[i] * (float)b[i]);
        return (double)(float)s;
    }
    int64_t n1 = n & -16;
    double s = 0;
    if (n1) {
        double acc[4][4] = { { 0 } }, v[4];
        for (int64_t i = 0; i < n1; i += 16)
            for (int k = 0; k < 4; k++)
                for (int l = 0; l < 4; l++) acc[k][l] = fma(a[i + 4 * k + l], b[i + 4 * k + l], acc[k][l]);
        for (int l = 0; l < 4; l++) v[l] = ((acc[0][l] + acc[1][l]) + acc[2][l]) + acc[3][l];
        s = (v[0] + v[2]) + (v[1] + v[3]);
    }
    for (int64_t i = n1; i < n; i++) s = fma(a[i], b[i], s);
    return s;
}

/* x.abs().sum() in torch's CPU order: vectors of 4 (f64) / 8 (f32) lanes in 4 accumulators, the
 * scalar tail first; shorter than one vector: 4 scalar accumulators. Exact below 256 vectors. */
static double abs_sum(const double *a, int64_t n) {
    if (n < (F32 ? 8 : 4)) {
        double acc[4] = { 0 };
        int64_t ni = n / 4;
        for (int64_t i = 0; i < ni; i++)
            for (int k = 0; k < 4; k++) acc[k] = rd(acc[k] + fabs(a[i * 4 + k]));
        for (int64_t i = ni * 4; i < n; i++) acc[0] = rd(acc[0] + fabs(a[i]));
        for (int k = 1; k < 4; k++) acc[0] = rd(acc[0] + acc[k]);
        return acc[0];
    }
    const int L = F32 ? 8 : 4;
    int64_t nvec = n / L, nilp = nvec / 4;
    double acc[4][8] = { { 0 } };
    for (int64_t i = 0; i < nilp; i++)
        for (int k = 0; k < 4; k++)
            for (int l = 0; l < L; l++) acc[k][l] = rd(acc[k][l] + fabs(a[(i * 4 + k) * L + l]));
    for (int64_t v = nilp * 4; v < nvec; v++)
        for (int l = 0; l < L; l++) acc[0][l] = rd(acc[0][l] + fabs(a[v * L + l]));
    for (int k = 1; k < 4; k++)
        for (int l = 0; l < L; l++) acc[0][l] = rd(acc[0][l] + acc[k][l]);
    double f = 0;
    for (int64_t k = nvec * L; k < n; k++) f = rd(f + fabs(a[k]));
    for (int l = 0; l < L; l++) f = rd(f + acc[0][l]);
    return f;
}

static double absmax(const double *a, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fabs(a[i]) > m || isnan(a[i]) ? fabs(a[i]) : m;
    return m;
}

/* loss at x + t d and its flat grad into g; parameters are restored to x afterwards */
static double dir_eval(nb_optimizer *o, nb_closure c, void *ctx, const double *x, sc t, const double *d,
                       double *g) {
    nbo_flat_set(o, d, t.v, true);
    bool prev = nb_set_grad_enabled(true);
    double loss = c(ctx);
    nb_set_grad_enabled(prev);
    nbo_flat_get(o, g, true);
    nbo_flat_set(o, x, 0, false);
    return loss;
}

/* torch's _cubic_interpolate (bounds NULL: the interval [x1, x2]) */
static sc cubic_interpolate(sc x1, sc f1, sc g1, sc x2, sc f2, sc g2, const sc *bounds) {
    sc lo, hi;
    if (bounds) {
        lo = bounds[0];
        hi = bounds[1];
    } else if (s_le(x1, x2)) {
        lo = x1;
        hi = x2;
    } else {
        lo = x2;
        hi = x1;
    }
    sc d1 = s_sub(s_add(g1, g2), s_div(s_mul(py(3), s_sub(f1, f2)), s_sub(x1, x2)));
    sc d2_square = s_sub(s_mul(d1, d1), s_mul(g1, g2));
    if (s_le(py(0), d2_square)) {
        sc d2 = ten(sqrt(d2_square.v)), min_pos;
        if (s_le(x1, x2))
            min_pos = s_sub(x2, s_mul(s_sub(x2, x1), s_div(s_sub(s_add(g2, d2), d1),
                                                           s_add(s_sub(g2, g1), s_mul(py(2), d2)))));
        else
            min_pos = s_sub(x1, s_mul(s_sub(x1, x2), s_div(s_sub(s_add(g1, d2), d1),
                                                           s_add(s_sub(g1, g2), s_mul(py(2), d2)))));
        return s_min(s_max(min_pos, lo), hi);
    }
    return s_div(s_add(lo, hi), py(2.));
}

/* torch's _strong_wolfe; on return S->g holds the chosen grad, *f_out the loss, *t_io the step */
static int strong_wolfe(nb_optimizer *o, lbfgs_state *S, nb_closure c, void *ctx, sc *t_io, double f0, sc gtd,
                        double tol_change, double *f_out) {
    const sc c1 = py(1e-4), c2 = py(0.9), f = py(f0);
    const int max_ls = 25;
    int64_t n = S->n;
    size_t nb = sizeof(double) * (size_t)n;
    double *d = S->d, *x = S->x0, *g = S->g; /* g: grad at t = 0 (kept) */
    sc t = *t_io;
    sc d_norm = ten(absmax(d, n));
    sc f_new = py(dir_eval(o, c, ctx, x, t, d, S->gn));
    int ls_func_evals = 1;
    sc gtd_new = ten(dot(S->gn, d, n));
    sc t_prev = py(0), f_prev = f, gtd_prev = gtd;
    memcpy(S->gp, g, nb);
    bool done = false;
    int ls_iter = 0;
    sc br[2], brf[2], brgtd[2] = { py(0), py(0) };
    int blen = 0;
    /* bracket grads live in S->bg[0], S->bg[1] */
    while (ls_iter < max_ls) {
        if (s_lt(s_add(f, s_mul(s_mul(c1, t), gtd)), f_new) || (ls_iter > 1 && f_new.v >= f_prev.v)) {
            br[0] = t_prev;
            br[1] = t;
            brf[0] = f_prev;
            brf[1] = f_new;
            brgtd[0] = gtd_prev;
            brgtd[1] = gtd_new;
            memcpy(S->bg[0], S->gp, nb);
            memcpy(S->bg[1], S->gn, nb);
            blen = 2;
            break;
        }
        if (s_le(s_abs(gtd_new), s_mul(py(-c2.v), gtd))) {
            br[0] = br[1] = t;
            brf[0] = brf[1] = f_new;
            memcpy(S->bg[0], S->gn, nb);
            blen = 1;
            done = true;
            break;
        }
        if (s_le(py(0), gtd_new)) {
            br[0] = t_prev;
            br[1] = t;
            brf[0] = f_prev;
            brf[1] = f_new;
            brgtd[0] = gtd_prev;
            brgtd[1] = gtd_new;
            memcpy(S->bg[0], S->gp, nb);
            memcpy(S->bg[1], S->gn, nb);
            blen = 2;
            break;
        }
        sc bounds[2] = { s_add(t, s_mul(py(0.01), s_sub(t, t_prev))), s_mul(t, py(10)) };
        sc tmp = t;
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds);
        t_prev = tmp;
        f_prev = f_new;
        memcpy(S->gp, S->gn, nb);
        gtd_prev = gtd_new;
        f_new = py(dir_eval(o, c, ctx, x, t, d, S->gn));
        ls_func_evals++;
        gtd_new = ten(dot(S->gn, d, n));
        ls_iter++;
    }
    if (ls_iter == max_ls) {
        br[0] = py(0);
        br[1] = t;
        brf[0] = f;
        brf[1] = f_new;
        memcpy(S->bg[0], g, nb);
        memcpy(S->bg[1], S->gn, nb);
        blen = 2;
    }
    bool insuf_progress = false;
    int low = brf[0].v <= brf[blen - 1].v ? 0 : 1, high = 1 - low;
    while (!done && ls_iter < max_ls) {
        if (s_lt(s_mul(s_abs(s_sub(br[1], br[0])), d_norm), py(tol_change))) break;
        t = cubic_interpolate(br[0], brf[0], brgtd[0], br[1], brf[1], brgtd[1], NULL);
        sc bmax = s_max(br[0], br[1]), bmin = s_min(br[0], br[1]);
        sc eps = s_mul(py(0.1), s_sub(bmax, bmin));
        if (s_lt(s_min(s_sub(bmax, t), s_sub(t, bmin)), eps)) {
            if (insuf_progress || s_le(bmax, t) || s_le(t, bmin)) {
                t = s_lt(s_abs(s_sub(t, bmax)), s_abs(s_sub(t, bmin))) ? s_sub(bmax, eps) : s_add(bmin, eps);
                insuf_progress = false;
            } else {
                insuf_progress = true;
            }
        } else {
            insuf_progress = false;
        }
        f_new = py(dir_eval(o, c, ctx, x, t, d, S->gn));
        ls_func_evals++;
        gtd_new = ten(dot(S->gn, d, n));
        ls_iter++;
        if (s_lt(s_add(f, s_mul(s_mul(c1, t), gtd)), f_new) || f_new.v >= brf[low].v) {
            br[high] = t;
            brf[high] = f_new;
            memcpy(S->bg[high], S->gn, nb);
            brgtd[high] = gtd_new;
            low = brf[0].v <= brf[1].v ? 0 : 1;
            high = 1 - low;
        } else {
            if (s_le(s_abs(gtd_new), s_mul(py(-c2.v), gtd))) {
                done = true;
            } else if (s_le(py(0), s_mul(gtd_new, s_sub(br[high], br[low])))) {
                br[high] = br[low];
                brf[high] = brf[low];
                memcpy(S->bg[high], S->bg[low], nb);
                brgtd[high] = brgtd[low];
            }
            br[low] = t;
            brf[low] = f_new;
            memcpy(S->bg[low], S->gn, nb);
            brgtd[low] = gtd_new;
        }
    }
    *t_io = br[low];
    *f_out = brf[low].v;
    memcpy(S->g, S->bg[low], nb);
    return ls_func_evals;
}

static nb_status step_closure(nb_optimizer *o, nb_closure c, void *ctx, double *loss_out) {
    const nb_lbfgs_opts *op = (const nb_lbfgs_opts *)&o->groups[0].opts;
    lbfgs_state *S = get_state(o, op);
    if (!S) return NB_ERROR;
    F32 = o->params[0]->dtype == NB_F32;
    int64_t n = S->n;
    size_t nb = sizeof(double) * (size_t)n;
    bool prev = nb_set_grad_enabled(true);
    double orig_loss = c(ctx);
    nb_set_grad_enabled(prev);
    if (loss_out) *loss_out = orig_loss;
    if (isnan(orig_loss) && nb_error()) return NB_ERROR;
    double loss = orig_loss;
    int current_evals = 1;
    S->func_evals++;
    nbo_flat_get(o, S->g, true);
    const sc tol_grad = py(op->tolerance_grad), tol_change = py(op->tolerance_change);
    bool opt_cond = s_le(ten(absmax(S->g, n)), tol_grad);
    if (opt_cond) return NB_OK;
    double *d = S->d, *g = S->g;
    sc t = S->t;
    int n_iter = 0;
    while (n_iter < op->max_iter) {
        n_iter++;
        S->n_iter++;
        if (S->n_iter == 1) {
            for (int64_t i = 0; i < n; i++) d[i] = -g[i];
            S->num_old = 0;
            S->H_diag = py(1);
        } else {
            /* y = g - prev_g, s = d t; kept in the history only when y.s > 1e-10 */
            double *y = S->q, *s = S->gtmp;
            for (int64_t i = 0; i < n; i++) {
                y[i] = rd(g[i] - S->prev_g[i]);
                s[i] = rd(d[i] * rd(t.v));
            }
            sc ys = ten(dot(y, s, n));
            if (s_lt(py(1e-10), ys)) {
                if (S->num_old == S->cap) { /* pop the oldest, reuse its buffers */
                    double *y0 = S->dirs[0], *s0 = S->stps[0];
                    memmove(S->dirs, S->dirs + 1, sizeof(double *) * (size_t)(S->cap - 1));
                    memmove(S->stps, S->stps + 1, sizeof(double *) * (size_t)(S->cap - 1));
                    memmove(S->ro, S->ro + 1, sizeof(sc) * (size_t)(S->cap - 1));
                    S->num_old--;
                    S->dirs[S->num_old] = y0;
                    S->stps[S->num_old] = s0;
                }
                int k = S->num_old;
                if (!S->dirs[k]) S->dirs[k] = malloc(nb ? nb : 1);
                if (!S->stps[k]) S->stps[k] = malloc(nb ? nb : 1);
                if (!S->dirs[k] || !S->stps[k]) {
                    nbt_error("nb_lbfgs: out of memory for the history");
                    return NB_ERROR;
                }
                memcpy(S->dirs[k], y, nb);
                memcpy(S->stps[k], s, nb);
                S->ro[k] = s_div(py(1.), ys);
                S->H_diag = s_div(ys, ten(dot(y, y, n)));
                S->num_old++;
            }
            int num_old = S->num_old;
            double *q = S->q;
            for (int64_t i = 0; i < n; i++) q[i] = -g[i];
            for (int i = num_old - 1; i >= 0; i--) {
                S->al[i] = s_mul(ten(dot(S->stps[i], q, n)), S->ro[i]);
                double a = -S->al[i].v;
                for (int64_t j = 0; j < n; j++) q[j] = vfma(a, S->dirs[i][j], q[j]);
            }
            for (int64_t j = 0; j < n; j++) d[j] = rd(q[j] * rd(S->H_diag.v));
            for (int i = 0; i < num_old; i++) {
                sc be_i = s_mul(ten(dot(S->dirs[i], d, n)), S->ro[i]);
                double a = s_sub(S->al[i], be_i).v;
                for (int64_t j = 0; j < n; j++) d[j] = vfma(a, S->stps[i][j], d[j]);
            }
        }
        memcpy(S->prev_g, g, nb);
        S->prev_loss = loss;
        if (S->n_iter == 1)
            t = s_mul(s_min(py(1.), s_div(py(1.), ten(abs_sum(g, n)))), py(op->lr));
        else
            t = py(op->lr);
        sc gtd = ten(dot(g, d, n));
        if (s_lt(py(-op->tolerance_change), gtd)) break;
        int ls_func_evals = 0;
        if (op->line_search_fn == NB_LINE_SEARCH_STRONG_WOLFE) {
            nbo_flat_get(o, S->x0, false);
            ls_func_evals = strong_wolfe(o, S, c, ctx, &t, loss, gtd, op->tolerance_change, &loss);
            nbo_flat_set(o, d, t.v, true);
            opt_cond = s_le(ten(absmax(g, n)), tol_grad);
        } else {
            nbo_flat_set(o, d, t.v, true);
            if (n_iter != op->max_iter) {
                bool pg = nb_set_grad_enabled(true);
                loss = c(ctx);
                nb_set_grad_enabled(pg);
                nbo_flat_get(o, g, true);
                opt_cond = s_le(ten(absmax(g, n)), tol_grad);
                ls_func_evals = 1;
            }
        }
        if (isnan(loss) && nb_error()) {
            S->t = t;
            return NB_ERROR;
        }
        current_evals += ls_func_evals;
        S->func_evals += ls_func_evals;
        if (n_iter == op->max_iter) break;
        if (current_evals >= op->max_eval) break;
        if (opt_cond) break;
        double dtmax = 0; /* d.mul(t).abs().max() */
        for (int64_t i = 0; i < n; i++) dtmax = fmax(dtmax, fabs(rd(d[i] * rd(t.v))));
        if (s_le(ten(dtmax), tol_change)) break;
        if (fabs(loss - S->prev_loss) < op->tolerance_change) break;
    }
    S->t = t;
    return NB_OK;
}

/* ---- state dict: the history and scalars under torch's names (old_dirs, old_stps as num_old x n) ---- */
static nb_tensor *saved_new(lbfgs_state *S, int k, nb_dtype dt, int ndim, const int64_t *shape) {
    nb_free(S->saved[k]);
    return S->saved[k] = nbt_new_persistent(dt, ndim, shape);
}
/* t[j] = v[j] for n values, in t's dtype (vectors hold values of the parameter dtype: exact in f32) */
static void put(nb_tensor *t, const double *v, int64_t n) {
    for (int64_t j = 0; j < n; j++) {
        if (t->dtype == NB_F32)
            ((float *)nbt_ptr(t))[j] = (float)v[j];
        else if (t->dtype == NB_I64)
            ((int64_t *)nbt_ptr(t))[j] = (int64_t)v[j];
        else
            ((double *)nbt_ptr(t))[j] = v[j];
    }
}

static nb_status save_extra(nb_optimizer *o, nb_state_dict *sd) {
    lbfgs_state *S = o->extra;
    if (!S || S->n_iter == 0) return NB_OK; /* no step taken: torch's state is empty too */
    nb_dtype pd = o->params[0]->dtype;
    int64_t n = S->n, h[2] = { S->num_old, S->n };
    for (int k = 0; k < LBFGS_NSAVED; k++) {
        nb_tensor *t = NULL;
        double v;
        switch (k) {
        case LB_FUNC_EVALS:
        case LB_N_ITER:
            if ((t = saved_new(S, k, NB_I64, 0, NULL)))
                put(t, &(double){ k == LB_N_ITER ? S->n_iter : S->func_evals }, 1);
            break;
        case LB_D:
        case LB_PREV_FLAT_GRAD:
            if ((t = saved_new(S, k, pd, 1, &n))) put(t, k == LB_D ? S->d : S->prev_g, n);
            break;
        case LB_T:
        case LB_H_DIAG: {
            sc s = k == LB_T ? S->t : S->H_diag;
            if ((t = saved_new(S, k, s.t ? pd : NB_F64, 0, NULL))) put(t, &s.v, 1);
            break;
        }
        case LB_T_IS_TENSOR:
        case LB_H_DIAG_IS_TENSOR:
            v = (k == LB_T_IS_TENSOR ? S->t.t : S->H_diag.t) ? 1 : 0;
            if ((t = saved_new(S, k, NB_F64, 0, NULL))) put(t, &v, 1);
            break;
        case LB_OLD_DIRS:
        case LB_OLD_STPS:
            if ((t = saved_new(S, k, pd, 2, h)))
                for (int i = 0; i < S->num_old; i++)
                    for (int64_t j = 0; j < n; j++) {
                        double x = (k == LB_OLD_DIRS ? S->dirs : S->stps)[i][j];
                        if (pd == NB_F32)
                            ((float *)nbt_ptr(t))[i * n + j] = (float)x;
                        else
                            ((double *)nbt_ptr(t))[i * n + j] = x;
                    }
            break;
        case LB_RO:
            if ((t = saved_new(S, k, pd, 1, h)))
                for (int i = 0; i < S->num_old; i++) {
                    if (pd == NB_F32)
                        ((float *)nbt_ptr(t))[i] = (float)S->ro[i].v;
                    else
                        ((double *)nbt_ptr(t))[i] = S->ro[i].v;
                }
            break;
        case LB_PREV_LOSS:
            if ((t = saved_new(S, k, NB_F64, 0, NULL))) put(t, &S->prev_loss, 1);
            break;
        case LBFGS_NSAVED: break;
        }
        if (!t) return NB_ERROR;
        char name[64];
        snprintf(name, sizeof name, "state.0.%s", lbfgs_names[k]);
        if (nb_state_dict_add(sd, name, t) != NB_OK) return NB_ERROR;
    }
    return NB_OK;
}

/* the values of entry k into out (numel values; NULL entry, wrong count: error naming the entry) */
static nb_status fetch(const nb_state_dict *sd, int k, int64_t numel, double *out) {
    char name[64];
    snprintf(name, sizeof name, "state.0.%s", lbfgs_names[k]);
    nb_tensor *t = nb_state_dict_get(sd, name);
    if (!t || t->numel != numel) {
        nbt_error("nb_optim_load_state_dict: L-BFGS entry '%s' is %s, expected %lld values", name,
                  t ? nbt_shape(t) : "missing", (long long)numel);
        return NB_ERROR;
    }
    return nb_to_doubles(t, out);
}

static nb_status load_extra(nb_optimizer *o, const nb_state_dict *sd) {
    if (!nb_state_dict_get(sd, "state.0.n_iter")) return NB_OK; /* a state dict of a fresh optimizer */
    const nb_lbfgs_opts *op = (const nb_lbfgs_opts *)&o->groups[0].opts;
    lbfgs_state *S = get_state(o, op);
    if (!S) return NB_ERROR;
    int64_t n = S->n;
    nb_tensor *od = nb_state_dict_get(sd, "state.0.old_dirs");
    int64_t num_old = od && od->ndim == 2 ? od->shape[0] : -1;
    if (num_old < 0 || num_old > S->cap) {
        nbt_error(
            "nb_optim_load_state_dict: L-BFGS entry 'state.0.old_dirs' is %s, expected (k, %lld) with k "
            "<= history_size %d",
            od ? nbt_shape(od) : "missing", (long long)n, S->cap);
        return NB_ERROR;
    }
    size_t nb = sizeof(double) * (size_t)(n ? n : 1);
    double *buf = malloc(nb * (size_t)(num_old ? num_old : 1) * 2);
    double v[4];
    nb_status st = buf ? NB_OK : NB_ERROR;
    if (!buf) nbt_error("nb_optim_load_state_dict: out of memory");
    for (int k = 0; st == NB_OK && k < LBFGS_NSAVED; k++) {
        switch (k) {
        case LB_FUNC_EVALS:
        case LB_N_ITER:
            if ((st = fetch(sd, k, 1, v)) == NB_OK)
                *(k == LB_N_ITER ? &S->n_iter : &S->func_evals) = (int)v[0];
            break;
        case LB_D:
        case LB_PREV_FLAT_GRAD: st = fetch(sd, k, n, k == LB_D ? S->d : S->prev_g); break;
        case LB_T:
        case LB_H_DIAG:
            if ((st = fetch(sd, k, 1, v)) == NB_OK) (k == LB_T ? &S->t : &S->H_diag)->v = v[0];
            break;
        case LB_T_IS_TENSOR:
        case LB_H_DIAG_IS_TENSOR:
            if ((st = fetch(sd, k, 1, v)) == NB_OK) (k == LB_T_IS_TENSOR ? &S->t : &S->H_diag)->t = v[0] != 0;
            break;
        case LB_OLD_DIRS:
        case LB_OLD_STPS:
            if ((st = fetch(sd, k, num_old * n, buf)) != NB_OK) break;
            for (int i = 0; i < num_old; i++) {
                double **h = k == LB_OLD_DIRS ? S->dirs : S->stps;
                if (!h[i] && !(h[i] = malloc(nb))) {
                    nbt_error("nb_optim_load_state_dict: out of memory for the L-BFGS history");
                    st = NB_ERROR;
                    break;
                }
                memcpy(h[i], buf + i * n, sizeof(double) * (size_t)n);
            }
            break;
        case LB_RO:
            if ((st = fetch(sd, k, num_old, buf)) == NB_OK)
                for (int i = 0; i < num_old; i++) S->ro[i] = (sc){ buf[i], true };
            break;
        case LB_PREV_LOSS:
            if ((st = fetch(sd, k, 1, v)) == NB_OK) S->prev_loss = v[0];
            break;
        case LBFGS_NSAVED: break;
        }
    }
    free(buf);
    if (st == NB_OK) S->num_old = (int)num_old;
    return st;
}

static const nbo_optim_vt vt = {
    .name = "lbfgs",
    .fn = "nb_lbfgs",
    .opts_size = sizeof(nb_lbfgs_opts),
    .merge = merge,
    .check = check,
    .step_closure = step_closure,
    .free_extra = free_extra,
    .save_extra = save_extra,
    .load_extra = load_extra,
    .single_group = true,
};

nb_optimizer *nb_lbfgs(nb_tensor *const *params, int n, nb_lbfgs_opts o) {
    return nbo_optim_new(&vt, params, n, &o, &torch_default);
}
