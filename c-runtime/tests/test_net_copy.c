/* Unit tests of the neural-network runtime: layers that move values (net_copy.h): zero padding and cropping (PAD with positive and negative offsets) and nearest upsampling, float32 and int8, and their checks. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x9b05688c2b3e6c1fULL /* this file's pseudo-random sequence */
#include "check.h"
#include "net_test_util.h"

/* in: 2 x 3 x 1 = 1 2 3 / 4 5 6 */
static const float grid[6] = {1, 2, 3, 4, 5, 6};

static void test_padding_and_cropping(void)
{
    float out[20];
    tml_layer_t l = layer_of(TML_LAYER_PAD, TML_ACT_IDENTITY, 2, 3, 1, 4, 5, 1);
    tml_net_t net;
    int32_t i;
    l.pad_top = 1;
    l.pad_left = 1;
    l.out_offset = 24;
    net = net_of(&l, 1, 0, 104);
    CHECK(tml_net_validate(&net) == TML_OK);
    tml_net_run_copy(&net, &l, grid, out);
    {
        const float want[20] = {0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0};
        for (i = 0; i < 20; i++) {
            CHECK(out[i] == want[i]);
        }
    }
    /* cropping: the bottom-right 1 x 2 */
    l = layer_of(TML_LAYER_PAD, TML_ACT_IDENTITY, 2, 3, 1, 1, 2, 1);
    l.pad_top = -1;
    l.pad_left = -1;
    tml_net_run_copy(&net, &l, grid, out);
    CHECK(out[0] == 5 && out[1] == 6);
    /* int8 pads with the zero point */
    {
        const int8_t q[6] = {10, 20, 30, 40, 50, 60};
        int8_t o[8];
        tml_net_t qn = net_of(&l, 1, 1, 16);
        l = layer_of(TML_LAYER_PAD, TML_ACT_IDENTITY, 2, 3, 1, 2, 4, 1);
        l.in_zero = l.out_zero = -7;
        tml_net_run_copy(&qn, &l, q, o);
        CHECK(o[0] == 10 && o[2] == 30 && o[3] == -7 && o[4] == 40 && o[7] == -7);
    }
}

static void test_upsampling(void)
{
    float out[24];
    tml_layer_t l = layer_of(TML_LAYER_UPSAMPLE, TML_ACT_IDENTITY, 2, 3, 1, 4, 6, 1);
    tml_net_t net;
    l.kernel_h = 2;
    l.kernel_w = 2;
    l.out_offset = 24;
    net = net_of(&l, 1, 0, 120);
    CHECK(tml_net_validate(&net) == TML_OK);
    tml_net_run_copy(&net, &l, grid, out);
    CHECK(out[0] == 1 && out[1] == 1 && out[2] == 2 && out[6] == 1 && out[12] == 4 && out[23] == 6);
    /* checks: the output is the input times the factors, no activation, int8 parameters shared */
    l.out_w = 5;
    CHECK(tml_net_validate(&net) == TML_E_SHAPE);
    l.out_w = 6;
    l.activation = TML_ACT_RELU;
    CHECK(tml_net_validate(&net) == TML_E_KIND);
    l.activation = TML_ACT_IDENTITY;
    net.quantized = 1;
    l.out_scale = 2.0f;
    CHECK(tml_net_validate(&net) == TML_E_SCALE);
}

int main(void)
{
    test_padding_and_cropping();
    test_upsampling();
    return CHECK_REPORT("net_copy");
}
