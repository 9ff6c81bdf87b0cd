/* The int8 kernels as a Cortex-M4 runs them (SMLAD, __ARM_FEATURE_DSP), in QEMU: the DSP dot
 * products (one row, two rows, two inputs by two rows, one input by four rows) against the
 * runtime's portable ones (every length 0-70, every alignment, random and extreme values), and
 * random dense and convolution layers (strides, padding, zero points, weights over the whole
 * int8 range, biases up to saturation, unaligned rows) against the plain loops of
 * net_int8_reference.h, every int32 sum and every requantized output compared, with the plain
 * and with the folded bias, convolutions through their gathered windows and 1x1 ones two
 * positions at a time, layers with whole zero rows again with only their other rows stored
 * (row_mask); random depthwise layers through the four-channel kernel. Prints
 * "dsp_check: <sums> sums, <outputs> outputs, <n> mismatches" (sums counts the dot products
 * too). Run by dsp_check.sh. */
#include "firmware_base.h"
#include "tinyml/net.h"
#include "net_int8_reference.h" /* c-runtime/tests: the plain loops, as test_net_i8.c uses them */

#ifndef TML_NET_DSP
#error "build for Armv7E-M (-mcpu=cortex-m4): this checks the SMLAD path"
#endif

static uint32_t rng = 0x2545F491u;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng = rng * 1664525u + 1013904223u;
    return (int32_t)((int64_t)lo + (int64_t)((rng >> 8) % (uint32_t)((int64_t)hi - lo + 1)));
}

static int8_t ref_out(const tml_layer_t *l, int32_t acc, int32_t c)
{
    int32_t lo = l->activation == TML_ACT_IDENTITY ? -128 : l->out_zero;
    int32_t hi = l->activation == TML_ACT_RELU6 ? tml_quantize_i8(6.0f, l->out_scale, l->out_zero) : 127;
    /* the two gemmlowp steps tml_requantize fuses */
    int32_t left = l->shift[c] > 0 ? l->shift[c] : 0, right = l->shift[c] < 0 ? -l->shift[c] : 0;
    int32_t r = tml_rounding_divide_pot(
        tml_rounding_doubling_high_mul(tml_clamp_i32((int64_t)acc * ((int64_t)1 << left)), l->multiplier[c]), right);
    r = (r > 256 ? 256 : r < -256 ? -256 : r) + l->out_zero;
    return (int8_t)(r < lo ? lo : r > hi ? hi : r);
}

static int8_t weights[4096 + 3], input[2048 + 3];

/* The DSP path of each dot product against the portable one, which the host tests check. */
static unsigned dot_mismatches(unsigned *sums)
{
    unsigned bad = 0;
    int32_t n, at, i, k, s_dsp[4], s_portable[4];
    const int8_t *rows[4];
    int extreme;
    for (extreme = 0; extreme < 3; extreme++) {
        for (i = 0; i < 80; i++) {
            weights[i] = (int8_t)(extreme == 0 ? rnd(-128, 127) : extreme == 1 ? -128 : 127);
            input[i] = (int8_t)(extreme == 0 ? rnd(-128, 127) : -128);
        }
        for (n = 0; n <= 70; n++) {
            for (at = 0; at < 4; at++, *sums += 3) {
                bad += tml_net_dot_i8_dsp(input + at, weights + (3 - at), n) !=
                       tml_net_dot_i8_portable(input + at, weights + (3 - at), n);
                tml_net_dot2_i8_dsp(input + at, weights + at, weights + 5 + at, n, s_dsp);
                tml_net_dot2_i8_portable(input + at, weights + at, weights + 5 + at, n, s_portable);
                bad += (s_dsp[0] != s_portable[0]) + (s_dsp[1] != s_portable[1]);
                /* two positions by two rows: the second input and row anywhere, before or after */
                tml_net_dot2x2_i8_dsp(input + at, input + 7 - at, weights + at, weights + 9 - 2 * at, n, s_dsp);
                tml_net_dot2x2_i8_portable(input + at, input + 7 - at, weights + at, weights + 9 - 2 * at, n,
                                           s_portable);
                for (k = 0; k < 4; k++, (*sums)++) {
                    bad += s_dsp[k] != s_portable[k];
                }
                /* one input by four rows, in any order and place */
                rows[0] = weights + at;
                rows[1] = weights + 9 - 2 * at;
                rows[2] = weights + 1;
                rows[3] = weights + 4 + at;
                tml_net_dot4_i8_dsp(input + at, rows, n, s_dsp);
                tml_net_dot4_i8_portable(input + at, rows, n, s_portable);
                for (k = 0; k < 4; k++, (*sums)++) {
                    bad += s_dsp[k] != s_portable[k];
                }
            }
        }
    }
    return bad;
}
static int32_t plain[64], folded[64], multiplier[64];
static int8_t shift[64];
static uint32_t arena[1024];
static int8_t stored[4096]; /* the rows of channels with a nonzero weight (row_mask) */
static uint8_t row_mask[2];

/* Random int8 DEPTHWISE layers (multiplier 1: the four-channel SMLABB / SMLATT kernel, and the
 * channels past the last four one by one; multiplier 2: one by one), run whole, against the
 * plain loop of bias + sum (q - in_zero) * w over the inside taps, weights channel-minor. */
static unsigned depthwise_mismatches(unsigned *outputs)
{
    unsigned bad = 0;
    int trial;
    for (trial = 0; trial < 200; trial++) {
        int32_t kh = rnd(1, 3), kw = rnd(1, 3), ih = rnd(kh, 6), iw = rnd(kw, 6), ic = rnd(1, 13);
        int32_t m = trial % 4 == 0 ? 2 : 1, oc = ic * m, sh = rnd(1, 2), sw = rnd(1, 2);
        int32_t pt = rnd(0, kh - 1), pl = rnd(0, kw - 1);
        int32_t oh = (ih + pt - 1) / sh + 1, ow = (iw + pl - 1) / sw + 1, n_in = ih * iw * ic;
        int32_t i, c, oy, ox, ky, kx;
        tml_layer_t l = {0};
        tml_net_t net;
        while ((oh - 1) * sh - pt >= ih) oh--;
        while ((ow - 1) * sw - pl >= iw) ow--;
        l.kind = TML_LAYER_DEPTHWISE;
        l.activation = rnd(TML_ACT_IDENTITY, TML_ACT_RELU6);
        l.in_h = ih; l.in_w = iw; l.in_c = ic; l.out_h = oh; l.out_w = ow; l.out_c = oc;
        l.kernel_h = kh; l.kernel_w = kw; l.stride_h = sh; l.stride_w = sw; l.pad_top = pt; l.pad_left = pl;
        for (i = 0; i < kh * kw * oc; i++) weights[i] = (int8_t)rnd(-128, 127);
        for (i = 0; i < n_in; i++) ((int8_t *)arena)[i] = input[i] = (int8_t)rnd(-128, 127);
        for (c = 0; c < oc; c++) {
            plain[c] = rnd(-(1 << 22), 1 << 22);
            multiplier[c] = rnd(1 << 30, INT32_MAX);
            shift[c] = (int8_t)(trial % 2 ? rnd(-31, -1) : rnd(-20, 2)); /* odd: every shift a right shift */
        }
        l.weight_i8 = weights;
        l.bias_i32 = plain;
        l.multiplier = multiplier;
        l.shift = shift;
        l.in_scale = 1.0f;
        l.in_zero = trial % 7 == 0 ? 0 : rnd(-128, 127);
        l.out_zero = rnd(-128, 127);
        l.out_scale = 0.25f;
        l.out_offset = ((n_in + 3) / 4) * 4;
        net.n_layers = 1; net.layers = &l; net.quantized = 1; net.arena_bytes = l.out_offset + oh * ow * oc;
        bad += tml_net_validate(&net) != TML_OK;
        tml_net_run_layer(&net, 0, arena);
        for (oy = 0; oy < oh; oy++)
            for (ox = 0; ox < ow; ox++)
                for (c = 0; c < oc; c++, (*outputs)++) {
                    int64_t want = plain[c];
                    for (ky = 0; ky < kh; ky++)
                        for (kx = 0; kx < kw; kx++) {
                            int32_t y = oy * sh - pt + ky, x = ox * sw - pl + kx;
                            if (y >= 0 && y < ih && x >= 0 && x < iw)
                                want += ((int32_t)input[(y * iw + x) * ic + c / m] - l.in_zero) *
                                        (int32_t)weights[(ky * kw + kx) * oc + c];
                        }
                    bad += ((const int8_t *)arena)[l.out_offset + (oy * ow + ox) * oc + c] !=
                           ref_out(&l, tml_clamp_i32(want), c);
                }
    }
    return bad;
}

int main(void)
{
    unsigned sums = 0, outputs = 0, bad = 0;
    char line[96], *p = line;
    const char *text;
    int trial;
    for (trial = 0; trial < 300; trial++) {
        int dense = trial % 3 == 0, fold;
        int32_t kh = dense ? 1 : rnd(1, 3), kw = dense ? 1 : rnd(1, 5);
        int32_t ih = dense ? 1 : rnd(kh, 5), iw = dense ? 1 : rnd(kw, 9), ic = rnd(1, dense ? 70 : 9);
        int32_t oc = rnd(1, 12), sh = rnd(1, 2), sw = rnd(1, 3);
        int32_t pt = dense ? 0 : rnd(0, kh - 1), pl = dense ? 0 : rnd(0, kw - 1);
        int32_t oh = (ih + pt - 1) / sh + 1, ow = (iw + pl - 1) / sw + 1;
        int32_t per = kh * kw * ic, n_in = ih * iw * ic, i, c, oy, ox;
        int32_t w_at = rnd(0, 3), in_at = rnd(0, 3);
        tml_layer_t l = {0};
        tml_net_t net;
        while ((oh - 1) * sh - pt >= ih) oh--;
        while ((ow - 1) * sw - pl >= iw) ow--;
        if (per * oc > 4096 || n_in > 2048 || oh * ow * oc > 1024) continue;
        l.kind = TML_LAYER_CONV;
        l.activation = rnd(TML_ACT_IDENTITY, TML_ACT_RELU6);
        l.in_h = ih; l.in_w = iw; l.in_c = ic; l.out_h = oh; l.out_w = ow; l.out_c = oc;
        l.kernel_h = kh; l.kernel_w = kw; l.stride_h = sh; l.stride_w = sw; l.pad_top = pt; l.pad_left = pl;
        for (i = 0; i < per * oc; i++) weights[w_at + i] = (int8_t)rnd(-128, 127);
        if (trial % 4 == 1) /* whole zero rows: the channels a row mask leaves out */
            for (c = 0; c < oc; c++)
                if (rnd(0, 1))
                    for (i = 0; i < per; i++) weights[w_at + c * per + i] = 0;
        for (i = 0; i < n_in; i++) input[in_at + i] = (int8_t)rnd(-128, 127);
        l.weight_i8 = weights + w_at;
        l.in_scale = 1.0f;
        l.in_zero = trial % 7 == 0 ? 0 : rnd(-128, 127);
        l.out_zero = rnd(-128, 127);
        l.out_scale = 0.25f;
        for (c = 0; c < oc; c++) {
            int k = rnd(0, 5);
            plain[c] = k == 0 ? INT32_MAX - rnd(0, 1 << 20) : k == 1 ? INT32_MIN + rnd(0, 1 << 20) : rnd(-(1 << 22), 1 << 22);
            multiplier[c] = rnd(1 << 30, INT32_MAX);
            shift[c] = (int8_t)(trial % 2 ? rnd(-31, -1) : rnd(-20, 2)); /* odd: every shift a right shift */
        }
        l.multiplier = multiplier;
        l.shift = shift;
        l.out_offset = ((n_in + 3) / 4) * 4;
        net.n_layers = 1; net.layers = &l; net.quantized = 1; net.arena_bytes = l.out_offset + oh * ow * oc;
        net.arena_bytes += tml_net_window_buffer_bytes(&net, &l); /* the gathered window, at the end */
        if (net.arena_bytes > (int32_t)sizeof arena) continue;
        for (fold = 0; fold < 2; fold++) {
            if (fold) {
                for (c = 0; c < oc; c++) {
                    int64_t f = (int64_t)plain[c] - (int64_t)l.in_zero * tml_net_sum_i8(l.weight_i8 + c * per, per);
                    if (f > INT32_MAX || f < INT32_MIN) break;
                    folded[c] = (int32_t)f;
                }
                if (c < oc) continue;
            }
            l.bias_i32 = fold ? folded : plain;
            l.bias_folded = fold;
            bad += tml_net_validate(&net) != TML_OK;
            for (oy = 0; oy < oh; oy++)
                for (ox = 0; ox < ow; ox++)
                    for (c = 0; c < oc; c++, sums++)
                        bad += tml_net_conv_i8(&l, input + in_at, oy, ox, c) != ref_conv_i8(&l, plain, input + in_at, oy, ox, c);
            for (i = 0; i < n_in; i++) ((int8_t *)arena)[i] = input[in_at + i];
            tml_net_run_layer(&net, 0, arena);
            for (oy = 0; oy < oh; oy++)
                for (ox = 0; ox < ow; ox++)
                    for (c = 0; c < oc; c++, outputs++)
                        bad += ((const int8_t *)arena)[l.out_offset + (oy * ow + ox) * oc + c] !=
                               ref_out(&l, ref_conv_i8(&l, plain, input + in_at, oy, ox, c), c);
            if (fold && trial % 4 == 1) { /* again with only the nonzero rows stored */
                int32_t rows = 0;
                row_mask[0] = row_mask[1] = 0;
                for (c = 0; c < oc; c++) {
                    int any = 0;
                    for (i = 0; i < per; i++) any |= weights[w_at + c * per + i] != 0;
                    if (!any) continue;
                    row_mask[c >> 3] |= (uint8_t)(1u << (c & 7));
                    for (i = 0; i < per; i++) stored[rows * per + i] = weights[w_at + c * per + i];
                    rows++;
                }
                l.weight_i8 = stored;
                l.row_mask = row_mask;
                bad += tml_net_validate(&net) != TML_OK;
                for (i = 0; i < n_in; i++) ((int8_t *)arena)[i] = input[in_at + i];
                tml_net_run_layer(&net, 0, arena);
                l.weight_i8 = weights + w_at;
                l.row_mask = NULL;
                for (oy = 0; oy < oh; oy++)
                    for (ox = 0; ox < ow; ox++)
                        for (c = 0; c < oc; c++, outputs++)
                            bad += ((const int8_t *)arena)[l.out_offset + (oy * ow + ox) * oc + c] !=
                                   ref_out(&l, ref_conv_i8(&l, plain, input + in_at, oy, ox, c), c);
            }
        }
    }
    bad += dot_mismatches(&sums);
    bad += depthwise_mismatches(&outputs);
    for (text = "dsp_check: "; *text;) *p++ = *text++;
    p = format_uint(p, sums);
    for (text = " sums, "; *text;) *p++ = *text++;
    p = format_uint(p, outputs);
    for (text = " outputs, "; *text;) *p++ = *text++;
    p = format_uint(p, bad);
    for (text = " mismatches\n"; *text;) *p++ = *text++;
    *p = 0;
    target_write(line);
    target_exit(0);
    return 0;
}
