/*
 * TinyML Lab C runtime: neural networks (dense, 1-D/2-D convolution, pooling), float32 and
 * int8.
 *
 * Header-only C99, `static inline` throughout, no malloc, no state: the caller gives an
 * arena (scratch memory of net->arena_bytes, 4-byte aligned) and every layer reads its input
 * from and writes its output to a fixed byte offset in it. The compiler plans those offsets
 * at export time (a chain of layers needs max(input + output) bytes, not their sum).
 *
 * Tensors are channels-last and row-major, [h][w][c]; a 1-D signal is h = 1; a dense layer
 * is a 1x1 convolution of a 1x1xC input (a flatten before it moves no data, so a layer's
 * input is the previous output's shape or 1 x 1 x its size). Weights are
 * [out_c][kernel_h][kernel_w][in_c]. An output position (oy, ox) reads input rows
 * oy * stride_h - pad_top + ky, ky < kernel_h (columns likewise); positions outside the input
 * are padding: a convolution adds nothing for them, a max skips them, an average leaves them
 * out of its count (Keras "same"). A global average pool is a window the input's size.
 *
 * Use: tml_net_validate once for a net from outside (generated headers come checked), then
 * tml_net_predict per row; or tml_net_load_input, tml_net_run_layer per layer and
 * tml_net_read_output to look at every layer's output.
 *
 * int8 nets quantize activations per tensor, value = scale * (q - zero), and weights per
 * output channel, symmetric (zero 0). A convolution sums (q_in - in_zero) * w in an int32,
 * adds an int32 bias, and requantizes with a fixed-point multiplier and shift per output
 * channel (tml_requantize, the rounding of the common int8 schemes). The last layer may write
 * float32 instead (out_float), so the model's outputs keep the int32 sum's precision.
 *
 * The inner loop sums q_in * w alone and the zero point's share, in_zero * sum(w), is taken
 * off once per output: the compiler stores it in the bias (bias_folded = 1). The integers are
 * the same either way. On Armv7E-M (Cortex-M4/M7: gcc defines __ARM_FEATURE_DSP) that loop
 * multiplies two pairs of int8 per SMLAD; define TML_NET_NO_DSP to keep the portable loop.
 */
#ifndef TINYML_NET_H
#define TINYML_NET_H

#ifndef TINYML_COMMON_H /* a standalone model header embeds it just before */
#include "tinyml/common.h"
#endif

/* The int8 dot products stay functions of their own: inlined into one function with every
 * other kernel, gcc -Os spills their pointers and sums to the stack inside the loop (bench/nets
 * measured 21 instead of 16 instructions per 8 multiply-adds on Cortex-M4). */
#if defined(__GNUC__)
#define TML_NET_KERNEL static __attribute__((noinline, unused)) /* unused: no warning where unneeded */
#else
#define TML_NET_KERNEL static inline
#endif

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32) && !defined(TML_NET_NO_DSP)
#define TML_NET_DSP 1
#include <arm_acle.h>
#include <string.h>
#endif

/* Layer kinds. */
#define TML_LAYER_CONV 0       /* convolution or dense, then the activation */
#define TML_LAYER_MAX_POOL 1   /* padded positions are skipped */
#define TML_LAYER_AVG_POOL 2   /* mean over the window's positions inside the input */
#define TML_LAYER_AFFINE 3     /* per channel: x * weight[c] + bias[c] (a batch norm not folded) */
#define TML_LAYER_ACTIVATION 4 /* the activation alone, element by element */

/* Activations, applied to a layer's output. */
#define TML_ACT_IDENTITY 0
#define TML_ACT_RELU 1
#define TML_ACT_RELU6 2
#define TML_ACT_TANH 3
#define TML_ACT_LOGISTIC 4
#define TML_ACT_SOFTMAX 5 /* over the channels of each position; last layer only */

typedef struct {
    int32_t kind;       /* TML_LAYER_* */
    int32_t activation; /* TML_ACT_* */
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w; /* CONV and pools */
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left; /* padding before the first row / column ("same" padding) */
    int32_t in_offset, out_offset; /* byte offsets in the arena, multiples of 4 */
    /* float32 nets (and AFFINE layers of either kind of net) */
    const float *weight_f32; /* CONV: [out_c][kernel_h][kernel_w][in_c]; AFFINE: [c] */
    const float *bias_f32;   /* CONV: [out_c] or NULL; AFFINE: [c] */
    /* int8 nets */
    const int8_t *weight_i8;   /* CONV: [out_c][kernel_h][kernel_w][in_c] */
    const int32_t *bias_i32;   /* CONV: [out_c] or NULL, in units of in_scale * weight scale */
    const int32_t *multiplier; /* CONV: [out_c], Q31 in [2^30, 2^31) (see tml_requantize) */
    const int8_t *shift;       /* CONV: [out_c], in [-31, 30] */
    const float *channel_scale; /* CONV with out_float: [out_c], int32 sum -> output value */
    float in_scale;
    int32_t in_zero;
    float out_scale;
    int32_t out_zero;
    int32_t out_float; /* int8 nets: 1 = output is float32 (last layer only) */
    /* int8 CONV: 1 = bias_i32[c] holds bias - in_zero * (sum of channel c's weights over the
     * whole kernel), so the kernels need not subtract in_zero per term; 0 = the plain bias */
    int32_t bias_folded;
} tml_layer_t;

typedef struct {
    int32_t n_layers;
    const tml_layer_t *layers;
    int32_t quantized;   /* 0: float32 activations; 1: int8 activations and weights */
    int32_t arena_bytes; /* scratch one prediction needs */
} tml_net_t;

/* ---- functions ---- */

/* int8 sums run in an int32: a window of at most this many terms, each |(q - zero) * w| <=
 * 255 * 128, stays below 2^31 (the bias is then added with saturation). It bounds
 * kernel_h * kernel_w * in_c of an int8 CONV and kernel_h * kernel_w of an int8 AVG_POOL. */
#define TML_MAX_I8_WINDOW 65536

/* The part of output position (oy, ox)'s window that lies inside the input: rows
 * y0 + ky for ky in [ky0, ky1), columns x0 + kx for kx in [kx0, kx1). Clipping the loop
 * bounds once means the kernels never test a position against the padding. */
typedef struct {
    int32_t y0, x0;   /* input row and column of the window's first (maybe padded) position */
    int32_t ky0, ky1; /* kernel rows inside the input */
    int32_t kx0, kx1; /* kernel columns inside the input */
} tml_window_t;

/* ---- scalar helpers ---- */

/* Nearest whole number, halves away from zero, for |v| < 2^31. v - trunc(v) is exact in
 * float32, so unlike (int32_t)(v + 0.5f) no value just below a half rounds up. */
static inline int32_t tml_round_f32(float v)
{
    int32_t t = (int32_t)v;
    float frac = v - (float)t;
    if (frac >= 0.5f) {
        t++;
    } else if (frac <= -0.5f) {
        t--;
    }
    return t;
}

static inline int32_t tml_clamp_i32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* gemmlowp's SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties toward +inf. */
static inline int32_t tml_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX; /* the one product whose doubled high half does not fit */
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C99 division truncates */
}

/* x / 2^exponent rounded half away from zero (gemmlowp's RoundingDivideByPOT), exponent in
 * [0, 31]. Works on magnitudes in int64, so no right shift of a negative number is needed. */
static inline int32_t tml_rounding_divide_pot(int32_t x, int32_t exponent)
{
    int64_t half, magnitude;
    if (exponent <= 0) {
        return x;
    }
    half = (int64_t)1 << (exponent - 1);
    magnitude = x >= 0 ? (int64_t)x : -(int64_t)x;
    magnitude = (magnitude + half) >> exponent;
    return (int32_t)(x >= 0 ? magnitude : -magnitude);
}

/*
 * acc * multiplier * 2^(shift - 31), as gemmlowp and the TFLite reference kernels compute it:
 * a saturating left shift by max(shift, 0), a rounding doubling high multiply (ties toward
 * +inf), then a rounding right shift by max(-shift, 0) (ties away from zero). The two
 * roundings can differ by 1 from the exact value rounded once when it lies within
 * 2^(shift - 1) of a half; that is the price of matching those schemes bit for bit.
 * multiplier is in [2^30, 2^31) or 0, shift in [-31, 30] (tml_net_validate checks both;
 * shifts outside are clamped, so no input is undefined behaviour).
 *
 * The same integers as tml_rounding_divide_pot(tml_rounding_doubling_high_mul(...)), on
 * magnitudes: the high multiply's result has the sign of acc * multiplier and magnitude
 * (|p| + 2^30, or 2^30 - 1 for p < 0) >> 31, saturated (only INT32_MIN^2 reaches 2^31);
 * the right shift then rounds that magnitude half up and restores the sign. One 64-bit
 * product and a few 32-bit steps instead of branches on 64-bit values (bench/nets: a third of
 * an int8 dense layer's instructions per output went here).
 */
static inline int32_t tml_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    int32_t right = shift < 0 ? (shift < -31 ? 31 : -shift) : 0;
    int64_t p;
    uint64_t high;
    uint32_t magnitude;
    if (shift > 0) {
        acc = tml_clamp_i32((int64_t)acc * ((int64_t)1 << (shift > 30 ? 30 : shift)));
    }
    p = (int64_t)acc * (int64_t)multiplier;
    /* |p| <= 2^62, so neither the negation nor the sum overflows */
    high = (p >= 0 ? (uint64_t)p + (1u << 30) : (uint64_t)(-p) + ((1u << 30) - 1u)) >> 31;
    magnitude = high > 0x7fffffffu ? 0x7fffffffu : (uint32_t)high;
    if (right > 0) {
        magnitude = (magnitude + (1u << (right - 1))) >> right; /* < 2^31 + 2^30: no wrap */
    }
    return p >= 0 ? (int32_t)magnitude : -(int32_t)magnitude;
}

/* q = clamp(round(x / scale) + zero, -128, 127), halves away from zero; NaN gives zero. */
static inline int8_t tml_quantize_i8(float x, float scale, int32_t zero)
{
    float v = x / scale;
    int32_t z = zero < -128 ? -128 : zero > 127 ? 127 : zero; /* validated; keeps sums small */
    int32_t q;
    if (!(v == v)) {
        return (int8_t)z;
    }
    /* Anything beyond +-1000 saturates anyway; clamping first keeps the rounding in range. */
    v = v > 1000.0f ? 1000.0f : v < -1000.0f ? -1000.0f : v;
    q = tml_round_f32(v) + z;
    return (int8_t)(q > 127 ? 127 : q < -128 ? -128 : q);
}

static inline float tml_dequantize_i8(int8_t q, float scale, int32_t zero)
{
    return scale * (float)((int32_t)q - zero);
}

/* sum / count rounded half away from zero, count >= 1 (int8 average pooling). */
static inline int32_t tml_divide_round(int32_t sum, int32_t count)
{
    return sum >= 0 ? (sum + count / 2) / count : -((-sum + count / 2) / count);
}

/* ---- activations (float) ---- */

/* An element-wise activation (every one but softmax). */
static inline float tml_activation_f32(float x, int32_t activation)
{
    switch (activation) {
    case TML_ACT_RELU:
        return x > 0.0f ? x : 0.0f;
    case TML_ACT_RELU6:
        return x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f;
    case TML_ACT_TANH:
        return tanhf(x);
    case TML_ACT_LOGISTIC:
        /* expf of a non-positive number only: no overflow at either end */
        if (x >= 0.0f) {
            return 1.0f / (1.0f + expf(-x));
        } else {
            float e = expf(x);
            return e / (1.0f + e);
        }
    default:
        return x;
    }
}

/* Applies the activation in place to the n channels of one position. */
static inline void tml_activate_f32(float *v, int32_t n, int32_t activation)
{
    int32_t c;
    if (activation == TML_ACT_SOFTMAX) {
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
            v[c] = tml_activation_f32(v[c], activation);
        }
    }
}

/* ---- sizes and arena ---- */

static inline int32_t tml_net_n_inputs(const tml_net_t *net)
{
    const tml_layer_t *first = &net->layers[0];
    return first->in_h * first->in_w * first->in_c;
}

static inline int32_t tml_net_n_outputs(const tml_net_t *net)
{
    const tml_layer_t *last = &net->layers[net->n_layers - 1];
    return last->out_h * last->out_w * last->out_c;
}

/* Bytes per element of a layer's input: int8 nets keep int8 activations up to the last
 * layer, the only one that may write float. */
static inline int32_t tml_net_in_bytes(const tml_net_t *net)
{
    return net->quantized ? 1 : 4;
}

static inline int32_t tml_net_out_bytes(const tml_net_t *net, const tml_layer_t *layer)
{
    return (!net->quantized || layer->out_float) ? 4 : 1;
}

/* The arena is 4-byte aligned and offsets are multiples of 4, so these casts are aligned;
 * going through void * says so to -Wcast-align. */
static inline void *tml_arena_at(void *arena, int32_t offset)
{
    return (void *)((unsigned char *)arena + offset);
}

static inline const void *tml_arena_at_const(const void *arena, int32_t offset)
{
    return (const void *)((const unsigned char *)arena + offset);
}

/* An int8 CONV computes in float when it writes float or its activation is not piecewise
 * linear; otherwise it requantizes in integers. */
static inline int tml_net_conv_in_float(const tml_layer_t *layer)
{
    return layer->out_float == 1 || layer->activation == TML_ACT_TANH ||
           layer->activation == TML_ACT_LOGISTIC || layer->activation == TML_ACT_SOFTMAX;
}

/* ---- validation ---- */

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
    if (layer->kind < TML_LAYER_CONV || layer->kind > TML_LAYER_ACTIVATION ||
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
    if ((layer->kind != TML_LAYER_CONV && layer->out_c != layer->in_c) ||
        !tml_net_axis_ok(layer->in_h, layer->out_h, layer->kernel_h, layer->stride_h, layer->pad_top) ||
        !tml_net_axis_ok(layer->in_w, layer->out_w, layer->kernel_w, layer->stride_w, layer->pad_left)) {
        return TML_E_SHAPE;
    }
    if (layer->kind == TML_LAYER_CONV) {
        int64_t per_output = tml_net_count3(layer->kernel_h, layer->kernel_w, layer->in_c);
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

/* The per-channel requantization tables of an int8 CONV (those given). */
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
    if (layer->kind != TML_LAYER_CONV) {
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
    if (layer->bias_folded != 0 && layer->bias_folded != 1) {
        return TML_E_KIND;
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

/* ---- kernels (on a validated net) ---- */

static inline tml_window_t tml_net_window(const tml_layer_t *layer, int32_t oy, int32_t ox)
{
    tml_window_t w;
    w.y0 = oy * layer->stride_h - layer->pad_top;
    w.x0 = ox * layer->stride_w - layer->pad_left;
    w.ky0 = w.y0 < 0 ? -w.y0 : 0;
    w.kx0 = w.x0 < 0 ? -w.x0 : 0;
    w.ky1 = layer->in_h - w.y0 < layer->kernel_h ? layer->in_h - w.y0 : layer->kernel_h;
    w.kx1 = layer->in_w - w.x0 < layer->kernel_w ? layer->in_w - w.x0 : layer->kernel_w;
    return w;
}

/* Float convolution sum of output channel c at (oy, ox), bias included; padding adds 0. */
static inline float tml_net_conv_f32(const tml_layer_t *layer, const float *in, int32_t oy, int32_t ox,
                                     int32_t c)
{
    tml_window_t w = tml_net_window(layer, oy, ox);
    int32_t ky, kx, i, n = layer->in_c;
    float acc = layer->bias_f32 != NULL ? layer->bias_f32[c] : 0.0f;
    for (ky = w.ky0; ky < w.ky1; ky++) {
        for (kx = w.kx0; kx < w.kx1; kx++) {
            const float *x = in + ((w.y0 + ky) * layer->in_w + w.x0 + kx) * n;
            const float *wt = layer->weight_f32 + ((c * layer->kernel_h + ky) * layer->kernel_w + kx) * n;
            for (i = 0; i < n; i++) {
                acc += x[i] * wt[i];
            }
        }
    }
    return acc;
}

#ifdef TML_NET_DSP
/* Bytes 1 and 3 of v sign-extended into two halfwords: SXTB16 of v rotated by 8, one
 * instruction (gcc 12's arm_acle.h has no __ror, and a C rotate costs a second one). */
static inline int16x2_t tml_net_sxtb16_odd(uint32_t v)
{
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
#endif

/* sum q[i] * w[i], i < n: at most TML_MAX_I8_WINDOW terms of magnitude <= 2^14, so the int32
 * never overflows, in whatever order the terms are added. */
TML_NET_KERNEL int32_t tml_net_dot_i8(const int8_t *q, const int8_t *w, int32_t n)
{
    int32_t sum = 0;
    const int8_t *end = q + n;
#ifdef TML_NET_DSP
    /* Four terms per step: SXTB16 sign-extends bytes 0 and 2 (1 and 3 rotated) of a word into
     * two halfwords and SMLAD adds both products. memcpy: the rows have any alignment, and it
     * compiles to one LDR (Armv7E-M loads unaligned words). */
    const int8_t *end4 = q + (n & ~(int32_t)3);
    while (q != end4) {
        uint32_t qv, wv;
        memcpy(&qv, q, sizeof qv);
        memcpy(&wv, w, sizeof wv);
        q += 4;
        w += 4;
        sum = __smlad(__sxtb16((int8x4_t)qv), __sxtb16((int8x4_t)wv), sum);
        sum = __smlad(tml_net_sxtb16_odd(qv), tml_net_sxtb16_odd(wv), sum);
    }
#endif
    while (q != end) {
        sum += (int32_t)*q++ * (int32_t)*w++;
    }
    return sum;
}

/* Two weight rows against the same input, s[0] = q . w0 and s[1] = q . w1: each input word is
 * loaded and widened once for both (dense layers, two outputs at a time). */
TML_NET_KERNEL void tml_net_dot2_i8(const int8_t *q, const int8_t *w0, const int8_t *w1, int32_t n, int32_t *s)
{
    int32_t s0 = 0, s1 = 0;
    const int8_t *end = q + n;
#ifdef TML_NET_DSP
    const int8_t *end4 = q + (n & ~(int32_t)3);
    while (q != end4) {
        uint32_t qv, wv;
        int16x2_t even, odd;
        memcpy(&qv, q, sizeof qv);
        q += 4;
        even = __sxtb16((int8x4_t)qv);
        odd = tml_net_sxtb16_odd(qv);
        memcpy(&wv, w0, sizeof wv);
        w0 += 4;
        s0 = __smlad(even, __sxtb16((int8x4_t)wv), s0);
        s0 = __smlad(odd, tml_net_sxtb16_odd(wv), s0);
        memcpy(&wv, w1, sizeof wv);
        w1 += 4;
        s1 = __smlad(even, __sxtb16((int8x4_t)wv), s1);
        s1 = __smlad(odd, tml_net_sxtb16_odd(wv), s1);
    }
#endif
    while (q != end) {
        int32_t x = *q++;
        s0 += x * (int32_t)*w0++;
        s1 += x * (int32_t)*w1++;
    }
    s[0] = s0;
    s[1] = s1;
}

static inline int32_t tml_net_sum_i8(const int8_t *w, int32_t n)
{
    int32_t sum = 0, i;
    for (i = 0; i < n; i++) {
        sum += w[i];
    }
    return sum;
}

/*
 * The int8 bias of output channel c for window w, with the zero point's share: the sum is
 * sum (q - in_zero) * w over the window's inside positions (padding is skipped, the same as
 * padding with in_zero), which the kernels compute as sum q * w + bias - in_zero * (sum of
 * the inside weights). A folded bias holds bias - in_zero * (all the channel's weights), so it
 * is the answer as it is unless the window overlaps the padding; then in_zero * (weights on
 * padding) goes back in. In int64: exact, so the saturated result equals the plain sum's.
 */
static inline int64_t tml_net_bias_i8(const tml_layer_t *layer, tml_window_t w, int32_t c)
{
    int32_t ky, n = layer->in_c, per = layer->kernel_h * layer->kernel_w * n, run = (w.kx1 - w.kx0) * n;
    int32_t inside = 0;
    const int8_t *channel = layer->weight_i8 + c * per;
    int64_t bias = layer->bias_i32 != NULL ? layer->bias_i32[c] : 0;
    int whole = run == layer->kernel_w * n && w.ky1 - w.ky0 == layer->kernel_h;
    if (layer->in_zero == 0 || (layer->bias_folded && whole)) {
        return bias;
    }
    for (ky = w.ky0; ky < w.ky1; ky++) {
        inside += tml_net_sum_i8(channel + (ky * layer->kernel_w + w.kx0) * n, run);
    }
    return bias + (int64_t)layer->in_zero * (layer->bias_folded ? tml_net_sum_i8(channel, per) - inside : -inside);
}

/* int8 convolution sum of output channel c over window w, bias included (tml_net_bias_i8):
 * sum q * w one run per kernel row, the inside columns being contiguous in input and weights. */
static inline int32_t tml_net_conv_i8_window(const tml_layer_t *layer, const int8_t *in, tml_window_t w,
                                             int32_t c)
{
    int32_t ky, n = layer->in_c, run = (w.kx1 - w.kx0) * n, sum = 0;
    const int8_t *x = in + ((w.y0 + w.ky0) * layer->in_w + w.x0 + w.kx0) * n;
    const int8_t *wt = layer->weight_i8 + ((c * layer->kernel_h + w.ky0) * layer->kernel_w + w.kx0) * n;
    for (ky = w.ky0; ky < w.ky1; ky++, x += layer->in_w * n, wt += layer->kernel_w * n) {
        sum += tml_net_dot_i8(x, wt, run);
    }
    return tml_clamp_i32((int64_t)sum + tml_net_bias_i8(layer, w, c));
}

static inline int32_t tml_net_conv_i8(const tml_layer_t *layer, const int8_t *in, int32_t oy, int32_t ox,
                                      int32_t c)
{
    return tml_net_conv_i8_window(layer, in, tml_net_window(layer, oy, ox), c);
}

/*
 * Real value of output channel c at (oy, ox) before the activation, for layers that compute
 * in float: CONV of a float net or int8 CONV on the float path (the int32 sum times
 * channel_scale), AFFINE and ACTIVATION (input dequantized in an int8 net).
 */
static inline float tml_net_value(const tml_net_t *net, const tml_layer_t *layer, const void *in, int32_t oy,
                                  int32_t ox, int32_t c)
{
    float x;
    if (layer->kind == TML_LAYER_CONV && net->quantized) {
        int32_t acc = tml_net_conv_i8(layer, (const int8_t *)in, oy, ox, c);
        return (float)acc * layer->channel_scale[c];
    }
    if (layer->kind == TML_LAYER_CONV) {
        return tml_net_conv_f32(layer, (const float *)in, oy, ox, c);
    }
    {
        int32_t i = (oy * layer->in_w + ox) * layer->in_c + c;
        x = net->quantized ? tml_dequantize_i8(((const int8_t *)in)[i], layer->in_scale, layer->in_zero)
                           : ((const float *)in)[i];
    }
    return layer->kind == TML_LAYER_AFFINE ? x * layer->weight_f32[c] + layer->bias_f32[c] : x;
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
                tml_activate_f32(o, n, layer->activation);
            } else if (layer->activation == TML_ACT_SOFTMAX) {
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
                    float v = tml_activation_f32(tml_net_value(net, layer, in, oy, ox, c), layer->activation);
                    o[c] = tml_quantize_i8(v, layer->out_scale, layer->out_zero);
                }
            }
        }
    }
}

/* Output channel c of an int8 CONV from its saturated sum with the bias: requantization,
 * out_zero and the clamp to [lo, hi]. */
static inline int8_t tml_net_out_i8(const tml_layer_t *layer, int32_t c, int64_t acc, int32_t lo, int32_t hi)
{
    int32_t r = tml_requantize(tml_clamp_i32(acc), layer->multiplier[c], (int32_t)layer->shift[c]);
    r = (r > 256 ? 256 : r < -256 ? -256 : r) + layer->out_zero; /* no overflow adding the zero */
    return (int8_t)(r < lo ? lo : r > hi ? hi : r);
}

/*
 * int8 CONV (and dense) in integers: requantize, add out_zero, clamp; ReLU and ReLU6 are
 * clamps too. Per position the window is found once; two output channels at a time share the
 * input's loads (an odd last channel is summed twice, once thrown away).
 */
static inline void tml_net_run_conv_requantized(const tml_layer_t *layer, const int8_t *in, int8_t *out)
{
    int32_t oy, ox, c, ky, k, n = layer->in_c, per = layer->kernel_h * layer->kernel_w * n;
    int32_t lo = layer->activation == TML_ACT_IDENTITY ? -128 : layer->out_zero;
    int32_t hi = layer->activation == TML_ACT_RELU6 ? tml_quantize_i8(6.0f, layer->out_scale, layer->out_zero) : 127;
    for (oy = 0; oy < layer->out_h; oy++) {
        for (ox = 0; ox < layer->out_w; ox++) {
            tml_window_t w = tml_net_window(layer, oy, ox);
            int32_t run = (w.kx1 - w.kx0) * n;
            const int8_t *x = in + ((w.y0 + w.ky0) * layer->in_w + w.x0 + w.kx0) * n;
            const int8_t *first = layer->weight_i8 + (w.ky0 * layer->kernel_w + w.kx0) * n;
            int8_t *o = out + (oy * layer->out_w + ox) * layer->out_c;
            /* the stored bias is the whole answer unless the zero point's share needs work */
            int plain = layer->in_zero == 0 || (layer->bias_folded && run == layer->kernel_w * n &&
                                                w.ky1 - w.ky0 == layer->kernel_h);
            for (c = 0; c < layer->out_c; c += 2) {
                const int8_t *wt = first + c * per, *w1 = c + 1 < layer->out_c ? wt + per : wt;
                int32_t sum[2] = {0, 0}, part[2];
                for (ky = 0; ky < w.ky1 - w.ky0; ky++) {
                    int32_t at = ky * layer->kernel_w * n;
                    tml_net_dot2_i8(x + ky * layer->in_w * n, wt + at, w1 + at, run, part);
                    sum[0] += part[0];
                    sum[1] += part[1];
                }
                for (k = 0; k < 2 && c + k < layer->out_c; k++) {
                    int64_t bias = !plain                    ? tml_net_bias_i8(layer, w, c + k)
                                   : layer->bias_i32 != NULL ? layer->bias_i32[c + k]
                                                             : 0;
                    o[c + k] = tml_net_out_i8(layer, c + k, (int64_t)sum[k] + bias, lo, hi);
                }
            }
        }
    }
}

/* Max or average over the window's positions inside the input; q directly for int8 (in and
 * out share scale and zero point). */
static inline void tml_net_run_pool(const tml_net_t *net, const tml_layer_t *layer, const void *in, void *out)
{
    int32_t oy, ox, c, ky, kx, n = layer->in_c;
    int is_max = layer->kind == TML_LAYER_MAX_POOL;
    for (oy = 0; oy < layer->out_h; oy++) {
        for (ox = 0; ox < layer->out_w; ox++) {
            tml_window_t w = tml_net_window(layer, oy, ox);
            int32_t count = (w.ky1 - w.ky0) * (w.kx1 - w.kx0);
            int32_t at = (oy * layer->out_w + ox) * n;
            for (c = 0; c < n; c++) {
                /* the window's first inside position starts the maximum */
                int32_t first = ((w.y0 + w.ky0) * layer->in_w + w.x0 + w.kx0) * n + c;
                if (net->quantized) {
                    const int8_t *x = (const int8_t *)in;
                    int32_t acc = is_max ? x[first] : 0;
                    for (ky = w.ky0; ky < w.ky1; ky++) {
                        for (kx = w.kx0; kx < w.kx1; kx++) {
                            int32_t q = x[((w.y0 + ky) * layer->in_w + w.x0 + kx) * n + c];
                            acc = is_max ? (q > acc ? q : acc) : acc + q;
                        }
                    }
                    ((int8_t *)out)[at + c] = (int8_t)(is_max ? acc : tml_divide_round(acc, count));
                } else {
                    const float *x = (const float *)in;
                    float acc = is_max ? x[first] : 0.0f;
                    for (ky = w.ky0; ky < w.ky1; ky++) {
                        for (kx = w.kx0; kx < w.kx1; kx++) {
                            float v = x[((w.y0 + ky) * layer->in_w + w.x0 + kx) * n + c];
                            acc = is_max ? (v > acc ? v : acc) : acc + v;
                        }
                    }
                    ((float *)out)[at + c] = is_max ? acc : acc / (float)count;
                }
            }
        }
    }
}

/* A dense layer: a 1x1 convolution of a 1x1 input. */
static inline int tml_net_is_dense(const tml_layer_t *layer)
{
    return layer->kind == TML_LAYER_CONV && layer->kernel_h == 1 && layer->kernel_w == 1 &&
           layer->in_h == 1 && layer->in_w == 1;
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
        float acc = layer->bias_f32 != NULL ? layer->bias_f32[o] : 0.0f;
        for (i = 0; i < n; i++) {
            acc += in[i] * w[i];
        }
        out[o] = acc;
    }
    tml_activate_f32(out, layer->out_c, layer->activation);
}

/* ---- running a net ---- */

/* Writes layer 0's input: x[n_inputs] copied (float net) or quantized (int8 net). */
static inline int tml_net_load_input(const tml_net_t *net, const float *x, void *arena)
{
    const tml_layer_t *first;
    int32_t i, n;
    if (net == NULL || net->layers == NULL || x == NULL || arena == NULL) {
        return TML_E_NULL;
    }
    first = &net->layers[0];
    n = tml_net_n_inputs(net);
    if (net->quantized) {
        int8_t *q = (int8_t *)tml_arena_at(arena, first->in_offset);
        for (i = 0; i < n; i++) {
            q[i] = tml_quantize_i8(x[i], first->in_scale, first->in_zero);
        }
    } else {
        float *v = (float *)tml_arena_at(arena, first->in_offset);
        for (i = 0; i < n; i++) {
            v[i] = x[i];
        }
    }
    return TML_OK;
}

/* Runs layer k alone on its input in the arena (a calibration trace runs them one by one). */
static inline int tml_net_run_layer(const tml_net_t *net, int32_t k, void *arena)
{
    const tml_layer_t *layer;
    const void *in;
    void *out;
    if (net == NULL || net->layers == NULL || arena == NULL) {
        return TML_E_NULL;
    }
    if (k < 0 || k >= net->n_layers) {
        return TML_E_SIZE;
    }
    layer = &net->layers[k];
    in = tml_arena_at(arena, layer->in_offset);
    out = tml_arena_at(arena, layer->out_offset);
    if (layer->kind == TML_LAYER_MAX_POOL || layer->kind == TML_LAYER_AVG_POOL) {
        tml_net_run_pool(net, layer, in, out);
    } else if (tml_net_is_dense(layer) && !net->quantized) {
        tml_net_run_dense_f32(layer, (const float *)in, (float *)out);
    } else if (layer->kind == TML_LAYER_CONV && net->quantized && !tml_net_conv_in_float(layer)) {
        tml_net_run_conv_requantized(layer, (const int8_t *)in, (int8_t *)out);
    } else {
        tml_net_run_float_path(net, layer, in, out);
    }
    return TML_OK;
}

/* The last layer's output as floats into out[n_out] (n_out >= n_outputs). */
static inline int tml_net_read_output(const tml_net_t *net, const void *arena, float *out, int32_t n_out)
{
    const tml_layer_t *last;
    int32_t i, n;
    if (net == NULL || net->layers == NULL || arena == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (net->n_layers < 1 || n_out < tml_net_n_outputs(net)) {
        return TML_E_SIZE;
    }
    last = &net->layers[net->n_layers - 1];
    n = tml_net_n_outputs(net);
    if (tml_net_out_bytes(net, last) == 4) {
        const float *v = (const float *)tml_arena_at_const(arena, last->out_offset);
        for (i = 0; i < n; i++) {
            out[i] = v[i];
        }
    } else {
        const int8_t *q = (const int8_t *)tml_arena_at_const(arena, last->out_offset);
        for (i = 0; i < n; i++) {
            out[i] = tml_dequantize_i8(q[i], last->out_scale, last->out_zero);
        }
    }
    return TML_OK;
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
    int32_t k;
    if (net == NULL || net->layers == NULL || x == NULL || arena == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (net->n_layers < 1 || arena_bytes < net->arena_bytes || n_out < tml_net_n_outputs(net)) {
        return TML_E_SIZE;
    }
    if (((uintptr_t)arena & 3u) != 0) {
        return TML_E_ARENA;
    }
    tml_net_load_input(net, x, arena);
    for (k = 0; k < net->n_layers; k++) {
        tml_net_run_layer(net, k, arena);
    }
    return tml_net_read_output(net, arena, out, n_out);
}

/* Class index from the outputs, as scikit-learn decides: a single output is class 1 when its
 * probability is > 0.5 (logistic) or its decision score is > 0 (a linear classifier's
 * decision_function); several outputs give the first largest. */
static inline int32_t tml_net_class_from_output(const tml_net_t *net, const float *out)
{
    const tml_layer_t *last = &net->layers[net->n_layers - 1];
    int32_t n = tml_net_n_outputs(net);
    if (n == 1) {
        return out[0] > (last->activation == TML_ACT_LOGISTIC ? 0.5f : 0.0f) ? 1 : 0;
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

#endif /* TINYML_NET_H */
