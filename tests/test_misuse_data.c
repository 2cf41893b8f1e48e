/* test_misuse_data.c — misuse cases of include/nb_data.h and include/nb_checkpoint.h: readers with NULL
 * and missing paths, datasets and loaders with NULL handles, mismatched sizes and bad options, the
 * scaler and split with NULL outputs, safetensors with NULL dicts and paths. Harness: tests/misuse.h. */
#include "misuse.h"

#define T mu_f32
/* a dataset of 5 samples over a tensor of the case's scope (freed by the harness before the scope) */
static nb_tensor_dataset *DS(void) {
    return mu_own_dataset(nb_tensor_dataset_new(nb_zeros(NB_F32, NB_SHAPE(5, 2)), NULL));
}
static nb_dataloader *DL(void) {
    return mu_own_loader(nb_dataloader_new(DS(), (nb_dataloader_opts){ .batch_size = 2 }));
}
static const int64_t *bad_sampler(void *ctx, int64_t *n) {
    (void)ctx;
    static const int64_t idx[] = { 0, 99 };
    *n = 2;
    return idx;
}
/* ---- readers ---- */
MU_E(nb_read_idx, "missing file", !nb_read_idx("/nonexistent/nb_misuse.idx", NB_F32, 1))
MU_E(nb_read_idx, "a directory", !nb_read_idx("/", NB_F32, 1))
MU_E(nb_read_idx, "unknown dtype", !nb_read_idx("/nonexistent", (nb_dtype)4, 1))
MU_E(nb_read_idx, "NaN scale", !nb_read_idx("/dev/null", NB_F32, NAN))
MU_E(nb_read_csv, "missing file", !nb_read_csv("/nonexistent/x.csv", (nb_csv_opts){ 0 }))
MU_E(nb_read_csv, "int64 of a non-integer field? unknown dtype",
     !nb_read_csv("/dev/null", (nb_csv_opts){ .dtype = (nb_dtype)7 }))
MU_ERR(nb_read_csv, "ragged rows") {
    FILE *f = fopen(mu_tmp_path(), "w");
    if (!f) return false;
    fputs("1,2\n3\n", f);
    fclose(f);
    return !nb_read_csv(mu_tmp_path(), (nb_csv_opts){ 0 });
}
MU_ERR(nb_read_idx, "truncated header") {
    FILE *f = fopen(mu_tmp_path(), "w");
    if (!f) return false;
    fputs("\x00\x00\x08", f);
    fclose(f);
    return !nb_read_idx(mu_tmp_path(), NB_F32, 1);
}
/* ---- dataset and loader ---- */
MU_N(nb_tensor_dataset_new, "NULL x", !nb_tensor_dataset_new(NULL, NULL))
MU_E(nb_tensor_dataset_new, "5 inputs and 3 targets",
     !mu_own_dataset(nb_tensor_dataset_new(nb_zeros(NB_F32, NB_SHAPE(5, 2)), nb_zeros(NB_I64, NB_SHAPE(3)))))
MU_E(nb_tensor_dataset_new, "0-d x", !mu_own_dataset(nb_tensor_dataset_new(nb_scalar(NB_F32, 1), NULL)))
MU_E(nb_tensor_dataset_new, "released x", !mu_own_dataset(nb_tensor_dataset_new(mu_released(), NULL)))
MU_E(nb_tensor_dataset_len, "NULL", nb_tensor_dataset_len(NULL) == -1)
MU_E(nb_dataloader_new, "NULL dataset", !mu_own_loader(nb_dataloader_new(NULL, (nb_dataloader_opts){ 0 })))
MU_E(nb_dataloader_new, "negative batch size",
     !mu_own_loader(nb_dataloader_new(DS(), (nb_dataloader_opts){ .batch_size = -2 })))
MU_E(nb_dataloader_new, "shuffle with a sampler",
     !mu_own_loader(nb_dataloader_new(DS(), (nb_dataloader_opts){ .shuffle = true, .sampler = bad_sampler })))
MU_ERR(nb_dataloader_next, "a sampler index out of range") {
    nb_dataloader *dl = mu_own_loader(
        nb_dataloader_new(DS(), (nb_dataloader_opts){ .sampler = bad_sampler }));
    nb_tensor *xb, *yb;
    return dl && !nb_dataloader_next(dl, &xb, &yb);
}
MU_E(nb_dataloader_next, "NULL loader",
     !nb_dataloader_next(NULL, (nb_tensor *[1]){ 0 }, (nb_tensor *[1]){ 0 }))
MU_E(nb_dataloader_next, "NULL xb", !nb_dataloader_next(DL(), NULL, (nb_tensor *[1]){ 0 }))
MU_E(nb_dataloader_reset, "NULL loader", (nb_dataloader_reset(NULL), true))
MU_E(nb_dataloader_len, "NULL loader", nb_dataloader_len(NULL) == -1)
/* ---- scaler and split ---- */
MU_E(nb_standard_scaler_fit, "NULL scaler",
     nb_standard_scaler_fit(NULL, T(), (nb_standardize_opts){ 0 }) == NB_ERROR)
MU_E(nb_standard_scaler_fit, "NULL x",
     nb_standard_scaler_fit(&(nb_standard_scaler){ 0 }, NULL, (nb_standardize_opts){ 0 }) == NB_ERROR)
MU_E(nb_standard_scaler_fit, "int64 x",
     nb_standard_scaler_fit(&(nb_standard_scaler){ 0 }, mu_i64(), (nb_standardize_opts){ 0 }) == NB_ERROR)
MU_E(nb_standard_scaler_fit, "0-d x",
     nb_standard_scaler_fit(&(nb_standard_scaler){ 0 }, nb_scalar(NB_F32, 1), (nb_standardize_opts){ 0 }) ==
         NB_ERROR)
MU_E(nb_standard_scaler_fit, "correction 2 with 2 samples",
     nb_standard_scaler_fit(&(nb_standard_scaler){ 0 }, T(), (nb_standardize_opts){ .correction = 2 }) ==
         NB_ERROR)
MU_E(nb_standard_scaler_transform, "NULL scaler", !nb_standard_scaler_transform(NULL, T()))
MU_E(nb_standard_scaler_transform, "unfitted scaler",
     !nb_standard_scaler_transform(&(nb_standard_scaler){ 0 }, T()))
MU_ERR(nb_standard_scaler_transform, "features 4 for a scaler fitted on 3") {
    static nb_standard_scaler sc;
    bool ok = nb_standard_scaler_fit(&sc, T(), (nb_standardize_opts){ 0 }) == NB_OK &&
              !nb_standard_scaler_transform(&sc, nb_zeros(NB_F32, NB_SHAPE(2, 4)));
    nb_standard_scaler_free(&sc); /* records nothing: the transform's error stays pending */
    return ok;
}
MU_E(nb_train_test_split, "NULL x",
     nb_train_test_split(NULL, NULL, (nb_split_opts){ 0 }, (nb_tensor *[1]){ 0 }, (nb_tensor *[1]){ 0 }, NULL,
                         NULL) == NB_ERROR)
MU_E(nb_train_test_split, "NULL x_train",
     nb_train_test_split(T(), NULL, (nb_split_opts){ 0 }, NULL, (nb_tensor *[1]){ 0 }, NULL, NULL) ==
         NB_ERROR)
MU_E(nb_train_test_split, "y given but NULL y outputs",
     nb_train_test_split(T(), T(), (nb_split_opts){ 0 }, (nb_tensor *[1]){ 0 }, (nb_tensor *[1]){ 0 }, NULL,
                         NULL) == NB_ERROR)
MU_E(nb_train_test_split, "test_size 1.5",
     nb_train_test_split(T(), NULL, (nb_split_opts){ .test_size = 1.5 }, (nb_tensor *[1]){ 0 },
                         (nb_tensor *[1]){ 0 }, NULL, NULL) == NB_ERROR)
MU_E(nb_train_test_split, "y with 4 samples for 2",
     nb_train_test_split(T(), nb_zeros(NB_I64, NB_SHAPE(4)), (nb_split_opts){ 0 }, (nb_tensor *[1]){ 0 },
                         (nb_tensor *[1]){ 0 }, (nb_tensor *[1]){ 0 }, (nb_tensor *[1]){ 0 }) == NB_ERROR)
/* ---- checkpoints ---- */
MU_E(nb_save_safetensors, "NULL dict", nb_save_safetensors(NULL, mu_tmp_path()) == NB_ERROR)
MU_E(nb_save_safetensors, "NULL path", nb_save_safetensors(mu_sd(), NULL) == NB_ERROR)
MU_E(nb_save_safetensors, "a path in a missing directory",
     nb_save_safetensors(mu_sd(), "/nonexistent/dir/x.safetensors") == NB_ERROR)
MU_ERR(nb_save_safetensors, "two tensors under one name") {
    nb_state_dict *sd = mu_sd();
    nb_state_dict_add(sd, "w", T());
    nb_state_dict_add(sd, "w", T());
    return nb_save_safetensors(sd, mu_tmp_path()) == NB_ERROR;
}
MU_E(nb_load_safetensors, "NULL dict", nb_load_safetensors(NULL, mu_tmp_path()) == NB_ERROR)
MU_E(nb_load_safetensors, "NULL path", nb_load_safetensors(mu_sd(), NULL) == NB_ERROR)
MU_E(nb_load_safetensors, "missing file",
     nb_load_safetensors(mu_sd(), "/nonexistent/x.safetensors") == NB_ERROR)
MU_E(nb_load_safetensors_ex, "NULL path",
     nb_load_safetensors_ex(mu_sd(), NULL, (nb_load_opts){ 0 }) == NB_ERROR)
MU_E(nb_load_safetensors_ex, "NULL dict",
     nb_load_safetensors_ex(NULL, mu_tmp_path(), (nb_load_opts){ .non_strict = true }) == NB_ERROR)
MU_E(nb_load_safetensors_ex, "an empty file",
     nb_load_safetensors_ex(mu_sd(), "/dev/null", (nb_load_opts){ 0 }) == NB_ERROR)
MU_ERR(nb_load_safetensors, "a saved shape that differs") {
    nb_state_dict *sd = mu_sd();
    nb_state_dict_add(sd, "w", T());
    if (nb_save_safetensors(sd, mu_tmp_path()) != NB_OK) return false;
    nb_state_dict *other = mu_sd();
    nb_state_dict_add(other, "w", nb_zeros(NB_F32, NB_SHAPE(3, 2)));
    return nb_load_safetensors(other, mu_tmp_path()) == NB_ERROR;
}
MU_E(nb_safetensors_read, "missing file", nb_safetensors_read("/nonexistent/x", mu_sd()) == NB_ERROR)
MU_E(nb_safetensors_read, "NULL dict", nb_safetensors_read(mu_tmp_path(), NULL) == NB_ERROR)
