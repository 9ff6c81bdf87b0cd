/*
 * TinyML Lab C runtime, neural networks: the int8 arithmetic (rounding, saturation,
 * requantization as gemmlowp and the TFLite reference kernels compute it, quantizing and
 * dequantizing values), shared by the int8 kernels, the pools and the driver.
 */
#ifndef TINYML_NET_QUANT_H
#define TINYML_NET_QUANT_H

/* a standalone model header embeds these just before */
#ifndef TINYML_NET_TYPES_H
#include "tinyml/net_types.h"
#endif


/* Nearest whole number, halves away from zero, for |v| < 2^31. v - trunc(v) is exact in
 * float32, so unlike (int32_t)(v + 0.5f) no value just below a half rounds up. */
static inline int32_t tml_round_f32(float v)
{
    int32_t t = (int32_t)v;
    float frac = v - (float)t;
    if (frac >= 0.5f) {
        t++;
    } else if (frac <= -0.5f) {
        t--;
    }
    return t;
}

static inline int32_t tml_clamp_i32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* gemmlowp's SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties toward +inf. */
static inline int32_t tml_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX; /* the one product whose doubled high half does not fit */
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C99 division truncates */
}

/* x / 2^exponent rounded half away from zero (gemmlowp's RoundingDivideByPOT), exponent in
 * [0, 31]. Works on magnitudes in int64, so no right shift of a negative number is needed. */
static inline int32_t tml_rounding_divide_pot(int32_t x, int32_t exponent)
{
    int64_t half, magnitude;
    if (exponent <= 0) {
        return x;
    }
    half = (int64_t)1 << (exponent - 1);
    magnitude = x >= 0 ? (int64_t)x : -(int64_t)x;
    magnitude = (magnitude + half) >> exponent;
    return (int32_t)(x >= 0 ? magnitude : -magnitude);
}

/* tml_requantize_channel shifts negative integers right, which C99 leaves to the compiler;
 * every compiler we know of (gcc, clang, Arm's, IAR) copies the sign bit in. This line stops
 * the build on one that does not, instead of giving wrong outputs. */
typedef char tml_needs_arithmetic_right_shift[((-8 >> 1) == -4 && ((int64_t)-8 >> 1) == -4) ? 1 : -1];

/*
 * tml_requantize for a CONV or DEPTHWISE channel, whose multiplier tml_net_validate keeps in
 * [0, 2^31): the same integers (c-runtime/tests/test_net_quant.c) in fewer steps, for what
 * every int8 output of a convolution goes through. With p = acc * multiplier (|p| < 2^62):
 * - the high multiply is high = floor((p + 2^30) / 2^31), gemmlowp's rounding as a floor,
 *   and needs no saturation, since |high| <= |acc|;
 * - the right shift by r >= 1 rounds high half away from zero: floor((high + 2^(r-1) - n) /
 *   2^r), n = 1 when high < 0. Both floors fold into one, floor((p + 2^30 + 2^31 (2^(r-1) - n))
 *   / 2^(31+r)), and n may be taken from acc's sign: where they differ, -2^30 <= p < 0, both
 *   give 0. So one multiply-accumulate onto a rounding constant and the high word's shift.
 *
 * tml_requantize_right is that shift, r = right_less_1 + 1 >= 1, with half = 2^(r-1) given:
 * a kernel computes both once per channel for all the channel's outputs.
 */
TML_NET_INLINE int32_t tml_requantize_right(int32_t acc, int32_t multiplier, int32_t half, int32_t right_less_1)
{
    /* the nudge h * 2^31 + 2^30, h = half - n >= 0, built from its two 32-bit words (gcc
     * otherwise widens h and carries between the words: 7 instructions instead of 3) */
    uint32_t h = (uint32_t)half - ((uint32_t)acc >> 31);
    uint64_t nudge = ((uint64_t)(h >> 1) << 32) | ((h << 31) | 0x40000000u);
    return (int32_t)(((int64_t)acc * multiplier + (int64_t)nudge) >> 32) >> right_less_1;
}

/* right_less_1 of tml_requantize_right for a shift < 0 (below -31 clamped to -31). */
TML_NET_INLINE int32_t tml_requantize_right_less_1(int32_t shift)
{
    return (shift < -31 ? 31 : -shift) - 1;
}

/* Any shift in [-31, 30] (clamped outside): a left shift first, or the right shift above. */
TML_NET_INLINE int32_t tml_requantize_channel(int32_t acc, int32_t multiplier, int32_t shift)
{
    int32_t right_less_1;
    if (shift >= 0) {
        if (shift > 0) { /* acc * 2^shift, saturated, in 32 bits */
            int32_t left = shift > 30 ? 30 : shift, limit = INT32_MAX >> left;
            acc = acc > limit ? INT32_MAX : acc < -limit - 1 ? INT32_MIN : acc * ((int32_t)1 << left);
        }
        return (int32_t)(((int64_t)acc * multiplier + ((int64_t)1 << 30)) >> 31);
    }
    right_less_1 = tml_requantize_right_less_1(shift);
    return tml_requantize_right(acc, multiplier, (int32_t)1 << right_less_1, right_less_1);
}

/*
 * acc * multiplier * 2^(shift - 31), as gemmlowp and the TFLite reference kernels compute it:
 * a saturating left shift by max(shift, 0), a rounding doubling high multiply (ties toward
 * +inf), then a rounding right shift by max(-shift, 0) (ties away from zero). The two
 * roundings can differ by 1 from the exact value rounded once when it lies within
 * 2^(shift - 1) of a half; that is the price of matching those schemes bit for bit.
 * |multiplier| is in [2^30, 2^31) or 0, shift in [-31, 30] (tml_net_validate checks both;
 * shifts outside are clamped, so no input is undefined behaviour).
 *
 * The same integers as tml_rounding_divide_pot(tml_rounding_doubling_high_mul(...)): for a
 * multiplier >= 0 (every one a compiler writes) by tml_requantize_channel; for a negative one
 * (an int8 ADD may subtract), on magnitudes: the high multiply's result has the sign of
 * acc * multiplier and magnitude (|p| + 2^30, or 2^30 - 1 for p < 0) >> 31, saturated (only
 * INT32_MIN^2 reaches 2^31);
 * the right shift then rounds that magnitude half up and restores the sign. One 64-bit
 * product and a few 32-bit steps instead of branches on 64-bit values (bench/nets: a third of
 * an int8 dense layer's instructions per output went here).
 */
static inline int32_t tml_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    int32_t right = shift < 0 ? (shift < -31 ? 31 : -shift) : 0;
    int64_t p;
    uint64_t high;
    uint32_t magnitude;
    if (multiplier >= 0) { /* every scale a compiler writes is positive */
        return tml_requantize_channel(acc, multiplier, shift);
    }
    if (shift > 0) {
        acc = tml_clamp_i32((int64_t)acc * ((int64_t)1 << (shift > 30 ? 30 : shift)));
    }
    p = (int64_t)acc * (int64_t)multiplier;
    /* |p| <= 2^62, so neither the negation nor the sum overflows */
    high = (p >= 0 ? (uint64_t)p + ((uint32_t)1u << 30) : (uint64_t)(-p) + (((uint32_t)1u << 30) - 1u)) >> 31;
    magnitude = high > 0x7fffffffu ? 0x7fffffffu : (uint32_t)high;
    if (right > 0) {
        magnitude = (magnitude + ((uint32_t)1u << (right - 1))) >> right; /* < 2^31 + 2^30: no wrap */
    }
    return p >= 0 ? (int32_t)magnitude : -(int32_t)magnitude;
}

/* q = clamp(round(x / scale) + zero, -128, 127), halves away from zero; NaN gives zero. */
static inline int8_t tml_quantize_i8(float x, float scale, int32_t zero)
{
    float v = x / scale;
    int32_t z = zero < -128 ? -128 : zero > 127 ? 127 : zero; /* validated; keeps sums small */
    int32_t q;
    if (!(v == v)) {
        return (int8_t)z;
    }
    /* Anything beyond +-1000 saturates anyway; clamping first keeps the rounding in range. */
    v = v > 1000.0f ? 1000.0f : v < -1000.0f ? -1000.0f : v;
    q = tml_round_f32(v) + z;
    return (int8_t)(q > 127 ? 127 : q < -128 ? -128 : q);
}

static inline float tml_dequantize_i8(int8_t q, float scale, int32_t zero)
{
    return scale * (float)((int32_t)q - zero);
}

#endif /* TINYML_NET_QUANT_H */
