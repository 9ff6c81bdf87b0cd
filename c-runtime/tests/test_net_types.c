/* Unit tests of the kernel selection in net_types.h: a build with only the layers and
 * activations a model uses (TML_NET_LAYERS, TML_NET_ACTIVATIONS, as a generated header sets
 * them) predicts exactly what the full runtime predicts, and refuses a net that needs a kernel
 * it left out. tests/second_unit.c is the full runtime in the same binary. */
#define TML_NET_LAYERS ((1L << TML_LAYER_CONV) | (1L << TML_LAYER_MAX_POOL))
#define TML_NET_ACTIVATIONS ((1L << TML_ACT_IDENTITY) | (1L << TML_ACT_RELU) | (1L << TML_ACT_SOFTMAX))

#define CHECK_RNG_SEED 0x5d1f0c3a7e92b461ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "net_test_util.h"

int32_t second_unit_net_outputs(const tml_net_t *net);
int second_unit_net_predict(const tml_net_t *net, const float *x, void *arena, int32_t arena_bytes, float *out,
                            int32_t n_out);

static float full_arena[4096];

static void fill(float *v, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        v[i] = rng_float(-1.0f, 1.0f);
    }
}

/* The conv / max pool / dense softmax net of net_test_util.h, in float32 and int8: the
 * trimmed build gives the full build's outputs bit for bit. */
static void test_trimmed_build_predicts_the_same(void)
{
    tml_layer_t layers[3];
    int quantized;
    fill(v_conv_w, 18);
    fill(v_dense_w, 24);
    for (quantized = 0; quantized <= 1; quantized++) {
        tml_net_t net;
        float x[16], mine[3], full[3];
        int row, i;
        if (quantized) {
            valid_int8_net(layers);
            for (i = 0; i < 18; i++) {
                v_conv_w8[i] = (int8_t)(rng_u32() % 255u) - 127;
            }
            for (i = 0; i < 24; i++) {
                v_dense_w8[i] = (int8_t)(rng_u32() % 255u) - 127;
            }
        } else {
            valid_float_net(layers);
        }
        net = net_of(layers, 3, quantized, 192);
        CHECK(tml_net_validate(&net) == TML_OK);
        for (row = 0; row < 20; row++) {
            fill(x, 16);
            CHECK(tml_net_predict(&net, x, arena, (int32_t)sizeof arena, mine, 3) == TML_OK);
            CHECK(second_unit_net_predict(&net, x, full_arena, (int32_t)sizeof full_arena, full, 3) == TML_OK);
            for (i = 0; i < 3; i++) {
                CHECK(memcmp(&mine[i], &full[i], sizeof mine[i]) == 0);
            }
        }
    }
}

/* A layer kind or an activation left out: this build's validator refuses the net (the full
 * build takes it), so a net from elsewhere never reaches a missing kernel. */
static void test_left_out_kernels_are_refused(void)
{
    tml_layer_t layers[3];
    tml_net_t net = net_of(layers, 3, 0, 192);
    valid_float_net(layers);
    layers[0].activation = TML_ACT_TANH;
    CHECK(tml_net_validate(&net) == TML_E_KIND);
    CHECK(second_unit_net_outputs(&net) == 3);
    valid_float_net(layers);
    layers[1].kind = TML_LAYER_AVG_POOL;
    CHECK(tml_net_validate(&net) == TML_E_KIND);
    CHECK(second_unit_net_outputs(&net) == 3);
    CHECK(TML_NET_HAS_LAYER(TML_LAYER_CONV) && !TML_NET_HAS_LAYER(TML_LAYER_DEPTHWISE));
    CHECK(TML_NET_HAS_ACTIVATION(TML_ACT_SOFTMAX) && !TML_NET_HAS_ACTIVATION(TML_ACT_ELU));
}

int main(void)
{
    test_trimmed_build_predicts_the_same();
    test_left_out_kernels_are_refused();
    return CHECK_REPORT("net_types");
}
