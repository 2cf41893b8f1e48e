/* newton.c — second-order methods torch does not ship, for the course's Newton lecture:
 * Newton (exact Hessian of the flattened parameters by double backward, optional |H| fix via a
 * symmetric eigendecomposition), Newton-CG (conjugate gradient on Hessian-vector products) and
 * diagonal preconditioning (exact diag(H)). All compute in f64 and step p -= lr d. */
#include "nbo_optim.h"
#include <stb_ds.h>
#include <stdlib.h>

typedef struct {
    int64_t n;
    double *g, *d, *H, *V, *w, *r, *p, *hv;
    nb_tensor **ts;
} newton_ws;

static void free_extra(nb_optimizer *o) {
    newton_ws *W = o->extra;
    if (!W) return;
    free(W->g);
    free(W->ts);
    free(W);
    o->extra = NULL;
}

/* workspace: g, d, r, p, hv, w (n each), H and V (n*n, only when full) */
static newton_ws *workspace(nb_optimizer *o, bool full, const char *fn) {
    if (o->extra) return o->extra;
    int64_t n = nbo_flat_numel(o, fn);
    if (n < 0) return NULL;
    if (full && n > 4096)
        return nbt_error("%s: %lld parameter elements is too many for a dense Hessian; use nb_newton_cg", fn,
                         (long long)n);
    newton_ws *W = calloc(1, sizeof *W);
    size_t m = (size_t)(n ? n : 1);
    if (W) W->g = malloc(sizeof(double) * (6 * m + (full ? 2 * m * m : 0)));
    if (W) W->ts = calloc(arrlen(o->params) + 1, sizeof(nb_tensor *)); /* per-parameter grads */
    if (!W || !W->g || !W->ts) {
        if (W) {
            free(W->g);
            free(W->ts);
        }
        free(W);
        return nbt_error("%s: out of memory", fn);
    }
    W->n = n;
    W->d = W->g + m;
    W->r = W->d + m;
    W->p = W->r + m;
    W->hv = W->p + m;
    W->w = W->hv + m;
    if (full) {
        W->H = W->w + m;
        W->V = W->H + m * m;
    }
    o->extra = W;
    return W;
}

/* flat gradient of L with its graph (create_graph), inside the caller's scope; NULL on error */
static nb_tensor *flat_grad_graph(nb_optimizer *o, newton_ws *W, nb_tensor *L) {
    int np = (int)arrlen(o->params);
    nb_tensor **gs = W->ts, *G = NULL;
    if (nb_grad(1, &L, np, o->params, NULL, gs,
                (nb_grad_opts){ .create_graph = true, .allow_unused = true }) == NB_OK) {
        for (int i = 0; i < np; i++)
            gs[i] = gs[i] ? nb_reshape(gs[i], NB_SHAPE(-1))
                          : nb_zeros(o->params[i]->dtype, NB_SHAPE(o->params[i]->numel));
        G = nb_cat(np, gs, 0);
    }
    return G;
}

/* hv = d(G . v)/d(params) (a Hessian-vector product), flat, in its own scope */
static nb_status hvp(nb_optimizer *o, newton_ws *W, nb_tensor *G, const double *v, double *hv, int64_t n) {
    memset(hv, 0, sizeof(double) * (size_t)n);
    if (!G->requires_grad) return NB_OK; /* gradient is constant: H = 0 */
    int np = (int)arrlen(o->params);
    nb_tensor **hs = W->ts;
    nb_scope s = nb_scope_begin();
    nb_tensor *V = nb_empty(G->dtype, NB_SHAPE(n));
    for (int64_t j = 0; j < n; j++) {
        if (G->dtype == NB_F32)
            ((float *)nbt_ptr(V))[j] = (float)v[j];
        else
            ((double *)nbt_ptr(V))[j] = v[j];
    }
    nb_status st = nb_grad(1, &G, np, o->params, &V, hs,
                           (nb_grad_opts){ .retain_graph = true, .allow_unused = true });
    int64_t off = 0;
    for (int i = 0; st == NB_OK && i < np; i++) {
        if (hs[i]) st = nb_to_doubles(hs[i], hv + off);
        off += o->params[i]->numel;
    }
    nb_scope_end(s);
    return st;
}

/* cyclic Jacobi eigendecomposition of symmetric A (n x n, destroyed): eigenvalues on A's diagonal, V columns */
static void jacobi_eig(double *A, double *V, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) V[i * n + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = i + 1; j < n; j++) off += A[i * n + j] * A[i * n + j];
        if (off < 1e-300) break;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) {
                double apq = A[p * n + q];
                if (apq == 0) continue;
                double theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int64_t k = 0; k < n; k++) { /* A = J^T A J */
                    double akp = A[k * n + p], akq = A[k * n + q];
                    A[k * n + p] = c * akp - s * akq;
                    A[k * n + q] = s * akp + c * akq;
                }
                for (int64_t k = 0; k < n; k++) {
                    double apk = A[p * n + k], aqk = A[q * n + k];
                    A[p * n + k] = c * apk - s * aqk;
                    A[q * n + k] = s * apk + c * aqk;
                }
                for (int64_t k = 0; k < n; k++) {
                    double vkp = V[k * n + p], vkq = V[k * n + q];
                    V[k * n + p] = c * vkp - s * vkq;
                    V[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
}

/* solve A x = b by Gaussian elimination with partial pivoting (A, b destroyed); false if singular */
static bool solve(double *A, double *b, double *x, int64_t n) {
    for (int64_t k = 0; k < n; k++) {
        int64_t piv = k;
        for (int64_t i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[piv * n + k])) piv = i;
        if (A[piv * n + k] == 0) return false;
        if (piv != k) {
            for (int64_t j = 0; j < n; j++) {
                double t = A[k * n + j];
                A[k * n + j] = A[piv * n + j];
                A[piv * n + j] = t;
            }
            double t = b[k];
            b[k] = b[piv];
            b[piv] = t;
        }
        for (int64_t i = k + 1; i < n; i++) {
            double f = A[i * n + k] / A[k * n + k];
            for (int64_t j = k; j < n; j++) A[i * n + j] -= f * A[k * n + j];
            b[i] -= f * b[k];
        }
    }
    for (int64_t i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int64_t j = i + 1; j < n; j++) s -= A[i * n + j] * x[j];
        x[i] = s / A[i * n + i];
    }
    return true;
}

typedef enum { M_FULL, M_CG, M_DIAG } method;

/* compute the direction d (p -= lr d) for the chosen method at the current parameters */
static nb_status direction(nb_optimizer *o, newton_ws *W, nb_tensor *G, method m) {
    int64_t n = W->n;
    const char *fn = o->vt->fn;
    if (m == M_FULL || m == M_DIAG) {
        const nb_newton_opts *op = (const nb_newton_opts *)&o->groups[0].opts;
        const nb_diag_newton_opts *dp = (const nb_diag_newton_opts *)&o->groups[0].opts;
        for (int64_t k = 0; k < n; k++) { /* row k of H: H e_k */
            memset(W->w, 0, sizeof(double) * (size_t)n);
            W->w[k] = 1;
            if (hvp(o, W, G, W->w, W->hv, n) != NB_OK) return NB_ERROR;
            if (m == M_DIAG) {
                double h = dp->abs_hessian ? fabs(W->hv[k]) : W->hv[k];
                h += dp->eps;
                if (h == 0) {
                    nbt_error("%s: diagonal Hessian entry %lld is 0; set .eps", fn, (long long)k);
                    return NB_ERROR;
                }
                W->d[k] = W->g[k] / h;
            } else {
                memcpy(W->H + k * n, W->hv, sizeof(double) * (size_t)n);
            }
        }
        if (m == M_DIAG) return NB_OK;
        for (int64_t i = 0; i < n; i++) /* symmetrize (double backward rounding) and damp */
            for (int64_t j = i; j < n; j++) {
                double h = 0.5 * (W->H[i * n + j] + W->H[j * n + i]);
                W->H[i * n + j] = W->H[j * n + i] = h + (i == j ? op->damping : 0);
            }
        if (op->abs_hessian) {
            jacobi_eig(W->H, W->V, n); /* d = V |L|^-1 V^T g */
            for (int64_t k = 0; k < n; k++) {
                double lam = fabs(W->H[k * n + k]), s = 0;
                if (lam == 0) {
                    nbt_error("%s: the Hessian is singular (eigenvalue 0); add .damping", fn);
                    return NB_ERROR;
                }
                for (int64_t i = 0; i < n; i++) s += W->V[i * n + k] * W->g[i];
                W->w[k] = s / lam;
            }
            for (int64_t i = 0; i < n; i++) {
                double s = 0;
                for (int64_t k = 0; k < n; k++) s += W->V[i * n + k] * W->w[k];
                W->d[i] = s;
            }
            return NB_OK;
        }
        memcpy(W->w, W->g, sizeof(double) * (size_t)n);
        if (!solve(W->H, W->w, W->d, n)) {
            nbt_error("%s: the Hessian is singular; add .damping or use .abs_hessian", fn);
            return NB_ERROR;
        }
        return NB_OK;
    }
    /* conjugate gradient on (H + damping) d = g, stopping at non-positive curvature */
    const nb_newton_cg_opts *cp = (const nb_newton_cg_opts *)&o->groups[0].opts;
    int maxit = cp->cg_max_iter > 0 ? cp->cg_max_iter : (int)(n < 1000000 ? n : 1000000);
    memset(W->d, 0, sizeof(double) * (size_t)n);
    memcpy(W->r, W->g, sizeof(double) * (size_t)n);
    memcpy(W->p, W->g, sizeof(double) * (size_t)n);
    double rr = 0, gg;
    for (int64_t i = 0; i < n; i++) rr += W->r[i] * W->r[i];
    gg = rr;
    for (int it = 0; it < maxit && rr > cp->cg_tol * cp->cg_tol * gg; it++) {
        if (hvp(o, W, G, W->p, W->hv, n) != NB_OK) return NB_ERROR;
        double pHp = 0;
        for (int64_t i = 0; i < n; i++) {
            W->hv[i] += cp->damping * W->p[i];
            pHp += W->p[i] * W->hv[i];
        }
        if (pHp <= 0) { /* negative curvature: keep d, or fall back to the gradient at the first iteration */
            if (it == 0) memcpy(W->d, W->g, sizeof(double) * (size_t)n);
            break;
        }
        double alpha = rr / pHp, rr2 = 0;
        for (int64_t i = 0; i < n; i++) {
            W->d[i] += alpha * W->p[i];
            W->r[i] -= alpha * W->hv[i];
            rr2 += W->r[i] * W->r[i];
        }
        double beta = rr2 / rr;
        for (int64_t i = 0; i < n; i++) W->p[i] = W->r[i] + beta * W->p[i];
        rr = rr2;
    }
    return NB_OK;
}

static nb_status step_loss_m(nb_optimizer *o, nb_loss_fn fn, void *ctx, double *loss, method m) {
    newton_ws *W = workspace(o, m == M_FULL, o->vt->fn);
    if (!W) return NB_ERROR;
    double lr;
    memcpy(&lr, &o->groups[0].opts, sizeof lr);
    nb_optim_zero_grad(o);
    bool prev = nb_set_grad_enabled(true);
    nb_scope s = nb_scope_begin();
    nb_status st = NB_ERROR;
    nb_tensor *L = fn(ctx);
    if (loss) *loss = L ? nb_item(L) : NAN;
    nb_tensor *G = L ? flat_grad_graph(o, W, L) : NULL;
    if (!L && !nb_error()) nbt_error("%s: the loss function returned NULL", o->vt->fn);
    if (G && nb_to_doubles(G, W->g) == NB_OK && direction(o, W, G, m) == NB_OK) st = NB_OK;
    nb_scope_end(s);
    nb_set_grad_enabled(prev);
    if (st == NB_OK) nbo_flat_set(o, W->d, -lr, true);
    return st;
}
static nb_status step_full(nb_optimizer *o, nb_loss_fn fn, void *c, double *l) {
    return step_loss_m(o, fn, c, l, M_FULL);
}
static nb_status step_cg(nb_optimizer *o, nb_loss_fn fn, void *c, double *l) {
    return step_loss_m(o, fn, c, l, M_CG);
}
static nb_status step_diag(nb_optimizer *o, nb_loss_fn fn, void *c, double *l) {
    return step_loss_m(o, fn, c, l, M_DIAG);
}

/* ---- options ---- */
static const nb_newton_opts newton_default = { .lr = 1 };
static void merge_newton(void *dd, const void *uu, const void *bb) {
    nb_newton_opts *dst = dd;
    const nb_newton_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(abs_hessian);
    NBO_PICK(damping);
}
static const nb_newton_cg_opts cg_default = { .lr = 1, .cg_tol = 1e-10 };
static void merge_cg(void *dd, const void *uu, const void *bb) {
    nb_newton_cg_opts *dst = dd;
    const nb_newton_cg_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(cg_max_iter);
    NBO_PICK(cg_tol);
    NBO_PICK(damping);
}
static const nb_diag_newton_opts diag_default = { .lr = 1 };
static void merge_diag(void *dd, const void *uu, const void *bb) {
    nb_diag_newton_opts *dst = dd;
    const nb_diag_newton_opts *u = uu, *b = bb;
    *dst = *u;
    NBO_PICK(lr);
    NBO_PICK(abs_hessian);
    NBO_PICK(eps);
}

static const nbo_optim_vt newton_vt = {
    .name = "newton",
    .fn = "nb_newton",
    .opts_size = sizeof(nb_newton_opts),
    .merge = merge_newton,
    .step_loss = step_full,
    .free_extra = free_extra,
    .single_group = true,
};
static const nbo_optim_vt cg_vt = {
    .name = "newton_cg",
    .fn = "nb_newton_cg",
    .opts_size = sizeof(nb_newton_cg_opts),
    .merge = merge_cg,
    .step_loss = step_cg,
    .free_extra = free_extra,
    .single_group = true,
};
static const nbo_optim_vt diag_vt = {
    .name = "diag_newton",
    .fn = "nb_diag_newton",
    .opts_size = sizeof(nb_diag_newton_opts),
    .merge = merge_diag,
    .step_loss = step_diag,
    .free_extra = free_extra,
    .single_group = true,
};

nb_optimizer *nb_newton(nb_tensor *const *params, int n, nb_newton_opts o) {
    return nbo_optim_new(&newton_vt, params, n, &o, &newton_default);
}
nb_optimizer *nb_newton_cg(nb_tensor *const *params, int n, nb_newton_cg_opts o) {
    return nbo_optim_new(&cg_vt, params, n, &o, &cg_default);
}
nb_optimizer *nb_diag_newton(nb_tensor *const *params, int n, nb_diag_newton_opts o) {
    return nbo_optim_new(&diag_vt, params, n, &o, &diag_default);
}
