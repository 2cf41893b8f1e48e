/* nb_dist.h — data-parallel training on MPI, shaped like torch.distributed: a process group,
 * collectives on tensors, DistributedDataParallel over a module and a DistributedSampler. Built on
 * MPI when Meson finds it (-Dmpi=auto); without MPI the same functions work as a world of one
 * (rank 0, size 1), so programs compile and run unchanged. Launch with mpirun:
 *
 *   nb_dist_init_process_group((nb_dist_init_opts){0});             // MPI_Init_thread (FUNNELED)
 *   nb_module *model = nb_distributed_data_parallel(make_model(), (nb_ddp_opts){0});  // rank 0's weights
 *   nb_distributed_sampler *smp =
 *       nb_distributed_sampler_new(nb_tensor_dataset_len(ds), (nb_distributed_sampler_opts){0});
 *   nb_dataloader *dl =
 *       nb_dataloader_new(ds, (nb_dataloader_opts){.batch_size = 64, NB_DISTRIBUTED_SAMPLER(smp)});
 *   for (int epoch = 0; epoch < E; epoch++) {
 *       nb_distributed_sampler_set_epoch(smp, epoch);               // same permutation on every rank
 *       ... forward through model, nb_backward(loss) (gradients averaged across ranks), step ...
 *   }
 *   nb_module_free(model); nb_dist_destroy_process_group();
 *
 * Every call here is collective where torch's is: each rank must make it, in the same order. Errors
 * never abort: they return NB_ERROR / NULL with nb_error() set, on every rank where possible. Calls
 * must come from the thread that initialised the group (MPI_THREAD_FUNNELED). */
#ifndef NB_DIST_H
#define NB_DIST_H

#include "nb_nn.h"
#include "nb_data.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- process group (torch.distributed) ------------------------------------------------------ */
typedef struct {
    const char *backend; /* "mpi" (NULL means "mpi"; nothing else is available) */
} nb_dist_init_opts;
/* Join the default process group: MPI_Init_thread(MPI_THREAD_FUNNELED), or reuse an MPI the program
 * already initialised (and then leave finalising to it). Error if already initialised. */
nb_status nb_dist_init_process_group(nb_dist_init_opts opts);
/* Leave the group; MPI_Finalize if nabla initialised MPI (MPI cannot be initialised again after). */
nb_status nb_dist_destroy_process_group(void);
/* true between init and destroy. */
bool nb_dist_is_initialized(void);
/* This process's rank in [0, world size); 0 when not initialised. */
int nb_dist_get_rank(void);
/* Number of processes; 1 when not initialised. */
int nb_dist_get_world_size(void);
/* true when built with MPI (false: every group is a world of one). */
bool nb_dist_is_mpi_available(void);
/* Wait until every rank has called it. */
nb_status nb_dist_barrier(void);

/* ---- collectives: in place on contiguous f32/f64/i64 tensors, not recorded by autograd --------- */
/* Reduction of all_reduce / reduce_scatter (torch.distributed.ReduceOp); zero is torch's SUM. */
typedef enum {
    NB_REDUCE_SUM = 0,
    NB_REDUCE_AVG,
    NB_REDUCE_PRODUCT,
    NB_REDUCE_MIN,
    NB_REDUCE_MAX
} nb_reduce_op;
/* Every call checks across ranks that the tensors agree (dtype, element count, src or op) and fails on
 * every rank with a message if not: a mismatch is an error, never a hang or a silent garbling. */
/* t = t of rank src on every rank (MPI_Bcast). */
nb_status nb_dist_broadcast(nb_tensor *t, int src);
/* t = op over ranks of t (MPI_Allreduce); AVG = SUM then / world size (f32/f64 only). */
nb_status nb_dist_all_reduce(nb_tensor *t, nb_reduce_op op);
/* out = cat over ranks r of in_r along a new leading block: out holds world size * in.numel elements,
 * rank r's in at offset r * in.numel (torch all_gather_into_tensor; out (W*d0, ...) or (W, ...)). */
nb_status nb_dist_all_gather_into_tensor(nb_tensor *out, nb_tensor *in);
/* out = block `rank` of op over ranks of in: in holds world size * out.numel elements
 * (torch reduce_scatter_tensor). */
nb_status nb_dist_reduce_scatter_tensor(nb_tensor *out, nb_tensor *in, nb_reduce_op op);

/* ---- DistributedDataParallel (torch.nn.parallel.DistributedDataParallel) ----------------------- */
typedef struct {
    double bucket_cap_mb;      /* gradient bucket size in MiB (0 means torch's 25) */
    double first_bucket_mb;    /* size of the first bucket (0 means torch's 1 MiB,
                                   torch.distributed._DEFAULT_FIRST_BUCKET_BYTES) */
    bool no_broadcast_buffers; /* torch broadcast_buffers=False: do not copy rank 0's buffers into every
                                   rank at each training forward */
} nb_ddp_opts;
/* Wrap module (ownership moves to the result, child "module" as in torch, so parameter names gain
 * "module."). Collective: checks that every rank has the same parameters and buffers (names, shapes,
 * dtypes; a mismatch is an error on every rank, the module is then freed), copies rank 0's values to
 * all, and registers gradient hooks: during each nb_backward after a forward through the wrapper,
 * gradients are averaged across ranks in buckets (reverse parameter order, same order on every rank),
 * each bucket reduced (MPI_Iallreduce) as soon as all its gradients are ready, overlapping the rest of
 * backward; when backward returns every .grad holds the average and is bitwise equal on all ranks. */
nb_module *nb_distributed_data_parallel(nb_module *module, nb_ddp_opts opts);
/* The wrapped module (torch ddp.module), borrowed. NULL + error if ddp is not a DDP wrapper. */
nb_module *nb_ddp_module(nb_module *ddp);
/* torch's require_backward_grad_sync: false makes the following forward/backward pairs accumulate
 * gradients locally (no communication); returns the previous value. */
bool nb_ddp_set_require_backward_grad_sync(nb_module *ddp, bool sync);
/* NB_DDP_NO_SYNC(ddp) { ... } runs the block as torch's `with ddp.no_sync():` (gradient accumulation;
 * the first backward after the block reduces the accumulated gradients). Do not leave it by break/return. */
#define NB_DDP_NO_SYNC(ddp)                                                                                  \
    for (int nbi_ns_once_ = 1, nbi_ns_prev_ = nb_ddp_set_require_backward_grad_sync((ddp), false);           \
         nbi_ns_once_; nbi_ns_once_ = 0, nb_ddp_set_require_backward_grad_sync((ddp), nbi_ns_prev_))
/* Communication statistics of a DDP wrapper, since construction. */
typedef struct {
    int nbuckets;           /* gradient buckets */
    int64_t bucket_bytes;   /* bytes of all buckets (the gradient bytes reduced per step) */
    int64_t reductions;     /* backward passes whose gradients were reduced */
    double exposed_s;       /* seconds backward spent inside MPI (starting, polling, waiting):
                                  the communication not hidden behind backward compute */
    double last_wait_s;     /* of which: waiting for the buckets after the last gradient was ready */
    int64_t early_launched; /* bucket reductions started before the last gradient was ready */
    int64_t early_done;     /* of which: found complete by a poll before the last gradient (the
                               reduction progressed and finished during backward) */
} nb_ddp_stats;
/* Read the statistics (zeros for a non-DDP module). */
nb_ddp_stats nb_ddp_get_stats(nb_module *ddp);

/* ---- DistributedSampler (torch.utils.data.distributed.DistributedSampler) -------------------- */
typedef struct {
    int num_replicas; /* 0 means the world size */
    int rank;         /* used when num_replicas > 0; otherwise this process's rank */
    bool no_shuffle;  /* torch shuffle=False (torch's sampler shuffles by default) */
    uint64_t seed;    /* permutation seed, the same on every rank (torch seed=0) */
    bool drop_last;   /* drop the tail instead of padding with the head */
} nb_distributed_sampler_opts;
typedef struct nb_distributed_sampler nb_distributed_sampler;
/* Sampler over n samples: each epoch, torch's randperm(n) from a generator seeded with seed + epoch
 * (the same on every rank; the same lists as torch 1.13), padded by repeating its head to a multiple
 * of num_replicas (or cut with drop_last), of which this rank takes positions rank, rank + R, ... */
nb_distributed_sampler *nb_distributed_sampler_new(int64_t n, nb_distributed_sampler_opts opts);
/* Make the next epoch's permutation the one of `epoch` (call before each epoch, as in torch). */
void nb_distributed_sampler_set_epoch(nb_distributed_sampler *s, int64_t epoch);
/* Samples this rank gets per epoch (torch len(sampler)). */
int64_t nb_distributed_sampler_len(const nb_distributed_sampler *s);
/* This epoch's indices for this rank (borrowed, valid until the next call or free); *n gets the count. */
const int64_t *nb_distributed_sampler_indices(nb_distributed_sampler *s, int64_t *n);
/* The same as an nb_sampler_fn (ctx is the sampler), for nb_dataloader_opts.sampler. */
const int64_t *nb_distributed_sampler_iter(void *sampler, int64_t *n);
/* Free the sampler. NULL is ignored. */
void nb_distributed_sampler_free(nb_distributed_sampler *s);
/* nb_dataloader_opts fields that make the loader draw its epochs from sampler s (torch sampler=). */
#define NB_DISTRIBUTED_SAMPLER(s) .sampler = nb_distributed_sampler_iter, .sampler_ctx = (s)

#ifdef __cplusplus
}
#endif
#endif
