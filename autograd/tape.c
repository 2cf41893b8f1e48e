/* tape.c — the thread-local tape: nodes appended in creation order (so the tape *is* the
 * topological order), grad mode, the op tables generated from ops.def, and the leaf/history API.
 * Nodes are pooled; a scope's end releases the nodes recorded inside it and cuts kept outputs loose. */
#include "nba_tape.h"
#include <stb_ds.h>
#include <stdlib.h>

#define NB_OP(name, bwname, order) nba_bw_##name,
const nba_bw_fn nba_bw_table[NBA_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP
#define NB_OP(name, bwname, order) #name,
const char *const nba_op_names[NBA_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP
#define NB_OP(name, bwname, order) bwname,
const char *const nba_bw_names[NBA_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP
#define NB_OP(name, bwname, order) order,
const int nba_op_order[NBA_OP_COUNT] = {
#include "ops.def"
};
#undef NB_OP

static _Thread_local nba_node **tape;      /* stb_ds array */
static _Thread_local nba_node *free_nodes; /* linked through ->aux */
#define grad_off nbt_grad_off /* per thread, in the tensor layer (its writers check it); on by default */

bool nb_set_grad_enabled(bool on) {
    bool prev = !grad_off;
    grad_off = !on;
    return prev;
}
bool nb_is_grad_enabled(void) { return !grad_off; }

size_t nba_tape_len(void) { return (size_t)arrlen(tape); }
nba_node *nba_tape_at(size_t i) { return tape[i]; }

/* The tape's references to what node n read: data references while unspent, uses while on the tape. */
static void node_unref(nba_node *n, bool data, bool use) {
    for (int i = 0; i < n->nin; i++) {
        nb_tensor *t = n->in[i].t;
        if (t && t->gen == n->in[i].gen && t->magic != NBT_DEAD)
            nbt_tape_unref(t, data && nba_saves(n, i), use);
    }
    if (n->aux && n->aux->gen == n->aux_gen && n->aux->magic != NBT_DEAD) nbt_tape_unref(n->aux, data, use);
    if (data && (n->saved & NBA_SAVE_OUT) && n->out && n->out->gen == n->out_gen && n->out->magic != NBT_DEAD)
        nbt_tape_unref(n->out, true, false);
}

static void release_nodes(size_t mark) {
    while ((size_t)arrlen(tape) > mark) {
        nba_node *n = arrpop(tape);
        node_unref(n, !n->freed, true); /* may release held tensors (and, at top level, recycle more nodes) */
        if (n->out && n->out->magic != NBT_DEAD && n->out->node == n) n->out->node = NULL;
        n->out = NULL;
        n->aux = (nb_tensor *)free_nodes;
        free_nodes = n;
    }
}

void nba_node_spend(nba_node *n) {
    if (n->freed) return;
    n->freed = true;
    node_unref(n, true, false);
}

static void tensor_released(nb_tensor *t) {
    if (t->node && t->node->out == t) t->node->out = NULL;
    /* Outside any scope no scope end will release nodes: recycle the top of the tape while its outputs
     * are gone (nothing above can read them). Inside a scope, nodes wait for the scope's end. */
    if (nbt_scope_depth() == 0)
        while (arrlen(tape) > 0 && arrlast(tape)->out == NULL) release_nodes((size_t)arrlen(tape) - 1);
}

/* the thread ends: its tape is released (the nodes' outputs lose their history) and freed */
static void tape_thread_exit(void) {
    release_nodes(0);
    arrfree(tape);
    while (free_nodes) {
        nba_node *n = free_nodes;
        free_nodes = (nba_node *)n->aux;
        arrfree(n->heap);
        free(n);
    }
    nba_backward_thread_exit();
    nba_hooks_thread_exit();
    grad_off = false;
}

static void install_hooks(void) {
    nbt_at_thread_exit(tape_thread_exit);
    nbt_tape_release_hook = release_nodes;
    nbt_tape_len_hook = nba_tape_len;
    nbt_tensor_release_hook = tensor_released;
    nbt_grad_fn_name_hook = nb_grad_fn_name;
}

bool nba_will_record(int nin, nb_tensor *const *in) {
    if (grad_off) return false;
    for (int i = 0; i < nin; i++)
        if (in[i] && in[i]->requires_grad) return true;
    return false;
}

nb_tensor *nba_label(nb_tensor *y, const nb_tensor *x, const char *name) {
    if (y && y != x && y->node && y->node->out == y) y->node->label = name;
    return y;
}

/* Recording an op whose input is on another thread's tape would join two tapes: refused (reading it
 * with grad mode off is fine). Returns false with the error recorded. */
static bool same_tape(const char *op, int n, nb_tensor *const *ts) {
    if (grad_off) return true;
    for (int i = 0; i < n; i++)
        if (ts[i] && ts[i]->node && ts[i]->node->owner != nbt_thread_id()) {
            nbt_error(
                "%s: input %d was recorded on the tape of thread %u (this is thread %u); a tape belongs to "
                "the thread that records it: use nb_detach (or NB_NO_GRAD) to read it here",
                op, i, ts[i]->node->owner, nbt_thread_id());
            return false;
        }
    return true;
}

nba_node *nba_record(nba_opcode op, nb_tensor *y, int nin, nb_tensor *const *in, uint32_t saved) {
    if (!y || !nba_will_record(nin, in)) return NULL;
    if (!same_tape(nba_op_names[op], nin, in)) return NULL; /* ops that skip NBA_CHECK: not recorded */
    if (!nbt_tape_release_hook) install_hooks();
    nba_node *n = free_nodes;
    if (n) {
        free_nodes = (nba_node *)n->aux;
    } else {
        n = calloc(1, sizeof *n);
        if (!n) return nbt_oom(sizeof *n, "a tape node");
        nbt_count_sys_alloc();
    }
    nba_input *heap = n->heap;
    memset(n, 0, sizeof *n);
    n->heap = heap;
    n->op = op;
    n->owner = nbt_thread_id();
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
        if (in[i]) in[i]->tape_uses++, in[i]->tape_saved += nba_saves(n, i);
    }
    n->out = y;
    n->out_gen = y->gen;
    n->out_ver = y->storage->version;
    if (saved & NBA_SAVE_OUT) y->tape_saved++;
    n->index = (size_t)arrlen(tape);
    arrput(tape, n);
    y->node = n;
    y->requires_grad = true;
    return n;
}

bool nba_args_ok(const char *op, int n, nb_tensor *const *ts) {
    for (int i = 0; i < n; i++)
        if (!ts[i]) return false;
    for (int i = 0; i < n; i++)
        if (!nbt_ok(ts[i], op)) return false;
    return same_tape(op, n, ts);
}

/* ---- leaves and history ---- */
nb_tensor *nb_requires_grad_(nb_tensor *t, bool on) {
    if (!nbt_ok(t, "nb_requires_grad_")) return NULL;
    if (t->node && !on)
        return nbt_error("nb_requires_grad_: you can only change requires_grad flags of leaf variables "
                         "(use nb_detach to get a tensor without history)");
    if (on && !nbt_is_float(t->dtype))
        return nbt_error("nb_requires_grad_: only floating point tensors can require gradients (got %s)",
                         nb_dtype_name(t->dtype));
    t->requires_grad = on;
    return t;
}

nb_tensor *nb_detach(nb_tensor *t) {
    if (!nbt_ok(t, "nb_detach")) return NULL;
    return nbt_view(t, t->ndim, t->shape, t->stride, t->offset);
}

nb_status nb_retain_grad(nb_tensor *t) {
    if (!nbt_ok_req(t, "nb_retain_grad")) return NB_ERROR;
    if (!t->requires_grad) {
        nbt_error("nb_retain_grad: can't retain_grad on a tensor that has requires_grad=False");
        return NB_ERROR;
    }
    if (t->node) t->retains_grad = true;
    return NB_OK;
}

nb_tensor *nb_grad_of(const nb_tensor *t) { return nbt_ok(t, "nb_grad_of") ? t->grad : NULL; }

void nb_zero_grad(nb_tensor *t) {
    if (!nbt_ok(t, "nb_zero_grad")) return;
    if (t->grad) nb_free(t->grad);
    t->grad = NULL;
}

bool nb_is_leaf(const nb_tensor *t) { return t && t->node == NULL; }

const char *nb_grad_fn_name(const nb_tensor *t) {
    if (t && t->magic != NBT_LIVE) return nbt_ok(t, "nb_grad_fn_name") ? NULL : NULL; /* records the misuse */
    if (!t || !t->node) return NULL;
    if (t->node->label) return t->node->label;
    /* torch names the all-dims overloads differently: x.sum() -> SumBackward0, x.prod() -> ProdBackward0 */
    if (t->node->iv[1] == 0 && t->node->op == NBA_OP_sum) return "SumBackward0";
    if (t->node->iv[1] == 0 && t->node->op == NBA_OP_prod) return "ProdBackward0";
    return nba_bw_names[t->node->op];
}
