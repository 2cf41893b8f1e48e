/* test_misuse_rnn_helpers.c — misuse cases of include/nb_rnn.h (fused recurrent ops), nb_helpers.h
 * (split/chunk/unbind, tril/triu, flip/roll/repeat, cumsum, sort/topk, elementwise), nb_distributions.h
 * (Categorical, Normal) and nb_dist.h (process group, collectives, DDP, DistributedSampler, run as a
 * world of one without mpirun). Harness: tests/misuse.h. */
#include "misuse.h"

#define T mu_f32
#define TI mu_i64
static nb_tensor *R(int64_t a, int64_t b) { return nb_randn(NB_F32, NB_SHAPE(a, b)); }
static nb_rnn_weights GW(void) { /* GRU, I = 3, H = 4 */
    return (nb_rnn_weights){ R(12, 3), R(12, 4), NULL, NULL, NULL };
}
static nb_tensor *XS(void) { return nb_randn(NB_F32, NB_SHAPE(5, 2, 3)); }
/* ---- fused recurrent ops ---- */
MU_E(nb_rnn_layer, "NULL weights",
     nb_rnn_layer(NB_RNN_GRU, XS(), NULL, NULL, (nb_rnn_weights){ 0 }, false, (nb_tensor *[1]){ 0 }, NULL,
                  NULL) == NB_ERROR)
MU_N(nb_rnn_layer, "NULL input",
     nb_rnn_layer(NB_RNN_GRU, NULL, NULL, NULL, GW(), false, (nb_tensor *[1]){ 0 }, NULL, NULL) == NB_ERROR)
MU_E(nb_rnn_layer, "unknown mode",
     nb_rnn_layer((nb_rnn_mode)9, XS(), NULL, NULL, GW(), false, (nb_tensor *[1]){ 0 }, NULL, NULL) ==
         NB_ERROR)
MU_E(nb_rnn_layer, "input features 2 for w_ih (12, 3)",
     nb_rnn_layer(NB_RNN_GRU, nb_zeros(NB_F32, NB_SHAPE(5, 2, 2)), NULL, NULL, GW(), false,
                  (nb_tensor *[1]){ 0 }, NULL, NULL) == NB_ERROR)
MU_E(nb_rnn_layer, "LSTM weights of a GRU",
     nb_rnn_layer(NB_RNN_LSTM, XS(), NULL, NULL, GW(), false, (nb_tensor *[1]){ 0 }, NULL, NULL) == NB_ERROR)
MU_E(nb_rnn_layer, "h0 (3, 4) for batch 2",
     nb_rnn_layer(NB_RNN_GRU, XS(), R(3, 4), NULL, GW(), false, (nb_tensor *[1]){ 0 }, NULL, NULL) ==
         NB_ERROR)
MU_E(nb_rnn_layer, "2-d input",
     nb_rnn_layer(NB_RNN_GRU, R(5, 3), NULL, NULL, GW(), false, (nb_tensor *[1]){ 0 }, NULL, NULL) ==
         NB_ERROR)
MU_N(nb_rnn_tanh_cell, "NULL input", !nb_rnn_tanh_cell(NULL, R(2, 4), R(4, 3), R(4, 4), NULL, NULL))
MU_E(nb_rnn_tanh_cell, "input features 5 for w_ih (4, 3)",
     !nb_rnn_tanh_cell(R(2, 5), R(2, 4), R(4, 3), R(4, 4), NULL, NULL))
MU_N(nb_rnn_tanh_cell, "NULL w_hh", !nb_rnn_tanh_cell(R(2, 3), R(2, 4), R(4, 3), NULL, NULL, NULL))
MU_E(nb_rnn_tanh_cell, "h of batch 3 for 2",
     !nb_rnn_tanh_cell(R(2, 3), R(3, 4), R(4, 3), R(4, 4), NULL, NULL))
MU_N(nb_rnn_relu_cell, "NULL input", !nb_rnn_relu_cell(NULL, R(2, 4), R(4, 3), R(4, 4), NULL, NULL))
MU_E(nb_rnn_relu_cell, "input features 5 for w_ih (4, 3)",
     !nb_rnn_relu_cell(R(2, 5), R(2, 4), R(4, 3), R(4, 4), NULL, NULL))
MU_N(nb_rnn_relu_cell, "NULL w_hh", !nb_rnn_relu_cell(R(2, 3), R(2, 4), R(4, 3), NULL, NULL, NULL))
MU_E(nb_rnn_relu_cell, "h of batch 3 for 2",
     !nb_rnn_relu_cell(R(2, 3), R(3, 4), R(4, 3), R(4, 4), NULL, NULL))
MU_N(nb_gru_cell, "NULL input", !nb_gru_cell(NULL, R(2, 4), R(12, 3), R(12, 4), NULL, NULL))
MU_E(nb_gru_cell, "input features 5 for w_ih (12, 3)",
     !nb_gru_cell(R(2, 5), R(2, 4), R(12, 3), R(12, 4), NULL, NULL))
MU_N(nb_gru_cell, "NULL w_hh", !nb_gru_cell(R(2, 3), R(2, 4), R(12, 3), NULL, NULL, NULL))
MU_E(nb_gru_cell, "h of batch 3 for 2", !nb_gru_cell(R(2, 3), R(3, 4), R(12, 3), R(12, 4), NULL, NULL))
MU_N(nb_lstm_cell, "NULL input", !nb_lstm_cell(NULL, R(2, 4), R(2, 4), R(16, 3), R(16, 4), NULL, NULL, NULL))
MU_E(nb_lstm_cell, "w_ih (12, 3) is not 4 gates",
     !nb_lstm_cell(R(2, 3), R(2, 4), R(2, 4), R(12, 3), R(16, 4), NULL, NULL, NULL))
MU_E(nb_lstm_cell, "c of width 5",
     !nb_lstm_cell(R(2, 3), R(2, 4), R(2, 5), R(16, 3), R(16, 4), NULL, NULL, NULL))
MU_E(nb_lstm_cell, "bias (3)",
     !nb_lstm_cell(R(2, 3), R(2, 4), R(2, 4), R(16, 3), R(16, 4), nb_zeros(NB_F32, NB_SHAPE(3)),
                   nb_zeros(NB_F32, NB_SHAPE(16)), NULL))
/* ---- pieces ---- */
MU_E(nb_split, "NULL out", nb_split(T(), 1, 0, NULL, 4) == -1)
MU_N(nb_split, "NULL input", nb_split(NULL, 1, 0, (nb_tensor *[4]){ 0 }, 4) == -1)
MU_E(nb_split, "split_size 0", nb_split(T(), 0, 1, (nb_tensor *[4]){ 0 }, 4) == -1)
MU_E(nb_split, "more pieces than cap", nb_split(T(), 1, 1, (nb_tensor *[2]){ 0 }, 2) == -1)
MU_E(nb_split, "dim 2", nb_split(T(), 1, 2, (nb_tensor *[4]){ 0 }, 4) == -1)
MU_E(nb_split, "negative split_size", nb_split(T(), -1, 0, (nb_tensor *[4]){ 0 }, 4) == -1)
MU_E(nb_split_with_sizes, "sizes summing to 4 of 3",
     nb_split_with_sizes(T(), 2, (int64_t[]){ 2, 2 }, 1, (nb_tensor *[2]){ 0 }) == -1)
MU_E(nb_split_with_sizes, "NULL sizes", nb_split_with_sizes(T(), 2, NULL, 1, (nb_tensor *[2]){ 0 }) == -1)
MU_E(nb_split_with_sizes, "NULL out", nb_split_with_sizes(T(), 2, (int64_t[]){ 1, 2 }, 1, NULL) == -1)
MU_E(nb_split_with_sizes, "a negative size",
     nb_split_with_sizes(T(), 2, (int64_t[]){ 4, -1 }, 1, (nb_tensor *[2]){ 0 }) == -1)
MU_N(nb_split_with_sizes, "NULL input",
     nb_split_with_sizes(NULL, 1, (int64_t[]){ 3 }, 1, (nb_tensor *[1]){ 0 }) == -1)
MU_E(nb_chunk, "chunks 0", nb_chunk(T(), 0, 0, (nb_tensor *[2]){ 0 }) == -1)
MU_E(nb_chunk, "NULL out", nb_chunk(T(), 2, 0, NULL) == -1)
MU_E(nb_chunk, "dim -3", nb_chunk(T(), 2, -3, (nb_tensor *[2]){ 0 }) == -1)
MU_N(nb_chunk, "NULL input", nb_chunk(NULL, 2, 0, (nb_tensor *[2]){ 0 }) == -1)
MU_E(nb_unbind, "NULL out", nb_unbind(T(), 0, NULL, 2) == -1)
MU_E(nb_unbind, "cap 1 for 2 slices", nb_unbind(T(), 0, (nb_tensor *[1]){ 0 }, 1) == -1)
MU_E(nb_unbind, "dim 2", nb_unbind(T(), 2, (nb_tensor *[3]){ 0 }, 3) == -1)
MU_N(nb_unbind, "NULL input", nb_unbind(NULL, 0, (nb_tensor *[2]){ 0 }, 2) == -1)
/* ---- rearranging, scans, sorting, elementwise ---- */
MU_N(nb_tril, "NULL input", !nb_tril(NULL, 0))
MU_E(nb_tril, "1-d input", !nb_tril(mu_vec(3), 0))
MU_E(nb_tril, "diagonal INT64_MIN",
     (nb_tril(T(), INT64_MIN), nb_tril(T(), INT64_MAX), nb_tril(mu_vec(2), 0) == NULL))
MU_N(nb_triu, "NULL input", !nb_triu(NULL, 0))
MU_E(nb_triu, "1-d input", !nb_triu(mu_vec(3), 0))
MU_E(nb_triu, "diagonal INT64_MIN",
     (nb_triu(T(), INT64_MIN), nb_triu(T(), INT64_MAX), nb_triu(mu_vec(2), 0) == NULL))
MU_N(nb_flip, "NULL input", !nb_flip(NULL, NB_DIMS(0)))
MU_E(nb_flip, "dim 2", !nb_flip(T(), NB_DIMS(2)))
MU_E(nb_flip, "dim 0 twice", !nb_flip(T(), NB_DIMS(0, 0)))
MU_E(nb_flip, "NULL dims", !nb_flip(T(), 1, NULL))
MU_N(nb_roll, "NULL input", !nb_roll(NULL, 1, (int64_t[]){ 1 }, (int[]){ 0 }))
MU_E(nb_roll, "dim 3", !nb_roll(T(), 1, (int64_t[]){ 1 }, (int[]){ 3 }))
MU_E(nb_roll, "NULL shifts", !nb_roll(T(), 1, NULL, (int[]){ 0 }))
MU_E(nb_roll, "NULL dims", !nb_roll(T(), 1, (int64_t[]){ 1 }, NULL))
MU_E(nb_roll, "shift INT64_MIN",
     (nb_roll(T(), 1, (int64_t[]){ INT64_MIN }, (int[]){ 0 }),
      nb_roll(T(), 0, (int64_t[]){ INT64_MIN }, NULL), !nb_roll(T(), 1, (int64_t[]){ 1 }, (int[]){ 5 })))
MU_N(nb_repeat, "NULL input", !nb_repeat(NULL, 2, (int64_t[]){ 1, 1 }))
MU_E(nb_repeat, "fewer repeats than dims", !nb_repeat(T(), 1, (int64_t[]){ 2 }))
MU_E(nb_repeat, "negative repeat", !nb_repeat(T(), 2, (int64_t[]){ 1, -1 }))
MU_E(nb_repeat, "NULL repeats", !nb_repeat(T(), 2, NULL))
MU_E(nb_repeat, "repeat 2^62", !nb_repeat(T(), 2, (int64_t[]){ (int64_t)1 << 62, 4 }))
MU_N(nb_cumsum, "NULL input", !nb_cumsum(NULL, 0))
MU_E(nb_cumsum, "dim 2", !nb_cumsum(T(), 2))
MU_N(nb_sort, "NULL input", !nb_sort(NULL, 0, (nb_sort_opts){ 0 }, NULL))
MU_E(nb_sort, "dim -3", !nb_sort(T(), -3, (nb_sort_opts){ 0 }, NULL))
MU_N(nb_argsort, "NULL input", !nb_argsort(NULL, 0, (nb_sort_opts){ 0 }))
MU_E(nb_argsort, "dim 9", !nb_argsort(T(), 9, (nb_sort_opts){ 0 }))
MU_N(nb_topk, "NULL input", !nb_topk(NULL, 1, 0, (nb_topk_opts){ 0 }, NULL))
MU_E(nb_topk, "k 4 of 3", !nb_topk(T(), 4, 1, (nb_topk_opts){ 0 }, NULL))
MU_E(nb_topk, "k -1", !nb_topk(T(), -1, 1, (nb_topk_opts){ 0 }, NULL))
MU_E(nb_topk, "dim 2", !nb_topk(T(), 1, 2, (nb_topk_opts){ 0 }, NULL))
MU_N(nb_atan, "NULL input", !nb_atan(NULL))
MU_E(nb_atan, "released input", !nb_atan(mu_released()))
MU_N(nb_reciprocal, "NULL input", !nb_reciprocal(NULL))
MU_E(nb_reciprocal, "released input", !nb_reciprocal(mu_released()))
MU_N(nb_ne_scalar, "NULL input", !nb_ne_scalar(NULL, 1))
MU_E(nb_ne_scalar, "released input", !nb_ne_scalar(mu_released(), 1))
MU_N(nb_le_scalar, "NULL input", !nb_le_scalar(NULL, 1))
MU_E(nb_le_scalar, "released input", !nb_le_scalar(mu_released(), 1))
MU_N(nb_ge_scalar, "NULL input", !nb_ge_scalar(NULL, 1))
MU_E(nb_ge_scalar, "released input", !nb_ge_scalar(mu_released(), 1))
/* ---- distributions ---- */
static nb_categorical CAT(void) {
    nb_categorical d = { 0 };
    nb_categorical_init(&d, nb_ones(NB_F32, NB_SHAPE(2, 3)), NULL);
    return d;
}
static nb_normal_dist NORM(void) {
    nb_normal_dist d = { 0 };
    nb_normal_dist_init(&d, nb_zeros(NB_F32, NB_SHAPE(3)), nb_ones(NB_F32, NB_SHAPE(3)));
    return d;
}
MU_E(nb_categorical_init, "NULL distribution", nb_categorical_init(NULL, T(), NULL) == NB_ERROR)
MU_E(nb_categorical_init, "both probs and logits",
     nb_categorical_init(&(nb_categorical){ 0 }, T(), T()) == NB_ERROR)
MU_E(nb_categorical_init, "neither probs nor logits",
     nb_categorical_init(&(nb_categorical){ 0 }, NULL, NULL) == NB_ERROR)
MU_E(nb_categorical_init, "int64 probs", nb_categorical_init(&(nb_categorical){ 0 }, TI(), NULL) == NB_ERROR)
MU_E(nb_categorical_init, "0-d logits",
     nb_categorical_init(&(nb_categorical){ 0 }, NULL, nb_scalar(NB_F32, 1)) == NB_ERROR)
MU_E(nb_categorical_sample, "NULL distribution", !nb_categorical_sample(NULL, 0, NULL, NULL))
MU_E(nb_categorical_sample, "uninitialised distribution",
     !nb_categorical_sample(&(nb_categorical){ 0 }, 0, NULL, NULL))
MU_E(nb_categorical_sample, "NULL sample shape",
     !nb_categorical_sample(&(nb_categorical[]){ CAT() }[0], 2, NULL, NULL))
MU_E(nb_categorical_sample, "negative sample size",
     !nb_categorical_sample(&(nb_categorical[]){ CAT() }[0], NB_SHAPE(-1), NULL))
MU_E(nb_categorical_log_prob, "NULL distribution", !nb_categorical_log_prob(NULL, TI()))
MU_E(nb_categorical_log_prob, "value 3 of 3 events",
     !nb_categorical_log_prob(&(nb_categorical[]){ CAT() }[0], nb_full(NB_I64, NB_SHAPE(2), 3)))
MU_E(nb_categorical_log_prob, "float value", !nb_categorical_log_prob(&(nb_categorical[]){ CAT() }[0], T()))
MU_N(nb_categorical_log_prob, "NULL value", !nb_categorical_log_prob(&(nb_categorical[]){ CAT() }[0], NULL))
MU_E(nb_categorical_entropy, "NULL distribution", !nb_categorical_entropy(NULL))
MU_E(nb_categorical_entropy, "uninitialised", !nb_categorical_entropy(&(nb_categorical){ 0 }))
MU_E(nb_normal_dist_init, "NULL distribution", nb_normal_dist_init(NULL, T(), T()) == NB_ERROR)
MU_E(nb_normal_dist_init, "scale 0", nb_normal_dist_init(&(nb_normal_dist){ 0 }, T(), T()) == NB_ERROR)
MU_E(nb_normal_dist_init, "shapes that do not broadcast",
     nb_normal_dist_init(&(nb_normal_dist){ 0 }, T(), nb_ones(NB_F32, NB_SHAPE(4))) == NB_ERROR)
MU_E(nb_normal_dist_init, "int64 loc",
     nb_normal_dist_init(&(nb_normal_dist){ 0 }, TI(), nb_ones(NB_F32, NB_SHAPE(3))) == NB_ERROR)
MU_N(nb_normal_dist_init, "NULL loc", nb_normal_dist_init(&(nb_normal_dist){ 0 }, NULL, T()) == NB_ERROR)
MU_E(nb_normal_dist_sample, "NULL distribution", !nb_normal_dist_sample(NULL, 0, NULL, NULL))
MU_E(nb_normal_dist_sample, "NULL sample shape",
     !nb_normal_dist_sample(&(nb_normal_dist[]){ NORM() }[0], 1, NULL, NULL))
MU_E(nb_normal_dist_sample, "uninitialised", !nb_normal_dist_sample(&(nb_normal_dist){ 0 }, 0, NULL, NULL))
MU_E(nb_normal_dist_rsample, "NULL distribution", !nb_normal_dist_rsample(NULL, 0, NULL, NULL))
MU_E(nb_normal_dist_rsample, "NULL sample shape",
     !nb_normal_dist_rsample(&(nb_normal_dist[]){ NORM() }[0], 1, NULL, NULL))
MU_E(nb_normal_dist_rsample, "uninitialised", !nb_normal_dist_rsample(&(nb_normal_dist){ 0 }, 0, NULL, NULL))
MU_E(nb_normal_dist_log_prob, "NULL distribution", !nb_normal_dist_log_prob(NULL, T()))
MU_E(nb_normal_dist_log_prob, "value (4) for batch (3)",
     !nb_normal_dist_log_prob(&(nb_normal_dist[]){ NORM() }[0], nb_zeros(NB_F32, NB_SHAPE(4))))
MU_N(nb_normal_dist_log_prob, "NULL value", !nb_normal_dist_log_prob(&(nb_normal_dist[]){ NORM() }[0], NULL))
MU_E(nb_normal_dist_entropy, "NULL distribution", !nb_normal_dist_entropy(NULL))
MU_E(nb_normal_dist_entropy, "uninitialised", !nb_normal_dist_entropy(&(nb_normal_dist){ 0 }))
/* ---- distributed (a world of one without mpirun) ---- */
MU_E(nb_dist_init_process_group, "unknown backend",
     nb_dist_init_process_group((nb_dist_init_opts){ .backend = "nccl" }) == NB_ERROR)
MU_E(nb_dist_destroy_process_group, "not initialised", nb_dist_destroy_process_group() == NB_ERROR)
MU_E(nb_dist_barrier, "not initialised", nb_dist_barrier() == NB_ERROR)
MU_E(nb_dist_broadcast, "NULL tensor", nb_dist_broadcast(NULL, 0) == NB_ERROR)
MU_E(nb_dist_broadcast, "src 5 of 1", nb_dist_broadcast(T(), 5) == NB_ERROR)
MU_E(nb_dist_all_reduce, "NULL tensor", nb_dist_all_reduce(NULL, NB_REDUCE_SUM) == NB_ERROR)
MU_E(nb_dist_all_reduce, "unknown op", nb_dist_all_reduce(T(), (nb_reduce_op)17) == NB_ERROR)
MU_E(nb_dist_all_reduce, "AVG of int64", nb_dist_all_reduce(TI(), NB_REDUCE_AVG) == NB_ERROR)
MU_E(nb_dist_all_reduce, "a non-contiguous tensor", nb_dist_all_reduce(nb_t(T()), NB_REDUCE_SUM) == NB_ERROR)
MU_E(nb_dist_all_gather_into_tensor, "NULL out", nb_dist_all_gather_into_tensor(NULL, T()) == NB_ERROR)
MU_E(nb_dist_all_gather_into_tensor, "out of 4 for 6 inputs",
     nb_dist_all_gather_into_tensor(nb_zeros(NB_F32, NB_SHAPE(4)), T()) == NB_ERROR)
MU_E(nb_dist_all_gather_into_tensor, "dtypes differ",
     nb_dist_all_gather_into_tensor(mu_f64(), T()) == NB_ERROR)
MU_E(nb_dist_reduce_scatter_tensor, "NULL in",
     nb_dist_reduce_scatter_tensor(T(), NULL, NB_REDUCE_SUM) == NB_ERROR)
MU_E(nb_dist_reduce_scatter_tensor, "in of 4 for out of 6",
     nb_dist_reduce_scatter_tensor(T(), nb_zeros(NB_F32, NB_SHAPE(4)), NB_REDUCE_SUM) == NB_ERROR)
MU_E(nb_dist_reduce_scatter_tensor, "unknown op",
     nb_dist_reduce_scatter_tensor(T(), T(), (nb_reduce_op)-1) == NB_ERROR)
MU_E(nb_distributed_data_parallel, "NULL module",
     !mu_own_module(nb_distributed_data_parallel(NULL, (nb_ddp_opts){ 0 })))
MU_E(nb_distributed_data_parallel, "negative bucket size",
     !mu_own_module(nb_distributed_data_parallel(nb_linear_new(3, 2, true),
                                                 (nb_ddp_opts){ .bucket_cap_mb = -1 })))
MU_E(nb_ddp_module, "NULL", !nb_ddp_module(NULL))
MU_E(nb_ddp_module, "not a DDP wrapper", !nb_ddp_module(mu_own_module(nb_linear_new(3, 2, true))))
MU_E(nb_ddp_set_require_backward_grad_sync, "NULL",
     (nb_ddp_set_require_backward_grad_sync(NULL, false), true))
MU_E(nb_ddp_set_require_backward_grad_sync, "not a DDP wrapper",
     (nb_ddp_set_require_backward_grad_sync(mu_own_module(nb_linear_new(3, 2, true)), false), true))
MU_N(nb_ddp_get_stats, "NULL gives zeros", (nb_ddp_get_stats(NULL), true))
MU_E(nb_distributed_sampler_new, "negative n",
     !mu_own_sampler(nb_distributed_sampler_new(-1, (nb_distributed_sampler_opts){ 0 })))
MU_E(nb_distributed_sampler_new, "rank 3 of 2 replicas",
     !mu_own_sampler(nb_distributed_sampler_new(10, (nb_distributed_sampler_opts){ .num_replicas = 2,
                                                                                   .rank = 3 })))
MU_E(nb_distributed_sampler_new, "negative replicas",
     !mu_own_sampler(nb_distributed_sampler_new(10, (nb_distributed_sampler_opts){ .num_replicas = -2 })))
MU_E(nb_distributed_sampler_set_epoch, "NULL sampler", (nb_distributed_sampler_set_epoch(NULL, 1), true))
MU_E(nb_distributed_sampler_len, "NULL sampler", nb_distributed_sampler_len(NULL) == -1)
MU_E(nb_distributed_sampler_indices, "NULL sampler", !nb_distributed_sampler_indices(NULL, (int64_t[1]){ 0 }))
MU_E(nb_distributed_sampler_indices, "NULL count",
     !nb_distributed_sampler_indices(
         mu_own_sampler(nb_distributed_sampler_new(10, (nb_distributed_sampler_opts){ 0 })), NULL))
MU_E(nb_distributed_sampler_iter, "NULL sampler", !nb_distributed_sampler_iter(NULL, (int64_t[1]){ 0 }))
