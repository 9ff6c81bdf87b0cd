/* Unit tests of the neural-network runtime: int8 kernels (net_i8.h): int8 layers against their float32 originals within derived bounds, and the kernels (the portable dot products here; bench/nets/dsp_check.sh checks the DSP path in QEMU) against the plain loops of net_int8_reference.h. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x853c49e6748fea9bULL /* this file's pseudo-random sequence */
#include "check.h"
#include "net_test_util.h"
#include "net_int8_reference.h"

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
    CHECK(tml_net_validate(&net) == TML_E_ARENA); /* no room for the gathered window */
    add_window_buffer(&net);
    CHECK(net.arena_bytes == 16 && tml_net_validate(&net) == TML_OK); /* two windows of 3 bytes, 4 each */
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
    /* int8 in and out, as TFLite Micro's tensors: the same integers the float path dequantized */
    {
        const int8_t xq[2] = {10, 20};
        int8_t yq[3];
        int k;
        CHECK(tml_net_predict_i8(&net, xq, arena, 8, yq, 3) == TML_OK);
        for (k = 0; k < 3; k++) {
            CHECK(tml_dequantize_i8(yq[k], l.out_scale, l.out_zero) == y[k]);
        }
        CHECK(tml_net_predict_i8(&net, xq, arena, 8, yq, 2) == TML_E_SIZE);
        CHECK(tml_net_predict_i8(&net, NULL, arena, 8, yq, 3) == TML_E_NULL);
        l.out_float = 1; /* a float last output has no int8 values to give */
        CHECK(tml_net_predict_i8(&net, xq, arena, 8, yq, 3) == TML_E_KIND);
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
    for (trial = 0; trial < 500; trial++) {
        /* a third dense, a fifth 1x1 over several positions (two positions at a time) */
        int dense = trial % 3 == 0, pointwise = !dense && trial % 5 == 0;
        int32_t kh = dense || pointwise ? 1 : rng_int(1, 3), kw = dense || pointwise ? 1 : rng_int(1, 5);
        int32_t ih = dense ? 1 : rng_int(kh, 5), iw = dense ? 1 : rng_int(kw, 9);
        int32_t ic = rng_int(1, dense || pointwise ? 70 : 9);
        int32_t oc = rng_int(1, 12), sh = pointwise ? 1 : rng_int(1, 2), sw = pointwise ? 1 : rng_int(1, 3);
        int32_t pt = dense || pointwise ? 0 : rng_int(0, kh - 1), pl = dense || pointwise ? 0 : rng_int(0, kw - 1);
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
        add_window_buffer(&net);
        CHECK(tml_net_validate(&net) == TML_OK);
        for (fold = 0; fold < 2; fold++) {
            /* the second pass: what the compiler stores, bias - in_zero * sum(w) when every
             * channel's fits an int32, else the plain bias again */
            int folds = 0;
            if (fold) {
                for (c = 0; c < oc; c++) {
                    int64_t f = (int64_t)plain[c] - (int64_t)l.in_zero * tml_net_sum_i8(l.weight_i8 + c * per, per);
                    if (f > INT32_MAX || f < INT32_MIN) {
                        break;
                    }
                    folded[c] = (int32_t)f;
                }
                folds = c == oc;
                folded_layers += folds;
            }
            l.bias_i32 = folds ? folded : (trial % 11 == 0 ? NULL : plain);
            l.bias_folded = folds;
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

/* int8 DEPTHWISE: the kernel's sums and the requantized layer against a plain loop of
 * bias + sum (q - in_zero) * w over the inside taps, on random shapes, zero points and
 * multipliers; a folded bias is refused. */
static void test_int8_depthwise_equals_plain_loop(void)
{
    static int8_t weights[64 * 15], input[2048];
    static int32_t bias[64], multiplier[64];
    static int8_t shift[64];
    int trial, mismatches = 0;
    for (trial = 0; trial < 300; trial++) {
        int32_t kh = rng_int(1, 3), kw = rng_int(1, 5), ih = rng_int(kh, 6), iw = rng_int(kw, 8);
        /* a multiplier of 1 (four channels at a time, and the rest one by one) most often */
        int32_t ic = rng_int(1, 12), m = trial % 3 == 0 ? rng_int(2, 3) : 1, oc = ic * m;
        int32_t sh = rng_int(1, 2), sw = rng_int(1, 2);
        int32_t pt = rng_int(0, kh - 1), pl = rng_int(0, kw - 1);
        int32_t oh = (ih + pt - 1) / sh + 1, ow = (iw + pl - 1) / sw + 1, n_in = ih * iw * ic;
        int32_t i, c, oy, ox, ky, kx;
        tml_layer_t l;
        tml_net_t net;
        while ((oh - 1) * sh - pt >= ih) {
            oh--;
        }
        while ((ow - 1) * sw - pl >= iw) {
            ow--;
        }
        l = layer_of(TML_LAYER_DEPTHWISE, rng_int(TML_ACT_IDENTITY, TML_ACT_RELU6), ih, iw, ic, oh, ow, oc);
        set_window(&l, kh, kw, sh, sw, pt, pl);
        for (i = 0; i < oc * kh * kw; i++) {
            weights[i] = (int8_t)rng_int(-128, 127);
        }
        for (i = 0; i < n_in; i++) {
            input[i] = (int8_t)rng_int(-128, 127);
        }
        for (c = 0; c < oc; c++) {
            bias[c] = rng_bias();
            multiplier[c] = rng_int(1 << 30, INT32_MAX);
            shift[c] = (int8_t)rng_int(-20, 2);
        }
        l.weight_i8 = weights;
        l.bias_i32 = trial % 5 == 0 ? NULL : bias;
        l.multiplier = multiplier;
        l.shift = shift;
        l.in_zero = trial % 7 == 0 ? 0 : rng_int(-128, 127);
        l.out_zero = rng_int(-128, 127);
        l.out_scale = rng_float(0.01f, 1.0f);
        l.out_offset = ((n_in + 3) / 4) * 4;
        net = net_of(&l, 1, 1, l.out_offset + oh * ow * oc);
        CHECK(tml_net_validate(&net) == TML_OK);
        memcpy(arena, input, (size_t)n_in);
        CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
        for (oy = 0; oy < oh; oy++) {
            for (ox = 0; ox < ow; ox++) {
                for (c = 0; c < oc; c++) {
                    int64_t want = l.bias_i32 != NULL ? bias[c] : 0;
                    int8_t got = ((const int8_t *)tml_arena_at(arena, l.out_offset))[(oy * ow + ox) * oc + c];
                    for (ky = 0; ky < kh; ky++) {
                        for (kx = 0; kx < kw; kx++) {
                            int32_t y = oy * sh - pt + ky, x = ox * sw - pl + kx;
                            if (y >= 0 && y < ih && x >= 0 && x < iw) {
                                want += ((int32_t)input[(y * iw + x) * ic + c / m] - l.in_zero) *
                                        (int32_t)weights[(ky * kw + kx) * oc + c]; /* channel-minor */
                            }
                        }
                    }
                    want = want > INT32_MAX ? INT32_MAX : want < INT32_MIN ? INT32_MIN : want;
                    mismatches += tml_net_depthwise_i8(&l, input, oy, ox, c) != (int32_t)want;
                    mismatches += got != ref_requantized(&l, (int32_t)want, c);
                }
            }
        }
        l.bias_i32 = bias;
        l.bias_folded = 1;
        CHECK(tml_net_validate(&net) == TML_E_KIND);
    }
    CHECK(mismatches == 0);
}

/* Whether validate refuses the one-layer net with the row mask on its layer and takes it without. */
static int refused_only_with(const tml_net_t *net, tml_layer_t *l, const uint8_t *mask)
{
    int refused;
    l->row_mask = mask;
    refused = tml_net_validate(net) == TML_E_KIND;
    l->row_mask = NULL;
    return refused && tml_net_validate(net) == TML_OK;
}

/* int8 CONV with a row mask, storing only some channels' weight rows: the same bytes as the
 * layer with every row, the others all zeros, on random dense, pointwise (strided) and gathered
 * (larger kernel, padded) layers of up to 40 channels (batches of TML_NET_OUT_BATCH split
 * anywhere), with none, some or every row stored; validate refuses a mask elsewhere. */
static void test_int8_row_mask_equals_every_row(void)
{
    static int8_t full[40 * 80], stored[40 * 80], input[1024];
    static int32_t bias[40], multiplier[40];
    static int8_t shift[40];
    static uint8_t mask[5];
    int trial, mismatches = 0, partial = 0;
    for (trial = 0; trial < 400; trial++) {
        int shape = trial % 3; /* 0 dense, 1 pointwise, 2 gathered windows */
        int32_t kh = shape == 2 ? rng_int(1, 3) : 1, kw = shape == 2 ? rng_int(2, 3) : 1;
        int32_t ih = shape == 0 ? 1 : rng_int(kh, 5), iw = shape == 0 ? 1 : rng_int(kw, 6);
        int32_t ic = rng_int(1, shape == 2 ? 8 : 80), oc = rng_int(1, 40);
        int32_t sh = shape == 0 ? 1 : rng_int(1, 2), sw = shape == 0 ? 1 : rng_int(1, 2);
        int32_t pt = shape == 2 ? rng_int(0, kh - 1) : 0, pl = shape == 2 ? rng_int(0, kw - 1) : 0;
        int32_t oh = (ih + pt - kh) / sh + 1, ow = (iw + pl - kw) / sw + 1;
        int32_t per = kh * kw * ic, n_in = ih * iw * ic, n_out = oh * ow * oc, i, c, rows = 0;
        int32_t keep = rng_int(0, 4); /* in 4: the share of channels with a row */
        int8_t expected[1024];
        tml_layer_t l;
        tml_net_t net;
        if (per > 80 || n_in > 1024 || n_out > 1024 || oh < 1 || ow < 1) {
            continue;
        }
        l = layer_of(TML_LAYER_CONV, rng_int(TML_ACT_IDENTITY, TML_ACT_RELU6), ih, iw, ic, oh, ow, oc);
        set_window(&l, kh, kw, sh, sw, pt, pl);
        memset(mask, 0, sizeof mask);
        for (c = 0; c < oc; c++) {
            int has = rng_int(0, 3) < keep;
            mask[c >> 3] |= (uint8_t)(has << (c & 7));
            for (i = 0; i < per; i++) {
                full[c * per + i] = has ? (int8_t)rng_int(-128, 127) : 0;
            }
            if (has) {
                memcpy(stored + rows * per, full + c * per, (size_t)per);
                rows++;
            }
            bias[c] = rng_int(-(1 << 20), 1 << 20); /* folded: in_zero's share is in it */
            multiplier[c] = rng_int(1 << 30, INT32_MAX);
            shift[c] = (int8_t)rng_int(-20, 2);
        }
        partial += rows > 0 && rows < oc;
        for (i = 0; i < n_in; i++) {
            input[i] = (int8_t)rng_int(-128, 127);
        }
        l.bias_i32 = bias;
        l.bias_folded = 1;
        l.multiplier = multiplier;
        l.shift = shift;
        l.in_zero = rng_int(-128, 127);
        l.out_zero = rng_int(-128, 127);
        l.out_scale = rng_float(0.01f, 1.0f);
        l.out_offset = ((n_in + 3) / 4) * 4;
        net = net_of(&l, 1, 1, l.out_offset + n_out);
        add_window_buffer(&net);
        l.weight_i8 = full;
        CHECK(tml_net_validate(&net) == TML_OK);
        memcpy(arena, input, (size_t)n_in);
        CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
        memcpy(expected, tml_arena_at(arena, l.out_offset), (size_t)n_out);
        l.weight_i8 = stored;
        l.row_mask = mask;
        CHECK(tml_net_validate(&net) == TML_OK);
        memcpy(arena, input, (size_t)n_in);
        CHECK(tml_net_run_layer(&net, 0, arena) == TML_OK);
        mismatches += memcmp(expected, tml_arena_at(arena, l.out_offset), (size_t)n_out) != 0;
        /* only the whole-window kernel reads a mask: not a plain bias with a zero point, not a
         * float output, not a depthwise layer */
        l.bias_folded = 0;
        CHECK(tml_net_validate(&net) == (l.in_zero == 0 ? TML_OK : TML_E_KIND));
        l.bias_folded = 1;
        l.out_float = 1;
        l.channel_scale = (const float *)(const void *)multiplier;
        CHECK(tml_net_validate(&net) == TML_E_KIND);
        l.out_float = 0;
        l.channel_scale = NULL;
    }
    CHECK(mismatches == 0);
    CHECK(partial > 150);
    {
        /* a depthwise layer, and a float32 net's convolution: refused */
        tml_layer_t l = layer_of(TML_LAYER_DEPTHWISE, TML_ACT_IDENTITY, 2, 2, 1, 2, 2, 1);
        float weight = 1.0f;
        tml_net_t net = net_of(&l, 1, 1, 8);
        l.weight_i8 = full;
        l.multiplier = multiplier;
        l.shift = shift;
        l.out_offset = 4;
        CHECK(refused_only_with(&net, &l, mask));
        l = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 1, 1, 1, 1, 1);
        l.weight_f32 = &weight;
        l.out_offset = 4;
        net = net_of(&l, 1, 0, 8);
        CHECK(refused_only_with(&net, &l, mask));
    }
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

int main(void)
{
    test_int8_dense_against_float();
    test_int8_conv_against_float();
    test_int8_relu6_bound_and_padding();
    test_int8_out_float_and_bias();
    test_int8_softmax_on_int8_output();
    test_int8_activation_and_affine();
    test_int8_kernels_equal_plain_loops();
    test_int8_depthwise_equals_plain_loop();
    test_int8_row_mask_equals_every_row();
    test_int8_dot_extremes();
    return CHECK_REPORT("net_i8");
}
