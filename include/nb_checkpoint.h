/* nb_checkpoint.h — checkpoints in the safetensors format (what torch / Hugging Face read): an
 * 8-byte little-endian header length, a JSON header {"name": {"dtype", "shape", "data_offsets"}},
 * then the raw little-endian data. A module's parameters and an optimizer's state are both
 * nb_state_dicts, so both go through these calls.
 *
 *   nb_state_dict sd = {0};  nb_state_dict_add(&sd, "0.weight", w); nb_state_dict_add(&sd, "0.bias", b);
 *   if (nb_save_safetensors(&sd, "model.safetensors") != NB_OK) fprintf(stderr, "%s\n", nb_error());
 *   ...  nb_load_safetensors(&sd, "model.safetensors");   // copies the saved values into w and b
 *
 * Saving is atomic (temporary file, fsync, rename): a crash or error while saving never destroys the
 * previous file. Loading checks the whole file (strict, bounded JSON parser; offsets; sizes) before
 * touching any tensor: a malformed file is an error, never a crash nor a half-loaded model.
 */
#ifndef NB_CHECKPOINT_H
#define NB_CHECKPOINT_H

#include "nb_tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write sd's tensors (any layout; f32 -> "F32", f64 -> "F64", i64 -> "I64") to path atomically:
 * path.tmp.<pid> is written, flushed, fsynced and renamed over path; on any failure it is removed
 * and the old path is untouched. Names must be unique and non-empty. */
nb_status nb_save_safetensors(const nb_state_dict *sd, const char *path);

/* Options of nb_load_safetensors_ex; zero values are torch's load_state_dict defaults. */
typedef struct {
    bool non_strict; /* torch's strict=False: names missing from the file and names in the file
                            but not in sd are skipped (a dtype or shape mismatch is still an error) */
} nb_load_opts;
/* Copy the file's tensors into sd's existing tensors by name (in place, no grad history; dtype and
 * shape must match). Strict: every name of sd must be in the file and vice versa. Nothing is
 * modified unless the whole file checks out. */
nb_status nb_load_safetensors(nb_state_dict *sd, const char *path);
/* nb_load_safetensors with options. */
nb_status nb_load_safetensors_ex(nb_state_dict *sd, const char *path, nb_load_opts opts);

/* Read every tensor of the file as a new persistent tensor, appended to out (in file order) under its
 * name. The caller frees them with nb_safetensors_free (or each tensor with nb_free and then
 * nb_state_dict_free). On error out is left as it was. */
nb_status nb_safetensors_read(const char *path, nb_state_dict *out);
/* Free every tensor of sd and then sd itself (for dicts filled by nb_safetensors_read). */
void nb_safetensors_free(nb_state_dict *sd);

#ifdef __cplusplus
}
#endif
#endif
