/*
 * TinyML Lab C runtime, neural networks: the float32 kernels. Activations (also applied by
 * the int8 net's float path), the convolution sum of one output, and dense layers on their
 * own short loop.
 */
#ifndef TINYML_NET_F32_H
#define TINYML_NET_F32_H

/* a standalone model header embeds these just before */
#ifndef TINYML_NET_TYPES_H
#include "tinyml/net_types.h"
#endif

/* An element-wise activation (every one but softmax); alpha is the layer's act_alpha. */
static inline float tml_activation_f32(float x, int32_t activation, float alpha)
{
    float h;
    /* Each case first asks whether the activation is compiled in (TML_NET_ACTIVATIONS), so a
     * model without tanh, say, does not link tanhf. */
    switch (activation) {
    case TML_ACT_RELU:
        return x > 0.0f ? x : 0.0f;
    case TML_ACT_RELU6:
        return x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f;
    case TML_ACT_TANH:
        return TML_NET_HAS_ACTIVATION(TML_ACT_TANH) ? tanhf(x) : x;
    case TML_ACT_LOGISTIC:
        if (!TML_NET_HAS_ACTIVATION(TML_ACT_LOGISTIC)) {
            return x;
        }
        /* expf of a non-positive number only: no overflow at either end */
        if (x >= 0.0f) {
            return 1.0f / (1.0f + expf(-x));
        } else {
            float e = expf(x);
            return e / (1.0f + e);
        }
    case TML_ACT_LEAKY_RELU:
        return TML_NET_HAS_ACTIVATION(TML_ACT_LEAKY_RELU) && x < 0.0f ? alpha * x : x;
    case TML_ACT_ELU:
        return TML_NET_HAS_ACTIVATION(TML_ACT_ELU) && x <= 0.0f ? alpha * (expf(x) - 1.0f) : x;
    case TML_ACT_HARD_SIGMOID:
        if (!TML_NET_HAS_ACTIVATION(TML_ACT_HARD_SIGMOID)) {
            return x;
        }
        h = alpha * x + 0.5f;
        return h > 0.0f ? (h < 1.0f ? h : 1.0f) : 0.0f;
    case TML_ACT_HARD_SWISH:
        if (!TML_NET_HAS_ACTIVATION(TML_ACT_HARD_SWISH)) {
            return x;
        }
        h = x + 3.0f;
        return x * (h > 0.0f ? (h < 6.0f ? h : 6.0f) : 0.0f) / 6.0f;
    default:
        return x;
    }
}

/* Applies the activation in place to the n channels of one position. */
static inline void tml_activate_f32(float *v, int32_t n, int32_t activation, float alpha)
{
    int32_t c;
    if (TML_NET_HAS_ACTIVATION(TML_ACT_SOFTMAX) && activation == TML_ACT_SOFTMAX) {
        float top = v[0], total = 0.0f;
        for (c = 1; c < n; c++) {
            top = v[c] > top ? v[c] : top;
        }
        for (c = 0; c < n; c++) {
            v[c] = expf(v[c] - top); /* shifted by the maximum: no overflow */
            total += v[c];
        }
        for (c = 0; c < n; c++) {
            v[c] /= total;
        }
    } else if (activation != TML_ACT_IDENTITY) {
        for (c = 0; c < n; c++) {
            v[c] = tml_activation_f32(v[c], activation, alpha);
        }
    }
}

/* Float convolution sum of output channel c at (oy, ox), bias included; padding adds 0. */
static inline float tml_net_conv_f32(const tml_layer_t *layer, const float *in, int32_t oy, int32_t ox,
                                     int32_t c)
{
    tml_window_t w = tml_net_window(layer, oy, ox);
    int32_t ky, kx, i, n = layer->in_c;
    float acc = layer->bias_f32 != NULL ? TML_READ_F32(&layer->bias_f32[c]) : 0.0f;
    for (ky = w.ky0; ky < w.ky1; ky++) {
        for (kx = w.kx0; kx < w.kx1; kx++) {
            const float *x = in + ((w.y0 + ky) * layer->in_w + w.x0 + kx) * n;
            const float *wt = layer->weight_f32 + ((c * layer->kernel_h + ky) * layer->kernel_w + kx) * n;
            for (i = 0; i < n; i++) {
                acc += x[i] * TML_READ_F32(&wt[i]);
            }
        }
    }
    return acc;
}

/* Float depthwise sum of output channel c at (oy, ox), bias included; padding adds 0. */
static inline float tml_net_depthwise_f32(const tml_layer_t *layer, const float *in, int32_t oy, int32_t ox,
                                          int32_t c)
{
    tml_window_t w = tml_net_window(layer, oy, ox);
    int32_t ky, kx, n = layer->in_c, channel = tml_net_depthwise_input(layer, c);
    float acc = layer->bias_f32 != NULL ? TML_READ_F32(&layer->bias_f32[c]) : 0.0f;
    for (ky = w.ky0; ky < w.ky1; ky++) {
        const float *x = in + ((w.y0 + ky) * layer->in_w + w.x0) * n + channel;
        const float *wt = layer->weight_f32 + (c * layer->kernel_h + ky) * layer->kernel_w;
        for (kx = w.kx0; kx < w.kx1; kx++) {
            acc += x[kx * n] * TML_READ_F32(&wt[kx]);
        }
    }
    return acc;
}

/*
 * Dense layers on their own short loops: the general convolution walks a window per output
 * and, inlined into one function with every other kernel, keeps too few registers for its
 * inner loop at -Os (bench/nets measured 9 instructions per multiply-add on Cortex-M4F).
 */
static inline void tml_net_run_dense_f32(const tml_layer_t *layer, const float *in, float *out)
{
    int32_t o, i, n = layer->in_c;
    const float *w = layer->weight_f32;
    for (o = 0; o < layer->out_c; o++, w += n) {
        float acc = layer->bias_f32 != NULL ? TML_READ_F32(&layer->bias_f32[o]) : 0.0f;
        for (i = 0; i < n; i++) {
            acc += in[i] * TML_READ_F32(&w[i]);
        }
        out[o] = acc;
    }
    tml_activate_f32(out, layer->out_c, layer->activation, layer->act_alpha);
}

#endif /* TINYML_NET_F32_H */
