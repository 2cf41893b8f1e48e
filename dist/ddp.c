/* ddp.c — DistributedDataParallel (torch.nn.parallel.DistributedDataParallel) as a wrapper module.
 * Construction checks the model across ranks and copies rank 0's parameters and buffers to all (and,
 * with broadcast_buffers, rank 0's buffers again before each forward that follows a synced one);
 * gradients are then averaged during backward: a post accumulate grad hook copies each finished
 * .grad, times 1/W (torch divides while copying), into its bucket, and when a bucket is full, it and
 * every full bucket after it in bucket order start an MPI_Iallreduce (so every rank starts the same
 * reductions in the same order); each hook also polls the started ones (MPI progresses only inside
 * MPI calls). The hook of the last gradient waits for those, reduces the buckets still unstarted with
 * a blocking MPI_Allreduce (nothing is left to hide it behind) and copies the sums back into .grad.
 * Buckets hold parameters in reverse order (the order backward produces gradients), per dtype,
 * closed at first_bucket_mb (1 MiB) for the first and bucket_cap_mb (25) after: torch's layout after
 * its first iteration, which it rebuilds from the observed order (nabla uses reverse order from the
 * start). */
#include "dist_internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct ddp ddp;
typedef struct {
    ddp *d;
    int param;
} hook_ctx;

typedef struct {
    nb_dtype dtype;
    int64_t numel;
    int nmembers, pending;
    char *buf; /* the flat gradient buffer, numel elements of dtype */
    bool launched, done;
#if NB_HAVE_MPI
    MPI_Request req;
#endif
} bucket;

struct ddp {
    nb_module *inner; /* borrowed: the wrapper owns it as child "module" */
    int np;
    nb_tensor **params; /* the parameters that require grad, in module order */
    char **names;
    int *bucket_of;
    int64_t *offset_of; /* element offset of each parameter in its bucket */
    int64_t *handles;
    bool *ready; /* parameter i's gradient is in its bucket (this backward) */
    hook_ctx *ctx;
    int nb;
    bucket *buckets;
    int next_launch, ndone, nready; /* buckets started, finished, with all their gradients */
    bool sync;                      /* require_backward_grad_sync */
    bool expect;                    /* a synced forward ran: its backward reduces */
    bool any_ready;                 /* a hook of the current backward has fired */
    bool broadcast_buffers;
    bool forward_sync; /* torch's require_forward_param_sync: the next forward syncs buffers */
    int nbuf;          /* buffers of the module (all, persistent or not), named at construction */
    char **buf_names;
    int64_t flat_n[3]; /* buffer elements per dtype (f32, f64, i64) */
    char *flat[3];     /* their coalesced copy, broadcast from rank 0 */
    int world;
    nb_ddp_stats st;
};

static const char *TYPE = "DistributedDataParallel";

static ddp *impl_of(nb_module *m, const char *api) {
    if (!m || !m->type || strcmp(m->type, TYPE) != 0 || !m->impl) {
        nbt_error("%s: not a DistributedDataParallel module (wrap one with nb_distributed_data_parallel)",
                  api);
        return NULL;
    }
    return m->impl;
}

static void ddp_free(void *p) {
    ddp *d = p;
    if (!d) return;
    for (int i = 0; i < d->np; i++) {
        if (d->handles) nb_remove_hook(d->handles[i]);
        if (d->names) free(d->names[i]);
    }
#if NB_HAVE_MPI
    for (int b = 0; b < d->nb; b++) /* a reduction left running (backward failed): finish it */
        if (d->buckets[b].launched && !d->buckets[b].done) MPI_Wait(&d->buckets[b].req, MPI_STATUS_IGNORE);
#endif
    for (int b = 0; b < d->nb; b++) free(d->buckets[b].buf);
    for (int i = 0; i < d->nbuf && d->buf_names; i++) free(d->buf_names[i]);
    free(d->buf_names);
    for (int t = 0; t < 3; t++) free(d->flat[t]);
    free(d->buckets);
    free(d->params);
    free(d->names);
    free(d->bucket_of);
    free(d->offset_of);
    free(d->handles);
    free(d->ready);
    free(d->ctx);
    free(d);
}

/* ---- the reduction ---------------------------------------------------------------------------- */

/* a new backward: every bucket waits for all its gradients again */
static void reset(ddp *d) {
    for (int b = 0; b < d->nb; b++) {
        d->buckets[b].pending = d->buckets[b].nmembers;
        d->buckets[b].launched = d->buckets[b].done = false;
    }
    for (int i = 0; i < d->np; i++) d->ready[i] = false;
    d->next_launch = d->ndone = d->nready = 0;
    d->any_ready = false;
}

#if NB_HAVE_MPI
static nb_status launch_ready(ddp *d) {
    for (; d->next_launch < d->nb && d->buckets[d->next_launch].pending == 0; d->next_launch++) {
        bucket *k = &d->buckets[d->next_launch];
        if (nbd_mpi_ok(MPI_Iallreduce(MPI_IN_PLACE, k->buf, (int)k->numel, nbd_mpi_type(k->dtype), MPI_SUM,
                                      nbd_dist_comm, &k->req),
                       "nb_backward (DDP gradient reduction)") != NB_OK)
            return NB_ERROR;
        k->launched = true;
        d->st.early_launched++; /* only called while backward still computes */
    }
    return NB_OK;
}

/* test the started reductions (this is what makes them progress) */
static nb_status poll(ddp *d) {
    for (int b = d->ndone; b < d->next_launch; b++) {
        bucket *k = &d->buckets[b];
        if (k->done) continue;
        int flag = 0;
        if (nbd_mpi_ok(MPI_Test(&k->req, &flag, MPI_STATUS_IGNORE), "nb_backward (DDP gradient reduction)") !=
            NB_OK)
            return NB_ERROR;
        if (flag) {
            k->done = true;
            d->st.early_done++;
        }
    }
    while (d->ndone < d->next_launch && d->buckets[d->ndone].done) d->ndone++;
    return NB_OK;
}

static nb_status wait_all(ddp *d) {
    for (int b = 0; b < d->nb; b++) {
        bucket *k = &d->buckets[b];
        if (k->done || !k->launched) continue;
        if (nbd_mpi_ok(MPI_Wait(&k->req, MPI_STATUS_IGNORE), "nb_backward (DDP gradient reduction)") != NB_OK)
            return NB_ERROR;
        k->done = true;
    }
    d->ndone = d->next_launch;
    return NB_OK;
}
#endif

/* bucket slice of parameter i <-> its .grad; to_bucket scales by 1/W on the way in */
static void copy_grad(ddp *d, int i, bool to_bucket) {
    nb_tensor *g = d->params[i]->grad;
    bucket *k = &d->buckets[d->bucket_of[i]];
    char *slot = k->buf + (size_t)d->offset_of[i] * nbt_esz(k->dtype);
    if (!to_bucket) {
        memcpy(nbt_ptr(g), slot, (size_t)g->numel * nbt_esz(g->dtype));
        g->storage->version++;
    } else if (g->dtype == NB_F32) {
        const float *s = (const float *)nbt_ptr(g);
        float *o = (float *)slot, f = (float)(1.0 / d->world);
        for (int64_t j = 0; j < g->numel; j++) o[j] = s[j] * f;
    } else {
        const double *s = (const double *)nbt_ptr(g);
        double *o = (double *)slot, f = 1.0 / d->world;
        for (int64_t j = 0; j < g->numel; j++) o[j] = s[j] * f;
    }
}

/* post accumulate grad hook of parameter c->param */
static nb_status grad_ready(nb_tensor *p, void *ctx) {
    hook_ctx *c = ctx;
    ddp *d = c->d;
    if (!d->expect) return NB_OK; /* no_sync, or no synced forward: accumulate locally */
    nb_tensor *g = p->grad;
    if (!g || g->dtype != p->dtype || !nb_is_contiguous(g) || g->numel != p->numel) {
        nbt_error(
            "nb_backward (DDP): the gradient of parameter '%s' is missing or not a contiguous %s tensor of "
            "shape %s",
            d->names[c->param], nb_dtype_name(p->dtype), nbt_shape(p));
        return NB_ERROR;
    }
    if (d->ready[c->param]) {
        nbt_error(
            "nb_backward (DDP): Expected to mark a variable ready only once: parameter '%s' got its gradient "
            "twice after one forward (a second backward needs a new forward, or NB_DDP_NO_SYNC)",
            d->names[c->param]);
        return NB_ERROR;
    }
    d->ready[c->param] = d->any_ready = true;
    copy_grad(d, c->param, true);
    if (--d->buckets[d->bucket_of[c->param]].pending == 0) d->nready++;
#if NB_HAVE_MPI
    double t0 = nbd_dist_now();
    if (d->nready < d->nb) { /* more gradients to come: start what is ready, let it progress */
        nb_status st = launch_ready(d);
        if (st == NB_OK) st = poll(d);
        d->st.exposed_s += nbd_dist_now() - t0;
        return st;
    }
    /* the last gradient: finish the started reductions, then reduce the rest at once (a blocking
     * MPI_Allreduce: nothing is left to overlap it with, and it is faster than a non-blocking one) */
    nb_status st = wait_all(d);
    for (; st == NB_OK && d->next_launch < d->nb; d->next_launch++) {
        bucket *k = &d->buckets[d->next_launch];
        st = nbd_mpi_ok(MPI_Allreduce(MPI_IN_PLACE, k->buf, (int)k->numel, nbd_mpi_type(k->dtype), MPI_SUM,
                                      nbd_dist_comm),
                        "nb_backward (DDP gradient reduction)");
        k->done = st == NB_OK;
    }
    double t1 = nbd_dist_now();
    d->st.exposed_s += t1 - t0;
    d->st.last_wait_s += t1 - t0;
    if (st != NB_OK) return st;
    d->ndone = d->nb;
#else
    if (d->nready < d->nb) return NB_OK;
#endif
    for (int i = 0; i < d->np; i++) copy_grad(d, i, false);
    d->expect = false;
    d->st.reductions++;
    return NB_OK;
}

/* ---- the wrapper module ------------------------------------------------------------------------ */

/* the reduction of the previous backward must have completed (torch's "Expected to have finished
 * reduction in the prior iteration"): parameters that got no gradient are named */
static bool prior_finished(ddp *d) {
    if (!d->expect || !d->any_ready) return true;
    char list[512];
    size_t k = 0;
    list[0] = 0;
    for (int i = 0; i < d->np && k < sizeof list; i++)
        if (!d->ready[i])
            k += (size_t)snprintf(list + k, sizeof list - k, "%s'%s'", k ? ", " : "", d->names[i]);
    nbt_error(
        "DistributedDataParallel forward: Expected to have finished reduction in the prior iteration before "
        "starting a new one. This error indicates that your module has parameters that were not used in "
        "producing loss (or a backward failed); every parameter must get a gradient in each backward. "
        "Parameters that got no gradient: %s",
        list);
    return false;
}

/* collective: every buffer takes rank 0's value, one broadcast per dtype (torch's _sync_buffers) */
static nb_status sync_buffers(ddp *d, const char *api) {
    int n = 0;
    nb_tensor **b = d->nbuf ? nb_module_buffers(d->inner, &n) : NULL;
    int64_t count[3] = { 0, 0, 0 };
    for (int i = 0; i < n; i++) count[b[i]->dtype] += b[i]->numel;
    bool same = n == d->nbuf;
    for (int i = 0; i < n; i++) same &= nb_is_contiguous(b[i]);
    for (int t = 0; t < 3; t++) same &= count[t] == d->flat_n[t];
    if (!same) { /* local: the same on every rank unless the ranks changed their models differently */
        nbt_error("%s: the module's buffers changed since nb_distributed_data_parallel (%d buffers, were "
                  "%d), or one "
                  "is not contiguous; wrap the final model",
                  api, n, d->nbuf);
        return NB_ERROR;
    }
    int r = nb_dist_get_rank();
    for (int t = 0; t < 3; t++) {
        if (!d->flat_n[t]) continue;
        size_t esz = nbt_esz((nb_dtype)t), off = 0;
        if (r == 0)
            for (int i = 0; i < n; i++)
                if ((int)b[i]->dtype == t) {
                    memcpy(d->flat[t] + off, nbt_ptr(b[i]), (size_t)b[i]->numel * esz);
                    off += (size_t)b[i]->numel * esz;
                }
#if NB_HAVE_MPI
        if (d->world > 1 &&
            nbd_mpi_ok(MPI_Bcast(d->flat[t], (int)d->flat_n[t], nbd_mpi_type((nb_dtype)t), 0, nbd_dist_comm),
                       api) != NB_OK)
            return NB_ERROR;
#endif
        off = 0;
        if (r != 0)
            for (int i = 0; i < n; i++)
                if ((int)b[i]->dtype == t) {
                    memcpy(nbt_ptr(b[i]), d->flat[t] + off, (size_t)b[i]->numel * esz);
                    off += (size_t)b[i]->numel * esz;
                    b[i]->storage->version++;
                }
    }
    return NB_OK;
}

/* what every forward through the wrapper does first: check the last reduction finished, sync the
 * buffers, and arm the hooks for this forward's backward; false (error recorded) to refuse */
static bool pre_forward(ddp *d) {
    if (!prior_finished(d)) {
        d->expect = false;
#if NB_HAVE_MPI
        wait_all(d);
#endif
        reset(d);
        return false;
    }
    reset(d);
    /* torch: buffers are synced before a forward that follows a forward with grad and sync on */
    if (d->forward_sync && d->broadcast_buffers && d->nbuf && d->world > 1 &&
        sync_buffers(d, "DistributedDataParallel forward") != NB_OK)
        return false;
    d->forward_sync = d->sync && nb_is_grad_enabled();
    d->expect = d->world > 1 && d->forward_sync;
    return true;
}

static nb_tensor *ddp_forward(nb_module *m, nb_tensor *x) {
    ddp *d = m->impl;
    return pre_forward(d) ? nb_module_forward(d->inner, x) : NULL;
}

/* the general forward (several inputs and outputs, options) is passed through the same way */
static int ddp_forward_ex(nb_module *m, int nin, nb_tensor *const *in, const void *opts, int nout,
                          nb_tensor **out) {
    ddp *d = m->impl;
    return pre_forward(d) ? nb_module_forward_ex(d->inner, nin, in, opts, nout, out) : -1;
}

/* "name:dtype:shape;" for each parameter, and its FNV-1a hash */
static char *describe(ddp *d, uint64_t *hash) {
    size_t cap = 64, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = 0;
    int nb = 0;
    nb_tensor **bufs = d->nbuf ? nb_module_buffers(d->inner, &nb) : NULL;
    for (int i = 0; i < d->np + nb; i++) {
        char item[640];
        const nb_tensor *t = i < d->np ? d->params[i] : bufs[i - d->np];
        int n = snprintf(item, sizeof item, "%s '%s' %s %s;", i < d->np ? "parameter" : "buffer",
                         i < d->np ? d->names[i] : d->buf_names[i - d->np], nb_dtype_name(t->dtype),
                         nbt_shape(t));
        if (n < 0) n = 0;
        if ((size_t)n >= sizeof item) n = (int)sizeof item - 1;
        if (len + (size_t)n + 1 > cap) {
            while (len + (size_t)n + 1 > cap) cap *= 2;
            char *t = realloc(s, cap);
            if (!t) {
                free(s);
                return NULL;
            }
            s = t;
        }
        memcpy(s + len, item, (size_t)n + 1);
        len += (size_t)n;
    }
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    *hash = h;
    return s;
}

#if NB_HAVE_MPI
/* rank src's description, broadcast (length first) */
static char *bcast_str(const char *mine, int src) {
    int64_t n = (int64_t)strlen(mine);
    if (MPI_Bcast(&n, 1, MPI_INT64_T, src, nbd_dist_comm) != MPI_SUCCESS || n < 0 || n >= INT32_MAX)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    if (nb_dist_get_rank() == src) memcpy(s, mine, (size_t)n);
    if (MPI_Bcast(s, (int)n, MPI_CHAR, src, nbd_dist_comm) != MPI_SUCCESS) {
        free(s);
        return NULL;
    }
    s[n] = 0;
    return s;
}

/* the first ';'-separated item where a and b differ, as "item i is X on rank ra but Y on rank rb" */
static void first_difference(char *out, size_t cap, const char *a, int ra, const char *b, int rb) {
    int item = 0;
    const char *pa = a, *pb = b;
    for (;;) {
        const char *ea = strchr(pa, ';'), *eb = strchr(pb, ';');
        size_t la = ea ? (size_t)(ea - pa) : strlen(pa), lb = eb ? (size_t)(eb - pb) : strlen(pb);
        if (la != lb || memcmp(pa, pb, la) != 0 || !ea || !eb) {
            snprintf(out, cap, "entry %d is %.*s on rank %d but %.*s on rank %d", item, (int)(la ? la : 4),
                     la ? pa : "none", ra, (int)(lb ? lb : 4), lb ? pb : "none", rb);
            return;
        }
        pa = ea + 1, pb = eb + 1, item++;
    }
}
#endif

/* collective: every rank has the same parameters, else an error on every rank */
static nb_status verify_across_ranks(ddp *d, const char *api) {
    uint64_t h = 0;
    char *desc = describe(d, &h);
    if (!desc) {
        nbt_error("%s: out of memory", api);
        return NB_ERROR;
    }
    nb_status st = NB_OK;
#if NB_HAVE_MPI
    int w = d->world;
    int64_t mine[2] = { d->np + d->nbuf, (int64_t)h }, *all = malloc(sizeof *all * 2 * (size_t)w);
    if (!all ||
        nbd_mpi_ok(MPI_Allgather(mine, 2, MPI_INT64_T, all, 2, MPI_INT64_T, nbd_dist_comm), api) != NB_OK) {
        if (!all) nbt_error("%s: out of memory", api);
        free(all);
        free(desc);
        return NB_ERROR;
    }
    int bad = -1;
    for (int r = 1; r < w && bad < 0; r++)
        if (all[2 * r] != all[0] || all[2 * r + 1] != all[1]) bad = r;
    if (bad >= 0) {
        char *d0 = bcast_str(desc, 0), *db = bcast_str(desc, bad), diff[1400] = "";
        if (d0 && db) first_difference(diff, sizeof diff, d0, 0, db, bad);
        nbt_error(
            "%s: DDP expects the same model on every rank (names, shapes and dtypes of the parameters and "
            "buffers), but rank %d has %lld of them and rank 0 has %lld: %s (this is rank %d)",
            api, bad, (long long)all[2 * bad], (long long)all[0], diff, nb_dist_get_rank());
        free(d0);
        free(db);
        st = NB_ERROR;
    }
    free(all);
#else
    (void)api;
#endif
    free(desc);
    return st;
}

/* torch's bucket assignment over the parameters in reverse order: per dtype, a bucket closes when it
 * reaches its limit (1 MiB for the first of each dtype, cap after), leftovers close at the end */
static nb_status make_buckets(ddp *d, double first_mb, double cap_mb) {
    int64_t limits[2] = { (int64_t)(first_mb * 1024 * 1024), (int64_t)(cap_mb * 1024 * 1024) };
    int open[3] = { -1, -1, -1 }, used[3] = { 0, 0, 0 }; /* per dtype: open bucket, limits used */
    int64_t open_bytes[3] = { 0, 0, 0 };
    int *order = malloc(sizeof *order * (size_t)(d->np ? d->np : 1)); /* bucket index in creation order */
    d->buckets = calloc((size_t)(d->np ? d->np : 1), sizeof *d->buckets);
    if (!order || !d->buckets) {
        free(order);
        return NB_ERROR;
    }
    int nopen = 0;
    /* first pass: membership; open buckets get provisional ids, finalized in closing order */
    int *prov = malloc(sizeof *prov * (size_t)(d->np ? d->np : 1));
    int64_t *prov_numel = calloc((size_t)(d->np ? d->np : 1), sizeof *prov_numel);
    nb_dtype *prov_dt = malloc(sizeof *prov_dt * (size_t)(d->np ? d->np : 1));
    if (!prov || !prov_numel || !prov_dt) {
        free(order);
        free(prov);
        free(prov_numel);
        free(prov_dt);
        return NB_ERROR;
    }
    int nclosed = 0;
    for (int i = d->np - 1; i >= 0; i--) {
        nb_tensor *p = d->params[i];
        int t = (int)p->dtype;
        if (open[t] < 0) {
            open[t] = nopen;
            prov_dt[nopen] = p->dtype;
            nopen++;
        }
        prov[i] = open[t];
        d->offset_of[i] = prov_numel[open[t]];
        prov_numel[open[t]] += p->numel;
        open_bytes[t] += p->numel * (int64_t)nbt_esz(p->dtype);
        if (open_bytes[t] >= limits[used[t] ? 1 : 0]) {
            order[open[t]] = nclosed++;
            open[t] = -1;
            open_bytes[t] = 0;
            used[t] = 1;
        }
    }
    for (int q = 0; q < nopen; q++) /* still open: close in creation order (ids increase with it) */
        for (int t = 0; t < 3; t++)
            if (open[t] == q) order[q] = nclosed++;
    d->nb = nopen;
    for (int q = 0; q < nopen; q++) {
        bucket *k = &d->buckets[order[q]];
        k->dtype = prov_dt[q];
        k->numel = prov_numel[q];
    }
    for (int i = 0; i < d->np; i++) {
        d->bucket_of[i] = order[prov[i]];
        d->buckets[d->bucket_of[i]].nmembers++;
    }
    free(order);
    free(prov);
    free(prov_numel);
    free(prov_dt);
    for (int b = 0; b < d->nb; b++) {
        bucket *k = &d->buckets[b];
        if (k->numel > INT32_MAX) {
            nbt_error(
                "nb_distributed_data_parallel: a gradient bucket of %lld elements is larger than MPI's int "
                "count; lower bucket_cap_mb",
                (long long)k->numel);
            return NB_ERROR;
        }
        k->buf = malloc((size_t)k->numel * nbt_esz(k->dtype));
        if (!k->buf) return NB_ERROR;
        d->st.bucket_bytes += k->numel * (int64_t)nbt_esz(k->dtype);
    }
    d->st.nbuckets = d->nb;
    return NB_OK;
}

nb_module *nb_distributed_data_parallel(nb_module *module, nb_ddp_opts o) {
    NBT_API("nb_distributed_data_parallel");
    const char *api = "nb_distributed_data_parallel";
    if (!module) return nbt_error("%s: module is NULL (did its constructor fail? see nb_error())", api);
    if (!nbd_dist_ready(api)) {
        nb_module_free(module);
        return NULL;
    }
    if (o.bucket_cap_mb < 0 || o.first_bucket_mb < 0) {
        nb_module_free(module);
        return nbt_error("%s: bucket_cap_mb (%g) and first_bucket_mb (%g) must be positive", api,
                         o.bucket_cap_mb, o.first_bucket_mb);
    }
    ddp *d = calloc(1, sizeof *d);
    nb_module *m = d ? nb_module_new(TYPE, ddp_forward, d, ddp_free) : NULL;
    if (!m) {
        free(d);
        nb_module_free(module);
        return nbt_error("%s: out of memory", api);
    }
    m->forward_ex = ddp_forward_ex;
    if (nb_module_register_module(m, "module", module) != NB_OK) {
        nb_module_free(m);
        nb_module_free(module);
        return NULL;
    }
    d->inner = module;
    d->world = nb_dist_get_world_size();
    d->sync = true;
    d->broadcast_buffers = !o.no_broadcast_buffers;
    d->forward_sync = true;
    /* the parameters that require grad, with their names (torch's named_parameters order) */
    nb_state_dict sd = nb_module_state_dict(module);
    int n = 0;
    nb_tensor **ps = nb_module_parameters(module, &n);
    d->params = calloc((size_t)(n ? n : 1), sizeof *d->params);
    d->names = calloc((size_t)(n ? n : 1), sizeof *d->names);
    d->bucket_of = calloc((size_t)(n ? n : 1), sizeof *d->bucket_of);
    d->offset_of = calloc((size_t)(n ? n : 1), sizeof *d->offset_of);
    d->handles = calloc((size_t)(n ? n : 1), sizeof *d->handles);
    d->ready = calloc((size_t)(n ? n : 1), sizeof *d->ready);
    d->ctx = calloc((size_t)(n ? n : 1), sizeof *d->ctx);
    bool ok = ps && d->params && d->names && d->bucket_of && d->offset_of && d->handles && d->ready && d->ctx;
    for (int i = 0; ok && i < n; i++) {
        if (!ps[i]->requires_grad) continue;
        const char *name = "?";
        for (int k = 0; k < sd.n; k++)
            if (sd.tensors[k] == ps[i]) {
                name = sd.names[k];
                break;
            }
        d->params[d->np] = ps[i];
        d->names[d->np] = malloc(strlen(name) + 1);
        if (!d->names[d->np]) {
            ok = false;
            break;
        }
        strcpy(d->names[d->np], name);
        d->np++;
    }
    nb_state_dict_free(&sd);
    nb_state_dict bsd = ok ? nb_module_named_buffers(module) : (nb_state_dict){ 0 };
    d->buf_names = calloc((size_t)(bsd.n ? bsd.n : 1), sizeof *d->buf_names);
    ok = ok && d->buf_names;
    for (int i = 0; ok && i < bsd.n; i++) {
        if (!(d->buf_names[i] = malloc(strlen(bsd.names[i]) + 1))) {
            ok = false;
            break;
        }
        strcpy(d->buf_names[i], bsd.names[i]);
        d->flat_n[bsd.tensors[i]->dtype] += bsd.tensors[i]->numel;
        d->nbuf++;
    }
    nb_state_dict_free(&bsd);
    for (int t = 0; ok && t < 3; t++)
        if (d->flat_n[t] && !(d->flat[t] = malloc((size_t)d->flat_n[t] * nbt_esz((nb_dtype)t)))) ok = false;
    if (!ok) {
        nb_module_free(m);
        return nbt_error("%s: out of memory", api);
    }
    /* collective from here: every rank takes the same path */
    if (verify_across_ranks(d, api) != NB_OK) {
        nb_module_free(m);
        return NULL;
    }
    for (int i = 0; i < d->np; i++)
        if (nb_dist_broadcast(d->params[i], 0) != NB_OK) {
            nb_module_free(m);
            return NULL;
        }
    for (int t = 0; t < 3; t++)
        if (d->flat_n[t] > INT32_MAX) {
            nb_module_free(m);
            return nbt_error("%s: more than 2^31 buffer elements of one dtype", api);
        }
    if (sync_buffers(d, api) != NB_OK) {
        nb_module_free(m);
        return NULL;
    } /* rank 0's buffers, always */
    if (make_buckets(d, o.first_bucket_mb > 0 ? o.first_bucket_mb : 1.0,
                     o.bucket_cap_mb > 0 ? o.bucket_cap_mb : 25.0) != NB_OK) {
        nb_module_free(m);
        return nb_error() ? NULL : nbt_error("%s: out of memory", api);
    }
    reset(d);
    if (d->world > 1)
        for (int i = 0; i < d->np; i++) {
            d->ctx[i] = (hook_ctx){ d, i };
            d->handles[i] = nb_register_post_accumulate_grad_hook(d->params[i], grad_ready, &d->ctx[i]);
            if (!d->handles[i]) {
                nb_module_free(m);
                return NULL;
            }
        }
    return m;
}

nb_module *nb_ddp_module(nb_module *m) {
    ddp *d = impl_of(m, "nb_ddp_module");
    return d ? d->inner : NULL;
}

bool nb_ddp_set_require_backward_grad_sync(nb_module *m, bool sync) {
    ddp *d = impl_of(m, "nb_ddp_set_require_backward_grad_sync");
    if (!d) return false;
    bool prev = d->sync;
    d->sync = sync;
    return prev;
}

nb_ddp_stats nb_ddp_get_stats(nb_module *m) {
    if (!m || !m->type || strcmp(m->type, TYPE) != 0 || !m->impl) return (nb_ddp_stats){ 0 };
    return ((ddp *)m->impl)->st;
}
