/* fmnist.c — `fmnist ARCH EPOCHS BATCH LR`, the command line of shared/reference/torch_fmnist.py, in
 * front of examples/fashion_mnist (same recipe: Linear/ReLU MLP, cross entropy, SGD, shuffled
 * batches), which prints `epoch E loss L test_acc A epoch_s S` after each epoch. The example's path
 * is fixed at build time (NB_FMNIST_EXE); exec keeps the process, so /usr/bin/time sees its peak RSS. */
#include <stdio.h>
#include <unistd.h>

#ifndef NB_FMNIST_EXE
#define NB_FMNIST_EXE "examples/fashion_mnist"
#endif

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: fmnist ARCH EPOCHS BATCH LR   (e.g. fmnist 784-256-10 1 256 0.1)\n");
        return 2;
    }
    char *args[] = {
        NB_FMNIST_EXE, "--arch", argv[1], "--epochs", argv[2], "--batch",
        argv[3],       "--lr",   argv[4], "--opt",    "sgd",   NULL
    }; /* the reference script's optimizer, whatever the example's default */
    execv(NB_FMNIST_EXE, args);
    perror("fmnist: cannot run " NB_FMNIST_EXE);
    return 1;
}
