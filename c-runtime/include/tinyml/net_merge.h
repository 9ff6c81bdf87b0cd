/*
 * TinyML Lab C runtime, neural networks: the layers of two inputs that join the branches of a
 * graph (ADD, MUL, MAX, CONCAT), float32 and int8.
 *
 * int8 ADD and MUL compute as the TFLite reference kernels (and CMSIS-NN's) do, so a model
 * from a .tflite file gives the same integers: ADD brings both inputs to a common scale with
 * 20 bits of headroom (q - zero) * 2^20 * multiplier[i] 2^shift[i], sums them and requantizes
 * the sum with multiplier[2] / shift[2]; MUL requantizes (q_a - zero_a) * (q_b - zero_b). Then
 * the output zero point and the clamp that also applies ReLU / ReLU6. MAX and a CONCAT whose
 * inputs are quantized unlike its output go through the real values.
 */
#ifndef TINYML_NET_MERGE_H
#define TINYML_NET_MERGE_H

/* a standalone model header embeds these just before */
#ifndef TINYML_NET_QUANT_H
#include "tinyml/net_quant.h"
#endif
#ifndef TINYML_NET_I8_H
#include "tinyml/net_i8.h"
#endif
#ifndef TINYML_NET_F32_H
#include "tinyml/net_f32.h"
#endif

/* Headroom the int8 ADD gives both inputs before scaling them to a common scale. */
#define TML_NET_ADD_LEFT_SHIFT 20

/* Real value of an element-by-element layer from its inputs' real values a and b. */
static inline float tml_net_merge_f32(const tml_layer_t *layer, float a, float b)
{
    if (layer->kind == TML_LAYER_ADD) {
        return TML_READ_F32(&layer->weight_f32[0]) * a + TML_READ_F32(&layer->weight_f32[1]) * b;
    }
    if (layer->kind == TML_LAYER_MUL) {
        return a * b;
    }
    return a > b || a != a ? a : b; /* MAX: a NaN wins, as in Keras */
}

/* int8 ADD or MUL of one element pair, before out_zero and the clamp. */
static inline int32_t tml_net_merge_i8(const tml_layer_t *layer, int8_t qa, int8_t qb)
{
    int32_t a = (int32_t)qa - layer->in_zero, b = (int32_t)qb - layer->in2_zero;
    if (layer->kind == TML_LAYER_MUL) {
        return tml_requantize(a * b, TML_READ_I32(&layer->multiplier[0]), TML_READ_I8(&layer->shift[0]));
    }
    a = tml_requantize(a * ((int32_t)1 << TML_NET_ADD_LEFT_SHIFT), TML_READ_I32(&layer->multiplier[0]), TML_READ_I8(&layer->shift[0]));
    b = tml_requantize(b * ((int32_t)1 << TML_NET_ADD_LEFT_SHIFT), TML_READ_I32(&layer->multiplier[1]), TML_READ_I8(&layer->shift[1]));
    /* a converter's input factors are at most 1/2 (each input's scale over twice the larger):
     * the sum stays far inside int32; saturated for factors a hand-made net may give */
    return tml_requantize(tml_add_sat_i32(a, b), TML_READ_I32(&layer->multiplier[2]), TML_READ_I8(&layer->shift[2]));
}

/* Element-by-element layers (ADD, MUL, MAX) over n elements. int8 ADD and MUL stay in
 * integers; the rest dequantize, combine and quantize. An output may lie over either input:
 * each element is read before it is written. */
static inline void tml_net_run_merge(const tml_net_t *net, const tml_layer_t *layer, const void *a, const void *b,
                                     void *out)
{
    int32_t i, n = layer->out_h * layer->out_w * layer->out_c;
    if (!net->quantized) {
        const float *x = (const float *)a, *y = (const float *)b;
        float *o = (float *)out;
        for (i = 0; i < n; i++) {
            o[i] = tml_net_merge_f32(layer, x[i], y[i]);
        }
        tml_activate_f32(o, n, layer->activation, layer->act_alpha);
    } else if (layer->kind != TML_LAYER_MAX) {
        const int8_t *x = (const int8_t *)a, *y = (const int8_t *)b;
        int8_t *o = (int8_t *)out;
        int32_t lo, hi;
        tml_net_out_range_i8(layer, &lo, &hi);
        for (i = 0; i < n; i++) {
            o[i] = tml_net_clamp_out_i8(tml_net_merge_i8(layer, x[i], y[i]), layer->out_zero, lo, hi);
        }
    } else {
        const int8_t *x = (const int8_t *)a, *y = (const int8_t *)b;
        int8_t *o = (int8_t *)out;
        for (i = 0; i < n; i++) {
            float v = tml_net_merge_f32(layer, tml_dequantize_i8(x[i], layer->in_scale, layer->in_zero),
                                        tml_dequantize_i8(y[i], layer->in2_scale, layer->in2_zero));
            o[i] = tml_quantize_i8(v, layer->out_scale, layer->out_zero);
        }
    }
}

/* n_in channels of each position of in into channels [first, first + n_in) of out: copied
 * when the parameters are the output's (always for float), else requantized. */
static inline void tml_net_concat_part(const tml_net_t *net, const tml_layer_t *layer, const void *in, int32_t n_in,
                                       float scale, int32_t zero, int32_t first, void *out)
{
    int32_t p, c, n_pos = layer->out_h * layer->out_w, n_out = layer->out_c;
    int same = scale == layer->out_scale && zero == layer->out_zero;
    for (p = 0; p < n_pos; p++) {
        for (c = 0; c < n_in; c++) {
            int32_t from = p * n_in + c, to = p * n_out + first + c;
            if (!net->quantized) {
                ((float *)out)[to] = ((const float *)in)[from];
            } else {
                int8_t q = ((const int8_t *)in)[from];
                ((int8_t *)out)[to] =
                    same ? q : tml_quantize_i8(tml_dequantize_i8(q, scale, zero), layer->out_scale, layer->out_zero);
            }
        }
    }
}

/* CONCAT along the channels: a's in_c, then b's out_c - in_c (the output lies apart from both). */
static inline void tml_net_run_concat(const tml_net_t *net, const tml_layer_t *layer, const void *a, const void *b,
                                      void *out)
{
    tml_net_concat_part(net, layer, a, layer->in_c, layer->in_scale, layer->in_zero, 0, out);
    tml_net_concat_part(net, layer, b, tml_net_in2_channels(layer), layer->in2_scale, layer->in2_zero, layer->in_c,
                        out);
}

#endif /* TINYML_NET_MERGE_H */
