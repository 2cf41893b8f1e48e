/* layers_act.c — the parameter-free layers: Flatten and the activations (ReLU, LeakyReLU, Sigmoid,
 * Tanh, GELU, Softmax, LogSoftmax). Each is a module whose forward calls the differentiable op;
 * its hyperparameters live in m->hp / m->ip. */
#include "nb_nn.h"
#include "nb_internal.h"

static nb_tensor *flatten_fw(nb_module *m, nb_tensor *x) {
    return nb_flatten(x, (int)m->ip[0], (int)m->ip[1]);
}
static nb_tensor *relu_fw(nb_module *m, nb_tensor *x) {
    (void)m;
    return nb_relu(x);
}
static nb_tensor *leaky_fw(nb_module *m, nb_tensor *x) { return nb_leaky_relu(x, m->hp[0]); }
static nb_tensor *sigmoid_fw(nb_module *m, nb_tensor *x) {
    (void)m;
    return nb_sigmoid(x);
}
static nb_tensor *tanh_fw(nb_module *m, nb_tensor *x) {
    (void)m;
    return nb_tanh(x);
}
static nb_tensor *gelu_fw(nb_module *m, nb_tensor *x) { return m->ip[0] ? nb_gelu_tanh(x) : nb_gelu(x); }
static nb_tensor *softmax_fw(nb_module *m, nb_tensor *x) { return nb_softmax(x, (int)m->ip[0]); }
static nb_tensor *log_softmax_fw(nb_module *m, nb_tensor *x) { return nb_log_softmax(x, (int)m->ip[0]); }

/* a parameter-free module with one integer and one real hyperparameter */
static nb_module *simple(const char *type, nb_forward_fn f, int64_t i0, int64_t i1, double h0) {
    nb_module *m = nb_module_new(type, f, NULL, NULL);
    if (m) {
        m->ip[0] = i0;
        m->ip[1] = i1;
        m->hp[0] = h0;
    }
    return m;
}

nb_module *nb_flatten_new(int start_dim, int end_dim) {
    return simple("Flatten", flatten_fw, start_dim, end_dim, 0);
}
nb_module *nb_relu_new(void) {
    NBT_API("nb_relu_new");
    return simple("ReLU", relu_fw, 0, 0, 0);
}
nb_module *nb_leaky_relu_new(double negative_slope) {
    return simple("LeakyReLU", leaky_fw, 0, 0, negative_slope);
}
nb_module *nb_sigmoid_new(void) {
    NBT_API("nb_sigmoid_new");
    return simple("Sigmoid", sigmoid_fw, 0, 0, 0);
}
nb_module *nb_tanh_new(void) {
    NBT_API("nb_tanh_new");
    return simple("Tanh", tanh_fw, 0, 0, 0);
}
nb_module *nb_gelu_new(bool approximate_tanh) {
    NBT_API("nb_gelu_new");
    return simple("GELU", gelu_fw, approximate_tanh, 0, 0);
}
nb_module *nb_softmax_new(int dim) {
    NBT_API("nb_softmax_new");
    return simple("Softmax", softmax_fw, dim, 0, 0);
}
nb_module *nb_log_softmax_new(int dim) { return simple("LogSoftmax", log_softmax_fw, dim, 0, 0); }
