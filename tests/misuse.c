/* misuse.c — the runner of the misuse suite (tests/misuse.h): forks one child per registered case,
 * checks its return value, message, exit and leaks, and prints "misuse: N cases" and the summary line.
 * Two children run at a time (MU_JOBS=n to change it); their output is printed in case order.
 * `test_misuse NAME` runs only the cases of public function NAME (in this process, for a debugger). */
#include "misuse.h"
#include "testlib.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const mu_case **cases;
static int ncases, capcases;

void mu_register(const mu_case *c) {
    if (ncases == capcases) {
        capcases = capcases ? 2 * capcases : 256;
        cases = realloc(cases, (size_t)capcases * sizeof *cases);
        if (!cases) abort();
    }
    cases[ncases++] = c;
}

/* ---- objects owned for the case: freed in reverse order after it ---- */
typedef enum {
    OWN_MODULE,
    OWN_OPTIM,
    OWN_SCHED,
    OWN_DATASET,
    OWN_LOADER,
    OWN_GEN,
    OWN_SAMPLER,
    OWN_SD,
    OWN_TENSOR
} own_kind;
static struct {
    own_kind k;
    void *p;
} owned[64];
static int nowned;
static void *own(own_kind k, void *p) {
    if (p && nowned < 64) owned[nowned++].k = k, owned[nowned - 1].p = p;
    return p;
}
nb_module *mu_own_module(nb_module *m) { return own(OWN_MODULE, m); }
nb_optimizer *mu_own_optim(nb_optimizer *o) { return own(OWN_OPTIM, o); }
nb_scheduler *mu_own_sched(nb_scheduler *s) { return own(OWN_SCHED, s); }
nb_tensor_dataset *mu_own_dataset(nb_tensor_dataset *d) { return own(OWN_DATASET, d); }
nb_dataloader *mu_own_loader(nb_dataloader *l) { return own(OWN_LOADER, l); }
nb_generator *mu_own_gen(nb_generator *g) { return own(OWN_GEN, g); }
nb_distributed_sampler *mu_own_sampler(nb_distributed_sampler *s) { return own(OWN_SAMPLER, s); }
nb_state_dict *mu_sd(void) {
    static nb_state_dict sd[8];
    static int k;
    return own(OWN_SD, &sd[k++ & 7]);
}
static void free_owned(void) {
    while (nowned > 0) {
        void *p = owned[--nowned].p;
        switch (owned[nowned].k) {
        case OWN_MODULE: nb_module_free(p); break;
        case OWN_OPTIM: nb_optim_free(p); break;
        case OWN_SCHED: nb_scheduler_free(p); break;
        case OWN_DATASET: nb_tensor_dataset_free(p); break;
        case OWN_LOADER: nb_dataloader_free(p); break;
        case OWN_GEN: nb_generator_free(p); break;
        case OWN_SAMPLER: nb_distributed_sampler_free(p); break;
        case OWN_SD: nb_state_dict_free(p); break;
        case OWN_TENSOR: nb_free(p); break;
        }
    }
}

/* ---- fixtures ---- */
nb_tensor *mu_f32(void) { return nb_zeros(NB_F32, NB_SHAPE(2, 3)); }
nb_tensor *mu_f64(void) { return nb_ones(NB_F64, NB_SHAPE(2, 3)); }
nb_tensor *mu_i64(void) { return nb_zeros(NB_I64, NB_SHAPE(3)); }
nb_tensor *mu_vec(int64_t n) { return nb_arange(NB_F32, 0, (double)n, 1); }
nb_tensor *mu_img(void) { return nb_randn(NB_F32, NB_SHAPE(1, 2, 4, 4)); }
nb_tensor *mu_leaf(void) {
    nb_scope s = nb_scope_begin();
    nb_tensor *t = nb_keep(nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(2, 3)), true));
    nb_scope_end(s);
    while (t && t->scope > 0) t = nb_keep(t); /* persistent, whatever the case's scope depth */
    return own(OWN_TENSOR, t);
}
nb_tensor *mu_released(void) {
    nb_tensor *t = nb_zeros(NB_F32, NB_SHAPE(2, 3));
    nb_free(t);
    return t;
}
nb_optimizer *mu_sgd(void) {
    nb_tensor *p = mu_leaf();
    return mu_own_optim(nb_sgd((nb_tensor *[]){ p }, 1, (nb_sgd_opts){ .lr = 0.1 }));
}
static char tmp_dir[256];
const char *mu_tmp_path(void) {
    static char path[300];
    if (!tmp_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof tmp_dir, "%s/nb_misuse_XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmp_dir)) tmp_dir[0] = 0;
    }
    snprintf(path, sizeof path, "%s/file", tmp_dir);
    return path;
}
static void rm_tmp(void) {
    if (!tmp_dir[0]) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) fprintf(stderr, "misuse: could not remove %s\n", tmp_dir);
}

#if defined(__SANITIZE_ADDRESS__)
#define MU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MU_ASAN 1
#endif
#endif
#ifdef MU_ASAN
/* a huge malloc returns NULL instead of aborting (the out-of-memory cases); ASAN_OPTIONS still wins */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
void mu_no_overcommit(void) {}
#else
void mu_no_overcommit(void) {
    struct rlimit r = { .rlim_cur = (rlim_t)1 << 40, .rlim_max = (rlim_t)1 << 40 };
    if (setrlimit(RLIMIT_AS, &r) != 0) perror("misuse: setrlimit");
}
#endif
bool mu_msg_has(int n, const char *const *parts) {
    const char *e = nb_error();
    for (int i = 0; i < n; i++)
        if (!e || !strstr(e, parts[i])) {
            fprintf(stderr, "misuse: message lacks '%s': %s\n", parts[i], e ? e : "(none)");
            return false;
        }
    return true;
}

static const char *kind_name(mu_kind k) {
    switch (k) {
    case MU_KIND_ERR: return "error";
    case MU_KIND_NULL: return "NULL";
    case MU_KIND_GOOD: return "good";
    }
    return "?";
}

/* the child: run the case in its own scope, check value and message, then that nothing is left alive */
static int child(const mu_case *c) {
    char where[400];
    snprintf(where, sizeof where, "%s:%d %s (%s case of %s)", c->file, c->line, c->what, kind_name(c->kind),
             c->fn);
    nb_clear_error();
    nb_scope s = nb_scope_begin();
    bool ret = c->run();
    const char *e = nb_error();
    int rc = 0;
    switch (c->kind) {
    case MU_KIND_ERR:
        if (!ret)
            fprintf(stderr, "FAIL %s: did not return its error value\n", where), rc = 3;
        else if (!e || !*e)
            fprintf(stderr, "FAIL %s: failed without a message\n", where), rc = 3;
        else if (!strstr(e, c->fn))
            fprintf(stderr, "FAIL %s: message does not name %s: %s\n", where, c->fn, e), rc = 3;
        break;
    case MU_KIND_NULL:
        if (!ret)
            fprintf(stderr, "FAIL %s: did not return its error value\n", where), rc = 3;
        else if (e && !strstr(e, c->fn))
            fprintf(stderr, "FAIL %s: message does not name %s: %s\n", where, c->fn, e), rc = 3;
        break;
    case MU_KIND_GOOD:
        if (!ret)
            fprintf(stderr, "FAIL %s: the good call failed: %s\n", where, e ? e : "(no message)"), rc = 3;
        else if (e)
            fprintf(stderr, "FAIL %s: success left an error pending: %s\n", where, e), rc = 3;
        break;
    }
    if (getenv("MU_VERBOSE")) fprintf(stderr, "%s -> %s\n", where, e ? e : "(no message)");
    nb_clear_error();
    nb_scope_end(s);
    free_owned();
    if (nb_error()) fprintf(stderr, "FAIL %s: cleanup recorded an error: %s\n", where, nb_error()), rc = 3;
    size_t live = nb_memory_stats_get().tensors_live;
    if (live != 0) fprintf(stderr, "FAIL %s: %zu tensors left alive\n", where, live), rc = 3;
    rm_tmp();
    return rc;
}

static int by_place(const void *a, const void *b) {
    const mu_case *x = *(const mu_case *const *)a, *y = *(const mu_case *const *)b;
    int k = strcmp(x->file, y->file);
    return k ? k : x->line - y->line;
}

/* ---- the fault sweep (test_misuse --faults): each good case again with its k-th tensor allocation
 * failing, k = 1, 2, ... until the case makes no more: every failure must be reported (the case fails
 * with an "out of memory" message or succeeds with nothing pending), release everything and not crash ---- */
long nbt_fail_alloc_after(long n); /* internal (tensor/memory.c) */
static int fault_sweep(const mu_case *c) {
    int rc = 0;
    for (long k = 1; k <= 10000; k++) {
        nb_clear_error();
        nb_scope s = nb_scope_begin();
        nbt_fail_alloc_after(k);
        bool ret = c->run();
        bool fired = nbt_fail_alloc_after(0) <= 0;
        const char *e = nb_error();
        if (ret && e)
            fprintf(stderr, "FAIL %s:%d %s, allocation %ld failing: succeeded with an error pending: %s\n",
                    c->file, c->line, c->what, k, e),
                rc = 3;
        else if (!ret && (!e || !strstr(e, "out of memory")))
            fprintf(stderr,
                    "FAIL %s:%d %s, allocation %ld failing: failed without an out-of-memory message: %s\n",
                    c->file, c->line, c->what, k, e ? e : "(none)"),
                rc = 3;
        else if (!ret && fired && getenv("MU_VERBOSE"))
            fprintf(stderr, "%s:%d %s, allocation %ld failing -> %s\n", c->file, c->line, c->what, k, e);
        nb_clear_error();
        nb_scope_end(s);
        free_owned();
        size_t live = nb_memory_stats_get().tensors_live;
        if (live != 0)
            fprintf(stderr, "FAIL %s:%d %s, allocation %ld failing: %zu tensors left alive\n", c->file,
                    c->line, c->what, k, live),
                rc = 3;
        rm_tmp();
        if (rc || !fired) break;
    }
    return rc;
}
static bool faults_mode;

/* ---- running cases in forked children, a few at a time ---- */
#define MU_MAX_JOBS 8
typedef struct {
    int i;     /* case index */
    pid_t pid; /* -1: fork failed */
    FILE *out; /* the child's stdout and stderr (NULL: it inherited ours) */
} mu_slot;

static void start_case(mu_slot *s, int i) {
    s->i = i;
    s->out = tmpfile();
    fflush(NULL);
    s->pid = fork();
    if (s->pid == 0) {
        if (s->out) dup2(fileno(s->out), 1), dup2(fileno(s->out), 2);
        alarm(60); /* a hang is a failure too */
        exit(faults_mode ? fault_sweep(cases[i]) : child(cases[i]));
    }
}

/* wait for s's child, copy its output to stderr, report; true if the case passed */
static bool finish_case(mu_slot *s) {
    const mu_case *c = cases[s->i];
    int st = 0;
    if (s->pid > 0) waitpid(s->pid, &st, 0);
    if (s->out) {
        char buf[4096];
        size_t n;
        fseek(s->out, 0, SEEK_SET);
        while ((n = fread(buf, 1, sizeof buf, s->out)) > 0) fwrite(buf, 1, n, stderr);
        fclose(s->out);
    }
    bool ok = s->pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (s->pid < 0)
        fprintf(stderr, "FAIL %s:%d %s (%s): fork failed\n", c->file, c->line, c->what, c->fn);
    else if (WIFSIGNALED(st))
        fprintf(stderr, "FAIL %s:%d %s (%s): killed by signal %d\n", c->file, c->line, c->what, c->fn,
                WTERMSIG(st));
    else if (!ok && WEXITSTATUS(st) != 3)
        fprintf(stderr, "FAIL %s:%d %s (%s): exit %d (a sanitizer report?)\n", c->file, c->line, c->what,
                c->fn, WEXITSTATUS(st));
    tl_check(ok, c->what, c->file, c->line);
    return ok;
}

int main(int argc, char **argv) {
    qsort(cases, (size_t)ncases, sizeof *cases, by_place);
    if (argc > 1 && !strcmp(argv[1], "--faults")) { /* only the good cases, through the fault sweep */
        faults_mode = true;
        int m = 0;
        for (int i = 0; i < ncases; i++)
            if (cases[i]->kind == MU_KIND_GOOD) cases[m++] = cases[i];
        ncases = m;
    } else if (argc > 1) { /* run one function's cases in-process */
        int rc = 0;
        for (int i = 0; i < ncases; i++)
            if (!strcmp(cases[i]->fn, argv[1])) rc |= child(cases[i]);
        return rc;
    }
    /* two children at a time (MU_JOBS to change it); each writes into its own temporary file, which is
     * copied to stderr when the case is collected, oldest first, so the output is in case order */
    const char *jobs_env = getenv("MU_JOBS");
    int jobs = jobs_env && atoi(jobs_env) > 0 ? atoi(jobs_env) : 2;
    if (jobs > MU_MAX_JOBS) jobs = MU_MAX_JOBS;
    int bad = 0, nk[3] = { 0 }, next = 0, done = 0;
    mu_slot slots[MU_MAX_JOBS];
    while (done < ncases) {
        while (next < ncases && next - done < jobs) start_case(&slots[next % jobs], next), next++;
        mu_slot *s = &slots[done % jobs];
        nk[cases[s->i]->kind]++;
        bad += !finish_case(s);
        done++;
    }
    printf("misuse: %d cases (%d bad calls: %d errors, %d NULLs; %d good calls), %d failing\n", ncases,
           nk[MU_KIND_ERR] + nk[MU_KIND_NULL], nk[MU_KIND_ERR], nk[MU_KIND_NULL], nk[MU_KIND_GOOD], bad);
    return nb_test_done();
}
