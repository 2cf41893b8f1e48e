/* test_checkpoint_optim.c — resuming training from checkpoints: a model's parameters and its Adam
 * state (exp_avg, exp_avg_sq, step, lr) saved with nb_save_safetensors and restored into a fresh
 * model and optimizer continue bit for bit like the uninterrupted run; restoring the parameters
 * without the optimizer state does not (so the state really travels). */
#include "testlib.h"
#include "nb_checkpoint.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static nb_tensor *X, *T;

/* One Adam step on loss = mean((X w^T + b - T)^2). */
static void train_step(nb_optimizer *opt, nb_tensor *w, nb_tensor *b) {
    nb_scope s = nb_scope_begin();
    nb_tensor *loss = nb_mean(nb_square(nb_sub(nb_linear(X, w, b), T)));
    nb_optim_zero_grad(opt);
    nb_backward(loss);
    nb_optim_step(opt);
    nb_scope_end(s);
}

static bool same(const nb_tensor *a, const nb_tensor *b) {
    return a && b && a->numel == b->numel &&
           memcmp(nb_data_f32(a), nb_data_f32(b), sizeof(float) * (size_t)a->numel) == 0;
}

int main(void) {
    char dir[] = "/tmp/nb_ckopt_XXXXXX", pm[64], po[64];
    if (!mkdtemp(dir)) return 1;
    snprintf(pm, sizeof pm, "%s/model.safetensors", dir);
    snprintf(po, sizeof po, "%s/optim.safetensors", dir);
    nb_manual_seed(3);
    X = nb_randn(NB_F32, NB_SHAPE(16, 4));
    T = nb_randn(NB_F32, NB_SHAPE(16, 3));
    nb_tensor *w = nb_requires_grad_(nb_randn(NB_F32, NB_SHAPE(3, 4)), true),
              *b = nb_requires_grad_(nb_zeros(NB_F32, NB_SHAPE(3)), true);
    nb_optimizer *opt = nb_adam((nb_tensor *[]){ w, b }, 2, (nb_adam_opts){ .lr = 0.05 });
    for (int i = 0; i < 5; i++) train_step(opt, w, b);
    /* checkpoint: model and optimizer */
    nb_state_dict msd = { 0 }, osd = { 0 };
    nb_state_dict_add(&msd, "0.weight", w);
    nb_state_dict_add(&msd, "0.bias", b);
    CHECK(nb_optim_state_dict(opt, &osd) == NB_OK && osd.n >= 5);
    CHECK(nb_save_safetensors(&msd, pm) == NB_OK && nb_save_safetensors(&osd, po) == NB_OK);
    nb_state_dict_free(&osd);
    /* the uninterrupted run */
    for (int i = 0; i < 3; i++) train_step(opt, w, b);

    /* resume: fresh model and optimizer, load both */
    nb_tensor *w2 = nb_requires_grad_(nb_zeros(NB_F32, NB_SHAPE(3, 4)), true),
              *b2 = nb_requires_grad_(nb_zeros(NB_F32, NB_SHAPE(3)), true);
    nb_state_dict msd2 = { 0 }, ostate = { 0 };
    nb_state_dict_add(&msd2, "0.weight", w2);
    nb_state_dict_add(&msd2, "0.bias", b2);
    CHECK(nb_load_safetensors(&msd2, pm) == NB_OK);
    nb_optimizer *opt2 = nb_adam((nb_tensor *[]){ w2, b2 }, 2,
                                 (nb_adam_opts){ .lr = 0.001 }); /* lr restored too */
    CHECK(nb_safetensors_read(po, &ostate) == NB_OK && nb_state_dict_get(&ostate, "state.0.exp_avg_sq"));
    CHECK(nb_optim_load_state_dict(opt2, &ostate) == NB_OK);
    nb_safetensors_free(&ostate);
    CHECK_NEAR(nb_optim_get_lr(opt2, 0), 0.05, 0);
    for (int i = 0; i < 3; i++) train_step(opt2, w2, b2);
    CHECK(same(w, w2) && same(b, b2));

    /* parameters alone, fresh Adam state: a different trajectory */
    nb_tensor *w3 = nb_requires_grad_(nb_zeros(NB_F32, NB_SHAPE(3, 4)), true),
              *b3 = nb_requires_grad_(nb_zeros(NB_F32, NB_SHAPE(3)), true);
    nb_state_dict msd3 = { 0 };
    nb_state_dict_add(&msd3, "0.weight", w3);
    nb_state_dict_add(&msd3, "0.bias", b3);
    CHECK(nb_load_safetensors(&msd3, pm) == NB_OK);
    nb_optimizer *opt3 = nb_adam((nb_tensor *[]){ w3, b3 }, 2, (nb_adam_opts){ .lr = 0.05 });
    for (int i = 0; i < 3; i++) train_step(opt3, w3, b3);
    CHECK(!same(w, w3));

    nb_optim_free(opt);
    nb_optim_free(opt2);
    nb_optim_free(opt3);
    nb_state_dict_free(&msd);
    nb_state_dict_free(&msd2);
    nb_state_dict_free(&msd3);
    nb_free(w);
    nb_free(b);
    nb_free(w2);
    nb_free(b2);
    nb_free(w3);
    nb_free(b3);
    nb_free(X);
    nb_free(T);
    unlink(pm);
    unlink(po);
    rmdir(dir);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
