/*
 * TinyML Lab C runtime, features: IMU windows. Mean, std, rms, min, max, peak-to-peak and
 * zero crossings of a window (strided, so one axis of interleaved xyz data needs no copy),
 * and the orientation-free magnitude.
 *
 * Header-only C99, `static inline` throughout, float32, no malloc, no recursion, no state
 * outside the caller's buffers and structs: the caller provides every buffer. Every function
 * that takes sizes checks them (and its pointers) and returns a negative TML_E_* code instead
 * of reading or writing out of bounds. Inputs and outputs must not overlap unless a function
 * says so.
 */
#ifndef TINYML_FEATURES_IMU_H
#define TINYML_FEATURES_IMU_H

/* a standalone model header embeds these just before */
#ifndef TINYML_COMMON_H
#include "tinyml/common.h"
#endif

/* ---- IMU / window statistics ---- */

typedef struct {
    float mean, std, rms, min, max, peak_to_peak;
    int32_t zero_crossings;
} tml_stats_t;

/*
 * Statistics of n samples x[0], x[stride], ..., x[(n-1) stride] (one axis of interleaved
 * xyz data: x + axis, n, 3): mean, population std (ddof 0, from the deviations: a second
 * pass, no cancellation), rms, min, max, peak-to-peak, and the sign changes between
 * consecutive samples of x - mean, a zero counting as positive.
 */
static inline int tml_window_stats(const float *x, int32_t n, int32_t stride, tml_stats_t *s)
{
    int32_t i;
    float sum = 0.0f, sq = 0.0f, dev = 0.0f, lo, hi, mean;
    int32_t crossings = 0, prev_positive = 0;
    if (x == NULL || s == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || stride < 1 || (int64_t)(n - 1) * (int64_t)stride >= INT32_MAX) {
        return TML_E_SIZE;
    }
    lo = hi = x[0];
    for (i = 0; i < n; i++) {
        float v = x[(size_t)i * (size_t)stride];
        sum += v;
        sq += v * v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    mean = sum / (float)n;
    for (i = 0; i < n; i++) {
        float d = x[(size_t)i * (size_t)stride] - mean;
        int positive = d >= 0.0f;
        dev += d * d;
        if (i > 0 && positive != prev_positive) {
            crossings++;
        }
        prev_positive = positive;
    }
    s->mean = mean;
    s->std = sqrtf(dev / (float)n);
    s->rms = sqrtf(sq / (float)n);
    s->min = lo;
    s->max = hi;
    s->peak_to_peak = hi - lo;
    s->zero_crossings = crossings;
    return TML_OK;
}

/* out[i] = sqrt(x^2 + y^2 + z^2) of interleaved xyz[n][3]: the same whatever the sensor's
 * orientation. out may be xyz itself (each write lands behind every read still to come). */
static inline int tml_magnitude(const float *xyz, int32_t n, float *out)
{
    int32_t i;
    if (xyz == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || n > INT32_MAX / 3) {
        return TML_E_SIZE;
    }
    for (i = 0; i < n; i++) {
        const float *v = xyz + (size_t)i * 3u;
        out[i] = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    }
    return TML_OK;
}

#endif /* TINYML_FEATURES_IMU_H */
