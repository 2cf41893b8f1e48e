/* nb_data.h — getting data into nabla tensors, as torch.utils.data and friends do it: IDX (MNIST
 * format, plain or .gz) and CSV readers, a tensor dataset with a seeded shuffling data loader,
 * feature standardization (fit on train, apply to test) and a seeded train/test split.
 *
 *   nb_tensor *x = nb_read_idx("train-images-idx3-ubyte.gz", NB_F32, 1.0f / 255);  // (60000, 28, 28)
 *   nb_tensor *y = nb_read_idx("train-labels-idx1-ubyte.gz", NB_I64, 1);           // (60000)
 *   nb_tensor_dataset *ds = nb_tensor_dataset_new(x, y);
 *   nb_dataloader *dl = nb_dataloader_new(ds, (nb_dataloader_opts){ .batch_size = 64, .shuffle = true, .seed = 1 });
 *   for (int epoch = 0; epoch < 5; epoch++) {
 *       nb_tensor *xb, *yb;
 *       for (;;) {
 *           nb_scope s = nb_scope_begin();
 *           if (!nb_dataloader_next(dl, &xb, &yb)) { nb_scope_end(s); break; }   // new epoch next time
 *           ... forward, backward, step ...
 *           nb_scope_end(s);
 *       }
 *   }
 *   nb_dataloader_free(dl); nb_tensor_dataset_free(ds); nb_free(x); nb_free(y);
 *
 * Readers return tensors like the creation functions do: owned by the current scope, persistent
 * (caller frees) outside any scope. Every failure returns NULL / NB_ERROR with a message in nb_error().
 */
#ifndef NB_DATA_H
#define NB_DATA_H

#include "nb_tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- readers --------------------------------------------------------------------------------- */
/* IDX file (LeCun's MNIST format; gzip detected by its magic bytes 1f 8b and read through zlib) as a
 * tensor of the file's dims in dtype dt, each value v becoming v * scale (scale 0 means 1; a scale
 * of 1/k with integer k divides by k, bit for bit torch's x.float().div(k)). Truncated, oversized or
 * inconsistent files are errors, never crashes. */
nb_tensor *nb_read_idx(const char *path, nb_dtype dt, float scale);

/* Options of nb_read_csv; zero values are the defaults. */
typedef struct {
    bool header;    /* first line holds column names: skip it (default: no header) */
    char delimiter; /* field separator (default ',') */
    nb_dtype dtype; /* result dtype (default f32) */
} nb_csv_opts;
/* Numeric CSV file as a 2-D (rows, cols) tensor. Empty lines are skipped; fields may be padded with
 * blanks; "nan"/"inf" parse as in strtod. Ragged rows and non-numeric fields are errors naming the
 * line and column. */
nb_tensor *nb_read_csv(const char *path, nb_csv_opts opts);

/* ---- dataset and loader (torch.utils.data.TensorDataset / DataLoader) ------------------------ */
typedef struct nb_tensor_dataset nb_tensor_dataset;
/* Samples (x[i], y[i]) along dim 0 of both (y may be NULL: x only). Borrows x and y, which must
 * outlive the dataset; their sizes along dim 0 must agree. */
nb_tensor_dataset *nb_tensor_dataset_new(nb_tensor *x, nb_tensor *y);
/* Number of samples N (-1 and an error for a NULL dataset). */
int64_t nb_tensor_dataset_len(const nb_tensor_dataset *ds);
/* Free the dataset (not the tensors it borrows). NULL is ignored. */
void nb_tensor_dataset_free(nb_tensor_dataset *ds);

/* A sampler (torch sampler=): called at the start of each epoch, returns that epoch's sample indices
 * (borrowed, *n of them, each in [0, N)), e.g. nb_distributed_sampler_iter. */
typedef const int64_t *(*nb_sampler_fn)(void *ctx, int64_t *n);
/* Options of nb_dataloader_new; zero values are torch's defaults. */
typedef struct {
    int64_t batch_size;      /* samples per batch (default 1) */
    bool shuffle;            /* a new random order every epoch (default: dataset order) */
    bool drop_last;          /* drop the last batch if it is smaller than batch_size */
    uint64_t seed;           /* seed of the loader's own generator: same seed, same sequence of orders */
    bool torch_rng;          /* draw exactly as torch 1.13's DataLoader (num_workers=0) does instead of using
                            seed: each epoch takes one random64 (its _base_seed) from `generator`, then with
                            shuffle RandomSampler's order: randperm from a Generator seeded by a random64 of
                            the global generator, or from `generator` itself when one is given; so after
                            the same torch.manual_seed a port sees torch's batches (docs/random.md) */
    nb_generator *generator; /* DataLoader(generator=g) (borrowed; implies torch_rng); NULL: the global one */
    nb_sampler_fn sampler;   /* the epoch's indices come from sampler(sampler_ctx) (excludes shuffle) */
    void *sampler_ctx;
} nb_dataloader_opts;
typedef struct nb_dataloader nb_dataloader;
/* A loader over ds (borrowed; must outlive the loader). */
nb_dataloader *nb_dataloader_new(const nb_tensor_dataset *ds, nb_dataloader_opts opts);
/* Next batch: *xb = x[idx] (batch, ...) and *yb = y[idx] (NULL if the dataset has no y), new tensors
 * in the current scope. Returns false (and sets both to NULL) at the end of the epoch, or with
 * nb_error() set if a batch could not be built; the call after the end starts a new epoch
 * (reshuffled), as a new `for` loop over a torch DataLoader does. */
bool nb_dataloader_next(nb_dataloader *dl, nb_tensor **xb, nb_tensor **yb);
/* Start a new epoch now (reshuffles when shuffle is on). */
void nb_dataloader_reset(nb_dataloader *dl);
/* Batches per epoch: ceil(N / batch) or floor(N / batch) with drop_last (torch's len(loader)); N is
 * the sampler's count when there is one. */
int64_t nb_dataloader_len(const nb_dataloader *dl);
/* Free the loader. NULL is ignored. */
void nb_dataloader_free(nb_dataloader *dl);

/* ---- feature scaling (seed 003: x <- (x - m_i) / sigma_i per feature) ----------------------- */
/* Options of nb_standard_scaler_fit. */
typedef struct {
    int correction; /* std = sqrt(sum (x - m)^2 / (N - correction)); default 0 = np.std and
                            sklearn's StandardScaler as the seed uses; 1 = torch.std's default */
} nb_standardize_opts;
/* Per-feature statistics: mean and std of shape x.shape[1:] (persistent, in x's dtype). */
typedef struct {
    nb_tensor *mean;
    nb_tensor *std; /* a feature with std 0 is stored as 1 (left unscaled), like sklearn */
} nb_standard_scaler;
/* Fit on a float tensor x (N, ...) along dim 0: the features' means and stds (computed in f64).
 * sc must be zero-initialised ({0}) or fitted before (its old statistics are freed). */
nb_status nb_standard_scaler_fit(nb_standard_scaler *sc, const nb_tensor *x, nb_standardize_opts opts);
/* (x - mean) / std for x of shape (M, ...) with the fitted feature shape; new tensor, current scope. */
nb_tensor *nb_standard_scaler_transform(const nb_standard_scaler *sc, const nb_tensor *x);
/* Free mean and std; leaves sc empty. */
void nb_standard_scaler_free(nb_standard_scaler *sc);

/* ---- train/test split (sklearn.model_selection.train_test_split) ----------------------------- */
/* Options of nb_train_test_split; zero values are sklearn's defaults. */
typedef struct {
    double test_size; /* fraction in (0, 1) of the samples for the test set (default 0.25); the
                            test set gets ceil(test_size N) samples */
    uint64_t seed;    /* seed of the permutation (same seed, same split) */
    bool no_shuffle;  /* keep the order: the last samples are the test set */
} nb_split_opts;
/* Split x (and y, which may be NULL) along dim 0 into new tensors in the current scope. */
nb_status nb_train_test_split(const nb_tensor *x, const nb_tensor *y, nb_split_opts opts, nb_tensor **x_train,
                              nb_tensor **x_test, nb_tensor **y_train, nb_tensor **y_test);

#ifdef __cplusplus
}
#endif
#endif
