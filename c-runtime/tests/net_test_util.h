/* What the net tests share: layers and nets built field by field, the reference loops in
 * double, int8 parameters and two valid nets. Include after check.h with a CHECK_RNG_SEED. */
#ifndef TML_NET_TEST_UTIL_H
#define TML_NET_TEST_UTIL_H
#include <math.h>
#include <string.h>

#include "tinyml/net.h"

/* Float-typed, so 4-byte aligned; int8 nets use it too. */
static float arena[4096];

static inline int near(float a, float b, float tol)
{
    return fabsf(a - b) <= tol;
}

/* A layer with every field set: no kernel (1x1), no padding, nothing to read. */
static inline tml_layer_t layer_of(int32_t kind, int32_t activation, int32_t in_h, int32_t in_w, int32_t in_c,
                            int32_t out_h, int32_t out_w, int32_t out_c)
{
    tml_layer_t l;
    l.kind = kind;
    l.activation = activation;
    l.act_alpha = 0.0f;
    l.in_h = in_h;
    l.in_w = in_w;
    l.in_c = in_c;
    l.out_h = out_h;
    l.out_w = out_w;
    l.out_c = out_c;
    l.kernel_h = 1;
    l.kernel_w = 1;
    l.stride_h = 1;
    l.stride_w = 1;
    l.pad_top = 0;
    l.pad_left = 0;
    l.in_offset = 0;
    l.out_offset = 0;
    l.in_from = 0;
    l.in2_from = 0;
    l.in2_offset = 0;
    l.weight_f32 = NULL;
    l.bias_f32 = NULL;
    l.weight_i8 = NULL;
    l.bias_i32 = NULL;
    l.multiplier = NULL;
    l.shift = NULL;
    l.channel_scale = NULL;
    l.in_scale = 1.0f;
    l.in_zero = 0;
    l.in2_scale = 1.0f;
    l.in2_zero = 0;
    l.out_scale = 1.0f;
    l.out_zero = 0;
    l.out_float = 0;
    l.bias_folded = 0;
    l.row_mask = NULL;
    return l;
}

static inline void set_window(tml_layer_t *l, int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t pt, int32_t pl)
{
    l->kernel_h = kh;
    l->kernel_w = kw;
    l->stride_h = sh;
    l->stride_w = sw;
    l->pad_top = pt;
    l->pad_left = pl;
}

static inline tml_net_t net_of(const tml_layer_t *layers, int32_t n, int32_t quantized, int32_t arena_bytes)
{
    tml_net_t net;
    net.n_layers = n;
    net.layers = layers;
    net.quantized = quantized;
    net.arena_bytes = arena_bytes;
    return net;
}

/* The arena grown by room for the largest window buffer at its end (an int8 convolution's
 * gathered window, tml_net_window_buffer_bytes), as the compiler's plan leaves it. */
static inline void add_window_buffer(tml_net_t *net)
{
    int32_t k, most = 0;
    for (k = 0; k < net->n_layers; k++) {
        int32_t bytes = tml_net_window_buffer_bytes(net, &net->layers[k]);
        most = bytes > most ? bytes : most;
    }
    net->arena_bytes += most;
}

/* Runs a one-layer float net whose input sits at 0 and output right after it. */
static inline int run_single(tml_layer_t *l, const float *x, float *y)
{
    int32_t n_in = l->in_h * l->in_w * l->in_c, n_out = l->out_h * l->out_w * l->out_c;
    tml_net_t net;
    l->in_offset = 0;
    l->out_offset = 4 * n_in;
    net = net_of(l, 1, 0, 4 * (n_in + n_out));
    if (tml_net_validate(&net) != TML_OK) {
        return -100;
    }
    return tml_net_predict(&net, x, arena, (int32_t)sizeof arena, y, n_out);
}

/* ---- validation ---- */

/*
 * A valid three-layer float net: conv 4x4x1 -> 4x4x2 (3x3 same), max pool 2x2 -> 2x2x2,
 * dense 8 -> 3 softmax after a flatten. Arena: input [0, 64), conv out [64, 192), pool out
 * [0, 32), dense out [64, 76).
 */
static float v_conv_w[2 * 9], v_dense_w[3 * 8];

static int8_t v_conv_w8[2 * 9], v_dense_w8[3 * 8];

static int32_t v_mult[3] = {1 << 30, 1 << 30, 1 << 30};

static int8_t v_shift[3] = {0, 0, 0};

static float v_cscale[3] = {0.01f, 0.01f, 0.01f};

static inline void valid_float_net(tml_layer_t *layers)
{
    layers[0] = layer_of(TML_LAYER_CONV, TML_ACT_RELU, 4, 4, 1, 4, 4, 2);
    set_window(&layers[0], 3, 3, 1, 1, 1, 1);
    layers[0].weight_f32 = v_conv_w;
    layers[0].in_offset = 0;
    layers[0].out_offset = 64;
    layers[1] = layer_of(TML_LAYER_MAX_POOL, TML_ACT_IDENTITY, 4, 4, 2, 2, 2, 2);
    set_window(&layers[1], 2, 2, 2, 2, 0, 0);
    layers[1].in_offset = 64;
    layers[1].out_offset = 0;
    layers[2] = layer_of(TML_LAYER_CONV, TML_ACT_SOFTMAX, 1, 1, 8, 1, 1, 3);
    layers[2].weight_f32 = v_dense_w;
    layers[2].in_offset = 0;
    layers[2].out_offset = 64;
}

/* The same net in int8: scale 0.1 everywhere, the dense layer writing float. */
static inline void valid_int8_net(tml_layer_t *layers)
{
    int k;
    valid_float_net(layers);
    for (k = 0; k < 3; k++) {
        layers[k].weight_f32 = NULL;
        layers[k].in_scale = layers[k].out_scale = 0.1f;
        layers[k].in_zero = layers[k].out_zero = -3;
    }
    layers[0].weight_i8 = v_conv_w8;
    layers[0].multiplier = v_mult;
    layers[0].shift = v_shift;
    layers[2].weight_i8 = v_dense_w8;
    layers[2].channel_scale = v_cscale;
    layers[2].out_float = 1;
}

#endif
