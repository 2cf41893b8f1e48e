/* dist_collectives.c — torch.distributed's collectives on nabla tensors, in place (broadcast,
 * all_reduce, all_gather_into_tensor, reduce_scatter_tensor). Each call first agrees across ranks on
 * what is being done (call, dtype, element counts, src/op, and whether the local arguments are valid),
 * so a bad argument on one rank is an error on every rank instead of a hang in MPI. Writes bump the
 * tensor's version counter like any in-place op. Without MPI (or with one rank) the world is one. */
#include "dist_internal.h"
#include <limits.h>
#include <string.h>

enum { CALL_BROADCAST = 1, CALL_ALL_REDUCE, CALL_ALL_GATHER, CALL_REDUCE_SCATTER };

static bool op_ok(nb_reduce_op op, const nb_tensor *t, const char *api) {
    if ((unsigned)op > NB_REDUCE_MAX) {
        nbt_error("%s: unknown reduce op %d", api, (int)op);
        return false;
    }
    if (op == NB_REDUCE_AVG && !nbt_is_float(t->dtype)) {
        nbt_error("%s: ReduceOp AVG needs a floating point tensor (got %s)", api, nb_dtype_name(t->dtype));
        return false;
    }
    return true;
}

/* the agreement every call starts with: [call, valid, dtype, numel in, numel out, arg] */
static nb_status agree(const char *api, int call, bool valid, const nb_tensor *a, const nb_tensor *b,
                       int64_t arg) {
    int64_t v[6] = {
        call, valid, valid ? (int64_t)a->dtype : -1, valid ? a->numel : -1, valid && b ? b->numel : -1, arg
    };
    if (nbd_dist_agree(api, 6, v, "(call, arguments valid, dtype, numel, output numel, src or op)") != NB_OK)
        return NB_ERROR;
    return valid ? NB_OK : NB_ERROR; /* all invalid alike: each rank has its own message */
}

#if NB_HAVE_MPI
static MPI_Op mpi_op(nb_reduce_op op) {
    return op == NB_REDUCE_PRODUCT ? MPI_PROD
           : op == NB_REDUCE_MIN   ? MPI_MIN
           : op == NB_REDUCE_MAX   ? MPI_MAX
                                   : MPI_SUM;
}
#endif

/* t /= world size, for AVG */
static void divide(nb_tensor *t, int w) {
    if (w == 1) return;
    if (t->dtype == NB_F32) {
        float *p = (float *)nbt_ptr(t), s = (float)w;
        for (int64_t i = 0; i < t->numel; i++) p[i] /= s;
    } else {
        double *p = (double *)nbt_ptr(t);
        for (int64_t i = 0; i < t->numel; i++) p[i] /= (double)w;
    }
}

nb_status nb_dist_broadcast(nb_tensor *t, int src) {
    const char *api = "nb_dist_broadcast";
    if (!nbd_dist_ready(api)) return NB_ERROR;
    int w = nb_dist_get_world_size();
    bool valid = nbd_dist_tensor_ok(t, api, "tensor");
    if (valid && (src < 0 || src >= w)) {
        nbt_error("%s: src rank %d is out of range for a world of size %d", api, src, w);
        valid = false;
    }
    if (agree(api, CALL_BROADCAST, valid, t, NULL, src) != NB_OK) return NB_ERROR;
#if NB_HAVE_MPI
    size_t esz = nbt_esz(t->dtype);
    for (int64_t off = 0; off < t->numel; off += INT_MAX) { /* MPI counts are int */
        int64_t n = t->numel - off < INT_MAX ? t->numel - off : INT_MAX;
        if (nbd_mpi_ok(
                MPI_Bcast(nbt_ptr(t) + (size_t)off * esz, (int)n, nbd_mpi_type(t->dtype), src, nbd_dist_comm),
                api) != NB_OK)
            return NB_ERROR;
    }
#endif
    t->storage->version++;
    return NB_OK;
}

nb_status nb_dist_all_reduce(nb_tensor *t, nb_reduce_op op) {
    const char *api = "nb_dist_all_reduce";
    if (!nbd_dist_ready(api)) return NB_ERROR;
    bool valid = nbd_dist_tensor_ok(t, api, "tensor") && op_ok(op, t, api);
    if (agree(api, CALL_ALL_REDUCE, valid, t, NULL, op) != NB_OK) return NB_ERROR;
#if NB_HAVE_MPI
    size_t esz = nbt_esz(t->dtype);
    if (nb_dist_get_world_size() > 1)
        for (int64_t off = 0; off < t->numel; off += INT_MAX) {
            int64_t n = t->numel - off < INT_MAX ? t->numel - off : INT_MAX;
            if (nbd_mpi_ok(MPI_Allreduce(MPI_IN_PLACE, nbt_ptr(t) + (size_t)off * esz, (int)n,
                                         nbd_mpi_type(t->dtype), mpi_op(op), nbd_dist_comm),
                           api) != NB_OK)
                return NB_ERROR;
        }
#endif
    if (op == NB_REDUCE_AVG) divide(t, nb_dist_get_world_size());
    t->storage->version++;
    return NB_OK;
}

/* common checks of the gather/scatter pair: same dtype, big = world * small elements, distinct storage */
static bool pair_ok(const nb_tensor *big, const nb_tensor *small, const char *api, const char *bign,
                    const char *smalln) {
    if (!nbd_dist_tensor_ok(big, api, bign) || !nbd_dist_tensor_ok(small, api, smalln)) return false;
    int64_t w = nb_dist_get_world_size();
    if (big->dtype != small->dtype) {
        nbt_error("%s: %s is %s but %s is %s; they must have the same dtype", api, bign,
                  nb_dtype_name(big->dtype), smalln, nb_dtype_name(small->dtype));
        return false;
    }
    if (big->numel != w * small->numel) {
        nbt_error("%s: %s of shape %s must have world size (%lld) times the %lld elements of %s of shape %s",
                  api, bign, nbt_shape(big), (long long)w, (long long)small->numel, smalln, nbt_shape(small));
        return false;
    }
    if (big->numel > INT_MAX) {
        nbt_error("%s: %s has %lld elements, more than MPI's int count allows", api, bign,
                  (long long)big->numel);
        return false;
    }
    if (big->storage == small->storage) {
        nbt_error("%s: %s and %s share storage; pass separate tensors", api, bign, smalln);
        return false;
    }
    return true;
}

nb_status nb_dist_all_gather_into_tensor(nb_tensor *out, nb_tensor *in) {
    const char *api = "nb_dist_all_gather_into_tensor";
    if (!nbd_dist_ready(api)) return NB_ERROR;
    bool valid = pair_ok(out, in, api, "output_tensor", "input_tensor");
    if (agree(api, CALL_ALL_GATHER, valid, in, out, 0) != NB_OK) return NB_ERROR;
#if NB_HAVE_MPI
    MPI_Datatype ty = nbd_mpi_type(in->dtype);
    if (nbd_mpi_ok(
            MPI_Allgather(nbt_ptr(in), (int)in->numel, ty, nbt_ptr(out), (int)in->numel, ty, nbd_dist_comm),
            api) != NB_OK)
        return NB_ERROR;
#else
    memcpy(nbt_ptr(out), nbt_ptr(in), (size_t)in->numel * nbt_esz(in->dtype));
#endif
    out->storage->version++;
    return NB_OK;
}

nb_status nb_dist_reduce_scatter_tensor(nb_tensor *out, nb_tensor *in, nb_reduce_op op) {
    const char *api = "nb_dist_reduce_scatter_tensor";
    if (!nbd_dist_ready(api)) return NB_ERROR;
    bool valid = pair_ok(in, out, api, "input", "output") && op_ok(op, in, api);
    if (agree(api, CALL_REDUCE_SCATTER, valid, in, out, op) != NB_OK) return NB_ERROR;
#if NB_HAVE_MPI
    if (nbd_mpi_ok(MPI_Reduce_scatter_block(nbt_ptr(in), nbt_ptr(out), (int)out->numel,
                                            nbd_mpi_type(in->dtype), mpi_op(op), nbd_dist_comm),
                   api) != NB_OK)
        return NB_ERROR;
#else
    memcpy(nbt_ptr(out), nbt_ptr(in), (size_t)out->numel * nbt_esz(in->dtype));
#endif
    if (op == NB_REDUCE_AVG) divide(out, nb_dist_get_world_size());
    out->storage->version++;
    return NB_OK;
}
