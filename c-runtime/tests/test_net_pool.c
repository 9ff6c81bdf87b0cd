/* Unit tests of the neural-network runtime: pooling (net_pool.h), float32 and int8, padding and global averages, against reference loops. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x6a09e667f3bcc909ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "net_test_util.h"

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

int main(void)
{
    test_pools_same_padding();
    test_global_average_pool();
    test_int8_pools_on_q();
    return CHECK_REPORT("net_pool");
}
