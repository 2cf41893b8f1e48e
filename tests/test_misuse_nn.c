/* test_misuse_nn.c — misuse cases of torch.nn for nabla (include/nb_nn.h): module registration and
 * walking with NULL handles and names, containers, layer constructors with out-of-range sizes, the
 * functional forms, init and the losses with NULL inputs and mismatched shapes. Harness: tests/misuse.h. */
#include "misuse.h"

#define T mu_f32
#define TI mu_i64
static nb_module *LIN(void) { return mu_own_module(nb_linear_new(3, 2, true)); }
static nb_tensor *X(void) { return nb_randn(NB_F32, NB_SHAPE(4, 3)); }
static nb_tensor *Y(void) { return nb_zeros(NB_I64, NB_SHAPE(4)); }
static nb_tensor *fw(nb_module *m, nb_tensor *x) {
    (void)m;
    return x;
}

/* ---- modules ---- */
MU_E(nb_module_new, "NULL forward", !mu_own_module(nb_module_new("M", NULL, NULL, NULL)))
MU_G(nb_module_new, "NULL type is \"Module\"",
     !strcmp(mu_own_module(nb_module_new(NULL, fw, NULL, NULL))->type, "Module"))
MU_E(nb_module_register_parameter, "NULL module", nb_module_register_parameter(NULL, "w", T()) == NB_ERROR)
MU_E(nb_module_register_parameter, "NULL name", nb_module_register_parameter(LIN(), NULL, T()) == NB_ERROR)
MU_E(nb_module_register_parameter, "NULL tensor", nb_module_register_parameter(LIN(), "w", NULL) == NB_ERROR)
MU_E(nb_module_register_parameter, "name already used",
     nb_module_register_parameter(LIN(), "weight", T()) == NB_ERROR)
MU_E(nb_module_register_parameter, "dotted name", nb_module_register_parameter(LIN(), "a.b", T()) == NB_ERROR)
MU_E(nb_module_set_parameter, "NULL module", nb_module_set_parameter(NULL, "w", T()) == NB_ERROR)
MU_E(nb_module_set_parameter, "NULL name", nb_module_set_parameter(LIN(), NULL, T()) == NB_ERROR)
MU_E(nb_module_set_parameter, "NULL tensor", nb_module_set_parameter(LIN(), "weight", NULL) == NB_ERROR)
MU_E(nb_module_register_buffer, "NULL module", nb_module_register_buffer(NULL, "b", T(), true) == NB_ERROR)
MU_E(nb_module_register_buffer, "NULL name", nb_module_register_buffer(LIN(), NULL, T(), true) == NB_ERROR)
MU_E(nb_module_register_buffer, "name of a parameter",
     nb_module_register_buffer(LIN(), "bias", T(), true) == NB_ERROR)
MU_E(nb_module_register_module, "NULL parent", nb_module_register_module(NULL, "c", LIN()) == NB_ERROR)
MU_E(nb_module_register_module, "NULL child", nb_module_register_module(LIN(), "c", NULL) == NB_ERROR)
MU_E(nb_module_register_module, "NULL name", nb_module_register_module(LIN(), NULL, LIN()) == NB_ERROR)
MU_ERR(nb_module_register_module, "itself") {
    nb_module *m = LIN();
    return nb_module_register_module(m, "self", m) == NB_ERROR;
}
MU_E(nb_module_forward, "NULL module", !nb_module_forward(NULL, X()))
MU_N(nb_module_forward, "NULL input", !nb_module_forward(LIN(), NULL))
MU_E(nb_module_forward, "(4, 4) into Linear(3, 2)",
     !nb_module_forward(LIN(), nb_zeros(NB_F32, NB_SHAPE(4, 4))))
MU_E(nb_module_forward, "a container without forward",
     !nb_module_forward(mu_own_module(nb_module_dict_new()), X()))
MU_E(nb_module_forward_ex, "NULL module",
     nb_module_forward_ex(NULL, 1, (nb_tensor *[]){ X() }, NULL, 1, (nb_tensor *[1]){ 0 }) == -1)
MU_E(nb_module_forward_ex, "NULL outputs",
     nb_module_forward_ex(LIN(), 1, (nb_tensor *[]){ X() }, NULL, 1, NULL) == -1)
MU_E(nb_module_forward_ex, "NULL inputs",
     nb_module_forward_ex(LIN(), 1, NULL, NULL, 1, (nb_tensor *[1]){ 0 }) == -1)
MU_E(nb_module_forward_ex, "nout 0",
     nb_module_forward_ex(LIN(), 1, (nb_tensor *[]){ X() }, NULL, 0, (nb_tensor *[1]){ 0 }) == -1)
MU_E(nb_module_forward_ex, "two inputs to Linear",
     nb_module_forward_ex(LIN(), 2, (nb_tensor *[]){ X(), X() }, NULL, 1, (nb_tensor *[1]){ 0 }) == -1)
MU_E(nb_module_train, "NULL module", (nb_module_train(NULL, true), true))
MU_E(nb_module_eval, "NULL module", (nb_module_eval(NULL), true))
MU_ERR(nb_module_free, "a module owned by a parent") {
    nb_module *c = nb_linear_new(3, 2, true);
    nb_module *s = mu_own_module(nb_sequential_new(1, c));
    nb_module_free(c);
    return s != NULL;
}
MU_E(nb_module_parameters, "NULL module", !nb_module_parameters(NULL, (int[1]){ 0 }))
MU_E(nb_module_parameters, "NULL count", !nb_module_parameters(LIN(), NULL))
MU_E(nb_module_buffers, "NULL module", !nb_module_buffers(NULL, (int[1]){ 0 }))
MU_E(nb_module_buffers, "NULL count", !nb_module_buffers(LIN(), NULL))
MU_ERR(nb_module_named_parameters, "NULL module") {
    nb_state_dict sd = nb_module_named_parameters(NULL);
    return sd.n == 0 && !sd.names;
}
MU_ERR(nb_module_named_buffers, "NULL module") {
    nb_state_dict sd = nb_module_named_buffers(NULL);
    return sd.n == 0 && !sd.names;
}
MU_ERR(nb_module_state_dict, "NULL module") {
    nb_state_dict sd = nb_module_state_dict(NULL);
    return sd.n == 0 && !sd.names;
}
MU_E(nb_module_num_parameters, "NULL module", nb_module_num_parameters(NULL) == -1)
MU_E(nb_module_get_parameter, "NULL module", !nb_module_get_parameter(NULL, "weight"))
MU_E(nb_module_get_parameter, "NULL name", !nb_module_get_parameter(LIN(), NULL))
MU_E(nb_module_get_buffer, "NULL module", !nb_module_get_buffer(NULL, "b"))
MU_E(nb_module_get_buffer, "NULL name", !nb_module_get_buffer(LIN(), NULL))
MU_E(nb_module_get_submodule, "NULL module", !nb_module_get_submodule(NULL, "0"))
MU_E(nb_module_get_submodule, "NULL name", !nb_module_get_submodule(LIN(), NULL))
MU_E(nb_module_to, "NULL module", nb_module_to(NULL, NB_F64) == NB_ERROR)
MU_E(nb_module_to, "to int64", nb_module_to(LIN(), NB_I64) == NB_ERROR)
MU_E(nb_module_to, "unknown dtype", nb_module_to(LIN(), (nb_dtype)9) == NB_ERROR)
MU_E(nb_module_zero_grad, "NULL module", (nb_module_zero_grad(NULL), true))
MU_E(nb_module_fprint, "NULL FILE", (nb_module_fprint(NULL, LIN()), true))
MU_N(nb_module_fprint, "NULL module prints (null module)", (nb_module_fprint(stderr, NULL), true))
/* ---- containers ---- */
MU_E(nb_module_list_new, "a NULL module",
     !mu_own_module(nb_module_list_new(2, nb_linear_new(3, 2, true), NULL)))
MU_E(nb_module_list_new, "negative count", !mu_own_module(nb_module_list_new(-1)))
MU_E(nb_module_list_from, "NULL array", !mu_own_module(nb_module_list_from(2, NULL)))
MU_E(nb_module_list_from, "negative count", !mu_own_module(nb_module_list_from(-3, (nb_module *[]){ NULL })))
MU_E(nb_module_list_append, "NULL list", nb_module_list_append(NULL, LIN()) == NB_ERROR)
MU_E(nb_module_list_append, "NULL child",
     nb_module_list_append(mu_own_module(nb_module_list_new(0)), NULL) == NB_ERROR)
MU_E(nb_module_list_append, "not a ModuleList", nb_module_list_append(LIN(), LIN()) == NB_ERROR)
MU_E(nb_module_list_get, "index 1 of 1",
     !nb_module_list_get(mu_own_module(nb_module_list_new(1, nb_relu_new())), 1))
MU_E(nb_module_list_get, "index -2 of 1",
     !nb_module_list_get(mu_own_module(nb_module_list_new(1, nb_relu_new())), -2))
MU_E(nb_module_list_get, "NULL list", !nb_module_list_get(NULL, 0))
MU_E(nb_module_list_len, "NULL", nb_module_list_len(NULL) == -1)
MU_E(nb_module_dict_set, "NULL dict", nb_module_dict_set(NULL, "a", LIN()) == NB_ERROR)
MU_E(nb_module_dict_set, "NULL key",
     nb_module_dict_set(mu_own_module(nb_module_dict_new()), NULL, LIN()) == NB_ERROR)
MU_E(nb_module_dict_set, "NULL child",
     nb_module_dict_set(mu_own_module(nb_module_dict_new()), "a", NULL) == NB_ERROR)
MU_E(nb_module_dict_set, "dotted key",
     nb_module_dict_set(mu_own_module(nb_module_dict_new()), "a.b", LIN()) == NB_ERROR)
MU_E(nb_module_dict_get, "missing key", !nb_module_dict_get(mu_own_module(nb_module_dict_new()), "nope"))
MU_E(nb_module_dict_get, "NULL key", !nb_module_dict_get(mu_own_module(nb_module_dict_new()), NULL))
MU_E(nb_module_dict_get, "NULL dict", !nb_module_dict_get(NULL, "a"))
MU_E(nb_sequential_new, "a NULL module", !mu_own_module(nb_sequential_new(2, nb_relu_new(), NULL)))
MU_E(nb_sequential_new, "negative count", !mu_own_module(nb_sequential_new(-2)))
MU_E(nb_sequential_from, "NULL array", !mu_own_module(nb_sequential_from(1, NULL)))
MU_E(nb_sequential_from, "a NULL entry", !mu_own_module(nb_sequential_from(1, (nb_module *[]){ NULL })))
/* ---- layer constructors ---- */
MU_E(nb_linear_new, "negative in_features", !mu_own_module(nb_linear_new(-1, 2, true)))
MU_E(nb_linear_new, "2^62 x 2^62", !mu_own_module(nb_linear_new((int64_t)1 << 62, (int64_t)1 << 62, true)))
MU_E(nb_module_forward, "Flatten(3, 1) (torch checks at forward)",
     !nb_module_forward(mu_own_module(nb_flatten_new(3, 1)), X()))
MU_E(nb_module_forward, "Softmax(INT_MIN) (torch checks at forward)",
     !nb_module_forward(mu_own_module(nb_softmax_new(INT_MIN)), X()))
MU_E(nb_module_forward, "LogSoftmax(2) on a 2-d input",
     !nb_module_forward(mu_own_module(nb_log_softmax_new(2)), X()))
MU_E(nb_dropout_new, "p 1.5", !mu_own_module(nb_dropout_new(1.5)))
MU_E(nb_dropout_new, "p -0.1", !mu_own_module(nb_dropout_new(-0.1)))
MU_E(nb_layer_norm_new, "NULL shape", !mu_own_module(nb_layer_norm_new(1, NULL, 0, true)))
MU_E(nb_layer_norm_new, "9 dims", !mu_own_module(nb_layer_norm_new(9, (int64_t[9]){ 1 }, 0, true)))
MU_E(nb_layer_norm_new, "size 0", !mu_own_module(nb_layer_norm_new(NB_SHAPE(0), 0, true)))
MU_E(nb_embedding_new, "negative num", !mu_own_module(nb_embedding_new(-1, 3)))
MU_E(nb_embedding_new, "huge", !mu_own_module(nb_embedding_new(INT64_MAX, INT64_MAX)))
MU_E(nb_conv1d_new, "0 in_channels", !mu_own_module(nb_conv1d_new(0, 2, 3, true, (nb_conv_opts){ 0 })))
MU_E(nb_conv1d_new, "groups 2 of 3 channels",
     !mu_own_module(nb_conv1d_new(3, 2, 3, true, (nb_conv_opts){ .groups = 2 })))
MU_E(nb_conv_transpose1d_new, "0 in_channels",
     !mu_own_module(nb_conv_transpose1d_new(0, 2, 3, true, (nb_conv_opts){ 0 })))
MU_E(nb_conv_transpose1d_new, "groups 2 of 3 channels",
     !mu_own_module(nb_conv_transpose1d_new(3, 2, 3, true, (nb_conv_opts){ .groups = 2 })))
MU_E(nb_conv2d_new, "kernel -1", !mu_own_module(nb_conv2d_new(2, 2, -1, 3, true, (nb_conv_opts){ 0 })))
MU_E(nb_conv_transpose2d_new, "kernel -1",
     !mu_own_module(nb_conv_transpose2d_new(2, 2, -1, 3, true, (nb_conv_opts){ 0 })))
MU_E(nb_batch_norm1d_new, "0 features",
     !mu_own_module(nb_batch_norm1d_new(0, (nb_batch_norm_layer_opts){ 0 })))
MU_E(nb_batch_norm2d_new, "negative features",
     !mu_own_module(nb_batch_norm2d_new(-3, (nb_batch_norm_layer_opts){ 0 })))
MU_E(nb_batch_norm2d_new, "momentum NaN",
     !mu_own_module(nb_batch_norm2d_new(3, (nb_batch_norm_layer_opts){ .momentum = NAN })))
MU_E(nb_group_norm_new, "4 channels in 3 groups",
     !mu_own_module(nb_group_norm_new(3, 4, (nb_group_norm_layer_opts){ 0 })))
MU_E(nb_group_norm_new, "0 groups", !mu_own_module(nb_group_norm_new(0, 4, (nb_group_norm_layer_opts){ 0 })))
MU_E(nb_rnn_new, "hidden_size 0", !mu_own_module(nb_rnn_new(3, 0, (nb_rnn_opts){ 0 })))
MU_E(nb_rnn_new, "dropout 2", !mu_own_module(nb_rnn_new(3, 4, (nb_rnn_opts){ .dropout = 2 })))
MU_E(nb_lstm_new, "hidden_size 0", !mu_own_module(nb_lstm_new(3, 0, (nb_rnn_opts){ 0 })))
MU_E(nb_lstm_new, "dropout 2", !mu_own_module(nb_lstm_new(3, 4, (nb_rnn_opts){ .dropout = 2 })))
MU_E(nb_gru_new, "hidden_size 0", !mu_own_module(nb_gru_new(3, 0, (nb_rnn_opts){ 0 })))
MU_E(nb_gru_new, "dropout 2", !mu_own_module(nb_gru_new(3, 4, (nb_rnn_opts){ .dropout = 2 })))
MU_E(nb_rnn_new, "nonlinearity \"sigmoid\"",
     !mu_own_module(nb_rnn_new(3, 4, (nb_rnn_opts){ .nonlinearity = "sigmoid" })))
MU_E(nb_lstm_new, "proj_size >= hidden_size",
     !mu_own_module(nb_lstm_new(3, 4, (nb_rnn_opts){ .proj_size = 4 })))
MU_E(nb_rnn_new, "negative num_layers", !mu_own_module(nb_rnn_new(3, 4, (nb_rnn_opts){ .num_layers = -1 })))
MU_E(nb_rnn_cell_new, "nonlinearity \"gelu\"", !mu_own_module(nb_rnn_cell_new(3, 4, true, "gelu")))
MU_E(nb_rnn_cell_new, "input_size -1", !mu_own_module(nb_rnn_cell_new(-1, 4, true, NULL)))
MU_E(nb_lstm_cell_new, "hidden 0", !mu_own_module(nb_lstm_cell_new(3, 0, true)))
MU_E(nb_gru_cell_new, "input -2", !mu_own_module(nb_gru_cell_new(-2, 3, true)))
/* ---- recurrent forwards ---- */
static nb_module *RNN(void) { return mu_own_module(nb_lstm_new(3, 4, (nb_rnn_opts){ 0 })); }
MU_E(nb_rnn_forward, "NULL module",
     nb_rnn_forward(NULL, nb_zeros(NB_F32, NB_SHAPE(5, 2, 3)), NULL, NULL, NULL, NULL, NULL) == NB_ERROR)
MU_N(nb_rnn_forward, "NULL input", nb_rnn_forward(RNN(), NULL, NULL, NULL, NULL, NULL, NULL) == NB_ERROR)
MU_E(nb_rnn_forward, "input features 2 for input_size 3",
     nb_rnn_forward(RNN(), nb_zeros(NB_F32, NB_SHAPE(5, 2, 2)), NULL, NULL, NULL, NULL, NULL) == NB_ERROR)
MU_E(nb_rnn_forward, "h0 of the wrong batch",
     nb_rnn_forward(RNN(), nb_zeros(NB_F32, NB_SHAPE(5, 2, 3)), nb_zeros(NB_F32, NB_SHAPE(1, 3, 4)), NULL,
                    NULL, NULL, NULL) == NB_ERROR)
MU_E(nb_rnn_forward, "not a recurrent module",
     nb_rnn_forward(LIN(), nb_zeros(NB_F32, NB_SHAPE(5, 2, 3)), NULL, NULL, NULL, NULL, NULL) == NB_ERROR)
MU_E(nb_rnn_forward, "4-d input", nb_rnn_forward(RNN(), mu_img(), NULL, NULL, NULL, NULL, NULL) == NB_ERROR)
static nb_module *CELL(void) { return mu_own_module(nb_gru_cell_new(3, 4, true)); }
MU_E(nb_rnn_cell_forward, "NULL module", !nb_rnn_cell_forward(NULL, X(), NULL, NULL, NULL))
MU_N(nb_rnn_cell_forward, "NULL input", !nb_rnn_cell_forward(CELL(), NULL, NULL, NULL, NULL))
MU_E(nb_rnn_cell_forward, "h of the wrong size",
     !nb_rnn_cell_forward(CELL(), X(), nb_zeros(NB_F32, NB_SHAPE(4, 5)), NULL, NULL))
MU_E(nb_rnn_cell_forward, "not a cell", !nb_rnn_cell_forward(LIN(), X(), NULL, NULL, NULL))
/* ---- functional forms ---- */
MU_N(nb_dropout, "NULL input", !nb_dropout(NULL, 0.5, true))
MU_E(nb_dropout, "p 2", !nb_dropout(X(), 2, true))
MU_E(nb_dropout, "p NaN", !nb_dropout(X(), NAN, true))
MU_N(nb_layer_norm, "NULL input", !nb_layer_norm(NULL, NB_SHAPE(3), NULL, NULL, 0))
MU_E(nb_layer_norm, "normalized_shape (4) for (4, 3)", !nb_layer_norm(X(), NB_SHAPE(4), NULL, NULL, 0))
MU_E(nb_layer_norm, "weight (2) for normalized_shape (3)",
     !nb_layer_norm(X(), NB_SHAPE(3), nb_ones(NB_F32, NB_SHAPE(2)), NULL, 0))
MU_E(nb_layer_norm, "bias (4) for normalized_shape (3)",
     !nb_layer_norm(X(), NB_SHAPE(3), NULL, nb_ones(NB_F32, NB_SHAPE(4)), 0))
MU_E(nb_layer_norm, "NULL normalized_shape", !nb_layer_norm(X(), 1, NULL, NULL, NULL, 0))
MU_N(nb_embedding, "NULL index", !nb_embedding(NULL, T()))
MU_E(nb_embedding, "index 9 of 2 rows", !nb_embedding(nb_full(NB_I64, NB_SHAPE(2), 9), T()))
MU_E(nb_embedding, "float index", !nb_embedding(T(), T()))
MU_E(nb_embedding, "negative index", !nb_embedding(nb_full(NB_I64, NB_SHAPE(2), -1), T()))
MU_E(nb_embedding, "1-d weight", !nb_embedding(TI(), mu_vec(4)))
/* ---- init ---- */
MU_E(nb_init_fans, "NULL tensor", nb_init_fans(NULL, (int64_t[1]){ 0 }, (int64_t[1]){ 0 }) == NB_ERROR)
MU_E(nb_init_fans, "1-d tensor", nb_init_fans(mu_vec(3), (int64_t[1]){ 0 }, (int64_t[1]){ 0 }) == NB_ERROR)
MU_N(nb_init_uniform_, "NULL tensor", !nb_init_uniform_(NULL, 0, 1))
MU_E(nb_init_uniform_, "int64 tensor", !nb_init_uniform_(TI(), 0, 1))
MU_N(nb_init_normal_, "NULL tensor", !nb_init_normal_(NULL, 0, 1))
MU_E(nb_init_normal_, "int64 tensor", !nb_init_normal_(TI(), 0, 1))
MU_N(nb_init_constant_, "NULL tensor", !nb_init_constant_(NULL, 2))
MU_E(nb_init_constant_, "int64 tensor", !nb_init_constant_(TI(), 2))
MU_N(nb_init_zeros_, "NULL tensor", !nb_init_zeros_(NULL))
MU_E(nb_init_zeros_, "int64 tensor", !nb_init_zeros_(TI()))
MU_N(nb_init_ones_, "NULL tensor", !nb_init_ones_(NULL))
MU_E(nb_init_ones_, "int64 tensor", !nb_init_ones_(TI()))
MU_N(nb_init_xavier_uniform_, "NULL tensor", !nb_init_xavier_uniform_(NULL, 1))
MU_E(nb_init_xavier_uniform_, "int64 tensor", !nb_init_xavier_uniform_(TI(), 1))
MU_N(nb_init_xavier_normal_, "NULL tensor", !nb_init_xavier_normal_(NULL, 1))
MU_E(nb_init_xavier_normal_, "int64 tensor", !nb_init_xavier_normal_(TI(), 1))
MU_N(nb_init_kaiming_uniform_, "NULL tensor",
     !nb_init_kaiming_uniform_(NULL, 0, NB_FAN_IN, NB_NONLIN_LEAKY_RELU))
MU_E(nb_init_kaiming_uniform_, "int64 tensor",
     !nb_init_kaiming_uniform_(TI(), 0, NB_FAN_IN, NB_NONLIN_LEAKY_RELU))
MU_N(nb_init_kaiming_normal_, "NULL tensor", !nb_init_kaiming_normal_(NULL, 0, NB_FAN_OUT, NB_NONLIN_RELU))
MU_E(nb_init_kaiming_normal_, "int64 tensor", !nb_init_kaiming_normal_(TI(), 0, NB_FAN_OUT, NB_NONLIN_RELU))
MU_E(nb_init_xavier_uniform_, "1-d tensor", !nb_init_xavier_uniform_(mu_vec(3), 1))
MU_E(nb_init_kaiming_normal_, "1-d tensor", !nb_init_kaiming_normal_(mu_vec(3), 0, NB_FAN_IN, NB_NONLIN_RELU))
MU_E(nb_init_normal_, "negative std", !nb_init_normal_(T(), 0, -1))
MU_E(nb_init_uniform_, "a > b", !nb_init_uniform_(T(), 2, 1))
/* ---- losses ---- */
MU_N(nb_mse_loss, "NULL input", !nb_mse_loss(NULL, T(), (nb_loss_opts){ 0 }))
MU_E(nb_mse_loss, "target (4) for (2, 3)",
     !nb_mse_loss(T(), nb_zeros(NB_F32, NB_SHAPE(4)), (nb_loss_opts){ 0 }))
MU_E(nb_mse_loss, "unknown reduction", !nb_mse_loss(T(), T(), (nb_loss_opts){ .reduction = (nb_reduction)9 }))
MU_N(nb_l1_loss, "NULL input", !nb_l1_loss(NULL, T(), (nb_loss_opts){ 0 }))
MU_E(nb_l1_loss, "target (4) for (2, 3)",
     !nb_l1_loss(T(), nb_zeros(NB_F32, NB_SHAPE(4)), (nb_loss_opts){ 0 }))
MU_E(nb_l1_loss, "unknown reduction", !nb_l1_loss(T(), T(), (nb_loss_opts){ .reduction = (nb_reduction)9 }))
MU_N(nb_smooth_l1_loss, "NULL input", !nb_smooth_l1_loss(NULL, T(), (nb_smooth_l1_opts){ 0 }))
MU_E(nb_smooth_l1_loss, "target (4) for (2, 3)",
     !nb_smooth_l1_loss(T(), nb_zeros(NB_F32, NB_SHAPE(4)), (nb_smooth_l1_opts){ 0 }))
MU_E(nb_smooth_l1_loss, "unknown reduction",
     !nb_smooth_l1_loss(T(), T(), (nb_smooth_l1_opts){ .reduction = (nb_reduction)9 }))
MU_N(nb_huber_loss, "NULL input", !nb_huber_loss(NULL, T(), (nb_huber_opts){ 0 }))
MU_E(nb_huber_loss, "target (4) for (2, 3)",
     !nb_huber_loss(T(), nb_zeros(NB_F32, NB_SHAPE(4)), (nb_huber_opts){ 0 }))
MU_E(nb_huber_loss, "unknown reduction",
     !nb_huber_loss(T(), T(), (nb_huber_opts){ .reduction = (nb_reduction)9 }))
MU_N(nb_binary_cross_entropy, "NULL input", !nb_binary_cross_entropy(NULL, T(), (nb_bce_opts){ 0 }))
MU_E(nb_binary_cross_entropy, "target (4) for (2, 3)",
     !nb_binary_cross_entropy(T(), nb_zeros(NB_F32, NB_SHAPE(4)), (nb_bce_opts){ 0 }))
MU_E(nb_binary_cross_entropy, "unknown reduction",
     !nb_binary_cross_entropy(T(), T(), (nb_bce_opts){ .reduction = (nb_reduction)9 }))
MU_N(nb_binary_cross_entropy_with_logits, "NULL input",
     !nb_binary_cross_entropy_with_logits(NULL, T(), (nb_bce_logits_opts){ 0 }))
MU_E(nb_binary_cross_entropy_with_logits, "target (4) for (2, 3)",
     !nb_binary_cross_entropy_with_logits(T(), nb_zeros(NB_F32, NB_SHAPE(4)), (nb_bce_logits_opts){ 0 }))
MU_E(nb_binary_cross_entropy_with_logits, "unknown reduction",
     !nb_binary_cross_entropy_with_logits(T(), T(), (nb_bce_logits_opts){ .reduction = (nb_reduction)9 }))
MU_N(nb_hinge_embedding_loss, "NULL input",
     !nb_hinge_embedding_loss(NULL, T(), (nb_hinge_embedding_opts){ 0 }))
MU_E(nb_hinge_embedding_loss, "target (4) for (2, 3)",
     !nb_hinge_embedding_loss(T(), nb_zeros(NB_F32, NB_SHAPE(4)), (nb_hinge_embedding_opts){ 0 }))
MU_E(nb_hinge_embedding_loss, "unknown reduction",
     !nb_hinge_embedding_loss(T(), T(), (nb_hinge_embedding_opts){ .reduction = (nb_reduction)9 }))
MU_E(nb_smooth_l1_loss, "negative beta", !nb_smooth_l1_loss(T(), T(), (nb_smooth_l1_opts){ .beta = -1 }))
MU_E(nb_huber_loss, "negative delta", !nb_huber_loss(T(), T(), (nb_huber_opts){ .delta = -1 }))
MU_E(nb_binary_cross_entropy, "weight (4) for (2, 3)",
     !nb_binary_cross_entropy(T(), T(), (nb_bce_opts){ .weight = nb_ones(NB_F32, NB_SHAPE(4)) }))
MU_N(nb_cross_entropy, "NULL input", !nb_cross_entropy(NULL, Y(), (nb_cross_entropy_opts){ 0 }))
MU_E(nb_cross_entropy, "target class 7 of 3",
     !nb_cross_entropy(X(), nb_full(NB_I64, NB_SHAPE(4), 7), (nb_cross_entropy_opts){ 0 }))
MU_E(nb_cross_entropy, "target batch 3 for 4",
     !nb_cross_entropy(X(), nb_zeros(NB_I64, NB_SHAPE(3)), (nb_cross_entropy_opts){ 0 }))
MU_E(nb_cross_entropy, "label_smoothing 2",
     !nb_cross_entropy(X(), Y(), (nb_cross_entropy_opts){ .label_smoothing = 2 }))
MU_E(nb_cross_entropy, "weight (2) for 3 classes",
     !nb_cross_entropy(X(), Y(), (nb_cross_entropy_opts){ .weight = nb_ones(NB_F32, NB_SHAPE(2)) }))
MU_E(nb_cross_entropy, "unknown reduction",
     !nb_cross_entropy(X(), Y(), (nb_cross_entropy_opts){ .reduction = (nb_reduction)-1 }))
MU_N(nb_nll_loss, "NULL input", !nb_nll_loss(NULL, Y(), (nb_nll_loss_opts){ 0 }))
MU_E(nb_nll_loss, "target -1", !nb_nll_loss(X(), nb_full(NB_I64, NB_SHAPE(4), -1), (nb_nll_loss_opts){ 0 }))
MU_E(nb_nll_loss, "float target", !nb_nll_loss(X(), nb_zeros(NB_F32, NB_SHAPE(4)), (nb_nll_loss_opts){ 0 }))
MU_E(nb_nll_loss, "weight (5) for 3 classes",
     !nb_nll_loss(X(), Y(), (nb_nll_loss_opts){ .weight = nb_ones(NB_F32, NB_SHAPE(5)) }))
MU_N(nb_multi_margin_loss, "NULL input", !nb_multi_margin_loss(NULL, Y(), (nb_multi_margin_opts){ 0 }))
MU_E(nb_multi_margin_loss, "p 3", !nb_multi_margin_loss(X(), Y(), (nb_multi_margin_opts){ .p = 3 }))
MU_E(nb_multi_margin_loss, "target 3 of 3 classes",
     !nb_multi_margin_loss(X(), nb_full(NB_I64, NB_SHAPE(4), 3), (nb_multi_margin_opts){ 0 }))
MU_E(nb_multi_margin_loss, "weight (2) for 3 classes",
     !nb_multi_margin_loss(X(), Y(), (nb_multi_margin_opts){ .weight = nb_ones(NB_F32, NB_SHAPE(2)) }))
MU_E(nb_l2_penalty, "NULL params", !nb_l2_penalty(2, NULL, 0.1))
MU_E(nb_l2_penalty, "negative count", !nb_l2_penalty(-1, (nb_tensor *[]){ T() }, 0.1))
MU_N(nb_l2_penalty, "a NULL param", !nb_l2_penalty(NB_LIST(T(), NULL), 0.1))
