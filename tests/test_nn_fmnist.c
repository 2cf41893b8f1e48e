/* test_nn_fmnist.c — the Fashion-MNIST pipeline end to end on a subset: IDX reader, data loader,
 * Linear/ReLU model, cross entropy, backward, SGD, no-grad evaluation. 6000 training images, 3
 * epochs of batch 64 (282 steps) must reach a fixed test accuracy floor on 2000 test images.
 * Skipped (exit 77) when the dataset is not installed (apt-get install dataset-fashion-mnist). */
#include "testlib.h"
#include <stdlib.h>
#include <unistd.h>

static nb_tensor *read_first(const char *dir, const char *name, bool images, int64_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    nb_tensor *all = nb_read_idx(path, images ? NB_F32 : NB_I64, images ? 1.0f / 255 : 1.0f);
    if (!all) return NULL;
    nb_tensor *sub = nb_narrow(images ? nb_reshape(all, 2, (int64_t[]){ all->shape[0], -1 }) : all, 0, 0, n);
    return nb_contiguous(sub);
}

int main(void) {
    const char *dir = getenv("NB_FMNIST_DIR") ? getenv("NB_FMNIST_DIR") : "/usr/share/datasets/fashion-mnist";
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", dir);
    if (access(probe, R_OK) != 0) {
        printf("skipped: %s not found (apt-get install dataset-fashion-mnist)\n", probe);
        return 77;
    }
    nb_set_num_threads(2);
    nb_scope data = nb_scope_begin(); /* the data lives in this scope; the model is persistent */
    nb_tensor *xtr = read_first(dir, "train-images-idx3-ubyte.gz", true, 6000);
    nb_tensor *ytr = read_first(dir, "train-labels-idx1-ubyte.gz", false, 6000);
    nb_tensor *xte = read_first(dir, "t10k-images-idx3-ubyte.gz", true, 2000);
    nb_tensor *yte = read_first(dir, "t10k-labels-idx1-ubyte.gz", false, 2000);
    CHECK(xtr && ytr && xte && yte);
    if (!xtr || !ytr || !xte || !yte) {
        fprintf(stderr, "%s\n", nb_error());
        return nb_test_done();
    }
    CHECK(xtr->shape[0] == 6000 && xtr->shape[1] == 784 && yte->shape[0] == 2000);
    nb_manual_seed(0);
    nb_module *model = nb_sequential_new(3, nb_linear_new(784, 128, true), nb_relu_new(),
                                         nb_linear_new(128, 10, true));
    int np;
    nb_tensor **params = nb_module_parameters(model, &np);
    nb_optimizer *opt = nb_sgd(params, np, (nb_sgd_opts){ .lr = 0.1 });
    nb_tensor_dataset *ds = nb_tensor_dataset_new(xtr, ytr);
    nb_dataloader *dl = nb_dataloader_new(
        ds, (nb_dataloader_opts){ .batch_size = 64, .shuffle = true, .seed = 1 });
    int steps = 0;
    double first = 0, last = 0;
    for (int ep = 0; ep < 3; ep++) {
        for (;;) {
            nb_scope s = nb_scope_begin();
            nb_tensor *xb, *yb;
            if (!nb_dataloader_next(dl, &xb, &yb)) {
                nb_scope_end(s);
                break;
            }
            nb_tensor *loss = nb_cross_entropy(nb_module_forward(model, xb), yb,
                                               (nb_cross_entropy_opts){ 0 });
            bool ok = nb_backward(loss) == NB_OK && nb_optim_step(opt) == NB_OK;
            if (!ok) {
                fprintf(stderr, "step %d: %s\n", steps, nb_error());
                CHECK(ok);
                nb_scope_end(s);
                ep = 3;
                break;
            }
            nb_optim_zero_grad(opt);
            last = nb_item(loss);
            if (steps == 0) first = last;
            steps++;
            nb_scope_end(s);
        }
    }
    CHECK(steps == 3 * 94);
    CHECK(first > 2.0 && last < 1.0);
    double acc = 0;
    nb_module_eval(model);
    NB_NO_GRAD {
        nb_scope s = nb_scope_begin();
        nb_tensor *pred = nb_argmax(nb_module_forward(model, xte), 1, false);
        acc = nb_item(nb_mean(nb_eq(pred, yte)));
        nb_scope_end(s);
    }
    printf("%d steps, loss %.4f -> %.4f, test accuracy %.4f (floor 0.70)\n", steps, first, last, acc);
    CHECK(acc >= 0.70);
    nb_dataloader_free(dl);
    nb_tensor_dataset_free(ds);
    nb_optim_free(opt);
    nb_module_free(model);
    nb_scope_end(data);
    return nb_test_done();
}
