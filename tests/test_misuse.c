/* test_misuse.c — bad calls against the public API, one process per case (fork): each must return
 * its documented error value (NULL / NB_ERROR / NAN), record a message naming the public function
 * the user called, crash nothing, trip no sanitizer, leak no tensor; and a success must leave no
 * error pending. Classes (issue 15): overflowing shape/index arithmetic, float -> int64 conversions,
 * NULL non-tensor pointers, absurd thread counts. */
#include "testlib.h"
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* a case: run the call, return true if it returned its error value; name: what the message must contain */
typedef struct {
    const char *what, *name;
    bool (*run)(void);
} mcase;

static nb_tensor *T(void) { return nb_zeros(NB_F32, NB_SHAPE(2, 3)); }
static nb_tensor *TI(void) { return nb_zeros(NB_I64, NB_SHAPE(3)); }

/* ---- 1. overflowing shape and index arithmetic ---- */
static bool c_reshape_huge(void) { return !nb_reshape(T(), NB_SHAPE(INT64_MAX, 2)); }
static bool c_reshape_huge_neg(void) { return !nb_reshape(T(), NB_SHAPE(-1, INT64_MAX)); }
static bool c_view_huge(void) { return !nb_view(T(), NB_SHAPE((int64_t)1 << 62, 4)); }
static bool c_expand_huge(void) {
    return !nb_expand(nb_zeros(NB_F32, NB_SHAPE(1, 3)), NB_SHAPE(INT64_MAX, 3));
}
static bool c_narrow_start(void) { return !nb_narrow(T(), 1, INT64_MAX, 2); }
static bool c_narrow_len(void) { return !nb_narrow(T(), 1, 1, INT64_MAX); }
static bool c_narrow_neg_start(void) { return !nb_narrow(T(), 1, INT64_MIN, 1); }
static bool c_slice_step(void) { return !nb_slice(T(), 1, 0, 3, 0); }
static bool c_zeros_huge(void) { return !nb_zeros(NB_F32, NB_SHAPE(INT64_MAX, INT64_MAX)); }
static bool c_zeros_neg(void) { return !nb_zeros(NB_F32, NB_SHAPE(2, -3)); }
static bool c_empty_dims(void) { return !nb_empty(NB_F32, 9, (int64_t[]){ 1, 1, 1, 1, 1, 1, 1, 1, 1 }); }
static bool c_select_idx(void) { return !nb_select(T(), 0, INT64_MAX); }
static bool c_select_neg(void) { return !nb_select(T(), 0, INT64_MIN); }
static bool c_get_idx(void) { return isnan(nb_get(T(), (int64_t[]){ INT64_MAX, 0 })); }
static bool c_set_idx(void) { return nb_set(T(), (int64_t[]){ 0, -INT64_MAX }, 1) == NB_ERROR; }
static bool c_size_dim(void) { return nb_size(T(), INT_MIN) == -1; }
static bool c_eye_huge(void) { return !nb_eye(NB_F32, INT64_MAX, INT64_MAX); }
static bool c_linspace_huge(void) { return !nb_linspace(NB_F32, 0, 1, INT64_MAX); }

/* ---- 2. float -> int64 conversions ---- */
static bool c_full_nan(void) { return !nb_full(NB_I64, NB_SHAPE(2), NAN); }
static bool c_full_inf(void) { return !nb_full(NB_I64, NB_SHAPE(2), INFINITY); }
static bool c_full_huge(void) { return !nb_full(NB_I64, NB_SHAPE(2), 1e30); }
static bool c_scalar_nan(void) { return !nb_scalar(NB_I64, NAN); }
static bool c_scalar_neginf(void) { return !nb_scalar(NB_I64, -INFINITY); }
static bool c_scalar_2p63(void) { return !nb_scalar(NB_I64, 0x1p63); }
static bool c_set_nan(void) { return nb_set(TI(), (int64_t[]){ 1 }, NAN) == NB_ERROR; }
static bool c_set_huge(void) { return nb_set(TI(), (int64_t[]){ 1 }, -1e19) == NB_ERROR; }
static bool c_fill_nan(void) { return !nb_fill_(TI(), NAN); }
static bool c_fill_inf(void) { return !nb_fill_(TI(), INFINITY); }
static bool c_arange_count(void) { return !nb_arange(NB_F32, 0, 1e300, 1e-300); }
static bool c_arange_i64(void) { return !nb_arange(NB_I64, -1e30, 0, 1e29); }
static bool c_full_like_nan(void) { return !nb_full_like(TI(), NAN); }

/* ---- 3. NULL where a pointer other than a tensor is expected ---- */
static bool c_read_idx_null(void) { return !nb_read_idx(NULL, NB_F32, 1); }
static bool c_read_csv_null(void) { return !nb_read_csv(NULL, (nb_csv_opts){ 0 }); }
static bool c_tensor_from_null(void) { return !nb_tensor_from(NB_F32, NULL, NB_SHAPE(2), false); }
static bool c_tape_dot_null(void) { return nb_tape_dot(NULL, T()) == NB_ERROR; }
static bool c_tape_json_null(void) { return nb_tape_json(NULL) == NB_ERROR; }
static bool c_shape_null(void) { return !nb_zeros(NB_F32, 2, NULL); }
static bool c_safetensors_null(void) { return nb_safetensors_read(NULL, &(nb_state_dict){ 0 }) == NB_ERROR; }
static bool c_grad_null_out(void) {
    nb_tensor *x = nb_requires_grad_(nb_ones(NB_F64, NB_SHAPE(2)), true);
    return nb_grad(1, (nb_tensor *[]){ nb_sum(x) }, 1, &x, NULL, NULL, (nb_grad_opts){ 0 }) == NB_ERROR;
}
static bool c_get_null_index(void) { return isnan(nb_get(T(), NULL)); }
static bool c_set_null_index(void) { return nb_set(T(), NULL, 1) == NB_ERROR; }
static bool c_to_doubles_null(void) { return nb_to_doubles(T(), NULL) == NB_ERROR; }

static const mcase cases[] = {
    { "reshape to INT64_MAX x 2", "nb_reshape", c_reshape_huge },
    { "reshape to -1 x INT64_MAX", "nb_reshape", c_reshape_huge_neg },
    { "view to 2^62 x 4", "nb_view", c_view_huge },
    { "expand to INT64_MAX rows", "nb_expand", c_expand_huge },
    { "narrow start INT64_MAX", "nb_narrow", c_narrow_start },
    { "narrow length INT64_MAX", "nb_narrow", c_narrow_len },
    { "narrow start INT64_MIN", "nb_narrow", c_narrow_neg_start },
    { "slice step 0", "nb_slice", c_slice_step },
    { "zeros INT64_MAX x INT64_MAX", "nb_zeros", c_zeros_huge },
    { "zeros with a negative size", "nb_zeros", c_zeros_neg },
    { "empty with 9 dims", "nb_empty", c_empty_dims },
    { "select index INT64_MAX", "nb_select", c_select_idx },
    { "select index INT64_MIN", "nb_select", c_select_neg },
    { "get index INT64_MAX", "nb_get", c_get_idx },
    { "set index -INT64_MAX", "nb_set", c_set_idx },
    { "size of dim INT_MIN", "nb_size", c_size_dim },
    { "eye INT64_MAX x INT64_MAX", "nb_eye", c_eye_huge },
    { "linspace INT64_MAX steps", "nb_linspace", c_linspace_huge },
    { "full int64 with NaN", "nb_full", c_full_nan },
    { "full int64 with inf", "nb_full", c_full_inf },
    { "full int64 with 1e30", "nb_full", c_full_huge },
    { "scalar int64 NaN", "nb_scalar", c_scalar_nan },
    { "scalar int64 -inf", "nb_scalar", c_scalar_neginf },
    { "scalar int64 2^63", "nb_scalar", c_scalar_2p63 },
    { "set int64 element to NaN", "nb_set", c_set_nan },
    { "set int64 element to -1e19", "nb_set", c_set_huge },
    { "fill_ int64 with NaN", "nb_fill_", c_fill_nan },
    { "fill_ int64 with inf", "nb_fill_", c_fill_inf },
    { "arange with 1e600 elements", "nb_arange", c_arange_count },
    { "arange int64 from -1e30", "nb_arange", c_arange_i64 },
    { "full_like int64 with NaN", "nb_full_like", c_full_like_nan },
    { "read_idx NULL path", "nb_read_idx", c_read_idx_null },
    { "read_csv NULL path", "nb_read_csv", c_read_csv_null },
    { "tensor_from NULL data", "nb_tensor_from", c_tensor_from_null },
    { "tape_dot NULL FILE", "nb_tape_dot", c_tape_dot_null },
    { "tape_json NULL FILE", "nb_tape_json", c_tape_json_null },
    { "zeros NULL shape", "nb_zeros", c_shape_null },
    { "safetensors_read NULL path", "nb_safetensors_read", c_safetensors_null },
    { "grad NULL grads array", "nb_grad", c_grad_null_out },
    { "get NULL index", "nb_get", c_get_null_index },
    { "set NULL index", "nb_set", c_set_null_index },
    { "to_doubles NULL out", "nb_to_doubles", c_to_doubles_null },
};

/* the child: run the case in its own scope, check the error, then that nothing is left alive */
static int child(const mcase *c) {
    nb_scope s = nb_scope_begin();
    bool failed = c->run();
    const char *e = nb_error();
    int rc = 0;
    if (!failed) {
        fprintf(stderr, "FAIL %s: the call succeeded (torch refuses it)\n", c->what);
        rc = 1;
    } else if (!e || !*e) {
        fprintf(stderr, "FAIL %s: failed without a message\n", c->what);
        rc = 1;
    } else if (!strstr(e, c->name)) {
        fprintf(stderr, "FAIL %s: message does not name %s: %s\n", c->what, c->name, e);
        rc = 1;
    }
    nb_clear_error();
    nb_scope_end(s);
    if (nb_memory_stats_get().tensors_live != 0) {
        fprintf(stderr, "FAIL %s: tensors left alive\n", c->what);
        rc = 1;
    }
    return rc;
}

/* successes leave no error: the same entry points with good arguments */
static void good_calls(void) {
    nb_scope s = nb_scope_begin();
    CHECK(nb_full(NB_I64, NB_SHAPE(2), -0x1p63) && !nb_error());
    CHECK(nb_arange(NB_I64, 0, 5, 1) && !nb_error());
    nb_tensor *t = TI();
    CHECK(nb_set(t, (int64_t[]){ 2 }, 7.9) == NB_OK && nb_get(t, (int64_t[]){ 2 }) == 7 && !nb_error());
    /* tensor conversions never raise in torch: NaN and out-of-range values become INT64_MIN (x86) */
    nb_tensor *f = nb_tensor_from(NB_F64, (double[]){ NAN, 1e30, -1e30, 2.5 }, NB_SHAPE(4), false);
    nb_tensor *i = nb_to(f, NB_I64);
    CHECK(i && nb_data_i64(i)[0] == INT64_MIN && nb_data_i64(i)[1] == INT64_MIN &&
          nb_data_i64(i)[2] == INT64_MIN && nb_data_i64(i)[3] == 2 && !nb_error());
    nb_set_num_threads(INT_MAX); /* clamped, not fatal */
    CHECK(nb_get_num_threads() >= 1 && !nb_error());
    nb_set_num_threads(0);
    nb_scope_end(s);
}

int main(void) {
    int n = (int)(sizeof cases / sizeof cases[0]), bad = 0;
    for (int i = 0; i < n; i++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) exit(child(&cases[i]));
        int st = 0;
        waitpid(pid, &st, 0);
        bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (!ok && WIFSIGNALED(st))
            fprintf(stderr, "FAIL %s: killed by signal %d\n", cases[i].what, WTERMSIG(st));
        else if (!ok && WEXITSTATUS(st) != 1)
            fprintf(stderr, "FAIL %s: exit %d (sanitizer?)\n", cases[i].what, WEXITSTATUS(st));
        bad += !ok;
        nbt_check(ok, cases[i].what, __FILE__, __LINE__);
    }
    good_calls();
    printf("%d misuse cases, %d failing\n", n, bad);
    return nb_test_done();
}
