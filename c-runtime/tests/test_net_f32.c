/* Unit tests of the neural-network runtime: float32 kernels (net_f32.h): dense and convolution layers against reference loops in double, activations, an affine layer in place. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x3c6ef372fe94f82bULL /* this file's pseudo-random sequence */
#include "check.h"
#include "net_test_util.h"

int32_t second_unit_net_outputs(const tml_net_t *net);

/* Reference convolution in double, bounds tested per position (no activation). A CONV output
 * sums every input channel; a DEPTHWISE output channel oc reads input channel
 * oc / (out_c / in_c) alone, with kernel_h * kernel_w weights. */
static void ref_conv(const tml_layer_t *l, const float *x, double *y)
{
    int32_t oy, ox, oc, ky, kx, i;
    int depthwise = l->kind == TML_LAYER_DEPTHWISE;
    int32_t taps = depthwise ? 1 : l->in_c; /* input channels an output sums */
    for (oy = 0; oy < l->out_h; oy++) {
        for (ox = 0; ox < l->out_w; ox++) {
            for (oc = 0; oc < l->out_c; oc++) {
                int32_t first = depthwise ? oc / (l->out_c / l->in_c) : 0;
                double s = l->bias_f32 ? (double)l->bias_f32[oc] : 0.0;
                for (ky = 0; ky < l->kernel_h; ky++) {
                    for (kx = 0; kx < l->kernel_w; kx++) {
                        int32_t iy = oy * l->stride_h - l->pad_top + ky;
                        int32_t ix = ox * l->stride_w - l->pad_left + kx;
                        if (iy < 0 || iy >= l->in_h || ix < 0 || ix >= l->in_w) {
                            continue;
                        }
                        for (i = 0; i < taps; i++) {
                            s += (double)x[(iy * l->in_w + ix) * l->in_c + first + i] *
                                 (double)l->weight_f32[((oc * l->kernel_h + ky) * l->kernel_w + kx) * taps + i];
                        }
                    }
                }
                y[(oy * l->out_w + ox) * l->out_c + oc] = s;
            }
        }
    }
}

static int compare_conv(tml_layer_t *l, uint32_t n_in)
{
    float x[256], y[256];
    double ref[256];
    uint32_t i;
    int32_t n_out = l->out_h * l->out_w * l->out_c, k;
    int ok = 1;
    for (i = 0; i < n_in; i++) {
        x[i] = rng_float(-2.0f, 2.0f);
    }
    if (run_single(l, x, y) != TML_OK) {
        return 0;
    }
    ref_conv(l, x, ref);
    for (k = 0; k < n_out; k++) {
        ok &= fabs((double)y[k] - ref[k]) <= 1e-5;
    }
    return ok;
}

/* ---- float nets ---- */

static void test_dense_float(void)
{
    /* y = W x + b, W [2][3] (output-major), then relu */
    static const float w[] = {1.0f, 2.0f, 3.0f, -1.0f, 0.5f, -2.0f};
    static const float b[] = {0.5f, -1.0f};
    /* what a generated header looks like: designated initializers, the rest zero */
    static const tml_layer_t layers[] = {
        {.kind = TML_LAYER_CONV, .activation = TML_ACT_RELU, .in_h = 1, .in_w = 1, .in_c = 3,
         .out_h = 1, .out_w = 1, .out_c = 2, .kernel_h = 1, .kernel_w = 1, .stride_h = 1,
         .stride_w = 1, .in_offset = 0, .out_offset = 12, .weight_f32 = w, .bias_f32 = b},
    };
    static const tml_net_t net = {1, layers, 0, 20, 0};
    const float x[3] = {1.0f, -1.0f, 2.0f};
    float y[2];
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_n_inputs(&net) == 3);
    CHECK(tml_net_n_outputs(&net) == 2);
    CHECK(second_unit_net_outputs(&net) == 2);
    CHECK(tml_net_predict(&net, x, arena, (int32_t)sizeof arena, y, 2) == TML_OK);
    CHECK(y[0] == 5.5f); /* 1 - 2 + 6 + 0.5 */
    CHECK(y[1] == 0.0f); /* -1 - 0.5 - 4 - 1 = -6.5, relu */
}

static void test_dense_without_bias_and_two_layers(void)
{
    /* 2 -> 2 (identity, no bias) -> 1, in place alternating ends of the arena */
    static const float w0[] = {1.0f, 1.0f, 1.0f, -1.0f};
    static const float w1[] = {2.0f, 3.0f};
    static const float b1[] = {0.25f};
    tml_layer_t layers[2];
    tml_net_t net;
    const float x[2] = {3.0f, 1.0f};
    float y[1];
    layers[0] = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 1, 2, 1, 1, 2);
    layers[0].weight_f32 = w0;
    layers[0].in_offset = 0;
    layers[0].out_offset = 8;
    layers[1] = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 1, 2, 1, 1, 1);
    layers[1].weight_f32 = w1;
    layers[1].bias_f32 = b1;
    layers[1].in_offset = 8;
    layers[1].out_offset = 0;
    net = net_of(layers, 2, 0, 16);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 16, y, 1) == TML_OK);
    CHECK(y[0] == 2.0f * 4.0f + 3.0f * 2.0f + 0.25f);
}

static void test_conv1d_valid(void)
{
    /* input [1][5][2], kernel 1x3, 2 filters: out [1][3][2] */
    static const float w[] = {
        1, 0, 0, 0, 0, 1,      /* filter 0: x[t][0] + x[t+2][1] */
        0.5f, 0.5f, 0, 0, 0, 0 /* filter 1: (x[t][0] + x[t][1]) / 2 */
    };
    static const float b[] = {0.0f, 1.0f};
    const float x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    float y[6];
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 5, 2, 1, 3, 2);
    set_window(&l, 1, 3, 1, 1, 0, 0);
    l.weight_f32 = w;
    l.bias_f32 = b;
    CHECK(run_single(&l, x, y) == TML_OK);
    CHECK(y[0] == 1.0f + 6.0f && y[1] == 1.5f + 1.0f);
    CHECK(y[2] == 3.0f + 8.0f && y[3] == 3.5f + 1.0f);
    CHECK(y[4] == 5.0f + 10.0f && y[5] == 5.5f + 1.0f);
    CHECK(compare_conv(&l, 10));
}

static void test_conv1d_same_stride2(void)
{
    /* input 5 steps, kernel 3, stride 2, "same": out ceil(5/2) = 3, total padding
     * (3-1)*2 + 3 - 5 = 2, pad_left = 1 (and 1 after). Windows: [-1,1], [1,3], [3,5]. */
    static const float w[] = {1, 10, 100};
    const float x[5] = {1, 2, 3, 4, 5};
    float y[3];
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 5, 1, 1, 3, 1);
    set_window(&l, 1, 3, 1, 2, 0, 1);
    l.weight_f32 = w;
    CHECK(run_single(&l, x, y) == TML_OK);
    CHECK(y[0] == 10.0f * 1 + 100.0f * 2);
    CHECK(y[1] == 2.0f + 10.0f * 3 + 100.0f * 4);
    CHECK(y[2] == 4.0f + 10.0f * 5); /* the last tap is padding */
    {
        static float wr[2 * 3 * 3];
        tml_layer_t r = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 9, 3, 1, 5, 2);
        int i;
        for (i = 0; i < 18; i++) {
            wr[i] = rng_float(-1.0f, 1.0f);
        }
        set_window(&r, 1, 3, 1, 2, 0, 1);
        r.weight_f32 = wr;
        CHECK(compare_conv(&r, 27));
    }
}

static void test_conv2d_asymmetric_same(void)
{
    /* 3x3 input, kernel 2x2, stride 1, "same": total padding 1 per axis, all of it after
     * (pad_top = pad_left = 0). Kernel of ones sums each 2x2 block, clipped at the edges. */
    static const float ones[] = {1, 1, 1, 1};
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const float expect[9] = {12, 16, 9, 24, 28, 15, 15, 17, 9};
    float y[9];
    int i, ok = 1;
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 3, 3, 1, 3, 3, 1);
    set_window(&l, 2, 2, 1, 1, 0, 0);
    l.weight_f32 = ones;
    CHECK(run_single(&l, x, y) == TML_OK);
    for (i = 0; i < 9; i++) {
        ok &= y[i] == expect[i];
    }
    CHECK(ok);
    {
        /* 5x4x2 input, kernel 3x2, stride 2x1, same: out 3x4, pad_top 1, pad_left 0 */
        static float w[3 * 3 * 2 * 2];
        static const float bias[] = {0.5f, -0.25f, 1.0f};
        tml_layer_t r = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 5, 4, 2, 3, 4, 3);
        for (i = 0; i < 36; i++) {
            w[i] = rng_float(-1.0f, 1.0f);
        }
        set_window(&r, 3, 2, 2, 1, 1, 0);
        r.weight_f32 = w;
        r.bias_f32 = bias;
        CHECK(compare_conv(&r, 40));
        /* 4x4x1, kernel 4x4 same: 1 row before, 2 after */
        {
            static float w4[16];
            tml_layer_t r4 = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 4, 4, 1, 4, 4, 1);
            for (i = 0; i < 16; i++) {
                w4[i] = rng_float(-1.0f, 1.0f);
            }
            set_window(&r4, 4, 4, 1, 1, 1, 1);
            r4.weight_f32 = w4;
            CHECK(compare_conv(&r4, 16));
        }
    }
}

static void test_affine_in_place(void)
{
    static const float w[] = {2.0f, -1.0f, 0.5f};
    static const float b[] = {1.0f, 0.0f, -3.0f};
    const float x[6] = {1, 2, 3, 4, 5, 6};
    float y[6];
    tml_layer_t l = layer_of(TML_LAYER_AFFINE, TML_ACT_RELU, 1, 2, 3, 1, 2, 3);
    tml_net_t net;
    l.weight_f32 = w;
    l.bias_f32 = b;
    net = net_of(&l, 1, 0, 24); /* input and output both at 0 */
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 24, y, 6) == TML_OK);
    CHECK(y[0] == 3.0f && y[1] == 0.0f && y[2] == 0.0f);
    CHECK(y[3] == 9.0f && y[4] == 0.0f && y[5] == 0.0f);
}

static void test_activations(void)
{
    const float x[6] = {-100.0f, -2.0f, -0.5f, 0.0f, 3.0f, 100.0f};
    float y[6];
    int32_t act;
    for (act = TML_ACT_IDENTITY; act <= TML_ACT_LOGISTIC; act++) {
        tml_layer_t l = layer_of(TML_LAYER_ACTIVATION, act, 1, 1, 6, 1, 1, 6);
        int i, ok = 1;
        CHECK(run_single(&l, x, y) == TML_OK);
        for (i = 0; i < 6; i++) {
            double v = (double)x[i], e;
            switch (act) {
            case TML_ACT_RELU: e = v > 0 ? v : 0; break;
            case TML_ACT_RELU6: e = v < 0 ? 0 : v > 6 ? 6 : v; break;
            case TML_ACT_TANH: e = tanh(v); break;
            case TML_ACT_LOGISTIC: e = 1.0 / (1.0 + exp(-v)); break;
            default: e = v; break;
            }
            ok &= fabs((double)y[i] - e) <= 1e-6 && isfinite(y[i]);
        }
        CHECK(ok);
    }
    /* logistic does not overflow at either end */
    CHECK(tml_activation_f32(-100.0f, TML_ACT_LOGISTIC, 0.0f) >= 0.0f &&
          tml_activation_f32(-100.0f, TML_ACT_LOGISTIC, 0.0f) < 1e-40f);
    CHECK(tml_activation_f32(100.0f, TML_ACT_LOGISTIC, 0.0f) == 1.0f);
    CHECK(tml_activation_f32(-1000.0f, TML_ACT_LOGISTIC, 0.0f) == 0.0f);
    CHECK(tml_activation_f32(6.5f, TML_ACT_RELU6, 0.0f) == 6.0f);
    /* Keras 3: leaky_relu (slope 0.2), elu (alpha 1), hard_sigmoid = relu6(x + 3) / 6, hard_swish */
    CHECK(tml_activation_f32(-2.0f, TML_ACT_LEAKY_RELU, 0.2f) == -0.4f && tml_activation_f32(3.0f, TML_ACT_LEAKY_RELU, 0.2f) == 3.0f);
    CHECK(fabsf(tml_activation_f32(-1.0f, TML_ACT_ELU, 1.0f) - (expf(-1.0f) - 1.0f)) < 1e-7f);
    CHECK(tml_activation_f32(2.0f, TML_ACT_ELU, 1.0f) == 2.0f);
    CHECK(tml_activation_f32(-4.0f, TML_ACT_HARD_SIGMOID, 1.0f / 6.0f) == 0.0f);
    CHECK(tml_activation_f32(4.0f, TML_ACT_HARD_SIGMOID, 1.0f / 6.0f) == 1.0f);
    CHECK(fabsf(tml_activation_f32(1.5f, TML_ACT_HARD_SIGMOID, 1.0f / 6.0f) - 0.75f) < 1e-7f);
    CHECK(tml_activation_f32(-3.5f, TML_ACT_HARD_SWISH, 0.0f) == 0.0f && tml_activation_f32(4.0f, TML_ACT_HARD_SWISH, 0.0f) == 4.0f);
    CHECK(fabsf(tml_activation_f32(1.0f, TML_ACT_HARD_SWISH, 0.0f) - 4.0f / 6.0f) < 1e-7f);
    {
        /* softmax over the channels of each position: 2 positions of 3 */
        const float z[6] = {1.0f, 2.0f, 3.0f, 1000.0f, 1000.0f, -1000.0f};
        float p[6];
        double e1 = exp(1.0), e2 = exp(2.0), e3 = exp(3.0);
        tml_layer_t l = layer_of(TML_LAYER_ACTIVATION, TML_ACT_SOFTMAX, 1, 2, 3, 1, 2, 3);
        CHECK(run_single(&l, z, p) == TML_OK);
        CHECK(near(p[0] + p[1] + p[2], 1.0f, 1e-6f));
        CHECK(fabs((double)p[2] - e3 / (e1 + e2 + e3)) < 1e-6);
        CHECK(p[3] == 0.5f && p[4] == 0.5f && p[5] == 0.0f); /* no overflow at 1000 */
    }
}

/* Depthwise layers of every shape MobileNet-style nets use (3x3 "same" at strides 1 and 2,
 * depth multipliers 1 and 2, a 1-D kernel, a valid window), against the double reference. */
static void test_depthwise_float(void)
{
    static float w[64 * 9], b[64];
    static const int32_t shapes[][9] = {
        /* in_h, in_w, in_c, multiplier, kh, kw, stride, pad_top, pad_left */
        {5, 5, 3, 1, 3, 3, 1, 1, 1}, {6, 6, 4, 1, 3, 3, 2, 0, 0}, {5, 7, 2, 2, 3, 3, 2, 1, 1},
        {1, 9, 3, 2, 1, 4, 1, 0, 1}, {4, 4, 5, 1, 2, 2, 1, 0, 0}, {3, 3, 1, 3, 3, 3, 1, 1, 1},
    };
    size_t s;
    int32_t i;
    for (i = 0; i < 64 * 9; i++) {
        w[i] = rng_float(-1.0f, 1.0f);
    }
    for (i = 0; i < 64; i++) {
        b[i] = rng_float(-0.5f, 0.5f);
    }
    for (s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int32_t *d = shapes[s];
        int32_t oh = (d[0] + 2 * d[7] - d[4]) / d[6] + 1, ow = (d[1] + 2 * d[8] - d[5]) / d[6] + 1;
        tml_layer_t l;
        /* "same" padding may pad less after than before: keep every window starting inside */
        while ((oh - 1) * d[6] - d[7] >= d[0]) {
            oh--;
        }
        while ((ow - 1) * d[6] - d[8] >= d[1]) {
            ow--;
        }
        l = layer_of(TML_LAYER_DEPTHWISE, TML_ACT_IDENTITY, d[0], d[1], d[2], oh, ow, d[2] * d[3]);
        set_window(&l, d[4], d[5], d[6], d[6], d[7], d[8]);
        l.weight_f32 = w;
        l.bias_f32 = s % 2 ? NULL : b;
        CHECK(compare_conv(&l, (uint32_t)(d[0] * d[1] * d[2])));
    }
    {
        /* 5 output channels cannot come in equal groups from 3 input channels */
        tml_layer_t l = layer_of(TML_LAYER_DEPTHWISE, TML_ACT_IDENTITY, 4, 4, 3, 4, 4, 5);
        tml_net_t net;
        set_window(&l, 3, 3, 1, 1, 1, 1);
        l.weight_f32 = w;
        l.out_offset = 4 * 4 * 4 * 3;
        net = net_of(&l, 1, 0, l.out_offset + 4 * 4 * 4 * 6);
        CHECK(tml_net_validate(&net) == TML_E_SHAPE);
        l.out_c = 6;
        CHECK(tml_net_validate(&net) == TML_OK);
    }
}

int main(void)
{
    test_dense_float();
    test_dense_without_bias_and_two_layers();
    test_conv1d_valid();
    test_conv1d_same_stride2();
    test_conv2d_asymmetric_same();
    test_depthwise_float();
    test_affine_in_place();
    test_activations();
    return CHECK_REPORT("net_f32");
}
