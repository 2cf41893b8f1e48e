/* lbfgs.c — torch.optim.LBFGS ported line by line from torch/optim/lbfgs.py (1.13): two-loop
 * recursion over at most history_size (y, s) pairs, first step t = min(1, 1/|g|_1) lr, optional
 * strong-Wolfe line search (_cubic_interpolate, _strong_wolfe), the same stopping tests.
 * Vectors are flat doubles over all parameters (one dtype); f32 parameters are updated in f32. */
#include "nbi_optim.h"
#include <stdlib.h>

static const nb_lbfgs_opts torch_default = { .lr = 1, .max_iter = 20, .tolerance_grad = 1e-7,
                                             .tolerance_change = 1e-9, .history_size = 100 };

typedef struct {
    int64_t n;
    double *d, *g, *prev_g, *q, *x0, *gn, *gp, *bg[2], *gtmp;   /* n each */
    double **dirs, **stps, *ro, *al;       /* history, oldest first; history_size slots */
    int num_old, cap;
    double t, H_diag, prev_loss;
    int n_iter, func_evals;
} lbfgs_state;

static void merge(void *dd, const void *uu, const void *bb) {
    nb_lbfgs_opts *dst = dd;
    const nb_lbfgs_opts *u = uu, *b = bb;
    *dst = *u;
    NBI_PICK(lr); NBI_PICK(max_iter); NBI_PICK(tolerance_grad); NBI_PICK(tolerance_change);
    NBI_PICK(history_size); NBI_PICK(line_search_fn);
    dst->max_eval = u->max_eval ? u->max_eval : (u->max_iter ? dst->max_iter * 5 / 4 : b->max_eval);
    if (!dst->max_eval) dst->max_eval = dst->max_iter * 5 / 4;
}

static nb_status check(const void *oo, const char *fn) {
    const nb_lbfgs_opts *o = oo;
    if (!(o->lr >= 0) || o->max_iter < 1 || o->max_eval < 1 || o->history_size < 1 ||
        (o->line_search_fn != NB_LINE_SEARCH_NONE && o->line_search_fn != NB_LINE_SEARCH_STRONG_WOLFE)) {
        nbi_error("%s: invalid options lr %g, max_iter %d, max_eval %d, history_size %d, line_search_fn %d", fn, o->lr,
                  o->max_iter, o->max_eval, o->history_size, (int)o->line_search_fn);
        return NB_ERROR;
    }
    return NB_OK;
}

static void free_extra(nb_optimizer *o) {
    lbfgs_state *S = o->extra;
    if (!S) return;
    free(S->d);
    for (int i = 0; i < S->cap; i++) { free(S->dirs[i]); free(S->stps[i]); }
    free(S->dirs); free(S->stps); free(S->ro); free(S->al);
    free(S);
    o->extra = NULL;
}

static lbfgs_state *get_state(nb_optimizer *o, const nb_lbfgs_opts *op) {
    if (o->extra) return o->extra;
    int64_t n = nbi_flat_numel(o, "nb_lbfgs");
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
        S->ro = calloc((size_t)S->cap, sizeof(double));
        S->al = calloc((size_t)S->cap, sizeof(double));
    }
    o->extra = S;
    if (!S || !S->d || !S->dirs || !S->stps || !S->ro || !S->al) {
        free_extra(o);
        return nbi_error("nb_lbfgs: out of memory for %lld parameters", (long long)n);
    }
    S->n = n;
    S->H_diag = 1;
    return S;
}

/* torch's CPU kernels (AVX2 build) contract multiply-adds: dot is a sequential fma chain
 * (OpenBLAS ddot for short vectors) and add_(x, alpha) is fma(alpha, x, self). Mirroring that
 * keeps nabla on torch's iterates on ill-conditioned problems such as Rosenbrock. */
static double dot(const double *a, const double *b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s = fma(a[i], b[i], s);
    return s;
}
/* sum |a| in torch's order: 4-lane vectors, 4 vector accumulators, scalar tail first
 * (exact torch order for fewer than 256 elements, the cascade levels above are not modelled) */
static double abs_sum(const double *a, int64_t n) {
    int64_t nvec = n / 4, nilp = nvec / 4;
    double acc[4][4] = { { 0 } };
    for (int64_t i = 0; i < nilp; i++)
        for (int k = 0; k < 4; k++)
            for (int l = 0; l < 4; l++) acc[k][l] += fabs(a[(i * 4 + k) * 4 + l]);
    for (int64_t v = nilp * 4; v < nvec; v++)
        for (int l = 0; l < 4; l++) acc[0][l] += fabs(a[v * 4 + l]);
    for (int k = 1; k < 4; k++)
        for (int l = 0; l < 4; l++) acc[0][l] += acc[k][l];
    double f = 0;
    for (int64_t k = nvec * 4; k < n; k++) f += fabs(a[k]);
    for (int l = 0; l < 4; l++) f += acc[0][l];
    return f;
}
static double absmax(const double *a, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fabs(a[i]) > m || isnan(a[i]) ? fabs(a[i]) : m;
    return m;
}

/* loss at x + t d and its flat grad into g; parameters are restored to x afterwards */
static double dir_eval(nb_optimizer *o, nb_closure c, void *ctx, const double *x, double t, const double *d, double *g) {
    nbi_flat_set(o, d, t, true);
    bool prev = nb_set_grad_enabled(true);
    double loss = c(ctx);
    nb_set_grad_enabled(prev);
    nbi_flat_get(o, g, true);
    nbi_flat_set(o, x, 0, false);
    return loss;
}

static double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2, const double *bounds) {
    double lo, hi;
    if (bounds) { lo = bounds[0]; hi = bounds[1]; }
    else if (x1 <= x2) { lo = x1; hi = x2; }
    else { lo = x2; hi = x1; }
    double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    double d2_square = d1 * d1 - g1 * g2;
    if (d2_square >= 0) {
        double d2 = sqrt(d2_square), min_pos;
        if (x1 <= x2) min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
        else min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
        return fmin(fmax(min_pos, lo), hi);
    }
    return (lo + hi) / 2.;
}

/* torch's _strong_wolfe; on return S->g holds the chosen grad, *f_out the loss, *t_io the step */
static int strong_wolfe(nb_optimizer *o, lbfgs_state *S, nb_closure c, void *ctx, double *t_io, double f, double gtd,
                        double tol_change, double *f_out) {
    const double c1 = 1e-4, c2 = 0.9;
    const int max_ls = 25;
    int64_t n = S->n;
    size_t nb = sizeof(double) * (size_t)n;
    double *d = S->d, *x = S->x0, *g = S->g;   /* g: grad at t = 0 (kept) */
    double t = *t_io;
    double d_norm = absmax(d, n);
    double f_new = dir_eval(o, c, ctx, x, t, d, S->gn);
    int ls_func_evals = 1;
    double gtd_new = dot(S->gn, d, n);
    double t_prev = 0, f_prev = f, gtd_prev = gtd;
    memcpy(S->gp, g, nb);
    bool done = false;
    int ls_iter = 0;
    double br[2], brf[2], brgtd[2] = { 0, 0 };
    int blen = 0;
    /* bracket grads live in S->bg[0], S->bg[1] */
    while (ls_iter < max_ls) {
        if (f_new > (f + c1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
            br[0] = t_prev; br[1] = t; brf[0] = f_prev; brf[1] = f_new; brgtd[0] = gtd_prev; brgtd[1] = gtd_new;
            memcpy(S->bg[0], S->gp, nb); memcpy(S->bg[1], S->gn, nb);
            blen = 2;
            break;
        }
        if (fabs(gtd_new) <= -c2 * gtd) {
            br[0] = br[1] = t; brf[0] = brf[1] = f_new;
            memcpy(S->bg[0], S->gn, nb);
            blen = 1;
            done = true;
            break;
        }
        if (gtd_new >= 0) {
            br[0] = t_prev; br[1] = t; brf[0] = f_prev; brf[1] = f_new; brgtd[0] = gtd_prev; brgtd[1] = gtd_new;
            memcpy(S->bg[0], S->gp, nb); memcpy(S->bg[1], S->gn, nb);
            blen = 2;
            break;
        }
        double bounds[2] = { t + 0.01 * (t - t_prev), t * 10 };
        double tmp = t;
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds);
        t_prev = tmp;
        f_prev = f_new;
        memcpy(S->gp, S->gn, nb);
        gtd_prev = gtd_new;
        f_new = dir_eval(o, c, ctx, x, t, d, S->gn);
        ls_func_evals++;
        gtd_new = dot(S->gn, d, n);
        ls_iter++;
    }
    if (ls_iter == max_ls) {
        br[0] = 0; br[1] = t; brf[0] = f; brf[1] = f_new;
        memcpy(S->bg[0], g, nb); memcpy(S->bg[1], S->gn, nb);
        blen = 2;
    }
    bool insuf_progress = false;
    int low = brf[0] <= brf[blen - 1] ? 0 : 1, high = 1 - low;
    while (!done && ls_iter < max_ls) {
        if (fabs(br[1] - br[0]) * d_norm < tol_change) break;
        t = cubic_interpolate(br[0], brf[0], brgtd[0], br[1], brf[1], brgtd[1], NULL);
        double bmax = fmax(br[0], br[1]), bmin = fmin(br[0], br[1]);
        double eps = 0.1 * (bmax - bmin);
        if (fmin(bmax - t, t - bmin) < eps) {
            if (insuf_progress || t >= bmax || t <= bmin) {
                t = fabs(t - bmax) < fabs(t - bmin) ? bmax - eps : bmin + eps;
                insuf_progress = false;
            } else {
                insuf_progress = true;
            }
        } else {
            insuf_progress = false;
        }
        f_new = dir_eval(o, c, ctx, x, t, d, S->gn);
        ls_func_evals++;
        gtd_new = dot(S->gn, d, n);
        ls_iter++;
        if (f_new > (f + c1 * t * gtd) || f_new >= brf[low]) {
            br[high] = t; brf[high] = f_new; memcpy(S->bg[high], S->gn, nb); brgtd[high] = gtd_new;
            low = brf[0] <= brf[1] ? 0 : 1;
            high = 1 - low;
        } else {
            if (fabs(gtd_new) <= -c2 * gtd) {
                done = true;
            } else if (gtd_new * (br[high] - br[low]) >= 0) {
                br[high] = br[low]; brf[high] = brf[low]; memcpy(S->bg[high], S->bg[low], nb); brgtd[high] = brgtd[low];
            }
            br[low] = t; brf[low] = f_new; memcpy(S->bg[low], S->gn, nb); brgtd[low] = gtd_new;
        }
    }
    *t_io = br[low];
    *f_out = brf[low];
    memcpy(S->g, S->bg[low], nb);
    return ls_func_evals;
}

static nb_status step_closure(nb_optimizer *o, nb_closure c, void *ctx, double *loss_out) {
    const nb_lbfgs_opts *op = (const nb_lbfgs_opts *)o->groups[0].opts;
    lbfgs_state *S = get_state(o, op);
    if (!S) return NB_ERROR;
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
    nbi_flat_get(o, S->g, true);
    bool opt_cond = absmax(S->g, n) <= op->tolerance_grad;
    if (opt_cond) return NB_OK;
    double *d = S->d, *g = S->g, t = S->t;
    int n_iter = 0;
    while (n_iter < op->max_iter) {
        n_iter++;
        S->n_iter++;
        if (S->n_iter == 1) {
            for (int64_t i = 0; i < n; i++) d[i] = -g[i];
            S->num_old = 0;
            S->H_diag = 1;
        } else {
            /* y = g - prev_g, s = d t; kept in the history only when y.s > 1e-10 */
            double *y = S->q, *s = S->gtmp;
            for (int64_t i = 0; i < n; i++) { y[i] = g[i] - S->prev_g[i]; s[i] = d[i] * t; }
            double ys = dot(y, s, n);
            if (ys > 1e-10) {
                if (S->num_old == S->cap) {   /* pop the oldest, reuse its buffers */
                    double *y0 = S->dirs[0], *s0 = S->stps[0];
                    memmove(S->dirs, S->dirs + 1, sizeof(double *) * (size_t)(S->cap - 1));
                    memmove(S->stps, S->stps + 1, sizeof(double *) * (size_t)(S->cap - 1));
                    memmove(S->ro, S->ro + 1, sizeof(double) * (size_t)(S->cap - 1));
                    S->num_old--;
                    S->dirs[S->num_old] = y0;
                    S->stps[S->num_old] = s0;
                }
                int k = S->num_old;
                if (!S->dirs[k]) S->dirs[k] = malloc(nb ? nb : 1);
                if (!S->stps[k]) S->stps[k] = malloc(nb ? nb : 1);
                if (!S->dirs[k] || !S->stps[k]) { nbi_error("nb_lbfgs: out of memory for the history"); return NB_ERROR; }
                memcpy(S->dirs[k], y, nb);
                memcpy(S->stps[k], s, nb);
                S->ro[k] = 1. / ys;
                S->H_diag = ys / dot(y, y, n);
                S->num_old++;
            }
            int num_old = S->num_old;
            double *q = S->q;
            for (int64_t i = 0; i < n; i++) q[i] = -g[i];
            for (int i = num_old - 1; i >= 0; i--) {
                S->al[i] = dot(S->stps[i], q, n) * S->ro[i];
                double a = -S->al[i];
                for (int64_t j = 0; j < n; j++) q[j] = fma(a, S->dirs[i][j], q[j]);
            }
            for (int64_t j = 0; j < n; j++) d[j] = q[j] * S->H_diag;
            for (int i = 0; i < num_old; i++) {
                double be_i = dot(S->dirs[i], d, n) * S->ro[i];
                double a = S->al[i] - be_i;
                for (int64_t j = 0; j < n; j++) d[j] = fma(a, S->stps[i][j], d[j]);
            }
        }
        memcpy(S->prev_g, g, nb);
        S->prev_loss = loss;
        if (S->n_iter == 1) {
            t = fmin(1., 1. / abs_sum(g, n)) * op->lr;
        } else {
            t = op->lr;
        }
        double gtd = dot(g, d, n);
        if (gtd > -op->tolerance_change) break;
        int ls_func_evals = 0;
        if (op->line_search_fn == NB_LINE_SEARCH_STRONG_WOLFE) {
            nbi_flat_get(o, S->x0, false);
            ls_func_evals = strong_wolfe(o, S, c, ctx, &t, loss, gtd, op->tolerance_change, &loss);
            nbi_flat_set(o, d, t, true);
            opt_cond = absmax(g, n) <= op->tolerance_grad;
        } else {
            nbi_flat_set(o, d, t, true);
            if (n_iter != op->max_iter) {
                bool pg = nb_set_grad_enabled(true);
                loss = c(ctx);
                nb_set_grad_enabled(pg);
                nbi_flat_get(o, g, true);
                opt_cond = absmax(g, n) <= op->tolerance_grad;
                ls_func_evals = 1;
            }
        }
        if (isnan(loss) && nb_error()) { S->t = t; return NB_ERROR; }
        current_evals += ls_func_evals;
        S->func_evals += ls_func_evals;
        if (n_iter == op->max_iter) break;
        if (current_evals >= op->max_eval) break;
        if (opt_cond) break;
        if (absmax(d, n) * fabs(t) <= op->tolerance_change) break;
        if (fabs(loss - S->prev_loss) < op->tolerance_change) break;
    }
    S->t = t;
    return NB_OK;
}

static const nbi_optim_vt vt = {
    .name = "lbfgs", .fn = "nb_lbfgs", .opts_size = sizeof(nb_lbfgs_opts),
    .merge = merge, .check = check, .step_closure = step_closure, .free_extra = free_extra, .single_group = true,
};

nb_optimizer *nb_lbfgs(nb_tensor *const *params, int n, nb_lbfgs_opts o) {
    return nbi_optim_new(&vt, params, n, &o, &torch_default);
}
