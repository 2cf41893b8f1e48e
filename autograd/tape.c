/* tape.c — the thread-local tape: nodes appended in creation order (so the tape *is* the
 * topological order), grad mode, the op tables generated from ops.def, and the leaf/history API.
 * Nodes are pooled; a scope's end releases the nodes recorded inside it and cuts kept outputs loose. */
#include "nbi_tape.h"
#include <stb_ds.h>
#include <stdlib.h>

#define NB_OP(name, bwname, order) nbi_bw_##name,
const nbi_bw_fn nbi_bw_table[NBI_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP
#define NB_OP(name, bwname, order) #name,
const char *const nbi_op_names[NBI_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP
#define NB_OP(name, bwname, order) bwname,
const char *const nbi_bw_names[NBI_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP
#define NB_OP(name, bwname, order) order,
const int nbi_op_order[NBI_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP

static _Thread_local nbi_node **tape;      /* stb_ds array */
static _Thread_local nbi_node *free_nodes; /* linked through ->aux */
#define grad_off nbi_grad_off /* per thread, in the tensor layer (its writers check it); on by default */

bool nb_set_grad_enabled(bool on) {
    bool prev = !grad_off;
    grad_off = !on;
    return prev;
}
bool nb_is_grad_enabled(void) { return !grad_off; }

size_t nbi_tape_len(void) { return (size_t)arrlen(tape); }
nbi_node *nbi_tape_at(size_t i) { return tape[i]; }

/* The tape's references to what node n read: data references while unspent, uses while on the tape. */
static void node_unref(nbi_node *n, bool data, bool use) {
    for (int i = 0; i < n->nin; i++) {
        nb_tensor *t = n->in[i].t;
        if (t && t->gen == n->in[i].gen && t->magic != NBI_DEAD)
            nbi_tape_unref(t, data && nbi_saves(n, i), use);
    }
    if (n->aux && n->aux->gen == n->aux_gen && n->aux->magic != NBI_DEAD) nbi_tape_unref(n->aux, data, use);
    if (data && (n->saved & NBI_SAVE_OUT) && n->out && n->out->gen == n->out_gen && n->out->magic != NBI_DEAD)
        nbi_tape_unref(n->out, true, false);
}

static void release_nodes(size_t mark) {
    while ((size_t)arrlen(tape) > mark) {
        nbi_node *n = arrpop(tape);
        node_unref(n, !n->freed, true); /* may release held tensors (and, at top level, recycle more nodes) */
        if (n->out && n->out->magic != NBI_DEAD && n->out->node == n) n->out->node = NULL;
        n->out = NULL;
        n->aux = (nb_tensor *)free_nodes;
        free_nodes = n;
    }
}

void nbi_node_spend(nbi_node *n) {
    if (n->freed) return;
    n->freed = true;
    node_unref(n, true, false);
}

static void tensor_released(nb_tensor *t) {
    if (t->node && t->node->out == t) t->node->out = NULL;
    /* Outside any scope no scope end will release nodes: recycle the top of the tape while its outputs
     * are gone (nothing above can read them). Inside a scope, nodes wait for the scope's end. */
    if (nbi_scope_depth() == 0)
        while (arrlen(tape) > 0 && arrlast(tape)->out == NULL) release_nodes((size_t)arrlen(tape) - 1);
}

/* the thread ends: its tape is released (the nodes' outputs lose their history) and freed */
static void tape_thread_exit(void) {
    release_nodes(0);
    arrfree(tape);
    while (free_nodes) {
        nbi_node *n = free_nodes;
        free_nodes = (nbi_node *)n->aux;
        arrfree(n->heap);
        free(n);
    }
    nbi_backward_thread_exit();
    nbi_hooks_thread_exit();
    grad_off = false;
}

static void install_hooks(void) {
    nbi_at_thread_exit(tape_thread_exit);
    nbi_tape_release_hook = release_nodes;
    nbi_tape_len_hook = nbi_tape_len;
    nbi_tensor_release_hook = tensor_released;
    nbi_grad_fn_name_hook = nb_grad_fn_name;
}

bool nbi_will_record(int nin, nb_tensor *const *in) {
    if (grad_off) return false;
    for (int i = 0; i < nin; i++)
        if (in[i] && in[i]->requires_grad) return true;
    return false;
}

nb_tensor *nbi_label(nb_tensor *y, const nb_tensor *x, const char *name) {
    if (y && y != x && y->node && y->node->out == y) y->node->label = name;
    return y;
}

/* Recording an op whose input is on another thread's tape would join two tapes: refused (reading it
 * with grad mode off is fine). Returns false with the error recorded. */
static bool same_tape(const char *op, int n, nb_tensor *const *ts) {
    if (grad_off) return true;
    for (int i = 0; i < n; i++)
        if (ts[i] && ts[i]->node && ts[i]->node->owner != nbi_thread_id()) {
            nbi_error(
                "%s: input %d was recorded on the tape of thread %u (this is thread %u); a tape belongs to "
                "the thread that records it: use nb_detach (or NB_NO_GRAD) to read it here",
                op, i, ts[i]->node->owner, nbi_thread_id());
            return false;
        }
    return true;
}

nbi_node *nbi_record(nbi_opcode op, nb_tensor *y, int nin, nb_tensor *const *in, uint32_t saved) {
    if (!y || !nbi_will_record(nin, in)) return NULL;
    if (!same_tape(nbi_op_names[op], nin, in)) return NULL; /* ops that skip NBI_CHECK: not recorded */
    if (!nbi_tape_release_hook) install_hooks();
    nbi_node *n = free_nodes;
    if (n) {
        free_nodes = (nbi_node *)n->aux;
    } else {
        n = calloc(1, sizeof *n);
        if (!n) return nbi_error("out of memory recording %s", nbi_op_names[op]);
        nbi_count_sys_alloc();
    }
    nbi_input *heap = n->heap;
    memset(n, 0, sizeof *n);
    n->heap = heap;
    n->op = op;
    n->owner = nbi_thread_id();
    n->nin = nin;
    if (nin <= 3) {
        n->in = n->inl;
    } else {
        arrsetlen(n->heap, nin);
        n->in = n->heap;
    }
    n->saved = saved;
    for (int i = 0; i < nin; i++) {
        n->in[i].t = in[i];
        n->in[i].gen = in[i] ? in[i]->gen : 0;
        n->in[i].ver = in[i] && in[i]->storage ? in[i]->storage->version : 0;
        if (in[i]) in[i]->tape_uses++, in[i]->tape_saved += nbi_saves(n, i);
    }
    n->out = y;
    n->out_gen = y->gen;
    n->out_ver = y->storage->version;
    if (saved & NBI_SAVE_OUT) y->tape_saved++;
    n->index = (size_t)arrlen(tape);
    arrput(tape, n);
    y->node = n;
    y->requires_grad = true;
    return n;
}

bool nbi_args_ok(const char *op, int n, nb_tensor *const *ts) {
    for (int i = 0; i < n; i++)
        if (!ts[i]) return false;
    for (int i = 0; i < n; i++)
        if (!nbi_ok(ts[i], op)) return false;
    return same_tape(op, n, ts);
}

/* ---- leaves and history ---- */
nb_tensor *nb_requires_grad_(nb_tensor *t, bool on) {
    if (!nbi_ok(t, "nb_requires_grad_")) return NULL;
    if (t->node && !on)
        return nbi_error("nb_requires_grad_: you can only change requires_grad flags of leaf variables "
                         "(use nb_detach to get a tensor without history)");
    if (on && !nbi_is_float(t->dtype))
        return nbi_error("nb_requires_grad_: only floating point tensors can require gradients (got %s)",
                         nb_dtype_name(t->dtype));
    t->requires_grad = on;
    return t;
}

nb_tensor *nb_detach(nb_tensor *t) {
    if (!nbi_ok(t, "nb_detach")) return NULL;
    return nbi_view(t, t->ndim, t->shape, t->stride, t->offset);
}

nb_status nb_retain_grad(nb_tensor *t) {
    if (!nbi_ok_req(t, "nb_retain_grad")) return NB_ERROR;
    if (!t->requires_grad) {
        nbi_error("nb_retain_grad: can't retain_grad on a tensor that has requires_grad=False");
        return NB_ERROR;
    }
    if (t->node) t->retains_grad = true;
    return NB_OK;
}

nb_tensor *nb_grad_of(const nb_tensor *t) { return nbi_ok(t, "nb_grad_of") ? t->grad : NULL; }

void nb_zero_grad(nb_tensor *t) {
    if (!nbi_ok(t, "nb_zero_grad")) return;
    if (t->grad) nb_free(t->grad);
    t->grad = NULL;
}

bool nb_is_leaf(const nb_tensor *t) { return t && t->node == NULL; }

const char *nb_grad_fn_name(const nb_tensor *t) {
    if (t && t->magic != NBI_LIVE) return nbi_ok(t, "nb_grad_fn_name") ? NULL : NULL; /* records the misuse */
    if (!t || !t->node) return NULL;
    if (t->node->label) return t->node->label;
    /* torch names the all-dims overloads differently: x.sum() -> SumBackward0, x.prod() -> ProdBackward0 */
    if (t->node->iv[1] == 0 && t->node->op == NBI_OP_sum) return "SumBackward0";
    if (t->node->iv[1] == 0 && t->node->op == NBI_OP_prod) return "ProdBackward0";
    return nbi_bw_names[t->node->op];
}
