/* mnist_cnn.c — pytorch/examples mnist/main.py ported line by line, on Fashion-MNIST's IDX files: the CNN
 * (conv 1->32 3x3, relu, conv 32->64 3x3, relu, max_pool 2, dropout 0.25, flatten, fc 9216->128, relu,
 * dropout 0.5, fc 128->10, log_softmax), nll_loss, Adadelta, StepLR. It keeps the script's command line
 * and printed lines, and draws the script's random numbers in its order after torch.manual_seed(seed):
 * the layers' inits (conv1, conv2, fc1, fc2), each DataLoader iterator's base seed (the script's CPU
 * loaders do not shuffle) and the dropout masks; so its log retraces bench/torch_mnist_cnn.py's (the same
 * script on the same files) until float rounding parts them. --save-model writes mnist_cnn.safetensors
 * with torch's names (conv1.weight, ...), which torch reads with safetensors (torch.save's pickle is not
 * written). Extra options: --data DIR, --threads T, and for the benchmark --max-batches N (train at most
 * N batches an epoch; times go to stderr) and --no-test.
 * usage: mnist_cnn [--batch-size 64] [--test-batch-size 1000] [--epochs 14] [--lr 1.0] [--gamma 0.7]
 *                  [--seed 1] [--log-interval 10] [--dry-run] [--save-model] [--no-accel] [--data DIR]
 *                  [--threads T] */
#include <nabla.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

typedef struct {
    int batch_size, test_batch_size, epochs, log_interval, threads, max_batches;
    double lr, gamma;
    uint64_t seed;
    bool dry_run, save_model, no_test;
    const char *data;
} args_t;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* usage to stdout for -h / --help (msg NULL), to stderr after an error */
static int usage(const char *msg) {
    if (msg) fprintf(stderr, "mnist_cnn: %s\n", msg);
    fprintf(
        msg ? stderr : stdout,
        "usage: mnist_cnn [--batch-size 64] [--test-batch-size 1000] [--epochs 14] [--lr 1.0] [--gamma 0.7]\n"
        "                 [--seed 1] [--log-interval 10] [--dry-run] [--save-model] [--no-accel]\n"
        "                 [--data DIR] [--threads T] [--max-batches N] [--no-test]\n");
    return 2;
}

static int parse(int argc, char **argv, args_t *a) {
    *a = (args_t){
        64, 1000, 14, 10, 0, 0, 1.0, 0.7, 1, false, false, false, "/usr/share/datasets/fashion-mnist"
    };
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *iv = !strcmp(o, "--batch-size")        ? &a->batch_size
                  : !strcmp(o, "--test-batch-size") ? &a->test_batch_size
                  : !strcmp(o, "--epochs")          ? &a->epochs
                  : !strcmp(o, "--log-interval")    ? &a->log_interval
                  : !strcmp(o, "--threads")         ? &a->threads
                  : !strcmp(o, "--max-batches")     ? &a->max_batches
                                                    : NULL;
        double *dv = !strcmp(o, "--lr") ? &a->lr : !strcmp(o, "--gamma") ? &a->gamma : NULL;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            usage(NULL);
            return -1;
        }
        if (!strcmp(o, "--dry-run")) {
            a->dry_run = true;
            continue;
        }
        if (!strcmp(o, "--save-model")) {
            a->save_model = true;
            continue;
        }
        if (!strcmp(o, "--no-accel")) continue; /* nabla runs on the CPU */
        if (!strcmp(o, "--no-test")) {
            a->no_test = true;
            continue;
        }
        if (!iv && !dv && strcmp(o, "--seed") && strcmp(o, "--data")) return usage("unknown option");
        if (!v) return usage("missing value after the last option");
        i++;
        if (!strcmp(o, "--data")) {
            a->data = v;
            continue;
        }
        if (!strcmp(o, "--seed")) {
            char *end;
            a->seed = strtoull(v, &end, 10);
            if (!*v || *end) return usage("bad --seed");
            continue;
        }
        if (iv ? !cli_int(v, iv) : !cli_double(v, dv)) return usage("bad number");
    }
    if (a->batch_size <= 0 || a->test_batch_size <= 0 || a->epochs < 0 || a->log_interval <= 0 ||
        a->threads < 0 || a->max_batches < 0)
        return usage("sizes, --epochs, --log-interval and --threads must be positive");
    return 0;
}

/* (N, 1, 28, 28) images as torchvision's ToTensor + Normalize((0.1307,), (0.3081,)) make them, in f32:
 * (u8 / 255 - 0.1307) / 0.3081; or the labels (N) as i64 */
static nb_tensor *load(const char *dir, const char *name, bool images) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, R_OK) != 0) {
        fprintf(
            stderr,
            "mnist_cnn: %s not found.\nInstall the dataset with `apt-get install dataset-fashion-mnist` or "
            "point --data DIR at a directory holding the four Fashion-MNIST .gz IDX files.\n",
            path);
        return NULL;
    }
    nb_tensor *t = nb_read_idx(path, images ? NB_F32 : NB_I64, 1.0f);
    if (!t) {
        fprintf(stderr, "mnist_cnn: %s: %s\n", path, nb_error());
        return NULL;
    }
    if (!images) return t;
    float *d = nb_data_f32(t);
    for (int64_t i = 0; i < t->numel; i++) d[i] = (d[i] / 255.0f - 0.1307f) / 0.3081f;
    nb_tensor *x = nb_reshape(t, 4, (int64_t[]){ t->shape[0], 1, 28, 28 });
    nb_free(t);
    return x;
}

/* y, releasing x when nothing records it (under no_grad no backward will read it; torch frees it then too,
 * so the 1000-image test batches do not hold every layer's output at once) */
static nb_tensor *then(nb_tensor *x, nb_tensor *y) {
    if (!nb_is_grad_enabled() && y != x) nb_free(x);
    return y;
}

/* Net.forward: children conv1, conv2, dropout1, dropout2, fc1, fc2 (the script's attribute order) */
static nb_tensor *net_forward(nb_module *m, nb_tensor *x) {
    nb_module **c = m->children;
    x = nb_module_forward(c[0], x);
    x = then(x, nb_relu(x));
    x = then(x, nb_module_forward(c[1], x));
    x = then(x, nb_relu(x));
    x = then(x, nb_max_pool2d(x, (nb_max_pool2d_opts){ .kernel_size = { 2 } }));
    x = then(x, nb_module_forward(c[2], x));
    x = then(x, nb_flatten(x, 1, -1));
    x = then(x, nb_module_forward(c[4], x));
    x = then(x, nb_relu(x));
    x = then(x, nb_module_forward(c[3], x));
    x = then(x, nb_module_forward(c[5], x));
    return then(x, nb_log_softmax(x, 1));
}

static nb_module *net_new(void) {
    nb_module *m = nb_module_new("Net", net_forward, NULL, NULL);
    const char *names[6] = { "conv1", "conv2", "dropout1", "dropout2", "fc1", "fc2" };
    nb_module *c[6];
    c[0] = nb_conv2d_new(1, 32, 3, 3, true,
                         (nb_conv_opts){ .stride = { 1, 1 } }); /* nn.Conv2d(1, 32, 3, 1) */
    c[1] = nb_conv2d_new(32, 64, 3, 3, true, (nb_conv_opts){ .stride = { 1, 1 } });
    c[2] = nb_dropout_new(0.25);
    c[3] = nb_dropout_new(0.5);
    c[4] = nb_linear_new(9216, 128, true);
    c[5] = nb_linear_new(128, 10, true);
    bool ok = m != NULL;
    for (int i = 0; i < 6; i++) {
        if (ok && c[i] && nb_module_register_module(m, names[i], c[i]) == NB_OK) continue;
        ok = false;
        nb_module_free(c[i]);
    }
    if (!ok) {
        nb_module_free(m);
        return NULL;
    }
    return m;
}

static int train(const args_t *a, nb_module *model, nb_dataloader *loader, int64_t n, nb_optimizer *opt,
                 int epoch) {
    nb_module_train(model, true);
    nb_dataloader_reset(loader); /* a new `for` over the loader: a new iterator (its base seed) */
    int64_t nbatches = nb_dataloader_len(loader), batch_idx = 0;
    double t0 = now();
    for (;; batch_idx++) {
        nb_scope s = nb_scope_begin();
        nb_tensor *data, *target;
        if (!nb_dataloader_next(loader, &data, &target)) {
            nb_scope_end(s);
            break;
        }
        nb_optim_zero_grad(opt);
        nb_tensor *output = nb_module_forward(model, data);
        nb_tensor *loss = nb_nll_loss(output, target, (nb_nll_loss_opts){ 0 });
        if (nb_backward(loss) != NB_OK || nb_optim_step(opt) != NB_OK) {
            fprintf(stderr, "mnist_cnn: training failed: %s\n", nb_error());
            nb_scope_end(s);
            return 1;
        }
        bool stop = a->max_batches && batch_idx + 1 >= a->max_batches;
        if (batch_idx % a->log_interval == 0) {
            printf("Train Epoch: %d [%lld/%lld (%.0f%%)]\tLoss: %.6f\n", epoch,
                   (long long)(batch_idx * data->shape[0]), (long long)n,
                   100.0 * (double)batch_idx / (double)nbatches, nb_item(loss));
            fflush(stdout);
            stop |= a->dry_run;
        }
        nb_scope_end(s);
        if (stop) {
            batch_idx++;
            break;
        }
    }
    double dt = now() - t0;
    fprintf(stderr, "train_batches %lld train_s %.3f s_per_batch %.6f\n", (long long)batch_idx, dt,
            dt / (double)(batch_idx ? batch_idx : 1));
    return 0;
}

static int test(nb_module *model, nb_dataloader *loader, int64_t n) {
    nb_module_eval(model);
    nb_dataloader_reset(loader);
    double test_loss = 0;
    int64_t correct = 0;
    NB_NO_GRAD {
        for (;;) {
            nb_scope s = nb_scope_begin();
            nb_tensor *data, *target;
            if (!nb_dataloader_next(loader, &data, &target)) {
                nb_scope_end(s);
                break;
            }
            nb_tensor *output = nb_module_forward(model, data);
            nb_tensor *l = nb_nll_loss(output, target, (nb_nll_loss_opts){ .reduction = NB_REDUCTION_SUM });
            nb_tensor *pred = nb_argmax(output, 1, false);
            nb_tensor *ok = nb_sum(nb_eq(pred, target));
            if (!l || !ok) {
                fprintf(stderr, "mnist_cnn: test failed: %s\n", nb_error());
                nb_scope_end(s);
                return 1;
            }
            test_loss += nb_item(l);
            correct += (int64_t)nb_item(ok);
            nb_scope_end(s);
        }
    }
    test_loss /= (double)n;
    printf("\nTest set: Average loss: %.4f, Accuracy: %lld/%lld (%.0f%%)\n\n", test_loss, (long long)correct,
           (long long)n, 100.0 * (double)correct / (double)n);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    args_t a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    if (a.threads > 0) nb_set_num_threads(a.threads);
    nb_manual_seed(a.seed);
    nb_tensor *x1 = load(a.data, "train-images-idx3-ubyte.gz", true),
              *y1 = x1 ? load(a.data, "train-labels-idx1-ubyte.gz", false) : NULL;
    nb_tensor *x2 = y1 ? load(a.data, "t10k-images-idx3-ubyte.gz", true) : NULL;
    nb_tensor *y2 = x2 ? load(a.data, "t10k-labels-idx1-ubyte.gz", false) : NULL;
    nb_tensor_dataset *d1 = y2 ? nb_tensor_dataset_new(x1, y1) : NULL,
                      *d2 = d1 ? nb_tensor_dataset_new(x2, y2) : NULL;
    nb_dataloader *train_loader = d2 ? nb_dataloader_new(d1, (nb_dataloader_opts){ .batch_size = a.batch_size,
                                                                                   .torch_rng = true })
                                     : NULL;
    nb_dataloader *test_loader = train_loader ? nb_dataloader_new(
                                                    d2, (nb_dataloader_opts){ .batch_size = a.test_batch_size,
                                                                              .torch_rng = true })
                                              : NULL;
    nb_module *model = test_loader ? net_new() : NULL;
    int np = 0;
    nb_tensor **params = model ? nb_module_parameters(model, &np) : NULL;
    nb_optimizer *opt = params ? nb_adadelta(params, np, (nb_adadelta_opts){ .lr = a.lr }) : NULL;
    nb_scheduler *scheduler = opt ? nb_step_lr(opt, 1, a.gamma) : NULL;
    if (!scheduler) {
        if (nb_error()) fprintf(stderr, "mnist_cnn: setup failed: %s\n", nb_error());
        rc = 1;
    }
    for (int epoch = 1; !rc && epoch <= a.epochs; epoch++) {
        rc = train(&a, model, train_loader, x1 ? x1->shape[0] : 0, opt, epoch);
        if (!rc && !a.no_test) rc = test(model, test_loader, x2->shape[0]);
        if (!rc && nb_scheduler_step(scheduler, 0) != NB_OK) {
            fprintf(stderr, "mnist_cnn: %s\n", nb_error());
            rc = 1;
        }
    }
    if (!rc && a.save_model) {
        nb_state_dict sd = nb_module_state_dict(model);
        if (nb_save_safetensors(&sd, "mnist_cnn.safetensors") != NB_OK) {
            fprintf(stderr, "mnist_cnn: saving mnist_cnn.safetensors failed: %s\n", nb_error());
            rc = 1;
        }
        nb_state_dict_free(&sd);
    }
    nb_scheduler_free(scheduler);
    nb_optim_free(opt);
    nb_module_free(model);
    nb_dataloader_free(train_loader), nb_dataloader_free(test_loader);
    nb_tensor_dataset_free(d1), nb_tensor_dataset_free(d2);
    nb_free(x1), nb_free(y1), nb_free(x2), nb_free(y2);
    return rc;
}
