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

/* Kind, activation, out_float and where the inputs come from: known values in their allowed
 * places. */
static inline int tml_net_validate_kind(const tml_net_t *net, int32_t k)
{
    tml_layer_t copy;
    const tml_layer_t *layer = tml_net_layer(net, k, &copy);
    int is_last = k == net->n_layers - 1;
    int is_pool = layer->kind == TML_LAYER_MAX_POOL || layer->kind == TML_LAYER_AVG_POOL;
    if (layer->kind < TML_LAYER_CONV || layer->kind > TML_LAYER_UPSAMPLE ||
        layer->activation < TML_ACT_IDENTITY || layer->activation > TML_ACT_HARD_SWISH ||
        !(layer->act_alpha - layer->act_alpha == 0.0f) || /* finite */
        (layer->activation == TML_ACT_SOFTMAX && !is_last) ||
        (layer->out_float != 0 && layer->out_float != 1) || (layer->out_float && !is_last)) {
        return TML_E_KIND;
    }
    /* Kernels a model header left out of this build (TML_NET_LAYERS, TML_NET_ACTIVATIONS). */
    if (!TML_NET_HAS_LAYER(layer->kind) || !TML_NET_HAS_ACTIVATION(layer->activation)) {
        return TML_E_KIND;
    }
    /* Pools and copies work on q directly: no activation, no float output. */
    if ((is_pool || tml_net_is_copy(layer)) && (layer->activation != TML_ACT_IDENTITY || layer->out_float)) {
        return TML_E_KIND;
    }
    /* Two-input layers write their inputs' kind of value, with a clamp at most (ADD, MUL). */
    if (tml_net_is_binary(layer) &&
        (layer->out_float || layer->activation > TML_ACT_RELU6 ||
         ((layer->kind == TML_LAYER_MAX || layer->kind == TML_LAYER_CONCAT) && layer->activation != TML_ACT_IDENTITY))) {
        return TML_E_KIND;
    }
    /* Inputs come from an earlier layer or the net's input (layer 0 reads that alone). */
    if (layer->in_from < 0 || layer->in_from > k || layer->in2_from < 0 || layer->in2_from > k ||
        (k == 0 && (layer->in_from != 0 || layer->in2_from != 0)) || (!tml_net_is_binary(layer) && layer->in2_from != 0)) {
        return TML_E_KIND;
    }
    return TML_OK;
}

/* The layer whose output an input of layer k is (k - 1 - from), or -1 for the net's input. */
static inline int32_t tml_net_producer(int32_t k, int32_t from)
{
    return k - 1 - from;
}

/* Shape, parameters and arena place of a tensor a layer reads: an earlier layer's output, or
 * for producer -1 the net's input (layer 0's). */
typedef struct {
    int32_t h, w, c;
    float scale;
    int32_t zero;
    int64_t offset, bytes;
} tml_net_tensor_t;

static inline tml_net_tensor_t tml_net_output_tensor(const tml_net_t *net, int32_t producer)
{
    tml_net_tensor_t t;
    tml_layer_t copy;
    const tml_layer_t *p = tml_net_layer(net, producer < 0 ? 0 : producer, &copy);
    t.h = producer < 0 ? p->in_h : p->out_h;
    t.w = producer < 0 ? p->in_w : p->out_w;
    t.c = producer < 0 ? p->in_c : p->out_c;
    t.scale = producer < 0 ? p->in_scale : p->out_scale;
    t.zero = producer < 0 ? p->in_zero : p->out_zero;
    t.offset = producer < 0 ? p->in_offset : p->out_offset;
    t.bytes = (int64_t)(producer < 0 ? tml_net_in_bytes(net) : tml_net_out_bytes(net, p)) * t.h * t.w * t.c;
    return t;
}

/* An input of h x w x c is that tensor seen as any shape of as many values (a flatten or a
 * reshape): in channels-last row-major order neither moves data. */
static inline int tml_net_input_fits(tml_net_tensor_t t, int32_t h, int32_t w, int32_t c)
{
    return (int64_t)h * w * c == (int64_t)t.h * t.w * t.c;
}

/* Dimensions, their products, the link to the previous layer and the window geometry. */
static inline int tml_net_validate_shape(const tml_net_t *net, int32_t k)
{
    tml_layer_t copy;
    const tml_layer_t *layer = tml_net_layer(net, k, &copy);
    if (layer->in_h < 1 || layer->in_w < 1 || layer->in_c < 1 || layer->out_h < 1 ||
        layer->out_w < 1 || layer->out_c < 1 ||
        tml_net_count3(layer->in_h, layer->in_w, layer->in_c) < 0 ||
        tml_net_count3(layer->out_h, layer->out_w, layer->out_c) < 0) {
        return TML_E_SIZE;
    }
    if (k > 0 && !tml_net_input_fits(tml_net_output_tensor(net, tml_net_producer(k, layer->in_from)), layer->in_h,
                                     layer->in_w, layer->in_c)) {
        return TML_E_SHAPE;
    }
    if (tml_net_is_binary(layer)) {
        int32_t c2 = tml_net_in2_channels(layer);
        /* element by element: the output is the inputs' shape; a concatenation adds channels */
        int channels_ok = layer->kind == TML_LAYER_CONCAT ? c2 >= 1 : layer->out_c == layer->in_c;
        if (!channels_ok || layer->out_h != layer->in_h || layer->out_w != layer->in_w ||
            !tml_net_input_fits(tml_net_output_tensor(net, tml_net_producer(k, layer->in2_from)), layer->in_h,
                                layer->in_w, c2)) {
            return TML_E_SHAPE;
        }
        return TML_OK;
    }
    if (layer->kind == TML_LAYER_AFFINE || layer->kind == TML_LAYER_ACTIVATION) {
        return tml_net_same_shape_in_out(layer) ? TML_OK : TML_E_SHAPE;
    }
    if (layer->kind == TML_LAYER_UPSAMPLE) {
        return layer->out_c == layer->in_c && layer->kernel_h >= 1 && layer->kernel_w >= 1 &&
                       (int64_t)layer->in_h * layer->kernel_h == layer->out_h &&
                       (int64_t)layer->in_w * layer->kernel_w == layer->out_w
                   ? TML_OK
                   : TML_E_SHAPE;
    }
    if (layer->kind == TML_LAYER_PAD) { /* any offsets: positions outside the input read zeros */
        return layer->out_c == layer->in_c ? TML_OK : TML_E_SHAPE;
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
        if (layer->multiplier != NULL && TML_READ_I32(&layer->multiplier[c]) != 0 && TML_READ_I32(&layer->multiplier[c]) < ((int32_t)1 << 30)) {
            return TML_E_SCALE; /* an int32 is below 2^31 already */
        }
        if (layer->shift != NULL && (TML_READ_I8(&layer->shift[c]) < -31 || TML_READ_I8(&layer->shift[c]) > 30)) {
            return TML_E_SCALE;
        }
        /* 0 is allowed: a channel whose weights are all 0 */
        if (layer->channel_scale != NULL &&
            !(TML_READ_F32(&layer->channel_scale[c]) >= 0.0f && TML_READ_F32(&layer->channel_scale[c]) - TML_READ_F32(&layer->channel_scale[c]) == 0.0f)) {
            return TML_E_SCALE;
        }
    }
    return TML_OK;
}

/* An int8 ADD's or MUL's n requantization factors: |multiplier| in [2^30, 2^31) or 0 (an
 * ADD's input factors carry the sign of Subtract's), shift in [-31, 30]. */
static inline int tml_net_validate_merge_factors(const tml_layer_t *layer, int32_t n)
{
    int32_t i;
    if (layer->multiplier == NULL || layer->shift == NULL) {
        return TML_E_NULL;
    }
    for (i = 0; i < n; i++) {
        int32_t m = TML_READ_I32(&layer->multiplier[i]);
        if ((m != 0 && m > -((int32_t)1 << 30) && m < ((int32_t)1 << 30)) || m == INT32_MIN || TML_READ_I8(&layer->shift[i]) < -31 ||
            TML_READ_I8(&layer->shift[i]) > 30) {
            return TML_E_SCALE;
        }
    }
    return TML_OK;
}

/* Tables the layer's kernel reads. */
static inline int tml_net_validate_weights(const tml_net_t *net, const tml_layer_t *layer)
{
    /* Only the whole-window int8 convolution kernel reads a row mask, when compiled in. */
    if (layer->row_mask != NULL && (!TML_NET_HAS_ROW_MASKS || !tml_net_conv_windows_whole(net, layer))) {
        return TML_E_KIND;
    }
    if (layer->kind == TML_LAYER_AFFINE) {
        return layer->weight_f32 != NULL && layer->bias_f32 != NULL ? TML_OK : TML_E_NULL;
    }
    if (layer->kind == TML_LAYER_ADD) {
        return !net->quantized ? (layer->weight_f32 != NULL ? TML_OK : TML_E_NULL)
                               : tml_net_validate_merge_factors(layer, 3);
    }
    if (layer->kind == TML_LAYER_MUL && net->quantized) {
        return tml_net_validate_merge_factors(layer, 1);
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
    tml_layer_t copy;
    const tml_layer_t *layer = tml_net_layer(net, k, &copy);
    if (!tml_net_scale_ok(layer->in_scale) || !tml_net_zero_ok(layer->in_zero) ||
        (!layer->out_float && (!tml_net_scale_ok(layer->out_scale) || !tml_net_zero_ok(layer->out_zero)))) {
        return TML_E_SCALE;
    }
    if (k > 0) {
        tml_net_tensor_t in = tml_net_output_tensor(net, tml_net_producer(k, layer->in_from));
        if (layer->in_scale != in.scale || layer->in_zero != in.zero) {
            return TML_E_SCALE;
        }
    }
    if (tml_net_is_binary(layer)) {
        tml_net_tensor_t in2 = tml_net_output_tensor(net, tml_net_producer(k, layer->in2_from));
        if (layer->in2_scale != in2.scale || layer->in2_zero != in2.zero) {
            return TML_E_SCALE;
        }
    }
    if ((layer->kind == TML_LAYER_MAX_POOL || layer->kind == TML_LAYER_AVG_POOL || tml_net_is_copy(layer)) &&
        (layer->in_scale != layer->out_scale || layer->in_zero != layer->out_zero)) {
        return TML_E_SCALE;
    }
    return TML_OK;
}

/* The arena byte just past a layer's output. */
static inline int64_t tml_net_output_end(const tml_net_t *net, const tml_layer_t *layer)
{
    return layer->out_offset + (int64_t)tml_net_out_bytes(net, layer) * layer->out_h * layer->out_w * layer->out_c;
}

/* [a, a_end) and [b, b_end) share a byte. */
static inline int tml_net_overlap(int64_t a, int64_t a_end, int64_t b, int64_t b_end)
{
    return a < b_end && b < a_end;
}

/* [at, end) meets the window buffer layer gathers its windows into: the arena's last
 * tml_net_window_buffer_bytes (nothing when it has none). */
static inline int tml_net_meets_window_buffer(const tml_net_t *net, const tml_layer_t *layer, int64_t at, int64_t end)
{
    return tml_net_overlap(at, end, net->arena_bytes - tml_net_window_buffer_bytes(net, layer), net->arena_bytes);
}

/* One input of layer k, from producer, with the layer's byte count of it: at the producer's
 * output place, inside the arena, not overwritten by a layer between the two, and apart from
 * the output unless the layer works in place (element by element, on the very same
 * elements). */
static inline int tml_net_validate_input_place(const tml_net_t *net, int32_t k, int32_t producer, int64_t at,
                                               int64_t bytes)
{
    tml_layer_t copy;
    const tml_layer_t *layer = tml_net_layer(net, k, &copy);
    int64_t out_at = layer->out_offset, out_end = tml_net_output_end(net, layer);
    int32_t j;
    if (at < 0 || at % 4 != 0 || at + bytes > net->arena_bytes) {
        return TML_E_ARENA;
    }
    if (k > 0 && at != tml_net_output_tensor(net, producer).offset) {
        return TML_E_ARENA;
    }
    for (j = producer + 1; j < k; j++) {
        tml_layer_t other_copy;
        const tml_layer_t *other = tml_net_layer(net, j, &other_copy);
        if (tml_net_overlap(at, at + bytes, other->out_offset, tml_net_output_end(net, other)) ||
            tml_net_meets_window_buffer(net, other, at, at + bytes)) {
            return TML_E_ARENA; /* the input was overwritten (or a window buffer) before layer k reads it */
        }
    }
    if (tml_net_meets_window_buffer(net, layer, at, at + bytes)) {
        return TML_E_ARENA; /* the layer's own window buffer */
    }
    if (tml_net_overlap(at, at + bytes, out_at, out_end) &&
        (!tml_net_is_elementwise(layer) || at != out_at || tml_net_in_bytes(net) != tml_net_out_bytes(net, layer))) {
        return TML_E_ARENA;
    }
    return TML_OK;
}

/* Inputs and output inside the arena, aligned, where their producers put them. */
static inline int tml_net_validate_arena(const tml_net_t *net, int32_t k)
{
    tml_layer_t copy;
    const tml_layer_t *layer = tml_net_layer(net, k, &copy);
    int64_t in_bytes = (int64_t)tml_net_in_bytes(net) * layer->in_h * layer->in_w * layer->in_c;
    int status;
    if (layer->out_offset < 0 || layer->out_offset % 4 != 0 || tml_net_output_end(net, layer) > net->arena_bytes ||
        tml_net_meets_window_buffer(net, layer, layer->out_offset, tml_net_output_end(net, layer))) {
        return TML_E_ARENA; /* outside the arena, or over the layer's window buffer */
    }
    status = tml_net_validate_input_place(net, k, tml_net_producer(k, layer->in_from), layer->in_offset, in_bytes);
    if (status == TML_OK && tml_net_is_binary(layer)) {
        int64_t in2_bytes = (int64_t)tml_net_in_bytes(net) * layer->in_h * layer->in_w * tml_net_in2_channels(layer);
        status = tml_net_validate_input_place(net, k, tml_net_producer(k, layer->in2_from), layer->in2_offset,
                                              in2_bytes);
    }
    return status;
}

/*
 * Checks once everything the kernels rely on; returns TML_OK or a TML_E_* code. One pass
 * over the layers (and the per-channel tables of int8 convolutions, and for each input the
 * layers between it and its producer), no recursion.
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
    if ((net->quantized != 0 && net->quantized != 1) ||
        (net->layers_in_program_memory != 0 && net->layers_in_program_memory != 1)) {
        return TML_E_KIND;
    }
    for (k = 0; k < net->n_layers; k++) {
        tml_layer_t copy;
    const tml_layer_t *layer = tml_net_layer(net, k, &copy);
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
