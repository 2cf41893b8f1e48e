/* backward.c — the reverse pass: one loop from the newest relevant node down the tape, calling each
 * node's backward rule (written with nabla ops, so with create_graph it records and can itself be
 * differentiated). Gradients of non-leaves live in a per-node slot array; leaves accumulate into
 * .grad (nb_backward) or into the caller's result array (nb_grad). */
#include "nba_tape.h"
#include <stb_ds.h>

static _Thread_local nb_tensor **slots; /* stb_ds array, one per tape position */
/* the pass running on this thread (NULL outside one; a nested pass saves and restores it): its slots are
 * slots[base, base + hi) */
typedef struct {
    size_t base, hi;
    bool create;
} nba_pass;
static _Thread_local const nba_pass *cur_pass;

nb_tensor *nba_grad_slot(const nba_node *n, int i) {
    const nba_pass *p = cur_pass;
    nb_tensor *in = n->in[i].t;
    if (!p || p->create || !in || !in->node || in->node->index >= p->hi) return NULL;
    nb_tensor *acc = slots[p->base + in->node->index];
    if (!acc || acc->storage->refcount != 1 || !nb_is_contiguous(acc) || acc->node ||
        !nbt_same_shape(acc, in))
        return NULL;
    return acc;
}

void nba_backward_thread_exit(void) { arrfree(slots); }

static nb_tensor *accumulate(nb_tensor *acc, nb_tensor *g) { return acc ? nb_add(acc, g) : g; }

/* leaf .grad += g (persistent, no history). own: g is a fresh result of a backward rule that nothing
 * else references, so a leaf without .grad may take it as is instead of copying it (torch's
 * AccumulateGrad steals the incoming gradient the same way). */
static nb_status leaf_accumulate(nb_tensor *leaf, nb_tensor *g, bool own) {
    if (!nbt_same_shape(leaf, g)) {
        nbt_error("%s: gradient of shape %s does not match its leaf of shape %s", nbt_fn(), nbt_shape(g),
                  nbt_shape(leaf));
        return NB_ERROR;
    }
    if (!leaf->grad && own && g->dtype == leaf->dtype && g->storage->refcount == 1 && g->offset == 0 &&
        !g->node && nb_is_contiguous(g)) {
        nbt_persist(g);
        leaf->grad = g;
        return NB_OK;
    }
    if (!leaf->grad) {
        leaf->grad = nbt_new_persistent(leaf->dtype, leaf->ndim, leaf->shape);
        if (!leaf->grad) return NB_ERROR;
        return nbt_copy_into(leaf->grad, g, nbt_fn());
    }
    nb_status st = nbt_binary_into(NBT_ADD, leaf->grad, leaf->grad, g, nbt_fn());
    leaf->grad->storage->version++;
    return st;
}

static const char *short_name(nba_opcode op) { return nba_bw_names[op]; }

static bool node_inputs_ok(nba_node *n) {
    for (int i = 0; i < n->nin; i++) {
        nba_input *in = &n->in[i];
        if (!in->t) continue;
        bool saved = nba_saves(n, i);
        if ((in->t->magic != NBT_LIVE && in->t->magic != NBT_HELD) || in->t->gen != in->gen ||
            (saved && !in->t->storage)) {
            nbt_error("%s: input %d of %s was released before backward (freed, or its scope ended); "
                      "keep it alive until backward is done",
                      nbt_fn(), i, short_name(n->op));
            return false;
        }
        if (saved && in->t->storage->version != in->ver) {
            nbt_error(
                "%s: one of the variables needed for gradient computation has been modified by an "
                "inplace operation: input %d of %s, shape %s, is at version %u; expected version %u instead",
                nbt_fn(), i, short_name(n->op), nbt_shape(in->t), in->t->storage->version, in->ver);
            return false;
        }
    }
    if (n->aux && ((n->aux->magic != NBT_LIVE && n->aux->magic != NBT_HELD) || n->aux->gen != n->aux_gen)) {
        nbt_error("%s: the index or mask tensor given to %s was released before backward; keep it alive "
                  "until backward is done",
                  nbt_fn(), short_name(n->op));
        return false;
    }
    if (n->saved & NBA_SAVE_OUT) {
        if (!n->out || (n->out->magic != NBT_LIVE && n->out->magic != NBT_HELD) ||
            n->out->gen != n->out_gen || !n->out->storage) {
            nbt_error("%s: the output of %s was released before backward; keep it alive until backward "
                      "is done",
                      nbt_fn(), short_name(n->op));
            return false;
        }
        if (n->out->storage->version != n->out_ver) {
            nbt_error(
                "%s: one of the variables needed for gradient computation has been modified by an "
                "inplace operation: output of %s, shape %s, is at version %u; expected version %u instead",
                nbt_fn(), short_name(n->op), nbt_shape(n->out), n->out->storage->version, n->out_ver);
            return false;
        }
    }
    return true;
}

nb_tensor nba_grad_zero_; /* NBA_GRAD_ZERO: never a live tensor, only compared against */

/* Without create_graph: gin[i] as a tensor of the backward's own scope that no other slot or gin entry
 * shares. A fresh result of the rule (made in the rule's scope ns) is moved out of ns; anything else
 * (g itself, an input, a result already taken for another input) gets a view of its own. */
static nb_tensor *take(nb_tensor *const *gin, int i, nb_scope ns) {
    nb_tensor *t = gin[i];
    bool fresh = t->scope == ns;
    for (int j = 0; j < i; j++)
        if (gin[j] == t) fresh = false;
    if (!fresh) t = nbt_view(t, t->ndim, t->shape, t->stride, t->offset);
    return t ? nb_keep(t) : NULL;
}

/* Without create_graph: acc + g for two tensors the engine owns; g is consumed. Into acc's own storage
 * when nothing else shares it (the same values: a + b either way). */
static nb_tensor *accumulate_owned(nb_tensor *acc, nb_tensor *g) {
    if (!acc) return g;
    if (acc->storage->refcount == 1 && acc->dtype == g->dtype && nb_is_contiguous(acc) && !acc->node) {
        nb_status st = nbt_binary_into(NBT_ADD, acc, acc, g, nbt_fn());
        nb_free(g);
        return st == NB_OK ? acc : NULL;
    }
    nb_tensor *sum = nb_add(acc, g);
    nb_free(acc);
    nb_free(g);
    return sum;
}

/* The engine. inputs == NULL: accumulate into leaves' .grad; else results[i] = grad of inputs[i]. */
static nb_status run(int nout, nb_tensor *const *outs, nb_tensor *const *seeds, int nin,
                     nb_tensor *const *inputs, nb_tensor **results, bool retain, bool create,
                     bool allow_unused, const char *api) {
    /* Without create_graph every gradient and temporary is released as soon as it is consumed: each
     * rule runs in its own scope, the gradients it routes on are owned by the engine (one struct per
     * slot, see take), and a node's incoming gradient is freed once its rule has run. Everything
     * recorded while it runs (rules, hooks, allocations) is reported under the public entry api. */
    NBT_API(api);
    unsigned long serial0 = nbt_error_serial(); /* an error raised during the pass fails it (a rule that
                                                  * lost an allocation may still have set some grads) */
    size_t hi = 0;
    for (int k = 0; k < nout; k++) {
        if (!nbt_ok(outs[k], api)) return NB_ERROR;
        if (!outs[k]->requires_grad) {
            nbt_error("%s: element %d of tensors does not require grad and does not have a grad_fn", api, k);
            return NB_ERROR;
        }
        if (outs[k]->node && outs[k]->node->owner != nbt_thread_id()) {
            nbt_error(
                "%s: the graph of output %d was recorded on thread %u, and this is thread %u; a tape belongs "
                "to the thread that recorded it: call %s on that thread",
                api, k, outs[k]->node->owner, nbt_thread_id(), api);
            return NB_ERROR;
        }
        if (outs[k]->node && outs[k]->node->index + 1 > hi) hi = outs[k]->node->index + 1;
    }
    for (int i = 0; i < nin; i++) {
        if (!nbt_ok(inputs[i], api)) return NB_ERROR;
        if (!inputs[i]->requires_grad) {
            nbt_error("%s: input %d does not require grad", api, i);
            return NB_ERROR;
        }
        results[i] = NULL;
    }
    bool prev_mode = nb_set_grad_enabled(create);
    nb_scope sc = create ? 0 : nb_scope_begin();
    nb_status st = NB_OK;
    if (!slots) arrsetcap(slots, 64);    /* never NULL: slots + base below must be defined even for hi = 0 */
    size_t base = (size_t)arrlen(slots); /* re-entrant: our slots live at [base, base + hi) */
    arrsetlen(slots, base + hi);
    for (size_t i = 0; i < hi; i++) slots[base + i] = NULL;
    nb_tensor **S = slots + base;
    const nba_pass pass = { base, hi, create }, *outer_pass = cur_pass;
    cur_pass = &pass;
    bool hooks_on = !inputs && nba_hooks_begin(hi); /* post accumulate grad hooks (hooks.c) */

    /* seeds */
    for (int k = 0; k < nout && st == NB_OK; k++) {
        nb_tensor *o = outs[k], *g = seeds ? seeds[k] : NULL;
        if (!g) {
            if (o->numel != 1) {
                nbt_error("%s: grad can be implicitly created only for scalar outputs (got shape %s); pass a "
                          "grad_output",
                          api, nbt_shape(o));
                st = NB_ERROR;
                break;
            }
            g = nb_ones_like(o);
        } else if (!nbt_ok(g, api)) {
            st = NB_ERROR;
            break;
        } else if (!nbt_same_shape(g, o)) {
            nbt_error("%s: grad_output of shape %s does not match output of shape %s", api, nbt_shape(g),
                      nbt_shape(o));
            st = NB_ERROR;
            break;
        }
        if (!g) {
            st = NB_ERROR;
            break;
        }
        if (o->node) {
            if (!create && seeds && g == seeds[k])
                g = nbt_view(g, g->ndim, g->shape, g->stride, g->offset); /* ours to free */
            S[o->node->index] = accumulate(S[o->node->index], g);
        } else if (!inputs) {
            st = leaf_accumulate(o, g, false);
            if (hooks_on && st == NB_OK) nba_hooks_mark(o);
        } else {
            for (int i = 0; i < nin; i++)
                if (inputs[i] == o) results[i] = accumulate(results[i], g);
        }
    }

    nb_tensor *gin_small[8];
    nb_tensor **gin = gin_small;
    for (size_t idx = hi; idx-- > 0 && st == NB_OK;) {
        if (hooks_on && (st = nba_hooks_fire(idx + 1)) != NB_OK) break; /* leaves no node below reaches */
        nb_tensor *g = slots[base + idx];
        if (!g) continue;
        slots[base + idx] = NULL; /* taken: without create_graph this node now owns g */
        nba_node *n = nba_tape_at(idx);
        bool given = false; /* g handed to the caller (nb_grad of a non-leaf input) */
        if (inputs) {       /* capture grads of non-leaf inputs */
            for (int i = 0; i < nin; i++)
                if (inputs[i]->node == n) results[i] = g, given = true;
        }
        if (n->out && n->out->magic == NBT_LIVE && n->out->retains_grad && !inputs) {
            if (!n->out->grad) {
                n->out->grad = nbt_new_persistent(n->out->dtype, n->out->ndim, n->out->shape);
                if (n->out->grad) nbt_copy_into(n->out->grad, g, api);
            } else {
                nbt_binary_into(NBT_ADD, n->out->grad, n->out->grad, g, api);
            }
        }
        if (n->freed) {
            nbt_error(
                "%s: trying to backward through the graph a second time (or directly access saved tensors "
                "after they have already been freed); specify retain_graph=true on the first backward",
                api);
            st = NB_ERROR;
            break;
        }
        if (!node_inputs_ok(n)) {
            st = NB_ERROR;
            break;
        }
        if (n->nin > 8)
            gin = calloc((size_t)n->nin, sizeof *gin);
        else
            gin = gin_small;
        if (!gin) {
            st = NB_ERROR;
            break;
        }
        for (int i = 0; i < n->nin; i++) gin[i] = NULL;
        nb_scope ns = create ? 0 : nb_scope_begin(); /* the rule's temporaries */
        nbt_held_readable++; /* the rule may read inputs the user released with nb_release */
        nba_bw_table[n->op](n, g, gin);
        nbt_held_readable--;
        nba_trace_vjp(n, g, gin); /* teaching: prints this VJP when nb_set_backward_trace(f) is on */
        /* like torch, only nodes that saved tensors are spent by a backward without retain_graph */
        if (!retain && (n->saved || n->aux)) nba_node_spend(n);
        if (!create) {
            /* keep what is routed on as tensors of our own scope, one struct per use; drop the rest and g */
            for (int i = 0; i < n->nin; i++)
                if (gin[i] && gin[i] != NBA_GRAD_ZERO && n->in[i].t && n->in[i].t->requires_grad)
                    gin[i] = take(gin, i, ns);
            nb_scope_end(ns);
            if (!given) nb_free(g);
        }
        S = slots + base; /* slots may have moved if a nested backward grew it */
        for (int i = 0; i < n->nin; i++) {
            nb_tensor *in = n->in[i].t;
            if (!in || !in->requires_grad) continue;
            if (gin[i] == NBA_GRAD_ZERO) continue;
            if (gin[i] && st != NB_OK) { /* after an error: only release what we own */
                if (!create) nb_free(gin[i]);
                continue;
            }
            if (!gin[i]) {
                if (nb_error()) {
                    st = NB_ERROR;
                    continue;
                }
#ifndef NDEBUG
                nbt_error(
                    "%s: internal error: the backward of %s left the gradient of input %d (shape %s) NULL "
                    "without an error; set it, or NBA_GRAD_ZERO if it is zero by definition",
                    api, short_name(n->op), i, nbt_shape(in));
                st = NB_ERROR;
#endif
                continue;
            }
            if (!nbt_same_shape(gin[i], in)) {
                nbt_error("%s: internal error: %s produced a gradient of shape %s for input %d of shape %s",
                          api, short_name(n->op), nbt_shape(gin[i]), i, nbt_shape(in));
                st = NB_ERROR;
                if (!create) nb_free(gin[i]);
                continue;
            }
            if (in->node && in->node->index < hi) {
                nb_tensor **slot = &S[in->node->index];
                *slot = create ? accumulate(*slot, gin[i]) : accumulate_owned(*slot, gin[i]);
                if (!*slot) st = NB_ERROR;
            } else if (!in->node && !inputs) {
                if (in->magic == NBT_LIVE)
                    st = leaf_accumulate(in, gin[i], !create);       /* not a released leaf */
                if (hooks_on && st == NB_OK) nba_hooks_mark(in);     /* post-accumulate-grad hooks (DDP) */
                if (!create && gin[i]->scope == sc) nb_free(gin[i]); /* not taken over as .grad */
            } else if (!in->node) {
                for (int k = 0; k < nin; k++)
                    if (inputs[k] == in) results[k] = accumulate(results[k], gin[i]);
            } else if (!create) {
                nb_free(gin[i]); /* an input recorded before the newest output we differentiate: unused */
            }
        }
        if (gin != gin_small) free(gin);
    }
    nba_trace_end(); /* the trace's leaf numbering, kept for this pass */
    if (hooks_on) {
        if (st == NB_OK) st = nba_hooks_fire(0);
        nba_hooks_end();
    }
    arrsetlen(slots, base);
    cur_pass = outer_pass;
    if (st == NB_OK && nbt_error_serial() != serial0) st = NB_ERROR;
    if (st == NB_OK && inputs) {
        for (int i = 0; i < nin; i++) {
            if (!results[i] && !allow_unused) {
                nbt_error("%s: one of the differentiated tensors (input %d) appears to not have been used in "
                          "the graph; "
                          "set allow_unused if this is desired",
                          api, i);
                st = NB_ERROR;
            }
        }
    }
    if (st == NB_OK && inputs && !create) {
        /* results live in our inner scope: copy out what the caller keeps (grads may alias each other) */
        for (int i = 0; i < nin; i++) {
            if (!results[i]) continue;
            bool dup = false;
            for (int k = 0; k < i; k++)
                if (results[k] == results[i]) dup = true;
            if (!dup && results[i]->scope == sc) nb_keep(results[i]);
        }
    }
    if (!create) nb_scope_end(sc);
    nb_set_grad_enabled(prev_mode);
    if (st != NB_OK && inputs)
        for (int i = 0; i < nin; i++) results[i] = NULL;
    return st;
}

static nb_status backward_ex(nb_tensor *t, nb_backward_opts o, const char *fn) {
    if (!nbt_ok(t, fn)) {
        if (!t && !nb_error()) nbt_error("%s: tensor is NULL (an earlier op failed?)", fn);
        return NB_ERROR;
    }
    nb_tensor *seeds[1] = { o.grad };
    return run(1, &t, seeds, 0, NULL, NULL, o.retain_graph || o.create_graph, o.create_graph, false, fn);
}

nb_status nb_backward_ex(nb_tensor *t, nb_backward_opts o) { return backward_ex(t, o, "nb_backward_ex"); }
nb_status nb_backward(nb_tensor *t) { return backward_ex(t, (nb_backward_opts){ 0 }, "nb_backward"); }

nb_status nb_grad(int nout, nb_tensor *const *outputs, int nin, nb_tensor *const *inputs,
                  nb_tensor *const *grad_outputs, nb_tensor **grads, nb_grad_opts o) {
    if (nout <= 0 || nin <= 0 || !outputs || !inputs || !grads) {
        nbt_error("nb_grad: need at least one output and one input, and a grads array");
        return NB_ERROR;
    }
    for (int i = 0; i < nout; i++)
        if (!outputs[i]) {
            if (!nb_error()) nbt_error("nb_grad: output %d is NULL", i);
            return NB_ERROR;
        }
    for (int i = 0; i < nin; i++)
        if (!inputs[i]) {
            if (!nb_error()) nbt_error("nb_grad: input %d is NULL", i);
            return NB_ERROR;
        }
    return run(nout, outputs, grad_outputs, nin, inputs, grads, o.retain_graph || o.create_graph,
               o.create_graph, o.allow_unused, "nb_grad");
}

nb_tensor *nb_grad1(nb_tensor *output, nb_tensor *input, bool create_graph) {
    NBT_API("nb_grad1");
    if (!output || !input) {
        if (!nb_error())
            nbt_error("nb_grad1: %s is NULL (an earlier op failed?)", output ? "input" : "output");
        return NULL;
    }
    nb_tensor *g = NULL;
    if (nb_grad(1, &output, 1, &input, NULL, &g,
                (nb_grad_opts){ .create_graph = create_graph, .retain_graph = create_graph }) != NB_OK)
        return NULL;
    return g;
}
