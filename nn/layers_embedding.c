/* layers_embedding.c — nn.Embedding / F.embedding: a lookup table of rows. The forward is an
 * index_select of rows, so the weight's gradient is an index_add (rows repeated in idx add up). */
#include "nb_nn.h"
#include "nb_internal.h"

/* y[i..., :] = w[idx[i...], :] */
nb_tensor *nb_embedding(nb_tensor *idx, nb_tensor *w) {
    NBT_API("nb_embedding");
    if (!idx || !w) return NULL;
    if (!nbt_ok(idx, "nb_embedding") || !nbt_ok(w, "nb_embedding")) return NULL;
    if (idx->dtype != NB_I64)
        return nbt_error("nb_embedding: indices must be an int64 tensor, got %s", nb_dtype_name(idx->dtype));
    if (w->ndim != 2)
        return nbt_error("nb_embedding: weight must be 2-D (num_embeddings, embedding_dim), got %s",
                         nbt_shape(w));
    if (idx->ndim + 1 > NB_MAX_DIMS)
        return nbt_error("nb_embedding: indices %s have too many dims", nbt_shape(idx));
    int64_t shape[NB_MAX_DIMS];
    for (int i = 0; i < idx->ndim; i++) shape[i] = idx->shape[i];
    shape[idx->ndim] = w->shape[1];
    nb_tensor *flat = nb_reshape(idx, 1, (int64_t[]){ idx->numel });
    return nb_reshape(nb_index_select(w, 0, flat), idx->ndim + 1, shape);
}

static nb_tensor *embedding_fw(nb_module *m, nb_tensor *x) { return nb_embedding(x, m->params[0]); }

nb_module *nb_embedding_new(int64_t num, int64_t dim) {
    NBT_API("nb_embedding_new");
    if (num <= 0 || dim <= 0)
        return nbt_error(
            "nb_embedding_new: num_embeddings and embedding_dim must be positive (got %lld, %lld)",
            (long long)num, (long long)dim);
    nb_module *m = nb_module_new("Embedding", embedding_fw, NULL, NULL);
    if (!m) return NULL;
    m->ip[0] = num;
    m->ip[1] = dim;
    nb_tensor *w = nbt_new_persistent(NB_F32, 2, (int64_t[]){ num, dim });
    if (nb_module_register_parameter(m, "weight", w) != NB_OK) {
        nb_free(w);
        nb_module_free(m);
        return NULL;
    }
    if (!nb_init_normal_(w, 0.0, 1.0)) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}
