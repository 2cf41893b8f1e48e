/* fuzz_optim_state.c — optimizer and scheduler state files: arbitrary bytes read as a safetensors
 * state file, then loaded into an Adam (after one step, so it has state) and a ReduceLROnPlateau and a
 * StepLR scheduler. Loading must check names, shapes, dtypes and values, and leave the optimizer usable. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    char path[64];
    int fd = fuzz_memfile(data, n, path, sizeof path);
    nb_state_dict sd = { 0 };
    nb_status st = nb_safetensors_read(path, &sd);
    bool ok = st == NB_OK;
    if (!ok) {
        fuzz_check(ok, "nb_safetensors_read");
        close(fd);
        return 0;
    }
    nb_tensor *p = nb_requires_grad_(nb_ones(NB_F32, NB_SHAPE(2, 3)), true);
    nb_optimizer *opt = nb_adam(&p, 1, (nb_adam_opts){ .lr = 1e-2 });
    nb_scope s = nb_scope_begin();
    nb_backward(nb_sum(nb_square(p)));
    nb_scope_end(s);
    nb_optim_step(opt);
    nb_scheduler *sch[2] = { nb_step_lr(opt, 3, 0.5), nb_reduce_lr_on_plateau(opt, (nb_plateau_opts){ 0 }) };
    const char *e;
    st = nb_optim_load_state_dict(opt, &sd);
    e = nb_error();
    if ((st == NB_OK) != (e == NULL)) {
        fprintf(stderr, "nb_optim_load_state_dict: status %d, error '%s'\n", st, e ? e : "");
        abort();
    }
    nb_clear_error();
    for (int i = 0; i < 2; i++) {
        st = nb_scheduler_load_state_dict(sch[i], &sd);
        e = nb_error();
        if ((st == NB_OK) != (e == NULL)) {
            fprintf(stderr, "nb_scheduler_load_state_dict: status %d, error '%s'\n", st, e ? e : "");
            abort();
        }
        nb_clear_error();
    }
    /* whatever was loaded, the optimizer and schedulers still step without crashing */
    s = nb_scope_begin();
    nb_backward(nb_sum(nb_square(p)));
    nb_scope_end(s);
    nb_optim_step(opt);
    nb_scheduler_step(sch[0], NAN);
    nb_scheduler_step(sch[1], 1.0);
    nb_clear_error();
    nb_scheduler_free(sch[0]);
    nb_scheduler_free(sch[1]);
    nb_optim_free(opt);
    nb_free(p);
    nb_safetensors_free(&sd);
    fuzz_check(true, "nb_optim_load_state_dict");
    close(fd);
    return 0;
}
