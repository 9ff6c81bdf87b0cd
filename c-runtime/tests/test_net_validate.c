/* Unit tests of the neural-network runtime: tml_net_validate (net_validate.h): good nets pass, every broken field is refused with its code. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0xa54ff53a5f1d36f1ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "net_test_util.h"

/* Breaks one thing of the valid net (float or int8) and returns what validate says. */
typedef void (*breaker_t)(tml_layer_t *layers, tml_net_t *net);

static int broken(int quantized, breaker_t brk)
{
    tml_layer_t layers[3];
    tml_net_t net;
    if (quantized) {
        valid_int8_net(layers);
    } else {
        valid_float_net(layers);
    }
    net = net_of(layers, 3, quantized, 192);
    brk(layers, &net);
    return tml_net_validate(&net);
}

static void b_null_layers(tml_layer_t *l, tml_net_t *n) { (void)l; n->layers = NULL; }
static void b_no_layers(tml_layer_t *l, tml_net_t *n) { (void)l; n->n_layers = 0; }
static void b_no_arena(tml_layer_t *l, tml_net_t *n) { (void)l; n->arena_bytes = 0; }
static void b_quantized(tml_layer_t *l, tml_net_t *n) { (void)l; n->quantized = 2; }
static void b_kind(tml_layer_t *l, tml_net_t *n) { (void)n; l[1].kind = TML_LAYER_UPSAMPLE + 1; }
static void b_kind_negative(tml_layer_t *l, tml_net_t *n) { (void)n; l[1].kind = -1; }
static void b_activation(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].activation = TML_ACT_HARD_SWISH + 1; }
static void b_alpha_nan(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].act_alpha = NAN; }
static void b_softmax_early(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].activation = TML_ACT_SOFTMAX; }
static void b_pool_activation(tml_layer_t *l, tml_net_t *n) { (void)n; l[1].activation = TML_ACT_RELU; }
static void b_out_float_early(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].out_float = 1; }
static void b_out_float_value(tml_layer_t *l, tml_net_t *n) { (void)n; l[2].out_float = 2; }
static void b_zero_dim(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].in_w = 0; }
static void b_negative_dim(tml_layer_t *l, tml_net_t *n) { (void)n; l[2].out_c = -3; }

static void b_huge_dims(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[0].in_h = 65536;
    l[0].in_w = 65536;
}

static void b_chain_shape(tml_layer_t *l, tml_net_t *n) { (void)n; l[2].in_c = 9; }

static void b_chain_shape2(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[1].in_h = 2; /* 2x8x2 holds the conv's 32 values (a reshape may), but the pool's windows over it */
    l[1].in_w = 8; /* do not give its 2x2 output */
}

static void b_chain_offset(tml_layer_t *l, tml_net_t *n) { (void)n; l[1].in_offset = 128; }
static void b_kernel(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].kernel_h = 0; }
static void b_stride(tml_layer_t *l, tml_net_t *n) { (void)n; l[1].stride_w = 0; }
static void b_pad_negative(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].pad_left = -1; }
static void b_pad_kernel(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].pad_top = 3; }

static void b_too_many_rows(tml_layer_t *l, tml_net_t *n)
{
    (void)n; /* windows start at rows -1 .. 4: the sixth starts past the input */
    l[0].out_h = 6;
}

static void b_pool_channels(tml_layer_t *l, tml_net_t *n) { (void)n; l[1].out_c = 1; }

static void b_pool_window_past_input(tml_layer_t *l, tml_net_t *n)
{
    (void)n; /* stride 3: the second window starts at row 3, a third would start at 6 */
    l[1].stride_h = 3;
    l[1].out_h = 3;
}

static void b_conv_weights(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[0].weight_f32 = NULL;
    l[0].weight_i8 = NULL;
}

static void b_affine_bias(tml_layer_t *l, tml_net_t *n)
{
    static const float w[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    (void)n;
    l[1] = layer_of(TML_LAYER_AFFINE, TML_ACT_IDENTITY, 4, 4, 2, 4, 4, 2);
    l[1].weight_f32 = w;
    l[1].in_offset = l[1].out_offset = 64;
}

static void b_activation_shape(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[1] = layer_of(TML_LAYER_ACTIVATION, TML_ACT_RELU, 4, 4, 2, 2, 2, 2);
    l[1].in_offset = 64;
    l[1].out_offset = 0;
}

static void b_misaligned(tml_layer_t *l, tml_net_t *n) { (void)n; l[2].out_offset = 66; }

static void b_negative_offset(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[0].in_offset = -4;
}

static void b_past_arena(tml_layer_t *l, tml_net_t *n) { (void)l; n->arena_bytes = 188; }

static void b_overlap(tml_layer_t *l, tml_net_t *n)
{
    (void)n; /* the pool's output runs into its input at 64 */
    l[1].out_offset = 60;
    l[2].in_offset = 60;
}

static void b_in_place_conv(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[2].out_offset = 0;
}

static void b_in_place_shifted(tml_layer_t *l, tml_net_t *n)
{
    (void)n; /* an in-place layer must write exactly over its input */
    l[1] = layer_of(TML_LAYER_ACTIVATION, TML_ACT_RELU, 4, 4, 2, 4, 4, 2);
    l[1].in_scale = l[1].out_scale = l[2].in_scale = 0.1f;
    l[1].in_zero = l[1].out_zero = l[2].in_zero = -3;
    l[1].in_offset = 64;
    l[1].out_offset = 68;
    l[2].in_offset = 68;
    l[2].in_h = 4;
    l[2].in_w = 4;
    l[2].in_c = 2;
}

/* int8 only */
static void b_scale_zero(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].in_scale = 0.0f; }

static void b_scale_inf(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[0].out_scale = l[1].in_scale = l[1].out_scale = l[2].in_scale = INFINITY;
}

static void b_scale_nan(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].in_scale = NAN; }
static void b_zero_range(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].in_zero = 128; }
static void b_chain_scale(tml_layer_t *l, tml_net_t *n) { (void)n; l[2].in_scale = 0.2f; }
static void b_chain_zero(tml_layer_t *l, tml_net_t *n) { (void)n; l[2].in_zero = 0; }

static void b_pool_rescales(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[1].out_scale = l[2].in_scale = 0.2f;
}

static void b_no_multiplier(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].multiplier = NULL; }
static void b_no_shift(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].shift = NULL; }
static void b_no_channel_scale(tml_layer_t *l, tml_net_t *n) { (void)n; l[2].channel_scale = NULL; }
static void b_no_weights_i8(tml_layer_t *l, tml_net_t *n) { (void)n; l[2].weight_i8 = NULL; }

static void b_multiplier_small(tml_layer_t *l, tml_net_t *n)
{
    static const int32_t m[2] = {1 << 30, (1 << 30) - 1};
    (void)n;
    l[0].multiplier = m;
}

static void b_multiplier_negative(tml_layer_t *l, tml_net_t *n)
{
    static const int32_t m[2] = {-(1 << 30), 1 << 30};
    (void)n;
    l[0].multiplier = m;
}

static void b_shift_low(tml_layer_t *l, tml_net_t *n)
{
    static const int8_t s[2] = {0, -32};
    (void)n;
    l[0].shift = s;
}

static void b_shift_high(tml_layer_t *l, tml_net_t *n)
{
    static const int8_t s[2] = {31, 0};
    (void)n;
    l[0].shift = s;
}

static void b_channel_scale_nan(tml_layer_t *l, tml_net_t *n)
{
    static const float s[3] = {0.1f, NAN, 0.1f};
    (void)n;
    l[2].channel_scale = s;
}

static void b_tanh_without_channel_scale(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[0].activation = TML_ACT_TANH; /* computed in float: needs channel_scale */
}

static void b_out_float_in_place(tml_layer_t *l, tml_net_t *n)
{
    (void)n; /* 4-byte floats over 1-byte inputs cannot be in place */
    l[2] = layer_of(TML_LAYER_ACTIVATION, TML_ACT_RELU, 2, 2, 2, 2, 2, 2);
    l[2].in_scale = l[2].out_scale = 0.1f;
    l[2].in_zero = l[2].out_zero = -3;
    l[2].out_float = 1;
}

static void b_pool_out_float(tml_layer_t *l, tml_net_t *n)
{
    (void)n;
    l[1].out_float = 1;
    n->n_layers = 2;
}

static void test_validate_accepts_good_nets(void)
{
    tml_layer_t layers[3];
    tml_net_t net;
    float x[16], y[3];
    int i;
    for (i = 0; i < 16; i++) {
        x[i] = (float)i / 16.0f;
    }
    for (i = 0; i < 18; i++) {
        v_conv_w[i] = rng_float(-1.0f, 1.0f);
        v_conv_w8[i] = (int8_t)((int32_t)(rng_u32() % 255u) - 127);
    }
    for (i = 0; i < 24; i++) {
        v_dense_w[i] = rng_float(-1.0f, 1.0f);
        v_dense_w8[i] = (int8_t)((int32_t)(rng_u32() % 255u) - 127);
    }
    valid_float_net(layers);
    net = net_of(layers, 3, 0, 192);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 192, y, 3) == TML_OK);
    CHECK(near(y[0] + y[1] + y[2], 1.0f, 1e-6f));
    valid_int8_net(layers);
    net = net_of(layers, 3, 1, 192);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 192, y, 3) == TML_OK);
    CHECK(near(y[0] + y[1] + y[2], 1.0f, 1e-6f));
}

static void test_validate_rejects_broken_nets(void)
{
    int q;
    CHECK(tml_net_validate(NULL) == TML_E_NULL);
    for (q = 0; q <= 1; q++) {
        CHECK(broken(q, b_null_layers) == TML_E_NULL);
        CHECK(broken(q, b_no_layers) == TML_E_SIZE);
        CHECK(broken(q, b_no_arena) == TML_E_SIZE);
        CHECK(broken(q, b_quantized) == TML_E_KIND);
        CHECK(broken(q, b_kind) == TML_E_KIND);
        CHECK(broken(q, b_kind_negative) == TML_E_KIND);
        CHECK(broken(q, b_activation) == TML_E_KIND);
        CHECK(broken(q, b_alpha_nan) == TML_E_KIND);
        CHECK(broken(q, b_softmax_early) == TML_E_KIND);
        CHECK(broken(q, b_pool_activation) == TML_E_KIND);
        CHECK(broken(q, b_out_float_early) == TML_E_KIND);
        CHECK(broken(q, b_out_float_value) == TML_E_KIND);
        CHECK(broken(q, b_zero_dim) == TML_E_SIZE);
        CHECK(broken(q, b_negative_dim) == TML_E_SIZE);
        CHECK(broken(q, b_huge_dims) == TML_E_SIZE);
        CHECK(broken(q, b_chain_shape) == TML_E_SHAPE);
        CHECK(broken(q, b_chain_shape2) == TML_E_SHAPE);
        CHECK(broken(q, b_chain_offset) == TML_E_ARENA);
        CHECK(broken(q, b_kernel) == TML_E_SHAPE);
        CHECK(broken(q, b_stride) == TML_E_SHAPE);
        CHECK(broken(q, b_pad_negative) == TML_E_SHAPE);
        CHECK(broken(q, b_pad_kernel) == TML_E_SHAPE);
        CHECK(broken(q, b_too_many_rows) == TML_E_SHAPE);
        CHECK(broken(q, b_pool_channels) == TML_E_SHAPE);
        CHECK(broken(q, b_pool_window_past_input) == TML_E_SHAPE);
        CHECK(broken(q, b_conv_weights) == TML_E_NULL);
        CHECK(broken(q, b_affine_bias) == TML_E_NULL);
        CHECK(broken(q, b_activation_shape) == TML_E_SHAPE);
        CHECK(broken(q, b_misaligned) == TML_E_ARENA);
        CHECK(broken(q, b_negative_offset) == TML_E_ARENA);
        CHECK(broken(q, b_overlap) == TML_E_ARENA);
        CHECK(broken(q, b_in_place_conv) == TML_E_ARENA);
        CHECK(broken(q, b_in_place_shifted) == TML_E_ARENA);
        CHECK(broken(q, b_pool_out_float) == TML_E_KIND);
    }
    /* float: 192 bytes are needed, int8 needs 76 (the float output ends at 76) */
    CHECK(broken(0, b_past_arena) == TML_E_ARENA);
    CHECK(broken(1, b_past_arena) == TML_OK);
    /* float nets ignore quantization parameters */
    CHECK(broken(0, b_scale_zero) == TML_OK);
    CHECK(broken(0, b_no_multiplier) == TML_OK);
    CHECK(broken(1, b_scale_zero) == TML_E_SCALE);
    CHECK(broken(1, b_scale_inf) == TML_E_SCALE);
    CHECK(broken(1, b_scale_nan) == TML_E_SCALE);
    CHECK(broken(1, b_zero_range) == TML_E_SCALE);
    CHECK(broken(1, b_chain_scale) == TML_E_SCALE);
    CHECK(broken(1, b_chain_zero) == TML_E_SCALE);
    CHECK(broken(1, b_pool_rescales) == TML_E_SCALE);
    CHECK(broken(1, b_no_multiplier) == TML_E_NULL);
    CHECK(broken(1, b_no_shift) == TML_E_NULL);
    CHECK(broken(1, b_no_channel_scale) == TML_E_NULL);
    CHECK(broken(1, b_no_weights_i8) == TML_E_NULL);
    CHECK(broken(1, b_multiplier_small) == TML_E_SCALE);
    CHECK(broken(1, b_multiplier_negative) == TML_E_SCALE);
    CHECK(broken(1, b_shift_low) == TML_E_SCALE);
    CHECK(broken(1, b_shift_high) == TML_E_SCALE);
    CHECK(broken(1, b_channel_scale_nan) == TML_E_SCALE);
    CHECK(broken(1, b_tanh_without_channel_scale) == TML_E_NULL);
    CHECK(broken(1, b_out_float_in_place) == TML_E_ARENA);
}

static void test_validate_window_rules(void)
{
    /* every window must overlap the input: kernel 2 stride 3 valid on 5 steps gives 2
     * outputs (starts 0 and 3); a third output would start at 6 */
    tml_layer_t l = layer_of(TML_LAYER_AVG_POOL, TML_ACT_IDENTITY, 1, 5, 1, 1, 2, 1);
    tml_net_t net;
    set_window(&l, 1, 2, 1, 3, 0, 0);
    l.out_offset = 20;
    net = net_of(&l, 1, 0, 32);
    CHECK(tml_net_validate(&net) == TML_OK);
    l.out_w = 3;
    CHECK(tml_net_validate(&net) == TML_E_SHAPE);
    /* same padding past the end is fine while the window starts inside: 5 steps, kernel 4,
     * stride 2, pad 1: starts -1, 1, 3 */
    l.out_w = 3;
    set_window(&l, 1, 4, 1, 2, 0, 1);
    CHECK(tml_net_validate(&net) == TML_OK);
    /* a kernel wider than the input with padding on both sides */
    l.in_w = 1;
    l.out_w = 1;
    l.out_offset = 4;
    set_window(&l, 1, 3, 1, 1, 0, 1);
    CHECK(tml_net_validate(&net) == TML_OK);
    {
        float x = -2.5f, y = 0.0f;
        CHECK(tml_net_predict(&net, &x, arena, 32, &y, 1) == TML_OK);
        CHECK(y == -2.5f);
    }
    /* geometry past int32: huge stride */
    l.in_w = 5;
    l.out_w = 2;
    l.out_offset = 20;
    set_window(&l, 1, 2, 1, INT32_MAX, 0, 0);
    CHECK(tml_net_validate(&net) == TML_E_SHAPE);
    /* huge kernel */
    set_window(&l, 1, INT32_MAX, 1, 1, 0, 0);
    l.out_w = 1;
    CHECK(tml_net_validate(&net) == TML_E_SHAPE);
}

static void test_validate_int8_window_limit(void)
{
    /* an int8 dense layer of 65537 inputs could overflow its int32 sum; 65536 cannot */
    static const int8_t w[1] = {0};
    static const float wf[1] = {0.0f};
    static const int32_t m[1] = {1 << 30};
    static const int8_t s[1] = {0};
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 1, 65537, 1, 1, 1);
    tml_net_t net;
    l.weight_i8 = w; /* validate reads no weights */
    l.weight_f32 = wf;
    l.multiplier = m;
    l.shift = s;
    l.out_offset = 65540;
    net = net_of(&l, 1, 1, 65544);
    CHECK(tml_net_validate(&net) == TML_E_SIZE);
    l.in_c = 65536;
    CHECK(tml_net_validate(&net) == TML_OK);
    l.in_c = 65537;
    net.quantized = 0; /* float sums have no such limit */
    l.out_offset = 4 * 65537;
    net.arena_bytes = 4 * 65537 + 4;
    CHECK(tml_net_validate(&net) == TML_OK);
    /* an int8 average pool of more than 65536 positions */
    l = layer_of(TML_LAYER_AVG_POOL, TML_ACT_IDENTITY, 1, 70000, 1, 1, 1, 1);
    set_window(&l, 1, 70000, 1, 1, 0, 0);
    l.out_offset = 70000;
    net = net_of(&l, 1, 1, 70004);
    CHECK(tml_net_validate(&net) == TML_E_SIZE);
    l.kind = TML_LAYER_MAX_POOL;
    CHECK(tml_net_validate(&net) == TML_OK);
}

/* A folded bias needs its table; the flag is 0 or 1. */
static void test_validate_bias_folded(void)
{
    static const int32_t bias[2] = {5, -5};
    tml_layer_t layers[3];
    tml_net_t net;
    valid_int8_net(layers);
    net = net_of(layers, 3, 1, 192);
    layers[0].bias_i32 = bias;
    layers[0].bias_folded = 1;
    CHECK(tml_net_validate(&net) == TML_OK);
    layers[0].bias_folded = 2;
    CHECK(tml_net_validate(&net) == TML_E_KIND);
    layers[0].bias_folded = 1;
    layers[0].bias_i32 = NULL;
    CHECK(tml_net_validate(&net) == TML_E_NULL);
}

/* An int8 convolution's window buffer is the arena's last bytes (two 3 x 3 x 1 windows: 24 of
 * them): the layer's input and output must lie before it, and so must every tensor still to be
 * read. */
static void test_validate_window_buffer(void)
{
    tml_layer_t layers[3];
    tml_net_t net;
    valid_int8_net(layers); /* conv output [64, 96) */
    net = net_of(layers, 3, 1, 120);
    CHECK(tml_net_window_buffer_bytes(&net, &layers[0]) == 24 && tml_net_window_buffer_bytes(&net, &layers[2]) == 0);
    CHECK(tml_net_validate(&net) == TML_OK); /* buffer [96, 120) */
    net.arena_bytes = 116;                    /* buffer [92, 116) over the conv's output */
    CHECK(tml_net_validate(&net) == TML_E_ARENA);
    /* the input at [92, 108), the conv's output at [0, 32), the pool's at [32, 40) */
    layers[0].in_offset = 92;
    layers[0].out_offset = layers[1].in_offset = 0;
    layers[1].out_offset = layers[2].in_offset = 32;
    net.arena_bytes = 132; /* buffer [108, 132) */
    CHECK(tml_net_validate(&net) == TML_OK);
    net.arena_bytes = 120; /* buffer [96, 120) over the input */
    CHECK(tml_net_validate(&net) == TML_E_ARENA);
}

int main(void)
{
    test_validate_accepts_good_nets();
    test_validate_window_buffer();
    test_validate_rejects_broken_nets();
    test_validate_window_rules();
    test_validate_int8_window_limit();
    test_validate_bias_folded();
    return CHECK_REPORT("net_validate");
}
