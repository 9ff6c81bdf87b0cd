/*
 * TinyML Lab C runtime, neural networks: the driver (a layer at a time through the kernel its
 * kind and numbers call for, a prediction from input to output) and the model methods named
 * after scikit-learn's (predict's class, predict_proba, decision_function, a regressor's
 * predict).
 */
#ifndef TINYML_NET_RUN_H
#define TINYML_NET_RUN_H

/* a standalone model header embeds these just before */
#ifndef TINYML_NET_QUANT_H
#include "tinyml/net_quant.h"
#endif
#ifndef TINYML_NET_F32_H
#include "tinyml/net_f32.h"
#endif
#ifndef TINYML_NET_I8_H
#include "tinyml/net_i8.h"
#endif
#ifndef TINYML_NET_POOL_H
#include "tinyml/net_pool.h"
#endif
#ifndef TINYML_NET_MERGE_H
#include "tinyml/net_merge.h"
#endif
#ifndef TINYML_NET_COPY_H
#include "tinyml/net_copy.h"
#endif

/* ---- the float path ---- */

/*
 * Real value of output channel c at (oy, ox) before the activation, for layers that compute
 * in float: CONV or DEPTHWISE of a float net, or int8 on the float path (the int32 sum times
 * channel_scale), AFFINE and ACTIVATION (input dequantized in an int8 net).
 */
static inline float tml_net_value(const tml_net_t *net, const tml_layer_t *layer, const void *in, int32_t oy,
                                  int32_t ox, int32_t c)
{
    float x;
    if (TML_NET_HAS_LAYER(TML_LAYER_CONV) && layer->kind == TML_LAYER_CONV && net->quantized) {
        int32_t acc = tml_net_conv_i8(layer, (const int8_t *)in, oy, ox, c);
        return (float)acc * TML_READ_F32(&layer->channel_scale[c]);
    }
    if (TML_NET_HAS_LAYER(TML_LAYER_DEPTHWISE) && layer->kind == TML_LAYER_DEPTHWISE && net->quantized) {
        return (float)tml_net_depthwise_i8(layer, (const int8_t *)in, oy, ox, c) * TML_READ_F32(&layer->channel_scale[c]);
    }
    if (TML_NET_HAS_LAYER(TML_LAYER_CONV) && layer->kind == TML_LAYER_CONV) {
        return tml_net_conv_f32(layer, (const float *)in, oy, ox, c);
    }
    if (TML_NET_HAS_LAYER(TML_LAYER_DEPTHWISE) && layer->kind == TML_LAYER_DEPTHWISE) {
        return tml_net_depthwise_f32(layer, (const float *)in, oy, ox, c);
    }
    {
        int32_t i = (oy * layer->in_w + ox) * layer->in_c + c;
        x = net->quantized ? tml_dequantize_i8(((const int8_t *)in)[i], layer->in_scale, layer->in_zero)
                           : ((const float *)in)[i];
    }
    return layer->kind == TML_LAYER_AFFINE ? x * TML_READ_F32(&layer->weight_f32[c]) + TML_READ_F32(&layer->bias_f32[c]) : x;
}

/*
 * Layers computed in float (see tml_net_value), one position at a time: a float output gets
 * the values, then the activation in place; an int8 output gets each activated value
 * quantized. An int8 softmax has nowhere to keep the position's values, so it computes them
 * three times (maximum, sum, output); it is only ever the last layer. Each element is read
 * before it is written, so AFFINE and ACTIVATION may run in place.
 */
static inline void tml_net_run_float_path(const tml_net_t *net, const tml_layer_t *layer, const void *in,
                                          void *out)
{
    int32_t oy, ox, c, n = layer->out_c;
    int float_out = tml_net_out_bytes(net, layer) == 4;
    for (oy = 0; oy < layer->out_h; oy++) {
        for (ox = 0; ox < layer->out_w; ox++) {
            int32_t at = (oy * layer->out_w + ox) * n;
            if (float_out) {
                float *o = (float *)out + at;
                for (c = 0; c < n; c++) {
                    o[c] = tml_net_value(net, layer, in, oy, ox, c);
                }
                tml_activate_f32(o, n, layer->activation, layer->act_alpha);
            } else if (TML_NET_HAS_ACTIVATION(TML_ACT_SOFTMAX) && layer->activation == TML_ACT_SOFTMAX) {
                int8_t *o = (int8_t *)out + at;
                float top = tml_net_value(net, layer, in, oy, ox, 0), total = 0.0f;
                for (c = 1; c < n; c++) {
                    float v = tml_net_value(net, layer, in, oy, ox, c);
                    top = v > top ? v : top;
                }
                for (c = 0; c < n; c++) {
                    total += expf(tml_net_value(net, layer, in, oy, ox, c) - top);
                }
                for (c = 0; c < n; c++) {
                    float p = expf(tml_net_value(net, layer, in, oy, ox, c) - top) / total;
                    o[c] = tml_quantize_i8(p, layer->out_scale, layer->out_zero);
                }
            } else {
                int8_t *o = (int8_t *)out + at;
                for (c = 0; c < n; c++) {
                    float v = tml_activation_f32(tml_net_value(net, layer, in, oy, ox, c), layer->activation,
                                                 layer->act_alpha);
                    o[c] = tml_quantize_i8(v, layer->out_scale, layer->out_zero);
                }
            }
        }
    }
}

/* ---- running a net ---- */

/* Writes layer 0's input: x[n_inputs] copied (float net) or quantized (int8 net). */
static inline int tml_net_load_input(const tml_net_t *net, const float *x, void *arena)
{
    int32_t i, n;
    if (net == NULL || net->layers == NULL || x == NULL || arena == NULL) {
        return TML_E_NULL;
    }
    n = tml_net_n_inputs(net);
    if (net->quantized) {
        int8_t *q = (int8_t *)tml_arena_at(arena, TML_NET_LAYER_I32(net, 0, in_offset));
        float scale = TML_NET_LAYER_F32(net, 0, in_scale);
        int32_t zero = TML_NET_LAYER_I32(net, 0, in_zero);
        for (i = 0; i < n; i++) {
            q[i] = tml_quantize_i8(x[i], scale, zero);
        }
    } else {
        float *v = (float *)tml_arena_at(arena, TML_NET_LAYER_I32(net, 0, in_offset));
        for (i = 0; i < n; i++) {
            v[i] = x[i];
        }
    }
    return TML_OK;
}

/* Runs layer k alone on its input in the arena (a calibration trace runs them one by one). */
static inline int tml_net_run_layer(const tml_net_t *net, int32_t k, void *arena)
{
    tml_layer_t copy;
    const tml_layer_t *layer;
    const void *in;
    void *out;
    if (net == NULL || net->layers == NULL || arena == NULL) {
        return TML_E_NULL;
    }
    if (k < 0 || k >= net->n_layers) {
        return TML_E_SIZE;
    }
    layer = tml_net_layer(net, k, &copy);
    in = tml_arena_at(arena, layer->in_offset);
    out = tml_arena_at(arena, layer->out_offset);
    /* Each test of a kind starts with whether its kernel is compiled in (TML_NET_LAYERS): a
     * constant, so the compiler drops the kernels a model header left out. */
    if (TML_NET_HAS_LAYER(TML_LAYER_CONCAT) && layer->kind == TML_LAYER_CONCAT) {
        tml_net_run_concat(net, layer, in, tml_arena_at(arena, layer->in2_offset), out);
    } else if ((TML_NET_HAS_LAYER(TML_LAYER_ADD) || TML_NET_HAS_LAYER(TML_LAYER_MUL) ||
                TML_NET_HAS_LAYER(TML_LAYER_MAX)) &&
               tml_net_is_binary(layer)) {
        tml_net_run_merge(net, layer, in, tml_arena_at(arena, layer->in2_offset), out);
    } else if ((TML_NET_HAS_LAYER(TML_LAYER_PAD) || TML_NET_HAS_LAYER(TML_LAYER_UPSAMPLE)) &&
               tml_net_is_copy(layer)) {
        tml_net_run_copy(net, layer, in, out);
    } else if ((TML_NET_HAS_LAYER(TML_LAYER_MAX_POOL) && layer->kind == TML_LAYER_MAX_POOL) ||
               (TML_NET_HAS_LAYER(TML_LAYER_AVG_POOL) && layer->kind == TML_LAYER_AVG_POOL)) {
        tml_net_run_pool(net, layer, in, out);
    } else if (TML_NET_HAS_LAYER(TML_LAYER_CONV) && tml_net_is_dense(layer) && !net->quantized) {
        tml_net_run_dense_f32(layer, (const float *)in, (float *)out);
    } else if (TML_NET_HAS_LAYER(TML_LAYER_CONV) && layer->kind == TML_LAYER_CONV && net->quantized &&
               !tml_net_conv_in_float(layer)) {
        int32_t buffer = tml_net_window_buffer_bytes(net, layer);
        tml_net_run_conv_requantized(layer, (const int8_t *)in, (int8_t *)out,
                                     buffer > 0 ? (int8_t *)tml_arena_at(arena, net->arena_bytes - buffer) : NULL);
    } else if (TML_NET_HAS_LAYER(TML_LAYER_DEPTHWISE) && layer->kind == TML_LAYER_DEPTHWISE && net->quantized &&
               !tml_net_conv_in_float(layer)) {
        tml_net_run_depthwise_requantized(layer, (const int8_t *)in, (int8_t *)out);
    } else {
        tml_net_run_float_path(net, layer, in, out);
    }
    return TML_OK;
}

/* The last layer's output as floats into out[n_out] (n_out >= n_outputs). */
static inline int tml_net_read_output(const tml_net_t *net, const void *arena, float *out, int32_t n_out)
{
    int32_t i, n, last;
    const void *at;
    if (net == NULL || net->layers == NULL || arena == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (net->n_layers < 1 || n_out < tml_net_n_outputs(net)) {
        return TML_E_SIZE;
    }
    last = net->n_layers - 1;
    n = tml_net_n_outputs(net);
    at = tml_arena_at_const(arena, TML_NET_LAYER_I32(net, last, out_offset));
    if (tml_net_output_value_bytes(net, TML_NET_LAYER_I32(net, last, out_float)) == 4) {
        const float *v = (const float *)at;
        for (i = 0; i < n; i++) {
            out[i] = v[i];
        }
    } else {
        const int8_t *q = (const int8_t *)at;
        float scale = TML_NET_LAYER_F32(net, last, out_scale);
        int32_t zero = TML_NET_LAYER_I32(net, last, out_zero);
        for (i = 0; i < n; i++) {
            out[i] = tml_dequantize_i8(q[i], scale, zero);
        }
    }
    return TML_OK;
}

/* The arguments of a prediction, checked: TML_OK, or the TML_E_* code of the first problem. */
static inline int tml_net_check_run(const tml_net_t *net, const void *x, const void *arena, int32_t arena_bytes,
                                    const void *out, int32_t n_out)
{
    if (net == NULL || net->layers == NULL || x == NULL || arena == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (net->n_layers < 1 || arena_bytes < net->arena_bytes || n_out < tml_net_n_outputs(net)) {
        return TML_E_SIZE;
    }
    if (((uintptr_t)arena & TML_ARENA_ALIGN_MASK) != 0) {
        return TML_E_ARENA;
    }
    return TML_OK;
}

/* Every layer in order, on the input loaded into the arena. */
static inline void tml_net_run_layers(const tml_net_t *net, void *arena)
{
    int32_t k;
    for (k = 0; k < net->n_layers; k++) {
        tml_net_run_layer(net, k, arena);
    }
}

/*
 * One prediction: x[n_inputs] in, out[n_out] (n_out >= n_outputs) out, with arena of
 * arena_bytes (>= net->arena_bytes, 4-byte aligned) as scratch. Checks its arguments but
 * trusts the net (a generated header's tables were validated at export); call
 * tml_net_validate first on a net from elsewhere. Returns TML_OK or a TML_E_* code.
 */
static inline int tml_net_predict(const tml_net_t *net, const float *x, void *arena, int32_t arena_bytes,
                                  float *out, int32_t n_out)
{
    int status = tml_net_check_run(net, x, arena, arena_bytes, out, n_out);
    if (status != TML_OK) {
        return status;
    }
    tml_net_load_input(net, x, arena);
    tml_net_run_layers(net, arena);
    return tml_net_read_output(net, arena, out, n_out);
}

/*
 * The same for an int8 net whose input and last output are int8 tensors (a full-integer
 * .tflite): x[n_inputs] already quantized with the first layer's scale and zero point in, the
 * last layer's int8 values into out[n_out] (n_out >= n_outputs), as TensorFlow Lite Micro's
 * interpreter takes and gives them: no float arithmetic. TML_E_KIND for a float net or a float
 * last output.
 */
static inline int tml_net_predict_i8(const tml_net_t *net, const int8_t *x, void *arena, int32_t arena_bytes,
                                     int8_t *out, int32_t n_out)
{
    int32_t i, n, last;
    const int8_t *last_out;
    int8_t *in;
    int status = tml_net_check_run(net, x, arena, arena_bytes, out, n_out);
    if (status != TML_OK) {
        return status;
    }
    last = net->n_layers - 1;
    if (!net->quantized || tml_net_output_value_bytes(net, TML_NET_LAYER_I32(net, last, out_float)) != 1) {
        return TML_E_KIND;
    }
    in = (int8_t *)tml_arena_at(arena, TML_NET_LAYER_I32(net, 0, in_offset));
    last_out = (const int8_t *)tml_arena_at_const(arena, TML_NET_LAYER_I32(net, last, out_offset));
    for (i = 0, n = tml_net_n_inputs(net); i < n; i++) {
        in[i] = x[i];
    }
    tml_net_run_layers(net, arena);
    for (i = 0, n = tml_net_n_outputs(net); i < n; i++) {
        out[i] = last_out[i];
    }
    return TML_OK;
}

/* Class index from the outputs, as scikit-learn decides: a single output is class 1 when its
 * probability is > 0.5 (logistic) or its decision score is > 0 (a linear classifier's
 * decision_function); several outputs give the first largest. */
static inline int32_t tml_net_class_from_output(const tml_net_t *net, const float *out)
{
    int32_t n = tml_net_n_outputs(net);
    if (n == 1) {
        int32_t last_activation = TML_NET_LAYER_I32(net, net->n_layers - 1, activation);
        return out[0] > (last_activation == TML_ACT_LOGISTIC ? 0.5f : 0.0f) ? 1 : 0;
    }
    return tml_argmax(out, n);
}

/* ---- model methods ---- */

/* Values predict_proba gives: 2 for a single (logistic) output, else one per output. */
static inline int32_t tml_net_n_proba(const tml_net_t *net)
{
    int32_t n = tml_net_n_outputs(net);
    return n == 1 ? 2 : n;
}

/* Turns the outputs in v[0..n_outputs) into predict_proba's values in place: a single
 * logistic output p becomes [1 - p, p], as scikit-learn gives it (n >= 2); several outputs
 * are the probabilities already. */
static inline int tml_net_proba_inplace(const tml_net_t *net, float *v, int32_t n)
{
    if (net == NULL || net->layers == NULL || v == NULL) {
        return TML_E_NULL;
    }
    if (n < tml_net_n_proba(net)) {
        return TML_E_SIZE;
    }
    if (tml_net_n_outputs(net) == 1) {
        v[1] = v[0];
        v[0] = 1.0f - v[1];
    }
    return TML_OK;
}

/* predict of a classifier: the class index (tml_net_class_from_output), with out[n_out >=
 * n_outputs] left holding the outputs. Returns a negative TML_E_* code on bad input. */
static inline int32_t tml_net_predict_class(const tml_net_t *net, const float *x, void *arena, int32_t arena_bytes,
                                            float *out, int32_t n_out)
{
    int status = tml_net_predict(net, x, arena, arena_bytes, out, n_out);
    return status != TML_OK ? status : tml_net_class_from_output(net, out);
}

/* predict_proba of a classifier whose last layer gives probabilities, into proba[n] (n >=
 * tml_net_n_proba). Returns TML_OK or a TML_E_* code. */
static inline int tml_net_predict_proba(const tml_net_t *net, const float *x, void *arena, int32_t arena_bytes,
                                        float *proba, int32_t n)
{
    int status;
    if (net != NULL && net->layers != NULL && net->n_layers >= 1 && n < tml_net_n_proba(net)) {
        return TML_E_SIZE;
    }
    status = tml_net_predict(net, x, arena, arena_bytes, proba, n);
    return status != TML_OK ? status : tml_net_proba_inplace(net, proba, n);
}

/* decision_function of a classifier whose last layer gives scores (a linear model's), and
 * predict of a regressor: the outputs into out[n_out >= n_outputs]. The same computation as
 * tml_net_predict, under scikit-learn's names. */
static inline int tml_net_decision_function(const tml_net_t *net, const float *x, void *arena,
                                            int32_t arena_bytes, float *out, int32_t n_out)
{
    return tml_net_predict(net, x, arena, arena_bytes, out, n_out);
}

static inline int tml_net_predict_values(const tml_net_t *net, const float *x, void *arena, int32_t arena_bytes,
                                         float *y, int32_t n_y)
{
    return tml_net_predict(net, x, arena, arena_bytes, y, n_y);
}

#endif /* TINYML_NET_RUN_H */
