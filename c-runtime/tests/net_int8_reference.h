/* The int8 convolution sum as the runtime computed it before folding the zero point out of the
 * inner loop: sum (q - in_zero) * w over every inside position, one term at a time, plus the
 * plain (unfolded) bias, saturated. The runtime's portable and DSP paths share the folding
 * (tml_net_bias_i8: the zero point's share, and the weights that meet padding), so only a loop
 * written without it can check it: test_net_i8.c compares the kernels with this on the host,
 * bench/nets/c/dsp_check.c on a Cortex-M4 in QEMU (where it also compares the DSP dot products
 * with the portable ones). */
#ifndef TML_NET_INT8_REFERENCE_H
#define TML_NET_INT8_REFERENCE_H
#include "tinyml/net.h"

static int32_t ref_conv_i8(const tml_layer_t *l, const int32_t *plain_bias, const int8_t *in, int32_t oy,
                           int32_t ox, int32_t c)
{
    int32_t ky, kx, i, sum = 0;
    for (ky = 0; ky < l->kernel_h; ky++) {
        for (kx = 0; kx < l->kernel_w; kx++) {
            int32_t iy = oy * l->stride_h - l->pad_top + ky, ix = ox * l->stride_w - l->pad_left + kx;
            if (iy < 0 || iy >= l->in_h || ix < 0 || ix >= l->in_w) {
                continue;
            }
            for (i = 0; i < l->in_c; i++) {
                int32_t q = in[(iy * l->in_w + ix) * l->in_c + i];
                int32_t w = l->weight_i8[((c * l->kernel_h + ky) * l->kernel_w + kx) * l->in_c + i];
                sum += (q - l->in_zero) * w;
            }
        }
    }
    return tml_clamp_i32((int64_t)sum + (plain_bias != NULL ? plain_bias[c] : 0));
}
#endif
