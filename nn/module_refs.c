/* module_refs.c — shared ownership of the tensors registered in modules (weight tying): a table
 * maps each registered tensor to the number of module slots holding it; the last slot to let go
 * releases it. Entries remember the tensor's generation, so a tensor the user freed by mistake (and
 * whose struct was reused) is never mistaken for the new one. Guarded by a spin lock: modules may
 * be built on several threads. */
#include "module_internal.h"
#include "nb_internal.h"
#include <stdatomic.h>

typedef struct {
    nb_tensor *key;
    uint32_t gen;
    int n;
} ref_entry;
static ref_entry *refs; /* stb_ds hash map keyed by tensor pointer */
static atomic_flag refs_lock = ATOMIC_FLAG_INIT;

static void lock(void) {
    while (atomic_flag_test_and_set_explicit(&refs_lock, memory_order_acquire)) {}
}
static void unlock(void) { atomic_flag_clear_explicit(&refs_lock, memory_order_release); }

bool nbn_module_ref(nb_tensor *t) {
    lock();
    ref_entry *e = hmgetp_null(refs, t);
    if (e && e->gen == t->gen)
        e->n++;
    else
        hmputs(refs, ((ref_entry){ t, t->gen, 1 }));
    unlock();
    return true;
}

void nbn_module_unref(nb_tensor *t) {
    if (!t) return;
    lock();
    ref_entry *e = hmgetp_null(refs, t);
    /* not ours: released by the user already (a stale entry, or the struct reused since) */
    bool mine = e && nb_is_valid(t) && e->gen == t->gen;
    bool last = !mine || --e->n == 0;
    if (e && last) (void)hmdel(refs, t);
    if (hmlen(refs) == 0) hmfree(refs);
    unlock();
    if (!mine || !last) return;
    nb_zero_grad(t);
    nb_free(t);
}
