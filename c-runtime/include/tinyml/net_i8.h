/*
 * TinyML Lab C runtime, neural networks: the int8 convolution and dense kernels.
 *
 * The inner loop sums q_in * w alone and the zero point's share, in_zero * sum(w), is taken
 * off once per output: the compiler stores it in the bias (bias_folded = 1), and
 * tml_net_bias_i8 puts back the share of weights that meet padding. The integers are those
 * of the plain sum of (q_in - in_zero) * w (c-runtime/tests/net_int8_reference.h).
 *
 * The dot products come in two paths side by side, chosen at compile time: the portable C
 * loop, and on Armv7E-M (Cortex-M4/M7: gcc defines __ARM_FEATURE_DSP) one that multiplies two
 * pairs of int8 per SMLAD. Define TML_NET_NO_DSP to build the portable one there too.
 */
#ifndef TINYML_NET_I8_H
#define TINYML_NET_I8_H

/* a standalone model header embeds these just before */
#ifndef TINYML_NET_TYPES_H
#include "tinyml/net_types.h"
#endif
#ifndef TINYML_NET_QUANT_H
#include "tinyml/net_quant.h"
#endif

/* The int8 dot products stay functions of their own: inlined into one function with every
 * other kernel, gcc -Os spills their pointers and sums to the stack inside the loop (bench/nets
 * measured 21 instead of 16 instructions per 8 multiply-adds on Cortex-M4). */
#if defined(__GNUC__)
#define TML_NET_KERNEL static __attribute__((noinline, unused)) /* unused: no warning where unneeded */
#else
#define TML_NET_KERNEL static inline
#endif

#include <string.h>

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32) && !defined(TML_NET_NO_DSP)
#define TML_NET_DSP 1
#include <arm_acle.h>
#endif

/* ---- dot products: the portable path and the Armv7E-M (DSP) path, side by side ---- */

/* sum + q[i] * w[i] for the terms from q to end, one at a time: the portable loop, and the
 * DSP path's last n % 4 terms. */
static inline int32_t tml_net_dot_i8_terms(const int8_t *q, const int8_t *end, const int8_t *w, int32_t sum)
{
    while (q != end) {
        sum += (int32_t)*q++ * (int32_t)*w++;
    }
    return sum;
}

/* The same for two weight rows, adding to s0 and s1 and storing them in s[0] and s[1]. */
static inline void tml_net_dot2_i8_terms(const int8_t *q, const int8_t *end, const int8_t *w0, const int8_t *w1,
                                         int32_t s0, int32_t s1, int32_t *s)
{
    while (q != end) {
        int32_t x = *q++;
        s0 += x * (int32_t)*w0++;
        s1 += x * (int32_t)*w1++;
    }
    s[0] = s0;
    s[1] = s1;
}

/* sum q[i] * w[i], i < n: at most TML_MAX_I8_WINDOW terms of magnitude <= 2^14, so the int32
 * never overflows, in whatever order the terms are added. The portable path: every core can
 * run it, and the DSP path must give its integers (bench/nets/dsp_check.sh compares the two
 * on a Cortex-M4 in QEMU). */
TML_NET_KERNEL int32_t tml_net_dot_i8_portable(const int8_t *q, const int8_t *w, int32_t n)
{
    return tml_net_dot_i8_terms(q, q + n, w, 0);
}

/* Two weight rows against the same input, s[0] = q . w0 and s[1] = q . w1: each input value
 * is loaded once for both (dense layers, two outputs at a time). Portable path. */
TML_NET_KERNEL void tml_net_dot2_i8_portable(const int8_t *q, const int8_t *w0, const int8_t *w1, int32_t n,
                                             int32_t *s)
{
    tml_net_dot2_i8_terms(q, q + n, w0, w1, 0, 0, s);
}

#ifdef TML_NET_DSP
/* Bytes 1 and 3 of v sign-extended into two halfwords: SXTB16 of v rotated by 8, one
 * instruction (gcc 12's arm_acle.h has no __ror, and a C rotate costs a second one). */
static inline int16x2_t tml_net_sxtb16_odd(uint32_t v)
{
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

/* tml_net_dot_i8_portable, four terms per step: SXTB16 sign-extends bytes 0 and 2 (1 and 3
 * rotated) of a word into two halfwords and SMLAD adds both products; the last n % 4 terms one
 * at a time. memcpy: the rows have any alignment, and it compiles to one LDR (Armv7E-M loads
 * unaligned words). */
TML_NET_KERNEL int32_t tml_net_dot_i8_dsp(const int8_t *q, const int8_t *w, int32_t n)
{
    int32_t sum = 0;
    const int8_t *end = q + n;
    const int8_t *end4 = q + (n & ~(int32_t)3);
    while (q != end4) {
        uint32_t qv, wv;
        memcpy(&qv, q, sizeof qv);
        memcpy(&wv, w, sizeof wv);
        q += 4;
        w += 4;
        sum = __smlad(__sxtb16((int8x4_t)qv), __sxtb16((int8x4_t)wv), sum);
        sum = __smlad(tml_net_sxtb16_odd(qv), tml_net_sxtb16_odd(wv), sum);
    }
    return tml_net_dot_i8_terms(q, end, w, sum);
}

/* tml_net_dot2_i8_portable, four terms per step: each input word is loaded and widened once
 * for both rows. */
TML_NET_KERNEL void tml_net_dot2_i8_dsp(const int8_t *q, const int8_t *w0, const int8_t *w1, int32_t n, int32_t *s)
{
    int32_t s0 = 0, s1 = 0;
    const int8_t *end = q + n;
    const int8_t *end4 = q + (n & ~(int32_t)3);
    while (q != end4) {
        uint32_t qv, wv;
        int16x2_t even, odd;
        memcpy(&qv, q, sizeof qv);
        q += 4;
        even = __sxtb16((int8x4_t)qv);
        odd = tml_net_sxtb16_odd(qv);
        memcpy(&wv, w0, sizeof wv);
        w0 += 4;
        s0 = __smlad(even, __sxtb16((int8x4_t)wv), s0);
        s0 = __smlad(odd, tml_net_sxtb16_odd(wv), s0);
        memcpy(&wv, w1, sizeof wv);
        w1 += 4;
        s1 = __smlad(even, __sxtb16((int8x4_t)wv), s1);
        s1 = __smlad(odd, tml_net_sxtb16_odd(wv), s1);
    }
    tml_net_dot2_i8_terms(q, end, w0, w1, s0, s1, s);
}
#endif

/* The dot products the kernels call, chosen at compile time: the DSP path where the core has
 * it, else the portable one. */
static inline int32_t tml_net_dot_i8(const int8_t *q, const int8_t *w, int32_t n)
{
#ifdef TML_NET_DSP
    return tml_net_dot_i8_dsp(q, w, n);
#else
    return tml_net_dot_i8_portable(q, w, n);
#endif
}

static inline void tml_net_dot2_i8(const int8_t *q, const int8_t *w0, const int8_t *w1, int32_t n, int32_t *s)
{
#ifdef TML_NET_DSP
    tml_net_dot2_i8_dsp(q, w0, w1, n, s);
#else
    tml_net_dot2_i8_portable(q, w0, w1, n, s);
#endif
}

/* ---- convolution sums and the requantized layer ---- */

static inline int32_t tml_net_sum_i8(const int8_t *w, int32_t n)
{
    int32_t sum = 0, i;
    for (i = 0; i < n; i++) {
        sum += w[i];
    }
    return sum;
}

/*
 * The int8 bias of output channel c for window w, with the zero point's share: the sum is
 * sum (q - in_zero) * w over the window's inside positions (padding is skipped, the same as
 * padding with in_zero), which the kernels compute as sum q * w + bias - in_zero * (sum of
 * the inside weights). A folded bias holds bias - in_zero * (all the channel's weights), so it
 * is the answer as it is unless the window overlaps the padding; then in_zero * (weights on
 * padding) goes back in. In int64: exact, so the saturated result equals the plain sum's.
 */
static inline int64_t tml_net_bias_i8(const tml_layer_t *layer, tml_window_t w, int32_t c)
{
    int32_t ky, n = layer->in_c, per = layer->kernel_h * layer->kernel_w * n, run = (w.kx1 - w.kx0) * n;
    int32_t inside = 0;
    const int8_t *channel = layer->weight_i8 + c * per;
    int64_t bias = layer->bias_i32 != NULL ? layer->bias_i32[c] : 0;
    int whole = run == layer->kernel_w * n && w.ky1 - w.ky0 == layer->kernel_h;
    if (layer->in_zero == 0 || (layer->bias_folded && whole)) {
        return bias;
    }
    for (ky = w.ky0; ky < w.ky1; ky++) {
        inside += tml_net_sum_i8(channel + (ky * layer->kernel_w + w.kx0) * n, run);
    }
    return bias + (int64_t)layer->in_zero * (layer->bias_folded ? tml_net_sum_i8(channel, per) - inside : -inside);
}

/* int8 convolution sum of output channel c over window w, bias included (tml_net_bias_i8):
 * sum q * w one run per kernel row, the inside columns being contiguous in input and weights. */
static inline int32_t tml_net_conv_i8_window(const tml_layer_t *layer, const int8_t *in, tml_window_t w,
                                             int32_t c)
{
    int32_t ky, n = layer->in_c, run = (w.kx1 - w.kx0) * n, sum = 0;
    const int8_t *x = in + ((w.y0 + w.ky0) * layer->in_w + w.x0 + w.kx0) * n;
    const int8_t *wt = layer->weight_i8 + ((c * layer->kernel_h + w.ky0) * layer->kernel_w + w.kx0) * n;
    for (ky = w.ky0; ky < w.ky1; ky++, x += layer->in_w * n, wt += layer->kernel_w * n) {
        sum += tml_net_dot_i8(x, wt, run);
    }
    return tml_clamp_i32((int64_t)sum + tml_net_bias_i8(layer, w, c));
}

static inline int32_t tml_net_conv_i8(const tml_layer_t *layer, const int8_t *in, int32_t oy, int32_t ox,
                                      int32_t c)
{
    return tml_net_conv_i8_window(layer, in, tml_net_window(layer, oy, ox), c);
}

/*
 * int8 DEPTHWISE sums over window w: bias + sum (q - in_zero) * w over the window's inside
 * taps, saturated. A window is a few taps of one channel, so the zero point is taken off per
 * term (a DEPTHWISE bias is never folded). The weights are channel-minor, [kh][kw][out_c] as
 * TFLite stores them, so that at each tap the input (channels last) and the weights of
 * neighbouring channels are neighbours: four channels are summed at once, from one word of
 * each on Armv7E-M. By index: a window's first position may lie in the padding.
 */

/* Output channel c alone (the float path's, and channels past the last four). */
static inline int32_t tml_net_depthwise_i8_window(const tml_layer_t *layer, const int8_t *in, tml_window_t w,
                                                  int32_t c)
{
    int32_t ky, kx, n = layer->in_c, row = layer->in_w * n, zero = layer->in_zero, sum = 0;
    int32_t channel = w.y0 * row + w.x0 * n + tml_net_depthwise_input(layer, c);
    int32_t taps = layer->out_c; /* weight stride from one tap to the next */
    for (ky = w.ky0; ky < w.ky1; ky++) {
        int32_t at = channel + ky * row + w.kx0 * n; /* inside the input from here */
        const int8_t *wt = layer->weight_i8 + (ky * layer->kernel_w + w.kx0) * taps + c;
        for (kx = w.kx0; kx < w.kx1; kx++, at += n, wt += taps) {
            sum += ((int32_t)in[at] - zero) * (int32_t)*wt;
        }
    }
    return tml_clamp_i32((int64_t)sum + (layer->bias_i32 != NULL ? layer->bias_i32[c] : 0));
}

/*
 * sum (q - zero) * w of four neighbouring channels into acc[4], over rows x cols taps: x and
 * wt point at the first tap's four bytes, the next tap is step bytes further in both, the next
 * row's first tap x_skip and w_skip past the row's end. The layer's numbers come as arguments
 * so that everything the inner loop touches stays in registers.
 */
TML_NET_KERNEL void tml_net_depthwise4_i8_sums(const int8_t *x, const int8_t *wt, int32_t rows, int32_t cols,
                                                int32_t step, int32_t x_skip, int32_t w_skip, int32_t zero,
                                                int32_t *acc)
{
    int32_t k, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#ifdef TML_NET_DSP
    /* the zero point in both halfwords, taken off the input's widened bytes two at a time */
    int16x2_t zeros = (int16x2_t)(((uint32_t)(zero & 0xffff) << 16) | (uint32_t)(zero & 0xffff));
#endif
    for (; rows > 0; rows--, x += x_skip, wt += w_skip) {
        for (k = cols; k > 0; k--, x += step, wt += step) {
#ifdef TML_NET_DSP
            /* bytes 0 and 2, then 1 and 3, as halfwords: (q - zero) * w per channel with
             * SMLABB (bottom halves) and SMLATT (top halves) */
            uint32_t qv, wv;
            int16x2_t q02, q13, w02, w13;
            memcpy(&qv, x, sizeof qv);
            memcpy(&wv, wt, sizeof wv);
            q02 = __ssub16(__sxtb16((int8x4_t)qv), zeros);
            q13 = __ssub16(tml_net_sxtb16_odd(qv), zeros);
            w02 = __sxtb16((int8x4_t)wv);
            w13 = tml_net_sxtb16_odd(wv);
            s0 = __smlabb(q02, w02, s0);
            s2 = __smlatt(q02, w02, s2);
            s1 = __smlabb(q13, w13, s1);
            s3 = __smlatt(q13, w13, s3);
#else
            s0 += ((int32_t)x[0] - zero) * (int32_t)wt[0];
            s1 += ((int32_t)x[1] - zero) * (int32_t)wt[1];
            s2 += ((int32_t)x[2] - zero) * (int32_t)wt[2];
            s3 += ((int32_t)x[3] - zero) * (int32_t)wt[3];
#endif
        }
    }
    acc[0] = s0;
    acc[1] = s1;
    acc[2] = s2;
    acc[3] = s3;
}

static inline int32_t tml_net_depthwise_i8(const tml_layer_t *layer, const int8_t *in, int32_t oy, int32_t ox,
                                           int32_t c)
{
    return tml_net_depthwise_i8_window(layer, in, tml_net_window(layer, oy, ox), c);
}

/* Output channel c of an int8 CONV from its saturated sum with the bias: requantization,
 * out_zero and the clamp to [lo, hi]. */
TML_NET_INLINE int8_t tml_net_out_i8(const tml_layer_t *layer, int32_t c, int64_t acc, int32_t lo, int32_t hi)
{
    int32_t r = tml_requantize(tml_clamp_i32(acc), layer->multiplier[c], (int32_t)layer->shift[c]);
    r = (r > 256 ? 256 : r < -256 ? -256 : r) + layer->out_zero; /* no overflow adding the zero */
    return (int8_t)(r < lo ? lo : r > hi ? hi : r);
}

/* The clamp of an int8 layer's output that also applies ReLU and ReLU6: [*lo, *hi]. */
static inline void tml_net_out_range_i8(const tml_layer_t *layer, int32_t *lo, int32_t *hi)
{
    *lo = layer->activation == TML_ACT_IDENTITY ? -128 : layer->out_zero;
    *hi = layer->activation == TML_ACT_RELU6 ? tml_quantize_i8(6.0f, layer->out_scale, layer->out_zero) : 127;
}

/* int8 DEPTHWISE in integers: requantize, add out_zero, clamp (as tml_net_run_conv_requantized).
 * Per position the window is found once, for all its output channels, four at a time. */
static inline void tml_net_run_depthwise_requantized(const tml_layer_t *layer, const int8_t *in, int8_t *out)
{
    int32_t oy, ox, c, k, lo, hi, acc[4], step = layer->out_c;
    /* four channels at a time when each output channel reads its own input channel */
    int32_t by_four = layer->out_c == layer->in_c ? layer->out_c & ~(int32_t)3 : 0;
    tml_net_out_range_i8(layer, &lo, &hi);
    for (oy = 0; oy < layer->out_h; oy++) {
        for (ox = 0; ox < layer->out_w; ox++) {
            tml_window_t w = tml_net_window(layer, oy, ox);
            int32_t cols = w.kx1 - w.kx0;
            /* the window's first inside tap, in the input and the weights (input channels =
             * output channels wherever these are used) */
            int32_t x_at = ((w.y0 + w.ky0) * layer->in_w + w.x0 + w.kx0) * step;
            int32_t w_at = (w.ky0 * layer->kernel_w + w.kx0) * step;
            int8_t *o = out + (oy * layer->out_w + ox) * layer->out_c;
            for (c = 0; c < by_four; c += 4) {
                tml_net_depthwise4_i8_sums(in + x_at + c, layer->weight_i8 + w_at + c, w.ky1 - w.ky0, cols, step,
                                           (layer->in_w - cols) * step, (layer->kernel_w - cols) * step,
                                           layer->in_zero, acc);
                for (k = 0; k < 4; k++) {
                    int64_t bias = layer->bias_i32 != NULL ? layer->bias_i32[c + k] : 0;
                    o[c + k] = tml_net_out_i8(layer, c + k, (int64_t)acc[k] + bias, lo, hi);
                }
            }
            for (; c < layer->out_c; c++) {
                o[c] = tml_net_out_i8(layer, c, tml_net_depthwise_i8_window(layer, in, w, c), lo, hi);
            }
        }
    }
}

/* Window w of the input gathered into buf[kernel_h][kernel_w][in_c], in_zero where it lies in
 * the padding (see tml_net_window_buffer_bytes): summing (q - in_zero) * w over the whole
 * buffer adds nothing for the padding, so the folded bias is exact at every position. */
static inline void tml_net_gather_window(const tml_layer_t *layer, const int8_t *in, tml_window_t w, int8_t *buf)
{
    int32_t ky, n = layer->in_c, row = layer->kernel_w * n;
    int zero = (int8_t)layer->in_zero;
    for (ky = 0; ky < layer->kernel_h; ky++, buf += row) {
        if (ky < w.ky0 || ky >= w.ky1) {
            memset(buf, zero, (size_t)row);
            continue;
        }
        memset(buf, zero, (size_t)(w.kx0 * n));
        memcpy(buf + w.kx0 * n, in + ((w.y0 + ky) * layer->in_w + w.x0 + w.kx0) * n, (size_t)((w.kx1 - w.kx0) * n));
        memset(buf + w.kx1 * n, zero, (size_t)((layer->kernel_w - w.kx1) * n));
    }
}

/*
 * int8 CONV (and dense) in integers: requantize, add out_zero, clamp; ReLU and ReLU6 are
 * clamps too. Per position the window is found once (gathered into buffer when the layer has
 * one, else read in place one kernel row at a time); two output channels at a time share the
 * input's loads (an odd last channel is summed twice, once thrown away).
 */
static inline void tml_net_run_conv_requantized(const tml_layer_t *layer, const int8_t *in, int8_t *out,
                                                int8_t *buffer)
{
    int32_t oy, ox, c, r, k, n = layer->in_c, per = layer->kernel_h * layer->kernel_w * n, lo, hi;
    tml_window_t whole = {0, 0, 0, 0, 0, 0};
    whole.ky1 = layer->kernel_h;
    whole.kx1 = layer->kernel_w;
    tml_net_out_range_i8(layer, &lo, &hi);
    for (oy = 0; oy < layer->out_h; oy++) {
        for (ox = 0; ox < layer->out_w; ox++) {
            tml_window_t w = tml_net_window(layer, oy, ox);
            /* rows of run contiguous bytes, from x (next row x_row further) and from the
             * weights (kernel_w * n further) */
            int32_t rows = w.ky1 - w.ky0, run = (w.kx1 - w.kx0) * n, x_row = layer->in_w * n;
            const int8_t *x = in + ((w.y0 + w.ky0) * layer->in_w + w.x0 + w.kx0) * n;
            const int8_t *first = layer->weight_i8 + (w.ky0 * layer->kernel_w + w.kx0) * n;
            int8_t *o = out + (oy * layer->out_w + ox) * layer->out_c;
            int plain, all_taps = run == layer->kernel_w * n && rows == layer->kernel_h;
            if (buffer != NULL) {
                tml_net_gather_window(layer, in, w, buffer);
                w = whole; /* the sum runs over the whole kernel */
                all_taps = 1;
                rows = 1;
                run = per;
                x = buffer;
                first = layer->weight_i8;
            }
            /* the stored bias is the whole answer unless the zero point's share needs work */
            plain = layer->in_zero == 0 || (layer->bias_folded && all_taps);
            for (c = 0; c < layer->out_c; c += 2) {
                const int8_t *wt = first + c * per, *w1 = c + 1 < layer->out_c ? wt + per : wt;
                int32_t sum[2] = {0, 0}, part[2];
                for (r = 0; r < rows; r++) {
                    int32_t at = r * layer->kernel_w * n;
                    tml_net_dot2_i8(x + r * x_row, wt + at, w1 + at, run, part);
                    sum[0] += part[0];
                    sum[1] += part[1];
                }
                for (k = 0; k < 2 && c + k < layer->out_c; k++) {
                    int64_t bias = !plain                    ? tml_net_bias_i8(layer, w, c + k)
                                   : layer->bias_i32 != NULL ? layer->bias_i32[c + k]
                                                             : 0;
                    o[c + k] = tml_net_out_i8(layer, c + k, (int64_t)sum[k] + bias, lo, hi);
                }
            }
        }
    }
}

#endif /* TINYML_NET_I8_H */
