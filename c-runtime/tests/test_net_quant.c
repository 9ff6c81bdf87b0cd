/* Unit tests of the neural-network runtime: the int8 arithmetic (net_quant.h): quantizing, and requantization against the exact value and gemmlowp's two steps. */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0xbb67ae8584caa73bULL /* this file's pseudo-random sequence */
#include "check.h"
#include "net_test_util.h"

/* Correctly rounded acc * m * 2^(shift - 31) of the saturated shifted accumulator, from the
 * exact int64 product, and how far the exact value lies from a rounding boundary. */
static int64_t ref_requantize(int32_t acc, int32_t m, int32_t shift, double *exact, double *to_half)
{
    int32_t left = shift > 0 ? shift : 0, right = shift < 0 ? -shift : 0;
    double a = ldexp((double)acc, left), frac;
    int64_t product;
    a = a > 2147483647.0 ? 2147483647.0 : a < -2147483648.0 ? -2147483648.0 : a;
    product = (int64_t)a * (int64_t)m; /* exact: |a| <= 2^31, m < 2^31 */
    *exact = ldexp((double)product, -(31 + right));
    frac = fabs(*exact) - floor(fabs(*exact));
    *to_half = fabs(frac - 0.5);
    return (int64_t)(*exact >= 0 ? floor(*exact + 0.5) : -floor(-*exact + 0.5));
}

/* tml_requantize fuses the two gemmlowp steps; it must give their integers for every acc,
 * multiplier (in or out of contract, negative and INT32_MIN too) and shift. */
static int32_t two_step_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    int32_t left = shift > 0 ? (shift > 30 ? 30 : shift) : 0;
    int32_t right = shift < 0 ? (shift < -31 ? 31 : -shift) : 0;
    int32_t shifted = tml_clamp_i32((int64_t)acc * ((int64_t)1 << left));
    return tml_rounding_divide_pot(tml_rounding_doubling_high_mul(shifted, multiplier), right);
}

/* ---- fixed point ---- */

static void test_quantize_i8(void)
{
    CHECK(tml_quantize_i8(0.5f, 1.0f, 0) == 1);
    CHECK(tml_quantize_i8(-0.5f, 1.0f, 0) == -1);
    CHECK(tml_quantize_i8(2.5f, 1.0f, 0) == 3);
    CHECK(tml_quantize_i8(-2.5f, 1.0f, 0) == -3);
    CHECK(tml_quantize_i8(0.49999997f, 1.0f, 0) == 0); /* + 0.5f would round this up */
    CHECK(tml_quantize_i8(-0.49999997f, 1.0f, 0) == 0);
    CHECK(tml_quantize_i8(1.0f, 0.5f, -10) == -8);
    CHECK(tml_quantize_i8(1000.0f, 0.1f, 0) == 127);
    CHECK(tml_quantize_i8(-1000.0f, 0.1f, 0) == -128);
    CHECK(tml_quantize_i8(1.0f, 1.0f, 127) == 127);
    CHECK(tml_quantize_i8(INFINITY, 1.0f, 3) == 127);
    CHECK(tml_quantize_i8(-INFINITY, 1.0f, 3) == -128);
    CHECK(tml_quantize_i8(NAN, 1.0f, 3) == 3);
    CHECK(tml_quantize_i8(3e38f, 1e-30f, 0) == 127);
}

static void test_requantize_edges(void)
{
    const int32_t one = 1 << 30; /* 0.5 in Q31 */
    CHECK(tml_rounding_doubling_high_mul(INT32_MIN, INT32_MIN) == INT32_MAX);
    CHECK(tml_rounding_doubling_high_mul(INT32_MIN, INT32_MAX) == -INT32_MAX);
    CHECK(tml_requantize(0, INT32_MAX, 30) == 0);
    CHECK(tml_requantize(12345, 0, 0) == 0);
    CHECK(tml_requantize(100, one, 1) == 100);      /* 100 * 0.5 * 2 */
    CHECK(tml_requantize(1, one, 30) == 1 << 29);   /* 0.5 * 2^30 */
    CHECK(tml_requantize(3, one, 0) == 2);          /* 1.5: ties up in the high multiply */
    CHECK(tml_requantize(-3, one, 0) == -1);        /* -1.5 */
    CHECK(tml_requantize(3, one, -1) == 1);         /* 0.75 */
    CHECK(tml_requantize(6, one, -1) == 2);         /* 1.5: the right shift rounds away */
    CHECK(tml_requantize(-6, one, -1) == -2);       /* -1.5 */
    CHECK(tml_requantize(-10, one, -1) == -3);      /* -2.5 */
    CHECK(tml_requantize(INT32_MAX, INT32_MAX, 30) == INT32_MAX - 1); /* left shift saturates */
    CHECK(tml_requantize(INT32_MIN, INT32_MAX, 30) == -INT32_MAX);
    CHECK(tml_requantize(INT32_MIN, one, 0) == -(1 << 30));
    CHECK(tml_requantize(INT32_MAX, INT32_MAX, -31) == 1);
    CHECK(tml_requantize(INT32_MIN, one, -31) == -1); /* -0.5: the right shift rounds away */
    CHECK(tml_requantize(INT32_MIN, INT32_MAX, -31) == -1);
    /* out-of-contract shifts are clamped rather than undefined */
    CHECK(tml_requantize(1000, one, 99) == tml_requantize(1000, one, 30));
    CHECK(tml_requantize(1000, one, -99) == tml_requantize(1000, one, -31));
    CHECK(tml_requantize(INT32_MIN, INT32_MIN, 0) == INT32_MAX); /* negative multiplier: no UB */
}

static void test_requantize_random(void)
{
    int i, far_from_half = 0, off_by_more = 0, wrong = 0;
    for (i = 0; i < 200000; i++) {
        uint32_t r = rng_u32();
        uint32_t bits = 1u + rng_u32() % 31u;
        int32_t acc = (int32_t)(r >> (32u - bits)); /* below 2^bits: magnitudes of every size */
        int32_t m = (int32_t)((1u << 30) | (rng_u32() >> 2));
        int32_t shift = (int32_t)(rng_u32() % 62u) - 31;
        double exact, to_half;
        int64_t ref, got;
        if (rng_u32() & 1u) {
            acc = acc == INT32_MIN ? acc : -acc;
        }
        if (i % 97 == 0) {
            acc = (i % 2) ? INT32_MAX : INT32_MIN;
        }
        ref = ref_requantize(acc, m, shift, &exact, &to_half);
        got = tml_requantize(acc, m, shift);
        if (fabs((double)got - exact) > 1.0) {
            off_by_more++;
        }
        /* The high multiply rounds to 2^-right of the result, so only values within that
         * (plus a margin for the double) of a half may come out the other way. */
        if (to_half > (shift < 0 ? ldexp(0.5, shift) : 0.0) + 1e-6) {
            far_from_half++;
            wrong += got != ref;
        }
    }
    CHECK(off_by_more == 0);
    CHECK(wrong == 0);
    CHECK(far_from_half > 100000);
    /* shift >= 0: one rounding, exact unless the value is a tie */
    {
        int ties_ok = 1;
        for (i = 0; i < 20000; i++) {
            int32_t acc = (int32_t)rng_u32();
            int32_t m = (int32_t)((1u << 30) | (rng_u32() >> 2));
            double exact, to_half;
            int64_t ref = ref_requantize(acc, m, 0, &exact, &to_half);
            if (to_half > 1e-6) {
                ties_ok &= tml_requantize(acc, m, 0) == ref;
            }
        }
        CHECK(ties_ok);
    }
}

static void test_requantize_equals_two_steps(void)
{
    static const int32_t edges[] = {0, 1, -1, 2, -2, 3, -3, 1 << 30, -(1 << 30), (1 << 30) + 1, INT32_MAX,
                                    INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 0x55555555, -0x55555555};
    int i, j, shift, wrong = 0;
    const int n = (int)(sizeof edges / sizeof edges[0]);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            for (shift = -40; shift <= 40; shift++) {
                int32_t ref = two_step_requantize(edges[i], edges[j], shift);
                wrong += tml_requantize(edges[i], edges[j], shift) != ref;
                /* the convolutions' version, for the multipliers it is meant for */
                wrong += edges[j] >= 0 && tml_requantize_channel(edges[i], edges[j], shift) != ref;
            }
        }
    }
    for (i = 0; i < 2000000; i++) {
        uint32_t bits = 1u + rng_u32() % 32u;
        int32_t acc = (int32_t)(rng_u32() >> (32u - bits)); /* magnitudes of every size */
        int32_t m = (i & 3) == 0 ? (int32_t)rng_u32() : (int32_t)((1u << 30) | (rng_u32() >> 2));
        int32_t sh = (int32_t)(rng_u32() % 81u) - 40;
        int32_t ref;
        acc = (rng_u32() & 1u) ? (int32_t)(0u - (uint32_t)acc) : acc;
        ref = two_step_requantize(acc, m, sh);
        wrong += tml_requantize(acc, m, sh) != ref;
        wrong += m >= 0 && tml_requantize_channel(acc, m, sh) != ref;
    }
    CHECK(wrong == 0);
}

int main(void)
{
    test_quantize_i8();
    test_requantize_edges();
    test_requantize_random();
    test_requantize_equals_two_steps();
    return CHECK_REPORT("net_quant");
}
