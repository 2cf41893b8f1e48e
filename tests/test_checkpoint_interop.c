/* test_checkpoint_interop.c — the C side of tools/checkpoint_torch.py, and a test on its own: a
 * 4-8-3 MLP (Linear, ReLU, Linear) whose parameters carry torch.nn.Sequential's names ("0.weight",
 * "0.bias", "2.weight", "2.bias").
 *   (no args)   load tests/data/torch_mlp.safetensors (written by PyTorch) and check that nabla's
 *               logits on torch_io.safetensors' "x" equal PyTorch's "logits"
 *   save DIR    write DIR/nabla_mlp.safetensors and DIR/nabla_io.safetensors ({"x", "logits"})
 *   check DIR   the no-args check on DIR/torch_mlp.safetensors and DIR/torch_io.safetensors */
#include "testlib.h"
#include "nb_checkpoint.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    nb_tensor *w0, *b0, *w2, *b2;
    nb_state_dict sd;
} mlp;

static void mlp_init(mlp *m, bool random) {
    nb_manual_seed(11);
    nb_scope s = nb_scope_begin();
    m->w0 = random ? nb_mul_scalar(nb_randn(NB_F32, NB_SHAPE(8, 4)), 0.5) : nb_zeros(NB_F32, NB_SHAPE(8, 4));
    m->b0 = random ? nb_randn(NB_F32, NB_SHAPE(8)) : nb_zeros(NB_F32, NB_SHAPE(8));
    m->w2 = random ? nb_mul_scalar(nb_randn(NB_F32, NB_SHAPE(3, 8)), 0.5) : nb_zeros(NB_F32, NB_SHAPE(3, 8));
    m->b2 = random ? nb_randn(NB_F32, NB_SHAPE(3)) : nb_zeros(NB_F32, NB_SHAPE(3));
    nb_keep(m->w0);
    nb_keep(m->b0);
    nb_keep(m->w2);
    nb_keep(m->b2);
    nb_scope_end(s);
    m->sd = (nb_state_dict){ 0 };
    nb_state_dict_add(&m->sd, "0.weight", m->w0);
    nb_state_dict_add(&m->sd, "0.bias", m->b0);
    nb_state_dict_add(&m->sd, "2.weight", m->w2);
    nb_state_dict_add(&m->sd, "2.bias", m->b2);
}
/* y = W2 relu(W0 x + b0) + b2, in the current scope */
static nb_tensor *mlp_forward(mlp *m, nb_tensor *x) {
    return nb_linear(nb_relu(nb_linear(x, m->w0, m->b0)), m->w2, m->b2);
}
static void mlp_free(mlp *m) {
    nb_state_dict_free(&m->sd);
    nb_free(m->w0);
    nb_free(m->b0);
    nb_free(m->w2);
    nb_free(m->b2);
}

static int save(const char *dir) {
    char p[1024];
    mlp m;
    mlp_init(&m, true);
    nb_tensor *x = nb_randn(NB_F32, NB_SHAPE(6, 4));
    nb_scope s = nb_scope_begin();
    nb_tensor *y = nb_keep(mlp_forward(&m, x));
    nb_scope_end(s);
    nb_state_dict io = { 0 };
    nb_state_dict_add(&io, "x", x);
    nb_state_dict_add(&io, "logits", y);
    snprintf(p, sizeof p, "%s/nabla_mlp.safetensors", dir);
    int rc = nb_save_safetensors(&m.sd, p) != NB_OK;
    snprintf(p, sizeof p, "%s/nabla_io.safetensors", dir);
    rc |= nb_save_safetensors(&io, p) != NB_OK;
    if (rc)
        fprintf(stderr, "save: %s\n", nb_error());
    else
        printf("nabla wrote %s/nabla_mlp.safetensors (0.weight (8, 4), 0.bias, 2.weight (3, 8), 2.bias) and "
               "nabla_io.safetensors (x, logits)\n",
               dir);
    nb_state_dict_free(&io);
    nb_free(x);
    nb_free(y);
    mlp_free(&m);
    return rc;
}

/* Load the torch-written files in dir (prefix torch_) and compare logits. */
static void check(const char *dir) {
    char p[1024];
    mlp m;
    mlp_init(&m, false);
    snprintf(p, sizeof p, "%s/torch_mlp.safetensors", dir);
    CHECK(nb_load_safetensors(&m.sd, p) == NB_OK);
    nb_state_dict io = { 0 };
    snprintf(p, sizeof p, "%s/torch_io.safetensors", dir);
    CHECK(nb_safetensors_read(p, &io) == NB_OK);
    nb_tensor *x = nb_state_dict_get(&io, "x"), *want = nb_state_dict_get(&io, "logits"),
              *labels = nb_state_dict_get(&io, "argmax");
    CHECK(x && want && labels && labels->dtype == NB_I64);
    nb_scope s = nb_scope_begin();
    nb_tensor *y = mlp_forward(&m, x);
    double maxdiff = 0;
    int64_t n = y ? y->numel : 0;
    CHECK(y && want && want->numel == n);
    for (int64_t i = 0; y && want && i < n; i++) {
        double d = fabs((double)nb_data_f32(y)[i] - nb_data_f32(want)[i]);
        if (d > maxdiff) maxdiff = d;
    }
    CHECK(maxdiff <= 1e-5);
    nb_tensor *am = nb_argmax(y, 1, false);
    CHECK(am && labels &&
          memcmp(nb_data_i64(am), nb_data_i64(labels), sizeof(int64_t) * (size_t)am->numel) == 0);
    printf("nabla loaded PyTorch's %s/torch_mlp.safetensors: logits on %lld inputs max |nabla - torch| = "
           "%.3g, argmax equal\n",
           dir, (long long)(y ? y->shape[0] : 0), maxdiff);
    nb_scope_end(s);
    nb_safetensors_free(&io);
    mlp_free(&m);
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "save")) return save(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "check")) {
        check(argv[2]);
        return nb_test_done();
    }
    const char *d = getenv("NB_TEST_DATA");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data", d ? d : "tests");
    check(dir);
    CHECK(nb_memory_stats_get().tensors_live == 0);
    return nb_test_done();
}
