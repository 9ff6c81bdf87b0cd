/* Unit tests of the neural-network runtime on small hand-built nets. Expected values are
 * worked out by hand or by the plain reference loops below, which test every window position
 * against the input bounds instead of clipping the loops as the runtime does. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x853c49e6748fea9bULL /* this file's pseudo-random sequence */
#include "check.h"
#include "tinyml/net.h"
#include "net_int8_reference.h"

int32_t second_unit_net_outputs(const tml_net_t *net);

/* Float-typed, so 4-byte aligned; int8 nets use it too. */
static float arena[4096];

static int near(float a, float b, float tol)
{
    return fabsf(a - b) <= tol;
}

/* A layer with every field set: no kernel (1x1), no padding, nothing to read. */
static tml_layer_t layer_of(int32_t kind, int32_t activation, int32_t in_h, int32_t in_w, int32_t in_c,
                            int32_t out_h, int32_t out_w, int32_t out_c)
{
    tml_layer_t l;
    l.kind = kind;
    l.activation = activation;
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
    l.weight_f32 = NULL;
    l.bias_f32 = NULL;
    l.weight_i8 = NULL;
    l.bias_i32 = NULL;
    l.multiplier = NULL;
    l.shift = NULL;
    l.channel_scale = NULL;
    l.in_scale = 1.0f;
    l.in_zero = 0;
    l.out_scale = 1.0f;
    l.out_zero = 0;
    l.out_float = 0;
    l.bias_folded = 0;
    return l;
}

static void set_window(tml_layer_t *l, int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t pt, int32_t pl)
{
    l->kernel_h = kh;
    l->kernel_w = kw;
    l->stride_h = sh;
    l->stride_w = sw;
    l->pad_top = pt;
    l->pad_left = pl;
}

static tml_net_t net_of(const tml_layer_t *layers, int32_t n, int32_t quantized, int32_t arena_bytes)
{
    tml_net_t net;
    net.n_layers = n;
    net.layers = layers;
    net.quantized = quantized;
    net.arena_bytes = arena_bytes;
    return net;
}

/* Runs a one-layer float net whose input sits at 0 and output right after it. */
static int run_single(tml_layer_t *l, const float *x, float *y)
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

/* Reference convolution in double, bounds tested per position (no activation). */
static void ref_conv(const tml_layer_t *l, const float *x, double *y)
{
    int32_t oy, ox, oc, ky, kx, ic;
    for (oy = 0; oy < l->out_h; oy++) {
        for (ox = 0; ox < l->out_w; ox++) {
            for (oc = 0; oc < l->out_c; oc++) {
                double s = l->bias_f32 ? (double)l->bias_f32[oc] : 0.0;
                for (ky = 0; ky < l->kernel_h; ky++) {
                    for (kx = 0; kx < l->kernel_w; kx++) {
                        int32_t iy = oy * l->stride_h - l->pad_top + ky;
                        int32_t ix = ox * l->stride_w - l->pad_left + kx;
                        if (iy < 0 || iy >= l->in_h || ix < 0 || ix >= l->in_w) {
                            continue;
                        }
                        for (ic = 0; ic < l->in_c; ic++) {
                            s += (double)x[(iy * l->in_w + ix) * l->in_c + ic] *
                                 (double)l->weight_f32[((oc * l->kernel_h + ky) * l->kernel_w + kx) * l->in_c + ic];
                        }
                    }
                }
                y[(oy * l->out_w + ox) * l->out_c + oc] = s;
            }
        }
    }
}

/* Reference pools: max or mean of the positions inside the input. */
static void ref_pool(const tml_layer_t *l, const float *x, double *y, int is_max)
{
    int32_t oy, ox, c, ky, kx;
    for (oy = 0; oy < l->out_h; oy++) {
        for (ox = 0; ox < l->out_w; ox++) {
            for (c = 0; c < l->in_c; c++) {
                double best = -HUGE_VAL, sum = 0.0;
                int count = 0;
                for (ky = 0; ky < l->kernel_h; ky++) {
                    for (kx = 0; kx < l->kernel_w; kx++) {
                        int32_t iy = oy * l->stride_h - l->pad_top + ky;
                        int32_t ix = ox * l->stride_w - l->pad_left + kx;
                        double v;
                        if (iy < 0 || iy >= l->in_h || ix < 0 || ix >= l->in_w) {
                            continue;
                        }
                        v = (double)x[(iy * l->in_w + ix) * l->in_c + c];
                        best = v > best ? v : best;
                        sum += v;
                        count++;
                    }
                }
                y[(oy * l->out_w + ox) * l->in_c + c] = is_max ? best : sum / count;
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
    static const tml_net_t net = {1, layers, 0, 20};
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

static void test_pools_same_padding(void)
{
    /* 3x3x1 input of negatives, kernel 2x2 stride 2 same: out 2x2, padding after only.
     * A max over padding must not see a 0. */
    const float x[9] = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
    float y[4];
    tml_layer_t l = layer_of(TML_LAYER_MAX_POOL, TML_ACT_IDENTITY, 3, 3, 1, 2, 2, 1);
    set_window(&l, 2, 2, 2, 2, 0, 0);
    CHECK(run_single(&l, x, y) == TML_OK);
    CHECK(y[0] == -1.0f && y[1] == -3.0f && y[2] == -7.0f && y[3] == -9.0f);
    l = layer_of(TML_LAYER_AVG_POOL, TML_ACT_IDENTITY, 3, 3, 1, 2, 2, 1);
    set_window(&l, 2, 2, 2, 2, 0, 0);
    CHECK(run_single(&l, x, y) == TML_OK);
    CHECK(y[0] == -3.0f && y[1] == -4.5f && y[2] == -7.5f && y[3] == -9.0f); /* counts 4, 2, 2, 1 */
    {
        /* kernel 3x3 stride 1 same on 3x3x2: pad 1 before; corners average 4 positions */
        float x2[18], y2[18];
        double ref[18];
        int i, ok_max = 1, ok_avg = 1;
        tml_layer_t p = layer_of(TML_LAYER_AVG_POOL, TML_ACT_IDENTITY, 3, 3, 2, 3, 3, 2);
        for (i = 0; i < 18; i++) {
            x2[i] = rng_float(-3.0f, 3.0f);
        }
        set_window(&p, 3, 3, 1, 1, 1, 1);
        CHECK(run_single(&p, x2, y2) == TML_OK);
        CHECK(near(y2[0], (x2[0] + x2[2] + x2[6] + x2[8]) / 4.0f, 1e-6f));
        ref_pool(&p, x2, ref, 0);
        for (i = 0; i < 18; i++) {
            ok_avg &= fabs((double)y2[i] - ref[i]) <= 1e-6;
        }
        p.kind = TML_LAYER_MAX_POOL;
        CHECK(run_single(&p, x2, y2) == TML_OK);
        ref_pool(&p, x2, ref, 1);
        for (i = 0; i < 18; i++) {
            ok_max &= (double)y2[i] == ref[i];
        }
        CHECK(ok_avg);
        CHECK(ok_max);
    }
}

static void test_global_average_pool(void)
{
    /* 2x3x2 -> 1x1x2: kernel the input's size */
    const float x[12] = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60};
    float y[2];
    tml_layer_t l = layer_of(TML_LAYER_AVG_POOL, TML_ACT_IDENTITY, 2, 3, 2, 1, 1, 2);
    set_window(&l, 2, 3, 1, 1, 0, 0);
    CHECK(run_single(&l, x, y) == TML_OK);
    CHECK(y[0] == 3.5f && y[1] == 35.0f);
    l.kind = TML_LAYER_MAX_POOL;
    CHECK(run_single(&l, x, y) == TML_OK);
    CHECK(y[0] == 6.0f && y[1] == 60.0f);
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
    CHECK(tml_activation_f32(-100.0f, TML_ACT_LOGISTIC) >= 0.0f &&
          tml_activation_f32(-100.0f, TML_ACT_LOGISTIC) < 1e-40f);
    CHECK(tml_activation_f32(100.0f, TML_ACT_LOGISTIC) == 1.0f);
    CHECK(tml_activation_f32(-1000.0f, TML_ACT_LOGISTIC) == 0.0f);
    CHECK(tml_activation_f32(6.5f, TML_ACT_RELU6) == 6.0f);
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

/* ---- fixed point ---- */

static void test_quantize_i8(void)
{
    CHECK(tml_quantize_i8(0.5f, 1.0f, 0) == 1);
    CHECK(tml_quantize_i8(-0.5f, 1.0f, 0) == -1);
    CHECK(tml_quantize_i8(2.5f, 1.0f, 0) == 3);
    CHECK(tml_quantize_i8(-2.5f, 1.0f, 0) == -3);
    CHECK(tml_quantize_i8(0.49999997f, 1.0f, 0) == 0); /* + 0.5f would round this up */
    CHECK(tml_quantize_i8(-0.49999997f, 1.0f, 0) == 0);
    CHECK(tml_quantize_i8(1.0f, 0.5f, -10) == -8);
    CHECK(tml_quantize_i8(1000.0f, 0.1f, 0) == 127);
    CHECK(tml_quantize_i8(-1000.0f, 0.1f, 0) == -128);
    CHECK(tml_quantize_i8(1.0f, 1.0f, 127) == 127);
    CHECK(tml_quantize_i8(INFINITY, 1.0f, 3) == 127);
    CHECK(tml_quantize_i8(-INFINITY, 1.0f, 3) == -128);
    CHECK(tml_quantize_i8(NAN, 1.0f, 3) == 3);
    CHECK(tml_quantize_i8(3e38f, 1e-30f, 0) == 127);
}

/* Correctly rounded acc * m * 2^(shift - 31) of the saturated shifted accumulator, from the
 * exact int64 product, and how far the exact value lies from a rounding boundary. */
static int64_t ref_requantize(int32_t acc, int32_t m, int32_t shift, double *exact, double *to_half)
{
    int32_t left = shift > 0 ? shift : 0, right = shift < 0 ? -shift : 0;
    double a = ldexp((double)acc, left), frac;
    int64_t product;
    a = a > 2147483647.0 ? 2147483647.0 : a < -2147483648.0 ? -2147483648.0 : a;
    product = (int64_t)a * (int64_t)m; /* exact: |a| <= 2^31, m < 2^31 */
    *exact = ldexp((double)product, -(31 + right));
    frac = fabs(*exact) - floor(fabs(*exact));
    *to_half = fabs(frac - 0.5);
    return (int64_t)(*exact >= 0 ? floor(*exact + 0.5) : -floor(-*exact + 0.5));
}

static void test_requantize_edges(void)
{
    const int32_t one = 1 << 30; /* 0.5 in Q31 */
    CHECK(tml_rounding_doubling_high_mul(INT32_MIN, INT32_MIN) == INT32_MAX);
    CHECK(tml_rounding_doubling_high_mul(INT32_MIN, INT32_MAX) == -INT32_MAX);
    CHECK(tml_requantize(0, INT32_MAX, 30) == 0);
    CHECK(tml_requantize(12345, 0, 0) == 0);
    CHECK(tml_requantize(100, one, 1) == 100);      /* 100 * 0.5 * 2 */
    CHECK(tml_requantize(1, one, 30) == 1 << 29);   /* 0.5 * 2^30 */
    CHECK(tml_requantize(3, one, 0) == 2);          /* 1.5: ties up in the high multiply */
    CHECK(tml_requantize(-3, one, 0) == -1);        /* -1.5 */
    CHECK(tml_requantize(3, one, -1) == 1);         /* 0.75 */
    CHECK(tml_requantize(6, one, -1) == 2);         /* 1.5: the right shift rounds away */
    CHECK(tml_requantize(-6, one, -1) == -2);       /* -1.5 */
    CHECK(tml_requantize(-10, one, -1) == -3);      /* -2.5 */
    CHECK(tml_requantize(INT32_MAX, INT32_MAX, 30) == INT32_MAX - 1); /* left shift saturates */
    CHECK(tml_requantize(INT32_MIN, INT32_MAX, 30) == -INT32_MAX);
    CHECK(tml_requantize(INT32_MIN, one, 0) == -(1 << 30));
    CHECK(tml_requantize(INT32_MAX, INT32_MAX, -31) == 1);
    CHECK(tml_requantize(INT32_MIN, one, -31) == -1); /* -0.5: the right shift rounds away */
    CHECK(tml_requantize(INT32_MIN, INT32_MAX, -31) == -1);
    /* out-of-contract shifts are clamped rather than undefined */
    CHECK(tml_requantize(1000, one, 99) == tml_requantize(1000, one, 30));
    CHECK(tml_requantize(1000, one, -99) == tml_requantize(1000, one, -31));
    CHECK(tml_requantize(INT32_MIN, INT32_MIN, 0) == INT32_MAX); /* negative multiplier: no UB */
}

/* tml_requantize fuses the two gemmlowp steps; it must give their integers for every acc,
 * multiplier (in or out of contract, negative and INT32_MIN too) and shift. */
static int32_t two_step_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    int32_t left = shift > 0 ? (shift > 30 ? 30 : shift) : 0;
    int32_t right = shift < 0 ? (shift < -31 ? 31 : -shift) : 0;
    int32_t shifted = tml_clamp_i32((int64_t)acc * ((int64_t)1 << left));
    return tml_rounding_divide_pot(tml_rounding_doubling_high_mul(shifted, multiplier), right);
}

static void test_requantize_equals_two_steps(void)
{
    static const int32_t edges[] = {0, 1, -1, 2, -2, 3, -3, 1 << 30, -(1 << 30), (1 << 30) + 1, INT32_MAX,
                                    INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 0x55555555, -0x55555555};
    int i, j, shift, wrong = 0;
    const int n = (int)(sizeof edges / sizeof edges[0]);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            for (shift = -40; shift <= 40; shift++) {
                wrong += tml_requantize(edges[i], edges[j], shift) != two_step_requantize(edges[i], edges[j], shift);
            }
        }
    }
    for (i = 0; i < 2000000; i++) {
        uint32_t bits = 1u + rng_u32() % 32u;
        int32_t acc = (int32_t)(rng_u32() >> (32u - bits)); /* magnitudes of every size */
        int32_t m = (i & 3) == 0 ? (int32_t)rng_u32() : (int32_t)((1u << 30) | (rng_u32() >> 2));
        int32_t sh = (int32_t)(rng_u32() % 81u) - 40;
        acc = (rng_u32() & 1u) ? (int32_t)(0u - (uint32_t)acc) : acc;
        wrong += tml_requantize(acc, m, sh) != two_step_requantize(acc, m, sh);
    }
    CHECK(wrong == 0);
}

static void test_requantize_random(void)
{
    int i, far_from_half = 0, off_by_more = 0, wrong = 0;
    for (i = 0; i < 200000; i++) {
        uint32_t r = rng_u32();
        uint32_t bits = 1u + rng_u32() % 31u;
        int32_t acc = (int32_t)(r >> (32u - bits)); /* below 2^bits: magnitudes of every size */
        int32_t m = (int32_t)((1u << 30) | (rng_u32() >> 2));
        int32_t shift = (int32_t)(rng_u32() % 62u) - 31;
        double exact, to_half;
        int64_t ref, got;
        if (rng_u32() & 1u) {
            acc = acc == INT32_MIN ? acc : -acc;
        }
        if (i % 97 == 0) {
            acc = (i % 2) ? INT32_MAX : INT32_MIN;
        }
        ref = ref_requantize(acc, m, shift, &exact, &to_half);
        got = tml_requantize(acc, m, shift);
        if (fabs((double)got - exact) > 1.0) {
            off_by_more++;
        }
        /* The high multiply rounds to 2^-right of the result, so only values within that
         * (plus a margin for the double) of a half may come out the other way. */
        if (to_half > (shift < 0 ? ldexp(0.5, shift) : 0.0) + 1e-6) {
            far_from_half++;
            wrong += got != ref;
        }
    }
    CHECK(off_by_more == 0);
    CHECK(wrong == 0);
    CHECK(far_from_half > 100000);
    /* shift >= 0: one rounding, exact unless the value is a tie */
    {
        int ties_ok = 1;
        for (i = 0; i < 20000; i++) {
            int32_t acc = (int32_t)rng_u32();
            int32_t m = (int32_t)((1u << 30) | (rng_u32() >> 2));
            double exact, to_half;
            int64_t ref = ref_requantize(acc, m, 0, &exact, &to_half);
            if (to_half > 1e-6) {
                ties_ok &= tml_requantize(acc, m, 0) == ref;
            }
        }
        CHECK(ties_ok);
    }
}

/* ---- int8 nets ---- */

typedef struct {
    float scale;
    int32_t zero;
} qparams_t;

/* Asymmetric per-tensor parameters covering [lo, hi] and 0. */
static qparams_t qparams(float lo, float hi)
{
    qparams_t p;
    lo = lo < 0.0f ? lo : 0.0f;
    hi = hi > 0.0f ? hi : 0.0f;
    p.scale = (hi - lo) / 255.0f;
    p.zero = (int32_t)lround(-128.0 - (double)lo / (double)p.scale);
    p.zero = p.zero < -128 ? -128 : p.zero > 127 ? 127 : p.zero;
    return p;
}

/* m = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31). */
static void multiplier_of(double m, int32_t *multiplier, int8_t *shift)
{
    int e;
    double f = frexp(m, &e); /* m = f * 2^e, f in [0.5, 1) */
    long long q = llround(ldexp(f, 31));
    if (q == (1LL << 31)) {
        q = 1LL << 30;
        e++;
    }
    *multiplier = (int32_t)q;
    *shift = (int8_t)e;
}

/* An int8 CONV built from a float one: weights symmetric per output channel. Fills the
 * caller's tables and records each channel's weight scale. */
typedef struct {
    int8_t w[512];
    int32_t bias[16];
    int32_t multiplier[16];
    int8_t shift[16];
    float channel_scale[16];
    float weight_scale[16];
} qconv_t;

static void quantize_conv(const tml_layer_t *f, tml_layer_t *q, qconv_t *t, qparams_t in, qparams_t out)
{
    int32_t per = f->kernel_h * f->kernel_w * f->in_c, c, j;
    *q = *f;
    for (c = 0; c < f->out_c; c++) {
        float top = 0.0f;
        double acc_scale;
        for (j = 0; j < per; j++) {
            top = fabsf(f->weight_f32[c * per + j]) > top ? fabsf(f->weight_f32[c * per + j]) : top;
        }
        t->weight_scale[c] = top > 0.0f ? top / 127.0f : 1.0f;
        for (j = 0; j < per; j++) {
            t->w[c * per + j] = (int8_t)lroundf(f->weight_f32[c * per + j] / t->weight_scale[c]);
        }
        acc_scale = (double)in.scale * (double)t->weight_scale[c];
        t->bias[c] = f->bias_f32 ? (int32_t)lround((double)f->bias_f32[c] / acc_scale) : 0;
        multiplier_of(acc_scale / (double)out.scale, &t->multiplier[c], &t->shift[c]);
        t->channel_scale[c] = (float)acc_scale;
    }
    q->weight_f32 = NULL;
    q->bias_f32 = NULL;
    q->weight_i8 = t->w;
    q->bias_i32 = t->bias;
    q->multiplier = t->multiplier;
    q->shift = t->shift;
    q->channel_scale = t->channel_scale;
    q->in_scale = in.scale;
    q->in_zero = in.zero;
    q->out_scale = out.scale;
    q->out_zero = out.zero;
}

/* The worst error of the int8 sum against the float one at output (oy, ox, c): input rounding
 * (in_scale / 2 per weight), weight rounding (weight scale / 2 per input), bias rounding. */
static double sum_error_bound(const tml_layer_t *f, const float *x, qparams_t in, const qconv_t *t,
                              int32_t oy, int32_t ox, int32_t c)
{
    int32_t ky, kx, ic;
    double bound = (double)in.scale * (double)t->weight_scale[c] / 2.0;
    for (ky = 0; ky < f->kernel_h; ky++) {
        for (kx = 0; kx < f->kernel_w; kx++) {
            int32_t iy = oy * f->stride_h - f->pad_top + ky, ix = ox * f->stride_w - f->pad_left + kx;
            if (iy < 0 || iy >= f->in_h || ix < 0 || ix >= f->in_w) {
                continue;
            }
            for (ic = 0; ic < f->in_c; ic++) {
                double w = (double)f->weight_f32[((c * f->kernel_h + ky) * f->kernel_w + kx) * f->in_c + ic];
                double v = (double)x[(iy * f->in_w + ix) * f->in_c + ic];
                bound += fabs(w) * (double)in.scale / 2.0 +
                         (fabs(v) + (double)in.scale / 2.0) * (double)t->weight_scale[c] / 2.0;
            }
        }
    }
    return bound;
}

/* Runs float layer f and its int8 version q on random inputs in [-1, 1]; the int8 output
 * must lie within the derived bound (plus the output's rounding) of the float one. */
static int compare_int8_conv(tml_layer_t *f, tml_layer_t *q, const qconv_t *t, qparams_t in,
                             int rows, int activation_is_float)
{
    int32_t n_in = f->in_h * f->in_w * f->in_c, n_out = f->out_h * f->out_w * f->out_c;
    tml_net_t net;
    int r, ok = 1;
    q->in_offset = 0;
    q->out_offset = ((n_in + 3) / 4) * 4;
    net = net_of(q, 1, 1, q->out_offset + 4 * n_out);
    if (tml_net_validate(&net) != TML_OK) {
        return 0;
    }
    for (r = 0; r < rows; r++) {
        float x[256], yf[256], yq[256];
        int32_t i, oy, ox, c;
        for (i = 0; i < n_in; i++) {
            x[i] = rng_float(-1.0f, 1.0f);
        }
        ok &= run_single(f, x, yf) == TML_OK;
        ok &= tml_net_predict(&net, x, arena, (int32_t)sizeof arena, yq, n_out) == TML_OK;
        for (oy = 0; oy < f->out_h; oy++) {
            for (ox = 0; ox < f->out_w; ox++) {
                for (c = 0; c < f->out_c; c++) {
                    int32_t at = (oy * f->out_w + ox) * f->out_c + c;
                    double bound = sum_error_bound(f, x, in, t, oy, ox, c);
                    /* the activations used are 1-Lipschitz; rounding the output: half a unit,
                     * and up to half more from the requantization's two roundings */
                    if (!q->out_float) {
                        bound += activation_is_float ? (double)q->out_scale / 2.0 : (double)q->out_scale;
                    }
                    ok &= fabs((double)yq[at] - (double)yf[at]) <= bound + 1e-5;
                }
            }
        }
    }
    return ok;
}

static void test_int8_dense_against_float(void)
{
    static float w[4 * 3], b[3];
    static qconv_t t;
    tml_layer_t f = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 1, 4, 1, 1, 3), q;
    qparams_t in = qparams(-1.0f, 1.0f), out = qparams(-4.0f, 4.0f);
    int i;
    for (i = 0; i < 12; i++) {
        w[i] = rng_float(-1.0f, 1.0f);
    }
    for (i = 0; i < 3; i++) {
        b[i] = rng_float(-0.5f, 0.5f);
    }
    f.weight_f32 = w;
    f.bias_f32 = b;
    quantize_conv(&f, &q, &t, in, out);
    q.channel_scale = NULL; /* the requantized path needs none */
    CHECK(compare_int8_conv(&f, &q, &t, in, 50, 0));
    f.activation = q.activation = TML_ACT_RELU;
    CHECK(compare_int8_conv(&f, &q, &t, in, 50, 0));
    /* out_float: the sum's own value, no output rounding */
    f.activation = q.activation = TML_ACT_IDENTITY;
    q.channel_scale = t.channel_scale;
    q.out_float = 1;
    CHECK(compare_int8_conv(&f, &q, &t, in, 50, 1));
    /* logistic on an int8 output: computed in float, then quantized */
    f.activation = q.activation = TML_ACT_LOGISTIC;
    q.out_float = 0;
    q.out_scale = 1.0f / 255.0f;
    q.out_zero = -128;
    CHECK(compare_int8_conv(&f, &q, &t, in, 50, 1));
    f.activation = q.activation = TML_ACT_TANH;
    q.out_scale = 2.0f / 255.0f;
    q.out_zero = 0;
    CHECK(compare_int8_conv(&f, &q, &t, in, 50, 1));
}

static void test_int8_conv_against_float(void)
{
    static float w[3 * 3 * 2 * 4], b[4];
    static qconv_t t;
    /* 5x4x2 input, kernel 3x3, stride 2x1, same: out 3x4x4, pad 1 and 1 */
    tml_layer_t f = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 5, 4, 2, 3, 4, 4), q;
    qparams_t in = qparams(-1.0f, 1.0f), out = qparams(-6.0f, 5.0f);
    int i;
    set_window(&f, 3, 3, 2, 1, 1, 1);
    for (i = 0; i < 72; i++) {
        w[i] = rng_float(-0.5f, 0.5f);
    }
    for (i = 0; i < 4; i++) {
        b[i] = rng_float(-0.5f, 0.5f);
    }
    f.weight_f32 = w;
    f.bias_f32 = b;
    quantize_conv(&f, &q, &t, in, out);
    CHECK(compare_int8_conv(&f, &q, &t, in, 20, 0));
    f.activation = q.activation = TML_ACT_RELU6;
    CHECK(compare_int8_conv(&f, &q, &t, in, 20, 0));
    /* conv1d valid */
    {
        tml_layer_t f1 = layer_of(TML_LAYER_CONV, TML_ACT_RELU, 1, 6, 2, 1, 4, 3), q1;
        set_window(&f1, 1, 3, 1, 1, 0, 0);
        f1.weight_f32 = w;
        f1.bias_f32 = b;
        quantize_conv(&f1, &q1, &t, in, out);
        CHECK(compare_int8_conv(&f1, &q1, &t, in, 20, 0));
    }
}

static void test_int8_relu6_bound_and_padding(void)
{
    /* one weight of 127 on a 1x3 input with same padding (kernel 3): every window but the
     * middle one touches padding, which must add nothing although in_zero is not 0 */
    static const int8_t w[] = {1, 1, 1};
    static const int32_t m[] = {1 << 30}; /* 0.5 */
    static const int8_t s[] = {1};        /* * 2: requantized value = acc */
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 3, 1, 1, 3, 1);
    tml_net_t net;
    int8_t *in = (int8_t *)(void *)arena;
    int8_t *out = (int8_t *)(void *)arena + 4;
    set_window(&l, 1, 3, 1, 1, 0, 1);
    l.weight_i8 = w;
    l.multiplier = m;
    l.shift = s;
    l.in_scale = 0.5f;
    l.in_zero = 10;
    l.out_scale = 0.05f;
    l.out_zero = -100;
    l.in_offset = 0;
    l.out_offset = 4;
    net = net_of(&l, 1, 1, 8);
    CHECK(tml_net_validate(&net) == TML_OK);
    in[0] = 12;
    in[1] = 15;
    in[2] = 30;
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
    CHECK(out[0] == -100 + 2 + 5 && out[1] == -100 + 2 + 5 + 20 && out[2] == -100 + 5 + 20);
    /* relu6: bound = out_zero + round(6 / 0.05) = -100 + 120 = 20 */
    l.activation = TML_ACT_RELU6;
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
    CHECK(out[0] == -93 && out[1] == -73 && out[2] == -75);
    in[0] = 127;
    in[1] = 127;
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
    CHECK(out[0] == 20 && out[1] == 20);
    /* relu: nothing below out_zero; identity: clamped at -128 */
    in[0] = in[1] = in[2] = -128;
    l.activation = TML_ACT_RELU;
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
    CHECK(out[0] == -100 && out[1] == -100 && out[2] == -100);
    l.activation = TML_ACT_IDENTITY;
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
    CHECK(out[0] == -128 && out[1] == -128);
    /* relu6 bound saturates at 127 for a tiny scale */
    l.activation = TML_ACT_RELU6;
    l.out_scale = 0.01f;
    l.out_zero = 0;
    in[0] = in[1] = in[2] = 127;
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
    CHECK(out[1] == 127);
}

static void test_int8_out_float_and_bias(void)
{
    /* dense 2 -> 2 writing float: out = (bias + sum (q - zero) w) * channel_scale */
    static const int8_t w[] = {3, -2, 1, 4};
    static const int32_t bias[] = {100, -7};
    static const float cs[] = {0.25f, 0.5f};
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 1, 2, 1, 1, 2);
    tml_net_t net;
    const float x[2] = {1.0f, -0.5f}; /* scale 0.5, zero 3: q = 5, 2 */
    float y[2];
    l.weight_i8 = w;
    l.bias_i32 = bias;
    l.channel_scale = cs;
    l.in_scale = 0.5f;
    l.in_zero = 3;
    l.out_scale = 0.0f; /* unused with out_float */
    l.out_float = 1;
    l.in_offset = 0;
    l.out_offset = 4;
    net = net_of(&l, 1, 1, 12);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 12, y, 2) == TML_OK);
    CHECK(y[0] == (100.0f + 2 * 3 + (-1) * (-2)) * 0.25f);
    CHECK(y[1] == (-7.0f + 2 * 1 + (-1) * 4) * 0.5f);
    /* softmax on float output */
    l.activation = TML_ACT_SOFTMAX;
    CHECK(tml_net_predict(&net, x, arena, 12, y, 2) == TML_OK);
    CHECK(near(y[0] + y[1], 1.0f, 1e-6f) && y[0] > 0.99f);
}

static void test_int8_softmax_on_int8_output(void)
{
    /* softmax with an int8 output: probabilities quantized with scale 1/256, zero -128 */
    static const int8_t w[] = {1, 0, 0, 1, 1, 1};
    static const float cs[] = {0.1f, 0.1f, 0.1f};
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_SOFTMAX, 1, 1, 2, 1, 1, 3);
    tml_net_t net;
    const float x[2] = {1.0f, 2.0f}; /* scale 0.1, zero 0: q = 10, 20 */
    float y[3];
    double z0 = 1.0, z1 = 2.0, z2 = 3.0, total = exp(z0) + exp(z1) + exp(z2);
    l.weight_i8 = w;
    l.channel_scale = cs;
    l.in_scale = 0.1f;
    l.out_scale = 1.0f / 256.0f;
    l.out_zero = -128;
    l.in_offset = 0;
    l.out_offset = 4;
    net = net_of(&l, 1, 1, 8);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 8, y, 3) == TML_OK);
    CHECK(fabs((double)y[0] - exp(z0) / total) <= 0.5 / 256 + 1e-6);
    CHECK(fabs((double)y[1] - exp(z1) / total) <= 0.5 / 256 + 1e-6);
    CHECK(fabs((double)y[2] - exp(z2) / total) <= 0.5 / 256 + 1e-6);
    CHECK(tml_net_class_from_output(&net, y) == 2);
}

static void test_int8_pools_on_q(void)
{
    /* 1x4x2 input, kernel 2 stride 2: averages round half away from zero */
    tml_layer_t l = layer_of(TML_LAYER_AVG_POOL, TML_ACT_IDENTITY, 1, 4, 2, 1, 2, 2);
    tml_net_t net;
    int8_t *in = (int8_t *)(void *)arena;
    int8_t *out = (int8_t *)(void *)arena + 8;
    const int8_t q[8] = {1, -1, 2, -2, 1, -3, 2, 0};
    set_window(&l, 1, 2, 1, 2, 0, 0);
    l.in_scale = l.out_scale = 0.1f;
    l.in_zero = l.out_zero = 5;
    l.in_offset = 0;
    l.out_offset = 8;
    net = net_of(&l, 1, 1, 12);
    CHECK(tml_net_validate(&net) == TML_OK);
    memcpy(in, q, 8);
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
    CHECK(out[0] == 2 && out[1] == -2 && out[2] == 2 && out[3] == -2); /* 1.5, -1.5, 1.5, -1.5 */
    l.kind = TML_LAYER_MAX_POOL;
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
    CHECK(out[0] == 2 && out[1] == -1 && out[2] == 2 && out[3] == 0);
    {
        /* same padding: 1x3x1, kernel 2 stride 2: the last window has one position */
        tml_layer_t p = layer_of(TML_LAYER_AVG_POOL, TML_ACT_IDENTITY, 1, 3, 1, 1, 2, 1);
        tml_net_t pn;
        set_window(&p, 1, 2, 1, 2, 0, 0);
        p.in_offset = 0;
        p.out_offset = 4;
        pn = net_of(&p, 1, 1, 8);
        CHECK(tml_net_validate(&pn) == TML_OK);
        in[0] = -7;
        in[1] = -8;
        in[2] = -9;
        CHECK(tml_net_run_layer(&pn, 0, arena) == TML_OK);
        CHECK(in[4] == -8 && in[5] == -9); /* -7.5 -> -8 */
    }
}

static void test_int8_activation_and_affine(void)
{
    /* ACTIVATION and AFFINE on int8: dequantize, compute, quantize with the output's params */
    static const float w[] = {2.0f, -1.0f};
    static const float b[] = {0.5f, 0.25f};
    tml_layer_t layers[2];
    tml_net_t net;
    const float x[2] = {1.0f, -2.0f}; /* scale 0.25, zero -8: q = -4, -16 */
    float y[2];
    layers[0] = layer_of(TML_LAYER_AFFINE, TML_ACT_IDENTITY, 1, 1, 2, 1, 1, 2);
    layers[0].weight_f32 = w;
    layers[0].bias_f32 = b;
    layers[0].in_scale = 0.25f;
    layers[0].in_zero = -8;
    layers[0].out_scale = 0.125f;
    layers[0].out_zero = 0;
    layers[1] = layer_of(TML_LAYER_ACTIVATION, TML_ACT_TANH, 1, 1, 2, 1, 1, 2);
    layers[1].in_scale = 0.125f;
    layers[1].in_zero = 0;
    layers[1].out_scale = 1.0f / 128.0f;
    layers[1].out_zero = 0;
    net = net_of(layers, 2, 1, 4); /* both in place at 0 */
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK); /* whatever is there: no crash */
    CHECK(tml_net_load_input(&net, x, arena) == TML_OK);
    CHECK(((int8_t *)(void *)arena)[0] == -4 && ((int8_t *)(void *)arena)[1] == -16);
    CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
    /* 2.5 -> q 20; 2.25 -> q 18 */
    CHECK(((int8_t *)(void *)arena)[0] == 20 && ((int8_t *)(void *)arena)[1] == 18);
    CHECK(tml_net_predict(&net, x, arena, 4, y, 2) == TML_OK);
    CHECK(y[0] == (float)tml_quantize_i8(tanhf(2.5f), 1.0f / 128.0f, 0) / 128.0f);
    CHECK(y[1] == (float)tml_quantize_i8(tanhf(2.25f), 1.0f / 128.0f, 0) / 128.0f);
}

static void test_class_from_output(void)
{
    static const float w[] = {1.0f};
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_LOGISTIC, 1, 1, 1, 1, 1, 1);
    tml_net_t net;
    float half = 0.5f, above = 0.50001f, below = 0.49f;
    const float three[3] = {0.2f, 0.7f, 0.7f};
    l.weight_f32 = w;
    l.out_offset = 4;
    net = net_of(&l, 1, 0, 8);
    CHECK(tml_net_class_from_output(&net, &half) == 0); /* sklearn: p > 0.5 */
    CHECK(tml_net_class_from_output(&net, &above) == 1);
    CHECK(tml_net_class_from_output(&net, &below) == 0);
    l.activation = TML_ACT_IDENTITY; /* a linear classifier's decision score: class 1 above 0 */
    CHECK(tml_net_class_from_output(&net, &above) == 1);
    {
        float zero = 0.0f, negative = -0.25f;
        CHECK(tml_net_class_from_output(&net, &zero) == 0);
        CHECK(tml_net_class_from_output(&net, &negative) == 0);
    }
    l = layer_of(TML_LAYER_CONV, TML_ACT_SOFTMAX, 1, 1, 1, 1, 1, 3);
    net = net_of(&l, 1, 0, 16);
    CHECK(tml_net_class_from_output(&net, three) == 1); /* first largest */
    {
        /* end to end: logistic(-2 x) for x = 1 and x = -1 */
        static const float wn[] = {-2.0f};
        tml_layer_t d = layer_of(TML_LAYER_CONV, TML_ACT_LOGISTIC, 1, 1, 1, 1, 1, 1);
        float x = 1.0f, y;
        d.weight_f32 = wn;
        CHECK(run_single(&d, &x, &y) == TML_OK);
        net = net_of(&d, 1, 0, 8);
        CHECK(tml_net_class_from_output(&net, &y) == 0);
        x = -1.0f;
        CHECK(run_single(&d, &x, &y) == TML_OK);
        CHECK(tml_net_class_from_output(&net, &y) == 1);
    }
}

/* The model methods: predict's class, predict_proba (one logistic output gives [1 - p, p]),
 * decision_function and a regressor's predict, against tml_net_predict. */
static void test_model_methods(void)
{
    static const float w1[] = {-2.0f}, w3[] = {1.0f, -1.0f, 0.5f};
    tml_layer_t l = layer_of(TML_LAYER_CONV, TML_ACT_LOGISTIC, 1, 1, 1, 1, 1, 1);
    tml_net_t net;
    float x = 0.25f, out[3], proba[3], p;
    l.weight_f32 = w1;
    l.out_offset = 4;
    net = net_of(&l, 1, 0, 8);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_n_proba(&net) == 2);
    CHECK(tml_net_predict(&net, &x, arena, 8, &p, 1) == TML_OK);
    CHECK(tml_net_predict_proba(&net, &x, arena, 8, proba, 2) == TML_OK);
    CHECK(proba[1] == p && proba[0] == 1.0f - p);
    CHECK(tml_net_predict_proba(&net, &x, arena, 8, proba, 1) == TML_E_SIZE);
    CHECK(tml_net_predict_class(&net, &x, arena, 8, out, 1) == (p > 0.5f ? 1 : 0));
    CHECK(tml_net_predict_class(&net, &x, arena, 4, out, 1) == TML_E_SIZE);
    CHECK(tml_net_decision_function(&net, &x, arena, 8, out, 1) == TML_OK && out[0] == p);
    CHECK(tml_net_predict_values(&net, &x, arena, 8, out, 1) == TML_OK && out[0] == p);
    CHECK(tml_net_proba_inplace(&net, NULL, 2) == TML_E_NULL);
    /* three softmax outputs: predict_proba is the outputs themselves */
    l = layer_of(TML_LAYER_CONV, TML_ACT_SOFTMAX, 1, 1, 1, 1, 1, 3);
    l.weight_f32 = w3;
    l.out_offset = 4;
    net = net_of(&l, 1, 0, 16);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_n_proba(&net) == 3);
    CHECK(tml_net_predict(&net, &x, arena, 16, out, 3) == TML_OK);
    CHECK(tml_net_predict_proba(&net, &x, arena, 16, proba, 3) == TML_OK);
    CHECK(proba[0] == out[0] && proba[1] == out[1] && proba[2] == out[2]);
    CHECK(tml_net_predict_class(&net, &x, arena, 16, proba, 3) == tml_argmax(out, 3));
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

static void valid_float_net(tml_layer_t *layers)
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
static void valid_int8_net(tml_layer_t *layers)
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
static void b_kind(tml_layer_t *l, tml_net_t *n) { (void)n; l[1].kind = 5; }
static void b_kind_negative(tml_layer_t *l, tml_net_t *n) { (void)n; l[1].kind = -1; }
static void b_activation(tml_layer_t *l, tml_net_t *n) { (void)n; l[0].activation = 6; }
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
    l[1].in_h = 2; /* 2x8x2 has the conv's 32 elements but is no flatten */
    l[1].in_w = 8;
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

static void test_flatten_before_dense(void)
{
    /* a 1x1 conv on 1x2x2, then a dense layer on its output flattened to 1x1x4 */
    static const float w0[] = {1, 0, 0, 1}; /* 1x1 conv, 2 -> 2 channels, identity */
    static const float w1[] = {1, 10, 100, 1000};
    tml_layer_t layers[2];
    tml_net_t net;
    const float x[4] = {1, 2, 3, 4};
    float y[1];
    layers[0] = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 2, 2, 1, 2, 2);
    layers[0].weight_f32 = w0;
    layers[0].out_offset = 16;
    layers[1] = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 1, 4, 1, 1, 1);
    layers[1].weight_f32 = w1;
    layers[1].in_offset = 16;
    layers[1].out_offset = 0;
    net = net_of(layers, 2, 0, 32);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 32, y, 1) == TML_OK);
    CHECK(y[0] == 4321.0f);
}

static void test_predict_argument_checks(void)
{
    tml_layer_t layers[3];
    tml_net_t net;
    float x[16] = {0}, y[3];
    valid_float_net(layers);
    net = net_of(layers, 3, 0, 192);
    CHECK(tml_net_predict(&net, x, arena, 192, y, 3) == TML_OK);
    CHECK(tml_net_predict(NULL, x, arena, 192, y, 3) == TML_E_NULL);
    CHECK(tml_net_predict(&net, NULL, arena, 192, y, 3) == TML_E_NULL);
    CHECK(tml_net_predict(&net, x, NULL, 192, y, 3) == TML_E_NULL);
    CHECK(tml_net_predict(&net, x, arena, 192, NULL, 3) == TML_E_NULL);
    CHECK(tml_net_predict(&net, x, arena, 188, y, 3) == TML_E_SIZE);  /* small arena */
    CHECK(tml_net_predict(&net, x, arena, 192, y, 2) == TML_E_SIZE);  /* short out */
    CHECK(tml_net_predict(&net, x, (unsigned char *)(void *)arena + 2, 192, y, 3) == TML_E_ARENA);
    CHECK(tml_net_run_layer(&net, 3, arena) == TML_E_SIZE);
    CHECK(tml_net_run_layer(&net, -1, arena) == TML_E_SIZE);
    CHECK(tml_net_run_layer(&net, 0, NULL) == TML_E_NULL);
    CHECK(tml_net_load_input(&net, NULL, arena) == TML_E_NULL);
    CHECK(tml_net_read_output(&net, arena, y, 2) == TML_E_SIZE);
    CHECK(tml_net_read_output(&net, arena, NULL, 3) == TML_E_NULL);
}

/* ---- the int8 kernels against the plain loops they replaced ---- */

/* The requantized output of the previous kernels (tml_net_run_conv_requantized). */
static int8_t ref_requantized(const tml_layer_t *l, int32_t acc, int32_t c)
{
    int32_t lo = l->activation == TML_ACT_IDENTITY ? -128 : l->out_zero;
    int32_t hi = l->activation == TML_ACT_RELU6 ? tml_quantize_i8(6.0f, l->out_scale, l->out_zero) : 127;
    int32_t r = tml_requantize(acc, l->multiplier[c], (int32_t)l->shift[c]);
    r = (r > 256 ? 256 : r < -256 ? -256 : r) + l->out_zero;
    return (int8_t)(r < lo ? lo : r > hi ? hi : r);
}

static int32_t rng_int(int32_t lo, int32_t hi)
{
    return (int32_t)((int64_t)lo + (int64_t)(rng_u32() % (uint32_t)((int64_t)hi - lo + 1)));
}

/* An int32 near either end now and then (saturation), else moderate. */
static int32_t rng_bias(void)
{
    switch (rng_int(0, 5)) {
    case 0:
        return INT32_MAX - rng_int(0, 1 << 20);
    case 1:
        return INT32_MIN + rng_int(0, 1 << 20);
    default:
        return rng_int(-(1 << 22), 1 << 22);
    }
}

/* Random int8 layers, dense and 1-D/2-D convolutions with strides and padding, random zero
 * points, weights over the whole int8 range, biases up to saturation: every int32 sum and every
 * requantized output of the kernels, with the plain bias and with the folded one, equals the
 * reference loops'. Inputs and weights start at odd offsets too (unaligned word loads). */
static void test_int8_kernels_equal_plain_loops(void)
{
    static int8_t weights[4096 + 3], input[2048 + 3];
    static int32_t plain[64], folded[64], multiplier[64];
    static int8_t shift[64];
    int trial, mismatches = 0, folded_layers = 0;
    for (trial = 0; trial < 400; trial++) {
        int dense = trial % 3 == 0;
        int32_t kh = dense ? 1 : rng_int(1, 3), kw = dense ? 1 : rng_int(1, 5);
        int32_t ih = dense ? 1 : rng_int(kh, 5), iw = dense ? 1 : rng_int(kw, 9), ic = rng_int(1, dense ? 70 : 9);
        int32_t oc = rng_int(1, 12), sh = rng_int(1, 2), sw = rng_int(1, 3);
        int32_t pt = dense ? 0 : rng_int(0, kh - 1), pl = dense ? 0 : rng_int(0, kw - 1);
        int32_t oh = (ih + pt - 1) / sh + 1, ow = (iw + pl - 1) / sw + 1;
        int32_t per = kh * kw * ic, n_in = ih * iw * ic, n_out, i, c, oy, ox;
        int32_t w_at = rng_int(0, 3), in_at = rng_int(0, 3);
        int fold;
        tml_layer_t l;
        tml_net_t net;
        if (per * oc > 4096 || n_in > 2048 || oh * ow * oc > 1024) {
            continue;
        }
        /* every window must start inside the input (what validate asks) */
        while ((oh - 1) * sh - pt >= ih) {
            oh--;
        }
        while ((ow - 1) * sw - pl >= iw) {
            ow--;
        }
        n_out = oh * ow * oc;
        l = layer_of(TML_LAYER_CONV, rng_int(TML_ACT_IDENTITY, TML_ACT_RELU6), ih, iw, ic, oh, ow, oc);
        set_window(&l, kh, kw, sh, sw, pt, pl);
        for (i = 0; i < per * oc; i++) {
            weights[w_at + i] = (int8_t)rng_int(-128, 127);
        }
        for (i = 0; i < n_in; i++) {
            input[in_at + i] = (int8_t)rng_int(-128, 127);
        }
        l.weight_i8 = weights + w_at;
        l.in_zero = trial % 7 == 0 ? 0 : rng_int(-128, 127);
        l.out_zero = rng_int(-128, 127);
        l.out_scale = rng_float(0.01f, 1.0f);
        for (c = 0; c < oc; c++) {
            plain[c] = rng_bias();
            multiplier[c] = rng_int(1 << 30, INT32_MAX);
            shift[c] = (int8_t)rng_int(-20, 2);
        }
        l.multiplier = multiplier;
        l.shift = shift;
        l.out_offset = ((n_in + 3) / 4) * 4;
        net = net_of(&l, 1, 1, l.out_offset + n_out);
        CHECK(tml_net_validate(&net) == TML_OK);
        for (fold = 0; fold < 2; fold++) {
            if (fold) {
                /* what the compiler stores: bias - in_zero * sum(w), when it fits an int32 */
                for (c = 0; c < oc; c++) {
                    int64_t f = (int64_t)plain[c] - (int64_t)l.in_zero * tml_net_sum_i8(l.weight_i8 + c * per, per);
                    if (f > INT32_MAX || f < INT32_MIN) {
                        break;
                    }
                    folded[c] = (int32_t)f;
                }
                if (c < oc) {
                    continue;
                }
                folded_layers++;
            }
            l.bias_i32 = fold ? folded : (trial % 11 == 0 ? NULL : plain);
            l.bias_folded = fold;
            CHECK(tml_net_validate(&net) == TML_OK);
            for (oy = 0; oy < oh; oy++) {
                for (ox = 0; ox < ow; ox++) {
                    for (c = 0; c < oc; c++) {
                        int32_t want = ref_conv_i8(&l, l.bias_i32 != NULL ? plain : NULL, input + in_at, oy, ox, c);
                        mismatches += tml_net_conv_i8(&l, input + in_at, oy, ox, c) != want;
                    }
                }
            }
            /* the whole layer, through the dense or convolution kernel run_layer picks */
            memcpy(arena, input + in_at, (size_t)n_in);
            CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
            for (oy = 0; oy < oh; oy++) {
                for (ox = 0; ox < ow; ox++) {
                    for (c = 0; c < oc; c++) {
                        int32_t acc = ref_conv_i8(&l, l.bias_i32 != NULL ? plain : NULL, input + in_at, oy, ox, c);
                        int8_t got = ((const int8_t *)tml_arena_at(arena, l.out_offset))[(oy * ow + ox) * oc + c];
                        mismatches += got != ref_requantized(&l, acc, c);
                    }
                }
            }
        }
    }
    CHECK(mismatches == 0);
    CHECK(folded_layers > 200);
}

/* The largest window int8 sums allow, every term at its extreme: no overflow, either sign. */
static void test_int8_dot_extremes(void)
{
    static int8_t q[TML_MAX_I8_WINDOW + 1], w[TML_MAX_I8_WINDOW + 1];
    int32_t i;
    memset(q, -128, sizeof q);
    memset(w, -128, sizeof w);
    CHECK(tml_net_dot_i8(q, w, TML_MAX_I8_WINDOW) == TML_MAX_I8_WINDOW * 16384);
    CHECK(tml_net_dot_i8(q + 1, w, TML_MAX_I8_WINDOW) == TML_MAX_I8_WINDOW * 16384);
    memset(w, 127, sizeof w);
    CHECK(tml_net_dot_i8(q + 1, w + 1, TML_MAX_I8_WINDOW) == -TML_MAX_I8_WINDOW * 16256);
    for (i = 0; i < 7; i++) {
        q[i] = (int8_t)(i - 3);
        w[i] = (int8_t)(2 * i + 1);
    }
    /* lengths that leave 0-3 terms after the groups of four */
    CHECK(tml_net_dot_i8(q, w, 0) == 0);
    CHECK(tml_net_dot_i8(q, w, 3) == -3 - 6 - 5);
    CHECK(tml_net_dot_i8(q, w, 7) == -3 - 6 - 5 + 0 + 9 + 22 + 39);
    CHECK(tml_net_sum_i8(w, 7) == 49);
    /* two rows at once give each row's sum, from any alignment and length */
    {
        int32_t n, at, s2[2], ok = 1;
        for (i = 0; i < 64; i++) {
            q[i] = (int8_t)rng_u32();
            w[i] = (int8_t)rng_u32();
        }
        for (n = 0; n <= 21; n++) {
            for (at = 0; at < 4; at++) {
                tml_net_dot2_i8(q + at, w + at, w + 3 + 2 * at, n, s2);
                ok &= s2[0] == tml_net_dot_i8(q + at, w + at, n) && s2[1] == tml_net_dot_i8(q + at, w + 3 + 2 * at, n);
            }
        }
        CHECK(ok);
    }
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

static void test_layer_by_layer_equals_predict(void)
{
    tml_layer_t layers[3];
    tml_net_t net;
    float x[16], y1[3], y2[3];
    int k, i;
    for (i = 0; i < 16; i++) {
        x[i] = rng_float(-1.0f, 1.0f);
    }
    valid_int8_net(layers);
    net = net_of(layers, 3, 1, 192);
    CHECK(tml_net_predict(&net, x, arena, 192, y1, 3) == TML_OK);
    memset(arena, 0, sizeof arena);
    CHECK(tml_net_load_input(&net, x, arena) == TML_OK);
    for (k = 0; k < 3; k++) {
        CHECK(tml_net_run_layer(&net, k, arena) == TML_OK);
    }
    CHECK(tml_net_read_output(&net, arena, y2, 3) == TML_OK);
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
}

int main(void)
{
    test_model_methods();
    test_dense_float();
    test_dense_without_bias_and_two_layers();
    test_conv1d_valid();
    test_conv1d_same_stride2();
    test_conv2d_asymmetric_same();
    test_pools_same_padding();
    test_global_average_pool();
    test_affine_in_place();
    test_activations();
    test_quantize_i8();
    test_requantize_edges();
    test_requantize_random();
    test_requantize_equals_two_steps();
    test_int8_dense_against_float();
    test_int8_conv_against_float();
    test_int8_relu6_bound_and_padding();
    test_int8_out_float_and_bias();
    test_int8_softmax_on_int8_output();
    test_int8_pools_on_q();
    test_int8_activation_and_affine();
    test_class_from_output();
    test_validate_accepts_good_nets();
    test_validate_rejects_broken_nets();
    test_validate_window_rules();
    test_validate_int8_window_limit();
    test_flatten_before_dense();
    test_predict_argument_checks();
    test_layer_by_layer_equals_predict();
    test_int8_kernels_equal_plain_loops();
    test_int8_dot_extremes();
    test_validate_bias_folded();
    return CHECK_REPORT("net");
}
