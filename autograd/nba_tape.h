/* nba_tape.h — internals of the autograd layer: tape nodes, recording, and the helpers every op
 * file uses. A node holds its inputs (with the generation and version seen at record time, so
 * stale or modified-in-place inputs are detected in backward), scalar/int arguments and its output. */
#ifndef NBA_TAPE_H
#define NBA_TAPE_H

#include "nb_kernels.h"
#include "nba_autograd.h"

#define NB_OP(name, bwname, order) NBA_OP_##name,
typedef enum {
#include "ops.def"
} nba_opcode;
#undef NB_OP
#define NB_OP(name, bwname, order) +1
enum {
    NBA_OP_COUNT = 0
#include "ops.def"
}; /* not an enumerator, so a switch over nba_opcode must list every op (-Wswitch-enum) */
#undef NB_OP

typedef struct {
    nb_tensor *t;
    uint32_t gen, ver;
} nba_input;

/* Saved masks of nba_record: which tensors backward reads, so an in-place write to one of them before
 * backward is an error. Combine with |: NBA_SAVE_IN(0) | NBA_SAVE_OUT. (Bare numbers, bit i = input i,
 * still mean the same.) A node that saves nothing is not spent by a backward without retain_graph. */
#define NBA_SAVE_NONE 0u           /* backward reads no input and not the output */
#define NBA_SAVE_IN(i) (1u << (i)) /* backward reads input i (i < 31) */
#define NBA_SAVE_OUT 0x80000000u   /* backward reads the output */
#define NBA_SAVE_ALL 0x7fffffffu   /* backward reads every input */

struct nba_node {
    nba_opcode op;
    size_t index;   /* position on the tape */
    nb_tensor *out; /* NULL once the output is released */
    uint32_t out_gen, out_ver;
    int nin;
    nba_input *in; /* inl, or a heap array for many inputs */
    nba_input inl[3];
    nba_input *heap;                 /* stb_ds array reused across uses of this node struct */
    uint32_t saved;                  /* bit i: backward reads input i; NBA_SAVE_OUT: reads the output */
    double s[3];                     /* scalar arguments */
    int64_t iv[NB_MAX_DIMS * 2 + 2]; /* integer arguments (dims, shapes) */
    int niv;
    nb_tensor *aux;    /* extra tensor argument (indices, mask), borrowed: set with nba_set_aux */
    uint32_t aux_gen;  /* aux's generation when recorded (a released aux is detected) */
    bool freed;        /* consumed by a backward without retain_graph */
    const char *label; /* grad_fn name shown instead of the op's (a composite's torch name), or NULL */
    uint32_t owner;    /* id of the thread whose tape holds this node (nbt_thread_id) */
};

/* Backward rule: fill gin[i] (preset NULL) with d/d(input i) for every input that requires grad, or
 * NBA_GRAD_ZERO where that gradient is zero by definition (a where's condition). A rule that leaves a
 * needed gin[i] NULL must have recorded an error; otherwise debug builds report an internal error. */
/* Without create_graph: the gradient the running backward has gathered so far for input i of n (a non-leaf),
 * when a rule may add its contribution into it in place (contiguous, not shared, not recorded), else NULL. A
 * rule that adds into it sets gin[i] = NBA_GRAD_ZERO (nothing more to add). */
nb_tensor *nba_grad_slot(const nba_node *n, int i);
extern nb_tensor nba_grad_zero_;
#define NBA_GRAD_ZERO (&nba_grad_zero_)
typedef void (*nba_bw_fn)(nba_node *n, nb_tensor *g, nb_tensor **gin);
#define NB_OP(name, bwname, order) void nba_bw_##name(nba_node *n, nb_tensor *g, nb_tensor **gin);
#include "ops.def"
#undef NB_OP
extern const nba_bw_fn nba_bw_table[NBA_OP_COUNT];
extern const char *const nba_op_names[NBA_OP_COUNT];
extern const char *const nba_bw_names[NBA_OP_COUNT];
extern const int nba_op_order[NBA_OP_COUNT];

/* Record y = op(inputs) if grad mode is on and an input requires grad (y->requires_grad is set);
 * returns the node (to fill s/iv/aux) or NULL when nothing is recorded. */
nba_node *nba_record(nba_opcode op, nb_tensor *y, int nin, nb_tensor *const *in, uint32_t saved);
/* true if recording y = op(in...) would happen. */
bool nba_will_record(int nin, nb_tensor *const *in);
/* Attach a borrowed tensor argument (index, mask) that backward reads (once per node). */
static inline void nba_set_aux(nba_node *n, nb_tensor *t) {
    n->aux = t;
    n->aux_gen = t ? t->gen : 0;
    if (t) t->tape_uses++, t->tape_saved++;
}
/* Input i of node n. */
static inline nb_tensor *nba_in(const nba_node *n, int i) { return n->in[i].t; }
/* true if input i needs a gradient. */
static inline bool nba_need(const nba_node *n, int i) { return n->in[i].t && n->in[i].t->requires_grad; }
/* Mark n as consumed by a backward without retain_graph (a second backward through it is an error) and
 * drop its hold on the data it saved (a tensor released with nb_release gives that data up). */
void nba_node_spend(nba_node *n);
/* true if backward reads input i's data (saved-mask bit i; NBA_SAVE_ALL covers inputs past 30 too). */
static inline bool nba_saves(const nba_node *n, int i) {
    return i < 31 ? (n->saved >> i) & 1u : (n->saved & NBA_SAVE_ALL) == NBA_SAVE_ALL;
}
/* The tape of this thread: length and node i. */
size_t nba_tape_len(void);
nba_node *nba_tape_at(size_t i);

/* Check every argument is a live tensor (NULL passes through silently as false). */
bool nba_args_ok(const char *op, int n, nb_tensor *const *ts);
/* The common case of nba_args_ok inline: every argument non-NULL and live. */
static inline bool nba_args_live(int n, nb_tensor *const *ts) {
    for (int i = 0; i < n; i++)
        if (!ts[i] || ts[i]->magic != NBT_LIVE || (ts[i]->node && ts[i]->node->owner != nbt_thread_id_))
            return false; /* the slow path: nba_args_ok tells NULL, released, another thread's tape */
    return true;
}
#define NBA_CHECK(op, ...)                                                                                   \
    do {                                                                                                     \
        nb_tensor *const nba_args_[] = { __VA_ARGS__ };                                                      \
        nbt_fn_cur = (op);                                                                                   \
        const int nba_nargs_ = (int)(sizeof nba_args_ / sizeof nba_args_[0]);                                \
        if (!nba_args_live(nba_nargs_, nba_args_) && !nba_args_ok(op, nba_nargs_, nba_args_)) return NULL;   \
    } while (0)
/* g * t for a temporary t the caller just made: when not recording and t has g's shape and dtype,
 * the product goes into t's own storage (t * g: the same values, IEEE products commute); else nb_mul. */
nb_tensor *nba_mul_tmp(nb_tensor *g, nb_tensor *t);
/* Reduce g (broadcast result) to t's shape; g itself when the shapes agree. */
nb_tensor *nba_sum_to(nb_tensor *g, const nb_tensor *t);
/* Parse a dims list for a tensor of ndim dims into sorted unique normalised dims; returns count or -1. */
int nba_parse_dims(int ndims, const int *dims, int ndim, int *out, const char *op);
/* Re-insert the reduced dims (size 1) into g so it broadcasts against the input (keepdim = false case). */
nb_tensor *nba_unsqueeze_dims(nb_tensor *g, int nd, const int *dims, int ndims_in);

/* Post accumulate grad hooks (hooks.c), driven by backward: begin scans tape[0, hi) for hooked leaves
 * (false: none, nothing to do); mark notes a leaf got gradient; fire runs the hooks of leaves whose
 * last use on the tape is >= below; end closes the backward. */
bool nba_hooks_begin(size_t hi);
/* Free this thread's backward slot array / pending-hook array (its exit, tape.c). */
void nba_backward_thread_exit(void);
void nba_hooks_thread_exit(void);
void nba_hooks_mark(nb_tensor *leaf);
nb_status nba_hooks_fire(size_t below);
void nba_hooks_end(void);

/* Backward trace hook (tape_print.c): prints node nd's VJP if nb_set_backward_trace is on. */
void nba_trace_vjp(const nba_node *nd, nb_tensor *g, nb_tensor *const *gin);
/* End of a backward pass: drops the leaf numbering the trace kept while the tape did not change. */
void nba_trace_end(void);

#endif
