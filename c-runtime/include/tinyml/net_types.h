/*
 * TinyML Lab C runtime, neural networks: the layer and net structs, their codes, and what
 * every part of the runtime asks of a layer (sizes, arena places, window geometry). See
 * net.h for the whole picture.
 */
#ifndef TINYML_NET_TYPES_H
#define TINYML_NET_TYPES_H

/* a standalone model header embeds these just before */
#ifndef TINYML_COMMON_H
#include "tinyml/common.h"
#endif

/* Always inlined: the requantization every int8 output of a convolution goes through
 * (tml_requantize_channel, tml_net_out_i8), which gcc -Os would otherwise call, and which
 * inlined lets a kernel compute a channel's part once for its outputs at two positions
 * (bench/mlperf_tiny/ours.py --profile); and tml_net_layer, so that a one-layer net's
 * descriptor still folds into the code. */
#if defined(__GNUC__)
#define TML_NET_INLINE static inline __attribute__((always_inline))
#else
#define TML_NET_INLINE static inline
#endif

/* Layer kinds. */
#define TML_LAYER_CONV 0       /* convolution or dense, then the activation */
#define TML_LAYER_MAX_POOL 1   /* padded positions are skipped */
#define TML_LAYER_AVG_POOL 2   /* mean over the window's positions inside the input */
#define TML_LAYER_AFFINE 3     /* per channel: x * weight[c] + bias[c] (a batch norm not folded) */
#define TML_LAYER_ACTIVATION 4 /* the activation alone, element by element */
#define TML_LAYER_DEPTHWISE 5  /* one filter per output channel over one input channel, then the activation */
/* Layers of two inputs (the second is in2_*; both the same shape unless said): */
#define TML_LAYER_ADD 6     /* w[0] * a + w[1] * b (Add, Subtract, Average), then ReLU / ReLU6 or none */
#define TML_LAYER_MUL 7     /* a * b, then ReLU / ReLU6 or none */
#define TML_LAYER_MAX 8     /* the larger of a and b */
#define TML_LAYER_CONCAT 9  /* a's in_c channels, then b's out_c - in_c, at each position */
/* Layers that move values without arithmetic (int8: input and output share scale and zero point);
 * PAD pads with zeros, or crops with a negative pad_top / pad_left: */
#define TML_LAYER_PAD 10      /* out(y, x) = in(y - pad_top, x - pad_left), 0 outside the input */
#define TML_LAYER_UPSAMPLE 11 /* out(y, x) = in(y / kernel_h, x / kernel_w): nearest-neighbour upsampling */

/* Activations, applied to a layer's output. */
#define TML_ACT_IDENTITY 0
#define TML_ACT_RELU 1
#define TML_ACT_RELU6 2
#define TML_ACT_TANH 3
#define TML_ACT_LOGISTIC 4
#define TML_ACT_SOFTMAX 5 /* over the channels of each position; last layer only */
#define TML_ACT_LEAKY_RELU 6   /* x, or act_alpha * x below 0 */
#define TML_ACT_ELU 7          /* x, or act_alpha * (exp(x) - 1) below 0 */
#define TML_ACT_HARD_SIGMOID 8 /* clamp(act_alpha * x + 0.5, 0, 1): Keras 3's relu6(x + 3) / 6 is act_alpha 1/6 */
#define TML_ACT_HARD_SWISH 9   /* x * relu6(x + 3) / 6 */

/*
 * The kernels compiled in: bit (1 << TML_LAYER_x) of TML_NET_LAYERS for each layer kind, bit
 * (1 << TML_ACT_x) of TML_NET_ACTIVATIONS for each activation. A generated model header sets
 * both to what its model uses before it includes the runtime, so that a net with no depthwise
 * layer or ELU carries no code for them (the compiler drops the branches that test these
 * constants, the linker expf and tanhf when nothing calls them). Left undefined, everything is
 * compiled in, and so with TML_NET_ALL_KERNELS defined before the first model header. The
 * first net header of a C file decides; a later header whose model needs a kernel left out
 * stops with an #error saying so, and tml_net_validate refuses a net that uses one (TML_E_KIND).
 */
#ifndef TML_NET_LAYERS
#define TML_NET_LAYERS (((1L << (TML_LAYER_UPSAMPLE + 1)) - 1) | (1L << TML_NET_ROW_MASKS_BIT))
#endif
#ifndef TML_NET_ACTIVATIONS
#define TML_NET_ACTIVATIONS ((1L << (TML_ACT_HARD_SWISH + 1)) - 1)
#endif
/* Not a layer kind: the bit of TML_NET_LAYERS that compiles in int8 convolutions storing only
 * their nonzero weight rows (row_mask); a model header sets it only when a layer has one. */
#define TML_NET_ROW_MASKS_BIT 16
#define TML_NET_HAS_LAYER(kind) ((TML_NET_LAYERS >> (kind)) & 1)
#define TML_NET_HAS_ROW_MASKS TML_NET_HAS_LAYER(TML_NET_ROW_MASKS_BIT)
#define TML_NET_HAS_ACTIVATION(activation) ((TML_NET_ACTIVATIONS >> (activation)) & 1)

typedef struct {
    int32_t kind;       /* TML_LAYER_* */
    int32_t activation; /* TML_ACT_* */
    float act_alpha;    /* the activation's parameter: LEAKY_RELU's slope, ELU's alpha, HARD_SIGMOID's slope */
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w; /* CONV and pools */
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left; /* padding before the first row / column ("same" padding) */
    int32_t in_offset, out_offset; /* byte offsets in the arena, multiples of 4 */
    /* Where the input comes from: the output of layer k - 1 - in_from (0: the layer just
     * before), or the net's input when that is -1. A chain leaves it 0; a graph with
     * branches and skip connections sets it. in2_from likewise for the second input. */
    int32_t in_from, in2_from;
    int32_t in2_offset; /* two-input layers: the second input's byte offset in the arena */
    /* float32 nets (and AFFINE layers of either kind of net) */
    const float *weight_f32; /* CONV: [out_c][kernel_h][kernel_w][in_c]; DEPTHWISE: [out_c][kernel_h][kernel_w];
                                AFFINE: [c]; ADD of a float net: the two inputs' factors [2] */
    const float *bias_f32;   /* CONV, DEPTHWISE: [out_c] or NULL; AFFINE: [c] */
    /* int8 nets: CONV's tables, and DEPTHWISE's with its weight layout */
    const int8_t *weight_i8;   /* CONV: [out_c][kernel_h][kernel_w][in_c]; DEPTHWISE: [kernel_h][kernel_w][out_c] */
    const int32_t *bias_i32;   /* CONV: [out_c] or NULL, in units of in_scale * weight scale */
    const int32_t *multiplier; /* CONV: [out_c], Q31 in [2^30, 2^31) (see tml_requantize); int8 ADD: [3],
                                  the inputs' (their sign is the factor's) and the output's; MUL: [1] */
    const int8_t *shift;       /* CONV: [out_c], in [-31, 30]; ADD: [3], MUL: [1] as multiplier */
    const float *channel_scale; /* CONV with out_float: [out_c], int32 sum -> output value */
    float in_scale;
    int32_t in_zero;
    float in2_scale; /* int8 two-input layers: the second input's parameters */
    int32_t in2_zero;
    float out_scale;
    int32_t out_zero;
    int32_t out_float; /* int8 nets: 1 = output is float32 (last layer only) */
    /* int8 CONV: 1 = bias_i32[c] holds bias - in_zero * (sum of channel c's weights over the
     * whole kernel), so the kernels need not subtract in_zero per term; 0 = the plain bias */
    int32_t bias_folded;
    /* int8 CONV: NULL, or which output channels have a weight row: channel c has one when bit
     * c % 8 of row_mask[c / 8] is set. weight_i8 then holds only those rows, in channel order,
     * and a channel without one sums to 0 (its output is its requantized bias): pruned and
     * dead channels cost neither flash nor multiply-adds. Only for layers that
     * tml_net_conv_windows_whole accepts, whose one kernel reads the mask. */
    const uint8_t *row_mask;
} tml_layer_t;

typedef struct {
    int32_t n_layers;
    const tml_layer_t *layers;
    int32_t quantized;   /* 0: float32 activations; 1: int8 activations and weights */
    int32_t arena_bytes; /* scratch one prediction needs */
    /* 1: layers is a TML_CONST_TABLE (a generated header's net of two or more layers), which
     * AVR reads apart from RAM; 0: ordinary memory (a one-layer net, whose descriptor the
     * compiler folds into the code, and nets built at run time) */
    int32_t layers_in_program_memory;
} tml_net_t;

/* Layer k of a net: read in place, or, on AVR when the layers are in program memory (apart
 * from RAM there), copied into *copy, which is then returned. */
TML_NET_INLINE const tml_layer_t *tml_net_layer(const tml_net_t *net, int32_t k, tml_layer_t *copy)
{
#if TML_SEPARATE_PROGRAM_MEMORY
    if (net->layers_in_program_memory) {
        TML_READ_STRUCT(copy, &net->layers[k]);
        return copy;
    }
#endif
    (void)copy;
    return &net->layers[k];
}

/* One int32 or float field of layer k, read where the layers are: on AVR cheaper than
 * tml_net_layer's copy of the whole descriptor (128 bytes) where the driver needs a few. */
#if TML_SEPARATE_PROGRAM_MEMORY
#define TML_NET_LAYER_I32(net, k, field)                                                                    \
    ((net)->layers_in_program_memory ? TML_READ_I32(&(net)->layers[k].field) : (net)->layers[k].field)
#define TML_NET_LAYER_F32(net, k, field)                                                                    \
    ((net)->layers_in_program_memory ? TML_READ_F32(&(net)->layers[k].field) : (net)->layers[k].field)
#else
#define TML_NET_LAYER_I32(net, k, field) ((net)->layers[k].field)
#define TML_NET_LAYER_F32(net, k, field) ((net)->layers[k].field)
#endif

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

/* ---- sizes, arena and layer geometry ---- */

static inline int32_t tml_net_n_inputs(const tml_net_t *net)
{
    return TML_NET_LAYER_I32(net, 0, in_h) * TML_NET_LAYER_I32(net, 0, in_w) * TML_NET_LAYER_I32(net, 0, in_c);
}

static inline int32_t tml_net_n_outputs(const tml_net_t *net)
{
    int32_t last = net->n_layers - 1;
    return TML_NET_LAYER_I32(net, last, out_h) * TML_NET_LAYER_I32(net, last, out_w) *
           TML_NET_LAYER_I32(net, last, out_c);
}

/* Bytes per element of a layer's input: int8 nets keep int8 activations up to the last
 * layer, the only one that may write float. */
static inline int32_t tml_net_in_bytes(const tml_net_t *net)
{
    return net->quantized ? 1 : 4;
}

/* Bytes per element of an output whose layer has this out_float. */
static inline int32_t tml_net_output_value_bytes(const tml_net_t *net, int32_t out_float)
{
    return (!net->quantized || out_float) ? 4 : 1;
}

static inline int32_t tml_net_out_bytes(const tml_net_t *net, const tml_layer_t *layer)
{
    return tml_net_output_value_bytes(net, layer->out_float);
}

/* The arena's address is a multiple of TML_ARENA_ALIGN_MASK + 1: 4 for the float32 and int32
 * loads of 32-bit cores; 1 on AVR, whose loads take any address and whose compiler aligns a
 * float array to a byte. */
#if defined(__AVR__)
#define TML_ARENA_ALIGN_MASK 0u
#else
#define TML_ARENA_ALIGN_MASK 3u
#endif

/* The arena is so aligned and offsets are multiples of 4, so these casts are aligned;
 * going through void * says so to -Wcast-align. */
static inline void *tml_arena_at(void *arena, int32_t offset)
{
    return (void *)((unsigned char *)arena + offset);
}

static inline const void *tml_arena_at_const(const void *arena, int32_t offset)
{
    return (const void *)((const unsigned char *)arena + offset);
}

/* An int8 CONV or DEPTHWISE computes in float when it writes float or its activation is not
 * a clamp (identity, ReLU, ReLU6); otherwise it requantizes in integers. */
static inline int tml_net_conv_in_float(const tml_layer_t *layer)
{
    return layer->out_float == 1 || layer->activation > TML_ACT_RELU6;
}

/* Bytes from the first gathered window to the second: a window of bytes, whole words. */
static inline int32_t tml_net_window_stride(int64_t bytes)
{
    return (int32_t)((bytes + 3) & ~(int64_t)3);
}

/*
 * Bytes of the window buffer an int8 CONV with a kernel larger than 1x1 gathers the windows of
 * two neighbouring positions into (im2col), padding filled with in_zero: one dot product over
 * the whole window per output channel, whatever the input's channel count, no correction for
 * the padding, and the two positions summed together (tml_net_dot2x2_i8). Two windows, each
 * rounded up to whole words; it lies at the end of the arena, [arena_bytes - bytes,
 * arena_bytes), which the compiler's plan keeps free of tensors; 0 for every other layer. The
 * kernel's integers are the same either way.
 */
static inline int32_t tml_net_window_buffer_bytes(const tml_net_t *net, const tml_layer_t *layer)
{
    int64_t taps = (int64_t)layer->kernel_h * layer->kernel_w, bytes; /* any int32 sizes: no overflow */
    if (!net->quantized || layer->kind != TML_LAYER_CONV || tml_net_conv_in_float(layer) || taps == 1 ||
        taps > TML_MAX_I8_WINDOW) {
        return 0;
    }
    bytes = taps * layer->in_c;
    return bytes > TML_MAX_I8_WINDOW ? 0 : 2 * tml_net_window_stride(bytes);
}

/*
 * Whether every position of a layer goes through the whole-window kernel of an int8 CONV
 * (tml_net_conv_whole_i8 in net_i8.h, the only kernel that reads a row mask): one requantized
 * in integers with the zero point folded. In a layer of valid shape (tml_net_validate checks
 * shapes first) each such window is then whole: a larger kernel's is gathered into the window
 * buffer, padding included, and a 1x1 kernel has no padding (pad < kernel).
 */
static inline int tml_net_conv_windows_whole(const tml_net_t *net, const tml_layer_t *layer)
{
    return net->quantized && layer->kind == TML_LAYER_CONV && !tml_net_conv_in_float(layer) &&
           (layer->in_zero == 0 || layer->bias_folded);
}

/* The part of output position (oy, ox)'s window inside the input (see tml_window_t). */
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

/* The window of output position p, counted row by row (oy = p / out_w, ox = p % out_w). */
static inline tml_window_t tml_net_window_of(const tml_layer_t *layer, int32_t p)
{
    return tml_net_window(layer, p / layer->out_w, p % layer->out_w);
}

/* Layers with weights and a window: a convolution or a depthwise convolution. */
static inline int tml_net_is_filter(const tml_layer_t *layer)
{
    return layer->kind == TML_LAYER_CONV || layer->kind == TML_LAYER_DEPTHWISE;
}

/* The input channel a DEPTHWISE output channel reads: output channels come in groups of
 * out_c / in_c (the depth multiplier) per input channel, as Keras and TFLite order them. */
static inline int32_t tml_net_depthwise_input(const tml_layer_t *layer, int32_t c)
{
    return c / (layer->out_c / layer->in_c);
}

/* Layers that read a second input (in2_*). */
static inline int tml_net_is_binary(const tml_layer_t *layer)
{
    return layer->kind >= TML_LAYER_ADD && layer->kind <= TML_LAYER_CONCAT;
}

/* Layers that may write their output over an input of the same element size, element by
 * element: each element is read before it is written. */
static inline int tml_net_is_elementwise(const tml_layer_t *layer)
{
    return layer->kind == TML_LAYER_AFFINE || layer->kind == TML_LAYER_ACTIVATION ||
           (tml_net_is_binary(layer) && layer->kind != TML_LAYER_CONCAT);
}

/* Channels of the second input: a concatenation's share of the output, else the first's. */
static inline int32_t tml_net_in2_channels(const tml_layer_t *layer)
{
    return layer->kind == TML_LAYER_CONCAT ? layer->out_c - layer->in_c : layer->in_c;
}

/* Layers that only move values: padding, cropping, upsampling. */
static inline int tml_net_is_copy(const tml_layer_t *layer)
{
    return layer->kind == TML_LAYER_PAD || layer->kind == TML_LAYER_UPSAMPLE;
}

/* A dense layer: a 1x1 convolution of a 1x1 input. */
static inline int tml_net_is_dense(const tml_layer_t *layer)
{
    return layer->kind == TML_LAYER_CONV && layer->kernel_h == 1 && layer->kernel_w == 1 &&
           layer->in_h == 1 && layer->in_w == 1;
}

#endif /* TINYML_NET_TYPES_H */
