/* hooks.c — leaf gradient hooks (torch's Tensor.register_post_accumulate_grad_hook). A hook runs once
 * per backward for its leaf, as soon as the reverse loop has passed the last (lowest) tape node that
 * uses the leaf: from then on no more gradient can reach it, so .grad holds this backward's total
 * (what DDP needs to reduce a bucket while the rest of backward runs). The registry is global (hooks
 * are registered on persistent parameters, not per thread); the pending list of one backward lives
 * on the thread running it (a few hundred leaves at most: searched linearly). Stale entries (their
 * leaf freed) are recognised by the generation. */
#include "nba_tape.h"
#include <stb_ds.h>
#include <stdlib.h>

typedef struct {
    nb_tensor *t;
    uint32_t gen;
    nb_grad_hook *fn;
    void *ctx;
    int64_t handle;
} hook_entry;
static hook_entry *hooks;        /* stb_ds array, registration order */
static const nb_tensor **hooked; /* stb_ds array: the hooked leaves, sorted */
static int64_t next_handle = 1;

/* one leaf of the running backward: fire its hooks once the loop is below `last` */
typedef struct {
    nb_tensor *t;
    size_t last;
    bool got;
} pend;
static _Thread_local pend *pending; /* sorted by last, descending; kept (no allocation per step) */
static _Thread_local size_t pnext;
static _Thread_local bool active;

void nba_hooks_thread_exit(void) {
    arrfree(pending);
    pnext = 0;
    active = false;
}

static int by_addr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (const nb_tensor *const *)a, y = (uintptr_t) * (const nb_tensor *const *)b;
    return x < y ? -1 : x > y;
}

static void rebuild_keys(void) {
    arrsetlen(hooked, 0);
    for (ptrdiff_t i = 0; i < arrlen(hooks); i++) arrput(hooked, hooks[i].t);
    qsort(hooked, (size_t)arrlen(hooked), sizeof *hooked, by_addr); /* duplicates are harmless */
}

int64_t nb_register_post_accumulate_grad_hook(nb_tensor *t, nb_grad_hook *fn, void *ctx) {
    if (!nbt_ok(t, "nb_register_post_accumulate_grad_hook")) {
        if (!t) nbt_error("nb_register_post_accumulate_grad_hook: tensor is NULL");
        return 0;
    }
    if (!fn) {
        nbt_error("nb_register_post_accumulate_grad_hook: hook function is NULL");
        return 0;
    }
    if (t->node || !t->requires_grad) {
        nbt_error("nb_register_post_accumulate_grad_hook: post accumulate grad hooks cannot be registered on "
                  "non-leaf tensors or tensors that do not require grad (tensor of shape %s)",
                  nbt_shape(t));
        return 0;
    }
    hook_entry e = { t, t->gen, fn, ctx, next_handle++ };
    arrput(hooks, e);
    rebuild_keys();
    return e.handle;
}

void nb_remove_hook(int64_t handle) {
    for (ptrdiff_t i = 0; i < arrlen(hooks); i++) {
        if (hooks[i].handle != handle) continue;
        arrdel(hooks, i);
        break;
    }
    if (arrlen(hooks) == 0) {
        arrfree(hooks);
        arrfree(hooked);
    } /* nothing left behind at exit */
    else
        rebuild_keys();
}

static bool has_hooks(const nb_tensor *t) {
    if (!hooked || !t || t->node || !t->requires_grad || t->magic != NBT_LIVE) return false;
    return bsearch(&t, hooked, (size_t)arrlen(hooked), sizeof *hooked, by_addr) != NULL;
}

static ptrdiff_t find(const nb_tensor *t) {
    for (ptrdiff_t i = 0; i < arrlen(pending); i++)
        if (pending[i].t == t) return i;
    return -1;
}

static int by_last_desc(const void *a, const void *b) {
    size_t x = ((const pend *)a)->last, y = ((const pend *)b)->last;
    return x < y ? 1 : x > y ? -1 : 0;
}

bool nba_hooks_begin(size_t hi) {
    if (!hooked || active) return false; /* no hooks, or a backward nested inside a hook */
    arrsetlen(pending, 0);
    for (size_t idx = 0; idx < hi;
         idx++) { /* ascending: the first use seen is the last one backward reaches */
        nba_node *n = nba_tape_at(idx);
        for (int i = 0; i < n->nin; i++) {
            nb_tensor *t = n->in[i].t;
            if (!t || t->gen != n->in[i].gen || !has_hooks(t) || find(t) >= 0) continue;
            arrput(pending, ((pend){ t, idx, false }));
        }
    }
    qsort(pending, (size_t)arrlen(pending), sizeof *pending, by_last_desc);
    pnext = 0;
    active = true;
    return true;
}

void nba_hooks_mark(nb_tensor *leaf) {
    if (!active) return;
    ptrdiff_t k = find(leaf);
    if (k >= 0) {
        pending[k].got = true;
        return;
    }
    if (!has_hooks(leaf)) return;
    arrput(pending, ((pend){ leaf, 0, true })); /* a leaf seeded directly (backward of the leaf itself) */
}

nb_status nba_hooks_fire(size_t below) {
    while (active && pnext < (size_t)arrlen(pending) && pending[pnext].last >= below) {
        pend p = pending[pnext++];
        if (!p.got || p.t->magic != NBT_LIVE) continue;
        for (ptrdiff_t i = 0; i < arrlen(hooks); i++) { /* by index: a hook may remove hooks */
            hook_entry e = hooks[i];
            if (e.t != p.t || e.gen != p.t->gen) continue;
            if (e.fn(p.t, e.ctx) != NB_OK) {
                if (!nb_error())
                    nbt_error("nb_backward: the post accumulate grad hook of a leaf of shape %s failed",
                              nbt_shape(p.t));
                return NB_ERROR;
            }
        }
    }
    return NB_OK;
}

void nba_hooks_end(void) { active = false; }
