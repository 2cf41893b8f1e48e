/* nba_pool.h — what the pooling op files share inside the autograd layer: torch's window geometry
 * (output sizes, argument checks, per-dim window arrays) and the recorded helpers that the 1-d,
 * adaptive and unpool forms reuse. */
#ifndef NBA_POOL_H
#define NBA_POOL_H

#include "nba_tape.h"
#include "nb_kernels_pool.h"

/* The windows of one spatial dim with their (owned) arrays. */
typedef struct {
    nbt_pool_dim d;
    int64_t *start, *end;
    double *fac;
} nba_pdim;
/* Allocate the arrays of n_out windows over n_in positions with the given step (error + false on OOM). */
bool nba_pdim_new(nba_pdim *p, int64_t n_in, int64_t n_out, int64_t step);
/* Free the arrays. */
void nba_pdim_free(nba_pdim *p);
/* torch's pooling_output_shape: floor((in + 2 pad - d (k - 1) - 1 [+ s - 1 if ceil]) / s) + 1, minus one
 * in ceil mode when the last window would start in the right padding. */
int64_t nba_pool_out_size(int64_t in, int64_t k, int64_t pad, int64_t s, int64_t d, bool ceil_mode);
/* torch's pooling checks (float input of 3 or 4 dims, stride, pad <= k/2, kernel, dilation, non-empty
 * planes, output >= 1) with messages naming op; fills out[2] = (OH, OW). */
bool nba_pool2d_check(const char *op, const nb_tensor *x, const int64_t k[2], const int64_t s[2],
                      const int64_t p[2], const int64_t d[2], bool ceil_mode, int64_t out[2]);
/* torch's int-or-pair reading of an options pair: {0, 0} -> (d0, d1); a 0 second entry repeats the first. */
void nba_pool_pair(const int64_t in[2], int64_t d0, int64_t d1, int64_t out[2]);
/* Adaptive windows of out outputs over n inputs (torch's start_index / end_index), step 1. */
bool nba_adaptive_windows(nba_pdim *p, int64_t n, int64_t out);
/* Average pooling with resolved (H, W) arguments (divisor 0: none). */
nb_tensor *nba_avg_pool2d_impl(const char *op, nb_tensor *x, const int64_t k[2], const int64_t s[2],
                               const int64_t p[2], bool ceil_mode, bool include_pad, int64_t divisor);
/* Max pooling with resolved (H, W) arguments (already defaulted); *indices optional. */
nb_tensor *nba_max_pool2d_impl(const char *op, nb_tensor *x, const int64_t k[2], const int64_t s[2],
                               const int64_t p[2], const int64_t d[2], bool ceil_mode, nb_tensor **indices);
/* Recorded dx = zeros(shape) with g added at the plane indices idx (borrowed: must outlive backward);
 * label names the node's grad_fn (NULL: MaxPool2DWithIndicesBackwardBackward0). */
nb_tensor *nba_pool_scatter(nb_tensor *g, nb_tensor *idx, nb_tensor *x, const char *label);
/* y[p, k] = gg[p, idx[p, k]] per (H, W) plane, shape of idx (differentiable: a gather). */
nb_tensor *nba_plane_gather(nb_tensor *gg, nb_tensor *idx);

/* A composite's temporaries: when nothing will be recorded, the composite runs in its own scope and
 * keeps only its result (so no temporaries are left behind, even at top level); when it records,
 * they must live for backward and stay in the caller's scope. */
typedef struct {
    nb_scope s;
    bool on;
} nba_tmp;
static inline nba_tmp nba_tmp_begin(int n, nb_tensor *const *in) {
    nba_tmp t = { 0, !nba_will_record(n, in) };
    if (t.on) t.s = nb_scope_begin();
    return t;
}
/* End what nba_tmp_begin started, keeping y (a new tensor, or NULL); returns y. */
static inline nb_tensor *nba_tmp_end(nba_tmp t, nb_tensor *y) {
    if (t.on) {
        if (y) nb_keep(y);
        nb_scope_end(t.s);
    }
    return y;
}

#endif
