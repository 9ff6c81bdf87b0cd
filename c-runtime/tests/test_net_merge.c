/* Unit tests of the neural-network runtime: layers of two inputs (net_merge.h) and graphs of layers (inputs from any earlier layer): ADD, MUL, MAX and CONCAT in float32 and int8, int8 ADD and MUL against TFLite's reference arithmetic written out here, a residual net end to end, and what tml_net_validate refuses in a graph. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x3c6ef372fe94f82bULL /* this file's pseudo-random sequence */
#include "check.h"
#include "net_test_util.h"

/* ---- TFLite's reference integer arithmetic, written the way gemmlowp states it ---- */

static int32_t ref_high_mul(int32_t a, int32_t b)
{
    int64_t ab = (int64_t)a * b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t ref_divide_pot(int32_t x, int32_t exponent)
{
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0); /* gcc shifts negatives arithmetically */
}

/* MultiplyByQuantizedMultiplier: left shift, high multiply, rounding right shift. */
static int32_t ref_multiply(int32_t x, int32_t multiplier, int32_t shift)
{
    int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    return ref_divide_pot(ref_high_mul(x * (1 << left), multiplier), right);
}

/* QuantizeMultiplier: real = q * 2^(shift - 31), q in [2^30, 2^31). */
static void ref_quantize_multiplier(double real, int32_t *q, int8_t *shift)
{
    int exponent;
    double fraction = frexp(real, &exponent);
    int64_t fixed = (int64_t)llround(fraction * (double)(1LL << 31));
    if (fixed == (1LL << 31)) {
        fixed /= 2;
        exponent++;
    }
    *q = (int32_t)fixed;
    *shift = (int8_t)exponent;
}

static int32_t clamp8(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- element by element ---- */

static tml_layer_t merge_layer(int32_t kind, int32_t n)
{
    tml_layer_t l = layer_of(kind, TML_ACT_IDENTITY, 1, 1, n, 1, 1, n);
    l.in_offset = 0;
    l.in2_offset = 4 * n;
    l.out_offset = 8 * n;
    return l;
}

static void test_float_merges(void)
{
    static const float factors[] = {1.0f, -0.5f};
    const float a[4] = {1.0f, -2.0f, 3.5f, NAN}, b[4] = {4.0f, 2.0f, -1.0f, 1.0f};
    float out[4];
    tml_net_t net;
    tml_layer_t l = merge_layer(TML_LAYER_ADD, 4);
    l.weight_f32 = factors;
    l.activation = TML_ACT_RELU;
    net = net_of(&l, 1, 0, 48);
    tml_net_run_merge(&net, &l, a, b, out);
    CHECK(out[0] == 0.0f && out[1] == 0.0f && out[2] == 4.0f); /* relu(a - b / 2) */
    l.kind = TML_LAYER_MUL;
    l.activation = TML_ACT_IDENTITY;
    tml_net_run_merge(&net, &l, a, b, out);
    CHECK(out[0] == 4.0f && out[1] == -4.0f && out[2] == -3.5f && isnan(out[3]));
    l.kind = TML_LAYER_MAX;
    tml_net_run_merge(&net, &l, a, b, out);
    CHECK(out[0] == 4.0f && out[1] == 2.0f && out[2] == 3.5f && isnan(out[3])); /* a NaN wins */
    tml_net_run_merge(&net, &l, b, a, out);
    CHECK(isnan(out[3]));
}

/* int8 ADD (with Subtract's negative factor too) and MUL on every pair of inputs, against
 * the reference arithmetic with TFLite's parameters. */
static void test_int8_add_and_mul_every_pair(void)
{
    const double s1 = 0.05, s2 = 0.1, so = 0.12, so_mul = 0.2;
    const int32_t z1 = 3, z2 = -7, zo = -2;
    int32_t m[3];
    int8_t sh[3];
    int8_t a[256], b[256], out[256];
    int32_t i, j, act, mismatches = 0;
    double twice_max = 2.0 * (s1 > s2 ? s1 : s2);
    tml_layer_t l = merge_layer(TML_LAYER_ADD, 256);
    tml_net_t net = net_of(&l, 1, 1, 768);
    ref_quantize_multiplier(s1 / twice_max, &m[0], &sh[0]);
    ref_quantize_multiplier(s2 / twice_max, &m[1], &sh[1]);
    ref_quantize_multiplier(twice_max / ((double)(1 << 20) * so), &m[2], &sh[2]);
    l.multiplier = m;
    l.shift = sh;
    l.in_scale = (float)s1;
    l.in_zero = z1;
    l.in2_scale = (float)s2;
    l.in2_zero = z2;
    l.out_scale = (float)so;
    l.out_zero = zo;
    for (i = 0; i < 256; i++) {
        a[i] = (int8_t)(i - 128);
    }
    for (act = TML_ACT_IDENTITY; act <= TML_ACT_RELU6; act++) {
        int32_t lo = act == TML_ACT_IDENTITY ? -128 : zo;
        int32_t hi = act == TML_ACT_RELU6 ? clamp8(zo + (int32_t)lround(6.0 / so), -128, 127) : 127;
        l.activation = act;
        for (j = 0; j < 256; j++) {
            memset(b, (int)(j - 128), sizeof b);
            tml_net_run_merge(&net, &l, a, b, out);
            for (i = 0; i < 256; i++) {
                int32_t x = ref_multiply((a[i] - z1) * (1 << 20), m[0], sh[0]);
                int32_t y = ref_multiply((b[i] - z2) * (1 << 20), m[1], sh[1]);
                mismatches += out[i] != clamp8(ref_multiply(x + y, m[2], sh[2]) + zo, lo, hi);
            }
        }
    }
    CHECK(mismatches == 0);
    /* and close to the real sum */
    memset(b, 50, sizeof b);
    l.activation = TML_ACT_IDENTITY;
    tml_net_run_merge(&net, &l, a, b, out);
    for (i = 0; i < 256; i++) {
        double real = s1 * (a[i] - z1) + s2 * (50 - z2);
        if (real / so + zo < 126.5) {
            CHECK(fabs(so * (out[i] - zo) - real) <= 0.5 * so + 1e-9);
        }
    }
    /* Subtract: the second input's factor negative, within one step of the real difference */
    m[1] = -m[1];
    tml_net_run_merge(&net, &l, a, b, out);
    for (i = 0; i < 256; i++) {
        double real = s1 * (a[i] - z1) - s2 * (50 - z2);
        if (real / so + zo > -127.5 && real / so + zo < 126.5) {
            CHECK(fabs(so * (out[i] - zo) - real) <= 0.5 * so + 1e-9);
        }
    }

    /* input factors far above a converter's 1/2 (a hand-made or damaged net): the scaled
     * inputs' sum saturates instead of overflowing (UBSan checks), so two large inputs give
     * the top of the range */
    m[1] = -m[1];
    sh[0] = sh[1] = 30;
    memset(b, 127, sizeof b);
    tml_net_run_merge(&net, &l, a, b, out);
    CHECK(out[255] == 127);

    l.kind = TML_LAYER_MUL;
    ref_quantize_multiplier(s1 * s2 / so_mul, &m[0], &sh[0]);
    l.out_scale = (float)so_mul;
    mismatches = 0;
    for (j = 0; j < 256; j++) {
        memset(b, (int)(j - 128), sizeof b);
        tml_net_run_merge(&net, &l, a, b, out);
        for (i = 0; i < 256; i++) {
            int32_t r = ref_multiply((a[i] - z1) * (b[i] - z2), m[0], sh[0]) + zo;
            mismatches += out[i] != clamp8(r, -128, 127);
        }
    }
    CHECK(mismatches == 0);
}

static void test_int8_max_and_concat(void)
{
    int8_t a[4] = {-128, 0, 10, 127}, b[6] = {5, 5, 5, 5, -3, 9}, out[12];
    tml_layer_t l = merge_layer(TML_LAYER_MAX, 4);
    tml_net_t net = net_of(&l, 1, 1, 48);
    int32_t i;
    l.in_scale = 0.5f;
    l.in2_scale = 1.0f;
    l.out_scale = 1.0f;
    tml_net_run_merge(&net, &l, a, b, out);
    CHECK(out[0] == 5 && out[1] == 5 && out[2] == 5 && out[3] == 64); /* 127 * 0.5 = 63.5 -> 64 */
    /* 2 positions: a's 2 channels then b's 3; b shares the output's parameters, a does not */
    l = layer_of(TML_LAYER_CONCAT, TML_ACT_IDENTITY, 1, 2, 2, 1, 2, 5);
    l.in_scale = 0.5f;
    l.out_scale = 1.0f;
    tml_net_run_concat(&net, &l, a, b, out);
    {
        const int8_t expected[10] = {-64, 0, 5, 5, 5, 5, 64, 5, -3, 9};
        for (i = 0; i < 10; i++) {
            CHECK(out[i] == expected[i]);
        }
    }
}

/* ---- graphs ---- */

/* y = relu(W x + b) + x, x in 1x1x2: a dense layer, then an ADD of its output and the net's
 * input (in2_from 1: one layer further back than the previous, the net's input). */
static void test_residual_net(void)
{
    static const float w[] = {1.0f, 2.0f, -1.0f, 0.5f}, bias[] = {0.5f, -4.0f}, ones[] = {1.0f, 1.0f};
    tml_layer_t layers[2];
    tml_net_t net;
    const float x[2] = {1.5f, -2.0f};
    float y[2];
    layers[0] = layer_of(TML_LAYER_CONV, TML_ACT_RELU, 1, 1, 2, 1, 1, 2);
    layers[0].weight_f32 = w;
    layers[0].bias_f32 = bias;
    layers[0].out_offset = 8;
    layers[1] = merge_layer(TML_LAYER_ADD, 2);
    layers[1].weight_f32 = ones;
    layers[1].in_offset = 8;
    layers[1].in2_offset = 0;
    layers[1].in2_from = 1;
    layers[1].out_offset = 8; /* in place over the dense output */
    net = net_of(layers, 2, 0, 16);
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 16, y, 2) == TML_OK);
    CHECK(y[0] == 0.0f + 1.5f);              /* relu(1.5 - 4 + 0.5) = 0 */
    CHECK(y[1] == (-1.5f - 1.0f - 4.0f > 0 ? 1.0f : 0.0f) - 2.0f); /* relu(-6.5) = 0 */

    /* the second input must be where its producer wrote it, and still there */
    layers[1].in2_offset = 4;
    CHECK(tml_net_validate(&net) == TML_E_ARENA);
    layers[1].in2_offset = 0;
    layers[0].out_offset = 4; /* the dense output overwrites half the input the ADD reads */
    layers[1].in_offset = 4;
    layers[1].out_offset = 4;
    net.arena_bytes = 12;
    CHECK(tml_net_validate(&net) == TML_E_ARENA);
    layers[0].out_offset = 8;
    layers[1].in_offset = 8;
    layers[1].out_offset = 8;
    net.arena_bytes = 16;
    CHECK(tml_net_validate(&net) == TML_OK);
    /* producers that do not exist, a shape that is not the producer's, a clamp it cannot do */
    layers[1].in2_from = 2;
    CHECK(tml_net_validate(&net) == TML_E_KIND);
    layers[1].in2_from = 1;
    layers[0].in2_from = 1;
    CHECK(tml_net_validate(&net) == TML_E_KIND);
    layers[0].in2_from = 0;
    layers[1].activation = TML_ACT_TANH;
    CHECK(tml_net_validate(&net) == TML_E_KIND);
    layers[1].activation = TML_ACT_IDENTITY;
    layers[1].out_c = 3; /* an element-by-element output is its inputs' shape (the fuzzer's find) */
    CHECK(tml_net_validate(&net) == TML_E_SHAPE);
    layers[1].out_c = 2;
    layers[1].weight_f32 = NULL;
    CHECK(tml_net_validate(&net) == TML_E_NULL);
    layers[1].weight_f32 = ones;
    layers[1].kind = TML_LAYER_CONCAT;
    layers[1].out_c = 3; /* the second input would have 1 channel; the net's input has 2 */
    CHECK(tml_net_validate(&net) == TML_E_SHAPE);
    layers[1].out_c = 4;
    CHECK(tml_net_validate(&net) == TML_E_ARENA); /* a concatenation never works in place */
    layers[1].out_offset = 16;
    net.arena_bytes = 32;
    CHECK(tml_net_validate(&net) == TML_OK);
    CHECK(tml_net_predict(&net, x, arena, 32, y, 2) == TML_E_SIZE); /* 4 outputs now */
}

/* An int8 graph: its second input's parameters must be its producer's output's. */
static void test_int8_graph_parameters(void)
{
    static const int8_t w[] = {64, 0, 0, 64};
    static const int32_t mult[] = {1 << 30, 1 << 30}, add_mult[] = {1 << 30, 1 << 30, 1 << 30};
    static const int8_t shifts[] = {0, 0}, add_shifts[] = {0, 0, -19};
    tml_layer_t layers[2];
    tml_net_t net;
    layers[0] = layer_of(TML_LAYER_CONV, TML_ACT_IDENTITY, 1, 1, 2, 1, 1, 2);
    layers[0].weight_i8 = w;
    layers[0].multiplier = mult;
    layers[0].shift = shifts;
    layers[0].in_scale = 0.1f;
    layers[0].out_scale = 0.2f;
    layers[0].out_offset = 4;
    layers[1] = merge_layer(TML_LAYER_ADD, 2);
    layers[1].in_offset = 4;
    layers[1].in2_offset = 0;
    layers[1].in2_from = 1;
    layers[1].multiplier = add_mult;
    layers[1].shift = add_shifts;
    layers[1].in_scale = 0.2f;
    layers[1].in2_scale = 0.1f;
    layers[1].out_offset = 8;
    net = net_of(layers, 2, 1, 12);
    CHECK(tml_net_validate(&net) == TML_OK);
    layers[1].in2_zero = 1;
    CHECK(tml_net_validate(&net) == TML_E_SCALE);
    layers[1].in2_zero = 0;
    layers[1].multiplier = NULL;
    CHECK(tml_net_validate(&net) == TML_E_NULL);
    layers[1].multiplier = add_mult;
    {
        static const int32_t small[] = {1 << 29, 1 << 30, 1 << 30};
        layers[1].multiplier = small;
        CHECK(tml_net_validate(&net) == TML_E_SCALE);
    }
}

int main(void)
{
    test_float_merges();
    test_int8_add_and_mul_every_pair();
    test_int8_max_and_concat();
    test_residual_net();
    test_int8_graph_parameters();
    return CHECK_REPORT("net_merge");
}
