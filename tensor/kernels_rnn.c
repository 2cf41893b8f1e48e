/* kernels_rnn.c — fused kernels of one recurrent layer in one direction over a whole sequence
 * (Elman tanh/relu, LSTM with optional projection, GRU), forward and backward through time, f32 and
 * f64 from one source (rnn_template.h). The input projection of all steps is one GEMM; each step is
 * the recurrent GEMM plus one pass over the gates. Nothing is summed in a thread-dependent order. */
#include "nb_kernels.h"
#include "gemm.h"
#include "rnn_gates.h"
#include <math.h>

#define RT float
#define SUF f
#define GEMM_ nbt_sgemm
#include "rnn_template.h"
#undef RT
#undef SUF
#undef GEMM_
#define RT double
#define SUF
#define GEMM_ nbt_dgemm
#include "rnn_template.h"
#undef RT
#undef SUF
#undef GEMM_

/* typed pointer of an optional tensor */
#define PF(t) ((t) ? (float *)nbt_ptr(t) : NULL)
#define PD(t) ((t) ? (double *)nbt_ptr(t) : NULL)

nb_status nbt_rnn_forward(const nbt_rnn_shape *s, nb_tensor *const in[NBT_RNN_NIN], nb_tensor *y,
                          nb_tensor *ws) {
    int64_t ntmp = s->B * (s->mode == NBT_RNN_GRU ? 3 * s->H : s->H);
    nb_tensor *tmp = nbt_new(y->dtype, 1, (int64_t[]){ ntmp });
    if (!tmp) return NB_ERROR;
    if ((double)s->B * (double)s->H * (double)s->P >= NBT_PAR_MIN) nbt_threads_check();
    if (y->dtype == NB_F32)
        rnn_fwd_f(s, PF(in[0]), PF(in[1]), PF(in[2]), PF(in[3]), PF(in[4]), PF(in[5]), PF(in[6]), PF(in[7]),
                  PF(y), PF(ws), PF(tmp));
    else
        rnn_fwd_(s, PD(in[0]), PD(in[1]), PD(in[2]), PD(in[3]), PD(in[4]), PD(in[5]), PD(in[6]), PD(in[7]),
                 PD(y), PD(ws), PD(tmp));
    nb_free(tmp);
    return NB_OK;
}

nb_status nbt_rnn_backward(const nbt_rnn_shape *s, nb_tensor *const in[NBT_RNN_NIN], const nb_tensor *y,
                           const nb_tensor *ws, const nb_tensor *gy, nb_tensor *grads[NBT_RNN_NIN]) {
    const int64_t TB = s->T * s->B, G = nbt_rnn_gates(s->mode) * s->H;
    const bool proj = in[7] != NULL, gru = s->mode == NBT_RNN_GRU;
    nb_dtype dt = y->dtype;
    /* one scratch block: dgi, dgh (GRU), dh, dhn, dcn, dm, mm, dhs */
    int64_t n_dgi = TB * G, n_dgh = gru ? TB * G : 0, n_p = s->B * s->P, n_h = s->B * s->H;
    int64_t n_mm = proj ? TB * s->H : 0, n_dhs = proj ? TB * s->P : 0;
    int64_t total = n_dgi + n_dgh + 2 * n_p + 2 * n_h + n_mm + n_dhs;
    nb_tensor *scr = nbt_new(dt, 1, (int64_t[]){ total });
    if (!scr) return NB_ERROR;
    if ((double)s->B * (double)s->H * (double)s->P >= NBT_PAR_MIN) nbt_threads_check();
    if (dt == NB_F32) {
        float *p = PF(scr);
        rnn_scratch_f sc = { .dgi = p, .dgh = gru ? p + n_dgi : p };
        p += n_dgi + n_dgh;
        sc.dh = p, sc.dhn = p + n_p, p += 2 * n_p;
        sc.dcn = p, sc.dm = p + n_h, p += 2 * n_h;
        sc.mm = p, sc.dhs = p + n_mm;
        rnn_bwd_f(s, PF(in[0]), PF(in[1]), PF(in[2]), PF(in[3]), PF(in[4]), PF(in[7]), PF(y), PF(ws), PF(gy),
                  PF(grads[0]), PF(grads[1]), PF(grads[2]), PF(grads[3]), PF(grads[4]), PF(grads[5]),
                  PF(grads[6]), PF(grads[7]), &sc);
    } else {
        double *p = PD(scr);
        rnn_scratch_ sc = { .dgi = p, .dgh = gru ? p + n_dgi : p };
        p += n_dgi + n_dgh;
        sc.dh = p, sc.dhn = p + n_p, p += 2 * n_p;
        sc.dcn = p, sc.dm = p + n_h, p += 2 * n_h;
        sc.mm = p, sc.dhs = p + n_mm;
        rnn_bwd_(s, PD(in[0]), PD(in[1]), PD(in[2]), PD(in[3]), PD(in[4]), PD(in[7]), PD(y), PD(ws), PD(gy),
                 PD(grads[0]), PD(grads[1]), PD(grads[2]), PD(grads[3]), PD(grads[4]), PD(grads[5]),
                 PD(grads[6]), PD(grads[7]), &sc);
    }
    nb_free(scr);
    return NB_OK;
}
