/*
 * TinyML Lab C runtime, neural networks: tml_net_validate, the one check of a net from
 * outside (counts, kinds, shapes and their chain, window geometry, tables, quantization
 * parameters, arena places) that lets the kernels run without checks of their own.
 */
#ifndef TINYML_NET_VALIDATE_H
#define TINYML_NET_VALIDATE_H

/* a standalone model header embeds these just before */
#ifndef TINYML_NET_TYPES_H
#include "tinyml/net_types.h"
#endif

/* Positive and finite (s - s is NaN for an infinity, and NaN fails every comparison). */
static inline int tml_net_scale_ok(float s)
{
    return s > 0.0f && s - s == 0.0f;
}

static inline int tml_net_zero_ok(int32_t zero)
{
    return zero >= -128 && zero <= 127;
}

/* a * b * c for a, b, c >= 1, or -1 when it exceeds INT32_MAX (no int64 overflow either). */
static inline int64_t tml_net_count3(int32_t a, int32_t b, int32_t c)
{
    int64_t ab = (int64_t)a * (int64_t)b;
    if (ab > INT32_MAX) {
        return -1;
    }
    ab *= (int64_t)c;
    return ab > INT32_MAX ? -1 : ab;
}

/* One axis of a CONV or pool window: every window overlaps the input, so no output reads
 * only padding (an average never divides by 0), and every index the kernels form fits in an
 * int32. */
static inline int tml_net_axis_ok(int32_t in, int32_t out, int32_t kernel, int32_t stride, int32_t pad)
{
    int64_t last_start;
    if (kernel < 1 || stride < 1 || pad < 0 || pad >= kernel) {
        return 0; /* pad < kernel: the first window ends inside the input */
    }
    last_start = (int64_t)(out - 1) * (int64_t)stride;
    if (last_start - pad >= in) {
        return 0; /* the last window starts inside the input */
    }
    return last_start + kernel <= INT32_MAX && (int64_t)in + kernel <= INT32_MAX;
}

static inline int tml_net_same_shape_in_out(const tml_layer_t *layer)
{
    return layer->out_h == layer->in_h && layer->out_w == layer->in_w && layer->out_c == layer->in_c;
}

/* Kind, activation and out_float: known values in their allowed places. */
static inline int tml_net_validate_kind(const tml_net_t *net, int32_t k)
{
    const tml_layer_t *layer = &net->layers[k];
    int is_last = k == net->n_layers - 1;
    int is_pool = layer->kind == TML_LAYER_MAX_POOL || layer->kind == TML_LAYER_AVG_POOL;
    if (layer->kind < TML_LAYER_CONV || layer->kind > TML_LAYER_DEPTHWISE ||
        layer->activation < TML_ACT_IDENTITY || layer->activation > TML_ACT_SOFTMAX ||
        (layer->activation == TML_ACT_SOFTMAX && !is_last) ||
        (layer->out_float != 0 && layer->out_float != 1) || (layer->out_float && !is_last)) {
        return TML_E_KIND;
    }
    /* Pools work on q directly: no activation, no float output. */
    if (is_pool && (layer->activation != TML_ACT_IDENTITY || layer->out_float)) {
        return TML_E_KIND;
    }
    return TML_OK;
}

/* Dimensions, their products, the link to the previous layer and the window geometry. */
static inline int tml_net_validate_shape(const tml_net_t *net, int32_t k)
{
    const tml_layer_t *layer = &net->layers[k];
    if (layer->in_h < 1 || layer->in_w < 1 || layer->in_c < 1 || layer->out_h < 1 ||
        layer->out_w < 1 || layer->out_c < 1 ||
        tml_net_count3(layer->in_h, layer->in_w, layer->in_c) < 0 ||
        tml_net_count3(layer->out_h, layer->out_w, layer->out_c) < 0) {
        return TML_E_SIZE;
    }
    if (k > 0) {
        /* The previous output as it is, or flattened to 1 x 1 x n: in channels-last row-major
         * order a flatten moves no data. */
        const tml_layer_t *prev = &net->layers[k - 1];
        int same = layer->in_h == prev->out_h && layer->in_w == prev->out_w && layer->in_c == prev->out_c;
        int flat = layer->in_h == 1 && layer->in_w == 1 &&
                   (int64_t)layer->in_c == (int64_t)prev->out_h * prev->out_w * prev->out_c;
        if (!same && !flat) {
            return TML_E_SHAPE;
        }
    }
    if (layer->kind == TML_LAYER_AFFINE || layer->kind == TML_LAYER_ACTIVATION) {
        return tml_net_same_shape_in_out(layer) ? TML_OK : TML_E_SHAPE;
    }
    if ((layer->kind == TML_LAYER_DEPTHWISE && layer->out_c % layer->in_c != 0) ||
        (!tml_net_is_filter(layer) && layer->out_c != layer->in_c) ||
        !tml_net_axis_ok(layer->in_h, layer->out_h, layer->kernel_h, layer->stride_h, layer->pad_top) ||
        !tml_net_axis_ok(layer->in_w, layer->out_w, layer->kernel_w, layer->stride_w, layer->pad_left)) {
        return TML_E_SHAPE;
    }
    if (tml_net_is_filter(layer)) {
        int64_t per_output =
            tml_net_count3(layer->kernel_h, layer->kernel_w, layer->kind == TML_LAYER_CONV ? layer->in_c : 1);
        if (per_output < 0 || per_output * (int64_t)layer->out_c > INT32_MAX ||
            (net->quantized && per_output > TML_MAX_I8_WINDOW)) {
            return TML_E_SIZE;
        }
    } else if (layer->kind == TML_LAYER_AVG_POOL && net->quantized &&
               (int64_t)layer->kernel_h * (int64_t)layer->kernel_w > TML_MAX_I8_WINDOW) {
        return TML_E_SIZE;
    }
    return TML_OK;
}

/* The per-channel requantization tables of an int8 CONV or DEPTHWISE (those given). */
static inline int tml_net_validate_channels(const tml_layer_t *layer)
{
    int32_t c;
    for (c = 0; c < layer->out_c; c++) {
        if (layer->multiplier != NULL && layer->multiplier[c] != 0 && layer->multiplier[c] < (1 << 30)) {
            return TML_E_SCALE; /* an int32 is below 2^31 already */
        }
        if (layer->shift != NULL && (layer->shift[c] < -31 || layer->shift[c] > 30)) {
            return TML_E_SCALE;
        }
        /* 0 is allowed: a channel whose weights are all 0 */
        if (layer->channel_scale != NULL &&
            !(layer->channel_scale[c] >= 0.0f && layer->channel_scale[c] - layer->channel_scale[c] == 0.0f)) {
            return TML_E_SCALE;
        }
    }
    return TML_OK;
}

/* Tables the layer's kernel reads. */
static inline int tml_net_validate_weights(const tml_net_t *net, const tml_layer_t *layer)
{
    if (layer->kind == TML_LAYER_AFFINE) {
        return layer->weight_f32 != NULL && layer->bias_f32 != NULL ? TML_OK : TML_E_NULL;
    }
    if (!tml_net_is_filter(layer)) {
        return TML_OK;
    }
    if (!net->quantized) {
        return layer->weight_f32 != NULL ? TML_OK : TML_E_NULL;
    }
    if (layer->weight_i8 == NULL ||
        (tml_net_conv_in_float(layer) ? layer->channel_scale == NULL
                                      : layer->multiplier == NULL || layer->shift == NULL)) {
        return TML_E_NULL;
    }
    if ((layer->bias_folded != 0 && layer->bias_folded != 1) ||
        (layer->bias_folded && layer->kind == TML_LAYER_DEPTHWISE)) {
        return TML_E_KIND; /* a DEPTHWISE kernel takes the zero point off per term */
    }
    if (layer->bias_folded && layer->bias_i32 == NULL) {
        return TML_E_NULL; /* the zero point's share lives in the bias */
    }
    return tml_net_validate_channels(layer);
}

/* Quantization parameters of an int8 net's layer. */
static inline int tml_net_validate_quantization(const tml_net_t *net, int32_t k)
{
    const tml_layer_t *layer = &net->layers[k];
    if (!tml_net_scale_ok(layer->in_scale) || !tml_net_zero_ok(layer->in_zero) ||
        (!layer->out_float && (!tml_net_scale_ok(layer->out_scale) || !tml_net_zero_ok(layer->out_zero)))) {
        return TML_E_SCALE;
    }
    if (k > 0 && (layer->in_scale != net->layers[k - 1].out_scale ||
                  layer->in_zero != net->layers[k - 1].out_zero)) {
        return TML_E_SCALE;
    }
    if ((layer->kind == TML_LAYER_MAX_POOL || layer->kind == TML_LAYER_AVG_POOL) &&
        (layer->in_scale != layer->out_scale || layer->in_zero != layer->out_zero)) {
        return TML_E_SCALE;
    }
    return TML_OK;
}

/* Input and output inside the arena, aligned, and apart unless the layer works in place. */
static inline int tml_net_validate_arena(const tml_net_t *net, int32_t k)
{
    const tml_layer_t *layer = &net->layers[k];
    int64_t in_at = layer->in_offset, out_at = layer->out_offset;
    int64_t in_end = in_at + (int64_t)tml_net_in_bytes(net) * layer->in_h * layer->in_w * layer->in_c;
    int64_t out_end = out_at + (int64_t)tml_net_out_bytes(net, layer) * layer->out_h * layer->out_w * layer->out_c;
    int elementwise = layer->kind == TML_LAYER_AFFINE || layer->kind == TML_LAYER_ACTIVATION;
    if (in_at < 0 || out_at < 0 || in_at % 4 != 0 || out_at % 4 != 0 || in_end > net->arena_bytes ||
        out_end > net->arena_bytes) {
        return TML_E_ARENA;
    }
    if (k > 0 && layer->in_offset != net->layers[k - 1].out_offset) {
        return TML_E_ARENA;
    }
    if (in_at < out_end && out_at < in_end) {
        /* In place is element by element, so only the very same elements may overlap. */
        if (!elementwise || in_at != out_at || tml_net_in_bytes(net) != tml_net_out_bytes(net, layer)) {
            return TML_E_ARENA;
        }
    }
    return TML_OK;
}

/*
 * Checks once everything the kernels rely on; returns TML_OK or a TML_E_* code. One pass
 * over the layers (and the per-channel tables of int8 convolutions), no recursion.
 */
static inline int tml_net_validate(const tml_net_t *net)
{
    int32_t k;
    if (net == NULL || net->layers == NULL) {
        return TML_E_NULL;
    }
    if (net->n_layers < 1 || net->arena_bytes <= 0) {
        return TML_E_SIZE;
    }
    if (net->quantized != 0 && net->quantized != 1) {
        return TML_E_KIND;
    }
    for (k = 0; k < net->n_layers; k++) {
        const tml_layer_t *layer = &net->layers[k];
        int status = tml_net_validate_kind(net, k);
        if (status == TML_OK) {
            status = tml_net_validate_shape(net, k);
        }
        if (status == TML_OK) {
            status = tml_net_validate_weights(net, layer);
        }
        if (status == TML_OK && net->quantized) {
            status = tml_net_validate_quantization(net, k);
        }
        if (status == TML_OK) {
            status = tml_net_validate_arena(net, k);
        }
        if (status != TML_OK) {
            return status;
        }
    }
    return TML_OK;
}

#endif /* TINYML_NET_VALIDATE_H */
