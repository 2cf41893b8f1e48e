/* layers_batchnorm.c — nn.BatchNorm1d / BatchNorm2d and nn.GroupNorm over F.batch_norm /
 * F.group_norm (include/nb_norm.h). BatchNorm keeps torch's buffers (running_mean 0, running_var 1,
 * num_batches_tracked int64) and torch's _BatchNorm.forward: in training the counter is bumped and
 * momentum=None averages cumulatively (factor 1 / num_batches_tracked); eval uses the running
 * statistics, or the batch ones when track_running_stats is off. weight = 1, bias = 0 (no draws). */
#include "nb_nn.h"
#include "nb_norm.h"
#include "nb_internal.h"
#include <math.h>

enum { IP_C, IP_DIMS, IP_CUMULATIVE, IP_AFFINE, IP_TRACK, IP_GROUPS };

static nb_tensor *param(nb_module *m, int i) { return m->ip[IP_AFFINE] ? m->params[i] : NULL; }

static nb_tensor *batch_norm_fw(nb_module *m, nb_tensor *x) {
    if (!nbt_ok(x, "nb_module_forward")) return NULL;
    int nd = x->ndim;
    if (m->ip[IP_DIMS] == 1 && nd != 2 && nd != 3)
        return nbt_error("nb_module_forward: BatchNorm1d: expected 2D or 3D input (got %dD input)", nd);
    if (m->ip[IP_DIMS] == 2 && nd != 4)
        return nbt_error("nb_module_forward: BatchNorm2d: expected 4D input (got %dD input)", nd);
    bool track = m->ip[IP_TRACK];
    double factor = m->ip[IP_CUMULATIVE] ? 0.0 : m->hp[1];
    if (m->training && track) {
        nb_tensor *count = m->buffers[2];
        nb_tensor *ok = NULL;
        NB_NO_GRAD { ok = nb_fill_(count, nb_item(count) + 1); } /* int64: exact below 2^53 */
        if (!ok) return NULL;
        if (m->ip[IP_CUMULATIVE]) factor = 1.0 / nb_item(count);
    }
    nb_batch_norm_opts o = { .training = m->training || !track,
                             .momentum = factor == 0 ? -0.0 : factor,
                             .eps = m->hp[0] };
    nb_tensor *rm = track ? m->buffers[0] : NULL, *rv = track ? m->buffers[1] : NULL;
    return nb_batch_norm(x, rm, rv, param(m, 0), param(m, 1), o);
}

static void batch_norm_repr(const nb_module *m, char *b, size_t n) {
    char mom[32];
    if (m->ip[IP_CUMULATIVE])
        snprintf(mom, sizeof mom, "None");
    else
        snprintf(mom, sizeof mom, "%g", m->hp[1]);
    snprintf(b, n, "%lld, eps=%g, momentum=%s, affine=%s, track_running_stats=%s", (long long)m->ip[IP_C],
             m->hp[0], mom, m->ip[IP_AFFINE] ? "True" : "False", m->ip[IP_TRACK] ? "True" : "False");
}

/* a persistent tensor filled with v, registered as parameter (buffer false) or buffer */
static bool add(nb_module *m, const char *name, nb_dtype dt, int nd, const int64_t *shape, double v,
                bool buffer) {
    nb_tensor *t = nbt_new_persistent(dt, nd, shape);
    if (!t) return false;
    nb_tensor *filled = NULL;
    NB_NO_GRAD { filled = nb_fill_(t, v); }
    if (!filled) {
        nb_free(t);
        return false;
    }
    nb_status st = buffer ? nb_module_register_buffer(m, name, t, true)
                          : nb_module_register_parameter(m, name, t);
    if (st != NB_OK) nb_free(t);
    return st == NB_OK;
}

static nb_module *batch_norm_new(const char *type, int dims, int64_t C, nb_batch_norm_layer_opts o) {
    const char *fn = dims == 1 ? "nb_batch_norm1d_new" : "nb_batch_norm2d_new";
    if (C <= 0) return nbt_error("%s: num_features must be positive (got %lld)", fn, (long long)C);
    if (!(o.eps >= 0) || !isfinite(o.eps))
        return nbt_error("%s: eps must be a finite value >= 0 (got %g)", fn, o.eps);
    if (!isfinite(o.momentum)) return nbt_error("%s: momentum must be finite (got %g)", fn, o.momentum);
    nb_module *m = nb_module_new(type, batch_norm_fw, NULL, NULL);
    if (!m) return NULL;
    m->extra_repr = batch_norm_repr;
    m->hp[0] = o.eps == 0 ? 1e-5 : o.eps;
    m->hp[1] = o.momentum == 0 && !signbit(o.momentum) ? 0.1 : o.momentum;
    m->ip[IP_C] = C;
    m->ip[IP_DIMS] = dims;
    m->ip[IP_CUMULATIVE] = o.cumulative_average;
    m->ip[IP_AFFINE] = !o.no_affine;
    m->ip[IP_TRACK] = !o.no_track_running_stats;
    bool ok = true;
    if (!o.no_affine)
        ok = add(m, "weight", NB_F32, 1, &C, 1.0, false) && add(m, "bias", NB_F32, 1, &C, 0.0, false);
    if (ok && !o.no_track_running_stats)
        ok = add(m, "running_mean", NB_F32, 1, &C, 0.0, true) &&
             add(m, "running_var", NB_F32, 1, &C, 1.0, true) &&
             add(m, "num_batches_tracked", NB_I64, 0, NULL, 0.0, true);
    if (!ok) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}

nb_module *nb_batch_norm1d_new(int64_t num_features, nb_batch_norm_layer_opts o) {
    NBT_API("nb_batch_norm1d_new");
    return batch_norm_new("BatchNorm1d", 1, num_features, o);
}
nb_module *nb_batch_norm2d_new(int64_t num_features, nb_batch_norm_layer_opts o) {
    NBT_API("nb_batch_norm2d_new");
    return batch_norm_new("BatchNorm2d", 2, num_features, o);
}

static nb_tensor *group_norm_fw(nb_module *m, nb_tensor *x) {
    if (nbt_ok(x, "nb_module_forward") && x->ndim >= 2 && x->shape[1] != m->ip[IP_C])
        return nbt_error(
            "nb_module_forward: GroupNorm(%lld, %lld): input %s must have %lld channels in dim 1",
            (long long)m->ip[IP_GROUPS], (long long)m->ip[IP_C], nbt_shape(x), (long long)m->ip[IP_C]);
    return nb_group_norm(x, m->ip[IP_GROUPS], param(m, 0), param(m, 1), m->hp[0]);
}

static void group_norm_repr(const nb_module *m, char *b, size_t n) {
    snprintf(b, n, "%lld, %lld, eps=%g, affine=%s", (long long)m->ip[IP_GROUPS], (long long)m->ip[IP_C],
             m->hp[0], m->ip[IP_AFFINE] ? "True" : "False");
}

nb_module *nb_group_norm_new(int64_t num_groups, int64_t num_channels, nb_group_norm_layer_opts o) {
    NBT_API("nb_group_norm_new");
    const char *fn = "nb_group_norm_new";
    if (num_groups <= 0 || num_channels <= 0)
        return nbt_error("%s: num_groups and num_channels must be positive (got %lld, %lld)", fn,
                         (long long)num_groups, (long long)num_channels);
    if (num_channels % num_groups)
        return nbt_error("%s: num_channels must be divisible by num_groups (got %lld, %lld)", fn,
                         (long long)num_channels, (long long)num_groups);
    if (!(o.eps >= 0) || !isfinite(o.eps))
        return nbt_error("%s: eps must be a finite value >= 0 (got %g)", fn, o.eps);
    nb_module *m = nb_module_new("GroupNorm", group_norm_fw, NULL, NULL);
    if (!m) return NULL;
    m->extra_repr = group_norm_repr;
    m->hp[0] = o.eps == 0 ? 1e-5 : o.eps;
    m->ip[IP_C] = num_channels;
    m->ip[IP_GROUPS] = num_groups;
    m->ip[IP_AFFINE] = !o.no_affine;
    if (!o.no_affine && !(add(m, "weight", NB_F32, 1, &num_channels, 1.0, false) &&
                          add(m, "bias", NB_F32, 1, &num_channels, 0.0, false))) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}
