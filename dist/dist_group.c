/* dist_group.c — the default process group (torch.distributed.init_process_group and friends) on
 * MPI, or a world of one without MPI. nabla works on a duplicate of MPI_COMM_WORLD with
 * MPI_ERRORS_RETURN, so an MPI failure becomes an nb_error() instead of killing the job. Also the
 * helpers every collective shares: the cross-rank agreement check and the tensor check. */
#include "dist_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool initialized;
static int rank_, world = 1;

#if NB_HAVE_MPI
MPI_Comm nbd_dist_comm = MPI_COMM_NULL;
static bool owns_mpi; /* nabla called MPI_Init_thread, so it finalises */

MPI_Datatype nbd_mpi_type(nb_dtype dt) {
    return dt == NB_F32 ? MPI_FLOAT : dt == NB_F64 ? MPI_DOUBLE : MPI_INT64_T;
}

nb_status nbd_mpi_ok(int rc, const char *api) {
    if (rc == MPI_SUCCESS) return NB_OK;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) snprintf(msg, sizeof msg, "error code %d", rc);
    nbt_error("%s: MPI error: %s", api, msg);
    return NB_ERROR;
}
#endif

bool nb_dist_is_mpi_available(void) {
    NBT_API("nb_dist_is_mpi_available");
    return NB_HAVE_MPI;
}

nb_status nb_dist_init_process_group(nb_dist_init_opts o) {
    const char *api = "nb_dist_init_process_group";
    if (o.backend && strcmp(o.backend, "mpi") != 0) {
        nbt_error("%s: backend '%s' is not available; nabla's only backend is \"mpi\"", api, o.backend);
        return NB_ERROR;
    }
    if (initialized) {
        nbt_error("%s: trying to initialize the default process group twice", api);
        return NB_ERROR;
    }
#if NB_HAVE_MPI
    int flag = 0;
    MPI_Finalized(&flag);
    if (flag) {
        nbt_error("%s: MPI was already finalized (by nb_dist_destroy_process_group or the program); "
                  "MPI cannot be initialised twice in one process",
                  api);
        return NB_ERROR;
    }
    MPI_Initialized(&flag);
    owns_mpi = !flag;
    if (owns_mpi) {
        int provided = 0;
        if (nbd_mpi_ok(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided), api) != NB_OK)
            return NB_ERROR;
        if (provided < MPI_THREAD_FUNNELED) {
            MPI_Finalize();
            nbt_error("%s: this MPI does not provide MPI_THREAD_FUNNELED (got level %d)", api, provided);
            return NB_ERROR;
        }
    }
    if (nbd_mpi_ok(MPI_Comm_dup(MPI_COMM_WORLD, &nbd_dist_comm), api) != NB_OK) return NB_ERROR;
    MPI_Comm_set_errhandler(nbd_dist_comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(nbd_dist_comm, &rank_);
    MPI_Comm_size(nbd_dist_comm, &world);
#else
    rank_ = 0;
    world = 1;
#endif
    initialized = true;
    return NB_OK;
}

nb_status nb_dist_destroy_process_group(void) {
    if (!initialized) {
        nbt_error(
            "nb_dist_destroy_process_group: default process group has not been initialized, please make "
            "sure to call nb_dist_init_process_group");
        return NB_ERROR;
    }
    initialized = false;
    rank_ = 0;
    world = 1;
#if NB_HAVE_MPI
    MPI_Comm_free(&nbd_dist_comm);
    if (owns_mpi && nbd_mpi_ok(MPI_Finalize(), "nb_dist_destroy_process_group") != NB_OK) return NB_ERROR;
#endif
    return NB_OK;
}

bool nb_dist_is_initialized(void) { return initialized; }
int nb_dist_get_rank(void) { return rank_; }
int nb_dist_get_world_size(void) { return world; }

bool nbd_dist_ready(const char *api) {
    if (initialized) return true;
    nbt_error("%s: default process group has not been initialized, please make sure to call "
              "nb_dist_init_process_group",
              api);
    return false;
}

nb_status nb_dist_barrier(void) {
    if (!nbd_dist_ready("nb_dist_barrier")) return NB_ERROR;
#if NB_HAVE_MPI
    return nbd_mpi_ok(MPI_Barrier(nbd_dist_comm), "nb_dist_barrier");
#else
    return NB_OK;
#endif
}

#if NB_HAVE_MPI
static void fmt_vals(char *b, size_t cap, int n, const int64_t *v) {
    size_t k = 0;
    for (int i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(b + k, cap - k, "%s%lld", i ? ", " : "(", (long long)v[i]);
    if (k < cap) snprintf(b + k, cap - k, ")");
}
#endif

nb_status nbd_dist_agree(const char *api, int n, const int64_t *v, const char *what) {
#if NB_HAVE_MPI
    if (world == 1) return NB_OK;
    int64_t *all = malloc(sizeof *all * (size_t)n * (size_t)world);
    if (!all) {
        nbt_error("%s: out of memory", api);
        return NB_ERROR;
    }
    if (nbd_mpi_ok(MPI_Allgather(v, n, MPI_INT64_T, all, n, MPI_INT64_T, nbd_dist_comm), api) != NB_OK) {
        free(all);
        return NB_ERROR;
    }
    int bad = -1;
    for (int r = 1; r < world && bad < 0; r++)
        if (memcmp(all, all + (size_t)r * (size_t)n, sizeof *all * (size_t)n) != 0) bad = r;
    if (bad >= 0) {
        char a[160], b[160];
        fmt_vals(a, sizeof a, n, all);
        fmt_vals(b, sizeof b, n, all + (size_t)bad * (size_t)n);
        nbt_error(
            "%s: ranks disagree on %s: rank 0 has %s, rank %d has %s (this is rank %d); every rank must "
            "make the same call",
            api, what, a, bad, b, rank_);
    }
    free(all);
    return bad >= 0 ? NB_ERROR : NB_OK;
#else
    (void)api, (void)n, (void)v, (void)what;
    return NB_OK;
#endif
}

bool nbd_dist_tensor_ok(const nb_tensor *t, const char *api, const char *name) {
    if (!t) {
        if (!nb_error()) nbt_error("%s: %s is NULL", api, name);
        return false;
    }
    if (!nbt_ok(t, api)) return false;
    if (!nb_is_contiguous(t)) {
        nbt_error("%s: %s of shape %s is not contiguous; collectives work on contiguous tensors (use "
                  "nb_contiguous and copy back)",
                  api, name, nbt_shape(t));
        return false;
    }
    return true;
}

double nbd_dist_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
