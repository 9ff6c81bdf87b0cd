/*
 * TinyML Lab C runtime: what every model family shares (error codes, argmax, count and
 * finiteness checks, log-sum-exp and softmax).
 *
 * Header-only C99, `static inline` throughout: include it from as many .c files as you
 * like. Model headers include it; a standalone model header embeds it.
 */
#ifndef TINYML_COMMON_H
#define TINYML_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifndef TINYML_PROGMEM_H /* a standalone model header embeds it just before */
#include "tinyml/progmem.h"
#endif

/* Version of the WebAssembly build's exports and descriptor layouts (c-runtime/wasm), bumped
 * whenever they change. The TypeScript that calls them is generated from these headers at
 * build time and refuses a build of another version. */
#define TML_ABI_VERSION 14

/* Error codes: every failure is a negative number. */
#define TML_OK 0
#define TML_E_NULL (-1)        /* a required pointer (a table, a buffer) is NULL */
#define TML_E_SIZE (-2)        /* a count is out of range, or a buffer is too small */
#define TML_E_TREE (-3)        /* a tree's node indices are malformed */
#define TML_E_FEATURE (-4)     /* a node tests a feature index >= n_features */
#define TML_E_LEAF (-5)        /* a leaf points outside the leaf table */
#define TML_E_THRESHOLDS (-6)  /* not exactly one threshold table is given */
#define TML_E_KIND (-7)        /* a kind (combine, link, layer, activation, ...) is unknown or does not fit */
#define TML_E_SCALE (-8)       /* a quantization scale, offset, zero point or shift is out of range */
#define TML_E_SHAPE (-9)       /* a layer's shape does not follow from the previous layer's */
#define TML_E_ARENA (-10)      /* a buffer lies outside the arena, overlaps, or is misaligned */

/* Index of the first largest value, as numpy's argmax picks it. */
static inline int32_t tml_argmax(const float *v, int32_t n)
{
    int32_t best = 0, k;
    for (k = 1; k < n; k++) {
        if (v[k] > v[best]) {
            best = k;
        }
    }
    return best;
}

/*
 * An outlier detector's predict as an index into scikit-learn's classes [-1, 1]: 0 (outlier)
 * when score_samples is below the offset, else 1 (inlier), exactly as score < offset_ decides
 * in float32. NaN scores count as inliers (NaN < offset is false).
 */
static inline int32_t tml_anomaly_class(float score, float offset)
{
    return score < offset ? 0 : 1;
}

/* Neither infinite nor NaN: v - v is NaN for both, and NaN fails every comparison. */
static inline int tml_is_finite(float v)
{
    return v - v == 0.0f;
}

/*
 * Index of the first NaN or infinite value of v[0..n), or -1 when every one is finite: what a
 * header's <name>_check_input reports, since a model's answer on a non-finite feature is not
 * scikit-learn's (each header's comment says what it is).
 */
static inline int32_t tml_first_non_finite(const float *v, int32_t n)
{
    int32_t k;
    for (k = 0; k < n; k++) {
        if (!tml_is_finite(v[k])) {
            return k;
        }
    }
    return -1;
}

/* Every one of the table v[0..n) is finite (validation of a model's tables). Where tables are
 * ordinary memory it shares the input check's loop (one copy of the code); on AVR the table is
 * in program memory, read through TML_READ_F32. */
static inline int tml_all_finite(const float *v, int32_t n)
{
#if defined(__AVR__)
    int32_t k;
    for (k = 0; k < n; k++) {
        if (!tml_is_finite(TML_READ_F32(&v[k]))) {
            return 0;
        }
    }
    return 1;
#else
    return tml_first_non_finite(v, n) < 0;
#endif
}

/* a * b for counts a, b >= 0, or -1 when it exceeds INT32_MAX (an int64 holds any such product). */
static inline int32_t tml_count_product(int32_t a, int32_t b)
{
    int64_t ab = (int64_t)a * (int64_t)b;
    return ab > INT32_MAX ? -1 : (int32_t)ab;
}

/*
 * log(sum exp(v[k])), shifted by the maximum so that nothing overflows: -inf for n <= 0 or
 * when every value is -inf (not NaN from -inf - -inf), +inf when one is +inf, NaN when one is
 * NaN.
 */
static inline float tml_log_sum_exp(const float *v, int32_t n)
{
    float top = -INFINITY, sum = 0.0f;
    int32_t k;
    if (v == NULL || n <= 0) {
        return -INFINITY;
    }
    for (k = 0; k < n; k++) {
        if (v[k] != v[k]) {
            return v[k];
        }
        top = v[k] > top ? v[k] : top;
    }
    if (top == -INFINITY || top == INFINITY) {
        return top;
    }
    for (k = 0; k < n; k++) {
        sum += expf(v[k] - top); /* the largest term is 1: sum >= 1, no log of 0 */
    }
    return top + logf(sum);
}

/*
 * v[k] = exp(v[k]) / sum exp(v), in place, shifted by the maximum. When the maximum is
 * infinite (all -inf, or some +inf) the values equal to it share the probability equally and
 * the rest get 0: the limit of the finite case, where the shifted formula would give NaN.
 */
static inline void tml_softmax_inplace(float *v, int32_t n)
{
    float top, total = 0.0f;
    int32_t k, ties = 0;
    if (v == NULL || n <= 0) {
        return;
    }
    top = v[tml_argmax(v, n)];
    if (top == INFINITY || top == -INFINITY) {
        for (k = 0; k < n; k++) {
            ties += v[k] == top ? 1 : 0;
        }
        for (k = 0; k < n; k++) {
            v[k] = v[k] == top ? 1.0f / (float)ties : 0.0f;
        }
        return;
    }
    for (k = 0; k < n; k++) {
        v[k] = expf(v[k] - top);
        total += v[k];
    }
    for (k = 0; k < n; k++) {
        v[k] /= total;
    }
}

#endif /* TINYML_COMMON_H */
