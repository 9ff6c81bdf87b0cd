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
 * DSP path's last n % 4 terms. Here and below, w is a weight table (TML_READ_I8) and q, x
 * activations in RAM. */
static inline int32_t tml_net_dot_i8_terms(const int8_t *q, const int8_t *end, const int8_t *w, int32_t sum)
{
    while (q != end) {
        sum += (int32_t)*q++ * (int32_t)TML_READ_I8(w++);
    }
    return sum;
}

/* The same for two weight rows, adding to s0 and s1 and storing them in s[0] and s[1]. */
static inline void tml_net_dot2_i8_terms(const int8_t *q, const int8_t *end, const int8_t *w0, const int8_t *w1,
                                         int32_t s0, int32_t s1, int32_t *s)
{
    while (q != end) {
        int32_t x = *q++;
        s0 += x * (int32_t)TML_READ_I8(w0++);
        s1 += x * (int32_t)TML_READ_I8(w1++);
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

/* s = {s00 + x0 . w0, s01 + x0 . w1, s10 + x1 . w0, s11 + x1 . w1} over n terms: the portable
 * loop of tml_net_dot2x2_i8, and the DSP path's last n % 4 terms. */
static inline void tml_net_dot2x2_i8_terms(const int8_t *x0, const int8_t *x1, const int8_t *w0, const int8_t *w1,
                                           int32_t n, int32_t s00, int32_t s01, int32_t s10, int32_t s11, int32_t *s)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        int32_t a = x0[i], b = x1[i], u = TML_READ_I8(&w0[i]), v = TML_READ_I8(&w1[i]);
        s00 += a * u;
        s01 += a * v;
        s10 += b * u;
        s11 += b * v;
    }
    s[0] = s00;
    s[1] = s01;
    s[2] = s10;
    s[3] = s11;
}

/* Two inputs against two weight rows, s = {x0 . w0, x0 . w1, x1 . w0, x1 . w1}: two positions
 * of a convolution by two output channels, each loaded value serving two products. Portable
 * path. */
TML_NET_KERNEL void tml_net_dot2x2_i8_portable(const int8_t *x0, const int8_t *x1, const int8_t *w0,
                                               const int8_t *w1, int32_t n, int32_t *s)
{
    tml_net_dot2x2_i8_terms(x0, x1, w0, w1, n, 0, 0, 0, 0, s);
}

/* s[k] = sum[k] + x . w[k] over n terms, k < 4: the portable loop of tml_net_dot4_i8, and the
 * DSP path's last n % 4 terms. */
static inline void tml_net_dot4_i8_terms(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                         const int8_t *w3, int32_t n, const int32_t *sum, int32_t *s)
{
    int32_t i, s0 = sum[0], s1 = sum[1], s2 = sum[2], s3 = sum[3];
    for (i = 0; i < n; i++) {
        int32_t q = x[i];
        s0 += q * TML_READ_I8(&w0[i]);
        s1 += q * TML_READ_I8(&w1[i]);
        s2 += q * TML_READ_I8(&w2[i]);
        s3 += q * TML_READ_I8(&w3[i]);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

/* One input against four weight rows, s[k] = x . w[k]: one position (a dense layer) by four
 * output channels, each loaded input value serving four products. Portable path. */
TML_NET_KERNEL void tml_net_dot4_i8_portable(const int8_t *x, const int8_t *const *w, int32_t n, int32_t *s)
{
    const int32_t zero[4] = {0, 0, 0, 0};
    tml_net_dot4_i8_terms(x, w[0], w[1], w[2], w[3], n, zero, s);
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

/*
 * tml_net_dot2x2_i8_portable, 16 products per step in 21 instructions (tml_net_dot2_i8_dsp
 * takes 16 for 8), and two steps a loop turn (3 more: the end, compare, branch; 24 a step
 * when a turn held one), then one step alone for n % 8 >= 4. The step is written in assembly
 * because it needs 13 registers (four sums, three pointers, six for the loaded and widened
 * words): gcc -Os, given it in C, keeps pointers on the stack and takes 28. w1 is reached at
 * its distance from w0 and the loop's end is compared from memory, one load each, which frees
 * the registers. Built only when optimizing: at -O0, gcc cannot find 13 free registers, and
 * the portable path is used.
 */
#if defined(__GNUC__) && defined(__OPTIMIZE__)
#define TML_NET_DOT2X2_DSP 1
#define TML_NET_DOT2X2_STEP                                                                              \
    "ldr %[w], %[w1_from_w0]\n\t"                                                                     \
    "ldr %[w], [%[w0], %[w]]\n\t" /* w1's word */                                                     \
    "ldr %[a], [%[x0]], #4\n\t"                                                                       \
    "ldr %[b], [%[x1]], #4\n\t"                                                                       \
    "sxtb16 %[a02], %[a]\n\t"                                                                         \
    "sxtb16 %[a], %[a], ror #8\n\t" /* bytes 1 and 3 */                                               \
    "sxtb16 %[b02], %[b]\n\t"                                                                         \
    "sxtb16 %[b], %[b], ror #8\n\t"                                                                   \
    "sxtb16 %[w02], %[w]\n\t"                                                                         \
    "sxtb16 %[w], %[w], ror #8\n\t"                                                                   \
    "smlad %[s01], %[a02], %[w02], %[s01]\n\t"                                                        \
    "smlad %[s11], %[b02], %[w02], %[s11]\n\t"                                                        \
    "smlad %[s01], %[a], %[w], %[s01]\n\t"                                                            \
    "smlad %[s11], %[b], %[w], %[s11]\n\t"                                                            \
    "ldr %[w], [%[w0]], #4\n\t" /* w0's word */                                                       \
    "sxtb16 %[w02], %[w]\n\t"                                                                         \
    "sxtb16 %[w], %[w], ror #8\n\t"                                                                   \
    "smlad %[s00], %[a02], %[w02], %[s00]\n\t"                                                        \
    "smlad %[s10], %[b02], %[w02], %[s10]\n\t"                                                        \
    "smlad %[s00], %[a], %[w], %[s00]\n\t"                                                            \
    "smlad %[s10], %[b], %[w], %[s10]\n\t"
#define TML_NET_DOT2X2_OPERANDS                                                                          \
    : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [x0] "+r"(x0), [x1] "+r"(x1),  \
      [w0] "+r"(w0), [a] "=&r"(a), [b] "=&r"(b), [w] "=&r"(w), [a02] "=&r"(a02), [b02] "=&r"(b02),         \
      [w02] "=&r"(w02)                                                                                   \
    : [w1_from_w0] "m"(w1_from_w0), [end8] "m"(end8)                                                     \
    : "cc", "memory"
TML_NET_KERNEL void tml_net_dot2x2_i8_dsp(const int8_t *x0, const int8_t *x1, const int8_t *w0, const int8_t *w1,
                                          int32_t n, int32_t *s)
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    int32_t w1_from_w0 = (int32_t)(w1 - w0);
    const int8_t *end8 = x0 + (n & ~(int32_t)7);
    uint32_t a, b, w, a02, b02, w02; /* a word of each row; bytes 0 and 2 widened */
    if (x0 != end8) {
        __asm__ volatile("1:\n\t" TML_NET_DOT2X2_STEP TML_NET_DOT2X2_STEP "ldr %[w], %[end8]\n\t"
                         "cmp %[x0], %[w]\n\t"
                         "bne 1b\n\t" TML_NET_DOT2X2_OPERANDS);
    }
    if (n & 4) {
        __asm__ volatile(TML_NET_DOT2X2_STEP TML_NET_DOT2X2_OPERANDS);
    }
    /* the last n % 4 terms; w1 moved on with w0 */
    tml_net_dot2x2_i8_terms(x0, x1, w0, w0 + w1_from_w0, n & 3, s00, s01, s10, s11, s);
}
#undef TML_NET_DOT2X2_STEP
#undef TML_NET_DOT2X2_OPERANDS

/* tml_net_dot4_i8_portable, 16 products per step in 26 instructions, in assembly for the same
 * reason: four sums, five pointers and four registers for the words (the end from memory). */
TML_NET_KERNEL void tml_net_dot4_i8_dsp(const int8_t *x, const int8_t *const *w, int32_t n, int32_t *s)
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    const int8_t *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
    const int8_t *end4 = x + (n & ~(int32_t)3);
    uint32_t q, q02, v, v02; /* the input's word and a row's; bytes 0 and 2 widened */
    if (x != end4) {
        __asm__ volatile("1:\n\t"
                         "ldr %[q], [%[x]], #4\n\t"
                         "sxtb16 %[q02], %[q]\n\t"
                         "sxtb16 %[q], %[q], ror #8\n\t" /* bytes 1 and 3 */
                         "ldr %[v], [%[w0]], #4\n\t"
                         "sxtb16 %[v02], %[v]\n\t"
                         "sxtb16 %[v], %[v], ror #8\n\t"
                         "smlad %[s0], %[q02], %[v02], %[s0]\n\t"
                         "smlad %[s0], %[q], %[v], %[s0]\n\t"
                         "ldr %[v], [%[w1]], #4\n\t"
                         "sxtb16 %[v02], %[v]\n\t"
                         "sxtb16 %[v], %[v], ror #8\n\t"
                         "smlad %[s1], %[q02], %[v02], %[s1]\n\t"
                         "smlad %[s1], %[q], %[v], %[s1]\n\t"
                         "ldr %[v], [%[w2]], #4\n\t"
                         "sxtb16 %[v02], %[v]\n\t"
                         "sxtb16 %[v], %[v], ror #8\n\t"
                         "smlad %[s2], %[q02], %[v02], %[s2]\n\t"
                         "smlad %[s2], %[q], %[v], %[s2]\n\t"
                         "ldr %[v], [%[w3]], #4\n\t"
                         "sxtb16 %[v02], %[v]\n\t"
                         "sxtb16 %[v], %[v], ror #8\n\t"
                         "smlad %[s3], %[q02], %[v02], %[s3]\n\t"
                         "smlad %[s3], %[q], %[v], %[s3]\n\t"
                         "ldr %[v], %[end4]\n\t"
                         "cmp %[x], %[v]\n\t"
                         "bne 1b\n\t"
                         : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [x] "+r"(x), [w0] "+r"(w0),
                           [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [q] "=&r"(q), [q02] "=&r"(q02), [v] "=&r"(v),
                           [v02] "=&r"(v02)
                         : [end4] "m"(end4)
                         : "cc", "memory");
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    tml_net_dot4_i8_terms(x, w0, w1, w2, w3, n & 3, s, s); /* the last n % 4 terms */
}
#endif /* optimizing */
#endif /* TML_NET_DSP */

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

static inline void tml_net_dot2x2_i8(const int8_t *x0, const int8_t *x1, const int8_t *w0, const int8_t *w1,
                                     int32_t n, int32_t *s)
{
#ifdef TML_NET_DOT2X2_DSP
    tml_net_dot2x2_i8_dsp(x0, x1, w0, w1, n, s);
#else
    tml_net_dot2x2_i8_portable(x0, x1, w0, w1, n, s);
#endif
}

static inline void tml_net_dot4_i8(const int8_t *x, const int8_t *const *w, int32_t n, int32_t *s)
{
#ifdef TML_NET_DOT2X2_DSP
    tml_net_dot4_i8_dsp(x, w, n, s);
#else
    tml_net_dot4_i8_portable(x, w, n, s);
#endif
}

/* ---- convolution sums and the requantized layer ---- */

/* a + b saturated to int32 (one QADD on Armv7E-M): a sum plus its channel's bias */
static inline int32_t tml_add_sat_i32(int32_t a, int32_t b)
{
#ifdef TML_NET_DSP
    return __qadd(a, b);
#else
    return tml_clamp_i32((int64_t)a + (int64_t)b);
#endif
}


static inline int32_t tml_net_sum_i8(const int8_t *w, int32_t n)
{
    int32_t sum = 0, i;
    for (i = 0; i < n; i++) {
        sum += TML_READ_I8(&w[i]);
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
    int64_t bias = layer->bias_i32 != NULL ? TML_READ_I32(&layer->bias_i32[c]) : 0;
    int whole = run == layer->kernel_w * n && w.ky1 - w.ky0 == layer->kernel_h;
    if (layer->in_zero == 0 || (layer->bias_folded && whole)) {
        return bias;
    }
    for (ky = w.ky0; ky < w.ky1; ky++) {
        inside += tml_net_sum_i8(channel + (ky * layer->kernel_w + w.kx0) * n, run);
    }
    return bias + (int64_t)layer->in_zero * (layer->bias_folded ? tml_net_sum_i8(channel, per) - inside : -inside);
}

/* int8 convolution sum of output channel c over window *window, bias included
 * (tml_net_bias_i8): sum q * w one run per kernel row, the inside columns being contiguous in
 * input and weights. The window comes by address: clang 14's AVR back end fails on it passed
 * by value to a function it does not inline (tests/python/test_isa_code_size.py). */
static inline int32_t tml_net_conv_i8_window(const tml_layer_t *layer, const int8_t *in, const tml_window_t *window,
                                             int32_t c)
{
    tml_window_t w = *window;
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
    tml_window_t w = tml_net_window(layer, oy, ox);
    return tml_net_conv_i8_window(layer, in, &w, c);
}

/*
 * int8 DEPTHWISE sums over window w: bias + sum (q - in_zero) * w over the window's inside
 * taps, saturated. A window is a few taps of one channel, so the zero point is taken off per
 * term (a DEPTHWISE bias is never folded). The weights are channel-minor, [kh][kw][out_c] as
 * TFLite stores them, so that at each tap the input (channels last) and the weights of
 * neighbouring channels are neighbours: four channels are summed at once, from one word of
 * each on Armv7E-M. By index: a window's first position may lie in the padding.
 */

/* Output channel c alone, without its bias (channels past the last four). */
static inline int32_t tml_net_depthwise_i8_sum(const tml_layer_t *layer, const int8_t *in, tml_window_t w, int32_t c)
{
    int32_t ky, kx, n = layer->in_c, row = layer->in_w * n, zero = layer->in_zero, sum = 0;
    int32_t channel = w.y0 * row + w.x0 * n + tml_net_depthwise_input(layer, c);
    int32_t taps = layer->out_c; /* weight stride from one tap to the next */
    for (ky = w.ky0; ky < w.ky1; ky++) {
        int32_t at = channel + ky * row + w.kx0 * n; /* inside the input from here */
        const int8_t *wt = layer->weight_i8 + (ky * layer->kernel_w + w.kx0) * taps + c;
        for (kx = w.kx0; kx < w.kx1; kx++, at += n, wt += taps) {
            sum += ((int32_t)in[at] - zero) * (int32_t)TML_READ_I8(wt);
        }
    }
    return sum;
}

/* The same with its bias, saturated (the float path's). */
static inline int32_t tml_net_depthwise_i8_window(const tml_layer_t *layer, const int8_t *in, tml_window_t w,
                                                  int32_t c)
{
    return tml_add_sat_i32(tml_net_depthwise_i8_sum(layer, in, w, c),
                           layer->bias_i32 != NULL ? TML_READ_I32(&layer->bias_i32[c]) : 0);
}

/*
 * sum (q - zero) * w of four neighbouring channels into acc[4], over rows x cols taps: x and
 * wt point at the first tap's four bytes, the next tap is step bytes further in both, the next
 * row's first tap x_row and w_row bytes after the row's first. The layer's numbers come as
 * arguments so that everything the inner loop touches stays in registers.
 *
 * On Armv7E-M, bytes 0 and 2 (then 1 and 3) of a tap's words as halfwords, (q - zero) * w per
 * channel with SMLABB (bottom halves) and SMLATT (top halves). A row's taps are one step in
 * assembly, 16 instructions per tap, where gcc -Os spilled three values per tap and took 20:
 * 13 registers (four sums, the two rows, the tap's offset into both, step, the zero points,
 * four for the words), the row's end compared from memory. Built only when optimizing (as
 * tml_net_dot2x2_i8_dsp).
 */
TML_NET_KERNEL void tml_net_depthwise4_i8_sums(const int8_t *x, const int8_t *wt, int32_t rows, int32_t cols,
                                                int32_t step, int32_t x_row, int32_t w_row, int32_t zero,
                                                int32_t *acc)
{
    int32_t k, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#if defined(TML_NET_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
    /* the zero point in both halfwords, taken off the input's widened bytes two at a time */
    uint32_t zeros = ((uint32_t)(zero & 0xffff) << 16) | (uint32_t)(zero & 0xffff);
    int32_t end = cols * step; /* the offset past the row's last tap */
    uint32_t q, v, q02, v02;
    for (; rows > 0 && cols > 0; rows--, x += x_row, wt += w_row) {
        k = 0;
        __asm__ volatile("1:\n\t"
                         "ldr %[q], [%[x], %[k]]\n\t"
                         "ldr %[v], [%[wt], %[k]]\n\t"
                         "add %[k], %[k], %[step]\n\t"
                         "sxtb16 %[q02], %[q]\n\t"
                         "sxtb16 %[q], %[q], ror #8\n\t" /* bytes 1 and 3 */
                         "ssub16 %[q02], %[q02], %[zeros]\n\t"
                         "ssub16 %[q], %[q], %[zeros]\n\t"
                         "sxtb16 %[v02], %[v]\n\t"
                         "sxtb16 %[v], %[v], ror #8\n\t"
                         "smlabb %[s0], %[q02], %[v02], %[s0]\n\t"
                         "smlatt %[s2], %[q02], %[v02], %[s2]\n\t"
                         "smlabb %[s1], %[q], %[v], %[s1]\n\t"
                         "smlatt %[s3], %[q], %[v], %[s3]\n\t"
                         "ldr %[q], %[end]\n\t"
                         "cmp %[k], %[q]\n\t"
                         "bne 1b\n\t"
                         : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [k] "+r"(k), [q] "=&r"(q),
                           [v] "=&r"(v), [q02] "=&r"(q02), [v02] "=&r"(v02)
                         : [x] "r"(x), [wt] "r"(wt), [step] "r"(step), [zeros] "r"(zeros), [end] "m"(end)
                         : "cc", "memory");
    }
#else
    for (; rows > 0; rows--, x += x_row, wt += w_row) {
        for (k = 0; k < cols * step; k += step) {
            s0 += ((int32_t)x[k] - zero) * (int32_t)TML_READ_I8(&wt[k]);
            s1 += ((int32_t)x[k + 1] - zero) * (int32_t)TML_READ_I8(&wt[k + 1]);
            s2 += ((int32_t)x[k + 2] - zero) * (int32_t)TML_READ_I8(&wt[k + 2]);
            s3 += ((int32_t)x[k + 3] - zero) * (int32_t)TML_READ_I8(&wt[k + 3]);
        }
    }
#endif
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

/* A requantized value r as the int8 output: clamped to [lo, hi], the output's zero point added.
 * lo and hi are relative to the zero point (tml_net_out_range_i8), so that no value, however
 * large, overflows on adding it. */
TML_NET_INLINE int8_t tml_net_clamp_out_i8(int32_t r, int32_t zero, int32_t lo, int32_t hi)
{
    return (int8_t)((r < lo ? lo : r > hi ? hi : r) + zero);
}

/* An int8 output from its saturated sum with the bias: requantized by its channel's multiplier
 * and shift, then tml_net_clamp_out_i8. */
TML_NET_INLINE int8_t tml_net_out_value_i8(int32_t acc, int32_t multiplier, int32_t shift, int32_t zero, int32_t lo,
                                           int32_t hi)
{
    return tml_net_clamp_out_i8(tml_requantize_channel(acc, multiplier, shift), zero, lo, hi);
}

/* The same for output channel c of an int8 CONV or DEPTHWISE layer. */
TML_NET_INLINE int8_t tml_net_out_i8(const tml_layer_t *layer, int32_t c, int32_t acc, int32_t lo, int32_t hi)
{
    return tml_net_out_value_i8(acc, TML_READ_I32(&layer->multiplier[c]), TML_READ_I8(&layer->shift[c]),
                                layer->out_zero, lo, hi);
}

/* The clamp of an int8 layer's requantized output, before out_zero is added: [*lo, *hi]
 * covers [-128, 127] after it, and ReLU and ReLU6 are clamps too. */
static inline void tml_net_out_range_i8(const tml_layer_t *layer, int32_t *lo, int32_t *hi)
{
    *lo = (layer->activation == TML_ACT_IDENTITY ? -128 : layer->out_zero) - layer->out_zero;
    *hi = (layer->activation == TML_ACT_RELU6 ? tml_quantize_i8(6.0f, layer->out_scale, layer->out_zero) : 127) -
          layer->out_zero;
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

/* Output channels are requantized this many at a time, from sums kept on the stack: a call
 * of its own per batch (few live values, so gcc keeps them in registers), not per output. */
#define TML_NET_OUT_BATCH 16

/*
 * The int8 outputs o[c .. c + n - 1] from their sums sum[0 .. n - 1]: bias added (saturated),
 * requantized by each channel's multiplier and shift, clamped to [lo, hi], out_zero added.
 * The layer's fields are read into locals once: every int8 store may alias them, and gcc would
 * otherwise load them again after each output.
 */
TML_NET_KERNEL void tml_net_out_channels_any_i8(const tml_layer_t *layer, int32_t c, int32_t n, const int32_t *sum,
                                                int8_t *o, int32_t lo, int32_t hi)
{
    const int32_t *bias = layer->bias_i32 != NULL ? layer->bias_i32 + c : NULL, *multiplier = layer->multiplier + c;
    const int8_t *shift = layer->shift + c;
    int32_t k, zero = layer->out_zero;
    o += c;
    for (k = 0; k < n; k++) {
        int32_t acc = tml_add_sat_i32(sum[k], bias != NULL ? TML_READ_I32(&bias[k]) : 0);
        int32_t r = tml_requantize_channel(acc, TML_READ_I32(&multiplier[k]), TML_READ_I8(&shift[k]));
        o[k] = tml_net_clamp_out_i8(r, zero, lo, hi);
    }
}

/*
 * The same for a layer with a bias whose every shift is in [-31, -1] (tml_net_right_shifts,
 * what converters write for nearly every layer): no branch on the shift and no clamp of it.
 * Pointers walk the arrays so that the loop's values fit in registers (bench/mlperf_tiny,
 * keyword spotting: 46 instructions per output inlined into the convolution loops, 28 here; a
 * branch for shifts >= 0 in this loop cost 4 more).
 */
TML_NET_KERNEL void tml_net_out_channels_right_i8(const tml_layer_t *layer, int32_t c, int32_t n,
                                                  const int32_t *sum, int8_t *o, int32_t lo, int32_t hi)
{
    const int32_t *bias = layer->bias_i32 + c, *multiplier = layer->multiplier + c;
    const int8_t *shift = layer->shift + c;
    const int8_t *end = o + c + n;
    int32_t zero = layer->out_zero;
#if defined(TML_NET_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
    /*
     * Where the clamp is the whole int8 range (no activation, or one the output's scale
     * already bounds, as converters choose it), SSAT clamps, and the loop is assembly: 18
     * instructions an output, where gcc -Os took 26-28 (it kept the sum pointer and the
     * clamp's bounds on the stack). The same integers as the C loop below: tml_requantize_right
     * step by step (the nudge's two words from h = 2^right_less_1 - (acc < 0)), then
     * clamp(r, lo, hi) + zero = SSAT(r + zero), |r| <= 2^30 so no sum overflows.
     */
    if (lo + zero == -128 && hi + zero == 127 && n > 0) {
        int32_t acc, m, right_less_1, high, low, one = 1;
        o += c;
        __asm__ volatile("1:\n\t"
                         "ldr %[acc], [%[sum]], #4\n\t"
                         "ldr %[m], [%[bias]], #4\n\t"
                         "ldrsb %[right], [%[shift]], #1\n\t"
                         "qadd %[acc], %[acc], %[m]\n\t"
                         "ldr %[m], [%[multiplier]], #4\n\t"
                         "mvn %[right], %[right]\n\t"                   /* -1 - shift */
                         "lsl %[high], %[one], %[right]\n\t"            /* half */
                         "add %[high], %[high], %[acc], asr #31\n\t"    /* h = half - (acc < 0) */
                         "lsl %[low], %[high], #31\n\t"
                         "lsr %[high], %[high], #1\n\t"
                         "orr %[low], %[low], #0x40000000\n\t"
                         "smlal %[low], %[high], %[acc], %[m]\n\t"
                         "asr %[high], %[high], %[right]\n\t"
                         "add %[high], %[high], %[zero]\n\t"
                         "ssat %[high], #8, %[high]\n\t"
                         "strb %[high], [%[o]], #1\n\t"
                         "cmp %[o], %[end]\n\t"
                         "bne 1b\n\t"
                         : [o] "+r"(o), [sum] "+r"(sum), [bias] "+r"(bias), [shift] "+r"(shift),
                           [multiplier] "+r"(multiplier), [acc] "=&r"(acc), [m] "=&r"(m),
                           [right] "=&r"(right_less_1), [high] "=&r"(high), [low] "=&r"(low)
                         : [zero] "r"(zero), [one] "r"(one), [end] "r"(end)
                         : "cc", "memory");
        return;
    }
#endif
    for (o += c; o != end; o++) {
        int32_t acc = tml_add_sat_i32(*sum++, TML_READ_I32(bias++)), right_less_1 = -1 - TML_READ_I8(shift++);
        int32_t r = tml_requantize_right(acc, TML_READ_I32(multiplier++), (int32_t)1 << right_less_1, right_less_1);
        *o = tml_net_clamp_out_i8(r, zero, lo, hi);
    }
}

/* Whether layer has a bias and every shift is in [-31, -1]: tml_net_out_channels_right_i8's rule. */
static inline int tml_net_right_shifts(const tml_layer_t *layer)
{
    int32_t c;
    if (layer->bias_i32 == NULL) {
        return 0;
    }
    for (c = 0; c < layer->out_c; c++) {
        int32_t shift = TML_READ_I8(&layer->shift[c]);
        if (shift >= 0 || shift < -31) {
            return 0;
        }
    }
    return 1;
}

/* tml_net_out_channels_right_i8 where right says it applies, else tml_net_out_channels_any_i8. */
static inline void tml_net_out_channels_i8(const tml_layer_t *layer, int right, int32_t c, int32_t n,
                                           const int32_t *sum, int8_t *o, int32_t lo, int32_t hi)
{
    if (right) {
        tml_net_out_channels_right_i8(layer, c, n, sum, o, lo, hi);
    } else {
        tml_net_out_channels_any_i8(layer, c, n, sum, o, lo, hi);
    }
}

/* int8 DEPTHWISE in integers: requantize, add out_zero, clamp (as tml_net_run_conv_requantized).
 * Per position the window is found once, for all its output channels: summed four at a time,
 * requantized TML_NET_OUT_BATCH at a time. */
static inline void tml_net_run_depthwise_requantized(const tml_layer_t *layer, const int8_t *in, int8_t *out)
{
    int32_t oy, ox, c, batch, lo, hi, sums[TML_NET_OUT_BATCH], step = layer->out_c;
    int right = tml_net_right_shifts(layer);
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
            for (batch = 0; batch < layer->out_c; batch += TML_NET_OUT_BATCH) {
                int32_t end = batch + TML_NET_OUT_BATCH < layer->out_c ? batch + TML_NET_OUT_BATCH : layer->out_c;
                for (c = batch; c + 4 <= end && c < by_four; c += 4) {
                    tml_net_depthwise4_i8_sums(in + x_at + c, layer->weight_i8 + w_at + c, w.ky1 - w.ky0, cols,
                                               step, layer->in_w * step, layer->kernel_w * step, layer->in_zero,
                                               sums + (c - batch));
                }
                for (; c < end; c++) { /* the bias goes in with the others' */
                    sums[c - batch] = tml_net_depthwise_i8_sum(layer, in, w, c);
                }
                tml_net_out_channels_i8(layer, right, batch, end - batch, sums, o, lo, hi);
            }
        }
    }
}

/* Whether output channel c has a weight row (see tml_layer_t's row_mask). */
static inline int tml_net_has_row(const uint8_t *mask, int32_t c)
{
    return (TML_READ_U8(&mask[c >> 3]) >> (c & 7)) & 1;
}

/* How many of the n output channels from c have a weight row. */
static inline int32_t tml_net_count_rows(const uint8_t *mask, int32_t c, int32_t n)
{
    int32_t k, rows = 0;
    for (k = 0; k < n; k++) {
        rows += tml_net_has_row(mask, c + k);
    }
    return rows;
}

/* The sums of the channels from c that have a row, sums[0 .. rows - 1], moved to their
 * channels' places in sums[0 .. n - 1], 0 for those without one. From the last down, so that
 * a sum is read before its place is written. */
static inline void tml_net_spread_rows(const uint8_t *mask, int32_t c, int32_t n, int32_t rows, int32_t *sums)
{
    int32_t k;
    for (k = n - 1; k >= 0; k--) {
        sums[k] = tml_net_has_row(mask, c + k) ? sums[--rows] : 0;
    }
}

/*
 * One or two positions of an int8 CONV whose windows are whole and whose bias is the whole
 * answer (a dense layer, a 1x1 kernel, a window gathered into the buffer): the out_c outputs
 * at o0 from the per inputs at x0, and at o1 from x1 unless x1 is NULL. Two weight rows by
 * two positions at a time, or four rows of one position, so that each loaded value serves
 * two or four products (rows past the last are the first one again, summed and thrown away);
 * the sums of TML_NET_OUT_BATCH channels are then requantized together. A layer with a row
 * mask sums only the rows it stores, then spreads the sums to their channels. right: the
 * layer's tml_net_right_shifts. A function of its own, so that the layer's numbers stay in
 * registers.
 */
TML_NET_KERNEL void tml_net_conv_whole_i8(const tml_layer_t *layer, int right, const int8_t *x0, const int8_t *x1,
                                           int8_t *o0, int8_t *o1, int32_t lo, int32_t hi)
{
    int32_t batch, c, k, per = layer->kernel_h * layer->kernel_w * layer->in_c, out_c = layer->out_c, sum[4];
    int32_t sums0[TML_NET_OUT_BATCH], sums1[TML_NET_OUT_BATCH]; /* of x0 and x1 */
    const int8_t *wt = layer->weight_i8, *rows[4];
    const uint8_t *mask = TML_NET_HAS_ROW_MASKS ? layer->row_mask : NULL;
    for (batch = 0; batch < out_c; batch += TML_NET_OUT_BATCH) {
        int32_t n = out_c - batch < TML_NET_OUT_BATCH ? out_c - batch : TML_NET_OUT_BATCH;
        int32_t stored = mask != NULL ? tml_net_count_rows(mask, batch, n) : n; /* rows of this batch */
        const int8_t *next = wt + stored * per;
        if (x1 != NULL) {
            for (c = 0; c < stored; c += 2, wt += 2 * per) {
                tml_net_dot2x2_i8(x0, x1, wt, c + 1 < stored ? wt + per : wt, per, sum);
                sums0[c] = sum[0];
                sums0[c + 1] = sum[1]; /* TML_NET_OUT_BATCH is even: c + 1 is inside */
                sums1[c] = sum[2];
                sums1[c + 1] = sum[3];
            }
            if (stored < n) {
                tml_net_spread_rows(mask, batch, n, stored, sums0);
                tml_net_spread_rows(mask, batch, n, stored, sums1);
            }
            tml_net_out_channels_i8(layer, right, batch, n, sums0, o0, lo, hi);
            tml_net_out_channels_i8(layer, right, batch, n, sums1, o1, lo, hi);
            wt = next;
            continue;
        }
        for (c = 0; c < stored; c += 4, wt += 4 * per) { /* TML_NET_OUT_BATCH is a multiple of 4 */
            for (k = 0; k < 4; k++) {
                rows[k] = c + k < stored ? wt + k * per : wt;
            }
            tml_net_dot4_i8(x0, rows, per, sums0 + c);
        }
        if (stored < n) {
            tml_net_spread_rows(mask, batch, n, stored, sums0);
        }
        tml_net_out_channels_i8(layer, right, batch, n, sums0, o0, lo, hi);
        wt = next;
    }
}

/* Whether window w covers the whole kernel, none of it in the padding. */
static inline int tml_net_window_is_whole(const tml_layer_t *layer, tml_window_t w)
{
    return w.ky0 == 0 && w.kx0 == 0 && w.ky1 == layer->kernel_h && w.kx1 == layer->kernel_w;
}

/*
 * int8 CONV (and dense) in integers: requantize, clamp, add out_zero; ReLU and ReLU6 are
 * clamps too. Per position the window is found once. Whole windows with a folded bias (or no
 * zero point) go to tml_net_conv_whole_i8, two neighbouring positions at a time: gathered
 * into the buffer when the layer has one, else read in place where the window is one run of
 * bytes in the input (1x1 kernels). Other windows sum their inside one kernel row at a time
 * and put back the zero point's share of the weights on padding (tml_net_conv_i8_window).
 */
static inline void tml_net_run_conv_requantized(const tml_layer_t *layer, const int8_t *in, int8_t *out,
                                                int8_t *buffer)
{
    int32_t p, c, lo, hi, n_out = layer->out_h * layer->out_w, in_c = layer->in_c, out_c = layer->out_c;
    int folded = layer->in_zero == 0 || layer->bias_folded, right = tml_net_right_shifts(layer);
    /* a whole window is one run of bytes in the input: one kernel row, or rows as wide as the input */
    int contiguous = layer->kernel_h == 1 || layer->kernel_w == layer->in_w;
    tml_net_out_range_i8(layer, &lo, &hi);
    for (p = 0; p < n_out; p++) {
        tml_window_t w = tml_net_window_of(layer, p);
        int8_t *o = out + p * out_c;
        if (buffer != NULL && folded) {
            tml_net_gather_window(layer, in, w, buffer);
            if (p + 1 < n_out) { /* the next position's window after it */
                int8_t *second = buffer + tml_net_window_stride((int64_t)layer->kernel_h * layer->kernel_w * in_c);
                tml_net_gather_window(layer, in, tml_net_window_of(layer, p + 1), second);
                tml_net_conv_whole_i8(layer, right, buffer, second, o, o + out_c, lo, hi);
                p++;
            } else {
                tml_net_conv_whole_i8(layer, right, buffer, NULL, o, NULL, lo, hi);
            }
        } else if (folded && contiguous && tml_net_window_is_whole(layer, w)) {
            const int8_t *x = in + (w.y0 * layer->in_w + w.x0) * in_c;
            tml_window_t next;
            if (p + 1 < n_out && (next = tml_net_window_of(layer, p + 1), tml_net_window_is_whole(layer, next))) {
                tml_net_conv_whole_i8(layer, right, x, in + (next.y0 * layer->in_w + next.x0) * in_c, o, o + out_c, lo, hi);
                p++;
            } else {
                tml_net_conv_whole_i8(layer, right, x, NULL, o, NULL, lo, hi);
            }
        } else {
            for (c = 0; c < out_c; c++) {
                o[c] = tml_net_out_i8(layer, c, tml_net_conv_i8_window(layer, in, &w, c), lo, hi);
            }
        }
    }
}

#endif /* TINYML_NET_I8_H */
