/* dist_internal.h — what the dist/ files share and users never see: the MPI communicator of the
 * default group (a duplicate of MPI_COMM_WORLD whose errors return instead of aborting), the dtype
 * map, MPI error reporting and the cross-rank agreement check every collective starts with. */
#ifndef NB_DIST_INTERNAL_H
#define NB_DIST_INTERNAL_H

#include "nb_dist.h"
#include "nb_internal.h"

#if NB_HAVE_MPI
#include <mpi.h>
/* The default group's communicator (valid while nb_dist_is_initialized()). */
extern MPI_Comm nbd_dist_comm;
/* MPI datatype of a nabla dtype. */
MPI_Datatype nbd_mpi_type(nb_dtype dt);
/* NB_OK if rc is MPI_SUCCESS, else NB_ERROR with "api: MPI error: <MPI's message>". */
nb_status nbd_mpi_ok(int rc, const char *api);
#endif

/* true if the group is initialised; else false with torch's error naming api. */
bool nbd_dist_ready(const char *api);
/* Collective: NB_OK if every rank passed the same n values v, else NB_ERROR on every rank naming api,
 * `what` the values describe and this rank's and the disagreeing ranks' values. */
nb_status nbd_dist_agree(const char *api, int n, const int64_t *v, const char *what);
/* Check that t is a live contiguous f32/f64/i64 tensor for collective api (error message otherwise). */
bool nbd_dist_tensor_ok(const nb_tensor *t, const char *api, const char *name);
/* Seconds from a monotonic clock. */
double nbd_dist_now(void);

#endif
