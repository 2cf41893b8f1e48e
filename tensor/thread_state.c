/* thread_state.c — which thread owns what, and the end of a thread. Each thread that uses nabla gets a
 * small id (tensors and tape nodes remember their owner's, so a tape used from another thread is an
 * error, not a crash); when the thread ends, what it kept (tape, pool, free lists) is returned. */
#include "nb_internal.h"
#include <pthread.h>
#include <stdatomic.h>

_Thread_local uint32_t nbt_thread_id_;
static atomic_uint next_id = 1;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t fns_mu = PTHREAD_MUTEX_INITIALIZER;
#define NBT_MAX_EXIT_FNS 8
static void (*exit_fns[NBT_MAX_EXIT_FNS])(void);
static int nexit_fns;

/* the thread ends: upper layers first (the tape releases what it holds), the memory layer last */
static void thread_ended(void *p) {
    (void)p;
    pthread_mutex_lock(&fns_mu);
    int n = nexit_fns;
    pthread_mutex_unlock(&fns_mu);
    for (int i = n - 1; i >= 0; i--) exit_fns[i]();
    nbt_memory_thread_exit();
}

static void make_key(void) { pthread_key_create(&exit_key, thread_ended); }

uint32_t nbt_thread_id_assign(void) {
    pthread_once(&exit_once, make_key);
    nbt_thread_id_ = atomic_fetch_add(&next_id, 1u);
    pthread_setspecific(exit_key, (void *)1); /* non-NULL: thread_ended runs when this thread exits */
    return nbt_thread_id_;
}

void nbt_at_thread_exit(void (*fn)(void)) {
    pthread_mutex_lock(&fns_mu);
    bool known = false;
    for (int i = 0; i < nexit_fns; i++) known |= exit_fns[i] == fn;
    if (!known && nexit_fns < NBT_MAX_EXIT_FNS) exit_fns[nexit_fns++] = fn;
    pthread_mutex_unlock(&fns_mu);
}
